//! Publishing: a build killed at any instant leaves the old site or the new
//! one, whole; what a killed build leaves behind is removed by the next;
//! mount points and full disks are reported with their paths; a build into
//! another folder keeps its index away from the site's live one.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2027-03-01T09:00:00+09:00";

/// A site of `pages` plain pages (two files each, Japanese and English)
/// whose every page shows the site's title.
fn generated_site(pages: usize, index: bool) -> Site {
    let site = Site::portal();
    site.file("content/guides/_index.md", "+++\ntitle = \"Guides\"\n+++\n");
    for i in 0..pages {
        site.file(
            &format!("content/guides/p{i:05}.md"),
            &page(&format!("Guide {i}"), "", &format!("Text of guide {i}.\n")),
        );
    }
    set_title(&site, "Old title", index);
    site
}

fn set_title(site: &Site, title: &str, index: bool) {
    site.file(
        "config.toml",
        &format!(
            "base_url = \"https://example.org\"\ntitle = \"{title}\"\nbuild_search_index = {index}\n"
        ),
    );
}

/// `kpot build` on `site`, not waited for.
fn spawn_build(site: &Site) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_kpot"))
        .args(["build", "--lang", "en", "--now", NOW, "--root"])
        .arg(site.root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kpot runs")
}

/// Every file under `public/` (through the link), or none if it is missing.
fn published(site: &Site) -> BTreeMap<String, Vec<u8>> {
    snapshot(&site.public())
}

/// Names in `dir`, sorted (none if it is missing).
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_build_killed_at_any_instant_leaves_the_old_or_the_new_site_whole() {
    let site = generated_site(500, false);
    let titles = ["Old title", "New title"];
    let mut sites = Vec::new();
    let mut took = Duration::ZERO;
    for title in titles {
        set_title(&site, title, false);
        let started = Instant::now();
        site.build(&["--now", NOW]).ok();
        took = started.elapsed();
        sites.push(published(&site));
    }
    assert!(sites[0].len() > 1000, "{} files", sites[0].len());
    assert_ne!(sites[0], sites[1]);

    // Each build turns the live site into the other one, and is killed
    // after a delay: first at delays a twelfth of a build apart, from 0
    // until a build finishes before its kill (however loaded the machine,
    // the whole build is swept), then at delays a tenth of that step apart
    // over the last step, where the build published.
    let mut kills = Kills {
        site: &site,
        titles,
        sites: &sites,
        live: 1,
        outcomes: [0, 0],
    };
    let step = took / 12;
    let mut delay = Duration::ZERO;
    while !kills.kill_after(delay) && delay < took * 4 {
        delay += step;
    }
    let end = delay;
    for tenth in 0..=12 {
        kills.kill_after((end + step * tenth / 10).saturating_sub(step));
    }
    let (live, outcomes) = (kills.live, kills.outcomes);
    eprintln!(
        "{} kill instants (build {took:?}, published between {:?} and {end:?}): \
         {} left the old site, {} the new one",
        outcomes[0] + outcomes[1],
        end.saturating_sub(step),
        outcomes[0],
        outcomes[1]
    );

    // The record beside the live site still describes it: building its
    // own inputs again writes nothing. And nothing a killed build left
    // survives the next build.
    set_title(&site, titles[live], false);
    let run = site.build(&["--now", NOW]);
    run.ok().prints(" 0 written");
    assert_eq!(published(&site), sites[live]);
    set_title(&site, titles[1 - live], false);
    site.build(&["--now", NOW]).ok();
    assert_eq!(published(&site), sites[1 - live]);
    assert_eq!(
        site.top_level(),
        vec![
            ".public.generations",
            "config.toml",
            "content",
            "data",
            "public",
            "search-index"
        ]
    );
    let generations = names_in(&site.root().join(".public.generations"));
    assert_eq!(generations.len(), 4, "{generations:?}");
}

/// Builds killed at chosen instants, and what they left.
struct Kills<'a> {
    site: &'a Site,
    titles: [&'a str; 2],
    /// The whole site built with each title.
    sites: &'a [BTreeMap<String, Vec<u8>>],
    /// Which of `sites` is live.
    live: usize,
    /// How many kills left the old site, and how many the new one.
    outcomes: [usize; 2],
}

