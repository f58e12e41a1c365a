//! The console at the `Sim` level: runs one console line — kubectl verbs through
//! [`crate::kubectl`], then whatever real kubectl would block on (waiting for deletions,
//! `rollout status`) by advancing virtual time, and the playground verbs that act on the
//! simulated machines (`wait`, `node fail|recover|add`). The web UI, lessons and the CLI all
//! run commands through [`Sim::exec`].

use crate::api::Deployment;
use crate::apiserver::ObjectKey;
use crate::kubectl::exec::{execute, rollout_status, FollowUp, RolloutStatus};
use crate::kubectl::{parse, Command, CommandOutput, FileSource, NoFiles};
use crate::sim::Sim;
use crate::time::Millis;

/// How far a blocking command may advance virtual time before giving up, as kubectl's
/// `--timeout` would.
pub const BLOCKING_LIMIT_MS: Millis = 10 * 60 * 1000;
/// The poll step of blocking commands (kubectl watches; the simulation steps).
const POLL_MS: Millis = 100;

impl Sim {
    /// Runs one console line with no files available to `-f`.
    pub fn exec(&mut self, line: &str) -> CommandOutput {
        self.exec_with_files(line, &NoFiles)
    }

    /// Runs one console line; `files` supplies what `-f PATH` (and `-f -`) reads.
    pub fn exec_with_files(&mut self, line: &str, files: &dyn FileSource) -> CommandOutput {
        let cmd = match parse(line) {
            Ok(c) => c,
            Err(e) => return CommandOutput::error(e.to_string()),
        };
        let execution = execute(&mut self.api, &cmd, files);
        self.settle();
        let mut out = execution.output;
        match execution.follow_up {
            None => {}
            Some(FollowUp::WaitForDeletion(objects)) => {
                let mut waited = 0;
                while !gone(&self.api, &objects) && waited < BLOCKING_LIMIT_MS {
                    self.advance(POLL_MS);
                    waited += POLL_MS;
                }
                if !gone(&self.api, &objects) {
                    out.ok = false;
                    out.stderr
                        .push_str("error: timed out waiting for the condition\n");
                }
            }
            Some(FollowUp::RolloutStatus { namespace, name }) => {
                self.follow_rollout(&namespace, &name, &mut out);
            }
            Some(FollowUp::Playground(cmd)) => {
                let played = self.play(&cmd);
                out.ok &= played.ok;
                out.stdout.push_str(&played.stdout);
                out.stderr.push_str(&played.stderr);
            }
        }
        out
    }

    fn follow_rollout(&mut self, namespace: &str, name: &str, out: &mut CommandOutput) {
        // kubectl already printed the first status line.
        let mut last = out.stdout.lines().last().unwrap_or_default().to_string();
        let mut waited = 0;
        loop {
            let Some(d) = self.api.get::<Deployment>(namespace, name) else {
                out.ok = false;
                out.stderr.push_str(&format!(
                    "Error from server (NotFound): deployments.apps \"{name}\" not found\n"
                ));
                return;
            };
            let status = rollout_status(&d);
            let msg = status.message().to_string();
            match status {
                RolloutStatus::Done(_) => {
                    out.stdout.push_str(&msg);
                    out.stdout.push('\n');
                    return;
                }
                RolloutStatus::Failed(_) => {
                    out.ok = false;
                    out.stderr.push_str(&msg);
                    out.stderr.push('\n');
                    return;
                }
                RolloutStatus::Waiting(_) => {
                    if msg != last {
                        out.stdout.push_str(&msg);
                        out.stdout.push('\n');
                        last = msg;
                    }
                }
            }
            if waited >= BLOCKING_LIMIT_MS {
                out.ok = false;
                out.stderr
                    .push_str("error: timed out waiting for the condition\n");
                return;
            }
            self.advance(POLL_MS);
            waited += POLL_MS;
        }
    }

    fn play(&mut self, cmd: &Command) -> CommandOutput {
        match cmd {
            Command::Wait { duration } => {
                self.advance(*duration);
                CommandOutput::ok("")
            }
            Command::NodeFail { name } => match self.fail_node(name) {
                Ok(()) => CommandOutput::ok(format!("node/{name} failed (powered off)\n")),
                Err(e) => CommandOutput::error(e),
            },
            Command::NodeRecover { name } => match self.recover_node(name) {
                Ok(()) => CommandOutput::ok(format!("node/{name} recovered\n")),
                Err(e) => CommandOutput::error(e),
            },
            Command::NodeAdd { name } => match self.add_named_node(name.as_deref()) {
                Ok(n) => CommandOutput::ok(format!("node/{n} added\n")),
                Err(e) => CommandOutput::error(e),
            },
            Command::Extension { verb, args } => self.exec_extension(verb, args),
            other => CommandOutput::error(format!("error: {other:?} is not a playground command")),
        }
    }

