//! Links: the URL fragment that replays a run exactly. Links hold inputs only — the scenario
//! (or a preset and its overrides), the seed, the interventions a user made, the moment to show,
//! the speed, which panes are visible — never computed state.
//!
//! Two forms:
//! * readable, for presets: `#preset=split-brain&seed=7&t=3.5s&lf.fencing=true` — editable by hand
//!   in course material;
//! * compact, for anything else: `#c=<base64url(postcard(...))>`, versioned.
//!
//! Interventions travel in both as `i=<pane>@<time>@<action>` (percent-encoded), e.g.
//! `i=lf@3.5s@crash%20n2`.
//!
//! Links come from strangers. [`decode`] never panics; anything it cannot use is dropped and
//! named in the returned problems, and the rest of the link still applies (or the default
//! scenario does). Text fields end up as text in the page, never as markup or URLs.

use crate::faults::Intervention;
use crate::scenario::{Caption, Plan, Scenario};
use crate::time::{format_duration, parse_duration};
use crate::vocab::{truncate, TopologyKind};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Fragments longer than this are refused outright.
pub const MAX_LINK: usize = 8 * 1024;
/// Current version of the compact form. Version 1 (three topologies) is still read: see
/// [`v1`].
pub const LINK_VERSION: u8 = 2;
pub const MAX_INTERVENTIONS: usize = 200;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Controls {
    Full,
    Minimal,
    None,
}

/// How the page shows the run (not part of the simulation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewOptions {
    pub embed: bool,
    pub controls: Controls,
    pub narration: bool,
    pub autoplay: bool,
    /// Panes showing another view than their logs (`tab=lf:explain,ll:space-time`).
    #[serde(default)]
    pub tabs: Vec<(TopologyKind, PaneTab)>,
    /// A guided tour and its step (0-based; links count from 1: `tour=quorums&step=3`).
    #[serde(default)]
    pub tour: Option<(String, u32)>,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            embed: false,
            controls: Controls::Full,
            narration: true,
            autoplay: false,
            tabs: Vec::new(),
            tour: None,
        }
    }
}

/// The view a pane shows under its diagram, as links name it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaneTab {
    Logs,
    SpaceTime,
    /// The topology's explanation (failover, conflicts, quorums).
    Explain,
    Anomalies,
}

impl PaneTab {
    pub const ALL: [PaneTab; 4] = [PaneTab::Logs, PaneTab::SpaceTime, PaneTab::Explain, PaneTab::Anomalies];
    pub fn code(self) -> &'static str {
        match self {
            PaneTab::Logs => "logs",
            PaneTab::SpaceTime => "space-time",
            PaneTab::Explain => "explain",
            PaneTab::Anomalies => "anomalies",
        }
    }
    pub fn from_code(code: &str) -> Option<PaneTab> {
        PaneTab::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// Everything a link carries.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkState {
    pub scenario: Scenario,
    /// The preset the scenario came from, and the overrides applied to it (readable links).
    pub preset: Option<String>,
    pub overrides: Vec<(String, String)>,
    pub interventions: Vec<(TopologyKind, Intervention)>,
    /// Displayed time, microseconds.
    pub time: u64,
    /// A fixed speed (simulated seconds per second); None: adaptive playback, the page's default.
    pub speed: Option<f64>,
    pub hidden: Vec<TopologyKind>,
    pub view: ViewOptions,
}

impl LinkState {
    pub fn new(scenario: Scenario) -> Self {
        LinkState {
            scenario,
            preset: None,
            overrides: Vec::new(),
            interventions: Vec::new(),
            time: 0,
            speed: None,
            hidden: Vec::new(),
            view: ViewOptions::default(),
        }
    }
}

/// The compact payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Compact {
    version: u8,
    scenario: Scenario,
    interventions: Vec<(TopologyKind, u64, String)>,
}

/// Percent-encodes everything but unreserved characters (and a few that read well in links).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b':' | b'>' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or("a % escape is cut short")?;
                let text = std::str::from_utf8(hex).map_err(|_| "a % escape is not hexadecimal")?;
                let v = u8::from_str_radix(text, 16).map_err(|_| "a % escape is not hexadecimal")?;
                out.push(v);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "not valid UTF-8 text".to_string())
}

/// A serde_json error without the "at line 1 column 80" that ends it: the position in a text
/// the person never saw says nothing.
pub fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    }
}

