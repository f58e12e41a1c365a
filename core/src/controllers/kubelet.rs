//! The kubelets, one per node (their state is kept per node; each acts only for its own node
//! and only while its machine is up). A kubelet renews its node Lease, reports its node Ready,
//! and runs the pods bound to it: sandbox and IP from the node's podCIDR (host-local IPAM, next
//! free address), image pull, container create and start, readiness probes, crash loops with
//! back-off, and graceful termination (preStop, SIGTERM, SIGKILL at the end of the grace period)
//! after which it deletes the pod object.
//!
//! Images are simulated. Their behaviour comes from the image reference, so lessons can ask
//! for misbehaving containers: see [`ImageBehavior::of`].

use super::event_messages as msg;
use super::{Controller, Ctx, Queue};
use crate::api::core::*;
use crate::api::shared::Shared;
use crate::api::*;
use crate::apiserver::{object_ref, ApiServer, EventMessage, FieldPath, ObjectKey, WatchEvent};
use crate::infra::{Infra, Sandbox};
use crate::sim::Timings;
use crate::sort::CollectOrdered;
use crate::time::{to_time, Millis, Time};
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::rc::Rc;

/// How a simulated image behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageBehavior {
    /// The pull fails (`ErrImagePull`, then `ImagePullBackOff`).
    pub pull_fails: bool,
    /// The container exits this long after starting (CrashLoopBackOff).
    pub crashes_after_ms: Option<Millis>,
    /// The app never passes its readiness probe.
    pub never_ready: bool,
    /// Time from start until the app accepts connections (and passes probes).
    pub warmup_ms: Millis,
    /// Time the app takes to exit after SIGTERM (`None`: ignores SIGTERM, killed at grace end).
    pub sigterm_exit_ms: Option<Millis>,
}

impl ImageBehavior {
    /// The behaviour of `image`. Tags select misbehaviour, so any repository works:
    /// `:crash` (exits after 2 s: CrashLoopBackOff), `:unready` (never passes readiness),
    /// `:slow` (10 s warm-up), `:missing` (pull fails), `:stubborn` (ignores SIGTERM);
    /// `busybox` without a tag-specific behaviour ignores SIGTERM like a shell running `sleep`.
    /// Everything else starts in `app_warmup_ms` and exits promptly on SIGTERM.
    pub fn of(image: &str, t: &Timings) -> Self {
        let (repo, tag) = split_image(image);
        let mut b = ImageBehavior {
            pull_fails: false,
            crashes_after_ms: None,
            never_ready: false,
            warmup_ms: t.app_warmup_ms,
            sigterm_exit_ms: Some(t.sigterm_exit_ms),
        };
        let base = repo.rsplit('/').next().unwrap_or(repo);
        if base == "busybox" {
            b.sigterm_exit_ms = None;
        }
        match tag {
            "crash" => b.crashes_after_ms = Some(2_000),
            "unready" => b.never_ready = true,
            "slow" => b.warmup_ms = 10_000,
            "missing" => b.pull_fails = true,
            "stubborn" => b.sigterm_exit_ms = None,
            _ => {}
        }
        b
    }
}

fn split_image(image: &str) -> (&str, &str) {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(i) if !image[i..].contains('/') => (&image[..i], &image[i + 1..]),
        _ => (image, "latest"),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// Pulling the image until the given time.
    Pulling(Millis),
    /// Waiting after a failed pull until the given time.
    PullBackOff(Millis),
    /// Creating/starting the container until the given time.
    Starting(Millis),
    /// Running since the given time.
    Running(Millis),
    /// Waiting in CrashLoopBackOff until the given time.
    CrashBackOff(Millis),
}

#[derive(Clone, Debug)]
struct Termination {
    sigterm_at: Millis,
    exit_at: Millis,
}

#[derive(Clone, Debug)]
struct PodRuntime {
    uid: SharedStr,
    ip: Ipv4Addr,
    stage: Stage,
    behavior: ImageBehavior,
    ready: bool,
    probe_successes: i32,
    probe_failures: i32,
    next_probe_at: Option<Millis>,
    restarts: i32,
    pull_failures: u32,
    termination: Option<Termination>,
}

#[derive(Clone, Debug)]
struct NodeRuntime {
    /// The node's name, shared by its sandboxes.
    name: Rc<str>,
    images: BTreeSet<String>,
    used_ips: BTreeSet<u32>,
    last_ip: u32,
    registered: bool,
}

/// The kubelets of all nodes.
pub struct Kubelets {
    timings: Timings,
    /// Per node, looked up by name (never iterated: its order cannot show).
    nodes: HashMap<String, NodeRuntime>,
    pods: HashMap<ObjectKey, PodRuntime>,
    /// What admitting a pod writes that depends on its containers alone, for the last
    /// container list seen: the pods of one template share that list, and are admitted in
    /// runs.
    admitted: Option<AdmitMemo>,
}

/// The unready message and the `ContainerCreating` statuses of one container list (held, so
/// its address cannot be reused by another list while it is remembered).
struct AdmitMemo {
    containers: Shared<Vec<Container>>,
    unready: SharedStr,
    creating: Vec<ContainerStatus>,
}

