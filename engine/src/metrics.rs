//! Metrics of a run, for the CLI, the comparison table and the charts.

use crate::checker::{check, link_messages, Anomaly, AnomalyKind, Facts};
use crate::model::{ClientId, NodeId, OpRecord, OpResult};
use crate::run::{AnyRun, Convergence};
use crate::time::SimTime;
use crate::trace::History;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    pub fn of(mut us: Vec<u64>) -> Percentiles {
        if us.is_empty() {
            return Percentiles::default();
        }
        crate::sort::sort(&mut us);
        let at = |q: f64| {
            let i = ((us.len() as f64 - 1.0) * q).round() as usize;
            us[i.min(us.len() - 1)] as f64 / 1000.0
        };
        Percentiles { count: us.len() as u64, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1.0) }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpCounts {
    pub invoked: u64,
    pub ok: u64,
    pub failed: u64,
    /// Timed out or otherwise of unknown outcome.
    pub unknown: u64,
    pub pending_at_end: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeLag {
    pub node: String,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub max_entries: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub topology: String,
    pub digest: String,
    pub events: u64,
    pub duration_ms: f64,
    pub writes: OpCounts,
    pub reads: OpCounts,
    pub write_latency: Percentiles,
    pub read_latency: Percentiles,
    /// What a user feels: the share of session time in which an operation would have succeeded
    /// promptly, over writes and reads together (see [`Availability`]).
    pub availability: f64,
    pub write_availability: Availability,
    pub read_availability: Availability,
    /// Successful reads, and how many returned stale data (any kind of staleness anomaly).
    pub stale_reads: u64,
    pub stale_read_fraction: f64,
    pub lost_acknowledged_writes: u64,
    pub conflicts_detected: u64,
    pub conflicts_resolved: u64,
    pub messages: u64,
    pub messages_dropped: u64,
    pub messages_per_op: f64,
    pub replication_lag: Vec<NodeLag>,
    pub divergent_replicas_at_end: u64,
    /// Whether replicas that disagreed at the end converged afterwards (see `Run::settle`).
    pub convergence: Convergence,
    pub anomalies: Vec<(String, u64)>,
}

/// Availability as a user feels it, for one kind of operation.
///
/// Each session is followed from its first operation to the end of its last one. Each operation
/// of this kind tells how the system looked to that session from the moment it was sent until
/// the session's next operation: available if it succeeded within [`PATIENCE`]; not
/// available if it failed or timed out, or from the moment it had waited longer than `PATIENCE`
/// (until it succeeded). A session blocked ten seconds on a write that never completes is ten
/// seconds unavailable, although it issued a single operation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Availability {
    /// Share of the followed session time in which operations of this kind succeeded promptly.
    pub time: f64,
    /// Share of attempted operations that succeeded (timeouts and unfinished ones count against).
    pub attempts: f64,
    /// The longest stretch in which operations of this kind were tried and none succeeded
    /// anywhere, in milliseconds, and when it began. It runs from a failed (or slow) attempt to
    /// the first success of an operation sent no earlier than that attempt: an operation already
    /// in flight that completes just after a crash says nothing about the requests that follow.
    pub longest_outage_ms: f64,
    pub longest_outage_from: Option<SimTime>,
}

/// Granularity of availability over time (the chart, the fault window).
pub const SLICE: SimTime = 250_000;
/// An operation that takes longer than this counts as unavailable from then on.
pub const PATIENCE: SimTime = 1_000_000;

/// Which operations an availability figure is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpFilter {
    Writes,
    Reads,
    All,
}

impl OpFilter {
    fn admits(self, o: &OpRecord) -> bool {
        match self {
            OpFilter::Writes => o.op.is_write(),
            OpFilter::Reads => o.op.is_read(),
            OpFilter::All => true,
        }
    }
}

