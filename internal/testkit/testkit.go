// Package testkit gives tests hermetic, parallel-safe access to real
// services: a private clickhouse-server shared by one test binary (a fresh
// database per test) and in-process NATS servers with JetStream.
//
// A package that uses ClickHouse should run its tests through Main so the
// shared server is stopped and its directory removed at the end:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/coalitiondev/coalition/clickhouse"
)

// shared is the per-test-binary clickhouse-server, started lazily.
var shared struct {
	once sync.Once
	srv  *clickhouse.LocalServer
	dir  string
	err  error
}

// Main runs the package's tests and then stops the shared servers it started.
// Use it from TestMain: func TestMain(m *testing.M) { testkit.Main(m) }
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit: it runs the tests, stops the shared servers
// and returns the exit code, for a TestMain with more to do after.
func Run(m *testing.M) int {
	code := m.Run()
	if err := stopShared(); err != nil {
		fmt.Fprintf(os.Stderr, "testkit: %v\n", err)
	}
	return code
}

func stopShared() error {
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			return fmt.Errorf("stop shared clickhouse-server: %w", err)
		}
	}
	if shared.dir != "" {
		if err := os.RemoveAll(shared.dir); err != nil {
			return fmt.Errorf("remove shared clickhouse-server dir: %w", err)
		}
	}
	return nil
}

const sharedDirPattern = "testkit-clickhouse-"

func startShared() {
	sweepStaleShared()
	dir, err := os.MkdirTemp("", sharedDirPattern)
	if err != nil {
		shared.err = fmt.Errorf("create temp dir: %w", err)
		return
	}
	var logger *slog.Logger
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := clickhouse.StartLocal(ctx, clickhouse.LocalOptions{Dir: dir, Logger: logger})
	if err != nil {
		_ = os.RemoveAll(dir)
		shared.err = err
		return
	}
	shared.srv, shared.dir = srv, dir
}

// sweepStaleShared removes shared-server dirs left behind by test binaries
// that died before Main's cleanup (their servers died with them through
// Pdeathsig). A running server holds a lock on data/status; dirs younger than
// ten minutes are left alone because their server may still be starting.
func sweepStaleShared() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), sharedDirPattern+"*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
			continue
		}
		f, err := os.Open(filepath.Join(dir, "data", "status"))
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = os.RemoveAll(dir)
		}
		_ = f.Close()
	}
}

// ClickHouse returns the native address of a per-test-binary shared private
// clickhouse-server (started once, lazily, in a temp dir) and the name of a
// fresh database created for this test and dropped in tb.Cleanup. It fails
// the test (never skips) if the server cannot start. Connect with the
// database set in the client options, or qualify table names with it.
func ClickHouse(tb testing.TB) (addr, database string) {
	tb.Helper()
	shared.once.Do(startShared)
	if shared.err != nil {
		tb.Fatalf("testkit: start shared clickhouse-server: %v", shared.err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	database = "t_" + hex.EncodeToString(b)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := shared.srv.Exec(ctx, "CREATE DATABASE "+database); err != nil {
		tb.Fatalf("testkit: create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := shared.srv.Exec(ctx, "DROP DATABASE IF EXISTS "+database); err != nil {
			tb.Errorf("testkit: drop test database: %v", err)
		}
	})
	return shared.srv.Addr(), database
}

// NATS starts an in-process nats-server with JetStream (store in
// tb.TempDir(), no network listener) and returns it with a connected client.
// Both are shut down in tb.Cleanup.
func NATS(tb testing.TB) (*server.Server, *nats.Conn) {
	tb.Helper()
	s := startNATS(tb, &server.Options{DontListen: true})
	nc, err := nats.Connect("", nats.InProcessServer(s), nats.Name(tb.Name()))
	if err != nil {
		tb.Fatalf("testkit: connect to in-process nats-server: %v", err)
	}
	tb.Cleanup(nc.Close) // runs before the server's cleanup
	return s, nc
}

// NATSListening is like NATS but the server listens on 127.0.0.1 with a random
// port, for tests where another process or a URL must reach it. It returns
// the server and its client URL; the server is shut down in tb.Cleanup.
func NATSListening(tb testing.TB) (*server.Server, string) {
	tb.Helper()
	s := startNATS(tb, &server.Options{Host: "127.0.0.1", Port: -1})
	return s, s.ClientURL()
}

func startNATS(tb testing.TB, opts *server.Options) *server.Server {
	tb.Helper()
	opts.JetStream = true
	opts.StoreDir = tb.TempDir() // removed after the server's cleanup below
	opts.NoSigs = true
	opts.NoLog = true
	opts.ServerName = "testkit"
	s, err := server.NewServer(opts)
	if err != nil {
		tb.Fatalf("testkit: create nats-server: %v", err)
	}
	go s.Start()
	tb.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatalf("testkit: nats-server not ready for connections within 10s")
	}
	return s
}
