//! [`Shared`]: a part of an API object that copies of the object share until one of them
//! changes it (copy on write).
//!
//! Every write through the API server copies the stored object (the watch event carries the
//! old and the new one), and most writes change only the status: a pod spec, with its
//! containers, tolerations and defaulted fields, is then shared by the old and the new copy
//! instead of being copied field by field, and comparing the two is a pointer check.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::rc::{Rc, Weak};

/// A value behind a shared pointer that reads like the value itself and is copied only when
/// written through a shared copy (`DerefMut` is `Rc::make_mut`). Serializes, compares and
/// prints as the value.
pub struct Shared<T>(Rc<T>);

/// The empty value of `T`, allocated once per thread: every object's metadata starts with
/// empty labels and ownerReferences, and an Event (several per pod) keeps them empty, so
/// defaulting them shares one allocation instead of making two per object.
macro_rules! shared_empty_default {
    ($($t:ty),*) => {$(
        impl Default for Shared<$t> {
            fn default() -> Self {
                thread_local! {
                    static EMPTY: Rc<$t> = Rc::new(<$t>::default());
                }
                Shared(EMPTY.with(Rc::clone))
            }
        }
    )*};
}

shared_empty_default!(
    crate::api::meta::StringMap,
    crate::api::meta::Extra,
    Vec<crate::api::meta::OwnerReference>,
    Vec<crate::api::core::Container>,
    Vec<crate::api::core::Toleration>
);

impl Default for Shared<crate::api::core::PodSpec> {
    fn default() -> Self {
        Shared::new(Default::default())
    }
}

impl<T> Shared<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Shared(Rc::new(value))
    }

    /// Whether both are the same shared value (one is an unchanged copy of the other).
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Rc::ptr_eq(&a.0, &b.0)
    }

    /// The address of the shared value: equal for copies, and for nothing else while a
    /// [`SharedKey`] of the value exists.
    pub fn addr(this: &Self) -> usize {
        Rc::as_ptr(&this.0) as usize
    }

    /// A key naming this value by address, for memos of work done on it.
    pub fn key(this: &Self) -> SharedKey<T> {
        SharedKey(Rc::downgrade(&this.0))
    }

    /// Whether nothing else holds this value: no other request or object can present it
    /// again, so remembering anything about it is pointless.
    pub fn is_unique(this: &mut Self) -> bool {
        Rc::get_mut(&mut this.0).is_some()
    }
}

/// Names one shared value by its address without keeping the value alive (a weak
/// reference), for memos keyed by [`Shared::addr`].
///
/// While a key exists, a `Shared` at its address is the value the key was made from, unchanged:
/// the weak reference keeps the allocation, so the address cannot be reused, and a write through
/// a `Shared` (`Rc::make_mut`) never changes a value in place while a weak reference to it
/// exists, it moves the value to a new allocation first.
pub struct SharedKey<T>(Weak<T>);

