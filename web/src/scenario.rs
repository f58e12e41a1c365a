//! A scenario: how to rebuild the page's cluster exactly — the seed, the node count, the
//! kube-proxy mode and every console line with the virtual time it ran at. The simulation is
//! deterministic, so replaying a scenario reproduces the cluster. It is what "Share" puts in
//! the URL fragment and what survives a reload in localStorage.
//!
//! The text form is line-based so a reader can see what a shared link does:
//! ```text
//! kubeplay-scenario 1
//! seed 1
//! nodes 3
//! proxy iptables
//! at 0 kubectl create deployment web --image=nginx:1.25 --replicas=3
//! ```

use crate::params::{proxy_mode, proxy_word};
use kubeplay_core::proxy::ProxyMode;
use kubeplay_core::time::Millis;

const MAGIC: &str = "kubeplay-scenario 1";
/// Refuse scenarios that would take long to replay (and URLs that are absurdly long).
pub const MAX_COMMANDS: usize = 2_000;
/// A scenario replays at most this much virtual time (a day).
pub const MAX_TIME_MS: Millis = 24 * 3600 * 1000;
/// Longest console line kept.
const MAX_LINE: usize = 4_096;
/// Most nodes a scenario may start with.
pub const MAX_NODES: usize = 50;

/// See the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// RNG seed.
    pub seed: u64,
    /// Nodes at start.
    pub nodes: usize,
    /// kube-proxy mode.
    pub proxy: ProxyMode,
    /// `(virtual ms, console line)`, in time order.
    pub commands: Vec<(Millis, String)>,
}

impl Scenario {
    /// The text form (see the module docs).
    pub fn encode(&self) -> String {
        let mut s = format!(
            "{MAGIC}\nseed {}\nnodes {}\nproxy {}\n",
            self.seed,
            self.nodes,
            proxy_word(self.proxy)
        );
        for (at, line) in &self.commands {
            // A console line never holds a newline (the console runs one line at a time).
            s.push_str(&format!("at {at} {}\n", line.replace('\n', " ")));
        }
        s
    }

    /// Parses the text form; the error says what is wrong, for a notice.
    pub fn decode(text: &str) -> Result<Scenario, String> {
        let mut lines = text.lines();
        if lines.next().map(str::trim) != Some(MAGIC) {
            return Err("this is not a Kubeplay scenario (or one from a newer version)".into());
        }
        let mut seed = None;
        let mut nodes = None;
        let mut proxy = ProxyMode::Iptables;
        let mut commands: Vec<(Millis, String)> = Vec::new();
        for (n, line) in lines.enumerate() {
            let at_line = n + 2;
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            match word {
                "" => {}
                "seed" => {
                    seed = Some(
                        rest.parse::<u64>()
                            .map_err(|_| format!("line {at_line}: bad seed {rest:?}"))?,
                    )
                }
                "nodes" => match rest.parse::<usize>() {
                    Ok(k) if (1..=MAX_NODES).contains(&k) => nodes = Some(k),
                    _ => return Err(format!("line {at_line}: nodes must be 1 to {MAX_NODES}")),
                },
                "proxy" => {
                    proxy = proxy_mode(rest)
                        .ok_or_else(|| format!("line {at_line}: unknown proxy mode {rest:?}"))?
                }
                "at" => {
                    let (t, cmd) = rest
                        .split_once(' ')
                        .ok_or_else(|| format!("line {at_line}: `at TIME COMMAND` expected"))?;
                    let t: Millis = t
                        .parse()
                        .map_err(|_| format!("line {at_line}: bad time {t:?}"))?;
                    if t > MAX_TIME_MS {
                        return Err(format!("line {at_line}: time beyond one day"));
                    }
                    if commands.last().is_some_and(|(prev, _)| *prev > t) {
                        return Err(format!("line {at_line}: commands out of time order"));
                    }
                    if cmd.len() > MAX_LINE {
                        return Err(format!("line {at_line}: command too long"));
                    }
                    if commands.len() >= MAX_COMMANDS {
                        return Err(format!("more than {MAX_COMMANDS} commands"));
                    }
                    commands.push((t, cmd.to_string()));
                }
                other => {
                    return Err(format!(
                        "line {at_line}: unknown entry {:?}",
                        other.chars().take(20).collect::<String>()
                    ))
                }
            }
        }
        Ok(Scenario {
            seed: seed.ok_or("the scenario has no seed")?,
            nodes: nodes.ok_or("the scenario has no node count")?,
            proxy,
            commands,
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Scenario {
        Scenario {
            seed: 7,
            nodes: 3,
            proxy: ProxyMode::Nftables,
            commands: vec![
                (
                    0,
                    "kubectl create deployment web --image=nginx --replicas=3".into(),
                ),
                (2_500, "kubectl scale deployment web --replicas=5".into()),
            ],
        }
    }

    #[test]
    fn encodes_and_decodes() {
        let s = sample();
        let text = s.encode();
        assert!(text.starts_with("kubeplay-scenario 1\nseed 7\nnodes 3\nproxy nftables\n"));
        assert_eq!(Scenario::decode(&text), Ok(s));
    }

    #[test]
    fn bad_scenarios_say_why() {
        let cases = [
            ("", "not a Kubeplay scenario"),
            ("kubeplay-scenario 1\nnodes 3\n", "no seed"),
            ("kubeplay-scenario 1\nseed x\n", "line 2: bad seed"),
            (
                "kubeplay-scenario 1\nseed 1\nnodes 0\n",
                "nodes must be 1 to 50",
            ),
            (
                "kubeplay-scenario 1\nseed 1\nnodes 3\nproxy userspace\n",
                "unknown proxy mode",
            ),
            (
                "kubeplay-scenario 1\nseed 1\nnodes 3\nat 5 a\nat 4 b\n",
                "out of time order",
            ),
            (
                "kubeplay-scenario 1\nseed 1\nnodes 3\nat 99999999999 a\n",
                "beyond one day",
            ),
            (
                "kubeplay-scenario 1\nseed 1\nnodes 3\nrm -rf\n",
                "unknown entry",
            ),
        ];
        for (text, why) in cases {
            let err = Scenario::decode(text).expect_err(text);
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }

    proptest! {
        #[test]
        fn any_text_decodes_without_panicking(s in ".{0,300}") {
            let _ = Scenario::decode(&s);
        }

        #[test]
        fn any_command_list_round_trips(cmds in proptest::collection::vec((0u64..1000, "[ -~]{1,40}"), 0..10)) {
            let mut t = 0;
            let commands = cmds.into_iter().map(|(d, c)| { t += d; (t, c) }).collect();
            let s = Scenario { seed: 1, nodes: 2, proxy: ProxyMode::Ipvs, commands };
            prop_assert_eq!(Scenario::decode(&s.encode()), Ok(s));
        }
    }
}
