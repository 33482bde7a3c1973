//! Charts and the comparison table. Every chart of one kind shares its scales across panes, so
//! that the comparison is honest.

use super::shared::Shared;
use crate::derive::{Charts, Row, Series};
use replicascope_engine::page::human_duration;
use replicascope_engine::page::TopologyKind;
use yew::prelude::*;

/// A name for a chart in file names and selectors: lower-case letters, digits and dashes.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    out.trim_matches('-').to_string()
}

/// A small button that downloads the SVG inside the closest figure as a standalone file.
pub fn save_button(title: &str) -> Html {
    let name = slug(title);
    let onclick = Callback::from(move |e: MouseEvent| {
        let figure = e
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .and_then(|el| el.closest("figure, .quorum-view, .merkle-view").ok().flatten());
        let Some(figure) = figure else { return };
        let id = format!("rs-export-{name}");
        figure.set_id(&id);
        if let Some(svg) = super::host::svg_document(&format!("#{id} svg:not(.icon)"), "", None) {
            super::host::download(&format!("{name}.svg"), "image/svg+xml", &svg);
        }
    });
    html! { <button class="save-svg" title="Download as SVG" aria-label={format!("Download “{title}” as SVG")} {onclick}>{ super::icons::download() }</button> }
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

const CW: f64 = 320.0;
const CH: f64 = 150.0;
const PAD_L: f64 = 40.0;
const PAD_B: f64 = 22.0;
const PAD_T: f64 = 10.0;

/// Line colours for series (Okabe–Ito), cycled; each series also has a dash pattern.
const COLORS: [&str; 6] = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9"];
const DASHES: [&str; 6] = ["", "5 3", "2 2", "8 3 2 3", "1 3", "10 2"];

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let e = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * e {
            return m * e;
        }
    }
    10.0 * e
}

