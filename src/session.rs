//! The state behind the page, without the page: the runs of each pane, the shared clock, play
//! and pause, seeking, interventions, the link that reproduces it all, narration. Plain Rust
//! over the engine, tested natively; the Yew components only draw it and forward clicks.

use crate::pace::Pace;
use replicascope_engine::page::Intervention;
use replicascope_engine::page::MsgRecord;
use replicascope_engine::page::SimTime;
use replicascope_engine::page::TopologyKind;
use replicascope_engine::page::{apply_override, decode, encode, LinkState, ViewOptions};
use replicascope_engine::page::{default_scenario, preset};
use replicascope_engine::page::{report, Report};
use replicascope_engine::page::{AnyCursor, AnyRun, PaneView};
use replicascope_engine::page::{Caption, Plan, Scenario};
use std::rc::Rc;

/// Simulated seconds per wall-clock second, on a log scale.
pub const MIN_SPEED: f64 = 0.01;
pub const MAX_SPEED: f64 = 100.0;
/// The annotations that are moments a reader must not miss, by the scrubber marker class they
/// get: the scrubber marks them and adaptive playback holds on them.
pub fn moment_class(a: &replicascope_engine::page::Annotation) -> Option<&'static str> {
    use replicascope_engine::page::Annotation;
    match a {
        Annotation::Promoted { .. } | Annotation::Elected { .. } => Some("failover"),
        Annotation::TailDiscarded { .. } => Some("loss"),
        Annotation::Conflict(_) => Some("conflict"),
        Annotation::SemiSyncFallback { .. } => Some("mode"),
        _ => None,
    }
}

/// How long (simulated) the narration keeps saying that an anomaly happened.
pub const NOTE_FOR: SimTime = 4_000_000;
/// Adaptive playback's speed while the runs are still being computed (before the pace is known).
pub const PROVISIONAL_SPEED: f64 = 0.1;

/// A command from a page that embeds us (`postMessage`): plain data, parsed and applied here so
/// that it is tested natively; `app::host` only turns the browser's message into JSON.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HostCommand {
    Play,
    Pause,
    /// Seconds of simulated time.
    Seek {
        t: f64,
    },
    /// Simulated seconds per second.
    Speed {
        speed: f64,
    },
    /// A link fragment (readable or compact), checked exactly like a link.
    Load {
        link: String,
    },
}

/// Messages longer than a link may be are refused before they are parsed.
pub const MAX_HOST_MESSAGE: usize = replicascope_engine::page::MAX_LINK + 1024;

/// Reads a message as a command. `None`: not meant for us (pages and extensions post all sorts of
/// things; ours have a string `type`); `Some(Err)`: ours, but malformed, with the reason to send
/// back.
pub fn host_command(value: &serde_json::Value) -> Option<Result<HostCommand, String>> {
    value.get("type")?.as_str()?;
    if value.get("link").and_then(|l| l.as_str()).is_some_and(|l| l.len() > MAX_HOST_MESSAGE) {
        return Some(Err(format!("link longer than {MAX_HOST_MESSAGE} bytes")));
    }
    // Through text, as `host_command_text` reads it: one deserializer for commands in the page.
    Some(
        serde_json::from_str(&value.to_string())
            .map_err(|e| format!("not a ReplicaScope command: {}", replicascope_engine::page::without_position(&e))),
    )
}

/// [`host_command`] for a message posted as text (JSON).
pub fn host_command_text(text: &str) -> Option<Result<HostCommand, String>> {
    if text.len() > MAX_HOST_MESSAGE {
        return Some(Err(format!("message longer than {MAX_HOST_MESSAGE} bytes")));
    }
    host_command(&serde_json::from_str(text).ok()?)
}

pub struct Pane {
    pub kind: TopologyKind,
    pub run: AnyRun,
    cursor: AnyCursor,
    /// What the diagram shows; replaced (never mutated) when the cursor's state changes, so
    /// components compare it by pointer.
    pub view: Rc<PaneView>,
    pub hidden: bool,
    /// Metrics and anomalies, once the run is complete.
    pub report: Option<Rc<Report>>,
    /// The cursor moved since `view` was made (views are rebuilt at most a few times a second
    /// while playing; see [`Session::tick`]).
    stale: bool,
}

impl Pane {
    fn new(kind: TopologyKind, plan: Rc<Plan>) -> Option<Pane> {
        let run = AnyRun::new(kind, plan)?;
        let cursor = run.cursor();
        let view = Rc::new(run.pane_view(&cursor)?);
        Some(Pane { kind, run, cursor, view, hidden: false, report: None, stale: false })
    }

    pub fn finished(&self) -> bool {
        self.run.finished()
    }

    /// Messages on the wire at `t`.
    pub fn in_flight(&self, t: SimTime) -> Vec<&MsgRecord> {
        self.run.trace().in_flight_at(t)
    }

    /// Whether a step changes what is drawn (see [`Session::next_event_time`]).
    fn draws(&self, step: &replicascope_engine::page::Step) -> bool {
        use replicascope_engine::page::StepKind;
        match step.kind {
            StepKind::Sample => false,
            StepKind::Timer { .. } => {
                let trace = self.run.trace();
                let t = step.time;
                let m = trace.messages.partition_point(|m| m.sent_at < t);
                let a = trace.annotations.partition_point(|n| n.time < t);
                trace.messages.get(m).is_some_and(|m| m.sent_at == t)
                    || trace.annotations.get(a).is_some_and(|n| n.time == t)
            }
            _ => true,
        }
    }

    fn seek(&mut self, t: SimTime) -> bool {
        let changed = self.seek_deferred(t);
        self.rebuild_view();
        changed
    }

    /// Moves the cursor; the view is rebuilt later by [`Pane::rebuild_view`].
    fn seek_deferred(&mut self, t: SimTime) -> bool {
        let changed = self.run.seek(&mut self.cursor, t);
        self.stale |= changed;
        changed
    }

    fn rebuild_view(&mut self) -> bool {
        if !self.stale {
            return false;
        }
        self.stale = false;
        if let Some(v) = self.run.pane_view(&self.cursor) {
            self.view = Rc::new(v);
        }
        true
    }

    fn refresh(&mut self, t: SimTime) {
        self.cursor = self.run.cursor();
        self.seek(t);
        if let Some(v) = self.run.pane_view(&self.cursor) {
            self.view = Rc::new(v);
        }
    }
}

