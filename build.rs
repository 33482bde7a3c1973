//! Compiles the presets into the page: each preset's scenario, read from its file by the engine
//! (natively, here), is written as bytes in the form compact links carry (postcard), with its
//! id, group and name. The page decodes these instead of parsing JSON: its WebAssembly then has
//! no JSON reader for presets, and no preset's text in its data (see `src/presets.rs`).

use replicascope_engine::page::{preset, scenario_bytes, Group, PRESETS};
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // The engine embeds the files; a change to one rebuilds it, and so reruns this script. Said
    // here as well, so that the dependency is plain.
    println!("cargo:rerun-if-changed=scenarios/presets");
    println!("cargo:rerun-if-changed=build.rs");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    let mut table = String::from("pub static PRESETS: &[PagePreset] = &[\n");
    for p in PRESETS {
        let scenario = preset(p.id).unwrap_or_else(|| panic!("preset {} does not read", p.id));
        if let Err(problems) = scenario.compile() {
            panic!("preset {} does not compile: {problems}", p.id);
        }
        let file = format!("preset-{}.bin", p.id);
        std::fs::write(out.join(&file), scenario_bytes(&scenario)).expect("OUT_DIR is writable");
        let group = match p.group {
            Group::Lesson => "Lesson",
            Group::RealSystem => "RealSystem",
        };
        writeln!(
            table,
            "    PagePreset {{ id: {:?}, group: Group::{group}, name: {:?}, bytes: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{file}\")) }},",
            p.id, scenario.name
        )
        .expect("writing to a String");
    }
    table.push_str("];\n");
    std::fs::write(out.join("presets.rs"), table).expect("OUT_DIR is writable");
}
