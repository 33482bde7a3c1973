//! The protocol's handlers: what each replica, coordinator and client does with a message, a
//! timer, a crash, a restart and an intervention.

#[allow(unused_imports)]
use super::*;

impl Protocol for Leaderless {
    type Node = LlNode;
    type Client = Client<LlRoute>;
    type Msg = LlMsg;
    type Timer = LlTimer;

    fn init_node(&self, id: NodeId, ctx: &mut NodeCtx<Self>) -> LlNode {
        ctx.set_timer(self.cfg.hint_interval.0, LlTimer::Hints);
        if let Some(ae) = self.cfg.anti_entropy {
            // Stagger the nodes so that exchanges do not all start at once.
            let offset = ae.0 * (id.0 as u64 + 1) / (self.cfg.nodes as u64 + 1);
            ctx.set_timer(offset.max(1), LlTimer::AntiEntropy);
        }
        LlNode {
            id,
            store: VecMap::new(),
            hints: Vec::new(),
            lane: PLog::new(),
            requests: VecMap::new(),
            next_req: 0,
            next_peer: id.0 as usize,
            writes: 0,
            last_ts: 0,
        }
    }

    fn init_client(&self, id: ClientId, ctx: &mut NodeCtx<Self>) -> Client<LlRoute> {
        Client::new(id, self.route_for(id, ctx))
    }

