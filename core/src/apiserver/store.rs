//! The object store behind the API server: one ordered map per kind with the indexes that keep
//! every controller's lookups independent of cluster size (by namespace via key order, by label,
//! by owner UID, by node), and the resourceVersion counter.

use crate::api::{Object, ObjectMeta, Resource, SharedStr};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

/// `namespace/name` of an object (`namespace` is empty for cluster-scoped kinds).
///
/// Keys are copied into every index, queue and watch event that names an object, so a key is
/// one shared allocation (a copy is a reference count) carrying its hash: hashing a key is a
/// field read, and two different keys almost always differ in the hash before any string is
/// compared. Reads like a struct with `namespace` and `name` fields (see [`KeyParts`]).
#[derive(Clone)]
pub struct ObjectKey(Rc<KeyParts>);

/// What an [`ObjectKey`] holds.
pub struct KeyParts {
    /// Namespace ("" for Nodes and Namespaces).
    pub namespace: SharedStr,
    /// Name.
    pub name: SharedStr,
    hash: u64,
}

/// The hash of a key's parts, the same for an [`ObjectKey`] and for borrowed `(ns, name)`.
fn key_hash(namespace: &str, name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    namespace.hash(&mut h);
    name.hash(&mut h);
    h.finish()
}

impl ObjectKey {
    /// A namespaced key.
    pub fn new(namespace: impl Into<SharedStr>, name: impl Into<SharedStr>) -> Self {
        let (namespace, name) = (namespace.into(), name.into());
        let hash = key_hash(&namespace, &name);
        ObjectKey(Rc::new(KeyParts {
            namespace,
            name,
            hash,
        }))
    }
    /// A cluster-scoped key.
    pub fn cluster(name: impl Into<SharedStr>) -> Self {
        ObjectKey::new(SharedStr::default(), name)
    }
    /// The key of an object.
    pub fn of<T: Resource>(obj: &T) -> Self {
        ObjectKey::new(obj.meta().namespace.clone(), obj.meta().name.clone())
    }
}

impl std::ops::Deref for ObjectKey {
    type Target = KeyParts;
    fn deref(&self) -> &KeyParts {
        &self.0
    }
}

impl Default for ObjectKey {
    fn default() -> Self {
        ObjectKey::new(SharedStr::default(), SharedStr::default())
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectKey")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .finish()
    }
}

impl PartialEq for ObjectKey {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
            || (self.hash == other.hash
                && self.name == other.name
                && self.namespace == other.namespace)
    }
}

impl Eq for ObjectKey {}

impl PartialOrd for ObjectKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Ordered by namespace, then name (listings are in this order).
impl Ord for ObjectKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Rc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        (self.namespace.as_str(), self.name.as_str())
            .cmp(&(other.namespace.as_str(), other.name.as_str()))
    }
}

impl std::hash::Hash for ObjectKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// A key seen as `(namespace, name)`, so maps keyed by [`ObjectKey`] can be searched with
/// borrowed strings (no allocation per lookup): `map.get(&(ns, name) as &dyn KeyRef)`.
/// Ordered and hashed exactly as `ObjectKey` is.
pub(crate) trait KeyRef {
    fn parts(&self) -> (&str, &str);
}

impl KeyRef for ObjectKey {
    fn parts(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
}

impl KeyRef for (&str, &str) {
    fn parts(&self) -> (&str, &str) {
        (self.0, self.1)
    }
}

impl<'a> std::borrow::Borrow<dyn KeyRef + 'a> for ObjectKey {
    fn borrow(&self) -> &(dyn KeyRef + 'a) {
        self
    }
}

// Hashes as `ObjectKey` does, so maps keyed by keys can be searched with borrowed strings.
impl std::hash::Hash for dyn KeyRef + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (namespace, name) = self.parts();
        state.write_u64(key_hash(namespace, name));
    }
}

