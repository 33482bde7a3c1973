//! One pane as the page draws it: its header (title, summary, actions), its diagram, the
//! changes made to it, its tabs (logs, space-time, its explanation, anomalies) and its settings.
//! An `impl App` block of its own: it reads the app's state and renders, it never updates.

use super::*;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tab {
    Logs,
    SpaceTime,
    /// Failover (leader-follower), conflicts (multi-leader), quorums and Merkle (leaderless).
    Explain,
    Anomalies,
}

impl Tab {
    pub(super) fn label(self, kind: TopologyKind) -> &'static str {
        match self {
            Tab::Logs => "Logs",
            Tab::SpaceTime => "Space-time",
            Tab::Explain => TopologiesSpec::explain(kind).map(Explain::label).unwrap_or("Explain"),
            Tab::Anomalies => "Anomalies",
        }
    }
    /// The tab a link names (`tab=lf:explain`); a pane with nothing to explain shows its logs.
    pub(super) fn from_link(t: replicascope_engine::page::PaneTab, kind: TopologyKind) -> Tab {
        use replicascope_engine::page::PaneTab;
        match t {
            PaneTab::Logs => Tab::Logs,
            PaneTab::SpaceTime => Tab::SpaceTime,
            PaneTab::Explain if TopologiesSpec::explain(kind).is_some() => Tab::Explain,
            PaneTab::Explain => Tab::Logs,
            PaneTab::Anomalies => Tab::Anomalies,
        }
    }
    pub(super) fn to_link(self) -> replicascope_engine::page::PaneTab {
        use replicascope_engine::page::PaneTab;
        match self {
            Tab::Logs => PaneTab::Logs,
            Tab::SpaceTime => PaneTab::SpaceTime,
            Tab::Explain => PaneTab::Explain,
            Tab::Anomalies => PaneTab::Anomalies,
        }
    }
    pub(super) fn name(self) -> &'static str {
        match self {
            Tab::Logs => "logs",
            Tab::SpaceTime => "space-time",
            Tab::Explain => "explain",
            Tab::Anomalies => "anomalies",
        }
    }
}

/// What each pane's views need beyond the session, derived once per report.
pub(super) struct PaneUi {
    pub(super) kind: TopologyKind,
    pub(super) tab: Tab,
    pub(super) settings: bool,
    pub(super) window: u64,
    /// The reader picked the window (otherwise it follows the run's message latencies).
    pub(super) window_chosen: bool,
    /// The report the lists below were derived from.
    pub(super) report: Option<Rc<Report>>,
    pub(super) anomalies: Shared<Vec<Anomaly>>,
    pub(super) failover: Shared<Failover>,
    pub(super) conflicts: Rc<Vec<(u64, ConflictRecord)>>,
    pub(super) conflict_items: Shared<Vec<(u64, String)>>,
    pub(super) quorums: Rc<Vec<(u64, QuorumRecord)>>,
    pub(super) quorum_items: Shared<Vec<(u64, String)>>,
    pub(super) merkle: Rc<Vec<(u64, MerkleRecord)>>,
    pub(super) merkle_items: Shared<Vec<(u64, String)>>,
    /// Space-time data: (bucket, window, complete, data).
    pub(super) space_time: Option<(u64, u64, bool, Shared<SpaceTime>)>,
}

impl PaneUi {
    pub(super) fn new(kind: TopologyKind) -> Self {
        PaneUi {
            kind,
            tab: Tab::Logs,
            settings: false,
            window: 1_000_000,
            window_chosen: false,
            report: None,
            anomalies: Shared::new(Vec::new()),
            failover: Shared::new(Failover::default()),
            conflicts: Rc::new(Vec::new()),
            conflict_items: Shared::new(Vec::new()),
            quorums: Rc::new(Vec::new()),
            quorum_items: Shared::new(Vec::new()),
            merkle: Rc::new(Vec::new()),
            merkle_items: Shared::new(Vec::new()),
            space_time: None,
        }
    }
}

