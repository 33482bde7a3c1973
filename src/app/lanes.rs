//! Log streams: each node's replication log (or applied changes) as a lane of entries, with
//! applied / flushed / committed markers. Entries are keyed by their stable id, so a new entry
//! slides in and the rest stay put.
//!
//! A busy run appends dozens of entries a second to every lane, so the lanes are built to be
//! cheap: one component per lane that renders only when that lane's content changed, entries as
//! bare `<li>`s, and one set of event handlers per lane (clicks, keys and hovers are delegated
//! from the list to the entry under them) instead of three closures per entry.
//!
//! While the run plays, the entries are painted on one canvas per pane instead (`live`): a
//! busy lane replaces most of its entries ten times a second, and as elements that churn cost
//! the browser more than everything else in the frame. The canvas looks the same, and a click
//! or hover on it finds the entry under the pointer. Paused, the lanes are lists again, whose
//! entries can be focused, read by a screen reader and opened with the keyboard.

use super::canvas::{media, pixel_ratio, RootStyle, Surface};
use super::selection::Selection;
use super::shared::{use_feed, Clock, Feed, Highlight, Shared};
use replicascope_engine::page::NodeId;
use replicascope_engine::page::PaneView;
use replicascope_engine::page::{EntryState, EntryView, Liveness};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LanesProps {
    /// The pane's view. A feed: while playing, the page hands the lanes each new view at its
    /// view ticks, and only the lanes render for it.
    pub view: Shared<Feed<Rc<PaneView>>>,
    pub pane: replicascope_engine::page::TopologyKind,
    pub on_select: Callback<Selection>,
    /// The client operation whose entries are highlighted (hovered here or in another view).
    #[prop_or_default]
    pub highlight_op: Option<u64>,
    #[prop_or_default]
    pub on_hover: Callback<Option<Highlight>>,
    /// The run is playing: entries are painted on a canvas (see the module's notes).
    #[prop_or_default]
    pub live: bool,
    /// Ticks every frame while playing: a newly arrived entry slides in on the canvas too.
    #[prop_or_default]
    pub clock: Shared<Clock>,
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
    let view = Shared::from(use_feed(&p.view));
    let rows = (0..view.nodes.len()).map(|index| {
        html! {
            <Lane view={view.clone()} {index} pane={p.pane} on_select={p.on_select.clone()}
                highlight_op={p.highlight_op} on_hover={p.on_hover.clone()} live={p.live} />
        }
    });
    let canvas = use_node_ref();
    let painter: Rc<RefCell<LanePainter>> = use_mut_ref(LanePainter::default);
    let hovered: Rc<Cell<Option<u64>>> = use_memo((), |_| Cell::new(None));
    {
        let (canvas, painter, view, live, op) = (canvas.clone(), painter.clone(), view.clone(), p.live, p.highlight_op);
        use_effect(move || {
            if live {
                // Painted at the start of the next animation frame, once the browser has laid
                // out what this render changed: read now, the slots' places would make it lay
                // out the page in the middle of the render's frame (and again after it).
                let first = painter.borrow_mut().due.replace((view, op)).is_none();
                if first {
                    let draw = wasm_bindgen::closure::Closure::once_into_js(move || {
                        let due = painter.borrow_mut().due.take();
                        if let (Some(c), Some((view, op))) = (canvas.cast::<web_sys::HtmlCanvasElement>(), due) {
                            painter.borrow_mut().draw(&c, view, op);
                        }
                    });
                    if let Some(w) = web_sys::window() {
                        let _ = w.request_animation_frame(draw.unchecked_ref());
                    }
                }
            }
        });
    }
    {
        // Between renders, frames only move a sliding entry along.
        let painter = painter.clone();
        use_effect_with(p.clock.clone(), move |clock| {
            let id = clock.subscribe(Callback::from(move |_| {
                if let Ok(mut p) = painter.try_borrow_mut() {
                    p.tick();
                }
            }));
            let clock = clock.clone();
            move || clock.unsubscribe(id)
        });
    }
    let live = p.live.then(|| {
        // The entry under the pointer, from what was painted last.
        let at = {
            let (canvas, painter, view) = (canvas.clone(), painter.clone(), view.clone());
            move |e: &MouseEvent| -> Option<(u8, EntryView)> {
                let c = canvas.cast::<web_sys::Element>()?;
                let r = c.get_bounding_client_rect();
                let (x, y) = (e.client_x() as f64 - r.left(), e.client_y() as f64 - r.top());
                let (lane, entry) = painter.borrow().entry_at(x, y)?;
                let n = view.nodes.get(lane)?;
                Some((n.view.id.0, n.view.log.get(entry)?.clone()))
            }
        };
        let onclick = {
            let (at, on_select, pane) = (at.clone(), p.on_select.clone(), p.pane);
            Callback::from(move |e: MouseEvent| {
                if let Some((node, entry)) = at(&e) {
                    on_select.emit(Selection::Entry { pane, node: NodeId(node), entry: Box::new(entry) });
                }
            })
        };
        let onmousemove = {
            let (on_hover, hovered, canvas) = (p.on_hover.clone(), hovered.clone(), canvas.clone());
            Callback::from(move |e: MouseEvent| {
                let hit = at(&e);
                if let Some(c) = canvas.cast::<web_sys::HtmlElement>() {
                    let _ = c.style().set_property("cursor", if hit.is_some() { "pointer" } else { "" });
                }
                let op = hit.and_then(|(_, x)| x.write).map(u64::from);
                if hovered.replace(op) != op {
                    on_hover.emit(op.map(Highlight::Op));
                }
            })
        };
        let onmouseleave = {
            let on_hover = p.on_hover.clone();
            Callback::from(move |_: MouseEvent| {
                if hovered.replace(None).is_some() {
                    on_hover.emit(None);
                }
            })
        };
        html! {
            <canvas ref={canvas.clone()} class="lane-canvas" role="img" {onclick} {onmousemove} {onmouseleave}
                aria-label="The nodes' logs, changing while the run plays. Pause to go through the entries one by one." />
        }
    });
    html! { <div class={classes!("lanes", p.live.then_some("live"))}>{ for rows }{ live.unwrap_or_default() }</div> }
}

