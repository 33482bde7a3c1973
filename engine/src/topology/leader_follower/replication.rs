//! The leader's side and the follower's side of replication: appending, shipping, acknowledging,
//! applying, failure detection, elections and promotion, as helpers the handlers call.

#[allow(unused_imports)]
use super::*;

impl LeaderFollower {
    pub fn new(cfg: LfConfig) -> Self {
        LeaderFollower { cfg }
    }

    pub(super) fn n(&self) -> usize {
        self.cfg.nodes as usize
    }

    pub(super) fn majority(&self) -> usize {
        self.n() / 2 + 1
    }

    pub(super) fn consensus(&self) -> bool {
        self.cfg.failover == FailoverMode::Consensus
    }

    pub(super) fn others(&self, me: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.n()).map(|i| NodeId(i as u8)).filter(move |n| *n != me)
    }

    // ---- leader side -------------------------------------------------------------------------

    pub(super) fn become_leader(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, epoch: u64) {
        // The leader this node followed until now: with synchronous replication the failover
        // manager takes it out of the synchronous set, or no write could complete until it is
        // back (it rejoins once it has caught up).
        let former = node.leader.filter(|l| *l != node.id);
        node.epoch = epoch;
        node.role = Role::Leader;
        node.leader = Some(node.id);
        node.was_leader = true;
        node.suspecting = false;
        node.coordinating = None;
        node.degraded = false;
        node.lease_expired = false;
        node.progress.clear();
        let last = node.last_lsn();
        for f in self.others(node.id) {
            let sync = Some(f) != former;
            node.progress.insert(f, Progress::fresh(last, ctx.local_clock, FollowerLink::CatchingUp, sync));
            if !sync && self.cfg.mode == ReplicationMode::Sync && !self.consensus() {
                ctx.annotate(Annotation::FollowerState {
                    leader: node.id,
                    follower: f,
                    state: "out of the synchronous set (the former leader) until it catches up".into(),
                });
            }
        }
        // Everything in the new leader's log is the truth from now on.
        if !self.consensus() {
            node.commit = node.commit.max(node.flushed);
        }
        for f in self.others(node.id) {
            ctx.send(f, LfMsg::NewLeader { epoch });
        }
        for c in ctx.cluster.client_ids().collect::<Vec<_>>() {
            ctx.send(c, LfMsg::NewLeader { epoch });
        }
        if self.consensus() {
            self.append(node, ctx, Cmd::Noop, u32::MAX);
        }
        self.start_heartbeats(node, ctx);
    }

    pub(super) fn start_heartbeats(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        if let Some(t) = node.heartbeat_timer.take() {
            ctx.cancel_timer(t);
        }
        self.send_heartbeats(node, ctx);
        node.heartbeat_timer = Some(ctx.set_timer(self.cfg.heartbeat_interval.0, LfTimer::Heartbeat));
    }

    pub(super) fn step_down(
        &self,
        node: &mut LfNode,
        ctx: &mut NodeCtx<Self>,
        epoch: u64,
        leader: Option<NodeId>,
        reason: &str,
    ) {
        let was_leader = node.is_leader();
        node.epoch = node.epoch.max(epoch);
        node.role = Role::Follower;
        node.leader = leader;
        node.was_leader = false;
        node.voted_for = None;
        node.coordinating = None;
        node.suspecting = false;
        node.last_leader_contact = ctx.local_clock;
        if let Some(t) = node.heartbeat_timer.take() {
            ctx.cancel_timer(t);
        }
        if was_leader {
            ctx.annotate(Annotation::SteppedDown { node: node.id, epoch: node.epoch, reason: reason.into() });
            // Clients waiting on this node's acknowledgement will not get one.
            for w in std::mem::take(&mut node.waiting) {
                let refusal = LfRefusal::NotLeader { leader };
                ctx.send(w.client, LfMsg::Reply(Reply::refused(w.op, refusal, node.position(0))));
            }
            // As a follower it must notice when its new leader fails in turn.
            if !node.failure_timer_armed {
                self.reset_failure_timer(node, ctx);
            }
        }
        node.progress.clear();
    }

    /// Appends a write to the leader's log and starts making it durable.
    pub(super) fn append(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, cmd: Cmd, write: OpId) -> u64 {
        let lsn = node.last_lsn() + 1;
        let rows = cmd.rows();
        node.log.push(Entry { lsn, epoch: node.epoch, write, cmd, appended_at: ctx.now });
        ctx.persist(1 + rows / 1000, LfTimer::Persisted { upto: lsn });
        lsn
    }

    pub(super) fn send_append(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, f: NodeId, force: bool) {
        let last = node.flushed;
        let Some(p) = node.progress.get(&f) else {
            return;
        };
        if p.link == FollowerLink::Resync && !force {
            return;
        }
        let next = p.next;
        // Entries older than the retention window are no longer kept for followers.
        let oldest_kept = node.last_lsn().saturating_sub(self.cfg.log_retention as u64).max(node.log_start);
        if next <= oldest_kept {
            // The follower needs entries the leader no longer keeps: send a full snapshot.
            let data = Rc::new(node.data.clone());
            let lsn = node.applied;
            let last_epoch = node.epoch_at(lsn.max(node.log_start));
            ctx.annotate(Annotation::SnapshotTransfer { from: node.id, to: f, upto_lsn: lsn });
            ctx.send(f, LfMsg::Snapshot { epoch: node.epoch, lsn, last_epoch, data, sent_local: ctx.local_clock });
            let p = node.progress.get_mut(&f).expect("progress");
            p.next = lsn + 1;
            p.last_sent_local = ctx.local_clock;
            if p.link != FollowerLink::Resync {
                p.link = FollowerLink::Resync;
                ctx.annotate(Annotation::FollowerState { leader: node.id, follower: f, state: "full resync".into() });
            }
            return;
        }
        if next > last && !force {
            return;
        }
        let upto = last.min(next + 63);
        let entries: Vec<Entry> = (next..=upto).filter_map(|l| node.entry(l).cloned()).collect();
        let prev_lsn = next - 1;
        let prev_epoch = node.epoch_at(prev_lsn);
        let msg = LfMsg::Append {
            epoch: node.epoch,
            prev_lsn,
            prev_epoch,
            entries,
            commit: node.commit,
            sent_local: ctx.local_clock,
        };
        ctx.send(f, msg);
        let p = node.progress.get_mut(&f).expect("progress");
        p.next = upto + 1;
        p.last_sent_local = ctx.local_clock;
    }

    /// Sends every follower the entries it has not been sent yet.
    pub(super) fn ship(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let followers: Vec<NodeId> = node.progress.keys().copied().collect();
        for f in followers {
            self.send_append(node, ctx, f, false);
        }
    }

    pub(super) fn send_heartbeats(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let followers: Vec<NodeId> = node.progress.keys().copied().collect();
        let retransmit_after = 2 * self.cfg.heartbeat_interval.0;
        let silence_limit = 3 * self.cfg.heartbeat_interval.0;
        for f in followers {
            let p = node.progress.get_mut(&f).expect("progress");
            // Nothing heard for a while: assume what was sent is lost and resend from the match.
            if p.next > p.matched + 1 && ctx.local_clock.saturating_sub(p.last_ack_local) >= retransmit_after {
                p.next = p.matched + 1;
            }
            let silent = ctx.local_clock.saturating_sub(p.last_ack_local) >= silence_limit;
            if silent && p.link != FollowerLink::Disconnected {
                p.link = FollowerLink::Disconnected;
                ctx.annotate(Annotation::FollowerState { leader: node.id, follower: f, state: "disconnected".into() });
            }
            let p = &node.progress[&f];
            let oldest_kept = node.last_lsn().saturating_sub(self.cfg.log_retention as u64).max(node.log_start);
            if p.next <= node.flushed || p.next <= oldest_kept {
                self.send_append(node, ctx, f, true);
            } else {
                let prev_lsn = p.next - 1;
                ctx.send(
                    f,
                    LfMsg::Append {
                        epoch: node.epoch,
                        prev_lsn,
                        prev_epoch: node.epoch_at(prev_lsn),
                        entries: Vec::new(),
                        commit: node.commit,
                        sent_local: ctx.local_clock,
                    },
                );
            }
        }
        self.check_lease(node, ctx);
    }

    /// Consensus only: whether fewer than a majority (the leader included) have answered within
    /// the last election timeout (`failure_timeout`).
    pub(super) fn lost_majority(&self, node: &LfNode, ctx: &NodeCtx<Self>) -> bool {
        if !self.consensus() {
            return false;
        }
        let heard = node
            .progress
            .values()
            .filter(|p| ctx.local_clock.saturating_sub(p.last_ack_local) < self.cfg.failure_timeout.0)
            .count();
        heard + 1 < self.majority()
    }

    pub(super) fn check_lease(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let Some(lease) = self.cfg.lease else { return };
        if !node.is_leader() {
            return;
        }
        let mut echoes: Vec<SimTime> = node.progress.values().map(|p| p.echo).collect();
        echoes.push(ctx.local_clock); // the leader counts itself
        crate::sort::sort_by(&mut echoes, |a, b| b.cmp(a));
        let majority_echo = echoes[self.majority() - 1];
        let valid = ctx.local_clock < majority_echo + lease.0;
        if !valid && !node.lease_expired {
            node.lease_expired = true;
            ctx.annotate(Annotation::LeaseExpired { node: node.id });
        } else if valid && node.lease_expired {
            node.lease_expired = false;
        }
    }

    /// Acknowledges every waiting write whose rule is now satisfied.
    pub(super) fn advance_commit(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        if !node.is_leader() {
            return;
        }
        let mut acked: Vec<u64> = node.progress.values().map(|p| p.matched).collect();
        crate::sort::sort_by(&mut acked, |a, b| b.cmp(a));
        let followers = acked.len();
        let flushed = node.flushed;
        let kth = |k: usize| -> u64 {
            if k == 0 {
                flushed
            } else if k <= followers {
                acked[k - 1].min(flushed)
            } else {
                0
            }
        };
        let point = if self.consensus() {
            // Majority including the leader, and only entries of the current term commit directly.
            let m = kth(self.majority() - 1);
            if node.epoch_at(m) == node.epoch {
                m
            } else {
                node.commit
            }
        } else {
            match self.cfg.mode {
                ReplicationMode::Async => flushed,
                // Every follower in the synchronous set (not a former leader still away).
                ReplicationMode::Sync => {
                    node.progress.values().filter(|p| p.sync).map(|p| p.matched.min(flushed)).min().unwrap_or(flushed)
                }
                ReplicationMode::SemiSync => {
                    let k = (self.cfg.sync_replicas as usize).min(followers);
                    if node.degraded {
                        flushed
                    } else {
                        kth(k)
                    }
                }
            }
        };
        if point > node.commit {
            node.commit = point;
        }
        let commit = node.commit;
        let epoch = node.epoch;
        let mut still = Vec::new();
        for w in std::mem::take(&mut node.waiting) {
            if w.lsn <= commit {
                let position = LogPosition { lsn: w.lsn, epoch };
                ctx.send(w.client, LfMsg::Reply(Reply::written(w.op, position)));
            } else {
                still.push(w);
            }
        }
        node.waiting = still;
        // Semi-sync recovers once enough followers have caught up.
        if node.degraded && self.cfg.mode == ReplicationMode::SemiSync {
            let k = (self.cfg.sync_replicas as usize).min(followers);
            if kth(k) >= flushed {
                node.degraded = false;
                ctx.annotate(Annotation::SemiSyncRestored { leader: node.id });
            }
        }
    }

    pub(super) fn on_client_write(
        &self,
        node: &mut LfNode,
        ctx: &mut NodeCtx<Self>,
        client: ClientId,
        op: OpId,
        cmd: Cmd,
    ) {
        if !node.is_leader() {
            ctx.send(client, node.not_leader(op));
            return;
        }
        if node.lease_expired {
            ctx.send(client, node.rejected(op, "leader lease expired".into()));
            return;
        }
        let lsn = self.append(node, ctx, cmd, op);
        node.waiting.push(Waiting { client, op, lsn });
        if self.cfg.mode == ReplicationMode::SemiSync && !node.degraded && !self.consensus() {
            ctx.set_timer(self.cfg.semi_sync_timeout.0, LfTimer::SemiSyncTimeout { lsn });
        }
    }

    // ---- follower side -----------------------------------------------------------------------

    pub(super) fn heard_from_leader(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, epoch: u64, leader: NodeId) {
        if epoch > node.epoch || (epoch == node.epoch && node.role != Role::Follower && leader != node.id) {
            self.step_down(node, ctx, epoch, Some(leader), "a newer leader exists");
        }
        node.leader = Some(leader);
        node.last_leader_contact = ctx.local_clock;
        node.suspecting = false;
        node.coordinating = None;
    }

    /// A follower receives entries from `from`, claiming to lead `append.epoch`.
    pub(super) fn on_append(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, from: NodeId, append: Append) {
        let Append { epoch, prev_lsn, prev_epoch, entries, commit, sent_local } = append;
        if epoch < node.epoch {
            // A deposed leader: refuse, and tell it the epoch it has missed.
            if self.cfg.fencing || self.consensus() {
                ctx.annotate(Annotation::Fenced {
                    by: node.id,
                    stale_leader: from,
                    stale_epoch: epoch,
                    current_epoch: node.epoch,
                });
            }
            ctx.send(from, LfMsg::AppendNack { epoch: node.epoch, need_from: 0 });
            return;
        }
        self.heard_from_leader(node, ctx, epoch, from);
        if prev_lsn > node.last_lsn() {
            ctx.send(from, LfMsg::AppendNack { epoch: node.epoch, need_from: node.last_lsn() + 1 });
            return;
        }
        if prev_lsn >= node.log_start && node.epoch_at(prev_lsn) != prev_epoch {
            // Our entry at prev_lsn came from another leader: ask for everything from the start
            // of that divergent epoch.
            let bad_epoch = node.epoch_at(prev_lsn);
            let mut back = prev_lsn;
            while back > node.log_start + 1 && node.epoch_at(back - 1) == bad_epoch {
                back -= 1;
            }
            ctx.send(from, LfMsg::AppendNack { epoch: node.epoch, need_from: back.max(node.log_start + 1) });
            return;
        }
        let mut appended = false;
        let mut last_new = prev_lsn;
        for e in entries {
            last_new = e.lsn;
            if e.lsn <= node.log_start {
                continue;
            }
            match node.entry(e.lsn) {
                Some(mine) if mine.epoch == e.epoch => continue,
                Some(_) => {
                    self.discard_from(node, ctx, e.lsn);
                    node.log.push(e);
                    appended = true;
                }
                None => {
                    node.log.push(e);
                    appended = true;
                }
            }
        }
        if appended {
            let rows: u32 = (prev_lsn + 1..=last_new).filter_map(|l| node.entry(l)).map(|e| e.cmd.rows()).sum();
            ctx.persist(1 + rows / 1000, LfTimer::Persisted { upto: last_new });
        } else {
            ctx.send(
                from,
                LfMsg::AppendAck {
                    epoch: node.epoch,
                    flushed: node.flushed.min(last_new.max(prev_lsn)),
                    echo: sent_local,
                },
            );
        }
        node.commit = node.commit.max(commit.min(node.last_lsn()));
        self.schedule_apply(node, ctx);
    }

    /// Throws away this node's entries from `lsn` on: they were never part of the new leader's
    /// history. Acknowledged writes among them are lost.
    pub(super) fn discard_from(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>, lsn: u64) {
        let last = node.last_lsn();
        if lsn > last {
            return;
        }
        let writes: Vec<OpId> = (lsn..=last)
            .filter_map(|l| node.entry(l))
            .filter(|e| !matches!(e.cmd, Cmd::Noop))
            .map(|e| e.write)
            .collect();
        ctx.annotate(Annotation::TailDiscarded { node: node.id, from_lsn: lsn, to_lsn: last, writes });
        for l in lsn..=last {
            if let Some(e) = node.entry(l) {
                node.discarded.push(e.clone());
            }
        }
        let excess = node.discarded.len().saturating_sub(6);
        node.discarded.drain(..excess);
        node.log.truncate((lsn - node.log_start - 1) as usize);
        node.flushed = node.flushed.min(lsn - 1);
        node.commit = node.commit.min(lsn - 1);
        if node.applied >= lsn {
            // Rebuild the data from the surviving prefix.
            self.rebuild(node, lsn - 1);
        }
    }

    pub(super) fn rebuild(&self, node: &mut LfNode, upto: u64) {
        // The base is what came before the log (a snapshot), kept as the data at log_start.
        let mut data = node.snapshot_base();
        for l in node.log_start + 1..=upto {
            if let Some(e) = node.entry(l) {
                data.apply(e);
            }
        }
        node.data = data;
        node.applied = upto;
    }

    pub(super) fn schedule_apply(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        if node.applying || node.is_leader() {
            return;
        }
        let limit = if self.consensus() { node.flushed.min(node.commit) } else { node.flushed };
        if node.applied >= limit {
            return;
        }
        let rows = node.entry(node.applied + 1).map(|e| e.cmd.rows()).unwrap_or(1) as u64;
        node.applying = true;
        ctx.set_timer(self.cfg.apply_cost.0 * rows, LfTimer::Apply);
    }

    pub(super) fn answer_reads(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let applied = node.applied;
        let mut keep = Vec::new();
        for (client, op, key, min, since) in std::mem::take(&mut node.pending_reads) {
            if applied >= min {
                ctx.send(client, node.read_reply(op, key, applied));
            } else {
                keep.push((client, op, key, min, since));
            }
        }
        node.pending_reads = keep;
    }

    // ---- failover ------------------------------------------------------------------------------

    pub(super) fn suspect(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        if node.suspecting || node.is_leader() {
            return;
        }
        node.suspecting = true;
        let leader = node.leader.unwrap_or(NodeId(0));
        ctx.annotate(Annotation::LeaderSuspected { by: node.id, leader });
        match self.cfg.failover {
            FailoverMode::Manual => {}
            FailoverMode::Automatic => {
                let mut seen = VecMap::new();
                seen.insert(node.id, (node.epoch, node.last_lsn(), node.last_epoch(), false));
                node.coordinating = Some(seen);
                for o in self.others(node.id) {
                    ctx.send(o, LfMsg::StatusQuery { epoch: node.epoch });
                }
                ctx.set_timer(self.cfg.heartbeat_interval.0.max(200_000), LfTimer::FailoverCollect);
            }
            FailoverMode::Consensus => self.start_election(node, ctx),
        }
    }

    pub(super) fn finish_failover(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        let Some(seen) = node.coordinating.take() else {
            return;
        };
        node.suspecting = false;
        node.last_leader_contact = ctx.local_clock;
        // The leader answered after all: a false alarm (it was slow, or we were cut off alone).
        if seen.values().any(|(e, _, _, is_leader)| *is_leader && *e >= node.epoch) {
            return;
        }
        // Only the lowest-numbered reachable follower orchestrates; the others stand by.
        if seen.keys().next() != Some(&node.id) {
            return;
        }
        let max_epoch = seen.values().map(|(e, ..)| *e).max().unwrap_or(node.epoch);
        let candidates: Vec<(NodeId, u64, u64)> = seen.iter().map(|(n, (_, lsn, le, _))| (*n, *le, *lsn)).collect();
        let pick = match self.cfg.promote {
            PromotionRule::MostUpToDate => {
                candidates.iter().max_by(|a, b| (a.1, a.2).cmp(&(b.1, b.2)).then(b.0.cmp(&a.0)))
            }
            PromotionRule::LeastUpToDate => {
                candidates.iter().min_by(|a, b| (a.1, a.2).cmp(&(b.1, b.2)).then(a.0.cmp(&b.0)))
            }
            PromotionRule::LowestId => candidates.iter().min_by_key(|c| c.0),
        };
        let Some(&(chosen, _, lsn)) = pick else {
            return;
        };
        let reason = match self.cfg.promote {
            PromotionRule::MostUpToDate => {
                format!("most up-to-date reachable follower (LSN {lsn})")
            }
            PromotionRule::LeastUpToDate => {
                format!("least up-to-date follower chosen (LSN {lsn}): the bad choice")
            }
            PromotionRule::LowestId => format!("lowest-numbered follower (LSN {lsn})"),
        };
        let epoch = max_epoch.max(node.epoch) + 1;
        if self.cfg.fencing {
            // STONITH needs a majority behind the failover manager: a manager cut off in a
            // minority could otherwise power off a healthy leader and promote a second one.
            if seen.len() < self.majority() {
                ctx.annotate(Annotation::Note(format!(
                    "{} reaches only {} of {} nodes: with fencing it will not power anything off or promote anyone",
                    node.id,
                    seen.len(),
                    self.n()
                )));
                return;
            }
            if let Some(old) = node.leader.filter(|l| *l != chosen) {
                self.fence_then_promote(node, ctx, old, chosen, epoch, reason);
                return;
            }
        }
        self.promote(node, ctx, chosen, epoch, reason);
    }

    /// Promotes `chosen` (this node or another) for `epoch`.
    pub(super) fn promote(
        &self,
        node: &mut LfNode,
        ctx: &mut NodeCtx<Self>,
        chosen: NodeId,
        epoch: u64,
        reason: String,
    ) {
        if chosen == node.id {
            ctx.annotate(Annotation::Promoted { node: node.id, epoch, reason, held: node.held() });
            self.become_leader(node, ctx, epoch);
        } else {
            ctx.send(chosen, LfMsg::Promote { epoch, reason });
        }
    }

    /// STONITH: powers the old leader off through the out-of-band channel, then waits
    /// `fence_time` for the power controller's confirmation before promoting. That wait is
    /// fencing's price in failover time; the old leader's unreplicated tail is still lost.
    pub(super) fn fence_then_promote(
        &self,
        node: &mut LfNode,
        ctx: &mut NodeCtx<Self>,
        old: NodeId,
        chosen: NodeId,
        epoch: u64,
        reason: String,
    ) {
        ctx.annotate(Annotation::PoweredOff { by: node.id, node: old, epoch });
        ctx.power_off(old);
        let reason = format!("{reason}, after {old} was powered off");
        ctx.set_timer(self.cfg.fence_time.0, LfTimer::FenceConfirmed { chosen, epoch, reason });
    }

    pub(super) fn start_election(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        node.epoch += 1;
        node.role = Role::Candidate;
        node.voted_for = Some(node.id);
        node.votes = VecSet::from([node.id]);
        node.leader = None;
        for o in self.others(node.id) {
            ctx.send(
                o,
                LfMsg::RequestVote { epoch: node.epoch, last_lsn: node.last_lsn(), last_epoch: node.last_epoch() },
            );
        }
        let jitter = ctx.entropy.below((self.cfg.failure_timeout.0 / 2).max(1) as usize) as u64;
        ctx.set_timer(self.cfg.failure_timeout.0 + jitter, LfTimer::ElectionTimeout);
        if node.votes.len() >= self.majority() {
            self.win_election(node, ctx);
        }
    }

    pub(super) fn win_election(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        ctx.annotate(Annotation::Elected {
            node: node.id,
            term: node.epoch,
            votes: node.votes.iter().copied().collect(),
            held: node.held(),
        });
        self.become_leader(node, ctx, node.epoch);
    }

    pub(super) fn reset_failure_timer(&self, node: &mut LfNode, ctx: &mut NodeCtx<Self>) {
        node.failure_timer_armed = true;
        let jitter = if self.consensus() {
            ctx.entropy.below((self.cfg.failure_timeout.0 / 2).max(1) as usize) as u64
        } else {
            0
        };
        ctx.set_timer(self.cfg.heartbeat_interval.0 + jitter / 8, LfTimer::FailureCheck);
    }
}
