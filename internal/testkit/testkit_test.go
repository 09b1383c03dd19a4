package testkit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func TestClickHouseGivesEachTestItsOwnDatabase(t *testing.T) {
	var (
		mu  sync.Mutex
		dbs = map[string]bool{}
	)
	t.Cleanup(func() {
		if len(dbs) != 2 {
			t.Errorf("subtests got databases %v, want 2 different ones", dbs)
		}
	})
	for i := range 2 {
		rows := 10 * (i + 1)
		t.Run(fmt.Sprint("db", i), func(t *testing.T) {
			t.Parallel()
			addr, db := testkit.ClickHouse(t)
			mu.Lock()
			dbs[db] = true
			mu.Unlock()

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			conn, err := ch.Open(&ch.Options{
				Addr: []string{addr}, Protocol: ch.Native, Auth: ch.Auth{Database: db},
			})
			if err != nil {
				t.Fatalf("open %s: %v", addr, err)
			}
			defer conn.Close()
			// Same table name in both databases: they must not collide.
			if err := conn.Exec(ctx, "CREATE TABLE t (a UInt32, b String) ENGINE = MergeTree ORDER BY a"); err != nil {
				t.Fatalf("CREATE TABLE in %s: %v", db, err)
			}
			batch, err := conn.PrepareBatch(ctx, "INSERT INTO t (a, b)")
			if err != nil {
				t.Fatalf("PrepareBatch: %v", err)
			}
			for j := range rows {
				if err := batch.Append(uint32(j), db); err != nil {
					t.Fatalf("Append: %v", err)
				}
			}
			if err := batch.Send(); err != nil {
				t.Fatalf("Send: %v", err)
			}
			var n uint64
			if err := conn.QueryRow(ctx, "SELECT count() FROM t WHERE b = ?", db).Scan(&n); err != nil {
				t.Fatalf("SELECT count(): %v", err)
			}
			if n != uint64(rows) {
				t.Fatalf("count() in %s = %d, want %d", db, n, rows)
			}
			var current string
			if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&current); err != nil || current != db {
				t.Fatalf("currentDatabase() = %q, %v; want %q", current, err, db)
			}
		})
	}
}

func TestNATSJetStream(t *testing.T) {
	s, nc := testkit.NATS(t)
	if !s.JetStreamEnabled() {
		t.Fatal("JetStream is not enabled")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	publishAndAck(ctx, t, nc)
}

func TestNATSListening(t *testing.T) {
	_, url := testkit.NATSListening(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	publishAndAck(ctx, t, nc)
}

func publishAndAck(ctx context.Context, t *testing.T, nc *nats.Conn) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "EVENTS", Subjects: []string{"events.>"}, Storage: jetstream.FileStorage,
	}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	ack, err := js.Publish(ctx, "events.test", []byte("hello"))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if ack.Stream != "EVENTS" || ack.Sequence != 1 {
		t.Fatalf("PubAck = %+v, want stream EVENTS sequence 1", ack)
	}
}
