//! Versions, version vectors and conflict resolution, shared by the multi-leader and leaderless
//! topologies. Everything here is a pure function of its inputs, so it is tested directly
//! (including the CRDT laws) without a simulation.
//!
//! Two families of rules decide which version of a value a replica keeps:
//!
//! * **Timestamps alone** — `lww` and `lww_node_id` for registers, `lww` for whole sets, and the
//!   naive counter. Every version carries the physical timestamp its writer stamped from its own
//!   (possibly skewed) clock, and the higher timestamp wins *whatever the real order of the
//!   writes*. This is what Cassandra, DynamoDB global tables and multi-source setups without
//!   vectors do: a write that really came later but was stamped by a slower clock is silently
//!   thrown away, even on the node that acknowledged it.
//! * **Causality first** — `siblings` and `causal_lww`: version vectors decide whether one version
//!   happened after the other (it then simply replaces it); only versions that are concurrent are
//!   a conflict, kept as siblings or settled by timestamp (Riak with `allow_mult = false`).
//!
//! Version vectors are kept under every rule — as bookkeeping, so that the explanation of a
//! last-write-wins verdict can say whether the write it threw away was concurrent or really came
//! later — but under the timestamp rules they never decide anything.

use crate::annotate::{ConflictRecord, ConflictVersion};
use crate::model::{NodeId, Op, OpId, ReadValue, Seen, Sym};
use crate::rng::Entropy;
use crate::sorted::{VecMap, VecSet};
use crate::time::{human_duration, SimTime};
use crate::vocab::{KeyKind, Names};
use serde::{Deserialize, Serialize};

mod resolve;
mod write;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterRule {
    /// Timestamps alone; on a tie a replica keeps the version it has.
    Lww,
    /// Timestamps alone; ties go to the higher node id (the LWW-register CRDT).
    LwwNodeId,
    /// Version vectors detect concurrency; concurrent versions are settled by timestamp, ties to
    /// the higher node id (Riak with `allow_mult = false`).
    CausalLww,
    /// Version vectors detect concurrency; concurrent versions are all kept (siblings).
    Siblings,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterRule {
    Naive,
    GCounter,
    PnCounter,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetRule {
    Lww,
    Union,
    OrSet,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdScheme {
    AutoIncrement,
    RegionPrefix,
    Uuid,
}

crate::scalar_enum!(RegisterRule: Lww, LwwNodeId, CausalLww, Siblings);
crate::scalar_enum!(CounterRule: Naive, GCounter, PnCounter);
crate::scalar_enum!(SetRule: Lww, Union, OrSet);
crate::scalar_enum!(IdScheme: AutoIncrement, RegionPrefix, Uuid);

impl RegisterRule {
    pub fn label(self) -> &'static str {
        match self {
            RegisterRule::Lww => "last write wins (timestamps alone)",
            RegisterRule::LwwNodeId => "last write wins (timestamps alone, ties by node id)",
            RegisterRule::CausalLww => "version vectors, then last write wins",
            RegisterRule::Siblings => "keep siblings",
        }
    }

    /// Whether physical timestamps alone decide, whatever the causal order.
    pub fn timestamps_alone(self) -> bool {
        matches!(self, RegisterRule::Lww | RegisterRule::LwwNodeId)
    }
}

/// Who writes a new version, and the stamps it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub me: NodeId,
    /// The writer's physical timestamp (its own clock), microseconds.
    pub ts: u64,
    /// True time of the write: kept for explanations, never used to decide anything.
    pub at: SimTime,
    /// Unique per writer: names OR-set add tags.
    pub tag: u64,
    /// The writer's own vector component is at least this (see `write_item`).
    pub floor: u64,
}

/// A single stamped version of a whole value (a naive counter, a whole set).
trait Stamped: Clone + PartialEq {
    fn vector(&self) -> &[u64];
    fn set_vector(&mut self, vv: Vv);
    /// (timestamp, origin, true time of the write)
    fn stamp(&self) -> (u64, NodeId, SimTime);
    fn writes(&self) -> &[OpId];
}

/// Both whole-value versions keep their stamps in fields of the same names.
macro_rules! stamped {
    ($($t:ty),*) => {$(
        impl Stamped for $t {
            fn vector(&self) -> &[u64] {
                &self.vv
            }
            fn set_vector(&mut self, vv: Vv) {
                self.vv = vv;
            }
            fn stamp(&self) -> (u64, NodeId, SimTime) {
                (self.ts, self.origin, self.at)
            }
            fn writes(&self) -> &[OpId] {
                &self.writes
            }
        }
    )*};
}
stamped!(RegVersionNum, SetVersion);

/// One side of a timestamp comparison.
struct Candidate {
    label: String,
    vector: Vv,
    ts: u64,
    origin: NodeId,
    at: SimTime,
    /// Writes whose effect this version carries.
    writes: Vec<OpId>,
}

/// What a timestamp tie means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tie {
    /// The replica keeps the version it already has (replicas may then disagree forever).
    KeepStored,
    /// The higher node id wins (every replica picks the same).
    NodeId,
}

