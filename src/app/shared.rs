//! What the views share and how they avoid rendering: `Shared<T>`, an `Rc` whose equality is
//! identity, so a component re-renders only when it is handed a new value, never because a deep
//! comparison ran every frame; `Clock`, the displayed time, followed every frame by the few
//! views that need it; `Feed`, a value handed to one view without rendering its parents; `Keep`,
//! a render boundary with an explicit version.

use std::cell::{Cell, RefCell};
use std::ops::Deref;
use std::rc::Rc;
use yew::prelude::*;

pub struct Shared<T>(pub Rc<T>);

impl<T> Shared<T> {
    pub fn new(v: T) -> Self {
        Shared(Rc::new(v))
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared::new(T::default())
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<Rc<T>> for Shared<T> {
    fn from(r: Rc<T>) -> Self {
        Shared(r)
    }
}

/// What the pointer is over, shared by the node diagram, the space-time diagram and the log
/// lanes of one pane: a message, or every message and entry of one client operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Highlight {
    Msg(u64),
    Op(u64),
}

impl Highlight {
    pub fn matches(self, msg: u64, op: Option<u64>) -> bool {
        match self {
            Highlight::Msg(m) => m == msg,
            Highlight::Op(o) => op == Some(o),
        }
    }
}

/// Callbacks waiting for a value to change (the views following a `Clock` or a `Feed`).
#[derive(Default)]
struct Listeners {
    next_id: Cell<u32>,
    list: RefCell<Vec<(u32, Callback<()>)>>,
}

impl Listeners {
    fn add(&self, cb: Callback<()>) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        self.list.borrow_mut().push((id, cb));
        id
    }

    fn remove(&self, id: u32) {
        self.list.borrow_mut().retain(|(i, _)| *i != id);
    }

    fn len(&self) -> usize {
        self.list.borrow().len()
    }

    fn notify(&self) {
        // Callbacks run outside the borrow: one may subscribe or unsubscribe.
        let list: Vec<Callback<()>> = self.list.borrow().iter().map(|(_, c)| c.clone()).collect();
        for c in list {
            c.emit(());
        }
    }
}

/// The displayed time, for the few views that follow it every frame (the space-time diagram's
/// "now" line, a log entry sliding in) and for the playback bar, which follows it at the page's
/// view ticks: the animation loop sets it and only those views render; the page does not (the
/// issue's rule: the loop only moves the displayed time).
#[derive(Default)]
pub struct Clock {
    time: Cell<f64>,
    /// What the playback bar shows: while playing, as of the last view tick (see `Bar`).
    bar: Cell<Bar>,
    listeners: Listeners,
}

/// The playback bar's time, how far the runs are computed, and the rate beside the clock.
/// Paused, they are set with every change; playing, at the view ticks only (ten a second), the
/// frames in which the panes' views change too, so that the browser lays out and paints the bar
/// and the panes in one frame instead of in different ones.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bar {
    pub time: f64,
    pub computed: f64,
    /// Simulated seconds per second at the displayed time (0: holding on a moment).
    pub rate: f64,
}

impl Clock {
    /// The displayed time, as of this frame.
    pub fn time(&self) -> f64 {
        self.time.get()
    }

    /// What the playback bar shows.
    pub fn bar(&self) -> Bar {
        self.bar.get()
    }

    /// Moves the clock, and the bar if `bar` is given; subscribers hear of it only if something
    /// moved.
    pub fn set(&self, time: f64, bar: Option<Bar>) {
        let mut same = self.time.replace(time) == time;
        if let Some(bar) = bar {
            same &= self.bar.replace(bar) == bar;
        }
        if !same {
            self.listeners.notify();
        }
    }

    /// Calls `cb` whenever the clock moves, until `unsubscribe` with the number returned.
    pub fn subscribe(&self, cb: Callback<()>) -> u32 {
        self.listeners.add(cb)
    }

    pub fn unsubscribe(&self, id: u32) {
        self.listeners.remove(id);
    }

    /// How many views follow the clock (a view that is gone must not).
    pub fn subscribers(&self) -> usize {
        self.listeners.len()
    }
}

/// The rate the clock shows beside the time. Adaptive playback changes its rate every frame, and
/// a label that changes every frame cannot be read (and costs the browser a layout and a paint of
/// the bar each time): while playing, the shown rate follows the real one at most four times a
/// second. Paused, it is the real rate at once.
#[derive(Default)]
pub struct ShownRate {
    value: f64,
    since_ms: f64,
}

