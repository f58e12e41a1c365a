//! Labels and label selectors (`apimachinery/pkg/labels`, spec §9): parse the string form,
//! print it back, match label sets, and convert `metav1.LabelSelector` and Service selectors.

mod cache;
mod selector;

pub use cache::{SelectorCache, SelectorMemo};
pub use selector::*;
