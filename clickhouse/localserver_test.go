package clickhouse_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/coalitiondev/coalition/clickhouse"
)

func startLocal(t *testing.T, dir string) *clickhouse.LocalServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	s, err := clickhouse.StartLocal(ctx, clickhouse.LocalOptions{
		Dir:    dir,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatalf("StartLocal: %v", err)
	}
	t.Logf("server at %s (http %s) ready after %s", s.Addr(), s.HTTPAddr, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop in cleanup: %v", err)
		}
	})
	return s
}

func open(t *testing.T, addr string) driver.Conn {
	t.Helper()
	conn, err := ch.Open(&ch.Options{Addr: []string{addr}, Protocol: ch.Native, ReadTimeout: time.Minute})
	if err != nil {
		t.Fatalf("open %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func count(ctx context.Context, t *testing.T, conn driver.Conn) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM t").Scan(&n); err != nil {
		t.Fatalf("SELECT count(): %v", err)
	}
	return n
}

func TestStartLocalRoundTripAndRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()

	s := startLocal(t, dir)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.Dir != dir {
		t.Fatalf("Addr = %q, Dir = %q; want 127.0.0.1:PORT and %q", s.Addr(), s.Dir, dir)
	}
	for _, f := range []string{"config.xml", "users.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("server dir lacks %s: %v", f, err)
		}
	}
	conn := open(t, s.Addr())
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	var version string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		t.Fatalf("SELECT version(): %v", err)
	}
	t.Logf("server version %s", version)

	if err := conn.Exec(ctx, "CREATE TABLE t (a UInt32, b String) ENGINE = MergeTree ORDER BY a"); err != nil {
		t.Fatalf("CREATE TABLE: %v", err)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO t (a, b)")
	if err != nil {
		t.Fatalf("PrepareBatch: %v", err)
	}
	for i := range 100 {
		if err := batch.Append(uint32(i), "row"); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := count(ctx, t, conn); n != 100 {
		t.Fatalf("count() = %d, want 100", n)
	}
	_ = conn.Close()

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := open(t, s.Addr()).Ping(ctx); err == nil {
		t.Fatalf("Ping after Stop succeeded")
	}

	s2 := startLocal(t, dir)
	conn2 := open(t, s2.Addr())
	if n := count(ctx, t, conn2); n != 100 {
		t.Fatalf("after restart count() = %d, want 100", n)
	}
	var sum uint64
	if err := conn2.QueryRow(ctx, "SELECT sum(a) FROM t WHERE b = 'row'").Scan(&sum); err != nil {
		t.Fatalf("SELECT sum(a): %v", err)
	}
	if sum != 4950 {
		t.Fatalf("after restart sum(a) = %d, want 4950", sum)
	}
	if err := s2.Exec(ctx, "DROP TABLE t"); err != nil {
		t.Fatalf("Exec DROP TABLE: %v", err)
	}
}

func TestStartLocalBogusBinary(t *testing.T) {
	_, err := clickhouse.StartLocal(context.Background(), clickhouse.LocalOptions{
		Dir:    t.TempDir(),
		Binary: filepath.Join(t.TempDir(), "no-such-clickhouse-server"),
	})
	if !errors.Is(err, clickhouse.ErrNoServer) {
		t.Fatalf("StartLocal with bogus Binary: err = %v, want one wrapping ErrNoServer", err)
	}
	if !strings.Contains(err.Error(), "apt-get install -y clickhouse-server clickhouse-client") ||
		!strings.Contains(err.Error(), "CLICKHOUSE_ADDR") {
		t.Errorf("error does not say how to get a server: %v", err)
	}
}

func TestStartLocalRequiresDir(t *testing.T) {
	if _, err := clickhouse.StartLocal(context.Background(), clickhouse.LocalOptions{}); err == nil {
		t.Fatal("StartLocal without Dir succeeded")
	}
}
