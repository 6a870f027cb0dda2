# The project's commands. `make test` is what CI runs (see .ci/run).
SHELL := bash
.DEFAULT_GOAL := help

# The local emulator and its dummy credentials; a real endpoint may be set instead.
export AWS_ENDPOINT_URL ?= http://127.0.0.1:4566
export AWS_REGION ?= us-east-1
export AWS_DEFAULT_REGION ?= $(AWS_REGION)
export AWS_ACCESS_KEY_ID ?= test
export AWS_SECRET_ACCESS_KEY ?= test

# One build profile for the functions and the tests (see Cargo.toml).
PROFILE := local
BINARIES := $(or $(CARGO_TARGET_DIR),target)/$(PROFILE)

# The stack on the emulator: host binaries, the emulator's endpoint for the
# functions, no event archive (the emulator has none), the identity pool on,
# retries after 1 s (not 30), 50 mails/s (not SES's sandbox 14: the emulator
# has no quota, and the load test's 2,000 links must go out within their
# 90 s), one link per address per 5 s (not 30) and
# links that live 90 s (not 15 min) so that tests need not wait long, 100000
# requests per IP per 15 min (not 30: the emulator's HTTP API gives every
# request the source IP 127.0.0.1, and the load test sends 2,000), and the
# demo page's origin (and the apps the browser tests build under /apps/) as
# the redirect allow-list, and 100000 new accounts per
# hour (not 500: the load test makes 2,000), and SES's events taken from the
# source magiclink.test.ses (the emulator's SES publishes none, and PutEvents
# refuses aws.* sources, so the tests put SES-shaped events with that one),
# and passkeys for the demo page's origin (relying party localhost).
DEV_ORIGIN ?= http://localhost:8000
LINK_LIFETIME ?= 90
FROM_ADDRESS ?= no-reply@magiclink.test
STACK_PARAMS := \
	Architecture=x86_64 \
	EndpointOverride=$(AWS_ENDPOINT_URL) \
	EnableEventArchive=false \
	EnableIdentityPool=true \
	MailRetryBaseSeconds=1 \
	SesMaxSendRate=50 \
	RateEmailBurstSeconds=5 \
	LinkLifetimeSeconds=$(LINK_LIFETIME) \
	RateIpMax=100000 \
	MaxAccountsPerHour=100000 \
	FromAddress=$(FROM_ADDRESS) \
	AllowedRedirectUris=$(DEV_ORIGIN)/,$(DEV_ORIGIN)/apps/* \
	DefaultRedirectUri=$(DEV_ORIGIN)/ \
	AllowedOrigins=$(DEV_ORIGIN) \
	SesEventSource=magiclink.test.ses \
	PasskeyRelyingPartyId=localhost \
	PasskeyOrigins=$(DEV_ORIGIN)

.PHONY: help tools emulator lint functions up demo test e2e fuzz fuzz-tools soak soak-tools bench bench-core package package-tools down dev

help:
	@echo "make test   start the emulator if needed, deploy the stack, then fmt, clippy and every test"
	@echo "make up     start the emulator if needed, build the functions and deploy the stack"
	@echo "make soak   the long checks (about 15 min): a killed mailer, load, fuzzing, schemathesis"
	@echo "make bench  measure the stack on the emulator; report in bench/report.md"
	@echo "make bench-core  the in-process benchmarks (criterion)"
	@echo "make package  sam validate --lint and sam build, as a user ships it; zip sizes"
	@echo "make down   reset and stop the emulator"
	@echo "make dev    make up, then serve the demo page on http://localhost:8000 and follow the functions' logs"

tools:
	@localstack/install.sh

emulator:
	@localstack/start.sh

lint: tools
	.venv/bin/cfn-lint infra/template.yaml
	.venv/bin/python infra/check_policies.py
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# The functions and the test targets in one build: the tests' dev-dependencies
# turn on features of crates low in the graph (tokio's test-util, serde_json's
# float_roundtrip, regex's unicode tables), and cargo gives a crate one set of
# features per build, so building the binaries alone would compile the SDK
# stack a second time for `cargo test`. Built together, `cargo test` finds
# everything fresh.
functions:
	cargo build --workspace --bins --tests --locked --profile $(PROFILE)

up: emulator functions
	@.venv/bin/python localstack/deploy.py --binaries $(BINARIES) $(addprefix --param ,$(STACK_PARAMS))

test: lint up
	cargo test --workspace --locked --profile $(PROFILE)
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5

# The web packages' tests: their unit tests in Node (beside each package),
# then the browser tests (clients/e2e): the packed @magiclink/web and
# @magiclink/react installed into fresh apps, type-checked and bundled with
# aws-amplify or react, and the demo page, in headless Chromium, served by
# the dev server (on DEV_ORIGIN, where the links point) for the length of
# the run.
e2e: demo
	cd clients/web && node --test
	cd clients/react && node --test
	@.venv/bin/python localstack/dev.py >.emulator/dev-server.log 2>&1 & server=$$!; \
	  trap 'kill $$server 2>/dev/null' EXIT; \
	  for _ in $$(seq 1 50); do curl -fs $(DEV_ORIGIN)/config.json >/dev/null && break; sleep 0.2; done; \
	  cd clients/e2e && DEMO_URL=$(DEV_ORIGIN)/ node --test

# The long checks: the soak tests (a mailer killed mid-batch; 2,000 requests
# then 500 sign-ins) on a stack whose links live 15 min, as on AWS, so that a
# backlog of 2,000 mails does not outlive them; then each fuzz target for
# FUZZ_SECONDS; then schemathesis against the OpenAPI document and the API.
# Like make bench, it starts from a reset emulator: MiniStack finds a user by
# scanning the pool, so lookups slow down as tests add users (1.5 s each
# with some 10,000).
FUZZ_SECONDS ?= 60
SCHEMATHESIS_SECONDS ?= 120
soak: lint soak-tools
	@$(MAKE) --no-print-directory down
	@$(MAKE) --no-print-directory up LINK_LIFETIME=900
	cargo test --locked --profile $(PROFILE) -p magiclink-tests --test stack_soak -- --ignored --test-threads=1 --nocapture
	@$(MAKE) --no-print-directory fuzz
	soak/schemathesis.sh $(SCHEMATHESIS_SECONDS)

# Every fuzz target, built (instrumented for coverage; no sanitizer: the code
# under test is safe Rust) into the shared target directory, then run from
# its seeds and corpus for FUZZ_SECONDS. `make test` runs each for a few
# seconds, so that a change elsewhere (a configuration that grew, say) can
# no longer break a target unseen; `make soak` runs each for a minute.
FUZZ_TARGETS := token request_body passkey_answer
FUZZ_TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))/fuzz
fuzz: fuzz-tools
	cd fuzz && for target in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$target && \
	  RUSTC_BOOTSTRAP=1 ../.tools/bin/cargo-fuzz run --release --sanitizer none \
	    --target-dir $(FUZZ_TARGET_DIR) $$target corpus/$$target seeds/$$target \
	    -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

# cargo-fuzz (in .tools), pinned. It needs nightly flags; RUSTC_BOOTSTRAP=1
# lets the stable toolchain take them.
fuzz-tools:
	@test -x .tools/bin/cargo-fuzz || cargo install --locked --root .tools cargo-fuzz --version 0.13.2

# schemathesis (in .venv-soak), pinned.
soak-tools: fuzz-tools
	@test -x .venv-soak/bin/schemathesis || { python3 -m venv .venv-soak && .venv-soak/bin/pip install --quiet -r soak/requirements.txt; }

# The stack benchmark: request, mail and sign-in paths beside the emulator's
# floor and the older recipe's request (bench/stack.py), written to
# bench/report.md and bench/report.json. Links live 15 min, as on AWS, so that
# a burst of 1,000 is mailed before it expires.
bench: tools
	@clients/install.sh
	@$(MAKE) --no-print-directory down
	@$(MAKE) --no-print-directory up LINK_LIFETIME=900
	.venv/bin/python bench/stack.py --binaries $(BINARIES)

# The in-process benchmarks (criterion): token, e-mail parsing, mail rendering.
bench-core:
	cargo bench --locked -p magiclink-bench --bench core

# Ship as a user would (README, "Deploying to AWS"): the pinned SAM CLI,
# cargo-lambda and Zig in .venv-package, then `sam validate --lint` and
# `sam build` of the template, and each function's zip size. x86_64 here:
# rustup cannot download the arm64 standard library on this machine.
PACKAGE_ARCH ?= x86_64
package: export SAM_CLI_TELEMETRY = 0
package: package-tools
	PATH="$(CURDIR)/.venv-package/bin:$$PATH" .venv-package/bin/sam validate --lint --template infra/template.yaml
	PATH="$(CURDIR)/.venv-package/bin:$$PATH" .venv-package/bin/sam build --template infra/template.yaml \
	  --beta-features --build-dir .aws-sam/build --parameter-overrides Architecture=$(PACKAGE_ARCH)
	.venv-package/bin/python infra/package_report.py .aws-sam/build

package-tools:
	@test -f .venv-package/.stamp && cmp -s .venv-package/.stamp infra/package-requirements.txt || { \
	  python3 -m venv .venv-package && \
	  .venv-package/bin/pip install --quiet --disable-pip-version-check -r infra/package-requirements.txt && \
	  cp infra/package-requirements.txt .venv-package/.stamp; }

down:
	@localstack/stop.sh

dev: up demo
	@.venv/bin/python localstack/dev.py

# The demo page (clients/demo: <SignIn /> from @magiclink/react), bundled by
# esbuild from the packages' sources into .emulator/demo, which the dev
# server serves.
demo:
	@clients/install.sh
	node clients/demo/build.mjs