pub struct Session {
    pub scenario: Scenario,
    pub plan: Rc<Plan>,
    pub panes: Vec<Pane>,
    /// Displayed simulated time, microseconds (fractional while animating).
    pub time: f64,
    pub playing: bool,
    /// The fixed speed (simulated seconds per second), used when `adaptive` is off.
    pub speed: f64,
    /// Adaptive playback (the default): the displayed time follows the run's [`Pace`].
    pub adaptive: bool,
    /// The pace of the runs as computed, once they all are (None while they compute, or after
    /// a change until they are again: playback then moves at [`PROVISIONAL_SPEED`]).
    pace: Option<Rc<Pace>>,
    /// Where adaptive playback is, in play-time milliseconds (see [`Pace`]).
    play_ms: f64,
    /// Where the scenario came from (a preset and its overrides), for readable links.
    pub preset: Option<String>,
    pub overrides: Vec<(String, String)>,
    pub view: ViewOptions,
    /// The caption whose speed was last applied, so that it is applied once.
    speed_caption: Option<usize>,
    /// Playback pauses here (a tour step plays to its moment and waits).
    pub(crate) stop_at: Option<SimTime>,
}

fn preset_scenario(name: &str) -> Option<Scenario> {
    preset(name)
}

impl Session {
    pub fn new(scenario: Scenario) -> Result<Session, String> {
        let plan = Rc::new(scenario.compile().map_err(|p| p.to_string())?);
        let panes = scenario.kinds().into_iter().filter_map(|k| Pane::new(k, plan.clone())).collect();
        Ok(Session {
            scenario,
            plan,
            panes,
            time: 0.0,
            playing: false,
            speed: 0.1,
            adaptive: true,
            pace: None,
            play_ms: 0.0,
            preset: None,
            overrides: Vec::new(),
            view: ViewOptions::default(),
            speed_caption: None,
            stop_at: None,
        })
    }

    /// Opens a link (the URL fragment). Always gives a working session; the second value lists
    /// what in the link could not be used.
    pub fn from_link(fragment: &str) -> (Session, Vec<String>) {
        let (mut state, mut problems) = decode(fragment, &default_scenario, &preset_scenario);
        // A tour link without a moment (`tour=quorums&step=3`) replays the tour to that step.
        let moment = fragment.trim_start_matches('#').split('&').any(|p| p.starts_with("t="));
        if let (Some((id, step)), false) = (state.view.tour.clone(), moment) {
            let mut s = Session::new(default_scenario()).expect("the default scenario is valid");
            s.view = state.view.clone();
            match s.start_tour(&id, step as usize) {
                Ok(()) => return (s, problems),
                Err(e) => {
                    problems.push(format!("The tour could not be resumed ({e})."));
                    state.view.tour = None;
                }
            }
        }
        if state.preset.is_none() && state.scenario == default_scenario() {
            // The default scenario is a preset: say so, so that its link stays readable.
            state.preset = Some(replicascope_engine::page::DEFAULT_PRESET.to_string());
        }
        match Session::from_state(state) {
            Ok((s, mut more)) => {
                problems.append(&mut more);
                (s, problems)
            }
            Err(e) => {
                problems.push(format!("The scenario could not be started ({e}); the default is shown instead."));
                let s = Session::new(default_scenario()).expect("the default scenario is valid");
                (s, problems)
            }
        }
    }

    pub fn from_state(state: LinkState) -> Result<(Session, Vec<String>), String> {
        let mut problems = Vec::new();
        let mut s = Session::new(state.scenario.clone())?;
        s.preset = state.preset.clone();
        s.overrides = state.overrides.clone();
        s.view = state.view.clone();
        match state.speed {
            Some(v) => s.choose_speed(v),
            None => s.adaptive = true,
        }
        for p in &mut s.panes {
            p.hidden = state.hidden.contains(&p.kind);
            let mine: Vec<Intervention> =
                state.interventions.iter().filter(|(k, _)| *k == p.kind).map(|(_, i)| i.clone()).collect();
            if !mine.is_empty() {
                if let Err(e) = p.run.set_interventions(&mine) {
                    problems.push(format!("Ignored the changes to the {} pane: {e}.", p.kind.title()));
                }
                // The cursor was made before the changes: start it again from the run.
                p.cursor = p.run.cursor();
            }
        }
        // Show the linked moment at once.
        let t = state.time.min(s.duration());
        s.compute_until(t);
        s.set_time(t as f64);
        if state.view.autoplay {
            s.playing = true;
        }
        Ok((s, problems))
    }

    /// Everything needed to reproduce this session.
    pub fn link_state(&self) -> LinkState {
        LinkState {
            scenario: self.scenario.clone(),
            preset: self.preset.clone(),
            overrides: self.overrides.clone(),
            interventions: self.interventions(),
            time: self.now(),
            speed: (!self.adaptive).then_some(self.speed),
            hidden: self.panes.iter().filter(|p| p.hidden).map(|p| p.kind).collect(),
            view: self.view.clone(),
        }
    }

    /// The link fragment (without `#`).
    pub fn link(&self) -> String {
        encode(&self.link_state(), &preset_scenario)
    }

    /// Starts over with another scenario, keeping the view options.
    pub fn load(&mut self, state: LinkState) -> Result<Vec<String>, String> {
        let (s, problems) = Session::from_state(state)?;
        *self = s;
        Ok(problems)
    }

    /// Changes one setting of a pane (`lf.mode`, `ll.w`, …): the run starts again at the same
    /// moment, with the same interventions where they still apply.
    /// Errors speak the settings panel's words ("Write quorum W: 9 is out of range…"), never a
    /// field path.
    pub fn set_override(&mut self, key: &str, value: &str) -> Result<Vec<String>, String> {
        let mut scenario = self.scenario.clone();
        apply_override(&mut scenario, key, value)?;
        scenario.compile().map_err(|p| {
            let said: Vec<String> = p
                .items
                .iter()
                .map(|i| match self.field_name(&i.field) {
                    Some(name) => format!("{name}: {}", i.message),
                    None if i.field.is_empty() => i.message.clone(),
                    None => format!("{}: {}", i.field, i.message),
                })
                .collect();
            said.join("; ")
        })?;
        let mut state = self.link_state();
        state.scenario = scenario;
        state.overrides.retain(|(k, _)| k != key);
        state.overrides.push((key.to_string(), value.to_string()));
        let playing = self.playing;
        let problems = self.load(state)?;
        self.playing = playing;
        Ok(problems)
    }

    /// A setting as the page names it: "Leaderless: Write quorum W" for `ll.w`; the key itself
    /// if the panel has no such setting.
    pub fn setting_name(&self, key: &str) -> String {
        let named = key.split_once('.').and_then(|(code, field)| self.label_of(TopologyKind::from_code(code)?, field));
        named.unwrap_or_else(|| key.to_string())
    }

    /// The setting a scenario problem's field path (`topologies.leaderless.w`) is about.
    fn field_name(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix("topologies.")?;
        let (name, field) = rest.split_once('.')?;
        let kind = TopologyKind::ALL.iter().copied().find(|k| k.name() == name)?;
        self.label_of(kind, field.split(['.', '[']).next()?)
    }

