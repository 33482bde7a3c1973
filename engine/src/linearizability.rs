//! Linearizability of single-register histories (read, write, compare-and-set).
//!
//! A history is linearizable if every operation can be given a single instant between its
//! invocation and its completion such that, taken in that order, the operations behave like one
//! register. A read of a value that no operation could have written by then fails at once (one
//! pass, no search). Otherwise the search is Wing & Gong's in Lowe's just-in-time form, as
//! Porcupine has it: at each step only *minimal* operations are candidates (those invoked before
//! the earliest completion among the operations not yet placed); a (placed set, register value)
//! pair already explored is never explored again. Keys are independent, so each key is checked
//! alone.
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
    search(&ops, initial, budget)
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
}

/// Wing & Gong's search as Lowe made it just-in-time (the form Porcupine uses): the history is a
/// doubly linked list of calls and returns in time order; the candidates to take effect next are
/// the calls before the first return still in the list — the operations invoked before the
/// earliest pending completion. Linearizing one lifts its call and return out of the list;
/// meeting a return whose operation is not linearized yet means backtracking. Each step costs
/// the number of operations in flight, not the length of the history. A (linearized set,
/// register value) pair already explored is never explored again.
fn search(ops: &[&RegEvent], initial: Option<i64>, budget: u64) -> Verdict {
    let n = ops.len();
    // Calls before returns at the same instant: an operation that completes exactly when another
    // begins is concurrent with it (real-time order needs strictly before).
    let mut entries: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
    for (i, o) in ops.iter().enumerate() {
        entries.push((o.invoke, false, i));
        if let Some(c) = o.complete {
            entries.push((c, true, i));
        }
    }
    entries.sort_unstable();
    let list: Vec<Entry> = entries.iter().map(|&(_, is_return, op)| Entry { op, is_call: !is_return }).collect();
    // Links, with a head sentinel at index `len`; `END` marks the end of the list.
    const END: usize = usize::MAX;
    let len = list.len();
    let head = len;
    let mut next: Vec<usize> = (0..=len).map(|i| if i + 1 < len { i + 1 } else { END }).collect();
    let mut prev: Vec<usize> = (0..=len).map(|i| if i == 0 { head } else { i - 1 }).collect();
    next[head] = if len > 0 { 0 } else { END };
    let end = END;
    let mut call_at = vec![usize::MAX; n];
    let mut return_at = vec![usize::MAX; n];
    for (k, e) in list.iter().enumerate() {
        if e.is_call {
            call_at[e.op] = k;
        } else {
            return_at[e.op] = k;
        }
    }
    let unlink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, k: usize| {
        let (p, q) = (prev[k], next[k]);
        next[p] = q;
        if q != end {
            prev[q] = p;
        }
    };
    let relink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, k: usize| {
        let (p, q) = (prev[k], next[k]);
        next[p] = k;
        if q != end {
            prev[q] = k;
        }
    };
    let returns_total = return_at.iter().filter(|r| **r != usize::MAX).count();
    let mut returns_lifted = 0usize;
    let words = n.div_ceil(64);
    let mut linearized = vec![0u64; words];
    let mut seen: BTreeSet<(Vec<u64>, Option<i64>)> = BTreeSet::new();
    let mut state = initial;
    // Each linearized operation, with the value before it.
    let mut calls: Vec<(usize, Option<i64>)> = Vec::new();
    let mut explored = 0u64;
    // The deepest point reached: completed operations linearized, the calls then in flight, and
    // the register's value.
    let mut deepest: (usize, Vec<usize>, Option<i64>) = (0, Vec::new(), initial);
    let mut k = next[head];
    loop {
        if returns_lifted == returns_total {
            return Verdict::Linearizable;
        }
        // A walk that reaches the end has passed no return: every return has been lifted, which
        // the test above catches. (Calls of unknown outcome may remain: they need not happen.)
        debug_assert!(k != end, "the walk reached the end with returns still in the list");
        if k == end {
            return Verdict::Linearizable;
        }
        let e = list[k];
        if e.is_call {
            let i = e.op;
            let tried = step(state, &ops[i].op).and_then(|after| {
                linearized[i / 64] |= 1 << (i % 64);
                if seen.insert((linearized.clone(), after)) {
                    Some(after)
                } else {
                    linearized[i / 64] &= !(1 << (i % 64));
                    None
                }
            });
            match tried {
                Some(after) => {
                    explored += 1;
                    if explored > budget {
                        return Verdict::Unknown { explored };
                    }
                    calls.push((i, state));
                    state = after;
                    unlink(&mut next, &mut prev, call_at[i]);
                    if return_at[i] != usize::MAX {
                        unlink(&mut next, &mut prev, return_at[i]);
                        returns_lifted += 1;
                    }
                    k = next[head];
                }
                None => k = next[k],
            }
        } else {
            // A return whose operation has not taken effect: what came before must change.
            if returns_lifted >= deepest.0 {
                let mut in_flight = Vec::new();
                let mut j = next[head];
                while j != k && j != end {
                    if list[j].is_call {
                        in_flight.push(list[j].op);
                    }
                    j = next[j];
                }
                in_flight.push(e.op);
                deepest = (returns_lifted, in_flight, state);
            }
            let Some((i, before)) = calls.pop() else { break };
            linearized[i / 64] &= !(1 << (i % 64));
            state = before;
            if return_at[i] != usize::MAX {
                relink(&mut next, &mut prev, return_at[i]);
                returns_lifted -= 1;
            }
            relink(&mut next, &mut prev, call_at[i]);
            k = next[call_at[i]];
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
