//! What every page shares: language, theme strings, site title, language
//! switch with `hreflang` alternates, and navigation. Used by the static
//! build and by the server's search page alike.

use super::ser;
use crate::config::Config;
use crate::format::Lang;
use crate::theme::Theme;
use chrono::{DateTime, FixedOffset};
use minijinja::{Value, context};

/// How a page relates to its other-language version.
pub enum Alternates<'u> {
    /// Generated pages that exist at the same path in both languages.
    Same(&'u str),
    Item {
        other_url: &'u str,
        other_is_fallback: bool,
        self_is_fallback: bool,
        original: Option<&'u str>,
    },
}

pub struct Chrome<'a> {
    config: &'a Config,
    /// The theme strings as template values, converted once per language.
    strings: [Value; 2],
    now: DateTime<FixedOffset>,
}

impl<'a> Chrome<'a> {
    pub fn new(config: &'a Config, theme: &Theme, now: DateTime<FixedOffset>) -> Chrome<'a> {
        Chrome {
            config,
            strings: [ser(theme.strings(Lang::Ja)), ser(theme.strings(Lang::En))],
            now,
        }
    }

    /// The context every template gets: language, strings, site, language
    /// switch and alternates, navigation.
    pub fn base(&self, lang: Lang, url: &str, alternates: Alternates<'_>) -> Value {
        let other = match lang {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        };
        let (other_url, hreflang, noindex, canonical) = match alternates {
            Alternates::Same(path) => {
                let other_url = format!("{}{}", other.prefix(), path);
                let both = vec![
                    (
                        Lang::Ja.code(),
                        self.config
                            .absolute(&format!("{}{}", Lang::Ja.prefix(), path)),
                    ),
                    (
                        Lang::En.code(),
                        self.config
                            .absolute(&format!("{}{}", Lang::En.prefix(), path)),
                    ),
                ];
                (other_url, both, false, self.config.absolute(url))
            }
            Alternates::Item {
                other_url,
                other_is_fallback,
                self_is_fallback,
                original,
            } => {
                let mut list = vec![(lang.code(), self.config.absolute(url))];
                if self_is_fallback {
                    list.clear();
                }
                if !other_is_fallback {
                    list.push((other.code(), self.config.absolute(other_url)));
                }
                list.sort();
                let canonical = match original {
                    Some(original) => self.config.absolute(original),
                    None => self.config.absolute(url),
                };
                (other_url.to_string(), list, self_is_fallback, canonical)
            }
        };
        let hreflang: Vec<Value> = hreflang
            .into_iter()
            .map(|(code, href)| context! { lang => code, href => href })
            .collect();
        let nav: Vec<Value> = [
            ("programs", "/programs/"),
            ("events", "/events/"),
            ("notices", "/notices/"),
            ("councils", "/councils/"),
            ("organizations", "/organizations/"),
            ("about", "/about/"),
            ("search", "/search/"),
        ]
        .iter()
        .map(|(key, path)| {
            let href = format!("{}{}", lang.prefix(), path);
            context! { key => *key, url => href.clone(), active => url.starts_with(&href) }
        })
        .collect();
        context! {
            lang => lang.code(),
            t => self.strings[match lang { Lang::Ja => 0, Lang::En => 1 }].clone(),
            japanese_era => self.config.japanese_era,
            site => context! {
                title => self.config.title(lang),
                description => self.config.description(lang),
                base_url => self.config.base_url.trim_end_matches('/'),
                home => format!("{}/", lang.prefix()),
            },
            now => self.now.to_rfc3339(),
            current_url => url,
            canonical => canonical,
            noindex => noindex,
            alternates => hreflang,
            switch => context! { lang => other.code(), url => other_url },
            nav => nav,
        }
    }
}
