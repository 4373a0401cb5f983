//! The web editor's files in a build: `/admin/` exists when `config.toml`
//! names a Git host for it, with a configuration generated from the site's
//! data; the editor's own files (`NAME.ja.md` bundles, English files not
//! yet translated) build like any other content.

mod common;

use common::Site;

const GITLAB: &str = "base_url = \"https://example.org\"\n\
    [extra.cms.backend]\nname = \"gitlab\"\nrepo = \"example/portal\"\n\
    auth_type = \"pkce\"\napp_id = \"abc\"\n";

#[test]
fn a_site_without_a_git_host_has_no_editor() {
    let site = Site::portal();
    site.build(&[]).ok();
    assert!(!site.public().join("admin/index.html").exists());
    assert!(!site.public().join("admin/config.yml").exists());
    assert!(
        !site.public().join("admin").exists(),
        "none of the editor's files"
    );
}

#[test]
fn the_editor_is_configured_from_config_and_data() {
    let site = Site::portal();
    site.file("config.toml", GITLAB);
    site.file(
        "data/taxonomies.yaml",
        "categories:\n  - {slug: financing, ja: 資金調達, en: Financing}\nregions:\n  - {slug: yokohama, ja: 横浜, en: Yokohama}\n",
    );
    site.build(&[]).ok();
    let page = site.read("admin/index.html");
    assert!(page.contains("<script type=\"module\" src=\"/admin/kpot-cms.js\"></script>"));
    assert!(!page.contains("<script>"), "no inline script: {page}");
    assert!(
        page.contains("connect-src 'self' blob: https://gitlab.com;"),
        "the page lets the editor talk to its Git host only: {page}"
    );
    let config = site.read("admin/config.yml");
    for expected in [
        "name: gitlab",
        "repo: example/portal",
        "publish_mode: editorial_workflow",
        "locale: ja",
        "folder: content/events",
        "folder: content/notices",
        "format: kpot-toml",
        "value: 資金調達",
        "value: 横浜",
        "value: kip",
        "value: igren",
        "value: hybrid",
    ] {
        assert!(config.contains(expected), "{expected} is not in\n{config}");
    }
    assert!(site.has("admin/kpot-cms.js"));
}

#[test]
fn a_backend_without_review_or_a_name_is_refused() {
    let site = Site::portal();
    site.file(
        "config.toml",
        "[extra.cms.backend]\nname = \"gitea\"\nrepo = \"o/r\"\n",
    );
    site.check(&[]).code(2).says("without review");
    site.file("config.toml", "[extra.cms.backend]\nrepo = \"o/r\"\n");
    site.check(&[]).code(2).says("extra.cms.backend");
}

#[test]
fn the_editors_files_build_as_the_japanese_original_and_its_translation() {
    let site = Site::portal();
    let event = "+++\ntitle = \"商談会\"\ndate = \"2027-02-01\"\ndraft = false\n\n\
        [extra]\nstart = \"2027-03-10T13:30:00+09:00\"\nformat = \"online\"\norganizer = \"kip\"\n+++\n本文\n";
    site.file("content/events/kip/2027-02-01-shodankai/index.ja.md", event);
    // What the editor writes for English before anyone translates.
    site.file(
        "content/events/kip/2027-02-01-shodankai/index.en.md",
        "+++\ndate = \"2027-02-01\"\ndraft = false\n\n[extra]\nstart = \"2027-03-10T13:30:00+09:00\"\nformat = \"online\"\norganizer = \"kip\"\n+++\n",
    );
    site.build(&[]).ok().says("no title and no text yet");
    let ja = site.read("events/kip/shodankai/index.html");
    assert!(ja.contains("商談会"));
    // The English page is the fallback to the Japanese original.
    let en = site.read("en/events/kip/shodankai/index.html");
    assert!(en.contains("商談会"), "{en}");

    // Translated: the English file is the English page, linked with the
    // Japanese one.
    site.file(
        "content/events/kip/2027-02-01-shodankai/index.en.md",
        "+++\ntitle = \"Business matching\"\ndate = \"2027-02-01\"\n\n[extra]\nstart = \"2027-03-10T13:30:00+09:00\"\nformat = \"online\"\norganizer = \"kip\"\n+++\nText\n",
    );
    site.build(&[]).ok().never_says("no title and no text yet");
    let en = site.read("en/events/kip/shodankai/index.html");
    assert!(en.contains("Business matching"));
    let ja = site.read("events/kip/shodankai/index.html");
    assert!(
        ja.contains("/en/events/kip/shodankai/"),
        "the language switch"
    );
}

#[test]
fn a_page_on_the_editors_path_is_refused_with_the_reason() {
    let site = Site::portal();
    site.file("config.toml", GITLAB);
    site.file(
        "content/admin.md",
        "+++\ntitle = \"管理\"\npath = \"admin\"\n+++\n本文\n",
    );
    site.check(&[]).code(1).says("content/admin.md");
    // Without the editor the path is free.
    site.file("config.toml", "base_url = \"https://example.org\"\n");
    site.check(&[]).ok();
}
