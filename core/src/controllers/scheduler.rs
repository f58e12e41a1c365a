//! kube-scheduler: binds each unscheduled pod to a node.
//!
//! Filters as the default plugins do for what the simulator models (node Ready, cordon,
//! untolerated NoSchedule/NoExecute taints, nodeSelector, the 110-pod capacity), examines the
//! adaptive share of nodes upstream examines (`percentageOfNodesToScore`), scores by spreading
//! (fewest pods of the same owner, then fewest pods) and breaks ties at random, as `selectHost`
//! does. Pods that fit nowhere stay Pending with a `FailedScheduling` event and are retried when
//! a node changes.

use super::{Controller, Ctx, Queue};
use crate::api::core::{PodCondition, Taint, Toleration};
use crate::api::*;
use crate::apiserver::{object_ref, ApiServer, FieldPath, ObjectKey, WatchEvent, WatchEventType};
use crate::infra::Infra;
use crate::time::to_time;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// The scheduler's private state: pods waiting for a node, per-owner spreading counts and its
/// cache of the nodes with their pod counts (upstream's scheduler cache/snapshot, whose
/// `NodeInfo` counts the pods bound to each node), so that examining a node costs no store
/// lookup and no hashing: the scheduler examines hundreds of nodes per pod in a big cluster.
#[derive(Default)]
pub struct Scheduler {
    unschedulable: BTreeSet<ObjectKey>,
    /// Owner UID → node id → number of that owner's pods bound there.
    owner_on_node: FxHashMap<String, FxHashMap<u32, u32>>,
    /// Node name → a small id, given on first sight of the name (a node, or a pod bound to a
    /// name) and kept for the life of the scheduler, so that per-node scratch can be indexed
    /// without looking names up.
    node_ids: FxHashMap<String, u32>,
    next_start_node: usize,
    /// Every node, ordered by name.
    nodes: Vec<CachedNode>,
    /// What the filter and the score read of `nodes[i]`, at the same position: the loop over
    /// hundreds of nodes per pod walks this compact array and touches a `CachedNode` only
    /// for a node that needs more than the capacity check.
    hot: Vec<HotNode>,
    /// Node id → number of pods bound to a node of that name, from the pod watch events:
    /// what `api.pods.count_on_node` answers (pods may name a node that does not exist yet,
    /// so the count is kept per name). A node's own count is mirrored in its `HotNode`.
    pods_by_id: Vec<usize>,
    /// Node id → position of the node in `nodes`/`hot` (`NOT_A_NODE` for a name no node
    /// has), so that a pod event finds its node's `HotNode` without searching by name.
    pos_by_id: Vec<u32>,
    /// Scratch for one scheduling decision, indexed by node id: the pod's owner's pods on
    /// each node. Kept between decisions (all zero) so scoring allocates nothing per pod.
    same_owner_scratch: Vec<u32>,
    /// Scratch: the cache positions of the best-scoring feasible nodes, in examination order.
    top_scratch: Vec<usize>,
}

/// A node as the scheduler's cache holds it.
struct CachedNode {
    name: SharedStr,
    node: Rc<Node>,
}

/// `Scheduler::pos_by_id` of a name no cached node has.
const NOT_A_NODE: u32 = u32::MAX;

/// The part of a cached node the scheduling loop reads for every node it examines.
#[derive(Clone, Copy)]
struct HotNode {
    /// Pods bound to the node (`Scheduler::pods_by_id` of its id).
    pods: usize,
    /// `status.allocatable.pods` (110 when missing or malformed).
    capacity: usize,
    /// The name's id (`Scheduler::node_ids`).
    id: u32,
    /// Ready, schedulable and without NoSchedule/NoExecute taints: only the nodeSelector and
    /// the pod capacity remain to check.
    plain: bool,
}

