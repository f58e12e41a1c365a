//! The API server: the only way anything (console, controllers, kubelets) changes cluster state.
//!
//! Every write goes through defaulting, validation and allocation ([`admission`]), gets a new
//! resourceVersion and produces a [`WatchEvent`] that the `Sim` hands to the controllers.
//! The server also owns the virtual clock reading (`now`) and the simulation's one RNG, because
//! everything that stamps times or picks names, UIDs and ports happens here.

pub mod admission;
pub mod allocators;
pub mod defaults;
mod event_message;
mod events;
pub mod store;
pub mod validation;

pub use event_message::{EventMessage, MessageArg, TextHasher};
pub use events::FieldPath;
pub use store::{ObjectKey, Store, WatchEvent, WatchEventType};

use crate::api::meta::ObjectReference;
use crate::api::*;
use crate::rng::SimRng;
use crate::time::{to_time, Millis};
use allocators::Allocators;
use std::fmt;
use std::rc::Rc;

/// Two independent 64-bit lanes fed eight bytes at a time through a folded multiply (the
/// 128-bit product's halves XORed, as foldhash and wyhash mix): cheap enough to run on every
/// write at scale — a byte-at-a-time hash cost 3 % of a big build — and platform-independent
/// (little-endian words in, no `Hash` impls, no `usize`), so native and wasm runs hash alike.
#[derive(Clone, Copy, Debug)]
struct TraceHash(u64, u64);

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash(0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142)
    }
}

impl TraceHash {
    fn mix(&mut self, word: u64) {
        fn fold(x: u64, k: u64) -> u64 {
            let product = u128::from(x) * u128::from(k);
            (product as u64) ^ ((product >> 64) as u64)
        }
        self.0 = fold(self.0 ^ word, 0x9e37_79b9_7f4a_7c15);
        self.1 = fold(self.1 ^ word.rotate_left(32), 0xd6e8_feb8_6659_fd93);
    }

    /// Folds one field in. The last word carries the field's length in its top byte (free:
    /// it holds at most seven bytes of the field), so ("ab", "c") and ("a", "bc") differ, and
    /// so do fields that differ only by trailing zero bytes.
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        last[7] = bytes.len() as u8;
        self.mix(u64::from_le_bytes(last));
    }
}

/// Why a request failed, as the API server's `Status.reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusReason {
    /// 404.
    NotFound,
    /// 409 on create.
    AlreadyExists,
    /// 409 on a stale resourceVersion.
    Conflict,
    /// 422.
    Invalid,
    /// 400.
    BadRequest,
    /// 403.
    Forbidden,
}

impl StatusReason {
    /// The reason as kubectl shows it in `Error from server (<reason>)`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusReason::NotFound => "NotFound",
            StatusReason::AlreadyExists => "AlreadyExists",
            StatusReason::Conflict => "Conflict",
            StatusReason::Invalid => "Invalid",
            StatusReason::BadRequest => "BadRequest",
            StatusReason::Forbidden => "Forbidden",
        }
    }
}

/// A failed API request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The reason.
    pub reason: StatusReason,
    /// The Status message (`deployments.apps "x" not found`).
    pub message: String,
}

impl ApiError {
    /// `<resource> "<name>" not found`.
    pub fn not_found(kind: Kind, name: &str) -> Self {
        ApiError {
            reason: StatusReason::NotFound,
            message: format!("{} \"{}\" not found", kind.group_resource(), name),
        }
    }
    /// `<resource> "<name>" already exists`.
    pub fn already_exists(kind: Kind, name: &str) -> Self {
        ApiError {
            reason: StatusReason::AlreadyExists,
            message: format!("{} \"{}\" already exists", kind.group_resource(), name),
        }
    }
    /// `<Kind> "<name>" is invalid: <errors>`.
    pub fn invalid(kind: Kind, name: &str, errors: &str) -> Self {
        ApiError {
            reason: StatusReason::Invalid,
            message: format!("{} \"{}\" is invalid: {}", kind.name(), name, errors),
        }
    }
    /// The optimistic-concurrency conflict.
    pub fn conflict(kind: Kind, name: &str) -> Self {
        ApiError {
            reason: StatusReason::Conflict,
            message: format!(
                "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                kind.group_resource(),
                name
            ),
        }
    }
    /// The line kubectl prints for this error.
    pub fn kubectl_message(&self) -> String {
        match self.reason {
            // kubectl prints validation failures without the "Error from server" prefix.
            StatusReason::Invalid => format!("The {}", self.message),
            r => format!("Error from server ({}): {}", r.as_str(), self.message),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kubectl_message())
    }
}

