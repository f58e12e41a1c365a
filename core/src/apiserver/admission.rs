//! Admission: what the API server does to each kind on create, update and delete besides
//! storing it — defaulting, validation, allocation of IPs and ports, and graceful deletion.

use super::allocators::{AllocError, NODE_PORT_MAX, NODE_PORT_MIN, SERVICE_CIDR};
use super::validation::field::{ErrorList, Path};
use super::validation::meta::{
    metadata_path, name_is_dns_label, name_is_dns_subdomain, validate_object_meta,
    validate_object_meta_update, NameFn,
};
use super::validation::{self};
use super::{defaults, ApiError, ApiServer, DeleteOptions, StatusReason};
use crate::api::core::{PodSpec, ServicePort};
use crate::api::shared::{Shared, SharedKey};
use crate::api::*;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Results of admission work on shared pod specs, kept across requests: the pods a ReplicaSet
/// creates all carry its template's spec (one `Shared`), so they can share one defaulted copy
/// and one validation instead of each making its own.
///
/// Entries are keyed by the address of the spec they were computed from, holding a
/// [`SharedKey`] of it: while the entry exists that address names that unchanged value, so
/// an entry can never answer for a different or changed spec. Pod defaulting and pod spec
/// validation read nothing but the spec (metadata is validated per pod), so the spec is the
/// whole key. The memo affects only how much work is done, never a result.
#[derive(Clone, Debug, Default)]
pub struct AdmissionMemo {
    /// A pod's spec as submitted → the same spec with the pod defaults applied.
    defaulted_pod_specs: PtrMemo<PodSpec, Shared<PodSpec>>,
    /// Defaulted pod specs whose create validation found nothing.
    valid_pod_specs: PtrMemo<PodSpec, ()>,
}

/// A map keyed by [`Shared::addr`] whose entries hold a key of the value. Entries whose value
/// nothing holds any more are dropped when the map grows: the map is as large as the set of
/// live values it remembers, and never larger than [`PtrMemo::MAX`].
#[derive(Clone)]
struct PtrMemo<K, V> {
    entries: BTreeMap<usize, (SharedKey<K>, V)>,
    /// Size at which dead entries are swept out.
    sweep_at: usize,
}

/// Only the size: the keys are addresses, which differ from run to run.
impl<K, V> std::fmt::Debug for PtrMemo<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PtrMemo({} entries)", self.entries.len())
    }
}

impl<K, V> Default for PtrMemo<K, V> {
    fn default() -> Self {
        PtrMemo {
            entries: BTreeMap::new(),
            sweep_at: Self::MIN_SWEEP,
        }
    }
}

impl<K, V> PtrMemo<K, V> {
    const MIN_SWEEP: usize = 64;
    /// Live entries beyond which the memo starts over (each holds a spec alive at most as
    /// long as the ReplicaSet that carries it, but the memo is not the place to find out).
    const MAX: usize = 1 << 16;

    fn get(&self, key: &Shared<K>) -> Option<&V> {
        self.entries.get(&Shared::addr(key)).map(|(_, v)| v)
    }

    fn insert(&mut self, key: &Shared<K>, value: V) {
        if self.entries.len() >= self.sweep_at {
            self.entries.retain(|_, (k, _)| k.is_live());
            if self.entries.len() >= Self::MAX {
                self.entries.clear();
            }
            // Sweep again when the live entries have doubled: constant work per insert.
            self.sweep_at = (2 * self.entries.len()).max(Self::MIN_SWEEP);
        }
        self.entries
            .insert(Shared::addr(key), (Shared::key(key), value));
    }
}

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
    /// [`Admit::apply_defaults`] on create, which may reuse earlier results from `memo`.
    fn apply_create_defaults(&mut self, _memo: &mut AdmissionMemo) {
        self.apply_defaults();
    }
    /// [`Admit::validate`] on create, which may reuse earlier results from `memo`.
    fn validate_create(&self, _memo: &mut AdmissionMemo) -> ErrorList {
        self.validate(None)
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
    let path = metadata_path();
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
impl Admit for EndpointSlice {
    fn has_generation() -> bool {
        true
    }
    /// The EndpointSlice strategy bumps the generation when anything but the metadata
    /// changes, or the labels do (the controller's tracker relies on it).
    fn spec_differs(&self, old: &Self) -> bool {
        self.address_type != old.address_type
            || self.endpoints != old.endpoints
            || self.ports != old.ports
            || self.metadata.labels != old.metadata.labels
    }
}
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
    fn apply_create_defaults(&mut self, memo: &mut AdmissionMemo) {
        // Pod defaults read and write only the spec: a spec defaulted before comes out as it
        // did then.
        if let Some(done) = memo.defaulted_pod_specs.get(&self.spec) {
            self.spec = done.clone();
            return;
        }
        if Shared::is_unique(&mut self.spec) {
            // Only this request holds the spec (a pod written by hand): no other can bring it.
            self.apply_defaults();
            return;
        }
        let submitted = self.spec.clone();
        self.apply_defaults();
        memo.defaulted_pod_specs
            .insert(&submitted, self.spec.clone());
    }
    fn validate_create(&self, memo: &mut AdmissionMemo) -> ErrorList {
        let mut errs = validation::pod::validate_pod_metadata(self);
        if memo.valid_pod_specs.get(&self.spec).is_none() {
            let spec_errs = validation::pod::validate_pod_create_spec(&self.spec);
            if spec_errs.is_empty() {
                memo.valid_pod_specs.insert(&self.spec, ());
            }
            errs.extend(spec_errs);
        }
        errs
    }
    fn apply_update_defaults(&mut self, old: &Self) {
        // Pod defaults touch only the spec, and neither read nor write nodeName: a spec equal
        // to the stored (defaulted) pod's but for nodeName (a binding) would come out
        // unchanged, and writing through it would copy it and its containers.
        if Shared::ptr_eq(&self.spec, &old.spec) || self.spec.eq_except_node_name(&old.spec) {
            debug_assert!({
                let mut check = self.clone();
                check.apply_defaults();
                check.spec == self.spec
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
    fn apply_update_defaults(&mut self, old: &Self) {
        let keeps = Shared::ptr_eq(&self.spec.template.spec, &old.spec.template.spec);
        workload_update_defaults(self, keeps, defaults::set_defaults_replica_set_fields);
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
    fn apply_update_defaults(&mut self, old: &Self) {
        let keeps = Shared::ptr_eq(&self.spec.template.spec, &old.spec.template.spec);
        workload_update_defaults(self, keeps, defaults::set_defaults_deployment_fields);
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

/// Update defaulting of a workload. A write that kept the stored template's spec (a scale,
/// a status or an annotation write) has a defaulted one, since it was defaulted when it was
/// written: defaulting it again would change nothing and only copy it, so only the workload's
/// own fields are defaulted (`fields`).
fn workload_update_defaults<T: Admit + Clone + PartialEq>(
    obj: &mut T,
    keeps_template: bool,
    fields: fn(&mut T),
) {
    if !keeps_template {
        obj.apply_defaults();
        return;
    }
    fields(obj);
    debug_assert!(
        {
            let mut check = obj.clone();
            check.apply_defaults();
            check == *obj
        },
        "defaulting is idempotent"
    );
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

#[cfg(test)]
mod tests;
