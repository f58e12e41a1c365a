//! Service validation (`pkg/apis/core/validation/validation.go`: `ValidateService`,
//! `validateServicePort`, `ValidateServiceClusterIPsRelatedFields`,
//! `validateServiceExternalTrafficPolicy`, `validateServiceInternalTrafficFieldsValue`,
//! `validateClientIPAffinityConfig`, `ValidateServiceUpdate`), spec §7.2 and §7.4.
//!
//! Checks run in upstream's order, so a Service with several problems reports them in the same
//! order as the real API server. Upstream validates the object *after* defaulting,
//! `normalizeClusterIPs` and allocation (the REST storage allocates ClusterIPs, NodePorts and
//! the healthCheckNodePort in `beginCreate`, before `Validate`); callers must do the same.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::Serialize;

use super::field::{self, BadValue, ErrorList, Path};
use super::meta::{name_is_dns1035_label, validate_object_meta, validate_object_meta_update};
use super::names::{
    is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_ip, is_valid_port_name,
    is_valid_port_num, parse_ip_sloppy, validate_labels,
};
use crate::api::core::{Service, ServicePort, SessionAffinityConfig};
use crate::api::intstr::IntOrString;

/// `ports.KubeletPort`, which a LoadBalancer may not expose.
pub const KUBELET_PORT: i32 = 10250;
/// `MaxClientIPServiceAffinitySeconds`.
pub const MAX_CLIENT_IP_AFFINITY_SECONDS: i32 = 86400;

const SUPPORTED_TYPES: [&str; 4] = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const SUPPORTED_PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];
const SUPPORTED_AFFINITIES: [&str; 2] = ["ClientIP", "None"];
const TRAFFIC_POLICIES: [&str; 2] = ["Cluster", "Local"];
const IP_FAMILIES: [&str; 2] = ["IPv4", "IPv6"];
const IP_FAMILY_POLICIES: [&str; 3] = ["PreferDualStack", "RequireDualStack", "SingleStack"];
const TRAFFIC_DISTRIBUTIONS: [&str; 3] = ["PreferClose", "PreferSameZone", "PreferSameNode"];

fn spec() -> Path {
    Path::new("spec")
}

fn svc_type(s: &Service) -> &str {
    s.spec.type_.as_deref().unwrap_or("")
}

/// `isHeadlessService`: exactly one clusterIP and it is `None` (after normalization).
pub fn is_headless(s: &Service) -> bool {
    s.spec.cluster_ips.len() == 1 && s.spec.cluster_ips[0] == "None"
}

/// `ExternallyAccessible`: NodePort, LoadBalancer, or ClusterIP with externalIPs.
pub fn externally_accessible(s: &Service) -> bool {
    match svc_type(s) {
        "LoadBalancer" | "NodePort" => true,
        "ClusterIP" => !s.spec.external_ips.is_empty(),
        _ => false,
    }
}

/// `NeedsHealthCheck`: a LoadBalancer with `externalTrafficPolicy: Local`.
pub fn needs_health_check(s: &Service) -> bool {
    svc_type(s) == "LoadBalancer" && s.spec.external_traffic_policy.as_deref() == Some("Local")
}

/// The nodePort range error the port allocator reports (§7.4 row 1), e.g. for range
/// `30000-32767`: `…: provided port is not in the valid range. The range of valid ports is 30000-32767`.
pub fn node_port_not_in_range(path: &Path, port: i32, range: &str) -> field::FieldError {
    field::invalid(
        path,
        port,
        &format!("provided port is not in the valid range. The range of valid ports is {range}"),
    )
}

/// The nodePort conflict error the port allocator reports (§7.4 row 2).
pub fn node_port_already_allocated(path: &Path, port: i32) -> field::FieldError {
    field::invalid(path, port, "provided port is already allocated")
}

