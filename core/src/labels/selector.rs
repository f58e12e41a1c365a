//! Label selectors exactly as `apimachinery/pkg/labels/selector.go` (spec §9).
//!
//! A selector is an AND of [`Requirement`]s. The string form is parsed by the same lexer and
//! recursive-descent parser as upstream (same tokens, same error messages), requirements are
//! sorted by key after parsing, and [`Selector`]'s `Display` is upstream's `String()`.

use std::collections::BTreeMap;
use std::fmt;

pub use crate::api::meta::{LabelSelector, LabelSelectorRequirement};
use crate::apiserver::validation::field::{self, BadValue, ErrorList, Path};
use crate::apiserver::validation::names::{
    is_qualified_name, is_valid_label_value, validate_label_name, validate_labels,
};

/// A selector operator (`k8s.io/apimachinery/pkg/selection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operator {
    /// `!k`
    DoesNotExist,
    /// `k=v`
    Equals,
    /// `k==v`
    DoubleEquals,
    /// `k in (a,b)`
    In,
    /// `k!=v`
    NotEquals,
    /// `k notin (a,b)`
    NotIn,
    /// `k`
    Exists,
    /// `k>n`
    GreaterThan,
    /// `k<n`
    LessThan,
}

impl Operator {
    /// The `selection.Operator` string (`!`, `=`, `==`, `in`, `!=`, `notin`, `exists`, `gt`, `lt`).
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::DoesNotExist => "!",
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::In => "in",
            Operator::NotEquals => "!=",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

/// The binary operators in upstream's order, as listed in parse errors.
const BINARY_OPERATORS: [Operator; 7] = [
    Operator::In,
    Operator::NotIn,
    Operator::Equals,
    Operator::DoubleEquals,
    Operator::NotEquals,
    Operator::GreaterThan,
    Operator::LessThan,
];

/// Why a selector could not be built; `Display` is upstream's error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError(pub String);

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SelectorError {}

/// One `key operator values` condition. Built only through [`Requirement::new`] (or the parser),
/// so it always satisfies upstream's `NewRequirement` rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    /// As given: the parser passes a sorted, de-duplicated set; `String()` sorts on output.
    values: Vec<String>,
}

impl Requirement {
    /// `NewRequirement`: checks the key (qualified name), the value count for the operator,
    /// integer values for `gt`/`lt`, and every value (label value). Errors are reported against
    /// paths relative to the nil path (`key`, `values`, `values[0][<key>]`), as upstream does when
    /// no path option is given.
    pub fn new(
        key: &str,
        operator: Operator,
        values: Vec<String>,
    ) -> Result<Requirement, ErrorList> {
        Requirement::new_at(key, operator, values, &Path::nil())
    }

