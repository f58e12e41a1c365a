//! Shareable state: a scenario (how the cluster started and every console command run since,
//! with the virtual time it ran at) packed into a URL-fragment string, and rebuilt from it.
//!
//! Encoding: JSON → raw deflate (`miniz_oxide`) → base64url without padding. The string is
//! untrusted input: [`decode`] checks sizes before and after inflating, the version, the
//! cluster size, that times never go backwards, and re-parses every manifest and command;
//! anything wrong is an error, never a panic. Because the simulation is deterministic,
//! [`replay`] of a decoded scenario gives the same cluster, down to the trace hash.

use crate::kubectl::{CommandOutput, MemoryFiles};
use crate::lesson::ProxyModeName;
use crate::sim::{Sim, SimConfig};
use crate::time::Millis;
use data_encoding::BASE64URL_NOPAD;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Format version written by [`encode`] and required by [`decode`].
pub const VERSION: u32 = 1;
/// Longest encoded string accepted (URL fragments beyond this are impractical anyway).
pub const MAX_ENCODED_LEN: usize = 256 * 1024;
/// Largest inflated JSON accepted (guards against deflate bombs).
pub const MAX_JSON_LEN: usize = 2 * 1024 * 1024;
/// Most commands in one scenario.
pub const MAX_COMMANDS: usize = 10_000;
/// Longest command line.
pub const MAX_LINE_LEN: usize = 4096;
/// Most manifests and files.
pub const MAX_MANIFESTS: usize = 64;
/// Most nodes at start.
pub const MAX_NODES: usize = 50;
/// Latest virtual time a scenario may reach (a week), so replay stays bounded.
pub const MAX_TIME_MS: Millis = 7 * 24 * 3600 * 1000;

/// A console command and the virtual time it started at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedCommand {
    /// Virtual time (ms) when it ran.
    pub at: Millis,
    /// The line.
    pub line: String,
}

/// The moment a lesson moved on to its next step: after this many of the scenario's
/// commands, at this virtual time (a step's checks compare with the cluster as it began).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepStart {
    /// Commands of the scenario run before the step began.
    pub after: usize,
    /// Virtual time (ms) the step began.
    pub at: Millis,
}

/// A lesson in progress: which lesson, and when each step after the first began. The
/// current step (0-based) is `step_starts.len()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LessonProgress {
    /// The lesson's name (a built-in lesson; the scenario's start is the lesson's cluster).
    pub name: String,
    /// When steps 2, 3, … began, in order.
    pub step_starts: Vec<StepStart>,
}

impl LessonProgress {
    /// The current step, 0-based.
    pub fn step(&self) -> usize {
        self.step_starts.len()
    }
}

/// How a cluster started and what was done to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Scenario {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// RNG seed.
    pub seed: u64,
    /// Worker nodes at start.
    pub nodes: usize,
    /// kube-proxy mode.
    pub proxy_mode: ProxyModeName,
    /// Manifests applied at time 0, in order.
    pub manifests: Vec<String>,
    /// Files that `-f NAME` in the commands reads.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Commands, in the order they ran.
    pub commands: Vec<TimedCommand>,
    /// Virtual time when the scenario was captured.
    pub now: Millis,
    /// The lesson being followed, if any (absent in scenarios of the plain playground).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<LessonProgress>,
}

/// Why a string is not a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareError(pub String);

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid shared state: {}", self.0)
    }
}

impl std::error::Error for ShareError {}

fn err(msg: impl Into<String>) -> ShareError {
    ShareError(msg.into())
}

impl Scenario {
    /// A scenario with no commands yet, at time 0.
    pub fn new(
        seed: u64,
        nodes: usize,
        proxy_mode: ProxyModeName,
        manifests: Vec<String>,
        files: BTreeMap<String, String>,
    ) -> Scenario {
        Scenario {
            version: VERSION,
            seed,
            nodes,
            proxy_mode,
            manifests,
            files,
            commands: Vec::new(),
            now: 0,
            lesson: None,
        }
    }

    /// Builds the starting cluster: a new `Sim` with the manifests applied (each as
    /// `apply -f manifest-N.yaml`), at time 0. Returns the apply commands and outputs.
    pub fn start(&self) -> (Sim, Vec<(String, CommandOutput)>) {
        let mut sim = Sim::new(SimConfig {
            nodes: self.nodes,
            seed: self.seed,
            proxy_mode: self.proxy_mode.mode(),
            ..Default::default()
        });
        let mut applied = Vec::new();
        for (i, text) in self.manifests.iter().enumerate() {
            let name = format!("manifest-{}.yaml", i + 1);
            let line = format!("kubectl apply -f {name}");
            let files = MemoryFiles::default().with(name, text.clone());
            let out = sim.exec_with_files(&line, &files);
            applied.push((line, out));
        }
        (sim, applied)
    }

