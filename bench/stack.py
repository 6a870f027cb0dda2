#!/usr/bin/env python3
"""The stack benchmark (`make bench`): what a sign-in costs on the deployed
stack, beside the emulator's own floor and an older design, in one run.

Measures, against the stack `make up` deployed on the emulator:

1. the request path: `POST /v1/magic-links` at 1, 8 and 32 concurrent
   clients (latency distribution, requests per second, errors), and the
   handler's own time, read from its `answered` log lines;
2. the mail path: a burst of requests, the time from each 202 to the mail
   SES captured, the drain rate, and SES calls per mail;
3. the sign-in path: `InitiateAuth` + `RespondToAuthChallenge` round trips,
   the verifier's duration per invocation (cold and warm), and every AWS call
   it makes, counted on a proxy in front of the emulator (Cognito admin calls
   and DynamoDB calls per sign-in);
4. each function's cold start and binary size;
5. a baseline: the older recipe's request (a secret written to a custom
   attribute with `AdminUpdateUserAttributes`, the mail sent in the request),
   made in-process against the same emulator;
6. the floor: the same three paths through a no-op function (`noop` in this
   crate) behind an HTTP API, an SQS queue and a user pool's triggers; and
   the request path's second floor, a function that makes only the
   request's transaction (`transact`).

Writes bench/report.json and bench/report.md. The numbers are the emulator's
on this machine: a ratio between two of them means more than either alone.
"""

import argparse
import collections
import concurrent.futures
import datetime
import http.server
import json
import os
import platform
import subprocess
import re
import secrets
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "localstack"))
from deploy import zip_bootstrap  # noqa: E402  the zip `make up` deploys

ROOT = Path(__file__).resolve().parent.parent
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566").rstrip("/")
STACK = "magiclink"
FROM = "no-reply@magiclink.test"
CLIENT_LEVELS = (1, 8, 32)
# The mailer's rate for the paced backlog: well under the emulator's own
# ceiling for the mailer (about 50 mails/s here), so that the drain measures
# the pacer and not the emulator.
PACED_RATE = 20
# The per-service endpoint variables the SDK reads: pointed at a counting
# proxy, they show every call a function makes.
SERVICE_ENDPOINTS = (
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_SESV2",
)
REQUEST_LINE = re.compile(rb"^(GET|POST|PUT|PATCH|DELETE|HEAD) (\S+) HTTP/1\.[01]$")


def aws(service: str, endpoint: str = ENDPOINT):
    return boto3.client(service, endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"))


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def summary(values_ms: list) -> dict:
    """p50, p95, p99 and max of a list of milliseconds."""
    if not values_ms:
        return {"n": 0}
    ordered = sorted(values_ms)

    def at(p):
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))], 1)

    return {"n": len(ordered), "p50": at(50), "p95": at(95), "p99": at(99), "max": round(ordered[-1], 1)}


def unique(prefix: str) -> str:
    return f"{prefix}-{int(time.time() * 1000)}-{secrets.token_hex(4)}@example.com"


def post_json(url: str, body: dict) -> tuple:
    """POSTs `body`; the status, and when the answer came (epoch seconds)."""
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, time.time()


def in_parallel(clients: int, work: list, call) -> tuple:
    """Runs `call` on each item of `work` from `clients` threads; the results
    (each with its latency in ms) and the wall time in seconds."""

    def timed(item):
        started = time.perf_counter()
        result = call(item)
        return item, result, (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(timed, work))
    return results, time.perf_counter() - started


def api_url(api_id: str, path: str = "/v1/magic-links") -> str:
    return f"{ENDPOINT}/_aws/execute-api/{api_id}/$default{path}"


def log_lines(group: str, since: float) -> list:
    """Every log event of `group` since epoch second `since`, as (epoch
    seconds, message)."""
    logs = aws("logs")
    events, token = [], None
    while True:
        kwargs = {"logGroupName": group, "startTime": int(since * 1000)}
        if token:
            kwargs["nextToken"] = token
        page = logs.filter_log_events(**kwargs)
        events += [(e["timestamp"] / 1000, e["message"]) for e in page.get("events", [])]
        token = page.get("nextToken")
        if not token:
            return events


def report_durations(group: str, since: float) -> list:
    """The `Duration` of each REPORT line: the invocation's wall time as the
    emulator saw it, process start included for a cold one."""
    return [
        float(message.split("Duration: ")[1].split(" ms")[0])
        for _, message in log_lines(group, since)
        if message.startswith("REPORT RequestId:")
    ]


def captured_mail() -> list:
    with urllib.request.urlopen(f"{ENDPOINT}/_ministack/ses/messages", timeout=60) as response:
        body = json.load(response)
    return [m for account in body.get("messages", {}).values() for m in account]


