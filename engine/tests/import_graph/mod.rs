//! Reads a crate's sources into its module import graph and finds circles in it: shared by the
//! engine's and the app's layer tests.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Each module of the given source folders by name (`topology/leaderless.rs` and a folder
/// `topology/leaderless/` are both `leaderless`; a listed folder's own `mod.rs` is the folder's
/// name), with the modules it names through `crate::` or `super::`; `folders` are the directory
/// modules whose children are named through them (`crate::topology::leaderless`). A folder
/// module is all its files: their `super::` names the folder itself, so only its `mod.rs`'s
/// `super::` counts.
pub fn imports(dirs: &[PathBuf], folders: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    // (module name, [(file, its `super::` is an import)])
    let mut modules: Vec<(String, Vec<(PathBuf, bool)>)> = Vec::new();
    for dir in dirs {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if dirs.contains(&path) || !path.join("mod.rs").exists() {
                    continue;
                }
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                let mut files = Vec::new();
                let mut stack = vec![path.clone()];
                while let Some(d) = stack.pop() {
                    for e in std::fs::read_dir(&d).unwrap() {
                        let p = e.unwrap().path();
                        if p.is_dir() {
                            stack.push(p);
                        } else if p.extension().is_some_and(|e| e == "rs") {
                            let top = p == path.join("mod.rs");
                            files.push((p, top));
                        }
                    }
                }
                modules.push((name, files));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let stem = path.file_stem().unwrap().to_string_lossy().to_string();
                let name = match stem.as_str() {
                    "lib" | "main" => continue,
                    "mod" => dir.file_name().unwrap().to_string_lossy().to_string(),
                    _ => stem,
                };
                modules.push((name, vec![(path, true)]));
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, files) in modules {
        let mut uses = BTreeSet::new();
        for (path, super_counts) in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let shipped = text.split("#[cfg(test)]").next().unwrap();
            let crate_refs = shipped.match_indices("crate::");
            let super_refs = shipped.match_indices("super::").filter(|_| super_counts);
            for (i, prefix) in crate_refs.chain(super_refs) {
                let rest = &shipped[i + prefix.len()..];
                let mut module: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if folders.contains(&module.as_str()) {
                    let sub = &rest[(module.len() + 2).min(rest.len())..];
                    let inner: String = sub.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    // `crate::topology::Topology` names the folder module itself.
                    if inner.starts_with(|c: char| c.is_ascii_lowercase()) {
                        module = inner;
                    }
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
        }
        graph.entry(name).or_default().extend(uses);
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
