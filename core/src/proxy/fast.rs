//! The routing fast path: a node's programmed rules for one destination
//! `(address, protocol, port)`, compiled into a small entry the data plane can decide a
//! new connection with in a few comparisons, without walking chains, allocating or
//! formatting text.
//!
//! An entry is compiled *from the programmed rules themselves* (not from the Service
//! model), the first time a destination is routed after a sync, by recognising the
//! shapes kube-proxy writes for a ClusterIP with endpoints and Cluster policy:
//! * iptables: `KUBE-SERVICES` → `KUBE-SVC-…` (masquerade check, `recent --rcheck`
//!   affinity rules, the `statistic` cascade) → `KUBE-SEP-…` (hairpin mark,
//!   `recent --set`, DNAT), then filter `FORWARD` and nat `POSTROUTING` probed once per
//!   endpoint;
//! * nftables: `service-ips` → `service-…` chain (masquerade check, affinity gotos,
//!   `numgen`) → `endpoint-…` chain (hairpin, affinity update, DNAT).
//!
//! Anything else (another shape, a source or endpoint that is a local address, a
//! connection from the node itself) is not compiled and takes the interpreter, so the
//! fast path never decides differently from it: it evaluates the same matches in the same
//! order, draws the same random numbers and updates the same `recent` lists / affinity
//! sets. The human-readable trace is produced only on request by replaying the
//! interpreter with the decision's outcomes scripted ([`ScriptedRng`]).

use std::net::{Ipv4Addr, SocketAddrV4};
use std::rc::Rc;

use rand_core::RngCore;
use rustc_hash::FxHashMap;

use super::iptables::{self, Arg, EvalState, HookVerdict, Packet, RuleSet, TableName, Target};
use super::model::{Ipv4Cidr, Protocol, ProxyConfig};
use super::nftables::{NftRule, NftTable};

/// `(destination address, protocol, destination port)`.
pub(crate) type DestKey = (Ipv4Addr, Protocol, u16);

/// A compiled destination, or the note that it takes the interpreter.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    /// iptables fast path.
    Iptables(Rc<IptEntry>),
    /// nftables fast path.
    Nftables(Rc<NftEntry>),
    /// Not compilable: interpret.
    Interpret,
}

/// The per-node cache of compiled destinations. It is a pure function of the programmed
/// rules (emptied whenever they change), so it takes no part in equality.
#[derive(Debug, Clone, Default)]
pub(crate) struct FastCache {
    pub(crate) slots: FxHashMap<DestKey, Slot>,
}

impl PartialEq for FastCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for FastCache {}

/// Which affinity lists (iptables `recent` lists, nftables affinity sets; by number) hold
/// each source address, kept by the kernel state that owns the lists on every insertion
/// and removal. A lookup for a list not holding the source has no effect (no hit, no
/// reap), so a compiled entry checks only the lists this index names, in rule order, and
/// makes the same decision with the same side effects in a few comparisons. Derived from
/// the lists, so it takes no part in equality.
#[derive(Debug, Clone, Default)]
pub(crate) struct Members(FxHashMap<Ipv4Addr, Held>);

/// The lists holding one source: usually one (a client pinned to one endpoint of each
/// Service it talks to), kept inline so the common lookup touches no other memory.
#[derive(Debug, Clone)]
enum Held {
    One(u32),
    Many(Vec<u32>),
}

impl Members {
    /// `src` was added to list `id`.
    pub(crate) fn add(&mut self, src: Ipv4Addr, id: u32) {
        match self.0.get_mut(&src) {
            None => {
                self.0.insert(src, Held::One(id));
            }
            Some(h) => match h {
                Held::One(x) => *h = Held::Many(vec![*x, id]),
                Held::Many(ids) => ids.push(id),
            },
        }
    }

    /// `src` left list `id`.
    pub(crate) fn remove(&mut self, src: Ipv4Addr, id: u32) {
        let Some(h) = self.0.get_mut(&src) else {
            return;
        };
        match h {
            Held::One(x) if *x == id => {
                self.0.remove(&src);
            }
            Held::One(_) => {}
            Held::Many(ids) => {
                if let Some(i) = ids.iter().position(|&x| x == id) {
                    ids.swap_remove(i);
                }
                if let [only] = ids.as_slice() {
                    *h = Held::One(*only);
                } else if ids.is_empty() {
                    self.0.remove(&src);
                }
            }
        }
    }

