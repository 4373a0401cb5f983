//! What gets indexed: every page in its own language (never an English
//! fallback of a Japanese page), and the councils directory.

use crate::catalog::Catalog;
use crate::content::{Content, PageKind};
use crate::data::{Data, prefecture};
use crate::format::Lang;
use crate::markdown::Rendered;
use crate::render::views::sort_date;

/// The most body text kept per document: enough for any real page, and a
/// bound on what one hostile file can add to the index.
const MAX_BODY_CHARS: usize = 20_000;

#[derive(Clone, Debug, Default, Hash)]
pub struct SearchDoc {
    pub key: String,
    pub url: String,
    pub lang: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub body: String,
    pub organizer: Option<String>,
    pub categories: Vec<String>,
    pub regions: Vec<String>,
    /// Phone numbers and postal codes, matched digit for digit.
    pub numbers: Vec<String>,
    pub date: Option<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub opens: Option<i64>,
    pub closes: Option<i64>,
    pub event_status: Option<String>,
}

/// Display names of facet values in both languages:
/// facet → value → [ja, en]. Saved beside the index so the server can label
/// facets without the site's sources.
pub type Labels =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, [String; 2]>>;

pub fn labels(content: &Content, data: &Data) -> Labels {
    let mut labels = Labels::new();
    for page in &content.pages {
        for (taxonomy, facet) in [("categories", "category"), ("regions", "region")] {
            for written in page.meta.taxonomies.get(taxonomy).into_iter().flatten() {
                let (slug, ja) = data.resolve_term(taxonomy, written, Lang::Ja);
                let (_, en) = data.resolve_term(taxonomy, written, Lang::En);
                labels
                    .entry(facet.into())
                    .or_default()
                    .insert(slug, [ja, en]);
            }
        }
    }
    for org in &data.organizations {
        labels.entry("organizer".into()).or_default().insert(
            org.id.clone(),
            [org.name.get(Lang::Ja).into(), org.name.get(Lang::En).into()],
        );
    }
    labels
}

pub fn collect(
    content: &Content,
    catalog: &Catalog,
    data: &Data,
    bodies: &[Rendered],
) -> Vec<SearchDoc> {
    each(content, catalog, data, bodies).collect()
}

/// The documents of the pages whose translation key is `wanted`: what
/// `kpot serve` indexes again after an edit.
pub fn page_docs(
    content: &Content,
    catalog: &Catalog,
    data: &Data,
    bodies: &[Rendered],
    wanted: impl Fn(&str) -> bool,
) -> Vec<SearchDoc> {
    catalog
        .items
        .iter()
        .filter(|i| !i.fallback && wanted(&content.pages[i.page].key))
        .filter_map(|item| page_doc(content, data, bodies, item))
        .collect()
}

/// The councils' documents, one per council and language.
pub fn council_docs(data: &Data) -> Vec<SearchDoc> {
    data.councils
        .iter()
        .flat_map(|council| {
            Lang::ALL
                .into_iter()
                .map(move |lang| council_doc(council, lang))
        })
        .collect()
}

/// The documents of [`collect`] one at a time, in the same order: an index
/// build streams them rather than hold every page's text twice.
pub fn each<'a>(
    content: &'a Content,
    catalog: &'a Catalog,
    data: &'a Data,
    bodies: &'a [Rendered],
) -> impl Iterator<Item = SearchDoc> + 'a {
    let pages = catalog
        .items
        .iter()
        .filter(|i| !i.fallback)
        .filter_map(move |item| page_doc(content, data, bodies, item));
    let councils = data.councils.iter().flat_map(|council| {
        Lang::ALL
            .into_iter()
            .map(move |lang| council_doc(council, lang))
    });
    pages.chain(councils)
}

fn page_doc(
    content: &Content,
    data: &Data,
    bodies: &[Rendered],
    item: &crate::catalog::Item,
) -> Option<SearchDoc> {
    let page = &content.pages[item.page];
    if !page.meta.in_search_index {
        return None;
    }
    let in_hidden_section = content
        .sections
        .iter()
        .any(|s| s.path == page.section && !s.meta.in_search_index);
    if in_hidden_section {
        return None;
    }
    let lang = item.lang;
    let terms = |taxonomy: &str| -> Vec<String> {
        page.meta
            .taxonomies
            .get(taxonomy)
            .map(|written| {
                written
                    .iter()
                    .map(|w| data.resolve_term(taxonomy, w, lang).0)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut doc = SearchDoc {
        key: format!("{}#{}", page.key, lang.code()),
        url: item.url.clone(),
        lang: lang.code().into(),
        kind: page.kind.name().into(),
        title: page.meta.title.clone(),
        description: page.meta.description.clone().unwrap_or_default(),
        body: bodies[item.page]
            .text
            .chars()
            .take(MAX_BODY_CHARS)
            .collect(),
        organizer: page.kind.organizer().map(str::to_string),
        categories: terms("categories"),
        regions: terms("regions"),
        date: sort_date(page).map(|d| d.to_string()),
        ..SearchDoc::default()
    };
    match &page.kind {
        PageKind::Event(e) => {
            doc.start = Some(e.start.start().timestamp());
            doc.end = Some(e.end.end().timestamp());
            doc.event_status = Some(format!("{:?}", e.event_status).to_lowercase());
            let extra = [e.venue.as_deref(), e.address.as_deref()];
            append(&mut doc.body, extra.into_iter().flatten());
        }
        PageKind::Notice(n) => {
            doc.opens = n.opens.map(|o| o.start().timestamp());
            doc.closes = Some(n.closes.end().timestamp());
            append(&mut doc.body, n.eligibility.as_deref());
        }
        PageKind::Program(p) => {
            doc.numbers.extend(p.contact_phone.clone());
            append(&mut doc.body, p.target.as_deref());
            if page.key == "programs/management-innovation-plan.md" {
                for window in &data.windows {
                    append(&mut doc.body, Some(window.name.get(lang)));
                    doc.numbers.extend(window.phone.clone());
                }
            }
        }
        PageKind::Plain => {}
    }
    Some(doc)
}

fn council_doc(council: &crate::data::Council, lang: Lang) -> SearchDoc {
    let pref = prefecture(&council.prefecture);
    let mut body = String::new();
    let pref_names = pref.map(|p| [p.ja, p.en, p.region_ja, p.region_en]);
    append(&mut body, pref_names.iter().flatten().copied());
    append(&mut body, [council.host.get(lang)]);
    append(&mut body, council.address.as_ref().map(|a| a.get(lang)));
    append(&mut body, council.postal_code.as_deref());
    append(&mut body, council.phone.as_deref());
    SearchDoc {
        key: format!("councils/{}#{}", council.prefecture, lang.code()),
        url: format!("{}/councils/{}/", lang.prefix(), council.prefecture),
        lang: lang.code().into(),
        kind: "council".into(),
        title: council.name.get(lang).to_string(),
        description: council.host.get(lang).to_string(),
        body,
        numbers: council
            .phone
            .iter()
            .chain(council.postal_code.iter())
            .cloned()
            .collect(),
        regions: Vec::new(),
        ..SearchDoc::default()
    }
}

fn append<'a>(body: &mut String, texts: impl IntoIterator<Item = &'a str>) {
    for text in texts {
        if !body.is_empty() {
            body.push('\n');
        }
        body.push_str(text);
    }
}
