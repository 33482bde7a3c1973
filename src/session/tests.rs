//! The session's tests: playback, links, interventions, narration words, anomaly notes and
//! adaptive playback, natively.
#![cfg(test)]

mod tests {
    use super::super::*;
    use replicascope_engine::page::{GeneratorSpec, Scenario};
    use replicascope_engine::topology::leader_follower::LfConfig;
    use replicascope_engine::topology::leaderless::LlConfig;
    use replicascope_engine::topology::multi_leader::MlConfig;

    fn scenario() -> Scenario {
        let mut s = Scenario::default();
        s.workload.generator = Some(GeneratorSpec { rate: 20.0, ..Default::default() });
        s.topologies.leader_follower = Some(LfConfig::default());
        s.topologies.multi_leader = Some(MlConfig::default());
        s.topologies.leaderless = Some(LlConfig::default());
        s
    }

    #[test]
    fn host_messages_not_for_us_are_ignored_and_ours_that_are_malformed_are_refused() {
        use serde_json::json;
        // Ours, well formed.
        assert_eq!(host_command_text(r#"{"type": "play"}"#), Some(Ok(HostCommand::Play)));
        assert_eq!(host_command(&json!({"type": "seek", "t": 12.5})), Some(Ok(HostCommand::Seek { t: 12.5 })));
        assert_eq!(host_command(&json!({"type": "speed", "speed": 0.5})), Some(Ok(HostCommand::Speed { speed: 0.5 })));
        // Not for us: no string type, not JSON, not an object (nothing is sent back).
        for foreign in [json!({"hello": "not for us"}), json!([1, 2]), json!("play"), json!({"type": 3}), json!(null)] {
            assert_eq!(host_command(&foreign), None, "{foreign}");
        }
        assert_eq!(host_command_text("not json at all"), None);
        // Ours, malformed: an error naming the problem.
        for bad in [
            json!({"type": "seek", "t": "soon"}),
            json!({"type": "seek"}),
            json!({"type": "seek", "t": null}),
            json!({"type": "explode"}),
            json!({"type": "seek", "t": 1, "when": "now"}),
            json!({"type": "load", "link": 42}),
            json!({"type": "load", "link": "A".repeat(MAX_HOST_MESSAGE + 1)}),
        ] {
            assert!(matches!(host_command(&bad), Some(Err(_))), "{bad}");
        }
        let huge = format!(r#"{{"type": "load", "link": "{}"}}"#, "A".repeat(MAX_HOST_MESSAGE));
        assert!(matches!(host_command_text(&huge), Some(Err(e)) if e.contains("longer")));
    }

    /// Commands are read by hand; a derived deserializer (compiled for tests only) is the
    /// oracle: the same command, or an error from both.
    #[test]
    fn host_commands_read_as_the_derived_deserializer_reads_them() {
        use serde_json::json;
        let bank = [
            json!({"type": "play"}),
            json!({"type": "pause"}),
            json!({"type": "play", "t": 1}),
            json!({"type": "pause", "x": null}),
            json!({"type": "seek", "t": 0}),
            json!({"type": "seek", "t": -3}),
            json!({"type": "seek", "t": 1e300}),
            json!({"type": "seek", "t": 12.5}),
            json!({"type": "seek", "t": "12"}),
            json!({"type": "seek", "t": true}),
            json!({"type": "seek", "t": [1]}),
            json!({"type": "seek", "t": {"s": 1}}),
            json!({"type": "seek"}),
            json!({"type": "seek", "speed": 2}),
            json!({"type": "seek", "t": 1, "speed": 2}),
            json!({"type": "speed", "speed": 0.25}),
            json!({"type": "speed", "speed": null}),
            json!({"type": "speed", "speed": 4, "type2": 1}),
            json!({"type": "load", "link": "preset=split-brain"}),
            json!({"type": "load", "link": ""}),
            json!({"type": "load", "link": 7}),
            json!({"type": "load", "link": null}),
            json!({"type": "load"}),
            json!({"type": "Load", "link": "x"}),
            json!({"type": ""}),
            json!({"type": "seek ", "t": 1}),
        ];
        for v in bank {
            let mine = host_command(&v).expect("ours: a string type");
            let derived = serde_json::from_value::<HostCommand>(v.clone()).map_err(|e| e.to_string());
            match (&mine, &derived) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{v}"),
                (Err(e), Err(_)) => assert!(e.starts_with("not a ReplicaScope command: "), "{v}: {e}"),
                _ => panic!("{v}: by hand {mine:?}, derived {derived:?}"),
            }
        }
        let e = host_command(&json!({"type": "seek", "t": "soon"})).unwrap().unwrap_err();
        assert!(e.contains("string \"soon\"") && e.contains("f64"), "{e}");
        let e = host_command(&json!({"type": "explode"})).unwrap().unwrap_err();
        assert!(e.contains("unknown variant `explode`"), "{e}");
        let e = host_command(&json!({"type": "seek", "t": 1, "when": "now"})).unwrap().unwrap_err();
        assert!(e.contains("unknown field `when`"), "{e}");
        // Long values from a stranger's message are cut short in what is sent back.
        let long = "z".repeat(5000);
        for bad in [
            json!({"type": long}),
            json!({"type": "seek", "t": long}),
            json!({"type": "seek", "t": 1, long.clone(): 1}),
        ] {
            let e = host_command(&bad).unwrap().unwrap_err();
            assert!(e.len() < 200, "{} chars", e.len());
        }
    }

    /// The play button, the space bar and the host's `play` share one rule (a finished run
    /// starts again from 0), and stepping pauses and moves between the moments something happens.
    #[test]
    fn play_restarts_a_finished_run_and_steps_move_between_events() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.set_time(s.duration() as f64);
        s.toggle_play();
        assert!(s.playing);
        assert_eq!(s.now(), 0, "a finished run plays again from the start");
        s.toggle_play();
        assert!(!s.playing);
        s.set_time(2_000_000.0);
        s.playing = true;
        s.step(true);
        assert!(!s.playing, "stepping pauses");
        let next = s.now();
        assert!(next > 2_000_000);
        let steps = &s.panes[0].run.trace().steps;
        assert!(steps.iter().all(|st| st.time <= 2_000_000 || st.time >= next), "no event is skipped");
        s.step(false);
        assert!(s.now() <= 2_000_000);
        s.step(false);
        assert!(s.now() < 2_000_000, "back again moves further back");
        // At the very start there is nothing before: stepping back stays.
        s.set_time(0.0);
        s.step(false);
        assert_eq!(s.now(), 0);
    }

    #[test]
    fn a_refused_host_command_changes_nothing() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.apply_host(&HostCommand::Seek { t: 3.0 }).unwrap();
        assert_eq!(s.now(), 3_000_000);
        s.apply_host(&HostCommand::Speed { speed: 2.0 }).unwrap();
        let (time, speed, playing) = (s.now(), s.speed, s.playing);
        for bad in [
            HostCommand::Seek { t: f64::NAN },
            HostCommand::Seek { t: f64::INFINITY },
            HostCommand::Seek { t: -1.0 },
            HostCommand::Speed { speed: f64::NAN },
            HostCommand::Speed { speed: f64::INFINITY },
            HostCommand::Speed { speed: 0.0 },
            HostCommand::Speed { speed: -2.0 },
            HostCommand::Load { link: "preset=split-brain".into() },
        ] {
            assert!(s.apply_host(&bad).is_err(), "{bad:?}");
            assert_eq!((s.now(), s.speed, s.playing), (time, speed, playing), "{bad:?} changed the state");
        }
        // Past the end: the end. Play at the end starts over.
        s.apply_host(&HostCommand::Seek { t: 1e9 }).unwrap();
        assert_eq!(s.now(), s.duration());
        s.apply_host(&HostCommand::Play).unwrap();
        assert!(s.playing && s.now() == 0);
        s.apply_host(&HostCommand::Pause).unwrap();
        assert!(!s.playing);
        // A hostile link through `load` gives a working session and says what was dropped.
        let (loaded, problems) = Session::from_link("preset=%3Cscript%3E&seed=-1&i=lf@1s@rm%20-rf");
        assert!(!problems.is_empty());
        assert!(!loaded.panes.is_empty());
    }

