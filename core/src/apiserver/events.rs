//! Event recording: the server side of the controllers' and kubelets' event recorders.
//!
//! An Event is written like any object (resourceVersion, trace) but nothing watches Events and
//! they carry no labels, owners or UID, so their bookkeeping is kept apart and lean: the
//! recorder runs several times per pod, and at scale nearly every new Event evicts the oldest
//! one (the live-Event cap), so both paths must cost little.
//!
//! Each recorded Event gets a sequence number (creation order). One ordered map from that
//! number holds what the recorder needs: the Event as first recorded (its key, and the four
//! parts of its aggregation key), and when it expires. The cap evicts the first entry; the
//! expiry queue and the aggregation index refer to entries by number, so no object key or
//! aggregation key is ever copied.

use super::*;
use crate::api::core::EventSource;
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};

/// The recorder's bookkeeping of the Events it wrote.
#[derive(Clone, Debug, Default)]
pub(super) struct EventLog {
    /// Recorded Events by sequence number, oldest first: the cap evicts from the front.
    recorded: BTreeMap<u64, Recorded>,
    /// `(expiry time, sequence number)` in the order the times were set; an entry whose
    /// Event was updated since is stale (the Event's `expires` is later).
    expiry: VecDeque<(Millis, u64)>,
    /// Aggregation key hash to the Events recorded under it.
    index: AggIndex,
    /// The last sequence number handed out (also part of new Events' names).
    seq: u64,
}

/// One Event the recorder wrote.
#[derive(Clone, Debug)]
struct Recorded {
    /// The Event as first recorded. Its key and aggregation key stay these even if the
    /// stored Event is edited through the API, as the recorder's cache is keyed on what it
    /// recorded.
    first: Arc<Event>,
    /// Its last update plus the TTL.
    expires: Millis,
    /// The hash of its aggregation key.
    agg: u64,
    /// Whether the aggregation index still leads to it (not once it was deleted through the
    /// API and recorded anew).
    indexed: bool,
}

impl Recorded {
    /// Whether this was recorded under the aggregation key `parts`.
    fn has_key(&self, parts: [&str; 4]) -> bool {
        let e = &self.first;
        [
            e.involved_object.uid.as_str(),
            e.involved_object.name.as_str(),
            &e.reason,
            e.message.as_str(),
        ] == parts
    }
}

/// A hash of an aggregation key (the involved object's UID and name, the reason, the message).
fn agg_hash(parts: [&str; 4]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    parts.hash(&mut h);
    h.finish()
}

/// Aggregation key hashes to sequence numbers. Keys are compared in full on every hit (against
/// the recorded Event), so a hash collision costs a second slot, never a wrong aggregation.
#[derive(Clone, Debug, Default)]
struct AggIndex {
    first: HashMap<u64, u64>,
    /// Further entries whose hash is already in `first` (practically always empty).
    more: Vec<(u64, u64)>,
}

impl AggIndex {
    fn find(&self, hash: u64, mut is: impl FnMut(u64) -> bool) -> Option<u64> {
        let first = *self.first.get(&hash)?;
        if is(first) {
            return Some(first);
        }
        self.more
            .iter()
            .filter(|(h, _)| *h == hash)
            .map(|&(_, seq)| seq)
            .find(|&seq| is(seq))
    }

    fn insert(&mut self, hash: u64, seq: u64) {
        match self.first.entry(hash) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(seq);
            }
            std::collections::hash_map::Entry::Occupied(_) => self.more.push((hash, seq)),
        }
    }

    fn remove(&mut self, hash: u64, seq: u64) {
        if self.first.get(&hash) == Some(&seq) {
            self.first.remove(&hash);
            if let Some(i) = self.more.iter().position(|(h, _)| *h == hash) {
                let (_, next) = self.more.swap_remove(i);
                self.first.insert(hash, next);
            }
        } else if let Some(i) = self.more.iter().position(|e| *e == (hash, seq)) {
            self.more.swap_remove(i);
        }
    }
}

