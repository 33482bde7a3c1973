//! Every preset is valid, and each shows what its narration says it shows — and, where the
//! narration suggests a fix, the fix removes it. Driven by one table.

use replicascope_engine::annotate::Annotation;
use replicascope_engine::checker::AnomalyKind::{self, *};
use replicascope_engine::link::apply_override;
use replicascope_engine::metrics::{report, Report, Reporting};
use replicascope_engine::presets::{preset, PRESETS};
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::Scenario;
use replicascope_engine::vocab::TopologyKind;
use std::rc::Rc;

use TopologyKind::{LeaderFollower as LF, Leaderless as LL, MultiLeader as ML};

fn run_all(s: &Scenario) -> Vec<(TopologyKind, AnyRun, Report)> {
    let plan = Rc::new(s.compile().unwrap_or_else(|e| panic!("{}: {e}", s.name)));
    s.kinds()
        .into_iter()
        .map(|k| {
            let mut run = AnyRun::new(k, plan.clone()).unwrap();
            run.run_to_end();
            let r = report(&run);
            // The page makes the report a step a frame: the same report, in four steps.
            let mut reporting = Reporting::new(run.settle());
            let steps: Vec<Option<Report>> = (0..6).map(|_| reporting.step(&run)).collect();
            assert!(steps[..3].iter().all(Option::is_none) && steps[4..].iter().all(Option::is_none), "{}", s.name);
            assert!(steps[3].as_ref() == Some(&r), "{} {k:?}: the report made in steps differs", s.name);
            (k, run, r)
        })
        .collect()
}

fn count(runs: &[(TopologyKind, AnyRun, Report)], pane: TopologyKind, kind: AnomalyKind) -> usize {
    runs.iter().filter(|(k, ..)| *k == pane).flat_map(|(_, _, r)| r.anomalies.iter()).filter(|a| a.is(kind)).count()
}

fn annotated(runs: &[(TopologyKind, AnyRun, Report)], pane: TopologyKind, f: impl Fn(&Annotation) -> bool) -> bool {
    runs.iter().filter(|(k, ..)| *k == pane).any(|(_, run, _)| run.trace().annotations.iter().any(|n| f(&n.annotation)))
}

/// (preset, pane, anomaly it must show, override that must remove it)
const TABLE: &[(&str, TopologyKind, AnomalyKind, Option<(&str, &str)>)] = &[
    ("async-vs-semi-sync", LF, LostWrite, Some(("lf.mode", "semi_sync"))),
    ("profile-update", LF, ReadYourWrites, Some(("lf.read_routing", "read_your_writes"))),
    ("time-goes-backwards", LF, MonotonicReads, Some(("lf.read_routing", "sticky"))),
    ("time-goes-backwards", LL, MonotonicReads, None),
    ("reply-before-question", LF, ConsistentPrefix, None),
    ("reply-before-question", ML, ConsistentPrefix, Some(("ml.causal_delivery", "true"))),
    ("split-brain", LF, SplitBrain, Some(("lf.fencing", "true"))),
    // Fencing stops split-brain, not the asynchronous tail: only waiting for a follower does.
    ("split-brain", LF, LostWrite, Some(("lf.mode", "semi_sync"))),
    ("wrong-follower", LF, LostWrite, Some(("lf.promote", "most_up_to_date"))),
    ("not-a-backup", LF, LostWrite, None),
    ("lww-clock-skew", ML, LostWrite, Some(("ml.register", "siblings"))),
    ("lww-clock-skew", ML, LostWrite, Some(("ml.register", "causal_lww"))),
    ("lww-clock-skew", LL, LostWrite, Some(("ll.versioning", "version_vectors"))),
    ("lww-clock-skew", LL, LostWrite, Some(("ll.versioning", "causal_lww"))),
    ("colliding-ids", ML, LostWrite, Some(("ml.ids", "region_prefix"))),
    ("quorum-not-linearizable", LL, NotLinearizable, Some(("ll.read_repair", "blocking"))),
    ("redis-replication", LF, LostWrite, None),
    ("dynamodb", LF, StaleRead, Some(("lf.read_routing", "leader"))),
    ("dynamodb", ML, LostWrite, Some(("ml.register", "siblings"))),
    ("cassandra", LL, LostWrite, Some(("ll.versioning", "version_vectors"))),
    ("cassandra", LL, StaleRead, None),
];

