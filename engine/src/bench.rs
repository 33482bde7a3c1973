//! A benchmark that prints figures: engine throughput, seek time and memory.
//!
//! The engine has no clock of its own, so the caller passes one (a monotonic clock natively,
//! `performance.now()` in the browser) together with a way to read memory in use. Figures are
//! printed, never asserted: timings on shared machines are noise, not test results.

use crate::linearizability::{RegEvent, RegOp};
use crate::rng::{SimRng, Stream};
use crate::run::AnyRun;
use crate::scenario::{GeneratorSpec, Scenario};
use crate::time::Duration;
use crate::topology::leader_follower::LfConfig;
use crate::topology::leaderless::LlConfig;
use crate::topology::multi_leader::MlConfig;
use crate::vocab::TopologyKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
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
    out.extend(generated_bench(now_ms));
    out
}

/// Times the checker on generated Jepsen-shaped histories: the sizes issue 16 names (10,000
/// operations on one register with crashes; 100,000 over 100 keys) and a stale read deep in the
/// first, which only the search can refute.
pub fn generated_bench(now_ms: &impl Fn() -> f64) -> Vec<CheckerBench> {
    use crate::linearizability::{check_register, Verdict};
    let mut out = Vec::new();
    let single = register_history(10_000, 1, 5, 7);
    let mut stale = register_history(10_000, 1, 1_000, 7);
    let stale_id = with_stale_read(&mut stale);
    let many = register_history(100_000, 100, 5, 7);
    let mut many_stale = register_history(100_000, 100, 1_000, 7);
    let many_stale_id = with_stale_read(&mut many_stale);
    let id = |i: Option<u64>| i.map(|i| format!("#{i}")).unwrap_or_else(|| "none found".into());
    let cases: Vec<(String, &Vec<(u32, RegEvent)>)> = vec![
        ("generated: 1 register, values 0-4, 10 processes, 1% crashes".into(), &single),
        (format!("generated: 1 register, values 0-999, one stale read ({})", id(stale_id)), &stale),
        ("generated: 100 registers, values 0-4, 10 processes, 1% crashes".to_string(), &many),
        (format!("generated: 100 registers, values 0-999, one stale read ({})", id(many_stale_id)), &many_stale),
    ];
    for (name, history) in cases {
        let t0 = now_ms();
        let mut verdicts: Vec<String> = Vec::new();
        let mut by_key: std::collections::BTreeMap<u32, Vec<RegEvent>> = std::collections::BTreeMap::new();
        for (k, e) in history {
            by_key.entry(*k).or_default().push(e.clone());
        }
        for events in by_key.values() {
            let v = match check_register(events, Some(0)) {
                Verdict::Linearizable => "linearizable".to_string(),
                Verdict::NotLinearizable { ops, .. } => format!("not linearizable ({} ops reported)", ops.len()),
                Verdict::Unknown { explored } => format!("unknown after {explored} states"),
            };
            if !verdicts.contains(&v) {
                verdicts.push(v);
            }
        }
        let ms = now_ms() - t0;
        out.push(CheckerBench {
            history: name,
            operations: history.len(),
            sessions: 10,
            verdict: verdicts.join("; "),
            milliseconds: ms,
        });
    }
    out
}

