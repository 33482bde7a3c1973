//! Acceptance tests for leaderless replication: quorum overlap under crashes, the staleness
//! explorer against its closed form, anti-entropy and read repair, sloppy quorums and hinted
//! handoff.

use replicascope_engine::annotate::Annotation;
use replicascope_engine::checker::AnomalyKind;
use replicascope_engine::metrics::Report;
use replicascope_engine::model::NodeId;
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::{GeneratorSpec, Scenario, ScriptOp};
use replicascope_engine::staleness::{closed_form_stale, explore, StalenessSpec};
use replicascope_engine::time::Duration;
use replicascope_engine::topology::leaderless::{LlConfig, ReadRepair, Ring};
use replicascope_engine::vocab::TopologyKind;

mod common;
use common::{fault, ms, op};

fn simulate(s: &Scenario, seed: u64) -> (AnyRun, Report) {
    common::simulate_kind(TopologyKind::Leaderless, s, seed)
}

/// Reads older than the latest write acknowledged before they began (own writes included).
fn stale(r: &Report) -> usize {
    r.anomalies.iter().filter(|a| a.is(AnomalyKind::StaleRead) || a.is(AnomalyKind::ReadYourWrites)).count()
}

fn quorum_workload(w: u32, r: u32) -> Scenario {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(8);
    s.workload.sessions = 4;
    s.workload.generator = Some(GeneratorSpec { rate: 60.0, read_fraction: 0.6, keys: 5, ..GeneratorSpec::default() });
    s.network.latency = replicascope_engine::dist::Dist::Exponential { mean_ms: 3.0 };
    s.faults = vec![
        fault(1_500, "crash n2"),
        fault(3_000, "restart n2"),
        fault(4_000, "crash n4"),
        fault(4_500, "crash n5"),
        fault(6_000, "restart n4"),
        fault(6_500, "restart n5"),
    ];
    s.topologies.leaderless =
        Some(LlConfig { nodes: 5, n: 3, w, r, read_repair: ReadRepair::Off, ..LlConfig::default() });
    s
}

#[test]
fn strict_quorums_with_overlap_never_read_stale_data() {
    for seed in 0..1_000 {
        let (_, r) = simulate(&quorum_workload(2, 2), seed);
        assert_eq!(stale(&r), 0, "W=2 R=2 N=3, seed {seed}: {:#?}", r.anomalies);
        assert!(r.metrics.reads.ok > 100, "seed {seed}: reads happened");
    }
}

#[test]
fn quorums_without_overlap_read_stale_data() {
    let mut total = 0;
    for seed in 0..200 {
        let (_, r) = simulate(&quorum_workload(1, 1), seed);
        total += stale(&r);
    }
    println!("W=1 R=1 N=3: {total} stale reads over 200 seeds");
    assert!(total > 0);
}

#[test]
fn the_staleness_explorer_matches_the_closed_form() {
    for r in 1..=3u32 {
        for w in 1..=3u32 {
            let spec = StalenessSpec {
                n: 3,
                r,
                w,
                trials: 100_000,
                propagate: false,
                seed: (r * 10 + w) as u64,
                ..StalenessSpec::default()
            };
            let res = explore(&spec);
            let p = closed_form_stale(3, r, w);
            // Stale at every t: the curve is flat.
            for point in &res.points {
                let stale = 1.0 - point.p_consistent;
                let n = res.trials as f64;
                let half_width = 2.576 * (p * (1.0 - p) / n).sqrt();
                assert!(
                    (stale - p).abs() <= half_width.max(1e-12),
                    "R={r} W={w}: simulated {stale:.5} vs closed form {p:.5} ± {half_width:.5} at t={}",
                    point.t_ms
                );
            }
            println!("N=3 R={r} W={w}: P(stale) closed form {p:.4}, simulated {:.4}", 1.0 - res.p_consistent_at_commit);
        }
    }
}

