//! iptables mode: the rules `syncProxyRules` (`pkg/proxy/iptables/proxier.go`) writes for
//! one node, their two textual forms, and a netfilter evaluator that routes packets
//! through them.
//!
//! Rules are kept structured ([`Rule`] = ordered [`Arg`]s + [`Target`]) so one value
//! serves three readers:
//! * [`Rule::restore_args`]: the text kube-proxy feeds to `iptables-restore`, argument
//!   order and quoting exactly as it writes them (the form `proxier_test.go` checks);
//! * [`Rule::save_args`]: what `iptables-save` prints back (canonical order: addresses,
//!   `-p`, matches in order, target; `/32` suffixes; `%.11f` probabilities; `MARK
//!   --set-xmark`; `REJECT --reject-with icmp-port-unreachable`; `recent` with its
//!   defaults);
//! * the evaluator ([`RuleSet::run`]), which walks the same chains rule by rule.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::rc::Rc;

use rand_core::RngCore;
use rustc_hash::FxHashMap;

use super::hash;
use super::model::{
    EndpointInfo, Ipv4Cidr, Protocol, ProxyConfig, ServiceEndpoints, ServicePortInfo,
};
use super::topology::categorize_endpoints;

/// `largeClusterEndpointsThreshold`: above this many endpoints, per-endpoint comments go.
pub const LARGE_CLUSTER_ENDPOINTS_THRESHOLD: usize = 1000;

/// `xt_recent`'s `ip_list_tot` default: entries per `recent` list; the least recently
/// seen source is evicted when a new one arrives at a full list.
pub const RECENT_LIST_MAX: usize = 200;

/// One match (or match option) of a rule, in the position kube-proxy writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// `-m comment --comment <text>`.
    Comment(String),
    /// `-m <proto> -p <proto>`.
    Proto(Protocol),
    /// `[!] -s <cidr>`.
    Src {
        /// `!`.
        negate: bool,
        /// Source block.
        cidr: Ipv4Cidr,
    },
    /// `-d <ip>`.
    Dst(Ipv4Cidr),
    /// `--dport <port>` (an option of the protocol match).
    DPort(u16),
    /// `-m addrtype --src-type LOCAL` (`source`) or `--dst-type LOCAL`.
    AddrTypeLocal {
        /// Source (true) or destination (false) address.
        source: bool,
    },
    /// `-m statistic --mode random --probability <written>`.
    Statistic {
        /// kube-proxy's 10-decimal text.
        written: String,
        /// The kernel's 31-bit threshold parsed from it.
        threshold: u32,
    },
    /// `-m recent --name <name> --rcheck --seconds <s> --reap`.
    RecentCheck {
        /// List name (the endpoint's `KUBE-SEP-` chain).
        name: String,
        /// `--seconds`.
        seconds: u32,
    },
    /// `-m recent --name <name> --set`.
    RecentSet {
        /// List name.
        name: String,
    },
    /// `-m mark [!] --mark <value>/<mask>`.
    Mark {
        /// `!`.
        negate: bool,
        /// Value.
        value: u32,
        /// Mask.
        mask: u32,
    },
    /// `-m conntrack [!] --ctstate <states>` (comma-separated).
    CtState {
        /// `!`.
        negate: bool,
        /// e.g. `RELATED,ESTABLISHED`.
        states: String,
    },
}

/// A rule's `-j` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Jump to a user chain.
    Chain(String),
    /// `ACCEPT`.
    Accept,
    /// `DROP`.
    Drop,
    /// `REJECT` (icmp-port-unreachable).
    Reject,
    /// `RETURN`.
    Return,
    /// `DNAT --to-destination ip:port`.
    Dnat(SocketAddrV4),
    /// `MARK --or-mark v`.
    MarkOr(u32),
    /// `MARK --xor-mark v`.
    MarkXor(u32),
    /// `MASQUERADE [--random-fully]`.
    Masquerade {
        /// `--random-fully`.
        random_fully: bool,
    },
}

/// One rule: its matches in kube-proxy's order and an optional target (the last rule of
/// a `KUBE-FW-` chain has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Matches.
    pub args: Vec<Arg>,
    /// Target.
    pub target: Option<Target>,
}

fn restore_comment(text: &str) -> String {
    // kube-proxy wraps multi-word comments in quotes itself (`"%s cluster IP"`) and
    // writes the bare service name otherwise.
    if text.contains(' ') {
        format!("\"{text}\"")
    } else {
        text.to_string()
    }
}

/// iptables' `xtables_save_string`: bare when only `[A-Za-z0-9_-]`, else quoted with
/// `"`, `\` and `'` escaped.
fn save_string(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        return text.to_string();
    }
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '\'') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

fn restore_cidr(c: &Ipv4Cidr) -> String {
    if c.prefix == 32 {
        c.addr.to_string()
    } else {
        c.to_string()
    }
}

fn save_cidr(c: &Ipv4Cidr) -> String {
    format!("{}/{}", c.network(), c.prefix)
}

impl Rule {
    fn new(args: Vec<Arg>, target: Target) -> Self {
        Rule {
            args,
            target: Some(target),
        }
    }

