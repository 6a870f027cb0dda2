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
    const reports = document.createElement("p");
    reports.className = "quiet";
    reports.append("Play SES's report on it: ");
    for (const report of ["delivered", "bounced", "complained"]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small";
      button.textContent = report;
      button.addEventListener("click", async () => {
        const answer = await fetch("ses-report", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ id: message.id, report }),
        });
        button.textContent = answer.ok ? `${report} ✓` : `${report} ✗`;
      });
      reports.append(button, " ");
    }
    item.append(reports);
    list.append(item);
  }
}
document.getElementById("reload").addEventListener("click", load);
await load();
