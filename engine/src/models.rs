//! The objects besides the register that Jepsen, Knossos and Porcupine histories are checked
//! against, as [`Model`]s for the linearizability search: Porcupine's key-value store, Knossos'
//! multi-register and mutex. Each says what an operation needs of the state before it, so the
//! search can keep crashed operations from multiplying the states (see `linearizability/mod.rs`).

use crate::linearizability::{Model, Reads};
use std::collections::BTreeMap;

/// One key of Porcupine's key-value store: a string, empty until written. The store is checked
/// key by key, as Porcupine partitions it.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvKey;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvOp {
    /// Returned this value ("" for a key never written).
    Get(String),
    Put(String),
    /// Appended this string to the value.
    Append(String),
}

impl Model for KvKey {
    type State = String;
    type Op = KvOp;

    fn step(&self, state: &String, op: &KvOp) -> Option<String> {
        match op {
            KvOp::Get(v) => (state == v).then(|| state.clone()),
            KvOp::Put(v) => Some(v.clone()),
            KvOp::Append(v) => Some(format!("{state}{v}")),
        }
    }

    fn reads(&self, op: &KvOp) -> Reads<String> {
        match op {
            KvOp::Get(v) => Reads::Exactly(v.clone()),
            KvOp::Put(_) => Reads::Nothing,
            KvOp::Append(_) => Reads::Other,
        }
    }

    fn sets(&self, op: &KvOp) -> Option<String> {
        match op {
            KvOp::Put(v) => Some(v.clone()),
            KvOp::Get(_) | KvOp::Append(_) => None,
        }
    }

    fn changes_state(&self, op: &KvOp) -> bool {
        !matches!(op, KvOp::Get(_))
    }

    fn describe(&self, op: &KvOp) -> String {
        match op {
            KvOp::Get(v) => format!("get → {}", quoted(v)),
            KvOp::Put(v) => format!("put {}", quoted(v)),
            KvOp::Append(v) => format!("append {}", quoted(v)),
        }
    }

    fn describe_state(&self, state: &String) -> String {
        quoted(state)
    }

    fn noun(&self) -> &'static str {
        "the key"
    }
}

/// A string for an explanation: quoted, and cut short when long.
fn quoted(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        format!("\"{}…\" ({} characters)", s.chars().take(MAX).collect::<String>(), s.chars().count())
    } else {
        format!("\"{s}\"")
    }
}

/// Knossos' mutex: `:acquire` needs it free, `:release` needs it held.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexOp {
    Acquire,
    Release,
}

impl Model for Mutex {
    /// Held?
    type State = bool;
    type Op = MutexOp;

    fn step(&self, held: &bool, op: &MutexOp) -> Option<bool> {
        match op {
            MutexOp::Acquire => (!held).then_some(true),
            MutexOp::Release => held.then_some(false),
        }
    }

    fn reads(&self, op: &MutexOp) -> Reads<bool> {
        Reads::Exactly(*op == MutexOp::Release)
    }

    fn sets(&self, op: &MutexOp) -> Option<bool> {
        Some(*op == MutexOp::Acquire)
    }

    fn changes_state(&self, _: &MutexOp) -> bool {
        true
    }

    fn describe(&self, op: &MutexOp) -> String {
        match op {
            MutexOp::Acquire => "acquire".into(),
            MutexOp::Release => "release".into(),
        }
    }

    fn describe_state(&self, held: &bool) -> String {
        if *held { "held" } else { "free" }.into()
    }

    fn noun(&self) -> &'static str {
        "the mutex"
    }
}

/// Knossos' multi-register: registers named by key, read and written together by transactions.
/// A register never written holds `initial` (Knossos starts from the map it is given; empty by
/// default, so that a read of a value from a register never written cannot happen).
#[derive(Clone, Debug, Default)]
pub struct MultiRegister {
    pub initial: Option<i64>,
}

/// One step of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Micro {
    /// Read this value (`None`: the register was never written).
    Read(String, Option<i64>),
    Write(String, i64),
}

/// A transaction: its steps, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn(pub Vec<Micro>);

impl Model for MultiRegister {
    /// The registers written so far.
    type State = BTreeMap<String, i64>;
    type Op = Txn;

    fn step(&self, state: &BTreeMap<String, i64>, txn: &Txn) -> Option<BTreeMap<String, i64>> {
        let mut next = state.clone();
        for m in &txn.0 {
            match m {
                Micro::Read(k, v) => {
                    if next.get(k).copied().or(self.initial) != *v {
                        return None;
                    }
                }
                Micro::Write(k, v) => {
                    next.insert(k.clone(), *v);
                }
            }
        }
        Some(next)
    }

    fn reads(&self, _: &Txn) -> Reads<BTreeMap<String, i64>> {
        Reads::Other
    }

