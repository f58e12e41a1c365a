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

    /// Data-plane verbs (`curl`, `exec`, `traffic`, `iptables-save`, …).
    fn exec_extension(&mut self, verb: &str, _args: &[String]) -> CommandOutput {
        CommandOutput::error(format!("error: unknown command \"{verb}\" for \"kubectl\""))
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
