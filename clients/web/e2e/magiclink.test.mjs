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
    return answer(202, { status: "accepted" });
  };
  assert.deepEqual(await magiclink.requestSignInLink("ann@example.com", "https://app.example/"), { status: "accepted" });
  assert.equal(calls[0].url, "https://api.example/v1/magic-links");
  assert.deepEqual(JSON.parse(calls[0].init.body), { email: "ann@example.com", redirectUri: "https://app.example/" });

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
