//! A small scenario the component tests draw (`tests/web.rs`): a scripted workload and one
//! crash, small enough to reason about node by node.

use replicascope_engine::page::{Duration, FaultSpec, Scenario, ScriptOp};

fn op(at_ms: u64, session: &str, op: &str) -> ScriptOp {
    ScriptOp { at: Duration::from_ms(at_ms), session: session.into(), op: op.into(), cl: None, via: None }
}

/// Three nodes in each topology, two clients updating and reading a profile, and node n1 —
/// the leader on the left — crashing for a while.
#[allow(clippy::field_reassign_with_default)] // reads as a recipe, field by field
pub fn default_scenario() -> Scenario {
    let mut s = Scenario::default();
    s.name = "A node crashes".into();
    s.description = "Two clients write and read a key while n1 crashes at 3 s and comes back at 9 s. \
        Watch who keeps accepting writes, and what each client reads."
        .into();
    s.seed = 1;
    s.duration = Duration::from_secs(12);
    s.workload.sessions = 2;
    s.workload.script = vec![
        op(500, "c1", "write x=1"),
        op(1000, "c2", "read x"),
        op(1500, "c1", "write x=2"),
        op(2000, "c2", "read x"),
        op(2500, "c1", "write x=3"),
        op(3500, "c2", "read x"),
        op(4000, "c1", "write x=4"),
        op(5000, "c2", "read x"),
        op(7000, "c1", "write x=5"),
        op(7500, "c2", "read x"),
        op(9500, "c1", "write x=6"),
        op(10000, "c2", "read x"),
        op(11000, "c1", "read x"),
    ];
    s.faults = vec![
        FaultSpec { at: Duration::from_ms(3000), fault: "crash n1".into() },
        FaultSpec { at: Duration::from_ms(9000), fault: "restart n1".into() },
    ];
    // Three nodes in each topology, their defaults but a 2 s failure timeout.
    s.topologies =
        serde_json::from_str(r#"{"leader_follower": {"failure_timeout": "2s"}, "multi_leader": {}, "leaderless": {}}"#)
            .expect("the sample's topologies parse");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_scenario_is_valid() {
        super::default_scenario().compile().unwrap();
    }
}
