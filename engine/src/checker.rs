//! The consistency checker: finds anomalies in a run's history, names them, and explains each in
//! a sentence tied to the lesson it illustrates.
//!
//! Everything here reasons from the *history* (what clients invoked, when, and what they got
//! back) plus a few facts the run recorded (writes thrown away, leaders' epochs, replicas
//! diverged). Orders between writes are real-time orders: write A is older than write B when A
//! was acknowledged before B was invoked. That is conservative — writes that overlapped in time
//! are never called older than one another — so every anomaly reported is real.
//!
//! Register histories (read/write/compare-and-set) are also checked for linearizability by
//! [`crate::linearizability`].

use crate::annotate::Annotation;
use crate::model::{ClientId, NodeId, Op, OpId, OpRecord, OpResult, ReadValue, Sym};
use crate::scenario::Names;
use crate::time::{human_duration, SimTime};
use crate::trace::{History, Noted, Sample, Trace};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    StaleRead,
    ReadYourWrites,
    MonotonicReads,
    MonotonicWrites,
    ConsistentPrefix,
    LostWrite,
    SplitBrain,
    Divergence,
    NotLinearizable,
}

impl AnomalyKind {
    pub const ALL: [AnomalyKind; 9] = [
        AnomalyKind::StaleRead,
        AnomalyKind::ReadYourWrites,
        AnomalyKind::MonotonicReads,
        AnomalyKind::MonotonicWrites,
        AnomalyKind::ConsistentPrefix,
        AnomalyKind::LostWrite,
        AnomalyKind::SplitBrain,
        AnomalyKind::Divergence,
        AnomalyKind::NotLinearizable,
    ];

    pub fn title(self) -> &'static str {
        match self {
            AnomalyKind::StaleRead => "Stale read",
            AnomalyKind::ReadYourWrites => "Read-your-writes violation",
            AnomalyKind::MonotonicReads => "Monotonic-reads violation",
            AnomalyKind::MonotonicWrites => "Monotonic-writes violation",
            AnomalyKind::ConsistentPrefix => "Consistent-prefix violation",
            AnomalyKind::LostWrite => "Lost acknowledged write",
            AnomalyKind::SplitBrain => "Split-brain writes",
            AnomalyKind::Divergence => "Replicas diverged",
            AnomalyKind::NotLinearizable => "Not linearizable",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AnomalyKind::StaleRead => "stale_read",
            AnomalyKind::ReadYourWrites => "read_your_writes",
            AnomalyKind::MonotonicReads => "monotonic_reads",
            AnomalyKind::MonotonicWrites => "monotonic_writes",
            AnomalyKind::ConsistentPrefix => "consistent_prefix",
            AnomalyKind::LostWrite => "lost_write",
            AnomalyKind::SplitBrain => "split_brain",
            AnomalyKind::Divergence => "divergence",
            AnomalyKind::NotLinearizable => "not_linearizable",
        }
    }

    /// What the lessons say to do about it.
    pub fn lesson(self) -> &'static str {
        match self {
            AnomalyKind::StaleRead => "Replication lag: a follower or replica answered before it had the latest write. Decide how stale each read may be, or read from the leader or a quorum that overlaps the writes.",
            AnomalyKind::ReadYourWrites => "Route a user's reads to the leader for a while after they write, or pass the write's log position and let a follower answer only once it has caught up.",
            AnomalyKind::MonotonicReads => "Pin each user's reads to one replica (sticky sessions), so they never move to a replica further behind.",
            AnomalyKind::MonotonicWrites => "Writes from one session must take effect in the order they were made; last-write-wins across leaders with skewed clocks breaks that.",
            AnomalyKind::ConsistentPrefix => "Causally related writes must be seen in order: read causally related data from one replica, or deliver changes only after what they depend on.",
            AnomalyKind::LostWrite => "Acknowledged is not durable everywhere: use synchronous or semi-synchronous replication, promote the most up-to-date follower, or merge conflicts instead of discarding.",
            AnomalyKind::SplitBrain => "Two leaders at once: fence the old leader with an epoch token the storage checks, use leases, or elect leaders by majority vote.",
            AnomalyKind::Divergence => "Replicas that disagree stay that way unless something repairs them: a deterministic tie-break, read repair, or anti-entropy.",
            AnomalyKind::NotLinearizable => "No single order of the operations explains what clients saw. Quorum overlap (W + R > N) is not enough; linearizable reads need consensus or read repair before answering.",
        }
    }

    /// Whether the anomaly is a read that returned stale data (for the stale-read rate).
    pub fn is_stale_read(self) -> bool {
        matches!(
            self,
            AnomalyKind::StaleRead
                | AnomalyKind::ReadYourWrites
                | AnomalyKind::MonotonicReads
                | AnomalyKind::ConsistentPrefix
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    /// When it became visible (the completion of the read that saw it, the discard, the end).
    pub time: SimTime,
    pub ops: Vec<OpId>,
    pub nodes: Vec<NodeId>,
    /// Messages of the operations involved, for highlighting.
    pub messages: Vec<u64>,
    /// One sentence a student understands.
    pub explanation: String,
    /// Other definitions the same observation also violates (a read that went back in time may
    /// also be older than the latest acknowledged write).
    pub also: Vec<AnomalyKind>,
}

impl Anomaly {
    /// Whether this anomaly is, or also is, of `kind`.
    pub fn is(&self, kind: AnomalyKind) -> bool {
        self.kind == kind || self.also.contains(&kind)
    }
}

/// What the checker knows beyond the history.
#[derive(Clone, Debug, Default)]
pub struct Facts<'a> {
    pub names: Option<&'a Names>,
    pub annotations: &'a [Noted],
    pub samples: &'a [Sample],
    /// Writes some replica still holds at the end (None: unknown, e.g. an imported history).
    pub surviving: Option<&'a BTreeSet<OpId>>,
    /// Nodes still divergent at the end of the run.
    pub divergent_at_end: Vec<NodeId>,
    pub end: SimTime,
}

