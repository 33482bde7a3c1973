//! The consistency checker, driven by data: a history in, the anomalies expected out. Every
//! anomaly has a positive and a negative case; histories with crashed (`:info`) operations are
//! covered; the documented scenarios are checked for the anomaly they document.

use replicascope_engine::annotate::{Annotation, LogHeld};
use replicascope_engine::checker::{check, AnomalyKind, Facts};
use replicascope_engine::jepsen::{check_imported, export_edn, import_edn};
use replicascope_engine::metrics::report;
use replicascope_engine::model::{ClientId, NodeId, Op, OpRecord, OpResult, Seen, Sym};
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::Scenario;
use replicascope_engine::trace::{History, Noted};
use std::collections::BTreeSet;
use std::rc::Rc;

use AnomalyKind::*;

/// Builds an EDN history from compact rows: (process, f, value, invoke time, completion time,
/// completion type). Times are microseconds.
fn edn(rows: &[(i64, &str, &str, u64, u64, &str)]) -> String {
    let mut events = Vec::new();
    for (p, f, v, t0, t1, ty) in rows {
        // Jepsen's independent reads invoke with `[k nil]`.
        let nil_read = v.split_whitespace().next().map(|k| format!("{k} nil]")).unwrap_or_default();
        let invoke_value = if *f == "read" { nil_read.as_str() } else { v };
        events.push((
            *t0,
            1,
            format!("{{:process {p}, :type :invoke, :f :{f}, :value {invoke_value}, :time {}}}", t0 * 1000),
        ));
        events.push((*t1, 0, format!("{{:process {p}, :type :{ty}, :f :{f}, :value {v}, :time {}}}", t1 * 1000)));
    }
    events.sort_by_key(|e| (e.0, e.1));
    events.into_iter().map(|e| e.2).collect::<Vec<_>>().join("\n")
}

