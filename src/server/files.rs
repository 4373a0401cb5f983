//! The site's files for `kpot server`: only regular files inside the
//! output folder, never through a symbolic link below it.
//!
//! The output folder itself is opened per request, following its own link
//! if it is one (`public` → `.public.generations/N`, swapped atomically by
//! a build), so a new generation is served from the next request on. Below
//! it, `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` refuses any link
//! and any way out in one system call; where the kernel lacks `openat2`,
//! the path is walked one component at a time with `O_NOFOLLOW`.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// Files up to this size are read whole on the request's thread (from the
/// page cache, a few microseconds); larger ones are streamed.
const READ_WHOLE: u64 = 512 * 1024;

/// How files are opened: never through a link, and without blocking on a
/// FIFO (which is then refused as not a regular file).
const READ: OFlags = OFlags::RDONLY
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK);

/// Files up to this size are kept in memory once read: a request for one
/// then costs a single `lstat` that checks it is still the same file.
const KEEP_UP_TO: u64 = 128 * 1024;
/// The most bytes kept in memory.
const KEPT_BYTES: u64 = 64 * 1024 * 1024;

/// Where the files come from, and the small ones already read.
pub struct Files {
    public: PathBuf,
    kept: quick_cache::sync::Cache<String, Arc<Kept>, ByLength>,
}

impl Files {
    pub fn new(public: PathBuf) -> Files {
        Files {
            public,
            kept: quick_cache::sync::Cache::with_weighter(4096, KEPT_BYTES, ByLength),
        }
    }
}

/// A file read once through `openat2`, with what identifies it on disk: a
/// request is answered from memory only while the path still leads to the
/// same inode, unchanged (a link swapped in leads elsewhere; a rewritten
/// file has a new size or time).
struct Kept {
    identity: Identity,
    bytes: axum::body::Bytes,
    etag: HeaderValue,
    modified: HeaderValue,
    kind: HeaderValue,
}

#[derive(PartialEq, Eq)]
struct Identity([i64; 7]);

impl Identity {
    // The fields' types differ between platforms.
    #[allow(clippy::unnecessary_cast)]
    fn of(meta: &rustix::fs::Stat) -> Identity {
        Identity([
            meta.st_dev as i64,
            meta.st_ino as i64,
            meta.st_size as i64,
            meta.st_mtime as i64,
            meta.st_mtime_nsec as i64,
            meta.st_ctime as i64,
            meta.st_ctime_nsec as i64,
        ])
    }
}

#[derive(Clone)]
struct ByLength;

impl quick_cache::Weighter<String, Arc<Kept>> for ByLength {
    fn weight(&self, key: &String, kept: &Arc<Kept>) -> u64 {
        (key.len() + kept.bytes.len()) as u64 + 256
    }
}

/// `GET`/`HEAD` of a file: `index.html` for a folder (a redirect adds a
/// missing trailing slash), `404.html` (`en/404.html` under `/en/`) with
/// status 404 for anything missing, a link or not a regular file.
pub async fn serve(State(files): State<Arc<Files>>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let path = request.uri().path();
    let Some(relative) = relative_path(path) else {
        return not_found(&files, path);
    };
    let wanted = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.clone()
    };
    let ranged = request.headers().contains_key(header::RANGE);
    if !ranged
        && let Some(kept) = files.kept.get(&wanted)
        && rustix::fs::lstat(files.public.join(&wanted))
            .is_ok_and(|m| Identity::of(&m) == kept.identity)
    {
        return kept_response(&kept, request.headers());
    }
    let root = match open_root(&files) {
        Ok(root) => root,
        Err(err) => {
            eprintln!("kpot server: {}: {err}", files.public.display());
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let Ok(file) = open_beneath(&root, &wanted) else {
        return not_found(&files, path);
    };
    match Kind::of(&file) {
        Some(Kind::Folder) if wanted == relative => redirect_to_folder(request.uri()),
        Some(Kind::File(meta)) if !ranged && (meta.st_size as u64) <= KEEP_UP_TO => {
            match keep(&files, file, &meta, wanted) {
                Ok(kept) => kept_response(&kept, request.headers()),
                Err(err) => {
                    eprintln!("kpot server: cannot read {path}: {err}");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            }
        }
        Some(Kind::File(meta)) => {
            file_response(file, meta, &wanted, StatusCode::OK, request.headers())
        }
        _ => not_found(&files, path),
    }
}

/// Reads a small file and keeps it for the next requests.
fn keep(
    files: &Files,
    file: OwnedFd,
    meta: &rustix::fs::Stat,
    name: String,
) -> std::io::Result<Arc<Kept>> {
    let mut bytes = Vec::with_capacity(meta.st_size as usize);
    std::fs::File::from(file).read_to_end(&mut bytes)?;
    let kept = Arc::new(Kept {
        identity: Identity::of(meta),
        bytes: bytes.into(),
        etag: HeaderValue::from_str(&etag_of(meta)).unwrap_or(HeaderValue::from_static("\"0\"")),
        modified: HeaderValue::from_str(&httpdate::fmt_http_date(modified_of(meta)))
            .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
        kind: content_type(&name),
    });
    files.kept.insert(name, kept.clone());
    Ok(kept)
}

/// 200 with a kept file's bytes, or 304 if the client has them.
fn kept_response(kept: &Kept, request: &HeaderMap) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == kept.etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Body::from(kept.bytes.clone()).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, kept.kind.clone());
    headers.insert(header::ETAG, kept.etag.clone());
    headers.insert(header::LAST_MODIFIED, kept.modified.clone());
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response
}

