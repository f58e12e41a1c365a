//! The console verbs of the data plane, as `Sim` methods returning the text to print
//! (`Ok` = stdout, `Err` = stderr). The console parser (`kubectl/`) maps command lines to
//! these.
//!
//! The simulated apps are echo servers answering like `traefik/whoami`:
//! ```text
//! Hostname: web-7d9c5b8f4-x2v9k
//! IP: 127.0.0.1
//! IP: 10.244.1.5
//! RemoteAddr: 10.244.2.3:32768
//! GET / HTTP/1.1
//! Host: web
//! User-Agent: curl/8.5.0
//! Accept: */*
//! ```
//! so `RemoteAddr` shows the source address the pod saw (a node address when the
//! request was masqueraded). Failures are worded as curl 8 words them; a failed request
//! does not advance virtual time (a real curl would block up to its 5 s timeout).

use super::stats::Outcome;
use super::traffic::{Generator, TrafficSource, TrafficSpec, TRAFFIC_NS};
use super::{dns, send, Client, RequestRecord, RequestSpec, SyncStatus};
use crate::apiserver::ObjectKey;
use crate::proxy::Programmed;
use crate::sim::Sim;
use std::fmt::Write as _;

/// A parsed `http://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Host (name or address).
    pub host: String,
    /// Port (80 by default, 443 for https).
    pub port: u16,
    /// Path, starting with `/`.
    pub path: String,
}

/// Parses a curl URL; `None` when malformed.
pub fn parse_url(url: &str) -> Option<Url> {
    let (rest, default_port) = if let Some(r) = url.strip_prefix("http://") {
        (r, 80)
    } else if let Some(r) = url.strip_prefix("https://") {
        (r, 443)
    } else if url.contains("://") {
        return None;
    } else {
        (url, 80)
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().ok().filter(|p| *p != 0)?),
        None => (hostport, default_port),
    };
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    valid.then(|| Url {
        host: host.to_string(),
        port,
        path: path.to_string(),
    })
}

/// curl's options that matter here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct CurlArgs {
    silent: bool,
    show_error: bool,
    url: Option<String>,
}

fn parse_curl(args: &[&str]) -> CurlArgs {
    let mut c = CurlArgs::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        match a {
            "-m" | "--max-time" | "--connect-timeout" | "-H" | "-X" | "-o" | "-w" => i += 1,
            _ if a.starts_with("--") => {
                if a == "--silent" {
                    c.silent = true;
                } else if a == "--show-error" {
                    c.show_error = true;
                }
            }
            _ if a.starts_with('-') && a.len() > 1 => {
                c.silent |= a.contains('s');
                c.show_error |= a.contains('S');
            }
            _ => {
                if c.url.is_none() {
                    c.url = Some(a.to_string());
                }
            }
        }
        i += 1;
    }
    c
}

/// The echo server's answer.
fn echo(r: &RequestRecord, url: &Url) -> String {
    let Outcome::Served {
        pod,
        pod_ip,
        seen_src,
        ..
    } = &r.outcome
    else {
        return String::new();
    };
    let host = if url.port == 80 {
        url.host.clone()
    } else {
        format!("{}:{}", url.host, url.port)
    };
    format!(
        "Hostname: {}\nIP: 127.0.0.1\nIP: {pod_ip}\nRemoteAddr: {seen_src}:{}\nGET {} HTTP/1.1\nHost: {host}\nUser-Agent: curl/8.5.0\nAccept: */*\n\n",
        pod.name, r.sport, url.path
    )
}

/// curl's error line and exit code for a failed request.
fn curl_error(r: &RequestRecord, url: &Url) -> (String, i32) {
    let (ip, port) = match r.dst {
        Some(d) => (d.ip().to_string(), d.port()),
        None => (url.host.clone(), url.port),
    };
    match r.outcome {
        Outcome::Served { .. } => (String::new(), 0),
        Outcome::Refused => (
            format!("curl: (7) Failed to connect to {ip} port {port} after 0 ms: Couldn't connect to server"),
            7,
        ),
        Outcome::Dropped | Outcome::TimedOut => (
            format!("curl: (28) Connection timed out after {} milliseconds", super::CONNECT_TIMEOUT_MS),
            28,
        ),
        Outcome::Reset => ("curl: (56) Recv failure: Connection reset by peer".to_string(), 56),
        Outcome::NotRoutable if r.dst.is_none() => {
            (format!("curl: (6) Could not resolve host: {}", url.host), 6)
        }
        Outcome::NotRoutable => (
            format!("curl: (7) Failed to connect to {ip} port {port} after 0 ms: No route to host"),
            7,
        ),
    }
}

