//! Linearizability: does a concurrent history behave like one copy of an object?
//!
//! A history is linearizable if every operation can be given a single instant between its
//! invocation and its completion such that, taken in that order, the operations behave like the
//! object's sequential specification — a [`Model`]. The register (read, write, compare-and-set)
//! is this module's own; `models.rs` holds the key-value store, the multi-register and the mutex
//! that Jepsen, Knossos and Porcupine histories use.
//!
//! An operation that needs a state no operation in the history produces fails at once (one
//! pass, no search). Otherwise the search is Wing & Gong's in Lowe's just-in-time form, as
//! Porcupine has it: at each step only *minimal* operations are candidates (those invoked before
//! the earliest completion among the operations not yet placed), and a state already explored is
//! not explored again (see `search` for how crashed operations are kept from multiplying the
//! states). Keys are independent, so each key is checked alone.
//!
//! Operations that failed (`:fail`) did not happen and are dropped. Operations whose outcome is
//! unknown (`:info`, a timeout) may have happened at any moment after their invocation, or never:
//! they complete "at infinity" and need not be placed. Those that cannot change the state (a
//! read) tell nothing and are dropped.
//!
//! When a history is not linearizable, the checker reports the smallest window it can: the
//! operation that could not be placed in the deepest partial order the search reached, with the
//! operations concurrent with it.

mod shrink;

pub use shrink::{smallest_violation, Violation, SHRINK_CHECKS};

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

/// An object's sequential specification, with what the search needs to know to keep crashed
/// operations from multiplying the states.
pub trait Model {
    type State: Clone + Ord + Debug;
    type Op: Clone + Debug;
    /// The state after `op`, or `None` if `op` cannot happen in `state`.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;
    /// What `op` needs of the state before it.
    fn reads(&self, op: &Self::Op) -> Reads<Self::State>;
    /// The state `op` leaves, when that does not depend on the state before it.
    fn sets(&self, op: &Self::Op) -> Option<Self::State>;
    /// Whether `op` can change the state: one that cannot, with an unknown outcome, tells nothing.
    fn changes_state(&self, op: &Self::Op) -> bool;
    fn describe(&self, op: &Self::Op) -> String;
    fn describe_state(&self, state: &Self::State) -> String;
    /// The object, as explanations name it: "the register", "the mutex".
    fn noun(&self) -> &'static str;
}

/// What an operation needs of the state before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reads<S> {
    /// Nothing: it succeeds in any state and leaves one that does not depend on it (a blind
    /// write). An operation of unknown outcome followed directly by such a one is pointless.
    Nothing,
    /// It succeeds only in exactly this state (a read that returned it, a compare-and-set from it).
    Exactly(S),
    /// It depends on the state in some other way (an append, a transaction).
    Other,
}

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

/// One operation of a history: what it did, when it was invoked and when it completed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event<O> {
    /// The caller's identifier (an operation id or a line number).
    pub id: u64,
    pub op: O,
    pub invoke: u64,
    /// `None` for an operation of unknown outcome.
    pub complete: Option<u64>,
}

pub type RegEvent = Event<RegOp>;

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

/// Upper bound on states explored per key.
pub const STATE_BUDGET: u64 = 2_000_000;

/// The register: a single value, empty or an integer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Register;

impl Model for Register {
    type State = Option<i64>;
    type Op = RegOp;

    fn step(&self, state: &Option<i64>, op: &RegOp) -> Option<Option<i64>> {
        match op {
            RegOp::Read(v) => (state == v).then_some(*state),
            RegOp::Write(v) => Some(Some(*v)),
            RegOp::Cas { from, to } => (state == from).then_some(Some(*to)),
        }
    }

    fn reads(&self, op: &RegOp) -> Reads<Option<i64>> {
        match op {
            RegOp::Read(v) | RegOp::Cas { from: v, .. } => Reads::Exactly(*v),
            RegOp::Write(_) => Reads::Nothing,
        }
    }

    fn sets(&self, op: &RegOp) -> Option<Option<i64>> {
        match op {
            RegOp::Write(v) | RegOp::Cas { to: v, .. } => Some(Some(*v)),
            RegOp::Read(_) => None,
        }
    }

