"""Deploys infra/template.yaml to the emulator as stack `magiclink`.

What `sam package` and `sam deploy` do on AWS, for the emulator: zip each
function's binary as `bootstrap`, upload the zips, point each function's
CodeUri at its zip, upload the template (CloudFormation takes 51,200 bytes
inline, the template is larger), then create or update the stack from it (the
SAM transform runs in
the emulator's CloudFormation). The template itself is not edited on disk:
the same file deploys to a real account with `sam build && sam deploy`.

Afterwards it applies the table settings the emulator's CloudFormation
leaves out (time to live, point-in-time recovery), verifies the From identity in the emulator's SES, writes the
stack outputs to .emulator/outputs.json and prints them.

Usage: deploy.py --binaries DIR [--stack-name NAME] [--param Key=Value ...]

Another stack name deploys a second stack beside `magiclink` (the existing
pool's test does); its outputs are printed, and .emulator/outputs.json is
left to `magiclink`'s.
"""

import argparse
import hashlib
import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path

import boto3
import botocore.exceptions
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
STATE = ROOT / ".emulator"
# The stack deployed; `--stack-name` sets another for the whole run.
STACK = "magiclink"
DEFAULT_STACK = STACK
BUCKET = "magiclink-artifacts"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short forms (!Ref, !GetAtt, !Sub, ...) as the
    long forms they stand for."""


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def say(message):
    print(f"deploy: {message}", file=sys.stderr, flush=True)


def zip_bootstrap(binary: Path) -> bytes:
    """A Lambda zip holding `binary` as an executable `bootstrap`, byte for
    byte the same for the same binary (fixed timestamp), so an unchanged
    function keeps its key and is not redeployed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, binary.read_bytes())
    return buffer.getvalue()


def package(template: dict, binaries: Path, s3) -> None:
    """Uploads each function's zip and points its CodeUri at it."""
    try:
        s3.head_bucket(Bucket=BUCKET)
    except botocore.exceptions.ClientError:
        s3.create_bucket(Bucket=BUCKET)
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        name = resource["Metadata"]["BuildProperties"]["Binary"]
        binary = binaries / name
        if not binary.is_file():
            raise SystemExit(f"deploy: {binary} is missing; build the functions first (make up does)")
        body = zip_bootstrap(binary)
        key = f"{name}/{hashlib.sha256(body).hexdigest()[:16]}.zip"
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        resource["Properties"]["CodeUri"] = f"s3://{BUCKET}/{key}"
        say(f"{logical_id}: {len(body) / 1e6:.1f} MB zip as s3://{BUCKET}/{key}")


def stack_status(cfn):
    try:
        stacks = cfn.describe_stacks(StackName=STACK)["Stacks"]
    except botocore.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return stacks[0]["StackStatus"] if stacks else None


def wait(cfn, started: float) -> str:
    while True:
        status = stack_status(cfn)
        if status and not status.endswith("_IN_PROGRESS"):
            return status
        if time.time() - started > 600:
            raise SystemExit("deploy: the stack did not settle within 10 minutes")
        time.sleep(1)


def report_failure(cfn, status: str) -> None:
    say(f"stack {STACK} ended in {status}; the failed resources:")
    # Every page: a rollback's own events alone fill the first ones.
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=STACK):
        for event in page["StackEvents"]:
            if event.get("ResourceStatus", "").endswith("FAILED"):
                say(f"  {event.get('LogicalResourceId')}: {event.get('ResourceStatusReason')}")
    raise SystemExit(1)


def upload_template(body: str, s3, endpoint: str) -> str:
    """Puts the template beside the zips; its URL. A stack's template is
    read from S3, as `sam deploy` does on AWS: CloudFormation takes at most
    51,200 bytes inline (TemplateBody), 1 MB from S3 (TemplateURL)."""
    key = f"template/{hashlib.sha256(body.encode()).hexdigest()[:16]}.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    return f"{endpoint.rstrip('/')}/{BUCKET}/{key}"


def deploy(cfn, template_url: str, parameters: list) -> None:
    started = time.time()
    status = stack_status(cfn)
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"):
        say(f"stack {STACK} is in {status}; deleting it before creating it again")
        cfn.delete_stack(StackName=STACK)
        wait(cfn, started)
        status = None
    common = dict(StackName=STACK, TemplateURL=template_url, Parameters=parameters, Capabilities=CAPABILITIES)
    if status is None:
        say(f"creating stack {STACK}")
        cfn.create_stack(**common)
    else:
        say(f"updating stack {STACK} (was {status})")
        try:
            cfn.update_stack(**common)
        except botocore.exceptions.ClientError as error:
            if "No updates are to be performed" in str(error):
                say("no changes")
                return
            raise
    status = wait(cfn, started)
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        report_failure(cfn, status)
    say(f"stack {STACK}: {status} in {time.time() - started:.0f} s")