impl PartialEq for dyn KeyRef + '_ {
    fn eq(&self, other: &Self) -> bool {
        let ((ns, name), (other_ns, other_name)) = (self.parts(), other.parts());
        same_str(name, other_name) && same_str(ns, other_ns)
    }
}

/// String equality that answers without reading the bytes when both are the same slice: a
/// lookup's strings are mostly the stored key's own (`SharedStr`s handed around by objects,
/// watch events and queues), and at scale the bytes are a cache miss away.
fn same_str(a: &str, b: &str) -> bool {
    (std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()) || a == b
}

impl Eq for dyn KeyRef + '_ {}

impl PartialOrd for dyn KeyRef + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for dyn KeyRef + '_ {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.parts().cmp(&other.parts())
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WatchEventType {
    /// Created.
    Added,
    /// Updated (including a graceful deletion starting).
    Modified,
    /// Removed from the store.
    Deleted,
}

impl WatchEventType {
    /// `ADDED`, `MODIFIED`, `DELETED` as the watch API spells them.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        }
    }
}

/// One watch event, carrying the object before and after the change so that a consumer can
/// react to what changed (e.g. a pod's labels leaving a Service's selector).
#[derive(Clone, Debug)]
pub struct WatchEvent {
    /// The resourceVersion the change produced.
    pub resource_version: u64,
    /// What happened.
    pub type_: WatchEventType,
    /// The object's key.
    pub key: ObjectKey,
    /// The object before the change (None for Added).
    pub old: Option<Object>,
    /// The object after the change (None for Deleted).
    pub new: Option<Object>,
}

impl WatchEvent {
    /// The kind of the object.
    pub fn kind(&self) -> crate::api::Kind {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .map(|o| o.kind())
            .unwrap_or(crate::api::Kind::Event)
    }
    /// The newest state of the object (the old one for Deleted).
    pub fn object(&self) -> Option<&Object> {
        self.new.as_ref().or(self.old.as_ref())
    }
}

/// `(namespace, label key, label value)`.
type LabelIndexKey = (String, String, String);

/// A label index key seen as three strings, so the index is searched with borrowed ones (a
/// lookup allocates nothing). Hashed and compared exactly as [`LabelIndexKey`].
trait LabelKeyRef {
    fn parts(&self) -> (&str, &str, &str);
}

impl LabelKeyRef for LabelIndexKey {
    fn parts(&self) -> (&str, &str, &str) {
        (&self.0, &self.1, &self.2)
    }
}

impl LabelKeyRef for (&str, &str, &str) {
    fn parts(&self) -> (&str, &str, &str) {
        *self
    }
}

impl<'a> std::borrow::Borrow<dyn LabelKeyRef + 'a> for LabelIndexKey {
    fn borrow(&self) -> &(dyn LabelKeyRef + 'a) {
        self
    }
}

// A tuple of `String`s hashes each as a `str`, as this does.
impl std::hash::Hash for dyn LabelKeyRef + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialEq for dyn LabelKeyRef + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn LabelKeyRef + '_ {}

/// The objects of one kind.
#[derive(Clone, Debug)]
pub struct Store<T: Resource> {
    /// The keys in order (namespace, then name), for listings. Only creation and removal
    /// touch it: most writes replace an object, and a replacement is one hash probe in
    /// `lookup` rather than a walk down an ordered map comparing names.
    order: BTreeSet<ObjectKey>,
    /// The objects.
    lookup: HashMap<ObjectKey, Rc<T>>,
    by_uid: HashMap<SharedStr, ObjectKey>,
    by_label: HashMap<LabelIndexKey, BTreeSet<ObjectKey>>,
    by_owner: HashMap<SharedStr, BTreeSet<ObjectKey>>,
    /// Unordered: a binding adds to it for every pod, and a hashed insert touches one key
    /// where an ordered one compares names down a tree; the rare listing sorts.
    by_node: HashMap<String, HashSet<ObjectKey>>,
    node_of: fn(&T) -> Option<&str>,
    /// How many times an object was put or removed (see [`Store::changes`]).
    changes: u64,
}

