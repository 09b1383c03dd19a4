package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/coalitiondev/coalition/natsjs"
)

// scale drains a full stream with 1, 2 and 4 `coalition consume` processes
// sharing one durable consumer, and times each until the durable has acked
// every event. The processes are real ones, started from
// Config.ConsumeCommand, on the phase's NATS (listening on loopback) and
// ClickHouse database.
func (r *runner) scale(ctx context.Context) error {
	for _, n := range r.cfg.Processes {
		t, err := r.scaleWith(ctx, n)
		if err != nil {
			return err
		}
		r.rep.Scale = append(r.rep.Scale, *t)
		r.progress("scale: %d consume processes: %.0f events/s", n, t.PerSecond)
	}
	if len(r.rep.Scale) > 0 {
		one := r.rep.Scale[0].PerSecond
		for i := range r.rep.Scale {
			r.rep.Scale[i].Ratio = r.rep.Scale[i].PerSecond / one
			r.rep.Scale[i].Ceiling = "one process"
		}
	}
	return nil
}

func (r *runner) scaleWith(ctx context.Context, procs int) (*Throughput, error) {
	n := r.cfg.Events
	e, err := r.newEnvListening(ctx, fmt.Sprintf("scale-%d", procs))
	if err != nil {
		return nil, err
	}
	defer e.close()
	r.progress("scale: filling the stream with %d events for %d consume processes", n, procs)
	if err := r.fill(ctx, e, n); err != nil {
		return nil, err
	}
	str, err := e.js.Stream(ctx, natsjs.EventStream)
	if err != nil {
		return nil, err
	}
	last := str.CachedInfo().State.LastSeq

	start := time.Now()
	var cmds []*exec.Cmd
	var logs []*bytes.Buffer
	defer func() {
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGTERM)
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil && ctx.Err() == nil {
				r.cfg.Logger.Warn("consume process", "n", i, "err", err, "output", logs[i].String())
			}
		}
	}()
	for i := range procs {
		args := append(append([]string{}, r.cfg.ConsumeCommand[1:]...),
			"--nats-url", e.ns.ClientURL(), "--clickhouse-addr", r.chAddr[0], "--clickhouse-database", e.db,
			"--clickhouse-user", r.cfg.User, "--clickhouse-password", r.cfg.Password,
			"--data-dir", filepath.Join(e.dir, "consume-"+strconv.Itoa(i)), "--http", "127.0.0.1:0",
			"--log-level", "warn", "--status-refresh", "0")
		c := exec.CommandContext(ctx, r.cfg.ConsumeCommand[0], args...)
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		c.Env = append(os.Environ(), "COALITION_ROLES=consume")
		if err := c.Start(); err != nil {
			return nil, fmt.Errorf("start consume process: %w", err)
		}
		cmds = append(cmds, c)
		logs = append(logs, &out)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		cons, err := e.js.Consumer(ctx, natsjs.EventStream, "clickhouse-writer")
		if err == nil {
			info, err := cons.Info(ctx)
			if err == nil && info.AckFloor.Stream >= last && info.NumAckPending == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %d consume processes did not ack the stream in 10 minutes", errIncomplete, procs)
		}
		for i, c := range cmds {
			if c.ProcessState != nil {
				return nil, fmt.Errorf("consume process %d exited: %s", i, logs[i].String())
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := time.Since(start)
	// The peak resident set of each consume process, a process that is
	// the consumer alone (the broker is this one).
	var peak uint64
	for _, c := range cmds {
		peak = max(peak, procStatusOf(strconv.Itoa(c.Process.Pid), "VmHWM"))
	}
	stored, err := e.store.CountEvents(ctx, Coalition)
	if err != nil {
		return nil, err
	}
	if stored != uint64(n) {
		return nil, fmt.Errorf("%w: %d consume processes stored %d distinct events, want %d", errIncomplete, procs, stored, n)
	}
	return &Throughput{Events: n, Seconds: d.Seconds(), PerSecond: rate(n, d), PeakRSSMB: mb(peak),
		Note: fmt.Sprintf("%d processes, from their start", procs)}, nil
}

// newEnvListening is newEnv with the NATS server also listening on a
// loopback port, for other processes.
func (r *runner) newEnvListening(ctx context.Context, name string) (*env, error) {
	r.listen = true
	defer func() { r.listen = false }()
	return r.newEnv(ctx, name)
}
