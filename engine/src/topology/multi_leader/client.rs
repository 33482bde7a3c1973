//! The client: writes go to a leader in the client's region, reads to that leader or one of its
//! followers; after a timeout the client moves on to the next region's leader.

#[allow(unused_imports)]
use super::*;

impl Clients for MultiLeader {
    type Ask = ();
    type Said = ();
    type Refusal = String;
    type Route = MlRoute;

    fn request_message(request: Request<()>) -> MlMsg {
        MlMsg::Request(request)
    }
    fn reply_message(message: MlMsg) -> Result<Reply<(), String>, MlMsg> {
        match message {
            MlMsg::Reply(reply) => Ok(reply),
            other => Err(other),
        }
    }

    /// The leaders of the client's region, shared out among its clients.
    fn route_for(&self, id: ClientId, ctx: &mut NodeCtx<Self>) -> MlRoute {
        let local: Vec<NodeId> =
            ctx.cluster.local_nodes(id).into_iter().filter(|n| (n.0 as usize) < self.n()).collect();
        let leader = if local.is_empty() {
            NodeId((id.0 as usize % self.n()) as u8)
        } else {
            local[id.0 as usize % local.len()]
        };
        MlRoute { leader }
    }

    fn route(&self, client: &mut Client<MlRoute>, pending: &Pending, _: &mut NodeCtx<Self>) -> Option<(NodeId, ())> {
        let leader = client.route.leader;
        let to = if pending.op.op.is_read() && self.cfg.read_from == MlReadFrom::Follower && self.cfg.followers > 0 {
            let followers = self.cfg.followers as usize;
            self.cfg.followers_of(leader).nth(client.id.0 as usize % followers).unwrap_or(leader)
        } else {
            leader
        };
        Some((pending.op.via.unwrap_or(to), ()))
    }

    fn on_refused(&self, _: &mut Client<MlRoute>, from: NodeId, op: OpId, reason: String, _: ()) -> Next<()> {
        Next::Finish(Completion::new(op, OpResult::Fail(reason)).by(from))
    }

    /// The local leader did not answer: use the next region's leader.
    fn on_abandon(&self, route: &mut MlRoute, _: &Pending) {
        route.leader = NodeId(((route.leader.0 as usize + 1) % self.n()) as u8);
    }
}
