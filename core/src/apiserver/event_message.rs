//! An Event's message as its recorder hands it over: text, or a template with the values to
//! fill in, rendered only if the Event is built.
//!
//! The recorder runs several times per pod, and at scale nearly every Event it records is
//! evicted by the live-Event cap before it is built (see `events`). A formatted message would
//! cost an allocation per recording for text nobody reads; a template with shared arguments
//! costs a few reference counts. The recorder needs the text in only two places besides
//! building the Event, both handled here without rendering it into a buffer: the aggregation
//! hash ([`EventMessage::hash_text`] streams the text into the hasher) and the aggregation
//! key comparison ([`EventMessage::same_text`], [`EventMessage::text_is`]).

use crate::api::core::Container;
use crate::api::shared::{Shared, SharedStr};
use std::fmt::{self, Write as _};
use std::hash::Hasher;

/// The most arguments a template takes (the kubelet's BackOff message has four).
pub const MAX_ARGS: usize = 4;

/// An Event's message: the text is what [`fmt::Display`] writes.
#[derive(Clone, Debug)]
pub struct EventMessage(Repr);

#[derive(Clone, Debug)]
enum Repr {
    /// Text made by the caller (the rare messages).
    Text(String),
    /// A constant text.
    Static(&'static str),
    /// `template` with its `{}` placeholders replaced by `args` in order. A placeholder
    /// without an argument renders as nothing, an argument without a placeholder is ignored
    /// (neither happens with the recorders' templates: their tests render each one).
    Template(&'static str, [Option<MessageArg>; MAX_ARGS]),
}

/// A value filled into an [`EventMessage`] template: cheap to take from an object (a
/// reference count or a copy), rendered only with the message.
#[derive(Clone, Debug)]
pub enum MessageArg {
    /// A shared string (a name, namespace, UID, node name).
    Str(SharedStr),
    /// A constant text.
    Static(&'static str),
    /// A number, in decimal.
    Int(i64),
    /// The name of the container at this index of a pod's containers (nothing if there is
    /// no such container).
    ContainerName(Shared<Vec<Container>>, usize),
    /// The image of the container at this index of a pod's containers (nothing if there is
    /// no such container).
    ContainerImage(Shared<Vec<Container>>, usize),
}

impl MessageArg {
    fn as_text(&self) -> Option<&str> {
        match self {
            MessageArg::Str(s) => Some(s.as_str()),
            MessageArg::Static(s) => Some(s),
            MessageArg::Int(_) => None,
            MessageArg::ContainerName(cs, i) => Some(cs.get(*i).map_or("", |c| c.name.as_str())),
            MessageArg::ContainerImage(cs, i) => Some(cs.get(*i).map_or("", |c| c.image.as_str())),
        }
    }

    /// Whether `self` and `other` certainly render the same text, judged without reading
    /// strings unless they are short to compare (false means "compare the texts").
    fn same_as(&self, other: &MessageArg) -> bool {
        match (self, other) {
            (MessageArg::Str(a), MessageArg::Str(b)) => a == b,
            (MessageArg::Static(a), MessageArg::Static(b)) => a == b,
            (MessageArg::Int(a), MessageArg::Int(b)) => a == b,
            (MessageArg::ContainerName(a, i), MessageArg::ContainerName(b, j))
            | (MessageArg::ContainerImage(a, i), MessageArg::ContainerImage(b, j)) => {
                Shared::ptr_eq(a, b) && i == j
            }
            _ => false,
        }
    }
}

impl fmt::Display for MessageArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.as_text()) {
            (MessageArg::Int(n), _) => write!(f, "{n}"),
            (_, Some(s)) => f.write_str(s),
            (_, None) => Ok(()),
        }
    }
}

impl From<SharedStr> for MessageArg {
    fn from(s: SharedStr) -> Self {
        MessageArg::Str(s)
    }
}

impl From<&SharedStr> for MessageArg {
    fn from(s: &SharedStr) -> Self {
        MessageArg::Str(s.clone())
    }
}

impl From<&'static str> for MessageArg {
    fn from(s: &'static str) -> Self {
        MessageArg::Static(s)
    }
}

impl From<i32> for MessageArg {
    fn from(n: i32) -> Self {
        MessageArg::Int(n.into())
    }
}

impl From<i64> for MessageArg {
    fn from(n: i64) -> Self {
        MessageArg::Int(n)
    }
}

impl EventMessage {
    /// `template` with each `{}` replaced by the next of `args` (no other formatting: `{` and
    /// `}` elsewhere are literal).
    pub fn template<const N: usize>(template: &'static str, args: [MessageArg; N]) -> Self {
        const { assert!(N <= MAX_ARGS, "at most MAX_ARGS template arguments") };
        let mut slots: [Option<MessageArg>; MAX_ARGS] = Default::default();
        for (slot, arg) in slots.iter_mut().zip(args) {
            *slot = Some(arg);
        }
        EventMessage(Repr::Template(template, slots))
    }