    #[test]
    fn plays_within_what_is_computed() {
        let mut s = Session::new(scenario()).unwrap();
        s.playing = true;
        s.choose_speed(1.0);
        s.tick(1000.0);
        assert_eq!(s.now(), 0, "nothing computed yet, so time cannot move");
        s.compute(u64::MAX);
        assert!(s.all_finished());
        s.tick(1000.0);
        assert_eq!(s.now(), 1_000_000);
        assert!(s.panes.iter().all(|p| p.report.is_some()));
    }

    #[test]
    fn scrubbing_back_and_forth_shows_the_same_state() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.set_time(7_300_000.0);
        let a: Vec<_> = s.panes.iter().map(|p| (*p.view).clone()).collect();
        s.set_time(15_000_000.0);
        s.set_time(1_000_000.0);
        s.set_time(7_300_000.0);
        let b: Vec<_> = s.panes.iter().map(|p| (*p.view).clone()).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn intervention_is_recorded_and_visible() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.set_time(2_000_000.0);
        s.intervene(0, "crash n2").unwrap();
        let v = &s.panes[0].view;
        assert_eq!(v.nodes[1].liveness, replicascope_engine::page::Liveness::Down);
        assert_eq!(s.interventions().len(), 1);
        assert!(s.intervene(0, "crash n9").is_err());
        assert!(s.intervene(0, "<script>").is_err());
        s.remove_intervention(0, 0).unwrap();
        assert_eq!(s.panes[0].view.nodes[1].liveness, replicascope_engine::page::Liveness::Up);
    }

    /// A crash made at 4 s on the default preset: the pane recomputes to its end in as many
    /// frames' work as the first run took (issue 18: the comparison table waited 40 s).
    #[test]
    fn an_intervention_recomputes_the_pane_to_its_end_promptly() {
        let mut s = Session::new(crate::presets::default_scenario()).unwrap();
        let mut first = 0;
        while !s.all_finished() {
            s.compute(3000);
            first += 1;
        }
        s.set_time(4_000_000.0);
        s.intervene(0, "crash n2").unwrap();
        let mut frames = 0;
        while !s.all_finished() {
            s.compute(3000);
            frames += 1;
            assert!(
                frames <= 2 * first + 5,
                "after {frames} frames pane 0 is at {} of {}",
                s.panes[0].run.computed_until(),
                s.duration()
            );
        }
        assert!(s.panes[0].report.is_some());
    }

    /// A frame's call makes a step of a pane's report alone (four steps: the history, its
    /// check, linearizability, the numbers), starting in the call after the one that ended its
    /// settling, and the pace in a call after the last report: each takes a good part of a
    /// frame. The reports are the ones computing everything at once makes.
    #[test]
    fn bounded_calls_make_each_report_and_the_pace_in_calls_of_their_own() {
        for id in ["two-am-failover", "quorum-math", "shopping-cart", "what-replication-buys"] {
            let mut s = Session::new(preset(id).unwrap()).unwrap();
            let (mut calls, mut report_calls, mut report_steps) = (0, 0, 0);
            while s.work_left() {
                let reports = |s: &Session| s.panes.iter().filter(|p| p.report.is_some()).count();
                let computed = |s: &Session| s.panes.iter().map(|p| p.run.computed_until()).collect::<Vec<_>>();
                let (before, due, paced, ran) = (reports(&s), s.report_due(), s.pace().is_some(), computed(&s));
                let newly = s.compute(400);
                let after = reports(&s);
                if due {
                    // A step of the report is the call's only work; the last step makes it.
                    assert!(after == before || after == before + 1, "{id}: one report at most");
                    assert_eq!(newly, after == before + 1, "{id}: the call making a report says so");
                    assert_eq!(computed(&s), ran, "{id}: a report's step is the call's work");
                    report_steps += 1;
                    report_calls += usize::from(newly);
                } else {
                    assert_eq!(after, before, "{id}: a report only in a call that began with it due");
                }
                if !paced && s.pace().is_some() {
                    assert!(!due && !newly, "{id}: the pace in a call of its own");
                }
                calls += 1;
                assert!(calls < 100_000);
            }
            assert_eq!(report_calls, s.panes.len());
            assert_eq!(report_steps, 4 * s.panes.len(), "{id}: four steps a report");
            let mut at_once = Session::new(preset(id).unwrap()).unwrap();
            at_once.compute(u64::MAX);
            for (a, b) in s.panes.iter().zip(&at_once.panes) {
                assert_eq!(a.report.as_deref(), b.report.as_deref(), "{id}");
            }
            assert_eq!(s.pace(), at_once.pace());
            // A call that computes everything (a tour, a link opened at a moment) after frames
            // left a report due still makes it.
            let mut mixed = Session::new(preset(id).unwrap()).unwrap();
            while !mixed.report_due() {
                mixed.compute(400);
            }
            mixed.compute(u64::MAX);
            assert!(!mixed.work_left(), "{id}: a report left due by a frame is made by a call computing everything");
            for (a, b) in mixed.panes.iter().zip(&at_once.panes) {
                assert_eq!(a.report.as_deref(), b.report.as_deref(), "{id}");
            }
        }
    }

    #[test]
    fn a_linked_intervention_shows_at_its_own_moment() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        s.set_time(1_000_000.0);
        s.intervene(0, "crash n2").unwrap();
        let link = s.link();
        let (t, problems) = Session::from_link(&link);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(t.now(), 1_000_000);
        assert_eq!(t.panes[0].view.nodes[1].liveness, replicascope_engine::page::Liveness::Down, "{link}");
        assert_eq!(*t.panes[0].view, *s.panes[0].view);
    }

    #[test]
    fn links_built_in_the_page_stay_short_and_reproduce_the_run() {
        let settings = [
            ("lf.mode", "semi_sync"),
            ("lf.failover", "consensus"),
            ("lf.read_routing", "sticky"),
            ("lf.fencing", "true"),
            ("lf.lease", "2s"),
            ("ml.topology", "ring"),
            ("ml.register", "siblings"),
            ("ml.counter", "pn_counter"),
            ("ml.set", "or_set"),
            ("ml.causal_delivery", "true"),
            ("ll.read_repair", "blocking"),
            ("ll.sloppy_quorum", "true"),
            ("ll.hinted_handoff", "true"),
            ("ll.anti_entropy", "5s"),
        ];
        for p in replicascope_engine::page::PRESETS {
            let (mut s, problems) = Session::from_link(&format!("preset={}", p.id));
            assert!(problems.is_empty(), "{}: {problems:?}", p.id);
            for (k, v) in settings {
                // Settings of panes the preset does not have are refused; that is fine here.
                let _ = s.set_override(k, v);
            }
            s.compute(u64::MAX);
            for i in 0..12u64 {
                s.set_time(((i + 1) * 400_000) as f64);
                let action = if i % 2 == 0 { "crash n2" } else { "restart n2" };
                s.intervene(0, action).unwrap();
            }
            s.set_time(3_300_000.0);
            let link = s.link();
            assert!(link.len() <= 2_000, "{}: {} characters: {link}", p.id, link.len());
            let (mut t, problems) = Session::from_link(&link);
            assert!(problems.is_empty(), "{}: {problems:?}", p.id);
            s.compute(u64::MAX);
            t.compute(u64::MAX);
            for (a, b) in s.panes.iter().zip(&t.panes) {
                assert_eq!(a.run.digest(), b.run.digest(), "{}: {:?}", p.id, a.kind);
            }
            assert_eq!(*s.panes[0].view, *t.panes[0].view);
        }
    }

    #[test]
    fn a_scenario_of_ones_own_opens_and_its_link_reopens_it() {
        let (mut s, _) = Session::from_link("preset=split-brain&tour=split-brain-fencing");
        let mut mine = Scenario::blank();
        mine.faults.push(replicascope_engine::page::FaultSpec {
            at: replicascope_engine::page::Duration(4_000_000),
            fault: "crash n1".into(),
        });
        mine.faults.push(replicascope_engine::page::FaultSpec {
            at: replicascope_engine::page::Duration(9_000_000),
            fault: "restart n1".into(),
        });
        s.open_scenario(mine.clone()).unwrap();
        assert_eq!(s.scenario, mine);
        assert!(s.tour().is_none(), "a tour ends with its preset");
        assert_eq!(s.panes.len(), 3);
        let link = s.link();
        assert!(link.starts_with("c="), "{link}");
        let (again, problems) = Session::from_link(&link);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(again.scenario, mine);
        // The file the page downloads is what the CLI reads.
        assert_eq!(Scenario::from_json(&mine.to_json()).unwrap(), mine);
        // A bad one is refused with the field named, and nothing changes.
        let mut bad = mine.clone();
        bad.faults[1].fault = "explode n1".into();
        let e = s.open_scenario(bad).unwrap_err();
        assert!(e.contains("faults[1]"), "{e}");
        assert_eq!(s.scenario, mine);
    }

    #[test]
    fn a_fault_dragged_to_another_moment() {
        let (mut s, _) = Session::from_link("preset=two-am-failover&t=12s&i=lf@2s@crash%20n3");
        assert_eq!(s.scenario.faults[0].at.0, 10_000_000);
        s.move_fault(0, 6_000_000).unwrap();
        assert_eq!(s.scenario.faults[0].at.0, 6_000_000);
        assert_eq!(s.now(), 12_000_000, "the moment shown stays");
        assert_eq!(s.interventions().len(), 1, "the reader's changes stay");
        let link = s.link();
        assert!(link.starts_with("c="), "one's own scenario: {link}");
        let (again, problems) = Session::from_link(&link);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(again.scenario, s.scenario);
        assert!(s.move_fault(99, 1).is_err());
        // n1 now crashes at 6 s: by 8 s it is down in every pane.
        s.seek(8_000_000.0);
        assert!(s.panes.iter().all(|p| p.view.nodes[0].liveness == replicascope_engine::page::Liveness::Down));
        // Removed (a preset's fault, from its marker): n1 never crashes; the rest stays.
        let faults = s.scenario.faults.len();
        s.remove_fault(0).unwrap();
        assert_eq!(s.scenario.faults.len(), faults - 1);
        assert_eq!(s.interventions().len(), 1, "the reader's changes stay");
        assert_eq!(s.now(), 8_000_000, "the moment shown stays");
        assert!(s.panes.iter().all(|p| p.view.nodes[0].liveness != replicascope_engine::page::Liveness::Down));
        assert!(s.remove_fault(99).is_err());
        let (again, _) = Session::from_link(&s.link());
        assert_eq!(again.scenario, s.scenario, "the link keeps the removal");
    }

    #[test]
    fn stepping_finds_events() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        let n = s.next_event_time().unwrap();
        s.set_time(n as f64);
        assert!(s.previous_event_time().is_none_or(|p| p < n));
    }

    /// What a reader sees at the displayed time, as data: each visible pane's view, the
    /// messages on the wire and how many notes and client events have happened.
    fn drawn(s: &Session) -> Vec<(Rc<PaneView>, Vec<u64>, usize, usize)> {
        let t = s.now();
        s.panes
            .iter()
            .filter(|p| !p.hidden)
            .map(|p| {
                let trace = p.run.trace();
                let flying = p.in_flight(t).iter().map(|m| u64::from(m.id)).collect();
                let notes = trace.annotations.partition_point(|n| n.time <= t);
                use replicascope_engine::page::HistEvent;
                let hist = trace
                    .hist
                    .iter()
                    .filter(|e| match e {
                        HistEvent::Invoked { at, .. } | HistEvent::Completed { at, .. } => *at <= t,
                        _ => false,
                    })
                    .count();
                (p.view.clone(), flying, notes, hist)
            })
            .collect()
    }

    #[test]
    fn each_step_changes_what_is_drawn() {
        for id in ["two-am-failover", "quorum-math", "shopping-cart", "split-brain"] {
            let (mut s, _) = Session::from_link(&format!("preset={id}"));
            s.compute(u64::MAX);
            let mut before = drawn(&s);
            let mut samples_skipped = 0;
            for _ in 0..300 {
                let from = s.now();
                s.step(true);
                if s.now() == from {
                    break;
                }
                // Only metric samples or silent timers lay between: nothing drawn changed there.
                samples_skipped += s
                    .panes
                    .iter()
                    .filter(|p| !p.hidden)
                    .map(|p| {
                        let st = &p.run.trace().steps;
                        st.iter().filter(|x| x.time > from && x.time < s.now()).count()
                    })
                    .sum::<usize>();
                let after = drawn(&s);
                assert_ne!(before, after, "{id}: stepping to {} µs changed nothing drawn", s.now());
                before = after;
            }
            assert!(samples_skipped > 0, "{id}: no step was skipped, so the test proves nothing");
            // And back: each step back lands on a moment that differs from the one after it.
            for _ in 0..50 {
                let from = s.now();
                s.step(false);
                if s.now() == from {
                    break;
                }
                let here = drawn(&s);
                assert_ne!(before, here, "{id}: stepping back to {} µs changed nothing drawn", s.now());
                before = here;
            }
        }
    }

    #[test]
    fn a_link_reproduces_the_run_at_the_same_moment() {
        let (mut a, problems) = Session::from_link("preset=split-brain&seed=9");
        assert!(problems.is_empty(), "{problems:?}");
        a.compute(u64::MAX);
        a.set_time(6_000_000.0);
        a.intervene(0, "crash n3").unwrap();
        a.set_override("lf.fencing", "true").unwrap();
        a.compute(u64::MAX);
        a.set_time(9_500_000.0);
        let link = a.link();
        assert!(link.starts_with("preset=split-brain&seed=9&lf.fencing=true&i=lf@6s@crash%20n3"), "{link}");
        let (mut b, problems) = Session::from_link(&link);
        assert!(problems.is_empty(), "{problems:?}");
        b.compute(u64::MAX);
        for (x, y) in a.panes.iter().zip(&b.panes) {
            assert_eq!(x.run.digest(), y.run.digest(), "{:?}", x.kind);
            assert_eq!(*x.view, *y.view, "{:?} at the linked moment", x.kind);
        }
        assert_eq!(b.now(), 9_500_000);
    }

    #[test]
    fn hostile_links_open_the_default_with_a_message() {
        let (s, problems) = Session::from_link("c=%3Cscript%3Ealert(1)%3C%2Fscript%3E&t=banana");
        assert!(problems.len() >= 2, "{problems:?}");
        assert_eq!(s.scenario, default_scenario());
    }

    #[test]
    fn narration_follows_the_clock_and_sets_the_speed() {
        // At a fixed speed, a caption with a speed sets it.
        let (mut s, _) = Session::from_link("preset=two-am-failover&speed=0.1");
        s.compute(u64::MAX);
        s.set_time(10_500_000.0);
        let caps: Vec<String> = s.captions().iter().map(|(_, c)| c.text.clone()).collect();
        assert!(caps.iter().any(|t| t.contains("loses power")), "{caps:?}");
        s.playing = true;
        s.tick(1.0);
        assert!((s.speed - 0.5).abs() < 1e-9, "the caption slowed playback to {}", s.speed);
        // Adaptive playback paces itself (it holds on the caption instead).
        let (mut s, _) = Session::from_link("preset=two-am-failover");
        s.compute(u64::MAX);
        s.set_time(10_500_000.0);
        s.playing = true;
        s.tick(1.0);
        assert!(s.adaptive);
        assert_eq!(s.speed, 0.1);
    }
}