/// Sets one parameter of a scenario by its readable name, e.g. `lf.mode=semi_sync`. The value
/// is a JSON scalar when it reads as one (a number, `true`, `false`, `null`), text otherwise,
/// and is read by the setting's own type (`overrides.rs`): no JSON reader is involved.
pub fn apply_override(s: &mut Scenario, key: &str, value: &str) -> Result<(), String> {
    let (pane, field) = key.split_once('.').ok_or_else(|| format!("\"{}\" is not a setting", truncate(key)))?;
    let kind = TopologyKind::from_code(pane)
        .ok_or_else(|| format!("\"{}\" is not a pane ({})", truncate(pane), TopologyKind::codes_listed()))?;
    let scalar = crate::overrides::Scalar::parse(value);
    match s.topologies.set_field(kind, field, &scalar) {
        None => Err(format!("this scenario has no {} pane", kind.name())),
        Some(None) => Err(format!("{} has no setting \"{}\"", kind.name(), truncate(field))),
        Some(Some(result)) => result.map_err(|e| format!("{key}: {e}")),
    }
}

/// Writes the link fragment (without the leading `#`) for a state. Presets produce the readable
/// form when `preset_scenario` rebuilds exactly the same scenario from the name and overrides.
pub fn encode(state: &LinkState, preset_scenario: &dyn Fn(&str) -> Option<Scenario>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let readable = state.preset.as_ref().and_then(|name| {
        let mut s = preset_scenario(name)?;
        for (k, v) in &state.overrides {
            apply_override(&mut s, k, v).ok()?;
        }
        s.seed = state.scenario.seed;
        (s == state.scenario).then(|| name.clone())
    });
    match readable {
        Some(name) => {
            parts.push(format!("preset={}", percent_encode(&name)));
            parts.push(format!("seed={}", state.scenario.seed));
            for (k, v) in &state.overrides {
                parts.push(format!("{}={}", percent_encode(k), percent_encode(v)));
            }
        }
        None => {
            let compact =
                Compact { version: LINK_VERSION, scenario: state.scenario.clone(), interventions: Vec::new() };
            let bytes = postcard::to_allocvec(&compact).unwrap_or_default();
            parts.push(format!("c={}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)));
        }
    }
    for (k, i) in &state.interventions {
        parts.push(format!("i={}@{}@{}", k.code(), format_duration(i.at), percent_encode(&i.action)));
    }
    if state.time > 0 {
        parts.push(format!("t={}", format_duration(state.time)));
    }
    if let Some(speed) = state.speed {
        parts.push(format!("speed={}", trim_float(speed)));
    }
    if !state.hidden.is_empty() {
        let shown: Vec<&str> =
            state.scenario.kinds().into_iter().filter(|k| !state.hidden.contains(k)).map(TopologyKind::code).collect();
        parts.push(format!("panes={}", shown.join(",")));
    }
    let v = &state.view;
    if v.embed {
        parts.push("embed=1".into());
    }
    match v.controls {
        Controls::Full => {}
        Controls::Minimal => parts.push("controls=minimal".into()),
        Controls::None => parts.push("controls=none".into()),
    }
    if !v.narration {
        parts.push("narration=0".into());
    }
    if v.autoplay {
        parts.push("autoplay=1".into());
    }
    let tabs: Vec<String> = v
        .tabs
        .iter()
        .filter(|(k, t)| *t != PaneTab::Logs && state.scenario.kinds().contains(k))
        .map(|(k, t)| format!("{}:{}", k.code(), t.code()))
        .collect();
    if !tabs.is_empty() {
        parts.push(format!("tab={}", tabs.join(",")));
    }
    if let Some((id, step)) = &v.tour {
        parts.push(format!("tour={}&step={}", percent_encode(id), step + 1));
    }
    parts.join("&")
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads a link fragment (with or without the leading `#`). Always returns a usable state: the
/// default scenario when nothing in the link can be used. The problems say what was dropped.
pub fn decode(
    fragment: &str,
    default: &dyn Fn() -> Scenario,
    preset_scenario: &dyn Fn(&str) -> Option<Scenario>,
) -> (LinkState, Vec<String>) {
    let (state, problems, _) = decode_with_plan(fragment, default, preset_scenario);
    (state, problems)
}

/// [`decode`], and the state's scenario compiled, if it compiles. Reading a link compiles its
/// scenario to check it; the page starts its runs from that plan instead of compiling again
/// (a compile of a busy scenario is a good part of the page's first task).
pub fn decode_with_plan(
    fragment: &str,
    default: &dyn Fn() -> Scenario,
    preset_scenario: &dyn Fn(&str) -> Option<Scenario>,
) -> (LinkState, Vec<String>, Option<Plan>) {
    let (state, problems, compiled) = read_link(fragment, default, preset_scenario);
    // The last scenario compiled is the state's unless something changed it after (the seed).
    let plan = match compiled {
        Some((scenario, plan)) if scenario == state.scenario => Some(plan),
        _ => state.scenario.compile().ok(),
    };
    (state, problems, plan)
}

type Compiled = Option<(Scenario, Plan)>;

fn read_link(
    fragment: &str,
    default: &dyn Fn() -> Scenario,
    preset_scenario: &dyn Fn(&str) -> Option<Scenario>,
) -> (LinkState, Vec<String>, Compiled) {
    let mut compiled: Compiled = None;
    let mut problems = Vec::new();
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let mut state = LinkState::new(default());
    if fragment.is_empty() {
        return (state, problems, compiled);
    }
    if fragment.len() > MAX_LINK {
        problems.push(format!(
            "This link is {} characters long; links of up to {MAX_LINK} are read. The default scenario is shown instead.",
            fragment.len()
        ));
        return (state, problems, compiled);
    }
    let mut params: Vec<(String, String)> = Vec::new();
    for part in fragment.split('&').filter(|p| !p.is_empty()).take(400) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        match (percent_decode(k), percent_decode(v)) {
            (Ok(k), Ok(v)) => params.push((k, v)),
            (Err(e), _) | (_, Err(e)) => {
                problems.push(format!("Ignored a part of the link that could not be read: {e}."))
            }
        }
    }
    let get = |name: &str| params.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());

    // The scenario: compact, or a preset with overrides, or the default.
    let mut interventions_from_compact = Vec::new();
    if let Some(c) = get("c") {
        match decode_compact(c) {
            Ok(compact) => match compact.scenario.compile() {
                Ok(plan) => {
                    compiled = Some((compact.scenario.clone(), plan));
                    state.scenario = compact.scenario;
                    interventions_from_compact = compact.interventions;
                }
                Err(p) => problems.push(format!(
                    "The scenario in this link is not valid ({}); the default scenario is shown instead.",
                    first_problems(&p.to_string())
                )),
            },
            Err(e) => problems.push(format!(
                "The scenario in this link could not be read ({e}); the default scenario is shown instead."
            )),
        }
    }
    // A guided tour names its preset: `tour=quorums` alone opens it.
    let tour_preset = get("tour").and_then(crate::tours::tour).map(|t| t.preset);
    let preset_named = get("preset").or(tour_preset);
    match preset_named {
        Some(name) if get("c").is_none() => match preset_scenario(name) {
            Some(s) => {
                state.scenario = s;
                state.preset = Some(name.to_string());
            }
            None => problems.push(format!(
                "There is no preset called \"{}\"; the default scenario is shown instead.",
                truncate(name)
            )),
        },
        _ => {}
    }
    if let Some(seed) = get("seed") {
        match seed.parse::<u64>() {
            Ok(v) => state.scenario.seed = v,
            Err(_) => problems.push(format!(
                "The seed \"{}\" is not a whole number; seed {} is used.",
                truncate(seed),
                state.scenario.seed
            )),
        }
    }
    // Overrides: `lf.mode=sync` and the like, applied one by one; a bad one is dropped alone.
    let known = [
        "c",
        "preset",
        "seed",
        "i",
        "t",
        "speed",
        "panes",
        "embed",
        "controls",
        "narration",
        "autoplay",
        "tab",
        "v",
        "tour",
        "step",
    ];
    for (k, v) in &params {
        if known.contains(&k.as_str()) {
            continue;
        }
        if !k.contains('.') {
            problems.push(format!("Ignored \"{}\": not something a link can set.", truncate(k)));
            continue;
        }
        let mut trial = state.scenario.clone();
        match apply_override(&mut trial, k, v).and_then(|_| trial.compile().map_err(|p| first_problems(&p.to_string())))
        {
            Ok(plan) => {
                compiled = Some((trial.clone(), plan));
                state.scenario = trial;
                state.overrides.push((k.clone(), v.clone()));
            }
            Err(e) => problems.push(format!("Ignored the setting {}={}: {e}.", truncate(k), truncate(v))),
        }
    }
    let duration = state.scenario.duration.0;

    // Interventions.
    let kinds = state.scenario.kinds();
    let mut list: Vec<(TopologyKind, Intervention)> =
        interventions_from_compact.into_iter().map(|(k, at, action)| (k, Intervention { at, action })).collect();
    for (k, v) in params.iter().filter(|(k, _)| k == "i") {
        let _ = k;
        let mut parts = v.splitn(3, '@');
        let (Some(pane), Some(at), Some(action)) = (parts.next(), parts.next(), parts.next()) else {
            problems.push(format!("Ignored the change \"{}\": write it as pane@time@action.", truncate(v)));
            continue;
        };
        let Some(kind) = TopologyKind::from_code(pane) else {
            problems.push(format!("Ignored the change \"{}\": \"{}\" is not a pane.", truncate(v), truncate(pane)));
            continue;
        };
        match parse_duration(at) {
            Ok(at) => list.push((kind, Intervention { at: at.min(duration), action: action.to_string() })),
            Err(e) => problems.push(format!("Ignored the change \"{}\": {e}.", truncate(v))),
        }
    }
    if list.len() > MAX_INTERVENTIONS {
        problems.push(format!("This link has {} changes; the first {MAX_INTERVENTIONS} are used.", list.len()));
        list.truncate(MAX_INTERVENTIONS);
    }
    // Each intervention must parse and name things that exist; bad ones are dropped and named.
    if !list.is_empty() && !compiled.as_ref().is_some_and(|(s, _)| *s == state.scenario) {
        compiled = state.scenario.compile().ok().map(|p| (state.scenario.clone(), p));
    }
    let plan = compiled.as_ref().filter(|(s, _)| *s == state.scenario).map(|(_, p)| p);
    for (kind, i) in list {
        if !kinds.contains(&kind) {
            problems.push(format!(
                "Ignored the change \"{}\": this scenario has no {} pane.",
                truncate(&i.action),
                kind.title()
            ));
            continue;
        }
        let Some(plan) = plan else { continue };
        let mut names = plan.names.clone();
        let nodes = state.scenario.node_count(kind).unwrap_or(0);
        match crate::faults::parse_action(&i.action, &mut names) {
            Ok(a) => {
                let ok = match &a {
                    crate::faults::Action::Fault(f) => f
                        .check_endpoints(&[(kind, nodes)], plan.sessions)
                        .map_err(|e| e.replace(&format!(" in {}", kind.name()), "")),
                    crate::faults::Action::ClientOp { session, .. } => {
                        if (session.0 as usize) < plan.sessions {
                            Ok(())
                        } else {
                            Err(format!("{session} does not exist"))
                        }
                    }
                };
                match ok {
                    Ok(()) if names == plan.names => state.interventions.push((kind, i)),
                    Ok(()) => problems.push(format!(
                        "Ignored the change \"{}\": it names a key this scenario does not have.",
                        truncate(&i.action)
                    )),
                    Err(e) => problems.push(format!("Ignored the change \"{}\": {e}.", truncate(&i.action))),
                }
            }
            Err(e) => problems.push(format!("Ignored the change \"{}\": {e}.", truncate(&i.action))),
        }
    }

    if let Some(t) = get("t") {
        match parse_duration(t) {
            Ok(t) => state.time = t.min(duration),
            Err(e) => problems.push(format!("Ignored the time \"{}\": {e}.", truncate(t))),
        }
    }
    if let Some(sp) = get("speed") {
        match sp.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.01..=100.0).contains(&v) => state.speed = Some(v),
            _ => problems.push(format!("Ignored the speed \"{}\": use a number from 0.01 to 100.", truncate(sp))),
        }
    }
    if let Some(p) = get("panes") {
        let shown: Vec<TopologyKind> = p.split(',').filter_map(TopologyKind::from_code).collect();
        if shown.is_empty() {
            problems.push(format!("Ignored panes=\"{}\": name {}.", truncate(p), TopologyKind::codes_listed()));
        } else {
            state.hidden = kinds.iter().copied().filter(|k| !shown.contains(k)).collect();
        }
    }
    let flag = |name: &str, problems: &mut Vec<String>| -> Option<bool> {
        match get(name)? {
            "1" | "true" | "yes" => Some(true),
            "0" | "false" | "no" => Some(false),
            other => {
                problems.push(format!("Ignored {name}=\"{}\": use 1 or 0.", truncate(other)));
                None
            }
        }
    };
    if let Some(v) = flag("embed", &mut problems) {
        state.view.embed = v;
    }
    if let Some(v) = flag("narration", &mut problems) {
        state.view.narration = v;
    }
    if let Some(v) = flag("autoplay", &mut problems) {
        state.view.autoplay = v;
    }
    if let Some(list) = get("tab") {
        for item in list.split(',').take(TopologyKind::ALL.len() + 4) {
            let parsed =
                item.split_once(':').and_then(|(k, t)| Some((TopologyKind::from_code(k)?, PaneTab::from_code(t)?)));
            match parsed {
                Some((k, t)) if kinds.contains(&k) => {
                    state.view.tabs.retain(|(x, _)| *x != k);
                    if t != PaneTab::Logs {
                        state.view.tabs.push((k, t));
                    }
                }
                _ => problems.push(format!(
                    "Ignored tab \"{}\": write a pane of this scenario ({}) and a view (logs, space-time, explain or anomalies), as in lf:explain.",
                    truncate(item),
                    TopologyKind::codes_listed()
                )),
            }
        }
    }
    if let Some(id) = get("tour") {
        match crate::tours::tour(id) {
            None => problems
                .push(format!("There is no tour called \"{}\"; the scenario is shown without one.", truncate(id))),
            Some(t) if state.preset.as_deref() != Some(t.preset) => problems.push(format!(
                "Ignored the tour \"{}\": it follows the preset \"{}\", and this link shows another scenario.",
                truncate(id),
                t.preset
            )),
            Some(t) => {
                let n = t.steps.len() as u32;
                let step = match get("step").map(|v| v.parse::<u32>()) {
                    None => 1,
                    Some(Ok(k)) if (1..=n).contains(&k) => k,
                    Some(_) => {
                        problems.push(format!(
                            "Ignored step=\"{}\": this tour has steps 1 to {n}; it starts at step 1.",
                            truncate(get("step").unwrap_or_default())
                        ));
                        1
                    }
                };
                state.view.tour = Some((id.to_string(), step - 1));
            }
        }
    }
    if let Some(c) = get("controls") {
        state.view.controls = match c {
            "full" => Controls::Full,
            "minimal" => Controls::Minimal,
            "none" => Controls::None,
            other => {
                problems.push(format!("Ignored controls=\"{}\": use full, minimal or none.", truncate(other)));
                state.view.controls
            }
        };
    }
    (state, problems, compiled)
}

