//! Linearizability of single-register histories (read, write, compare-and-set).
//!
//! A history is linearizable if every operation can be given a single instant between its
//! invocation and its completion such that, taken in that order, the operations behave like one
//! register. A read of a value that no operation in the history wrote fails at once (one pass,
//! no search). Otherwise the search is Wing & Gong's in Lowe's just-in-time form, as Porcupine
//! has it: at each step only *minimal* operations are candidates (those invoked before the
//! earliest completion among the operations not yet placed), and a state already explored is
//! not explored again (see `search` for how crashed operations are kept from multiplying the
//! states). Keys are independent, so each key is checked alone.
//!
//! Operations that failed (`:fail`) did not happen and are dropped. Operations whose outcome is
//! unknown (`:info`, a timeout) may have happened at any moment after their invocation, or never:
//! they complete "at infinity" and need not be placed. Reads with unknown outcome tell nothing
//! and are dropped.
//!
//! When a history is not linearizable, the checker reports the smallest window it can: the
//! operation that could not be placed in the deepest partial order the search reached, with the
//! operations concurrent with it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What an operation did to the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegOp {
    /// Read returned this value (None: never written).
    Read(Option<i64>),
    Write(i64),
    /// Compare-and-set from `from` to `to` that succeeded.
    Cas {
        from: Option<i64>,
        to: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegEvent {
    /// The caller's identifier (an operation id or a line number).
    pub id: u64,
    pub op: RegOp,
    pub invoke: u64,
    /// `None` for an operation of unknown outcome.
    pub complete: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Linearizable,
    /// Not linearizable; the ids of a small set of operations that cannot be ordered.
    NotLinearizable {
        ops: Vec<u64>,
        explanation: String,
    },
    /// The search hit its budget before deciding.
    Unknown {
        explored: u64,
    },
}

/// Upper bound on distinct (placed set, value) states explored per key.
pub const STATE_BUDGET: u64 = 2_000_000;

fn step(state: Option<i64>, op: &RegOp) -> Option<Option<i64>> {
    match op {
        RegOp::Read(v) => (state == *v).then_some(state),
        RegOp::Write(v) => Some(Some(*v)),
        RegOp::Cas { from, to } => (state == *from).then_some(Some(*to)),
    }
}

fn describe(op: &RegOp) -> String {
    let v = |x: &Option<i64>| x.map(|v| v.to_string()).unwrap_or_else(|| "nothing".into());
    match op {
        RegOp::Read(x) => format!("read {}", v(x)),
        RegOp::Write(x) => format!("write {x}"),
        RegOp::Cas { from, to } => format!("cas {} → {to}", v(from)),
    }
}

/// Checks one register's history, starting from `initial`.
pub fn check_register(events: &[RegEvent], initial: Option<i64>) -> Verdict {
    check_with_budget(events, initial, STATE_BUDGET)
}

pub fn check_with_budget(events: &[RegEvent], initial: Option<i64>, budget: u64) -> Verdict {
    // Unknown reads tell nothing.
    let ops: Vec<&RegEvent> =
        events.iter().filter(|e| !(e.complete.is_none() && matches!(e.op, RegOp::Read(_)))).collect();
    if ops.is_empty() {
        return Verdict::Linearizable;
    }
    if let Some(verdict) = impossible_read(&ops, initial) {
        return verdict;
    }
    search(&without_unobserved_crashes(ops), initial, budget)
}

/// Drops the writes and compare-and-sets of unknown outcome whose value nothing could observe:
/// no completed read of it and no compare-and-set from it that ends after the crashed operation
/// began. Such an operation may always be taken not to have happened: in any order that places
/// it, the next operation to take effect is a write, another crashed operation or nothing (a read
/// or a successful compare-and-set would have observed its value), so removing it changes no
/// outcome. Each one kept doubles the orders the search may have to consider, which is what made
/// long histories with crashes blow up.
fn without_unobserved_crashes(ops: Vec<&RegEvent>) -> Vec<&RegEvent> {
    // For each value, the latest moment an operation observing it can take effect.
    let mut observed_until: std::collections::BTreeMap<i64, u64> = std::collections::BTreeMap::new();
    for o in &ops {
        let (RegOp::Read(Some(v)) | RegOp::Cas { from: Some(v), .. }) = o.op else { continue };
        let until = o.complete.unwrap_or(u64::MAX);
        let entry = observed_until.entry(v).or_insert(until);
        *entry = (*entry).max(until);
    }
    ops.into_iter()
        .filter(|o| match (o.complete, &o.op) {
            (None, RegOp::Write(v) | RegOp::Cas { to: v, .. }) => {
                observed_until.get(v).is_some_and(|&until| until >= o.invoke)
            }
            _ => true,
        })
        .collect()
}

/// A completed read of a value that no write or compare-and-set of the history (completed or of
/// unknown outcome) ever wrote, and that is not the initial value: no order explains it. Found
/// in one pass, before any search — it is how most histories that lose or invent a write fail.
fn impossible_read(ops: &[&RegEvent], initial: Option<i64>) -> Option<Verdict> {
    let written: BTreeSet<i64> = ops
        .iter()
        .filter_map(|o| match o.op {
            RegOp::Write(v) | RegOp::Cas { to: v, .. } => Some(v),
            RegOp::Read(_) => None,
        })
        .collect();
    let bad = ops.iter().filter(|o| o.complete.is_some()).find(|o| {
        matches!(o.op, RegOp::Read(Some(v)) if !written.contains(&v) && initial != Some(v))
    })?;
    let RegOp::Read(Some(v)) = bad.op else { return None };
    Some(Verdict::NotLinearizable {
        ops: vec![bad.id],
        explanation: format!(
            "a read returned {v}, a value that no write or compare-and-set in the history wrote{} — whatever the order, the register never held it",
            if initial.is_some() { " and that is not the initial value" } else { "" }
        ),
    })
}

/// One entry of the history in time order: an operation's call or its return.
#[derive(Clone, Copy, Debug)]
struct Entry {
    op: usize,
    is_call: bool,
    at: u64,
}

/// Where the walk is: scanning the list from an entry, or, blocked at a return, trying the
/// crashed operations from the `from`-th on.
enum Mode {
    Walk(usize),
    Crashes { blocked: usize, from: usize },
}

/// A placed operation, to undo on backtracking, with the register's value before it.
enum Frame {
    Completed { op: usize, before: Option<i64> },
    Crashed { nth: usize, before: Option<i64>, blocked: usize },
}

fn is_subset(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}

/// Wing & Gong's search as Lowe made it just-in-time (the form Porcupine uses): the completed
/// operations form a doubly linked list of calls and returns in time order; the candidates to
/// take effect next are the calls before the first return still in the list — the operations
/// invoked before the earliest pending completion. Placing one lifts its call and return out of
/// the list; meeting a return whose operation is not placed yet means backtracking. Each step
/// costs the number of operations in flight, not the length of the history.
///
/// Crashed operations (no return) may take effect at any moment after their call, or never.
/// Left in the list they would be candidates at every step of the rest of the history, and each
/// would double the states: that is how a long history with a few dozen crashes and a violation
/// deep inside used to exhaust any budget. Here they are tried only once the completed
/// candidates are exhausted, and the memo uses dominance: a state is (where the walk is, which
/// completed operations are placed, the value) with a set of crashed operations placed, and a
/// state whose crashed set contains one already explored is skipped, since leaving a crash
/// unplaced can only allow more. A crash whose value nothing left can observe is "spent": not
/// tried again and counted as placed (see `without_unobserved_crashes`).
///
/// The memo's key is small: every completed operation returning before the first pending
/// return is placed, so the placed set is that return's rank plus the placed operations among
/// those in flight at it.
fn search(ops: &[&RegEvent], initial: Option<i64>, budget: u64) -> Verdict {
    use std::collections::BTreeMap;
    let n = ops.len();
    let crashed: Vec<usize> = {
        let mut c: Vec<usize> = (0..n).filter(|&i| ops[i].complete.is_none()).collect();
        c.sort_by_key(|&i| (ops[i].invoke, i));
        c
    };
    // Calls before returns at the same instant: an operation that completes exactly when another
    // begins is concurrent with it (real-time order needs strictly before).
    let mut entries: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
    for (i, o) in ops.iter().enumerate() {
        if let Some(c) = o.complete {
            entries.push((o.invoke, false, i));
            entries.push((c, true, i));
        }
    }
    entries.sort_unstable();
    let list: Vec<Entry> =
        entries.iter().map(|&(at, is_return, op)| Entry { op, is_call: !is_return, at }).collect();
    let returns_total = list.len() / 2;
    if returns_total == 0 {
        return Verdict::Linearizable; // only crashed operations: none need happen
    }
    // Links, with a head sentinel at index `len`; `END` marks the end of the list.
    const END: usize = usize::MAX;
    let len = list.len();
    let head = len;
    let mut next: Vec<usize> = (0..=len).map(|i| if i + 1 < len { i + 1 } else { END }).collect();
    let mut prev: Vec<usize> = (0..=len).map(|i| if i == 0 { head } else { i - 1 }).collect();
    next[head] = 0;
    let mut call_at = vec![usize::MAX; n];
    let mut return_at = vec![usize::MAX; n];
    // Each completed operation's rank among returns, and the operations in flight at each return.
    let mut rank = vec![u32::MAX; n];
    let mut in_flight_at: Vec<Vec<u32>> = Vec::with_capacity(returns_total);
    let mut open: BTreeSet<usize> = BTreeSet::new();
    for (k, e) in list.iter().enumerate() {
        if e.is_call {
            call_at[e.op] = k;
            open.insert(e.op);
        } else {
            return_at[e.op] = k;
            open.remove(&e.op);
            rank[e.op] = in_flight_at.len() as u32;
            in_flight_at.push(open.iter().map(|&o| o as u32).collect());
        }
    }
    let unlink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, k: usize| {
        let (p, q) = (prev[k], next[k]);
        next[p] = q;
        if q != END {
            prev[q] = p;
        }
    };
    let relink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, k: usize| {
        let (p, q) = (prev[k], next[k]);
        next[p] = k;
        if q != END {
            prev[q] = k;
        }
    };
    let observes = |o: &RegEvent| match o.op {
        RegOp::Read(Some(v)) | RegOp::Cas { from: Some(v), .. } => Some(v),
        _ => None,
    };
    let mut observers_left: BTreeMap<i64, usize> = BTreeMap::new();
    for o in ops {
        if let Some(v) = observes(o) {
            *observers_left.entry(v).or_default() += 1;
        }
    }
    let mut crashes_of: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (nth, &i) in crashed.iter().enumerate() {
        if let RegOp::Write(v) | RegOp::Cas { to: v, .. } = ops[i].op {
            crashes_of.entry(v).or_default().push(nth);
        }
    }
    let crash_words = crashed.len().div_ceil(64);
    // Crashed operations placed, and those spent; the memo sees their union.
    let mut placed = vec![0u64; crash_words];
    let mut spent = vec![0u64; crash_words];
    let bit = |set: &[u64], nth: usize| set[nth / 64] & (1 << (nth % 64)) != 0;
    let set_bit = |set: &mut [u64], nth: usize, on: bool| {
        if on {
            set[nth / 64] |= 1 << (nth % 64);
        } else {
            set[nth / 64] &= !(1 << (nth % 64));
        }
    };
    for (v, list) in &crashes_of {
        if !observers_left.contains_key(v) {
            list.iter().for_each(|&nth| set_bit(&mut spent, nth, true));
        }
    }
    // Placing an operation that observes `v` may spend the crashes writing `v`; undoing it
    // revives them.
    let mut observe = |spent: &mut [u64], v: Option<i64>, placing: bool| {
        let Some(v) = v else { return };
        let left = observers_left.get_mut(&v).expect("counted");
        if placing {
            *left -= 1;
        } else {
            *left += 1;
        }
        let now_spent = *left == 0;
        if (placing && now_spent) || (!placing && *left == 1) {
            for &nth in crashes_of.get(&v).into_iter().flatten() {
                set_bit(spent, nth, now_spent);
            }
        }
    };
    let mut linearized = vec![false; n];
    let mut memo: BTreeMap<(u32, Vec<u32>, Option<i64>), Vec<Vec<u64>>> = BTreeMap::new();
    // The memo key of the current state, or None once every return is lifted.
    let key_of = |next: &[usize], linearized: &[bool], value: Option<i64>| -> Option<(u32, Vec<u32>, Option<i64>)> {
        let mut j = next[head];
        while j != END && list[j].is_call {
            j = next[j];
        }
        if j == END {
            return None;
        }
        let r = rank[list[j].op];
        let placed_in_flight: Vec<u32> =
            in_flight_at[r as usize].iter().copied().filter(|&o| linearized[o as usize]).collect();
        Some((r, placed_in_flight, value))
    };
    let mut visit = |key: (u32, Vec<u32>, Option<i64>), crashes: Vec<u64>| -> bool {
        let seen = memo.entry(key).or_default();
        if seen.iter().any(|m| is_subset(m, &crashes)) {
            return false;
        }
        seen.retain(|m| !is_subset(&crashes, m));
        seen.push(crashes);
        true
    };
    let union = |placed: &[u64], spent: &[u64]| -> Vec<u64> { placed.iter().zip(spent).map(|(a, b)| a | b).collect() };

    let mut state = initial;
    let mut returns_lifted = 0usize;
    let mut frames: Vec<Frame> = Vec::new();
    let mut explored = 0u64;
    // The deepest point reached: completed operations placed, the calls then in flight, and
    // the register's value.
    let mut deepest: (usize, Vec<usize>, Option<i64>) = (0, Vec::new(), initial);
    let mut mode = Mode::Walk(next[head]);
    loop {
        match mode {
            Mode::Walk(k) => {
                debug_assert!(k != END, "a walk with returns left meets one before the end");
                let e = list[k];
                if !e.is_call {
                    mode = Mode::Crashes { blocked: k, from: 0 };
                    continue;
                }
                let i = e.op;
                let after_crash = matches!(frames.last(), Some(Frame::Crashed { .. }));
                let after = step(state, &ops[i].op).filter(|_| !(after_crash && matches!(ops[i].op, RegOp::Write(_))));
                let Some(after) = after else {
                    mode = Mode::Walk(next[k]);
                    continue;
                };
                linearized[i] = true;
                unlink(&mut next, &mut prev, call_at[i]);
                unlink(&mut next, &mut prev, return_at[i]);
                returns_lifted += 1;
                observe(&mut spent, observes(ops[i]), true);
                let Some(key) = key_of(&next, &linearized, after) else { return Verdict::Linearizable };
                if visit(key, union(&placed, &spent)) {
                    explored += 1;
                    if explored > budget {
                        return Verdict::Unknown { explored };
                    }
                    frames.push(Frame::Completed { op: i, before: state });
                    state = after;
                    mode = Mode::Walk(next[head]);
                } else {
                    observe(&mut spent, observes(ops[i]), false);
                    returns_lifted -= 1;
                    relink(&mut next, &mut prev, return_at[i]);
                    relink(&mut next, &mut prev, call_at[i]);
                    linearized[i] = false;
                    mode = Mode::Walk(next[k]);
                }
            }
            Mode::Crashes { blocked, from } => {
                let mut chosen = None;
                let after_crash = matches!(frames.last(), Some(Frame::Crashed { .. }));
                // A crash is placed only right before an operation that observes its value, so
                // only values some candidate observes are worth writing.
                let now = list[blocked].at;
                let mut wanted: BTreeSet<i64> = BTreeSet::new();
                let mut j = next[head];
                while j != blocked && j != END {
                    wanted.extend(observes(ops[list[j].op]));
                    j = next[j];
                }
                for (nth, &i) in crashed.iter().enumerate() {
                    if ops[i].invoke > now {
                        break;
                    }
                    if !bit(&placed, nth) {
                        wanted.extend(observes(ops[i]));
                    }
                }
                for (nth, &i) in crashed.iter().enumerate().skip(from) {
                    if ops[i].invoke > now {
                        break;
                    }
                    let writes_wanted = match ops[i].op {
                        RegOp::Write(v) | RegOp::Cas { to: v, .. } => wanted.contains(&v),
                        RegOp::Read(_) => false,
                    };
                    if !writes_wanted
                        || bit(&placed, nth)
                        || bit(&spent, nth)
                        || (after_crash && matches!(ops[i].op, RegOp::Write(_)))
                    {
                        continue;
                    }
                    let Some(after) = step(state, &ops[i].op) else { continue };
                    set_bit(&mut placed, nth, true);
                    observe(&mut spent, observes(ops[i]), true);
                    let key = key_of(&next, &linearized, after).expect("crashes lift no return");
                    if visit(key, union(&placed, &spent)) {
                        chosen = Some((nth, after));
                        break;
                    }
                    observe(&mut spent, observes(ops[i]), false);
                    set_bit(&mut placed, nth, false);
                }
                if let Some((nth, after)) = chosen {
                    explored += 1;
                    if explored > budget {
                        return Verdict::Unknown { explored };
                    }
                    frames.push(Frame::Crashed { nth, before: state, blocked });
                    state = after;
                    mode = Mode::Walk(next[head]);
                    continue;
                }
                // Nothing can come next here: what came before must change.
                if returns_lifted >= deepest.0 {
                    let mut in_flight = Vec::new();
                    let mut j = next[head];
                    while j != blocked && j != END {
                        if list[j].is_call {
                            in_flight.push(list[j].op);
                        }
                        j = next[j];
                    }
                    in_flight.push(list[blocked].op);
                    deepest = (returns_lifted, in_flight, state);
                }
                match frames.pop() {
                    None => break,
                    Some(Frame::Completed { op: i, before }) => {
                        observe(&mut spent, observes(ops[i]), false);
                        state = before;
                        linearized[i] = false;
                        relink(&mut next, &mut prev, return_at[i]);
                        returns_lifted -= 1;
                        relink(&mut next, &mut prev, call_at[i]);
                        mode = Mode::Walk(next[call_at[i]]);
                    }
                    Some(Frame::Crashed { nth, before, blocked }) => {
                        observe(&mut spent, observes(ops[crashed[nth]]), false);
                        set_bit(&mut placed, nth, false);
                        state = before;
                        mode = Mode::Crashes { blocked, from: nth + 1 };
                    }
                }
            }
        }
    }
    // Not linearizable: report the window at the deepest point.
    let (_, blocked, state) = deepest;
    let mut window: Vec<usize> = blocked;
    window.sort_unstable_by_key(|&i| (ops[i].complete.unwrap_or(u64::MAX), i));
    window.dedup();
    window.truncate(8);
    let first = window.first().copied();
    let explanation = match first {
        Some(i) => format!(
            "after every order the search could build, the register held {}; none of the concurrent operations ({}) can come next — in particular “{}” cannot happen at any moment between its start and its end",
            state.map(|v| v.to_string()).unwrap_or_else(|| "nothing".into()),
            window.iter().map(|&j| describe(&ops[j].op)).collect::<Vec<_>>().join(", "),
            describe(&ops[i].op)
        ),
        None => "no operation can be placed first".into(),
    };
    Verdict::NotLinearizable { ops: window.iter().map(|&i| ops[i].id).collect(), explanation }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: u64, op: RegOp, invoke: u64, complete: Option<u64>) -> RegEvent {
        RegEvent { id, op, invoke, complete }
    }

    #[test]
    fn sequential_history_is_linearizable() {
        let h = vec![
            e(0, RegOp::Write(1), 0, Some(10)),
            e(1, RegOp::Read(Some(1)), 20, Some(30)),
            e(2, RegOp::Write(2), 40, Some(50)),
            e(3, RegOp::Read(Some(2)), 60, Some(70)),
        ];
        assert_eq!(check_register(&h, None), Verdict::Linearizable);
    }

    #[test]
    fn concurrent_read_may_see_either() {
        let h = vec![
            e(0, RegOp::Write(1), 0, Some(100)),
            e(1, RegOp::Read(None), 10, Some(20)),
            e(2, RegOp::Read(Some(1)), 30, Some(40)),
        ];
        assert_eq!(check_register(&h, None), Verdict::Linearizable);
    }

    #[test]
    fn new_then_old_is_not_linearizable() {
        // The classic quorum anomaly: one read sees the new value, a later read the old one,
        // both while the write is still in progress.
        let h = vec![
            e(0, RegOp::Write(1), 0, Some(100)),
            e(1, RegOp::Read(Some(1)), 10, Some(20)),
            e(2, RegOp::Read(None), 30, Some(40)),
        ];
        match check_register(&h, None) {
            Verdict::NotLinearizable { ops, .. } => assert!(ops.contains(&2), "{ops:?}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn stale_read_after_write_completes_is_not_linearizable() {
        let h = vec![e(0, RegOp::Write(1), 0, Some(10)), e(1, RegOp::Read(None), 20, Some(30))];
        assert!(matches!(check_register(&h, None), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn unknown_writes_may_or_may_not_have_happened() {
        // A timed-out write, then a read that sees it: fine. A read that does not: also fine.
        let seen = vec![e(0, RegOp::Write(1), 0, None), e(1, RegOp::Read(Some(1)), 50, Some(60))];
        assert_eq!(check_register(&seen, None), Verdict::Linearizable);
        let unseen = vec![e(0, RegOp::Write(1), 0, None), e(1, RegOp::Read(None), 50, Some(60))];
        assert_eq!(check_register(&unseen, None), Verdict::Linearizable);
        // But once seen, it cannot be unseen.
        let flip = vec![
            e(0, RegOp::Write(1), 0, None),
            e(1, RegOp::Read(Some(1)), 50, Some(60)),
            e(2, RegOp::Read(None), 70, Some(80)),
        ];
        assert!(matches!(check_register(&flip, None), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn compare_and_set() {
        let ok = vec![
            e(0, RegOp::Write(1), 0, Some(10)),
            e(1, RegOp::Cas { from: Some(1), to: 2 }, 20, Some(30)),
            e(2, RegOp::Read(Some(2)), 40, Some(50)),
        ];
        assert_eq!(check_register(&ok, None), Verdict::Linearizable);
        let bad = vec![e(0, RegOp::Write(1), 0, Some(10)), e(1, RegOp::Cas { from: Some(3), to: 2 }, 20, Some(30))];
        assert!(matches!(check_register(&bad, None), Verdict::NotLinearizable { .. }));
    }
}
