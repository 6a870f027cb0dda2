// Type declarations for magiclink.js.

export interface MagicLinkConfig {
  /** The stack output ApiUrl (on the emulator, its execute-api path form). */
  apiUrl: string;
  /** The user pool's region. */
  region: string;
  /** The stack output UserPoolClientId. */
  clientId: string;
  /** Cognito's endpoint; defaults to https://cognito-idp.<region>.amazonaws.com/. */
  cognitoEndpoint?: string;
  /** Where the session is kept; defaults to localStorage. */
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem">;
}

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
  /**
   * Stable: the API's error code (invalid_email, rate_limited, ...), a Cognito
   * error type, link_refused, for codes invalid_code, code_refused or
   * too_many_attempts, for approvals no_approval, aborted, expired, used,
   * revoked, approval_refused, invalid_number or wrong_number, for passkeys
   * signed_out, passkeys_unsupported, passkeys_disabled, passkey_cancelled,
   * passkey_failed, passkey_refused, invalid_credential, already_registered,
   * too_many_passkeys or not_found.
   */
  readonly code: string;
  /** The HTTP status, or 0. */
  readonly status: number;
  /** For rate_limited: seconds until a request may succeed. */
  readonly retryAfter: number | null;
  /** For wrong_number: how many more wrong numbers the link takes. */
  readonly attemptsLeft?: number;
}

/** A passkey of the signed-in user, as the API lists it. */
export interface Passkey {
  /** magiclink's id of the passkey (a ULID), for deletePasskey(). */
  id: string;
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
}

/** A PublicKeyCredential as JSON (what PublicKeyCredential.toJSON() gives). */
export interface PublicKeyCredentialJSON {
  id: string;
  rawId: string;
  type: string;
  response: Record<string, unknown>;
  clientExtensionResults: Record<string, unknown>;
}

export function configure(config: MagicLinkConfig): void;
export function requestSignInLink(email: string, redirectUri?: string, options?: RequestOptions): Promise<SignInRequest>;
export function waitForApproval(request: SignInRequest, options?: WaitOptions): Promise<Session>;
export function approveSignIn(link: SignInLink, number: number | string): Promise<void>;
export function newVerifier(): Promise<{ verifier: string; binding: string; number: number }>;
export function completeSignInWithCode(request: SignInRequest, code: string): Promise<Session>;
export function emailOfToken(token: string): string;
export function takeLinkFromLocation(location?: Location, history?: History): SignInLink | null;
export function completeSignInFromLink(link?: SignInLink | null): Promise<Session>;
export function currentSession(): Session | null;
export function refresh(): Promise<Session>;
export function signOut(): Promise<void>;
/**
 * Signs the user in again (a passkey, a link, a code) when a passkey change
 * needs a recent sign-in (`reauthentication_required`); the change is then
 * tried once more.
 */
export type Reauthenticate = () => Promise<unknown>;

export function registerPasskey(options?: { name?: string; reauthenticate?: Reauthenticate }): Promise<Passkey>;
export function listPasskeys(): Promise<Passkey[]>;
export function deletePasskey(id: string, options?: { reauthenticate?: Reauthenticate }): Promise<void>;
export function signInWithPasskey(options?: PasskeySignInOptions): Promise<Session>;
export function creationOptionsFromJSON(publicKey: Record<string, any>): PublicKeyCredentialCreationOptions;
export function requestOptionsFromJSON(publicKey: Record<string, any>): PublicKeyCredentialRequestOptions;
export function credentialToJSON(credential: PublicKeyCredential): PublicKeyCredentialJSON;
