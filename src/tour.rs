//! Guided tours over a [`Session`]: which step the learner is on, what it shows, whether its task
//! is done, and the moves between steps. The position is part of the link
//! (`ViewOptions::tour`), so a tour survives everything that rebuilds the session (a setting
//! change does) and a link resumes it. Plain Rust, tested natively: the tests at the bottom play
//! every tour the way a learner would and check each step's claims against the run.

use crate::session::Session;
use replicascope_engine::page::{tour, Intervention, PaneTab, SimTime, TaskKind, TopologyKind, Tour, TourStep};

/// Where a learner is in a tour.
#[derive(Clone, Debug, PartialEq)]
pub struct TourAt {
    pub id: String,
    pub tour: &'static Tour,
    pub step: usize,
}

impl TourAt {
    pub fn current(&self) -> &TourStep {
        &self.tour.steps[self.step.min(self.tour.steps.len() - 1)]
    }
    pub fn is_last(&self) -> bool {
        self.step + 1 >= self.tour.steps.len()
    }
}

/// The CSS selector a step's highlight target names (see `TourStep::highlight`), or None if it
/// names nothing this page draws. Only known words and node names make a selector, so nothing
/// from a tour file reaches the style sheet unchecked.
pub fn selector(target: &str, kinds: &[TopologyKind]) -> Option<String> {
    let words: Vec<&str> = target.split_whitespace().collect();
    let endpoint = |w: &str, prefix: char| {
        w.strip_prefix(prefix).and_then(|n| n.parse::<u8>().ok()).map(|n| format!("{prefix}{n}"))
    };
    match words.as_slice() {
        ["clock"] => Some(".clock".into()),
        ["scrubber"] => Some(".scrubber".into()),
        ["narration"] => Some(".narration".into()),
        ["compare"] => Some("section.compare".into()),
        ["compare", pane] => {
            let k = TopologyKind::from_code(pane).filter(|k| kinds.contains(k))?;
            Some(format!("table.comparison tr[data-pane={}]", k.name()))
        }
        [pane, rest @ ..] => {
            let k = TopologyKind::from_code(pane).filter(|k| kinds.contains(k))?;
            let section = format!("section[data-pane={}]", k.name());
            match rest {
                [] => Some(section),
                ["settings"] => Some(format!("{section} .pane-actions button[aria-label$=\" settings\"]")),
                [tab @ ("logs" | "space-time" | "explain" | "anomalies")] => {
                    Some(format!("{section} [data-tab={tab}]"))
                }
                ["log", n] => Some(format!("{section} .lane[data-lane={}]", endpoint(n, 'n')?)),
                [n] if n.starts_with('n') => Some(format!("{section} [data-node={}]", endpoint(n, 'n')?)),
                [c] if c.starts_with('c') => Some(format!("{section} [data-client={}]", endpoint(c, 'c')?)),
                _ => None,
            }
        }
        _ => None,
    }
}

impl Session {
    /// The tour the learner is on, if any.
    pub fn tour(&self) -> Option<TourAt> {
        let (id, step) = self.view.tour.as_ref()?;
        let tour = tour(id)?;
        (!tour.steps.is_empty()).then(|| TourAt { id: id.clone(), tour, step: *step as usize })
    }

    /// Starts tour `id` at `step` (0-based) on its preset, from the beginning: the tasks of the
    /// steps before are done for the learner at their moments, so any step can be resumed.
    pub fn start_tour(&mut self, id: &str, step: usize) -> Result<(), String> {
        let t = tour(id).ok_or_else(|| format!("There is no tour called \"{id}\"."))?;
        let step = step.min(t.steps.len().saturating_sub(1));
        let (mut fresh, problems) = Session::from_link(&format!("preset={}", t.preset));
        if !problems.is_empty() {
            return Err(problems.join(" "));
        }
        fresh.view.embed = self.view.embed;
        fresh.view.controls = self.view.controls;
        fresh.view.narration = self.view.narration;
        *self = fresh;
        for k in 0..step {
            self.view.tour = Some((id.to_string(), k as u32));
            let s = &t.steps[k];
            if let Some(at) = s.until.or(s.from) {
                self.seek(at.0 as f64);
            }
            if s.task.is_some() && !self.task_done() {
                self.do_task()?;
            }
        }
        self.enter_step(id, t, step);
        Ok(())
    }

