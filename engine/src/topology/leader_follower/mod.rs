//! # Leader-follower replication
//!
//! One node, the **leader**, accepts every write. It appends the write to an ordered
//! replication log — each entry numbered by a log sequence number (LSN) and stamped with the
//! leader's **epoch** — makes it durable on its own disk, and streams it to the **followers**,
//! which make it durable, acknowledge it, and apply it to their data in LSN order. This is
//! PostgreSQL's WAL streaming, MySQL's binlog, a MongoDB replica set, Redis replication.
//!
//! ## When is a write acknowledged? (the mode)
//! * **Asynchronous** — as soon as the leader's own disk has it. Fast, and a follower's trouble
//!   never slows a write. The price: until the entry reaches a follower, the leader is the only
//!   copy; if it dies then, a failover loses that *acknowledged* write.
//! * **Synchronous** — once every follower has it durable. Nothing acknowledged is lost in a
//!   failover, but each write waits for the slowest follower and stops entirely while one is
//!   down. After a failover the former leader is out of the synchronous set (the failover
//!   manager reconfigures it, as Patroni does) until it is back and caught up — otherwise no
//!   write could complete until the dead node returned.
//! * **Semi-synchronous (k)** — once k followers have it (MySQL's
//!   `rpl_semi_sync_master_wait_for_slave_count`, AFTER_SYNC; PostgreSQL's one synchronous
//!   standby). Like MySQL, if no k acknowledgements arrive within `semi_sync_timeout` (default
//!   10 s) the leader *falls back to asynchronous* and says so; it switches back once k followers
//!   have caught up. While it is fallen back it can lose writes like an asynchronous leader.
//! * **Consensus** (failover mode `consensus`) — once a majority has it, Raft's commit rule.
//!
//! ## Lag
//! Followers apply entries one at a time, each costing `apply_cost` per row it touches. Lag —
//! in entries and in time since the oldest missing entry was written — grows with a slow
//! follower disk (`slow_disk`), a large transaction (`bulk … rows=N`, replayed as one unit that
//! blocks everything behind it), a write burst, or a long cross-region link. The leader keeps
//! only `log_retention` entries; a follower that returns needing older ones gets a full
//! snapshot instead (visible as a large, slow message).
//!
//! ## Reads
//! The client session picks where a read goes: the leader; any follower; round-robin; a sticky
//! follower (monotonic reads); the leader for `ryw_window` after the session's own last write
//! (read-your-writes); or any follower but carrying the session's last write LSN as a token, so
//! the follower waits until it has applied that far (or sends the client to the leader). A read
//! meant for the leader is marked so: a follower that receives one (the client's idea of the
//! leader is out of date) redirects it instead of answering from its own, older data.
//!
//! ## Failover
//! Followers expect a heartbeat every `heartbeat_interval`; after `failure_timeout` of silence
//! they suspect the leader.
//! * `manual`: nothing happens until an operator runs `promote nX`.
//! * `automatic`: the lowest-numbered follower that can still reach the others acts as the
//!   orchestrator (like Orchestrator, Sentinel or a Patroni script without a consensus store):
//!   it asks every reachable node for its log position, promotes one — the most up-to-date by
//!   default, or, if you choose, a lagging one — with the next epoch, and the new leader tells
//!   every node and client (the VIP/DNS switch). Nothing stops the *other* side of a partition
//!   from keeping its old leader: that is split-brain.
//! * `consensus`: Raft-style elections. A candidate needs votes from a majority, each node votes
//!   once per term and only for a log at least as up-to-date as its own, so two leaders can never
//!   share a term, and a write is acknowledged only once a majority has it. A leader that has not
//!   heard from a majority for an election timeout steps down (Raft's check-quorum, as etcd and
//!   MongoDB do), so an isolated leader stops serving reads instead of serving stale ones for as
//!   long as the partition lasts.
//!
//! When a node learns of a higher epoch it steps down and follows the new leader; entries in its
//! log that the new leader does not have are **discarded** (the old leader's unreplicated tail).
//! A promotion records what the new leader's log holds: an acknowledged write it lacks is lost at
//! that moment, whether or not the old leader ever comes back to throw its copy away.
//!
//! ## Fencing and leases
//! Every replicated entry carries the leader's epoch, and a replica that has seen a newer epoch
//! rejects an older one; that stops a deposed leader's *replication*, but not its
//! *acknowledgements*: an asynchronous leader acknowledges from its own disk.
//!
//! `fencing` models **STONITH** ("shoot the other node in the head"), the fencing that Pacemaker
//! and managed databases use: before promoting, the failover manager powers the old leader off
//! through an out-of-band channel (a management controller or a cloud API, which a network
//! partition does not cut) and waits `fence_time` for the confirmation. A node that is off
//! acknowledges nothing, so no write is ever acknowledged under an old epoch once a newer one
//! exists. What it costs, visibly: failover takes `fence_time` longer; the fenced node stays off
//! (its clients get no answer) until someone restarts it, as a follower; and the manager must
//! reach a majority before it may fence anyone — one cut off in a minority does nothing. What it
//! does not do: make asynchronous replication durable. The old leader's unreplicated tail is
//! lost in a failover exactly as without fencing.
//!
//! With a `lease`, a leader accepts writes only while a majority has answered its heartbeats
//! within the lease, measured on its own (possibly skewed) clock.
//!
//! ## Replication is not a backup
//! `delete_all` replicates like any other write. `backup` snapshots the leader's data with its
//! LSN; `restore` writes that snapshot back through the log. Writes after the backup are the
//! recovery point (RPO); the restore's replay time across the cluster is the recovery time (RTO).

