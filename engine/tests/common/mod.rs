//! Helpers the acceptance tests share: durations, fault and script entries, and running one
//! topology of a scenario at a seed.
#![allow(dead_code)]

use replicascope_engine::metrics::{report, Report};
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::{FaultSpec, Scenario, ScriptOp};
use replicascope_engine::time::Duration;
use replicascope_engine::vocab::TopologyKind;
use std::rc::Rc;

pub fn ms(v: u64) -> Duration {
    Duration::from_ms(v)
}

pub fn fault(at_ms: u64, f: &str) -> FaultSpec {
    FaultSpec { at: ms(at_ms), fault: f.into() }
}

pub fn op(at_ms: u64, session: &str, op: &str) -> ScriptOp {
    ScriptOp { at: ms(at_ms), session: session.into(), op: op.into(), cl: None, via: None }
}

/// Runs the `kind` pane of `s` at `seed` to the end, with its report.
pub fn simulate_kind(kind: TopologyKind, s: &Scenario, seed: u64) -> (AnyRun, Report) {
    let mut s = s.clone();
    s.seed = seed;
    let plan = Rc::new(s.compile().unwrap_or_else(|e| panic!("invalid scenario: {e}")));
    let mut run = AnyRun::new(kind, plan).unwrap_or_else(|| panic!("{} configured", kind.name()));
    run.run_to_end();
    let r = report(&run);
    (run, r)
}
