//! Admission: what the API server does to each kind on create, update and delete besides
//! storing it — defaulting, validation, allocation of IPs and ports, and graceful deletion.

use super::allocators::{AllocError, NODE_PORT_MAX, NODE_PORT_MIN, SERVICE_CIDR};
use super::validation::field::{ErrorList, Path};
use super::validation::meta::{
    name_is_dns_label, name_is_dns_subdomain, validate_object_meta, validate_object_meta_update,
    NameFn,
};
use super::validation::{self};
use super::{defaults, ApiError, ApiServer, DeleteOptions, StatusReason};
use crate::api::core::ServicePort;
use crate::api::shared::Shared;
use crate::api::*;
use std::net::Ipv4Addr;

/// Per-kind admission behaviour. Every method has a do-nothing default.
pub trait Admit: Resource + PartialEq {
    /// Fills in defaults (`SetDefaults_*`).
    fn apply_defaults(&mut self) {}
    /// Fills in defaults on an update; `old` is the stored object, which was defaulted when it
    /// was written. Defaulting is idempotent, so a kind may leave alone the parts it shares
    /// with `old` (the default is all of [`Admit::apply_defaults`]).
    fn apply_update_defaults(&mut self, _old: &Self) {
        self.apply_defaults();
    }
    /// Validates (`old` is the stored object on update).
    fn validate(&self, old: Option<&Self>) -> ErrorList {
        generic_meta(
            self.meta(),
            old.map(|o| o.meta()),
            Self::KIND,
            name_is_dns_subdomain,
        )
    }
    /// Normalizes fields that depend on the old object, before allocation (`normalizeClusterIPs`).
    fn normalize(&mut self, _old: Option<&Self>) {}
    /// Allocates IPs / ports on create (`old` None) or update.
    fn allocate(&mut self, _api: &mut ApiServer, _old: Option<&Self>) -> Result<(), ApiError> {
        Ok(())
    }
    /// Frees what [`Admit::allocate`] took, when the object is removed.
    fn release(&self, _api: &mut ApiServer) {}
    /// The grace period of a delete request, for kinds deleted gracefully (pods).
    fn grace_period(&self, _opts: DeleteOptions) -> Option<i64> {
        None
    }
    /// Whether the kind tracks `metadata.generation`.
    fn has_generation() -> bool {
        false
    }
    /// Whether the spec differs from `old`'s (bumps the generation).
    fn spec_differs(&self, _old: &Self) -> bool {
        false
    }
}

fn generic_meta(m: &ObjectMeta, old: Option<&ObjectMeta>, kind: Kind, names: NameFn) -> ErrorList {
    let path = Path::new("metadata");
    match old {
        None => validate_object_meta(m, kind.namespaced(), names, &path),
        Some(o) => validate_object_meta_update(m, o, &path),
    }
}

impl Admit for Namespace {
    fn validate(&self, old: Option<&Self>) -> ErrorList {
        generic_meta(
            &self.metadata,
            old.map(|o| &o.metadata),
            Kind::Namespace,
            name_is_dns_label,
        )
    }
}
impl Admit for Node {}
impl Admit for Endpoints {}
impl Admit for EndpointSlice {}
impl Admit for Event {}
impl Admit for Lease {}

/// The `DefaultTolerationSeconds` admission plugin: every pod tolerates the not-ready and
/// unreachable NoExecute taints for 300 s unless it says otherwise.
fn default_toleration_seconds(pod: &mut Pod) {
    use crate::api::core::Toleration;
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let has = pod.spec.tolerations.iter().any(|t| {
            t.key.as_deref() == Some(key)
                && t.effect
                    .as_deref()
                    .is_none_or(|e| e.is_empty() || e == "NoExecute")
        });
        if !has {
            pod.spec.tolerations.push(Toleration {
                key: Some(key.into()),
                operator: Some("Exists".into()),
                value: None,
                effect: Some("NoExecute".into()),
                toleration_seconds: Some(300),
            });
        }
    }
}

