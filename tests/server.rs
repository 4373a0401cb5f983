//! The search API and the server, in process (through the router) and as a
//! real process (for the index swap).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;
use tower::ServiceExt;

/// The bundled portal, built once into a temporary folder.
fn site() -> &'static Path {
    static SITE: OnceLock<tempfile::TempDir> = OnceLock::new();
    SITE.get_or_init(|| common::bundled_portal("2026-11-22"))
        .path()
}

fn build(root: &Path) {
    common::build_at(root, "2026-11-22");
}

fn copy_dir(from: &Path, to: &Path) {
    common::copy_tree(from, to);
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn get(uri: &str) -> Reply {
    get_with(uri, &[])
}

fn get_with(uri: &str, headers: &[(&str, &str)]) -> Reply {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let root = site();
        let state = kpot::server::state_for(root).unwrap();
        let app = kpot::server::router(state, &root.join("public"));
        let mut request = Request::builder().uri(uri);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = app
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    })
}

fn enc(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[test]
fn search_answers_with_hits_snippets_and_facets() {
    let r = get(&format!("/api/search?q={}&lang=ja", enc("事業再生")));
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let j = r.json();
    assert!(j["total"].as_u64().unwrap() >= 2);
    assert_eq!(j["page"], 1);
    assert_eq!(j["per_page"], 20);
    let hit = &j["hits"][0];
    for key in ["url", "title", "snippet", "type", "lang", "status", "date"] {
        assert!(hit.get(key).is_some(), "hit lacks {key}: {hit}");
    }
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>事業再生</mark>"),
        "{hit}"
    );
    for facet in ["type", "category", "region", "organizer", "status"] {
        assert!(j["facets"].get(facet).is_some(), "facets lack {facet}");
    }
    assert!(j["facets"]["type"]["program"].as_u64().unwrap() >= 1);
}

