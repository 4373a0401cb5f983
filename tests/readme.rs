//! README.md promises two set-up commands; CI must run the test one.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The indented command lines of the README's set-up section.
fn setup_commands(readme: &str) -> Vec<String> {
    let section = readme
        .split("## Set up on a fresh machine")
        .nth(1)
        .expect("README has a set-up section")
        .split("\n## ")
        .next()
        .unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn readme_gives_exactly_two_commands_and_ci_runs_the_test_one() {
    let commands = setup_commands(&read("README.md"));
    assert_eq!(commands.len(), 2, "{commands:?}");
    let ci = read(".ci/run");
    assert!(
        ci.lines().any(|l| l.trim() == commands[1]),
        ".ci/run must run `{}`",
        commands[1]
    );
}
