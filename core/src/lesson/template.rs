//! Placeholders in lesson commands. Pod names carry random suffixes and ClusterIPs and
//! NodePorts are allocated, so a lesson cannot write them down; it writes `{{pod app=web}}`
//! and the runner (or the web UI, before showing the command) fills in the current value,
//! as a learner would copy it from `kubectl get` output. Only `{{` opens a placeholder; a
//! lone `}}` is text (JSON patches end in it).
//!
//! | placeholder | value |
//! |---|---|
//! | `{{pod SELECTOR [N]}}` | name of the N-th (1-based, by name) pod in `default` matching SELECTOR that is not terminating |
//! | `{{podIP SELECTOR [N]}}` | that pod's IP |
//! | `{{podNode SELECTOR [N]}}` | that pod's node |
//! | `{{clusterIP SERVICE}}` | the Service's ClusterIP |
//! | `{{nodePort SERVICE}}` | the NodePort of the Service's first port |
//! | `{{lbIP SERVICE}}` | the Service's load-balancer ingress IP |
//! | `{{nodeIP NODE}}` | the node's InternalIP |

use crate::api::{Node, Pod, Service};
use crate::labels::Selector;
use crate::sim::Sim;

const FUNCTIONS: [&str; 7] = [
    "pod",
    "podIP",
    "podNode",
    "clusterIP",
    "nodePort",
    "lbIP",
    "nodeIP",
];

/// A console line as compared between a check and what was run: trimmed, whitespace
/// collapsed, without a leading `kubectl`.
pub fn normalize(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let words = match words.first() {
        Some(&"kubectl") => &words[1..],
        _ => &words[..],
    };
    words.join(" ")
}

/// Whether `line` holds a placeholder.
pub fn has_placeholders(line: &str) -> bool {
    line.contains("{{")
}

/// One parsed placeholder.
struct Placeholder<'a> {
    function: &'a str,
    args: Vec<&'a str>,
}

/// Splits `line` into literal text and placeholders, checking names and arguments.
fn pieces(line: &str) -> Result<Vec<Result<&str, Placeholder<'_>>>, String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        out.push(Ok(&rest[..start]));
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed placeholder in {line:?}"))?;
        let inner = &after[..end];
        let mut words = inner.split_whitespace();
        let function = words
            .next()
            .ok_or_else(|| format!("empty placeholder in {line:?}"))?;
        if !FUNCTIONS.contains(&function) {
            return Err(format!(
                "unknown placeholder {{{{{function}}}}}; known: {}",
                FUNCTIONS.join(", ")
            ));
        }
        let args: Vec<&str> = words.collect();
        check_args(function, &args)?;
        out.push(Err(Placeholder { function, args }));
        rest = &after[end + 2..];
    }
    out.push(Ok(rest));
    Ok(out)
}

fn check_args(function: &str, args: &[&str]) -> Result<(), String> {
    match function {
        "pod" | "podIP" | "podNode" => {
            let sel = args
                .first()
                .ok_or_else(|| format!("{{{{{function}}}}} needs a label selector"))?;
            Selector::parse(sel).map_err(|e| format!("{{{{{function}}}}}: {e}"))?;
            match args.get(1) {
                None => {}
                Some(n) if n.parse::<usize>().is_ok_and(|n| n >= 1) => {}
                Some(n) => return Err(format!("{{{{{function}}}}}: index {n:?} is not 1, 2, …")),
            }
            if args.len() > 2 {
                return Err(format!("{{{{{function}}}}}: too many arguments"));
            }
        }
        _ => {
            if args.len() != 1 {
                return Err(format!("{{{{{function}}}}} needs exactly one name"));
            }
        }
    }
    Ok(())
}

/// Checks the placeholders of `line` and fills them with sample values (so that the line
/// can be parsed at load time).
pub fn sample(line: &str) -> Result<String, String> {
    let mut s = String::new();
    for p in pieces(line)? {
        match p {
            Ok(text) => s.push_str(text),
            Err(ph) => s.push_str(match ph.function {
                "pod" => "sample-pod",
                "podNode" => "node-1",
                "nodePort" => "30000",
                _ => "10.0.0.1",
            }),
        }
    }
    Ok(s)
}

/// Fills the placeholders of `line` from the cluster's current state.
pub fn resolve(line: &str, sim: &Sim) -> Result<String, String> {
    let mut s = String::new();
    for p in pieces(line)? {
        match p {
            Ok(text) => s.push_str(text),
            Err(ph) => s.push_str(&value(&ph, sim)?),
        }
    }
    Ok(s)
}

