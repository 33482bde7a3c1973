//! Component tests in headless Chromium (wasm-bindgen-test). Run by `scripts/test`:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p replicascope-app`.
#![cfg(target_arch = "wasm32")]

use replicascope_app::app::controls::{Controls, ControlsProps};
use replicascope_app::app::diagram::{Diagram, DiagramProps, Flying, MessageLayer};
use replicascope_app::app::lanes::{Lanes, LanesProps};
use replicascope_app::app::panel::{Inspector, InspectorProps};
use replicascope_app::app::selection::Selection;
use replicascope_app::app::shared::{Bar, Clock, Feed, Highlight, Shared};
use replicascope_app::app::App;
use replicascope_app::sample::default_scenario;
use replicascope_app::session::Session;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

fn root() -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

/// Waits for the app's panes: its first render holds their places, and they are mounted one an
/// animation frame after it (`App::panes_mounted`).
async fn panes_mounted(div: &Element) {
    for _ in 0..200 {
        yew::scheduler::flush().await;
        if count(div, ".pane") > 0 && count(div, ".pane-pending") == 0 {
            return;
        }
        sleep(10).await;
    }
    panic!("the panes were not mounted within two seconds");
}

/// Renders a stateless view (a plain function, not a component) as the root of a test.
#[derive(Properties)]
struct ViewProps {
    render: Rc<dyn Fn() -> Html>,
}

impl PartialEq for ViewProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.render, &other.render)
    }
}

#[function_component(View)]
fn view_root(p: &ViewProps) -> Html {
    (p.render)()
}

fn view(render: impl Fn() -> Html + 'static) -> ViewProps {
    ViewProps { render: Rc::new(render) }
}

#[wasm_bindgen_test]
fn engine_digests_in_the_browser_match_native() {
    let golden: Vec<(String, String, u64, String)> =
        serde_json::from_str(include_str!("../engine/tests/golden/digests.json")).unwrap();
    assert_eq!(replicascope_engine::golden::digests(), golden);
}

#[wasm_bindgen_test]
async fn the_app_renders_three_panes() {
    let div = root();
    yew::Renderer::<App>::with_root(div.clone()).render();
    yew::scheduler::flush().await;
    // The first render is the page around the panes, which hold their places under their titles.
    assert_eq!(count(&div, ".pane.pane-pending"), 3);
    assert_eq!(count(&div, ".pane .node"), 0);
    assert_eq!(count(&div, ".controls"), 1);
    panes_mounted(&div).await;
    assert_eq!(count(&div, ".pane"), 3);
    assert_eq!(count(&div, ".pane .node"), 9);
    assert_eq!(count(&div, ".controls"), 1);
    // The default preset is named in the picker and its narration is on.
    let select = div.query_selector(".preset-select").unwrap().unwrap();
    let select: web_sys::HtmlSelectElement = select.dyn_into().unwrap();
    assert_eq!(select.value(), "two-am-failover");
    assert_eq!(count(&div, ".narration"), 1);
}

fn session_at(t: f64) -> Session {
    let mut s = Session::new(default_scenario()).unwrap();
    s.compute(u64::MAX);
    s.set_time(t);
    s
}

