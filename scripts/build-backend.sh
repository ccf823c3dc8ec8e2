#!/usr/bin/env bash
# Builds the backend into dist/ with the mage targets of Magefile.go, for CI
# and Docker images that have Go but not mage: `go run` compiles mage at the
# version go.mod pins. With no argument every platform is built; otherwise
# the arguments are mage targets, for example `build:linux` or `-l`.
set -euo pipefail

cd "$(dirname "$0")/.."
exec go run github.com/magefile/mage -v "$@"
