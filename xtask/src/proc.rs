//! Running child processes: echo the command, stream its output, report failures as text.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// The command line as a shell user would type it, for echoing before running.
pub fn display(cmd: &Command) -> String {
    let mut parts = vec![quote(cmd.get_program())];
    parts.extend(cmd.get_args().map(quote));
    parts.join(" ")
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c));
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` with inherited stdio; `Ok` only when it exits with status 0.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    println!("$ {}", display(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", display(cmd)))?;
    check(cmd, status)
}

/// Runs `cmd`, echoing each stdout line as it arrives and handing it to `on_line`.
///
/// Stderr stays inherited so compiler diagnostics keep their place; the returned status is
/// the caller's to judge because test runners fail "successfully" with counts to read.
pub fn run_tee(cmd: &mut Command, mut on_line: impl FnMut(&str)) -> Result<ExitStatus, String> {
    println!("$ {}", display(cmd));
    let shown = display(cmd);
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if let Some(out) = child.stdout.take() {
        let mut reader = BufReader::new(out);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']);
                    println!("{line}");
                    on_line(line);
                }
                Err(e) => {
                    eprintln!("xtask: reading output of `{shown}`: {e}");
                    break;
                }
            }
        }
    }
    let _ = std::io::stdout().flush();
    child
        .wait()
        .map_err(|e| format!("waiting for `{shown}`: {e}"))
}

/// First line of a tool's `--version` style output, or `None` when it cannot be run.
pub fn version_line(program: impl AsRef<OsStr>, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(String::from)
}

/// Whether `dir/name` exists as a file (used to find binaries outside PATH).
pub fn is_file(dir: &Path, name: &str) -> bool {
    dir.join(name).is_file()
}

fn check(cmd: &Command, status: ExitStatus) -> Result<(), String> {
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", display(cmd)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_what_a_shell_would_split() {
        let mut cmd = Command::new("cargo");
        cmd.args(["install", "--locked", "trunk@0.21.14", "a b", "it's"]);
        assert_eq!(
            display(&cmd),
            r"cargo install --locked trunk@0.21.14 'a b' 'it'\''s'"
        );
    }

    #[test]
    fn version_line_is_none_for_a_missing_program() {
        assert_eq!(
            version_line("kubeplay-no-such-program-xyz", &["--version"]),
            None
        );
    }
}