    fn enter_step(&mut self, id: &str, t: &'static Tour, step: usize) {
        self.view.tour = Some((id.to_string(), step as u32));
        let s = &t.steps[step];
        for i in 0..self.panes.len() {
            let shown = s.panes.is_none_or(|list| list.contains(&self.panes[i].kind.code()));
            self.set_hidden(i, !shown);
        }
        for item in s.tabs {
            let parsed =
                item.split_once(':').and_then(|(k, t)| Some((TopologyKind::from_code(k)?, PaneTab::from_code(t)?)));
            if let Some((kind, tab)) = parsed {
                self.view.tabs.retain(|(k, _)| *k != kind);
                if tab != PaneTab::Logs {
                    self.view.tabs.push((kind, tab));
                }
            }
        }
        if let Some(from) = s.from {
            self.seek(from.0 as f64);
        }
        self.stop_at = None;
        match s.until {
            Some(until) if (until.0 as f64) > self.time => {
                self.stop_at = Some(until.0);
                self.playing = true;
            }
            Some(until) => self.seek(until.0 as f64),
            None => self.playing = false,
        }
    }

    /// Whether the current step's task is done (a step without one has nothing to wait for).
    pub fn task_done(&self) -> bool {
        let Some(at) = self.tour() else { return true };
        let Some(task) = &at.current().task else { return true };
        match task.kind() {
            Ok(TaskKind::Act { pane, action }) => self
                .panes
                .iter()
                .find(|p| p.kind == pane)
                .is_some_and(|p| p.run.interventions().iter().any(|i: &Intervention| i.action == action)),
            Ok(TaskKind::Set { key, value }) => self.scenario.setting(key).as_deref() == Some(value),
            Err(_) => true,
        }
    }

    /// Does the current step's task for the learner ("Do it for me").
    pub fn do_task(&mut self) -> Result<(), String> {
        let at = self.tour().ok_or("No tour is running.")?;
        let task = at.current().task.as_ref().ok_or("This step asks nothing.")?;
        match task.kind()? {
            TaskKind::Act { pane, action } => {
                let i = self.pane_index(pane).ok_or("This scenario has no such pane.")?;
                self.intervene(i, action)
            }
            TaskKind::Set { key, value } => self.set_override(key, value).map(|_| ()),
        }
    }

    /// The step is over: the next one begins (or the tour ends after the last). Refused while
    /// the step's task is not done.
    pub fn tour_next(&mut self) -> Result<(), String> {
        let at = self.tour().ok_or("No tour is running.")?;
        if !self.task_done() {
            return Err("This step waits for you to do what it asks (or “Do it for me”).".into());
        }
        // Next before the step's moment was reached: the step's moment first, so that what the
        // next step does (a crash, a setting) happens where the tour means it to.
        if let Some(stop) = self.stop_at.take() {
            self.seek(stop as f64);
        }
        if at.is_last() {
            self.end_tour();
        } else {
            self.enter_step(&at.id, at.tour, at.step + 1);
        }
        Ok(())
    }

    /// Back one step: the tour starts again and replays to it (a task already done stays done
    /// only if the step before did it).
    pub fn tour_back(&mut self) -> Result<(), String> {
        let at = self.tour().ok_or("No tour is running.")?;
        self.start_tour(&at.id, at.step.saturating_sub(1))
    }

    /// Called after anything the learner did: a step whose task is now done moves on.
    pub fn tour_notice(&mut self) -> bool {
        match self.tour() {
            Some(at) if at.current().task.is_some() && self.task_done() => self.tour_next().is_ok(),
            _ => false,
        }
    }

    /// Leaves the tour; every pane is shown again, the run stays where it is.
    pub fn end_tour(&mut self) {
        self.view.tour = None;
        self.stop_at = None;
        for i in 0..self.panes.len() {
            self.set_hidden(i, false);
        }
    }

