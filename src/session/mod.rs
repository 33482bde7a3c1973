//! The state behind the page, without the page: the runs of each pane, the shared clock, play
//! and pause, seeking, interventions, the link that reproduces it all, narration. Plain Rust
//! over the engine, tested natively; the Yew components only draw it and forward clicks.

use crate::pace::Pace;
use crate::presets::{default_scenario, preset};
use replicascope_engine::page::Intervention;
use replicascope_engine::page::MsgRecord;
use replicascope_engine::page::SimTime;
use replicascope_engine::page::TopologyKind;
use replicascope_engine::page::{apply_override, decode_with_plan, encode, LinkState, ViewOptions};
use replicascope_engine::page::{AnyCursor, AnyRun, AnySettling, PaneView};
use replicascope_engine::page::{Caption, Plan, Scenario};
use replicascope_engine::page::{Report, Reporting};
use std::rc::Rc;

mod host;

pub use host::{host_command, host_command_text, HostCommand, MAX_HOST_MESSAGE};

/// Simulated seconds per wall-clock second, on a log scale.
pub const MIN_SPEED: f64 = 0.01;
pub const MAX_SPEED: f64 = 100.0;
/// The annotations that are moments a reader must not miss, by the scrubber marker class they
/// get: the scrubber marks them and adaptive playback holds on them.
pub fn moment_class(a: &replicascope_engine::page::Annotation) -> Option<&'static str> {
    use replicascope_engine::page::Annotation;
    match a {
        Annotation::Promoted { .. } | Annotation::Elected { .. } => Some("failover"),
        Annotation::TailDiscarded { .. } => Some("loss"),
        Annotation::Conflict(_) => Some("conflict"),
        Annotation::SemiSyncFallback { .. } => Some("mode"),
        _ => None,
    }
}

/// How long (simulated) the narration keeps saying that an anomaly happened.
pub const NOTE_FOR: SimTime = 4_000_000;
/// Adaptive playback's speed while the runs are still being computed (before the pace is known).
pub const PROVISIONAL_SPEED: f64 = 0.1;

pub struct Pane {
    pub kind: TopologyKind,
    pub run: AnyRun,
    cursor: AnyCursor,
    /// What the diagram shows; replaced (never mutated) when the cursor's state changes, so
    /// components compare it by pointer.
    pub view: Rc<PaneView>,
    pub hidden: bool,
    /// Metrics and anomalies, once the run is complete.
    pub report: Option<Rc<Report>>,
    /// The finished run going on, with no new input, to see whether its replicas converge:
    /// the report waits for it.
    settling: Option<Settle>,
    /// The cursor moved since `view` was made (views are rebuilt at most a few times a second
    /// while playing; see [`Session::tick`]).
    stale: bool,
}

/// Where a finished pane's settling is: going on, or done with its report still to be made (a
/// frame's call makes it first thing in the next call, alone).
enum Settle {
    Going(AnySettling),
    /// Settled: its report is being made, a step a frame (see `Reporting`).
    Reporting(Reporting),
}

impl Pane {
    fn new(kind: TopologyKind, plan: Rc<Plan>) -> Option<Pane> {
        let run = AnyRun::new(kind, plan)?;
        let cursor = run.cursor();
        let view = Rc::new(run.pane_view(&cursor)?);
        Some(Pane { kind, run, cursor, view, hidden: false, report: None, settling: None, stale: false })
    }

    pub fn finished(&self) -> bool {
        self.run.finished()
    }

    /// Messages on the wire at `t`.
    pub fn in_flight(&self, t: SimTime) -> Vec<&MsgRecord> {
        self.run.trace().in_flight_at(t)
    }

    /// Whether a step changes what is drawn (see [`Session::next_event_time`]).
    fn draws(&self, step: &replicascope_engine::page::Step) -> bool {
        use replicascope_engine::page::StepKind;
        match step.kind {
            StepKind::Sample => false,
            StepKind::Timer { .. } => {
                let trace = self.run.trace();
                let t = step.time;
                let m = trace.messages.partition_point(|m| m.sent_at < t);
                let a = trace.annotations.partition_point(|n| n.time < t);
                trace.messages.get(m).is_some_and(|m| m.sent_at == t)
                    || trace.annotations.get(a).is_some_and(|n| n.time == t)
            }
            _ => true,
        }
    }

