//! Event recording: the server side of the controllers' and kubelets' event recorders.
//!
//! An Event is written like any object (resourceVersion, trace) but nothing watches Events and
//! they carry no labels, owners or UID, so their bookkeeping is kept apart and lean: the
//! recorder runs several times per pod, and at scale nearly every new Event evicts the oldest
//! one (the live-Event cap), so both paths must cost little.
//!
//! Each recorded Event gets a sequence number (creation order). One ordered map from that
//! number holds what the recorder needs: the Event (its key, and the four parts of its
//! aggregation key), and when it expires. The cap evicts the first entry; the expiry queue and
//! the aggregation index refer to entries by number, so no object key or aggregation key is
//! ever copied.
//!
//! Inside a `Sim` run the recorder does not build Event objects at all: a recorded Event stays
//! a [`Draft`] (its parts, count, last time and resourceVersion) until the run returns and
//! [`ApiServer::end_event_batch`] stores the drafts still alive. At scale almost every Event is
//! evicted by the cap within the run that recorded it, so it never costs an object, a name or
//! a store write. Everything observable is as if each Event had been stored when recorded:
//! resourceVersions and the trace are taken at recording time, the cap counts drafts with the
//! stored Events, and every way to the Event store from outside a run sees it complete (the
//! store is private; writes of Events through the API store the drafts first).
//!
//! A draft's message is an [`EventMessage`]: the hot recorders hand over a template and its
//! shared arguments, so the text of an Event the cap evicts is never formatted. Aggregation
//! hashes the text streamed from the template and compares texts piece by piece, so a
//! message aggregates with the same text in any form.

use super::*;
use crate::api::core::EventSource;
use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

/// The recorder's bookkeeping of the Events it wrote.
#[derive(Clone, Debug, Default)]
pub(super) struct EventLog {
    /// Recorded Events by sequence number, oldest first: the cap evicts from the front.
    recorded: SeqLog<Recorded>,
    /// `(expiry time, sequence number)` in the order the times were set; an entry whose
    /// Event was updated since is stale (the Event's `expires` is later).
    expiry: VecDeque<(Millis, u64)>,
    /// Aggregation key hash to the Events recorded under it.
    index: AggIndex,
    /// The last sequence number handed out (also part of new Events' names).
    seq: u64,
    /// How many recorded Events are drafts (not in the store). Drafts are always the newest
    /// entries: every flush stores them all.
    drafts: usize,
    /// No entry before this sequence number is a draft.
    drafts_from: u64,
    /// Inside a batch (a `Sim` run) drafts wait for [`ApiServer::end_event_batch`]; outside
    /// one each Event is stored as it is recorded.
    batching: bool,
    /// Test switch: batches store every Event at once (the eager reference).
    #[cfg(test)]
    eager: bool,
    /// Reused buffer for a draft's namespace and name (the trace hashes them).
    scratch: String,
}

/// Values under consecutive sequence numbers, oldest first: a ring of slots, since numbers
/// are handed out in order and mostly leave from the front (the cap). An entry removed from
/// the middle (expired early: Events expire in the order of their last update) leaves an empty
/// slot until the entries before it are gone.
#[derive(Clone, Debug)]
struct SeqLog<T> {
    /// The number of the front slot.
    first: u64,
    slots: VecDeque<Option<T>>,
}

impl<T> Default for SeqLog<T> {
    fn default() -> Self {
        SeqLog {
            first: 0,
            slots: VecDeque::new(),
        }
    }
}

impl<T> SeqLog<T> {
    fn slot(&self, seq: u64) -> Option<usize> {
        usize::try_from(seq.checked_sub(self.first)?).ok()
    }

    fn get(&self, seq: &u64) -> Option<&T> {
        self.slots.get(self.slot(*seq)?)?.as_ref()
    }

    fn get_mut(&mut self, seq: &u64) -> Option<&mut T> {
        let i = self.slot(*seq)?;
        self.slots.get_mut(i)?.as_mut()
    }