impl CachedNode {
    fn new(node: Rc<Node>, id: u32) -> (Self, HotNode) {
        let hot = HotNode {
            pods: 0,
            capacity: pod_capacity(&node),
            id,
            plain: node_ready(&node)
                && !node.spec.unschedulable
                && !node
                    .spec
                    .taints
                    .iter()
                    .any(|t| t.effect == "NoSchedule" || t.effect == "NoExecute"),
        };
        let cached = CachedNode {
            name: node.metadata.name.clone(),
            node,
        };
        (cached, hot)
    }
}

fn pod_capacity(node: &Node) -> usize {
    node.status
        .allocatable
        .get("pods")
        .and_then(|v| v.parse().ok())
        .unwrap_or(110)
}

fn wants_scheduling(p: &Pod) -> bool {
    p.spec.node_name.is_empty()
        && p.metadata.deletion_timestamp.is_none()
        && p.spec
            .scheduler_name
            .as_deref()
            .is_none_or(|s| s == "default-scheduler")
        && !matches!(
            p.status.phase.as_deref(),
            Some("Succeeded") | Some("Failed")
        )
}

/// Whether a node's Ready condition is True.
pub fn node_ready(n: &Node) -> bool {
    n.status
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

fn tolerates(tols: &[Toleration], taint: &Taint) -> bool {
    tols.iter().any(|t| {
        let effect_ok = t
            .effect
            .as_deref()
            .is_none_or(|e| e.is_empty() || e == taint.effect);
        let key_ok = match t.key.as_deref() {
            None | Some("") => t.operator.as_deref() == Some("Exists"),
            Some(k) => k == taint.key,
        };
        let value_ok = t.operator.as_deref() == Some("Exists")
            || t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("");
        effect_ok && key_ok && value_ok
    })
}

enum Misfit {
    NotReady,
    Unschedulable,
    Taint(String),
    Selector,
    TooManyPods,
}

impl Scheduler {
    /// Follows a pod event's move between nodes in the per-node pod counts (all pods bound to
    /// a node, terminating and finished ones included, as the store's node index counts them).
    fn count_pods(&mut self, ev: &WatchEvent) {
        fn node_of(o: &Option<Object>) -> Option<&str> {
            match o {
                Some(Object::Pod(p)) if !p.spec.node_name.is_empty() => {
                    Some(p.spec.node_name.as_str())
                }
                _ => None,
            }
        }
        let (old, new) = (node_of(&ev.old), node_of(&ev.new));
        if old == new {
            return;
        }
        if let Some(&id) = old.and_then(|name| self.node_ids.get(name)) {
            if let Some(c) = self.pods_by_id.get_mut(id as usize) {
                *c = c.saturating_sub(1);
                let count = *c;
                self.mirror_count(id, count);
            }
        }
        if let Some(name) = new {
            let id = self.node_id(name);
            let i = id as usize;
            if self.pods_by_id.len() <= i {
                self.pods_by_id.resize(i + 1, 0);
            }
            if let Some(c) = self.pods_by_id.get_mut(i) {
                *c += 1;
                let count = *c;
                self.mirror_count(id, count);
            }
        }
    }

    /// Copies a name's pod count into its node's `HotNode`, if a node has that name.
    fn mirror_count(&mut self, id: u32, count: usize) {
        let pos = self
            .pos_by_id
            .get(id as usize)
            .copied()
            .unwrap_or(NOT_A_NODE);
        if let Some(h) = self.hot.get_mut(pos as usize) {
            h.pods = count;
        }
    }

    /// Records the positions of the nodes from `from` on (after an insertion or removal).
    fn reposition_from(&mut self, from: usize) {
        for (pos, h) in self.hot.iter().enumerate().skip(from) {
            let i = h.id as usize;
            if self.pos_by_id.len() <= i {
                self.pos_by_id.resize(i + 1, NOT_A_NODE);
            }
            if let Some(slot) = self.pos_by_id.get_mut(i) {
                *slot = u32::try_from(pos).unwrap_or(NOT_A_NODE);
            }
        }
    }

    /// Follows a pod event in the per-owner spreading counts. The pod's previous placement is
    /// the event's old object: the watch delivers every change of a key in order, so it is
    /// the placement the previous event counted.
    fn track(&mut self, ev: &WatchEvent) {
        fn placement(o: &Option<Object>) -> Option<(&str, &str)> {
            match o {
                Some(Object::Pod(p)) if !p.spec.node_name.is_empty() => p
                    .metadata
                    .controller_ref()
                    .map(|o| (o.uid.as_str(), p.spec.node_name.as_str())),
                _ => None,
            }
        }
        let (was_at, now_at) = (placement(&ev.old), placement(&ev.new));
        // Most pod events are status writes: same owner, same node.
        if was_at == now_at {
            return;
        }
        if let Some((owner, node)) = was_at {
            let id = self.node_ids.get(node).copied();
            if let (Some(per_node), Some(id)) = (self.owner_on_node.get_mut(owner), id) {
                if let Some(c) = per_node.get_mut(&id) {
                    *c = c.saturating_sub(1);
                    if *c == 0 {
                        per_node.remove(&id);
                    }
                }
                if per_node.is_empty() {
                    self.owner_on_node.remove(owner);
                }
            }
        }
        if let Some((owner, node)) = now_at {
            let id = self.node_id(node);
            // The owner's UID is allocated only when it is new to the counts.
            let per_node = match self.owner_on_node.get_mut(owner) {
                Some(m) => m,
                None => self.owner_on_node.entry(owner.to_string()).or_default(),
            };
            *per_node.entry(id).or_default() += 1;
        }
    }

    /// The id of node name `name`, given now if the name is new.
    fn node_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.node_ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.node_ids.len()).unwrap_or(u32::MAX);
        self.node_ids.insert(name.to_string(), id);
        id
    }

    /// Debug builds check the spreading counts of `owner` against the store.
    #[cfg(debug_assertions)]
    fn check_owner_counts(&self, owner: &str, api: &ApiServer) {
        let mut want: FxHashMap<u32, u32> = FxHashMap::default();
        for p in api.pods.owned_by(owner) {
            if !p.spec.node_name.is_empty()
                && p.metadata.controller_ref().is_some_and(|r| r.uid == owner)
            {
                let id = self.node_ids.get(p.spec.node_name.as_str()).copied();
                *want.entry(id.unwrap_or(u32::MAX)).or_default() += 1;
            }
        }
        let have = self.owner_on_node.get(owner).cloned().unwrap_or_default();
        debug_assert_eq!(have, want, "spreading counts out of step with the store");
    }

    fn fit(pod: &Pod, node: &Node, pods_on_node: usize) -> Result<(), Misfit> {
        if !node_ready(node) {
            return Err(Misfit::NotReady);
        }
        if node.spec.unschedulable {
            return Err(Misfit::Unschedulable);
        }
        for t in &node.spec.taints {
            if (t.effect == "NoSchedule" || t.effect == "NoExecute")
                && !tolerates(&pod.spec.tolerations, t)
            {
                return Err(Misfit::Taint(format!(
                    "{{{}: {}}}",
                    t.key,
                    t.value.as_deref().unwrap_or("")
                )));
            }
        }
        if pod
            .spec
            .node_selector
            .iter()
            .any(|(k, v)| node.metadata.labels.get(k) != Some(v))
        {
            return Err(Misfit::Selector);
        }
        if pods_on_node >= pod_capacity(node) {
            return Err(Misfit::TooManyPods);
        }
        Ok(())
    }

    /// The FailedScheduling message, in the scheduler's wording.
    fn failure_message(total: usize, reasons: &[Misfit]) -> String {
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for r in reasons {
            let text = match r {
                Misfit::NotReady => {
                    "node(s) had untolerated taint {node.kubernetes.io/not-ready: }".to_string()
                }
                Misfit::Unschedulable => "node(s) were unschedulable".to_string(),
                Misfit::Taint(t) => format!("node(s) had untolerated taint {t}"),
                Misfit::Selector => "node(s) didn't match Pod's node affinity/selector".to_string(),
                Misfit::TooManyPods => "Too many pods".to_string(),
            };
            *counts.entry(text).or_default() += 1;
        }
        let parts: Vec<String> = counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
        format!(
            "0/{total} nodes are available: {}. preemption: 0/{total} nodes are available: {total} Preemption is not helpful for scheduling.",
            parts.join(", ")
        )
    }
}

