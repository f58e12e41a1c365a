//! The console: one command language shared by the web UI, the lessons and the CLI.
//!
//! `kubectl` verbs with kubectl's syntax, output and error wording, plus a few playground verbs
//! (`wait 30s`, `node fail node-2`) that the [`crate::sim`]-level caller executes itself.
//! A line goes through [`parse::parse`] into a [`Command`], then [`exec::execute`] runs it
//! against the [`crate::apiserver::ApiServer`]. A bad command prints an error and changes nothing.

pub mod describe;
pub mod exec;
pub mod get;
pub mod objects;
pub mod parse;
pub mod selector;
pub mod table;

pub use exec::{execute, rollout_status, Execution, FollowUp, RolloutStatus};
pub use parse::{parse, tokenize, Command, ParseError};

use std::collections::BTreeMap;

/// What a command printed, as a terminal shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// False when kubectl would exit non-zero.
    pub ok: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error (errors, warnings, "No resources found").
    pub stderr: String,
}

impl CommandOutput {
    /// A successful command that printed `stdout`.
    pub fn ok(stdout: impl Into<String>) -> Self {
        CommandOutput {
            ok: true,
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }
    /// A failed command that printed `stderr` (a newline is added when missing).
    pub fn error(stderr: impl Into<String>) -> Self {
        let mut stderr = stderr.into();
        if !stderr.ends_with('\n') {
            stderr.push('\n');
        }
        CommandOutput {
            ok: false,
            stdout: String::new(),
            stderr,
        }
    }
    /// Appends a stdout line.
    pub fn out(&mut self, line: impl AsRef<str>) {
        self.stdout.push_str(line.as_ref());
        self.stdout.push('\n');
    }
    /// Appends a stderr line.
    pub fn err(&mut self, line: impl AsRef<str>) {
        self.stderr.push_str(line.as_ref());
        self.stderr.push('\n');
    }
}

/// Where `-f FILE` contents come from. The console never touches a file system itself (the wasm
/// build has none): the caller decides what a path means. The path `-` is standard input.
pub trait FileSource {
    /// The contents of `path` (`-` for stdin), or `None` when there is no such file.
    fn read(&self, path: &str) -> Option<String>;
}

/// No files at all: every `-f` fails with kubectl's "does not exist" error.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl FileSource for NoFiles {
    fn read(&self, _path: &str) -> Option<String> {
        None
    }
}

/// Files held in memory (the web UI's editor buffers, lesson fixtures), plus an optional stdin.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    /// Path → contents.
    pub files: BTreeMap<String, String>,
    /// What `-f -` reads.
    pub stdin: Option<String>,
}

impl MemoryFiles {
    /// Only a stdin.
    pub fn stdin(contents: impl Into<String>) -> Self {
        MemoryFiles {
            files: BTreeMap::new(),
            stdin: Some(contents.into()),
        }
    }
    /// Adds a file.
    pub fn with(mut self, path: impl Into<String>, contents: impl Into<String>) -> Self {
        self.files.insert(path.into(), contents.into());
        self
    }
}

impl FileSource for MemoryFiles {
    fn read(&self, path: &str) -> Option<String> {
        if path == "-" {
            return self.stdin.clone();
        }
        self.files.get(path).cloned()
    }
}

impl<F: Fn(&str) -> Option<String>> FileSource for F {
    fn read(&self, path: &str) -> Option<String> {
        self(path)
    }
}