/// The conflict rules of a run, and what they need to know.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    pub register: RegisterRule,
    pub counter: CounterRule,
    pub set: SetRule,
    pub ids: IdScheme,
    /// Number of writers (components of every vector).
    pub n: usize,
    pub names: Names,
}

/// A version vector: one counter per leader.
pub type Vv = Vec<u64>;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Order {
    Equal,
    Before,
    After,
    Concurrent,
}

/// Compares two version vectors component by component.
pub fn compare(a: &[u64], b: &[u64]) -> Order {
    let (mut less, mut more) = (false, false);
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).copied().unwrap_or(0), b.get(i).copied().unwrap_or(0));
        less |= x < y;
        more |= x > y;
    }
    match (less, more) {
        (false, false) => Order::Equal,
        (true, false) => Order::Before,
        (false, true) => Order::After,
        (true, true) => Order::Concurrent,
    }
}

pub fn vv_max(a: &[u64], b: &[u64]) -> Vv {
    (0..a.len().max(b.len())).map(|i| a.get(i).copied().unwrap_or(0).max(b.get(i).copied().unwrap_or(0))).collect()
}

pub fn vv_label(v: &[u64]) -> String {
    // Written by hand: this runs for every write, and `format!` costs ten times as much.
    let mut s = String::with_capacity(2 + v.len() * 3);
    s.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        push_u64(&mut s, *x);
    }
    s.push(']');
    s
}

pub fn push_u64(s: &mut String, mut x: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    s.push_str(std::str::from_utf8(&buf[i..]).unwrap_or(""));
}

/// One version of a register row: its fields, where and when it was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegVersion {
    pub fields: VecMap<Sym, Seen>,
    pub vv: Vv,
    pub ts: u64,
    pub origin: NodeId,
    /// True time of the write (for explanations only).
    pub at: SimTime,
}

