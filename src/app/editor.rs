//! The scenario editor: a lecturer's own scenario, from a blank one or from what is open. The
//! scenario file itself (JSON, exactly what `replicascope run` reads) is the source of truth;
//! the controls above it edit the parts one changes most — the fault timeline (the preset's own
//! faults included), the workload, the cluster and the network for every design at once — and
//! the text below edits everything else (one design's settings, regions, scripted operations,
//! narration). Everything is checked as scenario files are, each problem shown by the control or
//! the line it is about. The result opens as a link, downloads as a file, and a file can be
//! opened here or dropped on the page.

use super::host;
use replicascope_engine::page::Scenario;
use serde_json::{json, Value};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    /// What the editor starts from: the scenario open on the page, or a file's text.
    pub start: Rc<String>,
    pub on_apply: Callback<Scenario>,
    /// Every change to the draft, so that closing the dialog (Esc, a click outside) loses nothing.
    pub on_draft: Callback<String>,
    pub on_close: Callback<()>,
}

/// What a draft is: the scenario if it reads and compiles, and every problem by field path.
fn check(text: &str) -> (Option<Scenario>, Vec<(String, String)>) {
    match Scenario::from_json(text) {
        Err(p) => (None, p.items.into_iter().map(|i| (i.field, i.message)).collect()),
        Ok(s) => match s.compile() {
            Ok(_) => (Some(s), Vec::new()),
            Err(p) => (None, p.items.into_iter().map(|i| (i.field, i.message)).collect()),
        },
    }
}

/// Sets `path` (object keys, created as needed) in the draft's JSON to `value`, and writes it
/// back as the file's text. A draft that is not JSON is left as it is.
fn edit(text: &str, path: &[&str], value: Value) -> Option<String> {
    let mut v: Value = serde_json::from_str(text).ok()?;
    let mut at = &mut v;
    for (i, key) in path.iter().enumerate() {
        if !at.is_object() {
            *at = json!({});
        }
        let map = at.as_object_mut()?;
        if i + 1 == path.len() {
            map.insert(key.to_string(), value);
            break;
        }
        at = map.entry(key.to_string()).or_insert_with(|| json!({}));
    }
    serde_json::to_string_pretty(&v).ok()
}

