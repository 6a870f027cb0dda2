// The web packages stay small: each entry point, minified and gzipped as an
// app's bundle carries it, within its budget (12 kB for @magiclink/web,
// 8 kB for @magiclink/react without React).

import { test } from "node:test";
import assert from "node:assert/strict";
import { packageSizes } from "./sizes.mjs";

test("each entry point, minified and gzipped, stays within its budget", async () => {
  for (const { name, minified, gzip, budget } of await packageSizes()) {
    console.log(`${name}: ${minified} bytes minified, ${gzip} gzipped (budget ${budget})`);
    assert.ok(gzip > 1000, `${name} was bundled`);
    assert.ok(gzip <= budget, `${name}: ${gzip} bytes gzipped, over its budget of ${budget}`);
  }
});
