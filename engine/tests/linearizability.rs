//! The linearizability search against a brute-force oracle: on thousands of random small
//! histories (and on small prefixes of a long generated one) it must agree exactly with trying
//! every order; on a long history it must decide quickly.

use replicascope_engine::bench::{register_history, with_stale_read};
use replicascope_engine::linearizability::{
    check_register, check_with_budget, smallest_violation, RegEvent, RegOp, Register, Verdict,
};
use replicascope_engine::rng::{SimRng, Stream};

fn step(state: Option<i64>, op: &RegOp) -> Option<Option<i64>> {
    match op {
        RegOp::Read(v) => (state == *v).then_some(state),
        RegOp::Write(v) => Some(Some(*v)),
        RegOp::Cas { from, to } => (state == *from).then_some(Some(*to)),
    }
}

/// Tries every subset of the operations of unknown outcome and every order that respects real
/// time (a before b when a completed before b began).
fn brute(events: &[RegEvent], initial: Option<i64>) -> bool {
    let ops: Vec<&RegEvent> =
        events.iter().filter(|e| !(e.complete.is_none() && matches!(e.op, RegOp::Read(_)))).collect();
    let unknown: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].complete.is_none()).collect();
    for mask in 0..(1u32 << unknown.len()) {
        let chosen: Vec<usize> = (0..ops.len())
            .filter(|&i| match unknown.iter().position(|&u| u == i) {
                Some(bit) => mask & (1 << bit) != 0,
                None => true,
            })
            .collect();
        if orders(&ops, &chosen, &mut Vec::new(), initial) {
            return true;
        }
    }
    false
}

fn orders(ops: &[&RegEvent], left: &[usize], done: &mut Vec<usize>, state: Option<i64>) -> bool {
    if left.is_empty() {
        return true;
    }
    for (k, &i) in left.iter().enumerate() {
        // Nothing still to place may have completed before i began.
        let blocked = left.iter().any(|&j| j != i && ops[j].complete.is_some_and(|c| c < ops[i].invoke));
        if blocked {
            continue;
        }
        if let Some(next) = step(state, &ops[i].op) {
            let rest: Vec<usize> = left.iter().enumerate().filter(|(x, _)| *x != k).map(|(_, &j)| j).collect();
            done.push(i);
            if orders(ops, &rest, done, next) {
                return true;
            }
            done.pop();
        }
    }
    false
}

fn random_history(rng: &mut SimRng, n: usize) -> Vec<RegEvent> {
    random_history_crashing(rng, n, 8)
}

/// `n` operations, one in `one_in` of them crashed (no completion).
fn random_history_crashing(rng: &mut SimRng, n: usize, one_in: u64) -> Vec<RegEvent> {
    (0..n)
        .map(|i| {
            let invoke = rng.below(20);
            let complete = if rng.below(one_in) == 0 { None } else { Some(invoke + rng.below(10)) };
            let v = |rng: &mut SimRng| rng.below(3) as i64;
            let op = match rng.below(4) {
                0 => RegOp::Read(if rng.below(4) == 0 { None } else { Some(v(rng)) }),
                1 => RegOp::Cas { from: if rng.below(4) == 0 { None } else { Some(v(rng)) }, to: v(rng) },
                _ => RegOp::Write(v(rng)),
            };
            RegEvent { id: i as u64, op, invoke, complete }
        })
        .collect()
}

#[test]
fn the_search_agrees_with_trying_every_order() {
    let mut rng = SimRng::new(42, Stream::Workload);
    let (mut yes, mut no) = (0, 0);
    for case in 0..20_000 {
        let n = 1 + rng.below(7) as usize;
        let h = random_history(&mut rng, n);
        let initial = if rng.below(2) == 0 { None } else { Some(0) };
        let expected = brute(&h, initial);
        let got = check_register(&h, initial);
        match (&got, expected) {
            (Verdict::Linearizable, true) => yes += 1,
            (Verdict::NotLinearizable { ops, .. }, false) => {
                no += 1;
                assert!(!ops.is_empty(), "case {case}: a violation names operations");
            }
            _ => panic!("case {case}: search says {got:?}, every order says {expected}\n{h:#?} initial {initial:?}"),
        }
    }
    assert!(yes > 2_000 && no > 2_000, "both verdicts are exercised: {yes} linearizable, {no} not");
}

