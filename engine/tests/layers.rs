//! The engine's modules form layers: no import circle, in code that ships (tests inside a module,
//! after its `#[cfg(test)]`, may reach up). A circle makes every module in it depend on all the
//! others, so that none can be read, tested or changed alone; this test names the first circle
//! it finds. ARCHITECTURE.md draws the layers.

mod import_graph;

use import_graph::{circle, imports};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[test]
fn the_engine_has_no_import_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = imports(&[src.clone(), src.join("topology")], &["topology"]);
    assert!(graph.len() > 20, "read the modules: {:?}", graph.keys());
    assert!(graph["scenario"].contains("vocab"), "the reader sees `use crate::vocab::…`");
    // Folder modules are read whole: a topology's handlers in leader_follower/protocol.rs.
    for folder in ["leader_follower", "leaderless", "multi_leader", "versions", "jepsen", "topology"] {
        assert!(graph.contains_key(folder), "{folder} is read: {:?}", graph.keys());
    }
    assert!(graph["leader_follower"].contains("protocol"), "{:?}", graph["leader_follower"]);
    if let Some(c) = circle(&graph) {
        panic!("import circle: {}", c.join(" → "));
    }
}

#[test]
fn the_circle_finder_finds_circles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.insert("a".into(), ["b".to_string()].into());
    g.insert("b".into(), ["c".to_string()].into());
    g.insert("c".into(), ["a".to_string()].into());
    assert_eq!(circle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    g.get_mut("c").unwrap().clear();
    assert_eq!(circle(&g), None);
}
