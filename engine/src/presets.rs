//! Presets: scenarios with narration, shipped with the page and reachable by name in links
//! (`#preset=split-brain`). Their files live in `scenarios/presets/`; each carries its own
//! description and captions.

use crate::scenario::Scenario;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Group {
    /// Stories from the lessons on replication.
    Lesson,
    /// Modelled on a real system's documented defaults (each says what it simplifies).
    RealSystem,
}

#[derive(Copy, Clone, Debug)]
pub struct Preset {
    pub id: &'static str,
    pub group: Group,
    pub json: &'static str,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        id: "two-am-failover",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/two-am-failover.json"),
    },
    Preset {
        id: "async-vs-semi-sync",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/async-vs-semi-sync.json"),
    },
    Preset {
        id: "profile-update",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/profile-update.json"),
    },
    Preset {
        id: "time-goes-backwards",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/time-goes-backwards.json"),
    },
    Preset {
        id: "reply-before-question",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/reply-before-question.json"),
    },
    Preset { id: "split-brain", group: Group::Lesson, json: include_str!("../../scenarios/presets/split-brain.json") },
    Preset {
        id: "wrong-follower",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/wrong-follower.json"),
    },
    Preset {
        id: "not-a-backup",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/not-a-backup.json"),
    },
    Preset {
        id: "lww-clock-skew",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/lww-clock-skew.json"),
    },
    Preset {
        id: "shopping-cart",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/shopping-cart.json"),
    },
    Preset { id: "broken-ring", group: Group::Lesson, json: include_str!("../../scenarios/presets/broken-ring.json") },
    Preset {
        id: "colliding-ids",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/colliding-ids.json"),
    },
    Preset { id: "quorum-math", group: Group::Lesson, json: include_str!("../../scenarios/presets/quorum-math.json") },
    Preset {
        id: "sloppy-quorum",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/sloppy-quorum.json"),
    },
    Preset {
        id: "read-repair-vs-anti-entropy",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/read-repair-vs-anti-entropy.json"),
    },
    Preset {
        id: "tokyo-virginia",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/tokyo-virginia.json"),
    },
    Preset {
        id: "quorum-not-linearizable",
        group: Group::Lesson,
        json: include_str!("../../scenarios/presets/quorum-not-linearizable.json"),
    },
    Preset {
        id: "postgresql-streaming",
        group: Group::RealSystem,
        json: include_str!("../../scenarios/presets/postgresql-streaming.json"),
    },
    Preset {
        id: "mysql-semi-sync",
        group: Group::RealSystem,
        json: include_str!("../../scenarios/presets/mysql-semi-sync.json"),
    },
    Preset {
        id: "mongodb-replica-set",
        group: Group::RealSystem,
        json: include_str!("../../scenarios/presets/mongodb-replica-set.json"),
    },
    Preset {
        id: "redis-replication",
        group: Group::RealSystem,
        json: include_str!("../../scenarios/presets/redis-replication.json"),
    },
    Preset { id: "cassandra", group: Group::RealSystem, json: include_str!("../../scenarios/presets/cassandra.json") },
    Preset { id: "dynamodb", group: Group::RealSystem, json: include_str!("../../scenarios/presets/dynamodb.json") },
    Preset { id: "riak", group: Group::RealSystem, json: include_str!("../../scenarios/presets/riak.json") },
];

/// The preset called `id`, parsed.
pub fn preset(id: &str) -> Option<Scenario> {
    let p = PRESETS.iter().find(|p| p.id == id)?;
    Scenario::from_json(p.json).ok()
}

/// The scenario a page opens with when its link names none.
pub const DEFAULT_PRESET: &str = "two-am-failover";

pub fn default_scenario() -> Scenario {
    preset(DEFAULT_PRESET).unwrap_or_default()
}