#[test]
fn every_preset_is_valid_and_narrated() {
    assert!(PRESETS.len() >= 24);
    for p in PRESETS {
        let s = preset(p.id).unwrap_or_else(|| panic!("{} does not parse", p.id));
        s.compile().unwrap_or_else(|e| panic!("{}: {e}", p.id));
        assert!(!s.name.is_empty() && s.description.len() > 80, "{}: needs a title and a description", p.id);
        assert!(!s.narration.is_empty(), "{}: needs narration", p.id);
        for c in &s.narration {
            assert!(c.at.0 <= s.duration.0, "{}: caption after the end", p.id);
        }
    }
}

#[test]
fn presets_show_what_they_say_and_the_fixes_work() {
    for (id, pane, kind, fix) in TABLE {
        let s = preset(id).unwrap();
        let runs = run_all(&s);
        assert!(count(&runs, *pane, *kind) > 0, "{id}: {pane:?} should show {kind:?}");
        if let Some((key, value)) = fix {
            let mut fixed = s.clone();
            apply_override(&mut fixed, key, value).unwrap();
            let runs = run_all(&fixed);
            assert_eq!(
                count(&runs, *pane, *kind),
                0,
                "{id} with {key}={value}: {pane:?} should no longer show {kind:?}"
            );
        }
    }
}

#[test]
fn presets_without_an_anomaly_show_their_mechanism() {
    let check = |id: &str, pane: TopologyKind, what: &str, f: &dyn Fn(&Annotation) -> bool| {
        let runs = run_all(&preset(id).unwrap());
        assert!(annotated(&runs, pane, f), "{id}: {what}");
        runs
    };
    check("two-am-failover", LF, "a follower is promoted", &|a| matches!(a, Annotation::Promoted { .. }));
    check("mongodb-replica-set", LF, "an election", &|a| matches!(a, Annotation::Elected { .. }));
    check("mysql-semi-sync", LF, "semi-sync falls back", &|a| matches!(a, Annotation::SemiSyncFallback { .. }));
    check("mysql-semi-sync", LF, "semi-sync recovers", &|a| matches!(a, Annotation::SemiSyncRestored { .. }));
    check("broken-ring", ML, "the ring is repaired", &|a| matches!(a, Annotation::TopologyRepaired { .. }));
    check(
        "shopping-cart",
        ML,
        "the carts are merged by union",
        &|a| matches!(a, Annotation::Conflict(c) if c.rule.contains("union")),
    );
    check(
        "shopping-cart",
        LL,
        "the OR-set merges",
        &|a| matches!(a, Annotation::Conflict(c) if c.rule.contains("OR-set")),
    );
    check("sloppy-quorum", LL, "hints are handed off", &|a| matches!(a, Annotation::HintDelivered { .. }));
    check("read-repair-vs-anti-entropy", LL, "read repair", &|a| matches!(a, Annotation::ReadRepair { .. }));
    check(
        "read-repair-vs-anti-entropy",
        LL,
        "Merkle sync",
        &|a| matches!(a, Annotation::AntiEntropy(m) if !m.keys_synced.is_empty()),
    );
    check("riak", LL, "siblings", &|a| matches!(a, Annotation::Conflict(c) if c.rule.contains("siblings")));
    // Tokyo writes: the single leader pays the ocean, the others do not.
    let runs = run_all(&preset("tokyo-virginia").unwrap());
    let p50 = |k: TopologyKind| runs.iter().find(|(x, ..)| *x == k).unwrap().2.metrics.write_latency.p50_ms;
    assert!(p50(LF) > 100.0 && p50(ML) < 20.0 && p50(LL) < 20.0, "{} {} {}", p50(LF), p50(ML), p50(LL));
    // Quorum math: W + R > N never stale; W = R = 1 often stale.
    let s = preset("quorum-math").unwrap();
    assert_eq!(count(&run_all(&s), LL, StaleRead), 0);
    let mut fast = s.clone();
    apply_override(&mut fast, "ll.w", "1").unwrap();
    apply_override(&mut fast, "ll.r", "1").unwrap();
    assert!(count(&run_all(&fast), LL, StaleRead) > 0);
    // Two AM: leaderless needs no failover and stays available.
    let runs = run_all(&preset("two-am-failover").unwrap());
    let avail = |k: TopologyKind| runs.iter().find(|(x, ..)| *x == k).unwrap().2.metrics.availability;
    assert!(avail(LL) >= avail(LF), "{} vs {}", avail(LL), avail(LF));
}

