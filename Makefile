# crowdfix — the two commands: `make dev` runs the whole platform locally, `make test` runs every test.
# `make chaos`: the fault harness (issue 15), ~5-10 min: bookings under injected faults, then the invariants
.PHONY: chaos load dev test setup unit bench-cold-start bench-matching clean bench-notify-push fuzz-api bench-web bench-journey infra-setup package test-infra bench-cost deploy destroy

setup:
	@bash scripts/bootstrap.sh

dev: setup
	.venv/bin/python -m localdev up

test: setup
	.venv/bin/python -m pytest

unit: setup
	.venv/bin/python -m pytest tests/unit

bench-cold-start: setup
	.venv/bin/python bench/cold_start.py

bench-matching: setup
	.venv/bin/python bench/matching.py $(ARGS)

bench-notify-push: setup
	.venv/bin/python bench/notify_push.py


# schemathesis against the served OpenAPI document, full load: three callers x 25 examples per operation
# (>= 1,000 requests, ~10 min; `make test` runs 4 examples per operation and caller)
fuzz-api: setup
	CROWDFIX_FUZZ_EXAMPLES=25 CROWDFIX_FUZZ_MIN_REQUESTS=1000 .venv/bin/python -m pytest tests/integration/test_openapi_fuzz.py -s

chaos: setup
	.venv/bin/python bench/chaos.py $(ARGS)

# `make load`: 50 concurrent customers for 5 minutes over HTTP (after 1 minute of one user), ~7 min
load: setup
	.venv/bin/python bench/load.py $(ARGS)

bench-web: setup
	.venv/bin/python bench/web.py

bench-journey: setup
	.venv/bin/python bench/journey.py

clean:
	rm -rf .venv node_modules .local test-artifacts web/node_modules web/dist

	rm -rf .venv node_modules .local test-artifacts

# ---- infrastructure (issue 8): aws-cdk-lib is ~430 MB, so it is installed only for these targets
STAGE ?= dev
infra-setup: setup
	@[ "$$(cat .venv/.infrahash 2>/dev/null)" = "$$(sha256sum infra/requirements.txt | cut -c1-16)" ] || \
	  { .venv/bin/pip install -q --disable-pip-version-check -r infra/requirements.txt && \
	    sha256sum infra/requirements.txt | cut -c1-16 > .venv/.infrahash; }
	@# checkov pins boto3 1.35 / packaging 23: its own virtualenv, so the app's tests keep their versions
	@[ "$$(cat .venv/checkov/.hash 2>/dev/null)" = "$$(sha256sum infra/requirements-checkov.txt | cut -c1-16)" ] || \
	  { rm -rf .venv/checkov && .venv/bin/python -m venv .venv/checkov && \
	    .venv/checkov/bin/pip install -q --disable-pip-version-check -r infra/requirements-checkov.txt && \
	    sha256sum infra/requirements-checkov.txt | cut -c1-16 > .venv/checkov/.hash; }

package: infra-setup
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-central-1} JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1 \
	  .venv/bin/python infra/main.py -c stage=$(STAGE) $(if $(DOMAIN),-c domain=$(DOMAIN)) $(if $(ALARM_EMAIL),-c alarm_email=$(ALARM_EMAIL)) $(if $(PER_FUNCTION_ALARMS),-c per_function_alarms=$(PER_FUNCTION_ALARMS))

test-infra: infra-setup
	.venv/bin/python -m pytest tests/infra

bench-cost: setup
	.venv/bin/python bench/cost.py

deploy: infra-setup
	STAGE=$(STAGE) bash scripts/deploy.sh

destroy: infra-setup
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-central-1} CROWDFIX_LINT=0 npx --yes aws-cdk@2 \
	  --app '.venv/bin/python infra/main.py' destroy crowdfix-$(STAGE) -c stage=$(STAGE) --force
