//! The page around the panes: header, link problems, narration, playback bar, the panes
//! themselves (each drawn by `pane.rs`), the comparison under them, the inspector drawer and the
//! dialogs. An `impl App` block of its own: it reads the app's state and renders.

use super::*;
use chrome::modal;
use tour::{invite, tour_card, tour_list, InviteProps, TourCardProps};

impl App {
    pub(super) fn page_html(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let s = &self.session;
        let embed = s.view.embed;
        let error = self.error.as_ref().map(|e| {
            html! {
                <div class="banner error" role="alert">
                    <span>{ e.clone() }</span>
                    <button class="link-button" onclick={link.callback(|_| Msg::DismissError)}>{"Dismiss"}</button>
                </div>
            }
        });
        let problems = (!self.problems.is_empty()).then(|| {
            html! {
                <div class="banner warn link-problems" role="alert">
                    <div>
                        <strong>{"This link could not be opened exactly as written."}</strong>
                        <ul>{ for self.problems.iter().take(8).map(|p| html! { <li>{ p.clone() }</li> }) }</ul>
                        if self.problems.len() > 8 { <p>{ format!("… and {} more.", self.problems.len() - 8) }</p> }
                    </div>
                    <button class="link-button" onclick={link.callback(|_| Msg::DismissProblems)}>{"Dismiss"}</button>
                </div>
            }
        });
        let visible = s.panes.iter().filter(|p| !p.hidden).count();
        let panes = s
            .panes
            .iter()
            .enumerate()
            .filter(|(i, p)| !p.hidden && self.maximized.is_none_or(|m| m == *i))
            .map(|(i, p)| {
                if i >= self.panes_mounted {
                    // Not mounted yet (the first frames of the page, see `panes_mounted`): the
                    // pane's frame and title, holding its place.
                    return html! {
                        <section key={i} class="pane pane-pending" aria-label={p.kind.title()} aria-busy="true">
                            <header class="pane-head"><h2>{ p.kind.title() }</h2></header>
                        </section>
                    };
                }
                // A pane renders again only when it changed (see `pane_gen`), not because
                // the time moved: the animation loop paints its messages directly.
                html! { <Keep key={i} version={(self.layout_gen, self.pane_gen[i])}>{ self.pane_html(ctx, i) }</Keep> }
            });
        let hidden: Vec<Html> = s
            .panes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.hidden)
            .map(|(i, p)| html! { <button class="chip" onclick={link.callback(move |_| Msg::TogglePane(i))}>{ format!("Show {}", p.kind.title()) }</button> })
            .collect();
        let captions: Vec<Html> = if s.view.narration {
            s.captions()
                .into_iter()
                .map(|(_, c)| {
                    let pane = c.kind();
                    html! {
                        <p class="caption">
                            if let Some(k) = pane.filter(|k| !c.text.starts_with(k.title())) { <span class="caption-pane">{ k.title() }</span> }
                            { super::shared::glossed(&c.text) }
                        </p>
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        // What went wrong in this run, as it happens (see `Session::anomaly_notes`).
        let notes: Vec<Html> = if s.view.narration {
            s.anomaly_notes()
                .into_iter()
                .map(|(i, a)| {
                    let kind = s.panes[i].kind;
                    html! {
                        <p class="caption anomaly-note" data-pane={kind.name()} data-kind={a.kind.name()}>
                            <span class="caption-pane">{ kind.title() }</span>
                            <strong>{ format!("{} at {}: ", a.kind.title(), human_duration(a.time)) }</strong>
                            { super::shared::glossed(&a.explanation) }
                        </p>
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let has_narration = !s.scenario.narration.is_empty();
        // A tour's card takes the narration's place: one voice at a time.
        let tour_card = s.tour().map(|at| {
            let instruction = at
                .current()
                .task
                .as_ref()
                .filter(|_| !s.task_done())
                .and_then(|t| t.instruction(&s.scenario).ok())
                .map(AttrValue::from);
            let playing_to = s.tour_stop().filter(|_| s.playing);
            let kinds: Vec<TopologyKind> = s.panes.iter().filter(|p| !p.hidden).map(|p| p.kind).collect();
            tour_card(TourCardProps {
                at,
                instruction,
                playing_to,
                kinds,
                off_script: s.tour_off_script(),
                on_restart: link.callback(|_| Msg::TourRestart),
                on_next: link.callback(|_| Msg::TourNext),
                on_back: link.callback(|_| Msg::TourBack),
                on_do: link.callback(|_| Msg::TourDo),
                on_exit: link.callback(|_| Msg::EndTour),
            })
        });
        let invitation = (self.invite && tour_card.is_none() && !embed).then(|| {
            invite(InviteProps {
                on_start: link.callback(Msg::StartTour),
                on_list: link.callback(|_| Msg::Dialog(Some(Dialog::Tours))),
                on_dismiss: link.callback(|_| Msg::DismissInvite),
            })
        });
        let narration = tour_card.or_else(|| (has_narration && (s.view.narration || !embed)).then(|| {
            html! {
                <div class={classes!("narration", (!s.view.narration).then_some("off"))} aria-live="polite">
                    <div class="captions">
                        if !s.view.narration { <p class="muted">{"Narration is off."}</p> }
                        else if captions.is_empty() && notes.is_empty() { <p class="muted caption">{"Play to follow the story; captions appear at the moments that matter."}</p> }
                        else { { for captions } { for notes } }
                    </div>
                    if !embed {
                        <button class="link-button" onclick={link.callback(|_| Msg::ToggleNarration)}>
                            { if s.view.narration { "Hide narration" } else { "Show narration" } }
                        </button>
                    }
                </div>
            }
        }));
        let controls = (!embed || s.view.controls != ControlMode::None).then(|| {
            html! {
                <Controls
                    clock={self.clock.clone()} duration={s.duration() as f64}
                    playing={s.playing} speed={s.speed} adaptive={s.adaptive} markers={self.markers.clone()}
                    full={!embed || s.view.controls == ControlMode::Full}
                    seed={s.scenario.seed}
                    on_new_seed={self.cb.new_seed.clone()}
                    on_toggle={self.cb.toggle.clone()}
                    on_seek={self.cb.seek.clone()}
                    on_step_forward={self.cb.step_forward.clone()}
                    on_step_back={self.cb.step_back.clone()}
                    on_speed={self.cb.speed.clone()}
                    on_adaptive={self.cb.adaptive.clone()}
                    on_reset={self.cb.reset.clone()}
                    on_marker={self.cb.marker.clone()}
                    on_move_fault={link.callback(|(i, t)| Msg::MoveFault(i, t))}
                    on_remove_fault={link.callback(Msg::RemoveFault)} />
            }
        });
        let dialog = self.dialog.as_ref().map(|d| {
            let close = link.callback(|_| Msg::Dialog(None));
            match d {
                Dialog::Share => html! { <ShareDialog url={format!("{}#{}", host::base_url(), s.link())} on_close={close} /> },
                Dialog::Help => chrome::help_dialog(&close),
                Dialog::Editor => html! {
                    { modal("Your own scenario", &close, html! {
                        <editor::ScenarioEditor start={self.editor_start.clone()}
                            on_apply={link.callback(|s: Scenario| Msg::OpenScenario(Box::new(s)))}
                            on_draft={link.callback(Msg::Draft)} on_close={close.clone()} />
                    }) }
                },
                Dialog::Tours => html! {
                    { modal("Guided tours", &close, html! { <>
                        <p class="muted small">{"Each tour is a scenario and a path through it: one idea per step, what it talks about highlighted, and now and then something for you to do. A tour's link resumes it at the same step."}</p>
                        { tour_list(&link.callback(Msg::StartTour)) }
                    </> }) }
                },
                Dialog::Embed => html! {
                    <EmbedDialog state={Rc::new(s.link_state())} base={host::base_url()} kinds={s.panes.iter().map(|p| p.kind).collect::<Vec<_>>()} on_close={close} />
                },
                Dialog::Export => html! {
                    <ExportDialog panes={s.panes.iter().enumerate().filter(|(_, p)| !p.hidden).map(|(i, p)| (i, p.kind)).collect::<Vec<_>>()}
                        on_export={link.callback(Msg::Export)} on_open={link.callback(|(name, text)| Msg::Dropped(name, text))} on_close={close} />
                },
                Dialog::History => match &self.history {
                    Some(h) => history::history_dialog(h, &link.callback(Msg::History), &close),
                    None => html! {},
                },
            }
        });
        let inspector = html! {
            <Inspector selection={self.selection.clone()} names={self.names.clone()} on_jump={self.cb.jump.clone()} />
        };
        let compare = self.compare.as_ref().map(|(rows, charts)| {
            html! { <Compare rows={rows.clone()} charts={charts.clone()} on_jump={self.cb.jump.clone()} on_pane={self.cb.show_pane.clone()} /> }
        });
        let compare = compare.unwrap_or_else(|| html! {
            <section class="compare" aria-label="Comparison"><h2>{"The same run, compared"}</h2><p class="muted">{"Computing the runs…"}</p></section>
        });
        if embed {
            let full_link = {
                let mut st = s.link_state();
                st.view = Default::default();
                format!("{}#{}", host::base_url(), replicascope_engine::page::encode(&st, &crate::presets::preset))
            };
            return html! {
                <div class="app embed">
                    <div class="embed-bar">
                        <span class="embed-title">{ s.scenario.name.clone() }</span>
                        <a class="embed-open" href={full_link} target="_blank" rel="noopener">{"Open in ReplicaScope ↗"}</a>
                    </div>
                    { problems }
                    { error }
                    { narration }
                    { controls }
                    <main class={classes!("panes", format!("count-{}", visible.max(1)))}>{ for panes }</main>
                    if self.selection.is_some() {
                        <div class="drawer">
                            <button class="icon-button close-inspector" aria-label="Close the inspector" title="Close (Esc)" onclick={link.callback(|_| Msg::CloseInspector)}>{ icons::close() }</button>
                            { inspector }
                        </div>
                    }
                </div>
            };
        }
        html! {
            <div class={classes!("app", self.selection.is_some().then_some("inspecting"))}>
                <Header preset={s.preset.clone()} title={s.scenario.name.clone()} description={s.scenario.description.clone()}
                    on_preset={self.cb.preset.clone()} on_dialog={self.cb.dialog.clone()} />
                { problems }
                { error }
                { invitation }
                { narration }
                { controls }
                if !hidden.is_empty() { <div class="hidden-panes">{ hidden }</div> }
                <main class={classes!("panes", format!("count-{}", if self.maximized.is_some() { 1 } else { visible }))}>
                    { for panes }
                </main>
                if self.selection.is_some() {
                    <div class="drawer">
                        <button class="icon-button close-inspector" aria-label="Close the inspector" title="Close (Esc)" onclick={link.callback(|_| Msg::CloseInspector)}>{ icons::close() }</button>
                        { inspector }
                    </div>
                }
                { panel::legend() }
                // During a tour the comparison shows only when a step talks about it: one
                // thing at a time.
                if s.tour().is_none_or(|at| at.current().highlight.iter().any(|h| h.starts_with("compare"))) { { compare } }
                <footer class="footer">
                    { format!("{} of simulated time, seed {}. ", human_duration(s.duration()), s.scenario.seed) }
                    {"Every run is deterministic: the same link replays the same messages in the same order."}
                </footer>
                { dialog.unwrap_or_default() }
            </div>
        }
    }
}
