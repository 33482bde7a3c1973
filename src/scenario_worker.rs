//! The scenario reader's Web Worker (see `reading.rs`): it says it is ready, then answers each
//! question posted to it. Built by Trunk as its own wasm, loaded by the page only when it first
//! reads a scenario file (one dropped on it, or the editor's text). On native targets there is
//! nothing to run.

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
        if let Some(request) = m.data().as_string() {
            let bytes = replicascope_app::reading::answer(&request);
            let _ = reply.post_message(&js_sys::Uint8Array::from(&bytes[..]));
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Messages posted before the module finished loading were dropped: the page waits for this.
    let _ = scope.post_message(&JsValue::from_str("ready"));
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("scenario-worker runs in the browser, started by the page; the CLI reads scenario files natively.");
}
