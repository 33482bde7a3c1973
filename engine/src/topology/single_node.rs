//! # One node, no replication: the baseline
//!
//! Every client sends every operation to the only node, `n1`, which applies it to its data and
//! answers. There is nothing to replicate, so nothing to lag, conflict or diverge: while the node
//! is up every read returns the latest acknowledged write (the history is linearizable), and
//! every acknowledged write survives a crash, since the node keeps its data on disk and finds it
//! again when it restarts. What it gives up is availability: while `n1` is down or cut off,
//! nothing succeeds, reads included; and its capacity, which no second machine shares.
//!
//! Side by side with the replicated topologies it answers the question each of them is asked:
//! what did replication buy, and what did it cost?

use crate::annotate::Annotation;
use crate::model::{ClientId, ClientOp, Completion, Endpoint, NodeId, Op, OpId, OpResult, ReadValue, Sym};
use crate::protocol::{Label, MessageMeta, NodeCtx, Protocol};
use crate::rng::stable_hash;
use crate::sorted::VecMap;
use crate::time::SimTime;
use crate::topology::client::{self, Answer, Client, Clients, Next, Pending, Reply, Request};
use crate::topology::versions::{
    canonical, item_writes, read_item, CounterRule, IdScheme, Item, RegisterRule, Rules, SetRule, Stamp,
};
use crate::validate::{join, Problems, Validate};
use crate::view::{EntryState, EntryView, MsgKind, NodeView, Observation, Role};
use crate::vocab::{effect_label, KeyKind, Names};
use serde::{Deserialize, Serialize};

/// `topologies.single_node` in a scenario file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SingleConfig {
    /// The node's region (defaults to the first region).
    pub placement: Vec<String>,
}

crate::overridable!(SingleConfig { placement });

impl Validate for SingleConfig {
    fn validate(&self, path: &str, p: &mut Problems) {
        if self.placement.len() > 1 {
            p.push(join(path, "placement"), "one node: name one region at most");
        }
    }
}

/// The only messages are the shared client protocol's: a request, and its reply (a refusal says why).
#[derive(Clone, Debug, PartialEq)]
pub enum SingleMsg {
    Request(Request<()>),
    Reply(Reply<(), String>),
}

impl MessageMeta for SingleMsg {
    fn kind(&self) -> MsgKind {
        match self {
            SingleMsg::Request(request) => request.kind(),
            SingleMsg::Reply(reply) => reply.kind(),
        }
    }
    fn label(&self) -> Label {
        match self {
            SingleMsg::Request(Request { body: Op::Read { .. }, .. }) => Label::Static("read"),
            SingleMsg::Request(_) => Label::Static("write"),
            SingleMsg::Reply(Reply { answer: Answer::Read { .. }, .. }) => Label::Static("value"),
            SingleMsg::Reply(Reply { answer: Answer::Refused(_), .. }) => Label::Static("refused"),
            SingleMsg::Reply(_) => Label::Static("ok"),
        }
    }
    fn op(&self) -> Option<OpId> {
        match self {
            SingleMsg::Request(Request { op, .. }) | SingleMsg::Reply(Reply { op, .. }) => Some(*op),
        }
    }
}

/// The node has no timers.
#[derive(Clone, Debug, PartialEq)]
pub enum SingleTimer {}

/// One write in the node's log, for the lane.
#[derive(Clone, Debug, PartialEq)]
struct Applied {
    write: OpId,
    label: String,
}

#[derive(Clone, Debug)]
pub struct SingleNodeState {
    id: NodeId,
    /// The data, on disk: kept across a crash.
    store: VecMap<Sym, Item>,
    /// Writes applied, oldest first.
    log: Vec<Applied>,
    last_ts: u64,
}

#[derive(Clone, Debug)]
pub struct SingleNode {
    rules: Rules,
    kinds: VecMap<Sym, KeyKind>,
}

impl SingleNode {
    pub fn new(names: &Names, kinds: VecMap<Sym, KeyKind>) -> Self {
        let rules = Rules {
            register: RegisterRule::LwwNodeId,
            counter: CounterRule::PnCounter,
            set: SetRule::OrSet,
            ids: IdScheme::AutoIncrement,
            n: 1,
            names: names.clone(),
        };
        SingleNode { rules, kinds }
    }

    fn apply(&self, node: &mut SingleNodeState, ctx: &mut NodeCtx<Self>, op: OpId, body: &Op) -> Reply<(), String> {
        if let Op::Read { key } = body {
            let kind = self.kinds.get(key).copied().unwrap_or(KeyKind::Register);
            let value: ReadValue = read_item(node.store.get(key), *key, kind);
            return Reply::read(op, value, ());
        }
        let Some(key) = body.key() else {
            return Reply::refused(op, "delete_all is modelled in the leader-follower pane only".to_string(), ());
        };
        // One writer: its own clock, never repeating, orders every version.
        let ts = ctx.local_clock.max(node.last_ts + 1);
        node.last_ts = ts;
        let stamp = Stamp { me: node.id, ts, at: ctx.now, tag: node.log.len() as u64 + 1, floor: 0 };
        let (item, version, assigned) = self.rules.write_item(node.store.get(&key), op, body, &stamp, &mut ctx.entropy);
        node.store.insert(key, item);
        node.log.push(Applied { write: op, label: effect_label(body, &self.rules.names) });
        let version = Some(version).filter(|version| !version.is_empty());
        Reply { op, answer: Answer::Written { version, assigned }, said: () }
    }
}