#[wasm_bindgen_test]
async fn the_diagram_marks_a_crashed_node_and_draws_messages() {
    // In the sample scenario (`sample::default_scenario`) n1 is down between 3 s and 9 s.
    let s = session_at(4_000_000.0);
    let pane = &s.panes[0];
    let in_flight: Vec<Flying> = pane.in_flight(s.now()).into_iter().map(|m| Flying::of(m, s.time)).collect();
    let div = root();
    let layer = Shared::new(MessageLayer::default());
    let highlight = in_flight.first().map(|m| Highlight::Msg(m.record.id));
    let props = DiagramProps {
        view: Shared::from(pane.view.clone()),
        messages: layer.clone(),
        kind: pane.kind,
        reduced_motion: false,
        on_select: Callback::noop(),
        on_intervene: Callback::noop(),
        highlight,
        on_hover: Callback::noop(),
        keys: Rc::new(vec!["x".into()]),
    };
    yew::Renderer::<Diagram>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    let n1 = div.query_selector("[data-node=n1]").unwrap().unwrap();
    assert_eq!(n1.get_attribute("data-liveness").as_deref(), Some("down"));
    let canvas = div.query_selector("canvas.diagram-messages").unwrap().expect("messages are drawn on a canvas");
    // The page's animation loop paints the layer; the render does not.
    assert_eq!(canvas.get_attribute("data-count"), None);
    let geo = replicascope_app::app::diagram::Geo::of(&pane.view, pane.kind);
    assert!(layer.paint(in_flight.clone(), geo, false, highlight, 0, false), "the canvas is in the page");
    assert_eq!(canvas.get_attribute("data-count"), Some(in_flight.len().to_string()));
    assert_eq!(canvas.get_attribute("aria-label"), Some(format!("{} messages in flight", in_flight.len())));
    // A frame with nothing in flight clears what the last one wrote.
    // Playing, the accessible name holds still.
    assert!(layer.paint(in_flight.clone(), geo, false, highlight, 0, true));
    assert_eq!(canvas.get_attribute("aria-label").as_deref(), Some("Messages in flight"));
    assert!(layer.paint(Vec::new(), geo, false, highlight, 0, false));
    assert_eq!(canvas.get_attribute("data-count").as_deref(), Some("0"));
    assert_eq!(canvas.get_attribute("data-highlight"), None);
    assert!(layer.paint(in_flight.clone(), geo, false, highlight, 0, false));
    // The checks below are about a message in flight: there must be one, or they check nothing.
    assert!(!in_flight.is_empty(), "messages are in flight at 4 s");
    if let Some(first) = in_flight.first() {
        assert_eq!(
            canvas.get_attribute("data-highlight"),
            Some(first.record.id.to_string()),
            "the hovered message is highlighted"
        );
        layer.hover(Some(first.record.id));
        let tip = canvas.get_attribute("title").expect("the message under the pointer has a tooltip");
        assert!(tip.contains(&first.record.label.to_string()), "{tip}");
        layer.hover(None);
        assert_eq!(canvas.get_attribute("title"), None);
        // Hit-testing finds the message where it is drawn.
        let ((x, y), _) = replicascope_app::app::diagram::dot(
            &first.record,
            s.time,
            replicascope_app::app::diagram::Geo::new(3, 2),
            false,
        );
        assert!(replicascope_app::app::diagram::message_at(
            &in_flight,
            x + 2.0,
            y - 2.0,
            replicascope_app::app::diagram::Geo::new(3, 2),
            false
        )
        .is_some());
        assert_eq!(
            replicascope_app::app::diagram::message_at(
                &in_flight,
                -50.0,
                -50.0,
                replicascope_app::app::diagram::Geo::new(3, 2),
                false
            ),
            None
        );
    }
}

/// Records what the lanes report: the labels of entries selected, and the highlights hovered.
#[derive(Default)]
struct LaneProbe {
    selected: Rc<std::cell::RefCell<Vec<String>>>,
    hovered: Rc<std::cell::RefCell<Vec<Option<Highlight>>>>,
}

impl LaneProbe {
    fn props(
        &self,
        view: &Shared<Feed<Rc<replicascope_engine::run::PaneView>>>,
        pane: replicascope_engine::vocab::TopologyKind,
        clock: &Shared<Clock>,
        live: bool,
    ) -> LanesProps {
        let (selected, hovered) = (self.selected.clone(), self.hovered.clone());
        LanesProps {
            view: view.clone(),
            pane,
            on_select: Callback::from(move |sel: Selection| {
                if let Selection::Entry { entry, .. } = sel {
                    selected.borrow_mut().push(entry.label.clone());
                }
            }),
            highlight_op: None,
            on_hover: Callback::from(move |h| hovered.borrow_mut().push(h)),
            live,
            clock: clock.clone(),
        }
    }
}

