//! Each pane's settings in a compact panel. A change is an override (`lf.mode=sync`): the run
//! restarts at the same moment with the same interventions, and the link records it. Under each
//! control, one line says what the chosen option does and what it costs.

use replicascope_engine::scenario::Scenario;
use replicascope_engine::topology::leader_follower::{FailoverMode, LfConfig, ReplicationMode};
use replicascope_engine::topology::leaderless::LlConfig;
use replicascope_engine::topology::multi_leader::MlConfig;
use replicascope_engine::vocab::TopologyKind;
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

/// One option of a select: its value in links, its label, and what it does and costs.
type Choice = (&'static str, &'static str, &'static str);

fn help(text: &str) -> Html {
    if text.is_empty() {
        return html! {};
    }
    html! { <small class="setting-help">{ text.to_string() }</small> }
}

fn select(label: &str, key: &str, current: &str, options: &[Choice], cb: &Callback<(String, String)>) -> Html {
    let key = key.to_string();
    let cb = cb.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(s) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
            cb.emit((key.clone(), s.value()));
        }
    });
    let explained = options.iter().find(|(v, ..)| *v == current).map(|(.., h)| *h).unwrap_or("");
    html! {
        <label class="setting">
            <span>{ label.to_string() }</span>
            <select {onchange}>
                { for options.iter().map(|(v, text, _)| html! { <option value={v.to_string()} selected={*v == current}>{ text.to_string() }</option> }) }
            </select>
            { help(explained) }
        </label>
    }
}

fn number(
    label: &str,
    key: &str,
    current: u32,
    (min, max): (u32, u32),
    explained: &str,
    cb: &Callback<(String, String)>,
) -> Html {
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
            { help(explained) }
        </label>
    }
}

/// A checkbox: its label, override key, state, the values it writes, and what it does when on
/// and when off.
struct Check<'a> {
    label: &'a str,
    key: &'a str,
    on: bool,
    values: (&'a str, &'a str),
    explained: (&'a str, &'a str),
}

fn check(c: Check, cb: &Callback<(String, String)>) -> Html {
    let key = c.key.to_string();
    let cb = cb.clone();
    let (on_v, off_v) = (c.values.0.to_string(), c.values.1.to_string());
    let onchange = Callback::from(move |e: Event| {
        if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
            cb.emit((key.clone(), if i.checked() { on_v.clone() } else { off_v.clone() }));
        }
    });
    html! {
        <label class="setting check">
            <span class="check-row">
                <input type="checkbox" checked={c.on} {onchange} />
                <span>{ c.label.to_string() }</span>
            </span>
            { help(if c.on { c.explained.0 } else { c.explained.1 }) }
        </label>
    }
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn leader_follower(c: &LfConfig, cb: &Callback<(String, String)>) -> Html {
    let consensus = c.failover == FailoverMode::Consensus;
    let fence_s = c.fence_time.0 as f64 / 1e6;
    let fencing_on = format!(
        "Before promoting, the failover manager (it must reach a majority) powers the old leader off out of band and waits {fence_s} s: no split-brain. Costs {fence_s} s more failover; the old leader stays off; async writes it alone had are still lost."
    );
    html! {
        <>
            { number("Nodes", "lf.nodes", c.nodes, (1, 7), "One leader, the rest followers.", cb) }
            { select("Replication", "lf.mode", &json_name(&c.mode), &[
                ("async", "asynchronous", "The leader acknowledges from its own disk: fast, but a crash loses what no follower has yet."),
                ("semi_sync", "semi-synchronous", "Waits for some followers (falls back to async after its timeout): a round trip per write, nothing lost while it holds."),
                ("sync", "synchronous", "Waits for every follower: nothing acknowledged is lost, but one slow or dead follower stalls every write."),
            ], cb) }
            if c.mode == ReplicationMode::SemiSync {
                { number("Sync followers", "lf.sync_replicas", c.sync_replicas, (1, c.nodes.max(2) - 1), "Followers that must have a write before it is acknowledged.", cb) }
            }
            { select("Failover", "lf.failover", &json_name(&c.failover), &[
                ("manual", "manual", "Nothing happens until an operator promotes a follower: writes wait as long as that takes."),
                ("automatic", "automatic", "After the failure timeout a follower promotes the most up-to-date one. It may promote while the old leader still runs: split-brain."),
                ("consensus", "consensus (Raft-style)", "A majority elects the leader and must have each write: no split-brain, no lost acknowledged write; a minority side stops."),
            ], cb) }
            { select("Promote", "lf.promote", &json_name(&c.promote), &[
                ("most_up_to_date", "most up-to-date", "The follower with the longest log: loses the least."),
                ("least_up_to_date", "least up-to-date (bad)", "The follower furthest behind: everything the others had beyond it is lost."),
                ("lowest_id", "lowest id", "Whichever comes first by name: sometimes a lagging one."),
            ], cb) }
            { select("Reads go to", "lf.read_routing", &json_name(&c.read_routing), &[
                ("leader", "the leader", "Always current; every read loads the leader."),
                ("any_follower", "any follower", "Spreads the load; a read may miss your own write or go back in time."),
                ("round_robin", "followers, round-robin", "Spreads the load evenly; successive reads can go back in time."),
                ("sticky", "one follower per session", "Monotonic reads per session; your own recent write may still be missing."),
                ("read_your_writes", "leader after own writes", "The leader for a while after your own write, followers otherwise."),
                ("lsn_token", "follower with LSN token", "A follower waits until it has applied your last write (or sends you to the leader)."),
            ], cb) }
            if !consensus {
                { check(Check {
                    label: "Fencing (STONITH)",
                    key: "lf.fencing",
                    on: c.fencing,
                    values: ("true", "false"),
                    explained: (&fencing_on, "A deposed leader that still runs keeps acknowledging writes after a failover (split-brain)."),
                }, cb) }
            }
            { check(Check {
                label: "Leader lease (2 s)",
                key: "lf.lease",
                on: c.lease.is_some(),
                values: ("2s", "null"),
                explained: ("The leader accepts writes only while a majority answered it within the lease, on its own clock: a skewed clock breaks it.", ""),
            }, cb) }
        </>
    }
}

