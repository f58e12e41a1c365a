//! Checks: structured assertions on cluster state, each with a human description shown to
//! learners. In YAML a check is a map with `description` and exactly one check type:
//!
//! ```yaml
//! - description: Three pods answer behind the Service
//!   readyEndpoints: {service: web, count: 3}
//! ```
//!
//! Counts take `count` (exactly), `atLeast`, `atMost` (alias `max`); `atLeast` and `atMost`
//! combine. Checks that compare with the start of the step (`podIpChanged`,
//! `clusterIpUnchanged`, `requests…SinceStepStart`) read a [`Baseline`] taken when the step
//! began. `output` looks at the last run of a command during the step; it never runs
//! anything itself, so evaluating checks leaves the cluster untouched.

use crate::api::SharedStr;
use crate::api::{Deployment, EndpointSlice, Pod, Service};
use crate::dataplane::stats::Counts;
use crate::kubectl::CommandOutput;
use crate::labels::Selector;
use crate::sim::Sim;
use crate::sort::CollectOrdered;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One assertion with its description.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Shown to learners ("Three pods answer behind the Service").
    pub description: String,
    /// What is checked.
    pub kind: CheckKind,
}

/// A count constraint shared by counting checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CountSpec {
    /// Exactly this many.
    pub count: Option<u64>,
    /// At least this many.
    pub at_least: Option<u64>,
    /// At most this many.
    #[serde(alias = "max")]
    pub at_most: Option<u64>,
}

impl CountSpec {
    fn validate(&self) -> Result<(), String> {
        match (self.count, self.at_least, self.at_most) {
            (None, None, None) => Err("needs count, atLeast or atMost".into()),
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                Err("count excludes atLeast and atMost".into())
            }
            (None, Some(a), Some(b)) if a > b => Err(format!("atLeast {a} > atMost {b}")),
            _ => Ok(()),
        }
    }

    fn holds(&self, n: u64) -> bool {
        self.count.is_none_or(|c| n == c)
            && self.at_least.is_none_or(|a| n >= a)
            && self.at_most.is_none_or(|b| n <= b)
    }

    fn wanted(&self) -> String {
        match (self.count, self.at_least, self.at_most) {
            (Some(c), _, _) => format!("{c}"),
            (None, Some(a), Some(b)) => format!("{a} to {b}"),
            (None, Some(a), None) => format!("at least {a}"),
            (None, None, Some(b)) => format!("at most {b}"),
            (None, None, None) => "any number".into(),
        }
    }
}

macro_rules! counted_check {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
            /// Exactly this many.
            pub count: Option<u64>,
            /// At least this many.
            pub at_least: Option<u64>,
            /// At most this many.
            #[serde(alias = "max")]
            pub at_most: Option<u64>,
        }
        impl $name {
            /// The count constraint.
            pub fn counts(&self) -> CountSpec {
                CountSpec { count: self.count, at_least: self.at_least, at_most: self.at_most }
            }
        }
    };
}

fn default_ns() -> String {
    "default".into()
}

counted_check!(
    /// `readyEndpoints`: ready addresses in the Service's EndpointSlices.
    ReadyEndpointsCheck {
        /// Service name.
        service: String,
        /// Namespace (`default`).
        #[serde(default = "default_ns")]
        namespace: String,
    }
);

counted_check!(
    /// `endpointSlices`: EndpointSlice objects labelled `kubernetes.io/service-name`.
    EndpointSlicesCheck {
        /// Service name.
        service: String,
        /// Namespace (`default`).
        #[serde(default = "default_ns")]
        namespace: String,
    }
);

