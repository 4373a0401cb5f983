//! Shared helpers for the integration tests: a throw-away site folder, a way
//! to run the real `kpot` binary on it, and small readers for what it wrote.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A site folder in a fresh temporary directory.
pub struct Site {
    dir: tempfile::TempDir,
}

/// What one run of `kpot` said.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the whole output unless the run exited 0.
    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(self.code, Some(0), "kpot failed:\n{}", self.stderr);
        self
    }

    /// Panics with the whole output unless the run exited with `code`.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless stdout contains `text`.
    #[track_caller]
    pub fn prints(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "stdout should contain {text:?}:\n{}",
            self.stdout
        );
        self
    }

    /// Panics if stderr contains `text`.
    #[track_caller]
    pub fn never_says(&self, text: &str) -> &Run {
        assert!(
            !self.stderr.contains(text),
            "stderr should not contain {text:?}:\n{}",
            self.stderr
        );
        self
    }

    /// Panics unless stderr contains `text`.
    #[track_caller]
    pub fn says(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "stderr should contain {text:?}:\n{}",
            self.stderr
        );
        self
    }
}

impl Site {
    /// An empty site folder (no config.toml, no data, no content).
    pub fn empty() -> Site {
        Site {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// A portal-shaped site: a base URL, the partner `kip` (and `igren`),
    /// and the events and notices sections with kip's transparent folders.
    pub fn portal() -> Site {
        let site = Site::empty();
        site.file("config.toml", "base_url = \"https://example.org\"\n");
        site.file(
            "data/organizations.yaml",
            "- id: kip\n  name: {ja: 神奈川産業振興センター, en: KIP}\n- id: igren\n  name: {ja: アイグレン, en: Igren}\n",
        );
        site.file(
            "content/events/_index.md",
            "+++\ntitle = \"イベント\"\n+++\n",
        );
        site.file(
            "content/events/kip/_index.md",
            "+++\ntitle = \"KIP のイベント\"\ntransparent = true\n+++\n",
        );
        site.file(
            "content/notices/_index.md",
            "+++\ntitle = \"お知らせ\"\n+++\n",
        );
        site.file(
            "content/notices/kip/_index.md",
            "+++\ntitle = \"KIP のお知らせ\"\ntransparent = true\n+++\n",
        );
        site
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn public(&self) -> PathBuf {
        self.root().join("public")
    }

    /// Writes a text file (creating folders) relative to the site root.
    pub fn file(&self, rel: &str, text: &str) -> &Site {
        self.bytes(rel, text.as_bytes())
    }

    pub fn bytes(&self, rel: &str, bytes: &[u8]) -> &Site {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        self
    }

    pub fn remove(&self, rel: &str) -> &Site {
        std::fs::remove_file(self.root().join(rel)).unwrap();
        self
    }

    /// Runs `kpot build --root SITE --lang en ARGS…`.
    pub fn build(&self, args: &[&str]) -> Run {
        let mut all = vec!["--lang", "en"];
        all.extend_from_slice(args);
        self.build_raw(&all)
    }

    /// Runs `kpot build --root SITE ARGS…` with no language chosen.
    pub fn build_raw(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_kpot"))
            .arg("build")
            .arg("--root")
            .arg(self.root())
            .args(args)
            .env_remove("LANG")
            .env_remove("LC_ALL")
            .env("NO_COLOR", "1")
            .output()
            .expect("kpot runs");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `kpot --root SITE ARGS…` (any command) with no LANG, so
    /// messages are Japanese unless ARGS choose otherwise.
    pub fn kpot(&self, args: &[&str]) -> Run {
        self.kpot_with(args, &[], None)
    }

    /// Runs `kpot --root SITE ARGS…` with extra environment variables and,
    /// optionally, text on standard input.
    pub fn kpot_with(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
        use std::io::Write as _;
        let mut command = Command::new(env!("CARGO_BIN_EXE_kpot"));
        command
            .arg("--root")
            .arg(self.root())
            .args(args)
            .env_remove("LANG")
            .env_remove("LC_ALL")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("kpot runs");
        let input = stdin.unwrap_or("").to_string();
        let mut pipe = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
        let output = child.wait_with_output().expect("kpot finishes");
        writer.join().unwrap();
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `kpot --lang en check --now 2027-01-10 ARGS…`.
    pub fn check(&self, args: &[&str]) -> Run {
        let mut all = vec!["--lang", "en", "check", "--now", "2027-01-10"];
        all.extend_from_slice(args);
        self.kpot(&all)
    }

    /// Whether `public/REL` exists.
    pub fn has(&self, rel: &str) -> bool {
        self.public().join(rel).exists()
    }

    /// The text of `public/REL`, panicking with a listing if it is missing.
    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        let path = self.public().join(rel);
        match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) => panic!(
                "cannot read public/{rel}: {err}\npublic/ holds:\n{}",
                snapshot(&self.public())
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }

    /// Every file under the site root (relative path → bytes).
    pub fn all_files(&self) -> BTreeMap<String, Vec<u8>> {
        snapshot(self.root())
    }

    /// Names directly inside the site root.
    pub fn top_level(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// Every file below `dir`, by `/`-separated relative path.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                // A link (`public` → its generation) is recorded as where it
                // points, not followed: the generations are walked anyway.
                let bytes = if kind.is_symlink() {
                    let target = std::fs::read_link(&path).unwrap();
                    format!("-> {}", target.display()).into_bytes()
                } else {
                    std::fs::read(&path).unwrap()
                };
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A TOML basic string literal.
pub fn toml_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A valid onsite event of kip; `start` and `end` are TOML date or date-time
/// literals; `more` is extra `[extra]` lines.
pub fn event(title: &str, start: &str, end: &str, more: &str) -> String {
    format!(
        "+++\ntitle = {}\n[extra]\nstart = {start}\nend = {end}\nformat = \"onsite\"\nvenue = \"産業貿易センター\"\norganizer = \"kip\"\n{more}+++\n本文\n",
        toml_str(title)
    )
}

/// A kip notice; `opens` may be empty.
pub fn notice(title: &str, opens: &str, closes: &str) -> String {
    let opens = if opens.is_empty() {
        String::new()
    } else {
        format!("opens = {opens}\n")
    };
    format!(
        "+++\ntitle = {}\n[extra]\n{opens}closes = {closes}\norganizer = \"kip\"\n+++\n募集します。\n",
        toml_str(title)
    )
}

/// A plain page.
pub fn page(title: &str, front: &str, body: &str) -> String {
    format!("+++\ntitle = {}\n{front}+++\n{body}", toml_str(title))
}

/// Positions of each needle in `haystack`, panicking if one is missing.
#[track_caller]
pub fn positions(haystack: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|n| {
            haystack
                .find(n)
                .unwrap_or_else(|| panic!("{n:?} not found in:\n{haystack}"))
        })
        .collect()
}

/// Panics unless the needles occur in `haystack` in the order given.
#[track_caller]
pub fn assert_in_order(haystack: &str, needles: &[&str]) {
    let at = positions(haystack, needles);
    for pair in at.windows(2).zip(needles.windows(2)) {
        assert!(
            pair.0[0] < pair.0[1],
            "{:?} should come before {:?} in:\n{haystack}",
            pair.1[0],
            pair.1[1]
        );
    }
}

/// The text between the first `start` and the next `end` after it.
#[track_caller]
pub fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found in:\n{text}"))
        + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end:?} not found after {start:?} in:\n{text}"))
        + from;
    &text[from..to]
}

/// The `href` values of `<link rel="alternate" hreflang="…">` in a page, as
/// (lang, href) pairs.
pub fn hreflang_links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<link rel=\"alternate\" hreflang=\"").skip(1) {
        let (lang, rest) = part.split_once('"').unwrap();
        let href = between(rest, "href=\"", "\"");
        out.push((lang.to_string(), href.to_string()));
    }
    out.sort();
    out
}

/// The canonical link of a page.
pub fn canonical(html: &str) -> String {
    between(html, "<link rel=\"canonical\" href=\"", "\"").to_string()
}

/// A copy of the repository's bundled portal (content, data, search
/// configuration, config.toml) in a fresh folder, built with the given
/// `--now`; the search and server tests read its index and public/.
pub fn bundled_portal(now: &str) -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sub in ["content", "data", "search-index"] {
        copy_tree(&repo.join(sub), &dir.path().join(sub));
    }
    std::fs::copy(repo.join("config.toml"), dir.path().join("config.toml")).unwrap();
    build_at(dir.path(), now);
    dir
}

