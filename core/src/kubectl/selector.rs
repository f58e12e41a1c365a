//! A small label-selector parser for `-l`, used until `crate::labels` (the full §9 grammar)
//! lands on main: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`.
//! Also kubectl's rendering of a `metav1.LabelSelector` (`FormatLabelSelector`).

use crate::api::meta::{LabelSelector, StringMap};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed `-l` selector: an AND of requirements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector(Vec<Req>);

fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn set_values(rest: &str) -> Option<Vec<String>> {
    let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(|v| v.trim().to_string()).collect())
}

impl Selector {
    /// Parses a selector; the error text follows `labels.Parse`'s style.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        if s.trim().is_empty() {
            return Ok(Selector(reqs));
        }
        for part in split_top_level(s) {
            let p = part.trim();
            let bad = || format!("unable to parse requirement: found '{p}', expected: key");
            let req = if let Some(k) = p.strip_prefix('!') {
                Req::NotExists(k.trim().to_string())
            } else if let Some((k, v)) = p.split_once("!=") {
                Req::Ne(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = p.split_once("==") {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = p.split_once('=') {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = p.split_once(" notin ") {
                Req::NotIn(k.trim().into(), set_values(rest).ok_or_else(bad)?)
            } else if let Some((k, rest)) = p.split_once(" in ") {
                Req::In(k.trim().into(), set_values(rest).ok_or_else(bad)?)
            } else {
                Req::Exists(p.to_string())
            };
            let (key, values): (&str, Vec<&String>) = match &req {
                Req::Eq(k, v) | Req::Ne(k, v) => (k, vec![v]),
                Req::In(k, vs) | Req::NotIn(k, vs) => (k, vs.iter().collect()),
                Req::Exists(k) | Req::NotExists(k) => (k, vec![]),
            };
            if !valid_key(key)
                || values
                    .iter()
                    .any(|v| v.contains(|c: char| c.is_whitespace() || "=!(),".contains(c)))
            {
                return Err(bad());
            }
            reqs.push(req);
        }
        Ok(Selector(reqs))
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &StringMap) -> bool {
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => labels.get(k) == Some(v),
            Req::Ne(k, v) => labels.get(k) != Some(v),
            Req::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Req::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Req::Exists(k) => labels.contains_key(k),
            Req::NotExists(k) => !labels.contains_key(k),
        })
    }
}

/// `metav1.FormatLabelSelector`: requirements sorted by key, `<none>` when empty.
pub fn format_label_selector(sel: Option<&LabelSelector>) -> String {
    let Some(sel) = sel else {
        return "<none>".to_string();
    };
    let mut reqs: Vec<(String, String)> = sel
        .match_labels
        .iter()
        .map(|(k, v)| (k.clone(), format!("{k}={v}")))
        .collect();
    for e in &sel.match_expressions {
        let mut values = e.values.clone();
        values.sort();
        let s = match e.operator.as_str() {
            "In" => format!("{} in ({})", e.key, values.join(",")),
            "NotIn" => format!("{} notin ({})", e.key, values.join(",")),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            other => format!("{} {other} ({})", e.key, values.join(",")),
        };
        reqs.push((e.key.clone(), s));
    }
    // Stable sort by key, as labels.Selector sorts its requirements.
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    let s: Vec<String> = reqs.into_iter().map(|(_, s)| s).collect();
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.join(",")
    }
}

/// Whether `labels` match a `metav1.LabelSelector` (nil selects nothing, `{}` everything).
pub fn label_selector_matches(sel: Option<&LabelSelector>, labels: &StringMap) -> bool {
    let Some(sel) = sel else { return false };
    sel.match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
        && sel.match_expressions.iter().all(|e| {
            let l = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => l.is_some_and(|l| e.values.contains(l)),
                "NotIn" => l.is_none_or(|l| !e.values.contains(l)),
                "Exists" => l.is_some(),
                "DoesNotExist" => l.is_none(),
                _ => false,
            }
        })
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
    fn matches_the_spec_vectors_it_supports() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
        let cases: &[Case] = &[
            ("", &[("x", "y")], true),
            ("x=y", &[("x", "y")], true),
            ("x=y,z=w", &[("x", "y"), ("z", "w")], true),
            ("x!=y,z!=w", &[("x", "z"), ("z", "a")], true),
            ("x", &[("x", "z")], true),
            ("!x", &[("y", "z")], true),
            ("x=z", &[], false),
            ("x=y", &[("x", "z")], false),
            ("x!=y,z!=w", &[("x", "z"), ("z", "w")], false),
            ("x", &[("y", "z")], false),
            ("!x", &[("x", "z")], false),
            (
                "env in (prod,qa),tier!=frontend,!legacy",
                &[("env", "prod"), ("tier", "backend")],
                true,
            ),
            (
                "env in (prod,qa),tier!=frontend,!legacy",
                &[("env", "dev")],
                false,
            ),
            (
                "env in (prod,qa),tier!=frontend,!legacy",
                &[("env", "qa")],
                true,
            ),
            ("env notin (prod)", &[], true),
        ];
        for (sel, l, want) in cases {
            assert_eq!(
                Selector::parse(sel).unwrap().matches(&labels(l)),
                *want,
                "{sel}"
            );
        }
        for bad in ["x=a b", "(", "a in (x"] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_selectors_render_sorted_by_key() {
        let sel = LabelSelector {
            match_labels: labels(&[("tier", "fe"), ("app", "web")]),
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
    }
}
