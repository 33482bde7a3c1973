//! An imported history as the page draws it: a lane per process, each operation a bar from its
//! invocation to its completion, and, when the history is not linearizable, the fewest operations
//! that show it on their own with the sentence that says why — what Knossos' `linear.svg` and
//! Porcupine's visualisation give their users.

use super::models::{each_object, PerObject};
use super::*;
use crate::linearizability::{check_model, smallest_violation, Event, Model, Register, Violation};

/// A history checked against a model, object by object (each key, or the one mutex).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryDiagram {
    pub model: ModelKind,
    pub conventions: Conventions,
    /// Operations in the file (invocations paired with completions), and the processes that
    /// ran them.
    pub operations: usize,
    #[serde(default)]
    pub processes: usize,
    pub linearizable: Option<bool>,
    pub objects: Vec<ObjectDiagram>,
    pub notes: Vec<String>,
}

/// One object's operations and verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectDiagram {
    pub name: String,
    pub verdict: Verdict,
    /// The fewest operations that alone are not linearizable; their ids are lines.
    pub violation: Option<Violation>,
    /// How the violation's operations stand in real time, in words.
    pub story: Option<String>,
    /// The operations the checker weighs (failed ones did not happen, reads of unknown outcome
    /// tell nothing), by invocation.
    pub ops: Vec<HistoryOp>,
    /// How many operations the object had before [`ObjectDiagram::keep_drawn`] (0: none
    /// dropped, `ops` is all of them).
    #[serde(default)]
    pub dropped_from: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryOp {
    /// The line of the invocation.
    pub line: usize,
    pub process: i64,
    pub label: String,
    pub invoke: u64,
    /// `None`: of unknown outcome (`:info`, or never completed).
    pub complete: Option<u64>,
}

/// Checks a history file against `model` and lays its objects out for drawing.
pub fn diagram(text: &str, model: ModelKind, conventions: Conventions, budget: u64) -> Result<HistoryDiagram, String> {
    let paired = pair_operations(text)?;
    let mut draw =
        Draw { budget, process: paired.ops.iter().map(|p| (p.line, p.process)).collect(), objects: Vec::new() };
    let notes = if model == ModelKind::Register {
        // The file is read once: the pairing above serves the register's import too.
        let imported = import_paired(&paired, conventions)?;
        for (key, events) in &imported.registers {
            // Ids become lines, as the other models have them.
            let events: Vec<RegEvent> = events
                .iter()
                .map(|e| Event { id: imported.lines.get(&e.id).copied().unwrap_or(0) as u64, ..e.clone() })
                .collect();
            draw.object(&Register, imported.names.get(*key).to_string(), events, conventions.initial);
        }
        imported.notes
    } else {
        each_object(&paired, model, conventions, &mut draw)?
    };
    let objects = draw.objects;
    let linearizable = overall(objects.iter().map(|o| &o.verdict));
    let processes = paired.ops.iter().map(|p| p.process).collect::<std::collections::BTreeSet<i64>>().len();
    Ok(HistoryDiagram { model, conventions, operations: paired.ops.len(), processes, linearizable, objects, notes })
}

struct Draw {
    budget: u64,
    /// The process of each invocation line.
    process: BTreeMap<usize, i64>,
    objects: Vec<ObjectDiagram>,
}

impl PerObject for Draw {
    fn object<M: Model>(&mut self, model: &M, name: String, events: Vec<Event<M::Op>>, initial: M::State) {
        let verdict = check_model(model, &events, initial.clone(), self.budget);
        let violation = matches!(verdict, Verdict::NotLinearizable { .. })
            .then(|| smallest_violation(model, &events, initial, self.budget))
            .flatten();
        let mut ops: Vec<HistoryOp> = events
            .iter()
            .map(|e| HistoryOp {
                line: e.id as usize,
                process: self.process.get(&(e.id as usize)).copied().unwrap_or(-1),
                label: model.describe(&e.op),
                invoke: e.invoke,
                complete: e.complete,
            })
            .collect();
        crate::sort::sort_by_key(&mut ops, |o| (o.invoke, o.line));
        let story = violation.as_ref().map(|v| story(&ops, v));
        self.objects.push(ObjectDiagram { name, verdict, violation, story, ops, dropped_from: 0 });
    }
}

/// The violation's operations in order of invocation, and how each stands to the next: one
/// ended before the other began (real time orders them), or they overlapped (either order).
fn story(ops: &[HistoryOp], violation: &Violation) -> String {
    let chosen: Vec<&HistoryOp> = ops.iter().filter(|o| violation.ops.contains(&(o.line as u64))).collect();
    let name = |o: &HistoryOp| format!("“{}” (process {})", o.label, o.process);
    if chosen.len() == 1 {
        return format!("{} alone cannot happen, whatever the order.", name(chosen[0]));
    }
    let steps: Vec<String> = chosen
        .windows(2)
        .map(|pair| match pair[0].complete {
            Some(end) if end < pair[1].invoke => format!("{} ended before {} began", name(pair[0]), name(pair[1])),
            _ => format!("{} overlapped {}", name(pair[0]), name(pair[1])),
        })
        .collect();
    format!(
        "{} — and no order of these {} operations that respects this lets each one return what it did.",
        capitalise(&steps.join("; ")),
        chosen.len()
    )
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// What to draw of an object: its lanes, and its bars on a grid of columns — one per distinct
/// moment an operation begins or ends, so long pauses take no room and every overlap shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Processes, top to bottom.
    pub lanes: Vec<i64>,
    pub bars: Vec<Bar>,
    pub columns: u32,
    /// How many of the object's operations are drawn, of how many.
    pub shown: usize,
    pub total: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub lane: usize,
    pub start: u32,
    /// `columns` for an operation of unknown outcome: it may take effect at any later moment.
    pub end: u32,
    pub open: bool,
    pub label: String,
    pub line: usize,
    pub violating: bool,
}

