//! Reading search parameters from a query string, with a 400 that names the
//! parameter for anything a client got wrong. Unknown parameters are
//! ignored (tracking tags and cache busters are common).

use crate::search::query::{MAX_PER_PAGE, MAX_QUERY_CHARS};
use crate::search::{Request, Sort};
use crate::when::When;
use serde::Serialize;

pub const TYPES: [&str; 5] = ["event", "notice", "program", "council", "page"];
pub const LANGS: [&str; 2] = ["ja", "en"];
pub const SORTS: [&str; 3] = ["relevance", "date", "deadline"];
pub use crate::search::query::STATUSES;
/// What `category`, `region` and `organizer` values look like (the
/// OpenAPI document states it; [`is_slug`] checks it).
pub const SLUG_PATTERN: &str = "^[A-Za-z0-9_-]{1,100}$";
/// Pages beyond this are refused: nobody reads them, and deep paging is the
/// cheapest way to make a server work for nothing.
pub const MAX_PAGE: usize = 1000;

/// Why a request was refused.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ParamError {
    /// `bad_parameter` (or `index_unavailable` with status 503).
    #[schema(value_type = String)]
    pub code: &'static str,
    pub message: String,
    pub parameter: String,
}

fn bad(parameter: &str, message: impl Into<String>) -> ParamError {
    ParamError {
        code: "bad_parameter",
        message: message.into(),
        parameter: parameter.into(),
    }
}

/// Parses `q`, `lang`, `type`, `category`, `region`, `organizer`, `status`,
/// `from`, `to`, `sort`, `page` and `per_page` (PORTAL.md).
pub fn parse(query: &str) -> Result<Request, ParamError> {
    let mut request = Request {
        page: 1,
        per_page: 20,
        ..Request::default()
    };
    for (key, value) in pairs(query)? {
        // Only the words are trimmed: every other value must be exactly
        // what the OpenAPI document allows.
        let value = value.as_str();
        match key.as_str() {
            "q" => request.q = value.trim().chars().take(MAX_QUERY_CHARS).collect(),
            "lang" => request.lang = Some(one_of(value, &LANGS, "lang")?.to_string()),
            "type" => push_choice(&mut request.types, value, &TYPES, "type")?,
            "status" => push_choice(&mut request.statuses, value, &STATUSES, "status")?,
            "category" => push_slug(&mut request.categories, value, "category")?,
            "region" => push_slug(&mut request.regions, value, "region")?,
            "organizer" => push_slug(&mut request.organizers, value, "organizer")?,
            "from" => request.from = Some(date(value, "from")?.start().timestamp()),
            "to" => request.to = Some(date(value, "to")?.end().timestamp()),
            "sort" => {
                request.sort = match one_of(value, &SORTS, "sort")? {
                    "date" => Sort::Date,
                    "deadline" => Sort::Deadline,
                    _ => Sort::Relevance,
                }
            }
            "page" => request.page = number(value, "page", 1, MAX_PAGE)?,
            "per_page" => request.per_page = number(value, "per_page", 1, MAX_PER_PAGE)?,
            _ => {}
        }
    }
    Ok(request)
}

/// The `key=value` pairs of a query string, decoded; a key or value that
/// is not UTF-8 once decoded (`q=%ff`) is refused, naming the parameter,
/// rather than searched for as U+FFFD (which matches everything).
pub fn pairs(query: &str) -> Result<Vec<(String, String)>, ParamError> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key).map_err(|lossy| bad(&lossy, "parameter names must be UTF-8"))?;
            let value = decode(value)
                .map_err(|_| bad(&key, format!("{key} must be UTF-8 text (percent-encoded)")))?;
            Ok((key, value))
        })
        .collect()
}

/// Form decoding (`+` is a space); `Err` holds a lossy copy.
fn decode(text: &str) -> Result<String, String> {
    let spaced = text.replace('+', " ");
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(&spaced).collect();
    String::from_utf8(bytes).map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `value` if it is one of `allowed` (an empty value is not).
fn one_of<'a>(value: &'a str, allowed: &[&str], name: &str) -> Result<&'a str, ParamError> {
    if allowed.contains(&value) {
        Ok(value)
    } else {
        Err(bad(
            name,
            format!("{name} must be one of {}", allowed.join(", ")),
        ))
    }
}

fn push_choice(
    list: &mut Vec<String>,
    value: &str,
    allowed: &[&str],
    name: &str,
) -> Result<(), ParamError> {
    let value = one_of(value, allowed, name)?;
    if list.len() < 16 && !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
    Ok(())
}

/// [`SLUG_PATTERN`]: 1 to 100 ASCII letters, digits, `-` and `_`.
pub fn is_slug(value: &str) -> bool {
    (1..=100).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn push_slug(list: &mut Vec<String>, value: &str, name: &str) -> Result<(), ParamError> {
    if !is_slug(value) {
        return Err(bad(
            name,
            format!("{name} must be a slug (1 to 100 ASCII letters, digits, - and _)"),
        ));
    }
    if list.len() < 32 && !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
    Ok(())
}

/// A day as `YYYY-MM-DD` (OpenAPI's `format: date`), nothing else.
fn date(value: &str, name: &str) -> Result<When, ParamError> {
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten()
        .map(When::Day)
        .ok_or_else(|| bad(name, format!("{name} must be a date such as 2027-02-15")))
}

fn number(value: &str, name: &str, min: usize, max: usize) -> Result<usize, ParamError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            bad(
                name,
                format!("{name} must be a whole number from {min} to {max}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_repeated_filters() {
        let r = parse("q=%E4%BA%8B%E6%A5%AD&type=event&type=notice&lang=ja&page=2&per_page=50")
            .unwrap();
        assert_eq!(r.q, "事業");
        assert_eq!(r.types, vec!["event", "notice"]);
        assert_eq!((r.page, r.per_page), (2, 50));
    }

    #[test]
    fn names_the_bad_parameter() {
        assert_eq!(parse("page=0").unwrap_err().parameter, "page");
        assert_eq!(parse("page=abc").unwrap_err().parameter, "page");
        assert_eq!(parse("per_page=51").unwrap_err().parameter, "per_page");
        assert_eq!(parse("lang=fr").unwrap_err().parameter, "lang");
        assert_eq!(parse("type=blog").unwrap_err().parameter, "type");
        assert_eq!(parse("status=maybe").unwrap_err().parameter, "status");
        assert_eq!(parse("from=yesterday").unwrap_err().parameter, "from");
        // A valid but empty range is not an error: it matches nothing.
        assert!(parse("from=2027-02-02&to=2027-01-01").is_ok());
        assert_eq!(
            parse("category=%3Cscript%3E").unwrap_err().parameter,
            "category"
        );
        assert!(parse("utm_source=x").is_ok());
    }

    #[test]
    fn text_that_is_not_utf8_is_refused() {
        assert_eq!(parse("q=%ff").unwrap_err().parameter, "q");
        assert_eq!(parse("lang=ja&q=a%C3").unwrap_err().parameter, "q");
        assert_eq!(parse("q=a+b%2Bc").unwrap().q, "a b+c");
        assert_eq!(parse("q=%E4%BA%8B&&x").unwrap().q, "事");
    }

    #[test]
    fn cuts_overlong_queries() {
        let long = "あ".repeat(5000);
        assert_eq!(
            parse(&format!("q={long}")).unwrap().q.chars().count(),
            MAX_QUERY_CHARS
        );
    }
}
