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
use crate::time::{human_duration, SimTime};
use crate::trace::{History, Noted, Sample, Trace};
use crate::vocab::Names;
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

    /// What to do about it in a design of this kind: the remedy for a stale read in a leaderless
    /// store is about quorums, not about leaders and followers.
    pub fn lesson_in(self, topology: crate::vocab::TopologyKind) -> &'static str {
        use crate::vocab::TopologyKind::{Leaderless, MultiLeader};
        match (topology, self) {
            (Leaderless, AnomalyKind::StaleRead) => "A replica answered before it had the latest write. Make read and write quorums overlap (W + R > N), repair stale replicas on read, or accept staleness you can bound (the PBS curve shows how likely it is).",
            (Leaderless, AnomalyKind::ReadYourWrites) => "Your read reached replicas that had not yet taken your write. Read with a quorum that overlaps your write's (W + R > N, and no sloppy quorum), or wait for read repair before answering.",
            (Leaderless, AnomalyKind::MonotonicReads) => "A later read reached replicas that had seen less than an earlier one. Quorums that overlap (W + R > N) with read repair before answering keep reads from going back in time.",
            (Leaderless, AnomalyKind::LostWrite) => "Last write wins kept one of two writes to the same key. Keep concurrent versions as siblings with version vectors, or merge them with a CRDT; with a sloppy quorum, a write held by stand-ins is lost if its hint never reaches home.",
            (Leaderless, AnomalyKind::ConsistentPrefix) => "Causally related writes reached the replicas you read in either order. Read related keys from the same quorum, or version them so a reader can tell what came first.",
            (MultiLeader, AnomalyKind::StaleRead) => "This leader had not yet received another leader's change. Read from the leader that took the write, or wait until the change has reached every leader.",
            (MultiLeader, AnomalyKind::ReadYourWrites) => "Your read went to a leader your write had not reached yet. Send a user's reads to the leader that takes their writes (their home region).",
            (MultiLeader, AnomalyKind::MonotonicReads) => "A later read went to a leader that had seen less. Keep each user on one leader, so their reads never move backwards.",
            (MultiLeader, AnomalyKind::LostWrite) => "Two leaders accepted concurrent writes and last write wins discarded one. Detect concurrency with version vectors and keep both, or use a CRDT that merges them.",
            (MultiLeader, AnomalyKind::ConsistentPrefix) => "Changes reached this leader out of order (a ring or a star forwards them by different paths). Apply a change only after the changes it depends on, tracked with version vectors.",
            _ => self.lesson(),
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
    /// Nodes that differ from the others for good: still divergent after the run, let go on with
    /// no new input, went quiet (see `run::Run::settle`).
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
    /// Whether a reset happened in `[from, to]` (bounds included: a reset at the same instant is
    /// given the benefit of the doubt, so no anomaly is reported that a reset could explain).
    fn reset_between(&self, from: SimTime, to: SimTime) -> bool {
        self.resets.iter().any(|t| *t >= from && *t <= to)
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
    crate::sort::sort_by_key(&mut reads, |r| (r.invoke_at, r.id));
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
        crate::sort::sort_by_key(v, |w| (w.acked, w.id));
    }

    // Per session: last read result per key (monotonic reads), causal past (consistent prefix).
    let mut last_seen: BTreeMap<(ClientId, Sym), (OpId, Vec<OpId>)> = BTreeMap::new();
    // For each write: the writes it causally depends on, per key (the newest such write).
    let mut write_deps: BTreeMap<OpId, BTreeMap<Sym, OpId>> = BTreeMap::new();
    let mut session_past: BTreeMap<ClientId, BTreeMap<Sym, OpId>> = BTreeMap::new();

    // Walk every operation in invocation order to build causal pasts.
    let mut ops: Vec<&OpRecord> = history.ops.iter().filter(|o| o.invoke_at.is_some()).collect();
    crate::sort::sort_by_key(&mut ops, |o| (o.invoke_at, o.id));
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
        // A reset on purpose (an acknowledged delete-all, a restore from backup) after the earlier
        // value was written makes going back legal: that value was undone for everyone, even if a
        // lagging replica still showed it to the first read.
        let went_back = last_seen.get(&(r.session, key)).and_then(|(prev_op, prev)| {
            prev.iter()
                .filter_map(|p| idx.writes.get(p))
                .any(|pw| !idx.reset_between(pw.acked.unwrap_or(pw.invoke), invoke) && all_older(&idx, &returned, pw))
                .then(|| (*prev_op, prev.clone()))
        });
        // Consistent prefix: the session has seen a write that depends on a write to this key,
        // but this read misses that write.
        let missing_cause = observed_deps
            .get(&r.session)
            .and_then(|deps| deps.get(&key))
            .and_then(|d| idx.writes.get(d))
            .filter(|dep| !idx.reset_between(dep.acked.unwrap_or(dep.invoke), invoke))
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
    crate::sort::sort_by_key(&mut by_completion, |r| (r.complete_at, r.id));
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

    // Lost acknowledged writes, from what the run recorded.
    let acked: BTreeMap<OpId, &OpRecord> = crate::sort::map_of(
        history.ops.iter().filter(|o| matches!(o.result, Some(OpResult::Written))).map(|o| (o.id, o)),
    );
    let mut lost: BTreeMap<OpId, (SimTime, Option<NodeId>, String)> = BTreeMap::new();
    let describe = |rec: &OpRecord| match &rec.op {
        Op::Write { key, value } | Op::Bulk { key, value, .. } => format!("{} = {value}", name(names, *key)),
        Op::Increment { key, by } => format!("{} {by:+}", name(names, *key)),
        other => names.map(|n| crate::vocab::op_phrase(other, n)).unwrap_or_else(|| "an update".into()),
    };
    // Leader-follower: a promotion makes the new leader's log the history. An acknowledged write
    // of an older epoch that it does not hold is lost at that moment (or, acknowledged later by
    // a deposed leader, the moment it was acknowledged) — whether or not the old leader ever
    // returns to throw its copy away.
    let mut new_leaders: Vec<(SimTime, NodeId, u64, &crate::annotate::LogHeld)> = facts
        .annotations
        .iter()
        .filter_map(|n| match &n.annotation {
            Annotation::Promoted { node, epoch, held, .. } => Some((n.time, *node, *epoch, held)),
            Annotation::Elected { node, term, held, .. } => Some((n.time, *node, *term, held)),
            _ => None,
        })
        .collect();
    crate::sort::sort_by_key(&mut new_leaders, |(t, n, e, _)| (*t, *e, *n));
    for rec in acked.values() {
        let (Some(epoch), Some(lsn), Some(acked_at)) = (rec.epoch, rec.lsn, rec.complete_at) else { continue };
        let Some((t, node, e, _)) = new_leaders.iter().find(|(_, _, e, held)| *e > epoch && !held.holds(epoch, lsn))
        else {
            continue;
        };
        let by = rec.served_by.map(|n| n.to_string()).unwrap_or_else(|| "the leader".into());
        let why = if *t < acked_at {
            format!(
                "{by} acknowledged it at {} in epoch {epoch}, after {node} had become leader of epoch {e} at {}: the new leader's history can never contain it",
                crate::time::human_duration(acked_at),
                crate::time::human_duration(*t)
            )
        } else {
            format!(
                "{node} was promoted to leader of epoch {e} at {} without it (LSN {lsn} of epoch {epoch} had not reached {node}), and from then on the new leader's log is the history",
                crate::time::human_duration(*t)
            )
        };
        lost.insert(rec.id, ((*t).max(acked_at), Some(*node), why));
    }
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
                // A discarded write is lost even if someone read it first: reading a value that
                // later vanishes does not make it any less gone. It is not lost if the version
                // that beat it was written after it had been acknowledged: that is an ordinary
                // overwrite, whatever the vectors of a replica that had not seen it say.
                let winner = c.kept.first().and_then(|i| c.versions.get(*i as usize)).and_then(|v| v.write);
                let winner_start = winner.and_then(|x| history.get(x)).and_then(|r| r.invoke_at);
                for w in &c.discarded {
                    let superseded = c.overwrite
                        && matches!(
                            (acked.get(w).and_then(|r| r.complete_at), winner_start),
                            (Some(done), Some(start)) if start > done
                        );
                    if acked.contains_key(w) && !superseded {
                        lost.entry(*w).or_insert((n.time, Some(c.node), conflict_loss(c, *w, &acked, &describe)));
                    }
                }
            }
            _ => {}
        }
    }
    let undone_by_restore: BTreeSet<OpId> = crate::sort::set_of(
        facts
            .annotations
            .iter()
            .filter_map(|n| match &n.annotation {
                Annotation::BackupRestored { lost, .. } => Some(lost.iter().copied()),
                _ => None,
            })
            .flatten(),
    );
    for (w, (time, node, why)) in lost {
        // Still part of what the cluster holds at the end — unless a restore undid it (it stays
        // in the log).
        if facts.surviving.is_some_and(|s| s.contains(&w)) && !undone_by_restore.contains(&w) {
            continue;
        }
        let rec = acked[&w];
        let what = describe(rec);
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
    crate::sort::sort(&mut promotions);
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
                "When the run ended {} disagreed with the other replicas about some keys, and a minute later, with nothing left in flight, queued or cut off, {} still did: nothing in this configuration repairs them, so they stay different forever.",
                facts.divergent_at_end.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "),
                if facts.divergent_at_end.len() == 1 { "it" } else { "they" }
            ),
        });
    }

    sort_anomalies(&mut out);
    out
}

