//! The engine benchmark in headless Chromium: the same figures as `replicascope bench`
//! (events per second, seek time, checker timings), measured with `performance.now()`.
//! Not a test: it asserts nothing about time and is skipped by the test command. Run it with
//! `bash scripts/bench-wasm` (or `cargo test --release --target wasm32-unknown-unknown
//! -p replicascope-app --test bench -- --include-ignored`), and read the figures it prints.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

#[wasm_bindgen_test]
#[ignore]
fn engine_throughput_and_seek_in_chromium() {
    let r = replicascope_engine::bench::run(100_000, now_ms);
    console_log!("BENCH {}", serde_json::to_string(&r).unwrap());
}
