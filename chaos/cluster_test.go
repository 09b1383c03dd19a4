package chaos_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/chaos"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
)

// natsCluster is a JetStream cluster of in-process nats-servers on
// loopback ports. Each node keeps its ports and store across a stop and a
// start, as a restarted machine would.
type natsCluster struct {
	opts  []*server.Options
	nodes []*server.Server
}

func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startCluster(tb testing.TB, n int) *natsCluster {
	tb.Helper()
	c := &natsCluster{opts: make([]*server.Options, n), nodes: make([]*server.Server, n)}
	clusterPorts := make([]int, n)
	for i := range n {
		clusterPorts[i] = freePort(tb)
	}
	for i := range n {
		var routes []*url.URL
		for j := range n {
			if j != i {
				routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", clusterPorts[j])})
			}
		}
		c.opts[i] = &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: freePort(tb),
			JetStream: true, StoreDir: tb.TempDir(), NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "coalition", Host: "127.0.0.1", Port: clusterPorts[i]},
			Routes:  routes,
		}
	}
	for i := range n {
		c.start(tb, i)
	}
	tb.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	return c
}

func (c *natsCluster) start(tb testing.TB, i int) {
	tb.Helper()
	opts := *c.opts[i]
	s, err := server.NewServer(&opts)
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		tb.Fatalf("nats node %s not ready", opts.ServerName)
	}
	c.nodes[i] = s
}

func (c *natsCluster) stop(i int) {
	if s := c.nodes[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.nodes[i] = nil
	}
}

// urls is the client URL list of every node, as NATS_URL takes it.
func (c *natsCluster) urls() string {
	var us []string
	for _, o := range c.opts {
		us = append(us, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(us, ",")
}

func (c *natsCluster) index(name string) int {
	for i, o := range c.opts {
		if o.ServerName == name {
			return i
		}
	}
	return -1
}

// TestNATSClusterLeaderLoss runs the pipeline on a three-node JetStream
// cluster with R3 streams: a producer publishing through the producer
// library and a `coalition serve` process consuming, both given the list of
// the three servers. In the middle of the run the event stream's leader is
// stopped, and brought back after a while. Producer and consumer carry on
// by themselves; the checker must find no acknowledged event lost and none
// counted twice.
func TestNATSClusterLeaderLoss(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, 3)
	nc, err := nats.Connect(cl.urls(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	// The cluster elects its meta leader first; creating R3 streams waits
	// for it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		// Each try on its own short deadline: a request made before the
		// meta leader exists gets no answer at all.
		tctx, tcancel := context.WithTimeout(ctx, 5*time.Second)
		err := natsjs.EnsureStreams(tctx, js, natsjs.StreamConfig{Replicas: 3, PlacementCluster: "coalition"})
		tcancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("R3 streams: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	chAddr, db := testkit.ClickHouse(t)
	ledger := chaos.NewLedger()
	n := runs(1, 3)
	prod := startProducer(t, nc, ledger, 33, 12*n+6)
	p := startServe(t, cl.urls(), chAddr, db, "", "--stream-replicas", "3", "--stream-placement", "cluster=coalition")
	outage := time.Duration(runs(2, 5)) * time.Second
	for i := 0; i < n; i++ {
		prod.waitUntil(int64(6 * (i + 1)))
		// After a restart the stream may still be electing its leader.
		var info *jetstream.StreamInfo
		for {
			tctx, tcancel := context.WithTimeout(ctx, 5*time.Second)
			str, err := js.Stream(tctx, natsjs.EventStream)
			if err == nil {
				info, err = str.Info(tctx)
			}
			tcancel()
			if err == nil && info.Cluster != nil && info.Cluster.Leader != "" {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("stream %s has no leader: %v", natsjs.EventStream, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			t.Fatalf("stream %s is not R3: %+v", natsjs.EventStream, info.Cluster)
		}
		leader := cl.index(info.Cluster.Leader)
		if leader < 0 {
			t.Fatalf("stream leader %q is not a node of the cluster", info.Cluster.Leader)
		}
		t.Logf("run %d: stopping the stream leader %s", i+1, info.Cluster.Leader)
		cl.stop(leader)
		time.Sleep(outage)
		cl.start(t, leader)
	}
	prod.wait()
	if err := natsjs.WaitAcked(context.Background(), js, natsjs.EventStream, "clickhouse-writer", 2*time.Minute); err != nil {
		cons, cerr := js.Consumer(context.Background(), natsjs.EventStream, "clickhouse-writer")
		if cerr == nil {
			ci, _ := cons.Info(context.Background())
			t.Logf("consumer: %+v", ci)
		}
		t.Fatalf("%v\nserve's log:\n%s", err, p.log)
	}
	p.stop(t)
	r := check(t, chAddr, db, ledger)
	r.Scenario, r.Runs = fmt.Sprintf("NATS cluster (3 nodes, R3): stream leader stopped %v", outage), n
	record(t, r)
}

// BenchmarkJetStreamPublish measures JetStream alone, as the capacity model
// of docs/scaling.md needs it: asynchronous publishes of 300-byte messages
// (4,096 in flight, every PubAck awaited) to a file-backed stream, on one
// node with R1 and on a three-node cluster (in process, loopback) with R3.
//
//	go test -run '^$' -bench JetStreamPublish -benchtime 200000x ./chaos/
func BenchmarkJetStreamPublish(b *testing.B) {
	for _, tc := range []struct {
		name     string
		nodes    int
		replicas int
	}{{"one-node-R1", 1, 1}, {"three-nodes-R3", 3, 3}} {
		b.Run(tc.name, func(b *testing.B) {
			var url string
			if tc.nodes == 1 {
				_, url = testkit.NATSListening(b)
			} else {
				url = startCluster(b, tc.nodes).urls()
			}
			nc, err := nats.Connect(url)
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			var failed atomic.Int64
			js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096),
				jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { failed.Add(1) }))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			for {
				tctx, tcancel := context.WithTimeout(ctx, 5*time.Second)
				_, err := js.CreateOrUpdateStream(tctx, jetstream.StreamConfig{Name: "BENCH", Subjects: []string{"bench.>"}, Replicas: tc.replicas, Storage: jetstream.FileStorage})
				tcancel()
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					b.Fatal(err)
				}
				time.Sleep(200 * time.Millisecond)
			}
			data := make([]byte, 300)
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := js.PublishAsync("bench.x", data); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				b.Fatal("PubAcks did not arrive")
			}
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d publishes failed", n, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
