//! The views that explain: the space-time (Lamport) diagram, the failover timeline, conflicts
//! resolved step by step, quorums, Merkle trees, and the list of anomalies.

use super::diagram::kind_letter;
use super::shared::{use_clock, Clock, Highlight, Shared};
use crate::derive::{Failover, SpaceTime};
use replicascope_engine::page::human_duration;
use replicascope_engine::page::Anomaly;
use replicascope_engine::page::Names;
use replicascope_engine::page::{ConflictRecord, MerkleRecord, QuorumRecord};
use replicascope_engine::page::{Endpoint, NodeId};
use std::rc::Rc;
use yew::prelude::*;

fn f(v: f64) -> String {
    format!("{v:.1}")
}

// ---- Space-time -----------------------------------------------------------------------------

#[derive(Properties, PartialEq)]
pub struct SpaceTimeProps {
    /// Everything in a window a little wider than the visible one; replaced only when the
    /// visible window leaves it, so that playing moves one transform, not every arrow.
    pub data: Shared<SpaceTime>,
    /// The displayed time (the "now" line follows it every frame), and the visible span in
    /// microseconds.
    pub clock: Shared<Clock>,
    pub window: u64,
    pub highlight: Option<Highlight>,
    pub on_hover: Callback<Option<Highlight>>,
    pub on_pick: Callback<u64>,
}

const ST_W: f64 = 360.0;
const ST_H: f64 = 300.0;
const ST_TOP: f64 = 22.0;

fn st_x(d: &SpaceTime, e: Endpoint) -> f64 {
    let columns = d.nodes + d.clients;
    let i = e.index(d.nodes) as f64;
    24.0 + i * (ST_W - 48.0) / (columns.max(2) - 1) as f64
}