/// Why a write a conflict resolution threw away is gone, in the terms of the rule: for the
/// timestamp rules, whether it was concurrent with the winner or really came after it (and which
/// clock made it look older).
fn conflict_loss(
    c: &crate::annotate::ConflictRecord,
    w: OpId,
    acked: &BTreeMap<OpId, &OpRecord>,
    describe: &dyn Fn(&OpRecord) -> String,
) -> String {
    use crate::time::human_duration;
    if !c.overwrite {
        // Two different things that collided (two rows given one id): not an overwrite.
        return format!(
            "{} on different leaders (a duplicate primary key), and {}: this one was discarded",
            c.comparison, c.result
        );
    }
    let winner = c.kept.first().and_then(|i| c.versions.get(*i as usize));
    let loser = c
        .versions
        .iter()
        .enumerate()
        .filter(|(i, _)| !c.kept.contains(&(*i as u32)))
        .map(|(_, v)| v)
        .find(|v| v.write == Some(w))
        .or_else(|| c.versions.iter().enumerate().find(|(i, _)| !c.kept.contains(&(*i as u32))).map(|(_, v)| v));
    let timestamps = c.rule.contains("last write wins") || c.rule.contains("timestamp");
    let (Some(win), Some(lose), true) = (winner, loser, timestamps) else {
        return format!("a concurrent write won under the rule “{}” and this one was discarded", c.rule);
    };
    let stamped = |v: &crate::annotate::ConflictVersion| {
        format!("{} stamped {}", v.origin, crate::topology::versions::ts_label(v.timestamp))
    };
    let winner_write = win.write.and_then(|x| acked.get(&x));
    let loser_write = acked.get(&w);
    // Real time: did this write start after the winning write had been acknowledged?
    let later = match (winner_write.and_then(|r| r.complete_at), loser_write.and_then(|r| r.invoke_at)) {
        (Some(done), Some(start)) if start > done => Some(start - done),
        _ => None,
    };
    let winner_text = winner_write.map(|r| describe(r)).unwrap_or_else(|| win.label.clone());
    if let Some(gap) = later {
        let skew = match (win.written_at, lose.written_at) {
            (Some(wa), Some(la)) => {
                let behind = (win.timestamp as i64 - wa as i64) - (lose.timestamp as i64 - la as i64);
                if behind >= 1_000 {
                    format!(": {}'s clock was {} behind {}'s", lose.origin, human_duration(behind as u64), win.origin)
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        };
        format!(
            "it was written {} after {winner_text} had been acknowledged, but {} is lower than {}{skew} — last write wins trusts the timestamps, not the order the writes happened in, so it kept the older write on {} and threw this one away",
            human_duration(gap),
            stamped(lose),
            stamped(win),
            c.node
        )
    } else if win.timestamp == lose.timestamp {
        format!(
            "it and {winner_text} carried the same timestamp ({}), and the tie went to {}'s version on {}",
            crate::topology::versions::ts_label(win.timestamp),
            win.origin,
            c.node
        )
    } else {
        format!(
            "it was concurrent with {winner_text}, and last write wins kept the higher timestamp ({} against {}) on {}",
            stamped(win),
            stamped(lose),
            c.node
        )
    }
}

/// Orders anomalies by time, kind and operations: a total order, so any sort gives the same.
pub fn sort_anomalies(a: &mut [Anomaly]) {
    crate::sort::sort_by(a, |x, y| (x.time, x.kind, &x.ops, &x.nodes).cmp(&(y.time, y.kind, &y.ops, &y.nodes)));
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
        crate::sort::sort(&mut ids);
        ids.dedup();
        ids.truncate(64);
        a.messages = ids;
    }
}
