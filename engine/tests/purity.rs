//! Architecture invariants of the engine, checked on every test run:
//! * it depends on no web crate (yew, web-sys, js-sys, gloo, wasm-bindgen);
//! * it never reads a wall clock, never iterates a hash map, never draws unseeded randomness;
//! * its floating-point maths goes through `libm`, so results are bit-identical in wasm;
//! * values hashed into the trace digest contain no `usize` (4 bytes in wasm, 8 natively).

use std::path::Path;
use std::process::Command;

const WEB_CRATES: [&str; 5] = ["yew", "web-sys", "js-sys", "gloo", "wasm-bindgen"];

#[test]
fn engine_depends_on_no_web_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "replicascope-engine",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--target",
            "all",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        for web in WEB_CRATES {
            assert!(
                !(name == web || name.starts_with(&format!("{web}-")) || (web == "gloo" && name.starts_with("gloo"))),
                "the engine depends on the web crate {name}"
            );
        }
    }
    assert!(tree.contains("rand_xoshiro"), "sanity: the tree lists the engine's dependencies");
}

fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                // Only the code outside `#[cfg(test)]` modules matters.
                let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
                out.push((p.display().to_string(), code));
            }
        }
    }
    out
}

#[test]
fn no_wall_clock_hash_iteration_or_unseeded_randomness() {
    let banned = [
        "std::time::Instant",
        "SystemTime",
        "Instant::now",
        "HashMap",
        "HashSet",
        "thread_rng",
        "getrandom",
        "from_entropy",
        "std::fs",
        "std::net",
        "println!",
    ];
    for (path, code) in sources() {
        for b in banned {
            assert!(!code.contains(b), "{path} uses {b}");
        }
    }
}

#[test]
fn float_maths_goes_through_libm() {
    let banned =
        [".ln()", ".exp()", ".powf(", ".powi(", ".sin()", ".cos()", ".tan()", ".log10()", ".log2()", ".cbrt()"];
    for (path, code) in sources() {
        for b in banned {
            assert!(!code.contains(b), "{path} uses {b}: use libm so wasm and native agree bit for bit");
        }
    }
}

#[test]
fn digest_types_hold_no_usize() {
    for file in ["annotate.rs", "trace.rs", "model.rs", "network.rs"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(file);
        let code = std::fs::read_to_string(&path).unwrap();
        let code = code.split("#[cfg(test)]").next().unwrap_or("");
        // Inside a type that derives Hash (from its derive line to its closing brace), no field
        // may be a usize.
        let mut hashed = false;
        for (i, line) in code.lines().enumerate() {
            if line.starts_with("#[derive(") {
                hashed = line.contains("Hash");
            } else if line.starts_with('}') {
                hashed = false;
            }
            let field = line.contains(':') && !line.contains("fn ") && !line.trim_start().starts_with("//");
            assert!(!(hashed && field && line.contains("usize")), "{file}:{}: a hashed field is usize: {line}", i + 1);
        }
    }
}

/// Sorting goes through `crate::sort`: one copy of the algorithm in the page's wasm rather than
/// one per element type and closure (see `engine/src/sort.rs`). The app's sources are checked too.
#[test]
fn sorting_goes_through_the_one_sort() {
    let banned =
        [".sort()", ".sort_unstable(", ".sort_by(", ".sort_by_key(", ".sort_unstable_by", ".sort_by_cached_key("];
    let mut all = sources();
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src");
    let mut stack = vec![app];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                all.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    assert!(all.len() > 30, "the sources were found");
    for (path, code) in all {
        if path.ends_with("sort.rs") {
            continue;
        }
        for b in banned {
            assert!(!code.contains(b), "{path} calls {b}: use replicascope_engine::sort instead");
        }
    }
}
