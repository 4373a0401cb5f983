//! The OpenAPI document of the search API, built from what the server
//! enforces: the parameters' choices and bounds are the constants
//! `params` checks against, and the answers' schemas are derived from the
//! types serialized (`utoipa`), so the document cannot drift from the code.

use super::params::{self, ParamError};
use crate::search::query::{MAX_PER_PAGE, MAX_QUERY_CHARS};
use crate::search::{Hit, Response, Suggestion};
use utoipa::openapi::path::{
    OperationBuilder, ParameterBuilder, ParameterIn, ParameterStyle, PathItem,
};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, OpenApi, OpenApiBuilder,
    PathsBuilder, Ref, RefOr, Required, ResponseBuilder, Schema,
};
use utoipa::{PartialSchema, ToSchema};

/// The document served at `/api/openapi.json`.
pub fn document() -> OpenApi {
    let paths = PathsBuilder::new()
        .path("/api/search", PathItem::new(HttpMethod::Get, search()))
        .path("/api/suggest", PathItem::new(HttpMethod::Get, suggest()));
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("K-POT search API")
                .version("1.0.0")
                .description(Some(
                    "Search the K-POT portal: support programs, events, subsidy and grant \
                     notices and the SME revitalization councils, in Japanese and English. \
                     Statuses are evaluated at query time. Unknown parameters are ignored; \
                     a parameter given twice keeps its last value unless it is a list.",
                )),
        )
        .paths(paths)
        .components(Some(components()))
        .build()
}

fn components() -> utoipa::openapi::Components {
    let mut schemas = Vec::new();
    for (name, schema) in [
        (Response::name(), Response::schema()),
        (Hit::name(), Hit::schema()),
        (Suggestion::name(), Suggestion::schema()),
        (ParamError::name(), ParamError::schema()),
    ] {
        schemas.push((name.into_owned(), schema));
    }
    Response::schemas(&mut schemas);
    let error = ObjectBuilder::new()
        .property("error", Ref::from_schema_name(ParamError::name()))
        .required("error");
    let suggestions = ObjectBuilder::new()
        .property("q", string())
        .property(
            "suggestions",
            ArrayBuilder::new().items(Ref::from_schema_name(Suggestion::name())),
        )
        .required("q")
        .required("suggestions");
    ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .schema("Error", error)
        .schema("Suggestions", suggestions)
        .build()
}

fn search() -> utoipa::openapi::path::Operation {
    let mut operation = OperationBuilder::new()
        .summary(Some("Search the portal"))
        .operation_id(Some("search"));
    operation = operation.parameter(query(
        "q",
        string(),
        &format!(
            "Words to search for, Japanese or English (text beyond {MAX_QUERY_CHARS} characters \
             is cut). A word starting with - is excluded. Percent-encoded UTF-8."
        ),
    ));
    operation = operation.parameter(query(
        "lang",
        choice(&params::LANGS),
        "Language of the pages.",
    ));
    for (name, allowed) in [
        ("type", &params::TYPES[..]),
        ("status", &params::STATUSES[..]),
    ] {
        operation = operation.parameter(list(
            name,
            choice(allowed),
            &format!("Any of these {name}s (repeat the parameter)."),
        ));
    }
    for name in ["category", "region", "organizer"] {
        operation = operation.parameter(list(
            name,
            slug(),
            &format!("Any of these {name} slugs (repeat the parameter)."),
        ));
    }
    operation = operation
        .parameter(query(
            "from",
            date(),
            "Only items on or after this day (Japan time).",
        ))
        .parameter(query(
            "to",
            date(),
            "Only items on or before this day (Japan time); before `from`, nothing matches.",
        ))
        .parameter(query(
            "sort",
            choice(&params::SORTS),
            "Order of the hits (default relevance).",
        ))
        .parameter(query(
            "page",
            whole(1, params::MAX_PAGE),
            "Page of hits, from 1.",
        ))
        .parameter(query(
            "per_page",
            whole(1, MAX_PER_PAGE),
            "Hits per page (default 20).",
        ));
    answers(
        operation,
        "SearchResponse",
        "Hits, their total and facet counts",
    )
    .build()
}

