//! Running lessons: [`LessonSession`] holds a cluster built from the lesson and walks its
//! steps (the web UI drives it as the learner acts); [`run`] drives a session through every
//! step's suggested commands natively and reports each check.

use super::check::{Baseline, CheckResult};
use super::{template, Lesson, Step};
use crate::kubectl::{CommandOutput, MemoryFiles};
use crate::share::{LessonProgress, Scenario, StepStart, TimedCommand};
use crate::sim::Sim;
use crate::time::Millis;
use std::fmt::Write as _;

/// A command and what it printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRecord {
    /// The line as run (placeholders filled).
    pub line: String,
    /// Its output.
    pub output: CommandOutput,
}

/// One step of a native run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// The step's title.
    pub title: String,
    /// Its commands, as run.
    pub commands: Vec<CommandRecord>,
    /// Its checks.
    pub checks: Vec<CheckResult>,
}

/// The result of [`run`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonReport {
    /// Lesson name.
    pub name: String,
    /// Lesson title.
    pub title: String,
    /// Applying the cluster's manifests.
    pub setup: Vec<CommandRecord>,
    /// Steps, in order.
    pub steps: Vec<StepReport>,
}

impl LessonReport {
    /// Whether setup succeeded and every check of every step passed.
    pub fn passed(&self) -> bool {
        self.setup.iter().all(|c| c.output.ok)
            && self.steps.iter().all(|s| s.checks.iter().all(|c| c.passed))
    }

    /// Checks that failed, as `step N: description: detail` lines.
    pub fn failures(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .setup
            .iter()
            .filter(|c| !c.output.ok)
            .map(|c| format!("setup: `{}`: {}", c.line, c.output.stderr.trim_end()))
            .collect();
        for (i, s) in self.steps.iter().enumerate() {
            for c in s.checks.iter().filter(|c| !c.passed) {
                out.push(format!("step {}: {}: {}", i + 1, c.description, c.detail));
            }
        }
        out
    }

    /// The report as the CLI prints it: each step, its commands with their output, and
    /// ✓ or ✗ per check.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Lesson {}: {}", self.name, self.title);
        for c in &self.setup {
            let _ = writeln!(s, "(setup) $ {}", c.line);
            push_output(&mut s, &c.output);
        }
        let n = self.steps.len();
        for (i, step) in self.steps.iter().enumerate() {
            let _ = writeln!(s, "\n── Step {}/{n}: {}", i + 1, step.title);
            for c in &step.commands {
                let _ = writeln!(s, "$ {}", c.line);
                push_output(&mut s, &c.output);
            }
            for c in &step.checks {
                let mark = if c.passed { '✓' } else { '✗' };
                let _ = writeln!(s, "{mark} {} ({})", c.description, c.detail);
            }
        }
        let checks: usize = self.steps.iter().map(|s| s.checks.len()).sum();
        let failed = self.failures().len();
        let _ = writeln!(
            s,
            "\n{}: {} of {checks} checks passed",
            if self.passed() { "PASSED" } else { "FAILED" },
            checks.saturating_sub(failed)
        );
        s
    }
}

fn push_output(s: &mut String, out: &CommandOutput) {
    s.push_str(&out.stdout);
    if !out.stdout.is_empty() && !out.stdout.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(&out.stderr);
    if !out.stderr.is_empty() && !out.stderr.ends_with('\n') {
        s.push('\n');
    }
}

/// A lesson in progress: the cluster, the current step and what is needed to check it.
/// Every command goes through [`LessonSession::exec`] (or
/// [`LessonSession::run_suggested`]) so that `output` checks see it and the session can be
/// shared ([`LessonSession::scenario`]).
pub struct LessonSession {
    /// The simulated cluster.
    pub sim: Sim,
    /// The lesson.
    pub lesson: Lesson,
    /// Index of the current step (`lesson.steps.len()` once finished).
    pub step: usize,
    baseline: Baseline,
    outputs: Vec<(Option<String>, String, CommandOutput)>,
    files: MemoryFiles,
    setup: Vec<CommandRecord>,
    scenario: Scenario,
}

impl LessonSession {
    /// Builds the lesson's cluster, applies its manifests, lets `warmup` pass and begins
    /// step 1.
    pub fn start(lesson: Lesson) -> LessonSession {
        let c = &lesson.cluster;
        let mut scenario = Scenario::new(
            c.seed,
            c.nodes,
            c.proxy_mode,
            lesson.manifest_texts(),
            lesson.files.clone(),
        );
        scenario.lesson = Some(LessonProgress {
            name: lesson.name.clone(),
            step_starts: Vec::new(),
        });
        let (mut sim, applied) = scenario.start();
        sim.advance(c.warmup_ms());
        let files = MemoryFiles {
            files: lesson.files.clone(),
            stdin: None,
        };
        let setup = applied
            .into_iter()
            .map(|(line, output)| CommandRecord { line, output })
            .collect();
        let baseline = Baseline::take(&sim);
        LessonSession {
            sim,
            lesson,
            step: 0,
            baseline,
            outputs: Vec::new(),
            files,
            setup,
            scenario,
        }
    }