#[test]
fn filters_by_type_category_region_organizer_and_status() {
    let all = get("/api/search?lang=ja&per_page=50").json();
    let total = all["total"].as_u64().unwrap();
    // 31 pages and 48 councils in Japanese.
    assert!(total > 70, "an empty query lists everything: {total}");

    let events = get("/api/search?lang=ja&type=event&per_page=50").json();
    assert!(
        events["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["type"] == "event")
    );
    assert_eq!(events["total"], all["facets"]["type"]["event"]);

    let two = get("/api/search?lang=ja&type=event&type=council&per_page=50").json();
    assert_eq!(
        two["total"].as_u64().unwrap(),
        all["facets"]["type"]["event"].as_u64().unwrap()
            + all["facets"]["type"]["council"].as_u64().unwrap()
    );

    let cat = get("/api/search?lang=ja&category=market-development&per_page=50").json();
    assert!(cat["total"].as_u64().unwrap() > 0);
    assert!(cat["hits"].as_array().unwrap().iter().all(|h| {
        h["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "market-development")
    }));

    let region = get("/api/search?lang=ja&region=yokohama").json();
    assert!(region["hits"].as_array().unwrap().iter().all(|h| {
        h["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "yokohama")
    }));

    let org = get("/api/search?lang=ja&organizer=kip&per_page=50").json();
    assert!(org["total"].as_u64().unwrap() > 0);
    assert!(
        org["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["organizer"] == "kip")
    );

    // Every bundled event is from FY2020: all ended by now.
    let ended = get("/api/search?lang=ja&status=ended").json();
    assert_eq!(ended["total"], events["total"]);
    let upcoming = get("/api/search?lang=ja&status=upcoming").json();
    assert_eq!(upcoming["total"], 0);
}

#[test]
fn dates_sorting_and_paging() {
    let range =
        get("/api/search?lang=ja&type=event&from=2021-02-01&to=2021-02-28&per_page=50").json();
    let urls: Vec<&str> = range["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["url"].as_str().unwrap())
        .collect();
    assert!(
        urls.contains(&"/events/kip/technical-show-yokohama-2021/"),
        "{urls:?}"
    );
    assert!(
        !urls.contains(&"/events/kip/online-business-matching-yokosuka/"),
        "{urls:?}"
    );

    let by_date = get("/api/search?lang=ja&type=event&sort=date&per_page=50").json();
    let dates: Vec<&str> = by_date["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["date"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    let _ = get("/api/search?lang=ja&sort=deadline").json();

    let p1 = get("/api/search?lang=ja&per_page=5&page=1").json();
    let p2 = get("/api/search?lang=ja&per_page=5&page=2").json();
    assert_eq!(p1["hits"].as_array().unwrap().len(), 5);
    assert_ne!(p1["hits"][0]["url"], p2["hits"][0]["url"]);
    assert_eq!(p2["page"], 2);
    // `to` before `from`: a valid request for an empty range.
    let empty = get("/api/search?lang=ja&from=2021-03-01&to=2021-01-01");
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json()["total"], 0);
    let beyond = get("/api/search?lang=ja&per_page=50&page=1000").json();
    assert_eq!(beyond["hits"].as_array().unwrap().len(), 0);
}

#[test]
fn languages_are_kept_apart() {
    let en = get("/api/search?q=council&lang=en").json();
    assert!(en["total"].as_u64().unwrap() > 0);
    assert!(
        en["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["lang"] == "en" && h["url"].as_str().unwrap().starts_with("/en/"))
    );
}

#[test]
fn bad_parameters_are_400_with_the_parameter_named() {
    for (query, parameter) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=x", "page"),
        ("page=1001", "page"),
        ("per_page=51", "per_page"),
        ("per_page=0", "per_page"),
        ("lang=fr", "lang"),
        ("type=blog", "type"),
        ("status=soon", "status"),
        ("sort=random", "sort"),
        ("from=tomorrow", "from"),
        ("to=2027-13-40", "to"),
        ("to=", "to"),
        ("lang=", "lang"),
        ("category=", "category"),
        ("category=%3Cscript%3E", "category"),
        ("region=a%20b", "region"),
        ("organizer=..%2F..", "organizer"),
    ] {
        let r = get(&format!("/api/search?{query}"));
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        let j = r.json();
        assert_eq!(j["error"]["code"], "bad_parameter", "{query}");
        assert_eq!(j["error"]["parameter"], parameter, "{query}");
        assert!(!j["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[test]
fn hostile_queries_never_fail() {
    let long = "事業再生".repeat(1000);
    for q in [
        "\"",
        "((((",
        "))",
        "AND",
        "title:事業",
        "*",
        "?",
        "-",
        "--",
        "-事業",
        "\\",
        "\u{0}",
        "\u{202e}",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "ＫＩＰ\u{3000}事業",
        "🙂",
        "a\u{0301}",
        long.as_str(),
    ] {
        let r = get(&format!("/api/search?q={}&lang=ja", enc(q)));
        assert_eq!(r.status, StatusCode::OK, "{q:?}: {}", r.text());
        let j = r.json();
        for hit in j["hits"].as_array().unwrap() {
            let snippet = hit["snippet"].as_str().unwrap();
            assert!(!snippet.contains("<script"), "{snippet}");
        }
    }
    // An invalid escape is read as written; bytes that are not UTF-8 are
    // refused (see text_that_is_not_utf8_is_a_400_naming_the_parameter).
    assert_eq!(
        get("/api/search?q=%E4%BA&lang=ja").status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(get("/api/search?q=%ZZ").status, StatusCode::OK);
}

#[test]
fn exclusion_removes_matches() {
    let with = get(&format!(
        "/api/search?q={}&lang=ja&per_page=50",
        enc("協議会")
    ))
    .json();
    let without = get(&format!(
        "/api/search?q={}&lang=ja&per_page=50",
        enc("協議会 -鹿児島")
    ))
    .json();
    assert_eq!(
        without["total"].as_u64().unwrap() + 1,
        with["total"].as_u64().unwrap()
    );
}

#[test]
fn suggestions_complete_titles() {
    let j = get(&format!("/api/suggest?q={}&lang=ja", enc("神奈川県"))).json();
    let titles: Vec<&str> = j["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert!(!titles.is_empty());
    assert!(titles.iter().all(|t| t.contains("神奈川県")), "{titles:?}");
    assert!(titles[0].starts_with("神奈川県"), "{titles:?}");
    assert_eq!(
        get("/api/suggest?q=x&lang=zz").status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get("/api/suggest").json()["suggestions"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn openapi_describes_the_api() {
    let j = get("/api/openapi.json").json();
    assert!(j["openapi"].as_str().unwrap().starts_with("3."), "{j}");
    let category = j["paths"]["/api/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "category")
        .unwrap();
    assert!(
        category["schema"]["items"]["pattern"].is_string(),
        "{category}"
    );
    let params: Vec<&str> = j["paths"]["/api/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "q",
        "lang",
        "type",
        "category",
        "region",
        "organizer",
        "status",
        "from",
        "to",
        "sort",
        "page",
        "per_page",
    ] {
        assert!(params.contains(&name), "{name}");
    }
}

#[test]
fn health_static_files_caching_and_compression() {
    let h = get("/healthz");
    assert_eq!(h.status, StatusCode::OK);

    let page = get("/councils/kagoshima/");
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.headers.contains_key(header::CACHE_CONTROL));
    let etag = page.headers[header::ETAG].to_str().unwrap().to_string();
    let again = get_with("/councils/kagoshima/", &[("if-none-match", &etag)]);
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    let css = get("/kpot.css");
    assert!(
        css.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );

    let gz = get_with("/councils/", &[("accept-encoding", "gzip")]);
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
    let br = get_with("/councils/", &[("accept-encoding", "br")]);
    assert_eq!(br.headers[header::CONTENT_ENCODING], "br");

    let missing = get("/no/such/page/");
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("<html"));
    assert_eq!(get("/../../etc/passwd").status, StatusCode::NOT_FOUND);
}

#[test]
fn the_search_page_works_without_javascript() {
    let r = get(&format!("/search/?q={}&type=program", enc("事業再生")));
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<mark>事業再生</mark>"), "{html}");
    assert!(
        html.contains(r#"name="type" value="program" checked"#),
        "{html}"
    );
    assert!(html.contains(r#"href="/programs/sme-revitalization-council/""#));
    let en = get("/en/search/?q=council").text();
    assert!(
        en.contains(r#"<html lang="en">"#) && en.contains("/en/councils/"),
        "{en}"
    );
    let hostile = get(&format!("/search/?q={}", enc("<script>alert(1)</script>"))).text();
    assert!(!hostile.contains("<script>alert"), "{hostile}");
    let bad = get("/search/?page=0");
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("page"));
}

/// Stops the server process even when an assertion fails.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A real server keeps answering while builds replace its index.
#[test]
fn answers_while_the_index_is_swapped() {
    let root = tempfile::tempdir().unwrap();
    copy_dir(site(), root.path());
    build(root.path());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut server = Server(
        std::process::Command::new(env!("CARGO_BIN_EXE_kpot"))
            .args(["server", "--port", &port.to_string(), "--root"])
            .arg(root.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let ask = move |path: &str| common::http_status(port, path);
    let started = std::time::Instant::now();
    while ask("/healthz") != Some(200) {
        assert!(
            started.elapsed().as_secs() < 30,
            "the server did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let querying = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                answers.push(ask("/api/search?q=%E4%BA%8B%E6%A5%AD&lang=ja"));
            }
            answers
        })
    };
    for round in 0..3 {
        // A build whose documents and configuration did not change keeps
        // the index as it is; a changed configuration rebuilds and swaps it.
        let config = root.path().join("search-index/config.toml");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&format!("\n# rebuild {round}\n"));
        std::fs::write(&config, text).unwrap();
        build(root.path());
        std::thread::sleep(std::time::Duration::from_millis(700));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answers = querying.join().unwrap();
    server.0.kill().unwrap();
    let mut log = String::new();
    server
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(answers.len() > 10, "{} answers", answers.len());
    assert!(answers.iter().all(|a| *a == Some(200)), "{answers:?}");
    assert!(log.contains("search index reloaded"), "{log}");
}

/// Starts `kpot server` on a free port of 127.0.0.1 with `args`, and waits
/// until `/healthz` answers 200.
fn start_server(root: &Path, args: &[&str]) -> (Server, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let server = Server(
        std::process::Command::new(env!("CARGO_BIN_EXE_kpot"))
            .args(["server", "--port", &port.to_string(), "--root"])
            .arg(root)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = std::time::Instant::now();
    while common::http_status(port, "/healthz") != Some(200) {
        assert!(
            started.elapsed().as_secs() < 30,
            "the server did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (server, port)
}

/// A raw connection to the server.
fn connect(port: u16) -> std::net::TcpStream {
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream
}

/// Reads until the server closes the connection; panics if it is still
/// open after the 30 s read timeout (far beyond the timeouts under test).
#[track_caller]
fn closed_by_server(stream: &mut std::net::TcpStream, what: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return bytes,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return bytes,
            Err(e) => panic!("{what}: the server kept the connection open ({e})"),
        }
    }
}

/// Whether the server has closed `stream` (without waiting).
fn is_closed(stream: &mut std::net::TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let closed = match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    };
    stream.set_nonblocking(false).unwrap();
    closed
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use std::io::Write;
    let (_server, port) = start_server(site(), &["--header-timeout", "1"]);
    let mut slow = connect(port);
    slow.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n")
        .unwrap();
    assert_eq!(common::http_status(port, "/healthz"), Some(200));
    closed_by_server(&mut slow, "half a request head");
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    use std::io::Write;
    let (_server, port) = start_server(site(), &["--header-timeout", "1"]);
    let mut idle = connect(port);
    idle.write_all(b"GET /robots.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let answer = closed_by_server(&mut idle, "kept alive after a response");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(!text.contains("connection: close"), "kept alive: {text}");
}

#[test]
fn more_connections_than_the_cap_do_not_lock_out_healthz() {
    let (_server, port) = start_server(
        site(),
        &["--max-connections", "8", "--header-timeout", "120"],
    );
    let mut idle: Vec<_> = (0..20).map(|_| connect(port)).collect();
    for _ in 0..3 {
        assert_eq!(common::http_status(port, "/healthz"), Some(200));
    }
    // At most 8 held at once: of the 20 idle ones, 12 or more were
    // closed to make room for the newer ones and the health checks.
    let started = std::time::Instant::now();
    loop {
        let closed = idle.iter_mut().map(is_closed).filter(|c| *c).count();
        if closed >= 12 {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "only {closed} of 20 idle connections were closed with a cap of 8"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(is_closed(&mut idle[0]), "the oldest goes first");
}

#[test]
fn sigterm_with_clients_mid_headers_stops_within_the_shutdown_timeout() {
    use std::io::Write;
    let (mut server, port) = start_server(
        site(),
        &["--header-timeout", "300", "--shutdown-timeout", "2"],
    );
    let mut slow: Vec<_> = (0..50).map(|_| connect(port)).collect();
    for stream in &mut slow {
        stream.write_all(b"GET / HTTP/1.1\r\nHost: loc").unwrap();
    }
    assert_eq!(common::http_status(port, "/healthz"), Some(200));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The header timeout (300 s) is not what ends it: the server stops on
    // its own, well within the 60 s allowed here.
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "kpot server was still running 60 s after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    for stream in &mut slow {
        closed_by_server(stream, "after shutdown");
    }
}

/// A copy of the built bundled portal in a fresh folder.
fn copy_of_site() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    copy_dir(site(), root.path());
    copy_dir(&site().join("public"), &root.path().join("public"));
    copy_dir(
        &site().join("search-index/index"),
        &root.path().join("search-index/index"),
    );
    root
}

/// `GET uri` through the router of the site at `root`.
fn get_from(root: &Path, uri: &str) -> Reply {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let state = kpot::server::state_for(root).unwrap();
        let app = kpot::server::router(state, &root.join("public"));
        let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    })
}

#[test]
fn symlinks_below_the_output_folder_are_not_followed() {
    use std::os::unix::fs::symlink;
    let root = copy_of_site();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "SECRET\n").unwrap();
    let public = root.path().join("public");
    symlink(outside.path().join("secret.txt"), public.join("p.txt")).unwrap();
    symlink(outside.path(), public.join("out")).unwrap();
    symlink("/etc/passwd", public.join("en/passwd.txt")).unwrap();
    // A link to a file inside the folder is refused too: only regular files.
    symlink(public.join("robots.txt"), public.join("robots2.txt")).unwrap();
    for path in [
        "/p.txt",
        "/out/secret.txt",
        "/out/",
        "/en/passwd.txt",
        "/robots2.txt",
    ] {
        let r = get_from(root.path(), path);
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !r.text().contains("SECRET") && !r.text().contains("root:"),
            "{path}"
        );
    }
    assert_eq!(get_from(root.path(), "/robots.txt").status, StatusCode::OK);

    // The output folder itself may be a link (to a generation of the site,
    // as `kpot build` publishes it): that one link is followed.
    if std::fs::read_link(&public).is_err() {
        let generation = root.path().join(".public.generations/test");
        std::fs::create_dir_all(generation.parent().unwrap()).unwrap();
        std::fs::rename(&public, &generation).unwrap();
        symlink(".public.generations/test", &public).unwrap();
    }
    assert!(std::fs::read_link(&public).is_ok());
    assert_eq!(get_from(root.path(), "/").status, StatusCode::OK);
    assert_eq!(get_from(root.path(), "/councils/").status, StatusCode::OK);
    assert_eq!(
        get_from(root.path(), "/p.txt").status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn files_have_their_type_with_a_charset_for_text() {
    for (path, wanted) in [
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/councils/kagoshima/", "text/html; charset=utf-8"),
        ("/kpot.css", "text/css; charset=utf-8"),
        ("/kpot.js", "text/javascript; charset=utf-8"),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/events/calendar.ics", "text/calendar; charset=utf-8"),
        ("/no/such/page/", "text/html; charset=utf-8"),
    ] {
        let r = get(path);
        assert_eq!(r.headers[header::CONTENT_TYPE], wanted, "{path}");
    }
    // A folder without its slash is redirected, keeping the query.
    let r = get("/councils?x=1");
    assert_eq!(r.headers[header::LOCATION], "/councils/?x=1");
}

#[test]
fn pages_files_and_the_api_carry_the_security_headers() {
    for path in [
        "/",
        "/councils/",
        "/kpot.css",
        "/robots.txt",
        "/no/such/page/",
        "/api/search?q=a",
        "/api/suggest?q=a",
        "/api/openapi.json",
        "/search/?q=a",
        "/healthz",
    ] {
        let r = get(path);
        let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{path}: {csp}"
        );
        assert_eq!(
            r.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{path}"
        );
        assert_eq!(r.headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(
            r.headers[header::REFERRER_POLICY],
            "strict-origin-when-cross-origin",
            "{path}"
        );
    }
}

/// The policy forbids inline scripts and event handlers: the built site
/// has none (JSON-LD data blocks are not run).
#[test]
fn the_built_site_needs_no_inline_script() {
    for (name, bytes) in common::snapshot(&site().join("public")) {
        if !name.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
        for tag in html.split("<script").skip(1) {
            let open = &tag[..tag.find('>').unwrap_or(tag.len())];
            assert!(
                open.contains(" src=") || open.contains("application/ld+json"),
                "{name}: inline <script{open}>"
            );
        }
        for attribute in [
            " onclick=",
            " onload=",
            " onerror=",
            " onchange=",
            " onsubmit=",
            "javascript:",
        ] {
            assert!(!html.contains(attribute), "{name}: {attribute}");
        }
    }
}

#[test]
fn text_that_is_not_utf8_is_a_400_naming_the_parameter() {
    for path in [
        "/api/search?q=%ff",
        "/api/suggest?q=%ff",
        "/api/search?lang=ja&q=a%C3%28",
    ] {
        let r = get(path);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(r.json()["error"]["parameter"], "q", "{path}");
    }
    assert_eq!(get("/search/?q=%ff").status, StatusCode::BAD_REQUEST);
}

#[test]
fn sigterm_lets_a_response_in_flight_finish() {
    use std::io::Write;
    let root = copy_of_site();
    // Far more than the socket buffers hold: the server is still writing
    // when SIGTERM comes.
    let size = 64 << 20;
    std::fs::write(root.path().join("public/big.bin"), vec![7u8; size]).unwrap();
    let (mut server, port) = start_server(root.path(), &["--shutdown-timeout", "60"]);
    let mut download = connect(port);
    download
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1024];
    let mut got = download.read(&mut first).unwrap();
    let head_end = first[..got]
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the head comes in the first read")
        + 4;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    got += closed_by_server(&mut download, "after the download").len();
    assert_eq!(
        got - head_end,
        size,
        "the whole file, though SIGTERM came first"
    );
    assert!(server.0.wait().unwrap().success());
}

/// Titles come back as written (JSON is not HTML); snippets are escaped
/// HTML; the server-rendered search page escapes both.
#[test]
fn hostile_titles_are_plain_text_in_json_and_escaped_in_html() {
    let site = common::Site::portal();
    let hostile = "<img src=x onerror=alert(1)> 補助金";
    site.file(
        "content/notices/kip/hostile.md",
        &common::notice(hostile, "", "2027-03-31"),
    );
    site.file(
        "content/about.md",
        &common::page(
            "安全な題名",
            "",
            "補助金について `<script>alert(1)</script>` と書きます。\n",
        ),
    );
    site.build(&["--now", "2027-01-10"]).ok();
    let r = get_from(site.root(), &format!("/api/search?q={}", enc("補助金")));
    let j = r.json();
    let titles: Vec<&str> = j["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&hostile), "{titles:?}");
    for hit in j["hits"].as_array().unwrap() {
        let snippet = hit["snippet"].as_str().unwrap();
        let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
        assert!(!without_marks.contains('<'), "{snippet}");
    }
    assert!(
        j["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["snippet"].as_str().unwrap().contains("&lt;script&gt;")),
        "{j}"
    );
    let page = get_from(site.root(), &format!("/search/?q={}", enc("補助金"))).text();
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
}

#[test]
fn a_byte_range_of_a_file() {
    let whole = get("/robots.txt").body;
    let part = get_with("/robots.txt", &[("range", "bytes=2-6")]);
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, whole[2..7]);
    assert_eq!(
        part.headers[header::CONTENT_RANGE],
        format!("bytes 2-6/{}", whole.len())
    );
    let beyond = get_with("/robots.txt", &[("range", "bytes=100000-")]);
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
}

/// Small files are kept in memory once read; a request still sees the file
/// on disk as it is now: rewritten, or replaced by a link (refused).
#[test]
fn kept_files_follow_the_disk() {
    use std::os::unix::fs::symlink;
    let root = copy_of_site();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "SECRET\n").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = kpot::server::state_for(root.path()).unwrap();
    let app = kpot::server::router(state, &root.path().join("public"));
    let ask = |path: &str| {
        runtime.block_on(async {
            let request = Request::builder().uri(path).body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (status, String::from_utf8_lossy(&body).into_owned())
        })
    };
    let robots = root.path().join("public/robots.txt");
    let (status, first) = ask("/robots.txt");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ask("/robots.txt").1, first);

    let same_length: String = first
        .chars()
        .map(|c| if c == 'a' { 'b' } else { c })
        .collect();
    assert_ne!(same_length, first);
    std::fs::write(&robots, &same_length).unwrap();
    assert_eq!(ask("/robots.txt").1, same_length, "rewritten in place");

    std::fs::remove_file(&robots).unwrap();
    symlink(outside.path().join("secret.txt"), &robots).unwrap();
    let (status, body) = ask("/robots.txt");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("SECRET"));

    std::fs::remove_file(&robots).unwrap();
    std::fs::write(&robots, "User-agent: *\n").unwrap();
    assert_eq!(
        ask("/robots.txt"),
        (StatusCode::OK, "User-agent: *\n".to_string())
    );
}

/// The body of `GET path` from the server on `port` (HTTP/1.1, closed after).
fn body_of(port: u16, path: &str) -> String {
    use std::io::Write;
    let mut stream = connect(port);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let bytes = closed_by_server(&mut stream, path);
    let text = String::from_utf8_lossy(&bytes).to_string();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or(text)
}

#[test]
fn now_fixes_the_time_search_statuses_are_computed_at() {
    let site = common::Site::portal();
    site.file(
        "content/notices/kip/call.md",
        &common::notice("架空の設備補助金", "2027-02-01", "2027-03-31"),
    );
    site.build(&["--now", "2027-02-15"]).ok();
    let open = "/api/search?q=%E8%A8%AD%E5%82%99%E8%A3%9C%E5%8A%A9%E9%87%91&lang=ja&status=open";
    let (_during, port) = start_server(site.root(), &["--now", "2027-02-15"]);
    let during = body_of(port, open);
    assert!(during.contains("/notices/kip/call/"), "{during}");
    let (_after, port) = start_server(site.root(), &["--now", "2027-04-01"]);
    let later = body_of(port, open);
    assert!(!later.contains("/notices/kip/call/"), "{later}");
    let closed = open.replace("status=open", "status=closed");
    assert!(body_of(port, &closed).contains("/notices/kip/call/"));
}
