//! `IntOrString` (apimachinery `util/intstr`): a field that holds either an integer or a string,
//! such as `targetPort` (`8080` or `http`) and `maxSurge` (`1` or `"25%"`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An integer or a string, serialized as the bare JSON value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    /// An integer value (`8080`, `1`).
    Int(i32),
    /// A string value (`"http"`, `"25%"`).
    String(String),
}

impl IntOrString {
    /// The value as a percentage (`"25%"` → 25), if it is a string of digits followed by `%`.
    pub fn as_percent(&self) -> Option<i64> {
        match self {
            IntOrString::String(s) => {
                let digits = s.strip_suffix('%')?;
                if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                digits.parse().ok()
            }
            IntOrString::Int(_) => None,
        }
    }

    /// The JSON rendering used in validation messages (`0`, `"110%"`).
    pub fn to_json(&self) -> String {
        match self {
            IntOrString::Int(i) => i.to_string(),
            IntOrString::String(s) => serde_json::to_string(s).unwrap_or_default(),
        }
    }
}

impl fmt::Display for IntOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::String(s) => f.write_str(s),
        }
    }
}

impl From<i32> for IntOrString {
    fn from(v: i32) -> Self {
        IntOrString::Int(v)
    }
}

impl From<&str> for IntOrString {
    fn from(v: &str) -> Self {
        IntOrString::String(v.to_string())
    }
}
