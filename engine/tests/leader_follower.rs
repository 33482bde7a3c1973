//! Acceptance tests for leader-follower replication, each over at least 200 seeds. A failing
//! property prints the seed that reproduces it (`replicascope run FILE --seed N`).

use replicascope_engine::annotate::Annotation;
use replicascope_engine::checker::AnomalyKind;
use replicascope_engine::metrics::{history_of, report, Report};
use replicascope_engine::model::NodeId;
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::{GeneratorSpec, Scenario};
use replicascope_engine::time::Duration;
use replicascope_engine::topology::leader_follower::{
    FailoverMode, LfConfig, PromotionRule, ReadRouting, ReplicationMode,
};
use replicascope_engine::vocab::TopologyKind;
use std::collections::{BTreeMap, BTreeSet};

const SEEDS: u64 = 200;

mod common;
use common::{fault, ms, op};

fn simulate(s: &Scenario, seed: u64) -> (AnyRun, Report) {
    common::simulate_kind(TopologyKind::LeaderFollower, s, seed)
}

fn count(r: &Report, kind: AnomalyKind) -> usize {
    r.anomalies.iter().filter(|a| a.is(kind)).count()
}

/// The leader crashes in the middle of a steady write stream and comes back later.
fn leader_crash(mode: ReplicationMode) -> Scenario {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(20);
    s.workload.sessions = 4;
    s.workload.generator = Some(GeneratorSpec {
        rate: 80.0,
        read_fraction: 0.2,
        keys: 8,
        stop: Some(Duration::from_secs(12)),
        ..GeneratorSpec::default()
    });
    s.faults = vec![fault(6_000, "crash n1"), fault(14_000, "restart n1")];
    s.topologies.leader_follower =
        Some(LfConfig { mode, sync_replicas: 1, failure_timeout: Duration::from_secs(2), ..LfConfig::default() });
    s
}

fn promotions(run: &AnyRun) -> Vec<(u64, NodeId)> {
    run.trace()
        .annotations
        .iter()
        .filter_map(|n| match &n.annotation {
            Annotation::Promoted { node, .. } | Annotation::Elected { node, .. } => Some((n.time, *node)),
            _ => None,
        })
        .collect()
}

fn lost_writes(r: &Report) -> BTreeSet<u32> {
    r.anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite).flat_map(|a| a.ops.clone()).collect()
}

#[test]
fn synchronous_modes_lose_no_acknowledged_write_in_a_failover() {
    for mode in [ReplicationMode::Sync, ReplicationMode::SemiSync] {
        let s = leader_crash(mode);
        for seed in 0..SEEDS {
            let (run, r) = simulate(&s, seed);
            // The failover happened (a follower took over after the crash at 6 s) and writes
            // went on after it: the property is about a failover, not about a quiet run.
            let promoted = promotions(&run);
            assert!(promoted.iter().any(|(t, n)| *t > 6_000_000 && n.0 != 0), "{mode:?}, seed {seed}: no promotion");
            let after = history_of(&run)
                .ops
                .iter()
                .filter(|o| o.op.is_write() && o.ok() && o.complete_at.is_some_and(|t| t > promoted[0].0))
                .count();
            assert!(after > 0, "{mode:?}, seed {seed}: no write completed after the promotion");
            let lost = count(&r, AnomalyKind::LostWrite);
            assert_eq!(lost, 0, "{mode:?} lost {lost} acknowledged write(s) with seed {seed}: {:#?}", r.anomalies);
        }
    }
}

/// The lessons' price of asynchronous replication does not depend on whether the old leader ever
/// comes back to throw its copy away: the writes it alone had are lost the moment a follower is
/// promoted without them.
#[test]
fn writes_missing_from_the_promoted_follower_are_lost_whether_or_not_the_old_leader_returns() {
    let returns = leader_crash(ReplicationMode::Async);
    let mut never = returns.clone();
    never.faults.retain(|f| !f.fault.starts_with("restart"));
    let mut total = 0;
    for seed in 0..SEEDS {
        let (run, with_return) = simulate(&returns, seed);
        let (_, without) = simulate(&never, seed);
        let promoted = promotions(&run)[0].0;
        assert_eq!(lost_writes(&with_return), lost_writes(&without), "seed {seed}: the same writes are lost");
        for a in without.anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite) {
            assert_eq!(a.time, promoted, "seed {seed}: lost at the promotion: {}", a.explanation);
            assert!(a.explanation.contains("promoted"), "{}", a.explanation);
        }
        total += lost_writes(&without).len();
    }
    println!("asynchronous failover, old leader never back: {total} acknowledged writes lost over {SEEDS} seeds");
    assert!(total > 0);
}

