//! # Multi-leader replication
//!
//! Every region has its own **leader**; clients write to the leader in their region, which
//! commits the write locally and acknowledges at once — local write latency everywhere, and a
//! region keeps accepting writes when the others are unreachable. Each leader then ships its
//! changes to the other leaders asynchronously.
//!
//! ## Topologies
//! * **All-to-all** — every leader sends its changes straight to every other (N·(N−1) streams).
//!   The most resilient, but changes travel independently, so one leader can see a reply before
//!   the message it answers.
//! * **Ring** — each leader sends to the next, which applies and forwards. One dead leader stops
//!   everything upstream of it from reaching anyone downstream until it returns or the ring is
//!   repaired (`repair_topology`).
//! * **Star** — spokes send to the hub (n1), which forwards to every other spoke. A dead hub cuts
//!   every spoke off from the others.
//!
//! Every change carries its origin and the list of leaders it has passed, so it never loops, and
//! a (origin, sequence) pair, so a leader applies it once however many paths bring it. Changes
//! not yet acknowledged by a neighbour stay queued for it and are resent: the queue is the
//! backlog you see piling up behind a dead leader.
//!
//! ## Followers
//! Each leader may have followers in its region (`followers`: 0–3 per leader). The leader
//! streams them, in its own order, the new state of every key it changes — its own writes and
//! the changes it applies from other leaders, after conflict resolution — and resends what a
//! follower has not acknowledged (go-back-N). Followers take no writes; with
//! `read_from: follower` clients read from one of their leader's followers, which is cheaper
//! for the leader and a few milliseconds behind it: a session can miss its own write there.
//! A follower is not promoted when its leader dies (that is leader-follower failover, in the
//! other pane); it goes on serving what it has.
//!
//! ## Detecting conflicts
//! Each version of a value carries a **version vector**: for each leader, how many writes to that
//! key from that leader it reflects. An incoming version whose vector is ≥ the local one in every
//! component happened after it and replaces it; ≤ means it is old news; otherwise the two are
//! **concurrent** — a conflict. Detection works per row by default (two writes to different
//! fields of `profile` conflict) or per field (`detection: field`).
//!
//! ## Resolving them (registers)
//! * `lww` — last write wins by the physical timestamp the origin leader stamped from its own
//!   clock (at `clock_resolution`; one leader never stamps the same timestamp twice). The
//!   timestamp alone decides, whatever the causal order: a write made after another, on a leader
//!   whose clock runs behind, carries the lower timestamp and is thrown away everywhere —
//!   including on the leader that acknowledged it. This is what systems without vectors do
//!   (Cassandra, DynamoDB global tables, multi-source MySQL setups). On a timestamp tie each
//!   leader keeps what it had, so replicas can disagree forever.
//! * `lww_node_id` — the same, ties broken by leader id: every leader picks the same winner. This
//!   is the LWW-register CRDT.
//! * `causal_lww` — version vectors first: a version that happened after another replaces it
//!   whatever its timestamp; only concurrent versions are settled by timestamp (ties by leader
//!   id). Riak with `allow_mult = false`.
//! * `siblings` — keep every concurrent version and return them all to reads (the MV-register
//!   CRDT, Riak's siblings, Dynamo's shopping cart); the next write at a leader supersedes the
//!   siblings it has seen.
//!
//! ## Counters and sets
//! * Counters: `naive` stores the number as a register updated by read-modify-write and settled
//!   by timestamp, so concurrent increments overwrite each other; `g_counter` and `pn_counter` keep
//!   one count per leader (and one for decrements) and merge by taking the maximum of each — never
//!   a lost increment. A G-counter only grows: a leader refuses a decrement (`decr`) outright.
//! * Sets: `lww` replaces the whole set by timestamp (concurrent adds are lost); `union` is the application
//!   merge of the shopping cart (every concurrent add survives — and so do items removed on
//!   one side, which come back); `or_set` tags every add, so a remove deletes only the adds it
//!   has seen: an add concurrent with a remove survives, a removed item stays removed.
//!
//! ## Other anomalies
//! * Causality: with `causal_delivery` a leader holds back a change until it has every change
//!   its origin had seen when it was made; without it, the violation is recorded.
//! * Auto-increment ids: each leader numbering rows on its own produces the same id twice;
//!   `region_prefix` or `uuid` ids do not.
//!
//! The cost: every strategy but the CRDTs either loses writes silently or hands the conflict to
//! the application; CRDTs only exist for specific data types.

