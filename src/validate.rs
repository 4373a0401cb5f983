//! Checks that need more than one file: references between content and
//! data, and links between pages.

use crate::catalog::Catalog;
use crate::content::{Content, PageKind};
use crate::data::Data;
use crate::diagnostics::{Diagnostic, Text, suggest};
use crate::markdown::{LinkProblem, LinkProblemKind, Rendered};
use std::collections::{BTreeSet, HashMap};

/// Taxonomies a page may use; the organizers taxonomy comes from the
/// `organizer` field, not from front matter.
pub const PAGE_TAXONOMIES: [&str; 2] = ["categories", "regions"];

/// Organizers must be known partners; taxonomies must be known kinds.
pub fn references(content: &Content, data: &Data) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let ids: Vec<&str> = data.organizations.iter().map(|o| o.id.as_str()).collect();
    for page in &content.pages {
        if let Some(org) = page.kind.organizer()
            && data.organization(org).is_none()
        {
            let line = line_of_key(&page.source.path, "organizer");
            let mut d = Diagnostic::error(
                &page.source.display,
                Text::new(
                    format!("organizer `{org}` は data/organizations.yaml にありません"),
                    format!("organizer `{org}` is not in data/organizations.yaml"),
                ),
            )
            .at(line, 1)
            .field("extra.organizer");
            if let Some(hint) = suggest(org, ids.iter().copied()) {
                d = d.help(Text::new(
                    format!("`{hint}` ではありませんか？"),
                    format!("did you mean `{hint}`?"),
                ));
            }
            diagnostics.push(d);
        }
        if let PageKind::Event(event) = &page.kind {
            for co in &event.co_organizers {
                let looks_like_id = co
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if looks_like_id && data.organization(co).is_none() && co.contains('-') {
                    diagnostics.push(
                        Diagnostic::warning(
                            &page.source.display,
                            Text::new(
                                format!("co_organizers の `{co}` は登録された機関 ID ではないので、名前として表示します"),
                                format!("co-organizer `{co}` is not a known organization id; it is shown as a name"),
                            ),
                        )
                        .field("extra.co_organizers"),
                    );
                }
            }
        }
        diagnostics.extend(unknown_terms(page, data));
        for name in page.meta.taxonomies.keys() {
            if !PAGE_TAXONOMIES.contains(&name.as_str()) {
                let mut d = Diagnostic::warning(
                    &page.source.display,
                    Text::new(
                        format!("分類 `{name}` は使われていません（categories と regions のみ）"),
                        format!("the taxonomy `{name}` is not used (only categories and regions)"),
                    ),
                )
                .field(format!("taxonomies.{name}"));
                if let Some(hint) = suggest(name, PAGE_TAXONOMIES) {
                    d = d.help(Text::new(
                        format!("`{hint}` ではありませんか？"),
                        format!("did you mean `{hint}`?"),
                    ));
                }
                diagnostics.push(d);
            }
        }
    }
    diagnostics
}

/// Terms of `categories` and `regions` must be listed in
/// `data/taxonomies.yaml` (by slug, label or alias): an unlisted one would
/// quietly open a term page of its own (`/regions/川崎市/` beside
/// `/regions/kawasaki/`). A taxonomy the file does not list takes any term.
fn unknown_terms(page: &crate::content::Page, data: &Data) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for taxonomy in PAGE_TAXONOMIES {
        let (Some(written), Some(terms)) = (
            page.meta.taxonomies.get(taxonomy),
            data.taxonomies.get(taxonomy),
        ) else {
            continue;
        };
        for value in written {
            if data.term(taxonomy, value).is_some() {
                continue;
            }
            let line = line_of_key(&page.source.path, taxonomy);
            diagnostics.push(
                Diagnostic::error(
                    &page.source.display,
                    Text::new(
                        format!(
                            "`{value}` は data/taxonomies.yaml の{}にありません",
                            taxonomy_ja(taxonomy)
                        ),
                        format!("`{value}` is not one of the {taxonomy} in data/taxonomies.yaml"),
                    ),
                )
                .at(line, 1)
                .field(format!("taxonomies.{taxonomy}"))
                .help(term_hint(taxonomy, value, terms)),
            );
        }
    }
    diagnostics
}

fn taxonomy_ja(taxonomy: &str) -> &'static str {
    if taxonomy == "regions" {
        "地域"
    } else {
        "分野"
    }
}

/// The closest listed name, or else the terms there are.
fn term_hint(taxonomy: &str, value: &str, terms: &[crate::data::Term]) -> Text {
    if let Some(hint) = suggest(value, terms.iter().flat_map(|t| t.names())) {
        return Text::new(
            format!("`{hint}` ではありませんか？"),
            format!("did you mean `{hint}`?"),
        );
    }
    let ja: Vec<&str> = terms.iter().map(|t| t.ja.as_str()).collect();
    let en: Vec<&str> = terms.iter().map(|t| t.en.as_str()).collect();
    Text::new(
        format!(
            "使える{}: {}（新しい語は data/taxonomies.yaml に加えます）",
            taxonomy_ja(taxonomy),
            ja.join("、")
        ),
        format!(
            "the {taxonomy} are: {} (a new one is added to data/taxonomies.yaml)",
            en.join(", ")
        ),
    )
}

