//! `kpot server`: serves the built site and the search API, read-only.
//!
//! The index is opened once and swapped for a new one when a build replaces
//! `search-index/index/`; a query in flight keeps the index it started with.

mod files;
mod listen;
mod openapi;
mod page;
pub mod params;
mod security;

pub use files::content_type;
pub use listen::Limits;
pub use security::security_headers;

/// The search page's context without results, for the static build.
pub fn page_context(
    request: &crate::search::Request,
    lang: crate::format::Lang,
    url: &str,
) -> minijinja::Value {
    page::search_context(request, None, None, lang, url)
}

use crate::search::SearchIndex;
use axum::Router;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub struct Options {
    pub root: PathBuf,
    pub interface: String,
    pub port: u16,
    pub limits: Limits,
    /// A fixed "now" (`--now`, as for `kpot build`).
    pub now: Option<String>,
}

/// What a request handler reads.
pub struct AppState {
    index: RwLock<Option<Arc<SearchIndex>>>,
    index_dir: PathBuf,
    page: RwLock<Arc<page::SearchPage>>,
    /// A fixed "now" (`--now`), so statuses such as 受付中 in answers are
    /// reproducible, as in the build they answer for.
    now: std::sync::OnceLock<chrono::DateTime<chrono::FixedOffset>>,
}

impl AppState {
    /// Answers as of `now` from here on instead of the clock's time.
    pub fn fix_now(&self, now: chrono::DateTime<chrono::FixedOffset>) {
        let _ = self.now.set(now);
    }

    /// The time answers are computed as of: the fixed one, else now.
    pub fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        match self.now.get() {
            Some(now) => *now,
            None => crate::when::now_or(None).unwrap_or_default(),
        }
    }

    pub fn index(&self) -> Option<Arc<SearchIndex>> {
        self.index.read().map(|guard| guard.clone()).unwrap_or(None)
    }

    /// Serves `index` from now on (`kpot serve` after updating it).
    pub fn replace_index(&self, index: SearchIndex) {
        if let Ok(mut slot) = self.index.write() {
            *slot = Some(Arc::new(index));
        }
    }

    fn page(&self) -> Arc<page::SearchPage> {
        match self.page.read() {
            Ok(page) => page.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the search page's templates again (`kpot serve` after a theme
    /// edit).
    pub fn reload_page(&self, root: &Path) -> Result<(), String> {
        let page = page::SearchPage::load(root)?;
        if let Ok(mut slot) = self.page.write() {
            *slot = Arc::new(page);
        }
        Ok(())
    }
}

/// Runs the server until SIGTERM or Ctrl-C, then finishes the requests in
/// flight.
pub fn run(options: Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(serve(options))
}

async fn serve(options: Options) -> Result<(), String> {
    let public = options.root.join("public");
    if !public.join("index.html").is_file() {
        return Err(format!(
            "{} has no built site: run `kpot build` first",
            public.display()
        ));
    }
    let index_dir = options.root.join("search-index").join("index");
    let state = state_with_index(&options.root, &index_dir, true)?;
    if let Some(fixed) = &options.now {
        state.fix_now(
            crate::when::now_or(Some(fixed)).map_err(|e| format!("cannot read --now: {e}"))?,
        );
    }
    tokio::spawn(watch_index(state.clone()));

    let app = router(state, &public);
    let mut limits = options.limits;
    limits.max_connections = listen::fit_connections(limits.max_connections);
    let address: SocketAddr = format!("{}:{}", options.interface, options.port)
        .parse()
        .map_err(|e| format!("bad address {}:{}: {e}", options.interface, options.port))?;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    eprintln!(
        "kpot server: http://{address}/ (search index: {}; at most {} connections, header timeout {} s, shutdown timeout {} s)",
        index_dir.display(),
        limits.max_connections,
        limits.header_timeout.as_secs_f64(),
        limits.shutdown_timeout.as_secs_f64(),
    );
    listen::serve(listener, app, limits, shutdown_signal()).await;
    eprintln!("kpot server: stopped");
    Ok(())
}

/// The routes, with bounded requests and time, compression, caching and
/// the security headers.
pub fn router(state: Arc<AppState>, public: &Path) -> Router {
    let files = Router::new()
        .fallback(files::serve)
        .with_state(Arc::new(files::Files::new(public.to_path_buf())));
    api_routes()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_headers))
        .layer(middleware::from_fn(security_headers))
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(16 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(10),
        ))
        .with_state(state)
}

/// The search API and the server-rendered search pages, without the
/// site's files: `kpot serve` adds its own.
pub fn api_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/search", get(api_search))
        .route("/api/suggest", get(api_suggest))
        .route("/api/openapi.json", get(openapi))
        .route("/search/", get(page::search_page_ja))
        .route("/en/search/", get(page::search_page_en))
}

