//! The same scenario and seed give the same trace, run after run, and the digests match the
//! golden file that the WebAssembly test checks too. Set UPDATE_GOLDEN=1 to rewrite it after a
//! deliberate change to the engine (and say why in the commit). A missing golden file is a
//! failure, not a pass: without it nothing is compared.

use replicascope_engine::golden::digests;
use std::path::PathBuf;

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/digests.json")
}

#[test]
fn runs_are_reproducible_and_match_the_golden_digests() {
    let a = digests();
    let b = digests();
    assert_eq!(a, b, "two runs of the same scenario and seed differ");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let text = serde_json::to_string_pretty(&a).unwrap();
        std::fs::write(golden_path(), text + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(golden_path())
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1 to create it)", golden_path().display()));
    let golden: Vec<(String, String, u64, String)> = serde_json::from_str(&text).unwrap();
    assert_eq!(
        a.iter().map(|(n, k, s, _)| (n, k, s)).collect::<Vec<_>>(),
        golden.iter().map(|(n, k, s, _)| (n, k, s)).collect::<Vec<_>>(),
        "the pinned runs changed"
    );
    for (got, want) in a.iter().zip(&golden) {
        assert_eq!(got, want, "digest changed for {} / {} / seed {}", want.0, want.1, want.2);
    }
}

#[test]
fn the_pinned_runs_cover_faults_in_every_pane_and_interventions() {
    use replicascope_engine::golden::INTERVENED;
    use replicascope_engine::run::AnyRun;
    use replicascope_engine::vocab::TopologyKind;
    use std::rc::Rc;
    let a = digests();
    for kind in TopologyKind::ALL.iter().copied() {
        let faulty = |name: &str| {
            name.starts_with("preset")
                && replicascope_engine::presets::preset(name.trim_start_matches("preset ").split(" + ").next().unwrap())
                    .is_some_and(|p| !p.faults.is_empty() && p.kinds().contains(&kind))
        };
        assert!(
            a.iter().any(|(name, k, ..)| faulty(name) && k == kind.name()),
            "no preset with faults pinned for {kind:?}"
        );
        // Interventions are pinned in every pane, and they change the run.
        let mut pinned = 0;
        for (id, _) in INTERVENED {
            let Some(with) =
                a.iter().find(|(n, k, ..)| *n == format!("preset {id} + interventions") && k == kind.name())
            else {
                continue;
            };
            let s = replicascope_engine::presets::preset(id).unwrap();
            let mut plain = AnyRun::new(kind, Rc::new(s.compile().unwrap())).unwrap();
            plain.run_to_end();
            assert_ne!(
                format!("{:016x}", plain.digest()),
                with.3,
                "{kind:?} in {id}: the interventions changed nothing"
            );
            pinned += 1;
        }
        assert!(pinned > 0, "no interventions pinned for {kind:?}");
    }
}

/// A finished run settled a few events at a time (as the page does, spread over frames) gives
/// the same verdict as settled at once: for every preset with three seeds, and the frame
/// benchmark (busy replicas that catch up after the end), with budgets from one event up. Runs
/// whose replicas converge some time after the end are the ones that tell; some are required.
#[test]
fn settling_in_steps_gives_the_same_verdict_as_settling_at_once() {
    use replicascope_engine::presets::{preset, PRESETS};
    use replicascope_engine::run::AnyRun;
    use replicascope_engine::scenario::Scenario;
    use replicascope_engine::time::Duration;
    use std::rc::Rc;
    let mut scenarios: Vec<(String, Scenario)> = Vec::new();
    for p in PRESETS {
        for seed in 0..3 {
            let mut scenario = preset(p.id).expect("presets parse");
            scenario.seed = seed;
            scenarios.push((format!("{} seed {seed}", p.id), scenario));
        }
    }
    let mut bench = Scenario::from_json(include_str!("../../scenarios/bench/frames.json")).expect("parses");
    bench.duration = Duration::from_secs(6);
    if let Some(generator) = bench.workload.generator.as_mut() {
        generator.stop = Some(Duration::from_secs(5));
    }
    scenarios.push(("frame benchmark, 6 s".into(), bench));
    let mut caught_up_later = 0;
    for (name, scenario) in &scenarios {
        let plan = Rc::new(scenario.compile().expect("compiles"));
        for kind in scenario.kinds() {
            let mut run = AnyRun::new(kind, plan.clone()).expect("configured");
            run.run_to_end();
            let at_once = run.settle();
            if at_once.settled_after_us.is_some_and(|us| us > 250_000) {
                caught_up_later += 1;
            }
            for budget in [1, 7, 500] {
                let mut settling = run.settling();
                let in_steps = loop {
                    if let Some(done) = settling.advance(budget) {
                        break done;
                    }
                };
                assert_eq!(in_steps, at_once, "{name} {kind:?}, {budget} events a call");
            }
        }
    }
    assert!(caught_up_later > 0, "no run caught up after its end: the test compares nothing that settling decides");
}