    /// "Leaderless: W (write quorum)": a pane's setting as the settings panel labels it.
    fn label_of(&self, kind: TopologyKind, field: &str) -> Option<String> {
        let s = self.scenario.topologies.settings(kind).into_iter().find(|s| s.field == field)?;
        Some(format!("{}: {}", kind.title(), s.label))
    }

    /// Starts over with another seed.
    pub fn reseed(&mut self, seed: u64) -> Result<(), String> {
        let mut state = self.link_state();
        state.scenario.seed = seed;
        state.time = 0;
        self.load(state).map(|_| ())
    }

    pub fn duration(&self) -> SimTime {
        self.plan.duration
    }

    pub fn now(&self) -> SimTime {
        self.time as SimTime
    }

    /// The earliest time every pane has computed up to.
    pub fn computed_until(&self) -> SimTime {
        self.panes.iter().map(|p| p.run.computed_until()).min().unwrap_or(0)
    }

    /// Every pane computed to its end and checked (an intervention can leave a run finished
    /// but its report to be made: the next [`Session::compute`] makes it).
    pub fn all_finished(&self) -> bool {
        self.panes.iter().all(|p| p.finished() && p.report.is_some())
    }

    /// Runs the engines ahead by at most `steps` events each. Returns true if any pane finished
    /// just now (its report is then available).
    pub fn compute(&mut self, steps: u64) -> bool {
        let mut newly = false;
        for p in &mut self.panes {
            if !p.run.finished() {
                p.run.advance(steps);
            }
            if p.run.finished() && p.report.is_none() {
                p.report = Some(Rc::new(report(&p.run)));
                newly = true;
            }
        }
        if self.pace.is_none() && self.all_finished() {
            let pace = Pace::new(&self.pace_input());
            self.play_ms = pace.wall_at(self.time);
            self.pace = Some(Rc::new(pace));
        }
        newly
    }

    /// The adaptive pace, once every pane is computed.
    pub fn pace(&self) -> Option<&Pace> {
        self.pace.as_deref()
    }

    /// The runs or what is shown of them changed: the pace is made again once they are computed.
    fn pace_changed(&mut self) {
        self.pace = None;
    }

    /// Shows or hides a pane (a hidden pane's messages no longer set the pace).
    pub fn set_hidden(&mut self, pane: usize, hidden: bool) {
        if let Some(p) = self.panes.get_mut(pane) {
            if p.hidden != hidden {
                p.hidden = hidden;
                self.pace_changed();
            }
        }
    }

    /// Narration on or off (captions starting are moments the pace holds on).
    pub fn set_narration(&mut self, on: bool) {
        if self.view.narration != on {
            self.view.narration = on;
            self.pace_changed();
        }
    }

    /// Simulated seconds per second at the displayed time: the fixed speed, or adaptive
    /// playback's current rate (0 while it holds on a moment).
    pub fn rate(&self) -> f64 {
        match (self.adaptive, &self.pace) {
            (false, _) => self.speed,
            (true, Some(p)) => p.rate_at(self.play_ms) / 1000.0,
            (true, None) => PROVISIONAL_SPEED,
        }
    }

    /// Computes every pane at least up to `t` (used when a link opens at a given moment).
    pub fn compute_until(&mut self, t: SimTime) {
        while self.computed_until() < t && !self.all_finished() {
            self.compute(4096);
        }
    }

    /// Advances the displayed time by `wall_ms` of real time at the current speed, never past
    /// what has been computed. The cursors move at once (messages in flight are drawn from the
    /// time alone); the node and log views follow when [`Session::refresh_views`] is called,
    /// which the page does a few times a second while playing. Returns true if a pane's state
    /// changed.
    pub fn tick(&mut self, wall_ms: f64) -> bool {
        if !self.playing {
            return false;
        }
        let limit = self.computed_until() as f64;
        let next = match (self.adaptive, &self.pace) {
            (true, Some(pace)) => {
                self.play_ms += wall_ms;
                let t = pace.time_at(self.play_ms);
                if t > limit {
                    self.play_ms = pace.wall_at(limit);
                }
                t
            }
            (true, None) => self.time + wall_ms * 1000.0 * PROVISIONAL_SPEED,
            (false, _) => self.time + wall_ms * 1000.0 * self.speed,
        }
        .min(limit);
        let next = match self.stop_at {
            Some(stop) if next >= stop as f64 => {
                self.stop_at = None;
                self.playing = false;
                self.play_ms = self.pace.as_ref().map_or(self.play_ms, |p| p.wall_at(stop as f64));
                stop as f64
            }
            _ => next,
        };
        if next >= self.duration() as f64 {
            self.playing = false;
        }
        self.time = next;
        let mut changed = false;
        for p in &mut self.panes {
            changed |= p.seek_deferred(next as SimTime);
        }
        if !self.playing {
            self.refresh_views();
        }
        self.follow_narration_speed();
        changed
    }

    /// Rebuilds the view of pane `i` if its state moved since it was last drawn (the page
    /// refreshes one pane per frame while playing, so that no frame rebuilds them all).
    pub fn refresh_view(&mut self, i: usize) -> bool {
        self.panes.get_mut(i).is_some_and(|p| p.rebuild_view())
    }

    /// Rebuilds the views of panes whose state moved since they were last drawn. Returns true
    /// if any was rebuilt.
    pub fn refresh_views(&mut self) -> bool {
        let mut any = false;
        for p in &mut self.panes {
            any |= p.rebuild_view();
        }
        any
    }

    /// Moves the displayed time (scrubbing, stepping). Returns true if a pane's state changed.
    pub fn set_time(&mut self, t: f64) -> bool {
        let t = if t.is_finite() { t.clamp(0.0, self.duration() as f64) } else { 0.0 };
        if self.stop_at.is_some_and(|s| t > s as f64) {
            // Moved past where a tour step waits: it no longer stops playback.
            self.stop_at = None;
        }
        self.time = t;
        if let Some(pace) = &self.pace {
            self.play_ms = pace.wall_at(t);
        }
        let mut changed = false;
        for p in &mut self.panes {
            changed |= p.seek(t as SimTime);
        }
        changed
    }

    /// The next moment something drawn changes in a visible pane after the displayed time: a
    /// message leaves, arrives or is lost, a client acts, a fault or change strikes, or a node
    /// notes something. Metric samples and timers that send nothing and note nothing are
    /// stepped over (they change nothing on screen).
    pub fn next_event_time(&self) -> Option<SimTime> {
        let now = self.now();
        self.panes
            .iter()
            .filter(|p| !p.hidden)
            .filter_map(|p| {
                let steps = &p.run.trace().steps;
                let i = steps.partition_point(|s| s.time <= now);
                steps.range(i, steps.len()).find(|s| p.draws(s)).map(|s| s.time)
            })
            .min()
    }

