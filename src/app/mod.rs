//! The Yew application. `App` owns the [`Session`](crate::session::Session) and drives one
//! long-lived animation-frame loop; the loop moves the displayed time and runs the engines ahead
//! in small chunks, and only panes whose state changed get a new view to render.

pub mod controls;
pub mod diagram;
mod icons;
pub mod lanes;
pub mod panel;
pub mod shared;

use crate::sample;
use crate::session::Session;
use controls::Controls;
use diagram::Diagram;
use lanes::Lanes;
use panel::{Inspector, Legend, Selection};
use replicascope_engine::scenario::TopologyKind;
use replicascope_engine::time::human_duration;
use replicascope_engine::topology::leader_follower::FailoverMode;
use shared::Shared;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Engine work per frame, in events per pane; small enough to never hold the main thread for
/// more than a few milliseconds.
const STEPS_PER_FRAME: u64 = 3000;

pub enum Msg {
    Frame(f64),
    TogglePlay,
    Seek(f64),
    StepForward,
    StepBack,
    Speed(f64),
    Reset,
    Select(Selection),
    Intervene { pane: usize, action: String },
    TogglePane(usize),
    Maximize(Option<usize>),
    Key(KeyboardEvent),
    DismissError,
}

pub struct App {
    session: Option<Session>,
    error: Option<String>,
    last_frame: Option<f64>,
    /// The persistent animation-frame callback; re-armed after each frame.
    frame_cb: Closure<dyn FnMut(f64)>,
    frame_requested: bool,
    selection: Option<Selection>,
    maximized: Option<usize>,
    reduced_motion: bool,
    /// Scrubber markers, recomputed only when a run finishes or is forked.
    markers: Shared<Vec<controls::Marker>>,
    _keys: Option<Closure<dyn FnMut(KeyboardEvent)>>,
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
        self.session.as_ref().is_some_and(|s| s.playing || !s.all_finished())
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        let frame_cb = Closure::wrap(Box::new(move |ts: f64| link.send_message(Msg::Frame(ts))) as Box<dyn FnMut(f64)>);
        let (session, error) = match Session::new(sample::default_scenario()) {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        let reduced_motion = web_sys::window()
            .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
            .is_some_and(|m| m.matches());
        let link = ctx.link().clone();
        let keys = Closure::wrap(
            Box::new(move |e: KeyboardEvent| link.send_message(Msg::Key(e))) as Box<dyn FnMut(KeyboardEvent)>
        );
        if let Some(d) = web_sys::window().and_then(|w| w.document()) {
            let _ = d.add_event_listener_with_callback("keydown", keys.as_ref().unchecked_ref());
        }
        if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("rs-boot")) {
            boot.remove();
        }
        let mut app = App {
            session,
            error,
            last_frame: None,
            frame_cb,
            frame_requested: false,
            selection: None,
            maximized: None,
            reduced_motion,
            markers: Shared::new(Vec::new()),
            _keys: Some(keys),
        };
        app.request_frame();
        app
    }

    fn update(&mut self, _ctx: &Context<Self>, msg: Msg) -> bool {
        let Some(s) = self.session.as_mut() else {
            return matches!(msg, Msg::DismissError);
        };
        let rerender = match msg {
            Msg::Frame(ts) => {
                self.frame_requested = false;
                let dt = self.last_frame.map(|l| (ts - l).clamp(0.0, 100.0)).unwrap_or(0.0);
                self.last_frame = Some(ts);
                let finished_now = s.compute(STEPS_PER_FRAME);
                if finished_now {
                    self.markers = Shared::new(controls::markers(s));
                }
                let moved = s.playing;
                s.tick(dt);
                finished_now || moved || !s.all_finished()
            }
            Msg::TogglePlay => {
                if s.now() >= s.duration() {
                    s.set_time(0.0);
                }
                s.playing = !s.playing;
                true
            }
            Msg::Seek(t) => {
                s.set_time(t);
                true
            }
            Msg::StepForward => {
                s.playing = false;
                if let Some(t) = s.next_event_time() {
                    s.set_time(t as f64);
                }
                true
            }
            Msg::StepBack => {
                s.playing = false;
                if let Some(t) = s.previous_event_time() {
                    s.set_time(t as f64);
                }
                true
            }
            Msg::Speed(v) => {
                s.set_speed(v);
                true
            }
            Msg::Reset => {
                s.playing = false;
                s.set_time(0.0);
                true
            }
            Msg::Select(sel) => {
                self.selection = Some(sel);
                true
            }
            Msg::Intervene { pane, action } => {
                match s.intervene(pane, &action) {
                    Ok(()) => self.markers = Shared::new(controls::markers(s)),
                    Err(e) => self.error = Some(e),
                }
                true
            }
            Msg::TogglePane(i) => {
                if let Some(p) = s.panes.get_mut(i) {
                    p.hidden = !p.hidden;
                }
                true
            }
            Msg::Maximize(i) => {
                self.maximized = i;
                true
            }
            Msg::Key(e) => {
                let target_is_input = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"));
                let key = e.key();
                match key.as_str() {
                    " " if !target_is_input => {
                        e.prevent_default();
                        s.playing = !s.playing;
                    }
                    "ArrowRight" if !target_is_input => {
                        s.playing = false;
                        if let Some(t) = s.next_event_time() {
                            s.set_time(t as f64);
                        }
                    }
                    "ArrowLeft" if !target_is_input => {
                        s.playing = false;
                        if let Some(t) = s.previous_event_time() {
                            s.set_time(t as f64);
                        }
                    }
                    "]" => s.set_speed(s.speed * 2.0),
                    "[" => s.set_speed(s.speed / 2.0),
                    _ => return false,
                }
                true
            }
            Msg::DismissError => {
                self.error = None;
                true
            }
        };
        if self.busy() {
            self.request_frame();
        } else {
            self.last_frame = None;
        }
        rerender
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let error = self.error.as_ref().map(|e| {
            html! {
                <div class="banner error" role="alert">
                    <span>{ e.clone() }</span>
                    <button class="link-button" onclick={link.callback(|_| Msg::DismissError)}>{"Dismiss"}</button>
                </div>
            }
        });
        let Some(s) = self.session.as_ref() else {
            return html! { <div class="app">{ header() }{ error }</div> };
        };
        let now = s.now();
        let time = s.time;
        let panes = s.panes.iter().enumerate().filter(|(i, p)| !p.hidden && self.maximized.is_none_or(|m| m == *i)).map(|(i, p)| {
            let kind = p.kind;
            let in_flight: Rc<Vec<diagram::Flying>> = Rc::new(
                p.in_flight(now).into_iter().map(|m| diagram::Flying::of(m, time)).collect(),
            );
            let on_select = link.callback(Msg::Select);
            let on_intervene = link.callback(move |action: String| Msg::Intervene { pane: i, action });
            let maximized = self.maximized == Some(i);
            html! {
                <section class={classes!("pane", maximized.then_some("maximized"))} aria-label={kind.title()} data-pane={kind.name()}>
                    <header class="pane-head">
                        <h2>{ kind.title() }</h2>
                        <span class="pane-summary">{ summary(s, kind) }</span>
                        <div class="pane-actions">
                            <button class="icon-button" title={if maximized {"Show all panes"} else {"Maximise this pane"}} aria-label={if maximized {"Show all panes"} else {"Maximise this pane"}}
                                onclick={link.callback(move |_| Msg::Maximize(if maximized { None } else { Some(i) }))}>
                                { if maximized { icons::restore() } else { icons::maximize() } }
                            </button>
                            <button class="icon-button" title="Hide this pane" aria-label="Hide this pane" onclick={link.callback(move |_| Msg::TogglePane(i))}>{ icons::close() }</button>
                        </div>
                    </header>
                    <Diagram view={Shared::from(p.view.clone())} in_flight={in_flight} kind={kind} reduced_motion={self.reduced_motion} {on_select} {on_intervene} />
                    <Lanes view={Shared::from(p.view.clone())} pane={kind} on_select={link.callback(Msg::Select)} />
                </section>
            }
        });
        let hidden: Vec<Html> = s
            .panes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.hidden)
            .map(|(i, p)| html! { <button class="chip" onclick={link.callback(move |_| Msg::TogglePane(i))}>{ format!("Show {}", p.kind.title()) }</button> })
            .collect();
        let markers = self.markers.clone();
        html! {
            <div class="app">
                { header() }
                { error }
                <Controls
                    time={s.time} duration={s.duration() as f64} computed={s.computed_until() as f64}
                    playing={s.playing} speed={s.speed} markers={markers}
                    on_toggle={link.callback(|_| Msg::TogglePlay)}
                    on_seek={link.callback(Msg::Seek)}
                    on_step_forward={link.callback(|_| Msg::StepForward)}
                    on_step_back={link.callback(|_| Msg::StepBack)}
                    on_speed={link.callback(Msg::Speed)}
                    on_reset={link.callback(|_| Msg::Reset)} />
                if !hidden.is_empty() { <div class="hidden-panes">{ hidden }</div> }
                <main class={classes!("panes", format!("count-{}", s.panes.iter().filter(|p| !p.hidden).count()))}>
                    { for panes }
                </main>
                <Legend />
                <Inspector selection={self.selection.clone()} />
                <footer class="footer">
                    { format!("Simulated time {} of {}. Seed {}.", human_duration(now), human_duration(s.duration()), s.scenario.seed) }
                </footer>
            </div>
        }
    }
}

