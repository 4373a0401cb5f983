// Shared helpers for kpot's browser tests: Debian's Chromium driven by
// playwright-core (no browser download), axe-core injected into a page, and
// the bytes a page load transfers. Any browser test in tests/browser/ can
// import this module; `bash .ci/install-deps` installs what it needs.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);

/** Where Debian's chromium package puts the browser (override: CHROMIUM). */
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/**
 * Flags for a closed network: without the networking ones Chromium keeps
 * trying to reach Google's hosts. Root (CI) needs --no-sandbox.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Stops with a message that says how to install what is missing. */
export function requireBrowser() {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM})`);
  for (const pkg of ["playwright-core", "axe-core"]) {
    try {
      require.resolve(pkg);
    } catch {
      missing.push(`the npm package ${pkg} (tests/browser/node_modules)`);
    }
  }
  if (missing.length) {
    throw new Error(
      `missing ${missing.join(" and ")}: run \`bash .ci/install-deps\``,
    );
  }
}

/**
 * A headless Chromium context in a fresh, throw-away profile.
 * `options` are Playwright context options (viewport, javaScriptEnabled,
 * locale …). Call `close()` on the result: it also removes the profile.
 */
export async function launch(options = {}) {
  requireBrowser();
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "kpot-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      timeout: 30_000,
      ...options,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const close = context.close.bind(context);
  context.close = async () => {
    try {
      await close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  return context;
}

const AXE_SOURCE = () =>
  readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core on the page as it is now. Pages loaded with JavaScript off
 * cannot run it, so the caller checks those in a JavaScript context.
 * Returns axe's violations, each with `impact`, `id`, `help` and `nodes`.
 */
export async function axe(page) {
  const loaded = await page.evaluate(() => typeof window.axe === "object");
  if (!loaded) {
    // Evaluated through DevTools, not as an inline <script>: the site's
    // Content-Security-Policy forbids those, and must not be weakened.
    await page.evaluate(AXE_SOURCE());
  }
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
    }));
  });
  return result;
}

/** Counts axe violations by impact: {critical, serious, moderate, minor}. */
export function byImpact(violations) {
  const counts = { critical: 0, serious: 0, moderate: 0, minor: 0 };
  for (const v of violations) counts[v.impact || "minor"] += v.nodes.length;
  return counts;
}

/**
 * Loads `url` in a fresh page with an empty cache and returns the bytes
 * transferred on the wire (headers and compressed bodies, as Chromium's
 * network panel counts them), in all and by resource type.
 */
export async function pageWeight(context, url) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const types = new Map();
  const byType = {};
  let total = 0;
  let requests = 0;
  cdp.on("Network.responseReceived", (e) => types.set(e.requestId, e.type));
  cdp.on("Network.loadingFinished", (e) => {
    const type = (types.get(e.requestId) || "Other").toLowerCase();
    byType[type] = (byType[type] || 0) + e.encodedDataLength;
    total += e.encodedDataLength;
    requests += 1;
  });
  await page.goto(url, { waitUntil: "networkidle" });
  await page.close();
  return { url, total, requests, byType };
}

/**
 * Reports every Content-Security-Policy violation in `context` (the
 * browser's console message and the page's `securitypolicyviolation`
 * event), and every page served without a policy, to `report(text)`.
 */
export async function watchCsp(context, report) {
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
    });
  });
  context.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy|CSP violation/i.test(text)) report(`${message.location().url || "?"}: ${text}`);
  });
  context.on("response", async (response) => {
    if (response.request().resourceType() !== "document") return;
    const policy = (await response.allHeaders())["content-security-policy"];
    if (!policy || !/script-src 'self'/.test(policy)) report(`${response.url()}: served without a Content-Security-Policy limiting scripts`);
  });
}
