// Package bench measures Coalition against the same real parts it runs on
// in production: an in-process nats-server with JetStream on file storage,
// the producer library, the consumer, and a real ClickHouse server. It
// measures the raw ceilings of those parts in the same run (JetStream
// publish and fetch alone and together, ClickHouse batch inserts of the
// same rows) and reports each of Coalition's figures as a ratio to them.
//
// Run starts every phase on fresh state (a new JetStream store directory
// and a new ClickHouse database) and returns a Report; cmd/coalition's
// `bench` command prints it as a table and as JSON. Nothing here asserts a
// speed: the figures are for people to read.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
)

// Phase names, in the order Run runs them.
const (
	PhaseEndToEnd = "e2e"      // producer and consumer together, until the status reflects every event
	PhaseDrain    = "drain"    // the consumer alone on a full stream
	PhaseLatency  = "latency"  // publish to queryable at fixed offered rates
	PhaseCeilings = "ceilings" // JetStream and ClickHouse alone
	PhaseStatus   = "status"   // status of a coalition with StatusEvents stored events
	PhaseScale    = "scale"    // 1, 2, 4 consume processes draining one stream
)

// Phases lists every phase in the order Run runs them.
var Phases = []string{PhaseEndToEnd, PhaseDrain, PhaseLatency, PhaseCeilings, PhaseScale, PhaseStatus}

// Config says what to measure.
type Config struct {
	// Events is the number of events of the throughput phases (end to end,
	// drain, ceilings). Default 200,000.
	Events int
	// Batch is the consumer's batch (events per fetch and per INSERT);
	// 0 keeps the consumer's default.
	Batch int
	// Rates are the offered rates (events/s) of the latency phase, each held
	// for RateDuration. Default 1,000 and 30,000 for 10s.
	Rates        []int
	RateDuration time.Duration
	// StatusEvents is how many events the status phase stores before it
	// times the status of the coalition. Default 10,000,000.
	StatusEvents int
	// Countries is how many countries the generated events involve
	// (default 40), and Commitments the size of their commitment pool
	// (default Events/20).
	Countries   int
	Commitments int
	// ClickHouse addresses of a server to use (its databases bench_* are
	// created and dropped). Empty starts a private clickhouse-server in Dir.
	ClickHouse []string
	User       string
	Password   string
	// Dir holds JetStream's files and the private ClickHouse server; default
	// a new temporary directory, removed at the end.
	Dir string
	// ConsumeCommand starts a `coalition consume` process (the binary and
	// its first arguments); the scale phase runs Processes of them at once
	// (default 1, 2 and 4). Without it the scale phase is left out.
	ConsumeCommand []string
	Processes      []int
	// Only runs these phases (names from Phases); empty runs all.
	Only   []string
	Seed   uint64
	Logger *slog.Logger
	// Progress receives a line as each measurement starts and ends; nil
	// discards them.
	Progress io.Writer
}

func (c *Config) defaults() error {
	if c.Events <= 0 {
		c.Events = 200_000
	}
	if len(c.Rates) == 0 {
		c.Rates = []int{1000, 30_000}
	}
	if c.RateDuration <= 0 {
		c.RateDuration = 10 * time.Second
	}
	if c.StatusEvents < 0 {
		c.StatusEvents = 0
	}
	if len(c.Processes) == 0 {
		c.Processes = []int{1, 2, 4}
	}
	if c.Countries <= 0 {
		c.Countries = 40
	}
	if c.Commitments <= 0 {
		c.Commitments = max(c.Events/20, 10)
	}
	if c.Seed == 0 {
		c.Seed = 2015
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	for _, p := range c.Only {
		if !slices.Contains(Phases, p) {
			return fmt.Errorf("bench: unknown phase %q (phases: %s)", p, strings.Join(Phases, ", "))
		}
	}
	return nil
}

func (c *Config) runs(phase string) bool { return len(c.Only) == 0 || slices.Contains(c.Only, phase) }

// runner holds what the phases share.
type runner struct {
	cfg    Config
	dir    string
	chAddr []string
	chVer  string
	gen    *generator
	rep    *Report
	listen bool // newEnv's NATS also listens on loopback
}

// Run runs the configured phases and returns their report. A phase that
// fails ends the run with its error; the report holds the phases before it.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "coalition-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	r := &runner{cfg: cfg, dir: dir, gen: newGenerator(cfg.Seed, cfg.Countries, cfg.Commitments)}
	r.rep = &Report{
		Started: time.Now().UTC(),
		Machine: Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH},
		Config: ReportConfig{Events: cfg.Events, Batch: cfg.Batch, Rates: cfg.Rates, RateSeconds: cfg.RateDuration.Seconds(),
			StatusEvents: cfg.StatusEvents, Countries: cfg.Countries, Commitments: cfg.Commitments},
	}
	r.rep.Machine.NATSVersion = natsVersion()
	r.chAddr = cfg.ClickHouse
	if len(r.chAddr) == 0 {
		r.progress("starting a private clickhouse-server in %s", dir)
		srv, err := clickhouse.StartLocal(ctx, clickhouse.LocalOptions{Dir: dir + "/clickhouse", Logger: cfg.Logger})
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer srv.Stop()
		r.chAddr = []string{srv.Addr()}
	}
	v, err := r.clickhouseVersion(ctx)
	if err != nil {
		return nil, err
	}
	r.rep.Machine.ClickHouseVersion = v

	phases := []struct {
		name string
		run  func(context.Context) error
	}{
		{PhaseEndToEnd, r.endToEnd},
		{PhaseDrain, r.drain},
		{PhaseLatency, r.latency},
		{PhaseCeilings, r.ceilings},
		{PhaseScale, r.scale},
		{PhaseStatus, r.status},
	}
	for _, p := range phases {
		if !cfg.runs(p.name) || (p.name == PhaseStatus && cfg.StatusEvents == 0) || (p.name == PhaseScale && len(cfg.ConsumeCommand) == 0) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return r.rep, err
		}
		runtime.GC()
		if err := p.run(ctx); err != nil {
			return r.rep, fmt.Errorf("bench %s: %w", p.name, err)
		}
	}
	r.rep.ratios()
	r.rep.Memory.PeakRSSMB = mb(peakRSS())
	r.rep.Elapsed = time.Since(r.rep.Started).Seconds()
	return r.rep, nil
}

func (r *runner) progress(format string, args ...any) {
	fmt.Fprintf(r.cfg.Progress, "bench: "+format+"\n", args...)
}

// errIncomplete reports a phase that ended before every event arrived.
var errIncomplete = errors.New("incomplete")