impl<T> SharedKey<T> {
    /// The address of the value the key names ([`Shared::addr`]).
    pub fn addr(&self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Whether some `Shared` still holds the value (else no request can present it again and
    /// the key can go).
    pub fn is_live(&self) -> bool {
        self.0.strong_count() > 0
    }
}

impl<T> Clone for SharedKey<T> {
    fn clone(&self) -> Self {
        SharedKey(Weak::clone(&self.0))
    }
}

impl<T> fmt::Debug for SharedKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedKey({:#x})", self.addr())
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Self {
        Shared::new(value)
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Rc::make_mut(&mut self.0)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        // Copies of one object share the value: equal without looking inside.
        Rc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl<T: Eq> Eq for Shared<T> {}

/// Compares with an unshared value (`meta.labels == wanted`).
impl<T: PartialEq> PartialEq<T> for Shared<T> {
    fn eq(&self, other: &T) -> bool {
        *self.0 == *other
    }
}

/// Collects into the value (`pairs.collect()` for labels).
impl<A, T: FromIterator<A>> FromIterator<A> for Shared<T> {
    fn from_iter<I: IntoIterator<Item = A>>(iter: I) -> Self {
        Shared::new(iter.into_iter().collect())
    }
}

/// Iterates as the value does (`for (k, v) in &meta.labels`).
impl<'a, T> IntoIterator for &'a Shared<T>
where
    &'a T: IntoIterator,
{
    type Item = <&'a T as IntoIterator>::Item;
    type IntoIter = <&'a T as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (&*self.0).into_iter()
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Shared::new)
    }
}

/// One shared copy of each name handed out (node names, zones): the many records that name
/// one node hold one allocation between them instead of a copy each.
#[derive(Clone, Debug, Default)]
pub struct Names(rustc_hash::FxHashSet<Rc<str>>);

impl Names {
    /// The shared copy of `name`.
    pub fn get(&mut self, name: &str) -> Rc<str> {
        if let Some(n) = self.0.get(name) {
            return n.clone();
        }
        let n: Rc<str> = name.into();
        self.0.insert(n.clone());
        n
    }
}

/// An immutable string whose copies share one allocation: the names, namespaces and UIDs in
/// object metadata and references. Every write copies an object, and a pod's name and UID are
/// copied into its owner's bookkeeping, its endpoints and its events; with this type each copy
/// is a reference count instead of an allocation. Reads, compares, hashes, orders, prints and
/// serializes as the string itself.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedStr(Rc<str>);

impl SharedStr {
    /// A shared copy of `s`.
    pub fn new(s: &str) -> Self {
        if s.is_empty() {
            return SharedStr::default();
        }
        SharedStr(s.into())
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `a` and `b` are one allocation (then they are equal without comparing bytes).
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Rc::ptr_eq(&a.0, &b.0)
    }
}

impl Default for SharedStr {
    /// The empty string, allocated once per thread.
    fn default() -> Self {
        thread_local! {
            static EMPTY: Rc<str> = Rc::from("");
        }
        SharedStr(EMPTY.with(Rc::clone))
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        SharedStr::new(s)
    }
}

impl From<&String> for SharedStr {
    fn from(s: &String) -> Self {
        SharedStr::new(s)
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        if s.is_empty() {
            return SharedStr::default();
        }
        SharedStr(s.into())
    }
}

impl From<u64> for SharedStr {
    /// The decimal digits of `n` (a resourceVersion), written straight into the shared copy.
    fn from(n: u64) -> Self {
        SharedStr::new(decimal_digits(n, &mut [0; 20]))
    }
}

/// The decimal digits of `n`, written at the end of `buf` (no allocation: resourceVersions and
/// hashes are rendered on every write).
pub fn decimal_digits(n: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    let mut rest = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    // Only ASCII digits were written, so this never falls back.
    std::str::from_utf8(&buf[at..]).unwrap_or_default()
}

impl From<&SharedStr> for SharedStr {
    fn from(s: &SharedStr) -> Self {
        s.clone()
    }
}

impl From<SharedStr> for String {
    fn from(s: SharedStr) -> Self {
        s.0.to_string()
    }
}

impl From<&SharedStr> for String {
    fn from(s: &SharedStr) -> Self {
        s.0.to_string()
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == *other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SharedStr::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hand_out_one_copy_per_name() {
        let mut names = Names::default();
        let a = names.get("node-1");
        let b = names.get("node-1");
        let c = names.get("node-2");
        assert!(Rc::ptr_eq(&a, &b));
        assert_eq!((&*a, &*c), ("node-1", "node-2"));
    }

    #[test]
    fn a_shared_str_reads_compares_and_serializes_as_its_string() {
        let a = SharedStr::from("web-7d4b9c-x2k4q".to_string());
        let b = a.clone();
        assert!(SharedStr::ptr_eq(&a, &b), "a copy is the same allocation");
        assert_eq!(a, "web-7d4b9c-x2k4q");
        assert_eq!("web-7d4b9c-x2k4q", a);
        assert_eq!(a, "web-7d4b9c-x2k4q".to_string());
        assert_eq!(
            a,
            SharedStr::new("web-7d4b9c-x2k4q"),
            "equal without sharing"
        );
        assert!(a < SharedStr::new("web-8"), "ordered as strings");
        assert_eq!(
            format!("{a}/{a:?}"),
            "web-7d4b9c-x2k4q/\"web-7d4b9c-x2k4q\""
        );
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"web-7d4b9c-x2k4q\"");
        let back: SharedStr = serde_json::from_str("\"web-7d4b9c-x2k4q\"").unwrap();
        assert_eq!(back, a);
        // A map keyed by shared strings is searched with a borrowed one.
        let map = std::collections::BTreeMap::from([(a.clone(), 1)]);
        assert_eq!(map.get("web-7d4b9c-x2k4q"), Some(&1));
    }

    #[test]
    fn every_empty_shared_str_is_the_one_empty_allocation() {
        let a = SharedStr::default();
        assert!(a.is_empty());
        assert!(SharedStr::ptr_eq(&a, &SharedStr::new("")));
        assert!(SharedStr::ptr_eq(&a, &SharedStr::from(String::new())));
    }

    #[test]
    fn a_number_becomes_its_decimal_digits() {
        for n in [0, 7, 10, 4096, u64::MAX] {
            assert_eq!(SharedStr::from(n), n.to_string());
        }
    }

    #[test]
    fn copies_share_until_one_is_written() {
        let a = Shared::new(vec![1, 2]);
        let mut b = a.clone();
        assert!(Rc::ptr_eq(&a.0, &b.0));
        b.push(3);
        assert_eq!(*a, [1, 2]);
        assert_eq!(*b, [1, 2, 3]);
        assert_ne!(a, b);
        assert_eq!(a, Shared::new(vec![1, 2]));
    }

    #[test]
    fn a_write_never_changes_a_value_in_place_while_it_has_a_key() {
        let mut a = Shared::new(vec![1, 2]);
        let key = Shared::key(&a);
        let addr = Shared::addr(&a);
        assert_eq!(key.addr(), addr);
        // `a` is the only strong holder: without the key this write would be in place.
        a.push(3);
        assert_ne!(Shared::addr(&a), addr);
        assert!(!key.is_live());
        let mut b = Shared::new(vec![1]);
        assert!(Shared::is_unique(&mut b));
        b.push(2);
        assert_eq!(*b, [1, 2]);
    }

    #[test]
    fn serializes_as_the_value() {
        let a = Shared::new(vec![1, 2]);
        assert_eq!(serde_json::to_string(&a).unwrap(), "[1,2]");
        let back: Shared<Vec<i32>> = serde_json::from_str("[1,2]").unwrap();
        assert_eq!(back, a);
    }
}
