//! A history from elsewhere — Jepsen, Knossos, Porcupine — dropped on the page or opened from
//! the Export dialog: checked against a model and drawn as a lane per process, each operation a
//! bar from its invocation to its completion, the fewest operations that show a violation
//! highlighted, with the sentence that says why. The run on the page is not touched: closing the
//! dialog returns to it as it was.

use super::chrome::modal;
use super::host;
use crate::checker::{Answer, Request};
use replicascope_engine::page::{Conventions, HistoryDiagram, Layout, ModelKind, NilRead, ObjectDiagram, Verdict};
use std::rc::Rc;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{HtmlInputElement, HtmlSelectElement, MessageEvent};
use yew::prelude::*;

use crate::checker::SHOWN;

/// What the reader changes about an imported history.
#[derive(Clone, Debug, PartialEq)]
pub enum HistoryMsg {
    Model(ModelKind),
    /// The register's starting value, as typed (empty: no value).
    Initial(String),
    NilRead(NilRead),
    /// Knossos' conventions at once: registers start at 0, a nil read matches anything.
    Knossos,
    Object(usize),
    Download {
        png: bool,
    },
}

/// An imported history and how it is checked.
pub struct Imported {
    pub name: String,
    pub text: Rc<String>,
    pub model: ModelKind,
    pub conventions: Conventions,
    /// The initial value as typed, with what is wrong with it.
    pub initial_text: String,
    pub initial_problem: Option<String>,
    /// The object drawn (an index into the diagram's objects).
    pub object: usize,
    /// `None` while it is being checked.
    pub result: Option<Result<Rc<HistoryDiagram>, String>>,
    /// The last request (answers to earlier ones are dropped), and whether it is unanswered.
    pub asked: u32,
    pub checking: bool,
}

impl Imported {
    pub fn new(name: String, text: String) -> Imported {
        let model = guess_model(&text);
        Imported {
            name,
            text: Rc::new(text),
            model,
            conventions: Conventions::default(),
            initial_text: String::new(),
            initial_problem: None,
            object: 0,
            result: None,
            asked: 0,
            checking: false,
        }
    }

    /// The request that checks the history as it is set up now (a new id each time).
    pub fn request(&mut self) -> String {
        self.asked = self.asked.wrapping_add(1);
        self.result = None;
        self.checking = true;
        let r =
            Request { id: self.asked, text: (*self.text).clone(), model: self.model, conventions: self.conventions };
        serde_json::to_string(&r).unwrap_or_default()
    }

    /// Takes the checker's answer if it is to the last request, and shows the first object that
    /// fails; false for an answer to an earlier request.
    pub fn answered(&mut self, answer: Answer) -> bool {
        if answer.id != self.asked {
            return false;
        }
        self.checking = false;
        self.object = answer
            .result
            .as_ref()
            .ok()
            .and_then(|d| d.objects.iter().position(|o| matches!(o.verdict, Verdict::NotLinearizable { .. })))
            .unwrap_or(0);
        self.result = Some(answer.result.map(Rc::new));
        true
    }

    /// Applies a change; true when the history must be checked again.
    pub fn update(&mut self, msg: HistoryMsg) -> bool {
        match msg {
            HistoryMsg::Model(m) => self.model = m,
            HistoryMsg::Initial(text) => {
                let trimmed = text.trim();
                let parsed =
                    if trimmed.is_empty() || trimmed == "nil" { Ok(None) } else { trimmed.parse::<i64>().map(Some) };
                self.initial_text = text;
                match parsed {
                    Ok(v) => {
                        self.initial_problem = None;
                        self.conventions.initial = v;
                    }
                    Err(_) => {
                        self.initial_problem = Some("a whole number, or empty for a register that starts empty".into());
                        return false;
                    }
                }
            }
            HistoryMsg::NilRead(n) => self.conventions.nil_read = n,
            HistoryMsg::Knossos => {
                self.conventions = Conventions { initial: Some(0), nil_read: NilRead::Any };
                self.initial_text = "0".into();
                self.initial_problem = None;
            }
            HistoryMsg::Object(i) => {
                self.object = i;
                return false;
            }
            HistoryMsg::Download { png } => {
                self.download(png);
                return false;
            }
        }
        self.result = None;
        true
    }

