//! `kpot serve` as a real process: edits seen over HTTP, the incremental
//! result equal to a clean build after each of a series of edits, renames
//! and deletions, and a one-page edit on a 1,000-page site rewriting under 1 %
//! of the files. Waiting is bounded polling, never a fixed sleep.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-22";
/// Long enough for a debug build on a busy machine; polling ends as soon
/// as the condition holds.
const PATIENCE: Duration = Duration::from_secs(120);

/// A running `kpot serve`, stopped when dropped.
struct Serve {
    child: Child,
    address: String,
    lines: Receiver<String>,
    log: Vec<String>,
}

impl Serve {
    fn start(root: &Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kpot"))
            .arg("--root")
            .arg(root)
            .args(["--lang", "en", "serve", "--port", "0", "--now", NOW])
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kpot serve starts");
        let stderr = child.stderr.take().unwrap();
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut serve = Serve {
            child,
            address: String::new(),
            lines,
            log: Vec::new(),
        };
        let line = serve.wait_line(|l| l.starts_with("kpot serve: http://"));
        serve.address = line
            .trim_start_matches("kpot serve: http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        serve
    }

    /// Waits for a line of the log that satisfies `wanted` and returns it.
    #[track_caller]
    fn wait_line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "kpot serve did not say what was expected; it said:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// Waits until a batch naming every path in `paths` has been handled,
    /// and returns its line.
    #[track_caller]
    fn handled(&mut self, paths: &[&str]) -> String {
        let mut seen: Vec<&str> = Vec::new();
        loop {
            let line = self.wait_line(|l| {
                l.starts_with("kpot serve: ")
                    && (l.contains(": rewrote ")
                        || l.contains(" errors;")
                        || l.contains(": nothing to rebuild"))
            });
            for path in paths {
                if line.contains(path) && !seen.contains(path) {
                    seen.push(path);
                }
            }
            if seen.len() == paths.len() {
                return line;
            }
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let (status, body) = http_get(&self.address, path);
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Polls `path` until its text satisfies `wanted`.
    #[track_caller]
    fn poll(&self, path: &str, wanted: impl Fn(u16, &str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (status, text) = self.get(path);
            if wanted(status, &text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never became as expected; last answer {status}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every served file with the hash of its bytes.
    fn manifest(&self) -> BTreeMap<String, String> {
        let (status, body) = self.get("/__kpot/files");
        assert_eq!(status, 200);
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Serve {
    /// SIGTERM, so it removes its temporary index; SIGKILL if need be.
    fn drop(&mut self) {
        let asked = Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .is_ok_and(|s| s.success());
        if !asked {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET (no compression asked for).
fn http_get(address: &str, path: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(address).expect("kpot serve listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

/// The same hash the manifest gives.
fn fnv(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in bytes {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3);
    }
    format!("{hash:016x}")
}

/// The bundled portal with its theme on disk (so templates can be edited).
fn bundled_site() -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sub in ["content", "data", "search-index", "themes"] {
        common::copy_tree(&repo.join(sub), &dir.path().join(sub));
    }
    std::fs::copy(repo.join("config.toml"), dir.path().join("config.toml")).unwrap();
    dir
}

/// A clean `kpot build` of `root` into a folder of its own.
fn clean_build(root: &Path) -> (tempfile::TempDir, BTreeMap<String, String>) {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("public");
    let status = Command::new(env!("CARGO_BIN_EXE_kpot"))
        .arg("--root")
        .arg(root)
        .args(["--lang", "en", "build", "--now", NOW, "-o"])
        .arg(&target)
        .status()
        .unwrap();
    assert!(status.success(), "kpot build failed");
    let files = common::snapshot(&target)
        .into_iter()
        .map(|(path, bytes)| (path, fnv(&bytes)))
        .collect();
    (out, files)
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Saves as many editors do: a temporary file beside the target, renamed
/// over it.
fn atomic_save(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    let temp: PathBuf = path.with_file_name(format!(
        ".{}.tmp-save",
        path.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, &path).unwrap();
}

#[test]
fn an_edit_is_served_over_http_with_the_live_script() {
    let site = bundled_site();
    let root = site.path();
    let serve = Serve::start(root);
    let page = "/events/kip/sales-skills-seminar-202101/";
    let (status, before) = serve.get(page);
    assert_eq!(status, 200, "{before}");
    assert!(before.contains("受注企業向け営業力強化セミナー（2021年1月18日）"));
    // Served HTML carries the live-reload script.
    assert!(before.contains("<script src=\"/__kpot/live.js\"></script></body>"));

    edit(
        root,
        "content/events/kip/2021-01-18-sales-skills-seminar-202101.md",
        "受注企業向け営業力強化セミナー（2021年1月18日）",
        "編集後のセミナー題名",
    );
    serve.poll(page, |status, text| {
        status == 200 && text.contains("編集後のセミナー題名")
    });
    // The list that shows it follows, and the search index knows the new
    // title (updated in place).
    serve.poll("/events/archive/", |_, text| {
        text.contains("編集後のセミナー題名")
    });
    serve.poll(
        "/api/search?q=%E7%B7%A8%E9%9B%86%E5%BE%8C&lang=ja",
        |status, text| status == 200 && text.contains("sales-skills-seminar-202101"),
    );
    let (status, script) = serve.get("/__kpot/live.js");
    assert_eq!(status, 200);
    assert!(script.contains("EventSource"));

    // A build of the same site never contains the script.
    let (out, _) = clean_build(root);
    for (path, bytes) in common::snapshot(&out.path().join("public")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("__kpot"), "{path} has the serve script");
    }
}

#[test]
fn incremental_rebuilds_match_a_clean_build() {
    let site = bundled_site();
    let root = site.path();
    let mut serve = Serve::start(root);
    // The site and its index are ready before the address is printed.
    assert!(serve.log.iter().any(|l| l.contains("search index:")));

    // 1. A title and body edit.
    edit(
        root,
        "content/events/kip/2021-01-18-sales-skills-seminar-202101.md",
        "受注企業向け営業力強化セミナー（2021年1月18日）",
        "題名を変えたセミナー",
    );
    serve.handled(&["2021-01-18-sales-skills-seminar-202101.md"]);
    assert_same_as_build(&serve, root);

    // A date and an organizer change reorder lists and move the page from
    // one organization's page to another's, but move no URL.
    edit(
        root,
        "content/programs/expert-dispatch.md",
        "organizer = \"kip\"",
        "organizer = \"igren\"",
    );
    serve.handled(&["content/programs/expert-dispatch.md"]);
    assert_same_as_build(&serve, root);

    // Edits that move nothing (the plan is kept): text after the summary,
    // the summary itself (lists show it), a description.
    let seminar = "content/events/kip/2021-01-18-sales-skills-seminar-202101.md";
    edit(
        root,
        seminar,
        "## 開催概要",
        "## 開催概要\n\n本文だけを足しました。",
    );
    serve.handled(&["2021-01-18-sales-skills-seminar-202101.md"]);
    edit(
        root,
        seminar,
        "商談スキルの向上を支援する",
        "要約を書き換えて商談スキルの向上を支援する",
    );
    serve.handled(&["2021-01-18-sales-skills-seminar-202101.md"]);
    edit(
        root,
        "content/programs/business-succession.md",
        "description = \"",
        "description = \"説明を足しました。",
    );
    serve.handled(&["content/programs/business-succession.md"]);
    assert_same_as_build(&serve, root);

    // 2. A new page, with a category no page had.
    let original = std::fs::read_to_string(
        root.join("content/events/kip/2021-01-18-sales-skills-seminar-202101.md"),
    )
    .unwrap();
    let new_page = original
        .replace("題名を変えたセミナー", "新しく加えたセミナー")
        .replace("date = 2021-01-18", "date = 2026-12-01")
        .replace("start = 2021-01-18", "start = 2026-12-01")
        .replace(
            "categories = [\"販路開拓\"]",
            "categories = [\"販路開拓\", \"異業種交流\"]",
        );
    std::fs::write(
        root.join("content/events/kip/2026-12-01-new-seminar.md"),
        &new_page,
    )
    .unwrap();
    serve.handled(&["2026-12-01-new-seminar.md"]);
    assert_same_as_build(&serve, root);

    // A new partner's first page, in a folder without `_index.md`: the
    // folder gets its list as in a build, and loses it with its last page.
    let first = "content/events/igren/2026-12-02-first-seminar.md";
    std::fs::create_dir_all(root.join("content/events/igren")).unwrap();
    std::fs::write(
        root.join(first),
        new_page
            .replace("新しく加えたセミナー", "イグレンの最初のセミナー")
            .replace("organizer = \"kip\"", "organizer = \"igren\""),
    )
    .unwrap();
    serve.handled(&["2026-12-02-first-seminar.md"]);
    assert_eq!(serve.get("/events/igren/").0, 200);
    assert_same_as_build(&serve, root);
    std::fs::remove_file(root.join(first)).unwrap();
    serve.handled(&["2026-12-02-first-seminar.md"]);
    assert_same_as_build(&serve, root);

    // 3. An atomic save of a page other pages link to.
    let linked = std::fs::read_to_string(root.join("content/programs/expert-dispatch.md")).unwrap();
    atomic_save(
        root,
        "content/programs/expert-dispatch.md",
        &format!("{linked}\n\n## 追記した見出し\n\n追記した本文です。\n"),
    );
    serve.handled(&["content/programs/expert-dispatch.md"]);
    assert_same_as_build(&serve, root);

    // 4. A rename: the page moves to a new URL, and the page that links
    // to it follows.
    std::fs::rename(
        root.join("content/events/kip/2020-10-19-sales-skills-seminar-202010.md"),
        root.join("content/events/kip/2020-10-20-renamed-seminar.md"),
    )
    .unwrap();
    edit(
        root,
        "content/programs/market-development.md",
        "@/events/kip/2020-10-19-sales-skills-seminar-202010.md",
        "@/events/kip/2020-10-20-renamed-seminar.md",
    );
    serve.handled(&[
        "2020-10-19-sales-skills-seminar-202010.md",
        "2020-10-20-renamed-seminar.md",
        "market-development.md",
    ]);
    assert_same_as_build(&serve, root);

    // 5. A deletion, first refused while a page still links to it.
    std::fs::remove_file(root.join("content/events/kip/2020-09-11-sales-skills-seminar-202009.md"))
        .unwrap();
    let line = serve.handled(&["2020-09-11-sales-skills-seminar-202009.md"]);
    assert!(line.contains(" errors;"), "{line}");
    edit(
        root,
        "content/programs/market-development.md",
        "[2020年9月11日](@/events/kip/2020-09-11-sales-skills-seminar-202009.md)",
        "2020年9月11日",
    );
    let line = serve.handled(&["market-development.md"]);
    assert!(line.contains(": rewrote "), "{line}");
    assert_same_as_build(&serve, root);

    // 6. An English translation replaces a fallback.
    let japanese = std::fs::read_to_string(
        root.join("content/events/kip/2020-11-12-online-business-matching-sagamihara.md"),
    )
    .unwrap();
    let title_line = japanese
        .lines()
        .find(|l| l.starts_with("title = "))
        .unwrap();
    std::fs::write(
        root.join("content/events/kip/2020-11-12-online-business-matching-sagamihara.en.md"),
        japanese.replace(
            title_line,
            "title = \"Online business matching (Sagamihara)\"",
        ),
    )
    .unwrap();
    serve.handled(&["2020-11-12-online-business-matching-sagamihara.en.md"]);
    assert_same_as_build(&serve, root);

    // 7. A template edit.
    edit(
        root,
        "themes/kpot/templates/event.html",
        "{% endblock %}",
        "<!-- event template edited -->{% endblock %}",
    );
    serve.handled(&["themes/kpot/templates/event.html"]);
    assert_same_as_build(&serve, root);

    // 8. A broken save is refused and the last good page stays served …
    let about = std::fs::read_to_string(root.join("content/about.md")).unwrap();
    std::fs::write(
        root.join("content/about.md"),
        about.replacen("+++", "+++\ntitle = [", 1),
    )
    .unwrap();
    let line = serve.handled(&["content/about.md"]);
    assert!(line.contains(" errors;"), "{line}");
    // The diagnostic as `kpot build` prints it: file, line, message.
    assert!(
        serve
            .log
            .iter()
            .any(|l| l.starts_with("content/about.md:") && l.contains(": error: ")),
        "{}",
        serve.log.join("\n")
    );
    let (status, _) = serve.get("/about/");
    assert_eq!(status, 200);
    // … until it is fixed.
    std::fs::write(root.join("content/about.md"), &about).unwrap();
    let line = serve.handled(&["content/about.md"]);
    assert!(line.contains(": rewrote "), "{line}");

    // 9. A stylesheet, a static file and a data file.
    let css = root.join("themes/kpot/static/kpot.css");
    let mut text = std::fs::read_to_string(&css).unwrap();
    text.push_str("\n.serve-test { color: red; }\n");
    std::fs::write(&css, text).unwrap();
    serve.handled(&["themes/kpot/static/kpot.css"]);
    std::fs::create_dir_all(root.join("static")).unwrap();
    std::fs::write(root.join("static/extra.txt"), "extra\n").unwrap();
    serve.handled(&["static"]);
    // Everything so far went the incremental way; compare now, before a
    // data edit reloads everything.
    assert_same_as_build(&serve, root);
    edit(
        root,
        "data/organizations.yaml",
        "神奈川産業振興センター",
        "神奈川産業振興センター（編集）",
    );
    serve.handled(&["data/organizations.yaml"]);

    // The served site is exactly a clean build of the final sources.
    let built = assert_same_as_build(&serve, root);
    assert!(built.contains_key("extra.txt"));
    assert!(built.contains_key("events/kip/renamed-seminar/index.html"));

    // The index was updated in place: the renamed page is found at its new
    // URL, the deleted one not at all.
    let hits = serve.poll(
        "/api/search?q=%E6%96%B0%E3%81%97%E3%81%8F%E5%8A%A0%E3%81%88%E3%81%9F&lang=ja",
        |s, _| s == 200,
    );
    assert!(hits.contains("/events/kip/new-seminar/"), "{hits}");
    let (_, gone) = serve.get("/api/search?q=sales-skills-seminar-202009");
    assert!(!gone.contains("sales-skills-seminar-202009/"), "{gone}");
}

/// Asserts that the served files are exactly those of a clean build of the
/// sources as they are now, and returns the build's files.
#[track_caller]
fn assert_same_as_build(serve: &Serve, root: &Path) -> BTreeMap<String, String> {
    let mut served = serve.manifest();
    // The preview always has the web editor in local mode; a build has it
    // only when config.toml names a Git host (tests/cms.rs).
    served.retain(|path, _| !path.starts_with("admin/"));
    assert!(!served.is_empty());
    let (_out, built) = clean_build(root);
    let only_served: Vec<&String> = served.keys().filter(|p| !built.contains_key(*p)).collect();
    let only_built: Vec<&String> = built.keys().filter(|p| !served.contains_key(*p)).collect();
    let differ: Vec<&String> = built
        .iter()
        .filter(|(p, h)| served.get(*p).is_some_and(|s| s != *h))
        .map(|(p, _)| p)
        .collect();
    assert!(
        only_served.is_empty() && only_built.is_empty() && differ.is_empty(),
        "served and built differ:\nonly served: {only_served:?}\nonly built: {only_built:?}\ndifferent bytes: {differ:?}"
    );
    built
}

/// A site of `count` events in a few sections and categories.
fn large_site(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("config.toml", "base_url = \"https://example.org\"\n");
    write(
        "data/organizations.yaml",
        "- id: kip\n  name: {ja: 神奈川産業振興センター, en: KIP}\n",
    );
    write("content/_index.md", "+++\ntitle = \"ホーム\"\n+++\n");
    write(
        "content/events/_index.md",
        "+++\ntitle = \"イベント\"\npaginate_by = 20\n+++\n",
    );
    write(
        "content/events/kip/_index.md",
        "+++\ntitle = \"KIP のイベント\"\ntransparent = true\n+++\n",
    );
    let categories = ["販路開拓", "創業", "事業承継", "人材", "海外展開"];
    let regions = ["横浜市", "川崎市", "相模原市", "オンライン"];
    for i in 0..count {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let year = 2024 + i / (28 * 12);
        write(
            &format!("content/events/kip/{year}-{month:02}-{day:02}-event-{i}.md"),
            &format!(
                "+++\ntitle = \"セミナー第{i}回\"\ndescription = \"第{i}回の説明\"\ndate = {year}-{month:02}-{day:02}\n\n[taxonomies]\ncategories = [\"{}\"]\nregions = [\"{}\"]\n\n[extra]\nstart = {year}-{month:02}-{day:02}\nformat = \"online\"\norganizer = \"kip\"\n+++\n\n第{i}回のセミナーの本文です。\n\n## 概要\n\n- 対象：中小企業\n",
                categories[i % categories.len()],
                regions[i % regions.len()],
            ),
        );
    }
    dir
}

#[test]
fn a_one_page_edit_rewrites_under_one_percent_of_a_large_site() {
    let site = large_site(1000);
    let root = site.path();
    let mut serve = Serve::start(root);
    let start = serve
        .log
        .iter()
        .find(|l| l.contains("kpot serve: start: rewrote"))
        .unwrap()
        .clone();
    let total = number_after(&start, " of ");
    assert!(total > 2000, "{start}");

    let rel = "content/events/kip/2024-03-01-event-56.md";
    edit(
        root,
        rel,
        "第56回のセミナーの本文です。",
        "第56回のセミナーの本文を書き換えました。",
    );
    let line = serve.handled(&[rel]);
    let rewrote = number_after(&line, "rewrote ");
    let total = number_after(&line, " of ");
    assert!(rewrote >= 1, "{line}");
    assert!(
        rewrote * 100 < total,
        "a one-page edit rewrote {rewrote} of {total} files: {line}"
    );
    serve.poll("/events/kip/event-56/", |_, text| {
        text.contains("本文を書き換えました")
    });
}

fn number_after(line: &str, marker: &str) -> usize {
    let rest = &line[line
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} in {line}"))
        + marker.len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("a number after {marker:?} in {line}"))
}

/// How long an edit may take to show after a source folder was replaced:
/// shorter than [`PATIENCE`] so that a stale preview fails in reasonable
/// time, still generous for a debug build on a busy machine.
const REPLACED_PATIENCE: Duration = Duration::from_secs(45);

impl Serve {
    /// Polls `path` until `wanted` holds, for at most [`REPLACED_PATIENCE`]
    /// and says `what` went unseen when it never does.
    #[track_caller]
    fn sees(&self, what: &str, path: &str, wanted: impl Fn(u16, &str) -> bool) {
        let deadline = Instant::now() + REPLACED_PATIENCE;
        loop {
            let (status, text) = self.get(path);
            if wanted(status, &text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: {path} never changed; last answer {status}:\n{text}\nkpot serve said:\n{}",
                self.log.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until a batch naming the folder `dir` itself has been handled.
    #[track_caller]
    fn folder_handled(&mut self, dir: &str) {
        let batch = format!("kpot serve: {dir}");
        self.wait_line(|l| {
            (l.starts_with(&format!("{batch}:")) || l.starts_with(&format!("{batch} ")))
                && (l.contains(" rewrote ") || l.contains(" errors;"))
        });
    }
}

/// After `content/` was replaced, an edit to an existing page and a new
/// page are both served (`n` keeps titles and URLs apart between rounds).
#[track_caller]
fn edits_are_seen(serve: &Serve, root: &Path, n: usize, after: &str) {
    let seminar = "content/events/kip/2021-01-18-sales-skills-seminar-202101.md";
    let text = std::fs::read_to_string(root.join(seminar)).unwrap();
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("title = "))
        .unwrap()
        .to_string();
    let wanted = format!("セミナー{n}回目の題名");
    atomic_save(
        root,
        seminar,
        &text.replacen(&title, &common::toml_str(&wanted), 1),
    );
    serve.sees(
        &format!("an edit after {after}"),
        "/events/kip/sales-skills-seminar-202101/",
        |status, text| status == 200 && text.contains(&wanted),
    );
    let page_title = format!("新しいページ{n}");
    std::fs::write(
        root.join(format!("content/new-page-{n}.md")),
        common::page(&page_title, "", "本文\n"),
    )
    .unwrap();
    serve.sees(
        &format!("a new page after {after}"),
        &format!("/new-page-{n}/"),
        |status, text| status == 200 && text.contains(&page_title),
    );
}

#[test]
fn source_folders_replaced_on_disk_are_watched_again() {
    let site = bundled_site();
    let root = site.path();
    let mut serve = Serve::start(root);
    let moved = |from: &str, to: &str| std::fs::rename(root.join(from), root.join(to)).unwrap();

    // Moved away and back, with the away state handled in between.
    moved("content", "content.away");
    serve.folder_handled("content");
    moved("content.away", "content");
    serve.folder_handled("content");
    edits_are_seen(&serve, root, 1, "content/ was moved away and back");

    // Moved away and straight back, as a quick checkout does: one batch.
    moved("content", "content.away");
    moved("content.away", "content");
    serve.folder_handled("content");
    edits_are_seen(&serve, root, 2, "content/ was moved away and straight back");

    // Deleted and made again.
    let spare = tempfile::tempdir().unwrap();
    common::copy_tree(&root.join("content"), spare.path());
    std::fs::remove_dir_all(root.join("content")).unwrap();
    serve.folder_handled("content");
    common::copy_tree(spare.path(), &root.join("content"));
    serve.folder_handled("content");
    edits_are_seen(&serve, root, 3, "content/ was deleted and made again");

    // Replaced by another tree renamed over it (git checkout, rsync): the
    // new tree's text is served, and edits in it are seen.
    common::copy_tree(&root.join("content"), &root.join("content.next"));
    edit(
        root,
        "content.next/about.md",
        "title = \"",
        "title = \"差し替え後の",
    );
    moved("content", "content.previous");
    moved("content.next", "content");
    std::fs::remove_dir_all(root.join("content.previous")).unwrap();
    serve.sees("the replacing tree", "/about/", |status, text| {
        status == 200 && text.contains("差し替え後の")
    });
    edits_are_seen(&serve, root, 4, "content/ was replaced by another tree");

    // data/ moved away and back: an organization's new name is seen.
    moved("data", "data.away");
    serve.folder_handled("data");
    moved("data.away", "data");
    serve.folder_handled("data");
    edit(
        root,
        "data/organizations.yaml",
        "Kanagawa Industrial Promotion Center",
        "Kanagawa Industry Centre Renamed",
    );
    serve.sees(
        "an edit after data/ was moved away and back",
        "/en/organizations/kip/",
        |status, text| status == 200 && text.contains("Kanagawa Industry Centre Renamed"),
    );
}

/// A page on a path `kpot build` would refuse (kpot's own `robots.txt`) is
/// shown as an error, not previewed; renamed, it is served.
#[test]
fn a_path_the_build_would_refuse_is_an_error_in_the_preview() {
    let site = bundled_site();
    let root = site.path();
    let mut serve = Serve::start(root);
    std::fs::write(
        root.join("content/robots-page.md"),
        common::page("ロボット", "path = \"robots.txt\"\n", "本文\n"),
    )
    .unwrap();
    let line = serve.handled(&["content/robots-page.md"]);
    assert!(
        line.contains(" errors;"),
        "{line}\n{}",
        serve.log.join("\n")
    );
    assert!(
        serve.log.iter().any(|l| l.contains(
            "content/robots-page.md:3:1: error: [path] this page would be written to /robots.txt/index.html"
        )),
        "{}",
        serve.log.join("\n")
    );
    let (status, _) = serve.get("/robots.txt/");
    assert_eq!(status, 404);
    std::fs::write(
        root.join("content/robots-page.md"),
        common::page("ロボット", "path = \"robots-info\"\n", "本文\n"),
    )
    .unwrap();
    serve.poll("/robots-info/", |status, text| {
        status == 200 && text.contains("ロボット")
    });
}
