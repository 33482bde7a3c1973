//! The Topology description of leaderless replication: summary, settings, explanation.

#[allow(unused_imports)]
use super::*;

impl crate::topology::Topology for Leaderless {
    type Config = LlConfig;

    fn node_count(config: &LlConfig) -> usize {
        config.nodes as usize
    }
    fn placement(config: &LlConfig) -> (&[String], usize) {
        (&config.placement, config.nodes as usize)
    }
    fn build(config: LlConfig, names: &Names, kinds: VecMap<Sym, KeyKind>, node_regions: &[usize]) -> Self {
        Leaderless::new(config, names, kinds, node_regions)
    }

    const EXPLAIN: Option<crate::topology::Explain> = Some(crate::topology::Explain::Quorums);

    fn summary(c: &LlConfig) -> String {
        format!("{} nodes · N={} W={} R={}", c.nodes, c.n, c.w, c.r)
    }

    fn settings(c: &LlConfig) -> Vec<crate::topology::Setting> {
        use crate::topology::Setting;
        let overlap = if c.w + c.r > c.n {
            format!(
                "W + R = {} > N = {}: every read meets a replica with the last completed write (still not linearizable).",
                c.w + c.r,
                c.n
            )
        } else {
            format!("W + R = {} ≤ N = {}: a read can miss a write that has completed.", c.w + c.r, c.n)
        };
        vec![
            Setting::number("nodes", "Nodes", c.nodes, (1, 9), "Placed on a hash ring; any node coordinates."),
            Setting::number("n", "N (replicas)", c.n, (1, c.nodes), "Copies of each key."),
            Setting::number("w", "W (write quorum)", c.w, (1, c.n), "Acknowledgements a write waits for."),
            Setting::number("r", "R (read quorum)", c.r, (1, c.n), overlap),
            Setting::choice("versioning", "Versions", &c.versioning, &[
                ("version_vectors", "version vectors", "Concurrent writes are kept as siblings: reads may return several values."),
                ("lww", "last write wins", "The highest coordinator timestamp wins (Cassandra), even over a later write stamped by a slower clock."),
                ("causal_lww", "vectors, then LWW", "A write that followed another replaces it; only concurrent writes are settled by timestamp."),
            ]),
            Setting::choice("read_repair", "Read repair", &c.read_repair, &[
                ("off", "off", "Stale replicas stay stale until something else repairs them."),
                ("background", "background", "After answering, stale replicas that replied get the newest version."),
                ("blocking", "before answering", "Stale replicas are repaired before the read answers: slower reads, no read of an old value after a newer one."),
            ]),
            Setting::toggle("anti_entropy", "Anti-entropy (every 5 s)", c.anti_entropy.is_some(), ("5s", "null"), (
                "Replicas compare Merkle trees and exchange only differing keys: repairs keys nobody reads.",
                "Keys nobody reads stay stale on replicas that missed them.",
            )),
            Setting::toggle("sloppy_quorum", "Sloppy quorum", c.sloppy_quorum, ("true", "false"), (
                "When home replicas are unreachable, other nodes take their writes: available, but W + R > N no longer guarantees overlap.",
                "Writes wait for home replicas only: they fail when too few are reachable.",
            )),
            Setting::toggle("hinted_handoff", "Hinted handoff", c.hinted_handoff, ("true", "false"), (
                "Stand-ins hand the writes they hold back to the home replica when it returns.",
                "Stand-ins keep what they took; home replicas never get it.",
            )),
        ]
    }
}
