"""The local demo: serves clients/web on http://localhost:8000 against the
stack that `make up` deployed, and follows the functions' logs until Ctrl-C.

Besides the files of clients/web it answers:
- /config.json: what the page needs to reach the stack (from .emulator/outputs.json);
- /inbox.json: the mail the emulator's SES captured, newest first.
"""

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
WEB = ROOT / "clients" / "web"
OUTPUTS = ROOT / ".emulator" / "outputs.json"
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566").rstrip("/")
REGION = os.environ.get("AWS_REGION", "us-east-1")
PORT = int(os.environ.get("DEV_PORT", "8000"))
FUNCTIONS = ("request", "mailer", "verifier", "relay", "keys")


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


class Handler(SimpleHTTPRequestHandler):
    def end_headers(self):
        # The pages carry their Content-Security-Policy in a meta element;
        # framing can only be refused by a header.
        self.send_header("content-security-policy", "frame-ancestors 'none'")
        self.send_header("x-content-type-options", "nosniff")
        self.send_header("referrer-policy", "no-referrer")
        super().end_headers()

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
    server = ThreadingHTTPServer(("127.0.0.1", PORT), partial(Handler, directory=str(WEB)))
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
