//! Node IPAM (kube-controller-manager's `nodeipam` controller with the `RangeAllocator`, as
//! kubeadm runs it with `--allocate-node-cidrs` and `--cluster-cidr` from
//! `--pod-network-cidr`): every node without a `spec.podCIDR` gets the next free /24
//! (`--node-cidr-mask-size`) of the cluster CIDR, the kubelet's IPAM then hands pod IPs out of
//! it. A node that registers with a podCIDR already set keeps it (the allocator marks it
//! taken, as `occupyCIDRs` does); a deleted node's block is freed.
//!
//! When the range is exhausted the node gets no podCIDR and the allocator records the event
//! upstream records (`Normal CIDRNotAvailable "Node <name> status is now: CIDRNotAvailable"`
//! from `cidrAllocator`); such nodes get a block as soon as one is freed. Their kubelet cannot
//! give pods an address (see the kubelet's `FailedCreatePodSandBox`).
//!
//! The first block is held by the control-plane node, which the simulator does not show (it
//! is managed): as on a kind cluster, `node-1` gets `10.244.1.0/24`.

use super::{Controller, Ctx, Queue};
use crate::api::*;
use crate::apiserver::{object_ref, ApiServer, ObjectKey, WatchEvent, WatchEventType};
use crate::infra::Infra;
use crate::proxy::Ipv4Cidr;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// `--node-cidr-mask-size` for IPv4 (the default).
pub const NODE_CIDR_MASK_SIZE: u8 = 24;

/// The blocks of the cluster CIDR (`cidrset.CidrSet`): which are taken, and where the next
/// search starts (after the last block handed out, wrapping, so a freed block is reused only
/// once the others are used).
#[derive(Clone, Debug)]
pub struct CidrSet {
    base: u32,
    count: u32,
    used: BTreeSet<u32>,
    next_candidate: u32,
}

impl CidrSet {
    /// The /`mask` blocks of `cluster`; none when the mask is shorter than the cluster prefix.
    pub fn new(cluster: Ipv4Cidr, mask: u8) -> Self {
        let count = if mask < cluster.prefix || mask > 32 {
            0
        } else {
            // At most 2^16 blocks, as upstream caps the difference of prefixes at 16 bits.
            1u32 << u32::from(mask - cluster.prefix).min(16)
        };
        CidrSet {
            base: u32::from(cluster.network()),
            count,
            used: BTreeSet::new(),
            next_candidate: 0,
        }
    }

    fn block_size() -> u32 {
        1 << (32 - u32::from(NODE_CIDR_MASK_SIZE))
    }

    fn cidr(&self, index: u32) -> String {
        let addr = Ipv4Addr::from(
            self.base
                .wrapping_add(index.wrapping_mul(Self::block_size())),
        );
        format!("{addr}/{NODE_CIDR_MASK_SIZE}")
    }

    /// Index of the block `cidr` names, when it is one of this set's blocks.
    fn index_of(&self, cidr: &str) -> Option<u32> {
        let c: Ipv4Cidr = cidr.parse().ok()?;
        if c.prefix != NODE_CIDR_MASK_SIZE {
            return None;
        }
        let offset = u32::from(c.network()).checked_sub(self.base)?;
        let index = offset / Self::block_size();
        (index < self.count).then_some(index)
    }

    /// Takes the next free block (`AllocateNext`); `None` when every block is taken.
    pub fn allocate_next(&mut self) -> Option<String> {
        // The used set is ordered: the first free index at or after the candidate is found
        // by walking the run of taken indexes there, not by probing the whole range.
        for start in [self.next_candidate, 0] {
            let mut i = start;
            for &u in self.used.range(start..) {
                if u != i {
                    break;
                }
                i += 1;
            }
            if i < self.count {
                self.used.insert(i);
                self.next_candidate = (i + 1) % self.count;
                return Some(self.cidr(i));
            }
        }
        None
    }

    /// Marks `cidr` taken (`Occupy`); false when it is not a block of this set.
    pub fn occupy(&mut self, cidr: &str) -> bool {
        match self.index_of(cidr) {
            Some(i) => {
                self.used.insert(i);
                true
            }
            None => false,
        }
    }

    /// Frees `cidr` (`Release`).
    pub fn release(&mut self, cidr: &str) {
        if let Some(i) = self.index_of(cidr) {
            self.used.remove(&i);
        }
    }
}

/// The node IPAM controller.
pub struct NodeIpamController {
    cidrs: CidrSet,
    /// Each node's block, so a deletion frees what the node held.
    assigned: BTreeMap<SharedStr, String>,
    /// Nodes that got no block (range exhausted), retried when a block is freed.
    waiting: BTreeSet<SharedStr>,
}

