//! The web editor at `/admin/` end to end in a real browser: Decap CMS in
//! headless Chromium (tests/browser/cms.mjs), its local backend
//! `decap-server` writing into a copy of the bundled site, and `kpot serve`
//! serving what it wrote.
//!
//! - Directly (decap-server's fs mode): the partner creates an event through
//!   the form, the file lands in the partner's folder and passes `kpot
//!   check`, its page is served, an edit is served, and a required field
//!   left empty is refused.
//! - Through review (git mode, the editorial workflow of the Git host): the
//!   save is a branch `cms/events/kip/…` that the pull-request check passes;
//!   once ready and published it is merged and served.
//!
//! Needs Node.js, `/usr/bin/chromium`, playwright-core in
//! tests/browser/node_modules and decap-server in node_modules (the
//! repository's package.json): `bash .ci/install-deps` installs them. A
//! missing piece fails the test with that advice.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // SIGTERM first, so kpot serve removes its temporary index.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn require_tools(repo: &Path) {
    let mut missing = Vec::new();
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node (Node.js)".to_string());
    }
    for needed in [
        "/usr/bin/chromium",
        "tests/browser/node_modules/playwright-core/package.json",
        "node_modules/decap-server/dist/index.js",
    ] {
        let path = repo.join(needed);
        if !path.exists() {
            missing.push(path.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "the editor's browser test needs {}: run `bash .ci/install-deps`",
        missing.join(", ")
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn git(site: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(site)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// A copy of the bundled site, with the editor's local backend and `kpot
/// serve` running on it, and cms.mjs's report of what the browser did.
fn run_editor(mode: &str) -> (tempfile::TempDir, serde_json::Value) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    require_tools(repo);
    let site = tempfile::tempdir().unwrap();
    for sub in ["content", "data", "themes"] {
        common::copy_tree(&repo.join(sub), &site.path().join(sub));
    }
    std::fs::copy(repo.join("config.toml"), site.path().join("config.toml")).unwrap();
    let review = mode == "review";
    if review {
        // decap-server's git mode works in a repository on `main`; it reads
        // git's list of changed files, which must name files as they are
        // (not octal-quoted) for the Japanese folder names titles give.
        git(site.path(), &["init", "--quiet", "-b", "main"]);
        for (key, value) in [
            ("user.name", "kpot test"),
            ("user.email", "test@example.jp"),
            ("core.quotePath", "false"),
            ("commit.gpgsign", "false"),
        ] {
            git(site.path(), &["config", key, value]);
        }
        git(site.path(), &["add", "-A"]);
        git(site.path(), &["commit", "--quiet", "-m", "the portal"]);
    }

    // Decap's local backend, writing into the copy (as the README tells
    // editors to run it).
    let proxy_port = free_port();
    let mut proxy = Killed(
        Command::new("node")
            .arg(repo.join("node_modules/decap-server/dist/index.js"))
            .env("GIT_REPO_DIRECTORY", site.path())
            .env("PORT", proxy_port.to_string())
            .env("BIND_HOST", "127.0.0.1")
            .env("MODE", if review { "git" } else { "fs" })
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("decap-server starts"),
    );
    let mut proxy_lines = BufReader::new(proxy.0.stdout.take().unwrap()).lines();
    loop {
        match proxy_lines.next() {
            Some(Ok(line)) if line.contains("listening") => break,
            Some(Ok(_)) => {}
            _ => panic!("decap-server did not start"),
        }
    }
    std::thread::spawn(move || for _ in proxy_lines {});

    let mut command = Command::new(env!("CARGO_BIN_EXE_kpot"));
    command
        .arg("--root")
        .arg(site.path())
        .args(["serve", "--port", "0", "--cms-proxy"])
        .arg(format!("http://127.0.0.1:{proxy_port}/api/v1"))
        .args(if review { &["--cms-review"][..] } else { &[] });
    let serve = common::Serving::start(command);
    let address = serve.address.clone();

    let shots = repo.join("target/browser-screenshots");
    let output = Command::new("node")
        .arg(repo.join("tests/browser/cms.mjs"))
        .arg(mode)
        .arg(format!("http://{address}"))
        .arg(site.path())
        .arg(&shots)
        .arg(env!("CARGO_BIN_EXE_kpot"))
        .current_dir(repo.join("tests/browser"))
        .output()
        .expect("node runs");
    let log = serve.stop();
    drop(proxy);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    println!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("cms.mjs: all passed"),
        "the editor's browser test failed\n--- node stdout:\n{stdout}\n--- node stderr:\n{}\n--- kpot serve:\n{}",
        String::from_utf8_lossy(&output.stderr),
        log.join("\n")
    );

    let report: serde_json::Value = serde_json::from_str(
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("cms.mjs report: "))
            .expect("a report line"),
    )
    .unwrap();
    (site, report)
}

/// `kpot check` on the whole site: exit 0, and nothing said about `path`.
fn assert_checks_clean(site: &Path, path: &str) {
    let check = Command::new(env!("CARGO_BIN_EXE_kpot"))
        .arg("--root")
        .arg(site)
        .args(["--lang", "en", "check"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stderr).to_string()
        + &String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{said}");
    assert!(!said.contains(path), "the new event has problems:\n{said}");
}

#[test]
fn a_partner_posts_an_event_through_the_web_editor() {
    let (site, report) = run_editor("direct");
    // The file is an ordinary partner item: in the partner's folder, named
    // after its date, with the fields the form was given.
    let path = report["created"]["path"].as_str().unwrap();
    let folder = path
        .strip_prefix("content/events/kip/")
        .and_then(|p| p.strip_suffix("/index.ja.md"))
        .unwrap_or_else(|| panic!("not a bundle in the partner's folder: {path}"));
    assert!(
        folder.len() > 11 && folder.as_bytes()[4] == b'-' && folder.as_bytes()[10] == b'-',
        "{folder}"
    );
    let text = report["edited"]["text"].as_str().unwrap();
    for line in [
        "title = \"ものづくり商談会 2027\"",
        "[extra]",
        "start = \"2027-03-10T13:30:00+09:00\"",
        "format = \"onsite\"",
        "venue = \"神奈川県産業振興センター\"",
        "organizer = \"kip\"",
        "fee = 0",
        "categories = [ \"販路開拓\" ]",
    ] {
        assert!(text.contains(line), "{line} is not in\n{text}");
    }
    assert!(
        text.find("[extra]") > text.find("[taxonomies]"),
        "tables in Zola's order:\n{text}"
    );
    // And `kpot check` accepts it with the rest of the portal.
    assert_checks_clean(site.path(), path);
    println!(
        "page served {} ms after the file was written; edit served {} ms after it was saved",
        report["created"]["served_ms_after_file"], report["edited"]["served_ms"]
    );
}

#[test]
fn a_partners_post_goes_through_review_before_it_is_published() {
    let (site, report) = run_editor("review");
    let check = &report["check"];
    assert_eq!(check["status"], 0, "{check}");
    let changed: Vec<&str> = check["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        !changed.is_empty() && changed.iter().all(|c| c.starts_with("content/events/kip/")),
        "the branch changes only the partner's folder: {changed:?}"
    );
    let path = report["published"]["path"].as_str().unwrap();
    assert!(site.path().join(path).is_file());
    assert_checks_clean(site.path(), path);
}
