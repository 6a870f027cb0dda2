#!/usr/bin/env bash
# Runs schemathesis against the OpenAPI document and the deployed API for
# $1 seconds (default 120), signed in as a test user: no 5xx, and every
# answer as the document says.
# Every check runs but two that do not apply here:
# - positive_data_acceptance: a request valid by the schema may still be
#   refused by the deployment's redirect allow-list or the address policy
#   (documented 400s), which no schema can express;
# - unsupported_method: other methods never reach the function; API Gateway
#   answers them (404 for a route it does not have).
# The documented refusals of invalid requests are in soak/schemathesis.toml.
# Its coverage phase is left out: on the approval operation it stops with an
# internal error of hypothesis under Python 3.11 ("AST constructor recursion
# depth mismatch", while describing one of schemathesis's own filters), not
# with a finding; the examples, fuzzing and stateful phases run every check.
set -euo pipefail
cd "$(dirname "$0")/.."
api_id="$(.venv/bin/python - <<'PY'
import boto3
outputs = boto3.client("cloudformation").describe_stacks(StackName="magiclink")["Stacks"][0]["Outputs"]
print(next(o["OutputValue"] for o in outputs if o["OutputKey"] == "ApiId"))
PY
)"
url="${AWS_ENDPOINT_URL%/}/_aws/execute-api/$api_id/\$default"
# The access token of a user signed in by a link, so that the signed-in
# endpoints (/v1/passkeys) are fuzzed past their 401.
token="$(cargo run --quiet --locked --profile local -p magiclink-tests --bin access-token)"
exec .venv-soak/bin/schemathesis --config-file soak/schemathesis.toml run api/openapi.json \
  --url "$url" --header "Authorization: Bearer $token" \
  --checks all --exclude-checks positive_data_acceptance,unsupported_method \
  --phases examples,fuzzing,stateful --max-time "${1:-120}" --workers 2