impl std::error::Error for ApiError {}

/// Options of a delete request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Override of the pod's terminationGracePeriodSeconds.
    pub grace_period_seconds: Option<i64>,
}

/// Result of a delete request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deleted {
    /// The object is gone.
    Removed,
    /// A graceful deletion started (or was shortened): the object stays until its grace ends.
    Terminating,
}

/// Tunables of the API server.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// `--event-ttl`: an Event is deleted this long after its last update (default 1 h, as
    /// the API server keeps Events in etcd under a lease of that length).
    pub event_ttl_ms: Millis,
    /// How many Event objects are kept at most; the oldest go first. A simplification that
    /// bounds memory (a real API server keeps every Event until its TTL).
    pub max_events: usize,
    /// Fold every object's full JSON into the trace hash (not only what changed, where and
    /// when). Costs a serialization per write; on for determinism checks.
    pub trace_objects: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            event_ttl_ms: 3_600_000,
            max_events: 2000,
            trace_objects: true,
        }
    }
}

/// Kinds with a store in the API server.
pub trait Stored: Resource {
    /// The store of this kind.
    fn store(api: &ApiServer) -> &Store<Self>;
    /// The store of this kind, mutably.
    fn store_mut(api: &mut ApiServer) -> &mut Store<Self>;
}

macro_rules! stored {
    ($($ty:ident => $field:ident),* $(,)?) => {
        $(impl Stored for $ty {
            fn store(api: &ApiServer) -> &Store<Self> { &api.$field }
            fn store_mut(api: &mut ApiServer) -> &mut Store<Self> { &mut api.$field }
        })*
    };
}

stored!(
    Namespace => namespaces,
    Node => nodes,
    Pod => pods,
    ReplicationController => replication_controllers,
    ReplicaSet => replica_sets,
    Deployment => deployments,
    Service => services,
    Endpoints => endpoints,
    EndpointSlice => endpoint_slices,
    Lease => leases,
);

/// Events: mutable access stores the recorder's drafts first. Shared access is the store as
/// it is; inside a `Sim` run (the only time drafts exist) the one shared reader is the
/// garbage collector's owner and UID lookups, which drafts cannot answer anyway (recorded
/// Events have neither owners nor a UID).
impl Stored for Event {
    fn store(api: &ApiServer) -> &Store<Self> {
        &api.events
    }
    fn store_mut(api: &mut ApiServer) -> &mut Store<Self> {
        api.flush_events();
        &mut api.events
    }
}

fn pod_node(p: &Pod) -> Option<&str> {
    Some(p.spec.node_name.as_str())
}

/// The API server with its stores.
#[derive(Clone, Debug)]
pub struct ApiServer {
    /// Namespaces.
    pub namespaces: Store<Namespace>,
    /// Nodes.
    pub nodes: Store<Node>,
    /// Pods (indexed by node too).
    pub pods: Store<Pod>,
    /// ReplicationControllers.
    pub replication_controllers: Store<ReplicationController>,
    /// ReplicaSets.
    pub replica_sets: Store<ReplicaSet>,
    /// Deployments.
    pub deployments: Store<Deployment>,
    /// Services.
    pub services: Store<Service>,
    /// Legacy Endpoints.
    pub endpoints: Store<Endpoints>,
    /// EndpointSlices.
    pub endpoint_slices: Store<EndpointSlice>,
    /// Events (a bounded log; see [`ApiServer::events`]).
    events: Store<Event>,
    /// Leases (node heartbeats).
    pub leases: Store<Lease>,
    /// IP and port allocators.
    pub allocators: Allocators,
    /// The current virtual time (set by the `Sim` as it advances).
    pub now: Millis,
    /// The simulation's one RNG.
    pub rng: SimRng,
    /// Tunables.
    pub config: ApiConfig,
    resource_version: u64,
    pending: Vec<WatchEvent>,
    trace: TraceHash,
    trace_len: u64,
    /// What the event recorder wrote (aggregation, expiry, the cap).
    event_log: events::EventLog,
    /// Defaulting and validation results shared by the pods of one template.
    admission_memo: admission::AdmissionMemo,
    /// Where generated names are written before the chosen one is shared (no buffer per pod).
    name_buf: String,
}