/// Crashed operations are tried last, only right before an operation that observes their value,
/// and the memo skips a state whose crashed set contains one already explored. Each of those
/// shortcuts must lose nothing: histories where half the operations crashed, against the oracle.
#[test]
fn histories_full_of_crashes_agree_with_trying_every_order() {
    let mut rng = SimRng::new(9, Stream::Workload);
    let (mut yes, mut no) = (0, 0);
    for case in 0..20_000 {
        let n = 2 + rng.below(6) as usize;
        let h = random_history_crashing(&mut rng, n, 2);
        let initial = if rng.below(2) == 0 { None } else { Some(0) };
        let expected = brute(&h, initial);
        match (check_register(&h, initial), expected) {
            (Verdict::Linearizable, true) => yes += 1,
            (Verdict::NotLinearizable { .. }, false) => no += 1,
            (got, _) => {
                panic!("case {case}: search says {got:?}, every order says {expected}\n{h:#?} initial {initial:?}")
            }
        }
    }
    assert!(yes > 2_000 && no > 2_000, "both verdicts are exercised: {yes} linearizable, {no} not");
}

/// A long history from ten processes on one register, 1% of writes crashing: linearizable by
/// construction (`bench::register_history`).
fn generated(ops: usize, values: u64, seed: u64) -> Vec<RegEvent> {
    register_history(ops, 1, values, seed).into_iter().map(|(_, e)| e).collect()
}

#[test]
fn a_long_generated_history_is_decided_quickly_and_its_prefixes_agree_with_the_oracle() {
    let h = generated(10_000, 5, 7);
    assert_eq!(h.len(), 10_000);
    let unknown = h.iter().filter(|e| e.complete.is_none()).count();
    assert!(unknown > 10, "{unknown} crashed writes");
    // With the one-at-a-time search as it was (every step scanning the whole history) this took
    // tens of seconds; now the budget is never approached.
    assert_eq!(check_with_budget(&h, Some(0), 200_000), Verdict::Linearizable);
    // Small prefixes: what was invoked before T, completions after T unknown.
    let mut checked = 0;
    for cut in 1..400u64 {
        let prefix: Vec<RegEvent> = h
            .iter()
            .filter(|e| e.invoke < cut)
            .map(|e| RegEvent { complete: e.complete.filter(|c| *c < cut), ..e.clone() })
            .collect();
        let relevant = prefix.iter().filter(|e| !(e.complete.is_none() && matches!(e.op, RegOp::Read(_)))).count();
        if relevant == 0 || relevant > 8 {
            continue;
        }
        let expected = brute(&prefix, Some(0));
        assert!(expected, "a prefix of a linearizable history is linearizable");
        assert_eq!(check_register(&prefix, Some(0)), Verdict::Linearizable, "prefix before {cut}");
        checked += 1;
    }
    assert!(checked >= 5, "{checked} prefixes checked");
    // The same history with one read changed to a value nobody wrote: found at once.
    let mut bad = h.clone();
    let r = bad.iter().position(|e| matches!(e.op, RegOp::Read(Some(_))) && e.complete.is_some()).unwrap();
    bad[r].op = RegOp::Read(Some(77));
    let id = bad[r].id;
    assert!(
        matches!(check_with_budget(&bad, Some(0), 1_000), Verdict::NotLinearizable { ref ops, .. } if ops == &vec![id])
    );
}

/// A stale read deep inside a long history with crashes: its value was written, so only the
/// search can refute it, past thousands of operations and dozens of crashed writes, each of
/// which may have taken effect at any later moment. The previous search gave up ("unknown")
/// after its two million states; this one must name the read within that budget.
#[test]
fn a_stale_read_deep_in_a_long_history_with_crashes_is_found() {
    for seed in [7, 8, 9] {
        let mut h = register_history(10_000, 1, 1_000, seed);
        let crashed = h.iter().filter(|(_, e)| e.complete.is_none()).count();
        assert!(crashed >= 20, "seed {seed}: {crashed} crashes");
        let Some(id) = with_stale_read(&mut h) else { panic!("seed {seed}: no read could be made stale") };
        assert!(id > 2_000, "seed {seed}: the stale read #{id} sits deep in the history");
        let events: Vec<RegEvent> = h.into_iter().map(|(_, e)| e).collect();
        match check_register(&events, Some(0)) {
            Verdict::NotLinearizable { ops, explanation } => {
                assert!(ops.contains(&id), "seed {seed}: names the stale read #{id}: {ops:?} {explanation}")
            }
            other => panic!("seed {seed}: {other:?}"),
        }
    }
}

/// Whether `o` keeps, within `set`, what it needs: if it needs a value (a read of 3, a cas from
/// 3), every operation of `history` that sets that value and was invoked before `o` completed.
fn needs_met(o: &RegEvent, set: &[RegEvent], history: &[RegEvent]) -> bool {
    let needed = match o.op {
        RegOp::Read(v) | RegOp::Cas { from: v, .. } => v,
        RegOp::Write(_) => return true,
    };
    let sets = |p: &RegEvent| match p.op {
        RegOp::Write(v) | RegOp::Cas { to: v, .. } => Some(v) == needed,
        RegOp::Read(_) => false,
    };
    history
        .iter()
        .filter(|p| sets(p) && p.invoke < o.complete.unwrap_or(u64::MAX))
        .all(|p| set.iter().any(|k| k.id == p.id))
}