    /// The rule as kube-proxy writes it, without the `-A <chain>` prefix.
    pub fn restore_args(&self) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(self.args.len() + 1);
        for a in &self.args {
            parts.push(match a {
                Arg::Comment(t) => format!("-m comment --comment {}", restore_comment(t)),
                Arg::Proto(p) => format!("-m {0} -p {0}", p.lower()),
                Arg::Src { negate, cidr } => format!(
                    "{}-s {}",
                    if *negate { "! " } else { "" },
                    restore_cidr(cidr)
                ),
                Arg::Dst(c) => format!("-d {}", restore_cidr(c)),
                Arg::DPort(p) => format!("--dport {p}"),
                Arg::AddrTypeLocal { source } => {
                    format!(
                        "-m addrtype --{}-type LOCAL",
                        if *source { "src" } else { "dst" }
                    )
                }
                Arg::Statistic { written, .. } => {
                    format!("-m statistic --mode random --probability {written}")
                }
                Arg::RecentCheck { name, seconds } => {
                    format!("-m recent --name {name} --rcheck --seconds {seconds} --reap")
                }
                Arg::RecentSet { name } => format!("-m recent --name {name} --set"),
                Arg::Mark {
                    negate,
                    value,
                    mask,
                } => {
                    format!(
                        "-m mark {}--mark {value:#x}/{mask:#x}",
                        if *negate { "! " } else { "" }
                    )
                }
                Arg::CtState { negate, states } => {
                    format!(
                        "-m conntrack {}--ctstate {states}",
                        if *negate { "! " } else { "" }
                    )
                }
            });
        }
        if let Some(t) = &self.target {
            parts.push(match t {
                Target::Chain(c) => format!("-j {c}"),
                Target::Accept => "-j ACCEPT".into(),
                Target::Drop => "-j DROP".into(),
                Target::Reject => "-j REJECT".into(),
                Target::Return => "-j RETURN".into(),
                Target::Dnat(a) => format!("-j DNAT --to-destination {a}"),
                Target::MarkOr(v) => format!("-j MARK --or-mark {v:#x}"),
                Target::MarkXor(v) => format!("-j MARK --xor-mark {v:#x}"),
                Target::Masquerade { random_fully } => {
                    format!(
                        "-j MASQUERADE{}",
                        if *random_fully { " --random-fully" } else { "" }
                    )
                }
            });
        }
        parts.join(" ")
    }

    /// The rule as `iptables-save` prints it, without the `-A <chain>` prefix.
    pub fn save_args(&self) -> String {
        let mut s = String::new();
        for a in &self.args {
            if let Arg::Src { negate, cidr } = a {
                let _ = write!(
                    s,
                    " {}-s {}",
                    if *negate { "! " } else { "" },
                    save_cidr(cidr)
                );
            }
        }
        for a in &self.args {
            if let Arg::Dst(c) = a {
                let _ = write!(s, " -d {}", save_cidr(c));
            }
        }
        for a in &self.args {
            if let Arg::Proto(p) = a {
                let _ = write!(s, " -p {}", p.lower());
            }
        }
        let dport = self.args.iter().find_map(|a| {
            if let Arg::DPort(p) = a {
                Some(*p)
            } else {
                None
            }
        });
        for a in &self.args {
            match a {
                Arg::Comment(t) => {
                    let _ = write!(s, " -m comment --comment {}", save_string(t));
                }
                Arg::Proto(p) => {
                    let _ = write!(s, " -m {}", p.lower());
                    if let Some(port) = dport {
                        let _ = write!(s, " --dport {port}");
                    }
                }
                Arg::AddrTypeLocal { source } => {
                    let _ = write!(
                        s,
                        " -m addrtype --{}-type LOCAL",
                        if *source { "src" } else { "dst" }
                    );
                }
                Arg::Statistic { threshold, .. } => {
                    let _ = write!(
                        s,
                        " -m statistic --mode random --probability {}",
                        hash::saved_probability(*threshold)
                    );
                }
                Arg::RecentCheck { name, seconds } => {
                    let _ = write!(
                        s,
                        " -m recent --rcheck --seconds {seconds} --reap --name {name} --mask 255.255.255.255 --rsource"
                    );
                }
                Arg::RecentSet { name } => {
                    let _ = write!(
                        s,
                        " -m recent --set --name {name} --mask 255.255.255.255 --rsource"
                    );
                }
                Arg::Mark {
                    negate,
                    value,
                    mask,
                } => {
                    let _ = write!(
                        s,
                        " -m mark {}--mark {value:#x}/{mask:#x}",
                        if *negate { "! " } else { "" }
                    );
                }
                Arg::CtState { negate, states } => {
                    let _ = write!(
                        s,
                        " -m conntrack {}--ctstate {states}",
                        if *negate { "! " } else { "" }
                    );
                }
                Arg::Src { .. } | Arg::Dst(_) | Arg::DPort(_) => {}
            }
        }
        if let Some(t) = &self.target {
            let _ = match t {
                Target::Chain(c) => write!(s, " -j {c}"),
                Target::Accept => write!(s, " -j ACCEPT"),
                Target::Drop => write!(s, " -j DROP"),
                Target::Reject => write!(s, " -j REJECT --reject-with icmp-port-unreachable"),
                Target::Return => write!(s, " -j RETURN"),
                Target::Dnat(a) => write!(s, " -j DNAT --to-destination {a}"),
                Target::MarkOr(v) => write!(s, " -j MARK --set-xmark {v:#x}/{v:#x}"),
                Target::MarkXor(v) => write!(s, " -j MARK --set-xmark {v:#x}/0x0"),
                Target::Masquerade { random_fully } => {
                    write!(
                        s,
                        " -j MASQUERADE{}",
                        if *random_fully { " --random-fully" } else { "" }
                    )
                }
            };
        }
        s.trim_start().to_string()
    }

    fn comment(&self) -> Option<&str> {
        self.args.iter().find_map(|a| {
            if let Arg::Comment(c) = a {
                Some(c.as_str())
            } else {
                None
            }
        })
    }

    /// `(dst, proto, dport)` when the rule can only match that destination; used to index
    /// long chains so lookups do not scan every service.
    fn index_key(&self) -> Option<IndexKey> {
        let mut proto = None;
        let mut dport = None;
        let mut dst = None;
        for a in &self.args {
            match a {
                Arg::Proto(p) => proto = Some(*p),
                Arg::DPort(p) => dport = Some(*p),
                Arg::Dst(c) if c.prefix == 32 => dst = Some(c.addr),
                _ => {}
            }
        }
        Some((dst, proto?, dport?))
    }
}

type IndexKey = (Option<Ipv4Addr>, Protocol, u16);

/// Where a run of rules sits in a chain: rules written before the per-service loop
/// (band 0), one run per Service in kube-proxy's write order (band 1, keyed by the
/// Service's first `port_name_string`), rules written after the loop (band 2). Keeping
/// each Service's rules in its own run is what lets a partial sync replace them without
/// touching (or renumbering) anybody else's.
pub type SegKey = (u8, String);

/// Position of one rule: its run and its index within the run.
pub(crate) type RulePos = (SegKey, usize);

/// A user or built-in chain with its rules and a destination index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    segs: BTreeMap<SegKey, Vec<Rule>>,
    keyed: BTreeMap<IndexKey, BTreeSet<RulePos>>,
    unkeyed: BTreeSet<RulePos>,
}

impl Chain {
    fn push(&mut self, seg: &SegKey, rule: Rule) {
        let rules = self.segs.entry(seg.clone()).or_default();
        let pos = (seg.clone(), rules.len());
        match rule.index_key() {
            Some(k) => {
                self.keyed.entry(k).or_default().insert(pos);
            }
            None => {
                self.unkeyed.insert(pos);
            }
        }
        rules.push(rule);
    }

    /// Drops the run `seg` (a Service's rules) and its index entries.
    fn remove_seg(&mut self, seg: &SegKey) {
        let Some(rules) = self.segs.remove(seg) else {
            return;
        };
        for (i, rule) in rules.iter().enumerate() {
            let pos = (seg.clone(), i);
            match rule.index_key() {
                Some(k) => {
                    if let Some(set) = self.keyed.get_mut(&k) {
                        set.remove(&pos);
                        if set.is_empty() {
                            self.keyed.remove(&k);
                        }
                    }
                }
                None => {
                    self.unkeyed.remove(&pos);
                }
            }
        }
    }

    /// The rules in order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> + '_ {
        self.segs.values().flatten()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.segs.values().map(Vec::len).sum()
    }

    /// Whether the chain has no rule.
    pub fn is_empty(&self) -> bool {
        self.segs.values().all(Vec::is_empty)
    }

    pub(crate) fn rule_at(&self, pos: &RulePos) -> Option<&Rule> {
        self.segs.get(&pos.0).and_then(|r| r.get(pos.1))
    }

    /// Positions of the rules that could match a packet to `dst:dport/proto`, in rule
    /// order: exactly the rules a linear scan would have to test.
    pub(crate) fn candidates(&self, dst: Ipv4Addr, proto: Protocol, dport: u16) -> Vec<&RulePos> {
        let mut out: Vec<&RulePos> = Vec::new();
        if let Some(a) = self.keyed.get(&(Some(dst), proto, dport)) {
            out.extend(a.iter());
        }
        if let Some(b) = self.keyed.get(&(None, proto, dport)) {
            out.extend(b.iter());
        }
        out.extend(self.unkeyed.iter());
        out.sort_unstable();
        out
    }
}

/// Netfilter table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableName {
    /// `nat`.
    Nat,
    /// `filter`.
    Filter,
}

impl TableName {
    /// `nat` / `filter`.
    pub fn as_str(self) -> &'static str {
        match self {
            TableName::Nat => "nat",
            TableName::Filter => "filter",
        }
    }

    fn builtins(self) -> &'static [&'static str] {
        match self {
            TableName::Nat => &["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
            TableName::Filter => &["INPUT", "FORWARD", "OUTPUT"],
        }
    }
}