fn pane<'a>(runs: &'a [(TopologyKind, AnyRun, Report)], k: TopologyKind) -> (&'a AnyRun, &'a Report) {
    runs.iter().find(|(x, ..)| *x == k).map(|(_, run, r)| (run, r)).unwrap()
}

fn first(run: &AnyRun, f: impl Fn(&Annotation) -> bool) -> Option<u64> {
    run.trace().annotations.iter().find(|n| f(&n.annotation)).map(|n| n.time)
}

const S: u64 = 1_000_000;

/// Each preset modelled on a real system says which defaults it models and what it simplifies,
/// and shows, at the moments its narration names, what the narration says.
#[test]
fn real_system_presets_show_their_documented_defaults() {
    use replicascope_engine::presets::Group;
    for p in PRESETS.iter().filter(|p| p.group == Group::RealSystem) {
        let s = preset(p.id).unwrap();
        assert!(s.description.contains("Simplified"), "{}: say what the model simplifies", p.id);
    }

    // PostgreSQL: asynchronous streaming; a Patroni-style promotion 30 s after the crash at 20 s.
    let runs = run_all(&preset("postgresql-streaming").unwrap());
    let (run, r) = pane(&runs, LF);
    let promoted = first(run, |a| matches!(a, Annotation::Promoted { .. })).unwrap();
    assert!((50 * S..53 * S).contains(&promoted), "postgresql: promoted at {promoted}");
    assert!(r.metrics.write_availability.longest_outage_ms >= 29_000.0, "{:?}", r.metrics.write_availability);
    assert!(count(&runs, LF, ReadYourWrites) > 0, "postgresql: standby reads lag");

    // MySQL: semi-sync falls back after rpl_semi_sync_source_timeout (10 s) and switches back.
    let runs = run_all(&preset("mysql-semi-sync").unwrap());
    let (run, _) = pane(&runs, LF);
    let fell = first(run, |a| matches!(a, Annotation::SemiSyncFallback { .. })).unwrap();
    assert!((18 * S..19 * S).contains(&fell), "mysql: fell back at {fell}");
    let back = first(run, |a| matches!(a, Annotation::SemiSyncRestored { .. })).unwrap();
    assert!(back >= 26 * S, "mysql: restored at {back}");
    assert_eq!(count(&runs, LF, LostWrite), 0);

    // MongoDB: a new primary about electionTimeoutMillis (10 s) after the partition, and the old
    // primary steps down as it does — then serves nothing until the partition heals.
    let runs = run_all(&preset("mongodb-replica-set").unwrap());
    let (run, r) = pane(&runs, LF);
    let down = first(run, |a| matches!(a, Annotation::SteppedDown { node, .. } if node.0 == 0)).unwrap();
    let elected = first(run, |a| matches!(a, Annotation::Elected { node, .. } if node.0 != 0)).unwrap();
    assert!((19 * S..22 * S).contains(&down), "mongodb: stepped down at {down}");
    assert!((20 * S..23 * S).contains(&elected), "mongodb: elected at {elected}");
    let history = replicascope_engine::metrics::history_of(run);
    let served = history
        .ops
        .iter()
        .filter(|o| o.ok() && o.served_by.map(|n| n.0) == Some(0))
        .filter(|o| o.complete_at.is_some_and(|t| t > down && t < 30 * S))
        .count();
    assert_eq!(served, 0, "mongodb: the deposed primary served nothing");
    assert_eq!(count(&runs, LF, LostWrite) + count(&runs, LF, StaleRead), 0, "{:#?}", r.anomalies);

    // Redis: Sentinel promotes 30 s (down-after-milliseconds) after the crash at 10 s; the last
    // asynchronous writes are lost at that moment.
    let runs = run_all(&preset("redis-replication").unwrap());
    let (run, r) = pane(&runs, LF);
    let promoted = first(run, |a| matches!(a, Annotation::Promoted { .. })).unwrap();
    assert!((40 * S..43 * S).contains(&promoted), "redis: promoted at {promoted}");
    let lost: Vec<_> = r.anomalies.iter().filter(|a| a.kind == LostWrite).collect();
    assert!(!lost.is_empty() && lost.iter().all(|a| a.time == promoted), "redis: {lost:#?}");

    // Cassandra: the fast clock costs c2's balance = 150; reads at ONE through n2 after it
    // returns are stale, and with R = 2 they are not.
    let s = preset("cassandra").unwrap();
    let runs = run_all(&s);
    let (_, r) = pane(&runs, LL);
    assert!(
        r.anomalies.iter().any(|a| a.kind == LostWrite
            && a.explanation.contains("balance = 150")
            && a.explanation.contains("500 ms behind")),
        "cassandra: {:#?}",
        r.anomalies
    );
    let status_stale =
        |r: &Report| r.anomalies.iter().filter(|a| a.is(StaleRead) && a.explanation.contains("status from n2")).count();
    assert!(status_stale(r) >= 3, "cassandra: reads at ONE through n2 are stale: {:#?}", r.anomalies);
    let mut two = s.clone();
    apply_override(&mut two, "ll.r", "2").unwrap();
    let runs = run_all(&two);
    assert_eq!(status_stale(pane(&runs, LL).1), 0);

    // DynamoDB: strongly consistent reads (the leader) are never stale; eventually consistent
    // ones are; a write is acknowledged once two of three replicas have it, so none is lost; the
    // global table's last writer wins drops one of two concurrent updates.
    let s = preset("dynamodb").unwrap();
    let lf = s.topologies.leader_follower.as_ref().unwrap();
    assert!(lf.placement.iter().all(|r| r == "us-east"), "dynamodb keeps a partition's replicas in one Region");
    let runs = run_all(&s);
    assert!(count(&runs, LF, StaleRead) > 10);
    assert_eq!(count(&runs, LF, LostWrite), 0);
    assert!(count(&runs, ML, LostWrite) > 0);

    // Riak: siblings returned together; the CRDT counter counts all three likes.
    let runs = run_all(&preset("riak").unwrap());
    let (run, _) = pane(&runs, LL);
    let history = replicascope_engine::metrics::history_of(run);
    use replicascope_engine::model::{OpResult, ReadValue};
    assert!(history
        .ops
        .iter()
        .any(|o| matches!(&o.result, Some(OpResult::Read(ReadValue::Register(v))) if v.len() == 2)));
    assert!(history.ops.iter().any(|o| o.result == Some(OpResult::Read(ReadValue::Counter(3)))));
}