/// How many operations beside those it overlapped a violating operation is drawn with.
pub const NEIGHBOURS: usize = 4;

impl HistoryDiagram {
    /// Keeps only what a page draws: each object's operations as [`ObjectDiagram::keep_drawn`]
    /// leaves them, and, of a history with very many objects (keys), those that fail and the
    /// first others up to `objects`, with a note — the answer a worker hands the page stays small
    /// however large the file.
    pub fn keep_drawn(&mut self, limit: usize, objects: usize) {
        let count = self.objects.len();
        if count > objects {
            let mut kept: Vec<ObjectDiagram> = Vec::with_capacity(objects);
            let mut others = 0;
            for o in std::mem::take(&mut self.objects) {
                let fails = matches!(o.verdict, Verdict::NotLinearizable { .. });
                if fails || others < objects {
                    others += usize::from(!fails);
                    kept.push(o);
                }
            }
            self.notes.push(format!(
                "{count} objects: every one that is not linearizable is listed, and {others} of the others"
            ));
            self.objects = kept;
        }
        for o in &mut self.objects {
            o.keep_drawn(limit);
        }
    }
}

impl ObjectDiagram {
    /// Drops the operations [`ObjectDiagram::layout`] with `limit` would not draw; the layout
    /// stays the same, and still counts them all.
    pub fn keep_drawn(&mut self, limit: usize) {
        let drawn: Vec<usize> = self.layout(limit).bars.iter().map(|b| b.line).collect();
        if drawn.len() < self.ops.len() {
            self.dropped_from = self.ops.len().max(self.dropped_from);
            self.ops.retain(|o| drawn.contains(&o.line));
        }
    }

    /// At most `limit` operations: the violation's, each with the operations that overlapped it
    /// and its [`NEIGHBOURS`] nearest others (the nearest first when there are too many); or,
    /// without a violation, the first ones.
    pub fn layout(&self, limit: usize) -> Layout {
        let violating = |o: &HistoryOp| self.violation.as_ref().is_some_and(|v| v.ops.contains(&(o.line as u64)));
        let mut shown: Vec<&HistoryOp> = match &self.violation {
            Some(_) => {
                let chosen: Vec<&HistoryOp> = self.ops.iter().filter(|o| violating(o)).collect();
                // How far one operation is from another (0: they overlap).
                let gap = |o: &HistoryOp, c: &HistoryOp| {
                    let (start, end) = (o.invoke, o.complete.unwrap_or(u64::MAX));
                    let (c_start, c_end) = (c.invoke, c.complete.unwrap_or(u64::MAX));
                    if end < c_start {
                        c_start - end
                    } else if c_end < start {
                        start - c_end
                    } else {
                        0
                    }
                };
                // Each of the violation's operations with what ran beside it and its few
                // nearest neighbours: the context of each, not a long stretch between them.
                let mut picked: Vec<usize> = Vec::new();
                for c in &chosen {
                    let mut near: Vec<(u64, usize)> = self
                        .ops
                        .iter()
                        .enumerate()
                        .filter(|(_, o)| !violating(o))
                        .map(|(i, o)| (gap(o, c), i))
                        .collect();
                    crate::sort::sort(&mut near);
                    let overlapping = near.iter().take_while(|(g, _)| *g == 0).count();
                    picked.extend(near.iter().take(overlapping + NEIGHBOURS).map(|(_, i)| *i));
                }
                crate::sort::sort(&mut picked);
                picked.dedup();
                // Too many: those nearest to one of the violation's operations.
                let nearest = |i: &usize| chosen.iter().map(|c| gap(&self.ops[*i], c)).min().unwrap_or(0);
                crate::sort::sort_by_key(&mut picked, |i| (nearest(i), *i));
                picked.truncate(limit.saturating_sub(chosen.len()));
                chosen.into_iter().chain(picked.into_iter().map(|i| &self.ops[i])).collect()
            }
            None => self.ops.iter().take(limit).collect(),
        };
        crate::sort::sort_by_key(&mut shown, |o| (o.invoke, o.line));
        let mut moments: Vec<u64> = shown.iter().flat_map(|o| [Some(o.invoke), o.complete]).flatten().collect();
        crate::sort::sort(&mut moments);
        moments.dedup();
        let column = |t: u64| moments.partition_point(|&m| m < t) as u32;
        let columns = moments.len() as u32;
        let mut lanes: Vec<i64> = shown.iter().map(|o| o.process).collect();
        crate::sort::sort(&mut lanes);
        lanes.dedup();
        let bars = shown
            .iter()
            .map(|o| Bar {
                lane: lanes.partition_point(|&p| p < o.process),
                start: column(o.invoke),
                end: o.complete.map_or(columns, column),
                open: o.complete.is_none(),
                label: o.label.clone(),
                line: o.line,
                violating: violating(o),
            })
            .collect();
        Layout { lanes, bars, columns, shown: shown.len(), total: self.ops.len().max(self.dropped_from) }
    }
}
