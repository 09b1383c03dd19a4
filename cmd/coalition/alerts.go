package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

const alertsUsage = `Usage:
  coalition alerts tail [--rule R] [--since T | --last N] [--format text|json] [--once]
                        follow raised alerts (COALITION_ALERTS), one line each
  coalition alerts check --rules FILE
                        validate an alert rules file and print its rules
  coalition alerts run --alert-rules FILE
                        evaluate the rules and deliver alerts, alone (the
                        alerts role of serve; coalition alerts run --help)

Rules files are described in docs/alerts.md. serve evaluates them with
--alert-rules FILE (env COALITION_ALERT_RULES).
`

// runAlerts runs "coalition alerts SUBCOMMAND".
func runAlerts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runAlertsEnv(ctx, args, stdout, stderr, os.LookupEnv)
}

// runAlertsEnv is runAlerts with the environment given by lookup (flags'
// defaults and ${VAR} in rules files), for tests.
func runAlertsEnv(ctx context.Context, args []string, stdout, stderr io.Writer, lookup alerts.LookupEnv) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, alertsUsage)
		return usageError{errors.New("alerts: want a subcommand: tail, check or run")}
	}
	getenv := func(k string) string { v, _ := lookup(k); return v }
	switch args[0] {
	case "tail":
		return runAlertsTail(ctx, args[1:], stdout, stderr, getenv)
	case "check":
		return runAlertsCheck(args[1:], stdout, stderr, lookup)
	case "run":
		return runAlertsRun(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, alertsUsage)
		return nil
	}
	fmt.Fprint(stderr, alertsUsage)
	return usageError{fmt.Errorf("alerts: unknown subcommand %q", args[0])}
}

func runAlertsTail(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg commonConfig
	var rule, since, format string
	var last int
	var once bool
	f := newFlags("alerts tail", `Follows the alerts raised on COALITION_ALERTS, one line each, until interrupted.
Without --since or --last it prints the alerts raised from now on (with --once: all of them).`, stderr, getenv)
	cfg.register(f)
	f.str(&rule, "rule", "", "", "only the alerts of this rule")
	f.str(&since, "since", "", "", "start after a stream sequence (17), or at a time the alerts were stored (2015-11-27, 2015-11-27T12:00:00Z) or a duration ago (1h)")
	f.IntVar(&last, "last", 0, "start with the last N alerts")
	f.str(&format, "format", "", "text", "text or json (one JSON object per line: seq, alert)")
	f.BoolVar(&once, "once", false, "print what the stream holds and exit")
	if err := f.parse(args); err != nil {
		return err
	}
	if format != "text" && format != "json" {
		return usageError{fmt.Errorf("--format %q: want text or json", format)}
	}
	if since != "" && last != 0 {
		return usageError{errors.New("--since and --last exclude each other")}
	}
	if last < 0 {
		return usageError{fmt.Errorf("--last %d: want a positive count", last)}
	}
	subject := natsjs.AlertSubjects
	if rule != "" {
		if !alerts.ValidName(rule) {
			return usageError{fmt.Errorf("--rule %q: not a rule name (lower-case letters, digits, hyphens)", rule)}
		}
		subject = natsjs.AlertSubject(rule)
	}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverNewPolicy}
	switch {
	case last > 0 || (since == "" && once):
		occ.DeliverPolicy = jetstream.DeliverAllPolicy
	case since == "":
	default:
		if err := startFrom(&occ, since); err != nil {
			return err
		}
	}
	nc, err := connectForClient(&cfg)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if _, err := js.Stream(ctx, natsjs.AlertStream); err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return schema.Errorf(schema.ENOTFOUND, "no alert stream %s yet: start `coalition serve --alert-rules FILE`", natsjs.AlertStream)
		}
		return fmt.Errorf("alert stream: %w", err)
	}
	cons, err := js.OrderedConsumer(ctx, natsjs.AlertStream, occ)
	if err != nil {
		return fmt.Errorf("follow %s: %w", natsjs.AlertStream, err)
	}
	emit := func(seq uint64, data []byte) error {
		line, err := alertLine(seq, data, format)
		if err != nil {
			return nil // not an alert: skip it
		}
		_, err = fmt.Fprintln(stdout, line)
		return err
	}
	// With --last, alerts are held back (the last N kept) until the
	// consumer has caught up with the stream.
	type held struct {
		seq  uint64
		data []byte
	}
	var ring []held
	catching := last > 0
	flush := func() error {
		for _, h := range ring {
			if err := emit(h.seq, h.data); err != nil {
				return err
			}
		}
		ring, catching = nil, false
		return nil
	}
	for {
		fctx, cancel := context.WithTimeout(ctx, time.Second)
		msg, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if catching {
				if err := flush(); err != nil {
					return err
				}
			}
			if once {
				return nil // nothing more within a second: caught up
			}
			continue
		}
		md, err := msg.Metadata()
		if err != nil {
			continue
		}
		seq := md.Sequence.Stream
		if catching {
			ring = append(ring, held{seq, msg.Data()})
			if len(ring) > last {
				ring = ring[1:]
			}
			if md.NumPending == 0 {
				if err := flush(); err != nil {
					return err
				}
			}
		} else if err := emit(seq, msg.Data()); err != nil {
			return err
		}
		if once && md.NumPending == 0 {
			return nil
		}
	}
}