/// Refusals speak the settings panel's words.
mod words {
    use super::super::*;

    #[test]
    fn captions_about_a_hidden_pane_are_not_shown() {
        let (mut s, _) = Session::from_link("preset=two-am-failover&t=12.5s");
        let about = |s: &Session, name: &str| s.captions().iter().any(|(_, c)| c.pane.as_deref() == Some(name));
        assert!(about(&s, "leaderless"), "{:?}", s.captions());
        let ll = s.pane_index(TopologyKind::Leaderless).unwrap();
        s.set_hidden(ll, true);
        assert!(!about(&s, "leaderless"));
        assert!(about(&s, "leader_follower"));
        let (embed, _) = Session::from_link("preset=two-am-failover&t=12.5s&embed=1&panes=lf,ml");
        assert!(!about(&embed, "leaderless"));
    }

    #[test]
    fn a_refused_setting_is_named_as_the_panel_names_it() {
        let (mut s, _) = Session::from_link("preset=two-am-failover");
        let e = s.set_override("ll.w", "9").unwrap_err();
        assert!(!e.contains("topologies."), "{e}");
        assert!(e.starts_with("Leaderless: "), "{e}");
        assert!(e.contains("9 is out of range"), "{e}");
        assert_eq!(s.setting_name("lf.fencing"), "Leader-follower: Fencing (STONITH)");
        assert_eq!(s.setting_name("zz.nothing"), "zz.nothing");
    }
}