#[wasm_bindgen_test]
async fn lanes_show_each_nodes_log() {
    let s = session_at(2_600_000.0);
    let div = root();
    let probe = LaneProbe::default();
    let feed = Shared::new(Feed::new(s.panes[0].view.clone()));
    let props = probe.props(&feed, s.panes[0].kind, &Shared::new(Clock::default()), false);
    yew::Renderer::<Lanes>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&div, ".lane"), 3);
    // By 2.6 s the leader has written x=1, x=2, x=3.
    let leader_lane = div.query_selector("[data-lane=n1]").unwrap().unwrap();
    assert!(leader_lane.text_content().unwrap().contains("x = 3"), "{:?}", leader_lane.text_content());

    // Clicks, keys and hovers are handled by the list, for the entry under them.
    let entries = leader_lane.query_selector_all("li[data-id]").unwrap();
    let last: Element = entries.item(entries.length() - 1).unwrap().dyn_into().unwrap();
    click(&last).await;
    assert_eq!(probe.selected.borrow().as_slice(), ["x = 3"]);
    let key = |k: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(k);
        init.set_bubbles(true);
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap()
    };
    last.dispatch_event(&key("Enter")).unwrap();
    last.dispatch_event(&key("a")).unwrap();
    yew::scheduler::flush().await;
    assert_eq!(probe.selected.borrow().len(), 2, "Enter selects, other keys do not");
    let over = || {
        let init = web_sys::MouseEventInit::new();
        init.set_bubbles(true);
        web_sys::MouseEvent::new_with_mouse_event_init_dict("mouseover", &init).unwrap()
    };
    last.dispatch_event(&over()).unwrap();
    last.dispatch_event(&over()).unwrap();
    yew::scheduler::flush().await;
    let h = probe.hovered.borrow().clone();
    assert_eq!(h.len(), 1, "moving within one entry reports it once: {h:?}");
    assert!(matches!(h[0], Some(Highlight::Op(_))), "{h:?}");
}

#[wasm_bindgen_test]
async fn playing_lanes_are_painted_and_still_answer_clicks_and_hovers() {
    // The page's stylesheet lays out the slots the canvas paints into.
    let style = document().create_element("style").unwrap();
    style.set_text_content(Some(include_str!("../www/style.css")));
    document().head().unwrap().append_child(&style).unwrap();
    let s = session_at(2_600_000.0);
    let div = root();
    div.set_attribute("style", "width: 460px").unwrap();
    let probe = LaneProbe::default();
    // The page hands the lanes their view through a feed, and ticks its clock every frame.
    let feed = Shared::new(Feed::new(s.panes[0].view.clone()));
    let clock = Shared::new(Clock::default());
    let props = |live: bool| probe.props(&feed, s.panes[0].kind, &clock, live);
    let mut app = yew::Renderer::<Lanes>::with_root_and_props(div.clone(), props(true)).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&div, ".lane"), 3, "the heads stay in the page");
    assert_eq!(count(&div, "li.entry"), 0, "no entry elements while playing");
    let canvas = div.query_selector("canvas.lane-canvas").unwrap().expect("entries are painted on a canvas");
    // Painted at the next animation frame, once the browser has laid out the render.
    assert_eq!(canvas.get_attribute("data-entries"), None, "not painted in the render's own frame");
    next_frame().await;
    let painted: usize = canvas.get_attribute("data-entries").unwrap().parse().unwrap();
    let logged: usize = s.panes[0].view.nodes.iter().map(|n| n.view.log.len()).sum();
    assert_eq!(painted, logged, "every entry fits these short lanes");

    // The newest entry of the leader's lane sits at the right end of its slot.
    let slot = div.query_selector("[data-lane=n1] .lane-slot").unwrap().unwrap().get_bounding_client_rect();
    let (x, y) = (slot.right() - 4.0, slot.top() + slot.height() / 2.0);
    let mouse = |kind: &str, x: f64, y: f64| {
        let init = web_sys::MouseEventInit::new();
        init.set_bubbles(true);
        init.set_client_x(x as i32);
        init.set_client_y(y as i32);
        web_sys::MouseEvent::new_with_mouse_event_init_dict(kind, &init).unwrap()
    };
    canvas.dispatch_event(&mouse("click", x, y)).unwrap();
    yew::scheduler::flush().await;
    assert_eq!(probe.selected.borrow().as_slice(), ["x = 3"]);
    canvas.dispatch_event(&mouse("mousemove", x, y)).unwrap();
    canvas.dispatch_event(&mouse("mousemove", x - 1.0, y)).unwrap();
    canvas.dispatch_event(&mouse("mousemove", slot.left() - 30.0, y)).unwrap();
    yew::scheduler::flush().await;
    let h = probe.hovered.borrow().clone();
    assert!(matches!(h.as_slice(), [Some(Highlight::Op(_)), None]), "an entry's operation, once, then nothing: {h:?}");
    // A click between lanes selects nothing.
    canvas.dispatch_event(&mouse("click", x, slot.top() - 8.0)).unwrap();
    yew::scheduler::flush().await;
    assert_eq!(probe.selected.borrow().len(), 1);

    // One entry more in a lane that was still: it slides in, moved along by the clock's ticks.
    let early = session_at(1_000_000.0);
    feed.set(early.panes[0].view.clone());
    yew::scheduler::flush().await;
    next_frame().await;
    let mut later = session_at(1_000_000.0);
    let before = later.panes[0].view.nodes[0].view.log_len;
    let mut t = 1_000_000.0;
    while later.panes[0].view.nodes[0].view.log_len == before && t < 3_000_000.0 {
        t += 10_000.0;
        later.set_time(t);
        later.refresh_views();
    }
    assert_eq!(later.panes[0].view.nodes[0].view.log_len, before + 1);
    // The lanes have been still for a moment (in a busy lane entries just appear).
    sleep(400).await;
    feed.set(later.panes[0].view.clone());
    yew::scheduler::flush().await;
    next_frame().await;
    let grew_by_one = (0..early.panes[0].view.nodes.len())
        .filter(|&i| later.panes[0].view.nodes[i].view.log_len == early.panes[0].view.nodes[i].view.log_len + 1)
        .count();
    assert!(grew_by_one >= 1);
    assert_eq!(canvas.get_attribute("data-sliding"), Some(grew_by_one.to_string()), "each lane with one new entry");
    sleep(400).await;
    clock.set(t, bar(t, t, 0.0));
    assert_eq!(canvas.get_attribute("data-sliding").as_deref(), Some("0"), "the slide is over");

    // Paused, the entries are a list again.
    feed.set(s.panes[0].view.clone());
    app.update(props(false));
    yew::scheduler::flush().await;
    assert!(div.query_selector("canvas.lane-canvas").unwrap().is_none());
    assert_eq!(count(&div, "li.entry[data-id]") as usize, logged);
    style.remove();
}

