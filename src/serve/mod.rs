//! `kpot serve`: a preview that follows the editor. The site is built in
//! memory and served with the search API; every save re-renders just the
//! files it can change, and open pages reload themselves (or swap their
//! stylesheet) through server-sent events. A save that breaks the site
//! shows its errors on the page while the last good version stays served.

mod http;
mod state;

pub use state::{IndexWork, Outcome, Published, Session, Settings};

use crate::check::report;
use crate::diagnostics::Diagnostic;
use crate::format::Lang;
use crate::server::AppState;
use axum::body::Bytes;
use std::collections::HashMap;
use std::future::IntoFuture;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How long the sources must be quiet before a batch is handled: an editor's
/// save is a burst of events well within this.
const QUIET: Duration = Duration::from_millis(10);
/// The longest a batch waits while events keep coming (a checkout).
const LONGEST: Duration = Duration::from_millis(500);

pub struct Options {
    pub root: PathBuf,
    pub interface: String,
    pub port: u16,
    pub include_drafts: bool,
    /// Fixed "now", as for `kpot build --now`.
    pub now: Option<String>,
    pub lang: Lang,
    /// The web editor at `/admin/`: Decap CMS's local proxy (`npx
    /// decap-server`) and whether saves go through review.
    pub editor: crate::config::LocalEditor,
}

/// What the HTTP side reads and the rebuild side writes.
pub struct Live {
    /// Output path (`en/events/index.html`) → bytes.
    pub files: RwLock<HashMap<String, Bytes>>,
    /// The overlay's content while the sources have errors.
    pub problems: RwLock<Option<serde_json::Value>>,
    pub events: tokio::sync::broadcast::Sender<Signal>,
    pub search: Arc<AppState>,
}

/// What open pages are told.
#[derive(Clone, Debug)]
pub enum Signal {
    /// These output files changed: a page showing one reloads.
    Reload(Vec<String>),
    /// Only these stylesheets changed: swap them without a reload.
    Css(Vec<String>),
    /// The sources have errors: show them.
    Problems(serde_json::Value),
    /// The errors are gone.
    Fixed,
}

/// Builds, serves and watches until SIGTERM or Ctrl-C.
pub fn run(options: Options) -> Result<(), String> {
    let root = std::fs::canonicalize(&options.root)
        .map_err(|e| format!("the site folder {}: {e}", options.root.display()))?;
    let settings = Settings {
        root: root.clone(),
        now: options.now.clone(),
        include_drafts: options.include_drafts,
        lang: options.lang,
        editor: options.editor.clone(),
    };
    // The search index lives outside the site: serving never touches the
    // site's own files.
    let scratch = Scratch(std::env::temp_dir().join(format!("kpot-serve-{}", std::process::id())));
    std::fs::create_dir_all(&scratch.0)
        .map_err(|e| format!("cannot create {}: {e}", scratch.0.display()))?;
    let index_dir = scratch.0.join("index");
    let (events, _) = tokio::sync::broadcast::channel(64);
    let live = Arc::new(Live {
        files: RwLock::new(HashMap::new()),
        problems: RwLock::new(None),
        events,
        search: crate::server::state_with_index(&root, &index_dir, false)?,
    });
    // Search answers as of the same "now" as the pages (a bad --now is
    // reported by the first build).
    if let Some(Ok(now)) = options.now.as_deref().map(|t| crate::when::now_or(Some(t))) {
        live.search.fix_now(now);
    }

    // Watch before the first build, so no save during it is missed.
    let mut watcher = crate::watch::Watcher::new(&root)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    let (mut session, outcome) = Session::start(settings, live.clone());
    report_outcome(&session, "", &outcome);
    // The first index is ready before the address is printed; later
    // updates run on their own thread, in order, while pages are served.
    if let Some(work) = session.index_work() {
        let started = std::time::Instant::now();
        report_index(work.run(&index_dir, &live), started);
    }
    let (index_sender, index_jobs) = std::sync::mpsc::channel::<IndexWork>();
    let index_live = live.clone();
    std::thread::Builder::new()
        .name("kpot-index".into())
        .spawn(move || {
            for work in index_jobs {
                let started = std::time::Instant::now();
                report_index(work.run(&index_dir, &index_live), started);
            }
        })
        .map_err(|e| e.to_string())?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let address: SocketAddr = format!("{}:{}", options.interface, options.port)
        .parse()
        .map_err(|e| format!("bad address {}:{}: {e}", options.interface, options.port))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(address))
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    // Tests and scripts read this line for the port (with --port 0).
    eprintln!("kpot serve: http://{bound}/ (watching {})", root.display());

    std::thread::Builder::new()
        .name("kpot-rebuild".into())
        .spawn(move || {
            while let Some(batch) = watcher.next_batch(QUIET, LONGEST) {
                let outcome = session.apply(&batch);
                report_outcome(&session, &batch.join(" "), &outcome);
                if matches!(outcome, Outcome::Published(_))
                    && let Some(work) = session.index_work()
                {
                    let _ = index_sender.send(work);
                }
            }
        })
        .map_err(|e| e.to_string())?;

    let app = http::router(live);
    // No graceful shutdown: open pages hold their event streams forever,
    // and a preview has nothing to finish.
    let result = runtime.block_on(async {
        tokio::select! {
            served = axum::serve(listener, app).into_future() => served.map_err(|e| e.to_string()),
            () = crate::server::shutdown_signal() => Ok(()),
        }
    });
    drop(scratch);
    runtime.shutdown_background();
    result
}

/// A temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reports an index update; problems are reported, not fatal (the pages
/// are served all the same).
fn report_index(result: Result<String, String>, started: std::time::Instant) {
    match result {
        Ok(done) => eprintln!(
            "kpot serve: search index: {done} in {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        ),
        Err(err) => eprintln!("kpot serve: search index not updated: {err}"),
    }
}

/// One line per batch, plus diagnostics as `kpot build` shows them.
fn report_outcome(session: &Session, what: &str, outcome: &Outcome) {
    let settings = session.settings();
    let print = |problems: &[Diagnostic]| {
        let mut sources = report::Sources::new(&settings.root);
        let palette = report::Palette::new(
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        );
        for d in problems {
            eprint!("{}", report::human(d, &mut sources, settings.lang, palette));
        }
    };
    let what = if what.is_empty() { "start" } else { what };
    match outcome {
        Outcome::Published(p) => {
            print(&p.warnings);
            eprintln!(
                "kpot serve: {what}: rewrote {} of {} files, removed {}, rendered {}; pages served after {:.1} ms, feeds and sitemap after {:.1} ms",
                p.written,
                p.total,
                p.removed,
                p.rendered,
                p.elapsed.as_secs_f64() * 1000.0,
                p.background.as_secs_f64() * 1000.0
            );
        }
        Outcome::Failed(problems) => {
            print(problems);
            eprintln!(
                "kpot serve: {what}: {} errors; the last good version is still served",
                problems.len()
            );
        }
        Outcome::Nothing => eprintln!("kpot serve: {what}: nothing to rebuild"),
    }
}
