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
use crate::model::{
    ClientId, ClientOp, Completion, ConsistencyLevel, Endpoint, NodeId, Op, OpId, OpResult, ReadValue, Sym,
};
use crate::plog::PLog;
use crate::protocol::{Label, MessageMeta, NodeCtx, Protocol};
use crate::rng::stable_hash;
use crate::time::{Duration, SimTime};
use crate::topology::versions::{
    canonical, compare, item_writes, read_item, vv_label, CounterRule, IdScheme, Item, Order, RegisterRule, Rules,
    SetRule, Stamp,
};
use crate::validate::{join, Problems, Validate};
use crate::view::{EntryState, EntryView, Lag, MsgKind, NodeView, Observation, Role};
use crate::vocab::{KeyKind, Names};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

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
    ClientWrite {
        op: OpId,
        body: Op,
        cl: Option<ConsistencyLevel>,
    },
    ClientRead {
        op: OpId,
        key: Sym,
        cl: Option<ConsistencyLevel>,
    },
    WriteOk {
        op: OpId,
        version: String,
        acks: Vec<NodeId>,
    },
    ReadOk {
        op: OpId,
        value: ReadValue,
        from: Vec<NodeId>,
    },
    Failed {
        op: OpId,
        reason: String,
        indeterminate: bool,
    },
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
            LlMsg::ClientWrite { .. } => MsgKind::Write,
            LlMsg::ClientRead { .. } | LlMsg::Get { .. } => MsgKind::Read,
            LlMsg::WriteOk { .. } | LlMsg::Failed { .. } | LlMsg::PutAck { .. } => MsgKind::Ack,
            LlMsg::ReadOk { .. } | LlMsg::GetReply { .. } => MsgKind::ReadReply,
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
            LlMsg::ClientWrite { .. } => Static("write"),
            LlMsg::ClientRead { .. } => Static("read"),
            LlMsg::WriteOk { acks, .. } => Num("ok, acks: ", acks.len() as u64),
            LlMsg::ReadOk { .. } => Static("value"),
            LlMsg::Failed { reason, .. } => Label::text(format!("failed: {reason}")),
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
            LlMsg::ClientWrite { op, .. }
            | LlMsg::ClientRead { op, .. }
            | LlMsg::WriteOk { op, .. }
            | LlMsg::ReadOk { op, .. }
            | LlMsg::Failed { op, .. } => Some(*op),
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

#[derive(Clone, Debug)]
struct Request {
    op: OpId,
    client: ClientId,
    key: Sym,
    write: bool,
    need: Need,
    home: Vec<NodeId>,
    /// Who has acknowledged (writes) or replied (reads).
    answered: BTreeSet<NodeId>,
    replies: BTreeMap<NodeId, Option<Rc<Item>>>,
    /// Stand-ins used, with the home replica each stands in for.
    stand_ins: BTreeMap<NodeId, NodeId>,
    item: Option<Rc<Item>>,
    version: String,
    done: bool,
    /// The merged result a read answered with (to repair late repliers against).
    answered_with: Option<Item>,
    repaired: BTreeSet<NodeId>,
    /// Blocking read repair: repairs still to be acknowledged before answering.
    awaiting_repair: BTreeSet<NodeId>,
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
    pub store: BTreeMap<Sym, Rc<Item>>,
    pub hints: Vec<Hint>,
    pub lane: PLog<LaneEntry>,
    requests: BTreeMap<u64, Request>,
    next_req: u64,
    next_peer: usize,
    writes: u64,
    /// The last timestamp this node stamped as a coordinator.
    last_ts: u64,
}

#[derive(Clone, Debug)]
pub struct LlClient {
    id: ClientId,
    pending: Option<(ClientOp, u32)>,
    /// Index in the preference list of the first coordinator tried for the pending operation.
    first: usize,
}

#[derive(Clone, Debug)]
pub struct Leaderless {
    pub cfg: LlConfig,
    rules: Rules,
    kinds: BTreeMap<Sym, KeyKind>,
    /// Full preference order of every key.
    pref: BTreeMap<Sym, Vec<NodeId>>,
    node_region: Vec<usize>,
    pub ring: Ring,
}