    fn seek(&mut self, t: SimTime) -> bool {
        let changed = self.seek_deferred(t);
        self.rebuild_view();
        changed
    }

    /// Moves the cursor; the view is rebuilt later by [`Pane::rebuild_view`].
    fn seek_deferred(&mut self, t: SimTime) -> bool {
        let changed = self.run.seek(&mut self.cursor, t);
        self.stale |= changed;
        changed
    }

    fn rebuild_view(&mut self) -> bool {
        if !self.stale {
            return false;
        }
        self.stale = false;
        if let Some(v) = self.run.pane_view(&self.cursor) {
            self.view = Rc::new(v);
        }
        true
    }

    fn refresh(&mut self, t: SimTime) {
        self.cursor = self.run.cursor();
        self.seek(t);
        if let Some(v) = self.run.pane_view(&self.cursor) {
            self.view = Rc::new(v);
        }
    }
}

pub struct Session {
    pub scenario: Scenario,
    pub plan: Rc<Plan>,
    pub panes: Vec<Pane>,
    /// Displayed simulated time, microseconds (fractional while animating).
    pub time: f64,
    pub playing: bool,
    /// The fixed speed (simulated seconds per second), used when `adaptive` is off.
    pub speed: f64,
    /// Adaptive playback (the default): the displayed time follows the run's [`Pace`].
    pub adaptive: bool,
    /// The pace of the runs as computed, once they all are (None while they compute, or after
    /// a change until they are again: playback then moves at [`PROVISIONAL_SPEED`]).
    pace: Option<Rc<Pace>>,
    /// Where adaptive playback is, in play-time milliseconds (see [`Pace`]).
    play_ms: f64,
    /// Where the scenario came from (a preset and its overrides), for readable links.
    pub preset: Option<String>,
    pub overrides: Vec<(String, String)>,
    pub view: ViewOptions,
    /// The caption whose speed was last applied, so that it is applied once.
    speed_caption: Option<usize>,
    /// Playback pauses here (a tour step plays to its moment and waits).
    pub(crate) stop_at: Option<SimTime>,
}

fn preset_scenario(name: &str) -> Option<Scenario> {
    preset(name)
}

impl Session {
    pub fn new(scenario: Scenario) -> Result<Session, String> {
        Session::with_plan(scenario, None)
    }

    /// [`Session::new`] with `scenario` already compiled to `plan` (a link's, checked as it was
    /// read), or compiling it now.
    fn with_plan(scenario: Scenario, plan: Option<Plan>) -> Result<Session, String> {
        let plan = match plan {
            Some(plan) => Rc::new(plan),
            None => Rc::new(scenario.compile().map_err(|p| p.to_string())?),
        };
        let panes = scenario.kinds().into_iter().filter_map(|k| Pane::new(k, plan.clone())).collect();
        Ok(Session {
            scenario,
            plan,
            panes,
            time: 0.0,
            playing: false,
            speed: 0.1,
            adaptive: true,
            pace: None,
            play_ms: 0.0,
            preset: None,
            overrides: Vec::new(),
            view: ViewOptions::default(),
            speed_caption: None,
            stop_at: None,
        })
    }

    /// Opens a link (the URL fragment). Always gives a working session; the second value lists
    /// what in the link could not be used.
    pub fn from_link(fragment: &str) -> (Session, Vec<String>) {
        Session::read_link(fragment).start()
    }

    /// The first half of [`Session::from_link`]: reads the link and compiles its scenario. The
    /// page does the halves in tasks of their own (each is a few tens of milliseconds on a
    /// large scenario while the page's WebAssembly is in its baseline tier).
    pub fn read_link(fragment: &str) -> OpenedLink {
        let (mut state, mut problems, plan) = decode_with_plan(fragment, &default_scenario, &preset_scenario);
        // A tour link without a moment (`tour=quorums&step=3`) replays the tour to that step.
        let moment = fragment.trim_start_matches('#').split('&').any(|p| p.starts_with("t="));
        if let (Some((id, step)), false) = (state.view.tour.clone(), moment) {
            let mut s = Session::new(default_scenario()).expect("the default scenario is valid");
            s.view = state.view.clone();
            match s.start_tour(&id, step as usize) {
                Ok(()) => return OpenedLink(Opened::Started(Box::new(s)), problems),
                Err(e) => {
                    problems.push(format!("The tour could not be resumed ({e})."));
                    state.view.tour = None;
                }
            }
        }
        if state.preset.is_none() && state.scenario == default_scenario() {
            // The default scenario is a preset: say so, so that its link stays readable.
            state.preset = Some(replicascope_engine::page::DEFAULT_PRESET.to_string());
        }
        OpenedLink(Opened::Read(Box::new(state), plan), problems)
    }

