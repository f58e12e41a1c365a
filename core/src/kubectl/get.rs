//! `kubectl get`: the table printers of `pkg/printers/internalversion/printers.go` (same
//! columns, same cell formats), `-o wide|yaml|json|name`, `-A`, `--show-labels`, `get all`.

use super::objects;
use super::parse::{GetCmd, OutputFormat};
use super::selector::{format_label_selector, format_labels, parse_selector};
use super::table;
use super::CommandOutput;
use crate::api::core::{EndpointPort, ServicePort};
use crate::api::*;
use crate::apiserver::{ApiError, ApiServer};
use crate::manifest;
use crate::time::{human_duration, Millis, Time};

/// The kubelet version every simulated node reports.
pub const KUBELET_VERSION: &str = "v1.34.0";

/// `translateTimestampSince`: the age of `t` at `now`, `<unknown>` without a time.
pub fn age(t: Option<Time>, now: Millis) -> String {
    match t {
        None => "<unknown>".to_string(),
        Some(t) => human_duration(now.saturating_sub(t.virtual_ms())),
    }
}

/// Column names of `kind`'s table.
pub fn header(kind: Kind, wide: bool) -> Vec<&'static str> {
    let (base, extra): (&[&str], &[&str]) = match kind {
        Kind::Pod => (
            &["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            &["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
        ),
        Kind::Deployment => (
            &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        Kind::ReplicaSet | Kind::ReplicationController => (
            &["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        Kind::Service => (
            &[
                "NAME",
                "TYPE",
                "CLUSTER-IP",
                "EXTERNAL-IP",
                "PORT(S)",
                "AGE",
            ],
            &["SELECTOR"],
        ),
        Kind::Endpoints => (&["NAME", "ENDPOINTS", "AGE"], &[]),
        Kind::EndpointSlice => (&["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], &[]),
        Kind::Node => (
            &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            &[
                "INTERNAL-IP",
                "EXTERNAL-IP",
                "OS-IMAGE",
                "KERNEL-VERSION",
                "CONTAINER-RUNTIME",
            ],
        ),
        Kind::Event => (
            &["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
            &["SUBOBJECT", "SOURCE", "FIRST SEEN", "COUNT", "NAME"],
        ),
        Kind::Namespace => (&["NAME", "STATUS", "AGE"], &[]),
        Kind::Lease => (&["NAME", "HOLDER", "AGE"], &[]),
    };
    let mut h = base.to_vec();
    if wide {
        if kind == Kind::Event {
            // Wide events put the extra columns around MESSAGE, as kubectl does.
            return vec![
                "LAST SEEN",
                "TYPE",
                "REASON",
                "OBJECT",
                "SUBOBJECT",
                "SOURCE",
                "MESSAGE",
                "FIRST SEEN",
                "COUNT",
                "NAME",
            ];
        }
        h.extend_from_slice(extra);
    }
    h
}

/// The table row of one object (the NAME cell holds the bare name).
pub fn row(obj: &Object, now: Millis, wide: bool) -> Vec<String> {
    match obj {
        Object::Pod(p) => pod_row(p, now, wide),
        Object::Deployment(d) => {
            let desired = d.spec.replicas.unwrap_or(1);
            let mut r = vec![
                d.metadata.name.to_string(),
                format!("{}/{}", d.status.ready_replicas, desired),
                d.status.updated_replicas.to_string(),
                d.status.available_replicas.to_string(),
                age(d.metadata.creation_timestamp, now),
            ];
            if wide {
                r.extend(containers_images(&d.spec.template.spec));
                r.push(format_label_selector(d.spec.selector.as_ref()));
            }
            r
        }
        Object::ReplicaSet(rs) => {
            let mut r = vec![
                rs.metadata.name.to_string(),
                rs.spec.replicas.unwrap_or(1).to_string(),
                rs.status.replicas.to_string(),
                rs.status.ready_replicas.to_string(),
                age(rs.metadata.creation_timestamp, now),
            ];
            if wide {
                r.extend(containers_images(&rs.spec.template.spec));
                r.push(format_label_selector(rs.spec.selector.as_ref()));
            }
            r
        }
        Object::ReplicationController(rc) => {
            let mut r = vec![
                rc.metadata.name.to_string(),
                rc.spec.replicas.unwrap_or(1).to_string(),
                rc.status.replicas.to_string(),
                rc.status.ready_replicas.to_string(),
                age(rc.metadata.creation_timestamp, now),
            ];
            if wide {
                let spec = rc.spec.template.clone().unwrap_or_default().spec;
                r.extend(containers_images(&spec));
                r.push(format_labels(&rc.spec.selector.clone().unwrap_or_default()));
            }
            r
        }
        Object::Service(s) => {
            let mut r = vec![
                s.metadata.name.to_string(),
                s.spec
                    .type_
                    .clone()
                    .unwrap_or_else(|| "ClusterIP".to_string()),
                s.spec
                    .cluster_ips
                    .first()
                    .cloned()
                    .or_else(|| s.spec.cluster_ip.clone().filter(|c| !c.is_empty()))
                    .unwrap_or_else(|| "<none>".to_string()),
                service_external_ip(s, wide),
                service_ports(&s.spec.ports),
                age(s.metadata.creation_timestamp, now),
            ];
            if wide {
                r.push(format_labels(&s.spec.selector.clone().unwrap_or_default()));
            }
            r
        }
        Object::Endpoints(e) => vec![
            e.metadata.name.to_string(),
            format_endpoints(e),
            age(e.metadata.creation_timestamp, now),
        ],
        Object::EndpointSlice(s) => vec![
            s.metadata.name.to_string(),
            s.address_type.clone(),
            format_slice_ports(s.ports.as_deref().unwrap_or(&[])),
            format_slice_endpoints(s),
            age(s.metadata.creation_timestamp, now),
        ],
        Object::Node(n) => node_row(n, now, wide),
        Object::Event(e) => event_row(e, now, wide),
        Object::Namespace(n) => vec![
            n.metadata.name.to_string(),
            if n.metadata.deletion_timestamp.is_some() {
                "Terminating".to_string()
            } else {
                n.status
                    .phase
                    .clone()
                    .unwrap_or_else(|| "Active".to_string())
            },
            age(n.metadata.creation_timestamp, now),
        ],
        Object::Lease(l) => vec![
            l.metadata.name.to_string(),
            l.spec.holder_identity.clone().unwrap_or_default(),
            age(l.metadata.creation_timestamp, now),
        ],
    }
}

fn containers_images(spec: &crate::api::core::PodSpec) -> [String; 2] {
    let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = spec.containers.iter().map(|c| c.image.as_str()).collect();
    [names.join(","), images.join(",")]
}

/// The STATUS column of a pod (`printPod`): the phase, overridden by the pod's reason, by
/// container waiting/terminated reasons, and by `Terminating` while a deletion is pending.
pub fn pod_status(p: &Pod) -> String {
    pod_ready_status_restarts(p).1
}

/// (ready containers, STATUS, restarts, time of the last restart).
fn pod_ready_status_restarts(p: &Pod) -> (usize, String, i32, Option<Time>) {
    let phase = p.status.phase.as_deref().unwrap_or_default().to_string();
    let mut reason = match &p.status.reason {
        Some(r) if !r.is_empty() => r.clone(),
        _ => phase.clone(),
    };
    let mut ready = 0;
    let mut restarts = 0;
    let mut last_restart: Option<Time> = None;
    let mut has_running = false;
    for c in p.status.container_statuses.iter().rev() {
        restarts += c.restart_count;
        if let Some(t) = c.last_state.terminated.as_ref().and_then(|t| t.finished_at) {
            last_restart = Some(last_restart.map_or(t, |l| l.max(t)));
        }
        let waiting = c.state.waiting.as_ref().and_then(|w| w.reason.clone());
        let terminated = c.state.terminated.as_ref();
        if let Some(w) = waiting.filter(|w| !w.is_empty()) {
            reason = w.to_string();
        } else if let Some(t) = terminated {
            reason = match &t.reason {
                Some(r) if !r.is_empty() => r.to_string(),
                _ => format!("ExitCode:{}", t.exit_code),
            };
        } else if c.ready && c.state.running.is_some() {
            has_running = true;
            ready += 1;
        }
    }
    if reason == "Completed" && has_running {
        let ready_cond = p.status.conditions.iter().any(|c| c.type_ == "Ready");
        reason = if ready_cond { "Running" } else { "NotReady" }.to_string();
    }
    let terminal = matches!(phase.as_str(), "Succeeded" | "Failed");
    if p.metadata.deletion_timestamp.is_some() && p.status.reason.as_deref() == Some("NodeLost") {
        reason = "Unknown".to_string();
    } else if p.metadata.deletion_timestamp.is_some() && !terminal {
        reason = "Terminating".to_string();
    }
    (ready, reason, restarts, last_restart)
}

fn pod_row(p: &Pod, now: Millis, wide: bool) -> Vec<String> {
    let (ready, status, restarts, last) = pod_ready_status_restarts(p);
    let restarts = match last {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", age(Some(t), now)),
        _ => restarts.to_string(),
    };
    let mut r = vec![
        p.metadata.name.to_string(),
        format!("{ready}/{}", p.spec.containers.len()),
        status,
        restarts,
        age(p.metadata.creation_timestamp, now),
    ];
    if wide {
        let ip = p
            .status
            .pod_ips
            .first()
            .map(|i| i.ip.to_string())
            .or_else(|| p.status.pod_ip.as_ref().map(|i| i.to_string()))
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| "<none>".to_string());
        let node = if p.spec.node_name.is_empty() {
            "<none>".to_string()
        } else {
            p.spec.node_name.to_string()
        };
        r.extend([ip, node, "<none>".to_string(), "<none>".to_string()]);
    }
    r
}

/// `getServiceExternalIP`.
fn service_external_ip(s: &Service, wide: bool) -> String {
    let ext = s.spec.external_ips.join(",");
    match s.spec.type_.as_deref().unwrap_or("ClusterIP") {
        "ClusterIP" | "NodePort" => {
            if ext.is_empty() {
                "<none>".into()
            } else {
                ext
            }
        }
        "LoadBalancer" => {
            let mut lb: Vec<String> = s
                .status
                .load_balancer
                .ingress
                .iter()
                .filter_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
                .collect();
            let mut joined = lb.join(",");
            if !wide && joined.len() > 16 {
                joined = format!("{}...", &joined[..13]);
                lb = vec![joined.clone()];
            }
            if !s.spec.external_ips.is_empty() {
                lb.extend(s.spec.external_ips.iter().cloned());
                return lb.join(",");
            }
            if joined.is_empty() {
                "<pending>".into()
            } else {
                joined
            }
        }
        "ExternalName" => s.spec.external_name.clone().unwrap_or_default(),
        _ => "<unknown>".into(),
    }
}

/// `makePortString`: `80/TCP`, `80:30080/TCP`, joined by commas; `<none>` when empty.
pub fn service_ports(ports: &[ServicePort]) -> String {
    if ports.is_empty() {
        return "<none>".to_string();
    }
    ports
        .iter()
        .map(|p| {
            let proto = p.protocol.as_deref().unwrap_or("TCP");
            match p.node_port {
                Some(np) if np > 0 => format!("{}:{}/{}", p.port, np, proto),
                _ => format!("{}/{}", p.port, proto),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `formatEndpoints`: ready `ip:port` pairs, at most 3, then ` + N more...`.
pub fn format_endpoints(e: &Endpoints) -> String {
    if e.subsets.is_empty() {
        return "<none>".to_string();
    }
    let max = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for ss in &e.subsets {
        if ss.ports.is_empty() {
            count += ss.addresses.len();
            for a in &ss.addresses {
                if list.len() == max {
                    more = true;
                    break;
                }
                list.push(a.ip.to_string());
            }
            continue;
        }
        for port in &ss.ports {
            count += ss.addresses.len();
            for a in &ss.addresses {
                if list.len() == max {
                    more = true;
                }
                if !more {
                    list.push(format!("{}:{}", a.ip, port.port.unwrap_or(0)));
                }
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - max)
    } else {
        ret
    }
}

fn list_with_more(list: Vec<String>, more: bool, count: usize, max: usize) -> String {
    let ret = list.join(",");
    if more {
        return format!("{ret} + {} more...", count - max);
    }
    if ret.is_empty() {
        "<unset>".to_string()
    } else {
        ret
    }
}

fn format_slice_ports(ports: &[EndpointPort]) -> String {
    let max = 3;
    let mut list = Vec::new();
    let mut more = false;
    for p in ports {
        if list.len() < max {
            list.push(match (p.port, &p.name) {
                (Some(n), _) => n.to_string(),
                (None, Some(name)) => name.clone(),
                _ => "*".to_string(),
            });
        } else if list.len() == max {
            more = true;
        }
    }
    list_with_more(list, more, ports.len(), max)
}

fn format_slice_endpoints(s: &EndpointSlice) -> String {
    let max = 3;
    let mut list = Vec::new();
    let mut more = false;
    let mut count = 0;
    for ep in s.endpoints.as_deref().unwrap_or(&[]) {
        for a in &ep.addresses {
            if list.len() < max {
                list.push(a.to_string());
            } else if list.len() == max {
                more = true;
            }
            count += 1;
        }
    }
    list_with_more(list, more, count, max)
}

/// `Ready`, `NotReady`, `Unknown`, plus `,SchedulingDisabled` for a cordoned node.
pub fn node_status(n: &Node) -> String {
    let mut status = Vec::new();
    if let Some(c) = n.status.conditions.iter().find(|c| c.type_ == "Ready") {
        status.push(if c.status == "True" {
            "Ready".to_string()
        } else {
            "NotReady".to_string()
        });
    }
    if status.is_empty() {
        status.push("Unknown".to_string());
    }
    if n.spec.unschedulable {
        status.push("SchedulingDisabled".to_string());
    }
    status.join(",")
}

/// `findNodeRoles`: `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels.
pub fn node_roles(n: &Node) -> String {
    let mut roles = std::collections::BTreeSet::new();
    for (k, v) in &n.metadata.labels {
        if let Some(r) = k.strip_prefix("node-role.kubernetes.io/") {
            if !r.is_empty() {
                roles.insert(r.to_string());
            }
        } else if k == "kubernetes.io/role" && !v.is_empty() {
            roles.insert(v.clone());
        }
    }
    if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    }
}

/// A `status.nodeInfo` field (kept in the node status' extra map).
pub fn node_info(n: &Node, field: &str) -> Option<String> {
    n.status
        .extra
        .get("nodeInfo")
        .and_then(|i| i.get(field))
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

fn node_row(n: &Node, now: Millis, wide: bool) -> Vec<String> {
    let mut r = vec![
        n.metadata.name.to_string(),
        node_status(n),
        node_roles(n),
        age(n.metadata.creation_timestamp, now),
        node_info(n, "kubeletVersion").unwrap_or_else(|| KUBELET_VERSION.to_string()),
    ];
    if wide {
        let addr = |t: &str| {
            n.status
                .addresses
                .iter()
                .find(|a| a.type_ == t)
                .map(|a| a.address.to_string())
                .unwrap_or_else(|| "<none>".to_string())
        };
        r.push(addr("InternalIP"));
        r.push(addr("ExternalIP"));
        r.push(node_info(n, "osImage").unwrap_or_else(|| "Debian GNU/Linux 12 (bookworm)".into()));
        r.push(node_info(n, "kernelVersion").unwrap_or_else(|| "6.8.0".into()));
        r.push(
            node_info(n, "containerRuntimeVersion").unwrap_or_else(|| "containerd://2.1.3".into()),
        );
    }
    r
}

fn event_row(e: &Event, now: Millis, wide: bool) -> Vec<String> {
    let last = age(e.last_timestamp.or(e.first_timestamp), now);
    let object = format!(
        "{}/{}",
        e.involved_object.kind.to_ascii_lowercase(),
        e.involved_object.name
    );
    if !wide {
        return vec![
            last,
            e.type_.to_string(),
            e.reason.to_string(),
            object,
            e.message.clone(),
        ];
    }
    let source = match (&e.source.component, &e.source.host) {
        (Some(c), Some(h)) => format!("{c}, {h}"),
        (Some(c), None) => c.to_string(),
        (None, Some(h)) => h.clone(),
        (None, None) => String::new(),
    };
    vec![
        last,
        e.type_.to_string(),
        e.reason.to_string(),
        object,
        e.involved_object.field_path.clone(),
        source,
        e.message.clone(),
        age(e.first_timestamp, now),
        e.count.to_string(),
        e.metadata.name.to_string(),
    ]
}

/// The `-o name` form: `deployment.apps/web`.
pub fn resource_name(obj: &Object) -> String {
    format!("{}/{}", obj.kind().kind_group(), obj.meta().name)
}

/// The object as `-o json|yaml` prints it.
pub fn object_json(obj: &Object) -> serde_json::Value {
    manifest::sorted(&obj.to_json())
}

/// Runs `kubectl get`.
pub fn get(api: &ApiServer, cmd: &GetCmd) -> CommandOutput {
    let namespace = cmd.namespace.clone().unwrap_or_else(|| "default".into());
    let selector = match cmd.selector.as_deref().map(parse_selector) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => return CommandOutput::error(e),
    };
    let mut out = CommandOutput {
        ok: true,
        ..Default::default()
    };
    let mut groups: Vec<(Kind, Vec<Object>)> = Vec::new();
    let mut errors: Vec<ApiError> = Vec::new();
    for (kind, names) in &cmd.resources.items {
        let mut objs = Vec::new();
        if names.is_empty() {
            let ns = if cmd.all_namespaces {
                None
            } else {
                Some(namespace.as_str())
            };
            for o in objects::list(api, *kind, ns) {
                if selector
                    .as_ref()
                    .is_none_or(|s| s.matches(&o.meta().labels))
                {
                    objs.push(o);
                }
            }
        } else {
            for n in names {
                match objects::get(api, *kind, &namespace, n) {
                    Some(o) => objs.push(o),
                    None => errors.push(ApiError::not_found(*kind, n)),
                }
            }
        }
        groups.push((*kind, objs));
    }
    let total: usize = groups.iter().map(|(_, o)| o.len()).sum();
    let single_named = cmd.resources.named().len() == 1;
    match cmd.output {
        OutputFormat::Table | OutputFormat::Wide => {
            let wide = cmd.output == OutputFormat::Wide;
            let mut sections = Vec::new();
            for (kind, objs) in &groups {
                if objs.is_empty() {
                    continue;
                }
                let ns_col = cmd.all_namespaces && kind.namespaced();
                let mut rows: Vec<Vec<String>> = Vec::new();
                if !cmd.no_headers {
                    let mut h: Vec<String> =
                        header(*kind, wide).into_iter().map(String::from).collect();
                    if ns_col {
                        h.insert(0, "NAMESPACE".into());
                    }
                    if cmd.show_labels {
                        h.push("LABELS".into());
                    }
                    rows.push(h);
                }
                for o in objs {
                    let mut r = row(o, api.now, wide);
                    // Events have no NAME column; every other kind's first cell is the name.
                    if cmd.resources.show_kind && *kind != Kind::Event {
                        r[0] = resource_name(o);
                    }
                    if ns_col {
                        r.insert(0, o.meta().namespace.to_string());
                    }
                    if cmd.show_labels {
                        r.push(format_labels(&o.meta().labels));
                    }
                    rows.push(r);
                }
                sections.push(table::render(&rows));
            }
            out.stdout = sections.join("\n");
        }
        OutputFormat::Name => {
            for (_, objs) in &groups {
                for o in objs {
                    out.out(resource_name(o));
                }
            }
        }
        OutputFormat::Json | OutputFormat::Yaml => {
            let items: Vec<serde_json::Value> = groups
                .iter()
                .flat_map(|(_, objs)| objs.iter().map(object_json))
                .collect();
            let doc = if single_named && items.len() == 1 {
                items.into_iter().next()
            } else if single_named {
                None
            } else {
                Some(manifest::list(items))
            };
            if let Some(doc) = doc {
                out.stdout = if cmd.output == OutputFormat::Json {
                    manifest::to_json(&doc)
                } else {
                    manifest::to_yaml(&doc)
                };
            }
        }
    }
    for e in &errors {
        out.err(e.kubectl_message());
        out.ok = false;
    }
    if total == 0
        && errors.is_empty()
        && !matches!(cmd.output, OutputFormat::Json | OutputFormat::Yaml)
    {
        let namespaced = cmd.resources.items.iter().any(|(k, _)| k.namespaced());
        if cmd.all_namespaces || !namespaced {
            out.err("No resources found");
        } else {
            out.err(format!("No resources found in {namespace} namespace."));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;