    /// Adds `value` under `seq`, which must be above every number added before.
    fn insert(&mut self, seq: u64, value: T) {
        if self.slots.is_empty() {
            self.first = seq;
        }
        // Numbers skipped (none are, today) leave empty slots.
        while self.first + (self.slots.len() as u64) < seq {
            self.slots.push_back(None);
        }
        if self.first + (self.slots.len() as u64) == seq {
            self.slots.push_back(Some(value));
        }
    }

    /// Removes and returns the oldest entry.
    fn pop_first(&mut self) -> Option<(u64, T)> {
        while let Some(slot) = self.slots.pop_front() {
            let seq = self.first;
            self.first += 1;
            if let Some(v) = slot {
                return Some((seq, v));
            }
        }
        None
    }

    fn remove(&mut self, seq: &u64) -> Option<T> {
        let i = self.slot(*seq)?;
        let v = self.slots.get_mut(i)?.take()?;
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.first += 1;
        }
        Some(v)
    }

    /// The entries numbered `from` and above, oldest first.
    fn values_mut_from(&mut self, from: u64) -> impl Iterator<Item = &mut T> {
        let skip = usize::try_from(from.saturating_sub(self.first)).unwrap_or(usize::MAX);
        self.slots.iter_mut().skip(skip).flatten()
    }
}

/// One Event the recorder wrote.
#[derive(Clone, Debug)]
struct Recorded {
    /// The Event, as a draft or as stored.
    state: State,
    /// Its last update plus the TTL.
    expires: Millis,
    /// The hash of its aggregation key.
    agg: u64,
    /// Whether the aggregation index still leads to it (not once it was deleted through the
    /// API and recorded anew).
    indexed: bool,
}

// Drafts are inline: at scale nearly every entry is a draft, and boxing one would cost an
// allocation per Event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum State {
    /// Recorded in the current batch, not built yet.
    Draft(Draft),
    /// The Event as the recorder stored it. Its key and aggregation key stay these even if
    /// the stored Event is edited through the API, as the recorder's cache is keyed on what it
    /// recorded.
    Stored(Rc<Event>),
}

/// What an Event is built from: everything but the strings derived from these parts.
#[derive(Clone, Debug)]
struct Draft {
    involved: Involved,
    type_: &'static str,
    reason: &'static str,
    component: &'static str,
    host: Option<SharedStr>,
    /// Rendered only if the Event is built.
    message: EventMessage,
    /// The name's suffix: the recording time and sequence number.
    stamp: u64,
    /// Recording time (first timestamp, creation timestamp).
    first: Millis,
    /// Last occurrence.
    last: Millis,
    count: i32,
    resource_version: u64,
}

/// Which part of the involved object an Event is about (its `involvedObject.fieldPath`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldPath {
    /// The whole object (no field path).
    Whole,
    /// The pod's container at this index of `spec.containers`: `spec.containers{<name>}`
    /// (no field path if the object is not a pod or has no such container).
    Container(usize),
}

/// The object an Event is about.
#[derive(Clone, Debug)]
enum Involved {
    /// A reference the caller built.
    Ref(ObjectReference),
    /// The object itself (a shared copy of the version the Event is about): its reference is
    /// built only if the Event is.
    Object(Object, FieldPath),
}

impl Involved {
    fn meta_parts(&self) -> (&str, &str, &str) {
        match self {
            Involved::Ref(r) => (&r.namespace, &r.name, &r.uid),
            Involved::Object(o, _) => {
                let m = o.meta();
                (&m.namespace, &m.name, &m.uid)
            }
        }
    }
    fn name(&self) -> &str {
        self.meta_parts().1
    }
    fn uid(&self) -> &str {
        self.meta_parts().2
    }

    /// The `involvedObject`, as [`object_ref`] and the field path make it.
    fn take_ref(&mut self) -> ObjectReference {
        match self {
            Involved::Ref(r) => std::mem::take(r),
            Involved::Object(o, path) => {
                let mut r = reference_to(o.kind(), o.meta());
                if let (Object::Pod(p), FieldPath::Container(i)) = (&*o, *path) {
                    if let Some(c) = p.spec.containers.get(i) {
                        r.field_path = format!("spec.containers{{{}}}", c.name);
                    }
                }
                r
            }
        }
    }
}

impl Draft {
    /// The namespace the Event is stored in.
    fn namespace(&self) -> &str {
        match self.involved.meta_parts().0 {
            "" => "default",
            ns => ns,
        }
    }