    fn download(&self, png: bool) {
        let Some(Ok(d)) = &self.result else { return };
        let Some(object) = d.objects.get(self.object) else { return };
        let frame = host::Frame {
            title: format!("{} — {}", self.name, verdict_text(&object.verdict)),
            subtitle: object.story.clone().unwrap_or_else(|| format!("{} operations", d.operations)),
            legend: Vec::new(),
            slide: false,
        };
        let Some(svg) = host::svg_document(".history-diagram svg", "", Some(&frame)) else { return };
        let stem = self.name.trim_end_matches(".edn").to_string();
        if png {
            host::download_png(format!("{stem}.png"), svg);
        } else {
            host::download(&format!("{stem}.svg"), "image/svg+xml", &svg);
        }
    }
}

/// The model a history's operations name: appends and gets are Porcupine's key-value store,
/// transactions Knossos' multi-register, acquire and release its mutex; else a register.
fn guess_model(text: &str) -> ModelKind {
    let names = |fs: &[&str]| fs.iter().any(|f| text.contains(&format!(":f :{f}")));
    if names(&["append", "get", "put"]) {
        ModelKind::Kv
    } else if names(&["txn"]) {
        ModelKind::MultiRegister
    } else if names(&["acquire", "release"]) {
        ModelKind::Mutex
    } else {
        ModelKind::Register
    }
}

/// Whether a dropped file is a history rather than a scenario: its name, or failing that, maps
/// with `:process` and `:type` keys.
pub fn is_history(name: &str, text: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with(".edn") || (!name.ends_with(".json") && text.contains(":process") && text.contains(":type"))
}

fn verdict_text(v: &Verdict) -> &'static str {
    match v {
        Verdict::Linearizable => "linearizable",
        Verdict::NotLinearizable { .. } => "not linearizable",
        Verdict::Unknown { .. } => "undecided within the search budget",
    }
}

fn model_label(m: ModelKind) -> &'static str {
    match m {
        ModelKind::Register => "Register (read, write, cas)",
        ModelKind::Kv => "Key-value store (get, put, append)",
        ModelKind::MultiRegister => "Multi-register (txn)",
        ModelKind::Mutex => "Mutex (acquire, release)",
    }
}

