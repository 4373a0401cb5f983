//! `kpot import jgrants` and `kpot import ical` against a loopback HTTP
//! server that answers in the sources' documented shapes (never the real
//! services): the files written, a second run writing nothing, a changed
//! record updating one file, a locked file left alone, a vanished record
//! marked, failures writing nothing, and the result passing `kpot check`
//! and rendering.

mod common;

use common::Site;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// One canned answer.
#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn json(body: serde_json::Value) -> Answer {
    Answer {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

fn status(code: u16, headers: &[(&str, &str)]) -> Answer {
    Answer {
        status: code,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: b"{\"message\":\"try later\"}".to_vec(),
    }
}

/// A loopback server: each route answers from its queue, the last answer
/// staying; it records each request's route and User-Agent.
#[derive(Clone, Default)]
struct Server {
    routes: Arc<Mutex<HashMap<String, VecDeque<Answer>>>>,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Server {
            port: listener.local_addr().unwrap().port(),
            ..Server::default()
        };
        let shared = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let target = line.split(' ').nth(1).unwrap_or("/").to_string();
                let mut agent = String::new();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    if let Some(v) = header.to_ascii_lowercase().strip_prefix("user-agent:") {
                        agent = v.trim().to_string();
                    }
                }
                let route = route_of(&target);
                shared.seen.lock().unwrap().push((route.clone(), agent));
                let answer = {
                    let mut routes = shared.routes.lock().unwrap();
                    match routes.get_mut(&route) {
                        Some(queue) if queue.len() > 1 => queue.pop_front().unwrap(),
                        Some(queue) => queue[0].clone(),
                        None => status(404, &[]),
                    }
                };
                let mut head = format!(
                    "HTTP/1.1 {} X\r\nConnection: close\r\nContent-Length: {}\r\n",
                    answer.status,
                    answer.body.len()
                );
                for (k, v) in &answer.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&answer.body);
            }
        });
        server
    }

    fn answer(&self, route: &str, answers: Vec<Answer>) {
        self.routes
            .lock()
            .unwrap()
            .insert(route.to_string(), answers.into());
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// `/subsidies?keyword=K&target_area_search=A` (other parameters left out)
/// or the bare path.
fn route_of(target: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    match (params.get("keyword"), params.get("target_area_search")) {
        (Some(k), Some(a)) => format!("{path}?{k}&{a}"),
        _ => path.to_string(),
    }
}

/// A search answer. An id starting with `CLOSED` is a call that closed
/// before NOW (the search asks for all calls, `acceptance=0`, to find those
/// still to open): kpot must not ask for its detail, which has no route.
fn list(ids: &[&str]) -> Answer {
    let result: Vec<_> = ids
        .iter()
        .map(|id| {
            let closes = if id.starts_with("CLOSED") {
                "2027-01-31T08:00:00.000Z"
            } else {
                "2027-03-31T08:00:00.000Z"
            };
            serde_json::json!({"id": id, "name": format!("S-{id}"), "title": format!("一覧の題 {id}"),
            "target_area_search": "神奈川県", "subsidy_max_limit": 0,
            "acceptance_start_datetime": "2026-12-01T00:00:00.000Z",
            "acceptance_end_datetime": closes, "target_number_of_employees": null})
        })
        .collect();
    json(
        serde_json::json!({"metadata": {"type": "application/json", "resultset": {"count": ids.len()}}, "result": result}),
    )
}

/// A full detail, hostile HTML included.
fn detail_a(rate: &str) -> Answer {
    json(
        serde_json::json!({"metadata": {"resultset": {"count": 1}}, "result": [{
            "id": "a0WTEST00000000AAA", "name": "S-00000001",
            "title": "架空ものづくり設備補助金（テスト用）",
            "subsidy_catch_phrase": "生産性を高める設備投資を支援します（架空）",
            "detail": "<h2 onclick=\"steal()\">概要</h2><script>alert('x')</script><p>設備導入を<a href=\"https://example.org/guide\" onmouseover=\"x()\">支援</a>します。</p><img src=\"https://tracker.example/pixel.gif\" width=\"1\" height=\"1\"><iframe src=\"https://evil.example/\"></iframe><ul><li>機械装置</li><li>ソフトウェア</li></ul><h3></h3>",
            "target_area_search": "神奈川県",
            "industry": "製造業 / 情報通信業",
            "use_purpose": "設備整備・IT導入をしたい / 宇宙開発をしたい",
            "target_number_of_employees": "従業員数300名以下",
            "subsidy_rate": rate,
            "subsidy_max_limit": 5000000,
            "acceptance_start_datetime": "2027-01-10T00:00:00.000Z",
            "acceptance_end_datetime": "2027-03-31T08:00:00.000Z",
            "front_subsidy_detail_page_url": "https://www.jgrants-portal.go.jp/subsidy/a0WTEST00000000AAA",
            "institution_name": "架空県 産業労働局",
            "request_reception_presence": "有", "is_enable_multiple_request": false
        }]}),
    )
}

/// A sparse detail: missing and null fields.
fn detail(id: &str, title: &str, closes: &str) -> Answer {
    json(serde_json::json!({"result": [{
        "id": id, "title": title, "detail": null, "use_purpose": null, "subsidy_max_limit": null,
        "subsidy_rate": null, "target_area_search": "全国",
        "acceptance_end_datetime": closes
    }]}))
}

const NOW: &str = "2027-02-15T09:00:00+09:00";

fn site() -> Site {
    let site = Site::portal();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for rel in ["data/taxonomies.yaml", "data/import-categories.yaml"] {
        site.file(rel, &std::fs::read_to_string(repo.join(rel)).unwrap());
    }
    site.file(
        "data/organizations.yaml",
        "- id: kip\n  name: {ja: 神奈川産業振興センター, en: KIP}\n- id: jgrants\n  name: {ja: Jグランツ（デジタル庁）, en: jGrants (Digital Agency)}\n  url: https://www.jgrants-portal.go.jp/\n",
    );
    site
}

/// Four searches (two keywords × two areas) over four calls, one found
/// twice; a 500 and a 429 with Retry-After answered before success.
fn serve_jgrants() -> Server {
    let server = Server::start();
    server.answer(
        "/subsidies?補助金&神奈川県",
        vec![list(&[
            "CLOSED0000000000ZZZ",
            "a0WTEST00000000AAA",
            "a0WTEST00000000BBB",
        ])],
    );
    server.answer(
        "/subsidies?補助金&全国",
        vec![
            status(500, &[]),
            list(&["a0WTEST00000000BBB", "a0WTEST00000000CCC"]),
        ],
    );
    server.answer(
        "/subsidies?助成金&神奈川県",
        vec![
            status(429, &[("Retry-After", "1")]),
            list(&["a0WTEST00000000DDD"]),
        ],
    );
    server.answer(
        "/subsidies?助成金&全国",
        vec![json(
            serde_json::json!({"metadata": {"resultset": {"count": 0}}, "result": []}),
        )],
    );
    server.answer(
        "/subsidies/id/a0WTEST00000000AAA",
        vec![status(503, &[]), detail_a("2/3以内")],
    );
    server.answer(
        "/subsidies/id/a0WTEST00000000BBB",
        vec![detail(
            "a0WTEST00000000BBB",
            "架空の全国向け補助金B",
            "2027-04-30T14:59:59.000Z",
        )],
    );
    server.answer(
        "/subsidies/id/a0WTEST00000000CCC",
        vec![detail(
            "a0WTEST00000000CCC",
            "架空の助成金C",
            "2027-05-31T08:00:00.000Z",
        )],
    );
    server.answer(
        "/subsidies/id/a0WTEST00000000DDD",
        vec![detail(
            "a0WTEST00000000DDD",
            "架空の助成金D",
            "2027-06-30T08:00:00.000Z",
        )],
    );
    server
}

fn import_jgrants(site: &Site, server: &Server, extra: &[&str]) -> common::Run {
    let api = server.url();
    let mut args = vec![
        "import",
        "jgrants",
        "--api-url",
        &api,
        "--keyword",
        "補助金",
        "--keyword",
        "助成金",
        "--area",
        "神奈川県",
        "--area",
        "全国",
        "--pause-ms",
        "0",
        "--backoff-ms",
        "0",
    ];
    if !extra.contains(&"--now") {
        args.extend_from_slice(&["--now", NOW]);
    }
    args.extend_from_slice(extra);
    site.kpot(&args)
}

fn mtimes(site: &Site, folder: &str) -> BTreeMap<String, (SystemTime, Vec<u8>)> {
    std::fs::read_dir(site.root().join(folder))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                (e.metadata().unwrap().modified().unwrap(), bytes),
            )
        })
        .collect()
}

