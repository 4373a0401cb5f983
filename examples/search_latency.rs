//! Query latency in process: opens a built index and runs a fixed set of
//! Japanese and English queries, printing p50/p99 per query kind.
//!
//!     cargo run --release --example search_latency -- SITE_ROOT [ROUNDS] [ONLY]
//!
//! With ONLY, just the queries that contain it run (for profiling one).

use kpot::search::{Request, SearchIndex, Sort};
use std::time::Instant;

/// What SME owners type: program names, parts of compounds, places, numbers,
/// full-width forms, English.
const QUERIES: &[(&str, &str)] = &[
    ("事業再生", "ja"),
    ("再生", "ja"),
    ("補助金", "ja"),
    ("資金繰り改善", "ja"),
    ("生成AI活用", "ja"),
    ("DX推進 セミナー", "ja"),
    ("横浜 展示会", "ja"),
    ("事業承継", "ja"),
    ("ＫＩＰ", "ja"),
    ("ｾﾐﾅｰ", "ja"),
    ("創業 融資", "ja"),
    ("経営改善計画", "ja"),
    ("サイバーセキュリティ", "ja"),
    ("045-", "ja"),
    ("海外展開", "ja"),
    ("subsidy", "en"),
    ("business turnaround", "en"),
    ("seminar yokohama", "en"),
    ("startup loans", "en"),
    ("digital transformation", "en"),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let root = args
        .next()
        .expect("usage: search_latency SITE_ROOT [ROUNDS]");
    let rounds: usize = args
        .next()
        .map_or(20, |r| r.parse().expect("ROUNDS is a number"));
    let only = args.next().unwrap_or_default();
    let opened = Instant::now();
    let index = SearchIndex::open(&std::path::Path::new(&root).join("search-index/index"))
        .expect("a built index (run kpot build first)");
    println!(
        "index: {} documents, opened in {:.0} ms",
        index.num_docs(),
        opened.elapsed().as_secs_f64() * 1000.0
    );
    let now = kpot::when::When::parse("2026-11-22").unwrap().start();
    let cpu_before = cpu_ns();
    let mut plain = Vec::new();
    let mut filtered = Vec::new();
    let mut slowest: Vec<(f64, &str, bool, usize)> = Vec::new();
    for round in 0..=rounds {
        for (q, lang) in QUERIES.iter().filter(|(q, _)| q.contains(only.as_str())) {
            for (with_filters, samples) in [(false, &mut plain), (true, &mut filtered)] {
                let request = Request {
                    q: q.to_string(),
                    lang: Some(lang.to_string()),
                    types: if with_filters {
                        vec!["event".into(), "notice".into()]
                    } else {
                        vec![]
                    },
                    statuses: if with_filters {
                        vec!["upcoming".into(), "open".into()]
                    } else {
                        vec![]
                    },
                    sort: Sort::Relevance,
                    page: 1,
                    per_page: 20,
                    ..Request::default()
                };
                let started = Instant::now();
                let response = index.search(&request, now);
                let elapsed = started.elapsed().as_secs_f64() * 1000.0;
                std::hint::black_box(response.total);
                if round > 0 {
                    samples.push(elapsed); // round 0 warms the caches
                    slowest.push((elapsed, q, with_filters, response.total));
                }
            }
        }
    }
    let cpu_ms = (cpu_ns() - cpu_before) as f64 / 1e6;
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    slowest.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2);
    for (ms, q, filtered, total) in slowest.iter().take(5) {
        println!("  slow: {ms:.2} ms  {q:?}  filtered={filtered}  matches={total}");
    }
    for (name, samples) in [("plain", &mut plain), ("filtered", &mut filtered)] {
        samples.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "{name:>8}: {} queries  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            samples.len(),
            pct(0.5),
            pct(0.9),
            pct(0.99),
            samples[samples.len() - 1]
        );
    }
    // CPU time, all threads: steadier than wall time on a busy machine.
    let count = plain.len() + filtered.len();
    println!(
        "     cpu: {:.2} ms per query on average ({count} queries after warm-up, all threads)",
        cpu_ms / (count as f64 * (rounds + 1) as f64 / rounds as f64)
    );
}

/// Nanoseconds on CPU of all this process's threads (Linux schedstat).
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}