#[derive(Properties)]
pub struct LaneProps {
    pub view: Shared<PaneView>,
    pub index: usize,
    pub pane: replicascope_engine::page::TopologyKind,
    pub on_select: Callback<Selection>,
    pub highlight_op: Option<u64>,
    pub on_hover: Callback<Option<Highlight>>,
    pub live: bool,
}

impl PartialEq for LaneProps {
    /// Equal when this lane would look the same: its own node's log, markers and state, and the
    /// highlighted operation only if one of its entries belongs to it (before or after).
    fn eq(&self, o: &Self) -> bool {
        let (a, b) = (self.view.nodes.get(self.index), o.view.nodes.get(o.index));
        if self.live != o.live {
            return false;
        }
        let same_lane = match (a, b) {
            // Live, the lane shows only its head: the entries are on the canvas.
            (Some(a), Some(b)) if self.live => {
                a.liveness == b.liveness && a.view.id == b.view.id && a.view.markers == b.view.markers
            }
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
        let same_highlight = self.live
            || self.highlight_op == o.highlight_op
            || (!touches(self.highlight_op) && !touches(o.highlight_op));
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
    let live = match n.liveness {
        Liveness::Up => "",
        Liveness::Down => " · down",
        Liveness::Paused => " · paused",
    };
    let markers = n.view.markers.iter().map(|(k, v)| html! { <span class="marker">{ format!("{k} {v}") }</span> });
    let head = html! {
        <div class="lane-head">
            <span class="lane-name">{ format!("{id}{live}") }</span>
            <span class="lane-markers">{ for markers }</span>
        </div>
    };
    if p.live {
        // The entries are painted over this slot by the lanes' canvas.
        return html! {
            <div class="lane" data-lane={id.to_string()}>
                { head }
                <div class="lane-entries lane-slot" />
            </div>
        };
    }
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
    html! {
        <div class="lane" data-lane={id.to_string()}>
            { head }
            <ol class="lane-entries" aria-label={format!("{id} log")} {onclick} {onkeydown} {onmouseover} {onmouseleave}>
                if earlier > 0 { <li key="earlier" class="entry earlier">{ format!("… {earlier}") }</li> }
                { for entries }
            </ol>
        </div>
    }
}

/// What the lanes' canvas is painted with, read from the page's stylesheet (so that dark mode
/// and the lists agree).
struct LaneStyle {
    font: String,
    ink: String,
    muted: String,
    line: String,
    replicate: String,
    ack: String,
    bad: String,
    /// `prefers-reduced-motion`: entries appear without sliding in.
    reduced: bool,
}

fn lane_style(canvas: &web_sys::Element) -> Option<LaneStyle> {
    let root = RootStyle::read()?;
    let family = web_sys::window()?
        .get_computed_style(canvas)
        .ok()
        .flatten()
        .and_then(|s| s.get_property_value("font-family").ok())
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "system-ui, sans-serif".into());
    Some(LaneStyle {
        font: format!("{ENTRY_FONT_PX}px {family}"),
        ink: root.var("--ink", "#1d232b"),
        muted: root.var("--muted", "#5b6673"),
        line: root.var("--line", "#d7dce2"),
        replicate: root.var("--k-replicate", "#e69f00"),
        ack: root.var("--k-ack", "#009e73"),
        bad: root.var("--bad", "#c0392b"),
        reduced: media("(prefers-reduced-motion: reduce)"),
    })
}

// An entry's box, as the stylesheet draws `.entry` in a list: 10.5 px text on a 15 px line,
// 2 px by 6 px of padding, a 1 px border with 5 px corners, 3 px between entries.
const ENTRY_FONT_PX: f64 = 10.5;
const ENTRY_H: f64 = 21.0;
const ENTRY_PAD_X: f64 = 6.0;
const ENTRY_GAP: f64 = 3.0;
const ENTRY_RADIUS: f64 = 5.0;

/// Paints the lanes' entries while the run plays, and remembers where each one went.
#[derive(Default)]
pub struct LanePainter {
    /// The canvas painted last, with its context, and the pixel ratio it was sized at.
    surface: Surface,
    ratio: f64,
    style: Option<LaneStyle>,
    draws: u64,
    /// Text widths by label: a busy run repeats a few hundred labels.
    widths: BTreeMap<String, f64>,
    /// Each painted entry: its box in CSS pixels from the canvas's corner, lane and index.
    boxes: Vec<([f64; 4], usize, usize)>,
    /// What was drawn last: the view, the highlighted operation, the canvas's size and each
    /// lane's slot (left, right, top of the entries) in CSS pixels from the canvas's corner.
    last: Option<(Shared<PaneView>, Option<u64>)>,
    size: (f64, f64),
    slots: Vec<Option<(f64, f64, f64)>>,
    /// Per lane: the log length at the last draw, and when its newest entry began to slide in
    /// (milliseconds of the page's clock) if it arrived alone and is still sliding.
    lens: Vec<u64>,
    slides: Vec<Option<f64>>,
    /// Per lane: when its log last changed (milliseconds of the page's clock).
    changed: Vec<f64>,
    /// The entries painted last and the lanes whose newest entry is sliding in (the canvas's
    /// `data-entries` and `data-sliding`, for tests and tools).
    painted: (usize, usize),
    /// What to paint at the next animation frame (the view and highlight rendered last).
    due: Option<(Shared<PaneView>, Option<u64>)>,
}

/// How long a newly arrived entry slides in, as `.entry.arrived` does in a list.
const SLIDE_MS: f64 = 350.0;

impl LanePainter {
    /// The lane and the index in its log of the entry painted under `(x, y)`, if any.
    pub fn entry_at(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        self.boxes
            .iter()
            .find(|([x0, y0, x1, y1], _, _)| x >= *x0 && x < *x1 && y >= *y0 && y < *y1)
            .map(|(_, lane, i)| (*lane, *i))
    }

