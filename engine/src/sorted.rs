//! Ordered maps and sets kept as sorted vectors, for the small collections of a simulated
//! node's state (its keys, its peers, its pending requests: tens of entries, cloned at every
//! checkpoint).
//!
//! They iterate, compare, hash, print and serialise exactly as `BTreeMap` and `BTreeSet` do, so
//! swapping one for the other changes no run (the golden digests say so). What they change is
//! the code: a B-tree compiles its node splitting, merging, cloning and dropping once per key and
//! value type — 150 KB of the page's WebAssembly for forty-odd types — where a sorted vector is
//! a binary search and a `Vec::insert`. Lookups cost the same `O(log n)`; an insertion or removal
//! moves the entries after it, which for these sizes is a short copy. Collections that grow with
//! a run stay B-trees: a history, the writes a run made, the simulation's cancelled timers, a
//! multi-leader node's backlog for an unreachable neighbour and its stragglers behind a gap.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;

/// An ordered map on a sorted vector (see the module's note): the subset of `BTreeMap`'s
/// interface the engine uses, with the same meaning.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap { entries: Vec::new() }
    }
}

type Pair<'a, K, V> = (&'a K, &'a V);

/// `iter()`'s iterator: the entries in key order.
pub type Iter<'a, K, V> = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> Pair<'a, K, V>>;
/// `iter_mut()`'s iterator.
pub type IterMut<'a, K, V> = std::iter::Map<std::slice::IterMut<'a, (K, V)>, fn(&'a mut (K, V)) -> (&'a K, &'a mut V)>;

impl<K, V> VecMap<K, V> {
    pub const fn new() -> Self {
        VecMap { entries: Vec::new() }
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn clear(&mut self) {
        self.entries.clear()
    }
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone + '_ {
        self.entries.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone + '_ {
        self.entries.iter().map(|(_, v)| v)
    }
    /// Keeps the entries for which `keep` says yes, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v))
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }
    /// Sets `key` to `value`; the value it had, if any (the key itself is kept, as a B-tree
    /// keeps it).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }
    pub fn remove_entry<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i))
    }
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        match self.find(&key) {
            Ok(index) => Entry::Occupied(OccupiedEntry { map: self, index }),
            Err(index) => Entry::Vacant(VacantEntry { map: self, index, key }),
        }
    }
}

/// A place in a [`VecMap`], as `btree_map::Entry`.
pub enum Entry<'a, K, V> {
    Occupied(OccupiedEntry<'a, K, V>),
    Vacant(VacantEntry<'a, K, V>),
}

pub struct OccupiedEntry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    index: usize,
}

pub struct VacantEntry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    index: usize,
    key: K,
}

impl<'a, K, V> OccupiedEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.map.entries[self.index].0
    }
    pub fn get(&self) -> &V {
        &self.map.entries[self.index].1
    }
    pub fn get_mut(&mut self) -> &mut V {
        &mut self.map.entries[self.index].1
    }
    pub fn into_mut(self) -> &'a mut V {
        &mut self.map.entries[self.index].1
    }
    pub fn insert(&mut self, value: V) -> V {
        std::mem::replace(self.get_mut(), value)
    }
    pub fn remove(self) -> V {
        self.map.entries.remove(self.index).1
    }
}

impl<'a, K, V> VacantEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.key
    }
    pub fn insert(self, value: V) -> &'a mut V {
        self.map.entries.insert(self.index, (self.key, value));
        &mut self.map.entries[self.index].1
    }
}

impl<'a, K, V> Entry<'a, K, V> {
    pub fn or_insert(self, value: V) -> &'a mut V {
        self.or_insert_with(|| value)
    }
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(make()),
        }
    }
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(e) => e.key(),
            Entry::Vacant(e) => e.key(),
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// Of pairs with equal keys, the last one's value is kept, as `BTreeMap` keeps it.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut map = VecMap::new();
        map.extend(pairs);
        map
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        for (k, v) in pairs {
            self.insert(k, v);
        }
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for VecMap<K, V> {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<K: Ord, V, Q: Ord + ?Sized> std::ops::Index<&Q> for VecMap<K, V>
where
    K: Borrow<Q>,
{
    type Output = V;
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for VecMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
            type Value = VecMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = VecMap::new();
                while let Some((k, v)) = access.next_entry()? {
                    map.insert(k, v);
                }
                Ok(map)
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

/// An ordered set on a sorted vector (see the module's note): the subset of `BTreeSet`'s
/// interface the engine uses, with the same meaning.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecSet<T> {
    items: Vec<T>,
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        VecSet { items: Vec::new() }
    }
}

impl<T> VecSet<T> {
    pub const fn new() -> Self {
        VecSet { items: Vec::new() }
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn clear(&mut self) {
        self.items.clear()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }
    pub fn first(&self) -> Option<&T> {
        self.items.first()
    }
    pub fn last(&self) -> Option<&T> {
        self.items.last()
    }
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep)
    }
}

