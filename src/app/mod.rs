//! The Yew application. `App` owns the [`Session`](crate::session::Session) and drives one
//! long-lived animation-frame loop; the loop moves the displayed time and runs the engines ahead
//! in small chunks. A frame renders nothing by itself: it paints the messages in flight and
//! moves the clock; ten times a second, at a view tick, the panes whose state changed, their
//! log lanes and the playback bar render together, in that one frame.
//!
//! The session opens from the URL fragment (a link) and writes it back whenever playback is
//! paused, so the address bar always reproduces what is on screen.

mod callbacks;
mod canvas;
pub mod charts;
pub mod chrome;
pub mod controls;
pub mod diagram;
mod dialogs;
mod edges;
pub mod editor;
mod frame;
pub mod history;
pub mod host;
mod icons;
pub mod lanes;
mod layout;
mod page;
mod pane;
pub mod panel;
mod picks;
pub mod reader;
pub mod selection;
pub mod settings;
pub mod shared;
pub mod tour;
pub mod views;

use crate::derive::{self, Charts, Failover, Row, SpaceTime};
use crate::session::Session;
use callbacks::Cbs;
use charts::Compare;
use chrome::{Dialog, EmbedDialog, Export, ExportDialog, Header, ShareDialog};
use controls::{Controls, Marker, Target};
use diagram::{Diagram, MessageLayer};
use host::{HostCommand, HostEvent};
use lanes::Lanes;
use pane::PaneUi;
pub use pane::Tab;
use panel::Inspector;
use replicascope_engine::page::human_duration;
use replicascope_engine::page::Anomaly;
use replicascope_engine::page::Controls as ControlMode;
use replicascope_engine::page::Explain;
use replicascope_engine::page::PaneView;
use replicascope_engine::page::Report;
use replicascope_engine::page::{ConflictRecord, MerkleRecord, QuorumRecord};
use replicascope_engine::page::{Names, TopologyKind};
use replicascope_engine::page::{Scenario, TopologiesSpec};
use selection::Selection;
use shared::{listen, Bar, Clock, Feed, Highlight, Keep, Shared, ShownRate};
use std::cell::RefCell;
use std::rc::Rc;
use views::SpaceTimeView;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Wall milliseconds a frame spends computing the runs, at most (plus one chunk).
const COMPUTE_MS_PER_FRAME: f64 = 8.0;

/// After a seek from the scrubber, the link is rewritten once it has rested this long (ms).
const HASH_AFTER_SCRUB_MS: f64 = 250.0;

/// While playing, node and log views are rebuilt, and the playback bar moves, at most this often
/// (wall milliseconds): the page's view ticks.
const VIEW_REFRESH_MS: f64 = 100.0;

/// A view tick is due this much before `VIEW_REFRESH_MS` has passed, so that frames 16.7 ms
/// apart make one every sixth frame (100 ms) rather than every seventh.
const VIEW_TICK_SLACK_MS: f64 = 8.0;

/// Space-time windows a reader can choose, microseconds.
const WINDOWS: [(u64, &str); 4] = [(200_000, "0.2 s"), (1_000_000, "1 s"), (5_000_000, "5 s"), (20_000_000, "20 s")];