    pub fn from_state(state: LinkState) -> Result<(Session, Vec<String>), String> {
        Session::from_state_planned(state, None)
    }

    /// [`Session::from_state`] with the state's scenario already compiled (or `None`).
    fn from_state_planned(state: LinkState, plan: Option<Plan>) -> Result<(Session, Vec<String>), String> {
        let mut problems = Vec::new();
        let mut s = Session::with_plan(state.scenario.clone(), plan)?;
        s.preset = state.preset.clone();
        s.overrides = state.overrides.clone();
        s.view = state.view.clone();
        match state.speed {
            Some(v) => s.choose_speed(v),
            None => s.adaptive = true,
        }
        for p in &mut s.panes {
            p.hidden = state.hidden.contains(&p.kind);
            let mine: Vec<Intervention> =
                state.interventions.iter().filter(|(k, _)| *k == p.kind).map(|(_, i)| i.clone()).collect();
            if !mine.is_empty() {
                if let Err(e) = p.run.set_interventions(&mine) {
                    problems.push(format!("Ignored the changes to the {} pane: {e}.", p.kind.title()));
                }
                // The cursor was made before the changes: start it again from the run.
                p.cursor = p.run.cursor();
            }
        }
        // Show the linked moment at once.
        let t = state.time.min(s.duration());
        s.compute_until(t);
        s.set_time(t as f64);
        if state.view.autoplay {
            s.playing = true;
        }
        Ok((s, problems))
    }

    /// Everything needed to reproduce this session.
    pub fn link_state(&self) -> LinkState {
        LinkState {
            scenario: self.scenario.clone(),
            preset: self.preset.clone(),
            overrides: self.overrides.clone(),
            interventions: self.interventions(),
            time: self.now(),
            speed: (!self.adaptive).then_some(self.speed),
            hidden: self.panes.iter().filter(|p| p.hidden).map(|p| p.kind).collect(),
            view: self.view.clone(),
        }
    }

    /// The link fragment (without `#`).
    pub fn link(&self) -> String {
        encode(&self.link_state(), &preset_scenario)
    }

    /// Opens a scenario of one's own (from the editor or a file): checked as scenario files
    /// are, its problems named by field; on success the run starts at 0 s with the same view
    /// options (a tour ends: its words are about its own preset).
    pub fn open_scenario(&mut self, scenario: Scenario) -> Result<(), String> {
        scenario.compile().map_err(|p| p.to_string())?;
        let mut state = LinkState::new(scenario);
        state.view = self.view.clone();
        state.view.tour = None;
        state.view.tabs.clear();
        self.load(state).map(|_| ())
    }

    /// Moves fault `index` of the scenario to `t` (dragged on the scrubber): the scenario becomes
    /// one's own (its link the compact form), the changes made and the moment shown are kept.
    pub fn move_fault(&mut self, index: usize, t: SimTime) -> Result<(), String> {
        let until = self.duration();
        self.change_faults(|faults| {
            let fault = faults.get_mut(index).ok_or("There is no such fault.")?;
            fault.at = replicascope_engine::page::Duration(t.min(until));
            Ok(())
        })
    }

    /// Removes a fault of the scenario (a preset's too): as [`Session::move_fault`], the scenario
    /// becomes one's own, the reader's changes and the moment shown stay.
    pub fn remove_fault(&mut self, index: usize) -> Result<(), String> {
        self.change_faults(|faults| {
            if index >= faults.len() {
                return Err("There is no such fault.".into());
            }
            faults.remove(index);
            Ok(())
        })
    }

