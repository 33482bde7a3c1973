//! How the panes are laid out: shown or hidden, maximized, which tab and space-time window
//! each shows, and its settings open or closed.

use super::*;

impl App {
    pub(super) fn on_layout(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::TogglePane(i) => {
                if let Some(hidden) = self.session.panes.get(i).map(|p| !p.hidden) {
                    self.session.set_hidden(i, hidden);
                }
                self.markers = Shared::new(controls::markers(&self.session));
                self.hash_dirty = true;
                self.sync();
                true
            }
            Msg::ShowPane(kind) => {
                if let Some(i) = self.session.pane_index(kind) {
                    self.session.set_hidden(i, false);
                    self.maximized = None;
                    if let Some(el) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.query_selector(&format!("section[data-pane={}]", kind.name())).ok().flatten())
                    {
                        el.scroll_into_view();
                    }
                }
                true
            }
            Msg::Maximize(i) => {
                self.maximized = i;
                true
            }
            Msg::Tab(i, tab) => {
                if let Some(u) = self.ui.get_mut(i) {
                    u.tab = tab;
                    let tabs = &mut self.session.view.tabs;
                    tabs.retain(|(k, _)| *k != u.kind);
                    if tab != Tab::Logs {
                        tabs.push((u.kind, tab.to_link()));
                    }
                    self.hash_dirty = true;
                }
                self.sync();
                true
            }
            Msg::Window(i, w) => {
                if let Some(u) = self.ui.get_mut(i) {
                    u.window = w;
                    u.window_chosen = true;
                }
                self.sync();
                true
            }
            Msg::ToggleSettings(i) => {
                if let Some(u) = self.ui.get_mut(i) {
                    u.settings = !u.settings;
                }
                true
            }
            _ => false,
        }
    }
}
