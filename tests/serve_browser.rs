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

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

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

    let mut serve = Command::new(env!("CARGO_BIN_EXE_kpot"))
        .arg("--root")
        .arg(site.path())
        .args([
            "--lang",
            "en",
            "serve",
            "--port",
            "0",
            "--now",
            "2026-11-22",
        ])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kpot serve starts");
    let mut lines = BufReader::new(serve.stderr.take().unwrap()).lines();
    let mut said = Vec::new();
    let address = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix("kpot serve: http://") {
                    break rest.split('/').next().unwrap().to_string();
                }
                said.push(line);
            }
            _ => {
                let _ = serve.kill();
                panic!("kpot serve did not start:\n{}", said.join("\n"));
            }
        }
    };
    // Keep reading the log so the server never blocks on a full pipe; it
    // is shown if the browser test fails.
    let log = std::thread::spawn(move || {
        let mut all = Vec::new();
        for line in lines.map_while(Result::ok) {
            all.push(line);
        }
        all
    });

    let output = Command::new("node")
        .arg(browser_dir.join("serve.mjs"))
        .arg(format!("http://{address}"))
        .arg(site.path())
        .current_dir(&browser_dir)
        .output()
        .expect("node runs");
    // SIGTERM, so it removes its temporary index.
    let _ = Command::new("kill").arg(serve.id().to_string()).status();
    let _ = serve.wait();
    let server_log = log.join().unwrap_or_default();
    assert!(
        output.status.success(),
        "the browser test failed\n--- node stdout:\n{}\n--- node stderr:\n{}\n--- kpot serve:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server_log.join("\n")
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("serve.mjs: all passed"));
}