/// Waits for the next animation frame's callbacks to have run.
async fn next_frame() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().request_animation_frame(&resolve).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn props_for(clock: &Shared<Clock>) -> ControlsProps {
    ControlsProps {
        clock: clock.clone(),
        duration: 12_000_000.0,
        playing: false,
        speed: 0.1,
        adaptive: true,
        on_adaptive: Callback::noop(),
        markers: Shared::new(vec![replicascope_app::app::controls::Marker {
            time: 3_000_000,
            class: "fault",
            label: "crash n1".into(),
            pane: None,
            target: replicascope_app::app::controls::Target::Time,
            fault: Some(0),
        }]),
        on_toggle: Callback::noop(),
        on_seek: Callback::noop(),
        on_step_forward: Callback::noop(),
        on_step_back: Callback::noop(),
        on_speed: Callback::noop(),
        on_reset: Callback::noop(),
        on_marker: Callback::noop(),
        on_move_fault: Callback::noop(),
        on_remove_fault: Callback::noop(),
        full: true,
        seed: 7,
        on_new_seed: Callback::noop(),
    }
}

/// What the playback bar shows, as the page sets it at a view tick.
fn bar(time: f64, computed: f64, rate: f64) -> Option<Bar> {
    Some(Bar { time, computed, rate })
}

