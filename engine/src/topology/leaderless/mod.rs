//! # Leaderless (Dynamo-style) replication
//!
//! No node is special. Keys are placed on a **consistent-hash ring**: every node owns several
//! points on it (virtual nodes), and a key's **preference list** is the distinct nodes met walking
//! clockwise from the key's hash. Its first N are the key's home replicas; the rest are stand-ins.
//!
//! A client sends each request to a **coordinator**: one of the key's home replicas, chosen at
//! random among those in the client's own region when there are any (as a token- and
//! datacenter-aware driver does), so that LOCAL_QUORUM never crosses an ocean.
//!
//! * **Write**: the coordinator builds the new version (its own version vector component bumped),
//!   stores it if it is a home replica, and sends it to the other home replicas. It answers the
//!   client once **W** replicas have acknowledged — and the write keeps travelling to all N anyway.
//! * **Read**: the coordinator asks the home replicas and answers once **R** have replied, with
//!   the newest version among them (or several concurrent ones: siblings). Merging replies that
//!   disagree is where a reader meets a conflict, and it is recorded as one.
//!
//! ## Quorum overlap, not consistency
//! If W + R > N, every read set shares at least one replica with every write set — pigeonhole —
//! so a read *after* a write completes meets a replica that has it. That is a statement about
//! overlap, and only about writes that completed before the read began. It says nothing about a
//! read concurrent with a write (two reads can see new-then-old: not linearizable), about a
//! write that failed on some replicas but landed on others, about concurrent writes (siblings or
//! last-write-wins discards), or about a **sloppy quorum**: when home replicas are unreachable,
//! writes land on stand-ins outside the home set, and a later read of the home replicas may
//! meet none of them. W + R ≤ N gives up even the overlap: fast, and stale by design.
//!
//! Consistency levels override R and W per operation: ONE, TWO, QUORUM (⌊N/2⌋+1), ALL, and with
//! regions LOCAL_QUORUM (a quorum of the home replicas in the coordinator's region) and
//! EACH_QUORUM (a quorum in every region).
//!
//! ## Versions
//! * `version_vectors` (the default): version vectors per key detect concurrent writes, kept as
//!   **siblings** and returned together; the next write through a coordinator that has seen them
//!   supersedes them (Riak, Dynamo's shopping cart).
//! * `lww`: as Cassandra does, every write carries the coordinator's timestamp (its own clock, in
//!   microseconds, never repeating on one coordinator) and each replica keeps the version with
//!   the highest timestamp — whatever the order the writes really happened in. A write that came
//!   later but was stamped by a clock running behind loses to the earlier write and is silently
//!   dropped, even by the replica that acknowledged it. Ties go to the higher coordinator id
//!   (Cassandra compares the values instead; either way every replica picks the same).
//! * `causal_lww`: vectors decide first (a write that follows another replaces it, whatever its
//!   timestamp); only concurrent versions are settled by the later timestamp (Riak with
//!   `allow_mult = false`).
//!
//! ## Getting replicas back in step
//! * **Read repair**: the coordinator writes the newest version back to replicas that answered
//!   with something older — before answering (`blocking`) or after (`background`). Only keys that
//!   are read get repaired.
//! * **Anti-entropy**: every `anti_entropy` interval each node compares a **Merkle tree** of the
//!   keys it shares with one peer: hashes of buckets of keys, combined pairwise up to a root.
//!   Equal roots mean nothing to do; otherwise only differing subtrees are followed down to the
//!   buckets, and only their keys are exchanged. This is what fixes cold keys nobody reads.
//! * **Hinted handoff**: a stand-in that accepted a write for an unreachable home replica keeps
//!   it with a hint and hands it over when the home node is back; until then reads of the home
//!   replicas do not see it.

use crate::annotate::{Annotation, MerkleRecord, QuorumRecord};
use crate::model::{ClientId, ClientOp, Completion, ConsistencyLevel, Endpoint, NodeId, Op, OpId, OpResult, Sym};
use crate::plog::PLog;
use crate::protocol::{Label, MessageMeta, NodeCtx, Protocol};
use crate::rng::stable_hash;
use crate::sorted::{VecMap, VecSet};
use crate::time::{Duration, SimTime};
use crate::topology::client::{self as clients, Answer, Client, Clients, Next, Pending, Reply, Request};
use crate::topology::versions::{
    canonical, compare, item_writes, read_item, vv_label, CounterRule, IdScheme, Item, Order, RegisterRule, Rules,
    SetRule, Stamp,
};
use crate::validate::{join, Problems, Validate};
use crate::view::{EntryState, EntryView, Lag, MsgKind, NodeView, Observation, Role};
use crate::vocab::{KeyKind, Names};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

