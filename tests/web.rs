//! Component tests in headless Chromium (wasm-bindgen-test). Run by `scripts/test`:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p replicascope-app`.
#![cfg(target_arch = "wasm32")]

use replicascope_app::app::controls::{Controls, ControlsProps};
use replicascope_app::app::diagram::{Diagram, DiagramProps, Flying};
use replicascope_app::app::lanes::{Lanes, LanesProps};
use replicascope_app::app::panel::{Inspector, InspectorProps, Legend, Selection};
use replicascope_app::app::shared::Shared;
use replicascope_app::app::App;
use replicascope_app::sample::default_scenario;
use replicascope_app::session::Session;
use std::rc::Rc;
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
    assert_eq!(count(&div, ".pane"), 3);
    assert_eq!(count(&div, ".pane .node"), 9);
    assert_eq!(count(&div, ".controls"), 1);
}

fn session_at(t: f64) -> Session {
    let mut s = Session::new(default_scenario()).unwrap();
    s.compute(u64::MAX);
    s.set_time(t);
    s
}

#[wasm_bindgen_test]
async fn the_diagram_marks_a_crashed_node_and_draws_messages() {
    // In the default scenario n1 is down between 3 s and 9 s.
    let s = session_at(4_000_000.0);
    let pane = &s.panes[0];
    let in_flight: Vec<Flying> = pane.in_flight(s.now()).into_iter().map(|m| Flying::of(m, s.time)).collect();
    let div = root();
    let props = DiagramProps {
        view: Shared::from(pane.view.clone()),
        in_flight: Rc::new(in_flight.clone()),
        kind: pane.kind,
        reduced_motion: false,
        on_select: Callback::noop(),
        on_intervene: Callback::noop(),
    };
    yew::Renderer::<Diagram>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    let n1 = div.query_selector("[data-node=n1]").unwrap().unwrap();
    assert_eq!(n1.get_attribute("data-liveness").as_deref(), Some("down"));
    assert_eq!(count(&div, ".msg"), in_flight.len() as u32);
}

#[wasm_bindgen_test]
async fn lanes_show_each_nodes_log() {
    let s = session_at(2_600_000.0);
    let div = root();
    let props =
        LanesProps { view: Shared::from(s.panes[0].view.clone()), pane: s.panes[0].kind, on_select: Callback::noop() };
    yew::Renderer::<Lanes>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&div, ".lane"), 3);
    // By 2.6 s the leader has written x=1, x=2, x=3.
    let leader_lane = div.query_selector("[data-lane=n1]").unwrap().unwrap();
    assert!(leader_lane.text_content().unwrap().contains("x = 3"), "{:?}", leader_lane.text_content());
}

#[wasm_bindgen_test]
async fn controls_show_time_and_markers() {
    let div = root();
    let props = ControlsProps {
        time: 1_500_000.0,
        duration: 12_000_000.0,
        computed: 12_000_000.0,
        playing: false,
        speed: 0.1,
        markers: Shared::new(vec![replicascope_app::app::controls::Marker {
            time: 3_000_000,
            class: "fault",
            label: "crash n1".into(),
        }]),
        on_toggle: Callback::noop(),
        on_seek: Callback::noop(),
        on_step_forward: Callback::noop(),
        on_step_back: Callback::noop(),
        on_speed: Callback::noop(),
        on_reset: Callback::noop(),
    };
    yew::Renderer::<Controls>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(div.query_selector(".clock .now").unwrap().unwrap().text_content().as_deref(), Some("1.50 s"));
    assert_eq!(count(&div, ".mark.fault"), 1);
    assert!(div.query_selector("[aria-label=Play]").unwrap().is_some());
}

#[wasm_bindgen_test]
async fn inspector_and_legend_render_text_only() {
    let s = session_at(1_000_000.0);
    let info = s.panes[0].view.nodes[0].clone();
    let div = root();
    let props = InspectorProps { selection: Some(Selection::Node { pane: s.panes[0].kind, info: Box::new(info) }) };
    yew::Renderer::<Inspector>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert!(div.text_content().unwrap().contains("n1 — Leader-follower"));
    let legend = root();
    yew::Renderer::<Legend>::with_root(legend.clone()).render();
    yew::scheduler::flush().await;
    assert_eq!(count(&legend, ".legend-item"), 13);
}
