//! [`AnyProtocol`]: whichever topology, as one [`Protocol`].
//!
//! The engine is generic over the protocol it runs (`Sim<P>`, `Run<P>`), which keeps each
//! topology's handlers plain and testable on their own. But a page that runs any of four
//! topologies would compile the simulation, its checkpoints, its seeks and its settling four
//! times over (about 100 KB of WebAssembly). `AnyProtocol` is one protocol whose nodes,
//! clients, messages and timers are enums of the topologies' own; each handler matches the
//! topology and runs its handler in a nested context ([`Ctx::nested`]) that wraps what it
//! records. The handler sees the same moment, entropy and timer numbering as when run
//! directly, so a run is the same run either way: `AnyRun` runs `Run<AnyProtocol>`, and the
//! golden digests did not change when it started to.
//!
//! A node of one topology never meets a message of another (a run has one topology); should a
//! mismatch arise all the same, the handler does nothing (and debug builds stop).

use crate::model::{ClientId, ClientOp, Endpoint, NodeId, OpId};
use crate::protocol::{Control, Label, MessageMeta, NodeCtx, Protocol};
use crate::scenario::Plan;
use crate::time::SimTime;
use crate::topology::Topology;
use crate::view::{MsgKind, NodeView, Observation};
use crate::vocab::{key_kinds, topologies, Names, TopologyKind};
use std::collections::BTreeSet;

fn mismatch() {
    debug_assert!(false, "a handler of one topology was given another's state");
}

