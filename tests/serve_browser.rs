//! `kpot serve` in a real browser: headless Chromium, driven by
//! playwright-core (tests/browser/serve.mjs), sees a page reload by itself
//! after an edit, the error overlay after a broken save (and on a page
//! opened meanwhile), the overlay cleared by the fix, and a stylesheet
//! swapped without a reload.
//!
//! Needs Node.js, `/usr/bin/chromium` and playwright-core installed in
//! tests/browser/node_modules: `bash .ci/install-deps` installs them. A
//! missing piece fails the test with that advice; it never passes silently.

mod common;

use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn require_browser_tools(browser_dir: &Path) {
    let mut missing = Vec::new();
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node (Node.js)".to_string());
    }
    if !Path::new(CHROMIUM).is_file() {
        missing.push(CHROMIUM.to_string());
    }
    if !browser_dir
        .join("node_modules/playwright-core/package.json")
        .is_file()
    {
        missing.push(format!(
            "{}/node_modules/playwright-core",
            browser_dir.display()
        ));
    }
    assert!(
        missing.is_empty(),
        "the browser test needs {}: run `bash .ci/install-deps`",
        missing.join(", ")
    );
}

#[test]
fn pages_reload_and_show_errors_in_chromium() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = repo.join("tests/browser");
    require_browser_tools(&browser_dir);

    let site = tempfile::tempdir().unwrap();
    for sub in ["content", "data", "search-index", "themes"] {
        common::copy_tree(&repo.join(sub), &site.path().join(sub));
    }
    std::fs::copy(repo.join("config.toml"), site.path().join("config.toml")).unwrap();

    let mut command = Command::new(env!("CARGO_BIN_EXE_kpot"));
    command.arg("--root").arg(site.path()).args([
        "--lang",
        "en",
        "serve",
        "--port",
        "0",
        "--now",
        "2026-11-22",
    ]);
    let serve = common::Serving::start(command);
    let address = serve.address.clone();

    let output = Command::new("node")
        .arg(browser_dir.join("serve.mjs"))
        .arg(format!("http://{address}"))
        .arg(site.path())
        .current_dir(&browser_dir)
        .output()
        .expect("node runs");
    let server_log = serve.stop();
    assert!(
        output.status.success(),
        "the browser test failed\n--- node stdout:\n{}\n--- node stderr:\n{}\n--- kpot serve:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server_log.join("\n")
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("serve.mjs: all passed"));
}