impl Admit for Pod {
    fn apply_defaults(&mut self) {
        defaults::set_defaults_pod(self);
        default_toleration_seconds(self);
    }
    fn apply_update_defaults(&mut self, old: &Self) {
        // Pod defaults touch only the spec; a spec still shared with the stored (defaulted)
        // pod would come out unchanged, and writing through it would copy it.
        if Shared::ptr_eq(&self.spec, &old.spec) {
            debug_assert!({
                let mut check = self.clone();
                check.apply_defaults();
                check.spec == old.spec
            });
            return;
        }
        self.apply_defaults();
    }
    fn validate(&self, old: Option<&Self>) -> ErrorList {
        match old {
            None => validation::pod::validate_pod(self),
            Some(old) => {
                // Binding (nodeName) and status writes are separate subresources upstream; only
                // a change of the rest of the spec goes through pod update validation.
                let same_spec = if self.spec.node_name == old.spec.node_name {
                    self.spec == old.spec
                } else {
                    // Only the binding write changes nodeName: compare the rest.
                    self.spec.eq_except_node_name(&old.spec)
                };
                if same_spec {
                    generic_meta(
                        &self.metadata,
                        Some(&old.metadata),
                        Kind::Pod,
                        name_is_dns_subdomain,
                    )
                } else {
                    validation::pod::validate_pod_update(self, old)
                }
            }
        }
    }
    fn grace_period(&self, opts: DeleteOptions) -> Option<i64> {
        let terminal = matches!(
            self.status.phase.as_deref(),
            Some("Succeeded") | Some("Failed")
        );
        if self.spec.node_name.is_empty() || terminal {
            return Some(0);
        }
        Some(
            opts.grace_period_seconds
                .or(self.spec.termination_grace_period_seconds)
                .unwrap_or(30),
        )
    }
}

impl Admit for ReplicationController {
    fn apply_defaults(&mut self) {
        defaults::set_defaults_replication_controller(self);
    }
    fn validate(&self, old: Option<&Self>) -> ErrorList {
        match old {
            None => validation::pod::validate_replication_controller(self),
            Some(o) => validation::pod::validate_replication_controller_update(self, o),
        }
    }
    fn has_generation() -> bool {
        true
    }
    fn spec_differs(&self, old: &Self) -> bool {
        self.spec != old.spec
    }
}

impl Admit for ReplicaSet {
    fn apply_defaults(&mut self) {
        defaults::set_defaults_replica_set(self);
    }
    fn validate(&self, old: Option<&Self>) -> ErrorList {
        match old {
            None => validation::apps::validate_replica_set(self),
            Some(o) => validation::apps::validate_replica_set_update(self, o),
        }
    }
    fn has_generation() -> bool {
        true
    }
    fn spec_differs(&self, old: &Self) -> bool {
        self.spec != old.spec
    }
}

impl Admit for Deployment {
    fn apply_defaults(&mut self) {
        defaults::set_defaults_deployment(self);
    }
    fn validate(&self, old: Option<&Self>) -> ErrorList {
        match old {
            None => validation::apps::validate_deployment(self),
            Some(o) => validation::apps::validate_deployment_update(self, o),
        }
    }
    fn has_generation() -> bool {
        true
    }
    fn spec_differs(&self, old: &Self) -> bool {
        self.spec != old.spec
    }
}

fn service_type(s: &Service) -> &str {
    s.spec.type_.as_deref().unwrap_or("ClusterIP")
}

fn needs_node_ports(s: &Service) -> bool {
    match service_type(s) {
        "NodePort" => true,
        "LoadBalancer" => s.spec.allocate_load_balancer_node_ports != Some(false),
        _ => false,
    }
}

fn needs_health_check_port(s: &Service) -> bool {
    service_type(s) == "LoadBalancer" && s.spec.external_traffic_policy.as_deref() == Some("Local")
}

fn invalid_field(svc: &Service, path: &str, value: String, detail: &str) -> ApiError {
    ApiError::invalid(
        Kind::Service,
        &svc.metadata.name,
        &format!("{path}: Invalid value: {value}: {detail}"),
    )
}

fn node_port_error(svc: &Service, i: usize, port: i32, e: AllocError) -> ApiError {
    let path = Path::new("spec").child("ports").index(i).child("nodePort");
    let err = match e {
        AllocError::NotInRange => validation::service::node_port_not_in_range(
            &path,
            port,
            &format!("{NODE_PORT_MIN}-{NODE_PORT_MAX}"),
        ),
        AllocError::Allocated => validation::service::node_port_already_allocated(&path, port),
        AllocError::Full => validation::field::internal(&path, "range is full"),
    };
    ApiError::invalid(
        Kind::Service,
        &svc.metadata.name,
        &ErrorList::from(vec![err]).to_string(),
    )
}