/// Fencing (STONITH) stops a deposed leader from acknowledging anything once a newer epoch exists
/// — and nothing more: an asynchronous leader still acknowledges from its own disk, so its
/// unreplicated tail is lost on a crash exactly as without fencing, and the price is paid in
/// failover time (the power controller's confirmation), not in write latency.
#[test]
fn fencing_costs_failover_time_not_write_latency_and_does_not_save_the_async_tail() {
    let plain = leader_crash(ReplicationMode::Async);
    let mut fenced = plain.clone();
    fenced.topologies.leader_follower.as_mut().unwrap().fencing = true;
    let fence_time = fenced.topologies.leader_follower.as_ref().unwrap().fence_time.0;
    let mut semi = plain.clone();
    semi.topologies.leader_follower.as_mut().unwrap().mode = ReplicationMode::SemiSync;
    let (mut lost_plain, mut lost_fenced) = (0, 0);
    for seed in 0..SEEDS {
        let (run_p, p) = simulate(&plain, seed);
        let (run_f, f) = simulate(&fenced, seed);
        let (_, sm) = simulate(&semi, seed);
        assert_eq!(lost_writes(&p), lost_writes(&f), "seed {seed}: fencing loses the same tail");
        lost_plain += lost_writes(&p).len();
        lost_fenced += lost_writes(&f).len();
        // The failover waits for the fence's confirmation.
        let (tp, tf) = (promotions(&run_p)[0].0, promotions(&run_f)[0].0);
        // (The promoted node hears of its promotion over the network: a message's latency apart.)
        assert!(
            tf >= tp + fence_time - 20_000 && tf <= tp + fence_time + 20_000,
            "seed {seed}: promoted at {tf} with fencing, {tp} without"
        );
        assert!(
            run_f
                .trace()
                .annotations
                .iter()
                .any(|n| matches!(n.annotation, Annotation::PoweredOff { node, .. } if node.0 == 0)),
            "seed {seed}: the old leader was powered off"
        );
        // Writes are acknowledged from the leader's disk, as without fencing.
        let (lp, lf, ls) =
            (p.metrics.write_latency.p50_ms, f.metrics.write_latency.p50_ms, sm.metrics.write_latency.p50_ms);
        assert!((lf - lp).abs() <= 0.5, "seed {seed}: p50 {lf} ms with fencing, {lp} ms without");
        assert!(ls > lf + 1.0, "seed {seed}: semi-sync p50 {ls} ms should exceed async + fencing {lf} ms");
    }
    println!("async tail lost over {SEEDS} seeds: {lost_plain} without fencing, {lost_fenced} with");
    assert!(lost_fenced > 0);
}

#[test]
fn asynchronous_failover_loses_acknowledged_writes() {
    let s = leader_crash(ReplicationMode::Async);
    let mut total = 0;
    let mut seeds_with_loss = 0;
    for seed in 0..SEEDS {
        let (_, r) = simulate(&s, seed);
        let lost = count(&r, AnomalyKind::LostWrite);
        assert_eq!(lost as u64, r.metrics.lost_acknowledged_writes, "seed {seed}: metrics report the count");
        total += lost;
        seeds_with_loss += (lost > 0) as u32;
    }
    println!("async failover: {total} acknowledged writes lost over {SEEDS} seeds ({seeds_with_loss} seeds lost some)");
    assert!(total > 0);

    // The documented scenario loses exactly its one write acknowledged after the cut.
    let text = include_str!("../../scenarios/leader-follower-failover.json");
    let doc = Scenario::from_json(text).unwrap();
    let (_, r) = simulate(&doc, doc.seed);
    assert_eq!(count(&r, AnomalyKind::LostWrite), 1, "{:#?}", r.anomalies);
}

/// A user updates their profile and reloads it at once, against followers that lag.
fn profile_update(routing: ReadRouting) -> Scenario {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(12);
    s.workload.sessions = 2;
    for i in 0..20u64 {
        s.workload.script.push(op(300 + 500 * i, "c1", &format!("write profile={i}")));
        s.workload.script.push(op(305 + 500 * i, "c1", "read profile"));
        s.workload.script.push(op(450 + 500 * i, "c2", "read profile"));
    }
    s.faults = vec![fault(0, "slow_disk n2 x40"), fault(0, "slow_disk n3 x40")];
    s.topologies.leader_follower = Some(LfConfig { read_routing: routing, ..LfConfig::default() });
    s
}

