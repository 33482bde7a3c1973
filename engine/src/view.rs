//! Plain data the front end draws. Produced on demand from a state, never stored in links.

use crate::model::{NodeId, OpId};
use serde::{Deserialize, Serialize};

/// Every kind of message, each with its own colour and legend entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgKind {
    /// A client's write request.
    Write,
    /// A client's read request (or a coordinator's read of a replica).
    Read,
    /// An answer to a read.
    ReadReply,
    /// An answer to a write (to the client, or a replica's acknowledgement to a coordinator).
    Ack,
    /// Replication of log entries or changes.
    Replicate,
    /// A follower's acknowledgement of replicated entries.
    ReplicaAck,
    Heartbeat,
    /// Votes and failover coordination.
    Election,
    /// Read repair: the newest version written back to a stale replica.
    Repair,
    /// Hinted handoff.
    Hint,
    /// Merkle-tree anti-entropy exchange.
    AntiEntropy,
    /// Full resynchronisation of a follower that fell too far behind.
    Snapshot,
    /// Reconfiguration: "the leader is now n3".
    Control,
}

impl MsgKind {
    pub const ALL: [MsgKind; 13] = [
        MsgKind::Write,
        MsgKind::Read,
        MsgKind::ReadReply,
        MsgKind::Ack,
        MsgKind::Replicate,
        MsgKind::ReplicaAck,
        MsgKind::Heartbeat,
        MsgKind::Election,
        MsgKind::Repair,
        MsgKind::Hint,
        MsgKind::AntiEntropy,
        MsgKind::Snapshot,
        MsgKind::Control,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MsgKind::Write => "write",
            MsgKind::Read => "read",
            MsgKind::ReadReply => "read_reply",
            MsgKind::Ack => "ack",
            MsgKind::Replicate => "replicate",
            MsgKind::ReplicaAck => "replica_ack",
            MsgKind::Heartbeat => "heartbeat",
            MsgKind::Election => "election",
            MsgKind::Repair => "repair",
            MsgKind::Hint => "hint",
            MsgKind::AntiEntropy => "anti_entropy",
            MsgKind::Snapshot => "snapshot",
            MsgKind::Control => "control",
        }
    }

    pub fn legend(self) -> &'static str {
        match self {
            MsgKind::Write => "write request",
            MsgKind::Read => "read request",
            MsgKind::ReadReply => "read reply",
            MsgKind::Ack => "write ack",
            MsgKind::Replicate => "replication",
            MsgKind::ReplicaAck => "replica ack",
            MsgKind::Heartbeat => "heartbeat",
            MsgKind::Election => "election / failover",
            MsgKind::Repair => "read repair",
            MsgKind::Hint => "hinted handoff",
            MsgKind::AntiEntropy => "anti-entropy",
            MsgKind::Snapshot => "snapshot / resync",
            MsgKind::Control => "reconfiguration",
        }
    }

    pub fn parse(s: &str) -> Option<MsgKind> {
        MsgKind::ALL.iter().copied().find(|k| k.name() == s)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Leader,
    Follower,
    Candidate,
    /// A leader that has been replaced but does not know it yet.
    DeposedLeader,
    Replica,
    /// Hub of a star topology.
    Hub,
    /// The only node: no leader, no replicas (the single-node baseline).
    Standalone,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::DeposedLeader => "old leader",
            Role::Replica => "replica",
            Role::Hub => "hub leader",
            Role::Standalone => "the only copy",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    Up,
    Down,
    Paused,
}

/// The state of one entry in a node's log lane.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Received, not yet durable.
    Pending,
    /// Durable on this node (flushed), not yet applied.
    Flushed,
    /// Applied to this node's data.
    Applied,
    /// Known committed (acknowledged to the client under the mode's rule).
    Committed,
    /// Thrown away: an old leader's unreplicated tail, or a losing conflict version.
    Discarded,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntryView {
    /// Stable identity for keyed rendering: "41" (LSN) or "n2:7" (origin:seq).
    pub id: String,
    /// "x = 3", "likes +1", "DELETE ALL".
    pub label: String,
    /// "LSN 41 · epoch 2", "[2,1,0] @ 10:00:00.120".
    pub version: String,
    pub state: EntryState,
    pub write: Option<OpId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeView {
    pub id: NodeId,
    pub role: Role,
    /// "epoch 2", "term 3".
    pub epoch: Option<String>,
    /// Short status badges: "async fallback", "catching up", "3 hints".
    pub badges: Vec<String>,
    /// The tail of this node's log (or recent changes), oldest first.
    pub log: Vec<EntryView>,
    /// Total entries in the log, for "… 120 earlier".
    pub log_len: u64,
    /// Markers: applied / flushed / committed positions as labels.
    pub markers: Vec<(String, String)>,
    /// Current data: key → value label.
    pub data: Vec<(String, String)>,
    /// Everything else the inspector lists.
    pub detail: Vec<(String, String)>,
    /// The nodes this one sends its writes to, or takes them from: the lines the diagram draws
    /// (a leader to its followers, a follower to its leader, leaders by their replication
    /// topology, neighbours on a hash ring).
    pub links: Vec<NodeId>,
}

/// How far a replica is behind the freshest state it should have.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lag {
    /// Entries (or changes) the node has not applied yet.
    pub entries: u64,
    /// Age of the oldest write it is missing, in microseconds.
    pub time_us: u64,
}

/// An omniscient measurement of the cluster at one instant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Nodes that currently believe they are a leader, with their epoch/term.
    pub leaders: Vec<(NodeId, u64)>,
    /// Per node: how far behind it is (None where it does not apply).
    pub lag: Vec<Option<Lag>>,
    /// Per node: a digest of its data; equal digests mean identical data.
    pub data_digest: Vec<u64>,
    /// Per node: changes waiting to be sent onward (multi-leader backlog, hints held).
    pub backlog: Vec<u64>,
    /// Per node: holds data that disagrees with another replica of the same keys.
    pub divergent: Vec<bool>,
}

impl Observation {
    pub fn divergent_nodes(&self) -> usize {
        self.divergent.iter().filter(|d| **d).count()
    }
}

/// For topologies where every node holds every key: an up node diverges when its digest differs
/// from the one most up nodes share (ties go to the lowest digest, deterministically).
pub fn divergent_from_digests(digests: &[u64], up: &[bool]) -> Vec<bool> {
    let mut counts: crate::sorted::VecMap<u64, usize> = Default::default();
    for (d, u) in digests.iter().zip(up) {
        if *u {
            *counts.entry(*d).or_default() += 1;
        }
    }
    let majority = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(d, _)| *d);
    digests.iter().zip(up).map(|(d, u)| *u && Some(*d) != majority).collect()
}
