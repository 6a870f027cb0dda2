// The demo page in real headless Chromium, against the stack `make up`
// deployed and the dev server `make dev` runs (the Makefile's e2e target
// starts it): type an address, open the mailed link, confirm, see the claims;
// and the same with the link opened in a second, fresh browser.
//
// Screenshots of every step go to SCREENSHOTS (default .emulator/screenshots).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PAGE, launchBrowser, mailTo, mailedCode, mailedLink, screenshot, uniqueAddress } from "./support.mjs";

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function askForLink(page, address, name) {
  await page.goto(PAGE);
  await page.locator("#email").fill(address);
  await screenshot(page, `${name}-1-address`);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await page.locator("#sent").waitFor({ state: "visible" });
  assert.equal(await page.locator("#sent-to").textContent(), address);
  await screenshot(page, `${name}-2-check-your-mail`);
}

async function signInWithLink(page, link, address, name) {
  await page.goto(link);
  await page.locator("#confirm").waitFor({ state: "visible" });
  assert.equal(await page.locator("#confirm-email").textContent(), address);
  assert.ok(!page.url().includes("#"), "the token is cleared from the address bar");
  await screenshot(page, `${name}-3-confirm`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#signed-in").waitFor({ state: "visible" });
  const claims = await page.locator("#claims").textContent();
  assert.ok(claims.includes(address), `the claims name ${address}: ${claims}`);
  await screenshot(page, `${name}-4-signed-in`);
}

test("a visitor asks for a link, opens it, confirms and is signed in", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const address = uniqueAddress("browser");
  await askForLink(page, address, "same-browser");
  await signInWithLink(page, await mailedLink(address), address, "same-browser");

  // The tokens refresh through Cognito with the refresh token.
  const refreshed = await page.evaluate(async () => {
    const magiclink = await import("/magiclink.js");
    const before = magiclink.currentSession();
    const after = await magiclink.refresh();
    return { changed: before.accessToken !== after.accessToken, email: after.claims.email, kept: before.refreshToken === after.refreshToken };
  });
  assert.deepEqual(refreshed, { changed: true, email: address, kept: true });

  // Reloading keeps the session; signing out ends it.
  await page.reload();
  await page.locator("#signed-in").waitFor({ state: "visible" });
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator("#ask").waitFor({ state: "visible" });
  await context.close();
});

test("a link opened in a second, fresh browser signs in there", async () => {
  const asking = await browser.newContext();
  const address = uniqueAddress("other-browser");
  await askForLink(await asking.newPage(), address, "second-browser");
  const link = await mailedLink(address);

  const fresh = await browser.newContext();
  const page = await fresh.newPage();
  await signInWithLink(page, link, address, "second-browser");
  await fresh.close();

  // The same link again, in yet another browser: refused.
  const third = await browser.newContext();
  const again = await third.newPage();
  await again.goto(link);
  await again.getByRole("button", { name: "Sign in" }).click();
  await again.locator("#error").waitFor({ state: "visible" });
  assert.match(await again.locator("#error").textContent(), /used|expired|newer/);
  await screenshot(again, "second-browser-5-replay-refused");
  await third.close();
  await asking.close();
});

test("a visitor types the code from the mail, after a wrong one, and is signed in", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const address = uniqueAddress("code");
  await askForLink(page, address, "code");
  const code = await mailedCode(address);
  assert.equal(await page.locator("#code").getAttribute("autocomplete"), "one-time-code");

  // A wrong code: a clear message, and the screen stays for another try.
  const wrong = String((Number(code) + 1) % 10 ** code.length).padStart(code.length, "0");
  await page.locator("#code").fill(wrong);
  await page.getByRole("button", { name: "Sign in with the code" }).click();
  await page.locator("#error").waitFor({ state: "visible" });
  assert.match(await page.locator("#error").textContent(), /not right.*4 tries left/);
  await screenshot(page, "code-3-wrong-code");

  // The right one, pasted as the mail groups it.
  await page.locator("#code").fill(`${code.slice(0, 4)} ${code.slice(4)}`);
  await screenshot(page, "code-4-typed");
  await page.getByRole("button", { name: "Sign in with the code" }).click();
  await page.locator("#signed-in").waitFor({ state: "visible" });
  const claims = await page.locator("#claims").textContent();
  assert.ok(claims.includes(address), `the claims name ${address}: ${claims}`);
  await screenshot(page, "code-5-signed-in");

  // The mail's link is now dead.
  const other = await browser.newContext();
  const again = await other.newPage();
  await again.goto(await mailedLink(address));
  await again.getByRole("button", { name: "Sign in" }).click();
  await again.locator("#error").waitFor({ state: "visible" });
  await other.close();
  await context.close();
});

