//! Data the explanatory views draw, derived from a run's trace and report: the space-time
//! window, the failover timeline, conflicts, quorums, Merkle exchanges, chart series and the
//! comparison table. Plain Rust, tested natively.

use replicascope_engine::page::set_of;
use replicascope_engine::page::AnyRun;
use replicascope_engine::page::DropReason;
use replicascope_engine::page::MsgKind;
use replicascope_engine::page::Plan;
use replicascope_engine::page::SimTime;
use replicascope_engine::page::{availability_between, availability_series, history_of, Report};
use replicascope_engine::page::{op_phrase, Names, TopologyKind};
use replicascope_engine::page::{Annotation, ConflictRecord, MerkleRecord, QuorumRecord};
use replicascope_engine::page::{Anomaly, AnomalyKind};
use replicascope_engine::page::{Endpoint, NodeId, OpId, OpResult};
use replicascope_engine::page::{History, StepKind};

/// A message drawn in the space-time diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    pub id: u64,
    pub from: Endpoint,
    pub to: Endpoint,
    pub sent: SimTime,
    pub deliver: SimTime,
    pub kind: MsgKind,
    pub label: String,
    pub dropped: Option<DropReason>,
    /// The client operation it serves, if any.
    pub op: Option<OpId>,
}

/// A client operation drawn as an interval on its session's line.
#[derive(Clone, Debug, PartialEq)]
pub struct OpSpan {
    pub id: OpId,
    pub session: u8,
    pub start: SimTime,
    pub end: Option<SimTime>,
    pub label: String,
    pub ok: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub time: SimTime,
    pub label: String,
    pub class: &'static str,
    pub node: Option<NodeId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SpaceTime {
    pub from: SimTime,
    pub to: SimTime,
    pub now: SimTime,
    pub nodes: usize,
    pub clients: usize,
    pub arrows: Vec<Arrow>,
    pub ops: Vec<OpSpan>,
    pub marks: Vec<Mark>,
}

/// At most this many arrows are drawn in one window (the most recent ones).
pub const MAX_ARROWS: usize = 400;

/// The messages, operations and events of a time window ending shortly after `now`.
pub fn space_time(run: &AnyRun, now: SimTime, window: SimTime, show_heartbeats: bool) -> SpaceTime {
    let to = now + window / 8;
    space_time_range(run, to.saturating_sub(window), to, now, show_heartbeats, &[])
}

/// The messages, operations, events and anomalies between `from` and `to`.
pub fn space_time_range(
    run: &AnyRun,
    from: SimTime,
    to: SimTime,
    now: SimTime,
    show_heartbeats: bool,
    anomalies: &[Anomaly],
) -> SpaceTime {
    let trace = run.trace();
    let names = &run.plan().names;
    let end = trace.messages.partition_point(|m| m.sent_at <= to);
    let mut arrows: Vec<Arrow> = trace
        .messages
        .range(0, end)
        .rev()
        .filter(|m| m.deliver_at >= from)
        .filter(|m| show_heartbeats || m.kind != MsgKind::Heartbeat)
        .take(MAX_ARROWS)
        .map(|m| Arrow {
            id: m.id,
            from: m.from,
            to: m.to,
            sent: m.sent_at,
            deliver: m.deliver_at,
            kind: m.kind,
            label: m.label.to_string(),
            dropped: m.dropped.map(|(r, _)| r),
            op: m.op,
        })
        .collect();
    arrows.reverse();
    let history = history_of(run);
    let ops = history
        .ops
        .iter()
        .filter(|o| o.invoke_at.is_some_and(|t| t <= to) && o.complete_at.is_none_or(|t| t >= from))
        .map(|o| OpSpan {
            id: o.id,
            session: o.session.0,
            start: o.invoke_at.unwrap_or(0),
            end: o.complete_at,
            label: op_phrase(&o.op, names),
            ok: o.result.as_ref().map(|r| r.is_ok()),
        })
        .collect();
    let mut marks: Vec<Mark> = run
        .plan()
        .faults
        .iter()
        .filter(|(t, _)| *t >= from && *t <= to)
        .map(|(t, f)| Mark { time: *t, label: f.phrase(), class: "fault", node: None })
        .collect();
    for n in &trace.annotations {
        if n.time < from || n.time > to {
            continue;
        }
        let class = match &n.annotation {
            Annotation::Promoted { .. } | Annotation::Elected { .. } | Annotation::SteppedDown { .. } => "failover",
            Annotation::TailDiscarded { .. } => "loss",
            Annotation::Conflict(_) => "conflict",
            Annotation::ReadRepair { .. } | Annotation::AntiEntropy(_) => "repair",
            _ => continue,
        };
        marks.push(Mark { time: n.time, label: n.annotation.describe(names), class, node: n.annotation.node() });
    }
    for a in anomalies.iter().filter(|a| a.time >= from && a.time <= to).take(40) {
        marks.push(Mark {
            time: a.time,
            label: a.kind.title().to_string(),
            class: "anomaly",
            node: a.nodes.first().copied(),
        });
    }
    SpaceTime { from, to, now, nodes: run.node_count(), clients: run.plan().sessions, arrows, ops, marks }
}

/// One step of a failover, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct FailoverEvent {
    pub time: SimTime,
    /// detection, promotion, election, reconfiguration, step-down, loss, fencing, lease.
    pub stage: &'static str,
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Failover {
    pub events: Vec<FailoverEvent>,
    /// Writes acknowledged and then lost, with why, by when it became visible.
    pub lost: Vec<(SimTime, String)>,
    /// Writes acknowledged by a leader that had been replaced (split-brain).
    pub split_brain: Vec<(SimTime, String)>,
    /// When writes were refused because their fencing token was stale.
    pub fenced: Vec<SimTime>,
}

pub fn failover(run: &AnyRun, report: Option<&Report>) -> Failover {
    let names = &run.plan().names;
    let trace = run.trace();
    let mut events = Vec::new();
    let mut fenced = Vec::new();
    let mut last_detection: Option<SimTime> = None;
    for n in &trace.annotations {
        let (stage, keep) = match &n.annotation {
            Annotation::LeaderSuspected { .. } => {
                // One detection per failure is enough on the timeline.
                let again = last_detection.is_some_and(|t| n.time < t + 1_000_000);
                last_detection = Some(n.time);
                ("detection", !again)
            }
            Annotation::Promoted { .. } => ("promotion", true),
            Annotation::Elected { .. } => ("election", true),
            Annotation::SteppedDown { .. } => ("step-down", true),
            Annotation::TailDiscarded { .. } => ("loss", true),
            Annotation::Fenced { .. } => {
                fenced.push(n.time);
                ("fencing", fenced.len() <= 3)
            }
            Annotation::LeaseExpired { .. } => ("lease", true),
            Annotation::SemiSyncFallback { .. } | Annotation::SemiSyncRestored { .. } => ("mode", true),
            _ => continue,
        };
        if keep {
            events.push(FailoverEvent { time: n.time, stage, text: n.annotation.describe(names) });
        }
    }
    // Reconfiguration: when clients learned of each new leader.
    for m in &trace.messages {
        if m.kind == MsgKind::Control && matches!(m.to, Endpoint::Client(_)) && m.dropped.is_none() {
            let already = events.iter().any(|e| e.stage == "reconfiguration" && e.time + 2_000_000 > m.deliver_at);
            if !already {
                events.push(FailoverEvent {
                    time: m.deliver_at,
                    stage: "reconfiguration",
                    text: format!("clients start learning the new leader ({} first)", m.to),
                });
            }
        }
    }
    replicascope_engine::page::sort_by(&mut events, |a, b| (a.time, a.stage).cmp(&(b.time, b.stage)));
    let mut lost = Vec::new();
    let mut split = Vec::new();
    if let Some(r) = report {
        for a in &r.anomalies {
            match a.kind {
                AnomalyKind::LostWrite => lost.push((a.time, a.explanation.clone())),
                AnomalyKind::SplitBrain => split.push((a.time, a.explanation.clone())),
                _ => {}
            }
        }
    }
    Failover { events, lost, split_brain: split, fenced }
}

/// One line per conflict for the Conflicts list: "cart at n1: union of both …".
pub fn conflict_lines(list: &[(SimTime, ConflictRecord)], names: &Names) -> Vec<(SimTime, String)> {
    list.iter().map(|(t, c)| (*t, format!("{} at {}: {}", names.get(c.key), c.node, c.result))).collect()
}

/// One line per quorum for the Quorums list: "read k1 via n2: 2/2 answered, 1 stale".
pub fn quorum_lines(list: &[(SimTime, QuorumRecord)], names: &Names) -> Vec<(SimTime, String)> {
    list.iter()
        .map(|(t, q)| {
            let what = if q.write { "write" } else { "read" };
            let stale = if q.stale.is_empty() { String::new() } else { format!(", {} stale", q.stale.len()) };
            (
                *t,
                format!(
                    "{what} {} via {}: {}/{} answered{stale}",
                    names.get(q.key),
                    q.coordinator,
                    q.answered.len(),
                    q.need
                ),
            )
        })
        .collect()
}

/// One line per anti-entropy exchange: "n1 ↔ n3: 2 key(s) synced".
pub fn merkle_lines(list: &[(SimTime, MerkleRecord)]) -> Vec<(SimTime, String)> {
    list.iter().map(|(t, m)| (*t, format!("{} ↔ {}: {} key(s) synced", m.a, m.b, m.keys_synced.len()))).collect()
}

/// The records of one kind the run annotated, with their times, in order.
fn records<T: Clone>(run: &AnyRun, pick: impl Fn(&Annotation) -> Option<&T>) -> Vec<(SimTime, T)> {
    run.trace().annotations.iter().filter_map(|n| pick(&n.annotation).map(|r| (n.time, r.clone()))).collect()
}

/// Every resolution of concurrent writes.
pub fn conflicts(run: &AnyRun) -> Vec<(SimTime, ConflictRecord)> {
    records(run, |a| if let Annotation::Conflict(c) = a { Some(c) } else { None })
}

/// Every leaderless read or write that reached (or failed to reach) its quorum.
pub fn quorums(run: &AnyRun) -> Vec<(SimTime, QuorumRecord)> {
    records(run, |a| if let Annotation::Quorum(q) = a { Some(q) } else { None })
}

/// Every Merkle-tree comparison between two replicas.
pub fn merkle_exchanges(run: &AnyRun) -> Vec<(SimTime, MerkleRecord)> {
    records(run, |a| if let Annotation::AntiEntropy(m) = a { Some(m) } else { None })
}

/// The conflict that discarded `write`, if any.
pub fn conflict_discarding(run: &AnyRun, write: OpId) -> Option<(SimTime, ConflictRecord)> {
    conflicts(run)
        .into_iter()
        .find(|(_, c)| c.discarded.contains(&write) || c.versions.iter().any(|v| v.write == Some(write)))
}

/// The read repair that followed the read `op`, if any: when, and which replicas it fixed.
pub fn repair_after(run: &AnyRun, op: OpId) -> Option<(SimTime, Vec<NodeId>)> {
    run.trace().annotations.iter().find_map(|n| match &n.annotation {
        Annotation::ReadRepair { op: o, repaired, .. } if *o == op => Some((n.time, repaired.clone())),
        _ => None,
    })
}

/// The last write quorum of `key` that completed before `before`.
pub fn last_write_quorum(run: &AnyRun, key: replicascope_engine::page::Sym, before: SimTime) -> Option<QuorumRecord> {
    quorums(run).into_iter().rev().find(|(t, q)| q.write && q.key == key && *t < before).map(|(_, q)| q)
}

/// A line of a chart: points (time in seconds, value).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Replication lag per replica over time, milliseconds (entries behind where time is unknown).
pub fn lag_series(run: &AnyRun) -> (Vec<Series>, &'static str) {
    let trace = run.trace();
    let nodes = run.node_count();
    let uses_time = trace.samples.iter().any(|s| s.observation.lag.iter().flatten().any(|l| l.time_us > 0));
    let mut out = Vec::new();
    for i in 0..nodes {
        let points: Vec<(f64, f64)> = trace
            .samples
            .iter()
            .filter_map(|s| {
                let l = s.observation.lag.get(i).copied().flatten()?;
                Some((s.time as f64 / 1e6, if uses_time { l.time_us as f64 / 1000.0 } else { l.entries as f64 }))
            })
            .collect();
        if !points.is_empty() {
            out.push(Series { label: NodeId(i as u8).to_string(), points });
        }
    }
    (out, if uses_time { "ms behind" } else { "keys behind" })
}

/// Latencies of successful operations, sorted, milliseconds.
pub fn latencies(history: &History, writes: bool) -> Vec<f64> {
    let mut v: Vec<f64> = history
        .ops
        .iter()
        .filter(|o| o.op.is_write() == writes && o.ok())
        .filter_map(|o| o.latency())
        .map(|l| l as f64 / 1000.0)
        .collect();
    replicascope_engine::page::sort_by(&mut v, |a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v
}

/// Fraction of reads completed in each window that were stale.
pub fn stale_rate(history: &History, anomalies: &[Anomaly], window: SimTime, end: SimTime) -> Vec<(f64, f64)> {
    let stale: std::collections::BTreeSet<OpId> =
        set_of(anomalies.iter().filter(|a| a.kind.is_stale_read()).filter_map(|a| a.ops.last().copied()));
    let buckets = (end / window.max(1) + 1) as usize;
    let mut reads = vec![0u32; buckets];
    let mut bad = vec![0u32; buckets];
    for o in &history.ops {
        if !o.op.is_read() || !o.ok() {
            continue;
        }
        let Some(t) = o.complete_at else { continue };
        let b = ((t / window) as usize).min(buckets - 1);
        reads[b] += 1;
        if stale.contains(&o.id) {
            bad[b] += 1;
        }
    }
    (0..buckets)
        .filter(|b| reads[*b] > 0)
        .map(|b| ((b as u64 * window) as f64 / 1e6, bad[b] as f64 / reads[b] as f64))
        .collect()
}

pub fn availability(history: &History, window: SimTime, end: SimTime) -> Vec<(f64, f64)> {
    availability_series(history, window, end)
        .into_iter()
        .enumerate()
        .filter_map(|(i, a)| a.map(|a| ((i as u64 * window) as f64 / 1e6, a)))
        .collect()
}

/// The span of the fault script: from the first fault to a few seconds after the last.
pub fn fault_window(plan: &Plan) -> Option<(SimTime, SimTime)> {
    let first = plan.faults.iter().map(|(t, _)| *t).find(|t| *t > 0)?;
    let last = plan.faults.iter().map(|(t, _)| *t).max()?;
    Some((first, (last + 5_000_000).min(plan.duration)))
}

/// One row of the comparison table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub pane: replicascope_engine::page::TopologyKind,
    pub write_p50: f64,
    pub write_p99: f64,
    pub read_p50: f64,
    pub read_p99: f64,
    pub stale_reads: u64,
    pub reads: u64,
    pub lost_writes: u64,
    pub conflicts: u64,
    /// Availability during the fault window, as session time in which operations succeeded
    /// promptly (None without faults; see `metrics::Availability`).
    pub availability_during_fault: Option<f64>,
    pub availability: f64,
    /// The longest stretch in which writes were tried and none succeeded, milliseconds.
    pub longest_write_outage_ms: f64,
    pub messages_per_op: f64,
    /// Each anomaly kind found, with the time it first happened.
    pub anomalies: Vec<(AnomalyKind, u64, SimTime)>,
    /// When the first stale read, lost write and conflict happened (for links to them).
    pub first_stale: Option<SimTime>,
    pub first_lost: Option<SimTime>,
    pub first_conflict: Option<SimTime>,
}

pub fn row(run: &AnyRun, report: &Report) -> Row {
    let m = &report.metrics;
    let history = history_of(run);
    let end = run.computed_until();
    let during = fault_window(run.plan()).map(|(a, b)| availability_between(&history, a, b, end));
    let first = |k: &dyn Fn(&Anomaly) -> bool| report.anomalies.iter().filter(|a| k(a)).map(|a| a.time).min();
    let mut kinds: Vec<(AnomalyKind, u64, SimTime)> = Vec::new();
    for k in AnomalyKind::ALL {
        let of: Vec<&Anomaly> = report.anomalies.iter().filter(|a| a.kind == k).collect();
        if let Some(t) = of.iter().map(|a| a.time).min() {
            kinds.push((k, of.len() as u64, t));
        }
    }
    let first_conflict =
        run.trace().annotations.iter().find(|n| matches!(n.annotation, Annotation::Conflict(_))).map(|n| n.time);
    Row {
        pane: run.kind(),
        write_p50: m.write_latency.p50_ms,
        write_p99: m.write_latency.p99_ms,
        read_p50: m.read_latency.p50_ms,
        read_p99: m.read_latency.p99_ms,
        stale_reads: m.stale_reads,
        reads: m.reads.ok,
        lost_writes: m.lost_acknowledged_writes,
        conflicts: m.conflicts_detected,
        availability_during_fault: during,
        availability: m.availability,
        longest_write_outage_ms: m.write_availability.longest_outage_ms,
        messages_per_op: m.messages_per_op,
        anomalies: kinds,
        first_stale: first(&|a| a.kind.is_stale_read()),
        first_lost: first(&|a| a.kind == AnomalyKind::LostWrite),
        first_conflict,
    }
}

/// Everything the charts under the panes draw, with shared scales.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Charts {
    pub duration_s: f64,
    /// Replication lag per pane (one series per replica), its unit, and the y-axis maximum
    /// shared by every pane with the same unit.
    pub lag: Vec<(TopologyKind, Vec<Series>, &'static str, f64)>,
    /// Latency distributions (x: milliseconds, y: fraction of operations at most that slow),
    /// one series per pane.
    pub write_cdf: Vec<Series>,
    pub read_cdf: Vec<Series>,
    pub latency_max_ms: f64,
    /// Stale reads per window and availability per window, one series per pane.
    pub stale: Vec<Series>,
    pub availability: Vec<Series>,
    pub messages_per_op: Vec<(TopologyKind, f64)>,
    /// Fault times (seconds) and what they were.
    pub faults: Vec<(f64, String)>,
    /// The staleness explorer for the leaderless pane's N, R, W (and a strict quorum beside it).
    pub pbs: Option<(String, Vec<Series>)>,
}

fn cdf(v: &[f64]) -> Vec<(f64, f64)> {
    if v.is_empty() {
        return Vec::new();
    }
    let n = v.len();
    let step = (n / 150).max(1);
    let mut out: Vec<(f64, f64)> = (0..n).step_by(step).map(|i| (v[i], (i + 1) as f64 / n as f64)).collect();
    out.push((v[n - 1], 1.0));
    out
}

/// Chart data for finished runs.
pub fn charts(runs: &[(&AnyRun, &Report)]) -> Charts {
    let Some((first, _)) = runs.first() else { return Charts::default() };
    let plan = first.plan();
    let end = plan.duration;
    let window = (end / 40).max(250_000);
    let mut c = Charts { duration_s: end as f64 / 1e6, ..Default::default() };
    c.faults = plan.faults.iter().filter(|(t, _)| *t > 0).map(|(t, f)| (*t as f64 / 1e6, f.phrase())).collect();
    let mut max_by_unit: Vec<(&'static str, f64)> = Vec::new();
    for (run, report) in runs {
        let kind = run.kind();
        let (lag, unit) = lag_series(run);
        let m = lag.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0, f64::max);
        match max_by_unit.iter_mut().find(|(u, _)| *u == unit) {
            Some((_, v)) => *v = v.max(m),
            None => max_by_unit.push((unit, m)),
        }
        c.lag.push((kind, lag, unit, 0.0));
        let history = history_of(run);
        let w = latencies(&history, true);
        let r = latencies(&history, false);
        let p99 = |v: &[f64]| {
            v.get(((v.len() as f64 * 0.99) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(0.0)
        };
        c.latency_max_ms = c.latency_max_ms.max(p99(&w)).max(p99(&r));
        c.write_cdf.push(Series { label: kind.title().into(), points: cdf(&w) });
        c.read_cdf.push(Series { label: kind.title().into(), points: cdf(&r) });
        c.stale
            .push(Series { label: kind.title().into(), points: stale_rate(&history, &report.anomalies, window, end) });
        c.availability.push(Series { label: kind.title().into(), points: availability(&history, window, end) });
        c.messages_per_op.push((kind, report.metrics.messages_per_op));
        if kind == TopologyKind::Leaderless {
            if let Some(cfg) = &plan.topologies.leaderless {
                c.pbs = Some(pbs_curves(cfg.n, cfg.r, cfg.w));
            }
        }
    }
    for l in &mut c.lag {
        l.3 = max_by_unit.iter().find(|(u, _)| *u == l.2).map(|(_, v)| *v).unwrap_or(1.0);
    }
    // Clip the latency axis at the slowest p99 (with room), so one timeout does not flatten all.
    c.latency_max_ms = (c.latency_max_ms * 1.2).max(1.0);
    c
}

/// Probability that a read sees the latest write, against time since the write committed.
pub fn pbs_curves(n: u32, r: u32, w: u32) -> (String, Vec<Series>) {
    use replicascope_engine::page::{explore, StalenessSpec};
    let run = |r: u32, w: u32| {
        // 8,000 trials: a probability within about half a percentage point (one standard error
        // at most 0.56 %), finer than the chart draws; 20,000 took most of a frame in the page.
        let spec = StalenessSpec { n, r, w, trials: 8_000, points: 41, max_ms: 50.0, ..StalenessSpec::default() };
        let res = explore(&spec);
        Series { label: format!("R={r}, W={w}"), points: res.points.iter().map(|p| (p.t_ms, p.p_consistent)).collect() }
    };
    let mut out = vec![run(r, w)];
    let q = n / 2 + 1;
    if r + w <= n && q <= n {
        out.push(run(q, q));
    } else if r > 1 || w > 1 {
        out.push(run(1, 1));
    }
    (
        format!("N={n}: the chance a read sees the latest write, by time since it committed (PBS, exponential delays)"),
        out,
    )
}

/// Whether an operation of the history failed or timed out (for the space-time colours).
pub fn failed(result: &Option<OpResult>) -> bool {
    matches!(result, Some(OpResult::Fail(_)) | Some(OpResult::Info(_)))
}

/// Events of the trace at exactly `t`, described (for the step-by-step caption).
pub fn events_at(run: &AnyRun, t: SimTime, names: &Names) -> Vec<String> {
    let trace = run.trace();
    let i = trace.steps.partition_point(|s| s.time < t);
    let mut out = Vec::new();
    for s in trace.steps.range(i, usize::MAX).take_while(|s| s.time == t).take(6) {
        let text = match &s.kind {
            StepKind::Deliver { msg } => trace
                .messages
                .get(*msg as usize)
                .map(|m| format!("{} → {}: {} ({})", m.from, m.to, m.label, m.kind.legend())),
            StepKind::Invoke { op } => Some(format!("operation #{op} begins")),
            StepKind::Fault { index } => run.plan().faults.get(*index as usize).map(|(_, f)| f.phrase()),
            StepKind::Drop { msg, reason } => Some(format!("message #{msg} lost ({})", reason.label())),
            _ => None,
        };
        out.extend(text);
    }
    let _ = names;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;
    use std::rc::Rc;

    fn finished(id: &str) -> Vec<(AnyRun, Report)> {
        let s = preset(id).unwrap();
        let plan = Rc::new(s.compile().unwrap());
        s.kinds()
            .into_iter()
            .map(|k| {
                let mut r = AnyRun::new(k, plan.clone()).unwrap();
                r.run_to_end();
                let rep = replicascope_engine::page::report(&r);
                (r, rep)
            })
            .collect()
    }

    #[test]
    fn failover_timeline_runs_from_detection_to_reconfiguration() {
        let runs = finished("split-brain");
        let (run, rep) = &runs[0];
        let f = failover(run, Some(rep));
        let stages: Vec<&str> = f.events.iter().map(|e| e.stage).collect();
        let pos = |s: &str| stages.iter().position(|x| *x == s).unwrap_or_else(|| panic!("{s} missing: {stages:?}"));
        assert!(pos("detection") < pos("promotion") && pos("promotion") <= pos("reconfiguration"), "{stages:?}");
        assert!(!f.lost.is_empty() && !f.split_brain.is_empty());
    }

    #[test]
    fn space_time_window_holds_the_recent_messages() {
        let runs = finished("two-am-failover");
        let (run, _) = &runs[0];
        let st = space_time(run, 5_000_000, 2_000_000, false);
        assert!(!st.arrows.is_empty());
        assert!(st.arrows.iter().all(|a| a.deliver >= st.from && a.sent <= st.to && a.kind != MsgKind::Heartbeat));
        assert!(st.arrows.len() <= MAX_ARROWS);
        assert!(st.ops.iter().all(|o| o.start <= st.to));
    }

    #[test]
    fn comparison_rows_and_series() {
        let runs = finished("two-am-failover");
        for (run, rep) in &runs {
            let r = row(run, rep);
            assert!(r.availability_during_fault.is_some());
            let (lag, _) = lag_series(run);
            assert!(!lag.is_empty());
            let h = history_of(run);
            assert!(!latencies(&h, true).is_empty());
            assert!(!availability(&h, 1_000_000, run.plan().duration).is_empty());
        }
        let refs: Vec<(&AnyRun, &Report)> = runs.iter().map(|(r, p)| (r, p)).collect();
        let c = charts(&refs);
        assert_eq!(c.write_cdf.len(), runs.len());
        assert!(c.write_cdf.iter().all(|s| s.points.windows(2).all(|w| w[0].1 <= w[1].1 && w[0].0 <= w[1].0)));
        assert!(c.lag.iter().all(|l| l.3 > 0.0), "shared lag scale");
        let (_, pbs) = c.pbs.expect("leaderless pane has a PBS curve");
        assert!(pbs.iter().all(|s| s.points.last().unwrap().1 > 0.99), "every read is fresh given time");
        let ml = finished("lww-clock-skew");
        let (run, _) =
            ml.iter().find(|(r, _)| r.kind() == replicascope_engine::page::TopologyKind::MultiLeader).unwrap();
        let c = conflicts(run);
        assert!(!c.is_empty());
        let lost = c[0].1.discarded[0];
        assert!(conflict_discarding(run, lost).is_some());
    }

    #[test]
    fn quorum_and_merkle_records_are_found() {
        let runs = finished("read-repair-vs-anti-entropy");
        let (run, _) = &runs[0];
        assert!(!quorums(run).is_empty());
        assert!(merkle_exchanges(run).iter().any(|(_, m)| !m.differing.is_empty()));
    }

    #[test]
    fn the_lists_say_each_record_in_a_line() {
        let runs = finished("read-repair-vs-anti-entropy");
        let (run, _) = &runs[0];
        let names = &run.plan().names;
        let q = quorums(run);
        let lines = quorum_lines(&q, names);
        assert_eq!(lines.len(), q.len());
        for ((t, line), (u, r)) in lines.iter().zip(&q) {
            assert_eq!(t, u);
            let what = if r.write { "write " } else { "read " };
            assert!(line.starts_with(what), "{line}");
            assert!(line.contains(&format!("via {}", r.coordinator)), "{line}");
            assert!(line.contains(&format!("{}/{} answered", r.answered.len(), r.need)), "{line}");
            assert_eq!(line.contains("stale"), !r.stale.is_empty(), "{line}");
        }
        let m = merkle_exchanges(run);
        let ml = merkle_lines(&m);
        assert!(ml
            .iter()
            .zip(&m)
            .all(|((_, l), (_, r))| l == &format!("{} ↔ {}: {} key(s) synced", r.a, r.b, r.keys_synced.len())));
        let cart = finished("shopping-cart");
        let (ml_run, _) =
            cart.iter().find(|(r, _)| r.kind() == replicascope_engine::page::TopologyKind::MultiLeader).unwrap();
        let c = conflicts(ml_run);
        let cl = conflict_lines(&c, &ml_run.plan().names);
        assert!(!cl.is_empty());
        assert!(cl[0].1.starts_with("cart at n"), "{}", cl[0].1);
        assert!(cl[0].1.contains("union of both"), "{}", cl[0].1);
    }
}