impl Kills<'_> {
    /// Starts a build of the other site, kills it after `delay`, and
    /// checks that `public/` is one site or the other, whole. Whether the
    /// build had published the new site.
    fn kill_after(&mut self, delay: Duration) -> bool {
        let next = 1 - self.live;
        set_title(self.site, self.titles[next], false);
        let mut child = spawn_build(self.site);
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        let now = published(self.site);
        if now == self.sites[next] {
            self.live = next;
            self.outcomes[1] += 1;
            return true;
        }
        assert!(
            now == self.sites[self.live],
            "killed {delay:?} into a build: public/ is neither the old nor the new site \
             ({} files differ from the old one, {} from the new one)",
            count_differing(&now, &self.sites[self.live]),
            count_differing(&now, &self.sites[next]),
        );
        self.outcomes[0] += 1;
        false
    }
}

fn count_differing(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> usize {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .count()
        / 2
        + usize::from(a.len() != b.len())
}

#[test]
fn what_a_killed_build_leaves_is_removed_by_the_next_build() {
    let site = generated_site(300, true);
    let started = Instant::now();
    site.build(&["--now", NOW]).ok();
    let took = started.elapsed();
    // Kill builds at several instants (each of the site with a new title,
    // so each has pages and an index to write).
    for (step, title) in ["A", "B", "C", "D", "E", "F"].iter().enumerate() {
        set_title(&site, title, true);
        let mut child = spawn_build(&site);
        std::thread::sleep(took * (step as u32 + 1) / 5);
        let _ = child.kill();
        child.wait().unwrap();
    }
    // And what older kpot versions left when killed.
    for leftover in [
        ".public.new-999999/index.html",
        ".public.old-999998/index.html",
        "search-index/.index.new-999997/meta.json",
        "search-index/.index.old-999996/meta.json",
    ] {
        site.file(leftover, "left by a killed build");
    }
    set_title(&site, "Final", true);
    site.build(&["--now", NOW]).ok();
    assert!(site.read("index.html").contains("Final"));
    assert_eq!(
        site.top_level(),
        vec![
            ".public.generations",
            "config.toml",
            "content",
            "data",
            "public",
            "search-index"
        ]
    );
    assert_eq!(
        names_in(&site.root().join("search-index")),
        vec![".index.lock", "index"]
    );
    // The live generation and the one before it, with their manifests.
    let generations = names_in(&site.root().join(".public.generations"));
    assert_eq!(generations.len(), 4, "{generations:?}");
    assert!(
        generations
            .iter()
            .all(|n| n.trim_end_matches(".kpot-manifest").parse::<u64>().is_ok()),
        "{generations:?}"
    );
}

#[test]
fn a_build_into_another_folder_leaves_the_live_index_alone() {
    let site = Site::portal();
    site.file("content/about.md", &page("About", "", "kpot\n"));
    site.build(&["--now", NOW]).ok();
    let live_index = snapshot(&site.root().join("search-index/index"));
    assert!(live_index.contains_key("meta.json"));

    site.file("content/about.md", &page("About", "", "edited for -o\n"));
    let other = site.root().join("other");
    site.build(&["--now", NOW, "-o", other.to_str().unwrap()])
        .ok()
        .prints("index rebuilt");
    assert!(
        snapshot(&site.root().join("search-index/index")) == live_index,
        "a build into another folder replaced the site's live index"
    );
    assert!(site.root().join("other-search-index/meta.json").is_file());
    assert!(other.join("about/index.html").is_file());

    // --index-dir puts it anywhere; the live one is still left alone.
    let chosen = site.root().join("chosen/index");
    site.build(&[
        "--now",
        NOW,
        "-o",
        other.to_str().unwrap(),
        "--index-dir",
        chosen.to_str().unwrap(),
    ])
    .ok();
    assert!(chosen.join("meta.json").is_file());
    assert!(snapshot(&site.root().join("search-index/index")) == live_index);
    // The site's own public/, however spelled, keeps the site's index.
    let own = site.root().join("./public");
    site.build(&["--now", NOW, "-o", own.to_str().unwrap()])
        .ok()
        .prints("index rebuilt");
    assert!(snapshot(&site.root().join("search-index/index")) != live_index);
}

/// Runs `script` with `sh` in a private mount namespace (so that what it
/// mounts disappears with it), with `$KPOT` and `$SITE` set. Mounting needs
/// root, or an unprivileged user namespace where the system allows them.
fn in_private_mounts(site: &Site, script: &str) -> Run {
    let mut command = Command::new("unshare");
    if !is_root() {
        command.arg("--map-root-user");
    }
    let output = command
        .args(["--mount", "--propagation", "private", "sh", "-c", script])
        .env("KPOT", env!("CARGO_BIN_EXE_kpot"))
        .env("SITE", site.root())
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare (util-linux) runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn a_mount_point_as_public_is_refused_before_any_work() {
    let site = Site::portal();
    site.file("content/about.md", &page("About", "", "kpot\n"));
    std::fs::create_dir_all(site.public()).unwrap();
    let run = in_private_mounts(
        &site,
        r#"mount -t tmpfs -o size=4m kpot-test "$SITE/public" || exit 99
"$KPOT" build --lang en --now 2027-03-01 --root "$SITE"
echo "exit $?"
echo "public holds: $(ls -A "$SITE/public")"
"#,
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("exit 2"), "{run:?}");
    assert!(run.stdout.contains("public holds: \n"), "{run:?}");
    run.says("public is a mount point")
        .says("-o /mnt/volume/site")
        .says("nothing was written");
    // Nothing beside it either.
    assert_eq!(
        site.top_level(),
        vec!["config.toml", "content", "data", "public"]
    );
}

#[test]
fn a_full_disk_names_the_file_and_keeps_the_old_site() {
    let site = Site::portal();
    site.file("content/about.md", &page("About", "", "kpot\n"));
    site.file("static/note.txt", "a static file\n");
    for dir in ["vol", "tiny"] {
        std::fs::create_dir_all(site.root().join(dir)).unwrap();
    }
    // The first build fits in 4 MiB; a 6 MiB static file does not.
    let run = in_private_mounts(
        &site,
        r#"mount -t tmpfs -o size=4m kpot-test "$SITE/vol" || exit 99
mount -t tmpfs -o size=8k kpot-test "$SITE/tiny" || exit 99
"$KPOT" build --lang en --now 2027-03-01 --root "$SITE" -o "$SITE/vol/site" --index-dir "$SITE/index" || exit 98
cp -rL "$SITE/vol/site" "$SITE/before"
head -c 6000000 /dev/zero > "$SITE/static/big.bin"
"$KPOT" build --lang en --now 2027-03-01 --root "$SITE" -o "$SITE/vol/site" --index-dir "$SITE/index"
echo "pages: exit $?"
cp -rL "$SITE/vol/site" "$SITE/after"
echo "beside: $(ls -A "$SITE/vol/.site.generations")"
rm "$SITE/static/big.bin"
echo 'more' >> "$SITE/content/about.md"
"$KPOT" build --lang en --now 2027-03-01 --root "$SITE" -o "$SITE/vol/site" --index-dir "$SITE/tiny/index"
echo "index: exit $?"
cp -rL "$SITE/vol/site" "$SITE/after-index"
echo "tiny: $(ls -A "$SITE/tiny")"
"#,
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    // The page build: the file it could not write, and why.
    assert!(run.stdout.contains("pages: exit 2"), "{run:?}");
    run.says("vol/.site.generations/2/")
        .says("No space left on device")
        .says("the live site was left unchanged");
    // The index: the folder it could not write, and why.
    assert!(run.stdout.contains("index: exit 2"), "{run:?}");
    run.says("tiny/.index.new-").says("No space left on device");
    let before = snapshot(&site.root().join("before"));
    assert!(before.contains_key("about/index.html"));
    assert_eq!(snapshot(&site.root().join("after")), before);
    assert_eq!(snapshot(&site.root().join("after-index")), before);
    // Nothing half-written is left on either disk.
    assert!(
        run.stdout.contains("beside: 1\n1.kpot-manifest\n"),
        "{run:?}"
    );
    assert!(run.stdout.contains("tiny: .index.lock\n"), "{run:?}");
}
