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
struct Paired {
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
struct PairedHistory {
    ops: Vec<Paired>,
    skipped_nemesis: usize,
    tags: std::collections::BTreeSet<String>,
}

/// Reads a history file and pairs each invocation with its process's next completion. Errors
/// name the line and the reason.
fn pair_operations(text: &str) -> Result<PairedHistory, String> {
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
            Some(Edn::Int(t)) if *t >= 0 => *t as u64 / 1000,
            Some(_) => return Err(at(":time must be a non-negative integer (nanoseconds)")),
            None => index as u64,
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
    let paired = pair_operations(text)?;
    let mut names = Names::default();
    let mut sessions: BTreeMap<i64, ClientId> = BTreeMap::new();
    let mut free_lanes: std::collections::BTreeSet<u8> = std::collections::BTreeSet::new();
    let mut next_lane: u16 = 0;
    let mut ops: Vec<OpRecord> = Vec::new();
    let mut reg: Vec<(Sym, RegEvent)> = Vec::new();
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
                reg.push((key, RegEvent { id: id as u64, op: r, invoke: p.invoke, complete }));
            }
        }
        ops.push(OpRecord {
            id,
            session,
            op,
            consistency: None,
            scheduled_at: p.invoke,
            invoke_at: Some(p.invoke),
            complete_at: Some(p.complete),
            result: Some(result),
            served_by: None,
            version: None,
            assigned_id: None,
            epoch: None,
            lsn: None,
            contacted: Vec::new(),
        });
    }
    let mut notes = common_notes(&paired);
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
    Ok(Imported { history: History { ops }, names, registers, notes, conventions })
}

fn edn_key(name: &str) -> Edn {
    if !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        Edn::Keyword(name.to_string())
    } else {
        Edn::Str(name.to_string())
    }
}

/// Writes a history in Jepsen's format: one map per line, invocations and completions in time
/// order, `:time` in nanoseconds, independent `[key value]` tuples when there is more than one
/// key. Only register operations are written; others are counted in a leading comment.
pub fn export_edn(history: &History, names: &Names) -> String {
    let keys: std::collections::BTreeSet<Sym> = history.ops.iter().filter_map(|o| o.op.key()).collect();
    let multi = keys.len() > 1;
    let mut events: Vec<(u64, u8, u32, String)> = Vec::new();
    let mut skipped = 0;
    for o in &history.ops {
        let Some(invoke) = o.invoke_at else { continue };
        let (f, key, in_v, out_v) = match (&o.op, &o.result) {
            (Op::Write { key, value } | Op::Bulk { key, value, .. }, _) => {
                ("write", *key, Edn::Int(*value), Edn::Int(*value))
            }
            (Op::Read { key }, r) => {
                let out = match r {
                    Some(OpResult::Read(ReadValue::Register(v))) if v.len() == 1 => Edn::Int(v[0].value),
                    Some(OpResult::Read(ReadValue::Register(v))) if v.len() > 1 => {
                        Edn::Set(v.iter().map(|s| Edn::Int(s.value)).collect())
                    }
                    _ => Edn::Nil,
                };
                ("read", *key, Edn::Nil, out)
            }
            _ => {
                skipped += 1;
                continue;
            }
        };
        let wrap = |v: Edn| if multi { Edn::Vector(vec![edn_key(names.get(key)), v]) } else { v };
        let line = |ty: &str, v: Edn, t: u64| {
            write(&Edn::Map(vec![
                (Edn::Keyword("process".into()), Edn::Int(o.session.0 as i64)),
                (Edn::Keyword("type".into()), Edn::Keyword(ty.into())),
                (Edn::Keyword("f".into()), Edn::Keyword(f.into())),
                (Edn::Keyword("value".into()), wrap(v)),
                (Edn::Keyword("time".into()), Edn::Int((t * 1000) as i64)),
            ]))
        };
        events.push((invoke, 1, o.id, line("invoke", in_v.clone(), invoke)));
        let (ty, v) = match &o.result {
            Some(OpResult::Written) => ("ok", out_v),
            Some(OpResult::Read(_)) => ("ok", out_v),
            Some(OpResult::Fail(_)) => ("fail", in_v),
            Some(OpResult::Info(_)) | None => ("info", in_v),
        };
        let done = o.complete_at.unwrap_or(invoke);
        events.push((done, 0, o.id, line(ty, v, done)));
    }
    // Completions before invocations at the same instant keep real-time order on re-import.
    crate::sort::sort_by_key(&mut events, |(t, kind, id, _)| (*t, *kind, *id));
    let mut out = String::new();
    if skipped > 0 {
        out.push_str(&format!("; {skipped} non-register operation(s) omitted\n"));
    }
    for (_, _, _, l) in events {
        out.push_str(&l);
        out.push('\n');
    }
    out
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

/// Checks an imported history.
pub fn check_imported(imported: &Imported, budget: u64) -> CheckReport {
    let facts = Facts { names: Some(&imported.names), ..Facts::default() };
    let mut anomalies = check(&imported.history, &facts);
    let (verdicts, lin) =
        linearizability_from(&imported.registers, &imported.names, budget, imported.conventions.initial);
    anomalies.extend(lin);
    crate::checker::sort_anomalies(&mut anomalies);
    let linearizable = if verdicts.iter().any(|(_, v)| matches!(v, Verdict::NotLinearizable { .. })) {
        Some(false)
    } else if verdicts.iter().any(|(_, v)| matches!(v, Verdict::Unknown { .. })) {
        None
    } else {
        Some(true)
    };
    CheckReport {
        operations: imported.history.ops.len(),
        linearizability: verdicts,
        linearizable,
        anomalies,
        notes: imported.notes.clone(),
    }
}

/// The objects a history can be checked against (`check --model`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// A register per key: `:read`, `:write`, `:cas` (Knossos' `cas-register`).
    Register,
    /// Porcupine's key-value store: `:get`, `:put`, `:append` of strings, the key in `:key`.
    Kv,
    /// Knossos' multi-register: `:txn` of `[:read k v]` / `[:write k v]` steps.
    MultiRegister,
    /// Knossos' mutex: `:acquire`, `:release`.
    Mutex,
}

