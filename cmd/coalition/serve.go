package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

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
