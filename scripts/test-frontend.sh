#!/usr/bin/env bash
# Installs what the frontend needs and runs all of its checks: typecheck,
# lint, formatting, the jest tests, the production build and the browser
# check of the editors in headless Chromium. scripts/test.sh calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund

if [ ! -x /usr/bin/chromium ]; then
  step "Debian's chromium, for the browser check"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation
fi

step "typecheck"
npm run --silent typecheck

step "lint"
npm run --silent lint

step "prettier"
npm run --silent format:check

step "jest"
npm run --silent test:ci

step "webpack build"
npm run --silent build

step "browser check"
npm run --silent browser-check
