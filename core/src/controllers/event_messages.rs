//! The Event messages the controllers and kubelets record once or more per pod, as
//! [`EventMessage`] templates over the objects' shared strings: at scale almost none of them
//! is ever rendered (the live-Event cap evicts the Event first), so recording one costs a few
//! reference counts instead of a formatted `String`. Each renders the text upstream's
//! recorders write (the table test below holds them to it).

use crate::api::core::Pod;
use crate::api::meta::ObjectMeta;
use crate::api::shared::SharedStr;
use crate::apiserver::{EventMessage, MessageArg};
use crate::time::Millis;

fn container_name(pod: &Pod, i: usize) -> MessageArg {
    MessageArg::ContainerName(pod.spec.containers.clone(), i)
}

fn first_image(pod: &Pod) -> MessageArg {
    MessageArg::ContainerImage(pod.spec.containers.clone(), 0)
}

/// Scheduler `Scheduled`: `Successfully assigned <ns>/<name> to <node>`.
pub fn scheduled(namespace: &SharedStr, name: &SharedStr, node: &SharedStr) -> EventMessage {
    EventMessage::template(
        "Successfully assigned {}/{} to {}",
        [namespace.into(), name.into(), node.into()],
    )
}

/// ReplicaSet / ReplicationController `SuccessfulCreate`.
pub fn created_pod(name: &SharedStr) -> EventMessage {
    EventMessage::template("Created pod: {}", [name.into()])
}

/// ReplicaSet / ReplicationController `SuccessfulDelete`.
pub fn deleted_pod(name: &SharedStr) -> EventMessage {
    EventMessage::template("Deleted pod: {}", [name.into()])
}

/// A node's status Event (`NodeReady`, `NodeNotReady`, `CIDRNotAvailable`).
pub fn node_status(node: &SharedStr, status: &'static str) -> EventMessage {
    EventMessage::template(
        "Node {} status is now: {}",
        [node.into(), MessageArg::Static(status)],
    )
}

/// Taint eviction `TaintManagerEviction`.
pub fn marking_for_deletion(pod: &ObjectMeta) -> EventMessage {
    EventMessage::template(
        "Marking for deletion Pod {}/{}",
        [(&pod.namespace).into(), (&pod.name).into()],
    )
}

/// Kubelet `Pulled`, when the node has the (first container's) image.
pub fn image_present(pod: &Pod) -> EventMessage {
    EventMessage::template(
        "Container image \"{}\" already present on machine",
        [first_image(pod)],
    )
}

/// Kubelet `Pulling`.
pub fn pulling(pod: &Pod) -> EventMessage {
    EventMessage::template("Pulling image \"{}\"", [first_image(pod)])
}

/// Kubelet `Pulled`, after a pull of `pull_ms`, printed as Go prints the duration (`2s`,
/// `2.5s`, `1m1.5s`).
pub fn pulled(pod: &Pod, pull_ms: Millis) -> EventMessage {
    // Whole seconds under a minute, Go prints as the bare number of seconds: the template
    // needs no text made.
    if pull_ms.is_multiple_of(1000) && pull_ms < 60_000 {
        let secs = (pull_ms / 1000) as i64;
        return EventMessage::template(
            "Successfully pulled image \"{}\" in {}s",
            [first_image(pod), MessageArg::Int(secs)],
        );
    }
    let image = pod.spec.containers.first().map_or("", |c| c.image.as_str());
    format!(
        "Successfully pulled image \"{image}\" in {}",
        crate::time::go_duration(pull_ms)
    )
    .into()
}

/// Kubelet `Created`, for the container at index `i`.
pub fn created(pod: &Pod, i: usize) -> EventMessage {
    EventMessage::template("Created container: {}", [container_name(pod, i)])
}

/// Kubelet `Started`, for the container at index `i`.
pub fn started(pod: &Pod, i: usize) -> EventMessage {
    EventMessage::template("Started container {}", [container_name(pod, i)])
}

/// Kubelet `Killing`, for the container at index `i`.
pub fn stopping(pod: &Pod, i: usize) -> EventMessage {
    EventMessage::template("Stopping container {}", [container_name(pod, i)])
}

