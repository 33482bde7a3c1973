//! Scenario files: the inputs of a run, as people write them (JSON, or a link).
//!
//! A scenario names the network, the workload, the fault script and the topologies to run
//! side by side. Operations and faults are written as short phrases (`"write x=5"`,
//! `"partition n1,c1 | n2,n3"`) that read well in a file or a URL; [`Scenario::compile`]
//! validates everything and turns the phrases into typed values (a [`Plan`]). Every problem is
//! reported with the field's path and the allowed range, and nothing here can panic on any
//! input: a scenario is untrusted.
//!
//! Bounds (documented in the README): at most 16 nodes per topology, 32 client sessions,
//! 100,000 client operations, 1,000 fault-script entries, 10 simulated minutes, 64 names.

use crate::dist::Dist;
use crate::faults::{parse_fault, Fault};
use crate::model::{ClientId, ClientOp, ConsistencyLevel, NodeId, Op, OpId, Sym};
use crate::network::NetworkPlan;
use crate::rng::{SimRng, Stream};
use crate::time::{Duration, SimTime, MICROS_PER_S};
use crate::topology::Topology;
use crate::validate::{join, Problems, Validate};
use crate::vocab::topologies;
use crate::vocab::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SCENARIO_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub version: u32,
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub duration: Duration,
    pub network: NetworkSpec,
    pub workload: WorkloadSpec,
    pub faults: Vec<FaultSpec>,
    pub topologies: TopologiesSpec,
    pub narration: Vec<Caption>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            version: SCENARIO_VERSION,
            name: String::new(),
            description: String::new(),
            seed: 1,
            duration: Duration::from_secs(20),
            network: NetworkSpec::default(),
            workload: WorkloadSpec::default(),
            faults: Vec::new(),
            topologies: TopologiesSpec::default(),
            narration: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way latency of a link between two endpoints in the same region.
    pub latency: Dist,
    /// Latency between a client and a node in its region (defaults to `latency`).
    pub client_latency: Option<Dist>,
    /// Region names. Known names (us-east, us-west, eu-west, ap-northeast, ap-south) come with
    /// realistic one-way latencies; others need `region_latency_ms`.
    pub regions: Vec<String>,
    /// Extra one-way latency between regions, milliseconds, `[from][to]`.
    pub region_latency_ms: Vec<Vec<f64>>,
    /// Per message kind, a distribution replacing `latency` (cross-region cost still added).
    pub by_kind: BTreeMap<String, Dist>,
    /// Probability that any message is lost.
    pub drop: f64,
    /// Time for one durable write (fsync) on a node's disk.
    pub disk: Dist,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            latency: Dist::LogNormal { median_ms: 2.0, sigma: 0.5 },
            client_latency: None,
            regions: vec!["local".into()],
            region_latency_ms: Vec::new(),
            by_kind: BTreeMap::new(),
            drop: 0.0,
            disk: Dist::Constant { ms: 0.3 },
        }
    }
}