#[test]
fn read_your_writes_routing_prevents_the_disappearing_profile_update() {
    let mut violations_any = 0;
    for seed in 0..SEEDS {
        let (_, any) = simulate(&profile_update(ReadRouting::AnyFollower), seed);
        violations_any += count(&any, AnomalyKind::ReadYourWrites);
        for routing in [ReadRouting::ReadYourWrites, ReadRouting::LsnToken, ReadRouting::Leader] {
            let (_, r) = simulate(&profile_update(routing), seed);
            assert_eq!(count(&r, AnomalyKind::ReadYourWrites), 0, "{routing:?}, seed {seed}: {:#?}", r.anomalies);
            assert_eq!(r.metrics.reads.ok, 40, "{routing:?}, seed {seed}: every read answered");
        }
    }
    println!("any-follower reads: {violations_any} read-your-writes violations over {SEEDS} seeds");
    assert!(violations_any > 0);
}

/// One writer; one reader reading often; one follower much further behind than the other.
fn uneven_followers(routing: ReadRouting) -> Scenario {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(6);
    s.workload.sessions = 2;
    for i in 0..100u64 {
        s.workload.script.push(op(50 * i, "c1", &format!("write x={i}")));
    }
    for i in 0..180u64 {
        s.workload.script.push(op(10 + 30 * i, "c2", "read x"));
    }
    s.faults = vec![fault(0, "slow_link n1 -> n3 +300ms")];
    s.topologies.leader_follower = Some(LfConfig { read_routing: routing, ..LfConfig::default() });
    s
}

#[test]
fn sticky_sessions_keep_reads_monotonic_and_round_robin_does_not() {
    let mut rr_violations = 0;
    for seed in 0..SEEDS {
        let (_, sticky) = simulate(&uneven_followers(ReadRouting::Sticky), seed);
        assert_eq!(count(&sticky, AnomalyKind::MonotonicReads), 0, "sticky, seed {seed}: {:#?}", sticky.anomalies);
        let (_, rr) = simulate(&uneven_followers(ReadRouting::RoundRobin), seed);
        rr_violations += count(&rr, AnomalyKind::MonotonicReads);
    }
    println!("round-robin reads: {rr_violations} monotonic-read violations over {SEEDS} seeds");
    assert!(rr_violations > 0);
}

/// The old leader is cut off with one client; the other side fails over.
fn split_brain(fencing: bool) -> Scenario {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(20);
    s.workload.sessions = 2;
    for i in 0..80u64 {
        s.workload.script.push(op(100 + 200 * i, "c1", &format!("write a={i}")));
    }
    for i in 0..30u64 {
        s.workload.script.push(op(150 + 500 * i, "c2", &format!("write b={i}")));
    }
    s.faults = vec![fault(4_000, "partition n1,c1 | n2,n3,c2"), fault(12_000, "heal")];
    s.topologies.leader_follower =
        Some(LfConfig { fencing, failure_timeout: Duration::from_secs(2), ..LfConfig::default() });
    s
}

#[test]
fn fencing_stops_a_deposed_leader_from_acknowledging_writes() {
    let mut unfenced = 0;
    for seed in 0..SEEDS {
        let (run_f, fenced) = simulate(&split_brain(true), seed);
        let deposed: usize =
            fenced.anomalies.iter().filter(|a| a.kind == AnomalyKind::SplitBrain).map(|a| a.ops.len()).sum();
        assert_eq!(deposed, 0, "fenced, seed {seed}: {:#?}", fenced.anomalies);
        let promoted = promotions(&run_f);
        assert!(promoted.iter().any(|(_, n)| n.0 != 0), "seed {seed}: the majority side failed over");
        let first = promoted[0].0;
        // Nothing is acknowledged under epoch 1 once epoch 2 exists, and nothing n1 acknowledged
        // after the split is in the data at the end.
        let history = history_of(&run_f);
        let late: Vec<_> = history
            .ops
            .iter()
            .filter(|o| o.op.is_write() && o.ok() && o.epoch == Some(1) && o.complete_at.is_some_and(|t| t >= first))
            .map(|o| o.id)
            .collect();
        assert!(late.is_empty(), "seed {seed}: acknowledged under epoch 1 after the promotion: {late:?}");
        let survivors = run_f.surviving_writes();
        let after_split: Vec<_> = history
            .ops
            .iter()
            .filter(|o| o.op.is_write() && o.ok() && o.served_by.map(|n| n.0) == Some(0))
            .filter(|o| o.invoke_at.is_some_and(|t| t > 4_100_000))
            .filter(|o| survivors.contains(&o.id))
            .map(|o| o.id)
            .collect();
        assert!(after_split.is_empty(), "seed {seed}: n1's writes after the split survive: {after_split:?}");
        let (_, open) = simulate(&split_brain(false), seed);
        unfenced +=
            open.anomalies.iter().filter(|a| a.kind == AnomalyKind::SplitBrain).map(|a| a.ops.len()).sum::<usize>();
    }
    println!("without fencing: {unfenced} writes acknowledged by a deposed leader over {SEEDS} seeds");
    assert!(unfenced > 0);
}

