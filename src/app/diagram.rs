//! The node diagram of one pane: nodes, clients, links, partitions, and messages in flight.
//!
//! The static layer (nodes, links, cuts) re-renders only when the pane's view changes (the
//! props hold an `Rc` compared by pointer). The message layer re-renders every frame, but it
//! only positions keyed elements: each message's place is interpolated from its `sent_at` and
//! `deliver_at`, nothing is simulated here.

use super::panel::Selection;
use super::shared::Shared;
use crate::geometry::{lerp, node_position, progress};
use replicascope_engine::model::{Endpoint, NodeId};
use replicascope_engine::network::DropReason;
use replicascope_engine::run::PaneView;
use replicascope_engine::scenario::TopologyKind;
use replicascope_engine::time::human_duration;
use replicascope_engine::trace::MsgRecord;
use replicascope_engine::view::{Liveness, MsgKind, Role};
use std::rc::Rc;
use yew::prelude::*;

pub const W: f64 = 360.0;
pub const H: f64 = 280.0;
const CX: f64 = 180.0;
const CY: f64 = 122.0;
const R: f64 = 76.0;
const NODE_R: f64 = 21.0;
const CLIENT_Y: f64 = 258.0;

/// Where an endpoint is drawn.
pub fn place(e: Endpoint, nodes: usize, clients: usize) -> (f64, f64) {
    match e {
        Endpoint::Node(n) => node_position(n.0 as usize, nodes, CX, CY, R),
        Endpoint::Client(c) => {
            let span = (clients.max(1) as f64 - 1.0) * 56.0;
            (CX - span / 2.0 + c.0 as f64 * 56.0, CLIENT_Y)
        }
    }
}

/// A message as the message layer needs it for one frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Flying {
    pub record: MsgRecord,
    pub t: f64,
}

impl Flying {
    pub fn of(m: &MsgRecord, now: f64) -> Flying {
        Flying { record: m.clone(), t: now }
    }
}

pub fn kind_letter(k: MsgKind) -> &'static str {
    match k {
        MsgKind::Write => "W",
        MsgKind::Read => "R",
        MsgKind::ReadReply => "V",
        MsgKind::Ack => "A",
        MsgKind::Replicate => "L",
        MsgKind::ReplicaAck => "a",
        MsgKind::Heartbeat => "♥",
        MsgKind::Election => "E",
        MsgKind::Repair => "F",
        MsgKind::Hint => "H",
        MsgKind::AntiEntropy => "M",
        MsgKind::Snapshot => "S",
        MsgKind::Control => "C",
    }
}

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub view: Shared<PaneView>,
    pub in_flight: Rc<Vec<Flying>>,
    pub kind: TopologyKind,
    pub reduced_motion: bool,
    pub on_select: Callback<Selection>,
    pub on_intervene: Callback<String>,
}

