//! kubectl's renderings of labels and selectors (`labels.FormatLabels`,
//! `metav1.FormatLabelSelector`) and `-l` parsing through [`crate::labels`].

use crate::api::meta::{LabelSelector, StringMap};
use crate::labels::Selector;

/// Parses a `-l` value; the error is the API server's BadRequest as kubectl prints it.
pub fn parse_selector(s: &str) -> Result<Selector, String> {
    Selector::parse(s).map_err(|e| format!("Error from server (BadRequest): {e}"))
}

/// `metav1.FormatLabelSelector`: the selector's string form, `<none>` when it is empty or nil.
pub fn format_label_selector(sel: Option<&LabelSelector>) -> String {
    match Selector::from_label_selector(sel) {
        Err(_) => "<error>".to_string(),
        Ok(s) => {
            let text = s.to_string();
            if text.is_empty() {
                "<none>".to_string()
            } else {
                text
            }
        }
    }
}

/// Whether `labels` match a `metav1.LabelSelector` (nil selects nothing, `{}` everything).
pub fn label_selector_matches(sel: Option<&LabelSelector>, labels: &StringMap) -> bool {
    Selector::from_label_selector(sel).is_ok_and(|s| s.matches(labels))
}

/// `labels.FormatLabels`: `k=v` pairs sorted by key, `<none>` when empty.
pub fn format_labels(labels: &StringMap) -> String {
    if labels.is_empty() {
        return "<none>".to_string();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors_render_sorted_by_key() {
        let sel = LabelSelector {
            match_labels: labels(&[("tier", "fe"), ("app", "web")]).into(),
            match_expressions: vec![crate::api::meta::LabelSelectorRequirement {
                key: "env".into(),
                operator: "In".into(),
                values: vec!["qa".into(), "prod".into()],
            }],
        };
        assert_eq!(
            format_label_selector(Some(&sel)),
            "app=web,env in (prod,qa),tier=fe"
        );
        assert_eq!(format_label_selector(None), "<none>");
        assert!(label_selector_matches(
            Some(&sel),
            &labels(&[("app", "web"), ("tier", "fe"), ("env", "qa")])
        ));
        assert!(!label_selector_matches(None, &labels(&[])));
    }

    #[test]
    fn labels_render_sorted_or_none() {
        assert_eq!(format_labels(&labels(&[("b", "2"), ("a", "1")])), "a=1,b=2");
        assert_eq!(format_labels(&labels(&[])), "<none>");
    }
}
