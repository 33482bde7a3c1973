//! Every preset is valid, and each shows what its narration says it shows — and, where the
//! narration suggests a fix, the fix removes it. Driven by one table.

use replicascope_engine::annotate::Annotation;
use replicascope_engine::checker::AnomalyKind::{self, *};
use replicascope_engine::link::apply_override;
use replicascope_engine::metrics::{report, Report};
use replicascope_engine::presets::{preset, PRESETS};
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::{Scenario, TopologyKind};
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
    ("split-brain", LF, LostWrite, Some(("lf.fencing", "true"))),
    ("wrong-follower", LF, LostWrite, Some(("lf.promote", "most_up_to_date"))),
    ("not-a-backup", LF, LostWrite, None),
    ("lww-clock-skew", ML, LostWrite, Some(("ml.register", "siblings"))),
    ("lww-clock-skew", LL, LostWrite, Some(("ll.versioning", "version_vectors"))),
    ("colliding-ids", ML, LostWrite, Some(("ml.ids", "region_prefix"))),
    ("quorum-not-linearizable", LL, NotLinearizable, Some(("ll.read_repair", "blocking"))),
    ("redis-replication", LF, LostWrite, None),
    ("dynamodb", LL, StaleRead, None),
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
