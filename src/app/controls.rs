//! Playback controls: play/pause, step, speed on a log scale, and the scrubber with fault and
//! anomaly markers.

use super::icons;
use super::shared::Shared;
use crate::session::{Session, MAX_SPEED, MIN_SPEED};
use replicascope_engine::annotate::Annotation;
use replicascope_engine::time::human_duration;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub time: u64,
    pub class: &'static str,
    pub label: String,
}

/// Faults from the script, anomalies found, and the notable annotations of every pane.
pub fn markers(s: &Session) -> Vec<Marker> {
    let mut out: Vec<Marker> =
        s.plan.faults.iter().map(|(t, f)| Marker { time: *t, class: "fault", label: f.phrase() }).collect();
    for p in &s.panes {
        for n in &p.run.trace().annotations {
            let class = match &n.annotation {
                Annotation::Promoted { .. } | Annotation::Elected { .. } => "failover",
                Annotation::TailDiscarded { .. } => "loss",
                Annotation::Conflict(_) => "conflict",
                Annotation::SemiSyncFallback { .. } => "mode",
                _ => continue,
            };
            out.push(Marker {
                time: n.time,
                class,
                label: format!("{}: {}", p.kind.title(), n.annotation.describe(&s.plan.names)),
            });
        }
        if let Some(r) = &p.report {
            for a in &r.anomalies {
                out.push(Marker {
                    time: a.time,
                    class: "anomaly",
                    label: format!("{}: {}", p.kind.title(), a.kind.title()),
                });
            }
        }
    }
    out.sort_unstable_by(|a, b| (a.time, a.class, &a.label).cmp(&(b.time, b.class, &b.label)));
    out
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub time: f64,
    pub duration: f64,
    pub computed: f64,
    pub playing: bool,
    pub speed: f64,
    pub markers: Shared<Vec<Marker>>,
    pub on_toggle: Callback<()>,
    pub on_seek: Callback<f64>,
    pub on_step_forward: Callback<()>,
    pub on_step_back: Callback<()>,
    pub on_speed: Callback<f64>,
    pub on_reset: Callback<()>,
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

fn input_value(e: &InputEvent) -> Option<f64> {
    e.target()?.dyn_into::<HtmlInputElement>().ok()?.value().parse().ok()
}

#[function_component(Controls)]
pub fn controls(p: &ControlsProps) -> Html {
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
    let pct = |t: u64| (t as f64 / p.duration.max(1.0) * 100.0).clamp(0.0, 100.0);
    let marks = p.markers.iter().map(|m| {
        let style = format!("left: {:.2}%", pct(m.time));
        let seek = p.on_seek.clone();
        let t = m.time as f64;
        html! {
            <button class={classes!("mark", m.class)} style={style} title={format!("{} — {}", human_duration(m.time), m.label)}
                aria-label={format!("Jump to {}: {}", human_duration(m.time), m.label)}
                onclick={Callback::from(move |_| seek.emit(t))} />
        }
    });
    let computed_pct = (p.computed / p.duration.max(1.0) * 100.0).clamp(0.0, 100.0);
    let toggle = p.on_toggle.clone();
    let back = p.on_step_back.clone();
    let fwd = p.on_step_forward.clone();
    let reset = p.on_reset.clone();
    html! {
        <div class="controls" role="toolbar" aria-label="Playback">
            <div class="buttons">
                <button class="icon-button" title="Back to the start" aria-label="Back to the start" onclick={Callback::from(move |_| reset.emit(()))}>{ icons::reset() }</button>
                <button class="icon-button" title="Previous event (←)" aria-label="Previous event" onclick={Callback::from(move |_| back.emit(()))}>{ icons::step_back() }</button>
                <button class="icon-button primary" title={if p.playing {"Pause (space)"} else {"Play (space)"}} aria-label={if p.playing {"Pause"} else {"Play"}}
                    data-playing={p.playing.to_string()} onclick={Callback::from(move |_| toggle.emit(()))}>
                    { if p.playing { icons::pause() } else { icons::play() } }
                </button>
                <button class="icon-button" title="Next event (→)" aria-label="Next event" onclick={Callback::from(move |_| fwd.emit(()))}>{ icons::step_forward() }</button>
            </div>
            <div class="clock" aria-live="off">
                <span class="now" data-time-us={format!("{:.0}", p.time)}>{ human_duration(p.time as u64) }</span>
                <span class="of">{ format!(" / {}", human_duration(p.duration as u64)) }</span>
            </div>
            <div class="scrubber">
                <div class="computed" style={format!("width: {computed_pct:.1}%")} />
                <div class="marks">{ for marks }</div>
                <input type="range" aria-label="Simulated time" min="0" max={format!("{:.0}", p.duration / 1000.0)} step="1"
                    value={format!("{:.0}", p.time / 1000.0)} oninput={on_scrub} />
            </div>
            <label class="speed">
                <span>{"Speed"}</span>
                <input type="range" min="0" max="1000" step="1" aria-label="Playback speed (simulated seconds per second)"
                    value={format!("{:.0}", speed_to_slider(p.speed))} oninput={on_speed} />
                <output>{ speed_label(p.speed) }</output>
            </label>
        </div>
    }
}
