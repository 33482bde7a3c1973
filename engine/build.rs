//! Copies the presets (`scenarios/presets/*.json`) into the build without the whitespace that
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

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/presets");
    println!("cargo:rerun-if-changed={}", dir.display());
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("presets");
    std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
    for entry in std::fs::read_dir(&dir).expect("scenarios/presets is there") {
        let path = entry.expect("a readable directory").path();
        if path.extension().is_some_and(|e| e == "json") {
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path).expect("a preset is UTF-8 text");
            std::fs::write(out.join(path.file_name().unwrap()), minify(&text)).expect("OUT_DIR is writable");
        }
    }
}
