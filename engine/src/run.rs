//! A whole run of one topology: the simulation running ahead, its trace, checkpoints for
//! scrubbing, and forking when a user intervenes.
//!
//! Time travel works like RaftScope's: every [`CHECKPOINT_EVERY`] steps the simulation is
//! cloned (cheap: logs share their chunks); past [`MAX_CHECKPOINTS`], every other checkpoint is
//! dropped and the spacing doubles. Showing time `t` restores the last checkpoint at or
//! before `t` and replays forward into a scratch trace. An intervention at `t` is recorded as
//! input, the trace is truncated back to the last checkpoint before `t`, and the run continues
//! from there with the intervention in its inputs — which gives exactly the run that starting
//! over with that intervention would give (a test checks this).

use crate::faults::{parse_action, Action, Intervention};
use crate::model::{ClientId, Endpoint, NodeId};
use crate::protocol::Protocol;
use crate::scenario::Plan;
use crate::sim::Sim;
use crate::time::SimTime;
use crate::topology::any::AnyProtocol;
use crate::trace::{Mark, MsgRecord, Trace};
use crate::view::{Liveness, NodeView, Observation};
use crate::vocab::TopologyKind;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Steps between checkpoints at first.
pub const CHECKPOINT_EVERY: u64 = 1024;

/// Checkpoints a run keeps before thinning them. A checkpoint is a whole simulation (100–150 KB
/// for the benchmark's five-node panes, and the page keeps three runs): past this many, every
/// other one is dropped and the spacing doubles, so that a long run's checkpoints take bounded
/// memory and a seek replays at most the spacing.
pub const MAX_CHECKPOINTS: usize = 40;

/// The spacing does not grow beyond this many steps (a seek replays at most this many; past it,
/// checkpoints grow in number again, with the run's length).
pub const MAX_CHECKPOINT_SPACING: u64 = 16 * 1024;

#[derive(Clone, Debug)]
struct Checkpoint<P: Protocol> {
    sim: Sim<P>,
    mark: Mark,
}

#[derive(Clone, Debug)]
pub struct Run<P: Protocol> {
    head: Sim<P>,
    pub trace: Trace,
    checkpoints: Vec<Checkpoint<P>>,
    /// Steps between checkpoints now (see [`MAX_CHECKPOINTS`]).
    spacing: u64,
    interventions: Vec<Intervention>,
    parsed: Vec<(SimTime, Action)>,
}

impl<P: Protocol> Run<P> {
    pub fn new(proto: P, plan: Rc<Plan>, node_region: Vec<usize>) -> Self {
        let mut trace = Trace::new();
        let head = Sim::new(proto, plan, node_region, Rc::new(Vec::new()), &mut trace);
        let checkpoints = vec![Checkpoint { sim: head.clone(), mark: trace.mark() }];
        Run { head, trace, checkpoints, spacing: CHECKPOINT_EVERY, interventions: Vec::new(), parsed: Vec::new() }
    }

    pub fn plan(&self) -> &Plan {
        self.head.plan()
    }

    pub fn interventions(&self) -> &[Intervention] {
        &self.interventions
    }

    /// Runs at most `max_steps` more events. Returns true when the run is complete.
    pub fn advance(&mut self, max_steps: u64) -> bool {
        for _ in 0..max_steps {
            if !self.head.step(&mut self.trace) {
                return true;
            }
            if self.head.steps().is_multiple_of(self.spacing) {
                self.checkpoints.push(Checkpoint { sim: self.head.clone(), mark: self.trace.mark() });
                if self.checkpoints.len() > MAX_CHECKPOINTS && self.spacing < MAX_CHECKPOINT_SPACING {
                    // Every checkpoint is at a multiple of the spacing: keep those at multiples
                    // of twice it (the first, at step 0, among them).
                    self.spacing *= 2;
                    let spacing = self.spacing;
                    self.checkpoints.retain(|c| c.sim.steps().is_multiple_of(spacing));
                }
            }
        }
        self.head.finished()
    }

    pub fn run_to_end(&mut self) {
        while !self.advance(u64::MAX) {}
    }

    pub fn finished(&self) -> bool {
        self.head.finished()
    }

    /// Simulated time up to which the trace is complete.
    pub fn computed_until(&self) -> SimTime {
        if self.head.finished() {
            self.head.plan().duration
        } else {
            self.head.now()
        }
    }

    pub fn head(&self) -> &Sim<P> {
        &self.head
    }

