//! Acceptance tests for multi-leader replication: CRDT laws (proptest), convergence for every
//! strategy and topology, counters and OR-sets under healed partitions, LWW under clock skew,
//! and the ring that breaks.

use proptest::prelude::*;
use replicascope_engine::annotate::Annotation;
use replicascope_engine::checker::AnomalyKind;
use replicascope_engine::metrics::{history_of, Report};
use replicascope_engine::model::{NodeId, Op, OpResult, ReadValue, Sym};
use replicascope_engine::rng::Entropy;
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::{GeneratorSpec, Scenario, ScriptOp};
use replicascope_engine::time::Duration;
use replicascope_engine::topology::multi_leader::{MlConfig, MlReadFrom, MlTopology};
use replicascope_engine::topology::versions::{
    canonical, CounterRule, IdScheme, Item, RegisterRule, Rules, SetRule, Stamp,
};
use replicascope_engine::vocab::{Names, TopologyKind};

const SEEDS: u64 = 200;

mod common;
use common::{fault, ms, op};

fn simulate(s: &Scenario, seed: u64) -> (AnyRun, Report) {
    common::simulate_kind(TopologyKind::MultiLeader, s, seed)
}

/// Two sessions and two regions an ocean apart (about 40 ms one way), for `secs` seconds.
fn transatlantic(secs: u64) -> Scenario {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(secs);
    s.workload.sessions = 2;
    s.workload.session_regions = vec!["us-east".into(), "eu-west".into()];
    s.network.regions = vec!["us-east".into(), "eu-west".into()];
    s
}

// ---- CRDT laws -------------------------------------------------------------------------------

fn rules(register: RegisterRule, counter: CounterRule, set: SetRule) -> Rules {
    Rules {
        register,
        counter,
        set,
        ids: IdScheme::AutoIncrement,
        n: 3,
        names: Names { names: vec!["k".into(), "a".into(), "b".into(), "c".into()] },
    }
}

/// Builds three replicas' states of one key from a random schedule of local updates and merges.
/// A replica that has seen nothing holds `None`, the identity of merging.
fn replicas(rules: &Rules, steps: &[(u8, u8, u8)], body: impl Fn(u8) -> Op) -> Vec<Option<Item>> {
    let mut states: Vec<Option<Item>> = vec![None, None, None];
    let mut clock = 0u64;
    let mut tag = 0u64;
    for (i, &(kind, a, b)) in steps.iter().enumerate() {
        let (a, b) = (a as usize % 3, b as usize % 3);
        clock += 1 + (b as u64) * 7;
        if kind % 3 != 0 || states[b].is_none() {
            tag += 1;
            let mut e = Entropy::new(1, i as u64);
            // Replica 3's clock runs 20 ms behind: under the timestamp rules its writes can lose
            // to earlier ones, and the merge laws must hold all the same. (Causal LWW is not a
            // CRDT once timestamps contradict causality: merging (A, C) then B can keep A where
            // merging A with (B, C) keeps C; replicas still converge through vector dominance,
            // which the simulation tests check.)
            let skew = if a == 2 && rules.register.timestamps_alone() { 20_000 } else { 0 };
            let stamp = Stamp {
                me: NodeId(a as u8),
                ts: clock * 1000 - skew.min(clock * 1000),
                at: clock * 1000,
                tag,
                floor: 0,
            };
            let op = body(kind);
            let (item, _, _) = rules.write_item(states[a].as_ref(), i as u32, &op, &stamp, &mut e);
            states[a] = match &states[a] {
                Some(existing) if rules.needs_resolve_on_write(&op) => {
                    Some(rules.resolve(NodeId(a as u8), Sym(0), existing, &item, i as u32, NodeId(a as u8)).0)
                }
                _ => Some(item),
            };
        } else if a != b {
            let incoming = states[b].clone();
            states[a] = merge(rules, &states[a], &incoming);
        }
    }
    states
}

fn merge(rules: &Rules, a: &Option<Item>, b: &Option<Item>) -> Option<Item> {
    match (a, b) {
        (None, x) | (x, None) => x.clone(),
        (Some(a), Some(b)) => Some(rules.resolve(NodeId(0), Sym(0), a, b, 0, NodeId(1)).0),
    }
}

fn digest(x: &Option<Item>) -> Option<u64> {
    x.as_ref().map(canonical)
}

