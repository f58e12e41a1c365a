//! `metadata` validation shared by every kind (`apimachinery/pkg/api/validation/objectmeta.go`)
//! and the small generic helpers (`ValidateNonnegativeField`, `ValidateImmutableField`).

use super::field::{self, BadValue, ErrorList, Path};
use super::names::{
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, validate_annotations, validate_labels,
};
use crate::api::meta::ObjectMeta;

/// The `metadata` path, built once per thread: every write of every object validates its
/// metadata against it, and it is rendered only in an error.
pub fn metadata_path() -> Path {
    thread_local! {
        static METADATA: Path = Path::new("metadata");
    }
    METADATA.with(Path::clone)
}

/// A name validator: `(name, prefix)` → problems. `prefix` is true when checking a
/// `generateName`, which may end in `-` because random characters follow.
pub type NameFn = fn(&str, bool) -> Vec<String>;

/// Upstream `FieldImmutableErrorMsg`.
pub const FIELD_IMMUTABLE: &str = "field is immutable";

/// `maskTrailingDash`: a generateName may end in `-`. Upstream drops the last *two* bytes and
/// appends `a` (a long-standing quirk, kept so the same prefixes pass and fail).
fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        // Both cut points are ASCII-safe: the last byte is '-', and the one before it is cut
        // only if it is a char boundary (otherwise fall back to dropping just the dash).
        let cut = name.len() - 2;
        let head = if name.is_char_boundary(cut) {
            &name[..cut]
        } else {
            &name[..name.len() - 1]
        };
        format!("{head}a")
    } else {
        name.to_string()
    }
}

/// Runs `check` on the name a name validator checks: a generateName masked, a name as it is.
/// Neither is copied to the heap unless it is a long generateName: every pod a controller
/// creates has one, and a short masked name is written into a buffer on the stack.
fn with_masked<R>(name: &str, prefix: bool, check: impl FnOnce(&str) -> R) -> R {
    if !prefix {
        return check(name);
    }
    let mut buf = [0u8; 64];
    if name.len() <= buf.len() && name.len() > 1 && name.ends_with('-') {
        // `mask_trailing_dash`'s usual case: the last two bytes become `a`.
        let cut = name.len() - 2;
        if name.is_char_boundary(cut) {
            buf[..cut].copy_from_slice(&name.as_bytes()[..cut]);
            buf[cut] = b'a';
            if let Ok(masked) = std::str::from_utf8(&buf[..=cut]) {
                return check(masked);
            }
        }
    }
    check(&mask_trailing_dash(name))
}

/// `NameIsDNSSubdomain` (Pods, Deployments, ReplicaSets, ReplicationControllers).
pub fn name_is_dns_subdomain(name: &str, prefix: bool) -> Vec<String> {
    with_masked(name, prefix, is_dns1123_subdomain)
}

/// `NameIsDNSLabel` (Namespaces).
pub fn name_is_dns_label(name: &str, prefix: bool) -> Vec<String> {
    with_masked(name, prefix, is_dns1123_label)
}

/// `NameIsDNS1035Label` (Services; the RelaxedServiceNameValidation gate is off by default).
pub fn name_is_dns1035_label(name: &str, prefix: bool) -> Vec<String> {
    with_masked(name, prefix, is_dns1035_label)
}

/// `ValidateNonnegativeField`.
pub fn validate_nonnegative_field(value: i64, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if value < 0 {
        errs.push(field::invalid(
            path,
            value,
            "must be greater than or equal to 0",
        ));
    }
    errs
}

/// `ValidateImmutableField`: `Invalid value: <new>: field is immutable` when they differ.
pub fn validate_immutable_field<T: PartialEq>(
    new: &T,
    old: &T,
    new_value: BadValue,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    if new != old {
        errs.push(field::invalid(path, new_value, FIELD_IMMUTABLE));
    }
    errs
}

/// `ValidateObjectMeta` for a create: generateName and name through `name_fn`, namespace
/// required (for namespaced kinds) and a DNS label, generation non-negative, labels and
/// annotations. The API server generates a name from generateName before validating, so an
/// empty name here means neither was given.
pub fn validate_object_meta(
    meta: &ObjectMeta,
    requires_namespace: bool,
    name_fn: NameFn,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    if !meta.generate_name.is_empty() {
        for m in name_fn(&meta.generate_name, true) {
            errs.push(field::invalid(
                &path.child("generateName"),
                &meta.generate_name,
                &m,
            ));
        }
    }
    if meta.name.is_empty() {
        errs.push(field::required(
            &path.child("name"),
            "name or generateName is required",
        ));
    } else {
        for m in name_fn(&meta.name, false) {
            errs.push(field::invalid(&path.child("name"), &meta.name, &m));
        }
    }
    if requires_namespace {
        if meta.namespace.is_empty() {
            errs.push(field::required(&path.child("namespace"), ""));
        } else {
            for m in name_is_dns_label(&meta.namespace, false) {
                errs.push(field::invalid(
                    &path.child("namespace"),
                    &meta.namespace,
                    &m,
                ));
            }
        }
    } else if !meta.namespace.is_empty() {
        errs.push(field::forbidden(
            &path.child("namespace"),
            "not allowed on this type",
        ));
    }
    // Every create of every object passes here: a field's path is built only when the
    // field has an error (checked against the nil path first, which costs nothing to make).
    if meta.generation < 0 {
        errs.extend(validate_nonnegative_field(
            meta.generation,
            &path.child("generation"),
        ));
    }
    if !validate_labels(&meta.labels, &Path::nil()).is_empty() {
        errs.extend(validate_labels(&meta.labels, &path.child("labels")));
    }
    if !validate_annotations(&meta.annotations, &Path::nil()).is_empty() {
        errs.extend(validate_annotations(
            &meta.annotations,
            &path.child("annotations"),
        ));
    }
    errs
}