fn header() -> Html {
    html! {
        <header class="top">
            <div class="brand">
                <span class="logo" aria-hidden="true">{ icons::logo() }</span>
                <div>
                    <h1>{"ReplicaScope"}</h1>
                    <p class="tagline">{"Three ways to replicate a database, one workload, one clock."}</p>
                </div>
            </div>
        </header>
    }
}

fn summary(s: &Session, kind: TopologyKind) -> String {
    let t = &s.scenario.topologies;
    match kind {
        TopologyKind::LeaderFollower => t
            .leader_follower
            .as_ref()
            .map(|c| {
                let mode = if c.failover == FailoverMode::Consensus { "majority commit" } else { c.mode.label() };
                format!("{} nodes · {mode} · {} · {}", c.nodes, c.failover.label(), c.read_routing.label())
            })
            .unwrap_or_default(),
        TopologyKind::MultiLeader => t
            .multi_leader
            .as_ref()
            .map(|c| format!("{} leaders · {} · {}", c.leaders, c.topology.label(), c.register.label()))
            .unwrap_or_default(),
        TopologyKind::Leaderless => t
            .leaderless
            .as_ref()
            .map(|c| format!("{} nodes · N={} W={} R={}", c.nodes, c.n, c.w, c.r))
            .unwrap_or_default(),
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

pub fn start() {
    std::panic::set_hook(Box::new(panic_hook));
    yew::Renderer::<App>::new().render();
}
