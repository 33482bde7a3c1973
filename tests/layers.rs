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

/// The page depends on the engine through one module, `replicascope_engine::page`, which lists
/// what it uses (ARCHITECTURE.md names it): any other engine path in code that ships fails here.
#[test]
fn the_page_uses_the_engine_only_through_its_page_api() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut files = 0;
    let mut offenders = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            // A file of tests (`#![cfg(test)]`, like `session/tests.rs`) ships nothing.
            if text.lines().any(|l| l.trim() == "#![cfg(test)]") {
                continue;
            }
            let shipped = text.split("#[cfg(test)]").next().unwrap();
            for (i, _) in shipped.match_indices("replicascope_engine::") {
                let rest = &shipped[i + "replicascope_engine::".len()..];
                if !rest.starts_with("page::") {
                    let line = shipped[..i].lines().count() + 1;
                    offenders.push(format!("{}:{line}: {}", path.display(), rest.lines().next().unwrap_or("")));
                }
            }
        }
    }
    assert!(files > 25, "read the app's sources");
    assert!(offenders.is_empty(), "engine paths outside replicascope_engine::page:\n{}", offenders.join("\n"));
}
