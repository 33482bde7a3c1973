//! The three topologies. Each file opens with an essay on the protocol as implemented.

pub mod leader_follower;
pub mod leaderless;
pub mod multi_leader;
pub mod versions;