/// Kubelet `BackOff`, after the first container crashed.
pub fn back_off(pod: &Pod) -> EventMessage {
    let m = &pod.metadata;
    EventMessage::template(
        "Back-off restarting failed container {} in pod {}_{}({})",
        [
            container_name(pod, 0),
            (&m.name).into(),
            (&m.namespace).into(),
            (&m.uid).into(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::core::Container;

    fn pod(containers: &[(&str, &str)]) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = "web-7d4b9c8d5f-x2x9k".into();
        p.metadata.namespace = "shop".into();
        p.metadata.uid = "0b6f-41".into();
        p.spec.containers = containers
            .iter()
            .map(|(name, image)| Container {
                name: name.to_string(),
                image: image.to_string(),
                ..Default::default()
            })
            .collect::<Vec<_>>()
            .into();
        p
    }

    /// The `Pulled` text for `image` after `took` (as Go prints it).
    fn pulled_text(image: &str, took: &str) -> String {
        format!("Successfully pulled image \"{image}\" in {took}")
    }

    #[test]
    fn each_message_renders_the_text_its_recorder_formatted() {
        let two = pod(&[("nginx", "nginx:1.27"), ("sidecar", "busybox")]);
        let none = pod(&[]);
        let odd = pod(&[("c", "registry/app:v1.000s")]);
        let node = SharedStr::new("node-3");
        let (ns, name) = (&two.metadata.namespace, &two.metadata.name);
        // (lazy message, the text the recorder writes)
        let cases: Vec<(EventMessage, String)> = vec![
            (
                scheduled(ns, name, &node),
                format!("Successfully assigned {ns}/{name} to {node}"),
            ),
            (created_pod(name), format!("Created pod: {name}")),
            (deleted_pod(name), format!("Deleted pod: {name}")),
            (
                node_status(&node, "NodeReady"),
                format!("Node {node} status is now: NodeReady"),
            ),
            (
                node_status(&node, "NodeNotReady"),
                format!("Node {node} status is now: NodeNotReady"),
            ),
            (
                node_status(&node, "CIDRNotAvailable"),
                format!("Node {node} status is now: CIDRNotAvailable"),
            ),
            (
                marking_for_deletion(&two.metadata),
                format!("Marking for deletion Pod {ns}/{name}"),
            ),
            (
                image_present(&two),
                "Container image \"nginx:1.27\" already present on machine".to_string(),
            ),
            (
                image_present(&none),
                format!("Container image \"{}\" already present on machine", ""),
            ),
            (pulling(&two), "Pulling image \"nginx:1.27\"".to_string()),
            (pulled(&two, 2_000), pulled_text("nginx:1.27", "2s")),
            (pulled(&two, 0), pulled_text("nginx:1.27", "0s")),
            (pulled(&two, 1_500), pulled_text("nginx:1.27", "1.5s")),
            (pulled(&two, 61_001), pulled_text("nginx:1.27", "1m1.001s")),
            (
                pulled(&odd, 2_000),
                pulled_text("registry/app:v1.000s", "2s"),
            ),
            (pulled(&none, 3_000), pulled_text("", "3s")),
            (created(&two, 0), "Created container: nginx".to_string()),
            (created(&two, 1), "Created container: sidecar".to_string()),
            (started(&two, 0), "Started container nginx".to_string()),
            (started(&two, 1), "Started container sidecar".to_string()),
            (stopping(&two, 1), "Stopping container sidecar".to_string()),
            (
                back_off(&two),
                format!(
                    "Back-off restarting failed container {} in pod {}_{}({})",
                    "nginx", name, ns, two.metadata.uid
                ),
            ),
            (
                back_off(&none),
                format!("Back-off restarting failed container  in pod {name}_{ns}(0b6f-41)"),
            ),
        ];
        for (lazy, old) in cases {
            assert_eq!(lazy.to_string(), old);
            assert!(lazy.text_is(&old), "{old}");
            // And it aggregates with the text recorded as an owned String.
            assert!(lazy.same_text(&EventMessage::from(old.clone())), "{old}");
        }
    }
}
