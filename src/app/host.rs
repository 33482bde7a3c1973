//! The page's edges: the URL fragment, the clipboard, downloads (SVG, PNG, JSON, EDN), and the
//! postMessage API for pages that embed ReplicaScope in an iframe. Everything that reaches in
//! from outside (a fragment, a message) is parsed and validated like a link.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The fragment without `#`.
pub fn read_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.strip_prefix('#').map(str::to_string).unwrap_or(h))
        .unwrap_or_default()
}

/// Replaces the fragment without a new history entry and without a `hashchange` event.
pub fn write_hash(fragment: &str) {
    let Some(w) = web_sys::window() else { return };
    if read_hash() == fragment {
        return;
    }
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&format!("#{fragment}")));
    }
}

/// The page's clock (`performance.now()`), in milliseconds: for animations and frame budgets,
/// never for anything the engine computes.
pub fn page_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// The page's address without its fragment.
pub fn base_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// Copies text to the clipboard (when the browser allows it; the dialogs also show the text
/// selected, so Ctrl+C works everywhere).
pub fn copy(text: &str) -> bool {
    let Some(w) = web_sys::window() else { return false };
    let clipboard = w.navigator().clipboard();
    let _ = clipboard.write_text(text);
    true
}

/// Offers `bytes` as a file download.
pub fn download(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    download_blob(name, &blob);
}

fn download_blob(name: &str, blob: &web_sys::Blob) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else { return };
    if let Ok(a) = doc.create_element("a") {
        if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
            a.set_href(&url);
            a.set_download(name);
            a.set_attribute("data-download", name).ok();
            if let Some(body) = doc.body() {
                let _ = body.append_child(&a);
                a.click();
                a.remove();
            }
        }
    }
    // Revoke later: the download starts asynchronously.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    }
}

/// The page's stylesheet text, so that an exported SVG looks as it does on the page.
fn stylesheet_text() -> String {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return String::new() };
    let sheets = doc.style_sheets();
    let mut css = String::new();
    for i in 0..sheets.length() {
        let Some(sheet) = sheets.item(i).and_then(|s| s.dyn_into::<web_sys::CssStyleSheet>().ok()) else { continue };
        let Ok(rules) = sheet.css_rules() else { continue };
        for k in 0..rules.length() {
            if let Some(r) = rules.item(k) {
                let text = r.css_text();
                // Exports are light whatever the viewer's theme: a slide must not change colour.
                if text.starts_with("@media (prefers-color-scheme: dark)") {
                    continue;
                }
                css.push_str(&text);
                css.push('\n');
            }
        }
    }
    css
}

