// @magiclink/react: React bindings of @magiclink/web. A provider holds one
// client and the sign-in flow's state machine (state.js); useMagicLink()
// reads and drives it, usePasskeys() manages the user's passkeys, and
// <SignIn /> is the whole flow as a drop-in, accessible component.
//
//   <MagicLinkProvider config={{ apiUrl, region, clientId }}>
//     <SignIn />
//   </MagicLinkProvider>

import { createContext, createElement as h, useCallback, useContext, useEffect, useId, useMemo, useReducer, useRef, useState } from "react";
import { createClient, passkeyAutofillAvailable, takeLinkFromLocation } from "@magiclink/web";
import { errorOf, initialState, reduce } from "./state.js";
import { describe, messagesFor } from "./messages.js";

export { errorOf, initialState, reduce } from "./state.js";
export { describe, languages, messagesFor } from "./messages.js";

const Flow = createContext(null);
// Bumped after each change to the user's passkeys, so that every
// usePasskeys() in the provider lists them again.
const PasskeysChanged = createContext(null);

/**
 * Holds a client (`client`, or one made from `config` once) and the flow's
 * state. `redirectUri` is where the mailed link leads (default: the
 * deployment's), `locale` the mail's language (default: the browser's);
 * `approveFromAnotherDevice` (default true) lets the link approve this tab
 * from a phone, and tells where the mail is; `takeLink` (default true)
 * takes a sign-in link from the address bar, on load and on hashchange.
 * An app that waits for something before it renders takes the link first
 * (takeLinkFromLocation()), so that nothing meanwhile sees it in the
 * address bar, and hands it over as `link`.
 */
export function MagicLinkProvider({ client, config, redirectUri, locale, approveFromAnotherDevice = true, takeLink = true, link, children }) {
  const [own] = useState(() => client || createClient(config));
  const [state, dispatch] = useReducer(reduce, initialState);
  const latest = useRef(state);
  latest.current = state;
  const options = useRef(null);
  options.current = { redirectUri, locale, approveFromAnotherDevice };
  // How the sign-in under way signs the user in, told with its session.
  const method = useRef(null);

  const [arrived] = useState(link);
  useEffect(() => {
    const session = own.currentSession();
    if (session) dispatch({ type: "session", session });
    if (arrived) dispatch({ type: "link", link: arrived });
    const stop = own.onSessionChange((changed) => {
      dispatch({ type: "session", session: changed, method: method.current });
      method.current = null;
    });
    if (!takeLink) return stop;
    const take = () => {
      try {
        const taken = takeLinkFromLocation();
        if (taken) dispatch({ type: "link", link: taken });
      } catch (error) {
        dispatch({ type: "failed", error });
      }
    };
    take();
    globalThis.addEventListener?.("hashchange", take);
    return () => {
      stop();
      globalThis.removeEventListener?.("hashchange", take);
    };
  }, [own, takeLink, arrived]);

  // While a request made for approval waits: poll, hear where the mail is,
  // and sign in once the link's holder approves.
  const waiting = state.status === "waiting" && state.approvalNumber !== null ? state.request : null;
  useEffect(() => {
    if (!waiting) return undefined;
    const stop = new AbortController();
    const onStatus = (_, { delivery }) => dispatch({ type: "delivery", request: waiting, delivery });
    method.current = "approval";
    own.waitForApproval(waiting, { signal: stop.signal, onStatus }).catch((error) => {
      if (error.code !== "aborted") dispatch({ type: "failed", error });
    });
    return () => stop.abort();
  }, [own, waiting]);

  const actions = useMemo(() => {
    /** Runs a sign-in step; its session arrives through onSessionChange. */
    const signIn = async (how, step) => {
      dispatch({ type: "signingIn" });
      method.current = how;
      try {
        await step();
      } catch (error) {
        dispatch({ type: "failed", error });
      }
    };
    return {
      async requestLink(email) {
        dispatch({ type: "request", email });
        const { redirectUri: to, locale: language, approveFromAnotherDevice: approvable } = options.current;
        try {
          const request = await own.requestSignInLink(email, to, {
            approveFromAnotherDevice: approvable,
            locale: language || globalThis.navigator?.language,
          });
          dispatch({ type: "requested", request });
        } catch (error) {
          dispatch({ type: "failed", error });
        }
      },
      submitCode: (code) => signIn("code", () => own.completeSignInWithCode(latest.current.request, code)),
      confirmLink: () => signIn("link", () => own.completeSignInFromLink(latest.current.link)),
      async approve(number) {
        try {
          await own.approveSignIn(latest.current.link, number);
          dispatch({ type: "approved" });
        } catch (error) {
          dispatch({ type: "failed", error });
        }
      },
      async signInWithPasskey(passkeyOptions = {}) {
        if (passkeyOptions.mediation !== "conditional") {
          return signIn("passkey", () => own.signInWithPasskey(passkeyOptions));
        }
        // Autofill: nothing happens until the user picks a passkey.
        try {
          method.current = "passkey";
          await own.signInWithPasskey(passkeyOptions);
        } catch (error) {
          if (!["aborted", "passkey_cancelled", "passkeys_unsupported"].includes(error.code)) dispatch({ type: "failed", error });
        }
        return undefined;
      },
      async signOut(signOutOptions) {
        try {
          await own.signOut(signOutOptions);
        } catch (error) {
          dispatch({ type: "failed", error });
        }
      },
      reset: () => dispatch({ type: "reset" }),
    };
  }, [own]);

  const value = useMemo(() => ({ client: own, ...state, ...actions }), [own, state, actions]);
  const [passkeysVersion, passkeysChanged] = useReducer((version) => version + 1, 0);
  const changes = useMemo(() => ({ version: passkeysVersion, changed: passkeysChanged }), [passkeysVersion]);
  return h(Flow.Provider, { value }, h(PasskeysChanged.Provider, { value: changes }, children));
}

