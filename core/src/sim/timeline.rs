//! The simulation's task queue: every controller's pending reconciles, by due time.

use crate::time::Millis;
use std::collections::{BTreeMap, VecDeque};

/// Items by due time; items due at the same instant come out in the order they were pushed.
///
/// This is the order of a min-heap on (time, push sequence), which the simulation used
/// before, kept exactly (the event trace depends on it). A heap pays a logarithm of the
/// whole queue, hundreds of thousands of tasks at scale, on every push and pop, walking cold
/// memory; most tasks are due now, and the instants ahead are few (timings are constants),
/// so a queue per instant does the same work with a lookup among those few instants.
pub struct Timeline<T> {
    instants: BTreeMap<Millis, VecDeque<T>>,
    /// Emptied queues kept for the next instant: an instant is opened and drained for almost
    /// every task run.
    spare: Vec<VecDeque<T>>,
}

impl<T> Default for Timeline<T> {
    fn default() -> Self {
        Timeline {
            instants: BTreeMap::new(),
            spare: Vec::new(),
        }
    }
}

impl<T> Timeline<T> {
    /// Queues `item` at `at`, after everything already queued at `at`.
    pub fn push(&mut self, at: Millis, item: T) {
        let spare = &mut self.spare;
        self.instants
            .entry(at)
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .push_back(item);
    }

    /// The earliest instant anything is due.
    pub fn next_at(&self) -> Option<Millis> {
        self.instants.first_key_value().map(|(at, _)| *at)
    }

    /// Takes the first item of the earliest instant.
    pub fn pop(&mut self) -> Option<(Millis, T)> {
        let mut first = self.instants.first_entry()?;
        let at = *first.key();
        let item = first.get_mut().pop_front();
        if first.get().is_empty() {
            let queue = first.remove();
            // A few are enough: instants open and close one or two at a time.
            if self.spare.len() < 8 {
                self.spare.push(queue);
            }
        }
        item.map(|item| (at, item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn earlier_instants_first_and_each_instant_in_push_order() {
        let mut t = Timeline::default();
        t.push(20, "c");
        t.push(10, "a");
        t.push(20, "d");
        t.push(10, "b");
        assert_eq!(t.next_at(), Some(10));
        let order: Vec<_> = std::iter::from_fn(|| t.pop()).collect();
        assert_eq!(order, [(10, "a"), (10, "b"), (20, "c"), (20, "d")]);
        assert_eq!(t.next_at(), None);
    }

    proptest! {
        /// Pushes and pops interleaved at random come out exactly as from a min-heap on
        /// (time, push sequence), the order the simulation's trace is pinned to.
        #[test]
        fn same_order_as_a_heap_on_time_then_sequence(
            ops in proptest::collection::vec(proptest::option::of(0u64..6), 0..200)
        ) {
            let mut timeline = Timeline::default();
            let mut heap = std::collections::BinaryHeap::new();
            for (seq, op) in ops.into_iter().enumerate() {
                match op {
                    Some(at) => {
                        timeline.push(at, seq);
                        heap.push(std::cmp::Reverse((at, seq)));
                    }
                    None => {
                        let want = heap.pop().map(|std::cmp::Reverse(x)| x);
                        prop_assert_eq!(timeline.pop(), want);
                    }
                }
                prop_assert_eq!(timeline.next_at(), heap.peek().map(|r| r.0 .0));
            }
        }
    }
}
