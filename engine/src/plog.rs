//! An append-mostly vector whose clones share their sealed chunks.
//!
//! Checkpoints clone the whole simulation every few thousand steps; a replication log of tens
//! of thousands of entries on every node would make each clone megabytes. Sealed chunks are
//! reference-counted and shared between clones, so a clone costs one pointer per chunk plus the
//! open tail. Truncation (discarding an old leader's tail) copies at most one chunk.

use std::rc::Rc;

const CHUNK: usize = 128;

#[derive(Clone, Debug)]
pub struct PLog<T> {
    chunks: Vec<Rc<Vec<T>>>,
    tail: Vec<T>,
}

impl<T> Default for PLog<T> {
    fn default() -> Self {
        PLog { chunks: Vec::new(), tail: Vec::new() }
    }
}

impl<T: Clone> PLog<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.chunks.len() * CHUNK + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        let c = i / CHUNK;
        if c < self.chunks.len() {
            self.chunks[c].get(i % CHUNK)
        } else if c == self.chunks.len() {
            self.tail.get(i % CHUNK)
        } else {
            None
        }
    }

    pub fn last(&self) -> Option<&T> {
        if self.is_empty() {
            None
        } else {
            self.get(self.len() - 1)
        }
    }

    pub fn push(&mut self, v: T) {
        self.tail.push(v);
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.chunks.push(Rc::new(full));
        }
    }

    /// Keeps the first `len` elements.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        let c = len / CHUNK;
        if c < self.chunks.len() {
            let mut reopened: Vec<T> = self.chunks[c][..len % CHUNK].to_vec();
            reopened.reserve(CHUNK);
            self.chunks.truncate(c);
            self.tail = reopened;
        } else {
            self.tail.truncate(len % CHUNK);
        }
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter()).chain(self.tail.iter())
    }

    /// Elements from index `from` on.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = &T> + '_ {
        (from..self.len()).filter_map(move |i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec() {
        let mut p = PLog::new();
        let mut v = Vec::new();
        for i in 0..1000u32 {
            p.push(i);
            v.push(i);
            if i % 97 == 0 {
                let cut = (i as usize * 7) % (v.len() + 1);
                p.truncate(cut);
                v.truncate(cut);
            }
            assert_eq!(p.len(), v.len());
        }
        assert_eq!(p.iter().copied().collect::<Vec<_>>(), v);
        for (i, x) in v.iter().enumerate() {
            assert_eq!(p.get(i), Some(x));
        }
        assert_eq!(p.get(v.len()), None);
        let clone = p.clone();
        p.truncate(3);
        assert_eq!(clone.len(), v.len(), "clones are independent");
    }
}