impl App {
    /// The messages in flight in pane `i`, as SVG elements (the page draws them on a canvas).
    pub(super) fn messages_svg(&self, i: usize) -> String {
        let s = &self.session;
        let Some(p) = s.panes.get(i) else { return String::new() };
        let geo = diagram::Geo::of(&p.view, p.kind);
        let mut out = String::new();
        for m in p.in_flight(s.now()) {
            let ((x, y), faded) = diagram::dot(m, s.time, geo, false);
            out.push_str(&format!(
                "<g class=\"msg {}{}\" transform=\"translate({x:.1} {y:.1})\"><circle r=\"6.5\"></circle><text y=\"0.5\">{}</text></g>",
                m.kind.name(),
                if faded { " dropped" } else { "" },
                if faded { "✕" } else { diagram::kind_letter(m.kind) }
            ));
        }
        out
    }

    pub(super) fn pane_html(&self, ctx: &Context<Self>, i: usize) -> Html {
        let link = ctx.link();
        let s = &self.session;
        let p = &s.panes[i];
        let u = &self.ui[i];
        let kind = p.kind;
        let now = s.now();
        let on_select = self.cb.select.clone();
        let on_intervene = self.cb.intervene[i].clone();
        let on_hover = self.cb.hover[i].clone();
        let highlight = self.highlight.filter(|(pi, _)| *pi == i).map(|(_, h)| h);
        let lane_op = highlight.and_then(|h| match h {
            Highlight::Op(o) => Some(o),
            Highlight::Msg(m) => p.run.trace().messages.get(m as usize).and_then(|r| r.op).map(u64::from),
        });
        let maximized = self.maximized == Some(i);
        let embed = s.view.embed;
        let interventions = p.run.interventions();
        let changes = (!interventions.is_empty()).then(|| {
            html! {
                <ul class="interventions" aria-label="Your changes to this pane">
                    { for interventions.iter().enumerate().map(|(k, iv)| html! {
                        <li class="intervention" data-intervention={iv.action.clone()}>
                            <button class="link-button" title="Go to this moment" onclick={link.callback({ let t = iv.at; move |_| Msg::Jump(t) })}>{ human_duration(iv.at) }</button>
                            <span>{ iv.action.clone() }</span>
                            <button class="icon-button tiny" aria-label={format!("Undo “{}”", iv.action)} title="Remove this change"
                                onclick={link.callback(move |_| Msg::RemoveIntervention { pane: i, index: k })}>{ icons::close() }</button>
                        </li>
                    }) }
                </ul>
            }
        });
        // A topology with nothing to explain (the single node) has no explanation tab.
        let has_explain = TopologiesSpec::explain(kind).is_some();
        let tabs = [Tab::Logs, Tab::SpaceTime, Tab::Explain, Tab::Anomalies].into_iter().filter(|t| *t != Tab::Explain || has_explain).map(|t| {
            let count = match t {
                // What the playhead has reached, not the whole run: at 0 s nothing has gone wrong.
                Tab::Anomalies => p.report.as_ref().map(|r| r.anomalies.iter().filter(|a| a.time <= now).count()),
                _ => None,
            };
            html! {
                <button role="tab" class={classes!("tab", (u.tab == t).then_some("active"))} aria-selected={(u.tab == t).to_string()}
                    data-tab={t.name()} onclick={link.callback(move |_| Msg::Tab(i, t))}>
                    { t.label(kind) }
                    if let Some(n) = count { if n > 0 { <span class="count">{ n }</span> } }
                </button>
            }
        });
        let body = match u.tab {
            Tab::Logs => html! {
                <Lanes view={self.lane_feeds[i].clone()} pane={kind} on_select={self.cb.select.clone()} highlight_op={lane_op} on_hover={on_hover.clone()} live={s.playing} clock={self.clock.clone()} />
            },
            Tab::SpaceTime => match &u.space_time {
                Some((_, w, _, data)) => html! {
                    <>
                        <div class="window-pick" role="group" aria-label="Time window">
                            { for WINDOWS.iter().map(|(v, label)| {
                                let v = *v;
                                html! { <button class={classes!("chip", (*w == v).then_some("active"))} onclick={link.callback(move |_| Msg::Window(i, v))}>{ *label }</button> }
                            }) }
                        </div>
                        <SpaceTimeView data={data.clone()} clock={self.clock.clone()} window={*w} highlight={highlight}
                            on_hover={on_hover.clone()} on_pick={self.cb.pick_message[i].clone()} />
                    </>
                },
                None => html! { <p class="muted">{"Computing…"}</p> },
            },
            Tab::Explain => {
                if p.report.is_none() {
                    html! { <p class="muted">{"Computing the run…"}</p> }
                } else {
                    match TopologiesSpec::explain(kind) {
                        None => {
                            html! { <p class="muted">{"Nothing to explain: this topology keeps one copy of the data."}</p> }
                        }
                        Some(Explain::Failover) => views::failover(&views::FailoverProps {
                            data: u.failover.clone(),
                            now,
                            on_jump: self.cb.jump.clone(),
                        }),
                        Some(Explain::Conflicts) => html! {
                            <>
                                <p class="muted small">{"Each time concurrent writes met on a node. Open one to see the resolution step by step."}</p>
                                { views::record_list(&views::RecordListProps { items: u.conflict_items.clone(), empty: "No conflicts in this run.".into(), now, on_pick: self.cb.pick_conflict[i].clone() }) }
                            </>
                        },
                        Some(Explain::Quorums) => html! {
                            <>
                                <h4>{"Quorums"}</h4>
                                { views::record_list(&views::RecordListProps { items: u.quorum_items.clone(), empty: "No reads or writes in this run.".into(), now, on_pick: self.cb.pick_quorum[i].clone() }) }
                                <h4>{"Anti-entropy (Merkle trees)"}</h4>
                                { views::record_list(&views::RecordListProps { items: u.merkle_items.clone(), empty: "Anti-entropy is off in this run.".into(), now, on_pick: self.cb.pick_merkle[i].clone() }) }
                            </>
                        },
                    }
                }
            }
            Tab::Anomalies => match &p.report {
                None => html! { <p class="muted">{"Checking the history…"}</p> },
                Some(_) => views::anomaly_list(&views::AnomalyListProps {
                    anomalies: u.anomalies.clone(),
                    now,
                    on_pick: self.cb.pick_anomaly[i].clone(),
                }),
            },
        };
        let has_settings = !self.scenario.topologies.settings(kind).is_empty();
        let settings = u.settings.then(|| {
            settings::settings(&settings::SettingsProps {
                kind,
                scenario: self.scenario.clone(),
                on_change: self.cb.set.clone(),
            })
        });
        html! {
            <section class={classes!("pane", maximized.then_some("maximized"))} aria-label={kind.title()} data-pane={kind.name()}>
                <header class="pane-head">
                    <h2>{ kind.title() }</h2>
                    <span class="pane-summary">{ summary(s, kind) }</span>
                    if !embed {
                        <div class="pane-actions">
                            // A topology with nothing to set (the single node) gets no gear.
                            if has_settings {
                                <button class={classes!("icon-button", u.settings.then_some("active"))} title="Settings of this pane" aria-label={format!("{} settings", kind.title())}
                                    aria-expanded={u.settings.to_string()} onclick={link.callback(move |_| Msg::ToggleSettings(i))}>{ icons::settings() }</button>
                            }
                            <button class="icon-button" title={if maximized {"Show all panes"} else {"Maximise this pane"}} aria-label={if maximized {"Show all panes"} else {"Maximise this pane"}}
                                onclick={link.callback(move |_| Msg::Maximize(if maximized { None } else { Some(i) }))}>
                                { if maximized { icons::restore() } else { icons::maximize() } }
                            </button>
                            <button class="icon-button" title="Hide this pane" aria-label="Hide this pane" onclick={link.callback(move |_| Msg::TogglePane(i))}>{ icons::close() }</button>
                        </div>
                    }
                </header>
                { settings.unwrap_or_default() }
                { changes.unwrap_or_default() }
                <Diagram view={Shared::from(p.view.clone())} messages={self.layers[i].clone()} kind={kind} reduced_motion={self.reduced_motion}
                    {on_select} {on_intervene} highlight={highlight} on_hover={on_hover} keys={self.keys.clone()} />
                <div class="tabs" role="tablist" aria-label={format!("{} views", kind.title())}>{ for tabs }</div>
                <div class="tab-body" data-view={u.tab.name()}>{ body }</div>
            </section>
        }
    }
}

fn summary(s: &Session, kind: TopologyKind) -> String {
    s.scenario.topologies.summary(kind).unwrap_or_default()
}
