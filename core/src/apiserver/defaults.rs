//! Defaulting as the API server applies it on every write (`SetDefaults_*` in
//! `pkg/apis/core/v1/defaults.go` and `pkg/apis/apps/v1/defaults.go`, spec §1.1, §3, §7.2), plus
//! the Service ClusterIP normalization the REST storage runs before allocation
//! (`normalizeClusterIPs`) and the single-stack IP family fields it fills in.
//!
//! Defaults recurse as upstream's generated defaulters do: a Deployment's pod template gets the
//! PodSpec, Container, ContainerPort and Probe defaults, but not the Pod-level ones
//! (`enableServiceLinks` is only defaulted on Pods).

use serde_json::{json, Value};

use crate::api::apps::{Deployment, ReplicaSet, RollingUpdateDeployment};
use crate::api::core::{
    ClientIpConfig, Container, Pod, PodSpec, Probe, ReplicationController, Service,
    SessionAffinityConfig,
};
use crate::api::intstr::IntOrString;
use crate::api::meta::Extra;

/// `DefaultTerminationGracePeriodSeconds`.
pub const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;
/// `DefaultClientIPServiceAffinitySeconds` (3 hours).
pub const DEFAULT_CLIENT_IP_AFFINITY_SECONDS: i32 = 10800;

fn set_if_none<T>(slot: &mut Option<T>, value: T) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