/// An element tag of an OR-set: which leader added it, and its count there.
pub type Dot = (NodeId, u64);

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Item {
    /// Register versions (several only while siblings are kept).
    Register(Vec<RegVersion>),
    /// Naive counter: a number under last-write-wins.
    NaiveCounter(RegVersionNum),
    /// Grow-only / positive-negative counter: per-leader increments and decrements.
    Pn { p: Vec<u64>, n: Vec<u64> },
    /// Whole-set value under LWW or union merge.
    SetValue(Vec<SetVersion>),
    /// Observed-remove set: live add tags and removed tags.
    OrSet { adds: VecMap<Sym, VecSet<Dot>>, removed: VecSet<Dot> },
    /// Table rows by id.
    Table(VecMap<String, Row>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegVersionNum {
    pub value: i64,
    pub vv: Vv,
    pub ts: u64,
    pub origin: NodeId,
    pub writes: Vec<OpId>,
    /// True time of the latest write (for explanations only).
    pub at: SimTime,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetVersion {
    pub elems: VecSet<Sym>,
    pub vv: Vv,
    pub ts: u64,
    pub origin: NodeId,
    pub writes: Vec<OpId>,
    /// True time of the latest write (for explanations only).
    pub at: SimTime,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Row {
    pub write: OpId,
    pub origin: NodeId,
    pub ts: u64,
}

/// What a read of `key` returns from `item` (the key's unit), given the key's kind.
pub fn read_item(item: Option<&Item>, key: Sym, kind: KeyKind) -> ReadValue {
    match item {
        None => match kind {
            KeyKind::Counter => ReadValue::Counter(0),
            KeyKind::Set => ReadValue::Set(Vec::new()),
            KeyKind::Table => ReadValue::Rows(Vec::new()),
            KeyKind::Register => ReadValue::Register(Vec::new()),
        },
        Some(Item::Register(v)) => {
            let mut seen: Vec<Seen> = v.iter().filter_map(|r| r.fields.get(&key).copied()).collect();
            crate::sort::sort(&mut seen);
            seen.dedup();
            ReadValue::Register(seen)
        }
        Some(Item::NaiveCounter(c)) => ReadValue::Counter(c.value),
        Some(Item::Pn { p, n }) => ReadValue::Counter(p.iter().sum::<u64>() as i64 - n.iter().sum::<u64>() as i64),
        Some(Item::SetValue(v)) => {
            ReadValue::Set(crate::sort::set_of(v.iter().flat_map(|s| s.elems.iter().copied())).into_iter().collect())
        }
        Some(Item::OrSet { adds, .. }) => ReadValue::Set(adds.keys().copied().collect()),
        Some(Item::Table(rows)) => ReadValue::Rows(rows.keys().cloned().collect()),
    }
}

pub fn field_name(full: &str) -> &str {
    full.split_once('.').map(|(_, f)| f).unwrap_or(full)
}

pub fn set_label<'a>(it: impl Iterator<Item = &'a Sym>, names: &Names) -> String {
    format!("{{{}}}", it.map(|e| names.get(*e).to_string()).collect::<Vec<_>>().join(", "))
}

pub fn reg_label(v: &RegVersion) -> String {
    v.fields.values().map(|s| s.value.to_string()).collect::<Vec<_>>().join(",")
}

/// "x = 2 from n1: written at 3.210 s, stamped 2.710 s by n1's clock (500 ms slow)".
pub fn stamp_step(label: &str, origin: NodeId, at: SimTime, ts: u64) -> String {
    let error = ts as i64 - at as i64;
    let off = if error.unsigned_abs() < 1_000 {
        String::new()
    } else if error > 0 {
        format!(" ({} fast)", human_duration(error.unsigned_abs()))
    } else {
        format!(" ({} slow)", human_duration(error.unsigned_abs()))
    };
    format!("{label} from {origin}: written at {}, stamped {} by {origin}'s clock{off}", ts_label(at), ts_label(ts))
}

pub fn ts_label(ts: u64) -> String {
    format!("{:.3} s", ts as f64 / 1e6)
}

/// A digest of what a reader can observe of an item, ignoring bookkeeping (for convergence
/// checks and Merkle trees): equal digests mean a read would return the same thing.
pub fn canonical(item: &Item) -> u64 {
    use crate::rng::stable_hash;
    match item {
        Item::Register(v) => {
            let mut vals: Vec<Vec<(Sym, Seen)>> =
                v.iter().map(|r| r.fields.iter().map(|(k, s)| (*k, *s)).collect()).collect();
            crate::sort::sort(&mut vals);
            stable_hash(&(0u8, vals))
        }
        Item::NaiveCounter(c) => stable_hash(&(1u8, c.value)),
        Item::Pn { p, n } => stable_hash(&(1u8, p.iter().sum::<u64>() as i64 - n.iter().sum::<u64>() as i64)),
        Item::SetValue(v) => stable_hash(&(2u8, crate::sort::set_of(v.iter().flat_map(|s| s.elems.iter().copied())))),
        Item::OrSet { adds, .. } => stable_hash(&(2u8, crate::sort::set_of(adds.keys().copied()))),
        Item::Table(rows) => stable_hash(&(3u8, rows.iter().map(|(k, r)| (k.clone(), r.write)).collect::<Vec<_>>())),
    }
}

/// Every write whose effect an item still shows (for lost-write accounting). CRDT counters and
/// OR-sets merge without losing anything, so they name none.
pub fn item_writes(item: &Item) -> Vec<OpId> {
    match item {
        Item::Register(v) => v.iter().flat_map(|r| r.fields.values().map(|s| s.write)).collect(),
        Item::NaiveCounter(c) => c.writes.clone(),
        Item::SetValue(v) => v.iter().flat_map(|s| s.writes.iter().copied()).collect(),
        Item::Table(rows) => rows.values().map(|r| r.write).collect(),
        Item::Pn { .. } | Item::OrSet { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_vectors_compare() {
        assert_eq!(compare(&[1, 0], &[1, 0]), Order::Equal);
        assert_eq!(compare(&[1, 0], &[1, 1]), Order::Before);
        assert_eq!(compare(&[2, 1], &[1, 1]), Order::After);
        assert_eq!(compare(&[2, 0], &[1, 1]), Order::Concurrent);
    }
}