/// After a failover with synchronous replication, the dead former leader is not a required
/// synchronous follower: writes complete again as soon as a follower is promoted.
#[test]
fn a_synchronous_failover_restores_writes_without_the_former_leader() {
    let mut s = leader_crash(ReplicationMode::Sync);
    s.faults.retain(|f| !f.fault.starts_with("restart"));
    for seed in 0..SEEDS {
        let (run, r) = simulate(&s, seed);
        let promoted = promotions(&run)[0].0;
        let after = history_of(&run)
            .ops
            .iter()
            .filter(|o| o.op.is_write() && o.ok() && o.complete_at.is_some_and(|t| t > promoted))
            .count();
        assert!(after > 50, "seed {seed}: {after} writes completed after the promotion");
        // The outage is the failure timeout plus the requests already waiting on n1, not the
        // rest of the run.
        assert!(
            r.metrics.write_availability.longest_outage_ms < 6_000.0,
            "seed {seed}: {:?}",
            r.metrics.write_availability
        );
        assert_eq!(count(&r, AnomalyKind::LostWrite), 0, "seed {seed}");
    }
    // When it returns it rejoins the synchronous set once caught up.
    let (run, _) = simulate(&leader_crash(ReplicationMode::Sync), 1);
    assert!(run.trace().annotations.iter().any(|n| {
        matches!(&n.annotation, Annotation::FollowerState { follower, state, .. } if follower.0 == 0 && state.contains("back in the synchronous set"))
    }));
}

/// Who leads at each moment, from the promotions (n1 until the first).
fn leader_at(run: &AnyRun, t: u64) -> NodeId {
    promotions(run).into_iter().filter(|(at, _)| *at <= t).last().map(|(_, n)| n).unwrap_or(NodeId(0))
}

/// A read meant for the leader (leader routing, read-your-writes just after a write) is answered
/// by the leader or not at all — never by a follower whose data may lag, even when the client's
/// idea of the leader is out of date after a timeout.
#[test]
fn reads_meant_for_the_leader_are_never_answered_by_a_follower() {
    for routing in [ReadRouting::Leader, ReadRouting::ReadYourWrites] {
        for failover in [FailoverMode::Automatic, FailoverMode::Consensus] {
            let mut s = leader_crash(ReplicationMode::Async);
            s.workload.generator.as_mut().unwrap().read_fraction = 0.5;
            let c = s.topologies.leader_follower.as_mut().unwrap();
            c.read_routing = routing;
            c.failover = failover;
            c.ryw_window = Duration::from_secs(60);
            let mut reads = 0;
            for seed in 0..SEEDS {
                let (run, _) = simulate(&s, seed);
                for o in history_of(&run).ops.iter().filter(|o| o.op.is_read() && o.ok()) {
                    let (Some(by), Some(done)) = (o.served_by, o.complete_at) else { continue };
                    // With read-your-writes, only reads after the session's first write go to the
                    // leader (a 60 s window covers the rest of the run).
                    if routing == ReadRouting::ReadYourWrites
                        && !history_of(&run)
                            .ops
                            .iter()
                            .any(|w| w.session == o.session && w.op.is_write() && w.ok() && w.complete_at < o.invoke_at)
                    {
                        continue;
                    }
                    reads += 1;
                    let leader = leader_at(&run, done);
                    assert_eq!(
                        by, leader,
                        "{routing:?}/{failover:?}, seed {seed}: read #{} at {done} answered by {by}",
                        o.id
                    );
                }
            }
            assert!(reads > 1_000, "{routing:?}/{failover:?}: {reads} reads checked");
        }
    }
}

