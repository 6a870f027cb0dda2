// Type declarations of @magiclink/web (magiclink.js).

export interface MagicLinkConfig {
  /** The stack output ApiUrl (on the emulator, its execute-api path form). */
  apiUrl: string;
  /** The user pool's region. */
  region: string;
  /** The stack output UserPoolClientId. */
  clientId: string;
  /** Cognito's endpoint; defaults to https://cognito-idp.<region>.amazonaws.com/. */
  cognitoEndpoint?: string;
  /**
   * Where the session is kept; defaults to localStorage. amplifyStorage()
   * (from "@magiclink/web/amplify") keeps it where Amplify JS v6 does.
   */
  storage?: SessionStorage;
}

/** What a session is kept in: localStorage, sessionStorage, or your own. */
export type SessionStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export interface SignInLink {
  /** The link's token: the answer to Cognito's custom challenge. */
  token: string;
  /** The address the token names: the Cognito username. */
  email: string;
  /** The challenge the link answers (its token's jti). */
  challengeId: string;
  /** Whether the request asked for cross-device approval (approveSignIn()). */
  approvable: boolean;
}

export interface RequestOptions {
  /**
   * Send a binding, so that the link, opened on another device, can approve
   * this tab's sign-in (waitForApproval()).
   */
  approveFromAnotherDevice?: boolean;
  /**
   * The mail's language, a BCP 47 tag (navigator.language, say). Without it
   * the user's Cognito `locale` attribute decides, else the deployment's
   * default. A tag the deployment has no language for gets the default.
   */
  locale?: string;
}

/** A challenge's progress, as the status endpoint tells it. */
export type ApprovalStatus = "pending" | "approved" | "used" | "expired" | "revoked";

/**
 * Where the mail is: not yet handed to SES, handed over (which it stays
 * once delivered: see the README), then what went wrong if SES reported it
 * (bounced, marked as spam, refused by SES), or not sent because the address
 * bounced or complained recently.
 */
export type DeliveryState =
  | "sending"
  | "sent"
  | "bounced"
  | "complained"
  | "rejected"
  | "suppressed";

/** What each poll tells besides the status. */
export interface StatusDetails {
  /** Where the mail is; null when the API does not tell (sign-up mode existing). */
  delivery: DeliveryState | null;
  /** Seconds since the epoch at which the request expires. */
  expiresAt: number;
}

export interface WaitOptions {
  /** Stops the wait; it then rejects with `aborted`. */
  signal?: AbortSignal;
  /** Hears each poll's status, and where the mail is. */
  onStatus?: (status: ApprovalStatus, details: StatusDetails) => void;
}

/** What requestSignInLink() resolves to: the request, for completeSignInWithCode(). */
export interface SignInRequest {
  /** The address, as the Cognito username (trimmed, lower case). */
  email: string;
  /** The challenge the mail's link and code answer (a ULID). */
  challengeId: string;
  /** Codes refused so far for this request; at 5 the challenge is burnt. */
  wrongCodes: number;
  /**
   * With approveFromAnotherDevice: the number (0-99) to show, which the link's
   * holder types to approve this tab's sign-in.
   */
  approvalNumber?: number;
}

export interface Session {
  idToken: string;
  accessToken: string;
  refreshToken: string | null;
  /** When the ID and access tokens expire, in milliseconds since the epoch. */
  expiresAt: number;
  /** The ID token's claims (email, sub, exp, ...). */
  claims: Record<string, unknown>;
}

export class MagicLinkError extends Error {
  constructor(code: string, message: string, status?: number, retryAfter?: number | null);
  /**
   * Stable: the API's error code (invalid_email, rate_limited, ...), a Cognito
   * error type, link_refused, for codes invalid_code, code_refused or
   * too_many_attempts, for approvals no_approval, aborted, expired, used,
   * revoked, approval_refused, invalid_number or wrong_number, for passkeys
   * signed_out, passkeys_unsupported, passkeys_disabled, passkey_cancelled,
   * passkey_failed, passkey_refused, invalid_credential, already_registered,
   * too_many_passkeys, not_found, aborted (the signal stopped it) or
   * invalid_request (an address with autofill).
   */
  readonly code: string;
  /** The HTTP status, or 0. */
  readonly status: number;
  /** For rate_limited: seconds until a request may succeed. */
  readonly retryAfter: number | null;
  /** For wrong_number: how many more wrong numbers the link takes; for code_refused, codes the request takes. */
  readonly attemptsLeft?: number;
}

/** A passkey of the signed-in user, as the API lists it. */
export interface Passkey {
  /** magiclink's id of the passkey (a ULID), for deletePasskey(). */
  id: string;
  /** The WebAuthn credential id (base64url), as the browser knows the passkey. */
  credentialId: string;
  /** The name it was given (default "Passkey"). */
  name: string;
  /** Seconds since the epoch. */
  createdAt: number;
  /** Seconds since the epoch of its last sign-in, or null. */
  lastUsedAt: number | null;
}

