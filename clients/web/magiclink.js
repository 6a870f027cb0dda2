// @magiclink/web: the browser side of passwordless sign-in with Amazon Cognito.
//
// A dependency-free ES module. It asks the magiclink API for a link, and
// completes a sign-in from a link: it reads the token from the URL fragment
// (which never reaches a server), clears it from the address bar, answers
// Cognito's custom challenge with it over Cognito's JSON API, stores the
// tokens and refreshes them before they expire.
//
//   import { createClient, takeLinkFromLocation } from "@magiclink/web";
//   const magiclink = createClient({ apiUrl, region, clientId });
//   const request = await magiclink.requestSignInLink("ann@example.com", location.origin + "/");
//   // ... either the code from the mail, typed on this page:
//   await magiclink.completeSignInWithCode(request, "1234 5678");
//   // ... or, on the page the link opens:
//   const link = takeLinkFromLocation();   // { token, email, challengeId, approvable } or null
//   if (link) await magiclink.completeSignInFromLink(link);
//   magiclink.currentSession();            // tokens and ID token claims
//
// Each client keeps its own state (configuration, refresh timer, pending
// approvals). The module's top-level functions (configure(),
// requestSignInLink(), ...) are those of one default client.
//
// Cross-device approval: the asking tab keeps a secret verifier in memory,
// shows a two-digit number and waits; the link, opened on a phone, approves
// this tab's sign-in with that number.
//   const request = await magiclink.requestSignInLink(email, redirectUri, { approveFromAnotherDevice: true });
//   show(request.approvalNumber);
//   await magiclink.waitForApproval(request, { signal, onStatus: (status, { delivery }) => ... });
//   // ... and on the phone, on the page the link opens:
//   if (link.approvable) await magiclink.approveSignIn(link, 42);
//
// Passkeys: once signed in, a user adds one; later they sign in with it,
// with or without typing their address, or from the browser's autofill.
//   await magiclink.registerPasskey({ name: "Laptop" });
//   await magiclink.signInWithPasskey();              // the browser offers the passkeys it holds
//   await magiclink.signInWithPasskey({ email });     // or this user's, through their challenge
//   await magiclink.signInWithPasskey({ mediation: "conditional", signal }); // in the address field's autofill
//   await magiclink.listPasskeys(); await magiclink.deletePasskey(id);

const REFRESH_MARGIN_MS = 60_000;

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

function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function bytesOfBase64url(text) {
  const base64 = String(text).replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The claims of a JWT (a Cognito ID or access token, say), read without checking them. */
export function claimsOf(jwt) {
  return JSON.parse(new TextDecoder().decode(bytesOfBase64url(String(jwt).split(".")[1])));
}

/**
 * A fresh verifier (32 random bytes, base64url), its binding
 * (base64url(SHA-256(verifier))) and the number the asking screen shows
 * (the hash's first two bytes, big-endian, mod 100).
 */
export async function newVerifier() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return { verifier, binding: base64url(hash), number: ((hash[0] << 8) | hash[1]) % 100 };
}

async function apiError(response) {
  const answer = await response.json().catch(() => ({}));
  const error = answer.error || {};
  const retryAfter = Number(response.headers.get("retry-after")) || null;
  const failure = new MagicLinkError(error.code || "http_error", error.message || `HTTP ${response.status}`, response.status, retryAfter);
  if (typeof error.attemptsLeft === "number") failure.attemptsLeft = error.attemptsLeft;
  return failure;
}

/** Polling starts at this interval and grows by half each time, up to the cap. */
const POLL_FIRST_MS = 1000;
const POLL_MAX_MS = 5000;

/** The error of a wait that its signal stopped. */
function stoppedWaiting() {
  return new MagicLinkError("aborted", "stopped waiting");
}

function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(stoppedWaiting());
    }, { once: true });
  });
}

/** The claims of a link token, read without checking them. */
function claimsOfToken(token) {
  try {
    return claimsOf(token);
  } catch {
    throw new MagicLinkError("malformed_link", "this is not a sign-in link");
  }
}

