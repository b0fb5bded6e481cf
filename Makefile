# crowdfix — the two commands: `make dev` runs the whole platform locally, `make test` runs every test.
.PHONY: dev test setup unit bench-cold-start bench-matching clean bench-notify-push fuzz-api bench-web

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


# schemathesis against the served OpenAPI document, full load (>= 1,000 requests; `make test` runs a smaller one)
fuzz-api: setup
	CROWDFIX_FUZZ_EXAMPLES=40 CROWDFIX_FUZZ_MIN_REQUESTS=1000 .venv/bin/python -m pytest tests/integration/test_openapi_fuzz.py -s

bench-web: setup
	.venv/bin/python bench/web.py

clean:
	rm -rf .venv node_modules .local test-artifacts web/node_modules web/dist