impl ModelKind {
    pub const ALL: [ModelKind; 4] = [ModelKind::Register, ModelKind::Kv, ModelKind::MultiRegister, ModelKind::Mutex];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Register => "register",
            ModelKind::Kv => "kv",
            ModelKind::MultiRegister => "multi-register",
            ModelKind::Mutex => "mutex",
        }
    }

    /// A model's name; `cas-register` is Knossos' name for the register.
    pub fn parse(s: &str) -> Option<ModelKind> {
        match s {
            "cas-register" => Some(ModelKind::Register),
            _ => ModelKind::ALL.into_iter().find(|m| m.name() == s),
        }
    }
}

/// The verdict on a history checked against a [`ModelKind`] other than the register (whose
/// report, [`CheckReport`], also carries ReplicaScope's anomaly checks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    pub model: ModelKind,
    pub operations: usize,
    pub linearizable: Option<bool>,
    /// Per key of the key-value store, or one entry for the whole object. The operations a
    /// violation names are the lines of their invocations.
    pub linearizability: Vec<(String, Verdict)>,
    pub notes: Vec<String>,
}

fn string_value(v: &Edn, what: &str) -> Result<String, String> {
    match v {
        Edn::Str(s) => Ok(s.clone()),
        Edn::Int(i) => Ok(i.to_string()),
        other => Err(format!("{what} must be a string, found {}", crate::vocab::truncate(&write(other)))),
    }
}