impl Kubelets {
    /// Kubelets with the given timings.
    pub fn new(timings: Timings) -> Self {
        Kubelets {
            timings,
            nodes: HashMap::default(),
            pods: HashMap::default(),
            admitted: None,
        }
    }

    /// The unready message and the waiting container statuses of a pod being admitted.
    fn admit_facts(&mut self, pod: &Pod) -> (SharedStr, Vec<ContainerStatus>) {
        let memo = match self.admitted.take() {
            Some(m) if Shared::ptr_eq(&m.containers, &pod.spec.containers) => m,
            _ => AdmitMemo {
                containers: pod.spec.containers.clone(),
                unready: unready_message(pod),
                creating: creating_statuses(pod),
            },
        };
        let facts = (memo.unready.clone(), memo.creating.clone());
        self.admitted = Some(memo);
        facts
    }
}

fn cond(type_: &'static str, ok: bool, now: Time) -> PodCondition {
    PodCondition {
        type_: type_.into(),
        status: if ok { "True" } else { "False" }.into(),
        last_transition_time: Some(now),
        ..Default::default()
    }
}

/// Sets a pod condition, keeping lastTransitionTime when the status does not change.
fn set_condition(p: &mut Pod, c: PodCondition) {
    match p.status.conditions.iter_mut().find(|x| x.type_ == c.type_) {
        Some(existing) => {
            if existing.status != c.status {
                *existing = c;
            } else {
                existing.reason = c.reason;
                existing.message = c.message;
            }
        }
        None => p.status.conditions.push(c),
    }
}

/// Seconds of a container's preStop hook: `sleep: {seconds}` or an exec of `sleep N`.
pub fn pre_stop_seconds(c: &Container) -> Option<f64> {
    let h = c.lifecycle.as_ref()?.pre_stop.as_ref()?;
    if let Some(s) = &h.sleep {
        return Some(s.seconds as f64);
    }
    let cmd = &h.exec.as_ref()?.command;
    let text = cmd.join(" ");
    let idx = text.find("sleep ")?;
    text[idx + 6..]
        .split_whitespace()
        .next()?
        .trim_end_matches(';')
        .parse()
        .ok()
}

fn ipv4(s: &str) -> Option<u32> {
    s.parse::<Ipv4Addr>().ok().map(u32::from)
}

impl Kubelets {
    fn allocate_ip(&mut self, node: &Node) -> Option<Ipv4Addr> {
        let cidr = node.spec.pod_cidr.as_deref()?;
        let base = ipv4(cidr.split('/').next()?)?;
        let rt = node_runtime(&mut self.nodes, &node.metadata.name)?;
        // host-local IPAM: the next free address after the last one handed out, .2 … .254.
        for i in 0..253u32 {
            let host = (rt.last_ip.saturating_sub(1) + 1 + i) % 253 + 2;
            if !rt.used_ips.contains(&host) {
                rt.used_ips.insert(host);
                rt.last_ip = host;
                return Some(Ipv4Addr::from(base + host));
            }
        }
        None
    }

