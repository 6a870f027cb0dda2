// Unit tests of amplify.js in Node: a client whose session storage is
// amplifyStorage() writes and reads the keys Amplify JS v6 uses. (The
// browser tests check it against the real aws-amplify package.)

import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "./magiclink.js";
import { amplifyStorage } from "./amplify.js";

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (claims) => `${b64url({ alg: "RS256", kid: "k" })}.${b64url(claims)}.c2ln`;

function memoryStorage() {
  const items = new Map();
  return {
    items,
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
  };
}

const now = Math.floor(Date.now() / 1000);
const idToken = jwt({ sub: "sub-1", "cognito:username": "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", email: "ann@example.com", exp: now + 3600 });
const accessToken = jwt({ sub: "sub-1", username: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", iat: now, exp: now + 3600 });

async function signedInClient(storage) {
  const client = createClient({ apiUrl: "https://api.example", region: "eu-west-1", clientId: "app", storage: amplifyStorage("app", storage) });
  globalThis.fetch = async (url, init) => ({
    status: 200,
    ok: true,
    headers: new Headers(),
    json: async () => (init.headers["x-amz-target"].endsWith("InitiateAuth")
      ? { Session: "s" }
      : { AuthenticationResult: { IdToken: idToken, AccessToken: accessToken, RefreshToken: "refresh-1", ExpiresIn: 3600 } }),
  });
  await client.completeSignInWithCode({ email: "ann@example.com", challengeId: "c", wrongCodes: 0 }, "12345678");
  return client;
}

test("a sign-in is stored under Amplify's keys, by the user's Cognito username", async () => {
  const storage = memoryStorage();
  await signedInClient(storage);
  const base = "CognitoIdentityServiceProvider.app.01KAB0ZQ8Y3N6M2F4T7W9XRCDE";
  assert.deepEqual([...storage.items.keys()].sort(), [
    "CognitoIdentityServiceProvider.app.LastAuthUser",
    `${base}.accessToken`,
    `${base}.clockDrift`,
    `${base}.idToken`,
    `${base}.refreshToken`,
    `${base}.signInDetails`,
  ].sort());
  assert.equal(storage.getItem("CognitoIdentityServiceProvider.app.LastAuthUser"), "01KAB0ZQ8Y3N6M2F4T7W9XRCDE");
  assert.equal(storage.getItem(`${base}.accessToken`), accessToken);
  assert.equal(storage.getItem(`${base}.refreshToken`), "refresh-1");
  assert.ok(Math.abs(Number(storage.getItem(`${base}.clockDrift`))) < 2000);
  assert.deepEqual(JSON.parse(storage.getItem(`${base}.signInDetails`)), { loginId: "ann@example.com", authFlowType: "CUSTOM_WITHOUT_SRP" });
});

test("tokens Amplify refreshed are the client's session, and Amplify's sign-out ends it", async () => {
  const storage = memoryStorage();
  const client = await signedInClient(storage);
  const base = "CognitoIdentityServiceProvider.app.01KAB0ZQ8Y3N6M2F4T7W9XRCDE";
  const refreshed = jwt({ sub: "sub-1", username: "01KAB0ZQ8Y3N6M2F4T7W9XRCDE", iat: now + 60, exp: now + 7200 });
  storage.setItem(`${base}.accessToken`, refreshed);
  storage.setItem(`${base}.clockDrift`, "5000");
  const session = client.currentSession();
  assert.equal(session.accessToken, refreshed);
  assert.equal(session.expiresAt, (now + 7200) * 1000 - 5000);
  assert.equal(session.claims.email, "ann@example.com");
  for (const key of [...storage.items.keys()]) storage.removeItem(key);
  assert.equal(client.currentSession(), null);
});

test("the client's sign-out removes every key it wrote, and no other", async () => {
  const storage = memoryStorage();
  storage.setItem("CognitoIdentityServiceProvider.other.LastAuthUser", "bob");
  const client = await signedInClient(storage);
  globalThis.fetch = async () => ({ status: 200, ok: true, headers: new Headers(), json: async () => ({}) });
  await client.signOut();
  assert.deepEqual([...storage.items.keys()], ["CognitoIdentityServiceProvider.other.LastAuthUser"]);
  assert.equal(client.currentSession(), null);
});

test("amplifyStorage needs the app client id", () => {
  assert.throws(() => amplifyStorage(""), TypeError);
  assert.throws(() => amplifyStorage(undefined), TypeError);
});
