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

/// A preset whose file is `scenarios/presets/<id>.json` (the id and the file name are one),
/// embedded without its indentation (`engine/build.rs`).
macro_rules! preset {
    ($id:literal, $group:ident) => {
        Preset {
            id: $id,
            group: Group::$group,
            json: include_str!(concat!(env!("OUT_DIR"), "/presets/", $id, ".json")),
        }
    };
}

pub const PRESETS: &[Preset] = &[
    preset!("what-replication-buys", Lesson),
    preset!("two-am-failover", Lesson),
    preset!("async-vs-semi-sync", Lesson),
    preset!("profile-update", Lesson),
    preset!("time-goes-backwards", Lesson),
    preset!("reply-before-question", Lesson),
    preset!("split-brain", Lesson),
    preset!("wrong-follower", Lesson),
    preset!("not-a-backup", Lesson),
    preset!("lww-clock-skew", Lesson),
    preset!("shopping-cart", Lesson),
    preset!("broken-ring", Lesson),
    preset!("colliding-ids", Lesson),
    preset!("quorum-math", Lesson),
    preset!("sloppy-quorum", Lesson),
    preset!("read-repair-vs-anti-entropy", Lesson),
    preset!("tokyo-virginia", Lesson),
    preset!("quorum-not-linearizable", Lesson),
    preset!("postgresql-streaming", RealSystem),
    preset!("mysql-semi-sync", RealSystem),
    preset!("mongodb-replica-set", RealSystem),
    preset!("redis-replication", RealSystem),
    preset!("cassandra", RealSystem),
    preset!("dynamodb", RealSystem),
    preset!("riak", RealSystem),
];

/// The preset called `id`, parsed.
pub fn preset(id: &str) -> Option<Scenario> {
    let p = PRESETS.iter().find(|p| p.id == id)?;
    Scenario::from_json(p.json).ok()
}

/// A scenario as bytes (postcard, the encoding compact links carry), and back: the page embeds
/// its presets so, compiled from their files when it is built (the app's `build.rs`), and reads
/// them without a JSON parser. `scenario_from_bytes` gives `None` for anything damaged.
pub fn scenario_bytes(s: &Scenario) -> Vec<u8> {
    postcard::to_allocvec(s).unwrap_or_default()
}

pub fn scenario_from_bytes(bytes: &[u8]) -> Option<Scenario> {
    postcard::from_bytes(bytes).ok()
}

/// The scenario a page opens with when its link names none.
pub const DEFAULT_PRESET: &str = "two-am-failover";

pub fn default_scenario() -> Scenario {
    preset(DEFAULT_PRESET).unwrap_or_default()
}
