//! The client: writes go to the leader it believes in; reads go where the read routing says
//! (the leader, any follower, round robin, a sticky follower, the leader just after a write, or a
//! follower that has caught up to the client's last write). A redirect teaches it the new leader,
//! a new leader announces itself, and a client that hears nothing moves on to the next node.

#[allow(unused_imports)]
use super::*;

/// What a read asks of the node it reaches: to wait until it has applied `min_lsn` (the client's
/// last write, under LSN-token routing), or to be the leader (`leader_only`: leader routing,
/// read-your-writes, the token read's fallback), else to redirect rather than answer from its
/// own, older data. Writes ask nothing: every node but the leader redirects them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LfAsk {
    pub min_lsn: u64,
    pub leader_only: bool,
}

/// Where a reply stands in the log: the LSN a write was given, or the LSN a read had applied;
/// and the epoch of the node answering (a redirect's tells the client how new its leader is).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogPosition {
    pub lsn: u64,
    pub epoch: u64,
}

/// Why a node did not do what a client asked.
#[derive(Clone, Debug, PartialEq)]
pub enum LfRefusal {
    /// This node does not lead; it names the leader it follows, if it knows one.
    NotLeader { leader: Option<NodeId> },
    /// It leads but will not: fenced, its lease expired, or (a follower) it has not caught up.
    Rejected(String),
}

/// What a client keeps to route its requests.
#[derive(Clone, Debug)]
pub struct LfRoute {
    /// The node it believes leads, and that leader's epoch.
    leader: NodeId,
    epoch: u64,
    /// Its last acknowledged write: the LSN-token read waits for it, read-your-writes reads
    /// from the leader for a while after it.
    last_write_lsn: u64,
    last_write_at: Option<SimTime>,
    /// Round-robin position, and the follower a sticky client reads from.
    round_robin: usize,
    sticky: Option<NodeId>,
}

impl Clients for LeaderFollower {
    type Ask = LfAsk;
    type Said = LogPosition;
    type Refusal = LfRefusal;
    type Route = LfRoute;

    fn request_message(request: Request<LfAsk>) -> LfMsg {
        LfMsg::Request(request)
    }
    fn reply_message(message: LfMsg) -> Result<Reply<LogPosition, LfRefusal>, LfMsg> {
        match message {
            LfMsg::Reply(reply) => Ok(reply),
            other => Err(other),
        }
    }

    fn route_for(&self, id: ClientId, _: &mut NodeCtx<Self>) -> LfRoute {
        LfRoute {
            leader: NodeId(0),
            epoch: 1,
            last_write_lsn: 0,
            last_write_at: None,
            round_robin: id.0 as usize,
            sticky: None,
        }
    }

    fn route(
        &self,
        client: &mut Client<LfRoute>,
        pending: &Pending,
        ctx: &mut NodeCtx<Self>,
    ) -> Option<(NodeId, LfAsk)> {
        let op = &pending.op;
        let (target, leader_only) = match op.via {
            // An explicit choice of node (an intervention): whatever that node is.
            Some(node) if pending.attempts == 0 => (node, false),
            _ if op.op.is_write() => (client.route.leader, true),
            _ => self.read_target(client, ctx),
        };
        if op.op.is_read() {
            let min_lsn = if self.cfg.read_routing == ReadRouting::LsnToken && !leader_only {
                client.route.last_write_lsn
            } else {
                0
            };
            Some((target, LfAsk { min_lsn, leader_only }))
        } else {
            // A write the log cannot hold is never sent (the client's timeout ends it).
            Cmd::from_op(&op.op).map(|_| (target, LfAsk::default()))
        }
    }

    fn on_done(
        &self,
        route: &mut LfRoute,
        pending: &Pending,
        position: &LogPosition,
        completion: &mut Completion,
        ctx: &mut NodeCtx<Self>,
    ) {
        let LogPosition { lsn, epoch } = *position;
        if completion.result == OpResult::Written {
            route.last_write_lsn = route.last_write_lsn.max(lsn);
            route.last_write_at = Some(ctx.now);
            completion.version = Some(format!("LSN {lsn} · epoch {epoch}"));
            completion.epoch = Some(epoch);
            completion.lsn = Some(lsn);
            if matches!(pending.op.op, Op::Insert { .. }) {
                completion.assigned_id = Some(lsn.to_string());
            }
        } else {
            completion.version = Some(format!("applied LSN {lsn}"));
        }
    }

