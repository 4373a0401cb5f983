//! The web editor at `/admin/`: Decap CMS, configured from kpot's own
//! schema.
//!
//! Partners who do not use Git post through a form that still ends as one
//! Markdown file in a reviewed pull request. The form's fields, required
//! marks, choices and formats come from `content::schema` (the same
//! declarations the loader checks), the category, region and organizer
//! choices from `data/`, the labels and hints from the theme's translation
//! tables; so the form can only offer what `kpot check` accepts.
//!
//! The backend (GitHub, GitLab, Gitea/Forgejo …) is Decap's own `backend`
//! table, given in `config.toml` as `[extra.cms.backend]`; without it the
//! built site has no editor. `kpot serve` always has one, talking to Decap's
//! local proxy (`decap-server`), which writes into the working copy.

use crate::config::Config;
use crate::content::schema::{self, Field, Kind, Required};
use crate::data::Data;
use crate::format::Lang;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// kpot's own script for the editor (the theme's `static/admin/`): it loads
/// the vendored Decap CMS, registers kpot's front-matter format and the
/// preview, and starts the editor.
pub const KPOT_SCRIPT: &str = "/admin/kpot-cms.js";
/// The files [`outputs`] writes (the theme's `static/admin/` has the rest).
pub const FILES: [&str; 2] = ["admin/index.html", "admin/config.yml"];
/// The front-matter format `kpot-cms.js` registers with Decap.
const FORMAT: &str = "kpot-toml";

/// How the editor reaches the repository.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// Decap's `backend` table from `[extra.cms.backend]`, with the
    /// editorial workflow: each save is a branch and a pull request.
    Remote(serde_json::Map<String, Value>),
    /// `kpot serve`: Decap's local proxy, writing straight into the working
    /// copy (review happens when the change is pushed), or with the
    /// editorial workflow on local branches.
    Local(crate::config::LocalEditor),
}

impl Backend {
    /// The editor this site gets: the local proxy under `kpot serve`, else
    /// the backend `config.toml` names, else none.
    pub fn for_site(config: &Config) -> Option<Backend> {
        if let Some(local) = &config.local_editor {
            return Some(Backend::Local(local.clone()));
        }
        config.cms_backend().ok().flatten().map(Backend::Remote)
    }
}

/// The files of `/admin/`: the page that loads the editor and its
/// configuration (the editor's script itself is a static file of the
/// theme).
pub fn outputs(
    config: &Config,
    data: &Data,
    strings: &BTreeMap<String, String>,
    backend: &Backend,
) -> Vec<(String, Vec<u8>)> {
    let configuration = configuration(config, data, strings, backend);
    let yaml = format!(
        "# Decap CMS's configuration, written by kpot from its schema, data/ and\n\
         # the theme's translation tables on every build: edit those, not this.\n{}",
        serde_saphyr::to_string(&configuration).unwrap_or_default()
    );
    vec![
        (FILES[0].into(), page(config, strings, backend).into_bytes()),
        (FILES[1].into(), yaml.into_bytes()),
    ]
}

/// The origins the editor talks to for `backend`: its API and its login
/// (a local proxy, or the Git host's defaults unless the table names
/// others).
pub fn backend_origins(backend: &Backend) -> Vec<String> {
    let urls: Vec<String> = match backend {
        Backend::Local(local) => vec![local.proxy_url.clone()],
        Backend::Remote(table) => {
            let get = |key: &str| table.get(key).and_then(Value::as_str).map(str::to_string);
            let defaults: &[&str] = match table.get("name").and_then(Value::as_str) {
                Some("github") => &["https://api.github.com"],
                Some("gitlab") => &["https://gitlab.com"],
                Some("bitbucket") => &["https://api.bitbucket.org", "https://bitbucket.org"],
                _ => &[],
            };
            let named: Vec<String> = ["api_root", "base_url", "auth_endpoint"]
                .iter()
                .filter_map(|k| get(k))
                .collect();
            defaults
                .iter()
                .map(|d| d.to_string())
                .chain(named)
                .collect()
        }
    };
    let mut origins: Vec<String> = urls.iter().filter_map(|u| origin(u)).collect();
    origins.sort();
    origins.dedup();
    origins
}

