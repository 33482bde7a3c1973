//! The guided tour's card (it takes the narration's place while a tour runs), the list of tours,
//! and the invitation a first visit gets. What a step highlights is a style sheet the card
//! carries: selectors made by `tour::selector` from known words only.

use super::shared::{glossed, Shared};
use super::{controls, host};
use crate::tour::{selector, TourAt};
use replicascope_engine::page::{human_duration, tours, TopologyKind};
use yew::prelude::*;

/// What the tour card shows and where its buttons lead.
pub struct TourCardProps {
    pub at: TourAt,
    /// The task, in the words of its controls ("Open “Leader-follower settings” (⚙) and …").
    pub instruction: Option<AttrValue>,
    /// Playback is still on its way to the step's moment.
    pub playing_to: Option<u64>,
    /// The panes shown, for the highlights.
    pub kinds: Vec<TopologyKind>,
    /// The learner changed the run away from the tour's (see `Session::tour_off_script`).
    pub off_script: bool,
    pub on_restart: Callback<()>,
    pub on_next: Callback<()>,
    pub on_back: Callback<()>,
    pub on_do: Callback<()>,
    pub on_exit: Callback<()>,
}

/// The style sheet that rings what a step names.
fn highlight_css(selectors: &[String]) -> String {
    let mut css = String::new();
    for s in selectors {
        if s.contains("[data-node=") || s.contains("[data-client=") {
            css.push_str(&format!("{s}{{filter:drop-shadow(0 0 3px var(--tour)) drop-shadow(0 0 7px var(--tour))}}"));
        } else {
            css.push_str(&format!("{s}{{outline:3px solid var(--tour);outline-offset:2px;border-radius:6px}}"));
        }
    }
    css
}

/// The card (a plain function, not a component: it has no state of its own, and each
/// component costs the page kilobytes of generic code).
pub fn tour_card(p: TourCardProps) -> Html {
    let at = &p.at;
    let step = at.current();
    let n = at.tour.steps.len();
    let selectors: Vec<String> = step.highlight.iter().filter_map(|h| selector(h, &p.kinds)).collect();
    let click = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |_| cb.emit(()))
    };
    let waiting = p.instruction.is_some();
    html! {
        <section class="tour-card" aria-label="Guided tour" aria-live="polite" data-tour={at.id.clone()} data-step={(at.step + 1).to_string()}
            data-highlight={selectors.join(" | ")}>
            <style>{ highlight_css(&selectors) }</style>
            <div class="tour-head">
                <span class="tour-title">{ at.tour.title }</span>
                <span class="tour-count">{ format!("Step {} of {n}", at.step + 1) }</span>
                <button class="link-button tour-exit" onclick={click(&p.on_exit)}>{"Leave the tour"}</button>
            </div>
            <p class="tour-text">{ glossed(step.text) }</p>
            if p.off_script {
                <p class="tour-off" role="status">
                    {"You have changed the run since the tour set it up, so what this step says may not hold in it. "}
                    <button class="link-button" onclick={click(&p.on_restart)}>{"Back to the tour's run"}</button>
                </p>
            }
            if let Some(words) = &p.instruction {
                <p class="tour-task"><strong>{"Your turn: "}</strong><span class="tour-instruction">{ words.clone() }</span></p>
            }
            <div class="tour-actions">
                <button class="button secondary" disabled={at.step == 0} onclick={click(&p.on_back)}>{"Back"}</button>
                if waiting {
                    <button class="button secondary" onclick={click(&p.on_do)}>{"Do it for me"}</button>
                } else {
                    <button class="button tour-next" onclick={click(&p.on_next)}>{ if at.is_last() { "Finish" } else { "Next" } }</button>
                }
                if let Some(t) = p.playing_to {
                    <span class="muted small tour-playing">{ format!("Playing to {}…", human_duration(t)) }</span>
                }
                <span class="tour-dots" aria-hidden="true">
                    { for (0..n).map(|i| html! { <span class={classes!("dot", (i < at.step).then_some("done"), (i == at.step).then_some("now"))} /> }) }
                </span>
            </div>
        </section>
    }
}

/// The tours, each with its summary and length: the body of the Tours dialog.
pub fn tour_list(on_start: &Callback<String>) -> Html {
    let items = tours().map(|t| {
        let id = t.id;
        let cb = on_start.clone();
        html! {
            <li class="tour-item" data-tour={id}>
                <div>
                    <strong>{ t.title }</strong>
                    <p class="muted small">{ format!("{} {} steps.", t.summary, t.steps.len()) }</p>
                </div>
                <button class="button" aria-label={format!("Start “{}”", t.title)} onclick={Callback::from(move |_| cb.emit(id.to_string()))}>{"Start"}</button>
            </li>
        }
    });
    html! { <ul class="tour-list">{ for items }</ul> }
}