    fn sets(&self, _: &Txn) -> Option<BTreeMap<String, i64>> {
        None
    }

    fn changes_state(&self, txn: &Txn) -> bool {
        txn.0.iter().any(|m| matches!(m, Micro::Write(..)))
    }

    fn describe(&self, txn: &Txn) -> String {
        let steps: Vec<String> = txn
            .0
            .iter()
            .map(|m| match m {
                Micro::Read(k, Some(v)) => format!("read {k} → {v}"),
                Micro::Read(k, None) => format!("read {k} → nothing"),
                Micro::Write(k, v) => format!("write {k} = {v}"),
            })
            .collect();
        format!("txn [{}]", steps.join(", "))
    }

    fn describe_state(&self, state: &BTreeMap<String, i64>) -> String {
        if state.is_empty() {
            return "nothing written".into();
        }
        let shown: Vec<String> = state.iter().take(6).map(|(k, v)| format!("{k} = {v}")).collect();
        let more = if state.len() > 6 { format!(", … {} more", state.len() - 6) } else { String::new() };
        format!("{{{}{more}}}", shown.join(", "))
    }

    fn noun(&self) -> &'static str {
        "the registers"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizability::{check_model, Event, Verdict, STATE_BUDGET};

    fn e<O>(id: u64, op: O, invoke: u64, complete: Option<u64>) -> Event<O> {
        Event { id, op, invoke, complete }
    }

    #[test]
    fn kv_appends_concatenate_and_a_get_must_see_them_all() {
        let a = |s: &str| KvOp::Append(s.into());
        let g = |s: &str| KvOp::Get(s.into());
        let ok = vec![e(0, a("x"), 0, Some(10)), e(1, a("y"), 5, Some(15)), e(2, g("yx"), 20, Some(30))];
        assert_eq!(check_model(&KvKey, &ok, String::new(), STATE_BUDGET), Verdict::Linearizable);
        let lost = vec![e(0, a("x"), 0, Some(10)), e(1, a("y"), 11, Some(15)), e(2, g("y"), 20, Some(30))];
        assert!(matches!(check_model(&KvKey, &lost, String::new(), STATE_BUDGET), Verdict::NotLinearizable { .. }));
        // A crashed append may show up later, but only once.
        let crashed = vec![e(0, a("x"), 0, None), e(1, g(""), 5, Some(6)), e(2, g("x"), 20, Some(30))];
        assert_eq!(check_model(&KvKey, &crashed, String::new(), STATE_BUDGET), Verdict::Linearizable);
        let twice = vec![e(0, a("x"), 0, None), e(1, g("xx"), 20, Some(30))];
        assert!(matches!(check_model(&KvKey, &twice, String::new(), STATE_BUDGET), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn a_mutex_is_held_by_one_at_a_time() {
        use MutexOp::*;
        let ok = vec![e(0, Acquire, 0, Some(10)), e(1, Release, 20, Some(30)), e(2, Acquire, 25, Some(40))];
        assert_eq!(check_model(&Mutex, &ok, false, STATE_BUDGET), Verdict::Linearizable);
        let both = vec![e(0, Acquire, 0, Some(10)), e(1, Acquire, 20, Some(30))];
        match check_model(&Mutex, &both, false, STATE_BUDGET) {
            Verdict::NotLinearizable { explanation, .. } => assert!(explanation.contains("held"), "{explanation}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn a_transaction_reads_and_writes_several_registers_at_once() {
        let w = |k: &str, v| Micro::Write(k.into(), v);
        let r = |k: &str, v| Micro::Read(k.into(), v);
        let m = MultiRegister::default();
        let ok = vec![
            e(0, Txn(vec![w("x", 1), w("y", 1)]), 0, Some(10)),
            e(1, Txn(vec![r("x", Some(1)), r("y", Some(1))]), 20, Some(30)),
        ];
        assert_eq!(check_model(&m, &ok, BTreeMap::new(), STATE_BUDGET), Verdict::Linearizable);
        // Half a transaction seen: x new, y old, after it completed.
        let torn = vec![
            e(0, Txn(vec![w("x", 1), w("y", 1)]), 0, Some(10)),
            e(1, Txn(vec![r("x", Some(1)), r("y", None)]), 20, Some(30)),
        ];
        assert!(matches!(check_model(&m, &torn, BTreeMap::new(), STATE_BUDGET), Verdict::NotLinearizable { .. }));
        // With an initial value, a register never written reads it.
        let m0 = MultiRegister { initial: Some(0) };
        let initial = vec![e(0, Txn(vec![r("z", Some(0))]), 0, Some(1))];
        assert_eq!(check_model(&m0, &initial, BTreeMap::new(), STATE_BUDGET), Verdict::Linearizable);
    }
}
