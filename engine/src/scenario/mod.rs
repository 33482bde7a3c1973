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

mod json_path;
pub use json_path::json_path_at;
mod compile;
use compile::check_placement;

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

            /// Sets one field of a configured topology's settings from link text. `None`: the
            /// topology is not configured; `Some(None)`: it has no such field.
            pub fn set_field(
                &mut self,
                kind: TopologyKind,
                field: &str,
                value: &crate::overrides::Scalar,
            ) -> Option<Option<Result<(), String>>> {
                use crate::overrides::Overridable;
                match kind {
                    $(TopologyKind::$kind => self.$module.as_mut().map(|c| c.set_field(field, value)),)*
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

impl Caption {
    /// The pane it is about, named by code (`lf`), name (`leader_follower`) or title.
    pub fn kind(&self) -> Option<TopologyKind> {
        let p = self.pane.as_deref()?;
        TopologyKind::from_code(p)
            .or_else(|| TopologyKind::ALL.iter().copied().find(|k| k.name() == p || k.title() == p))
    }
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
