package main

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// buildBinary builds the coalition command once per test run.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	return testkit.Coalition(tb, ".")
}

// serveProcess is `coalition serve` running as a child process.
type serveProcess struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

// startServe starts `coalition serve` with args and waits for its URL.
func startServe(tb testing.TB, args ...string) *serveProcess {
	tb.Helper()
	cmd := exec.Command(buildBinary(tb), append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), "COALITION_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, done: make(chan error, 1)}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Coalition is running: "); ok {
				urlc <- u
			}
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case p.url = <-urlc:
	case err := <-p.done:
		tb.Fatalf("serve exited before it was ready: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		tb.Fatalf("serve not ready after 60s\n%s", stderr.String())
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProcess) stop(tb testing.TB) {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			tb.Fatalf("serve after SIGTERM: %v", err)
		}
	case <-time.After(45 * time.Second):
		tb.Fatal("serve did not exit within 45s of SIGTERM")
	}
}

// TestTwoProcesses runs two `coalition serve` processes on one external
// NATS and one ClickHouse database, sharing the durable consumer, publishes
// events while they run, stops one with SIGTERM in the middle, and checks
// the status against the reference fold: same numbers as one process, and
// a clean exit on SIGTERM with nothing lost.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	_, natsURL := testkit.NATSListening(t)
	chAddr, db := testkit.ClickHouse(t)
	args := func() []string {
		return []string{"--data-dir", t.TempDir(), "--http", "127.0.0.1:0", "--nats-url", natsURL,
			"--clickhouse-addr", chAddr, "--clickhouse-database", db, "--batch", "64"}
	}
	a := startServe(t, args()...)
	b := startServe(t, args()...)

	nc, err := natsjs.Connect(natsjs.ClientConfig{URL: natsURL}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	pub, err := producers.NewPublisher(nc)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(42, 42))
	evs := eventgen.Events(r, 3000, eventgen.Options{Commitments: 40, Revisions: true})
	ctx := context.Background()
	for i := 0; i < len(evs); i += 250 {
		chunk := evs[i:min(i+250, len(evs))]
		ptrs := make([]*schema.Event, len(chunk))
		for j := range chunk {
			ptrs[j] = &chunk[j]
		}
		for _, res := range pub.PublishBatch(ctx, ptrs) {
			if res.Err != nil {
				t.Fatal(res.Err)
			}
		}
		if i == 1500 {
			a.stop(t) // SIGTERM mid-stream: its batch in flight is stored or given back
		}
	}
	_ = b
	store, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{chAddr}, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	deadline := time.Now().Add(90 * time.Second)
	want := uint64(len(schema.Dedup(evs)))
	for {
		n, err := store.CountEvents(ctx, "paris-2015")
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored %d distinct events, want %d", n, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Let the last revisions land: wait until the consumer has nothing pending.
	app := &App{NC: nc, Config: serveConfig{Durable: "clickhouse-writer"}}
	if err := app.WaitConsumed(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, err := store.CountryStatus(ctx, "paris-2015")
	if err != nil {
		t.Fatal(err)
	}
	testkit.CompareStatus(t, got, schema.Fold("paris-2015", evs))
}
