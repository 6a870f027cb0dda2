// Builds the demo page into .emulator/demo (or the folder given), which the
// dev server serves: app.jsx bundled by esbuild with react, react-dom and
// the two packages from their sources here, beside the static pages.

import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const HERE = import.meta.dirname;
const out = process.argv[2] || join(HERE, "../../.emulator/demo");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(HERE, "app.jsx")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  jsx: "automatic",
  minify: true,
  sourcemap: "linked",
  alias: {
    "@magiclink/web": join(HERE, "../web"),
    "@magiclink/react": join(HERE, "../react"),
  },
  outfile: join(out, "app.js"),
  logLevel: "warning",
});
for (const file of ["index.html", "inbox.html", "inbox.js", "style.css"]) cpSync(join(HERE, file), join(out, file));
console.log(`demo: built into ${out}`);
