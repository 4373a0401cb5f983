//! The relevance benchmark's judgments stay usable: every query well-formed
//! and every judged page a page of the site + fixtures build, so a renamed
//! page or a fixture that `kpot build` rejects is caught here, not when the
//! next ranking change is measured. Runs `bench/relevance/run --validate`
//! with this build of kpot; starts no server and measures nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validate(queries: &Path) -> Output {
    Command::new("python3")
        .arg(repo().join("bench/relevance/run"))
        .args(["--validate", "--queries"])
        .arg(queries)
        .env("KPOT", env!("CARGO_BIN_EXE_kpot"))
        .output()
        .expect("python3 runs bench/relevance/run")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn bundled_judgments_name_pages_of_the_build() {
    let out = validate(&repo().join("bench/relevance/queries.toml"));
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    let count: usize = said
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no query count in {said:?}"));
    assert!(
        count >= 60,
        "issue 16 asks for at least 60 queries, the file has {count}"
    );
}

#[test]
fn a_judged_url_missing_from_the_build_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let queries = dir.path().join("queries.toml");
    std::fs::write(
        &queries,
        "[[query]]\nq = \"補助金\"\nlang = \"ja\"\njudged = { \"/programs/no-such-program/\" = 3 }\n",
    )
    .unwrap();
    let out = validate(&queries);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("/programs/no-such-program/ is not a page"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_malformed_judgment_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let queries = dir.path().join("queries.toml");
    std::fs::write(
        &queries,
        "[[query]]\nq = \"京都\"\nlang = \"jp\"\njudged = { \"/councils/kyoto/\" = 5 }\n",
    )
    .unwrap();
    let out = validate(&queries);
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("`lang` must be ja, en"), "{said}");
    assert!(
        said.contains("grade of /councils/kyoto/ must be 1, 2 or 3"),
        "{said}"
    );
}

#[test]
fn a_judged_list_page_is_refused_as_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let queries = dir.path().join("queries.toml");
    std::fs::write(
        &queries,
        "[[query]]\nq = \"事業再生\"\nlang = \"ja\"\njudged = { \"/councils/\" = 3 }\n",
    )
    .unwrap();
    let out = validate(&queries);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("/councils/ is a list page"),
        "{}",
        text(&out)
    );
}
