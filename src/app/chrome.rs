//! The page's chrome: the header with the preset picker, and the share, embed and export
//! dialogs.

use super::icons;
use crate::presets::{preset, PRESETS};
use replicascope_engine::page::human_duration;
use replicascope_engine::page::Group;
use replicascope_engine::page::TopologyKind;
use replicascope_engine::page::{encode, Controls, LinkState};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub enum Dialog {
    Tours,
    /// The scenario editor.
    Editor,
    Share,
    Embed,
    Export,
    Help,
    /// A history from elsewhere, checked and drawn (`history.rs`).
    History,
}

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub preset: Option<String>,
    pub title: AttrValue,
    pub description: AttrValue,
    pub on_preset: Callback<String>,
    pub on_dialog: Callback<Dialog>,
}

#[function_component(Header)]
pub fn header(p: &HeaderProps) -> Html {
    let on_change = {
        let cb = p.on_preset.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
                if !s.value().is_empty() {
                    cb.emit(s.value());
                }
            }
        })
    };
    let current = p.preset.clone().unwrap_or_default();
    let options = |group: Group| {
        PRESETS
            .iter()
            .filter(|p| p.group == group)
            .map(|p| html! { <option value={p.id} selected={p.id == current}>{ p.name }</option> })
            .collect::<Html>()
    };
    let button = |label: &'static str, icon: Html, d: Dialog| {
        let cb = p.on_dialog.clone();
        html! { <button class="button secondary with-icon" onclick={Callback::from(move |_| cb.emit(d.clone()))}>{ icon }<span>{ label }</span></button> }
    };
    html! {
        <header class="top">
            <div class="brand">
                <span class="logo" aria-hidden="true">{ icons::logo() }</span>
                <div>
                    <h1>{"ReplicaScope"}</h1>
                    <p class="tagline">{"Three ways to replicate a database, one workload, one clock."}</p>
                </div>
            </div>
            <div class="scenario-pick">
                <label class="preset-label">
                    <span>{"Scenario"}</span>
                    <select class="preset-select" onchange={on_change} aria-label="Scenario">
                        if p.preset.is_none() { <option value="" selected=true>{ format!("Custom: {}", p.title) }</option> }
                        <optgroup label="Lessons">{ options(Group::Lesson) }</optgroup>
                        <optgroup label="Modelled on real systems">{ options(Group::RealSystem) }</optgroup>
                    </select>
                </label>
            </div>
            <nav class="top-actions" aria-label="Share and export">
                { button("Tours", html! {}, Dialog::Tours) }
                { button("Edit scenario", html! {}, Dialog::Editor) }
                { button("Share", icons::share(), Dialog::Share) }
                { button("Embed", icons::embed(), Dialog::Embed) }
                { button("Export", icons::download(), Dialog::Export) }
                { button("Keys", html! {}, Dialog::Help) }
            </nav>
            if !p.description.is_empty() {
                <details class="about">
                    <summary>{ format!("About “{}”", p.title) }</summary>
                    <p>{ super::shared::glossed(&p.description) }</p>
                </details>
            }
        </header>
    }
}

/// A dialog over the page: its title, what closes it, and its content (a plain function, as
/// are the other stateless pieces of the page: a component costs kilobytes of generic code).
pub fn modal(title: &'static str, on_close: &Callback<()>, children: Html) -> Html {
    let close = on_close.clone();
    let close2 = on_close.clone();
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    html! {
        <div class="modal-backdrop" onclick={Callback::from(move |_| close.emit(()))}>
            <div class="modal" role="dialog" aria-modal="true" aria-label={title} onclick={stop}>
                <div class="modal-head">
                    <h2>{ title }</h2>
                    <button class="icon-button" aria-label="Close" title="Close (Esc)" onclick={Callback::from(move |_| close2.emit(()))}>{ icons::close() }</button>
                </div>
                { children }
            </div>
        </div>
    }
}

fn select_all(e: FocusEvent) {
    if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
        i.select();
    }
}

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    pub url: AttrValue,
    pub on_close: Callback<()>,
}

#[function_component(ShareDialog)]
pub fn share_dialog(p: &ShareProps) -> Html {
    let copied = use_state(|| false);
    let copy = {
        let url = p.url.clone();
        let copied = copied.clone();
        Callback::from(move |_| copied.set(super::host::copy(&url)))
    };
    html! {
        { modal("Share this run", &p.on_close, html! { <>
            <p>{"The link holds the scenario, the seed, every change you made and the moment shown: whoever opens it sees exactly this run."}</p>
            <div class="copy-row">
                <input class="copy-text" type="text" readonly=true value={p.url.clone()} aria-label="Link" onfocus={Callback::from(select_all)} />
                <button class="button" onclick={copy}>{ if *copied { "Copied" } else { "Copy link" } }</button>
            </div>
            <p class="muted small">{ format!("{} characters.", p.url.len()) }</p>
        </> }) }
    }
}