/// Per slice of [`SLICE`]: microseconds of session time available and not available, summed
/// over sessions (see [`Availability`]).
pub fn availability_slices(history: &History, filter: OpFilter, end: SimTime) -> Vec<(u64, u64)> {
    let slices = (end / SLICE + 1) as usize;
    let mut out = vec![(0u64, 0u64); slices];
    let mut add = |from: SimTime, to: SimTime, up: bool| {
        let (from, to) = (from.min(end), to.min(end));
        let mut t = from;
        while t < to {
            let slice = (t / SLICE) as usize;
            let next = ((slice as u64 + 1) * SLICE).min(to);
            if let Some(x) = out.get_mut(slice) {
                if up {
                    x.0 += next - t;
                } else {
                    x.1 += next - t;
                }
            }
            t = next;
        }
    };
    // Every operation of a session, in order: a view holds until the session's next operation
    // of any kind (after that, what it shows is about the other kind).
    let mut by_session: BTreeMap<ClientId, Vec<&OpRecord>> = BTreeMap::new();
    for o in history.ops.iter().filter(|o| o.invoke_at.is_some()) {
        by_session.entry(o.session).or_default().push(o);
    }
    for ops in by_session.values_mut() {
        crate::sort::sort_by_key(ops, |o| (o.invoke_at, o.id));
        for (k, o) in ops.iter().enumerate() {
            if !filter.admits(o) {
                continue;
            }
            let invoke = o.invoke_at.unwrap_or(0);
            let done = o.complete_at.unwrap_or(end).max(invoke);
            let until = ops.get(k + 1).and_then(|n| n.invoke_at).unwrap_or(done).max(done);
            if o.ok() {
                let patience_ends = invoke + PATIENCE;
                if done <= patience_ends {
                    add(invoke, until, true);
                } else {
                    add(invoke, patience_ends, true);
                    add(patience_ends, done, false);
                    add(done, until, true);
                }
            } else {
                add(invoke, until, false);
            }
        }
    }
    out
}

fn share(slices: &[(u64, u64)]) -> f64 {
    let (up, down) = slices.iter().fold((0u64, 0u64), |(u, d), (a, b)| (u + *a, d + *b));
    if up + down == 0 {
        1.0
    } else {
        up as f64 / (up + down) as f64
    }
}