// The fields' types differ between platforms.
#[allow(clippy::unnecessary_cast)]
fn etag_of(meta: &rustix::fs::Stat) -> String {
    format!(
        "\"{:x}-{:x}-{:x}\"",
        meta.st_size,
        meta.st_mtime,
        meta.st_mtime_nsec as u64 ^ meta.st_ino
    )
}

fn modified_of(meta: &rustix::fs::Stat) -> SystemTime {
    SystemTime::UNIX_EPOCH
        + std::time::Duration::new(meta.st_mtime.max(0) as u64, meta.st_mtime_nsec as u32)
}

/// The decoded path without its leading `/`, or `None` if it could name
/// something outside the folder or is not UTF-8.
fn relative_path(path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let relative = decoded.trim_start_matches('/');
    let unsafe_part = relative
        .split('/')
        .any(|part| part == ".." || part == "." || part.contains('\\') || part.contains('\0'));
    if unsafe_part || relative.contains("//") {
        return None;
    }
    Some(relative.to_string())
}

fn open_root(files: &Files) -> std::io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        &files.public,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens `relative` below `root` for reading, refusing symbolic links and
/// anything outside.
fn open_beneath(root: &OwnedFd, relative: &str) -> Result<OwnedFd, Errno> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::ResolveFlags;
        match rustix::fs::openat2(
            root,
            relative,
            READ,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
        ) {
            Err(Errno::NOSYS) | Err(Errno::PERM) => {}
            Err(Errno::AGAIN) => return open_walking(root, relative),
            result => return result,
        }
    }
    open_walking(root, relative)
}

/// The portable way: one component at a time, none of them a link.
fn open_walking(root: &OwnedFd, relative: &str) -> Result<OwnedFd, Errno> {
    let mut parts = relative.split('/').peekable();
    let mut dir: Option<OwnedFd> = None;
    while let Some(part) = parts.next() {
        let at = dir.as_ref().unwrap_or(root);
        let last = parts.peek().is_none();
        let flags = if last {
            READ
        } else {
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW
        };
        dir = Some(rustix::fs::openat(at, part, flags, Mode::empty())?);
    }
    dir.ok_or(Errno::NOENT)
}

enum Kind {
    Folder,
    File(rustix::fs::Stat),
}

impl Kind {
    fn of(file: &OwnedFd) -> Option<Kind> {
        let meta = rustix::fs::fstat(file).ok()?;
        match rustix::fs::FileType::from_raw_mode(meta.st_mode) {
            rustix::fs::FileType::Directory => Some(Kind::Folder),
            rustix::fs::FileType::RegularFile => Some(Kind::File(meta)),
            _ => None,
        }
    }
}

