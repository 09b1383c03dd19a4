package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
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

// serveConfig is the configuration of serve and demo.
type serveConfig struct {
	commonConfig
	HTTPAddr       string
	NATSListen     string
	Batch          int
	Durable        string
	StreamMaxBytes int
	StreamReplicas int
	StreamMaxAge   string
	StreamDupes    string
	StreamPlace    string
	AlertRules     string
	AckWait        string
	MaxDeliveries  int
	StatusRefresh  string
	MemoryLimit    string
	Roles          string
	// HTTP bearer tokens (docs/security.md): a value, or a file holding it.
	// WriteToken "none" lets anyone write; serve and demo generate one when
	// neither is given. An App opened with neither has no write token.
	WriteToken, WriteTokenFile string
	ReadToken, ReadTokenFile   string
}

func (c *serveConfig) register(f *flags) {
	c.commonConfig.register(f)
	f.str(&c.HTTPAddr, "http", "COALITION_HTTP_ADDR", "127.0.0.1:8080", "HTTP listen address (port 0 picks a free port)")
	f.str(&c.NATSListen, "nats-listen", "COALITION_NATS_LISTEN", "127.0.0.1:4222", "where the embedded NATS server also listens for other processes (empty: in-process only; a busy port falls back to a free one)")
	f.int(&c.Batch, "batch", "COALITION_BATCH", consumers.DefaultBatch, "events per fetch and per ClickHouse INSERT")
	f.str(&c.Durable, "durable", "COALITION_DURABLE", "clickhouse-writer", "name of the durable JetStream consumer shared by all writers")
	f.int(&c.StreamMaxBytes, "stream-max-bytes", "COALITION_STREAM_MAX_BYTES", 0, "event stream size limit in bytes (0: none); a full stream refuses publishes")
	f.int(&c.StreamReplicas, "stream-replicas", "COALITION_STREAM_REPLICAS", 1, "replicas of the streams (3 on a cluster)")
	f.str(&c.StreamMaxAge, "stream-max-age", "COALITION_STREAM_MAX_AGE", "0", "how long the event stream keeps events, such as 2160h; 0: forever (ClickHouse keeps them regardless)")
	f.str(&c.StreamDupes, "stream-duplicates", "COALITION_STREAM_DUPLICATES", "10m", "JetStream's de-duplication window on message ids; its memory grows with the publish rate times the window (docs/performance.md)")
	f.str(&c.StreamPlace, "stream-placement", "COALITION_STREAM_PLACEMENT", "", "where the streams live on a NATS super-cluster or tagged servers: cluster=NAME and/or tag=T, comma-separated")
	f.str(&c.AckWait, "ack-wait", "COALITION_ACK_WAIT", "60s", "how long a fetched batch may go unacknowledged before JetStream redelivers it (after a crash, recovery waits this long)")
	f.int(&c.MaxDeliveries, "max-deliveries", "COALITION_MAX_DELIVERIES", consumers.DefaultMaxDeliveries, "deliveries of an event that is never stored (one that crashes or stalls the consumer) before it is dead-lettered; at least 2")
	f.str(&c.Roles, "roles", "COALITION_ROLES", strings.Join(allRoles, ","), "what this process runs, comma-separated: consume (the ClickHouse writer and status refresher), api (HTTP API, feeds, dashboard), alerts (rule evaluation and deliveries); a process without every role joins NATS_URL and CLICKHOUSE_ADDR, or the serve running on --data-dir")
	f.str(&c.StatusRefresh, "status-refresh", "COALITION_STATUS_REFRESH", "1s", "how often status snapshots are checked and recomputed when events arrived (docs/performance.md); 0 turns the refresher off")
	f.str(&c.MemoryLimit, "memory-limit", "COALITION_MEMORY_LIMIT", defaultMemoryLimit, "Go runtime soft memory limit such as 192MiB (GOMEMLIMIT wins when set and this flag is not given); 0: none (docs/performance.md)")
	f.str(&c.AlertRules, "alert-rules", "COALITION_ALERT_RULES", "", "alert rules file (docs/alerts.md), reloaded on change; empty: no alerts")
	secretFlag(f, &c.WriteToken, "write-token", "COALITION_WRITE_TOKEN", "bearer token that POST /api/v1/events needs; none: no token (local development only); empty: a random one, printed once")
	f.str(&c.WriteTokenFile, "write-token-file", "COALITION_WRITE_TOKEN_FILE", "", "file holding the write token (instead of --write-token)")
	secretFlag(f, &c.ReadToken, "read-token", "COALITION_READ_TOKEN", "bearer token that reads (/api/v1, /metrics, the dashboard) need; empty: reads are open")
	f.str(&c.ReadTokenFile, "read-token-file", "COALITION_READ_TOKEN_FILE", "", "file holding the read token (instead of --read-token)")
}

// streamConfig reads the stream flags.
func (c *serveConfig) streamConfig() (natsjs.StreamConfig, error) {
	sc := natsjs.StreamConfig{MaxBytes: int64(c.StreamMaxBytes), Replicas: c.StreamReplicas}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		return sc, usageError{fmt.Errorf("--stream-replicas %d: want 1 to 5", c.StreamReplicas)}
	}
	var err error
	if sc.MaxAge, err = time.ParseDuration(c.StreamMaxAge); err != nil || sc.MaxAge < 0 {
		return sc, usageError{fmt.Errorf("--stream-max-age %q: want a duration such as 2160h, or 0", c.StreamMaxAge)}
	}
	if sc.Duplicates, err = time.ParseDuration(c.StreamDupes); err != nil || sc.Duplicates <= 0 {
		return sc, usageError{fmt.Errorf("--stream-duplicates %q: want a positive duration such as 10m", c.StreamDupes)}
	}
	for _, p := range splitList(c.StreamPlace) {
		k, v, ok := strings.Cut(p, "=")
		switch {
		case ok && k == "cluster" && v != "":
			sc.PlacementCluster = v
		case ok && k == "tag" && v != "":
			sc.PlacementTags = append(sc.PlacementTags, v)
		default:
			return sc, usageError{fmt.Errorf("--stream-placement: %q is not cluster=NAME or tag=T", p)}
		}
	}
	return sc, nil
}