    /// [`Requirement::new`] with errors reported under `path`.
    pub fn new_at(
        key: &str,
        operator: Operator,
        values: Vec<String>,
        path: &Path,
    ) -> Result<Requirement, ErrorList> {
        let mut errs = ErrorList::new();
        if let Some(e) = validate_label_key(key, &path.child("key")) {
            errs.push(e);
        }
        let value_path = path.child("values");
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(field::invalid(
                        &value_path,
                        BadValue::json(&values),
                        "for 'in', 'notin' operators, values set can't be empty",
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(field::invalid(
                        &value_path,
                        BadValue::json(&values),
                        "exact-match compatibility requires one single value",
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(field::invalid(
                        &value_path,
                        BadValue::json(&values),
                        "values set must be empty for exists and does not exist",
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(field::invalid(
                        &value_path,
                        BadValue::json(&values),
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(field::invalid(
                            &value_path.index(i),
                            v,
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            let msgs = is_valid_label_value(v);
            if !msgs.is_empty() {
                errs.push(field::invalid(
                    &value_path.index(i).key(key),
                    v,
                    &msgs.join("; "),
                ));
            }
        }
        if errs.is_empty() {
            Ok(Requirement {
                key: key.to_string(),
                operator,
                values,
            })
        } else {
            Err(errs)
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values in the order they were given.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    fn has_value(&self, v: &str) -> bool {
        self.values.iter().any(|x| x == v)
    }

    /// Whether a label set satisfies this requirement. `!=` and `notin` also match when the key
    /// is absent; `gt`/`lt` need both sides to parse as 64-bit integers.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let got = labels.get(&self.key);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                got.is_some_and(|v| self.has_value(v))
            }
            Operator::NotIn | Operator::NotEquals => got.is_none_or(|v| !self.has_value(v)),
            Operator::Exists => got.is_some(),
            Operator::DoesNotExist => got.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(Ok(have)) = got.map(|v| v.parse::<i64>()) else {
                    return false;
                };
                let [want] = self.values.as_slice() else {
                    return false;
                };
                let Ok(want) = want.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

/// Upstream `Requirement.String()`: `!k`, `k`, `k=v`, `k==v`, `k!=v`, `k>n`, `k<n`,
/// `k in (a,b)`, `k notin (a,b)`; set values printed sorted.
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let (op, paren) = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => ("=", false),
            Operator::DoubleEquals => ("==", false),
            Operator::NotEquals => ("!=", false),
            Operator::GreaterThan => (">", false),
            Operator::LessThan => ("<", false),
            Operator::In => (" in ", true),
            Operator::NotIn => (" notin ", true),
        };
        f.write_str(op)?;
        if paren {
            f.write_str("(")?;
        }
        let mut sorted: Vec<&str> = self.values.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        f.write_str(&sorted.join(","))?;
        if paren {
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Inner {
    /// AND of requirements, sorted by key (stable); empty = everything.
    Requirements(Vec<Requirement>),
    /// `labels.Nothing()`: matches no label set (a nil `metav1.LabelSelector`).
    Nothing,
}

/// A label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(Inner);

impl Default for Selector {
    fn default() -> Self {
        Selector::everything()
    }
}

impl Selector {
    /// `labels.Everything()`: no requirement, matches every label set.
    pub fn everything() -> Selector {
        Selector(Inner::Requirements(Vec::new()))
    }

    /// `labels.Nothing()`: matches no label set; prints as the empty string.
    pub fn nothing() -> Selector {
        Selector(Inner::Nothing)
    }

    /// A selector from requirements, sorted by key (stable, so equal keys keep their order).
    pub fn new(requirements: Vec<Requirement>) -> Selector {
        Selector::everything().with(requirements)
    }

    /// Upstream `Add`: a copy with more requirements, re-sorted by key. Adding to Nothing stays Nothing.
    pub fn with(self, more: Vec<Requirement>) -> Selector {
        match self.0 {
            Inner::Nothing => Selector::nothing(),
            Inner::Requirements(mut reqs) => {
                reqs.extend(more);
                crate::sort::sort_by(&mut reqs, |a, b| a.key.cmp(&b.key));
                Selector(Inner::Requirements(reqs))
            }
        }
    }

    /// `labels.Parse`: the string form (`env in (prod,qa),tier!=frontend,!legacy`).
    pub fn parse(s: &str) -> Result<Selector, SelectorError> {
        let reqs = Parser::new(s).parse()?;
        Ok(Selector::new(reqs))
    }

    /// Whether the selector restricts nothing (true for everything, false for nothing).
    pub fn is_empty(&self) -> bool {
        matches!(&self.0, Inner::Requirements(r) if r.is_empty())
    }

    /// Whether this is `labels.Nothing()`.
    pub fn matches_nothing(&self) -> bool {
        self.0 == Inner::Nothing
    }

    /// The requirements (none for nothing).
    pub fn requirements(&self) -> &[Requirement] {
        match &self.0 {
            Inner::Requirements(r) => r,
            Inner::Nothing => &[],
        }
    }

    /// Whether every requirement matches the label set.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match &self.0 {
            Inner::Nothing => false,
            Inner::Requirements(r) => r.iter().all(|r| r.matches(labels)),
        }
    }

    /// `ValidatedSelectorFromSet`: one `=` requirement per entry, each validated; an empty map
    /// selects everything.
    pub fn from_set(set: &BTreeMap<String, String>) -> Result<Selector, SelectorError> {
        let mut reqs = Vec::with_capacity(set.len());
        for (k, v) in set {
            let r = Requirement::new(k, Operator::Equals, vec![v.clone()])
                .map_err(|e| SelectorError(e.to_string()))?;
            reqs.push(r);
        }
        Ok(Selector::new(reqs))
    }

    /// `SelectorFromValidatedSet`, as the endpoint controllers use on a Service's
    /// `spec.selector` (already validated by the API server): no checks, empty = everything.
    pub fn from_validated_set(set: &BTreeMap<String, String>) -> Selector {
        let reqs = set
            .iter()
            .map(|(k, v)| Requirement {
                key: k.clone(),
                operator: Operator::Equals,
                values: vec![v.clone()],
            })
            .collect();
        Selector(Inner::Requirements(reqs))
    }

    /// `metav1.LabelSelectorAsSelector`: nil selects nothing, `{}` selects everything,
    /// `matchLabels` become `=` requirements, `matchExpressions` keep their operator.
    pub fn from_label_selector(ls: Option<&LabelSelector>) -> Result<Selector, SelectorError> {
        let Some(ls) = ls else {
            return Ok(Selector::nothing());
        };
        if ls.match_labels.is_empty() && ls.match_expressions.is_empty() {
            return Ok(Selector::everything());
        }
        let agg = |e: ErrorList| SelectorError(e.to_string());
        let mut reqs = Vec::new();
        for (k, v) in &ls.match_labels {
            reqs.push(Requirement::new(k, Operator::Equals, vec![v.clone()]).map_err(agg)?);
        }
        for expr in &ls.match_expressions {
            let op = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(SelectorError(format!(
                        "{} is not a valid label selector operator",
                        field::go_quote(other)
                    )))
                }
            };
            reqs.push(Requirement::new(&expr.key, op, expr.values.clone()).map_err(agg)?);
        }
        Ok(Selector::new(reqs))
    }
}

impl std::str::FromStr for Selector {
    type Err = SelectorError;
    fn from_str(s: &str) -> Result<Selector, SelectorError> {
        Selector::parse(s)
    }
}

/// Upstream `String()`: requirements joined by `,`; the nothing selector prints as ``.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// `metav1validation.ValidateLabelSelector`: `matchLabels` validated like labels, then each
/// expression's operator, values and key. A nil selector is valid here (callers that need
/// one report `Required` themselves).
pub fn validate_label_selector(ls: Option<&LabelSelector>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(ls) = ls else {
        return errs;
    };
    errs.extend(validate_labels(
        &ls.match_labels,
        &path.child("matchLabels"),
    ));
    for (i, expr) in ls.match_expressions.iter().enumerate() {
        let p = path.child("matchExpressions").index(i);
        match expr.operator.as_str() {
            "In" | "NotIn" => {
                if expr.values.is_empty() {
                    errs.push(field::required(
                        &p.child("values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !expr.values.is_empty() {
                    errs.push(field::forbidden(
                        &p.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            other => errs.push(field::invalid(
                &p.child("operator"),
                other,
                "not a valid selector operator",
            )),
        }
        errs.extend(validate_label_name(&expr.key, &p.child("key")));
        for (vi, v) in expr.values.iter().enumerate() {
            for m in is_valid_label_value(v) {
                errs.push(field::invalid(&p.child("values").index(vi), v, &m));
            }
        }
    }
    errs
}

fn validate_label_key(k: &str, path: &Path) -> Option<field::FieldError> {
    let msgs = is_qualified_name(k);
    (!msgs.is_empty()).then(|| field::invalid(path, k, &msgs.join("; ")))
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

/// Upstream `string2token`: the literal tokens.
fn literal_token(s: &[u8]) -> Option<Token> {
    Some(match s {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special_symbol(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Byte lexer with Go's conventions: `read` returns 0 at the end, so a NUL byte in the input
/// also ends a token (and, where whitespace is skipped, the whole input), as upstream.
struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn read(&mut self) -> u8 {
        match self.s.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn text(buf: &[u8]) -> String {
        // Tokens split only at ASCII bytes, so a buffer never cuts a UTF-8 sequence.
        String::from_utf8_lossy(buf).into_owned()
    }

    fn scan_id_or_keyword(&mut self) -> (Token, String) {
        let mut buf = Vec::new();
        loop {
            match self.read() {
                0 => break,
                c if is_special_symbol(c) || is_whitespace(c) => {
                    self.unread();
                    break;
                }
                c => buf.push(c),
            }
        }
        let tok = literal_token(&buf).unwrap_or(Token::Identifier);
        (tok, Self::text(&buf))
    }

    /// Longest run of special symbols that still forms a token (`!=` over `!`).
    fn scan_special_symbol(&mut self) -> (Token, String) {
        let mut buf = Vec::new();
        let mut last: Option<(Token, usize)> = None;
        loop {
            match self.read() {
                0 => break,
                c if is_special_symbol(c) => {
                    buf.push(c);
                    if let Some(t) = literal_token(&buf) {
                        last = Some((t, buf.len()));
                    } else if last.is_some() {
                        self.unread();
                        break;
                    }
                }
                _ => {
                    self.unread();
                    break;
                }
            }
        }
        match last {
            Some((t, n)) => (t, Self::text(&buf[..n])),
            // Unreachable in practice (every single special symbol is a token); kept so that
            // the lexer mirrors upstream's ErrorToken path instead of assuming it.
            None => (
                Token::Error,
                format!("error expected: keyword found '{}'", Self::text(&buf)),
            ),
        }
    }

    fn lex(&mut self) -> (Token, String) {
        let mut c = self.read();
        while is_whitespace(c) {
            c = self.read();
        }
        if c == 0 {
            (Token::EndOfString, String::new())
        } else if is_special_symbol(c) {
            self.unread();
            self.scan_special_symbol()
        } else {
            self.unread();
            self.scan_id_or_keyword()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parser

/// `in`/`notin` are operators only where an operator is expected; elsewhere (keys, values)
/// they are identifiers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<(Token, String)>,
    position: usize,
    path: Path,
}

fn err<T>(msg: String) -> Result<T, SelectorError> {
    Err(SelectorError(msg))
}

impl Parser {
    fn new(s: &str) -> Parser {
        let mut lexer = Lexer {
            s: s.as_bytes(),
            pos: 0,
        };
        let mut items = Vec::new();
        loop {
            let item = lexer.lex();
            let end = item.0 == Token::EndOfString;
            items.push(item);
            if end {
                break;
            }
        }
        Parser {
            items,
            position: 0,
            path: Path::nil(),
        }
    }

    fn item(&self, i: usize, ctx: Context) -> (Token, String) {
        let (tok, lit) = self
            .items
            .get(i)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        match tok {
            Token::In | Token::NotIn if ctx == Context::Values => (Token::Identifier, lit),
            _ => (tok, lit),
        }
    }

    fn lookahead(&self, ctx: Context) -> (Token, String) {
        self.item(self.position, ctx)
    }

    fn consume(&mut self, ctx: Context) -> (Token, String) {
        self.position += 1;
        self.item(self.position - 1, ctx)
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut reqs = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| SelectorError(format!("unable to parse requirement: {e}")))?;
                    reqs.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(reqs),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return err(format!(
                                    "found '{l2}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => return err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(reqs),
                _ => {
                    return err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    ))
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, SelectorError> {
        let (key, op) = self.parse_key_and_infer_operator()?;
        let agg = |e: ErrorList| SelectorError(e.to_string());
        if let Some(op @ (Operator::Exists | Operator::DoesNotExist)) = op {
            return Requirement::new_at(&key, op, Vec::new(), &self.path).map_err(agg);
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new_at(&key, op, values, &self.path).map_err(agg)
    }

    /// The key, and the operator when it is implied: `!k` is DoesNotExist (even when more
    /// follows, which then fails at the caller), a bare `k` before `,` or the end is Exists.
    fn parse_key_and_infer_operator(
        &mut self,
    ) -> Result<(String, Option<Operator>), SelectorError> {
        let mut op = None;
        let (mut tok, mut lit) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            op = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return err(format!("found '{lit}', expected: identifier"));
        }
        if let Some(e) = validate_label_key(&lit, &self.path) {
            return Err(SelectorError(e.to_string()));
        }
        let (next, _) = self.lookahead(Context::Values);
        if (next == Token::EndOfString || next == Token::Comma) && op.is_none() {
            op = Some(Operator::Exists);
        }
        Ok((lit, op))
    }

    fn parse_operator(&mut self) -> Result<Operator, SelectorError> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                let ops: Vec<&str> = BINARY_OPERATORS.iter().map(|o| o.as_str()).collect();
                return err(format!("found '{lit}', expected: {}", ops.join(", ")));
            }
        })
    }

    /// `( v1, v2, … )` as a sorted set; empty entries (`()`, `(a,)`, `(,,)`) mean `""`.
    fn parse_values(&mut self) -> Result<Vec<String>, SelectorError> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                let (close, _) = self.consume(Context::Values);
                if close != Token::ClosedPar {
                    // Upstream prints the literal seen right after `(` here.
                    return err(format!("found '{lit}', expected: ')'"));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, SelectorError> {
        let mut set = std::collections::BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    set.insert(lit);
                    let (t2, l2) = self.lookahead(Context::Values);
                    match t2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set.into_iter().collect()),
                        _ => return err(format!("found '{l2}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if set.is_empty() {
                        set.insert(String::new()); // "(,"
                    }
                    let (t2, _) = self.lookahead(Context::Values);
                    if t2 == Token::ClosedPar {
                        set.insert(String::new()); // ",)"
                        return Ok(set.into_iter().collect());
                    }
                    if t2 == Token::Comma {
                        self.consume(Context::Values);
                        set.insert(String::new()); // ",,"
                    }
                }
                _ => return err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    /// The one value after `=`, `==`, `!=`, `>`, `<`; nothing before `,`/end means `""`.
    fn parse_exact_value(&mut self) -> Result<Vec<String>, SelectorError> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(vec![String::new()]);
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            Ok(vec![lit])
        } else {
            err(format!("found '{lit}', expected: identifier"))
        }
    }
}

#[cfg(test)]
mod tests;
