// @magiclink/web as a team gets it: `npm pack` of clients/web, checked for
// what it holds; its declarations compiled by tsc on their own; then a
// fresh app (fresh-app/) installs the tarball, is type-checked against it
// and bundled by esbuild with the real aws-amplify, and signs in through
// the stack in headless Chromium, where Amplify sees the session.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freshApp, launchBrowser, mailedCode, screenshot, serveBundled, typeCheck, uniqueAddress } from "./support.mjs";

const WEB = join(import.meta.dirname, "../web");

let app;
let packed;
let browser;

before(async () => {
  ({ app, packed: [packed] } = freshApp("fresh-app", ["web"]));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test("the package holds the module, the Amplify storage and their declarations, and nothing else", () => {
  assert.equal(packed.name, "@magiclink/web");
  assert.deepEqual(packed.files.map((f) => f.path).sort(), [
    "README.md", "amplify.d.ts", "amplify.js", "magiclink.d.ts", "magiclink.js", "package.json",
  ]);
  const manifest = JSON.parse(readFileSync(join(app, "node_modules/@magiclink/web/package.json"), "utf8"));
  assert.equal(manifest.dependencies, undefined, "no runtime dependencies");
  assert.equal(manifest.sideEffects, false);
});

test("the declarations compile on their own, strictly, and the fresh app type-checks against the package", () => {
  typeCheck(WEB);
  // fresh-app/app.ts also holds misuses marked @ts-expect-error: a
  // declaration that let one through would fail this compile.
  typeCheck(app);
});

test("a fresh app signs in by code, and aws-amplify sees the user, refreshes the tokens and signs out", async () => {
  const url = await serveBundled(app, "app.ts", "fresh-app");
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const cognitoCalls = [];
  page.on("request", (request) => {
    const target = request.headers()["x-amz-target"];
    if (target) cognitoCalls.push(target.split(".").pop());
  });
  await page.goto(url);
  await page.locator("#state", { hasText: "ready" }).waitFor();

  const address = uniqueAddress("fresh-app");
  await page.evaluate((email) => window.app.request(email), address);
  const code = await mailedCode(address);
  assert.equal(await page.evaluate((email) => window.app.wrongCode(email), address), "code_refused");
  const signedIn = await page.evaluate(([email, typed]) => window.app.signInWithCode(email, typed), [address, code]);
  assert.equal(signedIn.email, address);

  const amplify = await page.evaluate(() => window.app.amplify());
  assert.equal(amplify.userId, signedIn.sub, "getCurrentUser() names the user magiclink signed in");
  assert.equal(amplify.loginId, address);
  assert.equal(amplify.idTokenEmail, address);
  assert.equal(amplify.accessToken, signedIn.accessToken, "fetchAuthSession() hands out magiclink's tokens");
  assert.ok(amplify.username, "with the user's Cognito username");
  assert.equal(await page.evaluate(() => window.app.otherSession()), null, "a second client keeps its own session");
  await screenshot(page, "fresh-app-signed-in");

  // Amplify's own refresh (GetTokensFromRefreshToken) writes where
  // magiclink reads: both sides hold the refreshed tokens.
  const refreshed = await page.evaluate(() => window.app.refreshByAmplify());
  assert.ok(refreshed, "Amplify refreshed the tokens");
  assert.equal(cognitoCalls.at(-1), "GetTokensFromRefreshToken", "with the refresh token magiclink stored");
  const after = await page.evaluate(() => window.app.magiclinkSession());
  assert.equal(after.accessToken, refreshed);
  assert.equal(after.sub, signedIn.sub);

  console.log(`Cognito calls: ${cognitoCalls.join(", ")}`);
  await page.evaluate(() => window.app.signOutByAmplify());
  assert.equal(await page.evaluate(() => window.app.magiclinkSession()), null, "Amplify's sign-out ends magiclink's session");
  assert.deepEqual(errors, []);
  await context.close();
});
