//! Pod, pod template and ReplicationController validation (`pkg/apis/core/validation`:
//! `ValidatePodCreate`, `ValidatePodSpec`, `validateContainers`, `validateContainerPorts`,
//! `validateProbe`, `ValidatePodTemplateSpec`, `ValidateReplicationController`), for the fields
//! the simulator models. Handlers of probes and hooks live in the raw `extra` JSON, so their
//! checks read it.

use std::collections::BTreeSet;

use serde_json::Value;

use super::field::{self, BadValue, ErrorList, Path};
use super::meta::{
    metadata_path, name_is_dns_subdomain, validate_nonnegative_field, validate_object_meta,
    validate_object_meta_update,
};
use super::names::{
    is_dns1123_label, is_valid_port_name, is_valid_port_num, validate_annotations, validate_labels,
};
use super::service::validate_port_num_or_name;
use crate::api::core::{
    Container, ContainerPort, Lifecycle, Pod, PodSpec, PodTemplateSpec, Probe,
    ReplicationController,
};
use crate::api::intstr::IntOrString;
use crate::api::meta::Extra;
use crate::labels::Selector;

const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];
const RESTART_POLICIES: [&str; 3] = ["Always", "OnFailure", "Never"];
const DNS_POLICIES: [&str; 4] = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const PULL_POLICIES: [&str; 3] = ["Always", "IfNotPresent", "Never"];

/// The detail of the Forbidden error for a pod update that touches an immutable spec field
/// (upstream appends a Go struct diff after it, which cannot be reproduced here).
pub const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `ValidatePodCreate`: metadata (name a DNS subdomain), the pod spec, and the pod-only
/// container checks.
pub fn validate_pod(pod: &Pod) -> ErrorList {
    let mut errs = validate_pod_metadata(pod);
    errs.extend(validate_pod_create_spec(&pod.spec));
    errs
}

/// The metadata part of [`validate_pod`].
pub fn validate_pod_metadata(pod: &Pod) -> ErrorList {
    validate_object_meta(&pod.metadata, true, name_is_dns_subdomain, &metadata_path())
}

/// The spec part of [`validate_pod`]: it reads nothing but the spec, so its result holds for
/// every pod carrying the same spec.
pub fn validate_pod_create_spec(spec: &PodSpec) -> ErrorList {
    let sp = Path::new("spec");
    let mut errs = validate_pod_spec(spec, &sp);
    for (i, c) in spec.containers.iter().enumerate() {
        if c.image.trim() != c.image {
            errs.push(field::invalid(
                &sp.child("containers").index(i).child("image"),
                &c.image,
                "must not have leading or trailing whitespace",
            ));
        }
    }
    errs
}

/// `ValidatePodUpdate` for the modelled fields: metadata identity and labels, and a spec that
/// differs from the old one only in container images, tolerations and the grace period.
/// Binding (`nodeName`) and status writes are separate subresources upstream and must not
/// go through this check.
pub fn validate_pod_update(new: &Pod, old: &Pod) -> ErrorList {
    let mut errs = validate_object_meta_update(&new.metadata, &old.metadata, &metadata_path());
    let mut mutable = new.spec.clone();
    for (c, oc) in mutable.containers.iter_mut().zip(&old.spec.containers) {
        c.image = oc.image.clone();
    }
    mutable.tolerations = old.spec.tolerations.clone();
    mutable.termination_grace_period_seconds = old.spec.termination_grace_period_seconds;
    if let Some(v) = old.spec.extra.get("activeDeadlineSeconds") {
        mutable
            .extra
            .insert("activeDeadlineSeconds".to_string(), v.clone());
    } else {
        mutable.extra.remove("activeDeadlineSeconds");
    }
    if mutable != old.spec {
        errs.push(field::forbidden(&Path::new("spec"), POD_UPDATE_FORBIDDEN));
    }
    errs
}

