//! The coordinator's work: building versions, counting replies against W and R, read repair,
//! hinted handoff, Merkle-tree anti-entropy, as helpers the handlers call.

#[allow(unused_imports)]
use super::*;

impl Leaderless {
    /// A cluster for the keys `names` interns, each holding the kind of data `kinds` says, with
    /// its nodes placed in the regions `node_region` gives.
    pub fn new(cfg: LlConfig, names: &Names, kinds: VecMap<Sym, KeyKind>, node_region: &[usize]) -> Self {
        let ring = Ring::new(cfg.nodes as usize, cfg.vnodes as usize);
        let pref = names
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| (Sym(i as u16), ring.preference(Ring::key_position(name))))
            .collect();
        let rules = Rules {
            register: match cfg.versioning {
                Versioning::VersionVectors => RegisterRule::Siblings,
                Versioning::Lww => RegisterRule::LwwNodeId,
                Versioning::CausalLww => RegisterRule::CausalLww,
            },
            counter: CounterRule::PnCounter,
            set: SetRule::OrSet,
            ids: IdScheme::Uuid,
            n: cfg.nodes as usize,
            names: names.clone(),
        };
        Leaderless { cfg, rules, kinds, pref, node_region: node_region.to_vec(), ring }
    }

    pub(super) fn n(&self) -> usize {
        self.cfg.n as usize
    }

    pub fn preference(&self, key: Sym) -> &[NodeId] {
        self.pref.get(&key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn home(&self, key: Sym) -> Vec<NodeId> {
        self.preference(key).iter().take(self.n()).copied().collect()
    }

    pub(super) fn is_home(&self, key: Sym, node: NodeId) -> bool {
        self.preference(key).iter().take(self.n()).any(|n| *n == node)
    }

    pub(super) fn quorum(k: usize) -> usize {
        k / 2 + 1
    }

    pub(super) fn need(
        &self,
        cl: Option<ConsistencyLevel>,
        default: u32,
        home: &[NodeId],
        coordinator: NodeId,
    ) -> Need {
        let n = home.len();
        let region_of = |x: &NodeId| self.node_region.get(x.0 as usize).copied().unwrap_or(0);
        match cl {
            None => Need::Count(default as usize),
            Some(ConsistencyLevel::One) => Need::Count(1),
            Some(ConsistencyLevel::Two) => Need::Count(2.min(n)),
            Some(ConsistencyLevel::Quorum) => Need::Count(Self::quorum(n)),
            Some(ConsistencyLevel::All) => Need::Count(n),
            Some(ConsistencyLevel::LocalQuorum) => {
                let region = region_of(&coordinator);
                let local = home.iter().filter(|h| region_of(h) == region).count();
                Need::Local { region, k: Self::quorum(local.max(1)) }
            }
            Some(ConsistencyLevel::EachQuorum) => {
                let mut per: VecMap<usize, usize> = VecMap::new();
                for h in home {
                    *per.entry(region_of(h)).or_default() += 1;
                }
                Need::Each(per.into_iter().map(|(r, c)| (r, Self::quorum(c))).collect())
            }
        }
    }

    pub(super) fn satisfied(&self, need: &Need, answered: &VecSet<NodeId>, stand_ins: &VecMap<NodeId, NodeId>) -> bool {
        // A stand-in counts for the region of the home replica it stands in for.
        let region_of = |x: &NodeId| {
            let home = stand_ins.get(x).unwrap_or(x);
            self.node_region.get(home.0 as usize).copied().unwrap_or(0)
        };
        match need {
            Need::Count(k) => answered.len() >= *k,
            Need::Local { region, k } => answered.iter().filter(|a| region_of(a) == *region).count() >= *k,
            Need::Each(list) => list.iter().all(|(r, k)| answered.iter().filter(|a| region_of(a) == *r).count() >= *k),
        }
    }

    pub(super) fn need_label(need: &Need) -> String {
        match need {
            Need::Count(k) => k.to_string(),
            Need::Local { k, .. } => format!("{k} local"),
            Need::Each(list) => list.iter().map(|(_, k)| k.to_string()).collect::<Vec<_>>().join("+"),
        }
    }

    pub(super) fn kind_of(&self, key: Sym) -> KeyKind {
        self.kinds.get(&key).copied().unwrap_or(KeyKind::Register)
    }

    /// Merges a version into this replica, recording conflicts; returns true if anything changed.
    pub(super) fn store(
        &self,
        node: &mut LlNode,
        ctx: &mut NodeCtx<Self>,
        key: Sym,
        item: &Item,
        write: OpId,
        origin: NodeId,
    ) -> bool {
        let merged = match node.store.get(&key) {
            None => item.clone(),
            Some(local) => {
                let (merged, record) = self.rules.resolve(node.id, key, local, item, write, origin);
                if let Some(r) = record {
                    ctx.annotate(Annotation::Conflict(r));
                }
                merged
            }
        };
        let changed = node.store.get(&key).map(|i| &**i) != Some(&merged);
        if changed {
            // The lane keeps the version itself; its label is formatted only when drawn.
            let merged = Rc::new(merged);
            node.lane.push(LaneEntry { key, item: merged.clone(), write, state: EntryState::Applied });
            node.store.insert(key, merged);
        }
        changed
    }

    /// Drops a request once it is answered and every replica it asked has replied: nothing more
    /// can happen to it, and keeping it would only make checkpoints bigger.
    pub(super) fn forget_if_settled(&self, node: &mut LlNode, req_id: u64) {
        let Some(r) = node.requests.get(&req_id) else { return };
        let expected = r.home.len() + r.stand_ins.len();
        let heard = if r.write { r.answered.len() } else { r.replies.len() };
        if r.done && r.awaiting_repair.is_empty() && heard >= expected {
            node.requests.remove(&req_id);
        }
    }

    pub(super) fn merged_of(&self, me: NodeId, key: Sym, items: &[&Item]) -> Option<Item> {
        self.merged_noting(me, key, items, &mut Vec::new())
    }

    /// Merges the replies of a read; conflicts found between them (concurrent versions kept as
    /// siblings, sets merged, last-write-wins verdicts) are added to `conflicts`.
    pub(super) fn merged_noting(
        &self,
        me: NodeId,
        key: Sym,
        items: &[&Item],
        conflicts: &mut Vec<crate::annotate::ConflictRecord>,
    ) -> Option<Item> {
        let mut acc: Option<Item> = None;
        for it in items {
            acc = Some(match acc {
                None => (*it).clone(),
                Some(a) => {
                    let (m, record) = self.rules.resolve(me, key, &a, it, 0, me);
                    conflicts.extend(record);
                    m
                }
            });
        }
        acc
    }

    pub(super) fn reply_read(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, req_id: u64) {
        let Some(req) = node.requests.get_mut(&req_id) else { return };
        let refs: Vec<&Item> = req.replies.values().filter_map(|i| i.as_deref()).collect();
        // The coordinator resolves what the replicas disagree on before answering: that is where
        // a reader meets a conflict (the client then sees siblings, a merged set, or one winner).
        let mut conflicts = Vec::new();
        let merged = self.merged_noting(node.id, req.key, &refs, &mut conflicts);
        req.conflicts_noted |= !conflicts.is_empty();
        let value = read_item(merged.as_ref(), req.key, self.kind_of(req.key));
        let from: Vec<NodeId> = req.answered.iter().copied().collect();
        let version_of = |i: &Option<Rc<Item>>| match i.as_deref() {
            None => "nothing".to_string(),
            Some(Item::Register(v)) if !v.is_empty() => {
                v.iter().map(|r| vv_label(&r.vv)).collect::<Vec<_>>().join(" | ")
            }
            Some(other) => self.rules.item_label(other, &self.rules.names),
        };
        let target = merged.as_ref().map(canonical);
        let record = QuorumRecord {
            op: req.op,
            key: req.key,
            write: false,
            coordinator: node.id,
            need: Self::need_label(&req.need),
            home: req.home.clone(),
            answered: req.replies.iter().map(|(n, i)| (*n, version_of(i))).collect(),
            stand_ins: Vec::new(),
            stale: req.replies.iter().filter(|(_, i)| i.as_deref().map(canonical) != target).map(|(n, _)| *n).collect(),
            result: merged
                .as_ref()
                .map(|m| self.rules.item_label(m, &self.rules.names))
                .unwrap_or_else(|| "nothing".into()),
        };
        req.done = true;
        ctx.send(req.client, LlMsg::Reply(Reply::read(req.op, value, from)));
        ctx.set_timer(self.cfg.request_timeout.0, LlTimer::RequestTimeout { req: req_id });
        ctx.annotate(Annotation::Quorum(record));
        for c in conflicts {
            ctx.annotate(Annotation::Conflict(c));
        }
    }

    /// Sends the newest version to every replica that answered with something older.
    pub(super) fn read_repair(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, req_id: u64) -> VecSet<NodeId> {
        let me = node.id;
        let Some(req) = node.requests.get_mut(&req_id) else { return VecSet::new() };
        let refs: Vec<&Item> = req.replies.values().filter_map(|i| i.as_deref()).collect();
        let mut conflicts = Vec::new();
        let Some(merged) = self.merged_noting(me, req.key, &refs, &mut conflicts) else { return VecSet::new() };
        let target = canonical(&merged);
        let mut stale = VecSet::new();
        for (n, item) in &req.replies {
            let behind = match item {
                None => true,
                Some(i) if **i == merged => false,
                Some(i) => canonical(i) != target || !matches!(self.item_order(i, &merged), Order::Equal),
            };
            if behind && !req.repaired.contains(n) {
                stale.insert(*n);
            }
        }
        if stale.is_empty() {
            return stale;
        }
        // Replies that disagreed are reconciled here, in the background, when the read itself was
        // answered before they arrived (R smaller than N).
        if !req.conflicts_noted && !conflicts.is_empty() {
            req.conflicts_noted = true;
            for c in conflicts {
                ctx.annotate(Annotation::Conflict(c));
            }
        }
        let item = Rc::new(merged.clone());
        for n in &stale {
            req.repaired.insert(*n);
            if *n == me {
                continue;
            }
            ctx.send(
                *n,
                LlMsg::Put { req: req_id, key: req.key, item: item.clone(), write: req.op, hint: None, repair: true },
            );
        }
        req.answered_with = Some(merged.clone());
        let (key, op) = (req.key, req.op);
        ctx.annotate(Annotation::ReadRepair { coordinator: me, key, repaired: stale.iter().copied().collect(), op });
        if stale.contains(&me) {
            self.store(node, ctx, key, &merged, op, me);
        }
        stale
    }

    /// Orders two items by version vector where they have one.
    pub(super) fn item_order(&self, a: &Item, b: &Item) -> Order {
        match (a, b) {
            (Item::Register(x), Item::Register(y)) => {
                let vx = x.iter().fold(vec![0; self.rules.n], |acc, v| crate::topology::versions::vv_max(&acc, &v.vv));
                let vy = y.iter().fold(vec![0; self.rules.n], |acc, v| crate::topology::versions::vv_max(&acc, &v.vv));
                compare(&vx, &vy)
            }
            (Item::Pn { p: px, n: nx }, Item::Pn { p: py, n: ny }) => match (compare(px, py), compare(nx, ny)) {
                (Order::Equal, o) | (o, Order::Equal) => o,
                (a, b) if a == b => a,
                _ => Order::Concurrent,
            },
            _ => {
                if canonical(a) == canonical(b) {
                    Order::Equal
                } else {
                    Order::Concurrent
                }
            }
        }
    }

    pub(super) fn merkle_keys(&self, a: NodeId, b: NodeId) -> Vec<Sym> {
        let mut keys: Vec<Sym> =
            self.pref.keys().copied().filter(|k| self.is_home(*k, a) && self.is_home(*k, b)).collect();
        crate::sort::sort(&mut keys);
        keys
    }

    pub(super) fn leaf_of(&self, key: Sym) -> usize {
        (stable_hash(&("leaf", key.0 as u64)) % self.cfg.merkle_leaves as u64) as usize
    }

    /// A Merkle tree in heap order (index 0 is the root; children of i are 2i+1 and 2i+2).
    pub fn merkle_tree(&self, node: &LlNode, keys: &[Sym]) -> Vec<u64> {
        let leaves = self.cfg.merkle_leaves as usize;
        let mut leaf_items: Vec<Vec<(Sym, u64)>> = vec![Vec::new(); leaves];
        for k in keys {
            let v = node.store.get(k).map(|i| canonical(i)).unwrap_or(0);
            leaf_items[self.leaf_of(*k)].push((*k, v));
        }
        let mut tree = vec![0u64; 2 * leaves - 1];
        for (i, items) in leaf_items.iter().enumerate() {
            tree[leaves - 1 + i] = stable_hash(items);
        }
        for i in (0..leaves - 1).rev() {
            tree[i] = stable_hash(&(tree[2 * i + 1], tree[2 * i + 2]));
        }
        tree
    }

    /// Walks two trees from the root, following only differing subtrees; returns the differing
    /// tree nodes and the leaves reached.
    pub fn merkle_diff(&self, a: &[u64], b: &[u64]) -> (Vec<u32>, Vec<usize>) {
        let leaves = self.cfg.merkle_leaves as usize;
        let mut differing = Vec::new();
        let mut leaf_hits = Vec::new();
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            if i >= a.len() || a[i] == b[i] {
                continue;
            }
            differing.push(i as u32);
            if i >= leaves - 1 {
                leaf_hits.push(i - (leaves - 1));
            } else {
                stack.push(2 * i + 2);
                stack.push(2 * i + 1);
            }
        }
        crate::sort::sort(&mut differing);
        crate::sort::sort(&mut leaf_hits);
        (differing, leaf_hits)
    }

    pub(super) fn coordinate_write(
        &self,
        node: &mut LlNode,
        ctx: &mut NodeCtx<Self>,
        client: ClientId,
        op: OpId,
        body: Op,
        cl: Option<ConsistencyLevel>,
    ) {
        let Some(key) = body.key() else {
            let failed = QuorumFailed {
                reason: "delete_all is modelled in the leader-follower pane only".into(),
                indeterminate: false,
            };
            ctx.send(client, LlMsg::Reply(Reply::refused(op, failed, Vec::new())));
            return;
        };
        let home = self.home(key);
        let need = self.need(cl, self.cfg.w, &home, node.id);
        node.writes += 1;
        // The coordinator's clock, in microseconds, never repeating (Cassandra's coordinator
        // timestamps): a clock running behind stamps writes that lose to earlier ones.
        let ts = ctx.local_clock.max(node.last_ts + 1);
        node.last_ts = ts;
        let stamp =
            Stamp { me: node.id, ts, at: ctx.now, tag: (node.writes << 8) | node.id.0 as u64, floor: node.writes };
        let (item, version, _) =
            self.rules.write_item(node.store.get(&key).map(|i| &**i), op, &body, &stamp, &mut ctx.entropy);
        let item = Rc::new(item);
        node.next_req += 1;
        let req_id = node.next_req;
        let mut req = Coordination {
            op,
            client,
            key,
            write: true,
            need,
            home: home.clone(),
            answered: VecSet::new(),
            replies: VecMap::new(),
            stand_ins: VecMap::new(),
            item: Some(item.clone()),
            version,
            done: false,
            answered_with: None,
            repaired: VecSet::new(),
            awaiting_repair: VecSet::new(),
            conflicts_noted: false,
        };
        let targets: Vec<NodeId> = if self.cfg.propagate_to_all {
            home.clone()
        } else {
            let k = match &req.need {
                Need::Count(k) => *k,
                _ => home.len(),
            };
            home.iter().take(k).copied().collect()
        };
        for h in &targets {
            if *h == node.id {
                self.store(node, ctx, key, &item, op, node.id);
                req.answered.insert(node.id);
            } else {
                ctx.send(*h, LlMsg::Put { req: req_id, key, item: item.clone(), write: op, hint: None, repair: false });
            }
        }
        node.requests.insert(req_id, req);
        ctx.set_timer(self.cfg.request_timeout.0, LlTimer::RequestTimeout { req: req_id });
        if self.cfg.sloppy_quorum {
            ctx.set_timer(self.cfg.fallback_after.0, LlTimer::Fallback { req: req_id });
        }
        self.check_write(node, ctx, req_id);
    }

    pub(super) fn check_write(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, req_id: u64) {
        let Some(req) = node.requests.get(&req_id) else { return };
        if req.done || !self.satisfied(&req.need, &req.answered, &req.stand_ins) {
            return;
        }
        let req = node.requests.get_mut(&req_id).expect("request");
        req.done = true;
        ctx.annotate(Annotation::Quorum(QuorumRecord {
            op: req.op,
            key: req.key,
            write: true,
            coordinator: node.id,
            need: Self::need_label(&req.need),
            home: req.home.clone(),
            answered: req.answered.iter().map(|n| (*n, req.version.clone())).collect(),
            stand_ins: req.stand_ins.iter().map(|(s, h)| (*s, *h)).collect(),
            stale: Vec::new(),
            result: "ok".into(),
        }));
        let mut c_version = req.version.clone();
        if !req.stand_ins.is_empty() {
            c_version.push_str(" (sloppy)");
        }
        let answer = Answer::Written { version: Some(c_version), assigned: None };
        let acks = req.answered.iter().copied().collect();
        ctx.send(req.client, LlMsg::Reply(Reply { op: req.op, answer, said: acks }));
    }

    pub(super) fn coordinate_read(
        &self,
        node: &mut LlNode,
        ctx: &mut NodeCtx<Self>,
        client: ClientId,
        op: OpId,
        key: Sym,
        cl: Option<ConsistencyLevel>,
    ) {
        let home = self.home(key);
        let need = self.need(cl, self.cfg.r, &home, node.id);
        node.next_req += 1;
        let req_id = node.next_req;
        let mut req = Coordination {
            op,
            client,
            key,
            write: false,
            need,
            home: home.clone(),
            answered: VecSet::new(),
            replies: VecMap::new(),
            stand_ins: VecMap::new(),
            item: None,
            version: String::new(),
            done: false,
            answered_with: None,
            repaired: VecSet::new(),
            awaiting_repair: VecSet::new(),
            conflicts_noted: false,
        };
        for h in &home {
            if *h == node.id {
                req.answered.insert(node.id);
                req.replies.insert(node.id, node.store.get(&key).cloned());
            } else {
                ctx.send(*h, LlMsg::Get { req: req_id, key });
            }
        }
        node.requests.insert(req_id, req);
        ctx.set_timer(self.cfg.request_timeout.0, LlTimer::RequestTimeout { req: req_id });
        self.check_read(node, ctx, req_id);
    }

    pub(super) fn check_read(&self, node: &mut LlNode, ctx: &mut NodeCtx<Self>, req_id: u64) {
        let Some(req) = node.requests.get(&req_id) else { return };
        if req.done {
            // A late reply: repair it in the background.
            if self.cfg.read_repair != ReadRepair::Off {
                self.read_repair(node, ctx, req_id);
            }
            return;
        }
        if !req.awaiting_repair.is_empty() {
            return;
        }
        if !self.satisfied(&req.need, &req.answered, &req.stand_ins) {
            return;
        }
        match self.cfg.read_repair {
            ReadRepair::Off => self.reply_read(node, ctx, req_id),
            ReadRepair::Background => {
                self.reply_read(node, ctx, req_id);
                self.read_repair(node, ctx, req_id);
            }
            ReadRepair::Blocking => {
                let me = node.id;
                let mut stale = self.read_repair(node, ctx, req_id);
                stale.remove(&me);
                if stale.is_empty() {
                    self.reply_read(node, ctx, req_id);
                } else if let Some(r) = node.requests.get_mut(&req_id) {
                    r.awaiting_repair = stale;
                }
            }
        }
    }
}