impl NodeIpamController {
    /// A range allocator over `cluster_cidr`.
    pub fn new(cluster_cidr: Ipv4Cidr) -> Self {
        let mut cidrs = CidrSet::new(cluster_cidr, NODE_CIDR_MASK_SIZE);
        // The (managed, unseen) control-plane node registered first and holds the first block.
        let _control_plane = cidrs.allocate_next();
        NodeIpamController {
            cidrs,
            assigned: BTreeMap::new(),
            waiting: BTreeSet::new(),
        }
    }
}

impl Controller for NodeIpamController {
    fn name(&self) -> &'static str {
        "cidrAllocator"
    }

    fn on_event(&mut self, ev: &WatchEvent, _api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        let node = match ev.object() {
            Some(Object::Node(n)) => n,
            _ => return,
        };
        let name = &ev.key.name;
        if ev.type_ == WatchEventType::Deleted {
            self.waiting.remove(name);
            if let Some(cidr) = self.assigned.remove(name) {
                self.cidrs.release(&cidr);
                for w in &self.waiting {
                    queue.add(ObjectKey::cluster(w.clone()));
                }
            }
            return;
        }
        match node.spec.pod_cidr.as_deref() {
            Some(cidr) if !cidr.is_empty() => {
                if self.assigned.get(name).map(String::as_str) != Some(cidr) {
                    self.cidrs.occupy(cidr);
                    self.assigned.insert(name.clone(), cidr.to_string());
                }
            }
            _ => {
                if !self.assigned.contains_key(name) {
                    queue.add(ev.key.clone());
                }
            }
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        let Some(node) = ctx.api.get::<Node>("", &key.name) else {
            return;
        };
        if node.spec.pod_cidr.as_deref().is_some_and(|c| !c.is_empty()) {
            return;
        }
        let Some(cidr) = self.cidrs.allocate_next() else {
            self.waiting.insert(key.name.clone());
            ctx.api.record_event(
                object_ref(&*node),
                "Normal",
                "CIDRNotAvailable",
                super::event_messages::node_status(&key.name, "CIDRNotAvailable"),
                "cidrAllocator",
                None,
            );
            return;
        };
        self.waiting.remove(&key.name);
        self.assigned.insert(key.name.clone(), cidr.clone());
        let written = ctx.api.modify::<Node>("", &key.name, |n| {
            n.spec.pod_cidr = Some(cidr.clone());
            n.spec.pod_cidrs = vec![cidr.clone()];
        });
        if written.is_err() {
            self.assigned.remove(&key.name);
            self.cidrs.release(&cidr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(cidr: &str) -> CidrSet {
        CidrSet::new(cidr.parse().expect("cidr"), NODE_CIDR_MASK_SIZE)
    }

    #[test]
    fn blocks_are_handed_out_in_order_until_the_range_is_exhausted() {
        // A /22 holds four /24s.
        let mut s = set("10.244.0.0/22");
        let got: Vec<_> = std::iter::from_fn(|| s.allocate_next()).collect();
        assert_eq!(
            got,
            [
                "10.244.0.0/24",
                "10.244.1.0/24",
                "10.244.2.0/24",
                "10.244.3.0/24"
            ]
        );
        assert_eq!(s.allocate_next(), None);
    }

    #[test]
    fn a_freed_block_is_reused_after_the_search_wraps() {
        let mut s = set("10.244.0.0/22");
        for _ in 0..3 {
            s.allocate_next();
        }
        s.release("10.244.1.0/24");
        // The search continues after the last block handed out, then wraps.
        assert_eq!(s.allocate_next().as_deref(), Some("10.244.3.0/24"));
        assert_eq!(s.allocate_next().as_deref(), Some("10.244.1.0/24"));
    }

    #[test]
    fn occupied_blocks_are_skipped_and_foreign_ones_ignored() {
        let mut s = set("10.244.0.0/16");
        assert!(s.occupy("10.244.0.0/24"));
        assert!(s.occupy("10.244.1.0/24"));
        assert!(!s.occupy("10.245.0.0/24"));
        assert!(!s.occupy("10.244.2.0/25"));
        assert!(!s.occupy("not a cidr"));
        assert_eq!(s.allocate_next().as_deref(), Some("10.244.2.0/24"));
    }

    #[test]
    fn range_sizes_follow_the_cluster_prefix() {
        assert_eq!(set("10.244.0.0/16").count, 256);
        assert_eq!(set("10.128.0.0/9").count, 32_768);
        assert_eq!(set("10.244.0.0/24").count, 1);
        assert_eq!(set("10.244.0.0/25").count, 0);
        assert_eq!(set("10.244.0.0/25").allocate_next(), None);
        // Addresses beyond the /16 are still well formed (the old scheme was not past 255).
        let mut big = set("10.128.0.0/9");
        for _ in 0..300 {
            big.allocate_next();
        }
        assert_eq!(big.allocate_next().as_deref(), Some("10.129.44.0/24"));
    }
}