counted_check!(
    /// `pods`: pods matching a label selector (terminating pods are not counted unless
    /// `includeTerminating`).
    PodsCheck {
        /// Label selector (`app=web`, `tier in (a,b)`; empty matches all).
        selector: String,
        /// Namespace (`default`).
        #[serde(default = "default_ns")]
        namespace: String,
        /// Only pods in this phase (`Pending`, `Running`, …).
        #[serde(default)]
        phase: Option<String>,
        /// Only pods whose Ready condition is (or is not) True.
        #[serde(default)]
        ready: Option<bool>,
        /// Count terminating pods too.
        #[serde(default)]
        include_terminating: bool,
    }
);

counted_check!(
    /// `podIpChanged`: pods matching the selector now whose IP no matching pod had when the
    /// step started (at least 1 unless a count is given).
    PodIpChangedCheck {
        /// Label selector.
        selector: String,
    }
);

counted_check!(
    /// `requestsFailedSinceStepStart`: requests of the data plane that were not served
    /// (refused, dropped, reset, timed out, not routable) since the step began.
    RequestsCheck {}
);

counted_check!(
    /// `servingPodsSinceStepStart`: distinct pods that served requests since the step began.
    ServingPodsCheck {}
);

/// `replicaSet`: the ReplicaSet of a Deployment with a given revision.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReplicaSetCheck {
    /// Deployment name (in `default`).
    pub deployment: String,
    /// `deployment.kubernetes.io/revision` of the ReplicaSet.
    pub revision: u64,
    /// `spec.replicas`, if checked.
    #[serde(default)]
    pub replicas: Option<i32>,
    /// `status.readyReplicas`, if checked.
    #[serde(default)]
    pub ready_replicas: Option<i32>,
}

/// `serviceType`: the Service's `spec.type`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceTypeCheck {
    /// Service name (in `default`).
    pub service: String,
    /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// `nodePort`: every port of the Service has a NodePort, inside (or outside) the API
/// server's `--service-node-port-range` (30000-32767).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodePortCheck {
    /// Service name (in `default`).
    pub service: String,
    /// Whether the NodePorts are in 30000-32767 (default true).
    #[serde(default = "yes")]
    pub in_range: bool,
    /// A specific NodePort of the first port.
    #[serde(default)]
    pub port: Option<i32>,
}

fn yes() -> bool {
    true
}

/// `clusterIpUnchanged`: the Service's ClusterIP is what it was when the step began.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterIpCheck {
    /// Service name (in `default`).
    pub service: String,
}

/// `object`: an object exists (or not).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectCheck {
    /// Resource type as kubectl takes it (`service`, `svc`, `deployment`, …).
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (`default`).
    #[serde(default = "default_ns")]
    pub namespace: String,
    /// Whether it should exist (default true).
    #[serde(default = "yes")]
    pub exists: bool,
}

/// `output`: what the last run of `command` during the step printed (stdout and stderr).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OutputCheck {
    /// The command, as written among the step's commands.
    pub command: String,
    /// A substring the output contains.
    #[serde(default)]
    pub contains: Option<String>,
    /// A substring the output must not contain.
    #[serde(default)]
    pub not_contains: Option<String>,
    /// Substrings that appear in this order (no regular expressions).
    #[serde(default)]
    pub matches: Option<Vec<String>>,
    /// 0: the command succeeded; any other value: it failed. (The console reports success
    /// or failure, not the numeric code.)
    #[serde(default)]
    pub exit_code: Option<i32>,
}

/// The check types.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckKind {
    /// `readyEndpoints`.
    ReadyEndpoints(ReadyEndpointsCheck),
    /// `endpointSlices`.
    EndpointSlices(EndpointSlicesCheck),
    /// `pods`.
    Pods(PodsCheck),
    /// `replicaSet`.
    ReplicaSet(ReplicaSetCheck),
    /// `serviceType`.
    ServiceType(ServiceTypeCheck),
    /// `nodePort`.
    NodePort(NodePortCheck),
    /// `clusterIpUnchanged`.
    ClusterIpUnchanged(ClusterIpCheck),
    /// `podIpChanged`.
    PodIpChanged(PodIpChangedCheck),
    /// `object`.
    Object(ObjectCheck),
    /// `requestsFailedSinceStepStart`.
    RequestsFailedSinceStepStart(RequestsCheck),
    /// `requestsServedSinceStepStart`.
    RequestsServedSinceStepStart(RequestsCheck),
    /// `servingPodsSinceStepStart`.
    ServingPodsSinceStepStart(ServingPodsCheck),
    /// `output`.
    Output(OutputCheck),
}

