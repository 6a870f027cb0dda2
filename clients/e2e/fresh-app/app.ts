// A fresh app that installed @magiclink/web and aws-amplify: it signs in
// with magiclink, keeps the session where Amplify does, and hands the
// browser test (through window.app) what each side sees.

import { createClient, MagicLinkError, type Session, type SignInRequest } from "@magiclink/web";
import { amplifyStorage } from "@magiclink/web/amplify";
import { Amplify } from "aws-amplify";
import { fetchAuthSession, getCurrentUser, signOut as amplifySignOut } from "aws-amplify/auth";

interface PageConfig {
  apiUrl: string;
  region: string;
  userPoolId: string;
  clientId: string;
  cognitoEndpoint: string;
}

const config: PageConfig = await (await fetch("/config.json")).json();
Amplify.configure({
  Auth: { Cognito: { userPoolId: config.userPoolId, userPoolClientId: config.clientId, userPoolEndpoint: config.cognitoEndpoint } },
});
const magiclink = createClient({ ...config, storage: amplifyStorage(config.clientId) });
// A second client, of the same pool, keeping its session elsewhere.
const other = createClient({ ...config, storage: sessionStorage });

const requests = new Map<string, SignInRequest>();

/** What the declarations must refuse: checked by tsc, never run. */
export function misuses(session: Session) {
  // @ts-expect-error: autofill is the only mediation
  void magiclink.signInWithPasskey({ mediation: "silent" });
  // @ts-expect-error: a request is needed, not an address
  void magiclink.completeSignInWithCode("ann@example.com", "123456");
  // @ts-expect-error: expiresAt is milliseconds since the epoch, a number
  const expiry: string = session.expiresAt;
  // @ts-expect-error: the Amplify storage needs the app client id
  amplifyStorage();
  return expiry;
}

const app = {
  async request(email: string): Promise<string> {
    const request = await magiclink.requestSignInLink(email);
    requests.set(email, request);
    return request.challengeId;
  },
  async signInWithCode(email: string, code: string) {
    const request = requests.get(email);
    if (!request) throw new Error(`no request for ${email}`);
    const session = await magiclink.completeSignInWithCode(request, code);
    return { sub: session.claims.sub, email: session.claims.email, accessToken: session.accessToken };
  },
  async wrongCode(email: string): Promise<string> {
    const request = requests.get(email);
    if (!request) throw new Error(`no request for ${email}`);
    try {
      await magiclink.completeSignInWithCode(request, "000000");
      return "signed in";
    } catch (error) {
      return error instanceof MagicLinkError ? error.code : String(error);
    }
  },
  async amplify() {
    const session = await fetchAuthSession();
    const user = await getCurrentUser();
    return {
      username: user.username,
      userId: user.userId,
      loginId: user.signInDetails?.loginId ?? null,
      accessToken: session.tokens?.accessToken.toString() ?? null,
      idTokenEmail: session.tokens?.idToken?.payload.email ?? null,
    };
  },
  async refreshByAmplify() {
    const session = await fetchAuthSession({ forceRefresh: true });
    return session.tokens?.accessToken.toString() ?? null;
  },
  magiclinkSession() {
    const session = magiclink.currentSession();
    return session && { accessToken: session.accessToken, sub: session.claims.sub };
  },
  otherSession() {
    return other.currentSession();
  },
  async signOutByAmplify() {
    await amplifySignOut();
  },
};

Object.assign(window, { app });
document.getElementById("state")!.textContent = "ready";