    /// Changes the scenario's faults and replays: checked as a scenario file is.
    fn change_faults(
        &mut self,
        change: impl FnOnce(&mut Vec<replicascope_engine::page::FaultSpec>) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut state = self.link_state();
        change(&mut state.scenario.faults)?;
        state.scenario.compile().map_err(|p| format!("The faults cannot change so: {p}"))?;
        state.preset = None;
        state.overrides.clear();
        state.view.tour = None;
        self.load(state).map(|_| ())
    }

    /// Starts over with another scenario, keeping the view options.
    pub fn load(&mut self, state: LinkState) -> Result<Vec<String>, String> {
        let (s, problems) = Session::from_state(state)?;
        *self = s;
        Ok(problems)
    }

    /// Changes one setting of a pane (`lf.mode`, `ll.w`, …): the run starts again at the same
    /// moment, with the same interventions where they still apply.
    /// Errors speak the settings panel's words ("Write quorum W: 9 is out of range…"), never a
    /// field path.
    pub fn set_override(&mut self, key: &str, value: &str) -> Result<Vec<String>, String> {
        let mut scenario = self.scenario.clone();
        apply_override(&mut scenario, key, value)?;
        scenario.compile().map_err(|p| {
            let said: Vec<String> = p
                .items
                .iter()
                .map(|i| match self.field_name(&i.field) {
                    Some(name) => format!("{name}: {}", i.message),
                    None if i.field.is_empty() => i.message.clone(),
                    None => format!("{}: {}", i.field, i.message),
                })
                .collect();
            said.join("; ")
        })?;
        let mut state = self.link_state();
        state.scenario = scenario;
        state.overrides.retain(|(k, _)| k != key);
        state.overrides.push((key.to_string(), value.to_string()));
        let playing = self.playing;
        let problems = self.load(state)?;
        self.playing = playing;
        Ok(problems)
    }

    /// A setting as the page names it: "Leaderless: Write quorum W" for `ll.w`; the key itself
    /// if the panel has no such setting.
    pub fn setting_name(&self, key: &str) -> String {
        let named = key.split_once('.').and_then(|(code, field)| self.label_of(TopologyKind::from_code(code)?, field));
        named.unwrap_or_else(|| key.to_string())
    }

    /// The setting a scenario problem's field path (`topologies.leaderless.w`) is about.
    fn field_name(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix("topologies.")?;
        let (name, field) = rest.split_once('.')?;
        let kind = TopologyKind::ALL.iter().copied().find(|k| k.name() == name)?;
        self.label_of(kind, field.split(['.', '[']).next()?)
    }

    /// "Leaderless: W (write quorum)": a pane's setting as the settings panel labels it.
    fn label_of(&self, kind: TopologyKind, field: &str) -> Option<String> {
        let s = self.scenario.topologies.settings(kind).into_iter().find(|s| s.field == field)?;
        Some(format!("{}: {}", kind.title(), s.label))
    }

    /// Starts over with another seed.
    pub fn reseed(&mut self, seed: u64) -> Result<(), String> {
        let mut state = self.link_state();
        state.scenario.seed = seed;
        state.time = 0;
        self.load(state).map(|_| ())
    }

    pub fn duration(&self) -> SimTime {
        self.plan.duration
    }

    pub fn now(&self) -> SimTime {
        self.time as SimTime
    }

    /// The earliest time every pane has computed up to.
    pub fn computed_until(&self) -> SimTime {
        self.panes.iter().map(|p| p.run.computed_until()).min().unwrap_or(0)
    }

    /// Every pane computed to its end and checked (an intervention can leave a run finished
    /// but its report to be made: the next [`Session::compute`] makes it).
    pub fn all_finished(&self) -> bool {
        self.panes.iter().all(|p| p.finished() && p.report.is_some())
    }

