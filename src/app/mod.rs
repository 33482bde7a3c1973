//! The Yew application. `App` owns the [`Session`](crate::session::Session) and drives one
//! long-lived animation-frame loop; the loop moves the displayed time and runs the engines ahead
//! in small chunks. A frame renders nothing by itself: it paints the messages in flight, ticks
//! the clock that the playback bar follows, and renders a pane only when that pane's turn came
//! and its state changed (its diagram in one frame, its log lanes in the next).
//!
//! The session opens from the URL fragment (a link) and writes it back whenever playback is
//! paused, so the address bar always reproduces what is on screen.

mod canvas;
pub mod charts;
pub mod chrome;
pub mod controls;
pub mod diagram;
pub mod host;
mod icons;
pub mod lanes;
pub mod panel;
pub mod selection;
pub mod settings;
pub mod shared;
pub mod views;

use crate::derive::{self, Charts, Failover, Row, SpaceTime};
use crate::session::Session;
use charts::Compare;
use chrome::{Dialog, EmbedDialog, Export, ExportDialog, Header, HelpDialog, ShareDialog};
use controls::{Controls, Marker, Target};
use diagram::{Diagram, MessageLayer};
use host::{HostCommand, HostEvent};
use lanes::Lanes;
use panel::{Inspector, Legend};
use replicascope_engine::annotate::{ConflictRecord, MerkleRecord, QuorumRecord};
use replicascope_engine::checker::Anomaly;
use replicascope_engine::link::Controls as ControlMode;
use replicascope_engine::metrics::Report;
use replicascope_engine::run::PaneView;
use replicascope_engine::scenario::{Scenario, TopologiesSpec};
use replicascope_engine::time::human_duration;
use replicascope_engine::topology::Explain;
use replicascope_engine::vocab::{Names, TopologyKind};
use selection::Selection;
use settings::Settings;
use shared::{Clock, Feed, Highlight, Keep, Shared};
use std::cell::RefCell;
use std::rc::Rc;
use views::{AnomalyList, FailoverView, RecordList, SpaceTimeView};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Engine work per frame, in events per pane; small enough to never hold the main thread for
/// more than a few milliseconds.
const STEPS_PER_FRAME: u64 = 3000;

/// While playing, node and log views are rebuilt at most this often (wall milliseconds).
const VIEW_REFRESH_MS: f64 = 100.0;

/// Space-time windows a reader can choose, microseconds.
const WINDOWS: [(u64, &str); 4] = [(200_000, "0.2 s"), (1_000_000, "1 s"), (5_000_000, "5 s"), (20_000_000, "20 s")];

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tab {
    Logs,
    SpaceTime,
    /// Failover (leader-follower), conflicts (multi-leader), quorums and Merkle (leaderless).
    Explain,
    Anomalies,
}

impl Tab {
    fn label(self, kind: TopologyKind) -> &'static str {
        match self {
            Tab::Logs => "Logs",
            Tab::SpaceTime => "Space-time",
            Tab::Explain => TopologiesSpec::explain(kind).map(Explain::label).unwrap_or("Explain"),
            Tab::Anomalies => "Anomalies",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Tab::Logs => "logs",
            Tab::SpaceTime => "space-time",
            Tab::Explain => "explain",
            Tab::Anomalies => "anomalies",
        }
    }
}

pub enum Msg {
    Frame(f64),
    TogglePlay,
    Seek(f64),
    StepForward,
    StepBack,
    Speed(f64),
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
    Intervene { pane: usize, action: String },
    RemoveIntervention { pane: usize, index: usize },
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
}

/// What each pane's views need beyond the session, derived once per report.
struct PaneUi {
    kind: TopologyKind,
    tab: Tab,
    settings: bool,
    window: u64,
    /// The reader picked the window (otherwise it follows the run's message latencies).
    window_chosen: bool,
    /// The report the lists below were derived from.
    report: Option<Rc<Report>>,
    anomalies: Shared<Vec<Anomaly>>,
    failover: Shared<Failover>,
    conflicts: Rc<Vec<(u64, ConflictRecord)>>,
    conflict_items: Shared<Vec<(u64, String)>>,
    quorums: Rc<Vec<(u64, QuorumRecord)>>,
    quorum_items: Shared<Vec<(u64, String)>>,
    merkle: Rc<Vec<(u64, MerkleRecord)>>,
    merkle_items: Shared<Vec<(u64, String)>>,
    /// Space-time data: (bucket, window, complete, data).
    space_time: Option<(u64, u64, bool, Shared<SpaceTime>)>,
}

impl PaneUi {
    fn new(kind: TopologyKind) -> Self {
        PaneUi {
            kind,
            tab: Tab::Logs,
            settings: false,
            window: 1_000_000,
            window_chosen: false,
            report: None,
            anomalies: Shared::new(Vec::new()),
            failover: Shared::new(Failover::default()),
            conflicts: Rc::new(Vec::new()),
            conflict_items: Shared::new(Vec::new()),
            quorums: Rc::new(Vec::new()),
            quorum_items: Shared::new(Vec::new()),
            merkle: Rc::new(Vec::new()),
            merkle_items: Shared::new(Vec::new()),
            space_time: None,
        }
    }
}