/// The narration mentions every kind of anomaly a run produces, when it happens, whatever the
/// seed: the first of each kind in each pane is noted at its moment and for a while after.
mod anomaly_notes {
    use super::super::*;

    #[test]
    fn every_kind_of_anomaly_in_every_preset_is_noted_when_it_happens() {
        let mut noted = 0;
        for p in replicascope_engine::page::PRESETS.iter() {
            for seed in [1, 2, 3] {
                let mut scenario = preset(p.id).unwrap();
                scenario.seed = seed;
                let mut s = Session::new(scenario).unwrap();
                while !s.all_finished() {
                    s.compute(100_000);
                }
                let firsts: Vec<(usize, replicascope_engine::page::AnomalyKind, u64)> = s
                    .panes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| p.report.as_ref().map(|r| (i, r.clone())))
                    .flat_map(|(i, r)| {
                        let mut kinds: Vec<_> = r.anomalies.iter().map(|a| a.kind).collect();
                        kinds.dedup();
                        kinds
                            .into_iter()
                            .map(|k| (i, k, r.anomalies.iter().filter(|a| a.kind == k).map(|a| a.time).min().unwrap()))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                for (i, kind, t) in firsts {
                    for at in [t, t + NOTE_FOR - 1] {
                        s.set_time(at.min(s.duration()) as f64);
                        assert!(
                            s.anomaly_notes().iter().any(|(j, a)| *j == i && a.kind == kind && a.time == t),
                            "{} seed {seed}: {kind:?} in pane {i} at {t} not noted at {at}",
                            p.id
                        );
                    }
                    s.set_time(t.saturating_sub(1) as f64);
                    assert!(
                        !s.anomaly_notes().iter().any(|(j, a)| *j == i && a.kind == kind && a.time == t),
                        "noted before it happened"
                    );
                    noted += 1;
                }
            }
        }
        assert!(noted > 50, "{noted} anomaly kinds noted across the presets");
    }
}

/// Adaptive playback over every preset, as a learner meets it: the figures the issue sets.
mod adaptive_playback {
    use super::super::*;

