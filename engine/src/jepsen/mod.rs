//! Histories in Jepsen's EDN format, and checking any history.
//!
//! Each line (or element of a top-level vector) is a map such as
//! `{:process 0, :type :invoke, :f :write, :value 3}`, followed later by the same process's
//! `:ok`, `:fail` or `:info` completion. `:f` is `:read`, `:write` or `:cas` (value `[old new]`).
//! Multi-key histories use `jepsen.independent` tuples: `:value [k v]`. An optional `:time`
//! (nanoseconds) orders events; otherwise their order in the file does. Nemesis lines (a
//! non-integer `:process`) are skipped.
//!
//! Imported histories are checked like the engine's own: linearizability per key, and the
//! anomaly checks where reads can be attributed to a unique write (Jepsen register tests often
//! reuse values; such reads are skipped for the anomaly checks and counted in the notes).

use crate::checker::{check, Anomaly, AnomalyKind, Facts};
use crate::edn::{read_history, write, Edn};
use crate::linearizability::{check_with_budget, RegEvent, RegOp, Verdict};
use crate::model::{ClientId, Op, OpId, OpRecord, OpResult, ReadValue, Seen, Sym};
use crate::trace::History;
use crate::vocab::Names;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod diagram;
mod export;
mod models;
pub use diagram::{diagram, Bar, HistoryDiagram, HistoryOp, Layout, ObjectDiagram};
pub use export::export_edn;
pub use models::{check_model_edn, ModelKind, ModelReport};

pub const MAX_HISTORY_OPS: usize = 200_000;
/// Distinct keys an imported history may name.
pub const MAX_KEYS: usize = 65_536;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum F {
    Read,
    Write,
    Cas,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    pub history: History,
    pub names: Names,
    /// Register events per key, for linearizability.
    pub registers: BTreeMap<Sym, Vec<RegEvent>>,
    /// The line of each register event's invocation, by the event's id.
    pub lines: BTreeMap<u64, usize>,
    pub notes: Vec<String>,
    pub conventions: Conventions,
}

/// What a history's register model assumes, which differs between checkers. ReplicaScope's own
/// histories, and etcd-style ones, start every key empty and mean by a `nil` read "the key did not
/// exist". Knossos checks its `cas-register` histories against a register that starts at 0, and
/// its register models let a read whose value is `nil` match anything (the reader did not say).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conventions {
    /// The register's value before any write (`--initial`); `None`: empty.
    pub initial: Option<i64>,
    pub nil_read: NilRead,
}

/// What a read that returned `nil` means (`--nil-read`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NilRead {
    /// The key did not exist (ReplicaScope's own exports, etcd-style histories).
    #[default]
    Absent,
    /// Nothing: the read constrains no value (Knossos' register models).
    Any,
}

impl NilRead {
    pub fn parse(s: &str) -> Option<NilRead> {
        match s {
            "absent" => Some(NilRead::Absent),
            "any" => Some(NilRead::Any),
            _ => None,
        }
    }
}

fn key_name(k: &Option<Edn>) -> String {
    match k {
        None => "register".into(),
        Some(Edn::Keyword(s)) | Some(Edn::Str(s)) | Some(Edn::Symbol(s)) => s.clone(),
        Some(other) => write(other),
    }
}

fn int_or_nil(v: &Edn) -> Result<Option<i64>, String> {
    match v {
        Edn::Nil => Ok(None),
        Edn::Int(i) => Ok(Some(*i)),
        other => Err(format!("expected an integer or nil, found {}", crate::vocab::truncate(&write(other)))),
    }
}

/// Splits `:value` into (key, value) for independent tuples.
fn split_value(f: F, v: &Edn) -> (Option<Edn>, Edn) {
    match (f, v) {
        (F::Cas, Edn::Vector(items)) if items.len() == 2 && matches!(items[1], Edn::Vector(_)) => {
            (Some(items[0].clone()), items[1].clone())
        }
        (F::Read | F::Write, Edn::Vector(items)) if items.len() == 2 => (Some(items[0].clone()), items[1].clone()),
        _ => (None, v.clone()),
    }
}

/// How an operation ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Fail,
    /// `:info`: unknown.
    Info,
    /// Never completed: unknown too.
    Open,
}

