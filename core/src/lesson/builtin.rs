//! The lessons shipped with Kubeplay, one per point of a classic introduction to Services,
//! embedded in the binary (`core/lessons/*.yaml`).

use super::{Lesson, LessonError};
use crate::kubectl::NoFiles;

/// (name, YAML) of every built-in lesson, in teaching order.
const BUILTIN: &[(&str, &str)] = &[
    (
        "pods-come-and-go",
        include_str!("../../lessons/pods-come-and-go.yaml"),
    ),
    (
        "pod-ip-changes",
        include_str!("../../lessons/pod-ip-changes.yaml"),
    ),
    (
        "service-stable-ip",
        include_str!("../../lessons/service-stable-ip.yaml"),
    ),
    (
        "vip-iptables",
        include_str!("../../lessons/vip-iptables.yaml"),
    ),
    ("vip-ipvs", include_str!("../../lessons/vip-ipvs.yaml")),
    (
        "kube-proxy-sync",
        include_str!("../../lessons/kube-proxy-sync.yaml"),
    ),
    (
        "reachable-from-outside",
        include_str!("../../lessons/reachable-from-outside.yaml"),
    ),
    (
        "labels-select-pods",
        include_str!("../../lessons/labels-select-pods.yaml"),
    ),
    (
        "endpointslices",
        include_str!("../../lessons/endpointslices.yaml"),
    ),
    (
        "service-types",
        include_str!("../../lessons/service-types.yaml"),
    ),
    (
        "zero-downtime-rollout",
        include_str!("../../lessons/zero-downtime-rollout.yaml"),
    ),
    (
        "session-affinity",
        include_str!("../../lessons/session-affinity.yaml"),
    ),
    (
        "external-traffic-policy",
        include_str!("../../lessons/external-traffic-policy.yaml"),
    ),
];

/// Names of the built-in lessons, in teaching order.
pub fn names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// The YAML of a built-in lesson.
pub fn source(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Loads a built-in lesson (`None` when there is no such lesson).
pub fn load(name: &str) -> Option<Result<Lesson, LessonError>> {
    source(name).map(|text| Lesson::load(text, &format!("<builtin>/{name}.yaml"), &NoFiles))
}
