// Type declarations of @magiclink/react.

import type { ReactNode } from "react";
import type { MagicLinkClient, MagicLinkConfig, Passkey, PasskeySignInOptions, Session, SignInLink, SignInRequest, SignOutOptions, DeliveryState } from "@magiclink/web";

/** Where the flow is. */
export type FlowStatus = "idle" | "requesting" | "waiting" | "confirming" | "approved" | "signingIn" | "signedIn";

/** How this page signed the user in. */
export type SignInMethod = "link" | "code" | "approval" | "passkey";

/** The last refused step. */
export interface FlowError {
  /** The MagicLinkError's code (rate_limited, code_refused, ...), or "unexpected". */
  code: string;
  message: string;
  /** For rate_limited: seconds to wait, and when (ms since the epoch) a retry may succeed. */
  retryAfter: number | null;
  retryAt: number | null;
  /** For wrong_number: how many more numbers the link takes. */
  attemptsLeft: number | null;
}

export interface FlowState {
  status: FlowStatus;
  /** The address asked for (or the link's). */
  email: string | null;
  request: SignInRequest | null;
  /** The number to show while waiting, for the other device. */
  approvalNumber: number | null;
  /** Where the mail is, while waiting. */
  delivery: DeliveryState | null;
  /** A sign-in link opened on this page. */
  link: SignInLink | null;
  session: Session | null;
  /** How this page signed the user in; null for a session it found. */
  method: SignInMethod | null;
  error: FlowError | null;
  /** While signingIn: the step it came from. */
  from: FlowStatus | null;
}

export interface MagicLinkFlow extends FlowState {
  client: MagicLinkClient;
  requestLink(email: string): Promise<void>;
  submitCode(code: string): Promise<void>;
  confirmLink(): Promise<void>;
  approve(number: number | string): Promise<void>;
  signInWithPasskey(options?: PasskeySignInOptions): Promise<void>;
  signOut(options?: SignOutOptions): Promise<void>;
  reset(): void;
}

export interface MagicLinkProviderProps {
  /** A client to use; else one is made from `config`, once. */
  client?: MagicLinkClient;
  config?: MagicLinkConfig;
  /** Where the mailed link leads; default the deployment's. */
  redirectUri?: string;
  /** The mail's language; default the browser's. */
  locale?: string;
  /** Let the link approve this tab from another device, and hear where the mail is (default true). */
  approveFromAnotherDevice?: boolean;
  /** Take a sign-in link from the address bar (default true). */
  takeLink?: boolean;
  /** A link the app took from the address bar itself, before it rendered. */
  link?: SignInLink | null;
  children?: ReactNode;
}

export function MagicLinkProvider(props: MagicLinkProviderProps): ReactNode;
export function useMagicLink(): MagicLinkFlow;

export interface PasskeysState {
  /** Whether the browser has passkeys at all. */
  supported: boolean;
  /** The user's passkeys; null until listed (or signed out). */
  passkeys: Passkey[] | null;
  busy: boolean;
  error: FlowError | null;
  reload(): Promise<void>;
  /** Whether the passkey was added. */
  add(name?: string): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  signIn(options?: PasskeySignInOptions): Promise<void>;
}

export function usePasskeys(options?: { reauthenticate?: () => Promise<unknown> }): PasskeysState;

export interface SignInProps {
  /** Its language: en, de, fr or es by primary subtag (default the browser's; else English). */
  locale?: string;
  className?: string;
  /** Offer passkeys in the address field's autofill where the browser can (default true). */
  autofill?: boolean;
  /** After a sign-in by link, code or approval, offer once to add a passkey (default true). */
  offerPasskey?: boolean;
  /** Shown when signed in, above "Sign out". */
  children?: ReactNode;
}

export function SignIn(props: SignInProps): ReactNode;

/** What <SignIn /> says in one language. */
export type Messages = Record<string, unknown> & { lang: string };
export const languages: Readonly<Record<"en" | "de" | "fr" | "es", Messages>>;
export function messagesFor(locale?: string | null): Messages;
export function describe(error: FlowError, messages: Messages, now?: number): string;

export type FlowAction = { type: string; [field: string]: unknown };
export const initialState: Readonly<FlowState>;
export function reduce(state: FlowState, action: FlowAction): FlowState;
export function errorOf(error: unknown, now?: number): FlowError;
