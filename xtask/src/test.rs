//! `cargo xtask test`: every check the project has, in one run, closing with `N passed, M failed`.
//!
//! A step that cannot run (a tool that would not install, a browser that never answered) is
//! counted as a failure: a suite that silently skips its browser tests proves nothing.

use crate::proc;
use crate::serve;
use crate::summary::{self, Tally};
use crate::tools::{Browser, Toolbox, WASM_TARGET};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// What wasm-bindgen-test-runner prints once it drives a real browser through chromedriver.
const HEADLESS_CHROME_MARK: &str = "Running headless tests in Chrome";

pub fn run(root: &Path, args: &[String]) -> ExitCode {
    if let Some(arg) = args.first() {
        eprintln!("xtask: `cargo xtask test` takes no arguments (got `{arg}`)");
        return ExitCode::from(2);
    }
    let started = Instant::now();
    let mut report = Report::default();
    let mut tools = Toolbox::new(root);

    banner("installing missing tools");
    let web_tools = serve::install_web_tools(&mut tools).map_err(|e| format!("web tools: {e}"));
    let components = tools
        .ensure_rust_components()
        .map_err(|e| format!("rustfmt/clippy: {e}"));
    let browser = tools
        .ensure_chromium()
        .map_err(|e| format!("chromium: {e}"));
    let node_modules = tools
        .ensure_node()
        .and_then(|()| tools.ensure_playwright())
        .map_err(|e| format!("node/playwright-core: {e}"));
    let installs = started.elapsed();
    println!("xtask: tools ready in {}", secs(installs));

    report.step("cargo fmt --check", needs(&[ready(&components)]), || {
        pass_if(proc::run(
            tools.command("cargo").args(["fmt", "--all", "--check"]),
        ))
    });
    report.step("clippy (native)", needs(&[ready(&components)]), || {
        pass_if(proc::run(tools.command("cargo").args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])))
    });
    report.step(
        "clippy (wasm32)",
        needs(&[ready(&components), ready(&web_tools)]),
        || {
            // Core's dev-dependencies (proptest, criterion) do not build for wasm32, so core is
            // linted as the library the web crate links; the web crate with all its targets.
            let core = proc::run(tools.command("cargo").args([
                "clippy",
                "--target",
                WASM_TARGET,
                "-p",
                "kubeplay-core",
                "--lib",
                "--",
                "-D",
                "warnings",
            ]));
            let web = proc::run(tools.command("cargo").args([
                "clippy",
                "--target",
                WASM_TARGET,
                "-p",
                "kubeplay-web",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]));
            pass_if(core.and(web))
        },
    );
    report.step("native tests", Ok(()), || {
        libtest_step(
            tools
                .command("cargo")
                .args(["test", "--workspace", "--no-fail-fast"]),
            None,
        )
    });
    report.step(
        "wasm tests (headless Chromium)",
        needs(&[ready(&web_tools), ready(&browser)]),
        || match &browser {
            Ok(browser) => wasm_tests(&tools, browser),
            Err(e) => (Tally::FAIL, e.clone()),
        },
    );
    report.step("debug build (what serve runs)", ready(&web_tools), || {
        // Also leaves the dev-profile wasm built, so a following `cargo xtask serve` starts in
        // seconds: the wasm tests' build differs in dev-dependency features and is not reused.
        let dist = tools.root().join("target").join("e2e").join("dev-dist");
        pass_if(
            serve::trunk(&tools, "build", false)
                .and_then(|mut cmd| proc::run(cmd.arg("--dist").arg(&dist))),
        )
    });
    report.step(
        "e2e (release build in Chromium)",
        needs(&[ready(&web_tools), ready(&browser), ready(&node_modules)]),
        || match (&browser, &node_modules) {
            (Ok(browser), Ok(modules)) => e2e(&tools, browser, modules),
            (Err(e), _) | (_, Err(e)) => (Tally::FAIL, e.clone()),
        },
    );

    report.finish(installs, started.elapsed())
}