/// Raft's check-quorum, MongoDB's step-down: a consensus leader cut off from the majority steps
/// down once it has heard from no majority for an election timeout, and stops serving reads.
#[test]
fn an_isolated_consensus_leader_steps_down_and_stops_serving_reads() {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(20);
    s.workload.sessions = 2;
    for i in 0..150u64 {
        s.workload.script.push(op(100 + 120 * i, "c1", "read x"));
        s.workload.script.push(op(160 + 120 * i, "c2", &format!("write x={i}")));
    }
    s.faults = vec![fault(3_000, "partition n1,c1 | n2,n3,n4,n5,c2"), fault(15_000, "heal")];
    let timeout = ms(1_500);
    s.topologies.leader_follower = Some(LfConfig {
        nodes: 5,
        failover: FailoverMode::Consensus,
        failure_timeout: timeout,
        heartbeat_interval: ms(300),
        ..LfConfig::default()
    });
    for seed in 0..SEEDS {
        let (run, _) = simulate(&s, seed);
        let down = run
            .trace()
            .annotations
            .iter()
            .find(|n| matches!(n.annotation, Annotation::SteppedDown { node, .. } if node.0 == 0))
            .map(|n| n.time)
            .unwrap_or_else(|| panic!("seed {seed}: n1 never stepped down"));
        assert!(
            down >= 3_000_000 + timeout.0 && down <= 3_000_000 + timeout.0 + 2 * 300_000,
            "seed {seed}: stepped down at {down}"
        );
        let served_late = history_of(&run)
            .ops
            .iter()
            .filter(|o| o.op.is_read() && o.ok() && o.served_by.map(|n| n.0) == Some(0))
            .filter(|o| o.complete_at.is_some_and(|t| t > down && t < 15_000_000))
            .count();
        assert_eq!(served_late, 0, "seed {seed}: n1 served reads after stepping down");
        let r = report(&run);
        assert_eq!(count(&r, AnomalyKind::StaleRead), 0, "seed {seed}: {:#?}", r.anomalies);
    }
}

/// Availability is what a user feels: with synchronous replication and a follower down for 10 s,
/// every session waits the whole time, although it issues few operations.
#[test]
fn availability_counts_the_time_sessions_spend_blocked() {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(30);
    s.workload.sessions = 4;
    s.workload.generator = Some(GeneratorSpec {
        rate: 40.0,
        read_fraction: 0.0,
        keys: 4,
        stop: Some(Duration::from_secs(29)),
        ..GeneratorSpec::default()
    });
    s.faults = vec![fault(10_000, "crash n2"), fault(20_000, "restart n2")];
    s.topologies.leader_follower =
        Some(LfConfig { mode: ReplicationMode::Sync, failover: FailoverMode::Manual, ..LfConfig::default() });
    for seed in 0..SEEDS {
        let (_, r) = simulate(&s, seed);
        let w = &r.metrics.write_availability;
        // About 10 s of 29 s without a write: two thirds of the time.
        assert!(w.time > 0.55 && w.time < 0.75, "seed {seed}: {w:?}");
        assert!(w.longest_outage_ms >= 9_500.0, "seed {seed}: {w:?}");
        let from = w.longest_outage_from.unwrap();
        assert!((9_000_000..=10_500_000).contains(&from), "seed {seed}: outage from {from}");
        // Counting completed operations instead would call this nearly perfect.
        assert!(w.attempts > 0.95, "seed {seed}: {w:?}");
    }
}

#[test]
fn consensus_never_elects_two_leaders_in_one_term() {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(30);
    s.workload.sessions = 3;
    s.workload.generator = Some(GeneratorSpec { rate: 30.0, read_fraction: 0.3, ..GeneratorSpec::default() });
    s.network.drop = 0.02;
    s.faults = vec![
        fault(3_000, "partition n1,c1 | n2,n3,n4,n5,c2,c3"),
        fault(8_000, "crash n2"),
        fault(9_000, "partition n1,n2,n3 | n4,n5"),
        fault(14_000, "heal"),
        fault(15_000, "restart n2"),
        fault(18_000, "partition n3 | n1,n2,n4,n5"),
        fault(20_000, "crash n4"),
        fault(24_000, "heal"),
    ];
    s.topologies.leader_follower = Some(LfConfig {
        nodes: 5,
        failover: FailoverMode::Consensus,
        failure_timeout: ms(1_500),
        heartbeat_interval: ms(300),
        ..LfConfig::default()
    });
    let mut elections = 0;
    for seed in 0..SEEDS {
        let (run, r) = simulate(&s, seed);
        let mut leaders: BTreeMap<u64, BTreeSet<u8>> = BTreeMap::new();
        for n in &run.trace().annotations {
            if let Annotation::Elected { node, term, .. } = &n.annotation {
                leaders.entry(*term).or_default().insert(node.0);
                elections += 1;
            }
        }
        for (term, who) in &leaders {
            assert!(who.len() <= 1, "seed {seed}: term {term} elected {who:?}");
        }
        for sample in &run.trace().samples {
            let mut by_term: BTreeMap<u64, u32> = BTreeMap::new();
            for (_, e) in &sample.observation.leaders {
                *by_term.entry(*e).or_default() += 1;
            }
            assert!(by_term.values().all(|c| *c <= 1), "seed {seed}: two leaders share a term at {}", sample.time);
        }
        // Majority commit: nothing acknowledged is ever lost.
        assert_eq!(count(&r, AnomalyKind::LostWrite), 0, "seed {seed}: {:#?}", r.anomalies);
    }
    assert!(elections > SEEDS as usize, "elections happened ({elections})");
}

