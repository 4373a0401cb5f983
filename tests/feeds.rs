//! Feeds, calendars and the newsletter, read back with real parsers:
//! `feed-rs` for RSS and Atom, the `icalendar` parser for `.ics`,
//! `mail-parser` for the newsletter's `.eml`.

mod common;

use common::{Site, between, event, notice};
use std::process::Command;

const NOW: &str = "2027-02-01T09:00:00";

/// Runs `kpot --lang en ARGS…` on the site.
fn kpot(site: &Site, args: &[&str]) -> common::Run {
    let output = Command::new(env!("CARGO_BIN_EXE_kpot"))
        .arg("--root")
        .arg(site.root())
        .args(["--lang", "en"])
        .args(args)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .output()
        .expect("kpot runs");
    common::Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[track_caller]
fn feed(site: &Site, rel: &str) -> feed_rs::model::Feed {
    let text = site.read(rel);
    feed_rs::parser::parse(text.as_bytes())
        .unwrap_or_else(|err| panic!("public/{rel} does not parse: {err}\n{text}"))
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// A parsed calendar: (calendar properties, VEVENTs as name → value).
struct Ics {
    raw: String,
    calendar: icalendar::Calendar,
}

impl Ics {
    fn events(&self) -> Vec<&icalendar::Event> {
        self.calendar.events().collect()
    }
}

#[track_caller]
fn ics(site: &Site, rel: &str) -> Ics {
    let raw = site.read(rel);
    for line in raw.split("\r\n") {
        assert!(
            line.len() <= 75,
            "public/{rel}: line over 75 octets: {line:?}"
        );
    }
    assert!(!raw.replace("\r\n", "").contains('\n'), "bare LF in {rel}");
    let unfolded = icalendar::parser::unfold(&raw);
    let parsed = icalendar::parser::read_calendar(&unfolded)
        .unwrap_or_else(|err| panic!("public/{rel} does not parse: {err}\n{raw}"));
    Ics {
        calendar: parsed.into(),
        raw,
    }
}

fn prop<'a>(event: &'a icalendar::Event, name: &str) -> Option<&'a str> {
    use icalendar::Component;
    event.property_value(name)
}

fn param(event: &icalendar::Event, name: &str, param: &str) -> Option<String> {
    use icalendar::Component;
    event
        .properties()
        .get(name)
        .and_then(|p| p.params().get(param).map(|v| v.value().to_string()))
}

/// The portal with terms, a translated event, a Japanese-only event, a
/// cancelled online event, an all-day event, a notice and a draft.
fn portal() -> Site {
    let site = Site::portal();
    site.file(
        "data/taxonomies.yaml",
        "categories:\n  - {slug: market-development, ja: 販路開拓, en: Market Development}\n  - {slug: startups, ja: 創業, en: Startups}\nregions:\n  - {slug: yokohama, ja: 横浜, en: Yokohama}\n",
    );
    site.file(
        "content/events/kip/2027-01-20-matching.md",
        "+++\ntitle = \"商談会2027\"\n[taxonomies]\ncategories = [\"販路開拓\"]\nregions = [\"横浜\"]\n[extra]\nstart = 2027-02-15T13:30:00\nend = 2027-02-15T16:00:00\nformat = \"onsite\"\nvenue = \"産業貿易センター\"\naddress = \"横浜市中区山下町2\"\nfee = 0\nregistration_deadline = 2027-02-10\norganizer = \"kip\"\n+++\n本文\n",
    );
    site.file(
        "content/events/kip/2027-01-20-matching.en.md",
        "+++\ntitle = \"Business Matching 2027\"\n[taxonomies]\ncategories = [\"market-development\"]\n[extra]\nstart = 2027-02-15T13:30:00\nend = 2027-02-15T16:00:00\nformat = \"onsite\"\nvenue = \"Industry and Trade Center\"\norganizer = \"kip\"\n+++\nBody\n",
    );
    site.file(
        "content/events/kip/2027-01-25-fair.md",
        &event("見本市2027", "2027-02-20", "2027-02-21", "").replacen(
            "[extra]",
            "[taxonomies]\ncategories = [\"創業\"]\n[extra]",
            1,
        ),
    );
    site.file(
        "content/events/kip/2027-01-10-webinar.md",
        "+++\ntitle = \"オンラインセミナー\"\n[extra]\nstart = 2027-02-05T10:00:00\nend = 2027-02-05T11:00:00\nformat = \"online\"\nonline_url = \"https://meet.example.org/kpot\"\norganizer = \"kip\"\nevent_status = \"cancelled\"\n+++\n本文\n",
    );
    site.file(
        "content/notices/kip/2027-01-05-grant.md",
        &notice("設備投資補助金", "2027-01-05", "2027-02-10").replacen(
            "[extra]",
            "[extra]\nmax_amount = 5000000\nsubsidy_rate = \"2/3\"",
            1,
        ),
    );
    site.file(
        "content/events/kip/2027-01-30-draft.md",
        &event("下書きイベント", "2027-03-01", "2027-03-01", "").replacen(
            "+++\ntitle",
            "+++\ndraft = true\ntitle",
            1,
        ),
    );
    site
}