    fn changes_state(&self, op: &RegOp) -> bool {
        !matches!(op, RegOp::Read(_))
    }

    fn describe(&self, op: &RegOp) -> String {
        let v = |x: &Option<i64>| x.map(|v| v.to_string()).unwrap_or_else(|| "nothing".into());
        match op {
            RegOp::Read(x) => format!("read {}", v(x)),
            RegOp::Write(x) => format!("write {x}"),
            RegOp::Cas { from, to } => format!("cas {} → {to}", v(from)),
        }
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        state.map(|v| v.to_string()).unwrap_or_else(|| "nothing".into())
    }

    fn noun(&self) -> &'static str {
        "the register"
    }
}

/// Checks one register's history, starting from `initial`.
pub fn check_register(events: &[RegEvent], initial: Option<i64>) -> Verdict {
    check_with_budget(events, initial, STATE_BUDGET)
}

pub fn check_with_budget(events: &[RegEvent], initial: Option<i64>, budget: u64) -> Verdict {
    check_model(&Register, events, initial, budget)
}

/// Checks a history of one object against `model`, starting from `initial`, exploring at most
/// `budget` states.
pub fn check_model<M: Model>(model: &M, events: &[Event<M::Op>], initial: M::State, budget: u64) -> Verdict {
    // Operations of unknown outcome that cannot change the state tell nothing.
    let ops: Vec<&Event<M::Op>> =
        events.iter().filter(|e| e.complete.is_some() || model.changes_state(&e.op)).collect();
    if ops.is_empty() {
        return Verdict::Linearizable;
    }
    if let Some(verdict) = impossible_state(model, &ops, &initial) {
        return verdict;
    }
    search(model, &without_unobserved_crashes(model, ops), initial, budget)
}

/// Drops the operations of unknown outcome whose effect nothing could observe: they set a state
/// that no operation needing exactly it (a read of it, a compare-and-set from it), and no
/// operation depending on the state otherwise, could take effect after. Such an operation may
/// always be taken not to have happened: in any order that places it, the next operation to take
/// effect is a blind write, another crashed operation or nothing, so removing it changes no
/// outcome. Each one kept doubles the orders the search may have to consider.
fn without_unobserved_crashes<'a, M: Model>(model: &M, ops: Vec<&'a Event<M::Op>>) -> Vec<&'a Event<M::Op>> {
    // For each state, the latest moment an operation needing it can take effect; likewise for
    // operations that depend on the state in other ways.
    let mut observed_until: BTreeMap<M::State, u64> = BTreeMap::new();
    let mut other_until: Option<u64> = None;
    for o in &ops {
        let until = o.complete.unwrap_or(u64::MAX);
        match model.reads(&o.op) {
            Reads::Exactly(s) => {
                let entry = observed_until.entry(s).or_insert(until);
                *entry = (*entry).max(until);
            }
            Reads::Other => other_until = Some(other_until.unwrap_or(0).max(until)),
            Reads::Nothing => {}
        }
    }
    ops.into_iter()
        .filter(|o| {
            if o.complete.is_some() {
                return true;
            }
            let Some(s) = model.sets(&o.op) else { return true };
            other_until.is_some_and(|until| until >= o.invoke)
                || observed_until.get(&s).is_some_and(|&until| until >= o.invoke)
        })
        .collect()
}