/// One operation of a history file, its invocation paired with its completion.
#[derive(Clone, Debug)]
pub(super) struct Paired {
    /// The invocation's line.
    line: usize,
    /// The completion's line (the invocation's if it never completed).
    done_line: usize,
    process: i64,
    f: String,
    /// The invocation's and the completion's maps (the same map if it never completed).
    invocation: Edn,
    completion: Edn,
    outcome: Outcome,
    /// In nanoseconds (`:time`; without one, the event's place in the file × 1000).
    invoke: u64,
    complete: u64,
}

impl Paired {
    /// The `:value` an operation is checked with: the completion's when it succeeded (a read's
    /// result), else the invocation's (what was attempted).
    fn value(&self) -> Edn {
        let from = if self.outcome == Outcome::Ok { &self.completion } else { &self.invocation };
        from.get("value").cloned().unwrap_or(Edn::Nil)
    }
}

/// A history file's operations, paired, in completion order (then those never completed).
pub(super) struct PairedHistory {
    ops: Vec<Paired>,
    skipped_nemesis: usize,
    tags: std::collections::BTreeSet<String>,
}

/// Reads a history file and pairs each invocation with its process's next completion. Errors
/// name the line and the reason.
pub(super) fn pair_operations(text: &str) -> Result<PairedHistory, String> {
    if text.len() > 64 * 1024 * 1024 {
        return Err("history is larger than 64 MB".into());
    }
    let forms = read_history(text).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    if forms.len() > 2 * MAX_HISTORY_OPS {
        return Err(format!("{} events; at most {}", forms.len(), 2 * MAX_HISTORY_OPS));
    }
    let mut tags = std::collections::BTreeSet::new();
    let mut open: BTreeMap<i64, Paired> = BTreeMap::new();
    let mut ops: Vec<Paired> = Vec::new();
    let mut skipped_nemesis = 0;
    for (index, (line, form)) in forms.into_iter().enumerate() {
        let at = |m: &str| format!("line {line}: {m}");
        let (form, tag) = form.untagged();
        if let Some(t) = tag {
            tags.insert(t.to_string());
        }
        if !matches!(form, Edn::Map(_)) {
            return Err(at("expected a map such as {:process 0, :type :invoke, :f :read, :value nil}"));
        }
        let process = match form.get("process") {
            Some(Edn::Int(p)) => *p,
            Some(_) => {
                skipped_nemesis += 1;
                continue;
            }
            None => return Err(at("missing :process")),
        };
        let ty = form
            .get("type")
            .and_then(|t| t.keyword())
            .ok_or_else(|| at("missing :type (:invoke, :ok, :fail or :info)"))?;
        let f = form.get("f").and_then(|f| f.keyword()).ok_or_else(|| at("missing :f"))?.to_string();
        let time = match form.get("time") {
            // Nanoseconds, kept whole for the linearizability checks: Jepsen's events are often
            // less than a microsecond apart, and rounding them together would make operations
            // concurrent that were not (the history's records are in microseconds).
            Some(Edn::Int(t)) if *t >= 0 => *t as u64,
            Some(_) => return Err(at(":time must be a non-negative integer (nanoseconds)")),
            None => index as u64 * 1000,
        };
        let outcome = match ty {
            "invoke" => {
                if open.contains_key(&process) {
                    return Err(at(&format!(
                        "process {process} invokes again before its previous operation completed"
                    )));
                }
                open.insert(
                    process,
                    Paired {
                        line,
                        done_line: line,
                        process,
                        f,
                        invocation: form.clone(),
                        completion: form.clone(),
                        outcome: Outcome::Open,
                        invoke: time,
                        complete: time,
                    },
                );
                continue;
            }
            "ok" => Outcome::Ok,
            "fail" => Outcome::Fail,
            "info" => Outcome::Info,
            other => {
                return Err(at(&format!(
                    ":type :{} is not :invoke, :ok, :fail or :info",
                    crate::vocab::truncate(other)
                )))
            }
        };
        let mut p = open
            .remove(&process)
            .ok_or_else(|| at(&format!("process {process} completes an operation it never invoked")))?;
        if p.f != f {
            return Err(at(&format!("completion :f does not match the invocation on line {}", p.line)));
        }
        if ops.len() >= MAX_HISTORY_OPS {
            return Err(at(&format!("more than {MAX_HISTORY_OPS} operations")));
        }
        p.done_line = line;
        p.completion = form.clone();
        p.outcome = outcome;
        p.complete = time;
        ops.push(p);
    }
    ops.extend(open.into_values());
    Ok(PairedHistory { ops, skipped_nemesis, tags })
}

