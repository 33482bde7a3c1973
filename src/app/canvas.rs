//! What the page's canvases share: the stylesheet's colours, media queries, and a canvas bound
//! to its 2D context and sized to its box at the device's pixel ratio.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, CssStyleDeclaration, HtmlCanvasElement};

/// Whether a media query matches (`(prefers-color-scheme: dark)`, `(prefers-reduced-motion:
/// reduce)`).
pub fn media(query: &str) -> bool {
    web_sys::window().and_then(|w| w.match_media(query).ok().flatten()).is_some_and(|m| m.matches())
}

/// The custom properties of the page's root, as computed now (dark mode included).
pub struct RootStyle(CssStyleDeclaration);

impl RootStyle {
    pub fn read() -> Option<RootStyle> {
        let w = web_sys::window()?;
        let root = w.document()?.document_element()?;
        Some(RootStyle(w.get_computed_style(&root).ok()??))
    }

    /// The value of `--name`, or `fallback` if the stylesheet does not set it.
    pub fn var(&self, name: &str, fallback: &str) -> String {
        let v = self.0.get_property_value(name).unwrap_or_default();
        let v = v.trim();
        if v.is_empty() {
            fallback.to_string()
        } else {
            v.to_string()
        }
    }
}

pub fn context_2d(c: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    c.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
}

/// The device's pixel ratio, within what is worth drawing for.
pub fn pixel_ratio() -> f64 {
    web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).clamp(1.0, 3.0)
}

/// A canvas element and its context, asked for once per element (a view that is hidden and
/// shown again has a new canvas).
#[derive(Default)]
pub struct Surface {
    canvas: Option<HtmlCanvasElement>,
    ctx: Option<CanvasRenderingContext2d>,
}

impl Surface {
    /// Paints on `canvas` from now on. Returns true if it is not the canvas painted last.
    pub fn bind(&mut self, canvas: &HtmlCanvasElement) -> bool {
        if self.canvas.as_ref() == Some(canvas) {
            return false;
        }
        self.canvas = Some(canvas.clone());
        self.ctx = context_2d(canvas);
        true
    }

    pub fn canvas(&self) -> Option<&HtmlCanvasElement> {
        self.canvas.as_ref()
    }

    pub fn ctx(&self) -> Option<CanvasRenderingContext2d> {
        self.ctx.clone()
    }

    /// The size in pixels of a box of `w` × `h` CSS pixels at `ratio`.
    pub fn pixels(&self, w: f64, h: f64, ratio: f64) -> (u32, u32) {
        ((w * ratio).round() as u32, (h * ratio).round() as u32)
    }

    /// Sizes the canvas's pixels to a box of `w` × `h` CSS pixels at `ratio` (a no-op when they
    /// already are: resizing clears the canvas). Returns the size in pixels.
    pub fn fit(&self, w: f64, h: f64, ratio: f64) -> (u32, u32) {
        let (pw, ph) = self.pixels(w, h, ratio);
        if let Some(c) = &self.canvas {
            if c.width() != pw || c.height() != ph {
                c.set_width(pw);
                c.set_height(ph);
            }
        }
        (pw, ph)
    }
}