impl Controller for Scheduler {
    fn name(&self) -> &'static str {
        "default-scheduler"
    }

    fn on_event(&mut self, ev: &WatchEvent, _api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        match ev.object() {
            Some(Object::Pod(_)) => {
                self.track(ev);
                self.count_pods(ev);
                match &ev.new {
                    Some(Object::Pod(p)) if wants_scheduling(p) => queue.add(ev.key.clone()),
                    _ => {
                        self.unschedulable.remove(&ev.key);
                    }
                }
                // A pod leaving a node frees capacity.
                if ev.type_ == WatchEventType::Deleted && !self.unschedulable.is_empty() {
                    for k in &self.unschedulable {
                        queue.add(k.clone());
                    }
                }
            }
            Some(Object::Node(n)) => {
                let at = self
                    .nodes
                    .binary_search_by(|c| c.name.as_str().cmp(&ev.key.name));
                match (ev.type_, at) {
                    (WatchEventType::Deleted, Ok(i)) => {
                        self.nodes.remove(i);
                        let gone = self.hot.remove(i);
                        if let Some(slot) = self.pos_by_id.get_mut(gone.id as usize) {
                            *slot = NOT_A_NODE;
                        }
                        self.reposition_from(i);
                    }
                    (WatchEventType::Deleted, Err(_)) => {}
                    (_, at) => {
                        let id = self.node_id(&ev.key.name);
                        let (cached, mut hot) = CachedNode::new(n.clone(), id);
                        hot.pods = self.pods_by_id.get(id as usize).copied().unwrap_or(0);
                        match at {
                            Ok(i) => {
                                self.nodes[i] = cached;
                                self.hot[i] = hot;
                            }
                            Err(i) => {
                                self.nodes.insert(i, cached);
                                self.hot.insert(i, hot);
                                self.reposition_from(i);
                            }
                        }
                    }
                }
                for k in &self.unschedulable {
                    queue.add(k.clone());
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        let Some(pod) = ctx.api.get_by_key::<Pod>(key) else {
            self.unschedulable.remove(key);
            return;
        };
        if !wants_scheduling(&pod) {
            self.unschedulable.remove(key);
            return;
        }
        let total = self.nodes.len();
        // percentageOfNodesToScore: adaptive, at least 100 nodes (or all of them).
        let pct = (50 - total as i64 / 125).max(5) as usize;
        let to_find = if total <= 100 {
            total
        } else {
            (total * pct / 100).max(100)
        };
        #[cfg(debug_assertions)]
        if let Some(r) = pod.metadata.controller_ref() {
            self.check_owner_counts(&r.uid, ctx.api);
        }
        // The owner's pods per node, by node id: an owner has few nodes, so they are written
        // into the scratch once (and cleared after) rather than looked up for every node.
        let owner_counts = pod
            .metadata
            .controller_ref()
            .and_then(|o| self.owner_on_node.get(o.uid.as_str()));
        let scratch = &mut self.same_owner_scratch;
        scratch.resize(self.node_ids.len(), 0);
        for (&id, &n) in owner_counts.into_iter().flatten() {
            if let Some(slot) = scratch.get_mut(id as usize) {
                *slot = n;
            }
        }
        // Filter and score in one pass. Spreading: fewest pods of the same owner, then fewest
        // pods; `top` keeps the best-scoring feasible nodes in the order they were examined.
        let mut feasible = 0usize;
        let mut best = (u32::MAX, usize::MAX);
        let mut top = std::mem::take(&mut self.top_scratch);
        top.clear();
        let mut misfits = Vec::new();
        let no_selector = pod.spec.node_selector.is_empty();
        // An owner with no pods bound anywhere scores 0 on every node.
        let has_owner_counts = owner_counts.is_some();
        // Walked from `next_start_node` round the list, without a division per node.
        let mut at = if total > 0 {
            self.next_start_node % total
        } else {
            0
        };
        for _ in 0..total {
            let hot = self.hot[at];
            let count = hot.pods;
            debug_assert_eq!(count, ctx.api.pods.count_on_node(&self.nodes[at].name));
            let fits = if hot.plain {
                // The checks `fit` would pass anyway are skipped; the rest are the same.
                if !no_selector
                    && pod
                        .spec
                        .node_selector
                        .iter()
                        .any(|(k, v)| self.nodes[at].node.metadata.labels.get(k) != Some(v))
                {
                    Err(Misfit::Selector)
                } else if count >= hot.capacity {
                    Err(Misfit::TooManyPods)
                } else {
                    Ok(count)
                }
            } else {
                Self::fit(&pod, &self.nodes[at].node, count).map(|()| count)
            };
            match fits {
                Ok(count) => {
                    let same_owner = if has_owner_counts {
                        scratch.get(hot.id as usize).copied().unwrap_or(0)
                    } else {
                        0
                    };
                    let score = (same_owner, count);
                    if score < best {
                        best = score;
                        top.clear();
                    }
                    if score == best {
                        top.push(at);
                    }
                    feasible += 1;
                    if feasible >= to_find {
                        break;
                    }
                }
                Err(m) => misfits.push(m),
            }
            at += 1;
            if at == total {
                at = 0;
            }
        }
        for &id in owner_counts.into_iter().flatten().map(|(id, _)| id) {
            if let Some(slot) = scratch.get_mut(id as usize) {
                *slot = 0;
            }
        }
        if total > 0 {
            self.next_start_node = (self.next_start_node + feasible + misfits.len()) % total;
        }
        if feasible == 0 {
            self.top_scratch = top;
            self.unschedulable.insert(key.clone());
            let message = Self::failure_message(total, &misfits);
            let already = pod
                .status
                .conditions
                .iter()
                .any(|c| c.type_ == "PodScheduled" && c.message.as_deref() == Some(&message));
            if !already {
                let now = to_time(ctx.api.now);
                let _ = ctx.api.modify::<Pod>(&key.namespace, &key.name, |p| {
                    p.status.phase = Some("Pending".into());
                    p.status.conditions.retain(|c| c.type_ != "PodScheduled");
                    p.status.conditions.push(PodCondition {
                        type_: "PodScheduled".into(),
                        status: "False".into(),
                        last_transition_time: Some(now),
                        reason: Some("Unschedulable".into()),
                        message: Some(message.clone().into()),
                        ..Default::default()
                    });
                });
                ctx.api.record_event(
                    object_ref(&*pod),
                    "Warning",
                    "FailedScheduling",
                    message.into(),
                    "default-scheduler",
                    None,
                );
            }
            return;
        }
        self.unschedulable.remove(key);
        let chosen_at = top[ctx.api.rng.below(top.len() as u64) as usize];
        self.top_scratch = top;
        let chosen = &self.nodes[chosen_at].name;
        let now = to_time(ctx.api.now);
        let bound = ctx.api.modify::<Pod>(&key.namespace, &key.name, |p| {
            p.spec.node_name = chosen.clone();
            p.status.phase = Some("Pending".into());
            p.status.conditions.retain(|c| c.type_ != "PodScheduled");
            p.status.conditions.push(PodCondition {
                type_: "PodScheduled".into(),
                status: "True".into(),
                last_transition_time: Some(now),
                ..Default::default()
            });
        });
        if bound.is_ok() {
            ctx.api.record_event_about(
                &pod,
                FieldPath::Whole,
                "Normal",
                "Scheduled",
                super::event_messages::scheduled(&key.namespace, &key.name, chosen),
                "default-scheduler",
                None,
            );
        }
    }
}

use std::rc::Rc;