impl ApiServer {
    /// A new API server with the built-in namespaces, seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        let mut api = ApiServer {
            namespaces: Store::default(),
            nodes: Store::default(),
            pods: Store::new(pod_node),
            replication_controllers: Store::default(),
            replica_sets: Store::default(),
            deployments: Store::default(),
            services: Store::default(),
            endpoints: Store::default(),
            endpoint_slices: Store::default(),
            events: Store::default(),
            leases: Store::default(),
            allocators: Allocators::default(),
            now: 0,
            rng: SimRng::new(seed),
            config: ApiConfig::default(),
            resource_version: 0,
            pending: Vec::new(),
            trace: TraceHash::default(),
            trace_len: 0,
            event_log: events::EventLog::default(),
            admission_memo: admission::AdmissionMemo::default(),
            name_buf: String::new(),
        };
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            let mut n = Namespace::default();
            n.metadata.name = ns.into();
            // Built-in namespaces are always creatable.
            let _ = api.create(n);
        }
        api
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    /// Takes the watch events produced since the last call.
    pub fn take_watch_events(&mut self) -> Vec<WatchEvent> {
        std::mem::take(&mut self.pending)
    }

    /// Gives back a list [`ApiServer::take_watch_events`] returned, once dispatched: its
    /// capacity holds the next events (almost every write is dispatched on its own, and
    /// would otherwise start a new list).
    pub fn recycle_watch_events(&mut self, mut events: Vec<WatchEvent>) {
        if self.pending.is_empty() && events.capacity() > self.pending.capacity() {
            events.clear();
            self.pending = events;
        }
    }

    /// Whether watch events are waiting to be dispatched.
    pub fn has_watch_events(&self) -> bool {
        !self.pending.is_empty()
    }

    /// A hash over every change so far (time, type, kind, key, resourceVersion, object JSON):
    /// equal hashes mean equal histories. Used to prove native and wasm runs agree.
    pub fn trace_hash(&self) -> String {
        format!("{:016x}{:016x}", self.trace.0, self.trace.1)
    }

    /// Number of changes folded into [`ApiServer::trace_hash`].
    pub fn trace_len(&self) -> u64 {
        self.trace_len
    }

    /// The object of kind `T` named `name` in `namespace`.
    pub fn get<T: Stored>(&self, namespace: &str, name: &str) -> Option<Rc<T>> {
        T::store(self).get_by_name(namespace, name).cloned()
    }

    /// The object of kind `T` under `key`. A reconcile's key is the store's own (it came from
    /// a watch event), and then the lookup settles on the key's address without reading its
    /// strings, which at scale are a cache miss away.
    pub fn get_by_key<T: Stored>(&self, key: &ObjectKey) -> Option<Rc<T>> {
        T::store(self).get(key).cloned()
    }

    /// Like [`ApiServer::get`], with the NotFound error kubectl shows.
    pub fn get_or_not_found<T: Stored>(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Rc<T>, ApiError> {
        self.get(namespace, name)
            .ok_or_else(|| ApiError::not_found(T::KIND, name))
    }

    /// Before a write of kind `T` through the API: if `T` is Event, stores the recorder's
    /// drafts, so the write sees (and the cap counts) the Event store as it would be had each
    /// been stored when recorded.
    fn settle_events<T: Stored>(&mut self) {
        if T::KIND == Kind::Event {
            self.flush_events();
        }
    }

    fn next_rv(&mut self) -> u64 {
        self.resource_version += 1;
        self.resource_version
    }

    fn emit<T: Stored>(
        &mut self,
        type_: WatchEventType,
        key: ObjectKey,
        old: Option<Rc<T>>,
        new: Option<Rc<T>>,
    ) {
        let rv = self.resource_version;
        self.record_trace(
            type_.as_str(),
            T::KIND,
            &key.namespace,
            &key.name,
            rv,
            new.as_deref().or(old.as_deref()),
        );
        if T::KIND == Kind::Event {
            return; // nothing watches events; they are only listed
        }
        self.pending.push(WatchEvent {
            resource_version: rv,
            type_,
            key,
            old: old.map(T::into_object),
            new: new.map(T::into_object),
        });
    }

    fn record_trace<T: Resource>(
        &mut self,
        what: &str,
        kind: Kind,
        namespace: &str,
        name: &str,
        rv: u64,
        obj: Option<&T>,
    ) {
        self.trace_len += 1;
        let t = &mut self.trace;
        t.write(&self.now.to_le_bytes());
        t.write(what.as_bytes());
        t.write(kind.name().as_bytes());
        t.write(namespace.as_bytes());
        t.write(b"/");
        t.write(name.as_bytes());
        t.write(&rv.to_le_bytes());
        if self.config.trace_objects {
            if let Some(o) = obj {
                if let Ok(bytes) = serde_json::to_vec(o) {
                    self.trace.write(&bytes);
                }
            }
        }
    }

    /// Creates an object: namespace and name checks, defaults, validation, allocation, then
    /// uid / resourceVersion / creationTimestamp.
    pub fn create<T: Stored + admission::Admit>(&mut self, mut obj: T) -> Result<Rc<T>, ApiError> {
        self.settle_events::<T>();
        let kind = T::KIND;
        {
            let m = obj.meta_mut();
            if kind.namespaced() {
                if m.namespace.is_empty() {
                    m.namespace = "default".into();
                }
            } else {
                m.namespace = SharedStr::default();
            }
        }
        let ns = obj.meta().namespace.clone();
        if kind.namespaced() && self.namespaces.get_by_name("", &ns).is_none() {
            return Err(ApiError::not_found(Kind::Namespace, &ns));
        }
        if obj.meta().name.is_empty() && !obj.meta().generate_name.is_empty() {
            // Retry on the (unlikely) collision, as the API server's name generator would.
            let mut candidate = std::mem::take(&mut self.name_buf);
            for _ in 0..16 {
                candidate.clear();
                candidate.push_str(&obj.meta().generate_name);
                self.rng.push_name_suffix(&mut candidate, 5);
                if T::store(self).get_by_name(&ns, &candidate).is_none() {
                    obj.meta_mut().name = SharedStr::new(&candidate);
                    break;
                }
            }
            self.name_buf = candidate;
        }
        obj.apply_create_defaults(&mut self.admission_memo);
        obj.normalize(None);
        let name = obj.meta().name.clone();
        if T::store(self).get_by_name(&ns, &name).is_some() {
            return Err(ApiError::already_exists(kind, &name));
        }
        // Allocation comes before validation, as in the API server; a failed request must
        // leave every allocator as it was.
        self.allocators.begin();
        if let Err(e) = obj.allocate(self, None) {
            self.allocators.rollback();
            return Err(e);
        }
        let errors = obj.validate_create(&mut self.admission_memo);
        if !errors.is_empty() {
            self.allocators.rollback();
            return Err(ApiError::invalid(
                kind,
                &obj.meta().name,
                &errors.to_string(),
            ));
        }
        self.allocators.commit();
        let uid = self.rng.uid();
        let now = to_time(self.now);
        let rv = self.next_rv();
        {
            let m = obj.meta_mut();
            m.uid = uid;
            m.resource_version = rv.into();
            m.creation_timestamp = Some(now);
            m.deletion_timestamp = None;
            m.deletion_grace_period_seconds = None;
            if T::has_generation() {
                m.generation = 1;
            }
        }
        obj.set_type_meta();
        let arc = Rc::new(obj);
        // One key for the store and the watch event.
        let key = ObjectKey::new(ns, name);
        T::store_mut(self).put_keyed(&key, arc.clone());
        self.emit(WatchEventType::Added, key, None, Some(arc.clone()));
        Ok(arc)
    }

    /// Replaces an object. A non-empty `resourceVersion` that is not current is a Conflict.
    /// Identity fields (uid, creationTimestamp, deletion state) are kept from the stored object;
    /// `generation` increments when the spec changes.
    pub fn update<T: Stored + admission::Admit>(&mut self, mut obj: T) -> Result<Rc<T>, ApiError> {
        self.settle_events::<T>();
        let kind = T::KIND;
        if !kind.namespaced() {
            obj.meta_mut().namespace = SharedStr::default();
        } else if obj.meta().namespace.is_empty() {
            obj.meta_mut().namespace = "default".into();
        }
        let (key, old) = {
            let m = obj.meta();
            T::store(self)
                .get_entry(&m.namespace, &m.name)
                .map(|(k, o)| (k.clone(), o.clone()))
                .ok_or_else(|| ApiError::not_found(kind, &m.name))?
        };
        let rv = &obj.meta().resource_version;
        if !rv.is_empty() && *rv != old.meta().resource_version {
            return Err(ApiError::conflict(kind, &key.name));
        }
        {
            // `clone_from`: a copy of the stored object already holds these (no allocation).
            let (m, om) = (obj.meta_mut(), old.meta());
            m.uid.clone_from(&om.uid);
            m.creation_timestamp = om.creation_timestamp;
            m.deletion_timestamp = om.deletion_timestamp;
            m.deletion_grace_period_seconds = om.deletion_grace_period_seconds;
            m.generate_name.clone_from(&om.generate_name);
            m.generation = om.generation;
        }
        obj.apply_update_defaults(&old);
        obj.normalize(Some(&old));
        self.allocators.begin();
        if let Err(e) = obj.allocate(self, Some(&old)) {
            self.allocators.rollback();
            return Err(e);
        }
        let errors = obj.validate(Some(&old));
        if !errors.is_empty() {
            self.allocators.rollback();
            return Err(ApiError::invalid(kind, &key.name, &errors.to_string()));
        }
        self.allocators.commit();
        if T::has_generation() && obj.spec_differs(&old) {
            obj.meta_mut().generation = old.meta().generation + 1;
        }
        // A write that changes nothing is not a write: same resourceVersion, no watch event.
        obj.meta_mut()
            .resource_version
            .clone_from(&old.meta().resource_version);
        obj.set_type_meta();
        if obj == *old {
            return Ok(old);
        }
        let rv = self.next_rv();
        let m = obj.meta_mut();
        m.resource_version = rv.into();
        let arc = Rc::new(obj);
        T::store_mut(self).put_keyed(&key, arc.clone());
        self.emit(WatchEventType::Modified, key, Some(old), Some(arc.clone()));
        Ok(arc)
    }

    /// Reads, changes and writes back an object (a JSON-patch-free `patch`): the closure sees
    /// the current object, so the write can never conflict.
    pub fn modify<T: Stored + admission::Admit>(
        &mut self,
        namespace: &str,
        name: &str,
        f: impl FnOnce(&mut T),
    ) -> Result<Rc<T>, ApiError> {
        self.settle_events::<T>();
        let current = self.get_or_not_found::<T>(namespace, name)?;
        let mut next = (*current).clone();
        f(&mut next);
        if next == *current {
            return Ok(current);
        }
        next.meta_mut().resource_version = SharedStr::default();
        self.update(next)
    }

    /// Like [`ApiServer::modify`], but the closure builds the new object from the current one
    /// instead of changing a copy of it: a writer that replaces most of an object (the kubelet
    /// rewriting a pod's status) copies only what it keeps.
    pub fn modify_from<T: Stored + admission::Admit>(
        &mut self,
        namespace: &str,
        name: &str,
        f: impl FnOnce(&T) -> T,
    ) -> Result<Rc<T>, ApiError> {
        self.settle_events::<T>();
        let current = self.get_or_not_found::<T>(namespace, name)?;
        let mut next = f(&current);
        if next == *current {
            return Ok(current);
        }
        next.meta_mut().resource_version = SharedStr::default();
        self.update(next)
    }

    /// Applies an RFC 7386 JSON merge patch (`kubectl patch --type=merge`).
    pub fn merge_patch<T: Stored + admission::Admit>(
        &mut self,
        namespace: &str,
        name: &str,
        patch: &serde_json::Value,
    ) -> Result<Rc<T>, ApiError> {
        self.settle_events::<T>();
        let current = self.get_or_not_found::<T>(namespace, name)?;
        let mut doc = serde_json::to_value(&*current).map_err(|e| bad_request(e.to_string()))?;
        merge_patch_value(&mut doc, patch);
        let mut next: T = serde_json::from_value(doc).map_err(|e| bad_request(e.to_string()))?;
        next.meta_mut().resource_version = SharedStr::default();
        self.update(next)
    }

    /// Deletes an object. Pods are deleted gracefully (§3 of the spec): the grace period is the
    /// request's, else the pod's terminationGracePeriodSeconds; it is 0 for an unscheduled or
    /// terminal pod. A pod with a grace period gets `deletionTimestamp = now + grace` and stays
    /// until its kubelet finishes; everything else is removed at once and its dependents are
    /// left to the garbage collector.
    pub fn delete<T: Stored + admission::Admit>(
        &mut self,
        namespace: &str,
        name: &str,
        opts: DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        self.settle_events::<T>();
        let ns = if T::KIND.namespaced() { namespace } else { "" };
        let current = self.get_or_not_found::<T>(ns, name)?;
        if let Some(grace) = current.grace_period(opts) {
            let grace = if grace < 0 { 1 } else { grace };
            if grace > 0 {
                let deadline = to_time(self.now + grace as u64 * 1000);
                let m = current.meta();
                let shorter = m.deletion_timestamp.is_none_or(|d| deadline < d);
                if shorter {
                    let mut next = (*current).clone();
                    next.meta_mut().deletion_timestamp = Some(deadline);
                    next.meta_mut().deletion_grace_period_seconds = Some(grace);
                    let rv = self.next_rv();
                    next.meta_mut().resource_version = rv.into();
                    let arc = Rc::new(next);
                    T::store_mut(self).put(arc.clone());
                    self.emit(
                        WatchEventType::Modified,
                        ObjectKey::new(ns, name),
                        Some(current),
                        Some(arc),
                    );
                }
                return Ok(Deleted::Terminating);
            }
        }
        self.remove::<T>(ns, name);
        Ok(Deleted::Removed)
    }

    /// Removes an object from the store at once (the last step of every deletion).
    pub fn remove<T: Stored + admission::Admit>(
        &mut self,
        namespace: &str,
        name: &str,
    ) -> Option<Rc<T>> {
        self.settle_events::<T>();
        let key = ObjectKey::new(namespace, name);
        let old = T::store_mut(self).remove(&key)?;
        old.release(self);
        self.next_rv();
        self.emit(
            WatchEventType::Deleted,
            key,
            Some(old.clone()),
            None::<Rc<T>>,
        );
        Some(old)
    }
}

