//! The state behind the page, without the page: the runs of each pane, the shared clock, play
//! and pause, seeking, interventions. Plain Rust over the engine, tested natively; the Yew
//! components only draw it and forward clicks.

use replicascope_engine::faults::Intervention;
use replicascope_engine::metrics::{report, Report};
use replicascope_engine::run::{AnyCursor, AnyRun, PaneView};
use replicascope_engine::scenario::{Plan, Scenario, TopologyKind};
use replicascope_engine::time::SimTime;
use replicascope_engine::trace::MsgRecord;
use std::rc::Rc;

/// Simulated seconds per wall-clock second, on a log scale.
pub const MIN_SPEED: f64 = 0.01;
pub const MAX_SPEED: f64 = 100.0;

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
}

impl Pane {
    fn new(kind: TopologyKind, plan: Rc<Plan>) -> Option<Pane> {
        let run = AnyRun::new(kind, plan)?;
        let cursor = run.cursor();
        let view = Rc::new(run.pane_view(&cursor)?);
        Some(Pane { kind, run, cursor, view, hidden: false, report: None })
    }

    pub fn finished(&self) -> bool {
        self.run.finished()
    }

    /// Messages on the wire at `t`.
    pub fn in_flight(&self, t: SimTime) -> Vec<&MsgRecord> {
        self.run.trace().in_flight_at(t)
    }

    fn seek(&mut self, t: SimTime) -> bool {
        let changed = self.run.seek(&mut self.cursor, t);
        if changed {
            if let Some(v) = self.run.pane_view(&self.cursor) {
                self.view = Rc::new(v);
            }
        }
        changed
    }
}

pub struct Session {
    pub scenario: Scenario,
    pub plan: Rc<Plan>,
    pub panes: Vec<Pane>,
    /// Displayed simulated time, microseconds (fractional while animating).
    pub time: f64,
    pub playing: bool,
    pub speed: f64,
}

impl Session {
    pub fn new(scenario: Scenario) -> Result<Session, String> {
        let plan = Rc::new(scenario.compile().map_err(|p| p.to_string())?);
        let panes = scenario.kinds().into_iter().filter_map(|k| Pane::new(k, plan.clone())).collect();
        Ok(Session { scenario, plan, panes, time: 0.0, playing: false, speed: 0.1 })
    }

    pub fn duration(&self) -> SimTime {
        self.plan.duration
    }

    pub fn now(&self) -> SimTime {
        self.time as SimTime
    }

    /// The earliest time every visible pane has computed up to.
    pub fn computed_until(&self) -> SimTime {
        self.panes.iter().map(|p| p.run.computed_until()).min().unwrap_or(0)
    }

    pub fn all_finished(&self) -> bool {
        self.panes.iter().all(|p| p.finished())
    }

    /// Runs the engines ahead by at most `steps` events each. Returns true if any pane finished
    /// just now (its report is then available).
    pub fn compute(&mut self, steps: u64) -> bool {
        let mut newly = false;
        for p in &mut self.panes {
            if !p.run.finished() {
                p.run.advance(steps);
                if p.run.finished() {
                    p.report = Some(Rc::new(report(&p.run)));
                    newly = true;
                }
            }
        }
        newly
    }

    /// Advances the displayed time by `wall_ms` of real time at the current speed, never past
    /// what has been computed. Returns true if a pane's state changed.
    pub fn tick(&mut self, wall_ms: f64) -> bool {
        if !self.playing {
            return false;
        }
        let limit = self.computed_until() as f64;
        let next = (self.time + wall_ms * 1000.0 * self.speed).min(limit);
        if next >= self.duration() as f64 {
            self.playing = false;
        }
        self.set_time(next)
    }

    /// Moves the displayed time (scrubbing, stepping). Returns true if a pane's state changed.
    pub fn set_time(&mut self, t: f64) -> bool {
        let t = t.clamp(0.0, self.duration() as f64);
        self.time = t;
        let mut changed = false;
        for p in &mut self.panes {
            changed |= p.seek(t as SimTime);
        }
        changed
    }

    /// The next moment anything happens in any pane after the displayed time.
    pub fn next_event_time(&self) -> Option<SimTime> {
        let now = self.now();
        self.panes
            .iter()
            .filter(|p| !p.hidden)
            .filter_map(|p| {
                let steps = &p.run.trace().steps;
                let i = steps.partition_point(|s| s.time <= now);
                steps.get(i).map(|s| s.time)
            })
            .min()
    }

    /// The last moment anything happened before the displayed time.
    pub fn previous_event_time(&self) -> Option<SimTime> {
        let now = self.now();
        self.panes
            .iter()
            .filter(|p| !p.hidden)
            .filter_map(|p| {
                let steps = &p.run.trace().steps;
                let i = steps.partition_point(|s| s.time < now);
                i.checked_sub(1).map(|i| steps[i].time)
            })
            .max()
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = if speed.is_finite() { speed.clamp(MIN_SPEED, MAX_SPEED) } else { 0.1 };
    }

    /// Records a user's action in one pane at the displayed time and recomputes from there.
    pub fn intervene(&mut self, pane: usize, action: &str) -> Result<(), String> {
        let t = self.now();
        let p = self.panes.get_mut(pane).ok_or("no such pane")?;
        p.run.intervene(t, action)?;
        p.report = None;
        // Recompute up to the displayed moment at once, so the change shows immediately.
        while p.run.computed_until() < t && !p.run.finished() {
            p.run.advance(4096);
        }
        p.cursor = p.run.cursor();
        p.seek(t);
        if let Some(v) = p.run.pane_view(&p.cursor) {
            p.view = Rc::new(v);
        }
        Ok(())
    }

    /// Every intervention, by pane, for links.
    pub fn interventions(&self) -> Vec<(TopologyKind, Intervention)> {
        self.panes.iter().flat_map(|p| p.run.interventions().iter().map(move |i| (p.kind, i.clone()))).collect()
    }

    pub fn pane_index(&self, kind: TopologyKind) -> Option<usize> {
        self.panes.iter().position(|p| p.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replicascope_engine::scenario::{GeneratorSpec, Scenario};
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
    fn plays_within_what_is_computed() {
        let mut s = Session::new(scenario()).unwrap();
        s.playing = true;
        s.set_speed(1.0);
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
        assert_eq!(v.nodes[1].liveness, replicascope_engine::view::Liveness::Down);
        assert_eq!(s.interventions().len(), 1);
        assert!(s.intervene(0, "crash n9").is_err());
        assert!(s.intervene(0, "<script>").is_err());
    }

    #[test]
    fn stepping_finds_events() {
        let mut s = Session::new(scenario()).unwrap();
        s.compute(u64::MAX);
        let n = s.next_event_time().unwrap();
        s.set_time(n as f64);
        assert!(s.previous_event_time().unwrap() < n || n == 0);
    }
}
