package chaos_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/chaos"
	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
)

// TestClickHouseReplicaLoss runs serve in ClickHouse cluster mode on two
// replicas of one shard and stops the replica it writes to in the middle
// of a run: the client fails over to the other replica, which takes the
// writes; nothing acknowledged is lost or counted twice, read on the
// survivor, and read again on the stopped replica once it is back and has
// caught up.
func TestClickHouseReplicaLoss(t *testing.T) {
	t.Parallel()
	reps := testkit.ClickHouseReplicas(t, 2)
	_, natsURL := testkit.NATSListening(t)
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	js, _ := jetstream.New(nc)
	ledger := chaos.NewLedger()
	n := runs(1, 3)
	outage := time.Duration(runs(3, 10)) * time.Second
	// The producer runs until every outage is over, so that there is
	// always something to write while a replica is down.
	prod := startProducer(t, nc, ledger, 77, 1_000_000)
	p := startServe(t, natsURL, strings.Join(reps.Addrs, ","), "coalition", "", "--clickhouse-cluster", testkit.ReplicaCluster)
	for i := 0; i < n; i++ {
		prod.waitUntil(prod.batches.Load() + 6)
		t.Logf("run %d: stopping replica r1, the first address", i+1)
		if err := reps.Stop(0); err != nil {
			t.Logf("stop replica: %v", err)
		}
		stopped := time.Now()
		// The run means something only if the writer goes on while the
		// replica is down: wait until it has acked more events.
		floor := ackFloor(t, js)
		for ackFloor(t, js) == floor {
			if time.Since(stopped) > time.Minute {
				t.Fatalf("no event acked in a minute with replica r1 down: the writer did not fail over\nserve's log:\n%s", p.log)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("run %d: the writer acked events %v after r1 stopped", i+1, time.Since(stopped).Round(time.Millisecond))
		time.Sleep(outage - time.Since(stopped))
		if err := reps.Start(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	close(prod.stop)
	prod.wait()
	drain(t, nc)
	p.stop(t)
	for i, addr := range []string{reps.Addrs[1], reps.Addrs[0]} {
		store, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: "coalition", Cluster: testkit.ReplicaCluster})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		// Each replica first fetches what the other took: after r1
		// returned, the writer's new connections went back to it.
		if err := store.Exec(ctx, "SYSTEM SYNC REPLICA coalition.events_local"); err != nil {
			t.Fatal(err)
		}
		if i == 1 { // the replica that was stopped
			// is read alone: no other replica to fall back on.
			if err := reps.Stop(1); err != nil {
				t.Logf("stop replica r2: %v", err)
			}
		}
		r, err := chaos.Check(ctx, store, coalition, ledger)
		if err != nil {
			t.Fatalf("check on %s: %v\nserve's log:\n%s", addr, err, p.log)
		}
		r.Scenario, r.Runs = fmt.Sprintf("ClickHouse cluster (2 replicas): writer's replica stopped %v, read on the %s", outage, []string{"survivor", "returned replica alone"}[i]), n
		record(t, r)
	}
}

// ackFloor is the stream sequence up to which the writer's durable
// consumer has acked everything.
func ackFloor(tb testing.TB, js jetstream.JetStream) uint64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cons, err := js.Consumer(ctx, natsjs.EventStream, "clickhouse-writer")
	if err != nil {
		return 0 // not made yet
	}
	info, err := cons.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return info.AckFloor.Stream
}