export interface PasskeySignInOptions {
  /**
   * The user's address: their own challenge is answered. Without it the
   * browser offers the passkeys it holds for this site, and the chosen one
   * names its user.
   */
  email?: string;
  /**
   * "conditional": the browser offers the passkeys in the autofill of an
   * input with autocomplete="username webauthn", with no dialog; the promise
   * waits until one is picked. Needs passkeyAutofillAvailable() and no email.
   */
  mediation?: "conditional";
  /** Stops the wait for a passkey (`aborted`): say, when the user asks for a link instead. */
  signal?: AbortSignal;
}

export interface SignOutOptions {
  /** End every session of the user, on every device, and what is still on its way to them. */
  everywhere?: boolean;
}

/** A PublicKeyCredential as JSON (what PublicKeyCredential.toJSON() gives). */
export interface PublicKeyCredentialJSON {
  id: string;
  rawId: string;
  type: string;
  response: Record<string, unknown>;
  clientExtensionResults: Record<string, unknown>;
}

/**
 * Signs the user in again (a passkey, a link, a code) when a passkey change
 * needs a recent sign-in (`reauthentication_required`); the change is then
 * tried once more.
 */
export type Reauthenticate = () => Promise<unknown>;

/** A client of one deployment (createClient()); the module's functions are a default one's. */
export interface MagicLinkClient {
  /** Sets (again) where the API and the user pool are. */
  configure(config: MagicLinkConfig): void;
  /** Asks for a link and code to be mailed; the request, for the code or an approval. */
  requestSignInLink(email: string, redirectUri?: string, options?: RequestOptions): Promise<SignInRequest>;
  /** Waits until the link's holder approves this tab from another device, then signs in. */
  waitForApproval(request: SignInRequest, options?: WaitOptions): Promise<Session>;
  /** On the device the link was opened on: approves the asking device, with its number. */
  approveSignIn(link: SignInLink, number: number | string): Promise<void>;
  /** Signs in with a link (taken from the current URL when omitted). */
  completeSignInFromLink(link?: SignInLink | null): Promise<Session>;
  /** Signs in with the code from the mail. */
  completeSignInWithCode(request: SignInRequest, code: string): Promise<Session>;
  /** The stored session, or null when signed out. */
  currentSession(): Session | null;
  /** Hears every sign-in, refresh and sign-out of this client; returns the function that stops it. */
  onSessionChange(listener: (session: Session | null) => void): () => void;
  /** Exchanges the refresh token for fresh tokens. */
  refresh(): Promise<Session>;
  /** Forgets the session here (and, with everywhere, ends the user's every session). */
  signOut(options?: SignOutOptions): Promise<void>;
  /** Adds a passkey to the signed-in user's account. */
  registerPasskey(options?: { name?: string; reauthenticate?: Reauthenticate }): Promise<Passkey>;
  /** The signed-in user's passkeys. */
  listPasskeys(): Promise<Passkey[]>;
  /** Removes one of the signed-in user's passkeys. */
  deletePasskey(id: string, options?: { reauthenticate?: Reauthenticate }): Promise<void>;
  /** Signs in with a passkey: from a dialog, the user's own challenge, or autofill. */
  signInWithPasskey(options?: PasskeySignInOptions): Promise<Session>;
}

/** A client of its own: nothing shared with the default one or another. */
export function createClient(config: MagicLinkConfig): MagicLinkClient;

export declare const configure: MagicLinkClient["configure"];
export declare const requestSignInLink: MagicLinkClient["requestSignInLink"];
export declare const waitForApproval: MagicLinkClient["waitForApproval"];
export declare const approveSignIn: MagicLinkClient["approveSignIn"];
export declare const completeSignInFromLink: MagicLinkClient["completeSignInFromLink"];
export declare const completeSignInWithCode: MagicLinkClient["completeSignInWithCode"];
export declare const currentSession: MagicLinkClient["currentSession"];
export declare const onSessionChange: MagicLinkClient["onSessionChange"];
export declare const refresh: MagicLinkClient["refresh"];
export declare const signOut: MagicLinkClient["signOut"];
export declare const registerPasskey: MagicLinkClient["registerPasskey"];
export declare const listPasskeys: MagicLinkClient["listPasskeys"];
export declare const deletePasskey: MagicLinkClient["deletePasskey"];
export declare const signInWithPasskey: MagicLinkClient["signInWithPasskey"];

export function newVerifier(): Promise<{ verifier: string; binding: string; number: number }>;
export function emailOfToken(token: string): string;
/** The claims of a JWT, read without checking them. */
export function claimsOf(jwt: string): Record<string, unknown>;
export function takeLinkFromLocation(location?: Location, history?: History): SignInLink | null;
/** Whether the browser offers passkeys in autofill (signInWithPasskey({ mediation: "conditional" })). */
export function passkeyAutofillAvailable(): Promise<boolean>;
export function creationOptionsFromJSON(publicKey: Record<string, any>): PublicKeyCredentialCreationOptions;
export function requestOptionsFromJSON(publicKey: Record<string, any>): PublicKeyCredentialRequestOptions;
export function credentialToJSON(credential: PublicKeyCredential): PublicKeyCredentialJSON;