#[wasm_bindgen_test]
async fn controls_show_time_and_markers() {
    let div = root();
    let clock = Shared::new(Clock::default());
    clock.set(1_500_000.0, bar(1_500_000.0, 12_000_000.0, 0.0));
    let props = props_for(&clock);
    yew::Renderer::<Controls>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(div.query_selector(".clock .now").unwrap().unwrap().text_content().as_deref(), Some("1.50 s"));
    assert_eq!(count(&div, ".mark.fault"), 1);
    assert!(div.query_selector("[aria-label=Play]").unwrap().is_some());
    // The bar follows the clock without its parent rendering it again.
    assert_eq!(clock.subscribers(), 1);
    clock.set(2_500_000.0, bar(2_500_000.0, 12_000_000.0, 0.0));
    yew::scheduler::flush().await;
    assert_eq!(div.query_selector(".clock .now").unwrap().unwrap().text_content().as_deref(), Some("2.50 s"));
    let scrubber: web_sys::HtmlInputElement =
        div.query_selector("input[aria-label='Simulated time']").unwrap().unwrap().dyn_into().unwrap();
    assert_eq!(scrubber.value(), "2500");
    // Paused, the clock is exact: events a fraction of a millisecond apart read differently.
    clock.set(4_031_250.0, bar(4_031_250.0, 12_000_000.0, 0.0));
    yew::scheduler::flush().await;
    assert_eq!(div.query_selector(".clock .now").unwrap().unwrap().text_content().as_deref(), Some("4.03125 s"));
    clock.set(4_031_000.0, bar(4_031_000.0, 12_000_000.0, 0.0));
    yew::scheduler::flush().await;
    assert_eq!(div.query_selector(".clock .now").unwrap().unwrap().text_content().as_deref(), Some("4.031 s"));
    clock.set(2_500_000.0, bar(2_500_000.0, 12_000_000.0, 0.0));
    yew::scheduler::flush().await;

    // Playing, the bar renders only when what it shows would change: not for a sub-pixel step
    // of the thumb within the same tenth of a second, but for a new reading of the clock.
    let mut playing = props_for(&clock);
    playing.playing = true;
    let div = root();
    yew::Renderer::<Controls>::with_root_and_props(div.clone(), playing).render();
    yew::scheduler::flush().await;
    let now = || div.query_selector(".clock .now").unwrap().unwrap();
    assert_eq!(now().get_attribute("data-time-us").as_deref(), Some("2500000"));
    clock.set(2_500_400.0, bar(2_500_400.0, 12_000_000.0, 0.0));
    yew::scheduler::flush().await;
    assert_eq!(now().get_attribute("data-time-us").as_deref(), Some("2500000"), "nothing it shows moved");
    // A frame between view ticks moves the clock but not the bar.
    clock.set(2_700_000.0, None);
    yew::scheduler::flush().await;
    assert_eq!(now().get_attribute("data-time-us").as_deref(), Some("2500000"), "the bar waits for a view tick");
    assert_eq!(clock.time(), 2_700_000.0);
    clock.set(2_700_000.0, bar(2_700_000.0, 12_000_000.0, 0.0));
    yew::scheduler::flush().await;
    assert_eq!(now().text_content().as_deref(), Some("2.7 s"));
    assert_eq!(now().get_attribute("data-time-us").as_deref(), Some("2700000"));
}

#[wasm_bindgen_test]
async fn inspector_and_legend_render_text_only() {
    let s = session_at(1_000_000.0);
    let info = s.panes[0].view.nodes[0].clone();
    let div = root();
    let props = InspectorProps {
        selection: Some(Selection::Node { pane: s.panes[0].kind, info: Box::new(info) }),
        names: Rc::new(s.plan.names.clone()),
        on_jump: Callback::noop(),
    };
    yew::Renderer::<Inspector>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert!(div.text_content().unwrap().contains("n1 — Leader-follower"));
    let legend = root();
    yew::Renderer::<View>::with_root_and_props(legend.clone(), view(replicascope_app::app::panel::legend)).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&legend, ".legend-item"), 13);
}

fn finished(id: &str) -> Session {
    let mut s = Session::new(replicascope_engine::presets::preset(id).unwrap()).unwrap();
    s.compute(u64::MAX);
    s
}

async fn click(el: &Element) {
    el.dyn_ref::<web_sys::HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn a_conflict_resolves_step_by_step_with_the_loser_struck_through() {
    use replicascope_app::app::views::{ConflictView, ConflictViewProps};
    let s = finished("lww-clock-skew");
    let i = s.pane_index(replicascope_engine::vocab::TopologyKind::MultiLeader).unwrap();
    let (_, record) = replicascope_app::derive::conflicts(&s.panes[i].run).into_iter().next().expect("a conflict");
    let div = root();
    let props = ConflictViewProps {
        record: record.clone(),
        names: Rc::new(s.plan.names.clone()),
        clock_offsets: vec![0, -500_000],
    };
    yew::Renderer::<ConflictView>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&div, ".cv-version"), record.versions.len() as u32);
    assert_eq!(count(&div, ".winner"), 0, "the verdict waits for the reader");
    assert!(div.text_content().unwrap().contains("clock is -500 ms off"));
    let next = div.query_selector(".cv-buttons .button").unwrap().unwrap();
    click(&next).await;
    assert_eq!(count(&div, ".cv-cmp"), 2, "vectors compared component by component");
    let all = div.query_selector(".cv-buttons .button.secondary").unwrap().unwrap();
    click(&all).await;
    assert_eq!(count(&div, ".winner"), 1);
    assert_eq!(count(&div, ".loser"), 1);
    assert!(div.query_selector(".cv-discarded").unwrap().unwrap().text_content().unwrap().contains("write #"));
}