/// One-way latencies between well-known cloud regions, milliseconds (about half the round
/// trips quoted in the lessons: US↔EU 80 ms, Tokyo↔Virginia 150 ms, India↔US 200 ms).
const KNOWN_REGIONS: [&str; 5] = ["us-east", "us-west", "eu-west", "ap-northeast", "ap-south"];
const KNOWN_ONE_WAY_MS: [[f64; 5]; 5] = [
    [0.0, 32.0, 40.0, 75.0, 100.0],
    [32.0, 0.0, 70.0, 50.0, 110.0],
    [40.0, 70.0, 0.0, 110.0, 60.0],
    [75.0, 50.0, 110.0, 0.0, 60.0],
    [100.0, 110.0, 60.0, 60.0, 0.0],
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Number of client sessions (c1, c2, …).
    pub sessions: u32,
    /// Region of each session (defaults to the first region).
    pub session_regions: Vec<String>,
    /// Operations at fixed times.
    pub script: Vec<ScriptOp>,
    /// Generated operations.
    pub generator: Option<GeneratorSpec>,
    /// A client gives up on an operation after this long.
    pub timeout: Duration,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec {
            sessions: 2,
            session_regions: Vec::new(),
            script: Vec::new(),
            generator: None,
            timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptOp {
    pub at: Duration,
    pub session: String,
    /// `"read x"`, `"write x=5"`, `"incr likes 2"`, `"add cart milk"`, `"remove cart milk"`,
    /// `"insert orders"`, `"bulk x=5 rows=100000"`, `"delete_all"`.
    pub op: String,
    /// Leaderless consistency level for this operation: one, two, quorum, all, local_quorum,
    /// each_quorum.
    #[serde(default)]
    pub cl: Option<String>,
    /// Send the request to this node: `"n2"` (coordinator, leader, or follower to read from).
    #[serde(default)]
    pub via: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorSpec {
    pub start: Duration,
    /// Defaults to the scenario's duration.
    pub stop: Option<Duration>,
    /// Operations per second over all sessions.
    pub rate: f64,
    /// Fraction of operations that are reads.
    pub read_fraction: f64,
    /// Number of keys (named k0, k1, …).
    pub keys: u32,
    pub key_distribution: KeyDistribution,
    /// What writes do: set a register, increment a counter, add to a set.
    pub data: DataKind,
}

impl Default for GeneratorSpec {
    fn default() -> Self {
        GeneratorSpec {
            start: Duration::ZERO,
            stop: None,
            rate: 10.0,
            read_fraction: 0.5,
            keys: 4,
            key_distribution: KeyDistribution::Uniform,
            data: DataKind::Register,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyDistribution {
    Uniform,
    /// Zipf with exponent `s` (1.0 is classic; larger is more skewed).
    Zipf {
        s: f64,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    Register,
    Counter,
    Set,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub at: Duration,
    /// `"crash n1"`, `"restart n1"`, `"pause n2 3s"`, `"partition n1,c1 | n2,n3,c2"`,
    /// `"cut n1 -> n2"`, `"heal"`, `"skew n2 +500ms"`, `"drift n2 +200ppm"`,
    /// `"slow_link n1 -> n3 +200ms"`, `"slow_disk n2 x20"`, `"drop_rate 0.1"`,
    /// `"promote n3"`, `"backup"`, `"restore"`, `"repair_topology"`.
    pub fault: String,
}

/// `TopologiesSpec`, with a field per row of the registry (`vocab::topologies!`).
macro_rules! define_topologies_spec {
    ($($kind:ident, $module:ident, $code:literal, $title:literal;)*) => {
        /// The topologies a scenario runs side by side, each with its settings; a field per
        /// topology, named as the topology is (`leader_follower`).
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct TopologiesSpec {
            $(pub $module: Option<<crate::topology::$module::$kind as Topology>::Config>,)*
        }

        impl TopologiesSpec {
            /// The topologies configured, in display order.
            pub fn kinds(&self) -> Vec<TopologyKind> {
                let mut kinds = Vec::new();
                $(if self.$module.is_some() {
                    kinds.push(TopologyKind::$kind);
                })*
                kinds
            }

            /// Nodes of a configured topology.
            pub fn node_count(&self, kind: TopologyKind) -> Option<usize> {
                match kind {
                    $(TopologyKind::$kind => {
                        self.$module.as_ref().map(<crate::topology::$module::$kind as Topology>::node_count)
                    })*
                }
            }

            /// Each node's region of a configured topology.
            pub fn node_regions(&self, kind: TopologyKind, regions: &[String]) -> Option<Vec<usize>> {
                match kind {
                    $(TopologyKind::$kind => self.$module.as_ref().map(|c| {
                        <crate::topology::$module::$kind as Topology>::node_regions(c, regions)
                    }),)*
                }
            }

            /// The one-line summary of a configured topology.
            pub fn summary(&self, kind: TopologyKind) -> Option<String> {
                match kind {
                    $(TopologyKind::$kind => self.$module.as_ref().map(<crate::topology::$module::$kind as Topology>::summary),)*
                }
            }

            /// The settings the page offers for a configured topology.
            pub fn settings(&self, kind: TopologyKind) -> Vec<crate::topology::Setting> {
                match kind {
                    $(TopologyKind::$kind => self
                        .$module
                        .as_ref()
                        .map(<crate::topology::$module::$kind as Topology>::settings)
                        .unwrap_or_default(),)*
                }
            }

            /// What a topology's explanation tab shows, if it has one.
            pub fn explain(kind: TopologyKind) -> Option<crate::topology::Explain> {
                match kind {
                    $(TopologyKind::$kind => <crate::topology::$module::$kind as Topology>::EXPLAIN,)*
                }
            }

            /// Validates each configured topology and its placement.
            fn validate_each(&self, regions: &[String], p: &mut Problems) {
                $(if let Some(config) = &self.$module {
                    let path = concat!("topologies.", stringify!($module));
                    config.validate(path, p);
                    let (placement, count) = <crate::topology::$module::$kind as Topology>::placement(config);
                    check_placement(p, &join(path, "placement"), placement, count, regions);
                })*
            }
        }
    };
}
topologies!(define_topologies_spec);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caption {
    pub at: Duration,
    #[serde(default)]
    pub until: Option<Duration>,
    pub text: String,
    /// Which pane it is about: leader_follower, multi_leader, leaderless, single_node (all if absent).
    #[serde(default)]
    pub pane: Option<String>,
    /// Playback speed to switch to when the caption appears (simulated seconds per second).
    #[serde(default)]
    pub speed: Option<f64>,
    /// Shown only while a setting has a value: `"lf.fencing=true"`, `"ll.versioning!=lww"`. A
    /// caption about what fencing does is then never shown with fencing off. (Always written,
    /// even as `null`: compact links are postcard, which cannot skip a field.)
    #[serde(default)]
    pub when: Option<String>,
}

impl Scenario {
    /// The current value of a setting (`lf.fencing`) as link text (`true`, `async`, `2s`).
    pub fn setting(&self, key: &str) -> Option<String> {
        let (pane, field) = key.split_once('.')?;
        let kind = TopologyKind::from_code(pane)?;
        let tops = serde_json::to_value(&self.topologies).ok()?;
        let v = tops.get(kind.name())?.get(field)?;
        Some(match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// Whether a caption's `when` holds for this scenario's settings (no `when`: always).
    pub fn caption_applies(&self, c: &Caption) -> bool {
        match c.when.as_deref().map(parse_condition) {
            None => true,
            Some(Ok((key, negated, value))) => (self.setting(key).as_deref() == Some(value)) != negated,
            Some(Err(_)) => false,
        }
    }
}

/// `"lf.fencing=true"` → (`lf.fencing`, false, `true`); `"a!=b"` → (`a`, true, `b`).
fn parse_condition(s: &str) -> Result<(&str, bool, &str), String> {
    let (key, negated, value) = match s.split_once("!=") {
        Some((k, v)) => (k, true, v),
        None => {
            let (k, v) = s.split_once('=').ok_or("write a condition as \"lf.fencing=true\" or \"ll.w!=1\"")?;
            (k, false, v)
        }
    };
    Ok((key.trim(), negated, value.trim()))
}

/// A validated scenario, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub seed: u64,
    pub duration: SimTime,
    pub names: Names,
    pub sessions: usize,
    pub session_region: Vec<usize>,
    pub ops: Vec<ScheduledOp>,
    pub faults: Vec<(SimTime, Fault)>,
    pub network: NetworkPlan,
    pub timeout: u64,
    pub topologies: TopologiesSpec,
}

/// The path (`workload.script[0].at`) of the JSON value at a 1-based line and column, as far
/// as the text up to there shows it: found by scanning brackets, keys and commas, so that
/// errors name the field without a path-tracking deserializer (which costs the page tens of KB
/// of code monomorphised per type).
pub fn json_path_at(text: &str, line: usize, column: usize) -> String {
    enum Frame {
        Object { key: Option<String>, expecting_key: bool },
        Array { index: usize },
    }
    // Byte offset of the position: serde_json counts columns in bytes.
    let mut offset = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            offset += column.min(l.len());
            break;
        }
        offset += l.len();
    }
    let bytes = &text.as_bytes()[..offset.min(text.len())];
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(Frame::Object { key: None, expecting_key: true }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, expecting_key }) = stack.last_mut() {
                    if *expecting_key {
                        let end = i.min(bytes.len());
                        *key = Some(String::from_utf8_lossy(&bytes[start..end]).into_owned());
                        *expecting_key = false;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

impl Scenario {
    /// Parses JSON, naming the field of any problem.
    pub fn from_json(text: &str) -> Result<Scenario, Problems> {
        if text.len() > 4 * 1024 * 1024 {
            let mut p = Problems::default();
            p.push("", "scenario file is larger than 4 MB");
            return Err(p);
        }
        if let Some(first) = text.trim_start().chars().next().filter(|c| *c != '{') {
            let line = text[..text.len() - text.trim_start().len()].matches('\n').count() + 1;
            let mut p = Problems::default();
            p.push(
                "",
                format!("line {line}: a scenario is a JSON object ({{ … }}), not a value starting with {first:?}"),
            );
            return Err(p);
        }
        serde_json::from_str(text).map_err(|e| {
            let mut p = Problems::default();
            let message = e.to_string();
            // serde_json ends its message with the position. For a value of the wrong shape the
            // field's path says more; for broken syntax the position is what helps.
            let message = match message.rfind(" at line ") {
                Some(cut) if e.classify() == serde_json::error::Category::Data && e.line() > 0 => {
                    message[..cut].to_string()
                }
                _ => message,
            };
            p.push(json_path_at(text, e.line(), e.column()), message);
            p
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The topologies this scenario runs, in display order.
    pub fn kinds(&self) -> Vec<TopologyKind> {
        self.topologies.kinds()
    }

    pub fn node_count(&self, kind: TopologyKind) -> Option<usize> {
        self.topologies.node_count(kind)
    }

    /// Validates everything and produces the plan the engine runs.
    pub fn compile(&self) -> Result<Plan, Problems> {
        let mut p = Problems::default();
        if self.version != SCENARIO_VERSION {
            p.push(
                "version",
                format!("version {} is not supported; this build reads version {SCENARIO_VERSION}", self.version),
            );
            return Err(p);
        }
        text_field(&mut p, "name", &self.name, 120);
        text_field(&mut p, "description", &self.description, MAX_TEXT);
        p.range_duration("duration", self.duration.0, 1_000, MAX_DURATION);
        let duration = self.duration.0.clamp(1_000, MAX_DURATION);

        // Regions and the network.
        let network = self.compile_network(&mut p);
        let region_index = |name: &str| network.region_names.iter().position(|r| r == name);

        // Topologies.
        let kinds = self.kinds();
        if kinds.is_empty() {
            p.push("topologies", format!("name at least one of {}", TopologyKind::names_listed()));
        }
        let t = &self.topologies;
        t.validate_each(&network.region_names, &mut p);
        let node_counts: Vec<(TopologyKind, usize)> =
            kinds.iter().filter_map(|k| self.node_count(*k).map(|n| (*k, n))).collect();

        let min_nodes = kinds.iter().filter_map(|k| self.node_count(*k)).min().unwrap_or(0);

        // Sessions.
        let w = &self.workload;
        p.range_u64("workload.sessions", w.sessions as u64, 1, MAX_SESSIONS as u64);
        let sessions = (w.sessions as usize).clamp(1, MAX_SESSIONS);
        let mut session_region = vec![0; sessions];
        if !w.session_regions.is_empty() {
            if w.session_regions.len() != sessions {
                p.push(
                    "workload.session_regions",
                    format!(
                        "names {} regions for {} sessions; give one per session",
                        w.session_regions.len(),
                        sessions
                    ),
                );
            }
            for (i, r) in w.session_regions.iter().enumerate().take(sessions) {
                match region_index(r) {
                    Some(ri) => session_region[i] = ri,
                    None => p.push(format!("workload.session_regions[{i}]"), unknown_region(r, &network.region_names)),
                }
            }
        }
        p.range_duration("workload.timeout", w.timeout.0, 1_000, 120 * MICROS_PER_S);

        // Operations.
        let mut names = Names::default();
        let mut ops: Vec<(SimTime, ClientId, Op, Option<ConsistencyLevel>)> = Vec::new();
        let mut vias: std::collections::BTreeMap<usize, NodeId> = std::collections::BTreeMap::new();
        if w.script.len() as u64 > MAX_OPS {
            p.push("workload.script", format!("{} operations; at most {MAX_OPS}", w.script.len()));
        } else {
            for (i, s) in w.script.iter().enumerate() {
                let path = format!("workload.script[{i}]");
                if s.at.0 > duration {
                    p.push(join(&path, "at"), format!("{} is after the end of the run ({})", s.at, self.duration));
                }
                let session = match crate::model::parse_endpoint(&s.session) {
                    Some(crate::model::Endpoint::Client(c)) if (c.0 as usize) < sessions => Some(c),
                    _ => {
                        p.push(
                            join(&path, "session"),
                            format!("\"{}\" is not a session; this scenario has c1..c{sessions}", truncate(&s.session)),
                        );
                        None
                    }
                };
                let op = match parse_op(&s.op, &mut names) {
                    Ok(op) => Some(op),
                    Err(e) => {
                        p.push(join(&path, "op"), e);
                        None
                    }
                };
                if let (Some(Op::Increment { by, .. }), Some(ml)) = (&op, &t.multi_leader) {
                    if *by < 0 && ml.counter == crate::topology::versions::CounterRule::GCounter {
                        p.push(
                            join(&path, "op"),
                            "a decrement, but the multi-leader pane counts with a G-counter, which only grows and would refuse it; use topologies.multi_leader.counter = pn_counter (or naive)",
                        );
                    }
                }
                let cl = match &s.cl {
                    None => None,
                    Some(c) => match ConsistencyLevel::parse(c) {
                        Some(cl) => Some(cl),
                        None => {
                            p.push(
                                join(&path, "cl"),
                                format!("\"{}\" is not a consistency level; use one, two, quorum, all, local_quorum or each_quorum", truncate(c)),
                            );
                            None
                        }
                    },
                };
                if let Some(v) = &s.via {
                    match crate::model::parse_endpoint(v) {
                        Some(crate::model::Endpoint::Node(n)) if (n.0 as usize) < min_nodes.max(1) => {
                            vias.insert(ops.len(), n);
                        }
                        _ => p.push(
                            join(&path, "via"),
                            format!("\"{}\" is not a node of every topology (n1..n{})", truncate(v), min_nodes.max(1)),
                        ),
                    }
                }
                if let (Some(session), Some(op)) = (session, op) {
                    ops.push((s.at.0, session, op, cl));
                }
            }
        }
        if let Some(g) = &w.generator {
            let before = p.items.len();
            g.validate("workload.generator", &mut p);
            let stop = g.stop.map(|d| d.0).unwrap_or(duration).min(duration);
            let expected = g.rate * (stop.saturating_sub(g.start.0)) as f64 / MICROS_PER_S as f64;
            if expected + ops.len() as f64 > MAX_OPS as f64 {
                p.push(
                    "workload.generator.rate",
                    format!("would generate about {} operations; at most {MAX_OPS} in a run", expected as u64),
                );
            } else if p.items.len() == before {
                match generate(g, self.seed, g.start.0, stop, sessions, &mut names) {
                    Ok(gen) => ops.extend(gen),
                    Err(e) => p.push("workload.generator", e),
                }
            }
        }
        check_key_kinds(&ops, &names, &mut p);

        // Faults.
        if self.faults.len() > MAX_FAULTS {
            p.push("faults", format!("{} entries; at most {MAX_FAULTS}", self.faults.len()));
        }
        let mut faults = Vec::new();
        for (i, f) in self.faults.iter().enumerate().take(MAX_FAULTS) {
            let path = format!("faults[{i}]");
            if f.at.0 > duration {
                p.push(join(&path, "at"), format!("{} is after the end of the run ({})", f.at, self.duration));
            }
            match parse_fault(&f.fault) {
                Ok(fault) => {
                    if let Err(e) = fault.check_endpoints(&node_counts, sessions) {
                        p.push(join(&path, "fault"), e);
                    } else {
                        faults.push((f.at.0, fault));
                    }
                }
                Err(e) => p.push(join(&path, "fault"), e),
            }
        }

        // Narration.
        if self.narration.len() > MAX_CAPTIONS {
            p.push("narration", format!("{} captions; at most {MAX_CAPTIONS}", self.narration.len()));
        }
        for (i, c) in self.narration.iter().enumerate().take(MAX_CAPTIONS) {
            text_field(&mut p, &format!("narration[{i}].text"), &c.text, MAX_TEXT);
            if let Some(pane) = &c.pane {
                if TopologyKind::parse(pane).is_none() {
                    p.push(format!("narration[{i}].pane"), "use leader_follower, multi_leader or leaderless");
                }
            }
            if let Some(u) = c.until {
                if u < c.at {
                    p.push(format!("narration[{i}].until"), "ends before it starts");
                }
            }
            if let Some(sp) = c.speed {
                p.range_f64(&format!("narration[{i}].speed"), sp, 0.01, 100.0, "×");
            }
            if let Some(w) = &c.when {
                match parse_condition(w) {
                    Err(e) => p.push(format!("narration[{i}].when"), e),
                    Ok((key, _, _)) if self.setting(key).is_none() => p.push(
                        format!("narration[{i}].when"),
                        format!("\"{}\" is not a setting of this scenario's panes (e.g. lf.fencing)", truncate(key)),
                    ),
                    Ok(_) => {}
                }
            }
        }

        p.into_result()?;

        // Stable order: by time, then by position in the script (generated ops follow).
        let mut order: Vec<usize> = (0..ops.len()).collect();
        crate::sort::sort_by_key(&mut order, |&i| (ops[i].0, i));
        let ops = order
            .into_iter()
            .enumerate()
            .map(|(id, i)| {
                let (at, session, op, consistency) = ops[i].clone();
                let via = vias.get(&i).copied();
                ScheduledOp { at, session, op: ClientOp { id: id as OpId, op, consistency, via } }
            })
            .collect();
        // By time; faults at the same instant keep their order in the script.
        let mut indexed: Vec<(usize, (SimTime, Fault))> = faults.into_iter().enumerate().collect();
        crate::sort::sort_by_key(&mut indexed, |(i, (t, _))| (*t, *i));
        let faults: Vec<(SimTime, Fault)> = indexed.into_iter().map(|(_, f)| f).collect();

        Ok(Plan {
            seed: self.seed,
            duration,
            names,
            sessions,
            session_region,
            ops,
            faults,
            network,
            timeout: w.timeout.0.clamp(1_000, 120 * MICROS_PER_S),
            topologies: self.topologies.clone(),
        })
    }

    fn compile_network(&self, p: &mut Problems) -> NetworkPlan {
        let n = &self.network;
        n.latency.validate("network.latency", p);
        if let Some(c) = &n.client_latency {
            c.validate("network.client_latency", p);
        }
        n.disk.validate("network.disk", p);
        p.range_f64("network.drop", n.drop, 0.0, 0.5, "");
        let mut regions = n.regions.clone();
        if regions.is_empty() {
            regions.push("local".into());
        }
        if regions.len() > MAX_REGIONS {
            p.push("network.regions", format!("{} regions; at most {MAX_REGIONS}", regions.len()));
            regions.truncate(MAX_REGIONS);
        }
        for (i, r) in regions.iter().enumerate() {
            if !valid_name(r) {
                p.push(format!("network.regions[{i}]"), "region names are 1–32 letters, digits, '-' or '_'");
            }
            if regions[..i].contains(r) {
                p.push(format!("network.regions[{i}]"), format!("\"{}\" is listed twice", truncate(r)));
            }
        }
        let k = regions.len();
        let mut matrix = vec![vec![0u64; k]; k];
        if n.region_latency_ms.is_empty() {
            for i in 0..k {
                for j in 0..k {
                    if i == j {
                        continue;
                    }
                    let a = KNOWN_REGIONS.iter().position(|r| *r == regions[i]);
                    let b = KNOWN_REGIONS.iter().position(|r| *r == regions[j]);
                    match (a, b) {
                        (Some(a), Some(b)) => matrix[i][j] = (KNOWN_ONE_WAY_MS[a][b] * 1000.0) as u64,
                        _ => {
                            p.push(
                                "network.region_latency_ms",
                                format!(
                                    "regions \"{}\" and \"{}\" need a latency; give region_latency_ms (known regions: {})",
                                    truncate(&regions[i]),
                                    truncate(&regions[j]),
                                    KNOWN_REGIONS.join(", ")
                                ),
                            );
                            return plan_with(n, regions, matrix, p);
                        }
                    }
                }
            }
        } else if n.region_latency_ms.len() != k || n.region_latency_ms.iter().any(|row| row.len() != k) {
            p.push("network.region_latency_ms", format!("must be a {k}×{k} matrix, one row per region"));
        } else {
            for i in 0..k {
                for j in 0..k {
                    let v = n.region_latency_ms[i][j];
                    p.range_f64(&format!("network.region_latency_ms[{i}][{j}]"), v, 0.0, 10_000.0, "ms");
                    if v.is_finite() && v >= 0.0 {
                        matrix[i][j] = (v.min(10_000.0) * 1000.0) as u64;
                    }
                }
            }
        }
        plan_with(n, regions, matrix, p)
    }
}

fn plan_with(n: &NetworkSpec, regions: Vec<String>, matrix: Vec<Vec<u64>>, p: &mut Problems) -> NetworkPlan {
    let mut by_kind = BTreeMap::new();
    for (name, d) in &n.by_kind {
        match crate::view::MsgKind::parse(name) {
            Some(k) => {
                d.validate(&format!("network.by_kind.{name}"), p);
                by_kind.insert(k, d.clone());
            }
            None => p.push(
                format!("network.by_kind.{}", truncate(name)),
                format!(
                    "unknown message kind; use one of {}",
                    crate::view::MsgKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
                ),
            ),
        }
    }
    NetworkPlan {
        latency: n.latency.clone(),
        client_latency: n.client_latency.clone().unwrap_or_else(|| n.latency.clone()),
        region_names: regions,
        region_latency_us: matrix,
        by_kind,
        drop: if n.drop.is_finite() { n.drop.clamp(0.0, 0.5) } else { 0.0 },
        disk: n.disk.clone(),
    }
}

fn check_placement(p: &mut Problems, path: &str, placement: &[String], nodes: usize, regions: &[String]) {
    if placement.is_empty() {
        return;
    }
    if placement.len() != nodes {
        p.push(path, format!("names {} regions for {} nodes; give one per node", placement.len(), nodes));
    }
    for (i, r) in placement.iter().enumerate().take(MAX_NODES) {
        if !regions.contains(r) {
            p.push(format!("{path}[{i}]"), unknown_region(r, regions));
        }
    }
}

fn unknown_region(r: &str, regions: &[String]) -> String {
    format!("\"{}\" is not one of the regions ({})", truncate(r), regions.join(", "))
}

fn text_field(p: &mut Problems, path: &str, s: &str, max: usize) {
    if s.chars().count() > max {
        p.push(path, format!("{} characters; at most {max}", s.chars().count()));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        p.push(path, "contains control characters");
    }
}

fn check_key_kinds(ops: &[(SimTime, ClientId, Op, Option<ConsistencyLevel>)], names: &Names, p: &mut Problems) {
    let mut kinds: BTreeMap<Sym, KeyKind> = BTreeMap::new();
    for (_, _, op, _) in ops {
        if let (Some(k), Some(kind)) = (op.key(), key_kind(op)) {
            match kinds.get(&k) {
                Some(prev) if *prev != kind => {
                    p.push(
                        "workload",
                        format!("key \"{}\" is used both as a {} and as a {}", names.get(k), prev.name(), kind.name()),
                    );
                    return;
                }
                _ => {
                    kinds.insert(k, kind);
                }
            }
        }
    }
}

impl Validate for GeneratorSpec {
    fn validate(&self, path: &str, p: &mut Problems) {
        p.range_f64(&join(path, "rate"), self.rate, 0.0, 10_000.0, "ops/s");
        p.range_f64(&join(path, "read_fraction"), self.read_fraction, 0.0, 1.0, "");
        p.range_u64(&join(path, "keys"), self.keys as u64, 1, 48);
        if let KeyDistribution::Zipf { s } = self.key_distribution {
            p.range_f64(&join(path, "key_distribution.zipf.s"), s, 0.0, 10.0, "");
        }
        if let Some(stop) = self.stop {
            if stop < self.start {
                p.push(join(path, "stop"), "is before start");
            }
        }
    }
}

/// Draws the generated operations from the workload stream, so every topology sees the same.
fn generate(
    g: &GeneratorSpec,
    seed: u64,
    start: SimTime,
    stop: SimTime,
    sessions: usize,
    names: &mut Names,
) -> Result<Vec<(SimTime, ClientId, Op, Option<ConsistencyLevel>)>, String> {
    let mut rng = SimRng::new(seed, Stream::Workload);
    let keys: Vec<Sym> = (0..g.keys).map(|i| names.intern(&format!("k{i}"))).collect::<Result<_, _>>()?;
    let elems: Vec<Sym> = if g.data == DataKind::Set {
        ["a", "b", "c", "d", "e", "f"].iter().map(|e| names.intern(e)).collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    // Zipf by inverse CDF over a precomputed table.
    let weights: Vec<f64> = match g.key_distribution {
        KeyDistribution::Uniform => vec![1.0; keys.len()],
        KeyDistribution::Zipf { s } => (1..=keys.len()).map(|r| 1.0 / libm::pow(r as f64, s)).collect(),
    };
    let total: f64 = weights.iter().sum();
    let mut out = Vec::new();
    if g.rate <= 0.0 {
        return Ok(out);
    }
    let mean_gap = MICROS_PER_S as f64 / g.rate;
    let mut t = start as f64;
    let mut next_value = 1i64;
    loop {
        t += -mean_gap * libm::log(rng.unit_open0());
        if t >= stop as f64 || out.len() as u64 >= MAX_OPS {
            break;
        }
        let session = ClientId(rng.below(sessions as u64) as u8);
        let mut pick = rng.unit() * total;
        let mut ki = 0;
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                ki = i;
                break;
            }
            pick -= w;
            ki = i;
        }
        let key = keys[ki];
        let op = if rng.unit() < g.read_fraction {
            Op::Read { key }
        } else {
            match g.data {
                DataKind::Register => {
                    next_value += 1;
                    Op::Write { key, value: next_value - 1 }
                }
                DataKind::Counter => Op::Increment { key, by: 1 },
                DataKind::Set => {
                    let elem = elems[rng.below(elems.len() as u64) as usize];
                    if rng.unit() < 0.3 {
                        Op::SetRemove { key, elem }
                    } else {
                        Op::SetAdd { key, elem }
                    }
                }
            }
        };
        out.push((t as SimTime, session, op, None));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::leader_follower::LfConfig;

    fn base() -> Scenario {
        let mut s = Scenario::default();
        s.topologies.leader_follower = Some(LfConfig::default());
        s
    }

    #[test]
    fn parses_ops() {
        let mut n = Names::default();
        assert!(matches!(parse_op("write x=5", &mut n), Ok(Op::Write { value: 5, .. })));
        assert!(matches!(parse_op("write x 5", &mut n), Ok(Op::Write { value: 5, .. })));
        assert!(matches!(parse_op("read x", &mut n), Ok(Op::Read { .. })));
        assert!(matches!(parse_op("decr likes 2", &mut n), Ok(Op::Increment { by: -2, .. })));
        assert!(matches!(parse_op("incr likes", &mut n), Ok(Op::Increment { by: 1, .. })));
        assert!(matches!(parse_op("bulk x=1 rows=5000", &mut n), Ok(Op::Bulk { rows: 5000, .. })));
        assert!(matches!(parse_op("delete_all", &mut n), Ok(Op::DeleteAll)));
        for bad in [
            "",
            "fly x",
            "write",
            "write x",
            "write x=abc",
            "read x y",
            "read <script>",
            "bulk x=1",
            "write x=99999999999999",
        ] {
            assert!(parse_op(bad, &mut n).is_err(), "{bad}");
        }
        let op = parse_op("add cart milk", &mut n).unwrap();
        assert_eq!(op_phrase(&op, &n), "add cart milk");
    }

    #[test]
    fn rejects_out_of_range_with_field_names() {
        let mut s = base();
        s.topologies.leader_follower.as_mut().unwrap().nodes = 0;
        s.workload.sessions = 99;
        s.faults.push(FaultSpec { at: Duration::from_secs(1), fault: "crash n9".into() });
        s.workload.script.push(ScriptOp {
            at: Duration::from_secs(1),
            session: "c1".into(),
            op: "write x=1".into(),
            cl: Some("most".into()),
            via: None,
        });
        let err = s.compile().unwrap_err().to_string();
        assert!(err.contains("topologies.leader_follower.nodes"), "{err}");
        assert!(err.contains("workload.sessions: 99 is out of range; allowed 1 to 32"), "{err}");
        assert!(err.contains("faults[0].fault"), "{err}");
        assert!(err.contains("workload.script[0].cl"), "{err}");
    }

    #[test]
    fn errors_name_the_path_of_the_field_they_are_in() {
        for (text, path) in [
            (r#"{"workload": {"sesions": 3}}"#, "workload.sesions"),
            (r#"{"seed": 1, "workload": {"sessions": "two"}}"#, "workload.sessions"),
            (
                r#"{"workload": {"script": [{"at": "1s", "session": "c1", "op": "write x=1"}, {"at": "soon", "session": "c1", "op": "read x"}]}}"#,
                "workload.script[1].at",
            ),
            (r#"{"workload": {"script": [{"at": "1s", "op": "write x=1"}]}}"#, "workload.script[0]"),
            ("{\n  \"duration\": \"5\",\n  \"seed\": 1\n}", "duration"),
            (
                r#"{"topologies": {"leader_follower": {"nodes": 3, "mode": "eventually"}}}"#,
                "topologies.leader_follower.mode",
            ),
            (r#"{"network": {"latency": {"constant": {"ms": "x\"y"}}}}"#, "network.latency.constant.ms"),
            (r#"{"network": {"latency": {"fixed": {"ms": 1}}}}"#, "network.latency.fixed"),
        ] {
            let problems = Scenario::from_json(text).unwrap_err();
            let shown = problems.to_string();
            assert!(shown.starts_with(&format!("{path}: ")), "{text}: {shown}");
            assert!(!shown.contains(" at line "), "the position is replaced by the path: {shown}");
        }
        // Broken syntax keeps its position; a document that is not an object says so.
        let shown = Scenario::from_json("{\n \"seed\": 1,\n \"name\": }").unwrap_err().to_string();
        assert!(shown.contains("line 3"), "{shown}");
        let shown = Scenario::from_json("\n [1, 2]").unwrap_err().to_string();
        assert!(shown.contains("line 2: a scenario is a JSON object"), "{shown}");
    }

    #[test]
    fn unknown_fields_and_bad_types_name_the_path() {
        let err = Scenario::from_json(r#"{"workload": {"sesions": 3}}"#).unwrap_err().to_string();
        assert!(err.contains("workload") && err.contains("sesions"), "{err}");
        let err = Scenario::from_json(r#"{"duration": -5}"#).unwrap_err().to_string();
        assert!(err.contains("duration"), "{err}");
        let err = Scenario::from_json(r#"{"duration": "5"}"#).unwrap_err().to_string();
        assert!(err.contains("unit"), "{err}");
    }

    #[test]
    fn too_many_ops_is_rejected() {
        let mut s = base();
        s.workload.generator = Some(GeneratorSpec { rate: 10_000.0, ..Default::default() });
        s.duration = Duration::from_secs(600);
        let err = s.compile().unwrap_err().to_string();
        assert!(err.contains("workload.generator.rate"), "{err}");
    }

    #[test]
    fn generator_is_deterministic_and_shared() {
        let mut s = base();
        s.workload.generator = Some(GeneratorSpec { rate: 50.0, ..Default::default() });
        let a = s.compile().unwrap();
        let b = s.compile().unwrap();
        assert_eq!(a.ops, b.ops);
        assert!(a.ops.len() > 500 && a.ops.len() < 1500, "{}", a.ops.len());
    }

    #[test]
    fn known_regions_get_latencies() {
        let mut s = base();
        s.network.regions = vec!["us-east".into(), "ap-northeast".into()];
        let plan = s.compile().unwrap();
        assert_eq!(plan.network.region_latency_us[0][1], 75_000);
        s.network.regions = vec!["here".into(), "there".into()];
        assert!(s.compile().is_err());
    }
}
