//! The scenarios whose trace digests are pinned, natively and in WebAssembly. Both test suites
//! compute the same list and compare it with `tests/golden/digests.json`.

use crate::bench::bench_scenario;
use crate::run::AnyRun;
use crate::scenario::Scenario;
use std::rc::Rc;

/// Example scenario files shipped in `scenarios/`, embedded so the browser test has them too.
pub const EXAMPLES: [(&str, &str); 1] =
    [("leader-follower-failover", include_str!("../../scenarios/leader-follower-failover.json"))];

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
    out
}