    /// The last moment something drawn changed before the displayed time.
    pub fn previous_event_time(&self) -> Option<SimTime> {
        let now = self.now();
        self.panes
            .iter()
            .filter(|p| !p.hidden)
            .filter_map(|p| {
                let steps = &p.run.trace().steps;
                let i = steps.partition_point(|s| s.time < now);
                steps.range(0, i).rev().find(|s| p.draws(s)).map(|s| s.time)
            })
            .max()
    }

    /// Starts playing, from the beginning if the run is over.
    pub fn play(&mut self) {
        if self.now() >= self.duration() {
            self.set_time(0.0);
        }
        self.playing = true;
    }

    /// Plays if paused, pauses if playing (the play button, the space bar).
    pub fn toggle_play(&mut self) {
        if self.playing {
            self.playing = false;
        } else {
            self.play();
        }
    }

    /// Pauses and moves to the next (`forward`) or the previous moment anything happens in a
    /// visible pane; stays put when there is none.
    pub fn step(&mut self, forward: bool) {
        self.playing = false;
        let t = if forward { self.next_event_time() } else { self.previous_event_time() };
        if let Some(t) = t {
            self.set_time(t as f64);
        }
    }

    /// Shows simulated time `t` (microseconds), paused, computing the runs that far first.
    pub fn seek(&mut self, t: f64) {
        self.playing = false;
        self.compute_until(t.max(0.0) as u64);
        self.set_time(t);
    }

    /// Applies a host page's command; an error leaves everything as it was. `Load` replaces the
    /// whole session, which the page does (`Session::from_link`), so it is refused here.
    pub fn apply_host(&mut self, cmd: &HostCommand) -> Result<(), String> {
        match cmd {
            HostCommand::Play => self.play(),
            HostCommand::Pause => self.playing = false,
            HostCommand::Seek { t } => {
                if !t.is_finite() || *t < 0.0 {
                    return Err(format!("seek needs a number of seconds ≥ 0, not {t}"));
                }
                self.seek((t * 1e6).min(self.duration() as f64));
            }
            HostCommand::Speed { speed } => {
                if !speed.is_finite() || *speed <= 0.0 {
                    return Err(format!(
                        "speed needs a positive number of simulated seconds per second ({MIN_SPEED} to {MAX_SPEED}), not {speed}"
                    ));
                }
                self.choose_speed(*speed);
            }
            HostCommand::Load { .. } => return Err("load replaces the session: the page handles it".into()),
        }
        Ok(())
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = if speed.is_finite() { speed.clamp(MIN_SPEED, MAX_SPEED) } else { 0.1 };
    }

    /// A person (or a host page) chose a fixed speed: adaptive playback ends.
    pub fn choose_speed(&mut self, speed: f64) {
        self.adaptive = false;
        self.set_speed(speed);
    }

    /// Faster (`factor` > 1) or slower than what plays now: from adaptive playback, the fixed
    /// speed starts from its current rate.
    pub fn scale_speed(&mut self, factor: f64) {
        let now = if self.adaptive { self.rate() } else { self.speed };
        let now = if now > 0.0 { now } else { PROVISIONAL_SPEED };
        self.choose_speed(now * factor);
    }

    /// Adaptive playback on (from where the time is) or off (at the fixed speed).
    pub fn set_adaptive(&mut self, on: bool) {
        self.adaptive = on;
        if let Some(pace) = &self.pace {
            self.play_ms = pace.wall_at(self.time);
        }
    }

    /// Records a user's action in one pane at the displayed time and recomputes from there.
    pub fn intervene(&mut self, pane: usize, action: &str) -> Result<(), String> {
        let t = self.now();
        let p = self.panes.get_mut(pane).ok_or("no such pane")?;
        p.run.intervene(t, action)?;
        p.report = None;
        self.pace = None;
        // Recompute up to the displayed moment at once, so the change shows immediately.
        while p.run.computed_until() < t && !p.run.finished() {
            p.run.advance(4096);
        }
        p.refresh(t);
        Ok(())
    }

    /// Removes one of a pane's interventions (and recomputes the pane).
    pub fn remove_intervention(&mut self, pane: usize, index: usize) -> Result<(), String> {
        let t = self.now();
        let p = self.panes.get_mut(pane).ok_or("no such pane")?;
        let mut list = p.run.interventions().to_vec();
        if index >= list.len() {
            return Err("no such change".into());
        }
        list.remove(index);
        p.run.set_interventions(&list)?;
        p.report = None;
        self.pace = None;
        while p.run.computed_until() < t && !p.run.finished() {
            p.run.advance(4096);
        }
        p.refresh(t);
        Ok(())
    }

    /// Every intervention, by pane, for links.
    pub fn interventions(&self) -> Vec<(TopologyKind, Intervention)> {
        self.panes.iter().flat_map(|p| p.run.interventions().iter().map(move |i| (p.kind, i.clone()))).collect()
    }

    pub fn pane_index(&self, kind: TopologyKind) -> Option<usize> {
        self.panes.iter().position(|p| p.kind == kind)
    }

    /// Captions showing at the displayed time (a caption lasts until `until`, or until the next
    /// caption for the same pane begins), among those whose `when` holds for the settings.
    pub fn captions(&self) -> Vec<(usize, &Caption)> {
        let now = self.now();
        let caps = &self.scenario.narration;
        // A caption about a hidden pane (or one an embed left out) is not shown.
        let hidden = |c: &Caption| c.kind().is_some_and(|k| self.panes.iter().any(|q| q.kind == k && q.hidden));
        let applies = |c: &Caption| self.scenario.caption_applies(c) && !hidden(c);
        caps.iter()
            .enumerate()
            .filter(|(_, c)| applies(c))
            .filter(|(i, c)| {
                let end = c.until.map(|u| u.0).unwrap_or_else(|| {
                    caps.iter()
                        .skip(i + 1)
                        .find(|n| n.pane == c.pane && applies(n))
                        .map(|n| n.at.0)
                        .unwrap_or(self.duration() + 1)
                });
                c.at.0 <= now && now < end
            })
            .collect()
    }

    /// What the adaptive pace is built from: every visible pane's message flights, and the
    /// moments to hold on (faults, interventions, failovers, lost tails, conflicts, semi-sync
    /// falling back, anomalies, captions starting).
    pub fn pace_input(&self) -> crate::pace::PaceInput {
        let mut flights = Vec::new();
        let mut moments: Vec<SimTime> = self.plan.faults.iter().map(|(t, _)| *t).filter(|t| *t > 0).collect();
        for p in self.panes.iter().filter(|p| !p.hidden) {
            let trace = p.run.trace();
            flights.extend(trace.messages.iter().map(|m| (m.sent_at, m.deliver_at)));
            moments.extend(p.run.interventions().iter().map(|i| i.at));
            moments.extend(trace.annotations.iter().filter(|n| moment_class(&n.annotation).is_some()).map(|n| n.time));
            if let Some(r) = &p.report {
                moments.extend(r.anomalies.iter().map(|a| a.time));
            }
        }
        if self.view.narration {
            moments.extend(self.scenario.narration.iter().filter(|c| self.scenario.caption_applies(c)).map(|c| c.at.0));
        }
        crate::pace::PaceInput { duration: self.duration(), flights, moments }
    }

