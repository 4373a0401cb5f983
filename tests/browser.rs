//! The theme in a real browser: builds the bundled portal with the browser
//! fixture laid over it (`tests/browser/site/`), starts `kpot server` on a
//! free port and runs `tests/browser/run.mjs` in Node, which drives Debian's
//! headless Chromium through playwright-core and runs axe-core on each page.
//! Screenshots and axe's findings go to `target/browser-screenshots/`.
//!
//! Needs `/usr/bin/chromium` and `tests/browser/node_modules`: run
//! `bash .ci/install-deps`. Without them this test fails; it never skips.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2027-02-15";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Fails with what is missing and how to install it.
fn require_browser_tools() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let modules = repo().join("tests/browser/node_modules");
    let mut missing = Vec::new();
    if !Path::new(&chromium).exists() {
        missing.push(format!("Chromium ({chromium})"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("Node.js (node)".to_string());
    }
    for package in ["playwright-core", "axe-core"] {
        if !modules.join(package).join("package.json").exists() {
            missing.push(format!(
                "the npm package {package} in tests/browser/node_modules"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "the browser tests need {}: run `bash .ci/install-deps`",
        missing.join(", ")
    );
}

/// The bundled portal plus the browser fixture, built with `--now NOW`.
fn fixture_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["content", "data", "search-index"] {
        common::copy_tree(&repo().join(sub), &root.join(sub));
    }
    std::fs::copy(repo().join("config.toml"), root.join("config.toml")).unwrap();
    let fixture = repo().join("tests/browser/site");
    common::copy_tree(&fixture.join("content"), &root.join("content"));
    let mut orgs = std::fs::read_to_string(root.join("data/organizations.yaml")).unwrap();
    orgs.push_str(&std::fs::read_to_string(fixture.join("organizations.yaml")).unwrap());
    std::fs::write(root.join("data/organizations.yaml"), orgs).unwrap();
    common::build_at(root, NOW);
    dir
}

/// Stops the server even when an assertion fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `kpot server` on a free port, once `/healthz` answers 200.
fn start_server(root: &Path) -> (Server, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_kpot"))
            .args(["server", "--port", &port.to_string(), "--root"])
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kpot server starts"),
    );
    let started = Instant::now();
    while common::http_status(port, "/healthz") != Some(200) {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("kpot server exited early: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "kpot server did not answer /healthz within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, port)
}

fn screenshot_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp; the screenshots go beside it.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    target.join("browser-screenshots")
}

#[test]
fn the_theme_in_headless_chromium() {
    require_browser_tools();
    let site = fixture_site();
    let (_server, port) = start_server(site.path());
    let shots = screenshot_dir();
    let _ = std::fs::remove_dir_all(&shots);
    let mut node = Command::new("node")
        .arg(repo().join("tests/browser/run.mjs"))
        .arg(format!("http://127.0.0.1:{port}/"))
        .arg(&shots)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut out = node.stdout.take().unwrap();
    let mut err = node.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    // A hung browser must not hang CI: the suite takes well under a minute.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(240) {
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = reader.join().unwrap();
    let stderr = err_reader.join().unwrap();
    let report = format!("{stdout}\n{stderr}");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("report.txt"), &report).unwrap();
    println!("{report}");
    let status = status.unwrap_or_else(|| panic!("the browser suite ran over 240 s:\n{report}"));
    assert!(
        status.success(),
        "the browser suite failed ({status}):\n{report}"
    );
    assert!(
        stdout.contains("all browser checks passed"),
        "the browser suite did not finish:\n{report}"
    );
}
