//! Chain names and probability strings (`pkg/proxy/iptables/proxier.go`,
//! `pkg/proxy/nftables/proxier.go`, iptables `libxt_statistic`).

use data_encoding::BASE32;
use sha2::{Digest, Sha256};

/// First `n` characters of base32 (standard alphabet, padded) of SHA-256(`input`).
fn hash_prefix(input: &str, n: usize) -> String {
    let digest = Sha256::digest(input.as_bytes());
    let mut s = BASE32.encode(&digest);
    s.truncate(n);
    s
}

/// `portProtoHash`: the 16-character hash shared by `KUBE-SVC-`, `KUBE-SVL-`, `KUBE-EXT-`
/// and `KUBE-FW-` of one service port. `port_name_string` is `ns/name[:port]`.
pub fn port_proto_hash(port_name_string: &str, protocol_lower: &str) -> String {
    hash_prefix(&format!("{port_name_string}{protocol_lower}"), 16)
}

/// `KUBE-SVC-<h>`.
pub fn svc_chain(port_name_string: &str, protocol_lower: &str) -> String {
    format!(
        "KUBE-SVC-{}",
        port_proto_hash(port_name_string, protocol_lower)
    )
}

/// `KUBE-SVL-<h>`.
pub fn svl_chain(port_name_string: &str, protocol_lower: &str) -> String {
    format!(
        "KUBE-SVL-{}",
        port_proto_hash(port_name_string, protocol_lower)
    )
}

/// `KUBE-EXT-<h>`.
pub fn ext_chain(port_name_string: &str, protocol_lower: &str) -> String {
    format!(
        "KUBE-EXT-{}",
        port_proto_hash(port_name_string, protocol_lower)
    )
}

/// `KUBE-FW-<h>`.
pub fn fw_chain(port_name_string: &str, protocol_lower: &str) -> String {
    format!(
        "KUBE-FW-{}",
        port_proto_hash(port_name_string, protocol_lower)
    )
}

/// `servicePortEndpointChainName`: `KUBE-SEP-` + 16 chars of the hash of name, protocol
/// and `"ip:port"` (`"[ip]:port"` for IPv6).
pub fn sep_chain(port_name_string: &str, protocol_lower: &str, endpoint: &str) -> String {
    format!(
        "KUBE-SEP-{}",
        hash_prefix(&format!("{port_name_string}{protocol_lower}{endpoint}"), 16)
    )
}

/// nftables names are at most this long (`NFT_CHAIN_MAXNAMELEN`).
pub const NFT_NAME_MAX: usize = 256;

/// nftables `hashAndTruncate`: `<H8>-<base>`, where H8 = 8 chars of base32(SHA-256(base)),
/// cut to [`NFT_NAME_MAX`] with a `...` marker when longer.
pub fn nft_hash_and_truncate(base: &str) -> String {
    let mut name = format!("{}-{}", hash_prefix(base, 8), base);
    if name.len() > NFT_NAME_MAX {
        let mut cut = NFT_NAME_MAX - 3;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
        name.push_str("...");
    }
    name
}

/// nftables `servicePortChainNameBase`: `<ns>/<name>/<proto>/<portName>`.
pub fn nft_service_base(
    namespace: &str,
    name: &str,
    protocol_lower: &str,
    port_name: &str,
) -> String {
    format!("{namespace}/{name}/{protocol_lower}/{port_name}")
}

/// nftables `servicePortEndpointChainNameBase`: `<service base>__<ip>/<port>`.
pub fn nft_endpoint_base(service_base: &str, ip: &str, port: u16) -> String {
    format!("{service_base}__{ip}/{port}")
}

/// kube-proxy's `computeProbability(n)`: `1/n` with Go `%0.10f`.
///
/// Rust's `{:.10}` and Go's `%0.10f` both round the exact binary value correctly, so
/// they agree digit for digit.
pub fn probability(n: usize) -> String {
    format!("{:.10}", 1.0 / n.max(1) as f64)
}

/// The 31-bit threshold the kernel stores for `--probability p`
/// (`libxt_statistic`: `lround(0x80000000 * p)`); a packet matches when
/// `random_u32 & 0x7FFFFFFF < threshold`.
pub fn statistic_threshold(p: f64) -> u32 {
    let scaled = (p * 2_147_483_648.0).round(); // f64::round is lround's half-away-from-zero
    scaled.clamp(0.0, 2_147_483_648.0) as u32
}