impl Leaderless {
    /// A cluster for the keys `names` interns, each holding the kind of data `kinds` says, with
    /// its nodes placed in the regions `node_region` gives.
    pub fn new(cfg: LlConfig, names: &Names, kinds: BTreeMap<Sym, KeyKind>, node_region: &[usize]) -> Self {
        let ring = Ring::new(cfg.nodes as usize, cfg.vnodes as usize);
        let pref = names
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| (Sym(i as u16), ring.preference(Ring::key_position(name))))
            .collect();
        let rules = Rules {
            register: match cfg.versioning {
                Versioning::VersionVectors => RegisterRule::Siblings,
                Versioning::Lww => RegisterRule::LwwNodeId,
                Versioning::CausalLww => RegisterRule::CausalLww,
            },
            counter: CounterRule::PnCounter,
            set: SetRule::OrSet,
            ids: IdScheme::Uuid,
            n: cfg.nodes as usize,
            names: names.clone(),
        };
        Leaderless { cfg, rules, kinds, pref, node_region: node_region.to_vec(), ring }
    }

    fn n(&self) -> usize {
        self.cfg.n as usize
    }

    pub fn preference(&self, key: Sym) -> &[NodeId] {
        self.pref.get(&key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn home(&self, key: Sym) -> Vec<NodeId> {
        self.preference(key).iter().take(self.n()).copied().collect()
    }

    fn is_home(&self, key: Sym, node: NodeId) -> bool {
        self.preference(key).iter().take(self.n()).any(|n| *n == node)
    }

    fn quorum(k: usize) -> usize {
        k / 2 + 1
    }

    fn need(&self, cl: Option<ConsistencyLevel>, default: u32, home: &[NodeId], coordinator: NodeId) -> Need {
        let n = home.len();
        let region_of = |x: &NodeId| self.node_region.get(x.0 as usize).copied().unwrap_or(0);
        match cl {
            None => Need::Count(default as usize),
            Some(ConsistencyLevel::One) => Need::Count(1),
            Some(ConsistencyLevel::Two) => Need::Count(2.min(n)),
            Some(ConsistencyLevel::Quorum) => Need::Count(Self::quorum(n)),
            Some(ConsistencyLevel::All) => Need::Count(n),
            Some(ConsistencyLevel::LocalQuorum) => {
                let region = region_of(&coordinator);
                let local = home.iter().filter(|h| region_of(h) == region).count();
                Need::Local { region, k: Self::quorum(local.max(1)) }
            }
            Some(ConsistencyLevel::EachQuorum) => {
                let mut per: BTreeMap<usize, usize> = BTreeMap::new();
                for h in home {
                    *per.entry(region_of(h)).or_default() += 1;
                }
                Need::Each(per.into_iter().map(|(r, c)| (r, Self::quorum(c))).collect())
            }
        }
    }

    fn satisfied(&self, need: &Need, answered: &BTreeSet<NodeId>, stand_ins: &BTreeMap<NodeId, NodeId>) -> bool {
        // A stand-in counts for the region of the home replica it stands in for.
        let region_of = |x: &NodeId| {
            let home = stand_ins.get(x).unwrap_or(x);
            self.node_region.get(home.0 as usize).copied().unwrap_or(0)
        };
        match need {
            Need::Count(k) => answered.len() >= *k,
            Need::Local { region, k } => answered.iter().filter(|a| region_of(a) == *region).count() >= *k,
            Need::Each(list) => list.iter().all(|(r, k)| answered.iter().filter(|a| region_of(a) == *r).count() >= *k),
        }
    }

    fn need_label(need: &Need) -> String {
        match need {
            Need::Count(k) => k.to_string(),
            Need::Local { k, .. } => format!("{k} local"),
            Need::Each(list) => list.iter().map(|(_, k)| k.to_string()).collect::<Vec<_>>().join("+"),
        }
    }

    fn kind_of(&self, key: Sym) -> KeyKind {
        self.kinds.get(&key).copied().unwrap_or(KeyKind::Register)
    }

    /// Merges a version into this replica, recording conflicts; returns true if anything changed.
    fn store(
        &self,
        node: &mut LlNode,
        ctx: &mut NodeCtx<Self>,
        key: Sym,
        item: &Item,
        write: OpId,
        origin: NodeId,
    ) -> bool {
        let merged = match node.store.get(&key) {
            None => item.clone(),
            Some(local) => {
                let (merged, record) = self.rules.resolve(node.id, key, local, item, write, origin);
                if let Some(r) = record {
                    ctx.annotate(Annotation::Conflict(r));
                }
                merged
            }
        };
        let changed = node.store.get(&key).map(|i| &**i) != Some(&merged);
        if changed {
            // The lane keeps the version itself; its label is formatted only when drawn.
            let merged = Rc::new(merged);
            node.lane.push(LaneEntry { key, item: merged.clone(), write, state: EntryState::Applied });
            node.store.insert(key, merged);
        }
        changed
    }

    /// Drops a request once it is answered and every replica it asked has replied: nothing more
    /// can happen to it, and keeping it would only make checkpoints bigger.
    fn forget_if_settled(&self, node: &mut LlNode, req_id: u64) {
        let Some(r) = node.requests.get(&req_id) else { return };
        let expected = r.home.len() + r.stand_ins.len();
        let heard = if r.write { r.answered.len() } else { r.replies.len() };
        if r.done && r.awaiting_repair.is_empty() && heard >= expected {
            node.requests.remove(&req_id);
        }
    }

    fn merged_of(&self, me: NodeId, key: Sym, items: &[&Item]) -> Option<Item> {
        self.merged_noting(me, key, items, &mut Vec::new())
    }

    /// Merges the replies of a read; conflicts found between them (concurrent versions kept as
    /// siblings, sets merged, last-write-wins verdicts) are added to `conflicts`.
    fn merged_noting(
        &self,
        me: NodeId,
        key: Sym,
        items: &[&Item],
        conflicts: &mut Vec<crate::annotate::ConflictRecord>,
    ) -> Option<Item> {
        let mut acc: Option<Item> = None;
        for it in items {
            acc = Some(match acc {
                None => (*it).clone(),
                Some(a) => {
                    let (m, record) = self.rules.resolve(me, key, &a, it, 0, me);
                    conflicts.extend(record);
                    m
                }
            });
        }
        acc
    }

    fn reply_read(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, req_id: u64) {
        let Some(req) = node.requests.get_mut(&req_id) else { return };
        let refs: Vec<&Item> = req.replies.values().filter_map(|i| i.as_deref()).collect();
        // The coordinator resolves what the replicas disagree on before answering: that is where
        // a reader meets a conflict (the client then sees siblings, a merged set, or one winner).
        let mut conflicts = Vec::new();
        let merged = self.merged_noting(node.id, req.key, &refs, &mut conflicts);
        req.conflicts_noted |= !conflicts.is_empty();
        let value = read_item(merged.as_ref(), req.key, self.kind_of(req.key));
        let from: Vec<NodeId> = req.answered.iter().copied().collect();
        let version_of = |i: &Option<Rc<Item>>| match i.as_deref() {
            None => "nothing".to_string(),
            Some(Item::Register(v)) if !v.is_empty() => {
                v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | ")
            }
            Some(other) => self.rules.item_label(other, &self.rules.names),
        };
        let target = merged.as_ref().map(canonical);
        let record = QuorumRecord {
            op: req.op,
            key: req.key,
            write: false,
            coordinator: node.id,
            need: Self::need_label(&req.need),
            home: req.home.clone(),
            answered: req.replies.iter().map(|(n, i)| (*n, version_of(i))).collect(),
            stand_ins: Vec::new(),
            stale: req.replies.iter().filter(|(_, i)| i.as_deref().map(canonical) != target).map(|(n, _)| *n).collect(),
            result: merged
                .as_ref()
                .map(|m| self.rules.item_label(m, &self.rules.names))
                .unwrap_or_else(|| "nothing".into()),
        };
        req.done = true;
        ctx.send(req.client, LlMsg::ReadOk { op: req.op, value, from });
        ctx.set_timer(self.cfg.request_timeout.0, LlTimer::RequestTimeout { req: req_id });
        ctx.annotate(Annotation::Quorum(record));
        for c in conflicts {
            ctx.annotate(Annotation::Conflict(c));
        }
    }

    /// Sends the newest version to every replica that answered with something older.
    fn read_repair(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, req_id: u64) -> BTreeSet<NodeId> {
        let me = node.id;
        let Some(req) = node.requests.get_mut(&req_id) else { return BTreeSet::new() };
        let refs: Vec<&Item> = req.replies.values().filter_map(|i| i.as_deref()).collect();
        let mut conflicts = Vec::new();
        let Some(merged) = self.merged_noting(me, req.key, &refs, &mut conflicts) else { return BTreeSet::new() };
        let target = canonical(&merged);
        let mut stale = BTreeSet::new();
        for (n, item) in &req.replies {
            let behind = match item {
                None => true,
                Some(i) if **i == merged => false,
                Some(i) => canonical(i) != target || !matches!(self.item_order(i, &merged), Order::Equal),
            };
            if behind && !req.repaired.contains(n) {
                stale.insert(*n);
            }
        }
        if stale.is_empty() {
            return stale;
        }
        // Replies that disagreed are reconciled here, in the background, when the read itself was
        // answered before they arrived (R smaller than N).
        if !req.conflicts_noted && !conflicts.is_empty() {
            req.conflicts_noted = true;
            for c in conflicts {
                ctx.annotate(Annotation::Conflict(c));
            }
        }
        let item = Rc::new(merged.clone());
        for n in &stale {
            req.repaired.insert(*n);
            if *n == me {
                continue;
            }
            ctx.send(
                *n,
                LlMsg::Put { req: req_id, key: req.key, item: item.clone(), write: req.op, hint: None, repair: true },
            );
        }
        req.answered_with = Some(merged.clone());
        let (key, op) = (req.key, req.op);
        ctx.annotate(Annotation::ReadRepair { coordinator: me, key, repaired: stale.iter().copied().collect(), op });
        if stale.contains(&me) {
            self.store(node, ctx, key, &merged, op, me);
        }
        stale
    }

    /// Orders two items by version vector where they have one.
    fn item_order(&self, a: &Item, b: &Item) -> Order {
        match (a, b) {
            (Item::Register(x), Item::Register(y)) => {
                let vx = x.iter().fold(vec![0; self.rules.n], |acc, v| crate::topology::versions::vv_max(&acc, &v.vv));
                let vy = y.iter().fold(vec![0; self.rules.n], |acc, v| crate::topology::versions::vv_max(&acc, &v.vv));
                compare(&vx, &vy)
            }
            (Item::Pn { p: px, n: nx }, Item::Pn { p: py, n: ny }) => match (compare(px, py), compare(nx, ny)) {
                (Order::Equal, o) | (o, Order::Equal) => o,
                (a, b) if a == b => a,
                _ => Order::Concurrent,
            },
            _ => {
                if canonical(a) == canonical(b) {
                    Order::Equal
                } else {
                    Order::Concurrent
                }
            }
        }
    }

    fn merkle_keys(&self, a: NodeId, b: NodeId) -> Vec<Sym> {
        let mut keys: Vec<Sym> =
            self.pref.keys().copied().filter(|k| self.is_home(*k, a) && self.is_home(*k, b)).collect();
        crate::sort::sort(&mut keys);
        keys
    }

    fn leaf_of(&self, key: Sym) -> usize {
        (stable_hash(&("leaf", key.0 as u64)) % self.cfg.merkle_leaves as u64) as usize
    }

    /// A Merkle tree in heap order (index 0 is the root; children of i are 2i+1 and 2i+2).
    pub fn merkle_tree(&self, node: &LlNode, keys: &[Sym]) -> Vec<u64> {
        let leaves = self.cfg.merkle_leaves as usize;
        let mut leaf_items: Vec<Vec<(Sym, u64)>> = vec![Vec::new(); leaves];
        for k in keys {
            let v = node.store.get(k).map(|i| canonical(i)).unwrap_or(0);
            leaf_items[self.leaf_of(*k)].push((*k, v));
        }
        let mut tree = vec![0u64; 2 * leaves - 1];
        for (i, items) in leaf_items.iter().enumerate() {
            tree[leaves - 1 + i] = stable_hash(items);
        }
        for i in (0..leaves - 1).rev() {
            tree[i] = stable_hash(&(tree[2 * i + 1], tree[2 * i + 2]));
        }
        tree
    }

    /// Walks two trees from the root, following only differing subtrees; returns the differing
    /// tree nodes and the leaves reached.
    pub fn merkle_diff(&self, a: &[u64], b: &[u64]) -> (Vec<u32>, Vec<usize>) {
        let leaves = self.cfg.merkle_leaves as usize;
        let mut differing = Vec::new();
        let mut leaf_hits = Vec::new();
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            if i >= a.len() || a[i] == b[i] {
                continue;
            }
            differing.push(i as u32);
            if i >= leaves - 1 {
                leaf_hits.push(i - (leaves - 1));
            } else {
                stack.push(2 * i + 2);
                stack.push(2 * i + 1);
            }
        }
        crate::sort::sort(&mut differing);
        crate::sort::sort(&mut leaf_hits);
        (differing, leaf_hits)
    }

    fn coordinate_write(
        &self,
        node: &mut LlNode,
        ctx: &mut NodeCtx<Self>,
        client: ClientId,
        op: OpId,
        body: Op,
        cl: Option<ConsistencyLevel>,
    ) {
        let Some(key) = body.key() else {
            ctx.send(
                client,
                LlMsg::Failed {
                    op,
                    reason: "delete_all is modelled in the leader-follower pane only".into(),
                    indeterminate: false,
                },
            );
            return;
        };
        let home = self.home(key);
        let need = self.need(cl, self.cfg.w, &home, node.id);
        node.writes += 1;
        // The coordinator's clock, in microseconds, never repeating (Cassandra's coordinator
        // timestamps): a clock running behind stamps writes that lose to earlier ones.
        let ts = ctx.local_clock.max(node.last_ts + 1);
        node.last_ts = ts;
        let stamp =
            Stamp { me: node.id, ts, at: ctx.now, tag: (node.writes << 8) | node.id.0 as u64, floor: node.writes };
        let (item, version, _) =
            self.rules.write_item(node.store.get(&key).map(|i| &**i), op, &body, &stamp, &mut ctx.entropy);
        let item = Rc::new(item);
        node.next_req += 1;
        let req_id = node.next_req;
        let mut req = Request {
            op,
            client,
            key,
            write: true,
            need,
            home: home.clone(),
            answered: BTreeSet::new(),
            replies: BTreeMap::new(),
            stand_ins: BTreeMap::new(),
            item: Some(item.clone()),
            version,
            done: false,
            answered_with: None,
            repaired: BTreeSet::new(),
            awaiting_repair: BTreeSet::new(),
            conflicts_noted: false,
        };
        let targets: Vec<NodeId> = if self.cfg.propagate_to_all {
            home.clone()
        } else {
            let k = match &req.need {
                Need::Count(k) => *k,
                _ => home.len(),
            };
            home.iter().take(k).copied().collect()
        };
        for h in &targets {
            if *h == node.id {
                self.store(node, ctx, key, &item, op, node.id);
                req.answered.insert(node.id);
            } else {
                ctx.send(*h, LlMsg::Put { req: req_id, key, item: item.clone(), write: op, hint: None, repair: false });
            }
        }
        node.requests.insert(req_id, req);
        ctx.set_timer(self.cfg.request_timeout.0, LlTimer::RequestTimeout { req: req_id });
        if self.cfg.sloppy_quorum {
            ctx.set_timer(self.cfg.fallback_after.0, LlTimer::Fallback { req: req_id });
        }
        self.check_write(node, ctx, req_id);
    }

    fn check_write(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, req_id: u64) {
        let Some(req) = node.requests.get(&req_id) else { return };
        if req.done || !self.satisfied(&req.need, &req.answered, &req.stand_ins) {
            return;
        }
        let req = node.requests.get_mut(&req_id).expect("request");
        req.done = true;
        ctx.annotate(Annotation::Quorum(QuorumRecord {
            op: req.op,
            key: req.key,
            write: true,
            coordinator: node.id,
            need: Self::need_label(&req.need),
            home: req.home.clone(),
            answered: req.answered.iter().map(|n| (*n, req.version.clone())).collect(),
            stand_ins: req.stand_ins.iter().map(|(s, h)| (*s, *h)).collect(),
            stale: Vec::new(),
            result: "ok".into(),
        }));
        let mut c_version = req.version.clone();
        if !req.stand_ins.is_empty() {
            c_version.push_str(" (sloppy)");
        }
        ctx.send(
            req.client,
            LlMsg::WriteOk { op: req.op, version: c_version, acks: req.answered.iter().copied().collect() },
        );
    }

    fn coordinate_read(
        &self,
        node: &mut LlNode,
        ctx: &mut NodeCtx<Self>,
        client: ClientId,
        op: OpId,
        key: Sym,
        cl: Option<ConsistencyLevel>,
    ) {
        let home = self.home(key);
        let need = self.need(cl, self.cfg.r, &home, node.id);
        node.next_req += 1;
        let req_id = node.next_req;
        let mut req = Request {
            op,
            client,
            key,
            write: false,
            need,
            home: home.clone(),
            answered: BTreeSet::new(),
            replies: BTreeMap::new(),
            stand_ins: BTreeMap::new(),
            item: None,
            version: String::new(),
            done: false,
            answered_with: None,
            repaired: BTreeSet::new(),
            awaiting_repair: BTreeSet::new(),
            conflicts_noted: false,
        };
        for h in &home {
            if *h == node.id {
                req.answered.insert(node.id);
                req.replies.insert(node.id, node.store.get(&key).cloned());
            } else {
                ctx.send(*h, LlMsg::Get { req: req_id, key });
            }
        }
        node.requests.insert(req_id, req);
        ctx.set_timer(self.cfg.request_timeout.0, LlTimer::RequestTimeout { req: req_id });
        self.check_read(node, ctx, req_id);
    }

    fn check_read(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, req_id: u64) {
        let Some(req) = node.requests.get(&req_id) else { return };
        if req.done {
            // A late reply: repair it in the background.
            if self.cfg.read_repair != ReadRepair::Off {
                self.read_repair(node, ctx, req_id);
            }
            return;
        }
        if !req.awaiting_repair.is_empty() {
            return;
        }
        if !self.satisfied(&req.need, &req.answered, &req.stand_ins) {
            return;
        }
        match self.cfg.read_repair {
            ReadRepair::Off => self.reply_read(node, ctx, req_id),
            ReadRepair::Background => {
                self.reply_read(node, ctx, req_id);
                self.read_repair(node, ctx, req_id);
            }
            ReadRepair::Blocking => {
                let me = node.id;
                let mut stale = self.read_repair(node, ctx, req_id);
                stale.remove(&me);
                if stale.is_empty() {
                    self.reply_read(node, ctx, req_id);
                } else if let Some(r) = node.requests.get_mut(&req_id) {
                    r.awaiting_repair = stale;
                }
            }
        }
    }
}