    const FRAME_MS: f64 = 1000.0 / 60.0;

    fn computed(id: &str) -> Session {
        let mut s = Session::new(preset(id).unwrap()).unwrap();
        s.preset = Some(id.to_string());
        while s.work_left() {
            s.compute(100_000);
        }
        s
    }

    /// Every preset plays in at most two minutes (a 45 s one included), and while it plays at
    /// least 80 % of the frames (at 60 per second) show a message on the wire. Run with
    /// `--nocapture` for the figures.
    #[test]
    fn every_preset_plays_within_two_minutes_with_messages_in_most_frames() {
        for p in replicascope_engine::page::PRESETS.iter() {
            let mut s = computed(p.id);
            let pace = s.pace().expect("the pace is made once the runs are computed").clone();
            let (mut frames, mut seen) = (0u32, 0u32);
            s.play();
            while s.playing {
                s.tick(FRAME_MS);
                frames += 1;
                seen += u32::from(s.panes.iter().any(|p| !p.in_flight(s.now()).is_empty()));
                assert!(frames < 200 * 60, "{}: still playing after 200 s", p.id);
            }
            let played_s = frames as f64 / 60.0;
            let share = seen as f64 / frames as f64;
            println!(
                "{:28} {:>3} s plays in {:>5.1} s; frames with a message {:>3.0} %; flight {:>4.0} ms, near a moment {:>4.0} ms; holding {:>4.1} s, quiet {:>4.1} s",
                p.id,
                s.duration() / 1_000_000,
                played_s,
                share * 100.0,
                pace.flight_ms,
                pace.focus_ms,
                pace.spent.holding / 1000.0,
                pace.spent.quiet / 1000.0,
            );
            assert!(played_s <= 120.0, "{}: plays for {played_s:.1} s", p.id);
            assert!((played_s - pace.total_ms() / 1000.0).abs() < 0.1, "{}: the pace's length is what plays", p.id);
            assert!(share >= 0.8, "{}: {:.0} % of frames show a message", p.id, share * 100.0);
            assert_eq!(s.now(), s.duration(), "{}: played to the end", p.id);
        }
    }