/// A completed operation that needs a state that no operation of the history (completed or of
/// unknown outcome) produces, and that is not the initial one: no order explains it. Found in
/// one pass, before any search — it is how most histories that lose or invent a write fail.
/// Decided only when every operation that changes the state sets it outright.
fn impossible_state<M: Model>(model: &M, ops: &[&Event<M::Op>], initial: &M::State) -> Option<Verdict> {
    let mut produced: BTreeSet<M::State> = BTreeSet::new();
    for o in ops {
        match model.sets(&o.op) {
            Some(s) => {
                produced.insert(s);
            }
            None if model.changes_state(&o.op) => return None,
            None => {}
        }
    }
    let (bad, needed) = ops.iter().filter(|o| o.complete.is_some()).find_map(|o| match model.reads(&o.op) {
        Reads::Exactly(s) if !produced.contains(&s) && s != *initial => Some((o, s)),
        _ => None,
    })?;
    Some(Verdict::NotLinearizable {
        ops: vec![bad.id],
        explanation: format!(
            "“{}” needs {} to hold {}, which no operation in the history produced and which it did not start with — whatever the order, it never held it",
            model.describe(&bad.op),
            model.noun(),
            model.describe_state(&needed)
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

/// A placed operation, to undo on backtracking, with the state (its number) before it.
enum Frame {
    Completed { op: usize, before: u32 },
    Crashed { nth: usize, before: u32, blocked: usize },
}

fn is_subset(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}

fn bit(set: &[u64], nth: usize) -> bool {
    set[nth / 64] & (1 << (nth % 64)) != 0
}

fn set_bit(set: &mut [u64], nth: usize, on: bool) {
    if on {
        set[nth / 64] |= 1 << (nth % 64);
    } else {
        set[nth / 64] &= !(1 << (nth % 64));
    }
}

/// States by number, so the search's tables index vectors rather than compare states.
struct States<S: Ord + Clone> {
    number: BTreeMap<S, u32>,
    list: Vec<S>,
}

impl<S: Ord + Clone> States<S> {
    fn id(&mut self, s: &S) -> u32 {
        if let Some(&n) = self.number.get(s) {
            return n;
        }
        let n = self.list.len() as u32;
        self.number.insert(s.clone(), n);
        self.list.push(s.clone());
        n
    }
}

/// What an operation needs of the state before it, by state number.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    Nothing,
    Exactly(u32),
    Other,
}

/// Which crashed operations nothing left can observe. A crash that sets state `s` is *spent*
/// once every operation needing exactly `s` has been placed and no operation depending on the
/// state otherwise is left: placing it any later is pointless (the argument of
/// `without_unobserved_crashes`). Spent crashes are not tried, and the memo counts them as placed.
struct Observers {
    /// Unplaced operations needing exactly each state, by state number.
    exactly: Vec<usize>,
    /// Unplaced operations that depend on the state otherwise.
    other: usize,
    /// The crashes setting each state, by state number, as ranks among crashes.
    crashes_setting: Vec<Vec<usize>>,
    spent: Vec<u64>,
}

impl Observers {
    fn refresh(&mut self, s: u32) {
        let now = self.other == 0 && self.exactly.get(s as usize).is_none_or(|n| *n == 0);
        for &nth in self.crashes_setting.get(s as usize).into_iter().flatten() {
            set_bit(&mut self.spent, nth, now);
        }
    }

    fn refresh_all(&mut self) {
        for s in 0..self.crashes_setting.len() {
            self.refresh(s as u32);
        }
    }

    /// An operation with `needs` is placed (`placing`) or taken back.
    fn update(&mut self, needs: Needs, placing: bool) {
        let bump = |n: &mut usize| if placing { *n -= 1 } else { *n += 1 };
        match needs {
            Needs::Exactly(s) => {
                bump(&mut self.exactly[s as usize]);
                self.refresh(s);
            }
            Needs::Other => {
                bump(&mut self.other);
                if self.other <= 1 {
                    self.refresh_all();
                }
            }
            Needs::Nothing => {}
        }
    }
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
/// candidates are exhausted, and only where they can matter: never directly before a blind write
/// (which would erase them), and, when they set a state outright, only if some candidate needs
/// that state. The memo uses dominance: a state is (where the walk is, which completed
/// operations are placed, the object's state) with a set of crashed operations placed, and one
/// whose crashed set contains one already explored is skipped, since leaving a crash unplaced
/// can only allow more.
///
/// The memo's key is small: every completed operation returning before the first pending
/// return is placed, so the placed set is that return's rank plus the placed operations among
/// those in flight at it.
fn search<M: Model>(model: &M, ops: &[&Event<M::Op>], initial: M::State, budget: u64) -> Verdict {
    let n = ops.len();
    let mut crashed: Vec<usize> = (0..n).filter(|&i| ops[i].complete.is_none()).collect();
    crate::sort::sort_by_key(&mut crashed, |&i| (ops[i].invoke, i));
    // Calls before returns at the same instant: an operation that completes exactly when another
    // begins is concurrent with it (real-time order needs strictly before).
    let mut entries: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
    for (i, o) in ops.iter().enumerate() {
        if let Some(c) = o.complete {
            entries.push((o.invoke, false, i));
            entries.push((c, true, i));
        }
    }
    crate::sort::sort(&mut entries);
    let list: Vec<Entry> = entries.iter().map(|&(at, is_return, op)| Entry { op, is_call: !is_return, at }).collect();
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
    // Each completed operation's rank among returns, and the operations in flight at each
    // return (in a fixed order, so equal sets give equal keys).
    let mut rank = vec![u32::MAX; n];
    let mut in_flight_at: Vec<Vec<u32>> = Vec::with_capacity(returns_total);
    let mut open: Vec<u32> = Vec::new();
    for (k, e) in list.iter().enumerate() {
        if e.is_call {
            call_at[e.op] = k;
            open.push(e.op as u32);
        } else {
            return_at[e.op] = k;
            open.retain(|&o| o as usize != e.op);
            rank[e.op] = in_flight_at.len() as u32;
            in_flight_at.push(open.clone());
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
    let mut states = States { number: BTreeMap::new(), list: Vec::new() };
    let needs: Vec<Needs> = ops
        .iter()
        .map(|o| match model.reads(&o.op) {
            Reads::Nothing => Needs::Nothing,
            Reads::Exactly(s) => Needs::Exactly(states.id(&s)),
            Reads::Other => Needs::Other,
        })
        .collect();
    let crash_sets: Vec<Option<u32>> = crashed.iter().map(|&i| model.sets(&ops[i].op).map(|s| states.id(&s))).collect();
    let known = states.list.len();
    let crash_words = crashed.len().div_ceil(64);
    let mut observers = Observers {
        exactly: vec![0; known],
        other: 0,
        crashes_setting: vec![Vec::new(); known],
        spent: vec![0u64; crash_words],
    };
    for need in &needs {
        match *need {
            Needs::Exactly(s) => observers.exactly[s as usize] += 1,
            Needs::Other => observers.other += 1,
            Needs::Nothing => {}
        }
    }
    for (nth, set) in crash_sets.iter().enumerate() {
        if let Some(s) = set {
            observers.crashes_setting[*s as usize].push(nth);
        }
    }
    observers.refresh_all();
    // Crashed operations placed; the memo sees them together with the spent ones.
    let mut placed = vec![0u64; crash_words];
    let mut linearized = vec![false; n];
    // The memo: [rank of the first pending return, state, placed operations in flight] → the
    // crashed sets explored there.
    let mut memo: BTreeMap<Vec<u32>, Vec<Vec<u64>>> = BTreeMap::new();
    // The memo key of the current state, or None once every return is lifted.
    let key_of = |next: &[usize], linearized: &[bool], state: u32| -> Option<Vec<u32>> {
        let mut j = next[head];
        while j != END && list[j].is_call {
            j = next[j];
        }
        if j == END {
            return None;
        }
        let r = rank[list[j].op];
        let mut key = vec![r, state];
        key.extend(in_flight_at[r as usize].iter().copied().filter(|&o| linearized[o as usize]));
        Some(key)
    };
    let mut visit = |key: Vec<u32>, crashes: Vec<u64>| -> bool {
        let seen = memo.entry(key).or_default();
        if seen.iter().any(|m| is_subset(m, &crashes)) {
            return false;
        }
        seen.retain(|m| !is_subset(&crashes, m));
        seen.push(crashes);
        true
    };
    let union = |placed: &[u64], spent: &[u64]| -> Vec<u64> { placed.iter().zip(spent).map(|(a, b)| a | b).collect() };

    let mut state: u32 = states.id(&initial);
    let mut returns_lifted = 0usize;
    let mut frames: Vec<Frame> = Vec::new();
    let mut explored = 0u64;
    // Marks the states some candidate needs, for the crashes: stamp[s] == round.
    let mut wanted_stamp: Vec<u64> = vec![0; known];
    let mut round = 0u64;
    // The deepest point reached: completed operations placed, the calls then in flight, and
    // the state.
    let mut deepest: (usize, Vec<usize>, u32) = (0, Vec::new(), state);
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
                // Directly after a crash, a blind write would erase it: pointless.
                let after_crash = matches!(frames.last(), Some(Frame::Crashed { .. }));
                let after = if after_crash && needs[i] == Needs::Nothing {
                    None
                } else {
                    model.step(&states.list[state as usize], &ops[i].op)
                };
                let Some(after) = after else {
                    mode = Mode::Walk(next[k]);
                    continue;
                };
                let after = states.id(&after);
                linearized[i] = true;
                unlink(&mut next, &mut prev, call_at[i]);
                unlink(&mut next, &mut prev, return_at[i]);
                returns_lifted += 1;
                observers.update(needs[i], true);
                let Some(key) = key_of(&next, &linearized, after) else { return Verdict::Linearizable };
                if visit(key, union(&placed, &observers.spent)) {
                    explored += 1;
                    if explored > budget {
                        return Verdict::Unknown { explored };
                    }
                    frames.push(Frame::Completed { op: i, before: state });
                    state = after;
                    mode = Mode::Walk(next[head]);
                } else {
                    observers.update(needs[i], false);
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
                // A crash that sets a state outright is worth placing only if some candidate
                // (a completed call before the block, or another crash) needs that state.
                let now = list[blocked].at;
                round += 1;
                let mut wants_any = false;
                let mut want = |need: Needs| match need {
                    Needs::Exactly(s) => wanted_stamp[s as usize] = round,
                    Needs::Other => wants_any = true,
                    Needs::Nothing => {}
                };
                let mut j = next[head];
                while j != blocked && j != END {
                    want(needs[list[j].op]);
                    j = next[j];
                }
                for (nth, &i) in crashed.iter().enumerate() {
                    if ops[i].invoke > now {
                        break;
                    }
                    if !bit(&placed, nth) {
                        want(needs[i]);
                    }
                }
                for (nth, &i) in crashed.iter().enumerate().skip(from) {
                    if ops[i].invoke > now {
                        break;
                    }
                    let useful = wants_any || crash_sets[nth].is_none_or(|s| wanted_stamp[s as usize] == round);
                    if !useful
                        || bit(&placed, nth)
                        || bit(&observers.spent, nth)
                        || (after_crash && needs[i] == Needs::Nothing)
                    {
                        continue;
                    }
                    let Some(after) = model.step(&states.list[state as usize], &ops[i].op) else { continue };
                    let after = states.id(&after);
                    set_bit(&mut placed, nth, true);
                    observers.update(needs[i], true);
                    let key = key_of(&next, &linearized, after).expect("crashes lift no return");
                    if visit(key, union(&placed, &observers.spent)) {
                        chosen = Some((nth, after));
                        break;
                    }
                    observers.update(needs[i], false);
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
                        observers.update(needs[i], false);
                        state = before;
                        linearized[i] = false;
                        relink(&mut next, &mut prev, return_at[i]);
                        returns_lifted -= 1;
                        relink(&mut next, &mut prev, call_at[i]);
                        mode = Mode::Walk(next[call_at[i]]);
                    }
                    Some(Frame::Crashed { nth, before, blocked }) => {
                        observers.update(needs[crashed[nth]], false);
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
    let state = &states.list[state as usize];
    let mut window: Vec<usize> = blocked;
    crate::sort::sort_by_key(&mut window, |&i| (ops[i].complete.unwrap_or(u64::MAX), i));
    window.dedup();
    window.truncate(8);
    let first = window.first().copied();
    let explanation = match first {
        Some(i) => format!(
            "after every order the search could build, {} held {}; none of the concurrent operations ({}) can come next — in particular “{}” cannot happen at any moment between its start and its end",
            model.noun(),
            model.describe_state(state),
            window.iter().map(|&j| model.describe(&ops[j].op)).collect::<Vec<_>>().join(", "),
            model.describe(&ops[i].op)
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
