//! The inspector (the full state of whatever was clicked, and the step-by-step views of
//! conflicts, quorums and Merkle exchanges) and the legend.

use super::diagram::kind_letter;
use super::selection::Selection;
use super::views::{ConflictView, MerkleViewProps, QuorumViewProps};
use replicascope_engine::page::human_duration;
use replicascope_engine::page::Names;
use replicascope_engine::page::{Liveness, MsgKind};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub selection: Option<Selection>,
    pub names: Rc<Names>,
    pub on_jump: Callback<u64>,
}

fn rows(items: Vec<(String, String)>) -> Html {
    html! {
        <dl class="kv">
            { for items.into_iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd>{ v }</dd></> }) }
        </dl>
    }
}

#[function_component(Inspector)]
pub fn inspector(p: &InspectorProps) -> Html {
    let jump = |t: u64| {
        let cb = p.on_jump.clone();
        html! { <button class="link-button" onclick={Callback::from(move |_| cb.emit(t))}>{ format!("go to {}", human_duration(t)) }</button> }
    };
    let body = match &p.selection {
        None => {
            html! { <p class="muted">{"Click a node, a message in flight, a log entry, a conflict, a quorum or an anomaly to see everything about it here."}</p> }
        }
        Some(Selection::Node { pane, info }) => {
            let v = &info.view;
            let mut items = vec![
                ("role".to_string(), v.role.label().to_string()),
                (
                    "state".into(),
                    match info.liveness {
                        Liveness::Up => "up".into(),
                        Liveness::Down => "down (crashed)".into(),
                        Liveness::Paused => "paused (stalled)".into(),
                    },
                ),
                ("region".into(), info.region.clone()),
                ("clock".into(), format!("{:+.1} ms from true time", info.clock_offset_us as f64 / 1000.0)),
            ];
            if info.disk_factor > 1 {
                items.push(("disk".into(), format!("{}× slower than normal", info.disk_factor)));
            }
            items.extend(v.badges.iter().map(|b| ("status".to_string(), b.clone())));
            items.extend(v.detail.iter().cloned());
            let data: Vec<(String, String)> = v.data.clone();
            html! {
                <>
                    <h3>{ format!("{} — {}", v.id, pane.title()) }</h3>
                    { rows(items) }
                    <h4>{"Data"}</h4>
                    if data.is_empty() { <p class="muted">{"No keys yet."}</p> } else { { rows(data) } }
                </>
            }
        }
        Some(Selection::Message { pane, record: m }) => {
            let mut items = vec![
                ("kind".to_string(), m.kind.legend().to_string()),
                ("from → to".into(), format!("{} → {}", m.from, m.to)),
                ("content".into(), m.label.to_string()),
                ("sent at".into(), human_duration(m.sent_at)),
                ("arrives at".into(), human_duration(m.deliver_at)),
                ("one-way latency".into(), human_duration(m.deliver_at - m.sent_at)),
            ];
            if let Some(op) = m.op {
                items.push(("on behalf of".into(), format!("client operation #{op}")));
            }
            if let Some((r, _)) = m.dropped {
                items.push(("fate".into(), format!("lost ({})", r.label())));
            }
            html! { <><h3>{ format!("Message #{} — {}", m.id, pane.title()) }</h3>{ rows(items) }</> }
        }
        Some(Selection::Entry { pane, node, entry }) => {
            let items = vec![
                ("entry".to_string(), entry.label.clone()),
                ("version".into(), entry.version.clone()),
                ("state".into(), super::lanes::state_label(entry.state).to_string()),
                (
                    "written by".into(),
                    entry.write.map(|w| format!("client operation #{w}")).unwrap_or_else(|| "the system".into()),
                ),
            ];
            html! { <><h3>{ format!("Log entry on {node} — {}", pane.title()) }</h3>{ rows(items) }</> }
        }
        Some(Selection::Conflict { pane, time, record, clock_offsets }) => html! {
            <>
                <h3>{ format!("Conflict on {} at {} — {}", p.names.get(record.key), record.node, pane.title()) } { " " } { jump(*time) }</h3>
                <ConflictView record={(**record).clone()} names={p.names.clone()} clock_offsets={clock_offsets.clone()} />
            </>
        },
        Some(Selection::Quorum { pane, time, record, last_write, repair }) => html! {
            <>
                <h3>{ format!("{} of {} through {} — {}", if record.write { "Write" } else { "Read" }, p.names.get(record.key), record.coordinator, pane.title()) } { " " } { jump(*time) }</h3>
                { super::views::quorum_view(&QuorumViewProps { record: (**record).clone(), last_write: last_write.as_deref().cloned(), repair: repair.clone() }) }
            </>
        },
        Some(Selection::Merkle { pane, time, record }) => html! {
            <>
                <h3>{ format!("Anti-entropy between {} and {} — {}", record.a, record.b, pane.title()) } { " " } { jump(*time) }</h3>
                { super::views::merkle_view(&MerkleViewProps { record: (**record).clone(), names: p.names.clone() }) }
            </>
        },
        Some(Selection::Anomaly { pane, anomaly }) => html! {
            <>
                <h3>{ format!("{} — {}", anomaly.kind.title(), pane.title()) } { " " } { jump(anomaly.time) }</h3>
                <p class="explanation">{ super::shared::glossed(&anomaly.explanation) }</p>
                <p class="lesson"><strong>{"What to do about it: "}</strong>{ super::shared::glossed(anomaly.kind.lesson_in(*pane)) }</p>
                { rows(vec![
                    ("operations".into(), anomaly.ops.iter().map(|o| format!("#{o}")).collect::<Vec<_>>().join(", ")),
                    ("nodes".into(), anomaly.nodes.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")),
                    ("messages".into(), format!("{} (highlighted in the space-time view)", anomaly.messages.len())),
                ]) }
            </>
        },
    };
    html! { <aside class="inspector" id="inspector" aria-label="Inspector" aria-live="polite"><h2>{"Inspector"}</h2>{ body }</aside> }
}

/// What the message letters mean (a plain function, like the other stateless views).
pub fn legend() -> Html {
    let items = MsgKind::ALL.iter().map(|k| {
        html! {
            <li class={classes!("legend-item", k.name())}>
                <svg viewBox="-8 -8 16 16" width="16" height="16" aria-hidden="true"><g class={classes!("msg", k.name())}><circle r="6.5" /><text y="0.5">{ kind_letter(*k) }</text></g></svg>
                <span>{ k.legend() }</span>
            </li>
        }
    });
    html! {
        <section class="legend" aria-label="Legend">
            <h2>{"Messages"}</h2>
            <ul>{ for items }</ul>
            <p class="muted">{"Click a message to inspect it; double-click one in flight to drop it. Click a node or a client for its actions."}</p>
        </section>
    }
}
