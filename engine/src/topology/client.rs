//! # The client protocol every topology shares
//!
//! A client runs one operation at a time. It sends a [`Request`] to a node its topology's
//! routing picks, and the node answers with a [`Reply`]: the operation is done (written, or read
//! with the value it returned), or it was refused for a reason the topology's client understands
//! (not the leader, the replica is behind, the quorum failed). The client records a done reply in
//! the history as it is, and asks its topology what a refusal means: send again (routed afresh,
//! or to a node the refusal named), finish the operation as failed, or wait.
//!
//! This is written once, here, as stateright's register actors are: the request and reply
//! messages, the client's state ([`Client`]: the pending operation and its attempts) and the
//! handlers that match a reply to the operation it answers. A topology parameterises it through
//! [`Clients`]: what its requests ask beyond the operation (`Ask`: a consistency level, a log
//! position to wait for), what its replies say beyond the result (`Said`: the acknowledging
//! replicas, the log position), why its nodes refuse (`Refusal`), and its client's routing state
//! (`Route`: the leader it believes in, the follower it sticks to). Its `Protocol` impl hands the
//! four client handlers to [`invoke`], [`on_message`], [`abandon`] and, for a topology whose
//! client retries on a timer, [`retry`].

use crate::model::{ClientId, ClientOp, Completion, Endpoint, NodeId, Op, OpId, OpResult, ReadValue};
use crate::protocol::{NodeCtx, Protocol};
use crate::view::MsgKind;
use std::fmt::Debug;

/// A client's request: the operation, and what this topology's client adds to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Request<Ask> {
    pub op: OpId,
    pub body: Op,
    pub ask: Ask,
}

impl<Ask> Request<Ask> {
    /// A read or a write, for the diagram.
    pub fn kind(&self) -> MsgKind {
        if self.body.is_read() {
            MsgKind::Read
        } else {
            MsgKind::Write
        }
    }
}

/// A node's answer to a request: what happened, and what this topology's node adds to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply<Said, Refusal> {
    pub op: OpId,
    pub answer: Answer<Refusal>,
    pub said: Said,
}

/// What a node did with a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer<Refusal> {
    /// The write is acknowledged, with the version it made and the id an insert was given.
    Written { version: Option<String>, assigned: Option<String> },
    /// The read's value, and the version it came from where the topology names one.
    Read { value: ReadValue, version: Option<String> },
    /// Not done here: the topology's client decides what that means ([`Clients::on_refused`]).
    Refused(Refusal),
}

impl<Said, Refusal> Reply<Said, Refusal> {
    pub fn written(op: OpId, said: Said) -> Self {
        Reply { op, answer: Answer::Written { version: None, assigned: None }, said }
    }
    pub fn read(op: OpId, value: ReadValue, said: Said) -> Self {
        Reply { op, answer: Answer::Read { value, version: None }, said }
    }
    pub fn refused(op: OpId, refusal: Refusal, said: Said) -> Self {
        Reply { op, answer: Answer::Refused(refusal), said }
    }
    /// A read's value, or an acknowledgement (refusals included), for the diagram.
    pub fn kind(&self) -> MsgKind {
        match self.answer {
            Answer::Read { .. } => MsgKind::ReadReply,
            _ => MsgKind::Ack,
        }
    }
}

/// A client: its pending operation, if any, and how its topology routes requests.
#[derive(Clone, Debug)]
pub struct Client<Route> {
    pub id: ClientId,
    pending: Option<Pending>,
    pub route: Route,
}

/// The operation a client is running, and how many times it has sent it again.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub op: ClientOp,
    pub attempts: u32,
}

impl<Route> Client<Route> {
    pub fn new(id: ClientId, route: Route) -> Self {
        Client { id, pending: None, route }
    }
    pub fn pending(&self) -> Option<&Pending> {
        self.pending.as_ref()
    }
    /// Whether `op` is the operation this client is running.
    pub fn is_running(&self, op: OpId) -> bool {
        self.pending.as_ref().is_some_and(|pending| pending.op.id == op)
    }
}

/// What a client does about a refusal.
#[derive(Clone, Debug, PartialEq)]
pub enum Next<Ask> {
    /// Send the operation again, routed afresh ([`Clients::route`], one attempt more).
    Resend,
    /// Send it again to this node, asking this (one attempt more).
    ResendTo(NodeId, Ask),
    /// Give up: the operation ends with this completion.
    Finish(Completion),
    /// Nothing now: the operation stays pending (a timer, or the client's timeout, decides).
    Wait,
}

/// A topology's part in the client protocol.
pub trait Clients: Protocol<Client = Client<Self::Route>> {
    /// What a request asks beyond the operation.
    type Ask: Clone + Debug + PartialEq;
    /// What a reply says beyond its answer.
    type Said: Clone + Debug + PartialEq;
    /// Why a node refused.
    type Refusal: Clone + Debug + PartialEq;
    /// What the client keeps to route its requests.
    type Route: Clone + Debug;

    /// The topology's message carrying a request.
    fn request_message(request: Request<Self::Ask>) -> Self::Msg;
    /// The reply a message carries, or the message back if it is not one.
    fn reply_message(message: Self::Msg) -> Result<Reply<Self::Said, Self::Refusal>, Self::Msg>;