    /// Checks everything [`decode`] promises about a scenario.
    pub fn validate(&self) -> Result<(), ShareError> {
        if self.version != VERSION {
            return Err(err(format!(
                "version {} is not supported (expected {VERSION})",
                self.version
            )));
        }
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return Err(err(format!(
                "nodes {} out of range 1-{MAX_NODES}",
                self.nodes
            )));
        }
        if self.manifests.len() > MAX_MANIFESTS || self.files.len() > MAX_MANIFESTS {
            return Err(err(format!("more than {MAX_MANIFESTS} manifests or files")));
        }
        for (i, m) in self.manifests.iter().enumerate() {
            crate::manifest::parse_manifest(m, &format!("manifest-{}.yaml", i + 1))
                .map_err(|e| err(format!("manifest {}: {}", i + 1, e.message.trim_end())))?;
        }
        if self.commands.len() > MAX_COMMANDS {
            return Err(err(format!("more than {MAX_COMMANDS} commands")));
        }
        if self.now > MAX_TIME_MS {
            return Err(err("virtual time beyond one week"));
        }
        let mut last = 0;
        for (i, c) in self.commands.iter().enumerate() {
            if c.line.len() > MAX_LINE_LEN {
                return Err(err(format!("command {} is too long", i + 1)));
            }
            if c.at < last || c.at > self.now {
                return Err(err(format!(
                    "command {} runs at {} ms, out of order (after {last} ms, up to {} ms)",
                    i + 1,
                    c.at,
                    self.now
                )));
            }
            last = c.at;
            let cmd = crate::kubectl::parse(&c.line).map_err(|e| {
                err(format!(
                    "command {} ({:?}): {}",
                    i + 1,
                    c.line,
                    e.to_string().trim_end()
                ))
            })?;
            // A `wait` cannot take longer than the scenario recorded (keeps replay bounded).
            if let crate::kubectl::Command::Wait { duration } = cmd {
                if c.at.saturating_add(duration) > self.now {
                    return Err(err(format!(
                        "command {} waits past the scenario's end",
                        i + 1
                    )));
                }
            }
        }
        if let Some(l) = &self.lesson {
            self.validate_lesson(l)?;
        }
        Ok(())
    }

    fn validate_lesson(&self, l: &LessonProgress) -> Result<(), ShareError> {
        let slug = !l.name.is_empty()
            && l.name.len() <= 63
            && l.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !slug {
            return Err(err(format!(
                "lesson name {:?} is not a lesson name",
                l.name.chars().take(40).collect::<String>()
            )));
        }
        if l.step_starts.len() > crate::lesson::MAX_STEPS {
            return Err(err("the lesson has moved on more steps than a lesson has"));
        }
        let (mut after, mut at) = (0, 0);
        for (i, s) in l.step_starts.iter().enumerate() {
            if s.after < after || s.after > self.commands.len() || s.at < at || s.at > self.now {
                return Err(err(format!("step {} starts out of order", i + 2)));
            }
            // A step cannot begin before the commands it follows ran.
            if s.after > 0 && self.commands[s.after - 1].at > s.at {
                return Err(err(format!(
                    "step {} starts before its commands ran",
                    i + 2
                )));
            }
            (after, at) = (s.after, s.at);
        }
        Ok(())
    }
}

/// Packs a scenario into a URL-fragment string.
pub fn encode(s: &Scenario) -> String {
    // Serializing plain data with string keys cannot fail.
    let json = serde_json::to_vec(s).unwrap_or_default();
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    BASE64URL_NOPAD.encode(&packed)
}

/// Unpacks and validates a string made by [`encode`].
pub fn decode(text: &str) -> Result<Scenario, ShareError> {
    let text = text.trim().trim_start_matches('#');
    if text.is_empty() {
        return Err(err("empty"));
    }
    if text.len() > MAX_ENCODED_LEN {
        return Err(err(format!("longer than {MAX_ENCODED_LEN} characters")));
    }
    let packed = BASE64URL_NOPAD
        .decode(text.as_bytes())
        .map_err(|e| err(format!("not base64url: {e}")))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_JSON_LEN)
        .map_err(|e| err(format!("not deflate data or too large ({:?})", e.status)))?;
    let s: Scenario =
        serde_json::from_slice(&json).map_err(|e| err(format!("not a scenario: {e}")))?;
    s.validate()?;
    Ok(s)
}

/// The scenario's files, as `kubectl apply -f` reads them during replay.
fn files_of(s: &Scenario) -> MemoryFiles {
    MemoryFiles {
        files: s.files.clone(),
        stdin: None,
    }
}

