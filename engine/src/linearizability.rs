//! Linearizability of single-register histories (read, write, compare-and-set).
//!
//! A history is linearizable if every operation can be given a single instant between its
//! invocation and its completion such that, taken in that order, the operations behave like one
//! register. The search is Wing & Gong's, with Lowe's memoisation as in Porcupine and Knossos:
//! at each step only *minimal* operations are candidates (those invoked before the earliest
//! completion among the operations not yet placed); a (placed set, register value) pair already
//! explored is never explored again. Keys are independent, so each key is checked alone.
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
    let n = ops.len();
    if n == 0 {
        return Verdict::Linearizable;
    }
    let end = |i: usize| ops[i].complete.unwrap_or(u64::MAX);
    let words = n.div_ceil(64);
    let mut placed = vec![0u64; words];
    let is_placed = |p: &[u64], i: usize| p[i / 64] & (1 << (i % 64)) != 0;
    let required: usize = (0..n).filter(|&i| ops[i].complete.is_some()).count();

    // Operations by invocation time, for finding minimal ones quickly.
    let mut by_invoke: Vec<usize> = (0..n).collect();
    by_invoke.sort_unstable_by_key(|&i| (ops[i].invoke, i));

    let mut seen: BTreeSet<(Vec<u64>, Option<i64>)> = BTreeSet::new();
    // DFS frames: (state, candidates, next candidate index, op placed to get here).
    struct Frame {
        state: Option<i64>,
        candidates: Vec<usize>,
        next: usize,
        via: Option<usize>,
        placed_required: usize,
    }
    let candidates_of = |p: &[u64]| -> Vec<usize> {
        let earliest = (0..n).filter(|&i| !is_placed(p, i)).map(end).min().unwrap_or(u64::MAX);
        // Minimal operations: nothing still unplaced had completed before they began.
        by_invoke.iter().copied().filter(|&i| !is_placed(p, i) && ops[i].invoke <= earliest).collect()
    };
    let mut stack =
        vec![Frame { state: initial, candidates: candidates_of(&placed), next: 0, via: None, placed_required: 0 }];
    let mut explored = 0u64;
    // The deepest point reached: how many required operations were placed, and what blocked it.
    let mut deepest = (0usize, Vec::<usize>::new(), initial);
    while let Some(top) = stack.last_mut() {
        if top.placed_required == required {
            return Verdict::Linearizable;
        }
        if top.next >= top.candidates.len() {
            // Dead end: note it if it is the deepest, then undo the op that led here.
            if top.placed_required >= deepest.0 {
                deepest = (top.placed_required, top.candidates.clone(), top.state);
            }
            let via = top.via;
            stack.pop();
            if let Some(i) = via {
                placed[i / 64] &= !(1 << (i % 64));
            }
            continue;
        }
        let i = top.candidates[top.next];
        top.next += 1;
        let Some(next_state) = step(top.state, &ops[i].op) else { continue };
        placed[i / 64] |= 1 << (i % 64);
        if !seen.insert((placed.clone(), next_state)) {
            placed[i / 64] &= !(1 << (i % 64));
            continue;
        }
        explored += 1;
        if explored > budget {
            return Verdict::Unknown { explored };
        }
        let placed_required = top.placed_required + ops[i].complete.is_some() as usize;
        let candidates = candidates_of(&placed);
        stack.push(Frame { state: next_state, candidates, next: 0, via: Some(i), placed_required });
    }
    // Not linearizable: report the blocked window at the deepest point.
    let (_, blocked, state) = deepest;
    let mut window: Vec<usize> = blocked;
    window.sort_unstable_by_key(|&i| (ops[i].complete.unwrap_or(u64::MAX), i));
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