    /// Runs the engines ahead by at most `steps` events each. Returns true if any pane finished
    /// just now (its report is then available).
    pub fn compute(&mut self, steps: u64) -> bool {
        let mut newly = false;
        let bounded = steps != u64::MAX;
        // A bounded call (a frame's share) settles one pane at most, and a pane's report is the
        // whole of the call after its settling ends: each settling holds a copy of its run, and
        // each report checks the whole history — three in one frame held the main thread for a
        // quarter of a second. An unbounded call (`u64::MAX`) computes everything now.
        if bounded {
            if let Some(p) = self.panes.iter_mut().find(|p| matches!(p.settling, Some(Settle::Reporting(_)))) {
                let Some(Settle::Reporting(reporting)) = &mut p.settling else { return false };
                let Some(report) = reporting.step(&p.run) else { return false };
                p.settling = None;
                p.report = Some(Rc::new(report));
                return true;
            }
        }
        let mut turn_taken = false;
        for p in &mut self.panes {
            if !p.run.finished() {
                p.run.advance(steps);
            }
            if !p.run.finished() || p.report.is_some() || (turn_taken && bounded) {
                continue;
            }
            turn_taken = true;
            // Its report waits for the run to settle (up to a minute of simulated time after the
            // end), which goes on a few thousand events a frame like the run itself.
            let settle = p.settling.get_or_insert_with(|| Settle::Going(p.run.settling()));
            if let Settle::Going(settling) = settle {
                let Some(convergence) = settling.advance(steps) else { continue };
                *settle = Settle::Reporting(Reporting::new(convergence));
                if bounded {
                    continue;
                }
            }
            // Reported by later bounded calls, a step each (above); an unbounded call reports
            // it now.
            if let Some(Settle::Reporting(reporting)) = p.settling.take() {
                p.report = reporting.finish(&p.run).map(Rc::new);
                newly = true;
            }
        }
        // The pace is made in a call of its own (a frame's share), not in the one that made the
        // last report: each takes a good part of a frame.
        if self.pace.is_none() && self.all_finished() && (!newly || steps == u64::MAX) {
            let pace = Pace::new(&self.pace_input());
            self.play_ms = pace.wall_at(self.time);
            self.pace = Some(Rc::new(pace));
        }
        newly
    }

    /// Whether a call to [`Session::compute`] has work to do: a run to compute, settle or check,
    /// or the pace to make.
    pub fn work_left(&self) -> bool {
        !self.all_finished() || self.pace.is_none()
    }

    /// Whether the next bounded [`Session::compute`] makes a step of a report (and nothing else).
    pub fn report_due(&self) -> bool {
        self.panes.iter().any(|p| matches!(p.settling, Some(Settle::Reporting(_))))
    }

    /// The adaptive pace, once every pane is computed.
    pub fn pace(&self) -> Option<&Pace> {
        self.pace.as_deref()
    }

    /// The runs or what is shown of them changed: the pace is made again once they are computed.
    fn pace_changed(&mut self) {
        self.pace = None;
    }

    /// Shows or hides a pane (a hidden pane's messages no longer set the pace).
    pub fn set_hidden(&mut self, pane: usize, hidden: bool) {
        if let Some(p) = self.panes.get_mut(pane) {
            if p.hidden != hidden {
                p.hidden = hidden;
                self.pace_changed();
            }
        }
    }

    /// Narration on or off (captions starting are moments the pace holds on).
    pub fn set_narration(&mut self, on: bool) {
        if self.view.narration != on {
            self.view.narration = on;
            self.pace_changed();
        }
    }

    /// Simulated seconds per second at the displayed time: the fixed speed, or adaptive
    /// playback's current rate (0 while it holds on a moment).
    pub fn rate(&self) -> f64 {
        match (self.adaptive, &self.pace) {
            (false, _) => self.speed,
            (true, Some(p)) => p.rate_at(self.play_ms) / 1000.0,
            (true, None) => PROVISIONAL_SPEED,
        }
    }

    /// Computes every pane at least up to `t` (used when a link opens at a given moment).
    pub fn compute_until(&mut self, t: SimTime) {
        while self.computed_until() < t && !self.all_finished() {
            self.compute(4096);
        }
    }

