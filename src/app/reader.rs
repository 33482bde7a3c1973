//! The page's Web Workers, started from the files beside the page (as Trunk builds them, so that
//! the page works from any sub-path), and the scenario reader: one worker for the page's life,
//! started the first time a scenario file is read (`reading.rs` has its protocol).

use crate::reading::{read_answer, request, Reading};
use std::cell::RefCell;
use std::collections::BTreeMap;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::MessageEvent;
use yew::Callback;

/// Starts the worker Trunk built as `<name>.js` and `<name>_bg.wasm` beside the page. `what`
/// names it in errors ("the history checker").
pub fn spawn(name: &str, what: &str) -> Result<web_sys::Worker, String> {
    let failed = |why: &str| format!("The {what} could not start ({why}).");
    let doc = web_sys::window().and_then(|w| w.document()).ok_or_else(|| failed("no document"))?;
    let base = doc.base_uri().ok().flatten().ok_or_else(|| failed("no base address"))?;
    let beside = |file: &str| web_sys::Url::new_with_base(file, &base).map(|u| u.href());
    let (script, wasm) = match (beside(&format!("{name}.js")), beside(&format!("{name}_bg.wasm"))) {
        (Ok(s), Ok(w)) => (s, w),
        _ => return Err(failed("its address")),
    };
    // Addresses as JS string literals (a JSON string is one).
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let boot = format!("importScripts({});wasm_bindgen({});", quoted(&script), quoted(&wasm));
    let parts = js_sys::Array::of1(&JsValue::from_str(&boot));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let url = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .and_then(|b| web_sys::Url::create_object_url_with_blob(&b))
        .map_err(|_| failed("a script for it"))?;
    let worker = web_sys::Worker::new(&url).map_err(|_| failed("the browser refused a worker"))?;
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(worker)
}

/// The reader: its worker, whether it said it is ready, what waits for that, and who waits for
/// which answer.
struct Reader {
    worker: web_sys::Worker,
    ready: bool,
    waiting: Vec<String>,
    asked: BTreeMap<u32, Callback<Reading>>,
    next_id: u32,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    static READER: RefCell<Option<Reader>> = const { RefCell::new(None) };
}

/// Reads a scenario file's text in the reader's worker; `done` gets the reading. If the worker
/// cannot start or stops, `done` gets that as the file's one problem.
pub fn read(text: &str, done: Callback<Reading>) {
    let fail = |why: String| done.emit(Err(vec![(String::new(), why)]));
    let started = READER.with(|r| {
        if r.borrow().is_some() {
            return Ok(());
        }
        let reader = start()?;
        *r.borrow_mut() = Some(reader);
        Ok::<(), String>(())
    });
    if let Err(why) = started {
        fail(why);
        return;
    }
    READER.with(|r| {
        let mut r = r.borrow_mut();
        let Some(reader) = r.as_mut() else { return };
        let id = reader.next_id;
        reader.next_id = reader.next_id.wrapping_add(1);
        reader.asked.insert(id, done);
        let question = request(id, text);
        if reader.ready {
            let _ = reader.worker.post_message(&JsValue::from_str(&question));
        } else {
            reader.waiting.push(question);
        }
    });
}

fn start() -> Result<Reader, String> {
    let worker = spawn("scenario-worker", "scenario reader")?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|m: MessageEvent| {
        let data = m.data();
        if data.as_string().as_deref() == Some("ready") {
            READER.with(|r| {
                if let Some(reader) = r.borrow_mut().as_mut() {
                    reader.ready = true;
                    for q in reader.waiting.drain(..) {
                        let _ = reader.worker.post_message(&JsValue::from_str(&q));
                    }
                }
            });
            return;
        }
        let Some(bytes) = data.dyn_ref::<js_sys::Uint8Array>().map(|b| b.to_vec()) else { return };
        match read_answer(&bytes) {
            Ok((id, reading)) => {
                // Taken out before it is called: the callback may read another file at once.
                let done = READER.with(|r| r.borrow_mut().as_mut().and_then(|reader| reader.asked.remove(&id)));
                if let Some(done) = done {
                    done.emit(reading);
                }
            }
            Err(why) => give_up(why),
        }
    });
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|_| {
        give_up(
            "The scenario reader (a worker the page loads beside it) stopped with an error, so the file cannot be checked here; reload the page to try again, or check it with `replicascope validate`."
                .into(),
        )
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Reader {
        worker,
        ready: false,
        waiting: Vec::new(),
        asked: BTreeMap::new(),
        next_id: 1,
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// The worker failed: everyone waiting hears why, and the next read starts a new one.
fn give_up(why: String) {
    let reader = READER.with(|r| r.borrow_mut().take());
    let Some(mut reader) = reader else { return };
    reader.worker.terminate();
    for (_, done) in std::mem::take(&mut reader.asked) {
        done.emit(Err(vec![(String::new(), why.clone())]));
    }
    // Called from the worker's own handlers, which the reader owns: it is dropped in a task of
    // its own, once they have returned, never while one of them runs.
    let later = Closure::once_into_js(move || drop(reader));
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback(later.unchecked_ref());
    }
}