/// One table: built-in chains (policy ACCEPT) and user chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTable {
    name: TableName,
    /// Chains by name. A chain written by one Service alone is shared (`Rc`) between every
    /// node whose rules for that Service are the same (see [`RuleCache`]).
    chains: BTreeMap<Rc<str>, Rc<Chain>>,
    /// The run new rules go to.
    seg: SegKey,
    /// Chains written to since [`RuleTable::begin`] (a Service's footprint).
    touched: BTreeSet<String>,
}

impl RuleTable {
    fn new(name: TableName) -> Self {
        let mut chains = BTreeMap::new();
        for b in name.builtins() {
            chains.insert(Rc::from(*b), Rc::new(Chain::default()));
        }
        RuleTable {
            name,
            chains,
            seg: (0, String::new()),
            touched: BTreeSet::new(),
        }
    }

    /// Starts writing into run `seg`; returns the chains touched in the previous run.
    fn begin(&mut self, seg: SegKey) -> BTreeSet<String> {
        self.seg = seg;
        std::mem::take(&mut self.touched)
    }

    fn declare(&mut self, chain: &str) {
        if self.seg.0 == 1 {
            self.touched.insert(chain.to_string());
        }
        if !self.chains.contains_key(chain) {
            self.chains.insert(Rc::from(chain), Rc::default());
        }
    }

    fn add(&mut self, chain: &str, rule: Rule) {
        if self.seg.0 == 1 && !self.touched.contains(chain) {
            self.touched.insert(chain.to_string());
        }
        let seg = &self.seg;
        let c = match self.chains.get_mut(chain) {
            Some(c) => c,
            None => self.chains.entry(Rc::from(chain)).or_default(),
        };
        Rc::make_mut(c).push(seg, rule);
    }

