// The demo page: the product as a team ships it. <SignIn /> from
// @magiclink/react does the whole sign-in (link, code, approval from
// another device, passkeys with autofill); once signed in, the page shows
// the ID token's claims and the user's passkeys. The client is
// window.magiclink, to try its functions from the console.

import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { createClient, takeLinkFromLocation } from "@magiclink/web";
import { MagicLinkProvider, SignIn, useMagicLink, usePasskeys } from "@magiclink/react";
import "@magiclink/react/sign-in.css";
import "./style.css";

function Claims() {
  const { session } = useMagicLink();
  return (
    <>
      <p>The ID token's claims:</p>
      <table id="claims">
        <tbody>
          {Object.entries(session.claims).map(([name, value]) => (
            <tr key={name}>
              <td>{name}</td>
              <td>{typeof value === "object" ? JSON.stringify(value) : String(value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const day = (seconds) => new Date(seconds * 1000).toLocaleString();

function Passkeys() {
  const { supported, passkeys, busy, add, remove } = usePasskeys();
  const [name, setName] = useState("");
  if (!supported || !passkeys || passkeys.length === 0) return null;
  return (
    <section aria-labelledby="passkeys-title">
      <h3 id="passkeys-title">Passkeys</h3>
      <ul id="passkeys">
        {passkeys.map((p) => (
          <li key={p.id}>
            {p.name} (added {day(p.createdAt)}, {p.lastUsedAt ? `last used ${day(p.lastUsedAt)}` : "not used yet"}){" "}
            <button type="button" className="magiclink-secondary small" disabled={busy} onClick={() => remove(p.id)}>
              Remove {p.name}
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={(event) => { event.preventDefault(); add(name.trim() || undefined); setName(""); }}>
        <label htmlFor="passkey-name">Name of another passkey (optional)</label>
        <input id="passkey-name" value={name} maxLength={64} autoComplete="off" placeholder="Passkey" onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={busy}>Add another passkey</button>
      </form>
    </section>
  );
}

// The link leaves the address bar before this page waits for anything, so
// that no later script, history entry or screenshot holds the token.
const link = (() => {
  try {
    return takeLinkFromLocation();
  } catch {
    return null;
  }
})();
const config = await (await fetch("config.json")).json();
const client = createClient(config);
window.magiclink = client;

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <h1>magiclink</h1>
    <MagicLinkProvider client={client} link={link} redirectUri={`${location.origin}/`}>
      <SignIn>
        <Claims />
        <Passkeys />
      </SignIn>
    </MagicLinkProvider>
    <p className="local">Running locally: the mail is in the <a href="inbox.html" target="_blank">local inbox</a>.</p>
  </StrictMode>,
);