impl ApiServer {
    /// Records an Event like the controllers' event recorders do: repeated events about the same
    /// object with the same reason and message are aggregated (count, lastTimestamp).
    pub fn record_event(
        &mut self,
        involved: ObjectReference,
        type_: &'static str,
        reason: &'static str,
        message: String,
        component: &'static str,
        host: Option<&str>,
    ) {
        let now = to_time(self.now);
        let parts = [
            involved.uid.as_str(),
            involved.name.as_str(),
            reason,
            message.as_str(),
        ];
        let agg = agg_hash(parts);
        let log = &self.event_log;
        if let Some(seq) = log.index.find(agg, |seq| {
            log.recorded.get(&seq).is_some_and(|r| r.has_key(parts))
        }) {
            if self.aggregate(seq, now) {
                return;
            }
            // Deleted through the API: the key starts a new Event. The old entry stays until
            // the cap or its expiry, which remove nothing any more.
            self.event_log.index.remove(agg, seq);
            if let Some(r) = self.event_log.recorded.get_mut(&seq) {
                r.indexed = false;
            }
        }
        self.event_log.seq += 1;
        let seq = self.event_log.seq;
        let name = format!("{}.{:016x}", involved.name, (self.now << 20) + seq);
        let namespace = if involved.namespace.is_empty() {
            "default".to_string()
        } else {
            involved.namespace.clone()
        };
        let rv = self.next_rv();
        let mut ev = Event {
            involved_object: involved,
            reason: reason.into(),
            message,
            source: EventSource {
                component: Some(component.into()),
                host: host.map(str::to_string),
            },
            first_timestamp: Some(now),
            last_timestamp: Some(now),
            count: 1,
            type_: type_.into(),
            ..Default::default()
        };
        ev.metadata.name = name;
        ev.metadata.namespace = namespace;
        ev.metadata.creation_timestamp = Some(now);
        ev.metadata.resource_version = rv.to_string();
        ev.set_type_meta();
        let arc = Arc::new(ev);
        self.events.put(arc.clone());
        self.trace_event(WatchEventType::Added, &arc);
        let expires = self.now.saturating_add(self.config.event_ttl_ms);
        let log = &mut self.event_log;
        log.expiry.push_back((expires, seq));
        log.index.insert(agg, seq);
        log.recorded.insert(
            seq,
            Recorded {
                first: arc,
                expires,
                agg,
                indexed: true,
            },
        );
        while self.events.len() > self.config.max_events {
            let Some((seq, oldest)) = self.event_log.recorded.pop_first() else {
                break;
            };
            self.forget_event(seq, oldest);
        }
    }

    /// Counts one more occurrence of the recorded Event `seq` if it is still stored; false if
    /// it is gone.
    fn aggregate(&mut self, seq: u64, now: crate::time::Time) -> bool {
        let Some(r) = self.event_log.recorded.get(&seq) else {
            return false;
        };
        let m = &r.first.metadata;
        let Some(old) = self.events.get_by_name(&m.namespace, &m.name) else {
            return false;
        };
        let mut ev = (**old).clone();
        ev.count += 1;
        ev.last_timestamp = Some(now);
        let rv = self.next_rv();
        ev.metadata.resource_version = rv.to_string();
        let arc = Arc::new(ev);
        self.events.put(arc.clone());
        self.trace_event(WatchEventType::Modified, &arc);
        let expires = self.now.saturating_add(self.config.event_ttl_ms);
        if let Some(r) = self.event_log.recorded.get_mut(&seq) {
            r.expires = expires;
        }
        self.event_log.expiry.push_back((expires, seq));
        true
    }

    /// Folds an Event's write into the trace as [`ApiServer::emit`] does (nothing watches
    /// Events, so there is no watch event to queue).
    fn trace_event(&mut self, type_: WatchEventType, ev: &Arc<Event>) {
        let rv = self.resource_version;
        let m = &ev.metadata;
        self.record_trace(
            type_.as_str(),
            Kind::Event,
            &m.namespace,
            &m.name,
            rv,
            Some(&**ev),
        );
    }

    /// Deletes the Events whose TTL has run out by now (as etcd's lease expiry does).
    pub fn expire_events(&mut self) {
        let now = self.now;
        while let Some(&(at, seq)) = self.event_log.expiry.front() {
            if at > now {
                break;
            }
            self.event_log.expiry.pop_front();
            if self
                .event_log
                .recorded
                .get(&seq)
                .is_some_and(|r| r.expires == at)
            {
                if let Some(r) = self.event_log.recorded.remove(&seq) {
                    self.forget_event(seq, r);
                }
            }
        }
    }