    /// The text as a `String` (moved out if the caller made it).
    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Text(s) => s,
            _ => self.to_string(),
        }
    }

    /// Whether the message's text is `text`, rendered piece by piece against it.
    pub fn text_is(&self, text: &str) -> bool {
        match &self.0 {
            Repr::Text(s) => s == text,
            Repr::Static(s) => *s == text,
            Repr::Template(..) => {
                let mut rest = Expect(text);
                write!(rest, "{self}").is_ok() && rest.0.is_empty()
            }
        }
    }

    /// Whether two messages have the same text: the same template with arguments known equal
    /// is decided without rendering; otherwise the texts are compared.
    pub fn same_text(&self, other: &EventMessage) -> bool {
        match (&self.0, &other.0) {
            (Repr::Text(a), _) => other.text_is(a),
            (Repr::Static(a), _) => other.text_is(a),
            (_, Repr::Text(b)) => self.text_is(b),
            (_, Repr::Static(b)) => self.text_is(b),
            (Repr::Template(t, a), Repr::Template(u, b)) => {
                let same = t == u
                    && a.iter().zip(b).all(|(x, y)| match (x, y) {
                        (None, None) => true,
                        (Some(x), Some(y)) => x.same_as(y),
                        _ => false,
                    });
                // Different representations of one text are rare (a hash match of two
                // templates is nearly always the same shape): rendering one is fine then.
                same || self.text_is(&other.to_string())
            }
        }
    }

    /// Feeds the message's text to `h` as [`TextHasher`] does: the same for every
    /// representation of one text.
    pub fn hash_text<H: Hasher>(&self, h: &mut H) {
        let mut th = TextHasher::new(h);
        // Writing to a hasher cannot fail.
        let _ = write!(th, "{self}");
        th.finish();
    }
}

impl fmt::Display for EventMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Text(s) => f.write_str(s),
            Repr::Static(s) => f.write_str(s),
            Repr::Template(template, args) => {
                let mut args = args.iter();
                for (i, piece) in template.split("{}").enumerate() {
                    if i > 0 {
                        if let Some(Some(arg)) = args.next() {
                            fmt::Display::fmt(arg, f)?;
                        }
                    }
                    f.write_str(piece)?;
                }
                Ok(())
            }
        }
    }
}

impl From<String> for EventMessage {
    fn from(s: String) -> Self {
        EventMessage(Repr::Text(s))
    }
}

impl From<&'static str> for EventMessage {
    fn from(s: &'static str) -> Self {
        EventMessage(Repr::Static(s))
    }
}

/// Consumes the text it is written while it matches; fails at the first difference.
struct Expect<'a>(&'a str);

impl fmt::Write for Expect<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self.0.strip_prefix(s) {
            Some(rest) => {
                self.0 = rest;
                Ok(())
            }
            None => Err(fmt::Error),
        }
    }
}

/// Streams text into a [`Hasher`] in little-endian 8-byte words and then the length, so
/// the hash depends on the bytes only, not on the pieces they were written in (a hasher's
/// own `write` need not: FxHasher's hashes each call's bytes as one value).
pub struct TextHasher<'h, H: Hasher> {
    h: &'h mut H,
    /// Bytes waiting for a full word (the first `pending` bytes count).
    word: [u8; 8],
    pending: usize,
    len: u64,
}

impl<'h, H: Hasher> TextHasher<'h, H> {
    /// A text hasher feeding `h`.
    pub fn new(h: &'h mut H) -> Self {
        TextHasher {
            h,
            word: [0; 8],
            pending: 0,
            len: 0,
        }
    }

    /// Feeds the last partial word and the length (which keeps `"ab"` + `"c"` apart from
    /// `"a"` + `"bc"` when more is hashed after the text).
    pub fn finish(mut self) {
        if self.pending > 0 {
            self.word[self.pending..].fill(0);
            self.h.write_u64(u64::from_le_bytes(self.word));
        }
        self.h.write_u64(self.len);
    }

    fn write_bytes(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.pending > 0 {
            let take = (8 - self.pending).min(bytes.len());
            self.word[self.pending..self.pending + take].copy_from_slice(&bytes[..take]);
            self.pending += take;
            bytes = &bytes[take..];
            if self.pending < 8 {
                return;
            }
            self.h.write_u64(u64::from_le_bytes(self.word));
            self.pending = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0; 8];
            word.copy_from_slice(w);
            self.h.write_u64(u64::from_le_bytes(word));
        }
        let tail = words.remainder();
        self.word[..tail.len()].copy_from_slice(tail);
        self.pending = tail.len();
    }
}