/// `ValidatePodSpec` for the modelled fields, in upstream's order: containers, restartPolicy,
/// dnsPolicy, nodeSelector, nodeName, hostname, subdomain.
pub fn validate_pod_spec(spec: &PodSpec, path: &Path) -> ErrorList {
    let mut errs = validate_containers(
        &spec.containers,
        spec.termination_grace_period_seconds,
        &path.child("containers"),
    );
    let rp = path.child("restartPolicy");
    match spec.restart_policy.as_deref().unwrap_or("") {
        "" => errs.push(field::required(&rp, "")),
        p if !RESTART_POLICIES.contains(&p) => {
            errs.push(field::not_supported(&rp, p, &RESTART_POLICIES))
        }
        _ => {}
    }
    let dp = path.child("dnsPolicy");
    match spec.dns_policy.as_deref().unwrap_or("") {
        "" => errs.push(field::required(&dp, "")),
        p if !DNS_POLICIES.contains(&p) => errs.push(field::not_supported(&dp, p, &DNS_POLICIES)),
        _ => {}
    }
    errs.extend(validate_labels(
        &spec.node_selector,
        &path.child("nodeSelector"),
    ));
    if !spec.node_name.is_empty() {
        for m in name_is_dns_subdomain(&spec.node_name, false) {
            errs.push(field::invalid(&path.child("nodeName"), &spec.node_name, &m));
        }
    }
    for (name, value) in [("hostname", &spec.hostname), ("subdomain", &spec.subdomain)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            for m in is_dns1123_label(v) {
                errs.push(field::invalid(&path.child(name), v, &m));
            }
        }
    }
    errs
}

/// `validateContainers`: at least one; each with a DNS-1123 label name unique in the pod, an
/// image, valid ports and pull policy, and well-formed probes and preStop hook.
fn validate_containers(containers: &[Container], grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if containers.is_empty() {
        errs.push(field::required(path, ""));
        return errs;
    }
    let mut names = BTreeSet::new();
    for (i, c) in containers.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, &p));
        if !names.insert(c.name.clone()) {
            errs.push(field::duplicate(&p.child("name"), &c.name));
        }
        if let Some(probe) = &c.liveness_probe {
            let lp = p.child("livenessProbe");
            errs.extend(validate_probe(probe, &lp));
            let st = probe.success_threshold.unwrap_or(0);
            if st != 1 {
                errs.push(field::invalid(
                    &lp.child("successThreshold"),
                    st,
                    "must be 1",
                ));
            }
        }
        if let Some(probe) = &c.readiness_probe {
            let rp = p.child("readinessProbe");
            errs.extend(validate_probe(probe, &rp));
            if let Some(v) = probe.extra.get("terminationGracePeriodSeconds") {
                if !v.is_null() {
                    errs.push(field::invalid(
                        &rp.child("terminationGracePeriodSeconds"),
                        BadValue::json(v),
                        "must not be set for readinessProbes",
                    ));
                }
            }
        }
        if let Some(lc) = &c.lifecycle {
            errs.extend(validate_lifecycle(lc, grace, &p.child("lifecycle")));
        }
    }
    errs
}

/// `validateContainerCommon` for the modelled fields.
fn validate_container_common(c: &Container, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let np = path.child("name");
    if c.name.is_empty() {
        errs.push(field::required(&np, ""));
    } else {
        for m in is_dns1123_label(&c.name) {
            errs.push(field::invalid(&np, &c.name, &m));
        }
    }
    if c.image.is_empty() {
        errs.push(field::required(&path.child("image"), ""));
    }
    errs.extend(validate_container_ports(&c.ports, &path.child("ports")));
    let pp = path.child("imagePullPolicy");
    match c.image_pull_policy.as_deref().unwrap_or("") {
        "" => errs.push(field::required(&pp, "")),
        p if !PULL_POLICIES.contains(&p) => errs.push(field::not_supported(&pp, p, &PULL_POLICIES)),
        _ => {}
    }
    errs
}