fn name(names: Option<&Names>, k: Sym) -> String {
    names.map(|n| n.get(k).to_string()).unwrap_or_else(|| format!("key {}", k.0))
}

/// A completed write to a register, as the checker sees it.
#[derive(Clone, Debug)]
struct WriteInfo {
    id: OpId,
    session: ClientId,
    key: Sym,
    value: i64,
    invoke: SimTime,
    /// Completion time of an acknowledged write; None if unknown outcome or failed.
    acked: Option<SimTime>,
}

/// Real-time order: `a` finished before `b` started.
fn precedes(a: &WriteInfo, b: &WriteInfo) -> bool {
    a.acked.is_some_and(|t| t < b.invoke)
}

fn read_writes(r: &OpRecord) -> Option<Vec<OpId>> {
    match &r.result {
        Some(OpResult::Read(ReadValue::Register(v))) => Some(v.iter().map(|s| s.write).collect()),
        _ => None,
    }
}

struct Index<'h> {
    writes: BTreeMap<OpId, WriteInfo>,
    /// Register reads that answered, in invocation order.
    reads: Vec<&'h OpRecord>,
    /// Times at which every key was reset on purpose (an acknowledged delete-all, a restore from
    /// backup): what a read returns after one of them is not judged against earlier writes.
    resets: Vec<SimTime>,
}

impl Index<'_> {
    fn reset_between(&self, from: SimTime, to: SimTime) -> bool {
        self.resets.iter().any(|t| *t > from && *t < to)
    }
}