#[wasm_bindgen_test]
async fn the_space_time_view_draws_arrows_and_highlights_the_hovered_one() {
    use replicascope_app::app::views::{SpaceTimeProps, SpaceTimeView};
    let s = finished("two-am-failover");
    let data = replicascope_app::derive::space_time_range(&s.panes[0].run, 1_000_000, 3_000_000, 2_000_000, false, &[]);
    assert!(!data.arrows.is_empty());
    let first = data.arrows[0].id;
    let n = data.arrows.len() as u32;
    let clock = Shared::new(Clock::default());
    clock.set(2_000_000.0, bar(2_000_000.0, 3_000_000.0, 0.0));
    let div = root();
    let props = SpaceTimeProps {
        data: Shared::new(data),
        clock: clock.clone(),
        window: 2_000_000,
        highlight: Some(Highlight::Msg(first)),
        on_hover: Callback::noop(),
        on_pick: Callback::noop(),
    };
    yew::Renderer::<SpaceTimeView>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&div, ".st-arrow"), n);
    assert_eq!(count(&div, ".st-arrow.highlight"), 1);
    assert!(count(&div, ".st-line") >= 3 + 3, "a line per node and per client");
}

#[wasm_bindgen_test]
async fn quorum_and_merkle_views_show_membership_and_differences() {
    use replicascope_app::app::views::{merkle_view, quorum_view, MerkleViewProps, QuorumViewProps};
    let s = finished("read-repair-vs-anti-entropy");
    let run = &s.panes[0].run;
    let (t, read) = replicascope_app::derive::quorums(run).into_iter().find(|(_, q)| !q.write).expect("a read quorum");
    let last = replicascope_app::derive::last_write_quorum(run, read.key, t);
    let div = root();
    let props = QuorumViewProps { record: read.clone(), last_write: last, repair: None };
    yew::Renderer::<View>::with_root_and_props(div.clone(), view(move || quorum_view(&props))).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&div, ".qv-node"), (read.home.len() + read.stand_ins.len()) as u32);
    assert_eq!(count(&div, ".qv-node.in-r"), read.answered.len() as u32);
    let (_, m) = replicascope_app::derive::merkle_exchanges(run)
        .into_iter()
        .find(|(_, m)| !m.differing.is_empty())
        .expect("an exchange that found differences");
    let div = root();
    let props = MerkleViewProps { record: m.clone(), names: Rc::new(s.plan.names.clone()) };
    yew::Renderer::<View>::with_root_and_props(div.clone(), view(move || merkle_view(&props))).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&div, ".mk-node.diff"), 2 * m.differing.len() as u32, "differing hashes marked in both trees");
}

#[wasm_bindgen_test]
async fn the_comparison_table_links_cells_to_moments() {
    use replicascope_app::app::charts::{Compare, CompareProps};
    let s = finished("lww-clock-skew");
    let pairs: Vec<_> = s.panes.iter().map(|p| (&p.run, p.report.as_deref().unwrap())).collect();
    let rows: Vec<_> = pairs.iter().map(|(r, rep)| replicascope_app::derive::row(r, rep)).collect();
    let charts = replicascope_app::derive::charts(&pairs);
    let jumped = Rc::new(std::cell::Cell::new(None));
    let j = jumped.clone();
    let div = root();
    let props = CompareProps {
        rows: Shared::new(rows),
        charts: Shared::new(charts),
        on_jump: Callback::from(move |t| j.set(Some(t))),
        on_pane: Callback::noop(),
    };
    yew::Renderer::<Compare>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&div, "table.comparison tbody tr"), s.panes.len() as u32);
    assert!(count(&div, ".chart") >= 6);
    let lost = div.query_selector(".cell-link.lost").unwrap().expect("a lost write links to its moment");
    click(&lost).await;
    assert!(jumped.get().is_some());
}