    /// The same run plays the same way whatever the frame rate: the displayed time is a function
    /// of the play time alone.
    #[test]
    fn playback_does_not_depend_on_the_frame_rate() {
        let mut a = computed("two-am-failover");
        let mut b = computed("two-am-failover");
        a.play();
        b.play();
        for i in 0..3_000 {
            a.tick(FRAME_MS);
            // b: uneven frames (a slow machine), meeting a every 6 frames.
            b.tick([5.0, 30.0, 10.0, 25.0, 15.0, 15.0][i % 6] * FRAME_MS / 16.666_666_666_666_668);
            if i % 6 == 5 {
                assert!((a.time - b.time).abs() < 1.0, "frame {i}: {} vs {}", a.time, b.time);
            }
        }
        assert!(a.time > 5_000_000.0, "played to {}", a.time);
    }

    /// The time holds on each fault of the script, slows near it, and runs through quiet time
    /// faster than real time.
    #[test]
    fn the_time_holds_on_faults_and_runs_through_quiet_stretches() {
        let mut s = computed("two-am-failover");
        let pace = s.pace().unwrap().clone();
        let faults: Vec<u64> = s.plan.faults.iter().map(|(t, _)| *t).filter(|t| *t > 0).collect();
        assert!(!faults.is_empty());
        for t in faults {
            let w = pace.wall_at(t as f64);
            assert_eq!(pace.time_at(w + 300.0), t as f64, "holds 300 ms at the fault at {t}");
            assert_eq!(pace.rate_at(w + 300.0), 0.0);
            s.set_time(t as f64);
            s.playing = true;
            s.tick(300.0);
            assert_eq!(s.now(), t, "the session holds too");
            assert_eq!(s.rate(), 0.0);
        }
        // Somewhere the displayed time moves faster than real time (a quiet stretch), and
        // somewhere slower than a tenth of it (messages in flight).
        let rates: Vec<f64> =
            (0..(pace.total_ms() as u64 / 50)).map(|i| pace.rate_at(i as f64 * 50.0) / 1000.0).collect();
        assert!(rates.iter().any(|r| *r >= QUIET_RATE), "no quiet stretch ran through");
        assert!(rates.iter().any(|r| *r > 0.0 && *r < 0.1), "nothing slowed down");
    }
    const QUIET_RATE: f64 = crate::pace::QUIET_SPEED;

