//! The engine's vocabulary, at the bottom of its modules: the names a scenario interns, the
//! operation phrases (`write x=5`) and the kinds of data keys hold, the topology kinds, and the
//! bounds on every input. Everything above uses these words; this module uses only `model` and
//! `time`, so that scenario files, topologies, faults, checkers and links can all import it
//! without importing one another.

use crate::model::{ClientId, ClientOp, Op, Sym};
use crate::sorted::VecMap;
use crate::time::{SimTime, MICROS_PER_S};
use serde::{Deserialize, Serialize};

pub const MAX_NODES: usize = 16;
pub const MAX_SESSIONS: usize = 32;
pub const MAX_OPS: u64 = 100_000;
pub const MAX_FAULTS: usize = 1_000;
pub const MAX_DURATION: u64 = 600 * MICROS_PER_S;
pub const MAX_NAMES: usize = 64;
pub const MAX_NAME_LEN: usize = 32;
pub const MAX_TEXT: usize = 600;
pub const MAX_CAPTIONS: usize = 64;
pub const MAX_REGIONS: usize = 6;

/// The interned names of a scenario (keys, set elements, tables).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    pub names: Vec<String>,
}

impl Names {
    pub fn get(&self, s: Sym) -> &str {
        self.names.get(s.0 as usize).map(String::as_str).unwrap_or("?")
    }
    pub fn lookup(&self, name: &str) -> Option<Sym> {
        self.names.iter().position(|n| n == name).map(|i| Sym(i as u16))
    }
    pub fn intern(&mut self, name: &str) -> Result<Sym, String> {
        self.intern_up_to(name, MAX_NAMES)
    }

    /// Like `intern`, with another bound (an imported history may name many more keys than a
    /// scenario; a `Sym` holds at most 65,536).
    pub fn intern_up_to(&mut self, name: &str, max: usize) -> Result<Sym, String> {
        if let Some(s) = self.lookup(name) {
            return Ok(s);
        }
        let max = max.min(u16::MAX as usize + 1);
        if self.names.len() >= max {
            return Err(format!("too many distinct names (at most {max})"));
        }
        self.names.push(name.to_string());
        Ok(Sym((self.names.len() - 1) as u16))
    }
}

/// The registry of topologies: one row each, in display order — the kind's name, the module
/// under `topology/` that implements it (its `Config` and `Protocol`, see
/// `topology::Topology`), the short code links use, and the title panes show. Every list of
/// topologies in the engine (`TopologyKind`, the scenario's `topologies` fields, `AnyRun`) is
/// generated from these rows by a macro given to `topologies!`; the page takes its panes from
/// `TopologyKind::ALL`. Adding a topology is a module under `topology/` and a row here.
macro_rules! topologies {
    ($make:ident) => {
        $make! {
            LeaderFollower, leader_follower, "lf", "Leader-follower";
            MultiLeader, multi_leader, "ml", "Multi-leader";
            Leaderless, leaderless, "ll", "Leaderless";
            SingleNode, single_node, "sn", "Single node";
        }
    };
}
pub(crate) use topologies;

macro_rules! define_topology_kind {
    ($($kind:ident, $module:ident, $code:literal, $title:literal;)*) => {
        /// Which topology a pane runs.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum TopologyKind {
            $($kind,)*
        }

        impl TopologyKind {
            /// Every topology, in display order.
            pub const ALL: &'static [TopologyKind] = &[$(TopologyKind::$kind,)*];

            /// The name scenario files and the CLI use: `leader_follower`.
            pub fn name(self) -> &'static str {
                match self {
                    $(TopologyKind::$kind => stringify!($module),)*
                }
            }
            pub fn title(self) -> &'static str {
                match self {
                    $(TopologyKind::$kind => $title,)*
                }
            }
            /// The short code links and settings use: `lf`.
            pub fn code(self) -> &'static str {
                match self {
                    $(TopologyKind::$kind => $code,)*
                }
            }
        }
    };
}
topologies!(define_topology_kind);

impl TopologyKind {
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == s)
    }
    /// A kind from its code, or from its name.
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.code() == s).or_else(|| Self::parse(s))
    }
    /// The names, for messages: "leader_follower, multi_leader or leaderless".
    pub fn names_listed() -> String {
        listed(Self::ALL.iter().map(|k| k.name()))
    }
    /// The codes, for messages: "lf, ml or ll".
    pub fn codes_listed() -> String {
        listed(Self::ALL.iter().map(|k| k.code()))
    }
}

/// "a, b or c".
fn listed<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// An operation placed in time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledOp {
    pub at: SimTime,
    pub session: ClientId,
    pub op: ClientOp,
}

/// Shortens untrusted text before quoting it back in a message.
pub fn truncate(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(24).collect();
    if s.chars().count() > 24 {
        out.push('…');
    }
    out
}

pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

