//! Any bytes as a content file: splitting, front matter parsing and its
//! explanations, typed fields, Markdown rendering and diagnostic output must
//! never panic.

#![no_main]

use kpot::content::frontmatter;
use kpot::content::load::check_text;
use kpot::markdown::{self, LinkResolver};
use libfuzzer_sys::fuzz_target;

/// Where the file is pretended to live: each typed section and a plain page.
const PATHS: [&str; 6] = [
    "events/kip/a.md",
    "notices/kip/a.en.md",
    "programs/a.md",
    "about.md",
    "events/kip/_index.md",
    "events/kip/2027-02-15-a.md",
];

struct Links;

impl LinkResolver for Links {
    fn resolve(&self, path: &str) -> Option<String> {
        path.starts_with("programs/").then(|| format!("/{path}/"))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let rel = PATHS[selector as usize % PATHS.len()];
    for diagnostic in check_text(rel, &text) {
        let _ = diagnostic.render(kpot::format::Lang::Ja);
        let _ = kpot::check::report::source_excerpt(&text, diagnostic.line, diagnostic.column);
    }
    let _ = kpot::content::fields::date_hint(&text);
    let _ = markdown::unsafe_html(&text);
    if let Ok(Some(split)) = frontmatter::split(&text) {
        let _ = frontmatter::parse(&split);
        let _ = frontmatter::explain(&split);
        let _ = frontmatter::locate(&split, Some("extra"), "venue");
        let _ = markdown::render(split.body, &Links);
    } else {
        let _ = markdown::render(&text, &Links);
    }
});
