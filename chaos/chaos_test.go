package chaos_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/chaos"
	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/consumers"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/failpoint"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

const coalition = "chaos"

// full is set by make chaos: more runs, full outage lengths.
var full = os.Getenv("CHAOS_FULL") != ""

var reports struct {
	sync.Mutex
	list []chaos.Report
}

func TestMain(m *testing.M) {
	code := testkit.Run(m)
	if len(reports.list) > 0 {
		mode := "short"
		if full {
			mode = "full (CHAOS_FULL=1)"
		}
		fmt.Printf("\nFault suite, %s:\n\n", mode)
		chaos.WriteTable(os.Stdout, reports.list)
		fmt.Println()
		// go test shows a passing package's output only with -v; CHAOS_TABLE
		// names a file for the table too, which scripts/test.sh prints.
		if path := os.Getenv("CHAOS_TABLE"); path != "" {
			var b strings.Builder
			fmt.Fprintf(&b, "Fault suite, %s:\n\n", mode)
			chaos.WriteTable(&b, reports.list)
			if err := os.WriteFile(path, []byte(b.String()+"\n"), 0o644); err != nil {
				fmt.Fprintf(os.Stderr, "chaos: CHAOS_TABLE: %v\n", err)
				if code == 0 {
					code = 1
				}
			}
		}
	}
	os.Exit(code)
}

func record(t *testing.T, r chaos.Report) {
	t.Helper()
	reports.Lock()
	reports.list = append(reports.list, r)
	reports.Unlock()
	t.Logf("%s: attempted %d, acknowledged %d, stored %d, lost %d, duplicated %d, dead-lettered %d %s",
		r.Scenario, r.Attempted, r.Acknowledged, r.Stored, r.Lost, r.Duplicated, r.DeadLettered, r.Mismatch)
	if !r.OK() {
		t.Errorf("%s: lost %d, duplicated %d, %s", r.Scenario, r.Lost, r.Duplicated, r.Mismatch)
	}
}

func runs(short, long int) int {
	if full {
		return long
	}
	return short
}

// buildBinary builds the coalition command once per test run.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	return testkit.Coalition(tb, "../cmd/coalition")
}

// proc is `coalition serve` as a child process.
type proc struct {
	cmd  *exec.Cmd
	done chan error
	log  *strings.Builder
}

// startServe starts serve; failpoints (COALITION_FAILPOINTS) may kill it.
// It returns once serve says it is running, or has died.
func startServe(tb testing.TB, natsURL, chAddr, db, failpoints string, extra ...string) *proc {
	tb.Helper()
	cmd := exec.Command(buildBinary(tb), append([]string{"serve", "--data-dir", tb.TempDir(), "--http", "127.0.0.1:0",
		"--nats-url", natsURL, "--clickhouse-addr", chAddr, "--clickhouse-database", db, "--batch", "50", "--log-level", "warn",
		"--ack-wait", "5s"}, extra...)...) // recovery after a crash waits out the ack wait
	cmd.Env = append(os.Environ(), "COALITION_FAILPOINTS="+failpoints)
	stdout, _ := cmd.StdoutPipe()
	p := &proc{cmd: cmd, done: make(chan error, 1), log: &strings.Builder{}}
	cmd.Stderr = p.log
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Coalition is running") {
				close(ready)
			}
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	tb.Cleanup(func() { cmd.Process.Kill(); <-p.done })
	select {
	case <-ready:
	case err := <-p.done:
		p.done <- err
	case <-time.After(60 * time.Second):
		tb.Fatalf("serve not ready: %s", p.log)
	}
	return p
}

// waitKilled waits for a failpoint to kill the process.
func (p *proc) waitKilled(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			tb.Fatalf("serve ended with %v, want SIGKILL from the failpoint\n%s", err, p.log)
		}
	case <-time.After(timeout):
		tb.Fatalf("the failpoint did not fire within %v", timeout)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(tb testing.TB) {
	tb.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			tb.Errorf("serve after SIGTERM: %v\n%s", err, p.log)
		}
	case <-time.After(45 * time.Second):
		tb.Fatal("serve did not stop")
	}
}

// producer publishes random events in batches until stopped, recording
// every attempt and every PubAck in the ledger, and keeping the errors of
// the publishes that failed.
type producer struct {
	stop    chan struct{}
	done    chan struct{}
	batches atomic.Int64
	mu      sync.Mutex
	errs    []error
}

// failures returns the errors of the publishes that were not acknowledged.
func (p *producer) failures() []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]error(nil), p.errs...)
}