    fn node_key_reconcile(&mut self, name: &str, ctx: &mut Ctx<'_>) {
        let Some(node) = ctx.api.get::<Node>("", name) else {
            self.nodes.remove(name);
            return;
        };
        if !ctx.infra.node_up(name) {
            return; // a powered-off machine does nothing, not even heartbeat
        }
        let now = ctx.api.now;
        let Some(rt) = node_runtime(&mut self.nodes, name) else {
            return;
        };
        let first = !rt.registered;
        rt.registered = true;
        // Renew the node lease (the heartbeat).
        let renew = Some(to_time(now));
        if ctx.api.get::<Lease>("kube-node-lease", name).is_some() {
            let _ = ctx
                .api
                .modify::<Lease>("kube-node-lease", name, |l| l.spec.renew_time = renew);
        } else {
            let mut l = Lease::default();
            l.metadata.name = name.into();
            l.metadata.namespace = "kube-node-lease".into();
            l.metadata.owner_references = vec![OwnerReference {
                api_version: "v1".into(),
                kind: "Node".into(),
                name: name.into(),
                uid: node.metadata.uid.clone(),
                ..Default::default()
            }]
            .into();
            l.spec = crate::api::coordination::LeaseSpec {
                holder_identity: Some(name.to_string()),
                lease_duration_seconds: Some(40),
                renew_time: renew,
            };
            let _ = ctx.api.create(l);
        }
        // Report Ready when the node is not already reporting it (first start, or back from a failure).
        if !crate::controllers::scheduler::node_ready(&node) {
            let t = to_time(now);
            let _ = ctx.api.modify::<Node>("", name, |n| {
                n.status.conditions.retain(|c| c.type_ != "Ready");
                n.status.conditions.push(NodeCondition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    last_heartbeat_time: Some(t),
                    last_transition_time: Some(t),
                    reason: Some("KubeletReady".into()),
                    message: Some("kubelet is posting ready status".into()),
                });
            });
            let reason = if first { "Starting" } else { "NodeReady" };
            let message = if first {
                EventMessage::from("Starting kubelet.")
            } else {
                msg::node_status(&node.metadata.name, "NodeReady")
            };
            ctx.api.record_event(
                object_ref(&*node),
                "Normal",
                reason,
                message,
                "kubelet",
                Some(node.metadata.name.clone()),
            );
            // Back from a failure: restart the containers of this node's pods.
            for p in ctx.api.pods.on_node(name) {
                ctx.queue.add(ObjectKey::of(&*p));
            }
        }
        ctx.queue
            .add_after(ObjectKey::cluster(name), self.timings.lease_renew_ms);
    }

    fn update_status(ctx: &mut Ctx<'_>, key: &ObjectKey, f: impl FnOnce(&mut Pod)) {
        let _ = ctx.api.modify::<Pod>(&key.namespace, &key.name, f);
    }

    /// An Event about the pod's (first) container.
    fn event(
        ctx: &mut Ctx<'_>,
        pod: &Rc<Pod>,
        type_: &'static str,
        reason: &'static str,
        msg: EventMessage,
    ) {
        ctx.api.record_event_about(
            pod,
            FieldPath::Container(0),
            type_,
            reason,
            msg,
            "kubelet",
            Some(pod.spec.node_name.clone()),
        );
    }

    fn pod_reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        let now = ctx.api.now;
        let pod = ctx.api.get_by_key::<Pod>(key);
        // Drop runtime state of pods that are gone or were replaced by a namesake.
        let stale = match (&pod, self.pods.get(key)) {
            (None, Some(_)) => true,
            (Some(p), Some(rt)) => rt.uid != p.metadata.uid,
            _ => false,
        };
        if stale {
            if let Some(rt) = self.pods.remove(key) {
                if let Some(sandbox) = ctx.infra.remove_sandbox(rt.ip) {
                    release_ip(&mut self.nodes, &sandbox.node, rt.ip);
                }
            }
        }
        let Some(pod) = pod else { return };
        let node_name = pod.spec.node_name.as_str();
        if node_name.is_empty() || !ctx.infra.node_up(node_name) {
            return;
        }
        if !self.pods.contains_key(key) {
            if matches!(
                pod.status.phase.as_deref(),
                Some("Succeeded") | Some("Failed")
            ) {
                return;
            }
            // Only admission reads the Node (its podCIDR and addresses): a pod already
            // running here goes on whatever becomes of the Node object, as on a real kubelet.
            let Some(node) = ctx.api.get::<Node>("", node_name) else {
                return;
            };
            if pod.metadata.deletion_timestamp.is_some() {
                // Never started here (or state lost): nothing to stop.
                let _ = ctx.api.remove::<Pod>(&key.namespace, &key.name);
                return;
            }
            self.admit(&pod, &node, key, ctx);
        }
        self.advance_pod(&pod, key, ctx, now);
    }

    fn admit(&mut self, pod: &Rc<Pod>, node: &Node, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        let now = ctx.api.now;
        let image = first_image(pod);
        let behavior = ImageBehavior::of(image, &self.timings);
        let Some(ip) = self.allocate_ip(node) else {
            // Without a podCIDR (node IPAM found the cluster CIDR exhausted) the CNI plugin
            // has no subnet to give out: every sandbox fails, and the kubelet retries.
            let message = if node.spec.pod_cidr.as_deref().is_none_or(str::is_empty) {
                EventMessage::from(format!(
                    "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox: plugin type=\"host-local\" failed (add): node {:?} has no podCIDR",
                    node.metadata.name
                ))
            } else {
                "Failed to create pod sandbox: no IP addresses available in range set".into()
            };
            Self::event(ctx, pod, "Warning", "FailedCreatePodSandBox", message);
            ctx.queue
                .add_after(key.clone(), self.timings.crash_backoff_ms);
            return;
        };
        let ports: BTreeSet<i32> = pod
            .spec
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().map(|p| p.container_port))
            .collect_set();
        // `allocate_ip` has just made the node's runtime state.
        let Some(rt_node) = node_runtime(&mut self.nodes, &node.metadata.name) else {
            return;
        };
        ctx.infra.put_sandbox(
            ip,
            Sandbox {
                pod: key.clone(),
                uid: pod.metadata.uid.clone(),
                node: rt_node.name.clone(),
                listening: false,
                ports,
            },
        );
        let present = rt_node.images.contains(image);
        let stage = if present {
            Stage::Starting(now + self.timings.container_start_ms)
        } else {
            Stage::Pulling(now + self.timings.image_pull_ms)
        };
        self.pods.insert(
            key.clone(),
            PodRuntime {
                uid: pod.metadata.uid.clone(),
                ip,
                stage,
                behavior,
                ready: false,
                probe_successes: 0,
                probe_failures: 0,
                next_probe_at: None,
                restarts: 0,
                pull_failures: 0,
                termination: None,
            },
        );
        let t = to_time(now);
        let host_ip = node
            .status
            .addresses
            .iter()
            .find(|a| a.type_ == "InternalIP")
            .map(|a| a.address.clone());
        let (message, creating) = self.admit_facts(pod);
        Self::update_status(ctx, key, |p| {
            let ip = SharedStr::from(ip.to_string());
            p.status.phase = Some("Pending".into());
            p.status.host_ip = host_ip;
            p.status.pod_ips = vec![PodIp { ip: ip.clone() }];
            p.status.pod_ip = Some(ip);
            p.status.start_time = Some(t);
            // Room for the four conditions set here (the scheduler's PodScheduled is there).
            p.status.conditions.reserve(4);
            set_condition(p, cond("PodReadyToStartContainers", true, t));
            set_condition(p, cond("Initialized", true, t));
            let mut r = cond("Ready", false, t);
            r.reason = Some(CONTAINERS_NOT_READY.into());
            r.message = Some(message.clone());
            set_condition(p, r);
            let mut cr = cond("ContainersReady", false, t);
            cr.reason = Some(CONTAINERS_NOT_READY.into());
            cr.message = Some(message);
            set_condition(p, cr);
            p.status.container_statuses = creating;
        });
        if present {
            Self::event(ctx, pod, "Normal", "Pulled", msg::image_present(pod));
        } else {
            Self::event(ctx, pod, "Normal", "Pulling", msg::pulling(pod));
        }
    }

    fn advance_pod(&mut self, pod: &Rc<Pod>, key: &ObjectKey, ctx: &mut Ctx<'_>, now: Millis) {
        let node_name = pod.spec.node_name.as_str();
        let image = first_image(pod);
        // The runtime state is updated in place; `nodes` is borrowed apart from it.
        let Kubelets {
            pods,
            nodes,
            timings,
            ..
        } = self;
        let Some(rt) = pods.get_mut(key) else {
            return;
        };
        let t = to_time(now);
        let mut next_wake: Option<Millis> = None;
        let mut wake = |at: Millis| next_wake = Some(next_wake.map_or(at, |w: Millis| w.min(at)));

        // Graceful termination takes precedence over everything else.
        if let Some(deadline) = pod.metadata.deletion_timestamp {
            let deadline_ms = deadline.virtual_ms();
            if rt.termination.is_none() {
                let pre_stop = pod
                    .spec
                    .containers
                    .iter()
                    .filter_map(pre_stop_seconds)
                    .fold(0.0, f64::max);
                let running = matches!(rt.stage, Stage::Running(_));
                let pre_stop_ms = if running {
                    (pre_stop * 1000.0) as Millis
                } else {
                    0
                };
                let sigterm_at = (now + pre_stop_ms).min(deadline_ms);
                let exit_at = if running {
                    match rt.behavior.sigterm_exit_ms {
                        Some(d) => (sigterm_at + d).min(deadline_ms),
                        None => deadline_ms,
                    }
                } else {
                    now
                };
                rt.termination = Some(Termination {
                    sigterm_at,
                    exit_at: exit_at.max(now),
                });
                for i in 0..pod.spec.containers.len() {
                    Self::event(ctx, pod, "Normal", "Killing", msg::stopping(pod, i));
                }
            }
            let term = rt.termination.clone().unwrap_or(Termination {
                sigterm_at: now,
                exit_at: now,
            });
            // The deadline may have been shortened by a second delete.
            let exit_at = term.exit_at.min(deadline_ms.max(now));
            if now >= term.sigterm_at {
                // The app closes its listeners on SIGTERM.
                ctx.infra.set_listening(rt.ip, false);
            } else {
                wake(term.sigterm_at);
            }
            if now >= exit_at {
                ctx.infra.remove_sandbox(rt.ip);
                release_ip(nodes, node_name, rt.ip);
                let _ = ctx.api.remove::<Pod>(&key.namespace, &key.name);
                pods.remove(key);
                return;
            }
            wake(exit_at);
            // Readiness keeps being probed while terminating, so `serving` stays meaningful.
        }

        loop {
            match rt.stage.clone() {
                Stage::Pulling(until) => {
                    if now < until {
                        wake(until);
                        break;
                    }
                    if rt.behavior.pull_fails {
                        rt.pull_failures += 1;
                        let backoff = (timings.crash_backoff_ms
                            << rt.pull_failures.min(5).saturating_sub(1))
                        .min(300_000);
                        rt.stage = Stage::PullBackOff(now + backoff);
                        Self::event(ctx, pod, "Warning", "Failed", format!("Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found").into());
                        Self::event(ctx, pod, "Warning", "Failed", "Error: ErrImagePull".into());
                        Self::update_status(ctx, key, |p| set_waiting(p, "ErrImagePull", None));
                        continue;
                    }
                    if let Some(rt_node) = node_runtime(nodes, node_name) {
                        if !rt_node.images.contains(image) {
                            rt_node.images.insert(image.to_string());
                        }
                    }
                    Self::event(
                        ctx,
                        pod,
                        "Normal",
                        "Pulled",
                        msg::pulled(pod, timings.image_pull_ms),
                    );
                    rt.stage = Stage::Starting(now + timings.container_start_ms);
                }
                Stage::PullBackOff(until) => {
                    if now < until {
                        Self::update_status(ctx, key, |p| {
                            set_waiting(
                                p,
                                "ImagePullBackOff",
                                Some(format!("Back-off pulling image \"{image}\"").into()),
                            )
                        });
                        wake(until);
                        break;
                    }
                    Self::event(ctx, pod, "Normal", "Pulling", msg::pulling(pod));
                    rt.stage = Stage::Pulling(now + timings.image_pull_ms);
                }
                Stage::Starting(until) => {
                    if now < until {
                        wake(until);
                        break;
                    }
                    for i in 0..pod.spec.containers.len() {
                        Self::event(ctx, pod, "Normal", "Created", msg::created(pod, i));
                        Self::event(ctx, pod, "Normal", "Started", msg::started(pod, i));
                    }
                    rt.stage = Stage::Running(now);
                    rt.probe_successes = 0;
                    rt.probe_failures = 0;
                    let probe = readiness_probe(pod);
                    rt.next_probe_at = probe.map(|p| {
                        now + p.initial_delay_seconds.unwrap_or(0).max(0) as Millis * 1000
                    });
                    // Without a readiness probe the container is ready as soon as it runs.
                    rt.ready = probe.is_none();
                    let restarts = rt.restarts;
                    let ready = rt.ready;
                    // Built from the stored pod rather than changed in a copy of it: the
                    // waiting states and the unready conditions it replaces are not copied.
                    let _ = ctx.api.modify_from::<Pod>(&key.namespace, &key.name, |p| {
                        running_pod(p, ready, restarts, t)
                    });
                    if rt.behavior.warmup_ms == 0 {
                        ctx.infra.set_listening(rt.ip, true);
                    } else {
                        wake(now + rt.behavior.warmup_ms);
                    }
                    if let Some(crash) = rt.behavior.crashes_after_ms {
                        wake(now + crash);
                    }
                }
                Stage::Running(started) => {
                    let warm = started + rt.behavior.warmup_ms;
                    let terminating_after_sigterm =
                        rt.termination.as_ref().is_some_and(|t| now >= t.sigterm_at);
                    if now >= warm && !terminating_after_sigterm {
                        ctx.infra.set_listening(rt.ip, true);
                    } else if now < warm {
                        wake(warm);
                    }
                    if let Some(crash) = rt.behavior.crashes_after_ms {
                        if now >= started + crash {
                            rt.restarts += 1;
                            let backoff = (timings.crash_backoff_ms
                                << (rt.restarts.min(6) as u32).saturating_sub(1))
                            .min(300_000);
                            rt.stage = Stage::CrashBackOff(now + backoff);
                            rt.ready = false;
                            ctx.infra.set_listening(rt.ip, false);
                            let restarts = rt.restarts;
                            Self::event(ctx, pod, "Warning", "BackOff", msg::back_off(pod));
                            Self::update_status(ctx, key, |p| {
                                for cs in p.status.container_statuses.iter_mut() {
                                    cs.last_state = ContainerState {
                                        terminated: Some(ContainerStateTerminated {
                                            exit_code: 1,
                                            reason: Some("Error".into()),
                                            started_at: Some(to_time(started)),
                                            finished_at: Some(t),
                                        }),
                                        ..Default::default()
                                    };
                                    cs.restart_count = restarts;
                                    cs.ready = false;
                                    cs.started = Some(false);
                                }
                                set_waiting(
                                    p,
                                    "CrashLoopBackOff",
                                    Some(
                                        format!(
                                        "back-off {}s restarting failed container={} pod={}_{}({})",
                                        backoff / 1000,
                                        p.spec
                                            .containers
                                            .first()
                                            .map(|c| c.name.as_str())
                                            .unwrap_or(""),
                                        p.metadata.name,
                                        p.metadata.namespace,
                                        p.metadata.uid
                                    )
                                        .into(),
                                    ),
                                );
                                set_ready(p, false, t);
                            });
                            continue;
                        }
                        wake(started + crash);
                    }
                    // Readiness probing.
                    if let (Some(probe), Some(at)) = (readiness_probe(pod), rt.next_probe_at) {
                        if now >= at {
                            let ok = now >= warm
                                && !rt.behavior.never_ready
                                && !terminating_after_sigterm;
                            let success_threshold = probe.success_threshold.unwrap_or(1).max(1);
                            let failure_threshold = probe.failure_threshold.unwrap_or(3).max(1);
                            if ok {
                                rt.probe_successes += 1;
                                rt.probe_failures = 0;
                                if !rt.ready && rt.probe_successes >= success_threshold {
                                    rt.ready = true;
                                }
                            } else {
                                rt.probe_failures += 1;
                                rt.probe_successes = 0;
                                if rt.probe_failures >= failure_threshold {
                                    rt.ready = false;
                                }
                                if !terminating_after_sigterm {
                                    Self::event(
                                        ctx,
                                        pod,
                                        "Warning",
                                        "Unhealthy",
                                        format!(
                                            "Readiness probe failed: {}",
                                            probe_failure_text(probe, rt.ip)
                                        )
                                        .into(),
                                    );
                                }
                            }
                            let ready = rt.ready;
                            let currently = pod
                                .status
                                .conditions
                                .iter()
                                .any(|c| c.type_ == "Ready" && c.status == "True");
                            if ready != currently {
                                Self::update_status(ctx, key, |p| {
                                    for cs in p.status.container_statuses.iter_mut() {
                                        cs.ready = ready;
                                    }
                                    set_ready(p, ready, t);
                                });
                            }
                            let period = probe.period_seconds.unwrap_or(10).max(1) as Millis * 1000;
                            rt.next_probe_at = Some(at + period * ((now - at) / period + 1));
                        }
                        if let Some(n) = rt.next_probe_at {
                            wake(n);
                        }
                    } else {
                        // No probe: readiness follows the container (ready while it runs).
                        let currently = pod
                            .status
                            .conditions
                            .iter()
                            .any(|c| c.type_ == "Ready" && c.status == "True");
                        if rt.ready && !currently && pod.metadata.deletion_timestamp.is_none() {
                            // `pod` is what this reconcile started from: the Running write
                            // above has usually made the stored pod ready already, and then
                            // this write would change nothing. Reading the stored pod saves
                            // copying it to find that out.
                            let stored = ctx.api.get::<Pod>(&key.namespace, &key.name);
                            if stored.is_some_and(|p| !is_marked_ready(&p)) {
                                Self::update_status(ctx, key, |p| mark_ready(p, t));
                            }
                        }
                    }
                    break;
                }
                Stage::CrashBackOff(until) => {
                    if now < until {
                        wake(until);
                        break;
                    }
                    Self::event(ctx, pod, "Normal", "Pulled", msg::image_present(pod));
                    rt.stage = Stage::Starting(now + timings.container_start_ms);
                }
            }
        }
        if let Some(at) = next_wake {
            ctx.queue.add_after(key.clone(), at.saturating_sub(now));
        }
    }
}

