//! The simulation engine: one event queue, one clock, one random number generator.
//!
//! The queue is ordered by (time, class, sequence). Classes make ties deterministic and
//! independent of when an event was scheduled: faults first, then interventions, then client
//! invocations, then everything the protocols scheduled (in the order they scheduled it), then
//! metric samples. Faults, interventions and client operations are not in the heap at all: they
//! are read from sorted lists through cursors, which keeps the state small to checkpoint.
//!
//! A step pops the earliest event, moves the clock there, runs one handler of the protocol
//! and applies the commands it recorded. Nothing else changes state.

use crate::faults::{Action, Fault};
use crate::model::{ClientId, ClientOp, Completion, Endpoint, MsgId, NodeId, OpId, OpResult};
use crate::network::{DropReason, Network};
use crate::protocol::{Cluster, Command, Control, Ctx, MessageMeta, Protocol, TimerId};
use crate::rng::{Entropy, SimRng, Stream};
use crate::scenario::Plan;
use crate::time::{SimTime, MICROS_PER_MS};
use crate::trace::{HistEvent, MsgRecord, Sample, StepKind, Trace};
use crate::vocab::ScheduledOp;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap, VecDeque};
use std::rc::Rc;

mod faults;
mod sessions;

use sessions::{Session, Waiting};

/// How often the engine samples an observation for the charts.
pub const SAMPLE_EVERY: SimTime = 100 * MICROS_PER_MS;

#[derive(Clone, Debug)]
enum Event<P: Protocol> {
    Deliver { id: MsgId, from: Endpoint, to: Endpoint, msg: P::Msg },
    Timer { owner: Endpoint, incarnation: u32, id: TimerId, timer: P::Timer },
    ClientTimeout { session: ClientId, op: OpId },
    Resume { node: NodeId, token: u32 },
}

/// A heap entry: small, so sifting is cheap; the event itself waits in a slab.
#[derive(Clone, Copy, Debug)]
struct Queued {
    time: SimTime,
    seq: u64,
    slot: u32,
}

impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Queued {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.time, self.seq).cmp(&(o.time, o.seq))
    }
}

/// A node's physical clock: true time plus an offset, drifting at `drift_ppm`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeClock {
    pub offset_us: i64,
    pub drift_ppm: i64,
}

impl NodeClock {
    pub fn read(&self, now: SimTime) -> SimTime {
        let drift = (now as i128 * self.drift_ppm as i128 / 1_000_000) as i64;
        (now as i64).saturating_add(self.offset_us).saturating_add(drift).max(0) as SimTime
    }
    /// How far this clock is from true time at `now`.
    pub fn error_at(&self, now: SimTime) -> i64 {
        self.read(now) as i64 - now as i64
    }
}

#[derive(Clone, Debug)]
pub struct NodeSlot<N> {
    pub state: N,
    pub up: bool,
    pub paused_until: Option<SimTime>,
    pub clock: NodeClock,
    pub disk_factor: u32,
    /// A disk does one write at a time: a write queues behind the ones before it.
    disk_busy_until: SimTime,
    /// Bumped on crash: timers and disk writes of an earlier life are ignored.
    incarnation: u32,
    pause_token: u32,
}