/// `https://host[:port]` of an absolute http(s) URL.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    valid.then(|| format!("{scheme}://{host}"))
}

fn page(config: &Config, strings: &BTreeMap<String, String>, backend: &Backend) -> String {
    let title = format!(
        "{} – {}",
        label(strings, "cms_title"),
        config.title(Lang::Ja)
    );
    format!(
        "<!doctype html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n<title>{title}</title>\n\
         <link href=\"/admin/config.yml\" type=\"text/yaml\" rel=\"cms-config-url\">\n\
         <link href=\"/admin/kpot-cms.css\" rel=\"stylesheet\">\n\
         </head>\n<body>\n<noscript><p>{noscript}</p></noscript>\n\
         <script type=\"module\" src=\"{KPOT_SCRIPT}\"></script>\n\
         </body>\n</html>\n",
        title = crate::render::xml_escape(&title),
        // The page's own policy: the editor's scripts, and its connections
        // to this site and the one backend (a static host that sends no
        // header still gets this much). Origins hold only host characters
        // (`origin`), so the attribute needs no escaping.
        policy = (format!(
            "default-src 'self'; script-src 'self' 'unsafe-eval'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; \
             connect-src 'self' blob: {}; object-src 'none'; base-uri 'self'",
            backend_origins(backend).join(" ")
        )),
        noscript = crate::render::xml_escape(&label(strings, "cms_noscript")),
    )
}

/// Decap CMS's configuration (its `config.yml`).
pub fn configuration(
    config: &Config,
    data: &Data,
    strings: &BTreeMap<String, String>,
    backend: &Backend,
) -> Value {
    let mut root = json!({
        "locale": "ja",
        "site_url": config.base_url,
        "display_url": config.base_url,
        "media_folder": "static/images",
        "public_folder": "/images",
        "slug": {"encoding": "unicode", "clean_accents": false, "sanitize_replacement": "-"},
        "i18n": {"structure": "multiple_files", "locales": ["ja", "en"], "default_locale": "ja"},
        "collections": [
            collection("events", "content/events", schema::EVENT, data, strings),
            collection("notices", "content/notices", schema::NOTICE, data, strings),
            collection("programs", "content/programs", schema::PROGRAM, data, strings),
        ],
    });
    match backend {
        Backend::Remote(table) => {
            root["backend"] = Value::Object(table.clone());
            root["publish_mode"] = json!("editorial_workflow");
        }
        Backend::Local(local) => {
            root["backend"] =
                json!({"name": "proxy", "proxy_url": local.proxy_url, "branch": "main"});
            if local.review {
                root["publish_mode"] = json!("editorial_workflow");
            }
        }
    }
    root
}

