//! Log streams: each node's replication log (or applied changes) as a lane of entries, with
//! applied / flushed / committed markers. Entries are keyed by their stable id, so a new entry
//! slides in and the rest stay put.
//!
//! A busy run appends dozens of entries a second to every lane, so the lanes are built to be
//! cheap: one component per lane that renders only when that lane's content changed, entries as
//! bare `<li>`s, and one set of event handlers per lane (clicks, keys and hovers are delegated
//! from the list to the entry under them) instead of three closures per entry.

use super::panel::Selection;
use super::shared::{Highlight, Shared};
use replicascope_engine::run::PaneView;
use replicascope_engine::view::{EntryState, EntryView, Liveness};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
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
    let rows = (0..p.view.nodes.len()).map(|index| {
        html! {
            <Lane view={p.view.clone()} {index} pane={p.pane} on_select={p.on_select.clone()}
                highlight_op={p.highlight_op} on_hover={p.on_hover.clone()} />
        }
    });
    html! { <div class="lanes">{ for rows }</div> }
}

#[derive(Properties)]
pub struct LaneProps {
    pub view: Shared<PaneView>,
    pub index: usize,
    pub pane: replicascope_engine::scenario::TopologyKind,
    pub on_select: Callback<Selection>,
    pub highlight_op: Option<u64>,
    pub on_hover: Callback<Option<Highlight>>,
}

impl PartialEq for LaneProps {
    /// Equal when this lane would look the same: its own node's log, markers and state, and the
    /// highlighted operation only if one of its entries belongs to it (before or after).
    fn eq(&self, o: &Self) -> bool {
        let (a, b) = (self.view.nodes.get(self.index), o.view.nodes.get(o.index));
        let same_lane = match (a, b) {
            (Some(a), Some(b)) => {
                a.liveness == b.liveness
                    && a.view.id == b.view.id
                    && a.view.log_len == b.view.log_len
                    && a.view.markers == b.view.markers
                    && a.view.log == b.view.log
            }
            (None, None) => true,
            _ => false,
        };
        let touches = |op: Option<u64>| {
            op.is_some() && a.is_some_and(|n| n.view.log.iter().any(|e| e.write.map(u64::from) == op))
        };
        let same_highlight =
            self.highlight_op == o.highlight_op || (!touches(self.highlight_op) && !touches(o.highlight_op));
        same_lane
            && same_highlight
            && self.pane == o.pane
            && self.on_select == o.on_select
            && self.on_hover == o.on_hover
    }
}

/// The entry of `log` under an event's target, if any.
fn entry_at<'a>(e: &Event, log: &'a [EntryView]) -> Option<&'a EntryView> {
    let el = e.target()?.dyn_into::<web_sys::Element>().ok()?;
    let li = el.closest("li[data-id]").ok()??;
    let id = li.get_attribute("data-id")?;
    log.iter().find(|x| x.id == id)
}

#[function_component(Lane)]
fn lane(p: &LaneProps) -> Html {
    // The operation this lane last reported under the pointer, so moving within an entry (or
    // between two entries of one operation) sends nothing.
    let hovered: Rc<Cell<Option<u64>>> = use_memo((), |_| Cell::new(None));
    // The log length at the last render: the newest entry slides in only when it is the one
    // entry that arrived since (in a busy run several arrive between two renders, and an
    // animation restarted ten times a second shows nothing but costs every frame).
    // Re-rendering at the same length (a hover) keeps the verdict, so a running slide goes on.
    let last: Rc<Cell<(u64, bool)>> = use_memo((), |_| Cell::new((0, false)));
    let Some(n) = p.view.nodes.get(p.index) else { return Html::default() };
    let id = n.view.id;
    let (len, was) = last.get();
    let arrived = if n.view.log_len == len { was } else { n.view.log_len == len + 1 };
    last.set((n.view.log_len, arrived));

    let select = {
        let (view, index, pane, on_select) = (p.view.clone(), p.index, p.pane, p.on_select.clone());
        move |e: &Event| {
            if let Some(entry) = view.nodes.get(index).and_then(|n| entry_at(e, &n.view.log)) {
                on_select.emit(Selection::Entry { pane, node: id, entry: Box::new(entry.clone()) });
            }
        }
    };
    let onclick = {
        let select = select.clone();
        Callback::from(move |e: MouseEvent| select(&e))
    };
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            select(&e);
        }
    });
    let onmouseover = {
        let (view, index, on_hover, hovered) = (p.view.clone(), p.index, p.on_hover.clone(), hovered.clone());
        Callback::from(move |e: MouseEvent| {
            let op = view.nodes.get(index).and_then(|n| entry_at(&e, &n.view.log)).and_then(|x| x.write).map(u64::from);
            if hovered.replace(op) != op {
                on_hover.emit(op.map(Highlight::Op));
            }
        })
    };
    let onmouseleave = {
        let (on_hover, hovered) = (p.on_hover.clone(), hovered.clone());
        Callback::from(move |_: MouseEvent| {
            if hovered.replace(None).is_some() {
                on_hover.emit(None);
            }
        })
    };

    let earlier = n.view.log_len.saturating_sub(n.view.log.len() as u64);
    let newest = n.view.log.len().saturating_sub(1);
    let entries = n.view.log.iter().enumerate().map(|(i, e)| {
        let hl = p.highlight_op.is_some() && e.write.map(u64::from) == p.highlight_op;
        let slide = arrived && i == newest;
        html! {
            <li key={e.id.clone()} data-id={e.id.clone()} class={classes!("entry", state_class(e.state), hl.then_some("highlight"), slide.then_some("arrived"))}
                title={format!("{} — {} — {}", e.label, e.version, state_label(e.state))} tabindex="0">
                { e.label.clone() }
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
            <ol class="lane-entries" aria-label={format!("{id} log")} {onclick} {onkeydown} {onmouseover} {onmouseleave}>
                if earlier > 0 { <li key="earlier" class="entry earlier">{ format!("… {earlier}") }</li> }
                { for entries }
            </ol>
        </div>
    }
}
