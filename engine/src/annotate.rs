//! Things worth telling a person, recorded in the trace as they happen: a promotion, a
//! conflict and how it was resolved, a Merkle exchange, a discarded log tail. The views and the
//! checker's explanations are built from these.

use crate::model::{NodeId, OpId, Sym};
use serde::{Deserialize, Serialize};

/// What a newly promoted leader's log holds, so that the checker can tell which acknowledged
/// writes the new history lacks: runs of entries by epoch, `(epoch, first LSN, last LSN)`, after
/// `start` (entries up to `start` came in a snapshot or were compacted, and count as held).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogHeld {
    pub start: u64,
    pub runs: Vec<(u64, u64, u64)>,
}

impl LogHeld {
    /// Whether the log holds the entry written at `lsn` in `epoch`.
    pub fn holds(&self, epoch: u64, lsn: u64) -> bool {
        lsn <= self.start || self.runs.iter().any(|(e, a, b)| *e == epoch && *a <= lsn && lsn <= *b)
    }
}

/// One version taking part in a conflict.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConflictVersion {
    pub write: Option<OpId>,
    /// "x = 3", "{milk, eggs}", "counter n1:4 n2:2".
    pub label: String,
    /// Version vector, one component per node (or leader).
    pub vector: Vec<u64>,
    /// Physical timestamp from the writer's own (possibly skewed) clock, microseconds.
    pub timestamp: u64,
    pub origin: NodeId,
    /// True time the write was made, where the version records it (for explanations: the gap
    /// between it and `timestamp` is the writer's clock error).
    #[serde(default)]
    pub written_at: Option<u64>,
}

/// A conflict detected and resolved on one node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConflictRecord {
    pub key: Sym,
    pub node: NodeId,
    /// The local version(s) first, then the incoming one.
    pub versions: Vec<ConflictVersion>,
    /// For each pair compared: "[2,0] vs [1,1]: concurrent".
    pub comparison: String,
    /// The rule applied: "last write wins (timestamp, then node id)".
    pub rule: String,
    /// The result's label.
    pub result: String,
    /// Indices into `versions` that survive unchanged (LWW winner, or all siblings).
    pub kept: Vec<u32>,
    /// Writes whose effect is gone after resolution.
    pub discarded: Vec<OpId>,
    /// Step-by-step arithmetic of a merge (CRDTs, unions), one line each.
    pub steps: Vec<String>,
    /// The versions are values of one thing, so a write made after another was acknowledged
    /// replaces it as any overwrite would (false for two rows that were given the same id, which
    /// should both exist).
    #[serde(default)]
    pub overwrite: bool,
}

/// How one leaderless request met its quorum: who was asked, who answered in time, with what.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuorumRecord {
    pub op: OpId,
    pub key: Sym,
    pub write: bool,
    pub coordinator: NodeId,
    /// Acknowledgements (or answers) needed: "2", "2 local".
    pub need: String,
    /// The key's home replicas.
    pub home: Vec<NodeId>,
    /// Who acknowledged (or answered) before the coordinator replied, in order, with the version
    /// each held ("[1,0,2]", or "nothing").
    pub answered: Vec<(NodeId, String)>,
    /// Stand-ins that took part for unreachable home replicas (sloppy quorum).
    pub stand_ins: Vec<(NodeId, NodeId)>,
    /// Replicas whose answer was older than the result.
    pub stale: Vec<NodeId>,
    /// What the client was told: "ok", the value read.
    pub result: String,
}