    /// A new client's routing state.
    fn route_for(&self, id: ClientId, ctx: &mut NodeCtx<Self>) -> Self::Route;
    /// Where the pending operation goes on this attempt, and what its request asks; `None` sends
    /// nothing (the client's timeout ends the operation).
    fn route(
        &self,
        client: &mut Client<Self::Route>,
        pending: &Pending,
        ctx: &mut NodeCtx<Self>,
    ) -> Option<(NodeId, Self::Ask)>;
    /// Just after a request was sent (a retry timer, say).
    fn sent(&self, _pending: &Pending, _ctx: &mut NodeCtx<Self>) {}
    /// A done reply to the pending operation: add what this topology's reply says to the
    /// completion, and learn from it.
    fn on_done(
        &self,
        _route: &mut Self::Route,
        _pending: &Pending,
        _said: &Self::Said,
        _completion: &mut Completion,
        _ctx: &mut NodeCtx<Self>,
    ) {
    }
    /// A refusal from `from` of `op`, with what its reply said. `op` may not be the pending
    /// operation any more (a late answer): the client may learn from it all the same, and what
    /// it returns is then ignored.
    fn on_refused(
        &self,
        client: &mut Client<Self::Route>,
        from: NodeId,
        op: OpId,
        refusal: Self::Refusal,
        said: Self::Said,
    ) -> Next<Self::Ask>;
    /// A message to the client that is not a reply (a new leader announcing itself).
    fn on_other(&self, _client: &mut Client<Self::Route>, _from: NodeId, _message: Self::Msg) {}
    /// The engine gave up on the pending operation: where to try next time.
    fn on_abandon(&self, _route: &mut Self::Route, _pending: &Pending) {}
}

/// A session invokes `op`: it is pending, and sent.
pub fn invoke<P: Clients>(protocol: &P, client: &mut Client<P::Route>, ctx: &mut NodeCtx<P>, op: &ClientOp) {
    client.pending = Some(Pending { op: op.clone(), attempts: 0 });
    send(protocol, client, ctx);
}

/// Sends the pending operation where the topology routes it.
fn send<P: Clients>(protocol: &P, client: &mut Client<P::Route>, ctx: &mut NodeCtx<P>) {
    let Some(pending) = client.pending.clone() else { return };
    if let Some((to, ask)) = protocol.route(client, &pending, ctx) {
        send_to(protocol, &pending, ctx, to, ask);
    }
}

fn send_to<P: Clients>(protocol: &P, pending: &Pending, ctx: &mut NodeCtx<P>, to: NodeId, ask: P::Ask) {
    let request = Request { op: pending.op.id, body: pending.op.op.clone(), ask };
    ctx.send(to, P::request_message(request));
    protocol.sent(pending, ctx);
}

/// A message reached the client: a reply to its pending operation completes it, a refusal goes
/// to the topology, anything else to [`Clients::on_other`].
pub fn on_message<P: Clients>(
    protocol: &P,
    client: &mut Client<P::Route>,
    ctx: &mut NodeCtx<P>,
    from: Endpoint,
    message: P::Msg,
) {
    let Some(node) = from.node() else { return };
    let reply = match P::reply_message(message) {
        Ok(reply) => reply,
        Err(other) => return protocol.on_other(client, node, other),
    };
    let (result, version, assigned) = match reply.answer {
        Answer::Refused(refusal) => {
            let next = protocol.on_refused(client, node, reply.op, refusal, reply.said);
            return follow(protocol, client, ctx, reply.op, next);
        }
        Answer::Written { version, assigned } => (OpResult::Written, version, assigned),
        Answer::Read { value, version } => (OpResult::Read(value), version, None),
    };
    if !client.is_running(reply.op) {
        return;
    }
    let Some(pending) = client.pending.take() else { return };
    let mut completion = Completion::new(reply.op, result).by(node);
    completion.version = version;
    completion.assigned_id = assigned;
    protocol.on_done(&mut client.route, &pending, &reply.said, &mut completion, ctx);
    ctx.complete(completion);
}

/// Does what the topology decided about a refusal of `op` (nothing, if `op` is not pending).
fn follow<P: Clients>(protocol: &P, client: &mut Client<P::Route>, ctx: &mut NodeCtx<P>, op: OpId, next: Next<P::Ask>) {
    if !client.is_running(op) {
        return;
    }
    match next {
        Next::Wait => {}
        Next::Finish(completion) => {
            client.pending = None;
            ctx.complete(completion);
        }
        Next::Resend => {
            if let Some(pending) = client.pending.as_mut() {
                pending.attempts += 1;
            }
            send(protocol, client, ctx);
        }
        Next::ResendTo(to, ask) => {
            let Some(pending) = client.pending.as_mut() else { return };
            pending.attempts += 1;
            let pending = pending.clone();
            send_to(protocol, &pending, ctx, to, ask);
        }
    }
}

/// A retry timer for `op` fired: send it again, routed afresh, unless it has had `max_attempts`
/// attempts already or is no longer pending.
pub fn retry<P: Clients>(
    protocol: &P,
    client: &mut Client<P::Route>,
    ctx: &mut NodeCtx<P>,
    op: OpId,
    max_attempts: u32,
) {
    if client.pending.as_ref().is_some_and(|pending| pending.op.id == op && pending.attempts < max_attempts) {
        follow(protocol, client, ctx, op, Next::Resend);
    }
}

/// The engine gave up on `op` (the client's timeout): forget it, and let the topology route
/// differently next time.
pub fn abandon<P: Clients>(protocol: &P, client: &mut Client<P::Route>, op: OpId) {
    if client.is_running(op) {
        if let Some(pending) = client.pending.take() {
            protocol.on_abandon(&mut client.route, &pending);
        }
    }
}