use crate::annotate::{Annotation, LogHeld};
use crate::model::{ClientId, ClientOp, Completion, Endpoint, NodeId, Op, OpId, OpResult, ReadValue, Seen, Sym};
use crate::plog::PLog;
use crate::protocol::{Control, Label, MessageMeta, NodeCtx, Protocol, TimerId};
use crate::rng::stable_hash;
use crate::sorted::{VecMap, VecSet};
use crate::time::{Duration, SimTime};
use crate::topology::client::{self as clients, Answer, Client, Clients, Next, Pending, Reply, Request};
use crate::validate::{join, Problems, Validate};
use crate::view::{EntryState, EntryView, Lag, MsgKind, NodeView, Observation, Role};
use crate::vocab::{KeyKind, Names};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

mod client;
mod protocol;
mod replication;
mod view;

pub use client::{LfAsk, LfRefusal, LfRoute, LogPosition};

// ---------------------------------------------------------------------------------------------
// Configuration

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicationMode {
    Async,
    Sync,
    SemiSync,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailoverMode {
    Manual,
    Automatic,
    Consensus,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionRule {
    MostUpToDate,
    /// The bad choice, available to see what it costs.
    LeastUpToDate,
    LowestId,
}

impl ReplicationMode {
    pub fn label(self) -> &'static str {
        match self {
            ReplicationMode::Async => "asynchronous",
            ReplicationMode::Sync => "synchronous",
            ReplicationMode::SemiSync => "semi-synchronous",
        }
    }
}

impl FailoverMode {
    pub fn label(self) -> &'static str {
        match self {
            FailoverMode::Manual => "manual failover",
            FailoverMode::Automatic => "automatic failover",
            FailoverMode::Consensus => "consensus (Raft-style)",
        }
    }
}

