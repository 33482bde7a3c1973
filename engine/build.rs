//! Writes the tours (`scenarios/tours/*.json`) as Rust statics, and copies the presets
//! (`scenarios/presets/*.json`) into the build without the whitespace that
//! makes them readable: the page ships them inside its wasm, and a third of their bytes were
//! indentation. Only whitespace outside strings is dropped, so the JSON means the same; the
//! preset tests parse what is embedded.
use std::path::Path;

fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// A duration as tour files write it (`5.95s`, `300ms`), in microseconds, without floats.
fn micros(text: &str) -> u64 {
    let (number, unit) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000u64)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000u64)
    } else {
        panic!("a tour's time is written 5.95s or 300ms, not {text:?}");
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let scale = unit.to_string().len() - 1;
    assert!(frac.len() <= scale, "{text:?} is finer than a microsecond");
    let whole: u64 = whole.parse().unwrap_or_else(|_| panic!("{text:?} is not a time"));
    let frac: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<u64>().unwrap_or_else(|_| panic!("{text:?} is not a time"))
            * 10u64.pow((scale - frac.len()) as u32)
    };
    whole * unit + frac
}

/// Rust source for one JSON value of a tour file, checked against the keys `allowed`.
fn keys(v: &serde_json::Value, allowed: &[&str], what: &str) {
    let map = v.as_object().unwrap_or_else(|| panic!("{what} is an object"));
    for k in map.keys() {
        assert!(allowed.contains(&k.as_str()), "{what}: unknown key {k:?} (known: {allowed:?})");
    }
}

fn string(v: &serde_json::Value, what: &str) -> String {
    format!("{:?}", v.as_str().unwrap_or_else(|| panic!("{what} is a string")))
}

fn opt_string(v: Option<&serde_json::Value>, what: &str) -> String {
    v.map_or("None".into(), |v| format!("Some({})", string(v, what)))
}

fn strings(v: &serde_json::Value, what: &str) -> String {
    let list = v.as_array().unwrap_or_else(|| panic!("{what} is a list"));
    format!("&[{}]", list.iter().map(|s| string(s, what)).collect::<Vec<_>>().join(", "))
}

fn time(v: Option<&serde_json::Value>, what: &str) -> String {
    v.map_or("None".into(), |v| {
        format!("Some(Duration({}))", micros(v.as_str().unwrap_or_else(|| panic!("{what} is a time"))))
    })
}

/// The tours (`scenarios/tours/*.json`) as Rust statics (`OUT_DIR/tours.rs`): the page reads
/// them without parsing anything at run time. The claims each step makes (`expect`) are left
/// out: only the tests read them, from the files.
fn tours() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../scenarios/tours");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/tours is there")
        .map(|e| e.expect("a readable directory").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let id = path.file_stem().unwrap().to_str().expect("a tour's name is UTF-8").to_string();
        let text = std::fs::read_to_string(&path).expect("a tour file is UTF-8 text");
        let t: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        keys(&t, &["title", "summary", "preset", "steps"], &id);
        let mut steps = String::new();
        for (k, s) in t["steps"].as_array().unwrap_or_else(|| panic!("{id}: steps is a list")).iter().enumerate() {
            let what = format!("{id} step {}", k + 1);
            keys(s, &["text", "from", "until", "panes", "tabs", "highlight", "do", "expect"], &what);
            let task = match s.get("do") {
                None => "None".to_string(),
                Some(d) => {
                    keys(d, &["pane", "act", "set", "to"], &what);
                    format!(
                        "Some(Task {{ pane: {}, act: {}, set: {}, to: {} }})",
                        opt_string(d.get("pane"), &what),
                        opt_string(d.get("act"), &what),
                        opt_string(d.get("set"), &what),
                        opt_string(d.get("to"), &what)
                    )
                }
            };
            steps.push_str(&format!(
                "TourStep {{ text: {}, from: {}, until: {}, panes: {}, tabs: {}, highlight: {}, task: {task} }},\n",
                string(&s["text"], &what),
                time(s.get("from"), &what),
                time(s.get("until"), &what),
                s.get("panes").map_or("None".into(), |p| format!("Some({})", strings(p, &what))),
                s.get("tabs").map_or("&[]".into(), |t| strings(t, &what)),
                s.get("highlight").map_or("&[]".into(), |h| strings(h, &what)),
            ));
        }
        out.push_str(&format!(
            "Tour {{ id: {id:?}, title: {}, summary: {}, preset: {}, steps: &[\n{steps}] }},\n",
            string(&t["title"], &id),
            string(&t["summary"], &id),
            string(&t["preset"], &id),
        ));
    }
    out.push(']');
    let file = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("tours.rs");
    std::fs::write(file, out).expect("OUT_DIR is writable");
}

/// Copies `scenarios/<dir>/*.json` into `OUT_DIR/<dir>/`, minified (and `edit`ed).
fn copy(dir: &str, edit: fn(&str) -> String) {
    let from = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(dir);
    println!("cargo:rerun-if-changed={}", from.display());
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join(dir);
    std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
    for entry in std::fs::read_dir(&from).expect("the scenarios folder is there") {
        let path = entry.expect("a readable directory").path();
        if path.extension().is_some_and(|e| e == "json") {
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path).expect("a scenario file is UTF-8 text");
            std::fs::write(out.join(path.file_name().unwrap()), edit(&minify(&text))).expect("OUT_DIR is writable");
        }
    }
}

fn main() {
    copy("presets", |s| s.to_string());
    tours();
}
