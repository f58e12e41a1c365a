//! The lesson file format: the types serde reads and the checks made after reading
//! (names, limits, selectors, placeholders, every command and manifest parsed).

use super::check::{Check, CheckKind};
use super::template;
use super::Lesson;
use crate::kubectl::FileSource;
use crate::proxy::ProxyMode;
use crate::time::{parse_duration, Millis};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest cluster a lesson may ask for (the playground draws every node).
pub const MAX_NODES: usize = 20;
/// Most steps in one lesson.
pub const MAX_STEPS: usize = 100;
/// Longest warm-up before the first step.
pub const MAX_WARMUP_MS: Millis = 60 * 60 * 1000;
/// Largest lesson file accepted.
pub const MAX_LESSON_BYTES: usize = 1 << 20;

/// The cluster a lesson starts from.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterSpec {
    /// Worker nodes (`node-1` … `node-N`), 1 to [`MAX_NODES`]; 3 by default.
    #[serde(default = "default_nodes")]
    pub nodes: usize,
    /// kube-proxy mode of every node.
    #[serde(default)]
    pub proxy_mode: ProxyModeName,
    /// Seed of the simulation's one RNG.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Manifests applied (with `kubectl apply`) before the first step, in order.
    #[serde(default)]
    pub manifests: Vec<ManifestRef>,
    /// Virtual time to let pass after applying the manifests (Go duration, `30s` by default),
    /// so that the first step starts from a settled cluster.
    #[serde(default = "default_warmup")]
    pub warmup: String,
}

fn default_nodes() -> usize {
    3
}
fn default_seed() -> u64 {
    1
}
fn default_warmup() -> String {
    "30s".into()
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            nodes: default_nodes(),
            proxy_mode: ProxyModeName::default(),
            seed: default_seed(),
            manifests: Vec::new(),
            warmup: default_warmup(),
        }
    }
}

impl ClusterSpec {
    /// The warm-up in milliseconds (validated at load; 0 if it somehow does not parse).
    pub fn warmup_ms(&self) -> Millis {
        parse_duration(&self.warmup).unwrap_or(0)
    }
}

/// kube-proxy's `--proxy-mode` as lessons spell it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyModeName {
    /// `iptables` (default).
    #[default]
    Iptables,
    /// `ipvs`.
    Ipvs,
    /// `nftables`.
    Nftables,
}

impl ProxyModeName {
    /// The simulator's mode.
    pub fn mode(self) -> ProxyMode {
        match self {
            ProxyModeName::Iptables => ProxyMode::Iptables,
            ProxyModeName::Ipvs => ProxyMode::Ipvs,
            ProxyModeName::Nftables => ProxyMode::Nftables,
        }
    }
}

/// A manifest applied at the start: written inline or named (a key of the lesson's
/// `files:`, or a path next to the lesson file, read once at load).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ManifestRefFields")]
pub enum ManifestRef {
    /// `inline: YAML`: the YAML itself.
    Inline(String),
    /// `file: NAME`: a file name.
    File(String),
}

/// `{inline: …}` or `{file: …}` as written (YAML maps, not YAML tags).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestRefFields {
    inline: Option<String>,
    file: Option<String>,
}

impl TryFrom<ManifestRefFields> for ManifestRef {
    type Error = String;
    fn try_from(f: ManifestRefFields) -> Result<Self, String> {
        match (f.inline, f.file) {
            (Some(text), None) => Ok(ManifestRef::Inline(text)),
            (None, Some(name)) => Ok(ManifestRef::File(name)),
            _ => Err("a manifest is either `inline: YAML` or `file: NAME`".into()),
        }
    }
}

/// One step of a lesson.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Step {
    /// Title.
    pub title: String,
    /// Markdown text.
    #[serde(default)]
    pub text: String,
    /// Console lines the step suggests (run in order by the native runner). May hold
    /// placeholders such as `{{pod app=web}}` (see [`super::template`]).
    #[serde(default)]
    pub commands: Vec<String>,
    /// UI action ids (`scale`, `kill-pod`, …) the web UI offers for this step; free-form.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Assertions evaluated after the step's commands.
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// A lesson file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    /// File name (or `<builtin>/NAME.yaml`).
    pub source: String,
    /// 1-based line, when the error points into the YAML.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// What is wrong, with the path of the offending field.
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.source, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.source, self.message),
            _ => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for LessonError {}

impl Lesson {
    /// Reads a lesson file, resolves its `file:` manifests through `files` (after the
    /// lesson's own `files:`), and validates everything a run would rely on.
    pub fn load(text: &str, source: &str, files: &dyn FileSource) -> Result<Lesson, LessonError> {
        let mut lesson = Lesson::parse(text, source)?;
        lesson.resolve_files(source, files)?;
        lesson
            .validate()
            .map_err(|message| semantic(source, message))?;
        Ok(lesson)
    }

    /// Reads the YAML only (types and field names); see [`Lesson::load`].
    pub fn parse(text: &str, source: &str) -> Result<Lesson, LessonError> {
        if text.len() > MAX_LESSON_BYTES {
            return Err(semantic(
                source,
                format!("lesson file larger than {MAX_LESSON_BYTES} bytes"),
            ));
        }
        serde_yaml_ng::from_str::<Lesson>(text).map_err(|e| yaml_error(source, &e))
    }