fn check_laws(rules: &Rules, s: &[Option<Item>]) -> Result<(), TestCaseError> {
    let (a, b, c) = (&s[0], &s[1], &s[2]);
    let ab = merge(rules, a, b);
    let ba = merge(rules, b, a);
    prop_assert_eq!(digest(&ab), digest(&ba), "commutative");
    let left = merge(rules, &ab, c);
    let right = merge(rules, a, &merge(rules, b, c));
    prop_assert_eq!(digest(&left), digest(&right), "associative");
    prop_assert_eq!(digest(&merge(rules, a, a)), digest(a), "idempotent");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn g_and_pn_counters_merge_lawfully(steps in prop::collection::vec((0u8..9, 0u8..3, 0u8..3), 1..40)) {
        for rule in [CounterRule::GCounter, CounterRule::PnCounter] {
            let r = rules(RegisterRule::LwwNodeId, rule, SetRule::OrSet);
            let s = replicas(&r, &steps, |k| Op::Increment { key: Sym(0), by: if k % 2 == 0 { 1 } else { -1 } });
            check_laws(&r, &s)?;
            // Exact equality too: a counter's state is its vectors.
            let ab = merge(&r, &s[0], &s[1]);
            prop_assert_eq!(ab, merge(&r, &s[1], &s[0]));
        }
    }

    #[test]
    fn or_sets_merge_lawfully(steps in prop::collection::vec((0u8..9, 0u8..3, 0u8..3), 1..40)) {
        let r = rules(RegisterRule::LwwNodeId, CounterRule::PnCounter, SetRule::OrSet);
        let s = replicas(&r, &steps, |k| {
            let elem = Sym(1 + (k % 3) as u16);
            if k % 2 == 0 { Op::SetAdd { key: Sym(0), elem } } else { Op::SetRemove { key: Sym(0), elem } }
        });
        check_laws(&r, &s)?;
        prop_assert_eq!(merge(&r, &s[0], &s[1]), merge(&r, &s[1], &s[0]));
    }

    #[test]
    fn lww_and_multi_value_registers_merge_lawfully(steps in prop::collection::vec((0u8..9, 0u8..3, 0u8..3), 1..40)) {
        for rule in [RegisterRule::LwwNodeId, RegisterRule::CausalLww, RegisterRule::Siblings] {
            let r = rules(rule, CounterRule::PnCounter, SetRule::OrSet);
            let s = replicas(&r, &steps, |k| Op::Write { key: Sym(0), value: k as i64 });
            check_laws(&r, &s)?;
        }
    }
}

// ---- Convergence -----------------------------------------------------------------------------

fn workload(s: &mut Scenario, data: replicascope_engine::scenario::DataKind) {
    s.duration = Duration::from_secs(15);
    s.workload.sessions = 3;
    s.workload.generator = Some(GeneratorSpec {
        rate: 40.0,
        read_fraction: 0.2,
        keys: 4,
        data,
        stop: Some(Duration::from_secs(10)),
        ..GeneratorSpec::default()
    });
}