impl<H: Hasher> fmt::Write for TextHasher<'_, H> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rustc_hash::FxHasher;

    fn text_hash(pieces: &[&str]) -> u64 {
        let mut h = FxHasher::default();
        let mut th = TextHasher::new(&mut h);
        for p in pieces {
            let _ = th.write_str(p);
        }
        th.finish();
        h.finish()
    }

    fn containers(specs: &[(&str, &str)]) -> Shared<Vec<Container>> {
        Shared::new(
            specs
                .iter()
                .map(|(name, image)| Container {
                    name: name.to_string(),
                    image: image.to_string(),
                    ..Default::default()
                })
                .collect(),
        )
    }

    #[test]
    fn a_template_fills_its_placeholders_in_order() {
        let cs = containers(&[("web", "nginx:1.27"), ("side", "busybox")]);
        let s = |v: &str| MessageArg::Str(SharedStr::new(v));
        // (message, the text it renders)
        let cases: Vec<(EventMessage, &str)> = vec![
            (EventMessage::template("no args", []), "no args"),
            (EventMessage::template("{}", [s("x")]), "x"),
            (
                EventMessage::template("a {} b {} c", [s("1"), MessageArg::Int(-2)]),
                "a 1 b -2 c",
            ),
            (EventMessage::template("{}{}", [s("ab"), s("c")]), "abc"),
            (
                EventMessage::template(
                    "{} and {}",
                    [
                        MessageArg::ContainerName(cs.clone(), 1),
                        MessageArg::ContainerImage(cs.clone(), 0),
                    ],
                ),
                "side and nginx:1.27",
            ),
            // No such container: nothing, as the kubelet's `first()` lookups give "".
            (
                EventMessage::template("[{}]", [MessageArg::ContainerName(cs.clone(), 2)]),
                "[]",
            ),
            // Mismatched counts: a missing argument is empty, an extra one ignored.
            (EventMessage::template("{}-{}", [s("a")]), "a-"),
            (EventMessage::template("{}", [s("a"), s("b")]), "a"),
            (EventMessage::template("{{x}}", []), "{{x}}"),
            ("constant".into(), "constant"),
            (String::from("owned").into(), "owned"),
        ];
        for (msg, want) in cases {
            assert_eq!(msg.to_string(), want, "{msg:?}");
            assert!(msg.text_is(want), "{msg:?}");
            assert!(!msg.text_is(&format!("{want}.")), "{msg:?}");
            assert_eq!(msg.clone().into_string(), want);
        }
    }

    #[test]
    fn messages_with_one_text_are_the_same_whatever_their_form() {
        let cs = containers(&[("web", "nginx")]);
        let lazy = || {
            EventMessage::template(
                "Started container {} on {}",
                [
                    MessageArg::ContainerName(cs.clone(), 0),
                    MessageArg::Str(SharedStr::new("n1")),
                ],
            )
        };
        let text = "Started container web on n1";
        let forms = [
            lazy(),
            EventMessage::from(text.to_string()),
            EventMessage::from("Started container web on n1"),
            // Another template and other arguments, same text.
            EventMessage::template(
                "Started {} web on {}",
                [
                    MessageArg::Static("container"),
                    MessageArg::Str(SharedStr::new("n1")),
                ],
            ),
            EventMessage::template(
                "{} container {} on n1",
                [
                    MessageArg::Str(SharedStr::new("Started")),
                    MessageArg::ContainerImage(containers(&[("x", "web")]), 0),
                ],
            ),
        ];
        let hash = |m: &EventMessage| {
            let mut h = FxHasher::default();
            m.hash_text(&mut h);
            h.finish()
        };
        for a in &forms {
            assert_eq!(hash(a), text_hash(&[text]), "{a:?}");
            for b in &forms {
                assert!(a.same_text(b), "{a:?} vs {b:?}");
            }
        }
        let other = EventMessage::template(
            "Started container {} on {}",
            [
                MessageArg::ContainerName(cs.clone(), 0),
                MessageArg::Str(SharedStr::new("n2")),
            ],
        );
        for a in &forms {
            assert!(!a.same_text(&other) && !other.same_text(a), "{a:?}");
        }
    }

    #[test]
    fn the_text_hash_counts_the_length() {
        // A text ending in zero bytes fills its last word like a shorter text padded with
        // zeros: only the length tells them apart.
        assert_ne!(text_hash(&["a"]), text_hash(&["a\0"]));
        assert_ne!(text_hash(&[""]), text_hash(&["\0\0\0\0\0\0\0\0"]));
    }

    proptest! {
        #[test]
        fn the_text_hash_depends_on_the_bytes_not_the_pieces(
            text in "[a-z\\-/é{}]{0,40}",
            cuts in proptest::collection::vec(0usize..=40, 0..6),
        ) {
            // `text` cut at char boundaries near `cuts`.
            let mut at: Vec<usize> = cuts
                .into_iter()
                .map(|c| c.min(text.len()))
                .filter(|c| text.is_char_boundary(*c))
                .collect();
            at.sort_unstable();
            let mut pieces = Vec::new();
            let mut from = 0;
            for c in at {
                pieces.push(&text[from..c]);
                from = c;
            }
            pieces.push(&text[from..]);
            prop_assert_eq!(text_hash(&pieces), text_hash(&[&text]));
            let owned = EventMessage::from(text.clone());
            let mut h = FxHasher::default();
            owned.hash_text(&mut h);
            prop_assert_eq!(h.finish(), text_hash(&[&text]));
        }
    }
}
