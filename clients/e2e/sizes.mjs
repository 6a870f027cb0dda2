// The web packages' size as an app pays for it: each entry point bundled
// and minified by esbuild, then gzipped (level 9), with its peers (react,
// and @magiclink/web for the React bindings) left out. Run directly, it
// prints them as JSON (make bench reports them); sizes.test.mjs holds them
// to their budgets.

import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { build } from "esbuild";

const CLIENTS = join(import.meta.dirname, "..");

/** Each entry point, and the gzipped bytes it may not exceed. */
export const ENTRIES = [
  { name: "@magiclink/web", file: "web/magiclink.js", budget: 12 * 1024 },
  { name: "@magiclink/web/amplify", file: "web/amplify.js", budget: 12 * 1024 },
  { name: "@magiclink/react", file: "react/index.js", budget: 8 * 1024 },
];

/** [{ name, minified, gzip, budget }] in bytes. */
export async function packageSizes() {
  const sizes = [];
  for (const { name, file, budget } of ENTRIES) {
    const { outputFiles } = await build({
      entryPoints: [join(CLIENTS, file)],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      write: false,
      external: ["react", "@magiclink/web"],
    });
    const code = outputFiles[0].contents;
    sizes.push({ name, minified: code.length, gzip: gzipSync(code, { level: 9 }).length, budget });
  }
  return sizes;
}

if (process.argv[1] === import.meta.filename) {
  console.log(JSON.stringify(await packageSizes()));
}
