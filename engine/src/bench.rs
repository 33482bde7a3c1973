//! A benchmark that prints figures: engine throughput, seek time and memory.
//!
//! The engine has no clock of its own, so the caller passes one (a monotonic clock natively,
//! `performance.now()` in the browser) together with a way to read memory in use. Figures are
//! printed, never asserted: timings on shared machines are noise, not test results.

use crate::rng::{SimRng, Stream};
use crate::run::AnyRun;
use crate::scenario::{GeneratorSpec, Scenario, TopologyKind};
use crate::time::Duration;
use crate::topology::leader_follower::LfConfig;
use crate::topology::leaderless::LlConfig;
use crate::topology::multi_leader::MlConfig;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TopologyBench {
    pub topology: String,
    pub events: u64,
    pub seconds: f64,
    pub events_per_second: f64,
    pub checkpoints: usize,
    pub seeks: usize,
    pub seek_mean_ms: f64,
    pub seek_max_ms: f64,
    /// Memory the run holds (trace and checkpoints), bytes, as the caller's meter reports it.
    pub memory_bytes: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckerBench {
    pub history: String,
    pub operations: usize,
    pub sessions: usize,
    pub verdict: String,
    pub milliseconds: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchReport {
    pub target_events: u64,
    pub results: Vec<TopologyBench>,
    pub checker: Vec<CheckerBench>,
}

/// Times the linearizability checker on 1,000-operation histories from 10 sessions.
pub fn checker_bench(now_ms: &impl Fn() -> f64) -> Vec<CheckerBench> {
    use crate::jepsen::{linearizability, register_events};
    use crate::topology::leaderless::ReadRepair;
    let mut out = Vec::new();
    let cases: Vec<(&str, Scenario)> = {
        let base = |kind: &str| {
            let mut s = Scenario::default();
            s.duration = Duration::from_secs(25);
            s.workload.sessions = 10;
            s.workload.generator =
                Some(GeneratorSpec { rate: 42.0, read_fraction: 0.5, keys: 1, ..GeneratorSpec::default() });
            match kind {
                "leader" => s.topologies.leader_follower = Some(LfConfig::default()),
                "followers" => {
                    s.topologies.leader_follower = Some(LfConfig {
                        read_routing: crate::topology::leader_follower::ReadRouting::AnyFollower,
                        ..LfConfig::default()
                    })
                }
                _ => {
                    s.topologies.leaderless = Some(LlConfig {
                        w: 1,
                        r: 1,
                        read_repair: ReadRepair::Off,
                        // One value per read (no siblings), so every read is a register read.
                        versioning: crate::topology::leaderless::Versioning::Lww,
                        ..LlConfig::default()
                    })
                }
            }
            s
        };
        vec![
            ("leader-follower, reads from the leader", base("leader")),
            ("leader-follower, reads from any follower", base("followers")),
            ("leaderless, W=1 R=1", base("quorum")),
        ]
    };
    for (name, s) in cases {
        let plan = Rc::new(s.compile().expect("valid"));
        let mut run = AnyRun::new(s.kinds()[0], plan.clone()).expect("configured");
        run.run_to_end();
        let history = crate::metrics::history_of(&run);
        let mut notes = Vec::new();
        let regs = register_events(&history, &mut notes, &plan.names);
        let t0 = now_ms();
        let (verdicts, _) = linearizability(&regs, &plan.names, crate::linearizability::STATE_BUDGET);
        let ms = now_ms() - t0;
        let verdict = verdicts
            .iter()
            .map(|(_, v)| match v {
                crate::linearizability::Verdict::Linearizable => "linearizable".to_string(),
                crate::linearizability::Verdict::NotLinearizable { ops, .. } => {
                    format!("not linearizable ({} ops reported)", ops.len())
                }
                crate::linearizability::Verdict::Unknown { explored } => format!("unknown after {explored} states"),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let verdict = if verdict.is_empty() { format!("not checked: {}", notes.join("; ")) } else { verdict };
        out.push(CheckerBench {
            history: name.into(),
            operations: history.ops.len(),
            sessions: 10,
            verdict,
            milliseconds: ms,
        });
    }
    out
}

/// A busy scenario: three nodes per topology, a steady mixed workload.
pub fn bench_scenario() -> Scenario {
    let mut s = Scenario::default();
    s.name = "benchmark".into();
    s.seed = 42;
    s.duration = Duration::from_secs(600);
    s.workload.sessions = 8;
    s.workload.generator =
        Some(GeneratorSpec { rate: 150.0, read_fraction: 0.5, keys: 16, ..GeneratorSpec::default() });
    s.topologies.leader_follower = Some(LfConfig::default());
    s.topologies.multi_leader = Some(MlConfig::default());
    s.topologies.leaderless = Some(LlConfig::default());
    s
}

pub fn run(events: u64, now_ms: impl Fn() -> f64) -> BenchReport {
    run_with_memory(events, now_ms, || None)
}

pub fn run_with_memory(events: u64, now_ms: impl Fn() -> f64, memory: impl Fn() -> Option<u64>) -> BenchReport {
    run_some(events, &TopologyKind::ALL, true, now_ms, memory)
}

/// Benchmarks the given topologies (and the checker, if asked).
pub fn run_some(
    events: u64,
    kinds: &[TopologyKind],
    with_checker: bool,
    now_ms: impl Fn() -> f64,
    memory: impl Fn() -> Option<u64>,
) -> BenchReport {
    let scenario = bench_scenario();
    let plan = Rc::new(scenario.compile().expect("the benchmark scenario is valid"));
    let mut results = Vec::new();
    for &kind in kinds {
        let before = memory();
        let mut run = AnyRun::new(kind, plan.clone()).expect("all topologies configured");
        let t0 = now_ms();
        run.advance(events);
        let seconds = (now_ms() - t0) / 1000.0;
        let done = run.trace().steps.len() as u64;
        let mem = match (before, memory()) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        // Seek to random moments, as a person dragging the scrubber would.
        let end = run.computed_until();
        let mut rng = SimRng::new(7, Stream::Staleness);
        let mut cursor = run.cursor();
        let mut times = Vec::new();
        for _ in 0..50 {
            let t = rng.below(end.max(1));
            let s0 = now_ms();
            run.seek(&mut cursor, t);
            let _ = run.pane_view(&cursor);
            times.push(now_ms() - s0);
        }
        let seek_max_ms = times.iter().copied().fold(0.0, f64::max);
        let seek_mean_ms = times.iter().sum::<f64>() / times.len() as f64;
        results.push(TopologyBench {
            topology: kind.name().into(),
            events: done,
            seconds,
            events_per_second: if seconds > 0.0 { done as f64 / seconds } else { 0.0 },
            checkpoints: run.checkpoint_count(),
            seeks: times.len(),
            seek_mean_ms,
            seek_max_ms,
            memory_bytes: mem,
        });
    }
    let checker = if with_checker { checker_bench(&now_ms) } else { Vec::new() };
    BenchReport { target_events: events, results, checker }
}