    /// Lists holding `src`, in no particular order.
    pub(crate) fn of(&self, src: Ipv4Addr) -> &[u32] {
        match self.0.get(&src) {
            None => &[],
            Some(Held::One(x)) => std::slice::from_ref(x),
            Some(Held::Many(ids)) => ids,
        }
    }
}

/// Positions (< 64) in `lists` of the lists that hold the source, given the lists that
/// do (`held`): the only affinity rules whose check can match or change anything. `None`
/// when the shortcut does not apply (many rules or lists) and every rule is checked.
fn candidates(lists: impl ExactSizeIterator<Item = u32>, held: &[u32]) -> Option<u64> {
    // Above this the membership test would cost more than the list lookups it saves.
    const MAX_HELD: usize = 16;
    if lists.len() > 64 || held.len() > MAX_HELD {
        return None;
    }
    let mut mask = 0u64;
    for (n, id) in lists.enumerate() {
        if held.contains(&id) {
            mask |= 1 << n;
        }
    }
    Some(mask)
}

/// `! -s <cidr>` style source condition of a masquerade rule (`None` = any source).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SrcMatch {
    negate: bool,
    cidr: Ipv4Cidr,
}

impl SrcMatch {
    fn matches(&self, src: Ipv4Addr) -> bool {
        self.cidr.contains(src) != self.negate
    }
}

/// One `KUBE-SEP-` chain: hairpin source, `recent --set` list, DNAT target.
#[derive(Debug, Clone)]
pub(crate) struct IptSep {
    hairpin: Option<SrcMatch>,
    /// Number of the `recent --set` list.
    recent_set: Option<u32>,
    dnat: SocketAddrV4,
}

/// A ClusterIP destination compiled from its iptables rules.
#[derive(Debug, Clone)]
pub(crate) struct IptEntry {
    /// Source conditions under which `KUBE-MARK-MASQ` is jumped to before picking (each
    /// `None` = unconditional).
    masq: Vec<Option<SrcMatch>>,
    /// `recent --rcheck` rules in order: (list, its number, seconds, endpoint index).
    affinity: Vec<(String, u32, u32, usize)>,
    /// `statistic` cascade in order: (31-bit threshold, endpoint index).
    cascade: Vec<(u32, usize)>,
    /// Endpoint of the final rule without a statistic match.
    last: usize,
    seps: Vec<IptSep>,
}

/// How an endpoint was chosen: what a replay must reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    /// The `n`-th affinity rule (recent list / affinity set) matched.
    Affinity(usize),
    /// `n` random draws failed before one matched (iptables), or numgen chose `n` (nft).
    Random(usize),
}

/// A DNAT decided by the fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FastDnat {
    pub(crate) endpoint: SocketAddrV4,
    pub(crate) masquerade: bool,
    pub(crate) pick: Pick,
}

/// Static outcome of a rule's matches for one destination.
enum Static {
    Never,
    Always,
    Dynamic,
}

/// What a rule's matches are for packets to `key` from a non-local pod source before
/// DNAT: decided now, or depending on the packet / kernel state.
fn static_match(args: &[Arg], key: DestKey) -> Static {
    let mut dynamic = false;
    for a in args {
        match a {
            Arg::Comment(_) => {}
            Arg::Proto(p) if *p != key.1 => return Static::Never,
            Arg::Proto(_) => {}
            Arg::Dst(c) if !c.contains(key.0) => return Static::Never,
            Arg::Dst(_) => {}
            Arg::DPort(p) if *p != key.2 => return Static::Never,
            Arg::DPort(_) => {}
            // Source and destination are not local addresses (checked by the caller).
            Arg::AddrTypeLocal { .. } => return Static::Never,
            Arg::Src { .. }
            | Arg::Statistic { .. }
            | Arg::RecentCheck { .. }
            | Arg::RecentSet { .. }
            | Arg::Mark { .. }
            | Arg::CtState { .. } => dynamic = true,
        }
    }
    if dynamic {
        Static::Dynamic
    } else {
        Static::Always
    }
}

