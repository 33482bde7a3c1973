//! The dialogs' messages: opening and closing one, a scenario opened from the editor or a
//! dropped file, the editor's draft, and an imported history checked in its worker.

use super::*;

impl App {
    /// Asks the checker's worker (started if need be) to check the imported history as it is
    /// set up now. A check still running is abandoned: its worker is stopped and a new one
    /// started, rather than the new question waiting behind the old.
    fn check_history(&mut self, ctx: &Context<Self>) {
        let Some(h) = self.history.as_mut() else { return };
        if h.checking {
            self.checker = None;
        }
        let request = h.request();
        if self.checker.is_none() {
            match history::Checker::start(ctx.link().callback(Msg::Checker)) {
                Ok(c) => self.checker = Some(c),
                Err(e) => {
                    h.checking = false;
                    h.result = Some(Err(e));
                    return;
                }
            }
        }
        if let Some(c) = self.checker.as_mut() {
            c.ask(request);
        }
    }

    pub(super) fn on_dialog(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Dialog(d) => {
                if d.is_some() {
                    self.session.playing = false;
                }
                if d == Some(Dialog::Editor) {
                    self.editor_start =
                        Rc::new(self.editor_draft.clone().unwrap_or_else(|| self.session.scenario.to_json()));
                }
                if d.is_none() {
                    // Stops a check still running, too.
                    self.history = None;
                    self.checker = None;
                }
                self.dialog = d;
                true
            }
            Msg::OpenScenario(scenario) => {
                match self.session.open_scenario(*scenario) {
                    Ok(()) => {
                        self.dialog = None;
                        self.editor_draft = None;
                        self.after_load(Vec::new());
                        self.hash_dirty = true;
                    }
                    Err(e) => self.error = Some(format!("That scenario cannot run: {e}")),
                }
                true
            }
            Msg::Draft(text) => {
                // Only a draft that differs from where the editor started is worth resuming.
                self.editor_draft = (text != *self.editor_start).then_some(text);
                false
            }
            Msg::Dropped(_, Err(e)) => {
                self.error = Some(e);
                true
            }
            Msg::Dropped(name, Ok(text)) if history::is_history(&name, &text) => {
                // A history opens beside the run, which stays as it is.
                self.session.playing = false;
                self.history = Some(history::Imported::new(name, text));
                self.dialog = Some(Dialog::History);
                self.check_history(ctx);
                true
            }
            Msg::History(m) => {
                if self.history.as_mut().is_some_and(|h| h.update(m)) {
                    self.check_history(ctx);
                }
                true
            }
            Msg::Checker(said) => match (said, self.history.as_mut()) {
                (history::Said::Ready, _) => {
                    if let Some(c) = self.checker.as_mut() {
                        c.on_ready();
                    }
                    false
                }
                (history::Said::Answer(a), Some(h)) => h.answered(a),
                (history::Said::Failed(e), Some(h)) => {
                    h.checking = false;
                    h.result = Some(Err(e));
                    self.checker = None;
                    true
                }
                (_, None) => false,
            },
            Msg::Dropped(_, Ok(text)) => {
                // Read in the scenario reader's worker; the answer comes back as `DroppedRead`.
                let t = text.clone();
                super::reader::read(&text, ctx.link().callback(move |r| Msg::DroppedRead(t.clone(), Box::new(r))));
                false
            }
            Msg::DroppedRead(text, reading) => {
                let ok = reading.ok().filter(|s| s.compile().is_ok());
                match ok {
                    Some(scenario) if self.session.open_scenario(scenario.clone()).is_ok() => {
                        self.dialog = None;
                        self.after_load(Vec::new());
                        self.hash_dirty = true;
                    }
                    // Not a scenario that runs: the editor shows it with what is wrong.
                    _ => {
                        self.session.playing = false;
                        self.editor_start = Rc::new(text);
                        self.dialog = Some(Dialog::Editor);
                    }
                }
                true
            }
            _ => false,
        }
    }
}