#[test]
fn every_strategy_and_topology_converges_at_quiescence() {
    use replicascope_engine::scenario::DataKind;
    let mut runs = 0;
    for topology in [MlTopology::AllToAll, MlTopology::Ring, MlTopology::Star] {
        for (data, register, counter, set) in [
            (DataKind::Register, RegisterRule::Lww, CounterRule::PnCounter, SetRule::OrSet),
            (DataKind::Register, RegisterRule::LwwNodeId, CounterRule::PnCounter, SetRule::OrSet),
            (DataKind::Register, RegisterRule::Siblings, CounterRule::PnCounter, SetRule::OrSet),
            (DataKind::Counter, RegisterRule::LwwNodeId, CounterRule::Naive, SetRule::OrSet),
            (DataKind::Counter, RegisterRule::LwwNodeId, CounterRule::GCounter, SetRule::OrSet),
            (DataKind::Counter, RegisterRule::LwwNodeId, CounterRule::PnCounter, SetRule::OrSet),
            (DataKind::Set, RegisterRule::LwwNodeId, CounterRule::PnCounter, SetRule::Lww),
            (DataKind::Set, RegisterRule::LwwNodeId, CounterRule::PnCounter, SetRule::Union),
            (DataKind::Set, RegisterRule::LwwNodeId, CounterRule::PnCounter, SetRule::OrSet),
        ] {
            let mut s = Scenario::default();
            workload(&mut s, data);
            // Microsecond timestamps: plain LWW then never meets a tie (ties are shown elsewhere).
            s.topologies.multi_leader = Some(MlConfig {
                leaders: 4,
                topology,
                register,
                counter,
                set,
                clock_resolution: Duration(1),
                ..MlConfig::default()
            });
            for seed in 0..20 {
                let (run, _) = simulate(&s, seed);
                let obs = run.final_observation();
                assert_eq!(
                    obs.divergent_nodes(),
                    0,
                    "{topology:?} {register:?}/{counter:?}/{set:?} seed {seed}: digests {:?}",
                    obs.data_digest
                );
                assert!(obs.backlog.iter().all(|b| *b == 0), "seed {seed}: nothing left queued");
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 3 * 9 * 20);
}

#[test]
fn plain_lww_ties_can_leave_leaders_disagreeing() {
    // Two leaders stamp writes in the same millisecond; without a tie-break each keeps its own.
    let mut s = transatlantic(3);
    s.network.latency = replicascope_engine::dist::Dist::Constant { ms: 0.0 };
    s.workload.script = vec![op(1_000, "c1", "write x=1"), op(1_000, "c2", "write x=2")];
    let cfg = |register| MlConfig {
        leaders: 2,
        placement: vec!["us-east".into(), "eu-west".into()],
        register,
        clock_resolution: ms(1),
        ..MlConfig::default()
    };
    s.topologies.multi_leader = Some(cfg(RegisterRule::Lww));
    let (run_plain, r) = simulate(&s, 1);
    assert_eq!(run_plain.final_observation().divergent_nodes(), 1, "{:#?}", r.anomalies);
    assert!(r.anomalies.iter().any(|a| a.kind == AnomalyKind::Divergence));
    s.topologies.multi_leader = Some(cfg(RegisterRule::LwwNodeId));
    let (run_tb, _) = simulate(&s, 1);
    assert_eq!(run_tb.final_observation().divergent_nodes(), 0);
}

// ---- Counters and sets under partitions ------------------------------------------------------

/// What every read of the run returned, checking that exactly `expected` reads were made and
/// that each one answered (a check over the values then cannot pass because none came back).
fn read_values(run: &AnyRun, expected: usize) -> Vec<ReadValue> {
    let history = history_of(run);
    let reads: Vec<_> = history.ops.iter().filter(|o| o.op.is_read()).collect();
    assert_eq!(reads.len(), expected, "reads made");
    reads
        .iter()
        .map(|o| match &o.result {
            Some(OpResult::Read(v)) => v.clone(),
            other => panic!("read #{} did not answer: {other:?}", o.id),
        })
        .collect()
}

#[test]
fn a_g_counter_counts_every_increment_through_partitions() {
    for topology in [MlTopology::AllToAll, MlTopology::Ring, MlTopology::Star] {
        for seed in 0..SEEDS {
            let mut s = Scenario::default();
            s.duration = Duration::from_secs(20);
            s.workload.sessions = 3;
            s.workload.session_regions = vec!["a".into(), "b".into(), "c".into()];
            s.network.regions = vec!["a".into(), "b".into(), "c".into()];
            s.network.region_latency_ms = vec![vec![0.0, 30.0, 60.0], vec![30.0, 0.0, 40.0], vec![60.0, 40.0, 0.0]];
            let mut increments = 0;
            for i in 0..150u64 {
                let c = i % 3 + 1;
                s.workload.script.push(op(20 + 60 * i, &format!("c{c}"), "incr likes"));
                increments += 1;
            }
            for c in 1..=3 {
                s.workload.script.push(op(19_500, &format!("c{c}"), "read likes"));
            }
            s.faults = vec![
                fault(2_000, "partition n1,c1 | n2,n3,c2,c3"),
                fault(5_000, "heal"),
                fault(6_000, "partition n1,n2,c1,c2 | n3,c3"),
                fault(9_000, "partition n1,c1 | n2,c2 | n3,c3"),
                fault(12_000, "heal"),
            ];
            s.topologies.multi_leader = Some(MlConfig {
                leaders: 3,
                placement: vec!["a".into(), "b".into(), "c".into()],
                topology,
                counter: CounterRule::GCounter,
                ..MlConfig::default()
            });
            let (run, r) = simulate(&s, seed);
            assert_eq!(r.metrics.writes.ok, increments, "{topology:?} seed {seed}: every increment acknowledged");
            for v in read_values(&run, 3) {
                assert_eq!(v, ReadValue::Counter(increments as i64), "{topology:?} seed {seed}");
            }
        }
    }
}

#[test]
fn an_or_set_keeps_an_add_concurrent_with_a_remove() {
    for seed in 0..SEEDS {
        let mut s = transatlantic(8);
        s.workload.script = vec![
            op(500, "c1", "add cart milk"),
            // Both leaders have milk; they are cut apart.
            op(3_000, "c1", "add cart milk"),
            op(3_000, "c2", "remove cart milk"),
            op(3_100, "c2", "add cart eggs"),
            op(7_000, "c1", "read cart"),
            op(7_000, "c2", "read cart"),
        ];
        s.faults = vec![fault(2_000, "partition n1,c1 | n2,c2"), fault(5_000, "heal")];
        s.topologies.multi_leader = Some(MlConfig {
            leaders: 2,
            placement: vec!["us-east".into(), "eu-west".into()],
            set: SetRule::OrSet,
            ..MlConfig::default()
        });
        let (run, _) = simulate(&s, seed);
        let plan = run.plan();
        let milk = plan.names.lookup("milk").unwrap();
        let eggs = plan.names.lookup("eggs").unwrap();
        for v in read_values(&run, 2) {
            assert_eq!(v, ReadValue::Set(vec![milk, eggs]), "seed {seed}: the concurrent add of milk survives");
        }
        // With last-write-wins on the whole set, one side's change is lost instead.
        let mut lww = s.clone();
        lww.topologies.multi_leader.as_mut().unwrap().set = SetRule::Lww;
        let (run, _) = simulate(&lww, seed);
        let reads = read_values(&run, 2);
        assert!(reads.iter().all(|v| *v != ReadValue::Set(vec![milk, eggs])), "seed {seed}: {reads:?}");
    }
}

// ---- LWW under clock skew --------------------------------------------------------------------

#[test]
fn lww_with_skew_loses_the_later_write_and_says_so() {
    let text = include_str!("../../scenarios/multi-leader-lww-skew.json");
    let doc = Scenario::from_json(text).unwrap();
    let (run, r) = simulate(&doc, doc.seed);
    let lost: Vec<_> = r.anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite).collect();
    assert_eq!(lost.len(), 1, "{:#?}", r.anomalies);
    let history = history_of(&run);
    let lost_op = history.get(lost[0].ops[0]).unwrap();
    assert_eq!(lost_op.op, Op::Write { key: run.plan().names.lookup("price").unwrap(), value: 12 });
    assert!(lost[0].explanation.contains("last write wins"), "{}", lost[0].explanation);
    // Every leader ends with the earlier write.
    for v in read_values(&run, 2) {
        assert!(matches!(v, ReadValue::Register(ref s) if s.len() == 1 && s[0].value == 10), "{v:?}");
    }

    // The property behind it: whenever the skew exceeds the gap, the later write loses.
    for seed in 0..SEEDS {
        // Shorter than the 40 ms one-way trip between the leaders: the writes are concurrent.
        let gap_ms = 5 + seed % 30;
        let skew_ms = gap_ms + 1 + (seed * 7) % 200;
        let mut s = doc.clone();
        s.faults = vec![fault(0, &format!("skew n2 -{skew_ms}ms"))];
        s.workload.script = vec![
            op(3_000, "c1", "write price=10"),
            op(3_000 + gap_ms, "c2", "write price=12"),
            op(6_000, "c1", "read price"),
        ];
        let (_, r) = simulate(&s, seed);
        assert_eq!(r.metrics.lost_acknowledged_writes, 1, "seed {seed}: skew {skew_ms} ms, gap {gap_ms} ms");
    }
}

/// Price set in Virginia; Ireland, whose clock runs slow, reads it and then changes it. The
/// second write comes after the first in every sense — real time and causality.
fn read_then_overwrite(register: RegisterRule, skew_ms: u64, gap_ms: u64) -> Scenario {
    let mut s = transatlantic(6);
    s.workload.script = vec![
        op(1_000, "c1", "write price=10"),
        op(1_150, "c2", "read price"),
        op(1_150 + gap_ms, "c2", "write price=12"),
        op(5_000, "c1", "read price"),
        op(5_000, "c2", "read price"),
    ];
    s.faults = vec![fault(0, &format!("skew n2 -{skew_ms}ms"))];
    s.topologies.multi_leader = Some(MlConfig {
        leaders: 2,
        placement: vec!["us-east".into(), "eu-west".into()],
        register,
        ..MlConfig::default()
    });
    s
}

fn final_reads(run: &AnyRun) -> Vec<i64> {
    history_of(run)
        .ops
        .iter()
        .filter(|o| o.invoke_at.is_some_and(|t| t >= 5_000_000))
        .filter_map(|o| match &o.result {
            Some(OpResult::Read(ReadValue::Register(v))) if v.len() == 1 => Some(v[0].value),
            _ => None,
        })
        .collect()
}

/// Last write wins means the timestamp alone decides: a write made after another — its writer had
/// just read the first — is thrown away when a slow clock stamped it earlier, and the checker says
/// so, naming the clocks. Causal LWW and siblings let version vectors see that it came later.
#[test]
fn last_write_wins_trusts_timestamps_over_causality_and_causal_lww_does_not() {
    for seed in 0..SEEDS {
        let gap_ms = 1 + seed % 40;
        // More skew than the time between the two writes (about 150 ms plus the gap).
        let skew_ms = 200 + gap_ms + (seed * 13) % 300;
        for rule in [RegisterRule::Lww, RegisterRule::LwwNodeId] {
            let (run, r) = simulate(&read_then_overwrite(rule, skew_ms, gap_ms), seed);
            let lost: Vec<_> = r.anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite).collect();
            assert_eq!(lost.len(), 1, "{rule:?} seed {seed}: {:#?}", r.anomalies);
            let e = &lost[0].explanation;
            assert!(e.contains("price = 12") && e.contains("after price = 10"), "{e}");
            assert!(e.contains("n2's clock was") && e.contains("behind n1's"), "the skew is named: {e}");
            let reads = final_reads(&run);
            assert_eq!(reads, vec![10, 10], "{rule:?} seed {seed}: both leaders keep the earlier write");
        }
        for rule in [RegisterRule::CausalLww, RegisterRule::Siblings] {
            let (run, r) = simulate(&read_then_overwrite(rule, skew_ms, gap_ms), seed);
            assert_eq!(r.metrics.lost_acknowledged_writes, 0, "{rule:?} seed {seed}: {:#?}", r.anomalies);
            assert_eq!(final_reads(&run), vec![12, 12], "{rule:?} seed {seed}: the later write survives");
        }
    }
}