/// The default story's figures, as its narration states them.
#[test]
fn the_two_am_failure_costs_what_its_narration_says() {
    let runs = run_all(&preset("two-am-failover").unwrap());
    let (run, r) = pane(&runs, LF);
    let promoted = first(run, |a| matches!(a, Annotation::Promoted { .. })).unwrap();
    // The failure timeout (10 s) after the crash at 10 s.
    assert!((20 * S..22 * S).contains(&promoted), "promoted at {promoted}");
    // "About 15 s without a successful write in all."
    let outage = r.metrics.write_availability.longest_outage_ms;
    assert!((13_000.0..=16_000.0).contains(&outage), "{:?}", r.metrics.write_availability);
    let (_, ml) = pane(&runs, ML);
    assert!(ml.metrics.write_availability.longest_outage_ms < 1_000.0, "{:?}", ml.metrics.write_availability);
}

/// Captions follow the settings: the split-brain story told with fencing on is not the one told
/// with it off.
#[test]
fn split_brain_captions_follow_the_fencing_setting() {
    let s = preset("split-brain").unwrap();
    let texts = |s: &Scenario| -> Vec<String> {
        s.narration.iter().filter(|c| s.caption_applies(c)).map(|c| c.text.clone()).collect()
    };
    let off = texts(&s);
    let mut fenced = s.clone();
    apply_override(&mut fenced, "lf.fencing", "true").unwrap();
    let on = texts(&fenced);
    assert!(off.iter().any(|t| t.contains("split-brain")) && !off.iter().any(|t| t.contains("STONITH")));
    assert!(on.iter().any(|t| t.contains("STONITH")) && !on.iter().any(|t| t.contains("Two leaders")));
    // What the fenced caption claims holds in the run: n1 powered off before n2's promotion.
    let runs = run_all(&fenced);
    let (run, _) = pane(&runs, LF);
    let off_at = first(run, |a| matches!(a, Annotation::PoweredOff { node, .. } if node.0 == 0)).unwrap();
    let promoted = first(run, |a| matches!(a, Annotation::Promoted { .. })).unwrap();
    assert_eq!(promoted, off_at + 2 * S, "promoted after the 2 s fence confirmation");
    assert_eq!(count(&runs, LF, SplitBrain), 0);
    assert!(count(&runs, LF, LostWrite) > 0, "the writes acknowledged before the fence are lost");
}