fn no_node<T>(_: &T) -> Option<&str> {
    None
}

impl<T: Resource> Default for Store<T> {
    fn default() -> Self {
        Store::new(no_node::<T>)
    }
}

impl<T: Resource> Store<T> {
    /// An empty store; `node_of` names the node an object is bound to (pods), for the node index.
    pub fn new(node_of: fn(&T) -> Option<&str>) -> Self {
        Store {
            order: BTreeSet::new(),
            lookup: HashMap::default(),
            by_uid: HashMap::default(),
            by_label: HashMap::default(),
            by_owner: HashMap::default(),
            by_node: HashMap::default(),
            node_of,
            changes: 0,
        }
    }

    /// A counter that moves whenever an object is stored or removed, whether or not the
    /// number of objects changes (a replacement, or a removal and a creation): readers that
    /// rebuild a view from the store compare it instead of the length.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.lookup.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.lookup.is_empty()
    }

    /// The object at `key`.
    pub fn get(&self, key: &ObjectKey) -> Option<&Rc<T>> {
        self.lookup.get(key)
    }

    /// The object named `name` in `namespace`.
    pub fn get_by_name(&self, namespace: &str, name: &str) -> Option<&Rc<T>> {
        // Borrowed lookup: no key is allocated.
        self.lookup.get(&(namespace, name) as &dyn KeyRef)
    }

    /// The stored key and object named `name` in `namespace` (the key is shared, not built).
    pub fn get_entry(&self, namespace: &str, name: &str) -> Option<(&ObjectKey, &Rc<T>)> {
        self.lookup.get_key_value(&(namespace, name) as &dyn KeyRef)
    }

    /// The object with this UID.
    pub fn get_by_uid(&self, uid: &str) -> Option<&Rc<T>> {
        self.by_uid.get(uid).and_then(|k| self.lookup.get(k))
    }

    /// All objects, ordered by namespace then name.
    pub fn iter(&self) -> impl Iterator<Item = &Rc<T>> + '_ {
        self.order.iter().filter_map(|k| self.lookup.get(k))
    }

    /// The objects of one namespace, ordered by name.
    pub fn in_namespace<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a Rc<T>> + 'a {
        self.order
            .range(ObjectKey::new(namespace, "")..)
            .take_while(move |k| k.namespace == namespace)
            .filter_map(|k| self.lookup.get(k))
    }

    /// Keys of the objects in `namespace` carrying label `key=value`, in name order.
    pub fn keys_with_label(
        &self,
        namespace: &str,
        key: &str,
        value: &str,
    ) -> Option<&BTreeSet<ObjectKey>> {
        self.by_label
            .get(&(namespace, key, value) as &dyn LabelKeyRef)
    }

    /// Objects in `namespace` whose labels contain every pair of `selector` (a Service-style
    /// equality selector), found through the label index. An empty selector matches all.
    pub fn matching_labels(
        &self,
        namespace: &str,
        selector: &BTreeMap<String, String>,
    ) -> Vec<Rc<T>> {
        if selector.is_empty() {
            return self.in_namespace(namespace).cloned().collect();
        }
        let mut smallest: Option<&BTreeSet<ObjectKey>> = None;
        for (k, v) in selector {
            match self.keys_with_label(namespace, k, v) {
                None => return Vec::new(),
                Some(set) => {
                    if smallest.is_none_or(|s| set.len() < s.len()) {
                        smallest = Some(set);
                    }
                }
            }
        }
        // The objects of the smallest set carry its pair: with one pair there is nothing
        // left to check.
        let single = selector.len() == 1;
        smallest
            .into_iter()
            .flatten()
            .filter_map(|key| self.lookup.get(key))
            .filter(|o| {
                single
                    || selector
                        .iter()
                        .all(|(k, v)| o.meta().labels.get(k) == Some(v))
            })
            .cloned()
            .collect()
    }

    /// Objects whose ownerReferences name `owner_uid`.
    pub fn owned_by(&self, owner_uid: &str) -> Vec<Rc<T>> {
        self.by_owner
            .get(owner_uid)
            .into_iter()
            .flatten()
            .filter_map(|k| self.lookup.get(k))
            .cloned()
            .collect()
    }

    /// Objects bound to `node`, ordered by namespace then name.
    pub fn on_node(&self, node: &str) -> Vec<Rc<T>> {
        let mut keys: Vec<&ObjectKey> = self.by_node.get(node).into_iter().flatten().collect();
        keys.sort_unstable();
        keys.into_iter()
            .filter_map(|k| self.lookup.get(k))
            .cloned()
            .collect()
    }

    /// Number of objects bound to `node`.
    pub fn count_on_node(&self, node: &str) -> usize {
        self.by_node.get(node).map_or(0, |s| s.len())
    }

    /// Inserts or replaces an object, keeping the indexes right; returns the previous one.
    pub(crate) fn put(&mut self, obj: Rc<T>) -> Option<Rc<T>> {
        // Replacing: one hash probe finds the key already stored, so neither map allocates a
        // new key (most writes are status updates of an existing object).
        let m = obj.meta();
        let probe = (m.namespace.as_str(), m.name.as_str());
        let key = match self.lookup.get_key_value(&probe as &dyn KeyRef) {
            Some((key, _)) => key.clone(),
            None => ObjectKey::of(&*obj),
        };
        self.put_at(&key, obj)
    }

    /// [`Store::put`] with the object's key already made (a create builds it for its watch
    /// event, an update has the stored one): the store keeps that key instead of making or
    /// looking up its own. A key that does not name the object is ignored.
    pub(crate) fn put_keyed(&mut self, key: &ObjectKey, obj: Rc<T>) -> Option<Rc<T>> {
        let m = obj.meta();
        if key.namespace != m.namespace || key.name != m.name {
            return self.put(obj);
        }
        self.put_at(key, obj)
    }

    /// Stores `obj` under `key`, which names it; returns the object it replaced.
    fn put_at(&mut self, key: &ObjectKey, obj: Rc<T>) -> Option<Rc<T>> {
        self.changes += 1;
        if let Some(slot) = self.lookup.get_mut(key) {
            let old = std::mem::replace(slot, obj.clone());
            self.reindex(key, &old, &obj);
            return Some(old);
        }
        self.order.insert(key.clone());
        self.lookup.insert(key.clone(), obj.clone());
        self.index(key, &obj);
        None
    }

    /// Removes an object; returns it.
    pub(crate) fn remove(&mut self, key: &ObjectKey) -> Option<Rc<T>> {
        let old = self.lookup.remove(key)?;
        self.changes += 1;
        self.order.remove(key);
        self.unindex(key, &old);
        Some(old)
    }

    /// Removes the object named `name` in `namespace` without building a key; returns it.
    pub(crate) fn remove_by_name(&mut self, namespace: &str, name: &str) -> Option<Rc<T>> {
        let (key, old) = self
            .lookup
            .remove_entry(&(namespace, name) as &dyn KeyRef)?;
        self.changes += 1;
        self.order.remove(&key);
        self.unindex(&key, &old);
        Some(old)
    }

    /// Moves `key` in the indexes from `old` to `new`, touching only the indexes whose input
    /// changed: a status write leaves labels, owners, UID and node alone and costs no index
    /// work; a binding moves the node index only.
    fn reindex(&mut self, key: &ObjectKey, old: &T, new: &T) {
        let (om, nm) = (old.meta(), new.meta());
        if om.uid != nm.uid {
            if self.by_uid.get(&om.uid) == Some(key) {
                self.by_uid.remove(&om.uid);
            }
            if !nm.uid.is_empty() {
                self.by_uid.insert(nm.uid.clone(), key.clone());
            }
        }
        if om.labels != nm.labels {
            self.unindex_labels(key, om);
            self.index_labels(key, nm);
        }
        if om.owner_references != nm.owner_references {
            self.unindex_owners(key, om);
            self.index_owners(key, nm);
        }
        let (old_node, new_node) = ((self.node_of)(old), (self.node_of)(new));
        if old_node != new_node {
            self.unindex_node(key, old_node);
            self.index_node(key, new_node);
        }
    }

    fn index(&mut self, key: &ObjectKey, obj: &T) {
        let m = obj.meta();
        if !m.uid.is_empty() {
            self.by_uid.insert(m.uid.clone(), key.clone());
        }
        self.index_labels(key, m);
        self.index_owners(key, m);
        self.index_node(key, (self.node_of)(obj));
    }

    fn unindex(&mut self, key: &ObjectKey, obj: &T) {
        let m = obj.meta();
        if self.by_uid.get(&m.uid) == Some(key) {
            self.by_uid.remove(&m.uid);
        }
        self.unindex_labels(key, m);
        self.unindex_owners(key, m);
        self.unindex_node(key, (self.node_of)(obj));
    }

    fn index_labels(&mut self, key: &ObjectKey, m: &ObjectMeta) {
        for (k, v) in &m.labels {
            let probe = (key.namespace.as_str(), k.as_str(), v.as_str());
            // Most labels (`app=web`) are already indexed: no key is built for them.
            if let Some(set) = self.by_label.get_mut(&probe as &dyn LabelKeyRef) {
                set.insert(key.clone());
            } else {
                self.by_label.insert(
                    (key.namespace.to_string(), k.clone(), v.clone()),
                    BTreeSet::from([key.clone()]),
                );
            }
        }
    }

    fn unindex_labels(&mut self, key: &ObjectKey, m: &ObjectMeta) {
        for (k, v) in &m.labels {
            let probe = (key.namespace.as_str(), k.as_str(), v.as_str());
            if let Some(set) = self.by_label.get_mut(&probe as &dyn LabelKeyRef) {
                set.remove(key);
                if set.is_empty() {
                    self.by_label.remove(&probe as &dyn LabelKeyRef);
                }
            }
        }
    }

    fn index_owners(&mut self, key: &ObjectKey, m: &ObjectMeta) {
        for o in &m.owner_references {
            self.by_owner
                .entry(o.uid.clone())
                .or_default()
                .insert(key.clone());
        }
    }

    fn unindex_owners(&mut self, key: &ObjectKey, m: &ObjectMeta) {
        for o in &m.owner_references {
            if let Some(set) = self.by_owner.get_mut(&o.uid) {
                set.remove(key);
                if set.is_empty() {
                    self.by_owner.remove(&o.uid);
                }
            }
        }
    }

    fn index_node(&mut self, key: &ObjectKey, node: Option<&str>) {
        if let Some(node) = node.filter(|n| !n.is_empty()) {
            // The node's name is copied only for its first object.
            match self.by_node.get_mut(node) {
                Some(set) => {
                    set.insert(key.clone());
                }
                None => {
                    self.by_node
                        .insert(node.to_string(), HashSet::from_iter([key.clone()]));
                }
            }
        }
    }

    fn unindex_node(&mut self, key: &ObjectKey, node: Option<&str>) {
        if let Some(node) = node {
            if let Some(set) = self.by_node.get_mut(node) {
                set.remove(key);
                if set.is_empty() {
                    self.by_node.remove(node);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Event;

    fn event(name: &str, count: i32) -> Rc<Event> {
        let mut e = Event::default();
        e.metadata.name = name.into();
        e.metadata.namespace = "default".into();
        e.count = count;
        Rc::new(e)
    }

    #[test]
    fn the_change_counter_moves_on_every_write_even_when_the_size_does_not() {
        let mut store: Store<Event> = Store::default();
        let mut seen = vec![store.changes()];
        store.put(event("a", 1));
        seen.push(store.changes());
        // Aggregation rewrites an Event in place.
        store.put(event("a", 2));
        seen.push(store.changes());
        assert_eq!(store.len(), 1);
        // Past the cap, a new Event evicts the oldest.
        store.put(event("b", 1));
        store.remove_by_name("default", "a");
        seen.push(store.changes());
        assert_eq!(store.len(), 1);
        store.remove(&ObjectKey::new("default", "b"));
        seen.push(store.changes());
        // Removing what is not there changes nothing.
        store.remove(&ObjectKey::new("default", "b"));
        seen.push(store.changes());
        assert_eq!(seen, [0, 1, 2, 4, 5, 5]);
    }

    fn pod(namespace: &str, name: &str, node: &str) -> Rc<crate::api::Pod> {
        let mut p = crate::api::Pod::default();
        p.metadata.namespace = namespace.into();
        p.metadata.name = name.into();
        p.spec.node_name = node.into();
        Rc::new(p)
    }

    fn names_on(store: &Store<crate::api::Pod>, node: &str) -> Vec<String> {
        store
            .on_node(node)
            .iter()
            .map(|p| format!("{}/{}", p.metadata.namespace, p.metadata.name))
            .collect()
    }

    #[test]
    fn pods_on_a_node_list_by_namespace_then_name_whatever_the_binding_order() {
        let mut store = Store::new(|p: &crate::api::Pod| Some(p.spec.node_name.as_str()));
        for (ns, name, node) in [
            ("default", "web-2", "n1"),
            ("kube-system", "dns", "n1"),
            ("default", "web-10", "n1"),
            ("default", "db", "n2"),
            ("default", "web-1", "n1"),
            ("default", "pending", ""),
        ] {
            store.put(pod(ns, name, node));
        }
        assert_eq!(
            names_on(&store, "n1"),
            [
                "default/web-1",
                "default/web-10",
                "default/web-2",
                "kube-system/dns"
            ]
        );
        assert_eq!(store.count_on_node("n1"), 4);
        assert!(
            names_on(&store, "").is_empty(),
            "unbound pods are on no node"
        );
        // A rebinding moves the pod; the last pod leaving a node leaves nothing behind.
        store.put(pod("default", "db", "n1"));
        assert_eq!(names_on(&store, "n1")[0], "default/db");
        assert_eq!(store.count_on_node("n2"), 0);
        store.remove(&ObjectKey::new("default", "web-2"));
        assert_eq!(store.count_on_node("n1"), 4);
        assert!(!store.by_node.contains_key("n2"));
    }

    #[test]
    fn a_put_with_a_key_stores_as_a_put_without_one() {
        let mut keyed = Store::new(|p: &crate::api::Pod| Some(p.spec.node_name.as_str()));
        let mut plain = keyed.clone();
        let writes = [
            pod("default", "a", "n1"),
            pod("default", "b", ""),
            pod("default", "a", "n2"),
            pod("kube-system", "a", "n1"),
        ];
        for p in writes.iter().cloned() {
            let key = ObjectKey::of(&*p);
            let wrong = ObjectKey::new("default", "elsewhere");
            assert_eq!(
                keyed.put_keyed(&key, p.clone()).is_some(),
                plain.put(p.clone()).is_some()
            );
            // A key naming another object is not trusted: the object goes under its own.
            keyed.put_keyed(&wrong, p.clone());
            plain.put(p);
        }
        for store in [&keyed, &plain] {
            assert_eq!(store.len(), 3);
            assert!(store.get_by_name("default", "elsewhere").is_none());
            assert_eq!(names_on(store, "n1"), ["kube-system/a"]);
            assert_eq!(names_on(store, "n2"), ["default/a"]);
        }
        assert_eq!(keyed.changes(), plain.changes());
    }
}