/// The YAML names of the check types.
pub const CHECK_TYPES: [&str; 13] = [
    "readyEndpoints",
    "endpointSlices",
    "pods",
    "replicaSet",
    "serviceType",
    "nodePort",
    "clusterIpUnchanged",
    "podIpChanged",
    "object",
    "requestsFailedSinceStepStart",
    "requestsServedSinceStepStart",
    "servingPodsSinceStepStart",
    "output",
];

impl<'de> Deserialize<'de> for Check {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(CheckVisitor)
    }
}

struct CheckVisitor;

impl<'de> Visitor<'de> for CheckVisitor {
    type Value = Check;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a check: a map with `description` and one check type")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Check, A::Error> {
        let mut description: Option<String> = None;
        let mut kind: Option<CheckKind> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "description" {
                if description.is_some() {
                    return Err(de::Error::duplicate_field("description"));
                }
                description = Some(map.next_value()?);
                continue;
            }
            if let Some(k) = &kind {
                return Err(de::Error::custom(format!(
                    "a check has one type, found both `{}` and `{key}`",
                    k.type_name()
                )));
            }
            kind = Some(match key.as_str() {
                "readyEndpoints" => CheckKind::ReadyEndpoints(map.next_value()?),
                "endpointSlices" => CheckKind::EndpointSlices(map.next_value()?),
                "pods" => CheckKind::Pods(map.next_value()?),
                "replicaSet" => CheckKind::ReplicaSet(map.next_value()?),
                "serviceType" => CheckKind::ServiceType(map.next_value()?),
                "nodePort" => CheckKind::NodePort(map.next_value()?),
                "clusterIpUnchanged" => CheckKind::ClusterIpUnchanged(map.next_value()?),
                "podIpChanged" => CheckKind::PodIpChanged(map.next_value()?),
                "object" => CheckKind::Object(map.next_value()?),
                "requestsFailedSinceStepStart" => {
                    CheckKind::RequestsFailedSinceStepStart(map.next_value()?)
                }
                "requestsServedSinceStepStart" => {
                    CheckKind::RequestsServedSinceStepStart(map.next_value()?)
                }
                "servingPodsSinceStepStart" => {
                    CheckKind::ServingPodsSinceStepStart(map.next_value()?)
                }
                "output" => CheckKind::Output(map.next_value()?),
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown check type `{other}`; expected one of: {}",
                        CHECK_TYPES.join(", ")
                    )))
                }
            });
        }
        let description = description.ok_or_else(|| de::Error::missing_field("description"))?;
        let kind = kind.ok_or_else(|| {
            de::Error::custom(format!(
                "check {description:?} has no check type; expected one of: {}",
                CHECK_TYPES.join(", ")
            ))
        })?;
        Ok(Check { description, kind })
    }
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// The check's description.
    pub description: String,
    /// Whether it holds.
    pub passed: bool,
    /// What was observed (and, on failure, what was wanted).
    pub detail: String,
}

/// State at the start of a step, for checks that compare with it.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    /// Virtual time the step began.
    pub at: crate::time::Millis,
    /// Every pod's labels and IP (default namespace).
    pub pods: Vec<(BTreeMap<String, String>, Option<String>)>,
    /// ClusterIP of every Service in `default`.
    pub cluster_ips: BTreeMap<String, Option<String>>,
    /// Data-plane counters.
    pub requests: Counts,
}

