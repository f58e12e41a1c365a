//! Field paths and field errors, rendered exactly as the API server renders them
//! (`apimachinery/pkg/util/validation/field`, spec §7.1).
//!
//! One error renders as `<fieldPath>: <Type>[: <value>][: <detail>]`; a list of several renders
//! as `[e1, e2]` (the `utilerrors.Aggregate` form), and an API status message is
//! `<Kind> "<name>" is invalid: <errors>`.

use crate::api::SharedStr;
use std::borrow::Cow;
use std::fmt;
use std::rc::Rc;

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Elem {
    /// A struct field: `spec`, `ports` (field names are literals: borrowed, not copied).
    Name(Cow<'static, str>),
    /// A list index: `[0]`.
    Index(usize),
    /// A map key: `[app]` (no quoting, as upstream).
    Key(String),
}

/// A path to a field inside an object, e.g. `spec.ports[0].nodePort` or
/// `metadata.annotations[key]`.
///
/// The empty path is Go's nil `*field.Path`, which renders as `<nil>`: the label selector
/// parser reports key errors against it (`unable to parse requirement: <nil>: Invalid value: …`).
///
/// Like upstream's `*field.Path`, a path is its last step with a pointer to its parent, so a
/// child shares its parent's steps: validation builds a path for every field it checks, on
/// every write, and most are never rendered.
#[derive(Debug, Clone, Default)]
pub struct Path {
    last: Option<Rc<Step>>,
}

#[derive(Debug)]
struct Step {
    parent: Option<Rc<Step>>,
    elem: Elem,
}

impl Path {
    /// The nil path (renders as `<nil>`); children of it start a fresh root.
    pub fn nil() -> Path {
        Path::default()
    }

    /// A root path such as `spec` or `metadata`.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Path {
        Path::nil().child(name)
    }

    /// `self.name`.
    pub fn child(&self, name: impl Into<Cow<'static, str>>) -> Path {
        self.with(Elem::Name(name.into()))
    }

    /// `self[i]`.
    pub fn index(&self, i: usize) -> Path {
        self.with(Elem::Index(i))
    }

    /// `self[key]`.
    pub fn key(&self, key: &str) -> Path {
        self.with(Elem::Key(key.to_string()))
    }

    /// Whether this is the nil path.
    pub fn is_nil(&self) -> bool {
        self.last.is_none()
    }

    fn with(&self, elem: Elem) -> Path {
        Path {
            last: Some(Rc::new(Step {
                parent: self.last.clone(),
                elem,
            })),
        }
    }

    /// The steps from the root.
    fn elems(&self) -> Vec<&Elem> {
        let mut elems = Vec::new();
        let mut at = self.last.as_deref();
        while let Some(step) = at {
            elems.push(&step.elem);
            at = step.parent.as_deref();
        }
        elems.reverse();
        elems
    }
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.elems() == other.elems()
    }
}

impl Eq for Path {}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let elems = self.elems();
        if elems.is_empty() {
            return f.write_str("<nil>");
        }
        for (i, e) in elems.into_iter().enumerate() {
            match e {
                Elem::Name(n) => {
                    // Upstream writes the dot only between a parent and a non-empty name.
                    if i > 0 && !n.is_empty() {
                        f.write_str(".")?;
                    }
                    f.write_str(n)?;
                }
                Elem::Index(ix) => write!(f, "[{ix}]")?,
                Elem::Key(k) => write!(f, "[{k}]")?,
            }
        }
        Ok(())
    }
}

/// The kind of a field error; `Display` gives upstream's `ErrorType.String()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorType {
    /// `Not found`
    NotFound,
    /// `Required value`
    Required,
    /// `Duplicate value`
    Duplicate,
    /// `Invalid value`
    Invalid,
    /// `Unsupported value`
    NotSupported,
    /// `Forbidden`
    Forbidden,
    /// `Too long`
    TooLong,
    /// `Too many`
    TooMany,
    /// `Internal error`
    Internal,
}