impl Protocol for Leaderless {
    type Node = LlNode;
    type Client = LlClient;
    type Msg = LlMsg;
    type Timer = LlTimer;

    fn init_node(&self, id: NodeId, ctx: &mut NodeCtx<Self>) -> LlNode {
        ctx.set_timer(self.cfg.hint_interval.0, LlTimer::Hints);
        if let Some(ae) = self.cfg.anti_entropy {
            // Stagger the nodes so that exchanges do not all start at once.
            let offset = ae.0 * (id.0 as u64 + 1) / (self.cfg.nodes as u64 + 1);
            ctx.set_timer(offset.max(1), LlTimer::AntiEntropy);
        }
        LlNode {
            id,
            store: BTreeMap::new(),
            hints: Vec::new(),
            lane: PLog::new(),
            requests: BTreeMap::new(),
            next_req: 0,
            next_peer: id.0 as usize,
            writes: 0,
            last_ts: 0,
        }
    }

    fn init_client(&self, id: ClientId, _ctx: &mut NodeCtx<Self>) -> LlClient {
        LlClient { id, pending: None, first: 0 }
    }

    fn on_message(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: LlMsg) {
        match (from, msg) {
            (Endpoint::Client(c), LlMsg::ClientWrite { op, body, cl }) => {
                ctx.contacted(op, node.id);
                self.coordinate_write(node, ctx, c, op, body, cl);
            }
            (Endpoint::Client(c), LlMsg::ClientRead { op, key, cl }) => {
                ctx.contacted(op, node.id);
                self.coordinate_read(node, ctx, c, op, key, cl);
            }
            (Endpoint::Node(f), LlMsg::Put { req, key, item, write, hint, repair }) => {
                match hint {
                    Some(home) => {
                        ctx.annotate(Annotation::HintStored { holder: node.id, home, key, write });
                        node.hints.push(Hint { home, key, item: item.clone(), write });
                        node.lane.push(LaneEntry { key, item: item.clone(), write, state: EntryState::Pending });
                    }
                    None => {
                        self.store(node, ctx, key, &item, write, f);
                    }
                }
                let _ = repair;
                ctx.send(f, LlMsg::PutAck { req, key });
            }
            (Endpoint::Node(f), LlMsg::PutAck { req, .. }) => {
                let Some(r) = node.requests.get_mut(&req) else { return };
                if r.write {
                    r.answered.insert(f);
                    let (op, _) = (r.op, ());
                    ctx.contacted(op, f);
                    self.check_write(node, ctx, req);
                } else if r.awaiting_repair.remove(&f) && r.awaiting_repair.is_empty() && !r.done {
                    self.reply_read(node, ctx, req);
                }
                self.forget_if_settled(node, req);
            }
            (Endpoint::Node(f), LlMsg::Get { req, key }) => {
                ctx.send(f, LlMsg::GetReply { req, key, item: node.store.get(&key).cloned() });
            }
            (Endpoint::Node(f), LlMsg::GetReply { req, item, .. }) => {
                let Some(r) = node.requests.get_mut(&req) else { return };
                r.answered.insert(f);
                r.replies.insert(f, item);
                let op = r.op;
                ctx.contacted(op, f);
                self.check_read(node, ctx, req);
                self.forget_if_settled(node, req);
            }
            (Endpoint::Node(f), LlMsg::Handoff { key, item, write }) => {
                self.store(node, ctx, key, &item, write, f);
                ctx.send(f, LlMsg::HandoffAck { key, write });
            }
            (Endpoint::Node(f), LlMsg::HandoffAck { key, write }) => {
                let before = node.hints.len();
                node.hints.retain(|h| !(h.home == f && h.key == key && h.write == write));
                if node.hints.len() < before {
                    ctx.annotate(Annotation::HintDelivered { holder: node.id, home: f, key, write });
                }
            }
            (Endpoint::Node(f), LlMsg::MerkleTree { keys, tree }) => {
                let mine = self.merkle_tree(node, &keys);
                let (differing, leaves) = self.merkle_diff(&tree, &mine);
                let leaf_keys: Vec<Vec<Sym>> = {
                    let mut lk = vec![Vec::new(); self.cfg.merkle_leaves as usize];
                    for k in &keys {
                        lk[self.leaf_of(*k)].push(*k);
                    }
                    lk
                };
                let candidates: Vec<Sym> = leaves.iter().flat_map(|l| leaf_keys[*l].iter().copied()).collect();
                ctx.annotate(Annotation::AntiEntropy(MerkleRecord {
                    a: f,
                    b: node.id,
                    tree_a: tree.clone(),
                    tree_b: mine,
                    differing,
                    keys_synced: candidates.clone(),
                    leaf_keys,
                }));
                if candidates.is_empty() {
                    return;
                }
                let items: Vec<(Sym, Rc<Item>)> =
                    candidates.iter().filter_map(|k| node.store.get(k).map(|i| (*k, i.clone()))).collect();
                ctx.send(f, LlMsg::MerkleSync { items, want: candidates });
            }
            (Endpoint::Node(f), LlMsg::MerkleSync { items, want }) => {
                for (k, item) in &items {
                    self.store(node, ctx, *k, item, 0, f);
                }
                let back: Vec<(Sym, Rc<Item>)> =
                    want.iter().filter_map(|k| node.store.get(k).map(|i| (*k, i.clone()))).collect();
                if !back.is_empty() {
                    ctx.send(f, LlMsg::MerkleSyncBack { items: back });
                }
            }
            (Endpoint::Node(f), LlMsg::MerkleSyncBack { items }) => {
                for (k, item) in &items {
                    self.store(node, ctx, *k, item, 0, f);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, timer: LlTimer) {
        match timer {
            LlTimer::RequestTimeout { req } => {
                let Some(r) = node.requests.get(&req) else { return };
                if !r.done {
                    let got = if r.write { r.answered.len() } else { r.answered.len() };
                    let needed = Self::need_label(&r.need);
                    let what = if r.write { "acknowledged" } else { "answered" };
                    ctx.annotate(Annotation::QuorumFailed {
                        op: r.op,
                        needed: match &r.need {
                            Need::Count(k) => *k as u32,
                            _ => 0,
                        },
                        got: got as u32,
                    });
                    ctx.send(
                        r.client,
                        LlMsg::Failed {
                            op: r.op,
                            reason: format!("only {got} replicas {what}; {needed} needed"),
                            indeterminate: r.write && got > 0,
                        },
                    );
                }
                node.requests.remove(&req);
            }
            LlTimer::Fallback { req } => {
                let Some(r) = node.requests.get(&req) else { return };
                if r.done || !r.write {
                    return;
                }
                let missing: Vec<NodeId> = r.home.iter().filter(|h| !r.answered.contains(h)).copied().collect();
                let used: BTreeSet<NodeId> = r.stand_ins.keys().copied().collect();
                let mut candidates = self
                    .preference(r.key)
                    .iter()
                    .skip(self.n())
                    .filter(|c| !used.contains(c))
                    .copied()
                    .collect::<Vec<_>>();
                let (key, op, item) = (r.key, r.op, r.item.clone());
                let mut new_stand_ins = Vec::new();
                for home in missing {
                    if candidates.is_empty() {
                        break;
                    }
                    let stand_in = candidates.remove(0);
                    new_stand_ins.push((stand_in, home));
                }
                let Some(item) = item else { return };
                for (stand_in, home) in new_stand_ins {
                    ctx.annotate(Annotation::SloppyWrite { key, home, stand_in, op });
                    if stand_in == node.id {
                        node.hints.push(Hint { home, key, item: item.clone(), write: op });
                        ctx.annotate(Annotation::HintStored { holder: node.id, home, key, write: op });
                        if let Some(r) = node.requests.get_mut(&req) {
                            r.answered.insert(node.id);
                            r.stand_ins.insert(node.id, home);
                        }
                    } else {
                        if let Some(r) = node.requests.get_mut(&req) {
                            r.stand_ins.insert(stand_in, home);
                        }
                        ctx.send(
                            stand_in,
                            LlMsg::Put { req, key, item: item.clone(), write: op, hint: Some(home), repair: false },
                        );
                    }
                }
                self.check_write(node, ctx, req);
            }
            LlTimer::Hints => {
                if self.cfg.hinted_handoff {
                    for h in node.hints.iter().take(32) {
                        ctx.send(h.home, LlMsg::Handoff { key: h.key, item: h.item.clone(), write: h.write });
                    }
                }
                ctx.set_timer(self.cfg.hint_interval.0, LlTimer::Hints);
            }
            LlTimer::AntiEntropy => {
                let nodes = self.cfg.nodes as usize;
                if nodes > 1 {
                    // Round-robin over peers that share keys with this node.
                    for _ in 0..nodes {
                        node.next_peer = (node.next_peer + 1) % nodes;
                        let peer = NodeId(node.next_peer as u8);
                        if peer == node.id {
                            continue;
                        }
                        let keys = self.merkle_keys(node.id, peer);
                        if keys.is_empty() {
                            continue;
                        }
                        let tree = self.merkle_tree(node, &keys);
                        ctx.send(peer, LlMsg::MerkleTree { keys, tree });
                        break;
                    }
                }
                if let Some(ae) = self.cfg.anti_entropy {
                    ctx.set_timer(ae.0, LlTimer::AntiEntropy);
                }
            }
            LlTimer::ClientRetry { .. } => {}
        }
    }

    fn on_crash(&self, node: &mut LlNode) {
        // The store and hints are durable; requests in flight are forgotten.
        node.requests.clear();
    }

    fn on_restart(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>) {
        ctx.set_timer(self.cfg.hint_interval.0, LlTimer::Hints);
        if let Some(ae) = self.cfg.anti_entropy {
            ctx.set_timer(ae.0, LlTimer::AntiEntropy);
        }
        let _ = node;
    }

    fn client_invoke(&self, client: &mut LlClient, ctx: &mut NodeCtx<Self>, op: &ClientOp) {
        client.pending = Some((op.clone(), 0));
        self.client_send(client, ctx);
    }

    fn client_on_message(&self, client: &mut LlClient, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: LlMsg) {
        let Some(n) = from.node() else { return };
        let Some((p, _)) = client.pending.clone() else { return };
        match msg {
            LlMsg::WriteOk { op, version, .. } if op == p.id => {
                client.pending = None;
                ctx.complete(Completion::new(op, OpResult::Written).by(n).version(version));
            }
            LlMsg::ReadOk { op, value, .. } if op == p.id => {
                client.pending = None;
                ctx.complete(Completion::new(op, OpResult::Read(value)).by(n));
            }
            LlMsg::Failed { op, reason, indeterminate } if op == p.id => {
                client.pending = None;
                let result = if indeterminate { OpResult::Info(reason) } else { OpResult::Fail(reason) };
                ctx.complete(Completion::new(op, result).by(n));
            }
            _ => {}
        }
    }

    fn client_on_timer(&self, client: &mut LlClient, ctx: &mut NodeCtx<Self>, timer: LlTimer) {
        if let LlTimer::ClientRetry { op } = timer {
            let retry = match client.pending.as_mut() {
                Some((p, attempts)) if p.id == op && (*attempts as usize) < self.cfg.nodes as usize - 1 => {
                    *attempts += 1;
                    true
                }
                _ => false,
            };
            if retry {
                self.client_send(client, ctx);
            }
        }
    }

    fn client_abandon(&self, client: &mut LlClient, op: OpId) {
        if client.pending.as_ref().is_some_and(|(p, _)| p.id == op) {
            client.pending = None;
        }
        let _ = client.id;
    }

    fn node_view(&self, node: &LlNode, id: NodeId, names: &Names) -> NodeView {
        let mut badges = Vec::new();
        if !node.hints.is_empty() {
            let homes: BTreeSet<NodeId> = node.hints.iter().map(|h| h.home).collect();
            badges.push(format!(
                "{} hint(s) for {}",
                node.hints.len(),
                homes.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",")
            ));
        }
        let len = node.lane.len();
        let log = (len.saturating_sub(12)..len)
            .filter_map(|i| node.lane.get(i).map(|e| (i, e)))
            .map(|(i, e)| EntryView {
                id: format!("{i}"),
                label: format!("{} = {}", names.get(e.key), self.rules.item_label(&e.item, names)),
                version: match &*e.item {
                    Item::Register(v) => v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | "),
                    _ => String::new(),
                },
                state: e.state,
                write: (e.write > 0).then_some(e.write),
            })
            .collect();
        let data = node
            .store
            .iter()
            .map(|(k, item)| (names.get(*k).to_string(), self.rules.item_label(item, names)))
            .collect();
        let mut detail = Vec::new();
        for (k, item) in &node.store {
            let vv = match &**item {
                Item::Register(v) => v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | "),
                other => self.rules.item_label(other, names),
            };
            let home = self.home(*k).iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",");
            detail.push((format!("{} version", names.get(*k)), format!("{vv} (home: {home})")));
        }
        for h in &node.hints {
            detail.push((format!("hint for {}", h.home), format!("{} (write #{})", names.get(h.key), h.write)));
        }
        NodeView {
            id,
            role: Role::Replica,
            epoch: None,
            badges,
            log,
            log_len: len as u64,
            markers: Vec::new(),
            data,
            detail,
            // Neighbours on the ring: where the diagram places the nodes' hash ranges.
            links: if self.cfg.nodes > 1 {
                vec![NodeId(((id.0 as usize + 1) % self.cfg.nodes as usize) as u8)]
            } else {
                Vec::new()
            },
        }
    }

    fn observe(&self, nodes: &[&LlNode], up: &[bool], _now: SimTime) -> Observation {
        let mut stale = vec![0u64; nodes.len()];
        let mut divergent = vec![false; nodes.len()];
        for key in self.pref.keys() {
            let home = self.home(*key);
            let items: Vec<(NodeId, Option<&Item>)> = home
                .iter()
                .map(|h| (*h, nodes.get(h.0 as usize).and_then(|n| n.store.get(key).map(|i| &**i))))
                .collect();
            let present: Vec<&Item> = items.iter().filter_map(|(_, i)| *i).collect();
            if present.is_empty() {
                continue;
            }
            // Usually every replica holds the same version: nothing to merge.
            if present.len() == items.len() && present.windows(2).all(|w| w[0] == w[1]) {
                continue;
            }
            let Some(newest) = self.merged_of(NodeId(0), *key, &present) else { continue };
            let target = canonical(&newest);
            let mut values = BTreeSet::new();
            for (h, item) in &items {
                let c = item.map(canonical);
                if c != Some(target) {
                    stale[h.0 as usize] += 1;
                }
                if up.get(h.0 as usize).copied().unwrap_or(false) {
                    values.insert(c);
                }
            }
            if values.len() > 1 {
                for (h, item) in &items {
                    if up.get(h.0 as usize).copied().unwrap_or(false) && item.map(canonical) != Some(target) {
                        divergent[h.0 as usize] = true;
                    }
                }
            }
        }
        let lag = stale.iter().map(|s| Some(Lag { entries: *s, time_us: 0 })).collect();
        let data_digest = nodes
            .iter()
            .map(|n| stable_hash(&n.store.iter().map(|(k, i)| (*k, canonical(i))).collect::<Vec<_>>()))
            .collect();
        let backlog = nodes.iter().map(|n| n.hints.len() as u64).collect();
        Observation { leaders: Vec::new(), lag, data_digest, backlog, divergent }
    }

    fn surviving_writes(&self, nodes: &[&LlNode], up: &[bool]) -> BTreeSet<OpId> {
        // What the reachable replicas hold, hints included (a version only a node that never
        // came back holds is gone for everyone).
        let any_up = up.iter().any(|u| *u);
        let mut out = BTreeSet::new();
        for (n, _) in nodes.iter().zip(up).filter(|(_, u)| **u || !any_up) {
            out.extend(n.store.values().flat_map(|i| item_writes(i)));
            for h in &n.hints {
                out.extend(item_writes(&h.item));
            }
        }
        out
    }
}

impl Leaderless {
    /// A partition-aware client: the first attempt goes to a random home replica of the key; a
    /// retry (no answer within the coordinator's timeout) moves on along the key's preference
    /// list, stand-ins included, so an unreachable coordinator is routed around.
    fn client_send(&self, client: &mut LlClient, ctx: &mut NodeCtx<Self>) {
        let Some((op, attempt)) = client.pending.clone() else { return };
        let pref: Vec<NodeId> = match op.op.key() {
            Some(k) => self.preference(k).to_vec(),
            None => (0..self.cfg.nodes).map(|i| NodeId(i as u8)).collect(),
        };
        if pref.is_empty() {
            return;
        }
        if attempt == 0 {
            // Like a token- and datacenter-aware driver: a random replica of the key, one in the
            // client's own region when there is one, so that a local consistency level stays local.
            let replicas = self.n().min(pref.len());
            let here = ctx.cluster.region_of(ctx.me);
            let local = |i: &usize| self.node_region.get(pref[*i].0 as usize) == Some(&here);
            let locals = (0..replicas).filter(local).count();
            client.first = if locals == 0 {
                ctx.entropy.below(replicas)
            } else {
                (0..replicas).filter(local).nth(ctx.entropy.below(locals)).unwrap_or(0)
            };
        }
        let coordinator = match op.via {
            Some(n) if attempt == 0 => n,
            _ => pref[(client.first + attempt as usize) % pref.len()],
        };
        let msg = match op.op {
            Op::Read { key } => LlMsg::ClientRead { op: op.id, key, cl: op.consistency },
            ref body => LlMsg::ClientWrite { op: op.id, body: body.clone(), cl: op.consistency },
        };
        ctx.send(coordinator, msg);
        ctx.set_timer(self.cfg.request_timeout.0 + self.cfg.fallback_after.0, LlTimer::ClientRetry { op: op.id });
    }
}

impl crate::topology::Topology for Leaderless {
    type Config = LlConfig;

