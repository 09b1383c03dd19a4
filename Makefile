# Coalition. `make demo` runs the all-in-one demo, `make test` the whole test
# suite; both install what they need first (scripts/deps.sh).
CHDB_LIB_PATH ?= $(CURDIR)/.deps/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so
export CHDB_LIB_PATH
GO ?= go
FUZZTIME ?= 100000x

.PHONY: demo test vet build deps chaos fuzz bench

demo:
	scripts/deps.sh
	$(GO) run ./cmd/coalition demo

test:
	scripts/deps.sh --chdb --compose --browser --cluster
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	scripts/fuzz.sh $(FUZZTIME)

vet:
	$(GO) vet ./...

build:
	$(GO) build -o coalition ./cmd/coalition

deps:
	scripts/deps.sh --chdb --compose --browser --cluster

# The fault suite in full (each scenario repeated, 30 s ClickHouse outage);
# its short form runs with `make test`. Figures: docs/reliability.md.
chaos:
	scripts/deps.sh
	CHAOS_FULL=1 $(GO) test -count=1 -v -timeout 60m ./chaos | tee chaos.log | grep -v 'level=' | sed -n '/^Fault suite/,$$p'

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
