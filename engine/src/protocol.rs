//! The interface every topology implements.
//!
//! Handlers are pure with respect to the simulation: they get the node's (or client's) state,
//! a read-only view of the moment (`Ctx`: simulated time, the node's own skewed clock, its
//! id) and the input (a message, a timer, a client operation), and they *record* commands in
//! the context: send, set or cancel a timer, persist, complete a client operation, annotate.
//! The engine alone owns the event queue, the clock and the random number generator, and turns
//! the recorded commands into events. A handler can therefore be unit-tested with a hand-made
//! `Ctx` and no engine at all.

use crate::annotate::Annotation;
use crate::model::{ClientId, ClientOp, Completion, Endpoint, NodeId, OpId};
use crate::rng::Entropy;
use crate::time::SimTime;
use crate::view::{MsgKind, NodeView, Observation};
use std::fmt::Debug;

pub type TimerId = u64;

/// A message's short label, formatted only when someone looks at it: sending a message must
/// not cost an allocation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    Static(&'static str),
    /// Text followed by a number: "ack 43".
    Num(&'static str, u64),
    /// Text followed by a range: "LSN 41–43".
    Range(&'static str, u64, u64),
    /// Anything else, shared rather than copied.
    Text(std::rc::Rc<str>),
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Label::Static(s) => f.write_str(s),
            Label::Num(s, n) => write!(f, "{s}{n}"),
            Label::Range(s, a, b) => write!(f, "{s}{a}–{b}"),
            Label::Text(t) => f.write_str(t),
        }
    }
}

impl serde::Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Label {
    pub fn text(s: impl AsRef<str>) -> Label {
        Label::Text(std::rc::Rc::from(s.as_ref()))
    }
}

/// What a message tells the engine and the view about itself.
pub trait MessageMeta {
    fn kind(&self) -> MsgKind;
    /// A short label drawn next to the message: "LSN 41–43", "ack 43".
    fn label(&self) -> Label;
    /// The client operation this message works for, if any.
    fn op(&self) -> Option<OpId> {
        None
    }
    /// Relative size, scaling the transmission delay of very large payloads (snapshots).
    fn size_units(&self) -> u32 {
        1
    }
}

/// A command recorded by a handler, applied by the engine after the handler returns.
#[derive(Clone, Debug)]
pub enum Command<M, T> {
    Send {
        to: Endpoint,
        msg: M,
    },
    SetTimer {
        id: TimerId,
        after: u64,
        timer: T,
    },
    CancelTimer(TimerId),
    /// Write to this node's disk; `timer` fires when the write is durable. `units` scales the
    /// node's disk latency (a large transaction costs more). Lost if the node crashes first.
    Persist {
        id: TimerId,
        units: u32,
        timer: T,
    },
    /// Completes a client operation (only from client handlers).
    Complete(Completion),
    /// Records that the request of `op` reached `node` (for the history's "nodes contacted").
    Contacted {
        op: OpId,
        node: NodeId,
    },
    Annotate(Annotation),
    /// STONITH: power `node` off through an out-of-band channel (a management controller, a
    /// cloud API) that partitions do not stop. The engine crashes it at once; see
    /// `Protocol::on_fenced`.
    PowerOff {
        node: NodeId,
    },
}

impl<M, T> Command<M, T> {
    /// The same command with its message and timer wrapped (for [`Ctx::nested`]).
    pub fn map<M2, T2>(self, msg: impl FnOnce(M) -> M2, timer: impl FnOnce(T) -> T2) -> Command<M2, T2> {
        match self {
            Command::Send { to, msg: m } => Command::Send { to, msg: msg(m) },
            Command::SetTimer { id, after, timer: t } => Command::SetTimer { id, after, timer: timer(t) },
            Command::CancelTimer(id) => Command::CancelTimer(id),
            Command::Persist { id, units, timer: t } => Command::Persist { id, units, timer: timer(t) },
            Command::Complete(c) => Command::Complete(c),
            Command::Contacted { op, node } => Command::Contacted { op, node },
            Command::Annotate(a) => Command::Annotate(a),
            Command::PowerOff { node } => Command::PowerOff { node },
        }
    }
}

