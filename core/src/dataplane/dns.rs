//! Cluster DNS as CoreDNS's `kubernetes` plugin answers it (spec §8): `<svc>.<ns>.svc.cluster.local`
//! → ClusterIP; headless → the ready endpoints' addresses (all of them with
//! `publishNotReadyAddresses`); ExternalName → a CNAME; `<a-b-c-d>.<ns>.pod.cluster.local`
//! → that address; `<hostname>.<svc>.<ns>.svc.cluster.local` → the endpoint with that
//! hostname. A pod's resolver (ClusterFirst, `ndots:5`) tries the search list
//! `<ns>.svc.cluster.local svc.cluster.local cluster.local` first for names with fewer
//! than 5 dots.

use crate::api::*;
use crate::apiserver::ApiServer;
use std::net::Ipv4Addr;

/// Cluster domain.
pub const CLUSTER_DOMAIN: &str = "cluster.local";
/// The cluster DNS Service address (kubeadm's 10th address of 10.96.0.0/12).
pub const DNS_SERVER: &str = "10.96.0.10";

/// An answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The fully qualified name that matched.
    pub fqdn: String,
    /// CNAME target (ExternalName Services).
    pub cname: Option<String>,
    /// A records.
    pub addresses: Vec<Ipv4Addr>,
}

/// The names a resolver tries, in order.
pub fn candidates(name: &str, namespace: Option<&str>) -> Vec<String> {
    if let Some(abs) = name.strip_suffix('.') {
        return vec![abs.to_string()];
    }
    let mut v = Vec::new();
    if let Some(ns) = namespace {
        if name.matches('.').count() < 5 {
            for d in [
                format!("{ns}.svc.{CLUSTER_DOMAIN}"),
                format!("svc.{CLUSTER_DOMAIN}"),
                CLUSTER_DOMAIN.to_string(),
            ] {
                v.push(format!("{name}.{d}"));
            }
        }
    }
    v.push(name.to_string());
    v
}

/// Resolves `name` as a pod in `namespace` would (None: no search list, as from outside
/// the cluster, where cluster names resolve only if fully qualified… and not at all,
/// since the cluster DNS is not reachable from there; callers decide).
pub fn resolve(api: &ApiServer, name: &str, namespace: Option<&str>) -> Result<Answer, String> {
    if namespace.is_none() {
        return Err(format!("** server can't find {name}: NXDOMAIN"));
    }
    for fqdn in candidates(&name.to_ascii_lowercase(), namespace) {
        if let Some(a) = lookup(api, &fqdn) {
            return Ok(a);
        }
    }
    Err(format!("** server can't find {name}: NXDOMAIN"))
}

/// Looks up one fully qualified name.
pub fn lookup(api: &ApiServer, fqdn: &str) -> Option<Answer> {
    let labels: Vec<&str> = fqdn.split('.').collect();
    let domain: Vec<&str> = CLUSTER_DOMAIN.split('.').collect();
    if labels.len() < domain.len() + 2 || labels[labels.len() - domain.len()..] != domain[..] {
        return None;
    }
    let rest = &labels[..labels.len() - domain.len()];
    let answer = |addresses, cname| {
        Some(Answer {
            fqdn: fqdn.to_string(),
            cname,
            addresses,
        })
    };
    match rest {
        [svc, ns, "svc"] => {
            let s = api.get::<Service>(ns, svc)?;
            if s.spec.type_.as_deref() == Some("ExternalName") {
                return answer(Vec::new(), s.spec.external_name.clone());
            }
            match s.spec.cluster_ip.as_deref() {
                Some(ip) if ip != "None" && !ip.is_empty() => {
                    answer(ip.parse().ok().into_iter().collect(), None)
                }
                _ => {
                    let all = s.spec.publish_not_ready_addresses == Some(true);
                    let ips = endpoints(api, ns, svc, all, None);
                    if ips.is_empty() {
                        None
                    } else {
                        answer(ips, None)
                    }
                }
            }
        }
        [host, svc, ns, "svc"] => {
            let ips = endpoints(api, ns, svc, true, Some(host));
            if ips.is_empty() {
                None
            } else {
                answer(ips, None)
            }
        }
        [dashed, ns, "pod"] => {
            let ip: Ipv4Addr = dashed.replace('-', ".").parse().ok()?;
            api.namespaces.get_by_name("", ns)?;
            answer(vec![ip], None)
        }
        _ => None,
    }
}

/// Addresses of a Service's endpoints (ready ones unless `all`), optionally only the one
/// with `hostname`; sorted and deduplicated.
fn endpoints(
    api: &ApiServer,
    ns: &str,
    svc: &str,
    all: bool,
    hostname: Option<&str>,
) -> Vec<Ipv4Addr> {
    let mut v: Vec<Ipv4Addr> = api
        .endpoint_slices
        .in_namespace(ns)
        .filter(|s| {
            s.metadata
                .labels
                .get("kubernetes.io/service-name")
                .map(String::as_str)
                == Some(svc)
        })
        .flat_map(|s| s.endpoints.iter().flatten())
        .filter(|e| all || e.conditions.ready.unwrap_or(true))
        .filter(|e| hostname.is_none_or(|h| e.hostname.as_deref() == Some(h)))
        .filter_map(|e| e.addresses.first()?.parse().ok())
        .collect();
    crate::sort::sort(&mut v);
    v.dedup();
    v
}

/// `nslookup NAME` as busybox prints it for the A query.
pub fn nslookup(api: &ApiServer, name: &str, namespace: &str) -> Result<String, String> {
    let head = format!("Server:\t\t{DNS_SERVER}\nAddress:\t{DNS_SERVER}:53\n\n");
    match resolve(api, name, Some(namespace)) {
        Ok(a) => {
            let mut s = head;
            if let Some(c) = &a.cname {
                s.push_str(&format!("{}\tcanonical name = {c}\n", a.fqdn));
            }
            for ip in &a.addresses {
                s.push_str(&format!("Name:\t{}\nAddress: {ip}\n", a.fqdn));
            }
            s.push('\n');
            Ok(s)
        }
        Err(e) => Err(format!("{head}{e}\n")),
    }
}