/// The dialog: the file, how it is checked, the verdict, and the diagram.
pub fn history_dialog(h: &Imported, on: &Callback<HistoryMsg>, on_close: &Callback<()>) -> Html {
    let on_model = {
        let on = on.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
                if let Some(m) = ModelKind::parse(&s.value()) {
                    on.emit(HistoryMsg::Model(m));
                }
            }
        })
    };
    let on_initial = {
        let on = on.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                on.emit(HistoryMsg::Initial(i.value()));
            }
        })
    };
    let on_nil = {
        let on = on.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
                on.emit(HistoryMsg::NilRead(if s.value() == "any" { NilRead::Any } else { NilRead::Absent }));
            }
        })
    };
    let knossos = {
        let on = on.clone();
        Callback::from(move |_| on.emit(HistoryMsg::Knossos))
    };
    let registers = matches!(h.model, ModelKind::Register | ModelKind::MultiRegister);
    let settings = html! {
        <div class="history-settings">
            <label>{"Checked as "}
                <select aria-label="Model" onchange={on_model}>
                    { for ModelKind::ALL.iter().map(|m| html! {
                        <option value={m.name()} selected={*m == h.model}>{ model_label(*m) }</option>
                    }) }
                </select>
            </label>
            if registers {
                <label>{"Registers start at "}
                    <input class="history-initial" type="text" inputmode="numeric" size="6" placeholder="empty"
                        aria-label="Initial value" value={h.initial_text.clone()} oninput={on_initial} />
                </label>
            }
            if h.model != ModelKind::Mutex {
                <label>{"A read of nil "}
                    <select aria-label="A read of nil" onchange={on_nil}>
                        <option value="absent" selected={h.conventions.nil_read == NilRead::Absent}>{"means the key did not exist"}</option>
                        <option value="any" selected={h.conventions.nil_read == NilRead::Any}>{"matches any value (Knossos)"}</option>
                    </select>
                </label>
            }
            if registers {
                <button class="button secondary" onclick={knossos} title="Knossos checks its cas-register histories against a register that starts at 0, and lets a read of nil match anything">{"Knossos’ conventions"}</button>
            }
            if let Some(p) = &h.initial_problem { <p class="field-problem" role="alert">{ p.clone() }</p> }
        </div>
    };
    let body = match &h.result {
        None => html! { <p class="muted" role="status">{"Checking the history…"}</p> },
        Some(Err(e)) => html! {
            <div class="history-error" role="alert">
                <p><strong>{"This file cannot be read as a history."}</strong></p>
                <p>{ e.clone() }</p>
                <p class="muted small">{"A history is what Jepsen writes: one map per operation, such as "}<code>{"{:process 0, :type :invoke, :f :write, :value 3}"}</code>{", each invocation followed later by its process's :ok, :fail or :info."}</p>
            </div>
        },
        Some(Ok(d)) => result_view(h, d, on),
    };
    modal(
        "A history, checked",
        on_close,
        html! {
            <div class="history">
                <p class="history-file"><strong>{ h.name.clone() }</strong></p>
                { settings }
                { body }
            </div>
        },
    )
}

fn result_view(h: &Imported, d: &HistoryDiagram, on: &Callback<HistoryMsg>) -> Html {
    let failing = d.objects.iter().filter(|o| matches!(o.verdict, Verdict::NotLinearizable { .. })).count();
    let (class, headline) = match d.linearizable {
        Some(true) => ("good", "Linearizable".to_string()),
        Some(false) if d.objects.len() > 1 => {
            ("bad", format!("Not linearizable: {failing} of {} objects", d.objects.len()))
        }
        Some(false) => ("bad", "Not linearizable".to_string()),
        None => ("warn", "Undecided: the search ran out of budget".to_string()),
    };
    let processes = d.processes;
    let objects = (d.objects.len() > 1).then(|| {
        let on = on.clone();
        let onchange = Callback::from(move |e: Event| {
            if let Some(s) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
                if let Ok(i) = s.value().parse() {
                    on.emit(HistoryMsg::Object(i));
                }
            }
        });
        html! {
            <label class="history-object">{"Showing "}
                <select aria-label="Object" {onchange}>
                    { for d.objects.iter().enumerate().map(|(i, o)| html! {
                        <option value={i.to_string()} selected={i == h.object}>
                            { format!("{} — {}", o.name, verdict_text(&o.verdict)) }
                        </option>
                    }) }
                </select>
            </label>
        }
    });
    let object = d.objects.get(h.object);
    let download = |png: bool, label: &'static str| {
        let on = on.clone();
        html! { <button class="button secondary" onclick={Callback::from(move |_| on.emit(HistoryMsg::Download { png }))}>{ label }</button> }
    };
    html! { <>
        <p class={classes!("history-verdict", class)} role="status">
            <strong>{ headline }</strong>
            { format!(" · {} operations from {} processes", d.operations, processes) }
        </p>
        { objects }
        if let Some(o) = object { { object_view(o) } }
        if object.is_none() { <p class="muted">{"No operation in this history can be checked (failed operations did not happen, and reads of unknown outcome tell nothing)."}</p> }
        <div class="history-actions">{ download(false, "Download SVG") }{ download(true, "Download PNG") }</div>
        if !d.notes.is_empty() {
            <details class="history-notes">
                <summary>{ match d.notes.len() { 1 => "How it was read (a note)".to_string(), n => format!("How it was read ({n} notes)") } }</summary>
                <ul>{ for d.notes.iter().take(50).map(|n| html! { <li>{ n.clone() }</li> }) }</ul>
            </details>
        }
    </> }
}

