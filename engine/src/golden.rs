//! The scenarios whose trace digests are pinned, natively and in WebAssembly. Both test suites
//! compute the same list and compare it with `tests/golden/digests.json`.

use crate::bench::bench_scenario;
use crate::run::AnyRun;
use crate::scenario::Scenario;
use std::rc::Rc;

/// Example scenario files shipped in `scenarios/`, embedded so the browser test has them too.
pub const EXAMPLES: [(&str, &str); 1] =
    [("leader-follower-failover", include_str!("../../scenarios/leader-follower-failover.json"))];

/// Presets pinned too: faults in every pane (a crash and restart, a partition and heal), a ring
/// that breaks, a sloppy quorum, clock skew under last write wins, and the single-node baseline
/// beside the three replicated designs.
pub const PRESETS: [&str; 6] =
    ["two-am-failover", "split-brain", "broken-ring", "sloppy-quorum", "cassandra", "what-replication-buys"];

/// Scenarios pinned with interventions, as a user makes them on the page: a skewed clock, a client
/// operation, a crash and restart, a dropped message, a partition and heal. Between them they
/// cover every pane; the second names only what a one-node cluster has.
pub const INTERVENED: [(&str, &[(u64, &str)]); 2] = [
    (
        "two-am-failover",
        &[
            (1_500_000, "skew n2 +300ms"),
            (2_000_000, "c1: write k1=41"),
            (3_000_000, "crash n2"),
            (3_200_000, "drop msg 40"),
            (4_000_000, "partition n1,c1 | n2,n3,c2"),
            (7_000_000, "heal"),
            (8_000_000, "restart n2"),
        ],
    ),
    (
        "what-replication-buys",
        &[
            (1_500_000, "skew n1 +300ms"),
            (2_000_000, "c1: write k1=41"),
            (3_000_000, "crash n1"),
            (3_200_000, "drop msg 40"),
            (4_000_000, "restart n1"),
            (5_000_000, "partition n1,c1 | c2,c3"),
            (7_000_000, "heal"),
        ],
    ),
];

/// `(name, topology, seed, digest)` for every pinned run.
pub fn digests() -> Vec<(String, String, u64, String)> {
    let mut out = Vec::new();
    let mut cases: Vec<(String, Scenario)> = EXAMPLES
        .iter()
        .map(|(name, text)| (name.to_string(), Scenario::from_json(text).expect("example scenarios parse")))
        .collect();
    let mut bench = bench_scenario();
    bench.duration = crate::time::Duration::from_secs(20);
    cases.push(("bench-20s".into(), bench));
    for id in PRESETS {
        cases.push((format!("preset {id}"), crate::presets::preset(id).expect("pinned presets parse")));
    }
    for (name, base) in cases {
        for seed in [1u64, 2, 3] {
            let mut s = base.clone();
            s.seed = seed;
            let plan = Rc::new(s.compile().expect("pinned scenarios are valid"));
            for kind in s.kinds() {
                let mut run = AnyRun::new(kind, plan.clone()).expect("configured");
                run.run_to_end();
                out.push((name.clone(), kind.name().to_string(), seed, format!("{:016x}", run.digest())));
            }
        }
    }
    // A user's interventions, in every pane.
    for (id, list) in INTERVENED {
        let interventions: Vec<crate::faults::Intervention> = list
            .iter()
            .map(|(at, action)| crate::faults::Intervention { at: *at, action: action.to_string() })
            .collect();
        let s = crate::presets::preset(id).expect("pinned presets parse");
        let plan = Rc::new(s.compile().expect("pinned scenarios are valid"));
        for kind in s.kinds() {
            let mut run = AnyRun::new(kind, plan.clone()).expect("configured");
            run.set_interventions(&interventions).expect("pinned interventions are valid");
            run.run_to_end();
            let name = format!("preset {id} + interventions");
            out.push((name, kind.name().to_string(), s.seed, format!("{:016x}", run.digest())));
        }
    }
    out
}