/// One folder collection: a partner's event or notice is saved as a page
/// bundle `<folder>/<organizer>/<date>-<slug>/index.ja.md` (and
/// `index.en.md`), with its images beside it; a standing program (the
/// editors' own) as `content/programs/<slug>/index.ja.md`. The form's data is flat; the editor's
/// `kpot-toml` format (`kpot-cms.js`) puts the item's fields under
/// `[extra]` and its terms under `[taxonomies]`.
fn collection(
    name: &str,
    folder: &str,
    fields: &[Field],
    data: &Data,
    strings: &BTreeMap<String, String>,
) -> Value {
    let mut form = vec![
        json!({"name": "title", "label": label(strings, "cms_field_title"),
               "hint": label(strings, "cms_hint_title"), "widget": "string", "i18n": true}),
        json!({"name": "description", "label": label(strings, "cms_field_description"),
               "hint": label(strings, "cms_hint_description"), "widget": "string",
               "required": false, "i18n": true}),
        json!({"name": "date", "label": label(strings, "cms_field_date"), "widget": "datetime",
               "format": "YYYY-MM-DD", "date_format": "YYYY-MM-DD", "time_format": false,
               "default": "{{now}}", "i18n": "duplicate"}),
        // Only items written with `draft = false` are listed (section
        // indexes and hand-made files without it are left to Git).
        json!({"name": "draft", "widget": "hidden", "default": false, "i18n": "duplicate"}),
        terms("categories", data, strings),
        terms("regions", data, strings),
    ];
    form.extend(schema::form_fields(fields).map(|f| widget(f, data, strings)));
    form.push(
        json!({"name": "body", "label": label(strings, "cms_field_body"),
                     "hint": label(strings, "cms_hint_body"), "widget": "markdown",
                     "i18n": true}),
    );
    json!({
        "name": name,
        "label": label(strings, &format!("cms_collection_{name}")),
        "label_singular": label(strings, &format!("cms_collection_{name}_singular")),
        "folder": folder,
        "create": true,
        "format": FORMAT,
        "extension": "md",
        // Decap's own {{year}} … are the UTC date; `date` is the one the
        // partner chose, as `kpot new` and Zola put it in front of a name.
        "path": if name == "programs" {
            "{{slug}}/index"
        } else {
            "{{organizer}}/{{date}}-{{slug}}/index"
        },
        "media_folder": "",
        "public_folder": "",
        "filter": {"field": "draft", "value": false},
        "summary": "{{title}}（{{date}}）",
        "sortable_fields": ["title", "date"],
        "i18n": true,
        "fields": form,
    })
}

/// A category or region field: a choice of the terms in
/// `data/taxonomies.yaml`, written with their Japanese names.
fn terms(taxonomy: &str, data: &Data, strings: &BTreeMap<String, String>) -> Value {
    let options: Vec<Value> = data
        .taxonomies
        .get(taxonomy)
        .into_iter()
        .flatten()
        .map(|t| json!({"label": t.ja, "value": t.ja}))
        .collect();
    json!({"name": taxonomy, "label": label(strings, &format!("cms_field_{taxonomy}")),
           "hint": label(strings, &format!("cms_hint_{taxonomy}")),
           "widget": "select", "multiple": true, "required": false, "options": options,
           "i18n": "duplicate"})
}

/// The form field for one schema field.
fn widget(field: &Field, data: &Data, strings: &BTreeMap<String, String>) -> Value {
    let mut w = json!({
        "name": field.key,
        "label": label(strings, &format!("cms_field_{}", field.key)),
        "hint": label(strings, &format!("cms_hint_{}", field.key)),
        // `venue` is required unless the event is online only: the form
        // cannot express that, so `kpot check` says it on the pull request.
        "required": field.required == Required::Yes,
        // Dates, places and amounts are the same in both languages.
        "i18n": "duplicate",
    });
    let extra = match field.kind {
        Kind::Text => json!({"widget": "string"}),
        Kind::LongText => json!({"widget": "text"}),
        Kind::DateTime => json!({"widget": "datetime", "format": "YYYY-MM-DDTHH:mm:ssZ",
                                 "date_format": "YYYY-MM-DD", "time_format": "HH:mm",
                                 "picker_utc": false}),
        Kind::Date => json!({"widget": "datetime", "format": "YYYY-MM-DD",
                             "date_format": "YYYY-MM-DD", "time_format": false}),
        Kind::Yen | Kind::Count => json!({"widget": "number", "value_type": "int", "min": 0}),
        Kind::Url => json!({"widget": "string", "pattern": [
            "^(https?://|mailto:|tel:)\\S+$", label(strings, "cms_pattern_url")]}),
        Kind::Choice(values) => json!({"widget": "select", "default": values[0],
            "options": values.iter().map(|v| json!({
                "label": label(strings, &format!("cms_choice_{}_{v}", field.key)),
                "value": v})).collect::<Vec<_>>()}),
        Kind::Organization => json!({"widget": "select",
            "options": data.organizations.iter().map(|o| json!({
                "label": o.name.get(Lang::Ja), "value": o.id})).collect::<Vec<_>>()}),
        // Names are written in each language (Decap allows no duplicated
        // lists).
        Kind::Names => json!({"widget": "list", "i18n": true}),
        Kind::Flag => json!({"widget": "boolean", "default": false}),
    };
    if let (Value::Object(w), Value::Object(extra)) = (&mut w, extra) {
        w.extend(extra);
    }
    w
}

