//! # ReplicaScope engine
//!
//! A deterministic simulator of database replication: leader-follower, multi-leader and
//! leaderless clusters under the same workload and faults. Pure Rust: no I/O, no wall clock, no
//! web crates. The same scenario and seed produce the same trace natively and in WebAssembly.
//!
//! Start at [`run::Run`] (a whole run of one topology with checkpoints and forking) or
//! [`sim::Sim`] (the event loop itself). ARCHITECTURE.md has the map.

pub mod annotate;
pub mod bench;
pub mod checker;
pub mod chunked;
pub mod dist;
pub mod edn;
pub mod faults;
pub mod glossary;
pub mod golden;
pub mod jepsen;
pub mod linearizability;
pub mod link;
pub mod metrics;
pub mod model;
pub mod models;
pub mod network;
pub mod overrides;
pub mod page;
pub mod plog;
pub mod presets;
pub mod protocol;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod sort;
pub mod sorted;
pub mod staleness;
pub mod time;
pub mod topology;
pub mod tours;
pub mod trace;
pub mod validate;
pub mod view;
pub mod vocab;
