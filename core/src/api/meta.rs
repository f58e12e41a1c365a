//! Object metadata (`metav1.ObjectMeta`, `OwnerReference`, `LabelSelector`, `ObjectReference`).

use super::shared::{Shared, SharedStr};
use crate::time::Time;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Labels or annotations: an ordered map so that output is stable.
pub type StringMap = BTreeMap<String, String>;

/// Fields of a manifest that Kubeplay keeps but does not simulate (`resources`, `env`, …).
/// They are preserved on round trips and reported as "not simulated".
pub type Extra = BTreeMap<String, Value>;

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

fn is_empty_map(v: &Shared<StringMap>) -> bool {
    v.is_empty()
}

fn is_empty_vec<T>(v: &Shared<Vec<T>>) -> bool {
    v.is_empty()
}

/// `metadata` of every object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// Unique within the namespace (and kind).
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub name: SharedStr,
    /// Prefix from which the API server generates a name when `name` is empty.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub generate_name: SharedStr,
    /// Empty for cluster-scoped objects; defaulted to the request's namespace otherwise.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub namespace: SharedStr,
    /// Set by the API server on create.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub uid: SharedStr,
    /// Opaque version, changed by every write.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub resource_version: SharedStr,
    /// Incremented when the spec changes (workloads).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub generation: i64,
    /// Set by the API server on create (`null` in client-side manifests).
    #[serde(default)]
    pub creation_timestamp: Option<Time>,
    /// Set by a graceful delete: the object stays until this time (or until its finalizer is done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<Time>,
    /// The grace period of the pending deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    /// Identifying labels, matched by selectors. Shared by an object's copies until one of
    /// them changes its labels (most writes change the status only).
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub labels: Shared<StringMap>,
    /// Non-identifying metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: StringMap,
    /// Owners (the controller that manages the object has `controller: true`).
    /// Shared by an object's copies as `labels` are.
    #[serde(default, skip_serializing_if = "is_empty_vec")]
    pub owner_references: Shared<Vec<OwnerReference>>,
    /// Anything else (finalizers, managedFields, …): kept, not simulated.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ObjectMeta {
    /// The owner reference with `controller: true`, if any.
    pub fn controller_ref(&self) -> Option<&OwnerReference> {
        self.owner_references
            .iter()
            .find(|o| o.controller == Some(true))
    }
    /// Whether a graceful deletion is pending.
    pub fn is_terminating(&self) -> bool {
        self.deletion_timestamp.is_some()
    }
}

/// `apiVersion` and `kind` strings: almost always one of the built-in constants, so an object's
/// copy shares them instead of copying two strings (objects are copied on every write).
pub type TypeStr = std::borrow::Cow<'static, str>;

/// A reference from an object to its owner, used by garbage collection and controllers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerReference {
    /// API version of the owner (`apps/v1`).
    pub api_version: TypeStr,
    /// Kind of the owner (`ReplicaSet`).
    pub kind: TypeStr,
    /// Name of the owner.
    pub name: SharedStr,
    /// UID of the owner.
    pub uid: SharedStr,
    /// True for the managing controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    /// Foreground deletion waits for this dependent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
}

/// `metav1.LabelSelector`: `matchLabels` ANDed with `matchExpressions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Equality requirements. Shared like an object's labels: every write of a workload
    /// copies its spec, and a selector almost never changes.
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub match_labels: Shared<StringMap>,
    /// Set-based requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One set-based requirement of a [`LabelSelector`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    /// The label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: String,
    /// Values for `In` / `NotIn`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// `corev1.ObjectReference` (event subjects, endpoint targets).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    /// Kind of the referent.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub kind: TypeStr,
    /// Namespace of the referent.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub namespace: SharedStr,
    /// Name of the referent.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub name: SharedStr,
    /// UID of the referent.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub uid: SharedStr,
    /// API version of the referent.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub api_version: TypeStr,
    /// Resource version of the referent.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub resource_version: SharedStr,
    /// Part of the object (`spec.containers{web}`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field_path: String,
}