/// The ClusterIP allocator's errors (`spec.clusterIPs`, value = the requested IPs):
/// `failed to allocate IP <ip>: the provided IP (<ip>) is not in the valid range. The range of
/// valid IPs is <cidr>`.
pub fn cluster_ip_not_in_range(ips: &[String], ip: &str, cidr: &str) -> field::FieldError {
    field::invalid(
        &spec().child("clusterIPs"),
        BadValue::string_list(ips),
        &format!(
            "failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {cidr}"
        ),
    )
}

/// `failed to allocate IP <ip>: provided IP is already allocated`.
pub fn cluster_ip_already_allocated(ips: &[String], ip: &str) -> field::FieldError {
    field::invalid(
        &spec().child("clusterIPs"),
        BadValue::string_list(ips),
        &format!("failed to allocate IP {ip}: provided IP is already allocated"),
    )
}

/// `ValidateService` for a create.
pub fn validate_service(svc: &Service) -> ErrorList {
    let meta_path = Path::new("metadata");
    let mut errs = validate_object_meta(&svc.metadata, true, name_is_dns1035_label, &meta_path);
    let sp = spec();
    let ty = svc_type(svc);
    let headless = is_headless(svc);

    if svc.spec.ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(field::required(&sp.child("ports"), ""));
    }
    match ty {
        "LoadBalancer" => {
            if headless {
                errs.push(field::invalid(
                    &sp.child("clusterIPs").index(0),
                    &svc.spec.cluster_ips[0],
                    "may not be set to 'None' for LoadBalancer services",
                ));
            }
            for (i, p) in svc.spec.ports.iter().enumerate() {
                if p.port == KUBELET_PORT {
                    errs.push(field::invalid(
                        &sp.child("ports").index(i),
                        p.port,
                        &format!(
                            "may not expose port {KUBELET_PORT} externally since it is used by kubelet"
                        ),
                    ));
                }
            }
        }
        "NodePort" if headless => {
            errs.push(field::invalid(
                &sp.child("clusterIPs").index(0),
                &svc.spec.cluster_ips[0],
                "may not be set to 'None' for NodePort services",
            ));
        }
        "ExternalName" => {
            if !svc.spec.cluster_ips.is_empty() {
                errs.push(field::forbidden(
                    &sp.child("clusterIPs"),
                    "may not be set for ExternalName services",
                ));
            }
            if !svc.spec.ip_families.is_empty() {
                errs.push(field::forbidden(
                    &sp.child("ipFamilies"),
                    "may not be set for ExternalName services",
                ));
            }
            if svc.spec.ip_family_policy.is_some() {
                errs.push(field::forbidden(
                    &sp.child("ipFamilyPolicy"),
                    "may not be set for ExternalName services",
                ));
            }
            // A CNAME may end in a dot to mark it fully qualified.
            let name = svc.spec.external_name.as_deref().unwrap_or("");
            let cname = name.strip_suffix('.').unwrap_or(name);
            if cname.is_empty() {
                errs.push(field::required(&sp.child("externalName"), ""));
            } else {
                for m in is_dns1123_subdomain(cname) {
                    errs.push(field::invalid(&sp.child("externalName"), cname, &m));
                }
            }
        }
        _ => {}
    }

    let mut names = BTreeSet::new();
    let multi = svc.spec.ports.len() > 1;
    for (i, p) in svc.spec.ports.iter().enumerate() {
        errs.extend(validate_service_port(
            p,
            multi,
            &mut names,
            &sp.child("ports").index(i),
        ));
    }

    if let Some(sel) = &svc.spec.selector {
        errs.extend(validate_labels(sel, &sp.child("selector")));
    }

    let affinity = svc.spec.session_affinity.as_deref().unwrap_or("");
    if affinity.is_empty() {
        errs.push(field::required(&sp.child("sessionAffinity"), ""));
    } else if !SUPPORTED_AFFINITIES.contains(&affinity) {
        errs.push(field::not_supported(
            &sp.child("sessionAffinity"),
            affinity,
            &SUPPORTED_AFFINITIES,
        ));
    }
    if affinity == "ClientIP" {
        errs.extend(validate_client_ip_affinity_config(
            svc.spec.session_affinity_config.as_ref(),
            &sp.child("sessionAffinityConfig"),
        ));
    } else if affinity == "None" && svc.spec.session_affinity_config.is_some() {
        errs.push(field::forbidden(
            &sp.child("sessionAffinityConfig"),
            "must not be set when session affinity is None",
        ));
    }

    errs.extend(validate_cluster_ips_related_fields(svc));

    for (i, ip) in svc.spec.external_ips.iter().enumerate() {
        let p = sp.child("externalIPs").index(i);
        let ip_errs = is_valid_ip(&p, ip);
        if ip_errs.is_empty() {
            errs.extend(validate_non_special_ip(ip, &p));
        } else {
            errs.extend(ip_errs);
        }
    }

    if ty.is_empty() {
        errs.push(field::required(&sp.child("type"), ""));
    } else if !SUPPORTED_TYPES.contains(&ty) {
        errs.push(field::not_supported(
            &sp.child("type"),
            ty,
            &SUPPORTED_TYPES,
        ));
    }

    if ty == "ClusterIP" {
        for (i, p) in svc.spec.ports.iter().enumerate() {
            if p.node_port.unwrap_or(0) != 0 {
                errs.push(field::forbidden(
                    &sp.child("ports").index(i).child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }

    // (protocol, nodePort) must be unique inside the Service.
    let mut node_ports = BTreeSet::new();
    for (i, p) in svc.spec.ports.iter().enumerate() {
        let np = p.node_port.unwrap_or(0);
        if np == 0 {
            continue;
        }
        if !node_ports.insert((p.protocol.clone().unwrap_or_default(), np)) {
            errs.push(field::duplicate(
                &sp.child("ports").index(i).child("nodePort"),
                np,
            ));
        }
    }

    // (protocol, port) must be unique; the value printed is the internal ServicePort key that
    // upstream builds, with Go's field names (the internal type has no JSON tags).
    let mut ports = BTreeSet::new();
    for (i, p) in svc.spec.ports.iter().enumerate() {
        let protocol = p.protocol.clone().unwrap_or_default();
        if !ports.insert((protocol.clone(), p.port)) {
            errs.push(field::duplicate(
                &sp.child("ports").index(i),
                BadValue::json(&PortKey::new(protocol, p.port)),
            ));
        }
    }

    if !svc.spec.load_balancer_source_ranges.is_empty() {
        // Upstream's path really is capitalised here.
        let p = sp.child("LoadBalancerSourceRanges");
        if ty != "LoadBalancer" {
            errs.push(field::forbidden(
                &p,
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        for (i, v) in svc.spec.load_balancer_source_ranges.iter().enumerate() {
            let v = v.trim();
            if !is_valid_cidr(v) {
                errs.push(field::invalid(
                    &p.index(i),
                    v,
                    "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                ));
            }
        }
    }

    if svc.spec.allocate_load_balancer_node_ports.is_some() && ty != "LoadBalancer" {
        errs.push(field::forbidden(
            &sp.child("allocateLoadBalancerNodePorts"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if ty == "LoadBalancer" && svc.spec.allocate_load_balancer_node_ports.is_none() {
        // Upstream reports this one without the `spec.` prefix.
        errs.push(field::required(
            &Path::new("allocateLoadBalancerNodePorts"),
            "",
        ));
    }

    errs.extend(validate_load_balancer_class(None, svc));
    errs.extend(validate_external_traffic_policy(svc));
    errs.extend(validate_internal_traffic_policy(svc));
    if let Some(td) = svc.spec.traffic_distribution.as_deref() {
        if !TRAFFIC_DISTRIBUTIONS.contains(&td) {
            errs.push(field::not_supported(
                &sp.child("trafficDistribution"),
                td,
                &TRAFFIC_DISTRIBUTIONS,
            ));
        }
    }
    errs
}

/// `ValidateServiceUpdate`: metadata identity, clusterIPs and ipFamilies may only be added to
/// or released (never changed), loadBalancerClass is fixed once a LoadBalancer has it, and the
/// new object must pass [`validate_service`].
pub fn validate_service_update(new: &Service, old: &Service) -> ErrorList {
    let mut errs =
        validate_object_meta_update(&new.metadata, &old.metadata, &Path::new("metadata"));
    errs.extend(validate_upgrade_downgrade_cluster_ips(old, new));
    errs.extend(validate_upgrade_downgrade_ip_families(old, new));
    errs.extend(validate_load_balancer_class(Some(old), new));
    errs.extend(validate_service(new));
    errs
}

/// The `(protocol, port)` key upstream reports in a duplicate-port error: an internal
/// `core.ServicePort` with every other field zero.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PortKey {
    name: String,
    protocol: String,
    app_protocol: Option<String>,
    port: i32,
    target_port: i32,
    node_port: i32,
}

impl PortKey {
    fn new(protocol: String, port: i32) -> PortKey {
        PortKey {
            name: String::new(),
            protocol,
            app_protocol: None,
            port,
            target_port: 0,
            node_port: 0,
        }
    }
}

/// `validateServicePort`.
fn validate_service_port(
    p: &ServicePort,
    require_name: bool,
    names: &mut BTreeSet<String>,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let name = p.name.as_deref().unwrap_or("");
    if require_name && name.is_empty() {
        errs.push(field::required(&path.child("name"), ""));
    } else if !name.is_empty() {
        for m in is_dns1123_label(name) {
            errs.push(field::invalid(&path.child("name"), name, &m));
        }
        if !names.insert(name.to_string()) {
            errs.push(field::duplicate(&path.child("name"), name));
        }
    }
    for m in is_valid_port_num(i64::from(p.port)) {
        errs.push(field::invalid(&path.child("port"), p.port, &m));
    }
    let protocol = p.protocol.as_deref().unwrap_or("");
    if protocol.is_empty() {
        errs.push(field::required(&path.child("protocol"), ""));
    } else if !SUPPORTED_PROTOCOLS.contains(&protocol) {
        errs.push(field::not_supported(
            &path.child("protocol"),
            protocol,
            &SUPPORTED_PROTOCOLS,
        ));
    }
    let zero = IntOrString::Int(0);
    errs.extend(validate_port_num_or_name(
        p.target_port.as_ref().unwrap_or(&zero),
        &path.child("targetPort"),
    ));
    if let Some(ap) = &p.app_protocol {
        for m in is_qualified_name(ap) {
            errs.push(field::invalid(&path.child("appProtocol"), ap, &m));
        }
    }
    errs
}

/// `ValidatePortNumOrName`: a number 1..65535 or an IANA service name.
pub fn validate_port_num_or_name(port: &IntOrString, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    match port {
        IntOrString::Int(n) => {
            for m in is_valid_port_num(i64::from(*n)) {
                errs.push(field::invalid(path, *n, &m));
            }
        }
        IntOrString::String(s) => {
            for m in is_valid_port_name(s) {
                errs.push(field::invalid(path, s, &m));
            }
        }
    }
    errs
}

/// `validateClientIPAffinityConfig`.
fn validate_client_ip_affinity_config(
    cfg: Option<&SessionAffinityConfig>,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let when = "when session affinity type is ClientIP";
    let Some(cfg) = cfg else {
        errs.push(field::required(path, when));
        return errs;
    };
    let Some(client_ip) = &cfg.client_ip else {
        errs.push(field::required(&path.child("clientIP"), when));
        return errs;
    };
    let tp = path.child("clientIP").child("timeoutSeconds");
    match client_ip.timeout_seconds {
        None => errs.push(field::required(&tp, when)),
        Some(t) if t <= 0 || t > MAX_CLIENT_IP_AFFINITY_SECONDS => errs.push(field::invalid(
            &tp,
            t,
            &format!("must be greater than 0 and less than {MAX_CLIENT_IP_AFFINITY_SECONDS}"),
        )),
        Some(_) => {}
    }
    errs
}

/// `ValidateServiceClusterIPsRelatedFields`: clusterIP/clusterIPs agreement, families,
/// family policy, IP syntax, at most one IP per family.
fn validate_cluster_ips_related_fields(svc: &Service) -> ErrorList {
    let mut errs = ErrorList::new();
    if svc_type(svc) == "ExternalName" {
        return errs;
    }
    let ips_path = spec().child("clusterIPs");
    let ips = &svc.spec.cluster_ips;
    let cluster_ip = svc.spec.cluster_ip.as_deref().unwrap_or("");
    if !cluster_ip.is_empty() {
        if ips.is_empty() {
            errs.push(field::required(&ips_path, ""));
        } else if ips[0] != cluster_ip {
            errs.push(field::invalid(
                &ips_path,
                BadValue::string_list(ips),
                "first value must match `clusterIP`",
            ));
        }
    } else if !ips.is_empty() {
        errs.push(field::invalid(
            &ips_path,
            BadValue::string_list(ips),
            "must be empty when `clusterIP` is not specified",
        ));
    }

    let mut seen = BTreeSet::new();
    for (i, fam) in svc.spec.ip_families.iter().enumerate() {
        let p = spec().child("ipFamilies").index(i);
        if !IP_FAMILIES.contains(&fam.as_str()) {
            errs.push(field::not_supported(&p, fam, &IP_FAMILIES));
        }
        if !seen.insert(fam.clone()) {
            errs.push(field::duplicate(&p, fam));
        }
    }
    if let Some(policy) = &svc.spec.ip_family_policy {
        if !IP_FAMILY_POLICIES.contains(&policy.as_str()) {
            errs.push(field::not_supported(
                &spec().child("ipFamilyPolicy"),
                policy,
                &IP_FAMILY_POLICIES,
            ));
        }
    }

    let mut invalid_ips = false;
    for (i, ip) in ips.iter().enumerate() {
        if i == 0 && ip == "None" {
            if ips.len() > 1 {
                invalid_ips = true;
                errs.push(field::invalid(
                    &ips_path,
                    BadValue::string_list(ips),
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        let e = is_valid_ip(&ips_path.index(i), ip);
        invalid_ips |= !e.is_empty();
        errs.extend(e);
    }
    if ips.len() > 2 {
        errs.push(field::invalid(
            &ips_path,
            BadValue::string_list(ips),
            "may only hold up to 2 values",
        ));
    }
    // Invalid or misplaced IPs would skew the family checks below.
    if invalid_ips {
        return errs;
    }
    if ips.len() > 1 {
        let v6 = ips
            .iter()
            .filter(|ip| matches!(parse_ip_sloppy(ip), Some(IpAddr::V6(_))))
            .count();
        if !(ips.len() == 2 && v6 == 1) {
            errs.push(field::invalid(
                &ips_path,
                BadValue::string_list(ips),
                "may specify no more than one IP for each IP family",
            ));
        }
    }
    if !is_headless(svc) {
        for (i, (ip, fam)) in ips.iter().zip(svc.spec.ip_families.iter()).enumerate() {
            let is_v6 = matches!(parse_ip_sloppy(ip), Some(IpAddr::V6(_)));
            if fam == "IPv4" && is_v6 {
                errs.push(field::invalid(
                    &ips_path.index(i),
                    ip,
                    &format!("expected an IPv4 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
            if fam == "IPv6" && !is_v6 {
                errs.push(field::invalid(
                    &ips_path.index(i),
                    ip,
                    &format!("expected an IPv6 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
        }
    }
    errs
}

/// `ValidateNonSpecialIP` (externalIPs).
fn validate_non_special_ip(ip: &str, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(addr) = parse_ip_sloppy(ip) else {
        errs.push(field::invalid(path, ip, "must be a valid IP address"));
        return errs;
    };
    let (unspecified, loopback, link_local, link_local_mc) = match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            (
                a.is_unspecified(),
                a.is_loopback(),
                a.is_link_local(),
                o[0] == 224 && o[1] == 0 && o[2] == 0,
            )
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            let mapped = a.to_ipv4_mapped();
            (
                a.is_unspecified() || mapped.is_some_and(|m| m.is_unspecified()),
                a.is_loopback() || mapped.is_some_and(|m| m.is_loopback()),
                (s[0] & 0xffc0) == 0xfe80 || mapped.is_some_and(|m| m.is_link_local()),
                (s[0] & 0xff0f) == 0xff02,
            )
        }
    };
    if unspecified {
        errs.push(field::invalid(
            path,
            ip,
            &format!("may not be unspecified ({ip})"),
        ));
    }
    if loopback {
        errs.push(field::invalid(
            path,
            ip,
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ));
    }
    if link_local {
        errs.push(field::invalid(
            path,
            ip,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ));
    }
    if link_local_mc {
        errs.push(field::invalid(
            path,
            ip,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ));
    }
    errs
}

/// `ParseCIDRSloppy`: `<ip>/<prefix>` with the prefix fitting the family.
fn is_valid_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    let Some(addr) = parse_ip_sloppy(ip) else {
        return false;
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    !bits.is_empty()
        && bits.len() <= 3
        && bits.bytes().all(|c| c.is_ascii_digit())
        && bits.parse::<u32>().is_ok_and(|b| b <= max)
}

/// `validateLoadBalancerClassField`.
fn validate_load_balancer_class(old: Option<&Service>, svc: &Service) -> ErrorList {
    let mut errs = ErrorList::new();
    let p = spec().child("loadBalancerClass");
    if let Some(old) = old {
        if svc_type(old) == "LoadBalancer"
            && svc_type(svc) == "LoadBalancer"
            && old.spec.load_balancer_class != svc.spec.load_balancer_class
        {
            let v = match &svc.spec.load_balancer_class {
                Some(c) => BadValue::from(c),
                None => BadValue::Null,
            };
            errs.push(field::invalid(&p, v, "may not change once set"));
        }
    }
    match (
        &svc.spec.load_balancer_class,
        svc_type(svc) == "LoadBalancer",
    ) {
        (Some(_), false) => errs.push(field::forbidden(
            &p,
            "may only be used when service type is 'LoadBalancer'",
        )),
        (Some(c), true) => {
            for m in is_qualified_name(c) {
                errs.push(field::invalid(&p, c, &m));
            }
        }
        (None, _) => {}
    }
    errs
}

/// `validateServiceExternalTrafficPolicy` (also covers healthCheckNodePort).
fn validate_external_traffic_policy(svc: &Service) -> ErrorList {
    let mut errs = ErrorList::new();
    let etp = svc.spec.external_traffic_policy.as_deref().unwrap_or("");
    let p = spec().child("externalTrafficPolicy");
    if !externally_accessible(svc) {
        if !etp.is_empty() {
            errs.push(field::invalid(
                &p,
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        errs.push(field::required(&p, ""));
    } else if !TRAFFIC_POLICIES.contains(&etp) {
        errs.push(field::not_supported(&p, etp, &TRAFFIC_POLICIES));
    }

    let hc = svc.spec.health_check_node_port.unwrap_or(0);
    let hp = spec().child("healthCheckNodePort");
    if !needs_health_check(svc) {
        if hc != 0 {
            errs.push(field::invalid(
                &hp,
                hc,
                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
            ));
        }
    } else if hc == 0 {
        errs.push(field::required(&hp, ""));
    } else {
        for m in is_valid_port_num(i64::from(hc)) {
            errs.push(field::invalid(&hp, hc, &m));
        }
    }
    errs
}

/// `validateServiceInternalTrafficFieldsValue`.
fn validate_internal_traffic_policy(svc: &Service) -> ErrorList {
    let mut errs = ErrorList::new();
    let p = spec().child("internalTrafficPolicy");
    match svc.spec.internal_traffic_policy.as_deref() {
        None => {
            if matches!(svc_type(svc), "NodePort" | "LoadBalancer" | "ClusterIP") {
                errs.push(field::required(&p, "must be specified"));
            }
        }
        Some(v) if !TRAFFIC_POLICIES.contains(&v) => {
            errs.push(field::not_supported(&p, v, &TRAFFIC_POLICIES));
        }
        Some(_) => {}
    }
    errs
}

/// `validateUpgradeDowngradeClusterIPs`: the primary clusterIP never changes; a secondary one
/// may be added, or released together with `ipFamilyPolicy: SingleStack`.
fn validate_upgrade_downgrade_cluster_ips(old: &Service, new: &Service) -> ErrorList {
    let mut errs = ErrorList::new();
    if svc_type(new) == "ExternalName" || svc_type(old) == "ExternalName" {
        return errs;
    }
    if is_headless(old) && is_headless(new) {
        return errs;
    }
    let p = spec().child("clusterIPs");
    let (o, n) = (&old.spec.cluster_ips, &new.spec.cluster_ips);
    let value = || BadValue::string_list(n);
    if o.len() == n.len() {
        for (i, ip) in o.iter().enumerate() {
            if *ip != n[i] {
                errs.push(field::invalid(
                    &p.index(i),
                    value(),
                    "may not change once set",
                ));
            }
        }
    } else if o.len() > n.len() {
        if n.is_empty() {
            errs.push(field::invalid(
                &p.index(0),
                value(),
                "primary clusterIP can not be unset",
            ));
        }
        if !o.is_empty() && !n.is_empty() && n[0] != o[0] {
            errs.push(field::invalid(
                &p.index(0),
                value(),
                "may not change once set",
            ));
        }
        if n.len() == 1 && new.spec.ip_family_policy.as_deref() != Some("SingleStack") {
            errs.push(field::invalid(
                &p.index(0),
                value(),
                "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP",
            ));
        }
    } else if !o.is_empty() && n[0] != o[0] {
        errs.push(field::invalid(
            &p.index(0),
            value(),
            "may not change once set",
        ));
    }
    errs
}

/// `validateUpgradeDowngradeIPFamilies`.
fn validate_upgrade_downgrade_ip_families(old: &Service, new: &Service) -> ErrorList {
    let mut errs = ErrorList::new();
    if svc_type(new) == "ExternalName" || svc_type(old) == "ExternalName" {
        return errs;
    }
    if is_headless(old) != is_headless(new) || is_headless(new) {
        return errs;
    }
    let p = spec().child("ipFamilies");
    let (o, n) = (&old.spec.ip_families, &new.spec.ip_families);
    // Upstream prints clusterIPs as the value of some of these family errors; kept.
    let ips = || BadValue::string_list(&new.spec.cluster_ips);
    if o.len() == n.len() {
        for (i, fam) in o.iter().enumerate() {
            if *fam != n[i] {
                errs.push(field::invalid(
                    &p.index(0),
                    BadValue::string_list(n),
                    "may not change once set",
                ));
            }
        }
    } else if o.len() > n.len() {
        if new.spec.cluster_ips.is_empty() {
            errs.push(field::invalid(
                &p.index(0),
                BadValue::string_list(n),
                "primary ipFamily can not be unset",
            ));
        }
        if !n.is_empty() && n[0] != o[0] {
            errs.push(field::invalid(
                &p.index(0),
                ips(),
                "may not change once set",
            ));
        }
        if n.len() == 1 && new.spec.ip_family_policy.as_deref() != Some("SingleStack") {
            errs.push(field::invalid(
                &spec().child("clusterIPs").index(0),
                ips(),
                "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary ipFamily",
            ));
        }
    } else if !o.is_empty() && !n.is_empty() && n[0] != o[0] {
        errs.push(field::invalid(
            &p.index(0),
            ips(),
            "may not change once set",
        ));
    }
    errs
}

#[cfg(test)]
mod tests;