def resolve(value, template: dict, parameters: list):
    """`value` with each `Ref` to a template parameter replaced by the
    parameter's value (a list for a CommaDelimitedList)."""
    if isinstance(value, list):
        return [resolve(v, template, parameters) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in template.get("Parameters", {}):
            declared = template["Parameters"][value["Ref"]]
            given = {p["ParameterKey"]: p["ParameterValue"] for p in parameters}
            raw = given.get(value["Ref"], declared.get("Default", ""))
            return raw.split(",") if declared.get("Type") == "CommaDelimitedList" else raw
        return {k: resolve(v, template, parameters) for k, v in value.items()}
    return value


def fill_emulator_gaps(template: dict, parameters: list, clients) -> None:
    """Applies what the emulator's CloudFormation accepts but does not
    provision as the template declares it (on AWS, CloudFormation does this
    itself):
    - a table's time to live and point-in-time recovery, which it ignores;
    - an SQS event source's numeric settings, which it stores as the strings
      that `Ref` of a Number parameter yields, so that its poller fails
      comparing them; the Lambda API stores them as numbers;
    - an HTTP API's CORS configuration, which it stores under the template's
      key names where its data plane looks for the API's, so that every
      preflight is refused; UpdateApi stores it as the data plane reads it."""
    cfn, dynamodb, lambda_ = clients("cloudformation"), clients("dynamodb"), clients("lambda")
    resources = cfn.describe_stack_resources(StackName=STACK)["StackResources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    for r in resources:
        if r["ResourceType"] != "AWS::Lambda::EventSourceMapping":
            continue
        mapping = lambda_.get_event_source_mapping(UUID=r["PhysicalResourceId"])
        update = {"UUID": r["PhysicalResourceId"], "BatchSize": int(mapping.get("BatchSize", 10))}
        concurrency = (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if concurrency is not None:
            update["ScalingConfig"] = {"MaximumConcurrency": int(concurrency)}
        lambda_.update_event_source_mapping(**update)
    for logical_id, resource in template["Resources"].items():
        cors = resource.get("Properties", {}).get("CorsConfiguration")
        if resource.get("Type") == "AWS::ApiGatewayV2::Api" and cors and logical_id in physical:
            clients("apigatewayv2").update_api(
                ApiId=physical[logical_id], CorsConfiguration=resolve(cors, template, parameters)
            )
        if resource.get("Type") != "AWS::DynamoDB::Table" or logical_id not in physical:
            continue
        props = resource.get("Properties", {})
        table = physical[logical_id]
        ttl = props.get("TimeToLiveSpecification")
        current = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if ttl and ttl.get("Enabled") and current.get("TimeToLiveStatus") != "ENABLED":
            dynamodb.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        pitr = props.get("PointInTimeRecoverySpecification", {})
        if pitr.get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(
                TableName=table,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )


def verify_sender(sesv2, address: str) -> None:
    """Creates the From identity; the emulator verifies it at once (on AWS,
    verifying a domain or address is a step of its own: see the README)."""
    known = {i["IdentityName"] for i in sesv2.list_email_identities().get("EmailIdentities", [])}
    if address not in known:
        sesv2.create_email_identity(EmailIdentity=address)
    say(f"SES identity {address} verified")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binaries", required=True, type=Path, help="folder with the request, mailer and verifier binaries")
    parser.add_argument("--param", action="append", default=[], help="a template parameter, Key=Value")
    parser.add_argument("--stack-name", default=DEFAULT_STACK, help="the stack to create or update")
    args = parser.parse_args()
    global STACK
    STACK = args.stack_name

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    session = boto3.session.Session(region_name=os.environ.get("AWS_REGION", "us-east-1"))
    client = lambda name: session.client(name, endpoint_url=endpoint)  # noqa: E731
    cfn = client("cloudformation")

    template = yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)
    s3 = client("s3")
    package(template, args.binaries, s3)
    parameters = []
    for pair in args.param:
        key, _, value = pair.partition("=")
        parameters.append({"ParameterKey": key, "ParameterValue": value})
    deploy(cfn, upload_template(json.dumps(template), s3, endpoint), parameters)
    fill_emulator_gaps(template, parameters, client)

    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=STACK)["Stacks"][0].get("Outputs", [])}
    from_address = next((p["ParameterValue"] for p in parameters if p["ParameterKey"] == "FromAddress"), None)
    if from_address:
        verify_sender(client("sesv2"), from_address)
    if STACK == DEFAULT_STACK:
        STATE.mkdir(exist_ok=True)
        (STATE / "outputs.json").write_text(json.dumps(outputs, indent=2) + "\n")
    width = max(map(len, outputs), default=0)
    for key in sorted(outputs):
        print(f"{key:<{width}}  {outputs[key]}")


if __name__ == "__main__":
    main()