/// Every request goes to the only node; a refusal ends the operation.
impl Clients for SingleNode {
    type Ask = ();
    type Said = ();
    type Refusal = String;
    type Route = ();

    fn request_message(request: Request<()>) -> SingleMsg {
        SingleMsg::Request(request)
    }
    fn reply_message(message: SingleMsg) -> Result<Reply<(), String>, SingleMsg> {
        match message {
            SingleMsg::Reply(reply) => Ok(reply),
            other => Err(other),
        }
    }
    fn route_for(&self, _: ClientId, _: &mut NodeCtx<Self>) {}
    fn route(&self, _: &mut Client<()>, _: &Pending, _: &mut NodeCtx<Self>) -> Option<(NodeId, ())> {
        Some((NodeId(0), ()))
    }
    fn on_refused(&self, _: &mut Client<()>, from: NodeId, op: OpId, reason: String, _: ()) -> Next<()> {
        Next::Finish(Completion::new(op, OpResult::Fail(reason)).by(from))
    }
}

impl Protocol for SingleNode {
    type Node = SingleNodeState;
    type Client = Client<()>;
    type Msg = SingleMsg;
    type Timer = SingleTimer;

    fn init_node(&self, id: NodeId, _: &mut NodeCtx<Self>) -> SingleNodeState {
        SingleNodeState { id, store: VecMap::new(), log: Vec::new(), last_ts: 0 }
    }

    fn init_client(&self, id: ClientId, _: &mut NodeCtx<Self>) -> Client<()> {
        Client::new(id, ())
    }

    fn on_message(&self, node: &mut SingleNodeState, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: SingleMsg) {
        if let (Endpoint::Client(c), SingleMsg::Request(Request { op, body, .. })) = (from, msg) {
            ctx.contacted(op, node.id);
            let reply = self.apply(node, ctx, op, &body);
            ctx.send(c, SingleMsg::Reply(reply));
        }
    }

    fn on_timer(&self, _: &mut SingleNodeState, _: &mut NodeCtx<Self>, timer: SingleTimer) {
        match timer {}
    }

    /// The data is on disk: a crash loses nothing acknowledged.
    fn on_crash(&self, _: &mut SingleNodeState) {}

    fn on_restart(&self, node: &mut SingleNodeState, ctx: &mut NodeCtx<Self>) {
        ctx.annotate(Annotation::Note(format!("{} is back with its data; the cluster is available again", node.id)));
    }

    fn client_invoke(&self, client: &mut Client<()>, ctx: &mut NodeCtx<Self>, op: &ClientOp) {
        client::invoke(self, client, ctx, op);
    }

    fn client_on_message(&self, client: &mut Client<()>, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: SingleMsg) {
        client::on_message(self, client, ctx, from, msg);
    }

    fn client_on_timer(&self, _: &mut Client<()>, _: &mut NodeCtx<Self>, timer: SingleTimer) {
        match timer {}
    }

    fn client_abandon(&self, client: &mut Client<()>, op: OpId) {
        client::abandon(self, client, op);
    }

    fn node_view(&self, node: &SingleNodeState, id: NodeId, names: &Names) -> NodeView {
        let len = node.log.len();
        let log = node.log[len.saturating_sub(12)..]
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let n = len.saturating_sub(12) + i + 1;
                EntryView {
                    id: n.to_string(),
                    label: a.label.clone(),
                    version: format!("#{n}"),
                    state: EntryState::Committed,
                    write: Some(a.write),
                }
            })
            .collect();
        NodeView {
            id,
            role: Role::Standalone,
            epoch: None,
            badges: vec!["no replicas".into()],
            log,
            log_len: len as u64,
            markers: Vec::new(),
            data: node
                .store
                .iter()
                .map(|(k, item)| (names.get(*k).to_string(), self.rules.item_label(item, names)))
                .collect(),
            detail: vec![
                ("topology".into(), "one node, no replication".into()),
                ("writes applied".into(), len.to_string()),
            ],
            links: Vec::new(),
        }
    }

    fn observe(&self, nodes: &[&SingleNodeState], up: &[bool], _: SimTime) -> Observation {
        let digest =
            |n: &SingleNodeState| stable_hash(&n.store.iter().map(|(k, i)| (*k, canonical(i))).collect::<Vec<_>>());
        Observation {
            leaders: nodes.iter().zip(up).filter(|(_, u)| **u).map(|(n, _)| (n.id, 0)).collect(),
            lag: vec![None; nodes.len()],
            data_digest: nodes.iter().map(|n| digest(n)).collect(),
            backlog: vec![0; nodes.len()],
            divergent: vec![false; nodes.len()],
        }
    }

    fn surviving_writes(&self, nodes: &[&SingleNodeState], _: &[bool]) -> std::collections::BTreeSet<OpId> {
        crate::sort::set_of(nodes.iter().flat_map(|n| n.store.values().flat_map(item_writes)))
    }
}

impl crate::topology::Topology for SingleNode {
    type Config = SingleConfig;

    fn node_count(_: &SingleConfig) -> usize {
        1
    }
    fn placement(config: &SingleConfig) -> (&[String], usize) {
        (&config.placement, 1)
    }
    fn build(_: SingleConfig, names: &Names, kinds: VecMap<Sym, KeyKind>, _: &[usize]) -> Self {
        SingleNode::new(names, kinds)
    }

    fn summary(_: &SingleConfig) -> String {
        "1 node · no replication".into()
    }
}
