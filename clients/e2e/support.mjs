// What the browser tests share: headless Chromium (Debian's, driven by
// playwright-core), screenshots, unique addresses and the mail the dev
// server's inbox holds.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
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
