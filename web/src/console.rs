//! The page's console: runs one line against the `Sim` the way the page needs, and completes
//! verbs and object names on Tab.
//!
//! Everything goes through the core's one command language ([`Sim::exec_with_files`]); the page
//! differs from the CLI in one respect only: commands that real kubectl blocks on (waiting for
//! a deletion, `rollout status`, `drain`) return at once and the animation clock lets the
//! cluster move on, so a click never makes virtual time jump.

use kubeplay_core::kubectl::{self, exec::FollowUp, CommandOutput, FileSource};
use kubeplay_core::sim::Sim;
use std::collections::BTreeMap;

/// Files the page offers to `kubectl apply -f`: the scenario's files (the client pod's
/// manifest, each applied version of the YAML editor's text).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageFiles {
    files: BTreeMap<String, String>,
}

impl PageFiles {
    /// Exactly these files (a scenario's `files`).
    pub fn from_files(files: &BTreeMap<String, String>) -> PageFiles {
        PageFiles {
            files: files.clone(),
        }
    }

    /// The built-in files plus `editor.yaml` holding `editor`.
    pub fn with_editor(editor: &str) -> PageFiles {
        let mut files = PageFiles::default();
        files
            .files
            .insert(CLIENT_FILE.to_string(), CLIENT_POD_YAML.to_string());
        files
            .files
            .insert(EDITOR_FILE.to_string(), editor.to_string());
        files
    }
}

impl FileSource for PageFiles {
    fn read(&self, path: &str) -> Option<String> {
        self.files.get(path).cloned()
    }
}

/// The file name the YAML editor's text is applied as.
pub const EDITOR_FILE: &str = "editor.yaml";
/// The built-in manifest of the in-cluster client pod.
pub const CLIENT_FILE: &str = "client.yaml";
/// The in-cluster client: a plain pod the traffic generator sends from.
pub const CLIENT_POD_YAML: &str = "apiVersion: v1
kind: Pod
metadata:
  name: client
  labels:
    role: client
spec:
  containers:
  - name: curl
    image: curlimages/curl:8.5.0
";

/// Runs one console line without blocking (see the module docs).
pub fn run(sim: &mut Sim, line: &str, files: &dyn FileSource) -> CommandOutput {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return CommandOutput::ok("");
    }
    let command = match kubectl::parse(trimmed) {
        Ok(c) => c,
        Err(e) => return CommandOutput::error(e.to_string()),
    };
    let execution = kubectl::execute(&mut sim.api, &command, files);
    sim.settle();
    match execution.follow_up {
        // Playground verbs (`node fail`, `wait`, data-plane verbs) did nothing yet: the Sim's
        // console runs them.
        Some(FollowUp::Playground(command)) => {
            let out = sim.exec_with_files(trimmed, files);
            match command {
                kubectl::Command::Extension { verb, args } if is_unwired(&out, &verb) => {
                    data_plane_verb(sim, &verb, &args).unwrap_or(out)
                }
                _ => out,
            }
        }
        // The waits real kubectl would block on: the animation shows them happen instead.
        Some(FollowUp::WaitForDeletion(_)) | Some(FollowUp::RolloutStatus { .. }) | None => {
            execution.output
        }
    }
}

/// Whether the core's console answered "unknown command" for a data-plane verb it parses but
/// does not run yet.
fn is_unwired(out: &CommandOutput, verb: &str) -> bool {
    !out.ok
        && out
            .stderr
            .starts_with(&format!("error: unknown command \"{verb}\""))
}

/// Until the core's console runs the data-plane verbs itself, the page maps the ones its
/// controls use onto the core's own `Sim` methods (same parsing, same output). Once the core
/// runs them, [`is_unwired`] is false and this is never reached.
fn data_plane_verb(sim: &mut Sim, verb: &str, args: &[String]) -> Option<CommandOutput> {
    use kubeplay_core::dataplane::verbs::parse_traffic_start;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let node_flag = || {
        args.iter()
            .position(|a| *a == "--node")
            .and_then(|i| args.get(i + 1))
            .copied()
            .ok_or_else(|| "error: --node NODE is required".to_string())
    };
    let text = match (verb, args.as_slice()) {
        ("traffic", ["start", rest @ ..]) => {
            parse_traffic_start(rest).and_then(|spec| sim.traffic_start_text(spec))
        }
        ("traffic", ["stop"]) => sim.traffic_stop(None),
        ("traffic", ["stop", id]) => match id.parse() {
            Ok(id) => sim.traffic_stop(Some(id)),
            Err(_) => Err(format!("error: invalid traffic id {id:?}")),
        },
        ("traffic", ["stats"]) => Ok(sim.traffic_stats()),
        ("curl", rest) => sim.curl(rest),
        ("trace", []) => sim.trace(),
        ("iptables-save", _) => {
            let table = args
                .iter()
                .position(|a| *a == "-t")
                .and_then(|i| args.get(i + 1))
                .copied();
            node_flag().and_then(|n| sim.iptables_save(n, table))
        }
        ("ipvsadm", _) => node_flag().and_then(|n| sim.ipvsadm(n)),
        ("nft", _) => node_flag().and_then(|n| sim.nft_list(n)),
        ("conntrack", _) => node_flag().and_then(|n| sim.conntrack_list(n)),
        _ => return None,
    };
    Some(match text {
        Ok(s) => CommandOutput::ok(s),
        Err(e) => CommandOutput::error(if e.ends_with('\n') { e } else { e + "\n" }),
    })
}

