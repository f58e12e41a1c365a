//! Conformance across kube-proxy modes: what a lesson teaches about Services holds whether
//! kube-proxy runs in iptables, IPVS or nftables mode. Every built-in lesson that does not
//! look at one mode's own rules is run in all three modes and must pass in each.

use kubeplay_core::lesson::{self, builtin, ProxyModeName};

/// Lessons about one mode's machinery (its rules or interfaces), and why they are not
/// portable.
const MODE_SPECIFIC: &[(&str, &str)] = &[
    ("vip-iptables", "reads iptables-save"),
    ("vip-ipvs", "reads kube-ipvs0 and ipvsadm"),
    ("kube-proxy-sync", "reads iptables-save"),
    (
        "external-traffic-policy",
        "IPVS refuses (ICMP unreachable) where iptables and nftables drop: a curl error 7, not 28",
    ),
];

#[test]
fn portable_lessons_pass_in_every_proxy_mode() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for name in builtin::names() {
        if MODE_SPECIFIC.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let base = builtin::load(name).unwrap().unwrap();
        for mode in [
            ProxyModeName::Iptables,
            ProxyModeName::Ipvs,
            ProxyModeName::Nftables,
        ] {
            let mut l = base.clone();
            l.cluster.proxy_mode = mode;
            let report = lesson::run(&l);
            runs += 1;
            if !report.passed() {
                failures.push(format!(
                    "{name} in {mode:?}:\n  {}",
                    report.failures().join("\n  ")
                ));
            }
        }
    }
    assert!(runs >= 27, "{runs} runs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mode_specific_lessons_exist() {
    let names = builtin::names();
    for (n, _) in MODE_SPECIFIC {
        assert!(names.contains(n), "{n} is not a built-in lesson any more");
    }
}