pub enum Msg {
    Frame(f64),
    TogglePlay,
    Seek(f64),
    StepForward,
    StepBack,
    Speed(f64),
    /// Adaptive playback on or off.
    Adaptive(bool),
    Reset,
    NewSeed,
    LoadPreset(String),
    Select(Selection),
    Marker(usize),
    PickAnomaly(usize, Anomaly),
    PickConflict(usize, usize),
    PickQuorum(usize, usize),
    PickMerkle(usize, usize),
    PickMessage(usize, u64),
    Hover(usize, Option<Highlight>),
    Intervene {
        pane: usize,
        action: String,
    },
    RemoveIntervention {
        pane: usize,
        index: usize,
    },
    Override(String, String),
    TogglePane(usize),
    Maximize(Option<usize>),
    Tab(usize, Tab),
    Window(usize, u64),
    ToggleSettings(usize),
    ToggleNarration,
    Dialog(Option<Dialog>),
    Export(Export),
    Jump(u64),
    ShowPane(TopologyKind),
    Key(KeyboardEvent),
    HashChanged,
    Host(Result<HostCommand, String>),
    Resized,
    DismissError,
    DismissProblems,
    CloseInspector,
    /// Guided tours: start one (at its first step), move through it, leave it.
    StartTour(String),
    TourNext,
    TourBack,
    /// Back to the tour's own run at the current step.
    TourRestart,
    TourDo,
    EndTour,
    /// The first visit's invitation to a tour: "Not now".
    DismissInvite,
    /// A scenario of one's own, from the editor.
    OpenScenario(Box<Scenario>),
    /// A file dropped on the page: a scenario opens, a broken one opens in the editor (an
    /// unreadable or oversized one is refused with a message).
    Dropped(String, Result<String, String>),
    /// A dropped scenario file's text, as the scenario reader (a worker) read it.
    DroppedRead(String, Box<crate::reading::Reading>),
    /// A change to how the imported history is checked, or to what is shown of it.
    History(history::HistoryMsg),
    /// What the history checker's worker said.
    Checker(history::Said),
    /// The editor's draft changed (kept when the dialog closes).
    Draft(String),
    /// A fault of the scenario dragged on the scrubber to another moment (index, time).
    MoveFault(usize, u64),
    /// A fault of the scenario removed from its marker (index).
    RemoveFault(usize),
}

