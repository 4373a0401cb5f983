// The kpot theme in a real browser: headless Chromium (Debian's, through
// playwright-core) against a running `kpot server`, with axe-core on every
// page. Run by tests/browser.rs on the browser fixture site:
//
//   node tests/browser/run.mjs <base-url> <screenshot-dir>
//
// Exits 1 if any check fails or axe finds a serious or critical violation;
// prints axe's findings by page and impact, and the bytes transferred for the
// home page and an event page. Screenshots of each page at 360 px and
// 1280 px go to <screenshot-dir> (not committed).

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { axe, byImpact, launch, pageWeight, watchCsp } from "./chromium.mjs";

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error("usage: node tests/browser/run.mjs <base-url> <screenshot-dir>");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

// Paths in the fixture site (tests/browser/site/ over the bundled portal,
// built with --now 2027-02-15).
const EVENT = "/events/browser-test/export-seminar/";
const EVENT_EN = "/en/events/browser-test/export-seminar/";
const EVENT_FALLBACK_EN = "/en/events/browser-test/online-dx-clinic/";
const NOTICE = "/notices/browser-test/equipment-subsidy/";
const NOTICE_CLOSING = "/notices/browser-test/startup-grant/";
const PROGRAM = "/programs/management-innovation-plan/";

const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

const failures = [];
const axeResults = [];
const timings = [];

function check(ok, message) {
  if (!ok) failures.push(message);
  return ok;
}

/** Runs one named step; a throw is a failure, and the run goes on. */
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
  } catch (err) {
    failures.push(`${name}: ${err && err.stack ? err.stack.split("\n").slice(0, 4).join("\n") : err}`);
  }
  timings.push([name, Date.now() - started]);
}

const url = (path) => new URL(path, base).href;
const pathOf = (page) => {
  const u = new URL(page.url());
  return u.pathname + u.search;
};

/** What every page must have, whatever its template. */
async function commonChecks(page, name) {
  const facts = await page.evaluate(() => {
    const q = (s) => document.querySelectorAll(s).length;
    return {
      lang: document.documentElement.getAttribute("lang"),
      h1: q("h1"),
      banner: q("body > header"),
      main: q("main#main"),
      nav: q("nav[aria-label]"),
      footer: q("body > footer"),
      title: document.title,
      skipFirst: document.querySelector("body a")?.classList.contains("skip-link"),
      scripts: [...document.scripts].filter((s) => s.src).map((s) => new URL(s.src).pathname),
      styles: [...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => new URL(l.href).pathname),
      fonts: [...document.fonts].length,
      maps: q('iframe, img[src*="map"]'),
    };
  });
  check(["ja", "en"].includes(facts.lang), `${name}: <html lang> is ${facts.lang}`);
  check(facts.h1 === 1, `${name}: ${facts.h1} h1 elements (want exactly one)`);
  check(facts.banner === 1 && facts.main === 1 && facts.footer === 1 && facts.nav >= 1,
    `${name}: landmarks header/main/footer/nav missing: ${JSON.stringify(facts)}`);
  check(facts.title.length > 0, `${name}: empty <title>`);
  check(facts.skipFirst, `${name}: the skip link is not the first link`);
  check(facts.scripts.length <= 1 && facts.scripts.every((s) => s === "/kpot.js"),
    `${name}: scripts other than /kpot.js: ${facts.scripts}`);
  check(facts.styles.length === 1 && facts.styles[0] === "/kpot.css",
    `${name}: stylesheets other than /kpot.css: ${facts.styles}`);
  check(facts.fonts === 0, `${name}: the page declares ${facts.fonts} web fonts`);
  check(facts.maps === 0, `${name}: the page embeds a map or frame`);
}

/** The page fits the viewport: nothing makes a phone scroll sideways. */
async function fitsWidth(page, name, width) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= width, `${name}: the page is ${wide}px wide in a ${width}px viewport`);
}

