// The web editor at /admin/ end to end, as a partner uses it: Decap CMS in
// headless Chromium, its local proxy (decap-server) writing into the site,
// and `kpot serve` showing the result. Run by tests/cms_browser.rs:
//
//   node cms.mjs direct http://127.0.0.1:PORT SITE_DIR SCREENSHOT_DIR
//   node cms.mjs review http://127.0.0.1:PORT SITE_DIR SCREENSHOT_DIR KPOT
//
// direct (decap-server's fs mode): log in, open a new event, see the
// Japanese labels, fill the form (a date picker, the organizer and a
// category chosen from lists), see the preview in the portal's stylesheet,
// publish; the Markdown file appears in the partner's folder and its page
// is served; edit the venue and see the edit served; try to publish with
// the title empty and see the form refuse.
//
// review (git mode, the editorial workflow as on the Git host): save a new
// event; it is a branch cms/events/… and not yet in the working copy; the
// pull-request check (`kpot check --owner kip --format github` on the
// branch's files, as docs/ci runs it) passes; move it to レビュー中 and
// 準備完了 and publish; it is merged and its page is served.
//
// Prints one JSON line (`cms.mjs report: {...}`) that the Rust side asserts
// on, then `cms.mjs: all passed`.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch } from "./chromium.mjs";

