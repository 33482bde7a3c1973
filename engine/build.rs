//! Copies the presets (`scenarios/presets/*.json`) and the tours (`scenarios/tours/*.json`, without
//! the claims only tests read) into the build without the whitespace that
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

/// Drops every `,"expect":[…]` (the claims a tour step makes about the run, which only the
/// tests read) from minified JSON. A key inside a string is left alone.
fn strip_expect(json: &str) -> String {
    const KEY: &str = ",\"expect\":";
    let b = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let (mut i, mut in_string, mut escaped) = (0, false, false);
    while i < b.len() {
        let c = b[i];
        if !in_string && json[i..].starts_with(KEY) {
            // Skip the value: brackets, braces and strings, to where its depth returns to zero.
            let mut j = i + KEY.len();
            let (mut depth, mut s, mut e) = (0i32, false, false);
            while j < b.len() {
                let d = b[j];
                if s {
                    match d {
                        _ if e => e = false,
                        b'\\' => e = true,
                        b'"' => s = false,
                        _ => {}
                    }
                } else {
                    match d {
                        b'"' => s = true,
                        b'[' | b'{' => depth += 1,
                        b']' | b'}' => depth -= 1,
                        _ => {}
                    }
                }
                j += 1;
                if depth == 0 && !s {
                    break;
                }
            }
            i = j;
            continue;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if c == b'"' {
            in_string = true;
        }
        // Copy the whole character (multibyte text stays whole).
        let len = json[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        out.push_str(&json[i..i + len]);
        i += len;
    }
    out
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
    copy("tours", strip_expect);
}