    /// Appends the Event's name (`<involved name>.<stamp as 16 hex digits>`).
    fn write_name(&self, out: &mut String) {
        out.push_str(self.involved.name());
        out.push('.');
        push_hex16(out, self.stamp);
    }

    /// The Event object (a copy: for the trace).
    fn build(&self) -> Event {
        self.clone().take_event()
    }

    /// The Event object, taking the draft's strings (the draft is left hollow: it is
    /// replaced by what it built).
    fn take_event(&mut self) -> Event {
        let first = to_time(self.first);
        let mut ev = Event {
            reason: self.reason.into(),
            source: EventSource {
                component: Some(self.component.into()),
                host: self.host.as_deref().map(str::to_string),
            },
            first_timestamp: Some(first),
            last_timestamp: Some(to_time(self.last)),
            count: self.count,
            type_: self.type_.into(),
            ..Default::default()
        };
        let mut name = String::new();
        self.write_name(&mut name);
        ev.metadata.name = name.into();
        ev.metadata.namespace = self.namespace().into();
        ev.metadata.creation_timestamp = Some(first);
        ev.metadata.resource_version = self.resource_version.into();
        ev.involved_object = self.involved.take_ref();
        ev.message = std::mem::replace(&mut self.message, EventMessage::from("")).into_string();
        ev.set_type_meta();
        ev
    }
}

impl Recorded {
    /// Whether this was recorded under the aggregation key `parts` and `message`.
    fn has_key(&self, parts: [&str; 3], message: &EventMessage) -> bool {
        match &self.state {
            State::Draft(d) => {
                [d.involved.uid(), d.involved.name(), d.reason] == parts
                    && d.message.same_text(message)
            }
            State::Stored(e) => {
                [
                    e.involved_object.uid.as_str(),
                    e.involved_object.name.as_str(),
                    &e.reason,
                ] == parts
                    && message.text_is(&e.message)
            }
        }
    }
}

/// Appends `n` as 16 lowercase hex digits (`{:016x}`): every recorded Event's name is
/// written for the trace, and the formatting machinery was a visible share of that.
fn push_hex16(out: &mut String, n: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 16];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = DIGITS[(n >> (60 - 4 * i)) as usize & 0xf];
    }
    // Hex digits are ASCII.
    out.extend(buf.iter().map(|&b| b as char));
}