#[derive(Properties, PartialEq)]
pub struct EmbedProps {
    pub state: Rc<LinkState>,
    pub base: AttrValue,
    pub kinds: Vec<TopologyKind>,
    pub on_close: Callback<()>,
}

fn attr_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

#[function_component(EmbedDialog)]
pub fn embed_dialog(p: &EmbedProps) -> Html {
    let state = use_state(|| {
        let mut s = (*p.state).clone();
        s.view.embed = true;
        s
    });
    let height = use_state(|| 640u32);
    let copied = use_state(|| false);
    let update = |f: fn(&mut LinkState, &HtmlInputElement)| {
        let state = state.clone();
        let copied = copied.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                let mut s = (*state).clone();
                f(&mut s, &i);
                state.set(s);
                copied.set(false);
            }
        })
    };
    let pane_toggles = p.kinds.iter().map(|k| {
        let k = *k;
        let state = state.clone();
        let on = !state.hidden.contains(&k);
        let onchange = Callback::from(move |e: Event| {
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                let mut s = (*state).clone();
                s.hidden.retain(|h| *h != k);
                if !i.checked() {
                    s.hidden.push(k);
                }
                state.set(s);
            }
        });
        html! { <label class="setting check"><input type="checkbox" checked={on} {onchange} /><span>{ k.title() }</span></label> }
    });
    let controls_select = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
                let mut s = (*state).clone();
                s.view.controls = match sel.value().as_str() {
                    "minimal" => Controls::Minimal,
                    "none" => Controls::None,
                    _ => Controls::Full,
                };
                state.set(s);
            }
        })
    };
    let on_height = {
        let height = height.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                if let Ok(v) = i.value().parse::<u32>() {
                    height.set(v.clamp(240, 2000));
                }
            }
        })
    };
    let fragment = encode(&state, &preset);
    let url = format!("{}#{}", p.base, fragment);
    let title = if state.scenario.name.is_empty() {
        "ReplicaScope".to_string()
    } else {
        format!("ReplicaScope: {}", state.scenario.name)
    };
    let snippet = format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"{}\" style=\"border:0\" loading=\"lazy\"></iframe>",
        attr_escape(&url),
        attr_escape(&title),
        *height
    );
    let copy = {
        let snippet = snippet.clone();
        let copied = copied.clone();
        Callback::from(move |_| copied.set(super::host::copy(&snippet)))
    };
    let c = state.view.controls;
    html! {
        { modal("Embed in a course page", &p.on_close, html! { <>
            <div class="embed-options">
                <fieldset><legend>{"Panes"}</legend>{ for pane_toggles }</fieldset>
                <fieldset><legend>{"Playback"}</legend>
                    <label class="setting"><span>{"Start at (s)"}</span>
                        <input type="number" min="0" step="0.1" value={format!("{:.1}", state.time as f64 / 1e6)}
                            onchange={update(|s, i| if let Ok(v) = i.value().parse::<f64>() { if v.is_finite() { s.time = ((v.max(0.0) * 1e6) as u64).min(s.scenario.duration.0) } })} />
                    </label>
                    <label class="setting check"><input type="checkbox" checked={state.view.autoplay} onchange={update(|s, i| s.view.autoplay = i.checked())} /><span>{"Play on load"}</span></label>
                    <label class="setting check"><input type="checkbox" checked={state.view.narration} onchange={update(|s, i| s.view.narration = i.checked())} /><span>{"Narration"}</span></label>
                    <label class="setting"><span>{"Controls"}</span>
                        <select onchange={controls_select}>
                            <option value="full" selected={c == Controls::Full}>{"full"}</option>
                            <option value="minimal" selected={c == Controls::Minimal}>{"play and scrubber"}</option>
                            <option value="none" selected={c == Controls::None}>{"none"}</option>
                        </select>
                    </label>
                    <label class="setting"><span>{"Height (px)"}</span><input type="number" min="240" max="2000" step="20" value={height.to_string()} onchange={on_height} /></label>
                </fieldset>
            </div>
            <label class="snippet-label" for="embed-snippet">{"Paste this into the page:"}</label>
            <textarea id="embed-snippet" class="snippet" readonly=true rows="4" value={snippet.clone()} />
            <div class="copy-row">
                <button class="button" onclick={copy}>{ if *copied { "Copied" } else { "Copy snippet" } }</button>
                <a class="button secondary" href={url} target="_blank" rel="noopener">{"Preview"}</a>
            </div>
            <p class="muted small">
                {"Starts at "}{ human_duration(state.time) }{". A host page can also drive the frame with postMessage (play, pause, seek, load) and hear when time moves and anomalies appear; "}
                <a href="embed-example.html" target="_blank" rel="noopener">{"see the example host page"}</a>{"."}
            </p>
        </> }) }
    }
}