/// Reports broken `@/` links, unsafe link schemes and anchors that name no
/// heading of their target.
pub fn links(
    content: &Content,
    catalog: &Catalog,
    bodies: &[Rendered],
    problems: &[Vec<LinkProblem>],
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut anchors: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for (page, body) in content.pages.iter().zip(bodies) {
        anchors
            .entry(page.key.as_str())
            .or_default()
            .extend(body.headings.iter().map(|h| h.id.as_str()));
    }
    for ((page, body), problems) in content.pages.iter().zip(bodies).zip(problems) {
        for problem in problems {
            let line = page.body_line + problem.line - 1;
            let d = match problem.kind {
                LinkProblemKind::UnsafeHtml => Diagnostic::warning(
                    &page.source.display,
                    Text::new(
                        format!(
                            "HTML の `{}` は安全のため公開時に取り除かれます",
                            problem.target
                        ),
                        format!(
                            "`{}` in this HTML is removed when the site is built, for safety",
                            problem.target
                        ),
                    ),
                )
                .help(Text::new(
                    "スクリプト、イベント属性（onclick など）、埋め込みフレームは使えません。リンクは [文字](https://…) と書いてください",
                    "scripts, event attributes (onclick …) and embedded frames are not allowed; write links as [text](https://…)",
                )),
                LinkProblemKind::Missing => Diagnostic::error(
                    &page.source.display,
                    Text::new(
                        format!("リンク先 {} のページがありません", problem.target),
                        format!("the link {} points to no page", problem.target),
                    ),
                )
                .help(Text::new(
                    "@/ の後に content/ からのファイルのパスを書きます（例: @/programs/yorozu.md）",
                    "after @/ write the file's path from content/ (e.g. @/programs/yorozu.md)",
                )),
                LinkProblemKind::Scheme => Diagnostic::error(
                    &page.source.display,
                    Text::new(
                        format!(
                            "リンク {} は使えません（http, https, mailto, tel のみ）",
                            problem.target
                        ),
                        format!(
                            "the link {} is not allowed (only http, https, mailto and tel)",
                            problem.target
                        ),
                    ),
                ),
            };
            diagnostics.push(d.at(line, problem.column));
        }
        for link in &body.anchor_links {
            let key = crate::content::load::translation_key(link.path.trim_start_matches('/'));
            let known = anchors.get(key.as_str());
            if known.is_some_and(|ids| !ids.contains(link.anchor.as_str())) {
                let mut d = Diagnostic::error(
                    &page.source.display,
                    Text::new(
                        format!(
                            "リンク先 @/{}#{} の見出しがありません",
                            link.path, link.anchor
                        ),
                        format!(
                            "the link @/{}#{} names no heading of that page",
                            link.path, link.anchor
                        ),
                    ),
                )
                .at(page.body_line + link.line - 1, link.column);
                if let Some(hint) = known.and_then(|ids| suggest(&link.anchor, ids.iter().copied()))
                {
                    d = d.help(Text::new(
                        format!("`#{hint}` ではありませんか？"),
                        format!("did you mean `#{hint}`?"),
                    ));
                }
                diagnostics.push(d);
            }
        }
    }
    let _ = catalog;
    diagnostics
}

/// Pages and sections may name templates (Zola's `template`,
/// `page_template`); a name the theme lacks falls back to the default
/// template, with a warning.
pub fn templates(content: &Content, theme: &crate::theme::Theme) -> Vec<Diagnostic> {
    let known: Vec<&str> = theme
        .templates
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    let mut diagnostics = Vec::new();
    let mut check = |file: &std::path::Path, field: &str, name: &Option<String>| {
        if let Some(name) = name
            && !known.contains(&name.as_str())
        {
            let mut d = Diagnostic::warning(
                file,
                Text::new(
                    format!(
                        "テンプレート `{name}` はテーマにないため、標準のテンプレートを使います"
                    ),
                    format!("the theme has no template `{name}`; the default template is used"),
                ),
            )
            .field(field);
            if let Some(hint) = suggest(name, known.iter().copied()) {
                d = d.help(Text::new(
                    format!("`{hint}` ではありませんか？"),
                    format!("did you mean `{hint}`?"),
                ));
            }
            diagnostics.push(d);
        }
    };
    for page in &content.pages {
        check(&page.source.display, "template", &page.meta.template);
    }
    for section in &content.sections {
        if let Some(source) = &section.source {
            check(&source.display, "template", &section.meta.template);
            check(
                &source.display,
                "page_template",
                &section.meta.page_template,
            );
        }
    }
    diagnostics
}

/// The file line where `key` is set, for diagnostics raised after loading.
fn line_of_key(path: &std::path::Path, key: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0;
    };
    text.lines()
        .position(|line| {
            let t = line.trim_start();
            t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(['=', ':']))
        })
        .map_or(0, |i| i + 1)
}
