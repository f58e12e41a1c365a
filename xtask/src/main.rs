//! `cargo xtask`: the project's entry points.
//!
//! * `cargo xtask serve [trunk args]`: installs what the web build needs, then `trunk serve`.
//! * `cargo xtask test`: installs the same plus a browser, then runs every check and prints
//!   one closing `N passed, M failed` line.
//! * `cargo xtask measure`: size and speed of the release page in headless Chromium.
//!
//! Std-only on purpose: this crate is compiled before any tool exists, so it must build from a
//! bare Rust toolchain in seconds.

mod lockfile;
mod measure;
mod proc;
mod serve;
mod summary;
mod test;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  serve [trunk serve args]   install missing tools, then `trunk serve` on 127.0.0.1:8080
                             (extra args pass through, e.g. --port 9000 --release)
  test                       install missing tools and a browser, then run fmt, clippy,
                             native tests, wasm tests in headless Chromium and the e2e test
  measure                    release build, then in headless Chromium: wasm + JS gzipped size,
                             time to the first drawn diagram, frame times at 100 and 1,000 pods";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    match command.as_deref() {
        Some("serve") => serve::run(&workspace_root(), &rest),
        Some("test") => test::run(&workspace_root(), &rest),
        Some("measure") => measure::run(&workspace_root(), &rest),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("xtask: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: xtask's manifest lives one level below it, wherever the clone is.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