def queue_empty(sqs, url: str) -> bool:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return all(int(v) == 0 for v in attributes.values())


def wait_until(condition, timeout: float, step: float = 0.5) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


class CountingProxy:
    """A TCP proxy on loopback in front of the emulator that counts the AWS
    calls passing through it, by `X-Amz-Target` (JSON protocols: DynamoDB,
    Cognito, KMS, EventBridge) or else by method and path (REST protocols)."""

    def __init__(self, upstream: str):
        host, port = upstream.split("://")[1].split(":")
        self.upstream = (host, int(port))
        self.calls = collections.Counter()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def reset(self) -> collections.Counter:
        with self.lock:
            calls, self.calls = self.calls, collections.Counter()
        return calls

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()

    def _pipe(self, source, sink, count):
        buffer, request, length, skip = b"", None, 0, 0
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                if not count:
                    continue
                buffer += data
                while True:
                    if skip:
                        taken = min(skip, len(buffer))
                        buffer, skip = buffer[taken:], skip - taken
                        if skip:
                            break
                    if b"\r\n" not in buffer:
                        break
                    line, buffer = buffer.split(b"\r\n", 1)
                    lower = line.lower()
                    if match := REQUEST_LINE.match(line):
                        request = f"{match[1].decode()} {match[2].decode(errors='replace').split('?')[0]}"
                        length = 0
                    elif request and lower.startswith(b"x-amz-target:"):
                        request = line.split(b":", 1)[1].strip().decode(errors="replace")
                    elif request and lower.startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                    elif request and line == b"":
                        self._add(request)
                        request, skip = None, length
        except (OSError, ValueError):
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _add(self, call: str):
        with self.lock:
            self.calls[call] += 1


def set_environment(function: str, changes: dict) -> dict:
    """Changes a function's environment (which recycles its processes); the
    environment it had."""
    original = aws("lambda").get_function_configuration(FunctionName=function)
    original = original.get("Environment", {}).get("Variables", {})
    put_environment(function, {**original, **changes})
    return original


def put_environment(function: str, variables: dict) -> None:
    """Gives a function the environment `variables`, and waits until its
    update is done."""
    lam = aws("lambda")
    lam.update_function_configuration(FunctionName=function, Environment={"Variables": variables})
    wait_until(
        lambda: lam.get_function_configuration(FunctionName=function).get("LastUpdateStatus") == "Successful", 30, 0.2
    )


def sign_in(idp, client_id: str, email: str, answer: str) -> bool:
    started = idp.initiate_auth(ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email})
    answered = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": email, "ANSWER": answer},
    )
    return "AuthenticationResult" in answered


def request_path(url: str, requests_per_level: dict, handler_group: str | None = None) -> dict:
    """Latency, throughput and errors of link requests at each client level
    and, given the function's log group, the handler's own time."""
    levels = {}
    for clients in CLIENT_LEVELS:
        work = [unique("bench") for _ in range(requests_per_level[clients])]
        since = time.time()
        results, wall = in_parallel(clients, work, lambda email: post_json(url, {"email": email}))
        until = time.time()
        statuses = collections.Counter(status for _, (status, _), _ in results)
        level = {
            "latency_ms": summary([ms for _, _, ms in results]),
            "requests_per_second": round(len(results) / wall, 1),
            "statuses": dict(statuses),
            "errors": sum(n for s, n in statuses.items() if s != 202),
        }
        if handler_group:
            level["handler_ms"] = handler_time(handler_group, since, until)
        levels[str(clients)] = level
        say(f"{url.split('/')[-4]}, {clients} clients: {level}")
    return levels


def handler_time(group: str, since: float, until: float) -> dict:
    """The request handler's own time per 202 in a window, from its
    `answered` lines (`elapsed_ms`)."""
    time.sleep(1)
    elapsed = []
    for stamp, line in log_lines(group, since):
        if stamp <= until + 1 and '"answered"' in line and '"status":202' in line:
            elapsed.append(float(json.loads(line)["fields"]["elapsed_ms"]))
    return summary(elapsed)


def calls_per_action(function: str, actions: int, act) -> dict:
    """Every AWS call `function` makes while `act` runs `actions` times,
    counted on a proxy that its per-service endpoint variables point at."""
    proxy = CountingProxy(ENDPOINT)
    original = set_environment(function, {variable: proxy.url for variable in SERVICE_ENDPOINTS})
    try:
        act()
        time.sleep(1)
        calls = proxy.reset()
    finally:
        put_environment(function, original)
    return {
        "per_action": {call: round(n / actions, 3) for call, n in sorted(calls.items())},
        "cognito_admin": round(sum(n for c, n in calls.items() if ".Admin" in c) / actions, 3),
        "dynamodb": round(sum(n for c, n in calls.items() if c.startswith("DynamoDB")) / actions, 3),
    }


