//! `kubectl describe` for pods, deployments, replica sets, services and nodes, in the layout
//! of `pkg/describe/describe.go`: tab-separated lines run through a tabwriter (minwidth 0,
//! padding 2) that is flushed before the Events table.

use super::get::{age, node_roles};
use super::objects;
use super::parse::DescribeCmd;
use super::selector::{format_label_selector, format_labels, parse_selector};
use super::table::tabwrite;
use super::CommandOutput;
use crate::api::core::{Container, PodTemplateSpec};
use crate::api::meta::StringMap;
use crate::api::*;
use crate::apiserver::{ApiError, ApiServer};
use crate::time::{Millis, Time};
use std::fmt::Write as _;

/// Kinds `describe` knows how to print.
pub const DESCRIBABLE: [Kind; 5] = [
    Kind::Pod,
    Kind::Deployment,
    Kind::ReplicaSet,
    Kind::Service,
    Kind::Node,
];

/// A time as describe prints it (Go's RFC 1123 with numeric zone).
pub fn rfc1123z(t: Time) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let s = t.to_string(); // 2026-01-01T00:00:00Z
    let days = t.unix_ms().div_euclid(86_400_000);
    let wd = DAYS[days.rem_euclid(7) as usize];
    let month: usize = s.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!(
        "{wd}, {} {} {} {} +0000",
        s.get(8..10).unwrap_or("01"),
        MONTHS[(month.clamp(1, 12)) - 1],
        s.get(0..4).unwrap_or("1970"),
        s.get(11..19).unwrap_or("00:00:00")
    )
}

/// Text for one tabwriter section.
struct W(String);

impl W {
    fn line(&mut self, indent: usize, text: impl AsRef<str>) {
        for _ in 0..indent {
            self.0.push_str("  ");
        }
        self.0.push_str(text.as_ref());
        self.0.push('\n');
    }
    /// `Labels:\ta=b` then `\tc=d` lines (`printLabelsMultiline`).
    fn map(&mut self, indent: usize, title: &str, m: &StringMap, sep: &str, skip: &[&str]) {
        let entries: Vec<(&String, &String)> = m
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .collect();
        if entries.is_empty() {
            self.line(indent, format!("{title}:\t<none>"));
            return;
        }
        for (i, (k, v)) in entries.iter().enumerate() {
            if i == 0 {
                self.line(indent, format!("{title}:\t{k}{sep}{v}"));
            } else {
                self.line(indent, format!("\t{k}{sep}{v}"));
            }
        }
    }
}

fn events_section(api: &ApiServer, uid: &str, now: Millis) -> String {
    let mut evs: Vec<&Event> = api
        .events()
        .iter()
        .map(|e| &**e)
        .filter(|e| !uid.is_empty() && e.involved_object.uid == uid)
        .collect();
    if evs.is_empty() {
        return String::new();
    }
    // SortableEvents: by lastTimestamp.
    crate::sort::sort_by_key(&mut evs, |e| e.last_timestamp.or(e.first_timestamp));
    let mut w = W(String::new());
    w.line(0, "Events:");
    w.line(1, "Type\tReason\tAge\tFrom\tMessage");
    w.line(1, "----\t------\t----\t----\t-------");
    for e in evs {
        let first = age(e.first_timestamp, now);
        let interval = if e.count > 1 {
            format!("{} (x{} over {first})", age(e.last_timestamp, now), e.count)
        } else {
            first
        };
        w.line(
            1,
            format!(
                "{}\t{}\t{}\t{}\t{}",
                e.type_,
                e.reason,
                interval,
                e.source.component.clone().unwrap_or_default(),
                e.message.trim()
            ),
        );
    }
    tabwrite(&w.0, 0, 2)
}

/// Renders the main section, then the events. An empty event list is written before the
/// flush (so `Events:  <none>` aligns with the fields above), a table after it.
fn finish(api: &ApiServer, mut w: W, uid: &str) -> String {
    let events = events_section(api, uid, api.now);
    if events.is_empty() {
        w.line(0, "Events:\t<none>");
    }
    let mut s = tabwrite(&w.0, 0, 2);
    s.push_str(&events);
    s
}