    /// Whether the run differs from the one the tour set up for this step: another seed, a
    /// setting or a change the tour did not ask for (or one it asked for undone). The steps'
    /// words are checked against the tour's own run only, so the card says so.
    pub fn tour_off_script(&self) -> bool {
        let Some(at) = self.tour() else { return false };
        let Some(base) = crate::presets::preset(at.tour.preset) else { return false };
        if base.seed != self.scenario.seed {
            return true;
        }
        let mut sets = Vec::new();
        let mut acts = Vec::new();
        for s in &at.tour.steps[..at.step] {
            match s.task.as_ref().map(|t| t.kind()) {
                Some(Ok(TaskKind::Set { key, value })) => {
                    // A later step may set the same setting again: its value is the one.
                    sets.retain(|(k, _)| *k != key);
                    sets.push((key, value));
                }
                Some(Ok(TaskKind::Act { pane, action })) => acts.push((pane, action)),
                _ => {}
            }
        }
        let settings_differ = sets.iter().any(|(k, v)| self.scenario.setting(k).as_deref() != Some(*v))
            || self.overrides.iter().any(|(k, _)| !sets.iter().any(|(sk, _)| sk == k));
        let mut done: Vec<(TopologyKind, String)> =
            self.interventions().into_iter().map(|(k, i)| (k, i.action)).collect();
        let mut asked: Vec<(TopologyKind, String)> = acts.iter().map(|(k, a)| (*k, a.to_string())).collect();
        // (The engine's one sort: each use of the standard one adds kilobytes to the page.)
        replicascope_engine::page::sort_by(&mut done, |a, b| (a.0.code(), &a.1).cmp(&(b.0.code(), &b.1)));
        replicascope_engine::page::sort_by(&mut asked, |a, b| (a.0.code(), &a.1).cmp(&(b.0.code(), &b.1)));
        settings_differ || done != asked
    }

    /// Back to the tour's own run at the current step (after the learner changed it).
    pub fn tour_restart_step(&mut self) -> Result<(), String> {
        let at = self.tour().ok_or("No tour is running.")?;
        self.start_tour(&at.id, at.step)
    }