#[function_component(SpaceTimeView)]
pub fn space_time(p: &SpaceTimeProps) -> Html {
    let now = use_clock(&p.clock, |c| c.time());
    let d = &p.data;
    let columns = d.nodes + d.clients;
    let scale = (ST_H - ST_TOP - 6.0) / p.window.max(1) as f64;
    let view_from = now - p.window as f64 * 7.0 / 8.0;
    let shift = ST_TOP + (d.from as f64 - view_from) * scale;
    let lines = (0..columns).map(|i| {
        let e = if i < d.nodes {
            Endpoint::Node(NodeId(i as u8))
        } else {
            Endpoint::Client(replicascope_engine::page::ClientId((i - d.nodes) as u8))
        };
        let x = st_x(d, e);
        html! {
            <g class={classes!("st-line", matches!(e, Endpoint::Client(_)).then_some("client"))}>
                <line x1={f(x)} y1={f(ST_TOP)} x2={f(x)} y2={f(ST_H - 4.0)} />
                <text x={f(x)} y="14">{ e.to_string() }</text>
            </g>
        }
    });
    let now_y = ST_TOP + (now - view_from) * scale;
    // Three layers with one box and one viewBox: the lines; the content, which moves as time
    // passes; the "now" line and time on top. The content moves by a CSS transform on its own
    // `<svg>` (a composited layer), so that a frame repaints none of its arrows. The export
    // stacks the layers back into one document (`data-export-*`, see `host::svg_document`).
    let moving = format!("transform: translateY({:.4}%)", shift / ST_H * 100.0);
    let clip_top = format!("{:.4}%", (ST_TOP - 2.0) / ST_H * 100.0);
    html! {
        <div class="space-time">
            <div class="st-frame">
                <svg class="st-base" viewBox={format!("0 0 {ST_W} {ST_H}")} role="img" aria-label="Space-time diagram: one vertical line per node and client, time flowing down, messages as arrows">
                    <defs>
                        <marker id="st-head" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
                            <path d="M0,0 L6,3 L0,6 z" class="st-head" />
                        </marker>
                        <clipPath id="st-clip"><rect x="0" y={f(ST_TOP - 2.0)} width={f(ST_W)} height={f(ST_H - ST_TOP + 2.0)} /></clipPath>
                    </defs>
                    { for lines }
                </svg>
                <div class="st-window" style={format!("clip-path: inset({clip_top} 0 0 0)")}>
                    <svg class="st-moving" viewBox={format!("0 0 {ST_W} {ST_H}")} style={moving} aria-hidden="true"
                        data-export-transform={format!("translate(0 {shift:.2})")} data-export-clip="url(#st-clip)">
                        <StContent data={p.data.clone()} scale={scale} highlight={p.highlight} on_hover={p.on_hover.clone()} on_pick={p.on_pick.clone()} />
                    </svg>
                </div>
                <svg class="st-top" viewBox={format!("0 0 {ST_W} {ST_H}")} aria-hidden="true">
                    <line class="st-now" x1="2" y1={f(now_y)} x2={f(ST_W - 2.0)} y2={f(now_y)} />
                    <text class="st-time" x={f(ST_W - 4.0)} y={f(now_y - 3.0)}>{ human_duration(now as u64) }</text>
                </svg>
            </div>
            <p class="muted small">{"Time flows down. Hover an arrow to find the message in the diagram and its entries in the logs; click it to inspect. Client operations are bars on their line."}</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StContentProps {
    data: Shared<SpaceTime>,
    scale: f64,
    highlight: Option<Highlight>,
    on_hover: Callback<Option<Highlight>>,
    on_pick: Callback<u64>,
}

/// Arrows, operations and marks at fixed coordinates (relative to the data's start).
#[function_component(StContent)]
fn st_content(p: &StContentProps) -> Html {
    let d = &p.data;
    let y_of = |t: u64| t.saturating_sub(d.from) as f64 * p.scale;
    let bottom = y_of(d.to);
    // Time ticks every half second (or every 5 s when zoomed out).
    let step: u64 = if d.to - d.from > 20_000_000 { 5_000_000 } else { 500_000 };
    let ticks = (d.from.div_ceil(step)..=d.to / step).map(|k| {
        let t = k * step;
        html! { <g class="st-tick"><line x1="0" y1={f(y_of(t))} x2="8" y2={f(y_of(t))} /><text x="2" y={f(y_of(t) - 2.0)}>{ human_duration(t) }</text></g> }
    });
    let marks = d.marks.iter().map(|m| {
        let y = y_of(m.time);
        html! {
            <g class={classes!("st-mark", m.class)}>
                <line x1="4" y1={f(y)} x2={f(ST_W - 4.0)} y2={f(y)} />
                <title>{ format!("{} — {}", human_duration(m.time), m.label) }</title>
            </g>
        }
    });
    let ops = d.ops.iter().map(|o| {
        let x = st_x(d, Endpoint::Client(replicascope_engine::page::ClientId(o.session)));
        let y1 = y_of(o.start);
        let y2 = o.end.map(y_of).unwrap_or(bottom);
        let class = match o.ok {
            Some(true) => "ok",
            Some(false) => "failed",
            None => "pending",
        };
        let id = o.id as u64;
        let hl = p.highlight == Some(Highlight::Op(id));
        let enter = p.on_hover.clone();
        let leave = p.on_hover.clone();
        html! {
            <g class={classes!("st-op", class, hl.then_some("highlight"))}
                onmouseenter={Callback::from(move |_| enter.emit(Some(Highlight::Op(id))))}
                onmouseleave={Callback::from(move |_| leave.emit(None))}>
                <rect x={f(x - 3.0)} y={f(y1)} width="6" height={f((y2 - y1).max(1.5))} rx="2" />
                <title>{ format!("c{} #{}: {} ({}{})", o.session + 1, o.id, o.label, human_duration(o.start), o.end.map(|e| format!("–{}", human_duration(e))).unwrap_or_default()) }</title>
            </g>
        }
    });
    let arrows = d.arrows.iter().map(|a| {
        let (x1, y1) = (st_x(d, a.from), y_of(a.sent));
        let (mut x2, mut y2) = (st_x(d, a.to), y_of(a.deliver));
        if a.dropped.is_some() {
            // A lost message stops halfway, where it died.
            x2 = (x1 + x2) / 2.0;
            y2 = (y1 + y2) / 2.0;
        }
        let id = a.id;
        let hover = p.on_hover.clone();
        let leave = p.on_hover.clone();
        let pick = p.on_pick.clone();
        let hl = p.highlight.is_some_and(|h| h.matches(id, a.op.map(u64::from)));
        html! {
            <g key={id.to_string()} class={classes!("st-arrow", a.kind.name(), a.dropped.is_some().then_some("dropped"), hl.then_some("highlight"))}
                data-msg={id.to_string()}
                onmouseenter={Callback::from(move |_| hover.emit(Some(Highlight::Msg(id))))}
                onmouseleave={Callback::from(move |_| leave.emit(None))}
                onclick={Callback::from(move |_| pick.emit(id))}>
                <line class="hit" x1={f(x1)} y1={f(y1)} x2={f(x2)} y2={f(y2)} />
                <line class="shaft" x1={f(x1)} y1={f(y1)} x2={f(x2)} y2={f(y2)} marker-end={if a.dropped.is_some() { "" } else { "url(#st-head)" }} />
                if a.dropped.is_some() { <text class="lost" x={f(x2)} y={f(y2 + 3.0)}>{"✕"}</text> }
                <title>{ format!("{} {} → {}: {} (sent {}, {}{})", a.kind.legend(), a.from, a.to, a.label, human_duration(a.sent), if a.dropped.is_some() { "lost" } else { "arrives " }, if a.dropped.is_some() { String::new() } else { human_duration(a.deliver) }) }</title>
            </g>
        }
    });
    html! {
        <>
            <g class="st-ticks">{ for ticks }</g>
            { for marks }
            { for ops }
            <g class="st-arrows">{ for arrows }</g>
        </>
    }
}

// ---- Failover -------------------------------------------------------------------------------

#[derive(Properties, PartialEq)]
pub struct FailoverProps {
    pub data: Shared<Failover>,
    pub now: u64,
    pub on_jump: Callback<u64>,
}

/// The failover timeline (plain functions here and below: stateless views cost less as
/// functions than as components).
pub fn failover(p: &FailoverProps) -> Html {
    let d = &p.data;
    if d.events.is_empty() {
        return html! { <p class="muted">{"No failover in this run: the leader never stopped answering."}</p> };
    }
    // As of the playhead: what has happened, and how much more this run holds.
    let now = p.now;
    let shown: Vec<_> = d.events.iter().filter(|e| e.time <= now).collect();
    let lost: Vec<&String> = d.lost.iter().filter(|(t, _)| *t <= now).map(|(_, l)| l).collect();
    let split: Vec<&String> = d.split_brain.iter().filter(|(t, _)| *t <= now).map(|(_, l)| l).collect();
    let fenced = d.fenced.iter().filter(|t| **t <= now).count();
    let later = d.events.len() - shown.len() + d.lost.len() - lost.len() + d.split_brain.len() - split.len();
    let items = shown.into_iter().map(|e| {
        let t = e.time;
        let jump = p.on_jump.clone();
        html! {
            <li class={classes!("fo-event", e.stage, "past")}>
                <button class="fo-time link-button" onclick={Callback::from(move |_| jump.emit(t))}>{ human_duration(t) }</button>
                <span class="fo-stage">{ e.stage }</span>
                <span class="fo-text">{ e.text.clone() }</span>
            </li>
        }
    });
    html! {
        <div class="failover">
            <ol class="fo-timeline">{ for items }</ol>
            if !lost.is_empty() {
                <h4>{ format!("Acknowledged writes lost ({})", lost.len()) }</h4>
                <ul class="fo-list">{ for lost.iter().take(8).map(|l| html! { <li>{ (*l).clone() }</li> }) }</ul>
            }
            if !split.is_empty() {
                <h4>{"Split-brain"}</h4>
                <ul class="fo-list">{ for split.iter().map(|l| html! { <li>{ (*l).clone() }</li> }) }</ul>
            }
            if fenced > 0 {
                <p>{ format!("{fenced} write(s) from a deposed leader were refused by a replica that knew the newer epoch (fencing).") }</p>
            }
            if later > 0 {
                <p class="muted small later">{ later_text(later, if d.events.first().is_some_and(|e| e.time > now) { "Nothing has failed over yet" } else { "" }) }</p>
            }
        </div>
    }
}

// ---- Conflicts ------------------------------------------------------------------------------

#[derive(Properties, PartialEq)]
pub struct ConflictViewProps {
    pub record: ConflictRecord,
    pub names: Rc<Names>,
    /// Each node's clock offset (µs) at the time, to show why timestamps mislead.
    pub clock_offsets: Vec<i64>,
}

/// Resolution, step by step: the versions; their vectors compared component by component; the
/// verdict; the rule; the result with what was discarded struck through.
#[function_component(ConflictView)]
pub fn conflict_view(p: &ConflictViewProps) -> Html {
    let step = use_state(|| 0usize);
    let c = &p.record;
    let last_step = 4;
    let s = *step;
    let next = {
        let step = step.clone();
        Callback::from(move |_| step.set((*step + 1).min(last_step)))
    };
    let all = {
        let step = step.clone();
        Callback::from(move |_| step.set(last_step))
    };
    let restart = {
        let step = step.clone();
        Callback::from(move |_| step.set(0))
    };
    let versions = c.versions.iter().enumerate().map(|(i, v)| {
        let kept = c.kept.contains(&(i as u32));
        let lost = s >= 4 && !kept;
        let skew = p.clock_offsets.get(v.origin.0 as usize).copied().unwrap_or(0);
        html! {
            <div class={classes!("cv-version", (s >= 4 && kept).then_some("winner"), lost.then_some("loser"))}>
                <div class="cv-label">{ v.label.clone() }</div>
                <div class="cv-meta">{ format!("from {}{}", v.origin, v.write.map(|w| format!(", write #{w}")).unwrap_or_default()) }</div>
                if !v.vector.is_empty() {
                    <div class="cv-vector">
                        { for v.vector.iter().enumerate().map(|(k, x)| html! { <span class="cv-component" title={format!("writes from n{}", k + 1)}>{ x.to_string() }</span> }) }
                    </div>
                }
                if v.timestamp > 0 {
                    <div class="cv-ts">{ format!("timestamp {:.3} s", v.timestamp as f64 / 1e6) }
                        if skew != 0 { <span class="cv-skew">{ format!(" — {}'s clock is {:+} ms off", v.origin, skew / 1000) }</span> }
                    </div>
                }
            </div>
        }
    });
    // Component-by-component comparison of the first two vectors.
    let compare = if c.versions.len() >= 2 && !c.versions[0].vector.is_empty() && s >= 1 {
        let a = &c.versions[0].vector;
        let b = &c.versions[c.versions.len() - 1].vector;
        let cells = (0..a.len().max(b.len())).map(|k| {
            let (x, y) = (a.get(k).copied().unwrap_or(0), b.get(k).copied().unwrap_or(0));
            let sym = if x > y { ">" } else if x < y { "<" } else { "=" };
            html! { <span class={classes!("cv-cmp", match sym { ">" => "gt", "<" => "lt", _ => "eq" })}>{ format!("n{}: {x} {sym} {y}", k + 1) }</span> }
        });
        html! { <div class="cv-compare">{ for cells }</div> }
    } else {
        html! {}
    };
    html! {
        <div class="conflict-view" data-step={s.to_string()}>
            <div class="cv-versions">{ for versions }</div>
            { compare }
            if s >= 2 { <p class="cv-verdict"><strong>{"Verdict: "}</strong>{ c.comparison.clone() }</p> }
            if s >= 3 {
                <div class="cv-rule">
                    <p><strong>{"Rule: "}</strong>{ c.rule.clone() }</p>
                    if !c.steps.is_empty() { <ul>{ for c.steps.iter().map(|x| html! { <li>{ x.clone() }</li> }) }</ul> }
                </div>
            }
            if s >= 4 {
                <p class="cv-result"><strong>{"Result: "}</strong>{ c.result.clone() }
                    if !c.discarded.is_empty() { <span class="cv-discarded">{ format!(" — discarded: {}", c.discarded.iter().map(|w| format!("write #{w}")).collect::<Vec<_>>().join(", ")) }</span> }
                </p>
            }
            <div class="cv-buttons">
                if s < last_step {
                    <button class="button" onclick={next}>{ ["Compare the vectors", "Verdict", "Apply the rule", "Show the result"][s.min(3)] }</button>
                    <button class="button secondary" onclick={all}>{"Show all"}</button>
                } else {
                    <button class="button secondary" onclick={restart}>{"Replay the steps"}</button>
                }
            </div>
        </div>
    }
}

// ---- Quorums --------------------------------------------------------------------------------

#[derive(Properties, PartialEq)]
pub struct QuorumViewProps {
    pub record: QuorumRecord,
    /// For a read: the last write quorum of the same key before it.
    pub last_write: Option<QuorumRecord>,
    /// For a read: the read repair that followed it, if any (when, and which replicas).
    #[prop_or_default]
    pub repair: Option<(u64, Vec<NodeId>)>,
}

pub fn quorum_view(p: &QuorumViewProps) -> Html {
    let q = &p.record;
    let w_set: Vec<NodeId> =
        p.last_write.as_ref().map(|w| w.answered.iter().map(|(n, _)| *n).collect()).unwrap_or_default();
    let r_set: Vec<NodeId> = if q.write { Vec::new() } else { q.answered.iter().map(|(n, _)| *n).collect() };
    let mine: Vec<NodeId> = q.answered.iter().map(|(n, _)| *n).collect();
    let replicas = q.home.iter().chain(q.stand_ins.iter().map(|(s, _)| s)).enumerate().map(|(i, n)| {
        let x = 40.0 + i as f64 * 70.0;
        let in_w = if q.write { mine.contains(n) } else { w_set.contains(n) };
        let in_r = r_set.contains(n);
        let stale = q.stale.contains(n);
        let stand_in = q.stand_ins.iter().any(|(s, _)| s == n);
        let version = q.answered.iter().find(|(m, _)| m == n).map(|(_, v)| v.clone()).unwrap_or_else(|| "no answer in time".into());
        html! {
            <g class={classes!("qv-node", in_w.then_some("in-w"), in_r.then_some("in-r"), (in_w && in_r).then_some("overlap"), stale.then_some("stale"), stand_in.then_some("stand-in"))}>
                <circle cx={f(x)} cy="40" r="20" />
                <text x={f(x)} y="44">{ n.to_string() }</text>
                <text class="qv-version" x={f(x)} y="78">{ version }</text>
                <title>{ format!("{n}{}{}{}{}", if in_w { ": in the write quorum" } else { "" }, if in_r { ", answered the read" } else { "" }, if stale { ", stale" } else { "" }, if stand_in { ", a stand-in (sloppy quorum)" } else { "" }) }</title>
            </g>
        }
    });
    let width = 80.0 + (q.home.len() + q.stand_ins.len()) as f64 * 70.0;
    let overlap: Vec<String> = r_set.iter().filter(|n| w_set.contains(n)).map(|n| n.to_string()).collect();
    html! {
        <div class="quorum-view">
            { super::charts::save_button(&format!("quorum {} {}", if q.write { "write" } else { "read" }, q.coordinator)) }
            <svg viewBox={format!("0 0 {width} 90")} role="img" aria-label="Replicas of the key, with the write and read quorums">{ for replicas }</svg>
            <ul class="qv-legend">
                <li><span class="sw in-w" />{ if q.write { "acknowledged this write" } else { "acknowledged the last write" } }</li>
                if !q.write { <li><span class="sw in-r" />{"answered this read"}</li> }
                <li><span class="sw stale" />{"answered with an older version"}</li>
            </ul>
            <p>{ format!("Needed {} of {} home replicas ({}).", q.need, q.home.len(), q.home.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")) }</p>
            if !q.write {
                if p.last_write.is_some() {
                    if overlap.is_empty() {
                        <p class="warn">{"The read set missed every replica of the last write quorum: no overlap, so the read can be stale."}</p>
                    } else {
                        <p>{ format!("Overlap with the last write quorum: {} — at least one answer had the latest write.", overlap.join(", ")) }</p>
                    }
                }
                <p>{ format!("Returned: {}", q.result) }</p>
                if !q.stale.is_empty() {
                    <p>{ format!("Stale replicas: {}.", q.stale.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")) }
                        { match &p.repair {
                            Some((t, nodes)) => format!(" Read repair wrote the newest version back to {} at {}.", nodes.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "), human_duration(*t)),
                            None => " Nothing repaired them after this read (read repair is off, or did not reach them): they stay stale until a later write, another read, or anti-entropy.".to_string(),
                        } }
                    </p>
                }
            }
            if !q.stand_ins.is_empty() {
                <p>{ format!("Sloppy quorum: {} (hints to hand back later).", q.stand_ins.iter().map(|(s, h)| format!("{s} stood in for {h}")).collect::<Vec<_>>().join(", ")) }</p>
            }
        </div>
    }
}

// ---- Merkle ---------------------------------------------------------------------------------

#[derive(Properties, PartialEq)]
pub struct MerkleViewProps {
    pub record: MerkleRecord,
    pub names: Rc<Names>,
}

#[allow(clippy::needless_range_loop)] // i is the heap index of the tree node, not just a position
fn tree(hashes: &[u64], differing: &[u32], x0: f64, label: &str) -> Html {
    let n = hashes.len();
    let depth = (n + 1).ilog2() as usize;
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let width = 300.0;
    for i in 0..n {
        let level = (i + 1).ilog2() as usize;
        let first = (1 << level) - 1;
        let count = 1 << level;
        let pos = i - first;
        let x = x0 + (pos as f64 + 0.5) * width / count as f64;
        let y = 24.0 + level as f64 * 46.0;
        if i > 0 {
            let parent = (i - 1) / 2;
            let plevel = level - 1;
            let pfirst = (1 << plevel) - 1;
            let px = x0 + ((parent - pfirst) as f64 + 0.5) * width / (1 << plevel) as f64;
            let py = 24.0 + plevel as f64 * 46.0;
            edges.push(html! { <line class={classes!("mk-edge", differing.contains(&(i as u32)).then_some("diff"))} x1={f(px)} y1={f(py)} x2={f(x)} y2={f(y)} /> });
        }
        let diff = differing.contains(&(i as u32));
        nodes.push(html! {
            <g class={classes!("mk-node", diff.then_some("diff"))}>
                <rect x={f(x - 15.0)} y={f(y - 9.0)} width="30" height="18" rx="3" />
                <text x={f(x)} y={f(y + 3.5)}>{ format!("{:04x}", hashes[i] & 0xffff) }</text>
            </g>
        });
    }
    let _ = depth;
    html! { <g><text class="mk-title" x={f(x0 + width / 2.0)} y="8">{ label.to_string() }</text>{ for edges }{ for nodes }</g> }
}

pub fn merkle_view(p: &MerkleViewProps) -> Html {
    let m = &p.record;
    let leaves = m.leaf_keys.len();
    let levels = (2 * leaves).max(2).ilog2() as f64;
    let height = 40.0 + levels * 46.0;
    let leaf_list = m.leaf_keys.iter().enumerate().map(|(i, keys)| {
        let index = (leaves - 1 + i) as u32;
        let diff = m.differing.contains(&index);
        html! {
            <li class={classes!(diff.then_some("diff"))}>
                { format!("leaf {}: {}", i + 1, if keys.is_empty() { "—".to_string() } else { keys.iter().map(|k| p.names.get(*k).to_string()).collect::<Vec<_>>().join(", ") }) }
            </li>
        }
    });
    html! {
        <div class="merkle-view">
            { super::charts::save_button(&format!("merkle {} {}", m.a, m.b)) }
            <svg viewBox={format!("0 0 640 {height}")} role="img" aria-label="The two Merkle trees, differing hashes highlighted">
                { tree(&m.tree_a, &m.differing, 10.0, &format!("{}'s tree", m.a)) }
                { tree(&m.tree_b, &m.differing, 330.0, &format!("{}'s tree", m.b)) }
            </svg>
            <p>{ if m.differing.is_empty() {
                "The roots are equal: the replicas agree on every shared key, and nothing more is exchanged.".to_string()
            } else {
                format!("The roots differ, so the replicas compare children and follow only the differing branches ({} tree nodes) down to the leaves. Only the keys under differing leaves are exchanged: {}.",
                    m.differing.len(),
                    if m.keys_synced.is_empty() { "none".to_string() } else { m.keys_synced.iter().map(|k| p.names.get(*k).to_string()).collect::<Vec<_>>().join(", ") })
            } }</p>
            <ul class="mk-leaves">{ for leaf_list }</ul>
        </div>
    }
}

// ---- Lists ----------------------------------------------------------------------------------

#[derive(Properties, PartialEq)]
pub struct AnomalyListProps {
    pub anomalies: Shared<Vec<Anomaly>>,
    pub now: u64,
    pub on_pick: Callback<Anomaly>,
}

pub fn anomaly_list(p: &AnomalyListProps) -> Html {
    if p.anomalies.is_empty() {
        return html! { <p class="muted">{"No anomalies in this run."}</p> };
    }
    // Only what the displayed time has reached: the list grows as the run plays.
    let reached: Vec<&Anomaly> = p.anomalies.iter().filter(|a| a.time <= p.now).collect();
    let later = p.anomalies.len() - reached.len();
    if reached.is_empty() {
        return html! { <p class="muted later">{ later_text(later, "None yet") }</p> };
    }
    let first = reached.len().saturating_sub(60);
    let items = reached[first..].iter().map(|a| {
        let pick = p.on_pick.clone();
        let anomaly = (*a).clone();
        html! {
            <li class={classes!("anomaly", a.kind.name(), "past")}>
                <button class="anomaly-button" onclick={Callback::from(move |_| pick.emit(anomaly.clone()))}>
                    <span class="a-time">{ human_duration(a.time) }</span>
                    <span class="a-kind">{ a.kind.title() }</span>
                    <span class="a-text">{ a.explanation.clone() }</span>
                </button>
            </li>
        }
    });
    html! {
        <div class="anomaly-list">
            if first > 0 { <p class="muted">{ format!("{first} earlier, not listed") }</p> }
            <ul>{ for items }</ul>
            if later > 0 { <p class="muted later">{ later_text(later, "") }</p> }
        </div>
    }
}

/// "Later in this run: 3 more (they appear as the time reaches them)."
fn later_text(later: usize, lead: &str) -> String {
    let lead = if lead.is_empty() { String::new() } else { format!("{lead}. ") };
    match later {
        0 => format!("{lead}Nothing later in this run."),
        n => format!("{lead}Later in this run: {n} more (they appear as the time reaches them)."),
    }
}

/// A compact list of records (conflicts, quorums, exchanges) that open in the inspector.
#[derive(Properties, PartialEq)]
pub struct RecordListProps {
    /// (time, one-line description)
    pub items: Shared<Vec<(u64, String)>>,
    pub empty: AttrValue,
    /// The displayed time: only records it has reached are listed.
    pub now: u64,
    pub on_pick: Callback<usize>,
}

pub fn record_list(p: &RecordListProps) -> Html {
    if p.items.is_empty() {
        return html! { <p class="muted">{ p.empty.clone() }</p> };
    }
    let n = p.items.partition_point(|(t, _)| *t <= p.now);
    let later = p.items.len() - n;
    if n == 0 {
        return html! { <p class="muted later">{ later_text(later, "None yet") }</p> };
    }
    let start = n.saturating_sub(40);
    let rows = p.items[start..n].iter().enumerate().rev().map(|(i, (t, text))| {
        let pick = p.on_pick.clone();
        let index = start + i;
        html! {
            <li><button class="record-button" onclick={Callback::from(move |_| pick.emit(index))}>
                <span class="a-time">{ human_duration(*t) }</span><span class="a-text">{ text.clone() }</span>
            </button></li>
        }
    });
    html! {
        <>
            <ul class="record-list">{ for rows }</ul>
            if later > 0 { <p class="muted later">{ later_text(later, "") }</p> }
        </>
    }
}

pub fn letter(k: replicascope_engine::page::MsgKind) -> &'static str {
    kind_letter(k)
}
