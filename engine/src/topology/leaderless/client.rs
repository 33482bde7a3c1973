//! The client: which coordinator a request goes to first, and where a retry goes.

#[allow(unused_imports)]
use super::*;

impl Clients for Leaderless {
    type Ask = Option<ConsistencyLevel>;
    type Said = Vec<NodeId>;
    type Refusal = QuorumFailed;
    type Route = LlRoute;

    fn request_message(request: Request<Option<ConsistencyLevel>>) -> LlMsg {
        LlMsg::Request(request)
    }
    fn reply_message(message: LlMsg) -> Result<Reply<Vec<NodeId>, QuorumFailed>, LlMsg> {
        match message {
            LlMsg::Reply(reply) => Ok(reply),
            other => Err(other),
        }
    }

    fn route_for(&self, _: ClientId, _: &mut NodeCtx<Self>) -> LlRoute {
        LlRoute { first: 0 }
    }

    /// A partition-aware client: the first attempt goes to a random home replica of the key; a
    /// retry (no answer within the coordinator's timeout) moves on along the key's preference
    /// list, stand-ins included, so an unreachable coordinator is routed around.
    fn route(
        &self,
        client: &mut Client<LlRoute>,
        pending: &Pending,
        ctx: &mut NodeCtx<Self>,
    ) -> Option<(NodeId, Option<ConsistencyLevel>)> {
        let op = &pending.op;
        let preference: Vec<NodeId> = match op.op.key() {
            Some(key) => self.preference(key).to_vec(),
            None => (0..self.cfg.nodes).map(|i| NodeId(i as u8)).collect(),
        };
        if preference.is_empty() {
            return None;
        }
        if pending.attempts == 0 {
            // Like a token- and datacenter-aware driver: a random replica of the key, one in the
            // client's own region when there is one, so that a local consistency level stays local.
            let replicas = self.n().min(preference.len());
            let here = ctx.cluster.region_of(ctx.me);
            let local = |i: &usize| self.node_region.get(preference[*i].0 as usize) == Some(&here);
            let locals = (0..replicas).filter(local).count();
            client.route.first = if locals == 0 {
                ctx.entropy.below(replicas)
            } else {
                (0..replicas).filter(local).nth(ctx.entropy.below(locals)).unwrap_or(0)
            };
        }
        let coordinator = match op.via {
            Some(node) if pending.attempts == 0 => node,
            _ => preference[(client.route.first + pending.attempts as usize) % preference.len()],
        };
        Some((coordinator, op.consistency))
    }

    /// Try the next coordinator if this one has not answered by the time its own quorum would
    /// have timed out.
    fn sent(&self, pending: &Pending, ctx: &mut NodeCtx<Self>) {
        ctx.set_timer(
            self.cfg.request_timeout.0 + self.cfg.fallback_after.0,
            LlTimer::ClientRetry { op: pending.op.id },
        );
    }

    /// The quorum failed: the operation failed, or (a write some replicas took) its outcome is
    /// unknown.
    fn on_refused(
        &self,
        _: &mut Client<LlRoute>,
        from: NodeId,
        op: OpId,
        failed: QuorumFailed,
        _: Vec<NodeId>,
    ) -> Next<Self::Ask> {
        let result = if failed.indeterminate { OpResult::Info(failed.reason) } else { OpResult::Fail(failed.reason) };
        Next::Finish(Completion::new(op, result).by(from))
    }
}
