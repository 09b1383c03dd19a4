#!/usr/bin/env bash
# The whole test suite, as the README's second command and CI run it:
# installs what the tests need (scripts/deps.sh), vets, runs every package's
# tests against real NATS (in process) and real ClickHouse (private servers
# the tests start), prints the fault suite's table, and runs every fuzz
# target briefly (FUZZTIME, default 100000x executions each).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export CHDB_LIB_PATH="${CHDB_LIB_PATH:-$PWD/.deps/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so}"

scripts/deps.sh --chdb --compose --browser --cluster
go vet ./...
# The fault suite's short form writes its table here; go test shows a passing
# package's output only with -v, so it is printed after the run.
export CHAOS_TABLE="${CHAOS_TABLE:-$PWD/chaos-table.txt}"
rm -f "$CHAOS_TABLE"
rc=0
go test -count=1 ./... || rc=$?
[ ! -f "$CHAOS_TABLE" ] || cat "$CHAOS_TABLE"
[ "$rc" = 0 ] || exit "$rc"
scripts/fuzz.sh "${FUZZTIME:-100000x}"