/// Notes every import shares: nemesis lines, tags, operations never completed.
fn common_notes(paired: &PairedHistory) -> Vec<String> {
    let mut notes: Vec<String> = paired
        .ops
        .iter()
        .filter(|p| p.outcome == Outcome::Open)
        .map(|p| format!("line {}: never completed; treated as unknown (:info)", p.line))
        .collect();
    if paired.skipped_nemesis > 0 {
        notes.push(format!("{} nemesis line(s) skipped", paired.skipped_nemesis));
    }
    if !paired.tags.is_empty() {
        notes.push(format!(
            "tagged values read through their tags: {}",
            paired.tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(", ")
        ));
    }
    notes
}

/// Parses an EDN history with ReplicaScope's conventions (see [`Conventions`]).
pub fn import_edn(text: &str) -> Result<Imported, String> {
    import_edn_with(text, Conventions::default())
}

/// Parses an EDN register history: one map per line, or a vector or list of maps, as Jepsen and
/// Knossos write them; extra keys (`:time`, `:index`, `:node`, `:error`) are fine, tagged values
/// (`#jepsen.history.Op{…}`) are read through their tags, nemesis operations are skipped. Errors
/// name the line and the reason.
pub fn import_edn_with(text: &str, conventions: Conventions) -> Result<Imported, String> {
    import_paired(&pair_operations(text)?, conventions)
}

