//! Name and value format checks (`apimachinery/pkg/util/validation`, `pkg/api/validate/content`,
//! spec §7.3 / §7.4), each returning upstream's exact detail strings (empty when valid), plus
//! the map validators `ValidateLabels` / `ValidateAnnotations` that turn them into field errors.
//!
//! The regular expressions are matched by hand (no regex engine in the wasm bundle); each
//! matcher names the upstream pattern it implements.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::field::{self, ErrorList, Path};

/// Upstream `DNS1123LabelMaxLength`.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// Upstream `DNS1123SubdomainMaxLength`.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// Upstream `DNS1035LabelMaxLength`.
pub const DNS1035_LABEL_MAX_LENGTH: usize = 63;
/// Upstream `LabelValueMaxLength` (also the max length of a qualified name's name part).
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;
/// Upstream `TotalAnnotationSizeLimitB`: 256 KiB over all keys and values.
pub const TOTAL_ANNOTATION_SIZE_LIMIT_B: usize = 256 * 1024;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_ERR_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_ERR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const PERCENT_FMT: &str = "[0-9]+%";
const PERCENT_ERR_MSG: &str =
    "a valid percent string must be a numeric string followed by an ending '%'";

/// The IP detail used by `IsValidIP` (note the comma upstream puts before the examples).
pub const INVALID_IP_MSG: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

/// `MaxLenError`: `must be no more than N characters`.
pub fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `EmptyError`.
pub fn empty_error() -> String {
    "must be non-empty".to_string()
}

/// `InclusiveRangeError`: `must be between lo and hi, inclusive`.
pub fn inclusive_range_error(lo: i64, hi: i64) -> String {
    format!("must be between {lo} and {hi}, inclusive")
}

/// `RegexError`: the message, then `(e.g. 'a',  or 'b', regex used for validation is '<re>')`.
/// The doubled space before `or` is upstream's: each example is written as `'x', ` and the
/// separator is ` or `.
pub fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut s = format!("{msg} (e.g. ");
    for (i, ex) in examples.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push('\'');
        s.push_str(ex);
        s.push_str("', ");
    }
    s.push_str("regex used for validation is '");
    s.push_str(fmt);
    s.push_str("')");
    s
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            is_lower_alnum(f)
                && is_lower_alnum(l)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

/// `^<label>(\.<label>)*$`
fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

