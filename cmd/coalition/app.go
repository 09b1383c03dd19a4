package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/consumers"
	"github.com/coalitiondev/coalition/feed"
	"github.com/coalitiondev/coalition/httpapi"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
)

// App is a running Coalition: NATS (embedded or external), ClickHouse
// (private or external), the consumer and the HTTP API. Tests start it with
// an HTTP address on port 0 and Close it.
type App struct {
	Config serveConfig
	Log    *slog.Logger

	natsServer *server.Server
	NC         *nats.Conn
	NATSURL    string // where other processes reach NATS ("" if in-process only)
	chServer   *clickhouse.LocalServer
	CHAddrs    []string
	Store      *clickhouse.Store
	Publisher  *producers.Publisher
	Consumer   *consumers.Consumer
	HTTP       *httpapi.Server
	Registry   *prometheus.Registry
	EventHub   *feed.Hub
	AlertHub   *feed.Hub
	Alerts     *alerts.Service // nil without --alert-rules

	roles  roleSet
	health *healthServer // without the api role

	stopConsumer  context.CancelFunc
	consumerDone  chan error
	stopRefresher context.CancelFunc
	refresherDone chan error
	stopHubs      context.CancelFunc
	hubsDone      sync.WaitGroup
}

// Open starts every part, in order, and undoes what it started if a later
// part fails.
func (a *App) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	cfg := &a.Config
	writeToken, readToken, err := cfg.httpTokens()
	if err != nil {
		return err
	}
	if writeToken == "" {
		a.Log.Warn("HTTP writes need no token: anyone who reaches the HTTP address can publish events (set --write-token)")
	}
	for name, tok := range map[string]string{"write": writeToken, "read": readToken} {
		if tok != "" && len(tok) < 16 {
			a.Log.Warn("HTTP token shorter than 16 characters: easy to guess", "token", name)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if a.roles, err = parseRoles(cfg.Roles); err != nil {
		return err
	}
	// A process with only some roles joins a running deployment: NATS_URL
	// and CLICKHOUSE_ADDR, or the serve running on the same data directory.
	if !a.roles.all() && cfg.NATS.URL == "" {
		if cfg.NATS.URL = readRuntimeFile(cfg.DataDir, natsURLFile); cfg.NATS.URL == "" {
			return usageError{fmt.Errorf("--roles %s: set NATS_URL, or run serve on --data-dir %s first", a.roles, cfg.DataDir)}
		}
	}
	if cfg.CHCluster != "" && cfg.CHAddrs == "" {
		return usageError{fmt.Errorf("--clickhouse-cluster %s needs the cluster's servers in --clickhouse-addr (CLICKHOUSE_ADDR)", cfg.CHCluster)}
	}
	needCH := a.roles[RoleConsume] || a.roles[RoleAPI]
	if !a.roles.all() && needCH && cfg.CHAddrs == "" {
		if cfg.CHAddrs = readRuntimeFile(cfg.DataDir, chAddrFile); cfg.CHAddrs == "" {
			return usageError{fmt.Errorf("--roles %s: set CLICKHOUSE_ADDR, or run serve on --data-dir %s first", a.roles, cfg.DataDir)}
		}
		cfg.CHUser, cfg.CHPassword = "default", ""
	}
	// NATS.
	if cfg.NATS.URL == "" {
		listen := cfg.NATSListen
		if listen != "" && !portFree(listen) {
			host, _, _ := net.SplitHostPort(listen)
			a.Log.Warn("NATS port busy, using a free one", "wanted", listen)
			listen = net.JoinHostPort(host, "0")
		}
		a.natsServer, err = natsjs.StartEmbedded(natsjs.EmbeddedOptions{StoreDir: filepath.Join(cfg.DataDir, "nats"), Listen: listen})
		if err != nil {
			return err
		}
		if listen != "" {
			a.NATSURL = a.natsServer.ClientURL()
			if err := writeRuntimeFile(cfg.DataDir, natsURLFile, a.NATSURL); err != nil {
				return err
			}
		}
		a.Log.Info("embedded NATS started", "store", filepath.Join(cfg.DataDir, "nats"), "url", a.NATSURL)
	} else {
		a.NATSURL = cfg.NATS.URL
	}
	cfg.NATS.Name = "coalition " + a.roles.String()
	a.NC, err = natsjs.Connect(cfg.NATS, a.natsServer, a.Log)
	if err != nil {
		return err
	}
	js, err := jetstream.New(a.NC)
	if err != nil {
		return err
	}
	sc, err := cfg.streamConfig()
	if err != nil {
		return err
	}
	if err := natsjs.EnsureStreams(ctx, js, sc); err != nil {
		return err
	}
	// ClickHouse.
	if needCH {
		if err := a.openClickHouse(ctx); err != nil {
			return err
		}
	}
	return a.startRoles(ctx, writeToken, readToken)
}

// openClickHouse connects to ClickHouse (starting the private server if no
// address is configured) and applies the migrations.
func (a *App) openClickHouse(ctx context.Context) (err error) {
	cfg := &a.Config
	a.CHAddrs = splitList(cfg.CHAddrs)
	if len(a.CHAddrs) == 0 {
		dir := filepath.Join(cfg.DataDir, "clickhouse")
		a.chServer, err = clickhouse.StartLocal(ctx, clickhouse.LocalOptions{Dir: dir, Logger: a.Log})
		if err != nil {
			return fmt.Errorf("no CLICKHOUSE_ADDR given, and the private server could not start: %w", err)
		}
		a.CHAddrs = []string{a.chServer.Addr()}
		cfg.CHUser, cfg.CHPassword = "default", ""
		if err := writeRuntimeFile(cfg.DataDir, chAddrFile, a.chServer.Addr()); err != nil {
			return err
		}
		a.Log.Info("private ClickHouse started", "dir", dir, "addr", a.chServer.Addr())
	}
	a.Store, err = clickhouse.Open(ctx, cfg.clickhouseConfig(a.CHAddrs, a.chServer != nil, a.Log))
	if err != nil {
		return err
	}
	return a.Store.Migrate(ctx)
}

// startRoles starts what the process's roles need: the consumer and the
// status refresher, the alert service, the HTTP API with its feeds (or,
// without the api role, a health and metrics server).
func (a *App) startRoles(ctx context.Context, writeToken, readToken string) (err error) {
	cfg := &a.Config
	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	checks := map[string]func(context.Context) error{
		"nats": func(context.Context) error {
			if s := a.NC.Status(); s != nats.CONNECTED {
				return fmt.Errorf("NATS connection is %s", s)
			}
			return nil
		},
	}
	if a.Store != nil {
		checks["clickhouse"] = a.Store.Ping
	}
	if a.roles[RoleConsume] {
		if err := a.startConsumer(ctx); err != nil {
			return err
		}
		checks["consumer"] = func(context.Context) error {
			if !a.Consumer.Bound() {
				return errors.New("consumer not bound to its durable consumer yet")
			}
			return nil
		}
	}
	if a.roles[RoleAlerts] {
		if cfg.AlertRules == "" && !a.roles.all() {
			return usageError{errors.New("--roles alerts: --alert-rules is required")}
		}
		if a.Alerts, err = startAlertService(ctx, a.NC, cfg.AlertRules, a.Registry, a.Log); err != nil {
			return err
		}
	}
	if !a.roles[RoleAPI] {
		if a.health, err = startHealthServer(cfg.HTTPAddr, a.Registry, checks); err != nil {
			return err
		}
		a.Log.Info("running", "roles", a.roles.String(), "health", a.health.URL(), "nats", natsjs.RedactURLs(a.NATSURL), "clickhouse", a.CHAddrs)
		return nil
	}
	return a.startAPI(ctx, writeToken, readToken, checks)
}

// startConsumer starts the ClickHouse writer and the status refresher.
func (a *App) startConsumer(ctx context.Context) error {
	cfg := &a.Config
	ackWait, err := time.ParseDuration(cfg.AckWait)
	if err != nil || ackWait < time.Second {
		return usageError{fmt.Errorf("--ack-wait %q: want a duration of at least 1s", cfg.AckWait)}
	}
	if cfg.MaxDeliveries < 2 {
		return usageError{fmt.Errorf("--max-deliveries %d: want at least 2", cfg.MaxDeliveries)}
	}
	a.Consumer, err = consumers.New(a.NC, a.Store, consumers.Config{
		Durable: cfg.Durable, Batch: cfg.Batch, AckWait: ackWait, MaxDeliveries: cfg.MaxDeliveries, Replicas: cfg.StreamReplicas,
		Logger: a.Log, Metrics: consumers.NewMetrics(a.Registry),
	})
	if err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stopConsumer = cancel
	a.consumerDone = make(chan error, 1)
	go func() { a.consumerDone <- a.Consumer.Run(cctx) }()
	refresh, err := time.ParseDuration(cfg.StatusRefresh)
	if err != nil || refresh < 0 {
		return usageError{fmt.Errorf("--status-refresh %q: want a duration such as 1s, or 0", cfg.StatusRefresh)}
	}
	if refresh > 0 {
		rctx, rcancel := context.WithCancel(context.WithoutCancel(ctx))
		a.stopRefresher = rcancel
		a.refresherDone = make(chan error, 1)
		go func() {
			a.refresherDone <- a.Store.RunStatusRefresher(rctx, clickhouse.RefresherConfig{Interval: refresh, Logger: a.Log})
		}()
	}

	return nil
}

// startAPI starts the producer behind POST /api/v1/events, the live feeds
// and the HTTP API.
func (a *App) startAPI(ctx context.Context, writeToken, readToken string, checks map[string]func(context.Context) error) (err error) {
	cfg := &a.Config
	a.Publisher, err = producers.NewPublisher(a.NC, producers.WithSource("/producers/api"), producers.WithLogger(a.Log))
	if err != nil {
		return err
	}
	// The live feeds: one ordered consumer each, fanned out to every client.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stopHubs = hcancel
	if a.EventHub, err = feed.EventHub(a.NC, feed.Config{Logger: a.Log}); err != nil {
		return err
	}
	if a.AlertHub, err = feed.AlertHub(a.NC, feed.Config{Logger: a.Log}); err != nil {
		return err
	}
	for _, h := range []*feed.Hub{a.EventHub, a.AlertHub} {
		a.hubsDone.Add(1)
		go func() {
			defer a.hubsDone.Done()
			_ = h.Run(hctx) // Run logs and retries its own errors
		}()
	}

	a.HTTP = httpapi.New(httpapi.Config{
		Addr: cfg.HTTPAddr, Status: a.Store, Publisher: a.Publisher, Gatherer: a.Registry, Logger: a.Log,
		WriteToken: writeToken, ReadToken: readToken,
		EventHub: a.EventHub, AlertHub: a.AlertHub,
		RecentAlerts: func(ctx context.Context, limit int) ([]feed.AlertPayload, error) {
			return feed.RecentAlerts(ctx, a.NC, limit)
		},
		Deliveries: func() any {
			if a.Alerts == nil {
				return []alerts.DeliveryState{}
			}
			return a.Alerts.Deliveries()
		},
		Checks: httpChecks(checks),
	})
	if err := a.HTTP.Open(); err != nil {
		return err
	}
	a.Log.Info("serving", "roles", a.roles.String(), "http", a.HTTP.URL(), "nats", natsjs.RedactURLs(a.NATSURL), "clickhouse", a.CHAddrs)
	return nil
}

func httpChecks(checks map[string]func(context.Context) error) []httpapi.Check {
	var out []httpapi.Check
	for _, name := range sortedNames(checks) {
		out = append(out, httpapi.Check{Name: name, Fn: checks[name]})
	}
	return out
}

// URL is where the process serves HTTP: the API, or with no api role the
// health and metrics endpoints.
func (a *App) URL() string {
	if a.HTTP != nil {
		return a.HTTP.URL()
	}
	if a.health != nil {
		return a.health.URL()
	}
	return ""
}

// Close stops the HTTP server, lets the consumer finish the batch in flight,
// and stops NATS and ClickHouse. It is safe to call on a partly opened App.
func (a *App) Close() error {
	var errs []error
	if a.HTTP != nil {
		errs = append(errs, a.HTTP.Close())
	}
	if a.health != nil {
		errs = append(errs, a.health.Close())
		a.health = nil
	}
	if a.Alerts != nil {
		errs = append(errs, a.Alerts.Close())
		a.Alerts = nil
	}
	if a.stopHubs != nil {
		a.stopHubs()
		a.hubsDone.Wait()
		a.stopHubs = nil
	}
	if a.stopConsumer != nil {
		a.stopConsumer()
		errs = append(errs, <-a.consumerDone)
		a.stopConsumer = nil
	}
	if a.stopRefresher != nil {
		a.stopRefresher()
		errs = append(errs, <-a.refresherDone)
		a.stopRefresher = nil
	}
	if a.NC != nil {
		a.NC.Close()
	}
	if a.natsServer != nil {
		a.natsServer.Shutdown()
		a.natsServer.WaitForShutdown()
		_ = os.Remove(filepath.Join(a.Config.DataDir, natsURLFile))
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	if a.chServer != nil {
		errs = append(errs, a.chServer.Stop())
		_ = os.Remove(filepath.Join(a.Config.DataDir, chAddrFile))
	}
	return errors.Join(errs...)
}

// portFree reports whether addr can be listened on now.
func portFree(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
