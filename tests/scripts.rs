//! The repository's scripts that guard a release: `scripts/size-report.sh --check` fails when the
//! page, or a worker it loads on demand, is over its gzip budget (and only with `--check`:
//! Trunk's post-build hook prints the figures without failing the build).
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::process::Command;

fn staging(name: &str, files: &[(&str, Vec<u8>)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("replicascope-size-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, bytes) in files {
        std::fs::write(dir.join(file), bytes).unwrap();
    }
    dir
}

fn report(dir: &PathBuf, check: bool) -> std::process::Output {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/size-report.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(script).env("TRUNK_STAGING_DIR", dir);
    if check {
        cmd.arg("--check");
    }
    cmd.output().unwrap()
}

/// Bytes that gzip cannot shrink (a simple xorshift stream).
fn incompressible(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn the_size_check_fails_over_the_budget_and_passes_under_it() {
    let budget_kb: usize =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("size-budget-kb.txt"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
    let over = staging("over", &[("app_bg.wasm", incompressible((budget_kb + 8) * 1024)), ("app.js", b"x".to_vec())]);
    let out = report(&over, true);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("over the"), "{}", String::from_utf8_lossy(&out.stderr));
    // Without --check (Trunk's hook) the same figure is printed and the build goes on.
    assert!(report(&over, false).status.success());
    let under = staging("under", &[("app_bg.wasm", incompressible(budget_kb * 1024 / 2)), ("app.js", b"x".to_vec())]);
    let out = report(&under, true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("total gzipped"));
    // Nothing to measure is an error, not a pass.
    let empty = staging("empty", &[]);
    assert_eq!(report(&empty, true).status.code(), Some(1));
    // A worker, loaded on demand, counts against its own budget and not the page's.
    let worker_kb: usize =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("size-budget-worker-kb.txt"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
    let with_worker = staging(
        "worker",
        &[
            ("app_bg.wasm", incompressible(budget_kb * 1024 / 2)),
            ("app.js", b"x".to_vec()),
            ("history-worker_bg.wasm", incompressible(worker_kb * 1024 / 2)),
        ],
    );
    let out = report(&with_worker, true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(on demand)"));
    let big_worker = staging(
        "big-worker",
        &[("app_bg.wasm", b"x".to_vec()), ("history-worker_bg.wasm", incompressible((worker_kb + 8) * 1024))],
    );
    let out = report(&big_worker, true);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("workers'"), "{}", String::from_utf8_lossy(&out.stderr));
    for dir in [over, under, empty, with_worker, big_worker] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
