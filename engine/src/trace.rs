//! The record of a run: every step, every message with `sent_at`/`deliver_at`, annotations,
//! the client history as events, and periodic observations for charts.
//!
//! Everything is append-only so that forking at a checkpoint is a truncation to a [`Mark`].
//! A rolling digest over a platform-independent encoding of what is recorded lets tests check
//! that the same scenario and seed give the same run natively and in WebAssembly.

use crate::annotate::Annotation;
use crate::chunked::ChunkedVec;
use crate::model::{ClientId, ClientOp, Completion, Endpoint, MsgId, NodeId, OpId, OpRecord};
use crate::network::DropReason;
use crate::rng::StableHasher;
use crate::time::SimTime;
use crate::view::{MsgKind, Observation};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

/// What one step of the run did.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StepKind {
    Deliver {
        msg: MsgId,
    },
    /// A message reached a down node, or its link was cut while in flight.
    Drop {
        msg: MsgId,
        reason: DropReason,
    },
    Timer {
        at: Endpoint,
    },
    Invoke {
        op: OpId,
    },
    ClientTimeout {
        op: OpId,
    },
    Fault {
        index: u32,
    },
    Intervention {
        index: u32,
    },
    Resume {
        node: NodeId,
    },
    Sample,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Step {
    pub time: SimTime,
    pub kind: StepKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct MsgRecord {
    pub id: MsgId,
    pub from: Endpoint,
    pub to: Endpoint,
    pub kind: MsgKind,
    pub label: crate::protocol::Label,
    pub op: Option<OpId>,
    pub sent_at: SimTime,
    pub deliver_at: SimTime,
    /// Lost: why, and the step at which it was decided (for truncation).
    pub dropped: Option<(DropReason, u64)>,
}

/// The history as it happens; [`History`] folds it into one record per operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HistEvent {
    Scheduled {
        at: SimTime,
        session: ClientId,
        op: ClientOp,
    },
    Invoked {
        at: SimTime,
        op: OpId,
    },
    Contacted {
        op: OpId,
        node: NodeId,
    },
    /// Boxed: a completion is five times the size of the other events, and every event of the
    /// history (most of them schedulings and invocations) would be as large as the largest.
    Completed {
        at: SimTime,
        completion: Box<Completion>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Noted {
    pub time: SimTime,
    pub annotation: Annotation,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub time: SimTime,
    pub up: Vec<bool>,
    pub observation: Observation,
}

/// Lengths of every log at one moment, to truncate back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub steps: usize,
    pub messages: usize,
    pub annotations: usize,
    pub hist: usize,
    pub samples: usize,
    pub digest: StableHasher,
}

/// Messages are grouped in blocks of this many for the in-flight query.
const BLOCK: usize = 64;

#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub steps: ChunkedVec<Step>,
    pub messages: ChunkedVec<MsgRecord>,
    pub annotations: Vec<Noted>,
    pub hist: ChunkedVec<HistEvent>,
    pub samples: Vec<Sample>,
    digest: StableHasher,
    /// Latest `deliver_at` within each block of `BLOCK` messages.
    block_max_deliver: Vec<SimTime>,
    /// A scratch trace records nothing (replaying from a checkpoint to show a moment).
    scratch: bool,
}

impl Trace {
    pub fn new() -> Self {
        Trace { digest: StableHasher::new(), ..Default::default() }
    }

    /// A trace that records nothing.
    pub fn scratch() -> Self {
        Trace { scratch: true, ..Default::default() }
    }

    pub fn recording(&self) -> bool {
        !self.scratch
    }

    pub fn digest(&self) -> u64 {
        self.digest.finish()
    }

    pub fn mark(&self) -> Mark {
        Mark {
            steps: self.steps.len(),
            messages: self.messages.len(),
            annotations: self.annotations.len(),
            hist: self.hist.len(),
            samples: self.samples.len(),
            digest: self.digest,
        }
    }

