// The demo page (clients/demo: <SignIn /> of @magiclink/react) in real
// headless Chromium, against the stack `make up` deployed and the dev
// server `make dev` runs (the Makefile's e2e target starts it): type an
// address, open the mailed link, confirm, see the claims; the link in a
// second browser, the code, the approval of another device, where the mail
// is, and passkeys.
//
// Screenshots of every step go to SCREENSHOTS (default .emulator/screenshots).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PAGE, launchBrowser, mailTo, mailedCode, mailedLink, screenshot, uniqueAddress, virtualAuthenticator } from "./support.mjs";

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function askForLink(page, address, name) {
  await page.goto(PAGE);
  await page.getByLabel("Your e-mail address").fill(address);
  await screenshot(page, `${name}-1-address`);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await page.getByRole("heading", { name: "Check your mail" }).waitFor();
  assert.ok((await page.locator(".magiclink").textContent()).includes(address));
  await screenshot(page, `${name}-2-check-your-mail`);
}

async function signedIn(page, address) {
  await page.getByText(`Signed in as ${address}`).waitFor({ timeout: 20_000 });
  const claims = await page.locator("#claims").textContent();
  assert.ok(claims.includes(address), `the claims name ${address}: ${claims}`);
}

async function signInWithLink(page, link, address, name) {
  await page.goto(link);
  await page.getByRole("heading", { name: `Sign in as ${address}?` }).waitFor();
  assert.ok(!page.url().includes("#"), "the token is cleared from the address bar");
  await screenshot(page, `${name}-3-confirm`);
  await page.getByRole("button", { name: "Sign in here" }).click();
  await signedIn(page, address);
  await screenshot(page, `${name}-4-signed-in`);
}

/** The refusal <SignIn /> announces. */
async function alerted(page, pattern) {
  const alert = page.getByRole("alert").filter({ hasText: pattern });
  await alert.waitFor();
  return alert.textContent();
}

test("a visitor asks for a link, opens it, confirms and is signed in", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const address = uniqueAddress("browser");
  await askForLink(page, address, "same-browser");
  await signInWithLink(page, await mailedLink(address), address, "same-browser");

  // The tokens refresh through Cognito with the refresh token (the demo's
  // client is window.magiclink).
  const refreshed = await page.evaluate(async () => {
    const before = window.magiclink.currentSession();
    const after = await window.magiclink.refresh();
    return { changed: before.accessToken !== after.accessToken, email: after.claims.email, kept: before.refreshToken === after.refreshToken };
  });
  assert.deepEqual(refreshed, { changed: true, email: address, kept: true });

  // Reloading keeps the session; signing out ends it.
  await page.reload();
  await signedIn(page, address);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Email me a link" }).waitFor();
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
  await again.getByRole("button", { name: "Sign in here" }).click();
  await alerted(again, /used, has expired, or was replaced/);
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
  const field = page.getByLabel("Code from the mail");
  assert.equal(await field.getAttribute("autocomplete"), "one-time-code");
  assert.equal(await field.getAttribute("inputmode"), "numeric");

  // A wrong code: a clear message, and the screen stays for another try.
  const wrong = String((Number(code) + 1) % 10 ** code.length).padStart(code.length, "0");
  await field.fill(wrong);
  await page.getByRole("button", { name: "Sign in with the code" }).click();
  await alerted(page, /not right.*Tries left: 4/);
  await screenshot(page, "code-3-wrong-code");

  // The right one, pasted as the mail groups it.
  await field.fill(`${code.slice(0, 4)} ${code.slice(4)}`);
  await screenshot(page, "code-4-typed");
  await page.getByRole("button", { name: "Sign in with the code" }).click();
  await signedIn(page, address);
  await screenshot(page, "code-5-signed-in");

  // The mail's link is now dead.
  const other = await browser.newContext();
  const again = await other.newPage();
  await again.goto(await mailedLink(address));
  await again.getByRole("button", { name: "Sign in here" }).click();
  await alerted(again, /used, has expired, or was replaced/);
  await other.close();
  await context.close();
});