fn index<'h>(history: &'h History, facts: &Facts) -> Index<'h> {
    let mut writes = BTreeMap::new();
    let mut reads = Vec::new();
    let mut resets: Vec<SimTime> = facts
        .annotations
        .iter()
        .filter(|n| matches!(n.annotation, Annotation::BackupRestored { .. }))
        .map(|n| n.time)
        .collect();
    for r in &history.ops {
        match &r.op {
            Op::Write { key, value } | Op::Bulk { key, value, .. } => {
                let Some(invoke) = r.invoke_at else { continue };
                let acked = match r.result {
                    Some(OpResult::Written) => r.complete_at,
                    _ => None,
                };
                writes
                    .insert(r.id, WriteInfo { id: r.id, session: r.session, key: *key, value: *value, invoke, acked });
            }
            Op::Read { .. } if read_writes(r).is_some() && r.invoke_at.is_some() => {
                reads.push(r);
            }
            Op::DeleteAll => {
                if let (Some(OpResult::Written), Some(t)) = (&r.result, r.complete_at) {
                    resets.push(t);
                }
            }
            _ => {}
        }
    }
    reads.sort_unstable_by_key(|r| (r.invoke_at, r.id));
    Index { writes, reads, resets }
}

/// Is everything a read returned older than `w`? (An empty read is older than any write.)
fn all_older(idx: &Index, returned: &[OpId], w: &WriteInfo) -> bool {
    returned.iter().all(|id| match idx.writes.get(id) {
        Some(x) => x.id != w.id && precedes(x, w),
        // A version the history does not know (an initial value): older than any write.
        None => true,
    })
}

fn lag_note(facts: &Facts, node: Option<NodeId>, at: SimTime) -> String {
    let Some(n) = node else { return String::new() };
    let i = facts.samples.partition_point(|s| s.time <= at);
    let Some(s) = i.checked_sub(1).and_then(|i| facts.samples.get(i)) else { return String::new() };
    match s.observation.lag.get(n.0 as usize).copied().flatten() {
        Some(l) if l.entries > 0 && l.time_us > 0 => {
            format!(", {} ({} entries) behind", human_duration(l.time_us), l.entries)
        }
        Some(l) if l.entries > 0 => format!(", {} update(s) behind", l.entries),
        _ => String::new(),
    }
}

