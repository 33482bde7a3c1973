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
use crate::time::{human_duration, Duration, SimTime};
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
    Set(BTreeSet<Sym>),
    Table(Vec<u64>),
}

/// A node's data: what reads see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data {
    pub values: BTreeMap<Sym, Value>,
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
                if let Value::Set(s) = self.values.entry(*key).or_insert(Value::Set(BTreeSet::new())) {
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
    ClientWrite {
        op: OpId,
        cmd: Cmd,
    },
    /// `leader_only`: the client meant the leader (leader routing, read-your-writes, the token
    /// read's fallback); a follower refuses it rather than answer from its own, older data.
    ClientRead {
        op: OpId,
        key: Sym,
        min_lsn: u64,
        leader_only: bool,
    },
    WriteOk {
        op: OpId,
        lsn: u64,
        epoch: u64,
    },
    ReadOk {
        op: OpId,
        value: ReadValue,
        applied: u64,
    },
    NotLeader {
        op: OpId,
        leader: Option<NodeId>,
        epoch: u64,
    },
    Rejected {
        op: OpId,
        reason: String,
    },
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
            LfMsg::ClientWrite { .. } => MsgKind::Write,
            LfMsg::ClientRead { .. } => MsgKind::Read,
            LfMsg::WriteOk { .. } | LfMsg::Rejected { .. } | LfMsg::NotLeader { .. } => MsgKind::Ack,
            LfMsg::ReadOk { .. } => MsgKind::ReadReply,
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
            LfMsg::ClientWrite { .. } => Static("write"),
            LfMsg::ClientRead { min_lsn, .. } if *min_lsn > 0 => Num("read ≥ LSN ", *min_lsn),
            LfMsg::ClientRead { leader_only: true, .. } => Static("read (leader)"),
            LfMsg::ClientRead { .. } => Static("read"),
            LfMsg::WriteOk { lsn, .. } => Num("ok, LSN ", *lsn),
            LfMsg::ReadOk { applied, .. } => Num("value @ LSN ", *applied),
            LfMsg::NotLeader { leader: Some(l), .. } => Num("not leader, try n", l.0 as u64 + 1),
            LfMsg::NotLeader { .. } => Static("not leader"),
            LfMsg::Rejected { reason, .. } => Label::text(format!("rejected: {reason}")),
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
            LfMsg::ClientWrite { op, .. }
            | LfMsg::ClientRead { op, .. }
            | LfMsg::WriteOk { op, .. }
            | LfMsg::ReadOk { op, .. }
            | LfMsg::NotLeader { op, .. }
            | LfMsg::Rejected { op, .. } => Some(*op),
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
    pub progress: BTreeMap<NodeId, Progress>,
    waiting: Vec<Waiting>,
    pub degraded: bool,
    pub last_leader_contact: SimTime,
    pub suspecting: bool,
    coordinating: Option<BTreeMap<NodeId, (u64, u64, u64, bool)>>,
    votes: BTreeSet<NodeId>,
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
pub struct LfClient {
    id: ClientId,
    leader: NodeId,
    epoch: u64,
    last_write_lsn: u64,
    last_write_at: Option<SimTime>,
    rr: usize,
    sticky: Option<NodeId>,
    pending: Option<(ClientOp, u32)>,
}

#[derive(Clone, Debug)]
pub struct LeaderFollower {
    pub cfg: LfConfig,
}

impl LeaderFollower {
    pub fn new(cfg: LfConfig) -> Self {
        LeaderFollower { cfg }
    }

    fn n(&self) -> usize {
        self.cfg.nodes as usize
    }

    fn majority(&self) -> usize {
        self.n() / 2 + 1
    }

    fn consensus(&self) -> bool {
        self.cfg.failover == FailoverMode::Consensus
    }

    fn others(&self, me: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.n()).map(|i| NodeId(i as u8)).filter(move |n| *n != me)
    }

    // ---- leader side -------------------------------------------------------------------------

    fn become_leader(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, epoch: u64) {
        // The leader this node followed until now: with synchronous replication the failover
        // manager takes it out of the synchronous set, or no write could complete until it is
        // back (it rejoins once it has caught up).
        let former = node.leader.filter(|l| *l != node.id);
        node.epoch = epoch;
        node.role = Role::Leader;
        node.leader = Some(node.id);
        node.was_leader = true;
        node.suspecting = false;
        node.coordinating = None;
        node.degraded = false;
        node.lease_expired = false;
        node.progress.clear();
        let last = node.last_lsn();
        for f in self.others(node.id) {
            let sync = Some(f) != former;
            node.progress.insert(
                f,
                Progress {
                    matched: 0,
                    next: last + 1,
                    last_ack_local: ctx.local_clock,
                    last_sent_local: 0,
                    link: FollowerLink::CatchingUp,
                    echo: ctx.local_clock,
                    sync,
                },
            );
            if !sync && self.cfg.mode == ReplicationMode::Sync && !self.consensus() {
                ctx.annotate(Annotation::FollowerState {
                    leader: node.id,
                    follower: f,
                    state: "out of the synchronous set (the former leader) until it catches up".into(),
                });
            }
        }
        // Everything in the new leader's log is the truth from now on.
        if !self.consensus() {
            node.commit = node.commit.max(node.flushed);
        }
        for f in self.others(node.id) {
            ctx.send(f, LfMsg::NewLeader { epoch });
        }
        for c in ctx.cluster.client_ids().collect::<Vec<_>>() {
            ctx.send(c, LfMsg::NewLeader { epoch });
        }
        if self.consensus() {
            self.append(node, ctx, Cmd::Noop, u32::MAX);
        }
        self.start_heartbeats(node, ctx);
    }

    fn start_heartbeats(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        if let Some(t) = node.heartbeat_timer.take() {
            ctx.cancel_timer(t);
        }
        self.send_heartbeats(node, ctx);
        node.heartbeat_timer = Some(ctx.set_timer(self.cfg.heartbeat_interval.0, LfTimer::Heartbeat));
    }

    fn step_down(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, epoch: u64, leader: Option<NodeId>, reason: &str) {
        let was_leader = node.is_leader();
        node.epoch = node.epoch.max(epoch);
        node.role = Role::Follower;
        node.leader = leader;
        node.was_leader = false;
        node.voted_for = None;
        node.coordinating = None;
        node.suspecting = false;
        node.last_leader_contact = ctx.local_clock;
        if let Some(t) = node.heartbeat_timer.take() {
            ctx.cancel_timer(t);
        }
        if was_leader {
            ctx.annotate(Annotation::SteppedDown { node: node.id, epoch: node.epoch, reason: reason.into() });
            // Clients waiting on this node's acknowledgement will not get one.
            for w in std::mem::take(&mut node.waiting) {
                ctx.send(w.client, LfMsg::NotLeader { op: w.op, leader, epoch: node.epoch });
            }
            // As a follower it must notice when its new leader fails in turn.
            if !node.failure_timer_armed {
                self.reset_failure_timer(node, ctx);
            }
        }
        node.progress.clear();
    }

    /// Appends a write to the leader's log and starts making it durable.
    fn append(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, cmd: Cmd, write: OpId) -> u64 {
        let lsn = node.last_lsn() + 1;
        let rows = cmd.rows();
        node.log.push(Entry { lsn, epoch: node.epoch, write, cmd, appended_at: ctx.now });
        ctx.persist(1 + rows / 1000, LfTimer::Persisted { upto: lsn });
        lsn
    }

    fn send_append(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, f: NodeId, force: bool) {
        let last = node.flushed;
        let Some(p) = node.progress.get(&f) else {
            return;
        };
        if p.link == FollowerLink::Resync && !force {
            return;
        }
        let next = p.next;
        // Entries older than the retention window are no longer kept for followers.
        let oldest_kept = node.last_lsn().saturating_sub(self.cfg.log_retention as u64).max(node.log_start);
        if next <= oldest_kept {
            // The follower needs entries the leader no longer keeps: send a full snapshot.
            let data = Rc::new(node.data.clone());
            let lsn = node.applied;
            let last_epoch = node.epoch_at(lsn.max(node.log_start));
            ctx.annotate(Annotation::SnapshotTransfer { from: node.id, to: f, upto_lsn: lsn });
            ctx.send(f, LfMsg::Snapshot { epoch: node.epoch, lsn, last_epoch, data, sent_local: ctx.local_clock });
            let p = node.progress.get_mut(&f).expect("progress");
            p.next = lsn + 1;
            p.last_sent_local = ctx.local_clock;
            if p.link != FollowerLink::Resync {
                p.link = FollowerLink::Resync;
                ctx.annotate(Annotation::FollowerState { leader: node.id, follower: f, state: "full resync".into() });
            }
            return;
        }
        if next > last && !force {
            return;
        }
        let upto = last.min(next + 63);
        let entries: Vec<Entry> = (next..=upto).filter_map(|l| node.entry(l).cloned()).collect();
        let prev_lsn = next - 1;
        let prev_epoch = node.epoch_at(prev_lsn);
        let msg = LfMsg::Append {
            epoch: node.epoch,
            prev_lsn,
            prev_epoch,
            entries,
            commit: node.commit,
            sent_local: ctx.local_clock,
        };
        ctx.send(f, msg);
        let p = node.progress.get_mut(&f).expect("progress");
        p.next = upto + 1;
        p.last_sent_local = ctx.local_clock;
    }

    /// Sends every follower the entries it has not been sent yet.
    fn ship(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let followers: Vec<NodeId> = node.progress.keys().copied().collect();
        for f in followers {
            self.send_append(node, ctx, f, false);
        }
    }

    fn send_heartbeats(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let followers: Vec<NodeId> = node.progress.keys().copied().collect();
        let retransmit_after = 2 * self.cfg.heartbeat_interval.0;
        let silence_limit = 3 * self.cfg.heartbeat_interval.0;
        for f in followers {
            let p = node.progress.get_mut(&f).expect("progress");
            // Nothing heard for a while: assume what was sent is lost and resend from the match.
            if p.next > p.matched + 1 && ctx.local_clock.saturating_sub(p.last_ack_local) >= retransmit_after {
                p.next = p.matched + 1;
            }
            let silent = ctx.local_clock.saturating_sub(p.last_ack_local) >= silence_limit;
            if silent && p.link != FollowerLink::Disconnected {
                p.link = FollowerLink::Disconnected;
                ctx.annotate(Annotation::FollowerState { leader: node.id, follower: f, state: "disconnected".into() });
            }
            let p = &node.progress[&f];
            let oldest_kept = node.last_lsn().saturating_sub(self.cfg.log_retention as u64).max(node.log_start);
            if p.next <= node.flushed || p.next <= oldest_kept {
                self.send_append(node, ctx, f, true);
            } else {
                let prev_lsn = p.next - 1;
                ctx.send(
                    f,
                    LfMsg::Append {
                        epoch: node.epoch,
                        prev_lsn,
                        prev_epoch: node.epoch_at(prev_lsn),
                        entries: Vec::new(),
                        commit: node.commit,
                        sent_local: ctx.local_clock,
                    },
                );
            }
        }
        self.check_lease(node, ctx);
    }

    /// Consensus only: whether fewer than a majority (the leader included) have answered within
    /// the last election timeout (`failure_timeout`).
    fn lost_majority(&self, node: &LfNode, ctx: &NodeCtx<Self>) -> bool {
        if !self.consensus() {
            return false;
        }
        let heard = node
            .progress
            .values()
            .filter(|p| ctx.local_clock.saturating_sub(p.last_ack_local) < self.cfg.failure_timeout.0)
            .count();
        heard + 1 < self.majority()
    }

    fn check_lease(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let Some(lease) = self.cfg.lease else { return };
        if !node.is_leader() {
            return;
        }
        let mut echoes: Vec<SimTime> = node.progress.values().map(|p| p.echo).collect();
        echoes.push(ctx.local_clock); // the leader counts itself
        crate::sort::sort_by(&mut echoes, |a, b| b.cmp(a));
        let majority_echo = echoes[self.majority() - 1];
        let valid = ctx.local_clock < majority_echo + lease.0;
        if !valid && !node.lease_expired {
            node.lease_expired = true;
            ctx.annotate(Annotation::LeaseExpired { node: node.id });
        } else if valid && node.lease_expired {
            node.lease_expired = false;
        }
    }

    /// Acknowledges every waiting write whose rule is now satisfied.
    fn advance_commit(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        if !node.is_leader() {
            return;
        }
        let mut acked: Vec<u64> = node.progress.values().map(|p| p.matched).collect();
        crate::sort::sort_by(&mut acked, |a, b| b.cmp(a));
        let followers = acked.len();
        let flushed = node.flushed;
        let kth = |k: usize| -> u64 {
            if k == 0 {
                flushed
            } else if k <= followers {
                acked[k - 1].min(flushed)
            } else {
                0
            }
        };
        let point = if self.consensus() {
            // Majority including the leader, and only entries of the current term commit directly.
            let m = kth(self.majority() - 1);
            if node.epoch_at(m) == node.epoch {
                m
            } else {
                node.commit
            }
        } else {
            match self.cfg.mode {
                ReplicationMode::Async => flushed,
                // Every follower in the synchronous set (not a former leader still away).
                ReplicationMode::Sync => {
                    node.progress.values().filter(|p| p.sync).map(|p| p.matched.min(flushed)).min().unwrap_or(flushed)
                }
                ReplicationMode::SemiSync => {
                    let k = (self.cfg.sync_replicas as usize).min(followers);
                    if node.degraded {
                        flushed
                    } else {
                        kth(k)
                    }
                }
            }
        };
        if point > node.commit {
            node.commit = point;
        }
        let commit = node.commit;
        let epoch = node.epoch;
        let mut still = Vec::new();
        for w in std::mem::take(&mut node.waiting) {
            if w.lsn <= commit {
                ctx.send(w.client, LfMsg::WriteOk { op: w.op, lsn: w.lsn, epoch });
            } else {
                still.push(w);
            }
        }
        node.waiting = still;
        // Semi-sync recovers once enough followers have caught up.
        if node.degraded && self.cfg.mode == ReplicationMode::SemiSync {
            let k = (self.cfg.sync_replicas as usize).min(followers);
            if kth(k) >= flushed {
                node.degraded = false;
                ctx.annotate(Annotation::SemiSyncRestored { leader: node.id });
            }
        }
    }

    fn on_client_write(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, client: ClientId, op: OpId, cmd: Cmd) {
        if !node.is_leader() {
            ctx.send(client, LfMsg::NotLeader { op, leader: node.leader, epoch: node.epoch });
            return;
        }
        if node.lease_expired {
            ctx.send(client, LfMsg::Rejected { op, reason: "leader lease expired".into() });
            return;
        }
        let lsn = self.append(node, ctx, cmd, op);
        node.waiting.push(Waiting { client, op, lsn });
        if self.cfg.mode == ReplicationMode::SemiSync && !node.degraded && !self.consensus() {
            ctx.set_timer(self.cfg.semi_sync_timeout.0, LfTimer::SemiSyncTimeout { lsn });
        }
    }

    // ---- follower side -----------------------------------------------------------------------

    fn heard_from_leader(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, epoch: u64, leader: NodeId) {
        if epoch > node.epoch || (epoch == node.epoch && node.role != Role::Follower && leader != node.id) {
            self.step_down(node, ctx, epoch, Some(leader), "a newer leader exists");
        }
        node.leader = Some(leader);
        node.last_leader_contact = ctx.local_clock;
        node.suspecting = false;
        node.coordinating = None;
    }

    fn on_append(
        &self,
        node: &mut LfNode,
        ctx: &mut NodeCtx<Self>,
        from: NodeId,
        epoch: u64,
        prev_lsn: u64,
        prev_epoch: u64,
        entries: Vec<Entry>,
        commit: u64,
        sent_local: SimTime,
    ) {
        if epoch < node.epoch {
            // A deposed leader: refuse, and tell it the epoch it has missed.
            if self.cfg.fencing || self.consensus() {
                ctx.annotate(Annotation::Fenced {
                    by: node.id,
                    stale_leader: from,
                    stale_epoch: epoch,
                    current_epoch: node.epoch,
                });
            }
            ctx.send(from, LfMsg::AppendNack { epoch: node.epoch, need_from: 0 });
            return;
        }
        self.heard_from_leader(node, ctx, epoch, from);
        if prev_lsn > node.last_lsn() {
            ctx.send(from, LfMsg::AppendNack { epoch: node.epoch, need_from: node.last_lsn() + 1 });
            return;
        }
        if prev_lsn >= node.log_start && node.epoch_at(prev_lsn) != prev_epoch {
            // Our entry at prev_lsn came from another leader: ask for everything from the start
            // of that divergent epoch.
            let bad_epoch = node.epoch_at(prev_lsn);
            let mut back = prev_lsn;
            while back > node.log_start + 1 && node.epoch_at(back - 1) == bad_epoch {
                back -= 1;
            }
            ctx.send(from, LfMsg::AppendNack { epoch: node.epoch, need_from: back.max(node.log_start + 1) });
            return;
        }
        let mut appended = false;
        let mut last_new = prev_lsn;
        for e in entries {
            last_new = e.lsn;
            if e.lsn <= node.log_start {
                continue;
            }
            match node.entry(e.lsn) {
                Some(mine) if mine.epoch == e.epoch => continue,
                Some(_) => {
                    self.discard_from(node, ctx, e.lsn);
                    node.log.push(e);
                    appended = true;
                }
                None => {
                    node.log.push(e);
                    appended = true;
                }
            }
        }
        if appended {
            let rows: u32 = (prev_lsn + 1..=last_new).filter_map(|l| node.entry(l)).map(|e| e.cmd.rows()).sum();
            ctx.persist(1 + rows / 1000, LfTimer::Persisted { upto: last_new });
        } else {
            ctx.send(
                from,
                LfMsg::AppendAck {
                    epoch: node.epoch,
                    flushed: node.flushed.min(last_new.max(prev_lsn)),
                    echo: sent_local,
                },
            );
        }
        node.commit = node.commit.max(commit.min(node.last_lsn()));
        self.schedule_apply(node, ctx);
    }

    /// Throws away this node's entries from `lsn` on: they were never part of the new leader's
    /// history. Acknowledged writes among them are lost.
    fn discard_from(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, lsn: u64) {
        let last = node.last_lsn();
        if lsn > last {
            return;
        }
        let writes: Vec<OpId> = (lsn..=last)
            .filter_map(|l| node.entry(l))
            .filter(|e| !matches!(e.cmd, Cmd::Noop))
            .map(|e| e.write)
            .collect();
        ctx.annotate(Annotation::TailDiscarded { node: node.id, from_lsn: lsn, to_lsn: last, writes });
        for l in lsn..=last {
            if let Some(e) = node.entry(l) {
                node.discarded.push(e.clone());
            }
        }
        let excess = node.discarded.len().saturating_sub(6);
        node.discarded.drain(..excess);
        node.log.truncate((lsn - node.log_start - 1) as usize);
        node.flushed = node.flushed.min(lsn - 1);
        node.commit = node.commit.min(lsn - 1);
        if node.applied >= lsn {
            // Rebuild the data from the surviving prefix.
            self.rebuild(node, lsn - 1);
        }
    }

    fn rebuild(&self, node: &mut LfNode, upto: u64) {
        // The base is what came before the log (a snapshot), kept as the data at log_start.
        let mut data = node.snapshot_base();
        for l in node.log_start + 1..=upto {
            if let Some(e) = node.entry(l) {
                data.apply(e);
            }
        }
        node.data = data;
        node.applied = upto;
    }

    fn schedule_apply(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        if node.applying || node.is_leader() {
            return;
        }
        let limit = if self.consensus() { node.flushed.min(node.commit) } else { node.flushed };
        if node.applied >= limit {
            return;
        }
        let rows = node.entry(node.applied + 1).map(|e| e.cmd.rows()).unwrap_or(1) as u64;
        node.applying = true;
        ctx.set_timer(self.cfg.apply_cost.0 * rows, LfTimer::Apply);
    }

    fn answer_reads(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let applied = node.applied;
        let mut keep = Vec::new();
        for (client, op, key, min, since) in std::mem::take(&mut node.pending_reads) {
            if applied >= min {
                ctx.send(client, LfMsg::ReadOk { op, value: node.data.read(key), applied });
            } else {
                keep.push((client, op, key, min, since));
            }
        }
        node.pending_reads = keep;
    }

    // ---- failover ------------------------------------------------------------------------------

    fn suspect(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        if node.suspecting || node.is_leader() {
            return;
        }
        node.suspecting = true;
        let leader = node.leader.unwrap_or(NodeId(0));
        ctx.annotate(Annotation::LeaderSuspected { by: node.id, leader });
        match self.cfg.failover {
            FailoverMode::Manual => {}
            FailoverMode::Automatic => {
                let mut seen = BTreeMap::new();
                seen.insert(node.id, (node.epoch, node.last_lsn(), node.last_epoch(), false));
                node.coordinating = Some(seen);
                for o in self.others(node.id) {
                    ctx.send(o, LfMsg::StatusQuery { epoch: node.epoch });
                }
                ctx.set_timer(self.cfg.heartbeat_interval.0.max(200_000), LfTimer::FailoverCollect);
            }
            FailoverMode::Consensus => self.start_election(node, ctx),
        }
    }

    fn finish_failover(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let Some(seen) = node.coordinating.take() else {
            return;
        };
        node.suspecting = false;
        node.last_leader_contact = ctx.local_clock;
        // The leader answered after all: a false alarm (it was slow, or we were cut off alone).
        if seen.values().any(|(e, _, _, is_leader)| *is_leader && *e >= node.epoch) {
            return;
        }
        // Only the lowest-numbered reachable follower orchestrates; the others stand by.
        if seen.keys().next() != Some(&node.id) {
            return;
        }
        let max_epoch = seen.values().map(|(e, ..)| *e).max().unwrap_or(node.epoch);
        let candidates: Vec<(NodeId, u64, u64)> = seen.iter().map(|(n, (_, lsn, le, _))| (*n, *le, *lsn)).collect();
        let pick = match self.cfg.promote {
            PromotionRule::MostUpToDate => {
                candidates.iter().max_by(|a, b| (a.1, a.2).cmp(&(b.1, b.2)).then(b.0.cmp(&a.0)))
            }
            PromotionRule::LeastUpToDate => {
                candidates.iter().min_by(|a, b| (a.1, a.2).cmp(&(b.1, b.2)).then(a.0.cmp(&b.0)))
            }
            PromotionRule::LowestId => candidates.iter().min_by_key(|c| c.0),
        };
        let Some(&(chosen, _, lsn)) = pick else {
            return;
        };
        let reason = match self.cfg.promote {
            PromotionRule::MostUpToDate => {
                format!("most up-to-date reachable follower (LSN {lsn})")
            }
            PromotionRule::LeastUpToDate => {
                format!("least up-to-date follower chosen (LSN {lsn}): the bad choice")
            }
            PromotionRule::LowestId => format!("lowest-numbered follower (LSN {lsn})"),
        };
        let epoch = max_epoch.max(node.epoch) + 1;
        if self.cfg.fencing {
            // STONITH needs a majority behind the failover manager: a manager cut off in a
            // minority could otherwise power off a healthy leader and promote a second one.
            if seen.len() < self.majority() {
                ctx.annotate(Annotation::Note(format!(
                    "{} reaches only {} of {} nodes: with fencing it will not power anything off or promote anyone",
                    node.id,
                    seen.len(),
                    self.n()
                )));
                return;
            }
            if let Some(old) = node.leader.filter(|l| *l != chosen) {
                self.fence_then_promote(node, ctx, old, chosen, epoch, reason);
                return;
            }
        }
        self.promote(node, ctx, chosen, epoch, reason);
    }

    /// Promotes `chosen` (this node or another) for `epoch`.
    fn promote(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, chosen: NodeId, epoch: u64, reason: String) {
        if chosen == node.id {
            ctx.annotate(Annotation::Promoted { node: node.id, epoch, reason, held: node.held() });
            self.become_leader(node, ctx, epoch);
        } else {
            ctx.send(chosen, LfMsg::Promote { epoch, reason });
        }
    }

    /// STONITH: powers the old leader off through the out-of-band channel, then waits
    /// `fence_time` for the power controller's confirmation before promoting. That wait is
    /// fencing's price in failover time; the old leader's unreplicated tail is still lost.
    fn fence_then_promote(
        &self,
        node: &mut LfNode,
        ctx: &mut NodeCtx<Self>,
        old: NodeId,
        chosen: NodeId,
        epoch: u64,
        reason: String,
    ) {
        ctx.annotate(Annotation::PoweredOff { by: node.id, node: old, epoch });
        ctx.power_off(old);
        let reason = format!("{reason}, after {old} was powered off");
        ctx.set_timer(self.cfg.fence_time.0, LfTimer::FenceConfirmed { chosen, epoch, reason });
    }

    fn start_election(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        node.epoch += 1;
        node.role = Role::Candidate;
        node.voted_for = Some(node.id);
        node.votes = BTreeSet::from([node.id]);
        node.leader = None;
        for o in self.others(node.id) {
            ctx.send(
                o,
                LfMsg::RequestVote { epoch: node.epoch, last_lsn: node.last_lsn(), last_epoch: node.last_epoch() },
            );
        }
        let jitter = ctx.entropy.below((self.cfg.failure_timeout.0 / 2).max(1) as usize) as u64;
        ctx.set_timer(self.cfg.failure_timeout.0 + jitter, LfTimer::ElectionTimeout);
        if node.votes.len() >= self.majority() {
            self.win_election(node, ctx);
        }
    }

    fn win_election(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        ctx.annotate(Annotation::Elected {
            node: node.id,
            term: node.epoch,
            votes: node.votes.iter().copied().collect(),
            held: node.held(),
        });
        self.become_leader(node, ctx, node.epoch);
    }

    fn reset_failure_timer(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        node.failure_timer_armed = true;
        let jitter = if self.consensus() {
            ctx.entropy.below((self.cfg.failure_timeout.0 / 2).max(1) as usize) as u64
        } else {
            0
        };
        ctx.set_timer(self.cfg.heartbeat_interval.0 + jitter / 8, LfTimer::FailureCheck);
    }
}