    /// Forgets everything recorded after `m`.
    pub fn truncate(&mut self, m: &Mark) {
        self.steps.truncate(m.steps);
        self.messages.truncate(m.messages);
        self.annotations.truncate(m.annotations);
        self.hist.truncate(m.hist);
        self.samples.truncate(m.samples);
        self.digest = m.digest;
        // A drop is numbered by the steps recorded when it was decided, the step deciding it
        // included: drops numbered up to the mark happened before it.
        let step_limit = m.steps as u64;
        for msg in self.messages.iter_mut() {
            if matches!(msg.dropped, Some((_, s)) if s > step_limit) {
                msg.dropped = None;
            }
        }
        self.block_max_deliver.truncate(self.messages.len().div_ceil(BLOCK));
        if let Some(last) = self.block_max_deliver.last_mut() {
            let start = (self.messages.len() - 1) / BLOCK * BLOCK;
            *last = self.messages.range(start, usize::MAX).map(|m| m.deliver_at).max().unwrap_or(0);
        }
    }

    /// Steps recorded so far.
    pub fn step_count(&self) -> u64 {
        self.steps.len() as u64
    }

    pub fn step(&mut self, time: SimTime, kind: StepKind) {
        if self.scratch {
            return;
        }
        let s = Step { time, kind };
        s.hash(&mut self.digest);
        self.steps.push(s);
    }

    pub fn message(&mut self, m: MsgRecord) {
        if self.scratch {
            return;
        }
        m.hash(&mut self.digest);
        let block = self.messages.len() / BLOCK;
        if block == self.block_max_deliver.len() {
            self.block_max_deliver.push(m.deliver_at);
        } else if self.block_max_deliver[block] < m.deliver_at {
            self.block_max_deliver[block] = m.deliver_at;
        }
        self.messages.push(m);
    }

    pub fn mark_dropped(&mut self, id: MsgId, reason: DropReason) {
        if self.scratch {
            return;
        }
        let step = self.steps.len() as u64;
        (id, reason).hash(&mut self.digest);
        if let Some(m) = self.messages.get_mut(id as usize) {
            m.dropped = Some((reason, step));
        }
    }

    pub fn annotate(&mut self, time: SimTime, a: Annotation) {
        if self.scratch {
            return;
        }
        time.hash(&mut self.digest);
        a.hash(&mut self.digest);
        self.annotations.push(Noted { time, annotation: a });
    }

    pub fn hist(&mut self, e: HistEvent) {
        if self.scratch {
            return;
        }
        e.hash(&mut self.digest);
        self.hist.push(e);
    }

    pub fn sample(&mut self, s: Sample) {
        if self.scratch {
            return;
        }
        s.time.hash(&mut self.digest);
        s.up.hash(&mut self.digest);
        s.observation.leaders.hash(&mut self.digest);
        s.observation.data_digest.hash(&mut self.digest);
        self.samples.push(s);
    }

    /// Messages on the wire at `t`: sent at or before `t`, arriving after it. Dropped messages
    /// are included (the view fades them out). Ordered by id.
    pub fn in_flight_at(&self, t: SimTime) -> Vec<&MsgRecord> {
        let end = self.messages.partition_point(|m| m.sent_at <= t);
        let mut out = Vec::new();
        let blocks = end.div_ceil(BLOCK);
        for b in 0..blocks {
            if self.block_max_deliver[b] <= t {
                continue;
            }
            let lo = b * BLOCK;
            let hi = ((b + 1) * BLOCK).min(end);
            out.extend(self.messages.range(lo, hi).filter(|m| m.deliver_at > t));
        }
        out
    }

    /// The time of the last step, or 0.
    pub fn end_time(&self) -> SimTime {
        self.steps.last().map(|s| s.time).unwrap_or(0)
    }
}

/// The client history folded from [`HistEvent`]s: one record per operation, by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub ops: Vec<OpRecord>,
}