    /// The state at time `t` (after every event at or before `t`), by restoring the nearest
    /// checkpoint and replaying.
    pub fn state_at(&self, t: SimTime) -> Sim<P> {
        let i = self.checkpoints.partition_point(|c| c.sim.now() <= t).saturating_sub(1);
        let mut sim = self.checkpoints[i].sim.clone();
        let mut scratch = Trace::scratch();
        sim.run_until(t.min(self.computed_until()), &mut scratch);
        sim
    }

    /// Moves a display cursor to `t`, stepping forward when that is cheaper than restoring.
    /// Returns true if the cursor's state changed.
    pub fn seek(&self, cursor: &mut Sim<P>, t: SimTime) -> bool {
        let t = t.min(self.computed_until());
        let before = cursor.steps();
        let i = self.checkpoints.partition_point(|c| c.sim.now() <= t).saturating_sub(1);
        let ck = &self.checkpoints[i];
        let forward_ok = cursor.now() <= t && cursor.steps() >= ck.sim.steps();
        if !forward_ok {
            *cursor = ck.sim.clone();
        }
        let mut scratch = Trace::scratch();
        cursor.run_until(t, &mut scratch);
        cursor.steps() != before || !forward_ok
    }

    /// Records a user's action at `at` and recomputes the run from there.
    pub fn intervene(&mut self, at: SimTime, action: &str) -> Result<(), String> {
        let mut names = self.head.plan().names.clone();
        let parsed = parse_action(action, &mut names)?;
        if names != self.head.plan().names {
            return Err("that operation names a key this scenario does not have".into());
        }
        check_action(&parsed, self.head.cluster.nodes, self.head.plan().sessions)?;
        let at = at.min(self.head.plan().duration);
        // Insert after every intervention at or before `at`, keeping the list sorted.
        let index = self.interventions.partition_point(|i| i.at <= at);
        self.interventions.insert(index, Intervention { at, action: action.to_string() });
        self.parsed.insert(index, (at, parsed));
        // Rewind to the last checkpoint strictly before `at`.
        let keep = self.checkpoints.partition_point(|c| c.sim.now() < at).max(1);
        self.checkpoints.truncate(keep);
        let ck = self.checkpoints.last().expect("the initial checkpoint is never removed").clone();
        self.trace.truncate(&ck.mark);
        self.head = ck.sim;
        let shared = Rc::new(self.parsed.clone());
        self.head.set_interventions(shared.clone());
        for c in &mut self.checkpoints {
            c.sim.set_interventions(shared.clone());
        }
        Ok(())
    }