/// A write its own writer has already read back is still lost when a version with a higher
/// timestamp arrives later: having been seen does not make it survive.
#[test]
fn a_write_read_back_by_its_writer_and_then_discarded_is_reported_lost() {
    for seed in 0..SEEDS {
        let mut s = read_then_overwrite(RegisterRule::LwwNodeId, 500, 0);
        // Virginia's write reaches Ireland late (a congested link); Ireland writes in between
        // and reads its own value back before Virginia's, stamped later, arrives.
        s.faults.push(fault(0, "slow_link n1 -> n2 +400ms"));
        s.workload.script = vec![
            op(1_000, "c1", "write price=10"),
            op(1_050, "c2", "write price=12"),
            op(1_100, "c2", "read price"),
            op(5_000, "c1", "read price"),
            op(5_000, "c2", "read price"),
        ];
        let (run, r) = simulate(&s, seed);
        let history = history_of(&run);
        let read_back = history.ops.iter().find(|o| o.op.is_read() && o.session.0 == 1).unwrap();
        assert!(
            matches!(&read_back.result, Some(OpResult::Read(ReadValue::Register(v))) if v[0].value == 12),
            "seed {seed}: c2 saw its write: {read_back:?}"
        );
        let lost: Vec<_> = r.anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite).collect();
        assert_eq!(lost.len(), 1, "seed {seed}: {:#?}", r.anomalies);
        assert!(lost[0].explanation.contains("price = 12"), "{}", lost[0].explanation);
        assert_eq!(final_reads(&run), vec![10, 10], "seed {seed}");
    }
}

