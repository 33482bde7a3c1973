//! The scenario editor: a lecturer's own scenario, from a blank one or from what is open. The
//! scenario file itself (JSON, exactly what `replicascope run` reads) is the source of truth;
//! the controls above it edit the fault timeline (the preset's own faults included), the
//! workload (with scripted operations), the cluster and the network for every design at once,
//! regions, and each design — included or not, its own settings (the pane's ⚙ controls) and its
//! nodes' regions; the text below edits everything else (latency by message kind or between
//! regions, timeouts, narration). Everything is checked as scenario files are, each problem shown by the control or
//! the line it is about. The result opens as a link, downloads as a file, and a file can be
//! opened here or dropped on the page.

use super::host;
use super::settings::{settings, SettingsProps};
use replicascope_engine::page::{Scenario, TopologyKind};
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

/// A draft as the scenario reader read it (`reader.rs`: JSON is read in a worker): the
/// scenario, or its problems by field path.
type Read = Result<Rc<Scenario>, Vec<(String, String)>>;

/// What a draft is: the scenario if it reads and compiles, and every problem by field path.
fn check(read: &Read) -> (Option<Scenario>, Vec<(String, String)>) {
    match read {
        Err(p) => (None, p.clone()),
        Ok(s) => match s.compile() {
            Ok(_) => (Some((**s).clone()), Vec::new()),
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

/// A list of the draft's objects (`faults`, `workload.script`) as text fields, read leniently
/// so that a bad entry can still be fixed; a missing field reads as "".
fn rows(text: &str, path: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let list = path.iter().try_fold(&v, |at, k| at.get(k)).and_then(Value::as_array);
    list.map(|list| {
        list.iter()
            .map(|entry| {
                fields
                    .iter()
                    .map(|k| match entry.get(k) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                    })
                    .collect()
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Writes `list` back at `path`, each row an object of `fields`; the fields after the first
/// `required` are left out when empty.
fn set_rows(text: &str, path: &[&str], fields: &[&str], required: usize, list: &[Vec<String>]) -> Option<String> {
    let value = Value::Array(
        list.iter()
            .map(|row| {
                let mut entry = serde_json::Map::new();
                for (i, (k, v)) in fields.iter().zip(row).enumerate() {
                    if i < required || !v.trim().is_empty() {
                        entry.insert(k.to_string(), Value::String(v.clone()));
                    }
                }
                Value::Object(entry)
            })
            .collect(),
    );
    edit(text, path, value)
}

const FAULT: &[&str] = &["at", "fault"];
const SCRIPTED: &[&str] = &["at", "session", "op", "via", "cl"];

/// A comma-separated list for a text field, and back.
fn listed(text: &str, path: &[&str]) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    path.iter()
        .try_fold(&v, |at, k| at.get(k))
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|x| x.as_str().map(String::from).unwrap_or_else(|| x.to_string())).collect::<Vec<_>>())
        .unwrap_or_default()
        .join(", ")
}

fn unlisted(s: &str) -> Value {
    Value::Array(s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(|x| Value::String(x.into())).collect())
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
    // The draft is read by the scenario reader, a worker (a few milliseconds once it has loaded):
    // until the reading of this very text is back, the last one's problems stay and the
    // scenario cannot be opened.
    let read = use_state(|| None::<Rc<(String, Read)>>);
    {
        let read = read.clone();
        use_effect_with((*text).clone(), move |t| {
            let t = t.clone();
            super::reader::read(
                &t.clone(),
                Callback::from(move |r: crate::reading::Reading| read.set(Some(Rc::new((t.clone(), r.map(Rc::new)))))),
            );
        });
    }
    let last = read.as_ref().map(|r| &r.1);
    let current = read.as_ref().filter(|r| r.0 == *text).map(|r| &r.1);
    let (draft, problems) = match (current, last) {
        (Some(r), _) => check(r),
        (None, Some(r)) => (None, check(r).1),
        (None, None) => (None, Vec::new()),
    };
    let reading = current.is_none();
    // Problems by the control they are about; the rest under the file's text.
    let about_but = |prefix: &str, elsewhere: &[&str]| -> Vec<String> {
        problems
            .iter()
            .filter(|(f, _)| f.starts_with(prefix) && !elsewhere.iter().any(|e| f.starts_with(e)))
            .map(|(_, m)| m.clone())
            .collect()
    };
    let about = |prefix: &str| about_but(prefix, &[]);
    // Fields whose problems are shown by their controls above.
    const SHOWN: [&str; 5] = ["faults", "workload", "network.latency", "network.region", "topologies"];
    let rest: Vec<String> = problems
        .iter()
        .filter(|(f, _)| !SHOWN.iter().any(|p| f.starts_with(p)))
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
    // The same with a path made at run time (a design's fields).
    let set_at = |path: Vec<&'static str>, to_value: fn(&str) -> Value| {
        let text = text.clone();
        Callback::from(move |e: Event| {
            if let Some(next) = edit(&text, &path, to_value(&value_of(&e))) {
                text.set(next);
            }
        })
    };
    // Each design: included or not, and, once the file reads, its own settings — the same
    // controls as the pane's ⚙, writing into this file — and where its nodes are.
    // As last read: a keystroke behind while the reader works.
    let parsed: Option<Rc<Scenario>> = last.and_then(|r| r.as_ref().ok().cloned());
    let has_regions = !listed(&text, &["network", "regions"]).is_empty();
    let on_setting = {
        let text = text.clone();
        Callback::from(move |(key, value): (String, String)| {
            let Some((code, field)) = key.split_once('.') else { return };
            let Some(kind) = TopologyKind::from_code(code) else { return };
            // As links do: numbers, booleans and null as themselves, anything else as text.
            let value = match serde_json::from_str::<Value>(&value) {
                Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
                _ => Value::String(value),
            };
            if let Some(next) = edit(&text, &["topologies", kind.name(), field], value) {
                text.set(next);
            }
        })
    };
    // Which designs the text includes, read off the text itself so that a box follows a click at
    // once (the reading of the text comes a moment later); `None` if the text is not JSON.
    let included = serde_json::from_str::<Value>(&text).ok().map(|v| v.get("topologies").cloned().unwrap_or_default());
    let designs = TopologyKind::ALL.iter().map(|&kind| {
        let configured = match &included {
            Some(tops) => tops.get(kind.name()).is_some_and(|c| !c.is_null()),
            None => parsed.as_ref().is_some_and(|s| s.topologies.kinds().contains(&kind)),
        };
        let toggle = {
            let text = text.clone();
            Callback::from(move |e: Event| {
                let on = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).is_some_and(|i| i.checked());
                if let Some(next) = edit(&text, &["topologies", kind.name()], if on { json!({}) } else { Value::Null }) {
                    text.set(next);
                }
            })
        };
        let body = parsed.as_ref().filter(|_| configured).map(|scenario| {
            html! { <>
                { settings(&SettingsProps { kind, scenario: scenario.clone(), on_change: on_setting.clone() }) }
                if has_regions {
                    <label class="editor-wide">{"Its nodes’ regions, in order (comma-separated)"}
                        <input aria-label={format!("{} regions", kind.title())} value={listed(&text, &["topologies", kind.name(), "placement"])}
                            onchange={set_at(vec!["topologies", kind.name(), "placement"], unlisted)} />
                    </label>
                }
            </> }
        });
        html! {
            <div class="editor-design" data-design={kind.name()}>
                <label class="check-row"><input type="checkbox" checked={configured} onchange={toggle} /><strong>{ kind.title() }</strong></label>
                { body.unwrap_or_default() }
                { say(about(&format!("topologies.{}", kind.name()))) }
            </div>
        }
    });
    let fault_rows = row_list(
        &text,
        &Rows {
            path: &["faults"],
            fields: FAULT,
            required: 2,
            labels: &["time", "action"],
            noun: "fault",
            next: next_fault,
        },
        &problems,
    );
    let script_rows = row_list(
        &text,
        &Rows {
            path: &["workload", "script"],
            fields: SCRIPTED,
            required: 3,
            labels: &["time", "client", "operation", "via node", "consistency"],
            noun: "scripted operation",
            next: next_scripted,
        },
        &problems,
    );
    let no_faults = rows(&text, &["faults"], FAULT).is_empty();
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
    let latency = latency_controls(&text);
    let nodes_now = ["leader_follower", "multi_leader", "leaderless"]
        .iter()
        .zip(["nodes", "leaders", "nodes"])
        .map(|(d, f)| number(&text, &["topologies", d, f]))
        .find(|n| !n.is_empty())
        .unwrap_or_else(|| "3".into());
    html! {
        <div class="editor">
            <div class="editor-start">
                <button class="button secondary" onclick={blank}>{"Start blank"}</button>
                <button class="button secondary" onclick={current}>{"Start from the scenario open now"}</button>
                <label class="button secondary file-pick">{"Open a JSON file…"}<input type="file" accept=".json,application/json" onchange={on_file} /></label>
            </div>
            <fieldset class="editor-part">
                <legend>{"Faults, in time order as the run applies them"}</legend>
                { fault_rows }
                <p class="muted small">{"Times like 4s or 1500ms. Actions: crash n1, restart n1, pause n2 3s, partition n1,c1 | n2,n3,c2, heal, skew n2 +500ms, slow_disk n2 x20, slow_link n1 -> n3 +200ms, drop_rate 0.1, promote n3. On the page, a fault's marker on the scrubber can be dragged to another moment."}</p>
                { say(about("faults").into_iter().filter(|_| no_faults).collect()) }
            </fieldset>
            <fieldset class="editor-part editor-grid">
                <legend>{"Workload, cluster and network, for every design"}</legend>
                <label>{"Clients"}<input type="number" min="1" value={number(&text, &["workload", "sessions"])} onchange={set(&["workload", "sessions"], int)} /></label>
                <label>{"Operations per second"}<input type="number" min="0" step="any" value={number(&text, &["workload", "generator", "rate"])} onchange={set(&["workload", "generator", "rate"], num)} /></label>
                <label>{"Share of reads (0–1)"}<input type="number" min="0" max="1" step="0.05" value={number(&text, &["workload", "generator", "read_fraction"])} onchange={set(&["workload", "generator", "read_fraction"], num)} /></label>
                <label>{"Keys"}<input type="number" min="1" value={number(&text, &["workload", "generator", "keys"])} onchange={set(&["workload", "generator", "keys"], int)} /></label>
                <label>{"Nodes in each design"}<input type="number" min="1" max="9" value={nodes_now} onchange={nodes} /></label>
                { latency }
                // Scripted operations and clients' regions have their own places.
                { say(about_but("workload", &["workload.script", "workload.session_regions"])) }
                { say(about("network.latency")) }
            </fieldset>
            <fieldset class="editor-part">
                <legend>{"Scripted operations, besides the generated ones"}</legend>
                { script_rows }
                <p class="muted small">{"Operations: read x, write x=5, incr likes 2, add cart milk, remove cart milk. Clients are c1, c2, …; “via” sends the request to one node (n2); a leaderless consistency level is one, two, quorum, all, local_quorum or each_quorum."}</p>
            </fieldset>
            <fieldset class="editor-part editor-grid">
                <legend>{"Regions (optional)"}</legend>
                <label class="editor-wide">{"Regions (comma-separated: us-east, us-west, eu-west, ap-northeast, ap-south come with real latencies)"}
                    <input aria-label="Regions" value={listed(&text, &["network", "regions"])} onchange={set(&["network", "regions"], unlisted)} /></label>
                <label class="editor-wide">{"Clients’ regions, in order"}
                    <input aria-label="Clients’ regions" value={listed(&text, &["workload", "session_regions"])} onchange={set(&["workload", "session_regions"], unlisted)} /></label>
                { say(about("network.region")) }
                { say(about("workload.session_regions")) }
            </fieldset>
            <fieldset class="editor-part">
                <legend>{"Designs: which run side by side, and each one’s own settings"}</legend>
                { for designs }
                if parsed.is_none() && !reading { <p class="muted small">{"Each design’s settings appear here once the file below reads."}</p> }
            </fieldset>
            <label class="editor-json">
                <span>{"The scenario file (everything else: latency by message kind and between regions, timeouts, narration)"}</span>
                <textarea spellcheck="false" rows="12" value={(*text).clone()} oninput={on_text} />
            </label>
            { say(rest) }
            <div class="editor-actions">
                <button class="button" disabled={draft.is_none()} onclick={apply}>{"Open this scenario"}</button>
                <button class="button secondary" onclick={download}>{"Download JSON"}</button>
                if draft.is_some() { <span class="muted small">{"Valid: it runs here and in "}<code>{"replicascope run"}</code>{"."}</span> }
                else if reading { <span class="muted small editor-reading" aria-live="polite">{"Reading the file…"}</span> }
            </div>
        </div>
    }
}

/// A list of the draft's objects edited as rows: where it is, its fields (the first `required`
/// always written), the columns' labels, what one is called, and the row "Add" appends.
struct Rows {
    path: &'static [&'static str],
    fields: &'static [&'static str],
    required: usize,
    labels: &'static [&'static str],
    noun: &'static str,
    next: fn(&[Vec<String>]) -> Vec<String>,
}