/// Parses a probability as the iptables extension does (a decimal in 0..=1) and returns
/// the stored threshold; `None` for text iptables would reject.
pub fn parse_probability(text: &str) -> Option<u32> {
    let p: f64 = text.parse().ok()?;
    if !(0.0..=1.0).contains(&p) {
        return None;
    }
    Some(statistic_threshold(p))
}

/// How `iptables-save` prints a stored threshold: `%.11f` of `threshold / 2^31`.
pub fn saved_probability(threshold: u32) -> String {
    format!("{:.11}", f64::from(threshold) / 2_147_483_648.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §5.2 vectors: (service-port string, protocol, endpoint or "", expected chain).
    const CHAIN_VECTORS: &[(&str, &str, &str, &str)] = &[
        ("ns1/svc1:p80", "tcp", "", "KUBE-SVC-XPGD46QRK7WJZT7O"),
        (
            "ns1/svc1:p80",
            "tcp",
            "10.180.0.1:80",
            "KUBE-SEP-SXIVWICOYRO3J4NJ",
        ),
        (
            "ns1/svc1:p80",
            "tcp",
            "10.180.2.1:80",
            "KUBE-SEP-ZX7GRIZKSNUQ3LAJ",
        ),
        (
            "ns1/svc1:p80",
            "tcp",
            "10.0.1.1:80",
            "KUBE-SEP-SNQ3ZNILQDEJNDQO",
        ),
        ("ns2/svc2:p80", "tcp", "", "KUBE-SVC-GNZBNJ2PO5MGZ6GT"),
        ("ns2/svc2:p8080", "tcp", "", "KUBE-SVC-2VJB64SDSIJUP5T6"),
        (
            "ns2/svc2:p8080",
            "tcp",
            "10.0.2.1:8080",
            "KUBE-SEP-UHEGFW77JX3KXTOV",
        ),
        ("ns3/svc3:p80", "tcp", "", "KUBE-SVC-X27LE4BHSL4DOUIK"),
        ("ns4/svc4:p80", "tcp", "", "KUBE-SVC-4SW47YFZTEDKD3PK"),
        (
            "ns4/svc4:p80",
            "tcp",
            "10.180.0.4:80",
            "KUBE-SEP-UKSFD7AGPMPPLUHC",
        ),
        ("ns5/svc5:p80", "tcp", "", "KUBE-SVC-NUKIZ6OKUXPJNT4C"),
        (
            "ns5/svc5:p80",
            "tcp",
            "10.180.0.3:80",
            "KUBE-SEP-I77PXRDZVX7PMWMN",
        ),
        ("ns1/svc1", "tcp", "", "KUBE-SVC-AQI2S6QIMU7PVVRP"),
        (
            "ns1/svc1",
            "tcp",
            "10.0.1.1:80",
            "KUBE-SEP-3JOIVZTXZZRGORX4",
        ),
        (
            "ns1/svc1",
            "tcp",
            "10.0.1.2:80",
            "KUBE-SEP-IO5XOSKPAXIFQXAJ",
        ),
        (
            "ns1/svc1",
            "tcp",
            "10.0.1.3:80",
            "KUBE-SEP-XGJFVO3L2O5SRFNT",
        ),
        (
            "ns1/svc1",
            "tcp",
            "10.0.1.5:80",
            "KUBE-SEP-EQCHZ7S2PJ72OHAY",
        ),
        (
            "kube-system/kube-dns:dns",
            "udp",
            "",
            "KUBE-SVC-TCOU7JCQXEZGVUNU",
        ),
        (
            "kube-system/kube-dns:dns-tcp",
            "tcp",
            "",
            "KUBE-SVC-ERIFXISQEP7F7OF4",
        ),
        (
            "default/kubernetes:https",
            "tcp",
            "",
            "KUBE-SVC-NPX46M4PTMTKRN6Y",
        ),
    ];

    #[test]
    fn iptables_chain_names_match_spec_vectors() {
        for &(svc, proto, ep, want) in CHAIN_VECTORS {
            let got = if ep.is_empty() {
                svc_chain(svc, proto)
            } else {
                sep_chain(svc, proto, ep)
            };
            assert_eq!(got, want, "{svc} {proto} {ep}");
        }
    }

    #[test]
    fn svc_svl_ext_fw_share_one_hash() {
        let h = port_proto_hash("ns1/svc1:p80", "tcp");
        assert_eq!(svl_chain("ns1/svc1:p80", "tcp"), format!("KUBE-SVL-{h}"));
        assert_eq!(ext_chain("ns1/svc1:p80", "tcp"), format!("KUBE-EXT-{h}"));
        assert_eq!(fw_chain("ns1/svc1:p80", "tcp"), format!("KUBE-FW-{h}"));
        // Protocol is part of the hash: the UDP twin of a port gets another chain.
        assert_ne!(
            svc_chain("ns1/svc1:p80", "udp"),
            svc_chain("ns1/svc1:p80", "tcp")
        );
    }

    /// §6 vectors: (hash input, H8).
    const NFT_VECTORS: &[(&str, &str)] = &[
        ("ns3/svc3/tcp/p80", "4AT6LBPK"),
        ("ns4/svc4/tcp/p80", "LAUZTJTB"),
        ("ns4/svc4/tcp/p80__10.180.0.4/80", "UNZV3OEC"),
        ("ns3/svc3/tcp/p80__10.180.0.3/80", "UEIP74TE"),
        ("ns4/svc4/tcp/p80__10.180.0.5/80", "5RFCDDV7"),
    ];

    #[test]
    fn nftables_names_match_spec_vectors() {
        for &(base, h8) in NFT_VECTORS {
            assert_eq!(nft_hash_and_truncate(base), format!("{h8}-{base}"));
        }
        let svc = nft_service_base("ns4", "svc4", "tcp", "p80");
        assert_eq!(
            nft_endpoint_base(&svc, "10.180.0.4", 80),
            "ns4/svc4/tcp/p80__10.180.0.4/80"
        );
    }

    #[test]
    fn nftables_names_are_truncated_to_the_kernel_limit() {
        let long = "n".repeat(400);
        let name = nft_hash_and_truncate(&long);
        assert_eq!(name.len(), NFT_NAME_MAX);
        assert!(name.ends_with("..."));
    }

    /// §5.3: n → (kube-proxy strings, iptables-save strings) for the rules that carry a
    /// statistic match (the last rule never does).
    #[test]
    fn probability_strings_match_spec_vectors() {
        let table: &[(usize, &[&str], &[&str])] = &[
            (2, &["0.5000000000"], &["0.50000000000"]),
            (
                3,
                &["0.3333333333", "0.5000000000"],
                &["0.33333333349", "0.50000000000"],
            ),
            (
                4,
                &["0.2500000000", "0.3333333333", "0.5000000000"],
                &["0.25000000000", "0.33333333349", "0.50000000000"],
            ),
            (
                5,
                &[
                    "0.2000000000",
                    "0.2500000000",
                    "0.3333333333",
                    "0.5000000000",
                ],
                &[
                    "0.20000000019",
                    "0.25000000000",
                    "0.33333333349",
                    "0.50000000000",
                ],
            ),
        ];
        for &(n, written, saved) in table {
            for i in 0..n - 1 {
                let p = probability(n - i);
                assert_eq!(p, written[i], "n={n} rule {i}");
                let threshold = parse_probability(&p).expect("kube-proxy output parses");
                assert_eq!(saved_probability(threshold), saved[i], "n={n} rule {i}");
            }
        }
        for (n, written, saved) in [
            (6, "0.1666666667", "0.16666666651"),
            (7, "0.1428571429", "0.14285714272"),
        ] {
            assert_eq!(probability(n), written);
            assert_eq!(
                saved_probability(parse_probability(written).expect("parses")),
                saved
            );
        }
    }

    #[test]
    fn threshold_is_lround_of_2_pow_31_times_p() {
        assert_eq!(parse_probability("0.3333333333"), Some(715_827_883));
        assert_eq!(parse_probability("0.5000000000"), Some(1 << 30));
        assert_eq!(parse_probability("1"), Some(1 << 31));
        assert_eq!(parse_probability("1.5"), None);
        assert_eq!(parse_probability("-0.1"), None);
        assert_eq!(parse_probability("abc"), None);
    }
}