    /// Replaces all interventions (loading a link): starts over.
    pub fn set_interventions(&mut self, list: &[Intervention]) -> Result<(), String> {
        // By time, then in the order given (interventions at one instant keep their order).
        let mut sorted: Vec<(usize, Intervention)> = list.iter().cloned().enumerate().collect();
        crate::sort::sort_by_key(&mut sorted, |(i, x)| (x.at, *i));
        let sorted: Vec<Intervention> = sorted.into_iter().map(|(_, x)| x).collect();
        let mut parsed = Vec::new();
        for i in &sorted {
            let mut names = self.head.plan().names.clone();
            let a = parse_action(&i.action, &mut names)?;
            if names != self.head.plan().names {
                return Err(format!(
                    "\"{}\" names a key this scenario does not have",
                    crate::vocab::truncate(&i.action)
                ));
            }
            check_action(&a, self.head.cluster.nodes, self.head.plan().sessions)?;
            parsed.push((i.at.min(self.head.plan().duration), a));
        }
        let first = self.checkpoints[0].clone();
        self.checkpoints.truncate(1);
        self.spacing = CHECKPOINT_EVERY;
        self.trace.truncate(&first.mark);
        self.head = first.sim;
        self.interventions = sorted;
        self.parsed = parsed;
        let shared = Rc::new(self.parsed.clone());
        self.head.set_interventions(shared.clone());
        self.checkpoints[0].sim.set_interventions(shared);
        Ok(())
    }

    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.len()
    }

    /// What the diagram draws at the cursor's time.
    pub fn pane_view(&self, cursor: &Sim<P>) -> PaneView {
        let now = cursor.now();
        let names = &cursor.plan().names;
        let obs = cursor.observe();
        let nodes = cursor
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let id = NodeId(i as u8);
                let view = cursor.proto.node_view(&slot.state, id, names);
                NodeInfo {
                    liveness: if !slot.up {
                        Liveness::Down
                    } else if slot.paused_until.is_some_and(|u| u > now) {
                        Liveness::Paused
                    } else {
                        Liveness::Up
                    },
                    region: cursor.cluster.region_names[cursor.cluster.node_region[i]].clone(),
                    clock_offset_us: slot.clock.error_at(now),
                    disk_factor: slot.disk_factor,
                    view,
                }
            })
            .collect();
        let clients = (0..cursor.cluster.clients)
            .map(|i| {
                let c = ClientId(i as u8);
                ClientInfo {
                    id: c,
                    region: cursor.cluster.region_names[cursor.cluster.client_region[i]].clone(),
                    busy_with: cursor.session_current(c),
                }
            })
            .collect();
        PaneView {
            time: now,
            nodes,
            clients,
            blocked: cursor.blocked_pairs(),
            slow: cursor.network().slow_pairs(),
            observation: obs,
        }
    }

    pub fn in_flight_at(&self, t: SimTime) -> Vec<&MsgRecord> {
        self.trace.in_flight_at(t)
    }

    /// Whether replicas that disagree at the end of the run are catching up or have diverged: a
    /// copy of the finished run goes on with no new input, checked every [`SETTLE_STEP`], until
    /// the replicas that are up agree or [`SETTLE_LIMIT`] has passed. What is still pending then
    /// (queued changes and hints, links still cut) is listed.
    pub fn settle(&self) -> Convergence {
        let mut settling = self.settling();
        loop {
            if let Some(done) = settling.advance(u64::MAX) {
                return done;
            }
        }
    }

    /// [`Run::settle`], to be done a bounded number of events at a time ([`Settling::advance`]).
    pub fn settling(&self) -> Settling<P> {
        let end = self.computed_until();
        let divergent_at_end = divergent(&self.head.observe());
        if divergent_at_end.is_empty() || !self.finished() {
            return Settling::Done(Convergence { divergent_at_end, ..Convergence::default() });
        }
        Settling::Going {
            sim: Box::new(self.head.clone()),
            scratch: Trace::scratch(),
            end,
            t: end,
            reached: true,
            divergent_at_end,
        }
    }
}

/// Settling a finished run ([`Run::settle`]) in steps: up to a minute of simulated time, which
/// for a busy cluster is most of what its report costs. The page advances it a few thousand
/// events a frame, so that no frame holds the main thread for all of it; done at once, it is
/// the same walk (replicas compared every [`SETTLE_STEP`], the same events in the same order).
#[derive(Clone, Debug)]
pub enum Settling<P: Protocol> {
    Going {
        sim: Box<Sim<P>>,
        scratch: Trace,
        /// When the run ended, and the moment being run to.
        end: SimTime,
        t: SimTime,
        /// Whether `t` was reached (and the replicas compared there).
        reached: bool,
        divergent_at_end: Vec<NodeId>,
    },
    Done(Convergence),
}

impl<P: Protocol> Settling<P> {
    /// Runs at most `max_steps` more events; the verdict once there is one.
    pub fn advance(&mut self, max_steps: u64) -> Option<Convergence> {
        let mut budget = max_steps;
        loop {
            let Settling::Going { sim, scratch, end, t, reached, divergent_at_end } = self else { break };
            if *reached {
                if *t >= *end + SETTLE_LIMIT {
                    let done = convergence(sim, std::mem::take(divergent_at_end), None);
                    *self = Settling::Done(done);
                    break;
                }
                *t += SETTLE_STEP;
                *reached = false;
            }
            if !sim.settle_toward(*t, scratch, &mut budget) {
                return None;
            }
            *reached = true;
            if divergent(&sim.observe()).is_empty() {
                let done = convergence(sim, std::mem::take(divergent_at_end), Some(*t - *end));
                *self = Settling::Done(done);
                break;
            }
        }
        match self {
            Settling::Done(done) => Some(done.clone()),
            Settling::Going { .. } => None,
        }
    }
}

/// A [`Settling`] of whichever topology.
#[derive(Debug)]
pub struct AnySettling(Settling<AnyProtocol>);

impl AnySettling {
    /// See [`Settling::advance`].
    pub fn advance(&mut self, max_steps: u64) -> Option<Convergence> {
        self.0.advance(max_steps)
    }
}

