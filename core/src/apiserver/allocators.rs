//! IP and port allocators of the API server and the simulated cloud: Service ClusterIPs from the
//! service CIDR, NodePorts from `--service-node-port-range`, and LoadBalancer ingress IPs.
//!
//! Dynamic allocation picks a random free value (from the simulation's seeded RNG) above the
//! static band that KEP-3070 (ClusterIPs) and KEP-3668 (NodePorts) reserve for explicit requests,
//! as the real allocators do.

use crate::rng::SimRng;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// The service CIDR (kubeadm's default).
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
/// First address of the service CIDR.
pub const SERVICE_CIDR_BASE: u32 = 0x0A60_0000;
/// Size of the service CIDR.
pub const SERVICE_CIDR_SIZE: u32 = 1 << 20;
/// The NodePort range (`--service-node-port-range` default).
pub const NODE_PORT_MIN: i32 = 30000;
/// Last NodePort.
pub const NODE_PORT_MAX: i32 = 32767;
/// The simulated cloud's pool of load-balancer addresses (TEST-NET-2, a documentation range;
/// outside clients use TEST-NET-3, so the two never collide).
pub const LB_POOL_BASE: u32 = 0xC633_6400; // 198.51.100.0

/// Allocation state.
///
/// A request that allocates runs inside a transaction ([`Allocators::begin`]): every value
/// taken or freed is journaled, so a request that fails later (validation) puts back exactly
/// what it changed ([`Allocators::rollback`]). That costs what the request touched, where a
/// snapshot of the whole state would cost one copy per Service in the cluster on every write.
#[derive(Clone, Debug, Default)]
pub struct Allocators {
    cluster_ips: BTreeSet<u32>,
    node_ports: BTreeSet<i32>,
    lb_ips: BTreeSet<u32>,
    /// Changes of the open transaction, oldest first (`None`: no transaction).
    journal: Option<Vec<Change>>,
}

/// One journaled change: which value of which pool, and whether it was taken (else freed).
#[derive(Clone, Copy, Debug)]
enum Change {
    ClusterIp(u32, bool),
    NodePort(i32, bool),
    LbIp(u32, bool),
}

/// Why an explicit request failed, rendered as the allocators word it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// Outside the range.
    NotInRange,
    /// Taken.
    Allocated,
    /// Nothing left.
    Full,
}

impl Allocators {
    /// Opens a transaction: changes from now on can be undone by [`Allocators::rollback`].
    pub fn begin(&mut self) {
        self.journal = Some(Vec::new());
    }

    /// Keeps the changes of the open transaction and closes it.
    pub fn commit(&mut self) {
        self.journal = None;
    }

    /// Undoes every change of the open transaction, newest first, and closes it.
    pub fn rollback(&mut self) {
        for change in self.journal.take().unwrap_or_default().into_iter().rev() {
            match change {
                Change::ClusterIp(v, true) => self.cluster_ips.remove(&v),
                Change::ClusterIp(v, false) => self.cluster_ips.insert(v),
                Change::NodePort(p, true) => self.node_ports.remove(&p),
                Change::NodePort(p, false) => self.node_ports.insert(p),
                Change::LbIp(v, true) => self.lb_ips.remove(&v),
                Change::LbIp(v, false) => self.lb_ips.insert(v),
            };
        }
    }

    fn log(&mut self, change: Change) {
        if let Some(j) = &mut self.journal {
            j.push(change);
        }
    }

    fn take_ip(&mut self, v: u32) -> bool {
        let fresh = self.cluster_ips.insert(v);
        if fresh {
            self.log(Change::ClusterIp(v, true));
        }
        fresh
    }

    fn take_port(&mut self, p: i32) -> bool {
        let fresh = self.node_ports.insert(p);
        if fresh {
            self.log(Change::NodePort(p, true));
        }
        fresh
    }

    /// Reserves a specific ClusterIP.
    pub fn allocate_cluster_ip(&mut self, ip: Ipv4Addr) -> Result<(), AllocError> {
        let v = u32::from(ip);
        if v <= SERVICE_CIDR_BASE || v >= SERVICE_CIDR_BASE + SERVICE_CIDR_SIZE - 1 {
            return Err(AllocError::NotInRange);
        }
        if !self.take_ip(v) {
            return Err(AllocError::Allocated);
        }
        Ok(())
    }

    /// Picks a free ClusterIP above the static band (the first 256 addresses of a /12).
    pub fn next_cluster_ip(&mut self, rng: &mut SimRng) -> Result<Ipv4Addr, AllocError> {
        let band = (SERVICE_CIDR_SIZE / 16).clamp(16, 256);
        let span = SERVICE_CIDR_SIZE - 1 - band;
        let start = rng.below(span as u64) as u32;
        for i in 0..span {
            let v = SERVICE_CIDR_BASE + band + (start + i) % span;
            if self.take_ip(v) {
                return Ok(Ipv4Addr::from(v));
            }
        }
        // The static band is the last resort, as upstream falls back to it when full.
        for v in SERVICE_CIDR_BASE + 1..SERVICE_CIDR_BASE + band {
            if self.take_ip(v) {
                return Ok(Ipv4Addr::from(v));
            }
        }
        Err(AllocError::Full)
    }

    /// Frees a ClusterIP.
    pub fn release_cluster_ip(&mut self, ip: &str) {
        if let Ok(ip) = ip.parse::<Ipv4Addr>() {
            let v = u32::from(ip);
            if self.cluster_ips.remove(&v) {
                self.log(Change::ClusterIp(v, false));
            }
        }
    }