use crate::annotate::Annotation;
use crate::model::{ClientId, ClientOp, Completion, Endpoint, NodeId, Op, OpId, OpResult, ReadValue, Sym};
use crate::plog::PLog;
use crate::protocol::{Control, Label, MessageMeta, NodeCtx, Protocol};
use crate::rng::stable_hash;
use crate::sorted::{VecMap, VecSet};
use crate::time::{Duration, SimTime};
use crate::topology::client::{self as clients, Answer, Client, Clients, Next, Pending, Reply, Request};
use crate::topology::versions::{
    canonical, item_writes, read_item, vv_label, CounterRule, IdScheme, Item, RegisterRule, Rules, SetRule, Stamp,
};
use crate::validate::{join, Problems, Validate};
use crate::view::{divergent_from_digests, EntryState, EntryView, Lag, MsgKind, NodeView, Observation, Role};
use crate::vocab::{KeyKind, Names};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

mod client;
mod protocol;
mod replication;
mod view;

// ---------------------------------------------------------------------------------------------
// Configuration

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MlTopology {
    AllToAll,
    Ring,
    Star,
}

impl MlTopology {
    pub fn label(self) -> &'static str {
        match self {
            MlTopology::AllToAll => "all-to-all",
            MlTopology::Ring => "ring",
            MlTopology::Star => "star",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detection {
    Row,
    Field,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlConfig {
    pub leaders: u32,
    /// Region of each leader.
    pub placement: Vec<String>,
    pub topology: MlTopology,
    pub register: RegisterRule,
    pub counter: CounterRule,
    pub set: SetRule,
    pub detection: Detection,
    pub causal_delivery: bool,
    pub ids: IdScheme,
    /// Unacknowledged changes are resent this often.
    pub retry_interval: Duration,
    /// Granularity of the timestamps LWW compares.
    pub clock_resolution: Duration,
    /// Followers per leader, in the leader's region, replicating from it asynchronously.
    pub followers: u32,
    /// Where clients send reads: their leader, or one of its followers.
    pub read_from: MlReadFrom,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MlReadFrom {
    Leader,
    Follower,
}

crate::scalar_enum!(MlTopology: AllToAll, Ring, Star);
crate::scalar_enum!(Detection: Row, Field);
crate::scalar_enum!(MlReadFrom: Leader, Follower);
crate::overridable!(MlConfig {
    leaders,
    placement,
    topology,
    register,
    counter,
    set,
    detection,
    causal_delivery,
    ids,
    retry_interval,
    clock_resolution,
    followers,
    read_from,
});

impl MlConfig {
    /// Leaders are n1…nL; the followers of leader i come after, in order.
    pub fn node_count(&self) -> usize {
        self.leaders as usize * (1 + self.followers as usize)
    }

    /// The leader a node follows (None for a leader).
    pub fn leader_of(&self, n: NodeId) -> Option<NodeId> {
        let (l, f) = (self.leaders as usize, self.followers as usize);
        let i = n.0 as usize;
        (i >= l && f > 0).then(|| NodeId(((i - l) / f) as u8))
    }

    pub fn followers_of(&self, leader: NodeId) -> impl Iterator<Item = NodeId> {
        let (l, f) = (self.leaders as usize, self.followers as usize);
        let first = l + leader.0 as usize * f;
        (first..first + f).map(|i| NodeId(i as u8))
    }
}

impl Default for MlConfig {
    fn default() -> Self {
        MlConfig {
            leaders: 3,
            placement: Vec::new(),
            topology: MlTopology::AllToAll,
            register: RegisterRule::LwwNodeId,
            counter: CounterRule::PnCounter,
            set: SetRule::OrSet,
            detection: Detection::Row,
            causal_delivery: false,
            ids: IdScheme::AutoIncrement,
            retry_interval: Duration::from_secs(1),
            clock_resolution: Duration::from_ms(1),
            followers: 0,
            read_from: MlReadFrom::Leader,
        }
    }
}

impl Validate for MlConfig {
    fn validate(&self, path: &str, p: &mut Problems) {
        p.range_u64(&join(path, "leaders"), self.leaders as u64, 2, 5);
        p.range_u64(&join(path, "followers"), self.followers as u64, 0, 3);
        if self.node_count() > crate::vocab::MAX_NODES {
            p.push(
                &join(path, "followers"),
                format!(
                    "{} leaders with {} followers each make {} nodes; at most {}",
                    self.leaders,
                    self.followers,
                    self.node_count(),
                    crate::vocab::MAX_NODES
                ),
            );
        }
        p.range_duration(&join(path, "retry_interval"), self.retry_interval.0, 10_000, 60_000_000);
        p.range_duration(&join(path, "clock_resolution"), self.clock_resolution.0, 1, 10_000_000);
    }
}

// ---------------------------------------------------------------------------------------------
// Data

/// A change shipped between leaders: the new state of one key after a local write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub origin: NodeId,
    pub seq: u64,
    pub key: Sym,
    pub write: OpId,
    pub label: String,
    pub item: Rc<Item>,
    /// For each other origin, the newest change of it the origin had applied (and its write).
    pub deps: Vec<(NodeId, u64, OpId)>,
    /// Leaders this change has passed through.
    pub path: Vec<NodeId>,
    /// True time of the write, for measuring lag only.
    pub written_at: SimTime,
    /// "n1#4 x = 3", shared by every message that carries this change.
    pub message_label: Rc<str>,
}

#[derive(Clone, Debug)]
pub enum MlMsg {
    /// A client's operation (the shared client protocol's request).
    Request(Request<()>),
    /// The answer to it: a refusal says why.
    Reply(Reply<(), String>),
    Replicate {
        change: Rc<Change>,
    },
    ReplicateAck {
        origin: NodeId,
        seq: u64,
    },
    /// A leader's new state of one key, for its followers, in the leader's order.
    Follow {
        entry: Rc<FollowEntry>,
    },
    /// Everything up to `seq` is applied on the follower.
    FollowAck {
        seq: u64,
    },
}

/// One step of a leader's stream to its followers: the key's state after a change applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowEntry {
    pub seq: u64,
    pub unit: Sym,
    pub item: Rc<Item>,
    pub change: Rc<Change>,
    /// True time the leader applied it, for lag only.
    pub at: SimTime,
}

impl MessageMeta for MlMsg {
    fn kind(&self) -> MsgKind {
        match self {
            MlMsg::Request(request) => request.kind(),
            MlMsg::Reply(reply) => reply.kind(),
            MlMsg::Replicate { .. } | MlMsg::Follow { .. } => MsgKind::Replicate,
            MlMsg::ReplicateAck { .. } | MlMsg::FollowAck { .. } => MsgKind::ReplicaAck,
        }
    }
    fn label(&self) -> Label {
        use Label::*;
        match self {
            MlMsg::Request(Request { body: Op::Read { .. }, .. }) => Static("read"),
            MlMsg::Request(_) => Static("write"),
            MlMsg::Reply(Reply { answer: Answer::Written { .. }, .. }) => Static("ok"),
            MlMsg::Reply(Reply { answer: Answer::Read { .. }, .. }) => Static("value"),
            MlMsg::Reply(Reply { answer: Answer::Refused(_), .. }) => Static("rejected"),
            MlMsg::Replicate { change } => Text(change.message_label.clone()),
            MlMsg::ReplicateAck { seq, .. } => Num("ack #", *seq),
            MlMsg::Follow { entry } => Text(entry.change.message_label.clone()),
            MlMsg::FollowAck { seq } => Num("applied ", *seq),
        }
    }
    fn op(&self) -> Option<OpId> {
        match self {
            MlMsg::Request(Request { op, .. }) | MlMsg::Reply(Reply { op, .. }) => Some(*op),
            MlMsg::Replicate { change } => Some(change.write),
            MlMsg::Follow { entry } => Some(entry.change.write),
            MlMsg::ReplicateAck { .. } | MlMsg::FollowAck { .. } => None,
        }
    }
}

/// What a leader's own write produced.
struct LocalWrite {
    version: String,
    assigned: Option<String>,
    unit: Sym,
    /// The write's version, shipped to the other leaders.
    item: Item,
    /// Whether a version this leader already held beat it (timestamp rules).
    lost_here: bool,
}

/// Entries of a leader's stream resent to a follower at once.
const FOLLOW_WINDOW: u64 = 32;

#[derive(Clone, Debug)]
pub enum MlTimer {
    Retry,
}

/// Which changes of one origin a leader has applied: a contiguous prefix plus stragglers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeqSet {
    pub prefix: u64,
    /// A B-tree: stragglers can pile up behind a gap for as long as it lasts.
    pub extra: std::collections::BTreeSet<u64>,
}

impl SeqSet {
    pub fn contains(&self, s: u64) -> bool {
        s <= self.prefix || self.extra.contains(&s)
    }
    pub fn insert(&mut self, s: u64) {
        if s <= self.prefix {
            return;
        }
        self.extra.insert(s);
        while self.extra.remove(&(self.prefix + 1)) {
            self.prefix += 1;
        }
    }
}

/// One line of a leader's change lane.
#[derive(Clone, Debug)]
pub struct LaneEntry {
    /// The change applied (shared with the messages that carried it).
    pub change: Rc<Change>,
    /// Lost in a conflict on this leader.
    pub discarded: bool,
}

#[derive(Clone, Debug)]
pub struct MlNode {
    pub id: NodeId,
    pub store: VecMap<Sym, Item>,
    pub seen: Vec<SeqSet>,
    /// Newest applied change per origin with its write, for the deps of local writes.
    pub latest: Vec<(u64, OpId)>,
    pub own_seq: u64,
    pub lane: PLog<LaneEntry>,
    /// Changes each neighbour has not acknowledged yet (a B-tree per neighbour: the backlog
    /// grows for as long as the neighbour is unreachable).
    pub outbound: VecMap<NodeId, std::collections::BTreeMap<(NodeId, u64), Rc<Change>>>,
    /// Neighbours believed dead after repair_topology (skipped in the ring).
    pub skipped: VecSet<NodeId>,
    pub held: Vec<Rc<Change>>,
    /// Last time each neighbour acknowledged anything (local clock).
    pub last_ack: VecMap<NodeId, SimTime>,
    /// Times of own changes (true time, for lag measurement only).
    pub own_times: PLog<SimTime>,
    /// A leader's stream to its followers, and how far each has applied it.
    pub follow_log: PLog<Rc<FollowEntry>>,
    pub follower_applied: VecMap<NodeId, u64>,
    /// How far the stream was last resent to each follower (go-back-N).
    pub follow_resent: VecMap<NodeId, u64>,
    /// The last timestamp this leader stamped (its timestamps never repeat).
    pub last_ts: u64,
    /// A follower: how far it has applied its leader's stream, and what arrived early.
    pub applied: u64,
    pub early: VecMap<u64, Rc<FollowEntry>>,
}

/// What a client keeps to route its requests: the leader it writes to.
#[derive(Clone, Debug)]
pub struct MlRoute {
    leader: NodeId,
}

#[derive(Clone, Debug)]
pub struct MultiLeader {
    pub cfg: MlConfig,
    /// Conflict unit of each key (its row under row detection).
    unit: VecMap<Sym, Sym>,
    kinds: VecMap<Sym, KeyKind>,
    /// Display name of each unit.
    unit_names: VecMap<Sym, String>,
    rules: Rules,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seqset_tracks_stragglers() {
        let mut s = SeqSet::default();
        s.insert(2);
        assert!(!s.contains(1) && s.contains(2));
        s.insert(1);
        assert_eq!(s.prefix, 2);
        assert!(s.extra.is_empty());
    }
}
