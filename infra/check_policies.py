"""Least privilege, checked: what each function's role may do in the template.

Run by `make lint` (and so by `make test`). cfn-lint checks that the template
is valid; this checks that it grants no more than the functions need:
- the request role writes only rate-limit counters and challenges, reads
  only challenges and users' watermarks (with GetItem, never a query or a
  scan: the status endpoint and the approval read one challenge), and may
  only test (ConditionCheck) a user's watermark;
- the mailer's Cognito permissions name this stack's user pool, not every pool;
- the admin role writes only rate counters, challenges, watermarks and
  revocations, deletes only passkeys items, reads nothing, may only look a
  user up and sign them out in this stack's pool; and every admin route is
  IAM-authorized (the emulator does not check SigV4 signatures, so this
  check is what says the routes are closed);
- the feedback function reads nothing: it updates challenges and puts
  suppressions, each limited to its keys and to the attributes it owns (it
  can never write a challenge's status, address, binding or approval);
- the verifier has no Cognito permission at all, and its only KMS use is
  deriving the fingerprint and code keys (its public keys come with its
  configuration); only the mailer and the verifier may derive the code key;
- only the request function (the approval endpoint) signs approvals, only
  the mailer signs links;
- the app client may not write `email`, and an address changes only once the
  new one is verified.
Exits non-zero, naming each broken promise.
"""

import sys

from cfnlint.decode import decode

template, errors = decode("infra/template.yaml")
if errors:
    sys.exit(f"infra/template.yaml does not parse: {errors}")
resources = template["Resources"]
broken = []


def statements(role_or_policy):
    props = resources.get(role_or_policy, {}).get("Properties", {})
    docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
    if "PolicyDocument" in props:
        docs.append(props["PolicyDocument"])
    return [s for d in docs for s in d["Statement"]]


def actions(statement):
    a = statement["Action"]
    return [a] if isinstance(a, str) else list(a)


def check(promise, held):
    if not held:
        broken.append(promise)


request = statements("RequestRole")
dynamo = [s for s in request if any(a.startswith("dynamodb:") for a in actions(s))]
check(
    "the request role neither queries nor scans",
    not any(a in ("dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem")
            for s in dynamo for a in actions(s)),
)
for s in dynamo:
    keys = s.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    check(f"the request role's {actions(s)} is limited by dynamodb:LeadingKeys", bool(keys))
    if "dynamodb:ConditionCheckItem" in actions(s):
        check("the request role only tests user watermarks", keys == ["user#*"])
    elif "dynamodb:GetItem" in actions(s):
        check("the request role reads only challenges and watermarks, nothing else",
              actions(s) == ["dynamodb:GetItem"] and keys == ["challenge#*", "user#*"])
    else:
        check("the request role writes only counters and challenges", keys == ["rate#*", "challenge#*"])

feedback = [s for s in statements("FeedbackRole") if any(a.startswith("dynamodb:") for a in actions(s))]
check("the feedback role has its table permissions", bool(feedback))
# What a challenge's status, address, binding or approval is made of: an
# attribute the feedback function never needs.
CHALLENGE_IDENTITY = {"status", "email", "binding", "approvalKey", "approvalProof", "expiresAt"}
for s in feedback:
    keys = s.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    check(
        "the feedback role only updates challenges and puts suppressions",
        (actions(s), keys) in ((["dynamodb:UpdateItem"], ["challenge#*"]),
                               (["dynamodb:PutItem"], ["suppressed#*"])),
    )
    attributes = s.get("Condition", {}).get("ForAllValues:StringEquals", {}).get("dynamodb:Attributes")
    check(f"the feedback role's {actions(s)} names the attributes it may write", bool(attributes))
    check(
        "the feedback role cannot write a challenge's status, address, binding or approval",
        not CHALLENGE_IDENTITY & set(attributes or []),
    )

passkeys = [s for s in statements("PasskeysRole") if any(a.startswith("dynamodb:") for a in actions(s))]
check("the passkeys role has its table permissions", bool(passkeys))
for s in passkeys:
    keys = s.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    check(
        "the passkeys role touches only passkey items and its rate counters",
        (actions(s), keys) in ((["dynamodb:GetItem"], ["passkeys#*", "passkey-registration#*"]),
                               (["dynamodb:PutItem"], ["passkey-registration#*", "passkey-challenge#*"]),
                               (["dynamodb:DeleteItem"], ["passkey-registration#*"]),
                               (["dynamodb:UpdateItem"], ["passkeys#*", "rate#*"]),
                               (["dynamodb:PutItem", "dynamodb:UpdateItem"], ["user#*", "revocation#*"])),
    )
check(
    "the passkeys role has no Cognito permission (GetUser is the token's own)",
    not any(a.startswith("cognito-idp:") for s in statements("PasskeysRole") for a in actions(s)),
)
verifier_deletes = [s for s in statements("VerifierRole") if "dynamodb:DeleteItem" in actions(s)]
check(
    "the verifier deletes only usernameless passkey challenges",
    all(s.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
        == ["passkey-challenge#*"] for s in verifier_deletes),
)

# The stack's pool: its own, or the one UserPoolId names.
THIS_POOL = {"Fn::If": ["CreatesPool", {"Fn::GetAtt": ["UserPool", "Arn"]}, {
    "Fn::Sub": "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/${UserPoolId}"}]}
