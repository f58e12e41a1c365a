//! Finding, and when missing installing, every tool the web build and the tests use.
//!
//! Only package registries are reachable (crates.io, npm, Debian), so each tool comes from one:
//! trunk and wasm-bindgen-cli through `cargo install`, wasm-opt from npm's `binaryen`, the browser
//! from apt. Presence is decided by running `<tool> --version` and comparing with the version we
//! need, never by the mere existence of a file, because trunk silently tries to download its own
//! copy (from a host we cannot reach) whenever the version on PATH differs.

use crate::lockfile;
use crate::proc;
use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// trunk 0.22 needs a newer rustc than the machine has.
pub const TRUNK_VERSION: &str = "0.21.14";
/// npm's `binaryen` package; Debian's binaryen is too old to parse what rustc emits.
pub const BINARYEN_NPM_VERSION: &str = "132.0.0";
/// What that package's `wasm-opt --version` reports, in the form trunk compares against.
pub const WASM_OPT_VERSION: &str = "version_132";
/// The e2e driver; it never downloads a browser, it drives Debian's chromium.
pub const PLAYWRIGHT_CORE_VERSION: &str = "1.65.1";
/// playwright-core's own `engines` requirement.
const MIN_NODE_MAJOR: u64 = 20;
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The environment every child process runs in: PATH with our tool directories first, and the
/// exact tool versions trunk must accept from PATH instead of downloading.
pub struct Toolbox {
    root: PathBuf,
    path_dirs: Vec<PathBuf>,
    /// The `wasm-bindgen` version locked in Cargo.lock (and so the CLI version we need).
    pub wasm_bindgen_version: Option<String>,
    /// `Some(version)` when a wasm-opt trunk will accept is first on PATH; `None` = switched off.
    pub wasm_opt: Option<String>,
    apt_updated: bool,
}

impl Toolbox {
    pub fn new(root: &Path) -> Toolbox {
        Toolbox {
            root: root.to_path_buf(),
            // `cargo install` puts binaries here; it may be missing from PATH in a bare CI shell.
            path_dirs: vec![cargo_home().join("bin")],
            wasm_bindgen_version: None,
            wasm_opt: None,
            apt_updated: false,
        }
    }

    /// The workspace root every command runs in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where npm packages this project installs for itself live (ignored by git with target/).
    pub fn tools_dir(&self) -> PathBuf {
        self.root.join("target").join("tools")
    }

    /// PATH for children: our directories first, then the inherited PATH.
    pub fn path_var(&self) -> OsString {
        let inherited = env::var_os("PATH").unwrap_or_default();
        let mut dirs: Vec<PathBuf> = self.path_dirs.clone();
        dirs.extend(env::split_paths(&inherited));
        env::join_paths(dirs).unwrap_or(inherited)
    }