/// Callbacks made once, so that components whose data did not change are not re-rendered
/// every frame just because they were handed a new closure.
struct Cbs {
    select: Callback<Selection>,
    jump: Callback<u64>,
    show_pane: Callback<TopologyKind>,
    preset: Callback<String>,
    dialog: Callback<Dialog>,
    set: Callback<(String, String)>,
    toggle: Callback<()>,
    seek: Callback<f64>,
    step_forward: Callback<()>,
    step_back: Callback<()>,
    speed: Callback<f64>,
    reset: Callback<()>,
    marker: Callback<usize>,
    new_seed: Callback<()>,
    /// Per pane index.
    intervene: Vec<Callback<String>>,
    hover: Vec<Callback<Option<Highlight>>>,
    pick_message: Vec<Callback<u64>>,
    pick_anomaly: Vec<Callback<Anomaly>>,
    pick_conflict: Vec<Callback<usize>>,
    pick_quorum: Vec<Callback<usize>>,
    pick_merkle: Vec<Callback<usize>>,
}

impl Cbs {
    fn new(link: &yew::html::Scope<App>) -> Cbs {
        // One set per topology the registry knows; a scenario shows those it configures.
        let panes = TopologyKind::ALL.len();
        Cbs {
            select: link.callback(Msg::Select),
            jump: link.callback(Msg::Jump),
            show_pane: link.callback(Msg::ShowPane),
            preset: link.callback(Msg::LoadPreset),
            dialog: link.callback(|d| Msg::Dialog(Some(d))),
            set: link.callback(|(k, v)| Msg::Override(k, v)),
            toggle: link.callback(|_| Msg::TogglePlay),
            seek: link.callback(Msg::Seek),
            step_forward: link.callback(|_| Msg::StepForward),
            step_back: link.callback(|_| Msg::StepBack),
            speed: link.callback(Msg::Speed),
            reset: link.callback(|_| Msg::Reset),
            marker: link.callback(Msg::Marker),
            new_seed: link.callback(|_| Msg::NewSeed),
            intervene: (0..panes)
                .map(|i| link.callback(move |action: String| Msg::Intervene { pane: i, action }))
                .collect(),
            hover: (0..panes).map(|i| link.callback(move |h: Option<Highlight>| Msg::Hover(i, h))).collect(),
            pick_message: (0..panes).map(|i| link.callback(move |id| Msg::PickMessage(i, id))).collect(),
            pick_anomaly: (0..panes).map(|i| link.callback(move |a| Msg::PickAnomaly(i, a))).collect(),
            pick_conflict: (0..panes).map(|i| link.callback(move |k| Msg::PickConflict(i, k))).collect(),
            pick_quorum: (0..panes).map(|i| link.callback(move |k| Msg::PickQuorum(i, k))).collect(),
            pick_merkle: (0..panes).map(|i| link.callback(move |k| Msg::PickMerkle(i, k))).collect(),
        }
    }
}

