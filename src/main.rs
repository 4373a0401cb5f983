//! The `kpot` command line.

use clap::{Args, Parser, Subcommand};
use kpot::build::{BuildError, BuildOptions, build};
use kpot::check::report::{self, Format};
use kpot::check::{self, CheckOptions};
use kpot::diagnostics::Text;
use kpot::format::Lang;
use kpot::new;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// kpot builds the K-POT portal (Japanese at /, English at /en/) from the
/// Markdown and YAML in a site folder.
#[derive(Parser)]
#[command(name = "kpot", version, about, long_about = None)]
struct Cli {
    /// The site folder (with config.toml, content/, data/, themes/).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    /// Language of messages: ja or en (default: from LANG, else ja).
    #[arg(long, global = true, value_parser = ["ja", "en"])]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into public/ (HTML in both languages, sitemap); the
    /// previous public/ is replaced only if the whole build succeeds.
    Build(BuildArgs),
    /// Write the next newsletter issue as content/newsletter/<DATE>.md and
    /// .en.md (commit them); every build renders each issue as a page,
    /// newsletter.txt and newsletter.eml.
    Newsletter(NewsletterArgs),
    /// Serve the built site (public/) and the search API from
    /// search-index/index, read-only; a rebuilt index is picked up without
    /// dropping a query. /healthz answers 200 once the index is loaded.
    Server(ServerArgs),
    /// Preview while editing: build in memory, serve with the search API,
    /// and rebuild just what a save changes; open pages reload themselves
    /// and show errors over the page until they are fixed.
    Serve(ServeArgs),
    /// Check everything a build would load, writing nothing. Exit 0: no
    /// errors; 1: errors found; 2: the check could not run.
    Check(CheckArgs),
    /// Write a new event or notice for a partner, with every field present
    /// and explained, ready to fill in.
    New(NewArgs),
    /// Write a CODEOWNERS file giving each partner's Git handles its
    /// events and notices folders (from data/organizations.yaml).
    Codeowners(CodeownersArgs),
    /// Import content from outside: subsidy calls from jGrants, events from
    /// a partner's iCalendar feed. Writes only files whose content changed,
    /// never a file marked `locked = true`; prints a summary. Exit 2 (and
    /// nothing written) if the source cannot be read.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Open and upcoming subsidy calls from Jグランツ (jGrants) into
    /// content/notices/jgrants/<id>.md.
    Jgrants(JgrantsArgs),
    /// A partner's calendar (an .ics URL or file) into
    /// content/events/<ORG>/.
    Ical(IcalArgs),
}

/// What both importers take.
#[derive(Args)]
struct ImportCommon {
    /// Fix "now" (RFC 3339 date-time or a date): the `fetched` time
    /// recorded, and where recurring events start expanding.
    #[arg(long)]
    now: Option<String>,
    /// human or json (for CI).
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    format: String,
    /// Say what would change, writing nothing.
    #[arg(long)]
    dry_run: bool,
    /// Seconds before a request is given up.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// Retries of a request answered 429 or 5xx (or not answered).
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// The first wait before a retry, doubled on each one (a Retry-After
    /// header is honoured instead, up to 60 s).
    #[arg(long, default_value_t = 2000)]
    backoff_ms: u64,
}

impl ImportCommon {
    fn politeness(&self) -> kpot::import::http::Politeness {
        kpot::import::http::Politeness {
            timeout: std::time::Duration::from_secs(self.timeout_secs),
            retries: self.retries,
            backoff: std::time::Duration::from_millis(self.backoff_ms),
            ..Default::default()
        }
    }
}

#[derive(Args)]
struct JgrantsArgs {
    /// The API's base URL (default: [extra.import.jgrants] api_url, else
    /// the public endpoint https://api.jgrants-portal.go.jp/exp/v1/public).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Search keywords, 2 characters or more (repeatable; default:
    /// [extra.import.jgrants] keywords, else 補助金 and 助成金).
    #[arg(long = "keyword")]
    keywords: Vec<String>,
    /// Target areas (repeatable; default: [extra.import.jgrants] areas, else
    /// 神奈川県 and 全国).
    #[arg(long = "area")]
    areas: Vec<String>,
    /// Pause between detail requests (default: [extra.import.jgrants]
    /// pause_ms, else 1000).
    #[arg(long)]
    pause_ms: Option<u64>,
    #[command(flatten)]
    common: ImportCommon,
}