fn describe_container(
    w: &mut W,
    c: &Container,
    indent: usize,
    status: Option<&crate::api::core::ContainerStatus>,
    template: bool,
) {
    w.line(indent, format!("{}:", c.name));
    let i = indent + 1;
    if let Some(st) = status {
        w.line(
            i,
            format!(
                "Container ID:\t{}",
                st.container_id.clone().unwrap_or_default()
            ),
        );
    }
    w.line(i, format!("Image:\t{}", c.image));
    if let Some(st) = status {
        w.line(i, format!("Image ID:\t{}", st.image_id));
    }
    match c.ports.as_slice() {
        [] => {
            w.line(i, "Port:\t<none>");
            w.line(i, "Host Port:\t<none>");
        }
        ports => {
            let p: Vec<String> = ports
                .iter()
                .map(|p| {
                    format!(
                        "{}/{}",
                        p.container_port,
                        p.protocol.as_deref().unwrap_or("TCP")
                    )
                })
                .collect();
            let h: Vec<String> = ports
                .iter()
                .map(|p| format!("0/{}", p.protocol.as_deref().unwrap_or("TCP")))
                .collect();
            w.line(i, format!("Port:\t{}", p.join(", ")));
            w.line(i, format!("Host Port:\t{}", h.join(", ")));
        }
    }
    if let Some(st) = status {
        let (state, detail) = if st.state.running.is_some() {
            (
                "Running",
                st.state
                    .running
                    .as_ref()
                    .and_then(|r| r.started_at)
                    .map(|t| format!("Started:\t{}", rfc1123z(t))),
            )
        } else if let Some(wt) = &st.state.waiting {
            (
                "Waiting",
                wt.reason.clone().map(|r| format!("Reason:\t{r}")),
            )
        } else if let Some(t) = &st.state.terminated {
            (
                "Terminated",
                Some(format!("Reason:\t{}", t.reason.clone().unwrap_or_default())),
            )
        } else {
            ("Waiting", None)
        };
        w.line(i, format!("State:\t{state}"));
        if let Some(d) = detail {
            w.line(i + 1, d);
        }
        w.line(
            i,
            format!("Ready:\t{}", if st.ready { "True" } else { "False" }),
        );
        w.line(i, format!("Restart Count:\t{}", st.restart_count));
    }
    if let Some(p) = &c.readiness_probe {
        w.line(
            i,
            format!(
                "Readiness:\t{} delay={}s timeout={}s period={}s #success={} #failure={}",
                probe_handler(p),
                p.initial_delay_seconds.unwrap_or(0),
                p.timeout_seconds.unwrap_or(1),
                p.period_seconds.unwrap_or(10),
                p.success_threshold.unwrap_or(1),
                p.failure_threshold.unwrap_or(3)
            ),
        );
    }
    let _ = template;
    w.line(i, "Environment:\t<none>");
    w.line(i, "Mounts:\t<none>");
}

