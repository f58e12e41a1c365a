//! A memo of parsed `metav1.LabelSelector`s for controllers that convert the same object's
//! selector on every sync (upstream's ReplicaSet and Deployment controllers call
//! `LabelSelectorAsSelector` each time; the result only changes when the selector does).

use super::{LabelSelector, Selector, SelectorError};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// [`Selector::from_label_selector`] results, one slot per object (named by its UID).
///
/// A slot remembers the `LabelSelector` it was parsed from and is used only while the object
/// presents an equal one, so the answer is always what parsing would give now: the UID only
/// chooses the slot, it never decides the result.
#[derive(Debug, Default)]
pub struct SelectorCache {
    by_uid: FxHashMap<String, Slot>,
}

#[derive(Debug)]
struct Slot {
    source: Option<LabelSelector>,
    parsed: Result<Arc<Selector>, SelectorError>,
}

impl SelectorCache {
    /// `LabelSelectorAsSelector(ls)` for the object with UID `uid`, parsed again only when
    /// `ls` differs from what that object's slot was parsed from.
    pub fn get(
        &mut self,
        uid: &str,
        ls: Option<&LabelSelector>,
    ) -> Result<Arc<Selector>, SelectorError> {
        if let Some(slot) = self.by_uid.get(uid) {
            if slot.source.as_ref() == ls {
                return slot.parsed.clone();
            }
        }
        let parsed = Selector::from_label_selector(ls).map(Arc::new);
        let slot = Slot {
            source: ls.cloned(),
            parsed: parsed.clone(),
        };
        match self.by_uid.get_mut(uid) {
            Some(s) => *s = slot,
            None => {
                self.by_uid.insert(uid.to_string(), slot);
            }
        }
        parsed
    }

    /// Drops the slot of a deleted object.
    pub fn forget(&mut self, uid: &str) {
        self.by_uid.remove(uid);
    }

    /// Number of objects with a slot.
    pub fn len(&self) -> usize {
        self.by_uid.len()
    }

    /// Whether no object has a slot.
    pub fn is_empty(&self) -> bool {
        self.by_uid.is_empty()
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
                .collect::<BTreeMap<_, _>>(),
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
        let mut cache = SelectorCache::default();
        for (uid, ls) in &steps {
            let got = cache.get(uid, ls.as_ref()).map(|s| (*s).clone());
            assert_eq!(
                got,
                Selector::from_label_selector(ls.as_ref()),
                "{uid} {ls:?}"
            );
        }
        assert_eq!(cache.len(), 2);
        cache.forget("a");
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn an_unchanged_selector_is_not_parsed_again() {
        let ls = match_labels(&[("app", "web")]);
        let mut cache = SelectorCache::default();
        let first = cache.get("u", Some(&ls));
        let second = cache.get("u", Some(&ls.clone()));
        match (first, second) {
            (Ok(a), Ok(b)) => assert!(Arc::ptr_eq(&a, &b)),
            other => panic!("valid selector rejected: {other:?}"),
        }
    }
}
