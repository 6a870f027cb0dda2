// A React app that installed @magiclink/react: the provider, the drop-in
// <SignIn /> with the user's passkeys inside it, and the flow's status for
// the browser test to read. `?lang=` picks <SignIn />'s language.

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import type { MagicLinkConfig } from "@magiclink/web";
import { MagicLinkProvider, SignIn, useMagicLink, usePasskeys } from "@magiclink/react";
import "@magiclink/react/sign-in.css";

function Passkeys() {
  const { passkeys, remove, busy } = usePasskeys();
  if (!passkeys) return null;
  return (
    <ul aria-label="Your passkeys">
      {passkeys.map((passkey) => (
        <li key={passkey.id}>
          {passkey.name}{" "}
          <button type="button" disabled={busy} onClick={() => remove(passkey.id)}>Remove {passkey.name}</button>
        </li>
      ))}
    </ul>
  );
}

function Status() {
  const { status, method } = useMagicLink();
  return <p id="flow" data-status={status} data-method={method ?? ""} hidden />;
}

/** What the types must refuse: checked by tsc, never rendered. */
export function Misuses() {
  // @ts-expect-error: the provider's locale is a string
  const wrongLocale = <MagicLinkProvider locale={42} />;
  // @ts-expect-error: offerPasskey is a boolean
  const wrongOffer = <SignIn offerPasskey="yes" />;
  return [wrongLocale, wrongOffer];
}

const config: MagicLinkConfig = await (await fetch("/config.json")).json();
const lang = new URLSearchParams(location.search).get("lang") ?? undefined;
const root = document.getElementById("root");
if (!root) throw new Error("no #root");
createRoot(root).render(
  <StrictMode>
    <MagicLinkProvider config={config} redirectUri={`${location.origin}/apps/react-app/`}>
      <SignIn locale={lang}>
        <Passkeys />
      </SignIn>
      <Status />
    </MagicLinkProvider>
  </StrictMode>,
);