/// How long a shown rate stays at least, while playing.
const RATE_HOLD_MS: f64 = 250.0;

impl ShownRate {
    /// The rate to show at `now_ms` (the page's clock) for the real `rate`.
    pub fn follow(&mut self, rate: f64, playing: bool, now_ms: f64) -> f64 {
        if rate != self.value && (!playing || now_ms - self.since_ms >= RATE_HOLD_MS || now_ms < self.since_ms) {
            self.value = rate;
            self.since_ms = now_ms;
        }
        self.value
    }
}

/// Follows the clock: the component renders again when `select` of the clock changes (and only
/// then), and gets its current value.
#[hook]
pub fn use_clock<T, F>(clock: &Shared<Clock>, select: F) -> T
where
    T: PartialEq + Clone + 'static,
    F: Fn(&Clock) -> T + 'static,
{
    let update = use_force_update();
    let value = select(clock);
    // The selector and the value last rendered, for the subscription (which outlives renders).
    type Selected<T> = Option<(Box<dyn Fn(&Clock) -> T>, T)>;
    let state: Rc<RefCell<Selected<T>>> = use_mut_ref(|| None);
    *state.borrow_mut() = Some((Box::new(select), value.clone()));
    use_effect_with(clock.clone(), move |clock| {
        let (c, state) = (clock.0.clone(), state.clone());
        let id = clock.subscribe(Callback::from(move |_| {
            let moved = state.borrow().as_ref().is_some_and(|(select, last)| select(&c) != *last);
            if moved {
                update.force_update();
            }
        }));
        let clock = clock.clone();
        move || clock.unsubscribe(id)
    });
    value
}

#[derive(Properties)]
pub struct KeepProps {
    /// What the content was built from: the content renders again only when this changes.
    pub version: (u32, u64),
    pub children: Html,
}

impl PartialEq for KeepProps {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
    }
}

/// A render boundary: its content is compared and updated only when its version changes, so a
/// parent that renders often (the page, for one pane's change) does not walk the others.
#[function_component(Keep)]
pub fn keep(p: &KeepProps) -> Html {
    p.children.clone()
}

/// A value that one view follows: setting it renders that view (and what it passes the value
/// to) without rendering the page around it.
pub struct Feed<T> {
    value: RefCell<T>,
    listeners: Listeners,
}

impl<T: Clone> Feed<T> {
    pub fn new(value: T) -> Self {
        Feed { value: RefCell::new(value), listeners: Listeners::default() }
    }

    pub fn get(&self) -> T {
        self.value.borrow().clone()
    }

    /// Replaces the value; its followers render again.
    pub fn set(&self, value: T) {
        *self.value.borrow_mut() = value;
        self.listeners.notify();
    }
}

impl<T: Default + Clone> Default for Feed<T> {
    fn default() -> Self {
        Feed::new(T::default())
    }
}

/// Follows a feed: the component renders again whenever the feed is set.
#[hook]
pub fn use_feed<T: Clone + 'static>(feed: &Shared<Feed<T>>) -> T {
    let update = use_force_update();
    use_effect_with(feed.clone(), move |feed| {
        let id = feed.listeners.add(Callback::from(move |_| update.force_update()));
        let feed = feed.clone();
        move || feed.listeners.remove(id)
    });
    feed.get()
}

/// Adds a listener for `event` to `target`. The returned closure is the listener: keep it as
/// long as it should run, and remove it with it (dropping it alone leaves a dead listener).
pub fn listen(
    target: &web_sys::EventTarget,
    event: &str,
    f: impl FnMut(web_sys::Event) + 'static,
) -> wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)> {
    use wasm_bindgen::JsCast;
    let c = wasm_bindgen::closure::Closure::wrap(Box::new(f) as Box<dyn FnMut(web_sys::Event)>);
    let _ = target.add_event_listener_with_callback(event, c.as_ref().unchecked_ref());
    c
}

/// Text with the replication terms it uses explained on hover or tap (focus): each term's first
/// appearance becomes an `<abbr>` whose meaning the stylesheet shows. Built from text pieces,
/// never parsed as markup (captions may come from a stranger's link).
pub fn glossed(text: &str) -> Html {
    let parts = replicascope_engine::page::gloss(text).into_iter().map(|(term, s)| match term {
        Some(t) => html! {
            <abbr class="term" tabindex="0" data-meaning={t.meaning} aria-label={format!("{s}: {}", t.meaning)}>{ s.to_string() }</abbr>
        },
        None => html! { { s.to_string() } },
    });
    parts.collect::<Html>()
}