pub struct App {
    cb: Cbs,
    session: Session,
    /// What in the link could not be used (shown until dismissed).
    problems: Vec<String>,
    error: Option<String>,
    last_frame: Option<f64>,
    /// Events per pane in the frame's next chunk of engine work, following the engine's
    /// measured speed (`crate::budget`).
    chunk_steps: u64,
    /// Panes mounted so far: none in the first render, one more each frame after, then all
    /// (`usize::MAX`) for the page's life. The first render is then the page around the panes,
    /// not three diagrams and their logs with it: the page's first task was 100 ms.
    panes_mounted: usize,
    /// When the last view tick was (the frame's timestamp; see `VIEW_REFRESH_MS`).
    last_view_tick: f64,
    /// This frame is a view tick: the bar moves with the panes.
    view_tick: bool,
    layout_gen: u32,
    /// Bumped when pane `i` must render again (its view, report or windows changed); a pane
    /// whose number and `layout_gen` are unchanged is not even compared.
    pane_gen: Vec<u64>,
    /// The displayed time, for the views that follow it every frame.
    clock: Shared<Clock>,
    /// The rate the clock shows (see `ShownRate`).
    shown_rate: ShownRate,
    /// Each pane's messages in flight, painted every frame outside the render.
    layers: Vec<Shared<MessageLayer>>,
    /// The view each pane's lanes show.
    lane_feeds: Vec<Shared<Feed<Rc<PaneView>>>>,
    /// What, besides the time, the page showed at its last render (playing, speed, captions):
    /// a frame that changes none of it and no pane does not render the page.
    shown: (bool, u64, Vec<usize>, Vec<(usize, u64)>),
    /// The persistent animation-frame callback; re-armed after each frame.
    frame_cb: Closure<dyn FnMut(f64)>,
    frame_requested: bool,
    selection: Option<Selection>,
    maximized: Option<usize>,
    reduced_motion: bool,
    /// Scrubber markers, recomputed only when a run finishes or is forked.
    markers: Shared<Vec<Marker>>,
    ui: Vec<PaneUi>,
    highlight: Option<(usize, Highlight)>,
    dialog: Option<Dialog>,
    compare: Option<(Shared<Vec<Row>>, Shared<Charts>)>,
    /// The comparison's rows are shown and its charts are still to be made.
    charts_due: bool,
    names: Rc<Names>,
    scenario: Rc<Scenario>,
    keys: Rc<Vec<String>>,
    /// The fragment must be rewritten once playback pauses.
    hash_dirty: bool,
    /// The link is not rewritten before this moment (`performance.now()`): see `Msg::Seek`.
    hash_write_after: f64,
    /// Last time bucket reported to an embedding page, and anomalies already announced.
    posted_time: i64,
    announced_until: u64,
    /// The page is inside another page's frame (events are posted to it); fixed for the
    /// page's life, so asked once.
    framed: bool,
    /// A first visit (no link, never invited before, not embedded): invite to a tour.
    invite: bool,
    /// The tour step last shown: a new step brings what it highlights into view.
    tour_shown: Option<(String, u32)>,
    /// What the scenario editor starts from (the scenario open, or a dropped file's text).
    editor_start: Rc<String>,
    /// The editor's last draft, if it was not opened: reopening the editor resumes it.
    editor_draft: Option<String>,
    /// A history dropped on the page or opened from the Export dialog (`Dialog::History`), and
    /// the worker that checks it (started with the first, stopped when the dialog closes).
    history: Option<history::Imported>,
    checker: Option<history::Checker>,
    /// A space-time export whose tab was opened for it: the export, the tab to go back to, and
    /// frames left before it is drawn.
    pending_export: Option<(Export, Tab, u8)>,
    _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl App {
    fn request_frame(&mut self) {
        if self.frame_requested {
            return;
        }
        if let Some(w) = web_sys::window() {
            if w.request_animation_frame(self.frame_cb.as_ref().unchecked_ref()).is_ok() {
                self.frame_requested = true;
            }
        }
    }

    fn busy(&self) -> bool {
        // A link waiting to be written while paused keeps frames coming until it is.
        self.session.playing
            || self.session.work_left()
            || self.charts_due
            || self.hash_dirty
            || self.panes_mounted < self.session.panes.len()
    }

    /// After the session was replaced: keep each pane's tab and window by topology.
    fn session_replaced(&mut self) {
        let old = std::mem::take(&mut self.ui);
        self.ui = self
            .session
            .panes
            .iter()
            .map(|p| {
                let mut u = PaneUi::new(p.kind);
                // The tab is part of the link (kept in the session's view options).
                if let Some((_, t)) = self.session.view.tabs.iter().find(|(k, _)| *k == p.kind) {
                    u.tab = Tab::from_link(*t, p.kind);
                }
                if let Some(o) = old.iter().find(|o| o.kind == p.kind) {
                    u.settings = o.settings;
                    u.window = o.window;
                    u.window_chosen = o.window_chosen;
                }
                u
            })
            .collect();
        let panes = self.session.panes.len();
        self.layers.resize_with(panes, Shared::default);
        self.pane_gen.resize(panes, 0);
        self.lane_feeds = self.session.panes.iter().map(|p| Shared::new(Feed::new(p.view.clone()))).collect();
        self.touch_panes();
        self.names = Rc::new(self.session.plan.names.clone());
        self.scenario = Rc::new(self.session.scenario.clone());
        self.keys = Rc::new(workload_keys(&self.session));
        self.selection = None;
        self.highlight = None;
        self.compare = None;
        self.markers = Shared::new(controls::markers(&self.session));
        self.announced_until = self.session.now();
        self.hash_dirty = true;
        if self.maximized.is_some_and(|m| m >= self.ui.len()) {
            self.maximized = None;
        }
    }

    /// Rebuilds what was derived from reports that changed, and the space-time windows that
    /// the displayed time left. Returns true if anything changed.
    fn sync(&mut self) -> bool {
        let mut changed = false;
        for ((p, u), gen) in self.session.panes.iter().zip(self.ui.iter_mut()).zip(self.pane_gen.iter_mut()) {
            let same = match (&p.report, &u.report) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            };
            if same {
                continue;
            }
            changed = true;
            *gen += 1;
            u.report = p.report.clone();
            u.space_time = None;
            let names = &self.session.plan.names;
            match &p.report {
                Some(r) => {
                    u.anomalies = Shared::new(r.anomalies.clone());
                    u.failover = Shared::new(derive::failover(&p.run, Some(r)));
                    let c = derive::conflicts(&p.run);
                    u.conflict_items = Shared::new(derive::conflict_lines(&c, names));
                    u.conflicts = Rc::new(c);
                    let q = derive::quorums(&p.run);
                    u.quorum_items = Shared::new(derive::quorum_lines(&q, names));
                    u.quorums = Rc::new(q);
                    let m = derive::merkle_exchanges(&p.run);
                    u.merkle_items = Shared::new(derive::merkle_lines(&m));
                    u.merkle = Rc::new(m);
                }
                None => {
                    u.anomalies = Shared::new(Vec::new());
                    u.failover = Shared::new(derive::failover(&p.run, None));
                }
            }
        }
        if changed {
            self.markers = Shared::new(controls::markers(&self.session));
            self.compare = None;
        }
        if self.compare.is_none() && self.session.panes.iter().all(|p| p.report.is_some()) {
            changed = true;
            let pairs: Vec<(&replicascope_engine::page::AnyRun, &Report)> =
                self.session.panes.iter().filter_map(|p| p.report.as_deref().map(|r| (&p.run, r))).collect();
            let rows = pairs.iter().map(|(run, r)| derive::row(run, r)).collect();
            // The charts follow in a frame of their own (`charts_frame`): with the last report
            // and the pace, one frame held the main thread for a fifth of a second.
            self.compare = Some((Shared::new(rows), Shared::new(Charts::default())));
            self.charts_due = true;
        }
        // Space-time data for the panes that show it.
        let now = self.session.now();
        for (i, u) in self.ui.iter_mut().enumerate() {
            if u.tab != Tab::SpaceTime || self.session.panes[i].hidden {
                continue;
            }
            let p = &self.session.panes[i];
            if !u.window_chosen {
                u.window = auto_window(&p.run);
            }
            let quarter = (u.window / 4).max(1);
            let bucket = now / quarter;
            let fresh =
                u.space_time.as_ref().is_some_and(|(b, w, complete, _)| *b == bucket && *w == u.window && *complete);
            if fresh {
                continue;
            }
            let from = (bucket * quarter).saturating_sub(u.window * 7 / 8);
            let to = (bucket + 1) * quarter + u.window / 8;
            let complete = p.run.finished() || p.run.computed_until() >= to;
            let anomalies: &[Anomaly] = p.report.as_deref().map(|r| r.anomalies.as_slice()).unwrap_or(&[]);
            let data = derive::space_time_range(&p.run, from, to, now, false, anomalies);
            u.space_time = Some((bucket, u.window, complete, Shared::new(data)));
            self.pane_gen[i] += 1;
            changed = true;
        }
        changed
    }

