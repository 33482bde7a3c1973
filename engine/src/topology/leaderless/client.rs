//! The client: which coordinator a request goes to first, and where a retry goes.

#[allow(unused_imports)]
use super::*;

impl Leaderless {
    /// A partition-aware client: the first attempt goes to a random home replica of the key; a
    /// retry (no answer within the coordinator's timeout) moves on along the key's preference
    /// list, stand-ins included, so an unreachable coordinator is routed around.
    pub(super) fn client_send(&self, client: &mut LlClient, ctx: &mut NodeCtx<Self>) {
        let Some((op, attempt)) = client.pending.clone() else { return };
        let pref: Vec<NodeId> = match op.op.key() {
            Some(k) => self.preference(k).to_vec(),
            None => (0..self.cfg.nodes).map(|i| NodeId(i as u8)).collect(),
        };
        if pref.is_empty() {
            return;
        }
        if attempt == 0 {
            // Like a token- and datacenter-aware driver: a random replica of the key, one in the
            // client's own region when there is one, so that a local consistency level stays local.
            let replicas = self.n().min(pref.len());
            let here = ctx.cluster.region_of(ctx.me);
            let local = |i: &usize| self.node_region.get(pref[*i].0 as usize) == Some(&here);
            let locals = (0..replicas).filter(local).count();
            client.first = if locals == 0 {
                ctx.entropy.below(replicas)
            } else {
                (0..replicas).filter(local).nth(ctx.entropy.below(locals)).unwrap_or(0)
            };
        }
        let coordinator = match op.via {
            Some(n) if attempt == 0 => n,
            _ => pref[(client.first + attempt as usize) % pref.len()],
        };
        let msg = match op.op {
            Op::Read { key } => LlMsg::ClientRead { op: op.id, key, cl: op.consistency },
            ref body => LlMsg::ClientWrite { op: op.id, body: body.clone(), cl: op.consistency },
        };
        ctx.send(coordinator, msg);
        ctx.set_timer(self.cfg.request_timeout.0 + self.cfg.fallback_after.0, LlTimer::ClientRetry { op: op.id });
    }
}
