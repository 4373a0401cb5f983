// kpot's web editor at /admin/: loads Decap CMS (vendored, no CDN), teaches
// it kpot's front matter, and makes its preview look like the portal.
//
// - Front matter: kpot pages are Zola's TOML front matter, with an item's
//   own fields under [extra] and its categories and regions under
//   [taxonomies]. Decap's path templates can only name top-level fields (a
//   partner's item goes into the organizer's folder), so the form works on
//   flat data and this format nests it on save and flattens it on load.
// - Preview: the portal's stylesheet and the layout of an event or notice
//   page, with the form's own labels.
// - Decap is initialized by hand, after the format is registered.
import { parse, stringify } from "./vendor/toml/index.js";

// Front-matter keys that stay at the top level (content/load.rs PAGE_FIELDS;
// a test in src/cms.rs checks this list against it).
const PAGE_KEYS = [
  "title", "description", "date", "updated", "draft", "slug", "path", "aliases",
  "weight", "template", "in_search_index", "authors", "render", "summary",
];
const TAXONOMY_KEYS = ["categories", "regions"];

function isEmpty(value) {
  return (
    value === undefined ||
    value === null ||
    value === "" ||
    (Array.isArray(value) && value.length === 0)
  );
}

/** `+++` TOML front matter and the text after it → Decap's flat data. */
export function fromFile(content) {
  const match = /^\s*\+\+\+\r?\n([\s\S]*?)\r?\n\+\+\+\r?\n?([\s\S]*)$/.exec(content);
  if (!match) return { body: content };
  const front = parse(match[1]);
  const data = {};
  for (const [key, value] of Object.entries(front)) {
    if ((key === "extra" || key === "taxonomies") && value && typeof value === "object") {
      Object.assign(data, value);
    } else {
      data[key] = value;
    }
  }
  data.body = match[2];
  return data;
}

/** Decap's flat data → `+++` TOML front matter and the text. */
export function toFile(data, sortedKeys = []) {
  const order = [...sortedKeys, ...Object.keys(data).filter((k) => !sortedKeys.includes(k))];
  const front = {};
  const taxonomies = {};
  const extra = {};
  for (const key of order) {
    if (key === "body" || !(key in data)) continue;
    let value = data[key];
    if (isEmpty(value)) continue;
    // The form's dates are strings; TOML dates would be just as fine, but a
    // string keeps exactly what the partner chose.
    if (PAGE_KEYS.includes(key)) front[key] = value;
    else if (TAXONOMY_KEYS.includes(key)) taxonomies[key] = value;
    else extra[key] = value;
  }
  if (Object.keys(taxonomies).length) front.taxonomies = taxonomies;
  if (Object.keys(extra).length) front.extra = extra;
  const body = typeof data.body === "string" ? data.body : "";
  return `+++\n${stringify(front).trimEnd()}\n+++\n${body.endsWith("\n") || !body ? body : body + "\n"}`;
}

function text(value) {
  if (value === undefined || value === null) return "";
  if (typeof value.toJS === "function") value = value.toJS();
  if (Array.isArray(value)) return value.join("、");
  return String(value);
}

/** `2027-03-10T13:30:00+09:00` as the portal writes it: 2027年3月10日 13:30. */
function when(value, withTime) {
  const date = new Date(withTime ? value : `${value}T00:00:00+09:00`);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat("ja-JP", {
    dateStyle: "long",
    timeStyle: withTime ? "short" : undefined,
    timeZone: "Asia/Tokyo",
  }).format(date);
}

function setUp(CMS, h) {
  CMS.registerCustomFormat("kpot-toml", "md", { fromFile, toFile });
  CMS.registerPreviewStyle("/kpot.css");

  // One row of the facts list for each filled-in field after the body's
  // own ones, in form order, with the option's label for a choice.
  const SKIP = new Set(["title", "description", "date", "draft", "body", "organizer"]);
  function facts(props) {
    const data = props.entry.get("data");
    const rows = [];
    props.collection.get("fields").forEach((field) => {
      const name = field.get("name");
      if (SKIP.has(name) || field.get("widget") === "hidden") return;
      let value = text(data.get(name));
      if (!value) return;
      if (field.get("widget") === "datetime") value = when(value, field.get("time_format") !== false);
      const options = field.get("options");
      if (options) {
        options.forEach((o) => {
          if (o.get && o.get("value") === value) value = o.get("label");
        });
      }
      rows.push(h("div", { key: name }, h("dt", {}, field.get("label")), h("dd", {}, value)));
    });
    return rows;
  }

  function Preview(props) {
    const data = props.entry.get("data");
    const kind = props.collection.get("name") === "events" ? "page-event" : "page-notice";
    return h(
      "main",
      { id: "main" },
      h(
        "article",
        { className: `page ${kind}` },
        h("h1", {}, text(data.get("title"))),
        h("dl", { className: "facts" }, facts(props)),
        h("div", { className: "prose" }, props.widgetFor("body")),
      ),
    );
  }
  CMS.registerPreviewTemplate("events", Preview);
  CMS.registerPreviewTemplate("notices", Preview);
}

function load(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(script);
  });
}

if (typeof window !== "undefined" && typeof document !== "undefined") {
  window.CMS_MANUAL_INIT = true;
  const here = new URL(".", import.meta.url);
  load(new URL("vendor/decap/decap-cms.js", here).href).then(() => {
    setUp(window.CMS, window.h);
    window.CMS.init();
  });
}