    /// Makes the comparison's charts, if they are due. Returns true if it did.
    fn charts_frame(&mut self) -> bool {
        if !std::mem::take(&mut self.charts_due) {
            return false;
        }
        let Some((rows, _)) = &self.compare else { return false };
        let pairs: Vec<(&replicascope_engine::page::AnyRun, &Report)> =
            self.session.panes.iter().filter_map(|p| p.report.as_deref().map(|r| (&p.run, r))).collect();
        self.compare = Some((rows.clone(), Shared::new(derive::charts(&pairs))));
        true
    }

    /// Every pane renders again at the next render.
    fn touch_panes(&mut self) {
        for g in &mut self.pane_gen {
            *g += 1;
        }
    }

    /// Paints every shown pane's messages in flight at the displayed time. Returns false if a
    /// canvas was not in the page yet.
    fn paint(&self) -> bool {
        let s = &self.session;
        let (now, time) = (s.now(), s.time);
        let mut all = true;
        for (i, p) in s.panes.iter().enumerate() {
            if p.hidden || self.maximized.is_some_and(|m| m != i) {
                continue;
            }
            let Some(layer) = self.layers.get(i) else { continue };
            let in_flight = p.in_flight(now).into_iter().map(|m| diagram::Flying::of(m, time)).collect();
            let highlight = self.highlight.filter(|(pi, _)| *pi == i).map(|(_, h)| h);
            let geo = diagram::Geo::of(&p.view, p.kind);
            all &= layer.paint(in_flight, geo, self.reduced_motion, highlight, self.layout_gen, s.playing);
        }
        all
    }