    /// Where playback stops for the current step, if it has not yet.
    pub fn tour_stop(&self) -> Option<SimTime> {
        self.stop_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replicascope_engine::page::Liveness;
    use serde::Deserialize;

    /// A tour file as written, with the claims each step makes (`expect`), which the page's copy
    /// leaves out.
    #[derive(Deserialize)]
    struct File {
        steps: Vec<Claims>,
    }

    #[derive(Deserialize)]
    struct Claims {
        text: String,
        #[serde(default)]
        expect: Vec<Expect>,
    }

    /// One claim about the run at the moment a step stops (`until`), or about the whole run
    /// (`no_…`). Each field but `pane` is one kind of claim.
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Expect {
        pane: String,
        /// An anomaly of this kind (or also of it) has happened by then.
        anomaly: Option<String>,
        /// No anomaly of this kind in the whole run.
        no_anomaly: Option<String>,
        /// A note (`Promoted`, `PoweredOff`, `Conflict`…) has been made by then.
        note: Option<String>,
        /// No such note in the whole run.
        no_note: Option<String>,
        /// A node is `up`, `down` or `paused` then.
        node: Option<String>,
        is: Option<String>,
        /// Some conflict by then discarded a write (true), or none did (false; one must exist).
        discarded: Option<bool>,
    }

    fn file(id: &str) -> File {
        let path = format!("{}/scenarios/tours/{id}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn note_name(a: &replicascope_engine::page::Annotation) -> String {
        let v = serde_json::to_value(a).unwrap();
        v.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_else(|| v.as_str().unwrap_or("").into())
    }

    /// Checks one claim against the session at its displayed time (the runs computed to the end).
    fn check(s: &Session, e: &Expect) -> Result<(), String> {
        let now = s.now();
        let kind = TopologyKind::from_code(&e.pane).ok_or(format!("no pane {}", e.pane))?;
        let p = s.panes.iter().find(|p| p.kind == kind).ok_or(format!("the scenario has no {} pane", e.pane))?;
        let report = p.report.as_ref().ok_or("not computed")?;
        let is = |a: &replicascope_engine::page::Anomaly, k: &str| {
            a.kind.name() == k || a.also.iter().any(|x| x.name() == k)
        };
        let notes = &p.run.trace().annotations;
        let mut checked = 0;
        if let Some(k) = &e.anomaly {
            checked += 1;
            if !report.anomalies.iter().any(|a| is(a, k) && a.time <= now) {
                return Err(format!("no {k} anomaly by {now} µs"));
            }
        }
        if let Some(k) = &e.no_anomaly {
            checked += 1;
            if let Some(a) = report.anomalies.iter().find(|a| is(a, k)) {
                return Err(format!("a {k} anomaly at {} µs: {}", a.time, a.explanation));
            }
        }
        if let Some(n) = &e.note {
            checked += 1;
            if !notes.iter().any(|x| x.time <= now && note_name(&x.annotation) == *n) {
                return Err(format!("no {n} note by {now} µs"));
            }
        }
        if let Some(n) = &e.no_note {
            checked += 1;
            if let Some(x) = notes.iter().find(|x| note_name(&x.annotation) == *n) {
                return Err(format!("a {n} note at {} µs", x.time));
            }
        }
        if let (Some(node), Some(want)) = (&e.node, &e.is) {
            checked += 1;
            let i: usize = node.strip_prefix('n').and_then(|n| n.parse().ok()).ok_or("a node is nK")?;
            let info = p.view.nodes.get(i - 1).ok_or(format!("no node {node}"))?;
            let got = match info.liveness {
                Liveness::Up => "up",
                Liveness::Down => "down",
                Liveness::Paused => "paused",
            };
            if got != want {
                return Err(format!("{node} is {got} at {now} µs, not {want}"));
            }
        }
        if let Some(want) = e.discarded {
            checked += 1;
            use replicascope_engine::page::Annotation;
            let conflicts: Vec<bool> = notes
                .iter()
                .filter(|x| x.time <= now)
                .filter_map(|x| match &x.annotation {
                    Annotation::Conflict(c) => Some(!c.discarded.is_empty()),
                    _ => None,
                })
                .collect();
            if conflicts.is_empty() {
                return Err(format!("no conflict by {now} µs"));
            }
            if conflicts.iter().any(|d| *d) != want {
                return Err(format!("conflicts by {now} µs discarded: {conflicts:?}"));
            }
        }
        if checked != 1 {
            return Err(format!("a claim makes exactly one check: {e:?}"));
        }
        Ok(())
    }

    /// Plays like the page does (frames of 16.7 ms, adaptive playback) until playback stops.
    fn play(s: &mut Session) {
        for _ in 0..200_000 {
            if !s.playing {
                return;
            }
            s.compute(20_000);
            s.tick(16.7);
        }
        panic!("playback never stopped");
    }

    /// Every tour, walked as a learner would: each step plays to its moment and stops there,
    /// every claim it makes holds in the run then, every highlight names something drawn, each
    /// task is announced in the words of its control and, once done the way the page does it,
    /// moves the tour on; a link made at each step resumes the same run at the same step.
    #[test]
    fn every_tour_is_true_step_by_step() {
        let ids: Vec<&str> = replicascope_engine::tours::all_ids().collect();
        assert!(ids.len() >= 5);
        for id in &ids {
            assert!(replicascope_engine::tours::ORDER.contains(id), "{id} is offered in the tours menu");
        }
        for id in ids {
            let claims = file(id);
            let tour = tour(id).unwrap();
            assert_eq!(claims.steps.len(), tour.steps.len(), "{id}");
            for (c, s) in claims.steps.iter().zip(tour.steps) {
                assert_eq!(c.text, s.text, "{id}: the page's copy is the file's");
            }
            assert!(tour.summary.len() < 140 && !tour.title.is_empty(), "{id}");
            let mut s = Session::new(crate::presets::default_scenario()).unwrap();
            s.start_tour(id, 0).unwrap();
            for (k, step) in tour.steps.iter().enumerate() {
                let at = s.tour().unwrap_or_else(|| panic!("{id}: the tour ended before step {}", k + 1));
                assert_eq!(at.step, k, "{id}");
                let here = format!("{id} step {}", k + 1);
                assert!(step.text.len() <= 400, "{here}: a step says one thing ({} characters)", step.text.len());
                // Shown panes.
                for p in &s.panes {
                    let shown = step.panes.is_none_or(|l| l.contains(&p.kind.code()));
                    assert_eq!(p.hidden, !shown, "{here}: {:?}", p.kind);
                }
                for item in step.tabs {
                    let (k, t) = item.split_once(':').unwrap_or_else(|| panic!("{here}: a tab is pane:view"));
                    let kind = TopologyKind::from_code(k).unwrap_or_else(|| panic!("{here}: no pane {k}"));
                    let tab = PaneTab::from_code(t).unwrap_or_else(|| panic!("{here}: no view {t}"));
                    let open = s.view.tabs.iter().find(|(x, _)| *x == kind).map(|(_, t)| *t).unwrap_or(PaneTab::Logs);
                    assert_eq!(open, tab, "{here}: the step opens {item}");
                }
                if let Some(list) = step.panes {
                    for c in list {
                        assert!(s.panes.iter().any(|p| p.kind.code() == *c), "{here}: no pane {c}");
                    }
                }
                play(&mut s);
                if let Some(until) = step.until {
                    assert_eq!(s.now(), until.0, "{here}: playback stops at the step's moment");
                }
                // A link made here resumes here, the same run (the link carries the tour).
                let link = s.link();
                assert!(link.contains(&format!("tour={id}&step={}", k + 1)), "{here}: {link}");
                let (mut again, problems) = Session::from_link(&link);
                assert!(problems.is_empty(), "{here}: {problems:?}");
                assert_eq!(again.tour().map(|a| a.step), Some(k), "{here}");
                assert_eq!(again.now(), s.now(), "{here}");
                // And a link to the step alone replays the tour to it.
                let (mut short, problems) = Session::from_link(&format!("tour={id}&step={}", k + 1));
                assert!(problems.is_empty(), "{here}: {problems:?}");
                assert_eq!(short.tour().map(|a| a.step), Some(k), "{here}");
                assert_eq!(short.scenario, s.scenario, "{here}: the same settings");
                assert_eq!(short.interventions(), s.interventions(), "{here}: the same changes");
                s.compute(u64::MAX);
                again.compute(u64::MAX);
                short.compute(u64::MAX);
                for ((a, b), c) in s.panes.iter().zip(&again.panes).zip(&short.panes) {
                    assert_eq!(a.run.digest(), b.run.digest(), "{here}");
                    assert_eq!(a.run.digest(), c.run.digest(), "{here}");
                }
                assert!(!s.tour_off_script(), "{here}: the tour's own walk is its own run");
                // Claims.
                for e in &claims.steps[k].expect {
                    check(&s, e).unwrap_or_else(|m| panic!("{here}: “{}” — {m}", step.text));
                }
                // Highlights name something drawn in a shown pane.
                let kinds: Vec<TopologyKind> = s.panes.iter().filter(|p| !p.hidden).map(|p| p.kind).collect();
                for h in step.highlight {
                    assert!(selector(h, &kinds).is_some(), "{here}: highlight “{h}” names nothing shown");
                    let w: Vec<&str> = h.split_whitespace().collect();
                    if let (Some(p), [_, n]) = (s.panes.iter().find(|p| p.kind.code() == w[0]), w.as_slice()) {
                        if let Some(i) = n.strip_prefix('n').and_then(|x| x.parse::<usize>().ok()) {
                            assert!(i >= 1 && i <= p.view.nodes.len(), "{here}: no {n}");
                        }
                        if let Some(i) = n.strip_prefix('c').and_then(|x| x.parse::<usize>().ok()) {
                            assert!(i >= 1 && i <= p.view.clients.len(), "{here}: no {n}");
                        }
                    }
                }
                // Move on: a task, done as the page does it, or "Next".
                match &step.task {
                    Some(task) => {
                        assert!(!s.task_done(), "{here}: the task is already done");
                        assert!(s.tour_next().is_err(), "{here}: Next waits for the task");
                        let words = task.instruction(&s.scenario).unwrap_or_else(|e| panic!("{here}: {e}"));
                        assert!(words.contains('“'), "{here}: {words}");
                        match task.kind().unwrap() {
                            TaskKind::Act { pane, action } => {
                                let i = s.pane_index(pane).unwrap();
                                s.intervene(i, action).unwrap();
                            }
                            TaskKind::Set { key, value } => {
                                s.set_override(key, value).unwrap();
                            }
                        }
                        assert!(s.tour_notice(), "{here}: the page notices the task is done");
                    }
                    None => {
                        assert!(!s.tour_notice(), "{here}: nothing to notice");
                        s.tour_next().unwrap();
                    }
                }
            }
            assert!(s.tour().is_none(), "{id}: the tour ends after its last step");
            assert!(s.panes.iter().all(|p| !p.hidden), "{id}: every pane is shown again");
        }
    }

    #[test]
    fn next_before_the_moment_goes_to_the_moment_first() {
        let (mut s, _) = Session::from_link("tour=quorums&step=3");
        assert!(s.playing, "a step plays to its moment");
        s.compute(u64::MAX);
        s.tick(100.0);
        assert!(s.now() < 6_000_000);
        s.tour_next().unwrap();
        assert_eq!(s.now(), 6_000_000, "the step's moment, then the next step");
        assert!(!s.playing);
    }

    #[test]
    fn a_run_changed_off_the_tour_is_noticed_and_can_be_put_back() {
        let (mut s, _) = Session::from_link("tour=split-brain-fencing&step=5");
        assert!(!s.tour_off_script(), "the tour's own run (fencing on, as step 4 asked)");
        s.set_override("ll.w", "1").unwrap();
        assert!(s.tour_off_script(), "a setting the tour did not ask for");
        s.tour_restart_step().unwrap();
        assert!(!s.tour_off_script());
        s.set_override("lf.fencing", "false").unwrap();
        assert!(s.tour_off_script(), "the task undone");
        s.tour_restart_step().unwrap();
        s.intervene(0, "crash n3").unwrap();
        assert!(s.tour_off_script(), "a change the tour did not ask for");
        s.tour_restart_step().unwrap();
        s.reseed(77).unwrap();
        assert_eq!(s.tour().map(|a| a.step), Some(4), "the tour goes on");
        assert!(s.tour_off_script(), "another seed");
        // The quorums tour asks for a crash: done, it is on script.
        let (mut q, _) = Session::from_link("tour=quorums&step=7");
        assert!(!q.tour_off_script());
        q.do_task().unwrap();
        assert!(q.tour_notice());
        assert!(!q.tour_off_script(), "the crash it asked for");
    }

    #[test]
    fn back_and_do_it_for_me() {
        let (mut s, problems) = Session::from_link("tour=quorums&step=4");
        assert!(problems.is_empty(), "{problems:?}");
        assert!(!s.task_done());
        s.do_task().unwrap();
        assert!(s.tour_notice());
        assert_eq!(s.tour().unwrap().step, 4);
        assert_eq!(s.scenario.setting("ll.w").as_deref(), Some("1"));
        s.tour_back().unwrap();
        assert_eq!(s.tour().unwrap().step, 3);
        assert_eq!(s.scenario.setting("ll.w").as_deref(), Some("2"), "back to before the task");
        s.end_tour();
        assert!(s.tour().is_none());
        assert!(!s.link().contains("tour="));
    }

    #[test]
    fn bad_tour_links_are_explained() {
        for (link, says) in [
            ("tour=nope", "no tour called"),
            ("tour=quorums&step=99", "steps 1 to"),
            ("tour=quorums&step=-1", "steps 1 to"),
            ("preset=split-brain&tour=quorums", "follows the preset"),
            ("tour=%3Cscript%3E", "no tour called"),
        ] {
            let (s, problems) = Session::from_link(link);
            assert!(problems.iter().any(|p| p.contains(says)), "{link}: {problems:?}");
            assert!(!s.panes.is_empty());
        }
    }

    #[test]
    fn selectors_name_only_what_the_page_draws() {
        let all = TopologyKind::ALL.to_vec();
        assert_eq!(selector("lf n1", &all).unwrap(), "section[data-pane=leader_follower] [data-node=n1]");
        assert_eq!(selector("ll log n3", &all).unwrap(), "section[data-pane=leaderless] .lane[data-lane=n3]");
        assert_eq!(selector("compare ml", &all).unwrap(), "table.comparison tr[data-pane=multi_leader]");
        for bad in ["lf n1]{}", "lf n", "xx n1", "lf log", "lf <b>", "", "compare zz", "lf c1 x", "lf n300"] {
            assert_eq!(selector(bad, &all), None, "{bad}");
        }
        assert_eq!(selector("ml", &[TopologyKind::LeaderFollower]), None, "a pane the scenario does not have");
    }
}

/// What happened in a run, for authors of tours: `PROBE='preset=split-brain&lf.fencing=true'
/// cargo test -p replicascope-app --lib probe -- --ignored --nocapture`.
#[cfg(test)]
mod probe {
    use crate::session::Session;

    #[test]
    #[ignore]
    fn probe() {
        let link = std::env::var("PROBE").unwrap_or_else(|_| "preset=two-am-failover".into());
        let (mut s, problems) = Session::from_link(&link);
        assert!(problems.is_empty(), "{problems:?}");
        s.compute(u64::MAX);
        for p in &s.panes {
            println!("== {}", p.kind.code());
            for a in &p.report.as_ref().unwrap().anomalies {
                println!(
                    "  anomaly {:>9} {} {}",
                    a.time,
                    a.kind.name(),
                    a.explanation.chars().take(150).collect::<String>()
                );
            }
            for n in &p.run.trace().annotations {
                let v = serde_json::to_value(&n.annotation).unwrap();
                let name = v.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or(v.to_string());
                if !["FollowerState", "Sample", "Quorum", "Fenced"].contains(&name.as_str()) {
                    println!("  note    {:>9} {name} {}", n.time, v.to_string().chars().take(700).collect::<String>());
                }
            }
        }
    }
}