/// How an exported diagram is framed: a title, a line under it, a legend (class and letter of a
/// message kind, and what it is), and the 16:9 slide size or the diagram's own.
pub struct Frame {
    pub title: String,
    pub subtitle: String,
    pub legend: Vec<(&'static str, &'static str, &'static str)>,
    pub slide: bool,
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// A standalone SVG document of the diagram matched by `selector`, framed for a slide (see
/// [`Frame`]): the page's light styles inlined, a white background, explicit size, and the
/// messages in flight (`messages`, SVG markup built by us, never from input) drawn under the
/// nodes and clients so that they never cover a label. Text from the scenario (its name) is set
/// as text, never parsed as markup.
pub fn svg_document(selector: &str, messages: &str, frame: Option<&Frame>) -> Option<String> {
    let doc = web_sys::window()?.document()?;
    let el = doc.query_selector(selector).ok()??;
    let copy = el.clone_node_with_deep(true).ok()?.dyn_into::<web_sys::Element>().ok()?;
    let rect = el.get_bounding_client_rect();
    let (w, h) = (rect.width().max(360.0), rect.height().max(100.0));
    // A diagram drawn in stacked layers (the space-time view): the other layers' content in
    // order, each clipped and moved as it is on the page.
    if let Some(layer_frame) = el.closest(".st-frame").ok().flatten() {
        let layers = layer_frame.query_selector_all("svg").ok()?;
        for k in 0..layers.length() {
            let Some(layer) = layers.item(k).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
            if layer == el {
                continue;
            }
            let clip = doc.create_element_ns(Some(SVG_NS), "g").ok()?;
            if let Some(c) = layer.get_attribute("data-export-clip") {
                clip.set_attribute("clip-path", &c).ok()?;
            }
            let moved = doc.create_element_ns(Some(SVG_NS), "g").ok()?;
            if let Some(t) = layer.get_attribute("data-export-transform") {
                moved.set_attribute("transform", &t).ok()?;
            }
            let children = layer.child_nodes();
            for c in 0..children.length() {
                if let Some(node) = children.item(c) {
                    moved.append_child(&node.clone_node_with_deep(true).ok()?).ok()?;
                }
            }
            clip.append_child(&moved).ok()?;
            copy.append_child(&clip).ok()?;
        }
    }
    if !messages.is_empty() {
        let g = doc.create_element_ns(Some(SVG_NS), "g").ok()?;
        g.set_attribute("class", "export-messages").ok()?;
        g.set_inner_html(messages);
        // Under the clients and nodes: a message at a node never hides its name.
        match copy.query_selector("g.clients").ok().flatten().or(copy.query_selector("g.nodes").ok().flatten()) {
            Some(first) => {
                first.parent_node()?.insert_before(&g, Some(&first)).ok()?;
            }
            None => {
                copy.append_child(&g).ok()?;
            }
        }
    }
    let serializer = web_sys::XmlSerializer::new().ok()?;
    let Some(frame) = frame else {
        // Unframed (a chart, which carries its own title): the element itself, sized and styled.
        copy.set_attribute("xmlns", SVG_NS).ok()?;
        copy.set_attribute("width", &format!("{w:.0}")).ok()?;
        copy.set_attribute("height", &format!("{h:.0}")).ok()?;
        let style = doc.create_element_ns(Some(SVG_NS), "style").ok()?;
        style.set_text_content(Some(&format!(
            "svg {{ background: #fff; font-family: system-ui, sans-serif; }}\n{}",
            stylesheet_text()
        )));
        copy.prepend_with_node_1(&style).ok()?;
        return serializer.serialize_to_string(&copy).ok();
    };
    if copy.get_attribute("viewBox").is_none() {
        copy.set_attribute("viewBox", &format!("0 0 {w:.0} {h:.0}")).ok()?;
    }
    // The frame: a title band, the diagram, a legend band, written as text (text from the
    // scenario escaped), around the diagram as the browser serialises it.
    let (outer_w, scale) = if frame.slide { (1920.0, 2.0) } else { (w.max(640.0), 1.0) };
    let pad = 24.0 * scale;
    let head = 76.0 * scale;
    let per_row = ((outer_w - 2.0 * pad) / (190.0 * scale)).floor().max(1.0) as usize;
    let rows = frame.legend.len().div_ceil(per_row);
    let legend_h = if rows == 0 { 0.0 } else { rows as f64 * 26.0 * scale + 16.0 * scale };
    let outer_h = if frame.slide { 1080.0 } else { head + h + legend_h + pad };
    let inner_w = outer_w - 2.0 * pad;
    let inner_h = outer_h - head - legend_h - pad;
    for (k, v) in [
        ("x", format!("{pad:.1}")),
        ("y", format!("{head:.1}")),
        ("width", format!("{inner_w:.1}")),
        ("height", format!("{inner_h:.1}")),
        ("preserveAspectRatio", "xMidYMid meet".into()),
        // The page's rules size diagrams with CSS, which would beat the attributes above.
        ("style", format!("width:{inner_w:.1}px;height:{inner_h:.1}px")),
    ] {
        copy.set_attribute(k, &v).ok()?;
    }
    let diagram = serializer.serialize_to_string(&copy).ok()?;
    let mut legend = String::new();
    for (i, (class, letter, label)) in frame.legend.iter().enumerate() {
        let x = pad + (i % per_row) as f64 * 190.0 * scale;
        let y = outer_h - legend_h + 18.0 * scale + (i / per_row) as f64 * 26.0 * scale;
        legend.push_str(&format!(
            "<g class=\"msg {class}\" transform=\"translate({:.1} {y:.1}) scale({scale})\"><circle r=\"6.5\"/><text y=\"0.5\">{}</text></g><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 8.0 * scale,
            escape(letter),
            x + 22.0 * scale,
            y + 5.0 * scale,
            escape(label)
        ));
    }
    Some(format!(
        "<svg xmlns=\"{SVG_NS}\" width=\"{outer_w:.0}\" height=\"{outer_h:.0}\" viewBox=\"0 0 {outer_w:.0} {outer_h:.0}\">\
         <style>{}</style><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\
         <text class=\"export-title\" x=\"{pad:.1}\" y=\"{:.1}\">{}</text>\
         <text class=\"export-sub\" x=\"{pad:.1}\" y=\"{:.1}\">{}</text>{diagram}<g class=\"export-legend\">{legend}</g></svg>",
        escape(&format!(
            "svg {{ background: #fff; font-family: system-ui, sans-serif; color-scheme: light; }}\n\
             .export-title {{ font-size: {}px; font-weight: 650; fill: #14202e; }}\n\
             .export-sub, .export-legend > text {{ font-size: {}px; fill: #4a5868; }}\n{}",
            22.0 * scale,
            14.0 * scale,
            stylesheet_text()
        )),
        34.0 * scale,
        escape(&frame.title),
        58.0 * scale,
        escape(&frame.subtitle),
    ))
}

/// Text as XML character data or attribute value.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Draws an SVG document onto a canvas at twice its size and downloads it as PNG.
pub fn download_png(name: String, svg: String) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let parts = js_sys::Array::of1(&JsValue::from_str(&svg));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("image/svg+xml");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let Ok(img) = web_sys::HtmlImageElement::new() else { return };
    let img2 = img.clone();
    let url2 = url.clone();
    let onload = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url2);
        let (w, h) = (img2.natural_width().max(1), img2.natural_height().max(1));
        let Some(canvas) =
            doc.create_element("canvas").ok().and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            return;
        };
        canvas.set_width(w * 2);
        canvas.set_height(h * 2);
        let Some(ctx) = super::canvas::context_2d(&canvas) else {
            return;
        };
        ctx.set_fill_style_str("#ffffff");
        ctx.fill_rect(0.0, 0.0, (w * 2) as f64, (h * 2) as f64);
        let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(&img2, 0.0, 0.0, (w * 2) as f64, (h * 2) as f64);
        let done = Closure::once_into_js(move |blob: JsValue| {
            if let Ok(b) = blob.dyn_into::<web_sys::Blob>() {
                download_blob(&name, &b);
            }
        });
        let _ = canvas.to_blob(done.unchecked_ref());
    });
    img.set_onload(Some(onload.unchecked_ref()));
    img.set_src(&url);
}