/// The edges: writes a millisecond apart (concurrent, the later timestamp wins) and the same
/// timestamp (`lww` keeps what each leader had — they disagree for good; `lww_node_id` converges).
#[test]
fn lww_at_the_edges_one_millisecond_apart_and_the_same_timestamp() {
    let base = |register, gap_ms: u64| {
        let mut s = transatlantic(4);
        s.network.latency = replicascope_engine::dist::Dist::Constant { ms: 0.0 };
        // Each write takes 4 ms to be acknowledged, so writes 1 ms apart overlap in real time.
        s.network.client_latency = Some(replicascope_engine::dist::Dist::Constant { ms: 2.0 });
        s.workload.script = vec![op(1_000, "c1", "write x=1"), op(1_000 + gap_ms, "c2", "write x=2")];
        s.topologies.multi_leader = Some(MlConfig {
            leaders: 2,
            placement: vec!["us-east".into(), "eu-west".into()],
            register,
            clock_resolution: ms(1),
            ..MlConfig::default()
        });
        s
    };
    for seed in 0..SEEDS {
        // One millisecond apart: concurrent; the later timestamp wins everywhere.
        for rule in [RegisterRule::Lww, RegisterRule::LwwNodeId, RegisterRule::CausalLww] {
            let (run, r) = simulate(&base(rule, 1), seed);
            assert_eq!(run.final_observation().divergent_nodes(), 0, "{rule:?} seed {seed}");
            let lost: Vec<_> = r.anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite).collect();
            assert_eq!(lost.len(), 1, "{rule:?} seed {seed}: {:#?}", r.anomalies);
            assert!(
                lost[0].explanation.contains("x = 1") && lost[0].explanation.contains("concurrent"),
                "{}",
                lost[0].explanation
            );
        }
        // The same timestamp.
        let (run, r) = simulate(&base(RegisterRule::Lww, 0), seed);
        assert_eq!(run.final_observation().divergent_nodes(), 1, "seed {seed}");
        assert!(r.anomalies.iter().any(|a| a.kind == AnomalyKind::Divergence), "seed {seed}: {:#?}", r.anomalies);
        assert!(r.metrics.convergence.settled_after_us.is_none() && r.metrics.convergence.pending.is_empty());
        let (run, r) = simulate(&base(RegisterRule::LwwNodeId, 0), seed);
        assert_eq!(run.final_observation().divergent_nodes(), 0, "seed {seed}");
        let lost: Vec<_> = r.anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite).collect();
        assert_eq!(lost.len(), 1, "seed {seed}");
        assert!(lost[0].explanation.contains("same timestamp"), "{}", lost[0].explanation);
    }
}

