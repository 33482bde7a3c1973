//! Playback controls: play/pause, step, speed on a log scale, and the scrubber with fault and
//! anomaly markers.

use super::icons;
use super::shared::{use_clock, Bar, Clock, Shared};
use crate::clock_text::{clock_text, exact_clock_text};
use crate::session::{Session, MAX_SPEED, MIN_SPEED};
use replicascope_engine::page::human_duration;
use replicascope_engine::page::Annotation;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub time: u64,
    pub class: &'static str,
    pub label: String,
    /// The pane it belongs to (None: the fault script, shared by all panes).
    pub pane: Option<usize>,
    pub target: Target,
    /// A fault of the scenario (its index): it can be dragged to another moment.
    pub fault: Option<usize>,
}

/// What clicking a marker opens besides moving the clock there.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Target {
    Time,
    /// Index into the pane's conflicts (in trace order).
    Conflict(usize),
    /// Index into the pane's report's anomalies.
    Anomaly(usize),
}

/// Faults from the script, anomalies found, and the notable annotations of every pane. Markers
/// of one kind closer than half a percent of the run are merged (the first is kept), so that a
/// run with hundreds of stale reads still has a readable scrubber.
pub fn markers(s: &Session) -> Vec<Marker> {
    let mut out: Vec<Marker> = s
        .scenario
        .faults
        .iter()
        .enumerate()
        .filter(|(_, f)| f.at.0 > 0)
        .map(|(i, f)| Marker {
            time: f.at.0,
            class: "fault",
            label: f.fault.clone(),
            pane: None,
            target: Target::Time,
            fault: Some(i),
        })
        .collect();
    for (pi, p) in s.panes.iter().enumerate() {
        if p.hidden {
            continue;
        }
        // The reader's own changes (a crash from a node's menu, a partition by clicking) are
        // marked like the scenario's faults, in their own colour.
        for i in p.run.interventions() {
            out.push(Marker {
                time: i.at,
                class: "change",
                label: format!("{}: your change, {}", p.kind.title(), i.action),
                pane: Some(pi),
                target: Target::Time,
                fault: None,
            });
        }
        let mut conflict = 0;
        for n in &p.run.trace().annotations {
            let Some(class) = crate::session::moment_class(&n.annotation) else { continue };
            let target = if matches!(n.annotation, Annotation::Conflict(_)) {
                conflict += 1;
                Target::Conflict(conflict - 1)
            } else {
                Target::Time
            };
            out.push(Marker {
                time: n.time,
                class,
                label: format!("{}: {}", p.kind.title(), n.annotation.describe(&s.plan.names)),
                pane: Some(pi),
                target,
                fault: None,
            });
        }
        if let Some(r) = &p.report {
            for (ai, a) in r.anomalies.iter().enumerate() {
                out.push(Marker {
                    time: a.time,
                    class: "anomaly",
                    label: format!("{}: {}", p.kind.title(), a.kind.title()),
                    pane: Some(pi),
                    target: Target::Anomaly(ai),
                    fault: None,
                });
            }
        }
    }
    replicascope_engine::page::sort_by(&mut out, |a, b| {
        (a.time, a.class, a.pane, &a.label).cmp(&(b.time, b.class, b.pane, &b.label))
    });
    let gap = s.duration() / 200;
    let mut kept: Vec<Marker> = Vec::with_capacity(out.len());
    for m in out {
        // Merge into a nearby marker of the same kind (from any pane), naming both.
        let near = kept.iter_mut().rev().take_while(|k| k.time + gap >= m.time).find(|k| k.class == m.class);
        match near {
            Some(k) => {
                if k.label.len() < 400 && !k.label.contains(&m.label) {
                    k.label.push_str("; ");
                    k.label.push_str(&m.label);
                }
            }
            None => kept.push(m),
        }
    }
    kept
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// The displayed time and how far the runs are computed: the bar follows it every frame.
    pub clock: Shared<Clock>,
    pub duration: f64,
    pub playing: bool,
    /// The fixed speed, and whether playback is adaptive instead.
    pub speed: f64,
    #[prop_or(true)]
    pub adaptive: bool,
    #[prop_or_default]
    pub on_adaptive: Callback<bool>,
    pub markers: Shared<Vec<Marker>>,
    pub on_toggle: Callback<()>,
    pub on_seek: Callback<f64>,
    pub on_step_forward: Callback<()>,
    pub on_step_back: Callback<()>,
    pub on_speed: Callback<f64>,
    pub on_reset: Callback<()>,
    /// A marker was clicked (its index).
    pub on_marker: Callback<usize>,
    pub on_move_fault: Callback<(usize, u64)>,
    /// A fault marker's Delete key: remove that fault (its index).
    #[prop_or_default]
    pub on_remove_fault: Callback<usize>,
    /// Full controls, or only play/pause and the scrubber (embeds).
    #[prop_or(true)]
    pub full: bool,
    /// The run's seed, and a request for another one.
    #[prop_or_default]
    pub seed: u64,
    #[prop_or_default]
    pub on_new_seed: Callback<()>,
}