impl ErrorType {
    /// The canonical message, e.g. `Required value`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::Internal => "Internal error",
        }
    }

    /// The machine-readable cause type of a Status (`FieldValueInvalid`, …).
    pub fn cause_type(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::Internal => "InternalError",
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The offending value of a field error, carrying how Go would print it.
#[derive(Debug, Clone, PartialEq)]
pub enum BadValue {
    /// Not printed at all (upstream's `omitValue`).
    Omit,
    /// Go `nil`. Upstream substitutes the *string* `"null"` and then prints it with `%q`,
    /// so it appears quoted: `Invalid value: "null"`.
    Null,
    /// A string, printed with Go `%q`.
    Str(String),
    /// An integer, printed bare.
    Int(i64),
    /// A bool, printed bare.
    Bool(bool),
    /// A composite (slice, map, struct, IntOrString): printed as JSON (v1.34+ rendering,
    /// kubernetes PR #132314), e.g. `{"app":"x"}`, `["a"]`, `0`, `"110%"`. Holds compact JSON
    /// text so that struct fields keep their declaration order, as Go's encoder does.
    Json(String),
}

impl From<&str> for BadValue {
    fn from(s: &str) -> Self {
        BadValue::Str(s.to_string())
    }
}
impl From<String> for BadValue {
    fn from(s: String) -> Self {
        BadValue::Str(s)
    }
}
impl From<&String> for BadValue {
    fn from(s: &String) -> Self {
        BadValue::Str(s.clone())
    }
}
impl From<&SharedStr> for BadValue {
    fn from(s: &SharedStr) -> Self {
        BadValue::Str(s.to_string())
    }
}
impl From<i64> for BadValue {
    fn from(v: i64) -> Self {
        BadValue::Int(v)
    }
}
impl From<i32> for BadValue {
    fn from(v: i32) -> Self {
        BadValue::Int(i64::from(v))
    }
}
impl From<u16> for BadValue {
    fn from(v: u16) -> Self {
        BadValue::Int(i64::from(v))
    }
}
impl From<bool> for BadValue {
    fn from(v: bool) -> Self {
        BadValue::Bool(v)
    }
}
impl From<serde_json::Value> for BadValue {
    fn from(v: serde_json::Value) -> Self {
        BadValue::Json(v.to_string())
    }
}

impl BadValue {
    /// A composite value rendered as JSON (any `Serialize` type; a value that cannot be
    /// serialized becomes `null`). Maps should be `BTreeMap`s: Go sorts map keys.
    pub fn json<T: serde::Serialize + ?Sized>(v: &T) -> BadValue {
        BadValue::Json(serde_json::to_string(v).unwrap_or_else(|_| "null".to_string()))
    }

    /// A string list as Go prints a `[]string`: `null` when empty (a nil slice), else a JSON array.
    pub fn string_list(v: &[String]) -> BadValue {
        if v.is_empty() {
            BadValue::Json("null".to_string())
        } else {
            BadValue::json(v)
        }
    }

    /// A string map as Go prints a `map[string]string`: `null` when empty (a nil map).
    pub fn string_map(v: &std::collections::BTreeMap<String, String>) -> BadValue {
        if v.is_empty() {
            BadValue::Json("null".to_string())
        } else {
            BadValue::json(v)
        }
    }
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadValue::Omit => Ok(()),
            BadValue::Null => f.write_str(&go_quote("null")),
            BadValue::Str(s) => f.write_str(&go_quote(s)),
            BadValue::Int(i) => write!(f, "{i}"),
            BadValue::Bool(b) => write!(f, "{b}"),
            BadValue::Json(v) => f.write_str(&go_json(v)),
        }
    }
}