impl Admit for Service {
    fn apply_defaults(&mut self) {
        defaults::set_defaults_service(self);
    }
    fn normalize(&mut self, old: Option<&Self>) {
        defaults::normalize_cluster_ips(self, old);
    }
    fn validate(&self, old: Option<&Self>) -> ErrorList {
        match old {
            None => validation::service::validate_service(self),
            Some(o) => validation::service::validate_service_update(self, o),
        }
    }
    /// ClusterIP, NodePorts and healthCheckNodePort as the service REST storage allocates them,
    /// keeping allocated values on update (`patchAllocatedValues`) and dropping type-dependent
    /// fields the user did not change when the type changes (`dropTypeDependentFields`).
    fn allocate(&mut self, api: &mut ApiServer, old: Option<&Self>) -> Result<(), ApiError> {
        if let Some(old) = old {
            return self.allocate_update(api, old);
        }
        let mut taken_ports: Vec<i32> = Vec::new();
        let result = self.allocate_create(api, &mut taken_ports);
        if result.is_err() {
            // Nothing may change on a failed request.
            for p in taken_ports {
                api.allocators.release_node_port(p);
            }
        }
        result
    }

    fn release(&self, api: &mut ApiServer) {
        for ip in &self.spec.cluster_ips {
            api.allocators.release_cluster_ip(ip);
        }
        for p in &self.spec.ports {
            if let Some(np) = p.node_port {
                api.allocators.release_node_port(np);
            }
        }
        if let Some(hc) = self.spec.health_check_node_port {
            api.allocators.release_node_port(hc);
        }
        for ing in &self.status.load_balancer.ingress {
            if let Some(ip) = &ing.ip {
                api.allocators.release_lb_ip(ip);
            }
        }
    }
}

impl Service {
    fn allocate_create(
        &mut self,
        api: &mut ApiServer,
        taken: &mut Vec<i32>,
    ) -> Result<(), ApiError> {
        if service_type(self) != "ExternalName" {
            self.allocate_node_ports(api, taken, None)?;
            self.allocate_cluster_ip(api)?;
        }
        Ok(())
    }

