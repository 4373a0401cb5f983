//! Reading search parameters from a query string, with a 400 that names the
//! parameter for anything a client got wrong. Unknown parameters are
//! ignored (tracking tags and cache busters are common).

use crate::search::query::{MAX_PER_PAGE, MAX_QUERY_CHARS};
use crate::search::{Request, Sort};
use crate::when::When;
use serde::Serialize;

pub const TYPES: [&str; 5] = ["event", "notice", "program", "council", "page"];
pub use crate::search::query::STATUSES;
/// Pages beyond this are refused: nobody reads them, and deep paging is the
/// cheapest way to make a server work for nothing.
pub const MAX_PAGE: usize = 1000;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ParamError {
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
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.trim();
        match key.as_ref() {
            "q" => request.q = value.chars().take(MAX_QUERY_CHARS).collect(),
            "lang" => match value {
                "ja" | "en" => request.lang = Some(value.to_string()),
                "" => {}
                _ => return Err(bad("lang", "lang must be ja or en")),
            },
            "type" => push_choice(&mut request.types, value, &TYPES, "type")?,
            "status" => push_choice(&mut request.statuses, value, &STATUSES, "status")?,
            "category" => push_slug(&mut request.categories, value, "category")?,
            "region" => push_slug(&mut request.regions, value, "region")?,
            "organizer" => push_slug(&mut request.organizers, value, "organizer")?,
            "from" => request.from = date(value, "from")?.map(|w| w.start().timestamp()),
            "to" => request.to = date(value, "to")?.map(|w| w.end().timestamp()),
            "sort" => {
                request.sort = match value {
                    "relevance" | "" => Sort::Relevance,
                    "date" => Sort::Date,
                    "deadline" => Sort::Deadline,
                    _ => return Err(bad("sort", "sort must be relevance, date or deadline")),
                }
            }
            "page" => request.page = number(value, "page", 1, MAX_PAGE)?,
            "per_page" => request.per_page = number(value, "per_page", 1, MAX_PER_PAGE)?,
            _ => {}
        }
    }
    if let (Some(from), Some(to)) = (request.from, request.to)
        && from > to
    {
        return Err(bad("to", "to must not be before from"));
    }
    Ok(request)
}

fn push_choice(
    list: &mut Vec<String>,
    value: &str,
    allowed: &[&str],
    name: &str,
) -> Result<(), ParamError> {
    if value.is_empty() {
        return Ok(());
    }
    if !allowed.contains(&value) {
        return Err(bad(
            name,
            format!("{name} must be one of {}", allowed.join(", ")),
        ));
    }
    if list.len() < 16 && !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
    Ok(())
}

fn push_slug(list: &mut Vec<String>, value: &str, name: &str) -> Result<(), ParamError> {
    if value.is_empty() {
        return Ok(());
    }
    let valid = value.chars().count() <= 100
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(bad(
            name,
            format!("{name} must be a slug (letters, digits and hyphens)"),
        ));
    }
    if list.len() < 32 && !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
    Ok(())
}

fn date(value: &str, name: &str) -> Result<Option<When>, ParamError> {
    if value.is_empty() {
        return Ok(None);
    }
    When::parse(value)
        .ok()
        .filter(|w| (1900..=2200).contains(&w.year()))
        .map(Some)
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
        assert_eq!(
            parse("from=2027-02-02&to=2027-01-01")
                .unwrap_err()
                .parameter,
            "to"
        );
        assert_eq!(
            parse("category=%3Cscript%3E").unwrap_err().parameter,
            "category"
        );
        assert!(parse("utm_source=x").is_ok());
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