fn probe_handler(p: &crate::api::core::Probe) -> String {
    if let Some(h) = p.extra.get("httpGet") {
        let port = h
            .get("port")
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_default();
        let path = h.get("path").and_then(|v| v.as_str()).unwrap_or("/");
        return format!("http-get http://:{port}{path}");
    }
    if let Some(t) = p.extra.get("tcpSocket") {
        let port = t
            .get("port")
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_default();
        return format!("tcp-socket :{port}");
    }
    if let Some(e) = p.extra.get("exec") {
        let cmd: Vec<String> = e
            .get("command")
            .and_then(|c| c.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        return format!("exec [{}]", cmd.join(" "));
    }
    "unknown".to_string()
}

fn describe_template(w: &mut W, t: &PodTemplateSpec) {
    w.line(0, "Pod Template:");
    w.map(1, "Labels", &t.metadata.labels, "=", &[]);
    if !t.metadata.annotations.is_empty() {
        w.map(1, "Annotations", &t.metadata.annotations, ": ", &[]);
    }
    w.line(1, "Containers:");
    for c in &t.spec.containers {
        w.0.push(' ');
        describe_container(w, c, 1, None, true);
    }
    w.line(1, "Volumes:\t<none>");
    w.line(
        1,
        format!(
            "Node-Selectors:\t{}",
            if t.spec.node_selector.is_empty() {
                "<none>".to_string()
            } else {
                format_labels(&t.spec.node_selector)
            }
        ),
    );
    w.line(1, "Tolerations:\t<none>");
}

fn controlled_by(w: &mut W, m: &ObjectMeta) {
    if let Some(o) = m.controller_ref() {
        w.line(0, format!("Controlled By:\t{}/{}", o.kind, o.name));
    }
}

fn describe_pod(api: &ApiServer, p: &Pod) -> String {
    let mut w = W(String::new());
    let m = &p.metadata;
    w.line(0, format!("Name:\t{}", m.name));
    w.line(0, format!("Namespace:\t{}", m.namespace));
    w.line(0, "Priority:\t0");
    w.line(0, "Service Account:\tdefault");
    let node = if p.spec.node_name.is_empty() {
        "<none>".to_string()
    } else {
        match &p.status.host_ip {
            Some(ip) => format!("{}/{ip}", p.spec.node_name),
            None => p.spec.node_name.to_string(),
        }
    };
    w.line(0, format!("Node:\t{node}"));
    if let Some(t) = p.status.start_time {
        w.line(0, format!("Start Time:\t{}", rfc1123z(t)));
    }
    w.map(0, "Labels", &m.labels, "=", &[]);
    w.map(0, "Annotations", &m.annotations, ": ", &[]);
    if let Some(d) = m.deletion_timestamp {
        w.line(
            0,
            format!(
                "Status:\tTerminating (lasts {})",
                age(Some(d), api.now).trim_start_matches('-')
            ),
        );
        w.line(
            0,
            format!(
                "Termination Grace Period:\t{}s",
                m.deletion_grace_period_seconds.unwrap_or(0)
            ),
        );
    } else {
        w.line(
            0,
            format!("Status:\t{}", p.status.phase.clone().unwrap_or_default()),
        );
    }
    if let Some(r) = &p.status.reason {
        w.line(0, format!("Reason:\t{r}"));
    }
    if let Some(msg) = &p.status.message {
        w.line(0, format!("Message:\t{msg}"));
    }
    w.line(
        0,
        format!("IP:\t{}", p.status.pod_ip.clone().unwrap_or_default()),
    );
    if p.status.pod_ips.is_empty() {
        w.line(0, "IPs:\t<none>");
    } else {
        w.line(0, "IPs:");
        for ip in &p.status.pod_ips {
            w.line(1, format!("IP:\t{}", ip.ip));
        }
    }
    controlled_by(&mut w, m);
    w.line(0, "Containers:");
    for c in &p.spec.containers {
        let st = p
            .status
            .container_statuses
            .iter()
            .find(|s| s.name == c.name);
        describe_container(&mut w, c, 1, st, false);
    }
    if !p.status.conditions.is_empty() {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus");
        for c in &p.status.conditions {
            w.line(1, format!("{} \t{} ", c.type_, c.status));
        }
    }
    w.line(0, "Volumes:\t<none>");
    w.line(0, "QoS Class:\tBestEffort");
    w.line(
        0,
        format!(
            "Node-Selectors:\t{}",
            if p.spec.node_selector.is_empty() {
                "<none>".to_string()
            } else {
                format_labels(&p.spec.node_selector)
            }
        ),
    );
    let tols: Vec<String> = p
        .spec
        .tolerations
        .iter()
        .map(|t| {
            let mut s = t.key.clone().unwrap_or_default();
            if let Some(v) = &t.value {
                s.push('=');
                s.push_str(v);
            }
            if let Some(e) = &t.effect {
                s.push(':');
                s.push_str(e);
            }
            if t.operator.as_deref() == Some("Exists") && t.value.is_none() {
                s.push_str(" op=Exists");
            }
            if let Some(sec) = t.toleration_seconds {
                let _ = write!(s, " for {sec}s");
            }
            s
        })
        .collect();
    if tols.is_empty() {
        w.line(0, "Tolerations:\t<none>");
    } else {
        for (i, t) in tols.iter().enumerate() {
            w.line(
                0,
                if i == 0 {
                    format!("Tolerations:\t{t}")
                } else {
                    format!("\t{t}")
                },
            );
        }
    }
    finish(api, w, &m.uid)
}

fn int_or_percent(v: &Option<IntOrString>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "25%".into())
}

