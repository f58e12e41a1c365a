//! Stable sorting through one shared, non-generic sort, to keep the page's wasm small.
//!
//! Every `slice::sort_by` instantiates std's stable sort (driftsort) afresh for its element type
//! and comparator: about 3.8 KB of wasm each, and the page had 45 of them (about 170 KB, 8 % of
//! its code). These functions sort a permutation of indices with a `dyn` comparator instead, so
//! std's sort is instantiated once, and each caller keeps only two small closures. The result is
//! exactly std's: a stable sort (equal elements keep their order) under the same comparator.
//! The cost is one `Vec<usize>` and an indirect call per comparison, which is noise beside what
//! the simulator's comparators do (compare strings, build keys).
//!
//! Collecting into a `BTreeMap` or `BTreeSet` stable-sorts the items first, so each
//! `collect()` into one is another driftsort instantiation: [`CollectOrdered`] inserts instead.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `v` stably by `cmp`, like [`slice::sort_by`].
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..v.len()).collect();
    {
        let items: &[T] = v;
        sort_indices(&mut order, &mut |a, b| cmp(&items[a], &items[b]));
    }
    permute(&mut order, &mut |a, b| v.swap(a, b));
}

/// Sorts `v` stably by the key `f` extracts, like [`slice::sort_by_key`] (the key is computed
/// at each comparison, as std does).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut f: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| f(a).cmp(&f(b)));
}

/// Sorts `v` stably in ascending order, like [`slice::sort`].
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// `collect()` into a `BTreeMap` or `BTreeSet` without std's `FromIterator`, which
/// stable-sorts the items first (one more sort instantiation per item type): these insert the
/// items in turn, building the same map or set.
pub trait CollectOrdered: Iterator + Sized {
    /// The map `collect()` would build: on a repeated key the later value wins. (`collect()`
    /// would also keep the later copy of the key and this keeps the first; the simulator's keys
    /// are strings, numbers and addresses, whose equal values are identical.)
    fn collect_map<K: Ord, V>(self) -> BTreeMap<K, V>
    where
        Self: Iterator<Item = (K, V)>,
    {
        let mut m = BTreeMap::new();
        for (k, v) in self {
            m.insert(k, v);
        }
        m
    }

    /// The set `collect()` would build (see [`CollectOrdered::collect_map`] about repeats).
    fn collect_set(self) -> BTreeSet<Self::Item>
    where
        Self::Item: Ord,
    {
        let mut s = BTreeSet::new();
        for x in self {
            s.insert(x);
        }
        s
    }
}

impl<I: Iterator> CollectOrdered for I {}

/// The one instantiation of std's stable sort: `order` (a permutation of indices) sorted by
/// what `cmp` says of the items those indices name.
#[inline(never)]
fn sort_indices(order: &mut [usize], cmp: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| cmp(a, b));
}

/// Moves the items so that position `i` holds the item that was at `order[i]`, by following
/// the permutation's cycles with `swap`; `order` is used up (left as the identity) on the way.
#[inline(never)]
fn permute(order: &mut [usize], swap: &mut dyn FnMut(usize, usize)) {
    for start in 0..order.len() {
        let mut at = start;
        // Each cycle is walked once: a finished position is marked by `order[at] == at`.
        while order[at] != at {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_keys_keep_their_order() {
        let mut v = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        sort_by_key(&mut v, |&(k, _)| k);
        assert_eq!(v, [(0, 'e'), (1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
    }

    #[test]
    fn short_slices_are_left_alone() {
        let mut empty: [u8; 0] = [];
        sort(&mut empty);
        let mut one = [7];
        sort(&mut one);
        assert_eq!(one, [7]);
    }

    #[test]
    fn maps_and_sets_equal_what_collect_builds() {
        let pairs = [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)];
        let map = pairs.into_iter().collect_map();
        assert_eq!(map, pairs.into_iter().collect::<BTreeMap<_, _>>());
        assert_eq!(map["b"], 3, "the later value of a repeated key wins");
        let items = [3, 1, 3, 2, 1];
        let set = items.into_iter().collect_set();
        assert_eq!(set, items.into_iter().collect::<BTreeSet<_>>());
    }

    proptest! {
        /// Same result as std's stable sort, ties included: only the first field is compared,
        /// so the second shows whether equal items kept their order.
        #[test]
        fn matches_std_stable_sort(mut v in proptest::collection::vec((0u8..6, any::<u16>()), 0..80)) {
            let mut want = v.clone();
            want.sort_by_key(|a| std::cmp::Reverse(a.0));
            sort_by(&mut v, |a, b| b.0.cmp(&a.0));
            prop_assert_eq!(v, want);
        }

        #[test]
        fn sorts_like_std(mut v in proptest::collection::vec(any::<i32>(), 0..80)) {
            let mut want = v.clone();
            want.sort();
            sort(&mut v);
            prop_assert_eq!(v, want);
        }
    }
}