#[test]
fn feeds_parse_in_both_languages_newest_first_with_the_facts() {
    let site = portal();
    site.build(&["--now", NOW]).ok();

    let root = feed(&site, "rss.xml");
    assert_eq!(
        titles(&root),
        [
            "見本市2027",
            "商談会2027",
            "【中止】オンラインセミナー",
            "設備投資補助金"
        ]
    );
    let matching = &root.entries[1];
    assert_eq!(
        matching.links[0].href,
        "https://example.org/events/kip/matching/"
    );
    let description = &matching.summary.as_ref().unwrap().content;
    for fact in [
        "2027年2月15日（月） 13:30〜16:00",
        "産業貿易センター（横浜市中区山下町2）",
        "申込締切：2027年2月10日（水）",
        "主催：神奈川産業振興センター",
        "参加費：無料",
    ] {
        assert!(description.contains(fact), "{fact:?} in {description}");
    }
    let categories: Vec<&str> = matching
        .categories
        .iter()
        .map(|c| c.term.as_str())
        .collect();
    for term in ["販路開拓", "横浜", "神奈川産業振興センター"] {
        assert!(categories.contains(&term), "{term} in {categories:?}");
    }
    let raw = site.read("rss.xml");
    assert!(raw.contains("<dc:subject>販路開拓</dc:subject>"), "{raw}");
    assert!(raw.contains("<dc:coverage>横浜</dc:coverage>"), "{raw}");
    assert!(!raw.contains("下書き"), "drafts stay out");
    let grant = &root.entries[3];
    let text = &grant.summary.as_ref().unwrap().content;
    assert!(text.contains("締切：2027年2月10日（水）"), "{text}");
    assert!(text.contains("補助上限額"), "{text}");

    let atom = feed(&site, "atom.xml");
    assert_eq!(titles(&atom), titles(&root));
    let entry = &atom.entries[1];
    assert_eq!(
        entry.authors[0].name.as_deref(),
        Some("神奈川産業振興センター")
    );
    assert!(
        entry
            .categories
            .iter()
            .any(|c| c.term == "market-development" && c.label.as_deref() == Some("販路開拓")),
        "{:?}",
        entry.categories
    );
    assert!(entry.summary.as_ref().unwrap().content.contains("13:30"));

    // English: only the translated event; fallbacks stay out.
    let en = feed(&site, "en/rss.xml");
    assert_eq!(titles(&en), ["Business Matching 2027"]);
    assert_eq!(
        en.entries[0].links[0].href,
        "https://example.org/en/events/kip/matching/"
    );
    assert_eq!(titles(&feed(&site, "en/atom.xml")), titles(&en));

    // Sections and terms.
    assert_eq!(feed(&site, "events/rss.xml").entries.len(), 3);
    assert_eq!(titles(&feed(&site, "notices/atom.xml")), ["設備投資補助金"]);
    assert_eq!(
        titles(&feed(&site, "categories/market-development/rss.xml")),
        ["商談会2027"]
    );
    assert_eq!(
        titles(&feed(&site, "regions/yokohama/atom.xml")),
        ["商談会2027"]
    );
    assert_eq!(feed(&site, "organizers/kip/rss.xml").entries.len(), 4);
    assert_eq!(
        titles(&feed(&site, "en/categories/market-development/rss.xml")),
        ["Business Matching 2027"]
    );

    // Autodiscovery: the section's feeds, then the site's.
    let html = site.read("events/index.html");
    assert!(
        html.contains(
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"イベント | K-POT (RSS)\" href=\"/events/rss.xml\">"
        ),
        "{html}"
    );
    assert!(html.contains("href=\"/atom.xml\""), "{html}");
    let term = site.read("en/categories/market-development/index.html");
    assert!(
        term.contains("href=\"/en/categories/market-development/atom.xml\""),
        "{term}"
    );
    assert!(term.contains("href=\"/en/rss.xml\""), "{term}");
}

