//! What comes from outside the page's own controls: keys, the URL fragment changing, the host
//! page's postMessage commands, and exports (downloads).

use super::*;
use replicascope_engine::page::MsgKind;

impl App {
    /// Downloads a pane's node or space-time diagram, framed for a slide (`host::Frame`).
    pub(super) fn export_diagram(&mut self, e: &Export) {
        let Export::Diagram { pane, space_time, png, slide } = *e else { return };
        let s = &self.session;
        let Some(p) = s.panes.get(pane) else { return };
        let kind = p.kind;
        let (selector, view) = if space_time {
            (format!("section[data-pane={}] .space-time svg", kind.name()), "space-time")
        } else {
            (format!("section[data-pane={}] svg.diagram", kind.name()), "diagram")
        };
        // The legend: the kinds of message drawn (in flight now, or in the space-time window).
        let now = s.now();
        let trace = p.run.trace();
        let (from, to) = if space_time {
            let w = self.ui.get(pane).map_or(1_000_000, |u| u.window);
            (now.saturating_sub(w), now + w / 8)
        } else {
            (now, now)
        };
        let drawn: Vec<MsgKind> = if space_time {
            let lo = trace.messages.partition_point(|m| m.sent_at < from);
            let hi = trace.messages.partition_point(|m| m.sent_at <= to);
            trace.messages.range(lo, hi).map(|m| m.kind).collect()
        } else {
            p.in_flight(now).iter().map(|m| m.kind).collect()
        };
        let legend = MsgKind::ALL
            .iter()
            .filter(|k| drawn.contains(k))
            .map(|k| (k.name(), diagram::kind_letter(*k), k.legend()))
            .collect();
        let frame = host::Frame {
            title: format!("{} — {}", s.scenario.name, kind.title()),
            subtitle: format!(
                "{} at {} of simulated time · seed {} · ReplicaScope",
                if space_time { "Messages over time" } else { "The cluster" },
                human_duration(now),
                s.scenario.seed
            ),
            legend,
            slide,
        };
        let messages = if space_time { String::new() } else { self.messages_svg(pane) };
        let ext = if png { "png" } else { "svg" };
        let name = format!("{}-{view}{}.{ext}", kind.name().replace('_', "-"), if slide { "-slide" } else { "" });
        match host::svg_document(&selector, &messages, Some(&frame)) {
            Some(svg) if png => host::download_png(name, svg),
            Some(svg) => host::download(&name, "image/svg+xml", &svg),
            None => self.error = Some("That diagram is not on the page right now.".into()),
        }
    }

    /// A space-time export waiting for its tab to be drawn: done after a few frames.
    pub(super) fn pending_export_frame(&mut self) -> bool {
        let Some((e, tab, frames)) = self.pending_export.take() else { return false };
        if frames > 0 {
            self.pending_export = Some((e, tab, frames - 1));
            self.request_frame();
            return false;
        }
        self.export_diagram(&e);
        if let Export::Diagram { pane, .. } = e {
            if let Some(u) = self.ui.get_mut(pane) {
                u.tab = tab;
            }
        }
        self.touch_panes();
        true
    }

    pub(super) fn on_outside(&mut self, msg: Msg) -> bool {
        let s = &mut self.session;
        match msg {
            Msg::Export(e) => {
                match e {
                    Export::Diagram { pane, space_time, .. } => {
                        let open = self.ui.get(pane).is_some_and(|u| u.tab == Tab::SpaceTime);
                        if space_time && !open {
                            // Drawn only while its tab is open: open it, export once it is
                            // drawn (a few frames), then go back to the tab the reader had.
                            if let Some(u) = self.ui.get_mut(pane) {
                                self.pending_export = Some((e, u.tab, 3));
                                u.tab = Tab::SpaceTime;
                            }
                            self.touch_panes();
                            self.sync();
                            self.request_frame();
                        } else {
                            self.export_diagram(&e);
                        }
                    }
                    Export::Trace(i) => {
                        if let Some(p) = s.panes.get(i) {
                            host::download(
                                &format!("{}-trace.jsonl", p.kind.name().replace('_', "-")),
                                "application/x-ndjson",
                                &p.run.trace_jsonl(),
                            );
                        }
                    }
                    Export::History(i) => {
                        if let Some(p) = s.panes.get(i) {
                            let h = replicascope_engine::page::history_of(&p.run);
                            let edn = replicascope_engine::page::export_edn(&h, &s.plan.names);
                            host::download(
                                &format!("{}-history.edn", p.kind.name().replace('_', "-")),
                                "application/edn",
                                &edn,
                            );
                        }
                    }
                }
                // A space-time view opened for its export, or an error, must be drawn.
                true
            }
            Msg::Key(e) => {
                let target_is_input = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"));
                if e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return false;
                }
                match e.key().as_str() {
                    "Escape" => {
                        self.dialog = None;
                        self.selection = None;
                        // An imported history goes with its dialog, and a check still running stops.
                        self.history = None;
                        self.checker = None;
                    }
                    _ if self.dialog.is_some() => return false,
                    " " if !target_is_input => {
                        e.prevent_default();
                        s.toggle_play();
                    }
                    key @ ("ArrowRight" | "ArrowLeft") if !target_is_input => {
                        e.prevent_default();
                        s.step(key == "ArrowRight");
                        self.hash_dirty = true;
                    }
                    "]" if !target_is_input => s.scale_speed(2.0),
                    "[" if !target_is_input => s.scale_speed(0.5),
                    _ => return false,
                }
                true
            }
            Msg::HashChanged => {
                let fragment = host::read_hash();
                if fragment != self.session.link() {
                    self.load_fragment(&fragment);
                }
                true
            }
            Msg::Host(Ok(HostCommand::Load { link })) => {
                let fragment = link.strip_prefix('#').unwrap_or(&link).to_string();
                self.load_fragment(&fragment);
                for p in &self.problems {
                    host::post(&HostEvent::Error { message: p.clone() });
                }
                true
            }
            Msg::Host(Ok(cmd)) => match s.apply_host(&cmd) {
                Ok(()) => {
                    self.hash_dirty |= matches!(cmd, HostCommand::Seek { .. });
                    // The host hears where things stand after each command it sent.
                    host::post(&HostEvent::Time { t: s.time / 1e6, playing: s.playing, speed: s.rate() });
                    true
                }
                Err(message) => {
                    host::post(&HostEvent::Error { message });
                    false
                }
            },
            Msg::Host(Err(e)) => {
                host::post(&HostEvent::Error { message: e });
                false
            }
            _ => false,
        }
    }
}