#[wasm_bindgen_test]
async fn settings_emit_overrides() {
    use replicascope_app::app::settings::{settings, SettingsProps};
    let s = finished("two-am-failover");
    let got = Rc::new(std::cell::RefCell::new(Vec::new()));
    let g = got.clone();
    let div = root();
    let props = SettingsProps {
        kind: replicascope_engine::vocab::TopologyKind::LeaderFollower,
        scenario: Rc::new(s.scenario.clone()),
        on_change: Callback::from(move |kv| g.borrow_mut().push(kv)),
    };
    yew::Renderer::<View>::with_root_and_props(div.clone(), view(move || settings(&props))).render();
    yew::scheduler::flush().await;
    let select: web_sys::HtmlSelectElement = div.query_selector("select").unwrap().unwrap().dyn_into().unwrap();
    select.set_value("sync");
    select.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    yew::scheduler::flush().await;
    assert_eq!(got.borrow().as_slice(), &[("lf.mode".to_string(), "sync".to_string())]);

    // Each control says what the chosen option does and costs, and the words follow the setting.
    let helps = |div: &web_sys::Element| -> String {
        let list = div.query_selector_all(".setting-help").unwrap();
        (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.text_content()).collect::<Vec<_>>().join(" | ")
    };
    let off = helps(&div);
    assert!(off.contains("acknowledges from its own disk") && off.contains("split-brain"), "{off}");
    let mut fenced = s.scenario.clone();
    replicascope_engine::link::apply_override(&mut fenced, "lf.fencing", "true").unwrap();
    let div = root();
    let props = SettingsProps {
        kind: replicascope_engine::vocab::TopologyKind::LeaderFollower,
        scenario: Rc::new(fenced),
        on_change: Callback::noop(),
    };
    yew::Renderer::<View>::with_root_and_props(div.clone(), view(move || settings(&props))).render();
    yew::scheduler::flush().await;
    let on = helps(&div);
    assert!(on.contains("powers the old leader off") && on.contains("still lost"), "{on}");
}

#[wasm_bindgen_test]
async fn a_hostile_link_shows_a_message_as_text_and_a_working_page() {
    let w = web_sys::window().unwrap();
    w.history()
        .unwrap()
        .replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some("#preset=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&seed=banana"),
        )
        .unwrap();
    let div = root();
    yew::Renderer::<App>::with_root(div.clone()).render();
    yew::scheduler::flush().await;
    panes_mounted(&div).await;
    w.history().unwrap().replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("#")).unwrap();
    let banner = div.query_selector(".link-problems").unwrap().expect("the problems are named");
    let text = banner.text_content().unwrap();
    assert!(text.contains("<img"), "{text}");
    assert_eq!(count(&div, ".link-problems img"), 0, "nothing from a link becomes markup");
    assert_eq!(count(&div, ".pane"), 3, "and the default scenario runs");
}

/// A fourth topology is one more pane: the single-node baseline beside the three replicated
/// designs, with its one node, its summary, and no replication links.
#[wasm_bindgen_test]
async fn the_single_node_baseline_is_a_fourth_pane() {
    let w = web_sys::window().unwrap();
    w.history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("#preset=what-replication-buys&t=12s"))
        .unwrap();
    let div = root();
    yew::Renderer::<App>::with_root(div.clone()).render();
    panes_mounted(&div).await;
    sleep(300).await;
    yew::scheduler::flush().await;
    w.history().unwrap().replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("#")).unwrap();
    assert_eq!(count(&div, ".link-problems"), 0);
    assert_eq!(count(&div, ".pane"), 4);
    assert_eq!(count(&div, ".pane .node"), 3 + 3 + 3 + 1);
    let text = div.text_content().unwrap();
    assert!(text.contains("Single node") && text.contains("1 node · no replication"), "{text}");
    // Links are drawn from the engine's view: the lone node has none.
    let last = div.query_selector_all(".pane").unwrap().item(3).unwrap();
    let last: Element = last.dyn_into().unwrap();
    assert_eq!(count(&last, ".link"), 0);
    // Nothing to set and nothing to explain: no gear, no explanation tab; the others keep theirs.
    assert_eq!(count(&last, ".pane-actions .icon-button"), 2, "maximise and hide only");
    assert_eq!(count(&last, "[data-tab=explain]"), 0);
    assert_eq!(count(&div, "[data-tab=explain]"), 3);
    assert!(last.text_content().unwrap().contains("the only copy"));
}