/// The handler's view of the moment, and the place it records commands.
pub struct Ctx<'a, M, T> {
    pub now: SimTime,
    /// The reading of this endpoint's own physical clock (skewed, drifting): what a timestamp
    /// taken here would say. Clients read true time.
    pub local_clock: SimTime,
    pub me: Endpoint,
    pub cluster: &'a Cluster,
    pub entropy: Entropy,
    next_timer: &'a mut TimerId,
    pub commands: Vec<Command<M, T>>,
}

/// Static facts about the cluster a handler may rely on.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub nodes: usize,
    pub clients: usize,
    /// Region index of each node, then of each client.
    pub node_region: Vec<usize>,
    pub client_region: Vec<usize>,
    pub region_names: Vec<String>,
}

impl Cluster {
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes).map(|i| NodeId(i as u8))
    }
    pub fn client_ids(&self) -> impl Iterator<Item = ClientId> + '_ {
        (0..self.clients).map(|i| ClientId(i as u8))
    }
    /// Nodes in the same region as `client`, in id order.
    pub fn local_nodes(&self, client: ClientId) -> Vec<NodeId> {
        let r = self.client_region[client.0 as usize];
        self.node_ids().filter(|n| self.node_region[n.0 as usize] == r).collect()
    }
    pub fn region_of(&self, e: Endpoint) -> usize {
        match e {
            Endpoint::Node(n) => self.node_region[n.0 as usize],
            Endpoint::Client(c) => self.client_region[c.0 as usize],
        }
    }
}

impl<'a, M, T> Ctx<'a, M, T> {
    pub fn new(
        now: SimTime,
        local_clock: SimTime,
        me: Endpoint,
        cluster: &'a Cluster,
        entropy: Entropy,
        next_timer: &'a mut TimerId,
    ) -> Self {
        Self::with_buffer(now, local_clock, me, cluster, entropy, next_timer, Vec::new())
    }

    /// Like `new`, recording into a recycled buffer (the engine keeps a pool).
    pub fn with_buffer(
        now: SimTime,
        local_clock: SimTime,
        me: Endpoint,
        cluster: &'a Cluster,
        entropy: Entropy,
        next_timer: &'a mut TimerId,
        commands: Vec<Command<M, T>>,
    ) -> Self {
        Ctx { now, local_clock, me, cluster, entropy, next_timer, commands }
    }

    pub fn me_node(&self) -> NodeId {
        self.me.node().expect("node handler called for a client")
    }

    pub fn send(&mut self, to: impl Into<Endpoint>, msg: M) {
        self.commands.push(Command::Send { to: to.into(), msg });
    }

    pub fn set_timer(&mut self, after: u64, timer: T) -> TimerId {
        let id = self.alloc_timer();
        self.commands.push(Command::SetTimer { id, after, timer });
        id
    }

    pub fn cancel_timer(&mut self, id: TimerId) {
        self.commands.push(Command::CancelTimer(id));
    }

    pub fn persist(&mut self, units: u32, timer: T) -> TimerId {
        let id = self.alloc_timer();
        self.commands.push(Command::Persist { id, units, timer });
        id
    }

    pub fn complete(&mut self, c: Completion) {
        self.commands.push(Command::Complete(c));
    }

    pub fn contacted(&mut self, op: OpId, node: NodeId) {
        self.commands.push(Command::Contacted { op, node });
    }

    pub fn annotate(&mut self, a: Annotation) {
        self.commands.push(Command::Annotate(a));
    }

    pub fn power_off(&mut self, node: NodeId) {
        self.commands.push(Command::PowerOff { node });
    }