/// Sets an unset or empty string field. The defaults are constants: a `TypeStr` field takes
/// them borrowed, so copies of the defaulted object do not copy the string.
fn set_string_if_empty<S>(slot: &mut Option<S>, value: &'static str)
where
    S: std::ops::Deref<Target = str> + From<&'static str>,
{
    if slot.as_deref().is_none_or(str::is_empty) {
        *slot = Some(value.into());
    }
}

fn set_extra_if_absent(extra: &mut Extra, key: &str, value: Value) {
    extra.entry(key.to_string()).or_insert(value);
}

/// `SetDefaults_Deployment` (apps/v1): replicas 1, RollingUpdate with 25%/25%,
/// revisionHistoryLimit 10, progressDeadlineSeconds 600; then the pod template's defaults.
pub fn set_defaults_deployment(d: &mut Deployment) {
    set_defaults_deployment_fields(d);
    set_defaults_pod_spec(&mut d.spec.template.spec);
}

/// [`set_defaults_deployment`] but for the pod template's spec.
pub fn set_defaults_deployment_fields(d: &mut Deployment) {
    set_if_none(&mut d.spec.replicas, 1);
    let strategy = &mut d.spec.strategy;
    set_string_if_empty(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let ru = strategy
            .rolling_update
            .get_or_insert_with(RollingUpdateDeployment::default);
        set_if_none(&mut ru.max_unavailable, IntOrString::from("25%"));
        set_if_none(&mut ru.max_surge, IntOrString::from("25%"));
    }
    set_if_none(&mut d.spec.revision_history_limit, 10);
    set_if_none(&mut d.spec.progress_deadline_seconds, 600);
}

/// `SetDefaults_ReplicaSet` (apps/v1): replicas 1 (apps/v1 does not copy template labels).
pub fn set_defaults_replica_set(rs: &mut ReplicaSet) {
    set_if_none(&mut rs.spec.replicas, 1);
    set_defaults_pod_spec(&mut rs.spec.template.spec);
}

/// [`set_defaults_replica_set`] but for the pod template's spec.
pub fn set_defaults_replica_set_fields(rs: &mut ReplicaSet) {
    set_if_none(&mut rs.spec.replicas, 1);
}

/// `SetDefaults_ReplicationController`: with a template that has labels, an empty selector and
/// empty object labels are copied from them; replicas 1.
pub fn set_defaults_replication_controller(rc: &mut ReplicationController) {
    if let Some(t) = &rc.spec.template {
        if !t.metadata.labels.is_empty() {
            let labels = t.metadata.labels.clone();
            if rc.spec.selector.as_ref().is_none_or(|s| s.is_empty()) {
                rc.spec.selector = Some((*labels).clone());
            }
            if rc.metadata.labels.is_empty() {
                rc.metadata.labels = labels;
            }
        }
    }
    set_if_none(&mut rc.spec.replicas, 1);
    if let Some(t) = &mut rc.spec.template {
        set_defaults_pod_spec(&mut t.spec);
    }
}

/// `SetDefaults_Pod` (`enableServiceLinks` true) and everything below it.
pub fn set_defaults_pod(pod: &mut Pod) {
    set_if_none(&mut pod.spec.enable_service_links, true);
    set_defaults_pod_spec(&mut pod.spec);
}

/// `SetDefaults_PodSpec` (dnsPolicy ClusterFirst, restartPolicy Always, securityContext {},
/// terminationGracePeriodSeconds 30, schedulerName default-scheduler) and the container,
/// port and probe defaults.
pub fn set_defaults_pod_spec(spec: &mut PodSpec) {
    set_string_if_empty(&mut spec.dns_policy, "ClusterFirst");
    set_string_if_empty(&mut spec.restart_policy, "Always");
    if !spec.extra.contains_key("securityContext") {
        // Checked first: the map is shared, and writing through it copies it.
        set_extra_if_absent(&mut spec.extra, "securityContext", json!({}));
    }
    set_if_none(
        &mut spec.termination_grace_period_seconds,
        DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
    );
    set_string_if_empty(&mut spec.scheduler_name, "default-scheduler");
    for c in spec.containers.iter_mut() {
        set_defaults_container(c);
    }
}

/// `SetDefaults_Container` (imagePullPolicy, termination message), `SetDefaults_ContainerPort`
/// (protocol TCP) and `SetDefaults_Probe` for its probes.
pub fn set_defaults_container(c: &mut Container) {
    if c.image_pull_policy.as_deref().is_none_or(str::is_empty) {
        c.image_pull_policy = Some(default_pull_policy(&c.image).into());
    }
    set_extra_if_absent(
        &mut c.extra,
        "terminationMessagePath",
        json!("/dev/termination-log"),
    );
    set_extra_if_absent(&mut c.extra, "terminationMessagePolicy", json!("File"));
    for p in &mut c.ports {
        set_string_if_empty(&mut p.protocol, "TCP");
    }
    for probe in [&mut c.readiness_probe, &mut c.liveness_probe]
        .into_iter()
        .flatten()
    {
        set_defaults_probe(probe);
    }
    if let Some(Value::Object(p)) = c.extra.get_mut("startupProbe") {
        default_probe_json(p);
    }
}

/// `SetDefaults_Probe`: timeout 1, period 10, successThreshold 1, failureThreshold 3 (0 counts
/// as unset, as Go's zero value); plus `SetDefaults_HTTPGetAction` (path `/`, scheme HTTP).
pub fn set_defaults_probe(p: &mut Probe) {
    for (slot, v) in [
        (&mut p.timeout_seconds, 1),
        (&mut p.period_seconds, 10),
        (&mut p.success_threshold, 1),
        (&mut p.failure_threshold, 3),
    ] {
        if slot.is_none_or(|x| x == 0) {
            *slot = Some(v);
        }
    }
    default_http_get_json(&mut p.extra);
}

/// Probe defaults for a probe the typed model keeps as raw JSON (startupProbe).
fn default_probe_json(p: &mut serde_json::Map<String, Value>) {
    for (k, v) in [
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ] {
        let unset = p
            .get(k)
            .is_none_or(|x| x.as_i64() == Some(0) || x.is_null());
        if unset {
            p.insert(k.to_string(), json!(v));
        }
    }
    if let Some(Value::Object(h)) = p.get_mut("httpGet") {
        default_http_get_action(h);
    }
}

fn default_http_get_json(extra: &mut Extra) {
    if let Some(Value::Object(h)) = extra.get_mut("httpGet") {
        default_http_get_action(h);
    }
}

fn default_http_get_action(h: &mut serde_json::Map<String, Value>) {
    if h.get("path")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        h.insert("path".into(), json!("/"));
    }
    if h.get("scheme")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        h.insert("scheme".into(), json!("HTTP"));
    }
}