// secretFlag registers a string flag that falls back to an environment
// variable, like flags.str, but whose help never shows that value: tokens
// and passwords.
func secretFlag(f *flags, p *string, name, envName, help string) {
	f.StringVar(p, name, "", help+" (env "+envName+")")
	*p = f.env(envName)
}

// generateWriteToken gives serve and demo a random write token when none
// is configured, and reports whether it did.
func (c *serveConfig) generateWriteToken() (bool, error) {
	if c.WriteToken != "" || c.WriteTokenFile != "" {
		return false, nil
	}
	tok, err := httpapi.NewToken()
	if err != nil {
		return false, fmt.Errorf("generate a write token: %w", err)
	}
	c.WriteToken = tok
	return true, nil
}

// httpTokens returns the write and read tokens ("" for none), read from
// their files when given.
func (c *serveConfig) httpTokens() (write, read string, err error) {
	token := func(name, value, file string) (string, error) {
		if value != "" && file != "" {
			return "", usageError{fmt.Errorf("--%s and --%s-file: give one of them", name, name)}
		}
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return "", usageError{fmt.Errorf("--%s-file: %w", name, err)}
			}
			if value = strings.TrimSpace(string(b)); value == "" {
				return "", usageError{fmt.Errorf("--%s-file %s is empty", name, file)}
			}
		}
		if value == "none" {
			return "", nil
		}
		if strings.ContainsFunc(value, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return "", usageError{fmt.Errorf("--%s: the token must not contain spaces or control characters", name)}
		}
		return value, nil
	}
	if write, err = token("write-token", c.WriteToken, c.WriteTokenFile); err != nil {
		return "", "", err
	}
	if read, err = token("read-token", c.ReadToken, c.ReadTokenFile); err != nil {
		return "", "", err
	}
	return write, read, nil
}

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
		a.Log.Info("running", "roles", a.roles.String(), "health", a.health.URL(), "nats", a.NATSURL, "clickhouse", a.CHAddrs)
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
		Durable: cfg.Durable, Batch: cfg.Batch, AckWait: ackWait, MaxDeliveries: cfg.MaxDeliveries,
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
	a.Log.Info("serving", "roles", a.roles.String(), "http", a.HTTP.URL(), "nats", a.NATSURL, "clickhouse", a.CHAddrs)
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

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runServeAs(ctx, "serve", "Runs NATS JetStream (embedded unless NATS_URL is set), ClickHouse (private unless\nCLICKHOUSE_ADDR is set), the consumer that writes events to ClickHouse, and the HTTP API.\nSIGINT or SIGTERM stores the batch in flight and exits.", "", args, stdout, stderr)
}

// runServeAs runs serve, or one of its roles alone (roles non-empty: the
// default of --roles for this command).
func runServeAs(ctx context.Context, name, summary, roles string, args []string, stdout, stderr io.Writer) error {
	var cfg serveConfig
	f := newFlags(name, summary, stderr, nil)
	cfg.register(f)
	if roles != "" {
		fl := f.Lookup("roles")
		fl.DefValue = roles
		_ = fl.Value.Set(roles)
	}
	if err := f.parse(args); err != nil {
		return err
	}
	if err := setMemoryLimit(cfg.MemoryLimit, f.isSet("memory-limit")); err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	rs, err := parseRoles(cfg.Roles)
	if err != nil {
		return err
	}
	generated := false
	if rs[RoleAPI] {
		if generated, err = cfg.generateWriteToken(); err != nil {
			return err
		}
	}
	app := &App{Config: cfg, Log: log}
	if err := app.Open(ctx); err != nil {
		return err
	}
	if rs.all() {
		fmt.Fprintf(stdout, "Coalition is running: %s\n", app.URL())
	} else {
		fmt.Fprintf(stdout, "Coalition is running: %s (%s)\n", app.URL(), rs)
	}
	if generated {
		// On stdout, once, never in the log.
		fmt.Fprintf(stdout, "Write token (generated for this run; set COALITION_WRITE_TOKEN to choose one): %s\n", cfg.WriteToken)
	}
	<-ctx.Done()
	log.Info("shutting down")
	shutdownStart := time.Now()
	err = app.Close()
	log.Info("stopped", "took", time.Since(shutdownStart).Round(time.Millisecond))
	return err
}

func runConsume(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runServeAs(ctx, "consume", `Runs the ClickHouse writer and the status refresher alone: the consume role of serve.
Any number of consume processes share one durable JetStream consumer (--durable) and
give the same numbers as one. It joins NATS_URL and CLICKHOUSE_ADDR, or the serve
running on --data-dir; --http serves /livez, /readyz and /metrics.`, RoleConsume, args, stdout, stderr)
}

func runAPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runServeAs(ctx, "api", `Runs the HTTP API, the live feeds and the dashboard alone: the api role of serve.
It joins NATS_URL and CLICKHOUSE_ADDR, or the serve running on --data-dir.`, RoleAPI, args, stdout, stderr)
}

func runAlertsRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runServeAs(ctx, "alerts run", `Runs alert rule evaluation and deliveries alone: the alerts role of serve
(--alert-rules is required). It joins NATS_URL, or the serve running on --data-dir;
--http serves /livez, /readyz and /metrics.`, RoleAlerts, args, stdout, stderr)
}
