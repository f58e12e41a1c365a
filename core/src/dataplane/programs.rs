//! What each node's kube-proxy has programmed, kept once for the whole cluster.
//!
//! Every node's kube-proxy programs the same Service changes, each at its own sync time.
//! Writing each change into every node's rules as it syncs costs nodes × changes: at
//! 5,000 nodes and 10,000 Services that is most of a cluster's build. Instead the data
//! plane records each sync *round* once — the Services it changed and their converted ports
//! ([`ServiceEndpoints`], shared by `Rc`) under a generation number — and a node's sync
//! only records the generation it reached. A node's rules are brought up to that
//! generation when somebody looks at them (a request routed through the node, the rules
//! panel, `iptables-save`, …), so the cost of a node sync is constant and the cost of a
//! change does not grow with the number of nodes.
//!
//! What a node shows is exactly what it would show had it applied every sync as it
//! happened: a partial sync's result depends only on the final ports of each Service
//! ([`NodeProxy::update_service`]), and the one piece of kernel state a sync changes —
//! IPVS connection state of removed virtual servers — exists only on a node that routed,
//! so a node holding kernel state applies its syncs at once (it is never behind).
//! The record is trimmed to what the furthest-behind node still needs each time it doubles;
//! a trim that finds [`MAX_ROUNDS`] rounds or more first folds the rounds every node has
//! synced into one (each Service they changed, at its last version), so the record stays
//! bounded by the Services and the rounds since the oldest sync — only a node whose
//! kube-proxy is down (it keeps its last sync) can hold rounds longer — and no node's rules
//! are built before somebody looks at them.

use crate::proxy::iptables::RuleCache;
use crate::proxy::{NodeProxy, ProxyConfig, ServiceEndpoints};
use crate::sort::CollectOrdered;
use crate::time::Millis;
use rustc_hash::FxHashMap;
use std::cell::{Cell, Ref, RefCell};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// Sync rounds from which a trim folds the rounds every node has synced into one (the record
/// stays bounded when some node is never looked at).
pub const MAX_ROUNDS: usize = 512;

/// A Service's ports as kube-proxy converted them (empty: the Service is gone).
pub type Ports = Rc<Vec<ServiceEndpoints>>;

/// One node's kube-proxy: its rules and how far they are synced.
#[derive(Debug, Clone)]
pub struct NodeRules {
    /// The rules as applied so far (up to generation `applied`).
    proxy: RefCell<NodeProxy>,
    /// Generation the rules in `proxy` reflect.
    applied: Cell<u64>,
    /// Generation of the node's last sync.
    synced: u64,
    /// Time of the last sync.
    pub synced_at: Millis,
}

/// The Services one sync round changed.
#[derive(Debug, Clone)]
struct Round {
    generation: u64,
    /// API time of the earliest change it carries.
    since: Millis,
    /// `namespace/name` of each changed Service.
    services: Vec<Rc<str>>,
}

/// Every node's programmed rules and the sync rounds they have not applied yet.
#[derive(Debug, Clone, Default)]
pub struct NodePrograms {
    nodes: BTreeMap<String, NodeRules>,
    /// Generation of the last round.
    generation: u64,
    /// Rounds some node has not applied yet, oldest first.
    rounds: VecDeque<Round>,
    /// Versions of each Service's ports some node has not applied yet: (generation, ports).
    versions: FxHashMap<Rc<str>, VecDeque<(u64, Ports)>>,
    /// Services whose change the informers delivered and no sync has taken yet, with the
    /// API time of the first such change (`serviceChanges` / `endpointsChanges`).
    changed: BTreeMap<String, Millis>,
    /// API time of the oldest change the informers have not delivered yet.
    unseen_since: Option<Millis>,
    /// Rounds at which to trim next.
    trim_at: usize,
    /// Generated iptables rules shared between nodes (the same Service rules on every node).
    rule_cache: RefCell<RuleCache>,
}

/// Whether a node's rules reflect the API (for the UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    /// Programmed rules reflect every API change seen so far.
    InSync {
        /// Time of the last sync.
        since: Millis,
    },
    /// Some API change is not programmed yet.
    Stale {
        /// Time of the oldest unprogrammed change.
        since: Millis,
        /// Services waiting to be synced.
        pending: usize,
    },
    /// kube-proxy has not programmed this node (not started yet, or no such node).
    NotProgrammed,
}

impl NodePrograms {
    // ---- written by the kube-proxy controller ------------------------------------------

