//! The protocol's handlers: what each leader and client does with a message, a timer, a crash,
//! a restart and an intervention.

#[allow(unused_imports)]
use super::*;

impl Protocol for MultiLeader {
    type Node = MlNode;
    type Client = Client<MlRoute>;
    type Msg = MlMsg;
    type Timer = MlTimer;

    fn init_node(&self, id: NodeId, ctx: &mut NodeCtx<Self>) -> MlNode {
        ctx.set_timer(self.cfg.retry_interval.0, MlTimer::Retry);
        MlNode {
            id,
            store: VecMap::new(),
            seen: vec![SeqSet::default(); self.n()],
            latest: vec![(0, 0); self.n()],
            own_seq: 0,
            lane: PLog::new(),
            outbound: VecMap::new(),
            skipped: VecSet::new(),
            held: Vec::new(),
            last_ack: VecMap::new(),
            own_times: PLog::new(),
            follow_log: PLog::new(),
            follower_applied: VecMap::new(),
            follow_resent: VecMap::new(),
            last_ts: 0,
            applied: 0,
            early: VecMap::new(),
        }
    }

    fn init_client(&self, id: ClientId, ctx: &mut NodeCtx<Self>) -> Client<MlRoute> {
        Client::new(id, self.route_for(id, ctx))
    }

