//! Metrics of a run, for the CLI, the comparison table and the charts.

use crate::checker::{check, link_messages, Anomaly, AnomalyKind, Facts};
use crate::model::{NodeId, OpResult};
use crate::run::AnyRun;
use crate::time::SimTime;
use crate::trace::History;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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
        us.sort_unstable();
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
    /// Fraction of completed operations that succeeded.
    pub availability: f64,
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
    pub anomalies: Vec<(String, u64)>,
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
    let trace = run.trace();
    let surviving = run.surviving_writes();
    let obs = run.final_observation();
    // Replicas that differ while changes are still on the wire are catching up, not diverged:
    // only a quiet system at the end is judged.
    let end = run.computed_until();
    let settling =
        trace.in_flight_at(end).iter().any(|m| m.kind != crate::view::MsgKind::Heartbeat && m.dropped.is_none());
    let divergent: Vec<NodeId> = if settling {
        Vec::new()
    } else {
        obs.divergent.iter().enumerate().filter(|(_, d)| **d).map(|(i, _)| NodeId(i as u8)).collect()
    };
    let facts = Facts {
        names: Some(&run.plan().names),
        annotations: &trace.annotations,
        samples: &trace.samples,
        surviving: Some(&surviving),
        divergent_at_end: divergent,
        end: run.computed_until(),
    };
    let mut a = check(history, &facts);
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
    let history = history_of(run);
    let anomalies = anomalies_of(run, &history);
    let metrics = metrics(run, &history, &anomalies);
    Report { metrics, anomalies }
}

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
    let completed = writes.ok + writes.failed + writes.unknown + reads.ok + reads.failed + reads.unknown;
    let availability = if completed == 0 { 1.0 } else { (writes.ok + reads.ok) as f64 / completed as f64 };
    let stale_ops: BTreeSet<u32> =
        anomalies.iter().filter(|a| a.kind.is_stale_read()).filter_map(|a| a.ops.last().copied()).collect();
    let stale_reads = stale_ops.len() as u64;
    let mut conflict_keys = BTreeSet::new();
    let mut resolved = 0;
    for n in &trace.annotations {
        if let crate::annotate::Annotation::Conflict(c) = &n.annotation {
            let mut writes: Vec<Option<u32>> = c.versions.iter().map(|v| v.write).collect();
            writes.sort_unstable();
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
        anomalies: counts,
    }
}

/// Availability over time: for each window, the fraction of operations completed in it that
/// succeeded (None where nothing completed).
pub fn availability_series(history: &History, window: SimTime, end: SimTime) -> Vec<Option<f64>> {
    let buckets = (end / window.max(1) + 1) as usize;
    let mut ok = vec![0u32; buckets];
    let mut all = vec![0u32; buckets];
    for o in &history.ops {
        let (Some(t), Some(r)) = (o.complete_at, &o.result) else { continue };
        let b = ((t / window.max(1)) as usize).min(buckets - 1);
        all[b] += 1;
        if r.is_ok() {
            ok[b] += 1;
        }
    }
    ok.iter().zip(&all).map(|(o, a)| if *a == 0 { None } else { Some(*o as f64 / *a as f64) }).collect()
}