#[test]
fn with_propagation_staleness_fades_and_overlap_removes_it() {
    let res = explore(&StalenessSpec { n: 3, r: 1, w: 1, trials: 100_000, max_ms: 300.0, ..StalenessSpec::default() });
    assert!(res.p_consistent_at_commit < 0.95);
    assert!(res.points.last().unwrap().p_consistent > 0.999);
    let t = res.t_visibility_999_ms.unwrap();
    assert!(t > 0.0 && t < 300.0, "t-visibility {t} ms");
    let overlap = explore(&StalenessSpec { n: 3, r: 2, w: 2, trials: 100_000, ..StalenessSpec::default() });
    assert_eq!(overlap.p_consistent_at_commit, 1.0);
}

/// The home replicas and stand-ins of `key` in a 5-node ring.
fn preference(key: &str) -> Vec<NodeId> {
    Ring::new(5, LlConfig::default().vnodes as usize).preference(Ring::key_position(key))
}

fn names(v: &[NodeId]) -> String {
    v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(",")
}

/// A partition cuts two of a key's three home replicas off from the client, its coordinator and
/// the key's stand-ins.
fn partitioned_writes(sloppy: bool) -> Scenario {
    let pref = preference("cart");
    let side_a = vec![pref[0], pref[3], pref[4]];
    let side_b = vec![pref[1], pref[2]];
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(20);
    s.workload.sessions = 1;
    for i in 0..10u64 {
        s.workload.script.push(op(3_000 + 500 * i, "c1", &format!("write cart={i}")));
    }
    s.faults =
        vec![fault(2_000, &format!("partition {},c1 | {}", names(&side_a), names(&side_b))), fault(10_000, "heal")];
    s.topologies.leaderless = Some(LlConfig {
        nodes: 5,
        n: 3,
        w: 2,
        r: 2,
        sloppy_quorum: sloppy,
        hinted_handoff: true,
        ..LlConfig::default()
    });
    s
}

#[test]
fn sloppy_quorums_keep_writes_available_and_hints_are_handed_off() {
    for seed in 0..100 {
        let (_, strict) = simulate(&partitioned_writes(false), seed);
        let (run, sloppy) = simulate(&partitioned_writes(true), seed);
        assert!(strict.metrics.writes.ok < 10, "seed {seed}: strict quorum fails writes ({:?})", strict.metrics.writes);
        assert_eq!(
            sloppy.metrics.writes.ok, 10,
            "seed {seed}: sloppy quorum accepts them all ({:?})",
            sloppy.metrics.writes
        );
        let mut stored = Vec::new();
        let mut delivered = Vec::new();
        for n in &run.trace().annotations {
            match &n.annotation {
                Annotation::HintStored { holder, home, write, .. } => stored.push((*holder, *home, *write)),
                Annotation::HintDelivered { holder, home, write, .. } => {
                    assert!(n.time >= 10_000_000, "seed {seed}: handed off only after the heal");
                    delivered.push((*holder, *home, *write));
                }
                _ => {}
            }
        }
        assert!(!stored.is_empty(), "seed {seed}");
        stored.sort();
        stored.dedup();
        delivered.sort();
        delivered.dedup();
        assert_eq!(stored, delivered, "seed {seed}: every hinted write was handed off");
        assert_eq!(run.final_observation().divergent_nodes(), 0, "seed {seed}");
        assert!(run.final_observation().backlog.iter().all(|b| *b == 0), "seed {seed}: no hints left");
    }
}

/// One key is written while a home replica is cut off, and never read again.
fn cold_key(anti_entropy: bool) -> Scenario {
    let pref = preference("archive");
    let cut = pref[2];
    let others: Vec<NodeId> = (0..5).map(NodeId).filter(|n| *n != cut).collect();
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(15);
    s.workload.sessions = 1;
    s.workload.script = vec![op(2_000, "c1", "write archive=1"), op(2_500, "c1", "write archive=2")];
    // Long enough for a write whose first coordinator is the cut-off node to be retried elsewhere.
    s.faults = vec![fault(1_000, &format!("partition {} | {},c1", cut, names(&others))), fault(6_000, "heal")];
    s.topologies.leaderless = Some(LlConfig {
        nodes: 5,
        n: 3,
        w: 2,
        r: 2,
        anti_entropy: anti_entropy.then(|| Duration::from_secs(1)),
        ..LlConfig::default()
    });
    s
}