    /// Replaces every `file:` manifest with its contents.
    fn resolve_files(&mut self, source: &str, files: &dyn FileSource) -> Result<(), LessonError> {
        for (i, m) in self.cluster.manifests.iter_mut().enumerate() {
            if let ManifestRef::File(name) = m {
                let text = match self.files.get(name.as_str()) {
                    Some(t) => t.clone(),
                    None => files.read(name).ok_or_else(|| {
                        semantic(
                            source,
                            format!(
                                "cluster.manifests[{i}]: file {name:?} is neither in the lesson's files: nor readable"
                            ),
                        )
                    })?,
                };
                *m = ManifestRef::Inline(text);
            }
        }
        Ok(())
    }

    /// The manifests' texts (after [`Lesson::load`] all are inline).
    pub fn manifest_texts(&self) -> Vec<String> {
        self.cluster
            .manifests
            .iter()
            .filter_map(|m| match m {
                ManifestRef::Inline(t) => Some(t.clone()),
                ManifestRef::File(_) => None,
            })
            .collect()
    }

    /// Everything serde cannot check: names, limits, selectors, placeholders, commands,
    /// manifests, and that each `output` check's command is one the step suggests.
    pub fn validate(&self) -> Result<(), String> {
        if !is_slug(&self.name) {
            return Err(format!(
                "name: {:?} must be a slug: lowercase letters, digits and '-', starting with a letter",
                self.name
            ));
        }
        if self.title.trim().is_empty() {
            return Err("title: must not be empty".into());
        }
        let c = &self.cluster;
        if c.nodes == 0 || c.nodes > MAX_NODES {
            return Err(format!(
                "cluster.nodes: {} is out of range 1-{MAX_NODES}",
                c.nodes
            ));
        }
        match parse_duration(&c.warmup) {
            Ok(ms) if ms <= MAX_WARMUP_MS => {}
            Ok(_) => return Err("cluster.warmup: longer than 1h".into()),
            Err(e) => return Err(format!("cluster.warmup: {e}")),
        }
        for (i, m) in c.manifests.iter().enumerate() {
            match m {
                ManifestRef::Inline(text) => {
                    let src = format!("cluster.manifests[{i}]");
                    crate::manifest::parse_manifest(text, &src)
                        .map_err(|e| format!("{src}: {}", e.message.trim_end()))?;
                }
                ManifestRef::File(name) => {
                    return Err(format!(
                        "cluster.manifests[{i}]: file {name:?} not resolved"
                    ))
                }
            }
        }
        for (name, text) in &self.files {
            if name.is_empty() || name == "-" {
                return Err(format!("files: invalid file name {name:?}"));
            }
            crate::manifest::parse_manifest(text, name)
                .map_err(|e| format!("files.{name}: {}", e.message.trim_end()))?;
        }
        if self.steps.is_empty() {
            return Err("steps: a lesson needs at least one step".into());
        }
        if self.steps.len() > MAX_STEPS {
            return Err(format!("steps: more than {MAX_STEPS} steps"));
        }
        for (i, step) in self.steps.iter().enumerate() {
            let at = format!("steps[{i}]");
            if step.title.trim().is_empty() {
                return Err(format!("{at}.title: must not be empty"));
            }
            for (j, cmd) in step.commands.iter().enumerate() {
                validate_command(cmd).map_err(|e| format!("{at}.commands[{j}]: {e}"))?;
            }
            for (j, check) in step.checks.iter().enumerate() {
                let at = format!("{at}.checks[{j}]");
                if check.description.trim().is_empty() {
                    return Err(format!("{at}.description: must not be empty"));
                }
                check.kind.validate().map_err(|e| format!("{at}: {e}"))?;
                if let CheckKind::Output(o) = &check.kind {
                    let wanted = template::normalize(&o.command);
                    if !step
                        .commands
                        .iter()
                        .any(|c| template::normalize(c) == wanted)
                    {
                        return Err(format!(
                            "{at}.output.command: {:?} is not one of the step's commands",
                            o.command
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A command must parse once its placeholders are filled with sample values.
fn validate_command(cmd: &str) -> Result<(), String> {
    let sample = template::sample(cmd)?;
    let parsed =
        crate::kubectl::parse(&sample).map_err(|e| e.to_string().trim_end().to_string())?;
    // A lesson must run in bounded time.
    if let crate::kubectl::Command::Wait { duration } = parsed {
        if duration > MAX_WARMUP_MS {
            return Err("a wait longer than 1h".into());
        }
    }
    Ok(())
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn semantic(source: &str, message: String) -> LessonError {
    LessonError {
        source: source.to_string(),
        line: None,
        column: None,
        message,
    }
}

fn yaml_error(source: &str, e: &serde_yaml_ng::Error) -> LessonError {
    let mut message = e.to_string();
    let (line, column) = match e.location() {
        Some(l) => {
            // The position goes in front (file:line:col), not at the end of the message.
            let suffix = format!(" at line {} column {}", l.line(), l.column());
            if let Some(i) = message.find(&suffix) {
                message.replace_range(i..i + suffix.len(), "");
            }
            (Some(l.line()), Some(l.column()))
        }
        None => (None, None),
    };
    LessonError {
        source: source.to_string(),
        line,
        column,
        message,
    }
}