/// kubectl verbs and playground verbs offered by Tab completion, besides the data-plane verbs
/// the core hands through ([`kubeplay_core::kubectl::parse::EXTENSION_VERBS`]).
pub const VERBS: &[&str] = &[
    "kubectl", "get", "describe", "create", "apply", "delete", "scale", "set", "rollout", "expose",
    "label", "annotate", "patch", "cordon", "uncordon", "drain", "node", "wait",
];

/// Resource words completed after `get`, `describe`, `delete`, …
pub const KINDS: &[&str] = &[
    "pods",
    "deployments",
    "replicasets",
    "services",
    "endpoints",
    "endpointslices",
    "nodes",
    "events",
    "all",
];

/// Completes the last word of `line` from `VERBS` and the extension verbs (first word, or the word after `kubectl`),
/// `KINDS` and `names` (object names). Returns the completed line when exactly one candidate
/// fits, or the longest common prefix of several; `None` when nothing fits.
pub fn complete(line: &str, names: &[String]) -> Option<String> {
    let (head, word) = match line.rfind(' ') {
        Some(i) => (&line[..=i], &line[i + 1..]),
        None => ("", line),
    };
    let words_before: Vec<&str> = head.split_whitespace().collect();
    let verb_position = words_before.is_empty() || words_before == ["kubectl"];
    let mut candidates: Vec<&str> = if verb_position {
        VERBS
            .iter()
            .chain(&kubectl::parse::EXTENSION_VERBS)
            .copied()
            .filter(|v| v.starts_with(word))
            .collect()
    } else {
        KINDS
            .iter()
            .copied()
            .chain(names.iter().map(String::as_str))
            .filter(|v| v.starts_with(word))
            .collect()
    };
    candidates.sort_unstable();
    candidates.dedup();
    let first = candidates.first()?;
    let common = candidates.iter().fold(first.len(), |len, c| {
        first
            .bytes()
            .zip(c.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count()
    });
    let completed = &first[..common];
    let suffix = if candidates.len() == 1 { " " } else { "" };
    let out = format!("{head}{completed}{suffix}");
    (out != line).then_some(out)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use kubeplay_core::sim::SimConfig;

    #[test]
    fn completion_table() {
        let names = vec!["web".to_string(), "web-7d9c-abcde".to_string()];
        let cases: &[(&str, Option<&str>)] = &[
            ("sc", Some("scale ")),
            ("kubectl sc", Some("kubectl scale ")),
            ("kubectl get po", Some("kubectl get pods ")),
            ("kubectl get d", Some("kubectl get deployments ")),
            ("kubectl get endpoint", Some("kubectl get endpoints")),
            ("kubectl get e", None),
            (
                "kubectl delete pod web-",
                Some("kubectl delete pod web-7d9c-abcde "),
            ),
            ("kubectl delete pod w", Some("kubectl delete pod web")),
            ("kubectl get zzz", None),
        ];
        for (line, want) in cases {
            assert_eq!(complete(line, &names).as_deref(), *want, "{line}");
        }
        // Several verbs start with "c": the common prefix is the word itself, so no change.
        assert_eq!(complete("c", &names), None);
        assert_eq!(complete("ro", &names).as_deref(), Some("rollout "));
    }

    #[test]
    fn deletions_do_not_block_the_page() {
        let mut sim = Sim::new(SimConfig::default());
        let files = PageFiles::with_editor("");
        assert!(run(&mut sim, "kubectl apply -f client.yaml", &files).ok);
        sim.advance(10_000);
        let before = sim.now();
        let out = run(&mut sim, "kubectl delete pod client", &files);
        assert_eq!(out.stdout, "pod \"client\" deleted\n");
        assert_eq!(sim.now(), before, "virtual time must not jump");
    }

    #[test]
    fn playground_verbs_and_errors_go_through_the_sim_console() {
        let mut sim = Sim::new(SimConfig::default());
        let files = PageFiles::with_editor("");
        let out = run(&mut sim, "node fail node-2", &files);
        assert_eq!(
            (out.ok, out.stdout.as_str()),
            (true, "node/node-2 failed (powered off)\n")
        );
        let out = run(&mut sim, "kubectl scale", &files);
        assert!(!out.ok);
        assert!(run(&mut sim, "   ", &files).ok);
    }
}