fn fmt_axis(v: f64) -> String {
    if v >= 100.0 || v == 0.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[derive(Properties, PartialEq)]
pub struct LineChartProps {
    pub title: AttrValue,
    pub series: Shared<Vec<Series>>,
    pub x_max: f64,
    pub y_max: f64,
    pub y_label: AttrValue,
    #[prop_or_default]
    pub x_label: AttrValue,
    /// Vertical markers (x, label), e.g. faults.
    #[prop_or_default]
    pub marks: Shared<Vec<(f64, String)>>,
    /// The y axis is a share (drawn as percentages).
    #[prop_or_default]
    pub percent: bool,
    /// A logarithmic x axis from `LOG_MIN` (latencies span orders of magnitude).
    #[prop_or_default]
    pub log_x: bool,
    /// Horizontal reference lines (y, label), e.g. the median and the 99th percentile.
    #[prop_or_default]
    pub hlines: Shared<Vec<(f64, String)>>,
}

const LOG_MIN: f64 = 0.1;

#[function_component(LineChart)]
pub fn line_chart(p: &LineChartProps) -> Html {
    let x_max = p.x_max.max(1e-9);
    let y_max = nice_max(p.y_max);
    let log_x = p.log_x;
    let x = |v: f64| {
        let q = if log_x {
            let (lo, hi) = (LOG_MIN.log10(), x_max.max(LOG_MIN * 10.0).log10());
            (v.max(LOG_MIN).log10() - lo) / (hi - lo)
        } else {
            v / x_max
        };
        PAD_L + q.clamp(0.0, 1.0) * (CW - PAD_L - 8.0)
    };
    let y = |v: f64| PAD_T + (1.0 - (v / y_max).min(1.0)) * (CH - PAD_T - PAD_B);
    let lines = p.series.iter().enumerate().map(|(i, s)| {
        let d: String = s
            .points
            .iter()
            .enumerate()
            .map(|(k, (a, b))| format!("{}{:.1},{:.1}", if k == 0 { "M" } else { "L" }, x(*a), y(*b)))
            .collect();
        html! {
            <path class="series" d={d} stroke={COLORS[i % COLORS.len()]} stroke-dasharray={DASHES[i % DASHES.len()]}>
                <title>{ s.label.clone() }</title>
            </path>
        }
    });
    let marks = p.marks.iter().map(|(t, label)| {
        html! { <g class="chart-mark"><line x1={f(x(*t))} y1={f(PAD_T)} x2={f(x(*t))} y2={f(CH - PAD_B)} /><title>{ label.clone() }</title></g> }
    });
    let hlines = p.hlines.iter().map(|(v, label)| {
        html! {
            <g class="chart-hline">
                <line x1={f(PAD_L)} y1={f(y(*v))} x2={f(CW - 8.0)} y2={f(y(*v))} />
                <text x={f(CW - 10.0)} y={f(y(*v) - 2.0)} text-anchor="end">{ label.clone() }</text>
            </g>
        }
    });
    let ticks = [0.0, 0.5, 1.0].map(|q| {
        let v = y_max * q;
        let label = if p.percent { format!("{:.0}%", v * 100.0) } else { fmt_axis(v) };
        html! { <g class="tick"><line x1={f(PAD_L - 3.0)} y1={f(y(v))} x2={f(CW - 8.0)} y2={f(y(v))} /><text x={f(PAD_L - 5.0)} y={f(y(v) + 3.0)}>{ label }</text></g> }
    });
    let legend = p.series.iter().enumerate().map(|(i, s)| {
        html! { <span class="chart-key"><svg width="18" height="8" aria-hidden="true"><line x1="0" y1="4" x2="18" y2="4" stroke={COLORS[i % COLORS.len()]} stroke-dasharray={DASHES[i % DASHES.len()]} stroke-width="2" /></svg>{ s.label.clone() }</span> }
    });
    html! {
        <figure class="chart" data-chart={slug(&p.title)}>
            <figcaption>{ p.title.clone() }if !p.y_label.is_empty() { <span class="unit">{ format!(" ({})", p.y_label) }</span> }{ save_button(&p.title) }</figcaption>
            <svg viewBox={format!("0 0 {CW} {CH}")} role="img" aria-label={p.title.clone()}>
                { for ticks }
                { for marks }
                { for hlines }
                <line class="axis" x1={f(PAD_L)} y1={f(CH - PAD_B)} x2={f(CW - 8.0)} y2={f(CH - PAD_B)} />
                if log_x {
                    { for [1.0, 10.0, 100.0, 1000.0, 10000.0].into_iter().filter(|v| *v <= x_max).map(|v| html! {
                        <g class="tick"><line x1={f(x(v))} y1={f(CH - PAD_B)} x2={f(x(v))} y2={f(CH - PAD_B + 3.0)} />
                        <text class="axis-label" x={f(x(v))} y={f(CH - 6.0)} text-anchor="middle">{ format!("{v} ms") }</text></g>
                    }) }
                } else {
                    <text class="axis-label" x={f(CW - 8.0)} y={f(CH - 6.0)} text-anchor="end">{ if p.x_label.is_empty() { format!("{} s", fmt_axis(x_max)) } else { p.x_label.to_string() } }</text>
                    <text class="axis-label" x={f(PAD_L)} y={f(CH - 6.0)} text-anchor="start">{"0"}</text>
                }
                { for lines }
            </svg>
            <div class="chart-legend">{ for legend }</div>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
pub struct TableProps {
    pub rows: Shared<Vec<Row>>,
    pub on_jump: Callback<u64>,
    pub on_pane: Callback<TopologyKind>,
}

/// The run compared across topologies; each cell with an event links to where it happened.
pub fn comparison_table(p: &TableProps) -> Html {
    if p.rows.is_empty() {
        return html! { <p class="muted">{"The comparison appears when the runs are complete."}</p> };
    }
    let jump = |t: Option<u64>, text: String, class: &'static str| -> Html {
        match t {
            Some(t) => {
                let cb = p.on_jump.clone();
                html! { <button class={classes!("cell-link", class)} title={format!("go to {}", human_duration(t))} onclick={Callback::from(move |_| cb.emit(t))}>{ text }</button> }
            }
            None => html! { <span class="cell-zero">{ text }</span> },
        }
    };
    let rows = p.rows.iter().map(|r| {
        let anomalies = if r.anomalies.is_empty() {
            html! { <span class="cell-zero">{"none"}</span> }
        } else {
            html! { <>{ for r.anomalies.iter().map(|(k, n, t)| html! { <>{ jump(Some(*t), format!("{} ×{}", k.title(), n), "anomaly") }{" "}</> }) }</> }
        };
        let pane = r.pane;
        let on_pane = p.on_pane.clone();
        html! {
            <tr data-pane={r.pane.name()}>
                <th scope="row"><button class="cell-link pane-name" onclick={Callback::from(move |_| on_pane.emit(pane))}>{ r.pane.title() }</button></th>
                <td>{ format!("{:.1} / {:.1}", r.write_p50, r.write_p99) }</td>
                <td>{ format!("{:.1} / {:.1}", r.read_p50, r.read_p99) }</td>
                <td>{ jump(r.first_stale.filter(|_| r.stale_reads > 0), format!("{} of {}", r.stale_reads, r.reads), "stale") }</td>
                <td>{ jump(r.first_lost.filter(|_| r.lost_writes > 0), r.lost_writes.to_string(), "lost") }</td>
                <td>{ jump(r.first_conflict.filter(|_| r.conflicts > 0), r.conflicts.to_string(), "conflict") }</td>
                <td>
                    { r.availability_during_fault.map(|a| format!("{:.0}%", a * 100.0)).unwrap_or_else(|| format!("{:.0}%", r.availability * 100.0)) }
                    if r.longest_write_outage_ms >= 1_000.0 {
                        <span class="cell-note">{ format!(" · no write for {:.1} s", r.longest_write_outage_ms / 1000.0) }</span>
                    }
                </td>
                <td>{ format!("{:.1}", r.messages_per_op) }</td>
                <td class="anomalies-cell">{ anomalies }</td>
            </tr>
        }
    });
    html! {
        <div class="table-wrap">
            <table class="comparison">
                <thead>
                    <tr>
                        <th scope="col">{"Topology"}</th>
                        <th scope="col" title="median / 99th percentile, milliseconds">{"Write p50 / p99 ms"}</th>
                        <th scope="col" title="median / 99th percentile, milliseconds">{"Read p50 / p99 ms"}</th>
                        <th scope="col">{"Stale reads"}</th>
                        <th scope="col">{"Lost writes"}</th>
                        <th scope="col">{"Conflicts"}</th>
                        <th scope="col" title="share of the clients' time in which their operations succeeded within 1 s, while the faults lasted (the whole run if there are none); and the longest stretch in which no write succeeded anywhere">{"Availability during faults"}</th>
                        <th scope="col">{"Messages / op"}</th>
                        <th scope="col">{"Anomalies"}</th>
                    </tr>
                </thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub rows: Shared<Vec<Row>>,
    pub charts: Shared<Charts>,
    pub on_jump: Callback<u64>,
    pub on_pane: Callback<TopologyKind>,
}

/// The table and the charts under the panes.
#[function_component(Compare)]
pub fn compare(p: &CompareProps) -> Html {
    let c = &p.charts;
    let marks = Shared::new(c.faults.clone());
    // Where each curve crosses these lines is that topology's median and 99th percentile.
    let percentiles = Shared::new(vec![(0.5, "p50".to_string()), (0.99, "p99".to_string())]);
    let lag = c.lag.iter().map(|(kind, series, unit, max)| {
        html! {
            <LineChart title={format!("Replication lag — {}", kind.title())} series={Shared::new(series.clone())}
                x_max={c.duration_s} y_max={*max} y_label={*unit} marks={marks.clone()} />
        }
    });
    let bars = {
        let max = c.messages_per_op.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1.0);
        let rows = c.messages_per_op.iter().enumerate().map(|(i, (k, v))| {
            let w = v / max * (CW - 140.0);
            let y = 14.0 + i as f64 * 34.0;
            html! {
                <g class="bar">
                    <text x="4" y={f(y + 14.0)}>{ k.title() }</text>
                    <rect x="112" y={f(y)} width={f(w.max(1.0))} height="20" fill={COLORS[i % COLORS.len()]} />
                    <text x={f(116.0 + w)} y={f(y + 14.0)}>{ format!("{v:.1}") }</text>
                </g>
            }
        });
        html! {
            <figure class="chart" data-chart="messages-per-operation">
                <figcaption>{"Messages per client operation"}{ save_button("Messages per operation") }</figcaption>
                <svg viewBox={format!("0 0 {CW} {CH}")} role="img" aria-label="Messages per client operation">{ for rows }</svg>
                <div class="chart-legend"><span class="muted small">{"Every message any node or client sent, divided by the operations clients issued."}</span></div>
            </figure>
        }
    };
    html! {
        <section class="compare" aria-label="Comparison">
            <h2>{"The same run, compared"}</h2>
            { comparison_table(&TableProps { rows: p.rows.clone(), on_jump: p.on_jump.clone(), on_pane: p.on_pane.clone() }) }
            if !c.write_cdf.is_empty() {
                <div class="charts">
                    { for lag }
                    <LineChart title="Write latency (share of writes at most this slow)" series={Shared::new(c.write_cdf.clone())}
                        x_max={c.latency_max_ms} y_max={1.0} y_label="" percent=true log_x=true hlines={percentiles.clone()} />
                    <LineChart title="Read latency (share of reads at most this slow)" series={Shared::new(c.read_cdf.clone())}
                        x_max={c.latency_max_ms} y_max={1.0} y_label="" percent=true log_x=true hlines={percentiles} />
                    <LineChart title="Stale reads over time (share of reads)" series={Shared::new(c.stale.clone())}
                        x_max={c.duration_s} y_max={1.0} y_label="" marks={marks.clone()} percent=true />
                    <LineChart title="Availability over time (share of session time in which operations succeeded within 1 s)" series={Shared::new(c.availability.clone())}
                        x_max={c.duration_s} y_max={1.0} y_label="" marks={marks.clone()} percent=true />
                    { bars }
                    if let Some((title, series)) = &c.pbs {
                        <LineChart title={title.clone()} series={Shared::new(series.clone())} x_max={50.0} y_max={1.0} y_label="" x_label="50 ms" percent=true />
                    }
                </div>
            }
        </section>
    }
}