/// The verdict of a settled copy: when the replicas agreed, or what is still pending.
fn convergence<P: Protocol>(
    sim: &Sim<P>,
    divergent_at_end: Vec<NodeId>,
    settled_after_us: Option<SimTime>,
) -> Convergence {
    let mut pending = Vec::new();
    if settled_after_us.is_none() {
        let obs = sim.observe();
        for (i, b) in obs.backlog.iter().enumerate() {
            if *b > 0 {
                pending.push(format!("{} still has {b} change(s) queued for other replicas", NodeId(i as u8)));
            }
        }
        let up: Vec<bool> = sim.nodes().iter().map(|n| n.up).collect();
        let cut: Vec<String> = sim
            .blocked_pairs()
            .into_iter()
            .filter_map(|(a, b)| match (a, b) {
                (Endpoint::Node(x), Endpoint::Node(y)) if x < y && up[x.0 as usize] && up[y.0 as usize] => {
                    Some(format!("{x}–{y}"))
                }
                _ => None,
            })
            .collect();
        if !cut.is_empty() {
            pending.push(format!("the network is still partitioned ({})", cut.join(", ")));
        }
    }
    Convergence { divergent_at_end, settled_after_us, pending }
}

/// How long a finished run is let go on to see whether its replicas converge.
pub const SETTLE_LIMIT: SimTime = 60_000_000;
/// How often, while settling, the replicas are compared.
pub const SETTLE_STEP: SimTime = 250_000;

fn divergent(obs: &Observation) -> Vec<NodeId> {
    obs.divergent.iter().enumerate().filter(|(_, d)| **d).map(|(i, _)| NodeId(i as u8)).collect()
}

/// Whether the replicas agreed at the end of a run, and if not, whether they would.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// Up replicas that disagreed with the others when the run ended.
    pub divergent_at_end: Vec<NodeId>,
    /// How long after the end they agreed, with no new input (None: not within the limit).
    pub settled_after_us: Option<SimTime>,
    /// What could still change things when the limit passed: queued changes, cut links.
    pub pending: Vec<String>,
}

