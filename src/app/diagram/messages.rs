//! Messages in flight: where each is at a moment (from `sent_at`/`deliver_at`), which one is under
//! the pointer, and the canvas layer that paints them every frame from one sprite sheet, outside
//! any render.

#[allow(unused_imports)]
use super::*;

/// Where a message in flight is drawn at `now`, and whether it has faded (lost).
pub fn dot(m: &MsgRecord, now: f64, geo: Geo, reduced_motion: bool) -> ((f64, f64), bool) {
    let a = place(m.from, geo);
    let b = place(m.to, geo);
    let t = progress(now as u64, m.sent_at, m.deliver_at);
    // A message lost to a partition or a crash travels to the middle (or the end) and fades.
    let (stop, faded) = match m.dropped {
        Some((DropReason::Partitioned, _)) | Some((DropReason::Lost, _)) => (0.5, t >= 0.5),
        Some((DropReason::NodeDown, _)) => (0.92, t >= 0.92),
        Some((DropReason::Intervention, _)) => (t.min(0.5), true),
        None => (1.0, false),
    };
    let shown = if reduced_motion { 0.5_f64.min(stop) } else { t.min(stop) };
    (lerp(a, b, shown), faded)
}

/// The message under a point of the diagram (viewBox coordinates), if any: the nearest within
/// a little more than a dot's radius.
pub fn message_at(in_flight: &[Flying], x: f64, y: f64, geo: Geo, reduced: bool) -> Option<u64> {
    in_flight
        .iter()
        .map(|f| {
            let ((mx, my), _) = dot(&f.record, f.t, geo, reduced);
            (f.record.id, (mx - x).powi(2) + (my - y).powi(2))
        })
        .filter(|(_, d2)| *d2 <= 9.0 * 9.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

/// A message's description, for its tooltip.
pub fn describe(m: &MsgRecord) -> String {
    format!(
        "{} {} → {}: {} (sent {}, arrives {}){}",
        m.kind.legend(),
        m.from,
        m.to,
        m.label,
        human_duration(m.sent_at),
        human_duration(m.deliver_at),
        match m.dropped {
            Some((r, _)) => format!(" — lost: {}", r.label()),
            None => " — double-click to drop it".into(),
        }
    )
}

/// One pane's messages in flight. The page's animation loop paints them every frame, outside
/// Yew's render (the loop only moves the displayed time; nothing else on the page renders for
/// it), and the diagram hit-tests what was painted last.
#[derive(Default)]
pub struct MessageLayer {
    pub canvas: NodeRef,
    painter: RefCell<Painter>,
    /// The messages painted last, with the time they were painted at.
    pub(super) drawn: RefCell<Vec<Flying>>,
    /// The message under the pointer (its description is the canvas's tooltip).
    hovered: Cell<Option<u64>>,
    /// The canvas attributes last written, so that a frame writes only what changed.
    attrs: RefCell<[String; 5]>,
    /// What was painted last besides the messages, and on which canvas: painting the same
    /// messages at the same moment again is skipped (a seek paints after its render, and the
    /// animation frame that follows would paint the same picture again).
    painted: RefCell<Option<(PaintKey, web_sys::HtmlCanvasElement)>>,
}

type PaintKey = (Geo, bool, Option<Highlight>, u32, bool);

/// The canvas attributes the layer keeps up to date: the count and an accessible label, the
/// highlighted message and where it is (viewBox units; for tests and tools), and the tooltip.
pub(super) const LAYER_ATTRS: [&str; 5] = ["data-count", "aria-label", "data-highlight", "data-highlight-at", "title"];

impl MessageLayer {
    /// Paints `in_flight` (false if the canvas is not in the page). `layout_gen` changes
    /// whenever the page's layout may have changed: the canvas then measures itself again.
    /// `live`: the run is playing.
    pub fn paint(
        &self,
        in_flight: Vec<Flying>,
        geo: Geo,
        reduced: bool,
        highlight: Option<Highlight>,
        layout_gen: u32,
        live: bool,
    ) -> bool {
        let Some(c) = self.canvas.cast::<web_sys::HtmlCanvasElement>() else { return false };
        let key = (geo, reduced, highlight, layout_gen, live);
        let same = self.painted.borrow().as_ref().is_some_and(|(k, canvas)| *k == key && *canvas == c)
            && *self.drawn.borrow() == in_flight;
        if same {
            return true;
        }
        self.painter.borrow_mut().draw(&c, &in_flight, geo, reduced, highlight, layout_gen);
        *self.painted.borrow_mut() = Some((key, c.clone()));
        *self.drawn.borrow_mut() = in_flight;
        let lit = highlight.and_then(|h| {
            self.drawn.borrow().iter().find(|f| h.matches(f.record.id, f.record.op.map(u64::from))).map(|f| {
                let ((x, y), _) = dot(&f.record, f.t, geo, reduced);
                (f.record.id.to_string(), format!("{x:.1},{y:.1}"))
            })
        });
        let count = self.drawn.borrow().len();
        let (lit_id, lit_at) = lit.unzip();
        // The count is in the accessible name only when it holds still: a name that changes every
        // frame keeps a screen reader busy for nothing.
        let label = if live { "Messages in flight".to_string() } else { format!("{count} messages in flight") };
        self.write_attrs(&c, [Some(count.to_string()), Some(label), lit_id, lit_at, self.tooltip()]);
        true
    }

    /// The message under the pointer changed.
    pub fn hover(&self, id: Option<u64>) {
        self.hovered.set(id);
        if let Some(c) = self.canvas.cast::<web_sys::Element>() {
            let mut attrs = self.attrs.borrow().clone();
            attrs[4] = self.tooltip().unwrap_or_default();
            self.write_attrs(&c, attrs.map(|a| (!a.is_empty()).then_some(a)));
        }
    }

    pub(super) fn tooltip(&self) -> Option<String> {
        let id = self.hovered.get()?;
        self.drawn.borrow().iter().find(|f| f.record.id == id).map(|f| describe(&f.record))
    }

    pub(super) fn write_attrs(&self, el: &web_sys::Element, values: [Option<String>; 5]) {
        let mut last = self.attrs.borrow_mut();
        for ((name, new), old) in LAYER_ATTRS.iter().zip(values).zip(last.iter_mut()) {
            let new = new.unwrap_or_default();
            if *old == new {
                continue;
            }
            let _ = if new.is_empty() { el.remove_attribute(name) } else { el.set_attribute(name, &new) };
            *old = new;
        }
    }
}

/// Colours of the message kinds, read from the stylesheet (so dark mode and the legend agree).
struct Palette {
    dark: bool,
    kinds: Vec<String>,
    panel: String,
    ink: String,
    bad: String,
}

fn palette() -> Option<Palette> {
    let style = RootStyle::read()?;
    Some(Palette {
        dark: media("(prefers-color-scheme: dark)"),
        kinds: MsgKind::ALL.iter().map(|k| style.var(&format!("--k-{}", k.name()), "#888")).collect(),
        panel: style.var("--panel", "#fff"),
        ink: style.var("--ink", "#1d232b"),
        bad: style.var("--bad", "#c0392b"),
    })
}

/// What the message canvas keeps between frames: its size (read from the page only now and
/// then, since reading it forces a layout), the palette, and one pre-drawn dot per message
/// kind (plus the faded one), so that a frame is one image copy per message.
#[derive(Default)]
pub struct Painter {
    draws: u64,
    layout_gen: Option<u32>,
    size: (f64, f64),
    dpr: f64,
    palette: Option<Palette>,
    /// The sprite sheet (each kind in `MsgKind::ALL` order, then the faded dot), the side of
    /// one sprite in pixels, and the scale it was drawn at.
    sprites: Option<web_sys::HtmlCanvasElement>,
    sprite_side: f64,
    sprite_scale: f64,
    /// The canvas painted last, with its context.
    surface: Surface,
    /// Nothing is on the canvas: a frame with nothing in flight leaves it alone (clearing a
    /// blank canvas still costs the browser a new canvas frame to composite).
    blank: bool,
}

pub(super) const DOT_R: f64 = 6.5;

impl Painter {
    /// Draws the sprite sheet: one dot per kind, side by side, then the faded one. One sheet,
    /// not a canvas per kind: the browser snapshots a source canvas once per sheet it draws.
    pub(super) fn sprites(&mut self, px_per_unit: f64) {
        if self.sprites.is_some() && (self.sprite_scale - px_per_unit).abs() < 1e-6 {
            return;
        }
        let Some(pal) = self.palette.as_ref() else { return };
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
        let side = ((DOT_R + 1.5) * 2.0 * px_per_unit).ceil().max(2.0);
        let Some(c) = doc.create_element("canvas").ok().and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            return;
        };
        c.set_width((side as usize * (MsgKind::ALL.len() + 1)) as u32);
        c.set_height(side as u32);
        let Some(ctx) = context_2d(&c) else { return };
        let mid = side / px_per_unit / 2.0;
        for i in 0..=MsgKind::ALL.len() {
            let _ = ctx.set_transform(px_per_unit, 0.0, 0.0, px_per_unit, i as f64 * side, 0.0);
            let faded = i == MsgKind::ALL.len();
            let kind = MsgKind::ALL.get(i).copied();
            ctx.begin_path();
            let _ = ctx.arc(mid, mid, DOT_R, 0.0, std::f64::consts::TAU);
            ctx.set_fill_style_str(if faded { &pal.bad } else { &pal.kinds[i] });
            ctx.fill();
            ctx.set_line_width(1.2);
            ctx.set_stroke_style_str(&pal.panel);
            ctx.stroke();
            let light = matches!(kind, Some(MsgKind::Replicate | MsgKind::Read | MsgKind::ReplicaAck))
                || (kind == Some(MsgKind::Snapshot) && pal.dark);
            ctx.set_fill_style_str(if light { "#1d232b" } else { "#ffffff" });
            ctx.set_font("700 7.5px system-ui, sans-serif");
            ctx.set_text_align("center");
            ctx.set_text_baseline("middle");
            let _ = ctx.fill_text(kind.map(kind_letter).unwrap_or("✕"), mid, mid + 0.5);
        }
        self.sprites = Some(c);
        self.sprite_side = side;
        self.sprite_scale = px_per_unit;
    }

    /// Draws the messages in flight onto the canvas over the diagram. Hundreds of messages
    /// move every frame; on a canvas each is one image copy, where an SVG element each would
    /// cost the browser a style, layout and paint pass over all of them.
    pub(super) fn draw(
        &mut self,
        canvas: &web_sys::HtmlCanvasElement,
        in_flight: &[Flying],
        geo: Geo,
        reduced: bool,
        highlight: Option<Highlight>,
        layout_gen: u32,
    ) {
        // A plain context, composited with the rest of the page: a `desynchronized` one could
        // show messages a frame apart from the nodes they travel between (and measured slower
        // here).
        if self.surface.bind(canvas) {
            self.layout_gen = None;
            self.blank = false;
        }
        if self.draws.is_multiple_of(30) || self.layout_gen != Some(layout_gen) {
            self.layout_gen = Some(layout_gen);
            let dark = media("(prefers-color-scheme: dark)");
            if self.palette.as_ref().is_none_or(|p| p.dark != dark) {
                self.palette = palette();
                self.sprites = None;
            }
            self.size = (canvas.client_width().max(1) as f64, canvas.client_height().max(1) as f64);
            self.dpr = pixel_ratio();
        }
        self.draws += 1;
        let ((cw, ch), dpr) = (self.size, self.dpr);
        let resized =
            self.surface.canvas().is_some_and(|c| (c.width(), c.height()) != self.surface.pixels(cw, ch, dpr));
        let (pw, ph) = self.surface.fit(cw, ch, dpr);
        if in_flight.is_empty() && self.blank && !resized {
            return;
        }
        let Some(ctx) = self.surface.ctx() else { return };
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.clear_rect(0.0, 0.0, pw as f64, ph as f64);
        self.blank = in_flight.is_empty();
        if self.blank {
            return;
        }
        // The same fit as the SVG's viewBox (xMidYMid meet).
        let scale = (cw / W).min(ch / H);
        let (ox, oy) = ((cw - W * scale) / 2.0, (ch - H * scale) / 2.0);
        self.sprites(scale * dpr);
        let Some(pal) = self.palette.as_ref() else { return };
        // Everything is drawn in device pixels with no transform: dots are copied at whole
        // pixels and at the sprite's own size, a plain copy, where a scaled or sub-pixel copy
        // makes the browser filter every pixel of every dot.
        let k_px = dpr * scale;
        let px = |(x, y): (f64, f64)| (dpr * ox + k_px * x, dpr * oy + k_px * y);
        let side = self.sprite_side;
        let Some(sheet) = self.sprites.as_ref() else { return };
        let mut lit = Vec::new();
        let mut alpha = 1.0;
        for f in in_flight {
            let m = &f.record;
            let ((x, y), faded) = dot(m, f.t, geo, reduced);
            let k =
                if faded { MsgKind::ALL.len() } else { MsgKind::ALL.iter().position(|k| *k == m.kind).unwrap_or(0) };
            if reduced {
                let (a, b) = (px(place(m.from, geo)), px(place(m.to, geo)));
                ctx.set_global_alpha(0.6);
                alpha = 0.6;
                ctx.set_stroke_style_str(pal.kinds.get(k).unwrap_or(&pal.bad));
                ctx.set_line_width(k_px);
                let _ = ctx.set_line_dash(&js_sys::Array::of2(&(2.0 * k_px).into(), &(2.0 * k_px).into()));
                ctx.begin_path();
                ctx.move_to(a.0, a.1);
                ctx.line_to(b.0, b.1);
                ctx.stroke();
                let _ = ctx.set_line_dash(&js_sys::Array::new());
            }
            let want = if faded { 0.45 } else { 1.0 };
            if want != alpha {
                ctx.set_global_alpha(want);
                alpha = want;
            }
            let (cx, cy) = px((x, y));
            let _ = ctx.draw_image_with_html_canvas_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
                sheet,
                k as f64 * side,
                0.0,
                side,
                side,
                (cx - side / 2.0).round(),
                (cy - side / 2.0).round(),
                side,
                side,
            );
            if highlight.is_some_and(|h| h.matches(m.id, m.op.map(u64::from))) {
                lit.push((cx, cy));
            }
        }
        ctx.set_global_alpha(1.0);
        if !lit.is_empty() {
            let r = 9.0 * k_px;
            ctx.set_line_width(2.5 * k_px);
            ctx.set_stroke_style_str(&pal.ink);
            ctx.begin_path();
            for (x, y) in lit {
                ctx.move_to(x + r, y);
                let _ = ctx.arc(x, y, r, 0.0, std::f64::consts::TAU);
            }
            ctx.stroke();
        }
    }
}
