//! What a click picks: a node, entry or message selected, a scrubber marker, an anomaly,
//! conflict, quorum, Merkle exchange or message chosen in a list. Each moves the clock to its
//! moment and opens it in the inspector.

use super::*;

impl App {
    pub(super) fn on_pick(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Select(sel) => {
                // A log entry of a write that met a conflict opens the conflict.
                let conflict = match &sel {
                    Selection::Entry { pane, entry, .. } if *pane == TopologyKind::MultiLeader => {
                        entry.write.and_then(|w| {
                            let i = self.session.pane_index(*pane)?;
                            let idx = self.ui[i].conflicts.iter().position(|(_, c)| {
                                c.discarded.contains(&w) || c.versions.iter().any(|v| v.write == Some(w))
                            })?;
                            Some((i, idx))
                        })
                    }
                    _ => None,
                };
                match conflict {
                    Some((i, idx)) => self.select_conflict(i, idx),
                    None => self.selection = Some(sel),
                }
                true
            }
            Msg::Marker(i) => {
                let Some(m) = self.markers.get(i).cloned() else { return false };
                self.seek(m.time as f64);
                match (m.pane, m.target) {
                    (Some(p), Target::Conflict(c)) => {
                        self.sync();
                        self.select_conflict(p, c);
                    }
                    (Some(p), Target::Anomaly(a)) => {
                        if let Some(an) = self.session.panes[p].report.as_ref().and_then(|r| r.anomalies.get(a)) {
                            self.selection = Some(Selection::Anomaly {
                                pane: self.session.panes[p].kind,
                                anomaly: Box::new(an.clone()),
                            });
                        }
                    }
                    _ => {}
                }
                true
            }
            Msg::PickAnomaly(pane, a) => {
                self.seek(a.time as f64);
                let kind = self.session.panes[pane].kind;
                // Highlight the anomaly's first message in the space-time view.
                if let Some(m) = a.messages.first() {
                    self.highlight = Some((pane, Highlight::Msg(*m)));
                }
                self.selection = Some(Selection::Anomaly { pane: kind, anomaly: Box::new(a) });
                true
            }
            Msg::PickConflict(pane, i) => {
                if let Some((t, _)) = self.ui.get(pane).and_then(|u| u.conflicts.get(i)) {
                    let t = *t;
                    self.seek(t as f64);
                }
                self.select_conflict(pane, i);
                true
            }
            Msg::PickQuorum(pane, i) => {
                let Some((t, q)) = self.ui.get(pane).and_then(|u| u.quorums.get(i)).cloned() else { return false };
                let run = &self.session.panes[pane].run;
                let last = if q.write { None } else { derive::last_write_quorum(run, q.key, t) };
                let repair = if q.write { None } else { derive::repair_after(run, q.op) };
                self.seek(t as f64);
                self.selection = Some(Selection::Quorum {
                    pane: self.ui[pane].kind,
                    time: t,
                    record: Box::new(q),
                    last_write: last.map(Box::new),
                    repair,
                });
                true
            }
            Msg::PickMerkle(pane, i) => {
                let Some((t, m)) = self.ui.get(pane).and_then(|u| u.merkle.get(i)).cloned() else { return false };
                self.seek(t as f64);
                self.selection = Some(Selection::Merkle { pane: self.ui[pane].kind, time: t, record: Box::new(m) });
                true
            }
            Msg::PickMessage(pane, id) => {
                let Some(p) = self.session.panes.get(pane) else { return false };
                if let Some(m) = p.run.trace().messages.get(id as usize) {
                    self.selection = Some(Selection::Message { pane: p.kind, record: Box::new(m.clone()) });
                }
                true
            }
            _ => false,
        }
    }
}