/// A file of the site folder (not of public/).
fn text(site: &Site, rel: &str) -> String {
    std::fs::read_to_string(site.root().join(rel)).unwrap()
}

const A: &str = "content/notices/jgrants/a0WTEST00000000AAA.md";
const B: &str = "content/notices/jgrants/a0WTEST00000000BBB.md";
const C: &str = "content/notices/jgrants/a0WTEST00000000CCC.md";
const D: &str = "content/notices/jgrants/a0WTEST00000000DDD.md";

#[test]
fn jgrants_import_writes_clean_notices_that_check_and_render() {
    let site = site();
    let server = serve_jgrants();
    let run = import_jgrants(&site, &server, &[]);
    run.ok()
        .prints("jgrants: 4 new, 0 updated, 0 unchanged, 0 vanished, 0 locked");
    run.prints("unmapped: 宇宙開発をしたい (1 items)");
    let a = text(&site, A);
    for expected in [
        "title = \"架空ものづくり設備補助金（テスト用）\"",
        "categories = [\"IT・DX\", \"設備投資\"]",
        "regions = [\"神奈川県全域\"]",
        "opens = 2027-01-10T09:00:00+09:00",
        "closes = 2027-03-31T17:00:00+09:00",
        "max_amount = 5000000",
        "subsidy_rate = \"2/3以内\"",
        "organizer = \"jgrants\"",
        "issuer = \"架空県 産業労働局\"",
        "official_url = \"https://www.jgrants-portal.go.jp/subsidy/a0WTEST00000000AAA\"",
        "source = \"jgrants\"",
        "source_id = \"a0WTEST00000000AAA\"",
        "fetched = 2027-02-15T09:00:00+09:00",
        "## 概要",
        "[支援](https://example.org/guide)",
        "従業員数: 従業員数300名以下",
    ] {
        assert!(a.contains(expected), "{expected} missing in:\n{a}");
    }
    for hostile in [
        "<script",
        "alert",
        "steal",
        "onmouseover",
        "tracker.example",
        "iframe",
        "evil.example",
    ] {
        assert!(!a.contains(hostile), "{hostile} survived in:\n{a}");
    }
    let b = text(&site, B);
    assert!(
        b.contains("regions = [\"全国\"]") && !b.contains("max_amount"),
        "{b}"
    );
    // Every request named kpot; the failed ones were retried.
    let seen = server.seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|(_, agent)| agent.starts_with("kpot/")),
        "{seen:?}"
    );
    assert_eq!(
        seen.iter()
            .filter(|(r, _)| r == "/subsidies/id/a0WTEST00000000BBB")
            .count(),
        1,
        "B is fetched once"
    );

    site.kpot(&["check", "--now", NOW]).ok();
    site.build(&["--now", NOW]).ok();
    let page = site.read("notices/jgrants/a0wtest00000000aaa/index.html");
    assert!(page.contains("500万円"), "the amount is shown");
    assert!(page.contains("2027-03-31"), "the deadline is shown");
    assert!(
        page.contains("架空県 産業労働局"),
        "the issuing body is shown"
    );
    assert!(
        page.contains("Jグランツ（デジタル庁）"),
        "the organizer is shown"
    );
}