/// Rebuilds the cluster a scenario describes: the start, then each command at its time,
/// then time up to `now`.
pub fn replay(s: &Scenario) -> Sim {
    let (mut sim, _) = s.start();
    let files = files_of(s);
    for c in &s.commands {
        if c.at > sim.now() {
            sim.advance(c.at - sim.now());
        }
        sim.exec_with_files(&c.line, &files);
    }
    if s.now > sim.now() {
        sim.advance(s.now - sim.now());
    }
    sim
}

/// The output for a line that is not run nor recorded: too long, or does not parse.
pub fn unrecordable(line: &str) -> Option<CommandOutput> {
    if line.len() > MAX_LINE_LEN {
        return Some(CommandOutput::error(format!(
            "error: command longer than {MAX_LINE_LEN} characters"
        )));
    }
    match crate::kubectl::parse(line) {
        Ok(_) => None,
        Err(e) => Some(CommandOutput::error(e.to_string())),
    }
}

/// A playground session that records what it does, so that it can be shared at any time.
pub struct Recorder {
    /// The cluster.
    pub sim: Sim,
    scenario: Scenario,
    files: MemoryFiles,
}

impl Recorder {
    /// Starts the scenario's cluster (its commands, if any, are not run: use [`replay`]).
    pub fn new(mut scenario: Scenario) -> Recorder {
        scenario.commands.clear();
        scenario.now = 0;
        let (sim, _) = scenario.start();
        Recorder::around(sim, scenario)
    }

    /// Continues a shared scenario: replays it, then records further commands after its
    /// own.
    pub fn replayed(scenario: Scenario) -> Recorder {
        Recorder::around(replay(&scenario), scenario)
    }

    fn around(sim: Sim, scenario: Scenario) -> Recorder {
        Recorder {
            sim,
            files: files_of(&scenario),
            scenario,
        }
    }

    /// Runs a console line and records it. Lines that do not parse change nothing and are
    /// not recorded (a shared scenario holds only commands that parse).
    pub fn exec(&mut self, line: &str) -> CommandOutput {
        if let Some(out) = unrecordable(line) {
            return out;
        }
        self.scenario.commands.push(TimedCommand {
            at: self.sim.now(),
            line: line.to_string(),
        });
        let out = self.sim.exec_with_files(line, &self.files);
        self.scenario.now = self.sim.now();
        out
    }

    /// Lets virtual time pass.
    pub fn advance(&mut self, ms: Millis) {
        self.sim.advance(ms);
        self.scenario.now = self.sim.now();
    }

    /// What has happened so far.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_lesson(starts: &[(usize, Millis)]) -> Scenario {
        let mut s = Scenario::new(1, 2, ProxyModeName::Iptables, vec![], BTreeMap::new());
        s.commands = vec![
            TimedCommand {
                at: 1_000,
                line: "kubectl get pods".into(),
            },
            TimedCommand {
                at: 3_000,
                line: "kubectl get services".into(),
            },
        ];
        s.now = 5_000;
        s.lesson = Some(LessonProgress {
            name: "service-stable-ip".into(),
            step_starts: starts
                .iter()
                .map(|&(after, at)| StepStart { after, at })
                .collect(),
        });
        s
    }

    #[test]
    fn lesson_progress_round_trips() {
        let s = with_lesson(&[(1, 2_000), (2, 5_000)]);
        let back = decode(&encode(&s)).expect("decodes");
        assert_eq!(back, s);
        assert_eq!(back.lesson.map(|l| l.step()), Some(2));
    }

    #[test]
    fn a_scenario_without_a_lesson_has_no_lesson_field() {
        let mut s = with_lesson(&[]);
        s.lesson = None;
        let json = serde_json::to_string(&s).expect("json");
        assert!(!json.contains("lesson"), "{json}");
    }

    /// (step starts as (after, at), lesson name, the error's words)
    type Case<'a> = (&'a [(usize, Millis)], &'a str, &'a str);

    #[test]
    fn bad_lesson_progress_is_rejected() {
        let cases: &[Case] = &[
            (
                &[(3, 4_000)],
                "service-stable-ip",
                "step 2 starts out of order",
            ),
            (
                &[(1, 6_000)],
                "service-stable-ip",
                "step 2 starts out of order",
            ),
            (
                &[(2, 4_000), (1, 4_500)],
                "service-stable-ip",
                "step 3 starts out of order",
            ),
            (
                &[(2, 2_000)],
                "service-stable-ip",
                "step 2 starts before its commands ran",
            ),
            (&[], "<script>", "is not a lesson name"),
            (&[], "", "is not a lesson name"),
        ];
        for (starts, name, why) in cases {
            let mut s = with_lesson(starts);
            if let Some(l) = &mut s.lesson {
                l.name = name.to_string();
            }
            let e = decode(&encode(&s)).expect_err(why);
            assert!(e.0.contains(why), "{starts:?} {name}: {e}");
        }
    }
}