fn node_or_err(sim: &Sim, node: &str) -> Result<(), String> {
    if sim.infra.dataplane.node(node).is_some() {
        Ok(())
    } else if sim.api.get::<crate::api::Node>("", node).is_some() {
        Err(format!(
            "Error: kube-proxy on node \"{node}\" has not programmed any rules yet"
        ))
    } else {
        Err(format!(
            "Error from server (NotFound): nodes \"{node}\" not found"
        ))
    }
}

impl Sim {
    fn curl_from(&mut self, client: Client, args: &[&str], in_pod: bool) -> Result<String, String> {
        let c = parse_curl(args);
        let fail = |msg: String, code: i32, c: &CurlArgs| -> Result<String, String> {
            let mut s = String::new();
            if !c.silent || c.show_error {
                s.push_str(&msg);
            }
            if in_pod {
                if !s.is_empty() {
                    s.push('\n');
                }
                let _ = write!(s, "command terminated with exit code {code}");
            }
            Err(s)
        };
        let Some(raw) = c.url.clone() else {
            return fail(
                "curl: try 'curl --help' or 'curl --manual' for more information".into(),
                2,
                &c,
            );
        };
        let Some(url) = parse_url(&raw) else {
            return fail(
                "curl: (3) URL rejected: Malformed input to a URL function".into(),
                3,
                &c,
            );
        };
        let spec = RequestSpec {
            client,
            host: url.host.clone(),
            port: url.port,
            path: url.path.clone(),
            generator: None,
        };
        let sent = send(&mut self.api, &mut self.infra, &spec, None, false)?;
        let r = sent.record;
        if matches!(r.outcome, Outcome::Served { .. }) {
            Ok(echo(&r, &url))
        } else {
            let (msg, code) = curl_error(&r, &url);
            fail(msg, code, &c)
        }
    }

    /// `kubectl exec POD -- curl ARGS…` (`pod` as `name` or `namespace/name`): one
    /// request from that pod on a new connection.
    pub fn exec_curl(&mut self, pod: &str, args: &[&str]) -> Result<String, String> {
        let key = pod_key(pod);
        self.curl_from(Client::Pod(key), args, true)
    }

    /// `curl ARGS…` from a client outside the cluster (address 203.0.113.10).
    pub fn curl(&mut self, args: &[&str]) -> Result<String, String> {
        let ip = super::traffic::external_client_ip(0);
        self.curl_from(Client::External(ip), args, false)
    }

    /// `kubectl exec POD -- nslookup NAME` (busybox output).
    pub fn nslookup(&self, pod: Option<&str>, name: &str) -> Result<String, String> {
        let ns = pod
            .map(pod_key)
            .map_or("default".to_string(), |k| k.namespace.to_string());
        dns::nslookup(&self.api, name, &ns)
    }

    /// `traffic start`: starts a generator; returns its id.
    pub fn traffic_start(&mut self, spec: TrafficSpec) -> Result<u32, String> {
        if spec.rate == 0 || spec.rate > 100_000 {
            return Err("error: --rate must be between 1 and 100000 requests per second".into());
        }
        if let TrafficSource::Pod(k) = &spec.source {
            if self
                .api
                .get::<crate::api::Pod>(&k.namespace, &k.name)
                .is_none()
            {
                return Err(format!(
                    "Error from server (NotFound): pods \"{}\" not found",
                    k.name
                ));
            }
        }
        let dp = &mut self.infra.dataplane;
        dp.next_generator += 1;
        let id = dp.next_generator;
        dp.generators.insert(id, Generator::new(spec, self.api.now));
        self.kick("traffic", ObjectKey::new(TRAFFIC_NS, id.to_string()));
        self.settle();
        Ok(id)
    }