#[test]
fn anti_entropy_repairs_cold_keys_and_nothing_else_does() {
    for seed in 0..100 {
        let (run, r) = simulate(&cold_key(false), seed);
        assert_eq!(r.metrics.writes.ok, 2, "seed {seed}");
        assert_eq!(run.final_observation().divergent_nodes(), 1, "seed {seed}: the cut-off replica never learns");
        assert!(r.anomalies.iter().any(|a| a.kind == AnomalyKind::Divergence));

        let (run, _) = simulate(&cold_key(true), seed);
        assert_eq!(run.final_observation().divergent_nodes(), 0, "seed {seed}: Merkle exchange repaired it");
        let synced = run.trace().annotations.iter().any(|n| {
            matches!(&n.annotation, Annotation::AntiEntropy(m) if !m.differing.is_empty() && m.differing.contains(&0) && !m.keys_synced.is_empty())
        });
        assert!(synced, "seed {seed}: an exchange found the differing subtree");
    }
}

#[test]
fn read_repair_fixes_a_stale_replica_that_a_read_meets() {
    let mut s = cold_key(false);
    // Read the key repeatedly at ALL after the heal: every replica answers, the stale one is fixed.
    for i in 0..3u64 {
        s.workload.script.push(ScriptOp {
            at: ms(8_000 + 500 * i),
            session: "c1".into(),
            op: "read archive".into(),
            cl: Some("all".into()),
            via: None,
        });
    }
    for mode in [ReadRepair::Blocking, ReadRepair::Background] {
        s.topologies.leaderless.as_mut().unwrap().read_repair = mode;
        for seed in 0..100 {
            let (run, r) = simulate(&s, seed);
            assert!(
                run.trace().annotations.iter().any(|n| matches!(n.annotation, Annotation::ReadRepair { .. })),
                "{mode:?} seed {seed}"
            );
            assert_eq!(run.final_observation().divergent_nodes(), 0, "{mode:?} seed {seed}");
            assert_eq!(r.metrics.reads.ok, 3);
        }
    }
}

#[test]
fn consistency_levels_override_quorums_per_operation() {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(5);
    s.workload.sessions = 1;
    s.faults = vec![fault(500, "crash n1"), fault(500, "crash n2")];
    s.workload.script = vec![
        ScriptOp { at: ms(1_000), session: "c1".into(), op: "write k=1".into(), cl: Some("one".into()), via: None },
        ScriptOp { at: ms(2_000), session: "c1".into(), op: "write k=2".into(), cl: Some("all".into()), via: None },
    ];
    s.topologies.leaderless = Some(LlConfig { nodes: 3, n: 3, w: 2, r: 2, ..LlConfig::default() });
    let (_, r) = simulate(&s, 1);
    // Two of three replicas down: ONE succeeds, ALL cannot.
    assert_eq!(r.metrics.writes.ok, 1, "{:?}", r.metrics.writes);
}

#[test]
fn clients_pick_a_coordinator_in_their_own_region() {
    // Tokyo and Virginia, three replicas each, LOCAL_QUORUM writes: a coordinator in the client's
    // region never has to cross the ocean, whatever the seed.
    let s = replicascope_engine::presets::preset("tokyo-virginia").unwrap();
    for seed in 0..20 {
        let (run, _) = simulate(&s, seed);
        let history = replicascope_engine::metrics::history_of(&run);
        let cluster = run.cluster();
        assert!(history.ops.len() >= 20);
        for o in &history.ops {
            let served = o.served_by.expect("every operation is answered");
            assert_eq!(
                cluster.client_region[o.session.0 as usize], cluster.node_region[served.0 as usize],
                "seed {seed}: op {} was coordinated from another region",
                o.id
            );
            let took = o.complete_at.unwrap() - o.invoke_at.unwrap();
            assert!(took < 20_000, "seed {seed}: op {} took {took} µs", o.id);
        }
    }
}