impl LfNode {
    fn snapshot_base(&self) -> Data {
        self.base.as_ref().map(|b| (**b).clone()).unwrap_or_default()
    }
}

impl Protocol for LeaderFollower {
    type Node = LfNode;
    type Client = LfClient;
    type Msg = LfMsg;
    type Timer = LfTimer;

    fn init_node(&self, id: NodeId, ctx: &mut NodeCtx<Self>) -> LfNode {
        let mut node = LfNode {
            id,
            log: PLog::new(),
            log_start: 0,
            start_epoch: 0,
            epoch: 1,
            voted_for: None,
            data: Data::default(),
            backups: Vec::new(),
            was_leader: false,
            role_when_crashed: None,
            role: Role::Follower,
            leader: Some(NodeId(0)),
            flushed: 0,
            applied: 0,
            commit: 0,
            applying: false,
            progress: BTreeMap::new(),
            waiting: Vec::new(),
            degraded: false,
            last_leader_contact: 0,
            suspecting: false,
            coordinating: None,
            votes: BTreeSet::new(),
            pending_reads: Vec::new(),
            lease_expired: false,
            heartbeat_timer: None,
            ship_scheduled: false,
            discarded: Vec::new(),
            base: None,
            fenced: false,
            failure_timer_armed: false,
        };
        if id == NodeId(0) {
            node.role = Role::Leader;
            node.was_leader = true;
            node.voted_for = Some(id);
            for f in self.others(id) {
                node.progress.insert(
                    f,
                    Progress {
                        matched: 0,
                        next: 1,
                        last_ack_local: 0,
                        last_sent_local: 0,
                        link: FollowerLink::Streaming,
                        echo: 0,
                        sync: true,
                    },
                );
            }
            node.heartbeat_timer = Some(ctx.set_timer(self.cfg.heartbeat_interval.0, LfTimer::Heartbeat));
        } else {
            self.reset_failure_timer(&mut node, ctx);
        }
        node
    }

