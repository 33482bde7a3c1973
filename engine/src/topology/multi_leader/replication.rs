//! Local writes, shipping changes to the other leaders along the topology, applying and
//! forwarding them, and resolving concurrent writes, as helpers the handlers call.

#[allow(unused_imports)]
use super::*;

impl MultiLeader {
    /// A cluster for the keys `names` interns, each holding the kind of data `kinds` says.
    pub fn new(cfg: MlConfig, names: &Names, kinds: VecMap<Sym, KeyKind>) -> Self {
        let mut unit = VecMap::new();
        let mut unit_names = VecMap::new();
        for (i, n) in names.names.iter().enumerate() {
            let s = Sym(i as u16);
            let row = match (cfg.detection, n.split_once('.')) {
                (Detection::Row, Some((row, _))) => row,
                _ => n.as_str(),
            };
            // The unit of a row is its lowest-numbered field key.
            let rep = names
                .names
                .iter()
                .position(|m| {
                    m == row || m.split_once('.').is_some_and(|(r, _)| r == row && cfg.detection == Detection::Row)
                })
                .map(|j| Sym(j as u16))
                .unwrap_or(s);
            unit.insert(s, rep);
            unit_names.insert(rep, row.to_string());
        }
        let rules = Rules {
            register: cfg.register,
            counter: cfg.counter,
            set: cfg.set,
            ids: cfg.ids,
            n: cfg.leaders as usize,
            names: names.clone(),
        };
        MultiLeader { cfg, unit, kinds, unit_names, rules }
    }

    pub(super) fn n(&self) -> usize {
        self.cfg.leaders as usize
    }

    pub(super) fn unit_of(&self, key: Sym) -> Sym {
        self.unit.get(&key).copied().unwrap_or(key)
    }

    pub(super) fn kind_of(&self, key: Sym) -> KeyKind {
        self.kinds.get(&key).copied().unwrap_or(KeyKind::Register)
    }

    pub(super) fn unit_name(&self, unit: Sym, names: &Names) -> String {
        self.unit_names.get(&unit).cloned().unwrap_or_else(|| names.get(unit).to_string())
    }

    /// Neighbours a leader sends its own or forwarded changes to.
    pub(super) fn targets(&self, me: NodeId, change: &Change, skipped: &VecSet<NodeId>) -> Vec<NodeId> {
        let n = self.n();
        let all = (0..n).map(|i| NodeId(i as u8));
        let fresh = |t: &NodeId| *t != me && *t != change.origin && !change.path.contains(t);
        match self.cfg.topology {
            MlTopology::AllToAll => {
                if change.origin == me {
                    all.filter(|t| *t != me).collect()
                } else {
                    Vec::new()
                }
            }
            MlTopology::Ring => {
                let mut next = (me.0 as usize + 1) % n;
                for _ in 0..n {
                    if !skipped.contains(&NodeId(next as u8)) || next == me.0 as usize {
                        break;
                    }
                    next = (next + 1) % n;
                }
                let t = NodeId(next as u8);
                if fresh(&t) {
                    vec![t]
                } else {
                    Vec::new()
                }
            }
            MlTopology::Star => {
                let hub = NodeId(0);
                if me == hub {
                    all.filter(fresh).collect()
                } else if change.origin == me {
                    vec![hub]
                } else {
                    Vec::new()
                }
            }
        }
    }

    /// The origin's timestamp for a new write: its own clock, at `clock_resolution`, and never
    /// the same twice on one leader (like Cassandra's coordinator, a repeated reading is bumped by
    /// a microsecond). Nothing makes it exceed the timestamps of writes this leader has seen: that
    /// is what a slow clock costs under last write wins.
    pub(super) fn timestamp(&self, node: &mut MlNode, ctx: &NodeCtx<Self>) -> u64 {
        let r = self.cfg.clock_resolution.0.max(1);
        let ts = (ctx.local_clock / r * r).max(node.last_ts + 1);
        node.last_ts = ts;
        ts
    }

    /// Applies a client's write at this leader. Returns the version label, the id assigned (for
    /// inserts), the unit written, the new version (what is shipped to the other leaders), and
    /// whether the write already lost on this leader (timestamp rules only).
    pub(super) fn local_write(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, op: OpId, body: &Op) -> LocalWrite {
        let key = body.key().unwrap_or(Sym(0));
        let unit = self.unit_of(key);
        let ts = self.timestamp(node, ctx);
        let stamp = Stamp { me: node.id, ts, at: ctx.now, tag: node.own_seq + 1, floor: 0 };
        let (item, version, assigned) =
            self.rules.write_item(node.store.get(&unit), op, body, &stamp, &mut ctx.entropy);
        let mut lost_here = false;
        let stored = match node.store.get(&unit) {
            Some(existing) if self.rules.needs_resolve_on_write(body) => {
                let (stored, record) = self.rules.resolve(node.id, unit, existing, &item, op, node.id);
                if let Some(r) = record {
                    lost_here = r.discarded.contains(&op);
                    ctx.annotate(Annotation::Conflict(r));
                }
                stored
            }
            _ => item.clone(),
        };
        node.store.insert(unit, stored);
        LocalWrite { version, assigned, unit, item, lost_here }
    }

