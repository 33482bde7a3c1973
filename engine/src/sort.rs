//! Sorting with one copy of the algorithm in the binary.
//!
//! The standard library's sorts are generic: every element type and every comparison closure
//! gets its own copy of pdqsort or driftsort, 3–6 KB of WebAssembly each, and the engine and page
//! sort in about forty places (120 KB of the page's wasm was sorting code). Here the algorithm
//! orders *indices* through a `dyn` comparison, so it is compiled once; what each call site adds
//! is a closure and a permutation loop of a few hundred bytes.
//!
//! Every sort here is **stable** (equal elements keep their order), so the result never depends
//! on the algorithm: a stable sort's output is unique. That is what lets native builds, where
//! bytes do not matter and speed does (the CLI's checker sorts 200,000-entry histories), use the
//! standard library's stable sort, and WebAssembly this one — with byte-identical results. It is
//! a bottom-up merge sort, O(n log n) comparisons, with a linear pass first that returns at once
//! when the input is already in order (most of what the engine sorts is nearly sorted by time).

use std::cmp::Ordering;

/// The stable order of `0..n` under `cmp`: the i-th entry is the index of the i-th smallest.
fn order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Option<Vec<u32>> {
    if (1..n).all(|i| cmp(i - 1, i) != Ordering::Greater) {
        return None;
    }
    let mut a: Vec<u32> = (0..n as u32).collect();
    let mut b: Vec<u32> = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j, mut k) = (lo, mid, lo);
            while i < mid && j < hi {
                // Take from the left run unless the right one is strictly smaller: stable.
                if cmp(a[j] as usize, a[i] as usize) == Ordering::Less {
                    b[k] = a[j];
                    j += 1;
                } else {
                    b[k] = a[i];
                    i += 1;
                }
                k += 1;
            }
            b[k..k + (mid - i)].copy_from_slice(&a[i..mid]);
            let k = k + (mid - i);
            b[k..k + (hi - j)].copy_from_slice(&a[j..hi]);
            lo = hi;
        }
        std::mem::swap(&mut a, &mut b);
        width *= 2;
    }
    Some(a)
}

/// Puts `v[perm[k]]` at position `k` for every `k`, following the permutation's cycles.
fn permute<T>(v: &mut [T], perm: &[u32]) {
    let mut done = vec![false; v.len()];
    for start in 0..v.len() {
        if done[start] {
            continue;
        }
        let mut k = start;
        loop {
            done[k] = true;
            let next = perm[k] as usize;
            if next == start {
                break;
            }
            v.swap(k, next);
            k = next;
        }
    }
}

/// Sorts `v` stably by `cmp`.
#[cfg(target_arch = "wasm32")]
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    compact_sort_by(v, cmp);
}

/// Sorts `v` stably by `cmp` (natively: the standard library's stable sort, same result).
#[cfg(not(target_arch = "wasm32"))]
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    v.sort_by(cmp);
}

/// The merge sort over indices, on every target (tested natively against the standard sort).
pub fn compact_sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    assert!(v.len() <= u32::MAX as usize, "sorting more than 2^32 elements");
    let perm = {
        let s: &[T] = v;
        order(s.len(), &|a, b| cmp(&s[a], &s[b]))
    };
    if let Some(perm) = perm {
        permute(v, &perm);
    }
}

/// Sorts `v` stably by the key `key` gives each element.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably in its natural order.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the standard library's stable sort, on random inputs with many ties, sorted and
    /// reversed inputs, and the smallest sizes.
    #[test]
    fn agrees_with_the_standard_stable_sort() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in (0..40).chain([100, 257, 1000, 4096]) {
            for shape in 0..4 {
                let mut v: Vec<(u64, usize)> = (0..n)
                    .map(|i| {
                        let k = match shape {
                            0 => next() % 7,
                            1 => i as u64,
                            2 => (n - i) as u64,
                            _ => next() % 1_000_000,
                        };
                        (k, i)
                    })
                    .collect();
                let mut want = v.clone();
                want.sort_by_key(|e| e.0);
                compact_sort_by(&mut v, |a, b| a.0.cmp(&b.0));
                assert_eq!(v, want, "n {n}, shape {shape}");
            }
        }
        let mut words = vec!["pear", "apple", "fig", "apple", "kiwi"];
        compact_sort_by(&mut words, |a, b| a.cmp(b));
        assert_eq!(words, ["apple", "apple", "fig", "kiwi", "pear"]);
        let mut desc = vec![3, 1, 2];
        compact_sort_by(&mut desc, |a, b| b.cmp(a));
        assert_eq!(desc, [3, 2, 1]);
    }
}

/// A `BTreeSet` of `items`, inserted one by one. `collect` into a B-tree sorts the items in a
/// buffer first, with a copy of the standard library's stable sort for each element type (3–4 KB
/// of WebAssembly each, a dozen types); insertion reuses the set's own code. Equal items keep one.
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> std::collections::BTreeSet<T> {
    let mut set = std::collections::BTreeSet::new();
    for item in items {
        set.insert(item);
    }
    set
}

/// A `BTreeMap` of `pairs`, inserted one by one (see [`set_of`]); of pairs with equal keys, the
/// last one's value is kept, as `collect` keeps it.
pub fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> std::collections::BTreeMap<K, V> {
    let mut map = std::collections::BTreeMap::new();
    for (k, v) in pairs {
        map.insert(k, v);
    }
    map
}

/// `set` with `item` added, for `fold(BTreeSet::new(), inserted)` in a chain (see [`set_of`]).
pub fn inserted<T: Ord>(mut set: std::collections::BTreeSet<T>, item: T) -> std::collections::BTreeSet<T> {
    set.insert(item);
    set
}