    /// A command run from the workspace root with our PATH and trunk's tool pins.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root).env("PATH", self.path_var());
        if let Some(v) = &self.wasm_bindgen_version {
            cmd.env("TRUNK_TOOLS_WASM_BINDGEN", v);
        }
        if let Some(v) = &self.wasm_opt {
            cmd.env("TRUNK_TOOLS_WASM_OPT", v);
        }
        cmd
    }

    /// The first `name` on our PATH, as an absolute path.
    pub fn which(&self, name: &str) -> Option<PathBuf> {
        env::split_paths(&self.path_var())
            .find(|dir| proc::is_file(dir, name))
            .map(|dir| dir.join(name))
    }

    fn version_of(&self, name: &str) -> Option<String> {
        let path = self.which(name)?;
        proc::version_line(path, &["--version"])
    }

    fn prepend_path(&mut self, dir: PathBuf) {
        self.path_dirs.retain(|d| d != &dir);
        self.path_dirs.insert(0, dir);
    }

    /// `rustup target add wasm32-unknown-unknown` unless rustc already has its standard library.
    pub fn ensure_wasm_target(&self) -> Result<(), String> {
        if self.has_wasm_std() {
            return Ok(());
        }
        note(&format!(
            "installing the {WASM_TARGET} Rust target: rustc has no standard library for it, \
             and the web crate compiles to it"
        ));
        proc::run(
            self.command("rustup")
                .args(["target", "add", WASM_TARGET])
                .env_remove("RUSTUP_TOOLCHAIN"),
        )?;
        if self.has_wasm_std() {
            Ok(())
        } else {
            Err(format!(
                "rustc still has no {WASM_TARGET} standard library after `rustup target add`"
            ))
        }
    }

    fn has_wasm_std(&self) -> bool {
        let out = self
            .command("rustc")
            .args(["--print", "target-libdir", "--target", WASM_TARGET])
            .output();
        match out {
            Ok(out) if out.status.success() => {
                let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                fs::read_dir(&dir)
                    .map(|entries| {
                        entries.flatten().any(|e| {
                            let name = e.file_name();
                            let name = name.to_string_lossy();
                            name.starts_with("libstd-") && name.ends_with(".rlib")
                        })
                    })
                    .unwrap_or(false)
            }
            _ => false,
        }
    }

    /// rustfmt and clippy, which a minimal rustup profile leaves out.
    pub fn ensure_rust_components(&self) -> Result<(), String> {
        for (component, probe) in [("rustfmt", "fmt"), ("clippy", "clippy")] {
            let present = self
                .command("cargo")
                .args([probe, "--version"])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if !present {
                note(&format!(
                    "installing the {component} component: `cargo {probe}` is missing and the \
                     test suite runs it"
                ));
                proc::run(self.command("rustup").args(["component", "add", component]))?;
            }
        }
        Ok(())
    }

    /// trunk at exactly [`TRUNK_VERSION`].
    pub fn ensure_trunk(&self) -> Result<(), String> {
        let found = self.version_of("trunk");
        if found.as_deref().and_then(second_word) == Some(TRUNK_VERSION) {
            return Ok(());
        }
        note(&format!(
            "installing trunk {TRUNK_VERSION} (builds and serves the web app; takes minutes): {}",
            found_text("trunk", found.as_deref())
        ));
        proc::run(self.command("cargo").args([
            "install",
            "--locked",
            &format!("trunk@{TRUNK_VERSION}"),
        ]))?;
        match self.version_of("trunk") {
            Some(v) if second_word(&v) == Some(TRUNK_VERSION) => Ok(()),
            other => Err(format!(
                "after installing, {}",
                found_text("trunk", other.as_deref())
            )),
        }
    }

    /// `wasm-bindgen` and `wasm-bindgen-test-runner` at the version locked in Cargo.lock.
    pub fn ensure_wasm_bindgen(&mut self) -> Result<(), String> {
        let lock_path = self.root.join("Cargo.lock");
        let lock = fs::read_to_string(&lock_path)
            .map_err(|e| format!("reading {}: {e}", lock_path.display()))?;
        let want = lockfile::locked_version(&lock, "wasm-bindgen")?;
        self.wasm_bindgen_version = Some(want.clone());
        let matches = |tb: &Toolbox| {
            ["wasm-bindgen", "wasm-bindgen-test-runner"]
                .iter()
                .all(|bin| {
                    tb.version_of(bin).as_deref().and_then(second_word) == Some(want.as_str())
                })
        };
        if matches(self) {
            return Ok(());
        }
        note(&format!(
            "installing wasm-bindgen-cli {want} (must equal the wasm-bindgen crate in Cargo.lock, \
             or trunk would try to download its own): {}; {}",
            found_text("wasm-bindgen", self.version_of("wasm-bindgen").as_deref()),
            found_text(
                "wasm-bindgen-test-runner",
                self.version_of("wasm-bindgen-test-runner").as_deref()
            ),
        ));
        // Not --locked: the registry mirror lacks one of the CLI's locked dependency versions.
        proc::run(
            self.command("cargo")
                .args(["install", "wasm-bindgen-cli", "--version", &want]),
        )?;
        if matches(self) {
            Ok(())
        } else {
            Err(format!(
                "after installing, wasm-bindgen reports {:?}, not {want}",
                self.version_of("wasm-bindgen")
            ))
        }
    }

    /// wasm-opt 132 first on PATH, from npm's `binaryen` installed under target/tools; when it
    /// cannot be had, wasm-opt is switched off (with a note) rather than failing the build.
    pub fn ensure_wasm_opt(&mut self) {
        match self.find_or_install_wasm_opt() {
            Ok(()) => self.wasm_opt = Some(WASM_OPT_VERSION.to_string()),
            Err(why) => {
                self.wasm_opt = None;
                note(&format!(
                    "wasm-opt is switched off ({why}); release builds will be larger but work"
                ));
            }
        }
    }

    fn find_or_install_wasm_opt(&mut self) -> Result<(), String> {
        let local_bin = self
            .tools_dir()
            .join("binaryen")
            .join("node_modules")
            .join(".bin");
        // Our local copy first, so a system wasm-opt of another version never shadows it.
        self.prepend_path(local_bin.clone());
        let found = self.version_of("wasm-opt");
        if found.as_deref().and_then(binaryen_version) == Some(WASM_OPT_VERSION) {
            return Ok(());
        }
        if self.which("npm").is_none() {
            return Err("npm is not installed, so npm's binaryen cannot be had".into());
        }
        note(&format!(
            "installing binaryen {BINARYEN_NPM_VERSION} from npm into {} (its wasm-opt shrinks \
             release wasm; Debian's binaryen is too old): {}",
            local_bin.display(),
            found_text("wasm-opt", found.as_deref())
        ));
        self.npm_install("binaryen", &format!("binaryen@{BINARYEN_NPM_VERSION}"))?;
        match self.version_of("wasm-opt") {
            Some(v) if binaryen_version(&v) == Some(WASM_OPT_VERSION) => Ok(()),
            other => Err(format!(
                "after installing, {}",
                found_text("wasm-opt", other.as_deref())
            )),
        }
    }

    /// `npm install` of one exact package into `target/tools/<dir>`, without a lock file.
    fn npm_install(&self, dir: &str, spec: &str) -> Result<PathBuf, String> {
        let prefix = self.tools_dir().join(dir);
        fs::create_dir_all(&prefix).map_err(|e| format!("creating {}: {e}", prefix.display()))?;
        // A package.json of our own stops npm from walking up and installing into the repo.
        let manifest = prefix.join("package.json");
        if !manifest.exists() {
            fs::write(&manifest, "{ \"private\": true }\n")
                .map_err(|e| format!("writing {}: {e}", manifest.display()))?;
        }
        proc::run(
            self.command("npm")
                .args([
                    "install",
                    "--no-save",
                    "--no-package-lock",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                ])
                .arg(&prefix)
                .arg(spec),
        )?;
        Ok(prefix.join("node_modules"))
    }

    /// Node.js at least [`MIN_NODE_MAJOR`] with npm, from apt when missing.
    pub fn ensure_node(&mut self) -> Result<(), String> {
        let ok = |tb: &Toolbox| {
            let major = tb.version_of("node").as_deref().and_then(node_major);
            major.is_some_and(|m| m >= MIN_NODE_MAJOR) && tb.version_of("npm").is_some()
        };
        if ok(self) {
            return Ok(());
        }
        self.apt_install(
            &["nodejs", "npm"],
            &format!(
                "the e2e test runs on Node.js >= {MIN_NODE_MAJOR} with npm: {}",
                found_text("node", self.version_of("node").as_deref())
            ),
        )?;
        if ok(self) {
            Ok(())
        } else {
            Err(format!(
                "need Node.js >= {MIN_NODE_MAJOR} with npm; {}",
                found_text("node", self.version_of("node").as_deref())
            ))
        }
    }

    /// playwright-core under target/tools/e2e; returns its `node_modules` for NODE_PATH.
    pub fn ensure_playwright(&self) -> Result<PathBuf, String> {
        let modules = self.tools_dir().join("e2e").join("node_modules");
        let manifest = modules.join("playwright-core").join("package.json");
        let installed = fs::read_to_string(&manifest)
            .ok()
            .and_then(|text| json_string_field(&text, "version"));
        if installed.as_deref() == Some(PLAYWRIGHT_CORE_VERSION) {
            return Ok(modules);
        }
        note(&format!(
            "installing playwright-core {PLAYWRIGHT_CORE_VERSION} from npm (drives chromium in \
             the e2e test; it downloads no browser): {}",
            match installed {
                Some(v) => format!("found {v}"),
                None => "not installed".into(),
            }
        ));
        self.npm_install("e2e", &format!("playwright-core@{PLAYWRIGHT_CORE_VERSION}"))
    }

    /// Debian's chromium and chromium-driver of the same major version; returns their paths.
    pub fn ensure_chromium(&mut self) -> Result<Browser, String> {
        let why = match self.find_chromium() {
            Ok(browser) => return Ok(browser),
            Err(why) => why,
        };
        self.apt_install(
            &["chromium", "chromium-driver"],
            &format!("the wasm and e2e tests run in headless chromium: {why}"),
        )?;
        self.find_chromium()
    }

    fn find_chromium(&self) -> Result<Browser, String> {
        let browser = self.which("chromium").ok_or("chromium not found")?;
        let driver = self.which("chromedriver").ok_or("chromedriver not found")?;
        // Debian's /usr/bin/chromium wrapper prints shell noise on stderr; stdout is clean.
        let bv = proc::version_line(&browser, &["--version"])
            .ok_or_else(|| format!("`{} --version` failed", browser.display()))?;
        let dv = proc::version_line(&driver, &["--version"])
            .ok_or_else(|| format!("`{} --version` failed", driver.display()))?;
        let (bm, dm) = (chrome_major(&bv), chrome_major(&dv));
        match (bm, dm) {
            (Some(b), Some(d)) if b == d => Ok(Browser {
                chromium: browser,
                chromedriver: driver,
                version: bv,
            }),
            _ => Err(format!(
                "chromium ({bv}) and chromedriver ({dv}) are not the same version"
            )),
        }
    }

    /// `apt-get install -y` (after one `apt-get update`), as root or through `sudo -n`.
    fn apt_install(&mut self, packages: &[&str], why: &str) -> Result<(), String> {
        note(&format!(
            "installing {} with apt-get: {why}",
            packages.join(", ")
        ));
        if !self.apt_updated {
            proc::run(&mut self.apt_get(&["update"]))?;
            self.apt_updated = true;
        }
        let mut args = vec!["install", "-y"];
        args.extend_from_slice(packages);
        proc::run(&mut self.apt_get(&args))
    }

    fn apt_get(&self, args: &[&str]) -> Command {
        let mut cmd = if is_root() {
            self.command("apt-get")
        } else {
            let mut sudo = self.command("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    }
}

/// Paths of the browser pair the tests use.
pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    pub version: String,
}

/// Prints why something is being installed or switched off.
pub fn note(text: &str) {
    println!("xtask: {text}");
}

fn cargo_home() -> PathBuf {
    if let Some(home) = env::var_os("CARGO_HOME") {
        return PathBuf::from(home);
    }
    env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cargo"))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}

fn is_root() -> bool {
    proc::version_line("id", &["-u"]).as_deref() == Some("0")
}

fn found_text(tool: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("found `{v}`"),
        None => format!("`{tool}` not found"),
    }
}

/// `"trunk 0.21.14"` → `"0.21.14"`.
fn second_word(line: &str) -> Option<&str> {
    line.split_whitespace().nth(1)
}

/// `"wasm-opt version 132 (version_132)"` → `"version_132"`, the form trunk compares.
fn binaryen_version(line: &str) -> Option<&str> {
    line.split(|c: char| c == '(' || c == ')' || c.is_whitespace())
        .find(|w| {
            w.strip_prefix("version_")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// `"v20.20.2"` → 20.
fn node_major(line: &str) -> Option<u64> {
    line.trim()
        .strip_prefix('v')?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// `"Chromium 156.0.8078.108 built on Debian"` or `"ChromeDriver 156.0.8078.108 (…)"` → 156.
fn chrome_major(line: &str) -> Option<u64> {
    line.split_whitespace()
        .nth(1)?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// The string value of a top-level `"field": "value"` in a small JSON file such as a
/// package.json; good enough for npm's own manifests, which we only read.
fn json_string_field(json: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\"");
    let after = &json[json.find(&key)? + key.len()..];
    let after = after.trim_start().strip_prefix(':')?.trim_start();
    let value = after.strip_prefix('"')?;
    Some(value[..value.find('"')?].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_lines_of_each_tool() {
        assert_eq!(second_word("trunk 0.21.14"), Some("0.21.14"));
        assert_eq!(second_word("wasm-bindgen 0.2.130"), Some("0.2.130"));
        assert_eq!(
            binaryen_version("wasm-opt version 132 (version_132)"),
            Some("version_132")
        );
        assert_eq!(binaryen_version("wasm-opt version 108"), None);
        assert_eq!(node_major("v20.20.2"), Some(20));
        assert_eq!(node_major("20.1"), None);
        assert_eq!(
            chrome_major("Chromium 156.0.8078.108 built on Debian GNU/Linux 12 (bookworm)"),
            Some(156)
        );
        assert_eq!(
            chrome_major("ChromeDriver 156.0.8078.108 (730482a9-refs/branch-heads/8078@{#2244})"),
            Some(156)
        );
    }

    #[test]
    fn json_string_field_reads_npm_manifests() {
        let manifest = r#"{ "name": "playwright-core", "version" : "1.65.1", "bin": {} }"#;
        assert_eq!(
            json_string_field(manifest, "version"),
            Some("1.65.1".into())
        );
        assert_eq!(json_string_field(manifest, "missing"), None);
        assert_eq!(json_string_field(manifest, "bin"), None);
    }
}
