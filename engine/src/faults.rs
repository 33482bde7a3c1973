//! Faults and interventions, written as short phrases.
//!
//! The same phrases serve the fault script of a scenario, the interventions a user makes while
//! watching (recorded in the link), and the CLI. [`parse_fault`] is total: any string gives a
//! fault or a message that says what is wrong.

use crate::model::{parse_endpoint, ClientId, Endpoint, MsgId, NodeId};
use crate::protocol::Control;
use crate::time::{format_duration, parse_duration};
use crate::vocab::{truncate, TopologyKind};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Power loss: volatile state is gone, the durable log stays.
    Crash(NodeId),
    Restart(NodeId),
    /// A stall (a long GC pause): the node handles nothing for `for_us`, then catches up.
    Pause(NodeId, u64),
    Resume(NodeId),
    /// Endpoints in different groups cannot reach each other; unlisted endpoints reach everyone.
    Partition(Vec<Vec<Endpoint>>),
    /// One direction only: messages from `from` to `to` are lost.
    Cut {
        from: Vec<Endpoint>,
        to: Vec<Endpoint>,
    },
    /// Removes every partition, cut and slow link.
    Heal,
    /// Sets a node's clock offset from true time, microseconds.
    Skew(NodeId, i64),
    /// Sets a node's clock drift, parts per million.
    Drift(NodeId, i64),
    /// Extra one-way latency on a link.
    SlowLink {
        from: Endpoint,
        to: Endpoint,
        extra_us: u64,
        both: bool,
    },
    /// Multiplies a node's disk latency (1 restores it).
    SlowDisk(NodeId, u32),
    /// Sets the probability that any message is lost.
    DropRate(f64),
    Control(Control),
    /// Intervention only: lose this message in flight.
    DropMessage(MsgId),
}

/// A user's action while watching, recorded as input so a link replays it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Intervention {
    /// Simulated microseconds.
    pub at: u64,
    /// A fault phrase (`"crash n2"`, `"drop msg 41"`) or a client operation
    /// (`"c1: write x=5"`).
    pub action: String,
}

fn endpoint(word: &str) -> Result<Endpoint, String> {
    parse_endpoint(word)
        .ok_or_else(|| format!("\"{}\" is not a node (n1, n2, …) or session (c1, c2, …)", truncate(word)))
}

fn node(word: Option<&&str>) -> Result<NodeId, String> {
    let w = word.ok_or("needs a node such as n2")?;
    match endpoint(w)? {
        Endpoint::Node(n) => Ok(n),
        Endpoint::Client(_) => Err(format!("\"{}\" is a session; this fault needs a node", truncate(w))),
    }
}

fn endpoint_list(s: &str) -> Result<Vec<Endpoint>, String> {
    let list: Vec<Endpoint> = s
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(endpoint)
        .collect::<Result<_, _>>()?;
    if list.is_empty() {
        return Err("an empty group".into());
    }
    Ok(list)
}

fn signed_duration(s: &str) -> Result<i64, String> {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let us = parse_duration(rest)?;
    Ok(sign * us as i64)
}