/// Everything that changes during a run. Cloning it is a checkpoint.
#[derive(Clone, Debug)]
pub struct Sim<P: Protocol> {
    pub proto: P,
    plan: Rc<Plan>,
    interventions: Rc<Vec<(SimTime, Action)>>,
    /// Each session's planned operations, as indices into the plan's.
    session_ops: Rc<Vec<Vec<u32>>>,
    pub cluster: Rc<Cluster>,
    now: SimTime,
    seq: u64,
    queue: BinaryHeap<Reverse<Queued>>,
    /// Events waiting in the queue, by slot, with their time and sequence number; freed slots
    /// are reused. A withdrawn event frees its slot at once, and its heap entry, recognised by
    /// its sequence number, is discarded when it reaches the top.
    slab: Vec<Option<(SimTime, u64, Event<P>)>>,
    free_slots: Vec<u32>,
    rng: SimRng,
    next_timer: TimerId,
    next_msg: MsgId,
    next_op: OpId,
    nodes: Vec<NodeSlot<P::Node>>,
    sessions: Vec<Session<P::Client>>,
    network: Network,
    cancelled: BTreeSet<TimerId>,
    /// Cursors into the plan's sorted inputs.
    op_cursor: usize,
    fault_cursor: usize,
    intervention_cursor: usize,
    next_sample: SimTime,
    steps: u64,
    /// Messages dropped by an intervention while in flight.
    dropped_by_user: BTreeSet<MsgId>,
    /// Events held for a paused node, replayed in order when it resumes.
    held: Vec<Vec<Event<P>>>,
    /// Recycled command buffers: handlers run once per event, so their buffers are reused.
    cmd_pool: Vec<Vec<Command<P::Msg, P::Timer>>>,
    /// When the run stops: the scenario's duration, or later while settling (`settle_until`).
    end: SimTime,
}

/// Whether a heap entry still stands for a queued event (not one withdrawn, whose slot may
/// since hold another event).
fn live<E>(slab: &[Option<(SimTime, u64, E)>], q: &Queued) -> bool {
    matches!(slab.get(q.slot as usize), Some(Some((_, seq, _))) if *seq == q.seq)
}

/// Which input the next step comes from.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Source {
    Fault,
    Intervention,
    Invoke,
    Queue,
    Sample,
}

impl<P: Protocol> Sim<P> {
    /// Builds a run of `proto` over `plan`. `node_region` places the topology's nodes.
    pub fn new(
        proto: P,
        plan: Rc<Plan>,
        node_region: Vec<usize>,
        interventions: Rc<Vec<(SimTime, Action)>>,
        trace: &mut Trace,
    ) -> Self {
        let cluster = Rc::new(Cluster {
            nodes: node_region.len(),
            clients: plan.sessions,
            node_region: node_region.clone(),
            client_region: plan.session_region.clone(),
            region_names: plan.network.region_names.clone(),
        });
        let network = Network::new(plan.network.clone(), &node_region, &plan.session_region);
        let first_intervention_op = plan.ops.len() as OpId;
        let mut session_ops = vec![Vec::new(); plan.sessions];
        for (index, scheduled) in plan.ops.iter().enumerate() {
            if let Some(list) = session_ops.get_mut(scheduled.session.0 as usize) {
                list.push(index as u32);
            }
        }
        let mut sim = Sim {
            proto,
            cluster: cluster.clone(),
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            slab: Vec::new(),
            free_slots: Vec::new(),
            rng: SimRng::new(plan.seed, Stream::Engine),
            next_timer: 0,
            next_msg: 0,
            next_op: first_intervention_op,
            nodes: Vec::new(),
            sessions: Vec::new(),
            network,
            cancelled: BTreeSet::new(),
            op_cursor: 0,
            fault_cursor: 0,
            intervention_cursor: 0,
            next_sample: 0,
            steps: 0,
            dropped_by_user: BTreeSet::new(),
            held: vec![Vec::new(); cluster.nodes],
            cmd_pool: Vec::new(),
            session_ops: Rc::new(session_ops),
            end: plan.duration,
            plan,
            interventions,
        };
        for i in 0..cluster.nodes {
            let id = NodeId(i as u8);
            let (state, cmds) = sim.init(Endpoint::Node(id), i as u64, |p, ctx| p.init_node(id, ctx));
            sim.nodes.push(NodeSlot {
                state,
                up: true,
                paused_until: None,
                clock: NodeClock::default(),
                disk_factor: 1,
                disk_busy_until: 0,
                incarnation: 0,
                pause_token: 0,
            });
            sim.apply(Endpoint::Node(id), cmds, trace);
        }
        for i in 0..cluster.clients {
            let id = ClientId(i as u8);
            let (state, cmds) = sim.init(Endpoint::Client(id), 100 + i as u64, |p, ctx| p.init_client(id, ctx));
            sim.sessions.push(Session {
                state,
                current: None,
                timeout: None,
                started: 0,
                scheduled: 0,
                given: VecDeque::new(),
            });
            sim.apply(Endpoint::Client(id), cmds, trace);
        }
        sim
    }

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn steps(&self) -> u64 {
        self.steps
    }
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
    pub fn nodes(&self) -> &[NodeSlot<P::Node>] {
        &self.nodes
    }
    pub fn network(&self) -> &Network {
        &self.network
    }
    pub fn node_up(&self, n: NodeId) -> bool {
        self.nodes[n.0 as usize].up
    }
    /// The operation each session is waiting on.
    pub fn session_current(&self, c: ClientId) -> Option<OpId> {
        self.sessions[c.0 as usize].current.map(|(id, _)| id)
    }
    pub fn client_state(&self, c: ClientId) -> &P::Client {
        &self.sessions[c.0 as usize].state
    }