pub use crate::session::HostCommand;
use crate::session::{host_command_text, MAX_HOST_MESSAGE};

/// Parses a `message` event's data: text is read as JSON; an object is turned into JSON by the
/// browser (`JSON.stringify`: NaN and infinities become null), then `session::host_command`
/// decides (see there). A long `link` is refused before the object is serialised.
pub fn parse_command(data: &JsValue) -> Option<Result<HostCommand, String>> {
    if let Some(text) = data.as_string() {
        return host_command_text(&text);
    }
    if !data.is_object() {
        return None;
    }
    js_sys::Reflect::get(data, &JsValue::from_str("type")).ok()?.as_string()?;
    if let Ok(link) = js_sys::Reflect::get(data, &JsValue::from_str("link")) {
        if link.as_string().is_some_and(|l| l.len() > MAX_HOST_MESSAGE) {
            return Some(Err(format!("link longer than {MAX_HOST_MESSAGE} bytes")));
        }
    }
    match js_sys::JSON::stringify(data).ok().and_then(|t| t.as_string()) {
        Some(text) => host_command_text(&text),
        None => Some(Err("not a ReplicaScope command: it cannot be read as JSON".into())),
    }
}

/// An event for the embedding page.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HostEvent {
    Ready { link: String },
    Time { t: f64, playing: bool, speed: f64 },
    Anomaly { pane: String, kind: String, t: f64, explanation: String },
    Error { message: String },
}

/// Posts an event to the parent window, when there is one. The events carry nothing private
/// (times and anomaly descriptions of a public simulation), so any origin may read them.
pub fn post(event: &HostEvent) {
    let Some(w) = web_sys::window() else { return };
    let Ok(Some(parent)) = w.parent() else { return };
    if parent == w {
        return;
    }
    // Through JSON: the browser's parser builds the object (no serializer to ship for it).
    let Ok(text) = serde_json::to_string(event) else { return };
    if let Ok(v) = js_sys::JSON::parse(&text) {
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &JsValue::from_str("source"), &JsValue::from_str("replicascope"));
        let _ = js_sys::Reflect::set(&msg, &JsValue::from_str("event"), &v);
        let _ = parent.post_message(&msg, "*");
    }
}

pub fn in_frame() -> bool {
    web_sys::window().and_then(|w| w.parent().ok().flatten().map(|p| p != w)).unwrap_or(false)
}

/// Where the page remembers that it invited this browser to a tour (once is enough).
const INVITED_KEY: &str = "replicascope.tour-invited";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Whether this browser was already invited to a tour (storage that cannot be read counts as
/// invited: no invitation on every visit).
pub fn invited() -> bool {
    storage().is_none_or(|s| s.get_item(INVITED_KEY).ok().flatten().is_some())
}

pub fn remember_invited() {
    if let Some(s) = storage() {
        let _ = s.set_item(INVITED_KEY, "1");
    }
}
