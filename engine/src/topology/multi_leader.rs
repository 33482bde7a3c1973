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
use crate::time::{Duration, SimTime};
use crate::topology::versions::{
    canonical, item_writes, read_item, vv_label, CounterRule, IdScheme, Item, RegisterRule, Rules, SetRule, Stamp,
};
use crate::validate::{join, Problems, Validate};
use crate::view::{divergent_from_digests, EntryState, EntryView, Lag, MsgKind, NodeView, Observation, Role};
use crate::vocab::{KeyKind, Names};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

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
    ClientWrite {
        op: OpId,
        op_body: Op,
    },
    ClientRead {
        op: OpId,
        key: Sym,
    },
    WriteOk {
        op: OpId,
        version: String,
        assigned: Option<String>,
    },
    ReadOk {
        op: OpId,
        value: ReadValue,
    },
    Rejected {
        op: OpId,
        reason: String,
    },
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
            MlMsg::ClientWrite { .. } => MsgKind::Write,
            MlMsg::ClientRead { .. } => MsgKind::Read,
            MlMsg::WriteOk { .. } | MlMsg::Rejected { .. } => MsgKind::Ack,
            MlMsg::ReadOk { .. } => MsgKind::ReadReply,
            MlMsg::Replicate { .. } | MlMsg::Follow { .. } => MsgKind::Replicate,
            MlMsg::ReplicateAck { .. } | MlMsg::FollowAck { .. } => MsgKind::ReplicaAck,
        }
    }
    fn label(&self) -> Label {
        use Label::*;
        match self {
            MlMsg::ClientWrite { .. } => Static("write"),
            MlMsg::ClientRead { .. } => Static("read"),
            MlMsg::WriteOk { .. } => Static("ok"),
            MlMsg::ReadOk { .. } => Static("value"),
            MlMsg::Rejected { .. } => Static("rejected"),
            MlMsg::Replicate { change } => Text(change.message_label.clone()),
            MlMsg::ReplicateAck { seq, .. } => Num("ack #", *seq),
            MlMsg::Follow { entry } => Text(entry.change.message_label.clone()),
            MlMsg::FollowAck { seq } => Num("applied ", *seq),
        }
    }
    fn op(&self) -> Option<OpId> {
        match self {
            MlMsg::ClientWrite { op, .. }
            | MlMsg::ClientRead { op, .. }
            | MlMsg::WriteOk { op, .. }
            | MlMsg::ReadOk { op, .. }
            | MlMsg::Rejected { op, .. } => Some(*op),
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
    pub extra: BTreeSet<u64>,
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
    pub store: BTreeMap<Sym, Item>,
    pub seen: Vec<SeqSet>,
    /// Newest applied change per origin with its write, for the deps of local writes.
    pub latest: Vec<(u64, OpId)>,
    pub own_seq: u64,
    pub lane: PLog<LaneEntry>,
    /// Changes each neighbour has not acknowledged yet.
    pub outbound: BTreeMap<NodeId, BTreeMap<(NodeId, u64), Rc<Change>>>,
    /// Neighbours believed dead after repair_topology (skipped in the ring).
    pub skipped: BTreeSet<NodeId>,
    pub held: Vec<Rc<Change>>,
    /// Last time each neighbour acknowledged anything (local clock).
    pub last_ack: BTreeMap<NodeId, SimTime>,
    /// Times of own changes (true time, for lag measurement only).
    pub own_times: PLog<SimTime>,
    /// A leader's stream to its followers, and how far each has applied it.
    pub follow_log: PLog<Rc<FollowEntry>>,
    pub follower_applied: BTreeMap<NodeId, u64>,
    /// How far the stream was last resent to each follower (go-back-N).
    pub follow_resent: BTreeMap<NodeId, u64>,
    /// The last timestamp this leader stamped (its timestamps never repeat).
    pub last_ts: u64,
    /// A follower: how far it has applied its leader's stream, and what arrived early.
    pub applied: u64,
    pub early: BTreeMap<u64, Rc<FollowEntry>>,
}

#[derive(Clone, Debug)]
pub struct MlClient {
    id: ClientId,
    leader: NodeId,
    pending: Option<ClientOp>,
}

#[derive(Clone, Debug)]
pub struct MultiLeader {
    pub cfg: MlConfig,
    /// Conflict unit of each key (its row under row detection).
    unit: BTreeMap<Sym, Sym>,
    kinds: BTreeMap<Sym, KeyKind>,
    /// Display name of each unit.
    unit_names: BTreeMap<Sym, String>,
    rules: Rules,
}

impl MultiLeader {
    /// A cluster for the keys `names` interns, each holding the kind of data `kinds` says.
    pub fn new(cfg: MlConfig, names: &Names, kinds: BTreeMap<Sym, KeyKind>) -> Self {
        let mut unit = BTreeMap::new();
        let mut unit_names = BTreeMap::new();
        for (i, n) in names.names.iter().enumerate() {
            let s = Sym(i as u16);
            let row = match (cfg.detection, n.split_once('.')) {
                (Detection::Row, Some((row, _))) => row,
                _ => n.as_str(),
            };
            // The unit of a row is its lowest-numbered field key.
            let rep = names
                .names
                .iter()
                .position(|m| {
                    m == row || m.split_once('.').is_some_and(|(r, _)| r == row && cfg.detection == Detection::Row)
                })
                .map(|j| Sym(j as u16))
                .unwrap_or(s);
            unit.insert(s, rep);
            unit_names.insert(rep, row.to_string());
        }
        let rules = Rules {
            register: cfg.register,
            counter: cfg.counter,
            set: cfg.set,
            ids: cfg.ids,
            n: cfg.leaders as usize,
            names: names.clone(),
        };
        MultiLeader { cfg, unit, kinds, unit_names, rules }
    }

    fn n(&self) -> usize {
        self.cfg.leaders as usize
    }

    fn unit_of(&self, key: Sym) -> Sym {
        self.unit.get(&key).copied().unwrap_or(key)
    }

    fn kind_of(&self, key: Sym) -> KeyKind {
        self.kinds.get(&key).copied().unwrap_or(KeyKind::Register)
    }

    fn unit_name(&self, unit: Sym, names: &Names) -> String {
        self.unit_names.get(&unit).cloned().unwrap_or_else(|| names.get(unit).to_string())
    }

    /// Neighbours a leader sends its own or forwarded changes to.
    fn targets(&self, me: NodeId, change: &Change, skipped: &BTreeSet<NodeId>) -> Vec<NodeId> {
        let n = self.n();
        let all = (0..n).map(|i| NodeId(i as u8));
        let fresh = |t: &NodeId| *t != me && *t != change.origin && !change.path.contains(t);
        match self.cfg.topology {
            MlTopology::AllToAll => {
                if change.origin == me {
                    all.filter(|t| *t != me).collect()
                } else {
                    Vec::new()
                }
            }
            MlTopology::Ring => {
                let mut next = (me.0 as usize + 1) % n;
                for _ in 0..n {
                    if !skipped.contains(&NodeId(next as u8)) || next == me.0 as usize {
                        break;
                    }
                    next = (next + 1) % n;
                }
                let t = NodeId(next as u8);
                if fresh(&t) {
                    vec![t]
                } else {
                    Vec::new()
                }
            }
            MlTopology::Star => {
                let hub = NodeId(0);
                if me == hub {
                    all.filter(fresh).collect()
                } else if change.origin == me {
                    vec![hub]
                } else {
                    Vec::new()
                }
            }
        }
    }

    /// The origin's timestamp for a new write: its own clock, at `clock_resolution`, and never
    /// the same twice on one leader (like Cassandra's coordinator, a repeated reading is bumped by
    /// a microsecond). Nothing makes it exceed the timestamps of writes this leader has seen: that
    /// is what a slow clock costs under last write wins.
    fn timestamp(&self, node: &mut MlNode, ctx: &NodeCtx<Self>) -> u64 {
        let r = self.cfg.clock_resolution.0.max(1);
        let ts = (ctx.local_clock / r * r).max(node.last_ts + 1);
        node.last_ts = ts;
        ts
    }

    /// Applies a client's write at this leader. Returns the version label, the id assigned (for
    /// inserts), the unit written, the new version (what is shipped to the other leaders), and
    /// whether the write already lost on this leader (timestamp rules only).
    fn local_write(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, op: OpId, body: &Op) -> LocalWrite {
        let key = body.key().unwrap_or(Sym(0));
        let unit = self.unit_of(key);
        let ts = self.timestamp(node, ctx);
        let stamp = Stamp { me: node.id, ts, at: ctx.now, tag: node.own_seq + 1, floor: 0 };
        let (item, version, assigned) =
            self.rules.write_item(node.store.get(&unit), op, body, &stamp, &mut ctx.entropy);
        let mut lost_here = false;
        let stored = match node.store.get(&unit) {
            Some(existing) if self.rules.needs_resolve_on_write(body) => {
                let (stored, record) = self.rules.resolve(node.id, unit, existing, &item, op, node.id);
                if let Some(r) = record {
                    lost_here = r.discarded.contains(&op);
                    ctx.annotate(Annotation::Conflict(r));
                }
                stored
            }
            _ => item.clone(),
        };
        node.store.insert(unit, stored);
        LocalWrite { version, assigned, unit, item, lost_here }
    }

    fn read(&self, node: &MlNode, key: Sym) -> ReadValue {
        read_item(node.store.get(&self.unit_of(key)), key, self.kind_of(key))
    }

    /// Merges an incoming item into the local one, recording a conflict if they were concurrent.
    #[allow(clippy::too_many_arguments)]
    fn merge(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, unit: Sym, incoming: &Item, change: &Change) {
        let me = node.id;
        let Some(local) = node.store.get(&unit) else {
            node.store.insert(unit, incoming.clone());
            return;
        };
        let (merged, record) = self.rules.resolve(me, unit, local, incoming, change.write, change.origin);
        if let Some(r) = record {
            for w in &r.discarded {
                // Mark the lane entry of the discarded write on this leader.
                let len = node.lane.len();
                let found = (len.saturating_sub(64)..len)
                    .rev()
                    .filter_map(|i| node.lane.get(i))
                    .find(|e| e.change.write == *w)
                    .map(|e| e.change.clone());
                if let Some(change) = found {
                    node.lane.push(LaneEntry { change, discarded: true });
                }
            }
            ctx.annotate(Annotation::Conflict(r));
        }
        node.store.insert(unit, merged);
    }

    fn apply_change(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, change: &Rc<Change>) {
        let o = change.origin.0 as usize;
        // Causality: did the origin know something this leader has not applied yet?
        let missing: Vec<(NodeId, u64, OpId)> = change
            .deps
            .iter()
            .filter(|(d, seq, _)| *d != node.id && !node.seen[d.0 as usize].contains(*seq))
            .copied()
            .collect();
        if !missing.is_empty() {
            if self.cfg.causal_delivery {
                node.held.push(change.clone());
                return;
            }
            ctx.annotate(Annotation::CausalityViolation {
                node: node.id,
                write: change.write,
                missing: missing.iter().map(|m| m.2).collect(),
            });
        }
        node.seen[o].insert(change.seq);
        if change.seq > node.latest[o].0 {
            node.latest[o] = (change.seq, change.write);
        }
        node.lane.push(LaneEntry { change: change.clone(), discarded: false });
        if let (Item::Table(rows), Some(Item::Table(mine))) = (&*change.item, node.store.get(&change.key)) {
            for (id, row) in rows {
                if let Some(existing) = mine.get(id) {
                    if existing.write != row.write {
                        ctx.annotate(Annotation::DuplicateId {
                            table: change.key,
                            id: id.clone(),
                            writes: vec![existing.write, row.write],
                        });
                    }
                }
            }
        }
        self.merge(node, ctx, change.key, &change.item, change);
        self.feed_followers(node, ctx, change.key, change);
        // Forward along the topology (all-to-all never forwards).
        let targets = self.targets(node.id, change, &node.skipped);
        if targets.is_empty() {
            // nothing to forward
        } else {
            let mut fwd = (**change).clone();
            fwd.path.push(node.id);
            let fwd = Rc::new(fwd);
            for t in targets {
                node.outbound.entry(t).or_default().insert((change.origin, change.seq), fwd.clone());
                ctx.send(t, MlMsg::Replicate { change: fwd.clone() });
            }
        }
        // Anything held for this change may now go.
        if self.cfg.causal_delivery && !node.held.is_empty() {
            let held = std::mem::take(&mut node.held);
            for h in held {
                if !node.seen[h.origin.0 as usize].contains(h.seq) {
                    self.apply_change(node, ctx, &h);
                }
            }
        }
    }

    /// Streams the key's new state to this leader's followers, in order.
    fn feed_followers(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, unit: Sym, change: &Rc<Change>) {
        if self.cfg.followers == 0 {
            return;
        }
        let Some(item) = node.store.get(&unit) else { return };
        let entry = Rc::new(FollowEntry {
            seq: node.follow_log.len() as u64 + 1,
            unit,
            item: Rc::new(item.clone()),
            change: change.clone(),
            at: ctx.now,
        });
        node.follow_log.push(entry.clone());
        for f in self.cfg.followers_of(node.id) {
            ctx.send(f, MlMsg::Follow { entry: entry.clone() });
        }
    }

    fn apply_follow(&self, node: &mut MlNode, entry: &FollowEntry) {
        node.store.insert(entry.unit, (*entry.item).clone());
        node.lane.push(LaneEntry { change: entry.change.clone(), discarded: false });
        node.applied = entry.seq;
    }

    fn change_label(&self, body: &Op) -> String {
        let key = body.key().map(|k| self.rules.names.get(k)).unwrap_or("");
        match body {
            Op::Write { value, .. } | Op::Bulk { value, .. } => format!("{key} = {value}"),
            Op::Increment { by, .. } => format!("{key} {by:+}"),
            Op::SetAdd { elem, .. } => format!("{key} + {}", self.rules.names.get(*elem)),
            Op::SetRemove { elem, .. } => format!("{key} − {}", self.rules.names.get(*elem)),
            Op::Insert { .. } => format!("insert into {key}"),
            Op::DeleteAll => "delete all".into(),
            Op::Read { .. } => format!("read {key}"),
        }
    }
}

impl Protocol for MultiLeader {
    type Node = MlNode;
    type Client = MlClient;
    type Msg = MlMsg;
    type Timer = MlTimer;

    fn init_node(&self, id: NodeId, ctx: &mut NodeCtx<Self>) -> MlNode {
        ctx.set_timer(self.cfg.retry_interval.0, MlTimer::Retry);
        MlNode {
            id,
            store: BTreeMap::new(),
            seen: vec![SeqSet::default(); self.n()],
            latest: vec![(0, 0); self.n()],
            own_seq: 0,
            lane: PLog::new(),
            outbound: BTreeMap::new(),
            skipped: BTreeSet::new(),
            held: Vec::new(),
            last_ack: BTreeMap::new(),
            own_times: PLog::new(),
            follow_log: PLog::new(),
            follower_applied: BTreeMap::new(),
            follow_resent: BTreeMap::new(),
            last_ts: 0,
            applied: 0,
            early: BTreeMap::new(),
        }
    }

    fn init_client(&self, id: ClientId, ctx: &mut NodeCtx<Self>) -> MlClient {
        // The leaders of the client's region, shared out among its clients.
        let local: Vec<NodeId> =
            ctx.cluster.local_nodes(id).into_iter().filter(|n| (n.0 as usize) < self.n()).collect();
        let leader = if local.is_empty() {
            NodeId((id.0 as usize % self.n()) as u8)
        } else {
            local[id.0 as usize % local.len()]
        };
        MlClient { id, leader, pending: None }
    }

    fn on_message(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: MlMsg) {
        match (from, msg) {
            (Endpoint::Client(c), MlMsg::ClientWrite { op, .. }) if self.cfg.leader_of(node.id).is_some() => {
                ctx.contacted(op, node.id);
                let leader = self.cfg.leader_of(node.id).unwrap_or(NodeId(0));
                let reason = format!("{} is a follower of {leader}: writes go to the leader", node.id);
                ctx.send(c, MlMsg::Rejected { op, reason });
            }
            (Endpoint::Client(c), MlMsg::ClientWrite { op, op_body }) => {
                ctx.contacted(op, node.id);
                if let Op::DeleteAll = op_body {
                    ctx.send(
                        c,
                        MlMsg::Rejected {
                            op,
                            reason: "delete_all is modelled in the leader-follower pane only".into(),
                        },
                    );
                    return;
                }
                if let (Op::Increment { by, .. }, CounterRule::GCounter) = (&op_body, self.cfg.counter) {
                    if *by < 0 {
                        let reason =
                            "a G-counter only grows: decrements are refused (use pn_counter to count both ways)";
                        ctx.send(c, MlMsg::Rejected { op, reason: reason.into() });
                        return;
                    }
                }
                let LocalWrite { version, assigned, unit, item, lost_here } = self.local_write(node, ctx, op, &op_body);
                node.own_seq += 1;
                let seq = node.own_seq;
                node.own_times.push(ctx.now);
                let me = node.id.0 as usize;
                node.seen[me].insert(seq);
                node.latest[me] = (seq, op);
                let deps: Vec<(NodeId, u64, OpId)> = node
                    .latest
                    .iter()
                    .enumerate()
                    .filter(|(i, (s, _))| *i != me && *s > 0)
                    .map(|(i, (s, w))| (NodeId(i as u8), *s, *w))
                    .collect();
                let label = self.change_label(&op_body);
                let change = Rc::new(Change {
                    origin: node.id,
                    seq,
                    key: unit,
                    write: op,
                    label: label.clone(),
                    item: Rc::new(item),
                    deps,
                    path: vec![node.id],
                    written_at: ctx.now,
                    message_label: Rc::from(format!("{}#{} {}", node.id, seq, label).as_str()),
                });
                node.lane.push(LaneEntry { change: change.clone(), discarded: lost_here });
                ctx.send(c, MlMsg::WriteOk { op, version, assigned });
                self.feed_followers(node, ctx, unit, &change);
                for t in self.targets(node.id, &change, &node.skipped) {
                    node.outbound.entry(t).or_default().insert((node.id, seq), change.clone());
                    ctx.send(t, MlMsg::Replicate { change: change.clone() });
                }
            }
            (Endpoint::Client(c), MlMsg::ClientRead { op, key }) => {
                ctx.contacted(op, node.id);
                ctx.send(c, MlMsg::ReadOk { op, value: self.read(node, key) });
            }
            (Endpoint::Node(f), MlMsg::Replicate { change }) => {
                ctx.send(f, MlMsg::ReplicateAck { origin: change.origin, seq: change.seq });
                if node.seen[change.origin.0 as usize].contains(change.seq) || change.origin == node.id {
                    return;
                }
                if node.held.iter().any(|h| h.origin == change.origin && h.seq == change.seq) {
                    return;
                }
                self.apply_change(node, ctx, &change);
            }
            (Endpoint::Node(f), MlMsg::ReplicateAck { origin, seq }) => {
                node.last_ack.insert(f, ctx.local_clock);
                if let Some(q) = node.outbound.get_mut(&f) {
                    q.remove(&(origin, seq));
                }
            }
            (Endpoint::Node(l), MlMsg::Follow { entry }) => {
                if entry.seq == node.applied + 1 {
                    self.apply_follow(node, &entry);
                    while let Some(next) = node.early.remove(&(node.applied + 1)) {
                        self.apply_follow(node, &next);
                    }
                } else if entry.seq > node.applied {
                    node.early.insert(entry.seq, entry);
                }
                ctx.send(l, MlMsg::FollowAck { seq: node.applied });
            }
            (Endpoint::Node(f), MlMsg::FollowAck { seq }) => {
                let a = node.follower_applied.entry(f).or_default();
                *a = (*a).max(seq);
                let applied = *a;
                // Go-back-N: a follower still behind after this ack missed something (a lost
                // message, a partition); send what follows, once per ack advance.
                let fed = node.follow_log.len() as u64;
                let resent = node.follow_resent.entry(f).or_default();
                if applied < fed && *resent <= applied {
                    let upto = fed.min(applied + FOLLOW_WINDOW);
                    *resent = upto;
                    for s in applied..upto {
                        if let Some(e) = node.follow_log.get(s as usize) {
                            ctx.send(f, MlMsg::Follow { entry: e.clone() });
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn on_timer(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, timer: MlTimer) {
        match timer {
            MlTimer::Retry => {
                // Resend the oldest unacknowledged changes to each neighbour.
                for (t, q) in &node.outbound {
                    for c in q.values().take(16) {
                        ctx.send(*t, MlMsg::Replicate { change: c.clone() });
                    }
                }
                // And the stream to followers that are behind.
                let fed = node.follow_log.len() as u64;
                for f in self.cfg.followers_of(node.id) {
                    let done = node.follower_applied.get(&f).copied().unwrap_or(0);
                    node.follow_resent.insert(f, fed.min(done + FOLLOW_WINDOW));
                    for s in done..fed.min(done + FOLLOW_WINDOW) {
                        if let Some(e) = node.follow_log.get(s as usize) {
                            ctx.send(f, MlMsg::Follow { entry: e.clone() });
                        }
                    }
                }
                ctx.set_timer(self.cfg.retry_interval.0, MlTimer::Retry);
            }
        }
    }

    fn on_crash(&self, node: &mut MlNode) {
        // Changes are in the durable log; what was queued for neighbours is rebuilt by resending.
        node.held.clear();
        node.early.clear();
    }

    fn on_restart(&self, _node: &mut MlNode, ctx: &mut NodeCtx<Self>) {
        ctx.set_timer(self.cfg.retry_interval.0, MlTimer::Retry);
    }

    fn on_control(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, control: &Control) {
        if let Control::RepairTopology = control {
            // Skip neighbours that have been silent for three retry intervals; hand their queued
            // changes to the next live leader.
            let silent_for = 3 * self.cfg.retry_interval.0;
            let dead: BTreeSet<NodeId> = node
                .outbound
                .iter()
                .filter(|(t, q)| {
                    !q.is_empty()
                        && ctx.local_clock.saturating_sub(node.last_ack.get(t).copied().unwrap_or(0)) >= silent_for
                })
                .map(|(t, _)| *t)
                .collect();
            if dead.is_empty() {
                return;
            }
            node.skipped.extend(dead.iter().copied());
            ctx.annotate(Annotation::TopologyRepaired { around: dead.iter().copied().collect() });
            for d in &dead {
                if let Some(q) = node.outbound.remove(d) {
                    for (k, c) in q {
                        for t in self.targets(node.id, &c, &node.skipped) {
                            node.outbound.entry(t).or_default().insert(k, c.clone());
                            ctx.send(t, MlMsg::Replicate { change: c.clone() });
                        }
                    }
                }
            }
        }
    }

    fn client_invoke(&self, client: &mut MlClient, ctx: &mut NodeCtx<Self>, op: &ClientOp) {
        client.pending = Some(op.clone());
        let (msg, to) = match op.op {
            Op::Read { key } => {
                let f = self.cfg.followers as usize;
                let to = if self.cfg.read_from == MlReadFrom::Follower && f > 0 {
                    self.cfg.followers_of(client.leader).nth(client.id.0 as usize % f).unwrap_or(client.leader)
                } else {
                    client.leader
                };
                (MlMsg::ClientRead { op: op.id, key }, to)
            }
            ref other => (MlMsg::ClientWrite { op: op.id, op_body: other.clone() }, client.leader),
        };
        ctx.send(op.via.unwrap_or(to), msg);
    }

    fn client_on_message(&self, client: &mut MlClient, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: MlMsg) {
        let Some(n) = from.node() else { return };
        let Some(p) = client.pending.clone() else {
            return;
        };
        match msg {
            MlMsg::WriteOk { op, version, assigned } if op == p.id => {
                client.pending = None;
                let mut c = Completion::new(op, OpResult::Written).by(n).version(version);
                c.assigned_id = assigned;
                ctx.complete(c);
            }
            MlMsg::ReadOk { op, value } if op == p.id => {
                client.pending = None;
                ctx.complete(Completion::new(op, OpResult::Read(value)).by(n));
            }
            MlMsg::Rejected { op, reason } if op == p.id => {
                client.pending = None;
                ctx.complete(Completion::new(op, OpResult::Fail(reason)).by(n));
            }
            _ => {}
        }
    }

    fn client_on_timer(&self, _client: &mut MlClient, _ctx: &mut NodeCtx<Self>, _timer: MlTimer) {}

    fn client_abandon(&self, client: &mut MlClient, op: OpId) {
        if client.pending.as_ref().is_some_and(|p| p.id == op) {
            client.pending = None;
            // The local leader did not answer: use the next region's leader.
            client.leader = NodeId(((client.leader.0 as usize + 1) % self.n()) as u8);
        }
        let _ = client.id;
    }

    fn node_view(&self, node: &MlNode, id: NodeId, names: &Names) -> NodeView {
        let backlog: usize = node.outbound.values().map(|q| q.len()).sum();
        let mut badges = Vec::new();
        for (t, q) in &node.outbound {
            if q.len() > 2 {
                badges.push(format!("{} queued for {t}", q.len()));
            }
        }
        if !node.held.is_empty() {
            badges.push(format!("{} held for causality", node.held.len()));
        }
        if !node.skipped.is_empty() {
            badges.push(format!("skips {}", node.skipped.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",")));
        }
        let len = node.lane.len();
        let log = (len.saturating_sub(12)..len)
            .filter_map(|i| node.lane.get(i).map(|e| (i, e)))
            .map(|(i, e)| {
                let c = &e.change;
                let vv = match &*c.item {
                    Item::Register(v) => v.first().map(|v| vv_label(&v.vv)),
                    Item::NaiveCounter(n) => Some(vv_label(&n.vv)),
                    Item::SetValue(v) => v.first().map(|v| vv_label(&v.vv)),
                    _ => None,
                };
                EntryView {
                    id: format!("{}#{}:{i}", c.origin, c.seq),
                    label: if e.discarded {
                        format!("{}: {} (lost in conflict)", c.origin, c.label)
                    } else {
                        format!("{}: {}", c.origin, c.label)
                    },
                    version: match vv {
                        Some(v) => format!("{}#{} {v}", c.origin, c.seq),
                        None => format!("{}#{}", c.origin, c.seq),
                    },
                    state: if e.discarded { EntryState::Discarded } else { EntryState::Applied },
                    write: Some(c.write),
                }
            })
            .collect();
        let data = node
            .store
            .iter()
            .map(|(k, item)| (self.unit_name(*k, names), self.rules.item_label(item, names)))
            .collect();
        let follows = self.cfg.leader_of(id);
        let mut detail = vec![("topology".to_string(), self.cfg.topology.label().to_string())];
        match follows {
            Some(l) => {
                detail.push(("follows".into(), l.to_string()));
                detail.push(("applied".into(), format!("{} of {l}'s changes", node.applied)));
                if !node.early.is_empty() {
                    detail
                        .push(("arrived early".into(), format!("{} (waiting for the ones before)", node.early.len())));
                }
            }
            None => {
                detail.push((
                    "applied from".to_string(),
                    node.seen
                        .iter()
                        .enumerate()
                        .map(|(i, s)| format!("n{}:{}", i + 1, s.prefix))
                        .collect::<Vec<_>>()
                        .join(" "),
                ));
                detail.push(("backlog".into(), format!("{backlog} change(s) not yet acknowledged")));
                for f in self.cfg.followers_of(id) {
                    let a = node.follower_applied.get(&f).copied().unwrap_or(0);
                    detail.push((format!("{f} applied"), format!("{a} of {}", node.follow_log.len())));
                }
            }
        }
        for (k, item) in &node.store {
            let vv = match item {
                Item::Register(v) => v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | "),
                Item::NaiveCounter(c) => vv_label(&c.vv),
                Item::SetValue(v) => v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | "),
                Item::Pn { p, n } => format!("P{} N{}", vv_label(p), vv_label(n)),
                Item::OrSet { adds, removed } => {
                    format!("{} live tags, {} removed", adds.values().map(|t| t.len()).sum::<usize>(), removed.len())
                }
                Item::Table(rows) => format!("{} rows", rows.len()),
            };
            detail.push((format!("{} version", self.unit_name(*k, names)), vv));
        }
        let (role, markers) = match follows {
            Some(l) => (
                Role::Follower,
                vec![("applied".to_string(), node.applied.to_string()), ("follows".into(), l.to_string())],
            ),
            None => (
                if self.cfg.topology == MlTopology::Star && id == NodeId(0) { Role::Hub } else { Role::Leader },
                vec![("own changes".into(), node.own_seq.to_string())],
            ),
        };
        let leaders = self.cfg.leaders as usize;
        let links = match (follows, self.cfg.topology) {
            (Some(l), _) => vec![l],
            (None, MlTopology::AllToAll) => {
                (0..leaders).filter(|&i| i != id.0 as usize).map(|i| NodeId(i as u8)).collect()
            }
            (None, MlTopology::Ring) if leaders > 1 => vec![NodeId(((id.0 as usize + 1) % leaders) as u8)],
            (None, MlTopology::Star) if id == NodeId(0) => (1..leaders).map(|i| NodeId(i as u8)).collect(),
            (None, _) => Vec::new(),
        };
        NodeView { id, role, epoch: None, badges, log, log_len: len as u64, markers, data, detail, links }
    }

    fn observe(&self, nodes: &[&MlNode], up: &[bool], now: SimTime) -> Observation {
        let n_leaders = self.n().min(nodes.len());
        let leaders = nodes.iter().zip(up).take(n_leaders).filter(|(_, u)| **u).map(|(n, _)| (n.id, 0)).collect();
        let lag = nodes
            .iter()
            .map(|n| {
                if let Some(l) = self.cfg.leader_of(n.id) {
                    // A follower is behind its leader's stream.
                    let leader = nodes.get(l.0 as usize)?;
                    let fed = leader.follow_log.len() as u64;
                    let entries = fed.saturating_sub(n.applied);
                    let since = leader.follow_log.get(n.applied as usize).filter(|_| entries > 0).map(|e| e.at);
                    return Some(Lag { entries, time_us: since.map(|t| now.saturating_sub(t)).unwrap_or(0) });
                }
                let mut entries = 0;
                let mut oldest: Option<SimTime> = None;
                for o in nodes.iter().take(n_leaders) {
                    if o.id == n.id {
                        continue;
                    }
                    let have = n.seen[o.id.0 as usize].prefix;
                    if o.own_seq > have {
                        entries += o.own_seq - have;
                        if let Some(t) = o.own_times.get(have as usize) {
                            oldest = Some(oldest.map_or(*t, |x: SimTime| x.min(*t)));
                        }
                    }
                }
                Some(Lag { entries, time_us: oldest.map(|t| now.saturating_sub(t)).unwrap_or(0) })
            })
            .collect();
        let data_digest: Vec<u64> = nodes
            .iter()
            .map(|n| {
                let view: Vec<(Sym, u64)> = n.store.iter().map(|(k, item)| (*k, canonical(item))).collect();
                stable_hash(&view)
            })
            .collect();
        let backlog = nodes.iter().map(|n| n.outbound.values().map(|q| q.len() as u64).sum()).collect();
        let divergent = divergent_from_digests(&data_digest, up);
        Observation { leaders, lag, data_digest, backlog, divergent }
    }

    fn surviving_writes(&self, nodes: &[&MlNode], up: &[bool]) -> BTreeSet<OpId> {
        // What the reachable replicas hold: a version only a node that never came back holds
        // is gone for everyone (and under a deterministic rule it loses again if it returns).
        let any_up = up.iter().any(|u| *u);
        nodes
            .iter()
            .zip(up)
            .filter(|(_, u)| **u || !any_up)
            .flat_map(|(n, _)| n.store.values().flat_map(item_writes))
            .collect()
    }
}

impl crate::topology::Topology for MultiLeader {
    type Config = MlConfig;

    fn node_count(config: &MlConfig) -> usize {
        config.node_count()
    }
    fn placement(config: &MlConfig) -> (&[String], usize) {
        (&config.placement, config.leaders as usize)
    }
    /// Followers live in their leader's region.
    fn node_regions(config: &MlConfig, regions: &[String]) -> Vec<usize> {
        let leaders = crate::topology::placement_indices(&config.placement, config.leaders as usize, regions);
        (0..config.node_count())
            .map(|i| match config.leader_of(NodeId(i as u8)) {
                Some(l) => leaders[l.0 as usize],
                None => leaders[i],
            })
            .collect()
    }
    fn build(config: MlConfig, names: &Names, kinds: BTreeMap<Sym, KeyKind>, _: &[usize]) -> Self {
        MultiLeader::new(config, names, kinds)
    }

    const EXPLAIN: Option<crate::topology::Explain> = Some(crate::topology::Explain::Conflicts);

    fn summary(c: &MlConfig) -> String {
        let followers = match c.followers {
            0 => String::new(),
            1 => " with a follower each".to_string(),
            f => format!(" with {f} followers each"),
        };
        format!("{} leaders{followers} · {} · {}", c.leaders, c.topology.label(), c.register.label())
    }

    fn settings(c: &MlConfig) -> Vec<crate::topology::Setting> {
        use crate::topology::Setting;
        let mut out = vec![
            Setting::number(
                "leaders",
                "Leaders",
                c.leaders,
                (2, 5),
                "Each accepts writes locally and ships them to the others.",
            ),
            Setting::number(
                "followers",
                "Followers per leader",
                c.followers,
                (0, 3),
                "Read replicas in each leader's region.",
            ),
        ];
        if c.followers > 0 {
            out.push(Setting::choice(
                "read_from",
                "Reads go to",
                &c.read_from,
                &[
                    ("leader", "the local leader", "Sees every write made in its region."),
                    ("follower", "a follower of it", "Lighter for the leader; a few milliseconds behind it."),
                ],
            ));
        }
        out.extend([
            Setting::choice("topology", "Topology", &c.topology, &[
                ("all_to_all", "all-to-all", "Every leader sends to every other: N·(N−1) streams; a dead leader blocks no one, but a reply can overtake its question."),
                ("ring", "ring", "Changes hop leader to leader: one dead leader cuts off everything upstream of it."),
                ("star", "star", "Spokes send through the hub n1: a dead hub cuts every spoke off."),
            ]),
            Setting::choice("register", "Registers", &c.register, &[
                ("lww", "last write wins", "The higher timestamp wins, even over a write made after it on a slower clock; a tie keeps what each leader had."),
                ("lww_node_id", "LWW + node-id tie-break", "Timestamps alone, ties by leader id: converges, but a slow clock's later writes are silently lost."),
                ("causal_lww", "version vectors, then LWW", "A write that followed another replaces it; only concurrent writes are settled by timestamp (Riak)."),
                ("siblings", "keep siblings", "Keeps every concurrent version; readers see them all and must merge."),
            ]),
            Setting::choice("counter", "Counters", &c.counter, &[
                ("naive", "naive number", "A number overwritten by timestamp: concurrent increments are lost."),
                ("g_counter", "G-counter", "One count per leader, merged by maximum: no increment lost; it cannot go down (decrements are refused)."),
                ("pn_counter", "PN-counter", "Increments and decrements per leader: counts both ways, nothing lost."),
            ]),
            Setting::choice("set", "Sets", &c.set, &[
                ("lww", "last write wins", "The whole set by timestamp: a concurrent add on the other side is lost."),
                ("union", "union merge", "Concurrent versions are united: nothing added is lost, but removed items come back."),
                ("or_set", "OR-set", "Tags every add: a remove deletes only the adds it saw, so a concurrent add survives."),
            ]),
            Setting::choice("detection", "Detect per", &c.detection, &[
                ("row", "row", "Writes to different fields of one row conflict."),
                ("field", "field", "Only writes to the same field conflict."),
            ]),
            Setting::choice("ids", "Row ids", &c.ids, &[
                ("auto_increment", "auto-increment", "Each leader counts on its own: two rows get the same id."),
                ("region_prefix", "region prefix", "Ids carry the leader's name: never collide."),
                ("uuid", "UUID", "Random ids: never collide, carry no order."),
            ]),
            Setting::toggle("causal_delivery", "Causal delivery", c.causal_delivery, ("true", "false"), (
                "A change waits until what its origin had seen has arrived: no reply before its question; costs delay.",
                "Changes apply as they arrive: a reply can be seen before its question.",
            )),
        ]);
        out
    }
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