func startProducer(tb testing.TB, nc *nats.Conn, ledger *chaos.Ledger, seed uint64, batches int) *producer {
	tb.Helper()
	pub, err := producers.NewPublisher(nc, producers.WithRetries(30, 100*time.Millisecond), producers.WithAckTimeout(2*time.Second))
	if err != nil {
		tb.Fatal(err)
	}
	p := &producer{stop: make(chan struct{}), done: make(chan struct{})}
	r := rand.New(rand.NewPCG(seed, 42))
	go func() {
		defer close(p.done)
		for i := 0; i < batches; i++ {
			select {
			case <-p.stop:
				return
			default:
			}
			evs := eventgen.Events(r, 50, eventgen.Options{Coalitions: []string{coalition}, Commitments: 20})
			ptrs := make([]*schema.Event, len(evs))
			for j := range evs {
				ledger.Attempt(evs[j])
				ptrs[j] = &evs[j]
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			for _, res := range pub.PublishBatch(ctx, ptrs) {
				if res.Err == nil {
					ledger.Ack(res.ID)
					continue
				}
				p.mu.Lock()
				p.errs = append(p.errs, res.Err)
				p.mu.Unlock()
			}
			cancel()
			p.batches.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return p
}

func (p *producer) wait() { <-p.done }

// waitUntil waits for the producer to have sent n batches.
func (p *producer) waitUntil(n int64) {
	for p.batches.Load() < n {
		time.Sleep(10 * time.Millisecond)
	}
}

// drain waits until the writer's durable consumer has acked the stream.
func drain(tb testing.TB, nc *nats.Conn) {
	tb.Helper()
	js, _ := jetstream.New(nc)
	if err := natsjs.WaitAcked(context.Background(), js, natsjs.EventStream, "clickhouse-writer", 120*time.Second); err != nil {
		tb.Fatal(err)
	}
}

func check(tb testing.TB, chAddr, db string, ledger *chaos.Ledger) chaos.Report {
	tb.Helper()
	ctx := context.Background()
	store, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{chAddr}, Database: db})
	if err != nil {
		tb.Fatal(err)
	}
	defer store.Close()
	r, err := chaos.Check(ctx, store, coalition, ledger)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// TestKillConsumer kills the consumer process with SIGKILL at each of its
// three critical points (before the ClickHouse write, after it but before
// the ack, after the ack) while events are published, restarts it, and
// checks that nothing acknowledged is lost or counted twice.
func TestKillConsumer(t *testing.T) {
	for _, point := range []string{failpoint.BeforeInsert, failpoint.AfterInsert, failpoint.AfterAck} {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			_, natsURL := testkit.NATSListening(t)
			chAddr, db := testkit.ClickHouse(t)
			nc, err := nats.Connect(natsURL)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			ledger := chaos.NewLedger()
			n := runs(2, 8)
			prod := startProducer(t, nc, ledger, uint64(len(point)), 10*n+10)
			for i := 0; i < n; i++ {
				p := startServe(t, natsURL, chAddr, db, fmt.Sprintf("%s:%d", point, 1+i%3))
				p.waitKilled(t, 60*time.Second)
			}
			prod.wait()
			p := startServe(t, natsURL, chAddr, db, "")
			drain(t, nc)
			p.stop(t)
			r := check(t, chAddr, db, ledger)
			r.Scenario, r.Runs = "consumer SIGKILL "+strings.TrimPrefix(point, "consumer-"), n
			record(t, r)
		})
	}
}

// TestClickHouseStop stops ClickHouse under load and starts it again: the
// consumer retries its batch (keeping it in progress) until ClickHouse is
// back, and the producers never notice.
func TestClickHouseStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	srv, err := clickhouse.StartLocal(ctx, clickhouse.LocalOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Stop() }()
	addr := srv.Addr()
	_, portText, _ := net.SplitHostPort(addr)
	tcpPort, _ := strconv.Atoi(portText)
	_, httpText, _ := net.SplitHostPort(srv.HTTPAddr)
	httpPort, _ := strconv.Atoi(httpText)
	_, natsURL := testkit.NATSListening(t)
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ledger := chaos.NewLedger()
	n := runs(1, 3)
	outage := time.Duration(runs(3, 30)) * time.Second
	prod := startProducer(t, nc, ledger, 99, 10*n+8)
	p := startServe(t, natsURL, addr, "coalition", "")
	for i := 0; i < n; i++ {
		prod.waitUntil(int64(5 * (i + 1)))
		if err := srv.Stop(); err != nil {
			t.Logf("stop clickhouse: %v", err)
		}
		time.Sleep(outage)
		if srv, err = clickhouse.StartLocal(ctx, clickhouse.LocalOptions{Dir: dir, TCPPort: tcpPort, HTTPPort: httpPort}); err != nil {
			t.Fatal(err)
		}
	}
	prod.wait()
	drain(t, nc)
	p.stop(t)
	r := check(t, addr, "coalition", ledger)
	r.Scenario, r.Runs = fmt.Sprintf("ClickHouse stopped %v and restarted", outage), n
	record(t, r)
}

// openStore opens a migrated store on a fresh test database.
func openStore(tb testing.TB) (*clickhouse.Store, string, string) {
	tb.Helper()
	addr, db := testkit.ClickHouse(tb)
	ctx := context.Background()
	store, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: db})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return store, addr, db
}

// runConsumer runs an in-process consumer until the test ends.
func runConsumer(tb testing.TB, nc *nats.Conn, sink consumers.Sink, cfg consumers.Config) {
	tb.Helper()
	c, err := consumers.New(nc, sink, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
}
