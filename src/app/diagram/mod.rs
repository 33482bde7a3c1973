//! The node diagram of one pane: nodes, clients, links, partitions, and messages in flight.
//!
//! The static layer (nodes, links, cuts) re-renders only when the pane's view changes (the
//! props hold an `Rc` compared by pointer). The messages are not rendered at all: the page's
//! animation loop paints them on a canvas every frame (`MessageLayer`), each message's place
//! interpolated from its `sent_at` and `deliver_at`; nothing is simulated here.

use super::canvas::{context_2d, media, pixel_ratio, RootStyle, Surface};
use super::selection::Selection;
use super::shared::{listen, Highlight, Shared};
use crate::geometry::{lerp, node_position, progress};
use replicascope_engine::page::human_duration;
use replicascope_engine::page::DropReason;
use replicascope_engine::page::MsgRecord;
use replicascope_engine::page::PaneView;
use replicascope_engine::page::TopologyKind;
use replicascope_engine::page::{ClientId, Endpoint, NodeId};
use replicascope_engine::page::{Liveness, MsgKind, Role};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

mod messages;
pub use messages::*;

pub const W: f64 = 360.0;
pub const H: f64 = 280.0;
const CX: f64 = 180.0;
const CY: f64 = 122.0;
const R: f64 = 76.0;
const NODE_R: f64 = 21.0;
const CLIENT_Y: f64 = 258.0;

/// Distance between client boxes: they always fit the diagram's width.
fn client_step(clients: usize) -> f64 {
    if clients <= 1 {
        return 56.0;
    }
    (56.0f64).min((W - 24.0) / (clients - 1) as f64)
}

/// What decides where things are drawn: how many nodes and clients, and (multi-leader with
/// followers) how many leaders with how many followers each, so that each follower sits next
/// to its leader on the circle.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Geo {
    pub nodes: usize,
    pub clients: usize,
    pub leaders: usize,
    pub per_leader: usize,
}

impl Geo {
    pub fn new(nodes: usize, clients: usize) -> Geo {
        Geo { nodes, clients, leaders: nodes, per_leader: 0 }
    }

    pub fn of(view: &PaneView, kind: TopologyKind) -> Geo {
        let mut g = Geo::new(view.nodes.len(), view.clients.len());
        if kind == TopologyKind::MultiLeader {
            let followers = view.nodes.iter().filter(|n| n.view.role == Role::Follower).count();
            let leaders = view.nodes.len() - followers;
            if followers > 0 && leaders > 0 && followers % leaders == 0 {
                g.leaders = leaders;
                g.per_leader = followers / leaders;
            }
        }
        g
    }

    /// The slot on the circle of node `i`: a leader, then its followers, then the next leader.
    fn slot(&self, i: usize) -> usize {
        if self.per_leader == 0 {
            return i;
        }
        let group = self.per_leader + 1;
        if i < self.leaders {
            i * group
        } else {
            let j = i - self.leaders;
            (j / self.per_leader) * group + 1 + j % self.per_leader
        }
    }
}