fn first_problems(text: &str) -> String {
    let lines: Vec<&str> = text.lines().take(2).collect();
    let mut s = lines.join("; ");
    if s.chars().count() > 200 {
        s = s.chars().take(200).collect::<String>() + "…";
    }
    s
}

fn decode_compact(c: &str) -> Result<Compact, String> {
    if c.len() > MAX_LINK {
        return Err("too long".into());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c.trim_end_matches('='))
        .map_err(|_| "it is not base64url text".to_string())?;
    let damaged = |_: postcard::Error| "it is damaged or from another version".to_string();
    let (version, _) = postcard::take_from_bytes::<u8>(&bytes).map_err(damaged)?;
    match version {
        LINK_VERSION => postcard::from_bytes(&bytes).map_err(damaged),
        // Version 1 wrote a caption's `when` only when it was set.
        1 => postcard::from_bytes::<v1::Compact<v1::Caption>>(&bytes)
            .map(Compact::from)
            .or_else(|_| postcard::from_bytes::<v1::Compact<Caption>>(&bytes).map(Compact::from))
            .map_err(damaged),
        v if v > LINK_VERSION => {
            Err(format!("it was made by version {v} of ReplicaScope, newer than this one (version {LINK_VERSION})"))
        }
        _ => Err(damaged(postcard::Error::DeserializeBadEncoding)),
    }
}

