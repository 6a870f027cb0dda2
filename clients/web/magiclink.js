// magiclink: the browser side of passwordless sign-in with Amazon Cognito.
//
// A dependency-free ES module. It asks the magiclink API for a link, and
// completes a sign-in from a link: it reads the token from the URL fragment
// (which never reaches a server), clears it from the address bar, answers
// Cognito's custom challenge with it over Cognito's JSON API, stores the
// tokens and refreshes them before they expire.
//
//   import * as magiclink from "./magiclink.js";
//   magiclink.configure({ apiUrl, region, clientId });
//   const handle = await magiclink.requestSignInLink("ann@example.com", location.origin + "/");
//   // ... either the code from the mail, typed on this page:
//   await magiclink.completeSignInWithCode(handle, "1234 5678");
//   // ... or, on the page the link opens:
//   const link = magiclink.takeLinkFromLocation();   // { token, email } or null
//   if (link) await magiclink.completeSignInFromLink(link);
//   magiclink.currentSession();                        // tokens and ID token claims

const STORAGE_KEY = "magiclink.session";
const REFRESH_MARGIN_MS = 60_000;

let settings = null;
let refreshTimer = null;

/** An error with a stable `code`, the HTTP `status`, and for 429 `retryAfter` seconds. */
export class MagicLinkError extends Error {
  constructor(code, message, status = 0, retryAfter = null) {
    super(message);
    this.name = "MagicLinkError";
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/**
 * Sets where the API and the user pool are. `cognitoEndpoint` defaults to
 * Cognito's public endpoint for `region`; `storage` defaults to localStorage.
 */
export function configure({ apiUrl, region, clientId, cognitoEndpoint, storage }) {
  if (!apiUrl || !region || !clientId) {
    throw new MagicLinkError("invalid_config", "configure() needs apiUrl, region and clientId");
  }
  settings = {
    apiUrl: apiUrl.replace(/\/+$/, ""),
    clientId,
    cognitoEndpoint: cognitoEndpoint || `https://cognito-idp.${region}.amazonaws.com/`,
    storage: storage || globalThis.localStorage,
  };
  scheduleRefresh(currentSession());
}

function config() {
  if (!settings) throw new MagicLinkError("not_configured", "call configure() first");
  return settings;
}

/**
 * Asks for a sign-in link (and code) to be mailed to `email`. Resolves, when
 * the request was accepted (the same for every valid address), to a handle
 * `{ email, challengeId }` for completeSignInWithCode(); rejects with a
 * MagicLinkError carrying the API's error code otherwise.
 */
export async function requestSignInLink(email, redirectUri) {
  const body = { email };
  if (redirectUri) body.redirectUri = redirectUri;
  const response = await fetch(`${config().apiUrl}/v1/magic-links`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 202) {
    // The Cognito username is the address as the API normalizes it.
    return { email: email.trim().toLowerCase(), challengeId: answer.challengeId, wrongCodes: 0 };
  }
  const error = answer.error || {};
  const retryAfter = Number(response.headers.get("retry-after")) || null;
  throw new MagicLinkError(error.code || "http_error", error.message || `HTTP ${response.status}`, response.status, retryAfter);
}

/** The address a link token names (its `sub`), read without checking it. */
export function emailOfToken(token) {
  const payload = token.split(".")[1];
  if (!payload) throw new MagicLinkError("malformed_link", "this is not a sign-in link");
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
  try {
    return JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="))).sub;
  } catch {
    throw new MagicLinkError("malformed_link", "this is not a sign-in link");
  }
}

/**
 * Takes the link's token out of the URL fragment and clears the fragment from
 * the address bar and history, so it cannot be copied or replayed from there.
 * Returns `{ token, email }`, or null when the URL holds no link.
 */
export function takeLinkFromLocation(location = globalThis.location, history = globalThis.history) {
  const token = decodeURIComponent((location.hash || "").replace(/^#/, ""));
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  return { token, email: emailOfToken(token) };
}

async function cognito(action, body) {
  const response = await fetch(config().cognitoEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = String(answer.__type || "CognitoError").split("#").pop();
    throw new MagicLinkError(code, answer.message || answer.Message || `Cognito answered ${response.status}`, response.status);
  }
  return answer;
}

/**
 * Signs in with a link: `link` is what takeLinkFromLocation() returned (taken
 * from the current URL when omitted). Resolves with the session; rejects with
 * a MagicLinkError `link_refused` when the link is used, revoked, expired or
 * not this user's.
 */
export async function completeSignInFromLink(link = takeLinkFromLocation()) {
  if (!link) throw new MagicLinkError("no_link", "the address holds no sign-in link");
  const answered = await answerChallenge(link.email, link.token);
  if (!answered.AuthenticationResult) {
    throw new MagicLinkError("link_refused", "this link has been used, has expired, or was replaced by a newer one; ask for a new link");
  }
  return saveSession(answered.AuthenticationResult, null);
}

/** Starts a CUSTOM_AUTH sign-in of `email` and answers its challenge once. */
async function answerChallenge(email, answer) {
  const { clientId } = config();
  const started = await cognito("InitiateAuth", {
    ClientId: clientId,
    AuthFlow: "CUSTOM_AUTH",
    AuthParameters: { USERNAME: email },
  });
  return cognito("RespondToAuthChallenge", {
    ClientId: clientId,
    ChallengeName: "CUSTOM_CHALLENGE",
    Session: started.Session,
    ChallengeResponses: { USERNAME: email, ANSWER: answer },
  });
}

/** Wrong codes that burn a challenge (the server counts them too). */
const MAX_WRONG_CODES = 5;

/**
 * Signs in with the code from the mail, for the request `handle` that
 * requestSignInLink() resolved to. Spaces and dashes in `code` are ignored.
 * Rejects with a MagicLinkError: `invalid_code` (not a code at all: nothing
 * was sent), `code_refused` (wrong, or no longer valid: used, expired or
 * replaced; `handle.wrongCodes` counts the refusals), or `too_many_attempts`
 * (this challenge takes no more codes: ask for a new one).
 */
export async function completeSignInWithCode(handle, code) {
  if (!handle || !handle.challengeId || !handle.email) {
    throw new MagicLinkError("no_request", "ask for a sign-in link and code first");
  }
  if (handle.wrongCodes >= MAX_WRONG_CODES) {
    throw new MagicLinkError("too_many_attempts", "too many wrong codes: ask for a new one");
  }
  const digits = String(code).replace(/[\s-]/g, "");
  if (!/^\d{6,10}$/.test(digits)) {
    throw new MagicLinkError("invalid_code", "a code is 6 to 10 digits, as in the mail");
  }
  const answer = JSON.stringify({ challengeId: handle.challengeId, code: digits });
  const answered = await answerChallenge(handle.email, answer);
  if (answered.AuthenticationResult) return saveSession(answered.AuthenticationResult, null);
  handle.wrongCodes = (handle.wrongCodes || 0) + 1;
  if (handle.wrongCodes >= MAX_WRONG_CODES) {
    throw new MagicLinkError("too_many_attempts", "too many wrong codes: ask for a new one");
  }
  throw new MagicLinkError("code_refused", "that code is not right, or no longer valid (used, expired or replaced by a newer one)");
}

function saveSession(result, previousRefreshToken) {
  const session = {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    refreshToken: result.RefreshToken || previousRefreshToken,
    expiresAt: Date.now() + (result.ExpiresIn || 3600) * 1000,
  };
  config().storage.setItem(STORAGE_KEY, JSON.stringify(session));
  scheduleRefresh(session);
  return currentSession();
}

/** The stored session with the ID token's claims, or null when signed out. */
export function currentSession() {
  const raw = settings && settings.storage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw);
    return { ...session, claims: claimsOf(session.idToken) };
  } catch {
    return null;
  }
}

function claimsOf(jwt) {
  const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
}

/** Exchanges the refresh token for fresh ID and access tokens. */
export async function refresh() {
  const session = currentSession();
  if (!session || !session.refreshToken) throw new MagicLinkError("signed_out", "no session to refresh");
  const answered = await cognito("InitiateAuth", {
    ClientId: config().clientId,
    AuthFlow: "REFRESH_TOKEN_AUTH",
    AuthParameters: { REFRESH_TOKEN: session.refreshToken },
  });
  return saveSession(answered.AuthenticationResult, session.refreshToken);
}

function scheduleRefresh(session) {
  clearTimeout(refreshTimer);
  if (!session || !session.refreshToken) return;
  const wait = Math.max(0, session.expiresAt - Date.now() - REFRESH_MARGIN_MS);
  refreshTimer = setTimeout(() => refresh().catch(() => signOut()), wait);
}

/**
 * Forgets the session in this browser and revokes its refresh token at
 * Cognito (best effort: the local session is gone either way).
 */
export async function signOut() {
  clearTimeout(refreshTimer);
  const session = currentSession();
  if (settings) settings.storage.removeItem(STORAGE_KEY);
  if (session && session.refreshToken) {
    await cognito("RevokeToken", { ClientId: config().clientId, Token: session.refreshToken }).catch(() => {});
  }
}
