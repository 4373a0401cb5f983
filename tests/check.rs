//! `kpot check`, `kpot new` and `kpot codeowners` end to end: each rule of
//! the partner workflow on its own fixture, checked by exit code and by the
//! words a partner reads (file, line, column, field, suggestion).

mod common;

use common::*;

const EVENT: &str = "content/events/kip/a.md";
const NOTICE: &str = "content/notices/kip/n.md";

/// A portal site with one good kip event at `EVENT` (lines: 1 `+++`,
/// 2 title, 3 `[extra]`, 4 start, 5 end, 6 format, 7 venue, 8 organizer).
fn site_with_event(more: &str) -> Site {
    let site = Site::portal();
    site.file(
        EVENT,
        &event("商談会", "2027-02-15T13:30:00", "2027-02-15T16:00:00", more),
    );
    site
}

fn good_event() -> String {
    event("商談会", "2027-02-15T13:30:00", "2027-02-15T16:00:00", "")
}

/// Replaces the body `kpot new` wrote in `rel` (everything after the front
/// matter) with a written one, as a partner does.
fn write_body(site: &Site, rel: &str, body: &str) -> String {
    let text = std::fs::read_to_string(site.root().join(rel)).unwrap();
    let end = text.rfind("\n+++\n").unwrap() + "\n+++\n".len();
    let written = format!("{}{body}", &text[..end]);
    site.file(rel, &written);
    written
}

const EVENT_BODY: &str = "県内企業との商談会です。\n\n<!-- more -->\n\n## 内容\n\n個別商談。\n\n## 申込方法\n\n申込ページから。\n";

// ---------------------------------------------------------------------------
// Exit codes, writing nothing, the bundled content
// ---------------------------------------------------------------------------

#[test]
fn the_bundled_content_is_clean() {
    // (How fast checking is belongs in a benchmark, not here.)
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kpot"))
        .args(["--root", root, "--lang", "en", "check"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.starts_with("no problems ("), "{stderr}");
}

#[test]
fn check_writes_nothing_and_exits_0_1_or_2() {
    let site = site_with_event("");
    let before = site.all_files();
    site.check(&[]).code(0).says("no problems");
    site.file(EVENT, &good_event().replace("venue", "venu"));
    let before_bad = site.all_files();
    site.check(&[]).code(1).says("1 error, 0 warnings");
    assert_eq!(site.all_files(), before_bad, "check wrote something");
    assert!(!site.public().exists());
    assert_eq!(before.len(), before_bad.len());

    // 2: it could not run.
    let missing = Site::empty();
    let gone = missing.root().join("nowhere");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_kpot"))
        .args(["--lang", "en", "check", "--root"])
        .arg(&gone)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("does not exist"));

    site.file("config.toml", "base_url = \n");
    site.check(&[])
        .code(2)
        .says("config.toml")
        .says("nothing was checked");
    site.file("config.toml", "base_url = \"https://example.org\"\n");
    site.check(&["--now", "someday"]).code(2).says("--now");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let site = site_with_event("");
    site.file(
        "content/events/kip/b.md",
        &good_event()
            .replace("venue", "venu")
            .replace("\"onsite\"", "\"on-site\""),
    );
    site.file(
        "content/events/kip/c.md",
        "+++\ntitle = \"a\"\n[extra]\nstart = 2027-02-15\n",
    );
    site.file(
        "content/notices/kip/n.md",
        &notice("募集", "", "2027-02-31"),
    );
    let run = site.check(&[]);
    run.code(1)
        .says("content/events/kip/b.md:6:1: error: [extra.format] `on-site` is not allowed here")
        .says("help: did you mean `onsite`?")
        .says("content/events/kip/b.md:7:1: error: [extra.venu] unknown field `venu`")
        .says("content/events/kip/c.md:1:1: error:")
        .says(
            "content/notices/kip/n.md:4:10: error: front matter syntax error (TOML): invalid date",
        )
        .says("help: write a real date as 2027-02-15")
        .says("4 errors");
}

// ---------------------------------------------------------------------------
// Front matter syntax
// ---------------------------------------------------------------------------