/** Tab from the top: the skip link comes first, shows, and moves focus to main. */
async function keyboardStart(page, name) {
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => {
    const a = document.activeElement;
    const r = a.getBoundingClientRect();
    const s = getComputedStyle(a);
    return { cls: a.className, top: r.top, bottom: r.bottom, outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  check(first.cls === "skip-link", `${name}: the first Tab stop is .${first.cls}, not the skip link`);
  check(first.top >= 0 && first.bottom <= 800, `${name}: the focused skip link is off screen (${first.top})`);
  check(first.outline !== "none" && first.width >= 2, `${name}: the focused skip link has no visible outline`);
  await page.keyboard.press("Enter");
  const inMain = await page.evaluate(() => document.activeElement.id);
  check(inMain === "main", `${name}: the skip link moved focus to #${inMain}, not #main`);
  // The next stop is inside main; it and the ones after show a focus ring.
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press("Tab");
    const f = await page.evaluate(() => {
      const a = document.activeElement;
      const s = getComputedStyle(a);
      return {
        tag: a.tagName, inMain: !!a.closest("main"),
        ring: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== "none",
      };
    });
    if (f.tag === "BODY") break;
    if (i === 0) check(f.inMain, `${name}: Tab after the skip link left main (${f.tag})`);
    check(f.ring, `${name}: a focused ${f.tag} in main shows no focus ring`);
  }
}

async function audit(page, name, viewport) {
  const violations = await axe(page);
  axeResults.push({ page: name, viewport, violations });
  for (const v of violations) {
    if (v.impact === "serious" || v.impact === "critical") {
      failures.push(`${name} (${viewport}): axe ${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target).join("\n    ")}`);
    }
  }
}

async function shot(page, name, viewport) {
  await page.screenshot({ path: join(shots, `${name}-${viewport}.png`), fullPage: true });
}

const desktop = await launch({ viewport: DESKTOP });
const phone = await launch({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
const noJs = await launch({ viewport: DESKTOP, javaScriptEnabled: false });
for (const context of [desktop, phone, noJs]) {
  await watchCsp(context, (text) => failures.push(`CSP: ${text}`));
}

/** Visits a page at both widths: common checks, axe, screenshots; `extra`
 * runs on the desktop page, `extraPhone` on the phone page. */
async function visit(name, path, extra, extraPhone) {
  await step(`${name} (desktop)`, async () => {
    const page = await desktop.newPage();
    const response = await page.goto(url(path));
    check(response.status() === 200, `${name}: ${path} answered ${response.status()}`);
    await commonChecks(page, name);
    await audit(page, name, "1280");
    await shot(page, name, "1280");
    await keyboardStart(page, name);
    if (extra) await extra(page);
    await page.close();
  });
  await step(`${name} (phone)`, async () => {
    const page = await phone.newPage();
    await page.goto(url(path));
    await fitsWidth(page, name, PHONE.width);
    await audit(page, name, "360");
    await shot(page, name, "360");
    if (extraPhone) await extraPhone(page);
    await page.close();
  });
}

const text = (page, selector) => page.locator(selector).first().innerText();
const factsOf = (page) =>
  page.$$eval(".facts > div", (rows) =>
    Object.fromEntries(rows.map((r) => [r.querySelector("dt").innerText.trim(), r.querySelector("dd").innerText.trim()])));

// ---------------------------------------------------------------- pages

await visit("home", "/", async (page) => {
  const headings = await page.$$eval("main h2", (hs) => hs.map((h) => h.innerText.trim()));
  check(headings[0]?.includes("受付中"), `home: the first section is "${headings[0]}", not the open calls`);
  check(headings.some((h) => h.includes("今月")) && headings.some((h) => h.includes("来月")),
    `home: no this-month and next-month event sections: ${headings}`);
  const openCalls = await page.locator("#open-notices + * .card-title").allInnerTexts();
  check(openCalls.length === 2 && openCalls[0].includes("創業支援助成金"),
    `home: open calls, closing first, should be the startup grant then the equipment subsidy: ${openCalls}`);
  const thisMonth = await page.locator('[aria-labelledby="events-this-month"] .card-title').allInnerTexts();
  const nextMonth = await page.locator('[aria-labelledby="events-next-month"] .card-title').allInnerTexts();
  check(thisMonth.length === 1 && thisMonth[0].includes("海外展開"), `home: this month's events: ${thisMonth}`);
  check(nextMonth.length === 1 && nextMonth[0].includes("DX"), `home: next month's events: ${nextMonth}`);
  const badges = await page.locator("#open-notices + * .badge").allInnerTexts();
  check(badges.includes("締切間近") && badges.includes("受付中"), `home: status badges carry no text: ${badges}`);
  // The search box on the home page goes to the search page.
  const box = page.getByLabel("サイト内検索");
  check(await box.count() === 1, "home: no labelled search box");
  const quick = await page.locator('a[href^="/categories/"]').count();
  const regions = await page.locator('a[href^="/regions/"]').count();
  check(quick >= 5 && regions >= 3, `home: ${quick} category and ${regions} region quick filters`);
});

await visit("home-en", "/en/", async (page) => {
  const headings = await page.$$eval("main h2", (hs) => hs.map((h) => h.innerText.trim()));
  check(/open/i.test(headings[0] || ""), `home-en: first section "${headings[0]}"`);
  // An event with no English version is listed in Japanese, marked as such.
  const ja = await page.locator('main [lang="ja"]').count();
  check(ja >= 1, "home-en: Japanese-only items carry no lang=\"ja\"");
});

await visit("event", EVENT, async (page) => {
  const facts = await factsOf(page);
  for (const label of ["日時", "開催形式", "会場", "所在地", "オンライン参加", "参加費", "定員", "申込締切", "主催"]) {
    check(label in facts, `event: no "${label}" in the facts (${Object.keys(facts)})`);
  }
  check(/2027年2月24日/.test(facts["日時"] || "") && /14:00/.test(facts["日時"] || ""), `event: date and time: ${facts["日時"]}`);
  check(facts["参加費"] === "無料", `event: fee ${facts["参加費"]}`);
  const cal = page.getByRole("link", { name: "カレンダーに追加" });
  check(await cal.count() === 1, "event: no カレンダーに追加 link");
  const href = await cal.getAttribute("href");
  const ics = await page.request.get(new URL(href, page.url()).href);
  check(ics.ok() && (await ics.text()).includes("BEGIN:VEVENT"), `event: ${href} is not an iCalendar event`);
  const status = await text(page, ".status-line");
  check(status.includes("開催予定"), `event: status line "${status}"`);
});

await visit("event-en-fallback", EVENT_FALLBACK_EN, async (page) => {
  check(await page.locator('h1[lang="ja"]').count() === 1, "event-en-fallback: the Japanese title has no lang=\"ja\"");
  check(await page.locator('a[hreflang="ja"]').count() >= 1, "event-en-fallback: no link to the Japanese original");
  // Japanese text on an English page is marked as Japanese.
  check(await page.locator('.facts dd span[lang="ja"]', { hasText: "テスト商工会議所" }).count() === 1,
    "event-en-fallback: the Japanese co-organizer name has no lang=\"ja\"");
});

await visit("notice-en-fallback", "/en/notices/browser-test/startup-grant/", async (page) => {
  const facts = await factsOf(page);
  check("Application period" in facts && "Subsidy rate" in facts, `notice-en-fallback: facts ${Object.keys(facts)}`);
  const marked = await page.$$eval(".facts dd", (dds) => dds.filter((d) => /[ぁ-んァ-ン一-龯]/.test(d.innerText)).every((d) => d.closest("[lang]").lang === "ja"));
  check(marked, "notice-en-fallback: Japanese facts are not marked lang=\"ja\"");
  const badge = await text(page, ".status-line .badge");
  check(badge.includes("Closing soon"), `notice-en-fallback: status badge "${badge}"`);
});

await visit("notice", NOTICE, async (page) => {
  const facts = await factsOf(page);
  for (const label of ["受付期間", "補助上限額", "補助率", "対象", "主催"]) {
    check(label in facts, `notice: no "${label}" in the facts (${Object.keys(facts)})`);
  }
  check(/2027年1月15日/.test(facts["受付期間"] || "") && /2027年3月31日/.test(facts["受付期間"] || ""),
    `notice: window "${facts["受付期間"]}"`);
  check(facts["補助上限額"] === "100万円", `notice: amount "${facts["補助上限額"]}"`);
  check(facts["補助率"] === "2/3以内", `notice: rate "${facts["補助率"]}"`);
  const badge = await text(page, ".status-line .badge");
  check(badge.includes("受付中"), `notice: status badge "${badge}"`);
});

await visit("notice-closing", NOTICE_CLOSING, async (page) => {
  const badge = await text(page, ".status-line .badge");
  check(badge.includes("締切間近"), `notice-closing: status badge "${badge}"`);
});

await visit("program", PROGRAM);
await visit("organization", "/organizations/kip/");

await visit("councils", "/councils/", async (page) => {
  // JavaScript turns the headers into sort buttons; region sorts by the
  // directory's north-to-south order, both ways.
  const regionOf = () => page.$$eval("table.councils tbody tr", (rows) => rows.map((r) => r.cells[0].innerText.trim()));
  const before = await regionOf();
  check(before.length === 47, `councils: ${before.length} prefecture rows`);
  const button = page.locator("table.councils th button", { hasText: "地方" });
  await button.focus();
  await page.keyboard.press("Enter");
  const th = page.locator("table.councils th").first();
  check(await th.getAttribute("aria-sort") === "ascending", "councils: no aria-sort=ascending after sorting by region");
  await page.keyboard.press("Enter");
  check(await th.getAttribute("aria-sort") === "descending", "councils: no aria-sort=descending after sorting again");
  const after = await regionOf();
  check(after[0] === before[before.length - 1] && after[after.length - 1] === before[0],
    `councils: descending region order is not the reverse: ${after[0]} … ${after[after.length - 1]}`);
  const prefButton = page.locator("table.councils th button", { hasText: "都道府県" });
  await prefButton.click();
  const prefs = await page.$$eval("table.councils tbody tr", (rows) => rows.map((r) => r.cells[1].innerText.trim()));
  const sorted = [...prefs].sort((a, b) => a.localeCompare(b, "ja"));
  check(JSON.stringify(prefs) === JSON.stringify(sorted), "councils: sorting by prefecture does not sort");
}, async (page) => {
  // On a phone every council has a phone link big enough to tap.
  const tels = page.locator('table.councils a[href^="tel:"]');
  const n = await tels.count();
  check(n === 47, `councils (phone): ${n} tel: links`);
  const box = await tels.first().boundingBox();
  check(box && box.height >= 24 && box.width >= 24, `councils (phone): the first tel: link is ${JSON.stringify(box)}`);
  const href = await tels.first().getAttribute("href");
  check(/^tel:\d+$/.test(href), `councils (phone): tel link ${href}`);
});

await visit("accessibility", "/accessibility/", async (page) => {
  const body = await page.locator("main").innerText();
  check(body.includes("JIS X 8341-3:2016") && body.includes("AA"), "accessibility: the target level is not stated");
  check(body.includes("axe-core"), "accessibility: how it is tested is not stated");
});

await step("footer links the accessibility policy", async () => {
  for (const [path, href] of [["/", "/accessibility/"], ["/en/", "/en/accessibility/"], [EVENT, "/accessibility/"]]) {
    const page = await desktop.newPage();
    await page.goto(url(path));
    check(await page.locator(`footer a[href="${href}"]`).count() === 1, `${path}: the footer does not link ${href}`);
    await page.close();
  }
});

// ------------------------------------------------- the language switch

await step("language switch", async () => {
  const page = await desktop.newPage();
  await page.goto(url("/"));
  await page.locator("a.lang-switch").click();
  await page.waitForURL(url("/en/"));
  check(await page.getAttribute("html", "lang") === "en", "switch: /en/ is not lang=en");
  await page.goto(url(EVENT));
  await page.locator("a.lang-switch").click();
  await page.waitForLoadState();
  check(pathOf(page) === EVENT_EN, `switch: the event's switch went to ${pathOf(page)}, not ${EVENT_EN}`);
  check((await text(page, "h1")).includes("First Steps Abroad"), "switch: the English event is not in English");
  await page.locator("a.lang-switch").click();
  await page.waitForLoadState();
  check(pathOf(page) === EVENT, `switch: back from English went to ${pathOf(page)}`);
  const sw = await page.locator("a.lang-switch").evaluate((a) => ({ lang: a.lang, hreflang: a.hreflang, text: a.innerText }));
  check(sw.lang === "en" && sw.hreflang === "en" && sw.text === "English", `switch: ${JSON.stringify(sw)}`);
  await page.close();
});

// --------------------------------------------- the search page with JS

await step("search with JavaScript, keyboard only", async () => {
  const page = await desktop.newPage();
  await page.goto(url("/search/"));
  // Keyboard only: Tab to the search box.
  let found = false;
  for (let i = 0; i < 20 && !found; i++) {
    await page.keyboard.press("Tab");
    found = await page.evaluate(() => document.activeElement.id === "search-q");
  }
  check(found, "search: the search box cannot be reached with Tab");
  await page.keyboard.type("協議会");
  // Results follow typing, without submitting the form.
  await page.waitForFunction(() => /\d/.test(document.querySelector(".result-count")?.textContent || ""), null, { timeout: 10_000 });
  check(pathOf(page).startsWith("/search/?q=%E5%8D%94%E8%AD%B0%E4%BC%9A"), `search: the address did not follow the query: ${pathOf(page)}`);
  const total = async () => Number((await text(page, ".result-count")).replace(/[^\d]/g, ""));
  const all = await total();
  check(all > 20, `search: 協議会 found ${all}`);
  const facetCount = async (name, value) => {
    const label = page.locator(`input[name="${name}"][value="${value}"]`).locator("xpath=..");
    return Number((await label.locator(".count").innerText()).replace(/[^\d]/g, ""));
  };
  const councils = await facetCount("type", "council");
  const kanagawaBefore = await page.locator('input[name="region"]').count();
  check(councils > 20 && councils <= all, `search: type facet says ${councils} councils of ${all}`);
  await shot(page, "search-js-results", "1280");
  // Tab to the "council" filter and tick it with the space bar.
  found = false;
  for (let i = 0; i < 80 && !found; i++) {
    await page.keyboard.press("Tab");
    found = await page.evaluate(() => {
      const a = document.activeElement;
      return a.name === "type" && a.value === "council";
    });
  }
  check(found, "search: the council filter cannot be reached with Tab");
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
  });
  check(ring, "search: the focused filter checkbox shows no focus ring");
  await page.keyboard.press("Space");
  await page.waitForFunction(() => location.search.includes("type=council"), null, { timeout: 10_000 });
  await page.waitForFunction((n) => {
    const c = document.querySelector(".result-count")?.textContent || "";
    return Number(c.replace(/[^\d]/g, "")) === n;
  }, councils, { timeout: 10_000 }).catch(() => {});
  check(await total() === councils, `search: with the council filter ${await total()} results, the facet said ${councils}`);
  const focus = await page.evaluate(() => ({ name: document.activeElement.name, value: document.activeElement.value, checked: document.activeElement.checked }));
  check(focus.name === "type" && focus.value === "council" && focus.checked,
    `search: focus was lost after ticking a filter: ${JSON.stringify(focus)}`);
  const kanagawaAfter = await page.locator('input[name="region"]').count();
  check(kanagawaAfter !== kanagawaBefore || (await facetCount("type", "council")) === councils,
    "search: the facets did not follow the filter");
  const hitsPage1 = await page.locator("#search-results .card-title").allInnerTexts();
  check(hitsPage1.length === 20, `search: ${hitsPage1.length} hits on page 1`);
  check(hitsPage1.every((t) => t.includes("協議会")), "search: a non-council hit with the council filter");
  await audit(page, "search-js", "1280");
  // Page through with the keyboard.
  await page.locator('#search-results a[rel="next"]').focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/page=2/);
  const hitsPage2 = await page.locator("#search-results .card-title").allInnerTexts();
  check(hitsPage2.length > 0 && hitsPage2[0] !== hitsPage1[0], "search: page 2 shows page 1's hits");
  check(await page.locator('input[name="type"][value="council"]').isChecked(), "search: page 2 lost the filter");
  check((await text(page, ".pagination [aria-current]")).includes("2"), "search: page 2 is not marked current");
  await commonChecks(page, "search-js page 2");
  await audit(page, "search-js-page-2", "1280");
  await page.close();

  const small = await phone.newPage();
  await small.goto(url("/search/?q=%E5%8D%94%E8%AD%B0%E4%BC%9A"));
  await fitsWidth(small, "search (phone)", PHONE.width);
  await audit(small, "search-js", "360");
  await shot(small, "search-js-results", "360");
  await small.close();
});

