//! The `coordination.k8s.io/v1` group: Lease, which each kubelet renews as its heartbeat.

use super::meta::{ObjectMeta, TypeStr};
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// A Lease (`kube-node-lease/<node>`): the node heartbeat the node lifecycle controller checks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// `coordination.k8s.io/v1`.
    #[serde(default)]
    pub api_version: TypeStr,
    /// `Lease`.
    #[serde(default)]
    pub kind: TypeStr,
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec.
    #[serde(default)]
    pub spec: LeaseSpec,
}

/// `spec` of a Lease.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseSpec {
    /// The node name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_identity: Option<String>,
    /// 40 for node leases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_duration_seconds: Option<i32>,
    /// Last renewal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_time: Option<Time>,
}