/// `^[a-z]([-a-z0-9]*[a-z0-9])?$`
fn matches_dns1035_label(s: &str) -> bool {
    matches_dns1123_label(s) && s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`
fn matches_qualified_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// `IsDNS1123Label`. A would-be label that is a valid subdomain can only fail by its dots, and
/// current apimachinery says so (`must not contain dots`) instead of printing the regex.
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR_MSG,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// `IsDNS1123Subdomain` (≤253, lowercase dot-separated labels).
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `IsDNS1035Label` (Service names: must start with a letter).
pub fn is_dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1035_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1035_LABEL_MAX_LENGTH));
    }
    if !matches_dns1035_label(value) {
        errs.push(regex_error(
            DNS1035_LABEL_ERR_MSG,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// `IsQualifiedName` (label keys, annotation keys, appProtocol): optional DNS-1123 subdomain
/// prefix and `/`, then a 1..63 character name.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    // At most one '/': split at it (no list of parts is built; this runs for every label).
    let parts = match value.split_once('/') {
        None => Some((None, value)),
        Some((prefix, name)) if !name.contains('/') => Some((Some(prefix), name)),
        Some(_) => None,
    };
    let name = match parts {
        Some((None, name)) => name,
        Some((Some(prefix), name)) => {
            if prefix.is_empty() {
                errs.push(format!("prefix part {}", empty_error()));
            } else {
                errs.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_ERR_MSG,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {}", empty_error()));
    } else if name.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(format!(
            "name part {}",
            max_len_error(LABEL_VALUE_MAX_LENGTH)
        ));
    }
    if !matches_qualified_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// `IsValidLabelValue`: empty, or ≤63 characters of the qualified-name alphabet.
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_error(LABEL_VALUE_MAX_LENGTH));
    }
    if !value.is_empty() && !matches_qualified_name(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// `IsValidPortName` (IANA_SVC_NAME, RFC 6335): ≤15 characters of `[-a-z0-9]`, at least one
/// letter, no `--`, no leading or trailing `-`. Every failed rule is reported.
pub fn is_valid_port_name(port: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if port.len() > 15 {
        errs.push(max_len_error(15));
    }
    let b = port.as_bytes();
    if b.is_empty() || !b.iter().all(|&c| is_lower_alnum(c) || c == b'-') {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !b.iter().any(u8::is_ascii_lowercase) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if port.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if b.first() == Some(&b'-') || b.last() == Some(&b'-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

/// `IsValidPortNum`: 1..65535.
pub fn is_valid_port_num(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec![inclusive_range_error(1, 65535)]
    }
}

/// `IsInRange`.
pub fn is_in_range(value: i64, lo: i64, hi: i64) -> Vec<String> {
    if (lo..=hi).contains(&value) {
        Vec::new()
    } else {
        vec![inclusive_range_error(lo, hi)]
    }
}

/// Parses an IP address the way Go's `netutils.ParseIPSloppy` does: IPv4 dotted quads may carry
/// leading zeros (read as decimal), IPv6 in any standard form.
pub fn parse_ip_sloppy(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        return s.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let mut octets = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if n == 4 || part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let digits = part.trim_start_matches('0');
        if digits.len() > 3 {
            return None;
        }
        let v: u32 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        octets[n] = u8::try_from(v).ok()?;
        n += 1;
    }
    (n == 4).then(|| IpAddr::from(octets))
}

/// `IsValidIP`: one `Invalid value` error when `value` is not an IP address.
pub fn is_valid_ip(path: &Path, value: &str) -> ErrorList {
    let mut errs = ErrorList::new();
    if parse_ip_sloppy(value).is_none() {
        errs.push(field::invalid(path, value, INVALID_IP_MSG));
    }
    errs
}

/// `IsValidPercent` (intstr percentages such as `25%`).
pub fn is_valid_percent(value: &str) -> Vec<String> {
    let ok = value
        .strip_suffix('%')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()));
    if ok {
        Vec::new()
    } else {
        vec![regex_error(PERCENT_ERR_MSG, PERCENT_FMT, &["1%", "93%"])]
    }
}

/// `metav1validation.ValidateLabelName`: a qualified name, each problem an error at `path`.
pub fn validate_label_name(name: &str, path: &Path) -> ErrorList {
    is_qualified_name(name)
        .iter()
        .map(|m| field::invalid(path, name, m))
        .collect()
}

/// `metav1validation.ValidateLabels`: every key a qualified name, every value a label value,
/// all errors reported at `path` itself (`metadata.labels`, `spec.selector`). Keys are visited
/// in sorted order (upstream iterates a Go map, so its order is unspecified).
pub fn validate_labels(labels: &BTreeMap<String, String>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (k, v) in labels {
        errs.extend(validate_label_name(k, path));
        for m in is_valid_label_value(v) {
            errs.push(field::invalid(path, v, &m));
        }
    }
    errs
}

/// `apimachinery ValidateAnnotations`: keys are qualified names compared case-insensitively,
/// and all keys and values together may not exceed 256 KiB.
pub fn validate_annotations(annotations: &BTreeMap<String, String>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut total = 0usize;
    for (k, v) in annotations {
        for m in is_qualified_name(&k.to_lowercase()) {
            errs.push(field::invalid(path, k, &m));
        }
        total = total.saturating_add(k.len()).saturating_add(v.len());
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_B {
        errs.push(field::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT_B));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    const QNAME_RE_DETAIL: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const SUBDOMAIN_DETAIL: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const LABEL_VALUE_DETAIL: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    const DNS1123_LABEL_DETAIL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    const DNS1035_DETAIL: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    /// §7.3: label keys.
    #[test]
    fn qualified_names_follow_spec_7_3() {
        let long_name = "a".repeat(64);
        let cases: Vec<(String, Vec<String>)> = vec![
            ("app".into(), vec![]),
            ("example.com/app".into(), vec![]),
            ("app.kubernetes.io/name".into(), vec![]),
            ("/app".into(), vec!["prefix part must be non-empty".into()]),
            (
                "Example.com/app".into(),
                vec![format!("prefix part {SUBDOMAIN_DETAIL}")],
            ),
            (
                "a/b/c".into(),
                vec![format!("a qualified name {QNAME_RE_DETAIL} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")],
            ),
            ("my app".into(), vec![format!("name part {QNAME_RE_DETAIL}")]),
            (
                long_name.clone(),
                vec!["name part must be no more than 63 characters".into()],
            ),
            (
                String::new(),
                vec![
                    "name part must be non-empty".into(),
                    format!("name part {QNAME_RE_DETAIL}"),
                ],
            ),
            (format!("{}/a", "a".repeat(254)), vec!["prefix part must be no more than 253 characters".into()]),
        ];
        for (key, want) in cases {
            assert_eq!(is_qualified_name(&key), want, "key {key:?}");
        }
    }

    /// §7.3: label values.
    #[test]
    fn label_values_follow_spec_7_3() {
        let cases: Vec<(String, Vec<String>)> = vec![
            (String::new(), vec![]),
            ("my_value".into(), vec![]),
            ("MyValue".into(), vec![]),
            ("12345".into(), vec![]),
            ("-web".into(), vec![LABEL_VALUE_DETAIL.into()]),
            ("a".repeat(63), vec![]),
            (
                "a".repeat(64),
                vec!["must be no more than 63 characters".into()],
            ),
        ];
        for (v, want) in cases {
            assert_eq!(is_valid_label_value(&v), want, "value {v:?}");
        }
    }

    #[test]
    fn dns_names() {
        assert!(is_dns1123_label("my-name").is_empty());
        assert_eq!(
            is_dns1123_label("Http"),
            vec![DNS1123_LABEL_DETAIL.to_string()]
        );
        assert_eq!(
            is_dns1123_label("a.b"),
            vec!["must not contain dots".to_string()]
        );
        assert_eq!(is_dns1123_label(""), vec![DNS1123_LABEL_DETAIL.to_string()]);
        assert_eq!(
            is_dns1123_label(&"a".repeat(64)),
            vec!["must be no more than 63 characters".to_string()]
        );
        assert!(is_dns1123_subdomain("example.com").is_empty());
        assert_eq!(
            is_dns1123_subdomain("my_host"),
            vec![SUBDOMAIN_DETAIL.to_string()]
        );
        assert_eq!(
            is_dns1123_subdomain("a..b"),
            vec![SUBDOMAIN_DETAIL.to_string()]
        );
        assert!(is_dns1035_label("my-svc").is_empty());
        for bad in ["My-Svc", "1svc", "svc-", ""] {
            assert_eq!(
                is_dns1035_label(bad),
                vec![DNS1035_DETAIL.to_string()],
                "{bad}"
            );
        }
        assert_eq!(
            is_dns1035_label(&"a".repeat(64)),
            vec!["must be no more than 63 characters".to_string()]
        );
    }

    /// §7.4 rows 9-11 plus the other IANA_SVC_NAME rules.
    #[test]
    fn port_names() {
        let cases: Vec<(&str, Vec<&str>)> = vec![
            ("http", vec![]),
            ("h2c-web", vec![]),
            ("8080", vec!["must contain at least one letter (a-z)"]),
            (
                "http_web",
                vec!["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"],
            ),
            (
                "very-long-port-name",
                vec!["must be no more than 15 characters"],
            ),
            ("a--b", vec!["must not contain consecutive hyphens"]),
            ("-ab", vec!["must not begin or end with a hyphen"]),
            (
                "",
                vec![
                    "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                    "must contain at least one letter (a-z)",
                ],
            ),
        ];
        for (p, want) in cases {
            assert_eq!(is_valid_port_name(p), want, "{p}");
        }
    }

    #[test]
    fn port_numbers_and_ranges() {
        for (p, ok) in [
            (0, false),
            (1, true),
            (65535, true),
            (65536, false),
            (-1, false),
        ] {
            assert_eq!(is_valid_port_num(p).is_empty(), ok, "{p}");
        }
        assert_eq!(
            is_valid_port_num(0),
            vec!["must be between 1 and 65535, inclusive"]
        );
        assert_eq!(
            is_in_range(0, 1, 86400),
            vec!["must be between 1 and 86400, inclusive"]
        );
    }

    #[test]
    fn ips_parse_like_go_parse_ip_sloppy() {
        for (s, ok) in [
            ("10.0.0.1", true),
            ("010.000.0.01", true),
            ("10.0.0.300", false),
            ("10.0.0", false),
            ("10.0.0.1.2", false),
            ("", false),
            ("None", false),
            ("2001:db8::ffff", true),
            ("::ffff:1.2.3.4", true),
            ("1.2.3.-4", false),
        ] {
            assert_eq!(parse_ip_sloppy(s).is_some(), ok, "{s}");
        }
        let p = Path::new("spec").child("clusterIPs").index(0);
        assert_eq!(
            is_valid_ip(&p, "10.0.0.300").to_string(),
            "spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
        );
    }

    #[test]
    fn percents() {
        assert!(is_valid_percent("25%").is_empty());
        assert_eq!(
            is_valid_percent("20Percent"),
            vec!["a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"]
        );
        assert!(!is_valid_percent("%").is_empty());
    }

    /// §7.4 rows 25 and 26: selector maps are validated like labels, errors at the map's path.
    #[test]
    fn label_maps_report_at_the_map_path() {
        let sel = Path::new("spec").child("selector");
        let key = BTreeMap::from([("my app".to_string(), "x".to_string())]);
        assert_eq!(
            validate_labels(&key, &sel).to_string(),
            format!("spec.selector: Invalid value: \"my app\": name part {QNAME_RE_DETAIL}")
        );
        let val = BTreeMap::from([("app".to_string(), "-web".to_string())]);
        assert_eq!(
            validate_labels(&val, &sel).to_string(),
            format!("spec.selector: Invalid value: \"-web\": {LABEL_VALUE_DETAIL}")
        );
        let ok = BTreeMap::from([("app".to_string(), "web".to_string())]);
        assert!(validate_labels(&ok, &sel).is_empty());
    }

    #[test]
    fn annotations_allow_uppercase_keys_and_cap_total_size() {
        let p = Path::new("metadata").child("annotations");
        let ok = BTreeMap::from([(
            "Example.com/Note".to_string(),
            "any text at all!".to_string(),
        )]);
        assert!(validate_annotations(&ok, &p).is_empty());
        let bad = BTreeMap::from([("a b".to_string(), String::new())]);
        assert_eq!(
            validate_annotations(&bad, &p).to_string(),
            format!("metadata.annotations: Invalid value: \"a b\": name part {QNAME_RE_DETAIL}")
        );
        let big = BTreeMap::from([("k".to_string(), "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_B))]);
        assert_eq!(
            validate_annotations(&big, &p).to_string(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::apiserver::defaults::default_pull_policy;
    use crate::apiserver::validation::meta::{name_is_dns1035_label, name_is_dns_subdomain};
    use proptest::prelude::*;

    proptest! {
        /// Every checker takes any text, including non-ASCII and separators, without panicking.
        #[test]
        fn checkers_accept_any_input(s in any::<String>()) {
            let _ = is_qualified_name(&s);
            let _ = is_valid_label_value(&s);
            let _ = is_dns1123_label(&s);
            let _ = is_dns1123_subdomain(&s);
            let _ = is_dns1035_label(&s);
            let _ = is_valid_port_name(&s);
            let _ = is_valid_percent(&s);
            let _ = parse_ip_sloppy(&s);
            let _ = name_is_dns_subdomain(&s, true);
            let _ = name_is_dns1035_label(&s, true);
            let _ = default_pull_policy(&s);
        }

        /// A valid label value is also a valid qualified name unless empty (same alphabet).
        #[test]
        fn label_values_and_names_agree(s in "[-A-Za-z0-9_.]{0,70}") {
            if !s.is_empty() && s.len() <= 63 {
                prop_assert_eq!(is_valid_label_value(&s).is_empty(), is_qualified_name(&s).is_empty());
            }
        }

        /// Dotted quads parse exactly when every part is a number up to 255.
        #[test]
        fn dotted_quads(a in 0u32..300, b in 0u32..300, c in 0u32..300, d in 0u32..300) {
            let s = format!("{a}.{b}.{c}.{d}");
            prop_assert_eq!(parse_ip_sloppy(&s).is_some(), a < 256 && b < 256 && c < 256 && d < 256);
        }
    }
}