    /// `traffic start …` console text.
    pub fn traffic_start_text(&mut self, spec: TrafficSpec) -> Result<String, String> {
        let desc = describe(&spec);
        let id = self.traffic_start(spec)?;
        Ok(format!("traffic {id} started: {desc}\n"))
    }

    /// `traffic stop [ID]`: stops one generator, or all.
    pub fn traffic_stop(&mut self, id: Option<u32>) -> Result<String, String> {
        let now = self.api.now;
        let dp = &mut self.infra.dataplane;
        let ids: Vec<u32> = match id {
            Some(i) if dp.generators.get(&i).is_some_and(|g| g.running) => vec![i],
            Some(i) => return Err(format!("error: no running traffic generator {i}")),
            None => dp
                .generators
                .iter()
                .filter(|(_, g)| g.running)
                .map(|(i, _)| *i)
                .collect(),
        };
        let mut s = String::new();
        for i in ids {
            if let Some(g) = dp.generators.get_mut(&i) {
                g.running = false;
                // Keep-alive connections are closed by the client.
                let conns: Vec<_> = g.conns.iter_mut().filter_map(Option::take).collect();
                for c in conns {
                    dp.close(&c.node, &c.key, c.ipvs, now);
                }
                let _ = writeln!(
                    s,
                    "traffic {i} stopped after {} requests",
                    dp.generators[&i].sent
                );
            }
        }
        if s.is_empty() {
            s.push_str("no traffic running\n");
        }
        Ok(s)
    }

    /// `traffic stats`: generators, then outcome counters over 10 s, 60 s and in total.
    pub fn traffic_stats(&self) -> String {
        let dp = &self.infra.dataplane;
        let mut s = String::new();
        if dp.generators.is_empty() {
            s.push_str("no traffic generators\n");
        } else {
            let _ = writeln!(
                s,
                "{:<4} {:<8} {:>8} {:>10}  DESCRIPTION",
                "ID", "STATE", "RATE", "SENT"
            );
            for (id, g) in &dp.generators {
                let _ = writeln!(
                    s,
                    "{:<4} {:<8} {:>8} {:>10}  {}",
                    id,
                    if g.running { "running" } else { "stopped" },
                    format!("{}/s", g.spec.rate),
                    g.sent - g.skipped,
                    describe(&g.spec)
                );
            }
        }
        s.push('\n');
        s.push_str(&dp.stats.render(self.api.now));
        s
    }

    /// `trace`: the hops and rules of the last request.
    pub fn trace(&self) -> Result<String, String> {
        let r = self
            .infra
            .dataplane
            .last()
            .ok_or_else(|| "no request sent yet".to_string())?;
        Ok(render_trace(r))
    }

    /// `iptables-save [-t nat|filter] --node NODE`.
    pub fn iptables_save(&self, node: &str, table: Option<&str>) -> Result<String, String> {
        node_or_err(self, node)?;
        let proxy = self.infra.dataplane.proxy(node);
        let Some(Programmed::Iptables(r)) = proxy.as_deref().map(|p| p.programmed()) else {
            return Ok(String::new());
        };
        match table {
            None => Ok(format!("{}{}", r.filter.save(None), r.nat.save(None))),
            Some("nat") => Ok(r.nat.save(None)),
            Some("filter") => Ok(r.filter.save(None)),
            Some(t) => Err(format!(
                "iptables-save v1.8.9 (nf_tables): Cannot initialize: Table does not exist (do you need to insmod?) [{t}]"
            )),
        }
    }

    /// `ipvsadm -Ln --node NODE`.
    pub fn ipvsadm(&self, node: &str) -> Result<String, String> {
        node_or_err(self, node)?;
        Ok(self
            .infra
            .dataplane
            .proxy(node)
            .map(|p| p.ipvsadm_ln())
            .unwrap_or_default())
    }

    /// `nft list ruleset --node NODE` / `nft list table ip kube-proxy`.
    pub fn nft_list(&self, node: &str) -> Result<String, String> {
        node_or_err(self, node)?;
        match self
            .infra
            .dataplane
            .proxy(node)
            .as_deref()
            .map(|p| p.programmed())
        {
            Some(Programmed::Nftables(t)) => Ok(t.list()),
            _ => Ok(String::new()),
        }
    }

