//! Routing speed in the browser (issue 4, "wasm within 2× of native"): the loop of
//! `core/benches/route.rs` (one node, 1,000 Services × 10 endpoints, a new connection to a
//! different Service each time) compiled to wasm32 and run in headless Chromium.
//!
//! A report, not a check: it prints connections routed per second per proxy mode to the
//! console and asserts only that routing produced DNATs. Run it with
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p kubeplay-web --target wasm32-unknown-unknown --release --test route_speed -- --nocapture`
//! and compare with `cargo bench -p kubeplay-core --bench route`.

use std::net::Ipv4Addr;

use kubeplay_core::proxy::{
    EndpointInfo, FlowKey, NodeProxy, Protocol, ProxyConfig, ProxyMode, ServiceEndpoints,
    ServicePortInfo, SessionAffinity, SourceKind, Verdict,
};
use kubeplay_core::rng::SimRng;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SERVICES: u32 = 1000;
const ENDPOINTS: u32 = 10;
/// Connections per batch; batches run until [`BUDGET_MS`] has passed.
const BATCH: u32 = 20_000;
/// Measured time per mode: long enough for `performance.now()`'s coarse clock, short
/// enough that the whole (synchronous) test stays well inside the runner's 20 s poll.
const BUDGET_MS: f64 = 1_000.0;

fn cluster(affinity: SessionAffinity) -> Vec<ServiceEndpoints> {
    (0..SERVICES)
        .map(|s| {
            let mut service = ServicePortInfo::new(
                "bench",
                &format!("svc{s}"),
                "http",
                Protocol::Tcp,
                Some(Ipv4Addr::from(0x0A60_0000 + s + 1)),
                80,
            );
            service.session_affinity = affinity;
            let endpoints = (0..ENDPOINTS)
                .map(|e| {
                    EndpointInfo::ready(
                        Ipv4Addr::from(0x0AF4_0000 + s * ENDPOINTS + e + 1),
                        8080,
                        "n1",
                    )
                })
                .collect();
            ServiceEndpoints { service, endpoints }
        })
        .collect()
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

#[wasm_bindgen_test]
fn report_routes_per_second_in_wasm() {
    for (name, mode, affinity) in [
        ("iptables", ProxyMode::Iptables, SessionAffinity::None),
        ("ipvs", ProxyMode::Ipvs, SessionAffinity::None),
        ("nftables", ProxyMode::Nftables, SessionAffinity::None),
        (
            "iptables-clientip",
            ProxyMode::Iptables,
            SessionAffinity::ClientIp { timeout_s: 10_800 },
        ),
        (
            "ipvs-clientip",
            ProxyMode::Ipvs,
            SessionAffinity::ClientIp { timeout_s: 10_800 },
        ),
        (
            "nftables-clientip",
            ProxyMode::Nftables,
            SessionAffinity::ClientIp { timeout_s: 10_800 },
        ),
    ] {
        let mut config = ProxyConfig::new("n1", vec![Ipv4Addr::new(192, 168, 0, 2)]);
        config.mode = mode;
        let mut node = NodeProxy::new(config, &cluster(affinity));
        let mut rng = SimRng::new(1);
        let mut dnats = 0u32;
        let mut run = |from: u32, to: u32, dnats: &mut u32| {
            for i in from..to {
                let flow = FlowKey {
                    src_ip: Ipv4Addr::from(0x0AF4_0000 + (i % 50_000)),
                    source: SourceKind::Pod,
                    dst_ip: Ipv4Addr::from(0x0A60_0000 + (i % SERVICES) + 1),
                    dst_port: 80,
                    protocol: Protocol::Tcp,
                };
                if let Verdict::Dnat { .. } = node.decide(&flow, u64::from(i), &mut rng).verdict() {
                    *dnats += 1;
                }
            }
        };
        // Warm-up: compiles every destination once.
        run(0, SERVICES * 2, &mut dnats);
        let mut next = SERVICES * 2;
        let start = now_ms();
        let mut elapsed = 0.0;
        while elapsed < BUDGET_MS {
            run(next, next + BATCH, &mut dnats);
            next += BATCH;
            elapsed = now_ms() - start;
        }
        let routes = f64::from(next - SERVICES * 2);
        let rate = if elapsed > 0.0 {
            routes / (elapsed / 1000.0)
        } else {
            f64::INFINITY
        };
        web_sys::console::log_1(
            &format!("route/{name} (wasm32): {:.2} M routes/s", rate / 1e6).into(),
        );
        assert_eq!(dnats, next, "{name}: every route DNATs");
    }
}