/// The one helper: `check(rows, expected kinds)`. Kinds are matched with `Anomaly::is`, so a
/// read reported as one kind that also violates another counts for both.
fn expect(rows: &[(i64, &str, &str, u64, u64, &str)], want: &[AnomalyKind]) {
    let text = edn(rows);
    let imported = import_edn(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let report = check_imported(&imported, 1_000_000);
    for kind in AnomalyKind::ALL {
        let found = report.anomalies.iter().any(|a| a.is(kind));
        assert_eq!(found, want.contains(&kind), "{kind:?} (want {want:?})\n{text}\n{:#?}", report.anomalies);
    }
}

#[test]
fn stale_read() {
    // Positive: the write was acknowledged at 10, the read began at 20 and missed it.
    expect(
        &[(0, "write", "[:x 1]", 0, 10, "ok"), (1, "read", "[:x nil]", 20, 30, "ok")],
        &[StaleRead, NotLinearizable],
    );
    // Negative: the read overlapped the write, so either answer is fine.
    expect(&[(0, "write", "[:x 1]", 0, 10, "ok"), (1, "read", "[:x nil]", 5, 30, "ok")], &[]);
}

#[test]
fn read_your_writes() {
    expect(
        &[(0, "write", "[:x 1]", 0, 10, "ok"), (0, "read", "[:x nil]", 20, 30, "ok")],
        &[ReadYourWrites, StaleRead, NotLinearizable],
    );
    expect(&[(0, "write", "[:x 1]", 0, 10, "ok"), (0, "read", "[:x 1]", 20, 30, "ok")], &[]);
}

#[test]
fn monotonic_reads() {
    let base = [
        (0, "write", "[:x 1]", 0, 10, "ok"),
        (0, "write", "[:x 2]", 100, 110, "ok"),
        (1, "read", "[:x 2]", 200, 210, "ok"),
    ];
    let mut back = base.to_vec();
    back.push((1, "read", "[:x 1]", 300, 310, "ok"));
    expect(&back, &[MonotonicReads, StaleRead, MonotonicWrites, NotLinearizable]);
    let mut forward = base.to_vec();
    forward.push((1, "read", "[:x 2]", 300, 310, "ok"));
    expect(&forward, &[]);
}

#[test]
fn monotonic_writes() {
    // p0 writes 1 then 2; p1 sees 2; then p2 sees 1 again: the writes took effect out of order.
    let base = [
        (0, "write", "[:x 1]", 0, 10, "ok"),
        (0, "write", "[:x 2]", 20, 30, "ok"),
        (1, "read", "[:x 2]", 40, 50, "ok"),
    ];
    let mut bad = base.to_vec();
    bad.push((2, "read", "[:x 1]", 60, 70, "ok"));
    expect(&bad, &[MonotonicWrites, StaleRead, NotLinearizable]);
    let mut good = base.to_vec();
    good.push((2, "read", "[:x 2]", 60, 70, "ok"));
    expect(&good, &[]);
}

#[test]
fn consistent_prefix() {
    // p0 asks a question; p1 reads it and answers; p2 sees the answer but not the question.
    let base = [
        (0, "write", "[:q 1]", 0, 10, "ok"),
        (1, "read", "[:q 1]", 20, 30, "ok"),
        (1, "write", "[:a 1]", 40, 50, "ok"),
        (2, "read", "[:a 1]", 60, 70, "ok"),
    ];
    let mut bad = base.to_vec();
    bad.push((2, "read", "[:q nil]", 80, 90, "ok"));
    expect(&bad, &[ConsistentPrefix, StaleRead, NotLinearizable]);
    let mut good = base.to_vec();
    good.push((2, "read", "[:q 1]", 80, 90, "ok"));
    expect(&good, &[]);
}

#[test]
fn not_linearizable_quorum_pattern() {
    // A write still in progress: one read sees it, a later read does not.
    expect(
        &[
            (0, "write", "[:x 1]", 0, 500, "ok"),
            (1, "read", "[:x 1]", 10, 20, "ok"),
            (2, "read", "[:x nil]", 30, 40, "ok"),
        ],
        &[NotLinearizable],
    );
    // Both reads see it: fine.
    expect(
        &[
            (0, "write", "[:x 1]", 0, 500, "ok"),
            (1, "read", "[:x 1]", 10, 20, "ok"),
            (2, "read", "[:x 1]", 30, 40, "ok"),
        ],
        &[],
    );
}

#[test]
fn crashed_operations_may_or_may_not_have_happened() {
    // A timed-out write that a later read sees: it happened. Not stale, linearizable.
    expect(&[(0, "write", "[:x 1]", 0, 10, "info"), (1, "read", "[:x 1]", 20, 30, "ok")], &[]);
    // A timed-out write that a later read does not see: it did not happen (yet). Also fine.
    expect(&[(0, "write", "[:x 1]", 0, 10, "info"), (1, "read", "[:x nil]", 20, 30, "ok")], &[]);
    // Seen, then unseen by a later read: that is not allowed.
    expect(
        &[
            (0, "write", "[:x 1]", 0, 10, "info"),
            (1, "read", "[:x 1]", 20, 30, "ok"),
            (2, "read", "[:x nil]", 40, 50, "ok"),
        ],
        &[NotLinearizable],
    );
    // A failed write never happened: a read seeing nothing is right.
    expect(&[(0, "write", "[:x 1]", 0, 10, "fail"), (1, "read", "[:x nil]", 20, 30, "ok")], &[]);
}

fn record(
    id: u32,
    session: u8,
    op: Op,
    invoke: u64,
    complete: u64,
    result: OpResult,
    by: u8,
    epoch: Option<u64>,
) -> OpRecord {
    OpRecord {
        id,
        session: ClientId(session),
        op,
        consistency: None,
        scheduled_at: invoke,
        invoke_at: Some(invoke),
        complete_at: Some(complete),
        result: Some(result),
        served_by: Some(NodeId(by)),
        version: None,
        assigned_id: None,
        epoch,
        lsn: epoch.map(|_| id as u64 + 1),
        contacted: vec![NodeId(by)],
    }
}

#[test]
fn lost_writes_split_brain_and_divergence_come_from_recorded_facts() {
    let x = Sym(0);
    let history = History {
        ops: vec![
            record(0, 0, Op::Write { key: x, value: 1 }, 0, 10, OpResult::Written, 0, Some(1)),
            record(1, 0, Op::Write { key: x, value: 2 }, 100, 110, OpResult::Written, 0, Some(1)),
        ],
    };
    let discarded = vec![Noted {
        time: 500,
        annotation: Annotation::TailDiscarded { node: NodeId(0), from_lsn: 2, to_lsn: 2, writes: vec![1] },
    }];
    let promoted = vec![Noted {
        time: 50,
        annotation: Annotation::Promoted {
            node: NodeId(1),
            epoch: 2,
            reason: "test".into(),
            // n2's log holds write 0 (LSN 1 of epoch 1), not write 1.
            held: LogHeld { start: 0, runs: vec![(1, 1, 1)] },
        },
    }];
    let kinds = |facts: &Facts| check(&history, facts).iter().map(|a| a.kind).collect::<BTreeSet<_>>();

    // Lost write: acknowledged, discarded, gone everywhere.
    let survivors: BTreeSet<u32> = [0].into();
    let f = Facts { annotations: &discarded, surviving: Some(&survivors), ..Facts::default() };
    assert!(kinds(&f).contains(&LostWrite));
    // Negative: a replica still holds it.
    let all: BTreeSet<u32> = [0, 1].into();
    let f = Facts { annotations: &discarded, surviving: Some(&all), ..Facts::default() };
    assert!(!kinds(&f).contains(&LostWrite));

    // Split-brain: write 1 acknowledged by n1 in epoch 1 after n2 became leader of epoch 2.
    let f = Facts { annotations: &promoted, ..Facts::default() };
    let found = check(&history, &f);
    let sb: Vec<_> = found.iter().filter(|a| a.kind == SplitBrain).collect();
    assert_eq!(sb.len(), 1);
    assert_eq!(sb[0].ops, vec![1]);
    // Negative: no newer leader.
    assert!(!kinds(&Facts::default()).contains(&SplitBrain));

    // Divergence at the end.
    let f = Facts { divergent_at_end: vec![NodeId(2)], end: 1_000, ..Facts::default() };
    assert!(kinds(&f).contains(&Divergence));
    assert!(!kinds(&Facts::default()).contains(&Divergence));
}

#[test]
fn siblings_are_not_stale() {
    // Two concurrent writes, a read returning both versions: nothing is missing.
    let x = Sym(0);
    let history = History {
        ops: vec![
            record(0, 0, Op::Write { key: x, value: 1 }, 0, 10, OpResult::Written, 0, None),
            record(1, 1, Op::Write { key: x, value: 2 }, 0, 10, OpResult::Written, 1, None),
            record(
                2,
                2,
                Op::Read { key: x },
                20,
                30,
                OpResult::Read(replicascope_engine::model::ReadValue::Register(vec![
                    Seen { write: 0, value: 1 },
                    Seen { write: 1, value: 2 },
                ])),
                0,
                None,
            ),
        ],
    };
    assert!(check(&history, &Facts::default()).is_empty());
}

fn run_documented(text: &str) -> Vec<replicascope_engine::checker::Anomaly> {
    let s = Scenario::from_json(text).unwrap();
    let plan = Rc::new(s.compile().unwrap());
    let mut out = Vec::new();
    for kind in s.kinds() {
        let mut run = AnyRun::new(kind, plan.clone()).unwrap();
        run.run_to_end();
        out.extend(report(&run).anomalies);
    }
    out
}

#[test]
fn documented_scenarios_show_their_anomaly() {
    let found = run_documented(include_str!("../../scenarios/leader-follower-failover.json"));
    assert!(found.iter().any(|a| a.kind == LostWrite), "async failover loses a write");
    let found = run_documented(include_str!("../../scenarios/leader-follower-profile-update.json"));
    let ryw: Vec<_> = found.iter().filter(|a| a.kind == ReadYourWrites).collect();
    assert!(!ryw.is_empty(), "any-follower reads violate read-your-writes");
    assert!(ryw[0].explanation.contains("applied LSN"), "{}", ryw[0].explanation);
    let found = run_documented(include_str!("../../scenarios/multi-leader-lww-skew.json"));
    assert!(found.iter().any(|a| a.kind == LostWrite && a.explanation.contains("last write wins")), "LWW under skew");
    let found = run_documented(include_str!("../../scenarios/leaderless-not-linearizable.json"));
    assert!(found.iter().any(|a| a.kind == NotLinearizable), "{found:#?}");
    assert!(!found.iter().any(|a| a.is(StaleRead)), "W + R > N: no read is stale, yet it is not linearizable");

    // With blocking read repair the same quorum is linearizable here.
    let mut s = Scenario::from_json(include_str!("../../scenarios/leaderless-not-linearizable.json")).unwrap();
    s.topologies.leaderless.as_mut().unwrap().read_repair =
        replicascope_engine::topology::leaderless::ReadRepair::Blocking;
    let found = run_documented(&serde_json::to_string(&s).unwrap());
    assert!(!found.iter().any(|a| a.kind == NotLinearizable), "{found:#?}");
}

#[test]
fn engine_histories_export_to_jepsen_and_back() {
    let s = Scenario::from_json(include_str!("../../scenarios/leaderless-not-linearizable.json")).unwrap();
    let plan = Rc::new(s.compile().unwrap());
    let mut run = AnyRun::new(s.kinds()[0], plan.clone()).unwrap();
    run.run_to_end();
    let history = replicascope_engine::metrics::history_of(&run);
    let text = export_edn(&history, &plan.names);
    let imported = import_edn(&text).unwrap();
    let verdict = check_imported(&imported, 1_000_000);
    assert_eq!(verdict.linearizable, Some(false), "Jepsen's view of the exported history agrees\n{text}");
}

#[test]
fn linearizability_of_a_thousand_operations_is_quick_enough_to_run() {
    // 1,000 operations from 10 sessions against a real leader: linearizable, and decided.
    let mut s = Scenario::default();
    s.duration = replicascope_engine::time::Duration::from_secs(20);
    s.workload.sessions = 10;
    s.workload.generator = Some(replicascope_engine::scenario::GeneratorSpec {
        rate: 50.0,
        read_fraction: 0.5,
        keys: 1,
        ..Default::default()
    });
    s.topologies.leader_follower = Some(Default::default());
    let plan = Rc::new(s.compile().unwrap());
    let mut run = AnyRun::new(s.kinds()[0], plan.clone()).unwrap();
    run.run_to_end();
    let history = replicascope_engine::metrics::history_of(&run);
    assert!(history.ops.len() >= 900, "{}", history.ops.len());
    let mut notes = Vec::new();
    let regs = replicascope_engine::jepsen::register_events(&history, &mut notes, &plan.names);
    let (verdicts, anomalies) = replicascope_engine::jepsen::linearizability(&regs, &plan.names, 2_000_000);
    assert!(anomalies.is_empty(), "{anomalies:#?}");
    assert!(
        verdicts.iter().all(|(_, v)| *v == replicascope_engine::linearizability::Verdict::Linearizable),
        "{verdicts:?}"
    );
}

fn write(id: u32, session: u8, key: Sym, value: i64, t: u64) -> OpRecord {
    record(id, session, Op::Write { key, value }, t, t + 10, OpResult::Written, 0, None)
}

fn read(id: u32, session: u8, key: Sym, seen: &[(u32, i64)], t: u64) -> OpRecord {
    let v = seen.iter().map(|(w, value)| Seen { write: *w, value: *value }).collect();
    record(
        id,
        session,
        Op::Read { key },
        t,
        t + 10,
        OpResult::Read(replicascope_engine::model::ReadValue::Register(v)),
        0,
        None,
    )
}

/// Going back after a reset on purpose is not a monotonic-reads violation: an acknowledged
/// delete-all or a restore from backup undid the earlier value for everyone.
#[test]
fn a_read_after_a_legal_reset_is_not_flagged() {
    let x = Sym(0);
    let delete = record(2, 0, Op::DeleteAll, 40, 50, OpResult::Written, 0, None);
    let history =
        History { ops: vec![write(0, 0, x, 1, 0), read(1, 0, x, &[(0, 1)], 20), delete, read(3, 0, x, &[], 60)] };
    let found = check(&history, &Facts::default());
    assert!(!found.iter().any(|a| a.is(MonotonicReads) || a.is(ReadYourWrites)), "{found:#?}");
    // Negative: without the delete the same reads go back in time.
    let history = History { ops: vec![write(0, 0, x, 1, 0), read(1, 0, x, &[(0, 1)], 20), read(3, 0, x, &[], 60)] };
    assert!(check(&history, &Facts::default()).iter().any(|a| a.is(MonotonicReads)));
    // A restore from a backup taken before the write: the value read first is undone.
    let restored =
        vec![Noted { time: 45, annotation: Annotation::BackupRestored { lsn: 0, node: NodeId(0), lost: vec![0] } }];
    let f = Facts { annotations: &restored, ..Facts::default() };
    assert!(!check(&history, &f).iter().any(|a| a.is(MonotonicReads)));
}

/// The same across whole runs: sticky reads (monotonic by construction) around a delete-all and a
/// restore from backup, over 200 seeds.
#[test]
fn sticky_reads_across_a_delete_all_and_a_restore_are_monotonic() {
    use replicascope_engine::topology::leader_follower::{LfConfig, ReadRouting};
    let mut s = Scenario::default();
    s.duration = replicascope_engine::time::Duration::from_secs(8);
    s.workload.sessions = 2;
    let op = |t: u64, c: &str, o: &str| replicascope_engine::scenario::ScriptOp {
        at: replicascope_engine::time::Duration::from_ms(t),
        session: c.into(),
        op: o.into(),
        cl: None,
        via: None,
    };
    for i in 0..10u64 {
        s.workload.script.push(op(100 + 100 * i, "c1", &format!("write k{}={i}", i % 3)));
    }
    for i in 0..60u64 {
        s.workload.script.push(op(50 + 100 * i, "c2", &format!("read k{}", i % 3)));
    }
    s.workload.script.push(op(2_500, "c1", "delete_all"));
    s.workload.script.push(op(3_000, "c1", "write k1=99"));
    s.faults = vec![
        replicascope_engine::scenario::FaultSpec {
            at: replicascope_engine::time::Duration::from_ms(1_500),
            fault: "backup".into(),
        },
        replicascope_engine::scenario::FaultSpec {
            at: replicascope_engine::time::Duration::from_ms(4_000),
            fault: "restore".into(),
        },
    ];
    s.topologies.leader_follower = Some(LfConfig { read_routing: ReadRouting::Sticky, ..LfConfig::default() });
    for seed in 0..200 {
        let mut s = s.clone();
        s.seed = seed;
        let plan = Rc::new(s.compile().unwrap());
        let mut run = AnyRun::new(s.kinds()[0], plan).unwrap();
        run.run_to_end();
        let r = report(&run);
        assert!(!r.anomalies.iter().any(|a| a.is(MonotonicReads)), "seed {seed}: {:#?}", r.anomalies);
        assert!(r.metrics.reads.ok >= 55, "seed {seed}: the reads ran");
    }
}

fn leaderless_run(s: &Scenario, seed: u64) -> (AnyRun, replicascope_engine::metrics::Report) {
    let mut s = s.clone();
    s.seed = seed;
    let plan = Rc::new(s.compile().unwrap());
    let mut run = AnyRun::new(replicascope_engine::vocab::TopologyKind::Leaderless, plan).unwrap();
    run.run_to_end();
    let r = report(&run);
    (run, r)
}

/// Divergence is a verdict about the end state, judged once the run is quiet: replicas still
/// catching up when the run ends (hints not yet handed back) are not "diverged forever"; a
/// partition still in place is "not converged yet", with what is pending; a replica that nothing
/// will ever repair is divergence.
#[test]
fn divergence_is_judged_once_the_run_is_quiet() {
    use replicascope_engine::topology::leaderless::{LlConfig, ReadRepair};
    let mut s = Scenario::default();
    s.duration = replicascope_engine::time::Duration::from_secs(10);
    s.workload.sessions = 1;
    let op = |t: u64, o: &str| replicascope_engine::scenario::ScriptOp {
        at: replicascope_engine::time::Duration::from_ms(t),
        session: "c1".into(),
        op: o.into(),
        cl: None,
        via: None,
    };
    for i in 0..30u64 {
        s.workload.script.push(op(1_000 + 200 * i, &format!("write k{}={i}", i % 6)));
    }
    let fault = |t: u64, f: &str| replicascope_engine::scenario::FaultSpec {
        at: replicascope_engine::time::Duration::from_ms(t),
        fault: f.into(),
    };
    let cfg = LlConfig {
        nodes: 5,
        n: 3,
        // Writes to all three home replicas: with n2 unreachable they need a stand-in, which
        // keeps a hint for n2.
        w: 3,
        r: 1,
        read_repair: ReadRepair::Off,
        sloppy_quorum: true,
        hint_interval: replicascope_engine::time::Duration::from_secs(5),
        ..LlConfig::default()
    };
    s.topologies.leaderless = Some(cfg.clone());
    // n2 is cut off while writes go on; the partition heals 1 s before the end, and the hints
    // held for it are handed back only at the next 5 s hint round, after the end.
    s.faults = vec![fault(500, "partition n2 | n1,n3,n4,n5,c1"), fault(9_000, "heal")];
    let mut unsettled_at_end = 0;
    for seed in 0..200 {
        let (_, r) = leaderless_run(&s, seed);
        let c = &r.metrics.convergence;
        assert!(!r.anomalies.iter().any(|a| a.kind == Divergence), "seed {seed}: catching up is not divergence");
        if c.divergent_at_end.is_empty() {
            continue;
        }
        unsettled_at_end += 1;
        assert!(c.settled_after_us.is_some_and(|t| t <= 5_000_000), "seed {seed}: {c:?}");
    }
    assert!(unsettled_at_end > 150, "{unsettled_at_end} of 200 runs ended before the hints were handed back");
    // The partition never heals: not converged yet, and it says why.
    let mut open = s.clone();
    open.faults.pop();
    let (_, r) = leaderless_run(&open, 1);
    let c = &r.metrics.convergence;
    assert!(!c.divergent_at_end.is_empty() && c.settled_after_us.is_none(), "{c:?}");
    assert!(c.pending.iter().any(|p| p.contains("partitioned")), "{c:?}");
    assert!(!r.anomalies.iter().any(|a| a.kind == Divergence));
    // Nothing repairs a replica that missed writes without hints, read repair or anti-entropy:
    // that is divergence for good.
    let mut lonely = s.clone();
    lonely.topologies.leaderless = Some(LlConfig { sloppy_quorum: false, hinted_handoff: false, ..cfg });
    let (_, r) = leaderless_run(&lonely, 1);
    assert!(r.anomalies.iter().any(|a| a.kind == Divergence), "{:#?}", r.metrics.convergence);
    // With anti-entropy the same replica is repaired, after the end if need be.
    let mut repaired = lonely.clone();
    repaired.topologies.leaderless.as_mut().unwrap().anti_entropy =
        Some(replicascope_engine::time::Duration::from_secs(5));
    let (_, r) = leaderless_run(&repaired, 1);
    assert!(!r.anomalies.iter().any(|a| a.kind == Divergence), "{:#?}", r.metrics.convergence);
}

/// The linearizability search has a budget (so a page never freezes); past it the verdict is
/// "unknown", never a guess either way.
#[test]
fn the_linearizability_search_answers_unknown_when_its_budget_runs_out() {
    use replicascope_engine::linearizability::{check_with_budget, RegEvent, RegOp, Verdict, STATE_BUDGET};
    // Sixteen writes, all concurrent, then two reads after all of them that disagree (3, then
    // 5): proving that no order of the writes explains both means trying them all.
    let mut events: Vec<RegEvent> =
        (0..16).map(|i| RegEvent { id: i, op: RegOp::Write(i as i64), invoke: 0, complete: Some(100) }).collect();
    events.push(RegEvent { id: 98, op: RegOp::Read(Some(3)), invoke: 200, complete: Some(300) });
    events.push(RegEvent { id: 99, op: RegOp::Read(Some(5)), invoke: 400, complete: Some(500) });
    match check_with_budget(&events, None, 100) {
        Verdict::Unknown { explored } => assert!(explored >= 100, "explored {explored}"),
        other => panic!("a budget of 100 states cannot decide this: {other:?}"),
    }
    assert!(matches!(check_with_budget(&events, None, STATE_BUDGET), Verdict::NotLinearizable { .. }));

    // Through `replicascope check`'s path: unknown means neither linearizable nor an anomaly.
    let mut text = String::new();
    for i in 0..16 {
        text.push_str(&format!("{{:process {i}, :type :invoke, :f :write, :value {i}}}\n"));
    }
    for i in 0..16 {
        text.push_str(&format!("{{:process {i}, :type :ok, :f :write, :value {i}}}\n"));
    }
    text.push_str("{:process 20, :type :invoke, :f :read, :value nil}\n{:process 20, :type :ok, :f :read, :value 3}\n");
    text.push_str("{:process 20, :type :invoke, :f :read, :value nil}\n{:process 20, :type :ok, :f :read, :value 5}\n");
    let imported = import_edn(&text).unwrap();
    let small = check_imported(&imported, 100);
    assert_eq!(small.linearizable, None, "{:?}", small.linearizability);
    assert!(!small.anomalies.iter().any(|a| a.kind == NotLinearizable));
    let full = check_imported(&imported, STATE_BUDGET);
    assert_eq!(full.linearizable, Some(false));
}

/// The remedy follows the design: a leaderless pane's advice is about quorums, a multi-leader
/// pane's about leaders and merging, never about followers.
#[test]
fn remedies_speak_the_design_they_are_given_in() {
    use replicascope_engine::vocab::TopologyKind::{LeaderFollower, Leaderless, MultiLeader};
    for kind in [StaleRead, ReadYourWrites, MonotonicReads, LostWrite, ConsistentPrefix] {
        let ll = kind.lesson_in(Leaderless);
        let ml = kind.lesson_in(MultiLeader);
        assert!(!ll.contains("follower"), "{kind:?} in leaderless: {ll}");
        assert!(!ml.contains("follower"), "{kind:?} in multi-leader: {ml}");
        assert!(ll.contains("quorum") || ll.contains("version") || ll.contains("replica"), "{kind:?}: {ll}");
        assert_eq!(kind.lesson_in(LeaderFollower), kind.lesson());
    }
}
