// The local inbox: the mail the emulator captured, with each link.
async function load() {
  const mail = await (await fetch("inbox.json")).json();
  const list = document.getElementById("mail");
  list.replaceChildren();
  for (const message of mail) {
    const item = document.createElement("li");
    const heading = document.createElement("p");
    heading.textContent = `To ${message.to.join(", ")}: ${message.subject}`;
    item.append(heading);
    const link = message.text.split("\n").map((l) => l.trim()).find((l) => l.startsWith("http") && l.includes("#"));
    if (link) {
      const anchor = document.createElement("a");
      anchor.href = link;
      anchor.textContent = "Open the sign-in link";
      anchor.className = "mail-link";
      anchor.dataset.to = message.to.join(",");
      item.append(anchor);
    }
    list.append(item);
  }
}
document.getElementById("reload").addEventListener("click", load);
await load();