    /// The chain named `name`.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.get(name).map(|c| &**c)
    }

    /// Names of all chains: built-ins in hook order, then user chains sorted (libiptc
    /// keeps user chains sorted, so `iptables-save` lists them that way).
    pub fn chain_names(&self) -> Vec<&str> {
        let builtins = self.name.builtins();
        let mut v: Vec<&str> = builtins.to_vec();
        v.extend(
            self.chains
                .keys()
                .map(|k| &**k)
                .filter(|c| !builtins.contains(c)),
        );
        v
    }

    /// The rules of `chain` in kube-proxy's restore form (`-A CHAIN …`).
    pub fn restore_lines(&self, chain: &str) -> Vec<String> {
        self.chains
            .get(chain)
            .map(|c| {
                c.rules()
                    .map(|r| format!("-A {chain} {}", r.restore_args()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The whole table as kube-proxy's `iptables-restore` input, grouped by chain.
    pub fn restore(&self) -> String {
        let mut s = format!("*{}\n", self.name.as_str());
        let builtins = self.name.builtins();
        for c in self
            .chain_names()
            .into_iter()
            .filter(|c| !builtins.contains(c))
        {
            let _ = writeln!(s, ":{c} - [0:0]");
        }
        for c in self.chain_names() {
            for line in self.restore_lines(c) {
                s.push_str(&line);
                s.push('\n');
            }
        }
        s.push_str("COMMIT\n");
        s
    }

    /// `iptables-save -t <table>`. `stamp` is the time text for the `# Generated by` /
    /// `# Completed on` comments (omitted when `None`, as the sim has no wall clock).
    pub fn save(&self, stamp: Option<&str>) -> String {
        let mut s = String::new();
        if let Some(t) = stamp {
            let _ = writeln!(s, "# Generated by iptables-save v1.8.9 on {t}");
        }
        let _ = writeln!(s, "*{}", self.name.as_str());
        let builtins = self.name.builtins();
        for c in self.chain_names() {
            if builtins.contains(&c) {
                let _ = writeln!(s, ":{c} ACCEPT [0:0]");
            } else {
                let _ = writeln!(s, ":{c} - [0:0]");
            }
        }
        for c in self.chain_names() {
            if let Some(chain) = self.chains.get(c) {
                for r in chain.rules() {
                    let _ = writeln!(s, "-A {c} {}", r.save_args());
                }
            }
        }
        s.push_str("COMMIT\n");
        if let Some(t) = stamp {
            let _ = writeln!(s, "# Completed on {t}");
        }
        s
    }
}

/// Which service a generated chain belongs to (for route decisions and the UI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainOwner {
    /// `ns/name[:port]` (shared by the chains of one service port).
    pub service: Rc<str>,
}

/// The nat and filter tables kube-proxy programs on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    /// `nat`.
    pub nat: RuleTable,
    /// `filter`.
    pub filter: RuleTable,
    /// Service of each `KUBE-SVC/SVL/EXT/FW/SEP` chain.
    pub owners: BTreeMap<Rc<str>, ChainOwner>,
    /// Whether large-cluster mode was on (per-endpoint comments omitted).
    pub large_cluster_mode: bool,
    /// Each Service's footprint, by `namespace/name`, for partial syncs.
    fragments: BTreeMap<String, Rc<Fragment>>,
    /// Endpoints over all service ports with a ClusterIP (decides large-cluster mode).
    total_endpoints: usize,
}

/// What one Service wrote: its run key and the chains it wrote to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fragment {
    seg: SegKey,
    nat: BTreeSet<String>,
    filter: BTreeSet<String>,
    endpoints: usize,
}

/// Chains shared by all Services (each Service owns a run of rules in them); every other
/// chain a Service writes (`KUBE-SVC-…`, `KUBE-SEP-…`, …) belongs to it alone.
const SHARED_CHAINS: &[&str] = &[
    KUBE_SERVICES,
    KUBE_EXTERNAL_SERVICES,
    KUBE_NODEPORTS,
    KUBE_PROXY_FIREWALL,
    KUBE_FORWARD,
    KUBE_POSTROUTING,
    KUBE_MARK_MASQ,
];

fn service_key_of(s: &ServicePortInfo) -> String {
    format!("{}/{}", s.namespace, s.name)
}

/// Writes the rules of service ports (sorted, all of one Service or of many), one run
/// per Service, recording each Service's footprint.
#[allow(clippy::too_many_arguments)]
fn write_services(
    config: &ProxyConfig,
    sorted: &[&ServiceEndpoints],
    large: bool,
    nat: &mut RuleTable,
    filter: &mut RuleTable,
    owners: &mut BTreeMap<Rc<str>, ChainOwner>,
    fragments: &mut BTreeMap<String, Rc<Fragment>>,
) {
    let node_ip = config.node_ips.first().copied();
    let mut i = 0;
    while i < sorted.len() {
        let key = service_key_of(&sorted[i].service);
        let seg: SegKey = (1, sorted[i].service.port_name_string());
        nat.begin(seg.clone());
        filter.begin(seg.clone());
        let mut endpoints = 0;
        while i < sorted.len() && service_key_of(&sorted[i].service) == key {
            let se = sorted[i];
            endpoints += se.endpoints.len();
            write_service(
                config,
                &se.service,
                &se.endpoints,
                large,
                node_ip,
                nat,
                filter,
                owners,
            );
            i += 1;
        }
        let nat_chains = nat.begin((0, String::new()));
        let filter_chains = filter.begin((0, String::new()));
        fragments.insert(
            key,
            Rc::new(Fragment {
                seg,
                nat: nat_chains,
                filter: filter_chains,
                endpoints,
            }),
        );
    }
}

impl RuleSet {
    /// Partial sync (`syncProxyRules` with only one Service changed): drops the rules and
    /// chains Service `key` (`namespace/name`) wrote and writes those of its `ports`
    /// (empty = Service gone). Returns false, changing nothing, when the change flips
    /// large-cluster mode, which needs a full sync.
    pub fn replace_service(
        &mut self,
        config: &ProxyConfig,
        key: &str,
        ports: &[ServiceEndpoints],
    ) -> bool {
        self.replace(config, key, ports, None)
    }

    /// [`RuleSet::replace_service`], taking the Service's rules from `cache` when another
    /// node already built the same ones (same ports and endpoints, same mode, and rules
    /// that do not depend on the node); the result is the same.
    pub fn replace_service_cached(
        &mut self,
        config: &ProxyConfig,
        key: &str,
        ports: &Rc<Vec<ServiceEndpoints>>,
        cache: &mut RuleCache,
    ) -> bool {
        self.replace(config, key, ports, Some((cache, ports)))
    }

    fn replace(
        &mut self,
        config: &ProxyConfig,
        key: &str,
        ports: &[ServiceEndpoints],
        cache: Option<(&mut RuleCache, &Rc<Vec<ServiceEndpoints>>)>,
    ) -> bool {
        let old_eps = self.fragments.get(key).map_or(0, |f| f.endpoints);
        let sorted = sorted_services(ports);
        let new_eps: usize = sorted.iter().map(|s| s.endpoints.len()).sum();
        let total = self.total_endpoints - old_eps.min(self.total_endpoints) + new_eps;
        if (total > LARGE_CLUSTER_ENDPOINTS_THRESHOLD) != self.large_cluster_mode {
            return false;
        }
        if let Some(f) = self.fragments.remove(key) {
            for (table, chains) in [(&mut self.nat, &f.nat), (&mut self.filter, &f.filter)] {
                for c in chains {
                    if SHARED_CHAINS.contains(&c.as_str()) {
                        if let Some(chain) = table.chains.get_mut(c.as_str()) {
                            Rc::make_mut(chain).remove_seg(&f.seg);
                        }
                    } else {
                        table.chains.remove(c.as_str());
                        self.owners.remove(c.as_str());
                    }
                }
            }
        }
        self.total_endpoints = total;
        let large = self.large_cluster_mode;
        match cache {
            Some((cache, ports))
                if !sorted.is_empty() && sorted.iter().all(|s| node_independent(s)) =>
            {
                let rules = cache.get(config, key, ports, &sorted, large);
                self.apply(key, &rules);
            }
            _ => write_services(
                config,
                &sorted,
                large,
                &mut self.nat,
                &mut self.filter,
                &mut self.owners,
                &mut self.fragments,
            ),
        }
        true
    }

    /// Adds a Service's prebuilt rules: its run in the shared chains, its own chains
    /// (shared, not copied), their owners and its footprint.
    fn apply(&mut self, key: &str, r: &ServiceRules) {
        for (table, shared, owned) in [
            (&mut self.nat, &r.shared[0], &r.owned[0]),
            (&mut self.filter, &r.shared[1], &r.owned[1]),
        ] {
            for (name, rules) in shared {
                let c = match table.chains.get_mut(name) {
                    Some(c) => c,
                    None => table.chains.entry(name.clone()).or_default(),
                };
                let c = Rc::make_mut(c);
                for rule in rules {
                    c.push(&r.fragment.seg, rule.clone());
                }
            }
            for (name, chain) in owned {
                table.chains.insert(name.clone(), chain.clone());
            }
        }
        for (chain, owner) in &r.owners {
            self.owners.insert(chain.clone(), owner.clone());
        }
        self.fragments.insert(key.to_string(), r.fragment.clone());
    }
}

/// Whether the rules of a service port are the same on every node: no Local traffic
/// policy (local endpoints differ per node), no topology hints (the node's zone or name
/// picks endpoints) and no load-balancer source ranges (the node's IP may be allowed).
fn node_independent(se: &ServiceEndpoints) -> bool {
    !se.service.uses_local_endpoints()
        && se.service.load_balancer_source_ranges.is_empty()
        && se
            .endpoints
            .iter()
            .all(|e| e.zone_hints.is_empty() && e.node_hints.is_empty())
}

/// The rules one Service writes, built once and shared by every node that needs them.
#[derive(Debug, PartialEq, Eq)]
struct ServiceRules {
    /// Its run of rules in each shared chain, for nat and filter.
    shared: [Vec<(Rc<str>, Vec<Rule>)>; 2],
    /// The chains it alone writes, for nat and filter.
    owned: [Vec<(Rc<str>, Rc<Chain>)>; 2],
    /// Owners of its chains.
    owners: Vec<(Rc<str>, ChainOwner)>,
    fragment: Rc<Fragment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CacheEntry {
    /// The ports the rules were built from (the same allocation as the callers' when
    /// they share it, so the usual check is a pointer comparison).
    ports: Rc<Vec<ServiceEndpoints>>,
    large: bool,
    cluster_cidr: Ipv4Cidr,
    masquerade_all: bool,
    rules: Rc<ServiceRules>,
}

/// Node-independent Service rules by `namespace/name`, shared between the nodes of one
/// cluster: a Service whose rules are the same everywhere is generated once per change
/// instead of once per node, and each node's chains point at the same rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCache {
    entries: BTreeMap<String, CacheEntry>,
}

impl RuleCache {
    /// Forgets a Service (it was deleted).
    pub fn forget(&mut self, key: &str) {
        self.entries.remove(key);
    }

    fn get(
        &mut self,
        config: &ProxyConfig,
        key: &str,
        ports: &Rc<Vec<ServiceEndpoints>>,
        sorted: &[&ServiceEndpoints],
        large: bool,
    ) -> Rc<ServiceRules> {
        if let Some(e) = self.entries.get(key) {
            if e.large == large
                && e.cluster_cidr == config.cluster_cidr
                && e.masquerade_all == config.masquerade_all
                && (Rc::ptr_eq(&e.ports, ports) || e.ports == *ports)
            {
                return e.rules.clone();
            }
        }
        let rules = Rc::new(build_service_rules(config, sorted, large));
        self.entries.insert(
            key.to_string(),
            CacheEntry {
                ports: ports.clone(),
                large,
                cluster_cidr: config.cluster_cidr,
                masquerade_all: config.masquerade_all,
                rules: rules.clone(),
            },
        );
        rules
    }
}

/// Writes one Service (its sorted ports) into empty tables and splits what it wrote
/// into its runs in the shared chains and the chains it owns.
fn build_service_rules(
    config: &ProxyConfig,
    sorted: &[&ServiceEndpoints],
    large: bool,
) -> ServiceRules {
    let mut nat = RuleTable::new(TableName::Nat);
    let mut filter = RuleTable::new(TableName::Filter);
    let mut owners = BTreeMap::new();
    let mut fragments = BTreeMap::new();
    write_services(
        config,
        sorted,
        large,
        &mut nat,
        &mut filter,
        &mut owners,
        &mut fragments,
    );
    let fragment = fragments.into_values().next().unwrap_or_else(|| {
        Rc::new(Fragment {
            seg: (1, String::new()),
            nat: BTreeSet::new(),
            filter: BTreeSet::new(),
            endpoints: 0,
        })
    });
    let mut shared: [Vec<(Rc<str>, Vec<Rule>)>; 2] = Default::default();
    let mut owned: [Vec<(Rc<str>, Rc<Chain>)>; 2] = Default::default();
    for (i, (table, touched)) in [(&mut nat, &fragment.nat), (&mut filter, &fragment.filter)]
        .into_iter()
        .enumerate()
    {
        let builtins = table.name.builtins();
        for c in touched {
            let Some((name, chain)) = table.chains.remove_entry(c.as_str()) else {
                continue;
            };
            if SHARED_CHAINS.contains(&c.as_str()) || builtins.contains(&c.as_str()) {
                let rules = chain.segs.get(&fragment.seg).cloned().unwrap_or_default();
                shared[i].push((name, rules));
            } else {
                owned[i].push((name, chain));
            }
        }
    }
    ServiceRules {
        shared,
        owned,
        owners: owners.into_iter().collect(),
        fragment,
    }
}

impl RuleSet {
    /// Table by name.
    pub fn table(&self, t: TableName) -> &RuleTable {
        match t {
            TableName::Nat => &self.nat,
            TableName::Filter => &self.filter,
        }
    }
}

const KUBE_SERVICES: &str = "KUBE-SERVICES";
const KUBE_EXTERNAL_SERVICES: &str = "KUBE-EXTERNAL-SERVICES";
const KUBE_NODEPORTS: &str = "KUBE-NODEPORTS";
const KUBE_POSTROUTING: &str = "KUBE-POSTROUTING";
const KUBE_MARK_MASQ: &str = "KUBE-MARK-MASQ";
const KUBE_FORWARD: &str = "KUBE-FORWARD";
const KUBE_PROXY_FIREWALL: &str = "KUBE-PROXY-FIREWALL";
const KUBE_PROXY_CANARY: &str = "KUBE-PROXY-CANARY";
const KUBE_KUBELET_CANARY: &str = "KUBE-KUBELET-CANARY";
const KUBE_FIREWALL: &str = "KUBE-FIREWALL";

fn comment(s: impl Into<String>) -> Arg {
    Arg::Comment(s.into())
}

fn jump(c: &str) -> Target {
    Target::Chain(c.to_string())
}

fn ctstate(states: &str) -> Arg {
    Arg::CtState {
        negate: false,
        states: states.to_string(),
    }
}

/// Sorted service ports, the order rules are written in (kube-proxy iterates a Go map;
/// sorting makes the output deterministic).
fn sorted_services(services: &[ServiceEndpoints]) -> Vec<&ServiceEndpoints> {
    let mut v: Vec<&ServiceEndpoints> = services
        .iter()
        .filter(|s| s.service.cluster_ip.is_some())
        .collect();
    crate::sort::sort_by(&mut v, |a, b| {
        (a.service.port_name_string(), a.service.protocol)
            .cmp(&(b.service.port_name_string(), b.service.protocol))
    });
    v
}

/// Builds the rules `syncProxyRules` writes for this node.
pub fn sync_proxy_rules(config: &ProxyConfig, services: &[ServiceEndpoints]) -> RuleSet {
    let mark = config.masquerade_mark();
    let mut nat = RuleTable::new(TableName::Nat);
    let mut filter = RuleTable::new(TableName::Filter);
    let mut owners = BTreeMap::new();

    // Jumps from the built-in chains (`iptablesJumpChains`, each prepended, hence this
    // order) and the kubelet's own chains.
    let portals = "kubernetes service portals";
    let ext_portals = "kubernetes externally-visible service portals";
    let lb_fw = "kubernetes load balancer firewall";
    for hook in ["PREROUTING", "OUTPUT"] {
        nat.add(hook, Rule::new(vec![comment(portals)], jump(KUBE_SERVICES)));
    }
    nat.add(
        "POSTROUTING",
        Rule::new(
            vec![comment("kubernetes postrouting rules")],
            jump(KUBE_POSTROUTING),
        ),
    );
    filter.add(
        "INPUT",
        Rule::new(
            vec![ctstate("NEW"), comment(lb_fw)],
            jump(KUBE_PROXY_FIREWALL),
        ),
    );
    filter.add(
        "INPUT",
        Rule::new(
            vec![comment("kubernetes health check service ports")],
            jump(KUBE_NODEPORTS),
        ),
    );
    filter.add(
        "INPUT",
        Rule::new(
            vec![ctstate("NEW"), comment(ext_portals)],
            jump(KUBE_EXTERNAL_SERVICES),
        ),
    );
    filter.add("INPUT", Rule::new(vec![], jump(KUBE_FIREWALL)));
    filter.add(
        "FORWARD",
        Rule::new(
            vec![ctstate("NEW"), comment(lb_fw)],
            jump(KUBE_PROXY_FIREWALL),
        ),
    );
    filter.add(
        "FORWARD",
        Rule::new(
            vec![comment("kubernetes forwarding rules")],
            jump(KUBE_FORWARD),
        ),
    );
    filter.add(
        "FORWARD",
        Rule::new(vec![ctstate("NEW"), comment(portals)], jump(KUBE_SERVICES)),
    );
    filter.add(
        "FORWARD",
        Rule::new(
            vec![ctstate("NEW"), comment(ext_portals)],
            jump(KUBE_EXTERNAL_SERVICES),
        ),
    );
    filter.add(
        "OUTPUT",
        Rule::new(
            vec![ctstate("NEW"), comment(lb_fw)],
            jump(KUBE_PROXY_FIREWALL),
        ),
    );
    filter.add(
        "OUTPUT",
        Rule::new(vec![ctstate("NEW"), comment(portals)], jump(KUBE_SERVICES)),
    );
    filter.add("OUTPUT", Rule::new(vec![], jump(KUBE_FIREWALL)));
    // kubelet: block non-local traffic to 127.0.0.0/8 (route_localnet hardening).
    let localnet = Ipv4Cidr {
        addr: Ipv4Addr::new(127, 0, 0, 0),
        prefix: 8,
    };
    filter.add(
        KUBE_FIREWALL,
        Rule::new(
            vec![
                Arg::Src {
                    negate: true,
                    cidr: localnet,
                },
                Arg::Dst(localnet),
                comment("block incoming localnet connections"),
                Arg::CtState {
                    negate: true,
                    states: "RELATED,ESTABLISHED,DNAT".into(),
                },
            ],
            Target::Drop,
        ),
    );
    for c in [KUBE_PROXY_CANARY, KUBE_KUBELET_CANARY] {
        nat.declare(c);
        filter.declare(c);
    }
    for c in [
        KUBE_SERVICES,
        KUBE_EXTERNAL_SERVICES,
        KUBE_FORWARD,
        KUBE_NODEPORTS,
        KUBE_PROXY_FIREWALL,
    ] {
        filter.declare(c);
    }
    for c in [
        KUBE_SERVICES,
        KUBE_NODEPORTS,
        KUBE_POSTROUTING,
        KUBE_MARK_MASQ,
    ] {
        nat.declare(c);
    }

    let sorted = sorted_services(services);
    let total_endpoints: usize = sorted.iter().map(|s| s.endpoints.len()).sum();
    let large = total_endpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
    let mut fragments = BTreeMap::new();
    write_services(
        config,
        &sorted,
        large,
        &mut nat,
        &mut filter,
        &mut owners,
        &mut fragments,
    );
    nat.begin((2, String::new()));
    filter.begin((2, String::new()));

    // The tail call to the NodePorts chain (nodePortAddresses = all, localhost NodePorts on).
    nat.add(
        KUBE_SERVICES,
        Rule::new(
            vec![
                comment(
                    "kubernetes service nodeports; NOTE: this must be the last rule in this chain",
                ),
                Arg::AddrTypeLocal { source: false },
            ],
            jump(KUBE_NODEPORTS),
        ),
    );

    nat.add(
        KUBE_POSTROUTING,
        Rule::new(
            vec![Arg::Mark {
                negate: true,
                value: mark,
                mask: mark,
            }],
            Target::Return,
        ),
    );
    nat.add(KUBE_POSTROUTING, Rule::new(vec![], Target::MarkXor(mark)));
    nat.add(
        KUBE_POSTROUTING,
        Rule::new(
            vec![comment("kubernetes service traffic requiring SNAT")],
            Target::Masquerade {
                random_fully: config.random_fully,
            },
        ),
    );
    nat.add(KUBE_MARK_MASQ, Rule::new(vec![], Target::MarkOr(mark)));

    filter.add(
        KUBE_FORWARD,
        Rule::new(vec![ctstate("INVALID")], Target::Drop),
    );
    filter.add(
        KUBE_FORWARD,
        Rule::new(
            vec![
                comment("kubernetes forwarding rules"),
                Arg::Mark {
                    negate: false,
                    value: mark,
                    mask: mark,
                },
            ],
            Target::Accept,
        ),
    );
    filter.add(
        KUBE_FORWARD,
        Rule::new(
            vec![
                comment("kubernetes forwarding conntrack rule"),
                ctstate("RELATED,ESTABLISHED"),
            ],
            Target::Accept,
        ),
    );

    nat.begin((0, String::new()));
    filter.begin((0, String::new()));
    RuleSet {
        nat,
        filter,
        owners,
        large_cluster_mode: large,
        fragments,
        total_endpoints,
    }
}

fn dst(ip: Ipv4Addr) -> Arg {
    Arg::Dst(Ipv4Cidr::host(ip))
}

/// The per-service part of the `syncProxyRules` loop.
#[allow(clippy::too_many_arguments)]
fn write_service(
    config: &ProxyConfig,
    svc: &ServicePortInfo,
    endpoints: &[EndpointInfo],
    large: bool,
    node_ip: Option<Ipv4Addr>,
    nat: &mut RuleTable,
    filter: &mut RuleTable,
    owners: &mut BTreeMap<Rc<str>, ChainOwner>,
) {
    let Some(cluster_ip) = svc.cluster_ip else {
        return;
    };
    let name = svc.port_name_string();
    let service_rc: Rc<str> = Rc::from(name.as_str());
    let proto = svc.protocol;
    let pl = proto.lower();
    let port = svc.port;
    let cat = categorize_endpoints(
        endpoints,
        svc,
        &config.node_name,
        config.node_zone.as_deref(),
    );

    let cluster_chain = hash::svc_chain(&name, pl);
    let local_chain = hash::svl_chain(&name, pl);
    let ext_chain = hash::ext_chain(&name, pl);
    let fw_chain = hash::fw_chain(&name, pl);
    let uses_cluster_chain = !cat.cluster.is_empty() && svc.uses_cluster_endpoints();
    let uses_local_chain = !cat.local.is_empty() && svc.uses_local_endpoints();

    let has_endpoints = cat.has_any_endpoints;
    let (internal_chain, has_internal) = if svc.internal_policy_local() {
        (&local_chain, !cat.local.is_empty())
    } else {
        (&cluster_chain, has_endpoints)
    };
    let (external_policy_chain, has_external) = if svc.external_policy_local() {
        (&local_chain, !cat.local.is_empty())
    } else {
        (&cluster_chain, has_endpoints)
    };
    let uses_ext_chain = has_endpoints && svc.externally_accessible();
    let uses_fw_chain = has_endpoints
        && !svc.load_balancer_ips.is_empty()
        && !svc.load_balancer_source_ranges.is_empty();
    let lb_chain = if uses_fw_chain { &fw_chain } else { &ext_chain };

    let (internal_filter, external_filter) = if !has_endpoints {
        let c = format!("{name} has no endpoints");
        (Some((Target::Reject, c.clone())), Some((Target::Reject, c)))
    } else {
        let no_local = format!("{name} has no local endpoints");
        (
            (!has_internal).then(|| (Target::Drop, no_local.clone())),
            (!has_external).then_some((Target::Drop, no_local)),
        )
    };

    // Capture the clusterIP.
    let vip = |ip: Ipv4Addr, what: &str| {
        vec![
            comment(format!("{name} {what}")),
            Arg::Proto(proto),
            dst(ip),
            Arg::DPort(port),
        ]
    };
    if has_internal {
        nat.add(
            KUBE_SERVICES,
            Rule::new(vip(cluster_ip, "cluster IP"), jump(internal_chain)),
        );
    } else if let Some((t, c)) = &internal_filter {
        filter.add(
            KUBE_SERVICES,
            Rule::new(
                vec![
                    comment(c.clone()),
                    Arg::Proto(proto),
                    dst(cluster_ip),
                    Arg::DPort(port),
                ],
                t.clone(),
            ),
        );
    }
    // Capture externalIPs.
    for &ip in &svc.external_ips {
        if has_endpoints {
            nat.add(
                KUBE_SERVICES,
                Rule::new(vip(ip, "external IP"), jump(&ext_chain)),
            );
        }
        if let Some((t, c)) = &external_filter {
            filter.add(
                KUBE_EXTERNAL_SERVICES,
                Rule::new(
                    vec![
                        comment(c.clone()),
                        Arg::Proto(proto),
                        dst(ip),
                        Arg::DPort(port),
                    ],
                    t.clone(),
                ),
            );
        }
    }
    // Capture load-balancer ingress.
    for &ip in &svc.load_balancer_ips {
        if has_endpoints {
            nat.add(
                KUBE_SERVICES,
                Rule::new(vip(ip, "loadbalancer IP"), jump(lb_chain)),
            );
        }
        if uses_fw_chain {
            filter.add(
                KUBE_PROXY_FIREWALL,
                Rule::new(
                    vec![
                        comment(format!("{name} traffic not accepted by {fw_chain}")),
                        Arg::Proto(proto),
                        dst(ip),
                        Arg::DPort(port),
                    ],
                    Target::Drop,
                ),
            );
        }
    }
    if let Some((t, c)) = &external_filter {
        for &ip in &svc.load_balancer_ips {
            filter.add(
                KUBE_EXTERNAL_SERVICES,
                Rule::new(
                    vec![
                        comment(c.clone()),
                        Arg::Proto(proto),
                        dst(ip),
                        Arg::DPort(port),
                    ],
                    t.clone(),
                ),
            );
        }
    }
    // Capture nodeports.
    if let Some(np) = svc.node_port {
        if has_endpoints {
            nat.add(
                KUBE_NODEPORTS,
                Rule::new(
                    vec![comment(name.clone()), Arg::Proto(proto), Arg::DPort(np)],
                    jump(&ext_chain),
                ),
            );
        }
        if let Some((t, c)) = &external_filter {
            filter.add(
                KUBE_EXTERNAL_SERVICES,
                Rule::new(
                    vec![
                        comment(c.clone()),
                        Arg::AddrTypeLocal { source: false },
                        Arg::Proto(proto),
                        Arg::DPort(np),
                    ],
                    t.clone(),
                ),
            );
        }
    }
    // Capture healthCheckNodePorts (accepted whether or not there are local endpoints).
    if let Some(hc) = svc.health_check_node_port {
        filter.add(
            KUBE_NODEPORTS,
            Rule::new(
                vec![
                    comment(format!("{name} health check node port")),
                    Arg::Proto(Protocol::Tcp),
                    Arg::DPort(hc),
                ],
                Target::Accept,
            ),
        );
    }

    // Internal traffic: masquerade off-cluster sources sent to the ClusterIP.
    if has_internal {
        let mut args = vip(cluster_ip, "cluster IP");
        if !config.masquerade_all {
            args.push(Arg::Src {
                negate: true,
                cidr: config.cluster_cidr,
            });
        }
        nat.add(internal_chain, Rule::new(args, jump(KUBE_MARK_MASQ)));
    }

    if uses_ext_chain {
        nat.declare(&ext_chain);
        owners.insert(
            Rc::from(ext_chain.as_str()),
            ChainOwner {
                service: service_rc.clone(),
            },
        );
        if !svc.external_policy_local() {
            nat.add(
                &ext_chain,
                Rule::new(
                    vec![comment(format!(
                        "masquerade traffic for {name} external destinations"
                    ))],
                    jump(KUBE_MARK_MASQ),
                ),
            );
        } else {
            nat.add(
                &ext_chain,
                Rule::new(
                    vec![
                        comment(format!("pod traffic for {name} external destinations")),
                        Arg::Src {
                            negate: false,
                            cidr: config.cluster_cidr,
                        },
                    ],
                    jump(&cluster_chain),
                ),
            );
            nat.add(
                &ext_chain,
                Rule::new(
                    vec![
                        comment(format!(
                            "masquerade LOCAL traffic for {name} external destinations"
                        )),
                        Arg::AddrTypeLocal { source: true },
                    ],
                    jump(KUBE_MARK_MASQ),
                ),
            );
            nat.add(
                &ext_chain,
                Rule::new(
                    vec![
                        comment(format!(
                            "route LOCAL traffic for {name} external destinations"
                        )),
                        Arg::AddrTypeLocal { source: true },
                    ],
                    jump(&cluster_chain),
                ),
            );
        }
        if has_external {
            nat.add(&ext_chain, Rule::new(vec![], jump(external_policy_chain)));
        }
    }

    if uses_fw_chain {
        nat.declare(&fw_chain);
        owners.insert(
            Rc::from(fw_chain.as_str()),
            ChainOwner {
                service: service_rc.clone(),
            },
        );
        let fw_comment = format!("{name} loadbalancer IP");
        let mut allow_from_node = false;
        for cidr in &svc.load_balancer_source_ranges {
            nat.add(
                &fw_chain,
                Rule::new(
                    vec![
                        comment(fw_comment.clone()),
                        Arg::Src {
                            negate: false,
                            cidr: *cidr,
                        },
                    ],
                    jump(&ext_chain),
                ),
            );
            allow_from_node |= node_ip.is_some_and(|ip| cidr.contains(ip));
        }
        if allow_from_node {
            // A node reaching its own VIP-like LB IP loops back with the VIP as source.
            for &ip in &svc.load_balancer_ips {
                nat.add(
                    &fw_chain,
                    Rule::new(
                        vec![
                            comment(fw_comment.clone()),
                            Arg::Src {
                                negate: false,
                                cidr: Ipv4Cidr::host(ip),
                            },
                        ],
                        jump(&ext_chain),
                    ),
                );
            }
        }
        nat.add(
            &fw_chain,
            Rule {
                args: vec![comment(format!(
                    "other traffic to {name} will be dropped by KUBE-PROXY-FIREWALL"
                ))],
                target: None,
            },
        );
    }

    if uses_cluster_chain {
        nat.declare(&cluster_chain);
        owners.insert(
            Rc::from(cluster_chain.as_str()),
            ChainOwner {
                service: service_rc.clone(),
            },
        );
        write_service_to_endpoint_rules(nat, &name, svc, &cluster_chain, &cat.cluster, large);
    }
    if uses_local_chain {
        nat.declare(&local_chain);
        owners.insert(
            Rc::from(local_chain.as_str()),
            ChainOwner {
                service: service_rc.clone(),
            },
        );
        write_service_to_endpoint_rules(nat, &name, svc, &local_chain, &cat.local, large);
    }

    for ep in &cat.all_reachable {
        let sep = hash::sep_chain(&name, pl, &ep.ip_port());
        nat.declare(&sep);
        owners.insert(
            Rc::from(sep.as_str()),
            ChainOwner {
                service: service_rc.clone(),
            },
        );
        let base: Vec<Arg> = if large {
            vec![]
        } else {
            vec![comment(name.clone())]
        };
        let mut hairpin = base.clone();
        hairpin.push(Arg::Src {
            negate: false,
            cidr: Ipv4Cidr::host(ep.ip),
        });
        nat.add(&sep, Rule::new(hairpin, jump(KUBE_MARK_MASQ)));
        let mut dnat = base;
        if svc.sticky_seconds().is_some() {
            dnat.push(Arg::RecentSet { name: sep.clone() });
        }
        dnat.push(Arg::Proto(proto));
        nat.add(
            &sep,
            Rule::new(dnat, Target::Dnat(SocketAddrV4::new(ep.ip, ep.port))),
        );
    }
}

/// `writeServiceToEndpointRules`: affinity checks, then the probability cascade.
fn write_service_to_endpoint_rules(
    nat: &mut RuleTable,
    name: &str,
    svc: &ServicePortInfo,
    chain: &str,
    endpoints: &[EndpointInfo],
    large: bool,
) {
    let pl = svc.protocol.lower();
    let seps: Vec<(String, String)> = endpoints
        .iter()
        .map(|e| (e.ip_port(), hash::sep_chain(name, pl, &e.ip_port())))
        .collect();
    let base = |ipp: &str| {
        if large {
            vec![]
        } else {
            vec![comment(format!("{name} -> {ipp}"))]
        }
    };
    if let Some(seconds) = svc.sticky_seconds() {
        for (ipp, sep) in &seps {
            let mut args = base(ipp);
            args.push(Arg::RecentCheck {
                name: sep.clone(),
                seconds,
            });
            nat.add(chain, Rule::new(args, jump(sep)));
        }
    }
    let n = seps.len();
    for (i, (ipp, sep)) in seps.iter().enumerate() {
        let mut args = base(ipp);
        if i + 1 < n {
            let written = hash::probability(n - i);
            // kube-proxy's own output always parses; 0 only if that ever changed.
            let threshold = hash::parse_probability(&written).unwrap_or(0);
            args.push(Arg::Statistic { written, threshold });
        }
        nat.add(chain, Rule::new(args, jump(sep)));
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------

/// The `xt_recent` lists of one node (they outlive rule re-syncs, as in the kernel).
/// Each list name gets a number the first time it is seen (lists are never dropped, so
/// numbers stay valid): the compiled fast path checks lists by number, the interpreter by
/// name through `ids`.
#[derive(Debug, Clone, Default)]
pub struct RecentTables {
    ids: FxHashMap<String, u32>,
    lists: Vec<RecentList>,
    seq: u64,
    /// The lists each source is in (the fast path's shortcut; not part of equality).
    members: super::fast::Members,
}

impl PartialEq for RecentTables {
    /// Same sources in the same lists, whatever order the names were numbered in.
    fn eq(&self, other: &Self) -> bool {
        let same = |a: &Self, b: &Self| {
            a.ids.iter().all(|(name, &id)| {
                let mine = a.lists.get(id as usize);
                let theirs = b.ids.get(name).and_then(|&j| b.lists.get(j as usize));
                match (mine, theirs) {
                    (Some(x), Some(y)) => x == y,
                    (Some(x), None) | (None, Some(x)) => x.entries.is_empty(),
                    (None, None) => true,
                }
            })
        };
        self.seq == other.seq && same(self, other) && same(other, self)
    }
}

impl Eq for RecentTables {}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RecentList {
    /// source → (last stamp ms, LRU sequence)
    entries: BTreeMap<Ipv4Addr, (u64, u64)>,
    /// (LRU sequence) → source; the first entry is the least recently updated.
    lru: BTreeMap<u64, Ipv4Addr>,
}

impl RecentTables {
    /// The number of list `name`, creating the (empty) list when new.
    pub(crate) fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.lists.len()).unwrap_or(u32::MAX);
        self.lists.push(RecentList::default());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// `--set`: add or refresh `src` in list `name`.
    pub(crate) fn set(&mut self, name: &str, src: Ipv4Addr, now_ms: u64) {
        let id = self.id(name);
        self.set_id(id, src, now_ms);
    }

    /// [`RecentTables::set`] by list number.
    pub(crate) fn set_id(&mut self, id: u32, src: Ipv4Addr, now_ms: u64) {
        self.seq += 1;
        let seq = self.seq;
        let Some(list) = self.lists.get_mut(id as usize) else {
            return;
        };
        if let Some((_, old)) = list.entries.get(&src).copied() {
            list.lru.remove(&old);
        } else {
            if list.entries.len() >= RECENT_LIST_MAX {
                if let Some((_, oldest)) = list.lru.pop_first() {
                    list.entries.remove(&oldest);
                    self.members.remove(oldest, id);
                }
            }
            self.members.add(src, id);
        }
        list.entries.insert(src, (now_ms, seq));
        list.lru.insert(seq, src);
    }

    /// `--rcheck --seconds s --reap`: `src` seen within `s` seconds; the reap drops the
    /// least recently seen entry of the list when it has expired.
    pub(crate) fn check(&mut self, name: &str, src: Ipv4Addr, seconds: u32, now_ms: u64) -> bool {
        match self.ids.get(name) {
            Some(&id) => self.check_id(id, src, seconds, now_ms),
            None => false,
        }
    }

    /// [`RecentTables::check`] by list number.
    pub(crate) fn check_id(&mut self, id: u32, src: Ipv4Addr, seconds: u32, now_ms: u64) -> bool {
        let Some(list) = self.lists.get_mut(id as usize) else {
            return false;
        };
        let Some(&(stamp, _)) = list.entries.get(&src) else {
            return false;
        };
        let horizon = now_ms.saturating_sub(u64::from(seconds) * 1000);
        let hit = stamp >= horizon;
        if let Some((&seq, &oldest)) = list.lru.first_key_value() {
            let expired = list.entries.get(&oldest).is_some_and(|&(s, _)| s < horizon);
            if expired && (oldest != src || !hit) {
                list.lru.remove(&seq);
                list.entries.remove(&oldest);
                self.members.remove(oldest, id);
            }
        }
        hit
    }

    /// Which lists hold each source.
    pub(crate) fn members(&self) -> &super::fast::Members {
        &self.members
    }

    /// Number of sources remembered in list `name` (for tests and the UI).
    pub fn len(&self, name: &str) -> usize {
        self.ids
            .get(name)
            .and_then(|&id| self.lists.get(id as usize))
            .map_or(0, |l| l.entries.len())
    }

    /// Whether no list holds any entry.
    pub fn is_empty(&self) -> bool {
        self.lists.iter().all(|l| l.entries.is_empty())
    }
}

/// A packet as netfilter sees it at one hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address (after any DNAT already applied).
    pub dst: Ipv4Addr,
    /// Protocol.
    pub proto: Protocol,
    /// Destination port.
    pub dport: u16,
    /// `addrtype --src-type LOCAL`.
    pub src_local: bool,
    /// `addrtype --dst-type LOCAL`.
    pub dst_local: bool,
    /// Conntrack has applied DNAT (the `DNAT` ctstate).
    pub dnatted: bool,
}

/// One rule that matched while walking the chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHit {
    /// `nat` / `filter`.
    pub table: TableName,
    /// Chain name.
    pub chain: String,
    /// The rule in `-A CHAIN …` restore form.
    pub rule: String,
}

