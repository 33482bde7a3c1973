//! Shrinking a violation: the fewest operations of a non-linearizable history that fail on
//! their own, and how they stand in real time — what a history diagram highlights.

use super::*;

/// The operations of a non-linearizable history that alone already cannot be linearized, with
/// the sentence that says why: what a diagram highlights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// The ids of the operations, in order of invocation.
    pub ops: Vec<u64>,
    pub explanation: String,
    /// Whether no operation of `ops` can be left out (with what depends on it) and the rest
    /// still fail: the shrinking finished within its budget. Otherwise a smaller set may exist.
    pub minimal: bool,
}

/// How many checks [`smallest_violation`] may make.
pub const SHRINK_CHECKS: u32 = 3_000;

/// Shrinks a non-linearizable history to a few of its operations that show the violation on
/// their own: `None` when the history is linearizable or undecided.
///
/// Not every subset will do: leave out the write a read saw and the read alone fails ("it read
/// 3, which nobody wrote") although the history may be fine. A subset is a witness — it failing
/// proves the history fails — when it keeps, for every operation that needs a state (a read of
/// 3, a compare-and-set from 3), every operation that sets that state and could have come before
/// it (invoked before it completed). Then any linearization of the history, restricted to the
/// subset, is one of the subset: each kept operation still follows the same last write. For
/// objects whose operations change the state without setting it outright (an append, a
/// transaction), those operations are all kept.
///
/// The search: the shortest failing prefix and suffix by bisection, then chunks of halving size,
/// then one operation at a time until none can go; removing an operation removes what depends on
/// it. A check that runs out of `budget` counts as "cannot tell" and keeps the operations.
pub fn smallest_violation<M: Model>(
    model: &M,
    events: &[Event<M::Op>],
    initial: M::State,
    budget: u64,
) -> Option<Violation> {
    let mut sorted: Vec<&Event<M::Op>> = events.iter().collect();
    crate::sort::sort_by_key(&mut sorted, |e| (e.invoke, e.id));
    let n = sorted.len();
    // Per state (numbered), the operations that set it, by invocation.
    let mut numbers: BTreeMap<M::State, usize> = BTreeMap::new();
    let mut setters: Vec<Vec<usize>> = Vec::new();
    for (i, e) in sorted.iter().enumerate() {
        if let Some(state) = model.sets(&e.op) {
            let next = numbers.len();
            let number = *numbers.entry(state).or_insert(next);
            if number == setters.len() {
                setters.push(Vec::new());
            }
            setters[number].push(i);
        }
    }
    // What each operation cannot be kept without: the first `count` setters of a state.
    let needs: Vec<Option<(usize, usize)>> = sorted
        .iter()
        .map(|e| match model.reads(&e.op) {
            Reads::Exactly(state) => numbers.get(&state).map(|&number| {
                let until = e.complete.unwrap_or(u64::MAX);
                (number, setters[number].partition_point(|&p| sorted[p].invoke < until))
            }),
            _ => None,
        })
        .collect();
    // For each state, how many of its setters, from the first, are kept.
    let kept_setters = |kept: &[bool]| -> Vec<usize> {
        setters.iter().map(|list| list.iter().position(|&p| !kept[p]).unwrap_or(list.len())).collect()
    };
    let has_needs =
        |i: usize, kept_setters: &[usize]| needs[i].is_none_or(|(state, count)| kept_setters[state] >= count);
    let pinned: Vec<bool> = sorted.iter().map(|e| model.changes_state(&e.op) && model.sets(&e.op).is_none()).collect();
    let witness = |kept: &[bool]| {
        let ks = kept_setters(kept);
        (0..n).all(|i| if kept[i] { has_needs(i, &ks) } else { !pinned[i] })
    };
    let mut checks = 0u32;
    let mut fails = |kept: &[bool]| -> Option<bool> {
        if !witness(kept) {
            return Some(false);
        }
        if checks >= SHRINK_CHECKS {
            return None;
        }
        checks += 1;
        let set: Vec<Event<M::Op>> = (0..n).filter(|&i| kept[i]).map(|i| sorted[i].clone()).collect();
        Some(matches!(check_model(model, &set, initial.clone(), budget), Verdict::NotLinearizable { .. }))
    };
    let range = |from: usize, to: usize| -> Vec<bool> { (0..n).map(|i| i >= from && i < to).collect() };
    if fails(&range(0, n)) != Some(true) {
        return None;
    }
    // The shortest failing prefix; `hi` always fails.
    let (mut lo, mut hi) = (0, n);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        match fails(&range(0, mid)) {
            Some(true) => hi = mid,
            Some(false) => lo = mid,
            None => break,
        }
    }
    let end = hi;
    // The shortest failing suffix of that; `lo` always fails.
    let (mut lo, mut hi) = (0, end);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        match fails(&range(mid, end)) {
            Some(true) => lo = mid,
            Some(false) => hi = mid,
            None => break,
        }
    }
    let mut kept = range(lo, end);
    // Leaves out `drop` and every kept operation that needs one left out.
    let without = |kept: &[bool], drop: &[usize]| -> Vec<bool> {
        let mut next = kept.to_vec();
        for &d in drop {
            next[d] = false;
        }
        loop {
            let ks = kept_setters(&next);
            let more: Vec<usize> = (0..n).filter(|&i| next[i] && !has_needs(i, &ks)).collect();
            if more.is_empty() {
                return next;
            }
            for i in more {
                next[i] = false;
            }
        }
    };
    let mut chunk = (kept.iter().filter(|k| **k).count() / 2).max(1);
    let mut exhausted = false;
    loop {
        let mut removed = false;
        let mut at = 0;
        while at < n {
            let drop: Vec<usize> = (at..n).filter(|&i| kept[i]).take(chunk).collect();
            let Some(&last) = drop.last() else { break };
            at = last + 1;
            let next = without(&kept, &drop);
            if !next.iter().any(|k| *k) {
                continue;
            }
            match fails(&next) {
                Some(true) => {
                    kept = next;
                    removed = true;
                }
                Some(false) => {}
                None => {
                    exhausted = true;
                    break;
                }
            }
        }
        // Single operations are tried again until none can go: removing one may free another.
        if exhausted || (chunk == 1 && !removed) {
            break;
        }
        chunk = (chunk / 2).max(1);
    }
    let set: Vec<Event<M::Op>> = (0..n).filter(|&i| kept[i]).map(|i| sorted[i].clone()).collect();
    let Verdict::NotLinearizable { explanation, .. } = check_model(model, &set, initial, budget) else {
        return None; // cannot happen: every set kept was checked to fail
    };
    Some(Violation { ops: set.iter().map(|e| e.id).collect(), explanation, minimal: !exhausted })
}