/// Gives `ip` back to `node`'s host-local range.
fn release_ip(nodes: &mut HashMap<String, NodeRuntime>, node: &str, ip: Ipv4Addr) {
    if let Some(rt) = nodes.get_mut(node) {
        rt.used_ips.remove(&(u32::from(ip) & 0xff));
    }
}

/// The runtime state of node `name`, made on first use (the name is copied only then).
fn node_runtime<'a>(
    nodes: &'a mut HashMap<String, NodeRuntime>,
    name: &str,
) -> Option<&'a mut NodeRuntime> {
    if !nodes.contains_key(name) {
        nodes.insert(
            name.to_string(),
            NodeRuntime {
                name: name.into(),
                images: BTreeSet::new(),
                used_ips: BTreeSet::new(),
                last_ip: 0,
                registered: false,
            },
        );
    }
    nodes.get_mut(name)
}

/// The image of the pod's first container (the one whose behaviour the pod shows).
fn first_image(p: &Pod) -> &str {
    p.spec.containers.first().map_or("", |c| c.image.as_str())
}

/// `containerd://` and the pod UID without its dashes, in one allocation.
fn container_id(uid: &str) -> SharedStr {
    const SCHEME: &str = "containerd://";
    let mut id = String::with_capacity(SCHEME.len() + uid.len());
    id.push_str(SCHEME);
    id.extend(uid.chars().filter(|&c| c != '-'));
    id.into()
}

