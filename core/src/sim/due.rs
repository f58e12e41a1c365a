//! When each controller's key is due: the work queue's dedup ("a key scheduled twice keeps the
//! earlier time") without a hash lookup when a task runs.
//!
//! Each `(controller, key)` gets a slot the first time it is scheduled and keeps it while it is
//! known; a task carries its slot, so running it reads one array entry instead of probing a
//! table of every pending key (at scale a cache miss on the key and one on the table, for
//! every reconcile). Slots of keys with nothing due are recycled when the table has grown to
//! twice what is due, with a new generation, so a stale task naming a recycled slot never
//! runs.

use crate::apiserver::ObjectKey;
use crate::time::Millis;
use rustc_hash::FxHashMap;

/// A scheduled reconcile's claim on its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    slot: u32,
    generation: u32,
}

#[derive(Clone, Copy)]
struct Slot {
    /// When the key is due, if it is.
    due: Option<Millis>,
    generation: u32,
}

/// The due time of every `(controller, key)` with a reconcile pending.
#[derive(Default)]
pub struct DueTimes {
    slots_of: FxHashMap<(usize, ObjectKey), u32>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Slots with a due time.
    pending: usize,
}

impl DueTimes {
    /// Schedules `key` of `controller` at `at` unless it is already due at or before `at`;
    /// returns the ticket for the new task, or `None` when no task is needed.
    pub fn schedule(&mut self, controller: usize, key: &ObjectKey, at: Millis) -> Option<Ticket> {
        if self.slots_of.len() >= 1024 && self.slots_of.len() >= 2 * self.pending {
            self.recycle();
        }
        let (slots, free) = (&mut self.slots, &mut self.free);
        let slot = *self
            .slots_of
            .entry((controller, key.clone()))
            .or_insert_with(|| match free.pop() {
                Some(slot) => slot,
                None => {
                    slots.push(Slot {
                        due: None,
                        generation: 0,
                    });
                    (slots.len() - 1) as u32
                }
            });
        let s = &mut self.slots[slot as usize];
        match s.due {
            Some(due) if due <= at => return None,
            Some(_) => {}
            None => self.pending += 1,
        }
        s.due = Some(at);
        Some(Ticket {
            slot,
            generation: s.generation,
        })
    }

    /// Whether the task holding `ticket`, due at `due`, is the key's current schedule (not
    /// superseded by an earlier one); if so the key is no longer due.
    pub fn take(&mut self, ticket: Ticket, due: Millis) -> bool {
        match self.slots.get_mut(ticket.slot as usize) {
            Some(s) if s.generation == ticket.generation && s.due == Some(due) => {
                s.due = None;
                self.pending -= 1;
                true
            }
            _ => false,
        }
    }

    /// Frees the slots of keys with nothing due (deleted objects' keys would otherwise stay
    /// forever). A new generation voids the tickets of superseded tasks still queued.
    fn recycle(&mut self) {
        let (slots, free) = (&mut self.slots, &mut self.free);
        self.slots_of.retain(|_, &mut slot| {
            let s = &mut slots[slot as usize];
            if s.due.is_some() {
                return true;
            }
            s.generation = s.generation.wrapping_add(1);
            free.push(slot);
            false
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> ObjectKey {
        ObjectKey::new("default", name)
    }

    #[test]
    fn a_key_keeps_its_earliest_due_time() {
        let mut d = DueTimes::default();
        let first = d.schedule(0, &key("a"), 10).expect("new");
        assert_eq!(
            d.schedule(0, &key("a"), 20),
            None,
            "later: already due sooner"
        );
        assert_eq!(d.schedule(0, &key("a"), 10), None, "same time");
        let sooner = d.schedule(0, &key("a"), 5).expect("sooner supersedes");
        assert!(
            d.schedule(1, &key("a"), 20).is_some(),
            "another controller's key"
        );
        assert!(d.take(sooner, 5));
        assert!(!d.take(first, 10), "superseded");
        assert!(!d.take(sooner, 5), "taken once");
    }

    /// The old task of a key rescheduled after it ran runs in place of the new one, exactly
    /// once, as with a map of due times.
    #[test]
    fn a_task_due_at_the_keys_time_runs_once() {
        let mut d = DueTimes::default();
        let late = d.schedule(0, &key("a"), 10).expect("new");
        let early = d.schedule(0, &key("a"), 5).expect("sooner");
        assert!(d.take(early, 5));
        let again = d.schedule(0, &key("a"), 10).expect("due again");
        assert!(d.take(late, 10), "the first task at 10 runs");
        assert!(!d.take(again, 10), "and the second one does not");
    }

    #[test]
    fn recycled_slots_void_stale_tickets() {
        let mut d = DueTimes::default();
        let stale = d.schedule(0, &key("old"), 50).expect("new");
        let early = d.schedule(0, &key("old"), 1).expect("sooner");
        assert!(d.take(early, 1));
        // Enough keys come and go for the table to be recycled.
        for i in 0..5_000 {
            let t = d.schedule(0, &key(&format!("k{i}")), 2).expect("new");
            assert!(d.take(t, 2));
        }
        assert!(d.slots_of.len() < 2_100, "recycled: {}", d.slots_of.len());
        // The key that now holds the old slot runs; the stale task does not run for it.
        let reused = (0..)
            .map(|i| d.schedule(0, &key(&format!("new{i}")), 50).expect("new"))
            .find(|t| t.slot == stale.slot)
            .expect("the slot is handed out again");
        assert!(!d.take(stale, 50));
        assert!(d.take(reused, 50));
    }
}
