//! The vocabulary shared by every topology: who talks (nodes and client sessions), what clients
//! ask for (operations), and what they get back (results that the history records).

use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A database node, `n1`..`n16` to people, 0-based inside.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u8);

/// A client session, `c1`..`c32` to people, 0-based inside.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientId(pub u8);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0 as u32 + 1)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0 as u32 + 1)
    }
}

/// Anything that sends or receives messages.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Endpoint {
    Node(NodeId),
    Client(ClientId),
}

impl Endpoint {
    pub fn node(self) -> Option<NodeId> {
        match self {
            Endpoint::Node(n) => Some(n),
            Endpoint::Client(_) => None,
        }
    }
    pub fn client(self) -> Option<ClientId> {
        match self {
            Endpoint::Client(c) => Some(c),
            Endpoint::Node(_) => None,
        }
    }
    /// Dense index: nodes first, then clients.
    pub fn index(self, nodes: usize) -> usize {
        match self {
            Endpoint::Node(n) => n.0 as usize,
            Endpoint::Client(c) => nodes + c.0 as usize,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Node(n) => n.fmt(f),
            Endpoint::Client(c) => c.fmt(f),
        }
    }
}

/// Parses `n3` / `c2` into an endpoint.
pub fn parse_endpoint(s: &str) -> Option<Endpoint> {
    let s = s.trim();
    let (kind, num) = s.split_at(s.char_indices().nth(1).map(|(i, _)| i).unwrap_or(s.len()));
    let num: u32 = num.parse().ok()?;
    if num == 0 || num > 255 {
        return None;
    }
    let i = (num - 1) as u8;
    match kind {
        "n" => Some(Endpoint::Node(NodeId(i))),
        "c" => Some(Endpoint::Client(ClientId(i))),
        _ => None,
    }
}

pub type MsgId = u64;
pub type OpId = u32;

/// An interned name (key, set element, table); the scenario holds the table of names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Sym(pub u16);

/// Cassandra-style consistency levels for leaderless operations.
#[derive(Copy, Clone, Debug, PartialEq, Hash, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsistencyLevel {
    One,
    Two,
    Quorum,
    All,
    LocalQuorum,
    EachQuorum,
}

impl ConsistencyLevel {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "one" => Self::One,
            "two" => Self::Two,
            "quorum" => Self::Quorum,
            "all" => Self::All,
            "local_quorum" => Self::LocalQuorum,
            "each_quorum" => Self::EachQuorum,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::One => "ONE",
            Self::Two => "TWO",
            Self::Quorum => "QUORUM",
            Self::All => "ALL",
            Self::LocalQuorum => "LOCAL_QUORUM",
            Self::EachQuorum => "EACH_QUORUM",
        }
    }
}

/// What a client asks the database to do.
#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub enum Op {
    Read {
        key: Sym,
    },
    Write {
        key: Sym,
        value: i64,
    },
    /// A large transaction touching `rows` rows, replicated and replayed as one unit.
    Bulk {
        key: Sym,
        value: i64,
        rows: u32,
    },
    /// Counter increment (negative for decrement).
    Increment {
        key: Sym,
        by: i64,
    },
    SetAdd {
        key: Sym,
        elem: Sym,
    },
    SetRemove {
        key: Sym,
        elem: Sym,
    },
    /// Inserts a row into `table`, letting the database pick its id.
    Insert {
        table: Sym,
    },
    /// `DELETE FROM t` with no WHERE clause: removes every key.
    DeleteAll,
}

impl Op {
    pub fn key(&self) -> Option<Sym> {
        match self {
            Op::Read { key }
            | Op::Write { key, .. }
            | Op::Bulk { key, .. }
            | Op::Increment { key, .. }
            | Op::SetAdd { key, .. }
            | Op::SetRemove { key, .. } => Some(*key),
            Op::Insert { table } => Some(*table),
            Op::DeleteAll => None,
        }
    }
    pub fn is_read(&self) -> bool {
        matches!(self, Op::Read { .. })
    }
    pub fn is_write(&self) -> bool {
        !self.is_read()
    }
}

/// An operation as the workload issues it.
#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct ClientOp {
    pub id: OpId,
    pub op: Op,
    /// Leaderless only: overrides the scenario's R or W for this operation.
    pub consistency: Option<ConsistencyLevel>,
    /// Send the request to this node (the coordinator, the leader to write to, the follower to
    /// read from) instead of letting the client choose.
    pub via: Option<NodeId>,
}

/// One version of a register as a read sees it: the write that produced it and its value.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Seen {
    pub write: OpId,
    pub value: i64,
}

/// What a successful read returned.
#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub enum ReadValue {
    /// Register versions: empty if the key was never written, several if siblings were kept.
    Register(Vec<Seen>),
    Counter(i64),
    Set(Vec<Sym>),
    /// Row ids of a table.
    Rows(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub enum OpResult {
    /// A write was acknowledged.
    Written,
    /// A read answered.
    Read(ReadValue),
    /// The database refused or could not do it; it had no effect.
    Fail(String),
    /// The outcome is unknown (a timeout): the write may or may not have taken effect.
    Info(String),
}

impl OpResult {
    pub fn is_ok(&self) -> bool {
        matches!(self, OpResult::Written | OpResult::Read(_))
    }
}

/// What a topology reports when it completes an operation.
#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub op: OpId,
    pub result: OpResult,
    /// The node whose state answered (the follower read, the leader that acknowledged).
    pub served_by: Option<NodeId>,
    /// A short label of the version involved: "LSN 41", "[2,1,0]".
    pub version: Option<String>,
    /// For inserts: the id the database assigned.
    pub assigned_id: Option<String>,
    /// Leader-follower: the epoch of the leader that acknowledged a write.
    pub epoch: Option<u64>,
    /// Leader-follower: the log position (LSN) of an acknowledged write.
    #[serde(default)]
    pub lsn: Option<u64>,
}

impl Completion {
    pub fn new(op: OpId, result: OpResult) -> Self {
        Completion { op, result, served_by: None, version: None, assigned_id: None, epoch: None, lsn: None }
    }
    pub fn by(mut self, node: NodeId) -> Self {
        self.served_by = Some(node);
        self
    }
    pub fn version(mut self, v: impl Into<String>) -> Self {
        self.version = Some(v.into());
        self
    }
}

/// One client operation from invocation to completion: a row of the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    pub id: OpId,
    pub session: ClientId,
    pub op: Op,
    pub consistency: Option<ConsistencyLevel>,
    /// When the workload wanted it to start (it may wait for the session's previous op).
    pub scheduled_at: SimTime,
    pub invoke_at: Option<SimTime>,
    pub complete_at: Option<SimTime>,
    /// `None` while pending (or never completed before the run ended).
    pub result: Option<OpResult>,
    pub served_by: Option<NodeId>,
    pub version: Option<String>,
    pub assigned_id: Option<String>,
    pub epoch: Option<u64>,
    /// Leader-follower: the log position of an acknowledged write.
    #[serde(default)]
    pub lsn: Option<u64>,
    /// Nodes the request reached, in order.
    pub contacted: Vec<NodeId>,
}

impl OpRecord {
    pub fn latency(&self) -> Option<u64> {
        Some(self.complete_at? - self.invoke_at?)
    }
    pub fn ok(&self) -> bool {
        self.result.as_ref().is_some_and(|r| r.is_ok())
    }
}