fn describe_deployment(api: &ApiServer, d: &Deployment) -> String {
    let mut w = W(String::new());
    let m = &d.metadata;
    let s = &d.status;
    w.line(0, format!("Name:\t{}", m.name));
    w.line(0, format!("Namespace:\t{}", m.namespace));
    w.line(
        0,
        format!(
            "CreationTimestamp:\t{}",
            m.creation_timestamp.map(rfc1123z).unwrap_or_default()
        ),
    );
    w.map(0, "Labels", &m.labels, "=", &[]);
    w.map(
        0,
        "Annotations",
        &m.annotations,
        ": ",
        &[super::exec::LAST_APPLIED],
    );
    w.line(
        0,
        format!(
            "Selector:\t{}",
            format_label_selector(d.spec.selector.as_ref())
        ),
    );
    let desired = d.spec.replicas.unwrap_or(1);
    w.line(
        0,
        format!(
            "Replicas:\t{desired} desired | {} updated | {} total | {} available | {} unavailable",
            s.updated_replicas, s.replicas, s.available_replicas, s.unavailable_replicas
        ),
    );
    let strategy = d
        .spec
        .strategy
        .type_
        .clone()
        .unwrap_or_else(|| "RollingUpdate".into());
    w.line(0, format!("StrategyType:\t{strategy}"));
    w.line(
        0,
        format!(
            "MinReadySeconds:\t{}",
            d.spec.min_ready_seconds.unwrap_or(0)
        ),
    );
    if strategy == "RollingUpdate" {
        let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
        w.line(
            0,
            format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge",
                int_or_percent(&ru.max_unavailable),
                int_or_percent(&ru.max_surge)
            ),
        );
    }
    describe_template(&mut w, &d.spec.template);
    if !s.conditions.is_empty() {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus\tReason");
        w.line(1, "----\t------\t------");
        for c in &s.conditions {
            w.line(
                1,
                format!(
                    "{} \t{}\t{}",
                    c.type_,
                    c.status,
                    c.reason.clone().unwrap_or_default()
                ),
            );
        }
    }
    let rss = super::exec::owned_replica_sets(api, d);
    let hashless = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        t.metadata.labels.remove(super::exec::POD_TEMPLATE_HASH);
        t
    };
    let current = hashless(&d.spec.template);
    let (new, old): (Vec<_>, Vec<_>) = rss
        .iter()
        .partition(|(_, rs)| hashless(&rs.spec.template) == current);
    let fmt_rs = |rs: &ReplicaSet| {
        format!(
            "{} ({}/{} replicas created)",
            rs.metadata.name,
            rs.status.replicas,
            rs.spec.replicas.unwrap_or(1)
        )
    };
    let old: Vec<String> = old
        .iter()
        .filter(|(_, rs)| rs.spec.replicas.unwrap_or(1) > 0 || rs.status.replicas > 0)
        .map(|(_, rs)| fmt_rs(rs))
        .collect();
    w.line(
        0,
        format!(
            "OldReplicaSets:\t{}",
            if old.is_empty() {
                "<none>".to_string()
            } else {
                old.join(", ")
            }
        ),
    );
    w.line(
        0,
        format!(
            "NewReplicaSet:\t{}",
            new.last()
                .map(|(_, rs)| fmt_rs(rs))
                .unwrap_or_else(|| "<none>".into())
        ),
    );
    finish(api, w, &m.uid)
}

