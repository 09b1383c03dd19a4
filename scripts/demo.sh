#!/usr/bin/env bash
# The all-in-one demo, as the README's first command runs it: installs the
# ClickHouse server package where it is missing (scripts/deps.sh), then runs
# `coalition demo` (embedded NATS, a private ClickHouse, the Paris 2015
# scenario, the dashboard). Arguments go to `coalition demo`, e.g. --once.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
scripts/deps.sh
exec go run ./cmd/coalition demo "$@"
