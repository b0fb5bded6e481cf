# crowdfix — the two commands: `make dev` runs the whole platform locally, `make test` runs every test.
.PHONY: dev test setup unit bench-cold-start bench-web clean

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

bench-web: setup
	.venv/bin/python bench/web.py

clean:
	rm -rf .venv node_modules .local test-artifacts web/node_modules web/dist