/// Availability of one kind of operation over a whole run (see [`Availability`]).
pub fn availability(history: &History, filter: OpFilter, end: SimTime) -> Availability {
    let ops: Vec<&OpRecord> = history.ops.iter().filter(|o| filter.admits(o) && o.invoke_at.is_some()).collect();
    let attempts = if ops.is_empty() { 1.0 } else { ops.iter().filter(|o| o.ok()).count() as f64 / ops.len() as f64 };
    // Outages: from a failed or slow attempt to the first success of an operation invoked at or
    // after it, anywhere. `first_done[i]` is the earliest completion among the successes from
    // the i-th (by invocation) on.
    let mut successes: Vec<(SimTime, SimTime)> =
        ops.iter().filter(|o| o.ok()).filter_map(|o| Some((o.invoke_at?, o.complete_at?))).collect();
    crate::sort::sort(&mut successes);
    let mut first_done = vec![SimTime::MAX; successes.len() + 1];
    for i in (0..successes.len()).rev() {
        first_done[i] = first_done[i + 1].min(successes[i].1);
    }
    let mut spans: Vec<(SimTime, SimTime)> = Vec::new();
    for o in &ops {
        let invoke = o.invoke_at.unwrap_or(0);
        let slow = o.latency().is_none_or(|l| l > PATIENCE);
        if o.ok() && !slow {
            continue;
        }
        let next = successes.partition_point(|(t, _)| *t < invoke);
        let until = first_done[next].min(end).max(invoke);
        spans.push((invoke, until));
    }
    crate::sort::sort(&mut spans);
    let mut longest: Option<(SimTime, SimTime)> = None;
    let mut current: Option<(SimTime, SimTime)> = None;
    for (a, b) in spans {
        current = match current {
            Some((x, y)) if a <= y => Some((x, y.max(b))),
            Some(done) => {
                if longest.is_none_or(|(p, q)| done.1 - done.0 > q - p) {
                    longest = Some(done);
                }
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some(done) = current {
        if longest.is_none_or(|(p, q)| done.1 - done.0 > q - p) {
            longest = Some(done);
        }
    }
    Availability {
        time: share(&availability_slices(history, filter, end)),
        attempts,
        longest_outage_ms: longest.map(|(a, b)| (b - a) as f64 / 1000.0).unwrap_or(0.0),
        longest_outage_from: longest.map(|(a, _)| a),
    }
}

/// Time availability of every operation between `from` and `to` (the fault window of the
/// comparison table).
pub fn availability_between(history: &History, from: SimTime, to: SimTime, end: SimTime) -> f64 {
    let slices = availability_slices(history, OpFilter::All, end);
    let a = (from / SLICE) as usize;
    let b = ((to / SLICE) as usize).min(slices.len().saturating_sub(1));
    if a > b {
        return 1.0;
    }
    share(&slices[a..=b])
}

/// A finished run's metrics and anomalies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub metrics: Metrics,
    pub anomalies: Vec<Anomaly>,
}

pub fn history_of(run: &AnyRun) -> History {
    History::from_events(&run.trace().hist)
}

/// Checks a run's history with everything the run knows.
pub fn anomalies_of(run: &AnyRun, history: &History) -> Vec<Anomaly> {
    anomalies_with(run, history, &run.settle())
}

fn anomalies_with(run: &AnyRun, history: &History, convergence: &Convergence) -> Vec<Anomaly> {
    let checked = checked(run, history, convergence);
    with_linearizability(run, history, checked)
}

/// What the history checker finds, with everything the run knows.
fn checked(run: &AnyRun, history: &History, convergence: &Convergence) -> Vec<Anomaly> {
    let trace = run.trace();
    let surviving = run.surviving_writes();
    // Replicas that differ at the end may only be catching up: divergence is judged once the run,
    // let go on with no new input, is quiet — or said to be unsettled with what is pending.
    let divergent = if convergence.settled_after_us.is_none() && convergence.pending.is_empty() {
        convergence.divergent_at_end.clone()
    } else {
        Vec::new()
    };
    let facts = Facts {
        names: Some(&run.plan().names),
        annotations: &trace.annotations,
        samples: &trace.samples,
        surviving: Some(&surviving),
        divergent_at_end: divergent,
        end: run.computed_until(),
    };
    check(history, &facts)
}

/// `a` and what the linearizability checker finds, sorted, with the messages of each.
fn with_linearizability(run: &AnyRun, history: &History, mut a: Vec<Anomaly>) -> Vec<Anomaly> {
    let trace = run.trace();
    // Linearizability, per register key, within a budget that keeps a page responsive.
    let mut notes = Vec::new();
    let mut registers = crate::jepsen::register_events(history, &mut notes, &run.plan().names);
    // A restore from backup rewinds every key: single-register reasoning no longer applies.
    if trace.annotations.iter().any(|n| matches!(n.annotation, crate::annotate::Annotation::BackupRestored { .. })) {
        registers.clear();
    }
    registers.retain(|_, events| events.len() <= LINEARIZABILITY_MAX_EVENTS);
    let (_, lin) = crate::jepsen::linearizability(&registers, &run.plan().names, LINEARIZABILITY_BUDGET);
    a.extend(lin);
    crate::checker::sort_anomalies(&mut a);
    link_messages(&mut a, trace);
    a
}

/// Register histories longer than this are not checked for linearizability in a run report.
pub const LINEARIZABILITY_MAX_EVENTS: usize = 5_000;
/// Search states per key for a run report (the CLI's `check` allows more).
pub const LINEARIZABILITY_BUDGET: u64 = 200_000;

pub fn report(run: &AnyRun) -> Report {
    report_with(run, run.settle())
}

/// [`report`] for a run already settled (the page settles a run a few thousand events a frame,
/// [`AnyRun::settling`], and then makes its report).
pub fn report_with(run: &AnyRun, convergence: Convergence) -> Report {
    let history = history_of(run);
    let anomalies = anomalies_with(run, &history, &convergence);
    let mut metrics = metrics(run, &history, &anomalies);
    metrics.convergence = convergence;
    Report { metrics, anomalies }
}

/// [`report_with`] in steps, for a caller that must not hold its thread for the whole of it: the
/// page makes one step a frame (the history, its check, linearizability, the numbers), where
/// the whole report of a busy run took 50-100 ms in one task. The same report.
pub struct Reporting {
    convergence: Convergence,
    stage: Stage,
}

enum Stage {
    Start,
    History(History),
    Checked(History, Vec<Anomaly>),
    Anomalies(History, Vec<Anomaly>),
    /// Taken by the step that made the report.
    Done,
}

impl Reporting {
    pub fn new(convergence: Convergence) -> Self {
        Reporting { convergence, stage: Stage::Start }
    }

    /// One step more; the report, at the step that makes it (and `None` at any step after).
    pub fn step(&mut self, run: &AnyRun) -> Option<Report> {
        self.stage = match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Start => Stage::History(history_of(run)),
            Stage::History(h) => {
                let a = checked(run, &h, &self.convergence);
                Stage::Checked(h, a)
            }
            Stage::Checked(h, a) => {
                let a = with_linearizability(run, &h, a);
                Stage::Anomalies(h, a)
            }
            Stage::Anomalies(h, anomalies) => {
                let mut metrics = metrics(run, &h, &anomalies);
                metrics.convergence = std::mem::take(&mut self.convergence);
                return Some(Report { metrics, anomalies });
            }
            Stage::Done => Stage::Done,
        };
        None
    }

    /// The remaining steps at once.
    pub fn finish(mut self, run: &AnyRun) -> Option<Report> {
        for _ in 0..4 {
            if let Some(r) = self.step(run) {
                return Some(r);
            }
        }
        None
    }
}

/// A run's numbers; `convergence` is left empty (see [`report`]).
pub fn metrics(run: &AnyRun, history: &History, anomalies: &[Anomaly]) -> Metrics {
    let trace = run.trace();
    let mut writes = OpCounts::default();
    let mut reads = OpCounts::default();
    let mut wl = Vec::new();
    let mut rl = Vec::new();
    for o in &history.ops {
        if o.invoke_at.is_none() {
            continue;
        }
        let c = if o.op.is_read() { &mut reads } else { &mut writes };
        c.invoked += 1;
        match &o.result {
            None => c.pending_at_end += 1,
            Some(OpResult::Written) | Some(OpResult::Read(_)) => {
                c.ok += 1;
                if let Some(l) = o.latency() {
                    if o.op.is_read() {
                        rl.push(l)
                    } else {
                        wl.push(l)
                    }
                }
            }
            Some(OpResult::Fail(_)) => c.failed += 1,
            Some(OpResult::Info(_)) => c.unknown += 1,
        }
    }
    let end = run.computed_until();
    let availability = share(&availability_slices(history, OpFilter::All, end));
    let stale_ops: BTreeSet<u32> =
        crate::sort::set_of(anomalies.iter().filter(|a| a.kind.is_stale_read()).filter_map(|a| a.ops.last().copied()));
    let stale_reads = stale_ops.len() as u64;
    let mut conflict_keys = BTreeSet::new();
    let mut resolved = 0;
    for n in &trace.annotations {
        if let crate::annotate::Annotation::Conflict(c) = &n.annotation {
            let mut writes: Vec<Option<u32>> = c.versions.iter().map(|v| v.write).collect();
            crate::sort::sort(&mut writes);
            conflict_keys.insert((c.key, writes));
            resolved += 1;
        }
    }
    let nodes = run.node_count();
    let mut lag = Vec::new();
    for i in 0..nodes {
        let mut us = Vec::new();
        let mut max_entries = 0;
        for s in &trace.samples {
            if let Some(Some(l)) = s.observation.lag.get(i) {
                us.push(l.time_us);
                max_entries = max_entries.max(l.entries);
            }
        }
        if us.is_empty() {
            continue;
        }
        let p = Percentiles::of(us);
        lag.push(NodeLag {
            node: NodeId(i as u8).to_string(),
            p50_ms: p.p50_ms,
            p99_ms: p.p99_ms,
            max_ms: p.max_ms,
            max_entries,
        });
    }
    let obs = run.final_observation();
    let messages = trace.messages.len() as u64;
    let client_ops = writes.invoked + reads.invoked;
    let mut counts: Vec<(String, u64)> = Vec::new();
    for k in AnomalyKind::ALL {
        let n = anomalies.iter().filter(|a| a.is(k)).count() as u64;
        if n > 0 {
            counts.push((k.name().to_string(), n));
        }
    }
    Metrics {
        topology: run.kind().name().to_string(),
        digest: format!("{:016x}", trace.digest()),
        events: trace.steps.len() as u64,
        duration_ms: run.computed_until() as f64 / 1000.0,
        write_latency: Percentiles::of(wl),
        read_latency: Percentiles::of(rl),
        availability,
        write_availability: self::availability(history, OpFilter::Writes, end),
        read_availability: self::availability(history, OpFilter::Reads, end),
        stale_read_fraction: if reads.ok == 0 { 0.0 } else { stale_reads as f64 / reads.ok as f64 },
        stale_reads,
        writes,
        reads,
        lost_acknowledged_writes: anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite).count() as u64,
        conflicts_detected: conflict_keys.len() as u64,
        conflicts_resolved: resolved,
        messages,
        messages_dropped: trace.messages.iter().filter(|m| m.dropped.is_some()).count() as u64,
        messages_per_op: if client_ops == 0 { 0.0 } else { messages as f64 / client_ops as f64 },
        replication_lag: lag,
        divergent_replicas_at_end: obs.divergent_nodes() as u64,
        convergence: Convergence::default(),
        anomalies: counts,
    }
}