fn readiness_probe(p: &Pod) -> Option<&Probe> {
    p.spec
        .containers
        .iter()
        .find_map(|c| c.readiness_probe.as_ref())
}

fn probe_failure_text(probe: &Probe, ip: Ipv4Addr) -> String {
    if let Some(http) = probe.extra.get("httpGet") {
        let port = http
            .get("port")
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_default();
        let path = http.get("path").and_then(|v| v.as_str()).unwrap_or("/");
        return format!(
            "Get \"http://{ip}:{port}{path}\": dial tcp {ip}:{port}: connect: connection refused"
        );
    }
    if let Some(tcp) = probe.extra.get("tcpSocket") {
        let port = tcp
            .get("port")
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_default();
        return format!("dial tcp {ip}:{port}: connect: connection refused");
    }
    "command failed".to_string()
}

/// The reason of the Ready and ContainersReady conditions while a container is not ready.
const CONTAINERS_NOT_READY: &str = "ContainersNotReady";

/// `containers with unready status: [a b]`: every container of the pod, written straight
/// into the message.
fn unready_message(p: &Pod) -> SharedStr {
    const HEAD: &str = "containers with unready status: [";
    let names: usize = p.spec.containers.iter().map(|c| c.name.len() + 1).sum();
    let mut m = String::with_capacity(HEAD.len() + names + 1);
    m.push_str(HEAD);
    for (i, c) in p.spec.containers.iter().enumerate() {
        if i > 0 {
            m.push(' ');
        }
        m.push_str(&c.name);
    }
    m.push(']');
    m.into()
}