/// The faults of the draft as (time, phrase) text, read leniently so that a bad one can be fixed.
fn faults(text: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    v.get("faults")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|f| {
                    let s = |k: &str| f.get(k).map(|x| x.as_str().map(String::from).unwrap_or_else(|| x.to_string()));
                    (s("at").unwrap_or_default(), s("fault").unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn set_faults(text: &str, list: &[(String, String)]) -> Option<String> {
    let value = Value::Array(list.iter().map(|(at, fault)| json!({ "at": at, "fault": fault })).collect());
    edit(text, &["faults"], value)
}

/// A number read from the draft's JSON, for a control's value.
fn number(text: &str, path: &[&str]) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let mut at = &v;
    for k in path {
        match at.get(k) {
            Some(x) => at = x,
            None => return String::new(),
        }
    }
    match at {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

fn value_of(e: &Event) -> String {
    e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).map(|i| i.value()).unwrap_or_default()
}

/// The largest scenario file read (as `Scenario::from_json` allows).
pub const MAX_FILE: f64 = 4.0 * 1024.0 * 1024.0;

/// Reads a chosen or dropped file as text, then calls `done` with it; a file over [`MAX_FILE`]
/// is not read (`done` gets an error message instead).
pub fn read_file(file: web_sys::File, done: Callback<Result<String, String>>) {
    if file.size() > MAX_FILE {
        done.emit(Err(format!(
            "“{}” is larger than 4 MB, too large to open in the page (for a history that large, `replicascope check` reads up to 64 MB).",
            file.name()
        )));
        return;
    }
    let Ok(reader) = web_sys::FileReader::new() else { return };
    let r = reader.clone();
    let onload = Closure::once_into_js(move || {
        if let Some(text) = r.result().ok().and_then(|v| v.as_string()) {
            done.emit(Ok(text));
        }
    });
    reader.set_onload(Some(onload.unchecked_ref()));
    let _ = reader.read_as_text(&file);
}

#[function_component(ScenarioEditor)]
pub fn scenario_editor(p: &EditorProps) -> Html {
    let text = use_state(|| (*p.start).clone());
    {
        let on_draft = p.on_draft.clone();
        use_effect_with((*text).clone(), move |t| on_draft.emit(t.clone()));
    }
    let (draft, problems) = check(&text);
    // Problems by the control they are about; the rest under the file's text.
    let about = |prefix: &str| -> Vec<String> {
        problems.iter().filter(|(f, _)| f.starts_with(prefix)).map(|(_, m)| m.clone()).collect()
    };
    let rest: Vec<String> = problems
        .iter()
        .filter(|(f, _)| !(f.starts_with("faults") || f.starts_with("workload") || f.starts_with("network.latency")))
        .map(|(f, m)| if f.is_empty() { m.clone() } else { format!("{f}: {m}") })
        .collect();
    let say = |list: Vec<String>| -> Html {
        if list.is_empty() {
            return html! {};
        }
        html! { <p class="field-problem" role="alert">{ list.join(" ") }</p> }
    };
    // Each control writes into the file's text.
    let set = |path: &'static [&'static str], to_value: fn(&str) -> Value| {
        let text = text.clone();
        Callback::from(move |e: Event| {
            if let Some(next) = edit(&text, path, to_value(&value_of(&e))) {
                text.set(next);
            }
        })
    };
    fn num(s: &str) -> Value {
        s.trim()
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            .unwrap_or(Value::String(s.into()))
    }
    fn int(s: &str) -> Value {
        s.trim().parse::<u64>().map(|n| json!(n)).unwrap_or(Value::String(s.into()))
    }
    let list = faults(&text);
    let rows = list.iter().enumerate().map(|(i, (at, fault))| {
        let change = |which: usize| {
            let text = text.clone();
            Callback::from(move |e: Event| {
                let mut list = faults(&text);
                if let Some(row) = list.get_mut(i) {
                    if which == 0 {
                        row.0 = value_of(&e);
                    } else {
                        row.1 = value_of(&e);
                    }
                }
                if let Some(next) = set_faults(&text, &list) {
                    text.set(next);
                }
            })
        };
        let remove = {
            let text = text.clone();
            Callback::from(move |_| {
                let mut list = faults(&text);
                if i < list.len() {
                    list.remove(i);
                }
                if let Some(next) = set_faults(&text, &list) {
                    text.set(next);
                }
            })
        };
        html! {
            <li class="fault-row" data-fault={i.to_string()}>
                <input class="fault-at" aria-label={format!("Fault {} time", i + 1)} value={at.clone()} onchange={change(0)} />
                <input class="fault-what" aria-label={format!("Fault {} action", i + 1)} value={fault.clone()} onchange={change(1)} />
                <button class="icon-button tiny" aria-label={format!("Remove fault {}", i + 1)} title="Remove" onclick={remove}>{"×"}</button>
                { say(about(&format!("faults[{i}]"))) }
            </li>
        }
    });
    let add = {
        let text = text.clone();
        Callback::from(move |_| {
            let mut list = faults(&text);
            let at =
                list.last().and_then(|(t, _)| t.trim_end_matches('s').parse::<f64>().ok()).map_or(5.0, |t| t + 5.0);
            list.push((format!("{at}s"), "crash n1".into()));
            if let Some(next) = set_faults(&text, &list) {
                text.set(next);
            }
        })
    };
    let blank = {
        let text = text.clone();
        Callback::from(move |_| text.set(Scenario::blank().to_json()))
    };
    let current = {
        let text = text.clone();
        let start = p.start.clone();
        Callback::from(move |_| text.set((*start).clone()))
    };
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(t) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
                text.set(t.value());
            }
        })
    };
    let on_file = {
        let text = text.clone();
        Callback::from(move |e: Event| {
            let file = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .and_then(|i| i.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                let text = text.clone();
                read_file(
                    file,
                    Callback::from(move |t: Result<String, String>| text.set(t.unwrap_or_else(|e| format!("// {e}")))),
                );
            }
        })
    };
    let apply = {
        let cb = p.on_apply.clone();
        let draft = draft.clone();
        Callback::from(move |_| {
            if let Some(s) = draft.clone() {
                cb.emit(s);
            }
        })
    };
    let download = {
        let text = text.clone();
        Callback::from(move |_| host::download("scenario.json", "application/json", &text))
    };
    let nodes = {
        let text = text.clone();
        Callback::from(move |e: Event| {
            let n = int(&value_of(&e));
            let mut next = (*text).clone();
            let v: Value = serde_json::from_str(&next).unwrap_or(Value::Null);
            let tops = v.get("topologies").cloned().unwrap_or(Value::Null);
            for (design, field) in [("leader_follower", "nodes"), ("multi_leader", "leaders"), ("leaderless", "nodes")]
            {
                if tops.get(design).is_some_and(|d| !d.is_null()) {
                    if let Some(t) = edit(&next, &["topologies", design, field], n.clone()) {
                        next = t;
                    }
                }
            }
            text.set(next);
        })
    };
    let latency = {
        let text = text.clone();
        Callback::from(move |e: Event| {
            let median = num(&value_of(&e));
            if let Some(next) =
                edit(&text, &["network", "latency"], json!({ "log_normal": { "median_ms": median, "sigma": 0.5 } }))
            {
                text.set(next);
            }
        })
    };
    let nodes_now = ["leader_follower", "multi_leader", "leaderless"]
        .iter()
        .zip(["nodes", "leaders", "nodes"])
        .map(|(d, f)| number(&text, &["topologies", d, f]))
        .find(|n| !n.is_empty())
        .unwrap_or_else(|| "3".into());
    let latency_now = {
        let n = number(&text, &["network", "latency", "log_normal", "median_ms"]);
        if n.is_empty() {
            "2".to_string()
        } else {
            n
        }
    };
    html! {
        <div class="editor">
            <div class="editor-start">
                <button class="button secondary" onclick={blank}>{"Start blank"}</button>
                <button class="button secondary" onclick={current}>{"Start from the scenario open now"}</button>
                <label class="button secondary file-pick">{"Open a JSON file…"}<input type="file" accept=".json,application/json" onchange={on_file} /></label>
            </div>
            <fieldset class="editor-part">
                <legend>{"Faults, in time order as the run applies them"}</legend>
                <ul class="fault-list">{ for rows }</ul>
                <button class="button secondary" onclick={add}>{"Add a fault"}</button>
                <p class="muted small">{"Times like 4s or 1500ms. Actions: crash n1, restart n1, pause n2 3s, partition n1,c1 | n2,n3,c2, heal, skew n2 +500ms, slow_disk n2 x20, slow_link n1 -> n3 +200ms, drop_rate 0.1, promote n3."}</p>
                { say(about("faults").into_iter().filter(|_| list.is_empty()).collect()) }
            </fieldset>
            <fieldset class="editor-part editor-grid">
                <legend>{"Workload, cluster and network, for every design"}</legend>
                <label>{"Clients"}<input type="number" min="1" value={number(&text, &["workload", "sessions"])} onchange={set(&["workload", "sessions"], int)} /></label>
                <label>{"Operations per second"}<input type="number" min="0" step="any" value={number(&text, &["workload", "generator", "rate"])} onchange={set(&["workload", "generator", "rate"], num)} /></label>
                <label>{"Share of reads (0–1)"}<input type="number" min="0" max="1" step="0.05" value={number(&text, &["workload", "generator", "read_fraction"])} onchange={set(&["workload", "generator", "read_fraction"], num)} /></label>
                <label>{"Keys"}<input type="number" min="1" value={number(&text, &["workload", "generator", "keys"])} onchange={set(&["workload", "generator", "keys"], int)} /></label>
                <label>{"Nodes in each design"}<input type="number" min="1" max="9" value={nodes_now} onchange={nodes} /></label>
                <label>{"Median one-way latency (ms)"}<input type="number" min="0" step="any" value={latency_now} onchange={latency} /></label>
                { say(about("workload")) }
                { say(about("network.latency")) }
            </fieldset>
            <label class="editor-json">
                <span>{"The scenario file (everything else: one design's settings, regions, scripted operations, narration)"}</span>
                <textarea spellcheck="false" rows="12" value={(*text).clone()} oninput={on_text} />
            </label>
            { say(rest) }
            <div class="editor-actions">
                <button class="button" disabled={draft.is_none()} onclick={apply}>{"Open this scenario"}</button>
                <button class="button secondary" onclick={download}>{"Download JSON"}</button>
                if draft.is_some() { <span class="muted small">{"Valid: it runs here and in "}<code>{"replicascope run"}</code>{"."}</span> }
            </div>
        </div>
    }
}