fn object_view(o: &ObjectDiagram) -> Html {
    let layout = o.layout(SHOWN);
    let why = match (&o.violation, &o.verdict) {
        (Some(v), _) => html! {
            <div class="history-why">
                <p>{ format!("These {} highlighted operations alone already cannot be put in one order. ", v.ops.len()) }{ o.story.clone().unwrap_or_default() }</p>
                <p class="muted small">{ format!("The checker: {}.", v.explanation) }
                    if !v.minimal { {" (The search for fewer operations stopped at its budget: a smaller set may exist.)"} }
                </p>
            </div>
        },
        (None, Verdict::NotLinearizable { explanation, .. }) => html! {
            <div class="history-why"><p>{ format!("The checker: {explanation}.") }</p></div>
        },
        (None, Verdict::Unknown { explored }) => html! {
            <p class="muted">{ format!("The search explored {explored} states without deciding; nothing is highlighted.") }</p>
        },
        (None, _) => html! {
            <p class="muted">{"Every operation can be given one moment between its start and its end such that, in that order, each returns what it did."}</p>
        },
    };
    let scope = if layout.shown < layout.total {
        let around = if o.violation.is_some() { "around the violation" } else { "the first ones" };
        format!("Showing {} of {} operations, {around}.", layout.shown, layout.total)
    } else {
        match layout.total {
            1 => "One operation.".to_string(),
            n => format!("All {n} operations."),
        }
    };
    html! { <>
        { why }
        <div class="history-diagram">{ svg(&layout) }</div>
        <p class="muted small history-legend">
            <span class="swatch op-violating"></span>{" in the violation "}
            <span class="swatch op-plain"></span>{" other operations "}
            <span class="swatch op-open"></span>{" outcome unknown (may take effect any time after it began) · "}
            { scope }
        </p>
    </> }
}

const LANE: f64 = 40.0;
const LEFT: f64 = 92.0;
/// The narrowest column, and the width a diagram of few columns spreads over.
const COLUMN: f64 = 30.0;
const WIDE: f64 = 1000.0;