/// Runs `kpot build --now NOW --root ROOT` and insists it succeeds.
pub fn build_at(root: &Path, now: &str) {
    let status = Command::new(env!("CARGO_BIN_EXE_kpot"))
        .args(["build", "--now", now, "--root"])
        .arg(root)
        .status()
        .unwrap();
    assert!(status.success(), "kpot build failed in {}", root.display());
}

/// Copies a folder, leaving out built search indexes (`index/`).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            if entry.file_name() != "index" {
                copy_tree(&entry.path(), &target);
            }
        } else if kind.is_symlink() {
            // `public` links to its generation (relative, so the copy's
            // link points into the copy).
            let link = std::fs::read_link(entry.path()).unwrap();
            std::os::unix::fs::symlink(link, target).unwrap();
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The status code of `GET path` on a local server, or `None` while it
/// does not answer (yet).
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    reply.split(' ').nth(1)?.parse().ok()
}

/// A `kpot serve` started with `--port 0`, its address read from what it
/// prints, and the rest of its log gathered so it never blocks on a full
/// pipe (shown when a browser test fails).
pub struct Serving {
    pub child: std::process::Child,
    pub address: String,
    log: Option<std::thread::JoinHandle<Vec<String>>>,
}

impl Serving {
    /// Spawns `command` (a `kpot … serve --port 0 …`) with its standard
    /// error piped, and waits for the line with its address.
    pub fn start(mut command: Command) -> Serving {
        use std::io::{BufRead, BufReader};
        let mut child = command
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kpot serve starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
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
                    let _ = child.kill();
                    panic!("kpot serve did not start:\n{}", said.join("\n"));
                }
            }
        };
        let log = std::thread::spawn(move || lines.map_while(Result::ok).collect());
        Serving {
            child,
            address,
            log: Some(log),
        }
    }

    /// Stops the server with SIGTERM (so it removes its temporary index)
    /// and returns what it printed after its address.
    pub fn stop(mut self) -> Vec<String> {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        self.log
            .take()
            .and_then(|log| log.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if self.log.is_some() {
            let _ = Command::new("kill")
                .arg(self.child.id().to_string())
                .status();
            let _ = self.child.wait();
        }
    }
}