fn describe_replica_set(api: &ApiServer, rs: &ReplicaSet) -> String {
    let mut w = W(String::new());
    let m = &rs.metadata;
    w.line(0, format!("Name:\t{}", m.name));
    w.line(0, format!("Namespace:\t{}", m.namespace));
    w.line(
        0,
        format!(
            "Selector:\t{}",
            format_label_selector(rs.spec.selector.as_ref())
        ),
    );
    w.map(0, "Labels", &m.labels, "=", &[]);
    w.map(
        0,
        "Annotations",
        &m.annotations,
        ": ",
        &[super::exec::LAST_APPLIED],
    );
    controlled_by(&mut w, m);
    w.line(
        0,
        format!(
            "Replicas:\t{} current / {} desired",
            rs.status.replicas,
            rs.spec.replicas.unwrap_or(1)
        ),
    );
    let (mut running, mut waiting, mut succeeded, mut failed) = (0, 0, 0, 0);
    for p in api.pods.owned_by(&m.uid) {
        match p.status.phase.as_deref() {
            Some("Running") => running += 1,
            Some("Succeeded") => succeeded += 1,
            Some("Failed") => failed += 1,
            _ => waiting += 1,
        }
    }
    w.line(0, format!("Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed"));
    describe_template(&mut w, &rs.spec.template);
    finish(api, w, &m.uid)
}

fn describe_service(api: &ApiServer, s: &Service) -> String {
    let mut w = W(String::new());
    let m = &s.metadata;
    let type_ = s.spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
    w.line(0, format!("Name:\t{}", m.name));
    w.line(0, format!("Namespace:\t{}", m.namespace));
    w.map(0, "Labels", &m.labels, "=", &[]);
    w.map(
        0,
        "Annotations",
        &m.annotations,
        ": ",
        &[super::exec::LAST_APPLIED],
    );
    w.line(
        0,
        format!(
            "Selector:\t{}",
            format_labels(&s.spec.selector.clone().unwrap_or_default())
        ),
    );
    w.line(0, format!("Type:\t{type_}"));
    if let Some(p) = &s.spec.ip_family_policy {
        w.line(0, format!("IP Family Policy:\t{p}"));
    }
    if !s.spec.ip_families.is_empty() {
        w.line(0, format!("IP Families:\t{}", s.spec.ip_families.join(",")));
    }
    if type_ != "ExternalName" {
        w.line(
            0,
            format!("IP:\t{}", s.spec.cluster_ip.clone().unwrap_or_default()),
        );
        if !s.spec.cluster_ips.is_empty() {
            w.line(0, format!("IPs:\t{}", s.spec.cluster_ips.join(",")));
        }
    }
    if !s.spec.external_ips.is_empty() {
        w.line(
            0,
            format!("External IPs:\t{}", s.spec.external_ips.join(",")),
        );
    }
    let ingress: Vec<String> = s
        .status
        .load_balancer
        .ingress
        .iter()
        .filter_map(|i| {
            let a = i.ip.clone().or_else(|| i.hostname.clone())?;
            Some(match &i.ip_mode {
                Some(mode) => format!("{a} ({mode})"),
                None => a,
            })
        })
        .collect();
    if !ingress.is_empty() {
        w.line(0, format!("LoadBalancer Ingress:\t{}", ingress.join(", ")));
    }
    if let Some(e) = &s.spec.external_name {
        w.line(0, format!("External Name:\t{e}"));
    }
    let slices: Vec<&EndpointSlice> = api
        .endpoint_slices
        .in_namespace(&m.namespace)
        .map(|x| &**x)
        .filter(|x| {
            x.metadata
                .labels
                .get("kubernetes.io/service-name")
                .map(String::as_str)
                == Some(m.name.as_str())
        })
        .collect();
    for p in &s.spec.ports {
        let name = p
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "<unset>".into());
        let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
        w.line(0, format!("Port:\t{name}\t{}/{proto}", p.port));
        let tp = p.target_port.clone().unwrap_or(IntOrString::Int(p.port));
        w.line(0, format!("TargetPort:\t{tp}/{proto}"));
        if let Some(np) = p.node_port.filter(|n| *n > 0) {
            w.line(0, format!("NodePort:\t{name}\t{np}/{proto}"));
        }
        w.line(
            0,
            format!(
                "Endpoints:\t{}",
                slice_endpoints(&slices, p.name.as_deref())
            ),
        );
    }
    w.line(
        0,
        format!(
            "Session Affinity:\t{}",
            s.spec
                .session_affinity
                .clone()
                .unwrap_or_else(|| "None".into())
        ),
    );
    if matches!(type_.as_str(), "NodePort" | "LoadBalancer") {
        w.line(
            0,
            format!(
                "External Traffic Policy:\t{}",
                s.spec
                    .external_traffic_policy
                    .clone()
                    .unwrap_or_else(|| "Cluster".into())
            ),
        );
    }
    if let Some(hc) = s.spec.health_check_node_port {
        w.line(0, format!("HealthCheck NodePort:\t{hc}"));
    }
    if type_ != "ExternalName" {
        w.line(
            0,
            format!(
                "Internal Traffic Policy:\t{}",
                s.spec
                    .internal_traffic_policy
                    .clone()
                    .unwrap_or_else(|| "Cluster".into())
            ),
        );
    }
    finish(api, w, &m.uid)
}