    /// Adaptive is the default and is what a link without a speed means; a speed in a link, from
    /// the slider, the keys or a host page is a fixed speed; links round-trip either way.
    #[test]
    fn adaptive_is_the_default_and_a_chosen_speed_is_fixed() {
        let (s, problems) = Session::from_link("preset=split-brain");
        assert!(problems.is_empty(), "{problems:?}");
        assert!(s.adaptive);
        assert!(!s.link().contains("speed"), "{}", s.link());
        let (mut s, _) = Session::from_link("preset=split-brain&speed=0.5");
        assert!(!s.adaptive);
        assert_eq!(s.speed, 0.5);
        assert!(s.link().contains("speed=0.5"), "{}", s.link());
        s.set_adaptive(true);
        assert!(!s.link().contains("speed"));
        let (again, _) = Session::from_link(&s.link());
        assert!(again.adaptive);
        // From adaptive, "faster" starts from the rate playing now.
        let mut s = computed("split-brain");
        s.play();
        s.tick(100.0);
        let now = s.rate();
        s.scale_speed(2.0);
        assert!(!s.adaptive);
        assert!((s.speed - (now * 2.0).clamp(MIN_SPEED, MAX_SPEED)).abs() < 1e-9, "{now} -> {}", s.speed);
        // A host page's speed is fixed.
        let mut s = computed("split-brain");
        s.apply_host(&HostCommand::Speed { speed: 2.0 }).unwrap();
        assert!(!s.adaptive);
        assert_eq!(s.rate(), 2.0);
    }

    /// A change to a run (an intervention) or to what is shown (a pane hidden) makes the pace
    /// again from the new runs; until then playback moves at the provisional speed.
    #[test]
    fn the_pace_follows_changes_to_the_runs() {
        let mut s = computed("two-am-failover");
        let before = s.pace().unwrap().clone();
        s.set_time(2_000_000.0);
        s.intervene(0, "crash n2").unwrap();
        assert!(s.pace().is_none());
        assert_eq!(s.rate(), PROVISIONAL_SPEED);
        while s.work_left() {
            s.compute(100_000);
        }
        let after = s.pace().unwrap().clone();
        assert_ne!(before, after);
        // The intervention is a moment held on.
        let w = after.wall_at(2_000_000.0);
        assert_eq!(after.time_at(w + 100.0), 2_000_000.0);
        s.set_hidden(1, true);
        assert!(s.pace().is_none());
        s.compute(1);
        assert!(s.pace().is_some());
        assert_ne!(s.pace().unwrap(), &after);
    }
}