fn multi_leader(c: &MlConfig, cb: &Callback<(String, String)>) -> Html {
    html! {
        <>
            { number("Leaders", "ml.leaders", c.leaders, (2, 5), "Each accepts writes locally and ships them to the others.", cb) }
            { number("Followers per leader", "ml.followers", c.followers, (0, 3), "Read replicas in each leader's region.", cb) }
            if c.followers > 0 {
                { select("Reads go to", "ml.read_from", &json_name(&c.read_from), &[
                    ("leader", "the local leader", "Sees every write made in its region."),
                    ("follower", "a follower of it", "Lighter for the leader; a few milliseconds behind it."),
                ], cb) }
            }
            { select("Topology", "ml.topology", &json_name(&c.topology), &[
                ("all_to_all", "all-to-all", "Every leader sends to every other: N·(N−1) streams; a dead leader blocks no one, but a reply can overtake its question."),
                ("ring", "ring", "Changes hop leader to leader: one dead leader cuts off everything upstream of it."),
                ("star", "star", "Spokes send through the hub n1: a dead hub cuts every spoke off."),
            ], cb) }
            { select("Registers", "ml.register", &json_name(&c.register), &[
                ("lww", "last write wins", "The higher timestamp wins, even over a write made after it on a slower clock; a tie keeps what each leader had."),
                ("lww_node_id", "LWW + node-id tie-break", "Timestamps alone, ties by leader id: converges, but a slow clock's later writes are silently lost."),
                ("causal_lww", "version vectors, then LWW", "A write that followed another replaces it; only concurrent writes are settled by timestamp (Riak)."),
                ("siblings", "keep siblings", "Keeps every concurrent version; readers see them all and must merge."),
            ], cb) }
            { select("Counters", "ml.counter", &json_name(&c.counter), &[
                ("naive", "naive number", "A number overwritten by timestamp: concurrent increments are lost."),
                ("g_counter", "G-counter", "One count per leader, merged by maximum: no increment lost; it cannot go down (decrements are refused)."),
                ("pn_counter", "PN-counter", "Increments and decrements per leader: counts both ways, nothing lost."),
            ], cb) }
            { select("Sets", "ml.set", &json_name(&c.set), &[
                ("lww", "last write wins", "The whole set by timestamp: a concurrent add on the other side is lost."),
                ("union", "union merge", "Concurrent versions are united: nothing added is lost, but removed items come back."),
                ("or_set", "OR-set", "Tags every add: a remove deletes only the adds it saw, so a concurrent add survives."),
            ], cb) }
            { select("Detect per", "ml.detection", &json_name(&c.detection), &[
                ("row", "row", "Writes to different fields of one row conflict."),
                ("field", "field", "Only writes to the same field conflict."),
            ], cb) }
            { select("Row ids", "ml.ids", &json_name(&c.ids), &[
                ("auto_increment", "auto-increment", "Each leader counts on its own: two rows get the same id."),
                ("region_prefix", "region prefix", "Ids carry the leader's name: never collide."),
                ("uuid", "UUID", "Random ids: never collide, carry no order."),
            ], cb) }
            { check(Check {
                label: "Causal delivery",
                key: "ml.causal_delivery",
                on: c.causal_delivery,
                values: ("true", "false"),
                explained: (
                    "A change waits until what its origin had seen has arrived: no reply before its question; costs delay.",
                    "Changes apply as they arrive: a reply can be seen before its question.",
                ),
            }, cb) }
        </>
    }
}