    /// Advances the displayed time by `wall_ms` of real time at the current speed, never past
    /// what has been computed. The cursors move at once (messages in flight are drawn from the
    /// time alone); the node and log views follow when [`Session::refresh_views`] is called,
    /// which the page does a few times a second while playing. Returns true if a pane's state
    /// changed.
    pub fn tick(&mut self, wall_ms: f64) -> bool {
        if !self.playing {
            return false;
        }
        let limit = self.computed_until() as f64;
        let next = match (self.adaptive, &self.pace) {
            (true, Some(pace)) => {
                self.play_ms += wall_ms;
                let t = pace.time_at(self.play_ms);
                if t > limit {
                    self.play_ms = pace.wall_at(limit);
                }
                t
            }
            (true, None) => self.time + wall_ms * 1000.0 * PROVISIONAL_SPEED,
            (false, _) => self.time + wall_ms * 1000.0 * self.speed,
        }
        .min(limit);
        let next = match self.stop_at {
            Some(stop) if next >= stop as f64 => {
                self.stop_at = None;
                self.playing = false;
                self.play_ms = self.pace.as_ref().map_or(self.play_ms, |p| p.wall_at(stop as f64));
                stop as f64
            }
            _ => next,
        };
        if next >= self.duration() as f64 {
            self.playing = false;
        }
        self.time = next;
        let mut changed = false;
        for p in &mut self.panes {
            changed |= p.seek_deferred(next as SimTime);
        }
        if !self.playing {
            self.refresh_views();
        }
        self.follow_narration_speed();
        changed
    }

    /// Rebuilds the view of pane `i` if its state moved since it was last drawn (the page
    /// refreshes every pane at its view ticks while playing).
    pub fn refresh_view(&mut self, i: usize) -> bool {
        self.panes.get_mut(i).is_some_and(|p| p.rebuild_view())
    }

    /// Rebuilds the views of panes whose state moved since they were last drawn. Returns true
    /// if any was rebuilt.
    pub fn refresh_views(&mut self) -> bool {
        let mut any = false;
        for p in &mut self.panes {
            any |= p.rebuild_view();
        }
        any
    }

    /// Moves the displayed time (scrubbing, stepping). Returns true if a pane's state changed.
    pub fn set_time(&mut self, t: f64) -> bool {
        let t = if t.is_finite() { t.clamp(0.0, self.duration() as f64) } else { 0.0 };
        if self.stop_at.is_some_and(|s| t > s as f64) {
            // Moved past where a tour step waits: it no longer stops playback.
            self.stop_at = None;
        }
        self.time = t;
        if let Some(pace) = &self.pace {
            self.play_ms = pace.wall_at(t);
        }
        let mut changed = false;
        for p in &mut self.panes {
            changed |= p.seek(t as SimTime);
        }
        changed
    }

    /// The next moment something drawn changes in a visible pane after the displayed time: a
    /// message leaves, arrives or is lost, a client acts, a fault or change strikes, or a node
    /// notes something. Metric samples and timers that send nothing and note nothing are
    /// stepped over (they change nothing on screen).
    pub fn next_event_time(&self) -> Option<SimTime> {
        let now = self.now();
        self.panes
            .iter()
            .filter(|p| !p.hidden)
            .filter_map(|p| {
                let steps = &p.run.trace().steps;
                let i = steps.partition_point(|s| s.time <= now);
                steps.range(i, steps.len()).find(|s| p.draws(s)).map(|s| s.time)
            })
            .min()
    }

    /// The last moment something drawn changed before the displayed time.
    pub fn previous_event_time(&self) -> Option<SimTime> {
        let now = self.now();
        self.panes
            .iter()
            .filter(|p| !p.hidden)
            .filter_map(|p| {
                let steps = &p.run.trace().steps;
                let i = steps.partition_point(|s| s.time < now);
                steps.range(0, i).rev().find(|s| p.draws(s)).map(|s| s.time)
            })
            .max()
    }

    /// Starts playing, from the beginning if the run is over.
    pub fn play(&mut self) {
        if self.now() >= self.duration() {
            self.set_time(0.0);
        }
        self.playing = true;
    }

    /// Plays if paused, pauses if playing (the play button, the space bar).
    pub fn toggle_play(&mut self) {
        if self.playing {
            self.playing = false;
        } else {
            self.play();
        }
    }

    /// Pauses and moves to the next (`forward`) or the previous moment anything happens in a
    /// visible pane; stays put when there is none.
    pub fn step(&mut self, forward: bool) {
        self.playing = false;
        let t = if forward { self.next_event_time() } else { self.previous_event_time() };
        if let Some(t) = t {
            self.set_time(t as f64);
        }
    }

    /// Shows simulated time `t` (microseconds), paused, computing the runs that far first.
    pub fn seek(&mut self, t: f64) {
        self.playing = false;
        self.compute_until(t.max(0.0) as u64);
        self.set_time(t);
    }

