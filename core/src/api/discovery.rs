//! The `discovery.k8s.io/v1` group: EndpointSlice.

use super::core::EndpointPort;
use super::meta::{ObjectMeta, ObjectReference, TypeStr};
use super::shared::Shared;
use crate::api::SharedStr;
use serde::{Deserialize, Serialize};

/// An EndpointSlice: up to 100 (by default) endpoints of a Service, with their conditions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSlice {
    /// `discovery.k8s.io/v1`.
    #[serde(default)]
    pub api_version: TypeStr,
    /// `EndpointSlice`.
    #[serde(default)]
    pub kind: TypeStr,
    /// Metadata (label `kubernetes.io/service-name`).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// `IPv4`, `IPv6` or `FQDN`.
    #[serde(default)]
    pub address_type: String,
    /// Endpoints (JSON `null` when empty, as the API server returns it). Shared: the
    /// EndpointSlice controller's cache and every version of the slice that still lists an
    /// unchanged endpoint hold one copy of it.
    #[serde(default)]
    pub endpoints: Option<Vec<Shared<Endpoint>>>,
    /// Ports (JSON `null` for a placeholder slice).
    #[serde(default)]
    pub ports: Option<Vec<EndpointPort>>,
}

/// One endpoint (a pod) of a slice.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Pod IPs.
    #[serde(default)]
    pub addresses: Vec<SharedStr>,
    /// ready / serving / terminating.
    #[serde(default)]
    pub conditions: EndpointConditions,
    /// Hostname (pod `hostname` + `subdomain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<ObjectReference>,
    /// Node of the pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<SharedStr>,
    /// Zone of the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// Endpoint conditions; nil is read as ready=true, serving=true, terminating=false.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointConditions {
    /// Ready to receive new traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// Passing readiness, whether or not terminating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<bool>,
    /// Being deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminating: Option<bool>,
}