fn speed_to_slider(s: f64) -> f64 {
    (s.log10() - MIN_SPEED.log10()) / (MAX_SPEED.log10() - MIN_SPEED.log10()) * 1000.0
}

fn slider_to_speed(v: f64) -> f64 {
    10f64.powf(MIN_SPEED.log10() + v / 1000.0 * (MAX_SPEED.log10() - MIN_SPEED.log10()))
}

pub fn speed_label(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.0}×")
    } else if s >= 1.0 {
        format!("{s:.1}×")
    } else if s >= 0.1 {
        format!("{s:.2}×")
    } else {
        format!("{s:.3}×")
    }
}

/// The rate shown beside the clock while playing: the speed now, or that the time holds on a
/// moment (adaptive playback).
fn rate_text(rate: f64) -> String {
    if rate <= 0.0 {
        "holding".to_string()
    } else {
        speed_label(rate)
    }
}

/// The thumb's position while playing, in steps of at most a pixel of a track as wide as the
/// window, and the length of a step in microseconds.
fn thumb_step(time: f64, duration: f64) -> (u64, f64) {
    let px = web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|w| w.as_f64()).unwrap_or(2000.0);
    let step = duration / px.clamp(100.0, 8000.0);
    ((time / step).floor().max(0.0) as u64, step)
}

fn input_value(e: &InputEvent) -> Option<f64> {
    e.target()?.dyn_into::<HtmlInputElement>().ok()?.value().parse().ok()
}