    /// kube-proxy (re)starts on `node` and programs `services`, a full sync of its caches.
    /// The caches must hold nothing unpublished ([`NodePrograms::publish`] first).
    pub fn start(
        &mut self,
        node: &str,
        config: ProxyConfig,
        services: &[ServiceEndpoints],
        now: Millis,
    ) {
        self.nodes.insert(
            node.to_string(),
            NodeRules {
                proxy: RefCell::new(NodeProxy::new(config, services)),
                applied: Cell::new(self.generation),
                synced: self.generation,
                synced_at: now,
            },
        );
    }

    /// The informers delivered a change of Service `key` (`namespace/name`) made at API
    /// time `happened`.
    pub fn service_changed(&mut self, key: &str, happened: Millis) {
        if !self.changed.contains_key(key) {
            self.changed.insert(key.to_string(), happened);
        }
    }

    /// The API time of the oldest change the informers have not delivered yet (every node
    /// is stale from that moment).
    pub fn set_unseen_since(&mut self, since: Option<Millis>) {
        self.unseen_since = since;
    }

    /// Starts a sync round: the converted ports of every changed Service (`convert` is
    /// asked once per Service), for every node that syncs from now on.
    pub fn publish(&mut self, mut convert: impl FnMut(&str) -> Ports) {
        if self.changed.is_empty() {
            return;
        }
        self.generation += 1;
        let changed = std::mem::take(&mut self.changed);
        let since = changed.values().copied().min().unwrap_or_default();
        let mut services = Vec::with_capacity(changed.len());
        for key in changed.keys() {
            let ports = convert(key);
            let key: Rc<str> = match self.versions.get_key_value(key.as_str()) {
                Some((k, _)) => k.clone(),
                None => Rc::from(key.as_str()),
            };
            if ports.is_empty() {
                self.rule_cache.get_mut().forget(&key);
            }
            self.versions
                .entry(key.clone())
                .or_default()
                .push_back((self.generation, ports));
            services.push(key);
        }
        self.rounds.push_back(Round {
            generation: self.generation,
            since,
            services,
        });
        if self.rounds.len() >= self.trim_at {
            self.trim();
        }
    }

    /// Whether `node` has changes to sync.
    pub fn needs_sync(&self, node: &str) -> bool {
        !self.changed.is_empty()
            || self
                .nodes
                .get(node)
                .is_some_and(|n| n.synced < self.generation)
    }

    /// `node` synced at `now`: its rules are those of the last round.
    pub fn synced(&mut self, node: &str, now: Millis) {
        let generation = self.generation;
        let Some(n) = self.nodes.get_mut(node) else {
            return;
        };
        n.synced = generation;
        n.synced_at = now;
        if n.proxy.get_mut().has_prunable_state() {
            self.apply(node);
        }
    }

    /// Forgets a deleted node.
    pub fn remove(&mut self, node: &str) {
        self.nodes.remove(node);
    }

    // ---- read by the data plane and the UI -----------------------------------------------

    /// A node's sync record.
    pub fn node(&self, node: &str) -> Option<&NodeRules> {
        self.nodes.get(node)
    }

    /// The nodes kube-proxy has programmed.
    pub fn nodes(&self) -> impl Iterator<Item = (&String, &NodeRules)> {
        self.nodes.iter()
    }