/// Whether `set` (of `history`'s operations) proves the history not linearizable when it is
/// not: every operation in it has what it needs.
fn witness(set: &[RegEvent], history: &[RegEvent]) -> bool {
    set.iter().all(|o| needs_met(o, set, history))
}

/// The smallest violating set a diagram highlights, on thousands of random histories that are
/// not linearizable, against the oracle:
/// - it is a witness (see `witness`), so it failing proves the history fails — a read without
///   the write it saw would fail alone and prove nothing;
/// - alone, it is not linearizable;
/// - every operation in it is needed: leaving any one out (with what then is no witness) makes
///   the rest linearizable.
///
/// Against the true minimum (every witness subset tried), it is usually the minimum; how often
/// is printed.
#[test]
fn the_smallest_violation_fails_alone_and_needs_every_operation() {
    let mut rng = SimRng::new(17, Stream::Workload);
    let (mut shrunk, mut optimal, mut cases) = (0, 0, 0);
    for case in 0..6_000 {
        let n = 2 + rng.below(7) as usize;
        let h = random_history_crashing(&mut rng, n, 5);
        let initial = if rng.below(2) == 0 { None } else { Some(0) };
        let verdict = smallest_violation(&Register, &h, initial, 100_000);
        if brute(&h, initial) {
            assert_eq!(verdict, None, "case {case}: a linearizable history has no violation");
            continue;
        }
        cases += 1;
        let violates = |set: &[RegEvent]| witness(set, &h) && !brute(set, initial);
        let v = verdict.unwrap_or_else(|| panic!("case {case}: no violation found\n{h:#?}"));
        assert!(v.minimal, "case {case}: small histories shrink within the budget");
        let set: Vec<RegEvent> = h.iter().filter(|e| v.ops.contains(&e.id)).cloned().collect();
        assert_eq!(set.len(), v.ops.len(), "case {case}: ids are the history's own");
        assert!(violates(&set), "case {case}: the set {:?} is a witness and fails alone\n{h:#?}", v.ops);
        for drop in &v.ops {
            // Leaving one out, and then every operation that needs one left out.
            let mut rest: Vec<RegEvent> = set.iter().filter(|e| e.id != *drop).cloned().collect();
            while !witness(&rest, &h) {
                let before = rest.clone();
                rest.retain(|e| needs_met(e, &before, &h));
            }
            assert!(!violates(&rest), "case {case}: {drop} is not needed in {:?}\n{h:#?}", v.ops);
        }
        assert!(!v.explanation.is_empty());
        shrunk += usize::from(set.len() < h.len());
        let minimum = (1u32..(1 << h.len()))
            .filter(|mask| {
                let sub: Vec<RegEvent> =
                    h.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, e)| e.clone()).collect();
                violates(&sub)
            })
            .map(|mask| mask.count_ones() as usize)
            .min()
            .unwrap();
        assert!(set.len() >= minimum);
        optimal += usize::from(set.len() == minimum);
    }
    println!("{cases} violations: {shrunk} shrunk below the whole history, {optimal} to the true minimum");
    assert!(cases > 1_000 && shrunk > cases / 2, "{cases} cases, {shrunk} shrunk");
    assert!(optimal * 10 >= cases * 9, "the shrinking finds the true minimum in most cases: {optimal} of {cases}");
}

/// In long histories, the stale read planted deep inside shrinks to a handful of operations
/// around it (the read, the write it missed, the write it saw), within the checks budget.
#[test]
fn a_stale_read_in_a_long_history_shrinks_to_a_few_operations() {
    for seed in [7, 8, 9] {
        let mut h = register_history(2_000, 1, 1_000, seed);
        let Some(id) = with_stale_read(&mut h) else { panic!("seed {seed}: no read could be made stale") };
        let events: Vec<RegEvent> = h.into_iter().map(|(_, e)| e).collect();
        let v = smallest_violation(&Register, &events, Some(0), 200_000).expect("not linearizable");
        assert!(v.ops.contains(&id), "seed {seed}: keeps the stale read #{id}: {v:?}");
        let set: Vec<RegEvent> = events.iter().filter(|e| v.ops.contains(&e.id)).cloned().collect();
        assert!(witness(&set, &events), "seed {seed}: {v:?}");
        println!("seed {seed}: {} operations: {}", v.ops.len(), v.explanation);
        assert!(v.ops.len() <= 6, "seed {seed}: a stale read needs the writes around it and little else: {v:?}");
        assert!(v.minimal, "seed {seed}: {v:?}");
    }
}