pub struct App {
    cb: Cbs,
    session: Session,
    /// What in the link could not be used (shown until dismissed).
    problems: Vec<String>,
    error: Option<String>,
    last_frame: Option<f64>,
    last_view_refresh: f64,
    next_refresh: usize,
    layout_gen: u32,
    /// Bumped when pane `i` must render again (its view, report or windows changed); a pane
    /// whose number and `layout_gen` are unchanged is not even compared.
    pane_gen: Vec<u64>,
    /// The displayed time, for the views that follow it every frame.
    clock: Shared<Clock>,
    /// Each pane's messages in flight, painted every frame outside the render.
    layers: Vec<Shared<MessageLayer>>,
    /// While playing, a pane's log lanes catch up with its new view one frame after its diagram
    /// (`held` keeps the view they still show, `lanes_due` names the pane), so that a pane's
    /// turn is spread over two frames instead of weighing on one.
    held: Vec<Option<Rc<PaneView>>>,
    lanes_due: Option<usize>,
    /// The view each pane's lanes show.
    lane_feeds: Vec<Shared<Feed<Rc<PaneView>>>>,
    /// What, besides the time, the page showed at its last render (playing, speed, captions):
    /// a frame that changes none of it and no pane does not render the page.
    shown: (bool, u64, Vec<usize>),
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
    names: Rc<Names>,
    scenario: Rc<Scenario>,
    keys: Rc<Vec<String>>,
    /// The fragment must be rewritten once playback pauses.
    hash_dirty: bool,
    /// Last time bucket reported to an embedding page, and anomalies already announced.
    posted_time: i64,
    announced_until: u64,
    /// The page is inside another page's frame (events are posted to it); fixed for the
    /// page's life, so asked once.
    framed: bool,
    _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

fn listen(
    target: &web_sys::EventTarget,
    event: &str,
    f: impl FnMut(web_sys::Event) + 'static,
) -> Closure<dyn FnMut(web_sys::Event)> {
    let c = Closure::wrap(Box::new(f) as Box<dyn FnMut(web_sys::Event)>);
    let _ = target.add_event_listener_with_callback(event, c.as_ref().unchecked_ref());
    c
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
        self.session.playing || !self.session.all_finished()
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
                if let Some(o) = old.iter().find(|o| o.kind == p.kind) {
                    u.tab = o.tab;
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
        self.held = vec![None; panes];
        self.lanes_due = None;
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
                    u.conflict_items = Shared::new(
                        c.iter()
                            .map(|(t, c)| (*t, format!("{} at {}: {}", names.get(c.key), c.node, c.result)))
                            .collect(),
                    );
                    u.conflicts = Rc::new(c);
                    let q = derive::quorums(&p.run);
                    u.quorum_items = Shared::new(
                        q.iter()
                            .map(|(t, q)| {
                                let what = if q.write { "write" } else { "read" };
                                let stale = if q.stale.is_empty() {
                                    String::new()
                                } else {
                                    format!(", {} stale", q.stale.len())
                                };
                                (
                                    *t,
                                    format!(
                                        "{what} {} via {}: {}/{} answered{stale}",
                                        names.get(q.key),
                                        q.coordinator,
                                        q.answered.len(),
                                        q.need
                                    ),
                                )
                            })
                            .collect(),
                    );
                    u.quorums = Rc::new(q);
                    let m = derive::merkle_exchanges(&p.run);
                    u.merkle_items = Shared::new(
                        m.iter()
                            .map(|(t, m)| (*t, format!("{} ↔ {}: {} key(s) synced", m.a, m.b, m.keys_synced.len())))
                            .collect(),
                    );
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
            let pairs: Vec<(&replicascope_engine::run::AnyRun, &Report)> =
                self.session.panes.iter().filter_map(|p| p.report.as_deref().map(|r| (&p.run, r))).collect();
            let rows = pairs.iter().map(|(run, r)| derive::row(run, r)).collect();
            self.compare = Some((Shared::new(rows), Shared::new(derive::charts(&pairs))));
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
    fn shown_now(&self) -> (bool, u64, Vec<usize>) {
        let s = &self.session;
        let captions = if s.view.narration { s.captions().into_iter().map(|(i, _)| i).collect() } else { Vec::new() };
        (s.playing, s.speed.to_bits(), captions)
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
                speed: self.session.speed,
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
fn auto_window(run: &replicascope_engine::run::AnyRun) -> u64 {
    let msgs = &run.trace().messages;
    if msgs.len() < 20 {
        return 1_000_000;
    }
    let mut lat: Vec<u64> = msgs.iter().take(400).map(|m| m.deliver_at - m.sent_at).collect();
    replicascope_engine::sort::sort(&mut lat);
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
        let (session, problems) = Session::from_link(&host::read_hash());
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
            last_view_refresh: 0.0,
            next_refresh: 0,
            layout_gen: 0,
            pane_gen: Vec::new(),
            clock: Shared::default(),
            layers: Vec::new(),
            held: Vec::new(),
            lanes_due: None,
            lane_feeds: Vec::new(),
            shown: (false, 0, Vec::new()),
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
            hash_dirty: false,
            posted_time: -1,
            announced_until: 0,
            framed: host::in_frame(),
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

    fn update(&mut self, _ctx: &Context<Self>, msg: Msg) -> bool {
        let was_playing = self.session.playing;
        let is_frame = matches!(msg, Msg::Frame(_));
        if !is_frame {
            // Anything but a frame may change the layout (panes, drawer, dialogs, resizes).
            self.layout_gen = self.layout_gen.wrapping_add(1);
        }
        let s = &mut self.session;
        let rerender = match msg {
            Msg::Frame(ts) => {
                self.frame_requested = false;
                let dt = self.last_frame.map(|l| (ts - l).clamp(0.0, 100.0)).unwrap_or(0.0);
                self.last_frame = Some(ts);
                let finished_now = s.compute(STEPS_PER_FRAME);
                s.tick(dt);
                // Node and log views follow a few times a second, one pane per frame; messages
                // move every frame, painted outside the render (below, or after the render).
                let panes = s.panes.len().max(1);
                let mut render = false;
                if let Some(j) = self.lanes_due.take() {
                    // The lanes of the pane whose turn was last frame catch up (through their
                    // feed, below: only they render).
                    if let Some(h) = self.held.get_mut(j) {
                        *h = None;
                    }
                } else if ts - self.last_view_refresh >= VIEW_REFRESH_MS / panes as f64 {
                    self.last_view_refresh = ts;
                    self.next_refresh = (self.next_refresh + 1) % panes;
                    let i = self.next_refresh;
                    // These tabs mark what is past, so they follow the time at the same pace.
                    let follows_time = self.ui.get(i).is_some_and(|u| matches!(u.tab, Tab::Explain | Tab::Anomalies));
                    let before = s.panes.get(i).map(|p| p.view.clone());
                    if s.refresh_view(i) || follows_time {
                        if let Some(g) = self.pane_gen.get_mut(i) {
                            *g += 1;
                        }
                        if s.playing && self.ui.get(i).is_some_and(|u| u.tab == Tab::Logs) {
                            if let Some(h) = self.held.get_mut(i) {
                                *h = before;
                                self.lanes_due = Some(i);
                            }
                        }
                        render = true;
                    }
                }
                if finished_now {
                    render |= self.sync();
                }
                render || finished_now || self.shown != self.shown_now()
            }
            Msg::TogglePlay => {
                if s.now() >= s.duration() {
                    s.set_time(0.0);
                }
                s.playing = !s.playing;
                true
            }
            Msg::Seek(t) => {
                self.seek(t);
                true
            }
            Msg::Jump(t) => {
                self.seek(t as f64);
                true
            }
            Msg::StepForward => {
                s.playing = false;
                if let Some(t) = s.next_event_time() {
                    s.set_time(t as f64);
                }
                self.hash_dirty = true;
                true
            }
            Msg::StepBack => {
                s.playing = false;
                if let Some(t) = s.previous_event_time() {
                    s.set_time(t as f64);
                }
                self.hash_dirty = true;
                true
            }
            Msg::Speed(v) => {
                s.set_speed(v);
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
                self.load_fragment(&format!("preset={}", replicascope_engine::link::percent_encode(&id)));
                self.hash_dirty = true;
                true
            }
            Msg::Select(sel) => {
                // A log entry of a write that met a conflict opens the conflict.
                let conflict = match &sel {
                    Selection::Entry { pane, entry, .. } if *pane == TopologyKind::MultiLeader => {
                        entry.write.and_then(|w| {
                            let i = self.session.pane_index(*pane)?;
                            let idx = self.ui[i].conflicts.iter().position(|(_, c)| {
                                c.discarded.contains(&w) || c.versions.iter().any(|v| v.write == Some(w))
                            })?;
                            Some((i, idx))
                        })
                    }
                    _ => None,
                };
                match conflict {
                    Some((i, idx)) => self.select_conflict(i, idx),
                    None => self.selection = Some(sel),
                }
                true
            }
            Msg::Marker(i) => {
                let Some(m) = self.markers.get(i).cloned() else { return false };
                self.seek(m.time as f64);
                match (m.pane, m.target) {
                    (Some(p), Target::Conflict(c)) => {
                        self.sync();
                        self.select_conflict(p, c);
                    }
                    (Some(p), Target::Anomaly(a)) => {
                        if let Some(an) = self.session.panes[p].report.as_ref().and_then(|r| r.anomalies.get(a)) {
                            self.selection = Some(Selection::Anomaly {
                                pane: self.session.panes[p].kind,
                                anomaly: Box::new(an.clone()),
                            });
                        }
                    }
                    _ => {}
                }
                true
            }
            Msg::PickAnomaly(pane, a) => {
                self.seek(a.time as f64);
                let kind = self.session.panes[pane].kind;
                // Highlight the anomaly's first message in the space-time view.
                if let Some(m) = a.messages.first() {
                    self.highlight = Some((pane, Highlight::Msg(*m)));
                }
                self.selection = Some(Selection::Anomaly { pane: kind, anomaly: Box::new(a) });
                true
            }
            Msg::PickConflict(pane, i) => {
                if let Some((t, _)) = self.ui.get(pane).and_then(|u| u.conflicts.get(i)) {
                    let t = *t;
                    self.seek(t as f64);
                }
                self.select_conflict(pane, i);
                true
            }
            Msg::PickQuorum(pane, i) => {
                let Some((t, q)) = self.ui.get(pane).and_then(|u| u.quorums.get(i)).cloned() else { return false };
                let run = &self.session.panes[pane].run;
                let last = if q.write { None } else { derive::last_write_quorum(run, q.key, t) };
                let repair = if q.write { None } else { derive::repair_after(run, q.op) };
                self.seek(t as f64);
                self.selection = Some(Selection::Quorum {
                    pane: self.ui[pane].kind,
                    time: t,
                    record: Box::new(q),
                    last_write: last.map(Box::new),
                    repair,
                });
                true
            }
            Msg::PickMerkle(pane, i) => {
                let Some((t, m)) = self.ui.get(pane).and_then(|u| u.merkle.get(i)).cloned() else { return false };
                self.seek(t as f64);
                self.selection = Some(Selection::Merkle { pane: self.ui[pane].kind, time: t, record: Box::new(m) });
                true
            }
            Msg::PickMessage(pane, id) => {
                let Some(p) = self.session.panes.get(pane) else { return false };
                if let Some(m) = p.run.trace().messages.get(id as usize) {
                    self.selection = Some(Selection::Message { pane: p.kind, record: Box::new(m.clone()) });
                }
                true
            }
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
                    Ok(problems) => self.after_load(problems),
                    Err(e) => self.error = Some(format!("Could not set {key} to {value}: {e}")),
                }
                true
            }
            Msg::TogglePane(i) => {
                if let Some(p) = s.panes.get_mut(i) {
                    p.hidden = !p.hidden;
                }
                self.markers = Shared::new(controls::markers(&self.session));
                self.hash_dirty = true;
                self.sync();
                true
            }
            Msg::ShowPane(kind) => {
                if let Some(i) = s.pane_index(kind) {
                    s.panes[i].hidden = false;
                    self.maximized = None;
                    if let Some(el) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.query_selector(&format!("section[data-pane={}]", kind.name())).ok().flatten())
                    {
                        el.scroll_into_view();
                    }
                }
                true
            }
            Msg::Maximize(i) => {
                self.maximized = i;
                true
            }
            Msg::Tab(i, tab) => {
                if let Some(u) = self.ui.get_mut(i) {
                    u.tab = tab;
                }
                self.sync();
                true
            }
            Msg::Window(i, w) => {
                if let Some(u) = self.ui.get_mut(i) {
                    u.window = w;
                    u.window_chosen = true;
                }
                self.sync();
                true
            }
            Msg::ToggleSettings(i) => {
                if let Some(u) = self.ui.get_mut(i) {
                    u.settings = !u.settings;
                }
                true
            }
            Msg::ToggleNarration => {
                s.view.narration = !s.view.narration;
                self.hash_dirty = true;
                true
            }
            Msg::Dialog(d) => {
                if d.is_some() {
                    s.playing = false;
                }
                self.dialog = d;
                true
            }
            Msg::Export(e) => {
                match e {
                    Export::Svg { selector, name, png, messages } => {
                        match host::svg_document(&selector, &messages.map(|i| self.messages_svg(i)).unwrap_or_default())
                        {
                            Some(svg) if png => host::download_png(name, svg),
                            Some(svg) => host::download(&name, "image/svg+xml", &svg),
                            None => self.error = Some("That diagram is not on the page right now.".into()),
                        }
                    }
                    Export::Trace(i) => {
                        if let Some(p) = s.panes.get(i) {
                            host::download(
                                &format!("{}-trace.jsonl", p.kind.name().replace('_', "-")),
                                "application/x-ndjson",
                                &p.run.trace_jsonl(),
                            );
                        }
                    }
                    Export::History(i) => {
                        if let Some(p) = s.panes.get(i) {
                            let h = replicascope_engine::metrics::history_of(&p.run);
                            let edn = replicascope_engine::jepsen::export_edn(&h, &s.plan.names);
                            host::download(
                                &format!("{}-history.edn", p.kind.name().replace('_', "-")),
                                "application/edn",
                                &edn,
                            );
                        }
                    }
                }
                false
            }
            Msg::Key(e) => {
                let target_is_input = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"));
                if e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return false;
                }
                match e.key().as_str() {
                    "Escape" => {
                        self.dialog = None;
                        self.selection = None;
                    }
                    _ if self.dialog.is_some() => return false,
                    " " if !target_is_input => {
                        e.prevent_default();
                        if s.now() >= s.duration() {
                            s.set_time(0.0);
                        }
                        s.playing = !s.playing;
                    }
                    "ArrowRight" if !target_is_input => {
                        e.prevent_default();
                        s.playing = false;
                        if let Some(t) = s.next_event_time() {
                            s.set_time(t as f64);
                        }
                        self.hash_dirty = true;
                    }
                    "ArrowLeft" if !target_is_input => {
                        e.prevent_default();
                        s.playing = false;
                        if let Some(t) = s.previous_event_time() {
                            s.set_time(t as f64);
                        }
                        self.hash_dirty = true;
                    }
                    "]" if !target_is_input => s.set_speed(s.speed * 2.0),
                    "[" if !target_is_input => s.set_speed(s.speed / 2.0),
                    _ => return false,
                }
                true
            }
            Msg::HashChanged => {
                let fragment = host::read_hash();
                if fragment != self.session.link() {
                    self.load_fragment(&fragment);
                }
                true
            }
            Msg::Host(Ok(HostCommand::Load { link })) => {
                let fragment = link.strip_prefix('#').unwrap_or(&link).to_string();
                self.load_fragment(&fragment);
                for p in &self.problems {
                    host::post(&HostEvent::Error { message: p.clone() });
                }
                true
            }
            Msg::Host(Ok(cmd)) => match s.apply_host(&cmd) {
                Ok(()) => {
                    self.hash_dirty |= matches!(cmd, HostCommand::Seek { .. });
                    // The host hears where things stand after each command it sent.
                    host::post(&HostEvent::Time { t: s.time / 1e6, playing: s.playing, speed: s.speed });
                    true
                }
                Err(message) => {
                    host::post(&HostEvent::Error { message });
                    false
                }
            },
            Msg::Host(Err(e)) => {
                host::post(&HostEvent::Error { message: e });
                false
            }
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
        };
        if was_playing != self.session.playing {
            self.hash_dirty = true;
        }
        let mut rerender = rerender;
        if !is_frame || !self.session.playing {
            // Only playback spreads a pane's turn over two frames.
            self.lanes_due = None;
            for h in &mut self.held {
                *h = None;
            }
        }
        if !is_frame || was_playing != self.session.playing {
            // Anything but a frame may change any pane (selection, highlight, settings, time), and
            // the lanes are drawn differently while playing.
            self.touch_panes();
        }
        if !self.session.playing {
            if self.session.refresh_views() {
                self.touch_panes();
                rerender = true;
            }
            rerender |= self.sync();
            if self.hash_dirty {
                self.hash_dirty = false;
                host::write_hash(&self.session.link());
            }
        } else if self.ui.iter().any(|u| u.tab == Tab::SpaceTime) {
            // Keep the space-time windows moving while playing.
            rerender |= self.sync();
        }
        self.post_events();
        self.clock.set(self.session.time, self.session.computed_until() as f64);
        for ((p, held), feed) in self.session.panes.iter().zip(&self.held).zip(&self.lane_feeds) {
            let shown = held.as_ref().unwrap_or(&p.view);
            if !Rc::ptr_eq(&feed.get(), shown) {
                feed.set(shown.clone());
            }
        }
        if rerender {
            self.shown = self.shown_now();
        } else if is_frame {
            // The render paints after it; a frame that renders nothing paints here.
            self.paint();
        }
        if self.busy() {
            self.request_frame();
        } else {
            self.last_frame = None;
        }
        rerender
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        // A canvas mounted by this render may not be measured yet: paint again next frame.
        if !self.paint() {
            self.request_frame();
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let s = &self.session;
        let embed = s.view.embed;
        let error = self.error.as_ref().map(|e| {
            html! {
                <div class="banner error" role="alert">
                    <span>{ e.clone() }</span>
                    <button class="link-button" onclick={link.callback(|_| Msg::DismissError)}>{"Dismiss"}</button>
                </div>
            }
        });
        let problems = (!self.problems.is_empty()).then(|| {
            html! {
                <div class="banner warn link-problems" role="alert">
                    <div>
                        <strong>{"This link could not be opened exactly as written."}</strong>
                        <ul>{ for self.problems.iter().take(8).map(|p| html! { <li>{ p.clone() }</li> }) }</ul>
                        if self.problems.len() > 8 { <p>{ format!("… and {} more.", self.problems.len() - 8) }</p> }
                    </div>
                    <button class="link-button" onclick={link.callback(|_| Msg::DismissProblems)}>{"Dismiss"}</button>
                </div>
            }
        });
        let visible = s.panes.iter().filter(|p| !p.hidden).count();
        let panes = s
            .panes
            .iter()
            .enumerate()
            .filter(|(i, p)| !p.hidden && self.maximized.is_none_or(|m| m == *i))
            .map(|(i, _)| {
                // A pane renders again only when it changed (see `pane_gen`), not because
                // the time moved: the animation loop paints its messages directly.
                html! { <Keep key={i} version={(self.layout_gen, self.pane_gen[i])}>{ self.pane_html(ctx, i) }</Keep> }
            });
        let hidden: Vec<Html> = s
            .panes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.hidden)
            .map(|(i, p)| html! { <button class="chip" onclick={link.callback(move |_| Msg::TogglePane(i))}>{ format!("Show {}", p.kind.title()) }</button> })
            .collect();
        let captions: Vec<Html> = if s.view.narration {
            s.captions()
                .into_iter()
                .map(|(_, c)| {
                    let pane = c.pane.as_deref().and_then(|p| {
                        TopologyKind::from_code(p).or_else(|| TopologyKind::ALL.iter().copied().find(|k| k.title() == p))
                    });
                    html! {
                        <p class="caption">
                            if let Some(k) = pane.filter(|k| !c.text.starts_with(k.title())) { <span class="caption-pane">{ k.title() }</span> }
                            { c.text.clone() }
                        </p>
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let has_narration = !s.scenario.narration.is_empty();
        let narration = (has_narration && (s.view.narration || !embed)).then(|| {
            html! {
                <div class={classes!("narration", (!s.view.narration).then_some("off"))} aria-live="polite">
                    <div class="captions">
                        if !s.view.narration { <p class="muted">{"Narration is off."}</p> }
                        else if captions.is_empty() { <p class="muted caption">{"Play to follow the story; captions appear at the moments that matter."}</p> }
                        else { { for captions } }
                    </div>
                    if !embed {
                        <button class="link-button" onclick={link.callback(|_| Msg::ToggleNarration)}>
                            { if s.view.narration { "Hide narration" } else { "Show narration" } }
                        </button>
                    }
                </div>
            }
        });
        let controls = (!embed || s.view.controls != ControlMode::None).then(|| {
            html! {
                <Controls
                    clock={self.clock.clone()} duration={s.duration() as f64}
                    playing={s.playing} speed={s.speed} markers={self.markers.clone()}
                    full={!embed || s.view.controls == ControlMode::Full}
                    seed={s.scenario.seed}
                    on_new_seed={self.cb.new_seed.clone()}
                    on_toggle={self.cb.toggle.clone()}
                    on_seek={self.cb.seek.clone()}
                    on_step_forward={self.cb.step_forward.clone()}
                    on_step_back={self.cb.step_back.clone()}
                    on_speed={self.cb.speed.clone()}
                    on_reset={self.cb.reset.clone()}
                    on_marker={self.cb.marker.clone()} />
            }
        });
        let dialog = self.dialog.as_ref().map(|d| {
            let close = link.callback(|_| Msg::Dialog(None));
            match d {
                Dialog::Share => html! { <ShareDialog url={format!("{}#{}", host::base_url(), s.link())} on_close={close} /> },
                Dialog::Help => html! { <HelpDialog url="" on_close={close} /> },
                Dialog::Embed => html! {
                    <EmbedDialog state={Rc::new(s.link_state())} base={host::base_url()} kinds={s.panes.iter().map(|p| p.kind).collect::<Vec<_>>()} on_close={close} />
                },
                Dialog::Export => html! {
                    <ExportDialog panes={s.panes.iter().enumerate().filter(|(_, p)| !p.hidden).map(|(i, p)| (i, p.kind, self.ui[i].tab == Tab::SpaceTime)).collect::<Vec<_>>()}
                        on_export={link.callback(Msg::Export)} on_close={close} />
                },
            }
        });
        let inspector = html! {
            <Inspector selection={self.selection.clone()} names={self.names.clone()} on_jump={self.cb.jump.clone()} />
        };
        let compare = self.compare.as_ref().map(|(rows, charts)| {
            html! { <Compare rows={rows.clone()} charts={charts.clone()} on_jump={self.cb.jump.clone()} on_pane={self.cb.show_pane.clone()} /> }
        });
        let compare = compare.unwrap_or_else(|| html! {
            <section class="compare" aria-label="Comparison"><h2>{"The same run, compared"}</h2><p class="muted">{"Computing the runs…"}</p></section>
        });
        if embed {
            let full_link = {
                let mut st = s.link_state();
                st.view = Default::default();
                format!(
                    "{}#{}",
                    host::base_url(),
                    replicascope_engine::link::encode(&st, &replicascope_engine::presets::preset)
                )
            };
            return html! {
                <div class="app embed">
                    <div class="embed-bar">
                        <span class="embed-title">{ s.scenario.name.clone() }</span>
                        <a class="embed-open" href={full_link} target="_blank" rel="noopener">{"Open in ReplicaScope ↗"}</a>
                    </div>
                    { problems }
                    { error }
                    { narration }
                    { controls }
                    <main class={classes!("panes", format!("count-{}", visible.max(1)))}>{ for panes }</main>
                    if self.selection.is_some() {
                        <div class="drawer">
                            <button class="icon-button close-inspector" aria-label="Close the inspector" title="Close (Esc)" onclick={link.callback(|_| Msg::CloseInspector)}>{ icons::close() }</button>
                            { inspector }
                        </div>
                    }
                </div>
            };
        }
        html! {
            <div class={classes!("app", self.selection.is_some().then_some("inspecting"))}>
                <Header preset={s.preset.clone()} title={s.scenario.name.clone()} description={s.scenario.description.clone()}
                    on_preset={self.cb.preset.clone()} on_dialog={self.cb.dialog.clone()} />
                { problems }
                { error }
                { narration }
                { controls }
                if !hidden.is_empty() { <div class="hidden-panes">{ hidden }</div> }
                <main class={classes!("panes", format!("count-{}", if self.maximized.is_some() { 1 } else { visible }))}>
                    { for panes }
                </main>
                if self.selection.is_some() {
                    <div class="drawer">
                        <button class="icon-button close-inspector" aria-label="Close the inspector" title="Close (Esc)" onclick={link.callback(|_| Msg::CloseInspector)}>{ icons::close() }</button>
                        { inspector }
                    </div>
                }
                <Legend />
                { compare }
                <footer class="footer">
                    { format!("{} of simulated time, seed {}. ", human_duration(s.duration()), s.scenario.seed) }
                    {"Every run is deterministic: the same link replays the same messages in the same order."}
                </footer>
                { dialog.unwrap_or_default() }
            </div>
        }
    }
}

impl App {
    /// The messages in flight in pane `i`, as SVG elements (the page draws them on a canvas).
    fn messages_svg(&self, i: usize) -> String {
        let s = &self.session;
        let Some(p) = s.panes.get(i) else { return String::new() };
        let geo = diagram::Geo::of(&p.view, p.kind);
        let mut out = String::new();
        for m in p.in_flight(s.now()) {
            let ((x, y), faded) = diagram::dot(m, s.time, geo, false);
            out.push_str(&format!(
                "<g class=\"msg {}{}\" transform=\"translate({x:.1} {y:.1})\"><circle r=\"6.5\"></circle><text y=\"0.5\">{}</text></g>",
                m.kind.name(),
                if faded { " dropped" } else { "" },
                if faded { "✕" } else { diagram::kind_letter(m.kind) }
            ));
        }
        out
    }

    fn pane_html(&self, ctx: &Context<Self>, i: usize) -> Html {
        let link = ctx.link();
        let s = &self.session;
        let p = &s.panes[i];
        let u = &self.ui[i];
        let kind = p.kind;
        let now = s.now();
        let on_select = self.cb.select.clone();
        let on_intervene = self.cb.intervene[i].clone();
        let on_hover = self.cb.hover[i].clone();
        let highlight = self.highlight.filter(|(pi, _)| *pi == i).map(|(_, h)| h);
        let lane_op = highlight.and_then(|h| match h {
            Highlight::Op(o) => Some(o),
            Highlight::Msg(m) => p.run.trace().messages.get(m as usize).and_then(|r| r.op).map(u64::from),
        });
        let maximized = self.maximized == Some(i);
        let embed = s.view.embed;
        let interventions = p.run.interventions();
        let changes = (!interventions.is_empty()).then(|| {
            html! {
                <ul class="interventions" aria-label="Your changes to this pane">
                    { for interventions.iter().enumerate().map(|(k, iv)| html! {
                        <li class="intervention" data-intervention={iv.action.clone()}>
                            <button class="link-button" title="Go to this moment" onclick={link.callback({ let t = iv.at; move |_| Msg::Jump(t) })}>{ human_duration(iv.at) }</button>
                            <span>{ iv.action.clone() }</span>
                            <button class="icon-button tiny" aria-label={format!("Undo “{}”", iv.action)} title="Remove this change"
                                onclick={link.callback(move |_| Msg::RemoveIntervention { pane: i, index: k })}>{ icons::close() }</button>
                        </li>
                    }) }
                </ul>
            }
        });
        let tabs = [Tab::Logs, Tab::SpaceTime, Tab::Explain, Tab::Anomalies].map(|t| {
            let count = match t {
                Tab::Anomalies => p.report.as_ref().map(|r| r.anomalies.len()),
                _ => None,
            };
            html! {
                <button role="tab" class={classes!("tab", (u.tab == t).then_some("active"))} aria-selected={(u.tab == t).to_string()}
                    data-tab={t.name()} onclick={link.callback(move |_| Msg::Tab(i, t))}>
                    { t.label(kind) }
                    if let Some(n) = count { if n > 0 { <span class="count">{ n }</span> } }
                </button>
            }
        });
        let body = match u.tab {
            Tab::Logs => html! {
                <Lanes view={self.lane_feeds[i].clone()} pane={kind} on_select={self.cb.select.clone()} highlight_op={lane_op} on_hover={on_hover.clone()} live={s.playing} clock={self.clock.clone()} />
            },
            Tab::SpaceTime => match &u.space_time {
                Some((_, w, _, data)) => html! {
                    <>
                        <div class="window-pick" role="group" aria-label="Time window">
                            { for WINDOWS.iter().map(|(v, label)| {
                                let v = *v;
                                html! { <button class={classes!("chip", (*w == v).then_some("active"))} onclick={link.callback(move |_| Msg::Window(i, v))}>{ *label }</button> }
                            }) }
                        </div>
                        <SpaceTimeView data={data.clone()} clock={self.clock.clone()} window={*w} highlight={highlight}
                            on_hover={on_hover.clone()} on_pick={self.cb.pick_message[i].clone()} />
                    </>
                },
                None => html! { <p class="muted">{"Computing…"}</p> },
            },
            Tab::Explain => {
                if p.report.is_none() {
                    html! { <p class="muted">{"Computing the run…"}</p> }
                } else {
                    match TopologiesSpec::explain(kind) {
                        None => {
                            html! { <p class="muted">{"Nothing to explain: this topology keeps one copy of the data."}</p> }
                        }
                        Some(Explain::Failover) => {
                            html! { <FailoverView data={u.failover.clone()} now={now} on_jump={self.cb.jump.clone()} /> }
                        }
                        Some(Explain::Conflicts) => html! {
                            <>
                                <p class="muted small">{"Each time concurrent writes met on a node. Open one to see the resolution step by step."}</p>
                                <RecordList items={u.conflict_items.clone()} empty="No conflicts in this run." on_pick={self.cb.pick_conflict[i].clone()} />
                            </>
                        },
                        Some(Explain::Quorums) => html! {
                            <>
                                <h4>{"Quorums"}</h4>
                                <RecordList items={u.quorum_items.clone()} empty="No reads or writes yet." on_pick={self.cb.pick_quorum[i].clone()} />
                                <h4>{"Anti-entropy (Merkle trees)"}</h4>
                                <RecordList items={u.merkle_items.clone()} empty="Anti-entropy is off, or has not run yet." on_pick={self.cb.pick_merkle[i].clone()} />
                            </>
                        },
                    }
                }
            }
            Tab::Anomalies => match &p.report {
                None => html! { <p class="muted">{"Checking the history…"}</p> },
                Some(_) => {
                    html! { <AnomalyList anomalies={u.anomalies.clone()} now={now} on_pick={self.cb.pick_anomaly[i].clone()} /> }
                }
            },
        };
        let has_settings = !self.scenario.topologies.settings(kind).is_empty();
        let settings = u.settings.then(|| {
            html! { <Settings kind={kind} scenario={self.scenario.clone()} on_change={self.cb.set.clone()} /> }
        });
        html! {
            <section class={classes!("pane", maximized.then_some("maximized"))} aria-label={kind.title()} data-pane={kind.name()}>
                <header class="pane-head">
                    <h2>{ kind.title() }</h2>
                    <span class="pane-summary">{ summary(s, kind) }</span>
                    if !embed {
                        <div class="pane-actions">
                            // A topology with nothing to set (the single node) gets no gear.
                            if has_settings {
                                <button class={classes!("icon-button", u.settings.then_some("active"))} title="Settings of this pane" aria-label={format!("{} settings", kind.title())}
                                    aria-expanded={u.settings.to_string()} onclick={link.callback(move |_| Msg::ToggleSettings(i))}>{ icons::settings() }</button>
                            }
                            <button class="icon-button" title={if maximized {"Show all panes"} else {"Maximise this pane"}} aria-label={if maximized {"Show all panes"} else {"Maximise this pane"}}
                                onclick={link.callback(move |_| Msg::Maximize(if maximized { None } else { Some(i) }))}>
                                { if maximized { icons::restore() } else { icons::maximize() } }
                            </button>
                            <button class="icon-button" title="Hide this pane" aria-label="Hide this pane" onclick={link.callback(move |_| Msg::TogglePane(i))}>{ icons::close() }</button>
                        </div>
                    }
                </header>
                { settings.unwrap_or_default() }
                { changes.unwrap_or_default() }
                <Diagram view={Shared::from(p.view.clone())} messages={self.layers[i].clone()} kind={kind} reduced_motion={self.reduced_motion}
                    {on_select} {on_intervene} highlight={highlight} on_hover={on_hover} keys={self.keys.clone()} />
                <div class="tabs" role="tablist" aria-label={format!("{} views", kind.title())}>{ for tabs }</div>
                <div class="tab-body" data-view={u.tab.name()}>{ body }</div>
            </section>
        }
    }
}

fn summary(s: &Session, kind: TopologyKind) -> String {
    s.scenario.topologies.summary(kind).unwrap_or_default()
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

pub fn start() {
    std::panic::set_hook(Box::new(panic_hook));
    yew::Renderer::<App>::new().render();
}