/// Where an endpoint is drawn.
pub fn place(e: Endpoint, g: Geo) -> (f64, f64) {
    match e {
        Endpoint::Node(n) => node_position(g.slot(n.0 as usize), g.nodes, CX, CY, R),
        Endpoint::Client(c) => {
            let step = client_step(g.clients);
            let span = (g.clients.max(1) as f64 - 1.0) * step;
            (CX - span / 2.0 + c.0 as f64 * step, CLIENT_Y)
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
    /// The messages in flight: painted by the page's animation loop, hit-tested here.
    pub messages: Shared<MessageLayer>,
    pub kind: TopologyKind,
    pub reduced_motion: bool,
    pub on_select: Callback<Selection>,
    pub on_intervene: Callback<String>,
    /// The message or operation under the pointer in any view of this pane.
    #[prop_or_default]
    pub highlight: Option<Highlight>,
    #[prop_or_default]
    pub on_hover: Callback<Option<Highlight>>,
    /// Keys the workload uses, offered when a client issues a read or write.
    #[prop_or_default]
    pub keys: Rc<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq)]
enum Menu {
    Node(NodeId),
    Client(ClientId),
    /// Choosing the two sides of a partition: `true` puts an endpoint on the right-hand side.
    Partition(Vec<bool>),
}

#[function_component(Diagram)]
pub fn diagram(p: &DiagramProps) -> Html {
    let menu = use_state(|| None::<Menu>);
    // The message under the pointer (hovered: highlighted here and in the space-time view).
    let over = use_state_eq(|| None::<u64>);
    let key = use_state(String::new);
    let value = use_state(|| 1i64);
    let nodes = p.view.nodes.len();
    let geo = Geo::of(&p.view, p.kind);
    let clients = p.view.clients.len();
    // Memoised, so that the static layer re-renders only when the pane's state changes, not on
    // every animation frame.
    let on_node = {
        let setter = menu.setter();
        let open = (*menu).clone();
        use_callback(
            (p.view.clone(), p.kind, p.on_select.clone(), open),
            move |n: NodeId, (view, kind, on_select, open)| {
                setter.set(if *open == Some(Menu::Node(n)) { None } else { Some(Menu::Node(n)) });
                if let Some(info) = view.nodes.get(n.0 as usize) {
                    on_select.emit(Selection::Node { pane: *kind, info: Box::new(info.clone()) });
                }
            },
        )
    };
    let on_client = {
        let setter = menu.setter();
        use_callback((*menu).clone(), move |c: ClientId, open| {
            setter.set(if *open == Some(Menu::Client(c)) { None } else { Some(Menu::Client(c)) });
        })
    };
    let close = {
        let menu = menu.clone();
        Callback::from(move |_| menu.set(None))
    };
    // An open menu closes on Esc and on a press anywhere outside it (as the Keys dialog says),
    // through listeners on the document that live as long as the menu is open.
    {
        let menu = menu.clone();
        use_effect_with(menu.is_some(), move |open| {
            let mut listeners = Vec::new();
            if let (true, Some(doc)) = (*open, web_sys::window().and_then(|w| w.document())) {
                let on_key = {
                    let menu = menu.clone();
                    listen(doc.as_ref(), "keydown", move |e| {
                        if e.dyn_ref::<KeyboardEvent>().is_some_and(|k| k.key() == "Escape") {
                            menu.set(None);
                        }
                    })
                };
                let on_press = listen(doc.as_ref(), "pointerdown", move |e| {
                    let inside = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .and_then(|el| el.closest(".node-menu, .node, .client").ok().flatten())
                        .is_some();
                    if !inside {
                        menu.set(None);
                    }
                });
                listeners.push((doc, on_key, "keydown"));
                listeners.push((
                    web_sys::window().and_then(|w| w.document()).expect("the document"),
                    on_press,
                    "pointerdown",
                ));
            }
            move || {
                for (doc, c, event) in listeners {
                    let _ = doc.remove_event_listener_with_callback(event, c.as_ref().unchecked_ref());
                }
            }
        });
    }
    let act = |label: String, action: String| {
        let cb = p.on_intervene.clone();
        let menu = menu.clone();
        html! { <button role="menuitem" onclick={Callback::from(move |_| { cb.emit(action.clone()); menu.set(None); })}>{ label }</button> }
    };
    let endpoint_name =
        |i: usize| if i < nodes { NodeId(i as u8).to_string() } else { ClientId((i - nodes) as u8).to_string() };
    let popup = match (*menu).clone() {
        Some(Menu::Node(n)) => p.view.nodes.get(n.0 as usize).map(|info| {
            let (x, y) = place(Endpoint::Node(n), geo);
            let style = format!("left: {:.1}%; top: {:.1}%;", x / W * 100.0, (y + NODE_R + 4.0) / H * 100.0);
            let down = info.liveness == Liveness::Down;
            let paused = info.liveness == Liveness::Paused;
            let others: Vec<String> = (0..nodes + clients).filter(|i| *i != n.0 as usize).map(endpoint_name).collect();
            // Labelled by the engine's `menu_item`, which tours' instructions quote.
            let item = |action: String| {
                let label = replicascope_engine::page::menu_item(&action).map(|(l, _)| l).unwrap_or_default();
                act(label, action)
            };
            let mut items = vec![if down { item(format!("restart {n}")) } else { item(format!("crash {n}")) }];
            if paused {
                items.push(act(format!("Resume {n}"), format!("resume {n}")));
            } else if !down {
                items.push(act(format!("Pause {n} for 2 s (a long GC)"), format!("pause {n} 2s")));
            }
            items.push(act("Skew its clock +500 ms".into(), format!("skew {n} +500ms")));
            items.push(act("Skew its clock −500 ms".into(), format!("skew {n} -500ms")));
            if nodes > 1 {
                items.push(act(
                    format!("Cut {n} off from everyone else"),
                    format!("partition {n} | {}", others.join(",")),
                ));
                let start = {
                    let menu = menu.clone();
                    let mut sides = vec![false; nodes + clients];
                    sides[n.0 as usize] = true;
                    Callback::from(move |_| menu.set(Some(Menu::Partition(sides.clone()))))
                };
                items.push(html! { <button role="menuitem" onclick={start}>{"Choose a partition…"}</button> });
            }
            items.push(act("Slow its disk ×20".into(), format!("slow_disk {n} x20")));
            if p.kind == TopologyKind::LeaderFollower && !down && info.view.role != Role::Leader {
                items.push(item(format!("promote {n}")));
            }
            if !p.view.blocked.is_empty() {
                items.push(act("Heal all partitions".into(), "heal".into()));
            }
            html! {
                <div class="node-menu" role="menu" aria-label={format!("Actions for {n}")} style={style}>
                    <div class="menu-title">{ format!("{n} — at this moment") }</div>
                    { for items }
                    <button class="secondary" onclick={close.clone()}>{"Close"}</button>
                </div>
            }
        }),
        Some(Menu::Client(c)) => {
            let (x, y) = place(Endpoint::Client(c), geo);
            let style = format!("left: {:.1}%; bottom: {:.1}%;", x / W * 100.0, (H - y + 14.0) / H * 100.0);
            let current =
                if key.is_empty() { p.keys.first().cloned().unwrap_or_else(|| "x".into()) } else { (*key).clone() };
            let on_key = {
                let key = key.clone();
                Callback::from(move |e: Event| {
                    if let Some(s) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
                        key.set(s.value());
                    }
                })
            };
            let on_value = {
                let value = value.clone();
                Callback::from(move |e: Event| {
                    if let Some(i) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                        if let Ok(v) = i.value().trim().parse::<i64>() {
                            value.set(v.clamp(-1_000_000_000, 1_000_000_000));
                        }
                    }
                })
            };
            let keys: Vec<String> = if p.keys.is_empty() { vec!["x".into()] } else { (*p.keys).clone() };
            Some(html! {
                <div class="node-menu client-menu" role="menu" aria-label={format!("Requests as {c}")} style={style}>
                    <div class="menu-title">{ format!("Send a request as {c}") }</div>
                    <label class="menu-field"><span>{"Key"}</span>
                        <select onchange={on_key} aria-label="Key">
                            { for keys.iter().map(|k| html! { <option value={k.clone()} selected={*k == current}>{ k.clone() }</option> }) }
                        </select>
                    </label>
                    <label class="menu-field"><span>{"Value"}</span>
                        <input type="number" value={value.to_string()} onchange={on_value} aria-label="Value" />
                    </label>
                    { act(format!("Write {current} = {}", *value), format!("{c}: write {current} = {}", *value)) }
                    { act(format!("Read {current}"), format!("{c}: read {current}")) }
                    <button class="secondary" onclick={close.clone()}>{"Close"}</button>
                </div>
            })
        }
        Some(Menu::Partition(sides)) => {
            let toggles = (0..nodes + clients).map(|i| {
                let menu = menu.clone();
                let mut next = sides.clone();
                next[i] = !next[i];
                let name = endpoint_name(i);
                html! {
                    <button class={classes!("side", if sides[i] { "right" } else { "left" })} aria-pressed={sides[i].to_string()}
                        title="Click to move to the other side"
                        onclick={Callback::from(move |_| menu.set(Some(Menu::Partition(next.clone()))))}>{ name }</button>
                }
            });
            let left: Vec<String> = (0..nodes + clients).filter(|i| !sides[*i]).map(endpoint_name).collect();
            let right: Vec<String> = (0..nodes + clients).filter(|i| sides[*i]).map(endpoint_name).collect();
            let valid = !left.is_empty() && !right.is_empty();
            let apply = if valid {
                act(
                    format!("Cut {} | {}", left.join(","), right.join(",")),
                    format!("partition {} | {}", left.join(","), right.join(",")),
                )
            } else {
                html! { <p class="muted small">{"Put at least one node or client on each side."}</p> }
            };
            Some(html! {
                <div class="node-menu partition-menu" role="dialog" aria-label="Choose a partition" style="left: 50%; top: 30%;">
                    <div class="menu-title">{"Two sides of a network partition"}</div>
                    <div class="sides">{ for toggles }</div>
                    <p class="muted small">{"Dark: one side. Light: the other. Messages between the sides are lost until healed."}</p>
                    { apply }
                    <button class="secondary" onclick={close.clone()}>{"Cancel"}</button>
                </div>
            })
        }
        None => None,
    };
    // Messages: painted on the canvas by the animation loop (see `MessageLayer`), hit-tested
    // here against what was painted last.
    let layer = p.messages.clone();
    let at_pointer = {
        let layer = layer.clone();
        let reduced = p.reduced_motion;
        // The message under the pointer, and whether a node or a client is there too.
        move |e: &MouseEvent| -> (Option<u64>, bool) {
            let Some(c) = layer.canvas.cast::<web_sys::Element>() else { return (None, false) };
            let r = c.get_bounding_client_rect();
            let scale = (r.width() / W).min(r.height() / H);
            if scale <= 0.0 {
                return (None, false);
            }
            let (ox, oy) = ((r.width() - W * scale) / 2.0, (r.height() - H * scale) / 2.0);
            let x = (e.client_x() as f64 - r.left() - ox) / scale;
            let y = (e.client_y() as f64 - r.top() - oy) / scale;
            (message_at(&layer.drawn.borrow(), x, y, geo, reduced), on_endpoint(x, y, geo, nodes, clients))
        }
    };
    let onmousemove = {
        let at = at_pointer.clone();
        let over = over.clone();
        let cb = p.on_hover.clone();
        let layer = layer.clone();
        Callback::from(move |e: MouseEvent| {
            let (id, _) = at(&e);
            if id != *over {
                over.set(id);
                layer.hover(id);
                cb.emit(id.map(Highlight::Msg));
            }
        })
    };
    let onmouseleave = {
        let over = over.clone();
        let cb = p.on_hover.clone();
        let layer = layer.clone();
        Callback::from(move |_: MouseEvent| {
            if over.is_some() {
                over.set(None);
                layer.hover(None);
                cb.emit(None);
            }
        })
    };
    let onclick = {
        let at = at_pointer.clone();
        let layer = layer.clone();
        let on_select = p.on_select.clone();
        let kind = p.kind;
        // A click on a node or a client is theirs even with a message passing over it (issue
        // 18): only a click between them picks the message.
        Callback::from(move |e: MouseEvent| {
            if let (Some(id), false) = at(&e) {
                if let Some(f) = layer.drawn.borrow().iter().find(|f| f.record.id == id) {
                    on_select.emit(Selection::Message { pane: kind, record: Box::new(f.record.clone()) });
                }
            }
        })
    };
    let ondblclick = {
        let at = at_pointer;
        let cb = p.on_intervene.clone();
        Callback::from(move |e: MouseEvent| {
            if let (Some(id), false) = at(&e) {
                cb.emit(format!("drop msg {id}"));
            }
        })
    };
    html! {
        <div class={classes!("diagram-wrap", over.is_some().then_some("over-message"))}
            {onmousemove} {onmouseleave} {onclick} {ondblclick}>
            <svg class="diagram" viewBox={format!("0 0 {W} {H}")} role="img"
                aria-label={format!("{} cluster diagram", p.kind.title())}>
                <StaticLayer view={p.view.clone()} kind={p.kind} on_node={on_node} on_client={on_client} on_select={p.on_select.clone()} />
            </svg>
            <canvas ref={layer.canvas.clone()} class="diagram-messages" role="img" />
            { popup.unwrap_or_default() }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StaticProps {
    view: Shared<PaneView>,
    kind: TopologyKind,
    on_node: Callback<NodeId>,
    on_client: Callback<ClientId>,
    on_select: Callback<Selection>,
}

/// The lines between nodes: each node's replication links, as its view gives them, once per
/// pair.
fn links(view: &PaneView) -> Vec<(usize, usize)> {
    let n = view.nodes.len();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, node) in view.nodes.iter().enumerate() {
        for to in node.view.links.iter().map(|t| t.0 as usize).filter(|t| *t < n && *t != i) {
            if !out.iter().any(|&(a, b)| (a, b) == (i, to) || (a, b) == (to, i)) {
                out.push((i, to));
            }
        }
    }
    out
}

