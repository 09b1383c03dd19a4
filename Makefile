# Coalition. `make demo` runs the all-in-one demo (scripts/demo.sh), `make
# test` the whole test suite (scripts/test.sh); both install what they need
# first (scripts/deps.sh). The scripts need no make.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
CHDB_LIB_PATH ?= $(CURDIR)/.deps/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so
export CHDB_LIB_PATH
GO ?= go
FUZZTIME ?= 100000x
export FUZZTIME

.PHONY: demo test vet build deps chaos fuzz bench

demo:
	scripts/demo.sh

test:
	scripts/test.sh

vet:
	$(GO) vet ./...

build:
	$(GO) build -o coalition ./cmd/coalition

deps:
	scripts/deps.sh --chdb --compose --browser --cluster

# The fault suite in full (each scenario repeated, 30 s ClickHouse outage);
# its short form runs with `make test`. Figures: docs/reliability.md.
# Exits non-zero when any scenario fails, and then shows the failures.
chaos:
	scripts/deps.sh
	rc=0; CHAOS_FULL=1 $(GO) test -count=1 -v -timeout 60m ./chaos > chaos.log 2>&1 || rc=$$?; \
	grep -E -- '^ *--- FAIL|^FAIL|^panic:' chaos.log || true; \
	if grep -q '^Fault suite' chaos.log; then sed -n '/^Fault suite/,$$p' chaos.log | grep -v 'level='; \
	else echo "no table: the suite stopped early; the end of chaos.log:"; tail -n 40 chaos.log; fi; \
	exit $$rc

# Every fuzz target for FUZZTIME each (scripts/fuzz.sh); make test runs them
# briefly too.
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

# The benchmark (docs/performance.md): throughput, latency, memory and the
# status of a 10-million-event coalition, with the raw ceilings of JetStream
# and ClickHouse measured in the same run. Takes about five minutes; the
# table goes to the terminal and bench.json. BENCHFLAGS adds flags, e.g.
# BENCHFLAGS="--status-events 0" to leave out the large coalition.
bench:
	scripts/deps.sh
	$(GO) build -o coalition ./cmd/coalition
	./coalition bench --json bench.json --cpuprofile bench.cpu.prof $(BENCHFLAGS)
	$(GO) tool pprof -top -nodecount=25 coalition bench.cpu.prof 2>/dev/null | sed -n '1,35p'
