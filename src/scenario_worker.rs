//! The scenario reader's Web Worker (see `reading.rs`): it says it is ready, then answers each
//! question posted to it. Built by Trunk as its own wasm, loaded by the page only when it first
//! reads a scenario file (one dropped on it, or the editor's text). On native targets there is
//! nothing to run.

#[cfg(target_arch = "wasm32")]
fn main() {
    replicascope_app::serve_worker(replicascope_app::reading::answer);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("scenario-worker runs in the browser, started by the page; the CLI reads scenario files natively.");
}