// ------------------------------------------ the search page without JS

await step("search without JavaScript", async () => {
  const page = await noJs.newPage();
  await page.goto(url("/en/search/"));
  await page.fill("#search-q", "council");
  await Promise.all([page.waitForURL(/\/en\/search\/\?q=council/), page.press("#search-q", "Enter")]);
  const count = await text(page, ".result-count");
  check(/\d/.test(count), `no-JS search: no result count (${count})`);
  check(await page.locator("#search-results .card").count() > 0, "no-JS search: no server-rendered results");
  await page.locator('input[name="type"][value="council"]').check();
  await Promise.all([page.waitForURL(/type=council/), page.getByRole("button", { name: "Apply filters" }).click()]);
  check(await page.locator('input[name="type"][value="council"]').isChecked(), "no-JS search: the filter is not ticked after applying");
  const types = await page.locator("#search-results .badge-type").allInnerTexts();
  check(types.length > 0 && types.every((t) => t === "Revitalization council"), `no-JS search: hit types ${[...new Set(types)]}`);
  await shot(page, "search-nojs-results", "1280");
  await Promise.all([page.waitForURL(/page=2/), page.locator('#search-results a[rel="next"]').click()]);
  check(await page.locator("#search-results .card").count() > 0, "no-JS search: page 2 is empty");
  const address = pathOf(page);
  await page.close();
  // axe needs JavaScript: audit the same server-rendered page in a JS context.
  const again = await desktop.newPage();
  await again.goto(url(address));
  await commonChecks(again, "search-nojs");
  await audit(again, "search-nojs (en, page 2)", "1280");
  await again.close();
  // Other pages stay usable without JavaScript: the councils table is all there.
  const councils = await noJs.newPage();
  await councils.goto(url("/councils/"));
  check(await councils.locator("table.councils tbody tr").count() === 47, "no-JS councils: the table is not all there");
  check(await councils.locator("table.councils th button").count() === 0, "no-JS councils: sort buttons without JavaScript");
  await councils.close();
});