/**
 * The flow: its state (`status`: idle, requesting, waiting, confirming,
 * approved, signingIn or signedIn; `email`, `approvalNumber`, `delivery`,
 * `link`, `session`, `method`, `error`) and what drives it (`requestLink`,
 * `submitCode`, `confirmLink`, `approve`, `signInWithPasskey`, `signOut`,
 * `reset`), with the `client` itself.
 */
export function useMagicLink() {
  const flow = useContext(Flow);
  if (!flow) throw new Error("useMagicLink() needs a <MagicLinkProvider> above it");
  return flow;
}

/**
 * The signed-in user's passkeys: `passkeys` (null until listed), `busy`,
 * `error`, and `add(name)`, `remove(id)`, `reload()`, `signIn(options)`.
 * `reauthenticate` signs the user in again when a change needs a recent
 * sign-in (see registerPasskey() of @magiclink/web).
 */
export function usePasskeys({ reauthenticate } = {}) {
  const flow = useMagicLink();
  const { client, status } = flow;
  const { version, changed } = useContext(PasskeysChanged);
  const [passkeys, setPasskeys] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const reload = useCallback(async () => {
    try {
      setPasskeys(await client.listPasskeys());
    } catch (failure) {
      setError(errorOf(failure));
    }
  }, [client]);

  useEffect(() => {
    if (status === "signedIn") reload();
    else setPasskeys(null);
  }, [status, reload, version]);

  const change = async (work) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      changed();
      return true;
    } catch (failure) {
      setError(errorOf(failure));
      return false;
    } finally {
      setBusy(false);
    }
  };

  return {
    supported: typeof globalThis.PublicKeyCredential === "function",
    passkeys,
    busy,
    error,
    reload,
    add: (name) => change(() => client.registerPasskey({ name, reauthenticate })),
    remove: (id) => change(() => client.deletePasskey(id, { reauthenticate })),
    signIn: flow.signInWithPasskey,
  };
}

