//! Executes parsed commands against the API server with kubectl's success messages and
//! errors. Commands that block in real kubectl (`delete` waiting for the object to go,
//! `rollout status`, `drain`) return a [`FollowUp`] telling the caller (the `Sim`) to
//! advance virtual time; playground and data-plane verbs are handed back untouched.

use super::get::{get, object_json, resource_name};
use super::objects;
use super::parse::{
    Command, CreateOptions, DeleteOptions as DeleteFlags, LabelUpdate, OutputFormat, PatchType,
    Resources, RolloutAction, ServiceTypeArg,
};
use super::selector::parse_selector;
use super::table;
use super::{describe, CommandOutput, FileSource};
use crate::api::core::{Container, ContainerPort, ServicePort};
use crate::api::*;
use crate::apiserver::{ApiError, ApiServer, DeleteOptions, Deleted, ObjectKey, StatusReason};
use crate::manifest::{self, ManifestObject};
use crate::sort::CollectOrdered;
use serde_json::Value;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The annotation `kubectl apply` keeps its last applied configuration in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// The pod-template annotation `kubectl rollout restart` sets.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// The ReplicaSet annotation holding the Deployment revision.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The label the Deployment controller adds to its ReplicaSets and pods.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// What the caller must do after printing the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowUp {
    /// Advance time until these objects are gone (`delete`, `drain`, unless `--wait=false`).
    WaitForDeletion(Vec<(Kind, ObjectKey)>),
    /// Advance time, printing [`rollout_status`] messages as they change, until it is done.
    RolloutStatus {
        /// Namespace.
        namespace: String,
        /// Deployment name.
        name: String,
    },
    /// A playground or data-plane command the caller executes itself.
    Playground(Command),
}

/// The result of [`execute`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// What was printed.
    pub output: CommandOutput,
    /// What the caller must do next.
    pub follow_up: Option<FollowUp>,
}

impl From<CommandOutput> for Execution {
    fn from(output: CommandOutput) -> Self {
        Execution {
            output,
            follow_up: None,
        }
    }
}

/// Where a rollout stands, as `kubectl rollout status` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RolloutStatus {
    /// Still rolling; the message ends in `...`.
    Waiting(String),
    /// `deployment "web" successfully rolled out`.
    Done(String),
    /// The progress deadline passed.
    Failed(String),
}

impl RolloutStatus {
    /// The line to print.
    pub fn message(&self) -> &str {
        match self {
            RolloutStatus::Waiting(m) | RolloutStatus::Done(m) | RolloutStatus::Failed(m) => m,
        }
    }
}

/// kubectl's `DeploymentStatusViewer.Status`, message by message.
pub fn rollout_status(d: &Deployment) -> RolloutStatus {
    let name = &d.metadata.name;
    if d.metadata.generation > d.status.observed_generation {
        return RolloutStatus::Waiting(
            "Waiting for deployment spec update to be observed...".to_string(),
        );
    }
    let timed_out = d.status.conditions.iter().any(|c| {
        c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    if timed_out {
        return RolloutStatus::Failed(format!(
            "error: deployment \"{name}\" exceeded its progress deadline"
        ));
    }
    let s = &d.status;
    if let Some(want) = d.spec.replicas {
        if s.updated_replicas < want {
            return RolloutStatus::Waiting(format!(
                "Waiting for deployment \"{name}\" rollout to finish: {} out of {want} new replicas have been updated...",
                s.updated_replicas
            ));
        }
    }
    if s.replicas > s.updated_replicas {
        return RolloutStatus::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
            s.replicas - s.updated_replicas
        ));
    }
    if s.available_replicas < s.updated_replicas {
        return RolloutStatus::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} of {} updated replicas are available...",
            s.available_replicas, s.updated_replicas
        ));
    }
    RolloutStatus::Done(format!("deployment \"{name}\" successfully rolled out"))
}

fn ns_or_default(ns: &Option<String>) -> String {
    ns.clone().unwrap_or_else(|| "default".to_string())
}

fn api_err(e: ApiError) -> CommandOutput {
    CommandOutput::error(e.kubectl_message())
}