pool_policy = statements("KeysPoolPolicy")
check(
    "with an existing pool, the keys role may only read and update that pool",
    len(pool_policy) == 1
    and sorted(actions(pool_policy[0])) == ["cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool"]
    and pool_policy[0]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/${UserPoolId}"}
    and resources["KeysPoolPolicy"].get("Condition") == "UsesExistingPool",
)

cognito = [s for name in ("MailerRole", "MailerDirectoryPolicy") for s in statements(name)
           if any(a.startswith("cognito-idp:") for a in actions(s))]
check("the mailer has its Cognito permissions", bool(cognito))
for s in cognito:
    check("the mailer's Cognito permissions name this stack's pool",
          s["Resource"] == THIS_POOL)

admin = statements("AdminRole")
admin_dynamo = [s for s in admin if any(a.startswith("dynamodb:") for a in actions(s))]
check("the admin role has its table permissions", bool(admin_dynamo))
for s in admin_dynamo:
    keys = s.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    check(
        "the admin role writes only counters, challenges, watermarks and revocations, "
        "deletes only passkeys, and reads nothing",
        (actions(s), keys) in (
            (["dynamodb:PutItem", "dynamodb:UpdateItem"],
             ["rate#*", "challenge#*", "user#*", "revocation#*"]),
            (["dynamodb:DeleteItem"], ["passkeys#*"])),
    )
admin_cognito = [s for s in statements("AdminDirectoryPolicy") if any(a.startswith("cognito-idp:") for a in actions(s))]
check(
    "the admin role may only look up a user and end their sessions, in this stack's pool",
    len(admin_cognito) == 1
    and sorted(actions(admin_cognito[0])) == ["cognito-idp:AdminGetUser", "cognito-idp:AdminUserGlobalSignOut"]
    and admin_cognito[0]["Resource"] == THIS_POOL,
)
admin_routes = {r["Properties"]["RouteKey"]: r["Properties"] for r in resources.values()
                if r.get("Type") == "AWS::ApiGatewayV2::Route"
                and r["Properties"].get("Target") == {"Fn::Sub": "integrations/${AdminIntegration}"}}
check(
    "every admin route (and only these) is IAM-authorized",
    set(admin_routes) == {"POST /v1/invitations", "DELETE /v1/invitations/{challengeId}",
                          "POST /v1/users/revocations"}
    and all(p.get("AuthorizationType") == "AWS_IAM" for p in admin_routes.values()),
)
check(
    "no other route is IAM-authorized",
    all(r["Properties"].get("AuthorizationType") != "AWS_IAM"
        for r in resources.values() if r.get("Type") == "AWS::ApiGatewayV2::Route"
        and r["Properties"]["RouteKey"] not in admin_routes),
)

check(
    "the verifier has no Cognito permission",
    not any(a.startswith("cognito-idp:") for s in statements("VerifierRole") for a in actions(s)),
)

def granted_to(role, key=None):
    """The KMS actions that the keys' own policies (or `key`'s alone) grant
    `role`."""
    role_arn = {"Fn::GetAtt": [role, "Arn"]}
    granted = []
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::KMS::Key" or key not in (None, name):
            continue
        for s in resource["Properties"]["KeyPolicy"]["Statement"]:
            principals = s.get("Principal", {}).get("AWS", [])
            principals = principals if isinstance(principals, list) else [principals]
            if role_arn in principals:
                granted += actions(s)
    return granted


check(
    "the verifier's only KMS use is deriving keys",
    set(granted_to("VerifierRole")) == {"kms:GenerateMac"}
    and not any(a.startswith("kms:") for s in statements("VerifierRole") for a in actions(s)),
)
check(
    "only the mailer and the verifier may derive the code key",
    all(("kms:GenerateMac" in granted_to(role, "CodeKey")) == (role in ("MailerRole", "VerifierRole"))
        for role in ("RequestRole", "MailerRole", "VerifierRole", "RelayRole", "KeysRole",
                     "FeedbackRole", "PasskeysRole", "AdminRole")),
)
check(
    "only the approval endpoint (the request function) signs approvals",
    all(("kms:Sign" in granted_to(role, "ApprovalKey")) == (role == "RequestRole")
        for role in ("RequestRole", "MailerRole", "VerifierRole", "RelayRole", "KeysRole",
                     "FeedbackRole", "PasskeysRole", "AdminRole")),
)
check(
    "only the mailer signs links",
    all(("kms:Sign" in granted_to(role, "SigningKey")) == (role == "MailerRole")
        for role in ("RequestRole", "MailerRole", "VerifierRole", "RelayRole", "KeysRole",
                     "FeedbackRole", "PasskeysRole", "AdminRole")),
)
check(
    "only the keys resource reads public keys",
    all("kms:GetPublicKey" not in granted_to(role) for role in
        ("RequestRole", "MailerRole", "VerifierRole", "RelayRole", "FeedbackRole",
         "PasskeysRole")),
)

client = resources["UserPoolClient"]["Properties"]
check("the app client declares what it may write", "WriteAttributes" in client)
check("the app client may not write email", "email" not in client.get("WriteAttributes", ["email"]))
pool = resources["UserPool"]["Properties"]
check(
    "an address changes only once the new one is verified",
    pool.get("UserAttributeUpdateSettings", {}).get("AttributesRequireVerificationBeforeUpdate") == ["email"],
)

if broken:
    sys.exit("infra/template.yaml grants too much:\n" + "\n".join(f"- {b}" for b in broken))
print("infra/template.yaml: least privilege as promised")
