//! A writer's new version of a key (vectors bumped, the write applied) and the labels versions
//! are shown with.

#[allow(unused_imports)]
use super::*;

impl Rules {
    /// A leader's (or coordinator's) new version of a key after a local write: its existing
    /// versions merged, its own component of the vector bumped, the write applied. Returns the
    /// item, a version label and, for inserts, the id assigned. The writer's own component is at
    /// least `stamp.floor`: a writer that does not hold the key (a leaderless stand-in
    /// coordinator) passes a counter of all its writes, so two different writes never carry the
    /// same vector.
    ///
    /// The new version is built on what the writer holds, so its vector always dominates it; under
    /// the timestamp rules the writer must still `resolve` it against what it holds, because a
    /// version stamped later by another clock beats it even there (see `needs_resolve_on_write`).
    pub fn write_item(
        &self,
        existing: Option<&Item>,
        op: OpId,
        body: &Op,
        stamp: &Stamp,
        entropy: &mut Entropy,
    ) -> (Item, String, Option<String>) {
        let Stamp { me, ts, at, tag, floor } = *stamp;
        let n = self.n;
        let existing = existing.cloned();
        let mut assigned: Option<String> = None;
        let item = match body {
            Op::Write { key, value } | Op::Bulk { key, value, .. } => {
                let versions = match &existing {
                    Some(Item::Register(v)) => v.clone(),
                    _ => Vec::new(),
                };
                let mut vv = versions.iter().fold(vec![0; n], |a, v| vv_max(&a, &v.vv));
                vv[me.0 as usize] = (vv[me.0 as usize] + 1).max(floor);
                // Fields of the row as this leader sees it (siblings merged by taking the newest
                // field value), with this write's field replaced.
                let mut fields = VecMap::new();
                for v in &versions {
                    for (f, s) in &v.fields {
                        fields.insert(*f, *s);
                    }
                }
                fields.insert(*key, Seen { write: op, value: *value });
                Item::Register(vec![RegVersion { fields, vv, ts, origin: me, at }])
            }
            Op::Increment { by, .. } => match self.counter {
                CounterRule::Naive => {
                    let (value, mut vv, mut writes) = match &existing {
                        Some(Item::NaiveCounter(c)) => (c.value, c.vv.clone(), c.writes.clone()),
                        _ => (0, vec![0; n], Vec::new()),
                    };
                    vv[me.0 as usize] = (vv[me.0 as usize] + 1).max(floor);
                    writes.push(op);
                    Item::NaiveCounter(RegVersionNum { value: value + by, vv, ts, origin: me, writes, at })
                }
                rule => {
                    let (mut p, mut m) = match &existing {
                        Some(Item::Pn { p, n }) => (p.clone(), n.clone()),
                        _ => (vec![0; n], vec![0; n]),
                    };
                    if *by >= 0 {
                        p[me.0 as usize] += *by as u64;
                    } else if rule == CounterRule::PnCounter {
                        m[me.0 as usize] += by.unsigned_abs();
                    }
                    Item::Pn { p, n: m }
                }
            },
            Op::SetAdd { elem, .. } | Op::SetRemove { elem, .. } => {
                let add = matches!(body, Op::SetAdd { .. });
                match self.set {
                    SetRule::OrSet => {
                        let (mut adds, mut removed) = match &existing {
                            Some(Item::OrSet { adds, removed }) => (adds.clone(), removed.clone()),
                            _ => (VecMap::new(), VecSet::new()),
                        };
                        if add {
                            let counter = tag;
                            adds.entry(*elem).or_default().insert((me, counter));
                        } else if let Some(tags) = adds.remove(elem) {
                            // Remove only the adds this leader has observed.
                            removed.extend(tags);
                        }
                        Item::OrSet { adds, removed }
                    }
                    SetRule::Lww | SetRule::Union => {
                        let versions = match &existing {
                            Some(Item::SetValue(v)) => v.clone(),
                            _ => Vec::new(),
                        };
                        let mut vv = versions.iter().fold(vec![0; n], |a, v| vv_max(&a, &v.vv));
                        vv[me.0 as usize] = (vv[me.0 as usize] + 1).max(floor);
                        let mut elems: VecSet<Sym> =
                            VecSet::from_iter(versions.iter().flat_map(|v| v.elems.iter().copied()));
                        if add {
                            elems.insert(*elem);
                        } else {
                            elems.remove(elem);
                        }
                        let mut writes: Vec<OpId> = versions.iter().flat_map(|v| v.writes.iter().copied()).collect();
                        writes.push(op);
                        Item::SetValue(vec![SetVersion { elems, vv, ts, origin: me, writes, at }])
                    }
                }
            }
            Op::Insert { .. } => {
                let mut rows = match &existing {
                    Some(Item::Table(r)) => r.clone(),
                    _ => VecMap::new(),
                };
                let next = rows.keys().filter_map(|k| k.rsplit('-').next()?.parse::<u64>().ok()).max().unwrap_or(0) + 1;
                let id = match self.ids {
                    IdScheme::AutoIncrement => next.to_string(),
                    IdScheme::RegionPrefix => {
                        let own = rows.keys().filter(|k| k.starts_with(&format!("{me}-"))).count() as u64 + 1;
                        format!("{me}-{own:06}")
                    }
                    IdScheme::Uuid => format!("{:08x}", entropy.next_u64() as u32),
                };
                rows.insert(id.clone(), Row { write: op, origin: me, ts });
                assigned = Some(id);
                Item::Table(rows)
            }
            Op::DeleteAll | Op::Read { .. } => existing.clone().unwrap_or(Item::Register(Vec::new())),
        };
        let version = match &item {
            Item::Register(v) => v.first().map(|v| vv_label(&v.vv)).unwrap_or_default(),
            Item::NaiveCounter(c) => vv_label(&c.vv),
            Item::SetValue(v) => v.first().map(|v| vv_label(&v.vv)).unwrap_or_default(),
            Item::Pn { p, n } => format!("P{} N{}", vv_label(p), vv_label(n)),
            Item::OrSet { .. } => format!("tag {me}:{tag}"),
            Item::Table(_) => assigned.clone().map(|a| format!("id {a}")).unwrap_or_default(),
        };
        (item, version, assigned)
    }

    pub(super) fn reg_text(&self, v: &RegVersion) -> String {
        v.fields.iter().map(|(k, s)| format!("{} = {}", self.names.get(*k), s.value)).collect::<Vec<_>>().join(", ")
    }

    pub fn item_label(&self, item: &Item, names: &Names) -> String {
        match item {
            Item::Register(v) => {
                let parts: Vec<String> = v
                    .iter()
                    .map(|r| {
                        if r.fields.len() == 1 {
                            r.fields.values().next().map(|s| s.value.to_string()).unwrap_or_default()
                        } else {
                            r.fields
                                .iter()
                                .map(|(f, s)| format!("{}={}", field_name(names.get(*f)), s.value))
                                .collect::<Vec<_>>()
                                .join(" ")
                        }
                    })
                    .collect();
                parts.join(" | ")
            }
            Item::NaiveCounter(c) => c.value.to_string(),
            Item::Pn { p, n } => (p.iter().sum::<u64>() as i64 - n.iter().sum::<u64>() as i64).to_string(),
            Item::SetValue(v) => {
                set_label(crate::sort::set_of(v.iter().flat_map(|s| s.elems.iter().copied())).iter(), names)
            }
            Item::OrSet { adds, .. } => set_label(adds.keys(), names),
            Item::Table(rows) => format!("ids {}", rows.keys().cloned().collect::<Vec<_>>().join(", ")),
        }
    }
}