    /// Applies a host page's command; an error leaves everything as it was. `Load` replaces the
    /// whole session, which the page does (`Session::from_link`), so it is refused here.
    pub fn apply_host(&mut self, cmd: &HostCommand) -> Result<(), String> {
        match cmd {
            HostCommand::Play => self.play(),
            HostCommand::Pause => self.playing = false,
            HostCommand::Seek { t } => {
                if !t.is_finite() || *t < 0.0 {
                    return Err(format!("seek needs a number of seconds ≥ 0, not {t}"));
                }
                self.seek((t * 1e6).min(self.duration() as f64));
            }
            HostCommand::Speed { speed } => {
                if !speed.is_finite() || *speed <= 0.0 {
                    return Err(format!(
                        "speed needs a positive number of simulated seconds per second ({MIN_SPEED} to {MAX_SPEED}), not {speed}"
                    ));
                }
                self.choose_speed(*speed);
            }
            HostCommand::Load { .. } => return Err("load replaces the session: the page handles it".into()),
        }
        Ok(())
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = if speed.is_finite() { speed.clamp(MIN_SPEED, MAX_SPEED) } else { 0.1 };
    }

    /// A person (or a host page) chose a fixed speed: adaptive playback ends.
    pub fn choose_speed(&mut self, speed: f64) {
        self.adaptive = false;
        self.set_speed(speed);
    }

    /// Faster (`factor` > 1) or slower than what plays now: from adaptive playback, the fixed
    /// speed starts from its current rate.
    pub fn scale_speed(&mut self, factor: f64) {
        let now = if self.adaptive { self.rate() } else { self.speed };
        let now = if now > 0.0 { now } else { PROVISIONAL_SPEED };
        self.choose_speed(now * factor);
    }

    /// Adaptive playback on (from where the time is) or off (at the fixed speed).
    pub fn set_adaptive(&mut self, on: bool) {
        self.adaptive = on;
        if let Some(pace) = &self.pace {
            self.play_ms = pace.wall_at(self.time);
        }
    }

    /// Records a user's action in one pane at the displayed time and recomputes from there.
    pub fn intervene(&mut self, pane: usize, action: &str) -> Result<(), String> {
        let t = self.now();
        self.change_pane(pane, |run| run.intervene(t, action))
    }

    /// Removes one of a pane's interventions (and recomputes the pane).
    pub fn remove_intervention(&mut self, pane: usize, index: usize) -> Result<(), String> {
        self.change_pane(pane, |run| {
            let mut list = run.interventions().to_vec();
            if index >= list.len() {
                return Err("no such change".into());
            }
            list.remove(index);
            run.set_interventions(&list)
        })
    }

    /// Changes one pane's run, then recomputes it up to the displayed moment at once, so that
    /// the change shows immediately.
    fn change_pane(
        &mut self,
        pane: usize,
        change: impl FnOnce(&mut AnyRun) -> Result<(), String>,
    ) -> Result<(), String> {
        let t = self.now();
        let p = self.panes.get_mut(pane).ok_or("no such pane")?;
        change(&mut p.run)?;
        p.report = None;
        p.settling = None;
        self.pace = None;
        while p.run.computed_until() < t && !p.run.finished() {
            p.run.advance(4096);
        }
        p.refresh(t);
        Ok(())
    }

    /// Every intervention, by pane, for links.
    pub fn interventions(&self) -> Vec<(TopologyKind, Intervention)> {
        self.panes.iter().flat_map(|p| p.run.interventions().iter().map(move |i| (p.kind, i.clone()))).collect()
    }

    pub fn pane_index(&self, kind: TopologyKind) -> Option<usize> {
        self.panes.iter().position(|p| p.kind == kind)
    }

    /// Captions showing at the displayed time (a caption lasts until `until`, or until the next
    /// caption for the same pane begins), among those whose `when` holds for the settings.
    pub fn captions(&self) -> Vec<(usize, &Caption)> {
        let now = self.now();
        let caps = &self.scenario.narration;
        // A caption about a hidden pane (or one an embed left out) is not shown.
        let hidden = |c: &Caption| c.kind().is_some_and(|k| self.panes.iter().any(|q| q.kind == k && q.hidden));
        let applies = |c: &Caption| self.scenario.caption_applies(c) && !hidden(c);
        caps.iter()
            .enumerate()
            .filter(|(_, c)| applies(c))
            .filter(|(i, c)| {
                let end = c.until.map(|u| u.0).unwrap_or_else(|| {
                    caps.iter()
                        .skip(i + 1)
                        .find(|n| n.pane == c.pane && applies(n))
                        .map(|n| n.at.0)
                        .unwrap_or(self.duration() + 1)
                });
                c.at.0 <= now && now < end
            })
            .collect()
    }