#[test]
fn a_read_that_meets_concurrent_set_versions_shows_the_merge() {
    // The shopping cart: each side of a partition edits the cart at its own replica (W = 1).
    // After the heal, a read meets both carts; the coordinator merges them as an OR-set and says so.
    let s = replicascope_engine::presets::preset("shopping-cart").unwrap();
    let (run, _) = simulate(&s, s.seed);
    let merges: Vec<_> = run
        .trace()
        .annotations
        .iter()
        .filter_map(|n| match &n.annotation {
            Annotation::Conflict(c) => Some((n.time, c.rule.clone(), c.result.clone())),
            _ => None,
        })
        .collect();
    assert!(!merges.is_empty(), "no merge annotated");
    for (t, rule, result) in &merges {
        assert!(*t >= 8_000_000, "merged at {t} µs, before the reads at 8 s");
        assert!(rule.contains("OR-set"), "{rule}");
        // Adds from both sides survive, and the removed milk stays removed.
        for want in ["tea", "eggs", "bread"] {
            assert!(result.contains(want), "{result} lacks {want}");
        }
        assert!(!result.contains("milk"), "{result}");
    }
}

/// Cassandra's rule: every replica keeps the cell with the highest coordinator timestamp. A write
/// made after another — its writer had just read the first at ALL — but coordinated by a node
/// whose clock runs slow is dropped everywhere; `causal_lww` and version vectors keep it.
#[test]
fn lww_versioning_keeps_the_highest_timestamp_whatever_the_order() {
    use replicascope_engine::model::{OpResult, ReadValue};
    use replicascope_engine::topology::leaderless::Versioning;
    let scenario = |versioning, skew_ms: u64| {
        let mut s = Scenario::default();
        s.duration = Duration::from_secs(5);
        s.workload.sessions = 2;
        let at = |t: u64, c: &str, o: &str, via: &str, cl: &str| ScriptOp {
            via: Some(via.into()),
            cl: Some(cl.into()),
            ..op(t, c, o)
        };
        s.workload.script = vec![
            at(1_000, "c1", "write x=1", "n1", "all"),
            at(1_100, "c2", "read x", "n2", "all"),
            at(1_150, "c2", "write x=2", "n2", "all"),
            at(3_000, "c1", "read x", "n1", "all"),
            at(3_000, "c2", "read x", "n3", "all"),
        ];
        s.faults = vec![fault(0, &format!("skew n2 -{skew_ms}ms"))];
        s.topologies.leaderless = Some(LlConfig { nodes: 3, n: 3, w: 3, r: 3, versioning, ..LlConfig::default() });
        s
    };
    let finals = |run: &AnyRun| -> Vec<Vec<i64>> {
        replicascope_engine::metrics::history_of(run)
            .ops
            .iter()
            .filter(|o| o.invoke_at.is_some_and(|t| t >= 3_000_000))
            .filter_map(|o| match &o.result {
                Some(OpResult::Read(ReadValue::Register(v))) => Some(v.iter().map(|s| s.value).collect()),
                _ => None,
            })
            .collect()
    };
    for seed in 0..200 {
        let skew = 200 + (seed * 17) % 800;
        let (run, r) = simulate(&scenario(Versioning::Lww, skew), seed);
        let lost: Vec<_> = r.anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite).collect();
        assert_eq!(lost.len(), 1, "lww, seed {seed}: {:#?}", r.anomalies);
        assert!(
            lost[0].explanation.contains("x = 2") && lost[0].explanation.contains("behind"),
            "{}",
            lost[0].explanation
        );
        assert_eq!(finals(&run), vec![vec![1], vec![1]], "lww, seed {seed}");
        for v in [Versioning::CausalLww, Versioning::VersionVectors] {
            let (run, r) = simulate(&scenario(v, skew), seed);
            assert_eq!(r.metrics.lost_acknowledged_writes, 0, "{v:?}, seed {seed}: {:#?}", r.anomalies);
            assert_eq!(finals(&run), vec![vec![2], vec![2]], "{v:?}, seed {seed}");
        }
    }
}