/** The address a link token names (its `sub`), read without checking it. */
export function emailOfToken(token) {
  return claimsOfToken(token).sub;
}

/**
 * Takes the link's token out of the URL fragment and clears the fragment from
 * the address bar and history, so it cannot be copied or replayed from there.
 * Returns `{ token, email, challengeId, approvable }` (`approvable`: the
 * request asked for cross-device approval, see approveSignIn()), or null
 * when the URL holds no link.
 */
export function takeLinkFromLocation(location = globalThis.location, history = globalThis.history) {
  const token = decodeURIComponent((location.hash || "").replace(/^#/, ""));
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  const claims = claimsOfToken(token);
  return { token, email: claims.sub, challengeId: claims.jti, approvable: claims.apv === true };
}

/** Wrong codes that burn a challenge (the server counts them too). */
const MAX_WRONG_CODES = 5;

function webauthn() {
  if (!globalThis.PublicKeyCredential || !globalThis.navigator?.credentials) {
    throw new MagicLinkError("passkeys_unsupported", "this browser has no passkeys");
  }
  return globalThis.navigator.credentials;
}

/**
 * Whether this browser offers passkeys in an input's autofill
 * (`autocomplete="username webauthn"`): signInWithPasskey({ mediation:
 * "conditional" }) works.
 */
export async function passkeyAutofillAvailable() {
  const available = globalThis.PublicKeyCredential?.isConditionalMediationAvailable;
  return typeof available === "function" && (await available.call(globalThis.PublicKeyCredential)) === true;
}

/**
 * Tells the browser what the server holds (the WebAuthn Signal API), so
 * that it stops offering passkeys that no longer sign anyone in; where the
 * browser has it, and best effort.
 */
function signal(method, details) {
  const call = globalThis.PublicKeyCredential?.[method];
  if (typeof call !== "function" || !details.rpId) return;
  Promise.resolve()
    .then(() => call.call(globalThis.PublicKeyCredential, details))
    .catch(() => {});
}

/** Registration options as the API sends them, with their binary fields as bytes. */
export function creationOptionsFromJSON(publicKey) {
  return {
    ...publicKey,
    challenge: bytesOfBase64url(publicKey.challenge),
    user: { ...publicKey.user, id: bytesOfBase64url(publicKey.user.id) },
    excludeCredentials: (publicKey.excludeCredentials || []).map((c) => ({ ...c, id: bytesOfBase64url(c.id) })),
  };
}

/** Sign-in options as the API or the challenge sends them, with bytes for the binary fields. */
export function requestOptionsFromJSON(publicKey) {
  const options = { ...publicKey, challenge: bytesOfBase64url(publicKey.challenge) };
  if (publicKey.allowCredentials) {
    options.allowCredentials = publicKey.allowCredentials.map((c) => ({ ...c, id: bytesOfBase64url(c.id) }));
  }
  return options;
}

/** A credential from navigator.credentials, as JSON (what PublicKeyCredential.toJSON() gives). */
export function credentialToJSON(credential) {
  const r = credential.response;
  const response = { clientDataJSON: base64url(new Uint8Array(r.clientDataJSON)) };
  if (r.attestationObject) {
    response.attestationObject = base64url(new Uint8Array(r.attestationObject));
    response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
  } else {
    response.authenticatorData = base64url(new Uint8Array(r.authenticatorData));
    response.signature = base64url(new Uint8Array(r.signature));
    if (r.userHandle) response.userHandle = base64url(new Uint8Array(r.userHandle));
  }
  return {
    id: credential.id,
    rawId: base64url(new Uint8Array(credential.rawId)),
    type: credential.type,
    response,
    clientExtensionResults: typeof credential.getClientExtensionResults === "function"
      ? credential.getClientExtensionResults()
      : {},
  };
}

/**
 * The browser's answer, or a MagicLinkError: `aborted` when `signal` stopped
 * it, `passkey_cancelled` when the user said no.
 */
async function ceremony(call, signal) {
  try {
    const credential = await call();
    if (!credential) throw new MagicLinkError("passkey_cancelled", "no passkey was chosen");
    return credential;
  } catch (error) {
    if (signal?.aborted) throw stoppedWaiting();
    if (error instanceof MagicLinkError) throw error;
    if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
      throw new MagicLinkError("passkey_cancelled", "no passkey was chosen, or the time ran out");
    }
    throw new MagicLinkError("passkey_failed", error && error.message ? error.message : String(error));
  }
}

/**
 * Runs `change` (a change to the user's passkeys); when the API answers that
 * it needs a fresh sign-in (`reauthentication_required`, after
 * PasskeyFreshSeconds) and `reauthenticate` is given, awaits it (it signs the
 * user in again: a passkey, a link, a code) and runs `change` once more.
 */
async function withFreshSignIn(reauthenticate, change) {
  try {
    return await change();
  } catch (error) {
    if (!(error instanceof MagicLinkError) || error.code !== "reauthentication_required" || !reauthenticate) {
      throw error;
    }
    await reauthenticate();
    return change();
  }
}

/** The sub a passkey's user handle names. */
function subOfUserHandle(userHandle) {
  return new TextDecoder().decode(new Uint8Array(userHandle));
}

/**
 * A client of one deployment: `config` is `{ apiUrl, region, clientId,
 * cognitoEndpoint?, storage? }` (see configure()). Two clients share
 * nothing but what they keep in the same storage.
 */
export function createClient(config) {
  const client = newClient();
  client.configure(config);
  return client;
}

function newClient() {
  let settings = null;
  let refreshTimer = null;
  // The verifiers of the requests that asked for cross-device approval, kept
  // out of the handles so that a handle can be logged or stored without them.
  const verifiers = new WeakMap();
  const listeners = new Set();
  // The last listing's relying party and credential ids, by passkey id.
  let listing = null;
  // Registrations started, and those under way: a listing fetched while one
  // was under way, or before one began, is stale for the Signal API (it
  // would tell the browser to drop the passkey just made).
  let registrations = 0;
  let registering = 0;

  function config() {
    if (!settings) throw new MagicLinkError("not_configured", "call configure() first");
    return settings;
  }

  /**
   * Sets where the API and the user pool are. `cognitoEndpoint` defaults to
   * Cognito's public endpoint for `region`; `storage` defaults to
   * localStorage.
   */
  function configure({ apiUrl, region, clientId, cognitoEndpoint, storage } = {}) {
    if (!apiUrl || !region || !clientId) {
      throw new MagicLinkError("invalid_config", "configure() needs apiUrl, region and clientId");
    }
    settings = {
      apiUrl: apiUrl.replace(/\/+$/, ""),
      clientId,
      cognitoEndpoint: cognitoEndpoint || `https://cognito-idp.${region}.amazonaws.com/`,
      storage: storage || globalThis.localStorage,
      key: `magiclink.${clientId}.session`,
    };
    scheduleRefresh(currentSession());
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

  /** Starts a CUSTOM_AUTH sign-in of `username`. */
  function startSignIn(username) {
    return cognito("InitiateAuth", {
      ClientId: config().clientId,
      AuthFlow: "CUSTOM_AUTH",
      AuthParameters: { USERNAME: username },
    });
  }

  /** Answers the custom challenge of a started sign-in once. */
  function answerStarted(started, username, answer) {
    return cognito("RespondToAuthChallenge", {
      ClientId: config().clientId,
      ChallengeName: "CUSTOM_CHALLENGE",
      Session: started.Session,
      ChallengeResponses: { USERNAME: username, ANSWER: answer },
    });
  }

  /** Starts a CUSTOM_AUTH sign-in of `email` and answers its challenge once. */
  async function answerChallenge(email, answer) {
    return answerStarted(await startSignIn(email), email, answer);
  }

  /**
   * Asks for a sign-in link (and code) to be mailed to `email`. Resolves,
   * when the request was accepted (the same for every valid address), to a
   * handle `{ email, challengeId, wrongCodes }` for completeSignInWithCode();
   * rejects with a MagicLinkError carrying the API's error code otherwise.
   *
   * With `{ approveFromAnotherDevice: true }` the request carries a binding,
   * and the handle an `approvalNumber` (0-99) to show: the link, opened on
   * another device, can then approve this tab's sign-in with that number
   * (see waitForApproval()). The verifier stays in this page's memory only.
   *
   * With `{ locale }` (a BCP 47 tag such as navigator.language) the mail is
   * written in that language where the deployment has it; without, in the
   * user's Cognito `locale` attribute's language, else the default.
   */
  async function requestSignInLink(email, redirectUri, { approveFromAnotherDevice = false, locale } = {}) {
    const body = { email };
    if (redirectUri) body.redirectUri = redirectUri;
    if (typeof locale === "string" && locale) body.locale = locale;
    const approval = approveFromAnotherDevice ? await newVerifier() : null;
    if (approval) body.binding = approval.binding;
    const response = await fetch(`${config().apiUrl}/v1/magic-links`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.status !== 202) throw await apiError(response);
    const answer = await response.json();
    // The Cognito username (or alias) is the address as the API normalizes it.
    const handle = { email: email.trim().toLowerCase(), challengeId: answer.challengeId, wrongCodes: 0 };
    if (approval) {
      handle.approvalNumber = approval.number;
      verifiers.set(handle, approval.verifier);
    }
    return handle;
  }

  /**
   * Waits, for the request `handle` made with `approveFromAnotherDevice`,
   * until the link's holder approves this tab's sign-in from another device,
   * then signs in here and resolves with the session. Polls the challenge's
   * status with growing pauses (1 s to 5 s). `signal` (an AbortSignal) stops
   * the wait (`aborted`); `onStatus(status, { delivery, expiresAt })` hears
   * each poll's status, with where the mail is when the API tells it
   * (`sending`, `sent`, `bounced`, `complained`, `rejected`,
   * `suppressed`; see the README) and when the request expires. Rejects
   * with a MagicLinkError: `expired` (nobody approved in time), `used` (the
   * link or code signed in somewhere), `revoked` (another sign-in replaced
   * it, or too many wrong codes or numbers), `not_found`, `no_approval` (the
   * request was not made for approval), `approval_refused` (Cognito refused
   * the verifier).
   */
  async function waitForApproval(handle, { signal, onStatus } = {}) {
    const verifier = handle && verifiers.get(handle);
    if (!verifier) throw new MagicLinkError("no_approval", "this request was not made with approveFromAnotherDevice");
    const url = `${config().apiUrl}/v1/magic-links/${encodeURIComponent(handle.challengeId)}`;
    let wait = POLL_FIRST_MS;
    let expiresAt = Infinity;
    for (;;) {
      if (signal?.aborted) throw stoppedWaiting();
      if (Date.now() >= expiresAt) throw new MagicLinkError("expired", "nobody approved in time: ask for a new link");
      let status = null;
      let details = null;
      try {
        const response = await fetch(url, { headers: { "x-magiclink-verifier": verifier }, signal });
        if (response.ok) {
          const answer = await response.json();
          status = answer.status;
          expiresAt = answer.expiresAt * 1000;
          details = { delivery: answer.delivery ?? null, expiresAt: answer.expiresAt };
        } else if (response.status === 429) {
          wait = Math.max(wait, (Number(response.headers.get("retry-after")) || 5) * 1000);
        } else if (response.status < 500) {
          throw await apiError(response);
        }
      } catch (error) {
        if (signal?.aborted) throw stoppedWaiting();
        if (error instanceof MagicLinkError) throw error;
        // The network failed: try again after the pause.
      }
      if (status) onStatus?.(status, details);
      if (status === "approved") {
        const answer = JSON.stringify({ challengeId: handle.challengeId, verifier });
        const answered = await answerChallenge(handle.email, answer);
        if (!answered.AuthenticationResult) {
          throw new MagicLinkError("approval_refused", "the approval could not be used to sign in; ask for a new link");
        }
        verifiers.delete(handle);
        return saveSession(answered.AuthenticationResult, null);
      }
      if (status && status !== "pending") {
        const messages = {
          used: "the link or its code was used to sign in",
          expired: "nobody approved in time: ask for a new link",
          revoked: "this request was replaced by a newer sign-in, or too many wrong codes or numbers were typed",
        };
        throw new MagicLinkError(status, messages[status] || status);
      }
      await pause(Math.min(wait, Math.max(0, expiresAt - Date.now())), signal);
      wait = Math.min(POLL_MAX_MS, wait * 1.5);
    }
  }

  /**
   * On the device the link was opened on: approves the sign-in of the device
   * that asked, with the `number` that device shows. `link` is what
   * takeLinkFromLocation() returned. This device is not signed in. Rejects
   * with a MagicLinkError: `invalid_number` (not 0-99: nothing was sent),
   * `wrong_number` (with `attemptsLeft`; at 0 the link is dead), and the
   * API's other codes (`not_approvable`, `already_approved`, `used`,
   * `expired`, ...).
   */
  async function approveSignIn(link, number) {
    if (!link || !link.challengeId) throw new MagicLinkError("no_link", "the address holds no sign-in link");
    const value = typeof number === "string" && /^\s*\d{1,2}\s*$/.test(number) ? Number(number) : number;
    if (!Number.isInteger(value) || value < 0 || value > 99) {
      throw new MagicLinkError("invalid_number", "the number is the two digits the other device shows");
    }
    const response = await fetch(`${config().apiUrl}/v1/magic-links/${encodeURIComponent(link.challengeId)}/approval`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: link.token, number: value }),
    });
    if (response.status !== 204) throw await apiError(response);
  }

  /**
   * Signs in with a link: `link` is what takeLinkFromLocation() returned
   * (taken from the current URL when omitted). Resolves with the session;
   * rejects with a MagicLinkError `link_refused` when the link is used,
   * revoked, expired or not this user's.
   */
  async function completeSignInFromLink(link = takeLinkFromLocation()) {
    if (!link) throw new MagicLinkError("no_link", "the address holds no sign-in link");
    const answered = await answerChallenge(link.email, link.token);
    if (!answered.AuthenticationResult) {
      throw new MagicLinkError("link_refused", "this link has been used, has expired, or was replaced by a newer one; ask for a new link");
    }
    return saveSession(answered.AuthenticationResult, null);
  }

  /**
   * Signs in with the code from the mail, for the request `handle` that
   * requestSignInLink() resolved to. Spaces and dashes in `code` are
   * ignored. Rejects with a MagicLinkError: `invalid_code` (not a code at
   * all: nothing was sent), `code_refused` (wrong, or no longer valid: used,
   * expired or replaced; `handle.wrongCodes` counts the refusals, and
   * `attemptsLeft` says how many more this request takes), or
   * `too_many_attempts` (this challenge takes no more codes: ask for a new
   * one).
   */
  async function completeSignInWithCode(handle, code) {
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
    const refused = new MagicLinkError("code_refused", "that code is not right, or no longer valid (used, expired or replaced by a newer one)");
    refused.attemptsLeft = MAX_WRONG_CODES - handle.wrongCodes;
    throw refused;
  }

  function saveSession(result, previousRefreshToken) {
    const session = {
      idToken: result.IdToken,
      accessToken: result.AccessToken,
      refreshToken: result.RefreshToken || previousRefreshToken,
      expiresAt: Date.now() + (result.ExpiresIn || 3600) * 1000,
    };
    const { storage, key } = config();
    storage.setItem(key, JSON.stringify(session));
    scheduleRefresh(session);
    return changed();
  }

  /** The current session, told to every listener. */
  function changed() {
    const session = currentSession();
    for (const listener of listeners) listener(session);
    return session;
  }

  /** The stored session with the ID token's claims, or null when signed out. */
  function currentSession() {
    const raw = settings && settings.storage.getItem(settings.key);
    if (!raw) return null;
    try {
      const session = JSON.parse(raw);
      return { ...session, claims: claimsOf(session.idToken) };
    } catch {
      return null;
    }
  }

  /**
   * Calls `listener(session)` (null when signed out) after every sign-in,
   * refresh and sign-out of this client; returns the function that stops it.
   */
  function onSessionChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Exchanges the refresh token for fresh ID and access tokens. */
  async function refresh() {
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
    // In Node (server rendering, tests) the timer does not keep the process alive.
    refreshTimer.unref?.();
  }

  /**
   * Forgets the session in this browser and revokes its refresh token at
   * Cognito (best effort: the local session is gone either way). With
   * `{ everywhere: true }` it first ends every session of the user, on
   * every device (their links, codes and approvals still on their way
   * too); it then rejects with a MagicLinkError when the API refused.
   */
  async function signOut({ everywhere = false } = {}) {
    clearTimeout(refreshTimer);
    const session = currentSession();
    let refusal = null;
    let endedEverywhere = false;
    if (everywhere && session) {
      endedEverywhere = await api("POST", "/v1/me/sign-out-everywhere", undefined, session).then(
        () => true,
        (error) => {
          refusal = error;
          return false;
        },
      );
    }
    if (settings) settings.storage.removeItem(settings.key);
    if (session && session.refreshToken && !endedEverywhere) {
      await cognito("RevokeToken", { ClientId: config().clientId, Token: session.refreshToken }).catch(() => {});
    }
    changed();
    if (refusal) throw refusal;
  }

  /** A call of the API with the session's access token. */
  async function api(method, path, body, session = currentSession()) {
    if (!session) throw new MagicLinkError("signed_out", "sign in first");
    const headers = { authorization: `Bearer ${session.accessToken}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${config().apiUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await apiError(response);
    return response.status === 204 ? null : response.json();
  }

  /**
   * Adds a passkey to the signed-in user's account: the browser makes it
   * (Face ID, Touch ID, Windows Hello, a security key...), the API keeps its
   * public key. Resolves with `{ id, name, createdAt, lastUsedAt }`. A
   * passkey is added only within a few minutes of a sign-in: past that the
   * API answers `reauthentication_required`, and `reauthenticate` (if given)
   * is awaited to sign the user in again before one retry.
   */
  async function registerPasskey({ name, reauthenticate } = {}) {
    const credentials = webauthn();
    registrations += 1;
    registering += 1;
    try {
      return await withFreshSignIn(reauthenticate, async () => {
        const { publicKey } = await api("POST", "/v1/passkeys/registration-options");
        const credential = await ceremony(() => credentials.create({ publicKey: creationOptionsFromJSON(publicKey) }));
        const body = { credential: credentialToJSON(credential) };
        if (typeof name === "string" && name.trim()) body.name = name.trim();
        return api("POST", "/v1/passkeys", body);
      });
    } finally {
      registering -= 1;
    }
  }

  /**
   * The signed-in user's passkeys: `[{ id, credentialId, name, createdAt,
   * lastUsedAt }]`. The browser is told which of its passkeys for this user
   * the server still holds (signalAllAcceptedCredentials), so that it stops
   * offering one removed elsewhere; not from a listing that a registration
   * overlapped, which may lack the passkey just made.
   */
  async function listPasskeys() {
    const session = currentSession();
    const started = registrations;
    const { passkeys, rpId } = await api("GET", "/v1/passkeys", undefined, session);
    listing = { rpId, credentials: new Map(passkeys.map((p) => [p.id, p.credentialId])) };
    if (registering > 0 || registrations !== started) return passkeys;
    signal("signalAllAcceptedCredentials", {
      rpId,
      userId: base64url(new TextEncoder().encode(session.claims.sub)),
      allAcceptedCredentialIds: passkeys.map((p) => p.credentialId),
    });
    return passkeys;
  }

  /**
   * Removes one of the signed-in user's passkeys; it then signs no one in,
   * and the browser is told to forget it (signalUnknownCredential) when the
   * last listing named it. Like registerPasskey(), it needs a recent
   * sign-in, and `reauthenticate` (if given) is awaited before one retry
   * when the API asks for one.
   */
  async function deletePasskey(id, { reauthenticate } = {}) {
    if (!/^[0-9A-HJKMNP-TV-Z]{26}$/i.test(String(id))) {
      throw new MagicLinkError("not_found", "no such passkey");
    }
    await withFreshSignIn(reauthenticate, () => api("DELETE", `/v1/passkeys/${encodeURIComponent(id)}`));
    const credentialId = listing?.credentials.get(id);
    if (credentialId) signal("signalUnknownCredential", { rpId: listing.rpId, credentialId });
  }

  /** The usernameless sign-in options, from the API. */
  async function signInOptions() {
    const answer = await fetch(`${config().apiUrl}/v1/passkeys/sign-in-options`, { method: "POST" });
    if (!answer.ok) throw await apiError(answer);
    return requestOptionsFromJSON((await answer.json()).publicKey);
  }

  /**
   * Signs in with a passkey. Without `email` the browser offers the passkeys
   * it holds for this site and the chosen one names its user; with `email`
   * the user's own Cognito challenge is answered. With `mediation:
   * "conditional"` the browser offers them in the autofill of an input with
   * `autocomplete="username webauthn"` instead of a dialog, and the promise
   * waits until the user picks one (or `signal` stops it: `aborted`, as
   * when the user asks for a link instead). Rejects with a MagicLinkError
   * `passkey_cancelled` (the user said no), `passkey_refused` (not a passkey
   * of this account, or a refused one) or `passkeys_unsupported` (also: no
   * autofill, see passkeyAutofillAvailable()).
   */
  async function signInWithPasskey({ email, mediation, signal } = {}) {
    const credentials = webauthn();
    if (signal?.aborted) throw stoppedWaiting();
    let username;
    let started;
    let credential;
    if (mediation === "conditional") {
      if (email) throw new MagicLinkError("invalid_request", "autofill offers every passkey: give no address");
      if (!(await passkeyAutofillAvailable())) {
        throw new MagicLinkError("passkeys_unsupported", "this browser offers no passkeys in autofill");
      }
    }
    if (email) {
      username = String(email).trim().toLowerCase();
      started = await startSignIn(username);
      const options = started.ChallengeParameters && started.ChallengeParameters.passkeyOptions;
      if (!options) throw new MagicLinkError("passkeys_disabled", "this deployment has no passkeys");
      const publicKey = requestOptionsFromJSON(JSON.parse(options));
      credential = await ceremony(() => credentials.get({ publicKey, signal }), signal);
    } else {
      const publicKey = await signInOptions();
      const request = mediation === "conditional" ? { publicKey, signal, mediation } : { publicKey, signal };
      credential = await ceremony(() => credentials.get(request), signal);
      if (!credential.response.userHandle) {
        throw new MagicLinkError("passkey_refused", "this passkey does not name its user");
      }
      username = subOfUserHandle(credential.response.userHandle);
      started = await startSignIn(username);
    }
    const answer = JSON.stringify({ passkey: credentialToJSON(credential) });
    const answered = await answerStarted(started, username, answer);
    if (!answered.AuthenticationResult) {
      throw new MagicLinkError("passkey_refused", "this passkey was refused: it may have been removed, or be of another account");
    }
    return saveSession(answered.AuthenticationResult, null);
  }

  return Object.freeze({
    configure,
    requestSignInLink,
    waitForApproval,
    approveSignIn,
    completeSignInFromLink,
    completeSignInWithCode,
    currentSession,
    onSessionChange,
    refresh,
    signOut,
    registerPasskey,
    listPasskeys,
    deletePasskey,
    signInWithPasskey,
  });
}

/** The default client, whose functions the module exports. */
const defaultClient = newClient();

export const {
  configure,
  requestSignInLink,
  waitForApproval,
  approveSignIn,
  completeSignInFromLink,
  completeSignInWithCode,
  currentSession,
  onSessionChange,
  refresh,
  signOut,
  registerPasskey,
  listPasskeys,
  deletePasskey,
  signInWithPasskey,
} = defaultClient;
