//! Guided tours: a preset and a path through it, one idea per step. A step says one thing,
//! plays the run to the moment it talks about, highlights what it names, may hide the panes it
//! does not need, and may ask the learner to do something (crash a node, change a setting) —
//! the page notices when it is done. Tours are data, like presets: `scenarios/tours/<id>.json`,
//! embedded without indentation and without the claims each step makes about the run
//! (`"expect"`, read only by the tests that check them: `app/src/tour.rs`).

use crate::scenario::Scenario;
use crate::time::Duration;
use crate::topology::SettingControl;
use crate::vocab::TopologyKind;

#[derive(Clone, Debug, PartialEq)]
pub struct Tour {
    pub id: &'static str,
    pub title: &'static str,
    /// One line: what the learner will understand at the end.
    pub summary: &'static str,
    pub preset: &'static str,
    pub steps: &'static [TourStep],
}

#[derive(Clone, Debug, PartialEq)]
pub struct TourStep {
    /// What the step says (one or two sentences, glossary terms explained on hover).
    pub text: &'static str,
    /// Seek here first (to replay a moment after a change).
    pub from: Option<Duration>,
    /// Play to here, then wait for "Next" (or for the task).
    pub until: Option<Duration>,
    /// Pane codes shown in this step (all of the preset's if absent).
    pub panes: Option<&'static [&'static str]>,
    /// Views opened for the step, as links name them (`ml:explain`); other panes keep theirs.
    pub tabs: &'static [&'static str],
    /// What the step points at: `lf` (a pane), `lf n1` (a node), `lf c1` (a client), `lf log n1`
    /// (a node's log), `lf settings` (the pane's settings button), `lf explain` and the other
    /// tabs, `compare`, `compare lf` (a row of the comparison), `clock`, `narration`.
    pub highlight: &'static [&'static str],
    /// What the learner is asked to do; the step waits until it is done.
    pub task: Option<Task>,
}

/// A learner's task: an action from a node's menu (`act` on `pane`), or a setting (`set` =
/// `to`, keyed as in links: `lf.fencing`).
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub pane: Option<&'static str>,
    pub act: Option<&'static str>,
    pub set: Option<&'static str>,
    pub to: Option<&'static str>,
}

/// What a task is, checked.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskKind {
    /// An intervention in one pane, as a node menu makes it (`crash n1`).
    Act { pane: TopologyKind, action: &'static str },
    /// A setting override (`lf.mode`, `semi_sync`).
    Set { key: &'static str, value: &'static str },
}

impl Task {
    pub fn kind(&self) -> Result<TaskKind, String> {
        match (self.act, self.set, self.to) {
            (Some(action), None, None) => {
                let pane = self.pane.and_then(TopologyKind::from_code).ok_or("an action needs a pane")?;
                Ok(TaskKind::Act { pane, action })
            }
            (None, Some(key), Some(value)) => Ok(TaskKind::Set { key, value }),
            _ => Err("a task is either act (with pane) or set with to".into()),
        }
    }

    /// The instruction the page shows, in the words of the controls it names: the node menu's
    /// item, the settings panel's button, label and choice. (A learner — or a test — can follow
    /// it by reading alone.)
    pub fn instruction(&self, scenario: &Scenario) -> Result<String, String> {
        match self.kind()? {
            TaskKind::Act { pane, action } => {
                let (item, node) = menu_item(action).ok_or_else(|| format!("no menu item does \"{action}\""))?;
                Ok(format!("Click {node} in the {} pane and choose “{item}”.", pane_words(pane)))
            }
            TaskKind::Set { key, value } => {
                let (code, field) = key.split_once('.').ok_or("a setting is pane.field")?;
                let kind = TopologyKind::from_code(code).ok_or("no such pane")?;
                let settings = scenario.topologies.settings(kind);
                let s = settings.iter().find(|s| s.field == field).ok_or_else(|| format!("no setting {key}"))?;
                let open = format!("Open “{} settings” (⚙)", kind.title());
                Ok(match &s.control {
                    SettingControl::Toggle { values, .. } if values.0 == value => {
                        format!("{open} and tick “{}”.", s.label)
                    }
                    SettingControl::Toggle { values, .. } if values.1 == value => {
                        format!("{open} and untick “{}”.", s.label)
                    }
                    SettingControl::Choice { options, .. } => {
                        let o = options
                            .iter()
                            .find(|o| o.value == value)
                            .ok_or_else(|| format!("{key} has no choice {value}"))?;
                        format!("{open} and set “{}” to “{}”.", s.label, o.label)
                    }
                    SettingControl::Number { min, max, .. } => {
                        let n: u32 = value.parse().map_err(|_| format!("{key} needs a number"))?;
                        if n < *min || n > *max {
                            return Err(format!("{key}: {n} is out of range"));
                        }
                        format!("{open} and set “{}” to {n}.", s.label)
                    }
                    _ => return Err(format!("{key} cannot be {value}")),
                })
            }
        }
    }
}

/// A pane's title as running text: "leader-follower".
pub fn pane_words(kind: TopologyKind) -> String {
    kind.title().to_lowercase()
}

/// The node menu's item for an action, and the node it is on: `crash n1` → ("Crash n1", "n1").
/// The node menu labels these actions with this function.
pub fn menu_item(action: &str) -> Option<(String, &str)> {
    let mut words = action.split_whitespace();
    let (verb, node) = (words.next()?, words.next()?);
    if !node.starts_with('n') || node[1..].parse::<u8>().is_err() {
        return None;
    }
    let item = match (verb, words.next()) {
        ("crash", None) => format!("Crash {node}"),
        ("restart", None) => format!("Restart {node}"),
        ("promote", None) => format!("Promote {node} by hand"),
        _ => return None,
    };
    Some((item, node))
}

/// Every tour, written by `engine/build.rs` from `scenarios/tours/*.json` (by file name).
static ALL: &[Tour] = include!(concat!(env!("OUT_DIR"), "/tours.rs"));

/// The tours in the order the tours menu offers them; the first is the one a first visit is
/// invited to. (A test checks that every file is listed.)
pub const ORDER: &[&str] = &[
    "three-designs",
    "failover-loses-writes",
    "read-your-writes",
    "split-brain-fencing",
    "concurrent-writes",
    "quorums",
];

/// The tours, in [`ORDER`].
pub fn tours() -> impl Iterator<Item = &'static Tour> {
    ORDER.iter().filter_map(|id| tour(id))
}

/// The tour called `id`.
pub fn tour(id: &str) -> Option<&'static Tour> {
    ALL.iter().find(|t| t.id == id)
}

/// Every tour file's id, whether listed in [`ORDER`] or not.
pub fn all_ids() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|t| t.id)
}