fn value(ph: &Placeholder<'_>, sim: &Sim) -> Result<String, String> {
    let arg = ph.args.first().copied().unwrap_or_default();
    match ph.function {
        "pod" | "podIP" | "podNode" => {
            let index = ph
                .args
                .get(1)
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(1);
            let pods = live_pods(sim, arg)?;
            let pod = pods.get(index.saturating_sub(1)).ok_or_else(|| {
                format!(
                    "no pod number {index} matches {arg:?} (there are {})",
                    pods.len()
                )
            })?;
            match ph.function {
                "pod" => Ok(pod.metadata.name.to_string()),
                "podIP" => pod
                    .status
                    .pod_ip
                    .as_ref()
                    .map(|i| i.to_string())
                    .ok_or_else(|| format!("pod {} has no IP yet", pod.metadata.name)),
                _ => Some(pod.spec.node_name.to_string())
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| format!("pod {} is not scheduled yet", pod.metadata.name)),
            }
        }
        "clusterIP" | "nodePort" | "lbIP" => {
            let svc = sim
                .api
                .get::<Service>("default", arg)
                .ok_or_else(|| format!("service {arg:?} not found"))?;
            match ph.function {
                "clusterIP" => svc
                    .spec
                    .cluster_ip
                    .clone()
                    .ok_or_else(|| format!("service {arg:?} has no ClusterIP")),
                "nodePort" => svc
                    .spec
                    .ports
                    .first()
                    .and_then(|p| p.node_port)
                    .map(|p| p.to_string())
                    .ok_or_else(|| format!("service {arg:?} has no NodePort")),
                _ => svc
                    .status
                    .load_balancer
                    .ingress
                    .first()
                    .and_then(|i| i.ip.clone())
                    .ok_or_else(|| format!("service {arg:?} has no load-balancer address yet")),
            }
        }
        _ => {
            let node = sim
                .api
                .get::<Node>("", arg)
                .ok_or_else(|| format!("node {arg:?} not found"))?;
            node.status
                .addresses
                .iter()
                .find(|a| a.type_ == "InternalIP")
                .map(|a| a.address.to_string())
                .ok_or_else(|| format!("node {arg:?} has no InternalIP"))
        }
    }
}

/// Pods in `default` matching `selector` that are not terminating, by name.
pub fn live_pods(sim: &Sim, selector: &str) -> Result<Vec<std::rc::Rc<Pod>>, String> {
    let sel = Selector::parse(selector).map_err(|e| e.to_string())?;
    let mut pods: Vec<_> = sim
        .api
        .pods
        .in_namespace("default")
        .filter(|p| p.metadata.deletion_timestamp.is_none() && sel.matches(&p.metadata.labels))
        .cloned()
        .collect();
    crate::sort::sort_by(&mut pods, |a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(pods)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_drops_kubectl_and_extra_spaces() {
        assert_eq!(normalize("  kubectl  get   pods "), "get pods");
        assert_eq!(normalize("get pods"), "get pods");
        assert_eq!(normalize("curl http://x"), "curl http://x");
    }

    #[test]
    fn sample_fills_known_placeholders_and_rejects_the_rest() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("delete pod {{pod app=web}}", Ok("delete pod sample-pod")),
            ("delete pod {{pod app=web 2}}", Ok("delete pod sample-pod")),
            (
                "curl {{nodeIP node-1}}:{{nodePort web}}",
                Ok("curl 10.0.0.1:30000"),
            ),
            ("get pods", Ok("get pods")),
            ("delete pod {{pods app=web}}", Err("unknown placeholder")),
            ("delete pod {{pod app=web", Err("unclosed")),
            // A lone `}}` is text (JSON patches end in it).
            (
                r#"patch svc web -p '{"spec":{"type":"NodePort"}}'"#,
                Ok(r#"patch svc web -p '{"spec":{"type":"NodePort"}}'"#),
            ),
            ("delete pod {{}}", Err("empty")),
            ("delete pod {{pod}}", Err("needs a label selector")),
            ("delete pod {{pod app=web 0}}", Err("index")),
            ("delete pod {{pod ,}}", Err("{{pod}}")),
            ("curl {{nodeIP}}", Err("exactly one")),
        ];
        for (line, want) in cases {
            match (sample(line), want) {
                (Ok(got), Ok(w)) => assert_eq!(&got, w, "{line}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{line}: {e}"),
                (got, w) => panic!("{line}: got {got:?}, want {w:?}"),
            }
        }
    }
}