    /// What the adaptive pace is built from: every visible pane's message flights, and the
    /// moments to hold on (faults, interventions, failovers, lost tails, conflicts, semi-sync
    /// falling back, anomalies, captions starting).
    pub fn pace_input(&self) -> crate::pace::PaceInput {
        let mut flights = Vec::new();
        let mut moments: Vec<SimTime> = self.plan.faults.iter().map(|(t, _)| *t).filter(|t| *t > 0).collect();
        for p in self.panes.iter().filter(|p| !p.hidden) {
            let trace = p.run.trace();
            flights.extend(trace.messages.iter().map(|m| (m.sent_at, m.deliver_at)));
            moments.extend(p.run.interventions().iter().map(|i| i.at));
            moments.extend(trace.annotations.iter().filter(|n| moment_class(&n.annotation).is_some()).map(|n| n.time));
            if let Some(r) = &p.report {
                moments.extend(r.anomalies.iter().map(|a| a.time));
            }
        }
        if self.view.narration {
            moments.extend(self.scenario.narration.iter().filter(|c| self.scenario.caption_applies(c)).map(|c| c.at.0));
        }
        crate::pace::PaceInput { duration: self.duration(), flights, moments }
    }

    /// What went wrong in *this* run, said as it happens: for each visible pane, the first
    /// anomaly of each kind, for [`NOTE_FOR`] of simulated time after the moment it became
    /// visible. Whatever the seed or the changes made, no anomaly goes unmentioned by the
    /// narration (later ones of a kind are on the scrubber and in the Anomalies tab).
    pub fn anomaly_notes(&self) -> Vec<(usize, &replicascope_engine::page::Anomaly)> {
        let now = self.now();
        let mut out = Vec::new();
        for (i, p) in self.panes.iter().enumerate().filter(|(_, p)| !p.hidden) {
            let Some(r) = &p.report else { continue };
            let mut firsts: Vec<&replicascope_engine::page::Anomaly> = Vec::new();
            for a in &r.anomalies {
                match firsts.iter_mut().find(|f| f.kind == a.kind) {
                    Some(f) if a.time < f.time => *f = a,
                    Some(_) => {}
                    None => firsts.push(a),
                }
            }
            out.extend(firsts.into_iter().filter(|a| a.time <= now && now - a.time < NOTE_FOR).map(|a| (i, a)));
        }
        out
    }

    /// When playing into a caption that sets a speed, switch to it (once per caption).
    fn follow_narration_speed(&mut self) {
        if !self.view.narration || self.adaptive {
            return;
        }
        let hit = self.captions().into_iter().rev().find_map(|(i, c)| c.speed.map(|s| (i, s)));
        if let Some((i, speed)) = hit {
            if self.speed_caption != Some(i) {
                self.speed_caption = Some(i);
                self.set_speed(speed);
            }
        }
    }
}

#[cfg(test)]
mod tests;

/// A link read and its scenario compiled, its runs not started yet ([`Session::read_link`]).
pub struct OpenedLink(Opened, Vec<String>);

enum Opened {
    Read(Box<LinkState>, Option<Plan>),
    /// A tour's link: replayed to its step while reading.
    Started(Box<Session>),
}

impl OpenedLink {
    /// Starts the runs: the second half of [`Session::from_link`].
    pub fn start(self) -> (Session, Vec<String>) {
        let OpenedLink(opened, mut problems) = self;
        match opened {
            Opened::Started(s) => (*s, problems),
            Opened::Read(state, plan) => match Session::from_state_planned(*state, plan) {
                Ok((s, mut more)) => {
                    problems.append(&mut more);
                    (s, problems)
                }
                Err(e) => {
                    problems.push(format!("The scenario could not be started ({e}); the default is shown instead."));
                    let s = Session::new(default_scenario()).expect("the default scenario is valid");
                    (s, problems)
                }
            },
        }
    }
}
