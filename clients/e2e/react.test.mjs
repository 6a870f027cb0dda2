// @magiclink/react as a team gets it: both packages packed and installed
// into a fresh React app (react-app/), type-checked and bundled by esbuild
// with the real react and react-dom, then <SignIn /> through the stack in
// headless Chromium: keyboard only, by code, the offered passkey (Chromium's
// virtual authenticator) and passkey autofill; the approval from a second,
// German browser; a link signed in where it was opened.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { freshApp, launchBrowser, mailedCode, mailedLink, screenshot, serveBundled, typeCheck, uniqueAddress, virtualAuthenticator } from "./support.mjs";

let app;
let packed;
let url;
let browser;

before(async () => {
  ({ app, packed } = freshApp("react-app", ["web", "react"]));
  url = await serveBundled(app, "app.tsx", "react-app");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** The flow's status and how it signed in, as the app's <Status /> shows them. */
async function flowOf(page) {
  const flow = page.locator("#flow");
  return { status: await flow.getAttribute("data-status"), method: await flow.getAttribute("data-method") };
}

async function signedInAs(page, address) {
  await page.getByText(`Signed in as ${address}`).waitFor();
}

test("the package holds the bindings, their words and styles, and their declarations; the app type-checks", () => {
  const react = packed.find((p) => p.name === "@magiclink/react");
  assert.deepEqual(react.files.map((f) => f.path).sort(), [
    "README.md", "index.d.ts", "index.js", "messages.js", "package.json", "sign-in.css", "state.js",
  ]);
  // react-app/app.tsx also holds misuses marked @ts-expect-error.
  typeCheck(app);
});

test("keyboard only: an address, a wrong code, the code; then the offered passkey, and passkey autofill", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url);
  await page.getByLabel("Your e-mail address").waitFor();

  const address = uniqueAddress("react");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("autocomplete")), "username webauthn");
  await page.keyboard.type(address);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Check your mail" }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.name), "code", "focus moves to the code");
  assert.match(await page.locator(".magiclink-number").textContent(), /^\d\d$/);
  await page.getByRole("status").filter({ hasText: "The mail has left" }).waitFor();
  await screenshot(page, "react-1-check-your-mail");

  const code = await mailedCode(address);
  await page.keyboard.type("000000");
  await page.keyboard.press("Enter");
  await page.getByRole("alert").filter({ hasText: "That code is not right, or no longer valid. Tries left: 4." }).waitFor();
  await screenshot(page, "react-2-wrong-code");
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type(code);
  await page.keyboard.press("Enter");
  await signedInAs(page, address);
  assert.deepEqual(await flowOf(page), { status: "signedIn", method: "code" });

  // Offered once, after a sign-in by mail, with the focus on it.
  const offer = page.getByRole("button", { name: "Add a passkey" });
  await offer.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Add a passkey");
  await screenshot(page, "react-3-passkey-offered");
  await page.keyboard.press("Enter");
  await page.getByText("Passkey added.").waitFor();
  await page.getByRole("list", { name: "Your passkeys" }).getByRole("listitem").first().waitFor();
  assert.equal(await offer.count(), 0, "not offered again");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Your e-mail address").waitFor();
  assert.deepEqual(await flowOf(page), { status: "idle", method: "" });
  // The address field offers the passkey in autofill; the virtual
  // authenticator, which needs no user, picks it at once.
  await signedInAs(page, address);
  assert.deepEqual(await flowOf(page), { status: "signedIn", method: "passkey" });
  assert.equal(await page.getByRole("button", { name: "Add a passkey" }).count(), 0, "no offer after a passkey sign-in");
  await screenshot(page, "react-4-signed-in-by-autofill");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a link opened in a German browser approves the asking tab with its number, after a wrong one", async () => {
  const asking = await browser.newContext();
  const phone = await browser.newContext({ locale: "de-DE" });
  const tab = await asking.newPage();
  await tab.goto(url);
  const address = uniqueAddress("react-approval");
  await tab.getByLabel("Your e-mail address").fill(address);
  await tab.getByRole("button", { name: "Email me a link" }).click();
  const number = Number(await tab.locator(".magiclink-number").textContent());

  const opened = await phone.newPage();
  await opened.goto(await mailedLink(address));
  await opened.getByRole("heading", { name: `Als ${address} anmelden?` }).waitFor();
  assert.ok(!opened.url().includes("#"), "the token is cleared from the address bar");
  assert.equal(await opened.locator(".magiclink").getAttribute("lang"), "de");
  await opened.getByLabel("Die Zahl, die das andere Gerät zeigt").fill(String((number + 1) % 100));
  await opened.getByRole("button", { name: "Bestätigen" }).click();
  await opened.getByRole("alert").filter({ hasText: "Verbleibende Versuche: 2." }).waitFor();
  await opened.getByLabel("Die Zahl, die das andere Gerät zeigt").fill(String(number));
  await opened.getByRole("button", { name: "Bestätigen" }).click();
  await opened.getByText("Erledigt: Das andere Gerät meldet sich jetzt an.").waitFor();
  await screenshot(opened, "react-5-approved-in-german");

  await signedInAs(tab, address);
  assert.deepEqual(await flowOf(tab), { status: "signedIn", method: "approval" });
  assert.equal((await flowOf(opened)).status, "approved", "the phone holds no session");
  await asking.close();
  await phone.close();
});

test("a link opened in another browser signs in there once confirmed, and only once", async () => {
  const asking = await browser.newContext();
  const other = await browser.newContext();
  const tab = await asking.newPage();
  await tab.goto(url);
  const address = uniqueAddress("react-link");
  await tab.getByLabel("Your e-mail address").fill(address);
  await tab.getByRole("button", { name: "Email me a link" }).click();
  await tab.getByRole("heading", { name: "Check your mail" }).waitFor();
  const link = await mailedLink(address);

  const page = await other.newPage();
  await page.goto(link);
  await page.getByRole("button", { name: "Sign in here" }).click();
  await signedInAs(page, address);
  assert.deepEqual(await flowOf(page), { status: "signedIn", method: "link" });
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto(link);
  await page.getByRole("button", { name: "Sign in here" }).click();
  await page.getByRole("alert").filter({ hasText: "This link has been used" }).waitFor();
  assert.equal((await flowOf(page)).status, "idle");
  await asking.close();
  await other.close();
});