/// Compact links made before the single-node pane existed: the same scenario with three
/// topologies, and captions whose `when` was left out when unset. Links are shared in course
/// material and must keep opening; postcard is not self-describing, so the old shape is kept
/// here, field for field, and converted.
mod v1 {
    use crate::scenario::{FaultSpec, NetworkSpec, WorkloadSpec};
    use crate::time::Duration;
    use crate::topology::{leader_follower::LfConfig, leaderless::LlConfig, multi_leader::MlConfig};
    use crate::vocab::TopologyKind;
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Compact<C> {
        version: u8,
        scenario: Scenario<C>,
        interventions: Vec<(TopologyKind, u64, String)>,
    }

    /// A caption without a condition.
    #[derive(Deserialize)]
    pub struct Caption {
        at: Duration,
        until: Option<Duration>,
        text: String,
        pane: Option<String>,
        speed: Option<f64>,
    }

    impl From<Caption> for crate::scenario::Caption {
        fn from(c: Caption) -> Self {
            crate::scenario::Caption {
                at: c.at,
                until: c.until,
                text: c.text,
                pane: c.pane,
                speed: c.speed,
                when: None,
            }
        }
    }

    #[derive(Deserialize)]
    struct Scenario<C> {
        version: u32,
        name: String,
        description: String,
        seed: u64,
        duration: Duration,
        network: NetworkSpec,
        workload: WorkloadSpec,
        faults: Vec<FaultSpec>,
        topologies: Topologies,
        narration: Vec<C>,
    }