fn redirect_to_folder(uri: &axum::http::Uri) -> Response {
    let location = match uri.query() {
        Some(query) => format!("{}/?{query}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The site's 404 page in the language of the path, status 404.
fn not_found(files: &Files, path: &str) -> Response {
    let page = if path.starts_with("/en/") {
        "en/404.html"
    } else {
        "404.html"
    };
    let opened = open_root(files).ok().and_then(|root| {
        open_beneath(&root, page)
            .or_else(|_| open_beneath(&root, "404.html"))
            .ok()
    });
    match opened.and_then(|file| Some((Kind::of(&file)?, file))) {
        Some((Kind::File(meta), file)) => {
            file_response(file, meta, page, StatusCode::NOT_FOUND, &HeaderMap::new())
        }
        _ => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

/// The file with its type, `Last-Modified` and an `ETag` of its size, time
/// and name; `304` when the client's copy is current.
fn file_response(
    file: OwnedFd,
    meta: rustix::fs::Stat,
    name: &str,
    status: StatusCode,
    request: &HeaderMap,
) -> Response {
    let size = meta.st_size.max(0) as u64;
    let modified = modified_of(&meta);
    let etag = etag_of(&meta);
    let fresh = status == StatusCode::OK
        && request
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let range = match (status, request.contains_key(header::IF_RANGE)) {
        (StatusCode::OK, false) => requested_range(request, size),
        _ => Ok(None),
    };
    let (status, start, length) = match range {
        _ if fresh => (StatusCode::NOT_MODIFIED, 0, 0),
        Ok(Some((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end + 1 - start),
        Ok(None) => (status, 0, size),
        Err(()) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match body(file, start, length) {
            Ok(body) => (status, body).into_response(),
            Err(err) => {
                eprintln!("kpot server: cannot read {name}: {err}");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    };
    let headers = response.headers_mut();
    if !fresh {
        // Streamed files too: a download shows its progress.
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {start}-{}/{size}", start + length - 1);
        if let Ok(value) = HeaderValue::from_str(&range) {
            headers.insert(header::CONTENT_RANGE, value);
        }
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CONTENT_TYPE, content_type(name));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    response
}

/// `length` bytes from `start`: read whole when small, else streamed.
fn body(file: OwnedFd, start: u64, length: u64) -> std::io::Result<Body> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::from(file);
    if start > 0 {
        file.seek(SeekFrom::Start(start))?;
    }
    if length <= READ_WHOLE {
        let mut bytes = Vec::with_capacity(length as usize);
        file.take(length).read_to_end(&mut bytes)?;
        return Ok(Body::from(bytes));
    }
    let reader = tokio::io::AsyncReadExt::take(tokio::fs::File::from_std(file), length);
    Ok(Body::from_stream(tokio_util::io::ReaderStream::new(reader)))
}

/// One byte range of `Range: bytes=…` (first and last byte, inclusive);
/// `Ok(None)` to send the whole file (no header, several ranges or one
/// not understood), `Err` if it lies beyond the end.
fn requested_range(request: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = request
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (first, last) = (first.trim(), last.trim());
    let range = match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(first), Ok(last)) if first <= last => (first, last.min(size.saturating_sub(1))),
        (Ok(first), Err(_)) if last.is_empty() => (first, size.saturating_sub(1)),
        (Err(_), Ok(suffix)) if first.is_empty() && suffix > 0 => {
            (size.saturating_sub(suffix), size.saturating_sub(1))
        }
        _ => return Ok(None),
    };
    if range.0 >= size {
        return Err(());
    }
    Ok(Some(range))
}

/// The media type of a file by its name, with `charset=utf-8` for text
/// (every text file of a kpot site is UTF-8).
pub fn content_type(name: &str) -> HeaderValue {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let fixed = match extension.as_deref() {
        Some("html" | "htm") => Some("text/html; charset=utf-8"),
        Some("css") => Some("text/css; charset=utf-8"),
        Some("js" | "mjs") => Some("text/javascript; charset=utf-8"),
        Some("json") => Some("application/json; charset=utf-8"),
        Some("xml") => Some("application/xml; charset=utf-8"),
        Some("txt") => Some("text/plain; charset=utf-8"),
        Some("ics") => Some("text/calendar; charset=utf-8"),
        Some("eml") => Some("message/rfc822"),
        Some("svg") => Some("image/svg+xml"),
        Some("webmanifest") => Some("application/manifest+json; charset=utf-8"),
        _ => None,
    };
    if let Some(fixed) = fixed {
        return HeaderValue::from_static(fixed);
    }
    let guessed = mime_guess::from_path(name).first_or_octet_stream();
    let text = guessed.type_() == mime_guess::mime::TEXT;
    let value = if text {
        format!("{guessed}; charset=utf-8")
    } else {
        guessed.to_string()
    };
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_types_carry_the_charset() {
        assert_eq!(content_type("robots.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("kpot.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("rss.xml"), "application/xml; charset=utf-8");
        assert_eq!(content_type("e/event.ics"), "text/calendar; charset=utf-8");
        assert_eq!(content_type("x.csv"), "text/csv; charset=utf-8");
        assert_eq!(content_type("logo.png"), "image/png");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }

    #[test]
    fn byte_ranges() {
        let ask = |range: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
            requested_range(&headers, 100)
        };
        assert_eq!(ask("bytes=0-9"), Ok(Some((0, 9))));
        assert_eq!(ask("bytes=90-"), Ok(Some((90, 99))));
        assert_eq!(ask("bytes=-10"), Ok(Some((90, 99))));
        assert_eq!(ask("bytes=50-500"), Ok(Some((50, 99))));
        assert_eq!(ask("bytes=100-"), Err(()));
        assert_eq!(ask("bytes=0-1,5-6"), Ok(None));
        assert_eq!(ask("bytes=9-0"), Ok(None));
        assert_eq!(ask("items=0-1"), Ok(None));
        assert_eq!(requested_range(&HeaderMap::new(), 100), Ok(None));
    }

    #[test]
    fn paths_that_could_leave_the_folder_are_refused() {
        assert_eq!(relative_path("/a/b.txt").as_deref(), Some("a/b.txt"));
        assert_eq!(relative_path("/%E3%81%82/").as_deref(), Some("\u{3042}/"));
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/b",
            "/a//b",
            "/%ff",
            "/a\\b",
            "/%00",
        ] {
            assert_eq!(relative_path(bad), None, "{bad}");
        }
    }
}