/// Every container of an admitted pod, not started yet: waiting in `ContainerCreating`.
fn creating_statuses(p: &Pod) -> Vec<ContainerStatus> {
    p.spec
        .containers
        .iter()
        .map(|c| ContainerStatus {
            name: SharedStr::new(&c.name),
            image: SharedStr::new(&c.image),
            started: Some(false),
            state: waiting("ContainerCreating"),
            ..Default::default()
        })
        .collect()
}

fn waiting(reason: &'static str) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.into()),
            message: None,
        }),
        ..Default::default()
    }
}

fn set_waiting(p: &mut Pod, reason: &'static str, message: Option<SharedStr>) {
    for cs in p.status.container_statuses.iter_mut() {
        cs.state = ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.into()),
                message: message.clone(),
            }),
            ..Default::default()
        };
    }
}

/// The pod with its containers just started (the status write of the Starting → Running
/// step): phase Running, every container running since `t` with `restarts` restarts, and
/// the readiness conditions as [`set_ready`] sets them.
fn running_pod(cur: &Pod, ready: bool, restarts: i32, t: Time) -> Pod {
    let s = &cur.status;
    let message = (!ready).then(|| unready_message(cur));
    Pod {
        api_version: cur.api_version.clone(),
        kind: cur.kind.clone(),
        metadata: cur.metadata.clone(),
        spec: cur.spec.clone(),
        status: PodStatus {
            phase: Some("Running".into()),
            conditions: with_ready(&s.conditions, ready, t, message.as_ref()),
            host_ip: s.host_ip.clone(),
            pod_ip: s.pod_ip.clone(),
            pod_ips: s.pod_ips.clone(),
            start_time: s.start_time,
            container_statuses: s
                .container_statuses
                .iter()
                .map(|cs| ContainerStatus {
                    name: cs.name.clone(),
                    ready,
                    restart_count: restarts,
                    image: cs.image.clone(),
                    image_id: format!("docker.io/library/{}@sha256:00000000", cs.image).into(),
                    container_id: Some(container_id(&cur.metadata.uid)),
                    started: Some(true),
                    state: ContainerState {
                        running: Some(ContainerStateRunning {
                            started_at: Some(t),
                        }),
                        ..Default::default()
                    },
                    last_state: cs.last_state.clone(),
                })
                .collect(),
            reason: s.reason.clone(),
            message: s.message.clone(),
            extra: s.extra.clone(),
        },
    }
}