/// Ready `ip:port` endpoints of one Service port across its slices (`formatEndpointSlices`).
fn slice_endpoints(slices: &[&EndpointSlice], port_name: Option<&str>) -> String {
    if slices.is_empty() {
        return "<none>".to_string();
    }
    let max = 3;
    let mut list = Vec::new();
    let mut count = 0;
    for s in slices {
        let want = port_name.unwrap_or("");
        let Some(port) = s
            .ports
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .find(|p| p.name.as_deref().unwrap_or("") == want)
            .and_then(|p| p.port)
        else {
            continue;
        };
        for ep in s.endpoints.as_deref().unwrap_or(&[]) {
            if ep.conditions.ready == Some(false) {
                continue;
            }
            for a in &ep.addresses {
                count += 1;
                if list.len() < max {
                    list.push(format!("{a}:{port}"));
                }
            }
        }
    }
    let ret = list.join(",");
    if count > max {
        format!("{ret} + {} more...", count - max)
    } else {
        ret
    }
}

fn describe_node(api: &ApiServer, n: &Node) -> String {
    let mut w = W(String::new());
    let m = &n.metadata;
    w.line(0, format!("Name:\t{}", m.name));
    w.line(0, format!("Roles:\t{}", node_roles(n)));
    w.map(0, "Labels", &m.labels, "=", &[]);
    w.map(0, "Annotations", &m.annotations, ": ", &[]);
    w.line(
        0,
        format!(
            "CreationTimestamp:\t{}",
            m.creation_timestamp.map(rfc1123z).unwrap_or_default()
        ),
    );
    if n.spec.taints.is_empty() {
        w.line(0, "Taints:\t<none>");
    } else {
        for (i, t) in n.spec.taints.iter().enumerate() {
            let v = t
                .value
                .as_ref()
                .map(|v| format!("={v}"))
                .unwrap_or_default();
            let s = format!("{}{v}:{}", t.key, t.effect);
            w.line(
                0,
                if i == 0 {
                    format!("Taints:\t{s}")
                } else {
                    format!("\t{s}")
                },
            );
        }
    }
    w.line(0, format!("Unschedulable:\t{}", n.spec.unschedulable));
    w.line(0, "Conditions:");
    w.line(
        1,
        "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage",
    );
    w.line(
        1,
        "----\t------\t-----------------\t------------------\t------\t-------",
    );
    for c in &n.status.conditions {
        w.line(
            1,
            format!(
                "{} \t{} \t{} \t{} \t{} \t{}",
                c.type_,
                c.status,
                c.last_heartbeat_time.map(rfc1123z).unwrap_or_default(),
                c.last_transition_time.map(rfc1123z).unwrap_or_default(),
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default()
            ),
        );
    }
    w.line(0, "Addresses:");
    for a in &n.status.addresses {
        w.line(1, format!("{}:\t{}", a.type_, a.address));
    }
    for (title, map) in [
        ("Capacity", &n.status.capacity),
        ("Allocatable", &n.status.allocatable),
    ] {
        w.line(0, format!("{title}:"));
        for (k, v) in map {
            w.line(1, format!("{k}:\t{v}"));
        }
    }
    if let Some(c) = &n.spec.pod_cidr {
        w.line(0, format!("PodCIDR:\t{c}"));
    }
    if !n.spec.pod_cidrs.is_empty() {
        w.line(0, format!("PodCIDRs:\t{}", n.spec.pod_cidrs.join(",")));
    }
    let pods: Vec<_> = api
        .pods
        .on_node(&m.name)
        .into_iter()
        .filter(|p| {
            !matches!(
                p.status.phase.as_deref(),
                Some("Succeeded") | Some("Failed")
            )
        })
        .collect();
    w.line(
        0,
        format!("Non-terminated Pods:\t({} in total)", pods.len()),
    );
    w.line(
        1,
        "Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge",
    );
    w.line(
        1,
        "---------\t----\t------------\t----------\t---------------\t-------------\t---",
    );
    for p in &pods {
        w.line(
            1,
            format!(
                "{}\t{}\t0 (0%)\t0 (0%)\t0 (0%)\t0 (0%)\t{}",
                p.metadata.namespace,
                p.metadata.name,
                age(p.metadata.creation_timestamp, api.now)
            ),
        );
    }
    finish(api, w, &m.uid)
}

