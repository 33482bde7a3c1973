//! What comes from outside the page's own controls: keys, the URL fragment changing, the host
//! page's postMessage commands, and exports (downloads).

use super::*;

impl App {
    pub(super) fn on_outside(&mut self, msg: Msg) -> bool {
        let s = &mut self.session;
        match msg {
            Msg::Export(e) => {
                match e {
                    Export::Svg { selector, name, png, messages } => {
                        match host::svg_document(&selector, &messages.map(|i| self.messages_svg(i)).unwrap_or_default())
                        {
                            Some(svg) if png => host::download_png(name, svg),
                            Some(svg) => host::download(&name, "image/svg+xml", &svg),
                            None => self.error = Some("That diagram is not on the page right now.".into()),
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
                false
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
