//! The `kpot` command line.

use clap::{Args, Parser, Subcommand};
use kpot::build::{BuildError, BuildOptions, build};
use kpot::format::Lang;
use std::io::IsTerminal;
use std::path::PathBuf;
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
}

#[derive(Args)]
struct ServerArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    interface: String,
    #[arg(long, default_value_t = 8080)]
    port: u16,
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
            let options = kpot::server::Options {
                root: cli.root.clone(),
                interface: args.interface,
                port: args.port,
            };
            match kpot::server::run(options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("kpot server: {err}");
                    ExitCode::from(2)
                }
            }
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
    let site = kpot::render::Site::new(
        &prepared.config,
        &prepared.data,
        &prepared.content,
        &prepared.catalog,
        &prepared.bodies,
        prepared.now,
        &prepared.theme,
        &prepared.env,
    );
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
        now: args.now,
        include_drafts: args.drafts,
    });
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    match result {
        Ok(report) => {
            let warnings = report.warnings.len();
            if std::env::var_os("KPOT_TIMINGS").is_some() {
                for (stage, time) in &report.stages {
                    eprintln!("{stage:>10}: {:8.1} ms", time.as_secs_f64() * 1000.0);
                }
            }
            if warnings > 0 && warnings <= 20 {
                for warning in &report.warnings {
                    eprintln!("{}", warning.render(lang));
                }
            }
            let seconds = report.elapsed.as_secs_f64();
            match lang {
                Lang::Ja => println!(
                    "ビルド完了: 日本語 {} ページ、英語 {} ページ、ファイル {} 件（フィード・カレンダー {} 件）、検索文書 {} 件、警告 {} 件、{seconds:.2} 秒",
                    report.pages[0],
                    report.pages[1],
                    report.files,
                    report.feeds,
                    report.indexed,
                    warnings
                ),
                Lang::En => println!(
                    "built: {} Japanese pages, {} English pages, {} files ({} feeds and calendars), {} search documents, {} warnings in {seconds:.2} s",
                    report.pages[0],
                    report.pages[1],
                    report.files,
                    report.feeds,
                    report.indexed,
                    warnings
                ),
            }
            if warnings > 20 {
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
            for d in &diagnostics {
                eprintln!("{}", d.render(lang));
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