/// The pull policy upstream picks when none is given: `Always` when the image's tag is
/// `latest` (including no tag and no digest, which means `latest`), else `IfNotPresent`
/// (also when the reference does not parse, since the tag is then unknown).
pub fn default_pull_policy(image: &str) -> &'static str {
    if image_tag(image).as_deref() == Some("latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

/// The tag of an image reference as `parsers.ParseImageName` reports it: the explicit tag,
/// `latest` when there is neither tag nor digest, `None` when there is only a digest or the
/// reference is malformed.
fn image_tag(image: &str) -> Option<String> {
    if image.is_empty() || image.bytes().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    // Repository path components must be lowercase (the registry host may not be).
    let path = repo.split_once('/').map_or(repo, |(host, rest)| {
        if host.contains(['.', ':']) || host == "localhost" {
            rest
        } else {
            repo
        }
    });
    if path.is_empty() || path.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    match (tag, digest) {
        (Some(t), _) if valid_tag(t) => Some(t.to_string()),
        (Some(_), _) => None,
        (None, Some(_)) => None,
        (None, None) => Some("latest".to_string()),
    }
}

/// `[\w][\w.-]{0,127}`.
fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// `SetDefaults_Service`: sessionAffinity None (config dropped) or ClientIP with a 10800 s
/// timeout, type ClusterIP, port protocol TCP, targetPort = port when 0/"",
/// externalTrafficPolicy Cluster for externally-accessible Services, internalTrafficPolicy
/// Cluster for ClusterIP/NodePort/LoadBalancer, allocateLoadBalancerNodePorts true for
/// LoadBalancer. Then the IP family fields (see [`set_service_ip_family_defaults`]).
pub fn set_defaults_service(svc: &mut Service) {
    let s = &mut svc.spec;
    set_string_if_empty(&mut s.session_affinity, "None");
    match s.session_affinity.as_deref() {
        Some("None") => s.session_affinity_config = None,
        Some("ClientIP") => {
            let has_timeout = s
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .is_some_and(|c| c.timeout_seconds.is_some());
            if !has_timeout {
                s.session_affinity_config = Some(SessionAffinityConfig {
                    client_ip: Some(ClientIpConfig {
                        timeout_seconds: Some(DEFAULT_CLIENT_IP_AFFINITY_SECONDS),
                    }),
                });
            }
        }
        _ => {}
    }
    set_string_if_empty(&mut s.type_, "ClusterIP");
    for p in &mut s.ports {
        set_string_if_empty(&mut p.protocol, "TCP");
        let unset = match &p.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(v)) => v.is_empty(),
            Some(IntOrString::Int(_)) => false,
        };
        if unset {
            p.target_port = Some(IntOrString::Int(p.port));
        }
    }
    let ty = s.type_.clone().unwrap_or_default();
    let externally_accessible = ty == "NodePort"
        || ty == "LoadBalancer"
        || (ty == "ClusterIP" && !s.external_ips.is_empty());
    if externally_accessible {
        set_string_if_empty(&mut s.external_traffic_policy, "Cluster");
    }
    if matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        set_if_none(&mut s.internal_traffic_policy, "Cluster".to_string());
    }
    if ty == "LoadBalancer" {
        set_if_none(&mut s.allocate_load_balancer_node_ports, true);
    }
    set_service_ip_family_defaults(svc);
}

/// The IP family fields the Service REST storage fills in on a single-stack IPv4 cluster
/// (`initIPFamilyFields`): `ipFamilyPolicy: SingleStack` and `ipFamilies: [IPv4]`, except that a
/// headless Service without a selector defaults to `RequireDualStack` (it may serve any family)
/// and ExternalName Services get neither.
pub fn set_service_ip_family_defaults(svc: &mut Service) {
    let s = &mut svc.spec;
    if s.type_.as_deref() == Some("ExternalName") {
        return;
    }
    let headless = s.cluster_ip.as_deref() == Some("None")
        || (s.cluster_ips.len() == 1 && s.cluster_ips[0] == "None");
    let selectorless = s.selector.as_ref().is_none_or(|m| m.is_empty());
    let policy = if headless && selectorless {
        "RequireDualStack"
    } else {
        "SingleStack"
    };
    set_if_none(&mut s.ip_family_policy, policy.to_string());
    if s.ip_families.is_empty() {
        s.ip_families = vec!["IPv4".to_string()];
    }
}

/// `normalizeClusterIPs`: keeps `clusterIP` and `clusterIPs` in step before allocation and
/// validation. On create a lone `clusterIP` seeds `clusterIPs`. On update, clearing `clusterIP`
/// while leaving `clusterIPs` as it was clears both; changing `clusterIP` alone (an old client)
/// replaces `clusterIPs`; an unchanged `clusterIP` with no `clusterIPs` keeps the old list.
pub fn normalize_cluster_ips(new: &mut Service, old: Option<&Service>) {
    let n = &mut new.spec;
    let new_ip = n.cluster_ip.clone().unwrap_or_default();
    let Some(old) = old else {
        if !new_ip.is_empty() && n.cluster_ips.is_empty() {
            n.cluster_ips = vec![new_ip];
        }
        return;
    };
    let o = &old.spec;
    let old_ip = o.cluster_ip.clone().unwrap_or_default();
    let same_ips = n.cluster_ips == o.cluster_ips;
    if !old_ip.is_empty() && new_ip.is_empty() {
        if same_ips {
            n.cluster_ips.clear();
        }
        return;
    }
    if new_ip != old_ip && !new_ip.is_empty() {
        if n.cluster_ips.is_empty() || same_ips {
            n.cluster_ips = vec![new_ip];
        }
        return;
    }
    if new_ip == old_ip && !new_ip.is_empty() && n.cluster_ips.is_empty() {
        n.cluster_ips = o.cluster_ips.clone();
    }
}

#[cfg(test)]
mod tests;