    /// Applying the manifests, as it went.
    pub fn setup(&self) -> &[CommandRecord] {
        &self.setup
    }

    /// The current step (`None` once finished).
    pub fn current(&self) -> Option<&Step> {
        self.lesson.steps.get(self.step)
    }

    /// Whether every step has been passed through.
    pub fn finished(&self) -> bool {
        self.step >= self.lesson.steps.len()
    }

    /// The current step's suggested commands with their placeholders filled from the
    /// cluster as it is now (what the UI shows), or why one cannot be filled yet.
    pub fn suggested(&self) -> Vec<Result<String, String>> {
        self.current()
            .map(|s| {
                s.commands
                    .iter()
                    .map(|c| template::resolve(c, &self.sim))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs a console line the learner typed.
    pub fn exec(&mut self, line: &str) -> CommandOutput {
        self.exec_as(None, line)
    }

    /// Runs the current step's `i`-th suggested command (placeholders filled now).
    pub fn run_suggested(&mut self, i: usize) -> Option<CommandRecord> {
        let template = self.current()?.commands.get(i)?.clone();
        let line = match template::resolve(&template, &self.sim) {
            Ok(l) => l,
            Err(e) => {
                let output =
                    CommandOutput::error(format!("error: cannot fill in {template:?}: {e}"));
                self.outputs
                    .push((Some(template.clone()), template.clone(), output.clone()));
                return Some(CommandRecord {
                    line: template,
                    output,
                });
            }
        };
        let output = self.exec_as(Some(template), &line);
        Some(CommandRecord { line, output })
    }

    fn exec_as(&mut self, template: Option<String>, line: &str) -> CommandOutput {
        if let Some(output) = crate::share::unrecordable(line) {
            self.outputs
                .push((template, line.to_string(), output.clone()));
            return output;
        }
        self.scenario.commands.push(TimedCommand {
            at: self.sim.now(),
            line: line.to_string(),
        });
        let output = self.sim.exec_with_files(line, &self.files);
        self.scenario.now = self.sim.now();
        self.outputs
            .push((template, line.to_string(), output.clone()));
        output
    }

    /// Adds (or replaces) a file that `-f NAME` reads from now on; the shared scenario
    /// carries it (the web UI's YAML editor applies its text this way).
    pub fn add_file(&mut self, name: &str, text: &str) {
        self.files.files.insert(name.to_string(), text.to_string());
        self.scenario
            .files
            .insert(name.to_string(), text.to_string());
    }

    /// Continues a shared lesson: builds the lesson's cluster, then replays the scenario's
    /// commands at their times (a command equal to a suggested one of its step runs as that
    /// suggestion, so `output` checks see it), moving on a step where the scenario did.
    /// Fails when the scenario is not one of this lesson (another lesson, another start).
    pub fn resume(lesson: Lesson, scenario: &Scenario) -> Result<LessonSession, String> {
        let progress = match &scenario.lesson {
            Some(p) if p.name == lesson.name => p.clone(),
            Some(p) => {
                return Err(format!(
                    "the scenario follows lesson {:?}, not {:?}",
                    p.name, lesson.name
                ))
            }
            None => return Err("the scenario follows no lesson".into()),
        };
        let mut session = LessonSession::start(lesson);
        let start = &session.scenario;
        let same_start = (start.seed, start.nodes, start.proxy_mode, &start.manifests)
            == (
                scenario.seed,
                scenario.nodes,
                scenario.proxy_mode,
                &scenario.manifests,
            );
        if !same_start {
            return Err(format!(
                "the scenario does not start from lesson {:?}'s cluster",
                progress.name
            ));
        }
        for (name, text) in &scenario.files {
            session.add_file(name, text);
        }
        let mut starts = progress.step_starts.iter().peekable();
        for (i, c) in scenario.commands.iter().enumerate() {
            while let Some(s) = starts.next_if(|s| s.after == i) {
                session.advance(s.at.saturating_sub(session.sim.now()));
                session.next_step();
            }
            session.advance(c.at.saturating_sub(session.sim.now()));
            let suggested = session
                .suggested()
                .iter()
                .position(|s| s.as_deref() == Ok(c.line.as_str()));
            match suggested {
                Some(j) => {
                    session.run_suggested(j);
                }
                None => {
                    session.exec(&c.line);
                }
            }
        }
        for s in starts {
            session.advance(s.at.saturating_sub(session.sim.now()));
            session.next_step();
        }
        session.advance(scenario.now.saturating_sub(session.sim.now()));
        Ok(session)
    }

    /// Lets virtual time pass (the UI's clock).
    pub fn advance(&mut self, ms: Millis) {
        self.sim.advance(ms);
        self.scenario.now = self.sim.now();
    }

    /// Evaluates the current step's checks against the cluster as it is now.
    pub fn check_step(&self) -> Vec<CheckResult> {
        self.check_step_on(&self.sim)
    }

    /// Evaluates the current step's checks against `sim` (for a UI that keeps the cluster
    /// elsewhere; the baseline and command outputs are this session's).
    pub fn check_step_on(&self, sim: &Sim) -> Vec<CheckResult> {
        let Some(step) = self.current() else {
            return Vec::new();
        };
        step.checks
            .iter()
            .map(|c| {
                let (passed, detail) = c.kind.evaluate(sim, &self.baseline, &self.outputs);
                CheckResult {
                    description: c.description.clone(),
                    passed,
                    detail,
                }
            })
            .collect()
    }

    /// Whether every check of the current step passes now.
    pub fn step_passed(&self) -> bool {
        self.check_step().iter().all(|c| c.passed)
    }

    /// Moves on to the next step (whether or not the checks passed): takes a new baseline
    /// and forgets the previous step's outputs. Returns false once finished.
    pub fn next_step(&mut self) -> bool {
        if self.finished() {
            return false;
        }
        self.step += 1;
        if let Some(l) = &mut self.scenario.lesson {
            l.step_starts.push(StepStart {
                after: self.scenario.commands.len(),
                at: self.sim.now(),
            });
        }
        self.baseline = Baseline::take(&self.sim);
        self.outputs.clear();
        !self.finished()
    }

    /// The session as a shareable scenario (start state and every command with its time).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
}

/// Runs a lesson natively: every step's suggested commands in order, then its checks.
pub fn run(lesson: &Lesson) -> LessonReport {
    let mut session = LessonSession::start(lesson.clone());
    let mut steps = Vec::new();
    while let Some(step) = session.current().cloned() {
        let commands = (0..step.commands.len())
            .filter_map(|i| session.run_suggested(i))
            .collect();
        let checks = session.check_step();
        steps.push(StepReport {
            title: step.title.clone(),
            commands,
            checks,
        });
        session.next_step();
    }
    LessonReport {
        name: lesson.name.clone(),
        title: lesson.title.clone(),
        setup: session.setup().to_vec(),
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::builtin;
    use crate::share::{decode, encode};

    fn lesson(name: &str) -> Lesson {
        match builtin::load(name) {
            Some(Ok(l)) => l,
            other => panic!("{name}: {other:?}"),
        }
    }

    /// Plays `steps` steps of a lesson through their suggested commands, with time passing
    /// between them as a learner's would.
    fn played(name: &str, steps: usize) -> LessonSession {
        let mut session = LessonSession::start(lesson(name));
        for _ in 0..steps {
            let n = session.current().map_or(0, |s| s.commands.len());
            for i in 0..n {
                session.run_suggested(i);
            }
            session.advance(1_234);
            session.next_step();
        }
        session.exec("kubectl get pods");
        session.advance(777);
        session
    }

    #[test]
    fn a_shared_lesson_resumes_at_its_step_with_the_same_cluster_and_checks() {
        for (name, steps) in [("pods-come-and-go", 2), ("service-stable-ip", 1)] {
            let session = played(name, steps);
            let shared = decode(&encode(session.scenario())).expect("decodes");
            assert_eq!(shared.lesson.as_ref().map(|l| l.step()), Some(steps));
            let resumed = LessonSession::resume(lesson(name), &shared).expect("resumes");
            assert_eq!(resumed.step, steps, "{name}");
            assert_eq!(resumed.sim.now(), session.sim.now(), "{name}");
            assert_eq!(resumed.sim.trace_hash(), session.sim.trace_hash(), "{name}");
            assert_eq!(resumed.check_step(), session.check_step(), "{name}");
            assert_eq!(resumed.scenario(), session.scenario(), "{name}");
        }
    }

    #[test]
    fn a_scenario_of_another_lesson_or_start_does_not_resume() {
        let shared = played("pods-come-and-go", 1).scenario().clone();
        let err = LessonSession::resume(lesson("service-stable-ip"), &shared)
            .err()
            .expect("another lesson");
        assert!(err.contains("follows lesson \"pods-come-and-go\""), "{err}");
        let mut other_seed = shared.clone();
        other_seed.seed += 1;
        let err = LessonSession::resume(lesson("pods-come-and-go"), &other_seed)
            .err()
            .expect("another start");
        assert!(err.contains("does not start from"), "{err}");
        let mut plain = shared;
        plain.lesson = None;
        assert!(LessonSession::resume(lesson("pods-come-and-go"), &plain).is_err());
    }

    #[test]
    fn files_added_during_a_lesson_travel_with_its_scenario() {
        let mut session = LessonSession::start(lesson("service-stable-ip"));
        session.add_file("editor-1.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: extra}\nspec:\n  containers: [{name: c, image: nginx}]\n");
        assert!(session.exec("kubectl apply -f editor-1.yaml").ok);
        let resumed = LessonSession::resume(lesson("service-stable-ip"), session.scenario())
            .expect("resumes");
        assert!(resumed
            .sim
            .api
            .pods
            .iter()
            .any(|p| p.metadata.name == "extra"));
    }
}
