//! What the page and the checker see of the cluster: node views, what survived, the Topology
//! description (summary, settings, explanation).

#[allow(unused_imports)]
use super::*;

impl LeaderFollower {
    /// What the cluster's history holds at the end: the log (and data) of the newest leader —
    /// up or down, for a leader that crashed is still the history everyone waits for — or, with
    /// no leader at all, of the most up-to-date node (the one an election would pick). Entries only
    /// a deposed leader or a lagging follower still holds are not part of it: that copy will be
    /// thrown away when the node follows the newest leader, or never be seen again.
    pub(super) fn surviving(&self, nodes: &[&LfNode]) -> std::collections::BTreeSet<OpId> {
        let leading = |n: &LfNode| n.role_when_crashed.unwrap_or(n.role) == Role::Leader;
        let Some(history) = nodes.iter().max_by_key(|n| {
            let l = leading(n);
            (l, if l { n.epoch } else { 0 }, n.last_epoch(), n.last_lsn(), std::cmp::Reverse(n.id))
        }) else {
            return std::collections::BTreeSet::new();
        };
        let mut out = std::collections::BTreeSet::new();
        for e in history.log.iter() {
            if !matches!(e.cmd, Cmd::Noop | Cmd::Restore { .. }) {
                out.insert(e.write);
            }
        }
        for v in history.data.values.values() {
            if let Value::Register(s) = v {
                out.insert(s.write);
            }
        }
        out
    }
}

impl crate::topology::Topology for LeaderFollower {
    type Config = LfConfig;

    fn node_count(config: &LfConfig) -> usize {
        config.nodes as usize
    }
    fn placement(config: &LfConfig) -> (&[String], usize) {
        (&config.placement, config.nodes as usize)
    }
    fn build(config: LfConfig, _: &Names, _: VecMap<Sym, KeyKind>, _: &[usize]) -> Self {
        LeaderFollower::new(config)
    }

    const EXPLAIN: Option<crate::topology::Explain> = Some(crate::topology::Explain::Failover);

    fn summary(c: &LfConfig) -> String {
        let mode = if c.failover == FailoverMode::Consensus { "majority commit" } else { c.mode.label() };
        format!("{} nodes · {mode} · {} · {}", c.nodes, c.failover.label(), c.read_routing.label())
    }

    fn settings(c: &LfConfig) -> Vec<crate::topology::Setting> {
        use crate::topology::Setting;
        let fence_s = c.fence_time.0 as f64 / 1e6;
        let mut out = vec![
            Setting::number("nodes", "Nodes", c.nodes, (1, 7), "One leader, the rest followers."),
            Setting::choice("mode", "Replication", &c.mode, &[
                ("async", "asynchronous", "The leader acknowledges from its own disk: fast, but a crash loses what no follower has yet."),
                ("semi_sync", "semi-synchronous", "Waits for some followers (falls back to async after its timeout): a round trip per write, nothing lost while it holds."),
                ("sync", "synchronous", "Waits for every follower: nothing acknowledged is lost, but one slow or dead follower stalls every write."),
            ]),
        ];
        if c.mode == ReplicationMode::SemiSync {
            out.push(Setting::number(
                "sync_replicas",
                "Sync followers",
                c.sync_replicas,
                (1, c.nodes.max(2) - 1),
                "Followers that must have a write before it is acknowledged.",
            ));
        }
        out.push(Setting::choice("failover", "Failover", &c.failover, &[
            ("manual", "manual", "Nothing happens until an operator promotes a follower: writes wait as long as that takes."),
            ("automatic", "automatic", "After the failure timeout a follower promotes the most up-to-date one. It may promote while the old leader still runs: split-brain."),
            ("consensus", "consensus (Raft-style)", "A majority elects the leader and must have each write: no split-brain, no lost acknowledged write; a minority side stops."),
        ]));
        out.push(Setting::choice(
            "promote",
            "Promote",
            &c.promote,
            &[
                ("most_up_to_date", "most up-to-date", "The follower with the longest log: loses the least."),
                (
                    "least_up_to_date",
                    "least up-to-date (bad)",
                    "The follower furthest behind: everything the others had beyond it is lost.",
                ),
                ("lowest_id", "lowest id", "Whichever comes first by name: sometimes a lagging one."),
            ],
        ));
        out.push(Setting::choice(
            "read_routing",
            "Reads go to",
            &c.read_routing,
            &[
                ("leader", "the leader", "Always current; every read loads the leader."),
                (
                    "any_follower",
                    "any follower",
                    "Spreads the load; a read may miss your own write or go back in time.",
                ),
                (
                    "round_robin",
                    "followers, round-robin",
                    "Spreads the load evenly; successive reads can go back in time.",
                ),
                (
                    "sticky",
                    "one follower per session",
                    "Monotonic reads per session; your own recent write may still be missing.",
                ),
                (
                    "read_your_writes",
                    "leader after own writes",
                    "The leader for a while after your own write, followers otherwise.",
                ),
                (
                    "lsn_token",
                    "follower with LSN token",
                    "A follower waits until it has applied your last write (or sends you to the leader).",
                ),
            ],
        ));
        if c.failover != FailoverMode::Consensus {
            out.push(Setting::toggle("fencing", "Fencing (STONITH)", c.fencing, ("true", "false"), (
                format!("Before promoting, the failover manager (it must reach a majority) powers the old leader off out of band and waits {fence_s} s: no split-brain. Costs {fence_s} s more failover; the old leader stays off; async writes it alone had are still lost."),
                "A deposed leader that still runs keeps acknowledging writes after a failover (split-brain).",
            )));
        }
        out.push(Setting::toggle("lease", "Leader lease (2 s)", c.lease.is_some(), ("2s", "null"), (
            "The leader accepts writes only while a majority answered it within the lease, on its own clock: a skewed clock breaks it.",
            "",
        )));
        out
    }
}