fn suggest() -> utoipa::openapi::path::Operation {
    let operation = OperationBuilder::new()
        .summary(Some("Complete a title"))
        .operation_id(Some("suggest"))
        .parameter(query(
            "q",
            string(),
            "The start of a title (text beyond the search limit is cut).",
        ))
        .parameter(query(
            "lang",
            choice(&params::LANGS),
            "Language of the pages.",
        ));
    answers(
        operation,
        "Suggestions",
        "Up to ten titles that start with or contain the text",
    )
    .build()
}

/// 200 with `schema`, 400 for a bad parameter, 503 without an index.
fn answers(operation: OperationBuilder, schema: &str, ok: &str) -> OperationBuilder {
    let json = |name: &str| {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(name)))
            .build()
    };
    let respond = |description: &str, name: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/json; charset=utf-8", json(name))
            .build()
    };
    operation
        .response("200", respond(ok, schema))
        .response(
            "400",
            respond("A parameter is invalid; the error names it", "Error"),
        )
        .response("503", respond("The search index is not loaded", "Error"))
}

fn query(
    name: &str,
    schema: impl Into<RefOr<Schema>>,
    description: &str,
) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// A repeatable parameter: `type=event&type=notice`.
fn list(name: &str, item: Schema, description: &str) -> utoipa::openapi::path::Parameter {
    let mut parameter = query(
        name,
        ArrayBuilder::new().items(RefOr::T(item)).build(),
        description,
    );
    parameter.style = Some(ParameterStyle::Form);
    parameter.explode = Some(true);
    parameter
}

fn string() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .build()
        .into()
}

fn choice(allowed: &[&str]) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(allowed.iter().copied()))
        .build()
        .into()
}

fn slug() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(params::SLUG_PATTERN))
        .build()
        .into()
}

fn date() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .build()
        .into()
}

fn whole(min: usize, max: usize) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min as f64))
        .maximum(Some(max as f64))
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every choice and bound the document states is what `parse` does.
    #[test]
    fn the_document_states_what_parse_enforces() {
        let doc = serde_json::to_value(document()).unwrap();
        let parameters = doc["paths"]["/api/search"]["get"]["parameters"]
            .as_array()
            .unwrap();
        for parameter in parameters {
            let name = parameter["name"].as_str().unwrap();
            let schema = &parameter["schema"];
            let schema = if schema["type"] == "array" {
                &schema["items"]
            } else {
                schema
            };
            let ok = |value: &str| params::parse(&format!("{name}={value}")).is_ok();
            if let Some(allowed) = schema["enum"].as_array() {
                for value in allowed {
                    assert!(ok(value.as_str().unwrap()), "{name}={value}");
                }
                assert!(!ok("nope"), "{name}=nope");
                assert!(!ok(""), "{name}= (empty)");
            }
            if let (Some(min), Some(max)) = (schema["minimum"].as_f64(), schema["maximum"].as_f64())
            {
                assert!(ok(&min.to_string()) && ok(&max.to_string()), "{name}");
                assert!(
                    !ok(&(min - 1.0).to_string()) && !ok(&(max + 1.0).to_string()),
                    "{name}"
                );
            }
            if schema["format"] == "date" {
                assert!(
                    ok("2027-02-15") && ok("0001-01-01") && ok("9999-12-31"),
                    "{name}"
                );
                for bad in [
                    "",
                    "2027-02-30",
                    "2027-2-15",
                    "%2B2027-02-15",
                    "%202027-02-15",
                    "2027-02-15T09:00:00Z",
                ] {
                    assert!(!ok(bad), "{name}={bad}");
                }
            }
            if schema["pattern"].is_string() {
                assert!(ok("business-turnaround") && ok(&"a".repeat(100)), "{name}");
                for bad in ["", "%E4%BA%8B", "a%20b", "a.b", &"a".repeat(101)] {
                    assert!(!ok(bad), "{name}={bad}");
                }
            }
        }
        assert_eq!(parameters.len(), 12);
    }

    #[test]
    fn titles_are_plain_text_and_snippets_escaped_html() {
        let doc = serde_json::to_value(document()).unwrap();
        let hit = &doc["components"]["schemas"]["Hit"]["properties"];
        assert!(
            hit["title"]["description"]
                .as_str()
                .unwrap()
                .contains("plain text")
        );
        assert!(
            hit["snippet"]["description"]
                .as_str()
                .unwrap()
                .contains("escaped")
        );
    }
}