    fn width(&mut self, ctx: &web_sys::CanvasRenderingContext2d, label: &str) -> f64 {
        if let Some(w) = self.widths.get(label) {
            return *w;
        }
        if self.widths.len() > 4096 {
            self.widths.clear();
        }
        let w = ctx.measure_text(label).map(|m| m.width()).unwrap_or(label.len() as f64 * 6.0);
        self.widths.insert(label.to_string(), w);
        w
    }

    /// Paints every lane's entries into its slot (`.lane-slot`, laid out by the stylesheet like
    /// the list it stands for): newest on the right, older ones cut off on the left.
    pub fn draw(&mut self, canvas: &web_sys::HtmlCanvasElement, view: Shared<PaneView>, highlight_op: Option<u64>) {
        self.boxes.clear();
        let Some(parent) = canvas.parent_element() else { return };
        let Ok(slots) = parent.query_selector_all(".lane-slot") else { return };
        if self.surface.bind(canvas) {
            self.style = None;
            self.lens.clear();
            self.changed.clear();
            self.painted = (usize::MAX, 0);
        }
        if self.style.is_none() || self.draws.is_multiple_of(30) {
            self.style = lane_style(canvas);
            self.widths.clear();
        }
        self.draws += 1;
        let cr = canvas.get_bounding_client_rect();
        self.size = (cr.width(), cr.height());
        self.slots = (0..view.nodes.len())
            .map(|lane| {
                let slot = slots.item(lane as u32)?.dyn_into::<web_sys::Element>().ok()?;
                let r = slot.get_bounding_client_rect();
                (r.width() > 0.0).then(|| {
                    (r.left() - cr.left(), r.right() - cr.left(), r.top() - cr.top() + (r.height() - ENTRY_H) / 2.0)
                })
            })
            .collect();
        // An entry that arrived alone in a lane that had been still slides in; in a busy lane
        // entries just appear (a slide there would show nothing and cost every frame).
        let now = super::host::page_ms();
        let fresh = self.lens.len() != view.nodes.len();
        self.slides.resize(view.nodes.len(), None);
        self.changed.resize(view.nodes.len(), f64::NEG_INFINITY);
        for (lane, n) in view.nodes.iter().enumerate() {
            let before = if fresh { n.view.log_len } else { self.lens[lane] };
            if n.view.log_len != before {
                let alone = n.view.log_len == before + 1
                    && now - self.changed[lane] >= SLIDE_MS
                    && self.style.as_ref().is_some_and(|s| !s.reduced);
                self.slides[lane] = alone.then_some(now);
                self.changed[lane] = now;
            }
        }
        self.lens = view.nodes.iter().map(|n| n.view.log_len).collect();
        self.ratio = pixel_ratio();
        self.surface.fit(cr.width(), cr.height(), self.ratio);
        self.last = Some((view, highlight_op));
        self.paint(now, None);
    }