/// Final verdict of one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookVerdict {
    /// Fell through or `ACCEPT`: the packet continues.
    Accept,
    /// `DROP`; the comment of the rule.
    Drop(String),
    /// `REJECT`; the comment of the rule.
    Reject(String),
    /// `DNAT` to this address.
    Dnat(SocketAddrV4),
    /// `MASQUERADE`.
    Masquerade,
}

/// Mutable state threaded through one evaluation.
pub struct EvalState<'a, R: RngCore> {
    /// Packet mark (`KUBE-MARK-MASQ` sets the masquerade bit).
    pub mark: u32,
    /// `recent` lists.
    pub recent: &'a mut RecentTables,
    /// RNG for `statistic --mode random`.
    pub rng: &'a mut R,
    /// Virtual time.
    pub now_ms: u64,
    /// Matched rules, in order.
    pub trace: &'a mut Vec<TraceHit>,
}

fn arg_matches<R: RngCore>(a: &Arg, p: &Packet, st: &mut EvalState<'_, R>) -> bool {
    match a {
        Arg::Comment(_) => true,
        Arg::Proto(pr) => *pr == p.proto,
        Arg::Src { negate, cidr } => cidr.contains(p.src) != *negate,
        Arg::Dst(c) => c.contains(p.dst),
        Arg::DPort(port) => *port == p.dport,
        Arg::AddrTypeLocal { source } => {
            if *source {
                p.src_local
            } else {
                p.dst_local
            }
        }
        // Kernel `xt_statistic`: (prandom & 0x7FFFFFFF) < probability.
        Arg::Statistic { threshold, .. } => (st.rng.next_u32() & 0x7FFF_FFFF) < *threshold,
        Arg::RecentCheck { name, seconds } => st.recent.check(name, p.src, *seconds, st.now_ms),
        Arg::RecentSet { name } => {
            st.recent.set(name, p.src, st.now_ms);
            true
        }
        Arg::Mark {
            negate,
            value,
            mask,
        } => (st.mark & mask == *value) != *negate,
        Arg::CtState { negate, states } => {
            let has = states
                .split(',')
                .any(|s| s == "NEW" || (s == "DNAT" && p.dnatted));
            has != *negate
        }
    }
}