#[test]
fn an_unclosed_front_matter_says_how_to_close_it() {
    let site = Site::portal();
    site.file(
        EVENT,
        "+++\ntitle = \"商談会\"\n[extra]\nstart = 2027-02-15\n本文\n",
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:1:1: error: the front matter opened with `+++` on line 1 is never closed")
        .says("help: add a line holding only `+++` after the last field");
    site.file(EVENT, "---\ntitle: 商談会\n");
    site.check(&[])
        .code(1)
        .says("opened with `---` on line 1 is never closed");
}

#[test]
fn toml_and_yaml_syntax_errors_point_at_the_line_in_the_file() {
    let site = Site::portal();
    site.file(
        EVENT,
        "+++\ntitle = \"商談会\"\n[extra]\nstart = 2027-02-15T13:30:00\nformat = \"onsite\n+++\n",
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:5:10: error: the text opened with \" is not closed with \" on this line")
        .says("help: add an ASCII \" at the end of the text");
    site.file(
        EVENT,
        "+++\ntitle = \"商談会\"\n[extra]\nstart = 2027-02-15T13:30:00\nformat \"onsite\"\n+++\n",
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:5:")
        .says("front matter syntax error (TOML)")
        .says("help: write one field per line as `title = \"text\"`");
    site.file(
        EVENT,
        "---\ntitle: 商談会\nextra:\n  start: 2027-02-15\n  venue: [会場\n---\n",
    );
    let run = site.check(&[]);
    run.code(1).says("front matter syntax error (YAML)");
    assert!(
        run.stderr.contains("a.md:5:") || run.stderr.contains("a.md:6:"),
        "{}",
        run.stderr
    );
}

#[test]
fn tabs_in_yaml_are_explained() {
    let site = Site::portal();
    site.file(
        EVENT,
        "---\ntitle: 商談会\nextra:\n\tstart: 2027-02-15\n  format: onsite\n---\n",
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:4:1: error: YAML indentation cannot use tabs")
        .says("help: replace the tab with two spaces");
}

#[test]
fn full_width_spaces_colons_and_equals_are_explained() {
    let site = Site::portal();
    site.file(
        EVENT,
        "+++\ntitle　= \"商談会　春\"\n[extra]\nstart ＝ 2027-02-15\nformat = \"onsite\"\n+++\n",
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:2:6: error: a full-width space is used where the syntax needs an ASCII space")
        .says("content/events/kip/a.md:4:7: error: the full-width `＝` is used where the syntax needs the ASCII `=`")
        .says("help: turn the Japanese input method off");
    // In Japanese, as a partner reads it by default.
    site.kpot(&["check"])
        .code(1)
        .says("content/events/kip/a.md:2:6: エラー: 全角スペースが使われています。ここは半角スペースでなければなりません")
        .says("ヒント: 日本語入力を切って");

    site.file(
        EVENT,
        "---\ntitle: 商談会\nextra:\n  start: 2027-02-15\n  format: onsite\n  venue：産業貿易センター\n  organizer: kip\n---\n",
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:6:8: error: the full-width `：` is used where the syntax needs the ASCII `:`");
}

#[test]
fn text_without_quotes_in_toml_is_explained() {
    let site = Site::portal();
    site.file(
        EVENT,
        "+++\ntitle = 商談会\n[extra]\nstart = 2027-02-15\nformat = onsite\n+++\n",
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:2:9: error: the text of `title` is not in double quotes")
        .says("help: put it in ASCII double quotes: title = \"商談会\"")
        .says("content/events/kip/a.md:5:10: error: the text of `format` is not in double quotes");
}

// ---------------------------------------------------------------------------
// Required fields, types and formats
// ---------------------------------------------------------------------------

#[test]
fn required_fields_per_type_are_named() {
    let site = Site::portal();
    site.file(
        EVENT,
        "+++\ntitle = \"\"\n[extra]\norganizer = \"kip\"\n+++\n",
    );
    site.file(
        NOTICE,
        "+++\ntitle = \"募集\"\n[extra]\norganizer = \"kip\"\n+++\n",
    );
    site.file("content/programs/_index.md", "+++\ntitle = \"制度\"\n+++\n");
    site.file(
        "content/programs/p.md",
        "+++\ntitle = \"制度\"\n[extra]\ntarget = \"中小企業\"\n+++\n",
    );
    site.file("content/events/kip/b.md", "+++\ntitle = \"説明会\"\n[extra]\nstart = 2027-02-15\nformat = \"hybrid\"\norganizer = \"kip\"\n+++\n");
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:2:1: error: [title] this required field is empty")
        .says("[extra.start] this required field is missing")
        .says("help: add `start = …` under [extra]")
        .says("[extra.format] this required field is missing")
        .says("content/notices/kip/n.md:3:1: error: [extra.closes] this required field is missing")
        .says("content/programs/p.md:3:1: error: [extra.organizer] this required field is missing")
        .says("content/events/kip/b.md:3:1: error: [extra.venue] an event held at a venue needs `venue`")
        // Fields that are present are not called unknown because another is missing.
        .never_says("unknown field `target`");
}

#[test]
fn dates_numbers_and_their_order_are_checked() {
    let site = Site::portal();
    site.file(
        EVENT,
        &event(
            "商談会",
            "\"2027年2月15日 13:30\"",
            "2027-02-15T16:00:00",
            "fee = \"3,000円\"\ncapacity = 50\n",
        ),
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:4:1: error: [extra.start] `2027年2月15日 13:30` is not a valid date")
        .says("help: write `start = \"2027-02-15T13:30:00\"`")
        .says("content/events/kip/a.md:9:1: error: [extra.fee] expected a whole number, found text")
        .says("help: write digits only, without yen sign or commas: `fee = 3000`");

    site.file(
        EVENT,
        &event("商談会", "2027-02-15T13:30:00", "2027-02-14", ""),
    );
    site.check(&[]).code(1).says(
        "content/events/kip/a.md:5:1: error: [extra.end] the end (2027-02-14) is before the start",
    );

    site.file(
        EVENT,
        &event(
            "商談会",
            "2027-02-15T13:30:00",
            "2027-02-15T16:00:00",
            "registration_deadline = 2027-02-20\n",
        ),
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:9:1: error: [extra.registration_deadline] the registration deadline (2027-02-20) is after the start");

    site.file(EVENT, &event("商談会", "2207-02-15", "2207-02-15", ""));
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:4:1: error: [extra.start] the year 2207 is implausible")
        .says("help: check the year");

    site.file(EVENT, &good_event());
    site.file(NOTICE, &notice("募集", "2027-04-01", "2027-03-31"));
    site.check(&[])
        .code(1)
        .says("content/notices/kip/n.md:5:1: error: [extra.closes] `closes` (2027-03-31) is before `opens` (2027-04-01)");
}

// ---------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------

#[test]
fn only_safe_complete_urls_are_accepted() {
    let site = site_with_event(
        "registration_url = \"javascript:alert(1)\"\nonline_url = \"data:text/html,hi\"\ncontact = \"mailto:info@example.org\"\n",
    );
    site.file(
        NOTICE,
        &notice("募集", "", "2027-03-31").replace(
            "organizer = \"kip\"\n",
            "organizer = \"kip\"\nofficial_url = \"www.example.org/apply\"\n",
        ),
    );
    site.file(
        "content/about.md",
        &page(
            "About",
            "",
            "[x](javascript:alert(1)) [ok](mailto:a@example.org)\n",
        ),
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:9:1: error: [extra.registration_url] `javascript:` URLs are not allowed")
        .says("content/events/kip/a.md:10:1: error: [extra.online_url] `data:` URLs are not allowed")
        .says("content/notices/kip/n.md:6:1: error: [extra.official_url] `www.example.org/apply` is not a complete URL")
        .says("help: write it in full, starting with https://: `official_url = \"https://www.example.org/apply\"`")
        .says("content/about.md:4:1: error: the link javascript:alert(1) is not allowed")
        .never_says("[extra.contact]")
        .never_says("the link mailto");
}

// ---------------------------------------------------------------------------
// Organizer and folders
// ---------------------------------------------------------------------------

#[test]
fn the_organizer_must_exist_and_match_the_folder() {
    let site = Site::portal();
    site.file(
        "content/programs/p.md",
        "+++\ntitle = \"制度\"\n[extra]\norganizer = \"kipp\"\n+++\n",
    );
    site.file(
        EVENT,
        &good_event().replace("organizer = \"kip\"", "organizer = \"igren\""),
    );
    site.check(&[])
        .code(1)
        .says("content/programs/p.md:4:1: error: [extra.organizer] organizer `kipp` is not in data/organizations.yaml")
        .says("help: did you mean `kip`?")
        .says("content/events/kip/a.md:8:1: error: [extra.organizer] organizer `igren` does not match the folder `kip`")
        .says("help: set organizer = \"kip\" or move the file to the `igren` folder");
}

// ---------------------------------------------------------------------------
// Unknown and misplaced keys
// ---------------------------------------------------------------------------

#[test]
fn unknown_keys_get_a_suggestion_and_misplaced_ones_a_direction() {
    let site = Site::portal();
    site.file(
        EVENT,
        &good_event().replace("venue", "venu").replace(
            "title = \"商談会\"\n",
            "title = \"商談会\"\ndescripton = \"説明\"\ncapacity = 30\n",
        ),
    );
    site.file(
        NOTICE,
        &notice("募集", "", "2027-03-31").replace("closes", "close"),
    );
    site.file(
        "content/notices/kip/m.md",
        "+++\ntitle = \"募集\"\n[extra]\ncloses = 2027-03-31\norganizer = \"kip\"\ndescription = \"説明\"\n+++\n",
    );
    site.file(
        "content/notices/kip/o.md",
        "+++\ntitle = \"募集\"\ncloses = 2027-03-31\n[extra]\norganizer = \"kip\"\n+++\n",
    );
    site.file("content/about.md", "+++\ntitel = \"About\"\n+++\n");
    site.check(&[])
        .code(1)
        // An unknown top-level key is a warning, but not when it is the
        // misspelt title: then it is the error that the title is missing.
        .says("content/about.md:2:1: error: [titel] unknown field `titel`")
        .says("content/events/kip/a.md:9:1: error: [extra.venu] unknown field `venu`")
        .says("help: did you mean `venue`?")
        .says("content/events/kip/a.md:3:1: warning: [descripton] unknown field `descripton`")
        .says("help: did you mean `description`?")
        .says("content/events/kip/a.md:4:1: error: [capacity] `capacity` belongs in [extra]")
        .says("help: move the `capacity` line below the [extra] line")
        .says("content/notices/kip/n.md:4:1: error: [extra.close] unknown field `close`")
        .says("help: did you mean `closes`?")
        .says("content/notices/kip/m.md:6:1: error: [extra.description] `description` belongs above [extra]")
        .says("content/notices/kip/o.md:3:1: error: [closes] `closes` belongs in [extra]")
        // Said once: where it belongs, not also that [extra] lacks it.
        .never_says("o.md:4:1: error: [extra.closes]");
}

// ---------------------------------------------------------------------------
// URLs of pages: escapes, duplicates, links and anchors
// ---------------------------------------------------------------------------

#[test]
fn slugs_and_paths_may_not_escape_or_collide() {
    let site = site_with_event("");
    site.file(
        "content/events/kip/b.md",
        &good_event().replace(
            "title = \"商談会\"\n",
            "title = \"商談会\"\nslug = \"../../etc\"\n",
        ),
    );
    site.file(
        "content/events/kip/c.md",
        &good_event().replace(
            "title = \"商談会\"\n",
            "title = \"商談会\"\npath = \"/programs/x\"\n",
        ),
    );
    site.file(
        "content/events/kip/d.md",
        &good_event().replace("title = \"商談会\"\n", "title = \"商談会\"\nslug = \"a\"\n"),
    );
    site.check(&[])
        .code(1)
        .says("content/events/kip/b.md:3:1: error: [slug] slug `../../etc` cannot be used: it is empty or points outside the site")
        .says("content/events/kip/c.md:3:1: error: [path] the URL /programs/x/ is outside this folder's URL prefix /events/kip/")
        .says("content/events/kip/d.md:3:1: error: [slug] the URL /events/kip/a/ is already used by content/events/kip/a.md")
        .says("help: change `slug` or `path` so the URLs differ");
}

#[test]
fn broken_internal_links_and_anchors_are_found() {
    let site = Site::portal();
    site.file(
        "content/guide.md",
        &page("案内", "", "## 申込方法\n\n本文\n"),
    );
    site.file(
        "content/about.md",
        &page(
            "About",
            "",
            "See [the guide](@/guide.md#申込方法).\n\n[x](@/gide.md) and [y](@/guide.md#申し込み方法)\n",
        ),
    );
    site.check(&[])
        .code(1)
        .says("content/about.md:6:1: error: the link @/gide.md points to no page")
        .says("content/about.md:6:20: error: the link @/guide.md#申し込み方法 names no heading of that page")
        .says("help: did you mean `#申込方法`?");
}

// ---------------------------------------------------------------------------
// Encodings, line ends and size
// ---------------------------------------------------------------------------

#[test]
fn files_that_are_not_utf8_name_their_likely_encoding() {
    let site = Site::portal();
    // "+++\ntitle = \"事業再生\"\n+++\n" in Shift_JIS and in EUC-JP.
    let mut sjis = b"+++\ntitle = \"".to_vec();
    sjis.extend_from_slice(&[0x8E, 0x96, 0x8B, 0xC6, 0x8D, 0xC4, 0x90, 0xB6]);
    sjis.extend_from_slice(b"\"\n+++\n");
    let mut euc = b"+++\ntitle = \"".to_vec();
    euc.extend_from_slice(&[0xBB, 0xF6, 0xB6, 0xC8, 0xBA, 0xC6, 0xC0, 0xB8]);
    euc.extend_from_slice(b"\"\n+++\n");
    site.bytes("content/sjis.md", &sjis);
    site.bytes("content/euc.md", &euc);
    site.check(&[])
        .code(1)
        .says("content/sjis.md:2: error: the file is not UTF-8 (line 2): it looks like Shift_JIS; save it again choosing the UTF-8 encoding")
        .says("content/euc.md:2: error: the file is not UTF-8 (line 2): it looks like EUC-JP");
    site.kpot(&["check"])
        .code(1)
        .says("content/sjis.md:2: エラー: 文字コードが UTF-8 ではありません（2 行目）。Shift_JIS で保存されているようです。");
}

#[test]
fn a_bom_and_crlf_line_ends_are_accepted_silently() {
    let site = Site::portal();
    let text = format!("\u{FEFF}{}", good_event().replace('\n', "\r\n"));
    site.file(EVENT, &text);
    site.check(&[]).code(0).says("no problems");
    // And their lines still count right.
    site.file(EVENT, &text.replace("venue", "venu"));
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:7:1: error: [extra.venu]")
        .says(" 7 | venu = \"産業貿易センター\"");
}

#[test]
fn oversized_files_are_rejected() {
    let site = Site::portal();
    let big = format!("{}{}", good_event(), "あ".repeat(800_000));
    site.file(EVENT, &big);
    site.check(&[]).code(1).says(
        "content/events/kip/a.md: error: the file is too large (2343 KB; the limit is 2048 KB)",
    );
}

// ---------------------------------------------------------------------------
// Hostile HTML
// ---------------------------------------------------------------------------

#[test]
fn hostile_html_is_a_warning_and_never_reaches_the_site() {
    let site = site_with_event("");
    site.file(
        EVENT,
        &format!(
            "{}\n<img src=x onerror=alert(1)>\n\n<script>alert(1)</script>\n\n<iframe src=\"https://evil.example\"></iframe>\n",
            good_event()
        ),
    );
    site.check(&[])
        .code(0)
        .says("content/events/kip/a.md:12:12: warning: `onerror` in this HTML is removed when the site is built, for safety")
        .says("content/events/kip/a.md:14:1: warning: `<script` in this HTML is removed")
        .says("content/events/kip/a.md:16:1: warning: `<iframe` in this HTML is removed")
        .says("0 errors, 3 warnings");
    site.build(&["--now", "2027-01-10"]).ok();
    let html = site.read("events/kip/a/index.html");
    assert!(
        !html.contains("onerror")
            && !html.contains("<script>alert")
            && !html.contains("evil.example"),
        "{html}"
    );
}

// ---------------------------------------------------------------------------
// Output formats and languages
// ---------------------------------------------------------------------------

fn venu_site() -> Site {
    let site = Site::portal();
    site.file(EVENT, &good_event().replace("venue", "venu"));
    site
}

#[test]
fn the_human_format_quotes_the_line_with_a_caret() {
    let run = venu_site().check(&[]);
    run.code(1);
    let expected = "content/events/kip/a.md:7:1: error: [extra.venu] unknown field `venu`\n 7 | venu = \"産業貿易センター\"\n   | ^^^^\n  help: did you mean `venue`?\n";
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("\n\n1 error, 0 warnings (6 files checked in"),
        "{}",
        run.stderr
    );
}

#[test]
fn messages_are_japanese_unless_english_is_asked_for() {
    let site = venu_site();
    site.kpot(&["check"])
        .code(1)
        .says("content/events/kip/a.md:7:1: エラー: [extra.venu] `venu` という項目はありません")
        .says("ヒント: `venue` ではありませんか？")
        .says("エラー 1 件、警告 0 件");
    site.kpot_with(&["check"], &[("LANG", "en_US.UTF-8")], None)
        .code(1)
        .says("error: [extra.venu] unknown field `venu`");
    site.kpot_with(&["check"], &[("LANG", "ja_JP.UTF-8")], None)
        .code(1)
        .says("エラー: [extra.venu]");
}

#[test]
fn the_github_format_annotates_the_pull_request() {
    let site = venu_site();
    // As in CI: run in the repository, which is the site folder.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kpot"))
        .current_dir(site.root())
        .args(["--lang", "en", "check", "--format", "github"])
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    run.code(1).prints(
        "::error file=content/events/kip/a.md,line=7,col=1,title=kpot check%3A extra.venu::unknown field `venu`%0Ahelp: did you mean `venue`?\n",
    );
    let ja = site.kpot(&["check", "--format", "github"]);
    ja.code(1).prints("::error file=content/events/kip/a.md,line=7,col=1,title=kpot check%3A extra.venu::`venu` という項目はありません%0Aヒント: `venue` ではありませんか？");
    // A site in a subfolder of the repository keeps its prefix.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kpot"))
        .current_dir(site.root().parent().unwrap())
        .args(["--lang", "en", "check", "--format", "github", "--root"])
        .arg(site.root().file_name().unwrap())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let name = site
        .root()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        stdout.contains(&format!(
            "::error file={name}/content/events/kip/a.md,line=7"
        )),
        "{stdout}"
    );
}

#[test]
fn the_json_and_gitlab_formats_are_json() {
    let site = venu_site();
    site.file(
        "content/about.md",
        &page("About", "", "<img src=x onclick=alert(1)>\n"),
    );
    let run = site.check(&["--format", "json"]);
    run.code(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["warnings"], 1);
    let first = &doc["diagnostics"][0];
    assert_eq!(first["file"], "content/about.md");
    assert_eq!(first["severity"], "warning");
    let venu = &doc["diagnostics"][1];
    assert_eq!(venu["line"], 7);
    assert_eq!(venu["column"], 1);
    assert_eq!(venu["field"], "extra.venu");
    assert_eq!(venu["message"]["en"], "unknown field `venu`");
    assert_eq!(venu["help"]["ja"], "`venue` ではありませんか？");

    let run = site.check(&["--format", "gitlab"]);
    run.code(1).says("[extra.venu] unknown field `venu`");
    let issues: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    let venu = &issues[1];
    assert_eq!(venu["severity"], "critical");
    assert_eq!(venu["check_name"], "kpot/extra.venu");
    assert_eq!(venu["location"]["path"], "content/events/kip/a.md");
    assert_eq!(venu["location"]["lines"]["begin"], 7);
    assert_eq!(
        venu["description"],
        "[extra.venu] unknown field `venu` — did you mean `venue`?"
    );
    assert_eq!(issues[0]["severity"], "minor");
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    // Fingerprints are stable from run to run.
    let again: serde_json::Value =
        serde_json::from_str(&site.check(&["--format", "gitlab"]).stdout).unwrap();
    assert_eq!(again[1]["fingerprint"], venu["fingerprint"]);
}

// ---------------------------------------------------------------------------
// Ownership and CODEOWNERS
// ---------------------------------------------------------------------------

#[test]
fn a_partner_pull_request_may_only_touch_its_own_folders() {
    let site = site_with_event("");
    site.check(&[
        "--owner",
        "kip",
        "--changed",
        "content/events/kip/a.md",
        "content/notices/kip/new.md",
    ])
    .code(0);
    site.check(&[
        "--owner",
        "kip",
        "--changed",
        "content/events/kip/a.md",
        "content/programs/x.md",
        "data/organizations.yaml",
        "content/events/igren/b.md",
        "content/events/kip/../../programs/y.md",
    ])
    .code(1)
    .says("content/programs/x.md: error: a pull request from kip may only change files in content/events/kip/ and content/notices/kip/")
    .says("data/organizations.yaml: error: a pull request from kip may only change")
    .says("content/events/igren/b.md: error:")
    .says("content/events/kip/../../programs/y.md: error:")
    .says("4 errors");
    // From standard input, as `git diff --name-only` prints them.
    site.kpot_with(
        &["--lang", "en", "check", "--owner", "kip"],
        &[],
        Some("content/events/kip/a.md\n./content/events/kip/_index.md\nREADME.md\n"),
    )
    .code(1)
    .says("README.md: error: a pull request from kip")
    .says("content/events/kip/_index.md: warning: the folder's _index.md is kept by the editors")
    .says("1 error, 1 warning");
    // An unknown organization: nothing can be checked.
    site.check(&["--owner", "kipp", "--changed", "content/events/kip/a.md"])
        .code(2)
        .says("the organization `kipp` is not in data/organizations.yaml; did you mean `kip`?");
}

#[test]
fn codeowners_gives_each_partner_its_folders() {
    let site = Site::portal();
    site.file(
        "data/organizations.yaml",
        "- id: kip\n  name: {ja: 神奈川産業振興センター, en: KIP}\n  git_handles: [kip-editors, \"@kanagawa/kip\"]\n- id: igren\n  name: {ja: アイグレン, en: Igren}\n",
    );
    site.kpot(&["codeowners", "--default-owner", "kpot-editors"])
        .ok()
        .prints(".github/CODEOWNERS");
    let text = std::fs::read_to_string(site.root().join(".github/CODEOWNERS")).unwrap();
    assert!(text.contains("\n* @kpot-editors\n"), "{text}");
    assert!(
        text.contains("/content/events/kip/ @kip-editors @kanagawa/kip\n/content/notices/kip/ @kip-editors @kanagawa/kip\n"),
        "{text}"
    );
    assert!(
        text.contains("# アイグレン (igren)\n# (no git_handles"),
        "{text}"
    );
    assert!(text.find("* @kpot-editors").unwrap() < text.find("/content/events/kip/").unwrap());
    let run = site.kpot(&["codeowners", "-o", "-"]);
    run.ok();
    assert!(
        run.stdout.contains("/content/events/kip/ @kip-editors"),
        "{}",
        run.stdout
    );

    site.file(
        "data/organizations.yaml",
        "- id: kip\n  name: {ja: KIP}\n  git_handles: [\"kip editors\"]\n",
    );
    site.kpot(&["--lang", "en", "codeowners"])
        .code(1)
        .says("`kip editors` in the git_handles of kip is not a valid user or team name");
}

// ---------------------------------------------------------------------------
// kpot new
// ---------------------------------------------------------------------------

#[test]
fn new_event_with_its_facts_passes_check() {
    let site = Site::portal();
    let run = site.kpot(&[
        "new",
        "event",
        "--org",
        "kip",
        "--title",
        "Business Matching 2027",
        "--start",
        "2027-02-15T13:30:00",
        "--format",
        "onsite",
        "--venue",
        "産業貿易センター",
        "--now",
        "2027-01-05",
    ]);
    run.ok()
        .prints("content/events/kip/business-matching-2027.md");
    let text = std::fs::read_to_string(
        site.root()
            .join("content/events/kip/business-matching-2027.md"),
    )
    .unwrap();
    assert!(text.contains("date = 2027-01-05\n"), "{text}");
    assert!(
        text.contains("slug = \"business-matching-2027\"\n"),
        "{text}"
    );
    assert!(text.contains("# 開催形式（必須）"), "{text}");
    let text = write_body(
        &site,
        "content/events/kip/business-matching-2027.md",
        EVENT_BODY,
    );
    site.check(&[]).code(0).says("no problems");

    // The same title again gets a slug of its own; nothing is overwritten.
    site.kpot(&[
        "new",
        "event",
        "--org",
        "kip",
        "--title",
        "Business Matching 2027",
        "--now",
        "2027-01-05",
    ])
    .ok()
    .prints("content/events/kip/business-matching-2027-2.md");
    assert_eq!(
        std::fs::read_to_string(
            site.root()
                .join("content/events/kip/business-matching-2027.md")
        )
        .unwrap(),
        text
    );
}

#[test]
fn new_skeleton_fails_check_until_its_blanks_are_filled() {
    let site = Site::portal();
    let run = site.kpot(&[
        "new",
        "event",
        "--org",
        "kip",
        "--title",
        "商談会",
        "--now",
        "2027-01-05",
    ]);
    run.ok().prints("content/events/kip/2027-01-05-event.md");
    let rel = "content/events/kip/2027-01-05-event.md";
    site.check(&[])
        .code(1)
        .says("content/events/kip/2027-01-05-event.md:21:1: error: [extra.start] this required field is empty")
        .says("content/events/kip/2027-01-05-event.md:25:1: error: [extra.format] this required field is empty")
        .says("5 errors");
    write_body(&site, rel, EVENT_BODY);
    let text = std::fs::read_to_string(site.root().join(rel)).unwrap();
    let filled = text
        .replace("start = \"\"", "start = \"2027-02-15T13:30:00\"")
        .replace("format = \"\"", "format = \"online\"")
        .replace(
            "online_url = \"\"",
            "online_url = \"https://example.org/live\"",
        )
        .replace("fee = \"\"", "fee = 0");
    site.file(rel, &filled);
    site.check(&[]).code(0);
    // A second date-based slug does not clash.
    site.kpot(&["new", "event", "--org", "kip", "--now", "2027-01-05"])
        .ok()
        .prints("content/events/kip/2027-01-05-event-2.md");
}

#[test]
fn new_notice_passes_check_and_bad_input_is_refused() {
    let site = Site::portal();
    site.kpot(&[
        "new",
        "notice",
        "--org",
        "kip",
        "--title",
        "ものづくり補助金",
        "--closes",
        "2027-03-31",
        "--now",
        "2027-01-05",
    ])
    .ok()
    .prints("content/notices/kip/2027-01-05-notice.md");
    write_body(
        &site,
        "content/notices/kip/2027-01-05-notice.md",
        "設備投資の補助金です。\n\n## 対象\n\n県内の中小企業。\n\n## 申請方法\n\n電子申請。\n",
    );
    site.check(&[]).code(0);

    site.kpot(&["--lang", "en", "new", "event", "--org", "kipp"])
        .code(1)
        .says("the organization `kipp` is not in data/organizations.yaml; did you mean `kip`?");
    site.kpot(&[
        "--lang",
        "en",
        "new",
        "event",
        "--org",
        "kip",
        "--start",
        "2027年2月15日",
    ])
    .code(1)
    .says("--start `2027年2月15日` is not a date; for example --start 2027-02-15");
    site.kpot(&[
        "--lang",
        "en",
        "new",
        "event",
        "--org",
        "kip",
        "--slug",
        "Spring Fair",
    ])
    .code(1)
    .says("(e.g. spring-fair)");
    site.kpot(&[
        "--lang",
        "en",
        "new",
        "event",
        "--org",
        "igren",
        "--now",
        "2027-01-05",
    ])
    .ok()
    .never_says("_index.md");
}

/// Issue 15: the skeleton's sample sentence and its empty headings were
/// published as they were. Each is an error at its line until written.
#[test]
fn the_skeleton_body_fails_check_until_it_is_written() {
    let site = Site::portal();
    site.kpot(&[
        "--lang", "en", "new", "event", "--org", "kip", "--title", "Spring Fair", "--start",
        "2027-02-15T13:30:00", "--format", "online", "--now", "2027-01-05",
    ])
    .ok()
    .says("replace the sample sentence (ここにイベントの内容を書きます…) and write under the headings 「内容」 「申込方法」");
    let rel = "content/events/kip/spring-fair.md";
    let text = std::fs::read_to_string(site.root().join(rel)).unwrap();
    let line = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    site.check(&[])
        .code(1)
        .says(&format!(
            "{rel}:{}:1: error: the sample sentence 「ここにイベントの内容を書きます…」 written by `kpot new` is still here",
            line("ここにイベントの内容を書きます")
        ))
        .says("help: replace the sentence with what the event is about and who it is for")
        .says(&format!(
            "{rel}:{}:1: error: nothing is written under the heading 「内容」",
            line("## 内容")
        ))
        .says(&format!(
            "{rel}:{}:1: error: nothing is written under the heading 「申込方法」",
            line("## 申込方法")
        ))
        .says("help: write how to register (the page, phone or e-mail) and by when under 「申込方法」")
        .says("3 errors");
    // In Japanese too.
    site.kpot(&["check"])
        .code(1)
        .says("見出し「内容」の下に何も書かれていません");
    // The build refuses it as well: nothing is published.
    site.build(&["--now", "2027-01-10"]).code(1);
    assert!(!site.has("events/kip/spring-fair/index.html"));

    // Written, it passes.
    let written = text
        .replace(
            "ここにイベントの内容を書きます（Markdown）。最初の段落が一覧に表示されます。",
            "オンラインの商談会です。",
        )
        .replace("## 内容\n", "## 内容\n\n個別商談。\n")
        .replace(
            "## 申込方法\n",
            "## 申込方法\n\n[申込ページ](https://example.org/apply)から。\n",
        );
    site.file(rel, &written);
    site.check(&[]).code(0);

    // A notice's skeleton likewise.
    site.kpot(&[
        "new",
        "notice",
        "--org",
        "kip",
        "--title",
        "Grant",
        "--closes",
        "2027-03-31",
        "--now",
        "2027-01-05",
    ])
    .ok();
    site.check(&[])
        .code(1)
        .says("「ここに募集の内容を書きます…」")
        .says("the heading 「対象」")
        .says("the heading 「申請方法」")
        .says("3 errors");
}

/// Issue 15: `regions = ["川崎市"]` made `/regions/川崎市/` beside
/// `/regions/kawasaki/`. A listed term may be written by slug, label or
/// alias; anything else is an error with the closest name as the hint.
#[test]
fn terms_must_be_listed_and_aliases_map_to_their_term() {
    let site = Site::portal();
    site.file(
        "data/taxonomies.yaml",
        "categories:\n  - {slug: startups, ja: 創業, en: Startups}\nregions:\n  - {slug: kawasaki, ja: 川崎, en: Kawasaki, aliases: [川崎市]}\n  - {slug: yokohama, ja: 横浜, en: Yokohama}\n",
    );
    let tagged = |regions: &str| {
        format!(
            "+++\ntitle = \"商談会\"\n[taxonomies]\ncategories = [\"創業\"]\nregions = [{regions}]\n[extra]\nstart = 2027-02-15\nformat = \"online\"\norganizer = \"kip\"\n+++\n本文\n"
        )
    };
    site.file(EVENT, &tagged("\"川崎市\", \"Yokohama\""));
    site.check(&[]).code(0);
    site.build(&["--now", "2027-01-10"]).ok();
    assert!(site.read("regions/kawasaki/index.html").contains("商談会"));
    assert!(site.read("regions/yokohama/index.html").contains("商談会"));
    assert!(
        site.read("en/regions/kawasaki/index.html")
            .contains("Kawasaki")
    );
    assert!(!site.has("regions/川崎市/index.html"));

    site.file(EVENT, &tagged("\"川崎氏\""));
    site.check(&[])
        .code(1)
        .says("content/events/kip/a.md:5:1: error: [taxonomies.regions] `川崎氏` is not one of the regions in data/taxonomies.yaml")
        .says("help: did you mean `川崎`?");
    site.kpot(&["check"])
        .code(1)
        .says("`川崎氏` は data/taxonomies.yaml の地域にありません");
    site.file(EVENT, &tagged("\"東京\""));
    site.check(&[])
        .code(1)
        .says("`東京` is not one of the regions")
        .says("help: the regions are: Kawasaki, Yokohama");
    site.build(&["--now", "2027-01-10"]).code(1);

    // A name may stand for one term only.
    site.file(EVENT, &tagged("\"川崎\""));
    site.file(
        "data/taxonomies.yaml",
        "regions:\n  - {slug: kawasaki, ja: 川崎, en: Kawasaki, aliases: [川崎市]}\n  - {slug: kawasaki-city, ja: 川崎市, en: Kawasaki City}\n",
    );
    site.check(&[])
        .code(1)
        .says("in regions, `川崎市` names both kawasaki and kawasaki-city");
}

// ---------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------

#[test]
fn strange_files_never_crash_check_or_build() {
    let site = Site::portal();
    let strange: [&[u8]; 10] = [
        b"+++",
        b"+++\n+++",
        b"---\n---\n",
        b"+++\n[extra]\n+++\n",
        b"+++\ntitle = \"a\"\n[extra]\nstart = 1\nend = []\nformat = {}\n+++\n",
        b"---\n- a\n- b\n---\n",
        b"---\ntitle: &a [*a]\n---\n",
        b"\xEF\xBB\xBF\r\n\r",
        b"+++\ntitle = \"\xE4\xBA\"\n+++\n",
        b"---\ntitle: a\nextra: {start: 2027-02-15, format: online, organizer: kip, fee: -1}\n---\n\n[x](@/)\n[y](@/#)\n<a href=\"jav&#x61;script:x\">",
    ];
    for (i, bytes) in strange.iter().enumerate() {
        site.bytes(&format!("content/events/kip/s{i}.md"), bytes);
    }
    let run = site.check(&[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let run = site.build(&["--now", "2027-01-10"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
}

// ---------------------------------------------------------------------------
// The partner guide
// ---------------------------------------------------------------------------

fn doc(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The fenced blocks of a Markdown file that start with "```lang".
fn fenced(markdown: &str, lang: &str) -> Vec<String> {
    markdown
        .split(&format!("```{lang}\n"))
        .skip(1)
        .map(|block| block.split("```\n").next().unwrap().to_string())
        .collect()
}

#[test]
fn the_partner_guides_embed_the_ci_files_and_their_example_passes_check() {
    let github = doc("docs/ci/github-actions.yml");
    let gitlab = doc("docs/ci/gitlab-ci.yml");
    assert!(github.contains("kpot check --format github"));
    assert!(gitlab.contains("kpot check --format gitlab"));
    for guide in ["docs/partners.md", "docs/partners.en.md"] {
        let text = doc(guide);
        let yaml = fenced(&text, "yaml");
        assert_eq!(yaml, vec![github.clone(), gitlab.clone()], "{guide}");
        let example = &fenced(&text, "toml")[0];
        let site = Site::portal();
        site.file("content/events/kip/monozukuri.md", example);
        site.check(&[]).code(0);
    }
}

// ---------------------------------------------------------------------------
// Output paths that kpot, static/ or another page already uses
// ---------------------------------------------------------------------------

/// A page `content/x.md` whose third line is `front` (line 1 `+++`, 2 title).
fn site_with_page(front: &str) -> Site {
    let site = Site::portal();
    site.file(
        "content/x.md",
        &page("ページ", &format!("{front}\n"), "本文\n"),
    );
    site
}

/// Each way a build can refuse an output path, as `kpot check` reports it:
/// (files, the line it prints).
fn clashes() -> Vec<(Vec<(&'static str, &'static str)>, &'static str)> {
    let x = |front: &'static str| vec![("content/x.md", front)];
    vec![
        (
            x("path = \"robots.txt\""),
            "content/x.md:3:1: error: [path] this page would be written to /robots.txt/index.html, inside a folder /robots.txt/, but kpot itself writes a file /robots.txt there",
        ),
        (
            x("path = \"kpot.js\""),
            "content/x.md:3:1: error: [path] this page would be written to /kpot.js/index.html, inside a folder /kpot.js/, but kpot itself (the theme's kpot.js) writes a file /kpot.js there",
        ),
        (
            x("path = \"404.html\""),
            "content/x.md:3:1: error: [path] this page would be written to /404.html/index.html, inside a folder /404.html/, but kpot itself writes a file /404.html there",
        ),
        (
            x("path = \"search\""),
            "content/x.md:3:1: error: [path] this page would be written to /search/index.html, but kpot itself writes that file",
        ),
        (
            x("path = \"en/rss.xml\""),
            "content/x.md:3:1: error: [path] this page would be written to /en/rss.xml/index.html, inside a folder /en/rss.xml/, but kpot itself writes a file /en/rss.xml there",
        ),
        (
            x("aliases = [\"kpot.css\"]"),
            "content/x.md:3:1: error: [aliases] this alias would be written to /kpot.css/index.html, inside a folder /kpot.css/, but kpot itself (the theme's kpot.css) writes a file /kpot.css there",
        ),
        (
            vec![
                ("content/a.md", "path = \"same\""),
                ("content/x.md", "path = \"same\""),
            ],
            "content/x.md:3:1: error: [path] the URL /same/ is already used by content/a.md:3",
        ),
        (
            vec![
                ("content/a.md", "path = \"news.html\""),
                ("content/x.md", "aliases = [\"news.html\"]"),
            ],
            "content/x.md:3:1: error: [aliases] this alias would be written to the file /news.html, but content/a.md:3 writes /news.html/index.html, inside a folder of that name",
        ),
        (
            vec![("static/robots.txt", "")],
            "static/robots.txt: error: this file would be written to /robots.txt, but kpot itself writes that file",
        ),
        (
            vec![("static/guide", ""), ("content/guide.md", "")],
            "content/guide.md: error: this page would be written to /guide/index.html, inside a folder /guide/, but static/guide writes a file /guide there",
        ),
    ]
}

/// Writes a clash's files: Markdown as pages with the front matter line,
/// anything else as it is.
fn clash_site(files: &[(&str, &str)]) -> Site {
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

#[test]
fn check_reports_every_output_path_a_build_would_refuse() {
    for (files, says) in clashes() {
        let site = clash_site(&files);
        site.check(&[]).code(1).says(says);
    }
}

#[test]
fn a_reserved_path_is_explained_in_japanese_with_the_fix() {
    let site = site_with_page("path = \"robots.txt\"");
    site.kpot(&["check", "--now", "2027-01-10"])
        .code(1)
        .says("content/x.md:3:1: エラー: [path] このページの出力先 /robots.txt/index.html にはフォルダ /robots.txt/ が必要ですが、kpot 自身が同じ名前のファイル /robots.txt を書き出します")
        .says("`path` をほかと重ならない名前に変えてください");
    // The other claimant is named with its line in the check's JSON too.
    let site = clash_site(&[
        ("content/a.md", "path = \"same\""),
        ("content/x.md", "path = \"same\""),
    ]);
    let json = site.check(&["--format", "json"]);
    json.code(1).prints("content/a.md:3");
}