/// `validateContainerPorts`: names are IANA service names unique in the container,
/// containerPort 1..65535, protocol TCP/UDP/SCTP.
fn validate_container_ports(ports: &[ContainerPort], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = path.index(i);
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                for m in msgs {
                    errs.push(field::invalid(&p.child("name"), name, &m));
                }
            } else if !names.insert(name.to_string()) {
                errs.push(field::duplicate(&p.child("name"), name));
            }
        }
        if port.container_port == 0 {
            errs.push(field::required(&p.child("containerPort"), ""));
        } else {
            for m in is_valid_port_num(i64::from(port.container_port)) {
                errs.push(field::invalid(
                    &p.child("containerPort"),
                    port.container_port,
                    &m,
                ));
            }
        }
        if let Some(hp) = port.extra.get("hostPort").and_then(Value::as_i64) {
            if hp != 0 {
                for m in is_valid_port_num(hp) {
                    errs.push(field::invalid(&p.child("hostPort"), hp, &m));
                }
            }
        }
        let pr = p.child("protocol");
        match port.protocol.as_deref().unwrap_or("") {
            "" => errs.push(field::required(&pr, "")),
            x if !PROTOCOLS.contains(&x) => errs.push(field::not_supported(&pr, x, &PROTOCOLS)),
            _ => {}
        }
    }
    errs
}

/// `validateProbe`: exactly one handler, and non-negative timings.
fn validate_probe(probe: &Probe, path: &Path) -> ErrorList {
    let mut errs = validate_handler(
        &probe.extra,
        &["exec", "httpGet", "tcpSocket", "grpc"],
        path,
    );
    for (name, v) in [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("periodSeconds", probe.period_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ] {
        errs.extend(validate_nonnegative_field(
            i64::from(v.unwrap_or(0)),
            &path.child(name),
        ));
    }
    if let Some(t) = probe
        .extra
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64)
    {
        if t <= 0 {
            errs.push(field::invalid(
                &path.child("terminationGracePeriodSeconds"),
                t,
                "must be greater than 0",
            ));
        }
    }
    errs
}

/// `validateHandler` over raw handler JSON: the first handler present is checked, any further
/// one is Forbidden, none at all is Required.
fn validate_handler(handlers: &Extra, kinds: &[&'static str], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut seen = 0;
    for &k in kinds {
        let Some(h) = handlers.get(k).filter(|v| !v.is_null()) else {
            continue;
        };
        let hp = path.child(k);
        if seen > 0 {
            errs.push(field::forbidden(
                &hp,
                "may not specify more than 1 handler type",
            ));
            continue;
        }
        seen += 1;
        errs.extend(validate_handler_body(k, h, &hp));
    }
    if seen == 0 {
        errs.push(field::required(path, "must specify a handler type"));
    }
    errs
}

fn port_from_json(v: Option<&Value>) -> IntOrString {
    match v {
        Some(Value::String(s)) => IntOrString::String(s.clone()),
        Some(Value::Number(n)) => {
            IntOrString::Int(n.as_i64().and_then(|x| i32::try_from(x).ok()).unwrap_or(-1))
        }
        _ => IntOrString::Int(0),
    }
}

/// `validateExecAction`, `validateHTTPGetAction`, `validateTCPSocketAction`,
/// `validateGRPCAction` for the fields that matter here.
fn validate_handler_body(kind: &str, h: &Value, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    match kind {
        "exec" => {
            let empty = h
                .get("command")
                .and_then(Value::as_array)
                .is_none_or(|a| a.is_empty());
            if empty {
                errs.push(field::required(&path.child("command"), ""));
            }
        }
        "httpGet" => {
            if h.get("path")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                errs.push(field::required(&path.child("path"), ""));
            }
            errs.extend(validate_port_num_or_name(
                &port_from_json(h.get("port")),
                &path.child("port"),
            ));
            let scheme = h.get("scheme").and_then(Value::as_str).unwrap_or("");
            if scheme != "HTTP" && scheme != "HTTPS" {
                errs.push(field::not_supported(
                    &path.child("scheme"),
                    scheme,
                    &["HTTP", "HTTPS"],
                ));
            }
        }
        "tcpSocket" => errs.extend(validate_port_num_or_name(
            &port_from_json(h.get("port")),
            &path.child("port"),
        )),
        "grpc" => {
            let port = h.get("port").and_then(Value::as_i64).unwrap_or(0);
            for m in is_valid_port_num(port) {
                errs.push(field::invalid(&path.child("port"), port, &m));
            }
        }
        _ => {}
    }
    errs
}

