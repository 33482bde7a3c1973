//! Reads a crate's sources into its module import graph and finds circles in it: shared by the
//! engine's and the app's layer tests.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Each module of the given source folders by file name (`topology/leaderless.rs` is
/// `leaderless`), with the modules it names through `crate::` or `super::`; `folders` are the
/// directory modules whose children are named through them (`crate::topology::leaderless`).
pub fn imports(dirs: &[PathBuf], folders: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    for dir in dirs {
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
        let refs = shipped.match_indices("crate::").chain(shipped.match_indices("super::"));
        for (i, prefix) in refs {
            let rest = &shipped[i + prefix.len()..];
            let mut module: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if folders.contains(&module.as_str()) {
                let sub = &rest[(module.len() + 2).min(rest.len())..];
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
pub fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
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
