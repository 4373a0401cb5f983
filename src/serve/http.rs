//! The preview's HTTP side: the site from memory, the search API of
//! `kpot server`, the live-reload events and the page script.

use super::{Live, Signal};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// Where pages listen for changes.
pub const EVENTS: &str = "/__kpot/events";
/// The page script, a file of its own so a Content-Security-Policy that
/// allows only the site's own scripts lets it run.
pub const SCRIPT: &str = "/__kpot/live.js";
/// Every served file with a hash of its bytes, for tests and tools that
/// compare the preview with a build.
pub const MANIFEST: &str = "/__kpot/files";

const LIVE_JS: &str = include_str!("live.js");

const NOTHING_BUILT: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>kpot serve</title></head><body><p>kpot serve: the site has errors and nothing could be built yet. Fix them and this page reloads.</p></body></html>\n";

/// The routes: `kpot server`'s search API and search pages, the site's
/// files from memory, and the preview's own endpoints. HTML responses get
/// the page script before `</body>`.
pub fn router(live: Arc<Live>) -> Router {
    let api = crate::server::api_routes().with_state(live.search.clone());
    let site = Router::new()
        .route(SCRIPT, get(script))
        .route(MANIFEST, get(manifest))
        .fallback(file)
        .with_state(live.clone())
        .merge(api)
        .layer(middleware::from_fn(inject_script))
        // The preview runs on the editor's own machine: the fastest level
        // (the default, brotli's best, takes seconds on the web editor's
        // 5 MB script).
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .layer(RequestBodyLimitLayer::new(16 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(10),
        ));
    // The event stream stays open: no timeout, no compression.
    Router::new()
        .route(EVENTS, get(events))
        .with_state(live)
        .merge(site)
        .layer(middleware::from_fn(crate::server::security_headers))
}

/// A file of the site, as `kpot server` serves `public/`: `index.html` for
/// folders, a redirect to add a missing trailing slash, `404.html` (with
/// status 404) for anything else. Files are revalidated on every request
/// (`no-cache` with an ETag of the bytes): a preview must never show a
/// stale copy.
async fn file(State(live): State<Arc<Live>>, request: Request) -> Response {
    let uri: Uri = request.uri().clone();
    let decoded = percent_decode(uri.path());
    let path = decoded.trim_start_matches('/');
    let wanted = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    let (found, slash) = {
        let Ok(files) = live.files.read() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        if files.is_empty() {
            // Nothing good was ever built: a page that can show the errors
            // and reloads once they are fixed.
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                NOTHING_BUILT,
            )
                .into_response();
        }
        match files.get(&wanted) {
            Some(bytes) => (Some((wanted.clone(), bytes.clone())), false),
            None => {
                let folder = format!("{wanted}/index.html");
                if files.contains_key(&folder) {
                    (None, true)
                } else {
                    let lang_404 = if path.starts_with("en/") {
                        "en/404.html"
                    } else {
                        "404.html"
                    };
                    let fallback = files.get(lang_404).or_else(|| files.get("404.html"));
                    (fallback.map(|b| ("404.html".to_string(), b.clone())), false)
                }
            }
        }
    };
    if slash {
        let location = format!("{}/", uri.path());
        let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        return response;
    }
    let Some((name, bytes)) = found else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let status = if name == wanted {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let etag = format!("\"{:016x}\"", fnv(&bytes));
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if fresh && status == StatusCode::OK {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = (status, Body::from(bytes)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, crate::server::content_type(&name));
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        LIVE_JS,
    )
        .into_response()
}

/// `{"path": "fnv64 hex", …}` of every served file.
async fn manifest(State(live): State<Arc<Live>>) -> Response {
    let Ok(files) = live.files.read() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let map: std::collections::BTreeMap<&str, String> = files
        .iter()
        .map(|(path, bytes)| (path.as_str(), format!("{:016x}", fnv(bytes))))
        .collect();
    let body = serde_json::to_vec(&map).unwrap_or_default();
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Server-sent events: first the current errors (if any), so a page opened
/// while they stand shows them, then every change.
async fn events(State(live): State<Arc<Live>>) -> Response {
    let receiver = live.events.subscribe();
    let current = live.problems.read().ok().and_then(|p| p.clone());
    let first = current.map(Signal::Problems);
    let stream =
        futures_util::stream::unfold((first, receiver), |(mut first, mut receiver)| async move {
            {
                let signal = match first.take() {
                    Some(signal) => signal,
                    None => match receiver.recv().await {
                        Ok(signal) => signal,
                        // Missed some: reloading is always right.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            Signal::Reload(vec![String::new()])
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    },
                };
                let event = match &signal {
                    Signal::Reload(paths) => Event::default()
                        .event("reload")
                        .data(serde_json::to_string(paths).unwrap_or_default()),
                    Signal::Css(paths) => Event::default()
                        .event("css")
                        .data(serde_json::to_string(paths).unwrap_or_default()),
                    Signal::Problems(payload) => {
                        Event::default().event("problems").data(payload.to_string())
                    }
                    Signal::Fixed => Event::default().event("fixed").data("{}"),
                };
                Some((Ok::<Event, Infallible>(event), (None, receiver)))
            }
        });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Puts the page script before the last `</body>` of every HTML response,
/// files and server-rendered search pages alike.
async fn inject_script(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let injected = inject(&bytes);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(injected))
}

/// The tag that loads the page script.
pub const SCRIPT_TAG: &str = "<script src=\"/__kpot/live.js\"></script>";

fn inject(html: &[u8]) -> Bytes {
    let at = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + SCRIPT_TAG.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(SCRIPT_TAG.as_bytes());
    out.extend_from_slice(&html[at..]);
    Bytes::from(out)
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in bytes {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3);
    }
    hash
}

/// `%E3%81%82` → `あ`; an invalid escape is left as it is.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(hex) = std::str::from_utf8(&bytes[i + 1..i + 3])
            && let Ok(value) = u8::from_str_radix(hex, 16)
        {
            out.push(value);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_goes_before_the_last_body_end() {
        let out = inject(b"<html><body><p>a</p></BODY></html>");
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            format!("<html><body><p>a</p>{SCRIPT_TAG}</BODY></html>")
        );
        let out = inject(b"<p>no body</p>");
        assert!(std::str::from_utf8(&out).unwrap().ends_with(SCRIPT_TAG));
    }

    #[test]
    fn paths_are_decoded() {
        assert_eq!(percent_decode("/%E3%81%82/x%2"), "/あ/x%2");
        assert_eq!(percent_decode("/a%zz"), "/a%zz");
    }
}
