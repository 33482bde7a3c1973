//! The engine as the page sees it: everything the front end (`src/`) uses, and nothing else.
//! The page imports from here only (`tests/layers.rs` fails on any other `replicascope_engine::`
//! path in `src/`), so this list is the contract between the two: what a change to the engine
//! can break in the page, and what the page can rely on. Grouped by what it is for.

// Runs: a scenario's plan run per topology, seeked and intervened on, and what a moment looks
// like (the view the diagram and the lanes draw).
pub use crate::run::{AnyCursor, AnyRun, AnySettling, Convergence, NodeInfo, PaneView};
pub use crate::scenario::{Caption, FaultSpec, GeneratorSpec, Plan, Scenario, ScriptOp, TopologiesSpec};
pub use crate::view::{EntryState, EntryView, Liveness, MsgKind, Role};

// What happened: the trace's records, the annotations the explanation views are built from,
// the history and its checks, the numbers the comparison shows.
pub use crate::annotate::{Annotation, ConflictRecord, MerkleRecord, QuorumRecord};
pub use crate::checker::{Anomaly, AnomalyKind};
pub use crate::faults::Intervention;
pub use crate::metrics::{availability_between, availability_series, history_of, report, Report, Reporting};
pub use crate::network::DropReason;
pub use crate::staleness::{explore, StalenessSpec};
pub use crate::trace::{HistEvent, History, MsgRecord, Step, StepKind};

// Each topology's description for the page: its settings and which explanation it has.
pub use crate::topology::{Explain, Setting, SettingControl};

// Links and presets: the inputs a page opens with, and what it writes back.
pub use crate::glossary::{gloss, Term, GLOSSARY};
pub use crate::link::{
    apply_override, decode, decode_with_plan, encode, percent_encode, without_position, Controls, LinkState, PaneTab,
    ViewOptions, MAX_LINK,
};
// The page reads its presets from bytes compiled at build time (the app's `build.rs`, which
// uses `preset` and `scenario_bytes` natively), not from their JSON: see `src/presets.rs`.
pub use crate::presets::{
    default_scenario, preset, scenario_bytes, scenario_from_bytes, Group, DEFAULT_PRESET, PRESETS,
};
pub use crate::tours::{menu_item, pane_words, tour, tours, Task, TaskKind, Tour, TourStep};

// Exports, and histories from elsewhere (Jepsen, Knossos, Porcupine): checked and drawn.
pub use crate::jepsen::{
    diagram, export_edn, Bar, Conventions, HistoryDiagram, Layout, ModelKind, NilRead, ObjectDiagram,
};
pub use crate::linearizability::{Verdict, STATE_BUDGET};

// Words, ids and time.
pub use crate::model::{ClientId, Endpoint, NodeId, OpId, OpResult, Sym};
pub use crate::time::{human_duration, Duration, SimTime};
pub use crate::vocab::{op_phrase, Names, TopologyKind};

// One sort in the page's wasm (see `sort.rs`).
pub use crate::sort::{set_of, sort, sort_by};