/// Go's `strconv.Quote` / `%q`: double quotes, backslash escapes, printable Unicode kept.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            // Go's IsPrint: control characters and non-space whitespace (and a few format
            // characters like the soft hyphen) are escaped.
            c if c.is_control() || (c.is_whitespace() && c != ' ') || c == '\u{ad}' => {
                let n = c as u32;
                if n < 0x80 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go `json.Marshal` output: compact JSON with HTML-sensitive characters escaped (`<`, `>`,
/// `&`, U+2028, U+2029), which serde_json does not do by itself. Those characters can only
/// occur inside JSON strings, so replacing them in the rendered text is exact.
fn go_json(s: &str) -> String {
    if !s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return s.to_string();
    }
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// One field-level validation error (`field.Error`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// What is wrong.
    pub error_type: ErrorType,
    /// The rendered field path, e.g. `spec.ports[0].port`.
    pub field: String,
    /// The offending value (not printed for Required, Forbidden, TooLong, Internal).
    pub bad_value: BadValue,
    /// Free-text detail, appended as `: <detail>` when non-empty.
    pub detail: String,
}

impl FieldError {
    fn new(t: ErrorType, path: &Path, value: BadValue, detail: impl Into<String>) -> FieldError {
        FieldError {
            error_type: t,
            field: path.to_string(),
            bad_value: value,
            detail: detail.into(),
        }
    }

    /// The error without its field path (upstream `ErrorBody`), as used in Status causes.
    pub fn body(&self) -> String {
        let mut s = match self.error_type {
            ErrorType::Required
            | ErrorType::Forbidden
            | ErrorType::TooLong
            | ErrorType::Internal => self.error_type.to_string(),
            _ if self.bad_value == BadValue::Omit => self.error_type.to_string(),
            t => format!("{t}: {}", self.bad_value),
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

impl std::error::Error for FieldError {}

/// `field.NotFound`.
pub fn not_found(path: &Path, value: impl Into<BadValue>) -> FieldError {
    FieldError::new(ErrorType::NotFound, path, value.into(), "")
}

/// `field.Required`.
pub fn required(path: &Path, detail: &str) -> FieldError {
    FieldError::new(
        ErrorType::Required,
        path,
        BadValue::Str(String::new()),
        detail,
    )
}

/// `field.Duplicate`.
pub fn duplicate(path: &Path, value: impl Into<BadValue>) -> FieldError {
    FieldError::new(ErrorType::Duplicate, path, value.into(), "")
}

/// `field.Invalid`.
pub fn invalid(path: &Path, value: impl Into<BadValue>, detail: &str) -> FieldError {
    FieldError::new(ErrorType::Invalid, path, value.into(), detail)
}

/// `field.NotSupported`: detail `supported values: "A", "B"` in the order given.
pub fn not_supported(path: &Path, value: impl Into<BadValue>, valid: &[&str]) -> FieldError {
    let detail = if valid.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = valid.iter().map(|v| go_quote(v)).collect();
        format!("supported values: {}", quoted.join(", "))
    };
    FieldError::new(ErrorType::NotSupported, path, value.into(), detail)
}

/// `field.Forbidden`.
pub fn forbidden(path: &Path, detail: &str) -> FieldError {
    FieldError::new(
        ErrorType::Forbidden,
        path,
        BadValue::Str(String::new()),
        detail,
    )
}

/// `field.TooLong` (the value is never printed).
pub fn too_long(path: &Path, max_bytes: usize) -> FieldError {
    let unit = if max_bytes == 1 { "byte" } else { "bytes" };
    FieldError::new(
        ErrorType::TooLong,
        path,
        BadValue::Omit,
        format!("may not be more than {max_bytes} {unit}"),
    )
}

/// `field.TooMany`: `Too many: <actual>: must have at most <max> items`.
pub fn too_many(path: &Path, actual: usize, max: usize) -> FieldError {
    let unit = if max == 1 { "item" } else { "items" };
    FieldError::new(
        ErrorType::TooMany,
        path,
        BadValue::Int(i64::try_from(actual).unwrap_or(i64::MAX)),
        format!("must have at most {max} {unit}"),
    )
}

/// `field.InternalError`.
pub fn internal(path: &Path, detail: &str) -> FieldError {
    FieldError::new(ErrorType::Internal, path, BadValue::Null, detail)
}

/// A list of field errors (`field.ErrorList`) in the order validation produced them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorList(pub Vec<FieldError>);

impl ErrorList {
    /// An empty list.
    pub fn new() -> ErrorList {
        ErrorList(Vec::new())
    }

    /// Appends one error.
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Appends all errors of another list.
    pub fn extend(&mut self, other: ErrorList) {
        self.0.extend(other.0);
    }

    /// True when there is no error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of errors (duplicates included).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The errors.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    /// The errors as `ToAggregate` keeps them: later errors whose rendering repeats an earlier
    /// one are dropped.
    pub fn deduplicated(&self) -> Vec<&FieldError> {
        let mut seen = std::collections::BTreeSet::new();
        self.0
            .iter()
            .filter(|e| seen.insert(e.to_string()))
            .collect()
    }

    /// The API status message `<Kind> "<name>" is invalid: <errors>` (`errors.NewInvalid`);
    /// `kubectl` prints it prefixed with `The `.
    pub fn status_message(&self, kind: &str, name: &str) -> String {
        if self.is_empty() {
            format!("{kind} {} is invalid", go_quote(name))
        } else {
            format!("{kind} {} is invalid: {self}", go_quote(name))
        }
    }
}

impl From<Vec<FieldError>> for ErrorList {
    fn from(v: Vec<FieldError>) -> Self {
        ErrorList(v)
    }
}

impl FromIterator<FieldError> for ErrorList {
    fn from_iter<I: IntoIterator<Item = FieldError>>(iter: I) -> Self {
        ErrorList(iter.into_iter().collect())
    }
}

impl IntoIterator for ErrorList {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The aggregate rendering: one error bare, several as `[e1, e2]`, repeats dropped.
impl fmt::Display for ErrorList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errs = self.deduplicated();
        match errs.as_slice() {
            [] => Ok(()),
            [one] => write!(f, "{one}"),
            many => {
                f.write_str("[")?;
                for (i, e) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl std::error::Error for ErrorList {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ports0(f: &'static str) -> Path {
        Path::new("spec").child("ports").index(0).child(f)
    }

    #[test]
    fn paths_render_with_dots_indexes_and_keys() {
        let cases = [
            (ports0("nodePort"), "spec.ports[0].nodePort"),
            (
                Path::new("metadata").child("annotations").key("key"),
                "metadata.annotations[key]",
            ),
            (Path::new("spec"), "spec"),
            (Path::nil(), "<nil>"),
            (
                Path::nil().child("values").index(0).key("x"),
                "values[0][x]",
            ),
        ];
        for (p, want) in cases {
            assert_eq!(p.to_string(), want);
        }
    }

    #[test]
    fn errors_render_as_the_api_server_does() {
        let cases: Vec<(FieldError, &str)> = vec![
            (
                invalid(&ports0("port"), 0i64, "must be between 1 and 65535, inclusive"),
                "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            ),
            (
                required(&ports0("name"), ""),
                "spec.ports[0].name: Required value",
            ),
            (
                required(&Path::new("metadata").child("name"), "name or generateName is required"),
                "metadata.name: Required value: name or generateName is required",
            ),
            (
                duplicate(&Path::new("spec").child("ports").index(1).child("name"), "http"),
                "spec.ports[1].name: Duplicate value: \"http\"",
            ),
            (
                not_supported(&ports0("protocol"), "HTTP", &["SCTP", "TCP", "UDP"]),
                "spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ),
            (
                forbidden(&ports0("nodePort"), "may not be used when `type` is 'ClusterIP'"),
                "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
            ),
            (
                invalid(
                    &Path::new("spec").child("template").child("metadata").child("labels"),
                    BadValue::json(&std::collections::BTreeMap::from([("app", "check-out")])),
                    "`selector` does not match template `labels`",
                ),
                "spec.template.metadata.labels: Invalid value: {\"app\":\"check-out\"}: `selector` does not match template `labels`",
            ),
            (
                invalid(&Path::new("x"), json!(0), "d"),
                "x: Invalid value: 0: d",
            ),
            (
                invalid(&Path::new("x"), json!("110%"), "d"),
                "x: Invalid value: \"110%\": d",
            ),
            (
                invalid(&Path::new("x"), json!(["10.0.0.1"]), "d"),
                "x: Invalid value: [\"10.0.0.1\"]: d",
            ),
            (invalid(&Path::new("x"), true, ""), "x: Invalid value: true"),
            (invalid(&Path::new("x"), BadValue::Null, ""), "x: Invalid value: \"null\""),
            (not_found(&Path::new("x"), "y"), "x: Not found: \"y\""),
            (
                too_long(&Path::new("metadata").child("annotations"), 262144),
                "metadata.annotations: Too long: may not be more than 262144 bytes",
            ),
            (
                too_many(&Path::new("spec").child("clusterIPs"), 3, 2),
                "spec.clusterIPs: Too many: 3: must have at most 2 items",
            ),
            (
                internal(&Path::new("spec"), "boom"),
                "spec: Internal error: boom",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
        }
    }

    #[test]
    fn go_quote_escapes_like_strconv_quote() {
        let cases = [
            ("abc", r#""abc""#),
            ("a\"b", r#""a\"b""#),
            ("a\\b", r#""a\\b""#),
            ("a\nb\t", r#""a\nb\t""#),
            ("\u{1}", r#""\x01""#),
            ("\u{7f}", r#""\x7f""#),
            ("héllo", "\"héllo\""),
            ("\u{2028}", r#""\u2028""#),
        ];
        for (s, want) in cases {
            assert_eq!(go_quote(s), want, "{s:?}");
        }
    }

    #[test]
    fn json_escapes_html_characters_like_go() {
        let e = invalid(&Path::new("x"), json!({"a": "<&>"}), "");
        assert_eq!(
            e.to_string(),
            r#"x: Invalid value: {"a":"\u003c\u0026\u003e"}"#
        );
    }

    #[test]
    fn lists_render_one_bare_and_several_bracketed_without_repeats() {
        let name0 = required(&ports0("name"), "");
        let name1 = required(&Path::new("spec").child("ports").index(1).child("name"), "");
        let one = ErrorList::from(vec![name0.clone()]);
        assert_eq!(one.to_string(), "spec.ports[0].name: Required value");
        let two = ErrorList::from(vec![name0.clone(), name1.clone(), name0.clone()]);
        assert_eq!(
            two.to_string(),
            "[spec.ports[0].name: Required value, spec.ports[1].name: Required value]"
        );
        assert_eq!(two.len(), 3);
        assert_eq!(ErrorList::new().to_string(), "");
    }

    #[test]
    fn status_message_names_kind_and_object() {
        let errs = ErrorList::from(vec![invalid(
            &ports0("port"),
            0i64,
            "must be between 1 and 65535, inclusive",
        )]);
        assert_eq!(
            errs.status_message("Service", "web"),
            "Service \"web\" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"
        );
        assert_eq!(
            ErrorList::new().status_message("Service", "web"),
            "Service \"web\" is invalid"
        );
    }
}