/// An object reference for events and endpoint targets.
pub fn object_ref<T: Resource>(obj: &T) -> ObjectReference {
    reference_to(T::KIND, obj.meta())
}

/// The reference to the object of kind `kind` with metadata `m` (no field path).
pub(crate) fn reference_to(kind: Kind, m: &ObjectMeta) -> ObjectReference {
    ObjectReference {
        kind: kind.name().into(),
        namespace: m.namespace.clone(),
        name: m.name.clone(),
        uid: m.uid.clone(),
        api_version: kind.api_version().into(),
        resource_version: m.resource_version.clone(),
        field_path: String::new(),
    }
}

fn bad_request(message: String) -> ApiError {
    ApiError {
        reason: StatusReason::BadRequest,
        message,
    }
}

/// RFC 7386: objects merge recursively, `null` deletes, anything else replaces.
pub fn merge_patch_value(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch_value(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, labels: &[(&str, &str)]) -> Pod {
        let mut p = Pod::default();
        p.spec.containers = vec![crate::api::core::Container {
            name: "c".into(),
            image: "nginx".into(),
            ..Default::default()
        }]
        .into();
        p.metadata.name = name.into();
        p.metadata.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p
    }

    fn trace_of(fields: &[&[u8]]) -> (u64, u64) {
        let mut t = TraceHash::default();
        for f in fields {
            t.write(f);
        }
        (t.0, t.1)
    }

    /// The trace hash tells apart histories that differ in where a field ends, in a trailing
    /// zero byte, in one bit anywhere in a long field, or in the order of two fields.
    #[test]
    fn trace_hash_separates_fields_and_sees_every_byte() {
        let long: Vec<u8> = (0..40).collect();
        let mut flipped = long.clone();
        let cases: Vec<Vec<&[u8]>> = vec![
            vec![b"ab", b"c"],
            vec![b"a", b"bc"],
            vec![b"abc"],
            vec![b"abc", b""],
            vec![b"abc\0"],
            vec![b"", b"abc"],
            vec![b"c", b"ab"],
            vec![&long],
        ];
        let hashes: Vec<_> = cases.iter().map(|c| trace_of(c)).collect();
        for (i, a) in hashes.iter().enumerate() {
            for (j, b) in hashes.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{:?} and {:?} collide", cases[i], cases[j]);
            }
        }
        for byte in 0..long.len() {
            flipped.copy_from_slice(&long);
            flipped[byte] ^= 1;
            assert_ne!(trace_of(&[&flipped]), trace_of(&[&long]), "byte {byte}");
        }
        assert_eq!(trace_of(&[b"ab", b"c"]), trace_of(&[b"ab", b"c"]));
    }

    #[test]
    fn create_defaults_namespace_and_stamps_identity() {
        let mut api = ApiServer::new(1);
        let p = api.create(pod("a", &[])).unwrap();
        assert_eq!(p.metadata.namespace, "default");
        assert!(!p.metadata.uid.is_empty());
        assert_eq!(
            p.metadata.creation_timestamp.unwrap().to_string(),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(p.api_version, "v1");
        assert_eq!(p.kind, "Pod");
        let err = api.create(pod("a", &[])).unwrap_err();
        assert_eq!(
            err.kubectl_message(),
            "Error from server (AlreadyExists): pods \"a\" already exists"
        );
    }

    #[test]
    fn unknown_namespace_is_not_found() {
        let mut api = ApiServer::new(1);
        let mut p = pod("a", &[]);
        p.metadata.namespace = "nope".into();
        assert_eq!(
            api.create(p).unwrap_err().kubectl_message(),
            "Error from server (NotFound): namespaces \"nope\" not found"
        );
    }

    #[test]
    fn stale_resource_version_conflicts() {
        let mut api = ApiServer::new(1);
        let p = api.create(pod("a", &[])).unwrap();
        let mut first = (*p).clone();
        first.metadata.labels.insert("x".into(), "1".into());
        api.update(first).unwrap();
        let mut stale = (*p).clone();
        stale.metadata.labels.insert("x".into(), "2".into());
        assert_eq!(
            api.update(stale).unwrap_err().reason,
            StatusReason::Conflict
        );
    }

    #[test]
    fn label_index_follows_updates() {
        let mut api = ApiServer::new(1);
        api.create(pod("a", &[("app", "web")])).unwrap();
        api.create(pod("b", &[("app", "web"), ("tier", "fe")]))
            .unwrap();
        api.create(pod("c", &[("app", "db")])).unwrap();
        let sel = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let names = |api: &ApiServer, s| {
            api.pods
                .matching_labels("default", &s)
                .iter()
                .map(|p| p.metadata.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&api, sel(&[("app", "web")])), ["a", "b"]);
        api.modify::<Pod>("default", "a", |p| {
            p.metadata.labels.insert("app".into(), "db".into());
        })
        .unwrap();
        assert_eq!(names(&api, sel(&[("app", "web")])), ["b"]);
        assert_eq!(names(&api, sel(&[("app", "db")])), ["a", "c"]);
    }

    #[test]
    fn scheduled_pods_terminate_gracefully_unscheduled_ones_go_at_once() {
        let mut api = ApiServer::new(1);
        let mut p = pod("a", &[]);
        p.spec.node_name = "node-1".into();
        api.create(p).unwrap();
        api.create(pod("b", &[])).unwrap();
        api.now = 5_000;
        assert_eq!(
            api.delete::<Pod>("default", "a", DeleteOptions::default()),
            Ok(Deleted::Terminating)
        );
        let a = api.get::<Pod>("default", "a").unwrap();
        assert_eq!(a.metadata.deletion_grace_period_seconds, Some(30));
        assert_eq!(a.metadata.deletion_timestamp.unwrap().virtual_ms(), 35_000);
        assert_eq!(
            api.delete::<Pod>("default", "b", DeleteOptions::default()),
            Ok(Deleted::Removed)
        );
        assert!(api.get::<Pod>("default", "b").is_none());
    }

    #[test]
    fn nodeport_range_and_collisions_use_the_allocator_messages() {
        let mut api = ApiServer::new(1);
        let svc = |name: &str, node_port: i32| {
            let mut s = Service::default();
            s.metadata.name = name.into();
            s.spec.type_ = Some("NodePort".into());
            s.spec.ports = vec![crate::api::core::ServicePort {
                port: 80,
                node_port: Some(node_port),
                ..Default::default()
            }];
            s
        };
        assert_eq!(
            api.create(svc("a", 80)).unwrap_err().kubectl_message(),
            "The Service \"a\" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"
        );
        api.create(svc("b", 30080)).unwrap();
        assert_eq!(
            api.create(svc("c", 30080)).unwrap_err().kubectl_message(),
            "The Service \"c\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"
        );
        api.delete::<Service>("default", "b", DeleteOptions::default())
            .unwrap();
        api.create(svc("c", 30080)).unwrap();
    }

    #[test]
    fn merge_patch_follows_rfc7386() {
        let mut doc = serde_json::json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge_patch_value(
            &mut doc,
            &serde_json::json!({"a": {"b": null, "e": 3}, "d": [2]}),
        );
        assert_eq!(doc, serde_json::json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }
}