#[test]
fn a_second_jgrants_import_writes_nothing_and_a_change_updates_one_file() {
    let site = site();
    let server = serve_jgrants();
    import_jgrants(&site, &server, &[]).ok();
    let before = mtimes(&site, "content/notices/jgrants");
    std::thread::sleep(std::time::Duration::from_millis(20));
    import_jgrants(&site, &server, &["--now", "2027-02-16T09:00:00+09:00"])
        .ok()
        .prints("jgrants: 0 new, 0 updated, 4 unchanged, 0 vanished, 0 locked");
    assert_eq!(
        mtimes(&site, "content/notices/jgrants"),
        before,
        "an unchanged import writes nothing"
    );

    // A changes its rate, C changes too but an editor locked it, D is gone.
    server.answer(
        "/subsidies/id/a0WTEST00000000AAA",
        vec![detail_a("1/2以内")],
    );
    let locked = text(&site, C)
        .replace("[extra]\n", "[extra]\nlocked = true\n")
        .replace("架空の助成金C", "編集者が直した題");
    site.file(C, &locked);
    server.answer(
        "/subsidies/id/a0WTEST00000000CCC",
        vec![detail(
            "a0WTEST00000000CCC",
            "架空の助成金C（改）",
            "2027-05-31T08:00:00.000Z",
        )],
    );
    server.answer("/subsidies?助成金&神奈川県", vec![list(&[])]);
    let before = mtimes(&site, "content/notices/jgrants");
    let run = import_jgrants(
        &site,
        &server,
        &["--now", "2027-02-17T09:00:00+09:00", "--format", "json"],
    );
    run.ok();
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(summary["updated"], serde_json::json!([A]));
    assert_eq!(summary["locked"], serde_json::json!([C]));
    assert_eq!(summary["vanished"], serde_json::json!([D]));
    let after = mtimes(&site, "content/notices/jgrants");
    assert_eq!(
        after[B.rsplit('/').next().unwrap()],
        before[B.rsplit('/').next().unwrap()],
        "B untouched"
    );
    assert_eq!(text(&site, C), locked, "a locked file is never overwritten");
    let a = text(&site, A);
    assert!(
        a.contains("subsidy_rate = \"1/2以内\"")
            && a.contains("fetched = 2027-02-17T09:00:00+09:00"),
        "{a}"
    );
    assert!(
        text(&site, D).contains("withdrawn = true"),
        "a vanished call is marked, not deleted"
    );
    site.kpot(&["check", "--now", NOW]).ok();
    site.build(&["--now", NOW]).ok();
    assert!(
        site.read("notices/jgrants/a0wtest00000000ddd/index.html")
            .contains("取り込み元に掲載されなくなりました")
    );
}

