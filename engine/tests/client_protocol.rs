//! The client protocol every topology shares (`topology/client.rs`), driven handler by handler:
//! a client gets replies and refusals straight from the test, and what it sends and completes is
//! read from the commands it records. Leader-follower is the topology used, as the one whose
//! client does the most with a refusal (redirects, a fallback to the leader, a retry limit).

use replicascope_engine::model::{
    ClientId, ClientOp, Completion, Endpoint, NodeId, Op, OpId, OpResult, ReadValue, Sym,
};
use replicascope_engine::protocol::{Cluster, Command, Ctx, NodeCtx, Protocol, TimerId};
use replicascope_engine::rng::Entropy;
use replicascope_engine::topology::client::{Answer, Client, Reply, Request};
use replicascope_engine::topology::leader_follower::{
    LeaderFollower, LfAsk, LfConfig, LfMsg, LfRefusal, LfRoute, LogPosition, ReadRouting,
};

const CLIENT: ClientId = ClientId(0);

fn cluster() -> Cluster {
    Cluster { nodes: 3, clients: 1, node_region: vec![0; 3], client_region: vec![0], region_names: vec!["here".into()] }
}

fn topology(read_routing: ReadRouting) -> LeaderFollower {
    LeaderFollower { cfg: LfConfig { read_routing, ..LfConfig::default() } }
}

/// Runs one client handler at time `now` and returns what it recorded.
fn handle(now: u64, run: impl FnOnce(&mut NodeCtx<LeaderFollower>)) -> (Vec<(Endpoint, LfMsg)>, Vec<Completion>) {
    let cluster = cluster();
    let mut next_timer: TimerId = 0;
    let mut ctx = Ctx::new(now, now, Endpoint::Client(CLIENT), &cluster, Entropy::new(7, 1), &mut next_timer);
    run(&mut ctx);
    let mut sent = Vec::new();
    let mut completed = Vec::new();
    for command in ctx.commands {
        match command {
            Command::Send { to, msg } => sent.push((to, msg)),
            Command::Complete(completion) => completed.push(completion),
            _ => {}
        }
    }
    (sent, completed)
}

fn new_client(lf: &LeaderFollower) -> Client<LfRoute> {
    let mut client = None;
    handle(0, |ctx| client = Some(lf.init_client(CLIENT, ctx)));
    client.expect("a client")
}

fn invoke(lf: &LeaderFollower, client: &mut Client<LfRoute>, id: OpId, op: Op) -> Vec<(Endpoint, LfMsg)> {
    let op = ClientOp { id, op, consistency: None, via: None };
    handle(10, |ctx| lf.client_invoke(client, ctx, &op)).0
}

fn deliver(
    lf: &LeaderFollower,
    client: &mut Client<LfRoute>,
    from: u8,
    msg: LfMsg,
) -> (Vec<(Endpoint, LfMsg)>, Vec<Completion>) {
    handle(20, |ctx| lf.client_on_message(client, ctx, Endpoint::Node(NodeId(from)), msg))
}

fn write() -> Op {
    Op::Write { key: Sym(0), value: 1 }
}

fn read() -> Op {
    Op::Read { key: Sym(0) }
}

fn refused(op: OpId, refusal: LfRefusal, epoch: u64) -> LfMsg {
    LfMsg::Reply(Reply::refused(op, refusal, LogPosition { lsn: 0, epoch }))
}

fn request_of(sent: &[(Endpoint, LfMsg)]) -> (Endpoint, &Request<LfAsk>) {
    match sent {
        [(to, LfMsg::Request(request))] => (*to, request),
        other => panic!("expected one request, got {other:?}"),
    }
}

#[test]
fn a_write_goes_to_the_leader_and_its_acknowledgement_completes_it_with_its_log_position() {
    let lf = topology(ReadRouting::Leader);
    let mut client = new_client(&lf);
    let sent = invoke(&lf, &mut client, 1, write());
    let (to, request) = request_of(&sent);
    assert_eq!(to, Endpoint::Node(NodeId(0)));
    assert_eq!((request.op, &request.body), (1, &write()));
    let (sent, done) = deliver(&lf, &mut client, 0, LfMsg::Reply(Reply::written(1, LogPosition { lsn: 4, epoch: 2 })));
    assert!(sent.is_empty());
    assert_eq!(done.len(), 1);
    let done = &done[0];
    assert_eq!((done.op, &done.result, done.served_by), (1, &OpResult::Written, Some(NodeId(0))));
    assert_eq!((done.lsn, done.epoch, done.version.as_deref()), (Some(4), Some(2), Some("LSN 4 · epoch 2")));
    assert!(client.pending().is_none(), "the operation is no longer pending");
}

#[test]
fn a_reply_to_an_operation_no_longer_pending_completes_nothing() {
    let lf = topology(ReadRouting::Leader);
    let mut client = new_client(&lf);
    invoke(&lf, &mut client, 1, write());
    // The engine gave up on it (the client's timeout) before the leader answered.
    lf.client_abandon(&mut client, 1);
    let late = LfMsg::Reply(Reply::written(1, LogPosition { lsn: 4, epoch: 1 }));
    let (sent, done) = deliver(&lf, &mut client, 1, late);
    assert!(sent.is_empty() && done.is_empty());
    // Nor does an answer about another operation, while one is pending.
    invoke(&lf, &mut client, 2, read());
    let other = LfMsg::Reply(Reply::read(9, ReadValue::Counter(5), LogPosition::default()));
    let (sent, done) = deliver(&lf, &mut client, 0, other);
    assert!(sent.is_empty() && done.is_empty());
    assert!(client.is_running(2));
    // A message from a client endpoint is nobody's reply.
    let from_client = LfMsg::Reply(Reply::read(2, ReadValue::Counter(5), LogPosition::default()));
    let (sent, done) =
        handle(30, |ctx| lf.client_on_message(&mut client, ctx, Endpoint::Client(ClientId(1)), from_client));
    assert!(sent.is_empty() && done.is_empty());
}