#[test]
fn promoting_the_most_up_to_date_follower_loses_the_least() {
    let base = |rule: PromotionRule| {
        let mut s = leader_crash(ReplicationMode::Async);
        s.faults.insert(0, fault(0, "slow_link n1 -> n3 +400ms"));
        s.topologies.leader_follower.as_mut().unwrap().promote = rule;
        s
    };
    let (mut best, mut worst) = (0, 0);
    for seed in 0..SEEDS {
        let (_, most) = simulate(&base(PromotionRule::MostUpToDate), seed);
        let lost_most = count(&most, AnomalyKind::LostWrite);
        for rule in [PromotionRule::LeastUpToDate, PromotionRule::LowestId] {
            let (_, other) = simulate(&base(rule), seed);
            let lost = count(&other, AnomalyKind::LostWrite);
            assert!(lost_most <= lost, "seed {seed}: most up-to-date lost {lost_most}, {rule:?} lost {lost}");
            if rule == PromotionRule::LeastUpToDate {
                worst += lost;
            }
        }
        best += lost_most;
    }
    println!("lost writes over {SEEDS} seeds: most up-to-date {best}, least up-to-date {worst}");
    assert!(worst > best);
}

fn lf(run: &AnyRun) -> Vec<&replicascope_engine::trace::Noted> {
    run.trace().annotations.iter().collect()
}

#[test]
fn semi_sync_falls_back_to_async_after_its_timeout_and_recovers() {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(30);
    s.workload.sessions = 1;
    for i in 0..50u64 {
        s.workload.script.push(op(500 * i + 100, "c1", &format!("write k={i}")));
    }
    // Both followers unreachable from 2 s to 16 s: no acknowledgement can come.
    s.faults = vec![fault(2_000, "cut n1 -> n2,n3"), fault(16_000, "heal")];
    s.topologies.leader_follower = Some(LfConfig {
        mode: ReplicationMode::SemiSync,
        failover: FailoverMode::Manual,
        semi_sync_timeout: Duration::from_secs(10),
        ..LfConfig::default()
    });
    for seed in 0..SEEDS {
        let (run, r) = simulate(&s, seed);
        let notes = lf(&run);
        let fell =
            notes.iter().find(|n| matches!(n.annotation, Annotation::SemiSyncFallback { .. })).expect("fell back");
        assert!(fell.time >= 12_000_000 && fell.time < 13_000_000, "seed {seed}: fell back at {}", fell.time);
        let restored =
            notes.iter().find(|n| matches!(n.annotation, Annotation::SemiSyncRestored { .. })).expect("restored");
        assert!(restored.time >= 16_000_000, "seed {seed}: restored at {}", restored.time);
        // The first write after the cut waited the whole timeout.
        assert!(r.metrics.write_latency.max_ms >= 9_000.0 || r.metrics.writes.unknown > 0, "seed {seed}");
    }
}

fn max_lag_ms(r: &Report) -> f64 {
    r.metrics.replication_lag.iter().map(|l| l.max_ms).fold(0.0, f64::max)
}

#[test]
fn every_cause_of_lag_in_the_lessons_is_reproducible() {
    let base = || {
        let mut s = Scenario::default();
        s.duration = Duration::from_secs(8);
        s.workload.sessions = 2;
        // Irregular spacing, so that the 100 ms lag samples catch writes at every phase.
        for i in 0..60u64 {
            s.workload.script.push(op(100 * i + (i * 37) % 100, "c1", &format!("write k={i}")));
        }
        s.topologies.leader_follower = Some(LfConfig::default());
        s
    };
    let (_, calm) = simulate(&base(), 1);
    let calm_lag = max_lag_ms(&calm);
    assert!(calm_lag < 50.0, "baseline lag {calm_lag} ms");

    let mut slow_disk = base();
    slow_disk.faults.push(fault(1_000, "slow_disk n2 x400"));
    let (_, r) = simulate(&slow_disk, 1);
    assert!(max_lag_ms(&r) > 100.0, "slow follower disk: {} ms", max_lag_ms(&r));

    let mut big_txn = base();
    big_txn.workload.script.push(op(2_000, "c2", "bulk orders=1 rows=60000"));
    let (_, r) = simulate(&big_txn, 1);
    assert!(max_lag_ms(&r) > 2_000.0, "large transaction: {} ms", max_lag_ms(&r));

    let mut burst = base();
    burst.workload.sessions = 8;
    for i in 0..2400u64 {
        burst.workload.script.push(op(
            3_000 + i / 8 * 3,
            &format!("c{}", i % 8 + 1),
            &format!("write b{}={i}", i % 16),
        ));
    }
    burst.topologies.leader_follower.as_mut().unwrap().apply_cost = ms(1);
    let (_, r) = simulate(&burst, 1);
    assert!(max_lag_ms(&r) > 200.0, "write burst: {} ms", max_lag_ms(&r));

    let mut far = base();
    far.network.regions = vec!["us-east".into(), "ap-northeast".into()];
    far.topologies.leader_follower.as_mut().unwrap().placement =
        vec!["us-east".into(), "us-east".into(), "ap-northeast".into()];
    let (_, r) = simulate(&far, 1);
    let n3 = r.metrics.replication_lag.iter().find(|l| l.node == "n3").unwrap();
    assert!(
        n3.max_ms >= 65.0 && n3.max_ms > 4.0 * calm_lag,
        "cross-region follower: {} ms (calm {calm_lag})",
        n3.max_ms
    );
}