/// Availability over time: for each window, the share of followed session time in which
/// operations succeeded promptly (None where no session was followed).
pub fn availability_series(history: &History, window: SimTime, end: SimTime) -> Vec<Option<f64>> {
    let slices = availability_slices(history, OpFilter::All, end);
    let per = (window / SLICE).max(1) as usize;
    slices
        .chunks(per)
        .map(|c| {
            let (up, down) = c.iter().fold((0u64, 0u64), |(u, d), (a, b)| (u + a, d + b));
            (up + down > 0).then(|| up as f64 / (up + down) as f64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClientId, Op, OpRecord, OpResult, Sym};
    use crate::trace::History;

    fn write(id: u32, session: u8, invoke: SimTime, complete: SimTime, ok: bool) -> OpRecord {
        OpRecord {
            id,
            session: ClientId(session),
            op: Op::Write { key: Sym(0), value: id as i64 },
            consistency: None,
            scheduled_at: invoke,
            invoke_at: Some(invoke),
            complete_at: Some(complete),
            result: Some(if ok { OpResult::Written } else { OpResult::Fail("timed out".into()) }),
            served_by: None,
            version: None,
            assigned_id: None,
            epoch: None,
            lsn: None,
            contacted: Vec::new(),
        }
    }

    /// An outage runs from a failed attempt to the first success of an operation sent no earlier:
    /// a write already in flight that lands just after the crash does not end it.
    #[test]
    fn an_outage_is_not_ended_by_an_operation_sent_before_it() {
        const S: SimTime = 1_000_000;
        let history = History {
            ops: vec![
                // In flight when the node fails at 2 s; acknowledged at 2.01 s.
                write(1, 0, 2 * S - 5_000, 2 * S + 10_000, true),
                // Sent at 2 s, times out at 7 s.
                write(2, 1, 2 * S, 7 * S, false),
                // The first write sent after the failure that succeeds, at 9 s.
                write(3, 1, 7 * S, 9 * S, true),
            ],
        };
        let a = availability(&history, OpFilter::Writes, 10 * S);
        assert_eq!(a.longest_outage_from, Some(2 * S));
        assert_eq!(a.longest_outage_ms, 7_000.0, "{a:?}");
    }
}
