// Copies the Decap CMS bundle pinned in package-lock.json into the theme
// (themes/kpot/static/admin/vendor/decap/), and smol-toml (the TOML parser the
// editor's kpot front-matter format uses) into themes/kpot/static/admin/vendor/toml/,
// so the editor at /admin/ loads from the site itself and works on a closed
// network. Run after changing the
// version in package.json: `npm install && npm run vendor-cms`, then commit
// the folder. Source maps are left out (25 MB each).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const from = "node_modules/decap-cms/dist";
const to = "themes/kpot/static/admin/vendor/decap";
const version = JSON.parse(readFileSync("node_modules/decap-cms/package.json", "utf8")).version;
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
let count = 0;
for (const name of readdirSync(from).sort()) {
  // decap-cms.js and its lazily loaded chunks (N.decap-cms.js, .wasm);
  // cms.js is the same bundle under another name.
  if (name.endsWith(".map") || name === "cms.js" || /^\d+\.cms\.js$/.test(name)) continue;
  if (name === "cms.css" || name === "cms.js.LICENSE.txt") continue;
  copyFileSync(join(from, name), join(to, name));
  count++;
}
writeFileSync(
  join(to, "VERSION"),
  `decap-cms ${version} (MIT licence, https://github.com/decaporg/decap-cms), vendored by .ci/vendor-cms.mjs\n`,
);
console.log(`decap-cms ${version}: ${count} files in ${to}`);

// smol-toml: its ES modules and licence.
const toml = "themes/kpot/static/admin/vendor/toml";
const tomlVersion = JSON.parse(readFileSync("node_modules/smol-toml/package.json", "utf8")).version;
rmSync(toml, { recursive: true, force: true });
mkdirSync(toml, { recursive: true });
for (const name of readdirSync("node_modules/smol-toml/dist").sort()) {
  if (name.endsWith(".js")) copyFileSync(join("node_modules/smol-toml/dist", name), join(toml, name));
}
copyFileSync("node_modules/smol-toml/LICENSE", join(toml, "LICENSE"));
writeFileSync(join(toml, "VERSION"), `smol-toml ${tomlVersion} (BSD-3-Clause), vendored by .ci/vendor-cms.mjs\n`);
console.log(`smol-toml ${tomlVersion}: ${toml}`);