impl ReadRouting {
    pub fn label(self) -> &'static str {
        match self {
            ReadRouting::Leader => "reads from leader",
            ReadRouting::AnyFollower => "reads from any follower",
            ReadRouting::RoundRobin => "reads round-robin",
            ReadRouting::Sticky => "sticky follower reads",
            ReadRouting::ReadYourWrites => "read-your-writes routing",
            ReadRouting::LsnToken => "LSN-token reads",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadRouting {
    Leader,
    AnyFollower,
    RoundRobin,
    Sticky,
    ReadYourWrites,
    LsnToken,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LfConfig {
    pub nodes: u32,
    /// Region of each node (defaults to the first region).
    pub placement: Vec<String>,
    pub mode: ReplicationMode,
    /// Semi-sync: acknowledgements to wait for.
    pub sync_replicas: u32,
    pub semi_sync_timeout: Duration,
    pub failover: FailoverMode,
    pub heartbeat_interval: Duration,
    pub failure_timeout: Duration,
    pub promote: PromotionRule,
    /// STONITH: before promoting, the failover manager (which must reach a majority) powers the
    /// old leader off and waits `fence_time` for the power controller to confirm it is off.
    pub fencing: bool,
    pub fence_time: Duration,
    pub lease: Option<Duration>,
    pub read_routing: ReadRouting,
    pub ryw_window: Duration,
    /// Entries the leader keeps for followers that fall behind.
    pub log_retention: u32,
    /// Time for a follower to replay one row of an entry.
    pub apply_cost: Duration,
    /// How often the leader's log shipper sends new entries (its batching cadence). Writes
    /// acknowledged within this window exist only on the leader: the asynchronous loss window.
    pub ship_interval: Duration,
}

crate::scalar_enum!(ReplicationMode: Async, Sync, SemiSync);
crate::scalar_enum!(FailoverMode: Manual, Automatic, Consensus);
crate::scalar_enum!(PromotionRule: MostUpToDate, LeastUpToDate, LowestId);
crate::scalar_enum!(ReadRouting: Leader, AnyFollower, RoundRobin, Sticky, ReadYourWrites, LsnToken);
crate::overridable!(LfConfig {
    nodes,
    placement,
    mode,
    sync_replicas,
    semi_sync_timeout,
    failover,
    heartbeat_interval,
    failure_timeout,
    promote,
    fencing,
    fence_time,
    lease,
    read_routing,
    ryw_window,
    log_retention,
    apply_cost,
    ship_interval,
});

impl Default for LfConfig {
    fn default() -> Self {
        LfConfig {
            nodes: 3,
            placement: Vec::new(),
            mode: ReplicationMode::Async,
            sync_replicas: 1,
            semi_sync_timeout: Duration::from_secs(10),
            failover: FailoverMode::Automatic,
            heartbeat_interval: Duration::from_ms(500),
            failure_timeout: Duration::from_secs(3),
            promote: PromotionRule::MostUpToDate,
            fencing: false,
            fence_time: Duration::from_secs(2),
            lease: None,
            read_routing: ReadRouting::Leader,
            ryw_window: Duration::from_secs(5),
            log_retention: 10_000,
            apply_cost: Duration(50),
            ship_interval: Duration::from_ms(5),
        }
    }
}

impl Validate for LfConfig {
    fn validate(&self, path: &str, p: &mut Problems) {
        p.range_u64(&join(path, "nodes"), self.nodes as u64, 1, crate::vocab::MAX_NODES as u64);
        if self.mode == ReplicationMode::SemiSync {
            p.range_u64(&join(path, "sync_replicas"), self.sync_replicas as u64, 1, (self.nodes.max(2) - 1) as u64);
        }
        p.range_duration(&join(path, "semi_sync_timeout"), self.semi_sync_timeout.0, 1_000, 600_000_000);
        p.range_duration(&join(path, "heartbeat_interval"), self.heartbeat_interval.0, 10_000, 60_000_000);
        p.range_duration(&join(path, "failure_timeout"), self.failure_timeout.0, 20_000, 600_000_000);
        if self.failure_timeout.0 <= self.heartbeat_interval.0 {
            p.push(join(path, "failure_timeout"), "must be longer than heartbeat_interval");
        }
        p.range_duration(&join(path, "fence_time"), self.fence_time.0, 0, 600_000_000);
        if let Some(l) = self.lease {
            p.range_duration(&join(path, "lease"), l.0, 10_000, 600_000_000);
        }
        p.range_duration(&join(path, "ryw_window"), self.ryw_window.0, 0, 600_000_000);
        p.range_u64(&join(path, "log_retention"), self.log_retention as u64, 1, 1_000_000);
        p.range_duration(&join(path, "apply_cost"), self.apply_cost.0, 0, 10_000_000);
        p.range_duration(&join(path, "ship_interval"), self.ship_interval.0, 0, 10_000_000);
    }
}

// ---------------------------------------------------------------------------------------------
// Data

/// What an entry does to the data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmd {
    Set {
        key: Sym,
        value: i64,
    },
    Bulk {
        key: Sym,
        value: i64,
        rows: u32,
    },
    Incr {
        key: Sym,
        by: i64,
    },
    Add {
        key: Sym,
        elem: Sym,
    },
    Remove {
        key: Sym,
        elem: Sym,
    },
    Insert {
        table: Sym,
    },
    DeleteAll,
    /// Restores a backup: replaces all data.
    Restore {
        data: Rc<Data>,
        backup_lsn: u64,
    },
    /// A new consensus leader's first entry, committing what came before.
    Noop,
}

impl Cmd {
    fn from_op(op: &Op) -> Option<Cmd> {
        Some(match *op {
            Op::Write { key, value } => Cmd::Set { key, value },
            Op::Bulk { key, value, rows } => Cmd::Bulk { key, value, rows },
            Op::Increment { key, by } => Cmd::Incr { key, by },
            Op::SetAdd { key, elem } => Cmd::Add { key, elem },
            Op::SetRemove { key, elem } => Cmd::Remove { key, elem },
            Op::Insert { table } => Cmd::Insert { table },
            Op::DeleteAll => Cmd::DeleteAll,
            Op::Read { .. } => return None,
        })
    }

    /// Rows touched: what a follower's replay and the disk pay for.
    fn rows(&self) -> u32 {
        match self {
            Cmd::Bulk { rows, .. } => *rows,
            Cmd::Restore { data, .. } => data.rows().max(1),
            _ => 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Value {
    Register(Seen),
    Counter(i64),
    Set(VecSet<Sym>),
    Table(Vec<u64>),
}

/// A node's data: what reads see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data {
    pub values: VecMap<Sym, Value>,
    /// Rows of bulk data, so that a snapshot's size reflects them.
    pub bulk_rows: u64,
}

impl Data {
    fn rows(&self) -> u32 {
        (self.values.len() as u64 + self.bulk_rows).min(u32::MAX as u64) as u32
    }

    fn apply(&mut self, e: &Entry) {
        match &e.cmd {
            Cmd::Set { key, value } => {
                self.values.insert(*key, Value::Register(Seen { write: e.write, value: *value }));
            }
            Cmd::Bulk { key, value, rows } => {
                self.values.insert(*key, Value::Register(Seen { write: e.write, value: *value }));
                self.bulk_rows = self.bulk_rows.max(*rows as u64);
            }
            Cmd::Incr { key, by } => {
                let v = self.values.entry(*key).or_insert(Value::Counter(0));
                if let Value::Counter(c) = v {
                    *c += by;
                }
            }
            Cmd::Add { key, elem } => {
                if let Value::Set(s) = self.values.entry(*key).or_insert(Value::Set(VecSet::new())) {
                    s.insert(*elem);
                }
            }
            Cmd::Remove { key, elem } => {
                if let Some(Value::Set(s)) = self.values.get_mut(key) {
                    s.remove(elem);
                }
            }
            Cmd::Insert { table } => {
                // The row id is the entry's LSN: unique within one leader's log.
                if let Value::Table(rows) = self.values.entry(*table).or_insert(Value::Table(Vec::new())) {
                    rows.push(e.lsn);
                }
            }
            Cmd::DeleteAll => {
                self.values.clear();
                self.bulk_rows = 0;
            }
            Cmd::Restore { data, .. } => *self = (**data).clone(),
            Cmd::Noop => {}
        }
    }

    fn read(&self, key: Sym) -> ReadValue {
        match self.values.get(&key) {
            None => ReadValue::Register(Vec::new()),
            Some(Value::Register(s)) => ReadValue::Register(vec![*s]),
            Some(Value::Counter(c)) => ReadValue::Counter(*c),
            Some(Value::Set(s)) => ReadValue::Set(s.iter().copied().collect()),
            Some(Value::Table(rows)) => ReadValue::Rows(rows.iter().map(|r| r.to_string()).collect()),
        }
    }

    fn label(&self, key: Sym, names: &Names) -> String {
        match self.values.get(&key) {
            None => "—".into(),
            Some(Value::Register(s)) => s.value.to_string(),
            Some(Value::Counter(c)) => c.to_string(),
            Some(Value::Set(s)) => format!("{{{}}}", s.iter().map(|e| names.get(*e)).collect::<Vec<_>>().join(", ")),
            Some(Value::Table(rows)) => format!("{} rows", rows.len()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub lsn: u64,
    pub epoch: u64,
    pub write: OpId,
    pub cmd: Cmd,
    /// True time the leader appended it: for measuring lag only, never for decisions.
    pub appended_at: SimTime,
}

impl Entry {
    fn label(&self, names: &Names) -> String {
        match &self.cmd {
            Cmd::Set { key, value } => format!("{} = {value}", names.get(*key)),
            Cmd::Bulk { key, value, rows } => {
                format!("{} = {value} ({rows} rows)", names.get(*key))
            }
            Cmd::Incr { key, by } => format!("{} {by:+}", names.get(*key)),
            Cmd::Add { key, elem } => format!("{} += {}", names.get(*key), names.get(*elem)),
            Cmd::Remove { key, elem } => format!("{} -= {}", names.get(*key), names.get(*elem)),
            Cmd::Insert { table } => format!("insert into {}", names.get(*table)),
            Cmd::DeleteAll => "DELETE ALL".into(),
            Cmd::Restore { backup_lsn, .. } => format!("restore backup @LSN {backup_lsn}"),
            Cmd::Noop => "(new term)".into(),
        }
    }
}

/// A point-in-time copy of the data, kept outside the replication stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    pub lsn: u64,
    pub data: Rc<Data>,
}

// ---------------------------------------------------------------------------------------------
// Messages and timers

#[derive(Clone, Debug)]
pub enum LfMsg {
    /// A client's operation (the shared client protocol's request), with what a read asks.
    Request(Request<LfAsk>),
    /// The answer to it, with where it stands in the log.
    Reply(Reply<LogPosition, LfRefusal>),
    Append {
        epoch: u64,
        prev_lsn: u64,
        prev_epoch: u64,
        entries: Vec<Entry>,
        commit: u64,
        sent_local: SimTime,
    },
    AppendAck {
        epoch: u64,
        flushed: u64,
        echo: SimTime,
    },
    AppendNack {
        epoch: u64,
        need_from: u64,
    },
    Snapshot {
        epoch: u64,
        lsn: u64,
        last_epoch: u64,
        data: Rc<Data>,
        sent_local: SimTime,
    },
    StatusQuery {
        epoch: u64,
    },
    StatusReply {
        epoch: u64,
        last_lsn: u64,
        last_epoch: u64,
        is_leader: bool,
    },
    Promote {
        epoch: u64,
        reason: String,
    },
    NewLeader {
        epoch: u64,
    },
    RequestVote {
        epoch: u64,
        last_lsn: u64,
        last_epoch: u64,
    },
    Vote {
        epoch: u64,
        granted: bool,
    },
}

impl MessageMeta for LfMsg {
    fn kind(&self) -> MsgKind {
        match self {
            LfMsg::Request(request) => request.kind(),
            LfMsg::Reply(reply) => reply.kind(),
            LfMsg::Append { entries, .. } if entries.is_empty() => MsgKind::Heartbeat,
            LfMsg::Append { .. } => MsgKind::Replicate,
            LfMsg::AppendAck { .. } | LfMsg::AppendNack { .. } => MsgKind::ReplicaAck,
            LfMsg::Snapshot { .. } => MsgKind::Snapshot,
            LfMsg::StatusQuery { .. } | LfMsg::StatusReply { .. } | LfMsg::RequestVote { .. } | LfMsg::Vote { .. } => {
                MsgKind::Election
            }
            LfMsg::Promote { .. } | LfMsg::NewLeader { .. } => MsgKind::Control,
        }
    }

    fn label(&self) -> Label {
        use Label::*;
        match self {
            LfMsg::Request(Request { body, ask, .. }) => match (body, ask) {
                (Op::Read { .. }, LfAsk { min_lsn, .. }) if *min_lsn > 0 => Num("read ≥ LSN ", *min_lsn),
                (Op::Read { .. }, LfAsk { leader_only: true, .. }) => Static("read (leader)"),
                (Op::Read { .. }, _) => Static("read"),
                _ => Static("write"),
            },
            LfMsg::Reply(Reply { answer, said, .. }) => match answer {
                Answer::Written { .. } => Num("ok, LSN ", said.lsn),
                Answer::Read { .. } => Num("value @ LSN ", said.lsn),
                Answer::Refused(LfRefusal::NotLeader { leader: Some(l) }) => Num("not leader, try n", l.0 as u64 + 1),
                Answer::Refused(LfRefusal::NotLeader { .. }) => Static("not leader"),
                Answer::Refused(LfRefusal::Rejected(reason)) => Label::text(format!("rejected: {reason}")),
            },
            LfMsg::Append { entries, .. } if entries.is_empty() => Static("heartbeat"),
            LfMsg::Append { entries, .. } => {
                let (a, b) = (entries[0].lsn, entries[entries.len() - 1].lsn);
                if a == b {
                    Num("LSN ", a)
                } else {
                    Range("LSN ", a, b)
                }
            }
            LfMsg::AppendAck { flushed, .. } => Num("ack ", *flushed),
            LfMsg::AppendNack { need_from, .. } => Num("need from LSN ", *need_from),
            LfMsg::Snapshot { lsn, .. } => Num("snapshot @ LSN ", *lsn),
            LfMsg::StatusQuery { .. } => Static("status?"),
            LfMsg::StatusReply { last_lsn, .. } => Num("at LSN ", *last_lsn),
            LfMsg::Promote { epoch, .. } => Num("promote, epoch ", *epoch),
            LfMsg::NewLeader { epoch } => Num("new leader, epoch ", *epoch),
            LfMsg::RequestVote { epoch, .. } => Num("vote for me? term ", *epoch),
            LfMsg::Vote { granted: true, .. } => Static("vote yes"),
            LfMsg::Vote { granted: false, .. } => Static("vote no"),
        }
    }

    fn op(&self) -> Option<OpId> {
        match self {
            LfMsg::Request(Request { op, .. }) | LfMsg::Reply(Reply { op, .. }) => Some(*op),
            LfMsg::Append { entries, .. } if entries.len() == 1 => Some(entries[0].write),
            _ => None,
        }
    }

    fn size_units(&self) -> u32 {
        match self {
            LfMsg::Snapshot { data, .. } => 20 + data.rows() / 1000,
            LfMsg::Append { entries, .. } => 1 + entries.iter().map(|e| e.cmd.rows() / 10_000).sum::<u32>(),
            _ => 1,
        }
    }
}

/// What an `Append` message carries, as the follower's handler takes it: entries after
/// (`prev_lsn`, `prev_epoch`) from a leader of `epoch`, its commit point, and when it sent them
/// by its own clock.
pub(super) struct Append {
    pub epoch: u64,
    pub prev_lsn: u64,
    pub prev_epoch: u64,
    pub entries: Vec<Entry>,
    pub commit: u64,
    pub sent_local: SimTime,
}

#[derive(Clone, Debug)]
pub enum LfTimer {
    Heartbeat,
    Ship,
    FailureCheck,
    Persisted {
        upto: u64,
    },
    Apply,
    FailoverCollect,
    ElectionTimeout,
    SemiSyncTimeout {
        lsn: u64,
    },
    ReadWait {
        op: OpId,
    },
    /// The fence's power-off is confirmed: promote `chosen` for `epoch`.
    FenceConfirmed {
        chosen: NodeId,
        epoch: u64,
        reason: String,
    },
}

// ---------------------------------------------------------------------------------------------
// State

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FollowerLink {
    Streaming,
    CatchingUp,
    Disconnected,
    Resync,
}

impl FollowerLink {
    fn label(self) -> &'static str {
        match self {
            FollowerLink::Streaming => "streaming",
            FollowerLink::CatchingUp => "catching up",
            FollowerLink::Disconnected => "disconnected",
            FollowerLink::Resync => "full resync",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Progress {
    /// Highest LSN the follower has acknowledged as durable.
    pub matched: u64,
    /// Next LSN to send.
    pub next: u64,
    pub last_ack_local: SimTime,
    pub last_sent_local: SimTime,
    pub link: FollowerLink,
    /// Local send time of the newest heartbeat this follower answered (for leases).
    pub echo: SimTime,
    /// Counts for synchronous replication. The former leader leaves the synchronous set when a
    /// follower is promoted (the failover manager reconfigures it) and rejoins once caught up.
    pub sync: bool,
}

impl Progress {
    /// What a new leader knows of a follower: nothing acknowledged yet, next to send the entry
    /// after `last`, heard from `now` (by the leader's clock), with `link` as its state.
    pub fn fresh(last: u64, now: SimTime, link: FollowerLink, sync: bool) -> Progress {
        Progress { matched: 0, next: last + 1, last_ack_local: now, last_sent_local: 0, link, echo: now, sync }
    }
}

#[derive(Clone, Debug)]
pub struct Waiting {
    client: ClientId,
    op: OpId,
    lsn: u64,
}

#[derive(Clone, Debug)]
pub struct LfNode {
    pub id: NodeId,
    // Durable.
    pub log: PLog<Entry>,
    /// LSN of the first entry still in the log minus one (entries before were compacted, or
    /// arrived in a snapshot).
    pub log_start: u64,
    pub start_epoch: u64,
    pub epoch: u64,
    pub voted_for: Option<NodeId>,
    pub data: Data,
    pub backups: Vec<Backup>,
    /// Whether this node was leader before a crash (an old primary comes back as primary).
    pub was_leader: bool,
    /// The role it had when it crashed, shown while it is down (a dead leader is still the
    /// leader everyone is waiting for until a failover happens).
    pub role_when_crashed: Option<Role>,
    // Volatile.
    pub role: Role,
    pub leader: Option<NodeId>,
    pub flushed: u64,
    pub applied: u64,
    pub commit: u64,
    applying: bool,
    pub progress: VecMap<NodeId, Progress>,
    waiting: Vec<Waiting>,
    pub degraded: bool,
    pub last_leader_contact: SimTime,
    pub suspecting: bool,
    coordinating: Option<VecMap<NodeId, (u64, u64, u64, bool)>>,
    votes: VecSet<NodeId>,
    pending_reads: Vec<(ClientId, OpId, Sym, u64, SimTime)>,
    pub lease_expired: bool,
    heartbeat_timer: Option<TimerId>,
    ship_scheduled: bool,
    /// The last entries thrown away (an old leader's tail), kept only so the log lane can show
    /// them struck through.
    pub discarded: Vec<Entry>,
    /// The data as of `log_start` (after a snapshot install); empty otherwise.
    pub base: Option<Rc<Data>>,
    /// Powered off by a fence (STONITH); cleared when it restarts, as a follower.
    pub fenced: bool,
    /// A failure-detection timer is pending (a leader that steps down needs one again).
    failure_timer_armed: bool,
}

impl LfNode {
    /// This node's replies to clients, as the shared client protocol carries them.
    fn position(&self, lsn: u64) -> LogPosition {
        LogPosition { lsn, epoch: self.epoch }
    }
    pub(super) fn read_reply(&self, op: OpId, key: Sym, applied: u64) -> LfMsg {
        LfMsg::Reply(Reply::read(op, self.data.read(key), self.position(applied)))
    }
    pub(super) fn not_leader(&self, op: OpId) -> LfMsg {
        LfMsg::Reply(Reply::refused(op, LfRefusal::NotLeader { leader: self.leader }, self.position(0)))
    }
    pub(super) fn rejected(&self, op: OpId, reason: String) -> LfMsg {
        LfMsg::Reply(Reply::refused(op, LfRefusal::Rejected(reason), self.position(0)))
    }

    pub fn last_lsn(&self) -> u64 {
        self.log_start + self.log.len() as u64
    }
    pub fn entry(&self, lsn: u64) -> Option<&Entry> {
        if lsn <= self.log_start {
            return None;
        }
        self.log.get((lsn - self.log_start - 1) as usize)
    }
    pub fn epoch_at(&self, lsn: u64) -> u64 {
        if lsn == self.log_start {
            return self.start_epoch;
        }
        self.entry(lsn).map(|e| e.epoch).unwrap_or(0)
    }
    fn last_epoch(&self) -> u64 {
        self.epoch_at(self.last_lsn())
    }
    fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }

    /// Runs of this node's log by epoch: what a new leader's history holds.
    pub fn held(&self) -> LogHeld {
        let mut runs: Vec<(u64, u64, u64)> = Vec::new();
        for e in self.log.iter() {
            match runs.last_mut() {
                Some((epoch, _, last)) if *epoch == e.epoch && *last + 1 == e.lsn => *last = e.lsn,
                _ => runs.push((e.epoch, e.lsn, e.lsn)),
            }
        }
        LogHeld { start: self.log_start, runs }
    }
}

#[derive(Clone, Debug)]
pub struct LeaderFollower {
    pub cfg: LfConfig,
}