// ---------------------------------------------------------- page weight

const weights = [];
await step("page weight", async () => {
  for (const path of ["/", EVENT]) {
    weights.push(await pageWeight(desktop, url(path)));
  }
  for (const w of weights) {
    check(w.total < 100_000, `${w.url}: ${w.total} bytes transferred (budget 100 kB)`);
    check(!w.byType.font, `${w.url}: downloads fonts`);
  }
});

await Promise.all([desktop.close(), phone.close(), noJs.close()]);

// ---------------------------------------------------------------- report

console.log("\naxe-core results (violations as rules/nodes, by impact):");
console.log("page                               width  critical  serious  moderate  minor");
for (const r of axeResults) {
  const rules = { critical: 0, serious: 0, moderate: 0, minor: 0 };
  for (const v of r.violations) rules[v.impact || "minor"] += 1;
  const nodes = byImpact(r.violations);
  const cell = (k) => `${rules[k]}/${nodes[k]}`.padStart(k.length > 7 ? 8 : 8);
  console.log(`${r.page.padEnd(34)} ${r.viewport.padStart(5)} ${cell("critical")} ${cell("serious")} ${cell("moderate")} ${cell("minor")}`);
  for (const v of r.violations) {
    console.log(`    ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).slice(0, 3).join(", ")})`);
  }
}
console.log("\npage weight (bytes transferred, empty cache):");
for (const w of weights) {
  const parts = Object.entries(w.byType).map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(`  ${new URL(w.url).pathname}: ${w.total} bytes in ${w.requests} requests (${parts})`);
}
console.log(`\nscreenshots: ${shots}`);
console.log(`steps: ${timings.map(([n, ms]) => `${n} ${ms}ms`).join("; ")}`);
writeFileSync(join(shots, "axe-results.json"), JSON.stringify({ axe: axeResults, weights }, null, 2));

if (failures.length) {
  console.log(`\n${failures.length} failure(s):`);
  for (const f of failures) console.log(`  ✗ ${f}`);
  process.exit(1);
}
console.log("\nall browser checks passed");