#[derive(Args)]
struct IcalArgs {
    /// The feed: an http(s) URL or a file.
    source: String,
    /// The partner (id in data/organizations.yaml) whose events these are.
    #[arg(long, value_name = "ORG")]
    org: String,
    /// How many months ahead recurring events are expanded.
    #[arg(long, default_value_t = 6)]
    months: u32,
    #[command(flatten)]
    common: ImportCommon,
}

#[derive(Args)]
struct CheckArgs {
    /// Fix "now" (RFC 3339 date-time or a date).
    #[arg(long)]
    now: Option<String>,
    /// Also check pages marked `draft = true` as if published.
    #[arg(long)]
    drafts: bool,
    /// human (for people), json (for tools), github (annotations on the
    /// pull request) or gitlab (Code Quality report on stdout).
    #[arg(long, default_value = "human", value_parser = ["human", "json", "github", "gitlab"])]
    format: String,
    /// The organization (id in data/organizations.yaml) whose pull request
    /// is checked: changed files must lie in its own folders.
    #[arg(long, value_name = "ORG")]
    owner: Option<String>,
    /// The files the pull request changes, relative to the site folder; read
    /// one per line from standard input when --owner is given without them.
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "owner")]
    changed: Vec<String>,
}

#[derive(Args)]
struct NewArgs {
    /// What to write: event or notice.
    #[arg(value_parser = ["event", "notice"])]
    kind: String,
    /// The partner's organization id (its folder name).
    #[arg(long, value_name = "ORG")]
    org: String,
    /// The title (Japanese is fine; quote it in the shell).
    #[arg(long)]
    title: Option<String>,
    /// The URL slug (ASCII letters, digits and -); default: from an ASCII
    /// title, else the date and the kind.
    #[arg(long)]
    slug: Option<String>,
    /// Event start, e.g. 2027-02-15T13:30:00 or 2027-02-15.
    #[arg(long)]
    start: Option<String>,
    /// Event end (default: the start).
    #[arg(long)]
    end: Option<String>,
    /// Event format: onsite, online or hybrid.
    #[arg(long, value_parser = ["onsite", "online", "hybrid"])]
    format: Option<String>,
    /// Event venue (required unless online).
    #[arg(long)]
    venue: Option<String>,
    /// Notice: when applications open.
    #[arg(long)]
    opens: Option<String>,
    /// Notice: when applications close.
    #[arg(long)]
    closes: Option<String>,
    /// Fix "today" (a date), for the page date and date-based slugs.
    #[arg(long)]
    now: Option<String>,
}

#[derive(Args)]
struct CodeownersArgs {
    /// Where to write, relative to the site folder; `-` for standard output.
    #[arg(long, short = 'o', default_value = ".github/CODEOWNERS")]
    output: String,
    /// Owners of everything outside the partner folders (the editors),
    /// e.g. `kpot-editors` or `org/team`; repeatable.
    #[arg(long = "default-owner", value_name = "HANDLE")]
    default_owners: Vec<String>,
}

#[derive(Args)]
struct ServerArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    interface: String,
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// How many search answers to keep in memory (by request and minute);
    /// 0 computes every request.
    #[arg(long, default_value_t = kpot::search::query::ANSWERS_KEPT)]
    answers: usize,
    /// Fix "now" (RFC 3339 date-time or a date), as for kpot build: search
    /// statuses such as 受付中 are computed as of it.
    #[arg(long)]
    now: Option<String>,
    /// Seconds a client has to send a complete request head, counted from
    /// connecting or from the previous response (so also the longest a
    /// kept-alive connection stays idle).
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = seconds)]
    header_timeout: f64,
    /// Connections held at once (lowered to fit the open-file limit); when
    /// full, the oldest idle one is closed to make room.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds to let requests in flight finish after SIGTERM or Ctrl-C
    /// before stopping anyway.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = seconds)]
    shutdown_timeout: f64,
}

/// A number of seconds: positive, at most a day.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(s),
        _ => Err(format!(
            "{text:?} is not a number of seconds from 0 to 86400"
        )),
    }
}

#[derive(Args)]
struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    interface: String,
    /// The port; 0 picks a free one (the address is printed).
    #[arg(long, default_value_t = 1111)]
    port: u16,
    /// Include pages marked `draft = true`.
    #[arg(long)]
    drafts: bool,
    /// Fix "now" (RFC 3339 date-time or a date), as for kpot build.
    #[arg(long)]
    now: Option<String>,
    /// The web editor's local backend (Decap CMS's proxy: `npx
    /// decap-server`, which writes into this working copy).
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:8081/api/v1"
    )]
    cms_proxy: String,
    /// The web editor saves each item on a branch `cms/<collection>/<slug>`
    /// to be reviewed and published, as on the Git host (run decap-server
    /// with MODE=git).
    #[arg(long)]
    cms_review: bool,
}