impl Baseline {
    /// Takes a baseline of `sim` now.
    pub fn take(sim: &Sim) -> Baseline {
        Baseline {
            at: sim.now(),
            pods: sim
                .api
                .pods
                .in_namespace("default")
                .map(|p| {
                    (
                        (*p.metadata.labels).clone(),
                        p.status.pod_ip.as_ref().map(|i| i.to_string()),
                    )
                })
                .collect(),
            cluster_ips: sim
                .api
                .services
                .in_namespace("default")
                .map(|s| (s.metadata.name.to_string(), s.spec.cluster_ip.clone()))
                .collect_map(),
            requests: sim.infra.dataplane.stats.total.clone(),
        }
    }
}

/// Outputs of the commands run during a step, most recent last: (template as written, if
/// it was a suggested command; the line actually run; its output).
pub type StepOutputs = [(Option<String>, String, CommandOutput)];

impl CheckKind {
    /// The YAML name of the check type.
    pub fn type_name(&self) -> &'static str {
        let i = match self {
            CheckKind::ReadyEndpoints(_) => 0,
            CheckKind::EndpointSlices(_) => 1,
            CheckKind::Pods(_) => 2,
            CheckKind::ReplicaSet(_) => 3,
            CheckKind::ServiceType(_) => 4,
            CheckKind::NodePort(_) => 5,
            CheckKind::ClusterIpUnchanged(_) => 6,
            CheckKind::PodIpChanged(_) => 7,
            CheckKind::Object(_) => 8,
            CheckKind::RequestsFailedSinceStepStart(_) => 9,
            CheckKind::RequestsServedSinceStepStart(_) => 10,
            CheckKind::ServingPodsSinceStepStart(_) => 11,
            CheckKind::Output(_) => 12,
        };
        CHECK_TYPES[i]
    }

    /// Checks what serde cannot: counts, selectors, kinds, output conditions.
    pub fn validate(&self) -> Result<(), String> {
        let t = self.type_name();
        let r = match self {
            CheckKind::ReadyEndpoints(c) => c.counts().validate(),
            CheckKind::EndpointSlices(c) => c.counts().validate(),
            CheckKind::Pods(c) => c
                .counts()
                .validate()
                .and_then(|_| selector(&c.selector).map(|_| ())),
            CheckKind::PodIpChanged(c) => {
                let counts = c.counts();
                if counts != CountSpec::default() {
                    counts.validate()?;
                }
                selector(&c.selector).map(|_| ())
            }
            CheckKind::RequestsFailedSinceStepStart(c)
            | CheckKind::RequestsServedSinceStepStart(c) => c.counts().validate(),
            CheckKind::ServingPodsSinceStepStart(c) => c.counts().validate(),
            CheckKind::ServiceType(c) => match c.type_.as_str() {
                "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName" => Ok(()),
                other => Err(format!(
                    "type {other:?} is not ClusterIP, NodePort, LoadBalancer or ExternalName"
                )),
            },
            CheckKind::Object(c) => crate::api::Kind::from_resource_arg(&c.kind)
                .map(|_| ())
                .ok_or_else(|| format!("unknown resource type {:?}", c.kind)),
            CheckKind::Output(c) => {
                if c.contains.is_none()
                    && c.not_contains.is_none()
                    && c.matches.is_none()
                    && c.exit_code.is_none()
                {
                    Err("needs contains, notContains, matches or exitCode".into())
                } else {
                    super::template::sample(&c.command)?;
                    for s in c
                        .contains
                        .iter()
                        .chain(&c.not_contains)
                        .chain(c.matches.iter().flatten())
                    {
                        super::template::sample(s)?;
                    }
                    Ok(())
                }
            }
            CheckKind::ReplicaSet(_)
            | CheckKind::NodePort(_)
            | CheckKind::ClusterIpUnchanged(_) => Ok(()),
        };
        r.map_err(|e| format!("{t}: {e}"))
    }

    /// Evaluates the check against `sim`, comparing with `baseline` where needed and looking
    /// at `outputs` for `output` checks.
    pub fn evaluate(
        &self,
        sim: &Sim,
        baseline: &Baseline,
        outputs: &StepOutputs,
    ) -> (bool, String) {
        match self.eval(sim, baseline, outputs) {
            Ok(r) => r,
            Err(e) => (false, e),
        }
    }

    fn eval(
        &self,
        sim: &Sim,
        baseline: &Baseline,
        outputs: &StepOutputs,
    ) -> Result<(bool, String), String> {
        let api = &sim.api;
        let counted = |what: &str, n: u64, c: CountSpec| {
            (c.holds(n), format!("{what}: {n} (want {})", c.wanted()))
        };
        Ok(match self {
            CheckKind::ReadyEndpoints(c) => {
                let slices = slices_of(sim, &c.namespace, &c.service);
                let ready: BTreeSet<&SharedStr> = slices
                    .iter()
                    .flat_map(|s| s.endpoints.iter().flatten())
                    // A nil `ready` means ready (discovery/v1 EndpointConditions).
                    .filter(|e| e.conditions.ready != Some(false))
                    .flat_map(|e| e.addresses.iter())
                    .collect_set();
                let list = ready
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let (ok, mut d) = counted(
                    &format!("ready endpoints of service {}", c.service),
                    ready.len() as u64,
                    c.counts(),
                );
                if !list.is_empty() {
                    d.push_str(&format!(" [{list}]"));
                }
                (ok, d)
            }
            CheckKind::EndpointSlices(c) => counted(
                &format!("EndpointSlices of service {}", c.service),
                slices_of(sim, &c.namespace, &c.service).len() as u64,
                c.counts(),
            ),
            CheckKind::Pods(c) => {
                let sel = selector(&c.selector)?;
                let n = api
                    .pods
                    .in_namespace(&c.namespace)
                    .filter(|p| sel.matches(&p.metadata.labels))
                    .filter(|p| c.include_terminating || p.metadata.deletion_timestamp.is_none())
                    .filter(|p| {
                        c.phase
                            .as_ref()
                            .is_none_or(|ph| p.status.phase.as_deref() == Some(ph.as_str()))
                    })
                    .filter(|p| c.ready.is_none_or(|r| pod_ready(p) == r))
                    .count();
                let mut what = format!("pods matching {:?}", c.selector);
                if let Some(ph) = &c.phase {
                    what.push_str(&format!(" in phase {ph}"));
                }
                if let Some(r) = c.ready {
                    what.push_str(if r { " and ready" } else { " and not ready" });
                }
                counted(&what, n as u64, c.counts())
            }
            CheckKind::ReplicaSet(c) => {
                let d = api
                    .get::<Deployment>("default", &c.deployment)
                    .ok_or_else(|| format!("deployment {:?} not found", c.deployment))?;
                let rev = c.revision.to_string();
                let rs = api
                    .replica_sets
                    .in_namespace("default")
                    .find(|rs| {
                        rs.metadata
                            .owner_references
                            .iter()
                            .any(|o| o.uid == d.metadata.uid)
                            && rs
                                .metadata
                                .annotations
                                .get("deployment.kubernetes.io/revision")
                                == Some(&rev)
                    })
                    .ok_or_else(|| {
                        format!(
                            "deployment {} has no ReplicaSet with revision {rev}",
                            c.deployment
                        )
                    })?;
                let mut ok = true;
                let mut d = format!("ReplicaSet {} (revision {rev})", rs.metadata.name);
                if let Some(want) = c.replicas {
                    let got = rs.spec.replicas.unwrap_or(1);
                    ok &= got == want;
                    d.push_str(&format!(": replicas {got} (want {want})"));
                }
                if let Some(want) = c.ready_replicas {
                    let got = rs.status.ready_replicas;
                    ok &= got == want;
                    d.push_str(&format!(": readyReplicas {got} (want {want})"));
                }
                (ok, d)
            }
            CheckKind::ServiceType(c) => {
                let s = service(sim, &c.service)?;
                let got = s.spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
                (
                    got == c.type_,
                    format!("service {} has type {got} (want {})", c.service, c.type_),
                )
            }
            CheckKind::NodePort(c) => {
                let s = service(sim, &c.service)?;
                let ports: Vec<Option<i32>> = s.spec.ports.iter().map(|p| p.node_port).collect();
                if ports.is_empty() || ports.iter().any(|p| p.is_none()) {
                    return Ok((
                        false,
                        format!("service {} has a port without a NodePort", c.service),
                    ));
                }
                let ports: Vec<i32> = ports.into_iter().flatten().collect();
                let in_range = ports.iter().all(|p| (30000..=32767).contains(p));
                let mut ok = in_range == c.in_range;
                if let Some(want) = c.port {
                    ok &= ports.first() == Some(&want);
                }
                let list = ports
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    ok,
                    format!(
                        "service {} NodePorts: {list} ({} 30000-32767)",
                        c.service,
                        if in_range { "in" } else { "not all in" }
                    ),
                )
            }
            CheckKind::ClusterIpUnchanged(c) => {
                let s = service(sim, &c.service)?;
                let before = baseline.cluster_ips.get(&c.service).cloned().flatten();
                let now = s.spec.cluster_ip.clone();
                let show = |ip: &Option<String>| ip.clone().unwrap_or_else(|| "none".into());
                (
                    before.is_some() && before == now,
                    format!(
                        "ClusterIP of service {} at step start: {}, now: {}",
                        c.service,
                        show(&before),
                        show(&now)
                    ),
                )
            }
            CheckKind::PodIpChanged(c) => {
                let sel = selector(&c.selector)?;
                let before: BTreeSet<&String> = baseline
                    .pods
                    .iter()
                    .filter(|(labels, _)| sel.matches(labels))
                    .filter_map(|(_, ip)| ip.as_ref())
                    .collect_set();
                let mut now: Vec<String> = api
                    .pods
                    .in_namespace("default")
                    .filter(|p| {
                        p.metadata.deletion_timestamp.is_none() && sel.matches(&p.metadata.labels)
                    })
                    .filter_map(|p| p.status.pod_ip.as_ref().map(|i| i.to_string()))
                    .collect();
                crate::sort::sort(&mut now);
                let new = now.iter().filter(|ip| !before.contains(ip)).count() as u64;
                let mut counts = c.counts();
                if counts == CountSpec::default() {
                    counts.at_least = Some(1);
                }
                let (ok, d) = counted(
                    &format!(
                        "pods matching {:?} with an IP not seen at step start",
                        c.selector
                    ),
                    new,
                    counts,
                );
                let before_list = before
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    ok,
                    format!("{d}; IPs then: [{before_list}], now: [{}]", now.join(", ")),
                )
            }
            CheckKind::Object(c) => {
                let kind = crate::api::Kind::from_resource_arg(&c.kind)
                    .ok_or_else(|| format!("unknown resource type {:?}", c.kind))?;
                let found =
                    crate::kubectl::objects::get(api, kind, &c.namespace, &c.name).is_some();
                (
                    found == c.exists,
                    format!(
                        "{}/{} {}",
                        kind.name().to_lowercase(),
                        c.name,
                        if found { "exists" } else { "does not exist" }
                    ),
                )
            }
            CheckKind::RequestsFailedSinceStepStart(c) => {
                let (total, served) = since(sim, baseline);
                counted(
                    "requests not served since the step began",
                    total - served,
                    c.counts(),
                )
            }
            CheckKind::RequestsServedSinceStepStart(c) => {
                let (_, served) = since(sim, baseline);
                counted("requests served since the step began", served, c.counts())
            }
            CheckKind::ServingPodsSinceStepStart(c) => {
                let now = &sim.infra.dataplane.stats.total.by_pod;
                let pods: Vec<&String> = now
                    .iter()
                    .filter(|(pod, n)| {
                        **n > baseline.requests.by_pod.get(*pod).copied().unwrap_or(0)
                    })
                    .map(|(pod, _)| pod)
                    .collect();
                let list = pods
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let (ok, d) = counted(
                    "pods that served requests since the step began",
                    pods.len() as u64,
                    c.counts(),
                );
                (ok, format!("{d} [{list}]"))
            }
            CheckKind::Output(c) => {
                let wanted = super::template::normalize(&c.command);
                let resolved = super::template::resolve(&c.command, sim)
                    .ok()
                    .map(|l| super::template::normalize(&l));
                let Some((_, line, out)) = outputs.iter().rev().find(|(template, line, _)| {
                    template.as_deref().map(super::template::normalize).as_ref() == Some(&wanted)
                        || resolved.as_ref() == Some(&super::template::normalize(line))
                }) else {
                    return Ok((
                        false,
                        format!("`{}` has not been run in this step", c.command),
                    ));
                };
                let text = format!("{}{}", out.stdout, out.stderr);
                // Expected strings may hold placeholders too (`{{podIP app=web}}`).
                let fill = |s: &String| super::template::resolve(s, sim);
                let mut problems = Vec::new();
                if let Some(s) = &c.contains {
                    let s = fill(s)?;
                    if !text.contains(s.as_str()) {
                        problems.push(format!("does not contain {s:?}"));
                    }
                }
                if let Some(s) = &c.not_contains {
                    let s = fill(s)?;
                    if text.contains(s.as_str()) {
                        problems.push(format!("contains {s:?}"));
                    }
                }
                if let Some(parts) = &c.matches {
                    let parts = parts.iter().map(fill).collect::<Result<Vec<_>, _>>()?;
                    let mut rest = text.as_str();
                    for p in &parts {
                        match rest.find(p.as_str()) {
                            Some(i) => rest = &rest[i + p.len()..],
                            None => {
                                problems.push(format!(
                                    "does not contain {p:?} (after the earlier parts)"
                                ));
                                break;
                            }
                        }
                    }
                }
                if let Some(code) = c.exit_code {
                    if (code == 0) != out.ok {
                        problems.push(if out.ok {
                            "succeeded".to_string()
                        } else {
                            "failed".to_string()
                        });
                    }
                }
                if problems.is_empty() {
                    (true, format!("output of `{line}` is as expected"))
                } else {
                    let excerpt: String = text.lines().take(5).collect::<Vec<_>>().join(" | ");
                    (
                        false,
                        format!("output of `{line}` {}: {excerpt}", problems.join(", ")),
                    )
                }
            }
        })
    }
}

fn selector(s: &str) -> Result<Selector, String> {
    Selector::parse(s).map_err(|e| format!("selector {s:?}: {e}"))
}

fn pod_ready(p: &Pod) -> bool {
    p.status
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

fn service(sim: &Sim, name: &str) -> Result<std::rc::Rc<Service>, String> {
    sim.api
        .get::<Service>("default", name)
        .ok_or_else(|| format!("service {name:?} not found"))
}

fn slices_of(sim: &Sim, namespace: &str, service: &str) -> Vec<std::rc::Rc<EndpointSlice>> {
    sim.api
        .endpoint_slices
        .in_namespace(namespace)
        .filter(|s| {
            s.metadata
                .labels
                .get("kubernetes.io/service-name")
                .map(String::as_str)
                == Some(service)
        })
        .cloned()
        .collect()
}

/// (all requests, served requests) since the baseline.
fn since(sim: &Sim, baseline: &Baseline) -> (u64, u64) {
    let now = &sim.infra.dataplane.stats.total;
    let total = now.total().saturating_sub(baseline.requests.total());
    let served = now.by_kind[0].saturating_sub(baseline.requests.by_kind[0]);
    (total, served)
}