    fn on_message(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: LlMsg) {
        match (from, msg) {
            (Endpoint::Client(c), LlMsg::Request(Request { op, body: Op::Read { key }, ask: cl })) => {
                ctx.contacted(op, node.id);
                self.coordinate_read(node, ctx, c, op, key, cl);
            }
            (Endpoint::Client(c), LlMsg::Request(Request { op, body, ask: cl })) => {
                ctx.contacted(op, node.id);
                self.coordinate_write(node, ctx, c, op, body, cl);
            }
            (Endpoint::Node(f), LlMsg::Put { req, key, item, write, hint, repair }) => {
                match hint {
                    Some(home) => {
                        ctx.annotate(Annotation::HintStored { holder: node.id, home, key, write });
                        node.hints.push(Hint { home, key, item: item.clone(), write });
                        node.lane.push(LaneEntry { key, item: item.clone(), write, state: EntryState::Pending });
                    }
                    None => {
                        self.store(node, ctx, key, &item, write, f);
                    }
                }
                let _ = repair;
                ctx.send(f, LlMsg::PutAck { req, key });
            }
            (Endpoint::Node(f), LlMsg::PutAck { req, .. }) => {
                let Some(r) = node.requests.get_mut(&req) else { return };
                if r.write {
                    r.answered.insert(f);
                    let (op, _) = (r.op, ());
                    ctx.contacted(op, f);
                    self.check_write(node, ctx, req);
                } else if r.awaiting_repair.remove(&f) && r.awaiting_repair.is_empty() && !r.done {
                    self.reply_read(node, ctx, req);
                }
                self.forget_if_settled(node, req);
            }
            (Endpoint::Node(f), LlMsg::Get { req, key }) => {
                ctx.send(f, LlMsg::GetReply { req, key, item: node.store.get(&key).cloned() });
            }
            (Endpoint::Node(f), LlMsg::GetReply { req, item, .. }) => {
                let Some(r) = node.requests.get_mut(&req) else { return };
                r.answered.insert(f);
                r.replies.insert(f, item);
                let op = r.op;
                ctx.contacted(op, f);
                self.check_read(node, ctx, req);
                self.forget_if_settled(node, req);
            }
            (Endpoint::Node(f), LlMsg::Handoff { key, item, write }) => {
                self.store(node, ctx, key, &item, write, f);
                ctx.send(f, LlMsg::HandoffAck { key, write });
            }
            (Endpoint::Node(f), LlMsg::HandoffAck { key, write }) => {
                let before = node.hints.len();
                node.hints.retain(|h| !(h.home == f && h.key == key && h.write == write));
                if node.hints.len() < before {
                    ctx.annotate(Annotation::HintDelivered { holder: node.id, home: f, key, write });
                }
            }
            (Endpoint::Node(f), LlMsg::MerkleTree { keys, tree }) => {
                let mine = self.merkle_tree(node, &keys);
                let (differing, leaves) = self.merkle_diff(&tree, &mine);
                let leaf_keys: Vec<Vec<Sym>> = {
                    let mut lk = vec![Vec::new(); self.cfg.merkle_leaves as usize];
                    for k in &keys {
                        lk[self.leaf_of(*k)].push(*k);
                    }
                    lk
                };
                let candidates: Vec<Sym> = leaves.iter().flat_map(|l| leaf_keys[*l].iter().copied()).collect();
                ctx.annotate(Annotation::AntiEntropy(MerkleRecord {
                    a: f,
                    b: node.id,
                    tree_a: tree.clone(),
                    tree_b: mine,
                    differing,
                    keys_synced: candidates.clone(),
                    leaf_keys,
                }));
                if candidates.is_empty() {
                    return;
                }
                let items: Vec<(Sym, Rc<Item>)> =
                    candidates.iter().filter_map(|k| node.store.get(k).map(|i| (*k, i.clone()))).collect();
                ctx.send(f, LlMsg::MerkleSync { items, want: candidates });
            }
            (Endpoint::Node(f), LlMsg::MerkleSync { items, want }) => {
                for (k, item) in &items {
                    self.store(node, ctx, *k, item, 0, f);
                }
                let back: Vec<(Sym, Rc<Item>)> =
                    want.iter().filter_map(|k| node.store.get(k).map(|i| (*k, i.clone()))).collect();
                if !back.is_empty() {
                    ctx.send(f, LlMsg::MerkleSyncBack { items: back });
                }
            }
            (Endpoint::Node(f), LlMsg::MerkleSyncBack { items }) => {
                for (k, item) in &items {
                    self.store(node, ctx, *k, item, 0, f);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, timer: LlTimer) {
        match timer {
            LlTimer::RequestTimeout { req } => {
                let Some(r) = node.requests.get(&req) else { return };
                if !r.done {
                    let got = r.answered.len();
                    let needed = Self::need_label(&r.need);
                    let what = if r.write { "acknowledged" } else { "answered" };
                    ctx.annotate(Annotation::QuorumFailed {
                        op: r.op,
                        needed: match &r.need {
                            Need::Count(k) => *k as u32,
                            _ => 0,
                        },
                        got: got as u32,
                    });
                    let failed = QuorumFailed {
                        reason: format!("only {got} replicas {what}; {needed} needed"),
                        indeterminate: r.write && got > 0,
                    };
                    ctx.send(r.client, LlMsg::Reply(Reply::refused(r.op, failed, Vec::new())));
                }
                node.requests.remove(&req);
            }
            LlTimer::Fallback { req } => {
                let Some(r) = node.requests.get(&req) else { return };
                if r.done || !r.write {
                    return;
                }
                let missing: Vec<NodeId> = r.home.iter().filter(|h| !r.answered.contains(h)).copied().collect();
                let used: VecSet<NodeId> = VecSet::from_iter(r.stand_ins.keys().copied());
                let mut candidates = self
                    .preference(r.key)
                    .iter()
                    .skip(self.n())
                    .filter(|c| !used.contains(c))
                    .copied()
                    .collect::<Vec<_>>();
                let (key, op, item) = (r.key, r.op, r.item.clone());
                let mut new_stand_ins = Vec::new();
                for home in missing {
                    if candidates.is_empty() {
                        break;
                    }
                    let stand_in = candidates.remove(0);
                    new_stand_ins.push((stand_in, home));
                }
                let Some(item) = item else { return };
                for (stand_in, home) in new_stand_ins {
                    ctx.annotate(Annotation::SloppyWrite { key, home, stand_in, op });
                    if stand_in == node.id {
                        node.hints.push(Hint { home, key, item: item.clone(), write: op });
                        ctx.annotate(Annotation::HintStored { holder: node.id, home, key, write: op });
                        if let Some(r) = node.requests.get_mut(&req) {
                            r.answered.insert(node.id);
                            r.stand_ins.insert(node.id, home);
                        }
                    } else {
                        if let Some(r) = node.requests.get_mut(&req) {
                            r.stand_ins.insert(stand_in, home);
                        }
                        ctx.send(
                            stand_in,
                            LlMsg::Put { req, key, item: item.clone(), write: op, hint: Some(home), repair: false },
                        );
                    }
                }
                self.check_write(node, ctx, req);
            }
            LlTimer::Hints => {
                if self.cfg.hinted_handoff {
                    for h in node.hints.iter().take(32) {
                        ctx.send(h.home, LlMsg::Handoff { key: h.key, item: h.item.clone(), write: h.write });
                    }
                }
                ctx.set_timer(self.cfg.hint_interval.0, LlTimer::Hints);
            }
            LlTimer::AntiEntropy => {
                let nodes = self.cfg.nodes as usize;
                if nodes > 1 {
                    // Round-robin over peers that share keys with this node.
                    for _ in 0..nodes {
                        node.next_peer = (node.next_peer + 1) % nodes;
                        let peer = NodeId(node.next_peer as u8);
                        if peer == node.id {
                            continue;
                        }
                        let keys = self.merkle_keys(node.id, peer);
                        if keys.is_empty() {
                            continue;
                        }
                        let tree = self.merkle_tree(node, &keys);
                        ctx.send(peer, LlMsg::MerkleTree { keys, tree });
                        break;
                    }
                }
                if let Some(ae) = self.cfg.anti_entropy {
                    ctx.set_timer(ae.0, LlTimer::AntiEntropy);
                }
            }
            LlTimer::ClientRetry { .. } => {}
        }
    }

    fn on_crash(&self, node: &mut LlNode) {
        // The store and hints are durable; requests in flight are forgotten.
        node.requests.clear();
    }

    fn on_restart(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>) {
        ctx.set_timer(self.cfg.hint_interval.0, LlTimer::Hints);
        if let Some(ae) = self.cfg.anti_entropy {
            ctx.set_timer(ae.0, LlTimer::AntiEntropy);
        }
        let _ = node;
    }

    fn client_invoke(&self, client: &mut Client<LlRoute>, ctx: &mut NodeCtx<Self>, op: &ClientOp) {
        clients::invoke(self, client, ctx, op);
    }

    fn client_on_message(&self, client: &mut Client<LlRoute>, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: LlMsg) {
        clients::on_message(self, client, ctx, from, msg);
    }

    /// No answer in time: the next coordinator along the key's preference list.
    fn client_on_timer(&self, client: &mut Client<LlRoute>, ctx: &mut NodeCtx<Self>, timer: LlTimer) {
        if let LlTimer::ClientRetry { op } = timer {
            clients::retry(self, client, ctx, op, self.cfg.nodes as u32 - 1);
        }
    }

    fn client_abandon(&self, client: &mut Client<LlRoute>, op: OpId) {
        clients::abandon(self, client, op);
    }

    fn node_view(&self, node: &LlNode, id: NodeId, names: &Names) -> NodeView {
        let mut badges = Vec::new();
        if !node.hints.is_empty() {
            let homes: VecSet<NodeId> = VecSet::from_iter(node.hints.iter().map(|h| h.home));
            badges.push(format!(
                "{} hint(s) for {}",
                node.hints.len(),
                homes.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",")
            ));
        }
        let len = node.lane.len();
        let log = (len.saturating_sub(12)..len)
            .filter_map(|i| node.lane.get(i).map(|e| (i, e)))
            .map(|(i, e)| EntryView {
                id: format!("{i}"),
                label: format!("{} = {}", names.get(e.key), self.rules.item_label(&e.item, names)),
                version: match &*e.item {
                    Item::Register(v) => v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | "),
                    _ => String::new(),
                },
                state: e.state,
                write: (e.write > 0).then_some(e.write),
            })
            .collect();
        let data = node
            .store
            .iter()
            .map(|(k, item)| (names.get(*k).to_string(), self.rules.item_label(item, names)))
            .collect();
        let mut detail = Vec::new();
        for (k, item) in &node.store {
            let vv = match &**item {
                Item::Register(v) => v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | "),
                other => self.rules.item_label(other, names),
            };
            let home = self.home(*k).iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",");
            detail.push((format!("{} version", names.get(*k)), format!("{vv} (home: {home})")));
        }
        for h in &node.hints {
            detail.push((format!("hint for {}", h.home), format!("{} (write #{})", names.get(h.key), h.write)));
        }
        NodeView {
            id,
            role: Role::Replica,
            epoch: None,
            badges,
            log,
            log_len: len as u64,
            markers: Vec::new(),
            data,
            detail,
            // Neighbours on the ring: where the diagram places the nodes' hash ranges.
            links: if self.cfg.nodes > 1 {
                vec![NodeId(((id.0 as usize + 1) % self.cfg.nodes as usize) as u8)]
            } else {
                Vec::new()
            },
        }
    }

    fn observe(&self, nodes: &[&LlNode], up: &[bool], _now: SimTime) -> Observation {
        let mut stale = vec![0u64; nodes.len()];
        let mut divergent = vec![false; nodes.len()];
        for key in self.pref.keys() {
            let home = self.home(*key);
            let items: Vec<(NodeId, Option<&Item>)> = home
                .iter()
                .map(|h| (*h, nodes.get(h.0 as usize).and_then(|n| n.store.get(key).map(|i| &**i))))
                .collect();
            let present: Vec<&Item> = items.iter().filter_map(|(_, i)| *i).collect();
            if present.is_empty() {
                continue;
            }
            // Usually every replica holds the same version: nothing to merge.
            if present.len() == items.len() && present.windows(2).all(|w| w[0] == w[1]) {
                continue;
            }
            let Some(newest) = self.merged_of(NodeId(0), *key, &present) else { continue };
            let target = canonical(&newest);
            let mut values = VecSet::new();
            for (h, item) in &items {
                let c = item.map(canonical);
                if c != Some(target) {
                    stale[h.0 as usize] += 1;
                }
                if up.get(h.0 as usize).copied().unwrap_or(false) {
                    values.insert(c);
                }
            }
            if values.len() > 1 {
                for (h, item) in &items {
                    if up.get(h.0 as usize).copied().unwrap_or(false) && item.map(canonical) != Some(target) {
                        divergent[h.0 as usize] = true;
                    }
                }
            }
        }
        let lag = stale.iter().map(|s| Some(Lag { entries: *s, time_us: 0 })).collect();
        let data_digest = nodes
            .iter()
            .map(|n| stable_hash(&n.store.iter().map(|(k, i)| (*k, canonical(i))).collect::<Vec<_>>()))
            .collect();
        let backlog = nodes.iter().map(|n| n.hints.len() as u64).collect();
        Observation { leaders: Vec::new(), lag, data_digest, backlog, divergent }
    }

    fn surviving_writes(&self, nodes: &[&LlNode], up: &[bool]) -> std::collections::BTreeSet<OpId> {
        // What the reachable replicas hold, hints included (a version only a node that never
        // came back holds is gone for everyone).
        let any_up = up.iter().any(|u| *u);
        let mut out = std::collections::BTreeSet::new();
        for (n, _) in nodes.iter().zip(up).filter(|(_, u)| **u || !any_up) {
            out.extend(n.store.values().flat_map(|i| item_writes(i)));
            for h in &n.hints {
                out.extend(item_writes(&h.item));
            }
        }
        out
    }
}