    fn allocate_cluster_ip(&mut self, api: &mut ApiServer) -> Result<(), ApiError> {
        match self.spec.cluster_ip.as_deref() {
            Some("None") => {
                self.spec.cluster_ips = vec!["None".to_string()];
            }
            Some(ip) if !ip.is_empty() => {
                let parsed: Ipv4Addr = ip.parse().map_err(|_| {
                    invalid_field(
                        self,
                        "spec.clusterIPs[0]",
                        format!("{ip:?}"),
                        "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                    )
                })?;
                api.allocators.allocate_cluster_ip(parsed).map_err(|e| {
                    let err = match e {
                        AllocError::NotInRange => validation::service::cluster_ip_not_in_range(
                            &self.spec.cluster_ips,
                            ip,
                            SERVICE_CIDR,
                        ),
                        _ => validation::service::cluster_ip_already_allocated(
                            &self.spec.cluster_ips,
                            ip,
                        ),
                    };
                    ApiError::invalid(
                        Kind::Service,
                        &self.metadata.name,
                        &ErrorList::from(vec![err]).to_string(),
                    )
                })?;
                self.spec.cluster_ips = vec![ip.to_string()];
            }
            _ => {
                let ip = api.allocators.next_cluster_ip(&mut api.rng).map_err(|_| ApiError {
                    reason: StatusReason::Invalid,
                    message: format!(
                        "Service \"{}\" is invalid: spec.clusterIPs: Internal error: failed to allocate a serviceIP: range is full",
                        self.metadata.name
                    ),
                })?;
                self.spec.cluster_ip = Some(ip.to_string());
                self.spec.cluster_ips = vec![ip.to_string()];
            }
        }
        Ok(())
    }

    fn allocate_node_ports(
        &mut self,
        api: &mut ApiServer,
        taken: &mut Vec<i32>,
        old: Option<&Service>,
    ) -> Result<(), ApiError> {
        let owned_by_old = |p: i32| {
            old.is_some_and(|o| {
                o.spec.ports.iter().any(|op| op.node_port == Some(p))
                    || o.spec.health_check_node_port == Some(p)
            })
        };
        if needs_node_ports(self) {
            let snapshot = self.clone();
            for (i, port) in self.spec.ports.iter_mut().enumerate() {
                match port.node_port {
                    Some(p) if p != 0 => {
                        if owned_by_old(p) || taken.contains(&p) {
                            continue; // same Service, e.g. TCP and UDP sharing a NodePort
                        }
                        api.allocators
                            .allocate_node_port(p)
                            .map_err(|e| node_port_error(&snapshot, i, p, e))?;
                        taken.push(p);
                    }
                    _ => {
                        let p = api
                            .allocators
                            .next_node_port(&mut api.rng)
                            .map_err(|e| node_port_error(&snapshot, i, 0, e))?;
                        port.node_port = Some(p);
                        taken.push(p);
                    }
                }
            }
        }
        if needs_health_check_port(self) {
            match self.spec.health_check_node_port {
                Some(p) if p != 0 => {
                    if !owned_by_old(p) {
                        api.allocators.allocate_node_port(p).map_err(|_| {
                            invalid_field(
                                self,
                                "spec.healthCheckNodePort",
                                p.to_string(),
                                "failed to allocate requested HealthCheck NodePort",
                            )
                        })?;
                        taken.push(p);
                    }
                }
                _ => {
                    if let Ok(p) = api.allocators.next_node_port(&mut api.rng) {
                        self.spec.health_check_node_port = Some(p);
                        taken.push(p);
                    }
                }
            }
        }
        Ok(())
    }

    fn allocate_update(&mut self, api: &mut ApiServer, old: &Service) -> Result<(), ApiError> {
        // patchAllocatedValues: an update that omits allocated values keeps them.
        if self.spec.cluster_ip.as_deref().is_none_or(str::is_empty)
            && service_type(self) != "ExternalName"
        {
            self.spec.cluster_ip = old.spec.cluster_ip.clone();
            self.spec.cluster_ips = old.spec.cluster_ips.clone();
        }
        let type_changed = service_type(self) != service_type(old);
        if needs_node_ports(self) {
            for port in self.spec.ports.iter_mut() {
                if port.node_port.is_none_or(|p| p == 0) {
                    port.node_port = find_old_node_port(old, port);
                }
            }
        } else if type_changed {
            // dropTypeDependentFields: nodePorts the user did not change go with the old type.
            for port in self.spec.ports.iter_mut() {
                if port.node_port.is_some() && port.node_port == find_old_node_port(old, port) {
                    port.node_port = None;
                }
            }
        }
        // So does an unchanged externalTrafficPolicy when the Service stops being reachable from
        // outside (and the LoadBalancer-only fields when it stops being a LoadBalancer).
        let external = |s: &Service| {
            matches!(service_type(s), "NodePort" | "LoadBalancer")
                || !s.spec.external_ips.is_empty()
        };
        if type_changed
            && external(old)
            && !external(self)
            && self.spec.external_traffic_policy == old.spec.external_traffic_policy
        {
            self.spec.external_traffic_policy = None;
        }
        if type_changed
            && service_type(old) == "LoadBalancer"
            && service_type(self) != "LoadBalancer"
        {
            if self.spec.allocate_load_balancer_node_ports
                == old.spec.allocate_load_balancer_node_ports
            {
                self.spec.allocate_load_balancer_node_ports = None;
            }
            if self.spec.load_balancer_class == old.spec.load_balancer_class {
                self.spec.load_balancer_class = None;
            }
        }
        if needs_health_check_port(self) {
            if self.spec.health_check_node_port.is_none_or(|p| p == 0) {
                self.spec.health_check_node_port = old.spec.health_check_node_port;
            }
        } else if self.spec.health_check_node_port == old.spec.health_check_node_port {
            self.spec.health_check_node_port = None;
        }
        if service_type(self) != "LoadBalancer" {
            self.status.load_balancer.ingress.clear();
        }
        let mut taken = Vec::new();
        if let Err(e) = self.allocate_node_ports(api, &mut taken, Some(old)) {
            for p in taken {
                api.allocators.release_node_port(p);
            }
            return Err(e);
        }
        // Release what the old object held and the new one no longer does.
        let keeps = |p: i32| {
            self.spec.ports.iter().any(|np| np.node_port == Some(p))
                || self.spec.health_check_node_port == Some(p)
        };
        for p in old
            .spec
            .ports
            .iter()
            .filter_map(|p| p.node_port)
            .chain(old.spec.health_check_node_port)
        {
            if !keeps(p) {
                api.allocators.release_node_port(p);
            }
        }
        for ing in &old.status.load_balancer.ingress {
            if let Some(ip) = &ing.ip {
                if !self
                    .status
                    .load_balancer
                    .ingress
                    .iter()
                    .any(|n| n.ip.as_deref() == Some(ip))
                {
                    api.allocators.release_lb_ip(ip);
                }
            }
        }
        Ok(())
    }
}

fn find_old_node_port(old: &Service, port: &ServicePort) -> Option<i32> {
    let proto = |p: &ServicePort| p.protocol.clone().unwrap_or_else(|| "TCP".into());
    old.spec
        .ports
        .iter()
        .find(|op| op.port == port.port && proto(op) == proto(port))
        .and_then(|op| op.node_port)
}