/// Parses an operation phrase: `read x`, `write x=5`, `write x 5`, `bulk x=5 rows=1000`,
/// `incr likes`, `incr likes 3`, `decr likes 2`, `add cart milk`, `remove cart milk`,
/// `insert orders`, `delete_all`.
pub fn parse_op(text: &str, names: &mut Names) -> Result<Op, String> {
    if text.len() > 120 {
        return Err("operation text is longer than 120 characters".into());
    }
    let words: Vec<&str> = text.split(|c: char| c.is_whitespace() || c == '=').filter(|w| !w.is_empty()).collect();
    let verb = words.first().copied().unwrap_or("");
    let name = |i: usize, what: &str, names: &mut Names| -> Result<Sym, String> {
        let w = words.get(i).ok_or_else(|| format!("\"{verb}\" needs a {what}"))?;
        if !valid_name(w) {
            return Err(format!("\"{}\" is not a valid {what} name (1–32 letters, digits, _ - . :)", truncate(w)));
        }
        names.intern(w)
    };
    let int = |i: usize, what: &str| -> Result<i64, String> {
        let w = words.get(i).ok_or_else(|| format!("\"{verb}\" needs a {what}"))?;
        let v: i64 = w.parse().map_err(|_| format!("\"{}\" is not a whole number", truncate(w)))?;
        if v.unsigned_abs() > 1_000_000_000_000 {
            return Err(format!("{what} {v} is out of range (±10^12)"));
        }
        Ok(v)
    };
    let arity = |n: usize| -> Result<(), String> {
        if words.len() > n {
            Err(format!("unexpected \"{}\" after \"{verb}\"", truncate(words[n])))
        } else {
            Ok(())
        }
    };
    let op = match verb {
        "read" | "get" => {
            arity(2)?;
            Op::Read { key: name(1, "key", names)? }
        }
        "write" | "set" | "put" => {
            arity(3)?;
            Op::Write { key: name(1, "key", names)?, value: int(2, "value")? }
        }
        "bulk" => {
            let key = name(1, "key", names)?;
            let value = int(2, "value")?;
            if words.get(3) != Some(&"rows") {
                return Err("write bulk as \"bulk KEY=VALUE rows=N\"".into());
            }
            let rows = int(4, "rows")?;
            arity(5)?;
            if !(1..=10_000_000).contains(&rows) {
                return Err(format!("rows {rows} is out of range; allowed 1 to 10000000"));
            }
            Op::Bulk { key, value, rows: rows as u32 }
        }
        "incr" | "decr" => {
            arity(3)?;
            let key = name(1, "key", names)?;
            let by = if words.len() > 2 { int(2, "amount")? } else { 1 };
            Op::Increment { key, by: if verb == "decr" { -by } else { by } }
        }
        "add" => {
            arity(3)?;
            Op::SetAdd { key: name(1, "key", names)?, elem: name(2, "element", names)? }
        }
        "remove" => {
            arity(3)?;
            Op::SetRemove { key: name(1, "key", names)?, elem: name(2, "element", names)? }
        }
        "insert" => {
            arity(2)?;
            Op::Insert { table: name(1, "table", names)? }
        }
        "delete_all" => {
            arity(1)?;
            Op::DeleteAll
        }
        "" => return Err("empty operation".into()),
        other => {
            return Err(format!(
                "unknown operation \"{}\"; use read, write, bulk, incr, decr, add, remove, insert or delete_all",
                truncate(other)
            ))
        }
    };
    Ok(op)
}

/// Formats an operation back into its phrase.
pub fn op_phrase(op: &Op, names: &Names) -> String {
    match op {
        Op::Read { key } => format!("read {}", names.get(*key)),
        Op::Write { key, value } => format!("write {}={value}", names.get(*key)),
        Op::Bulk { key, value, rows } => format!("bulk {}={value} rows={rows}", names.get(*key)),
        Op::Increment { key, by } if *by < 0 => format!("decr {} {}", names.get(*key), -by),
        Op::Increment { key, by } => format!("incr {} {by}", names.get(*key)),
        Op::SetAdd { key, elem } => format!("add {} {}", names.get(*key), names.get(*elem)),
        Op::SetRemove { key, elem } => format!("remove {} {}", names.get(*key), names.get(*elem)),
        Op::Insert { table } => format!("insert {}", names.get(*table)),
        Op::DeleteAll => "delete_all".into(),
    }
}

/// What a write does, as a log entry shows it: `k1 = 5`, `hits +1`, `cart += milk`.
pub fn effect_label(op: &Op, names: &Names) -> String {
    match op {
        Op::Read { key } => format!("read {}", names.get(*key)),
        Op::Write { key, value } => format!("{} = {value}", names.get(*key)),
        Op::Bulk { key, value, rows } => format!("{} = {value} ({rows} rows)", names.get(*key)),
        Op::Increment { key, by } => format!("{} {by:+}", names.get(*key)),
        Op::SetAdd { key, elem } => format!("{} += {}", names.get(*key), names.get(*elem)),
        Op::SetRemove { key, elem } => format!("{} -= {}", names.get(*key), names.get(*elem)),
        Op::Insert { table } => format!("insert into {}", names.get(*table)),
        Op::DeleteAll => "DELETE ALL".into(),
    }
}

/// The kind of data a key holds, inferred from the operations that touch it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyKind {
    Register,
    Counter,
    Set,
    Table,
}

impl KeyKind {
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Register => "register",
            KeyKind::Counter => "counter",
            KeyKind::Set => "set",
            KeyKind::Table => "table",
        }
    }
}

pub fn key_kind(op: &Op) -> Option<KeyKind> {
    match op {
        Op::Write { .. } | Op::Bulk { .. } => Some(KeyKind::Register),
        Op::Increment { .. } => Some(KeyKind::Counter),
        Op::SetAdd { .. } | Op::SetRemove { .. } => Some(KeyKind::Set),
        Op::Insert { .. } => Some(KeyKind::Table),
        Op::Read { .. } | Op::DeleteAll => None,
    }
}

/// Key kinds of a plan's operations (registers where nothing but reads touch a key).
pub fn key_kinds(ops: &[ScheduledOp]) -> VecMap<Sym, KeyKind> {
    let mut kinds = VecMap::new();
    for s in ops {
        if let (Some(k), Some(kind)) = (s.op.op.key(), key_kind(&s.op.op)) {
            kinds.entry(k).or_insert(kind);
        }
    }
    kinds
}
