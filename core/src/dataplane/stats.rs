//! Outcomes and their counters: lifetime totals and sliding windows of virtual time
//! (per-second buckets over the last minute), per outcome, per serving pod and per cause.

use crate::apiserver::ObjectKey;
use crate::time::Millis;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Answered by a pod.
    Served {
        /// The pod.
        pod: ObjectKey,
        /// Its node.
        node: String,
        /// Its address.
        pod_ip: Ipv4Addr,
        /// The source address the pod saw (a node address when masqueraded).
        seen_src: Ipv4Addr,
    },
    /// Refused: REJECT (no endpoints) or nothing listening (TCP RST to the SYN).
    Refused,
    /// Silently dropped (Local policy, no local endpoint): the client times out.
    Dropped,
    /// An open connection was reset (its pod terminated).
    Reset,
    /// No answer: a stale rule to a pod that is gone, a node that is down.
    TimedOut,
    /// The address cannot be reached from where the client is (or does not resolve).
    NotRoutable,
}

/// The kinds of outcome, for counting.
pub const KINDS: [&str; 6] = [
    "served",
    "refused",
    "dropped",
    "reset",
    "timed out",
    "not routable",
];

impl Outcome {
    /// Index into [`KINDS`].
    pub fn kind(&self) -> usize {
        match self {
            Outcome::Served { .. } => 0,
            Outcome::Refused => 1,
            Outcome::Dropped => 2,
            Outcome::Reset => 3,
            Outcome::TimedOut => 4,
            Outcome::NotRoutable => 5,
        }
    }

    /// `served`, `refused`, …
    pub fn name(&self) -> &'static str {
        KINDS[self.kind()]
    }
}

/// Counts over some span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests per outcome kind ([`KINDS`] order).
    pub by_kind: [u64; 6],
    /// Served requests per pod (`namespace/name`).
    pub by_pod: BTreeMap<String, u64>,
    /// Requests per cause; causes naming one pod are grouped under a pattern-free form
    /// only when they are not `served` (served ones are counted per pod instead).
    pub by_cause: BTreeMap<String, u64>,
}

impl Counts {
    /// All requests.
    pub fn total(&self) -> u64 {
        self.by_kind.iter().sum()
    }

    fn add(&mut self, o: &Outcome, cause: &str) {
        self.by_kind[o.kind()] += 1;
        match o {
            Outcome::Served { pod, .. } => {
                *self.by_pod.entry(pod.to_string()).or_default() += 1;
            }
            _ => {
                *self.by_cause.entry(cause.to_string()).or_default() += 1;
            }
        }
    }

    fn merge(&mut self, o: &Counts) {
        for (a, b) in self.by_kind.iter_mut().zip(o.by_kind) {
            *a += b;
        }
        for (k, v) in &o.by_pod {
            *self.by_pod.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.by_cause {
            *self.by_cause.entry(k.clone()).or_default() += v;
        }
    }
}

/// Seconds of history kept for windows.
const HISTORY_S: u64 = 60;

/// Lifetime counts and per-second buckets.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Since the start.
    pub total: Counts,
    buckets: VecDeque<(u64, Counts)>,
}

impl Stats {
    /// Counts one request.
    pub fn record(&mut self, at: Millis, o: &Outcome, cause: &str) {
        self.total.add(o, cause);
        let sec = at / 1000;
        if self.buckets.back().is_none_or(|(s, _)| *s != sec) {
            self.buckets.push_back((sec, Counts::default()));
        }
        while self
            .buckets
            .front()
            .is_some_and(|(s, _)| s + HISTORY_S < sec)
        {
            self.buckets.pop_front();
        }
        if let Some((_, c)) = self.buckets.back_mut() {
            c.add(o, cause);
        }
    }

    /// Counts over the last `window_ms` of virtual time before `now` (whole seconds,
    /// up to 60 s).
    pub fn window(&self, now: Millis, window_ms: Millis) -> Counts {
        let now_s = now / 1000;
        let span = window_ms.div_ceil(1000).min(HISTORY_S);
        let mut c = Counts::default();
        for (s, b) in &self.buckets {
            if *s + span > now_s && *s <= now_s {
                c.merge(b);
            }
        }
        c
    }

    /// `traffic stats` text: totals and the 10 s / 60 s windows.
    pub fn render(&self, now: Millis) -> String {
        let mut s = String::new();
        let spans = [
            ("last 10s", self.window(now, 10_000)),
            ("last 60s", self.window(now, 60_000)),
            ("total", self.total.clone()),
        ];
        let _ = writeln!(
            s,
            "{:<14} {:>10} {:>10} {:>10}",
            "OUTCOME", spans[0].0, spans[1].0, spans[2].0
        );
        let _ = writeln!(
            s,
            "{:<14} {:>10} {:>10} {:>10}",
            "requests",
            spans[0].1.total(),
            spans[1].1.total(),
            spans[2].1.total()
        );
        for (i, k) in KINDS.iter().enumerate() {
            let _ = writeln!(
                s,
                "{:<14} {:>10} {:>10} {:>10}",
                k, spans[0].1.by_kind[i], spans[1].1.by_kind[i], spans[2].1.by_kind[i]
            );
        }
        if !self.total.by_pod.is_empty() {
            let _ = writeln!(s, "\nSERVED BY");
            for (pod, n) in &self.total.by_pod {
                let _ = writeln!(
                    s,
                    "{:<40} {:>10} {:>10} {:>10}",
                    pod,
                    spans[0].1.by_pod.get(pod).copied().unwrap_or(0),
                    spans[1].1.by_pod.get(pod).copied().unwrap_or(0),
                    n
                );
            }
        }
        if !self.total.by_cause.is_empty() {
            let _ = writeln!(s, "\nFAILURE CAUSES (total)");
            for (cause, n) in &self.total.by_cause {
                let _ = writeln!(s, "{n:>10}  {cause}");
            }
        }
        s
    }
}