    /// Runs an endpoint's init handler at time 0 (`salt` picks its entropy): its state, and the
    /// commands it recorded, for `apply`.
    fn init<S>(
        &mut self,
        me: Endpoint,
        salt: u64,
        handler: impl FnOnce(&P, &mut Ctx<'_, P::Msg, P::Timer>) -> S,
    ) -> (S, Vec<Command<P::Msg, P::Timer>>) {
        let cluster = Rc::clone(&self.cluster);
        let mut next_timer = self.next_timer;
        let mut ctx = Ctx::new(0, 0, me, &cluster, self.entropy(salt), &mut next_timer);
        let state = handler(&self.proto, &mut ctx);
        let cmds = std::mem::take(&mut ctx.commands);
        drop(ctx);
        self.next_timer = next_timer;
        (state, cmds)
    }

    fn entropy(&self, salt: u64) -> Entropy {
        Entropy::new(self.plan.seed, self.steps.wrapping_mul(0x1000_0000_01b3).wrapping_add(salt))
    }

    /// Runs a node handler with a fresh context and returns the commands it recorded.
    fn with_node<F>(&mut self, n: NodeId, salt: u64, f: F) -> Vec<Command<P::Msg, P::Timer>>
    where
        F: FnOnce(&P, &mut P::Node, &mut Ctx<'_, P::Msg, P::Timer>),
    {
        let cluster = Rc::clone(&self.cluster);
        let mut next_timer = self.next_timer;
        let entropy = self.entropy(salt);
        let slot = &mut self.nodes[n.0 as usize];
        let local = slot.clock.read(self.now);
        let buf = self.cmd_pool.pop().unwrap_or_default();
        let mut ctx = Ctx::with_buffer(self.now, local, Endpoint::Node(n), &cluster, entropy, &mut next_timer, buf);
        f(&self.proto, &mut slot.state, &mut ctx);
        let cmds = std::mem::take(&mut ctx.commands);
        drop(ctx);
        self.next_timer = next_timer;
        cmds
    }

    /// Runs a client handler with a fresh context and returns the commands it recorded.
    fn with_client<F>(&mut self, c: ClientId, salt: u64, f: F) -> Vec<Command<P::Msg, P::Timer>>
    where
        F: FnOnce(&P, &mut P::Client, &mut Ctx<'_, P::Msg, P::Timer>),
    {
        let cluster = Rc::clone(&self.cluster);
        let mut next_timer = self.next_timer;
        let entropy = self.entropy(salt);
        let buf = self.cmd_pool.pop().unwrap_or_default();
        let mut ctx =
            Ctx::with_buffer(self.now, self.now, Endpoint::Client(c), &cluster, entropy, &mut next_timer, buf);
        f(&self.proto, &mut self.sessions[c.0 as usize].state, &mut ctx);
        let cmds = std::mem::take(&mut ctx.commands);
        drop(ctx);
        self.next_timer = next_timer;
        cmds
    }

    /// Queues an event; returns its slot and sequence number (to withdraw it).
    fn push(&mut self, time: SimTime, event: Event<P>) -> (u32, u64) {
        self.seq += 1;
        let seq = self.seq;
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.slab[s as usize] = Some((time, seq, event));
                s
            }
            None => {
                self.slab.push(Some((time, seq, event)));
                (self.slab.len() - 1) as u32
            }
        };
        self.queue.push(Reverse(Queued { time, seq, slot }));
        (slot, seq)
    }

    /// Withdraws a queued event, if it is still waiting. Nothing is recorded: a withdrawn event
    /// is one that would have done nothing (a timeout for an operation already finished).
    fn withdraw(&mut self, (slot, seq): (u32, u64)) {
        if matches!(self.slab.get(slot as usize), Some(Some((_, s, _))) if *s == seq) {
            self.slab[slot as usize] = None;
            self.free_slots.push(slot);
            self.drop_withdrawn_top();
            // Withdrawn entries deeper in the heap are dropped in one pass once they outnumber
            // the live ones (amortised constant time; the order of pops is unchanged, since
            // (time, sequence) orders entries totally).
            if self.queue.len() > 2 * self.queued_events() + 64 {
                let slab = &self.slab;
                self.queue.retain(|Reverse(q)| live(slab, q));
            }
        }
    }

    fn is_live(&self, q: &Queued) -> bool {
        live(&self.slab, q)
    }

    /// Keeps the invariant that the top of the heap is a live event, so that peeking at the
    /// next event's time never sees a withdrawn one.
    fn drop_withdrawn_top(&mut self) {
        while let Some(Reverse(q)) = self.queue.peek() {
            if self.is_live(q) {
                break;
            }
            self.queue.pop();
        }
    }

    /// The time and source of the next event, if any remains before the end of the run.
    fn next_source(&self) -> Option<(SimTime, Source)> {
        let mut best: Option<(SimTime, Source)> = None;
        let mut consider = |t: SimTime, s: Source| {
            if best.is_none_or(|b| (t, s) < b) {
                best = Some((t, s));
            }
        };
        if let Some((t, _)) = self.plan.faults.get(self.fault_cursor) {
            consider(*t, Source::Fault);
        }
        if let Some((t, _)) = self.interventions.get(self.intervention_cursor) {
            consider(*t, Source::Intervention);
        }
        if let Some(op) = self.plan.ops.get(self.op_cursor) {
            consider(op.at, Source::Invoke);
        }
        if let Some(Reverse(q)) = self.queue.peek() {
            consider(q.time, Source::Queue);
        }
        consider(self.next_sample, Source::Sample);
        best.filter(|(t, _)| *t <= self.end)
    }

    /// Time of the next event, if the run has not ended.
    pub fn next_time(&self) -> Option<SimTime> {
        self.next_source().map(|(t, _)| t)
    }

    pub fn finished(&self) -> bool {
        self.next_source().is_none()
    }

    /// Runs one event. Returns false when the run is over.
    pub fn step(&mut self, trace: &mut Trace) -> bool {
        let Some((time, source)) = self.next_source() else {
            return false;
        };
        self.now = time;
        self.steps += 1;
        match source {
            Source::Fault => {
                let index = self.fault_cursor;
                self.fault_cursor += 1;
                trace.step(time, StepKind::Fault { index: index as u32 });
                let fault = self.plan.faults[index].1.clone();
                self.apply_fault(&fault, trace);
            }
            Source::Intervention => {
                let index = self.intervention_cursor;
                self.intervention_cursor += 1;
                trace.step(time, StepKind::Intervention { index: index as u32 });
                match self.interventions[index].1.clone() {
                    Action::Fault(f) => self.apply_fault(&f, trace),
                    Action::ClientOp { session, op } => {
                        let id = self.next_op;
                        self.next_op += 1;
                        let op = ClientOp { id, op, consistency: None, via: None };
                        self.schedule_op(session, Waiting::Given(op), trace);
                    }
                }
            }
            Source::Invoke => {
                let index = self.op_cursor;
                let ScheduledOp { session, ref op, .. } = self.plan.ops[index];
                let id = op.id;
                self.op_cursor += 1;
                trace.step(time, StepKind::Invoke { op: id });
                self.schedule_op(session, Waiting::Planned(index as u32), trace);
            }
            Source::Sample => {
                self.next_sample += SAMPLE_EVERY;
                trace.step(time, StepKind::Sample);
                let obs = self.observe();
                trace.sample(Sample { time, up: self.nodes.iter().map(|n| n.up).collect(), observation: obs });
            }
            Source::Queue => {
                let Some(Reverse(q)) = self.queue.pop() else {
                    return false;
                };
                debug_assert!(self.is_live(&q), "the top of the queue is always live");
                let Some((_, _, event)) = self.slab[q.slot as usize].take() else {
                    return false;
                };
                self.free_slots.push(q.slot);
                self.drop_withdrawn_top();
                self.dispatch(event, trace);
            }
        }
        true
    }

    /// Runs until the clock would pass `t` (events at exactly `t` included).
    pub fn run_until(&mut self, t: SimTime, trace: &mut Trace) {
        while let Some(next) = self.next_time() {
            if next > t {
                break;
            }
            self.step(trace);
        }
        if t > self.now {
            self.now = t.min(self.end);
        }
    }

    pub fn run_to_end(&mut self, trace: &mut Trace) {
        while self.step(trace) {}
    }

    /// Lets a finished run go on to `t` with no new input — no operations, faults or
    /// interventions, which all lie within the scenario's duration — only what the protocols
    /// still have in flight or scheduled (retries, hints, anti-entropy, catch-up). Used on a copy
    /// to tell replicas still catching up from replicas that have diverged for good.
    pub fn settle_until(&mut self, t: SimTime, trace: &mut Trace) {
        let mut unbounded = u64::MAX;
        self.settle_toward(t, trace, &mut unbounded);
    }

    /// [`Sim::settle_until`] a bounded number of events at a time: runs at most `budget` events
    /// (counting them off it) and says whether `t` was reached.
    pub fn settle_toward(&mut self, t: SimTime, trace: &mut Trace, budget: &mut u64) -> bool {
        self.end = self.end.max(t);
        while let Some(next) = self.next_time() {
            if next > t {
                break;
            }
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            self.step(trace);
        }
        if t > self.now {
            self.now = t.min(self.end);
        }
        true
    }

    pub fn observe(&self) -> crate::view::Observation {
        let states: Vec<&P::Node> = self.nodes.iter().map(|n| &n.state).collect();
        let up: Vec<bool> = self.nodes.iter().map(|n| n.up).collect();
        self.proto.observe(&states, &up, self.now)
    }

    fn dispatch(&mut self, event: Event<P>, trace: &mut Trace) {
        let now = self.now;
        // Events for a paused node wait until it resumes.
        let target = match &event {
            Event::Deliver { to: Endpoint::Node(n), .. } => Some(*n),
            Event::Timer { owner: Endpoint::Node(n), .. } => Some(*n),
            _ => None,
        };
        if let Some(n) = target {
            let slot = &self.nodes[n.0 as usize];
            if slot.up && slot.paused_until.is_some_and(|u| u > now) {
                self.held[n.0 as usize].push(event);
                return;
            }
        }
        match event {
            Event::Deliver { id, from, to, msg } => {
                if self.dropped_by_user.remove(&id) {
                    trace.step(now, StepKind::Drop { msg: id, reason: DropReason::Intervention });
                    return;
                }
                if self.network.is_blocked(from, to) {
                    trace.step(now, StepKind::Drop { msg: id, reason: DropReason::Partitioned });
                    trace.mark_dropped(id, DropReason::Partitioned);
                    return;
                }
                match to {
                    Endpoint::Node(n) => {
                        if !self.nodes[n.0 as usize].up {
                            trace.step(now, StepKind::Drop { msg: id, reason: DropReason::NodeDown });
                            trace.mark_dropped(id, DropReason::NodeDown);
                            return;
                        }
                        trace.step(now, StepKind::Deliver { msg: id });
                        let cmds = self.with_node(n, id, |p, s, ctx| p.on_message(s, ctx, from, msg));
                        self.apply(to, cmds, trace);
                    }
                    Endpoint::Client(c) => {
                        trace.step(now, StepKind::Deliver { msg: id });
                        let cmds = self.with_client(c, id, |p, s, ctx| p.client_on_message(s, ctx, from, msg));
                        self.apply(to, cmds, trace);
                    }
                }
            }
            Event::Timer { owner, incarnation, id, timer } => {
                if self.cancelled.remove(&id) {
                    return;
                }
                match owner {
                    Endpoint::Node(n) => {
                        let slot = &self.nodes[n.0 as usize];
                        if !slot.up || slot.incarnation != incarnation {
                            return;
                        }
                        trace.step(now, StepKind::Timer { at: owner });
                        let cmds = self.with_node(n, id, |p, s, ctx| p.on_timer(s, ctx, timer));
                        self.apply(owner, cmds, trace);
                    }
                    Endpoint::Client(c) => {
                        trace.step(now, StepKind::Timer { at: owner });
                        let cmds = self.with_client(c, id, |p, s, ctx| p.client_on_timer(s, ctx, timer));
                        self.apply(owner, cmds, trace);
                    }
                }
            }
            Event::ClientTimeout { session, op } => {
                let Some((current, is_read)) = self.sessions[session.0 as usize].current else {
                    return;
                };
                if current != op {
                    return;
                }
                trace.step(now, StepKind::ClientTimeout { op });
                let result = if is_read {
                    OpResult::Fail("timed out: no answer".into())
                } else {
                    OpResult::Info("timed out: the write may or may not have happened".into())
                };
                self.proto.client_abandon(&mut self.sessions[session.0 as usize].state, op);
                self.finish_op(session, Completion::new(op, result), trace);
            }
            Event::Resume { node, token } => {
                let slot = &mut self.nodes[node.0 as usize];
                if slot.pause_token != token || slot.paused_until.is_none() {
                    return;
                }
                slot.paused_until = None;
                trace.step(now, StepKind::Resume { node });
                let held = std::mem::take(&mut self.held[node.0 as usize]);
                for e in held {
                    self.push(now, e);
                }
            }
        }
    }

    fn apply(&mut self, from: Endpoint, mut cmds: Vec<Command<P::Msg, P::Timer>>, trace: &mut Trace) {
        let now = self.now;
        for cmd in cmds.drain(..) {
            match cmd {
                Command::Send { to, msg } => {
                    let id = self.next_msg;
                    self.next_msg += 1;
                    let kind = msg.kind();
                    let (deliver_at, dropped) = match self.network.send(&mut self.rng, from, to, kind, msg.size_units())
                    {
                        Ok(d) => (now + d, None),
                        Err((reason, d)) => (now + d, Some((reason, trace.step_count()))),
                    };
                    trace.message(MsgRecord {
                        id,
                        from,
                        to,
                        kind,
                        label: msg.label(),
                        op: msg.op(),
                        sent_at: now,
                        deliver_at,
                        dropped,
                    });
                    if dropped.is_none() {
                        self.push(deliver_at, Event::Deliver { id, from, to, msg });
                    }
                }
                Command::SetTimer { id, after, timer } => {
                    let incarnation = self.incarnation(from);
                    self.push(now + after, Event::Timer { owner: from, incarnation, id, timer });
                }
                Command::CancelTimer(id) => {
                    self.cancelled.insert(id);
                }
                Command::Persist { id, units, timer } => {
                    let Endpoint::Node(n) = from else { continue };
                    let factor = self.nodes[n.0 as usize].disk_factor as u64;
                    let d = self
                        .network
                        .disk_latency(&mut self.rng)
                        .saturating_mul(factor)
                        .saturating_mul(units.max(1) as u64);
                    let done = now.max(self.nodes[n.0 as usize].disk_busy_until) + d;
                    self.nodes[n.0 as usize].disk_busy_until = done;
                    let incarnation = self.incarnation(from);
                    self.push(done, Event::Timer { owner: from, incarnation, id, timer });
                }
                Command::Complete(c) => {
                    if let Endpoint::Client(session) = from {
                        self.finish_op(session, c, trace);
                    }
                }
                Command::Contacted { op, node } => trace.hist(HistEvent::Contacted { op, node }),
                Command::Annotate(a) => trace.annotate(now, a),
                Command::PowerOff { node } => {
                    if (node.0 as usize) < self.nodes.len() {
                        self.crash(node);
                        self.proto.on_fenced(&mut self.nodes[node.0 as usize].state);
                    }
                }
            }
        }
        if self.cmd_pool.len() < 8 {
            self.cmd_pool.push(cmds);
        }
    }

    fn incarnation(&self, e: Endpoint) -> u32 {
        match e {
            Endpoint::Node(n) => self.nodes[n.0 as usize].incarnation,
            Endpoint::Client(_) => 0,
        }
    }

    /// Whether a directed link is currently blocked (for drawing cuts).
    pub fn blocked_pairs(&self) -> Vec<(Endpoint, Endpoint)> {
        self.network.blocked_pairs()
    }

    /// Replaces the intervention list (forking). Interventions already applied must be a prefix
    /// of the new list.
    pub fn set_interventions(&mut self, interventions: Rc<Vec<(SimTime, Action)>>) {
        self.interventions = interventions;
    }

    pub fn clock(&self, n: NodeId) -> NodeClock {
        self.nodes[n.0 as usize].clock
    }

    /// Events waiting in the queue (withdrawn ones excluded).
    pub fn queued_events(&self) -> usize {
        self.slab.len() - self.free_slots.len()
    }

    /// Messages currently queued for delivery, by id.
    pub fn queued_messages(&self) -> Vec<(MsgId, SimTime)> {
        let mut v: Vec<(MsgId, SimTime)> = self
            .slab
            .iter()
            .flatten()
            .filter_map(|(t, _, e)| match e {
                Event::Deliver { id, .. } => Some((*id, *t)),
                _ => None,
            })
            .collect();
        crate::sort::sort(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use crate::run::Run;
    use crate::topology::leader_follower::LeaderFollower;
    use std::rc::Rc;

    #[test]
    fn finished_operations_leave_no_timeout_behind() {
        // Every operation queues a timeout; one that completes in time withdraws it. Without that,
        // a busy run carries a timeout per operation of the last few seconds in its queue, and
        // every checkpoint copies them.
        let s = crate::bench::bench_scenario();
        let plan = Rc::new(s.compile().unwrap());
        let cfg = s.topologies.leader_follower.clone().unwrap();
        let regions = vec![0; cfg.nodes as usize];
        let mut run = Run::new(LeaderFollower::new(cfg), plan, regions);
        run.advance(30_000);
        let head = run.head();
        // Three nodes' timers, messages in flight, and the eight sessions' current timeouts.
        assert!(head.queued_events() < 40, "{} events queued", head.queued_events());
        assert!(head.queue.len() < 60, "{} heap entries", head.queue.len());
    }
}
