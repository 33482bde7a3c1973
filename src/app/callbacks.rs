//! The page's callbacks, made once when the app starts: components handed the same callback
//! every frame skip re-rendering.

use super::*;

/// Callbacks made once, so that components whose data did not change are not re-rendered
/// every frame just because they were handed a new closure.
pub(super) struct Cbs {
    pub(super) select: Callback<Selection>,
    pub(super) jump: Callback<u64>,
    pub(super) show_pane: Callback<TopologyKind>,
    pub(super) preset: Callback<String>,
    pub(super) dialog: Callback<Dialog>,
    pub(super) set: Callback<(String, String)>,
    pub(super) toggle: Callback<()>,
    pub(super) seek: Callback<f64>,
    pub(super) step_forward: Callback<()>,
    pub(super) step_back: Callback<()>,
    pub(super) speed: Callback<f64>,
    pub(super) adaptive: Callback<bool>,
    pub(super) reset: Callback<()>,
    pub(super) marker: Callback<usize>,
    pub(super) new_seed: Callback<()>,
    /// Per pane index.
    pub(super) intervene: Vec<Callback<String>>,
    pub(super) hover: Vec<Callback<Option<Highlight>>>,
    pub(super) pick_message: Vec<Callback<u64>>,
    pub(super) pick_anomaly: Vec<Callback<Anomaly>>,
    pub(super) pick_conflict: Vec<Callback<usize>>,
    pub(super) pick_quorum: Vec<Callback<usize>>,
    pub(super) pick_merkle: Vec<Callback<usize>>,
}

impl Cbs {
    pub(super) fn new(link: &yew::html::Scope<App>) -> Cbs {
        // One set per topology the registry knows; a scenario shows those it configures.
        let panes = TopologyKind::ALL.len();
        Cbs {
            select: link.callback(Msg::Select),
            jump: link.callback(Msg::Jump),
            show_pane: link.callback(Msg::ShowPane),
            preset: link.callback(Msg::LoadPreset),
            dialog: link.callback(|d| Msg::Dialog(Some(d))),
            set: link.callback(|(k, v)| Msg::Override(k, v)),
            toggle: link.callback(|_| Msg::TogglePlay),
            seek: link.callback(Msg::Seek),
            step_forward: link.callback(|_| Msg::StepForward),
            step_back: link.callback(|_| Msg::StepBack),
            speed: link.callback(Msg::Speed),
            adaptive: link.callback(Msg::Adaptive),
            reset: link.callback(|_| Msg::Reset),
            marker: link.callback(Msg::Marker),
            new_seed: link.callback(|_| Msg::NewSeed),
            intervene: (0..panes)
                .map(|i| link.callback(move |action: String| Msg::Intervene { pane: i, action }))
                .collect(),
            hover: (0..panes).map(|i| link.callback(move |h: Option<Highlight>| Msg::Hover(i, h))).collect(),
            pick_message: (0..panes).map(|i| link.callback(move |id| Msg::PickMessage(i, id))).collect(),
            pick_anomaly: (0..panes).map(|i| link.callback(move |a| Msg::PickAnomaly(i, a))).collect(),
            pick_conflict: (0..panes).map(|i| link.callback(move |k| Msg::PickConflict(i, k))).collect(),
            pick_quorum: (0..panes).map(|i| link.callback(move |k| Msg::PickQuorum(i, k))).collect(),
            pick_merkle: (0..panes).map(|i| link.callback(move |k| Msg::PickMerkle(i, k))).collect(),
        }
    }
}