#[test]
fn hostile_titles_stay_text_in_feeds_and_calendars() {
    let site = Site::portal();
    let title = "<script>alert(1)</script> & ]]> 商談会";
    site.file(
        "content/events/kip/evil.md",
        &event(title, "2027-02-15T13:30:00", "2027-02-15T16:00:00", "")
            .replace("産業貿易センター", "<b>会場</b> ]]>"),
    );
    site.build(&["--now", NOW]).ok();
    for rel in ["rss.xml", "atom.xml", "events/rss.xml", "events/atom.xml"] {
        let raw = site.read(rel);
        assert!(!raw.contains("<script"), "{rel}:\n{raw}");
        assert!(!raw.contains("<b>"), "{rel}:\n{raw}");
        let parsed = feed(&site, rel);
        assert_eq!(titles(&parsed), [title], "{rel}");
        let summary = parsed.entries[0].summary.as_ref().unwrap();
        if rel.ends_with("rss.xml") {
            // An RSS description is HTML: the markup arrives escaped.
            assert!(
                !summary.content.contains("<b>"),
                "{rel}: {}",
                summary.content
            );
            assert!(
                summary.content.contains("&lt;b&gt;会場&lt;/b&gt; ]]&gt;"),
                "{rel}: {}",
                summary.content
            );
        } else {
            // An Atom summary is type="text": the markup is text.
            assert_eq!(summary.content_type.to_string(), "text/plain", "{rel}");
            assert!(
                summary.content.contains("会場：<b>会場</b> ]]>"),
                "{rel}: {}",
                summary.content
            );
        }
    }
    let cal = ics(&site, "events/kip/evil/event.ics");
    assert!(!cal.raw.contains('<'), "{}", cal.raw);
    let events = cal.events();
    let summary = prop(events[0], "SUMMARY").unwrap();
    assert_eq!(summary, "＜script＞alert(1)＜/script＞ & ]]＞ 商談会");
}

#[test]
fn empty_feeds_and_calendars_are_valid() {
    let site = Site::portal();
    site.build(&["--now", NOW]).ok();
    for rel in [
        "rss.xml",
        "atom.xml",
        "en/rss.xml",
        "events/rss.xml",
        "en/notices/atom.xml",
    ] {
        assert!(feed(&site, rel).entries.is_empty(), "{rel}");
    }
    let cal = ics(&site, "events/calendar.ics");
    assert!(cal.events().is_empty());
    assert!(cal.raw.contains("BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\n"));
    ics(&site, "en/organizations/kip/calendar.ics");
}

