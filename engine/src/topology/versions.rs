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
use crate::time::{human_duration, SimTime};
use crate::vocab::{KeyKind, Names};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

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
    pub fields: BTreeMap<Sym, Seen>,
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
    OrSet { adds: BTreeMap<Sym, BTreeSet<Dot>>, removed: BTreeSet<Dot> },
    /// Table rows by id.
    Table(BTreeMap<String, Row>),
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
    pub elems: BTreeSet<Sym>,
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

impl Rules {
    /// A leader's (or coordinator's) new version of a key after a local write: its existing
    /// versions merged, its own component of the vector bumped, the write applied. Returns the
    /// item, a version label and, for inserts, the id assigned. The writer's own component is at
    /// least `stamp.floor`: a writer that does not hold the key (a leaderless stand-in
    /// coordinator) passes a counter of all its writes, so two different writes never carry the
    /// same vector.
    ///
    /// The new version is built on what the writer holds, so its vector always dominates it; under
    /// the timestamp rules the writer must still `resolve` it against what it holds, because a
    /// version stamped later by another clock beats it even there (see `needs_resolve_on_write`).
    pub fn write_item(
        &self,
        existing: Option<&Item>,
        op: OpId,
        body: &Op,
        stamp: &Stamp,
        entropy: &mut Entropy,
    ) -> (Item, String, Option<String>) {
        let Stamp { me, ts, at, tag, floor } = *stamp;
        let n = self.n;
        let existing = existing.cloned();
        let mut assigned: Option<String> = None;
        let item = match body {
            Op::Write { key, value } | Op::Bulk { key, value, .. } => {
                let versions = match &existing {
                    Some(Item::Register(v)) => v.clone(),
                    _ => Vec::new(),
                };
                let mut vv = versions.iter().fold(vec![0; n], |a, v| vv_max(&a, &v.vv));
                vv[me.0 as usize] = (vv[me.0 as usize] + 1).max(floor);
                // Fields of the row as this leader sees it (siblings merged by taking the newest
                // field value), with this write's field replaced.
                let mut fields = BTreeMap::new();
                for v in &versions {
                    for (f, s) in &v.fields {
                        fields.insert(*f, *s);
                    }
                }
                fields.insert(*key, Seen { write: op, value: *value });
                Item::Register(vec![RegVersion { fields, vv, ts, origin: me, at }])
            }
            Op::Increment { by, .. } => match self.counter {
                CounterRule::Naive => {
                    let (value, mut vv, mut writes) = match &existing {
                        Some(Item::NaiveCounter(c)) => (c.value, c.vv.clone(), c.writes.clone()),
                        _ => (0, vec![0; n], Vec::new()),
                    };
                    vv[me.0 as usize] = (vv[me.0 as usize] + 1).max(floor);
                    writes.push(op);
                    Item::NaiveCounter(RegVersionNum { value: value + by, vv, ts, origin: me, writes, at })
                }
                rule => {
                    let (mut p, mut m) = match &existing {
                        Some(Item::Pn { p, n }) => (p.clone(), n.clone()),
                        _ => (vec![0; n], vec![0; n]),
                    };
                    if *by >= 0 {
                        p[me.0 as usize] += *by as u64;
                    } else if rule == CounterRule::PnCounter {
                        m[me.0 as usize] += by.unsigned_abs();
                    }
                    Item::Pn { p, n: m }
                }
            },
            Op::SetAdd { elem, .. } | Op::SetRemove { elem, .. } => {
                let add = matches!(body, Op::SetAdd { .. });
                match self.set {
                    SetRule::OrSet => {
                        let (mut adds, mut removed) = match &existing {
                            Some(Item::OrSet { adds, removed }) => (adds.clone(), removed.clone()),
                            _ => (BTreeMap::new(), BTreeSet::new()),
                        };
                        if add {
                            let counter = tag;
                            adds.entry(*elem).or_default().insert((me, counter));
                        } else if let Some(tags) = adds.remove(elem) {
                            // Remove only the adds this leader has observed.
                            removed.extend(tags);
                        }
                        Item::OrSet { adds, removed }
                    }
                    SetRule::Lww | SetRule::Union => {
                        let versions = match &existing {
                            Some(Item::SetValue(v)) => v.clone(),
                            _ => Vec::new(),
                        };
                        let mut vv = versions.iter().fold(vec![0; n], |a, v| vv_max(&a, &v.vv));
                        vv[me.0 as usize] = (vv[me.0 as usize] + 1).max(floor);
                        let mut elems: BTreeSet<Sym> = versions.iter().flat_map(|v| v.elems.iter().copied()).collect();
                        if add {
                            elems.insert(*elem);
                        } else {
                            elems.remove(elem);
                        }
                        let mut writes: Vec<OpId> = versions.iter().flat_map(|v| v.writes.iter().copied()).collect();
                        writes.push(op);
                        Item::SetValue(vec![SetVersion { elems, vv, ts, origin: me, writes, at }])
                    }
                }
            }
            Op::Insert { .. } => {
                let mut rows = match &existing {
                    Some(Item::Table(r)) => r.clone(),
                    _ => BTreeMap::new(),
                };
                let next = rows.keys().filter_map(|k| k.rsplit('-').next()?.parse::<u64>().ok()).max().unwrap_or(0) + 1;
                let id = match self.ids {
                    IdScheme::AutoIncrement => next.to_string(),
                    IdScheme::RegionPrefix => {
                        let own = rows.keys().filter(|k| k.starts_with(&format!("{me}-"))).count() as u64 + 1;
                        format!("{me}-{own:06}")
                    }
                    IdScheme::Uuid => format!("{:08x}", entropy.next_u64() as u32),
                };
                rows.insert(id.clone(), Row { write: op, origin: me, ts });
                assigned = Some(id);
                Item::Table(rows)
            }
            Op::DeleteAll | Op::Read { .. } => existing.clone().unwrap_or(Item::Register(Vec::new())),
        };
        let version = match &item {
            Item::Register(v) => v.first().map(|v| vv_label(&v.vv)).unwrap_or_default(),
            Item::NaiveCounter(c) => vv_label(&c.vv),
            Item::SetValue(v) => v.first().map(|v| vv_label(&v.vv)).unwrap_or_default(),
            Item::Pn { p, n } => format!("P{} N{}", vv_label(p), vv_label(n)),
            Item::OrSet { .. } => format!("tag {me}:{tag}"),
            Item::Table(_) => assigned.clone().map(|a| format!("id {a}")).unwrap_or_default(),
        };
        (item, version, assigned)
    }