/// Describes one object (kinds outside [`DESCRIBABLE`] get a short generic description).
pub fn describe_object(api: &ApiServer, obj: &Object) -> String {
    match obj {
        Object::Pod(p) => describe_pod(api, p),
        Object::Deployment(d) => describe_deployment(api, d),
        Object::ReplicaSet(r) => describe_replica_set(api, r),
        Object::Service(s) => describe_service(api, s),
        Object::Node(n) => describe_node(api, n),
        other => {
            let m = other.meta();
            let mut w = W(String::new());
            w.line(0, format!("Name:\t{}", m.name));
            if !m.namespace.is_empty() {
                w.line(0, format!("Namespace:\t{}", m.namespace));
            }
            w.map(0, "Labels", &m.labels, "=", &[]);
            w.map(
                0,
                "Annotations",
                &m.annotations,
                ": ",
                &[super::exec::LAST_APPLIED],
            );
            w.line(0, format!("Kind:\t{}", other.kind()));
            finish(api, w, &m.uid)
        }
    }
}

/// Runs `kubectl describe`: exact names first, then (as kubectl does) name prefixes.
pub fn describe(api: &ApiServer, cmd: &DescribeCmd) -> CommandOutput {
    let ns = cmd.namespace.clone().unwrap_or_else(|| "default".into());
    let sel = match cmd.selector.as_deref().map(parse_selector) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => return CommandOutput::error(e),
    };
    let mut out = CommandOutput {
        ok: true,
        ..Default::default()
    };
    let mut docs = Vec::new();
    for (kind, names) in &cmd.resources.items {
        let scope = if cmd.all_namespaces {
            None
        } else {
            Some(ns.as_str())
        };
        if names.is_empty() {
            for o in objects::list(api, *kind, scope) {
                if sel.as_ref().is_none_or(|s| s.matches(&o.meta().labels)) {
                    docs.push(describe_object(api, &o));
                }
            }
            continue;
        }
        for n in names {
            match objects::get(api, *kind, &ns, n) {
                Some(o) => docs.push(describe_object(api, &o)),
                None => {
                    let prefixed: Vec<Object> = objects::list(api, *kind, Some(&ns))
                        .into_iter()
                        .filter(|o| o.meta().name.starts_with(n.as_str()))
                        .collect();
                    if prefixed.is_empty() {
                        out.err(ApiError::not_found(*kind, n).kubectl_message());
                        out.ok = false;
                    }
                    docs.extend(prefixed.iter().map(|o| describe_object(api, o)));
                }
            }
        }
    }
    if docs.is_empty() && out.ok {
        let namespaced = cmd.resources.items.iter().any(|(k, _)| k.namespaced());
        if cmd.all_namespaces || !namespaced {
            out.err("No resources found");
        } else {
            out.err(format!("No resources found in {ns} namespace."));
        }
    }
    out.stdout = docs.join("\n\n");
    out
}

#[cfg(test)]
mod tests;