/// Runs one parsed command.
pub fn execute(api: &mut ApiServer, cmd: &Command, files: &dyn FileSource) -> Execution {
    match cmd {
        Command::Empty => CommandOutput::ok("").into(),
        Command::Get(g) => get(api, g).into(),
        Command::Describe(d) => describe::describe(api, d).into(),
        Command::Apply {
            files: paths,
            namespace,
        } => with_files(api, paths, namespace, files, FileVerb::Apply),
        Command::CreateFromFiles {
            files: paths,
            namespace,
        } => with_files(api, paths, namespace, files, FileVerb::Create),
        Command::DeleteFromFiles {
            files: paths,
            namespace,
            options,
        } => with_files(api, paths, namespace, files, FileVerb::Delete(options)),
        Command::CreateDeployment {
            name,
            images,
            replicas,
            port,
            options,
        } => {
            let obj = build_deployment(name, images, *replicas, *port, options);
            create_built(api, obj, options, "created")
        }
        Command::CreateService {
            type_,
            name,
            tcp,
            node_port,
            external_name,
            cluster_ip,
            options,
        } => {
            let obj = build_service(
                *type_,
                name,
                tcp,
                *node_port,
                external_name,
                cluster_ip,
                options,
            );
            create_built(api, obj, options, "created")
        }
        Command::Run {
            name,
            image,
            labels,
            port,
            restart,
            args,
            command,
            options,
        } => {
            use crate::api::core::{Container, ContainerPort};
            let mut pod = Pod::default();
            pod.metadata.name = name.clone().into();
            pod.metadata.namespace = (ns_or_default(&options.namespace)).into();
            pod.metadata.labels = labels.iter().cloned().collect_map().into();
            let mut c = Container {
                name: name.clone(),
                image: image.clone(),
                ports: port
                    .map(|p| {
                        vec![ContainerPort {
                            container_port: p,
                            ..Default::default()
                        }]
                    })
                    .unwrap_or_default(),
                ..Default::default()
            };
            if !args.is_empty() {
                let key = if *command { "command" } else { "args" };
                c.extra.insert(key.into(), serde_json::json!(args));
            }
            pod.spec.containers = vec![c].into();
            pod.spec.restart_policy = restart.clone().map(Into::into);
            pod.set_type_meta();
            create_built(api, Object::Pod(Rc::new(pod)), options, "created")
        }
        Command::CreateNamespace { name, options } => {
            let mut n = Namespace::default();
            n.metadata.name = name.clone().into();
            n.set_type_meta();
            create_built(api, Object::Namespace(Rc::new(n)), options, "created")
        }
        Command::Expose {
            kind,
            name,
            port,
            target_port,
            type_,
            service_name,
            protocol,
            options,
        } => {
            let ns = ns_or_default(&options.namespace);
            match build_exposed_service(
                api,
                *kind,
                &ns,
                name,
                *port,
                target_port,
                type_,
                service_name,
                protocol,
            ) {
                Ok(svc) => create_built(api, svc, options, "exposed"),
                Err(out) => out.into(),
            }
        }
        Command::Scale {
            targets,
            replicas,
            namespace,
        } => scale(api, targets, *replicas, &ns_or_default(namespace)).into(),
        Command::SetImage {
            targets,
            images,
            namespace,
        } => set_image(api, targets, images, &ns_or_default(namespace)).into(),
        Command::Rollout {
            action,
            targets,
            namespace,
        } => rollout(api, *action, targets, &ns_or_default(namespace)),
        Command::Label {
            annotate,
            resources,
            updates,
            overwrite,
            selector,
            all,
            namespace,
        } => label(
            api,
            *annotate,
            resources,
            updates,
            *overwrite,
            selector.as_deref(),
            *all,
            &ns_or_default(namespace),
        )
        .into(),
        Command::Delete {
            resources,
            selector,
            all,
            namespace,
            options,
        } => delete(
            api,
            resources,
            selector.as_deref(),
            *all,
            &ns_or_default(namespace),
            options,
        ),
        Command::Cordon { nodes, cordon: on } => cordon(api, nodes, *on).into(),
        Command::Drain {
            node,
            ignore_daemonsets: _,
            delete_emptydir_data,
            force,
            grace_period,
        } => drain(api, node, *delete_emptydir_data, *force, *grace_period),
        Command::Patch {
            kind,
            name,
            patch: text,
            patch_type,
            namespace,
        } => patch(
            api,
            *kind,
            name,
            text,
            *patch_type,
            &ns_or_default(namespace),
        )
        .into(),
        Command::Wait { .. }
        | Command::NodeFail { .. }
        | Command::NodeRecover { .. }
        | Command::NodeAdd { .. }
        | Command::Extension { .. } => Execution {
            output: CommandOutput::ok(""),
            follow_up: Some(FollowUp::Playground(cmd.clone())),
        },
    }
}

// ------------------------------------------------------------------ files

enum FileVerb<'a> {
    Apply,
    Create,
    Delete(&'a DeleteFlags),
}

fn with_files(
    api: &mut ApiServer,
    paths: &[String],
    namespace: &Option<String>,
    files: &dyn FileSource,
    verb: FileVerb<'_>,
) -> Execution {
    // Read and type everything first: a bad document anywhere changes nothing.
    let mut docs: Vec<(String, ManifestObject)> = Vec::new();
    for p in paths {
        let Some(text) = files.read(p) else {
            return CommandOutput::error(format!("error: the path \"{p}\" does not exist")).into();
        };
        let source = if p == "-" { "STDIN" } else { p.as_str() };
        match manifest::parse_manifest(&text, source) {
            Ok(objs) => docs.extend(objs.into_iter().map(|o| (source.to_string(), o))),
            Err(e) => return CommandOutput::error(e.message).into(),
        }
    }
    if docs.is_empty() {
        return CommandOutput::error("error: no objects passed to apply").into();
    }
    let mut out = CommandOutput {
        ok: true,
        ..Default::default()
    };
    // Namespace conflicts are checked before anything is written, as kubectl does.
    for (_, d) in &docs {
        let m = d.object.meta();
        if let (Some(flag), false) = (namespace, m.namespace.is_empty()) {
            if d.object.kind().namespaced() && *flag != m.namespace {
                return CommandOutput::error(format!(
                    "error: the namespace from the provided object \"{}\" does not match the namespace \"{flag}\". You must pass '--namespace={}' to perform this operation.",
                    m.namespace, m.namespace
                ))
                .into();
            }
        }
    }
    let mut waits = Vec::new();
    for (source, d) in &docs {
        if let Some(n) = manifest::not_simulated_notice(d) {
            if !matches!(verb, FileVerb::Delete(_)) {
                out.err(n);
            }
        }
        let kind = d.object.kind();
        let ns = if kind.namespaced() {
            let m = &d.object.meta().namespace;
            if m.is_empty() {
                ns_or_default(namespace)
            } else {
                m.to_string()
            }
        } else {
            String::new()
        };
        let name = d.object.meta().name.clone();
        let result = match verb {
            FileVerb::Apply => apply_one(api, d, &ns, source),
            FileVerb::Create => {
                let obj = objects::with_namespace(&d.object, &ns);
                objects::create(api, &strip_server_fields(&obj))
                    .map(|o| format!("{} created", resource_name(&o)))
                    .map_err(|e| file_error(e, "creating", source))
            }
            FileVerb::Delete(flags) => {
                match objects::delete(api, kind, &ns, &name, delete_options(flags)) {
                    Ok(r) => {
                        if r == Deleted::Terminating {
                            waits.push((kind, ObjectKey::new(objects::scope(kind, &ns), &name)));
                        }
                        Ok(format!("{} \"{name}\" deleted", kind.kind_group()))
                    }
                    Err(e) => Err(e.kubectl_message()),
                }
            }
        };
        match result {
            Ok(line) => out.out(line),
            Err(e) => {
                out.err(e);
                out.ok = false;
            }
        }
    }
    let wait = match verb {
        FileVerb::Delete(flags) => flags.wait,
        _ => false,
    };
    Execution {
        output: out,
        follow_up: (wait && !waits.is_empty()).then_some(FollowUp::WaitForDeletion(waits)),
    }
}

