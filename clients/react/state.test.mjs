// Unit tests of the flow's state machine and of <SignIn />'s words, in
// Node: pure functions, no React and no browser.

import { test } from "node:test";
import assert from "node:assert/strict";
import { initialState, reduce, errorOf } from "./state.js";
import { describe, languages, messagesFor } from "./messages.js";

const run = (actions, from = initialState) => actions.reduce(reduce, from);
const request = { email: "ann@example.com", challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", wrongCodes: 0, approvalNumber: 7 };
const session = { claims: { email: "ann@example.com" } };
const refusal = (code, extra = {}) => Object.assign(new Error(code), { code, ...extra });

test("idle → requesting → waiting with the number → signingIn → signedIn by code", () => {
  const asked = run([{ type: "request", email: "ann@example.com" }]);
  assert.equal(asked.status, "requesting");
  const waiting = run([{ type: "requested", request }], asked);
  assert.deepEqual([waiting.status, waiting.approvalNumber, waiting.delivery], ["waiting", 7, null]);
  const told = run([{ type: "delivery", request, delivery: "sent" }], waiting);
  assert.equal(told.delivery, "sent");
  const signing = run([{ type: "signingIn" }], told);
  assert.deepEqual([signing.status, signing.from], ["signingIn", "waiting"]);
  const done = run([{ type: "session", session, method: "code" }], signing);
  assert.deepEqual([done.status, done.method, done.session, done.request], ["signedIn", "code", session, null]);
});

test("a refused code goes back to waiting with the error; one that burnt the challenge back to the start", () => {
  const waiting = run([{ type: "request", email: "a@example.com" }, { type: "requested", request }]);
  const wrong = run([{ type: "signingIn" }, { type: "failed", error: refusal("code_refused") }], waiting);
  assert.deepEqual([wrong.status, wrong.error.code, wrong.request], ["waiting", "code_refused", request]);
  const burnt = run([{ type: "signingIn" }, { type: "failed", error: refusal("too_many_attempts") }], wrong);
  assert.deepEqual([burnt.status, burnt.error.code, burnt.request, burnt.email], ["idle", "too_many_attempts", null, "a@example.com"]);
});

test("a refused request goes back to idle, with when to retry", () => {
  const refused = run([{ type: "request", email: "a@example.com" }, { type: "failed", error: refusal("rate_limited", { retryAfter: 12 }), now: 1000 }]);
  assert.equal(refused.status, "idle");
  assert.deepEqual(refused.error, { code: "rate_limited", message: "rate_limited", retryAfter: 12, retryAt: 13000, attemptsLeft: null });
});

test("a link opened here: confirming, then signed in, approved, or refused", () => {
  const link = { token: "t", email: "ann@example.com", challengeId: "c", approvable: true };
  const confirming = run([{ type: "link", link }]);
  assert.deepEqual([confirming.status, confirming.email], ["confirming", "ann@example.com"]);
  assert.equal(run([{ type: "approved" }], confirming).status, "approved");
  const wrongNumber = run([{ type: "failed", error: refusal("wrong_number", { attemptsLeft: 2 }) }], confirming);
  assert.deepEqual([wrongNumber.status, wrongNumber.error.attemptsLeft], ["confirming", 2]);
  const refused = run([{ type: "signingIn" }, { type: "failed", error: refusal("link_refused") }], confirming);
  assert.deepEqual([refused.status, refused.error.code, refused.link], ["idle", "link_refused", null]);
});

test("the wait ending (expired) starts over; sign-out and reset end the flow; stale news is ignored", () => {
  const waiting = run([{ type: "request", email: "a@example.com" }, { type: "requested", request }]);
  assert.equal(run([{ type: "failed", error: refusal("expired") }], waiting).status, "idle");
  assert.equal(run([{ type: "reset" }], waiting).status, "idle");
  assert.equal(run([{ type: "delivery", request: { ...request }, delivery: "bounced" }], waiting).delivery, null, "another request's news");
  assert.equal(run([{ type: "requested", request }], initialState).status, "idle", "an answer after a reset");
  const signedIn = run([{ type: "session", session }]);
  assert.deepEqual([signedIn.status, signedIn.method], ["signedIn", null], "a session found, not made here");
  assert.equal(run([{ type: "session", session: { claims: {} } }], { ...signedIn, method: "link" }).method, "link", "a refresh keeps the method");
  assert.equal(run([{ type: "session", session: null }], signedIn).status, "idle");
  assert.equal(run([{ type: "session", session: null }], waiting).status, "waiting", "no session news while waiting");
});

test("errorOf keeps what a thrown value says, and names the unexpected", () => {
  assert.equal(errorOf(new TypeError("boom")).code, "unexpected");
  assert.equal(errorOf("text").message, "text");
});

test("every language says everything English says, and errors are described in it", () => {
  const shape = (value) => (typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)])) : typeof value);
  const english = shape(languages.en);
  for (const [lang, messages] of Object.entries(languages)) {
    assert.deepEqual({ ...shape(messages), lang: "string" }, english, `${lang} has every message`);
    assert.equal(messages.lang, lang);
  }
  assert.equal(messagesFor("de-DE").lang, "de");
  assert.equal(messagesFor("pt-BR").lang, "en");
  assert.equal(messagesFor(undefined).lang, "en");
  const de = messagesFor("de");
  assert.equal(describe(errorOf(refusal("rate_limited", { retryAfter: 30 }), 0), de, 10_000), "Zu viele Anfragen. Versuchen Sie es in 20 s erneut.");
  assert.equal(describe(errorOf(refusal("wrong_number", { attemptsLeft: 1 })), messagesFor("en")), "That is not the number the other device shows. Tries left: 1.");
  assert.equal(describe(errorOf(refusal("no_such_code")), messagesFor("fr")), languages.fr.errors.unexpected);
});