/// A long run thins its checkpoints (past `MAX_CHECKPOINTS`, every other one is dropped and the
/// spacing doubles), and still shows every moment and forks every intervention as it would with
/// them all: the run shows the moments it showed before it thinned, a cursor restored from a
/// thinned checkpoint and one walked forward through the run show the same view at 60 moments,
/// and a crash made on the finished run gives the run that starting over with it gives.
#[test]
fn thinned_checkpoints_show_the_same_moments_and_fork_the_same_runs() {
    use replicascope_engine::faults::Intervention;
    use replicascope_engine::run::{AnyRun, CHECKPOINT_EVERY, MAX_CHECKPOINTS};
    use replicascope_engine::scenario::Scenario;
    use replicascope_engine::time::Duration;
    use std::rc::Rc;
    let mut bench = Scenario::from_json(include_str!("../../scenarios/bench/frames.json")).expect("parses");
    bench.duration = Duration::from_secs(20);
    if let Some(generator) = bench.workload.generator.as_mut() {
        generator.stop = Some(Duration::from_secs(18));
    }
    let plan = Rc::new(bench.compile().expect("compiles"));
    for kind in bench.kinds() {
        let mut run = AnyRun::new(kind, plan.clone()).expect("configured");
        run.run_to_end();
        let steps = run.trace().steps.len() as u64;
        assert!(steps > MAX_CHECKPOINTS as u64 * CHECKPOINT_EVERY, "{kind:?}: {steps} steps are too few to thin");
        assert!(run.checkpoint_count() <= MAX_CHECKPOINTS, "{kind:?}: {} checkpoints", run.checkpoint_count());
        // The same run before it thinned (every 1,024th step checkpointed) shows the same moments.
        let mut early = AnyRun::new(kind, plan.clone()).expect("configured");
        early.advance(MAX_CHECKPOINTS as u64 * CHECKPOINT_EVERY - 1);
        assert_eq!(early.checkpoint_count(), MAX_CHECKPOINTS);
        let early_end = early.computed_until();
        for k in 0..=40u64 {
            let t = early_end * k / 40;
            let (mut a, mut b) = (early.cursor(), run.cursor());
            early.seek(&mut a, t);
            run.seek(&mut b, t);
            assert_eq!(early.pane_view(&a), run.pane_view(&b), "{kind:?} at {t} µs, before and after thinning");
        }
        let end = run.computed_until();
        let mut walker = run.cursor();
        for k in 0..=60u64 {
            let t = end * k / 60;
            let mut fresh = run.cursor();
            run.seek(&mut fresh, t);
            run.seek(&mut walker, t);
            assert_eq!(run.pane_view(&fresh), run.pane_view(&walker), "{kind:?} at {t} µs");
        }
        let crash = Intervention { at: end * 3 / 5, action: "crash n2".into() };
        run.intervene(crash.at, &crash.action).expect("a valid intervention");
        run.run_to_end();
        let mut over = AnyRun::new(kind, plan.clone()).expect("configured");
        over.set_interventions(&[crash]).expect("valid");
        over.run_to_end();
        assert_eq!(run.digest(), over.digest(), "{kind:?}: the forked run differs from starting over");
        assert!(run.checkpoint_count() <= MAX_CHECKPOINTS);
    }
}

/// `AnyRun` runs every topology as `Sim<AnyProtocol>`, whose handlers run the topology's own in
/// a nested context. The same run made directly, as `Run<LeaderFollower>` and so on, gives the
/// same trace: every preset's configured topologies, three seeds each, and an intervened run.
#[test]
fn a_topology_runs_the_same_through_any_protocol_as_on_its_own() {
    use replicascope_engine::run::{AnyRun, Run};
    use replicascope_engine::scenario::Plan;
    use replicascope_engine::topology::{leader_follower, leaderless, multi_leader, single_node, Topology};
    use replicascope_engine::vocab::{key_kinds, TopologyKind};
    use std::rc::Rc;

    fn direct<T: Topology>(config: T::Config, plan: Rc<Plan>, intervention: Option<(u64, &str)>) -> u64 {
        let place = T::node_regions(&config, &plan.network.region_names);
        let proto = T::build(config, &plan.names, key_kinds(&plan.ops), &place);
        let mut run = Run::new(proto, plan, place);
        run.advance(3000);
        if let Some((at, action)) = intervention {
            run.intervene(at, action).expect("the intervention applies");
        }
        run.run_to_end();
        run.trace.digest()
    }

    let mut compared = 0;
    for p in replicascope_engine::presets::PRESETS {
        let scenario = replicascope_engine::presets::preset(p.id).expect("a preset parses");
        for seed in [1, 2, scenario.seed] {
            let mut s = scenario.clone();
            s.seed = seed;
            let plan = Rc::new(s.compile().expect("presets compile"));
            let t = &plan.topologies;
            for kind in TopologyKind::ALL.iter().copied() {
                let intervention = (seed == 2).then_some((plan.duration / 3, "crash n1"));
                let want = match kind {
                    TopologyKind::LeaderFollower => t
                        .leader_follower
                        .clone()
                        .map(|c| direct::<leader_follower::LeaderFollower>(c, plan.clone(), intervention)),
                    TopologyKind::MultiLeader => t
                        .multi_leader
                        .clone()
                        .map(|c| direct::<multi_leader::MultiLeader>(c, plan.clone(), intervention)),
                    TopologyKind::Leaderless => {
                        t.leaderless.clone().map(|c| direct::<leaderless::Leaderless>(c, plan.clone(), intervention))
                    }
                    TopologyKind::SingleNode => {
                        t.single_node.clone().map(|c| direct::<single_node::SingleNode>(c, plan.clone(), intervention))
                    }
                };
                let Some(want) = want else { continue };
                let mut run = AnyRun::new(kind, plan.clone()).expect("configured");
                run.advance(3000);
                if let Some((at, action)) = intervention {
                    run.intervene(at, action).expect("the intervention applies");
                }
                run.run_to_end();
                assert_eq!(run.digest(), want, "{} / {kind:?} / seed {seed}", scenario.name);
                compared += 1;
            }
        }
    }
    assert!(compared >= 120, "only {compared} runs compared");
}
