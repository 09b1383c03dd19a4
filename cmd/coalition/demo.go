package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg serveConfig
	var once bool
	var scenarioFile string
	f := newFlags("demo", `Runs serve, replays the Paris 2015 scenario (France's push for a coalition after the
attacks of 13 November 2015) through NATS JetStream into ClickHouse, prints each
country's status and the URL to open, and keeps running until interrupted.`, stderr, nil)
	cfg.register(f)
	f.BoolVar(&once, "once", false, "exit once the scenario has been consumed (for scripts and tests)")
	f.str(&scenarioFile, "scenario", "", "", "NDJSON file to replay instead of the built-in Paris 2015 scenario")
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
	scenario, coalition := scenarios.Paris2015, scenarios.Paris2015Coalition
	if scenarioFile != "" {
		if scenario, err = os.ReadFile(scenarioFile); err != nil {
			return schema.Errorf(schema.EINVALID, "read scenario: %v", err)
		}
		coalition = ""
	}
	if cfg.AlertRules == "" {
		// Alerts on by default, delivered to a receiver inside the demo.
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return err
		}
		recv, path, err := startDemoAlerts(cfg.DataDir, log)
		if err != nil {
			return err
		}
		defer recv.Close()
		cfg.AlertRules = path
	}
	generated, err := cfg.generateWriteToken()
	if err != nil {
		return err
	}
	app := &App{Config: cfg, Log: log}
	if err := app.Open(ctx); err != nil {
		return err
	}
	defer app.Close()

	start := time.Now()
	sum, err := publishNDJSON(ctx, app.Publisher, bytes.NewReader(scenario), io.Discard, stderr)
	if err != nil {
		return err
	}
	if sum.failed > 0 || sum.invalid > 0 {
		return fmt.Errorf("scenario: %d events failed and %d were invalid", sum.failed, sum.invalid)
	}
	if err := app.WaitConsumed(ctx, time.Minute); err != nil {
		return err
	}
	log.Info("scenario replayed", "events", sum.published, "took", time.Since(start).Round(time.Millisecond))
	if coalition == "" {
		cs, err := app.Store.Coalitions(ctx)
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			coalition = cs[0]
		}
	}
	now := time.Now()
	sts, err := app.Store.CountryStatusAsOf(ctx, coalition, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Replayed %d events through NATS JetStream into ClickHouse.\n\n", sum.published)
	if err := writeStatus(stdout, "table", coalition, now, sts); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nOpen %s/ for the dashboard, %s/api/v1/countries for JSON.\n", app.HTTP.URL(), app.HTTP.URL())
	auth := ""
	switch {
	case generated:
		fmt.Fprintf(stdout, "Write token (generated for this run; set COALITION_WRITE_TOKEN to choose one): %s\n", cfg.WriteToken)
		auth = "-H 'Authorization: Bearer " + cfg.WriteToken + "' "
	case cfg.WriteToken != "none":
		auth = `-H "Authorization: Bearer $COALITION_WRITE_TOKEN" `
	}
	fmt.Fprintf(stdout, "Post an event:\n  curl %s-H 'Content-Type: application/json' -d '%s' %s/api/v1/events\n",
		auth, fmt.Sprintf(demoCurlEvent, coalition), app.HTTP.URL())
	if app.NATSURL != "" {
		fmt.Fprintf(stdout, "NATS is at %s: publish more with `coalition publish`, or subscribe to coalition.%s.>.\n", app.NATSURL, coalition)
	}
	if once {
		return nil
	}
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

// demoCurlEvent is the event of the curl example demo prints: Italy
// states its support (%s is the coalition).
const demoCurlEvent = `{"kind":"statement","coalition":"%s","actor":"ITA","occurred_at":"2015-11-30T12:00:00Z","source":"https://example.org/ita-statement","statement":{"stance":1}}`

// WaitConsumed waits until the consumer has stored and acked everything in
// the event stream.
func (a *App) WaitConsumed(ctx context.Context, timeout time.Duration) error {
	js, err := jetstream.New(a.NC)
	if err != nil {
		return err
	}
	if err := natsjs.WaitAcked(ctx, js, natsjs.EventStream, a.Config.Durable, timeout); err != nil {
		return fmt.Errorf("events not consumed: %w (is ClickHouse answering? see the log)", err)
	}
	return nil
}