#[function_component(Controls)]
pub fn controls(p: &ControlsProps) -> Html {
    // Paused, the bar shows the exact time. Playing, the bar moves at the page's view ticks (see
    // `Bar`), and renders again only when something it shows would change: the clock's text, the
    // computed extent's tenth of a percent, or the thumb by a pixel (of a track no wider than the
    // window). Moving a range input's thumb costs the browser a layout and a repaint of the bar.
    let (duration, playing) = (p.duration.max(1.0), p.playing);
    // The time the clock showed last (it does not step back when the rate speeds up).
    let last_shown = use_mut_ref(|| 0.0_f64);
    let shown = last_shown.clone();
    let at = move |c: &Clock| -> (u64, u64, String, String) {
        let bar = c.bar();
        if !playing {
            return (bar.time.to_bits(), bar.computed.to_bits(), String::new(), String::new());
        }
        let (thumb, _) = thumb_step(bar.time, duration);
        (
            thumb,
            (bar.computed / duration * 1000.0) as u64,
            clock_text(bar.time, bar.rate, *shown.borrow()).1,
            rate_text(bar.rate),
        )
    };
    use_clock(&p.clock, at);
    let Bar { time, computed, rate } = p.clock.bar();
    let scrub_ms = if playing {
        let (thumb, step) = thumb_step(time, duration);
        thumb as f64 * step / 1000.0
    } else {
        time / 1000.0
    };
    let on_scrub = {
        let cb = p.on_seek.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(v) = input_value(&e) {
                cb.emit(v * 1000.0);
            }
        })
    };
    let on_speed = {
        let cb = p.on_speed.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(v) = input_value(&e) {
                cb.emit(slider_to_speed(v));
            }
        })
    };
    let on_adaptive = {
        let cb = p.on_adaptive.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                cb.emit(input.checked());
            }
        })
    };
    let clock = if playing {
        let (shown, text) = clock_text(time, rate, *last_shown.borrow());
        *last_shown.borrow_mut() = shown;
        text
    } else {
        exact_clock_text(time)
    };
    let computed_pct = (computed / p.duration.max(1.0) * 100.0).clamp(0.0, 100.0);
    let toggle = p.on_toggle.clone();
    let back = p.on_step_back.clone();
    let fwd = p.on_step_forward.clone();
    let reset = p.on_reset.clone();
    let new_seed = {
        let cb = p.on_new_seed.clone();
        Callback::from(move |_| cb.emit(()))
    };
    html! {
        <div class="controls" role="toolbar" aria-label="Playback">
            <div class="buttons">
                if p.full {
                    <button class="icon-button" title="Back to the start" aria-label="Back to the start" onclick={Callback::from(move |_| reset.emit(()))}>{ icons::reset() }</button>
                    <button class="icon-button" title="Previous event (←)" aria-label="Previous event" onclick={Callback::from(move |_| back.emit(()))}>{ icons::step_back() }</button>
                }
                <button class="icon-button primary" title={if p.playing {"Pause (space)"} else {"Play (space)"}} aria-label={if p.playing {"Pause"} else {"Play"}}
                    data-playing={p.playing.to_string()} onclick={Callback::from(move |_| toggle.emit(()))}>
                    { if p.playing { icons::pause() } else { icons::play() } }
                </button>
                if p.full {
                    <button class="icon-button" title="Next event (→)" aria-label="Next event" onclick={Callback::from(move |_| fwd.emit(()))}>{ icons::step_forward() }</button>
                }
            </div>
            <div class="clock" aria-live="off">
                <span class="now" data-time-us={format!("{:.0}", time)}>
                    { clock }
                </span>
                <span class="of">{ format!(" / {}", human_duration(p.duration as u64)) }</span>
                if p.playing {
                    <span class="rate" data-rate={format!("{rate:.6}")}
                        title="How fast the simulated time moves now">{ rate_text(rate) }</span>
                }
            </div>
            <div class="scrubber">
                <div class="computed" style={format!("width: {computed_pct:.1}%")} />
                <Marks markers={p.markers.clone()} duration={p.duration} on_marker={p.on_marker.clone()} on_move_fault={p.on_move_fault.clone()} on_remove_fault={p.on_remove_fault.clone()} />
                <input type="range" aria-label="Simulated time" min="0" max={format!("{:.0}", p.duration / 1000.0)} step="1"
                    value={format!("{scrub_ms:.0}")} oninput={on_scrub} />
            </div>
            if p.full {
                <div class="speed">
                    <span>{"Speed"}</span>
                    <input type="range" min="0" max="1000" step="1" aria-label="Playback speed (simulated seconds per second, [ and ] keys)"
                        value={format!("{:.0}", speed_to_slider(p.speed))} oninput={on_speed} />
                    <output class={classes!(p.adaptive.then_some("off"))}>{ speed_label(p.speed) }</output>
                    <label class="adaptive" title="Adaptive: slow while messages are on the wire, quick through quiet stretches, a pause on each fault, failover, conflict and anomaly. Off: the fixed speed beside it.">
                        <input type="checkbox" checked={p.adaptive} onchange={on_adaptive} />
                        <span>{"Adaptive"}</span>
                    </label>
                </div>
                <button class="button secondary seed" title="Run the same scenario with another random seed" onclick={new_seed}>
                    { format!("Seed {} · new", p.seed) }
                </button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct MarksProps {
    markers: Shared<Vec<Marker>>,
    duration: f64,
    on_marker: Callback<usize>,
    /// A fault marker dragged to another moment: (fault index, simulated time).
    on_move_fault: Callback<(usize, u64)>,
    on_remove_fault: Callback<usize>,
}

/// The scrubber's markers: their own component, so that the playback bar re-rendering every
/// frame does not compare hundreds of marker buttons every frame.
#[function_component(Marks)]
fn marks(p: &MarksProps) -> Html {
    let pct = |t: u64| (t as f64 / p.duration.max(1.0) * 100.0).clamp(0.0, 100.0);
    // Markers of different kinds at (nearly) the same moment sit side by side, each visible and
    // clickable: the k-th within a hundredth of the run of the first moves k marker-widths right.
    let near = (p.duration / 100.0).max(1.0) as u64;
    let mut run_start = 0u64;
    let mut k = 0u32;
    let nudges: Vec<u32> = p
        .markers
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if i > 0 && m.time.saturating_sub(run_start) <= near {
                k += 1;
            } else {
                run_start = m.time;
                k = 0;
            }
            k
        })
        .collect();
    // A fault marker follows the pointer while dragged: (marker, where it is now, in % of the run).
    let drag = use_state(|| None::<(usize, f64)>);
    let duration = p.duration;
    let marks = p.markers.iter().enumerate().map(|(i, m)| {
        let at = match *drag {
            Some((d, x)) if d == i => x,
            _ => pct(m.time),
        };
        let style = match nudges[i] {
            0 => format!("left: {at:.2}%"),
            n => format!("left: calc({at:.2}% + {}px)", 9 * n),
        };
        let pick = p.on_marker.clone();
        let title = format!("{} — {}", human_duration(m.time), m.label);
        let Some(fault) = m.fault else {
            return html! {
                <button class={classes!("mark", m.class)} {style} {title}
                    aria-label={format!("Jump to {}: {}", human_duration(m.time), m.label)} data-time-us={m.time.to_string()}
                    onclick={Callback::from(move |_| pick.emit(i))} />
            };
        };
        // Where the pointer is along the scrubber, in % of the run.
        let along = |e: &PointerEvent| -> Option<f64> {
            let el = e.target()?.dyn_into::<web_sys::Element>().ok()?.parent_element()?;
            let r = el.get_bounding_client_rect();
            (r.width() > 0.0).then(|| ((e.client_x() as f64 - r.left()) / r.width() * 100.0).clamp(0.0, 100.0))
        };
        let down = {
            let drag = drag.clone();
            Callback::from(move |e: PointerEvent| {
                e.prevent_default();
                if let Some(el) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                    let _ = el.set_pointer_capture(e.pointer_id());
                }
                drag.set(Some((i, at)));
            })
        };
        let moving = {
            let drag = drag.clone();
            Callback::from(move |e: PointerEvent| {
                if drag.is_some_and(|(d, _)| d == i) {
                    if let Some(x) = along(&e) {
                        drag.set(Some((i, x)));
                    }
                }
            })
        };
        let up = {
            let drag = drag.clone();
            let moved = p.on_move_fault.clone();
            let start = pct(m.time);
            Callback::from(move |e: PointerEvent| {
                let x = along(&e).or(drag.map(|(_, x)| x)).unwrap_or(start);
                drag.set(None);
                // A press that hardly moved is a click: go to the moment.
                if (x - start).abs() < 0.5 {
                    pick.emit(i);
                } else {
                    let t = (x / 100.0 * duration / 1000.0).round() * 1000.0;
                    moved.emit((fault, t.max(1000.0) as u64));
                }
            })
        };
        // From the keyboard: ← and → move it a second (with Shift, a tenth), Delete removes it.
        let keys = {
            let (moved, removed, time) = (p.on_move_fault.clone(), p.on_remove_fault.clone(), m.time);
            Callback::from(move |e: KeyboardEvent| {
                let step = if e.shift_key() { 100_000 } else { 1_000_000 };
                match e.key().as_str() {
                    "ArrowLeft" => moved.emit((fault, time.saturating_sub(step).max(1000))),
                    "ArrowRight" => moved.emit((fault, (time + step).min(duration as u64))),
                    "Delete" | "Backspace" => removed.emit(fault),
                    _ => return,
                }
                e.prevent_default();
                e.stop_propagation();
            })
        };
        html! {
            <button class={classes!("mark", m.class, "draggable", drag.is_some_and(|(d, _)| d == i).then_some("dragging"))} {style} {title}
                aria-label={format!("Fault at {}: {} (drag, or ← →, to move it; Delete removes it)", human_duration(m.time), m.label)} data-time-us={m.time.to_string()}
                onpointerdown={down} onpointermove={moving} onpointerup={up} onkeydown={keys} />
        }
    });
    html! { <div class="marks">{ for marks }</div> }
}
