#!/usr/bin/env python3
"""Save → served latency of `kpot serve`.

Copies a site to a temporary folder, starts `kpot serve` on it, then edits
one page (and, separately, the page's template) again and again. Each time
it measures from the moment the file is written to the moment the new bytes
are served over HTTP, polling the page's URL as fast as it can on a kept-
alive connection: the watcher's debounce, the incremental rebuild and the
swap are all included. Prints the median, 90th percentile and worst of
each series.

  python3 bench/serve-latency.py --root . --edits 20
  python3 /work/shared/bench/gen_corpus.py --pages 10000 --out /tmp/corpus-10k --seed 1
  python3 bench/serve-latency.py --root /tmp/corpus-10k --edits 20

Use a release build (`cargo build --release`); --kpot picks the binary.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def copy_site(source: Path, target: Path) -> None:
    for name in ["content", "data", "static", "themes"]:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
    if (source / "config.toml").is_file():
        shutil.copy(source / "config.toml", target / "config.toml")
    if (source / "search-index" / "config.toml").is_file():
        (target / "search-index").mkdir()
        shutil.copy(source / "search-index" / "config.toml", target / "search-index" / "config.toml")
    if not (target / "themes").is_dir():
        # The embedded theme, on disk so that its templates can be edited.
        shutil.copytree(REPO / "themes", target / "themes")


class Server:
    def __init__(self, kpot: str, root: Path):
        self.process = subprocess.Popen(
            [kpot, "--root", str(root), "--lang", "en", "serve", "--port", "0", "--now", "2026-11-22"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait(lambda l: l.startswith("kpot serve: http://"))
        self.address = line.split("http://", 1)[1].split("/", 1)[0]
        host, port = self.address.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port))

    def _read(self):
        for line in self.process.stderr:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait(self, wanted, start=0, timeout=600):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    if wanted(line):
                        return line
                start = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    sys.exit("kpot serve said:\n" + "\n".join(self.lines))
                self.cond.wait(left)

    def get(self, path: str) -> bytes:
        try:
            self.conn.request("GET", path)
            return self.conn.getresponse().read()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()
            self.conn.connect()
            return b""

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def pick_page(root: Path) -> Path:
    pages = sorted(
        p
        for p in (root / "content" / "events").rglob("*.md")
        if not p.name.startswith("_index") and not p.name.endswith(".en.md")
    )
    return pages[len(pages) // 2]


def url_of(server: Server, page: Path) -> str:
    stem = re.sub(r"^\d{4}-\d{2}-\d{2}[-_]", "", page.name[: -len(".md")])
    text = page.read_text()
    slug = re.search(r'^slug\s*=\s*"([^"]+)"', text, re.M)
    slug = slug.group(1) if slug else stem
    files = json.loads(server.get("/__kpot/files"))
    matches = [p for p in files if p.endswith(f"/{slug}/index.html") and not p.startswith("en/")]
    if len(matches) != 1:
        sys.exit(f"cannot tell the URL of {page}: {matches}")
    return "/" + matches[0][: -len("index.html")]


def measure(server: Server, url: str, path: Path, edit, count: int, pause: float, index_too=True):
    original = path.read_text()
    times = []
    try:
        for i in range(count):
            token = f"kpot-bench-{os.getpid()}-{i}-{time.monotonic_ns()}"
            text = edit(original, token)
            seen = len(server.lines)
            start = time.perf_counter()
            with open(path, "w") as f:
                f.write(text)
            while token.encode() not in server.get(url):
                if time.perf_counter() - start > 120:
                    sys.exit(f"{url} never showed the edit; kpot serve said:\n" + "\n".join(server.lines[-20:]))
            times.append((time.perf_counter() - start) * 1000)
            # Measure each save on an idle server: wait until this rebuild
            # is done (feeds and sitemap included), then a little for the
            # search index update that follows it.
            server.wait(lambda l: ": rewrote " in l or " errors;" in l, start=seen)
            if index_too:
                # And the search index update that follows a content edit.
                server.wait(lambda l: "search index" in l, start=seen)
            time.sleep(pause)
    finally:
        path.write_text(original)
        time.sleep(pause + 2)
    return times


def summary(name: str, times):
    ordered = sorted(times)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    print(
        f"{name:<16} n={len(times):<3} median {statistics.median(times):7.1f} ms"
        f"   p90 {p90:7.1f} ms   worst {max(times):7.1f} ms   best {min(times):6.1f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True, help="the site to copy and serve")
    parser.add_argument("--kpot", default=str(REPO / "target" / "release" / "kpot"))
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds after a rebuild before the next edit")
    parser.add_argument("--skip-template", action="store_true")
    parser.add_argument("--log", help="write what kpot serve said to this file")
    parser.add_argument(
        "--page-edits", default="body,description,title", help="which page edits to time: body, description, title"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kpot-serve-bench-") as tmp:
        root = Path(tmp) / "site"
        root.mkdir()
        copy_site(Path(args.root), root)
        pages = sum(1 for _ in (root / "content").rglob("*.md"))
        started = time.perf_counter()
        server = Server(args.kpot, root)
        server.wait(lambda l: "search index:" in l or "search index not" in l)
        print(f"site: {args.root} ({pages} Markdown files), ready in {time.perf_counter() - started:.1f} s")
        try:
            page = pick_page(root)
            url = url_of(server, page)
            print(f"page: {page.relative_to(root)} at {url}")
            edits = {
                # Text in the body: the page and its feeds change.
                "body": lambda text, token: text.rstrip("\n") + f"\n\n{token}\n",
                # The description: every list that shows the page too.
                "description": lambda text, token: re.sub(
                    r'^description = "', f'description = "{token} ', text, count=1, flags=re.M
                ),
                # The title: lists may reorder, so the plan is worked out again.
                "title": lambda text, token: re.sub(
                    r'^title = "', f'title = "{token} ', text, count=1, flags=re.M
                ),
            }
            for kind in args.page_edits.split(","):
                summary(f"page {kind}", measure(server, url, page, edits[kind], args.edits, args.pause))
            if not args.skip_template:
                template = root / "themes" / "kpot" / "templates" / "event.html"

                def template_edit(text, token):
                    return text.replace("{% endblock %}", f"<!-- {token} -->{{% endblock %}}", 1)

                summary("template edit", measure(server, url, template, template_edit, args.edits, args.pause, index_too=False))
            if args.log:
                Path(args.log).write_text("\n".join(server.lines) + "\n")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