mod client;
mod protocol;
mod quorums;
mod view;

// ---------------------------------------------------------------------------------------------
// Configuration

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadRepair {
    Off,
    Blocking,
    Background,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Versioning {
    /// Version vectors detect concurrent writes, kept as siblings (Riak, Dynamo).
    VersionVectors,
    /// The coordinator's timestamp alone decides, whatever the causal order (Cassandra).
    Lww,
    /// Version vectors detect concurrent writes; the later timestamp settles them (Riak with
    /// `allow_mult = false`).
    CausalLww,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlConfig {
    pub nodes: u32,
    pub placement: Vec<String>,
    /// Replicas per key.
    pub n: u32,
    pub w: u32,
    pub r: u32,
    /// Points on the ring per node.
    pub vnodes: u32,
    pub read_repair: ReadRepair,
    /// Interval between Merkle-tree exchanges; absent means off.
    pub anti_entropy: Option<Duration>,
    pub sloppy_quorum: bool,
    pub hinted_handoff: bool,
    pub versioning: Versioning,
    /// A coordinator gives up on a quorum after this long.
    pub request_timeout: Duration,
    /// With a sloppy quorum: how long to wait for a home replica before trying a stand-in.
    pub fallback_after: Duration,
    pub hint_interval: Duration,
    /// Leaves of each Merkle tree (a power of two).
    pub merkle_leaves: u32,
    /// Send writes to all N home replicas (false: only to the first W, as in the closed form of
    /// the staleness explorer).
    pub propagate_to_all: bool,
}

crate::scalar_enum!(ReadRepair: Off, Blocking, Background);
crate::scalar_enum!(Versioning: VersionVectors, Lww, CausalLww);
crate::overridable!(LlConfig {
    nodes,
    placement,
    n,
    w,
    r,
    vnodes,
    read_repair,
    anti_entropy,
    sloppy_quorum,
    hinted_handoff,
    versioning,
    request_timeout,
    fallback_after,
    hint_interval,
    merkle_leaves,
    propagate_to_all,
});

impl Default for LlConfig {
    fn default() -> Self {
        LlConfig {
            nodes: 3,
            placement: Vec::new(),
            n: 3,
            w: 2,
            r: 2,
            vnodes: 8,
            read_repair: ReadRepair::Background,
            anti_entropy: None,
            sloppy_quorum: false,
            hinted_handoff: true,
            versioning: Versioning::VersionVectors,
            request_timeout: Duration::from_secs(1),
            fallback_after: Duration::from_ms(200),
            hint_interval: Duration::from_secs(1),
            merkle_leaves: 8,
            propagate_to_all: true,
        }
    }
}

impl Validate for LlConfig {
    fn validate(&self, path: &str, p: &mut Problems) {
        p.range_u64(&join(path, "nodes"), self.nodes as u64, 1, crate::vocab::MAX_NODES as u64);
        let nodes = (self.nodes as u64).max(1);
        p.range_u64(&join(path, "n"), self.n as u64, 1, nodes);
        let n = (self.n as u64).clamp(1, nodes);
        p.range_u64(&join(path, "w"), self.w as u64, 1, n);
        p.range_u64(&join(path, "r"), self.r as u64, 1, n);
        p.range_u64(&join(path, "vnodes"), self.vnodes as u64, 1, 64);
        if let Some(d) = self.anti_entropy {
            p.range_duration(&join(path, "anti_entropy"), d.0, 100_000, 600_000_000);
        }
        p.range_duration(&join(path, "request_timeout"), self.request_timeout.0, 10_000, 60_000_000);
        p.range_duration(&join(path, "fallback_after"), self.fallback_after.0, 1_000, 60_000_000);
        p.range_duration(&join(path, "hint_interval"), self.hint_interval.0, 10_000, 60_000_000);
        if !self.merkle_leaves.is_power_of_two() || !(2..=64).contains(&self.merkle_leaves) {
            p.push(
                join(path, "merkle_leaves"),
                format!("{} is not allowed; use 2, 4, 8, 16, 32 or 64", self.merkle_leaves),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Placement

/// The consistent-hash ring: every node's virtual-node tokens, sorted.
#[derive(Clone, Debug, PartialEq)]
pub struct Ring {
    pub tokens: Vec<(u64, NodeId)>,
}

impl Ring {
    pub fn new(nodes: usize, vnodes: usize) -> Ring {
        let mut tokens: Vec<(u64, NodeId)> = (0..nodes)
            .flat_map(|n| (0..vnodes).map(move |v| (stable_hash(&("vnode", n as u64, v as u64)), NodeId(n as u8))))
            .collect();
        crate::sort::sort(&mut tokens);
        Ring { tokens }
    }

    pub fn key_position(name: &str) -> u64 {
        stable_hash(&("key", name))
    }

    /// Every node, in preference order for a key at `pos`.
    pub fn preference(&self, pos: u64) -> Vec<NodeId> {
        let start = self.tokens.partition_point(|(t, _)| *t < pos);
        let mut out: Vec<NodeId> = Vec::new();
        for i in 0..self.tokens.len() {
            let (_, n) = self.tokens[(start + i) % self.tokens.len()];
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Messages

#[derive(Clone, Debug)]
pub enum LlMsg {
    /// A client's operation, with the consistency level it asks for (else the scenario's).
    Request(Request<Option<ConsistencyLevel>>),
    /// The coordinator's answer, with the replicas that acknowledged or answered.
    Reply(Reply<Vec<NodeId>, QuorumFailed>),
    /// Store this version (from a coordinator, a read repair, or a stand-in for `hint`).
    Put {
        req: u64,
        key: Sym,
        item: Rc<Item>,
        write: OpId,
        hint: Option<NodeId>,
        repair: bool,
    },
    PutAck {
        req: u64,
        key: Sym,
    },
    Get {
        req: u64,
        key: Sym,
    },
    GetReply {
        req: u64,
        key: Sym,
        item: Option<Rc<Item>>,
    },
    Handoff {
        key: Sym,
        item: Rc<Item>,
        write: OpId,
    },
    HandoffAck {
        key: Sym,
        write: OpId,
    },
    MerkleTree {
        keys: Vec<Sym>,
        tree: Vec<u64>,
    },
    MerkleSync {
        items: Vec<(Sym, Rc<Item>)>,
        want: Vec<Sym>,
    },
    MerkleSyncBack {
        items: Vec<(Sym, Rc<Item>)>,
    },
}

impl MessageMeta for LlMsg {
    fn kind(&self) -> MsgKind {
        match self {
            LlMsg::Request(request) => request.kind(),
            LlMsg::Reply(reply) => reply.kind(),
            LlMsg::Get { .. } => MsgKind::Read,
            LlMsg::PutAck { .. } => MsgKind::Ack,
            LlMsg::GetReply { .. } => MsgKind::ReadReply,
            LlMsg::Put { repair: true, .. } => MsgKind::Repair,
            LlMsg::Put { hint: Some(_), .. } => MsgKind::Hint,
            LlMsg::Put { .. } => MsgKind::Replicate,
            LlMsg::Handoff { .. } | LlMsg::HandoffAck { .. } => MsgKind::Hint,
            LlMsg::MerkleTree { .. } | LlMsg::MerkleSync { .. } | LlMsg::MerkleSyncBack { .. } => MsgKind::AntiEntropy,
        }
    }

    fn label(&self) -> Label {
        use Label::*;
        match self {
            LlMsg::Request(Request { body: Op::Read { .. }, .. }) => Static("read"),
            LlMsg::Request(_) => Static("write"),
            LlMsg::Reply(Reply { answer: Answer::Written { .. }, said: acks, .. }) => {
                Num("ok, acks: ", acks.len() as u64)
            }
            LlMsg::Reply(Reply { answer: Answer::Read { .. }, .. }) => Static("value"),
            LlMsg::Reply(Reply { answer: Answer::Refused(failed), .. }) => {
                Label::text(format!("failed: {}", failed.reason))
            }
            LlMsg::Put { repair: true, .. } => Static("repair"),
            LlMsg::Put { hint: Some(h), .. } => Num("put, hint for n", h.0 as u64 + 1),
            LlMsg::Put { .. } => Static("put"),
            LlMsg::PutAck { .. } => Static("ack"),
            LlMsg::Get { .. } => Static("get"),
            LlMsg::GetReply { item: None, .. } => Static("not found"),
            LlMsg::GetReply { .. } => Static("version"),
            LlMsg::Handoff { .. } => Static("hinted handoff"),
            LlMsg::HandoffAck { .. } => Static("handoff ack"),
            LlMsg::MerkleTree { .. } => Static("merkle tree"),
            LlMsg::MerkleSync { items, .. } => Num("sync keys: ", items.len() as u64),
            LlMsg::MerkleSyncBack { items } => Num("sync keys: ", items.len() as u64),
        }
    }

    fn op(&self) -> Option<OpId> {
        match self {
            LlMsg::Request(Request { op, .. }) | LlMsg::Reply(Reply { op, .. }) => Some(*op),
            LlMsg::Put { write, .. } => Some(*write),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub enum LlTimer {
    RequestTimeout { req: u64 },
    Fallback { req: u64 },
    Hints,
    AntiEntropy,
    ClientRetry { op: OpId },
}

// ---------------------------------------------------------------------------------------------
// State

/// How many acknowledgements (or replies) a request needs, and from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    Count(usize),
    /// A quorum of the home replicas in one region.
    Local {
        region: usize,
        k: usize,
    },
    /// A quorum of the home replicas in every region that has some.
    Each(Vec<(usize, usize)>),
}

/// A read or write this node coordinates, from the client's request until its quorum answers
/// or it times out.
#[derive(Clone, Debug)]
struct Coordination {
    op: OpId,
    client: ClientId,
    key: Sym,
    write: bool,
    need: Need,
    home: Vec<NodeId>,
    /// Who has acknowledged (writes) or replied (reads).
    answered: VecSet<NodeId>,
    replies: VecMap<NodeId, Option<Rc<Item>>>,
    /// Stand-ins used, with the home replica each stands in for.
    stand_ins: VecMap<NodeId, NodeId>,
    item: Option<Rc<Item>>,
    version: String,
    done: bool,
    /// The merged result a read answered with (to repair late repliers against).
    answered_with: Option<Item>,
    repaired: VecSet<NodeId>,
    /// Blocking read repair: repairs still to be acknowledged before answering.
    awaiting_repair: VecSet<NodeId>,
    /// The conflicts between replies have been annotated (once per read).
    conflicts_noted: bool,
}

#[derive(Clone, Debug)]
pub struct Hint {
    pub home: NodeId,
    pub key: Sym,
    pub item: Rc<Item>,
    pub write: OpId,
}

#[derive(Clone, Debug)]
pub struct LaneEntry {
    pub key: Sym,
    /// The version stored (or, for a hint, held for another node).
    pub item: Rc<Item>,
    pub write: OpId,
    pub state: EntryState,
}

#[derive(Clone, Debug)]
pub struct LlNode {
    pub id: NodeId,
    /// Shared with the lane, with replies and with checkpoints: a version is never copied to
    /// be sent or kept, only when it is merged into something new.
    pub store: VecMap<Sym, Rc<Item>>,
    pub hints: Vec<Hint>,
    pub lane: PLog<LaneEntry>,
    requests: VecMap<u64, Coordination>,
    next_req: u64,
    next_peer: usize,
    writes: u64,
    /// The last timestamp this node stamped as a coordinator.
    last_ts: u64,
}

/// Why a coordinator gave up on an operation: too few replicas answered. `indeterminate`: a
/// write some replicas took, which may yet surface (the client records it as unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct QuorumFailed {
    pub reason: String,
    pub indeterminate: bool,
}

/// What a client keeps to route its requests.
#[derive(Clone, Debug)]
pub struct LlRoute {
    /// Index in the preference list of the first coordinator tried for the pending operation.
    first: usize,
}

#[derive(Clone, Debug)]
pub struct Leaderless {
    pub cfg: LlConfig,
    rules: Rules,
    kinds: VecMap<Sym, KeyKind>,
    /// Full preference order of every key.
    pref: VecMap<Sym, Vec<NodeId>>,
    node_region: Vec<usize>,
    pub ring: Ring,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_preference_lists_are_permutations() {
        let ring = Ring::new(5, 8);
        for name in ["a", "b", "profile", "k0", "k17"] {
            let p = ring.preference(Ring::key_position(name));
            let mut sorted = p.clone();
            crate::sort::sort(&mut sorted);
            assert_eq!(sorted, (0..5).map(NodeId).collect::<Vec<_>>(), "{name}");
        }
        // Different keys start at different nodes.
        let firsts: VecSet<NodeId> =
            (0..40).map(|i| ring.preference(Ring::key_position(&format!("k{i}")))[0]).collect();
        assert!(firsts.len() >= 4, "{firsts:?}");
    }
}
