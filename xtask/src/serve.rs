//! `cargo xtask serve`: install what the web build needs, then hand over to `trunk serve`.

use crate::proc;
use crate::tools::{note, Toolbox};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The page trunk builds; it holds the `data-trunk` links.
const INDEX: &str = "index.html";
/// A copy of [`INDEX`] with wasm-opt switched off, written beside it (so its relative links
/// still resolve) when a release build cannot have wasm-opt.
const INDEX_NO_WASM_OPT: &str = "index.no-wasm-opt.html";

pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let mut tools = Toolbox::new(root);
    if let Err(e) = install_web_tools(&mut tools) {
        eprintln!("xtask: cannot serve: {e}");
        return ExitCode::FAILURE;
    }
    let release = args
        .iter()
        .any(|a| a == "--release" || a == "--release=true");
    let mut cmd = match trunk(&tools, "serve", release) {
        Ok(cmd) => cmd,
        Err(e) => {
            eprintln!("xtask: cannot serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Address and port default to 127.0.0.1:8080 in Trunk.toml; `--address`/`--port` override.
    cmd.args(args);
    match proc::run(&mut cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The installs both `serve` and `test` need before trunk can build the page.
pub fn install_web_tools(tools: &mut Toolbox) -> Result<(), String> {
    tools.ensure_wasm_target()?;
    tools.ensure_wasm_bindgen()?;
    tools.ensure_trunk()?;
    tools.ensure_wasm_opt();
    // Trunk runs cargo offline (see `trunk`), so the crates must be in the cache first.
    proc::run(tools.command("cargo").args(["fetch", "--quiet"]))
}

/// `trunk <subcommand>` set up never to download anything: offline (which also skips its update
/// check and makes its cargo offline) with the tool versions pinned through the environment.
/// For a release build without wasm-opt it targets a copy of the page with wasm-opt off.
pub fn trunk(tools: &Toolbox, subcommand: &str, release: bool) -> Result<Command, String> {
    let mut cmd = tools.command("trunk");
    cmd.arg(subcommand).env("TRUNK_OFFLINE", "true");
    if release && tools.wasm_opt.is_none() {
        let page = write_page_without_wasm_opt(tools.root())?;
        note(&format!(
            "building {} instead of {INDEX}: the same page with data-wasm-opt=\"0\"",
            page.display()
        ));
        cmd.arg(page);
    }
    Ok(cmd)
}

fn write_page_without_wasm_opt(root: &Path) -> Result<PathBuf, String> {
    let src = root.join(INDEX);
    let html = fs::read_to_string(&src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    let off = switch_wasm_opt_off(&html).ok_or_else(|| {
        format!(
            "{} has no data-wasm-opt attribute to switch off",
            src.display()
        )
    })?;
    let dst = root.join(INDEX_NO_WASM_OPT);
    fs::write(&dst, off).map_err(|e| format!("writing {}: {e}", dst.display()))?;
    Ok(dst)
}

/// The page with every `data-wasm-opt="…"` value replaced by `"0"`, or `None` if it has none.
fn switch_wasm_opt_off(html: &str) -> Option<String> {
    const ATTR: &str = "data-wasm-opt=\"";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut found = false;
    while let Some(at) = rest.find(ATTR) {
        let value_start = at + ATTR.len();
        let value_len = rest[value_start..].find('"')?;
        out.push_str(&rest[..value_start]);
        out.push('0');
        rest = &rest[value_start + value_len..];
        found = true;
    }
    out.push_str(rest);
    found.then_some(out)
}

/// `trunk build --release` of the page into `dist`, with root-relative URLs (what the e2e test
/// and `cargo xtask measure` serve).
pub fn release_build(tools: &Toolbox, dist: &Path) -> Result<(), String> {
    trunk(tools, "build", true).and_then(|mut cmd| {
        proc::run(
            cmd.arg("--release")
                .arg("--dist")
                .arg(dist)
                .args(["--public-url", "/"]),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_opt_is_switched_off_in_place() {
        let html = r#"<link data-trunk rel="rust" href="web/Cargo.toml" data-wasm-opt="z" />"#;
        assert_eq!(
            switch_wasm_opt_off(html).as_deref(),
            Some(r#"<link data-trunk rel="rust" href="web/Cargo.toml" data-wasm-opt="0" />"#)
        );
        assert_eq!(
            switch_wasm_opt_off("<link data-trunk rel=\"rust\" />"),
            None
        );
        assert_eq!(switch_wasm_opt_off("data-wasm-opt=\"z"), None);
    }

    #[test]
    fn the_real_page_can_have_wasm_opt_switched_off() {
        let html = include_str!("../../index.html");
        assert!(switch_wasm_opt_off(html).is_some());
    }
}