#[test]
fn generate_feeds_and_feed_limit_are_respected() {
    let site = portal();
    site.file(
        "config.toml",
        "base_url = \"https://example.org\"\nfeed_limit = 2\n",
    );
    site.file(
        "content/events/kip/_index.md",
        "+++\ntitle = \"KIP のイベント\"\ntransparent = true\ngenerate_feeds = false\n+++\n",
    );
    site.build(&["--now", NOW]).ok();
    assert_eq!(feed(&site, "rss.xml").entries.len(), 2);
    assert_eq!(feed(&site, "events/atom.xml").entries.len(), 2);
    assert!(!site.has("events/kip/rss.xml"));
    assert!(!site.has("about/rss.xml"));

    site.file(
        "config.toml",
        "base_url = \"https://example.org\"\ngenerate_feeds = false\n",
    );
    site.build(&["--now", NOW]).ok();
    assert!(!site.has("rss.xml"));
    assert!(!site.has("events/atom.xml"));
    assert!(!site.has("events/calendar.ics"));
    let html = site.read("events/index.html");
    assert!(!html.contains("application/rss+xml"), "{html}");
    assert!(
        !site
            .read("events/kip/matching/index.html")
            .contains("event.ics")
    );
}

#[test]
fn calendars_use_tokyo_time_stable_uids_and_statuses() {
    let site = portal();
    site.build(&["--now", NOW]).ok();

    let one = ics(&site, "events/kip/matching/event.ics");
    assert!(one.raw.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(
        one.raw
            .contains("BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\n"),
        "{}",
        one.raw
    );
    let events = one.events();
    assert_eq!(events.len(), 1);
    let e = events[0];
    assert_eq!(prop(e, "DTSTART"), Some("20270215T133000"));
    assert_eq!(param(e, "DTSTART", "TZID").as_deref(), Some("Asia/Tokyo"));
    assert_eq!(prop(e, "DTEND"), Some("20270215T160000"));
    assert_eq!(
        prop(e, "UID"),
        Some("events-kip-2027-01-20-matching@example.org")
    );
    assert_eq!(prop(e, "STATUS"), Some("CONFIRMED"));
    assert_eq!(prop(e, "SUMMARY"), Some("商談会2027"));
    assert_eq!(
        prop(e, "LOCATION"),
        Some("産業貿易センター, 横浜市中区山下町2")
    );
    assert_eq!(
        prop(e, "URL"),
        Some("https://example.org/events/kip/matching/")
    );
    let description = prop(e, "DESCRIPTION").unwrap();
    assert!(description.contains("申込締切"), "{description}");
    assert!(prop(e, "DTSTAMP").is_some());
    {
        use icalendar::EventLike;
        assert_eq!(e.get_categories(), Some(vec!["販路開拓".to_string()]));
    }

    // The English event has the same UID, English text.
    let en = ics(&site, "en/events/kip/matching/event.ics");
    let en_event = en.events()[0];
    assert_eq!(prop(en_event, "UID"), prop(e, "UID"));
    assert_eq!(prop(en_event, "SUMMARY"), Some("Business Matching 2027"));
    // A Japanese-only event has no English calendar; its English page
    // links the Japanese one.
    assert!(!site.has("en/events/kip/fair/event.ics"));
    assert!(
        site.read("en/events/kip/fair/index.html")
            .contains("href=\"/events/kip/fair/event.ics\"")
    );
    assert!(
        site.read("events/kip/matching/index.html")
            .contains("<a href=\"/events/kip/matching/event.ics\" type=\"text/calendar\" download>カレンダーに追加</a>")
    );

    // All day: dates, the end exclusive.
    let fair = ics(&site, "events/kip/fair/event.ics");
    let f = fair.events()[0];
    assert_eq!(prop(f, "DTSTART"), Some("20270220"));
    assert_eq!(param(f, "DTSTART", "VALUE").as_deref(), Some("DATE"));
    assert_eq!(prop(f, "DTEND"), Some("20270222"));

    // Cancelled and online.
    let web = ics(&site, "events/kip/webinar/event.ics");
    let w = web.events()[0];
    assert_eq!(prop(w, "STATUS"), Some("CANCELLED"));
    assert_eq!(prop(w, "SUMMARY"), Some("【中止】オンラインセミナー"));
    assert_eq!(prop(w, "LOCATION"), Some("https://meet.example.org/kpot"));
    assert_eq!(prop(w, "CONFERENCE"), Some("https://meet.example.org/kpot"));

    // Calendar feeds: all events soonest first, per organization, per category.
    let all = ics(&site, "events/calendar.ics");
    let summaries: Vec<&str> = all
        .events()
        .iter()
        .map(|e| prop(e, "SUMMARY").unwrap())
        .collect();
    assert_eq!(
        summaries,
        ["【中止】オンラインセミナー", "商談会2027", "見本市2027"]
    );
    assert!(all.raw.contains("REFRESH-INTERVAL;VALUE=DURATION:PT12H"));
    assert_eq!(ics(&site, "en/events/calendar.ics").events().len(), 1);
    assert_eq!(
        ics(&site, "organizations/kip/calendar.ics").events().len(),
        3
    );
    assert!(
        ics(&site, "organizations/igren/calendar.ics")
            .events()
            .is_empty()
    );
    assert!(
        site.read("organizations/kip/index.html")
            .contains("href=\"/organizations/kip/calendar.ics\"")
    );
    let category = ics(&site, "categories/startups/calendar.ics");
    assert_eq!(category.events().len(), 1);
    assert_eq!(prop(category.events()[0], "SUMMARY"), Some("見本市2027"));
    assert!(!site.has("categories/startups/event.ics"));

    // Stable across builds.
    let before = site.read("events/calendar.ics");
    site.build(&["--now", NOW]).ok();
    assert_eq!(before, site.read("events/calendar.ics"));
}

#[test]
fn calendar_feeds_reach_back_ninety_days_and_every_event_keeps_its_file() {
    let site = portal();
    // Ended 31 days before NOW, and 120 days before it.
    site.file(
        "content/events/kip/recent.md",
        &event(
            "最近の交流会",
            "2027-01-01T10:00:00",
            "2027-01-01T12:00:00",
            "",
        )
        .replacen(
            "[extra]",
            "[taxonomies]\ncategories = [\"創業\"]\n[extra]",
            1,
        ),
    );
    site.file(
        "content/events/kip/long-ago.md",
        &event(
            "昔の交流会",
            "2026-10-04T10:00:00",
            "2026-10-04T12:00:00",
            "",
        )
        .replacen(
            "[extra]",
            "[taxonomies]\ncategories = [\"創業\"]\n[extra]",
            1,
        ),
    );
    site.build(&["--now", NOW]).ok();

    let summaries = |rel: &str| -> Vec<String> {
        ics(&site, rel)
            .events()
            .iter()
            .map(|e| prop(e, "SUMMARY").unwrap().to_string())
            .collect()
    };
    let all = summaries("events/calendar.ics");
    assert!(all.contains(&"最近の交流会".to_string()), "{all:?}");
    assert!(!all.contains(&"昔の交流会".to_string()), "{all:?}");
    let org = summaries("organizations/kip/calendar.ics");
    assert!(org.contains(&"最近の交流会".to_string()) && !org.contains(&"昔の交流会".to_string()));
    let category = summaries("categories/startups/calendar.ics");
    assert_eq!(category, ["最近の交流会", "見本市2027"]);
    // The old event still has its page and its own calendar file.
    assert_eq!(summaries("events/kip/long-ago/event.ics"), ["昔の交流会"]);
    assert!(
        site.read("events/kip/long-ago/index.html")
            .contains("event.ics")
    );
}

fn width(text: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    text.width_cjk()
}

#[test]
fn newsletter_issue_is_written_once_and_rendered_as_page_text_and_mail() {
    let site = portal();
    site.file(
        "config.toml",
        "base_url = \"https://example.org\"\n[extra.newsletter]\nfrom = \"K-POT メールマガジン <news@example.org>\"\nlist_unsubscribe = \"<mailto:leave@example.org?subject=unsubscribe>, <https://example.org/newsletter/leave/>\"\n",
    );
    let long = "とても長いタイトルのイベントで七十二桁を超えて折り返されることを確かめるためのもの";
    // New, but more than 30 days away: listed only under 新着情報.
    site.file(
        "content/events/kip/2027-01-22-later.md",
        &event(
            "四月のセミナー",
            "2027-04-10T10:00:00",
            "2027-04-10T12:00:00",
            "",
        ),
    );
    site.file(
        "content/events/kip/2027-01-28-long.md",
        &event(long, "2027-02-25T10:00:00", "2027-02-25T12:00:00", ""),
    );
    kpot(
        &site,
        &["newsletter", "--since", "2027-01-15", "--now", NOW],
    )
    .ok();
    let issue =
        std::fs::read_to_string(site.root().join("content/newsletter/2027-02-01.md")).unwrap();
    assert!(
        issue.contains("title = \"K-POT メールマガジン 2027年2月1日号\""),
        "{issue}"
    );
    assert!(
        site.root()
            .join("content/newsletter/2027-02-01.en.md")
            .exists()
    );
    assert!(site.root().join("content/newsletter/_index.md").exists());
    // A second run does not overwrite the committed issue.
    kpot(
        &site,
        &["newsletter", "--since", "2027-01-15", "--now", NOW],
    )
    .code(1)
    .says("--force");

    site.build(&["--now", NOW]).ok();
    let first = common::snapshot(&site.public());
    // A later build (another "now") renders the same issue the same way.
    site.build(&["--now", "2027-03-15"]).ok();
    for rel in [
        "newsletter/2027-02-01/newsletter.eml",
        "newsletter/2027-02-01/newsletter.txt",
        "en/newsletter/2027-02-01/newsletter.eml",
    ] {
        assert_eq!(
            first[rel],
            std::fs::read(site.public().join(rel)).unwrap(),
            "{rel} changed between builds"
        );
    }

    // The archive page and the index of issues.
    let page = site.read("newsletter/2027-02-01/index.html");
    let new = between(&page, "id=\"nl-new\"", "</section>");
    assert!(new.contains("四月のセミナー"), "{new}");
    // New items that are also upcoming are listed there, marked new.
    assert!(!new.contains("商談会2027"), "{new}");
    let closing = between(&page, "id=\"nl-closing\"", "</section>");
    assert!(closing.contains("設備投資補助金"), "{closing}");
    assert!(closing.contains("締切間近"), "{closing}");
    let upcoming = between(&page, "id=\"nl-upcoming\"", "</section>");
    let matching = between(upcoming, "商談会2027", "</h3>");
    assert!(matching.contains("新着"), "{upcoming}");
    assert!(
        upcoming.find("オンラインセミナー").unwrap() < upcoming.find(long).unwrap(),
        "{upcoming}"
    );
    assert!(!page.contains("下書き"));
    assert!(page.contains("href=\"/newsletter/2027-02-01/newsletter.txt\""));
    let index = site.read("newsletter/index.html");
    assert!(index.contains("/newsletter/2027-02-01/"), "{index}");
    assert!(
        site.read("en/newsletter/index.html")
            .contains("/en/newsletter/2027-02-01/")
    );
    assert!(titles(&feed(&site, "newsletter/rss.xml"))[0].contains("2027年2月1日号"));

    // Plain text: 72 columns, full-width characters counting two.
    let text = site.read("newsletter/2027-02-01/newsletter.txt");
    for line in text.lines() {
        assert!(
            width(line) <= 72 || line.trim_start().starts_with("https://"),
            "too wide ({}): {line}",
            width(line)
        );
    }
    assert!(text.contains("■ 締切間近の補助金・公募（1件）"), "{text}");
    assert!(
        text.contains("  https://example.org/events/kip/matching/"),
        "{text}"
    );
    let en_text = site.read("en/newsletter/2027-02-01/newsletter.txt");
    assert!(en_text.contains("Business Matching 2027"), "{en_text}");
    assert!(en_text.contains("(Japanese only)"), "{en_text}");

    // The mail.
    let eml = std::fs::read(site.public().join("newsletter/2027-02-01/newsletter.eml")).unwrap();
    assert!(eml.is_ascii(), "the mail is 7-bit");
    let message = mail_parser::MessageParser::default()
        .parse(&eml)
        .expect("a MIME message");
    assert_eq!(
        message.subject(),
        Some("K-POT メールマガジン 2027年2月1日号")
    );
    assert_eq!(
        message.message_id(),
        Some("newsletter-2027-02-01.ja@example.org")
    );
    assert_eq!(message.date().unwrap().to_rfc3339(), "2027-02-01T00:00:00Z");
    assert_eq!(
        message
            .header_raw("List-Unsubscribe")
            .map(|v| v.replace("\r\n", "").trim().to_string())
            .as_deref(),
        Some(
            "<mailto:leave@example.org?subject=unsubscribe>, <https://example.org/newsletter/leave/>"
        )
    );
    use mail_parser::MimeHeaders;
    let ctype = message.content_type().unwrap();
    assert_eq!(ctype.ctype(), "multipart");
    assert_eq!(ctype.subtype(), Some("alternative"));
    let plain = message.body_text(0).unwrap();
    assert!(plain.contains("設備投資補助金"), "{plain}");
    assert_eq!(plain.replace("\r\n", "\n"), text);
    let html = message.body_html(0).unwrap();
    assert!(html.contains("設備投資補助金"), "{html}");
    assert!(html.contains("style=\""), "inline styles");
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(!html.contains("<link"), "no external CSS: {html}");
    assert!(!html.contains("<style"), "{html}");
    assert!(
        html.contains("https://example.org/newsletter/leave/"),
        "{html}"
    );
    assert!(!html.contains("href=\"/"), "absolute links only: {html}");
}

#[test]
fn newsletter_category_filter_and_hostile_titles() {
    let site = portal();
    site.file(
        "content/events/kip/2027-01-29-evil.md",
        &event(
            "<script>alert(1)</script> & ]]>",
            "2027-02-16T10:00:00",
            "2027-02-16T12:00:00",
            "",
        )
        .replacen(
            "[extra]",
            "[taxonomies]\ncategories = [\"創業\"]\n[extra]",
            1,
        ),
    );
    kpot(
        &site,
        &[
            "newsletter",
            "--since",
            "2027-01-15",
            "--until",
            "2027-02-01",
            "--category",
            "startups",
        ],
    )
    .ok();
    let issue =
        std::fs::read_to_string(site.root().join("content/newsletter/2027-02-01.md")).unwrap();
    assert!(issue.contains("events/kip/2027-01-25-fair.md"), "{issue}");
    assert!(!issue.contains("matching"), "{issue}");
    assert!(!issue.contains("grant"), "{issue}");
    assert!(
        issue.contains("categories = [\n  \"startups\",\n]"),
        "{issue}"
    );
    site.build(&["--now", NOW]).ok();
    let page = site.read("newsletter/2027-02-01/index.html");
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt;"),
        "{page}"
    );
    let eml = std::fs::read(site.public().join("newsletter/2027-02-01/newsletter.eml")).unwrap();
    let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
    let html = message.body_html(0).unwrap();
    assert!(!html.contains("<script"), "{html}");
    let text = message.body_text(0).unwrap();
    assert!(
        text.contains("＜script＞alert(1)＜/script＞ & ]]＞"),
        "{text}"
    );
}

#[test]
fn newsletter_rejects_bad_dates() {
    let site = portal();
    kpot(&site, &["newsletter", "--since", "yesterday"])
        .code(2)
        .says("--since");
    kpot(
        &site,
        &[
            "newsletter",
            "--since",
            "2027-03-01",
            "--until",
            "2027-02-01",
        ],
    )
    .code(2);
    assert!(!site.root().join("content/newsletter").exists());
}