#[test]
fn a_follower_beyond_log_retention_gets_a_full_snapshot() {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(15);
    s.workload.sessions = 1;
    for i in 0..200u64 {
        s.workload.script.push(op(40 * i + 20, "c1", &format!("write k{}={i}", i % 10)));
    }
    s.faults = vec![fault(1_000, "crash n3"), fault(10_000, "restart n3")];
    s.topologies.leader_follower = Some(LfConfig { log_retention: 50, ..LfConfig::default() });
    for seed in 0..SEEDS {
        let (run, r) = simulate(&s, seed);
        assert!(
            lf(&run).iter().any(|n| matches!(n.annotation, Annotation::SnapshotTransfer { to, .. } if to.0 == 2)),
            "seed {seed}: n3 was resynchronised with a snapshot"
        );
        assert_eq!(r.metrics.divergent_replicas_at_end, 0, "seed {seed}: n3 caught up");
        assert!(run.trace().messages.iter().any(|m| m.kind == replicascope_engine::view::MsgKind::Snapshot));
    }
}

#[test]
fn manual_failover_waits_for_the_operator() {
    let mut s = leader_crash(ReplicationMode::Async);
    s.topologies.leader_follower.as_mut().unwrap().failover = FailoverMode::Manual;
    s.faults = vec![fault(6_000, "crash n1"), fault(11_000, "promote n2")];
    for seed in 0..SEEDS {
        let (run, r) = simulate(&s, seed);
        let promotions: Vec<_> =
            lf(&run).into_iter().filter(|n| matches!(n.annotation, Annotation::Promoted { .. })).collect();
        assert_eq!(promotions.len(), 1, "seed {seed}");
        assert_eq!(promotions[0].time, 11_000_000, "seed {seed}: promoted only when told to");
        // Writes were unavailable in between: none completed successfully.
        let history = replicascope_engine::metrics::history_of(&run);
        let ok_between = history
            .ops
            .iter()
            .filter(|o| o.op.is_write() && o.ok())
            .filter(|o| o.complete_at.is_some_and(|t| t > 6_100_000 && t < 11_000_000))
            .count();
        assert_eq!(ok_between, 0, "seed {seed}");
        assert!(r.metrics.availability < 1.0, "seed {seed}");
    }
}

#[test]
fn without_fencing_the_two_sides_diverge_and_leases_prevent_overlap() {
    for seed in 0..SEEDS {
        let (open, _) = simulate(&split_brain(false), seed);
        let diverged = open
            .trace()
            .samples
            .iter()
            .any(|s| s.time > 7_000_000 && s.time < 12_000_000 && s.observation.divergent_nodes() > 0);
        assert!(diverged, "seed {seed}: the two leaders' data differed during the partition");

        let mut leased = split_brain(false);
        leased.topologies.leader_follower.as_mut().unwrap().lease = Some(ms(1_000));
        let (leased_run, r) = simulate(&leased, seed);
        assert!(lf(&leased_run).iter().any(|n| matches!(n.annotation, Annotation::LeaseExpired { .. })), "seed {seed}");
        assert_eq!(count(&r, AnomalyKind::SplitBrain), 0, "seed {seed}: {:#?}", r.anomalies);
    }
}

/// A question is written, a second user reads it and answers; a third reads both from
/// followers that lag differently.
fn question_and_answer(routing: ReadRouting) -> Scenario {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(10);
    s.workload.sessions = 3;
    for i in 0..8u64 {
        let t = 1_000 * i + 100;
        s.workload.script.push(op(t, "c1", &format!("write question={i}")));
        s.workload.script.push(op(t + 30, "c2", "read question"));
        s.workload.script.push(op(t + 60, "c2", &format!("write answer={i}")));
        for j in 0..10u64 {
            s.workload.script.push(op(t + 20 + 40 * j, "c3", if j % 2 == 0 { "read answer" } else { "read question" }));
        }
    }
    s.faults = vec![fault(0, "slow_link n1 -> n3 +250ms")];
    // c2 reads from the leader so it always sees the question before answering.
    s.topologies.leader_follower = Some(LfConfig { read_routing: routing, ..LfConfig::default() });
    s
}