    /// Removes a recorded Event (evicted or expired) from the store and the index.
    fn forget_event(&mut self, seq: u64, r: Recorded) {
        let m = &r.first.metadata;
        self.events.remove_by_name(&m.namespace, &m.name);
        if r.indexed {
            self.event_log.index.remove(r.agg, seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::AggIndex;
    use crate::api::core::Pod;

    /// An API server with pods `a`, `b`, `c`, `d` and at most `cap` Events.
    fn api_with_pods(cap: usize) -> ApiServer {
        let mut api = ApiServer::new(7);
        api.config.max_events = cap;
        for name in ["a", "b", "c", "d"] {
            let mut p = Pod::default();
            p.metadata.name = name.into();
            p.spec.containers = vec![crate::api::core::Container {
                name: "c".into(),
                image: "nginx".into(),
                ..Default::default()
            }]
            .into();
            api.create(p).unwrap();
        }
        api
    }

    fn record(api: &mut ApiServer, pod: &str, reason: &'static str, message: &str) {
        let p = api.get::<Pod>("default", pod).unwrap();
        api.record_event(
            object_ref(&*p),
            "Normal",
            reason,
            message.to_string(),
            "kubelet",
            Some("node-1"),
        );
    }

    /// `(involved object, reason, count, first seen s, last seen s)` of every Event, by name.
    fn listed(api: &ApiServer) -> Vec<(String, String, i32, i64, i64)> {
        api.events
            .iter()
            .map(|e| {
                let secs =
                    |t: Option<crate::time::Time>| t.map_or(-1, |t| (t.virtual_ms() / 1000) as i64);
                (
                    e.involved_object.name.clone(),
                    e.reason.to_string(),
                    e.count,
                    secs(e.first_timestamp),
                    secs(e.last_timestamp),
                )
            })
            .collect()
    }

    fn row(
        pod: &str,
        reason: &str,
        count: i32,
        first: i64,
        last: i64,
    ) -> (String, String, i32, i64, i64) {
        (pod.into(), reason.into(), count, first, last)
    }

    #[test]
    fn a_new_event_is_stamped_like_the_recorder_does() {
        let mut api = api_with_pods(10);
        api.now = 5_000;
        let rv = api.resource_version();
        record(&mut api, "a", "Pulled", "pulled");
        let e = api.events.iter().next().unwrap().clone();
        assert_eq!(e.metadata.namespace, "default");
        assert_eq!(e.metadata.name, format!("a.{:016x}", (5_000u64 << 20) + 1));
        assert_eq!(e.metadata.resource_version, (rv + 1).to_string());
        assert_eq!(e.api_version, "v1");
        assert_eq!(e.kind, "Event");
        assert_eq!(e.type_, "Normal");
        assert_eq!(e.reason, "Pulled");
        assert_eq!(e.message, "pulled");
        assert_eq!(e.source.component.as_deref(), Some("kubelet"));
        assert_eq!(e.source.host.as_deref(), Some("node-1"));
        assert_eq!(e.count, 1);
        assert_eq!(e.first_timestamp, e.last_timestamp);
        assert_eq!(e.metadata.creation_timestamp, e.first_timestamp);
        assert_eq!(e.involved_object.kind, "Pod");
    }

    #[test]
    fn an_identical_event_on_the_same_object_is_aggregated() {
        let mut api = api_with_pods(10);
        record(&mut api, "a", "Pulled", "pulled");
        let name = api.events.iter().next().unwrap().metadata.name.clone();
        api.now = 3_000;
        let rv = api.resource_version();
        record(&mut api, "a", "Pulled", "pulled");
        let e = api.events.iter().next().unwrap().clone();
        assert_eq!(api.events.len(), 1);
        assert_eq!(e.metadata.name, name, "the same Event, not a new one");
        assert_eq!(e.metadata.resource_version, (rv + 1).to_string());
        assert_eq!(listed(&api), [row("a", "Pulled", 2, 0, 3)]);
    }

    #[test]
    fn events_differing_in_object_reason_or_message_are_kept_apart() {
        let mut api = api_with_pods(10);
        // (pod, reason, message): each differs from the first in one part of the key.
        let cases = [
            ("a", "Pulled", "pulled"),
            ("b", "Pulled", "pulled"),
            ("a", "Created", "pulled"),
            ("a", "Pulled", "other"),
        ];
        for (pod, reason, message) in cases {
            record(&mut api, pod, reason, message);
        }
        assert_eq!(api.events.len(), cases.len());
        assert!(api.events.iter().all(|e| e.count == 1));
    }

    #[test]
    fn the_cap_evicts_the_oldest_created_event_even_if_it_was_aggregated_since() {
        let mut api = api_with_pods(3);
        for (at, pod) in [(0, "a"), (1_000, "b"), (2_000, "c")] {
            api.now = at;
            record(&mut api, pod, "Pulled", "pulled");
        }
        api.now = 3_000;
        record(&mut api, "a", "Pulled", "pulled");
        api.now = 4_000;
        record(&mut api, "d", "Pulled", "pulled");
        let mut left = listed(&api);
        left.sort();
        assert_eq!(
            left,
            [
                row("b", "Pulled", 1, 1, 1),
                row("c", "Pulled", 1, 2, 2),
                row("d", "Pulled", 1, 4, 4),
            ]
        );
        // The evicted Event's key is free again: the same event starts a new Event.
        api.now = 5_000;
        record(&mut api, "a", "Pulled", "pulled");
        let mut left = listed(&api);
        left.sort();
        assert_eq!(
            left,
            [
                row("a", "Pulled", 1, 5, 5),
                row("c", "Pulled", 1, 2, 2),
                row("d", "Pulled", 1, 4, 4),
            ]
        );
    }

    #[test]
    fn aggregating_adds_no_event_so_the_cap_evicts_nothing() {
        let mut api = api_with_pods(2);
        for at in [0, 1_000, 2_000, 3_000] {
            api.now = at;
            record(&mut api, "a", "Pulled", "pulled");
        }
        record(&mut api, "b", "Pulled", "pulled");
        let mut left = listed(&api);
        left.sort();
        assert_eq!(
            left,
            [row("a", "Pulled", 4, 0, 3), row("b", "Pulled", 1, 3, 3)]
        );
    }

    #[test]
    fn an_event_expires_an_hour_after_its_last_update() {
        let mut api = api_with_pods(10);
        let hour = api.config.event_ttl_ms;
        record(&mut api, "a", "Pulled", "pulled");
        record(&mut api, "b", "Pulled", "pulled");
        api.now = hour / 2;
        record(&mut api, "a", "Pulled", "pulled");
        api.now = hour;
        api.expire_events();
        assert_eq!(listed(&api), [row("a", "Pulled", 2, 0, 1800)]);
        api.now = hour + hour / 2 - 1;
        api.expire_events();
        assert_eq!(api.events.len(), 1, "still within the hour of its update");
        api.now = hour + hour / 2;
        api.expire_events();
        assert!(api.events.is_empty());
        // Expired, its key starts afresh.
        record(&mut api, "a", "Pulled", "pulled");
        assert_eq!(listed(&api), [row("a", "Pulled", 1, 5400, 5400)]);
    }

    #[test]
    fn an_event_deleted_through_the_api_is_recorded_anew() {
        let mut api = api_with_pods(10);
        record(&mut api, "a", "Pulled", "pulled");
        let name = api.events.iter().next().unwrap().metadata.name.clone();
        api.delete::<Event>("default", &name, DeleteOptions::default())
            .unwrap();
        api.now = 1_000;
        record(&mut api, "a", "Pulled", "pulled");
        assert_eq!(listed(&api), [row("a", "Pulled", 1, 1, 1)]);
        assert_ne!(api.events.iter().next().unwrap().metadata.name, name);
        // The stale bookkeeping of the deleted one evicts and expires nothing else.
        api.now = api.config.event_ttl_ms;
        api.expire_events();
        assert_eq!(api.events.len(), 1);
    }

    #[test]
    fn an_event_edited_through_the_api_still_aggregates_under_its_recorded_key() {
        let mut api = api_with_pods(10);
        record(&mut api, "a", "Pulled", "pulled");
        let name = api.events.iter().next().unwrap().metadata.name.clone();
        api.modify::<Event>("default", &name, |e| e.message = "edited".into())
            .unwrap();
        record(&mut api, "a", "Pulled", "pulled");
        let e = api.events.iter().next().unwrap().clone();
        assert_eq!((api.events.len(), e.count), (1, 2));
        assert_eq!(e.message, "edited");
        // The edited message is not a key of its own.
        record(&mut api, "a", "Pulled", "edited");
        assert_eq!(api.events.len(), 2);
    }

    #[test]
    fn colliding_aggregation_hashes_keep_every_event_findable() {
        // Three recorded Events under one hash (a collision): each is found by its own key,
        // and removing any one leaves the others findable.
        for removed in [1, 2, 3] {
            let mut index = AggIndex::default();
            for seq in [1, 2, 3] {
                index.insert(42, seq);
            }
            index.insert(7, 4);
            for seq in [1, 2, 3] {
                assert_eq!(index.find(42, |s| s == seq), Some(seq));
            }
            index.remove(42, removed);
            for seq in [1, 2, 3] {
                let want = (seq != removed).then_some(seq);
                assert_eq!(index.find(42, |s| s == seq), want, "removed {removed}");
            }
            assert_eq!(index.find(7, |s| s == 4), Some(4));
            assert_eq!(index.find(9, |_| true), None);
        }
    }
}