impl<T: Ord> VecSet<T> {
    fn find<Q: Ord + ?Sized>(&self, item: &Q) -> Result<usize, usize>
    where
        T: Borrow<Q>,
    {
        self.items.binary_search_by(|x| x.borrow().cmp(item))
    }
    pub fn contains<Q: Ord + ?Sized>(&self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.find(item).is_ok()
    }
    pub fn get<Q: Ord + ?Sized>(&self, item: &Q) -> Option<&T>
    where
        T: Borrow<Q>,
    {
        self.find(item).ok().map(|i| &self.items[i])
    }
    /// Adds `item`; false if an equal one was there (which is kept, as a B-tree keeps it).
    pub fn insert(&mut self, item: T) -> bool {
        match self.find(&item) {
            Ok(_) => false,
            Err(i) => {
                self.items.insert(i, item);
                true
            }
        }
    }
    pub fn remove<Q: Ord + ?Sized>(&mut self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.take(item).is_some()
    }
    pub fn take<Q: Ord + ?Sized>(&mut self, item: &Q) -> Option<T>
    where
        T: Borrow<Q>,
    {
        self.find(item).ok().map(|i| self.items.remove(i))
    }
    /// The items of either set, in order, each once.
    pub fn union<'a>(&'a self, other: &'a VecSet<T>) -> Merge<'a, T> {
        Merge { a: &self.items, b: &other.items, keep: Keep::Union }
    }
    /// The items of both sets, in order.
    pub fn intersection<'a>(&'a self, other: &'a VecSet<T>) -> Merge<'a, T> {
        Merge { a: &self.items, b: &other.items, keep: Keep::Intersection }
    }
    /// The items of this set not in `other`, in order.
    pub fn difference<'a>(&'a self, other: &'a VecSet<T>) -> Merge<'a, T> {
        Merge { a: &self.items, b: &other.items, keep: Keep::Difference }
    }
    pub fn is_subset(&self, other: &VecSet<T>) -> bool {
        self.difference(other).next().is_none()
    }
}

#[derive(Clone, Copy)]
enum Keep {
    Union,
    Intersection,
    Difference,
}

/// A walk of two sorted sets together: their union, intersection or difference, in order.
#[derive(Clone)]
pub struct Merge<'a, T> {
    a: &'a [T],
    b: &'a [T],
    keep: Keep,
}

impl<'a, T: Ord> Iterator for Merge<'a, T> {
    type Item = &'a T;
    fn next(&mut self) -> Option<&'a T> {
        loop {
            let (x, y) = match (self.a.first(), self.b.first()) {
                (None, None) => return None,
                (Some(x), None) => {
                    if matches!(self.keep, Keep::Intersection) {
                        return None;
                    }
                    self.a = &self.a[1..];
                    return Some(x);
                }
                (None, Some(y)) => {
                    if !matches!(self.keep, Keep::Union) {
                        return None;
                    }
                    self.b = &self.b[1..];
                    return Some(y);
                }
                (Some(x), Some(y)) => (x, y),
            };
            match x.cmp(y) {
                std::cmp::Ordering::Less => {
                    self.a = &self.a[1..];
                    if !matches!(self.keep, Keep::Intersection) {
                        return Some(x);
                    }
                }
                std::cmp::Ordering::Greater => {
                    self.b = &self.b[1..];
                    if matches!(self.keep, Keep::Union) {
                        return Some(y);
                    }
                }
                std::cmp::Ordering::Equal => {
                    self.a = &self.a[1..];
                    self.b = &self.b[1..];
                    if !matches!(self.keep, Keep::Difference) {
                        return Some(x);
                    }
                }
            }
        }
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut set = VecSet::new();
        set.extend(items);
        set
    }
}

impl<T: Ord> Extend<T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.insert(item);
        }
    }
}