    /// What the page shows besides the time and the panes: see `shown`.
    fn shown_now(&self) -> (bool, u64, Vec<usize>, Vec<(usize, u64)>) {
        let s = &self.session;
        let captions = if s.view.narration { s.captions().into_iter().map(|(i, _)| i).collect() } else { Vec::new() };
        let notes = if s.view.narration {
            s.anomaly_notes().into_iter().map(|(i, a)| (i, a.time)).collect()
        } else {
            Vec::new()
        };
        (s.playing, if s.adaptive { u64::MAX } else { s.speed.to_bits() }, captions, notes)
    }

    fn after_load(&mut self, problems: Vec<String>) {
        self.problems = problems;
        self.session_replaced();
        self.sync();
    }

    fn select_conflict(&mut self, pane: usize, index: usize) {
        let Some(u) = self.ui.get(pane) else { return };
        let Some((t, record)) = u.conflicts.get(index).cloned() else { return };
        let offsets = self.session.panes[pane].view.nodes.iter().map(|n| n.clock_offset_us).collect();
        self.selection =
            Some(Selection::Conflict { pane: u.kind, time: t, record: Box::new(record), clock_offsets: offsets });
    }

    fn seek(&mut self, t: f64) {
        self.session.seek(t);
        self.hash_dirty = true;
    }

    fn post_events(&mut self) {
        if !self.framed {
            return;
        }
        let bucket = (self.session.time / 100_000.0) as i64;
        if bucket != self.posted_time {
            self.posted_time = bucket;
            host::post(&HostEvent::Time {
                t: self.session.time / 1e6,
                playing: self.session.playing,
                speed: self.session.rate(),
            });
        }
        let now = self.session.now();
        if now < self.announced_until {
            self.announced_until = now;
            return;
        }
        for p in &self.session.panes {
            let Some(r) = &p.report else { continue };
            for a in r.anomalies.iter().filter(|a| a.time > self.announced_until && a.time <= now).take(20) {
                host::post(&HostEvent::Anomaly {
                    pane: p.kind.name().into(),
                    kind: a.kind.name().into(),
                    t: a.time as f64 / 1e6,
                    explanation: a.explanation.clone(),
                });
            }
        }
        if self.session.panes.iter().all(|p| p.report.is_some()) {
            self.announced_until = now;
        }
    }

    fn load_fragment(&mut self, fragment: &str) {
        let (s, problems) = Session::from_link(fragment);
        self.session = s;
        self.after_load(problems);
    }
}

/// A space-time window in which the run's typical message is drawn with a visible slope: about
/// forty median one-way latencies, rounded to one of the offered windows.
fn auto_window(run: &replicascope_engine::page::AnyRun) -> u64 {
    let msgs = &run.trace().messages;
    if msgs.len() < 20 {
        return 1_000_000;
    }
    let mut lat: Vec<u64> = msgs.iter().take(400).map(|m| m.deliver_at - m.sent_at).collect();
    replicascope_engine::page::sort(&mut lat);
    let want = lat[lat.len() / 2] * 40;
    WINDOWS.iter().map(|(w, _)| *w).find(|w| *w >= want).unwrap_or(WINDOWS[WINDOWS.len() - 1].0)
}