/// `validateLifecycle` for preStop: one handler; a `sleep` must be non-negative and within
/// the pod's termination grace period.
fn validate_lifecycle(lc: &Lifecycle, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(pre) = &lc.pre_stop else {
        return errs;
    };
    let mut handlers = pre.extra.clone();
    if let Some(e) = &pre.exec {
        handlers.insert(
            "exec".into(),
            serde_json::to_value(e).unwrap_or(Value::Null),
        );
    }
    if let Some(s) = &pre.sleep {
        handlers.insert(
            "sleep".into(),
            serde_json::to_value(s).unwrap_or(Value::Null),
        );
    }
    let pp = path.child("preStop");
    errs.extend(validate_handler(
        &handlers,
        &["exec", "httpGet", "tcpSocket", "sleep"],
        &pp,
    ));
    if let (Some(s), Some(g)) = (&pre.sleep, grace) {
        if s.seconds < 0 || s.seconds > g {
            errs.push(field::invalid(
                &pp.child("sleep").child("seconds"),
                s.seconds,
                &format!("must be non-negative and less than terminationGracePeriodSeconds ({g})"),
            ));
        }
    }
    errs
}

/// `ValidatePodTemplateSpec`: labels (reported at `<path>.labels`, as upstream does),
/// annotations, and the pod spec.
pub fn validate_pod_template_spec(t: &PodTemplateSpec, path: &Path) -> ErrorList {
    let mut errs = validate_labels(&t.metadata.labels, &path.child("labels"));
    errs.extend(validate_annotations(
        &t.metadata.annotations,
        &path.child("annotations"),
    ));
    errs.extend(validate_pod_spec(&t.spec, &path.child("spec")));
    errs
}

/// `ValidatePodTemplateSpecForReplicaSet` / `ForRC`: the selector must match the template's
/// labels (unless it selects everything), the template must be valid, and the pods must
/// restart `Always`.
pub fn validate_template_for_controller(
    t: &PodTemplateSpec,
    selector: &Selector,
    kind: &str,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    if !selector.is_empty() && !selector.matches(&t.metadata.labels) {
        errs.push(field::invalid(
            &path.child("metadata").child("labels"),
            BadValue::string_map(&t.metadata.labels),
            "`selector` does not match template `labels`",
        ));
    }
    errs.extend(validate_pod_template_spec(t, path));
    let rp = t.spec.restart_policy.as_deref().unwrap_or("");
    if rp != "Always" {
        errs.push(field::not_supported(
            &path.child("spec").child("restartPolicy"),
            rp,
            &["Always"],
        ));
    }
    if t.spec
        .extra
        .get("activeDeadlineSeconds")
        .is_some_and(|v| !v.is_null())
    {
        errs.push(field::forbidden(
            &path.child("spec").child("activeDeadlineSeconds"),
            &format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
    errs
}

/// `ValidateReplicationController`.
pub fn validate_replication_controller(rc: &ReplicationController) -> ErrorList {
    let mut errs =
        validate_object_meta(&rc.metadata, true, name_is_dns_subdomain, &metadata_path());
    errs.extend(validate_rc_spec(rc));
    errs
}

/// `ValidateReplicationControllerUpdate`.
pub fn validate_replication_controller_update(
    new: &ReplicationController,
    old: &ReplicationController,
) -> ErrorList {
    let mut errs = validate_object_meta_update(&new.metadata, &old.metadata, &metadata_path());
    errs.extend(validate_rc_spec(new));
    errs
}

fn validate_rc_spec(rc: &ReplicationController) -> ErrorList {
    let sp = Path::new("spec");
    let s = &rc.spec;
    let mut errs = validate_nonnegative_field(
        i64::from(s.min_ready_seconds.unwrap_or(0)),
        &sp.child("minReadySeconds"),
    );
    let empty = std::collections::BTreeMap::new();
    let sel_map = s.selector.as_ref().unwrap_or(&empty);
    let selector = Selector::from_validated_set(sel_map);
    if selector.is_empty() {
        errs.push(field::required(&sp.child("selector"), ""));
    }
    errs.extend(validate_nonnegative_field(
        i64::from(s.replicas.unwrap_or(0)),
        &sp.child("replicas"),
    ));
    match &s.template {
        None => errs.push(field::required(&sp.child("template"), "")),
        Some(t) => errs.extend(validate_template_for_controller(
            t,
            &selector,
            "ReplicationController",
            &sp.child("template"),
        )),
    }
    errs
}

#[cfg(test)]
mod tests;