impl<'a, T: Ord + Copy + 'a> Extend<&'a T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = &'a T>>(&mut self, items: I) {
        for item in items {
            self.insert(*item);
        }
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for VecSet<T> {
    fn from(items: [T; N]) -> Self {
        items.into_iter().collect()
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<T: fmt::Debug> fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: Serialize> Serialize for VecSet<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de, T: Ord + Deserialize<'de>> Deserialize<'de> for VecSet<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SeqVisitor<T>(PhantomData<T>);
        impl<'de, T: Ord + Deserialize<'de>> Visitor<'de> for SeqVisitor<T> {
            type Value = VecSet<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut set = VecSet::new();
                while let Some(item) = access.next_element()? {
                    set.insert(item);
                }
                Ok(set)
            }
        }
        d.deserialize_seq(SeqVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{SimRng, Stream};
    use std::collections::{BTreeMap, BTreeSet};
    use std::hash::{Hash, Hasher};

    fn hash_of<T: Hash>(t: &T) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    /// Random operations on a `VecMap` and a `BTreeMap` side by side: every answer, every
    /// iteration, the printed form, the JSON, the order and the hash agree throughout.
    #[test]
    fn a_vec_map_answers_as_a_btree_map_does() {
        for seed in 0..40u64 {
            let mut rng = SimRng::new(seed, Stream::Engine);
            let (mut v, mut b): (VecMap<u8, u32>, BTreeMap<u8, u32>) = Default::default();
            let (mut v2, mut b2): (VecMap<u8, u32>, BTreeMap<u8, u32>) = Default::default();
            let range = 1 + seed % 50;
            for step in 0..300u32 {
                let k = rng.below(range) as u8;
                match rng.below(10) {
                    0 | 1 => assert_eq!(v.insert(k, step), b.insert(k, step)),
                    2 => assert_eq!(v.remove(&k), b.remove(&k)),
                    3 => {
                        *v.entry(k).or_default() += step;
                        *b.entry(k).or_default() += step;
                    }
                    4 => {
                        *v.entry(k).or_insert(7) += 1;
                        *b.entry(k).or_insert(7) += 1;
                    }
                    5 => {
                        v.retain(|key, val| !(*key as u32 + *val).is_multiple_of(3));
                        b.retain(|key, val| !(*key as u32 + *val).is_multiple_of(3));
                    }
                    6 => assert_eq!(v2.insert(k, step), b2.insert(k, step)),
                    7 | 8 => {
                        if let Some(x) = v.get_mut(&k) {
                            *x += 3;
                        }
                        if let Some(x) = b.get_mut(&k) {
                            *x += 3;
                        }
                    }
                    _ => assert_eq!(v.remove_entry(&k), b.remove_entry(&k)),
                }
                assert!(v.iter().eq(b.iter()));
                assert!(v.iter().rev().eq(b.iter().rev()));
                assert!(v.keys().eq(b.keys()) && v.values().eq(b.values()));
                assert_eq!(v.get(&k), b.get(&k));
                assert_eq!(v.contains_key(&k), b.contains_key(&k));
                assert_eq!(v.len(), b.len());
                assert_eq!(format!("{v:?}"), format!("{b:?}"));
                assert_eq!(serde_json::to_string(&v).unwrap(), serde_json::to_string(&b).unwrap());
                assert_eq!(hash_of(&v), hash_of(&b));
                assert_eq!(v.cmp(&v2), b.cmp(&b2));
                assert_eq!(v == v2, b == b2);
            }
            let back: VecMap<u8, u32> = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
            assert_eq!(back, v);
            let collected: VecMap<u8, u32> = b.iter().rev().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(collected, v);
        }
        // Of equal keys, the last value is kept, as `collect` into a B-tree keeps it.
        let m: VecMap<u8, &str> = [(1, "a"), (0, "b"), (1, "c")].into();
        let n: BTreeMap<u8, &str> = [(1, "a"), (0, "b"), (1, "c")].into();
        assert!(m.iter().eq(n.iter()));
    }

    /// The same for sets, with union, intersection, difference and the subset tests against
    /// `BTreeSet`'s.
    #[test]
    fn a_vec_set_answers_as_a_btree_set_does() {
        for seed in 0..40u64 {
            let mut rng = SimRng::new(seed, Stream::Engine);
            let (mut v, mut b) = (VecSet::new(), BTreeSet::new());
            let (mut w, mut c) = (VecSet::new(), BTreeSet::new());
            let range = 1 + seed % 30;
            for _ in 0..200 {
                let x = rng.below(range) as u16;
                match rng.below(6) {
                    0 | 1 => assert_eq!(v.insert(x), b.insert(x)),
                    2 => assert_eq!(v.remove(&x), b.remove(&x)),
                    3 => assert_eq!(w.insert(x), c.insert(x)),
                    4 => assert_eq!(w.remove(&x), c.remove(&x)),
                    _ => {
                        v.retain(|y| y % 4 != x % 4);
                        b.retain(|y| y % 4 != x % 4);
                    }
                }
                assert!(v.iter().eq(b.iter()));
                assert!(v.union(&w).eq(b.union(&c)));
                assert!(v.intersection(&w).eq(b.intersection(&c)));
                assert!(v.difference(&w).eq(b.difference(&c)));
                assert!(w.difference(&v).eq(c.difference(&b)));
                assert_eq!(v.is_subset(&w), b.is_subset(&c));
                assert_eq!(v.contains(&x), b.contains(&x));
                assert_eq!((v.first(), v.last()), (b.first(), b.last()));
                assert_eq!(format!("{v:?}"), format!("{b:?}"));
                assert_eq!(serde_json::to_string(&v).unwrap(), serde_json::to_string(&b).unwrap());
                assert_eq!(hash_of(&v), hash_of(&b));
                assert_eq!(v.cmp(&w), b.cmp(&c));
            }
            let back: VecSet<u16> = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
            assert_eq!(back, v);
        }
    }
}