/// The conditions of [`set_ready`], built from `old` without copying what they replace:
/// ContainersReady and Ready are set as [`set_condition`] sets them (a changed status is a
/// new condition; an unchanged one keeps its times and takes the new reason and message),
/// and appended in that order when missing. `message` is the unready message (`None`: ready).
fn with_ready(
    old: &[PodCondition],
    ready: bool,
    t: Time,
    message: Option<&SharedStr>,
) -> Vec<PodCondition> {
    const TYPES: [&str; 2] = ["ContainersReady", "Ready"];
    let fresh = |type_: &'static str| {
        let mut c = cond(type_, ready, t);
        if let Some(m) = message {
            c.reason = Some(CONTAINERS_NOT_READY.into());
            c.message = Some(m.clone());
        }
        c
    };
    let missing = TYPES
        .iter()
        .filter(|ty| !old.iter().any(|c| c.type_ == **ty))
        .count();
    // Exactly as long as it will be: the stored pod keeps this vector.
    let mut out = Vec::with_capacity(old.len() + missing);
    let mut seen = [false; 2];
    for c in old {
        // Only the first condition of a type is set, as `set_condition` finds the first.
        match TYPES.iter().position(|ty| c.type_ == *ty) {
            Some(i) if !seen[i] => {
                seen[i] = true;
                let new = fresh(TYPES[i]);
                out.push(if c.status != new.status {
                    new
                } else {
                    PodCondition {
                        type_: c.type_.clone(),
                        status: c.status.clone(),
                        last_probe_time: c.last_probe_time,
                        last_transition_time: c.last_transition_time,
                        reason: new.reason,
                        message: new.message,
                    }
                });
            }
            _ => out.push(c.clone()),
        }
    }
    for (i, type_) in TYPES.into_iter().enumerate() {
        if !seen[i] {
            out.push(fresh(type_));
        }
    }
    out
}

/// Marks every container ready and the pod Ready (a running container without a probe).
fn mark_ready(p: &mut Pod, t: Time) {
    for cs in p.status.container_statuses.iter_mut() {
        cs.ready = true;
    }
    set_ready(p, true, t);
}

/// Whether [`mark_ready`] would leave `p` as it is: every container ready, and the first
/// ContainersReady and Ready conditions True without reason or message (`set_condition`
/// keeps a condition whose status does not change but for those two).
fn is_marked_ready(p: &Pod) -> bool {
    p.status.container_statuses.iter().all(|cs| cs.ready)
        && ["ContainersReady", "Ready"].iter().all(|ty| {
            p.status
                .conditions
                .iter()
                .find(|c| c.type_ == *ty)
                .is_some_and(|c| c.status == "True" && c.reason.is_none() && c.message.is_none())
        })
}

fn set_ready(p: &mut Pod, ready: bool, t: Time) {
    // A ready pod's conditions carry no message: build it only for an unready one.
    let message = (!ready).then(|| unready_message(p));
    for type_ in ["ContainersReady", "Ready"] {
        let mut c = cond(type_, ready, t);
        if let Some(m) = &message {
            c.reason = Some(CONTAINERS_NOT_READY.into());
            c.message = Some(m.clone());
        }
        set_condition(p, c);
    }
}

