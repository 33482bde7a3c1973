//! Client sessions: each runs one operation at a time, and what is scheduled meanwhile waits in
//! its backlog, started in the order it was scheduled.

use super::*;

#[derive(Clone, Debug)]
pub(super) struct Session<C> {
    pub(super) state: C,
    /// The operation in progress, and whether it is a read.
    pub(super) current: Option<(OpId, bool)>,
    /// Where the current operation's timeout waits in the queue, to withdraw it on completion.
    pub(super) timeout: Option<(u32, u64)>,
    /// The backlog: operations scheduled while one was in progress, started in the order they
    /// were scheduled. Planned ones are not stored: they are this session's planned operations
    /// from the `started`th to the `scheduled`th (counting in its own list, `Sim::session_ops`).
    /// Every checkpoint clones every session, and an overloaded workload's backlogs grow all run
    /// long: stored, they made memory grow with the square of the run's length. One a user
    /// added waits in `given`, with the count of planned ones scheduled before it.
    pub(super) started: u32,
    pub(super) scheduled: u32,
    pub(super) given: VecDeque<(u32, ClientOp)>,
}

/// An operation a session is handed: planned (its index in the plan), or added by a user.
pub(super) enum Waiting {
    Planned(u32),
    Given(ClientOp),
}

impl<P: Protocol> Sim<P> {
    pub(super) fn schedule_op(&mut self, session: ClientId, waiting: Waiting, trace: &mut Trace) {
        let op = match waiting {
            Waiting::Planned(index) => self.plan.ops[index as usize].op.clone(),
            Waiting::Given(ref op) => op.clone(),
        };
        trace.hist(HistEvent::Scheduled { at: self.now, session, op: op.clone() });
        let s = &mut self.sessions[session.0 as usize];
        let idle = s.current.is_none();
        match waiting {
            Waiting::Planned(index) => {
                debug_assert_eq!(self.session_ops[session.0 as usize][s.scheduled as usize], index);
                s.scheduled += 1;
                if idle {
                    s.started += 1;
                }
            }
            Waiting::Given(op) if !idle => s.given.push_back((s.scheduled, op)),
            Waiting::Given(_) => {}
        }
        if idle {
            self.start_op(session, op, trace);
        }
    }

    /// The session's next operation from its backlog, if it has one.
    fn next_waiting(&mut self, session: ClientId) -> Option<ClientOp> {
        let s = &mut self.sessions[session.0 as usize];
        if s.given.front().is_some_and(|(after, _)| *after == s.started) {
            return s.given.pop_front().map(|(_, op)| op);
        }
        if s.started == s.scheduled {
            return None;
        }
        let index = self.session_ops[session.0 as usize][s.started as usize];
        s.started += 1;
        Some(self.plan.ops[index as usize].op.clone())
    }

    pub(super) fn start_op(&mut self, session: ClientId, op: ClientOp, trace: &mut Trace) {
        let now = self.now;
        trace.hist(HistEvent::Invoked { at: now, op: op.id });
        self.sessions[session.0 as usize].current = Some((op.id, op.op.is_read()));
        let timeout = self.plan.timeout;
        let queued = self.push(now + timeout, Event::ClientTimeout { session, op: op.id });
        self.sessions[session.0 as usize].timeout = Some(queued);
        let cmds = self.with_client(session, op.id as u64, |p, s, ctx| p.client_invoke(s, ctx, &op));
        self.apply(Endpoint::Client(session), cmds, trace);
    }

    pub(super) fn finish_op(&mut self, session: ClientId, c: Completion, trace: &mut Trace) {
        let s = &mut self.sessions[session.0 as usize];
        if s.current.map(|(id, _)| id) != Some(c.op) {
            return; // a late answer to an operation that already timed out
        }
        s.current = None;
        if let Some(t) = s.timeout.take() {
            self.withdraw(t);
        }
        trace.hist(HistEvent::Completed { at: self.now, completion: Box::new(c) });
        if let Some(op) = self.next_waiting(session) {
            self.start_op(session, op, trace);
        }
    }
}