/// What can be exported.
#[derive(Clone, Debug, PartialEq)]
pub enum Export {
    /// A pane's node diagram, or its space-time diagram (`space_time`), as SVG or PNG (drawn at
    /// twice its size), framed for a slide: a title, the moment, a legend; `slide` makes it 16:9.
    Diagram {
        pane: usize,
        space_time: bool,
        png: bool,
        slide: bool,
    },
    Trace(usize),
    History(usize),
}

#[derive(Properties, PartialEq)]
pub struct ExportProps {
    /// (pane index, kind)
    pub panes: Vec<(usize, TopologyKind)>,
    pub on_export: Callback<Export>,
    /// A history file chosen to open: its name and text (or why it was not read).
    pub on_open: Callback<(String, Result<String, String>)>,
    pub on_close: Callback<()>,
}

#[function_component(ExportDialog)]
pub fn export_dialog(p: &ExportProps) -> Html {
    let slide = use_state(|| false);
    let go = |e: Export, label: &'static str| {
        let cb = p.on_export.clone();
        html! { <button class="button secondary" onclick={Callback::from(move |_| cb.emit(e.clone()))}>{ label }</button> }
    };
    let on_slide = {
        let slide = slide.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                slide.set(i.checked());
            }
        })
    };
    let s = *slide;
    let on_file = {
        let cb = p.on_open.clone();
        Callback::from(move |e: Event| {
            let file = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|i| i.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                let name = file.name();
                let cb = cb.clone();
                super::editor::read_file(file, Callback::from(move |text| cb.emit((name.clone(), text))));
            }
        })
    };
    let rows = p.panes.iter().map(|(i, k)| {
        let pane = *i;
        let d = |space_time, png| Export::Diagram { pane, space_time, png, slide: s };
        html! {
            <tr>
                <th scope="row">{ k.title() }</th>
                <td>{ go(d(false, false), "SVG") }{ go(d(false, true), "PNG") }</td>
                <td>{ go(d(true, false), "SVG") }{ go(d(true, true), "PNG") }</td>
                <td>{ go(Export::Trace(pane), "JSON lines") }</td>
                <td>{ go(Export::History(pane), "Jepsen EDN") }</td>
            </tr>
        }
    });
    html! {
        { modal("Export", &p.on_close, html! { <>
            <table class="export-table">
                <thead><tr><th></th><th scope="col">{"Node diagram"}</th><th scope="col">{"Space-time"}</th><th scope="col">{"Trace"}</th><th scope="col">{"History"}</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <label class="check-row slide-option"><input type="checkbox" checked={s} onchange={on_slide} /><span>{"Slide: 16:9, 1920 × 1080"}</span></label>
            <p class="muted small">{"Diagrams are exported as they are drawn now, on a light background whatever the page's theme, with a title, the moment and a legend; PNGs at twice the size, for projectors. The trace holds every step, message and annotation of the run; the history is every client operation in the format Jepsen's checkers read (and "}<code>{"replicascope check"}</code>{" too)."}</p>
            <h3 class="export-import">{"Import"}</h3>
            <p class="muted small">{"A history from a Jepsen, Knossos or Porcupine test (EDN, one map per operation): checked for linearizability and drawn by process, with the fewest operations that show a violation highlighted. Dropping the file on the page does the same."}</p>
            <label class="button secondary file-pick">{"Open a history (.edn)…"}
                <input type="file" accept=".edn,.txt,.clj" aria-label="Open a history" onchange={on_file} />
            </label>
        </> }) }
    }
}

/// The keys and mouse (a plain function: it has no state, and a component costs the page
/// generic code).
pub fn help_dialog(on_close: &Callback<()>) -> Html {
    let keys = [
        ("Space", "play / pause"),
        ("→", "next event"),
        ("←", "previous event"),
        ("]", "faster"),
        ("[", "slower"),
        ("Esc", "close menus and dialogs"),
    ];
    html! {
        { modal("Keyboard and mouse", on_close, html! { <>
            <dl class="kv">{ for keys.iter().map(|(k, v)| html! { <><dt><kbd>{ *k }</kbd></dt><dd>{ *v }</dd></> }) }</dl>
            <p>{"Click a node for its actions (crash, restart, pause, skew its clock, partition), a client to send a read or a write, a message in flight to inspect it (double-click drops it). Every change is recorded at the moment shown and becomes part of the link."}</p>
        </> }) }
    }
}
