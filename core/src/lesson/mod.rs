//! Lessons: a YAML file that sets up a cluster, walks the learner through steps of console
//! commands and checks after each step that the cluster shows what the step teaches.
//!
//! * [`Lesson::load`] reads and validates a lesson file (errors carry line and column and
//!   never panic); the format is documented in `docs/lessons.md`.
//! * [`check`] holds the structured assertions on cluster state and their evaluation.
//! * [`run`] runs a whole lesson natively; [`LessonSession`] is the same machinery one step
//!   at a time, for the web UI, which calls [`LessonSession::check_step`] as the learner acts.
//! * [`target`] finds what the web UI's controls and a step's `actions` act on.
//! * [`builtin`] lists the lessons shipped with Kubeplay.

pub mod builtin;
pub mod check;
mod format;
mod runner;
pub mod target;
pub mod template;

pub use check::{Baseline, Check, CheckKind, CheckResult};
pub use format::{ClusterSpec, LessonError, ManifestRef, ProxyModeName, Step, MAX_STEPS};
pub use runner::{run, CommandRecord, LessonReport, LessonSession, StepReport};

use serde::Deserialize;
use std::collections::BTreeMap;

/// A lesson, as read from its YAML file (see `docs/lessons.md`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Lesson {
    /// Slug: lowercase letters, digits and `-` (the name `kubeplay lesson run` takes).
    pub name: String,
    /// Title shown to learners.
    pub title: String,
    /// Markdown introduction.
    #[serde(default)]
    pub intro: String,
    /// The cluster the lesson starts from.
    #[serde(default)]
    pub cluster: ClusterSpec,
    /// Files that `-f NAME` in the lesson's commands (and `file:` manifests) read.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}
