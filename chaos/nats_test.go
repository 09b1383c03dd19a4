package chaos_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/chaos"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
)

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
