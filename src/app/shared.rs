//! `Shared<T>`: an `Rc` whose equality is identity, so a component re-renders only when it is
//! handed a new value, never because a deep comparison ran every frame.

use std::ops::Deref;
use std::rc::Rc;

pub struct Shared<T>(pub Rc<T>);

impl<T> Shared<T> {
    pub fn new(v: T) -> Self {
        Shared(Rc::new(v))
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared::new(T::default())
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<Rc<T>> for Shared<T> {
    fn from(r: Rc<T>) -> Self {
        Shared(r)
    }
}

/// What the pointer is over, shared by the node diagram, the space-time diagram and the log
/// lanes of one pane: a message, or every message and entry of one client operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Highlight {
    Msg(u64),
    Op(u64),
}

impl Highlight {
    pub fn matches(self, msg: u64, op: Option<u64>) -> bool {
        match self {
            Highlight::Msg(m) => m == msg,
            Highlight::Op(o) => op == Some(o),
        }
    }
}
