//! The topologies. Each module opens with an essay on the protocol as implemented, and
//! implements [`Topology`]: what the registry (`vocab::topologies!`) needs to validate its
//! config, place its nodes and build it. The registry names a topology by its kind, which is
//! also the name of its protocol type in its module (`leader_follower::LeaderFollower`).

pub mod any;
pub mod client;
pub mod leader_follower;
pub mod leaderless;
pub mod multi_leader;
pub mod single_node;
pub mod versions;

use crate::model::Sym;
use crate::sorted::VecMap;
use crate::validate::Validate;
use crate::vocab::{KeyKind, Names};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

/// A replication topology as the scenario, the runs and the page see it.
pub trait Topology: crate::protocol::Protocol + Sized {
    /// Its settings in a scenario file (`topologies.<name>`), validated with [`Validate`].
    type Config: Clone + Debug + PartialEq + Serialize + DeserializeOwned + Validate;

    /// Nodes in the cluster.
    fn node_count(config: &Self::Config) -> usize;
    /// The config's `placement` (a region name per entry) and how many entries it describes
    /// (every node, or every leader).
    fn placement(config: &Self::Config) -> (&[String], usize);
    /// Each node's region, by index into the scenario's `regions`.
    fn node_regions(config: &Self::Config, regions: &[String]) -> Vec<usize> {
        let (placement, count) = Self::placement(config);
        placement_indices(placement, count, regions)
    }
    /// The cluster for the keys `names` interns, each holding the kind of data `kinds` says,
    /// with its nodes in the regions `node_regions` gave.
    fn build(config: Self::Config, names: &Names, kinds: VecMap<Sym, KeyKind>, node_regions: &[usize]) -> Self;

    /// What the pane's explanation tab shows, if it has one.
    const EXPLAIN: Option<Explain> = None;
    /// One line under the pane's title: "3 nodes · async · automatic failover".
    fn summary(config: &Self::Config) -> String;
    /// The settings the page offers, with what each choice does and costs.
    fn settings(_config: &Self::Config) -> Vec<Setting> {
        Vec::new()
    }
}

/// Region index of each of `count` slots given region names (unknown or missing: the first).
pub fn placement_indices(placement: &[String], count: usize, regions: &[String]) -> Vec<usize> {
    (0..count).map(|i| placement.get(i).and_then(|r| regions.iter().position(|x| x == r)).unwrap_or(0)).collect()
}

/// What a pane's explanation tab shows of its topology's runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Explain {
    /// Failures detected, elections, promotions, what each lost (leader-follower).
    Failover,
    /// Concurrent writes meeting on a node, and how each was resolved (multi-leader).
    Conflicts,
    /// Who answered each read and write, and anti-entropy exchanges (leaderless).
    Quorums,
}

impl Explain {
    /// The tab's name.
    pub fn label(self) -> &'static str {
        match self {
            Explain::Failover => "Failover",
            Explain::Conflicts => "Conflicts",
            Explain::Quorums => "Quorums",
        }
    }
}

/// One setting of a topology, as the page's settings panel offers it: a change is an override
/// `<code>.<field>=<value>` (`lf.mode=sync`), the field named as in scenario files.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub field: &'static str,
    pub label: &'static str,
    pub control: SettingControl,
}

/// How a setting is chosen, with what each choice does and costs.
#[derive(Clone, Debug, PartialEq)]
pub enum SettingControl {
    /// One of several values.
    Choice { current: String, options: Vec<Choice> },
    /// A whole number in a range.
    Number { current: u32, min: u32, max: u32, help: String },
    /// A switch: the values it writes when on and when off, and what each does.
    Toggle { on: bool, values: (&'static str, &'static str), help: (String, String) },
}

/// One option of a [`SettingControl::Choice`]: its value in links, its label, what it does.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub help: &'static str,
}

impl Setting {
    pub fn choice(
        field: &'static str,
        label: &'static str,
        current: &impl Serialize,
        options: &[(&'static str, &'static str, &'static str)],
    ) -> Setting {
        let current =
            serde_json::to_value(current).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let options = options.iter().map(|&(value, label, help)| Choice { value, label, help }).collect();
        Setting { field, label, control: SettingControl::Choice { current, options } }
    }
    pub fn number(
        field: &'static str,
        label: &'static str,
        current: u32,
        (min, max): (u32, u32),
        help: impl Into<String>,
    ) -> Setting {
        Setting { field, label, control: SettingControl::Number { current, min, max: max.max(min), help: help.into() } }
    }
    pub fn toggle(
        field: &'static str,
        label: &'static str,
        on: bool,
        values: (&'static str, &'static str),
        help: (impl Into<String>, impl Into<String>),
    ) -> Setting {
        Setting { field, label, control: SettingControl::Toggle { on, values, help: (help.0.into(), help.1.into()) } }
    }
}