/// A hash of an aggregation key (the involved object's UID and name, the reason, the
/// message's text: streamed, so every form of one text hashes alike).
fn agg_hash(parts: [&str; 3], message: &EventMessage) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    parts.hash(&mut h);
    message.hash_text(&mut h);
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
    /// The Events. Complete whenever no `Sim` run is in progress (a run stores the Events it
    /// recorded before it returns, and nothing outside the `Sim` can reach the API server
    /// during one).
    pub fn events(&self) -> &Store<Event> {
        debug_assert_eq!(self.event_log.drafts, 0, "Events read during a batch");
        &self.events
    }

    /// Starts a batch: Events recorded from now on are stored by
    /// [`ApiServer::end_event_batch`] (those still alive then), not as they are recorded.
    pub(crate) fn begin_event_batch(&mut self) {
        #[cfg(test)]
        if self.event_log.eager {
            return;
        }
        self.event_log.batching = true;
    }

    /// Ends a batch: stores the Events recorded in it that are still alive.
    pub(crate) fn end_event_batch(&mut self) {
        self.event_log.batching = false;
        self.flush_events();
    }

    /// Test switch: batches store each Event as it is recorded (the reference the batched
    /// recorder must equal).
    #[cfg(test)]
    pub(crate) fn record_events_eagerly(&mut self) {
        self.event_log.eager = true;
    }

    /// Stores every draft. Called before anything reads or writes the Event store through
    /// `&mut self`, so only the recorder itself ever sees drafts.
    pub(super) fn flush_events(&mut self) {
        let log = &mut self.event_log;
        if log.drafts == 0 {
            return;
        }
        for r in log.recorded.values_mut_from(log.drafts_from) {
            if let State::Draft(d) = &mut r.state {
                let ev = Rc::new(d.take_event());
                self.events.put(ev.clone());
                r.state = State::Stored(ev);
            }
        }
        log.drafts = 0;
        log.drafts_from = log.seq + 1;
    }

    /// Records an Event like the controllers' event recorders do: repeated events about the same
    /// object with the same reason and message are aggregated (count, lastTimestamp).
    pub fn record_event(
        &mut self,
        involved: ObjectReference,
        type_: &'static str,
        reason: &'static str,
        message: EventMessage,
        component: &'static str,
        host: Option<SharedStr>,
    ) {
        let involved = Involved::Ref(involved);
        self.record(involved, type_, reason, message, component, host);
    }

    /// [`ApiServer::record_event`] about `obj` (the version the Event is about), its
    /// `involvedObject` being [`object_ref`] of it with `field_path`. Costs no copy of the
    /// object's strings unless the Event outlives the batch that recorded it.
    #[allow(clippy::too_many_arguments)]
    pub fn record_event_about<T: Resource>(
        &mut self,
        obj: &Rc<T>,
        field_path: FieldPath,
        type_: &'static str,
        reason: &'static str,
        message: EventMessage,
        component: &'static str,
        host: Option<SharedStr>,
    ) {
        let involved = Involved::Object(T::into_object(obj.clone()), field_path);
        self.record(involved, type_, reason, message, component, host);
    }

    fn record(
        &mut self,
        involved: Involved,
        type_: &'static str,
        reason: &'static str,
        message: EventMessage,
        component: &'static str,
        host: Option<SharedStr>,
    ) {
        let parts = [involved.uid(), involved.name(), reason];
        let agg = agg_hash(parts, &message);
        let log = &self.event_log;
        if let Some(seq) = log.index.find(agg, |seq| {
            log.recorded
                .get(&seq)
                .is_some_and(|r| r.has_key(parts, &message))
        }) {
            if self.aggregate(seq) {
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
        let resource_version = self.next_rv();
        let draft = Draft {
            involved,
            type_,
            reason,
            component,
            host,
            message,
            stamp: (self.now << 20) + seq,
            first: self.now,
            last: self.now,
            count: 1,
            resource_version,
        };
        let expires = self.now.saturating_add(self.config.event_ttl_ms);
        let log = &mut self.event_log;
        if log.drafts == 0 {
            log.drafts_from = seq;
        }
        log.drafts += 1;
        log.expiry.push_back((expires, seq));
        log.index.insert(agg, seq);
        log.recorded.insert(
            seq,
            Recorded {
                state: State::Draft(draft),
                expires,
                agg,
                indexed: true,
            },
        );
        self.trace_draft(WatchEventType::Added, seq);
        while self.events.len() + self.event_log.drafts > self.config.max_events {
            let Some((seq, oldest)) = self.event_log.recorded.pop_first() else {
                break;
            };
            self.forget_event(seq, oldest);
        }
        if !self.event_log.batching {
            self.flush_events();
        }
    }

    /// Counts one more occurrence of the recorded Event `seq` if it is still stored (or a
    /// draft); false if it is gone.
    fn aggregate(&mut self, seq: u64) -> bool {
        let Some(r) = self.event_log.recorded.get(&seq) else {
            return false;
        };
        let now = self.now;
        let expires = now.saturating_add(self.config.event_ttl_ms);
        match &r.state {
            State::Draft(_) => {
                let rv = self.next_rv();
                let Some(r) = self.event_log.recorded.get_mut(&seq) else {
                    return false;
                };
                r.expires = expires;
                if let State::Draft(d) = &mut r.state {
                    d.count += 1;
                    d.last = now;
                    d.resource_version = rv;
                }
                self.trace_draft(WatchEventType::Modified, seq);
            }
            State::Stored(first) => {
                let m = &first.metadata;
                let Some(old) = self.events.get_by_name(&m.namespace, &m.name) else {
                    return false;
                };
                let mut ev = (**old).clone();
                ev.count += 1;
                ev.last_timestamp = Some(to_time(now));
                let rv = self.next_rv();
                ev.metadata.resource_version = rv.into();
                let arc = Rc::new(ev);
                self.events.put(arc.clone());
                self.trace_event(WatchEventType::Modified, &arc);
                if let Some(r) = self.event_log.recorded.get_mut(&seq) {
                    r.expires = expires;
                }
            }
        }
        self.event_log.expiry.push_back((expires, seq));
        true
    }

    /// Folds the write of draft `seq` into the trace exactly as the Event it stands for: with
    /// the object's JSON when the trace takes objects (the draft is built for that), else only
    /// its key, which needs no Event.
    fn trace_draft(&mut self, type_: WatchEventType, seq: u64) {
        let Some(State::Draft(d)) = self.event_log.recorded.get(&seq).map(|r| &r.state) else {
            return;
        };
        if self.config.trace_objects {
            let ev = d.build();
            self.trace_event(type_, &ev);
            return;
        }
        let mut key = std::mem::take(&mut self.event_log.scratch);
        key.clear();
        key.push_str(d.namespace());
        let split = key.len();
        d.write_name(&mut key);
        let rv = self.resource_version;
        self.record_trace(
            type_.as_str(),
            Kind::Event,
            &key[..split],
            &key[split..],
            rv,
            None::<&Event>,
        );
        self.event_log.scratch = key;
    }

    /// Folds an Event's write into the trace as [`ApiServer::emit`] does (nothing watches
    /// Events, so there is no watch event to queue).
    fn trace_event(&mut self, type_: WatchEventType, ev: &Event) {
        let rv = self.resource_version;
        let m = &ev.metadata;
        self.record_trace(
            type_.as_str(),
            Kind::Event,
            &m.namespace,
            &m.name,
            rv,
            Some(ev),
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

    /// Removes a recorded Event (evicted or expired) from the store (a draft: from the
    /// drafts) and the index.
    fn forget_event(&mut self, seq: u64, r: Recorded) {
        match &r.state {
            State::Draft(_) => self.event_log.drafts -= 1,
            State::Stored(first) => {
                let m = &first.metadata;
                self.events.remove_by_name(&m.namespace, &m.name);
            }
        }
        if r.indexed {
            self.event_log.index.remove(r.agg, seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::{AggIndex, FieldPath};
    use crate::api::core::Pod;

    #[test]
    fn event_name_stamps_are_sixteen_hex_digits_as_format_writes_them() {
        for n in [
            0,
            1,
            0xf,
            0x10,
            0xdead_beef,
            (7_000u64 << 20) + 42,
            u64::MAX,
        ] {
            let mut out = String::from("x.");
            super::push_hex16(&mut out, n);
            assert_eq!(out, format!("x.{n:016x}"));
        }
    }

    #[test]
    fn the_sequence_log_keeps_order_through_evictions_and_early_removals() {
        let mut log = super::SeqLog::default();
        for seq in 5..10u64 {
            log.insert(seq, seq * 10);
        }
        assert_eq!(log.get(&7), Some(&70));
        assert_eq!(log.get(&4), None);
        assert_eq!(log.get(&10), None);
        // An entry expiring before older ones leaves a hole the front skips.
        assert_eq!(log.remove(&6), Some(60));
        assert_eq!(log.remove(&6), None);
        assert_eq!(log.get(&6), None);
        if let Some(v) = log.get_mut(&8) {
            *v += 1;
        }
        let from_7: Vec<u64> = log.values_mut_from(7).map(|v| *v).collect();
        assert_eq!(from_7, [70, 81, 90]);
        assert_eq!(log.pop_first(), Some((5, 50)));
        assert_eq!(log.pop_first(), Some((7, 70)));
        // Removing the front moves the front past every hole behind it.
        assert_eq!(log.remove(&8), Some(81));
        log.insert(10, 100);
        let rest: Vec<u64> = log.values_mut_from(0).map(|v| *v).collect();
        assert_eq!(rest, [90, 100]);
        assert_eq!(log.pop_first(), Some((9, 90)));
        assert_eq!(log.pop_first(), Some((10, 100)));
        assert_eq!(log.pop_first(), None);
        // Empty, it starts again wherever the next number is.
        log.insert(42, 420);
        assert_eq!(log.get(&42), Some(&420));
    }

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
            message.to_string().into(),
            "kubelet",
            Some("node-1".into()),
        );
    }

    /// `(involved object, reason, count, first seen s, last seen s)` of every Event, by name.
    fn listed(api: &ApiServer) -> Vec<(String, String, i32, i64, i64)> {
        api.events()
            .iter()
            .map(|e| {
                let secs =
                    |t: Option<crate::time::Time>| t.map_or(-1, |t| (t.virtual_ms() / 1000) as i64);
                (
                    e.involved_object.name.to_string(),
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
        let e = api.events().iter().next().unwrap().clone();
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
        let name = api.events().iter().next().unwrap().metadata.name.clone();
        api.now = 3_000;
        let rv = api.resource_version();
        record(&mut api, "a", "Pulled", "pulled");
        let e = api.events().iter().next().unwrap().clone();
        assert_eq!(api.events().len(), 1);
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
        assert_eq!(api.events().len(), cases.len());
        assert!(api.events().iter().all(|e| e.count == 1));
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
        assert_eq!(api.events().len(), 1, "still within the hour of its update");
        api.now = hour + hour / 2;
        api.expire_events();
        assert!(api.events().is_empty());
        // Expired, its key starts afresh.
        record(&mut api, "a", "Pulled", "pulled");
        assert_eq!(listed(&api), [row("a", "Pulled", 1, 5400, 5400)]);
    }

    #[test]
    fn an_event_deleted_through_the_api_is_recorded_anew() {
        let mut api = api_with_pods(10);
        record(&mut api, "a", "Pulled", "pulled");
        let name = api.events().iter().next().unwrap().metadata.name.clone();
        api.delete::<Event>("default", &name, DeleteOptions::default())
            .unwrap();
        api.now = 1_000;
        record(&mut api, "a", "Pulled", "pulled");
        assert_eq!(listed(&api), [row("a", "Pulled", 1, 1, 1)]);
        assert_ne!(api.events().iter().next().unwrap().metadata.name, name);
        // The stale bookkeeping of the deleted one evicts and expires nothing else.
        api.now = api.config.event_ttl_ms;
        api.expire_events();
        assert_eq!(api.events().len(), 1);
    }

    #[test]
    fn an_event_edited_through_the_api_still_aggregates_under_its_recorded_key() {
        let mut api = api_with_pods(10);
        record(&mut api, "a", "Pulled", "pulled");
        let name = api.events().iter().next().unwrap().metadata.name.clone();
        api.modify::<Event>("default", &name, |e| e.message = "edited".into())
            .unwrap();
        record(&mut api, "a", "Pulled", "pulled");
        let e = api.events().iter().next().unwrap().clone();
        assert_eq!((api.events().len(), e.count), (1, 2));
        assert_eq!(e.message, "edited");
        // The edited message is not a key of its own.
        record(&mut api, "a", "Pulled", "edited");
        assert_eq!(api.events().len(), 2);
    }

    #[test]
    fn an_event_about_an_object_is_the_event_about_its_reference() {
        // (object, field path asked for, the involvedObject.fieldPath a caller would build)
        let cases: [(&str, FieldPath, &str); 4] = [
            ("pod", FieldPath::Whole, ""),
            ("pod", FieldPath::Container(0), "spec.containers{c}"),
            ("pod", FieldPath::Container(1), ""),
            ("node", FieldPath::Container(0), ""),
        ];
        for (object, path, field_path) in cases {
            let by_ref = |api: &mut ApiServer| {
                let mut r = match object {
                    "pod" => object_ref(&*api.get::<Pod>("default", "a").unwrap()),
                    _ => object_ref(&*api.get::<Node>("", "n").unwrap()),
                };
                r.field_path = field_path.into();
                api.record_event(
                    r,
                    "Normal",
                    "R",
                    "m".into(),
                    "kubelet",
                    Some("node-1".into()),
                );
            };
            let by_object = |api: &mut ApiServer| match object {
                "pod" => {
                    let p = api.get::<Pod>("default", "a").unwrap();
                    api.record_event_about(
                        &p,
                        path,
                        "Normal",
                        "R",
                        "m".into(),
                        "kubelet",
                        Some("node-1".into()),
                    )
                }
                _ => {
                    let n = api.get::<Node>("", "n").unwrap();
                    api.record_event_about(
                        &n,
                        path,
                        "Normal",
                        "R",
                        "m".into(),
                        "kubelet",
                        Some("node-1".into()),
                    )
                }
            };
            let run = |record: &dyn Fn(&mut ApiServer)| {
                let mut api = api_with_pods(10);
                let mut n = Node::default();
                n.metadata.name = "n".into();
                api.create(n).unwrap();
                api.begin_event_batch();
                record(&mut api);
                record(&mut api);
                api.end_event_batch();
                (
                    api.events().iter().cloned().collect::<Vec<_>>(),
                    api.trace_hash(),
                )
            };
            let (want, got) = (run(&by_ref), run(&by_object));
            assert_eq!(got, want, "{object} {path:?}");
            assert_eq!(got.0[0].involved_object.field_path, field_path);
            assert_eq!(got.0[0].count, 2);
        }
    }

    #[test]
    fn a_template_message_aggregates_with_the_same_text_in_any_form() {
        // (first form, second form, whether they aggregate): stored between the two
        // recordings and still a draft (inside a batch).
        let lazy = |name: &str| {
            EventMessage::template(
                "Started container {} on {}",
                [MessageArg::Str(name.into()), MessageArg::Static("node-1")],
            )
        };
        let owned = |text: &str| EventMessage::from(text.to_string());
        let cases: [(EventMessage, EventMessage, bool); 5] = [
            (lazy("c"), lazy("c"), true),
            (lazy("c"), owned("Started container c on node-1"), true),
            (owned("Started container c on node-1"), lazy("c"), true),
            (lazy("c"), lazy("d"), false),
            (lazy("c"), owned("Started container c on node-2"), false),
        ];
        for (first, second, together) in cases {
            for batch in [false, true] {
                let mut api = api_with_pods(10);
                let p = api.get::<Pod>("default", "a").unwrap();
                if batch {
                    api.begin_event_batch();
                }
                for m in [first.clone(), second.clone()] {
                    api.record_event(object_ref(&*p), "Normal", "Started", m, "kubelet", None);
                }
                if batch {
                    api.end_event_batch();
                }
                let counts: Vec<i32> = api.events().iter().map(|e| e.count).collect();
                let want: &[i32] = if together { &[2] } else { &[1, 1] };
                assert_eq!(counts, want, "{first:?} then {second:?}, batch {batch}");
                let texts: Vec<&str> = api.events().iter().map(|e| e.message.as_str()).collect();
                assert_eq!(texts[0], first.to_string(), "the first recording's text");
            }
        }
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

#[cfg(test)]
mod scenario {
    use crate::api::Event;
    use crate::apiserver::DeleteOptions;
    use crate::{Sim, SimConfig};
    use sha2::{Digest, Sha256};

    /// One Event as the equivalence checks compare it: every field a reader sees.
    fn row(e: &Event) -> String {
        let ms = |t: Option<crate::time::Time>| t.map_or(-1, |t| t.virtual_ms() as i64);
        format!(
            "{} rv={} {} {}/{} x{} {}..{}",
            e.metadata.name,
            e.metadata.resource_version,
            e.reason,
            e.involved_object.kind,
            e.involved_object.name,
            e.count,
            ms(e.first_timestamp),
            ms(e.last_timestamp),
        )
    }

    /// What a scripted run leaves: the Event list after every step, and the trace hash.
    pub(super) struct Outcome {
        /// The listed Events (by name) after each step.
        pub snapshots: Vec<Vec<String>>,
        /// The trace hash at the end (every Event write, with its JSON, in order).
        pub trace: String,
    }

    impl Outcome {
        /// A SHA-256 over every snapshot, for pinning.
        pub fn digest(&self) -> String {
            let mut h = Sha256::new();
            for s in &self.snapshots {
                for r in s {
                    h.update(r.as_bytes());
                    h.update(b"\n");
                }
                h.update(b"--\n");
            }
            h.finalize().iter().map(|b| format!("{b:02x}")).collect()
        }
    }

    /// A rollout, a scale-up, pod kills, a crash loop (aggregation), an Event deleted through
    /// the API and then recorded anew, expiry, all under a cap small enough to evict mid-run.
    pub(super) fn scripted_run(mut sim: Sim) -> Outcome {
        let mut snapshots = Vec::new();
        let mut step = |sim: &mut Sim, line: &str| {
            let out = sim.exec(line);
            assert!(out.ok, "{line}: {out:?}");
            snapshots.push(sim.api.events().iter().map(|e| row(e)).collect::<Vec<_>>());
        };
        sim.api.config.max_events = 25;
        step(
            &mut sim,
            "kubectl create deployment web --image=nginx --replicas=4",
        );
        step(&mut sim, "wait 20s");
        step(&mut sim, "kubectl run crash --image=busybox:crash");
        step(&mut sim, "wait 2m");
        // The crash loop's BackOff Event, aggregated by now: deleted through the API, the
        // next BackOff starts a new Event.
        let backoff = sim
            .api
            .events()
            .iter()
            .find(|e| e.reason == "BackOff" && e.count > 1)
            .map(|e| e.metadata.name.clone())
            .expect("an aggregated BackOff Event");
        sim.api
            .delete::<Event>("default", &backoff, DeleteOptions::default())
            .expect("delete the Event");
        step(&mut sim, "kubectl scale deployment web --replicas=7");
        step(&mut sim, "wait 15s");
        step(
            &mut sim,
            "kubectl set image deployment/web nginx=nginx:1.27",
        );
        step(&mut sim, "wait 40s");
        let victims: Vec<String> = sim
            .api
            .pods
            .iter()
            .filter(|p| p.metadata.name.starts_with("web-"))
            .take(2)
            .map(|p| p.metadata.name.to_string())
            .collect();
        for v in victims {
            step(&mut sim, &format!("kubectl delete pod {v} --wait=false"));
        }
        step(&mut sim, "wait 5m");
        step(&mut sim, "wait 50m");
        step(&mut sim, "kubectl scale deployment web --replicas=2");
        step(&mut sim, "wait 15m");
        Outcome {
            snapshots,
            trace: sim.trace_hash(),
        }
    }

    fn sim(trace_objects: bool, eager: bool) -> Sim {
        let mut sim = Sim::new(SimConfig {
            trace_objects,
            ..Default::default()
        });
        if eager {
            sim.api.record_events_eagerly();
        }
        sim
    }

    #[test]
    fn the_scripted_run_leaves_the_events_it_left_before_batching() {
        // Pinned from the recorder that stored each Event as it was recorded (before
        // batching): the Event list after every step, and the trace of every write. A change
        // of the controllers' behaviour moves these; re-pin them from the eager reference
        // (`sim(true, true)`), which `batched_recording_equals_eager_recording` ties to this.
        let o = scripted_run(sim(true, false));
        assert_eq!(o.trace, "ceebe0acda8fa160f07e8dd8d6b5341d");
        assert_eq!(
            o.digest(),
            "ff0626bcb1e2ced474bda2fc45c80ecb43ce5827356163775d09f7835cd047a2"
        );
    }

    #[test]
    fn batched_recording_equals_eager_recording() {
        for trace_objects in [true, false] {
            let eager = scripted_run(sim(trace_objects, true));
            let batched = scripted_run(sim(trace_objects, false));
            assert_eq!(batched.trace, eager.trace, "trace_objects={trace_objects}");
            assert_eq!(batched.snapshots, eager.snapshots);
        }
    }

    #[test]
    fn the_scripted_run_evicts_aggregates_and_records_a_deleted_event_anew() {
        // What the equivalence checks above exercise (else they could pass vacuously).
        let o = scripted_run(sim(false, false));
        assert!(
            o.snapshots.iter().any(|s| s.len() == 25),
            "the cap is reached"
        );
        let backoffs: Vec<&String> = o
            .snapshots
            .iter()
            .flatten()
            .filter(|r| r.contains(" BackOff "))
            .collect();
        assert!(backoffs.iter().any(|r| !r.contains(" x1 ")), "aggregated");
        let mut names: Vec<&str> = backoffs
            .iter()
            .filter_map(|r| r.split(' ').next())
            .collect();
        names.dedup();
        assert!(names.len() >= 2, "a new BackOff Event after the delete");
        assert!(o.snapshots.last().is_some_and(|s| s.len() < 25), "expiry");
    }
}