/// The dynamic matches of a rule that [`static_match`] found not `Never`: only the one
/// kind expected, or `None` when it holds anything else.
fn only_src(args: &[Arg]) -> Option<Option<SrcMatch>> {
    let mut out = None;
    for a in args {
        match a {
            Arg::Src { negate, cidr } if out.is_none() => {
                out = Some(SrcMatch {
                    negate: *negate,
                    cidr: *cidr,
                })
            }
            Arg::Comment(_) | Arg::Proto(_) | Arg::Dst(_) | Arg::DPort(_) => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Position of `name` in `names`, appended when new (chains are few per Service).
fn index_of<'a>(name: &'a str, names: &mut Vec<&'a str>) -> usize {
    match names.iter().position(|n| *n == name) {
        Some(i) => i,
        None => {
            names.push(name);
            names.len() - 1
        }
    }
}

const KUBE_MARK_MASQ: &str = "KUBE-MARK-MASQ";

/// The user chain the first rule of `chain` matching packets to `key` jumps to, when that
/// rule matches unconditionally and no rule before it could match.
fn first_jump<'a>(rules: &'a RuleSet, chain: &str, key: DestKey) -> Option<&'a str> {
    let c = rules.nat.chain(chain)?;
    for pos in c.candidates(key.0, key.1, key.2) {
        let rule = c.rule_at(pos)?;
        match static_match(&rule.args, key) {
            Static::Never => continue,
            Static::Dynamic => return None,
            Static::Always => {
                return match &rule.target {
                    Some(Target::Chain(next)) => Some(next.as_str()),
                    _ => None,
                }
            }
        }
    }
    None
}

/// Compiles the iptables rules for ClusterIP traffic to `key` from a pod on another
/// address than the node's, or `None` when they are not of the recognised shape.
pub(crate) fn compile_iptables(
    rules: &RuleSet,
    config: &ProxyConfig,
    key: DestKey,
    recent: &mut iptables::RecentTables,
) -> Option<IptEntry> {
    let is_local = |ip: Ipv4Addr| ip.is_loopback() || config.node_ips.contains(&ip);
    if is_local(key.0) {
        return None;
    }
    // KUBE-MARK-MASQ must only set the masquerade bit.
    let mark = match rules
        .nat
        .chain(KUBE_MARK_MASQ)?
        .rules()
        .collect::<Vec<_>>()
        .as_slice()
    {
        [r] if r.args.is_empty() => match r.target {
            Some(Target::MarkOr(m)) => m,
            _ => return None,
        },
        _ => return None,
    };
    let services = first_jump(rules, "PREROUTING", key)?;
    let svc_chain = first_jump(rules, services, key)?;
    if !svc_chain.starts_with("KUBE-SVC-") {
        return None;
    }
    let svc = rules.nat.chain(svc_chain)?;
    let mut entry = IptEntry {
        masq: Vec::new(),
        affinity: Vec::new(),
        cascade: Vec::new(),
        last: usize::MAX,
        seps: Vec::new(),
    };
    let mut sep_names: Vec<&str> = Vec::new();
    for rule in svc.rules() {
        let st = static_match(&rule.args, key);
        if matches!(st, Static::Never) {
            continue;
        }
        let target = rule.target.as_ref()?;
        let Target::Chain(next) = target else {
            return None;
        };
        if next == KUBE_MARK_MASQ {
            // Masquerade checks come before any pick.
            if !entry.affinity.is_empty() || !entry.cascade.is_empty() {
                return None;
            }
            entry.masq.push(only_src(&rule.args)?);
            continue;
        }
        if !next.starts_with("KUBE-SEP-") {
            return None;
        }
        let dynamic: Vec<&Arg> = rule
            .args
            .iter()
            .filter(|a| !matches!(a, Arg::Comment(_)))
            .collect();
        let next: &str = next.as_str();
        match dynamic.as_slice() {
            [Arg::RecentCheck { name, seconds }] if entry.cascade.is_empty() => {
                let i = index_of(next, &mut sep_names);
                entry
                    .affinity
                    .push((name.clone(), recent.id(name), *seconds, i));
            }
            [Arg::Statistic { threshold, .. }] => {
                let i = index_of(next, &mut sep_names);
                entry.cascade.push((*threshold, i));
            }
            [] => {
                entry.last = index_of(next, &mut sep_names);
                break;
            }
            _ => return None,
        }
    }
    if entry.last == usize::MAX {
        return None;
    }
    for name in &sep_names {
        entry.seps.push(compile_sep(rules, name, key, recent)?);
    }
    // After DNAT the packet is forwarded: the filter table must let it through and
    // POSTROUTING must masquerade exactly the marked packets, whatever the endpoint.
    let probe_src = Ipv4Addr::from(u32::from(config.cluster_cidr.network()).wrapping_add(1));
    for sep in &entry.seps {
        if is_local(*sep.dnat.ip()) {
            return None;
        }
        let pkt = Packet {
            src: probe_src,
            dst: *sep.dnat.ip(),
            proto: key.1,
            dport: sep.dnat.port(),
            src_local: false,
            dst_local: false,
            dnatted: true,
        };
        for marked in [false, true] {
            let mut recent = iptables::RecentTables::default();
            let mut rng = ScriptedRng::fail(0);
            let mut hits = Vec::new();
            let mut st = EvalState {
                mark: if marked { mark } else { 0 },
                recent: &mut recent,
                rng: &mut rng,
                now_ms: 0,
                trace: &mut hits,
            };
            if rules.run(TableName::Filter, "FORWARD", &pkt, &mut st) != HookVerdict::Accept {
                return None;
            }
            let masq = rules.run(TableName::Nat, "POSTROUTING", &pkt, &mut st);
            if (masq == HookVerdict::Masquerade) != marked {
                return None;
            }
        }
    }
    Some(entry)
}