/// Keys the workload touches (for the client request menu).
fn workload_keys(s: &Session) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for op in &s.plan.ops {
        if let Some(k) = op.op.op.key() {
            let name = s.plan.names.get(k).to_string();
            if !keys.contains(&name) {
                keys.push(name);
            }
        }
        if keys.len() >= 12 {
            break;
        }
    }
    keys
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        let frame_cb = Closure::wrap(Box::new(move |ts: f64| link.send_message(Msg::Frame(ts))) as Box<dyn FnMut(f64)>);
        let hash = host::read_hash();
        // Opened by `start`, a task before this one (see there); tests render the app directly.
        let (session, problems) = OPENED.with(|o| o.take()).unwrap_or_else(|| Session::from_link(&hash));
        let invite = hash.trim_start_matches('#').is_empty() && !host::in_frame() && !host::invited();
        let reduced_motion = canvas::media("(prefers-reduced-motion: reduce)");
        let mut listeners = Vec::new();
        if let Some(w) = web_sys::window() {
            let l = ctx.link().clone();
            listeners.push(listen(w.as_ref(), "keydown", move |e| {
                if let Ok(k) = e.dyn_into::<KeyboardEvent>() {
                    l.send_message(Msg::Key(k));
                }
            }));
            let l = ctx.link().clone();
            listeners.push(listen(w.as_ref(), "hashchange", move |_| l.send_message(Msg::HashChanged)));
            let l = ctx.link().clone();
            listeners.push(listen(w.as_ref(), "resize", move |_| l.send_message(Msg::Resized)));
            // A scenario file or a history dropped anywhere on the page opens (`Msg::Dropped`).
            listeners.push(listen(w.as_ref(), "dragover", |e| e.prevent_default()));
            let l = ctx.link().clone();
            listeners.push(listen(w.as_ref(), "drop", move |e| {
                e.prevent_default();
                let file = e
                    .dyn_into::<web_sys::DragEvent>()
                    .ok()
                    .and_then(|d| d.data_transfer())
                    .and_then(|t| t.files())
                    .and_then(|f| f.get(0));
                if let Some(file) = file {
                    let name = file.name();
                    editor::read_file(file, l.callback(move |text| Msg::Dropped(name.clone(), text)));
                }
            }));
            let l = ctx.link().clone();
            listeners.push(listen(w.as_ref(), "message", move |e| {
                if let Ok(m) = e.dyn_into::<web_sys::MessageEvent>() {
                    // Our own events echo back when the page is its own parent; ignore them.
                    if js_sys::Reflect::get(&m.data(), &JsValue::from_str("source"))
                        .ok()
                        .and_then(|v| v.as_string())
                        .as_deref()
                        == Some("replicascope")
                    {
                        return;
                    }
                    if let Some(cmd) = host::parse_command(&m.data()) {
                        l.send_message(Msg::Host(cmd));
                    }
                }
            }));
        }
        if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("rs-boot")) {
            boot.remove();
        }
        let mut app = App {
            cb: Cbs::new(ctx.link()),
            names: Rc::new(session.plan.names.clone()),
            scenario: Rc::new(session.scenario.clone()),
            keys: Rc::new(Vec::new()),
            session,
            problems: Vec::new(),
            error: None,
            last_frame: None,
            chunk_steps: crate::budget::FIRST_CHUNK,
            panes_mounted: 0,
            last_view_tick: f64::NEG_INFINITY,
            view_tick: false,
            layout_gen: 0,
            pane_gen: Vec::new(),
            clock: Shared::default(),
            shown_rate: ShownRate::default(),
            layers: Vec::new(),
            lane_feeds: Vec::new(),
            shown: (false, 0, Vec::new(), Vec::new()),
            frame_cb,
            frame_requested: false,
            selection: None,
            maximized: None,
            reduced_motion,
            markers: Shared::new(Vec::new()),
            ui: Vec::new(),
            highlight: None,
            dialog: None,
            compare: None,
            charts_due: false,
            hash_dirty: false,
            hash_write_after: 0.0,
            posted_time: -1,
            announced_until: 0,
            framed: host::in_frame(),
            invite,
            tour_shown: None,
            pending_export: None,
            editor_start: Rc::new(String::new()),
            editor_draft: None,
            history: None,
            checker: None,
            _listeners: listeners,
        };
        app.after_load(problems);
        // Opening a link should not rewrite it until the reader changes something.
        app.hash_dirty = false;
        if app.framed {
            host::post(&HostEvent::Ready { link: app.session.link() });
        }
        app.request_frame();
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let was_playing = self.session.playing;
        let is_frame = matches!(msg, Msg::Frame(_));
        if !is_frame {
            // Anything but a frame may change the layout (panes, drawer, dialogs, resizes).
            self.layout_gen = self.layout_gen.wrapping_add(1);
            // Only a scrub waits to write the link (`Msg::Seek`); anything else done right after
            // one (a fault moved or removed, a crash) is in the address at once, not a moment
            // later, when a reader may already have copied it.
            if !matches!(msg, Msg::Seek(_)) {
                self.hash_write_after = 0.0;
            }
        }
        let s = &mut self.session;
        let rerender = match msg {
            Msg::Frame(ts) => self.on_frame(ts),
            Msg::TogglePlay => {
                s.toggle_play();
                true
            }
            Msg::Seek(t) => {
                self.seek(t);
                // A drag of the scrubber seeks every few milliseconds: the link follows once it
                // rests (encoding it and replacing the address cost a few ms per seek).
                self.hash_write_after = host::page_ms() + HASH_AFTER_SCRUB_MS;
                true
            }
            Msg::Jump(t) => {
                self.seek(t as f64);
                true
            }
            Msg::StepForward | Msg::StepBack => {
                s.step(matches!(msg, Msg::StepForward));
                self.hash_dirty = true;
                true
            }
            Msg::Adaptive(on) => {
                s.set_adaptive(on);
                self.hash_dirty = true;
                true
            }
            Msg::Speed(v) => {
                s.choose_speed(v);
                self.hash_dirty = true;
                true
            }
            Msg::Reset => {
                s.playing = false;
                s.set_time(0.0);
                self.hash_dirty = true;
                true
            }
            Msg::NewSeed => {
                let mut buf = [0u8; 8];
                let seed = if getrandom::getrandom(&mut buf).is_ok() {
                    u64::from_le_bytes(buf) % 1_000_000
                } else {
                    s.scenario.seed + 1
                };
                match s.reseed(seed) {
                    Ok(()) => self.after_load(Vec::new()),
                    Err(e) => self.error = Some(e),
                }
                true
            }
            Msg::LoadPreset(id) => {
                // Another preset keeps the views the reader chose for each kind of pane.
                let tabs = self.session.view.tabs.clone();
                let (mut next, problems) =
                    Session::from_link(&format!("preset={}", replicascope_engine::page::percent_encode(&id)));
                next.view.tabs = tabs;
                self.session = next;
                self.after_load(problems);
                self.hash_dirty = true;
                true
            }
            m @ (Msg::Select(_)
            | Msg::Marker(_)
            | Msg::PickAnomaly(..)
            | Msg::PickConflict(..)
            | Msg::PickQuorum(..)
            | Msg::PickMerkle(..)
            | Msg::PickMessage(..)) => self.on_pick(m),
            Msg::Hover(pane, h) => {
                let next = h.map(|h| (pane, h));
                if self.highlight == next {
                    return false;
                }
                self.highlight = next;
                true
            }
            Msg::Intervene { pane, action } => {
                match s.intervene(pane, &action) {
                    Ok(()) => {
                        self.hash_dirty = true;
                        self.sync();
                        self.tour_notice();
                    }
                    Err(e) => self.error = Some(format!("Could not apply “{action}”: {e}")),
                }
                true
            }
            Msg::RemoveIntervention { pane, index } => {
                match s.remove_intervention(pane, index) {
                    Ok(()) => {
                        self.hash_dirty = true;
                        self.sync();
                    }
                    Err(e) => self.error = Some(e),
                }
                true
            }
            Msg::Override(key, value) => {
                match s.set_override(&key, &value) {
                    Ok(problems) => {
                        self.after_load(problems);
                        self.tour_notice();
                    }
                    Err(e) => self.error = Some(format!("Could not set {} to {value}: {e}", s.setting_name(&key))),
                }
                true
            }
            m @ (Msg::TogglePane(_)
            | Msg::ShowPane(_)
            | Msg::Maximize(_)
            | Msg::Tab(..)
            | Msg::Window(..)
            | Msg::ToggleSettings(_)) => self.on_layout(m),
            Msg::ToggleNarration => {
                s.set_narration(!s.view.narration);
                self.hash_dirty = true;
                true
            }
            m @ (Msg::Export(_) | Msg::Key(_) | Msg::HashChanged | Msg::Host(_)) => self.on_outside(m),
            m @ (Msg::Dialog(_)
            | Msg::OpenScenario(_)
            | Msg::Draft(_)
            | Msg::Dropped(..)
            | Msg::DroppedRead(..)
            | Msg::History(_)
            | Msg::Checker(_)) => self.on_dialog(ctx, m),
            Msg::Resized => true,
            Msg::DismissError => {
                self.error = None;
                true
            }
            Msg::DismissProblems => {
                self.problems.clear();
                true
            }
            Msg::CloseInspector => {
                self.selection = None;
                true
            }
            m @ (Msg::MoveFault(..) | Msg::RemoveFault(_)) => {
                let changed = match m {
                    Msg::MoveFault(i, t) => self.session.move_fault(i, t),
                    Msg::RemoveFault(i) => self.session.remove_fault(i),
                    _ => Ok(()),
                };
                match changed {
                    Ok(()) => {
                        self.after_load(Vec::new());
                        self.hash_dirty = true;
                    }
                    Err(e) => self.error = Some(e),
                }
                true
            }
            m @ (Msg::StartTour(_)
            | Msg::TourNext
            | Msg::TourDo
            | Msg::TourBack
            | Msg::TourRestart
            | Msg::EndTour
            | Msg::DismissInvite) => self.on_tour(m),
        };
        self.settle(was_playing, is_frame, rerender)
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        // A canvas mounted by this render may not be measured yet: paint again next frame.
        if !self.paint() {
            self.request_frame();
        }
        // Not before the panes are mounted (see `panes_mounted`): a step usually points into one.
        if self.panes_mounted >= self.session.panes.len() {
            let at = self.session.view.tour.clone();
            if at.is_some() && at != self.tour_shown {
                tour::bring_into_view();
            }
            self.tour_shown = at;
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        self.page_html(ctx)
    }
}