/// "What replication buys": the single node is down for the whole crash and loses nothing; the
/// leader-follower pane stops writing until a promotion (about 14 s) and the clients' own
/// timeouts; multi-leader and leaderless keep serving. Over ten seeds, as the narration says.
#[test]
fn what_replication_buys_holds_over_seeds() {
    use replicascope_engine::metrics::history_of;
    use TopologyKind::SingleNode as SN;
    let base = preset("what-replication-buys").unwrap();
    assert_eq!(base.kinds(), TopologyKind::ALL.to_vec(), "all four designs side by side");
    for seed in 1..=10 {
        let mut s = base.clone();
        s.seed = seed;
        let runs = run_all(&s);
        let (run, r) = pane(&runs, SN);
        assert!(r.anomalies.is_empty(), "seed {seed}: one node shows no anomaly: {:?}", r.anomalies);
        assert_eq!(r.metrics.lost_acknowledged_writes, 0);
        let history = history_of(run);
        let during = history
            .ops
            .iter()
            .filter(|o| o.ok() && o.complete_at.is_some_and(|t| (8 * S + 50_000..23 * S).contains(&t)))
            .count();
        assert_eq!(during, 0, "seed {seed}: nothing succeeds while n1 is down");
        let after = history.ops.iter().filter(|o| o.ok() && o.complete_at.is_some_and(|t| t > 23 * S)).count();
        assert!(after > 20, "seed {seed}: n1 serves again after its restart ({after} ops)");
        assert!(r.metrics.write_availability.longest_outage_ms >= 14_000.0, "{:?}", r.metrics.write_availability);

        let (run, r) = pane(&runs, LF);
        let promoted = first(run, |a| matches!(a, Annotation::Promoted { .. })).unwrap();
        assert!((13 * S..=15 * S).contains(&promoted), "seed {seed}: promoted at {promoted}");
        let outage = r.metrics.write_availability.longest_outage_ms;
        assert!((5_000.0..=11_000.0).contains(&outage), "seed {seed}: 'up to about 10 s': {outage}");
        // Multi-leader and leaderless keep serving: a request sent to n1 waits out its timeout
        // and goes elsewhere, so operations slow down for a moment but never stop for long.
        let lf_availability = r.metrics.availability;
        for (k, longest) in [(ML, 1_500.0), (LL, 7_000.0)] {
            let (_, r) = pane(&runs, k);
            let outage = r.metrics.write_availability.longest_outage_ms;
            assert!(outage < longest, "seed {seed}: {k:?} keeps serving, yet wrote nothing for {outage} ms");
            assert!(r.metrics.availability > 0.85, "seed {seed}: {k:?} {}", r.metrics.availability);
            assert!(r.metrics.availability > lf_availability + 0.1, "seed {seed}: {k:?} vs leader-follower");
        }
    }
}

/// The presets are embedded without their indentation (`engine/build.rs`): what is embedded
/// means exactly what the file says.
#[test]
fn embedded_presets_are_their_files_without_whitespace() {
    for p in PRESETS {
        let path = format!("{}/../scenarios/presets/{}.json", env!("CARGO_MANIFEST_DIR"), p.id);
        let file = std::fs::read_to_string(&path).unwrap();
        let a: serde_json::Value = serde_json::from_str(&file).unwrap();
        let b: serde_json::Value = serde_json::from_str(p.json).unwrap();
        assert_eq!(a, b, "{}", p.id);
        assert!(p.json.len() < file.len(), "{}: embedded minified", p.id);
        assert!(!p.json.contains("\n  "), "{}", p.id);
    }
}
