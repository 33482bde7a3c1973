//! The history checker's Web Worker (see `checker.rs`): it says it is ready, then answers each
//! request posted to it. Built by Trunk as its own wasm, loaded by the page only when a history is
//! opened. On native targets there is nothing to run.

#[cfg(target_arch = "wasm32")]
fn main() {
    replicascope_app::serve_worker(replicascope_app::checker::answer);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("history-worker runs in the browser, started by the page; the CLI's `replicascope check` checks histories natively.");
}