macro_rules! define_any_protocol {
    ($($kind:ident, $module:ident, $code:literal, $title:literal;)*) => {
        /// Whichever topology's protocol (see the module's note).
        #[derive(Clone, Debug)]
        pub enum AnyProtocol {
            $($kind(crate::topology::$module::$kind),)*
        }

        /// A node of whichever topology.
        #[derive(Clone, Debug)]
        pub enum AnyNode {
            $($kind(<crate::topology::$module::$kind as Protocol>::Node),)*
        }

        /// A client of whichever topology.
        #[derive(Clone, Debug)]
        pub enum AnyClient {
            $($kind(<crate::topology::$module::$kind as Protocol>::Client),)*
        }

        /// A message of whichever topology.
        #[derive(Clone, Debug)]
        pub enum AnyMsg {
            $($kind(<crate::topology::$module::$kind as Protocol>::Msg),)*
        }

        /// A timer of whichever topology.
        #[derive(Clone, Debug)]
        pub enum AnyTimer {
            $($kind(<crate::topology::$module::$kind as Protocol>::Timer),)*
        }

        impl AnyProtocol {
            /// The protocol of topology `kind` for a compiled scenario, with its nodes' regions
            /// (None if the scenario does not configure that topology).
            pub fn build(kind: TopologyKind, plan: &Plan) -> Option<(AnyProtocol, Vec<usize>)> {
                let regions = &plan.network.region_names;
                match kind {
                    $(TopologyKind::$kind => {
                        type This = crate::topology::$module::$kind;
                        let config = plan.topologies.$module.clone()?;
                        let place = <This as Topology>::node_regions(&config, regions);
                        let proto = <This as Topology>::build(config, &plan.names, key_kinds(&plan.ops), &place);
                        Some((AnyProtocol::$kind(proto), place))
                    })*
                }
            }

            pub fn kind(&self) -> TopologyKind {
                match self {
                    $(AnyProtocol::$kind(_) => TopologyKind::$kind,)*
                }
            }
        }

        impl MessageMeta for AnyMsg {
            fn kind(&self) -> MsgKind {
                match self {
                    $(AnyMsg::$kind(m) => m.kind(),)*
                }
            }
            fn label(&self) -> Label {
                match self {
                    $(AnyMsg::$kind(m) => m.label(),)*
                }
            }
            fn op(&self) -> Option<OpId> {
                match self {
                    $(AnyMsg::$kind(m) => m.op(),)*
                }
            }
            fn size_units(&self) -> u32 {
                match self {
                    $(AnyMsg::$kind(m) => m.size_units(),)*
                }
            }
        }

        impl Protocol for AnyProtocol {
            type Node = AnyNode;
            type Client = AnyClient;
            type Msg = AnyMsg;
            type Timer = AnyTimer;

            fn init_node(&self, id: NodeId, ctx: &mut NodeCtx<Self>) -> AnyNode {
                match self {
                    $(AnyProtocol::$kind(p) => AnyNode::$kind(ctx.nested(AnyMsg::$kind, AnyTimer::$kind, |c| p.init_node(id, c))),)*
                }
            }

            fn init_client(&self, id: ClientId, ctx: &mut NodeCtx<Self>) -> AnyClient {
                match self {
                    $(AnyProtocol::$kind(p) => AnyClient::$kind(ctx.nested(AnyMsg::$kind, AnyTimer::$kind, |c| p.init_client(id, c))),)*
                }
            }

            fn on_message(&self, node: &mut AnyNode, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: AnyMsg) {
                match (self, node, msg) {
                    $((AnyProtocol::$kind(p), AnyNode::$kind(n), AnyMsg::$kind(m)) => {
                        ctx.nested(AnyMsg::$kind, AnyTimer::$kind, |c| p.on_message(n, c, from, m))
                    })*
                    _ => mismatch(),
                }
            }

            fn on_timer(&self, node: &mut AnyNode, ctx: &mut NodeCtx<Self>, timer: AnyTimer) {
                match (self, node, timer) {
                    $((AnyProtocol::$kind(p), AnyNode::$kind(n), AnyTimer::$kind(t)) => {
                        ctx.nested(AnyMsg::$kind, AnyTimer::$kind, |c| p.on_timer(n, c, t))
                    })*
                    _ => mismatch(),
                }
            }

            fn on_crash(&self, node: &mut AnyNode) {
                match (self, node) {
                    $((AnyProtocol::$kind(p), AnyNode::$kind(n)) => p.on_crash(n),)*
                    _ => mismatch(),
                }
            }

            fn on_fenced(&self, node: &mut AnyNode) {
                match (self, node) {
                    $((AnyProtocol::$kind(p), AnyNode::$kind(n)) => p.on_fenced(n),)*
                    _ => mismatch(),
                }
            }

            fn on_restart(&self, node: &mut AnyNode, ctx: &mut NodeCtx<Self>) {
                match (self, node) {
                    $((AnyProtocol::$kind(p), AnyNode::$kind(n)) => {
                        ctx.nested(AnyMsg::$kind, AnyTimer::$kind, |c| p.on_restart(n, c))
                    })*
                    _ => mismatch(),
                }
            }

            fn on_control(&self, node: &mut AnyNode, ctx: &mut NodeCtx<Self>, control: &Control) {
                match (self, node) {
                    $((AnyProtocol::$kind(p), AnyNode::$kind(n)) => {
                        ctx.nested(AnyMsg::$kind, AnyTimer::$kind, |c| p.on_control(n, c, control))
                    })*
                    _ => mismatch(),
                }
            }

            fn client_invoke(&self, client: &mut AnyClient, ctx: &mut NodeCtx<Self>, op: &ClientOp) {
                match (self, client) {
                    $((AnyProtocol::$kind(p), AnyClient::$kind(s)) => {
                        ctx.nested(AnyMsg::$kind, AnyTimer::$kind, |c| p.client_invoke(s, c, op))
                    })*
                    _ => mismatch(),
                }
            }

            fn client_on_message(&self, client: &mut AnyClient, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: AnyMsg) {
                match (self, client, msg) {
                    $((AnyProtocol::$kind(p), AnyClient::$kind(s), AnyMsg::$kind(m)) => {
                        ctx.nested(AnyMsg::$kind, AnyTimer::$kind, |c| p.client_on_message(s, c, from, m))
                    })*
                    _ => mismatch(),
                }
            }

            fn client_on_timer(&self, client: &mut AnyClient, ctx: &mut NodeCtx<Self>, timer: AnyTimer) {
                match (self, client, timer) {
                    $((AnyProtocol::$kind(p), AnyClient::$kind(s), AnyTimer::$kind(t)) => {
                        ctx.nested(AnyMsg::$kind, AnyTimer::$kind, |c| p.client_on_timer(s, c, t))
                    })*
                    _ => mismatch(),
                }
            }

            fn client_abandon(&self, client: &mut AnyClient, op: OpId) {
                match (self, client) {
                    $((AnyProtocol::$kind(p), AnyClient::$kind(s)) => p.client_abandon(s, op),)*
                    _ => mismatch(),
                }
            }

            fn node_view(&self, node: &AnyNode, id: NodeId, names: &Names) -> NodeView {
                match (self, node) {
                    $((AnyProtocol::$kind(p), AnyNode::$kind(n)) => p.node_view(n, id, names),)*
                    _ => {
                        mismatch();
                        NodeView {
                            id,
                            role: crate::view::Role::Replica,
                            epoch: None,
                            badges: Vec::new(),
                            log: Vec::new(),
                            log_len: 0,
                            markers: Vec::new(),
                            data: Vec::new(),
                            detail: Vec::new(),
                            links: Vec::new(),
                        }
                    }
                }
            }

            fn observe(&self, nodes: &[&AnyNode], up: &[bool], now: SimTime) -> Observation {
                match self {
                    $(AnyProtocol::$kind(p) => {
                        let nodes: Vec<_> = nodes.iter().filter_map(|n| match n {
                            AnyNode::$kind(n) => Some(n),
                            #[allow(unreachable_patterns)]
                            _ => None,
                        }).collect();
                        p.observe(&nodes, up, now)
                    })*
                }
            }

            fn surviving_writes(&self, nodes: &[&AnyNode], up: &[bool]) -> BTreeSet<OpId> {
                match self {
                    $(AnyProtocol::$kind(p) => {
                        let nodes: Vec<_> = nodes.iter().filter_map(|n| match n {
                            AnyNode::$kind(n) => Some(n),
                            #[allow(unreachable_patterns)]
                            _ => None,
                        }).collect();
                        p.surviving_writes(&nodes, up)
                    })*
                }
            }
        }
    };
}
topologies!(define_any_protocol);