#[test]
fn a_reply_before_its_question_is_a_consistent_prefix_violation() {
    let mut violations = 0;
    for seed in 0..SEEDS {
        let (_, r) = simulate(&question_and_answer(ReadRouting::AnyFollower), seed);
        violations += count(&r, AnomalyKind::ConsistentPrefix);
        let (_, sticky) = simulate(&question_and_answer(ReadRouting::Sticky), seed);
        assert_eq!(count(&sticky, AnomalyKind::ConsistentPrefix), 0, "sticky, seed {seed}: {:#?}", sticky.anomalies);
    }
    println!("any-follower reads: {violations} consistent-prefix violations over {SEEDS} seeds");
    assert!(violations > 0);
}

#[test]
fn replication_is_not_a_backup() {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(10);
    s.workload.sessions = 1;
    for i in 0..10u64 {
        s.workload.script.push(op(100 + 100 * i, "c1", &format!("write user{i}={i}")));
    }
    s.workload.script.push(op(2_500, "c1", "write user10=10"));
    s.workload.script.push(op(3_000, "c1", "delete_all"));
    for i in 0..3u64 {
        s.workload.script.push(op(6_000 + 100 * i, "c1", &format!("read user{i}")));
    }
    s.workload.script.push(op(6_500, "c1", "read user10"));
    s.faults = vec![fault(2_000, "backup"), fault(4_000, "restore")];
    s.topologies.leader_follower = Some(LfConfig::default());
    for seed in 0..SEEDS {
        let (run, _) = simulate(&s, seed);
        // Just after the delete every replica is empty: the mistake replicated.
        let mut mid = s.clone();
        mid.seed = seed;
        let empty_everywhere = run.trace().samples.iter().any(|x| {
            x.time > 3_200_000
                && x.time < 4_000_000
                && x.observation.data_digest.iter().all(|d| *d == run.trace().samples[0].observation.data_digest[0])
        });
        assert!(empty_everywhere, "seed {seed}: delete_all reached every replica");
        let history = replicascope_engine::metrics::history_of(&run);
        let reads: Vec<_> = history.ops.iter().filter(|o| o.op.is_read()).collect();
        use replicascope_engine::model::{OpResult, ReadValue};
        for r in &reads[..3] {
            assert!(
                matches!(&r.result, Some(OpResult::Read(ReadValue::Register(v))) if v.len() == 1),
                "seed {seed}: restored {r:?}"
            );
        }
        // user10 was written after the backup: it is the recovery point's loss.
        assert!(
            matches!(&reads[3].result, Some(OpResult::Read(ReadValue::Register(v))) if v.is_empty()),
            "seed {seed}"
        );
        assert_eq!(run.final_observation().divergent_nodes(), 0);
    }
}

/// "Diverged" is for a log that disagrees with the leader's, not one merely behind or ahead on
/// the same history: in a run with no fault no node ever diverges (a leader one entry ahead of
/// its followers used to be flagged), while in split-brain the old leader, writing alone on its
/// side of the partition, is flagged once a new leader exists.
#[test]
fn diverged_means_a_different_history_not_lag() {
    let mut quiet = Scenario::default();
    quiet.duration = Duration::from_secs(6);
    quiet.workload.sessions = 3;
    quiet.workload.generator = Some(GeneratorSpec { rate: 80.0, read_fraction: 0.2, ..GeneratorSpec::default() });
    quiet.topologies.leader_follower = Some(LfConfig::default());
    for seed in 0..20 {
        let (run, _) = simulate(&quiet, seed);
        let mut cursor = run.cursor();
        let mut behind_seen = false;
        for step in 1..600 {
            let t = step * 10_000;
            run.seek(&mut cursor, t);
            let view = run.pane_view(&cursor).unwrap();
            assert_eq!(view.observation.divergent_nodes(), 0, "seed {seed} at {t} µs: {:?}", view.observation);
            behind_seen |= view.observation.lag.iter().flatten().any(|l| l.entries > 0);
        }
        assert!(behind_seen, "seed {seed}: followers were behind at some sampled moment");
    }
    let s = replicascope_engine::presets::preset("split-brain").unwrap();
    let (run, _) = simulate(&s, s.seed);
    let mut cursor = run.cursor();
    let flagged = (1..(s.duration.0 / 100_000)).any(|k| {
        run.seek(&mut cursor, k * 100_000);
        run.pane_view(&cursor).unwrap().observation.divergent.first().copied().unwrap_or(false)
    });
    assert!(flagged, "the old leader's lone writes make its history differ");
}
