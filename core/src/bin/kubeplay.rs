//! `kubeplay`: the simulated cluster on the command line.
//!
//! * `kubeplay shell` reads console commands from stdin and prints what kubectl would.
//! * `kubeplay validate FILE…` checks manifests as the API server would.
//! * `kubeplay lesson list|run` lists the built-in lessons and runs one natively.

use clap::{Parser, Subcommand};
use kubeplay_core::kubectl::FileSource;
use kubeplay_core::{Sim, SimConfig};
use std::io::{BufRead, Write};
use std::process::ExitCode;

// A simulated cluster is millions of small allocations; mimalloc builds a large one ~10 %
// faster than glibc's malloc and without glibc's stall on the first large allocation after
// many frees (measured with `examples/scale_probe.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kubeplay",
    version,
    about = "A simulated Kubernetes cluster that teaches how Services work"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Read console commands from stdin, one per line, and print their output as kubectl would.
    ///
    /// `#` comments and blank lines are skipped; errors go to stderr; the shell goes on after a
    /// failed command and exits 1 if any command failed. The leading word `kubectl` is optional.
    /// Playground verbs: `wait 30s`, `node fail NAME`, `node recover NAME`, `node add`.
    Shell {
        /// Number of worker nodes (`node-1` … `node-N`).
        #[arg(long, default_value_t = 3)]
        nodes: usize,
        /// Seed of the simulation's random choices.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Manifests to apply before reading commands.
        #[arg(short = 'f', long = "filename")]
        files: Vec<String>,
    },
    /// Validate manifests as `kubectl apply` would; prints nothing and exits 0 when all are valid.
    Validate {
        /// Manifest files (multi-document YAML or JSON).
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Lessons: list the built-in ones, or run one natively and check every step.
    Lesson {
        #[command(subcommand)]
        command: LessonCmd,
    },
}

#[derive(Subcommand)]
enum LessonCmd {
    /// Print the names of the built-in lessons, one per line, in teaching order.
    List,
    /// Run a lesson: build its cluster, run each step's commands, evaluate its checks.
    ///
    /// Prints every step, its commands with their output, and ✓ or ✗ per check; exits 0
    /// only if every check passes.
    Run {
        /// A built-in lesson's name, or the path of a lesson file (YAML, see docs/lessons.md).
        lesson: String,
    },
}

/// `-f` paths are read relative to the current directory; `-` is the shell's own stdin (empty:
/// the shell's stdin holds the commands).
struct DiskFiles;

impl FileSource for DiskFiles {
    fn read(&self, path: &str) -> Option<String> {
        if path == "-" {
            return None;
        }
        std::fs::read_to_string(path).ok()
    }
}

fn main() -> ExitCode {
    kubeplay_core::allocator::tune();
    let cli = Cli::parse();
    match cli.command {
        Cmd::Shell { nodes, seed, files } => shell(nodes, seed, &files),
        Cmd::Validate { files } => validate(&files),
        Cmd::Lesson {
            command: LessonCmd::List,
        } => {
            for name in kubeplay_core::lesson::builtin::names() {
                println!("{name}");
            }
            ExitCode::SUCCESS
        }
        Cmd::Lesson {
            command: LessonCmd::Run { lesson },
        } => run_lesson(&lesson),
    }
}

fn print(out: &kubeplay_core::kubectl::CommandOutput) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.stdout.as_bytes());
    let _ = stdout.flush();
    eprint!("{}", out.stderr);
}

fn shell(nodes: usize, seed: u64, files: &[String]) -> ExitCode {
    let mut sim = Sim::new(SimConfig {
        nodes,
        seed,
        ..Default::default()
    });
    let mut failed = false;
    for f in files {
        let out = sim.exec_with_files(&format!("apply -f {}", shell_quote(f)), &DiskFiles);
        failed |= !out.ok;
        print(&out);
    }
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let out = sim.exec_with_files(trimmed, &DiskFiles);
        failed |= !out.ok;
        print(&out);
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Files a lesson names, read relative to the lesson file's directory.
struct NextTo(std::path::PathBuf);

impl FileSource for NextTo {
    fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.0.join(path)).ok()
    }
}

fn run_lesson(name_or_file: &str) -> ExitCode {
    use kubeplay_core::lesson::{self, Lesson};
    let loaded = match lesson::builtin::load(name_or_file) {
        Some(l) => l,
        None => {
            let path = std::path::Path::new(name_or_file);
            let Ok(text) = std::fs::read_to_string(path) else {
                eprintln!(
                    "error: {name_or_file:?} is neither a built-in lesson (see `kubeplay lesson list`) nor a readable file"
                );
                return ExitCode::FAILURE;
            };
            let dir = path
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .to_path_buf();
            Lesson::load(&text, name_or_file, &NextTo(dir))
        }
    };
    let lesson = match loaded {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = lesson::run(&lesson);
    print!("{}", report.render());
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn validate(files: &[String]) -> ExitCode {
    let mut ok = true;
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(_) => {
                eprintln!("error: the path \"{f}\" does not exist");
                ok = false;
                continue;
            }
        };
        if let Err(errors) = kubeplay_core::manifest::validate_manifest(&text, f) {
            for e in errors {
                eprintln!("{e}");
            }
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