/// `ValidateObjectMetaUpdate`: name, namespace and uid may not change, the generation may not
/// go down, and the new labels and annotations must be valid. (The resourceVersion precondition
/// is the store's business here.)
pub fn validate_object_meta_update(new: &ObjectMeta, old: &ObjectMeta, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if new.generation < old.generation {
        errs.push(field::invalid(
            &path.child("generation"),
            new.generation,
            "must not be decremented",
        ));
    }
    // Every write of every object passes here: the error's path and value are only built
    // for a field that actually changed.
    for (field, new, old) in [
        ("name", &new.name, &old.name),
        ("namespace", &new.namespace, &old.namespace),
        ("uid", &new.uid, &old.uid),
    ] {
        if new != old {
            errs.extend(validate_immutable_field(
                new,
                old,
                BadValue::from(new),
                &path.child(field),
            ));
        }
    }
    // The stored object's labels and annotations passed this same validation when they were
    // written, so unchanged ones cannot fail it now.
    if new.labels != old.labels {
        errs.extend(validate_labels(&new.labels, &path.child("labels")));
    }
    if new.annotations != old.annotations {
        errs.extend(validate_annotations(
            &new.annotations,
            &path.child("annotations"),
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, generate: &str, ns: &str) -> ObjectMeta {
        ObjectMeta {
            name: name.into(),
            generate_name: generate.into(),
            namespace: ns.into(),
            ..Default::default()
        }
    }

    fn render(errs: &ErrorList) -> Vec<String> {
        errs.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn names_and_generate_names() {
        let p = Path::new("metadata");
        // §7.4 row 16.
        assert_eq!(
            render(&validate_object_meta(
                &meta("", "", "default"),
                true,
                name_is_dns1035_label,
                &p
            )),
            vec!["metadata.name: Required value: name or generateName is required"]
        );
        // A trailing dash is fine in a generateName but not in a name.
        assert!(validate_object_meta(
            &meta("web-7d4b9", "web-", "default"),
            true,
            name_is_dns_subdomain,
            &p
        )
        .is_empty());
        assert_eq!(
            render(&validate_object_meta(&meta("web-", "", "default"), true, name_is_dns_subdomain, &p)),
            vec!["metadata.name: Invalid value: \"web-\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        );
        assert_eq!(
            render(&validate_object_meta(
                &meta("x", "Web-", "default"),
                true,
                name_is_dns_subdomain,
                &p
            ))
            .len(),
            1
        );
    }

    #[test]
    fn names_are_masked_on_the_stack_as_mask_trailing_dash_masks_them() {
        let long = format!("{}-", "x".repeat(70));
        for name in [
            "web-",
            "-",
            "ab",
            "a-",
            "é-",
            "aé-",
            "",
            "x-y-",
            long.as_str(),
        ] {
            assert_eq!(
                with_masked(name, true, str::to_string),
                mask_trailing_dash(name),
                "{name:?}"
            );
            assert_eq!(with_masked(name, false, str::to_string), name);
        }
    }

    #[test]
    fn generate_name_masking_keeps_upstreams_quirk() {
        assert_eq!(mask_trailing_dash("web-"), "wea");
        assert_eq!(mask_trailing_dash("-"), "-");
        assert_eq!(mask_trailing_dash("ab"), "ab");
        // "a-" becomes "a": the quirk drops the letter before the dash too.
        assert_eq!(mask_trailing_dash("a-"), "a");
        assert_eq!(mask_trailing_dash("é-"), "éa");
    }

    #[test]
    fn namespace_rules() {
        let p = Path::new("metadata");
        assert_eq!(
            render(&validate_object_meta(
                &meta("a", "", ""),
                true,
                name_is_dns_subdomain,
                &p
            )),
            vec!["metadata.namespace: Required value"]
        );
        assert_eq!(
            render(&validate_object_meta(
                &meta("a", "", "x"),
                false,
                name_is_dns_label,
                &p
            )),
            vec!["metadata.namespace: Forbidden: not allowed on this type"]
        );
    }

    #[test]
    fn update_keeps_identity() {
        let p = Path::new("metadata");
        let old = meta("a", "", "default");
        let mut new = old.clone();
        assert!(validate_object_meta_update(&new, &old, &p).is_empty());
        new.name = "b".into();
        assert_eq!(
            render(&validate_object_meta_update(&new, &old, &p)),
            vec!["metadata.name: Invalid value: \"b\": field is immutable"]
        );
    }
}
