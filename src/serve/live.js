// kpot serve: live reload and the error overlay. Injected only by
// `kpot serve`, never part of a build.
(() => {
  "use strict";
  const OVERLAY = "kpot-serve-overlay";
  // The output file this page was served from: /en/ → en/index.html.
  const own = (() => {
    let path = decodeURIComponent(location.pathname).replace(/^\/+/, "");
    if (path === "" || path.endsWith("/")) path += "index.html";
    return path;
  })();

  function hideOverlay() {
    const old = document.getElementById(OVERLAY);
    if (old) old.remove();
  }

  // Every text goes in through textContent: a message quoting the broken
  // source is shown, never interpreted.
  function showOverlay(payload) {
    hideOverlay();
    const box = document.createElement("div");
    box.id = OVERLAY;
    box.setAttribute("role", "alert");
    box.style.cssText =
      "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
      "background:rgba(20,20,20,.92);color:#fff;font:14px/1.5 monospace;";
    const title = document.createElement("h2");
    title.textContent = "kpot serve: build error (the last good version is still served)";
    title.style.cssText = "margin:0 0 1rem;font-size:1.2rem;color:#ff8a80";
    box.append(title);
    for (const error of payload.errors || []) {
      const item = document.createElement("div");
      item.className = "kpot-serve-error";
      item.style.cssText = "margin:0 0 1rem;white-space:pre-wrap";
      const where = document.createElement("div");
      where.className = "kpot-serve-where";
      where.style.color = "#80d8ff";
      where.textContent =
        error.file + (error.line ? ":" + error.line + (error.column ? ":" + error.column : "") : "");
      const message = document.createElement("div");
      message.className = "kpot-serve-message";
      message.textContent = (error.field ? "[" + error.field + "] " : "") + error.message;
      item.append(where, message);
      if (error.help) {
        const help = document.createElement("div");
        help.style.color = "#ccc";
        help.textContent = error.help;
        item.append(help);
      }
      box.append(item);
    }
    document.body.append(box);
  }

  const events = new EventSource("/__kpot/events");
  // For tests and the curious: whether the page is listening.
  events.addEventListener("open", () => {
    document.documentElement.dataset.kpotServe = "connected";
  });
  events.addEventListener("reload", (event) => {
    const changed = JSON.parse(event.data);
    // Reload when this page, or anything it may load that is not a page
    // or a stylesheet (scripts, images), changed.
    const matters = changed.some((path) => path === own || !/\.(html|css|xml|ics|txt|eml)$/.test(path));
    if (matters) location.reload();
  });
  events.addEventListener("css", (event) => {
    const changed = JSON.parse(event.data);
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      if (changed.includes(url.pathname.replace(/^\/+/, ""))) {
        url.searchParams.set("kpot-reload", String(Date.now()));
        link.href = url.href;
      }
    }
  });
  events.addEventListener("problems", (event) => showOverlay(JSON.parse(event.data)));
  events.addEventListener("fixed", () => {
    hideOverlay();
    // The page may have changed while the error stood.
    location.reload();
  });
})();