/// Checks a history file against `model` (not the register: see [`import_edn_with`]).
pub fn check_model_edn(
    text: &str,
    model: ModelKind,
    conventions: Conventions,
    budget: u64,
) -> Result<ModelReport, String> {
    use crate::linearizability::{check_model, Event};
    use crate::models::{KvKey, KvOp, Micro, MultiRegister, Mutex, MutexOp, Txn};
    let paired = pair_operations(text)?;
    let mut notes = common_notes(&paired);
    let expect = |p: &Paired, allowed: &[&str]| -> Result<(), String> {
        if allowed.contains(&p.f.as_str()) {
            Ok(())
        } else {
            Err(format!(
                "line {}: :f :{} is not a {} operation ({})",
                p.line,
                crate::vocab::truncate(&p.f),
                model.name(),
                allowed.join(", ")
            ))
        }
    };
    // Failed operations did not happen; the rest are checked, those with no :ok as unknown.
    let live: Vec<&Paired> = paired.ops.iter().filter(|p| p.outcome != Outcome::Fail).collect();
    let event = |p: &Paired| (p.line as u64, p.invoke, (p.outcome == Outcome::Ok).then_some(p.complete));
    let mut verdicts: Vec<(String, Verdict)> = Vec::new();
    match model {
        ModelKind::Register => return Err("the register model is checked by import_edn_with".into()),
        ModelKind::Kv => {
            let mut keys: BTreeMap<String, Vec<Event<KvOp>>> = BTreeMap::new();
            let mut unconstrained = 0;
            for p in &live {
                expect(p, &["get", "put", "append"])?;
                let at = |m: String| format!("line {}: {m}", p.done_line);
                let key = match p.invocation.get("key") {
                    Some(k) => key_name(&Some(k.clone())),
                    None => return Err(format!("line {}: a key-value operation needs a :key", p.line)),
                };
                if keys.len() >= MAX_KEYS && !keys.contains_key(&key) {
                    return Err(at(format!("more than {MAX_KEYS} keys")));
                }
                let op = match p.f.as_str() {
                    "get" => {
                        if p.outcome != Outcome::Ok {
                            continue; // a get of unknown outcome tells nothing
                        }
                        match p.completion.get("value") {
                            None | Some(Edn::Nil) if conventions.nil_read == NilRead::Any => {
                                unconstrained += 1;
                                continue;
                            }
                            None | Some(Edn::Nil) => KvOp::Get(String::new()),
                            Some(v) => KvOp::Get(string_value(v, "a get's :value").map_err(at)?),
                        }
                    }
                    f => {
                        let v =
                            string_value(p.invocation.get("value").unwrap_or(&Edn::Nil), &format!("a {f}'s :value"))
                                .map_err(|e| format!("line {}: {e}", p.line))?;
                        if f == "put" {
                            KvOp::Put(v)
                        } else {
                            KvOp::Append(v)
                        }
                    }
                };
                let (id, invoke, complete) = event(p);
                keys.entry(key).or_default().push(Event { id, op, invoke, complete });
            }
            if unconstrained > 0 {
                notes.push(format!("{unconstrained} get(s) returned nil: with --nil-read any they constrain nothing"));
            }
            notes.push("every key starts as the empty string".into());
            for (key, events) in keys {
                verdicts.push((key, check_model(&KvKey, &events, String::new(), budget)));
            }
        }
        ModelKind::Mutex => {
            let mut events = Vec::new();
            for p in &live {
                expect(p, &["acquire", "release"])?;
                let op = if p.f == "acquire" { MutexOp::Acquire } else { MutexOp::Release };
                let (id, invoke, complete) = event(p);
                events.push(Event { id, op, invoke, complete });
            }
            notes.push("the mutex starts free".into());
            verdicts.push(("mutex".into(), check_model(&Mutex, &events, false, budget)));
        }
        ModelKind::MultiRegister => {
            let mut events = Vec::new();
            let mut nil_steps = 0;
            for p in &live {
                expect(p, &["txn"])?;
                let line = if p.outcome == Outcome::Ok { p.done_line } else { p.line };
                let at = |m: &str| format!("line {line}: {m}");
                let (Edn::Vector(steps) | Edn::List(steps)) = p.value() else {
                    return Err(at("a :txn needs a vector of [:read k v] / [:write k v] steps"));
                };
                let mut micros = Vec::new();
                for step in &steps {
                    let (Edn::Vector(parts) | Edn::List(parts)) = step else {
                        return Err(at("each step of a :txn is [:read k v] or [:write k v]"));
                    };
                    let [f, k, v] = parts.as_slice() else {
                        return Err(at("each step of a :txn is [:read k v] or [:write k v]"));
                    };
                    let key = key_name(&Some(k.clone()));
                    let value = int_or_nil(v).map_err(|e| at(&e))?;
                    match (f.keyword(), value) {
                        (Some("write"), Some(v)) => micros.push(Micro::Write(key, v)),
                        (Some("write"), None) => return Err(at("a :write step needs a value")),
                        (Some("read"), _) if p.outcome != Outcome::Ok => {} // unknown result
                        (Some("read"), None) if conventions.nil_read == NilRead::Any => nil_steps += 1,
                        (Some("read"), v) => micros.push(Micro::Read(key, v)),
                        _ => return Err(at("each step of a :txn is [:read k v] or [:write k v]")),
                    }
                }
                let (id, invoke, complete) = event(p);
                events.push(Event { id, op: Txn(micros), invoke, complete });
            }
            if nil_steps > 0 {
                notes
                    .push(format!("{nil_steps} read step(s) returned nil: with --nil-read any they constrain nothing"));
            }
            if let Some(v) = conventions.initial {
                notes.push(format!("every register starts at {v} (--initial)"));
            }
            let m = MultiRegister { initial: conventions.initial };
            verdicts.push(("registers".into(), check_model(&m, &events, BTreeMap::new(), budget)));
        }
    }
    let linearizable = if verdicts.iter().any(|(_, v)| matches!(v, Verdict::NotLinearizable { .. })) {
        Some(false)
    } else if verdicts.iter().any(|(_, v)| matches!(v, Verdict::Unknown { .. })) {
        None
    } else {
        Some(true)
    };
    Ok(ModelReport { model, operations: paired.ops.len(), linearizable, linearizability: verdicts, notes })
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