fn file_error(e: ApiError, doing: &str, source: &str) -> String {
    match e.reason {
        StatusReason::Invalid => e.kubectl_message(),
        r => format!(
            "Error from server ({}): error when {doing} \"{source}\": {}",
            r.as_str(),
            e.message
        ),
    }
}

/// Fields a client must not set (the server owns them); `status` is a subresource, ignored on
/// create and update of the main resource.
fn strip_server_fields_json(v: &mut Value) {
    if let Value::Object(m) = v {
        m.remove("status");
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            for k in [
                "creationTimestamp",
                "uid",
                "resourceVersion",
                "generation",
                "managedFields",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
            ] {
                meta.remove(k);
            }
        }
    }
}

fn strip_server_fields(obj: &Object) -> Object {
    let mut v = obj.to_json();
    strip_server_fields_json(&mut v);
    objects::from_json(obj.kind(), v).unwrap_or_else(|_| obj.clone())
}

/// Three-way merge: start from the live object; what the manifest sets replaces (maps merge
/// recursively, lists are replaced whole); what the last applied configuration had and the
/// manifest no longer has is removed; `null` in the manifest removes.
pub fn three_way_merge(live: &mut Value, last: Option<&Value>, new: &Value) {
    match (live, new) {
        (Value::Object(l), Value::Object(n)) => {
            if let Some(Value::Object(prev)) = last {
                for k in prev.keys() {
                    if !n.contains_key(k) {
                        l.remove(k);
                    }
                }
            }
            for (k, v) in n {
                if v.is_null() {
                    l.remove(k);
                    continue;
                }
                let prev = last.and_then(|p| p.get(k));
                match l.get_mut(k) {
                    Some(lv) if lv.is_object() && v.is_object() => three_way_merge(lv, prev, v),
                    _ => {
                        l.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (l, n) => *l = n.clone(),
    }
}

fn apply_one(
    api: &mut ApiServer,
    d: &ManifestObject,
    ns: &str,
    source: &str,
) -> Result<String, String> {
    let kind = d.object.kind();
    let name = d.object.meta().name.clone();
    let mut desired = d.raw.clone();
    strip_server_fields_json(&mut desired);
    // The annotation holds the manifest itself (without the annotation), compact.
    if let Some(Value::Object(a)) = desired
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
    {
        a.remove(LAST_APPLIED);
    }
    let last_applied = serde_json::to_string(&manifest::sorted(&desired)).unwrap_or_default();
    set_annotation(&mut desired, LAST_APPLIED, &last_applied);
    if let Some(Value::Object(meta)) = desired.get_mut("metadata") {
        if kind.namespaced() {
            meta.insert("namespace".into(), Value::String(ns.to_string()));
        }
    }
    match objects::get(api, kind, ns, &name) {
        None => {
            let obj = objects::from_json(kind, desired).map_err(|e| format!("error: {e}"))?;
            objects::create(api, &obj)
                .map(|o| format!("{} created", resource_name(&o)))
                .map_err(|e| file_error(e, "creating", source))
        }
        Some(live) => {
            let mut merged = live.to_json();
            let last: Option<Value> = live
                .meta()
                .annotations
                .get(LAST_APPLIED)
                // Bytes, not `from_str`: see `manifest::documents`.
                .and_then(|s| serde_json::from_slice(s.as_bytes()).ok());
            three_way_merge(&mut merged, last.as_ref(), &desired);
            let next = objects::from_json(kind, merged).map_err(|e| format!("error: {e}"))?;
            // The API server turns a write that changes nothing (after defaulting) into a no-op
            // that keeps the resourceVersion: that is what kubectl reports as "unchanged".
            objects::update(api, &next)
                .map(|o| {
                    let verb = if o.meta().resource_version == live.meta().resource_version {
                        "unchanged"
                    } else {
                        "configured"
                    };
                    format!("{} {verb}", resource_name(&o))
                })
                .map_err(|e| file_error(e, "patching", source))
        }
    }
}

fn set_annotation(v: &mut Value, key: &str, value: &str) {
    if let Value::Object(m) = v {
        let meta = m
            .entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(meta) = meta {
            let ann = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Value::Object(a) = ann {
                a.insert(key.to_string(), Value::String(value.to_string()));
            }
        }
    }
}

// ------------------------------------------------------------------ imperative create

/// The container name `kubectl create deployment` derives from an image reference.
pub fn container_name_for_image(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let name = last.split(':').next().unwrap_or(last);
    let name = name.split('@').next().unwrap_or(name);
    name.replace(['_', '.'], "-")
}

fn build_deployment(
    name: &str,
    images: &[String],
    replicas: i32,
    port: Option<i32>,
    options: &CreateOptions,
) -> Object {
    let labels: BTreeMap<String, String> = [("app".to_string(), name.to_string())].into();
    let mut d = Deployment::default();
    d.metadata.name = name.into();
    d.metadata.namespace = options.namespace.clone().unwrap_or_default().into();
    d.metadata.labels = labels.clone().into();
    d.spec.replicas = Some(replicas);
    d.spec.selector = Some(LabelSelector {
        match_labels: labels.clone().into(),
        ..Default::default()
    });
    d.spec.template.metadata.labels = labels.into();
    let mut used: Vec<String> = Vec::new();
    for image in images {
        let mut cname = container_name_for_image(image);
        if used.contains(&cname) {
            cname = format!("{cname}-{}", used.len());
        }
        used.push(cname.clone());
        let mut c = Container {
            name: cname,
            image: image.clone(),
            ..Default::default()
        };
        c.extra
            .insert("resources".into(), Value::Object(Default::default()));
        d.spec.template.spec.containers.push(c);
    }
    if let (Some(p), Some(c)) = (port, d.spec.template.spec.containers.first_mut()) {
        c.ports.push(ContainerPort {
            container_port: p,
            ..Default::default()
        });
    }
    d.set_type_meta();
    Object::Deployment(Rc::new(d))
}

fn service_port_from_spec(spec: &str, node_port: Option<i32>) -> ServicePort {
    let mut parts = spec.split(':');
    let port: i32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let target = parts.next().map(|t| match t.parse::<i32>() {
        Ok(n) => IntOrString::Int(n),
        Err(_) => IntOrString::String(t.to_string()),
    });
    ServicePort {
        name: Some(spec.replace(':', "-")),
        protocol: Some("TCP".into()),
        port,
        target_port: Some(target.unwrap_or(IntOrString::Int(port))),
        node_port,
        ..Default::default()
    }
}

fn build_service(
    type_: ServiceTypeArg,
    name: &str,
    tcp: &[String],
    node_port: Option<i32>,
    external_name: &Option<String>,
    cluster_ip: &Option<String>,
    options: &CreateOptions,
) -> Object {
    let labels: BTreeMap<String, String> = [("app".to_string(), name.to_string())].into();
    let mut s = Service::default();
    s.metadata.name = name.into();
    s.metadata.namespace = options.namespace.clone().unwrap_or_default().into();
    s.metadata.labels = labels.clone().into();
    s.spec.selector = Some(labels);
    s.spec.type_ = Some(type_.type_name().to_string());
    s.spec.ports = tcp
        .iter()
        .map(|t| service_port_from_spec(t, node_port))
        .collect();
    s.spec.external_name = external_name.clone();
    s.spec.cluster_ip = cluster_ip.clone();
    s.set_type_meta();
    Object::Service(Rc::new(s))
}

#[allow(clippy::too_many_arguments)]
fn build_exposed_service(
    api: &ApiServer,
    kind: Kind,
    ns: &str,
    name: &str,
    port: Option<i32>,
    target_port: &Option<String>,
    type_: &Option<String>,
    service_name: &Option<String>,
    protocol: &Option<String>,
) -> Result<Object, CommandOutput> {
    let obj = objects::get(api, kind, ns, name)
        .ok_or_else(|| api_err(ApiError::not_found(kind, name)))?;
    let (selector, pod_spec): (
        Option<BTreeMap<String, String>>,
        Option<crate::api::shared::Shared<crate::api::core::PodSpec>>,
    ) = match &obj {
        Object::Deployment(d) => (
            selector_map(d.spec.selector.as_ref())?,
            Some(d.spec.template.spec.clone()),
        ),
        Object::ReplicaSet(r) => (
            selector_map(r.spec.selector.as_ref())?,
            Some(r.spec.template.spec.clone()),
        ),
        Object::ReplicationController(r) => (
            r.spec.selector.clone(),
            r.spec.template.clone().map(|t| t.spec),
        ),
        Object::Pod(p) => (Some((*p.metadata.labels).clone()), Some(p.spec.clone())),
        Object::Service(s) => (s.spec.selector.clone(), None),
        _ => (None, None),
    };
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return Err(CommandOutput::error(format!(
            "error: couldn't retrieve selectors via --selector flag or introspection: the {} has no selector",
            kind.name()
        )));
    };
    let proto = protocol.clone().unwrap_or_else(|| "TCP".into());
    let target = |p: i32| {
        Some(match target_port {
            Some(t) => match t.parse::<i32>() {
                Ok(n) => IntOrString::Int(n),
                Err(_) => IntOrString::String(t.clone()),
            },
            None => IntOrString::Int(p),
        })
    };
    let ports: Vec<ServicePort> = match port {
        Some(p) => vec![ServicePort {
            port: p,
            protocol: Some(proto.clone()),
            target_port: target(p),
            ..Default::default()
        }],
        None => {
            let found: Vec<i32> = match (&obj, &pod_spec) {
                (Object::Service(s), _) => s.spec.ports.iter().map(|p| p.port).collect(),
                (_, Some(spec)) => spec
                    .containers
                    .iter()
                    .flat_map(|c| c.ports.iter().map(|p| p.container_port))
                    .collect(),
                _ => vec![],
            };
            if found.is_empty() {
                return Err(CommandOutput::error(
                    "error: couldn't find port via --port flag or introspection",
                ));
            }
            let many = found.len() > 1;
            found
                .iter()
                .enumerate()
                .map(|(i, p)| ServicePort {
                    name: many.then(|| format!("port-{}", i + 1)),
                    port: *p,
                    protocol: Some(proto.clone()),
                    target_port: target(*p),
                    ..Default::default()
                })
                .collect()
        }
    };
    let mut s = Service::default();
    s.metadata.name = service_name
        .clone()
        .unwrap_or_else(|| name.to_string())
        .into();
    s.metadata.namespace = ns.into();
    s.metadata.labels = obj.meta().labels.clone();
    s.spec.selector = Some(selector);
    s.spec.ports = ports;
    s.spec.type_ = type_.clone();
    s.set_type_meta();
    Ok(Object::Service(Rc::new(s)))
}

fn selector_map(
    sel: Option<&LabelSelector>,
) -> Result<Option<BTreeMap<String, String>>, CommandOutput> {
    match sel {
        Some(s) if !s.match_expressions.is_empty() => Err(CommandOutput::error(
            "error: couldn't convert expressions - \"matchExpressions\" to map-based selector format",
        )),
        Some(s) => Ok(Some((*s.match_labels).clone())),
        None => Ok(None),
    }
}

/// Prints or stores an object built by an imperative `create`/`expose`.
fn create_built(
    api: &mut ApiServer,
    obj: Object,
    options: &CreateOptions,
    verb: &str,
) -> Execution {
    let obj = if obj.kind().namespaced() {
        let ns = ns_or_default(&options.namespace);
        if options.dry_run && options.namespace.is_none() {
            obj
        } else {
            objects::with_namespace(&obj, &ns)
        }
    } else {
        obj
    };
    let shown = if options.dry_run {
        obj
    } else {
        match objects::create(api, &obj) {
            Ok(o) => o,
            Err(e) => return api_err(e).into(),
        }
    };
    let suffix = if options.dry_run { " (dry run)" } else { "" };
    let text = match options.output {
        Some(OutputFormat::Json) => manifest::to_json(&object_json(&shown)),
        Some(OutputFormat::Yaml) => manifest::to_yaml(&object_json(&shown)),
        Some(OutputFormat::Name) => format!("{}\n", resource_name(&shown)),
        _ => format!("{} {verb}{suffix}\n", resource_name(&shown)),
    };
    CommandOutput::ok(text).into()
}

// ------------------------------------------------------------------ workloads

fn scale(
    api: &mut ApiServer,
    targets: &[(Kind, String)],
    replicas: i32,
    ns: &str,
) -> CommandOutput {
    let mut out = CommandOutput {
        ok: true,
        ..Default::default()
    };
    for (kind, name) in targets {
        let r = match kind {
            Kind::Deployment => api
                .modify::<Deployment>(ns, name, |d| d.spec.replicas = Some(replicas))
                .map(|_| ()),
            Kind::ReplicaSet => api
                .modify::<ReplicaSet>(ns, name, |d| d.spec.replicas = Some(replicas))
                .map(|_| ()),
            Kind::ReplicationController => api
                .modify::<ReplicationController>(ns, name, |d| d.spec.replicas = Some(replicas))
                .map(|_| ()),
            _ => Err(ApiError {
                reason: StatusReason::NotFound,
                message: "the server could not find the requested resource".into(),
            }),
        };
        match r {
            Ok(()) => out.out(format!("{}/{name} scaled", kind.kind_group())),
            Err(e) => {
                out.err(e.kubectl_message());
                out.ok = false;
            }
        }
    }
    out
}

/// Sets container images; on an unknown container name nothing is changed.
fn set_images(containers: &mut Vec<Container>, images: &[(String, String)]) -> Result<(), String> {
    let mut next = containers.clone();
    set_images_in(&mut next, images)?;
    *containers = next;
    Ok(())
}

fn set_images_in(containers: &mut [Container], images: &[(String, String)]) -> Result<(), String> {
    for (c, img) in images {
        if c == "*" {
            for k in containers.iter_mut() {
                k.image = img.clone();
            }
            continue;
        }
        match containers.iter_mut().find(|k| k.name == *c) {
            Some(k) => k.image = img.clone(),
            None => return Err(format!("error: unable to find container named \"{c}\"")),
        }
    }
    Ok(())
}

fn set_image(
    api: &mut ApiServer,
    targets: &[(Kind, String)],
    images: &[(String, String)],
    ns: &str,
) -> CommandOutput {
    let mut out = CommandOutput {
        ok: true,
        ..Default::default()
    };
    for (kind, name) in targets {
        let mut check: Option<String> = None;
        let r = match kind {
            Kind::Deployment => api
                .modify::<Deployment>(ns, name, |d| {
                    check = set_images(&mut d.spec.template.spec.containers, images).err();
                })
                .map(|_| ()),
            Kind::ReplicaSet => api
                .modify::<ReplicaSet>(ns, name, |d| {
                    check = set_images(&mut d.spec.template.spec.containers, images).err();
                })
                .map(|_| ()),
            Kind::Pod => api
                .modify::<Pod>(ns, name, |p| {
                    check = set_images(&mut p.spec.containers, images).err();
                })
                .map(|_| ()),
            Kind::ReplicationController => api
                .modify::<ReplicationController>(ns, name, |d| {
                    if let Some(t) = d.spec.template.as_mut() {
                        check = set_images(&mut t.spec.containers, images).err();
                    }
                })
                .map(|_| ()),
            other => Err(ApiError {
                reason: StatusReason::BadRequest,
                message: format!("cannot set image on a {}", other.name()),
            }),
        };
        match (r, check) {
            (_, Some(e)) => {
                out.err(e);
                out.ok = false;
            }
            (Ok(()), None) => out.out(format!("{}/{name} image updated", kind.kind_group())),
            (Err(e), None) => {
                out.err(e.kubectl_message());
                out.ok = false;
            }
        }
    }
    out
}

/// ReplicaSets controlled by `d`, with their revisions, oldest first.
pub fn owned_replica_sets(api: &ApiServer, d: &Deployment) -> Vec<(i64, Rc<ReplicaSet>)> {
    let mut v: Vec<(i64, Rc<ReplicaSet>)> = api
        .replica_sets
        .owned_by(&d.metadata.uid)
        .into_iter()
        .filter(|rs| {
            rs.metadata
                .controller_ref()
                .is_some_and(|o| o.uid == d.metadata.uid)
        })
        .map(|rs| {
            let rev = rs
                .metadata
                .annotations
                .get(REVISION)
                .and_then(|r| r.parse().ok())
                .unwrap_or(0);
            (rev, rs)
        })
        .collect();
    crate::sort::sort_by(&mut v, |a, b| {
        a.0.cmp(&b.0)
            .then(a.1.metadata.name.cmp(&b.1.metadata.name))
    });
    v
}

fn template_without_hash(
    t: &crate::api::core::PodTemplateSpec,
) -> crate::api::core::PodTemplateSpec {
    let mut t = t.clone();
    t.metadata.labels.remove(POD_TEMPLATE_HASH);
    t
}

fn rollout(
    api: &mut ApiServer,
    action: RolloutAction,
    targets: &[(Kind, String)],
    ns: &str,
) -> Execution {
    let mut out = CommandOutput {
        ok: true,
        ..Default::default()
    };
    let mut follow = None;
    for (kind, name) in targets {
        if *kind != Kind::Deployment {
            out.err(format!(
                "error: no {} has been implemented for {}",
                match action {
                    RolloutAction::Status => "status viewer",
                    RolloutAction::History => "history viewer",
                    RolloutAction::Undo { .. } => "rollbacker",
                    _ => "pauser/resumer/restarter",
                },
                kind.name()
            ));
            out.ok = false;
            continue;
        }
        let d = match api.get_or_not_found::<Deployment>(ns, name) {
            Ok(d) => d,
            Err(e) => {
                out.err(e.kubectl_message());
                out.ok = false;
                continue;
            }
        };
        let res = format!("{}/{name}", kind.kind_group());
        let gr = kind.group_resource();
        let r: Result<String, String> = match action {
            RolloutAction::Status => match rollout_status(&d) {
                RolloutStatus::Done(m) => Ok(m),
                RolloutStatus::Failed(m) => Err(m),
                RolloutStatus::Waiting(m) => {
                    follow = Some(FollowUp::RolloutStatus {
                        namespace: ns.to_string(),
                        name: name.clone(),
                    });
                    Ok(m)
                }
            },
            RolloutAction::History => {
                let rss = owned_replica_sets(api, &d);
                if rss.is_empty() {
                    Ok("No rollout history found.".to_string())
                } else {
                    let mut rows = vec![vec!["REVISION".to_string(), "CHANGE-CAUSE".to_string()]];
                    for (rev, rs) in &rss {
                        let cause = rs
                            .metadata
                            .annotations
                            .get("kubernetes.io/change-cause")
                            .cloned()
                            .unwrap_or_else(|| "<none>".to_string());
                        rows.push(vec![rev.to_string(), cause]);
                    }
                    Ok(format!("{res} \n{}", table::render_with(&rows, 0, 2)))
                }
            }
            RolloutAction::Pause => {
                if d.spec.paused {
                    Err(format!("error: {gr} \"{name}\" is already paused"))
                } else {
                    api.modify::<Deployment>(ns, name, |d| d.spec.paused = true)
                        .map(|_| format!("{res} paused"))
                        .map_err(|e| e.kubectl_message())
                }
            }
            RolloutAction::Resume => {
                if !d.spec.paused {
                    Err(format!("error: {gr} \"{name}\" is not paused"))
                } else {
                    api.modify::<Deployment>(ns, name, |d| d.spec.paused = false)
                        .map(|_| format!("{res} resumed"))
                        .map_err(|e| e.kubectl_message())
                }
            }
            RolloutAction::Restart => {
                if d.spec.paused {
                    Err(format!(
                        "error: {gr} \"{name}\" can't restart paused deployment (run rollout resume first)"
                    ))
                } else {
                    let stamp = crate::time::to_time(api.now).to_string();
                    api.modify::<Deployment>(ns, name, |d| {
                        d.spec
                            .template
                            .metadata
                            .annotations
                            .insert(RESTARTED_AT.to_string(), stamp);
                    })
                    .map(|_| format!("{res} restarted"))
                    .map_err(|e| e.kubectl_message())
                }
            }
            RolloutAction::Undo { to_revision } => undo(api, &d, to_revision, ns, &res),
        };
        match r {
            Ok(m) => out.out(m),
            Err(e) => {
                out.err(e);
                out.ok = false;
            }
        }
    }
    Execution {
        output: out,
        follow_up: follow,
    }
}

/// `kubectl rollout undo`, client side as kubectl does it: copy the chosen ReplicaSet's
/// template (minus `pod-template-hash`) into the Deployment.
fn undo(
    api: &mut ApiServer,
    d: &Deployment,
    to_revision: i64,
    ns: &str,
    res: &str,
) -> Result<String, String> {
    let name = &d.metadata.name;
    if d.spec.paused {
        return Err("error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again".to_string());
    }
    let rss = owned_replica_sets(api, d);
    let target = if to_revision > 0 {
        match rss.iter().find(|(r, _)| *r == to_revision) {
            Some(x) => x.clone(),
            None => {
                return Err(format!(
                    "error: unable to find specified revision {to_revision} in history"
                ))
            }
        }
    } else {
        // The previous revision: the second highest.
        if rss.len() < 2 {
            return Err(format!(
                "error: no rollout history found for deployment \"{name}\""
            ));
        }
        rss[rss.len() - 2].clone()
    };
    let (rev, rs) = target;
    let template = template_without_hash(&rs.spec.template);
    if template == template_without_hash(&d.spec.template) {
        return Ok(format!(
            "{res} skipped rollback (current template already matches revision {rev})"
        ));
    }
    api.modify::<Deployment>(ns, name, |d| d.spec.template = template)
        .map(|_| format!("{res} rolled back"))
        .map_err(|e| e.kubectl_message())
}

// ------------------------------------------------------------------ metadata

/// Objects addressed by names, a selector or `--all`.
fn select(
    api: &ApiServer,
    resources: &Resources,
    selector: Option<&str>,
    all: bool,
    ns: &str,
) -> Result<(Vec<Object>, Vec<ApiError>), CommandOutput> {
    let sel = match selector.map(parse_selector) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => return Err(CommandOutput::error(e)),
    };
    let mut objs = Vec::new();
    let mut errs = Vec::new();
    for (kind, names) in &resources.items {
        if names.is_empty() && (all || sel.is_some()) {
            for o in objects::list(api, *kind, Some(ns)) {
                if sel.as_ref().is_none_or(|s| s.matches(&o.meta().labels)) {
                    objs.push(o);
                }
            }
        } else {
            for n in names {
                match objects::get(api, *kind, ns, n) {
                    Some(o) => objs.push(o),
                    None => errs.push(ApiError::not_found(*kind, n)),
                }
            }
        }
    }
    Ok((objs, errs))
}

#[allow(clippy::too_many_arguments)]
fn label(
    api: &mut ApiServer,
    annotate: bool,
    resources: &Resources,
    updates: &[LabelUpdate],
    overwrite: bool,
    selector: Option<&str>,
    all: bool,
    ns: &str,
) -> CommandOutput {
    let (objs, errs) = match select(api, resources, selector, all, ns) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let mut out = CommandOutput {
        ok: true,
        ..Default::default()
    };
    for e in errs {
        out.err(e.kubectl_message());
        out.ok = false;
    }
    for o in objs {
        let current = if annotate {
            &o.meta().annotations
        } else {
            &o.meta().labels
        };
        let mut next = current.clone();
        let mut failed = None;
        for u in updates {
            match u {
                LabelUpdate::Set(k, v) => {
                    if let Some(old) = current.get(k) {
                        if !overwrite && old != v {
                            failed = Some(format!(
                                "error: '{k}' already has a value ({old}), and --overwrite is false"
                            ));
                            break;
                        }
                    }
                    next.insert(k.clone(), v.clone());
                }
                LabelUpdate::Remove(k) => {
                    if next.remove(k).is_none() {
                        out.err(format!(
                            "{} \"{k}\" not found.",
                            if annotate { "annotation" } else { "label" }
                        ));
                    }
                }
            }
        }
        if let Some(e) = failed {
            out.err(e);
            out.ok = false;
            continue;
        }
        let msg = if annotate {
            "annotated"
        } else if next == *current {
            "not labeled"
        } else if !overwrite && next.len() < current.len() {
            "unlabeled"
        } else {
            "labeled"
        };
        let kind = o.kind();
        let name = o.meta().name.clone();
        let oldns = o.meta().namespace.clone();
        match objects::modify_meta(api, kind, &oldns, &name, annotate, |m| *m = next) {
            Ok(_) => out.out(format!("{} {msg}", resource_name(&o))),
            Err(e) => {
                out.err(e.kubectl_message());
                out.ok = false;
            }
        }
    }
    out
}

// ------------------------------------------------------------------ delete

fn delete_options(flags: &DeleteFlags) -> DeleteOptions {
    let grace = if flags.now {
        Some(1)
    } else {
        match (flags.grace_period, flags.force) {
            (Some(g), _) if g >= 0 => Some(if g == 0 && !flags.force { 1 } else { g }),
            (_, true) => Some(0),
            _ => None,
        }
    };
    DeleteOptions {
        grace_period_seconds: grace,
    }
}

const FORCE_WARNING: &str = "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.";

fn delete(
    api: &mut ApiServer,
    resources: &Resources,
    selector: Option<&str>,
    all: bool,
    ns: &str,
    flags: &DeleteFlags,
) -> Execution {
    let (objs, errs) = match select(api, resources, selector, all, ns) {
        Ok(x) => x,
        Err(e) => return e.into(),
    };
    let mut out = CommandOutput {
        ok: true,
        ..Default::default()
    };
    let opts = delete_options(flags);
    let forced = opts.grace_period_seconds == Some(0);
    if forced && !objs.is_empty() {
        out.err(FORCE_WARNING);
    }
    let mut waits = Vec::new();
    for o in &objs {
        let kind = o.kind();
        let name = o.meta().name.clone();
        let ons = o.meta().namespace.clone();
        match objects::delete(api, kind, &ons, &name, opts) {
            Ok(r) => {
                if r == Deleted::Terminating {
                    waits.push((kind, ObjectKey::new(ons.clone(), name.clone())));
                }
                let verb = if forced { "force deleted" } else { "deleted" };
                out.out(format!("{} \"{name}\" {verb}", kind.kind_group()));
            }
            Err(e) => {
                out.err(e.kubectl_message());
                out.ok = false;
            }
        }
    }
    for e in errs {
        if flags.ignore_not_found && e.reason == StatusReason::NotFound {
            continue;
        }
        out.err(e.kubectl_message());
        out.ok = false;
    }
    if objs.is_empty() && out.ok && !resources.has_names() {
        out.out("No resources found");
    }
    Execution {
        output: out,
        follow_up: (flags.wait && !waits.is_empty()).then_some(FollowUp::WaitForDeletion(waits)),
    }
}

// ------------------------------------------------------------------ nodes

fn cordon(api: &mut ApiServer, nodes: &[String], on: bool) -> CommandOutput {
    let mut out = CommandOutput {
        ok: true,
        ..Default::default()
    };
    let verb = if on { "cordoned" } else { "uncordoned" };
    for n in nodes {
        match api.get_or_not_found::<Node>("", n) {
            Err(e) => {
                out.err(e.kubectl_message());
                out.ok = false;
            }
            Ok(node) if node.spec.unschedulable == on => {
                out.out(format!("node/{n} already {verb}"))
            }
            Ok(_) => match api.modify::<Node>("", n, |x| x.spec.unschedulable = on) {
                Ok(_) => out.out(format!("node/{n} {verb}")),
                Err(e) => {
                    out.err(e.kubectl_message());
                    out.ok = false;
                }
            },
        }
    }
    out
}

fn has_empty_dir(p: &Pod) -> bool {
    p.spec
        .extra
        .get("volumes")
        .and_then(Value::as_array)
        .is_some_and(|vs| vs.iter().any(|v| v.get("emptyDir").is_some()))
}

fn drain(
    api: &mut ApiServer,
    node: &str,
    delete_emptydir_data: bool,
    force: bool,
    grace: Option<i64>,
) -> Execution {
    let mut out = cordon(api, &[node.to_string()], true);
    if !out.ok {
        return out.into();
    }
    let pods = api.pods.on_node(node);
    let mut unmanaged = Vec::new();
    let mut local = Vec::new();
    for p in &pods {
        let key = format!("{}/{}", p.metadata.namespace, p.metadata.name);
        if p.metadata.controller_ref().is_none() {
            unmanaged.push(key.clone());
        }
        if has_empty_dir(p) {
            local.push(key);
        }
    }
    let mut problems = Vec::new();
    if !unmanaged.is_empty() && !force {
        problems.push(format!(
            "cannot delete Pods that declare no controller (use --force to override): {}",
            unmanaged.join(", ")
        ));
    }
    if !local.is_empty() && !delete_emptydir_data {
        problems.push(format!(
            "cannot delete Pods with local storage (use --delete-emptydir-data to override): {}",
            local.join(", ")
        ));
    }
    if !problems.is_empty() {
        let all = problems.join(", ");
        out.err(format!(
            "error: unable to drain node \"{node}\" due to error: {all}, continuing command..."
        ));
        out.err("There are pending nodes to be drained:");
        out.err(format!(" {node}"));
        for p in &problems {
            out.err(p);
        }
        out.ok = false;
        return out.into();
    }
    if !unmanaged.is_empty() {
        out.err(format!(
            "Warning: deleting Pods that declare no controller: {}",
            unmanaged.join(", ")
        ));
    }
    let mut waits = Vec::new();
    for p in &pods {
        out.out(format!(
            "evicting pod {}/{}",
            p.metadata.namespace, p.metadata.name
        ));
    }
    for p in &pods {
        let (ns, name) = (&p.metadata.namespace, &p.metadata.name);
        match api.delete::<Pod>(
            ns,
            name,
            DeleteOptions {
                grace_period_seconds: grace,
            },
        ) {
            Ok(r) => {
                if r == Deleted::Terminating {
                    waits.push((Kind::Pod, ObjectKey::new(ns.clone(), name.clone())));
                }
                out.out(format!("pod/{name} evicted"));
            }
            Err(e) => {
                out.err(e.kubectl_message());
                out.ok = false;
            }
        }
    }
    out.out(format!("node/{node} drained"));
    Execution {
        output: out,
        follow_up: (!waits.is_empty()).then_some(FollowUp::WaitForDeletion(waits)),
    }
}

// ------------------------------------------------------------------ patch

/// A strategic merge patch for the lists kubeplay models: lists of objects that carry a merge
/// key (`name`, `containerPort`, `port`, `ip`, `type`) merge item by item; anything else
/// behaves as a JSON merge patch.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                    continue;
                }
                match t.get_mut(k) {
                    Some(tv) => strategic_merge(tv, v),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p)) => {
            let key = ["name", "containerPort", "port", "ip", "type"]
                .into_iter()
                .find(|k| !p.is_empty() && p.iter().all(|i| i.get(k).is_some()));
            match key {
                Some(k) => {
                    for item in p {
                        match t.iter_mut().find(|x| x.get(k) == item.get(k)) {
                            Some(x) => strategic_merge(x, item),
                            None => t.push(item.clone()),
                        }
                    }
                }
                None => *t = p.clone(),
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn patch(
    api: &mut ApiServer,
    kind: Kind,
    name: &str,
    text: &str,
    patch_type: PatchType,
    ns: &str,
) -> CommandOutput {
    let doc: Value = match serde_yaml_ng::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            return CommandOutput::error(format!("error: unable to parse \"{text}\": yaml: {msg}"));
        }
    };
    let Some(live) = objects::get(api, kind, ns, name) else {
        return api_err(ApiError::not_found(kind, name));
    };
    let result = match patch_type {
        PatchType::Merge => objects::merge_patch(api, kind, ns, name, &doc),
        PatchType::Strategic => {
            let mut v = live.to_json();
            strategic_merge(&mut v, &doc);
            match objects::from_json(kind, v) {
                Ok(next) if next.to_json() == live.to_json() => Ok(live.clone()),
                Ok(next) => {
                    let mut j = next.to_json();
                    if let Some(Value::Object(m)) = j.get_mut("metadata") {
                        m.remove("resourceVersion");
                    }
                    match objects::from_json(kind, j) {
                        Ok(n) => objects::update(api, &n),
                        Err(e) => return CommandOutput::error(format!("error: {e}")),
                    }
                }
                Err(e) => {
                    return CommandOutput::error(format!(
                        "Error from server (BadRequest): {e}"
                    ))
                }
            }
        }
        PatchType::Json => {
            return CommandOutput::error(
                "error: --type=json patches are not simulated in Kubeplay; use --type=merge or --type=strategic",
            )
        }
    };
    match result {
        Ok(o) if o.meta().resource_version == live.meta().resource_version => {
            CommandOutput::ok(format!("{} patched (no change)\n", resource_name(&o)))
        }
        Ok(o) => CommandOutput::ok(format!("{} patched\n", resource_name(&o))),
        Err(e) => api_err(e),
    }
}

#[cfg(test)]
mod tests;
