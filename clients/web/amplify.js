// @magiclink/web/amplify: a session storage that keeps magiclink's tokens
// where Amplify JS v6 keeps its own, so that aws-amplify's
// fetchAuthSession() and getCurrentUser() see a user magiclink signed in,
// and each side sees the other's refreshed tokens and sign-out.
//
//   import { createClient } from "@magiclink/web";
//   import { amplifyStorage } from "@magiclink/web/amplify";
//   const magiclink = createClient({ apiUrl, region, clientId, storage: amplifyStorage(clientId) });

import { claimsOf } from "./magiclink.js";

/** Amplify's prefix of the keys of a Cognito user pool's tokens. */
const PREFIX = "CognitoIdentityServiceProvider";

/**
 * A storage for createClient()'s `storage` that writes the session as
 * Amplify JS v6 does into `storage` (default localStorage, Amplify's own
 * default): `CognitoIdentityServiceProvider.<clientId>.LastAuthUser`, then
 * `….<username>.accessToken`, `idToken`, `refreshToken`, `clockDrift` and
 * `signInDetails`. It holds the one session of `clientId`, whatever key it is
 * asked for.
 */
export function amplifyStorage(clientId, storage = globalThis.localStorage) {
  if (typeof clientId !== "string" || !clientId) {
    throw new TypeError("amplifyStorage() needs the user pool app client id");
  }
  const lastAuthUser = `${PREFIX}.${clientId}.LastAuthUser`;
  const keysOf = (username) => {
    const base = `${PREFIX}.${clientId}.${username}`;
    return {
      accessToken: `${base}.accessToken`,
      idToken: `${base}.idToken`,
      refreshToken: `${base}.refreshToken`,
      clockDrift: `${base}.clockDrift`,
      signInDetails: `${base}.signInDetails`,
    };
  };

  return {
    getItem() {
      const username = storage.getItem(lastAuthUser);
      if (!username) return null;
      const keys = keysOf(username);
      const accessToken = storage.getItem(keys.accessToken);
      const idToken = storage.getItem(keys.idToken);
      if (!accessToken || !idToken) return null;
      try {
        // Amplify's clock drift: how far the issuer's clock is ahead of this one.
        const drift = Number.parseInt(storage.getItem(keys.clockDrift) ?? "0", 10) || 0;
        return JSON.stringify({
          idToken,
          accessToken,
          refreshToken: storage.getItem(keys.refreshToken),
          expiresAt: claimsOf(accessToken).exp * 1000 - drift,
        });
      } catch {
        return null;
      }
    },

    setItem(_key, value) {
      const session = JSON.parse(value);
      const access = claimsOf(session.accessToken);
      const username = access.username || claimsOf(session.idToken)["cognito:username"];
      const keys = keysOf(username);
      storage.setItem(lastAuthUser, username);
      storage.setItem(keys.accessToken, session.accessToken);
      storage.setItem(keys.idToken, session.idToken);
      if (session.refreshToken) storage.setItem(keys.refreshToken, session.refreshToken);
      else storage.removeItem(keys.refreshToken);
      storage.setItem(keys.clockDrift, String(access.iat ? access.iat * 1000 - Date.now() : 0));
      const loginId = claimsOf(session.idToken).email;
      storage.setItem(keys.signInDetails, JSON.stringify({ loginId, authFlowType: "CUSTOM_WITHOUT_SRP" }));
    },

    removeItem() {
      const username = storage.getItem(lastAuthUser);
      if (!username) return;
      for (const key of Object.values(keysOf(username))) storage.removeItem(key);
      storage.removeItem(lastAuthUser);
    },
  };
}
