//! The search page, rendered on the server so it works without JavaScript.

use super::AppState;
use super::params;
use crate::config::Config;
use crate::format::Lang;
use crate::render::{Alternates, Chrome};
use crate::search::{Request, Response as Results, SearchIndex};
use crate::theme::Theme;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::{Environment, Value, context};
use std::path::Path;
use std::sync::Arc;

pub struct SearchPage {
    config: Config,
    theme: Theme,
    env: Environment<'static>,
}

impl SearchPage {
    pub fn load(root: &Path) -> Result<SearchPage, String> {
        let lang = Lang::En;
        let config = crate::config::load(root).map_err(|d| d.render(lang))?;
        let theme = crate::theme::load(root, &config.theme).map_err(|d| d.render(lang))?;
        let env =
            crate::templates::environment(&theme, &config.base_url).map_err(|d| d.render(lang))?;
        Ok(SearchPage { config, theme, env })
    }
}

pub async fn search_page_ja(state: State<Arc<AppState>>, query: RawQuery) -> Response {
    search_page(state, query, Lang::Ja)
}

pub async fn search_page_en(state: State<Arc<AppState>>, query: RawQuery) -> Response {
    search_page(state, query, Lang::En)
}

fn search_page(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    lang: Lang,
) -> Response {
    let now = state.now();
    let raw = query.unwrap_or_default();
    let (mut request, error) = match params::parse(&raw) {
        Ok(request) => (request, None),
        Err(error) => (
            Request {
                page: 1,
                per_page: 20,
                ..Request::default()
            },
            Some(error),
        ),
    };
    request.lang = Some(lang.code().into());
    let index = state.index();
    let results = match (&index, &error) {
        (Some(index), None) if has_criteria(&request) => Some(index.answer(&request, now)),
        _ => None,
    };
    let page = state.page();
    let chrome = Chrome::new(&page.config, &page.theme, now);
    let url = format!("{}/search/", lang.prefix());
    let ctx = context! {
        search => search_context(&request, results.as_deref(), index.as_deref(), lang, &url),
        error => error.map(|e| e.message),
        unavailable => index.is_none(),
        ..chrome.base(lang, &url, Alternates::Same("/search/"))
    };
    let status = if ctx
        .get_attr("error")
        .is_ok_and(|v| !v.is_none() && !v.is_undefined())
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    match page
        .env
        .get_template("search.html")
        .and_then(|t| t.render(ctx))
    {
        Ok(html) => {
            let mut response = (status, html).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("template error: {err}"),
        )
            .into_response(),
    }
}

fn has_criteria(r: &Request) -> bool {
    !r.q.trim().is_empty()
        || !r.types.is_empty()
        || !r.categories.is_empty()
        || !r.regions.is_empty()
        || !r.organizers.is_empty()
        || !r.statuses.is_empty()
}

/// What `search.html` shows: the query, the hits and the facets as
/// checkboxes with counts, and page links that keep the filters. The static
/// build renders the same template with no results.
pub fn search_context(
    request: &Request,
    results: Option<&Results>,
    index: Option<&SearchIndex>,
    lang: Lang,
    url: &str,
) -> Value {
    let mut base_params: Vec<(String, String)> = Vec::new();
    if !request.q.is_empty() {
        base_params.push(("q".into(), request.q.clone()));
    }
    for (name, values) in [
        ("type", &request.types),
        ("category", &request.categories),
        ("region", &request.regions),
        ("organizer", &request.organizers),
        ("status", &request.statuses),
    ] {
        for v in values {
            base_params.push((name.into(), v.clone()));
        }
    }
    let link = |page: usize| {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &base_params {
            serializer.append_pair(k, v);
        }
        if page > 1 {
            serializer.append_pair("page", &page.to_string());
        }
        format!("{url}?{}", serializer.finish())
    };
    let selected = |facet: &str| -> &Vec<String> {
        match facet {
            "type" => &request.types,
            "category" => &request.categories,
            "region" => &request.regions,
            "organizer" => &request.organizers,
            _ => &request.statuses,
        }
    };
    let facets: Vec<Value> = match results {
        Some(results) => ["type", "status", "category", "region", "organizer"]
            .iter()
            .filter_map(|facet| {
                let counts = results.facets.get(facet)?;
                let chosen = selected(facet);
                let mut values: Vec<(String, usize)> = counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
                // Ticked values stay visible even when they match nothing.
                for c in chosen {
                    if !counts.contains_key(c) {
                        values.push((c.clone(), 0));
                    }
                }
                values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let values: Vec<Value> = values
                    .into_iter()
                    .map(|(value, count)| {
                        let label = index.and_then(|i| i.label(facet, &value, lang)).map(str::to_string);
                        context! { checked => chosen.contains(&value), label => label, value => value, count => count }
                    })
                    .collect();
                (!values.is_empty()).then(|| context! { name => *facet, values => values })
            })
            .collect(),
        None => Vec::new(),
    };
    let (hits, total, pages) = match results {
        Some(r) => {
            let total_pages = r.total.div_ceil(r.per_page).max(1);
            let hits: Vec<Value> = r
                .hits
                .iter()
                .map(|h| {
                    context! {
                        url => h.url.clone(),
                        title => h.title.clone(),
                        snippet => Value::from_safe_string(h.snippet.clone()),
                        type => h.kind.clone(),
                        status => h.status,
                        date => h.date.clone(),
                        organizer => h.organizer.as_ref().map(|o| index.and_then(|i| i.label("organizer", o, lang)).unwrap_or(o).to_string()),
                    }
                })
                .collect();
            let pages = context! {
                number => r.page,
                total_pages => total_pages,
                prev_url => (r.page > 1).then(|| link(r.page - 1)),
                next_url => (r.page < total_pages).then(|| link(r.page + 1)),
            };
            (Some(hits), r.total, Some(pages))
        }
        None => (None, 0, None),
    };
    context! {
        q => request.q.clone(),
        hits => hits,
        total => total,
        pages => pages,
        facets => facets,
        sort => match request.sort { crate::search::Sort::Relevance => "relevance", crate::search::Sort::Date => "date", crate::search::Sort::Deadline => "deadline" },
    }
}
