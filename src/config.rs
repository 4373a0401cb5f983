//! `config.toml`: Zola's keys where they exist, with kpot's defaults.

use crate::diagnostics::{Diagnostic, Text, display_path};
use crate::format::Lang;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The public address of the site, used for absolute links (canonical,
    /// sitemap, feeds); no trailing slash is kept.
    pub base_url: String,
    pub title: String,
    pub description: String,
    pub default_language: String,
    pub theme: String,
    pub generate_feeds: bool,
    pub feed_limit: Option<usize>,
    pub build_search_index: bool,
    /// Show Japanese dates in the era form (令和9年2月15日) across the site,
    /// as some public bodies require.
    pub japanese_era: bool,
    /// How many items a taxonomy term page lists per page.
    pub taxonomy_paginate_by: usize,
    pub languages: BTreeMap<String, LanguageConfig>,
    pub extra: toml::Table,
    /// Set by `kpot serve` (never read from the file): the web editor at
    /// `/admin/` talks to Decap's local proxy instead of the backend in
    /// `[extra.cms.backend]`.
    #[serde(skip)]
    pub local_editor: Option<LocalEditor>,
}

/// The web editor of `kpot serve`: Decap CMS's local proxy
/// (`decap-server`) at `proxy_url`, which writes into the working copy, or
/// with `review` (decap-server's git mode) saves each item on a branch
/// `cms/<collection>/<slug>` to be reviewed and merged, as on the Git host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalEditor {
    pub proxy_url: String,
    pub review: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct LanguageConfig {
    pub title: Option<String>,
    pub description: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: "http://127.0.0.1:8080".into(),
            title: "K-POT".into(),
            description: String::new(),
            default_language: "ja".into(),
            theme: "kpot".into(),
            generate_feeds: true,
            feed_limit: Some(50),
            build_search_index: true,
            japanese_era: false,
            taxonomy_paginate_by: 20,
            languages: BTreeMap::new(),
            extra: toml::Table::new(),
            local_editor: None,
        }
    }
}

impl Config {
    pub fn title(&self, lang: Lang) -> &str {
        self.language(lang)
            .and_then(|l| l.title.as_deref())
            .unwrap_or(&self.title)
    }

    pub fn description(&self, lang: Lang) -> &str {
        self.language(lang)
            .and_then(|l| l.description.as_deref())
            .unwrap_or(&self.description)
    }

    fn language(&self, lang: Lang) -> Option<&LanguageConfig> {
        if lang.code() == self.default_language {
            return None;
        }
        self.languages.get(lang.code())
    }

    /// The web editor's backend: Decap CMS's `backend` settings from
    /// `[extra.cms.backend]` (they must name one), or none.
    pub fn cms_backend(&self) -> Result<Option<serde_json::Map<String, serde_json::Value>>, Text> {
        let Some(backend) = self.extra.get("cms").and_then(|cms| cms.get("backend")) else {
            return Ok(None);
        };
        let map = match serde_json::to_value(backend) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => {
                return Err(Text::new(
                    "[extra.cms.backend] は表（Decap CMS の backend の設定）にしてください",
                    "[extra.cms.backend] must be a table (Decap CMS's backend settings)",
                ));
            }
        };
        match map.get("name").and_then(serde_json::Value::as_str) {
            // Decap's gitea backend has no editorial workflow: a partner's
            // save would land on the branch with no review.
            Some("gitea") => Err(Text::new(
                "name = \"gitea\" では投稿がレビューなしで公開されます。Forgejo なら name = \"forgejo\"、または github か gitlab にしてください",
                "name = \"gitea\" publishes partners' saves without review (Decap's gitea backend has no editorial workflow): use \"forgejo\" on Forgejo, or github or gitlab",
            )),
            Some(name) if !name.trim().is_empty() => Ok(Some(map)),
            _ => Err(Text::new(
                "[extra.cms.backend] に name（github、gitlab、gitea など）を書いてください",
                "[extra.cms.backend] needs `name` (github, gitlab, gitea …)",
            )),
        }
    }

    /// `https://example.org` + `/en/events/` → an absolute URL.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), path)
    }
}

/// Reads `config.toml`; a site without one gets the defaults, so a bare
/// content folder (such as the benchmark corpus) builds.
pub fn load(root: &Path) -> Result<Config, Diagnostic> {
    let path = root.join("config.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(err) => {
            return Err(Diagnostic::error(
                display_path(root, &path),
                Text::new(format!("読めません: {err}"), format!("cannot read: {err}")),
            ));
        }
    };
    let config: Config = toml::from_str(&text).map_err(|err| {
        let line = err
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0);
        Diagnostic::error(
            display_path(root, &path),
            Text::new(
                format!("config.toml の書き方に誤りがあります: {}", err.message()),
                format!("config.toml error: {}", err.message()),
            ),
        )
        .at(line, 0)
    })?;
    if config.default_language != "ja" {
        return Err(Diagnostic::error(
            display_path(root, &path),
            Text::new(
                "default_language は \"ja\" にしてください（日本語が既定の言語です）",
                "default_language must be \"ja\": Japanese is the portal's default language",
            ),
        )
        .field("default_language"));
    }
    if let Err(message) = config.cms_backend() {
        return Err(
            Diagnostic::error(display_path(root, &path), message).field("extra.cms.backend")
        );
    }
    Ok(config)
}