    fn init_client(&self, id: ClientId, _ctx: &mut NodeCtx<Self>) -> LfClient {
        LfClient {
            id,
            leader: NodeId(0),
            epoch: 1,
            last_write_lsn: 0,
            last_write_at: None,
            rr: id.0 as usize,
            sticky: None,
            pending: None,
        }
    }

    fn on_message(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: LfMsg) {
        match (from, msg) {
            (Endpoint::Client(c), LfMsg::ClientWrite { op, cmd }) => {
                ctx.contacted(op, node.id);
                self.on_client_write(node, ctx, c, op, cmd);
            }
            (Endpoint::Client(c), LfMsg::ClientRead { op, key, min_lsn, leader_only }) => {
                ctx.contacted(op, node.id);
                if leader_only && !node.is_leader() {
                    // A read meant for the leader: a follower redirects rather than answer from
                    // data that may lag.
                    ctx.send(c, LfMsg::NotLeader { op, leader: node.leader, epoch: node.epoch });
                } else if node.applied >= min_lsn || node.is_leader() {
                    let applied = if node.is_leader() { node.flushed } else { node.applied };
                    ctx.send(c, LfMsg::ReadOk { op, value: node.data.read(key), applied });
                } else {
                    node.pending_reads.push((c, op, key, min_lsn, ctx.local_clock));
                    ctx.set_timer(1_000_000, LfTimer::ReadWait { op });
                }
            }
            (Endpoint::Node(f), LfMsg::Append { epoch, prev_lsn, prev_epoch, entries, commit, sent_local }) => {
                self.on_append(node, ctx, f, epoch, prev_lsn, prev_epoch, entries, commit, sent_local);
            }
            (Endpoint::Node(f), LfMsg::Snapshot { epoch, lsn, last_epoch, data, sent_local }) => {
                if epoch < node.epoch {
                    ctx.send(f, LfMsg::AppendNack { epoch: node.epoch, need_from: 0 });
                    return;
                }
                self.heard_from_leader(node, ctx, epoch, f);
                node.log = PLog::new();
                node.log_start = lsn;
                node.start_epoch = last_epoch;
                node.base = Some(data.clone());
                node.data = (*data).clone();
                node.flushed = lsn;
                node.applied = lsn;
                node.commit = node.commit.max(lsn);
                ctx.send(f, LfMsg::AppendAck { epoch: node.epoch, flushed: lsn, echo: sent_local });
            }
            (Endpoint::Node(f), LfMsg::AppendAck { epoch, flushed, echo }) => {
                if epoch > node.epoch {
                    self.step_down(node, ctx, epoch, None, "a follower knows a newer epoch");
                    return;
                }
                if !node.is_leader() || epoch < node.epoch {
                    return;
                }
                let now = ctx.local_clock;
                let last = node.flushed;
                if let Some(p) = node.progress.get_mut(&f) {
                    p.matched = p.matched.max(flushed);
                    p.next = p.next.max(p.matched + 1);
                    p.last_ack_local = now;
                    p.echo = p.echo.max(echo);
                    if !p.sync && p.matched >= last {
                        p.sync = true;
                        if self.cfg.mode == ReplicationMode::Sync && !self.consensus() {
                            ctx.annotate(Annotation::FollowerState {
                                leader: node.id,
                                follower: f,
                                state: "caught up: back in the synchronous set".into(),
                            });
                        }
                    }
                    let new_link =
                        if p.matched + 16 >= last { FollowerLink::Streaming } else { FollowerLink::CatchingUp };
                    if new_link != p.link {
                        p.link = new_link;
                        ctx.annotate(Annotation::FollowerState {
                            leader: node.id,
                            follower: f,
                            state: new_link.label().into(),
                        });
                    }
                }
                self.advance_commit(node, ctx);
                self.check_lease(node, ctx);
                self.send_append(node, ctx, f, false);
            }
            (Endpoint::Node(f), LfMsg::AppendNack { epoch, need_from }) => {
                if epoch > node.epoch {
                    if node.is_leader() && (self.cfg.fencing || self.consensus()) {
                        // The replica refused our fencing token: we have been replaced.
                        for w in &node.waiting {
                            ctx.send(
                                w.client,
                                LfMsg::Rejected { op: w.op, reason: format!("fenced: epoch {} < {epoch}", node.epoch) },
                            );
                        }
                        node.waiting.clear();
                    }
                    self.step_down(node, ctx, epoch, None, "a replica rejected its epoch");
                    return;
                }
                if !node.is_leader() || need_from == 0 {
                    return;
                }
                if let Some(p) = node.progress.get_mut(&f) {
                    p.next = need_from.max(1);
                    p.last_ack_local = ctx.local_clock;
                }
                self.send_append(node, ctx, f, true);
            }
            (Endpoint::Node(f), LfMsg::StatusQuery { epoch }) => {
                if epoch > node.epoch && !node.is_leader() {
                    node.epoch = epoch;
                }
                ctx.send(
                    f,
                    LfMsg::StatusReply {
                        epoch: node.epoch,
                        last_lsn: node.last_lsn(),
                        last_epoch: node.last_epoch(),
                        is_leader: node.is_leader(),
                    },
                );
            }
            (Endpoint::Node(f), LfMsg::StatusReply { epoch, last_lsn, last_epoch, is_leader }) => {
                if let Some(seen) = node.coordinating.as_mut() {
                    seen.insert(f, (epoch, last_lsn, last_epoch, is_leader));
                }
            }
            (Endpoint::Node(_), LfMsg::Promote { epoch, reason }) if epoch > node.epoch => {
                ctx.annotate(Annotation::Promoted { node: node.id, epoch, reason, held: node.held() });
                self.become_leader(node, ctx, epoch);
            }
            (Endpoint::Node(f), LfMsg::NewLeader { epoch }) => {
                if epoch > node.epoch || (epoch == node.epoch && !node.is_leader()) {
                    self.heard_from_leader(node, ctx, epoch, f);
                    node.epoch = epoch;
                } else if epoch < node.epoch {
                    ctx.send(f, LfMsg::NewLeader { epoch: node.epoch });
                }
            }
            (Endpoint::Node(f), LfMsg::RequestVote { epoch, last_lsn, last_epoch }) => {
                if epoch > node.epoch {
                    if node.is_leader() || node.role == Role::Candidate {
                        self.step_down(node, ctx, epoch, None, "a higher term began");
                    }
                    node.epoch = epoch;
                    node.voted_for = None;
                }
                let up_to_date = (last_epoch, last_lsn) >= (node.last_epoch(), node.last_lsn());
                let granted = epoch == node.epoch && up_to_date && node.voted_for.is_none_or(|v| v == f);
                if granted {
                    node.voted_for = Some(f);
                    node.last_leader_contact = ctx.local_clock;
                }
                ctx.send(f, LfMsg::Vote { epoch: node.epoch, granted });
            }
            (Endpoint::Node(f), LfMsg::Vote { epoch, granted }) => {
                if epoch > node.epoch {
                    self.step_down(node, ctx, epoch, None, "a higher term began");
                    return;
                }
                if node.role == Role::Candidate && epoch == node.epoch && granted {
                    node.votes.insert(f);
                    if node.votes.len() >= self.majority() {
                        self.win_election(node, ctx);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_timer(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, timer: LfTimer) {
        match timer {
            LfTimer::Heartbeat => {
                if node.is_leader() && self.lost_majority(node, ctx) {
                    // Raft's check-quorum (etcd), MongoDB's primary: a leader that has not heard
                    // from a majority for an election timeout steps down rather than go on
                    // serving reads and holding writes on the minority side of a partition.
                    self.step_down(
                        node,
                        ctx,
                        node.epoch,
                        None,
                        "it has not heard from a majority for an election timeout (check quorum)",
                    );
                    node.heartbeat_timer = None;
                } else if node.is_leader() {
                    self.send_heartbeats(node, ctx);
                    node.heartbeat_timer = Some(ctx.set_timer(self.cfg.heartbeat_interval.0, LfTimer::Heartbeat));
                } else {
                    node.heartbeat_timer = None;
                }
            }
            LfTimer::FailureCheck => {
                node.failure_timer_armed = false;
                if !node.is_leader() {
                    let silent = ctx.local_clock.saturating_sub(node.last_leader_contact);
                    if silent >= self.cfg.failure_timeout.0 && node.role != Role::Candidate {
                        self.suspect(node, ctx);
                    }
                }
                self.reset_failure_timer(node, ctx);
            }
            LfTimer::Persisted { upto } => {
                if upto > node.last_lsn() {
                    return; // truncated meanwhile
                }
                if upto > node.flushed {
                    node.flushed = upto;
                }
                if node.is_leader() {
                    // The leader applies what it has made durable, then ships it.
                    while node.applied < node.flushed {
                        let next = node.applied + 1;
                        if let Some(e) = node.entry(next).cloned() {
                            node.data.apply(&e);
                        }
                        node.applied = next;
                    }
                    if self.cfg.ship_interval.0 == 0 {
                        self.ship(node, ctx);
                    } else if !node.ship_scheduled {
                        node.ship_scheduled = true;
                        ctx.set_timer(self.cfg.ship_interval.0, LfTimer::Ship);
                    }
                    self.advance_commit(node, ctx);
                } else if let Some(l) = node.leader {
                    ctx.send(l, LfMsg::AppendAck { epoch: node.epoch, flushed: node.flushed, echo: ctx.local_clock });
                    self.schedule_apply(node, ctx);
                }
            }
            LfTimer::Apply => {
                node.applying = false;
                let next = node.applied + 1;
                if next <= node.flushed {
                    if let Some(e) = node.entry(next).cloned() {
                        node.data.apply(&e);
                    }
                    node.applied = next;
                    self.answer_reads(node, ctx);
                }
                self.schedule_apply(node, ctx);
            }
            LfTimer::Ship => {
                node.ship_scheduled = false;
                if node.is_leader() {
                    self.ship(node, ctx);
                }
            }
            LfTimer::FailoverCollect => self.finish_failover(node, ctx),
            LfTimer::ElectionTimeout => {
                if node.role == Role::Candidate {
                    self.start_election(node, ctx);
                }
            }
            LfTimer::SemiSyncTimeout { lsn } => {
                if node.is_leader() && !node.degraded && node.commit < lsn && node.waiting.iter().any(|w| w.lsn == lsn)
                {
                    node.degraded = true;
                    ctx.annotate(Annotation::SemiSyncFallback { leader: node.id });
                    self.advance_commit(node, ctx);
                }
            }
            LfTimer::FenceConfirmed { chosen, epoch, reason } => {
                // Promote unless a newer leader appeared while the fence was confirmed.
                if epoch > node.epoch && !node.is_leader() {
                    self.promote(node, ctx, chosen, epoch, reason);
                }
            }
            LfTimer::ReadWait { op } => {
                if let Some(i) = node.pending_reads.iter().position(|r| r.1 == op) {
                    let (client, op, ..) = node.pending_reads.remove(i);
                    ctx.send(client, LfMsg::Rejected { op, reason: "replica has not caught up to your write".into() });
                }
            }
        }
    }

    fn on_crash(&self, node: &mut LfNode) {
        // Entries not yet on disk are gone; everything volatile is reset.
        let keep = node.flushed.max(node.log_start);
        if node.last_lsn() > keep {
            node.log.truncate((keep - node.log_start) as usize);
        }
        if node.applied > keep {
            self.rebuild(node, keep);
        }
        node.commit = node.commit.min(keep);
        node.role_when_crashed = Some(node.role);
        node.role = Role::Follower;
        node.progress.clear();
        node.waiting.clear();
        node.pending_reads.clear();
        node.applying = false;
        node.coordinating = None;
        node.votes.clear();
        node.suspecting = false;
        node.heartbeat_timer = None;
        node.ship_scheduled = false;
        node.failure_timer_armed = false;
    }

    fn on_fenced(&self, node: &mut LfNode) {
        // Powered off by the failover manager: when someone powers it back on it rejoins as a
        // follower and learns the current leader, instead of resuming as the primary.
        node.fenced = true;
        node.was_leader = false;
        node.role_when_crashed = Some(Role::Follower);
    }

    fn on_restart(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        node.fenced = false;
        node.role_when_crashed = None;
        node.last_leader_contact = ctx.local_clock;
        if node.was_leader && !self.consensus() {
            // Like a restarted primary with no orchestrator watching: it still believes it leads.
            node.role = Role::Leader;
            node.leader = Some(node.id);
            let last = node.last_lsn();
            for f in self.others(node.id) {
                node.progress.insert(
                    f,
                    Progress {
                        matched: 0,
                        next: last + 1,
                        last_ack_local: ctx.local_clock,
                        last_sent_local: 0,
                        link: FollowerLink::CatchingUp,
                        echo: ctx.local_clock,
                        sync: true,
                    },
                );
            }
            self.start_heartbeats(node, ctx);
        } else {
            node.role = Role::Follower;
            self.reset_failure_timer(node, ctx);
            self.schedule_apply(node, ctx);
        }
    }

    fn on_control(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, control: &Control) {
        match control {
            Control::Promote(target) if *target == node.id && !node.is_leader() => {
                let epoch = node.epoch + 1;
                let reason = "promoted by the operator".to_string();
                match node.leader.filter(|l| *l != node.id) {
                    Some(old) if self.cfg.fencing && !self.consensus() => {
                        self.fence_then_promote(node, ctx, old, node.id, epoch, reason)
                    }
                    _ => self.promote(node, ctx, node.id, epoch, reason),
                }
            }
            Control::Backup if node.is_leader() => {
                node.backups.push(Backup { lsn: node.applied, data: Rc::new(node.data.clone()) });
                ctx.annotate(Annotation::BackupTaken { lsn: node.applied, keys: node.data.values.len() as u64 });
            }
            Control::Restore if node.is_leader() => match node.backups.last().cloned() {
                Some(b) => {
                    let lost: Vec<OpId> = (b.lsn + 1..=node.last_lsn())
                        .filter_map(|l| node.entry(l))
                        .filter(|e| {
                            matches!(
                                e.cmd,
                                Cmd::Set { .. }
                                    | Cmd::Bulk { .. }
                                    | Cmd::Incr { .. }
                                    | Cmd::Add { .. }
                                    | Cmd::Remove { .. }
                                    | Cmd::Insert { .. }
                            )
                        })
                        .map(|e| e.write)
                        .collect();
                    ctx.annotate(Annotation::BackupRestored { lsn: b.lsn, node: node.id, lost });
                    self.append(node, ctx, Cmd::Restore { data: b.data, backup_lsn: b.lsn }, u32::MAX - 1);
                }
                None => ctx.annotate(Annotation::Note(format!("{} has no backup to restore", node.id))),
            },
            _ => {}
        }
    }

    fn client_invoke(&self, client: &mut LfClient, ctx: &mut NodeCtx<Self>, op: &ClientOp) {
        client.pending = Some((op.clone(), 0));
        self.client_send(client, ctx);
    }

    fn client_on_message(&self, client: &mut LfClient, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: LfMsg) {
        let Some(n) = from.node() else { return };
        match msg {
            LfMsg::NewLeader { epoch } if epoch >= client.epoch => {
                client.epoch = epoch;
                client.leader = n;
            }
            LfMsg::WriteOk { op, lsn, epoch } if client.pending.as_ref().is_some_and(|(p, _)| p.id == op) => {
                let is_insert_op = client.pending.as_ref().is_some_and(|(p, _)| matches!(p.op, Op::Insert { .. }));
                client.pending = None;
                client.last_write_lsn = client.last_write_lsn.max(lsn);
                client.last_write_at = Some(ctx.now);
                let is_insert = is_insert_op;
                let mut c = Completion::new(op, OpResult::Written).by(n).version(format!("LSN {lsn} · epoch {epoch}"));
                c.epoch = Some(epoch);
                c.lsn = Some(lsn);
                if is_insert {
                    c.assigned_id = Some(lsn.to_string());
                }
                ctx.complete(c);
            }
            LfMsg::ReadOk { op, value, applied } if client.pending.as_ref().is_some_and(|(p, _)| p.id == op) => {
                client.pending = None;
                ctx.complete(
                    Completion::new(op, OpResult::Read(value)).by(n).version(format!("applied LSN {applied}")),
                );
            }
            LfMsg::NotLeader { op, leader, epoch } => {
                if epoch > client.epoch {
                    client.epoch = epoch;
                }
                if let Some(l) = leader {
                    if l != n {
                        client.leader = l;
                    } else {
                        client.leader = NodeId(((n.0 as usize + 1) % self.n()) as u8);
                    }
                } else {
                    client.leader = NodeId(((n.0 as usize + 1) % self.n()) as u8);
                }
                let retry = match client.pending.as_mut() {
                    Some((p, attempts)) if p.id == op => {
                        *attempts += 1;
                        *attempts <= 4
                    }
                    _ => false,
                };
                if retry {
                    self.client_send(client, ctx);
                } else if client.pending.as_ref().is_some_and(|(p, _)| p.id == op) {
                    client.pending = None;
                    ctx.complete(Completion::new(op, OpResult::Fail("no leader found".into())));
                }
            }
            LfMsg::Rejected { op, reason } => {
                let Some((p, attempts)) = client.pending.clone() else {
                    return;
                };
                if p.id != op {
                    return;
                }
                if p.op.is_read() && attempts == 0 {
                    // The token read's follower was behind: ask the leader instead.
                    client.pending = Some((p, 1));
                    let leader = client.leader;
                    self.client_send_to(client, ctx, leader, true);
                } else {
                    client.pending = None;
                    ctx.complete(Completion::new(op, OpResult::Fail(reason)).by(n));
                }
            }
            _ => {}
        }
    }

    fn client_on_timer(&self, _client: &mut LfClient, _ctx: &mut NodeCtx<Self>, _timer: LfTimer) {}

    fn client_abandon(&self, client: &mut LfClient, op: OpId) {
        if client.pending.as_ref().is_some_and(|(p, _)| p.id == op) {
            let was_write = client.pending.as_ref().is_some_and(|(p, _)| p.op.is_write());
            client.pending = None;
            if was_write {
                // The leader did not answer: probe the next node, which will redirect.
                client.leader = NodeId(((client.leader.0 as usize + 1) % self.n()) as u8);
            } else if let Some(s) = client.sticky {
                client.sticky = Some(NodeId(((s.0 as usize + 1) % self.n()) as u8));
            }
        }
    }

    fn node_view(&self, node: &LfNode, id: NodeId, names: &Names) -> NodeView {
        let mut badges = Vec::new();
        if node.is_leader() {
            match (self.consensus(), self.cfg.mode) {
                (true, _) => badges.push("majority commit".to_string()),
                (false, ReplicationMode::Async) => badges.push("async".into()),
                (false, ReplicationMode::Sync) => badges.push("sync".into()),
                (false, ReplicationMode::SemiSync) if node.degraded => {
                    badges.push("semi-sync fell back to async".into())
                }
                (false, ReplicationMode::SemiSync) => badges.push(format!("semi-sync ({})", self.cfg.sync_replicas)),
            }
            if node.lease_expired {
                badges.push("lease expired".into());
            }
            for (f, p) in &node.progress {
                if p.link != FollowerLink::Streaming {
                    badges.push(format!("{f}: {}", p.link.label()));
                }
            }
        } else if node.suspecting {
            badges.push("suspects leader".into());
        }
        if node.fenced {
            badges.push("powered off by the failover manager (fenced)".into());
        }
        if !node.pending_reads.is_empty() {
            badges.push(format!("{} reads waiting", node.pending_reads.len()));
        }
        let last = node.last_lsn();
        let first = last.saturating_sub(11).max(node.log_start + 1);
        let log = (first..=last)
            .filter_map(|l| node.entry(l))
            .map(|e| EntryView {
                id: format!("{}:{}", e.epoch, e.lsn),
                label: e.label(names),
                version: format!("LSN {} · epoch {}", e.lsn, e.epoch),
                state: if e.lsn <= node.commit && e.lsn <= node.applied {
                    EntryState::Committed
                } else if e.lsn <= node.applied {
                    EntryState::Applied
                } else if e.lsn <= node.flushed {
                    EntryState::Flushed
                } else {
                    EntryState::Pending
                },
                write: (e.write < u32::MAX - 1).then_some(e.write),
            })
            .collect();
        let mut log: Vec<EntryView> = log;
        // Entries thrown away stay visible, struck through, before the live tail.
        let ghosts: Vec<EntryView> = node
            .discarded
            .iter()
            .map(|e| EntryView {
                id: format!("gone:{}:{}", e.epoch, e.lsn),
                label: e.label(names),
                version: format!("LSN {} · epoch {} — discarded", e.lsn, e.epoch),
                state: EntryState::Discarded,
                write: Some(e.write),
            })
            .collect();
        if !ghosts.is_empty() {
            let keep = 12usize.saturating_sub(ghosts.len()).max(6);
            let skip = log.len().saturating_sub(keep);
            log = ghosts.into_iter().chain(log.into_iter().skip(skip)).collect();
        }
        let data = node.data.values.keys().map(|k| (names.get(*k).to_string(), node.data.label(*k, names))).collect();
        let mut detail = vec![
            ("epoch".to_string(), node.epoch.to_string()),
            ("last LSN".into(), last.to_string()),
            ("flushed LSN".into(), node.flushed.to_string()),
            ("applied LSN".into(), node.applied.to_string()),
            ("commit point".into(), node.commit.to_string()),
        ];
        if node.log_start > 0 {
            detail.push(("log starts after".into(), format!("LSN {} (older entries compacted)", node.log_start)));
        }
        if let Some(l) = node.leader {
            detail.push(("follows".into(), l.to_string()));
        }
        for (f, p) in &node.progress {
            detail.push((format!("{f} acknowledged"), format!("LSN {} ({})", p.matched, p.link.label())));
        }
        for b in &node.backups {
            detail.push(("backup".into(), format!("at LSN {}, {} keys", b.lsn, b.data.values.len())));
        }
        let role = node.role_when_crashed.unwrap_or(node.role);
        // A leader replicates to every other node.
        let links = if role == Role::Leader {
            (0..self.n()).filter(|&i| i != id.0 as usize).map(|i| NodeId(i as u8)).collect()
        } else {
            Vec::new()
        };
        NodeView {
            id,
            role,
            links,
            epoch: Some(format!("epoch {}", node.epoch)),
            badges,
            log,
            log_len: last,
            markers: vec![
                ("applied".into(), node.applied.to_string()),
                ("flushed".into(), node.flushed.to_string()),
                ("committed".into(), node.commit.to_string()),
            ],
            data,
            detail,
        }
    }

    fn observe(&self, nodes: &[&LfNode], up: &[bool], now: SimTime) -> Observation {
        let leaders: Vec<(NodeId, u64)> =
            nodes.iter().zip(up).filter(|(n, u)| **u && n.is_leader()).map(|(n, _)| (n.id, n.epoch)).collect();
        // Lag is measured against the newest-epoch leader, or the longest log if there is none.
        let reference = leaders
            .iter()
            .max_by_key(|(_, e)| *e)
            .map(|(id, _)| nodes[id.0 as usize])
            .or_else(|| nodes.iter().copied().max_by_key(|n| (n.last_epoch(), n.flushed)));
        let lag = nodes
            .iter()
            .map(|n| {
                let r = reference?;
                if std::ptr::eq(*n, r) {
                    return None;
                }
                let target = r.flushed;
                let entries = target.saturating_sub(n.applied);
                let time_us = if entries == 0 {
                    0
                } else {
                    r.entry(n.applied + 1).map(|e| now.saturating_sub(e.appended_at)).unwrap_or(0)
                };
                Some(Lag { entries, time_us })
            })
            .collect();
        let data_digest: Vec<u64> = nodes.iter().map(|n| stable_hash(&n.data.values)).collect();
        let divergent = divergent_from_digests(&data_digest, up);
        Observation { leaders, lag, data_digest, backlog: vec![0; nodes.len()], divergent }
    }

    fn surviving_writes(&self, nodes: &[&LfNode], _up: &[bool]) -> BTreeSet<OpId> {
        self.surviving(nodes)
    }
}

impl LeaderFollower {
    /// What the cluster's history holds at the end: the log (and data) of the newest leader —
    /// up or down, for a leader that crashed is still the history everyone waits for — or, with
    /// no leader at all, of the most up-to-date node (the one an election would pick). Entries only
    /// a deposed leader or a lagging follower still holds are not part of it: that copy will be
    /// thrown away when the node follows the newest leader, or never be seen again.
    fn surviving(&self, nodes: &[&LfNode]) -> BTreeSet<OpId> {
        let leading = |n: &LfNode| n.role_when_crashed.unwrap_or(n.role) == Role::Leader;
        let Some(history) = nodes.iter().max_by_key(|n| {
            let l = leading(n);
            (l, if l { n.epoch } else { 0 }, n.last_epoch(), n.last_lsn(), std::cmp::Reverse(n.id))
        }) else {
            return BTreeSet::new();
        };
        let mut out = BTreeSet::new();
        for e in history.log.iter() {
            if !matches!(e.cmd, Cmd::Noop | Cmd::Restore { .. }) {
                out.insert(e.write);
            }
        }
        for v in history.data.values.values() {
            if let Value::Register(s) = v {
                out.insert(s.write);
            }
        }
        out
    }

    fn client_send(&self, client: &mut LfClient, ctx: &mut NodeCtx<Self>) {
        let Some((op, attempts)) = client.pending.clone() else {
            return;
        };
        let (target, leader_only) = match op.via {
            // An explicit choice of node (an intervention): whatever that node is.
            Some(n) if attempts == 0 => (n, false),
            _ if op.op.is_write() => (client.leader, true),
            _ => self.read_target(client, ctx),
        };
        self.client_send_to(client, ctx, target, leader_only);
    }

    fn client_send_to(&self, client: &mut LfClient, ctx: &mut NodeCtx<Self>, target: NodeId, leader_only: bool) {
        let Some((op, _)) = client.pending.clone() else {
            return;
        };
        let msg = match &op.op {
            Op::Read { key } => {
                let min_lsn = if self.cfg.read_routing == ReadRouting::LsnToken && !leader_only {
                    client.last_write_lsn
                } else {
                    0
                };
                LfMsg::ClientRead { op: op.id, key: *key, min_lsn, leader_only }
            }
            other => match Cmd::from_op(other) {
                Some(cmd) => LfMsg::ClientWrite { op: op.id, cmd },
                None => return,
            },
        };
        ctx.send(target, msg);
    }

    /// Where a read goes, and whether it is meant for the leader (a follower then redirects it).
    fn read_target(&self, client: &mut LfClient, ctx: &mut NodeCtx<Self>) -> (NodeId, bool) {
        let followers: Vec<NodeId> = (0..self.n()).map(|i| NodeId(i as u8)).filter(|n| *n != client.leader).collect();
        if followers.is_empty() {
            return (client.leader, true);
        }
        let any = |ctx: &mut NodeCtx<Self>| followers[ctx.entropy.below(followers.len())];
        match self.cfg.read_routing {
            ReadRouting::Leader => (client.leader, true),
            ReadRouting::AnyFollower | ReadRouting::LsnToken => (any(ctx), false),
            ReadRouting::RoundRobin => {
                client.rr += 1;
                (followers[client.rr % followers.len()], false)
            }
            ReadRouting::Sticky => {
                let s = *client.sticky.get_or_insert(followers[client.id.0 as usize % followers.len()]);
                if s == client.leader {
                    (followers[client.id.0 as usize % followers.len()], false)
                } else {
                    (s, false)
                }
            }
            ReadRouting::ReadYourWrites => {
                let recent = client.last_write_at.is_some_and(|t| ctx.now.saturating_sub(t) < self.cfg.ryw_window.0);
                if recent {
                    (client.leader, true)
                } else {
                    (any(ctx), false)
                }
            }
        }
    }
}

/// Time a follower needs to apply `rows` rows, for labels.
pub fn apply_time_label(cfg: &LfConfig, rows: u64) -> String {
    human_duration(cfg.apply_cost.0 * rows)
}

impl crate::topology::Topology for LeaderFollower {
    type Config = LfConfig;

    fn node_count(config: &LfConfig) -> usize {
        config.nodes as usize
    }
    fn placement(config: &LfConfig) -> (&[String], usize) {
        (&config.placement, config.nodes as usize)
    }
    fn build(config: LfConfig, _: &Names, _: BTreeMap<Sym, KeyKind>, _: &[usize]) -> Self {
        LeaderFollower::new(config)
    }

    const EXPLAIN: Option<crate::topology::Explain> = Some(crate::topology::Explain::Failover);

    fn summary(c: &LfConfig) -> String {
        let mode = if c.failover == FailoverMode::Consensus { "majority commit" } else { c.mode.label() };
        format!("{} nodes · {mode} · {} · {}", c.nodes, c.failover.label(), c.read_routing.label())
    }

    fn settings(c: &LfConfig) -> Vec<crate::topology::Setting> {
        use crate::topology::Setting;
        let fence_s = c.fence_time.0 as f64 / 1e6;
        let mut out = vec![
            Setting::number("nodes", "Nodes", c.nodes, (1, 7), "One leader, the rest followers."),
            Setting::choice("mode", "Replication", &c.mode, &[
                ("async", "asynchronous", "The leader acknowledges from its own disk: fast, but a crash loses what no follower has yet."),
                ("semi_sync", "semi-synchronous", "Waits for some followers (falls back to async after its timeout): a round trip per write, nothing lost while it holds."),
                ("sync", "synchronous", "Waits for every follower: nothing acknowledged is lost, but one slow or dead follower stalls every write."),
            ]),
        ];
        if c.mode == ReplicationMode::SemiSync {
            out.push(Setting::number(
                "sync_replicas",
                "Sync followers",
                c.sync_replicas,
                (1, c.nodes.max(2) - 1),
                "Followers that must have a write before it is acknowledged.",
            ));
        }
        out.push(Setting::choice("failover", "Failover", &c.failover, &[
            ("manual", "manual", "Nothing happens until an operator promotes a follower: writes wait as long as that takes."),
            ("automatic", "automatic", "After the failure timeout a follower promotes the most up-to-date one. It may promote while the old leader still runs: split-brain."),
            ("consensus", "consensus (Raft-style)", "A majority elects the leader and must have each write: no split-brain, no lost acknowledged write; a minority side stops."),
        ]));
        out.push(Setting::choice(
            "promote",
            "Promote",
            &c.promote,
            &[
                ("most_up_to_date", "most up-to-date", "The follower with the longest log: loses the least."),
                (
                    "least_up_to_date",
                    "least up-to-date (bad)",
                    "The follower furthest behind: everything the others had beyond it is lost.",
                ),
                ("lowest_id", "lowest id", "Whichever comes first by name: sometimes a lagging one."),
            ],
        ));
        out.push(Setting::choice(
            "read_routing",
            "Reads go to",
            &c.read_routing,
            &[
                ("leader", "the leader", "Always current; every read loads the leader."),
                (
                    "any_follower",
                    "any follower",
                    "Spreads the load; a read may miss your own write or go back in time.",
                ),
                (
                    "round_robin",
                    "followers, round-robin",
                    "Spreads the load evenly; successive reads can go back in time.",
                ),
                (
                    "sticky",
                    "one follower per session",
                    "Monotonic reads per session; your own recent write may still be missing.",
                ),
                (
                    "read_your_writes",
                    "leader after own writes",
                    "The leader for a while after your own write, followers otherwise.",
                ),
                (
                    "lsn_token",
                    "follower with LSN token",
                    "A follower waits until it has applied your last write (or sends you to the leader).",
                ),
            ],
        ));
        if c.failover != FailoverMode::Consensus {
            out.push(Setting::toggle("fencing", "Fencing (STONITH)", c.fencing, ("true", "false"), (
                format!("Before promoting, the failover manager (it must reach a majority) powers the old leader off out of band and waits {fence_s} s: no split-brain. Costs {fence_s} s more failover; the old leader stays off; async writes it alone had are still lost."),
                "A deposed leader that still runs keeps acknowledging writes after a failover (split-brain).",
            )));
        }
        out.push(Setting::toggle("lease", "Leader lease (2 s)", c.lease.is_some(), ("2s", "null"), (
            "The leader accepts writes only while a majority answered it within the lease, on its own clock: a skewed clock breaks it.",
            "",
        )));
        out
    }
}