    /// Reserves a specific NodePort.
    pub fn allocate_node_port(&mut self, port: i32) -> Result<(), AllocError> {
        if !(NODE_PORT_MIN..=NODE_PORT_MAX).contains(&port) {
            return Err(AllocError::NotInRange);
        }
        if !self.take_port(port) {
            return Err(AllocError::Allocated);
        }
        Ok(())
    }

    /// Whether a NodePort is taken.
    pub fn node_port_in_use(&self, port: i32) -> bool {
        self.node_ports.contains(&port)
    }

    /// Picks a free NodePort above the static band (KEP-3668: min(max(16, size/32), 128)).
    pub fn next_node_port(&mut self, rng: &mut SimRng) -> Result<i32, AllocError> {
        let size = NODE_PORT_MAX - NODE_PORT_MIN + 1;
        let band = (size / 32).clamp(16, 128);
        let span = size - band;
        let start = rng.below(span as u64) as i32;
        for i in 0..span {
            let p = NODE_PORT_MIN + band + (start + i) % span;
            if self.take_port(p) {
                return Ok(p);
            }
        }
        for p in NODE_PORT_MIN..NODE_PORT_MIN + band {
            if self.take_port(p) {
                return Ok(p);
            }
        }
        Err(AllocError::Full)
    }

    /// Frees a NodePort.
    pub fn release_node_port(&mut self, port: i32) {
        if self.node_ports.remove(&port) {
            self.log(Change::NodePort(port, false));
        }
    }

    /// The next free load-balancer address of the simulated cloud (198.51.100.10 onwards).
    pub fn next_lb_ip(&mut self) -> Option<Ipv4Addr> {
        let v = (10..255)
            .map(|o| LB_POOL_BASE + o)
            .find(|v| self.lb_ips.insert(*v))?;
        self.log(Change::LbIp(v, true));
        Some(Ipv4Addr::from(v))
    }

    /// Returns a load-balancer address to the pool.
    pub fn release_lb_ip(&mut self, ip: &str) {
        if let Ok(ip) = ip.parse::<Ipv4Addr>() {
            let v = u32::from(ip);
            if self.lb_ips.remove(&v) {
                self.log(Change::LbIp(v, false));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_cluster_ips_avoid_the_static_band_and_never_repeat() {
        let (mut a, mut rng) = (Allocators::default(), SimRng::new(1));
        let mut seen = BTreeSet::new();
        for _ in 0..500 {
            let ip = u32::from(a.next_cluster_ip(&mut rng).unwrap());
            let dynamic = SERVICE_CIDR_BASE + 256..SERVICE_CIDR_BASE + SERVICE_CIDR_SIZE - 1;
            assert!(dynamic.contains(&ip));
            assert!(seen.insert(ip));
        }
    }

    #[test]
    fn explicit_cluster_ips_are_checked() {
        let mut a = Allocators::default();
        assert_eq!(a.allocate_cluster_ip("10.96.0.10".parse().unwrap()), Ok(()));
        assert_eq!(
            a.allocate_cluster_ip("10.96.0.10".parse().unwrap()),
            Err(AllocError::Allocated)
        );
        assert_eq!(
            a.allocate_cluster_ip("10.0.0.1".parse().unwrap()),
            Err(AllocError::NotInRange)
        );
        assert_eq!(
            a.allocate_cluster_ip("10.96.0.0".parse().unwrap()),
            Err(AllocError::NotInRange)
        );
    }

    #[test]
    fn rollback_restores_exactly_what_the_transaction_changed() {
        let (mut a, mut rng) = (Allocators::default(), SimRng::new(3));
        a.allocate_node_port(30080).unwrap();
        a.allocate_cluster_ip("10.96.0.10".parse().unwrap())
            .unwrap();
        let lb = a.next_lb_ip().unwrap();
        let before = (
            a.cluster_ips.clone(),
            a.node_ports.clone(),
            a.lb_ips.clone(),
        );
        a.begin();
        a.release_node_port(30080);
        a.allocate_node_port(30080).unwrap();
        a.release_node_port(30080);
        a.next_node_port(&mut rng).unwrap();
        a.next_cluster_ip(&mut rng).unwrap();
        a.release_cluster_ip("10.96.0.10");
        a.release_lb_ip(&lb.to_string());
        a.next_lb_ip().unwrap();
        a.next_lb_ip().unwrap();
        a.rollback();
        assert_eq!(
            (
                a.cluster_ips.clone(),
                a.node_ports.clone(),
                a.lb_ips.clone()
            ),
            before
        );
        // A committed transaction stays, and a later rollback does not reach back into it.
        a.begin();
        a.release_node_port(30080);
        a.commit();
        a.rollback();
        assert!(!a.node_port_in_use(30080));
    }

    #[test]
    fn node_ports_stay_in_range() {
        let (mut a, mut rng) = (Allocators::default(), SimRng::new(2));
        for _ in 0..2768 {
            let p = a.next_node_port(&mut rng).unwrap();
            assert!((NODE_PORT_MIN..=NODE_PORT_MAX).contains(&p));
        }
        assert_eq!(a.next_node_port(&mut rng), Err(AllocError::Full));
        assert_eq!(a.allocate_node_port(80), Err(AllocError::NotInRange));
    }
}
