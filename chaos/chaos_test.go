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

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

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
	}
	os.Exit(code)
}

func record(t *testing.T, r chaos.Report) {
	t.Helper()
	reports.Lock()
	reports.list = append(reports.list, r)
	reports.Unlock()
	t.Logf("%s: attempted %d, acknowledged %d, stored %d, lost %d, duplicated %d %s",
		r.Scenario, r.Attempted, r.Acknowledged, r.Stored, r.Lost, r.Duplicated, r.Mismatch)
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
func startServe(tb testing.TB, natsURL, chAddr, db, failpoints string) *proc {
	tb.Helper()
	cmd := exec.Command(buildBinary(tb), "serve", "--data-dir", tb.TempDir(), "--http", "127.0.0.1:0",
		"--nats-url", natsURL, "--clickhouse-addr", chAddr, "--clickhouse-database", db, "--batch", "50", "--log-level", "warn",
		"--ack-wait", "5s") // recovery after a crash waits out the ack wait
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
// every attempt and every PubAck in the ledger.
type producer struct {
	stop    chan struct{}
	done    chan struct{}
	batches atomic.Int64
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
				}
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

// natsServer is a NATS server the suite can stop and start again on the
// same port and store: in this process, or as a separate nats-server
// process (SIGKILLed, as a crash would).
type natsServer interface {
	start(tb testing.TB)
	stop(tb testing.TB)
	url() string
}

type inProcessNATS struct {
	dir  string
	port int
	s    *server.Server
}

func (n *inProcessNATS) start(tb testing.TB) {
	tb.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: n.port, JetStream: true, StoreDir: n.dir, NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		tb.Fatal("nats not ready")
	}
	n.port, n.s = s.Addr().(*net.TCPAddr).Port, s
}

func (n *inProcessNATS) stop(tb testing.TB) { n.s.Shutdown(); n.s.WaitForShutdown() }
func (n *inProcessNATS) url() string        { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

var natsBinary struct {
	once sync.Once
	path string
	err  error
}

// processNATS runs nats-server, built from the module this project uses.
type processNATS struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

func (n *processNATS) start(tb testing.TB) {
	tb.Helper()
	natsBinary.once.Do(func() {
		tmp, err := os.MkdirTemp("", "nats-server-")
		if err != nil {
			natsBinary.err = err
			return
		}
		natsBinary.path = tmp + "/nats-server"
		if out, err := exec.Command("go", "build", "-o", natsBinary.path, "github.com/nats-io/nats-server/v2").CombinedOutput(); err != nil {
			natsBinary.err = fmt.Errorf("build nats-server: %v\n%s", err, out)
		}
	})
	if natsBinary.err != nil {
		tb.Fatal(natsBinary.err)
	}
	if n.port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		n.port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	n.cmd = exec.Command(natsBinary.path, "-a", "127.0.0.1", "-p", strconv.Itoa(n.port), "-js", "-sd", n.dir)
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	n.done = make(chan struct{})
	go func() { n.cmd.Wait(); close(n.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.port)); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("nats-server process not listening")
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Cleanup(func() { n.cmd.Process.Kill(); <-n.done })
}

func (n *processNATS) stop(tb testing.TB) { n.cmd.Process.Kill(); <-n.done }
func (n *processNATS) url() string        { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

// TestNATSRestart stops the NATS server under load and starts it again on
// the same port and store, in this process and as a separate process that
// is killed: producers retry with the same message ids, the consumer
// reconnects and resumes.
func TestNATSRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  natsServer
	}{
		{"in-process", &inProcessNATS{dir: t.TempDir(), port: -1}},
		{"process SIGKILL", &processNATS{dir: t.TempDir()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.srv.start(t)
			defer tc.srv.stop(t)
			url := tc.srv.url()
			chAddr, db := testkit.ClickHouse(t)
			nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			js, _ := jetstream.New(nc)
			if err := natsjs.EnsureStreams(context.Background(), js, natsjs.StreamConfig{}); err != nil {
				t.Fatal(err)
			}
			ledger := chaos.NewLedger()
			n := runs(2, 6)
			prod := startProducer(t, nc, ledger, uint64(len(tc.name)), 12*n+6)
			p := startServe(t, url, chAddr, db, "")
			outage := time.Duration(runs(1, 5)) * time.Second
			for i := 0; i < n; i++ {
				prod.waitUntil(int64(6 * (i + 1)))
				tc.srv.stop(t)
				time.Sleep(outage)
				tc.srv.start(t)
			}
			prod.wait()
			drain(t, nc)
			p.stop(t)
			r := check(t, chAddr, db, ledger)
			r.Scenario, r.Runs = fmt.Sprintf("NATS (%s) stopped %v and restarted", tc.name, outage), n
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

// slowSink takes longer than the ack wait for its first inserts.
type slowSink struct {
	inner consumers.Sink
	slow  atomic.Int64
	delay time.Duration
}

func (s *slowSink) InsertEvents(ctx context.Context, rows []clickhouse.Row) error {
	if s.slow.Add(-1) >= 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.inner.InsertEvents(ctx, rows)
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

// TestSlowConsumer runs two consumers on one durable whose inserts take
// longer than the ack wait: the in-progress signals keep JetStream from
// handing the batch to the other one, and if it does, the copy is stored
// and read once.
func TestSlowConsumer(t *testing.T) {
	t.Parallel()
	_, natsURL := testkit.NATSListening(t)
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := natsjs.EnsureStreams(context.Background(), js, natsjs.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	store, addr, db := openStore(t)
	sink := &slowSink{inner: store, delay: 2500 * time.Millisecond}
	sink.slow.Store(int64(runs(4, 12)))
	cfg := consumers.Config{Batch: 50, AckWait: time.Second, MaxWait: 100 * time.Millisecond}
	runConsumer(t, nc, sink, cfg)
	runConsumer(t, nc, sink, cfg)
	ledger := chaos.NewLedger()
	prod := startProducer(t, nc, ledger, 5, runs(10, 40))
	prod.wait()
	drain(t, nc)
	r := check(t, addr, db, ledger)
	r.Scenario, r.Runs = "consumer slower than the ack wait (2.5s vs 1s)", 1
	record(t, r)
}

// TestStreamFull fills a stream that refuses new messages when full: the
// publishers get an error for what was not stored, and everything they were
// told was stored reaches ClickHouse.
func TestStreamFull(t *testing.T) {
	t.Parallel()
	_, natsURL := testkit.NATSListening(t)
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := natsjs.EnsureStreams(context.Background(), js, natsjs.StreamConfig{MaxBytes: 256 << 10}); err != nil {
		t.Fatal(err)
	}
	store, addr, db := openStore(t)
	runConsumer(t, nc, store, consumers.Config{Batch: 50, MaxWait: 100 * time.Millisecond})
	ledger := chaos.NewLedger()
	prod := startProducer(t, nc, ledger, 6, runs(30, 60))
	prod.wait()
	drain(t, nc)
	r := check(t, addr, db, ledger)
	r.Scenario, r.Runs = "stream at its size limit (256 KiB)", 1
	if r.Acknowledged == r.Attempted {
		t.Errorf("every publish was acknowledged (%d): the stream limit did not bite", r.Attempted)
	}
	record(t, r)
}

// proxy is a toxiproxy proxy in the test process.
type proxy struct {
	p      *toxiproxy.Proxy
	listen string
}

func startProxy(tb testing.TB, srv *toxiproxy.ApiServer, name, upstream string) *proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := toxiproxy.NewProxy(srv, name, addr, upstream)
	if err := p.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Stop)
	return &proxy{p: p, listen: addr}
}

// toxic adds a toxic, such as {"type":"latency","attributes":{"latency":200}}.
func (p *proxy) toxic(tb testing.TB, name, typ, stream string, attrs string) {
	tb.Helper()
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":%s}`, name, typ, stream, attrs)
	if _, err := p.p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		tb.Fatalf("toxic %s: %v", name, err)
	}
}

func (p *proxy) clear() { p.p.Toxics.ResetToxics(context.Background()) }

// TestNetworkFaults puts toxiproxy between the consumer process and both
// NATS and ClickHouse and injects latency, connection resets and stalls
// while events flow.
func TestNetworkFaults(t *testing.T) {
	t.Parallel()
	_, natsURL := testkit.NATSListening(t)
	chAddr, db := testkit.ClickHouse(t)
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	natsProxy := startProxy(t, srv, "nats", strings.TrimPrefix(natsURL, "nats://"))
	chProxy := startProxy(t, srv, "clickhouse", chAddr)
	nc, err := nats.Connect(natsURL) // the producers connect directly
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ledger := chaos.NewLedger()
	n := runs(1, 4)
	prod := startProducer(t, nc, ledger, 13, 16*n+4)
	p := startServe(t, "nats://"+natsProxy.listen, chProxy.listen, db, "")
	phase := time.Duration(runs(1, 4)) * time.Second
	for i := 0; i < n; i++ {
		natsProxy.toxic(t, "lat", "latency", "downstream", `{"latency":150,"jitter":100}`)
		chProxy.toxic(t, "lat", "latency", "upstream", `{"latency":150,"jitter":100}`)
		time.Sleep(phase)
		natsProxy.clear()
		chProxy.clear()
		chProxy.toxic(t, "reset", "reset_peer", "upstream", `{"timeout":200}`)
		time.Sleep(phase)
		chProxy.clear()
		natsProxy.toxic(t, "reset", "reset_peer", "downstream", `{"timeout":300}`)
		time.Sleep(phase)
		natsProxy.clear()
		chProxy.toxic(t, "stall", "timeout", "upstream", `{"timeout":0}`)
		time.Sleep(phase)
		chProxy.clear()
		natsProxy.toxic(t, "stall", "timeout", "downstream", `{"timeout":0}`)
		time.Sleep(phase)
		natsProxy.clear()
	}
	prod.wait()
	drain(t, nc)
	p.stop(t)
	r := check(t, chAddr, db, ledger)
	r.Scenario, r.Runs = fmt.Sprintf("toxiproxy: latency, resets, stalls (%v each)", phase), n
	record(t, r)
}