    /// A frame went by: moves sliding entries along (repainting only their lanes), if any.
    pub fn tick(&mut self) {
        let sliding: Vec<usize> = (0..self.slides.len()).filter(|i| self.slides[*i].is_some()).collect();
        if !sliding.is_empty() {
            self.paint(super::host::page_ms(), Some(&sliding));
        }
    }

    /// Paints every lane, or only `lanes`.
    fn paint(&mut self, now: f64, lanes: Option<&[usize]>) {
        let (Some(ctx), Some(st), Some((view, highlight_op))) =
            (self.surface.ctx(), self.style.take(), self.last.clone())
        else {
            return;
        };
        let dpr = self.ratio;
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        match lanes {
            None => {
                ctx.clear_rect(0.0, 0.0, self.size.0, self.size.1);
                self.boxes.clear();
            }
            Some(only) => self.boxes.retain(|(_, lane, _)| !only.contains(lane)),
        }
        ctx.set_font(&st.font);
        ctx.set_text_baseline("middle");
        ctx.set_text_align("left");
        for (lane, n) in view.nodes.iter().enumerate() {
            if lanes.is_some_and(|only| !only.contains(&lane)) {
                continue;
            }
            let Some(Some((left, right, top))) = self.slots.get(lane).copied() else { continue };
            if lanes.is_some() {
                ctx.clear_rect(left, top - 3.0, right - left, ENTRY_H + 6.0);
            }
            // How far the newest entry has slid in (1: in place), eased out.
            let slide = match self.slides.get(lane).copied().flatten() {
                Some(start) if now - start < SLIDE_MS => {
                    let t = ((now - start) / SLIDE_MS).clamp(0.0, 1.0);
                    1.0 - (1.0 - t).powi(3)
                }
                _ => {
                    if let Some(s) = self.slides.get_mut(lane) {
                        *s = None;
                    }
                    1.0
                }
            };
            ctx.save();
            ctx.begin_path();
            // Room above and below for the highlight's outline.
            ctx.rect(left, top - 3.0, right - left, ENTRY_H + 6.0);
            ctx.clip();
            let mut x = right;
            let newest = n.view.log.len().saturating_sub(1);
            for (i, e) in n.view.log.iter().enumerate().rev() {
                let w = self.width(&ctx, &e.label) + 2.0 * ENTRY_PAD_X + 2.0;
                x -= w;
                if x + w <= left {
                    break;
                }
                let lit = highlight_op.is_some() && e.write.map(u64::from) == highlight_op;
                if i == newest && slide < 1.0 {
                    paint_entry(&ctx, &st, Slot { x: x + 12.0 * (1.0 - slide), y: top, w }, e, lit, slide);
                } else {
                    paint_entry(&ctx, &st, Slot { x, y: top, w }, e, lit, 1.0);
                }
                self.boxes.push(([x.max(left), top, x + w, top + ENTRY_H], lane, i));
                x -= ENTRY_GAP;
            }
            let earlier = n.view.log_len.saturating_sub(n.view.log.len() as u64);
            if earlier > 0 {
                let label = format!("… {earlier}");
                let w = self.width(&ctx, &label) + 2.0 * ENTRY_PAD_X;
                if x - w >= left {
                    ctx.set_fill_style_str(&st.muted);
                    let _ = ctx.fill_text(&label, x - w + ENTRY_PAD_X, top + ENTRY_H / 2.0);
                }
            }
            ctx.restore();
        }
        let painted = self.boxes.len();
        let sliding = self.slides.iter().filter(|s| s.is_some()).count();
        if let Some(c) = self.surface.canvas().filter(|_| (painted, sliding) != self.painted) {
            let _ = c.set_attribute("data-entries", &painted.to_string());
            let _ = c.set_attribute("data-sliding", &sliding.to_string());
            self.painted = (painted, sliding);
        }
        self.style = Some(st);
    }
}

/// Where an entry's box goes on a lane canvas: its left and top edge and its width.
struct Slot {
    x: f64,
    y: f64,
    w: f64,
}

/// One entry's box in `slot`, at opacity `alpha` (below 1 while it slides in).
fn paint_entry(
    ctx: &web_sys::CanvasRenderingContext2d,
    st: &LaneStyle,
    slot: Slot,
    e: &EntryView,
    highlight: bool,
    alpha: f64,
) {
    let Slot { x, y, w } = slot;
    let (border, fill, text) = match e.state {
        EntryState::Pending => (&st.line, None, &st.muted),
        EntryState::Flushed => (&st.replicate, None, &st.ink),
        EntryState::Applied => (&st.replicate, Some(&st.replicate), &st.ink),
        EntryState::Committed => (&st.ack, Some(&st.ack), &st.ink),
        EntryState::Discarded => (&st.bad, None, &st.bad),
    };
    rounded(ctx, x + 0.5, y + 0.5, w - 1.0, ENTRY_H - 1.0, ENTRY_RADIUS);
    if let Some(f) = fill {
        ctx.set_global_alpha(0.22 * alpha);
        ctx.set_fill_style_str(f);
        ctx.fill();
    }
    ctx.set_global_alpha(alpha);
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str(border);
    let dashed = e.state == EntryState::Pending;
    if dashed {
        let _ = ctx.set_line_dash(&js_sys::Array::of2(&3.0.into(), &2.0.into()));
    }
    ctx.stroke();
    if dashed {
        let _ = ctx.set_line_dash(&js_sys::Array::new());
    }
    ctx.set_fill_style_str(text);
    let (tx, ty) = (x + 1.0 + ENTRY_PAD_X, y + ENTRY_H / 2.0);
    let _ = ctx.fill_text(&e.label, tx, ty);
    if e.state == EntryState::Discarded {
        ctx.begin_path();
        ctx.move_to(tx, ty + 0.5);
        ctx.line_to(x + w - 1.0 - ENTRY_PAD_X, ty + 0.5);
        ctx.set_stroke_style_str(text);
        ctx.stroke();
    }
    if highlight {
        // `outline: 2px solid var(--ink); outline-offset: 1px`.
        ctx.set_line_width(2.0);
        ctx.set_stroke_style_str(&st.ink);
        ctx.stroke_rect(x - 2.0, y - 2.0, w + 4.0, ENTRY_H + 4.0);
    }
    ctx.set_global_alpha(1.0);
}

/// A rounded rectangle as the current path.
fn rounded(ctx: &web_sys::CanvasRenderingContext2d, x: f64, y: f64, w: f64, h: f64, r: f64) {
    let r = r.min(w / 2.0).min(h / 2.0);
    ctx.begin_path();
    ctx.move_to(x + r, y);
    let _ = ctx.arc_to(x + w, y, x + w, y + h, r);
    let _ = ctx.arc_to(x + w, y + h, x, y + h, r);
    let _ = ctx.arc_to(x, y + h, x, y, r);
    let _ = ctx.arc_to(x, y, x + w, y, r);
    ctx.close_path();
}