test("a link opened on another device approves the asking tab with its number; only that tab signs in", async () => {
  // A: the laptop that asks, and shows the number.
  const laptop = await browser.newContext();
  const asking = await laptop.newPage();
  const address = uniqueAddress("approval");
  await askForLink(asking, address, "approval");
  await asking.locator("#approval").waitFor({ state: "visible" });
  const number = (await asking.locator("#approval-number").textContent()).trim();
  assert.match(number, /^\d\d$/);
  await screenshot(asking, "approval-3-number-shown");

  // B: the phone opens the mailed link and approves with A's number, after
  // a wrong one.
  const phone = await browser.newContext();
  const page = await phone.newPage();
  await page.goto(await mailedLink(address));
  await page.locator("#confirm").waitFor({ state: "visible" });
  assert.ok(await page.getByRole("button", { name: "Sign in here" }).isVisible());
  assert.match(await page.locator("#approve-form").textContent(), /did not just ask to sign in/);
  const wrong = String((Number(number) + 1) % 100).padStart(2, "0");
  await page.locator("#approve-number").fill(wrong);
  await page.getByRole("button", { name: "Approve the other device" }).click();
  await page.locator("#error").waitFor({ state: "visible" });
  assert.match(await page.locator("#error").textContent(), /not the number.*2 tries left/);
  await screenshot(page, "approval-4-wrong-number");
  await page.locator("#approve-number").fill(number);
  await screenshot(page, "approval-5-approve");
  await page.getByRole("button", { name: "Approve the other device" }).click();
  await page.locator("#approved").waitFor({ state: "visible" });
  await screenshot(page, "approval-6-approved");

  // A signs in by itself, without a reload.
  await asking.locator("#signed-in").waitFor({ state: "visible", timeout: 20_000 });
  const claims = await asking.locator("#claims").textContent();
  assert.ok(claims.includes(address), `the claims name ${address}: ${claims}`);
  await screenshot(asking, "approval-7-asking-tab-signed-in");

  // B is not signed in.
  const phoneSession = await page.evaluate(() => localStorage.getItem("magiclink.session"));
  assert.equal(phoneSession, null);
  await phone.close();
  await laptop.close();
});

test("the waiting screen tells where the mail is, and the mail is in the browser's language", async () => {
  const context = await browser.newContext({ locale: "de-DE" });
  const page = await context.newPage();
  const address = uniqueAddress("bounce");
  await askForLink(page, address, "delivery");
  const mail = await mailTo(address);
  assert.equal(mail.subject, "Ihr Anmeldelink und Code");
  assert.match(mail.text, /Anmeldecode: \d{8}/);
  const state = page.locator("#delivery-state");
  await page.waitForFunction(() => document.getElementById("delivery-state").textContent.includes("The mail has left"), null, { timeout: 15_000 });

  // SES reports a hard bounce (played by the dev server, as the emulator's
  // SES reports nothing): the waiting screen says so.
  const played = await fetch(new URL("ses-report", PAGE), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id: mail.id, report: "bounced" }),
  });
  assert.equal(played.status, 200);
  await page.waitForFunction(() => document.getElementById("delivery-state").textContent.includes("bounced: check the address"), null, { timeout: 20_000 });
  assert.ok(await state.isVisible());
  await screenshot(page, "delivery-bounced");
  await context.close();
});

test("a user signed in by link adds a passkey, signs out, and signs in with it without typing an address", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Chromium's virtual authenticator: a platform authenticator that holds
  // discoverable credentials and verifies its user without a prompt.
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const address = uniqueAddress("passkey");
  await askForLink(page, address, "passkey");
  await signInWithLink(page, await mailedLink(address), address, "passkey");

  await page.locator("#passkeys-part").waitFor({ state: "visible" });
  await page.locator("#passkey-name").fill("Test laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.locator("#passkeys li").first().waitFor();
  assert.match(await page.locator("#passkeys").textContent(), /Test laptop \(added .*, not used yet\)/);
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.ok(credentials[0].isResidentCredential, "the passkey is discoverable");
  assert.equal(credentials[0].rpId, new URL(PAGE).hostname);
  await screenshot(page, "passkey-5-added");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator("#ask").waitFor({ state: "visible" });
  await page.goto(PAGE);
  await page.locator("#ask").waitFor({ state: "visible" });
  assert.equal(await page.locator("#email").inputValue(), "", "no address typed");
  await screenshot(page, "passkey-6-signed-out");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.locator("#signed-in").waitFor({ state: "visible" });
  const claims = await page.locator("#claims").textContent();
  assert.ok(claims.includes(address), `the claims name ${address}: ${claims}`);
  await page.locator("#passkeys li").first().waitFor();
  assert.match(await page.locator("#passkeys").textContent(), /Test laptop .*last used/);
  await screenshot(page, "passkey-7-signed-in-with-passkey");

  // Removed, it signs no one in.
  await page.getByRole("button", { name: "Remove Test laptop" }).click();
  await page.locator("#passkeys li").waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator("#ask").waitFor({ state: "visible" });
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.locator("#error").waitFor({ state: "visible" });
  assert.match(await page.locator("#error").textContent(), /refused/);
  assert.ok(await page.locator("#ask").isVisible(), "still signed out");
  await context.close();
});