// <SignIn /> ---------------------------------------------------------------

/** Where the offer of a passkey is remembered as dismissed. */
const OFFER_DISMISSED = "magiclink.passkey-offer.dismissed";

/** Moves focus to the step's first field or button when the step changes (not on load). */
function useFocusOnStep(step) {
  const container = useRef(null);
  const shown = useRef(step);
  useEffect(() => {
    if (shown.current === step) return;
    shown.current = step;
    container.current?.querySelector("[data-autofocus]")?.focus();
  }, [step]);
  return container;
}

function Field({ label, ...input }) {
  const id = useId();
  return h("div", { className: "magiclink-field" },
    h("label", { htmlFor: id }, label),
    h("input", { id, ...input }));
}

function Ask({ m, flow, autofill }) {
  const [email, setEmail] = useState(flow.email || "");
  const conditional = useRef(null);
  const supported = typeof globalThis.PublicKeyCredential === "function";

  // Passkeys in the address field's autofill, where the browser has it;
  // stopped when the user asks for a link or a passkey dialog instead.
  useEffect(() => {
    if (!autofill) return undefined;
    const stop = new AbortController();
    conditional.current = stop;
    passkeyAutofillAvailable().then((available) => {
      if (available && !stop.signal.aborted) flow.signInWithPasskey({ mediation: "conditional", signal: stop.signal });
    });
    return () => stop.abort();
  }, [autofill, flow.signInWithPasskey]);

  const busy = flow.status === "requesting";
  return h("div", null,
    h("form", {
      onSubmit: (event) => {
        event.preventDefault();
        conditional.current?.abort();
        flow.requestLink(email.trim());
      },
    },
    h(Field, {
      label: m.emailLabel, type: "email", name: "email", required: true, value: email, "data-autofocus": true,
      autoComplete: "username webauthn", onChange: (event) => setEmail(event.target.value),
    }),
    h("button", { type: "submit", disabled: busy, "aria-disabled": busy }, busy ? m.sending : m.sendLink)),
    supported && h("button", {
      type: "button", className: "magiclink-secondary", disabled: busy,
      onClick: () => {
        conditional.current?.abort();
        flow.signInWithPasskey();
      },
    }, m.passkey));
}

function Waiting({ m, flow }) {
  const [code, setCode] = useState("");
  const busy = flow.status === "signingIn";
  return h("div", null,
    h("h2", null, m.checkMail),
    h("p", null, m.sentTo(flow.email)),
    h("form", {
      onSubmit: (event) => {
        event.preventDefault();
        flow.submitCode(code);
      },
    },
    h(Field, {
      label: m.codeLabel, name: "code", value: code, required: true, inputMode: "numeric", autoComplete: "one-time-code",
      maxLength: 24, spellCheck: false, "data-autofocus": true, onChange: (event) => setCode(event.target.value),
    }),
    h("button", { type: "submit", disabled: busy }, busy ? m.signingIn : m.signInWithCode)),
    flow.approvalNumber !== null && h("div", { className: "magiclink-approval" },
      h("p", null, m.approvalHint),
      h("p", { className: "magiclink-number" }, String(flow.approvalNumber).padStart(2, "0"))),
    h("button", { type: "button", className: "magiclink-secondary", onClick: flow.reset }, m.anotherAddress));
}

function Confirm({ m, flow }) {
  const [number, setNumber] = useState("");
  const busy = flow.status === "signingIn";
  return h("div", null,
    h("h2", null, m.confirmTitle(flow.link.email)),
    h("p", null, m.confirmHint),
    h("button", { type: "button", disabled: busy, "data-autofocus": true, onClick: flow.confirmLink }, busy ? m.signingIn : m.signInHere),
    flow.link.approvable && h("form", {
      className: "magiclink-approve",
      onSubmit: (event) => {
        event.preventDefault();
        flow.approve(number);
      },
    },
    h("h3", null, m.approveTitle),
    h("p", { className: "magiclink-warning" }, m.approveWarning),
    h(Field, {
      label: m.numberLabel, name: "number", value: number, required: true, inputMode: "numeric", maxLength: 2,
      autoComplete: "off", onChange: (event) => setNumber(event.target.value),
    }),
    h("button", { type: "submit", className: "magiclink-secondary", disabled: busy }, m.approve)));
}

