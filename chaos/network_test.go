package chaos_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/coalitiondev/coalition/chaos"
	"github.com/coalitiondev/coalition/internal/testkit"
)

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
