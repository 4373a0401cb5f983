//! Relevance on the bundled real content: queries an SME owner would type,
//! each expecting a page among the top results.

mod common;

use kpot::search::{Request, SearchIndex, Sort};
use std::sync::OnceLock;

/// Builds the bundled portal once and opens its index.
fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<(tempfile::TempDir, SearchIndex)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = common::bundled_portal("2026-11-22");
            let index = SearchIndex::open(&dir.path().join("search-index/index")).unwrap();
            (dir, index)
        })
        .1
}

fn search(q: &str, lang: &str) -> Vec<String> {
    let now = kpot::when::When::parse("2026-11-22").unwrap().start();
    let response = index().search(
        &Request {
            q: q.into(),
            lang: Some(lang.into()),
            sort: Sort::Relevance,
            page: 1,
            per_page: 10,
            ..Request::default()
        },
        now,
    );
    response.hits.into_iter().map(|h| h.url).collect()
}

/// `expected` is among the first `top` results.
fn assert_top(q: &str, lang: &str, expected: &str, top: usize) {
    let urls = search(q, lang);
    let rank = urls.iter().position(|u| u == expected);
    assert!(
        rank.is_some_and(|r| r < top),
        "query {q:?} ({lang}): expected {expected} in the top {top}, got {urls:#?}"
    );
}

#[test]
fn program_names() {
    assert_top("よろず支援拠点", "ja", "/programs/yorozu-support/", 1);
    assert_top(
        "経営革新計画",
        "ja",
        "/programs/management-innovation-plan/",
        1,
    );
    assert_top("設備貸与", "ja", "/programs/equipment-leasing/", 2);
    assert_top("専門家派遣", "ja", "/programs/expert-dispatch/", 2);
}

#[test]
fn parts_of_compounds_find_the_whole() {
    // 再生 is inside 事業再生 / 再生支援; 革新 inside 経営革新計画.
    assert_top("再生", "ja", "/programs/sme-revitalization-council/", 5);
    assert_top("革新", "ja", "/programs/management-innovation-plan/", 3);
    assert_top("事業再生", "ja", "/programs/sme-revitalization-council/", 3);
}

#[test]
fn councils_by_prefecture_and_name() {
    assert_top("鹿児島", "ja", "/councils/kagoshima/", 1);
    assert_top("沖縄県中小企業活性化協議会", "ja", "/councils/okinawa/", 1);
    assert_top("北海道", "ja", "/councils/hokkaido/", 1);
}

#[test]
fn kyoto_ranks_above_tokyo() {
    let urls = search("京都", "ja");
    let kyoto = urls.iter().position(|u| u == "/councils/kyoto/");
    let tokyo = urls.iter().position(|u| u == "/councils/tokyo/");
    assert_eq!(kyoto, Some(0), "{urls:#?}");
    assert!(tokyo.is_none_or(|t| t > 0), "{urls:#?}");
}

#[test]
fn full_and_half_width_forms() {
    assert_top("ＫＩＰ", "ja", "/organizations/kip/", 10);
    assert_eq!(search("ＫＩＰ", "ja"), search("KIP", "ja"));
    assert_eq!(search("ﾃｸﾆｶﾙｼｮｳ", "ja"), search("テクニカルショウ", "ja"));
    assert_top(
        "ﾃｸﾆｶﾙｼｮｳ",
        "ja",
        "/events/kip/technical-show-yokohama-2021/",
        3,
    );
}

#[test]
fn phone_numbers_with_or_without_hyphens() {
    assert_top("099-805-0268", "ja", "/councils/kagoshima/", 1);
    assert_top("0998050268", "ja", "/councils/kagoshima/", 1);
    assert_top("892-0842", "ja", "/councils/kagoshima/", 1);
}

#[test]
fn events_by_their_words() {
    assert_top(
        "商談会",
        "ja",
        "/events/kip/online-business-matching-yokohama/",
        5,
    );
    assert_top(
        "ビジネスオーディション",
        "ja",
        "/events/kip/kanagawa-business-audition-2021/",
        2,
    );
}

#[test]
fn english_queries_on_the_english_side() {
    assert_top(
        "revitalization council Okinawa",
        "en",
        "/en/councils/okinawa/",
        1,
    );
    assert_top(
        "management innovation plan",
        "en",
        "/en/programs/management-innovation-plan/",
        2,
    );
    assert_top(
        "equipment leasing",
        "en",
        "/en/programs/equipment-leasing/",
        2,
    );
    assert_top(
        "councils",
        "en",
        "/en/programs/sme-revitalization-council/",
        10,
    );
}

#[test]
fn synonyms_widen_the_search() {
    // 起業 is configured as a synonym of 創業.
    assert_top("起業", "ja", "/programs/startup-support/", 5);
}

#[test]
fn hostile_queries_are_answered() {
    for q in [
        "",
        "\"",
        "((((",
        "AND OR NOT",
        "title:x",
        "*",
        "-",
        "\u{0}",
        "a\u{200b}b",
        &"事業".repeat(500),
    ] {
        let _ = search(q, "ja");
    }
}

#[test]
fn repeated_answers_come_from_memory_within_their_minute() {
    let request = Request {
        q: "事業再生".into(),
        lang: Some("ja".into()),
        page: 1,
        per_page: 10,
        ..Request::default()
    };
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let first = index().answer(&request, at("2026-11-22T10:00:05+09:00"));
    let again = index().answer(&request, at("2026-11-22T10:00:55+09:00"));
    assert!(std::sync::Arc::ptr_eq(&first, &again), "same minute: kept");
    let later = index().answer(&request, at("2026-11-22T10:01:00+09:00"));
    assert!(
        !std::sync::Arc::ptr_eq(&first, &later),
        "next minute: computed"
    );
    let other = index().answer(
        &Request {
            page: 2,
            ..request.clone()
        },
        at("2026-11-22T10:00:30+09:00"),
    );
    assert!(
        !std::sync::Arc::ptr_eq(&first, &other),
        "another page: computed"
    );
    // What is kept is what a fresh computation gives.
    let fresh = index().search(&request, at("2026-11-22T10:00:00+09:00"));
    assert_eq!(
        serde_json::to_string(&*first).unwrap(),
        serde_json::to_string(&fresh).unwrap()
    );
}
