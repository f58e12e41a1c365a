//! Conntrack: each node's table of connections it has NATed, as `conntrack -L` lists it.
//! Established connections keep their endpoint whatever the rules say later; closed ones
//! linger in TIME_WAIT. The table is bounded (oldest entries go first), like
//! `nf_conntrack_max`, so that steady traffic does not grow memory without end.

use crate::proxy::Protocol;
use crate::time::Millis;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4};

/// kube-proxy sets `nf_conntrack_tcp_timeout_established` to 24 h (`conntrack.tcpEstablishedTimeout`).
pub const ESTABLISHED_TIMEOUT_MS: Millis = 86_400_000;
/// `nf_conntrack_tcp_timeout_time_wait` (kernel default 120 s).
pub const TIME_WAIT_TIMEOUT_MS: Millis = 120_000;
/// `nf_conntrack_tcp_timeout_syn_sent` (kernel default 120 s).
pub const SYN_SENT_TIMEOUT_MS: Millis = 120_000;
/// Entries kept per node.
pub const MAX_ENTRIES: usize = 1024;

/// The original direction of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnKey {
    /// Protocol.
    pub proto: Protocol,
    /// Client address.
    pub src: Ipv4Addr,
    /// Client port.
    pub sport: u16,
    /// Address the client connected to (before DNAT).
    pub dst: Ipv4Addr,
    /// Port the client connected to.
    pub dport: u16,
}

/// One tracked connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnEntry {
    /// Original direction.
    pub key: ConnKey,
    /// Reply source: the endpoint after DNAT.
    pub reply_src: SocketAddrV4,
    /// Reply destination: the client, or the node address after SNAT.
    pub reply_dst: SocketAddrV4,
    /// ESTABLISHED (else SYN_SENT, or TIME_WAIT once closed).
    pub established: bool,
    /// When the entry expires.
    pub expires_at: Millis,
}

/// One node's table.
#[derive(Debug, Clone, Default)]
pub struct Conntrack {
    entries: BTreeMap<ConnKey, (ConnEntry, bool)>,
    order: VecDeque<ConnKey>,
}

impl Conntrack {
    /// Adds (or replaces) an entry, evicting expired and then oldest entries.
    pub fn insert(&mut self, e: ConnEntry, now: Millis) {
        while self.order.len() >= MAX_ENTRIES
            || self
                .order
                .front()
                .and_then(|k| self.entries.get(k))
                .is_some_and(|(e, _)| e.expires_at <= now)
        {
            match self.order.pop_front() {
                Some(k) => {
                    self.entries.remove(&k);
                }
                None => break,
            }
        }
        if self.entries.insert(e.key, (e, false)).is_none() {
            self.order.push_back(e.key);
        }
    }

    /// The connection closed: TIME_WAIT for two minutes.
    pub fn close(&mut self, key: &ConnKey, now: Millis) {
        if let Some((e, closed)) = self.entries.get_mut(key) {
            *closed = true;
            e.expires_at = now + TIME_WAIT_TIMEOUT_MS;
        }
    }

    /// Live entries at `now`.
    pub fn entries(&self, now: Millis) -> impl Iterator<Item = (&ConnEntry, bool)> {
        self.entries
            .values()
            .filter(move |(e, _)| e.expires_at > now)
            .map(|(e, c)| (e, *c))
    }

    /// `conntrack -L` (the summary line goes to stderr on a real node; it is appended).
    pub fn list(&self, now: Millis) -> String {
        let mut s = String::new();
        let mut n = 0;
        for (e, closed) in self.entries(now) {
            n += 1;
            let state = if closed {
                "TIME_WAIT"
            } else if e.established {
                "ESTABLISHED"
            } else {
                "SYN_SENT"
            };
            let k = &e.key;
            let _ = write!(
                s,
                "{:<8} {} {} {} src={} dst={} sport={} dport={} ",
                k.proto.lower(),
                k.proto.number(),
                (e.expires_at - now) / 1000,
                state,
                k.src,
                k.dst,
                k.sport,
                k.dport
            );
            if e.established || closed {
                let _ = writeln!(
                    s,
                    "src={} dst={} sport={} dport={} [ASSURED] mark=0 use=1",
                    e.reply_src.ip(),
                    e.reply_dst.ip(),
                    e.reply_src.port(),
                    e.reply_dst.port()
                );
            } else {
                let _ = writeln!(
                    s,
                    "[UNREPLIED] src={} dst={} sport={} dport={} mark=0 use=1",
                    e.reply_src.ip(),
                    e.reply_dst.ip(),
                    e.reply_src.port(),
                    e.reply_dst.port()
                );
            }
        }
        let _ = writeln!(
            s,
            "conntrack v1.4.7 (conntrack-tools): {n} flow entries have been shown."
        );
        s
    }
}