    /// Runs `handler` in a context whose messages and timers this one's wrap (`wrap_msg`,
    /// `wrap_timer`: how `AnyProtocol` runs a topology's handlers): the same moment, endpoint
    /// and clock, the same entropy drawn from and the same timer numbering, so the handler
    /// decides exactly as it would run directly; what it records is recorded here, wrapped.
    pub fn nested<M2, T2, R>(
        &mut self,
        wrap_msg: fn(M2) -> M,
        wrap_timer: fn(T2) -> T,
        handler: impl FnOnce(&mut Ctx<'_, M2, T2>) -> R,
    ) -> R {
        let mut inner = Ctx {
            now: self.now,
            local_clock: self.local_clock,
            me: self.me,
            cluster: self.cluster,
            entropy: self.entropy.clone(),
            next_timer: &mut *self.next_timer,
            commands: Vec::new(),
        };
        let out = handler(&mut inner);
        let Ctx { entropy, commands, .. } = inner;
        self.entropy = entropy;
        self.commands.extend(commands.into_iter().map(|c| c.map(wrap_msg, wrap_timer)));
        out
    }

    fn alloc_timer(&mut self) -> TimerId {
        *self.next_timer += 1;
        *self.next_timer
    }
}

impl From<NodeId> for Endpoint {
    fn from(n: NodeId) -> Self {
        Endpoint::Node(n)
    }
}

impl From<ClientId> for Endpoint {
    fn from(c: ClientId) -> Self {
        Endpoint::Client(c)
    }
}

/// An operator action a topology may understand (from the fault script or the user).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// Manual failover: make this node the leader.
    Promote(NodeId),
    /// Take a point-in-time backup of the cluster's data.
    Backup,
    /// Restore the latest backup onto the current leader.
    Restore,
    /// Multi-leader: reconnect the replication topology around failed leaders.
    RepairTopology,
}

pub type NodeCtx<'a, P> = Ctx<'a, <P as Protocol>::Msg, <P as Protocol>::Timer>;

/// A replication topology: leader-follower, multi-leader or leaderless.
pub trait Protocol: Clone + Debug + 'static {
    type Node: Clone + Debug;
    type Client: Clone + Debug;
    type Msg: Clone + Debug + MessageMeta;
    type Timer: Clone + Debug;

    fn init_node(&self, id: NodeId, ctx: &mut NodeCtx<Self>) -> Self::Node;
    fn init_client(&self, id: ClientId, ctx: &mut NodeCtx<Self>) -> Self::Client;

    fn on_message(&self, node: &mut Self::Node, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: Self::Msg);
    fn on_timer(&self, node: &mut Self::Node, ctx: &mut NodeCtx<Self>, timer: Self::Timer);
    /// The node lost power: drop everything volatile. Timers and pending disk writes are
    /// discarded by the engine.
    fn on_crash(&self, node: &mut Self::Node);
    /// The node was powered off by a fence (after `on_crash`): when it comes back it must not
    /// resume whatever role it had.
    fn on_fenced(&self, _node: &mut Self::Node) {}
    /// The node comes back with its durable state.
    fn on_restart(&self, node: &mut Self::Node, ctx: &mut NodeCtx<Self>);
    /// An operator action; topologies ignore what does not apply to them.
    fn on_control(&self, _node: &mut Self::Node, _ctx: &mut NodeCtx<Self>, _control: &Control) {}

    /// A session invokes an operation; the client must eventually `complete` it (the engine
    /// times it out otherwise).
    fn client_invoke(&self, client: &mut Self::Client, ctx: &mut NodeCtx<Self>, op: &ClientOp);
    fn client_on_message(&self, client: &mut Self::Client, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: Self::Msg);
    fn client_on_timer(&self, client: &mut Self::Client, ctx: &mut NodeCtx<Self>, timer: Self::Timer);
    /// The engine gave up on `op` (client timeout); forget it.
    fn client_abandon(&self, _client: &mut Self::Client, _op: OpId) {}

    /// What the diagram shows of one node.
    fn node_view(&self, node: &Self::Node, id: NodeId, names: &crate::vocab::Names) -> NodeView;
    /// An omniscient look at the whole cluster, for metrics and explanations (lag, leaders,
    /// divergence). Never used to make protocol decisions.
    fn observe(&self, nodes: &[&Self::Node], up: &[bool], now: SimTime) -> Observation;
    /// Writes whose effect the cluster still holds at the end (a register version, a log entry,
    /// a row), by the topology's own notion of what counts: the newest leader's history for
    /// leader-follower, what the replicas that are up hold for the others. An acknowledged write
    /// the checker finds discarded, and missing from this set, was lost.
    fn surviving_writes(&self, nodes: &[&Self::Node], up: &[bool]) -> std::collections::BTreeSet<OpId>;
}
