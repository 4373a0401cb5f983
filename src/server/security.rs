//! The security headers of every response, `kpot server`'s and
//! `kpot serve`'s alike: pages, files and the API.
//!
//! The theme loads only its own stylesheet and script (`/kpot.css`,
//! `/kpot.js`, and `/__kpot/live.js` in the preview) and uses no inline
//! script or event handler, so scripts are limited to the site's own files.
//! Inline `style` attributes stay allowed (`style-src-attr`): Markdown
//! tables align their columns with them; they cannot run script.
//!
//! The bundled web editor under `/admin/` (Decap CMS) needs more: it
//! compiles its configuration's schema with `new Function` (AJV), sets
//! styles from its script, shows pictures being uploaded (`blob:`) and
//! avatars from the Git host, and talks to the Git host's API. Its header
//! policy is the outer bound of that; the editor's page narrows
//! `connect-src` to the one backend `config.toml` names with a policy of
//! its own (`<meta http-equiv>`, written by `cms::outputs`), and a browser
//! enforces both.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The site's pages, files and the API.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The web editor under `/admin/` (see above); scripts still only its own.
pub const ADMIN_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; font-src 'self'; \
connect-src 'self' blob: https: http://127.0.0.1:* http://localhost:*; object-src 'none'; \
base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Adds the Content-Security-Policy, `nosniff`, the referrer policy and
/// frame protection to every response that lacks them.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let admin = request.uri().path().starts_with("/admin/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let policy = if admin { ADMIN_CSP } else { CSP };
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}
