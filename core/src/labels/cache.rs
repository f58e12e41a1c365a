//! A memo of parsed `metav1.LabelSelector`s for controllers that convert the same object's
//! selector on every sync (upstream's ReplicaSet and Deployment controllers call
//! `LabelSelectorAsSelector` each time; the result only changes when the selector does).

use super::{LabelSelector, Selector, SelectorError};
use rustc_hash::FxHashMap;
use std::hash::Hash;
use std::rc::Rc;

/// One object's parsed selector: remembers the `LabelSelector` it was parsed from and is used
/// only while the object presents an equal one, so the answer is always what parsing would
/// give now.
#[derive(Debug, Default)]
pub struct SelectorMemo {
    slot: Option<Slot>,
}

#[derive(Debug)]
struct Slot {
    source: Option<LabelSelector>,
    parsed: Result<Rc<Selector>, SelectorError>,
}

impl SelectorMemo {
    /// `LabelSelectorAsSelector(ls)`, parsed again only when `ls` differs from what the memo
    /// was last parsed from.
    pub fn get(&mut self, ls: Option<&LabelSelector>) -> Result<Rc<Selector>, SelectorError> {
        if let Some(slot) = &self.slot {
            if slot.source.as_ref() == ls {
                return slot.parsed.clone();
            }
        }
        let parsed = Selector::from_label_selector(ls).map(Rc::new);
        self.slot = Some(Slot {
            source: ls.cloned(),
            parsed: parsed.clone(),
        });
        parsed
    }
}

/// [`Selector::from_label_selector`] results, one [`SelectorMemo`] per object (named by `K`,
/// e.g. its store key). The key only chooses the memo, it never decides the result.
#[derive(Debug)]
pub struct SelectorCache<K> {
    by_key: FxHashMap<K, SelectorMemo>,
}

impl<K> Default for SelectorCache<K> {
    fn default() -> Self {
        SelectorCache {
            by_key: FxHashMap::default(),
        }
    }
}

impl<K: Hash + Eq + Clone> SelectorCache<K> {
    /// `LabelSelectorAsSelector(ls)` for the object named `key`, parsed again only when `ls`
    /// differs from what that object's memo was parsed from.
    pub fn get(
        &mut self,
        key: &K,
        ls: Option<&LabelSelector>,
    ) -> Result<Rc<Selector>, SelectorError> {
        if let Some(memo) = self.by_key.get_mut(key) {
            return memo.get(ls);
        }
        let mut memo = SelectorMemo::default();
        let parsed = memo.get(ls);
        self.by_key.insert(key.clone(), memo);
        parsed
    }

    /// Drops the memo of a deleted object.
    pub fn forget(&mut self, key: &K) {
        self.by_key.remove(key);
    }

    /// Number of objects with a memo.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no object has a memo.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::LabelSelectorRequirement;
    use std::collections::BTreeMap;

    fn match_labels(pairs: &[(&str, &str)]) -> LabelSelector {
        LabelSelector {
            match_labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
                .into(),
            ..Default::default()
        }
    }

    /// Every answer equals a fresh parse, whatever the sequence of selectors presented under
    /// one or several UIDs (a changed selector, an invalid one, nil, empty).
    #[test]
    fn answers_as_a_fresh_parse_through_selector_changes() {
        let invalid = LabelSelector {
            match_expressions: vec![LabelSelectorRequirement {
                key: "app".into(),
                operator: "Sideways".into(),
                values: vec![],
            }],
            ..Default::default()
        };
        let steps: Vec<(&str, Option<LabelSelector>)> = vec![
            ("a", Some(match_labels(&[("app", "web")]))),
            ("a", Some(match_labels(&[("app", "web")]))),
            ("b", Some(match_labels(&[("app", "db")]))),
            ("a", Some(match_labels(&[("app", "web"), ("tier", "x")]))),
            ("a", Some(invalid.clone())),
            ("a", Some(invalid)),
            ("a", None),
            ("a", Some(LabelSelector::default())),
            ("b", Some(match_labels(&[("app", "db")]))),
        ];
        let mut cache: SelectorCache<&str> = SelectorCache::default();
        for (uid, ls) in &steps {
            let got = cache.get(uid, ls.as_ref()).map(|s| (*s).clone());
            assert_eq!(
                got,
                Selector::from_label_selector(ls.as_ref()),
                "{uid} {ls:?}"
            );
        }
        assert_eq!(cache.len(), 2);
        cache.forget(&"a");
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn an_unchanged_selector_is_not_parsed_again() {
        let ls = match_labels(&[("app", "web")]);
        let mut cache: SelectorCache<&str> = SelectorCache::default();
        let first = cache.get(&"u", Some(&ls));
        let second = cache.get(&"u", Some(&ls.clone()));
        match (first, second) {
            (Ok(a), Ok(b)) => assert!(Rc::ptr_eq(&a, &b)),
            other => panic!("valid selector rejected: {other:?}"),
        }
    }
}
