//! HTML from a source (jGrants' `detail`) made into clean Markdown.
//!
//! Sanitized first with ammonia (an allowlist: scripts, styles, frames,
//! forms and every `on…` attribute go; links keep only http, https, mailto
//! and tel), then converted with htmd, whose image handler drops tracking
//! pixels. The page template renders the Markdown again through kpot's own
//! Markdown pipeline, so nothing here has to be trusted twice.

use htmd::HtmlToMarkdown;
use htmd::element_handler::{HandlerResult, Handlers};

/// Tags kept by the sanitizer: text structure, links, lists, tables and
/// images (judged again by [`image`]).
const TAGS: &[&str] = &[
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

/// The sanitized, converted Markdown of `html`; empty for empty input.
pub fn to_markdown(html: &str) -> String {
    let clean = sanitize(html);
    let converter = HtmlToMarkdown::builder()
        .skip_tags(vec!["script", "style", "iframe", "noscript"])
        .add_handler(vec!["img"], image)
        .build();
    // htmd reads a string already parsed once by ammonia; it cannot fail
    // on it, but an error still gives the plain text rather than a panic.
    let markdown = converter
        .convert(&clean)
        .unwrap_or_else(|_| ammonia::Builder::empty().clean(html).to_string());
    tidy(&markdown)
}

fn sanitize(html: &str) -> String {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(
            [
                "script", "style", "iframe", "noscript", "template", "object",
            ]
            .into(),
        )
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("img", ["src", "alt", "width", "height"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan"])
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"));
    builder.clean(html).to_string()
}

/// An image is kept only if it is served over https and is not a 1×1
/// tracking pixel.
fn image(_: &dyn Handlers, element: htmd::Element) -> Option<HandlerResult> {
    let attr = |name: &str| {
        element
            .attrs
            .iter()
            .find(|a| &*a.name.local == name)
            .map(|a| a.value.to_string())
    };
    let src = attr("src")?;
    let tiny = |name| attr(name).is_some_and(|v| matches!(v.trim(), "0" | "1" | "0px" | "1px"));
    if !src.starts_with("https://") || tiny("width") || tiny("height") {
        return Some("".into());
    }
    let alt = attr("alt").unwrap_or_default().replace(['[', ']'], "");
    Some(format!("![{alt}]({})", src.replace(' ', "%20").replace(')', "%29")).into())
}

/// Trailing spaces off, runs of blank lines to one, one final newline.
fn tidy(markdown: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in markdown.lines() {
        let line = line.trim_end();
        // A heading with no words (`<h2></h2>`) says nothing.
        if line.is_empty() || line.chars().all(|c| c == '#') {
            blank += 1;
            continue;
        }
        if !out.is_empty() && blank > 0 {
            out.push('\n');
        }
        blank = 0;
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_markdown;

    #[test]
    fn hostile_html_becomes_plain_markdown() {
        let html = r#"<h2 onclick="steal()">概要</h2>
<script>alert(1)</script><style>p{}</style>
<p>対象は<a href="https://example.jp/a" onmouseover="x()">こちら</a>と<a href="javascript:alert(1)">罠</a>。</p>
<iframe src="https://evil.example/"></iframe>
<img src="https://track.example/p.gif" width="1" height="1">
<img src="http://example.jp/insecure.png" alt="平文">
<img src="https://example.jp/chart.png" alt="図">
<ul><li>一</li><li>二</li></ul>
<table><tr><th>区分</th><th>上限</th></tr><tr><td>通常</td><td>100万円</td></tr></table>"#;
        let md = to_markdown(html);
        for bad in [
            "script",
            "alert",
            "steal",
            "onmouseover",
            "iframe",
            "evil",
            "track.example",
            "insecure",
            "style",
            "javascript",
        ] {
            assert!(!md.contains(bad), "{bad} survived:\n{md}");
        }
        assert!(md.contains("## 概要"), "{md}");
        assert!(md.contains("[こちら](https://example.jp/a)"), "{md}");
        assert!(md.contains("![図](https://example.jp/chart.png)"), "{md}");
        assert!(md.contains("一") && md.contains("二"), "{md}");
        assert!(md.contains("区分") && md.contains("100万円"), "{md}");
    }

    #[test]
    fn the_same_html_gives_the_same_markdown() {
        let html = "<p>a</p>\n\n\n<p>b  </p>";
        assert_eq!(to_markdown(html), to_markdown(html));
        assert_eq!(to_markdown(html), "a\n\nb\n");
        assert_eq!(to_markdown(""), "");
    }
}
