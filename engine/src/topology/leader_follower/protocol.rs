//! The protocol's handlers: what each node and client does with a message, a timer, a crash,
//! a restart and an intervention.

#[allow(unused_imports)]
use super::*;

impl LfNode {
    pub(super) fn snapshot_base(&self) -> Data {
        self.base.as_ref().map(|b| (**b).clone()).unwrap_or_default()
    }
}

impl Protocol for LeaderFollower {
    type Node = LfNode;
    type Client = Client<LfRoute>;
    type Msg = LfMsg;
    type Timer = LfTimer;

    fn init_node(&self, id: NodeId, ctx: &mut NodeCtx<Self>) -> LfNode {
        let mut node = LfNode {
            id,
            log: PLog::new(),
            log_start: 0,
            start_epoch: 0,
            epoch: 1,
            voted_for: None,
            data: Data::default(),
            backups: Vec::new(),
            was_leader: false,
            role_when_crashed: None,
            role: Role::Follower,
            leader: Some(NodeId(0)),
            flushed: 0,
            applied: 0,
            commit: 0,
            applying: false,
            progress: VecMap::new(),
            waiting: Vec::new(),
            degraded: false,
            last_leader_contact: 0,
            suspecting: false,
            coordinating: None,
            votes: VecSet::new(),
            pending_reads: Vec::new(),
            lease_expired: false,
            heartbeat_timer: None,
            ship_scheduled: false,
            discarded: Vec::new(),
            base: None,
            fenced: false,
            failure_timer_armed: false,
        };
        if id == NodeId(0) {
            node.role = Role::Leader;
            node.was_leader = true;
            node.voted_for = Some(id);
            for f in self.others(id) {
                node.progress.insert(f, Progress::fresh(0, 0, FollowerLink::Streaming, true));
            }
            node.heartbeat_timer = Some(ctx.set_timer(self.cfg.heartbeat_interval.0, LfTimer::Heartbeat));
        } else {
            self.reset_failure_timer(&mut node, ctx);
        }
        node
    }

    fn init_client(&self, id: ClientId, ctx: &mut NodeCtx<Self>) -> Client<LfRoute> {
        Client::new(id, self.route_for(id, ctx))
    }