/// A G-counter only grows: a decrement is refused, with the reason, instead of being acknowledged
/// and ignored; a scenario that scripts one against a G-counter is rejected up front.
#[test]
fn a_g_counter_refuses_a_decrement() {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(3);
    s.workload.sessions = 1;
    s.topologies.multi_leader = Some(MlConfig { counter: CounterRule::GCounter, ..MlConfig::default() });
    s.workload.script = vec![op(100, "c1", "incr likes 3"), op(500, "c1", "decr likes"), op(1_000, "c1", "read likes")];
    let problems = s.compile().unwrap_err().to_string();
    assert!(problems.contains("workload.script[1].op") && problems.contains("G-counter"), "{problems}");
    s.topologies.multi_leader.as_mut().unwrap().counter = CounterRule::PnCounter;
    assert!(s.compile().is_ok());

    // An intervention (the page's client menu) is refused by the leader at run time.
    s.topologies.multi_leader.as_mut().unwrap().counter = CounterRule::GCounter;
    s.workload.script.remove(1);
    let plan = std::rc::Rc::new(s.compile().unwrap());
    let mut run = AnyRun::new(TopologyKind::MultiLeader, plan).unwrap();
    run.intervene(500_000, "c1: decr likes").unwrap();
    run.run_to_end();
    let history = history_of(&run);
    let decr = history.ops.iter().find(|o| matches!(o.op, Op::Increment { by, .. } if by < 0)).unwrap();
    assert!(
        matches!(&decr.result, Some(OpResult::Fail(why)) if why.contains("G-counter")),
        "the decrement is refused: {decr:?}"
    );
    let read = history.ops.iter().find(|o| o.op.is_read()).unwrap();
    assert_eq!(read.result, Some(OpResult::Read(ReadValue::Counter(3))));
}

// ---- Topologies ------------------------------------------------------------------------------

fn ring_with_a_dead_leader(topology: MlTopology) -> Scenario {
    let mut s = Scenario::default();
    s.duration = Duration::from_secs(15);
    s.workload.sessions = 4;
    s.workload.session_regions = vec!["a".into(), "b".into(), "c".into(), "d".into()];
    s.network.regions = vec!["a".into(), "b".into(), "c".into(), "d".into()];
    s.network.region_latency_ms = vec![vec![0.0, 20.0, 20.0, 20.0]; 4];
    for (i, row) in s.network.region_latency_ms.iter_mut().enumerate() {
        row[i] = 0.0;
    }
    for i in 0..20u64 {
        s.workload.script.push(op(3_000 + 100 * i, "c1", &format!("write k={i}")));
    }
    s.faults = vec![fault(2_000, "crash n2"), fault(10_000, "restart n2")];
    s.topologies.multi_leader = Some(MlConfig {
        leaders: 4,
        placement: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        topology,
        ..MlConfig::default()
    });
    s
}