/// Merkle anti-entropy is exact: replicas that agree exchange nothing but their trees; one key
/// that differs marks exactly the path from the root to its leaf, and only the keys of that leaf
/// are exchanged.
#[test]
fn merkle_trees_find_exactly_the_key_that_differs() {
    use replicascope_engine::topology::leaderless::ReadRepair;
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(12);
    s.workload.sessions = 1;
    let all = |t: u64, o: &str| ScriptOp { cl: Some("all".into()), via: Some("n1".into()), ..op(t, "c1", o) };
    // Twelve keys on every replica before the first exchange (at 250 ms).
    for i in 0..12u64 {
        s.workload.script.push(all(10 + 15 * i, &format!("write k{i}={i}")));
    }
    // n3 misses one write while it is cut off; W = 2 lets it complete.
    s.workload.script.push(ScriptOp {
        cl: Some("two".into()),
        via: Some("n1".into()),
        ..op(5_500, "c1", "write k5=99")
    });
    s.faults = vec![fault(5_000, "partition n3 | n1,n2,c1"), fault(6_000, "heal")];
    s.topologies.leaderless = Some(LlConfig {
        nodes: 3,
        n: 3,
        w: 3,
        r: 1,
        read_repair: ReadRepair::Off,
        hinted_handoff: false,
        anti_entropy: Some(ms(1_000)),
        merkle_leaves: 8,
        ..LlConfig::default()
    });
    for seed in 0..200 {
        let (run, r) = simulate(&s, seed);
        assert_eq!(r.metrics.writes.ok, 13, "seed {seed}");
        let k5 = run.plan().names.lookup("k5").unwrap();
        let (mut agreeing, mut repairs_of_n3) = (0, 0);
        for n in &run.trace().annotations {
            let Annotation::AntiEntropy(m) = &n.annotation else { continue };
            if m.differing.is_empty() {
                assert!(m.keys_synced.is_empty(), "seed {seed}: equal trees exchange no key: {m:?}");
                agreeing += 1;
                continue;
            }
            // Only k5 ever differs: its leaf's path from the root, nothing else.
            assert!(n.time > 5_500_000, "seed {seed}: replicas differed at {} before k5 was written", n.time);
            let leaves = m.leaf_keys.len();
            let leaf = m.leaf_keys.iter().position(|keys| keys.contains(&k5)).unwrap();
            let mut path = vec![(leaves - 1 + leaf) as u32];
            while *path.last().unwrap() > 0 {
                path.push((path.last().unwrap() - 1) / 2);
            }
            path.sort_unstable();
            assert_eq!(m.differing, path, "seed {seed}: only k5's path differs");
            let mut synced = m.keys_synced.clone();
            synced.sort_unstable();
            let mut bucket = m.leaf_keys[leaf].clone();
            bucket.sort_unstable();
            assert_eq!(synced, bucket, "seed {seed}: exactly the keys of k5's leaf are exchanged");
            repairs_of_n3 += usize::from((m.a.0 == 2 || m.b.0 == 2) && n.time >= 6_000_000);
        }
        assert!(agreeing >= 10, "seed {seed}: {agreeing} exchanges between agreeing replicas");
        assert!(repairs_of_n3 >= 1, "seed {seed}: n3 was repaired by an exchange");
        // No key was sent between replicas that agreed.
        let early_syncs = run
            .trace()
            .messages
            .iter()
            .filter(|m| m.kind == replicascope_engine::view::MsgKind::AntiEntropy && m.sent_at < 5_500_000)
            .filter(|m| m.label.to_string().starts_with("sync"))
            .count();
        assert_eq!(early_syncs, 0, "seed {seed}");
        assert_eq!(run.final_observation().divergent_nodes(), 0, "seed {seed}");
    }
}