    /// A node's programmed rules as of its last sync.
    pub fn proxy(&self, node: &str) -> Option<Ref<'_, NodeProxy>> {
        let n = self.nodes.get(node)?;
        if n.applied.get() < n.synced {
            // Only reached while nobody holds this node's rules: they are borrowed only
            // once applied, and a sync needs `&mut self`.
            self.catch_up(n, &mut n.proxy.borrow_mut());
        }
        Some(n.proxy.borrow())
    }

    /// A node's programmed rules as of its last sync, to route through.
    pub fn proxy_mut(&mut self, node: &str) -> Option<&mut NodeProxy> {
        self.apply(node);
        self.nodes.get_mut(node).map(|n| n.proxy.get_mut())
    }

    /// In sync / stale since, for the UI.
    pub fn status(&self, node: &str) -> SyncStatus {
        let Some(n) = self.nodes.get(node) else {
            return SyncStatus::NotProgrammed;
        };
        let first = self.rounds.partition_point(|r| r.generation <= n.synced);
        if let Some(round) = self.rounds.get(first) {
            let mut pending: BTreeSet<&str> = self
                .rounds
                .range(first..)
                .flat_map(|r| r.services.iter().map(|s| &**s))
                .collect_set();
            pending.extend(self.changed.keys().map(String::as_str));
            return SyncStatus::Stale {
                since: round.since,
                pending: pending.len(),
            };
        }
        if let Some(since) = self.changed.values().copied().min() {
            return SyncStatus::Stale {
                since,
                pending: self.changed.len(),
            };
        }
        match self.unseen_since {
            Some(since) => SyncStatus::Stale { since, pending: 1 },
            None => SyncStatus::InSync { since: n.synced_at },
        }
    }

    // ---- bringing nodes up to date -------------------------------------------------------

    fn apply(&mut self, node: &str) {
        if let Some(n) = self.nodes.get(node) {
            if n.applied.get() < n.synced {
                let mut proxy = n.proxy.borrow_mut();
                self.catch_up(n, &mut proxy);
            }
        }
    }

    /// Applies to `proxy` (node `n`'s rules) every Service changed by the rounds it synced
    /// and has not applied, at its version as of the node's last sync.
    fn catch_up(&self, n: &NodeRules, proxy: &mut NodeProxy) {
        let from = self
            .rounds
            .partition_point(|r| r.generation <= n.applied.get());
        let services: BTreeSet<&Rc<str>> = self
            .rounds
            .range(from..)
            .take_while(|r| r.generation <= n.synced)
            .flat_map(|r| r.services.iter())
            .collect_set();
        let mut cache = self.rule_cache.borrow_mut();
        for key in services {
            if let Some(ports) = self.version_at(key, n.synced) {
                proxy.update_service_cached(key, ports.clone(), Some(&mut cache));
            }
        }
        n.applied.set(n.synced);
    }

    /// The ports of `key` as of round `generation`.
    fn version_at(&self, key: &str, generation: u64) -> Option<&Ports> {
        let versions = self.versions.get(key)?;
        let i = versions.partition_point(|(g, _)| *g <= generation);
        versions.get(i.checked_sub(1)?).map(|(_, p)| p)
    }

    /// Drops the rounds and versions every node has applied; with [`MAX_ROUNDS`] rounds or
    /// more, first folds the rounds every node has synced into one ([`Self::compact`]). Runs
    /// as the record doubles (64, 128, …), so its walk over the nodes is paid once per that
    /// many rounds.
    fn trim(&mut self) {
        if self.rounds.len() >= MAX_ROUNDS {
            self.compact();
        }
        let oldest = self
            .nodes
            .values()
            .map(|n| n.applied.get())
            .min()
            .unwrap_or(self.generation);
        while self.rounds.front().is_some_and(|r| r.generation <= oldest) {
            let Some(round) = self.rounds.pop_front() else {
                break;
            };
            for key in round.services {
                if let Some(v) = self.versions.get_mut(&key) {
                    while v.front().is_some_and(|(g, _)| *g <= oldest) {
                        v.pop_front();
                    }
                    if v.is_empty() {
                        self.versions.remove(&key);
                    }
                }
            }
        }
        self.trim_at = (self.rounds.len() * 2).max(64);
    }

    /// Folds the rounds up to the oldest last sync of any node into one round listing every
    /// Service they changed, keeping of each such Service only its last version up to there
    /// (and every later one). A node that has not applied them applies that one round: the
    /// Services it changed at their versions as of the node's last sync, which is what
    /// applying the rounds one by one would leave (a Service it re-applies unchanged comes
    /// out the same). Bringing every node up to date instead would build the rules of every
    /// node nobody looks at: at 5,000 nodes and 10,000 Services, gigabytes.
    fn compact(&mut self) {
        let Some(upto) = self.nodes.values().map(|n| n.synced).min() else {
            return;
        };
        let n = self.rounds.partition_point(|r| r.generation <= upto);
        if n < 2 {
            return;
        }
        let folded: Vec<Round> = self.rounds.drain(..n).collect();
        let since = folded.iter().map(|r| r.since).min().unwrap_or_default();
        let services: BTreeSet<Rc<str>> = folded.into_iter().flat_map(|r| r.services).collect_set();
        for key in &services {
            if let Some(v) = self.versions.get_mut(key) {
                let last_up_to = v.partition_point(|(g, _)| *g <= upto);
                v.drain(..last_up_to.saturating_sub(1));
            }
        }
        self.rounds.push_front(Round {
            generation: upto,
            since,
            services: services.into_iter().collect(),
        });
    }
}