    /// `conntrack -L --node NODE`.
    pub fn conntrack_list(&self, node: &str) -> Result<String, String> {
        node_or_err(self, node)?;
        let now = self.api.now;
        Ok(match self.infra.dataplane.conntrack(node) {
            Some(ct) => ct.list(now),
            None => super::conntrack::Conntrack::default().list(now),
        })
    }

    /// `ip addr --node NODE`.
    pub fn ip_addr(&self, node: &str) -> Result<String, String> {
        node_or_err(self, node)?;
        Ok(self
            .infra
            .dataplane
            .proxy(node)
            .map(|p| p.ip_addr())
            .unwrap_or_default())
    }

    /// Whether `node`'s rules are in sync with the API (for the UI).
    pub fn proxy_sync_status(&self, node: &str) -> SyncStatus {
        self.infra.dataplane.sync_status(node)
    }
}

fn pod_key(pod: &str) -> ObjectKey {
    match pod.split_once('/') {
        Some((ns, name)) => ObjectKey::new(ns, name),
        None => ObjectKey::new("default", pod),
    }
}

fn describe(spec: &TrafficSpec) -> String {
    let from = match &spec.source {
        TrafficSource::Pod(k) => format!("pod {k}"),
        TrafficSource::External => format!("{} external client(s)", spec.clients.max(1)),
    };
    format!(
        "{} req/s from {from} to {}:{} (keep-alive {})",
        spec.rate,
        spec.host,
        spec.port,
        if spec.keep_alive { "on" } else { "off" }
    )
}

/// Parses `traffic start [--from POD | --external] [--rate N] [--clients N]
/// [--keep-alive] TARGET` (TARGET: a URL, `host[:port]`).
pub fn parse_traffic_start(args: &[&str]) -> Result<TrafficSpec, String> {
    let mut source = TrafficSource::External;
    let mut rate = 10u32;
    let mut clients = 1u32;
    let mut keep_alive = false;
    let mut target = None;
    let mut i = 0;
    let num = |v: Option<&&str>, flag: &str| -> Result<u32, String> {
        v.and_then(|v| v.parse::<u32>().ok())
            .ok_or_else(|| format!("error: {flag} needs a positive number"))
    };
    while i < args.len() {
        match args[i] {
            "--from" => {
                i += 1;
                let p = args.get(i).ok_or("error: --from needs a pod name")?;
                source = TrafficSource::Pod(pod_key(p));
            }
            "--external" => source = TrafficSource::External,
            "--rate" => {
                i += 1;
                rate = num(args.get(i), "--rate")?;
            }
            "--clients" => {
                i += 1;
                clients = num(args.get(i), "--clients")?.clamp(1, 10_000);
            }
            "--keep-alive" => keep_alive = true,
            a if a.starts_with('-') => return Err(format!("error: unknown flag: {a}")),
            a => target = Some(a),
        }
        i += 1;
    }
    let t = target.ok_or("error: traffic start needs a target (a Service name, an IP or a URL)")?;
    let url = parse_url(t).ok_or_else(|| format!("error: invalid target {t:?}"))?;
    Ok(TrafficSpec {
        source,
        host: url.host,
        port: url.port,
        rate,
        keep_alive,
        clients,
    })
}

/// `trace` text for one request.
pub fn render_trace(r: &RequestRecord) -> String {
    let mut s = String::new();
    let dst = r
        .dst
        .map(|d| d.to_string())
        .unwrap_or_else(|| r.target.clone());
    let _ = writeln!(
        s,
        "request {} at {}: {} {}:{} → {dst} ({})",
        r.id,
        crate::time::human_duration(r.at),
        r.client,
        r.src,
        r.sport,
        if r.new_connection {
            "new connection"
        } else {
            "kept-alive connection"
        }
    );
    for (node, t) in &r.hops {
        let _ = writeln!(s, "on {node}: {t}");
        for step in &t.steps {
            let _ = writeln!(s, "  [{}] {}", step.table, step.rule);
        }
    }
    match &r.outcome {
        Outcome::Served {
            pod,
            node,
            pod_ip,
            seen_src,
        } => {
            let _ = writeln!(
                s,
                "served by pod {pod} ({pod_ip}) on {node}; the pod saw source {seen_src}"
            );
        }
        o => {
            let _ = writeln!(s, "{}: {}", o.name(), r.cause);
        }
    }
    s
}