/// Deepest chain nesting the evaluator follows (the kernel's own limit is far higher;
/// generated rules nest at most 5 deep).
const MAX_DEPTH: usize = 16;

impl RuleSet {
    /// Walks `table` from built-in chain `hook` for packet `p`, as netfilter would.
    pub fn run<R: RngCore>(
        &self,
        table: TableName,
        hook: &str,
        p: &Packet,
        st: &mut EvalState<'_, R>,
    ) -> HookVerdict {
        let t = self.table(table);
        // Stack of (chain name, candidate rule indices, position).
        let mut stack: Vec<(&str, &Chain, Vec<&RulePos>, usize)> = Vec::new();
        if let Some(c) = t.chains.get(hook) {
            stack.push((hook, c, c.candidates(p.dst, p.proto, p.dport), 0));
        }
        while let Some((chain_name, chain, cands, pos)) = stack.last_mut() {
            let Some(&rp) = cands.get(*pos) else {
                stack.pop();
                continue;
            };
            *pos += 1;
            let chain_name: &str = chain_name;
            let Some(rule) = chain.rule_at(rp) else {
                continue;
            };
            if !rule.args.iter().all(|a| arg_matches(a, p, st)) {
                continue;
            }
            st.trace.push(TraceHit {
                table,
                chain: chain_name.to_string(),
                rule: format!("-A {chain_name} {}", rule.restore_args()),
            });
            let verdict_comment = || rule.comment().unwrap_or_default().to_string();
            match &rule.target {
                None => {}
                Some(Target::Chain(next)) if stack.len() < MAX_DEPTH => {
                    if let Some((name, c)) = t.chains.get_key_value(next.as_str()) {
                        stack.push((&**name, c, c.candidates(p.dst, p.proto, p.dport), 0));
                    }
                }
                Some(Target::Chain(_)) => {}
                Some(Target::Accept) => return HookVerdict::Accept,
                Some(Target::Drop) => return HookVerdict::Drop(verdict_comment()),
                Some(Target::Reject) => return HookVerdict::Reject(verdict_comment()),
                Some(Target::Return) => {
                    stack.pop();
                }
                Some(Target::Dnat(a)) => return HookVerdict::Dnat(*a),
                Some(Target::MarkOr(v)) => st.mark |= v,
                Some(Target::MarkXor(v)) => st.mark ^= v,
                Some(Target::Masquerade { .. }) => return HookVerdict::Masquerade,
            }
        }
        HookVerdict::Accept
    }
}