#[test]
fn a_dead_leader_breaks_the_ring_but_not_all_to_all() {
    for seed in 0..SEEDS {
        let (ring, _) = simulate(&ring_with_a_dead_leader(MlTopology::Ring), seed);
        let (all, _) = simulate(&ring_with_a_dead_leader(MlTopology::AllToAll), seed);
        let at = |run: &AnyRun, t: u64| run.trace().samples.iter().find(|s| s.time == t).cloned().unwrap();
        // n1 → n2 (dead) → n3 → n4: n3 and n4 see nothing of n1's writes while n2 is down.
        let mid = at(&ring, 7_000_000);
        for n in [2usize, 3] {
            assert_eq!(mid.observation.lag[n].unwrap().entries, 20, "ring, seed {seed}: n{} behind", n + 1);
        }
        assert!(mid.observation.backlog[0] >= 20, "ring, seed {seed}: n1's queue for n2 piles up");
        let mid = at(&all, 7_000_000);
        for n in [2usize, 3] {
            assert_eq!(mid.observation.lag[n].unwrap().entries, 0, "all-to-all, seed {seed}");
        }
        // Once n2 is back, the ring delivers everything.
        let end = ring.final_observation();
        assert!(end.lag.iter().all(|l| l.unwrap().entries == 0), "seed {seed}: {:?}", end.lag);
    }
}

#[test]
fn repairing_the_ring_routes_around_the_dead_leader() {
    let mut s = ring_with_a_dead_leader(MlTopology::Ring);
    s.faults = vec![fault(2_000, "crash n2"), fault(6_000, "repair_topology")];
    s.duration = Duration::from_secs(9);
    for seed in 0..SEEDS {
        let (run, _) = simulate(&s, seed);
        assert!(run.trace().annotations.iter().any(|n| matches!(n.annotation, Annotation::TopologyRepaired { .. })));
        let end = run.trace().samples.last().unwrap();
        assert_eq!(end.observation.lag[2].unwrap().entries, 0, "seed {seed}: n3 caught up through the repaired ring");
        assert_eq!(end.observation.lag[3].unwrap().entries, 0, "seed {seed}");
    }
}

#[test]
fn auto_increment_ids_collide_and_prefixed_ids_do_not() {
    for seed in 0..SEEDS {
        let mut s = transatlantic(5);
        s.workload.script =
            vec![op(1_000, "c1", "insert orders"), op(1_010, "c2", "insert orders"), op(4_000, "c1", "read orders")];
        let with = |ids| MlConfig {
            leaders: 2,
            placement: vec!["us-east".into(), "eu-west".into()],
            ids,
            ..MlConfig::default()
        };
        s.topologies.multi_leader = Some(with(IdScheme::AutoIncrement));
        let (run, r) = simulate(&s, seed);
        assert!(
            run.trace().annotations.iter().any(|n| matches!(n.annotation, Annotation::DuplicateId { .. })),
            "seed {seed}"
        );
        assert_eq!(r.metrics.lost_acknowledged_writes, 1, "seed {seed}: one order overwritten");
        for ids in [IdScheme::RegionPrefix, IdScheme::Uuid] {
            s.topologies.multi_leader = Some(with(ids));
            let (run, r) = simulate(&s, seed);
            assert!(!run.trace().annotations.iter().any(|n| matches!(n.annotation, Annotation::DuplicateId { .. })));
            assert_eq!(r.metrics.lost_acknowledged_writes, 0);
            let reads = read_values(&run, 1);
            assert!(matches!(&reads[0], ReadValue::Rows(r) if r.len() == 2), "{ids:?} seed {seed}: {reads:?}");
        }
    }
}

#[test]
fn causal_delivery_holds_back_a_reply_until_its_question_arrives() {
    let base = |causal: bool| {
        let mut s = Scenario::default();
        s.duration = Duration::from_secs(5);
        s.workload.sessions = 3;
        s.network.regions = vec!["a".into(), "b".into(), "c".into()];
        // a→c is slow, a→b and b→c are fast: the answer (from b) overtakes the question (from a).
        s.network.region_latency_ms = vec![vec![0.0, 10.0, 300.0], vec![10.0, 0.0, 10.0], vec![300.0, 10.0, 0.0]];
        s.workload.session_regions = vec!["a".into(), "b".into(), "c".into()];
        s.workload.script = vec![
            op(1_000, "c1", "write question=1"),
            op(1_050, "c2", "read question"),
            op(1_060, "c2", "write answer=1"),
            op(1_100, "c3", "read answer"),
            op(1_110, "c3", "read question"),
        ];
        s.topologies.multi_leader = Some(MlConfig {
            leaders: 3,
            placement: vec!["a".into(), "b".into(), "c".into()],
            causal_delivery: causal,
            ..MlConfig::default()
        });
        s
    };
    for seed in 0..SEEDS {
        let (run, r) = simulate(&base(false), seed);
        assert!(
            run.trace().annotations.iter().any(|n| matches!(n.annotation, Annotation::CausalityViolation { .. })),
            "seed {seed}"
        );
        assert!(r.anomalies.iter().any(|a| a.kind == AnomalyKind::ConsistentPrefix), "seed {seed}: {:#?}", r.anomalies);
        let (run, r) = simulate(&base(true), seed);
        assert!(!run.trace().annotations.iter().any(|n| matches!(n.annotation, Annotation::CausalityViolation { .. })));
        assert!(
            !r.anomalies.iter().any(|a| a.kind == AnomalyKind::ConsistentPrefix),
            "seed {seed}: {:#?}",
            r.anomalies
        );
    }
}

