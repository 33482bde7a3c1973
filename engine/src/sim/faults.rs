//! Faults and operator actions applied to the cluster: crashes, restarts, pauses, partitions,
//! clock and disk faults, controls.

use super::*;

impl<P: Protocol> Sim<P> {
    pub(super) fn apply_fault(&mut self, fault: &Fault, trace: &mut Trace) {
        let now = self.now;
        match fault {
            Fault::Crash(n) => self.crash(*n),
            Fault::Restart(n) => {
                if !self.nodes[n.0 as usize].up {
                    self.nodes[n.0 as usize].up = true;
                    let cmds = self.with_node(*n, 7, |p, s, ctx| p.on_restart(s, ctx));
                    self.apply(Endpoint::Node(*n), cmds, trace);
                }
            }
            Fault::Pause(n, d) => {
                let slot = &mut self.nodes[n.0 as usize];
                if slot.up {
                    slot.pause_token += 1;
                    slot.paused_until = Some(now + d);
                    let token = slot.pause_token;
                    self.push(now + d, Event::Resume { node: *n, token });
                }
            }
            Fault::Resume(n) => {
                let slot = &mut self.nodes[n.0 as usize];
                if slot.paused_until.is_some() {
                    let token = slot.pause_token;
                    self.push(now, Event::Resume { node: *n, token });
                }
            }
            Fault::Partition(groups) => self.network.partition(groups),
            Fault::Cut { from, to } => self.network.cut(from, to),
            Fault::Heal => self.network.heal(),
            Fault::Skew(n, off) => self.nodes[n.0 as usize].clock.offset_us = *off,
            Fault::Drift(n, ppm) => self.nodes[n.0 as usize].clock.drift_ppm = *ppm,
            Fault::SlowLink { from, to, extra_us, both } => self.network.slow_link(*from, *to, *extra_us, *both),
            Fault::SlowDisk(n, f) => self.nodes[n.0 as usize].disk_factor = *f,
            Fault::DropRate(p) => self.network.set_drop(*p),
            Fault::Control(c) => self.control(c, trace),
            Fault::DropMessage(id) => {
                let in_flight =
                    self.slab.iter().flatten().any(|(_, _, e)| matches!(e, Event::Deliver { id: m, .. } if *m == *id));
                if in_flight {
                    self.dropped_by_user.insert(*id);
                    trace.mark_dropped(*id, DropReason::Intervention);
                }
            }
        }
    }

    /// The node loses power: volatile state, held events, timers and pending disk writes of this
    /// incarnation are gone.
    pub(super) fn crash(&mut self, n: NodeId) {
        let slot = &mut self.nodes[n.0 as usize];
        if slot.up {
            slot.up = false;
            slot.paused_until = None;
            slot.incarnation += 1;
            slot.disk_busy_until = 0;
            self.held[n.0 as usize].clear();
            self.proto.on_crash(&mut slot.state);
        }
    }

    /// Operator actions go to every up node; each topology decides what they mean for it.
    pub(super) fn control(&mut self, c: &Control, trace: &mut Trace) {
        for i in 0..self.nodes.len() {
            if !self.nodes[i].up {
                continue;
            }
            let n = NodeId(i as u8);
            let cmds = self.with_node(n, 13, |p, s, ctx| p.on_control(s, ctx, c));
            self.apply(Endpoint::Node(n), cmds, trace);
        }
    }
}