/// Native or wasm `cargo test`: counts come from each `test result:` line. A non-zero exit with
/// no failed test counted (a build error, a crashed runner) is one more failure.
fn libtest_step(cmd: &mut Command, require_line: Option<&str>) -> (Tally, String) {
    let mut tally = Tally::default();
    let mut results = 0;
    let mut seen_required = require_line.is_none();
    let status = proc::run_tee(cmd, |line| {
        if let Some(t) = summary::parse_libtest(line) {
            tally.add(t);
            results += 1;
        }
        if let Some(mark) = require_line {
            seen_required |= line.contains(mark);
        }
    });
    let mut notes = vec![format!("{results} test binaries")];
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            if tally.failed == 0 {
                tally.add(Tally::FAIL);
            }
            notes.push(format!("exit {s}"));
        }
        Err(e) => {
            tally.add(Tally::FAIL);
            notes.push(e);
        }
    }
    if !seen_required {
        tally.add(Tally::FAIL);
        notes.push("the tests did not run in Chromium".into());
    }
    (tally, notes.join("; "))
}

fn wasm_tests(tools: &Toolbox, browser: &Browser) -> (Tally, String) {
    let profile = match TempDir::new("kubeplay-wbt") {
        Ok(dir) => dir,
        Err(e) => return (Tally::FAIL, e),
    };
    let caps = match webdriver_json(tools.root(), &profile.path) {
        Ok(path) => path,
        Err(e) => return (Tally::FAIL, e),
    };
    println!(
        "xtask: {} via {}",
        browser.version,
        browser.chromedriver.display()
    );
    let (mut tally, note) = libtest_step(
        tools
            .command("cargo")
            .args([
                "test",
                "-p",
                "kubeplay-web",
                "--target",
                WASM_TARGET,
                "--tests",
            ])
            .env("CHROMEDRIVER", &browser.chromedriver)
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &caps)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
            // The runner must never fall back to Node: these tests are about the browser.
            .env("WASM_BINDGEN_TEST_ONLY_WEB", "1"),
        Some(HEADLESS_CHROME_MARK),
    );
    if tally.passed == 0 && tally.failed == 0 {
        tally.add(Tally::FAIL);
        return (tally, format!("{note}; no wasm test ran"));
    }
    (tally, note)
}