/// The space-time diagram: a lane per process, a bar per operation on the grid of moments.
fn svg(layout: &Layout) -> Html {
    let column = ((WIDE - LEFT - 16.0) / (layout.columns as f64 + 1.0)).clamp(COLUMN, 90.0);
    // Wide enough for the time axis's caption, however few the columns.
    let width = (LEFT + (layout.columns as f64 + 1.0) * column + 16.0).max(LEFT + 400.0);
    let height = layout.lanes.len() as f64 * LANE + 40.0;
    let x = |c: u32| LEFT + c as f64 * column + column / 2.0;
    let lanes = layout.lanes.iter().enumerate().map(|(i, p)| {
        let y = 12.0 + i as f64 * LANE + LANE / 2.0 + 6.0;
        html! { <>
            <text class="hist-lane-label" x="8" y={format!("{}", y + 4.0)}>{ format!("process {p}") }</text>
            <line class="hist-lane" x1={LEFT.to_string()} x2={format!("{}", width - 8.0)} y1={y.to_string()} y2={y.to_string()} />
        </> }
    });
    // Violating bars last, so they are drawn over the others.
    let mut order: Vec<usize> = (0..layout.bars.len()).collect();
    replicascope_engine::page::sort_by(&mut order, |a, b| layout.bars[*a].violating.cmp(&layout.bars[*b].violating));
    let left_of = |b: &replicascope_engine::page::Bar| x(b.start) - 6.0;
    let bars = order.into_iter().map(|k| {
        let b = &layout.bars[k];
        let y = 12.0 + b.lane as f64 * LANE + LANE / 2.0;
        let (x0, x1) = (left_of(b), if b.open { width - 10.0 } else { x(b.end) + 6.0 });
        // The label may run on over the lane until the next bar of the same lane begins.
        let next = layout
            .bars
            .iter()
            .filter(|o| o.lane == b.lane && o.start > b.start)
            .map(left_of)
            .fold(width - 4.0, f64::min);
        let class = classes!("hist-op", b.violating.then_some("violating"), b.open.then_some("open"));
        // The label fits before the lane's next bar (the whole of it is in the tooltip): a
        // lane's bars never overlap, so neither do their labels.
        let room = (((next - x0 - 4.0).max(x1 - x0) / 6.4) as usize).max(3);
        let label = if b.label.chars().count() > room {
            format!("{}…", b.label.chars().take(room - 1).collect::<String>())
        } else {
            b.label.clone()
        };
        html! {
            <g {class}>
                <title>{ format!("line {}: {}{}", b.line, b.label, if b.open { " (outcome unknown)" } else { "" }) }</title>
                <rect x={x0.to_string()} y={y.to_string()} width={(x1 - x0).max(8.0).to_string()} height="12" rx="3" />
                <text x={format!("{}", x0 + 2.0)} y={format!("{}", y - 4.0)}>{ label }</text>
            </g>
        }
    });
    html! {
        <svg xmlns="http://www.w3.org/2000/svg" width={width.to_string()} height={height.to_string()}
            viewBox={format!("0 0 {width} {height}")} role="img" aria-label="Operations by process over time">
            { for lanes }
            { for bars }
            <text class="hist-axis" x={LEFT.to_string()} y={format!("{}", height - 8.0)}>
                {"time → (a column for each moment an operation began or ended)"}
            </text>
        </svg>
    }
}

/// The checker's Web Worker (`src/worker.rs`), started when the first history is opened and
/// stopped when its dialog closes (a long check then stops too). It says "ready" once loaded;
/// requests wait until then, as a worker drops what is posted before its module has loaded.
pub struct Checker {
    worker: web_sys::Worker,
    ready: bool,
    waiting: Option<String>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

/// What the worker said: ready, an answer, or that it could not start.
pub enum Said {
    Ready,
    Answer(Answer),
    Failed(String),
}

impl Checker {
    /// Starts the worker from the files beside the page (`history-worker.js` and its wasm, as
    /// Trunk builds them), so that the page works from any sub-path.
    pub fn start(on_said: Callback<Said>) -> Result<Checker, String> {
        let worker = super::reader::spawn("history-worker", "history checker")?;
        let said = on_said.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |m: MessageEvent| {
            let data = m.data();
            said.emit(if data.as_string().as_deref() == Some("ready") {
                Said::Ready
            } else if let Some(bytes) = data.dyn_ref::<js_sys::Uint8Array>() {
                match crate::checker::read_answer(&bytes.to_vec()) {
                    Ok(a) => Said::Answer(a),
                    Err(e) => Said::Failed(e),
                }
            } else {
                Said::Failed("The history checker answered something unreadable.".into())
            });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            on_said.emit(Said::Failed("The history checker stopped with an error.".into()))
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Checker { worker, ready: false, waiting: None, _on_message: on_message, _on_error: on_error })
    }

    /// Posts a request now, or once the worker is ready.
    pub fn ask(&mut self, request: String) {
        if self.ready {
            let _ = self.worker.post_message(&JsValue::from_str(&request));
        } else {
            self.waiting = Some(request);
        }
    }

    pub fn on_ready(&mut self) {
        self.ready = true;
        if let Some(r) = self.waiting.take() {
            self.ask(r);
        }
    }
}

impl Drop for Checker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
