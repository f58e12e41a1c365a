//! `cargo xtask measure`: the page's size and speed, measured in headless Chromium.
//!
//! Builds the release site, then drives it with the same node + playwright-core harness as the
//! e2e test (`tests/e2e/measure.cjs`), which prints:
//! * the wasm + JS size, gzipped (goal ≤ 300 KB);
//! * the time from navigation to the first drawn diagram on loopback (goal ≤ 500 ms);
//! * p50 / p95 of the work per animation frame with 10 nodes, 100 pods and 200 requests/s
//!   (goal p95 ≤ 6 ms), and the frame rate with 1,000 pods (goal ≥ 30 fps).

use crate::proc;
use crate::serve;
use crate::tools::Toolbox;
use std::path::Path;
use std::process::ExitCode;

pub fn run(root: &Path, args: &[String]) -> ExitCode {
    if let Some(arg) = args.first() {
        eprintln!("xtask: `cargo xtask measure` takes no arguments (got `{arg}`)");
        return ExitCode::from(2);
    }
    let mut tools = Toolbox::new(root);
    let prepared = serve::install_web_tools(&mut tools)
        .and_then(|()| tools.ensure_chromium())
        .and_then(|browser| {
            tools.ensure_node()?;
            let modules = tools.ensure_playwright()?;
            Ok((browser, modules))
        });
    let (browser, modules) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("xtask: cannot measure: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dist = root.join("target").join("measure").join("dist");
    if let Err(e) = serve::release_build(&tools, &dist) {
        eprintln!("xtask: release build failed: {e}");
        return ExitCode::FAILURE;
    }
    let status = proc::run(
        tools
            .command("node")
            .arg(root.join("tests").join("e2e").join("measure.cjs"))
            .arg("--dist")
            .arg(&dist)
            .arg("--chromium")
            .arg(&browser.chromium)
            .env("NODE_PATH", &modules),
    );
    match status {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