fn values(idx: &Index, returned: &[OpId]) -> String {
    if returned.is_empty() {
        return "nothing".into();
    }
    returned
        .iter()
        .map(|id| idx.writes.get(id).map(|w| w.value.to_string()).unwrap_or_else(|| "?".into()))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Runs every history check. `linearizability` is separate (it can be expensive).
pub fn check(history: &History, facts: &Facts) -> Vec<Anomaly> {
    let idx = index(history, facts);
    let names = facts.names;
    let mut out = Vec::new();

    // Latest acknowledged write per key, as of each moment, via a sorted list of acks.
    let mut acks_by_key: BTreeMap<Sym, Vec<&WriteInfo>> = BTreeMap::new();
    for w in idx.writes.values() {
        if w.acked.is_some() {
            acks_by_key.entry(w.key).or_default().push(w);
        }
    }
    for v in acks_by_key.values_mut() {
        v.sort_unstable_by_key(|w| (w.acked, w.id));
    }

    // Per session: last read result per key (monotonic reads), causal past (consistent prefix).
    let mut last_seen: BTreeMap<(ClientId, Sym), (OpId, Vec<OpId>)> = BTreeMap::new();
    // For each write: the writes it causally depends on, per key (the newest such write).
    let mut write_deps: BTreeMap<OpId, BTreeMap<Sym, OpId>> = BTreeMap::new();
    let mut session_past: BTreeMap<ClientId, BTreeMap<Sym, OpId>> = BTreeMap::new();

    // Walk every operation in invocation order to build causal pasts.
    let mut ops: Vec<&OpRecord> = history.ops.iter().filter(|o| o.invoke_at.is_some()).collect();
    ops.sort_unstable_by_key(|o| (o.invoke_at, o.id));
    let newer = |idx: &Index, a: OpId, b: OpId| -> OpId {
        match (idx.writes.get(&a), idx.writes.get(&b)) {
            (Some(x), Some(y)) if precedes(x, y) => b,
            (Some(_), Some(_)) => a,
            (None, Some(_)) => b,
            _ => a,
        }
    };
    for o in &ops {
        let past = session_past.entry(o.session).or_default().clone();
        match &o.op {
            Op::Write { key, .. } | Op::Bulk { key, .. } if o.ok() => {
                write_deps.insert(o.id, past.clone());
                let p = session_past.entry(o.session).or_default();
                let cur = p.get(key).copied();
                p.insert(*key, cur.map(|c| newer(&idx, c, o.id)).unwrap_or(o.id));
            }
            Op::Read { key } if o.ok() => {
                let Some(returned) = read_writes(o) else { continue };
                let p = session_past.entry(o.session).or_default();
                for w in &returned {
                    if let Some(deps) = write_deps.get(w) {
                        for (k, d) in deps.clone() {
                            let cur = p.get(&k).copied();
                            p.insert(k, cur.map(|c| newer(&idx, c, d)).unwrap_or(d));
                        }
                    }
                    if idx.writes.contains_key(w) {
                        let cur = p.get(key).copied();
                        p.insert(*key, cur.map(|c| newer(&idx, c, *w)).unwrap_or(*w));
                    }
                }
            }
            _ => {}
        }
    }

    // Reads, in invocation order. A read can be stale for several reasons; it is reported once,
    // under the most specific: read-your-writes, then monotonic reads, then consistent prefix,
    // then plain staleness.
    let mut observed_deps: BTreeMap<ClientId, BTreeMap<Sym, OpId>> = BTreeMap::new();
    for r in &idx.reads {
        let Op::Read { key } = r.op else { continue };
        let Some(returned) = read_writes(r) else { continue };
        let invoke = r.invoke_at.unwrap_or(0);
        let done = r.complete_at.unwrap_or(invoke);
        let kname = name(names, key);
        let node = r.served_by;
        let node_text = node.map(|n| format!(" from {n}")).unwrap_or_default();
        let mut lag = lag_note(facts, node, done);
        if let Some(v) = &r.version {
            // What the answering node had, in its own terms ("applied LSN 41", "[2,1,0]").
            lag.push_str(&format!(" ({v})"));
        }
        let got = values(&idx, &returned);

        // Read-your-writes: the session's own latest acknowledged write to this key.
        let own = idx
            .writes
            .values()
            // Same session: the acknowledgement and the next invocation can fall on the same
            // instant (a session issues its next operation as soon as one completes).
            .filter(|w| w.session == r.session && w.key == key && w.acked.is_some_and(|t| t <= invoke))
            .max_by_key(|w| (w.acked, w.id))
            .filter(|w| !idx.reset_between(w.acked.unwrap_or(0), invoke))
            .filter(|w| all_older(&idx, &returned, w));
        // Monotonic reads: this session saw something newer of this key before.
        let went_back = last_seen.get(&(r.session, key)).and_then(|(prev_op, prev)| {
            prev.iter()
                .filter_map(|p| idx.writes.get(p))
                .any(|pw| all_older(&idx, &returned, pw))
                .then(|| (*prev_op, prev.clone()))
        });
        // Consistent prefix: the session has seen a write that depends on a write to this key,
        // but this read misses that write.
        let missing_cause = observed_deps
            .get(&r.session)
            .and_then(|deps| deps.get(&key))
            .and_then(|d| idx.writes.get(d))
            .filter(|dep| all_older(&idx, &returned, dep));
        // Stale: older than the latest write acknowledged before the read began.
        let latest = acks_by_key
            .get(&key)
            .and_then(|list| list.iter().rev().find(|w| w.acked.is_some_and(|t| t < invoke)))
            .filter(|w| !idx.reset_between(w.acked.unwrap_or(0), invoke))
            .filter(|w| all_older(&idx, &returned, w));

        let anomaly = if let Some(w) = own {
            Some((
                AnomalyKind::ReadYourWrites,
                vec![w.id, r.id],
                node.into_iter().collect::<Vec<_>>(),
                format!(
                    "{} wrote {kname} = {} and was told it succeeded, then read {kname}{node_text}{lag} and got {got}: its own write was not there yet (read-your-writes).",
                    r.session, w.value
                ),
            ))
        } else if let Some((prev_op, prev)) = went_back.clone() {
            let prev_node = history.get(prev_op).and_then(|p| p.served_by);
            Some((
                AnomalyKind::MonotonicReads,
                vec![prev_op, r.id],
                prev_node.into_iter().chain(node).collect(),
                format!(
                    "{} read {kname} = {}{}, then read it again{node_text}{lag} and got {got}: time went backwards (monotonic reads).",
                    r.session,
                    values(&idx, &prev),
                    prev_node.map(|n| format!(" from {n}")).unwrap_or_default()
                ),
            ))
        } else if let Some(dep) = missing_cause {
            Some((
                AnomalyKind::ConsistentPrefix,
                vec![dep.id, r.id],
                node.into_iter().collect(),
                format!(
                    "{} had already seen a write made after {kname} = {} (and because of it), yet reading {kname}{node_text}{lag} returned {got}: the answer arrived before the question (consistent prefix).",
                    r.session, dep.value
                ),
            ))
        } else {
            latest.map(|w| {
                (
                    AnomalyKind::StaleRead,
                    vec![w.id, r.id],
                    node.into_iter().collect(),
                    format!(
                        "{} read {kname}{node_text}{lag} and got {got}, although {kname} = {} had been acknowledged {} before the read began (stale read).",
                        r.session,
                        w.value,
                        human_duration(invoke - w.acked.unwrap_or(invoke))
                    ),
                )
            })
        };
        if let Some((kind, ops, nodes, explanation)) = anomaly {
            let flags = [
                (AnomalyKind::ReadYourWrites, own.is_some()),
                (AnomalyKind::MonotonicReads, went_back.is_some()),
                (AnomalyKind::ConsistentPrefix, missing_cause.is_some()),
                (AnomalyKind::StaleRead, latest.is_some()),
            ];
            let also = flags.iter().filter(|(k, f)| *f && *k != kind).map(|(k, _)| *k).collect();
            out.push(Anomaly { kind, time: done, ops, nodes, messages: Vec::new(), explanation, also });
        }
        if !returned.is_empty() {
            last_seen.insert((r.session, key), (r.id, returned.clone()));
        }
        // What this read saw depends on earlier writes to *other* keys (dependencies on the same
        // key are monotonic reads' business).
        let d = observed_deps.entry(r.session).or_default();
        for w in &returned {
            if let Some(deps) = write_deps.get(w) {
                for (k, x) in deps {
                    if *k == key {
                        continue;
                    }
                    let cur = d.get(k).copied();
                    d.insert(*k, cur.map(|c| newer(&idx, c, *x)).unwrap_or(*x));
                }
            }
        }
    }

    // Monotonic writes: a session wrote w1 then w2 (in that order); a replica showed w2 and later
    // showed w1 again — the writes took effect there out of order. When the history does not say
    // which replica answered (an imported history), any reader counts as "the replica".
    let mut by_completion: Vec<&OpRecord> = idx.reads.clone();
    by_completion.sort_unstable_by_key(|r| (r.complete_at, r.id));
    let mut seen: BTreeMap<(Option<NodeId>, ClientId, Sym), &WriteInfo> = BTreeMap::new();
    let mut next = 0;
    let mut reported_mw: BTreeSet<(OpId, OpId)> = BTreeSet::new();
    for r in &idx.reads {
        let invoke = r.invoke_at.unwrap_or(0);
        // Everything read (and finished) before this read began.
        while next < by_completion.len() && by_completion[next].complete_at.unwrap_or(u64::MAX) < invoke {
            let done = by_completion[next];
            next += 1;
            for w in read_writes(done).unwrap_or_default().iter().filter_map(|w| idx.writes.get(w)) {
                let slot = seen.entry((done.served_by, w.session, w.key)).or_insert(w);
                if precedes(slot, w) {
                    *slot = w;
                }
            }
        }
        let Some(returned) = read_writes(r) else { continue };
        let [only] = returned.as_slice() else { continue };
        let Some(w1) = idx.writes.get(only) else { continue };
        let Some(w2) = seen.get(&(r.served_by, w1.session, w1.key)) else { continue };
        if precedes(w1, w2) && !idx.reset_between(w2.acked.unwrap_or(0), invoke) && reported_mw.insert((w1.id, w2.id)) {
            let at = r.served_by.map(|n| format!(" on {n}")).unwrap_or_default();
            out.push(Anomaly {
                kind: AnomalyKind::MonotonicWrites,
                time: r.complete_at.unwrap_or(invoke),
                ops: vec![w1.id, w2.id, r.id],
                nodes: r.served_by.into_iter().collect(),
                messages: Vec::new(),
                also: Vec::new(),
                explanation: format!(
                    "{} wrote {} = {} and then {} = {}; after the second was visible{at}, a read there returned the first again: the writes took effect out of order (monotonic writes).",
                    w1.session,
                    name(names, w1.key),
                    w1.value,
                    name(names, w1.key),
                    w2.value
                ),
            });
        }
    }

    // Lost acknowledged writes and split-brain, from what the run recorded.
    let acked: BTreeMap<OpId, &OpRecord> =
        history.ops.iter().filter(|o| matches!(o.result, Some(OpResult::Written))).map(|o| (o.id, o)).collect();
    let observed: BTreeSet<OpId> = idx.reads.iter().filter_map(|r| read_writes(r)).flatten().collect();
    let mut lost: BTreeMap<OpId, (SimTime, Option<NodeId>, String)> = BTreeMap::new();
    for n in facts.annotations {
        match &n.annotation {
            Annotation::TailDiscarded { node, from_lsn, to_lsn, writes } => {
                for w in writes {
                    if acked.contains_key(w) {
                        lost.entry(*w).or_insert((
                            n.time,
                            Some(*node),
                            format!("it was in {node}'s log (LSN {from_lsn}–{to_lsn}) but never reached the leader that took over, and {node} threw it away when it rejoined"),
                        ));
                    }
                }
            }
            Annotation::BackupRestored { lsn, lost: undone, .. } => {
                for w in undone {
                    if acked.contains_key(w) {
                        lost.entry(*w).or_insert((
                            n.time,
                            None,
                            format!("it was written after the backup (LSN {lsn}) that was restored, so the restore undid it: that is the recovery point objective's price"),
                        ));
                    }
                }
            }
            Annotation::Conflict(c) => {
                for w in &c.discarded {
                    if acked.contains_key(w) && !observed.contains(w) {
                        lost.entry(*w).or_insert((
                            n.time,
                            Some(c.node),
                            format!("a concurrent write won under the rule “{}” and this one was discarded before anyone read it", c.rule),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    let undone_by_restore: BTreeSet<OpId> = facts
        .annotations
        .iter()
        .filter_map(|n| match &n.annotation {
            Annotation::BackupRestored { lost, .. } => Some(lost.iter().copied()),
            _ => None,
        })
        .flatten()
        .collect();
    for (w, (time, node, why)) in lost {
        // Still in some replica's data — unless a restore undid it (it stays in the log).
        if facts.surviving.is_some_and(|s| s.contains(&w)) && !undone_by_restore.contains(&w) {
            continue;
        }
        let rec = acked[&w];
        let what = match &rec.op {
            Op::Write { key, value } | Op::Bulk { key, value, .. } => format!("{} = {value}", name(names, *key)),
            Op::Increment { key, by } => format!("{} {by:+}", name(names, *key)),
            other => names.map(|n| crate::scenario::op_phrase(other, n)).unwrap_or_else(|| "an update".into()),
        };
        let by = rec.served_by.map(|n| format!(" by {n}")).unwrap_or_default();
        out.push(Anomaly {
            kind: AnomalyKind::LostWrite,
            time,
            ops: vec![w],
            nodes: node.into_iter().collect(),
            messages: Vec::new(),
            also: Vec::new(),
            explanation: format!("{} wrote {what} and it was acknowledged{by}, yet it is gone: {why}.", rec.session),
        });
    }

    // Split-brain: writes acknowledged by a leader after a newer epoch had begun elsewhere.
    let mut promotions: Vec<(SimTime, NodeId, u64)> = facts
        .annotations
        .iter()
        .filter_map(|n| match &n.annotation {
            Annotation::Promoted { node, epoch, .. } => Some((n.time, *node, *epoch)),
            Annotation::Elected { node, term, .. } => Some((n.time, *node, *term)),
            _ => None,
        })
        .collect();
    promotions.sort_unstable();
    let mut split: BTreeMap<(NodeId, u64, NodeId, u64), Vec<OpId>> = BTreeMap::new();
    for rec in acked.values() {
        let (Some(epoch), Some(node), Some(done)) = (rec.epoch, rec.served_by, rec.complete_at) else { continue };
        if let Some((_, newer, e)) = promotions.iter().rev().find(|(t, n, e)| *t < done && *e > epoch && *n != node) {
            split.entry((node, epoch, *newer, *e)).or_default().push(rec.id);
        }
    }
    for ((old, epoch, newer, e), ops) in split {
        let first = ops.iter().filter_map(|o| acked.get(o).and_then(|r| r.complete_at)).min().unwrap_or(0);
        out.push(Anomaly {
            kind: AnomalyKind::SplitBrain,
            time: first,
            ops: ops.clone(),
            nodes: vec![old, newer],
            messages: Vec::new(),
            also: Vec::new(),
            explanation: format!(
                "{old} still believed it led epoch {epoch} and acknowledged {} write(s) while {newer} was already leader of epoch {e}: two leaders accepted writes at once (split-brain).",
                ops.len()
            ),
        });
    }

    if !facts.divergent_at_end.is_empty() {
        out.push(Anomaly {
            kind: AnomalyKind::Divergence,
            time: facts.end,
            ops: Vec::new(),
            nodes: facts.divergent_at_end.clone(),
            messages: Vec::new(),
            also: Vec::new(),
            explanation: format!(
                "At the end of the run {} still disagree(s) with the other replicas about some keys: without repair they stay different forever.",
                facts.divergent_at_end.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
            ),
        });
    }

    sort_anomalies(&mut out);
    out
}

/// Orders anomalies by time, kind and operations: a total order, so any sort gives the same.
pub fn sort_anomalies(a: &mut [Anomaly]) {
    a.sort_unstable_by(|x, y| (x.time, x.kind, &x.ops, &x.nodes).cmp(&(y.time, y.kind, &y.ops, &y.nodes)));
}

/// Fills in the messages each anomaly's operations sent or received.
pub fn link_messages(anomalies: &mut [Anomaly], trace: &Trace) {
    let mut by_op: BTreeMap<OpId, Vec<u64>> = BTreeMap::new();
    for m in &trace.messages {
        if let Some(op) = m.op {
            by_op.entry(op).or_default().push(m.id);
        }
    }
    for a in anomalies {
        let mut ids: Vec<u64> = a.ops.iter().filter_map(|o| by_op.get(o)).flatten().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(64);
        a.messages = ids;
    }
}
