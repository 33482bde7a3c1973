//! Checking a history against the other models Knossos and Porcupine know: a key-value store,
//! Knossos' multi-register and mutex (`check --model`).

#[allow(unused_imports)]
use super::*;

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

pub(super) fn string_value(v: &Edn, what: &str) -> Result<String, String> {
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
    struct Check {
        budget: u64,
        verdicts: Vec<(String, Verdict)>,
    }
    impl PerObject for Check {
        fn object<M: crate::linearizability::Model>(
            &mut self,
            model: &M,
            name: String,
            events: Vec<crate::linearizability::Event<M::Op>>,
            initial: M::State,
        ) {
            let verdict = crate::linearizability::check_model(model, &events, initial, self.budget);
            self.verdicts.push((name, verdict));
        }
    }
    let paired = pair_operations(text)?;
    let mut check = Check { budget, verdicts: Vec::new() };
    let notes = each_object(&paired, model, conventions, &mut check)?;
    let verdicts = check.verdicts;
    let linearizable = overall(verdicts.iter().map(|(_, v)| v));
    Ok(ModelReport { model, operations: paired.ops.len(), linearizable, linearizability: verdicts, notes })
}

/// What is done with each object of a history (each key of a key-value store, or the one
/// mutex): checked, for the CLI, or checked and drawn, for the page.
pub(super) trait PerObject {
    fn object<M: crate::linearizability::Model>(
        &mut self,
        model: &M,
        name: String,
        events: Vec<crate::linearizability::Event<M::Op>>,
        initial: M::State,
    );
}

/// Reads a paired history as operations on `model`'s objects (not the register: see
/// [`import_edn_with`]), hands each object's events to `sink`, and returns the notes. The
/// events' ids are the lines of their invocations.
pub(super) fn each_object(
    paired: &PairedHistory,
    model: ModelKind,
    conventions: Conventions,
    sink: &mut impl PerObject,
) -> Result<Vec<String>, String> {
    use crate::linearizability::Event;
    use crate::models::{KvKey, KvOp, Micro, MultiRegister, Mutex, MutexOp, Txn};
    let mut notes = common_notes(paired);
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
                sink.object(&KvKey, key, events, String::new());
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
            sink.object(&Mutex, "mutex".into(), events, false);
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
            sink.object(&m, "registers".into(), events, BTreeMap::new());
        }
    }
    Ok(notes)
}