const [mode, base, site, shots, kpot] = process.argv.slice(2);
if (!["direct", "review"].includes(mode) || !base || !site || !shots || (mode === "review" && !kpot)) {
  console.error("usage: node cms.mjs direct|review BASE_URL SITE_DIR SCREENSHOT_DIR [KPOT]");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const partnerFolder = join(site, "content/events/kip");
const report = { steps: [] };
const started = Date.now();
function step(name, extra = {}) {
  report.steps.push({ name, ms: Date.now() - started, ...extra });
  console.log(`cms.mjs: ${name} (${Date.now() - started} ms)`);
}

/** Waits for `probe()` to return a truthy value, polling, up to `limit` ms. */
async function until(what, probe, limit = 15_000, every = 20) {
  const from = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return { value, ms: Date.now() - from };
    if (Date.now() - from > limit) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function bundles() {
  return existsSync(partnerFolder)
    ? readdirSync(partnerFolder, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
}

async function fetchText(url) {
  try {
    const res = await fetch(url);
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}

const context = await launch({ timezoneId: "Asia/Tokyo", locale: "ja-JP" });
const errors = [];
try {
  const page = await context.newPage();
  // Decap rejects a refused save with `undefined` (seen as a page error
  // without a message); anything else is a failure.
  page.on("pageerror", (e) => {
    if (e.message !== undefined && e.message !== "undefined") errors.push(e.message);
  });
  page.on("console", (m) => {
    // A missing favicon is not the editor's failure.
    if (m.type() === "error" && !/favicon|404/.test(m.text())) errors.push(m.text());
  });

  // Decap asks before publishing (window.confirm): the partner agrees.
  page.on("dialog", (dialog) => dialog.accept());

  await page.goto(`${base}/admin/`);
  await page.getByRole("button", { name: "ログイン" }).click();
  await page.getByText("イベント", { exact: true }).first().waitFor();
  step(`logged in (local backend, ${mode})`);
  const ja = (label) => page.getByLabel(label, { exact: true }).first();
  if (mode === "review") await review(page, ja);
  else await direct(page, ja);
  report.errors = errors;
  if (errors.length) throw new Error(`errors in the page: ${errors.join("\n")}`);
} finally {
  await context.close();
}
console.log(`cms.mjs report: ${JSON.stringify(report)}`);
console.log("cms.mjs: all passed");

async function direct(page, ja) {
  await page.screenshot({ path: join(shots, "cms-collections-1280.png") });
  const before = bundles();
  await page.goto(`${base}/admin/#/collections/events/new`);
  await ja("タイトル").waitFor();
  const labels = await page.locator("label").allInnerTexts();
  for (const label of ["タイトル", "掲載日", "開始日時", "開催形式", "主催の機関", "本文"]) {
    if (!labels.includes(label)) throw new Error(`no Japanese label ${label}: ${labels.join(", ")}`);
  }
  step("new event form with Japanese labels", { labels: labels.length });

  await ja("タイトル").fill("ものづくり商談会 2027");
  await ja("説明（一文） (任意)").fill("県内のものづくり企業と発注企業の商談会です。");
  // The browser's own date and time picker (an <input type=datetime-local>).
  const start = ja("開始日時");
  if ((await start.getAttribute("type")) !== "datetime-local") throw new Error("no date picker");
  await start.fill("2027-03-10T13:30");
  await ja("開催形式").click();
  await page.getByRole("option", { name: "会場開催" }).click();
  await ja("会場名 (任意)").fill("横浜産業貿易センター");
  await ja("参加費（円） (任意)").fill("0");
  await ja("主催の機関").click();
  await page.getByRole("option", { name: "公益財団法人神奈川産業振興センター" }).click();
  await ja("分野 (任意)").click();
  await page.getByRole("option", { name: "販路開拓" }).click();
  await ja("地域 (任意)").click();
  await page.getByRole("option", { name: "横浜", exact: true }).click();
  await page.locator("[contenteditable=true]").first().click();
  await page.keyboard.type("受発注の商談を一対一で行います。");
  step("form filled");
  // On a phone the columns stack: nothing scrolls sideways.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: join(shots, "cms-event-form-360.png") });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 360) throw new Error(`the form is ${width} px wide on a 360 px phone`);
  await page.setViewportSize({ width: 1280, height: 800 });
  step("the form fits a 360 px phone", { scroll_width: width });

  // The preview pane draws the entry with the portal's stylesheet.
  await page.getByTitle("プレビュー表示を切り替える").click();
  const preview = page.frameLocator("iframe").first();
  await preview.locator("h1", { hasText: "ものづくり商談会 2027" }).waitFor();
  const sheets = await preview
    .locator("link[rel=stylesheet]")
    .evaluateAll((links) => links.map((l) => l.getAttribute("href")));
  if (!sheets.includes("/kpot.css")) throw new Error(`the preview lacks /kpot.css: ${sheets}`);
  const facts = await preview.locator("dl.facts dd").allInnerTexts();
  if (!facts.includes("横浜産業貿易センター")) throw new Error(`preview facts: ${facts}`);
  step("preview in the portal's stylesheet", { stylesheets: sheets });
  await page.screenshot({ path: join(shots, "cms-event-form-1280.png") });
  await page.getByTitle("プレビュー表示を切り替える").click();

  await page.getByRole("button", { name: "公開" }).click();
  const publishedAt = Date.now();
  await page.getByText("公開する", { exact: true }).first().click();
  const created = await until("the new bundle folder", () => {
    const added = bundles().filter((b) => !before.includes(b));
    return added.length === 1 && existsSync(join(partnerFolder, added[0], "index.ja.md"))
      ? added[0]
      : null;
  });
  const file = join(partnerFolder, created.value, "index.ja.md");
  const written = readFileSync(file, "utf8");
  step("saved as a file in the partner's folder", {
    folder: created.value,
    ms_after_publish: Date.now() - publishedAt,
  });
  const slug = created.value.replace(/^\d{4}-\d{2}-\d{2}-/, "");
  const url = `${base}/events/kip/${encodeURIComponent(slug)}/`;
  const fileSeen = Date.now();
  const served = await until("the page served", async () => {
    const html = await fetchText(url);
    return html && html.includes("ものづくり商談会 2027") && html.includes("横浜産業貿易センター")
      ? html
      : null;
  });
  step("its page is served", { url, ms_after_file: Date.now() - fileSeen });
  report.created = {
    path: `content/events/kip/${created.value}/index.ja.md`,
    text: written,
    url,
    served_ms_after_file: served.ms,
  };

  // Edit: change the venue and publish again.
  await ja("会場名 (任意)").fill("神奈川県産業振興センター");
  await page.getByRole("button", { name: "公開" }).click();
  await page.getByText("公開する", { exact: true }).first().click();
  const editAt = Date.now();
  await until("the edit in the file", () =>
    readFileSync(file, "utf8").includes("神奈川県産業振興センター"),
  );
  const edited = await until("the edit served", async () => {
    const html = await fetchText(url);
    return html && html.includes("神奈川県産業振興センター") && !html.includes("横浜産業貿易センター");
  });
  step("the edit is served", { ms_after_publish: Date.now() - editAt });
  report.edited = { text: readFileSync(file, "utf8"), served_ms: edited.ms };

  // A required field left empty: the form refuses and nothing is written.
  const beforeEmpty = bundles();
  await page.goto(`${base}/admin/#/collections/events/new`);
  await ja("タイトル").waitFor();
  await ja("開始日時").fill("2027-04-01T10:00");
  await page.getByRole("button", { name: "公開" }).click();
  await page.getByText("公開する", { exact: true }).first().click();
  await page.getByText("すべての必須項目を入力してください。").first().waitFor();
  await page.getByText("タイトルは必須です。").first().waitFor();
  await page.screenshot({ path: join(shots, "cms-required-refused-1280.png") });
  await new Promise((r) => setTimeout(r, 1000));
  const afterEmpty = bundles();
  if (afterEmpty.length !== beforeEmpty.length) {
    throw new Error(`a file was written for an entry without a title: ${afterEmpty}`);
  }
  step("an empty required field is refused");
  report.refused = true;
}

function git(...args) {
  return execFileSync("git", ["-C", site, ...args], { encoding: "utf8" }).trim();
}

async function review(page, ja) {
  await page.goto(`${base}/admin/#/collections/events/new`);
  await ja("タイトル").waitFor();
  await ja("タイトル").fill("オンライン商談会 2027");
  await ja("開始日時").fill("2027-05-20T14:00");
  await ja("開催形式").click();
  await page.getByRole("option", { name: "オンライン", exact: true }).click();
  await ja("オンライン参加の URL (任意)").fill("https://example.jp/online");
  await ja("主催の機関").click();
  await page.getByRole("option", { name: "公益財団法人神奈川産業振興センター" }).click();
  await page.locator("[contenteditable=true]").first().click();
  await page.keyboard.type("オンラインで商談を行います。");
  await page.getByRole("button", { name: "保存", exact: true }).click();
  await page.getByRole("button", { name: "ステータス: 下書き" }).waitFor();
  // The save is a branch of its own, not a change of the working copy.
  const branches = git("branch", "--list", "cms/*", "--format=%(refname:short)").split("\n").filter(Boolean);
  if (branches.length !== 1 || !branches[0].startsWith("cms/events/kip/")) {
    throw new Error(`expected one cms/events/kip/… branch: ${branches}`);
  }
  const branch = branches[0];
  const changed = git("diff", "--name-only", `main...${branch}`).split("\n").filter(Boolean);
  if (git("status", "--porcelain", "content").length) throw new Error("the save changed the working copy");
  step("saved as a branch for review", { branch, changed });

  // The pull request's check, as docs/ci runs it, on the branch.
  const checkout = mkdtempSync(join(tmpdir(), "kpot-cms-branch-"));
  rmSync(checkout, { recursive: true });
  git("worktree", "add", "--quiet", checkout, branch);
  const check = spawnSync(
    kpot,
    ["--root", checkout, "--lang", "en", "check", "--format", "github", "--owner", "kip", "--changed", ...changed],
    { encoding: "utf8" },
  );
  git("worktree", "remove", "--force", checkout);
  report.check = { status: check.status, stdout: check.stdout, stderr: check.stderr, changed };
  if (check.status !== 0) throw new Error(`kpot check on the branch failed:\n${check.stdout}${check.stderr}`);
  step("the pull-request check passes on the branch");

  await page.getByRole("button", { name: "ステータス: 下書き" }).click();
  await page.getByRole("menuitem", { name: "レビュー中" }).click();
  await page.getByRole("button", { name: "ステータス: レビュー中" }).click();
  await page.getByRole("menuitem", { name: "準備完了" }).click();
  await page.getByRole("button", { name: "ステータス: 準備完了" }).waitFor();
  await page.screenshot({ path: join(shots, "cms-review-ready-1280.png") });
  step("moved to レビュー中, then 準備完了");

  await page.getByRole("button", { name: "公開", exact: true }).click();
  await page.getByRole("menuitem", { name: "公開する" }).click();
  const file = await until("the merged file in the working copy", () => {
    const folder = bundles().find((b) => b.endsWith("オンライン商談会-2027"));
    return folder && existsSync(join(partnerFolder, folder, "index.ja.md")) ? folder : null;
  });
  // decap-server merges the branch, then deletes it.
  await until("the merged branch removed", () => git("branch", "--list", "cms/*") === "");
  const slug = file.value.replace(/^\d{4}-\d{2}-\d{2}-/, "");
  const url = `${base}/events/kip/${encodeURIComponent(slug)}/`;
  const served = await until("the published page served", async () => {
    const html = await fetchText(url);
    return html && html.includes("オンライン商談会 2027");
  });
  step("published: merged and served", { url, served_ms: served.ms });
  report.published = {
    path: `content/events/kip/${file.value}/index.ja.md`,
    log: git("log", "--format=%s", "-3"),
  };
}
