//! The engine's modules form layers: no import circle, in code that ships (tests inside a module,
//! after its `#[cfg(test)]`, may reach up). A circle makes every module in it depend on all the
//! others, so that none can be read, tested or changed alone; this test names the first circle
//! it finds. ARCHITECTURE.md draws the layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module's name (`topology::leaderless` is `leaderless`), with the modules it uses.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in [src.clone(), src.join("topology")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut graph = BTreeMap::new();
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name == "lib" || name == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let shipped = text.split("#[cfg(test)]").next().unwrap();
        let mut uses = BTreeSet::new();
        for (i, _) in shipped.match_indices("crate::") {
            let rest = &shipped[i + "crate::".len()..];
            let mut module: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if module == "topology" {
                let sub = &rest["topology::".len().min(rest.len())..];
                module = sub.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            }
            // `use crate::{a, b}` lists.
            if module.is_empty() && rest.starts_with('{') {
                let list = &rest[1..rest.find('}').unwrap_or(rest.len())];
                for item in list.split(',') {
                    let m: String =
                        item.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if !m.is_empty() && m != name {
                        uses.insert(m);
                    }
                }
                continue;
            }
            if !module.is_empty() && module != name {
                uses.insert(module);
            }
        }
        graph.insert(name, uses);
    }
    graph
}

/// A circle through the graph, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| p == next).unwrap();
                    let mut c = path[start..].to_vec();
                    c.push(next.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, graph, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node.as_str()) {
            if let Some(c) = visit(node, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn the_engine_has_no_import_circle() {
    let graph = imports();
    assert!(graph.len() > 20, "read the modules: {:?}", graph.keys());
    assert!(graph["scenario"].contains("vocab"), "the reader sees `use crate::vocab::…`");
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