/// [`import_edn_with`] of a file already read and paired.
pub(super) fn import_paired(paired: &PairedHistory, conventions: Conventions) -> Result<Imported, String> {
    let mut names = Names::default();
    let mut sessions: BTreeMap<i64, ClientId> = BTreeMap::new();
    let mut free_lanes: std::collections::BTreeSet<u8> = std::collections::BTreeSet::new();
    let mut next_lane: u16 = 0;
    let mut ops: Vec<OpRecord> = Vec::new();
    let mut reg: Vec<(Sym, RegEvent)> = Vec::new();
    let mut lines: BTreeMap<u64, usize> = BTreeMap::new();
    let mut nil_reads = 0;
    // Names by text, so that a long history with many keys does not search the table each time.
    let mut interned: BTreeMap<String, Sym> = BTreeMap::new();
    for p in &paired.ops {
        let f = match p.f.as_str() {
            "read" => F::Read,
            "write" => F::Write,
            "cas" => F::Cas,
            other => {
                return Err(format!(
                    "line {}: :f :{} is not a register operation (read, write, cas); for other objects see --model",
                    p.line,
                    crate::vocab::truncate(other)
                ))
            }
        };
        let at = |m: &str| format!("line {}: {m}", p.done_line);
        let input = p.invocation.get("value").cloned().unwrap_or(Edn::Nil);
        let output = p.completion.get("value").cloned().unwrap_or(Edn::Nil);
        let (in_key, input) = split_value(f, &input);
        let (out_key, out_value) = split_value(f, &output);
        // Jepsen writes `[k nil]` on a read's invocation, but a bare `nil` is common too: then
        // the completion names the key.
        let key_edn = if in_key.is_some() { in_key.clone() } else { out_key.clone() };
        if let (Some(a), Some(b)) = (&in_key, &out_key) {
            if a != b && p.outcome == Outcome::Ok {
                return Err(at(&format!(
                    "the completion names key {} but the invocation on line {} named {}",
                    write(b),
                    p.line,
                    write(a)
                )));
            }
        }
        let key_text = crate::vocab::truncate(&key_name(&key_edn)).replace('…', "");
        let key = match interned.get(&key_text) {
            Some(k) => *k,
            None => {
                let k = names.intern_up_to(&key_text, MAX_KEYS).map_err(|e| at(&e))?;
                interned.insert(key_text, k);
                k
            }
        };
        if p.outcome == Outcome::Open {
            // Never completed: of unknown outcome. Not a row of the history (it has no end), but
            // it may have taken effect.
            // Numbered after every operation of the file, so never taken for a row.
            let id = paired.ops.len() as u64 + reg.len() as u64;
            let op = match (f, int_or_nil(&input), &input) {
                (F::Write, Ok(Some(v)), _) => Some(RegOp::Write(v)),
                (F::Cas, _, Edn::Vector(pair)) if pair.len() == 2 => {
                    match (int_or_nil(&pair[0]), int_or_nil(&pair[1])) {
                        (Ok(from), Ok(Some(to))) => Some(RegOp::Cas { from, to }),
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some(op) = op {
                lines.insert(id, p.line);
                reg.push((key, RegEvent { id, op, invoke: p.invoke, complete: None }));
            }
            continue;
        }
        // Jepsen gives a crashed process's successor a fresh number, so long histories name
        // thousands of processes but few at once: a lane is reused once the process that held it
        // crashed (:info), as that process never returns.
        let session = match sessions.get(&p.process) {
            Some(c) => *c,
            None => {
                let lane = match free_lanes.pop_first() {
                    Some(l) => l,
                    None if next_lane <= 255 => {
                        next_lane += 1;
                        (next_lane - 1) as u8
                    }
                    None => {
                        return Err(at(
                            "more than 256 live processes (a process keeps its lane until it crashes with :info)",
                        ))
                    }
                };
                sessions.insert(p.process, ClientId(lane));
                ClientId(lane)
            }
        };
        if p.outcome == Outcome::Info {
            sessions.remove(&p.process);
            free_lanes.insert(session.0);
        }
        let id = ops.len() as OpId;
        let complete = (p.outcome == Outcome::Ok).then_some(p.complete);
        let unknown = || OpResult::Info("unknown".into());
        let (op, result, regop) = match f {
            F::Write => {
                let v = int_or_nil(&input).map_err(|e| at(&e))?.ok_or_else(|| at("a write needs a value"))?;
                let result = match p.outcome {
                    Outcome::Ok => OpResult::Written,
                    Outcome::Fail => OpResult::Fail("failed".into()),
                    _ => unknown(),
                };
                (Op::Write { key, value: v }, result, Some(RegOp::Write(v)))
            }
            F::Read => {
                let ok = p.outcome == Outcome::Ok;
                let v = if ok { int_or_nil(&out_value).map_err(|e| at(&e))? } else { None };
                // Knossos' convention: a nil read constrains nothing.
                let unconstrained = ok && v.is_none() && conventions.nil_read == NilRead::Any;
                if unconstrained {
                    nil_reads += 1;
                }
                let result = match p.outcome {
                    Outcome::Ok if unconstrained => {
                        OpResult::Info("read nil: matches any value (--nil-read any)".into())
                    }
                    Outcome::Ok => OpResult::Read(ReadValue::Register(
                        v.map(|v| vec![Seen { write: u32::MAX, value: v }]).unwrap_or_default(),
                    )),
                    Outcome::Fail => OpResult::Fail("failed".into()),
                    _ => unknown(),
                };
                (Op::Read { key }, result, (ok && !unconstrained).then_some(RegOp::Read(v)))
            }
            F::Cas => {
                let Edn::Vector(pair) = &input else { return Err(at(":cas needs a value [old new]")) };
                if pair.len() != 2 {
                    return Err(at(":cas needs a value [old new]"));
                }
                let from = int_or_nil(&pair[0]).map_err(|e| at(&e))?;
                let to = int_or_nil(&pair[1]).map_err(|e| at(&e))?.ok_or_else(|| at(":cas needs a new value"))?;
                let result = match p.outcome {
                    Outcome::Ok => OpResult::Written,
                    Outcome::Fail => OpResult::Fail("compare failed".into()),
                    _ => unknown(),
                };
                (Op::Write { key, value: to }, result, Some(RegOp::Cas { from, to }))
            }
        };
        if p.outcome != Outcome::Fail {
            if let Some(r) = regop {
                lines.insert(id as u64, p.line);
                reg.push((key, RegEvent { id: id as u64, op: r, invoke: p.invoke, complete }));
            }
        }
        ops.push(OpRecord {
            id,
            session,
            op,
            consistency: None,
            scheduled_at: p.invoke / 1000,
            invoke_at: Some(p.invoke / 1000),
            complete_at: Some(p.complete / 1000),
            result: Some(result),
            served_by: None,
            version: None,
            assigned_id: None,
            epoch: None,
            lsn: None,
            contacted: Vec::new(),
        });
    }
    let mut notes = common_notes(paired);
    if nil_reads > 0 {
        notes.push(format!("{nil_reads} read(s) returned nil: with --nil-read any they constrain nothing"));
    }
    if let Some(v) = conventions.initial {
        notes.push(format!("every register starts at {v} (--initial)"));
    }
    // Attribute read values to writes where the value identifies one write of that key.
    let mut writers: BTreeMap<(Sym, i64), Vec<OpId>> = BTreeMap::new();
    for o in &ops {
        if let (Op::Write { key, value }, Some(r)) = (&o.op, &o.result) {
            if !matches!(r, OpResult::Fail(_)) {
                writers.entry((*key, *value)).or_default().push(o.id);
            }
        }
    }
    let mut unattributed = 0;
    for o in &mut ops {
        if let (Op::Read { key }, Some(OpResult::Read(ReadValue::Register(seen)))) = (&o.op, &mut o.result) {
            if let Some(s) = seen.first_mut() {
                // The initial value counts as one more write of it.
                let initial = conventions.initial == Some(s.value);
                match writers.get(&(*key, s.value)).map(Vec::as_slice) {
                    Some([w]) if !initial => s.write = *w,
                    _ => {
                        unattributed += 1;
                        o.result = Some(OpResult::Info("value written more than once: not attributed".into()));
                    }
                }
            }
        }
    }
    if unattributed > 0 {
        notes.push(format!("{unattributed} read(s) return a value written more than once (or never): skipped by the anomaly checks, still used for linearizability"));
    }
    let mut registers: BTreeMap<Sym, Vec<RegEvent>> = BTreeMap::new();
    for (k, e) in reg {
        registers.entry(k).or_default().push(e);
    }
    Ok(Imported { history: History { ops }, names, registers, lines, notes, conventions })
}

/// The verdict on a history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub operations: usize,
    /// Per key: linearizable, not (with the operations), or unknown (budget).
    pub linearizability: Vec<(String, Verdict)>,
    pub linearizable: Option<bool>,
    pub anomalies: Vec<Anomaly>,
    pub notes: Vec<String>,
}

/// Register events of every register-only key of a history (skipping keys with sibling reads).
pub fn register_events(history: &History, notes: &mut Vec<String>, names: &Names) -> BTreeMap<Sym, Vec<RegEvent>> {
    let mut out: BTreeMap<Sym, Vec<RegEvent>> = BTreeMap::new();
    let mut not_registers = std::collections::BTreeSet::new();
    if history.ops.iter().any(|o| matches!(o.op, Op::DeleteAll)) {
        notes.push("the history deletes every key at once; linearizability of single registers not checked".into());
        return out;
    }
    for o in &history.ops {
        let Some(invoke) = o.invoke_at else { continue };
        let ev = match (&o.op, &o.result) {
            (_, Some(OpResult::Fail(_))) => continue,
            (Op::Write { key, value } | Op::Bulk { key, value, .. }, r) => {
                let complete = matches!(r, Some(OpResult::Written)).then_some(o.complete_at).flatten();
                (*key, RegEvent { id: o.id as u64, op: RegOp::Write(*value), invoke, complete })
            }
            (Op::Read { key }, Some(OpResult::Read(ReadValue::Register(v)))) => {
                if v.len() > 1 {
                    not_registers.insert(*key);
                    continue;
                }
                (
                    *key,
                    RegEvent {
                        id: o.id as u64,
                        op: RegOp::Read(v.first().map(|s| s.value)),
                        invoke,
                        complete: o.complete_at,
                    },
                )
            }
            (Op::Read { .. }, _) => continue,
            (other, _) => {
                if let Some(k) = other.key() {
                    not_registers.insert(k);
                }
                continue;
            }
        };
        out.entry(ev.0).or_default().push(ev.1);
    }
    for k in &not_registers {
        out.remove(k);
        notes.push(format!(
            "{}: not a single-valued register (siblings, counters or sets); linearizability not checked",
            names.get(*k)
        ));
    }
    out
}

/// Linearizability of each key, as anomalies (one per non-linearizable key).
pub fn linearizability(
    registers: &BTreeMap<Sym, Vec<RegEvent>>,
    names: &Names,
    budget: u64,
) -> (Vec<(String, Verdict)>, Vec<Anomaly>) {
    linearizability_from(registers, names, budget, None)
}

/// [`linearizability`] for registers that start at `initial` (None: empty).
pub fn linearizability_from(
    registers: &BTreeMap<Sym, Vec<RegEvent>>,
    names: &Names,
    budget: u64,
    initial: Option<i64>,
) -> (Vec<(String, Verdict)>, Vec<Anomaly>) {
    let mut verdicts = Vec::new();
    let mut anomalies = Vec::new();
    for (k, events) in registers {
        let v = check_with_budget(events, initial, budget);
        if let Verdict::NotLinearizable { ops, explanation } = &v {
            let time = events.iter().filter(|e| ops.contains(&e.id)).filter_map(|e| e.complete).max().unwrap_or(0);
            anomalies.push(Anomaly {
                kind: AnomalyKind::NotLinearizable,
                time,
                ops: ops.iter().map(|o| *o as OpId).collect(),
                nodes: Vec::new(),
                messages: Vec::new(),
                explanation: format!(
                    "The history of {} cannot be explained by one copy of the data: {explanation} (not linearizable).",
                    names.get(*k)
                ),
                also: Vec::new(),
            });
        }
        verdicts.push((names.get(*k).to_string(), v));
    }
    (verdicts, anomalies)
}

/// A history's verdict from its objects': not linearizable if one is not, undecided if one is,
/// else linearizable.
pub(super) fn overall<'a>(verdicts: impl Iterator<Item = &'a Verdict> + Clone) -> Option<bool> {
    if verdicts.clone().any(|v| matches!(v, Verdict::NotLinearizable { .. })) {
        Some(false)
    } else if verdicts.into_iter().any(|v| matches!(v, Verdict::Unknown { .. })) {
        None
    } else {
        Some(true)
    }
}

/// Checks an imported history.
pub fn check_imported(imported: &Imported, budget: u64) -> CheckReport {
    let facts = Facts { names: Some(&imported.names), ..Facts::default() };
    let mut anomalies = check(&imported.history, &facts);
    let (verdicts, lin) =
        linearizability_from(&imported.registers, &imported.names, budget, imported.conventions.initial);
    anomalies.extend(lin);
    crate::checker::sort_anomalies(&mut anomalies);
    let linearizable = overall(verdicts.iter().map(|(_, v)| v));
    CheckReport {
        operations: imported.history.ops.len(),
        linearizability: verdicts,
        linearizable,
        anomalies,
        notes: imported.notes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_and_checks_a_jepsen_history() {
        let text = "\
{:process 0, :type :invoke, :f :write, :value 1}
{:process 0, :type :ok, :f :write, :value 1}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value 1}
{:process 2, :type :invoke, :f :cas, :value [1 2]}
{:process 2, :type :ok, :f :cas, :value [1 2]}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value 1}
{:process :nemesis, :type :info, :f :start, :value nil}
";
        let imp = import_edn(text).unwrap();
        assert_eq!(imp.history.ops.len(), 4);
        let report = check_imported(&imp, 100_000);
        // The last read returns 1 after the cas to 2 completed: stale, and not linearizable.
        assert_eq!(report.linearizable, Some(false), "{report:#?}");
        assert!(report.anomalies.iter().any(|a| a.kind == AnomalyKind::StaleRead), "{report:#?}");
        assert!(report.notes.iter().any(|n| n.contains("nemesis")));
    }

    #[test]
    fn malformed_files_name_the_line_and_reason() {
        for (text, want) in [
            (
                "{:process 0, :type :ok, :f :read, :value 1}",
                "line 1: process 0 completes an operation it never invoked",
            ),
            (
                "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :invoke, :f :write, :value 2}",
                "line 2",
            ),
            ("{:process 0, :type :invoke, :f :frob, :value 1}", "line 1: :f :frob is not a register operation"),
            (
                "{:process 0 :type :invoke :f :write :value \"x\"}\n{:process 0 :type :ok :f :write :value \"x\"}",
                "line 2: expected an integer",
            ),
            ("[1 2", "line 1"),
            ("{:type :invoke}", "missing :process"),
            ("{:process 0, :type :bogus, :f :read}", ":type :bogus"),
        ] {
            let e = import_edn(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn export_then_import_round_trips() {
        let text = "\
{:process 0, :type :invoke, :f :write, :value [:x 1], :time 0}
{:process 0, :type :ok, :f :write, :value [:x 1], :time 5000}
{:process 1, :type :invoke, :f :read, :value [:y nil], :time 6000}
{:process 1, :type :ok, :f :read, :value [:y nil], :time 9000}
{:process 2, :type :invoke, :f :write, :value [:y 4], :time 10000}
{:process 2, :type :info, :f :write, :value [:y 4], :time 20000}
";
        let a = import_edn(text).unwrap();
        let out = export_edn(&a.history, &a.names);
        let b = import_edn(&out).unwrap();
        assert_eq!(a.history, b.history, "{out}");
        assert_eq!(a.registers, b.registers);
    }
}