thread_local! {
    static PANICKED: RefCell<bool> = const { RefCell::new(false) };
}

/// Shows a panic on the page as well as in the console: never a blank page.
fn panic_hook(info: &std::panic::PanicHookInfo) {
    console_error_panic_hook::hook(info);
    if PANICKED.with(|p| p.replace(true)) {
        return;
    }
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(div) = doc.create_element("div") else { return };
    div.set_class_name("banner panic");
    div.set_attribute("role", "alert").ok();
    // Text only: a panic message may contain anything.
    div.set_text_content(Some(&format!(
        "ReplicaScope hit an internal error and stopped. Reload the page to start again. Details: {info}"
    )));
    if let Some(body) = doc.body() {
        let _ = body.prepend_with_node_1(&div);
    }
}

thread_local! {
    /// The run `start` opened from the link, for `App::create` to take.
    static OPENED: RefCell<Option<(Session, Vec<String>)>> = const { RefCell::new(None) };
}

/// Reads the link, starts its runs, then renders the page, each in a task of its own after the
/// one that loaded the WebAssembly: reading the link and compiling its scenario, and starting
/// three runs, are each a few tens of milliseconds on a large scenario while the WebAssembly is
/// in its baseline tier, and one task doing all of it ran past 50 ms (issue 20's budget for any
/// task).
pub fn start() {
    std::panic::set_hook(Box::new(panic_hook));
    let render = || {
        yew::Renderer::<App>::new().render();
    };
    let started = move || {
        let read = Session::read_link(&host::read_hash());
        let start = move || {
            OPENED.with(|o| *o.borrow_mut() = Some(read.start()));
            if let Err(render) = later_or_back(render) {
                render();
            }
        };
        // Where nothing can be scheduled, all at once.
        if let Err(start) = later_or_back(start) {
            start();
        }
    };
    if let Err(started) = later_or_back(started) {
        started();
    }
}

/// Runs `f` in a task of its own (a zero-delay timeout); hands it back if that cannot be
/// scheduled.
fn later_or_back<F: FnOnce() + 'static>(f: F) -> Result<(), F> {
    let Some(w) = web_sys::window() else { return Err(f) };
    let slot = Rc::new(RefCell::new(Some(f)));
    let inner = slot.clone();
    let js = Closure::once_into_js(move || {
        if let Some(f) = inner.borrow_mut().take() {
            f();
        }
    });
    if w.set_timeout_with_callback(js.unchecked_ref()).is_ok() {
        Ok(())
    } else {
        match slot.borrow_mut().take() {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }
}