    fn node_count(config: &LlConfig) -> usize {
        config.nodes as usize
    }
    fn placement(config: &LlConfig) -> (&[String], usize) {
        (&config.placement, config.nodes as usize)
    }
    fn build(config: LlConfig, names: &Names, kinds: BTreeMap<Sym, KeyKind>, node_regions: &[usize]) -> Self {
        Leaderless::new(config, names, kinds, node_regions)
    }

    const EXPLAIN: Option<crate::topology::Explain> = Some(crate::topology::Explain::Quorums);

    fn summary(c: &LlConfig) -> String {
        format!("{} nodes · N={} W={} R={}", c.nodes, c.n, c.w, c.r)
    }

    fn settings(c: &LlConfig) -> Vec<crate::topology::Setting> {
        use crate::topology::Setting;
        let overlap = if c.w + c.r > c.n {
            format!(
                "W + R = {} > N = {}: every read meets a replica with the last completed write (still not linearizable).",
                c.w + c.r,
                c.n
            )
        } else {
            format!("W + R = {} ≤ N = {}: a read can miss a write that has completed.", c.w + c.r, c.n)
        };
        vec![
            Setting::number("nodes", "Nodes", c.nodes, (1, 9), "Placed on a hash ring; any node coordinates."),
            Setting::number("n", "N (replicas)", c.n, (1, c.nodes), "Copies of each key."),
            Setting::number("w", "W", c.w, (1, c.n), "Acknowledgements a write waits for."),
            Setting::number("r", "R", c.r, (1, c.n), overlap),
            Setting::choice("versioning", "Versions", &c.versioning, &[
                ("version_vectors", "version vectors", "Concurrent writes are kept as siblings: reads may return several values."),
                ("lww", "last write wins", "The highest coordinator timestamp wins (Cassandra), even over a later write stamped by a slower clock."),
                ("causal_lww", "vectors, then LWW", "A write that followed another replaces it; only concurrent writes are settled by timestamp."),
            ]),
            Setting::choice("read_repair", "Read repair", &c.read_repair, &[
                ("off", "off", "Stale replicas stay stale until something else repairs them."),
                ("background", "background", "After answering, stale replicas that replied get the newest version."),
                ("blocking", "before answering", "Stale replicas are repaired before the read answers: slower reads, no read of an old value after a newer one."),
            ]),
            Setting::toggle("anti_entropy", "Anti-entropy (every 5 s)", c.anti_entropy.is_some(), ("5s", "null"), (
                "Replicas compare Merkle trees and exchange only differing keys: repairs keys nobody reads.",
                "Keys nobody reads stay stale on replicas that missed them.",
            )),
            Setting::toggle("sloppy_quorum", "Sloppy quorum", c.sloppy_quorum, ("true", "false"), (
                "When home replicas are unreachable, other nodes take their writes: available, but W + R > N no longer guarantees overlap.",
                "Writes wait for home replicas only: they fail when too few are reachable.",
            )),
            Setting::toggle("hinted_handoff", "Hinted handoff", c.hinted_handoff, ("true", "false"), (
                "Stand-ins hand the writes they hold back to the home replica when it returns.",
                "Stand-ins keep what they took; home replicas never get it.",
            )),
        ]
    }
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
        let firsts: BTreeSet<NodeId> =
            (0..40).map(|i| ring.preference(Ring::key_position(&format!("k{i}")))[0]).collect();
        assert!(firsts.len() >= 4, "{firsts:?}");
    }
}