/// One anti-entropy exchange between two replicas.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MerkleRecord {
    pub a: NodeId,
    pub b: NodeId,
    /// Hashes of both trees, heap order (root first), truncated for display.
    pub tree_a: Vec<u64>,
    pub tree_b: Vec<u64>,
    /// Heap indices of tree nodes whose hashes differed.
    pub differing: Vec<u32>,
    /// Leaf index of each key considered, by key.
    pub keys_synced: Vec<Sym>,
    /// Leaves of the tree: which keys each covers.
    pub leaf_keys: Vec<Vec<Sym>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Annotation {
    // Leader-follower.
    LeaderSuspected {
        by: NodeId,
        leader: NodeId,
    },
    Promoted {
        node: NodeId,
        epoch: u64,
        reason: String,
        /// What the new leader's log holds: its history from now on.
        held: LogHeld,
    },
    Elected {
        node: NodeId,
        term: u64,
        votes: Vec<NodeId>,
        held: LogHeld,
    },
    /// Fencing by STONITH: the failover manager (`by`) powered `node`, the leader it is replacing,
    /// off through an out-of-band channel before promoting a new leader for `epoch`.
    PoweredOff {
        by: NodeId,
        node: NodeId,
        epoch: u64,
    },
    SteppedDown {
        node: NodeId,
        epoch: u64,
        reason: String,
    },
    /// Entries on `node` not present on the new leader's log were thrown away.
    TailDiscarded {
        node: NodeId,
        from_lsn: u64,
        to_lsn: u64,
        writes: Vec<OpId>,
    },
    SemiSyncFallback {
        leader: NodeId,
    },
    SemiSyncRestored {
        leader: NodeId,
    },
    FollowerState {
        leader: NodeId,
        follower: NodeId,
        state: String,
    },
    SnapshotTransfer {
        from: NodeId,
        to: NodeId,
        upto_lsn: u64,
    },
    /// A write from a stale epoch was rejected by `by`.
    Fenced {
        by: NodeId,
        stale_leader: NodeId,
        stale_epoch: u64,
        current_epoch: u64,
    },
    LeaseExpired {
        node: NodeId,
    },
    BackupTaken {
        lsn: u64,
        keys: u64,
    },
    BackupRestored {
        lsn: u64,
        node: NodeId,
        /// Writes made after the backup, whose effect the restore undoes (the RPO's cost).
        lost: Vec<OpId>,
    },
    // Multi-leader.
    Conflict(ConflictRecord),
    /// A change was applied before a change it depends on (a reply before its question).
    CausalityViolation {
        node: NodeId,
        write: OpId,
        missing: Vec<OpId>,
    },
    DuplicateId {
        table: Sym,
        id: String,
        writes: Vec<OpId>,
    },
    TopologyRepaired {
        around: Vec<NodeId>,
    },
    // Leaderless.
    ReadRepair {
        coordinator: NodeId,
        key: Sym,
        repaired: Vec<NodeId>,
        op: OpId,
    },
    HintStored {
        holder: NodeId,
        home: NodeId,
        key: Sym,
        write: OpId,
    },
    HintDelivered {
        holder: NodeId,
        home: NodeId,
        key: Sym,
        write: OpId,
    },
    AntiEntropy(MerkleRecord),
    /// A write landed on a node outside its key's home replicas.
    SloppyWrite {
        key: Sym,
        home: NodeId,
        stand_in: NodeId,
        op: OpId,
    },
    QuorumFailed {
        op: OpId,
        needed: u32,
        got: u32,
    },
    Quorum(QuorumRecord),
    /// Free text (used sparingly).
    Note(String),
}