/// web/webdriver.json with a fresh `--user-data-dir` added, so no Chromium profile is shared
/// between runs. The committed file keeps working for a plain `cargo test` in `web/`.
fn webdriver_json(root: &Path, profile: &Path) -> Result<PathBuf, String> {
    let src = root.join("web").join("webdriver.json");
    let text = fs::read_to_string(&src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    let with_profile = add_chrome_arg(
        &text,
        &format!("--user-data-dir={}", profile.join("chrome").display()),
    )
    .ok_or_else(|| format!("{} has no \"args\": [ list", src.display()))?;
    let dst = profile.join("webdriver.json");
    fs::write(&dst, with_profile).map_err(|e| format!("writing {}: {e}", dst.display()))?;
    Ok(dst)
}

/// Inserts `arg` as the first element of the first `"args": [` array.
fn add_chrome_arg(json: &str, arg: &str) -> Option<String> {
    let key = json.find("\"args\"")?;
    let open = key + json[key..].find('[')? + 1;
    let escaped = arg.replace('\\', "\\\\").replace('"', "\\\"");
    let empty = json[open..].trim_start().starts_with(']');
    let sep = if empty { "" } else { ", " };
    Some(format!(
        "{}\"{escaped}\"{sep}{}",
        &json[..open],
        &json[open..]
    ))
}

fn e2e(tools: &Toolbox, browser: &Browser, node_modules: &Path) -> (Tally, String) {
    let out = tools.root().join("target").join("e2e");
    let dist = out.join("dist");
    if let Err(e) = serve::release_build(tools, &dist) {
        return (Tally::FAIL, format!("release build failed: {e}"));
    }
    let wasm_bytes = wasm_size(&dist);
    let mut tally = None;
    let status = proc::run_tee(
        tools
            .command("node")
            .arg(tools.root().join("tests").join("e2e").join("e2e.cjs"))
            .arg("--dist")
            .arg(&dist)
            .arg("--screenshot")
            .arg(out.join("kubeplay.png"))
            .arg("--chromium")
            .arg(&browser.chromium)
            .env("NODE_PATH", node_modules),
        |line| {
            if let Some(t) = summary::parse_plain(line, "e2e") {
                tally = Some(t);
            }
        },
    );
    let size = match wasm_bytes {
        Some(n) => format!("wasm {} KB", n / 1024),
        None => "no .wasm in dist".into(),
    };
    match (tally, status) {
        (Some(t), Ok(s)) if s.success() || t.failed > 0 => (t, size),
        (Some(mut t), Ok(s)) => {
            t.add(Tally::FAIL);
            (t, format!("{size}; exit {s}"))
        }
        (_, Err(e)) => (Tally::FAIL, e),
        (None, Ok(s)) => (
            Tally::FAIL,
            format!("{size}; no `e2e:` count line; exit {s}"),
        ),
    }
}

fn wasm_size(dist: &Path) -> Option<u64> {
    fs::read_dir(dist)
        .ok()?
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        .and_then(|e| e.metadata().ok())
        .map(|m| m.len())
}

/// The results of every step, printed as a table and the closing count line.
#[derive(Default)]
struct Report {
    rows: Vec<(String, Tally, Duration, String)>,
    total: Tally,
}

impl Report {
    /// Runs `body` when its prerequisites are met; otherwise the step is one failure.
    fn step(
        &mut self,
        name: &str,
        prerequisites: Result<(), String>,
        body: impl FnOnce() -> (Tally, String),
    ) {
        banner(name);
        let started = Instant::now();
        let (tally, note) = match prerequisites {
            Ok(()) => body(),
            Err(why) => {
                println!("xtask: cannot run `{name}`: {why}");
                (Tally::FAIL, format!("cannot run: {why}"))
            }
        };
        self.total.add(tally);
        self.rows
            .push((name.to_string(), tally, started.elapsed(), note));
    }

    fn finish(self, installs: Duration, total: Duration) -> ExitCode {
        banner("summary");
        println!(
            "{:<34} {:>7} {:>7} {:>8}  notes",
            "step", "passed", "failed", "time"
        );
        println!(
            "{:<34} {:>7} {:>7} {:>8}",
            "tool installs",
            "",
            "",
            secs(installs)
        );
        for (name, tally, took, note) in &self.rows {
            println!(
                "{name:<34} {:>7} {:>7} {:>8}  {note}",
                tally.passed,
                tally.failed,
                secs(*took)
            );
        }
        println!("{:<34} {:>7} {:>7} {:>8}", "total", "", "", secs(total));
        println!("{}", self.total);
        if self.total.failed == 0 && self.total.passed > 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

/// All prerequisites met, or the first reason one is not.
fn needs(prerequisites: &[Result<(), String>]) -> Result<(), String> {
    prerequisites.iter().try_for_each(Clone::clone)
}

/// Whether an install succeeded, keeping only the reason when it did not.
fn ready<T>(install: &Result<T, String>) -> Result<(), String> {
    install.as_ref().map(|_| ()).map_err(Clone::clone)
}

fn pass_if(result: Result<(), String>) -> (Tally, String) {
    match result {
        Ok(()) => (Tally::PASS, String::new()),
        Err(e) => (Tally::FAIL, e),
    }
}

fn banner(title: &str) {
    println!("\n==== xtask: {title} ====");
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// A directory under the system temp dir, removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(prefix: &str) -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrome_arg_goes_first_in_the_args_list() {
        let json = r#"{ "goog:chromeOptions": { "args": ["--no-sandbox"] } }"#;
        assert_eq!(
            add_chrome_arg(json, "--user-data-dir=/tmp/x").as_deref(),
            Some(
                r#"{ "goog:chromeOptions": { "args": ["--user-data-dir=/tmp/x", "--no-sandbox"] } }"#
            )
        );
        assert_eq!(
            add_chrome_arg(r#"{"args": [ ]}"#, "--a").as_deref(),
            Some(r#"{"args": ["--a" ]}"#)
        );
        assert_eq!(add_chrome_arg("{}", "--a"), None);
    }

    #[test]
    fn the_committed_webdriver_json_takes_a_profile_dir() {
        let json = include_str!("../../web/webdriver.json");
        let with = add_chrome_arg(json, "--user-data-dir=/tmp/p").unwrap_or_default();
        assert!(with.contains("\"--user-data-dir=/tmp/p\", "), "{with}");
    }

    #[test]
    fn unmet_prerequisites_report_the_first_reason() {
        let ok: Result<(), String> = Ok(());
        let bad: Result<(), String> = Err("chromium: not found".into());
        assert_eq!(needs(&[ok.clone(), ok.clone()]), Ok(()));
        assert_eq!(
            needs(&[ok, bad.clone(), Err("node".into())]),
            Err("chromium: not found".into())
        );
        assert_eq!(ready(&Ok::<u8, String>(1)), Ok(()));
        assert_eq!(ready(&bad), bad);
    }
}
