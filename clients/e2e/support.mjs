// What the browser tests share: headless Chromium (Debian's, driven by
// playwright-core), screenshots, unique addresses, the mail the dev
// server's inbox holds, and fresh apps that install the packed packages.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";

/** The demo page, served by the dev server on the origin the stack allows. */
export const PAGE = process.env.DEMO_URL || "http://localhost:8000/";
const SCREENSHOTS = process.env.SCREENSHOTS || join(import.meta.dirname, "../../.emulator/screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** A headless Chromium; the caller closes it. */
export function launchBrowser() {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/**
 * Chromium's virtual authenticator on `page`: a platform authenticator that
 * holds discoverable credentials and verifies its user without a prompt
 * (and picks a passkey from autofill by itself). Returns the DevTools
 * session and the authenticator's id, to read its credentials.
 */
export async function virtualAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

export async function screenshot(page, name) {
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

export function uniqueAddress(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** The mail to `address` ({ id, subject, text, ... }), from the dev server's inbox. */
export async function mailTo(address, within = 30_000) {
  const deadline = Date.now() + within;
  while (Date.now() < deadline) {
    const mail = await (await fetch(new URL("inbox.json", PAGE))).json();
    const message = mail.find((m) => m.to.includes(address));
    if (message) return message;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`no mail to ${address} within ${within} ms`);
}

/** The text of the mail to `address`. */
export async function mailText(address) {
  return (await mailTo(address)).text;
}

/** The sign-in link mailed to `address`. */
export async function mailedLink(address) {
  const link = (await mailText(address)).split("\n").map((l) => l.trim()).find((l) => l.startsWith("http") && l.includes("#"));
  assert.ok(link, "the mail holds a link");
  return link;
}

/** The one-time code mailed to `address`. */
export async function mailedCode(address) {
  const code = /Sign-in code: (\d+)/.exec(await mailText(address));
  assert.ok(code, "the mail holds a code");
  return code[1];
}

const HERE = import.meta.dirname;
const TSC = join(HERE, "../node_modules/typescript/bin/tsc");

/**
 * A fresh app as a team makes one: the fixture folder `name` (beside this
 * file) copied to .scratch/<name>, with the tarballs of `packages` (folders
 * of clients/, packed by `npm pack`) installed into it. Peer dependencies
 * (react) resolve from this folder's node_modules. Returns the app's folder
 * and what `npm pack` said of each package.
 */
export function freshApp(name, packages) {
  const scratch = join(HERE, ".scratch", name);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const packed = packages.map((folder) => JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], {
    cwd: join(HERE, "..", folder),
    encoding: "utf8",
  }))[0]);
  const app = join(scratch, "app");
  cpSync(join(HERE, name), app, { recursive: true });
  execFileSync("npm", ["install", "--offline", "--legacy-peer-deps", "--no-audit", "--no-fund", "--loglevel=error",
    ...packed.map((p) => join(scratch, p.filename))], { cwd: app });
  return { app, packed };
}

/** Runs tsc on the tsconfig.json of `folder`; throws on any error. */
export function typeCheck(folder) {
  execFileSync(process.execPath, [TSC, "-p", folder], { stdio: "inherit" });
}

/**
 * Bundles the fresh app's `entry` with esbuild into .emulator/apps/<name>,
 * beside its index.html, where the dev server serves it on the origin the
 * stack allows; returns its URL.
 */
export async function serveBundled(app, entry, name) {
  const served = join(HERE, "../../.emulator/apps", name);
  rmSync(served, { recursive: true, force: true });
  await build({
    entryPoints: [join(app, entry)],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    outfile: join(served, "app.js"),
    logLevel: "warning",
  });
  copyFileSync(join(app, "index.html"), join(served, "index.html"));
  return new URL(`apps/${name}/`, PAGE).href;
}