    fn on_message(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: LfMsg) {
        match (from, msg) {
            (Endpoint::Client(c), LfMsg::Request(Request { op, body, ask: _ })) if body.is_write() => {
                ctx.contacted(op, node.id);
                if let Some(cmd) = Cmd::from_op(&body) {
                    self.on_client_write(node, ctx, c, op, cmd);
                }
            }
            (Endpoint::Client(c), LfMsg::Request(Request { op, body: Op::Read { key }, ask })) => {
                ctx.contacted(op, node.id);
                let LfAsk { min_lsn, leader_only } = ask;
                if leader_only && !node.is_leader() {
                    // A read meant for the leader: a follower redirects rather than answer from
                    // data that may lag.
                    ctx.send(c, node.not_leader(op));
                } else if node.applied >= min_lsn || node.is_leader() {
                    let applied = if node.is_leader() { node.flushed } else { node.applied };
                    ctx.send(c, node.read_reply(op, key, applied));
                } else {
                    node.pending_reads.push((c, op, key, min_lsn, ctx.local_clock));
                    ctx.set_timer(1_000_000, LfTimer::ReadWait { op });
                }
            }
            (Endpoint::Node(f), LfMsg::Append { epoch, prev_lsn, prev_epoch, entries, commit, sent_local }) => {
                let append = Append { epoch, prev_lsn, prev_epoch, entries, commit, sent_local };
                self.on_append(node, ctx, f, append);
            }
            (Endpoint::Node(f), LfMsg::Snapshot { epoch, lsn, last_epoch, data, sent_local }) => {
                if epoch < node.epoch {
                    ctx.send(f, LfMsg::AppendNack { epoch: node.epoch, need_from: 0 });
                    return;
                }
                self.heard_from_leader(node, ctx, epoch, f);
                node.log = PLog::new();
                node.log_start = lsn;
                node.start_epoch = last_epoch;
                node.base = Some(data.clone());
                node.data = (*data).clone();
                node.flushed = lsn;
                node.applied = lsn;
                node.commit = node.commit.max(lsn);
                ctx.send(f, LfMsg::AppendAck { epoch: node.epoch, flushed: lsn, echo: sent_local });
            }
            (Endpoint::Node(f), LfMsg::AppendAck { epoch, flushed, echo }) => {
                if epoch > node.epoch {
                    self.step_down(node, ctx, epoch, None, "a follower knows a newer epoch");
                    return;
                }
                if !node.is_leader() || epoch < node.epoch {
                    return;
                }
                let now = ctx.local_clock;
                let last = node.flushed;
                if let Some(p) = node.progress.get_mut(&f) {
                    p.matched = p.matched.max(flushed);
                    p.next = p.next.max(p.matched + 1);
                    p.last_ack_local = now;
                    p.echo = p.echo.max(echo);
                    if !p.sync && p.matched >= last {
                        p.sync = true;
                        if self.cfg.mode == ReplicationMode::Sync && !self.consensus() {
                            ctx.annotate(Annotation::FollowerState {
                                leader: node.id,
                                follower: f,
                                state: "caught up: back in the synchronous set".into(),
                            });
                        }
                    }
                    let new_link =
                        if p.matched + 16 >= last { FollowerLink::Streaming } else { FollowerLink::CatchingUp };
                    if new_link != p.link {
                        p.link = new_link;
                        ctx.annotate(Annotation::FollowerState {
                            leader: node.id,
                            follower: f,
                            state: new_link.label().into(),
                        });
                    }
                }
                self.advance_commit(node, ctx);
                self.check_lease(node, ctx);
                self.send_append(node, ctx, f, false);
            }
            (Endpoint::Node(f), LfMsg::AppendNack { epoch, need_from }) => {
                if epoch > node.epoch {
                    if node.is_leader() && (self.cfg.fencing || self.consensus()) {
                        // The replica refused our fencing token: we have been replaced.
                        for w in &node.waiting {
                            let reason = format!("fenced: epoch {} < {epoch}", node.epoch);
                            ctx.send(w.client, node.rejected(w.op, reason));
                        }
                        node.waiting.clear();
                    }
                    self.step_down(node, ctx, epoch, None, "a replica rejected its epoch");
                    return;
                }
                if !node.is_leader() || need_from == 0 {
                    return;
                }
                if let Some(p) = node.progress.get_mut(&f) {
                    p.next = need_from.max(1);
                    p.last_ack_local = ctx.local_clock;
                }
                self.send_append(node, ctx, f, true);
            }
            (Endpoint::Node(f), LfMsg::StatusQuery { epoch }) => {
                if epoch > node.epoch && !node.is_leader() {
                    node.epoch = epoch;
                }
                ctx.send(
                    f,
                    LfMsg::StatusReply {
                        epoch: node.epoch,
                        last_lsn: node.last_lsn(),
                        last_epoch: node.last_epoch(),
                        is_leader: node.is_leader(),
                    },
                );
            }
            (Endpoint::Node(f), LfMsg::StatusReply { epoch, last_lsn, last_epoch, is_leader }) => {
                if let Some(seen) = node.coordinating.as_mut() {
                    seen.insert(f, (epoch, last_lsn, last_epoch, is_leader));
                }
            }
            (Endpoint::Node(_), LfMsg::Promote { epoch, reason }) if epoch > node.epoch => {
                ctx.annotate(Annotation::Promoted { node: node.id, epoch, reason, held: node.held() });
                self.become_leader(node, ctx, epoch);
            }
            (Endpoint::Node(f), LfMsg::NewLeader { epoch }) => {
                if epoch > node.epoch || (epoch == node.epoch && !node.is_leader()) {
                    self.heard_from_leader(node, ctx, epoch, f);
                    node.epoch = epoch;
                } else if epoch < node.epoch {
                    ctx.send(f, LfMsg::NewLeader { epoch: node.epoch });
                }
            }
            (Endpoint::Node(f), LfMsg::RequestVote { epoch, last_lsn, last_epoch }) => {
                if epoch > node.epoch {
                    if node.is_leader() || node.role == Role::Candidate {
                        self.step_down(node, ctx, epoch, None, "a higher term began");
                    }
                    node.epoch = epoch;
                    node.voted_for = None;
                }
                let up_to_date = (last_epoch, last_lsn) >= (node.last_epoch(), node.last_lsn());
                let granted = epoch == node.epoch && up_to_date && node.voted_for.is_none_or(|v| v == f);
                if granted {
                    node.voted_for = Some(f);
                    node.last_leader_contact = ctx.local_clock;
                }
                ctx.send(f, LfMsg::Vote { epoch: node.epoch, granted });
            }
            (Endpoint::Node(f), LfMsg::Vote { epoch, granted }) => {
                if epoch > node.epoch {
                    self.step_down(node, ctx, epoch, None, "a higher term began");
                    return;
                }
                if node.role == Role::Candidate && epoch == node.epoch && granted {
                    node.votes.insert(f);
                    if node.votes.len() >= self.majority() {
                        self.win_election(node, ctx);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_timer(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, timer: LfTimer) {
        match timer {
            LfTimer::Heartbeat => {
                if node.is_leader() && self.lost_majority(node, ctx) {
                    // Raft's check-quorum (etcd), MongoDB's primary: a leader that has not heard
                    // from a majority for an election timeout steps down rather than go on
                    // serving reads and holding writes on the minority side of a partition.
                    self.step_down(
                        node,
                        ctx,
                        node.epoch,
                        None,
                        "it has not heard from a majority for an election timeout (check quorum)",
                    );
                    node.heartbeat_timer = None;
                } else if node.is_leader() {
                    self.send_heartbeats(node, ctx);
                    node.heartbeat_timer = Some(ctx.set_timer(self.cfg.heartbeat_interval.0, LfTimer::Heartbeat));
                } else {
                    node.heartbeat_timer = None;
                }
            }
            LfTimer::FailureCheck => {
                node.failure_timer_armed = false;
                if !node.is_leader() {
                    let silent = ctx.local_clock.saturating_sub(node.last_leader_contact);
                    if silent >= self.cfg.failure_timeout.0 && node.role != Role::Candidate {
                        self.suspect(node, ctx);
                    }
                }
                self.reset_failure_timer(node, ctx);
            }
            LfTimer::Persisted { upto } => {
                if upto > node.last_lsn() {
                    return; // truncated meanwhile
                }
                if upto > node.flushed {
                    node.flushed = upto;
                }
                if node.is_leader() {
                    // The leader applies what it has made durable, then ships it.
                    while node.applied < node.flushed {
                        let next = node.applied + 1;
                        if let Some(e) = node.entry(next).cloned() {
                            node.data.apply(&e);
                        }
                        node.applied = next;
                    }
                    if self.cfg.ship_interval.0 == 0 {
                        self.ship(node, ctx);
                    } else if !node.ship_scheduled {
                        node.ship_scheduled = true;
                        ctx.set_timer(self.cfg.ship_interval.0, LfTimer::Ship);
                    }
                    self.advance_commit(node, ctx);
                } else if let Some(l) = node.leader {
                    ctx.send(l, LfMsg::AppendAck { epoch: node.epoch, flushed: node.flushed, echo: ctx.local_clock });
                    self.schedule_apply(node, ctx);
                }
            }
            LfTimer::Apply => {
                node.applying = false;
                let next = node.applied + 1;
                if next <= node.flushed {
                    if let Some(e) = node.entry(next).cloned() {
                        node.data.apply(&e);
                    }
                    node.applied = next;
                    self.answer_reads(node, ctx);
                }
                self.schedule_apply(node, ctx);
            }
            LfTimer::Ship => {
                node.ship_scheduled = false;
                if node.is_leader() {
                    self.ship(node, ctx);
                }
            }
            LfTimer::FailoverCollect => self.finish_failover(node, ctx),
            LfTimer::ElectionTimeout => {
                if node.role == Role::Candidate {
                    self.start_election(node, ctx);
                }
            }
            LfTimer::SemiSyncTimeout { lsn } => {
                if node.is_leader() && !node.degraded && node.commit < lsn && node.waiting.iter().any(|w| w.lsn == lsn)
                {
                    node.degraded = true;
                    ctx.annotate(Annotation::SemiSyncFallback { leader: node.id });
                    self.advance_commit(node, ctx);
                }
            }
            LfTimer::FenceConfirmed { chosen, epoch, reason } => {
                // Promote unless a newer leader appeared while the fence was confirmed.
                if epoch > node.epoch && !node.is_leader() {
                    self.promote(node, ctx, chosen, epoch, reason);
                }
            }
            LfTimer::ReadWait { op } => {
                if let Some(i) = node.pending_reads.iter().position(|r| r.1 == op) {
                    let (client, op, ..) = node.pending_reads.remove(i);
                    ctx.send(client, node.rejected(op, "replica has not caught up to your write".into()));
                }
            }
        }
    }

    fn on_crash(&self, node: &mut LfNode) {
        // Entries not yet on disk are gone; everything volatile is reset.
        let keep = node.flushed.max(node.log_start);
        if node.last_lsn() > keep {
            node.log.truncate((keep - node.log_start) as usize);
        }
        if node.applied > keep {
            self.rebuild(node, keep);
        }
        node.commit = node.commit.min(keep);
        node.role_when_crashed = Some(node.role);
        node.role = Role::Follower;
        node.progress.clear();
        node.waiting.clear();
        node.pending_reads.clear();
        node.applying = false;
        node.coordinating = None;
        node.votes.clear();
        node.suspecting = false;
        node.heartbeat_timer = None;
        node.ship_scheduled = false;
        node.failure_timer_armed = false;
    }

    fn on_fenced(&self, node: &mut LfNode) {
        // Powered off by the failover manager: when someone powers it back on it rejoins as a
        // follower and learns the current leader, instead of resuming as the primary.
        node.fenced = true;
        node.was_leader = false;
        node.role_when_crashed = Some(Role::Follower);
    }

    fn on_restart(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        node.fenced = false;
        node.role_when_crashed = None;
        node.last_leader_contact = ctx.local_clock;
        if node.was_leader && !self.consensus() {
            // Like a restarted primary with no orchestrator watching: it still believes it leads.
            node.role = Role::Leader;
            node.leader = Some(node.id);
            let last = node.last_lsn();
            for f in self.others(node.id) {
                node.progress.insert(f, Progress::fresh(last, ctx.local_clock, FollowerLink::CatchingUp, true));
            }
            self.start_heartbeats(node, ctx);
        } else {
            node.role = Role::Follower;
            self.reset_failure_timer(node, ctx);
            self.schedule_apply(node, ctx);
        }
    }

    fn on_control(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, control: &Control) {
        match control {
            Control::Promote(target) if *target == node.id && !node.is_leader() => {
                let epoch = node.epoch + 1;
                let reason = "promoted by the operator".to_string();
                match node.leader.filter(|l| *l != node.id) {
                    Some(old) if self.cfg.fencing && !self.consensus() => {
                        self.fence_then_promote(node, ctx, old, node.id, epoch, reason)
                    }
                    _ => self.promote(node, ctx, node.id, epoch, reason),
                }
            }
            Control::Backup if node.is_leader() => {
                node.backups.push(Backup { lsn: node.applied, data: Rc::new(node.data.clone()) });
                ctx.annotate(Annotation::BackupTaken { lsn: node.applied, keys: node.data.values.len() as u64 });
            }
            Control::Restore if node.is_leader() => match node.backups.last().cloned() {
                Some(b) => {
                    let lost: Vec<OpId> = (b.lsn + 1..=node.last_lsn())
                        .filter_map(|l| node.entry(l))
                        .filter(|e| {
                            matches!(
                                e.cmd,
                                Cmd::Set { .. }
                                    | Cmd::Bulk { .. }
                                    | Cmd::Incr { .. }
                                    | Cmd::Add { .. }
                                    | Cmd::Remove { .. }
                                    | Cmd::Insert { .. }
                            )
                        })
                        .map(|e| e.write)
                        .collect();
                    ctx.annotate(Annotation::BackupRestored { lsn: b.lsn, node: node.id, lost });
                    self.append(node, ctx, Cmd::Restore { data: b.data, backup_lsn: b.lsn }, u32::MAX - 1);
                }
                None => ctx.annotate(Annotation::Note(format!("{} has no backup to restore", node.id))),
            },
            _ => {}
        }
    }

    fn client_invoke(&self, client: &mut Client<LfRoute>, ctx: &mut NodeCtx<Self>, op: &ClientOp) {
        clients::invoke(self, client, ctx, op);
    }

    fn client_on_message(&self, client: &mut Client<LfRoute>, ctx: &mut NodeCtx<Self>, from: Endpoint, msg: LfMsg) {
        clients::on_message(self, client, ctx, from, msg);
    }

    fn client_on_timer(&self, _client: &mut Client<LfRoute>, _ctx: &mut NodeCtx<Self>, _timer: LfTimer) {}

    fn client_abandon(&self, client: &mut Client<LfRoute>, op: OpId) {
        clients::abandon(self, client, op);
    }

    fn node_view(&self, node: &LfNode, id: NodeId, names: &Names) -> NodeView {
        let mut badges = Vec::new();
        if node.is_leader() {
            match (self.consensus(), self.cfg.mode) {
                (true, _) => badges.push("majority commit".to_string()),
                (false, ReplicationMode::Async) => badges.push("async".into()),
                (false, ReplicationMode::Sync) => badges.push("sync".into()),
                (false, ReplicationMode::SemiSync) if node.degraded => {
                    badges.push("semi-sync fell back to async".into())
                }
                (false, ReplicationMode::SemiSync) => badges.push(format!("semi-sync ({})", self.cfg.sync_replicas)),
            }
            if node.lease_expired {
                badges.push("lease expired".into());
            }
            for (f, p) in &node.progress {
                if p.link != FollowerLink::Streaming {
                    badges.push(format!("{f}: {}", p.link.label()));
                }
            }
        } else if node.suspecting {
            badges.push("suspects leader".into());
        }
        if node.fenced {
            badges.push("powered off by the failover manager (fenced)".into());
        }
        if !node.pending_reads.is_empty() {
            badges.push(format!("{} reads waiting", node.pending_reads.len()));
        }
        let last = node.last_lsn();
        let first = last.saturating_sub(11).max(node.log_start + 1);
        let log = (first..=last)
            .filter_map(|l| node.entry(l))
            .map(|e| EntryView {
                id: format!("{}:{}", e.epoch, e.lsn),
                label: e.label(names),
                version: format!("LSN {} · epoch {}", e.lsn, e.epoch),
                state: if e.lsn <= node.commit && e.lsn <= node.applied {
                    EntryState::Committed
                } else if e.lsn <= node.applied {
                    EntryState::Applied
                } else if e.lsn <= node.flushed {
                    EntryState::Flushed
                } else {
                    EntryState::Pending
                },
                write: (e.write < u32::MAX - 1).then_some(e.write),
            })
            .collect();
        let mut log: Vec<EntryView> = log;
        // Entries thrown away stay visible, struck through, before the live tail.
        let ghosts: Vec<EntryView> = node
            .discarded
            .iter()
            .map(|e| EntryView {
                id: format!("gone:{}:{}", e.epoch, e.lsn),
                label: e.label(names),
                version: format!("LSN {} · epoch {} — discarded", e.lsn, e.epoch),
                state: EntryState::Discarded,
                write: Some(e.write),
            })
            .collect();
        if !ghosts.is_empty() {
            let keep = 12usize.saturating_sub(ghosts.len()).max(6);
            let skip = log.len().saturating_sub(keep);
            log = ghosts.into_iter().chain(log.into_iter().skip(skip)).collect();
        }
        let data = node.data.values.keys().map(|k| (names.get(*k).to_string(), node.data.label(*k, names))).collect();
        let mut detail = vec![
            ("epoch".to_string(), node.epoch.to_string()),
            ("last LSN".into(), last.to_string()),
            ("flushed LSN".into(), node.flushed.to_string()),
            ("applied LSN".into(), node.applied.to_string()),
            ("commit point".into(), node.commit.to_string()),
        ];
        if node.log_start > 0 {
            detail.push(("log starts after".into(), format!("LSN {} (older entries compacted)", node.log_start)));
        }
        if let Some(l) = node.leader {
            detail.push(("follows".into(), l.to_string()));
        }
        for (f, p) in &node.progress {
            detail.push((format!("{f} acknowledged"), format!("LSN {} ({})", p.matched, p.link.label())));
        }
        for b in &node.backups {
            detail.push(("backup".into(), format!("at LSN {}, {} keys", b.lsn, b.data.values.len())));
        }
        let role = node.role_when_crashed.unwrap_or(node.role);
        // A leader replicates to every other node.
        let links = if role == Role::Leader {
            (0..self.n()).filter(|&i| i != id.0 as usize).map(|i| NodeId(i as u8)).collect()
        } else {
            Vec::new()
        };
        NodeView {
            id,
            role,
            links,
            epoch: Some(format!("epoch {}", node.epoch)),
            badges,
            log,
            log_len: last,
            markers: vec![
                ("applied".into(), node.applied.to_string()),
                ("flushed".into(), node.flushed.to_string()),
                ("committed".into(), node.commit.to_string()),
            ],
            data,
            detail,
        }
    }

    fn observe(&self, nodes: &[&LfNode], up: &[bool], now: SimTime) -> Observation {
        let leaders: Vec<(NodeId, u64)> =
            nodes.iter().zip(up).filter(|(n, u)| **u && n.is_leader()).map(|(n, _)| (n.id, n.epoch)).collect();
        // Lag is measured against the newest-epoch leader, or the longest log if there is none.
        let reference = leaders
            .iter()
            .max_by_key(|(_, e)| *e)
            .map(|(id, _)| nodes[id.0 as usize])
            .or_else(|| nodes.iter().copied().max_by_key(|n| (n.last_epoch(), n.flushed)));
        let lag = nodes
            .iter()
            .map(|n| {
                let r = reference?;
                if std::ptr::eq(*n, r) {
                    return None;
                }
                let target = r.flushed;
                let entries = target.saturating_sub(n.applied);
                let time_us = if entries == 0 {
                    0
                } else {
                    r.entry(n.applied + 1).map(|e| now.saturating_sub(e.appended_at)).unwrap_or(0)
                };
                Some(Lag { entries, time_us })
            })
            .collect();
        let data_digest: Vec<u64> = nodes.iter().map(|n| stable_hash(&n.data.values)).collect();
        // Diverged: a node whose log disagrees with the reference's, not one merely behind or
        // ahead on the same history. By log matching, one comparison says it: the epoch of the
        // node's last entry against the reference's entry at that position; a node holding
        // entries past the reference's end holds a history the reference does not have.
        let divergent = nodes
            .iter()
            .zip(up)
            .map(|(n, u)| {
                let Some(r) = reference else { return false };
                let last = n.last_lsn();
                if !*u || std::ptr::eq(*n, r) || last == 0 {
                    return false;
                }
                if last > r.last_lsn() {
                    return true;
                }
                matches!((n.entry(last), r.entry(last)), (Some(a), Some(b)) if a.epoch != b.epoch)
            })
            .collect();
        Observation { leaders, lag, data_digest, backlog: vec![0; nodes.len()], divergent }
    }

    fn surviving_writes(&self, nodes: &[&LfNode], _up: &[bool]) -> std::collections::BTreeSet<OpId> {
        self.surviving(nodes)
    }
}
