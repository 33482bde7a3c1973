//! The linearizability search against a brute-force oracle: on thousands of random small
//! histories (and on small prefixes of a long generated one) it must agree exactly with trying
//! every order; on a long history it must decide quickly.

use replicascope_engine::bench::{register_history, with_stale_read};
use replicascope_engine::linearizability::{check_register, check_with_budget, RegEvent, RegOp, Verdict};
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
