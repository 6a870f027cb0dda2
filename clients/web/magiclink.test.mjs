// Unit tests of magiclink.js in Node, with fetch, storage and the address bar
// replaced by test doubles: no browser and no stack needed.

import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import * as magiclink from "./magiclink.js";

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
    await assert.rejects(magiclink.completeSignInWithCode(request, "12345678"), { code: "code_refused", attemptsLeft: 5 - n });
    assert.equal(request.wrongCodes, n);
  }
  await assert.rejects(magiclink.completeSignInWithCode(request, "12345678"), { code: "too_many_attempts" });
  const sent = calls.length;
  await assert.rejects(magiclink.completeSignInWithCode(request, "12345678"), { code: "too_many_attempts" });
  assert.equal(calls.length, sent, "a burnt request sends nothing");
});

test("newVerifier makes a 43-character verifier, its SHA-256 binding and the number", async () => {
  const { verifier, binding, number } = await magiclink.newVerifier();
  assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
  const hash = (await import("node:crypto")).createHash("sha256").update(verifier).digest();
  assert.equal(binding, hash.toString("base64url"));
  assert.equal(number, hash.readUInt16BE(0) % 100);
  assert.notEqual((await magiclink.newVerifier()).verifier, verifier);
});

test("requestSignInLink sends a locale only when given one", async () => {
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return answer(202, { status: "accepted", challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE" });
  };
  await magiclink.requestSignInLink("ann@example.com", null, { locale: "de-AT" });
  await magiclink.requestSignInLink("ann@example.com", null);
  await magiclink.requestSignInLink("ann@example.com", null, { locale: 42 });
  const sent = calls.map((c) => JSON.parse(c.init.body));
  assert.equal(sent[0].locale, "de-AT");
  assert.ok(!("locale" in sent[1]) && !("locale" in sent[2]));
});

test("requestSignInLink with approval sends the binding and keeps the verifier out of the handle", async () => {
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return answer(202, { status: "accepted", challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE" });
  };
  const handle = await magiclink.requestSignInLink("ann@example.com", null, { approveFromAnotherDevice: true });
  const sent = JSON.parse(calls[0].init.body);
  assert.match(sent.binding, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(Number.isInteger(handle.approvalNumber) && handle.approvalNumber >= 0 && handle.approvalNumber < 100);
  assert.deepEqual(Object.keys(handle).sort(), ["approvalNumber", "challengeId", "email", "wrongCodes"]);
  assert.doesNotMatch(JSON.stringify(handle), /verifier/);
});

/** A fetch that answers the status polls with `statuses` in turn and Cognito with tokens. */
function approvalWorld(statuses) {
  globalThis.fetch = async (url, init = {}) => {
    calls.push({ url, init });
    if (String(url).endsWith("/v1/magic-links")) return answer(202, { status: "accepted", challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE" });
    if (String(url).includes("/v1/magic-links/")) {
      const status = statuses.shift();
      if (typeof status === "number") return answer(status, { error: { code: "not_found", message: "no such challenge" } });
      const [progress, delivery] = status.split("/");
      const body = { status: progress, expiresAt: Math.floor(Date.now() / 1000) + 900 };
      if (delivery) body.delivery = delivery;
      return answer(200, body);
    }
    const target = init.headers["x-amz-target"];
    if (target.endsWith("InitiateAuth")) return answer(200, { ChallengeName: "CUSTOM_CHALLENGE", Session: "s" });
    return answer(200, { AuthenticationResult: { IdToken: token({ sub: "u", email: "ann@example.com" }), AccessToken: "a", RefreshToken: "r", ExpiresIn: 3600 } });
  };
}

test("waitForApproval polls with the verifier and signs in with it once approved", async () => {
  approvalWorld(["pending/sent", "pending/bounced", "approved"]);
  const handle = await magiclink.requestSignInLink("ann@example.com", null, { approveFromAnotherDevice: true });
  const heard = [];
  const session = await magiclink.waitForApproval(handle, { onStatus: (s, d) => heard.push(`${s}/${d.delivery}`) });
  assert.equal(session.claims.email, "ann@example.com");
  assert.deepEqual(heard, ["pending/sent", "pending/bounced", "approved/null"], "each status with where the mail is, when told");
  const polls = calls.filter((c) => String(c.url).endsWith("/v1/magic-links/01KAB0ZQ8Y3N6M2F4T7W9XRCDE"));
  assert.equal(polls.length, 3);
  const verifier = polls[0].init.headers["x-magiclink-verifier"];
  const binding = JSON.parse(calls[0].init.body).binding;
  const hash = (await import("node:crypto")).createHash("sha256").update(verifier).digest("base64url");
  assert.equal(hash, binding, "the header carries the verifier of the binding");
  const answered = JSON.parse(calls.at(-1).init.body).ChallengeResponses.ANSWER;
  assert.deepEqual(JSON.parse(answered), { challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", verifier });
  await assert.rejects(magiclink.waitForApproval(handle), { code: "no_approval" }, "the verifier is spent");
});

test("waitForApproval stops on used, revoked, 404 and abort, and needs an approval request", async () => {
  for (const [statuses, code] of [[["used"], "used"], [["revoked"], "revoked"], [["expired"], "expired"], [[404], "not_found"]]) {
    approvalWorld(statuses);
    const handle = await magiclink.requestSignInLink("ann@example.com", null, { approveFromAnotherDevice: true });
    await assert.rejects(magiclink.waitForApproval(handle), { code });
  }
  approvalWorld(["pending", "pending", "pending"]);
  const handle = await magiclink.requestSignInLink("ann@example.com", null, { approveFromAnotherDevice: true });
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 50);
  await assert.rejects(magiclink.waitForApproval(handle, { signal: stop.signal }), { code: "aborted" });
  const plain = await magiclink.requestSignInLink("ann@example.com");
  await assert.rejects(magiclink.waitForApproval(plain), { code: "no_approval" });
});

test("approveSignIn posts the token and the number, and reports a wrong number", async () => {
  const link = { token: token({ sub: "ann@example.com", jti: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", apv: true }), email: "ann@example.com", challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", approvable: true };
  for (const bad of [100, -1, 4.5, "4x", "", null]) {
    calls = [];
    await assert.rejects(magiclink.approveSignIn(link, bad), { code: "invalid_number" }, String(bad));
    assert.equal(calls.length, 0);
  }
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return answer(400, { error: { code: "wrong_number", message: "not that one", attemptsLeft: 1 } });
  };
  await assert.rejects(magiclink.approveSignIn(link, "07"), { code: "wrong_number", attemptsLeft: 1 });
  assert.equal(calls[0].url, "https://api.example/v1/magic-links/01KAB0ZQ8Y3N6M2F4T7W9XRCDE/approval");
  assert.deepEqual(JSON.parse(calls[0].init.body), { token: link.token, number: 7 });
  globalThis.fetch = async () => ({ status: 204, ok: true, headers: new Headers() });
  await magiclink.approveSignIn(link, 42);
});

test("takeLinkFromLocation tells whether a link may approve another device", () => {
  const history = { state: null, replaceState: () => {} };
  const link = magiclink.takeLinkFromLocation(
    { hash: `#${token({ sub: "ann@example.com", jti: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", apv: true })}`, pathname: "/", search: "" },
    history,
  );
  assert.deepEqual([link.challengeId, link.approvable], ["01KAB0ZQ8Y3N6M2F4T7W9XRCDE", true]);
  const plain = magiclink.takeLinkFromLocation({ hash: `#${token({ sub: "ann@example.com", jti: "x" })}`, pathname: "/", search: "" }, history);
  assert.equal(plain.approvable, false);
});

// Passkeys: the browser's navigator.credentials replaced by a double.

const bytes = (text) => new TextEncoder().encode(text);
const buffer = (text) => bytes(text).buffer;

function fakeCredentials({ create, get }) {
  globalThis.PublicKeyCredential = class {};
  Object.defineProperty(globalThis, "navigator", {
    value: { credentials: { create, get } },
    configurable: true,
  });
}

function signedIn() {
  magiclink.configure({ apiUrl: "https://api.example", region: "eu-west-1", clientId: "client", storage: memoryStorage() });
  globalThis.fetch = async () => answer(200, { AuthenticationResult: { IdToken: token({ sub: "sub-1" }), AccessToken: "access-1", ExpiresIn: 3600 } });
  return magiclink.completeSignInWithCode({ email: "ann@example.com", challengeId: "c", wrongCodes: 0 }, "12345678");
}

const assertion = (userHandle) => ({
  id: "Y3JlZA",
  rawId: buffer("cred"),
  type: "public-key",
  response: {
    clientDataJSON: buffer("{}"),
    authenticatorData: buffer("auth"),
    signature: buffer("sig"),
    userHandle: userHandle === null ? null : buffer(userHandle),
  },
  getClientExtensionResults: () => ({}),
});

test("registerPasskey needs a session, turns the options into bytes and posts the credential as JSON", async () => {
  let made = null;
  fakeCredentials({
    create: async ({ publicKey }) => {
      made = publicKey;
      return {
        id: "Y3JlZA",
        rawId: buffer("cred"),
        type: "public-key",
        response: { clientDataJSON: buffer("{}"), attestationObject: buffer("att"), getTransports: () => ["internal"] },
        getClientExtensionResults: () => ({}),
      };
    },
  });
  await assert.rejects(magiclink.registerPasskey(), { code: "signed_out" });
  await signedIn();
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    if (url.endsWith("/registration-options")) {
      return answer(200, { publicKey: { challenge: "AQID", rp: { id: "example.com", name: "m" },
        user: { id: "c3ViLTE", name: "ann@example.com", displayName: "ann@example.com" },
        excludeCredentials: [{ type: "public-key", id: "BAUG" }] } });
    }
    return answer(201, { id: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", name: "Laptop", createdAt: 1, lastUsedAt: null });
  };
  const added = await magiclink.registerPasskey({ name: "  Laptop " });
  assert.equal(added.name, "Laptop");
  assert.deepEqual([...made.challenge], [1, 2, 3]);
  assert.equal(new TextDecoder().decode(made.user.id), "sub-1");
  assert.deepEqual([...made.excludeCredentials[0].id], [4, 5, 6]);
  assert.equal(made.rp.id, "example.com");
  assert.equal(calls[0].init.headers.authorization, "Bearer access-1");
  const posted = JSON.parse(calls[1].init.body);
  assert.equal(calls[1].url, "https://api.example/v1/passkeys");
  assert.deepEqual(posted, {
    name: "Laptop",
    credential: { id: "Y3JlZA", rawId: "Y3JlZA", type: "public-key", clientExtensionResults: {},
      response: { clientDataJSON: "e30", attestationObject: "YXR0", transports: ["internal"] } },
  });
});

test("a passkey the user declines is passkey_cancelled, and an API refusal keeps its code", async () => {
  await signedIn();
  fakeCredentials({ create: async () => { throw Object.assign(new Error("no"), { name: "NotAllowedError" }); } });
  globalThis.fetch = async () => answer(200, { publicKey: { challenge: "AQID", user: { id: "AA" } } });
  await assert.rejects(magiclink.registerPasskey(), { code: "passkey_cancelled" });
  globalThis.fetch = async () => answer(409, { error: { code: "too_many_passkeys", message: "ten" } });
  await assert.rejects(magiclink.registerPasskey(), { code: "too_many_passkeys", status: 409 });
  globalThis.fetch = async () => answer(401, { error: { code: "unauthorized", message: "sign in" } });
  await assert.rejects(magiclink.listPasskeys(), { code: "unauthorized", status: 401 });
});

test("signInWithPasskey without an address signs in the user its passkey names", async () => {
  let asked = null;
  fakeCredentials({ get: async ({ publicKey }) => { asked = publicKey; return assertion("sub-9"); } });
  globalThis.fetch = async (url, init) => {
    calls.push({ url, target: init.headers?.["x-amz-target"], body: init.body && JSON.parse(init.body) });
    if (url.endsWith("/sign-in-options")) return answer(200, { publicKey: { challenge: "CQkJ", rpId: "example.com" } });
    if (init.headers["x-amz-target"].endsWith("InitiateAuth")) return answer(200, { ChallengeName: "CUSTOM_CHALLENGE", Session: "s1" });
    return answer(200, { AuthenticationResult: { IdToken: token({ sub: "sub-9" }), AccessToken: "a", ExpiresIn: 3600 } });
  };
  const session = await magiclink.signInWithPasskey();
  assert.equal(session.claims.sub, "sub-9");
  assert.deepEqual([...asked.challenge], [9, 9, 9]);
  assert.equal(calls[1].body.AuthParameters.USERNAME, "sub-9");
  const responses = calls[2].body.ChallengeResponses;
  assert.equal(responses.USERNAME, "sub-9");
  assert.deepEqual(JSON.parse(responses.ANSWER), {
    passkey: { id: "Y3JlZA", rawId: "Y3JlZA", type: "public-key", clientExtensionResults: {},
      response: { clientDataJSON: "e30", authenticatorData: "YXV0aA", signature: "c2ln", userHandle: "c3ViLTk" } },
  });
});

test("signInWithPasskey with an address answers that user's own challenge", async () => {
  let asked = null;
  fakeCredentials({ get: async ({ publicKey }) => { asked = publicKey; return assertion(null); } });
  globalThis.fetch = async (url, init) => {
    calls.push({ target: init.headers["x-amz-target"], body: JSON.parse(init.body) });
    if (init.headers["x-amz-target"].endsWith("InitiateAuth")) {
      return answer(200, { ChallengeName: "CUSTOM_CHALLENGE", Session: "s1",
        ChallengeParameters: { passkeyOptions: JSON.stringify({ challenge: "BwcH", allowCredentials: [] }) } });
    }
    return answer(200, {});
  };
  await assert.rejects(magiclink.signInWithPasskey({ email: " Ann@Example.com" }), { code: "passkey_refused" });
  assert.deepEqual([...asked.challenge], [7, 7, 7]);
  assert.equal(calls[0].body.AuthParameters.USERNAME, "ann@example.com");
  assert.equal(JSON.parse(calls[1].body.ChallengeResponses.ANSWER).passkey.response.userHandle, undefined);
});

test("a usernameless passkey without a user handle, or no passkeys at all, is refused before Cognito", async () => {
  fakeCredentials({ get: async () => assertion(null) });
  globalThis.fetch = async (url) => {
    calls.push(url);
    return answer(200, { publicKey: { challenge: "AA" } });
  };
  await assert.rejects(magiclink.signInWithPasskey(), { code: "passkey_refused" });
  assert.equal(calls.length, 1);
  delete globalThis.PublicKeyCredential;
  await assert.rejects(magiclink.signInWithPasskey(), { code: "passkeys_unsupported" });
});

test("a passkey change that needs a fresh sign-in signs in again through reauthenticate, then retries once", async () => {
  await signedIn();
  let answers = [
    answer(403, { error: { code: "reauthentication_required", message: "sign in again" } }),
    { status: 204, ok: true, json: async () => null, headers: new Headers() },
  ];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, method: init.method });
    return answers.shift();
  };
  await assert.rejects(magiclink.deletePasskey("01KAB0ZQ8Y3N6M2F4T7W9XRCDE"), { code: "reauthentication_required", status: 403 });
  assert.equal(calls.length, 1, "without reauthenticate: the refusal, no retry");
  answers = [
    answer(403, { error: { code: "reauthentication_required", message: "sign in again" } }),
    { status: 204, ok: true, json: async () => null, headers: new Headers() },
  ];
  let signIns = 0;
  await magiclink.deletePasskey("01KAB0ZQ8Y3N6M2F4T7W9XRCDE", { reauthenticate: async () => { signIns += 1; } });
  assert.equal(signIns, 1);
  assert.equal(calls.length, 3, "the refused call, then the retry");
  // Refused again after a new sign-in: said, not retried forever.
  answers = [403, 403, 403].map(() => answer(403, { error: { code: "reauthentication_required", message: "m" } }));
  await assert.rejects(
    magiclink.deletePasskey("01KAB0ZQ8Y3N6M2F4T7W9XRCDE", { reauthenticate: async () => { signIns += 1; } }),
    { code: "reauthentication_required" },
  );
  assert.equal(signIns, 2);
  assert.equal(calls.length, 5);
  // Another refusal is not a reason to sign in again.
  answers = [answer(404, { error: { code: "not_found", message: "no such passkey" } })];
  await assert.rejects(
    magiclink.deletePasskey("01KAB0ZQ8Y3N6M2F4T7W9XRCDE", { reauthenticate: async () => { signIns += 1; } }),
    { code: "not_found" },
  );
  assert.equal(signIns, 2);
});

test("deletePasskey deletes by id and refuses what is not an id unsent", async () => {
  await signedIn();
  globalThis.fetch = async (url, init) => {
    calls.push({ url, method: init.method });
    return { status: 204, ok: true, json: async () => { throw new Error("no body"); }, headers: new Headers() };
  };
  await magiclink.deletePasskey("01KAB0ZQ8Y3N6M2F4T7W9XRCDE");
  assert.deepEqual(calls, [{ url: "https://api.example/v1/passkeys/01KAB0ZQ8Y3N6M2F4T7W9XRCDE", method: "DELETE" }]);
  await assert.rejects(magiclink.deletePasskey("../admin"), { code: "not_found" });
  assert.equal(calls.length, 1);
});

// Clients, sign-out everywhere, passkey autofill ------------------------------

const signedInAnswer = (sub, access = "access-1") => answer(200, {
  AuthenticationResult: { IdToken: token({ sub }), AccessToken: access, RefreshToken: `refresh-${sub}`, ExpiresIn: 3600 },
});

test("two clients keep their own configuration, session and pending approvals", async () => {
  const storage = memoryStorage();
  const one = magiclink.createClient({ apiUrl: "https://one.example", region: "eu-west-1", clientId: "one", storage });
  const two = magiclink.createClient({ apiUrl: "https://two.example", region: "us-east-1", clientId: "two", storage });
  globalThis.fetch = async (url, init) => {
    calls.push(url);
    if (url.endsWith("/v1/magic-links")) return answer(202, { challengeId: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE" });
    return init.headers["x-amz-target"].endsWith("InitiateAuth") ? answer(200, { Session: "s" }) : signedInAnswer("sub-1");
  };
  const request = await one.requestSignInLink("ann@example.com", undefined, { approveFromAnotherDevice: true });
  await assert.rejects(two.waitForApproval(request), { code: "no_approval" });
  await one.completeSignInWithCode(request, "12345678");
  assert.deepEqual(calls, [
    "https://one.example/v1/magic-links",
    "https://cognito-idp.eu-west-1.amazonaws.com/",
    "https://cognito-idp.eu-west-1.amazonaws.com/",
  ]);
  assert.equal(one.currentSession().claims.sub, "sub-1");
  assert.equal(two.currentSession(), null, "the same storage, another app client: not signed in");
  assert.equal(magiclink.currentSession(), null, "nor is the default client");
  await one.signOut();
  assert.throws(() => magiclink.createClient({ apiUrl: "https://one.example" }), { code: "invalid_config" });
});

test("onSessionChange hears sign-in and sign-out until it is stopped", async () => {
  const heard = [];
  const stop = magiclink.onSessionChange((session) => heard.push(session && session.claims.sub));
  globalThis.fetch = async (url, init) => (init.headers["x-amz-target"].endsWith("InitiateAuth") ? answer(200, { Session: "s" }) : signedInAnswer("sub-2"));
  await magiclink.completeSignInWithCode({ email: "ann@example.com", challengeId: "c", wrongCodes: 0 }, "12345678");
  await magiclink.signOut();
  stop();
  await magiclink.completeSignInWithCode({ email: "ann@example.com", challengeId: "c", wrongCodes: 0 }, "12345678");
  assert.deepEqual(heard, ["sub-2", null]);
});

test("signOut everywhere asks the API with the access token and revokes nothing itself", async () => {
  await signedIn();
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return { status: 204, ok: true, json: async () => null, headers: new Headers() };
  };
  await magiclink.signOut({ everywhere: true });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, "https://api.example/v1/me/sign-out-everywhere");
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].init.headers.authorization, "Bearer access-1");
  assert.equal(magiclink.currentSession(), null);
});

test("signOut everywhere refused by the API still forgets the session here, and says so", async () => {
  magiclink.configure({ apiUrl: "https://api.example", region: "eu-west-1", clientId: "client", storage: memoryStorage() });
  globalThis.fetch = async (url, init) => (init.headers["x-amz-target"].endsWith("InitiateAuth") ? answer(200, { Session: "s" }) : signedInAnswer("sub-3"));
  await magiclink.completeSignInWithCode({ email: "ann@example.com", challengeId: "c", wrongCodes: 0 }, "12345678");
  globalThis.fetch = async (url, init) => {
    calls.push({ url, target: init.headers["x-amz-target"] });
    if (url.endsWith("/sign-out-everywhere")) return answer(401, { error: { code: "unauthorized", message: "expired" } });
    return answer(200, {});
  };
  await assert.rejects(magiclink.signOut({ everywhere: true }), { code: "unauthorized", status: 401 });
  assert.equal(magiclink.currentSession(), null);
  assert.equal(calls[1].target, "AWSCognitoIdentityProviderService.RevokeToken", "its refresh token revoked instead");
});

test("passkey autofill asks the browser for conditional mediation, and stops cleanly on the signal", async () => {
  let asked = null;
  fakeCredentials({
    get: (request) => {
      asked = request;
      return new Promise((resolve, reject) => {
        request.signal?.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
      });
    },
  });
  await assert.rejects(magiclink.signInWithPasskey({ mediation: "conditional" }), { code: "passkeys_unsupported" });
  assert.equal(await magiclink.passkeyAutofillAvailable(), false);
  globalThis.PublicKeyCredential.isConditionalMediationAvailable = async () => true;
  assert.equal(await magiclink.passkeyAutofillAvailable(), true);
  await assert.rejects(magiclink.signInWithPasskey({ mediation: "conditional", email: "ann@example.com" }), { code: "invalid_request" });
  globalThis.fetch = async (url) => {
    calls.push(url);
    return answer(200, { publicKey: { challenge: "CQkJ", rpId: "example.com" } });
  };
  const stop = new AbortController();
  const waiting = magiclink.signInWithPasskey({ mediation: "conditional", signal: stop.signal });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(asked.mediation, "conditional");
  assert.equal(asked.signal, stop.signal);
  assert.deepEqual([...asked.publicKey.challenge], [9, 9, 9]);
  stop.abort();
  await assert.rejects(waiting, { code: "aborted" });
  assert.deepEqual(calls, ["https://api.example/v1/passkeys/sign-in-options"], "no Cognito call");
  await assert.rejects(magiclink.signInWithPasskey({ mediation: "conditional", signal: stop.signal }), { code: "aborted" });
});

test("the type declarations name every export and every client function, and nothing else", async () => {
  const { readFile } = await import("node:fs/promises");
  const declared = (file) => readFile(new URL(file, import.meta.url), "utf8");
  const exportsOf = (text) => [...text.matchAll(/^export (?:declare )?(?:function|class|const) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(exportsOf(await declared("./magiclink.d.ts")), Object.keys(magiclink).sort());
  const client = (await declared("./magiclink.d.ts")).match(/export interface MagicLinkClient \{([\s\S]*?)\n\}/)[1];
  const methods = [...client.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]).sort();
  const made = magiclink.createClient({ apiUrl: "https://api.example", region: "eu-west-1", clientId: "c", storage: memoryStorage() });
  assert.deepEqual(methods, Object.keys(made).sort());
  const amplify = await import("./amplify.js");
  assert.deepEqual(exportsOf(await declared("./amplify.d.ts")), Object.keys(amplify).sort());
});

test("listing tells the browser which passkeys the server holds, and removing one tells it to forget it", async () => {
  await signedIn();
  const signals = [];
  fakeCredentials({});
  globalThis.PublicKeyCredential.signalAllAcceptedCredentials = async (details) => signals.push(["all", details]);
  globalThis.PublicKeyCredential.signalUnknownCredential = async (details) => signals.push(["unknown", details]);
  const held = [
    { id: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", credentialId: "Y3JlZA", name: "Laptop", createdAt: 1, lastUsedAt: null },
    { id: "01KAB0ZQ8Y3N6M2F4T7W9XRCDF", credentialId: "b3RoZXI", name: "Phone", createdAt: 2, lastUsedAt: 3 },
  ];
  globalThis.fetch = async (url, init) => (init.method === "GET"
    ? answer(200, { passkeys: held, rpId: "example.com" })
    : { status: 204, ok: true, json: async () => null, headers: new Headers() });
  assert.deepEqual(await magiclink.listPasskeys(), held);
  await magiclink.deletePasskey("01KAB0ZQ8Y3N6M2F4T7W9XRCDF");
  await magiclink.deletePasskey("01KAB0ZQ8Y3N6M2F4T7W9XRCDG");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(signals, [
    ["all", { rpId: "example.com", userId: "c3ViLTE", allAcceptedCredentialIds: ["Y3JlZA", "b3RoZXI"] }],
    ["unknown", { rpId: "example.com", credentialId: "b3RoZXI" }],
  ], "one the listing did not name is not signalled");

  // A browser without the Signal API, or one whose call fails, changes nothing.
  globalThis.PublicKeyCredential.signalAllAcceptedCredentials = async () => { throw new Error("no"); };
  delete globalThis.PublicKeyCredential.signalUnknownCredential;
  assert.deepEqual(await magiclink.listPasskeys(), held);
  await magiclink.deletePasskey("01KAB0ZQ8Y3N6M2F4T7W9XRCDE");
});

test("a listing that a registration overlapped tells the browser nothing, so the new passkey stays", async () => {
  await signedIn();
  const signals = [];
  let finishCreate;
  fakeCredentials({
    create: () => new Promise((resolve) => {
      finishCreate = () => resolve({
        id: "bmV3", rawId: buffer("new"), type: "public-key",
        response: { clientDataJSON: buffer("{}"), attestationObject: buffer("att"), getTransports: () => [] },
        getClientExtensionResults: () => ({}),
      });
    }),
  });
  globalThis.PublicKeyCredential.signalAllAcceptedCredentials = async (details) => signals.push(details.allAcceptedCredentialIds);
  let stored = [];
  globalThis.fetch = async (url, init) => {
    if (url.endsWith("/registration-options")) {
      return answer(200, { publicKey: { challenge: "AQID", rp: { id: "example.com" }, user: { id: "c3ViLTE" } } });
    }
    if (init.method === "GET") return answer(200, { passkeys: stored, rpId: "example.com" });
    const added = { id: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", credentialId: "bmV3", name: "Passkey", createdAt: 1, lastUsedAt: null };
    stored = [added];
    return answer(201, added);
  };
  const registering = magiclink.registerPasskey();
  await new Promise((resolve) => setTimeout(resolve, 0));
  await magiclink.listPasskeys(); // the list before the passkey is stored
  finishCreate();
  await registering;
  await magiclink.listPasskeys();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(signals, [["bmV3"]], "only the listing after the registration is signalled");
});
