// The sign-in flow as one state machine: a pure reducer, so that the
// provider, the hooks and the tests all read the same transitions.
//
//   idle ──request──▶ requesting ──requested──▶ waiting ──(code)──▶ signingIn ──▶ signedIn
//     ▲                  │ failed                  │ approved elsewhere, or refused: back
//     └──────────────────┘                         ▼
//   confirming (a link opened here) ──(sign in here)──▶ signingIn
//            └──(approve the other device)──▶ approved
//
// Every state carries `error` (null, or { code, message, retryAfter,
// retryAt, attemptsLeft }) from the last refused step; `signedIn` carries
// the session and the method that signed the user in here.

/** The state before anything happened. */
export const initialState = Object.freeze({
  status: "idle",
  email: null,
  request: null,
  approvalNumber: null,
  delivery: null,
  link: null,
  session: null,
  method: null,
  error: null,
  from: null,
});

/** A MagicLinkError (or anything thrown) as the state's error; `now` in ms. */
export function errorOf(error, now = Date.now()) {
  const retryAfter = typeof error?.retryAfter === "number" ? error.retryAfter : null;
  return {
    code: typeof error?.code === "string" ? error.code : "unexpected",
    message: error?.message ? String(error.message) : String(error),
    retryAfter,
    retryAt: retryAfter === null ? null : now + retryAfter * 1000,
    attemptsLeft: typeof error?.attemptsLeft === "number" ? error.attemptsLeft : null,
  };
}

/** Where a failed sign-in step goes back to. */
function back(state) {
  return state.from || "idle";
}

export function reduce(state, action) {
  switch (action.type) {
    case "session":
      if (action.session) {
        // `method` (link, code, approval, passkey) when this page signed the
        // user in; null for a session it found, or refreshed.
        const method = action.method ?? (state.status === "signedIn" ? state.method : null);
        return { ...initialState, status: "signedIn", session: action.session, email: state.email, method };
      }
      return state.status === "signedIn" || state.status === "signingIn" ? initialState : state;
    case "request":
      return { ...initialState, status: "requesting", email: action.email };
    case "requested":
      if (state.status !== "requesting") return state;
      return { ...state, status: "waiting", request: action.request, approvalNumber: action.request.approvalNumber ?? null };
    case "delivery":
      return state.request && state.request === action.request ? { ...state, delivery: action.delivery } : state;
    case "link":
      return { ...initialState, status: "confirming", link: action.link, email: action.link.email };
    case "signingIn":
      if (state.status === "signedIn" || state.status === "signingIn") return state;
      return { ...state, status: "signingIn", from: state.status, error: null };
    case "approved":
      return { ...state, status: "approved", error: null };
    case "failed": {
      const error = errorOf(action.error, action.now);
      if (state.status === "requesting") return { ...state, status: "idle", error };
      if (state.status === "signingIn") {
        // A code that burnt its challenge, or a request that ended, leaves
        // nothing to go back to: ask again.
        const over = ["too_many_attempts", "expired", "revoked", "used", "link_refused"].includes(error.code);
        if (over) return { ...initialState, email: state.email, error };
        return { ...state, status: back(state), from: null, error };
      }
      if (state.status === "waiting") return { ...initialState, email: state.email, error };
      return { ...state, error };
    }
    case "reset":
      return { ...initialState, email: state.email };
    default:
      return state;
  }
}
