//! Each pane's settings in a compact panel, drawn from what the engine says of its topology's
//! settings (`topology::Setting`): their fields, ranges, and what each choice does and costs. A
//! change is an override (`lf.mode=sync`): the run restarts at the same moment with the same
//! interventions, and the link records it.

use replicascope_engine::page::Scenario;
use replicascope_engine::page::TopologyKind;
use replicascope_engine::page::{Setting, SettingControl};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub kind: TopologyKind,
    pub scenario: std::rc::Rc<Scenario>,
    /// (override key, value)
    pub on_change: Callback<(String, String)>,
}

/// One option of a select: its value in links, its label, and what it does and costs.
type Choice = (&'static str, &'static str, &'static str);

fn help(text: &str) -> Html {
    if text.is_empty() {
        return html! {};
    }
    html! { <small class="setting-help">{ text.to_string() }</small> }
}

fn select(label: &str, key: &str, current: &str, options: &[Choice], cb: &Callback<(String, String)>) -> Html {
    let key = key.to_string();
    let cb = cb.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(s) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
            cb.emit((key.clone(), s.value()));
        }
    });
    let explained = options.iter().find(|(v, ..)| *v == current).map(|(.., h)| *h).unwrap_or("");
    html! {
        <label class="setting">
            <span>{ label.to_string() }</span>
            <select {onchange}>
                { for options.iter().map(|(v, text, _)| html! { <option value={v.to_string()} selected={*v == current}>{ text.to_string() }</option> }) }
            </select>
            { help(explained) }
        </label>
    }
}

fn number(
    label: &str,
    key: &str,
    current: u32,
    (min, max): (u32, u32),
    explained: &str,
    cb: &Callback<(String, String)>,
) -> Html {
    let key = key.to_string();
    let cb = cb.clone();
    // On input, not on change: the value is read as it is typed or stepped, before anything can
    // draw the panel again (a run that finishes computing redraws its pane, and a value typed
    // but not yet committed was lost that way).
    let oninput = Callback::from(move |e: InputEvent| {
        if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
            if !i.value().is_empty() {
                cb.emit((key.clone(), i.value()));
            }
        }
    });
    html! {
        <label class="setting">
            <span>{ label.to_string() }</span>
            <input type="number" min={min.to_string()} max={max.to_string()} value={current.to_string()} {oninput} />
            { help(explained) }
        </label>
    }
}

/// A checkbox: its label, override key, state, the values it writes, and what it does when on
/// and when off.
struct Check<'a> {
    label: &'a str,
    key: &'a str,
    on: bool,
    values: (&'a str, &'a str),
    explained: (&'a str, &'a str),
}

fn check(c: Check, cb: &Callback<(String, String)>) -> Html {
    let key = c.key.to_string();
    let cb = cb.clone();
    let (on_v, off_v) = (c.values.0.to_string(), c.values.1.to_string());
    let onchange = Callback::from(move |e: Event| {
        if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
            cb.emit((key.clone(), if i.checked() { on_v.clone() } else { off_v.clone() }));
        }
    });
    html! {
        <label class="setting check">
            <span class="check-row">
                <input type="checkbox" checked={c.on} {onchange} />
                <span>{ c.label.to_string() }</span>
            </span>
            { help(if c.on { c.explained.0 } else { c.explained.1 }) }
        </label>
    }
}

/// One setting as the engine describes it (`topology::Setting`), keyed `<pane code>.<field>`.
fn setting(kind: TopologyKind, s: &Setting, cb: &Callback<(String, String)>) -> Html {
    let key = format!("{}.{}", kind.code(), s.field);
    match &s.control {
        SettingControl::Choice { current, options } => {
            let options: Vec<Choice> = options.iter().map(|o| (o.value, o.label, o.help)).collect();
            select(s.label, &key, current, &options, cb)
        }
        SettingControl::Number { current, min, max, help } => number(s.label, &key, *current, (*min, *max), help, cb),
        SettingControl::Toggle { on, values, help } => check(
            Check {
                label: s.label,
                key: &key,
                on: *on,
                values: *values,
                explained: (help.0.as_str(), help.1.as_str()),
            },
            cb,
        ),
    }
}

/// A pane's settings panel (a plain function: stateless).
pub fn settings(p: &SettingsProps) -> Html {
    let cb = &p.on_change;
    let list = p.scenario.topologies.settings(p.kind);
    if list.is_empty() {
        return html! {};
    }
    html! {
        <div class="settings" role="group" aria-label={format!("{} settings", p.kind.title())}>
            { for list.iter().map(|s| setting(p.kind, s, cb)) }
        </div>
    }
}