#[function_component(Diagram)]
pub fn diagram(p: &DiagramProps) -> Html {
    let menu = use_state(|| None::<NodeId>);
    let nodes = p.view.nodes.len();
    let clients = p.view.clients.len();
    let on_node = {
        let menu = menu.clone();
        let on_select = p.on_select.clone();
        let view = p.view.clone();
        let kind = p.kind;
        Callback::from(move |n: NodeId| {
            menu.set(if *menu == Some(n) { None } else { Some(n) });
            if let Some(info) = view.nodes.get(n.0 as usize) {
                on_select.emit(Selection::Node { pane: kind, info: Box::new(info.clone()) });
            }
        })
    };
    let node_menu = (*menu).and_then(|n| {
        let info = p.view.nodes.get(n.0 as usize)?;
        let (x, y) = place(Endpoint::Node(n), nodes, clients);
        let left = format!("left: {:.1}%; top: {:.1}%;", x / W * 100.0, (y + NODE_R + 4.0) / H * 100.0);
        let act = |label: String, action: String| {
            let cb = p.on_intervene.clone();
            let menu = menu.clone();
            html! { <button role="menuitem" onclick={Callback::from(move |_| { cb.emit(action.clone()); menu.set(None); })}>{ label }</button> }
        };
        let down = info.liveness == Liveness::Down;
        let others: Vec<String> = (0..nodes).filter(|i| *i != n.0 as usize).map(|i| NodeId(i as u8).to_string()).collect();
        let clients_list: Vec<String> = (0..clients).map(|i| format!("c{}", i + 1)).collect();
        let mut items = vec![if down {
            act(format!("Restart {n}"), format!("restart {n}"))
        } else {
            act(format!("Crash {n}"), format!("crash {n}"))
        }];
        if !down {
            items.push(act(format!("Pause {n} for 2 s"), format!("pause {n} 2s")));
            items.push(act("Skew its clock +500 ms".into(), format!("skew {n} +500ms")));
            items.push(act(
                format!("Cut {n} off from the other nodes"),
                format!("partition {n} | {}", others.iter().chain(clients_list.iter()).cloned().collect::<Vec<_>>().join(",")),
            ));
            items.push(act("Slow its disk ×20".into(), format!("slow_disk {n} x20")));
        }
        items.push(act("Heal all partitions".into(), "heal".into()));
        let close = {
            let menu = menu.clone();
            Callback::from(move |_| menu.set(None))
        };
        Some(html! {
            <div class="node-menu" role="menu" aria-label={format!("Actions for {n}")} style={left}>
                { for items }
                <button class="secondary" onclick={close}>{"Close"}</button>
            </div>
        })
    });
    html! {
        <div class="diagram-wrap">
            <svg class="diagram" viewBox={format!("0 0 {W} {H}")} role="img"
                aria-label={format!("{} cluster diagram", p.kind.title())}>
                <StaticLayer view={p.view.clone()} kind={p.kind} on_node={on_node} on_select={p.on_select.clone()} />
                <MessageLayer in_flight={p.in_flight.clone()} nodes={nodes} clients={clients}
                    reduced_motion={p.reduced_motion} kind={p.kind} on_select={p.on_select.clone()} on_intervene={p.on_intervene.clone()} />
            </svg>
            { node_menu.unwrap_or_default() }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StaticProps {
    view: Shared<PaneView>,
    kind: TopologyKind,
    on_node: Callback<NodeId>,
    on_select: Callback<Selection>,
}

fn links(kind: TopologyKind, view: &PaneView) -> Vec<(usize, usize)> {
    let n = view.nodes.len();
    let leader = view.nodes.iter().position(|x| x.view.role == Role::Leader);
    match kind {
        TopologyKind::LeaderFollower => match leader {
            Some(l) => (0..n).filter(|i| *i != l).map(|i| (l, i)).collect(),
            None => Vec::new(),
        },
        TopologyKind::MultiLeader => {
            let hub = view.nodes.iter().position(|x| x.view.role == Role::Hub);
            let is_ring = view.nodes.iter().all(|x| x.view.role == Role::Leader) && n > 2 && ring_hint(view);
            if let Some(h) = hub {
                (0..n).filter(|i| *i != h).map(|i| (h, i)).collect()
            } else if is_ring {
                (0..n).map(|i| (i, (i + 1) % n)).collect()
            } else {
                (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).collect()
            }
        }
        TopologyKind::Leaderless => (0..n).map(|i| (i, (i + 1) % n)).filter(|(a, b)| a != b).collect(),
    }
}

/// Multi-leader views mark ring topologies in their detail list.
fn ring_hint(view: &PaneView) -> bool {
    view.nodes.first().is_some_and(|n| n.view.detail.iter().any(|(k, v)| k == "topology" && v == "ring"))
}

#[function_component(StaticLayer)]
fn static_layer(p: &StaticProps) -> Html {
    let v = &p.view;
    let nodes = v.nodes.len();
    let clients = v.clients.len();
    let pos = |e: Endpoint| place(e, nodes, clients);
    let link_lines = links(p.kind, v).into_iter().map(|(a, b)| {
        let (x1, y1) = pos(Endpoint::Node(NodeId(a as u8)));
        let (x2, y2) = pos(Endpoint::Node(NodeId(b as u8)));
        html! { <line class="link" x1={f(x1)} y1={f(y1)} x2={f(x2)} y2={f(y2)} /> }
    });
    // Partitions: one cut mark per node pair blocked in either direction.
    let mut cut_pairs = Vec::new();
    for (a, b) in &v.blocked {
        if let (Endpoint::Node(x), Endpoint::Node(y)) = (a, b) {
            let key = (x.0.min(y.0), x.0.max(y.0));
            if !cut_pairs.contains(&key) {
                cut_pairs.push(key);
            }
        }
    }
    let cuts = cut_pairs.iter().map(|(a, b)| {
        let pa = pos(Endpoint::Node(NodeId(*a)));
        let pb = pos(Endpoint::Node(NodeId(*b)));
        let (mx, my) = lerp(pa, pb, 0.5);
        let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (nx, ny) = (-dy / len * 12.0, dx / len * 12.0);
        html! {
            <g class="cut">
                <line class="cut-link" x1={f(pa.0)} y1={f(pa.1)} x2={f(pb.0)} y2={f(pb.1)} />
                <line class="cut-bar" x1={f(mx - nx)} y1={f(my - ny)} x2={f(mx + nx)} y2={f(my + ny)} />
                <title>{ format!("partition between n{} and n{}", a + 1, b + 1) }</title>
            </g>
        }
    });
    let blocked_clients: Vec<Endpoint> = v
        .blocked
        .iter()
        .filter_map(|(a, b)| match (a, b) {
            (Endpoint::Client(_), Endpoint::Node(_)) => Some(*a),
            (Endpoint::Node(_), Endpoint::Client(_)) => Some(*b),
            _ => None,
        })
        .collect();
    let leaders: Vec<(NodeId, u64)> = v.observation.leaders.clone();
    let max_epoch = leaders.iter().map(|(_, e)| *e).max().unwrap_or(0);
    let node_els = v.nodes.iter().enumerate().map(|(i, info)| {
        let id = NodeId(i as u8);
        let (x, y) = pos(Endpoint::Node(id));
        let deposed = p.kind == TopologyKind::LeaderFollower
            && info.view.role == Role::Leader
            && leaders.iter().any(|(n, e)| *n == id && *e < max_epoch);
        let role = if deposed { Role::DeposedLeader } else { info.view.role };
        let role_class = match role {
            Role::Leader | Role::Hub => "leader",
            Role::DeposedLeader => "deposed",
            Role::Candidate => "candidate",
            Role::Follower | Role::Replica => "follower",
        };
        let live = match info.liveness {
            Liveness::Up => "up",
            Liveness::Down => "down",
            Liveness::Paused => "paused",
        };
        let lag = v.observation.lag.get(i).copied().flatten().filter(|l| l.entries > 0);
        let lag_text = lag.map(|l| {
            if l.time_us > 0 {
                format!("lag {}", human_duration(l.time_us))
            } else {
                format!("{} behind", l.entries)
            }
        });
        let skew = (info.clock_offset_us.unsigned_abs() >= 1000).then(|| {
            let sign = if info.clock_offset_us < 0 { "−" } else { "+" };
            format!("clock {sign}{}", human_duration(info.clock_offset_us.unsigned_abs()))
        });
        let divergent = v.observation.divergent.get(i).copied().unwrap_or(false);
        let on_node = p.on_node.clone();
        let status = match info.liveness {
            Liveness::Up => String::new(),
            Liveness::Down => " (down)".into(),
            Liveness::Paused => " (paused)".into(),
        };
        let label_role = format!("{}{}", role.label(), info.view.epoch.as_ref().map(|e| format!(" · {e}")).unwrap_or_default());
        let label_y = if y > CY + 10.0 { y + NODE_R + 12.0 } else { y - NODE_R - 6.0 };
        let badges: Vec<String> = lag_text.into_iter().chain(skew).chain(divergent.then(|| "diverged".to_string())).collect();
        let badge_y = if y > CY + 10.0 { y + NODE_R + 23.0 } else { y - NODE_R - 17.0 };
        html! {
            <g class={classes!("node", role_class, live)} data-node={id.to_string()} data-liveness={live} data-role={role.label()}
                tabindex="0" role="button" aria-label={format!("{id}, {}{status}. Open actions.", role.label())}
                onclick={Callback::from(move |_| on_node.emit(id))}
                onkeydown={{
                    let on_node = p.on_node.clone();
                    Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" { on_node.emit(id) })
                }}>
                <circle cx={f(x)} cy={f(y)} r={f(NODE_R)} />
                <text class="node-name" x={f(x)} y={f(y + 1.0)}>{ id.to_string() }</text>
                if info.liveness == Liveness::Down {
                    <g class="down-mark">
                        <line x1={f(x - 12.0)} y1={f(y - 12.0)} x2={f(x + 12.0)} y2={f(y + 12.0)} />
                        <line x1={f(x + 12.0)} y1={f(y - 12.0)} x2={f(x - 12.0)} y2={f(y + 12.0)} />
                    </g>
                }
                <text class="node-role" x={f(x)} y={f(label_y)}>{ format!("{label_role}{status}") }</text>
                if !badges.is_empty() {
                    <text class="node-badge" x={f(x)} y={f(badge_y)}>{ badges.join(" · ") }</text>
                }
                <title>{ format!("{id}: {}{status}, region {}", role.label(), info.region) }</title>
            </g>
        }
    });
    let client_els = v.clients.iter().map(|c| {
        let (x, y) = pos(Endpoint::Client(c.id));
        let cut = blocked_clients.contains(&Endpoint::Client(c.id));
        html! {
            <g class={classes!("client", c.busy_with.is_some().then_some("busy"), cut.then_some("cut-off"))} data-client={c.id.to_string()}>
                <rect x={f(x - 16.0)} y={f(y - 11.0)} width="32" height="22" rx="5" />
                <text x={f(x)} y={f(y + 1.0)}>{ c.id.to_string() }</text>
                <title>{ format!("client session {} in {}{}", c.id, c.region, if cut { ", cut off by a partition" } else { "" }) }</title>
            </g>
        }
    });
    html! {
        <g class="static-layer">
            <g class="links">{ for link_lines }</g>
            <g class="cuts">{ for cuts }</g>
            <g class="clients">{ for client_els }</g>
            <g class="nodes">{ for node_els }</g>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct MessageProps {
    in_flight: Rc<Vec<Flying>>,
    nodes: usize,
    clients: usize,
    reduced_motion: bool,
    kind: TopologyKind,
    on_select: Callback<Selection>,
    on_intervene: Callback<String>,
}

#[function_component(MessageLayer)]
fn message_layer(p: &MessageProps) -> Html {
    let msgs = p.in_flight.iter().map(|fl| {
        let m = &fl.record;
        let a = place(m.from, p.nodes, p.clients);
        let b = place(m.to, p.nodes, p.clients);
        let t = progress(fl.t as u64, m.sent_at, m.deliver_at);
        // A message lost to a partition or a crash travels to the middle (or the end) and fades.
        let (stop, faded) = match m.dropped {
            Some((DropReason::Partitioned, _)) | Some((DropReason::Lost, _)) => (0.5, t >= 0.5),
            Some((DropReason::NodeDown, _)) => (0.92, t >= 0.92),
            Some((DropReason::Intervention, _)) => (t.min(0.5), true),
            None => (1.0, false),
        };
        let shown = if p.reduced_motion { 0.5_f64.min(stop) } else { t.min(stop) };
        let (x, y) = lerp(a, b, shown);
        let kind = m.kind.name();
        let record = m.clone();
        let on_select = p.on_select.clone();
        let pane = p.kind;
        let id = m.id;
        let on_drop = p.on_intervene.clone();
        let title = format!(
            "{} {} → {}: {} (sent {}, arrives {}){}",
            m.kind.legend(),
            m.from,
            m.to,
            m.label,
            human_duration(m.sent_at),
            human_duration(m.deliver_at),
            match m.dropped {
                Some((r, _)) => format!(" — lost: {}", r.label()),
                None => " — double-click to drop it".into(),
            }
        );
        html! {
            <g key={id.to_string()} class={classes!("msg", kind, faded.then_some("dropped"))} data-msg={id.to_string()}
                transform={format!("translate({x:.1} {y:.1})")}
                onclick={Callback::from(move |_| on_select.emit(Selection::Message { pane, record: Box::new(record.clone()) }))}
                ondblclick={Callback::from(move |_| on_drop.emit(format!("drop msg {id}")))}>
                if p.reduced_motion {
                    <line class="msg-path" x1={f(a.0 - x)} y1={f(a.1 - y)} x2={f(b.0 - x)} y2={f(b.1 - y)} />
                }
                <circle r="6.5" />
                <text y="0.5">{ if faded { "✕" } else { kind_letter(m.kind) } }</text>
                <title>{ title }</title>
            </g>
        }
    });
    html! { <g class="message-layer">{ for msgs }</g> }
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}