impl History {
    /// Folds the events into one record per operation. The events are read twice: first to
    /// count the operations and find the largest id, so that the records are allocated once at
    /// their final size and found by id in a plain table (growing them by doubling, with a map
    /// beside, made this twice the history's size at its peak: 20 MB for the benchmark's).
    pub fn from_events<'a, I>(events: I) -> History
    where
        I: IntoIterator<Item = &'a HistEvent>,
        I::IntoIter: Clone,
    {
        let events = events.into_iter();
        let (mut count, mut largest) = (0usize, 0usize);
        for e in events.clone() {
            if let HistEvent::Scheduled { op, .. } = e {
                count += 1;
                largest = largest.max(op.id as usize);
            }
        }
        let mut ops: Vec<OpRecord> = Vec::with_capacity(count);
        // Position in `ops` of each operation id (ids are dense: the plan's, then the users').
        const NONE: u32 = u32::MAX;
        let mut index: Vec<u32> = if count == 0 { Vec::new() } else { vec![NONE; largest + 1] };
        let find = |index: &[u32], id: OpId| index.get(id as usize).copied().filter(|&i| i != NONE).map(|i| i as usize);
        for e in events {
            match e {
                HistEvent::Scheduled { at, session, op } => {
                    index[op.id as usize] = ops.len() as u32;
                    ops.push(OpRecord {
                        id: op.id,
                        session: *session,
                        op: op.op.clone(),
                        consistency: op.consistency,
                        scheduled_at: *at,
                        invoke_at: None,
                        complete_at: None,
                        result: None,
                        served_by: None,
                        version: None,
                        assigned_id: None,
                        epoch: None,
                        lsn: None,
                        contacted: Vec::new(),
                    });
                }
                HistEvent::Invoked { at, op } => {
                    if let Some(i) = find(&index, *op) {
                        ops[i].invoke_at = Some(*at);
                    }
                }
                HistEvent::Contacted { op, node } => {
                    if let Some(i) = find(&index, *op) {
                        if !ops[i].contacted.contains(node) {
                            ops[i].contacted.push(*node);
                        }
                    }
                }
                HistEvent::Completed { at, completion } => {
                    if let Some(i) = find(&index, completion.op) {
                        let r = &mut ops[i];
                        r.complete_at = Some(*at);
                        r.result = Some(completion.result.clone());
                        r.served_by = completion.served_by;
                        r.version = completion.version.clone();
                        r.assigned_id = completion.assigned_id.clone();
                        r.epoch = completion.epoch;
                        r.lsn = completion.lsn;
                    }
                }
            }
        }
        crate::sort::sort_by_key(&mut ops, |o| o.id);
        History { ops }
    }

    pub fn get(&self, id: OpId) -> Option<&OpRecord> {
        self.ops.binary_search_by_key(&id, |o| o.id).ok().map(|i| &self.ops[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: u64, sent: u64, deliver: u64) -> MsgRecord {
        MsgRecord {
            id,
            from: Endpoint::Node(NodeId(0)),
            to: Endpoint::Node(NodeId(1)),
            kind: MsgKind::Replicate,
            label: crate::protocol::Label::Static(""),
            op: None,
            sent_at: sent,
            deliver_at: deliver,
            dropped: None,
        }
    }

    /// Two messages sent in a first step; the second step drops message 0.
    fn sent_two_dropped_one() -> Trace {
        let mut t = Trace::new();
        t.step(10, StepKind::Sample);
        t.message(msg(0, 10, 50));
        t.message(msg(1, 10, 50));
        t.step(20, StepKind::Sample);
        t.mark_dropped(0, DropReason::Intervention);
        t
    }

    #[test]
    fn truncating_keeps_drops_decided_before_the_mark() {
        // The mark is taken right after the step that dropped message 0.
        let mut t = sent_two_dropped_one();
        let mark = t.mark();
        // The third step drops message 1; truncating to the mark forgets that drop only.
        t.step(30, StepKind::Sample);
        t.mark_dropped(1, DropReason::Intervention);
        t.truncate(&mark);
        assert!(t.messages[0].dropped.is_some(), "a drop before the mark survives");
        assert!(t.messages[1].dropped.is_none(), "a drop after the mark is forgotten");
        assert_eq!(t.digest(), sent_two_dropped_one().digest());
    }

    #[test]
    fn in_flight_query_matches_scan() {
        let mut t = Trace::new();
        for i in 0..500u64 {
            let sent = i * 10;
            let deliver = sent + (i * 7919) % 400 + 1;
            t.message(msg(i, sent, deliver));
        }
        for q in [0, 5, 999, 2500, 4990, 6000] {
            let fast: Vec<u64> = t.in_flight_at(q).iter().map(|m| m.id).collect();
            let slow: Vec<u64> =
                t.messages.iter().filter(|m| m.sent_at <= q && m.deliver_at > q).map(|m| m.id).collect();
            assert_eq!(fast, slow, "at {q}");
        }
    }
}