// alertLine renders one alert of the stream.
func alertLine(seq uint64, data []byte, format string) (string, error) {
	var a schema.Alert
	if err := json.Unmarshal(data, &a); err != nil {
		return "", err
	}
	if format == "json" {
		b, err := json.Marshal(struct {
			Seq   uint64          `json:"seq"`
			Alert json.RawMessage `json:"alert"`
		}{seq, data})
		return string(b), err
	}
	return fmt.Sprintf("%d  %s  %-18s %s", seq, a.RaisedAt.UTC().Format(time.RFC3339), a.Rule, a.Message), nil
}

func runAlertsCheck(args []string, stdout, stderr io.Writer, lookup alerts.LookupEnv) error {
	var path string
	f := newFlags("alerts check", "Validates an alert rules file (docs/alerts.md) and prints its rules and subscribers;\nsecrets are never printed. ${VAR} is expanded from the environment.", stderr,
		func(k string) string { v, _ := lookup(k); return v })
	f.str(&path, "rules", "COALITION_ALERT_RULES", "", "the rules file")
	if err := f.parse(args); err != nil {
		return err
	}
	if path == "" && f.NArg() == 1 {
		path = f.Arg(0)
	}
	if path == "" {
		return usageError{errors.New("alerts check: --rules FILE is required")}
	}
	rs, err := alerts.LoadRulesEnv(path, lookup)
	if err != nil {
		if ps := schema.ErrorProblems(err); len(ps) > 0 {
			for _, p := range ps {
				fmt.Fprintf(stderr, "%s: %s\n", path, p)
			}
			return schema.Errorf(schema.EINVALID, "%s: %d problem(s); the rules were not loaded", path, len(ps))
		}
		return err
	}
	return writeRuleSet(stdout, rs)
}

// writeRuleSet prints rules and subscribers as two tables.
func writeRuleSet(w io.Writer, rs *alerts.RuleSet) error {
	fmt.Fprintf(w, "%s: %d rules, %d subscribers (sha256 %s)\n\n", rs.Path, len(rs.Rules), len(rs.Subscribers), rs.Hash[:12])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tKIND\tPARAMETER\tCOALITION\tCOUNTRIES\tCOOLDOWN\tSUBSCRIBERS")
	for _, r := range rs.Rules {
		param := "-"
		switch {
		case r.Steps > 0:
			param = fmt.Sprintf("steps %d", r.Steps)
		case r.Days > 0:
			param = fmt.Sprintf("days %d", r.Days)
		case r.Threshold > 0:
			param = fmt.Sprintf("threshold %d", r.Threshold)
		}
		cooldown := "-"
		if r.Cooldown > 0 {
			cooldown = r.Cooldown.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, param, alertDash(r.Coalition),
			alertDash(strings.Join(r.Countries, ",")), cooldown, alertDash(strings.Join(r.Subscribers, ", ")))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "SUBSCRIBER\tURL\tSECRET\tRULES")
	for _, s := range rs.Subscribers {
		fmt.Fprintf(tw, "%s\t%s\tset\t%s\n", s.Name, s.URL, alertDash(strings.Join(rs.RulesFor(s.Name), ", ")))
	}
	return tw.Flush()
}

// startAlertService starts the alert engine and webhook deliveries of
// serve on the rules file at rulesPath, their metrics registered with reg;
// it returns nil and no error when rulesPath is empty (alerts are off).
// Close the Service before the NATS connection.
func startAlertService(ctx context.Context, nc *nats.Conn, rulesPath string, reg prometheus.Registerer, log *slog.Logger) (*alerts.Service, error) {
	if rulesPath == "" {
		return nil, nil
	}
	svc, err := alerts.Start(ctx, nc, alerts.Config{
		RulesPath: rulesPath, Logger: log.With("part", "alerts"),
		Webhooks: alerts.WebhookConfig{Metrics: alerts.NewMetrics(reg)},
	})
	if err != nil {
		return nil, fmt.Errorf("--alert-rules: %w", err)
	}
	return svc, nil
}

func alertDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// startFrom makes an ordered consumer start after a stream sequence, a
// duration ago (2h), or at a moment (2015-11-27, RFC 3339), as --since
// says for alerts tail and watch.
func startFrom(occ *jetstream.OrderedConsumerConfig, since string) error {
	if n, err := strconv.ParseUint(since, 10, 64); err == nil {
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, n+1
		return nil
	}
	t, err := clickhouse.ParseSince(since, time.Now())
	if d, derr := time.ParseDuration(since); derr == nil && d > 0 {
		t, err = time.Now().Add(-d), nil
	}
	if err != nil {
		return usageError{fmt.Errorf("--since: %v", err)}
	}
	occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	return nil
}