fn check_action(a: &Action, nodes: usize, sessions: usize) -> Result<(), String> {
    match a {
        Action::Fault(f) => f.check_endpoints(&[(TopologyKind::LeaderFollower, nodes)], sessions).map_err(|e| {
            // The topology name is irrelevant inside one pane.
            e.replace(" in leader_follower", "")
        }),
        Action::ClientOp { session, .. } => {
            if (session.0 as usize) < sessions {
                Ok(())
            } else {
                Err(format!("{session} does not exist (sessions are c1..c{sessions})"))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub liveness: Liveness,
    pub region: String,
    /// How far the node's clock is from true time, microseconds.
    pub clock_offset_us: i64,
    pub disk_factor: u32,
    pub view: NodeView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientInfo {
    pub id: ClientId,
    pub region: String,
    pub busy_with: Option<crate::model::OpId>,
}

/// Everything one pane draws at one instant (messages come separately, per frame).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaneView {
    pub time: SimTime,
    pub nodes: Vec<NodeInfo>,
    pub clients: Vec<ClientInfo>,
    pub blocked: Vec<(Endpoint, Endpoint)>,
    pub slow: Vec<(Endpoint, Endpoint, u64)>,
    pub observation: Observation,
}

/// A run of whichever topology, behind one type: a `Run` of [`AnyProtocol`], so that the
/// simulation is compiled once for all topologies (see `topology::any`).
#[derive(Clone, Debug)]
pub struct AnyRun {
    kind: TopologyKind,
    run: Run<AnyProtocol>,
}

/// A display cursor of whichever topology.
#[derive(Clone, Debug)]
pub struct AnyCursor {
    kind: TopologyKind,
    sim: Sim<AnyProtocol>,
}

impl AnyRun {
    /// Builds the run of one topology of a compiled scenario (None if the scenario does not
    /// configure it).
    pub fn new(kind: TopologyKind, plan: Rc<Plan>) -> Option<AnyRun> {
        let (proto, place) = AnyProtocol::build(kind, &plan)?;
        Some(AnyRun { kind, run: Run::new(proto, plan, place) })
    }

    pub fn kind(&self) -> TopologyKind {
        self.kind
    }

    /// A fresh cursor at time zero.
    pub fn cursor(&self) -> AnyCursor {
        AnyCursor { kind: self.kind, sim: self.run.state_at(0) }
    }

    /// Moves `cursor` to `t`; returns true if what it shows changed. A cursor of another
    /// topology's run starts over from this run's beginning.
    pub fn seek(&self, cursor: &mut AnyCursor, t: SimTime) -> bool {
        if cursor.kind != self.kind {
            *cursor = self.cursor();
        }
        self.run.seek(&mut cursor.sim, t)
    }

    /// What the diagram draws at the cursor's time (None for a cursor of another topology).
    pub fn pane_view(&self, cursor: &AnyCursor) -> Option<PaneView> {
        (cursor.kind == self.kind).then(|| self.run.pane_view(&cursor.sim))
    }
}

impl AnyCursor {
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }
}

impl AnyRun {
    /// The trace as JSON lines (steps, messages, annotations, history events), each tagged with
    /// the topology: what `replicascope run --trace` writes and the page exports. Each line is
    /// `{"topology":…,"type":…[,"time_us":…],"<type>":…}`, written by hand around the
    /// serialised record (the page ships less code that way).
    pub fn trace_jsonl(&self) -> String {
        fn push<T: Serialize>(out: &mut String, head: &str, time: Option<SimTime>, field: &str, body: &T) {
            let Ok(body) = serde_json::to_string(body) else { return };
            out.push_str(head);
            if let Some(t) = time {
                out.push_str(",\"time_us\":");
                out.push_str(&t.to_string());
            }
            out.push_str(",\"");
            out.push_str(field);
            out.push_str("\":");
            out.push_str(&body);
            out.push_str("}\n");
        }
        let topology = self.kind().name();
        let head = |kind: &str| format!("{{\"topology\":\"{topology}\",\"type\":\"{kind}\"");
        let (steps, messages, notes, events) = (head("step"), head("message"), head("annotation"), head("history"));
        let t = self.trace();
        let mut out = String::new();
        for s in &t.steps {
            push(&mut out, &steps, Some(s.time), "step", &s.kind);
        }
        for m in &t.messages {
            push(&mut out, &messages, None, "message", m);
        }
        for a in &t.annotations {
            push(&mut out, &notes, Some(a.time), "annotation", &a.annotation);
        }
        for h in &t.hist {
            push(&mut out, &events, None, "history", h);
        }
        out
    }

    pub fn advance(&mut self, max_steps: u64) -> bool {
        self.run.advance(max_steps)
    }
    pub fn run_to_end(&mut self) {
        self.run.run_to_end()
    }
    pub fn finished(&self) -> bool {
        self.run.finished()
    }
    pub fn computed_until(&self) -> SimTime {
        self.run.computed_until()
    }
    pub fn trace(&self) -> &Trace {
        &self.run.trace
    }
    pub fn plan(&self) -> &Plan {
        self.run.plan()
    }
    pub fn digest(&self) -> u64 {
        self.trace().digest()
    }
    pub fn intervene(&mut self, at: SimTime, action: &str) -> Result<(), String> {
        self.run.intervene(at, action)
    }
    pub fn set_interventions(&mut self, list: &[Intervention]) -> Result<(), String> {
        self.run.set_interventions(list)
    }
    pub fn interventions(&self) -> &[Intervention] {
        self.run.interventions()
    }
    pub fn checkpoint_count(&self) -> usize {
        self.run.checkpoint_count()
    }
    /// Where the topology's nodes and the sessions are.
    pub fn cluster(&self) -> &crate::protocol::Cluster {
        &self.run.head().cluster
    }
    pub fn node_count(&self) -> usize {
        self.cluster().nodes
    }

    /// The observation at the end of the computed run.
    pub fn final_observation(&self) -> Observation {
        self.run.head().observe()
    }

    /// Whether every node is up at the end.
    pub fn final_up(&self) -> Vec<bool> {
        self.run.head().nodes().iter().map(|n| n.up).collect()
    }

    /// See [`Run::settle`].
    pub fn settle(&self) -> Convergence {
        self.run.settle()
    }

    /// See [`Run::settling`].
    pub fn settling(&self) -> AnySettling {
        AnySettling(self.run.settling())
    }

    /// Writes whose effect the cluster still holds at the end (for lost-write accounting).
    pub fn surviving_writes(&self) -> std::collections::BTreeSet<crate::model::OpId> {
        let head = self.run.head();
        let states: Vec<_> = head.nodes().iter().map(|n| &n.state).collect();
        let up: Vec<bool> = head.nodes().iter().map(|n| n.up).collect();
        head.proto.surviving_writes(&states, &up)
    }
}