fn leaderless(c: &LlConfig, cb: &Callback<(String, String)>) -> Html {
    let overlap = if c.w + c.r > c.n {
        format!(
            "W + R = {} > N = {}: every read meets a replica with the last completed write (still not linearizable).",
            c.w + c.r,
            c.n
        )
    } else {
        format!("W + R = {} ≤ N = {}: a read can miss a write that has completed.", c.w + c.r, c.n)
    };
    html! {
        <>
            { number("Nodes", "ll.nodes", c.nodes, (1, 9), "Placed on a hash ring; any node coordinates.", cb) }
            { number("N (replicas)", "ll.n", c.n, (1, c.nodes), "Copies of each key.", cb) }
            { number("W", "ll.w", c.w, (1, c.n), "Acknowledgements a write waits for.", cb) }
            { number("R", "ll.r", c.r, (1, c.n), &overlap, cb) }
            { select("Versions", "ll.versioning", &json_name(&c.versioning), &[
                ("version_vectors", "version vectors", "Concurrent writes are kept as siblings: reads may return several values."),
                ("lww", "last write wins", "The highest coordinator timestamp wins (Cassandra), even over a later write stamped by a slower clock."),
                ("causal_lww", "vectors, then LWW", "A write that followed another replaces it; only concurrent writes are settled by timestamp."),
            ], cb) }
            { select("Read repair", "ll.read_repair", &json_name(&c.read_repair), &[
                ("off", "off", "Stale replicas stay stale until something else repairs them."),
                ("background", "background", "After answering, stale replicas that replied get the newest version."),
                ("blocking", "before answering", "Stale replicas are repaired before the read answers: slower reads, no read of an old value after a newer one."),
            ], cb) }
            { check(Check {
                label: "Anti-entropy (every 5 s)",
                key: "ll.anti_entropy",
                on: c.anti_entropy.is_some(),
                values: ("5s", "null"),
                explained: ("Replicas compare Merkle trees and exchange only differing keys: repairs keys nobody reads.", "Keys nobody reads stay stale on replicas that missed them."),
            }, cb) }
            { check(Check {
                label: "Sloppy quorum",
                key: "ll.sloppy_quorum",
                on: c.sloppy_quorum,
                values: ("true", "false"),
                explained: ("When home replicas are unreachable, other nodes take their writes: available, but W + R > N no longer guarantees overlap.", "Writes wait for home replicas only: they fail when too few are reachable."),
            }, cb) }
            { check(Check {
                label: "Hinted handoff",
                key: "ll.hinted_handoff",
                on: c.hinted_handoff,
                values: ("true", "false"),
                explained: ("Stand-ins hand the writes they hold back to the home replica when it returns.", "Stand-ins keep what they took; home replicas never get it."),
            }, cb) }
        </>
    }
}

#[function_component(Settings)]
pub fn settings(p: &SettingsProps) -> Html {
    let cb = &p.on_change;
    let t = &p.scenario.topologies;
    let body = match p.kind {
        TopologyKind::LeaderFollower => match &t.leader_follower {
            Some(c) => leader_follower(c, cb),
            None => return html! {},
        },
        TopologyKind::MultiLeader => match &t.multi_leader {
            Some(c) => multi_leader(c, cb),
            None => return html! {},
        },
        TopologyKind::Leaderless => match &t.leaderless {
            Some(c) => leaderless(c, cb),
            None => return html! {},
        },
    };
    html! { <div class="settings" role="group" aria-label={format!("{} settings", p.kind.title())}>{ body }</div> }
}