test("a link opened on another device approves the asking tab with its number; only that tab signs in", async () => {
  // A: the laptop that asks, and shows the number.
  const laptop = await browser.newContext();
  const asking = await laptop.newPage();
  const address = uniqueAddress("approval");
  await askForLink(asking, address, "approval");
  const number = (await asking.locator(".magiclink-number").textContent()).trim();
  assert.match(number, /^\d\d$/);
  await screenshot(asking, "approval-3-number-shown");

  // B: the phone opens the mailed link and approves with A's number, after
  // a wrong one.
  const phone = await browser.newContext();
  const page = await phone.newPage();
  await page.goto(await mailedLink(address));
  await page.getByRole("heading", { name: `Sign in as ${address}?` }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Sign in here" }).isVisible());
  assert.match(await page.locator(".magiclink-approve").textContent(), /did not just ask to sign in/);
  const numberField = page.getByLabel("The number the other device shows");
  await numberField.fill(String((Number(number) + 1) % 100).padStart(2, "0"));
  await page.getByRole("button", { name: "Approve" }).click();
  await alerted(page, /not the number.*Tries left: 2/);
  await screenshot(page, "approval-4-wrong-number");
  await numberField.fill(number);
  await screenshot(page, "approval-5-approve");
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByText("Done: the other device signs in now.").waitFor();
  await screenshot(page, "approval-6-approved");

  // A signs in by itself, without a reload.
  await signedIn(asking, address);
  await screenshot(asking, "approval-7-asking-tab-signed-in");
  // B is not signed in.
  const sessions = await page.evaluate(() => Object.keys(localStorage).filter((key) => key.endsWith(".session")));
  assert.deepEqual(sessions, []);
  await phone.close();
  await laptop.close();
});

test("the waiting screen tells where the mail is, and page and mail are in the browser's language", async () => {
  const context = await browser.newContext({ locale: "de-DE" });
  const page = await context.newPage();
  const address = uniqueAddress("bounce");
  await page.goto(PAGE);
  await page.getByLabel("Ihre E-Mail-Adresse").fill(address);
  await page.getByRole("button", { name: "Link per E-Mail senden" }).click();
  await page.getByRole("heading", { name: "Sehen Sie in Ihr Postfach" }).waitFor();
  const mail = await mailTo(address);
  assert.equal(mail.subject, "Ihr Anmeldelink und Code");
  assert.match(mail.text, /Anmeldecode: \d{8}/);
  const status = page.getByRole("status");
  await status.filter({ hasText: "Die E-Mail ist unterwegs" }).waitFor({ timeout: 15_000 });

  // SES reports a hard bounce (played by the dev server, as the emulator's
  // SES reports nothing): the waiting screen says so.
  const played = await fetch(new URL("ses-report", PAGE), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id: mail.id, report: "bounced" }),
  });
  assert.equal(played.status, 200);
  await status.filter({ hasText: "Die E-Mail kam zurück" }).waitFor({ timeout: 20_000 });
  assert.match(await status.getAttribute("class"), /magiclink-warning/);
  await screenshot(page, "delivery-bounced");
  await context.close();
});

test("a user signed in by link adds the offered passkey, autofill signs them in with it, and once removed the browser forgets it", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
  // What the page tells the browser through the WebAuthn Signal API.
  await context.addInitScript(() => {
    window.signals = [];
    for (const name of ["signalAllAcceptedCredentials", "signalUnknownCredential"]) {
      const own = PublicKeyCredential[name];
      PublicKeyCredential[name] = (details) => {
        window.signals.push({ name, details });
        return own ? own.call(PublicKeyCredential, details) : Promise.resolve();
      };
    }
  });
  const address = uniqueAddress("passkey");
  await askForLink(page, address, "passkey");
  await signInWithLink(page, await mailedLink(address), address, "passkey");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.getByText("Passkey added.").waitFor();
  await page.locator("#passkeys li").first().waitFor();
  assert.match(await page.locator("#passkeys").textContent(), /Passkey \(added .*, not used yet\)/);
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.ok(credentials[0].isResidentCredential, "the passkey is discoverable");
  assert.equal(credentials[0].rpId, new URL(PAGE).hostname);
  await screenshot(page, "passkey-5-added");

  // Signed out, the address field's autofill offers the passkey, and the
  // virtual authenticator takes it: signed in, no address typed.
  await page.getByRole("button", { name: "Sign out" }).click();
  // Signed in again by the passkey: its list now says it was used.
  await page.locator("#passkeys").filter({ hasText: /Passkey .*last used/ }).waitFor({ timeout: 20_000 });
  await signedIn(page, address);
  assert.equal(await page.getByRole("button", { name: "Add a passkey" }).count(), 0, "no offer after a passkey sign-in");
  await screenshot(page, "passkey-6-signed-in-with-passkey");

  // Removed, the browser is told to forget it (the Signal API), and
  // Chromium's authenticator does: neither autofill nor the button offers it.
  await page.getByRole("button", { name: "Remove Passkey" }).click();
  await page.locator("#passkeys").waitFor({ state: "detached" });
  const credentialId = Buffer.from(credentials[0].credentialId, "base64").toString("base64url");
  const signals = await page.evaluate(() => window.signals);
  assert.deepEqual(signals.filter((s) => s.name === "signalUnknownCredential").map((s) => s.details),
    [{ rpId: "localhost", credentialId }], "the browser is told to forget the removed passkey");
  assert.deepEqual(signals.filter((s) => s.name === "signalAllAcceptedCredentials").at(-1).details.allAcceptedCredentialIds, [],
    "and that the user has none left");
  const { credentials: kept } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.deepEqual(kept, [], "the authenticator forgot it");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await alerted(page, /No passkey was chosen/);
  assert.ok(await page.getByLabel("Your e-mail address").isVisible(), "still signed out");
  await screenshot(page, "passkey-7-removed-refused");
  await context.close();
});