    #[derive(Deserialize)]
    struct Topologies {
        leader_follower: Option<LfConfig>,
        multi_leader: Option<MlConfig>,
        leaderless: Option<LlConfig>,
    }

    impl<C: Into<crate::scenario::Caption>> From<Compact<C>> for super::Compact {
        fn from(c: Compact<C>) -> Self {
            let s = c.scenario;
            let mut topologies = crate::scenario::TopologiesSpec::default();
            topologies.leader_follower = s.topologies.leader_follower;
            topologies.multi_leader = s.topologies.multi_leader;
            topologies.leaderless = s.topologies.leaderless;
            let scenario = crate::scenario::Scenario {
                version: s.version,
                name: s.name,
                description: s.description,
                seed: s.seed,
                duration: s.duration,
                network: s.network,
                workload: s.workload,
                faults: s.faults,
                topologies,
                narration: s.narration.into_iter().map(Into::into).collect(),
            };
            super::Compact { version: c.version, scenario, interventions: c.interventions }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The way overrides were applied before `overrides.rs`: through JSON. The oracle of
    /// `overrides_agree_with_json_field_by_field`.
    /// Sets one parameter of a scenario by its readable name, e.g. `lf.mode=semi_sync`.
    fn apply_override_json(s: &mut Scenario, key: &str, value: &str) -> Result<(), String> {
        use serde_json::Value;
        let (pane, field) = key.split_once('.').ok_or_else(|| format!("\"{}\" is not a setting", truncate(key)))?;
        let kind = TopologyKind::from_code(pane)
            .ok_or_else(|| format!("\"{}\" is not a pane ({})", truncate(pane), TopologyKind::codes_listed()))?;
        // Values are JSON scalars when they parse as such (numbers, booleans, null), strings otherwise.
        let parsed: Value = match serde_json::from_str::<Value>(value) {
            Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
            _ => Value::String(value.to_string()),
        };
        let mut tops = serde_json::to_value(&s.topologies).map_err(|e| e.to_string())?;
        let cfg = tops.get_mut(kind.name()).ok_or_else(|| format!("this scenario has no {} pane", kind.name()))?;
        let Value::Object(map) = cfg else {
            return Err(format!("this scenario has no {} pane", kind.name()));
        };
        if !map.contains_key(field) {
            return Err(format!("{} has no setting \"{}\"", kind.name(), truncate(field)));
        }
        map.insert(field.to_string(), parsed);
        // Read back through the text form: the page already has the text deserializer of every
        // config (presets are text), while `from_value` would add a second copy of them all.
        let updated =
            serde_json::from_str(&tops.to_string()).map_err(|e| format!("{key}: {}", without_position(&e)))?;
        s.topologies = updated;
        Ok(())
    }
    #[test]
    fn overrides_agree_with_json_field_by_field() {
        // Every field of every configured topology of every preset (and a blank scenario), set
        // to each of a bank of values, good and bad: the same scenario as the JSON way, or an
        // error from both.
        let mut scenarios: Vec<Scenario> =
            crate::presets::PRESETS.iter().map(|p| crate::presets::preset(p.id).unwrap()).collect();
        scenarios.push(Scenario::blank());
        let mut values: Vec<String> = [
            "true",
            "false",
            "null",
            "0",
            "1",
            "2",
            "3",
            "5",
            "8",
            "64",
            "-1",
            "-0",
            "2.5",
            "1e3",
            "3.0",
            "4294967295",
            "4294967296",
            "99999999999999999999",
            " 3 ",
            "abc",
            "",
            " ",
            "2s",
            "250ms",
            "0s",
            "1.5s",
            "-2s",
            "10",
            "1ms",
            "600s",
            "\"async\"",
            "Async",
            "semi-sync",
            "01",
            "1.",
            "True",
            "nope",
        ]
        .iter()
        .map(|v| v.to_string())
        .collect();
        for s in &scenarios {
            for kind in s.kinds() {
                for setting in s.topologies.settings(kind) {
                    match setting.control {
                        crate::topology::SettingControl::Choice { options, .. } => {
                            values.extend(options.iter().map(|o| o.value.to_string()))
                        }
                        crate::topology::SettingControl::Toggle { values: (on, off), .. } => {
                            values.extend([on.to_string(), off.to_string()])
                        }
                        crate::topology::SettingControl::Number { min, max, .. } => {
                            values.extend([min, max, max + 1].map(|v| v.to_string()))
                        }
                    }
                }
            }
        }
        values.sort();
        values.dedup();
        let mut checked = 0;
        for s in &scenarios {
            let tops = serde_json::to_value(&s.topologies).unwrap();
            for kind in TopologyKind::ALL {
                let mut fields: Vec<String> = tops
                    .get(kind.name())
                    .and_then(|c| c.as_object())
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                fields.extend(["nope".to_string(), String::new()]);
                for field in &fields {
                    let key = format!("{}.{field}", kind.code());
                    for v in &values {
                        let (mut a, mut b) = (s.clone(), s.clone());
                        let typed = apply_override(&mut a, &key, v);
                        let json = apply_override_json(&mut b, &key, v);
                        match (&typed, &json) {
                            (Ok(()), Ok(())) => assert_eq!(a, b, "{key}={v:?}"),
                            (Err(e), Err(_)) => {
                                assert!(!e.is_empty(), "{key}={v:?}");
                                assert_eq!(a, *s, "{key}={v:?}: an error changes nothing");
                            }
                            _ => panic!("{key}={v:?}: typed {typed:?}, JSON {json:?}"),
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 20_000, "{checked}");
        // Keys that are not settings at all.
        for key in ["mode", "xx.mode", ".mode", "lf", ""] {
            let mut a = scenarios[0].clone();
            assert!(apply_override(&mut a, key, "sync").is_err());
            assert!(apply_override_json(&mut a, key, "sync").is_err());
        }
    }

    use crate::topology::leader_follower::LfConfig;

    fn default() -> Scenario {
        let mut s = Scenario::default();
        s.topologies.leader_follower = Some(LfConfig::default());
        s
    }

    fn presets(name: &str) -> Option<Scenario> {
        (name == "demo").then(default)
    }

    #[test]
    fn readable_links_round_trip() {
        let mut st = LinkState::new(default());
        st.preset = Some("demo".into());
        st.scenario.seed = 7;
        apply_override(&mut st.scenario, "lf.mode", "semi_sync").unwrap();
        st.overrides.push(("lf.mode".into(), "semi_sync".into()));
        st.interventions
            .push((TopologyKind::LeaderFollower, Intervention { at: 3_500_000, action: "crash n2".into() }));
        st.time = 3_500_000;
        st.speed = Some(0.5);
        st.view.tabs = vec![(TopologyKind::LeaderFollower, PaneTab::Explain)];
        let link = encode(&st, &presets);
        assert_eq!(link, "preset=demo&seed=7&lf.mode=semi_sync&i=lf@3.5s@crash%20n2&t=3.5s&speed=0.5&tab=lf:explain");
        let (back, problems) = decode(&link, &default, &presets);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, st);
    }

    #[test]
    fn compact_links_round_trip_and_stay_short() {
        let mut st = LinkState::new(default());
        st.scenario.name = "My own".into();
        st.scenario.topologies.leaderless = Some(Default::default());
        st.scenario.topologies.single_node = Some(Default::default());
        // Captions with and without a condition (postcard cannot skip an unset field).
        for when in [None, Some("lf.fencing=true".to_string())] {
            st.scenario.narration.push(crate::scenario::Caption {
                at: crate::time::Duration::from_secs(1),
                until: None,
                text: "n1 crashes".into(),
                pane: Some("single_node".into()),
                speed: Some(0.5),
                when,
            });
        }
        st.scenario
            .faults
            .push(crate::scenario::FaultSpec { at: crate::time::Duration::from_secs(2), fault: "crash n1".into() });
        st.hidden = vec![TopologyKind::Leaderless];
        st.view.embed = true;
        st.view.controls = Controls::Minimal;
        let link = encode(&st, &presets);
        assert!(link.starts_with("c="), "{link}");
        assert!(link.len() < 2_000, "{} characters", link.len());
        let (back, problems) = decode(&link, &default, &presets);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, st);
    }

    /// The plan a link is read with is its final scenario's, whatever changed the scenario after
    /// it was compiled to be checked (a seed, overrides, a bad override dropped, interventions).
    #[test]
    fn the_plan_read_with_a_link_is_its_scenarios() {
        let mut st = LinkState::new(default());
        st.scenario.seed = 3;
        st.scenario.description = "custom".into();
        let compact = encode(&st, &presets);
        assert!(compact.starts_with("c="), "{compact}");
        for link in [
            String::new(),
            "preset=demo".to_string(),
            "preset=demo&seed=9".to_string(),
            "preset=demo&lf.mode=semi_sync&seed=4".to_string(),
            "preset=demo&lf.mode=semi_sync&lf.nodes=0".to_string(),
            "preset=demo&i=lf@1s@crash%20n2".to_string(),
            compact.clone(),
            format!("{compact}&seed=11"),
            format!("{compact}&lf.mode=sync&i=lf@2s@crash%20n3"),
            "c=!!!!".to_string(),
        ] {
            let (state, problems, plan) = decode_with_plan(&link, &default, &presets);
            let want = state.scenario.compile().ok();
            assert!(want.is_some(), "{link}: {problems:?}");
            assert_eq!(plan, want, "{link}");
            assert_eq!(decode(&link, &default, &presets), (state, problems), "{link}");
        }
    }

    #[test]
    fn hostile_links_give_messages_not_panics() {
        for (link, want) in [
            ("preset=nope", "no preset"),
            ("c=!!!!", "not base64url"),
            ("c=AAAA", "damaged"),
            ("seed=-4", "not a whole number"),
            ("t=forever", "time"),
            ("speed=1e9", "speed"),
            ("lf.nodes=0", "Ignored the setting"),
            ("lf.script=<img src=x onerror=alert(1)>", "no setting"),
            ("i=lf@1s@explode n1", "unknown fault"),
            ("i=xx@1s@crash n1", "not a pane"),
            ("i=lf@1s@crash n9", "does not exist"),
            ("%ZZ=1", "could not be read"),
            ("embed=maybe", "use 1 or 0"),
            ("tab=lf:nowhere", "Ignored tab"),
            ("tab=ll:explain", "Ignored tab"),
            ("tab=<b>x</b>", "Ignored tab"),
        ] {
            let (state, problems) = decode(link, &default, &presets);
            assert!(problems.iter().any(|p| p.contains(want)), "{link}: {problems:?}");
            assert!(state.scenario.compile().is_ok());
        }
        let long = "a".repeat(MAX_LINK + 1);
        let (_, problems) = decode(&long, &default, &presets);
        assert!(problems[0].contains("characters long"));
        // A wrong version is named as such.
        let compact = Compact { version: 9, scenario: default(), interventions: Vec::new() };
        let link = format!(
            "c={}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(postcard::to_allocvec(&compact).unwrap())
        );
        let (_, problems) = decode(&link, &default, &presets);
        assert!(problems[0].contains("version 9"), "{problems:?}");
    }

    /// A compact link made by the version before the single-node pane (link version 1) still
    /// opens, as the scenario it was made from.
    #[test]
    fn version_one_compact_links_still_open() {
        const V1: &str = "c=AQEYVGhyZWUgZGVzaWducywgb25lIGNyYXNoAAmAttwFAwAAAAAAAABAAAAAAAAA4D8AAQVsb2NhbAAAAAAAAAAAAAAAMzMzMzMz0z8CAAABAAAAAAAAAAA0QDMzMzMzM9M_AwAAwJaxAgKAkvQBCGNyYXNoIG4ygKToAwpyZXN0YXJ0IG4yAQMAAgGAreIEAaDCHsCNtwEAAICJegAAwJaxApBOMognAQMAAQECAgAAAMCEPegHAAABBQADAgEIAgAAAQDAhD3AmgzAhD0IAQGAkvQBAAtuMiBjcmFzaGVzLgAAAA";
        let want = Scenario::from_json(include_str!("../tests/golden/link-v1-scenario.json")).unwrap();
        let (state, problems) = decode(V1, &default, &presets);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(state.scenario, want);
        assert_eq!(state.scenario.kinds().len(), 3);
        // Re-encoded, it is a version 2 link that opens the same scenario.
        let again = encode(&state, &presets);
        assert_ne!(again, V1);
        assert_eq!(decode(&again, &default, &presets).0.scenario, want);
    }

    #[test]
    fn percent_coding_round_trips() {
        for s in ["crash n2", "partition n1,c1 | n2,n3", "c1: write x=5", "ü & = # %"] {
            assert_eq!(percent_decode(&percent_encode(s)).unwrap(), s);
        }
    }
}
