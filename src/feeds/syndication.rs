//! RSS 2.0 (`rss.xml`) and Atom (`atom.xml`), as Zola names them.
//!
//! Titles and categories are text (the crates escape them). An RSS
//! description is HTML by convention, so ours is plain text escaped as
//! HTML, line breaks as `<br>`: a title such as `<script>` reaches the
//! reader as text. Atom summaries are `type="text"`.

use super::{Feed, description_text, display_title, feed_title, item_terms, published};
use crate::format::Lang;
use crate::render::{Output, Payload, Site, xml_escape};
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;

pub fn render(site: &Site<'_>, feed: &Feed) -> Vec<Output> {
    let dir = feed.dir.trim_start_matches('/');
    vec![
        Output {
            path: format!("{dir}rss.xml"),
            payload: Payload::Bytes(rss(site, feed).into_bytes()),
        },
        Output {
            path: format!("{dir}atom.xml"),
            payload: Payload::Bytes(atom(site, feed).into_bytes()),
        },
    ]
}

/// The newest date in a feed; an empty feed says "now" (the build's).
fn last_updated(site: &Site<'_>, feed: &Feed) -> DateTime<FixedOffset> {
    feed.items
        .iter()
        .filter_map(|&i| published(&site.content.pages[site.catalog.items[i].page]))
        .map(|d| d.start())
        .max()
        .unwrap_or(site.now)
}

fn lang_tag(lang: Lang) -> &'static str {
    lang.code()
}

fn rss(site: &Site<'_>, feed: &Feed) -> String {
    use rss::extension::dublincore::{DublinCoreExtension, NAMESPACE as DC};
    let self_url = site.config.absolute(&format!("{}rss.xml", feed.dir));
    let mut items = Vec::new();
    for &index in &feed.items {
        let item = &site.catalog.items[index];
        let page = &site.content.pages[item.page];
        let link = site.config.absolute(&item.url);
        let mut dc = DublinCoreExtension::default();
        let mut categories = Vec::new();
        for (taxonomy, _slug, name, url) in item_terms(site, index) {
            categories.push(rss::Category {
                name: name.clone(),
                domain: Some(site.config.absolute(&url)),
            });
            match taxonomy {
                "categories" => dc.subjects.push(name),
                "regions" => dc.coverages.push(name),
                _ => dc.creators.push(name),
            }
        }
        if let Some(date) = published(page) {
            dc.dates.push(date.to_string());
        }
        dc.languages.push(lang_tag(item.lang).into());
        let description = description_text(site, index);
        items.push(rss::Item {
            title: Some(display_title(site, index)),
            link: Some(link.clone()),
            description: (!description.is_empty()).then(|| text_as_html(&description)),
            guid: Some(rss::Guid {
                value: link,
                permalink: true,
            }),
            pub_date: published(page).map(|d| d.start().to_rfc2822()),
            categories,
            dublin_core_ext: Some(dc),
            ..Default::default()
        });
    }
    let mut namespaces = BTreeMap::new();
    namespaces.insert("dc".to_string(), DC.to_string());
    namespaces.insert(
        "atom".to_string(),
        "http://www.w3.org/2005/Atom".to_string(),
    );
    let channel = rss::Channel {
        title: feed_title(site, feed.lang, feed.title.as_deref()),
        link: site.config.absolute(&feed.dir),
        description: site.config.description(feed.lang).to_string(),
        language: Some(lang_tag(feed.lang).into()),
        generator: Some("kpot".into()),
        last_build_date: Some(last_updated(site, feed).to_rfc2822()),
        items,
        namespaces,
        atom_ext: Some(rss::extension::atom::AtomExtension {
            links: vec![atom_syndication::Link {
                href: self_url,
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Default::default()
            }],
        }),
        ..Default::default()
    };
    let mut xml = channel.to_string();
    xml.push('\n');
    xml
}

fn atom(site: &Site<'_>, feed: &Feed) -> String {
    use atom_syndication::{Category, Entry, Link, Person, Text};
    let mut entries = Vec::new();
    let feed_updated = last_updated(site, feed);
    for &index in &feed.items {
        let item = &site.catalog.items[index];
        let page = &site.content.pages[item.page];
        let link = site.config.absolute(&item.url);
        let mut categories = Vec::new();
        let mut authors = Vec::new();
        for (taxonomy, slug, name, url) in item_terms(site, index) {
            if taxonomy == "organizers" {
                authors.push(Person {
                    name: name.clone(),
                    uri: Some(
                        site.config
                            .absolute(&format!("{}/organizations/{slug}/", item.lang.prefix())),
                    ),
                    ..Default::default()
                });
            }
            categories.push(Category {
                term: slug,
                scheme: Some(site.config.absolute(&url)),
                label: Some(name),
            });
        }
        if authors.is_empty() {
            authors.push(Person {
                name: site.config.title(item.lang).to_string(),
                ..Default::default()
            });
        }
        let updated = published(page).map_or(feed_updated, |d| d.start());
        let description = description_text(site, index);
        entries.push(Entry {
            title: Text::plain(display_title(site, index)),
            id: link.clone(),
            updated,
            published: page.meta.date.map(|d| d.start()),
            authors,
            categories,
            links: vec![Link {
                href: link,
                rel: "alternate".into(),
                hreflang: Some(lang_tag(item.lang).into()),
                mime_type: Some("text/html".into()),
                ..Default::default()
            }],
            summary: (!description.is_empty()).then(|| Text::plain(description)),
            ..Default::default()
        });
    }
    let atom = atom_syndication::Feed {
        title: Text::plain(feed_title(site, feed.lang, feed.title.as_deref())),
        id: site.config.absolute(&feed.dir),
        updated: feed_updated,
        subtitle: {
            let d = site.config.description(feed.lang);
            (!d.is_empty()).then(|| Text::plain(d))
        },
        links: vec![
            Link {
                href: site.config.absolute(&format!("{}atom.xml", feed.dir)),
                rel: "self".into(),
                mime_type: Some("application/atom+xml".into()),
                ..Default::default()
            },
            Link {
                href: site.config.absolute(&feed.dir),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                hreflang: Some(lang_tag(feed.lang).into()),
                ..Default::default()
            },
        ],
        generator: Some(atom_syndication::Generator {
            value: "kpot".into(),
            ..Default::default()
        }),
        lang: Some(lang_tag(feed.lang).into()),
        entries,
        ..Default::default()
    };
    let mut xml = atom.to_string();
    xml.push('\n');
    xml
}

/// Plain text as an HTML fragment that shows exactly that text.
fn text_as_html(text: &str) -> String {
    xml_escape(text).replace('\n', "<br>\n")
}