/// What the invitation's buttons do.
pub struct InviteProps {
    pub on_start: Callback<String>,
    pub on_list: Callback<()>,
    pub on_dismiss: Callback<()>,
}

/// A first visit's invitation to the first tour.
pub fn invite(p: InviteProps) -> Html {
    let Some(t) = tours().next() else { return html! {} };
    let id = t.id;
    let start = {
        let cb = p.on_start.clone();
        Callback::from(move |_| cb.emit(id.to_string()))
    };
    let list = {
        let cb = p.on_list.clone();
        Callback::from(move |_| cb.emit(()))
    };
    let dismiss = {
        let cb = p.on_dismiss.clone();
        Callback::from(move |_| cb.emit(()))
    };
    html! {
        <div class="banner info tour-invite" role="region" aria-label="Guided tours">
            <span>
                <strong>{"New to replication? "}</strong>
                { format!("Take the guided tour “{}”: {} steps, one idea at a time, about five minutes.", t.title, t.steps.len()) }
            </span>
            <span class="invite-actions">
                <button class="button" onclick={start}>{"Start the tour"}</button>
                <button class="button secondary" onclick={list}>{"All tours"}</button>
                <button class="link-button" onclick={dismiss}>{"Not now"}</button>
            </span>
        </div>
    }
}

/// Scrolls the page so that the first thing the step highlights is in view below the card (which
/// stays at the top while a tour runs). Nothing moves if it is already in view.
pub fn bring_into_view() {
    let Some(w) = web_sys::window() else { return };
    let Some(doc) = w.document() else { return };
    let Some(card) = doc.query_selector(".tour-card").ok().flatten() else { return };
    let Some(first) = card.get_attribute("data-highlight") else { return };
    let Some(sel) = first.split(" | ").next().filter(|s| !s.is_empty()) else { return };
    let Some(target) = doc.query_selector(sel).ok().flatten() else { return };
    let below = card.get_bounding_client_rect().bottom() + 8.0;
    let r = target.get_bounding_client_rect();
    let height = w.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(800.0);
    if r.top() < below || r.top() > height - 120.0 {
        w.scroll_by_with_x_and_y(0.0, r.top() - below);
    }
}

/// What the tour messages do to the app (an `impl App` block of its own, like `edges.rs`).
impl super::App {
    pub(super) fn on_tour(&mut self, msg: super::Msg) -> bool {
        use super::Msg;
        match msg {
            Msg::StartTour(id) => {
                self.dialog = None;
                self.dismiss_invite();
                let tabs = std::mem::take(&mut self.session.view.tabs);
                match self.session.start_tour(&id, 0) {
                    Ok(()) => self.after_load(Vec::new()),
                    Err(e) => {
                        self.session.view.tabs = tabs;
                        self.error = Some(e);
                    }
                }
                self.hash_dirty = true;
                true
            }
            Msg::TourNext | Msg::TourDo => {
                let done = if matches!(msg, Msg::TourNext) { self.session.tour_next() } else { self.session.do_task() };
                match done {
                    Ok(()) => {
                        // A setting done for the learner rebuilt the session.
                        self.after_load(Vec::new());
                        self.tour_notice();
                        self.tour_moved();
                    }
                    Err(e) => self.error = Some(e),
                }
                true
            }
            Msg::TourBack | Msg::TourRestart => {
                let done = if matches!(msg, Msg::TourBack) {
                    self.session.tour_back()
                } else {
                    self.session.tour_restart_step()
                };
                match done {
                    Ok(()) => self.after_load(Vec::new()),
                    Err(e) => self.error = Some(e),
                }
                self.hash_dirty = true;
                true
            }
            Msg::EndTour => {
                self.session.end_tour();
                self.tour_moved();
                true
            }
            Msg::DismissInvite => {
                self.dismiss_invite();
                true
            }
            _ => false,
        }
    }

    /// After a learner's action: a tour step whose task is now done moves on.
    pub(super) fn tour_notice(&mut self) {
        if self.session.tour_notice() {
            self.after_load(Vec::new());
            self.tour_moved();
        }
    }

    /// A tour step began or ended: panes shown, time and markers changed.
    fn tour_moved(&mut self) {
        self.markers = Shared::new(controls::markers(&self.session));
        self.hash_dirty = true;
        self.touch_panes();
        self.sync();
    }

    fn dismiss_invite(&mut self) {
        if self.invite {
            self.invite = false;
            host::remember_invited();
        }
    }
}
