//! `kpot build` end to end: the real binary on small fixture sites, checked
//! by the files it writes, its exit code and its messages.

mod common;

use common::*;

const NOW: &str = "2027-03-01T09:00:00";

// ---------------------------------------------------------------------------
// 1. Translations and English fallbacks
// ---------------------------------------------------------------------------

#[test]
fn translated_pages_link_each_other_and_untranslated_ones_get_a_fallback() {
    let site = Site::portal();
    site.file(
        "content/about.md",
        &page("について", "", "日本語の本文。\n"),
    );
    site.file(
        "content/about.en.md",
        &page("About", "", "The English text.\n"),
    );
    site.file(
        "content/guide.md",
        &page("利用案内", "", "日本語だけの案内。\n"),
    );
    site.file(
        "content/events/kip/a.md",
        &event("商談会", "2027-02-15T13:30:00", "2027-02-15T16:00:00", ""),
    );
    site.build(&["--now", NOW]).ok();

    // Both versions exist and point at each other.
    let ja = site.read("about/index.html");
    let en = site.read("en/about/index.html");
    assert!(ja.contains("日本語の本文。"), "{ja}");
    assert!(en.contains("The English text."), "{en}");
    let pair = vec![
        (
            "en".to_string(),
            "https://example.org/en/about/".to_string(),
        ),
        ("ja".to_string(), "https://example.org/about/".to_string()),
    ];
    assert_eq!(hreflang_links(&ja), pair);
    assert_eq!(hreflang_links(&en), pair);
    assert_eq!(canonical(&ja), "https://example.org/about/");
    assert_eq!(canonical(&en), "https://example.org/en/about/");
    assert!(!ja.contains("noindex") && !en.contains("noindex"));
    assert!(!en.contains("This information is in Japanese only"));

    // A Japanese-only page and a Japanese-only event get English fallbacks.
    for (ja_url, en_file) in [
        ("/guide/", "en/guide/index.html"),
        ("/events/kip/a/", "en/events/kip/a/index.html"),
    ] {
        let fallback = site.read(en_file);
        assert!(
            fallback.contains(r#"<meta name="robots" content="noindex">"#),
            "{en_file}: {fallback}"
        );
        assert_eq!(
            canonical(&fallback),
            format!("https://example.org{ja_url}"),
            "{en_file}"
        );
        assert!(
            fallback.contains("This information is in Japanese only"),
            "{en_file}: {fallback}"
        );
        assert!(
            fallback.contains(&format!(r#"<a href="{ja_url}" hreflang="ja">"#)),
            "{en_file} should link the Japanese original: {fallback}"
        );
        assert!(fallback.contains(r#"<html lang="en">"#), "{en_file}");
        // The fallback does not claim to be an English alternate.
        assert!(
            !hreflang_links(&fallback).iter().any(|(l, _)| l == "en"),
            "{en_file}: {fallback}"
        );
    }
    // The Japanese original does not offer the fallback as its translation.
    let guide = site.read("guide/index.html");
    assert!(!guide.contains("noindex"), "{guide}");
    assert!(
        !hreflang_links(&guide).iter().any(|(l, _)| l == "en"),
        "{guide}"
    );
    // The fallback keeps the facts but not the Japanese body.
    let event_en = site.read("en/events/kip/a/index.html");
    assert!(event_en.contains("産業貿易センター"), "{event_en}");

    let sitemap = site.read("sitemap.xml");
    for url in [
        "https://example.org/about/",
        "https://example.org/en/about/",
        "https://example.org/guide/",
        "https://example.org/events/kip/a/",
    ] {
        assert!(
            sitemap.contains(&format!("<loc>{url}</loc>")),
            "{url} missing from sitemap:\n{sitemap}"
        );
    }
    assert!(
        sitemap.contains(
            r#"<xhtml:link rel="alternate" hreflang="en" href="https://example.org/en/about/"/>"#
        ),
        "{sitemap}"
    );
    for fallback in [
        "https://example.org/en/guide/",
        "https://example.org/en/events/kip/a/",
    ] {
        assert!(
            !sitemap.contains(fallback),
            "{fallback} is a fallback and must stay out of the sitemap:\n{sitemap}"
        );
    }
}

// ---------------------------------------------------------------------------
// 2. Sorting
// ---------------------------------------------------------------------------

#[test]
fn events_list_upcoming_soonest_first_and_archive_latest_first() {
    let site = Site::portal();
    let events = [
        ("past-jan", "EventPastJan", "2027-01-10T10:00:00"),
        ("past-feb", "EventPastFeb", "2027-02-10T10:00:00"),
        ("next-apr", "EventNextApr", "2027-04-01T10:00:00"),
        ("next-mar20", "EventNextMar20", "2027-03-20T10:00:00"),
        ("next-mar05", "EventNextMar05", "2027-03-05T10:00:00"),
    ];
    for (slug, title, start) in events {
        site.file(
            &format!("content/events/kip/{slug}.md"),
            &event(title, start, start, ""),
        );
    }
    site.build(&["--now", NOW]).ok();

    let current = site.read("events/index.html");
    assert_in_order(
        &current,
        &["EventNextMar05", "EventNextMar20", "EventNextApr"],
    );
    assert!(!current.contains("EventPastJan") && !current.contains("EventPastFeb"));
    assert!(current.contains(r#"href="/events/archive/""#), "{current}");

    let archive = site.read("events/archive/index.html");
    assert_in_order(&archive, &["EventPastFeb", "EventPastJan"]);
    assert!(!archive.contains("EventNext"), "{archive}");

    // English lists follow the same order.
    let en = site.read("en/events/index.html");
    assert_in_order(&en, &["EventNextMar05", "EventNextMar20", "EventNextApr"]);
    let en_archive = site.read("en/events/archive/index.html");
    assert_in_order(&en_archive, &["EventPastFeb", "EventPastJan"]);

    // The same site at a later "now" moves events into the archive.
    site.build(&["--now", "2027-03-10"]).ok();
    let current = site.read("events/index.html");
    assert!(!current.contains("EventNextMar05"), "{current}");
    assert_in_order(&current, &["EventNextMar20", "EventNextApr"]);
    let archive = site.read("events/archive/index.html");
    assert_in_order(
        &archive,
        &["EventNextMar05", "EventPastFeb", "EventPastJan"],
    );
}

#[test]
fn notices_list_open_and_closing_then_upcoming_then_closed() {
    let site = Site::portal();
    site.file(
        "content/notices/kip/a-closed.md",
        &notice("NoticeClosed", "2026-12-01", "2027-02-01"),
    );
    site.file(
        "content/notices/kip/b-upcoming.md",
        &notice("NoticeUpcoming", "2027-04-01", "2027-05-31"),
    );
    site.file(
        "content/notices/kip/c-open.md",
        &notice("NoticeOpen", "2027-01-01", "2027-06-30"),
    );
    site.file(
        "content/notices/kip/d-closing.md",
        &notice("NoticeClosing", "", "2027-03-10"),
    );
    site.build(&["--now", NOW]).ok();
    let list = site.read("notices/index.html");
    assert_in_order(
        &list,
        &[
            "NoticeClosing",
            "NoticeOpen",
            "NoticeUpcoming",
            "NoticeClosed",
        ],
    );
    // The partner's own folder lists them the same way.
    let kip = site.read("notices/kip/index.html");
    assert_in_order(
        &kip,
        &[
            "NoticeClosing",
            "NoticeOpen",
            "NoticeUpcoming",
            "NoticeClosed",
        ],
    );
}

#[test]
fn plain_sections_sort_by_weight_date_and_title() {
    let site = Site::empty();
    site.file(
        "content/weighted/_index.md",
        "+++\ntitle = \"W\"\nsort_by = \"weight\"\n+++\n",
    );
    site.file(
        "content/weighted/a.md",
        &page("WeightThree", "weight = 3\n", ""),
    );
    site.file(
        "content/weighted/b.md",
        &page("WeightOne", "weight = 1\n", ""),
    );
    site.file(
        "content/weighted/c.md",
        &page("WeightTwo", "weight = 2\n", ""),
    );

    site.file(
        "content/dated/_index.md",
        "+++\ntitle = \"D\"\nsort_by = \"date\"\n+++\n",
    );
    site.file(
        "content/dated/a.md",
        &page("DateMiddle", "date = 2024-05-01\n", ""),
    );
    site.file(
        "content/dated/b.md",
        &page("DateOldest", "date = 2023-01-01\n", ""),
    );
    site.file(
        "content/dated/c.md",
        &page("DateNewest", "date = 2025-12-31\n", ""),
    );

    site.file(
        "content/titled/_index.md",
        "+++\ntitle = \"T\"\nsort_by = \"title\"\n+++\n",
    );
    site.file("content/titled/a.md", &page("cherry title", "", ""));
    site.file("content/titled/b.md", &page("Apple title", "", ""));
    site.file("content/titled/c.md", &page("banana title", "", ""));
    site.build(&[]).ok();

    assert_in_order(
        &site.read("weighted/index.html"),
        &["WeightOne", "WeightTwo", "WeightThree"],
    );
    assert_in_order(
        &site.read("dated/index.html"),
        &["DateNewest", "DateMiddle", "DateOldest"],
    );
    assert_in_order(
        &site.read("titled/index.html"),
        &["Apple title", "banana title", "cherry title"],
    );
}

// ---------------------------------------------------------------------------
// 3. Pagination
// ---------------------------------------------------------------------------

#[test]
fn sections_paginate_with_zola_urls_and_prev_next_links() {
    let site = Site::empty();
    site.file(
        "content/posts/_index.md",
        "+++\ntitle = \"Posts\"\nsort_by = \"weight\"\npaginate_by = 2\n+++\n",
    );
    for n in 1..=5 {
        site.file(
            &format!("content/posts/p{n}.md"),
            &page(&format!("PostNumber{n}"), &format!("weight = {n}\n"), ""),
        );
    }
    site.build(&[]).ok();

    let first = site.read("posts/index.html");
    let second = site.read("posts/page/2/index.html");
    let third = site.read("posts/page/3/index.html");
    assert!(!site.has("posts/page/4/index.html"));

    let titles = |html: &str| -> Vec<usize> {
        (1..=5)
            .filter(|n| html.contains(&format!("PostNumber{n}<")))
            .collect()
    };
    assert_eq!(titles(&first), vec![1, 2]);
    assert_eq!(titles(&second), vec![3, 4]);
    assert_eq!(titles(&third), vec![5]);

    assert!(
        first.contains(r#"href="/posts/page/2/" rel="next""#),
        "{first}"
    );
    assert!(!first.contains(r#"rel="prev""#), "{first}");
    assert!(second.contains(r#"href="/posts/" rel="prev""#), "{second}");
    assert!(
        second.contains(r#"href="/posts/page/3/" rel="next""#),
        "{second}"
    );
    assert!(
        third.contains(r#"href="/posts/page/2/" rel="prev""#),
        "{third}"
    );
    assert!(!third.contains(r#"rel="next""#), "{third}");

    // English has the same pages under /en/.
    let en_second = site.read("en/posts/page/2/index.html");
    assert!(
        en_second.contains(r#"href="/en/posts/" rel="prev""#),
        "{en_second}"
    );
    assert!(
        en_second.contains(r#"href="/en/posts/page/3/" rel="next""#),
        "{en_second}"
    );
}

// ---------------------------------------------------------------------------
// 4. Statuses at a given --now
// ---------------------------------------------------------------------------

/// The status badge of an item page.
fn status_of(html: &str) -> String {
    let line = between(html, "class=\"status-line\">", "</p>");
    let badge = between(line, "<span class=\"badge", "</span>");
    badge.split_once('>').unwrap().1.trim().to_string()
}

#[test]
fn notice_status_follows_now() {
    let site = Site::portal();
    site.file(
        "content/notices/kip/subsidy.md",
        &notice("補助金", "2027-01-10", "2027-03-31"),
    );
    let cases = [
        ("2027-01-09T23:59:59", "受付前"),
        ("2027-01-10", "受付中"),
        ("2027-03-16T23:59:58", "受付中"),
        // closes is a date: it lasts until 23:59:59 JST, and "closing soon"
        // means within 14 days of that.
        ("2027-03-17T23:59:59", "締切間近"),
        ("2027-03-20", "締切間近"),
        ("2027-03-31T23:30:00", "締切間近"),
        ("2027-03-31T23:59:59", "締切間近"),
        ("2027-04-01", "受付終了"),
        // An instant in another zone is compared as the same instant.
        ("2027-03-31T14:59:00Z", "締切間近"),
        ("2027-03-31T15:00:00Z", "受付終了"),
    ];
    for (now, want) in cases {
        site.build(&["--now", now]).ok();
        let html = site.read("notices/kip/subsidy/index.html");
        assert_eq!(status_of(&html), want, "at {now}");
    }
    // English labels.
    site.build(&["--now", "2027-03-20"]).ok();
    assert_eq!(
        status_of(&site.read("en/notices/kip/subsidy/index.html")),
        "Closing soon"
    );
}

#[test]
fn event_status_follows_now_and_event_status() {
    let site = Site::portal();
    site.file(
        "content/events/kip/fair.md",
        &event("商談会", "2027-02-15T13:30:00", "2027-02-15T16:00:00", ""),
    );
    site.file(
        "content/events/kip/off.md",
        &event(
            "中止の商談会",
            "2027-02-15T13:30:00",
            "2027-02-15T16:00:00",
            "event_status = \"cancelled\"\n",
        ),
    );
    for (now, fair, off) in [
        ("2027-02-01", "開催予定", "中止"),
        ("2027-02-15T14:00:00", "開催中", "中止"),
        ("2027-02-16", "終了", "中止"),
    ] {
        site.build(&["--now", now]).ok();
        assert_eq!(
            status_of(&site.read("events/kip/fair/index.html")),
            fair,
            "at {now}"
        );
        assert_eq!(
            status_of(&site.read("events/kip/off/index.html")),
            off,
            "at {now}"
        );
    }
    let json_ld = between(
        &site.read("events/kip/off/index.html"),
        "<script type=\"application/ld+json\">",
        "</script>",
    )
    .to_string();
    assert!(
        json_ld.contains("https://schema.org/EventCancelled"),
        "{json_ld}"
    );
}

// ---------------------------------------------------------------------------
// 5. Untrusted partner Markdown
// ---------------------------------------------------------------------------

const HOSTILE_TITLE: &str = "商談会</script><script>alert(1)</script>";

#[test]
fn hostile_html_and_titles_never_reach_the_output() {
    let site = Site::portal();
    site.file(
        "content/events/kip/evil.md",
        &format!(
            "+++\ntitle = {}\ndescription = \"</script><script>alert(2)</script>\"\n[extra]\nstart = 2027-04-15T13:30:00\nformat = \"onsite\"\nvenue = \"<script>alert(3)</script>会場\"\norganizer = \"kip\"\n+++\n{}",
            toml_str(HOSTILE_TITLE),
            "本文\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n\
             <a href=\"javascript:alert(1)\">click</a>\n\n\
             <a href=\"JaVaScRiPt:alert(1)\">click2</a>\n\n\
             <iframe src=\"https://evil.example/\"></iframe>\n\n\
             <div onclick=\"alert(1)\" style=\"x\">div</div>\n"
        ),
    );
    site.file(
        "content/notices/kip/evil.md",
        "+++\ntitle = \"<img src=x onerror=alert(1)>\"\n[extra]\ncloses = 2027-06-30\norganizer = \"kip\"\n+++\n<iframe src=\"https://evil.example/\"></iframe><script>alert(1)</script>\n",
    );
    site.build(&["--now", NOW]).ok();

    let files = snapshot(&site.public());
    assert!(files.len() > 10, "{:?}", files.keys());
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes).to_lowercase();
        for bad in ["<script>alert", "javascript:", "<iframe"] {
            assert!(
                !text.contains(bad),
                "public/{path} contains {bad:?}:\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
        // Event handlers inside any tag (the titles hold `onerror` as
        // escaped text, which is harmless).
        for tag in text.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap_or_default();
            for bad in ["onerror", "onclick"] {
                assert!(
                    !tag.contains(bad),
                    "public/{path} has a tag with {bad}: <{tag}>"
                );
            }
        }
    }

    // The title is shown, escaped, on the page and in lists.
    let html = site.read("events/kip/evil/index.html");
    assert!(
        html.contains("<h1>商談会&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>"),
        "{html}"
    );
    assert!(html.contains("本文"), "{html}");
    assert!(
        site.read("events/index.html")
            .contains("商談会&lt;/script&gt;&lt;script&gt;alert(1)"),
    );

    // JSON-LD: one script element that parses and gives the title back.
    for file in [
        "events/kip/evil/index.html",
        "en/events/kip/evil/index.html",
    ] {
        let html = site.read(file);
        let json = between(&html, "<script type=\"application/ld+json\">", "</script>");
        let value: serde_json::Value = serde_json::from_str(json)
            .unwrap_or_else(|e| panic!("{file}: JSON-LD does not parse ({e}): {json}"));
        assert_eq!(value["@type"], "Event", "{file}");
        assert_eq!(value["name"], HOSTILE_TITLE, "{file}");
        assert_eq!(value["location"]["name"], "<script>alert(3)</script>会場");
        assert!(!json.contains('<'), "{file}: {json}");
    }
}

#[test]
fn markdown_links_with_javascript_urls_are_errors() {
    let site = Site::portal();
    site.file(
        "content/events/kip/evil.md",
        &event("商談会", "2027-04-15T13:30:00", "2027-04-15T16:00:00", "")
            .replace("本文\n", "本文\n\n[x](javascript:alert(1))\n"),
    );
    let run = site.build(&["--now", NOW]);
    run.code(1)
        .says("content/events/kip/evil.md:12:1: error: the link javascript:alert(1) is not allowed")
        .says("build failed: 1 errors");
    assert!(
        !site.public().exists(),
        "a failed build must not write public/"
    );

    // Same for a front-matter URL field.
    site.file(
        "content/events/kip/evil.md",
        &event(
            "商談会",
            "2027-04-15T13:30:00",
            "2027-04-15T16:00:00",
            "registration_url = \"javascript:alert(1)\"\n",
        ),
    );
    site.build(&["--now", NOW])
        .code(1)
        .says("content/events/kip/evil.md:9:1: error: [extra.registration_url]")
        .says("`javascript:` URLs are not allowed");
}

// ---------------------------------------------------------------------------
// 6. Broken internal links
// ---------------------------------------------------------------------------

#[test]
fn broken_internal_links_fail_the_build_and_keep_public() {
    let site = Site::empty();
    site.file("content/guides/_index.md", "+++\ntitle = \"G\"\n+++\n");
    site.file("content/guides/real.md", &page("Real", "", "x\n"));
    site.file(
        "content/about.md",
        &page("About", "", "\nSee [the guide](@/guides/real.md).\n"),
    );
    site.build(&[]).ok();
    let about = site.read("about/index.html");
    assert!(
        about.contains(r#"<a href="/guides/real/">the guide</a>"#),
        "{about}"
    );
    let before = snapshot(&site.public());

    site.file(
        "content/about.md",
        &page(
            "About",
            "",
            "\nSee [the guide](@/guides/real.md).\n\nAnd [x](@/programs/nope.md).\n",
        ),
    );
    site.build(&[])
        .code(1)
        .says("content/about.md:7:5: error:")
        .says("@/programs/nope.md");
    assert_eq!(snapshot(&site.public()), before, "public/ changed");
    assert_eq!(
        site.top_level(),
        vec![".public.generations", "content", "public", "search-index"]
    );
}

// ---------------------------------------------------------------------------
// 7. Drafts
// ---------------------------------------------------------------------------

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = Site::portal();
    site.file("content/posts/_index.md", "+++\ntitle = \"Posts\"\n+++\n");
    site.file(
        "content/posts/public-one.md",
        &page("PublicPost", "", "x\n"),
    );
    site.file(
        "content/posts/secret.md",
        &page("SecretPost", "draft = true\n", "x\n"),
    );
    site.file(
        "content/events/kip/secret.md",
        &event("SecretEvent", "2027-04-01", "2027-04-01", "")
            .replace("+++\ntitle", "+++\ndraft = true\ntitle"),
    );
    site.file(
        "content/events/kip/open.md",
        &event("OpenEvent", "2027-04-02", "2027-04-02", ""),
    );

    site.build(&["--now", NOW]).ok();
    for missing in [
        "posts/secret/index.html",
        "en/posts/secret/index.html",
        "events/kip/secret/index.html",
        "en/events/kip/secret/index.html",
    ] {
        assert!(!site.has(missing), "{missing} should not be built");
    }
    for (path, bytes) in snapshot(&site.public()) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("SecretPost") && !text.contains("SecretEvent"),
            "public/{path} mentions a draft"
        );
        assert!(!text.contains("/secret/"), "public/{path} links a draft");
    }
    assert!(site.read("posts/index.html").contains("PublicPost"));
    assert!(site.read("events/index.html").contains("OpenEvent"));

    site.build(&["--now", NOW, "--drafts"]).ok();
    assert!(site.read("posts/secret/index.html").contains("SecretPost"));
    assert!(
        site.read("events/kip/secret/index.html")
            .contains("SecretEvent")
    );
    assert!(site.read("posts/index.html").contains("SecretPost"));
    assert!(site.read("events/index.html").contains("SecretEvent"));
    assert!(
        site.read("organizations/kip/index.html")
            .contains("SecretEvent")
    );
}

// ---------------------------------------------------------------------------
// 8. A failed build changes nothing
// ---------------------------------------------------------------------------

#[test]
fn a_failed_build_leaves_public_byte_for_byte_unchanged() {
    let site = Site::portal();
    let good = event("商談会", "2027-02-15T13:30:00", "2027-02-15T16:00:00", "");
    site.file("content/events/kip/a.md", &good);
    site.build(&["--now", NOW]).ok();
    let before = snapshot(&site.public());
    assert!(before.contains_key("events/kip/a/index.html"));
    let top = site.top_level();
    assert_eq!(
        top,
        vec![
            ".public.generations",
            "config.toml",
            "content",
            "data",
            "public",
            "search-index"
        ]
    );

    // A typo in a typed field: file, line, field and a suggestion.
    site.file(
        "content/events/kip/a.md",
        &good.replace("venue = ", "venu = "),
    );
    let run = site.build(&["--now", NOW]);
    run.code(1)
        .says("content/events/kip/a.md:7:1: error: [extra.venu] unknown field `venu`")
        .says("  help: did you mean `venue`?")
        .says("public/ was left unchanged");
    assert_eq!(snapshot(&site.public()), before, "public/ changed");
    assert_eq!(site.top_level(), top, "a temporary folder was left behind");

    // The same in Japanese.
    site.build_raw(&["--now", NOW])
        .code(1)
        .says("content/events/kip/a.md:7:1: エラー: [extra.venu]")
        .says("`venue` ではありませんか？");

    // A TOML syntax error.
    site.file(
        "content/events/kip/a.md",
        &good.replace("title = \"商談会\"", "title = \"商談会"),
    );
    site.build(&["--now", NOW])
        .code(1)
        .says("content/events/kip/a.md:2:")
        .says("the text opened with \" is not closed");
    assert_eq!(snapshot(&site.public()), before, "public/ changed");
    assert_eq!(site.top_level(), top, "a temporary folder was left behind");

    // Fixing the file builds again, and replaces the old output.
    site.file(
        "content/events/kip/a.md",
        &good.replace("商談会", "新しい商談会"),
    );
    site.build(&["--now", NOW]).ok();
    assert!(
        site.read("events/kip/a/index.html")
            .contains("新しい商談会")
    );
    assert_eq!(site.top_level(), top);
}

// ---------------------------------------------------------------------------
// 9. Data files
// ---------------------------------------------------------------------------

#[test]
fn councils_and_organizations_get_pages_in_both_languages() {
    let site = Site::portal();
    site.file(
        "data/councils.yaml",
        "- prefecture: kagoshima\n  name: {ja: 鹿児島県中小企業活性化協議会, en: Kagoshima SME Revitalization Council}\n  host: {ja: 鹿児島商工会議所, en: Kagoshima Chamber of Commerce and Industry}\n  postal_code: 892-0842\n  phone: 099-805-0268\n",
    );
    site.file(
        "content/events/kip/next.md",
        &event(
            "KipUpcomingEvent",
            "2027-04-01T10:00:00",
            "2027-04-01T12:00:00",
            "",
        ),
    );
    site.file(
        "content/events/kip/old.md",
        &event(
            "KipPastEvent",
            "2027-01-01T10:00:00",
            "2027-01-01T12:00:00",
            "",
        ),
    );
    site.file(
        "content/events/igren/_index.md",
        "+++\ntitle = \"Igren\"\ntransparent = true\n+++\n",
    );
    site.file(
        "content/events/igren/other.md",
        &event(
            "IgrenEvent",
            "2027-04-01T10:00:00",
            "2027-04-01T12:00:00",
            "",
        )
        .replace("organizer = \"kip\"", "organizer = \"igren\""),
    );
    site.file(
        "content/notices/kip/n.md",
        &notice("KipNotice", "2027-01-01", "2027-06-30"),
    );
    site.build(&["--now", NOW]).ok();

    let ja = site.read("councils/kagoshima/index.html");
    assert!(ja.contains("鹿児島県中小企業活性化協議会"), "{ja}");
    assert!(ja.contains("099-805-0268"), "{ja}");
    assert!(ja.contains(r#"href="tel:0998050268""#), "{ja}");
    let en = site.read("en/councils/kagoshima/index.html");
    assert!(en.contains("Kagoshima SME Revitalization Council"), "{en}");
    assert!(en.contains("099-805-0268"), "{en}");
    let list = site.read("councils/index.html");
    assert!(list.contains(r#"href="/councils/kagoshima/""#), "{list}");
    assert!(
        site.read("en/councils/index.html")
            .contains(r#"href="/en/councils/kagoshima/""#)
    );
    let sitemap = site.read("sitemap.xml");
    assert!(sitemap.contains("<loc>https://example.org/councils/kagoshima/</loc>"));
    assert!(sitemap.contains("<loc>https://example.org/en/councils/kagoshima/</loc>"));

    let kip = site.read("organizations/kip/index.html");
    assert!(kip.contains("神奈川産業振興センター"), "{kip}");
    assert!(kip.contains(r#"href="/events/kip/next/""#), "{kip}");
    assert!(kip.contains(r#"href="/events/kip/old/""#), "{kip}");
    assert!(kip.contains(r#"href="/notices/kip/n/""#), "{kip}");
    assert!(!kip.contains("IgrenEvent"), "{kip}");
    // Upcoming before past.
    assert_in_order(&kip, &["KipUpcomingEvent", "KipPastEvent"]);
    let kip_en = site.read("en/organizations/kip/index.html");
    assert!(kip_en.contains("<h1>KIP</h1>"), "{kip_en}");
    assert!(
        kip_en.contains(r#"href="/en/events/kip/next/""#),
        "{kip_en}"
    );
    let igren = site.read("organizations/igren/index.html");
    assert!(igren.contains("IgrenEvent") && !igren.contains("KipUpcomingEvent"));

    // The event links its organizer's page.
    assert!(
        site.read("events/kip/next/index.html")
            .contains(r#"<a href="/organizations/kip/">神奈川産業振興センター</a>"#)
    );
    // The organizer taxonomy.
    assert!(
        site.read("organizers/kip/index.html")
            .contains("KipUpcomingEvent")
    );
}

#[test]
fn an_organization_page_shows_the_next_events_and_links_the_rest() {
    let site = Site::portal();
    // 23 upcoming events (March 2027 onwards) and 12 past ones.
    for day in 1..=23 {
        site.file(
            &format!("content/events/kip/next-{day:02}.md"),
            &event(
                &format!("KipNext{day:02}"),
                &format!("2027-03-{day:02}T10:00:00"),
                &format!("2027-03-{day:02}T12:00:00"),
                "",
            ),
        );
    }
    for day in 1..=12 {
        site.file(
            &format!("content/events/kip/past-{day:02}.md"),
            &event(
                &format!("KipPast{day:02}"),
                &format!("2027-01-{day:02}T10:00:00"),
                &format!("2027-01-{day:02}T12:00:00"),
                "",
            ),
        );
    }
    site.file(
        "content/notices/kip/n.md",
        &notice("KipNotice", "2027-01-01", "2027-06-30"),
    );
    site.build(&["--now", NOW]).ok();

    let kip = site.read("organizations/kip/index.html");
    // The 20 soonest, then the 10 latest past ones.
    let upcoming: Vec<String> = (1..=20).map(|d| format!("KipNext{d:02}")).collect();
    let upcoming: Vec<&str> = upcoming.iter().map(String::as_str).collect();
    assert_in_order(&kip, &upcoming);
    for later in ["KipNext21", "KipNext22", "KipNext23"] {
        assert!(!kip.contains(later), "{later} is beyond the first 20");
    }
    assert_in_order(&kip, &["KipNext20", "KipPast12", "KipPast03"]);
    assert!(!kip.contains("KipPast02") && !kip.contains("KipPast01"));
    // Each cut list links the partner's folder, which lists them all.
    assert!(
        kip.contains(r#"<a href="/events/kip/">この機関のイベントをすべて見る（23 件）</a>"#),
        "{kip}"
    );
    assert!(
        kip.contains("過去のイベントも含めてすべて見る（12 件）"),
        "{kip}"
    );
    // A list that is whole has no such link.
    assert!(kip.contains("KipNotice") && !kip.contains("補助金・公募をすべて見る"));
    let folder = site.read("events/kip/index.html");
    assert!(folder.contains("KipNext01"), "{folder}");
    let en = site.read("en/organizations/kip/index.html");
    assert!(
        en.contains(r#"<a href="/en/events/kip/">All 23 upcoming events of this organization</a>"#),
        "{en}"
    );
}

/// Issue 15: every typed item the home page shows is on its section's list,
/// wherever it sits in its partner's folder and whatever the folder's
/// `_index.md` says: a new partner's folder without one, a subfolder without
/// one, and an `_index.md` that forgot `transparent = true`.
#[test]
fn the_lists_show_every_item_the_home_page_shows_with_or_without_index_files() {
    let site = Site::portal();
    let igren = |text: String| text.replace("organizer = \"kip\"", "organizer = \"igren\"");
    site.file(
        "content/events/igren/fair.md",
        &igren(event(
            "IgrenFair",
            "2027-03-10T10:00:00",
            "2027-03-10T12:00:00",
            "",
        )),
    );
    site.file(
        "content/notices/igren/grant.md",
        &igren(notice("IgrenGrant", "2027-02-01", "2027-03-20")),
    );
    site.file(
        "content/events/kip/2027/spring.md",
        &event(
            "KipInSubfolder",
            "2027-03-12T10:00:00",
            "2027-03-12T12:00:00",
            "",
        ),
    );
    site.file(
        "content/notices/kip/_index.md",
        "+++\ntitle = \"KIP のお知らせ\"\n+++\n",
    );
    site.file(
        "content/notices/kip/n.md",
        &notice("KipNotTransparent", "2027-02-01", "2027-03-25"),
    );
    site.check(&[]).code(0);
    site.build(&["--now", NOW]).ok();

    let expected = [
        ("events", "IgrenFair"),
        ("events", "KipInSubfolder"),
        ("notices", "IgrenGrant"),
        ("notices", "KipNotTransparent"),
    ];
    for lang in ["", "en/"] {
        let home = site.read(&format!("{lang}index.html"));
        for (section, title) in expected {
            assert!(
                home.contains(title),
                "{lang}index.html lacks {title}:\n{home}"
            );
            let list = site.read(&format!("{lang}{section}/index.html"));
            assert!(
                list.contains(title),
                "{lang}{section}/ lacks {title}:\n{list}"
            );
        }
    }
    // The folder without `_index.md` has its own list, feed and title (the
    // organization's name), in both languages, as kip's folder has.
    let folder = site.read("events/igren/index.html");
    assert!(
        folder.contains("<h1>アイグレン</h1>") && folder.contains("IgrenFair"),
        "{folder}"
    );
    let folder = site.read("en/events/igren/index.html");
    assert!(
        folder.contains("<h1>Igren</h1>") && folder.contains("IgrenFair"),
        "{folder}"
    );
    assert!(site.read("notices/igren/index.html").contains("IgrenGrant"));
    assert!(site.read("events/igren/rss.xml").contains("IgrenFair"));
    // A subfolder without `_index.md` makes no list of its own.
    assert!(!site.has("events/kip/2027/index.html"));
}

// ---------------------------------------------------------------------------
// 10. A plain Zola site
// ---------------------------------------------------------------------------

/// The smallest valid PNG (1×1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[test]
fn a_plain_zola_site_builds() {
    let site = Site::empty();
    site.file(
        "content/_index.md",
        "+++\ntitle = \"My Zola site\"\n+++\nWelcome home.\n",
    );
    site.file(
        "content/about.md",
        "+++\ntitle = \"About\"\ndescription = \"About us\"\n[extra]\nanything = 1\n+++\nAbout text.\n",
    );
    site.file(
        "content/yaml-page.md",
        "---\ntitle: A YAML page\ndate: 2024-03-01\n---\nYAML body.\n",
    );
    site.file(
        "content/posts/_index.md",
        "+++\ntitle = \"Blog\"\nsort_by = \"date\"\n+++\n",
    );
    site.file(
        "content/posts/2024-01-05-hello.md",
        "+++\ntitle = \"Hello\"\n[taxonomies]\ntags = [\"a\"]\n+++\nSummary part.\n\n<!-- more -->\n\nRest of the post.\n",
    );
    site.file(
        "content/posts/bundle/index.md",
        "+++\ntitle = \"Bundle\"\ndate = 2024-02-01\n+++\n![a picture](pic.png)\n",
    );
    site.bytes("content/posts/bundle/pic.png", PNG);
    site.build(&[]).ok();

    let hello = site.read("posts/hello/index.html");
    assert!(hello.contains("<h1>Hello</h1>"), "{hello}");
    assert!(hello.contains("Summary part.") && hello.contains("Rest of the post."));
    assert!(site.has("en/posts/hello/index.html"));
    assert!(!site.has("posts/2024-01-05-hello/index.html"));

    let bundle = site.read("posts/bundle/index.html");
    assert!(bundle.contains(r#"src="pic.png""#), "{bundle}");
    assert_eq!(
        std::fs::read(site.public().join("posts/bundle/pic.png")).unwrap(),
        PNG
    );

    assert!(site.read("about/index.html").contains("About text."));
    assert!(site.read("yaml-page/index.html").contains("YAML body."));
    assert!(site.read("index.html").contains("Welcome home."));
    // sort_by = "date": newest first; the file-name date counts.
    assert_in_order(&site.read("posts/index.html"), &["Bundle", "Hello"]);
    assert!(site.has("robots.txt") && site.has("404.html"));
    // The date from the file name is the page date.
    let sitemap = site.read("sitemap.xml");
    let hello_entry = between(
        &sitemap,
        "<loc>http://127.0.0.1:8080/posts/hello/</loc>",
        "</url>",
    );
    assert!(
        hello_entry.contains("<lastmod>2024-01-05</lastmod>"),
        "{sitemap}"
    );

    // A minimal config.toml builds the same site.
    site.file(
        "config.toml",
        "base_url = \"https://blog.example\"\ntitle = \"Blog\"\n",
    );
    site.build(&[]).ok();
    assert!(
        site.read("sitemap.xml")
            .contains("<loc>https://blog.example/posts/hello/</loc>")
    );
}

// ---------------------------------------------------------------------------
// 11. Unknown keys and encodings
// ---------------------------------------------------------------------------

#[test]
fn unknown_top_level_keys_warn_but_unknown_extra_keys_in_events_fail() {
    let site = Site::portal();
    site.file(
        "content/about.md",
        "+++\ntitle = \"About\"\ndescripton = \"typo\"\ncolour = \"red\"\n+++\nx\n",
    );
    let run = site.build(&["--now", NOW]);
    run.ok()
        .says("content/about.md:3:1: warning: [descripton] unknown field `descripton`")
        .says("did you mean `description`?")
        .says("content/about.md:4:1: warning: [colour] unknown field `colour`");
    assert!(site.read("about/index.html").contains("About"));

    site.file(
        "content/events/kip/a.md",
        &event(
            "商談会",
            "2027-02-15T13:30:00",
            "2027-02-15T16:00:00",
            "capacty = 30\n",
        ),
    );
    site.build(&["--now", NOW])
        .code(1)
        .says("content/events/kip/a.md:9:1: error: [extra.capacty] unknown field `capacty`")
        .says("did you mean `capacity`?");
    // Unknown [extra] keys of plain pages are the site's own business.
    site.remove("content/events/kip/a.md");
    site.file(
        "content/about.md",
        "+++\ntitle = \"About\"\n[extra]\nmy_key = 1\n+++\nx\n",
    );
    let run = site.build(&["--now", NOW]);
    run.ok();
    assert!(!run.stderr.contains("my_key"), "{}", run.stderr);
}

#[test]
fn a_shift_jis_file_is_an_error_that_names_the_encoding() {
    let site = Site::portal();
    let mut bytes = b"+++\ntitle = \"x\"\n+++\n".to_vec();
    bytes.extend_from_slice(&[0x8E, 0x96, 0x8B, 0xC6, 0x8D, 0xC4, 0x90, 0xB6]);
    bytes.push(b'\n');
    site.bytes("content/about.md", &bytes);
    site.build(&[])
        .code(1)
        .says("content/about.md")
        .says("Shift_JIS")
        .says("UTF-8");
    site.build_raw(&[])
        .code(1)
        .says("Shift_JIS で保存されているようです");
    assert!(!site.public().exists());
}

// ---------------------------------------------------------------------------
// 12. Partners cannot escape their folders
// ---------------------------------------------------------------------------

#[test]
fn partner_slugs_and_paths_cannot_leave_their_folder() {
    let site = Site::portal();
    let good = event("商談会", "2027-02-15T13:30:00", "2027-02-15T16:00:00", "");
    let before = site.all_files();
    for (front, field) in [
        ("slug = \"../../etc\"\n", "[slug]"),
        ("slug = \"../../../../outside\"\n", "[slug]"),
        ("path = \"/notices/other/x\"\n", "[path]"),
        ("path = \"/events/igren/x\"\n", "[path]"),
        ("path = \"../../outside\"\n", "[path]"),
        ("path = \"/index.html\"\n", "[path]"),
    ] {
        site.file(
            "content/events/kip/a.md",
            &good.replacen("+++\n", &format!("+++\n{front}"), 1),
        );
        site.build(&["--now", NOW])
            .code(1)
            .says("content/events/kip/a.md")
            .says(field);
        let mut after = site.all_files();
        after.remove("content/events/kip/a.md");
        assert_eq!(
            after.keys().collect::<Vec<_>>(),
            before.keys().collect::<Vec<_>>(),
            "{front}: files appeared"
        );
        assert!(
            !site.root().parent().unwrap().join("outside").exists(),
            "{front}: wrote outside the site"
        );
    }
    // Inside the folder is fine.
    site.file(
        "content/events/kip/a.md",
        &good.replacen("+++\n", "+++\nslug = \"renamed\"\n", 1),
    );
    site.build(&["--now", NOW]).ok();
    assert!(site.has("events/kip/renamed/index.html"));
}

#[test]

fn partner_aliases_cannot_claim_urls_outside_their_folder() {
    let site = Site::portal();
    site.file(
        "content/events/kip/a.md",
        &event("商談会", "2027-02-15T13:30:00", "2027-02-15T16:00:00", "").replacen(
            "+++\n",
            "+++\naliases = [\"/programs/hijack/\"]\n",
            1,
        ),
    );
    let run = site.build(&["--now", NOW]);
    assert!(
        !site.has("programs/hijack/index.html"),
        "a partner page published a redirect at /programs/hijack/"
    );
    run.code(1).says("content/events/kip/a.md").says("aliases");
}

#[test]

fn an_alias_cannot_overwrite_another_page() {
    let site = Site::empty();
    site.file(
        "content/a.md",
        &page("PageA", "aliases = [\"/b/\"]\n", "AAA\n"),
    );
    site.file("content/b.md", &page("PageB", "", "BBB\n"));
    let run = site.build(&[]);
    if run.code == Some(0) {
        let b = site.read("b/index.html");
        assert!(
            b.contains("BBB"),
            "the alias of a.md replaced the page b.md:\n{b}"
        );
    }
    run.code(1).says("/b/");
}

// ---------------------------------------------------------------------------
// Partner assets, exit codes, Japanese line breaks, English-only pages
// ---------------------------------------------------------------------------

#[test]
fn partner_folders_take_images_and_pdf_only() {
    let site = Site::portal();
    site.file(
        "content/events/kip/a.md",
        &event("商談会", "2027-02-15T13:30:00", "2027-02-15T16:00:00", ""),
    );
    site.bytes("content/events/kip/flyer.png", PNG);
    site.build(&["--now", NOW]).ok();
    assert_eq!(
        std::fs::read(site.public().join("events/kip/flyer.png")).unwrap(),
        PNG
    );
    let before = snapshot(&site.public());

    site.file(
        "content/events/kip/x.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    );
    site.file("content/events/kip/y.html", "<script>alert(1)</script>");
    site.build(&["--now", NOW])
        .code(1)
        .says("content/events/kip/x.svg: error: partner folders may only hold images")
        .says("content/events/kip/y.html: error:");
    assert_eq!(snapshot(&site.public()), before);
}

#[test]
fn a_bad_now_cannot_run() {
    let site = Site::portal();
    site.build(&["--now", "yesterday"])
        .code(2)
        .says("cannot read --now");
    assert!(!site.public().exists());
}

#[test]

fn a_missing_root_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("nowhere");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kpot"))
        .args(["build", "--lang", "en", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!root.exists());
}

#[test]
fn soft_breaks_between_japanese_characters_vanish() {
    let site = Site::empty();
    site.file(
        "content/about.md",
        &page(
            "About",
            "",
            "事業再生を\n支援します。\nEnglish words\nstay apart.\n",
        ),
    );
    site.build(&[]).ok();
    let html = site.read("about/index.html");
    assert!(html.contains("事業再生を支援します。"), "{html}");
    assert!(html.contains("English words\nstay apart."), "{html}");
}

#[test]

fn an_english_only_page_is_not_called_japanese_only() {
    let site = Site::portal();
    site.file(
        "content/x.en.md",
        &page("Only English", "", "English body.\n"),
    );
    site.build(&[]).ok();
    let en = site.read("en/x/index.html");
    assert!(en.contains("English body."), "{en}");
    assert!(!en.contains("noindex"), "{en}");
    let ja = site.read("x/index.html");
    assert!(ja.contains("noindex"), "{ja}");
    assert_eq!(canonical(&ja), "https://example.org/en/x/");
    assert!(
        !ja.contains("この情報は日本語のみです"),
        "the page is in English, not Japanese only:\n{ja}"
    );
    assert!(
        !ja.contains("hreflang=\"ja\">日本語のページを見る"),
        "the link goes to the English page:\n{ja}"
    );
    assert!(ja.contains(r#"href="/en/x/" hreflang="en""#), "{ja}");
    let sitemap = site.read("sitemap.xml");
    assert!(sitemap.contains("<loc>https://example.org/en/x/</loc>"));
    assert!(!sitemap.contains("<loc>https://example.org/x/</loc>"));
}

// ---------------------------------------------------------------------------
// 13. Rebuilds write only what changed
// ---------------------------------------------------------------------------

/// `(files, written, removed)` from the summary line of `kpot build`.
fn write_counts(run: &Run) -> (usize, usize, usize) {
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("built: "))
        .unwrap_or_else(|| panic!("no summary line:\n{}", run.stdout));
    let number_before = |word: &str| -> usize {
        let head = &line[..line
            .find(word)
            .unwrap_or_else(|| panic!("{word} in {line}"))];
        let digits: String = head
            .trim_end()
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.chars().rev().collect::<String>().parse().unwrap()
    };
    (
        number_before(" files"),
        number_before(" written"),
        number_before(" removed"),
    )
}

/// Modification times of every file below `dir`.
fn mtimes(dir: &std::path::Path) -> std::collections::BTreeMap<String, std::time::SystemTime> {
    snapshot(dir)
        .into_keys()
        .map(|rel| {
            let time = std::fs::metadata(dir.join(&rel))
                .unwrap()
                .modified()
                .unwrap();
            (rel, time)
        })
        .collect()
}

/// Paths whose bytes differ between two snapshots, or that only one has.
fn differing(
    a: &std::collections::BTreeMap<String, Vec<u8>>,
    b: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let mut out: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn rebuilds_write_only_the_files_whose_bytes_changed() {
    let site = Site::portal();
    site.file(
        "content/events/kip/a.md",
        &event("商談会", "2027-04-10T13:30:00", "2027-04-10T16:00:00", ""),
    );
    site.file(
        "content/events/kip/b.md",
        &event("セミナー", "2027-05-10", "2027-05-10", ""),
    );
    site.file("content/about.md", &page("About", "", "kpot\n"));

    let first = site.build(&["--now", NOW]);
    first.ok().prints("index rebuilt");
    let (files, written, removed) = write_counts(&first);
    assert!(files > 20, "{}", first.stdout);
    assert_eq!(
        (written, removed),
        (files, 0),
        "a first build writes everything"
    );
    let built = snapshot(&site.public());
    let times = mtimes(&site.public());
    let index = snapshot(&site.root().join("search-index/index"));

    // The same inputs: nothing is written, nothing changes.
    let again = site.build(&["--now", NOW]);
    again.ok().prints("index unchanged");
    assert_eq!(write_counts(&again), (files, 0, 0), "{}", again.stdout);
    assert_eq!(snapshot(&site.public()), built);
    assert_eq!(mtimes(&site.public()), times, "a file was rewritten");
    assert_eq!(snapshot(&site.root().join("search-index/index")), index);

    // Another "now" a second later: everything renders again, but only the
    // files whose bytes differ are written (the empty English feeds, dated
    // "now"); pages, whose statuses did not change, are left alone.
    let later = site.build(&["--now", "2027-03-01T09:00:01"]);
    later.ok().prints("index unchanged");
    let after = snapshot(&site.public());
    let changed = differing(&built, &after);
    assert!(changed.iter().all(|p| p.ends_with(".xml")), "{changed:?}");
    assert_eq!(
        write_counts(&later),
        (files, changed.len(), 0),
        "{}",
        later.stdout
    );
    let later_times = mtimes(&site.public());
    for (path, time) in &times {
        assert_eq!(
            later_times[path] != *time,
            changed.contains(path),
            "{path}: rewritten if and only if its bytes changed"
        );
    }
    site.build(&["--now", NOW]).ok();
    let times = mtimes(&site.public());
    assert_eq!(snapshot(&site.public()), built);

    // An edit rewrites exactly the files whose bytes changed.
    site.file(
        "content/events/kip/a.md",
        &event(
            "新しい商談会",
            "2027-04-10T13:30:00",
            "2027-04-10T16:00:00",
            "",
        ),
    );
    let edited = site.build(&["--now", NOW]);
    edited.ok().prints("index rebuilt");
    let after = snapshot(&site.public());
    let changed = differing(&built, &after);
    assert!(changed.contains(&"events/kip/a/index.html".to_string()));
    assert!(!changed.contains(&"events/kip/b/index.html".to_string()));
    assert!(!changed.contains(&"about/index.html".to_string()));
    let (_, written, removed) = write_counts(&edited);
    assert_eq!((written, removed), (changed.len(), 0), "{changed:?}");
    assert!(written < files / 2, "{written} of {files} files rewritten");
    let new_times = mtimes(&site.public());
    let touched: Vec<&String> = new_times
        .keys()
        .filter(|k| times.get(*k) != new_times.get(*k))
        .collect();
    assert_eq!(touched.len(), changed.len(), "{touched:?} vs {changed:?}");

    // A deleted page disappears, folder and all, and the result is the
    // same as a build from scratch.
    site.remove("content/events/kip/b.md");
    let deleted = site.build(&["--now", NOW]);
    deleted.ok();
    let (_, _, removed) = write_counts(&deleted);
    assert!(removed >= 1, "{}", deleted.stdout);
    assert!(!site.has("events/kip/b/index.html"));
    assert!(!site.public().join("events/kip/b").exists());
    let fresh = site.root().join("fresh");
    site.build(&["--now", NOW, "--output-dir", fresh.to_str().unwrap()])
        .ok();
    assert_eq!(snapshot(&site.public()), snapshot(&fresh));

    // A file changed or removed by hand is put back; a stray one goes.
    std::fs::write(site.public().join("about/index.html"), "vandalised").unwrap();
    std::fs::write(site.public().join("stray.html"), "stray").unwrap();
    let repaired = site.build(&["--now", NOW]);
    repaired.ok();
    assert_eq!(write_counts(&repaired).1, 1, "{}", repaired.stdout);
    assert_eq!(snapshot(&site.public()), snapshot(&fresh));

    // A failing build after all this still changes nothing, and the next
    // good build picks up where the last one left off.
    let before = snapshot(&site.public());
    let manifest = live_manifest(&site);
    site.file(
        "content/events/kip/a.md",
        &event("壊れた", "2027-04-10T13:30:00", "2027-04-10T16:00:00", "")
            .replace("venue = ", "venu = "),
    );
    site.build(&["--now", NOW])
        .code(1)
        .says("public/ was left unchanged");
    assert_eq!(snapshot(&site.public()), before, "public/ changed");
    assert_eq!(live_manifest(&site), manifest);
    assert_eq!(
        site.top_level(),
        vec![
            ".fresh-search-index.lock",
            ".fresh.generations",
            ".public.generations",
            "config.toml",
            "content",
            "data",
            "fresh",
            "fresh-search-index",
            "public",
            "search-index"
        ]
    );
    site.file(
        "content/events/kip/a.md",
        &event(
            "直った商談会",
            "2027-04-10T13:30:00",
            "2027-04-10T16:00:00",
            "",
        ),
    );
    site.build(&["--now", NOW]).ok();
    assert!(
        site.read("events/kip/a/index.html")
            .contains("直った商談会")
    );
}

/// The manifest of the live generation of `public/` (`public` links to
/// `.public.generations/<n>`, its manifest is `<n>.kpot-manifest` there).
fn live_manifest(site: &Site) -> Vec<u8> {
    let link = std::fs::read_link(site.public()).expect("public/ is a link");
    let path = site
        .root()
        .join(format!("{}.kpot-manifest", link.display()));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The stages a build went through, from `KPOT_TIMINGS=1`.
fn stages(site: &Site, args: &[&str]) -> Vec<String> {
    let mut all = vec!["build", "--lang", "en"];
    all.extend_from_slice(args);
    let run = site.kpot_with(&all, &[("KPOT_TIMINGS", "1")], None);
    run.ok();
    run.stderr
        .lines()
        .filter_map(|line| {
            line.split_once(": ")
                .map(|(name, _)| name.trim().to_string())
        })
        .collect()
}

#[test]
fn a_build_of_unchanged_inputs_does_no_work_after_a_fresh_build() {
    let site = Site::portal();
    site.file(
        "content/events/kip/a.md",
        &event("商談会", "2027-04-10T13:30:00", "2027-04-10T16:00:00", ""),
    );
    site.file("content/about.md", &page("About", "", "kpot\n"));
    // Hidden files are part of the inputs too, though the loader skips them.
    site.file("content/.notes/todo.md", "not a page\n");

    // A fresh build hashes the pages as it loads them; the fingerprint it
    // records must be the one the next build computes by reading them.
    let first = stages(&site, &["--now", NOW]);
    assert!(first.contains(&"prepare".to_string()), "{first:?}");
    let again = stages(&site, &["--now", NOW]);
    assert!(again.contains(&"verify".to_string()), "{again:?}");
    assert!(!again.contains(&"prepare".to_string()), "{again:?}");

    // Any change to a page, a hidden file or the options means work.
    site.file(
        "content/events/kip/a.md",
        &event(
            "新しい商談会",
            "2027-04-10T13:30:00",
            "2027-04-10T16:00:00",
            "",
        ),
    );
    assert!(stages(&site, &["--now", NOW]).contains(&"prepare".to_string()));
    assert!(
        site.read("events/kip/a/index.html")
            .contains("新しい商談会")
    );
    assert!(stages(&site, &["--now", NOW]).contains(&"verify".to_string()));
    site.file("content/.notes/todo.md", "still not a page\n");
    assert!(stages(&site, &["--now", NOW]).contains(&"prepare".to_string()));
    assert!(stages(&site, &["--now", "2027-03-01"]).contains(&"prepare".to_string()));

    // A fresh output folder beside an old one is a fresh build, and the one
    // after it is skipped.
    let fresh = site.root().join("fresh");
    let fresh = fresh.to_str().unwrap();
    let args = ["--now", NOW, "--output-dir", fresh];
    assert!(stages(&site, &args).contains(&"prepare".to_string()));
    assert!(stages(&site, &args).contains(&"verify".to_string()));
    site.build(&["--now", NOW]).ok();
    let fresh = snapshot(std::path::Path::new(fresh));
    assert_eq!(
        differing(&snapshot(&site.public()), &fresh),
        Vec::<String>::new()
    );
}

#[test]
fn a_template_error_in_a_rebuild_leaves_public_and_the_index_alone() {
    let site = Site::portal();
    site.file(
        "content/events/kip/a.md",
        &event("商談会", "2027-04-10T13:30:00", "2027-04-10T16:00:00", ""),
    );
    site.build(&["--now", NOW]).ok();
    let public = snapshot(&site.public());
    let index = snapshot(&site.root().join("search-index/index"));
    // A site theme whose page template cannot render.
    for (name, bytes) in kpot::theme::EMBEDDED {
        site.bytes(&format!("themes/kpot/{name}"), bytes);
    }
    site.file(
        "content/events/kip/a.md",
        &event(
            "変更した商談会",
            "2027-04-10T13:30:00",
            "2027-04-10T16:00:00",
            "",
        ),
    );
    site.file(
        "themes/kpot/templates/event.html",
        "{% extends \"base.html\" %}{% block main %}{{ range(page.title) }}{% endblock %}",
    );
    site.build(&["--now", NOW])
        .code(1)
        .says("templates/event.html");
    assert_eq!(snapshot(&site.public()), public, "public/ changed");
    assert_eq!(
        snapshot(&site.root().join("search-index/index")),
        index,
        "the index changed"
    );
    assert_eq!(
        site.top_level(),
        vec![
            ".public.generations",
            "config.toml",
            "content",
            "data",
            "public",
            "search-index",
            "themes"
        ]
    );
}

// ---------------------------------------------------------------------------
// Output paths that kpot, static/ or another page already uses
// ---------------------------------------------------------------------------

/// Writes `files`: Markdown as pages whose third line is the given front
/// matter line, anything else as it is.
fn site_with(files: &[(&str, &str)]) -> Site {
    let site = Site::portal();
    for (rel, text) in files {
        if rel.ends_with(".md") {
            site.file(rel, &page("ページ", &format!("{text}\n"), "本文\n"));
        } else {
            site.file(rel, text);
        }
    }
    site
}

/// Each path a build cannot write is refused as a content error (exit 1)
/// on the page that asked for it, naming the other claimant, before
/// anything is written: never a bare "Is a directory" (exit 2).
#[test]
fn output_paths_already_in_use_are_content_errors_on_their_page() {
    let cases: [(&[(&str, &str)], &str); 9] = [
        (
            &[("content/x.md", "path = \"robots.txt\"")],
            "content/x.md:3:1: error: [path] this page would be written to /robots.txt/index.html, inside a folder /robots.txt/, but kpot itself writes a file /robots.txt there",
        ),
        (
            &[("content/x.md", "path = \"kpot.js\"")],
            "content/x.md:3:1: error: [path] this page would be written to /kpot.js/index.html, inside a folder /kpot.js/, but kpot itself (the theme's kpot.js) writes a file /kpot.js there",
        ),
        (
            &[("content/x.md", "path = \"404.html\"")],
            "content/x.md:3:1: error: [path] this page would be written to /404.html/index.html, inside a folder /404.html/, but kpot itself writes a file /404.html there",
        ),
        (
            &[("content/x.md", "path = \"search\"")],
            "content/x.md:3:1: error: [path] this page would be written to /search/index.html, but kpot itself writes that file",
        ),
        (
            &[("content/x.md", "aliases = [\"kpot.css\"]")],
            "content/x.md:3:1: error: [aliases] this alias would be written to /kpot.css/index.html, inside a folder /kpot.css/, but kpot itself (the theme's kpot.css) writes a file /kpot.css there",
        ),
        (
            &[
                ("content/a.md", "path = \"same\""),
                ("content/x.md", "path = \"same\""),
            ],
            "content/x.md:3:1: error: [path] the URL /same/ is already used by content/a.md:3",
        ),
        (
            &[
                ("content/a.md", "path = \"news.html\""),
                ("content/x.md", "aliases = [\"news.html\"]"),
            ],
            "content/x.md:3:1: error: [aliases] this alias would be written to the file /news.html, but content/a.md:3 writes /news.html/index.html, inside a folder of that name",
        ),
        (
            &[("static/guide", ""), ("content/guide.md", "")],
            "content/guide.md: error: this page would be written to /guide/index.html, inside a folder /guide/, but static/guide writes a file /guide there",
        ),
        (
            &[("content/x.md", "path = \"../outside\"")],
            "content/x.md:3:1: error: [path] path `../outside` cannot be used: it is empty or points outside the site",
        ),
    ];
    for (files, says) in cases {
        let site = site_with(files);
        site.build(&["--now", NOW])
            .code(1)
            .says(says)
            .says("build failed")
            .never_says("Is a directory")
            .never_says("two outputs");
        assert!(!site.public().exists(), "public/ was written for {files:?}");
    }
}

/// A refused path leaves the previous site as it was.
#[test]
fn a_refused_path_leaves_the_last_build_in_place() {
    let site = Site::portal();
    site.file("content/about.md", &page("について", "", "本文\n"));
    site.build(&["--now", NOW]).ok();
    let before = site.all_files();
    site.file(
        "content/x.md",
        &page("ページ", "path = \"robots.txt\"\n", "本文\n"),
    );
    site.build(&["--now", NOW]).code(1).says("/robots.txt");
    site.remove("content/x.md");
    assert_eq!(site.all_files(), before);
}
