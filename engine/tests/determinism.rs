//! The same scenario and seed give the same trace, run after run, and the digests match the
//! golden file that the WebAssembly test checks too. Set UPDATE_GOLDEN=1 to rewrite it after a
//! deliberate change to the engine (and say why in the commit).

use replicascope_engine::golden::digests;
use std::path::PathBuf;

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/digests.json")
}

#[test]
fn runs_are_reproducible_and_match_the_golden_digests() {
    let a = digests();
    let b = digests();
    assert_eq!(a, b, "two runs of the same scenario and seed differ");
    let text = serde_json::to_string_pretty(&a).unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() || !golden_path().exists() {
        std::fs::write(golden_path(), text + "\n").unwrap();
        return;
    }
    let golden: Vec<(String, String, u64, String)> =
        serde_json::from_str(&std::fs::read_to_string(golden_path()).unwrap()).unwrap();
    for (got, want) in a.iter().zip(&golden) {
        assert_eq!(got, want, "digest changed for {} / {} / seed {}", want.0, want.1, want.2);
    }
    assert_eq!(a.len(), golden.len());
}
