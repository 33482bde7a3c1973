//! ReplicaScope front end: a Yew app that draws the engine's runs.
//!
//! Only `app` and the components touch the web; everything else here is plain Rust and tested
//! natively.

pub mod budget;
pub mod checker;
pub mod clock_text;
pub mod derive;
pub mod geometry;
pub mod pace;
pub mod presets;
pub mod reading;
pub mod sample;
pub mod session;
pub mod tour;

#[cfg(target_arch = "wasm32")]
pub mod app;

#[cfg(target_arch = "wasm32")]
pub use app::start;

/// A Web Worker of the page's (`worker.rs`, `scenario_worker.rs`): it says it is ready, then
/// answers each text posted to it with `answer`'s bytes. Messages posted before its module had
/// loaded were dropped by the browser, so the page waits for "ready" before asking.
#[cfg(target_arch = "wasm32")]
pub fn serve_worker(answer: fn(&str) -> Vec<u8>) {
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
        if let Some(request) = m.data().as_string() {
            let bytes = answer(&request);
            let _ = reply.post_message(&js_sys::Uint8Array::from(&bytes[..]));
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str("ready"));
}