#[test]
fn a_redirect_is_followed_to_the_named_leader_and_gives_up_after_four() {
    let lf = topology(ReadRouting::Leader);
    let mut client = new_client(&lf);
    invoke(&lf, &mut client, 1, write());
    // n1 names n3 as leader: the write goes there, one attempt more.
    let (sent, done) = deliver(&lf, &mut client, 0, refused(1, LfRefusal::NotLeader { leader: Some(NodeId(2)) }, 3));
    assert!(done.is_empty());
    assert_eq!(request_of(&sent).0, Endpoint::Node(NodeId(2)));
    assert_eq!(client.pending().map(|p| p.attempts), Some(1));
    // A node that knows no leader: the client tries the node after it.
    let (sent, _) = deliver(&lf, &mut client, 2, refused(1, LfRefusal::NotLeader { leader: None }, 3));
    assert_eq!(request_of(&sent).0, Endpoint::Node(NodeId(0)));
    for _ in 0..2 {
        let (sent, done) = deliver(&lf, &mut client, 0, refused(1, LfRefusal::NotLeader { leader: None }, 3));
        assert_eq!(sent.len(), 1);
        assert!(done.is_empty());
    }
    // The fifth redirect ends it.
    let (sent, done) = deliver(&lf, &mut client, 1, refused(1, LfRefusal::NotLeader { leader: None }, 3));
    assert!(sent.is_empty());
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].result, OpResult::Fail("no leader found".into()));
    // What the redirects taught it stays: a newer epoch, and the next write goes to n3.
    let sent = invoke(&lf, &mut client, 2, write());
    assert_eq!(request_of(&sent).0, Endpoint::Node(NodeId(2)));
}

#[test]
fn a_late_redirect_still_teaches_the_client_where_the_leader_is() {
    let lf = topology(ReadRouting::Leader);
    let mut client = new_client(&lf);
    // No operation pending: the redirect sends nothing, but the next write follows it.
    let (sent, done) = deliver(&lf, &mut client, 0, refused(7, LfRefusal::NotLeader { leader: Some(NodeId(1)) }, 2));
    assert!(sent.is_empty() && done.is_empty());
    let sent = invoke(&lf, &mut client, 1, write());
    assert_eq!(request_of(&sent).0, Endpoint::Node(NodeId(1)));
}

#[test]
fn a_token_read_refused_by_a_lagging_follower_asks_the_leader_once_then_fails() {
    let lf = topology(ReadRouting::LsnToken);
    let mut client = new_client(&lf);
    invoke(&lf, &mut client, 1, write());
    deliver(&lf, &mut client, 0, LfMsg::Reply(Reply::written(1, LogPosition { lsn: 5, epoch: 1 })));
    // The read carries the client's last write as its token, to a follower.
    let sent = invoke(&lf, &mut client, 2, read());
    let (to, request) = request_of(&sent);
    assert_ne!(to, Endpoint::Node(NodeId(0)));
    assert_eq!(request.ask, LfAsk { min_lsn: 5, leader_only: false });
    let follower = match to {
        Endpoint::Node(n) => n.0,
        _ => unreachable!(),
    };
    let behind = || refused(2, LfRefusal::Rejected("replica has not caught up to your write".into()), 1);
    let (sent, done) = deliver(&lf, &mut client, follower, behind());
    assert!(done.is_empty());
    let (to, request) = request_of(&sent);
    assert_eq!(to, Endpoint::Node(NodeId(0)));
    assert_eq!(request.ask, LfAsk { min_lsn: 0, leader_only: true });
    // Refused again (say the leader's lease expired): the read fails, served by that node.
    let (sent, done) = deliver(&lf, &mut client, 0, refused(2, LfRefusal::Rejected("leader lease expired".into()), 1));
    assert!(sent.is_empty());
    assert_eq!(done[0].result, OpResult::Fail("leader lease expired".into()));
    assert_eq!(done[0].served_by, Some(NodeId(0)));
}

#[test]
fn a_new_leader_announcing_itself_is_believed_unless_its_epoch_is_older() {
    let lf = topology(ReadRouting::Leader);
    let mut client = new_client(&lf);
    deliver(&lf, &mut client, 2, LfMsg::NewLeader { epoch: 3 });
    deliver(&lf, &mut client, 1, LfMsg::NewLeader { epoch: 2 });
    let sent = invoke(&lf, &mut client, 1, write());
    assert_eq!(request_of(&sent).0, Endpoint::Node(NodeId(2)));
}

#[test]
fn a_read_reply_completes_with_its_value_and_where_it_was_read() {
    let lf = topology(ReadRouting::Leader);
    let mut client = new_client(&lf);
    let sent = invoke(&lf, &mut client, 1, read());
    assert_eq!(request_of(&sent).1.ask, LfAsk { min_lsn: 0, leader_only: true });
    let reply = LfMsg::Reply(Reply {
        op: 1,
        answer: Answer::Read { value: ReadValue::Counter(5), version: None },
        said: LogPosition { lsn: 3, epoch: 1 },
    });
    let (_, done) = deliver(&lf, &mut client, 0, reply);
    assert_eq!(done[0].result, OpResult::Read(ReadValue::Counter(5)));
    assert_eq!(done[0].version.as_deref(), Some("applied LSN 3"));
    assert_eq!(done[0].lsn, None, "a read has no log position of its own");
}