/// A `KUBE-SEP-` chain: `[-s <ep> -j KUBE-MARK-MASQ] [-m recent --set] -j DNAT`.
fn compile_sep(
    rules: &RuleSet,
    name: &str,
    key: DestKey,
    recent: &mut iptables::RecentTables,
) -> Option<IptSep> {
    let chain = rules.nat.chain(name)?;
    let mut hairpin = None;
    for rule in chain.rules() {
        if matches!(static_match(&rule.args, key), Static::Never) {
            continue;
        }
        match rule.target.as_ref()? {
            Target::Chain(c) if c == KUBE_MARK_MASQ && hairpin.is_none() => {
                hairpin = Some(only_src(&rule.args)??);
            }
            Target::Dnat(a) => {
                let mut recent_set = None;
                for arg in &rule.args {
                    match arg {
                        Arg::Comment(_) | Arg::Proto(_) | Arg::Dst(_) | Arg::DPort(_) => {}
                        Arg::RecentSet { name } if recent_set.is_none() => {
                            recent_set = Some(recent.id(name))
                        }
                        _ => return None,
                    }
                }
                return Some(IptSep {
                    hairpin,
                    recent_set,
                    dnat: *a,
                });
            }
            _ => return None,
        }
    }
    None
}

impl IptEntry {
    /// Decides a connection from pod address `src` as the rules would.
    pub(crate) fn route<R: RngCore>(
        &self,
        recent: &mut iptables::RecentTables,
        src: Ipv4Addr,
        now_ms: u64,
        rng: &mut R,
    ) -> FastDnat {
        let mut marked = self.masq.iter().any(|m| m.is_none_or(|m| m.matches(src)));
        let (sep, pick) = 'pick: {
            let held = recent.members().of(src);
            if !held.is_empty() {
                let lists = self.affinity.iter().map(|a| a.1);
                let mask = candidates(lists, held).unwrap_or(u64::MAX);
                for (n, (_, list, seconds, sep)) in self.affinity.iter().enumerate() {
                    if n < 64 && mask & (1 << n) == 0 {
                        continue;
                    }
                    if recent.check_id(*list, src, *seconds, now_ms) {
                        break 'pick (*sep, Pick::Affinity(n));
                    }
                }
            }
            for (n, (threshold, sep)) in self.cascade.iter().enumerate() {
                // Kernel `xt_statistic`: (prandom & 0x7FFFFFFF) < probability.
                if (rng.next_u32() & 0x7FFF_FFFF) < *threshold {
                    break 'pick (*sep, Pick::Random(n));
                }
            }
            (self.last, Pick::Random(self.cascade.len()))
        };
        let Some(sep) = self.seps.get(sep) else {
            // Compilation indexes only into `seps`; unreachable.
            return FastDnat {
                endpoint: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
                masquerade: false,
                pick,
            };
        };
        marked |= sep.hairpin.is_some_and(|h| h.matches(src));
        if let Some(list) = sep.recent_set {
            recent.set_id(list, src, now_ms);
        }
        FastDnat {
            endpoint: sep.dnat,
            masquerade: marked,
            pick,
        }
    }

    /// Kernel state under which the interpreter makes the same pick (for the trace replay).
    pub(crate) fn replay_state(
        &self,
        pick: Pick,
        src: Ipv4Addr,
        now_ms: u64,
    ) -> (iptables::RecentTables, ScriptedRng) {
        let mut recent = iptables::RecentTables::default();
        match pick {
            Pick::Affinity(n) => {
                if let Some((list, _, _, _)) = self.affinity.get(n) {
                    recent.set(list, src, now_ms);
                }
                (recent, ScriptedRng::fail(0))
            }
            Pick::Random(n) => (recent, ScriptedRng::fail(n)),
        }
    }
}