#[test]
fn a_failing_jgrants_source_writes_nothing_and_exits_2() {
    let site = site();
    let server = serve_jgrants();
    server.answer(
        "/subsidies/id/a0WTEST00000000CCC",
        vec![Answer {
            status: 200,
            headers: vec![],
            body: b"<html>maintenance".to_vec(),
        }],
    );
    let run = import_jgrants(&site, &server, &[]);
    run.code(2).says("not JSON").says("a0WTEST00000000CCC");
    assert!(
        !site.root().join("content/notices/jgrants").exists(),
        "nothing half-written"
    );

    server.answer("/subsidies?補助金&神奈川県", vec![status(503, &[])]);
    import_jgrants(&site, &server, &["--retries", "2"])
        .code(2)
        .says("HTTP 503 (after 3 attempts)");
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    site.kpot(&[
        "import",
        "jgrants",
        "--api-url",
        &url,
        "--retries",
        "0",
        "--now",
        NOW,
    ])
    .code(2)
    .says("nothing was written");
    assert!(!site.root().join("content/notices/jgrants").exists());
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ical")
            .join(name),
    )
    .unwrap()
}

fn import_ical(site: &Site, source: &str, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "import",
        "ical",
        source,
        "--org",
        "kip",
        "--backoff-ms",
        "0",
    ];
    if !extra.contains(&"--now") {
        args.extend_from_slice(&["--now", NOW]);
    }
    args.extend_from_slice(extra);
    site.kpot(&args)
}