    /// The heart of conflict handling: returns the merged item and, for concurrent versions, a
    /// record of what was compared, the rule, the winner and what was discarded.
    #[allow(clippy::too_many_arguments)]
    pub fn resolve(
        &self,
        me: NodeId,
        unit: Sym,
        local: &Item,
        incoming: &Item,
        incoming_write: OpId,
        incoming_origin: NodeId,
    ) -> (Item, Option<ConflictRecord>) {
        let record = |versions: Vec<ConflictVersion>,
                      comparison: String,
                      rule: &str,
                      result: String,
                      kept: Vec<u32>,
                      discarded: Vec<OpId>,
                      steps: Vec<String>| ConflictRecord {
            key: unit,
            node: me,
            versions,
            comparison,
            rule: rule.to_string(),
            result,
            kept,
            discarded,
            steps,
            overwrite: true,
        };
        match (local, incoming) {
            (Item::Register(lv), Item::Register(iv)) if self.register.timestamps_alone() => {
                self.registers_by_timestamp(me, unit, lv, iv)
            }
            (Item::Register(lv), Item::Register(iv)) => {
                // Drop incoming versions already covered, and local versions the incoming covers.
                let mut out: Vec<RegVersion> = Vec::new();
                let mut concurrent_pairs = Vec::new();
                for i in iv {
                    if lv.iter().any(|l| matches!(compare(&i.vv, &l.vv), Order::Before | Order::Equal)) {
                        continue; // old news
                    }
                    out.push(i.clone());
                }
                if out.is_empty() {
                    return (local.clone(), None);
                }
                let mut survivors_local: Vec<RegVersion> = Vec::new();
                for l in lv {
                    if out.iter().any(|i| compare(&l.vv, &i.vv) == Order::Before) {
                        continue; // superseded
                    }
                    for i in &out {
                        if compare(&l.vv, &i.vv) == Order::Concurrent {
                            concurrent_pairs.push((vv_label(&l.vv), vv_label(&i.vv)));
                        }
                    }
                    survivors_local.push(l.clone());
                }
                if concurrent_pairs.is_empty() {
                    return (Item::Register(out), None);
                }
                let mut all: Vec<RegVersion> = survivors_local.clone();
                all.extend(out.iter().cloned());
                let versions: Vec<ConflictVersion> = all
                    .iter()
                    .map(|v| ConflictVersion {
                        write: v.fields.values().map(|s| s.write).max(),
                        label: reg_label(v),
                        vector: v.vv.clone(),
                        timestamp: v.ts,
                        origin: v.origin,
                        written_at: Some(v.at),
                    })
                    .collect();
                let comparison = concurrent_pairs
                    .iter()
                    .map(|(a, b)| format!("{a} vs {b}: concurrent"))
                    .collect::<Vec<_>>()
                    .join("; ");
                match self.register {
                    RegisterRule::Siblings => {
                        let kept = (0..all.len() as u32).collect();
                        let result = format!("{} siblings kept", all.len());
                        let r = record(
                            versions,
                            comparison,
                            "keep siblings (multi-value register)",
                            result,
                            kept,
                            Vec::new(),
                            Vec::new(),
                        );
                        (Item::Register(all), Some(r))
                    }
                    _ => {
                        // Causal LWW: only concurrent versions get here. Winner: the latest
                        // timestamp, ties to the higher node id, so every replica picks the same.
                        let mut winner = 0;
                        for (i, v) in all.iter().enumerate().skip(1) {
                            let w = &all[winner];
                            let better = (v.ts, v.origin) > (w.ts, w.origin);
                            if better {
                                winner = i;
                            }
                        }
                        let mut merged = all[winner].clone();
                        merged.vv = all.iter().fold(vec![0; self.n], |a, v| vv_max(&a, &v.vv));
                        let kept_writes: BTreeSet<OpId> = merged.fields.values().map(|s| s.write).collect();
                        let discarded: Vec<OpId> = all
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i != winner)
                            .flat_map(|(_, v)| v.fields.values().map(|s| s.write))
                            .filter(|w| !kept_writes.contains(w))
                            .collect::<BTreeSet<_>>()
                            .into_iter()
                            .collect();
                        let steps = all.iter().map(|v| stamp_step(&reg_label(v), v.origin, v.at, v.ts)).collect();
                        let rule_text =
                            "version vectors found them concurrent; last write wins settles it: latest timestamp, ties to the higher node id";
                        let result = format!("{} wins", reg_label(&all[winner]));
                        let r = record(versions, comparison, rule_text, result, vec![winner as u32], discarded, steps);
                        (Item::Register(vec![merged]), Some(r))
                    }
                }
            }
            (Item::NaiveCounter(l), Item::NaiveCounter(i)) => {
                let rule =
                    "naive counter: the number is a register, the higher timestamp wins (ties to the higher node id)";
                let (merged, record) = self.stamped_by_timestamp(me, unit, l, i, |v| v.value.to_string(), rule);
                (Item::NaiveCounter(merged), record)
            }
            (Item::Pn { p: lp, n: ln }, Item::Pn { p: ip, n: inn }) => {
                let p = vv_max(lp, ip);
                let n = vv_max(ln, inn);
                let concurrent = compare(lp, ip) == Order::Concurrent || compare(ln, inn) == Order::Concurrent;
                let merged = Item::Pn { p: p.clone(), n: n.clone() };
                if !concurrent {
                    return (merged, None);
                }
                let total = |p: &[u64], n: &[u64]| p.iter().sum::<u64>() as i64 - n.iter().sum::<u64>() as i64;
                let mut steps: Vec<String> = (0..p.len())
                    .map(|k| {
                        format!("n{}: max({}, {}) = {}", k + 1, lp.get(k).unwrap_or(&0), ip.get(k).unwrap_or(&0), p[k])
                    })
                    .collect();
                if n.iter().any(|x| *x > 0) {
                    steps.push(format!("decrements: max per leader = {}", vv_label(&n)));
                }
                steps.push(format!(
                    "value = {} = {}",
                    p.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" + "),
                    total(&p, &n)
                ));
                let rule = if self.counter == CounterRule::GCounter {
                    "G-counter merge: max per leader, then sum"
                } else {
                    "PN-counter merge: max per leader for increments and decrements"
                };
                let r = record(
                    vec![
                        ConflictVersion {
                            write: None,
                            label: total(lp, ln).to_string(),
                            vector: lp.clone(),
                            timestamp: 0,
                            origin: me,
                            written_at: None,
                        },
                        ConflictVersion {
                            write: Some(incoming_write),
                            label: total(ip, inn).to_string(),
                            vector: ip.clone(),
                            timestamp: 0,
                            origin: incoming_origin,
                            written_at: None,
                        },
                    ],
                    format!("{} vs {}: concurrent", vv_label(lp), vv_label(ip)),
                    rule,
                    format!("{} (no increment lost)", total(&p, &n)),
                    vec![0, 1],
                    Vec::new(),
                    steps,
                );
                (merged, Some(r))
            }
            (Item::SetValue(lv), Item::SetValue(iv)) => {
                let l = &lv[0];
                let i = &iv[0];
                if l == i {
                    return (local.clone(), None);
                }
                let label = |s: &SetVersion| set_label(s.elems.iter(), &self.names);
                if self.set == SetRule::Union {
                    // The application merge: causally ordered versions replace one another;
                    // concurrent ones are united.
                    match compare(&i.vv, &l.vv) {
                        Order::Before | Order::Equal => return (local.clone(), None),
                        Order::After => return (incoming.clone(), None),
                        Order::Concurrent => {}
                    }
                    let vv = vv_max(&l.vv, &i.vv);
                    let versions: Vec<ConflictVersion> = [l, i]
                        .iter()
                        .map(|v| ConflictVersion {
                            write: v.writes.last().copied(),
                            label: label(v),
                            vector: v.vv.clone(),
                            timestamp: v.ts,
                            origin: v.origin,
                            written_at: Some(v.at),
                        })
                        .collect();
                    let comparison = format!("{} vs {}: concurrent", vv_label(&l.vv), vv_label(&i.vv));
                    let elems: BTreeSet<Sym> = l.elems.union(&i.elems).copied().collect();
                    let mut writes = l.writes.clone();
                    writes.extend(i.writes.iter().filter(|w| !l.writes.contains(w)));
                    let merged = SetVersion {
                        elems: elems.clone(),
                        vv,
                        ts: l.ts.max(i.ts),
                        origin: me,
                        writes,
                        at: l.at.max(i.at),
                    };
                    let r = record(
                        versions,
                        comparison,
                        "application merge: union of both carts",
                        "union of both (items removed on one side come back)".into(),
                        vec![0, 1],
                        Vec::new(),
                        vec![format!("{} ∪ {}", label(l), label(i))],
                    );
                    return (Item::SetValue(vec![merged]), Some(r));
                }
                let rule = "last write wins on the whole set: the higher timestamp wins (ties to the higher node id)";
                let (merged, record) = self.stamped_by_timestamp(me, unit, l, i, label, rule);
                (Item::SetValue(vec![merged]), record)
            }
            (Item::OrSet { adds: la, removed: lr }, Item::OrSet { adds: ia, removed: ir }) => {
                let removed: BTreeSet<Dot> = lr.union(ir).copied().collect();
                let mut adds: BTreeMap<Sym, BTreeSet<Dot>> = BTreeMap::new();
                for (e, tags) in la.iter().chain(ia.iter()) {
                    let live: BTreeSet<Dot> = tags.iter().filter(|t| !removed.contains(t)).copied().collect();
                    if !live.is_empty() {
                        adds.entry(*e).or_default().extend(live);
                    }
                }
                // Concurrent if each side knows a tag the other does not.
                let tags = |a: &BTreeMap<Sym, BTreeSet<Dot>>, r: &BTreeSet<Dot>| -> BTreeSet<Dot> {
                    a.values().flatten().copied().chain(r.iter().copied()).collect()
                };
                let lt = tags(la, lr);
                let it = tags(ia, ir);
                let concurrent = !lt.is_subset(&it) && !it.is_subset(&lt);
                let merged = Item::OrSet { adds: adds.clone(), removed: removed.clone() };
                if !concurrent {
                    return (merged, None);
                }
                let label = |a: &BTreeMap<Sym, BTreeSet<Dot>>| set_label(a.keys(), &self.names);
                let mut steps = Vec::new();
                for (e, t) in la.iter().chain(ia.iter()) {
                    for tag in t {
                        let fate = if removed.contains(tag) { "removed" } else { "kept" };
                        steps.push(format!("{} tagged {}:{} → {fate}", self.names.get(*e), tag.0, tag.1));
                    }
                }
                crate::sort::sort(&mut steps);
                steps.dedup();
                let r = record(
                    vec![
                        ConflictVersion {
                            write: None,
                            label: label(la),
                            vector: Vec::new(),
                            timestamp: 0,
                            origin: me,
                            written_at: None,
                        },
                        ConflictVersion {
                            write: Some(incoming_write),
                            label: label(ia),
                            vector: Vec::new(),
                            timestamp: 0,
                            origin: incoming_origin,
                            written_at: None,
                        },
                    ],
                    "each side holds tags the other has not seen: concurrent".into(),
                    "OR-set merge: an element stays if any add tag of it was not removed",
                    format!("{} (adds win over removes they did not see)", label(&adds)),
                    vec![0, 1],
                    Vec::new(),
                    steps,
                );
                (merged, Some(r))
            }
            (Item::Table(lr), Item::Table(ir)) => {
                let mut rows = lr.clone();
                let mut record_out = None;
                for (id, row) in ir {
                    match rows.get(id) {
                        Some(existing) if existing.write != row.write => {
                            let win_incoming = (row.ts, row.origin) > (existing.ts, existing.origin);
                            let (w, lose) = if win_incoming { (row, existing) } else { (existing, row) };
                            let versions = [existing, row]
                                .iter()
                                .map(|r| ConflictVersion {
                                    write: Some(r.write),
                                    label: format!("row {id} from {}", r.origin),
                                    vector: Vec::new(),
                                    timestamp: r.ts,
                                    origin: r.origin,
                                    written_at: None,
                                })
                                .collect();
                            let mut r = record(
                                versions,
                                format!("two different rows were given id {id}"),
                                "duplicate primary key: last write wins",
                                format!("the row from {} keeps id {id}", w.origin),
                                vec![if win_incoming { 1 } else { 0 }],
                                vec![lose.write],
                                vec![format!(
                                    "{} and {} both numbered their next row {id}",
                                    existing.origin, row.origin
                                )],
                            );
                            r.overwrite = false;
                            record_out = Some(r);
                            rows.insert(id.clone(), w.clone());
                        }
                        Some(_) => {}
                        None => {
                            rows.insert(id.clone(), row.clone());
                        }
                    }
                }
                (Item::Table(rows), record_out)
            }
            // Kinds never mix on one key (the scenario checks); keep the newer arrival if they do.
            _ => (incoming.clone(), None),
        }
    }

    /// Whether a writer must settle its own new version against what it holds: under the
    /// timestamp rules a version it holds, stamped later by a faster clock, beats the new write
    /// even on the node that accepted it.
    pub fn needs_resolve_on_write(&self, body: &Op) -> bool {
        match body {
            Op::Write { .. } | Op::Bulk { .. } => self.register.timestamps_alone(),
            Op::Increment { .. } => self.counter == CounterRule::Naive,
            Op::SetAdd { .. } | Op::SetRemove { .. } => self.set == SetRule::Lww,
            _ => false,
        }
    }

    /// A naive counter or a whole set under last write wins (ties to the higher node id): the
    /// version with the higher timestamp stays, with both vectors merged into it.
    fn stamped_by_timestamp<V: Stamped>(
        &self,
        me: NodeId,
        unit: Sym,
        stored: &V,
        incoming: &V,
        label: impl Fn(&V) -> String,
        rule: &str,
    ) -> (V, Option<ConflictRecord>) {
        if stored == incoming {
            return (stored.clone(), None);
        }
        let cand = |v: &V| Candidate {
            label: label(v),
            vector: v.vector().to_vec(),
            ts: v.stamp().0,
            origin: v.stamp().1,
            at: v.stamp().2,
            writes: v.writes().to_vec(),
        };
        let (incoming_wins, record) = self.by_timestamp(me, unit, cand(stored), cand(incoming), Tie::NodeId, rule);
        let vv = vv_max(stored.vector(), incoming.vector());
        let mut merged = if incoming_wins { incoming.clone() } else { stored.clone() };
        merged.set_vector(vv);
        (merged, record)
    }

    /// Registers under `lww` / `lww_node_id`: the higher timestamp wins, whatever the causal order.
    fn registers_by_timestamp(
        &self,
        me: NodeId,
        unit: Sym,
        lv: &[RegVersion],
        iv: &[RegVersion],
    ) -> (Item, Option<ConflictRecord>) {
        let best = |v: &[RegVersion]| v.iter().max_by_key(|x| (x.ts, x.origin)).cloned();
        let (Some(l), Some(i)) = (best(lv), best(iv)) else {
            let keep = if lv.is_empty() { iv } else { lv };
            return (Item::Register(keep.to_vec()), None);
        };
        if l.fields == i.fields && l.ts == i.ts && l.origin == i.origin {
            // The same version, perhaps known with more causal history on one side.
            let mut same = l;
            same.vv = vv_max(&same.vv, &i.vv);
            return (Item::Register(vec![same]), None);
        }
        let cand = |v: &RegVersion| Candidate {
            label: self.reg_text(v),
            vector: v.vv.clone(),
            ts: v.ts,
            origin: v.origin,
            at: v.at,
            writes: v.fields.values().map(|s| s.write).collect(),
        };
        let (tie, rule) = if self.register == RegisterRule::LwwNodeId {
            (Tie::NodeId, "last write wins on timestamps alone: the higher timestamp stays, ties to the higher node id")
        } else {
            (Tie::KeepStored, "last write wins on timestamps alone: the higher timestamp stays, a tie keeps the version already stored")
        };
        let (incoming_wins, record) = self.by_timestamp(me, unit, cand(&l), cand(&i), tie, rule);
        let vv = vv_max(&l.vv, &i.vv);
        let mut merged = if incoming_wins { i } else { l };
        merged.vv = vv;
        (Item::Register(vec![merged]), record)
    }

    /// Settles two versions by their timestamps alone. The vectors only decide whether the verdict
    /// needs telling: a newer timestamp replacing a version it causally follows is ordinary
    /// progress; anything else (concurrent versions, or a later write losing to an earlier one
    /// stamped by a faster clock) is recorded, with the writes it threw away.
    fn by_timestamp(
        &self,
        me: NodeId,
        unit: Sym,
        stored: Candidate,
        incoming: Candidate,
        tie: Tie,
        rule: &str,
    ) -> (bool, Option<ConflictRecord>) {
        let incoming_wins = incoming.ts > stored.ts
            || (incoming.ts == stored.ts && tie == Tie::NodeId && incoming.origin > stored.origin);
        let order = compare(&incoming.vector, &stored.vector);
        let agrees = match order {
            Order::After => incoming_wins,
            Order::Before => !incoming_wins,
            Order::Equal | Order::Concurrent => false,
        };
        if agrees {
            return (incoming_wins, None);
        }
        let (winner, loser) = if incoming_wins { (&incoming, &stored) } else { (&stored, &incoming) };
        let discarded: Vec<OpId> = loser
            .writes
            .iter()
            .filter(|w| !winner.writes.contains(w))
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (a, b) = (vv_label(&stored.vector), vv_label(&incoming.vector));
        let comparison = match order {
            Order::After => format!("{a} vs {b}: the arriving version was written after the stored one"),
            Order::Before => format!("{a} vs {b}: the stored version was written after the arriving one"),
            Order::Equal | Order::Concurrent => format!("{a} vs {b}: concurrent"),
        };
        let mut steps = vec![
            stamp_step(&stored.label, stored.origin, stored.at, stored.ts),
            stamp_step(&incoming.label, incoming.origin, incoming.at, incoming.ts),
        ];
        if matches!(order, Order::After | Order::Before) {
            steps.push(format!(
                "{} was written after {} (its writer had seen it), yet its timestamp is not higher: last write wins keeps the earlier write and throws the later one away",
                loser.label, winner.label
            ));
            let error = |c: &Candidate| c.ts as i64 - c.at as i64;
            let behind = error(winner) - error(loser);
            if behind >= 1_000 {
                steps.push(format!(
                    "{}'s clock was {} behind {}'s",
                    loser.origin,
                    human_duration(behind as u64),
                    winner.origin
                ));
            }
        } else if winner.ts == loser.ts {
            steps.push(format!(
                "both carry timestamp {}: a tie, and {}",
                ts_label(winner.ts),
                match tie {
                    Tie::KeepStored => "the replica keeps the version it had",
                    Tie::NodeId => "the higher node id wins",
                }
            ));
        }
        let version = |c: &Candidate| ConflictVersion {
            write: c.writes.iter().max().copied(),
            label: c.label.clone(),
            vector: c.vector.clone(),
            timestamp: c.ts,
            origin: c.origin,
            written_at: Some(c.at),
        };
        let record = ConflictRecord {
            key: unit,
            node: me,
            versions: vec![version(&stored), version(&incoming)],
            comparison,
            rule: rule.to_string(),
            result: format!("{} wins", winner.label),
            kept: vec![u32::from(incoming_wins)],
            discarded,
            steps,
            overwrite: true,
        };
        (incoming_wins, Some(record))
    }

    /// "x = 3", or "profile.name = 1, profile.email = 2" for a row.
    fn reg_text(&self, v: &RegVersion) -> String {
        v.fields.iter().map(|(k, s)| format!("{} = {}", self.names.get(*k), s.value)).collect::<Vec<_>>().join(", ")
    }

    pub fn item_label(&self, item: &Item, names: &Names) -> String {
        match item {
            Item::Register(v) => {
                let parts: Vec<String> = v
                    .iter()
                    .map(|r| {
                        if r.fields.len() == 1 {
                            r.fields.values().next().map(|s| s.value.to_string()).unwrap_or_default()
                        } else {
                            r.fields
                                .iter()
                                .map(|(f, s)| format!("{}={}", field_name(names.get(*f)), s.value))
                                .collect::<Vec<_>>()
                                .join(" ")
                        }
                    })
                    .collect();
                parts.join(" | ")
            }
            Item::NaiveCounter(c) => c.value.to_string(),
            Item::Pn { p, n } => (p.iter().sum::<u64>() as i64 - n.iter().sum::<u64>() as i64).to_string(),
            Item::SetValue(v) => {
                set_label(v.iter().flat_map(|s| s.elems.iter().copied()).collect::<BTreeSet<_>>().iter(), names)
            }
            Item::OrSet { adds, .. } => set_label(adds.keys(), names),
            Item::Table(rows) => format!("ids {}", rows.keys().cloned().collect::<Vec<_>>().join(", ")),
        }
    }
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
        Some(Item::SetValue(v)) => ReadValue::Set(
            v.iter().flat_map(|s| s.elems.iter().copied()).collect::<BTreeSet<_>>().into_iter().collect(),
        ),
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
        Item::SetValue(v) => {
            stable_hash(&(2u8, v.iter().flat_map(|s| s.elems.iter().copied()).collect::<BTreeSet<_>>()))
        }
        Item::OrSet { adds, .. } => stable_hash(&(2u8, adds.keys().copied().collect::<BTreeSet<_>>())),
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
