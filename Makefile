# The project's commands. `make test` is what CI runs (see .ci/run).
SHELL := bash
.DEFAULT_GOAL := help

# The local emulator and its dummy credentials; a real endpoint may be set instead.
export AWS_ENDPOINT_URL ?= http://127.0.0.1:4566
export AWS_REGION ?= us-east-1
export AWS_DEFAULT_REGION ?= $(AWS_REGION)
export AWS_ACCESS_KEY_ID ?= test
export AWS_SECRET_ACCESS_KEY ?= test

.PHONY: help emulator lint test down dev

help:
	@echo "make test   start the emulator if needed, then fmt, clippy and every test"
	@echo "make down   reset and stop the emulator"
	@echo "make dev    run it all locally with a page to try it (comes with issue #3)"

emulator:
	@localstack/start.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

test: emulator lint
	cargo test --workspace --locked

down:
	@localstack/stop.sh

dev:
	@echo "make dev arrives with the infrastructure issue (#3): it needs the deployed stack." >&2
	@exit 2