    /// What went wrong in *this* run, said as it happens: for each visible pane, the first
    /// anomaly of each kind, for [`NOTE_FOR`] of simulated time after the moment it became
    /// visible. Whatever the seed or the changes made, no anomaly goes unmentioned by the
    /// narration (later ones of a kind are on the scrubber and in the Anomalies tab).
    pub fn anomaly_notes(&self) -> Vec<(usize, &replicascope_engine::page::Anomaly)> {
        let now = self.now();
        let mut out = Vec::new();
        for (i, p) in self.panes.iter().enumerate().filter(|(_, p)| !p.hidden) {
            let Some(r) = &p.report else { continue };
            let mut firsts: Vec<&replicascope_engine::page::Anomaly> = Vec::new();
            for a in &r.anomalies {
                match firsts.iter_mut().find(|f| f.kind == a.kind) {
                    Some(f) if a.time < f.time => *f = a,
                    Some(_) => {}
                    None => firsts.push(a),
                }
            }
            out.extend(firsts.into_iter().filter(|a| a.time <= now && now - a.time < NOTE_FOR).map(|a| (i, a)));
        }
        out
    }

    /// When playing into a caption that sets a speed, switch to it (once per caption).
    fn follow_narration_speed(&mut self) {
        if !self.view.narration || self.adaptive {
            return;
        }
        let hit = self.captions().into_iter().rev().find_map(|(i, c)| c.speed.map(|s| (i, s)));
        if let Some((i, speed)) = hit {
            if self.speed_caption != Some(i) {
                self.speed_caption = Some(i);
                self.set_speed(speed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replicascope_engine::page::{GeneratorSpec, Scenario};
    use replicascope_engine::topology::leader_follower::LfConfig;
    use replicascope_engine::topology::leaderless::LlConfig;
    use replicascope_engine::topology::multi_leader::MlConfig;

    fn scenario() -> Scenario {
        let mut s = Scenario::default();
        s.workload.generator = Some(GeneratorSpec { rate: 20.0, ..Default::default() });
        s.topologies.leader_follower = Some(LfConfig::default());
        s.topologies.multi_leader = Some(MlConfig::default());
        s.topologies.leaderless = Some(LlConfig::default());
        s
    }

    #[test]
    fn host_messages_not_for_us_are_ignored_and_ours_that_are_malformed_are_refused() {
        use serde_json::json;
        // Ours, well formed.
        assert_eq!(host_command_text(r#"{"type": "play"}"#), Some(Ok(HostCommand::Play)));
        assert_eq!(host_command(&json!({"type": "seek", "t": 12.5})), Some(Ok(HostCommand::Seek { t: 12.5 })));
        assert_eq!(host_command(&json!({"type": "speed", "speed": 0.5})), Some(Ok(HostCommand::Speed { speed: 0.5 })));
        // Not for us: no string type, not JSON, not an object (nothing is sent back).
        for foreign in [json!({"hello": "not for us"}), json!([1, 2]), json!("play"), json!({"type": 3}), json!(null)] {
            assert_eq!(host_command(&foreign), None, "{foreign}");
        }
        assert_eq!(host_command_text("not json at all"), None);
        // Ours, malformed: an error naming the problem.
        for bad in [
            json!({"type": "seek", "t": "soon"}),
            json!({"type": "seek"}),
            json!({"type": "seek", "t": null}),
            json!({"type": "explode"}),
            json!({"type": "seek", "t": 1, "when": "now"}),
            json!({"type": "load", "link": 42}),
            json!({"type": "load", "link": "A".repeat(MAX_HOST_MESSAGE + 1)}),
        ] {
            assert!(matches!(host_command(&bad), Some(Err(_))), "{bad}");
        }
        let huge = format!(r#"{{"type": "load", "link": "{}"}}"#, "A".repeat(MAX_HOST_MESSAGE));
        assert!(matches!(host_command_text(&huge), Some(Err(e)) if e.contains("longer")));
    }

    /// The play button, the space bar and the host's `play` share one rule (a finished run
    /// starts again from 0), and stepping pauses and moves between the moments something happens.
    #[test]
    fn play_restarts_a_finished_run_and_steps_move_between_events() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.set_time(s.duration() as f64);
        s.toggle_play();
        assert!(s.playing);
        assert_eq!(s.now(), 0, "a finished run plays again from the start");
        s.toggle_play();
        assert!(!s.playing);
        s.set_time(2_000_000.0);
        s.playing = true;
        s.step(true);
        assert!(!s.playing, "stepping pauses");
        let next = s.now();
        assert!(next > 2_000_000);
        let steps = &s.panes[0].run.trace().steps;
        assert!(steps.iter().all(|st| st.time <= 2_000_000 || st.time >= next), "no event is skipped");
        s.step(false);
        assert!(s.now() <= 2_000_000);
        s.step(false);
        assert!(s.now() < 2_000_000, "back again moves further back");
        // At the very start there is nothing before: stepping back stays.
        s.set_time(0.0);
        s.step(false);
        assert_eq!(s.now(), 0);
    }

    #[test]
    fn a_refused_host_command_changes_nothing() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.apply_host(&HostCommand::Seek { t: 3.0 }).unwrap();
        assert_eq!(s.now(), 3_000_000);
        s.apply_host(&HostCommand::Speed { speed: 2.0 }).unwrap();
        let (time, speed, playing) = (s.now(), s.speed, s.playing);
        for bad in [
            HostCommand::Seek { t: f64::NAN },
            HostCommand::Seek { t: f64::INFINITY },
            HostCommand::Seek { t: -1.0 },
            HostCommand::Speed { speed: f64::NAN },
            HostCommand::Speed { speed: f64::INFINITY },
            HostCommand::Speed { speed: 0.0 },
            HostCommand::Speed { speed: -2.0 },
            HostCommand::Load { link: "preset=split-brain".into() },
        ] {
            assert!(s.apply_host(&bad).is_err(), "{bad:?}");
            assert_eq!((s.now(), s.speed, s.playing), (time, speed, playing), "{bad:?} changed the state");
        }
        // Past the end: the end. Play at the end starts over.
        s.apply_host(&HostCommand::Seek { t: 1e9 }).unwrap();
        assert_eq!(s.now(), s.duration());
        s.apply_host(&HostCommand::Play).unwrap();
        assert!(s.playing && s.now() == 0);
        s.apply_host(&HostCommand::Pause).unwrap();
        assert!(!s.playing);
        // A hostile link through `load` gives a working session and says what was dropped.
        let (loaded, problems) = Session::from_link("preset=%3Cscript%3E&seed=-1&i=lf@1s@rm%20-rf");
        assert!(!problems.is_empty());
        assert!(!loaded.panes.is_empty());
    }

    #[test]
    fn plays_within_what_is_computed() {
        let mut s = Session::new(scenario()).unwrap();
        s.playing = true;
        s.choose_speed(1.0);
        s.tick(1000.0);
        assert_eq!(s.now(), 0, "nothing computed yet, so time cannot move");
        s.compute(u64::MAX);
        assert!(s.all_finished());
        s.tick(1000.0);
        assert_eq!(s.now(), 1_000_000);
        assert!(s.panes.iter().all(|p| p.report.is_some()));
    }

    #[test]
    fn scrubbing_back_and_forth_shows_the_same_state() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.set_time(7_300_000.0);
        let a: Vec<_> = s.panes.iter().map(|p| (*p.view).clone()).collect();
        s.set_time(15_000_000.0);
        s.set_time(1_000_000.0);
        s.set_time(7_300_000.0);
        let b: Vec<_> = s.panes.iter().map(|p| (*p.view).clone()).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn intervention_is_recorded_and_visible() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.set_time(2_000_000.0);
        s.intervene(0, "crash n2").unwrap();
        let v = &s.panes[0].view;
        assert_eq!(v.nodes[1].liveness, replicascope_engine::page::Liveness::Down);
        assert_eq!(s.interventions().len(), 1);
        assert!(s.intervene(0, "crash n9").is_err());
        assert!(s.intervene(0, "<script>").is_err());
        s.remove_intervention(0, 0).unwrap();
        assert_eq!(s.panes[0].view.nodes[1].liveness, replicascope_engine::page::Liveness::Up);
    }

    /// A crash made at 4 s on the default preset: the pane recomputes to its end in as many
    /// frames' work as the first run took (issue 18: the comparison table waited 40 s).
    #[test]
    fn an_intervention_recomputes_the_pane_to_its_end_promptly() {
        let mut s = Session::new(replicascope_engine::page::default_scenario()).unwrap();
        let mut first = 0;
        while !s.all_finished() {
            s.compute(3000);
            first += 1;
        }
        s.set_time(4_000_000.0);
        s.intervene(0, "crash n2").unwrap();
        let mut frames = 0;
        while !s.all_finished() {
            s.compute(3000);
            frames += 1;
            assert!(
                frames <= 2 * first + 5,
                "after {frames} frames pane 0 is at {} of {}",
                s.panes[0].run.computed_until(),
                s.duration()
            );
        }
        assert!(s.panes[0].report.is_some());
    }

    #[test]
    fn a_linked_intervention_shows_at_its_own_moment() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.set_time(1_000_000.0);
        s.intervene(0, "crash n2").unwrap();
        let link = s.link();
        let (t, problems) = Session::from_link(&link);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(t.now(), 1_000_000);
        assert_eq!(t.panes[0].view.nodes[1].liveness, replicascope_engine::page::Liveness::Down, "{link}");
        assert_eq!(*t.panes[0].view, *s.panes[0].view);
    }

    #[test]
    fn links_built_in_the_page_stay_short_and_reproduce_the_run() {
        let settings = [
            ("lf.mode", "semi_sync"),
            ("lf.failover", "consensus"),
            ("lf.read_routing", "sticky"),
            ("lf.fencing", "true"),
            ("lf.lease", "2s"),
            ("ml.topology", "ring"),
            ("ml.register", "siblings"),
            ("ml.counter", "pn_counter"),
            ("ml.set", "or_set"),
            ("ml.causal_delivery", "true"),
            ("ll.read_repair", "blocking"),
            ("ll.sloppy_quorum", "true"),
            ("ll.hinted_handoff", "true"),
            ("ll.anti_entropy", "5s"),
        ];
        for p in replicascope_engine::page::PRESETS {
            let (mut s, problems) = Session::from_link(&format!("preset={}", p.id));
            assert!(problems.is_empty(), "{}: {problems:?}", p.id);
            for (k, v) in settings {
                // Settings of panes the preset does not have are refused; that is fine here.
                let _ = s.set_override(k, v);
            }
            s.compute(u64::MAX);
            for i in 0..12u64 {
                s.set_time(((i + 1) * 400_000) as f64);
                let action = if i % 2 == 0 { "crash n2" } else { "restart n2" };
                s.intervene(0, action).unwrap();
            }
            s.set_time(3_300_000.0);
            let link = s.link();
            assert!(link.len() <= 2_000, "{}: {} characters: {link}", p.id, link.len());
            let (mut t, problems) = Session::from_link(&link);
            assert!(problems.is_empty(), "{}: {problems:?}", p.id);
            s.compute(u64::MAX);
            t.compute(u64::MAX);
            for (a, b) in s.panes.iter().zip(&t.panes) {
                assert_eq!(a.run.digest(), b.run.digest(), "{}: {:?}", p.id, a.kind);
            }
            assert_eq!(*s.panes[0].view, *t.panes[0].view);
        }
    }

    #[test]
    fn stepping_finds_events() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        let n = s.next_event_time().unwrap();
        s.set_time(n as f64);
        assert!(s.previous_event_time().is_none_or(|p| p < n));
    }

    /// What a reader sees at the displayed time, as data: each visible pane's view, the
    /// messages on the wire and how many notes and client events have happened.
    fn drawn(s: &Session) -> Vec<(Rc<PaneView>, Vec<u64>, usize, usize)> {
        let t = s.now();
        s.panes
            .iter()
            .filter(|p| !p.hidden)
            .map(|p| {
                let trace = p.run.trace();
                let flying = p.in_flight(t).iter().map(|m| u64::from(m.id)).collect();
                let notes = trace.annotations.partition_point(|n| n.time <= t);
                use replicascope_engine::page::HistEvent;
                let hist = trace
                    .hist
                    .iter()
                    .filter(|e| match e {
                        HistEvent::Invoked { at, .. } | HistEvent::Completed { at, .. } => *at <= t,
                        _ => false,
                    })
                    .count();
                (p.view.clone(), flying, notes, hist)
            })
            .collect()
    }

    #[test]
    fn each_step_changes_what_is_drawn() {
        for id in ["two-am-failover", "quorum-math", "shopping-cart", "split-brain"] {
            let (mut s, _) = Session::from_link(&format!("preset={id}"));
            s.compute(u64::MAX);
            let mut before = drawn(&s);
            let mut samples_skipped = 0;
            for _ in 0..300 {
                let from = s.now();
                s.step(true);
                if s.now() == from {
                    break;
                }
                // Only metric samples or silent timers lay between: nothing drawn changed there.
                samples_skipped += s
                    .panes
                    .iter()
                    .filter(|p| !p.hidden)
                    .map(|p| {
                        let st = &p.run.trace().steps;
                        st.iter().filter(|x| x.time > from && x.time < s.now()).count()
                    })
                    .sum::<usize>();
                let after = drawn(&s);
                assert_ne!(before, after, "{id}: stepping to {} µs changed nothing drawn", s.now());
                before = after;
            }
            assert!(samples_skipped > 0, "{id}: no step was skipped, so the test proves nothing");
            // And back: each step back lands on a moment that differs from the one after it.
            for _ in 0..50 {
                let from = s.now();
                s.step(false);
                if s.now() == from {
                    break;
                }
                let here = drawn(&s);
                assert_ne!(before, here, "{id}: stepping back to {} µs changed nothing drawn", s.now());
                before = here;
            }
        }
    }

    #[test]
    fn a_link_reproduces_the_run_at_the_same_moment() {
        let (mut a, problems) = Session::from_link("preset=split-brain&seed=9");
        assert!(problems.is_empty(), "{problems:?}");
        a.compute(u64::MAX);
        a.set_time(6_000_000.0);
        a.intervene(0, "crash n3").unwrap();
        a.set_override("lf.fencing", "true").unwrap();
        a.compute(u64::MAX);
        a.set_time(9_500_000.0);
        let link = a.link();
        assert!(link.starts_with("preset=split-brain&seed=9&lf.fencing=true&i=lf@6s@crash%20n3"), "{link}");
        let (mut b, problems) = Session::from_link(&link);
        assert!(problems.is_empty(), "{problems:?}");
        b.compute(u64::MAX);
        for (x, y) in a.panes.iter().zip(&b.panes) {
            assert_eq!(x.run.digest(), y.run.digest(), "{:?}", x.kind);
            assert_eq!(*x.view, *y.view, "{:?} at the linked moment", x.kind);
        }
        assert_eq!(b.now(), 9_500_000);
    }

    #[test]
    fn hostile_links_open_the_default_with_a_message() {
        let (s, problems) = Session::from_link("c=%3Cscript%3Ealert(1)%3C%2Fscript%3E&t=banana");
        assert!(problems.len() >= 2, "{problems:?}");
        assert_eq!(s.scenario, default_scenario());
    }

    #[test]
    fn narration_follows_the_clock_and_sets_the_speed() {
        // At a fixed speed, a caption with a speed sets it.
        let (mut s, _) = Session::from_link("preset=two-am-failover&speed=0.1");
        s.compute(u64::MAX);
        s.set_time(10_500_000.0);
        let caps: Vec<String> = s.captions().iter().map(|(_, c)| c.text.clone()).collect();
        assert!(caps.iter().any(|t| t.contains("loses power")), "{caps:?}");
        s.playing = true;
        s.tick(1.0);
        assert!((s.speed - 0.5).abs() < 1e-9, "the caption slowed playback to {}", s.speed);
        // Adaptive playback paces itself (it holds on the caption instead).
        let (mut s, _) = Session::from_link("preset=two-am-failover");
        s.compute(u64::MAX);
        s.set_time(10_500_000.0);
        s.playing = true;
        s.tick(1.0);
        assert!(s.adaptive);
        assert_eq!(s.speed, 0.1);
    }
}

/// Refusals speak the settings panel's words.
#[cfg(test)]
mod words {
    use super::*;

    #[test]
    fn captions_about_a_hidden_pane_are_not_shown() {
        let (mut s, _) = Session::from_link("preset=two-am-failover&t=12.5s");
        let about = |s: &Session, name: &str| s.captions().iter().any(|(_, c)| c.pane.as_deref() == Some(name));
        assert!(about(&s, "leaderless"), "{:?}", s.captions());
        let ll = s.pane_index(TopologyKind::Leaderless).unwrap();
        s.set_hidden(ll, true);
        assert!(!about(&s, "leaderless"));
        assert!(about(&s, "leader_follower"));
        let (embed, _) = Session::from_link("preset=two-am-failover&t=12.5s&embed=1&panes=lf,ml");
        assert!(!about(&embed, "leaderless"));
    }

    #[test]
    fn a_refused_setting_is_named_as_the_panel_names_it() {
        let (mut s, _) = Session::from_link("preset=two-am-failover");
        let e = s.set_override("ll.w", "9").unwrap_err();
        assert!(!e.contains("topologies."), "{e}");
        assert!(e.starts_with("Leaderless: "), "{e}");
        assert!(e.contains("9 is out of range"), "{e}");
        assert_eq!(s.setting_name("lf.fencing"), "Leader-follower: Fencing (STONITH)");
        assert_eq!(s.setting_name("zz.nothing"), "zz.nothing");
    }
}

/// The narration mentions every kind of anomaly a run produces, when it happens, whatever the
/// seed: the first of each kind in each pane is noted at its moment and for a while after.
#[cfg(test)]
mod anomaly_notes {
    use super::*;

    #[test]
    fn every_kind_of_anomaly_in_every_preset_is_noted_when_it_happens() {
        let mut noted = 0;
        for p in replicascope_engine::page::PRESETS.iter() {
            for seed in [1, 2, 3] {
                let mut scenario = preset(p.id).unwrap();
                scenario.seed = seed;
                let mut s = Session::new(scenario).unwrap();
                while !s.all_finished() {
                    s.compute(100_000);
                }
                let firsts: Vec<(usize, replicascope_engine::page::AnomalyKind, u64)> = s
                    .panes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| p.report.as_ref().map(|r| (i, r.clone())))
                    .flat_map(|(i, r)| {
                        let mut kinds: Vec<_> = r.anomalies.iter().map(|a| a.kind).collect();
                        kinds.dedup();
                        kinds
                            .into_iter()
                            .map(|k| (i, k, r.anomalies.iter().filter(|a| a.kind == k).map(|a| a.time).min().unwrap()))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                for (i, kind, t) in firsts {
                    for at in [t, t + NOTE_FOR - 1] {
                        s.set_time(at.min(s.duration()) as f64);
                        assert!(
                            s.anomaly_notes().iter().any(|(j, a)| *j == i && a.kind == kind && a.time == t),
                            "{} seed {seed}: {kind:?} in pane {i} at {t} not noted at {at}",
                            p.id
                        );
                    }
                    s.set_time(t.saturating_sub(1) as f64);
                    assert!(
                        !s.anomaly_notes().iter().any(|(j, a)| *j == i && a.kind == kind && a.time == t),
                        "noted before it happened"
                    );
                    noted += 1;
                }
            }
        }
        assert!(noted > 50, "{noted} anomaly kinds noted across the presets");
    }
}

/// Adaptive playback over every preset, as a learner meets it: the figures the issue sets.
#[cfg(test)]
mod adaptive_playback {
    use super::*;

    const FRAME_MS: f64 = 1000.0 / 60.0;

    fn computed(id: &str) -> Session {
        let mut s = Session::new(preset(id).unwrap()).unwrap();
        s.preset = Some(id.to_string());
        while !s.all_finished() {
            s.compute(100_000);
        }
        s
    }

    /// Every preset plays in at most two minutes (a 45 s one included), and while it plays at
    /// least 80 % of the frames (at 60 per second) show a message on the wire. Run with
    /// `--nocapture` for the figures.
    #[test]
    fn every_preset_plays_within_two_minutes_with_messages_in_most_frames() {
        for p in replicascope_engine::page::PRESETS.iter() {
            let mut s = computed(p.id);
            let pace = s.pace().expect("the pace is made once the runs are computed").clone();
            let (mut frames, mut seen) = (0u32, 0u32);
            s.play();
            while s.playing {
                s.tick(FRAME_MS);
                frames += 1;
                seen += u32::from(s.panes.iter().any(|p| !p.in_flight(s.now()).is_empty()));
                assert!(frames < 200 * 60, "{}: still playing after 200 s", p.id);
            }
            let played_s = frames as f64 / 60.0;
            let share = seen as f64 / frames as f64;
            println!(
                "{:28} {:>3} s plays in {:>5.1} s; frames with a message {:>3.0} %; flight {:>4.0} ms, near a moment {:>4.0} ms; holding {:>4.1} s, quiet {:>4.1} s",
                p.id,
                s.duration() / 1_000_000,
                played_s,
                share * 100.0,
                pace.flight_ms,
                pace.focus_ms,
                pace.spent.holding / 1000.0,
                pace.spent.quiet / 1000.0,
            );
            assert!(played_s <= 120.0, "{}: plays for {played_s:.1} s", p.id);
            assert!((played_s - pace.total_ms() / 1000.0).abs() < 0.1, "{}: the pace's length is what plays", p.id);
            assert!(share >= 0.8, "{}: {:.0} % of frames show a message", p.id, share * 100.0);
            assert_eq!(s.now(), s.duration(), "{}: played to the end", p.id);
        }
    }

    /// The same run plays the same way whatever the frame rate: the displayed time is a function
    /// of the play time alone.
    #[test]
    fn playback_does_not_depend_on_the_frame_rate() {
        let mut a = computed("two-am-failover");
        let mut b = computed("two-am-failover");
        a.play();
        b.play();
        for i in 0..3_000 {
            a.tick(FRAME_MS);
            // b: uneven frames (a slow machine), meeting a every 6 frames.
            b.tick([5.0, 30.0, 10.0, 25.0, 15.0, 15.0][i % 6] * FRAME_MS / 16.666_666_666_666_668);
            if i % 6 == 5 {
                assert!((a.time - b.time).abs() < 1.0, "frame {i}: {} vs {}", a.time, b.time);
            }
        }
        assert!(a.time > 5_000_000.0, "played to {}", a.time);
    }

    /// The time holds on each fault of the script, slows near it, and runs through quiet time
    /// faster than real time.
    #[test]
    fn the_time_holds_on_faults_and_runs_through_quiet_stretches() {
        let mut s = computed("two-am-failover");
        let pace = s.pace().unwrap().clone();
        let faults: Vec<u64> = s.plan.faults.iter().map(|(t, _)| *t).filter(|t| *t > 0).collect();
        assert!(!faults.is_empty());
        for t in faults {
            let w = pace.wall_at(t as f64);
            assert_eq!(pace.time_at(w + 300.0), t as f64, "holds 300 ms at the fault at {t}");
            assert_eq!(pace.rate_at(w + 300.0), 0.0);
            s.set_time(t as f64);
            s.playing = true;
            s.tick(300.0);
            assert_eq!(s.now(), t, "the session holds too");
            assert_eq!(s.rate(), 0.0);
        }
        // Somewhere the displayed time moves faster than real time (a quiet stretch), and
        // somewhere slower than a tenth of it (messages in flight).
        let rates: Vec<f64> =
            (0..(pace.total_ms() as u64 / 50)).map(|i| pace.rate_at(i as f64 * 50.0) / 1000.0).collect();
        assert!(rates.iter().any(|r| *r >= QUIET_RATE), "no quiet stretch ran through");
        assert!(rates.iter().any(|r| *r > 0.0 && *r < 0.1), "nothing slowed down");
    }
    const QUIET_RATE: f64 = crate::pace::QUIET_SPEED;

    /// Adaptive is the default and is what a link without a speed means; a speed in a link, from
    /// the slider, the keys or a host page is a fixed speed; links round-trip either way.
    #[test]
    fn adaptive_is_the_default_and_a_chosen_speed_is_fixed() {
        let (s, problems) = Session::from_link("preset=split-brain");
        assert!(problems.is_empty(), "{problems:?}");
        assert!(s.adaptive);
        assert!(!s.link().contains("speed"), "{}", s.link());
        let (mut s, _) = Session::from_link("preset=split-brain&speed=0.5");
        assert!(!s.adaptive);
        assert_eq!(s.speed, 0.5);
        assert!(s.link().contains("speed=0.5"), "{}", s.link());
        s.set_adaptive(true);
        assert!(!s.link().contains("speed"));
        let (again, _) = Session::from_link(&s.link());
        assert!(again.adaptive);
        // From adaptive, "faster" starts from the rate playing now.
        let mut s = computed("split-brain");
        s.play();
        s.tick(100.0);
        let now = s.rate();
        s.scale_speed(2.0);
        assert!(!s.adaptive);
        assert!((s.speed - (now * 2.0).clamp(MIN_SPEED, MAX_SPEED)).abs() < 1e-9, "{now} -> {}", s.speed);
        // A host page's speed is fixed.
        let mut s = computed("split-brain");
        s.apply_host(&HostCommand::Speed { speed: 2.0 }).unwrap();
        assert!(!s.adaptive);
        assert_eq!(s.rate(), 2.0);
    }

    /// A change to a run (an intervention) or to what is shown (a pane hidden) makes the pace
    /// again from the new runs; until then playback moves at the provisional speed.
    #[test]
    fn the_pace_follows_changes_to_the_runs() {
        let mut s = computed("two-am-failover");
        let before = s.pace().unwrap().clone();
        s.set_time(2_000_000.0);
        s.intervene(0, "crash n2").unwrap();
        assert!(s.pace().is_none());
        assert_eq!(s.rate(), PROVISIONAL_SPEED);
        while !s.all_finished() {
            s.compute(100_000);
        }
        let after = s.pace().unwrap().clone();
        assert_ne!(before, after);
        // The intervention is a moment held on.
        let w = after.wall_at(2_000_000.0);
        assert_eq!(after.time_at(w + 100.0), 2_000_000.0);
        s.set_hidden(1, true);
        assert!(s.pace().is_none());
        s.compute(1);
        assert!(s.pace().is_some());
        assert_ne!(s.pace().unwrap(), &after);
    }
}