function SignedIn({ m, flow, offerPasskey, children }) {
  const passkeys = usePasskeys();
  const [dismissed, setDismissed] = useState(() => globalThis.localStorage?.getItem(OFFER_DISMISSED) === "1");
  const [added, setAdded] = useState(false);
  const offer = offerPasskey && passkeys.supported && !dismissed && !added
    && flow.method && flow.method !== "passkey" && passkeys.passkeys?.length === 0;
  const dismiss = () => {
    globalThis.localStorage?.setItem(OFFER_DISMISSED, "1");
    setDismissed(true);
  };
  // The offer appears once the passkeys are listed: it is the next thing to do.
  const offered = useRef(null);
  useEffect(() => {
    if (offer) offered.current?.focus();
  }, [offer]);
  const email = flow.session.claims.email || flow.email;
  return h("div", null,
    h("p", { className: "magiclink-signed-in" }, m.signedInAs(email)),
    offer && h("div", { className: "magiclink-offer", role: "group", "aria-label": m.addPasskey },
      h("p", null, m.offerPasskey),
      h("button", {
        type: "button", ref: offered, disabled: passkeys.busy,
        onClick: async () => {
          if (await passkeys.add()) {
            setAdded(true);
            dismiss();
          }
        },
      }, m.addPasskey),
      h("button", { type: "button", className: "magiclink-secondary", onClick: dismiss }, m.notNow)),
    added && h("p", { className: "magiclink-quiet" }, m.passkeyAdded),
    passkeys.error && passkeys.error.code !== "passkeys_disabled" && passkeys.error.code !== "passkey_cancelled"
      && h("p", { className: "magiclink-error", role: "alert" }, describe(passkeys.error, m)),
    children,
    h("button", { type: "button", className: "magiclink-secondary", onClick: () => flow.signOut() }, m.signOut));
}

/**
 * The whole sign-in as one component: the address (with passkeys in its
 * autofill), the mail's code and the number for another device, a link
 * opened here (sign in here, or approve the other device), and once signed
 * in the offer of a passkey, `children` and "Sign out". `locale` picks its
 * language (en, de, fr, es; default the browser's); CSS custom properties
 * (--magiclink-accent, ...; see sign-in.css) theme it.
 */
export function SignIn({ locale, className, autofill = true, offerPasskey = true, children }) {
  const flow = useMagicLink();
  const m = messagesFor(locale || globalThis.navigator?.language);
  const step = flow.status === "signingIn" ? flow.from : flow.status;
  const container = useFocusOnStep(step);
  const said = flow.status === "signingIn"
    ? m.signingIn
    : step === "waiting" && flow.delivery ? m.delivery[flow.delivery] || "" : "";
  const warning = ["bounced", "complained", "rejected", "suppressed"].includes(flow.delivery);

  let body;
  if (step === "signedIn") body = h(SignedIn, { m, flow, offerPasskey, children });
  else if (step === "waiting") body = h(Waiting, { m, flow });
  else if (step === "confirming") body = h(Confirm, { m, flow });
  else if (step === "approved") body = h("p", { className: "magiclink-done" }, m.approved);
  else body = h(Ask, { m, flow, autofill });

  return h("section", { ref: container, className: ["magiclink", className].filter(Boolean).join(" "), lang: m.lang },
    body,
    h("p", { className: warning ? "magiclink-status magiclink-warning" : "magiclink-status", role: "status", "aria-live": "polite" }, said),
    h("p", { className: "magiclink-error", role: "alert" }, flow.error ? describe(flow.error, m) : ""));
}