impl Annotation {
    /// One plain sentence for timelines and markers.
    pub fn describe(&self, names: &crate::vocab::Names) -> String {
        use Annotation::*;
        let list = |v: &[NodeId]| v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
        match self {
            LeaderSuspected { by, leader } => format!("{by} has not heard from leader {leader} and suspects it failed"),
            Promoted { node, epoch, reason, .. } => format!("{node} promoted to leader, epoch {epoch}: {reason}"),
            PoweredOff { by, node, epoch } => format!(
                "{by} powers {node} off (STONITH) before promoting a leader for epoch {epoch}: a deposed leader that is off cannot acknowledge anything"
            ),
            Elected { node, term, votes, .. } => {
                format!("{node} won the election for term {term} with votes from {}", list(votes))
            }
            SteppedDown { node, epoch, reason } => format!("{node} stepped down (epoch {epoch}): {reason}"),
            TailDiscarded { node, from_lsn, to_lsn, writes } => format!(
                "{node} discarded LSN {from_lsn}–{to_lsn} ({} write(s)) that the new leader never had",
                writes.len()
            ),
            SemiSyncFallback { leader } => {
                format!("{leader} waited too long for a synchronous follower and fell back to asynchronous replication")
            }
            SemiSyncRestored { leader } => {
                format!("{leader} has a caught-up synchronous follower again: semi-sync restored")
            }
            FollowerState { follower, state, .. } => format!("{follower} is now {state}"),
            SnapshotTransfer { from, to, upto_lsn } => {
                format!("{to} fell behind the leader's retained log: {from} sends a full snapshot up to LSN {upto_lsn}")
            }
            Fenced { by, stale_leader, stale_epoch, current_epoch } => format!(
                "{by} rejected {stale_leader}'s epoch-{stale_epoch} fencing token (current epoch {current_epoch})"
            ),
            LeaseExpired { node } => format!("{node}'s leader lease expired: it stops accepting writes"),
            BackupTaken { lsn, keys } => format!("backup taken at LSN {lsn} ({keys} keys)"),
            BackupRestored { lsn, node, lost } => {
                format!("{node} restores the backup taken at LSN {lsn}; {} later write(s) are undone", lost.len())
            }
            Conflict(c) => format!("conflict on {} at {}: {} → {}", names.get(c.key), c.node, c.rule, c.result),
            CausalityViolation { node, write, missing } => format!(
                "{node} applied write #{write} before write(s) #{} it depends on",
                missing.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", #")
            ),
            DuplicateId { table, id, writes } => {
                format!(
                    "two rows of {} got id {id} (writes #{})",
                    names.get(*table),
                    writes.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(" and #")
                )
            }
            TopologyRepaired { around } => format!("replication rerouted around {}", list(around)),
            ReadRepair { coordinator, key, repaired, .. } => {
                format!("{coordinator} repaired {} on {}", names.get(*key), list(repaired))
            }
            HintStored { holder, home, key, .. } => {
                format!("{holder} holds {} for unreachable {home} (hinted handoff)", names.get(*key))
            }
            HintDelivered { holder, home, key, .. } => format!("{holder} handed {} back to {home}", names.get(*key)),
            AntiEntropy(m) => format!(
                "{} and {} compared Merkle trees: {} node(s) differed, {} key(s) exchanged",
                m.a,
                m.b,
                m.differing.len(),
                m.keys_synced.len()
            ),
            SloppyWrite { key, home, stand_in, .. } => {
                format!("{stand_in} stands in for {home} and takes the write to {} (sloppy quorum)", names.get(*key))
            }
            QuorumFailed { op, needed, got } => {
                format!("operation #{op} got {got} of {needed} replicas: quorum not reached")
            }
            Quorum(q) => format!(
                "{} of {} reached its quorum ({} needed) with {}",
                if q.write { "write" } else { "read" },
                names.get(q.key),
                q.need,
                q.answered.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>().join(", ")
            ),
            Note(s) => s.clone(),
        }
    }

    /// The node an annotation is about, for placing it in the diagram.
    pub fn node(&self) -> Option<NodeId> {
        use Annotation::*;
        Some(match self {
            LeaderSuspected { by, .. } => *by,
            Promoted { node, .. } | Elected { node, .. } | SteppedDown { node, .. } => *node,
            TailDiscarded { node, .. } => *node,
            SemiSyncFallback { leader } | SemiSyncRestored { leader } => *leader,
            FollowerState { follower, .. } => *follower,
            SnapshotTransfer { to, .. } => *to,
            Fenced { by, .. } => *by,
            PoweredOff { node, .. } => *node,
            LeaseExpired { node } => *node,
            BackupRestored { node, .. } => *node,
            Conflict(c) => c.node,
            CausalityViolation { node, .. } => *node,
            ReadRepair { coordinator, .. } => *coordinator,
            HintStored { holder, .. } | HintDelivered { holder, .. } => *holder,
            AntiEntropy(m) => m.a,
            Quorum(q) => q.coordinator,
            SloppyWrite { stand_in, .. } => *stand_in,
            BackupTaken { .. } | DuplicateId { .. } | TopologyRepaired { .. } | QuorumFailed { .. } | Note(_) => {
                return None
            }
        })
    }

    /// A short category for scrubber markers and filters.
    pub fn category(&self) -> &'static str {
        use Annotation::*;
        match self {
            LeaderSuspected { .. } | Promoted { .. } | Elected { .. } | SteppedDown { .. } => "failover",
            TailDiscarded { .. } => "data-loss",
            SemiSyncFallback { .. } | SemiSyncRestored { .. } => "mode",
            FollowerState { .. } | SnapshotTransfer { .. } => "replication",
            Fenced { .. } | PoweredOff { .. } | LeaseExpired { .. } => "fencing",
            BackupTaken { .. } | BackupRestored { .. } => "backup",
            Conflict(_) => "conflict",
            CausalityViolation { .. } | DuplicateId { .. } => "anomaly",
            TopologyRepaired { .. } => "replication",
            ReadRepair { .. } => "repair",
            HintStored { .. } | HintDelivered { .. } | SloppyWrite { .. } => "hint",
            AntiEntropy(_) => "anti-entropy",
            QuorumFailed { .. } => "unavailable",
            Quorum(_) => "quorum",
            Note(_) => "note",
        }
    }
}
