//! Each pane's settings in a compact panel. A change is an override (`lf.mode=sync`): the run
//! restarts at the same moment with the same interventions, and the link records it.

use replicascope_engine::scenario::{Scenario, TopologyKind};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub kind: TopologyKind,
    pub scenario: std::rc::Rc<Scenario>,
    /// (override key, value)
    pub on_change: Callback<(String, String)>,
}

fn select(label: &str, key: &str, current: &str, options: &[(&str, &str)], cb: &Callback<(String, String)>) -> Html {
    let key = key.to_string();
    let cb = cb.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(s) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
            cb.emit((key.clone(), s.value()));
        }
    });
    html! {
        <label class="setting">
            <span>{ label.to_string() }</span>
            <select {onchange}>
                { for options.iter().map(|(v, text)| html! { <option value={v.to_string()} selected={*v == current}>{ text.to_string() }</option> }) }
            </select>
        </label>
    }
}

fn number(label: &str, key: &str, current: u32, min: u32, max: u32, cb: &Callback<(String, String)>) -> Html {
    let key = key.to_string();
    let cb = cb.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
            cb.emit((key.clone(), i.value()));
        }
    });
    html! {
        <label class="setting">
            <span>{ label.to_string() }</span>
            <input type="number" min={min.to_string()} max={max.to_string()} value={current.to_string()} {onchange} />
        </label>
    }
}

fn check(label: &str, key: &str, on: bool, on_value: &str, off_value: &str, cb: &Callback<(String, String)>) -> Html {
    let key = key.to_string();
    let cb = cb.clone();
    let (on_v, off_v) = (on_value.to_string(), off_value.to_string());
    let onchange = Callback::from(move |e: Event| {
        if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
            cb.emit((key.clone(), if i.checked() { on_v.clone() } else { off_v.clone() }));
        }
    });
    html! {
        <label class="setting check">
            <input type="checkbox" checked={on} {onchange} />
            <span>{ label.to_string() }</span>
        </label>
    }
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[function_component(Settings)]
pub fn settings(p: &SettingsProps) -> Html {
    let cb = &p.on_change;
    let t = &p.scenario.topologies;
    let body = match p.kind {
        TopologyKind::LeaderFollower => {
            let Some(c) = &t.leader_follower else { return html! {} };
            html! {
                <>
                    { number("Nodes", "lf.nodes", c.nodes, 1, 7, cb) }
                    { select("Replication", "lf.mode", &json_name(&c.mode), &[("async", "asynchronous"), ("semi_sync", "semi-synchronous"), ("sync", "synchronous")], cb) }
                    if c.mode == replicascope_engine::topology::leader_follower::ReplicationMode::SemiSync {
                        { number("Sync followers", "lf.sync_replicas", c.sync_replicas, 1, c.nodes.max(2) - 1, cb) }
                    }
                    { select("Failover", "lf.failover", &json_name(&c.failover), &[("manual", "manual"), ("automatic", "automatic"), ("consensus", "consensus (Raft-style)")], cb) }
                    { select("Promote", "lf.promote", &json_name(&c.promote), &[("most_up_to_date", "most up-to-date"), ("least_up_to_date", "least up-to-date (bad)"), ("lowest_id", "lowest id")], cb) }
                    { select("Reads go to", "lf.read_routing", &json_name(&c.read_routing), &[("leader", "the leader"), ("any_follower", "any follower"), ("round_robin", "followers, round-robin"), ("sticky", "one follower per session"), ("read_your_writes", "leader after own writes"), ("lsn_token", "follower with LSN token")], cb) }
                    { check("Fencing tokens", "lf.fencing", c.fencing, "true", "false", cb) }
                    { check("Leader lease (2 s)", "lf.lease", c.lease.is_some(), "2s", "null", cb) }
                </>
            }
        }
        TopologyKind::MultiLeader => {
            let Some(c) = &t.multi_leader else { return html! {} };
            html! {
                <>
                    { number("Leaders", "ml.leaders", c.leaders, 2, 5, cb) }
                    { number("Followers per leader", "ml.followers", c.followers, 0, 3, cb) }
                    if c.followers > 0 {
                        { select("Reads go to", "ml.read_from", &json_name(&c.read_from), &[("leader", "the local leader"), ("follower", "a follower of it")], cb) }
                    }
                    { select("Topology", "ml.topology", &json_name(&c.topology), &[("all_to_all", "all-to-all"), ("ring", "ring"), ("star", "star")], cb) }
                    { select("Registers", "ml.register", &json_name(&c.register), &[("lww", "last write wins"), ("lww_node_id", "LWW + node-id tie-break"), ("siblings", "keep siblings")], cb) }
                    { select("Counters", "ml.counter", &json_name(&c.counter), &[("naive", "naive number"), ("g_counter", "G-counter"), ("pn_counter", "PN-counter")], cb) }
                    { select("Sets", "ml.set", &json_name(&c.set), &[("lww", "last write wins"), ("union", "union merge"), ("or_set", "OR-set")], cb) }
                    { select("Detect per", "ml.detection", &json_name(&c.detection), &[("row", "row"), ("field", "field")], cb) }
                    { select("Row ids", "ml.ids", &json_name(&c.ids), &[("auto_increment", "auto-increment"), ("region_prefix", "region prefix"), ("uuid", "UUID")], cb) }
                    { check("Causal delivery", "ml.causal_delivery", c.causal_delivery, "true", "false", cb) }
                </>
            }
        }
        TopologyKind::Leaderless => {
            let Some(c) = &t.leaderless else { return html! {} };
            html! {
                <>
                    { number("Nodes", "ll.nodes", c.nodes, 1, 9, cb) }
                    { number("N (replicas)", "ll.n", c.n, 1, c.nodes, cb) }
                    { number("W", "ll.w", c.w, 1, c.n, cb) }
                    { number("R", "ll.r", c.r, 1, c.n, cb) }
                    { select("Versions", "ll.versioning", &json_name(&c.versioning), &[("version_vectors", "version vectors"), ("lww", "last write wins")], cb) }
                    { select("Read repair", "ll.read_repair", &json_name(&c.read_repair), &[("off", "off"), ("background", "background"), ("blocking", "before answering")], cb) }
                    { check("Anti-entropy (every 5 s)", "ll.anti_entropy", c.anti_entropy.is_some(), "5s", "null", cb) }
                    { check("Sloppy quorum", "ll.sloppy_quorum", c.sloppy_quorum, "true", "false", cb) }
                    { check("Hinted handoff", "ll.hinted_handoff", c.hinted_handoff, "true", "false", cb) }
                </>
            }
        }
    };
    html! { <div class="settings" role="group" aria-label={format!("{} settings", p.kind.title())}>{ body }</div> }
}