/// One `endpoint-…` chain of the nftables table.
#[derive(Debug, Clone)]
pub(crate) struct NftEp {
    hairpin: Ipv4Addr,
    /// Affinity set updated (its number), with its timeout.
    update: Option<(u32, u32)>,
    dnat: SocketAddrV4,
}

/// A ClusterIP destination compiled from its nftables rules.
#[derive(Debug, Clone)]
pub(crate) struct NftEntry {
    /// Masquerade unless the source is in this block (`Some(None)` = always; `None` = no
    /// masquerade rule for this destination).
    masq: Option<Option<Ipv4Cidr>>,
    /// `ip saddr @set goto endpoint` in order: (set, its number, endpoint index).
    affinity: Vec<(String, u32, usize)>,
    /// `numgen` targets.
    numgen: Vec<usize>,
    eps: Vec<NftEp>,
    mark: u32,
}

/// Compiles the nftables rules for ClusterIP traffic to `key` from a pod on another
/// address than the node's, or `None` when they are not of the recognised shape.
pub(crate) fn compile_nftables(
    t: &NftTable,
    config: &ProxyConfig,
    key: DestKey,
    rt: &mut super::nftables::NftRuntime,
) -> Option<NftEntry> {
    let is_local = |ip: Ipv4Addr| ip.is_loopback() || config.node_ips.contains(&ip);
    if is_local(key.0) || t.firewall_ips.contains_key(&key) {
        return None;
    }
    let chain = t.service_ips.get(&key)?;
    let rules = t.chains.get(chain)?;
    let mut e = NftEntry {
        masq: None,
        affinity: Vec::new(),
        numgen: Vec::new(),
        eps: Vec::new(),
        mark: t.mark(),
    };
    let mut names: Vec<&str> = Vec::new();
    for r in rules {
        match r {
            NftRule::MasqIfNotLocal {
                daddr,
                proto,
                dport,
                not_from,
            } => {
                if (*daddr, *proto, *dport) != key {
                    continue;
                }
                if e.masq.is_some() || !e.affinity.is_empty() {
                    return None;
                }
                e.masq = Some(*not_from);
            }
            NftRule::AffinityGoto { set, chain } => {
                let i = index_of(chain, &mut names);
                e.affinity.push((set.clone(), rt.id(set), i));
            }
            NftRule::Numgen(chains) if !chains.is_empty() => {
                for c in chains {
                    let i = index_of(c, &mut names);
                    e.numgen.push(i);
                }
                break;
            }
            _ => return None,
        }
    }
    if e.numgen.is_empty() {
        return None;
    }
    for name in &names {
        let ep = match t.chains.get(*name)?.as_slice() {
            [NftRule::Hairpin(h), NftRule::Dnat(p, a)] if *p == key.1 => NftEp {
                hairpin: *h,
                update: None,
                dnat: *a,
            },
            [NftRule::Hairpin(h), NftRule::AffinityUpdate(set), NftRule::Dnat(p, a)]
                if *p == key.1 =>
            {
                NftEp {
                    hairpin: *h,
                    update: Some((rt.id(set), t.affinity_sets.get(set).copied().unwrap_or(0))),
                    dnat: *a,
                }
            }
            _ => return None,
        };
        if is_local(*ep.dnat.ip()) {
            return None;
        }
        e.eps.push(ep);
    }
    Some(e)
}