def bare_transaction(table: str, samples: int = 200) -> dict:
    """One `TransactWriteItems` of the items a link request writes (four
    rate-limit counters raised under their conditions, and a new challenge),
    made from this machine with boto3, one at a time: what the handler's own
    time is compared with."""
    ddb = aws("dynamodb")
    times = []
    for _ in range(samples):
        now = int(time.time())
        run = secrets.token_hex(8)
        counters = [
            {"Update": {
                "TableName": table,
                "Key": {"pk": {"S": f"rate#bench-{scope}#{run}#{now // 900}"}},
                "UpdateExpression": "ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)",
                "ConditionExpression": "attribute_not_exists(hits) OR hits < :max",
                "ExpressionAttributeNames": {"#ttl": "ttl"},
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": "5"}, ":ttl": {"N": str(now + 960)}},
            }}
            for scope in ("ip", "email", "email-burst", "mailbox")
        ]
        challenge = {"Put": {
            "TableName": table,
            "Item": {
                "pk": {"S": f"challenge#bench-{run}"},
                "email": {"S": f"bare-{run}@example.com"},
                "redirectUri": {"S": "http://localhost:8000/"},
                "createdAt": {"N": str(now)},
                "expiresAt": {"N": str(now + 90)},
                "status": {"S": "pending"},
                "ttl": {"N": str(now + 90 + 86400)},
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }}
        started = time.perf_counter()
        ddb.transact_write_items(TransactItems=counters + [challenge], ClientRequestToken=run)
        times.append((time.perf_counter() - started) * 1000)
    return summary(times)


def idle_mail(outputs: dict, samples: int = 10) -> dict:
    """One request at a time on an idle stack: from its 202 to its captured
    mail (through the table's stream, the relay, the bus and the queue)."""
    url = api_url(outputs["ApiId"])
    latencies = []
    for _ in range(samples):
        email = unique("idle")
        status, answered = post_json(url, {"email": email})
        if status != 202:
            raise SystemExit(f"bench: an idle request was answered {status}")
        stamps = []

        def mailed():
            stamps.extend(m["Timestamp"] for m in captured_mail() if email in m.get("To", []))
            return bool(stamps)

        if not wait_until(mailed, 60, 0.1):
            raise SystemExit("bench: an idle request was not mailed within a minute")
        latencies.append((min(stamps) - answered) * 1000)
        time.sleep(2)
    return summary(latencies)


def drain(sqs, queue_url: str) -> None:
    if not wait_until(lambda: queue_empty(sqs, queue_url), 900, 1):
        raise SystemExit(f"bench: {queue_url} did not drain within 15 minutes")


def mail_path(outputs: dict, burst: int, send_rate: float) -> dict:
    """A burst of requests: from each 202 to its captured mail, and how fast
    the backlog drained against the stack's `SesMaxSendRate`."""
    url = api_url(outputs["ApiId"])
    work = [unique("burst") for _ in range(burst)]
    results, wall = in_parallel(32, work, lambda email: post_json(url, {"email": email}))
    accepted = {email: answered for email, (status, answered), _ in results if status == 202}
    sqs = aws("sqs")
    drain(sqs, outputs["MailQueueUrl"])
    mails = collections.defaultdict(list)
    for mail in captured_mail():
        for to in mail.get("To", []):
            if to in accepted:
                mails[to].append(mail["Timestamp"])
    latencies = [(min(stamps) - accepted[email]) * 1000 for email, stamps in mails.items()]
    sent = sorted(min(stamps) for stamps in mails.values())
    span = (sent[-1] - sent[0]) if len(sent) > 1 else 0
    return {
        "requests": burst,
        "accepted": len(accepted),
        "request_seconds": round(wall, 1),
        "mailed": len(mails),
        "ses_calls_per_mail": round(sum(len(s) for s in mails.values()) / max(1, len(mails)), 3),
        "latency_ms": summary(latencies),
        "drain_mails_per_second": round(len(sent) / span, 1) if span else None,
        "drain_of_send_rate": round(len(sent) / span / send_rate, 2) if span and send_rate else None,
    }


def backlog_drain(outputs: dict, backlog: int, send_rate: float) -> dict:
    """A backlog of `backlog` requests queued while the mailer's mapping is
    off, drained with the mailer's `SES_MAX_SEND_RATE` at `send_rate` (0: no
    pacing). The rate is the sends of the drain's whole seconds (in the
    last, part of the backlog is still being prepared); `busiest_second` is
    the most sends any one second held."""
    lam, sqs = aws("lambda"), aws("sqs")
    mailer = f"{STACK}-mailer"
    original = set_environment(mailer, {"SES_MAX_SEND_RATE": str(send_rate)})
    mapping = lam.list_event_source_mappings(FunctionName=mailer)["EventSourceMappings"][0]["UUID"]
    lam.update_event_source_mapping(UUID=mapping, Enabled=False)
    try:
        url = api_url(outputs["ApiId"])
        emails = [unique("backlog") for _ in range(backlog)]
        in_parallel(32, emails, lambda email: post_json(url, {"email": email}))

        def queued():
            attributes = sqs.get_queue_attributes(
                QueueUrl=outputs["MailQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            return int(attributes["ApproximateNumberOfMessages"]) >= backlog

        if not wait_until(queued, 120, 0.5):
            raise SystemExit(f"bench: {backlog} requests were not all queued within two minutes")
    finally:
        lam.update_event_source_mapping(UUID=mapping, Enabled=True)
    drain(sqs, outputs["MailQueueUrl"])
    put_environment(mailer, original)
    wanted = set(emails)
    sent = sorted(m["Timestamp"] for m in captured_mail() if wanted & set(m.get("To", [])))
    seconds = int(sent[-1] - sent[0])
    whole = sum(1 for t in sent if t - sent[0] < seconds)
    per_second = round(whole / seconds, 1) if seconds else None
    busiest = max(sum(1 for u in sent[i:] if u - t < 1) for i, t in enumerate(sent))
    return {
        "send_rate": send_rate,
        "backlog": backlog,
        "mailed": len(sent),
        "mails_per_second": per_second,
        "of_send_rate": round(per_second / send_rate, 2) if per_second and send_rate else None,
        "busiest_second": busiest,
    }


def link_token(mail: dict) -> str:
    """The token of a captured mail: what follows `#` in its link."""
    link = next(line.strip() for line in mail["BodyText"].splitlines() if line.strip().startswith("http") and "#" in line)
    return link.split("#", 1)[1]


def fresh_links(outputs: dict, count: int) -> dict:
    """Asks for `count` links to new addresses; each address's token once
    mailed."""
    url = api_url(outputs["ApiId"])
    emails = [unique("signin") for _ in range(count)]
    for email in emails:
        post_json(url, {"email": email})
    drain(aws("sqs"), outputs["MailQueueUrl"])
    tokens = {}
    for mail in captured_mail():
        for to in mail.get("To", []):
            if to in emails:
                tokens[to] = link_token(mail)
    return tokens


def sign_in_path(outputs: dict, users: int) -> dict:
    """Sequential sign-ins through the stack's pool, the first after a
    recycle of the verifier (a cold start); then a few more with the
    verifier's calls counted."""
    verifier = f"{STACK}-verifier"
    idp = aws("cognito-idp")
    tokens = fresh_links(outputs, users)
    original = set_environment(verifier, {"BENCH_RECYCLE": str(time.time())})
    since = time.time()
    round_trips, successes = [], 0
    for email, token in tokens.items():
        started = time.perf_counter()
        successes += sign_in(idp, outputs["UserPoolClientId"], email, token)
        round_trips.append((time.perf_counter() - started) * 1000)
    time.sleep(1)
    durations = report_durations(f"/aws/lambda/{verifier}", since)
    put_environment(verifier, original)

    counted = fresh_links(outputs, 10)
    calls = calls_per_action(
        verifier,
        len(counted),
        lambda: [sign_in(idp, outputs["UserPoolClientId"], e, t) for e, t in counted.items()],
    )
    return {
        "sign_ins": len(tokens),
        "succeeded": successes,
        "round_trip_ms": summary(round_trips[1:]),
        "first_round_trip_ms": round(round_trips[0], 1),
        "trigger_cold_ms": durations[0] if durations else None,
        "trigger_warm_ms": summary(durations[1:]),
        "invocations_per_sign_in": round(len(durations) / len(tokens), 2),
        "calls_per_sign_in": calls,
    }


class FakeRuntimeApi:
    """Just enough of the Lambda Runtime API to time a function's start: one
    event for the first `next`, the time its answer arrives."""

    def __init__(self, event: dict):
        self.event = json.dumps(event).encode()
        self.served = False
        self.answered = threading.Event()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def do_GET(self):
                if api.served:
                    api.answered.wait(30)
                    self.send_response(500)
                    self.end_headers()
                    return
                api.served = True
                self.send_response(200)
                for name, value in (
                    ("Lambda-Runtime-Aws-Request-Id", "bench"),
                    ("Lambda-Runtime-Deadline-Ms", str(int((time.time() + 30) * 1000))),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:bench"),
                    ("Content-Type", "application/json"),
                ):
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(api.event)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                api.answered.set()
                self.send_response(202)
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"


COLD_START_EVENTS = {
    "request": {
        "version": "2.0", "routeKey": "POST /v1/magic-links", "rawPath": "/v1/magic-links",
        "rawQueryString": "", "headers": {"content-type": "application/json"}, "body": "{}",
        "isBase64Encoded": False,
        "requestContext": {
            "accountId": "000000000000", "apiId": "bench", "domainName": "bench.example",
            "domainPrefix": "bench", "requestId": "bench", "routeKey": "POST /v1/magic-links",
            "stage": "$default", "time": "21/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": {"method": "POST", "path": "/v1/magic-links", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "bench"},
        },
    },
    "mailer": {"Records": []},
    "verifier": {
        "version": "1", "region": "us-east-1", "userPoolId": "bench", "userName": "ann@example.com",
        "triggerSource": "DefineAuthChallenge_Authentication",
        "callerContext": {"awsSdkVersion": "bench", "clientId": "bench"},
        "request": {"userAttributes": {}, "session": []}, "response": {},
    },
}


def cold_starts(binaries: Path, runs: int = 5) -> dict:
    """Each function's binary, started with its deployed environment against
    a fake Runtime API: from process start to its first answer (an answer
    that needs no AWS call), the median of `runs` starts."""
    lam = aws("lambda")
    result = {}
    for name, event in COLD_START_EVENTS.items():
        config = lam.get_function_configuration(FunctionName=f"{STACK}-{name}")
        environment = {
            **{k: v for k, v in os.environ.items() if k.startswith(("AWS_", "PATH", "HOME"))},
            **config.get("Environment", {}).get("Variables", {}),
            "AWS_LAMBDA_FUNCTION_NAME": f"{STACK}-{name}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize", 128)),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        }
        starts = []
        for _ in range(runs):
            api = FakeRuntimeApi(event)
            started = time.perf_counter()
            process = subprocess.Popen([str(binaries / name)], env={**environment, "AWS_LAMBDA_RUNTIME_API": api.address},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            answered = api.answered.wait(30)
            elapsed = (time.perf_counter() - started) * 1000
            process.kill()
            process.wait()
            api.server.shutdown()
            if not answered:
                raise SystemExit(f"bench: {name} did not answer its first event within 30 s")
            starts.append(elapsed)
        result[name] = round(sorted(starts)[len(starts) // 2], 1)
        say(f"cold start of {name}: {result[name]} ms")
    return result


def binary_sizes(binaries: Path) -> dict:
    """Each function's binary and the zip `make up` deploys of it, in MB."""
    sizes = {}
    for name in ("request", "mailer", "verifier"):
        binary = binaries / name
        sizes[name] = {
            "binary_mb": round(binary.stat().st_size / 2**20, 1),
            "zip_mb": round(len(zip_bootstrap(binary)) / 2**20, 1),
        }
    return sizes


def web_package_sizes() -> list:
    """Each web package entry point, minified and gzipped (clients/e2e/sizes.mjs)."""
    printed = subprocess.run(
        ["node", str(ROOT / "clients" / "e2e" / "sizes.mjs")], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(printed)


def baseline(requests_per_level: dict) -> dict:
    """The older recipe's request, in-process: a secret in a custom
    attribute (`AdminUpdateUserAttributes`), then the mail, sent at once."""
    proxy = CountingProxy(ENDPOINT)
    idp, ses = aws("cognito-idp", proxy.url), aws("sesv2", proxy.url)
    pool = idp.create_user_pool(
        PoolName=f"bench-baseline-{int(time.time())}",
        Schema=[{"Name": "authChallenge", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    users = [unique("baseline") for _ in range(max(requests_per_level.values()))]
    for email in users:
        idp.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": email}])
    proxy.reset()

    def request(email):
        secret = secrets.token_urlsafe(32)
        idp.admin_update_user_attributes(
            UserPoolId=pool, Username=email,
            UserAttributes=[{"Name": "custom:authChallenge", "Value": f"{secret},{int(time.time()) + 900}"}],
        )
        ses.send_email(
            FromEmailAddress=FROM,
            Destination={"ToAddresses": [email]},
            Content={"Simple": {"Subject": {"Data": "Your sign-in link"},
                                "Body": {"Text": {"Data": f"http://localhost:8000/#{secret}"}}}},
        )
        return 202

    levels = {}
    total = 0
    for clients in CLIENT_LEVELS:
        work = users[: requests_per_level[clients]]
        results, wall = in_parallel(clients, work, request)
        total += len(results)
        levels[str(clients)] = {
            "latency_ms": summary([ms for _, _, ms in results]),
            "requests_per_second": round(len(results) / wall, 1),
        }
        say(f"baseline, {clients} clients: {levels[str(clients)]}")
    calls = proxy.reset()
    admin = sum(n for call, n in calls.items() if ".Admin" in call)
    return {
        "levels": levels,
        "calls_per_request": {call: round(n / total, 3) for call, n in sorted(calls.items())},
        "cognito_admin_calls_per_request": round(admin / total, 3),
    }


def behind_api(name: str, binary: Path, environment: dict | None = None) -> tuple:
    """The function `name` running `binary` (with `environment`), behind an
    HTTP API of the same name that routes `POST /v1/magic-links` to it; made
    once, its code updated by later runs. Its ARN and the API's id."""
    lam, apigw = aws("lambda"), aws("apigatewayv2")
    code = zip_bootstrap(binary)
    settings = {"Environment": {"Variables": environment or {}}, "Timeout": 10}
    try:
        arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        lam.update_function_code(FunctionName=name, ZipFile=code)
        lam.update_function_configuration(FunctionName=name, **settings)
    except lam.exceptions.ResourceNotFoundException:
        arn = lam.create_function(
            FunctionName=name, Runtime="provided.al2023", Handler="bootstrap", Architectures=["x86_64"],
            Role=f"arn:aws:iam::000000000000:role/{name}", Code={"ZipFile": code}, **settings,
        )["FunctionArn"]
    api = next((a for a in apigw.get_apis()["Items"] if a["Name"] == name), None)
    if api is None:
        api = apigw.create_api(Name=name, ProtocolType="HTTP")
        integration = apigw.create_integration(
            ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0"
        )
        apigw.create_route(ApiId=api["ApiId"], RouteKey="POST /v1/magic-links",
                           Target=f"integrations/{integration['IntegrationId']}")
        apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    return arn, api["ApiId"]


def floor_stack(noop: Path) -> dict:
    """The no-op function behind an HTTP API, an SQS queue and a pool's
    triggers; made once, reused by later runs."""
    lam, sqs, idp = aws("lambda"), aws("sqs"), aws("cognito-idp")
    name = "magiclink-bench-noop"
    arn, api_id = behind_api(name, noop)
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if not lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
        lam.create_event_source_mapping(FunctionName=name, EventSourceArn=queue_arn, BatchSize=10,
                                        ScalingConfig={"MaximumConcurrency": 2})
    pool = next((p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == name), None)
    if pool is None:
        pool = idp.create_user_pool(PoolName=name, LambdaConfig={
            "DefineAuthChallenge": arn, "CreateAuthChallenge": arn, "VerifyAuthChallengeResponse": arn})["UserPool"]
    clients = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=10)["UserPoolClients"]
    client_id = clients[0]["ClientId"] if clients else idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName=name, ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return {"api_id": api_id, "queue_url": queue, "pool_id": pool["Id"], "client_id": client_id}


def transaction_floor(transact: Path, outputs: dict, requests_per_level: dict) -> dict:
    """The request path through a function that makes only the request's
    `TransactWriteItems` (`bench/src/bin/transact.rs`), into the stack's
    table, behind an HTTP API of its own."""
    _, api_id = behind_api("magiclink-bench-transact", transact, {
        "TABLE_NAME": outputs["TableName"], "AWS_ENDPOINT_URL": ENDPOINT,
    })
    url = api_url(api_id)
    post_json(url, {"email": unique("warm")})
    levels = request_path(url, requests_per_level)
    drain(aws("sqs"), outputs["MailQueueUrl"])
    return levels


def floor(noop: Path, requests_per_level: dict, burst: int, users: int) -> dict:
    stack = floor_stack(noop)
    url = api_url(stack["api_id"])
    post_json(url, {"email": unique("warm")})
    requests = request_path(url, requests_per_level)
    sqs = aws("sqs")
    started = time.time()
    for offset in range(0, burst, 10):
        sqs.send_message_batch(QueueUrl=stack["queue_url"], Entries=[
            {"Id": str(i), "MessageBody": "{}"} for i in range(min(10, burst - offset))])
    drain(sqs, stack["queue_url"])
    drained = time.time() - started
    idp = aws("cognito-idp")
    emails = [unique("floor") for _ in range(users)]
    for email in emails:
        idp.admin_create_user(UserPoolId=stack["pool_id"], Username=email, MessageAction="SUPPRESS")
    round_trips = []
    for email in emails:
        started_one = time.perf_counter()
        sign_in(idp, stack["client_id"], email, "anything")
        round_trips.append((time.perf_counter() - started_one) * 1000)
    return {
        "request_path": requests,
        "queue_drain_messages_per_second": round(burst / drained, 1),
        "sign_in_round_trip_ms": summary(round_trips[1:]),
    }


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def markdown(report: dict) -> str:
    r, f, b = report["request_path"], report["floor"], report["baseline"]
    m, s = report["mail_path"], report["sign_in_path"]
    u, p = report["drain_unpaced"], report["drain_paced"]
    lines = [
        "# magiclink stack benchmark",
        "",
        f"Run {report['started']} on {report['machine']}, against MiniStack on loopback "
        "(`make bench`, `bench/stack.py`). Every number is the emulator's on this machine: "
        "compare them with each other, not with AWS. Latencies in milliseconds.",
        "",
        "## Request path: `POST /v1/magic-links`",
        "",
        "| clients | p50 | p95 | p99 | max | req/s | errors | handler p50 | handler p99 "
        "| floor p50 | p50 / floor | transaction floor p50 | p50 / transaction floor "
        "| baseline p50 (in-process) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for level in map(str, CLIENT_LEVELS):
        ours, fl, base = r[level], f["request_path"][level], b["levels"][level]
        tx = report["transaction_floor"][level]
        latency, handler = ours["latency_ms"], ours["handler_ms"]
        lines.append(
            f"| {level} | {latency['p50']} | {latency['p95']} | {latency['p99']} | {latency['max']} "
            f"| {ours['requests_per_second']} | {ours['errors']} | {handler['p50']} | {handler['p99']} "
            f"| {fl['latency_ms']['p50']} | {ratio(latency['p50'], fl['latency_ms']['p50'])} "
            f"| {tx['latency_ms']['p50']} | **{ratio(latency['p50'], tx['latency_ms']['p50'])}** "
            f"| {base['latency_ms']['p50']} |"
        )
    calls = report["request_calls"]
    lines += [
        "",
        f"One bare `TransactWriteItems` of the same shape (four counters and a challenge) from this "
        f"machine with boto3, one at a time: p50 {report['bare_transaction_ms']['p50']}, p99 "
        f"{report['bare_transaction_ms']['p99']}; the handler's p50 at one client is "
        f"**{ratio(r['1']['handler_ms']['p50'], report['bare_transaction_ms']['p50'])}×** that.",
        "",
        "*handler*: the handler's own time per 202 (its `elapsed_ms` log field); the rest of the "
        "latency is the emulator's HTTP API and Lambda dispatch. *floor*: the same request to a "
        "function that does nothing (`bench/src/bin/noop.rs`) behind an HTTP API of its own. "
        "*transaction floor*: the same request to a function that makes only the request's "
        "`TransactWriteItems` (four counters and a challenge, through `magiclink::admission`, into "
        "the stack's table: `bench/src/bin/transact.rs`), so that its ratio is this code's cost "
        "beyond the one write the request needs, the emulator's DynamoDB included in both. "
        "*baseline*: the older recipe's request work (`AdminUpdateUserAttributes` with a secret in a "
        "custom attribute, then SES `SendEmail`), made in-process with no API in front, so it is "
        "comparable with the handler column.",
        "",
        f"AWS calls per request, counted on a proxy: {json.dumps(calls['per_action'])}; Cognito admin "
        f"calls **{calls['cognito_admin']}** (baseline: **{b['cognito_admin_calls_per_request']}**, "
        f"{json.dumps(b['calls_per_request'])}).",
        "",
        "## Mail path",
        "",
        f"A burst of {m['requests']} requests from 32 clients ({m['accepted']} accepted in "
        f"{m['request_seconds']} s): {m['mailed']} mailed, **{m['ses_calls_per_mail']}** SES calls per "
        f"mail. From 202 to captured mail: p50 {m['latency_ms']['p50']}, p95 {m['latency_ms']['p95']}, "
        f"p99 {m['latency_ms']['p99']}, max {m['latency_ms']['max']}. Backlog drained at "
        f"{m['drain_mails_per_second']} mails/s, **{m['drain_of_send_rate']}** of `SesMaxSendRate` "
        f"({report['send_rate']} on the emulator); the floor "
        f"queue drains {f['queue_drain_messages_per_second']} messages/s into the no-op function.",
        "",
        f"Measured first, on the fresh emulator: a backlog of {u['backlog']} queued before the mailer "
        f"runs drains at {u['mails_per_second']} mails/s unpaced (the emulator's ceiling for this "
        f"mailer, two instances); at a `SES_MAX_SEND_RATE` of {p['send_rate']:g}, under that ceiling, "
        f"at {p['mails_per_second']} mails/s, **{p['of_send_rate']}** of the rate, and the busiest "
        f"second held {p['busiest_second']} sends (by the emulator's SES timestamps, which carry "
        f"each call's own latency).",
        "",
        f"One request at a time on an idle stack, from 202 to captured mail: p50 "
        f"{report['idle_mail_ms']['p50']}, max {report['idle_mail_ms']['max']} "
        f"({report['idle_mail_ms']['n']} requests).",
        "",
        "## Sign-in path",
        "",
        f"{s['sign_ins']} sequential sign-ins ({s['succeeded']} succeeded), `InitiateAuth` + "
        f"`RespondToAuthChallenge`: p50 {s['round_trip_ms']['p50']}, p95 {s['round_trip_ms']['p95']}, "
        f"max {s['round_trip_ms']['max']}; the first, with a cold verifier, {s['first_round_trip_ms']}. "
        f"Floor (no-op triggers): p50 {f['sign_in_round_trip_ms']['p50']} "
        f"(ratio {ratio(s['round_trip_ms']['p50'], f['sign_in_round_trip_ms']['p50'])}).",
        "",
        f"Verifier invocations per sign-in: {s['invocations_per_sign_in']}; duration per invocation "
        f"as the emulator reports it: cold {s['trigger_cold_ms']}, warm p50 {s['trigger_warm_ms']['p50']}, "
        f"p99 {s['trigger_warm_ms']['p99']}.",
        "",
        f"AWS calls per sign-in, counted on a proxy: {json.dumps(s['calls_per_sign_in']['per_action'])}; "
        f"Cognito admin calls **{s['calls_per_sign_in']['cognito_admin']}**, DynamoDB calls "
        f"**{s['calls_per_sign_in']['dynamodb']}**.",
        "",
        "## Cold starts and binaries",
        "",
        "| function | binary MB | zip MB | process start to first answer |",
        "|---|---|---|---|",
    ]
    for name, size in report["binaries"].items():
        lines.append(f"| {name} | {size['binary_mb']} | {size['zip_mb']} | {report['cold_start_ms'][name]} |")
    lines += [
        "",
        "Each binary is started with its deployed environment against a fake Runtime API and answers "
        "one event that needs no AWS call (the median of five starts). Binaries are the `local` profile (opt-level 1, debug info stripped) "
        "that the emulator runs.",
        "",
        "## Web packages",
        "",
        "| entry point | minified | minified + gzip | budget |",
        "|---|---|---|---|",
    ]
    for size in report["web_packages"]:
        lines.append(
            f"| `{size['name']}` | {size['minified'] / 1024:.1f} kB | {size['gzip'] / 1024:.1f} kB "
            f"| {size['budget'] / 1024:.0f} kB |"
        )
    lines += [
        "",
        "Each entry bundled and minified by esbuild, gzipped at level 9, without its peers (`react`, "
        "and `@magiclink/web` for the React bindings): what an app's bundle carries. "
        "`clients/e2e/sizes.test.mjs` (in `make test`) holds each to its budget.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binaries", type=Path, required=True)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--sign-ins", type=int, default=50)
    parser.add_argument("--requests", type=int, default=100, help="requests at one client; 2x at 8, 3.2x at 32")
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    args = parser.parse_args()
    stack = aws("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    requests_per_level = {1: args.requests, 8: 2 * args.requests, 32: int(3.2 * args.requests)}
    url = api_url(outputs["ApiId"])
    report = {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "send_rate": float(parameters["SesMaxSendRate"]),
    }
    sqs = aws("sqs")
    drain(sqs, outputs["MailQueueUrl"])
    post_json(url, {"email": unique("warm")})

    # First, while the emulator is fresh: later phases leave it slower, and
    # the drains should measure the mailer and its pacer.
    say("backlog drains")
    report["drain_unpaced"] = backlog_drain(outputs, 400, 0)
    report["drain_paced"] = backlog_drain(outputs, 400, PACED_RATE)
    say(f"backlog drains: {report['drain_unpaced']} {report['drain_paced']}")
    say("request path")
    report["request_path"] = request_path(url, requests_per_level, f"/aws/lambda/{STACK}-request")
    report["request_calls"] = calls_per_action(
        f"{STACK}-request", 20, lambda: [post_json(url, {"email": unique("count")}) for _ in range(20)]
    )
    report["bare_transaction_ms"] = bare_transaction(outputs["TableName"])
    say(f"bare transaction: {report['bare_transaction_ms']}")
    drain(sqs, outputs["MailQueueUrl"])
    say("transaction floor")
    report["transaction_floor"] = transaction_floor(args.binaries / "transact", outputs, requests_per_level)
    say("idle mail")
    report["idle_mail_ms"] = idle_mail(outputs)
    say(f"idle mail: {report['idle_mail_ms']}")
    say("mail path")
    report["mail_path"] = mail_path(outputs, args.burst, report["send_rate"])
    say(f"mail path: {report['mail_path']}")
    say("sign-in path")
    report["sign_in_path"] = sign_in_path(outputs, args.sign_ins)
    say(f"sign-in path: {report['sign_in_path']}")
    report["cold_start_ms"] = cold_starts(args.binaries)
    report["binaries"] = binary_sizes(args.binaries)
    report["web_packages"] = web_package_sizes()
    say("baseline")
    report["baseline"] = baseline(requests_per_level)
    say("floor")
    report["floor"] = floor(args.binaries / "noop", requests_per_level, args.burst, args.sign_ins)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "report.md").write_text(markdown(report))
    say(f"wrote {args.out / 'report.md'} and {args.out / 'report.json'}")


if __name__ == "__main__":
    main()
