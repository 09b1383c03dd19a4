package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/natsjs"
)

// env is one phase's fresh state: an embedded nats-server with its own
// store directory and the event streams, and a ClickHouse database with
// the migrations applied.
type env struct {
	dir   string
	ns    *server.Server
	nc    *nats.Conn
	js    jetstream.JetStream
	store *clickhouse.Store
	db    string
	r     *runner
}

func (r *runner) newEnv(ctx context.Context, name string) (*env, error) {
	e := &env{dir: filepath.Join(r.dir, name), db: "bench_" + strings.ReplaceAll(name, "-", "_"), r: r}
	if err := os.RemoveAll(e.dir); err != nil {
		return nil, err
	}
	opts := natsjs.EmbeddedOptions{StoreDir: filepath.Join(e.dir, "jetstream")}
	if r.listen {
		opts.Listen = "127.0.0.1:0"
	}
	ns, err := natsjs.StartEmbedded(opts)
	if err != nil {
		return nil, err
	}
	e.ns = ns
	if e.nc, err = natsjs.Connect(natsjs.ClientConfig{Name: "coalition-bench"}, ns, r.cfg.Logger); err != nil {
		e.close()
		return nil, err
	}
	if e.js, err = jetstream.New(e.nc); err != nil {
		e.close()
		return nil, err
	}
	if err := natsjs.EnsureStreams(ctx, e.js, natsjs.StreamConfig{}); err != nil {
		e.close()
		return nil, err
	}
	if err := r.dropDatabase(ctx, e.db); err != nil {
		e.close()
		return nil, err
	}
	if e.store, err = r.openStore(ctx, e.db); err != nil {
		e.close()
		return nil, err
	}
	if err := e.store.Migrate(ctx); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) close() {
	if e.store != nil {
		e.store.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := e.r.dropDatabase(ctx, e.db); err != nil {
			e.r.cfg.Logger.Warn("drop bench database", "database", e.db, "err", err)
		}
		cancel()
	}
	if e.nc != nil {
		e.nc.Close()
	}
	if e.ns != nil {
		e.ns.Shutdown()
		e.ns.WaitForShutdown()
	}
	os.RemoveAll(e.dir)
}

// connect opens another client connection to the phase's server, as a
// separate producer or consumer process would have.
func (e *env) connect(name string) (*nats.Conn, error) {
	return natsjs.Connect(natsjs.ClientConfig{Name: name}, e.ns, e.r.cfg.Logger)
}

func (r *runner) openStore(ctx context.Context, db string) (*clickhouse.Store, error) {
	return clickhouse.Open(ctx, clickhouse.Config{Addrs: r.chAddr, User: r.cfg.User, Password: r.cfg.Password, Database: db, Logger: r.cfg.Logger})
}

func (r *runner) dropDatabase(ctx context.Context, db string) error {
	s, err := r.openStore(ctx, "default")
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
}

func (r *runner) clickhouseVersion(ctx context.Context) (string, error) {
	s, err := r.openStore(ctx, "default")
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	defer s.Close()
	return s.ServerVersion(ctx)
}

func natsVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/nats-io/nats-server/v2" {
				return d.Version
			}
		}
	}
	return server.VERSION
}
