package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/coalitiondev/coalition/bench"
)

const benchSummary = `Measures Coalition on this machine against the same real parts it runs on:
an in-process nats-server with JetStream on file storage, the producer
library, the consumer and a ClickHouse server (a private clickhouse-server
unless --clickhouse-addr). Prints a table (and the same figures as JSON with
--json): end-to-end and drain throughput, publish-to-queryable latency at
fixed offered rates, memory, the status of a large coalition, and the raw
ceilings of JetStream and ClickHouse with each figure's ratio to them.
docs/performance.md explains the figures.`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		cfg                           bench.Config
		rates, only, chAddrs, jsonOut string
		cpuProfile, dir, logLevel     string
		rateSeconds                   float64
		quiet                         bool
	)
	f := newFlags("bench", benchSummary, stderr, nil)
	f.int(&cfg.Events, "events", "", 200_000, "events per throughput phase (end to end, drain, ceilings)")
	f.int(&cfg.Batch, "batch", "", 0, "consumer batch size; 0 keeps the consumer's default")
	f.str(&rates, "rates", "", "1000,30000", "offered rates of the latency phase, events/s, comma-separated")
	var procs string
	f.str(&procs, "processes", "", "1,2,4", "numbers of coalition consume processes of the scale phase, comma-separated")
	f.Float64Var(&rateSeconds, "rate-seconds", 10, "how long each offered rate is held")
	f.int(&cfg.StatusEvents, "status-events", "", 10_000_000, "stored events of the status phase; 0 skips it")
	f.int(&cfg.Countries, "countries", "", 40, "countries the generated events involve")
	f.str(&only, "only", "", "", "run only these phases, comma-separated: "+strings.Join(bench.Phases, ", "))
	f.str(&chAddrs, "clickhouse-addr", "CLICKHOUSE_ADDR", "", "ClickHouse native host:port of a server to use (databases bench_* are created and dropped); empty starts a private clickhouse-server")
	f.str(&cfg.User, "clickhouse-user", "CLICKHOUSE_USER", "default", "ClickHouse user")
	secretFlag(f, &cfg.Password, "clickhouse-password", "CLICKHOUSE_PASSWORD", "ClickHouse password")
	f.str(&dir, "dir", "", "", "working directory for JetStream and ClickHouse files; default a temporary directory, removed after")
	f.str(&jsonOut, "json", "", "", "also write the report as JSON to this file (- for stdout, after the table)")
	f.str(&cpuProfile, "cpuprofile", "", "", "write a CPU profile of the whole run to this file (go tool pprof -top coalition FILE)")
	f.str(&logLevel, "log-level", "COALITION_LOG_LEVEL", "warn", "log level of the parts under test")
	f.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	var memLimit string
	f.str(&memLimit, "memory-limit", "COALITION_MEMORY_LIMIT", defaultMemoryLimit, "Go runtime soft memory limit, as serve sets it; 0: none")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := setMemoryLimit(memLimit, f.isSet("memory-limit")); err != nil {
		return err
	}
	for _, s := range splitList(rates) {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return usageError{fmt.Errorf("--rates: %q is not a positive number of events per second", s)}
		}
		cfg.Rates = append(cfg.Rates, n)
	}
	cfg.RateDuration = time.Duration(rateSeconds * float64(time.Second))
	if exe, err := os.Executable(); err == nil {
		cfg.ConsumeCommand = []string{exe, "consume"}
	}
	for _, s := range splitList(procs) {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return usageError{fmt.Errorf("--processes: %q is not a positive number", s)}
		}
		cfg.Processes = append(cfg.Processes, n)
	}
	cfg.Only = splitList(only)
	cfg.ClickHouse = splitList(chAddrs)
	cfg.Dir = dir
	common := commonConfig{LogLevel: logLevel, LogFormat: "text"}
	log, err := common.logger(stderr)
	if err != nil {
		return err
	}
	cfg.Logger = log
	if !quiet {
		cfg.Progress = stderr
	}
	if cpuProfile != "" {
		pf, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, cfg)
	if rep != nil {
		rep.WriteTable(stdout)
		if jsonOut == "-" {
			fmt.Fprintln(stdout)
			rep.WriteJSON(stdout)
		} else if jsonOut != "" {
			jf, jerr := os.Create(jsonOut)
			if jerr != nil {
				return jerr
			}
			defer jf.Close()
			if jerr := rep.WriteJSON(jf); jerr != nil {
				return jerr
			}
		}
	}
	return err
}