    fn on_message(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: MlMsg) {
        match (from, msg) {
            (Endpoint::Client(c), MlMsg::Request(Request { op, body: Op::Read { key }, .. })) => {
                ctx.contacted(op, node.id);
                ctx.send(c, MlMsg::Reply(Reply::read(op, self.read(node, key), ())));
            }
            (Endpoint::Client(c), MlMsg::Request(Request { op, .. })) if self.cfg.leader_of(node.id).is_some() => {
                ctx.contacted(op, node.id);
                let leader = self.cfg.leader_of(node.id).unwrap_or(NodeId(0));
                let reason = format!("{} is a follower of {leader}: writes go to the leader", node.id);
                ctx.send(c, MlMsg::Reply(Reply::refused(op, reason, ())));
            }
            (Endpoint::Client(c), MlMsg::Request(Request { op, body: op_body, .. })) => {
                ctx.contacted(op, node.id);
                if let Op::DeleteAll = op_body {
                    let reason = "delete_all is modelled in the leader-follower pane only";
                    ctx.send(c, MlMsg::Reply(Reply::refused(op, reason.into(), ())));
                    return;
                }
                if let (Op::Increment { by, .. }, CounterRule::GCounter) = (&op_body, self.cfg.counter) {
                    if *by < 0 {
                        let reason =
                            "a G-counter only grows: decrements are refused (use pn_counter to count both ways)";
                        ctx.send(c, MlMsg::Reply(Reply::refused(op, reason.into(), ())));
                        return;
                    }
                }
                let LocalWrite { version, assigned, unit, item, lost_here } = self.local_write(node, ctx, op, &op_body);
                node.own_seq += 1;
                let seq = node.own_seq;
                node.own_times.push(ctx.now);
                let me = node.id.0 as usize;
                node.seen[me].insert(seq);
                node.latest[me] = (seq, op);
                let deps: Vec<(NodeId, u64, OpId)> = node
                    .latest
                    .iter()
                    .enumerate()
                    .filter(|(i, (s, _))| *i != me && *s > 0)
                    .map(|(i, (s, w))| (NodeId(i as u8), *s, *w))
                    .collect();
                let label = self.change_label(&op_body);
                let change = Rc::new(Change {
                    origin: node.id,
                    seq,
                    key: unit,
                    write: op,
                    label: label.clone(),
                    item: Rc::new(item),
                    deps,
                    path: vec![node.id],
                    written_at: ctx.now,
                    message_label: Rc::from(format!("{}#{} {}", node.id, seq, label).as_str()),
                });
                node.lane.push(LaneEntry { change: change.clone(), discarded: lost_here });
                let answer = Answer::Written { version: Some(version), assigned };
                ctx.send(c, MlMsg::Reply(Reply { op, answer, said: () }));
                self.feed_followers(node, ctx, unit, &change);
                for t in self.targets(node.id, &change, &node.skipped) {
                    node.outbound.entry(t).or_default().insert((node.id, seq), change.clone());
                    ctx.send(t, MlMsg::Replicate { change: change.clone() });
                }
            }
            (Endpoint::Node(f), MlMsg::Replicate { change }) => {
                ctx.send(f, MlMsg::ReplicateAck { origin: change.origin, seq: change.seq });
                if node.seen[change.origin.0 as usize].contains(change.seq) || change.origin == node.id {
                    return;
                }
                if node.held.iter().any(|h| h.origin == change.origin && h.seq == change.seq) {
                    return;
                }
                self.apply_change(node, ctx, &change);
            }
            (Endpoint::Node(f), MlMsg::ReplicateAck { origin, seq }) => {
                node.last_ack.insert(f, ctx.local_clock);
                if let Some(q) = node.outbound.get_mut(&f) {
                    q.remove(&(origin, seq));
                }
            }
            (Endpoint::Node(l), MlMsg::Follow { entry }) => {
                if entry.seq == node.applied + 1 {
                    self.apply_follow(node, &entry);
                    while let Some(next) = node.early.remove(&(node.applied + 1)) {
                        self.apply_follow(node, &next);
                    }
                } else if entry.seq > node.applied {
                    node.early.insert(entry.seq, entry);
                }
                ctx.send(l, MlMsg::FollowAck { seq: node.applied });
            }
            (Endpoint::Node(f), MlMsg::FollowAck { seq }) => {
                let a = node.follower_applied.entry(f).or_default();
                *a = (*a).max(seq);
                let applied = *a;
                // Go-back-N: a follower still behind after this ack missed something (a lost
                // message, a partition); send what follows, once per ack advance.
                let fed = node.follow_log.len() as u64;
                let resent = node.follow_resent.entry(f).or_default();
                if applied < fed && *resent <= applied {
                    let upto = fed.min(applied + FOLLOW_WINDOW);
                    *resent = upto;
                    for s in applied..upto {
                        if let Some(e) = node.follow_log.get(s as usize) {
                            ctx.send(f, MlMsg::Follow { entry: e.clone() });
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn on_timer(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, timer: MlTimer) {
        match timer {
            MlTimer::Retry => {
                // Resend the oldest unacknowledged changes to each neighbour.
                for (t, q) in &node.outbound {
                    for c in q.values().take(16) {
                        ctx.send(*t, MlMsg::Replicate { change: c.clone() });
                    }
                }
                // And the stream to followers that are behind.
                let fed = node.follow_log.len() as u64;
                for f in self.cfg.followers_of(node.id) {
                    let done = node.follower_applied.get(&f).copied().unwrap_or(0);
                    node.follow_resent.insert(f, fed.min(done + FOLLOW_WINDOW));
                    for s in done..fed.min(done + FOLLOW_WINDOW) {
                        if let Some(e) = node.follow_log.get(s as usize) {
                            ctx.send(f, MlMsg::Follow { entry: e.clone() });
                        }
                    }
                }
                ctx.set_timer(self.cfg.retry_interval.0, MlTimer::Retry);
            }
        }
    }

    fn on_crash(&self, node: &mut MlNode) {
        // Changes are in the durable log; what was queued for neighbours is rebuilt by resending.
        node.held.clear();
        node.early.clear();
    }

    fn on_restart(&self, _node: &mut MlNode, ctx: &mut NodeCtx<Self>) {
        ctx.set_timer(self.cfg.retry_interval.0, MlTimer::Retry);
    }

    fn on_control(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, control: &Control) {
        if let Control::RepairTopology = control {
            // Skip neighbours that have been silent for three retry intervals; hand their queued
            // changes to the next live leader.
            let silent_for = 3 * self.cfg.retry_interval.0;
            let dead: VecSet<NodeId> = VecSet::from_iter(
                node.outbound
                    .iter()
                    .filter(|(t, q)| {
                        !q.is_empty()
                            && ctx.local_clock.saturating_sub(node.last_ack.get(t).copied().unwrap_or(0)) >= silent_for
                    })
                    .map(|(t, _)| *t),
            );
            if dead.is_empty() {
                return;
            }
            node.skipped.extend(dead.iter().copied());
            ctx.annotate(Annotation::TopologyRepaired { around: dead.iter().copied().collect() });
            for d in &dead {
                if let Some(q) = node.outbound.remove(d) {
                    for (k, c) in q {
                        for t in self.targets(node.id, &c, &node.skipped) {
                            node.outbound.entry(t).or_default().insert(k, c.clone());
                            ctx.send(t, MlMsg::Replicate { change: c.clone() });
                        }
                    }
                }
            }
        }
    }

    fn client_invoke(&self, client: &mut Client<MlRoute>, ctx: &mut NodeCtx<Self>, op: &ClientOp) {
        clients::invoke(self, client, ctx, op);
    }

    fn client_on_message(&self, client: &mut Client<MlRoute>, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: MlMsg) {
        clients::on_message(self, client, ctx, from, msg);
    }

    fn client_on_timer(&self, _client: &mut Client<MlRoute>, _ctx: &mut NodeCtx<Self>, _timer: MlTimer) {}

    fn client_abandon(&self, client: &mut Client<MlRoute>, op: OpId) {
        clients::abandon(self, client, op);
    }

    fn node_view(&self, node: &MlNode, id: NodeId, names: &Names) -> NodeView {
        let backlog: usize = node.outbound.values().map(|q| q.len()).sum();
        let mut badges = Vec::new();
        for (t, q) in &node.outbound {
            if q.len() > 2 {
                badges.push(format!("{} queued for {t}", q.len()));
            }
        }
        if !node.held.is_empty() {
            badges.push(format!("{} held for causality", node.held.len()));
        }
        if !node.skipped.is_empty() {
            badges.push(format!("skips {}", node.skipped.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",")));
        }
        let len = node.lane.len();
        let log = (len.saturating_sub(12)..len)
            .filter_map(|i| node.lane.get(i).map(|e| (i, e)))
            .map(|(i, e)| {
                let c = &e.change;
                let vv = match &*c.item {
                    Item::Register(v) => v.first().map(|v| vv_label(&v.vv)),
                    Item::NaiveCounter(n) => Some(vv_label(&n.vv)),
                    Item::SetValue(v) => v.first().map(|v| vv_label(&v.vv)),
                    _ => None,
                };
                EntryView {
                    id: format!("{}#{}:{i}", c.origin, c.seq),
                    label: if e.discarded {
                        format!("{}: {} (lost in conflict)", c.origin, c.label)
                    } else {
                        format!("{}: {}", c.origin, c.label)
                    },
                    version: match vv {
                        Some(v) => format!("{}#{} {v}", c.origin, c.seq),
                        None => format!("{}#{}", c.origin, c.seq),
                    },
                    state: if e.discarded { EntryState::Discarded } else { EntryState::Applied },
                    write: Some(c.write),
                }
            })
            .collect();
        let data = node
            .store
            .iter()
            .map(|(k, item)| (self.unit_name(*k, names), self.rules.item_label(item, names)))
            .collect();
        let follows = self.cfg.leader_of(id);
        let mut detail = vec![("topology".to_string(), self.cfg.topology.label().to_string())];
        match follows {
            Some(l) => {
                detail.push(("follows".into(), l.to_string()));
                detail.push(("applied".into(), format!("{} of {l}'s changes", node.applied)));
                if !node.early.is_empty() {
                    detail
                        .push(("arrived early".into(), format!("{} (waiting for the ones before)", node.early.len())));
                }
            }
            None => {
                detail.push((
                    "applied from".to_string(),
                    node.seen
                        .iter()
                        .enumerate()
                        .map(|(i, s)| format!("n{}:{}", i + 1, s.prefix))
                        .collect::<Vec<_>>()
                        .join(" "),
                ));
                detail.push(("backlog".into(), format!("{backlog} change(s) not yet acknowledged")));
                for f in self.cfg.followers_of(id) {
                    let a = node.follower_applied.get(&f).copied().unwrap_or(0);
                    detail.push((format!("{f} applied"), format!("{a} of {}", node.follow_log.len())));
                }
            }
        }
        for (k, item) in &node.store {
            let vv = match item {
                Item::Register(v) => v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | "),
                Item::NaiveCounter(c) => vv_label(&c.vv),
                Item::SetValue(v) => v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | "),
                Item::Pn { p, n } => format!("P{} N{}", vv_label(p), vv_label(n)),
                Item::OrSet { adds, removed } => {
                    format!("{} live tags, {} removed", adds.values().map(|t| t.len()).sum::<usize>(), removed.len())
                }
                Item::Table(rows) => format!("{} rows", rows.len()),
            };
            detail.push((format!("{} version", self.unit_name(*k, names)), vv));
        }
        let (role, markers) = match follows {
            Some(l) => (
                Role::Follower,
                vec![("applied".to_string(), node.applied.to_string()), ("follows".into(), l.to_string())],
            ),
            None => (
                if self.cfg.topology == MlTopology::Star && id == NodeId(0) { Role::Hub } else { Role::Leader },
                vec![("own changes".into(), node.own_seq.to_string())],
            ),
        };
        let leaders = self.cfg.leaders as usize;
        let links = match (follows, self.cfg.topology) {
            (Some(l), _) => vec![l],
            (None, MlTopology::AllToAll) => {
                (0..leaders).filter(|&i| i != id.0 as usize).map(|i| NodeId(i as u8)).collect()
            }
            (None, MlTopology::Ring) if leaders > 1 => vec![NodeId(((id.0 as usize + 1) % leaders) as u8)],
            (None, MlTopology::Star) if id == NodeId(0) => (1..leaders).map(|i| NodeId(i as u8)).collect(),
            (None, _) => Vec::new(),
        };
        NodeView { id, role, epoch: None, badges, log, log_len: len as u64, markers, data, detail, links }
    }

    fn observe(&self, nodes: &[&MlNode], up: &[bool], now: SimTime) -> Observation {
        let n_leaders = self.n().min(nodes.len());
        let leaders = nodes.iter().zip(up).take(n_leaders).filter(|(_, u)| **u).map(|(n, _)| (n.id, 0)).collect();
        let lag = nodes
            .iter()
            .map(|n| {
                if let Some(l) = self.cfg.leader_of(n.id) {
                    // A follower is behind its leader's stream.
                    let leader = nodes.get(l.0 as usize)?;
                    let fed = leader.follow_log.len() as u64;
                    let entries = fed.saturating_sub(n.applied);
                    let since = leader.follow_log.get(n.applied as usize).filter(|_| entries > 0).map(|e| e.at);
                    return Some(Lag { entries, time_us: since.map(|t| now.saturating_sub(t)).unwrap_or(0) });
                }
                let mut entries = 0;
                let mut oldest: Option<SimTime> = None;
                for o in nodes.iter().take(n_leaders) {
                    if o.id == n.id {
                        continue;
                    }
                    let have = n.seen[o.id.0 as usize].prefix;
                    if o.own_seq > have {
                        entries += o.own_seq - have;
                        if let Some(t) = o.own_times.get(have as usize) {
                            oldest = Some(oldest.map_or(*t, |x: SimTime| x.min(*t)));
                        }
                    }
                }
                Some(Lag { entries, time_us: oldest.map(|t| now.saturating_sub(t)).unwrap_or(0) })
            })
            .collect();
        let data_digest: Vec<u64> = nodes
            .iter()
            .map(|n| {
                let view: Vec<(Sym, u64)> = n.store.iter().map(|(k, item)| (*k, canonical(item))).collect();
                stable_hash(&view)
            })
            .collect();
        let backlog = nodes.iter().map(|n| n.outbound.values().map(|q| q.len() as u64).sum()).collect();
        let divergent = divergent_from_digests(&data_digest, up);
        Observation { leaders, lag, data_digest, backlog, divergent }
    }

    fn surviving_writes(&self, nodes: &[&MlNode], up: &[bool]) -> std::collections::BTreeSet<OpId> {
        // What the reachable replicas hold: a version only a node that never came back holds
        // is gone for everyone (and under a deterministic rule it loses again if it returns).
        let any_up = up.iter().any(|u| *u);
        crate::sort::set_of(
            nodes
                .iter()
                .zip(up)
                .filter(|(_, u)| **u || !any_up)
                .flat_map(|(n, _)| n.store.values().flat_map(item_writes)),
        )
    }
}
