"""The local demo: serves the demo page (clients/demo, built into
.emulator/demo by `make demo`) on http://localhost:8000 against the stack
that `make up` deployed, and follows the functions' logs until Ctrl-C.

Besides the demo's files it answers:
- /config.json: what the page needs to reach the stack (from .emulator/outputs.json);
- /inbox.json: the mail the emulator's SES captured, newest first;
- /apps/<name>/…: an app built elsewhere into .emulator/apps/<name> (the
  browser tests' fresh app that installs the packed @magiclink/web), served
  on the origin the stack allows;
- POST /ses-report {"id": <message id>, "report": "delivered"|"bounced"|"complained"}:
  puts SES's report on that mail on the default bus, as SES would on AWS (the
  emulator's SES publishes no events), with the source the emulator's stack
  takes SES's events from (the Makefile's SesEventSource).
"""

import base64
import json
import os
import sys
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".emulator" / "demo"
OUTPUTS = ROOT / ".emulator" / "outputs.json"
APPS = ROOT / ".emulator" / "apps"
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566").rstrip("/")
REGION = os.environ.get("AWS_REGION", "us-east-1")
PORT = int(os.environ.get("DEV_PORT", "8000"))
FUNCTIONS = ("request", "mailer", "verifier", "relay", "feedback", "keys", "passkeys", "admin")
SES_SOURCE = "magiclink.test.ses"

# SES's reports, as its event publishing writes them: detail type, event
# type, and the part of the detail that is the report's own, for the mail's
# recipients (SES names in each report the recipients it is about).
REPORTS = {
    "delivered": ("Email Delivered", "Delivery", lambda to: {
        "delivery": {"processingTimeMillis": 900, "smtpResponse": "250 2.0.0 OK", "recipients": to}}),
    "bounced": ("Email Bounced", "Bounce", lambda to: {
        "bounce": {"bounceType": "Permanent", "bounceSubType": "NoEmail", "feedbackId": "local",
                   "bouncedRecipients": [{"emailAddress": a, "action": "failed", "status": "5.1.1"}
                                         for a in to]}}),
    "complained": ("Email Complaint Received", "Complaint", lambda to: {
        "complaint": {"complainedRecipients": [{"emailAddress": a} for a in to], "feedbackId": "local",
                      "complaintFeedbackType": "abuse"}}),
}


def page_config() -> dict:
    outputs = json.loads(OUTPUTS.read_text())
    return {
        "apiUrl": f"{ENDPOINT}/_aws/execute-api/{outputs['ApiId']}/$default",
        "region": REGION,
        "userPoolId": outputs["UserPoolId"],
        "clientId": outputs["UserPoolClientId"],
        "cognitoEndpoint": ENDPOINT,
        "inbox": "/inbox.json",
    }


def inbox() -> list:
    with urllib.request.urlopen(f"{ENDPOINT}/_ministack/ses/messages", timeout=5) as answer:
        messages = json.load(answer).get("messages", {})
    mail = [m for account in messages.values() for m in account]
    return [
        {"id": m.get("MessageId"), "to": m.get("To", []), "subject": m.get("Subject"),
         "text": m.get("BodyText", ""), "html": m.get("BodyHtml", "")}
        for m in reversed(mail)
    ]


def challenge_of(mail: dict) -> str:
    """The challenge id (the token's jti) of the link in a mail's text."""
    link = next(line.strip() for line in mail["text"].splitlines()
                if line.strip().startswith("http") and "#" in line)
    payload = link.split("#", 1)[1].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]


def tag_of(mail: dict) -> dict:
    """The tag magiclink gave a mail: its challenge, or, for a passkey change's
    notice (which holds no link), `notice` (the captured mail keeps no tags, so
    the passkey's id is not known here: any ULID does, the feedback function
    only suppresses)."""
    try:
        return {"challenge": [challenge_of(mail)]}
    except StopIteration:
        return {"notice": ["0" * 26]}