#[function_component(StaticLayer)]
fn static_layer(p: &StaticProps) -> Html {
    let v = &p.view;
    let clients = v.clients.len();
    let geo = Geo::of(v, p.kind);
    let pos = |e: Endpoint| place(e, geo);
    let link_lines = links(v).into_iter().map(|(a, b)| {
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
            Role::Leader | Role::Hub | Role::Standalone => "leader",
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
        // Replicas that are merely behind differ too; "diverged" is for data that differs
        // without the node being behind (conflicting values, a deposed leader's writes).
        let divergent = v.observation.divergent.get(i).copied().unwrap_or(false) && lag.is_none();
        let on_node = p.on_node.clone();
        let status = match info.liveness {
            Liveness::Up => String::new(),
            Liveness::Down => " (down)".into(),
            Liveness::Paused => " (paused)".into(),
        };
        let label_role = format!("{}{}", role.label(), info.view.epoch.as_ref().map(|e| format!(" · {e}")).unwrap_or_default());
        let label_y = if y > CY + 10.0 { y + NODE_R + 12.0 } else { y - NODE_R - 6.0 };
        let partitioned = cut_pairs.iter().any(|(a, b)| *a == id.0 || *b == id.0);
        let badges: Vec<String> = lag_text
            .into_iter()
            .chain(skew)
            .chain(partitioned.then(|| "partitioned".to_string()))
            .chain(divergent.then(|| "diverged".to_string()))
            .collect();
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
    let box_w = client_box_w(clients);
    let client_label = box_w >= 24.0;
    let client_els = v.clients.iter().map(|c| {
        let (x, y) = pos(Endpoint::Client(c.id));
        let cut = blocked_clients.contains(&Endpoint::Client(c.id));
        let id = c.id;
        let on_client = p.on_client.clone();
        let on_key = p.on_client.clone();
        html! {
            <g class={classes!("client", c.busy_with.is_some().then_some("busy"), cut.then_some("cut-off"))} data-client={c.id.to_string()}
                tabindex="0" role="button" aria-label={format!("client {}: send a read or write", c.id)}
                onclick={Callback::from(move |_| on_client.emit(id))}
                onkeydown={Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" { on_key.emit(id) })}>
                <rect x={f(x - box_w / 2.0)} y={f(y - 11.0)} width={f(box_w)} height="22" rx="5" />
                if client_label { <text x={f(x)} y={f(y + 1.0)}>{ c.id.to_string() }</text> }
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

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// Width of a client's box when `clients` share the row.
fn client_box_w(clients: usize) -> f64 {
    (client_step(clients) - 4.0).clamp(8.0, 32.0)
}

/// Whether `(x, y)` (diagram units) is on a node's circle or a client's box.
pub fn on_endpoint(x: f64, y: f64, geo: Geo, nodes: usize, clients: usize) -> bool {
    let near_node = (0..nodes).any(|i| {
        let (nx, ny) = place(Endpoint::Node(NodeId(i as u8)), geo);
        (nx - x).hypot(ny - y) <= NODE_R + 2.0
    });
    let half_w = client_box_w(clients) / 2.0;
    let near_client = (0..clients).any(|i| {
        let (cx, cy) = place(Endpoint::Client(ClientId(i as u8)), geo);
        (cx - x).abs() <= half_w && (cy - y).abs() <= 11.0
    });
    near_node || near_client
}
