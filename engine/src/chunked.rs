//! An append-only list stored in fixed-size chunks.
//!
//! The trace's logs grow by one entry per event, to hundreds of thousands of entries. In a `Vec`
//! every doubling copies everything recorded so far, and in WebAssembly (which cannot remap
//! memory) that copy always happens: it was about a quarter of the engine's time. Chunks are
//! allocated once at their full size and never move, so appending never copies, and memory grows
//! by one chunk at a time instead of doubling.

use std::ops::{Index, IndexMut};

/// Entries per chunk (a power of two, and a multiple of the trace's message block size).
pub const CHUNK: usize = 4096;

#[derive(Clone, Debug)]
pub struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec { chunks: Vec::new(), len: 0 }
    }
}

impl<T> ChunkedVec<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, v: T) {
        if self.len == self.chunks.len() * CHUNK {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks[self.len / CHUNK].push(v);
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        if i < self.len {
            Some(&self.chunks[i / CHUNK][i % CHUNK])
        } else {
            None
        }
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i < self.len {
            Some(&mut self.chunks[i / CHUNK][i % CHUNK])
        } else {
            None
        }
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// Keeps the first `len` entries. Emptied chunks are freed, except one kept for reuse.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let keep = len.div_ceil(CHUNK);
        if let Some(c) = self.chunks.get_mut(keep.saturating_sub(1)) {
            c.truncate(len - keep.saturating_sub(1) * CHUNK);
        }
        // One spare chunk is kept (empty) so that a run forked near a chunk boundary does not
        // allocate and free a chunk per step.
        let spare = if keep == 0 { 1 } else { keep + 1 };
        for c in self.chunks.iter_mut().skip(keep) {
            c.clear();
        }
        self.chunks.truncate(spare.min(self.chunks.len()));
        self.len = len;
    }

    /// The chunks holding entries `lo..hi`, in order, as slices.
    pub fn slices(&self, lo: usize, hi: usize) -> impl DoubleEndedIterator<Item = &[T]> + Clone {
        let hi = hi.min(self.len);
        let lo = lo.min(hi);
        let (first, last) = (lo / CHUNK, if hi == 0 { 0 } else { (hi - 1) / CHUNK + 1 });
        self.chunks[first.min(self.chunks.len())..last.min(self.chunks.len())].iter().enumerate().map(move |(k, c)| {
            let base = (first + k) * CHUNK;
            let a = lo.saturating_sub(base).min(c.len());
            let b = (hi - base).min(c.len());
            &c[a..b]
        })
    }

    /// Entries `lo..hi` (clamped to the length), in order.
    pub fn range(&self, lo: usize, hi: usize) -> impl DoubleEndedIterator<Item = &T> + Clone {
        self.slices(lo, hi).flat_map(|s| s.iter())
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + Clone {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut T> {
        self.chunks.iter_mut().flat_map(|c| c.iter_mut())
    }

    /// Like [`slice::partition_point`]: the index of the first entry for which `pred` is false,
    /// given that `pred` holds for a prefix of the entries.
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        // The last chunk whose first entry satisfies `pred` holds the boundary (or ends right
        // before it).
        let c = self.chunks.partition_point(|c| c.first().is_some_and(&mut pred));
        if c == 0 {
            return 0;
        }
        let chunk = &self.chunks[c - 1];
        (c - 1) * CHUNK + chunk.partition_point(pred)
    }
}

impl<T> Index<usize> for ChunkedVec<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        assert!(i < self.len, "index {i} out of range for a list of {}", self.len);
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<T> IndexMut<usize> for ChunkedVec<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        assert!(i < self.len, "index {i} out of range for a list of {}", self.len);
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<'a, T> IntoIterator for &'a ChunkedVec<T> {
    type Item = &'a T;
    type IntoIter = std::iter::FlatMap<
        std::slice::Iter<'a, Vec<T>>,
        std::slice::Iter<'a, T>,
        fn(&'a Vec<T>) -> std::slice::Iter<'a, T>,
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flat_map((|c| c.iter()) as fn(&'a Vec<T>) -> std::slice::Iter<'a, T>)
    }
}

impl<T> FromIterator<T> for ChunkedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = ChunkedVec::new();
        for x in iter {
            v.push(x);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec() {
        let mut c: ChunkedVec<usize> = ChunkedVec::new();
        let mut v: Vec<usize> = Vec::new();
        let mut rng = crate::rng::SimRng::new(3, crate::rng::Stream::Staleness);
        for round in 0..200 {
            let pushes = rng.below(3 * CHUNK as u64) as usize;
            for i in 0..pushes {
                c.push(round * 100_000 + i);
                v.push(round * 100_000 + i);
            }
            if rng.below(3) == 0 {
                let to = rng.below(v.len() as u64 + 1) as usize;
                c.truncate(to);
                v.truncate(to);
            }
            assert_eq!(c.len(), v.len());
            assert!(c.iter().eq(v.iter()));
            assert!(c.iter().rev().eq(v.iter().rev()));
            assert_eq!(c.last(), v.last());
            let a = rng.below(v.len() as u64 + 2) as usize;
            let b = rng.below(v.len() as u64 + 2) as usize;
            let (lo, hi) = (a.min(b), a.max(b));
            let want: Vec<usize> = v[lo.min(v.len())..hi.min(v.len())].to_vec();
            assert!(c.range(lo, hi).copied().eq(want.iter().copied()), "range {lo}..{hi} of {}", v.len());
            for x in [0, 1, v.len() / 2, v.len().saturating_sub(1), v.len()] {
                assert_eq!(c.get(x), v.get(x));
            }
            // Entries are increasing, so any threshold is a valid partition.
            let t = rng.below(round as u64 * 100_000 + 1) as usize;
            assert_eq!(c.partition_point(|&e| e < t), v.partition_point(|&e| e < t), "threshold {t}");
        }
        assert_eq!(c.partition_point(|_| true), c.len());
        assert_eq!(c.partition_point(|_| false), 0);
    }

    #[test]
    fn appending_never_moves_an_entry() {
        let mut c: ChunkedVec<u64> = ChunkedVec::new();
        c.push(1);
        let first = c.get(0).unwrap() as *const u64;
        for i in 0..10 * CHUNK as u64 {
            c.push(i);
        }
        assert_eq!(first, c.get(0).unwrap() as *const u64);
    }
}