/// A click on a node is for the node even when a message is passing over it: the message layer
/// answers only between nodes and clients (issue 18).
#[wasm_bindgen_test]
fn nodes_and_clients_win_over_messages_passing_over_them() {
    use replicascope_app::app::diagram::{on_endpoint, place, Geo};
    use replicascope_engine::page::{ClientId, Endpoint, NodeId};
    let s = session_at(1_000_000.0);
    let view = &s.panes[0].view;
    let geo = Geo::of(view, s.panes[0].kind);
    let (n, c) = (view.nodes.len(), view.clients.len());
    let (x1, y1) = place(Endpoint::Node(NodeId(0)), geo);
    let (x2, y2) = place(Endpoint::Node(NodeId(1)), geo);
    assert!(on_endpoint(x1, y1, geo, n, c) && on_endpoint(x1 + 15.0, y1, geo, n, c));
    assert!(!on_endpoint((x1 + x2) / 2.0, (y1 + y2) / 2.0, geo, n, c), "halfway between two nodes is a message's");
    let (cx, cy) = place(Endpoint::Client(ClientId(0)), geo);
    assert!(on_endpoint(cx, cy, geo, n, c));
}

/// The imported-history dialog draws what the checker's worker answers: a lane per process, the
/// violating operations marked, the sentence; an unreadable file shows its line and reason.
#[wasm_bindgen_test]
async fn an_imported_history_is_drawn_with_its_violation() {
    use replicascope_app::app::history::{history_dialog, Imported};
    use replicascope_app::checker::{answer, read_answer, Answer, Request};
    use replicascope_engine::page::{Conventions, ModelKind};
    let text = "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n\
                {:process 1, :type :invoke, :f :write, :value 2}\n{:process 1, :type :ok, :f :write, :value 2}\n\
                {:process 2, :type :invoke, :f :read, :value nil}\n{:process 2, :type :ok, :f :read, :value 1}\n";
    let mut imported = Imported::new("stale.edn".into(), text.into());
    assert_eq!(imported.model, ModelKind::Register);
    let request = imported.request();
    let reply: Answer = read_answer(&answer(&request)).unwrap();
    assert!(imported.answered(reply));
    let imported = Rc::new(imported);
    let div = root();
    let shown = imported.clone();
    yew::Renderer::<View>::with_root_and_props(
        div.clone(),
        view(move || history_dialog(&shown, &Callback::noop(), &Callback::noop())),
    )
    .render();
    yew::scheduler::flush().await;
    assert_eq!(count(&div, ".history-diagram .hist-lane"), 3);
    assert_eq!(count(&div, ".history-diagram .hist-op"), 3);
    assert_eq!(count(&div, ".history-diagram .hist-op.violating"), 3);
    let why = div.query_selector(".history-why").unwrap().unwrap().text_content().unwrap();
    assert!(why.contains("“write 2” (process 1) ended before “read 1” (process 2) began"), "{why}");
    // An answer to an earlier request is dropped; a bad file is shown with its line.
    let mut broken = Imported::new("broken.edn".into(), "{:process 0, :type :ok, :f :read, :value 1}".into());
    let old = broken.request();
    let newer = broken.request();
    let stale: Answer = read_answer(&answer(&old)).unwrap();
    assert!(!broken.answered(stale), "an answer to an earlier request");
    let request: Request = serde_json::from_str(&newer).unwrap();
    assert_eq!(request.conventions, Conventions::default());
    assert!(broken.answered(read_answer(&answer(&newer)).unwrap()));
    let broken = Rc::new(broken);
    let div = root();
    yew::Renderer::<View>::with_root_and_props(
        div.clone(),
        view(move || history_dialog(&broken, &Callback::noop(), &Callback::noop())),
    )
    .render();
    yew::scheduler::flush().await;
    let error = div.query_selector(".history-error").unwrap().unwrap().text_content().unwrap();
    assert!(error.contains("line 1") && error.contains("never invoked"), "{error}");
}