impl NftEntry {
    /// Decides a connection from pod address `src` as the rules would.
    pub(crate) fn route<R: RngCore>(
        &self,
        rt: &mut super::nftables::NftRuntime,
        src: Ipv4Addr,
        now_ms: u64,
        rng: &mut R,
    ) -> FastDnat {
        let mut marked = self
            .masq
            .is_some_and(|not_from| not_from.is_none_or(|c| !c.contains(src)));
        let (ep, pick) = 'pick: {
            let held = rt.members().of(src);
            if !held.is_empty() {
                let sets = self.affinity.iter().map(|a| a.1);
                let mask = candidates(sets, held).unwrap_or(u64::MAX);
                for (n, (_, set, ep)) in self.affinity.iter().enumerate() {
                    if n < 64 && mask & (1 << n) == 0 {
                        continue;
                    }
                    if rt.contains_id(*set, src, now_ms) {
                        break 'pick (*ep, Pick::Affinity(n));
                    }
                }
            }
            // nft_ng_random: reciprocal_scale(prandom, modulus).
            let i = ((u64::from(rng.next_u32()) * self.numgen.len() as u64) >> 32) as usize;
            (self.numgen.get(i).copied().unwrap_or(0), Pick::Random(i))
        };
        let Some(ep) = self.eps.get(ep) else {
            // Compilation indexes only into `eps`; unreachable.
            return FastDnat {
                endpoint: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
                masquerade: false,
                pick,
            };
        };
        marked |= ep.hairpin == src;
        if let Some((set, timeout)) = ep.update {
            rt.update_id(set, src, now_ms, timeout);
        }
        FastDnat {
            endpoint: ep.dnat,
            masquerade: marked && self.mark != 0,
            pick,
        }
    }

    /// Kernel state under which the interpreter makes the same pick (for the trace replay).
    pub(crate) fn replay_state(
        &self,
        pick: Pick,
        src: Ipv4Addr,
        now_ms: u64,
    ) -> (super::nftables::NftRuntime, ScriptedRng) {
        let mut rt = super::nftables::NftRuntime::default();
        match pick {
            Pick::Affinity(n) => {
                if let Some((set, _, _)) = self.affinity.get(n) {
                    // Any positive timeout keeps the element alive at `now_ms`.
                    rt.update(set, src, now_ms, 1);
                }
                (rt, ScriptedRng::fail(0))
            }
            Pick::Random(i) => {
                let len = self.numgen.len().max(1) as u64;
                // The smallest draw that reciprocal_scale maps to `i`.
                let v = ((i as u64) << 32).div_ceil(len);
                (rt, ScriptedRng::fixed(u32::try_from(v).unwrap_or(u32::MAX)))
            }
        }
    }
}

/// An RNG for trace replays: returns values that make the first `fails` `statistic`
/// matches fail and the next one succeed, or always the same value (`numgen`).
#[derive(Debug, Clone)]
pub(crate) struct ScriptedRng {
    fails: usize,
    fixed: Option<u32>,
}

impl ScriptedRng {
    fn fail(fails: usize) -> Self {
        ScriptedRng { fails, fixed: None }
    }

    fn fixed(v: u32) -> Self {
        ScriptedRng {
            fails: 0,
            fixed: Some(v),
        }
    }
}

impl RngCore for ScriptedRng {
    fn next_u32(&mut self) -> u32 {
        if let Some(v) = self.fixed {
            return v;
        }
        if self.fails > 0 {
            self.fails -= 1;
            // Above every threshold kube-proxy writes (probabilities below 1).
            0x7FFF_FFFF
        } else {
            0
        }
    }

    fn next_u64(&mut self) -> u64 {
        u64::from(self.next_u32())
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        dst.fill(0);
    }
}

#[cfg(test)]
mod members_tests {
    use super::Members;
    use std::net::Ipv4Addr;

    /// The index names exactly the lists a source was added to and not removed from,
    /// whether it holds one list or several.
    #[test]
    fn members_follow_additions_and_removals() {
        let a = Ipv4Addr::new(10, 244, 1, 5);
        let b = Ipv4Addr::new(10, 244, 2, 7);
        let mut m = Members::default();
        let sorted = |m: &Members, src| {
            let mut v = m.of(src).to_vec();
            v.sort_unstable();
            v
        };
        // (operation, source, list) → lists of `a` afterwards.
        let steps: [(bool, Ipv4Addr, u32, &[u32]); 7] = [
            (true, a, 3, &[3]),
            (true, b, 3, &[3]),
            (true, a, 9, &[3, 9]),
            (false, a, 7, &[3, 9]),
            (false, a, 3, &[9]),
            (false, b, 3, &[9]),
            (false, a, 9, &[]),
        ];
        for (add, src, id, want) in steps {
            if add {
                m.add(src, id);
            } else {
                m.remove(src, id);
            }
            assert_eq!(sorted(&m, a), want, "after {add} {src} {id}");
        }
        assert!(m.of(b).is_empty());
        assert!(m.0.is_empty(), "no source is left with an empty entry");
    }
}
