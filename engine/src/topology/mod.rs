//! The topologies. Each module opens with an essay on the protocol as implemented, and
//! implements [`Topology`]: what the registry (`vocab::topologies!`) needs to validate its
//! config, place its nodes and build it. The registry names a topology by its kind, which is
//! also the name of its protocol type in its module (`leader_follower::LeaderFollower`).

pub mod leader_follower;
pub mod leaderless;
pub mod multi_leader;
pub mod versions;

use crate::model::Sym;
use crate::validate::Validate;
use crate::vocab::{KeyKind, Names};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
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
    fn build(config: Self::Config, names: &Names, kinds: BTreeMap<Sym, KeyKind>, node_regions: &[usize]) -> Self;
}

/// Region index of each of `count` slots given region names (unknown or missing: the first).
pub fn placement_indices(placement: &[String], count: usize, regions: &[String]) -> Vec<usize> {
    (0..count).map(|i| placement.get(i).and_then(|r| regions.iter().position(|x| x == r)).unwrap_or(0)).collect()
}
