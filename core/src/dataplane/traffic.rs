//! Traffic generators: a client (a pod, or clients outside the cluster) sending requests
//! at a fixed rate in virtual time, driven by the Sim's event queue through the
//! [`TrafficController`] (one queue key per generator), so traffic runs whenever time
//! advances and stays deterministic (all choices come from the Sim's RNG).

use super::{send, Client, Connection, RequestSpec};
use crate::apiserver::{ApiServer, ObjectKey, WatchEvent};
use crate::controllers::{Controller, Ctx, Queue};
use crate::infra::Infra;
use crate::time::Millis;
use std::net::Ipv4Addr;

/// Queue namespace of generator keys.
pub const TRAFFIC_NS: &str = "traffic";

/// Where a generator's requests come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrafficSource {
    /// A pod (`namespace/name`).
    Pod(ObjectKey),
    /// `clients` distinct clients outside the cluster (203.0.113.10, .11, …).
    External,
}

/// What a user starts with `traffic start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficSpec {
    /// Client.
    pub source: TrafficSource,
    /// Target host (Service name, ClusterIP, node IP, LB IP, pod IP).
    pub host: String,
    /// Target port.
    pub port: u16,
    /// Requests per second (≥ 1).
    pub rate: u32,
    /// Reuse one connection per client (HTTP keep-alive).
    pub keep_alive: bool,
    /// Number of concurrent clients (external addresses, or connections of the pod).
    pub clients: u32,
}

/// A running generator.
#[derive(Debug, Clone)]
pub struct Generator {
    /// What it sends.
    pub spec: TrafficSpec,
    /// When it started.
    pub started: Millis,
    /// Requests sent.
    pub sent: u64,
    /// Stopped generators send nothing more.
    pub running: bool,
    /// Requests skipped because the client pod could not send (gone, node down).
    pub skipped: u64,
    /// Open keep-alive connection of each client.
    pub(crate) conns: Vec<Option<Connection>>,
}

/// Address of external client `i`.
pub fn external_client_ip(i: u32) -> Ipv4Addr {
    // TEST-NET-3 (203.0.113.0/24) from .10, then 198.18.0.0/15 for larger crowds.
    if i < 240 {
        Ipv4Addr::new(203, 0, 113, 10 + i as u8)
    } else {
        Ipv4Addr::from(0xC612_0000u32 + (i - 240))
    }
}

impl Generator {
    /// A generator started at `now`.
    pub fn new(spec: TrafficSpec, now: Millis) -> Self {
        let n = spec.clients.max(1) as usize;
        Generator {
            spec,
            started: now,
            sent: 0,
            running: true,
            skipped: 0,
            conns: vec![None; n],
        }
    }

    /// When request number `k` is due.
    fn due(&self, k: u64) -> Millis {
        self.started + k * 1000 / u64::from(self.spec.rate.max(1))
    }
}

/// Drives the generators.
#[derive(Debug, Default)]
pub struct TrafficController;

impl Controller for TrafficController {
    fn name(&self) -> &'static str {
        "traffic"
    }

    fn on_event(&mut self, _ev: &WatchEvent, _api: &ApiServer, _infra: &Infra, _queue: &mut Queue) {
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        if key.namespace != TRAFFIC_NS {
            return;
        }
        let Ok(id) = key.name.parse::<u32>() else {
            return;
        };
        let now = ctx.api.now;
        loop {
            let Some(g) = ctx.infra.dataplane.generators.get(&id) else {
                return;
            };
            if !g.running {
                return;
            }
            let due = g.due(g.sent);
            if due > now {
                ctx.queue.add_after(key.clone(), due - now);
                return;
            }
            let slot = (g.sent % g.conns.len() as u64) as usize;
            let client = match &g.spec.source {
                TrafficSource::Pod(k) => Client::Pod(k.clone()),
                TrafficSource::External => Client::External(external_client_ip(slot as u32)),
            };
            let spec = RequestSpec {
                client,
                host: g.spec.host.clone(),
                port: g.spec.port,
                path: "/".into(),
                generator: Some(id),
            };
            let keep_alive = g.spec.keep_alive;
            let reuse = g.conns.get(slot).cloned().flatten();
            let res = send(ctx.api, ctx.infra, &spec, reuse.as_ref(), keep_alive);
            let Some(g) = ctx.infra.dataplane.generators.get_mut(&id) else {
                return;
            };
            g.sent += 1;
            match res {
                Ok(sent) => {
                    if let Some(c) = g.conns.get_mut(slot) {
                        *c = sent.connection;
                    }
                }
                // The client pod cannot send (deleted, or its node is down): nothing is
                // sent, so nothing is recorded; counted as skipped.
                Err(_) => g.skipped += 1,
            }
        }
    }
}
