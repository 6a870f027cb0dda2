// The demo page: ask for a link, confirm a link with one click, show the
// signed-in user's claims and passkeys, sign in with a passkey. All sign-in
// logic is in magiclink.js.
import * as magiclink from "./magiclink.js";

// The link leaves the address bar before this page waits for anything, so
// that no later script, history entry or screenshot holds the token.
const arrival = (() => {
  try {
    return { link: magiclink.takeLinkFromLocation() };
  } catch (error) {
    return { error };
  }
})();

const $ = (id) => document.getElementById(id);
const sections = ["ask", "sent", "confirm", "approved", "signed-in"];

function show(section) {
  for (const id of sections) $(id).hidden = id !== section;
}

function fail(error) {
  $("error").textContent = error.retryAfter
    ? `${error.message} (try again in ${error.retryAfter} s)`
    : error.message || String(error);
  $("error").hidden = false;
}

function showSignedIn(session) {
  const table = $("claims");
  table.replaceChildren();
  for (const [name, value] of Object.entries(session.claims)) {
    const row = table.insertRow();
    row.insertCell().textContent = name;
    row.insertCell().textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  show("signed-in");
  showPasskeys();
}

// Passkeys: offered where the browser has them.
const passkeysSupported = Boolean(window.PublicKeyCredential);
$("passkey-offer").hidden = !passkeysSupported;

/** Lists the user's passkeys, each with a button that removes it. */
async function showPasskeys() {
  $("passkeys-part").hidden = true;
  if (!passkeysSupported) return;
  let passkeys;
  try {
    passkeys = await magiclink.listPasskeys();
  } catch (error) {
    if (error.code !== "passkeys_disabled") fail(error);
    return;
  }
  const list = $("passkeys");
  list.replaceChildren();
  for (const passkey of passkeys) {
    const item = document.createElement("li");
    const used = passkey.lastUsedAt ? `last used ${new Date(passkey.lastUsedAt * 1000).toLocaleString()}` : "not used yet";
    item.textContent = `${passkey.name} (added ${new Date(passkey.createdAt * 1000).toLocaleDateString()}, ${used}) `;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${passkey.name}`);
    remove.onclick = async () => {
      $("error").hidden = true;
      try {
        await magiclink.deletePasskey(passkey.id, { reauthenticate });
      } catch (error) {
        fail(error);
      }
      showPasskeys();
    };
    item.append(remove);
    list.append(item);
  }
  $("passkeys-part").hidden = false;
}

// A passkey change needs a recent sign-in: the user confirms with one of
// their passkeys (one who has none signs in again with a link).
async function reauthenticate() {
  try {
    return await magiclink.signInWithPasskey();
  } catch {
    throw new magiclink.MagicLinkError(
      "reauthentication_required",
      "To change your passkeys, sign in again: sign out, then ask for a new link.",
    );
  }
}

$("passkey-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("error").hidden = true;
  $("add-passkey").disabled = true;
  try {
    await magiclink.registerPasskey({ name: $("passkey-name").value, reauthenticate });
    $("passkey-name").value = "";
    await showPasskeys();
  } catch (error) {
    if (error.code !== "passkey_cancelled") fail(error);
  } finally {
    $("add-passkey").disabled = false;
  }
});

$("passkey-sign-in").addEventListener("click", async () => {
  $("error").hidden = true;
  try {
    showSignedIn(await magiclink.signInWithPasskey());
  } catch (error) {
    if (error.code !== "passkey_cancelled") fail(error);
  }
});

const config = await (await fetch("config.json")).json();
magiclink.configure(config);

$("ask-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("error").hidden = true;
  const email = $("email").value.trim();
  try {
    stopWaiting();
    request = await magiclink.requestSignInLink(email, `${location.origin}/`, {
      approveFromAnotherDevice: true,
      locale: navigator.language,
    });
    $("sent-to").textContent = email;
    $("code").value = "";
    $("code-button").disabled = false;
    show("sent");
    $("code").focus();
    waitForApproval(request);
  } catch (error) {
    fail(error);
  }
});

// The request of the "Check your mail" screen, for its code and approval.
let request = null;
// Stops the wait for an approval from another device.
let waiting = null;

function stopWaiting() {
  waiting?.abort();
  waiting = null;
}

// What the waiting screen says of the mail, by where it is.
const DELIVERY = {
  sending: "Sending the mail…",
  sent: "The mail has left. It may take a minute to arrive: look in your inbox, and in the spam folder.",
  bounced: "The mail bounced: check the address, then use another address.",
  complained: "The mail was marked as spam, so no more mail goes to this address for a while.",
  rejected: "The mail could not be sent. Please ask again later.",
  suppressed: "No mail was sent: mail to this address bounced or was marked as spam recently. Check the address, or use another.",
};

function showDelivery(delivery) {
  const said = DELIVERY[delivery];
  $("delivery-state").hidden = !said;
  $("delivery-state").textContent = said || "";
  $("delivery-state").classList.toggle("warning", ["bounced", "complained", "rejected", "suppressed"].includes(delivery));
}

/** Shows the number, and signs in when the link's holder approves. */
async function waitForApproval(handle) {
  $("approval-number").textContent = String(handle.approvalNumber).padStart(2, "0");
  $("approval-state").textContent = "This page signs in by itself once you approve.";
  $("approval").hidden = false;
  showDelivery(null);
  waiting = new AbortController();
  try {
    const onStatus = (_, { delivery }) => showDelivery(delivery);
    showSignedIn(await magiclink.waitForApproval(handle, { signal: waiting.signal, onStatus }));
  } catch (error) {
    if (error.code === "aborted") return;
    $("approval").hidden = true;
    if (error.code !== "used") fail(error);
  }
}

$("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("error").hidden = true;
  $("code-button").disabled = true;
  try {
    const session = await magiclink.completeSignInWithCode(request, $("code").value);
    stopWaiting();
    showSignedIn(session);
  } catch (error) {
    if (error.code === "too_many_attempts") {
      fail(new Error("Too many wrong codes: this code no longer works. Ask for a new link and code."));
      show("ask");
    } else if (error.code === "code_refused") {
      fail(new Error(`That code is not right, or no longer valid. ${5 - request.wrongCodes} tries left.`));
    } else {
      fail(error);
    }
  } finally {
    $("code-button").disabled = false;
  }
});

$("again").addEventListener("click", () => {
  stopWaiting();
  show("ask");
});

$("sign-out").addEventListener("click", async () => {
  await magiclink.signOut();
  show("ask");
});

function offerLink(link) {
  $("confirm-email").textContent = link.email;
  $("confirm-button").disabled = false;
  $("confirm-button").onclick = async () => {
    $("confirm-button").disabled = true;
    $("error").hidden = true;
    try {
      showSignedIn(await magiclink.completeSignInFromLink(link));
    } catch (error) {
      fail(error);
      show("ask");
    }
  };
  $("approve-form").hidden = !link.approvable;
  $("approve-number").value = "";
  $("approve-form").onsubmit = async (event) => {
    event.preventDefault();
    $("approve-button").disabled = true;
    $("error").hidden = true;
    try {
      await magiclink.approveSignIn(link, $("approve-number").value);
      show("approved");
    } catch (error) {
      if (error.code === "wrong_number") {
        fail(new Error(error.attemptsLeft > 0
          ? `That is not the number the other device shows. ${error.attemptsLeft} ${error.attemptsLeft === 1 ? "try" : "tries"} left.`
          : "That was the last try: this link no longer works. Ask for a new one on the other device."));
      } else {
        fail(error);
      }
    } finally {
      $("approve-button").disabled = false;
    }
  };
  show("confirm");
}

/** Offers a link taken from the address bar, if any; whether there was one. */
function offer({ link, error }) {
  if (error) fail(error);
  if (link) offerLink(link);
  return Boolean(link);
}

/** Takes the link out of the address bar now and offers it. */
function offerLinkFromLocation() {
  try {
    return offer({ link: magiclink.takeLinkFromLocation() });
  } catch (error) {
    return offer({ error });
  }
}

// A link opened in a tab that already shows this page changes only the
// fragment, which reloads nothing.
window.addEventListener("hashchange", offerLinkFromLocation);

if (!offer(arrival)) {
  const session = magiclink.currentSession();
  if (session) showSignedIn(session);
  else show("ask");
}
