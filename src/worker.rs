//! The history checker's Web Worker (see `checker.rs`): it says it is ready, then answers each
//! request posted to it. Built by Trunk as its own wasm, loaded by the page only when a history is
//! opened. On native targets there is nothing to run.

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
        if let Some(request) = m.data().as_string() {
            let bytes = replicascope_app::checker::answer(&request);
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
    eprintln!("history-worker runs in the browser, started by the page; the CLI's `replicascope check` checks histories natively.");
}