    /// Data-plane verbs (`curl`, `exec`, `traffic`, `iptables-save`, …), with the syntax of the
    /// real tools where there is one and `--node NAME` choosing the node to run them on.
    fn exec_extension(&mut self, verb: &str, args: &[String]) -> CommandOutput {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = match verb {
            "exec" => self.exec_in_pod(&args),
            "curl" => self.curl(&args),
            "traffic" => match args.split_first() {
                Some((&"start", rest)) => crate::dataplane::verbs::parse_traffic_start(rest)
                    .and_then(|spec| self.traffic_start_text(spec)),
                Some((&"stop", rest)) => match rest {
                    [] => self.traffic_stop(None),
                    [id] => id
                        .parse::<u32>()
                        .map_err(|_| format!("error: invalid traffic id {id:?}"))
                        .and_then(|id| self.traffic_stop(Some(id))),
                    _ => Err("error: usage: traffic stop [ID]".to_string()),
                },
                Some((&"stats", [])) => Ok(self.traffic_stats()),
                _ => Err("error: usage: traffic start|stop|stats".to_string()),
            },
            "trace" => self.trace(),
            "iptables-save" => {
                let (node, rest) = take_node(&args);
                let table = match rest.as_slice() {
                    [] => Ok(None),
                    ["-t", t] | ["--table", t] => Ok(Some(*t)),
                    _ => Err("error: usage: iptables-save [-t nat|filter] --node NAME".to_string()),
                };
                node.and_then(|n| table.and_then(|t| self.iptables_save(n, t)))
            }
            "ipvsadm" => {
                let (node, rest) = take_node(&args);
                match rest.as_slice() {
                    ["-Ln"] | ["-L", "-n"] | ["-ln"] => node.and_then(|n| self.ipvsadm(n)),
                    _ => Err("error: usage: ipvsadm -Ln --node NAME".to_string()),
                }
            }
            "nft" => {
                let (node, rest) = take_node(&args);
                match rest.as_slice() {
                    ["list", "ruleset"] | ["list", "table", "ip", "kube-proxy"] => {
                        node.and_then(|n| self.nft_list(n))
                    }
                    _ => Err("error: usage: nft list ruleset --node NAME".to_string()),
                }
            }
            "conntrack" => {
                let (node, rest) = take_node(&args);
                match rest.as_slice() {
                    ["-L"] => node.and_then(|n| self.conntrack_list(n)),
                    _ => Err("error: usage: conntrack -L --node NAME".to_string()),
                }
            }
            "ip" => {
                let (node, rest) = take_node(&args);
                match rest.as_slice() {
                    ["addr"] | ["a"] | ["address"] | ["addr", "show"] => {
                        node.and_then(|n| self.ip_addr(n))
                    }
                    _ => Err("error: usage: ip addr --node NAME".to_string()),
                }
            }
            "nslookup" => match args.as_slice() {
                [name] => self.nslookup(None, name),
                [name, "--from", pod] | ["--from", pod, name] => self.nslookup(Some(pod), name),
                _ => Err("error: usage: nslookup NAME [--from POD]".to_string()),
            },
            other => Err(format!(
                "error: unknown command \"{other}\" for \"kubectl\""
            )),
        };
        match result {
            Ok(text) => CommandOutput::ok(text),
            Err(e) => CommandOutput::error(e),
        }
    }

    /// `kubectl exec [-it] POD [-n NS] -- COMMAND…`: `curl` and `nslookup` run in the pod's
    /// network namespace; other programs are not simulated.
    fn exec_in_pod(&mut self, args: &[&str]) -> Result<String, String> {
        let Some(dash) = args.iter().position(|a| *a == "--") else {
            return Err(
                "error: you must specify at least one command for the container".to_string(),
            );
        };
        let (before, command) = (&args[..dash], &args[dash + 1..]);
        let mut pod = None;
        let mut namespace = None;
        let mut i = 0;
        while i < before.len() {
            match before[i] {
                "-it" | "-ti" | "-i" | "-t" | "--stdin" | "--tty" => {}
                "-n" | "--namespace" => {
                    i += 1;
                    namespace = before.get(i).copied();
                }
                a if a.starts_with("--namespace=") => namespace = a.strip_prefix("--namespace="),
                a if a.starts_with('-') => return Err(format!("error: unknown flag: {a}")),
                a => pod = Some(a.trim_start_matches("pod/")),
            }
            i += 1;
        }
        let pod = pod.ok_or("error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'.")?;
        let pod = match namespace {
            Some(ns) => format!("{ns}/{pod}"),
            None => pod.to_string(),
        };
        match command.split_first() {
            Some((&"curl", rest)) => self.exec_curl(&pod, rest),
            Some((&"nslookup", [name])) => self.nslookup(Some(&pod), name),
            Some((prog, _)) => Err(format!(
                "error: {prog}: only curl and nslookup are simulated inside pods in Kubeplay"
            )),
            None => {
                Err("error: you must specify at least one command for the container".to_string())
            }
        }
    }

    /// `node add [NAME]`: a new Ready worker node.
    pub fn add_named_node(&mut self, name: Option<&str>) -> Result<String, String> {
        match name {
            None => Ok(self.add_node()),
            Some(n) => {
                if self.api.get::<crate::api::Node>("", n).is_some() {
                    return Err(format!(
                        "Error from server (AlreadyExists): nodes \"{n}\" already exists"
                    ));
                }
                Ok(self.add_node_named(n))
            }
        }
    }
}

/// Whether none of `objects` exists any more.
pub(crate) fn gone(
    api: &crate::apiserver::ApiServer,
    objects: &[(crate::api::Kind, ObjectKey)],
) -> bool {
    objects.iter().all(|(kind, key)| {
        crate::kubectl::objects::get(api, *kind, &key.namespace, &key.name).is_none()
    })
}

/// Splits `--node NAME` / `--node=NAME` out of a tool's arguments.
fn take_node<'a>(args: &[&'a str]) -> (Result<&'a str, String>, Vec<&'a str>) {
    let mut node = None;
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "--node" => {
                i += 1;
                node = args.get(i).copied();
            }
            a if a.starts_with("--node=") => node = a.strip_prefix("--node="),
            a => rest.push(a),
        }
        i += 1;
    }
    (
        node.ok_or_else(|| {
            "error: --node NAME is required (which node to run this on)".to_string()
        }),
        rest,
    )
}
