//! Acceptance tests for the single-node baseline: while its one node is up every history is
//! linearizable and nothing acknowledged is ever lost, across crashes, pauses and clock faults;
//! while it is down nothing succeeds, and a node that never returns leaves no write acknowledged.

use replicascope_engine::metrics::{history_of, Report};
use replicascope_engine::model::{Op, OpResult, ReadValue};
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::{DataKind, GeneratorSpec, Scenario};
use replicascope_engine::time::Duration;
use replicascope_engine::topology::single_node::SingleConfig;
use replicascope_engine::view::MsgKind;
use replicascope_engine::vocab::TopologyKind;

mod common;
use common::{fault, op};

fn simulate(s: &Scenario, seed: u64) -> (AnyRun, Report) {
    common::simulate_kind(TopologyKind::SingleNode, s, seed)
}

fn workload(data: DataKind) -> Scenario {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(10);
    s.workload.sessions = 4;
    s.workload.generator =
        Some(GeneratorSpec { rate: 80.0, read_fraction: 0.5, keys: 3, data, ..GeneratorSpec::default() });
    s.topologies = Default::default();
    s.topologies.single_node = Some(SingleConfig::default());
    s
}

const S: u64 = 1_000_000;

#[test]
fn one_node_is_linearizable_and_loses_nothing_across_faults() {
    for data in [DataKind::Register, DataKind::Counter, DataKind::Set] {
        for seed in 0..100 {
            let mut s = workload(data);
            s.faults = vec![
                fault(1_000, "skew n1 -400ms"),
                fault(2_000, "crash n1"),
                fault(3_500, "restart n1"),
                fault(5_000, "pause n1 1s"),
                fault(6_000, "drift n1 +50000ppm"),
                fault(7_000, "crash n1"),
                fault(7_001, "restart n1"),
            ];
            let (run, r) = simulate(&s, seed);
            assert!(r.anomalies.is_empty(), "{data:?} seed {seed}: {:#?}", r.anomalies);
            assert_eq!(r.metrics.lost_acknowledged_writes, 0);
            assert!(
                r.metrics.writes.ok > 100 && r.metrics.reads.ok > 100,
                "{data:?} seed {seed}: {:?}",
                r.metrics.writes
            );
            assert_eq!(r.metrics.divergent_replicas_at_end, 0);
            // Down from 2 s to 3.5 s: no operation completes, and every one invoked then fails
            // or times out; afterwards the node serves again.
            let h = history_of(&run);
            assert!(!h
                .ops
                .iter()
                .any(|o| o.ok() && o.complete_at.is_some_and(|t| (2 * S + 20_000..7 * S / 2).contains(&t))));
            assert!(h.ops.iter().any(|o| o.ok() && o.complete_at.is_some_and(|t| t > 4 * S)));
        }
    }
}

#[test]
fn a_node_that_never_returns_acknowledges_nothing_after_its_crash() {
    for seed in 0..50 {
        let mut s = workload(DataKind::Register);
        s.faults = vec![fault(3_000, "crash n1")];
        let (run, r) = simulate(&s, seed);
        assert!(r.anomalies.is_empty(), "seed {seed}: {:#?}", r.anomalies);
        let h = history_of(&run);
        let late_ok = h.ops.iter().filter(|o| o.ok() && o.complete_at.is_some_and(|t| t > 3 * S + 20_000)).count();
        assert_eq!(late_ok, 0, "seed {seed}: nothing can succeed without the only node");
        let gave_up = h.ops.iter().filter(|o| o.invoke_at.is_some_and(|t| t > 3 * S) && o.result.is_some()).count();
        assert!(gave_up > 0, "seed {seed}: clients give up on the operations they send after the crash");
        assert!(h.ops.iter().filter(|o| o.invoke_at.is_some_and(|t| t > 3 * S)).all(|o| !o.ok()));
        // Up for the first 3 s of 10: the sessions see it available about a third of the time.
        assert!((0.2..0.4).contains(&r.metrics.availability), "seed {seed}: {}", r.metrics.availability);
    }
}

/// Writes 1 ms apart and at the same instant from different sessions: the node applies them in
/// the order their requests arrive (ties in the order they were sent), and every later read
/// returns the last one applied, whichever was acknowledged last.
#[test]
fn writes_at_the_same_moment_are_ordered_by_arrival() {
    let mut s = workload(DataKind::Register);
    s.workload.generator = None;
    s.workload.sessions = 3;
    s.workload.script = vec![
        op(1_000, "c1", "write x 1"),
        op(1_000, "c2", "write x 2"),
        op(1_001, "c3", "write x 3"),
        op(2_000, "c1", "read x"),
        op(2_000, "c2", "read x"),
        op(2_000, "c3", "read x"),
    ];
    for seed in 0..200 {
        let (run, r) = simulate(&s, seed);
        assert!(r.anomalies.is_empty(), "seed {seed}: {:#?}", r.anomalies);
        let h = history_of(&run);
        assert_eq!(h.ops.iter().filter(|o| matches!(o.op, Op::Write { .. }) && o.ok()).count(), 3);
        let last_applied = run
            .trace()
            .messages
            .iter()
            .filter(|m| m.kind == MsgKind::Write && m.to.node().is_some())
            .max_by_key(|m| (m.deliver_at, m.id))
            .and_then(|m| m.op)
            .expect("the write requests were sent");
        let reads: Vec<_> = h.ops.iter().filter(|o| matches!(o.op, Op::Read { .. })).collect();
        assert_eq!(reads.len(), 3);
        for read in reads {
            let Some(OpResult::Read(ReadValue::Register(v))) = &read.result else {
                panic!("seed {seed}: read failed: {:?}", read.result)
            };
            let seen: Vec<_> = v.iter().map(|x| x.write).collect();
            assert_eq!(seen, vec![last_applied], "seed {seed}: reads see the last write applied");
        }
    }
}