// ---- Followers of each leader ------------------------------------------------------------------

fn with_followers(topology: MlTopology, followers: u32, read_from: MlReadFrom) -> Scenario {
    use replicascope_engine::scenario::DataKind;
    let mut s = Scenario::default();
    workload(&mut s, DataKind::Register);
    s.topologies.multi_leader = Some(MlConfig {
        leaders: 3,
        topology,
        followers,
        read_from,
        clock_resolution: Duration(1),
        ..MlConfig::default()
    });
    s
}

#[test]
fn followers_converge_with_their_leaders_in_every_topology_even_through_a_partition() {
    for topology in [MlTopology::AllToAll, MlTopology::Ring, MlTopology::Star] {
        let mut s = with_followers(topology, 2, MlReadFrom::Follower);
        // n4, n5 follow n1; cut n4 off for a while: its stream is resent when it heals.
        s.faults = vec![fault(2_000, "partition n4 | n1,n2,n3,n5,n6,n7,n8,n9"), fault(6_000, "heal")];
        for seed in 0..20 {
            let (run, rep) = simulate(&s, seed);
            assert_eq!(run.node_count(), 9);
            let obs = run.final_observation();
            assert_eq!(obs.divergent_nodes(), 0, "{topology:?} seed {seed}: {:?}", obs.data_digest);
            assert!(obs.lag.iter().flatten().all(|l| l.entries == 0), "{topology:?} seed {seed}: {:?}", obs.lag);
            // Followers refuse nothing here (clients write to leaders) and every read succeeded.
            assert!(rep.metrics.reads.ok > 0, "{topology:?} seed {seed}: reads served by followers");
            let h = history_of(&run);
            let follower_reads =
                h.ops.iter().filter(|o| o.op.is_read() && o.ok() && o.contacted.iter().any(|n| n.0 >= 3)).count();
            assert!(follower_reads > 0, "{topology:?} seed {seed}: reads went to followers");
        }
    }
}

#[test]
fn reading_from_a_follower_can_miss_your_own_write_reading_from_the_leader_cannot() {
    // Each session writes a key, then reads it back 1 ms later; replication takes ~20 ms.
    let base = |read_from| {
        let mut s = with_followers(MlTopology::AllToAll, 1, read_from);
        s.network
            .by_kind
            .insert("replicate".into(), replicascope_engine::dist::Dist::LogNormal { median_ms: 20.0, sigma: 0.3 });
        s.workload.generator = None;
        s.duration = Duration::from_secs(5);
        s.workload.script = (0..30u64)
            .flat_map(|i| {
                let c = format!("c{}", i % 3 + 1);
                vec![op(100 + i * 100, &c, &format!("write k{i} = {i}")), op(101 + i * 100, &c, &format!("read k{i}"))]
            })
            .collect();
        s
    };
    let count = |s: &Scenario| -> usize {
        (0..30)
            .map(|seed| {
                let (_, rep) = simulate(s, seed);
                rep.anomalies.iter().filter(|a| a.is(AnomalyKind::ReadYourWrites)).count()
            })
            .sum()
    };
    let from_follower = count(&base(MlReadFrom::Follower));
    let from_leader = count(&base(MlReadFrom::Leader));

    assert_eq!(from_leader, 0, "the leader has the session's own write");
    assert!(from_follower > 0, "a follower a few milliseconds behind does not");
}

#[test]
fn followers_are_bounded_and_refuse_writes() {
    let mut s = with_followers(MlTopology::AllToAll, 3, MlReadFrom::Leader);
    s.topologies.multi_leader.as_mut().unwrap().leaders = 5;
    let e = s.compile().unwrap_err().to_string();
    assert!(e.contains("20 nodes; at most 16"), "{e}");
    let mut s = with_followers(MlTopology::AllToAll, 1, MlReadFrom::Leader);
    s.workload.generator = None;
    s.workload.script = vec![ScriptOp { via: Some("n4".into()), ..op(100, "c1", "write x = 1") }];
    let (run, _) = simulate(&s, 1);
    let h = history_of(&run);
    assert!(
        matches!(&h.ops[0].result, Some(OpResult::Fail(r)) if r.contains("follower of n1")),
        "{:?}",
        h.ops[0].result
    );
}