    fn on_refused(
        &self,
        client: &mut Client<LfRoute>,
        from: NodeId,
        op: OpId,
        refusal: LfRefusal,
        position: LogPosition,
    ) -> Next<LfAsk> {
        let attempts = client.pending().filter(|pending| pending.op.id == op).map(|pending| pending.attempts);
        match refusal {
            LfRefusal::NotLeader { leader } => {
                let route = &mut client.route;
                route.epoch = route.epoch.max(position.epoch);
                route.leader = match leader {
                    Some(leader) if leader != from => leader,
                    // It knows no leader, or names itself (it has just stepped down): try the next.
                    _ => self.next_node(from),
                };
                match attempts {
                    Some(attempts) if attempts < 4 => Next::Resend,
                    Some(_) => Next::Finish(Completion::new(op, OpResult::Fail("no leader found".into()))),
                    None => Next::Wait,
                }
            }
            LfRefusal::Rejected(reason) => match (attempts, client.pending()) {
                // The token read's follower was behind: ask the leader instead.
                (Some(0), Some(pending)) if pending.op.op.is_read() => {
                    Next::ResendTo(client.route.leader, LfAsk { min_lsn: 0, leader_only: true })
                }
                (Some(_), _) => Next::Finish(Completion::new(op, OpResult::Fail(reason)).by(from)),
                (None, _) => Next::Wait,
            },
        }
    }

    fn on_other(&self, client: &mut Client<LfRoute>, from: NodeId, message: LfMsg) {
        if let LfMsg::NewLeader { epoch } = message {
            if epoch >= client.route.epoch {
                client.route.epoch = epoch;
                client.route.leader = from;
            }
        }
    }

    fn on_abandon(&self, route: &mut LfRoute, pending: &Pending) {
        if pending.op.op.is_write() {
            // The leader did not answer: probe the next node, which will redirect.
            route.leader = self.next_node(route.leader);
        } else if let Some(sticky) = route.sticky {
            route.sticky = Some(self.next_node(sticky));
        }
    }
}

impl LeaderFollower {
    /// The node after `node`, wrapping round.
    fn next_node(&self, node: NodeId) -> NodeId {
        NodeId(((node.0 as usize + 1) % self.n()) as u8)
    }

    /// Where a read goes, and whether it is meant for the leader (a follower then redirects it).
    fn read_target(&self, client: &mut Client<LfRoute>, ctx: &mut NodeCtx<Self>) -> (NodeId, bool) {
        let leader = client.route.leader;
        let followers: Vec<NodeId> = (0..self.n()).map(|i| NodeId(i as u8)).filter(|n| *n != leader).collect();
        if followers.is_empty() {
            return (leader, true);
        }
        let any = |ctx: &mut NodeCtx<Self>| followers[ctx.entropy.below(followers.len())];
        let own = followers[client.id.0 as usize % followers.len()];
        let route = &mut client.route;
        match self.cfg.read_routing {
            ReadRouting::Leader => (leader, true),
            ReadRouting::AnyFollower | ReadRouting::LsnToken => (any(ctx), false),
            ReadRouting::RoundRobin => {
                route.round_robin += 1;
                (followers[route.round_robin % followers.len()], false)
            }
            ReadRouting::Sticky => {
                let sticky = *route.sticky.get_or_insert(own);
                if sticky == leader {
                    (own, false)
                } else {
                    (sticky, false)
                }
            }
            ReadRouting::ReadYourWrites => {
                let recent = route.last_write_at.is_some_and(|t| ctx.now.saturating_sub(t) < self.cfg.ryw_window.0);
                if recent {
                    (leader, true)
                } else {
                    (any(ctx), false)
                }
            }
        }
    }
}