    pub(super) fn read(&self, node: &MlNode, key: Sym) -> ReadValue {
        read_item(node.store.get(&self.unit_of(key)), key, self.kind_of(key))
    }

    /// Merges an incoming item into the local one, recording a conflict if they were concurrent.
    pub(super) fn merge(
        &self,
        node: &mut MlNode,
        ctx: &mut NodeCtx<Self>,
        unit: Sym,
        incoming: &Item,
        change: &Change,
    ) {
        let me = node.id;
        let Some(local) = node.store.get(&unit) else {
            node.store.insert(unit, incoming.clone());
            return;
        };
        let (merged, record) = self.rules.resolve(me, unit, local, incoming, change.write, change.origin);
        if let Some(r) = record {
            for w in &r.discarded {
                // Mark the lane entry of the discarded write on this leader.
                let len = node.lane.len();
                let found = (len.saturating_sub(64)..len)
                    .rev()
                    .filter_map(|i| node.lane.get(i))
                    .find(|e| e.change.write == *w)
                    .map(|e| e.change.clone());
                if let Some(change) = found {
                    node.lane.push(LaneEntry { change, discarded: true });
                }
            }
            ctx.annotate(Annotation::Conflict(r));
        }
        node.store.insert(unit, merged);
    }

    pub(super) fn apply_change(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, change: &Rc<Change>) {
        let o = change.origin.0 as usize;
        // Causality: did the origin know something this leader has not applied yet?
        let missing: Vec<(NodeId, u64, OpId)> = change
            .deps
            .iter()
            .filter(|(d, seq, _)| *d != node.id && !node.seen[d.0 as usize].contains(*seq))
            .copied()
            .collect();
        if !missing.is_empty() {
            if self.cfg.causal_delivery {
                node.held.push(change.clone());
                return;
            }
            ctx.annotate(Annotation::CausalityViolation {
                node: node.id,
                write: change.write,
                missing: missing.iter().map(|m| m.2).collect(),
            });
        }
        node.seen[o].insert(change.seq);
        if change.seq > node.latest[o].0 {
            node.latest[o] = (change.seq, change.write);
        }
        node.lane.push(LaneEntry { change: change.clone(), discarded: false });
        if let (Item::Table(rows), Some(Item::Table(mine))) = (&*change.item, node.store.get(&change.key)) {
            for (id, row) in rows {
                if let Some(existing) = mine.get(id) {
                    if existing.write != row.write {
                        ctx.annotate(Annotation::DuplicateId {
                            table: change.key,
                            id: id.clone(),
                            writes: vec![existing.write, row.write],
                        });
                    }
                }
            }
        }
        self.merge(node, ctx, change.key, &change.item, change);
        self.feed_followers(node, ctx, change.key, change);
        // Forward along the topology (all-to-all never forwards).
        let targets = self.targets(node.id, change, &node.skipped);
        if targets.is_empty() {
            // nothing to forward
        } else {
            let mut fwd = (**change).clone();
            fwd.path.push(node.id);
            let fwd = Rc::new(fwd);
            for t in targets {
                node.outbound.entry(t).or_default().insert((change.origin, change.seq), fwd.clone());
                ctx.send(t, MlMsg::Replicate { change: fwd.clone() });
            }
        }
        // Anything held for this change may now go.
        if self.cfg.causal_delivery && !node.held.is_empty() {
            let held = std::mem::take(&mut node.held);
            for h in held {
                if !node.seen[h.origin.0 as usize].contains(h.seq) {
                    self.apply_change(node, ctx, &h);
                }
            }
        }
    }

    /// Streams the key's new state to this leader's followers, in order.
    pub(super) fn feed_followers(&self, node: &mut MlNode, ctx: &mut NodeCtx<Self>, unit: Sym, change: &Rc<Change>) {
        if self.cfg.followers == 0 {
            return;
        }
        let Some(item) = node.store.get(&unit) else { return };
        let entry = Rc::new(FollowEntry {
            seq: node.follow_log.len() as u64 + 1,
            unit,
            item: Rc::new(item.clone()),
            change: change.clone(),
            at: ctx.now,
        });
        node.follow_log.push(entry.clone());
        for f in self.cfg.followers_of(node.id) {
            ctx.send(f, MlMsg::Follow { entry: entry.clone() });
        }
    }

    pub(super) fn apply_follow(&self, node: &mut MlNode, entry: &FollowEntry) {
        node.store.insert(entry.unit, (*entry.item).clone());
        node.lane.push(LaneEntry { change: entry.change.clone(), discarded: false });
        node.applied = entry.seq;
    }

    pub(super) fn change_label(&self, body: &Op) -> String {
        let key = body.key().map(|k| self.rules.names.get(k)).unwrap_or("");
        match body {
            Op::Write { value, .. } | Op::Bulk { value, .. } => format!("{key} = {value}"),
            Op::Increment { by, .. } => format!("{key} {by:+}"),
            Op::SetAdd { elem, .. } => format!("{key} + {}", self.rules.names.get(*elem)),
            Op::SetRemove { elem, .. } => format!("{key} − {}", self.rules.names.get(*elem)),
            Op::Insert { .. } => format!("insert into {key}"),
            Op::DeleteAll => "delete all".into(),
            Op::Read { .. } => format!("read {key}"),
        }
    }
}
