//! The Topology description of multi-leader replication: summary, settings, explanation.

#[allow(unused_imports)]
use super::*;

impl crate::topology::Topology for MultiLeader {
    type Config = MlConfig;

    fn node_count(config: &MlConfig) -> usize {
        config.node_count()
    }
    fn placement(config: &MlConfig) -> (&[String], usize) {
        (&config.placement, config.leaders as usize)
    }
    /// Followers live in their leader's region.
    fn node_regions(config: &MlConfig, regions: &[String]) -> Vec<usize> {
        let leaders = crate::topology::placement_indices(&config.placement, config.leaders as usize, regions);
        (0..config.node_count())
            .map(|i| match config.leader_of(NodeId(i as u8)) {
                Some(l) => leaders[l.0 as usize],
                None => leaders[i],
            })
            .collect()
    }
    fn build(config: MlConfig, names: &Names, kinds: VecMap<Sym, KeyKind>, _: &[usize]) -> Self {
        MultiLeader::new(config, names, kinds)
    }

    const EXPLAIN: Option<crate::topology::Explain> = Some(crate::topology::Explain::Conflicts);

    fn summary(c: &MlConfig) -> String {
        let followers = match c.followers {
            0 => String::new(),
            1 => " with a follower each".to_string(),
            f => format!(" with {f} followers each"),
        };
        format!("{} leaders{followers} · {} · {}", c.leaders, c.topology.label(), c.register.label())
    }

    fn settings(c: &MlConfig) -> Vec<crate::topology::Setting> {
        use crate::topology::Setting;
        let mut out = vec![
            Setting::number(
                "leaders",
                "Leaders",
                c.leaders,
                (2, 5),
                "Each accepts writes locally and ships them to the others.",
            ),
            Setting::number(
                "followers",
                "Followers per leader",
                c.followers,
                (0, 3),
                "Read replicas in each leader's region.",
            ),
        ];
        if c.followers > 0 {
            out.push(Setting::choice(
                "read_from",
                "Reads go to",
                &c.read_from,
                &[
                    ("leader", "the local leader", "Sees every write made in its region."),
                    ("follower", "a follower of it", "Lighter for the leader; a few milliseconds behind it."),
                ],
            ));
        }
        out.extend([
            Setting::choice("topology", "Topology", &c.topology, &[
                ("all_to_all", "all-to-all", "Every leader sends to every other: N·(N−1) streams; a dead leader blocks no one, but a reply can overtake its question."),
                ("ring", "ring", "Changes hop leader to leader: one dead leader cuts off everything upstream of it."),
                ("star", "star", "Spokes send through the hub n1: a dead hub cuts every spoke off."),
            ]),
            Setting::choice("register", "Registers", &c.register, &[
                ("lww", "last write wins", "The higher timestamp wins, even over a write made after it on a slower clock; a tie keeps what each leader had."),
                ("lww_node_id", "LWW + node-id tie-break", "Timestamps alone, ties by leader id: converges, but a slow clock's later writes are silently lost."),
                ("causal_lww", "version vectors, then LWW", "A write that followed another replaces it; only concurrent writes are settled by timestamp (Riak)."),
                ("siblings", "keep siblings", "Keeps every concurrent version; readers see them all and must merge."),
            ]),
            Setting::choice("counter", "Counters", &c.counter, &[
                ("naive", "naive number", "A number overwritten by timestamp: concurrent increments are lost."),
                ("g_counter", "G-counter", "One count per leader, merged by maximum: no increment lost; it cannot go down (decrements are refused)."),
                ("pn_counter", "PN-counter", "Increments and decrements per leader: counts both ways, nothing lost."),
            ]),
            Setting::choice("set", "Sets", &c.set, &[
                ("lww", "last write wins", "The whole set by timestamp: a concurrent add on the other side is lost."),
                ("union", "union merge", "Concurrent versions are united: nothing added is lost, but removed items come back."),
                ("or_set", "OR-set", "Tags every add: a remove deletes only the adds it saw, so a concurrent add survives."),
            ]),
            Setting::choice("detection", "Detect per", &c.detection, &[
                ("row", "row", "Writes to different fields of one row conflict."),
                ("field", "field", "Only writes to the same field conflict."),
            ]),
            Setting::choice("ids", "Row ids", &c.ids, &[
                ("auto_increment", "auto-increment", "Each leader counts on its own: two rows get the same id."),
                ("region_prefix", "region prefix", "Ids carry the leader's name: never collide."),
                ("uuid", "UUID", "Random ids: never collide, carry no order."),
            ]),
            Setting::toggle("causal_delivery", "Causal delivery", c.causal_delivery, ("true", "false"), (
                "A change waits until what its origin had seen has arrived: no reply before its question; costs delay.",
                "Changes apply as they arrive: a reply can be seen before its question.",
            )),
        ]);
        out
    }
}