#[derive(Args)]
struct NewsletterArgs {
    /// New items are those published on or after this date (YYYY-MM-DD).
    #[arg(long)]
    since: String,
    /// The issue date (default: the date of "now").
    #[arg(long)]
    until: Option<String>,
    /// Fix "now" (RFC 3339 date-time or a date).
    #[arg(long)]
    now: Option<String>,
    /// Only items in these categories (slug or label; repeatable).
    #[arg(long = "category")]
    categories: Vec<String>,
    /// Replace an issue of the same date.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct BuildArgs {
    /// Fix "now" (RFC 3339 date-time or a date) for statuses such as
    /// 受付中 and 締切間近, so the output is reproducible.
    #[arg(long)]
    now: Option<String>,
    /// Include pages marked `draft = true`.
    #[arg(long)]
    drafts: bool,
    /// Write the site here instead of ROOT/public.
    #[arg(long, short = 'o')]
    output_dir: Option<PathBuf>,
    /// Write the search index here instead of ROOT/search-index/index
    /// (with -o DIR: instead of DIR-search-index beside DIR).
    #[arg(long)]
    index_dir: Option<PathBuf>,
}

fn message_lang(flag: Option<&str>) -> Lang {
    match flag {
        Some("en") => Lang::En,
        Some(_) => Lang::Ja,
        None => match std::env::var("LANG") {
            Ok(lang) if lang.starts_with("en") => Lang::En,
            _ => Lang::Ja,
        },
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = message_lang(cli.lang.as_deref());
    match cli.command {
        Command::Build(args) => run_build(&cli.root, args, lang),
        Command::Newsletter(args) => run_newsletter(&cli.root, args, lang),
        Command::Server(args) => {
            kpot::search::query::keep_answers(args.answers);
            let options = kpot::server::Options {
                root: cli.root.clone(),
                interface: args.interface,
                port: args.port,
                limits: kpot::server::Limits {
                    header_timeout: std::time::Duration::from_secs_f64(args.header_timeout),
                    max_connections: args.max_connections as usize,
                    shutdown_timeout: std::time::Duration::from_secs_f64(args.shutdown_timeout),
                },
                now: args.now,
            };
            match kpot::server::run(options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("kpot server: {err}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Serve(args) => {
            let options = kpot::serve::Options {
                root: cli.root.clone(),
                interface: args.interface,
                port: args.port,
                include_drafts: args.drafts,
                now: args.now,
                lang,
                editor: kpot::config::LocalEditor {
                    proxy_url: args.cms_proxy,
                    review: args.cms_review,
                },
            };
            match kpot::serve::run(options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("kpot serve: {err}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Check(args) => run_check(&cli.root, args, lang),
        Command::New(args) => run_new(&cli.root, args, lang),
        Command::Codeowners(args) => run_codeowners(&cli.root, args, lang),
        Command::Import(command) => run_import(&cli.root, command),
    }
}

fn run_import(root: &Path, command: ImportCommand) -> ExitCode {
    use kpot::import;
    let (result, format) = match command {
        ImportCommand::Jgrants(args) => {
            let options = import::jgrants::Options {
                root: root.to_path_buf(),
                api_url: args.api_url,
                keywords: args.keywords,
                areas: args.areas,
                pause: args.pause_ms.map(std::time::Duration::from_millis),
                politeness: args.common.politeness(),
                now: args.common.now,
                dry_run: args.common.dry_run,
            };
            (import::jgrants::run(&options), args.common.format)
        }
        ImportCommand::Ical(args) => {
            let options = import::ical::Options {
                root: root.to_path_buf(),
                source: args.source,
                org: args.org,
                months: args.months,
                politeness: args.common.politeness(),
                now: args.common.now,
                dry_run: args.common.dry_run,
            };
            (import::ical::run(&options), args.common.format)
        }
    };
    match result {
        Ok(summary) if format == "json" => {
            print!("{}", summary.json());
            ExitCode::SUCCESS
        }
        Ok(summary) => {
            print!("{}", summary.human());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("kpot import: {err}; nothing was written");
            ExitCode::from(2)
        }
    }
}

fn run_newsletter(root: &std::path::Path, args: NewsletterArgs, lang: Lang) -> ExitCode {
    use kpot::feeds::newsletter;
    let say = |ja: String, en: String| match lang {
        Lang::Ja => ja,
        Lang::En => en,
    };
    let day = |text: &str| kpot::when::When::parse(text).map(|w| w.day());
    let since = match day(&args.since) {
        Ok(d) => d,
        Err(err) => {
            eprintln!(
                "kpot: {}",
                say(
                    format!("--since を読めません: {err}"),
                    format!("cannot read --since: {err}")
                )
            );
            return ExitCode::from(2);
        }
    };
    let prepared = match kpot::build::prepare(root, args.now.as_deref(), false) {
        Ok(p) => p,
        Err(BuildError::Fatal(text)) => {
            eprintln!("kpot: {}", text.get(lang));
            return ExitCode::from(2);
        }
        Err(BuildError::Content(diagnostics)) => {
            for d in &diagnostics {
                eprintln!("{}", d.render(lang));
            }
            return ExitCode::from(1);
        }
    };
    if prepared.diagnostics.iter().any(|d| d.is_error()) {
        for d in prepared.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{}", d.render(lang));
        }
        eprintln!(
            "{}",
            say(
                "内容にエラーがあるため号を作れません".into(),
                "the content has errors; no issue written".into()
            )
        );
        return ExitCode::from(1);
    }
    let until = match args.until.as_deref().map(day) {
        Some(Ok(d)) => d,
        Some(Err(err)) => {
            eprintln!(
                "kpot: {}",
                say(
                    format!("--until を読めません: {err}"),
                    format!("cannot read --until: {err}")
                )
            );
            return ExitCode::from(2);
        }
        None => prepared.now.date_naive(),
    };
    if since > until {
        eprintln!(
            "kpot: {}",
            say(
                "--since は --until 以前の日付にしてください".into(),
                "--since must not be after --until".into()
            )
        );
        return ExitCode::from(2);
    }
    // Statuses are those of the issue date: "now" if it falls on that day,
    // else the start of the day.
    let at = if prepared.now.date_naive() == until {
        prepared.now
    } else {
        kpot::when::When::Day(until).start()
    };
    let site = prepared.site();
    let request = newsletter::Request {
        since,
        until,
        at,
        categories: args.categories,
    };
    let selection = newsletter::select(&site, &request);
    match newsletter::write_issue(&site, root, &request, &selection, args.force) {
        Ok(paths) => {
            for path in &paths {
                println!("{path}");
            }
            println!(
                "{}",
                say(
                    format!(
                        "号を書きました: 新着 {} 件、締切間近 {} 件、今後のイベント {} 件",
                        selection.new.len(),
                        selection.closing.len(),
                        selection.upcoming.len()
                    ),
                    format!(
                        "issue written: {} new, {} closing soon, {} upcoming events",
                        selection.new.len(),
                        selection.closing.len(),
                        selection.upcoming.len()
                    ),
                )
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("kpot: {err}");
            ExitCode::from(1)
        }
    }
}

fn run_check(root: &Path, args: CheckArgs, lang: Lang) -> ExitCode {
    let format = Format::parse(&args.format).unwrap_or(Format::Human);
    let mut changed = args.changed;
    if args.owner.is_some() && changed.is_empty() {
        if std::io::stdin().is_terminal() {
            eprintln!(
                "kpot: {}",
                Text::new(
                    "--owner には変更されたファイルの一覧が必要です。--changed で指定するか、標準入力に流してください（例: git diff --name-only origin/main... | kpot check --owner ORG）",
                    "--owner needs the changed files: give them with --changed or on standard input (e.g. git diff --name-only origin/main... | kpot check --owner ORG)",
                )
                .get(lang)
            );
            return ExitCode::from(2);
        }
        let mut input = String::new();
        if let Err(err) = std::io::stdin().read_to_string(&mut input) {
            eprintln!(
                "kpot: {}",
                Text::new(
                    format!("変更されたファイルの一覧を標準入力から読めません: {err}"),
                    format!("cannot read the changed files from standard input: {err}"),
                )
                .get(lang)
            );
            return ExitCode::from(2);
        }
        changed = input.lines().map(str::to_string).collect();
    }
    let prefix = path_prefix(root);
    let changed = changed
        .into_iter()
        .map(|p| strip_prefix(&p, &prefix))
        .collect();
    let options = CheckOptions {
        root: root.to_path_buf(),
        now: args.now,
        include_drafts: args.drafts,
        owner: args.owner,
        changed,
    };
    let report = match check::run(&options) {
        Ok(report) => report,
        Err(failure) => {
            let mut sources = report::Sources::new(root);
            let palette = report::Palette::new(color());
            for d in &failure.diagnostics {
                eprintln!("{}", report::human(d, &mut sources, lang, palette));
            }
            eprintln!("kpot: {}", failure.message.get(lang));
            return ExitCode::from(2);
        }
    };
    let diagnostics = &report.diagnostics;
    let summary = report::summary(
        diagnostics,
        report.files,
        report.elapsed.as_secs_f64(),
        lang,
    );
    match format {
        Format::Human => {
            let mut sources = report::Sources::new(root);
            let palette = report::Palette::new(color());
            for d in diagnostics {
                eprintln!("{}", report::human(d, &mut sources, lang, palette));
            }
        }
        Format::Json => print!("{}", report::json(diagnostics, report.files)),
        Format::Github => print!("{}", report::github(diagnostics, &prefix, lang)),
        Format::Gitlab => {
            print!("{}", report::gitlab(diagnostics, &prefix, lang));
            // The report goes to a file; the job log still shows the problems.
            let mut sources = report::Sources::new(root);
            for d in diagnostics {
                eprintln!(
                    "{}",
                    report::human(d, &mut sources, lang, report::Palette::new(false))
                );
            }
        }
    }
    eprintln!("{summary}");
    if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The site folder as a prefix for paths in CI annotations, which GitHub
/// and GitLab expect relative to the repository (the working directory):
/// empty when the site is the current folder.
fn path_prefix(root: &Path) -> PathBuf {
    // A site outside the working directory cannot be named relative to
    // it; its paths then stay relative to the site, as people read them.
    let relative = if root.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| root.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_default()
    } else {
        root.to_path_buf()
    };
    relative
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// A changed path as Git prints it (from the repository root) made
/// relative to the site folder.
fn strip_prefix(path: &str, prefix: &Path) -> String {
    let trimmed = path.trim().trim_start_matches("./");
    if prefix.as_os_str().is_empty() {
        return trimmed.to_string();
    }
    let prefix = prefix.to_string_lossy().replace('\\', "/");
    trimmed
        .strip_prefix(&format!("{prefix}/"))
        .unwrap_or(trimmed)
        .to_string()
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn run_new(root: &Path, args: NewArgs, lang: Lang) -> ExitCode {
    let kind = if args.kind == "notice" {
        new::Kind::Notice
    } else {
        new::Kind::Event
    };
    let options = new::NewOptions {
        root: root.to_path_buf(),
        kind,
        org: args.org,
        title: args.title,
        slug: args.slug,
        start: args.start,
        end: args.end,
        format: args.format,
        venue: args.venue,
        opens: args.opens,
        closes: args.closes,
        now: args.now,
    };
    match new::run(&options) {
        Ok(written) => {
            for note in &written.notes {
                eprintln!("{}", note.get(lang));
            }
            println!("{}", written.path.display());
            eprintln!(
                "{}",
                match lang {
                    Lang::Ja => "空欄（\"\"）を埋めてから kpot check で確かめてください。",
                    Lang::En => "fill in the blanks (\"\"), then run kpot check.",
                }
            );
            ExitCode::SUCCESS
        }
        Err(new::NewError::Usage(text)) => {
            eprintln!("kpot: {}", text.get(lang));
            ExitCode::from(1)
        }
        Err(new::NewError::Fatal(text)) => {
            eprintln!("kpot: {}", text.get(lang));
            ExitCode::from(2)
        }
    }
}

fn run_codeowners(root: &Path, args: CodeownersArgs, lang: Lang) -> ExitCode {
    if !root.is_dir() {
        eprintln!(
            "kpot: {}",
            Text::new(
                format!("サイトのフォルダ {} がありません", root.display()),
                format!("the site folder {} does not exist", root.display()),
            )
            .get(lang)
        );
        return ExitCode::from(2);
    }
    let (data, problems) = kpot::data::load(root);
    let mut problems: Vec<_> = problems.into_iter().filter(|d| d.is_error()).collect();
    let text = match check::owner::codeowners(&data, &args.default_owners) {
        Ok(text) if problems.is_empty() => text,
        Ok(_) => String::new(),
        Err(found) => {
            problems.extend(found);
            String::new()
        }
    };
    if !problems.is_empty() {
        let mut sources = report::Sources::new(root);
        for d in &problems {
            eprintln!(
                "{}",
                report::human(d, &mut sources, lang, report::Palette::new(color()))
            );
        }
        return ExitCode::from(1);
    }
    if args.output == "-" {
        print!("{text}");
        return ExitCode::SUCCESS;
    }
    let target = root.join(&args.output);
    match kpot::output::write_file_atomically(&target, text.as_bytes()) {
        Ok(()) => {
            println!("{}", args.output);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!(
                "kpot: {}",
                Text::new(
                    format!("{} に書き込めません: {err}", target.display()),
                    format!("cannot write {}: {err}", target.display()),
                )
                .get(lang)
            );
            ExitCode::from(2)
        }
    }
}

fn run_build(root: &std::path::Path, args: BuildArgs, lang: Lang) -> ExitCode {
    let spinner = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(if lang == Lang::Ja {
            "ビルド中…"
        } else {
            "building…"
        });
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(bar)
    } else {
        None
    };
    let result = build(&BuildOptions {
        root: root.to_path_buf(),
        output_dir: args.output_dir,
        index_dir: args.index_dir,
        now: args.now,
        include_drafts: args.drafts,
    });
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    match result {
        Ok(report) => {
            let warnings = report.warning_count;
            if std::env::var_os("KPOT_TIMINGS").is_some() {
                for stage in &report.stages {
                    let cpu = stage.cpu.map_or(String::new(), |cpu| {
                        format!("  cpu {:8.1} ms", cpu.as_secs_f64() * 1000.0)
                    });
                    let resident = stage.resident.map_or(String::new(), |bytes| {
                        format!("  resident {:6} MiB", bytes >> 20)
                    });
                    eprintln!(
                        "{:>14}: {:8.1} ms{cpu}{resident}",
                        stage.name,
                        stage.wall.as_secs_f64() * 1000.0
                    );
                }
            }
            if warnings > 0 && warnings <= kpot::build::SHOWN_WARNINGS {
                let mut sources = report::Sources::new(root);
                let palette = report::Palette::new(color());
                for warning in &report.warnings {
                    eprint!("{}", report::human(warning, &mut sources, lang, palette));
                }
            }
            let seconds = report.elapsed.as_secs_f64();
            match lang {
                Lang::Ja => println!(
                    "ビルド完了: 日本語 {} ページ、英語 {} ページ、ファイル {} 件（フィード・カレンダー {} 件、書き込み {} 件、削除 {} 件）、検索文書 {} 件（{}）、警告 {} 件、{seconds:.2} 秒",
                    report.pages[0],
                    report.pages[1],
                    report.files,
                    report.feeds,
                    report.written,
                    report.removed,
                    report.indexed,
                    if report.index_rebuilt {
                        "索引を更新"
                    } else {
                        "索引は変更なし"
                    },
                    warnings
                ),
                Lang::En => println!(
                    "built: {} Japanese pages, {} English pages, {} files ({} feeds and calendars; {} written, {} removed), {} search documents ({}), {} warnings in {seconds:.2} s",
                    report.pages[0],
                    report.pages[1],
                    report.files,
                    report.feeds,
                    report.written,
                    report.removed,
                    report.indexed,
                    if report.index_rebuilt {
                        "index rebuilt"
                    } else {
                        "index unchanged"
                    },
                    warnings
                ),
            }
            if warnings > kpot::build::SHOWN_WARNINGS {
                eprintln!(
                    "{}",
                    match lang {
                        Lang::Ja => "警告が多いため表示を省きました。kpot check で一覧できます。",
                        Lang::En => "warnings not shown (too many); run kpot check to list them.",
                    }
                );
            }
            ExitCode::SUCCESS
        }
        Err(BuildError::Content(diagnostics)) => {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            // The same form as `kpot check`: the source line and a caret.
            let mut sources = report::Sources::new(root);
            let palette = report::Palette::new(color());
            for d in &diagnostics {
                eprint!("{}", report::human(d, &mut sources, lang, palette));
            }
            match lang {
                Lang::Ja => eprintln!(
                    "ビルドを中止しました: エラー {errors} 件（public/ は変更していません）"
                ),
                Lang::En => eprintln!("build failed: {errors} errors (public/ was left unchanged)"),
            }
            ExitCode::from(1)
        }
        Err(BuildError::Fatal(text)) => {
            eprintln!("kpot: {}", text.get(lang));
            ExitCode::from(2)
        }
    }
}