/// Five seconds after the last row's time (or at 5 s).
fn later(list: &[Vec<String>]) -> String {
    let last = list.last().and_then(|r| r.first()).and_then(|t| {
        let t = t.trim();
        t.strip_suffix("ms")
            .and_then(|ms| ms.parse::<f64>().ok().map(|m| m / 1000.0))
            .or_else(|| t.trim_end_matches('s').parse::<f64>().ok())
    });
    format!("{}s", last.map_or(5.0, |t| t + 5.0))
}

fn next_fault(list: &[Vec<String>]) -> Vec<String> {
    vec![later(list), "crash n1".into()]
}

fn next_scripted(list: &[Vec<String>]) -> Vec<String> {
    vec![later(list), "c1".into(), "write x=1".into(), String::new(), String::new()]
}

/// Rows of text fields, a remove button each, an add button; each row's problems under it.
fn row_list(text: &UseStateHandle<String>, r: &Rows, problems: &[(String, String)]) -> Html {
    let list = rows(text, r.path, r.fields);
    let prefix = r.path.join(".");
    let (path, fields, required) = (r.path, r.fields, r.required);
    let items = list.iter().enumerate().map(|(i, row)| {
        let cells = row.iter().enumerate().map(|(k, value)| {
            let text = text.clone();
            let onchange = Callback::from(move |e: Event| {
                let mut list = rows(&text, path, fields);
                if let Some(cell) = list.get_mut(i).and_then(|row| row.get_mut(k)) {
                    *cell = value_of(&e);
                }
                if let Some(next) = set_rows(&text, path, fields, required, &list) {
                    text.set(next);
                }
            });
            let label = format!("{} {} {}", capitalised(r.noun), i + 1, r.labels.get(k).copied().unwrap_or(""));
            html! { <input class={format!("row-{}", fields[k])} aria-label={label} placeholder={r.labels.get(k).copied().unwrap_or("")} value={value.clone()} {onchange} /> }
        });
        let remove = {
            let text = text.clone();
            Callback::from(move |_| {
                let mut list = rows(&text, path, fields);
                if i < list.len() {
                    list.remove(i);
                }
                if let Some(next) = set_rows(&text, path, fields, required, &list) {
                    text.set(next);
                }
            })
        };
        let about: Vec<String> = problems
            .iter()
            .filter(|(f, _)| f.starts_with(&format!("{prefix}[{i}]")))
            .map(|(_, m)| m.clone())
            .collect();
        html! {
            <li class={classes!("edit-row", format!("cols-{}", fields.len()))} data-row={i.to_string()}>
                { for cells }
                <button class="icon-button tiny" aria-label={format!("Remove {} {}", r.noun, i + 1)} title="Remove" onclick={remove}>{"×"}</button>
                if !about.is_empty() { <p class="field-problem" role="alert">{ about.join(" ") }</p> }
            </li>
        }
    });
    let add = {
        let text = text.clone();
        let next_row = r.next;
        Callback::from(move |_| {
            let mut list = rows(&text, path, fields);
            list.push(next_row(&list));
            if let Some(next) = set_rows(&text, path, fields, required, &list) {
                text.set(next);
            }
        })
    };
    html! { <>
        <ul class="row-list" data-list={prefix.clone()}>{ for items }</ul>
        <button class="button secondary" onclick={add}>{ format!("Add a {}", r.noun) }</button>
    </> }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The latency distributions a scenario file can name (`dist.rs`), with their parameters: the
/// field, its label, and the value a new choice starts with.
const DISTRIBUTIONS: &[(&str, &str, &[(&str, &str, f64)])] = &[
    ("constant", "constant", &[("ms", "latency (ms)", 2.0)]),
    ("uniform", "uniform", &[("min_ms", "from (ms)", 1.0), ("max_ms", "to (ms)", 3.0)]),
    ("normal", "normal", &[("mean_ms", "mean (ms)", 2.0), ("sd_ms", "standard deviation (ms)", 0.5)]),
    ("log_normal", "log-normal", &[("median_ms", "median (ms)", 2.0), ("sigma", "spread (sigma)", 0.5)]),
    ("exponential", "exponential", &[("mean_ms", "mean (ms)", 2.0)]),
    ("pareto", "Pareto (heavy tail)", &[("scale_ms", "minimum (ms)", 1.0), ("shape", "tail index", 2.0)]),
];

/// The network's one-way latency: its distribution and that distribution's parameters, for
/// every design (one network, so that the designs are compared on the same wire). A mixture is
/// left to the file's text.
fn latency_controls(text: &UseStateHandle<String>) -> Html {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let current = v.pointer("/network/latency").and_then(Value::as_object).and_then(|o| o.keys().next().cloned());
    let kind = current.unwrap_or_else(|| "log_normal".to_string());
    let Some((_, _, params)) = DISTRIBUTIONS.iter().find(|(k, ..)| *k == kind) else {
        return html! { <p class="muted small editor-wide">{ format!("One-way latency: a {kind} distribution, edited in the file below.") }</p> };
    };
    let choose = {
        let text = text.clone();
        Callback::from(move |e: Event| {
            let Some(s) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) else { return };
            let Some((k, _, params)) = DISTRIBUTIONS.iter().find(|(k, ..)| *k == s.value()) else { return };
            let fields: serde_json::Map<String, Value> =
                params.iter().map(|(f, _, d)| (f.to_string(), json!(d))).collect();
            if let Some(next) = edit(&text, &["network", "latency"], json!({ *k: fields })) {
                text.set(next);
            }
        })
    };
    let inputs = params.iter().map(|(field, label, default)| {
        let text = text.clone();
        let kind = kind.clone();
        let value = v.pointer(&format!("/network/latency/{kind}/{field}")).map_or(default.to_string(), |x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let onchange = Callback::from(move |e: Event| {
            let typed = value_of(&e);
            let value = typed
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::String(typed), Value::Number);
            if let Some(next) = edit(&text, &["network", "latency", &kind, field], value) {
                text.set(next);
            }
        });
        html! { <label>{ format!("Latency {label}") }<input type="number" min="0" step="any" value={value} {onchange} /></label> }
    });
    html! { <>
        <label>{"One-way latency"}
            <select aria-label="Latency distribution" onchange={choose}>
                { for DISTRIBUTIONS.iter().map(|(k, name, _)| html! { <option value={*k} selected={*k == kind}>{ *name }</option> }) }
            </select>
        </label>
        { for inputs }
    </> }
}
