//! The template engine: minijinja with the filters a Japanese portal needs.
//!
//! Templates are compiled once per build; every filter that depends on the
//! language reads `lang` from the template's context.

use crate::diagnostics::{Diagnostic, Text};
use crate::format::{self, Lang};
use crate::theme::Theme;
use crate::when::When;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};

/// Builds the environment from a theme's templates.
pub fn environment(theme: &Theme, base_url: &str) -> Result<Environment<'static>, Diagnostic> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") || name.ends_with(".xml") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state, value| {
        // minijinja's HTML escaping also escapes `/`, which bloats every URL
        // in a page; `&<>"'` are all that HTML needs.
        if matches!(state.auto_escape(), AutoEscape::Html)
            && !value.is_safe()
            && let Some(text) = value.as_str()
        {
            return out
                .write_str(&crate::render::xml_escape(text))
                .map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot write output"));
        }
        minijinja::escape_formatter(out, state, value)
    });
    for (name, source) in &theme.templates {
        env.add_template_owned(name.clone(), source.clone())
            .map_err(|err| template_error(name, &err))?;
    }
    env.add_filter("date", filter_date);
    env.add_filter("datetime", filter_datetime);
    env.add_filter("time", filter_time);
    env.add_filter("span", filter_span);
    env.add_filter("yen", filter_yen);
    env.add_filter("digits", |s: String| -> String {
        s.chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect()
    });
    let base = base_url.trim_end_matches('/').to_string();
    env.add_filter("absolute", move |path: String| format!("{base}{path}"));
    env.add_function("trans", trans);
    Ok(env)
}

pub fn template_error(name: &str, err: &Error) -> Diagnostic {
    let line = err.line().unwrap_or(0);
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        detail.push_str(": ");
        detail.push_str(&inner.to_string());
        source = inner.source();
    }
    Diagnostic::error(
        format!("templates/{name}"),
        Text::new(
            format!("テンプレートの誤り: {detail}"),
            format!("template error: {detail}"),
        ),
    )
    .at(line, 0)
}

fn lang_of(state: &State) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::from_code))
        .unwrap_or(Lang::Ja)
}

/// Whether the site asks for era dates (`japanese_era = true`).
fn era(state: &State) -> bool {
    state.lookup("japanese_era").is_some_and(|v| v.is_true())
}

fn parse_when(value: &Value) -> Result<When, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "expected a date as text"))?;
    When::parse(text).map_err(|e| Error::new(ErrorKind::InvalidOperation, e))
}

/// `{{ page.date | date }}` → `2027年2月15日（月）`; `date("wareki")` gives
/// the era form.
fn filter_date(state: &State, value: Value, style: Option<String>) -> Result<String, Error> {
    if value.is_undefined() || value.is_none() {
        return Ok(String::new());
    }
    let when = parse_when(&value)?;
    let lang = lang_of(state);
    Ok(match style.as_deref() {
        Some("wareki") => format::date_wareki(when.day(), lang),
        None if era(state) => format::date_wareki(when.day(), lang),
        Some("iso") => when.day().format("%Y-%m-%d").to_string(),
        _ => format::date(when.day(), lang),
    })
}

fn filter_datetime(state: &State, value: Value) -> Result<String, Error> {
    if value.is_undefined() || value.is_none() {
        return Ok(String::new());
    }
    Ok(format::date_time(
        parse_when(&value)?,
        lang_of(state),
        era(state),
    ))
}

fn filter_time(value: Value) -> Result<String, Error> {
    if value.is_undefined() || value.is_none() {
        return Ok(String::new());
    }
    Ok(format::time(parse_when(&value)?).unwrap_or_default())
}

/// `{{ page.event.start | span(page.event.end) }}`.
fn filter_span(state: &State, start: Value, end: Value) -> Result<String, Error> {
    let start = parse_when(&start)?;
    let end = if end.is_undefined() || end.is_none() {
        start
    } else {
        parse_when(&end)?
    };
    Ok(format::span(start, end, lang_of(state), era(state)))
}

fn filter_yen(state: &State, value: Value) -> Result<String, Error> {
    let amount = i64::try_from(value.clone())
        .map_err(|_| Error::new(ErrorKind::InvalidOperation, "expected an amount in yen"))?;
    Ok(format::yen(amount, lang_of(state)))
}

/// `trans("status_open")`: a theme string in the page's language;
/// `trans("councils_as_of", date)` fills the string's `{}`. A missing key
/// renders as itself so the gap is visible rather than fatal.
fn trans(state: &State, key: String, arg: Option<Value>) -> Result<Value, Error> {
    let table = state.lookup("t").unwrap_or_default();
    let text = match table.get_attr(&key) {
        Ok(v) if !v.is_undefined() => v,
        _ => return Ok(Value::from(key)),
    };
    match (arg, text.as_str()) {
        (Some(arg), Some(pattern)) => Ok(Value::from(pattern.replacen("{}", &arg.to_string(), 1))),
        _ => Ok(text),
    }
}