/// A Jepsen-shaped register history, linearizable by construction: ten processes, each operation
/// on one of `keys` registers (each starting at 0) taking effect at a random instant of its
/// interval; reads, writes and compare-and-sets of values 0-4; a compare-and-set that finds
/// another value fails and is dropped (a `:fail` did not happen); 1% of writes and successful
/// compare-and-sets crash, their outcome unknown. Returns (key, event) pairs in invocation order.
pub fn register_history(ops: usize, keys: u32, values: u64, seed: u64) -> Vec<(u32, RegEvent)> {
    let mut rng = SimRng::new(seed, Stream::Workload);
    let mut value: Vec<Option<i64>> = vec![Some(0); keys.max(1) as usize];
    let mut out: Vec<(u32, RegEvent)> = Vec::new();
    // (op index, takes effect at, completes at)
    let mut in_flight: Vec<(usize, u64, u64)> = Vec::new();
    let mut failed = std::collections::BTreeSet::new();
    let mut t = 0u64;
    const PROCESSES: usize = 10;
    // Failed compare-and-sets are dropped at the end, so count what will remain.
    while out.len() - failed.len() < ops || !in_flight.is_empty() {
        t += 1;
        while in_flight.len() < PROCESSES && out.len() - failed.len() < ops && rng.below(3) == 0 {
            let duration = 1 + rng.below(20);
            let effect = t + rng.below(duration + 1);
            let key = rng.below(keys.max(1) as u64) as u32;
            let v = rng.below(values) as i64;
            let op = match rng.below(3) {
                0 => RegOp::Read(None),
                1 => RegOp::Cas { from: Some(rng.below(values) as i64), to: v },
                _ => RegOp::Write(v),
            };
            out.push((key, RegEvent { id: out.len() as u64, op, invoke: t, complete: Some(t + duration) }));
            in_flight.push((out.len() - 1, effect, t + duration));
        }
        crate::sort::sort_by_key(&mut in_flight, |&(i, effect, _)| (effect, i));
        for &(i, _, _) in in_flight.iter().filter(|&&(_, effect, _)| effect == t) {
            let (key, e) = &mut out[i];
            let register = &mut value[*key as usize];
            match e.op {
                RegOp::Read(_) => e.op = RegOp::Read(*register),
                RegOp::Write(v) => *register = Some(v),
                RegOp::Cas { from, to } if *register == from => *register = Some(to),
                RegOp::Cas { .. } => {
                    failed.insert(i as u64);
                }
            }
        }
        for &(i, _, end) in &in_flight {
            if end <= t && !matches!(out[i].1.op, RegOp::Read(_)) && rng.below(100) == 0 {
                out[i].1.complete = None; // crashed: outcome unknown
            }
        }
        in_flight.retain(|&(_, _, end)| end > t);
    }
    out.retain(|(_, e)| !failed.contains(&e.id));
    out
}

/// The same history with one read made stale: it returns a value that was overwritten by a write
/// completed before the read began, every writer of that value having completed before that
/// write began. Not linearizable, and not decidable by the one-pass check (the value *was*
/// written), so the search has to show it. Returns the read's id.
pub fn with_stale_read(history: &mut [(u32, RegEvent)]) -> Option<u64> {
    let writes = |e: &RegEvent, x: i64| match e.op {
        RegOp::Write(v) | RegOp::Cas { to: v, .. } => v == x,
        RegOp::Read(_) => false,
    };
    // Scan from the middle so the violation sits deep in the history.
    let n = history.len();
    for r in (n / 2..n).chain(0..n / 2) {
        let (key, read) = (&history[r].0, &history[r].1);
        let (RegOp::Read(Some(seen)), Some(read_end)) = (&read.op, read.complete) else { continue };
        let values: BTreeSet<i64> = history
            .iter()
            .filter_map(|(_, e)| match e.op {
                RegOp::Write(v) | RegOp::Cas { to: v, .. } => Some(v),
                RegOp::Read(_) => None,
            })
            .collect();
        for x in values.into_iter().filter(|x| x != seen) {
            let same = |k: &u32| k == key;
            // Every writer of x invoked before the read ends must have completed, and before some
            // completed write of another value that itself completed before the read began.
            let writers: Vec<&RegEvent> = history
                .iter()
                .filter(|(k, e)| same(k) && writes(e, x) && e.invoke < read_end)
                .map(|(_, e)| e)
                .collect();
            if writers.is_empty() || writers.iter().any(|w| w.complete.is_none()) {
                continue;
            }
            let last = writers.iter().filter_map(|w| w.complete).max().unwrap();
            let overwritten = history.iter().any(|(k, e)| {
                same(k)
                    && matches!(e.op, RegOp::Write(v) if v != x)
                    && e.invoke > last
                    && e.complete.is_some_and(|c| c < read.invoke)
            });
            if overwritten {
                let id = read.id;
                history[r].1.op = RegOp::Read(Some(x));
                return Some(id);
            }
        }
    }
    None
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
    run_some(events, TopologyKind::ALL, true, now_ms, memory)
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
        // The benchmark scenario configures the replicated designs; the single-node baseline
        // has nothing to measure that they do not.
        if !scenario.kinds().contains(&kind) {
            continue;
        }
        let before = memory();
        let mut run = AnyRun::new(kind, plan.clone()).expect("a configured topology runs");
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