impl Controller for Kubelets {
    fn name(&self) -> &'static str {
        "kubelet"
    }

    fn on_event(&mut self, ev: &WatchEvent, _api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        match ev.object() {
            Some(Object::Pod(p)) => {
                let bound_now = match (&ev.old, &ev.new) {
                    (Some(Object::Pod(o)), Some(Object::Pod(n))) => {
                        o.spec.node_name != n.spec.node_name
                            || o.metadata.deletion_timestamp != n.metadata.deletion_timestamp
                    }
                    (None, Some(_)) => !p.spec.node_name.is_empty(),
                    (_, None) => true,
                    _ => false,
                };
                if bound_now {
                    queue.add(ev.key.clone());
                }
            }
            Some(Object::Node(_)) if ev.type_ == crate::apiserver::WatchEventType::Added => {
                queue.add(ev.key.clone());
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        if key.namespace.is_empty() {
            self.node_key_reconcile(&key.name, ctx);
        } else {
            self.pod_reconcile(key, ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(type_: &'static str, status: bool, at: Millis, why: Option<&str>) -> PodCondition {
        let mut c = cond(type_, status, to_time(at));
        c.reason = why.map(|w| w.to_string().into());
        c.message = why.map(|w| format!("{w} message").into());
        c
    }

    fn pod(conditions: Vec<PodCondition>) -> Pod {
        let mut p = Pod::default();
        p.metadata.uid = "0a1b2c3d-0000-4000-8000-00000000000f".into();
        p.spec.containers = vec![
            Container {
                name: "app".into(),
                image: "nginx".into(),
                ..Default::default()
            },
            Container {
                name: "sidecar".into(),
                image: "busybox".into(),
                ..Default::default()
            },
        ]
        .into();
        p.status.conditions = conditions;
        p.status.container_statuses = creating_statuses(&p);
        p
    }

    /// Condition lists the Starting → Running write meets: none yet, the scheduler's only,
    /// the kubelet's unready set, a ready set, and a duplicate (only the first is set).
    fn condition_cases() -> Vec<Vec<PodCondition>> {
        let scheduled = condition("PodScheduled", true, 1_000, None);
        let unready = |at| {
            vec![
                scheduled.clone(),
                condition("Initialized", true, at, None),
                condition("Ready", false, at, Some("ContainersNotReady")),
                condition("ContainersReady", false, at, Some("ContainersNotReady")),
            ]
        };
        let mut duplicate = unready(2_000);
        duplicate.push(condition("Ready", true, 500, None));
        vec![
            vec![],
            vec![scheduled.clone()],
            unready(2_000),
            vec![
                condition("Ready", true, 3_000, None),
                condition("ContainersReady", true, 3_000, None),
            ],
            duplicate,
        ]
    }

    #[test]
    fn conditions_built_from_the_old_ones_match_setting_them_in_place() {
        let t = to_time(9_000);
        for old in condition_cases() {
            for ready in [true, false] {
                let mut in_place = pod(old.clone());
                set_ready(&mut in_place, ready, t);
                let message = (!ready).then(|| unready_message(&in_place));
                assert_eq!(
                    with_ready(&old, ready, t, message.as_ref()),
                    in_place.status.conditions,
                    "ready={ready} old={old:?}"
                );
            }
        }
    }

    #[test]
    fn a_pod_is_marked_ready_exactly_when_marking_it_changes_nothing() {
        let t = to_time(9_000);
        let mut pods: Vec<Pod> = Vec::new();
        for old in condition_cases() {
            for ready in [true, false] {
                let mut p = pod(old.clone());
                set_ready(&mut p, ready, t);
                pods.push(p.clone());
                mark_ready(&mut p, t);
                pods.push(p.clone());
                // One container still unready.
                p.status.container_statuses[1].ready = false;
                pods.push(p);
            }
            pods.push(pod(old));
        }
        assert!(pods.iter().any(is_marked_ready));
        assert!(!pods.iter().all(is_marked_ready));
        for p in pods {
            let mut marked = p.clone();
            mark_ready(&mut marked, t);
            assert_eq!(is_marked_ready(&p), marked == p, "{:?}", p.status);
        }
    }

    #[test]
    fn the_running_pod_is_the_started_copy_of_the_stored_one() {
        let t = to_time(9_000);
        for old in condition_cases() {
            for (ready, restarts) in [(true, 0), (false, 3)] {
                let cur = pod(old.clone());
                let mut expected = cur.clone();
                expected.status.phase = Some("Running".into());
                for cs in expected.status.container_statuses.iter_mut() {
                    cs.state = ContainerState {
                        running: Some(ContainerStateRunning {
                            started_at: Some(t),
                        }),
                        ..Default::default()
                    };
                    cs.started = Some(true);
                    cs.ready = ready;
                    cs.restart_count = restarts;
                    cs.image_id = format!("docker.io/library/{}@sha256:00000000", cs.image).into();
                    cs.container_id = Some("containerd://0a1b2c3d00004000800000000000000f".into());
                }
                set_ready(&mut expected, ready, t);
                assert_eq!(running_pod(&cur, ready, restarts, t), expected);
            }
        }
        assert_eq!(
            unready_message(&pod(vec![])),
            "containers with unready status: [app sidecar]"
        );
    }
}