/// Builds the state for tests and embedding: the site's page templates and
/// the index at `root/search-index/index`.
pub fn state_for(root: &Path) -> Result<Arc<AppState>, String> {
    state_with_index(root, &root.join("search-index").join("index"), true)
}

/// The state with the index at `index_dir`, opened now if `open` (else
/// it comes later through [`AppState::replace_index`]).
pub fn state_with_index(
    root: &Path,
    index_dir: &Path,
    open: bool,
) -> Result<Arc<AppState>, String> {
    Ok(Arc::new(AppState {
        index: RwLock::new(if open { open_index(index_dir) } else { None }),
        index_dir: index_dir.to_path_buf(),
        page: RwLock::new(Arc::new(page::SearchPage::load(root)?)),
        now: std::sync::OnceLock::new(),
    }))
}

fn open_index(dir: &Path) -> Option<Arc<SearchIndex>> {
    match SearchIndex::open(dir) {
        Ok(index) => Some(Arc::new(index)),
        Err(err) => {
            eprintln!("kpot server: {err}");
            None
        }
    }
}

/// Identifies the index on disk: a build replaces the whole folder, so the
/// folder's identity and its meta file's time change together.
fn index_stamp(dir: &Path) -> Option<(SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir.join("meta.json")).ok()?;
    let folder = std::fs::metadata(dir).ok()?;
    Some((meta.modified().ok()?, folder.ino()))
}

/// Polls for a rebuilt index and swaps it in once it opens cleanly.
async fn watch_index(state: Arc<AppState>) {
    let mut seen = index_stamp(&state.index_dir);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = index_stamp(&state.index_dir);
        if now.is_none() || now == seen {
            continue;
        }
        let dir = state.index_dir.clone();
        let opened = tokio::task::spawn_blocking(move || SearchIndex::open(&dir)).await;
        if let Ok(Ok(index)) = opened {
            if let Ok(mut slot) = state.index.write() {
                *slot = Some(Arc::new(index));
            }
            seen = now;
            eprintln!("kpot server: search index reloaded");
        }
    }
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match state.index() {
        Some(index) => (
            StatusCode::OK,
            format!("ok {} documents\n", index.num_docs()),
        )
            .into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "search index not loaded\n").into_response(),
    }
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn unavailable() -> Response {
    json_response(
        StatusCode::SERVICE_UNAVAILABLE,
        &serde_json::json!({"error": {"code": "index_unavailable", "message": "the search index is not loaded; run kpot build"}}),
    )
}

async fn api_search(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Response {
    let request = match params::parse(query.as_deref().unwrap_or("")) {
        Ok(request) => request,
        Err(error) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &serde_json::json!({ "error": error }),
            );
        }
    };
    let Some(index) = state.index() else {
        return unavailable();
    };
    let response = index.answer(&request, state.now());
    json_response(StatusCode::OK, &*response)
}

async fn api_suggest(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Response {
    let mut q = String::new();
    let mut lang = None;
    let pairs = match params::pairs(query.as_deref().unwrap_or("")) {
        Ok(pairs) => pairs,
        Err(error) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &serde_json::json!({ "error": error }),
            );
        }
    };
    for (key, value) in pairs {
        match key.as_str() {
            "q" => {
                q = value
                    .chars()
                    .take(crate::search::query::MAX_QUERY_CHARS)
                    .collect()
            }
            "lang" if params::LANGS.contains(&value.as_str()) => lang = Some(value),
            "lang" => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &serde_json::json!({"error": {"code": "bad_parameter", "message": "lang must be ja or en", "parameter": "lang"}}),
                );
            }
            _ => {}
        }
    }
    let Some(index) = state.index() else {
        return unavailable();
    };
    let suggestions = index.suggest(&q, lang.as_deref(), 10);
    json_response(
        StatusCode::OK,
        &serde_json::json!({ "q": q, "suggestions": suggestions }),
    )
}

async fn openapi() -> Response {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = DOCUMENT.get_or_init(|| {
        openapi::document()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    });
    let mut response = text.as_str().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// Cache-Control for everything: files revalidate with their ETag
/// (see `files`), the API and search pages are never reused unchecked.
async fn cache_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let cache = if path.starts_with("/api/") || path.ends_with("/search/") {
        "no-cache"
    } else if path.ends_with(".css") || path.ends_with(".js") {
        "public, max-age=3600"
    } else {
        "public, max-age=300"
    };
    let mut response = next.run(request).await;
    let headers: &mut HeaderMap = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}
