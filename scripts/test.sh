#!/usr/bin/env bash
# Runs every test of the project from a fresh clone. It installs what it
# needs (Go modules and the linter, MLflow in a Python virtual environment
# for the integration test, npm packages, Debian's Chromium for the browser
# check), checks the backend's formatting, vets, lints and tests it
# with the race detector, then runs the frontend's checks. This is the test
# command of the README.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "Go modules"
go mod download
go mod verify

step "gofmt"
unformatted=$(gofmt -l pkg test Magefile.go)
if [ -n "$unformatted" ]; then
  echo "these files need gofmt:" >&2
  echo "$unformatted" >&2
  exit 1
fi

step "go vet"
go vet ./pkg/... ./test/...  # not ./...: it would reach the Go files npm packages ship

step "golangci-lint"
GOBIN="$PWD/.bin" go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
.bin/golangci-lint run ./pkg/... ./test/...

step "Python environment for the MLflow integration test"
# test/mlflow runs a real tracking server from .venv; [auth] brings the
# basic-auth app. 3.18.0's mlflow-tracing is not on the index yet.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check 'mlflow[auth]==3.17.2'

step "go test -race"
go test -race -count=1 ./pkg/... ./test/...

step "frontend"
bash scripts/test-frontend.sh