/// Parses a fault phrase.
pub fn parse_fault(text: &str) -> Result<Fault, String> {
    if text.len() > 400 {
        return Err("fault text is longer than 400 characters".into());
    }
    let text = text.trim();
    let (verb, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    let words: Vec<&str> = rest.split_whitespace().collect();
    let no_more = |n: usize| -> Result<(), String> {
        match words.get(n) {
            Some(w) => Err(format!("unexpected \"{}\" after \"{verb}\"", truncate(w))),
            None => Ok(()),
        }
    };
    let fault = match verb {
        "crash" => {
            no_more(1)?;
            Fault::Crash(node(words.first())?)
        }
        "restart" | "recover" => {
            no_more(1)?;
            Fault::Restart(node(words.first())?)
        }
        "pause" => {
            no_more(2)?;
            let n = node(words.first())?;
            let d = parse_duration(words.get(1).ok_or("pause needs a duration, e.g. \"pause n2 3s\"")?)?;
            if d == 0 {
                return Err("a pause must last longer than 0s".into());
            }
            Fault::Pause(n, d)
        }
        "resume" => {
            no_more(1)?;
            Fault::Resume(node(words.first())?)
        }
        "partition" => {
            let groups: Vec<Vec<Endpoint>> = rest.split('|').map(endpoint_list).collect::<Result<_, _>>()?;
            if groups.len() < 2 {
                return Err("a partition needs at least two groups separated by |, e.g. \"partition n1,c1 | n2,n3\"".into());
            }
            let mut seen = Vec::new();
            for e in groups.iter().flatten() {
                if seen.contains(e) {
                    return Err(format!("{e} is in two groups"));
                }
                seen.push(*e);
            }
            Fault::Partition(groups)
        }
        "cut" => {
            let (a, b) = rest.split_once("->").ok_or("write a one-way cut as \"cut n1 -> n2,n3\"")?;
            Fault::Cut { from: endpoint_list(a)?, to: endpoint_list(b)? }
        }
        "heal" => {
            no_more(0)?;
            Fault::Heal
        }
        "skew" => {
            no_more(2)?;
            let n = node(words.first())?;
            let off = signed_duration(words.get(1).ok_or("skew needs an offset, e.g. \"skew n2 +500ms\"")?)?;
            Fault::Skew(n, off)
        }
        "drift" => {
            no_more(2)?;
            let n = node(words.first())?;
            let w = words.get(1).ok_or("drift needs a rate, e.g. \"drift n2 +200ppm\"")?;
            let num = w.strip_suffix("ppm").ok_or("write drift in ppm, e.g. \"+200ppm\"")?;
            let v: i64 = num.trim_start_matches('+').parse().map_err(|_| format!("\"{}\" is not a whole number of ppm", truncate(w)))?;
            if v.abs() > 100_000 {
                return Err("drift is out of range; allowed -100000 to +100000 ppm".into());
            }
            Fault::Drift(n, v)
        }
        "slow_link" => {
            let (both, parts) = if let Some((a, b)) = rest.split_once("<->") {
                (true, (a, b))
            } else if let Some((a, b)) = rest.split_once("->") {
                (false, (a, b))
            } else {
                return Err("write \"slow_link n1 -> n3 +200ms\" (or <-> for both directions)".into());
            };
            let from = endpoint(parts.0.trim())?;
            let mut right = parts.1.split_whitespace();
            let to = endpoint(right.next().ok_or("slow_link needs a destination")?)?;
            let extra = signed_duration(right.next().ok_or("slow_link needs an extra latency, e.g. +200ms")?)?;
            if let Some(w) = right.next() {
                return Err(format!("unexpected \"{}\"", truncate(w)));
            }
            if extra < 0 {
                return Err("extra latency cannot be negative".into());
            }
            Fault::SlowLink { from, to, extra_us: extra as u64, both }
        }
        "slow_disk" => {
            no_more(2)?;
            let n = node(words.first())?;
            let w = words.get(1).ok_or("slow_disk needs a factor, e.g. \"slow_disk n2 x20\"")?;
            let f: u32 = w.trim_start_matches('x').parse().map_err(|_| format!("\"{}\" is not a factor like x20", truncate(w)))?;
            if !(1..=10_000).contains(&f) {
                return Err("slow_disk factor is out of range; allowed x1 to x10000".into());
            }
            Fault::SlowDisk(n, f)
        }
        "drop_rate" => {
            no_more(1)?;
            let w = words.first().ok_or("drop_rate needs a probability, e.g. 0.1")?;
            let p: f64 = w.parse().map_err(|_| format!("\"{}\" is not a probability", truncate(w)))?;
            if !(0.0..=0.5).contains(&p) {
                return Err("drop_rate is out of range; allowed 0 to 0.5".into());
            }
            Fault::DropRate(p)
        }
        "promote" => {
            no_more(1)?;
            Fault::Control(Control::Promote(node(words.first())?))
        }
        "backup" => {
            no_more(0)?;
            Fault::Control(Control::Backup)
        }
        "restore" => {
            no_more(0)?;
            Fault::Control(Control::Restore)
        }
        "repair_topology" => {
            no_more(0)?;
            Fault::Control(Control::RepairTopology)
        }
        "drop" => {
            if words.first() != Some(&"msg") {
                return Err("write \"drop msg 41\" to drop a message".into());
            }
            no_more(2)?;
            let id: MsgId = words.get(1).ok_or("drop msg needs a message id")?.parse().map_err(|_| "message id must be a number".to_string())?;
            Fault::DropMessage(id)
        }
        "" => return Err("empty fault".into()),
        other => {
            return Err(format!(
                "unknown fault \"{}\"; use crash, restart, pause, resume, partition, cut, heal, skew, drift, slow_link, slow_disk, drop_rate, promote, backup, restore or repair_topology",
                truncate(other)
            ))
        }
    };
    Ok(fault)
}

impl Fault {
    /// Checks that every node or session named exists in every topology that runs.
    pub fn check_endpoints(&self, topologies: &[(TopologyKind, usize)], sessions: usize) -> Result<(), String> {
        for e in self.endpoints() {
            match e {
                Endpoint::Node(n) => {
                    for (kind, count) in topologies {
                        if n.0 as usize >= *count {
                            return Err(format!("{n} does not exist in {} (it has n1..n{count})", kind.name()));
                        }
                    }
                }
                Endpoint::Client(c) => {
                    if c.0 as usize >= sessions {
                        return Err(format!("{c} does not exist (sessions are c1..c{sessions})"));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn endpoints(&self) -> Vec<Endpoint> {
        match self {
            Fault::Crash(n) | Fault::Restart(n) | Fault::Pause(n, _) | Fault::Resume(n) => {
                vec![Endpoint::Node(*n)]
            }
            Fault::Skew(n, _) | Fault::Drift(n, _) | Fault::SlowDisk(n, _) => {
                vec![Endpoint::Node(*n)]
            }
            Fault::Partition(groups) => groups.iter().flatten().copied().collect(),
            Fault::Cut { from, to } => from.iter().chain(to).copied().collect(),
            Fault::SlowLink { from, to, .. } => vec![*from, *to],
            Fault::Control(Control::Promote(n)) => vec![Endpoint::Node(*n)],
            Fault::Control(_) | Fault::Heal | Fault::DropRate(_) | Fault::DropMessage(_) => vec![],
        }
    }

    /// The phrase that parses back into this fault.
    pub fn phrase(&self) -> String {
        let list = |v: &[Endpoint]| v.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(",");
        let signed = |v: i64| {
            if v < 0 {
                format!("-{}", format_duration(v.unsigned_abs()))
            } else {
                format!("+{}", format_duration(v as u64))
            }
        };
        match self {
            Fault::Crash(n) => format!("crash {n}"),
            Fault::Restart(n) => format!("restart {n}"),
            Fault::Pause(n, d) => format!("pause {n} {}", format_duration(*d)),
            Fault::Resume(n) => format!("resume {n}"),
            Fault::Partition(groups) => {
                format!("partition {}", groups.iter().map(|g| list(g)).collect::<Vec<_>>().join(" | "))
            }
            Fault::Cut { from, to } => format!("cut {} -> {}", list(from), list(to)),
            Fault::Heal => "heal".into(),
            Fault::Skew(n, off) => format!("skew {n} {}", signed(*off)),
            Fault::Drift(n, ppm) => format!("drift {n} {ppm:+}ppm"),
            Fault::SlowLink { from, to, extra_us, both } => {
                format!("slow_link {from} {} {to} +{}", if *both { "<->" } else { "->" }, format_duration(*extra_us))
            }
            Fault::SlowDisk(n, f) => format!("slow_disk {n} x{f}"),
            Fault::DropRate(p) => format!("drop_rate {p}"),
            Fault::Control(Control::Promote(n)) => format!("promote {n}"),
            Fault::Control(Control::Backup) => "backup".into(),
            Fault::Control(Control::Restore) => "restore".into(),
            Fault::Control(Control::RepairTopology) => "repair_topology".into(),
            Fault::DropMessage(id) => format!("drop msg {id}"),
        }
    }
}

/// A parsed intervention action.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Fault(Fault),
    ClientOp { session: ClientId, op: crate::model::Op },
}

/// Parses an intervention: a fault phrase, or `"c1: write x=5"`.
pub fn parse_action(text: &str, names: &mut crate::vocab::Names) -> Result<Action, String> {
    if let Some((who, op)) = text.split_once(':') {
        if let Some(Endpoint::Client(c)) = parse_endpoint(who) {
            let op = crate::vocab::parse_op(op.trim(), names)?;
            return Ok(Action::ClientOp { session: c, op });
        }
    }
    parse_fault(text).map(Action::Fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_round_trip() {
        for s in [
            "crash n1",
            "restart n2",
            "pause n2 3s",
            "resume n2",
            "partition n1,c1 | n2,n3,c2",
            "cut n1 -> n2,n3",
            "heal",
            "skew n2 +500ms",
            "skew n3 -1.5s",
            "drift n2 +200ppm",
            "slow_link n1 -> n3 +200ms",
            "slow_link n1 <-> n3 +1s",
            "slow_disk n2 x20",
            "drop_rate 0.1",
            "promote n3",
            "backup",
            "restore",
            "repair_topology",
            "drop msg 41",
        ] {
            let f = parse_fault(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(f.phrase(), s);
            assert_eq!(parse_fault(&f.phrase()).unwrap(), f);
        }
    }

    #[test]
    fn bad_phrases_explain() {
        for (s, want) in [
            ("crash", "needs a node"),
            ("crash c1", "is a session"),
            ("crash n0", "is not a node"),
            ("partition n1", "two groups"),
            ("partition n1 | n1", "two groups"),
            ("skew n2 500", "no unit"),
            ("explode n1", "unknown fault"),
            ("drop_rate 2", "out of range"),
            ("slow_disk n1 x0", "out of range"),
            ("<img src=x onerror=alert(1)>", "unknown fault"),
        ] {
            let e = parse_fault(s).unwrap_err();
            assert!(e.contains(want), "{s}: {e}");
        }
    }

    #[test]
    fn endpoints_are_checked_per_topology() {
        let f = parse_fault("crash n5").unwrap();
        let e = f.check_endpoints(&[(TopologyKind::LeaderFollower, 3), (TopologyKind::Leaderless, 5)], 2).unwrap_err();
        assert!(e.contains("leader_follower"), "{e}");
        assert!(f.check_endpoints(&[(TopologyKind::Leaderless, 5)], 2).is_ok());
    }
}
