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
# retries after 1 s (not 30), one link per address per 5 s (not 30) and
# links that live 90 s (not 15 min) so that tests need not wait long, 1000
# requests per IP per 15 min (not 30: every test comes from 127.0.0.1), and
# the demo page's origin as the redirect allow-list.
DEV_ORIGIN ?= http://localhost:8000
FROM_ADDRESS ?= no-reply@magiclink.test
STACK_PARAMS := \
	Architecture=x86_64 \
	EndpointOverride=$(AWS_ENDPOINT_URL) \
	EnableEventArchive=false \
	EnableIdentityPool=true \
	MailRetryBaseSeconds=1 \
	RateEmailBurstSeconds=5 \
	LinkLifetimeSeconds=90 \
	RateIpMax=1000 \
	FromAddress=$(FROM_ADDRESS) \
	AllowedRedirectUris=$(DEV_ORIGIN)/ \
	DefaultRedirectUri=$(DEV_ORIGIN)/ \
	AllowedOrigins=$(DEV_ORIGIN)

.PHONY: help tools emulator lint functions up test e2e bench-core down dev

help:
	@echo "make test   start the emulator if needed, deploy the stack, then fmt, clippy and every test"
	@echo "make up     start the emulator if needed, build the functions and deploy the stack"
	@echo "make down   reset and stop the emulator"
	@echo "make dev    make up, then serve the demo page on http://localhost:8000 and follow the functions' logs"

tools:
	@localstack/install.sh

emulator:
	@localstack/start.sh

lint: tools
	.venv/bin/cfn-lint infra/template.yaml
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

functions:
	cargo build --workspace --bins --locked --profile $(PROFILE)

up: emulator functions
	@.venv/bin/python localstack/deploy.py --binaries $(BINARIES) $(addprefix --param ,$(STACK_PARAMS))

test: lint up
	cargo test --workspace --locked --profile $(PROFILE)
	@$(MAKE) --no-print-directory e2e

# The browser tests: headless Chromium against the demo page, served by the
# dev server (on DEV_ORIGIN, where the links point) for the length of the run.
e2e:
	@clients/web/e2e/install.sh
	@.venv/bin/python localstack/dev.py >.emulator/dev-server.log 2>&1 & server=$$!; \
	  trap 'kill $$server 2>/dev/null' EXIT; \
	  for _ in $$(seq 1 50); do curl -fs $(DEV_ORIGIN)/config.json >/dev/null && break; sleep 0.2; done; \
	  cd clients/web/e2e && DEMO_URL=$(DEV_ORIGIN)/ node --test

# The in-process benchmarks (criterion): token, e-mail parsing, mail rendering.
bench-core:
	cargo bench --locked -p magiclink-bench --bench core

down:
	@localstack/stop.sh

dev: up
	@.venv/bin/python localstack/dev.py
