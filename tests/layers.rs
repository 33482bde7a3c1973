//! The app's modules form layers too: no import circle in code that ships. The panes' parts
//! (diagram, lanes, views) sit below the inspector (`panel.rs`) that shows what they select.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../engine/tests/import_graph/mod.rs"]
mod import_graph;

use std::path::Path;

#[test]
fn the_app_has_no_import_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = import_graph::imports(&[src.clone(), src.join("app")], &["app"]);
    assert!(graph.len() > 12, "read the modules: {:?}", graph.keys());
    assert!(graph["panel"].contains("selection"), "the reader sees `use super::…`: {:?}", graph["panel"]);
    // Folder modules are read whole (the diagram and its messages layer), and `app` itself.
    assert!(graph["diagram"].contains("shared"), "{:?}", graph.get("diagram"));
    assert!(graph["app"].contains("session"), "{:?}", graph.get("app"));
    if let Some(c) = import_graph::circle(&graph) {
        panic!("import circle: {}", c.join(" → "));
    }
}