/// The one file in `content/events/kip/` whose text contains `needle`.
fn event_with(site: &Site, needle: &str) -> (String, String) {
    let found: Vec<_> = mtimes(site, "content/events/kip")
        .into_iter()
        .map(|(name, (_, bytes))| (name, String::from_utf8(bytes).unwrap()))
        .filter(|(_, text)| text.contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{needle}: {:?}",
        found.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    found.into_iter().next().unwrap()
}

#[test]
fn ical_feeds_become_events_in_japan_time() {
    let site = site();
    let feed = site.root().join("google.ics");
    std::fs::write(&feed, fixture("google.ics")).unwrap();
    let run = import_ical(&site, feed.to_str().unwrap(), &[]);
    // 1 seminar + 1 webinar + 1 fair + 1 cancelled + 3 weekly (one EXDATE,
    // one moved).
    run.ok().prints("7 new, 0 updated, 0 unchanged");
    run.prints("format online (LOCATION is a link");

    let (name, seminar) = event_with(&site, "販路開拓セミナー");
    assert!(name.starts_with("2027-03-01-seminar-0301-"), "{name}");
    for expected in [
        "start = 2027-03-01T13:30:00+09:00",
        "end = 2027-03-01T16:30:00+09:00",
        "format = \"onsite\"",
        "venue = \"架空産業センター 大会議室\"",
        "address = \"神奈川県横浜市中区尾上町1-1\"",
        "registration_url = \"https://example.org/register/seminar\"",
        "\\*定員\\* 30名。",
        "申込は下記から。",
    ] {
        assert!(seminar.contains(expected), "{expected} missing:\n{seminar}");
    }
    let (_, webinar) = event_with(&site, "DX入門ウェビナー");
    assert!(
        webinar.contains("start = 2027-03-05T10:00:00+09:00"),
        "UTC to Japan time:\n{webinar}"
    );
    assert!(
        webinar.contains("format = \"online\"")
            && webinar.contains("online_url = \"https://example.org/zoom/123\""),
        "{webinar}"
    );
    let (_, fair) = event_with(&site, "架空ものづくり展示会");
    assert!(
        fair.contains("start = 2027-03-10\nend = 2027-03-12\n"),
        "DTEND is exclusive:\n{fair}"
    );
    assert!(fair.contains("format = \"hybrid\""), "{fair}");
    let (_, cancelled) = event_with(&site, "中止になった交流会");
    assert!(
        cancelled.contains("event_status = \"cancelled\"") && !cancelled.contains("\nend ="),
        "{cancelled}"
    );
    let weekly: Vec<String> = mtimes(&site, "content/events/kip")
        .into_iter()
        .filter(|(_, (_, b))| String::from_utf8_lossy(b).contains("経営相談会"))
        .map(|(n, _)| n[..10].to_string())
        .collect();
    // 3 March is an EXDATE; the 24 February one moved to the 25th (RECURRENCE-ID).
    assert_eq!(weekly, ["2027-02-17", "2027-02-25", "2027-03-10"]);

    let outlook = site.root().join("outlook.ics");
    std::fs::write(&outlook, fixture("outlook.ics")).unwrap();
    import_ical(&site, outlook.to_str().unwrap(), &[])
        .ok()
        .prints("1 new");
    let (_, briefing) = event_with(&site, "補助金説明会");
    assert!(
        briefing.contains("start = 2027-03-22T14:00:00+09:00")
            && briefing.contains("format = \"hybrid\""),
        "{briefing}"
    );

    site.kpot(&["check", "--now", NOW]).ok();
    site.build(&["--now", NOW]).ok();
}

#[test]
fn a_shift_jis_feed_declared_over_http_is_decoded() {
    let site = site();
    let server = Server::start();
    server.answer(
        "/partner.ics",
        vec![Answer {
            status: 200,
            headers: vec![(
                "Content-Type".into(),
                "text/calendar; charset=Shift_JIS".into(),
            )],
            body: fixture("garoon-sjis.ics"),
        }],
    );
    let url = format!("{}/partner.ics", server.url());
    import_ical(&site, &url, &[]).ok().prints("1 new");
    let (_, event) = event_with(&site, "創業塾 第1回（架空）");
    assert!(
        event.contains("start = 2027-03-25T10:00:00+09:00")
            && event.contains("venue = \"架空創業支援プラザ\""),
        "{event}"
    );
    site.kpot(&["check", "--now", NOW]).ok();
}

#[test]
fn a_second_ical_import_writes_nothing_and_keeps_locked_files() {
    let site = site();
    let feed = site.root().join("google.ics");
    std::fs::write(&feed, fixture("google.ics")).unwrap();
    let source = feed.to_str().unwrap().to_string();
    import_ical(&site, &source, &[]).ok();
    let before = mtimes(&site, "content/events/kip");
    import_ical(&site, &source, &["--now", "2027-02-16T09:00:00+09:00"])
        .ok()
        .prints("0 new, 0 updated, 7 unchanged");
    let after = mtimes(&site, "content/events/kip");
    assert_eq!(after, before, "an unchanged import writes nothing");

    let original = String::from_utf8(fixture("google.ics")).unwrap();
    let changed = original.replace(
        "SUMMARY:DX入門ウェビナー（架空）",
        "SUMMARY:DX入門ウェビナー（架空・改）",
    );
    let changed = changed.replace(
        "SUMMARY:販路開拓セミナー（架空）",
        "SUMMARY:販路開拓セミナー（架空・改）",
    );
    std::fs::write(&feed, changed).unwrap();
    let (seminar_name, seminar) = event_with(&site, "販路開拓セミナー");
    let locked = seminar.replace("[extra]\n", "[extra]\nlocked = true\n");
    site.file(&format!("content/events/kip/{seminar_name}"), &locked);
    let run = import_ical(&site, &source, &["--format", "json"]);
    run.ok();
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(summary["updated"].as_array().unwrap().len(), 1, "{summary}");
    assert!(
        summary["updated"][0]
            .as_str()
            .unwrap()
            .contains("webinar-0305"),
        "{summary}"
    );
    assert_eq!(summary["locked"].as_array().unwrap().len(), 1, "{summary}");
    assert_eq!(
        text(&site, &format!("content/events/kip/{seminar_name}")),
        locked
    );
}
