// Browser test of `kpot serve` (driven by tests/serve_browser.rs):
//   node serve.mjs BASE_URL SITE_ROOT
// In headless Chromium: a page reloads by itself after an edit; a broken
// save shows the error overlay (file, line, message), also on a page opened
// while the error stands; fixing it clears the overlay; a stylesheet edit
// is applied without a reload. Exits non-zero with a message on failure.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launch, watchCsp } from "./chromium.mjs";

const [base, root] = process.argv.slice(2);
if (!base || !root) {
  console.error("usage: node serve.mjs BASE_URL SITE_ROOT");
  process.exit(2);
}
const PAGE = "/events/kip/sales-skills-seminar-202101/";
const FILE = join(root, "content/events/kip/2021-01-18-sales-skills-seminar-202101.md");
const OLD_TITLE = "受注企業向け営業力強化セミナー（2021年1月18日）";
const TIMEOUT = 60_000;

function step(name) {
  console.log(`serve.mjs: ${name}`);
}

const browser = await launch();
const cspProblems = [];
await watchCsp(browser, (text) => cspProblems.push(text));
let failed = false;
try {
  const page = await browser.newPage();
  const connected = () =>
    page.waitForFunction(() => document.documentElement.dataset.kpotServe === "connected", null, {
      timeout: TIMEOUT,
    });
  await page.goto(base + PAGE);
  await connected();
  const original = readFileSync(FILE, "utf8");
  if (!original.includes(OLD_TITLE)) throw new Error(`${FILE} lacks the expected title`);

  step("an edit reloads the page by itself");
  await page.evaluate(() => {
    window.kpotMarker = "before reload";
  });
  writeFileSync(FILE, original.replace(OLD_TITLE, "ブラウザで確かめる題名"));
  await page.waitForFunction(
    () => !window.kpotMarker && document.body.textContent.includes("ブラウザで確かめる題名"),
    null,
    { timeout: TIMEOUT },
  );
  await connected();

  step("a broken save shows the overlay, escaped");
  const broken = original.replace("+++\n", '+++\ntitle = "<b>unterminated\n');
  writeFileSync(FILE, broken);
  const overlay = page.locator("#kpot-serve-overlay");
  await overlay.waitFor({ state: "visible", timeout: TIMEOUT });
  const text = await overlay.textContent();
  if (!text.includes("content/events/kip/2021-01-18-sales-skills-seminar-202101.md:")) {
    throw new Error(`the overlay names no file and line: ${text}`);
  }
  if ((await overlay.locator("b").count()) !== 0) {
    throw new Error("the overlay put the message in as HTML");
  }
  // The last good version is still what is served.
  if (!(await page.textContent("body")).includes("ブラウザで確かめる題名")) {
    throw new Error("the page under the overlay is not the last good version");
  }

  step("a page opened while the error stands shows it too");
  const second = await browser.newPage();
  await second.goto(base + "/");
  await second.locator("#kpot-serve-overlay").waitFor({ state: "visible", timeout: TIMEOUT });
  await second.close();

  step("fixing the save clears the overlay");
  writeFileSync(FILE, original.replace(OLD_TITLE, "直した題名"));
  await page.waitForFunction(
    () =>
      !document.getElementById("kpot-serve-overlay") &&
      document.body.textContent.includes("直した題名"),
    null,
    { timeout: TIMEOUT },
  );
  await connected();

  step("a stylesheet edit applies without a reload");
  await page.evaluate(() => {
    window.kpotMarker = "no reload";
  });
  const css = join(root, "themes/kpot/static/kpot.css");
  writeFileSync(css, readFileSync(css, "utf8") + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n");
  await page.waitForFunction(
    () => getComputedStyle(document.body).outlineColor === "rgb(1, 2, 3)",
    null,
    { timeout: TIMEOUT },
  );
  if ((await page.evaluate(() => window.kpotMarker)) !== "no reload") {
    throw new Error("the page reloaded for a stylesheet edit");
  }
  writeFileSync(FILE, original);
  step("no Content-Security-Policy violation, the live-reload script included");
  if (cspProblems.length) throw new Error(`CSP:\n  ${cspProblems.join("\n  ")}`);
  step("all passed");
} catch (error) {
  failed = true;
  console.error(`serve.mjs: FAILED: ${error.stack || error}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
