// Unit tests of magiclink.js in Node, with fetch, storage and the address bar
// replaced by test doubles: no browser and no stack needed.

import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import * as magiclink from "../magiclink.js";

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const token = (claims) => `${b64url({ alg: "ES256", kid: "k" })}.${b64url(claims)}.${"A".repeat(86)}`;

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
  };
}

let calls;
function answer(status, body, headers = {}) {
  return { status, ok: status < 300, json: async () => body, headers: new Headers(headers) };
}

beforeEach(() => {
  calls = [];
  magiclink.configure({ apiUrl: "https://api.example/", region: "eu-west-1", clientId: "client", storage: memoryStorage() });
});

test("configure refuses an incomplete configuration", () => {
  assert.throws(() => magiclink.configure({ apiUrl: "https://api.example" }), { code: "invalid_config" });
});

test("requestSignInLink posts the address and redirect, and maps API errors", async () => {
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return answer(202, { status: "accepted", challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE" });
  };
  assert.deepEqual(await magiclink.requestSignInLink(" Ann@Example.com", "https://app.example/"), {
    email: "ann@example.com",
    challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE",
    wrongCodes: 0,
  });
  assert.equal(calls[0].url, "https://api.example/v1/magic-links");
  assert.deepEqual(JSON.parse(calls[0].init.body), { email: " Ann@Example.com", redirectUri: "https://app.example/" });

  globalThis.fetch = async () => answer(429, { error: { code: "rate_limited", message: "too many requests" } }, { "retry-after": "12" });
  await assert.rejects(magiclink.requestSignInLink("ann@example.com"), { code: "rate_limited", status: 429, retryAfter: 12 });
});

test("takeLinkFromLocation reads the fragment and clears it from the address bar", () => {
  const replaced = [];
  const history = { state: null, replaceState: (_s, _t, url) => replaced.push(url) };
  const link = magiclink.takeLinkFromLocation(
    { hash: `#${token({ sub: "ann@example.com" })}`, pathname: "/signed-in", search: "?x=1" },
    history,
  );
  assert.equal(link.email, "ann@example.com");
  assert.deepEqual(replaced, ["/signed-in?x=1"]);
  assert.equal(magiclink.takeLinkFromLocation({ hash: "", pathname: "/", search: "" }, history), null);
  assert.equal(magiclink.takeLinkFromLocation({ hash: "#section-2", pathname: "/", search: "" }, history), null);
  assert.throws(() => magiclink.takeLinkFromLocation({ hash: "#a.b.c", pathname: "/", search: "" }, history), { code: "malformed_link" });
});

test("completeSignInFromLink answers the custom challenge and keeps the session", async () => {
  const idToken = token({ email: "ann@example.com", sub: "uuid" });
  globalThis.fetch = async (url, init) => {
    calls.push({ url, target: init.headers["x-amz-target"], body: JSON.parse(init.body) });
    if (init.headers["x-amz-target"].endsWith("InitiateAuth")) return answer(200, { ChallengeName: "CUSTOM_CHALLENGE", Session: "s1" });
    return answer(200, { AuthenticationResult: { IdToken: idToken, AccessToken: "at", RefreshToken: "rt", ExpiresIn: 3600 } });
  };
  const link = { email: "ann@example.com", token: token({ sub: "ann@example.com" }) };
  const session = await magiclink.completeSignInFromLink(link);
  assert.equal(calls[0].url, "https://cognito-idp.eu-west-1.amazonaws.com/");
  assert.deepEqual(calls[0].body, { ClientId: "client", AuthFlow: "CUSTOM_AUTH", AuthParameters: { USERNAME: "ann@example.com" } });
  assert.deepEqual(calls[1].body.ChallengeResponses, { USERNAME: "ann@example.com", ANSWER: link.token });
  assert.equal(calls[1].body.Session, "s1");
  assert.equal(session.claims.email, "ann@example.com");
  assert.equal(magiclink.currentSession().refreshToken, "rt");

  // A refresh keeps the refresh token, which Cognito does not send again.
  globalThis.fetch = async (url, init) => {
    calls.push({ body: JSON.parse(init.body) });
    return answer(200, { AuthenticationResult: { IdToken: idToken, AccessToken: "at2", ExpiresIn: 3600 } });
  };
  const refreshed = await magiclink.refresh();
  assert.equal(calls.at(-1).body.AuthFlow, "REFRESH_TOKEN_AUTH");
  assert.equal(calls.at(-1).body.AuthParameters.REFRESH_TOKEN, "rt");
  assert.equal(refreshed.accessToken, "at2");
  assert.equal(refreshed.refreshToken, "rt");

  await magiclink.signOut();
  assert.equal(magiclink.currentSession(), null);
  assert.equal(calls.at(-1).body.Token, "rt", "the refresh token is revoked");
});

test("a refused answer is reported as link_refused", async () => {
  globalThis.fetch = async (url, init) =>
    init.headers["x-amz-target"].endsWith("InitiateAuth")
      ? answer(200, { ChallengeName: "CUSTOM_CHALLENGE", Session: "s1" })
      : answer(200, { ChallengeName: "CUSTOM_CHALLENGE", Session: "s2" });
  await assert.rejects(magiclink.completeSignInFromLink({ email: "a@b.co", token: "x.y.z" }), { code: "link_refused" });
  globalThis.fetch = async () => answer(400, { __type: "NotAuthorizedException", message: "Incorrect username or password." });
  await assert.rejects(magiclink.completeSignInFromLink({ email: "a@b.co", token: "x.y.z" }), { code: "NotAuthorizedException" });
});

test("completeSignInWithCode answers with the request's challenge and the code's digits", async () => {
  const idToken = token({ email: "ann@example.com", sub: "uuid" });
  globalThis.fetch = async (url, init) => {
    calls.push({ target: init.headers["x-amz-target"], body: JSON.parse(init.body) });
    if (init.headers["x-amz-target"].endsWith("InitiateAuth")) return answer(200, { ChallengeName: "CUSTOM_CHALLENGE", Session: "s1" });
    return answer(200, { AuthenticationResult: { IdToken: idToken, AccessToken: "at", RefreshToken: "rt", ExpiresIn: 3600 } });
  };
  const request = { email: "ann@example.com", challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", wrongCodes: 0 };
  const session = await magiclink.completeSignInWithCode(request, " 1234-5678 ");
  assert.deepEqual(calls[0].body.AuthParameters, { USERNAME: "ann@example.com" });
  assert.deepEqual(calls[1].body.ChallengeResponses, {
    USERNAME: "ann@example.com",
    ANSWER: JSON.stringify({ challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", code: "12345678" }),
  });
  assert.equal(session.claims.email, "ann@example.com");
});

test("codes that are not codes are refused before any call, and wrong ones are counted to five", async () => {
  globalThis.fetch = async (url, init) => {
    calls.push(init.headers["x-amz-target"]);
    return answer(200, { ChallengeName: "CUSTOM_CHALLENGE", Session: "s" });
  };
  const request = { email: "ann@example.com", challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", wrongCodes: 0 };
  for (const code of ["", "12345", "1234567a", "12345678901", "１２３４５６７８"]) {
    await assert.rejects(magiclink.completeSignInWithCode(request, code), { code: "invalid_code" }, code);
  }
  await assert.rejects(magiclink.completeSignInWithCode(null, "12345678"), { code: "no_request" });
  assert.equal(calls.length, 0);
  for (let n = 1; n < 5; n++) {
    await assert.rejects(magiclink.completeSignInWithCode(request, "12345678"), { code: "code_refused" });
    assert.equal(request.wrongCodes, n);
  }
  await assert.rejects(magiclink.completeSignInWithCode(request, "12345678"), { code: "too_many_attempts" });
  const sent = calls.length;
  await assert.rejects(magiclink.completeSignInWithCode(request, "12345678"), { code: "too_many_attempts" });
  assert.equal(calls.length, sent, "a burnt request sends nothing");
});
