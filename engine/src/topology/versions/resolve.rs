//! Conflict resolution: merging what two nodes hold under the configured rule (version vectors,
//! siblings, last write wins by timestamp alone or after causality, CRDT merges), with a record
//! of what was compared, the rule, the winner and what was discarded.

#[allow(unused_imports)]
use super::*;

impl Rules {
    /// The heart of conflict handling: returns the merged item and, for concurrent versions, a
    /// record of what was compared, the rule, the winner and what was discarded.
    pub fn resolve(
        &self,
        me: NodeId,
        unit: Sym,
        local: &Item,
        incoming: &Item,
        incoming_write: OpId,
        incoming_origin: NodeId,
    ) -> (Item, Option<ConflictRecord>) {
        let record = |versions: Vec<ConflictVersion>,
                      comparison: String,
                      rule: &str,
                      result: String,
                      kept: Vec<u32>,
                      discarded: Vec<OpId>,
                      steps: Vec<String>| ConflictRecord {
            key: unit,
            node: me,
            versions,
            comparison,
            rule: rule.to_string(),
            result,
            kept,
            discarded,
            steps,
            overwrite: true,
        };
        match (local, incoming) {
            (Item::Register(lv), Item::Register(iv)) if self.register.timestamps_alone() => {
                self.registers_by_timestamp(me, unit, lv, iv)
            }
            (Item::Register(lv), Item::Register(iv)) => {
                // Drop incoming versions already covered, and local versions the incoming covers.
                let mut out: Vec<RegVersion> = Vec::new();
                let mut concurrent_pairs = Vec::new();
                for i in iv {
                    if lv.iter().any(|l| matches!(compare(&i.vv, &l.vv), Order::Before | Order::Equal)) {
                        continue; // old news
                    }
                    out.push(i.clone());
                }
                if out.is_empty() {
                    return (local.clone(), None);
                }
                let mut survivors_local: Vec<RegVersion> = Vec::new();
                for l in lv {
                    if out.iter().any(|i| compare(&l.vv, &i.vv) == Order::Before) {
                        continue; // superseded
                    }
                    for i in &out {
                        if compare(&l.vv, &i.vv) == Order::Concurrent {
                            concurrent_pairs.push((vv_label(&l.vv), vv_label(&i.vv)));
                        }
                    }
                    survivors_local.push(l.clone());
                }
                if concurrent_pairs.is_empty() {
                    return (Item::Register(out), None);
                }
                let mut all: Vec<RegVersion> = survivors_local.clone();
                all.extend(out.iter().cloned());
                let versions: Vec<ConflictVersion> = all
                    .iter()
                    .map(|v| ConflictVersion {
                        write: v.fields.values().map(|s| s.write).max(),
                        label: reg_label(v),
                        vector: v.vv.clone(),
                        timestamp: v.ts,
                        origin: v.origin,
                        written_at: Some(v.at),
                    })
                    .collect();
                let comparison = concurrent_pairs
                    .iter()
                    .map(|(a, b)| format!("{a} vs {b}: concurrent"))
                    .collect::<Vec<_>>()
                    .join("; ");
                match self.register {
                    RegisterRule::Siblings => {
                        let kept = (0..all.len() as u32).collect();
                        let result = format!("{} siblings kept", all.len());
                        let r = record(
                            versions,
                            comparison,
                            "keep siblings (multi-value register)",
                            result,
                            kept,
                            Vec::new(),
                            Vec::new(),
                        );
                        (Item::Register(all), Some(r))
                    }
                    _ => {
                        // Causal LWW: only concurrent versions get here. Winner: the latest
                        // timestamp, ties to the higher node id, so every replica picks the same.
                        let mut winner = 0;
                        for (i, v) in all.iter().enumerate().skip(1) {
                            let w = &all[winner];
                            let better = (v.ts, v.origin) > (w.ts, w.origin);
                            if better {
                                winner = i;
                            }
                        }
                        let mut merged = all[winner].clone();
                        merged.vv = all.iter().fold(vec![0; self.n], |a, v| vv_max(&a, &v.vv));
                        let kept_writes: VecSet<OpId> = VecSet::from_iter(merged.fields.values().map(|s| s.write));
                        let discarded: Vec<OpId> = all
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i != winner)
                            .flat_map(|(_, v)| v.fields.values().map(|s| s.write))
                            .filter(|w| !kept_writes.contains(w))
                            .collect::<VecSet<_>>()
                            .into_iter()
                            .collect();
                        let steps = all.iter().map(|v| stamp_step(&reg_label(v), v.origin, v.at, v.ts)).collect();
                        let rule_text =
                            "version vectors found them concurrent; last write wins settles it: latest timestamp, ties to the higher node id";
                        let result = format!("{} wins", reg_label(&all[winner]));
                        let r = record(versions, comparison, rule_text, result, vec![winner as u32], discarded, steps);
                        (Item::Register(vec![merged]), Some(r))
                    }
                }
            }
            (Item::NaiveCounter(l), Item::NaiveCounter(i)) => {
                let rule =
                    "naive counter: the number is a register, the higher timestamp wins (ties to the higher node id)";
                let (merged, record) = self.stamped_by_timestamp(me, unit, l, i, |v| v.value.to_string(), rule);
                (Item::NaiveCounter(merged), record)
            }
            (Item::Pn { p: lp, n: ln }, Item::Pn { p: ip, n: inn }) => {
                let p = vv_max(lp, ip);
                let n = vv_max(ln, inn);
                let concurrent = compare(lp, ip) == Order::Concurrent || compare(ln, inn) == Order::Concurrent;
                let merged = Item::Pn { p: p.clone(), n: n.clone() };
                if !concurrent {
                    return (merged, None);
                }
                let total = |p: &[u64], n: &[u64]| p.iter().sum::<u64>() as i64 - n.iter().sum::<u64>() as i64;
                let mut steps: Vec<String> = (0..p.len())
                    .map(|k| {
                        format!("n{}: max({}, {}) = {}", k + 1, lp.get(k).unwrap_or(&0), ip.get(k).unwrap_or(&0), p[k])
                    })
                    .collect();
                if n.iter().any(|x| *x > 0) {
                    steps.push(format!("decrements: max per leader = {}", vv_label(&n)));
                }
                steps.push(format!(
                    "value = {} = {}",
                    p.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" + "),
                    total(&p, &n)
                ));
                let rule = if self.counter == CounterRule::GCounter {
                    "G-counter merge: max per leader, then sum"
                } else {
                    "PN-counter merge: max per leader for increments and decrements"
                };
                let r = record(
                    vec![
                        ConflictVersion {
                            write: None,
                            label: total(lp, ln).to_string(),
                            vector: lp.clone(),
                            timestamp: 0,
                            origin: me,
                            written_at: None,
                        },
                        ConflictVersion {
                            write: Some(incoming_write),
                            label: total(ip, inn).to_string(),
                            vector: ip.clone(),
                            timestamp: 0,
                            origin: incoming_origin,
                            written_at: None,
                        },
                    ],
                    format!("{} vs {}: concurrent", vv_label(lp), vv_label(ip)),
                    rule,
                    format!("{} (no increment lost)", total(&p, &n)),
                    vec![0, 1],
                    Vec::new(),
                    steps,
                );
                (merged, Some(r))
            }
            (Item::SetValue(lv), Item::SetValue(iv)) => {
                let l = &lv[0];
                let i = &iv[0];
                if l == i {
                    return (local.clone(), None);
                }
                let label = |s: &SetVersion| set_label(s.elems.iter(), &self.names);
                if self.set == SetRule::Union {
                    // The application merge: causally ordered versions replace one another;
                    // concurrent ones are united.
                    match compare(&i.vv, &l.vv) {
                        Order::Before | Order::Equal => return (local.clone(), None),
                        Order::After => return (incoming.clone(), None),
                        Order::Concurrent => {}
                    }
                    let vv = vv_max(&l.vv, &i.vv);
                    let versions: Vec<ConflictVersion> = [l, i]
                        .iter()
                        .map(|v| ConflictVersion {
                            write: v.writes.last().copied(),
                            label: label(v),
                            vector: v.vv.clone(),
                            timestamp: v.ts,
                            origin: v.origin,
                            written_at: Some(v.at),
                        })
                        .collect();
                    let comparison = format!("{} vs {}: concurrent", vv_label(&l.vv), vv_label(&i.vv));
                    let elems: VecSet<Sym> = VecSet::from_iter(l.elems.union(&i.elems).copied());
                    let mut writes = l.writes.clone();
                    writes.extend(i.writes.iter().filter(|w| !l.writes.contains(w)));
                    let merged = SetVersion {
                        elems: elems.clone(),
                        vv,
                        ts: l.ts.max(i.ts),
                        origin: me,
                        writes,
                        at: l.at.max(i.at),
                    };
                    let r = record(
                        versions,
                        comparison,
                        "application merge: union of both carts",
                        "union of both (items removed on one side come back)".into(),
                        vec![0, 1],
                        Vec::new(),
                        vec![format!("{} ∪ {}", label(l), label(i))],
                    );
                    return (Item::SetValue(vec![merged]), Some(r));
                }
                let rule = "last write wins on the whole set: the higher timestamp wins (ties to the higher node id)";
                let (merged, record) = self.stamped_by_timestamp(me, unit, l, i, label, rule);
                (Item::SetValue(vec![merged]), record)
            }
            (Item::OrSet { adds: la, removed: lr }, Item::OrSet { adds: ia, removed: ir }) => {
                let removed: VecSet<Dot> = VecSet::from_iter(lr.union(ir).copied());
                let mut adds: VecMap<Sym, VecSet<Dot>> = VecMap::new();
                for (e, tags) in la.iter().chain(ia.iter()) {
                    let live: VecSet<Dot> = VecSet::from_iter(tags.iter().filter(|t| !removed.contains(t)).copied());
                    if !live.is_empty() {
                        adds.entry(*e).or_default().extend(live);
                    }
                }
                // Concurrent if each side knows a tag the other does not.
                let tags = |a: &VecMap<Sym, VecSet<Dot>>, r: &VecSet<Dot>| -> VecSet<Dot> {
                    VecSet::from_iter(a.values().flatten().copied().chain(r.iter().copied()))
                };
                let lt = tags(la, lr);
                let it = tags(ia, ir);
                let concurrent = !lt.is_subset(&it) && !it.is_subset(&lt);
                let merged = Item::OrSet { adds: adds.clone(), removed: removed.clone() };
                if !concurrent {
                    return (merged, None);
                }
                let label = |a: &VecMap<Sym, VecSet<Dot>>| set_label(a.keys(), &self.names);
                let mut steps = Vec::new();
                for (e, t) in la.iter().chain(ia.iter()) {
                    for tag in t {
                        let fate = if removed.contains(tag) { "removed" } else { "kept" };
                        steps.push(format!("{} tagged {}:{} → {fate}", self.names.get(*e), tag.0, tag.1));
                    }
                }
                crate::sort::sort(&mut steps);
                steps.dedup();
                let r = record(
                    vec![
                        ConflictVersion {
                            write: None,
                            label: label(la),
                            vector: Vec::new(),
                            timestamp: 0,
                            origin: me,
                            written_at: None,
                        },
                        ConflictVersion {
                            write: Some(incoming_write),
                            label: label(ia),
                            vector: Vec::new(),
                            timestamp: 0,
                            origin: incoming_origin,
                            written_at: None,
                        },
                    ],
                    "each side holds tags the other has not seen: concurrent".into(),
                    "OR-set merge: an element stays if any add tag of it was not removed",
                    format!("{} (adds win over removes they did not see)", label(&adds)),
                    vec![0, 1],
                    Vec::new(),
                    steps,
                );
                (merged, Some(r))
            }
            (Item::Table(lr), Item::Table(ir)) => {
                let mut rows = lr.clone();
                let mut record_out = None;
                for (id, row) in ir {
                    match rows.get(id) {
                        Some(existing) if existing.write != row.write => {
                            let win_incoming = (row.ts, row.origin) > (existing.ts, existing.origin);
                            let (w, lose) = if win_incoming { (row, existing) } else { (existing, row) };
                            let versions = [existing, row]
                                .iter()
                                .map(|r| ConflictVersion {
                                    write: Some(r.write),
                                    label: format!("row {id} from {}", r.origin),
                                    vector: Vec::new(),
                                    timestamp: r.ts,
                                    origin: r.origin,
                                    written_at: None,
                                })
                                .collect();
                            let mut r = record(
                                versions,
                                format!("two different rows were given id {id}"),
                                "duplicate primary key: last write wins",
                                format!("the row from {} keeps id {id}", w.origin),
                                vec![if win_incoming { 1 } else { 0 }],
                                vec![lose.write],
                                vec![format!(
                                    "{} and {} both numbered their next row {id}",
                                    existing.origin, row.origin
                                )],
                            );
                            r.overwrite = false;
                            record_out = Some(r);
                            rows.insert(id.clone(), w.clone());
                        }
                        Some(_) => {}
                        None => {
                            rows.insert(id.clone(), row.clone());
                        }
                    }
                }
                (Item::Table(rows), record_out)
            }
            // Kinds never mix on one key (the scenario checks); keep the newer arrival if they do.
            _ => (incoming.clone(), None),
        }
    }

    /// Whether a writer must settle its own new version against what it holds: under the
    /// timestamp rules a version it holds, stamped later by a faster clock, beats the new write
    /// even on the node that accepted it.
    pub fn needs_resolve_on_write(&self, body: &Op) -> bool {
        match body {
            Op::Write { .. } | Op::Bulk { .. } => self.register.timestamps_alone(),
            Op::Increment { .. } => self.counter == CounterRule::Naive,
            Op::SetAdd { .. } | Op::SetRemove { .. } => self.set == SetRule::Lww,
            _ => false,
        }
    }

    /// A naive counter or a whole set under last write wins (ties to the higher node id): the
    /// version with the higher timestamp stays, with both vectors merged into it.
    pub(super) fn stamped_by_timestamp<V: Stamped>(
        &self,
        me: NodeId,
        unit: Sym,
        stored: &V,
        incoming: &V,
        label: impl Fn(&V) -> String,
        rule: &str,
    ) -> (V, Option<ConflictRecord>) {
        if stored == incoming {
            return (stored.clone(), None);
        }
        let cand = |v: &V| Candidate {
            label: label(v),
            vector: v.vector().to_vec(),
            ts: v.stamp().0,
            origin: v.stamp().1,
            at: v.stamp().2,
            writes: v.writes().to_vec(),
        };
        let (incoming_wins, record) = self.by_timestamp(me, unit, cand(stored), cand(incoming), Tie::NodeId, rule);
        let vv = vv_max(stored.vector(), incoming.vector());
        let mut merged = if incoming_wins { incoming.clone() } else { stored.clone() };
        merged.set_vector(vv);
        (merged, record)
    }

    /// Registers under `lww` / `lww_node_id`: the higher timestamp wins, whatever the causal order.
    pub(super) fn registers_by_timestamp(
        &self,
        me: NodeId,
        unit: Sym,
        lv: &[RegVersion],
        iv: &[RegVersion],
    ) -> (Item, Option<ConflictRecord>) {
        let best = |v: &[RegVersion]| v.iter().max_by_key(|x| (x.ts, x.origin)).cloned();
        let (Some(l), Some(i)) = (best(lv), best(iv)) else {
            let keep = if lv.is_empty() { iv } else { lv };
            return (Item::Register(keep.to_vec()), None);
        };
        if l.fields == i.fields && l.ts == i.ts && l.origin == i.origin {
            // The same version, perhaps known with more causal history on one side.
            let mut same = l;
            same.vv = vv_max(&same.vv, &i.vv);
            return (Item::Register(vec![same]), None);
        }
        let cand = |v: &RegVersion| Candidate {
            label: self.reg_text(v),
            vector: v.vv.clone(),
            ts: v.ts,
            origin: v.origin,
            at: v.at,
            writes: v.fields.values().map(|s| s.write).collect(),
        };
        let (tie, rule) = if self.register == RegisterRule::LwwNodeId {
            (Tie::NodeId, "last write wins on timestamps alone: the higher timestamp stays, ties to the higher node id")
        } else {
            (Tie::KeepStored, "last write wins on timestamps alone: the higher timestamp stays, a tie keeps the version already stored")
        };
        let (incoming_wins, record) = self.by_timestamp(me, unit, cand(&l), cand(&i), tie, rule);
        let vv = vv_max(&l.vv, &i.vv);
        let mut merged = if incoming_wins { i } else { l };
        merged.vv = vv;
        (Item::Register(vec![merged]), record)
    }

    /// Settles two versions by their timestamps alone. The vectors only decide whether the verdict
    /// needs telling: a newer timestamp replacing a version it causally follows is ordinary
    /// progress; anything else (concurrent versions, or a later write losing to an earlier one
    /// stamped by a faster clock) is recorded, with the writes it threw away.
    pub(super) fn by_timestamp(
        &self,
        me: NodeId,
        unit: Sym,
        stored: Candidate,
        incoming: Candidate,
        tie: Tie,
        rule: &str,
    ) -> (bool, Option<ConflictRecord>) {
        let incoming_wins = incoming.ts > stored.ts
            || (incoming.ts == stored.ts && tie == Tie::NodeId && incoming.origin > stored.origin);
        let order = compare(&incoming.vector, &stored.vector);
        let agrees = match order {
            Order::After => incoming_wins,
            Order::Before => !incoming_wins,
            Order::Equal | Order::Concurrent => false,
        };
        if agrees {
            return (incoming_wins, None);
        }
        let (winner, loser) = if incoming_wins { (&incoming, &stored) } else { (&stored, &incoming) };
        let discarded: Vec<OpId> = loser
            .writes
            .iter()
            .filter(|w| !winner.writes.contains(w))
            .copied()
            .collect::<VecSet<_>>()
            .into_iter()
            .collect();
        let (a, b) = (vv_label(&stored.vector), vv_label(&incoming.vector));
        let comparison = match order {
            Order::After => format!("{a} vs {b}: the arriving version was written after the stored one"),
            Order::Before => format!("{a} vs {b}: the stored version was written after the arriving one"),
            Order::Equal | Order::Concurrent => format!("{a} vs {b}: concurrent"),
        };
        let mut steps = vec![
            stamp_step(&stored.label, stored.origin, stored.at, stored.ts),
            stamp_step(&incoming.label, incoming.origin, incoming.at, incoming.ts),
        ];
        if matches!(order, Order::After | Order::Before) {
            steps.push(format!(
                "{} was written after {} (its writer had seen it), yet its timestamp is not higher: last write wins keeps the earlier write and throws the later one away",
                loser.label, winner.label
            ));
            let error = |c: &Candidate| c.ts as i64 - c.at as i64;
            let behind = error(winner) - error(loser);
            if behind >= 1_000 {
                steps.push(format!(
                    "{}'s clock was {} behind {}'s",
                    loser.origin,
                    human_duration(behind as u64),
                    winner.origin
                ));
            }
        } else if winner.ts == loser.ts {
            steps.push(format!(
                "both carry timestamp {}: a tie, and {}",
                ts_label(winner.ts),
                match tie {
                    Tie::KeepStored => "the replica keeps the version it had",
                    Tie::NodeId => "the higher node id wins",
                }
            ));
        }
        let version = |c: &Candidate| ConflictVersion {
            write: c.writes.iter().max().copied(),
            label: c.label.clone(),
            vector: c.vector.clone(),
            timestamp: c.ts,
            origin: c.origin,
            written_at: Some(c.at),
        };
        let record = ConflictRecord {
            key: unit,
            node: me,
            versions: vec![version(&stored), version(&incoming)],
            comparison,
            rule: rule.to_string(),
            result: format!("{} wins", winner.label),
            kept: vec![u32::from(incoming_wins)],
            discarded,
            steps,
            overwrite: true,
        };
        (incoming_wins, Some(record))
    }
}
