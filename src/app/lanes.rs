//! Log streams: each node's replication log (or applied changes) as a lane of entries, with
//! applied / flushed / committed markers. Entries are keyed by their stable id, so a new entry
//! slides in and the rest stay put.

use super::panel::Selection;
use super::shared::{Highlight, Shared};
use replicascope_engine::run::PaneView;
use replicascope_engine::view::{EntryState, Liveness};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LanesProps {
    pub view: Shared<PaneView>,
    pub pane: replicascope_engine::scenario::TopologyKind,
    pub on_select: Callback<Selection>,
    /// The client operation whose entries are highlighted (hovered here or in another view).
    #[prop_or_default]
    pub highlight_op: Option<u64>,
    #[prop_or_default]
    pub on_hover: Callback<Option<Highlight>>,
}

fn state_class(s: EntryState) -> &'static str {
    match s {
        EntryState::Pending => "pending",
        EntryState::Flushed => "flushed",
        EntryState::Applied => "applied",
        EntryState::Committed => "committed",
        EntryState::Discarded => "discarded",
    }
}

pub fn state_label(s: EntryState) -> &'static str {
    match s {
        EntryState::Pending => "received, not yet on disk",
        EntryState::Flushed => "on disk, not yet applied",
        EntryState::Applied => "applied",
        EntryState::Committed => "committed and applied",
        EntryState::Discarded => "discarded",
    }
}

#[function_component(Lanes)]
pub fn lanes(p: &LanesProps) -> Html {
    let rows = p.view.nodes.iter().map(|n| {
        let id = n.view.id;
        let earlier = n.view.log_len.saturating_sub(n.view.log.len() as u64);
        let entries = n.view.log.iter().map(|e| {
            let on_select = p.on_select.clone();
            let entry = e.clone();
            let pane = p.pane;
            let hl = p.highlight_op.is_some() && e.write.map(u64::from) == p.highlight_op;
            let op = e.write.map(u64::from);
            let enter = p.on_hover.clone();
            let leave = p.on_hover.clone();
            html! {
                <li key={e.id.clone()} class={classes!("entry", state_class(e.state), hl.then_some("highlight"))}
                    onmouseenter={Callback::from(move |_| enter.emit(op.map(Highlight::Op)))}
                    onmouseleave={Callback::from(move |_| leave.emit(None))}
                    title={format!("{} — {} — {}", e.label, e.version, state_label(e.state))}
                    tabindex="0"
                    onclick={Callback::from(move |_| on_select.emit(Selection::Entry { pane, node: id, entry: Box::new(entry.clone()) }))}>
                    <span class="entry-label">{ e.label.clone() }</span>
                </li>
            }
        });
        let markers = n.view.markers.iter().map(|(k, v)| html! { <span class="marker">{ format!("{k} {v}") }</span> });
        let live = match n.liveness {
            Liveness::Up => "",
            Liveness::Down => " · down",
            Liveness::Paused => " · paused",
        };
        html! {
            <div class="lane" data-lane={id.to_string()}>
                <div class="lane-head">
                    <span class="lane-name">{ format!("{id}{live}") }</span>
                    <span class="lane-markers">{ for markers }</span>
                </div>
                <ol class="lane-entries" aria-label={format!("{id} log")}>
                    if earlier > 0 { <li class="entry earlier">{ format!("… {earlier}") }</li> }
                    { for entries }
                </ol>
            </div>
        }
    });
    html! { <div class="lanes">{ for rows }</div> }
}