fn label(strings: &BTreeMap<String, String>, key: &str) -> String {
    strings.get(key).cloned().unwrap_or_else(|| key.to_string())
}

/// Every translation key the editor's configuration uses: the theme's
/// tables must have each (a test checks both languages).
pub fn string_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "cms_title",
        "cms_noscript",
        "cms_pattern_url",
        "cms_collection_events",
        "cms_collection_events_singular",
        "cms_collection_notices",
        "cms_collection_notices_singular",
        "cms_collection_programs",
        "cms_collection_programs_singular",
        "cms_field_title",
        "cms_hint_title",
        "cms_field_description",
        "cms_hint_description",
        "cms_field_date",
        "cms_field_categories",
        "cms_hint_categories",
        "cms_field_regions",
        "cms_hint_regions",
        "cms_field_body",
        "cms_hint_body",
    ]
    .map(String::from)
    .to_vec();
    let all = schema::EVENT
        .iter()
        .chain(schema::NOTICE)
        .chain(schema::PROGRAM);
    for field in all.filter(|f| f.in_form) {
        keys.push(format!("cms_field_{}", field.key));
        keys.push(format!("cms_hint_{}", field.key));
        if let Kind::Choice(values) = field.kind {
            keys.extend(
                values
                    .iter()
                    .map(|v| format!("cms_choice_{}_{v}", field.key)),
            );
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (Config, Data, BTreeMap<String, String>) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = crate::config::load(root).expect("the bundled config.toml loads");
        let (data, _) = crate::data::load(root);
        let theme = crate::theme::load(root, "kpot").expect("the bundled theme loads");
        (config, data, theme.strings(Lang::Ja).clone())
    }

    /// The form fields of a collection that go under `[extra]`: all but the
    /// page's own, the taxonomies and the body.
    fn form_fields(config: &Value, collection: &str) -> Vec<Value> {
        let collections = config["collections"].as_array().unwrap();
        let c = collections
            .iter()
            .find(|c| c["name"] == collection)
            .unwrap();
        c["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                let name = f["name"].as_str().unwrap();
                !crate::content::load::PAGE_FIELDS.contains(&name)
                    && !["categories", "regions", "body"].contains(&name)
            })
            .cloned()
            .collect()
    }

    /// The form offers exactly the schema's fields, required where the
    /// schema requires them: a field added to one and not the other fails
    /// here (and `content::load`'s test holds the loader to the schema).
    #[test]
    fn the_form_has_exactly_the_fields_the_checker_reads() {
        let (config, data, strings) = site();
        let backend = Backend::Local(crate::config::LocalEditor {
            proxy_url: "http://127.0.0.1:8081/api/v1".into(),
            review: false,
        });
        let generated = configuration(&config, &data, &strings, &backend);
        for (collection, fields) in [
            ("events", schema::EVENT),
            ("notices", schema::NOTICE),
            ("programs", schema::PROGRAM),
        ] {
            let form = form_fields(&generated, collection);
            let names: Vec<&str> = form.iter().map(|f| f["name"].as_str().unwrap()).collect();
            // The import bookkeeping is the loader's, not the form's.
            let offered: Vec<&Field> = schema::form_fields(fields).collect();
            let keys: Vec<&str> = offered.iter().map(|f| f.key).collect();
            assert_eq!(names, keys, "{collection}");
            assert!(
                !names.contains(&"fetched"),
                "{collection}: bookkeeping in the form"
            );
            for (f, spec) in form.iter().zip(offered) {
                assert_eq!(
                    f["required"],
                    spec.required == Required::Yes,
                    "{}",
                    spec.key
                );
                if let Kind::Choice(values) = spec.kind {
                    let offered: Vec<&str> = f["options"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| o["value"].as_str().unwrap())
                        .collect();
                    assert_eq!(offered, values, "{}", spec.key);
                }
                if spec.kind == Kind::Organization {
                    assert_eq!(
                        f["options"].as_array().unwrap().len(),
                        data.organizations.len()
                    );
                }
            }
        }
    }

    /// `kpot-cms.js` keeps the page's own keys at the top level and puts
    /// everything else under `[extra]`: its list must be the loader's.
    #[test]
    fn the_editor_script_knows_the_page_keys() {
        let script = include_str!("../themes/kpot/static/admin/kpot-cms.js");
        let start = script
            .find("const PAGE_KEYS = [")
            .expect("PAGE_KEYS in kpot-cms.js");
        let list = &script[start..start + script[start..].find("];").unwrap()];
        let keys: Vec<&str> = list.split('"').skip(1).step_by(2).collect();
        let expected: Vec<&str> = crate::content::load::PAGE_FIELDS
            .into_iter()
            .filter(|k| !["taxonomies", "extra"].contains(k))
            .collect();
        assert_eq!(keys, expected);
    }

    #[test]
    fn the_editor_may_connect_only_to_its_backend() {
        let table = |toml: &str| match toml::from_str::<toml::Table>(toml)
            .ok()
            .and_then(|t| serde_json::to_value(t).ok())
        {
            Some(Value::Object(map)) => Backend::Remote(map),
            _ => panic!("a table"),
        };
        assert_eq!(
            backend_origins(&table("name = \"gitlab\"\nrepo = \"o/r\"")),
            ["https://gitlab.com"]
        );
        assert_eq!(
            backend_origins(&table(
                "name = \"forgejo\"\napi_root = \"https://git.example.jp/api/v1\"\nbase_url = \"https://git.example.jp\""
            )),
            ["https://git.example.jp"]
        );
        assert_eq!(
            backend_origins(&table(
                "name = \"github\"\nbase_url = \"https://auth.example.jp/\"\napi_root = \"javascript:alert(1)\""
            )),
            ["https://api.github.com", "https://auth.example.jp"]
        );
        let local = Backend::Local(crate::config::LocalEditor {
            proxy_url: "http://127.0.0.1:8081/api/v1".into(),
            review: false,
        });
        assert_eq!(backend_origins(&local), ["http://127.0.0.1:8081"]);
    }

    #[test]
    fn every_label_is_in_both_translation_tables() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let theme = crate::theme::load(root, "kpot").unwrap();
        for lang in [Lang::Ja, Lang::En] {
            let strings = theme.strings(lang);
            let missing: Vec<String> = string_keys()
                .into_iter()
                .filter(|k| !strings.contains_key(k))
                .collect();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
        }
    }

    #[test]
    fn the_backend_comes_from_extra_cms() {
        let mut config = Config::default();
        assert_eq!(Backend::for_site(&config), None);
        config.extra =
            toml::from_str("[cms.backend]\nname = \"github\"\nrepo = \"o/r\"\n").unwrap();
        let Some(Backend::Remote(table)) = Backend::for_site(&config) else {
            panic!("a github backend")
        };
        assert_eq!(table["repo"], "o/r");
        let (_, data, strings) = site();
        let generated = configuration(&config, &data, &strings, &Backend::Remote(table));
        assert_eq!(generated["publish_mode"], "editorial_workflow");
        config.extra = toml::from_str("[cms.backend]\nrepo = \"o/r\"\n").unwrap();
        assert!(config.cms_backend().is_err());
        config.local_editor = Some(crate::config::LocalEditor {
            proxy_url: "http://127.0.0.1:9/api/v1".into(),
            review: true,
        });
        let Some(local) = Backend::for_site(&config) else {
            panic!("the local editor")
        };
        assert!(matches!(local, Backend::Local(_)));
        let generated = configuration(&config, &data, &strings, &local);
        assert_eq!(generated["backend"]["name"], "proxy");
        assert_eq!(generated["publish_mode"], "editorial_workflow");
    }
}
