//! What the reader clicked: a node, a message, a log entry, a conflict, a quorum, a Merkle
//! exchange or an anomaly, with what the inspector needs to show it. The diagram, the lanes and
//! the views produce selections; the inspector (`panel.rs`) shows them.

use replicascope_engine::page::Anomaly;
use replicascope_engine::page::EntryView;
use replicascope_engine::page::MsgRecord;
use replicascope_engine::page::NodeId;
use replicascope_engine::page::NodeInfo;
use replicascope_engine::page::TopologyKind;
use replicascope_engine::page::{ConflictRecord, MerkleRecord, QuorumRecord};

#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    Node {
        pane: TopologyKind,
        info: Box<NodeInfo>,
    },
    Message {
        pane: TopologyKind,
        record: Box<MsgRecord>,
    },
    Entry {
        pane: TopologyKind,
        node: NodeId,
        entry: Box<EntryView>,
    },
    Conflict {
        pane: TopologyKind,
        time: u64,
        record: Box<ConflictRecord>,
        clock_offsets: Vec<i64>,
    },
    Quorum {
        pane: TopologyKind,
        time: u64,
        record: Box<QuorumRecord>,
        last_write: Option<Box<QuorumRecord>>,
        /// The read repair that followed a read: when, and which replicas.
        repair: Option<(u64, Vec<NodeId>)>,
    },
    Merkle {
        pane: TopologyKind,
        time: u64,
        record: Box<MerkleRecord>,
    },
    Anomaly {
        pane: TopologyKind,
        anomaly: Box<Anomaly>,
    },
}