def ses_report(request: dict) -> dict:
    """Puts SES's report `request["report"]` on mail `request["id"]` on the default bus."""
    detail_type, event_type, report = REPORTS[request["report"]]
    mail = next(m for m in inbox() if m["id"] == request["id"])
    outputs = json.loads(OUTPUTS.read_text())
    detail = {
        "eventType": event_type,
        "mail": {
            "messageId": mail["id"],
            "destination": mail["to"],
            "tags": {
                "ses:configuration-set": [outputs["MailConfigurationSetName"]],
                **tag_of(mail),
            },
        },
        **report(mail["to"]),
    }
    events = boto3.client("events", endpoint_url=ENDPOINT, region_name=REGION)
    put = events.put_events(Entries=[{
        "EventBusName": "default", "Source": SES_SOURCE,
        "DetailType": detail_type, "Detail": json.dumps(detail),
    }])
    return {"failed": put["FailedEntryCount"]}


class Handler(SimpleHTTPRequestHandler):
    def end_headers(self):
        # The pages carry their Content-Security-Policy in a meta element;
        # framing can only be refused by a header.
        self.send_header("content-security-policy", "frame-ancestors 'none'")
        self.send_header("x-content-type-options", "nosniff")
        self.send_header("referrer-policy", "no-referrer")
        super().end_headers()

    def translate_path(self, path):
        if path.startswith("/apps/"):
            # SimpleHTTPRequestHandler's own resolution (no "..", no
            # absolute paths), from the apps' folder instead.
            inside = super().translate_path("/" + path.removeprefix("/apps/"))
            return str(APPS / Path(inside).relative_to(self.directory))
        return super().translate_path(path)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        routes = {"/config.json": page_config, "/inbox.json": inbox}
        if self.path in routes:
            body = json.dumps(routes[self.path]()).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("cache-control", "no-store")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def do_POST(self):  # noqa: N802 (http.server's naming)
        if self.path != "/ses-report":
            self.send_error(404)
            return
        try:
            length = min(int(self.headers.get("content-length", 0)), 4096)
            answer, status = ses_report(json.loads(self.rfile.read(length))), 200
        except (KeyError, StopIteration, ValueError) as error:
            answer, status = {"error": f"no such mail or report: {error}"}, 400
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def follow_logs(stop: threading.Event) -> None:
    """Prints every new line of the functions' log groups, tagged by function."""
    logs = boto3.client("logs", endpoint_url=ENDPOINT, region_name=REGION)
    since = {f: int(time.time() * 1000) for f in FUNCTIONS}
    while not stop.is_set():
        for function in FUNCTIONS:
            try:
                events = logs.filter_log_events(
                    logGroupName=f"/aws/lambda/magiclink-{function}", startTime=since[function]
                ).get("events", [])
            except Exception as error:  # the group appears with the first invocation
                if "ResourceNotFound" not in str(error):
                    print(f"[logs] {error}", file=sys.stderr)
                continue
            for event in events:
                since[function] = max(since[function], event["timestamp"] + 1)
                message = event["message"].rstrip()
                if message and not message.startswith(("START ", "END ", "REPORT ")):
                    print(f"[{function:8}] {message}", flush=True)
        stop.wait(1)


def main() -> None:
    if not OUTPUTS.exists():
        raise SystemExit("dev: the stack is not deployed; run make up (make dev does)")
    if not (DEMO / "app.js").exists():
        raise SystemExit("dev: the demo page is not built; run make demo (make dev does)")
    server = ThreadingHTTPServer(("127.0.0.1", PORT), partial(Handler, directory=str(DEMO)))
    stop = threading.Event()
    threading.Thread(target=follow_logs, args=(stop,), daemon=True).start()
    print(f"dev: the page is at http://localhost:{PORT}/ ; captured mail at http://localhost:{PORT}/inbox.html")
    print("dev: following the functions' logs; Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()


if __name__ == "__main__":
    main()
