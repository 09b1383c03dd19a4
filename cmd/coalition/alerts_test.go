package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

var updateAlertGolden = flag.Bool("update-alerts", false, "rewrite testdata/alerts/*.txt from the alerts command's output")

const alertRulesFile = "../../testdata/alerts/paris.yaml"

// alertEnv is the environment the alerts tests give the command and the
// rules file (never the process's own).
func alertEnv(vars map[string]string) alerts.LookupEnv {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// checkAlertGolden compares output with a golden file in testdata/alerts.
func checkAlertGolden(tb testing.TB, name, got string) {
	tb.Helper()
	path := "../../testdata/alerts/" + name
	if *updateAlertGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update-alerts to create it)", err)
	}
	if got != string(want) {
		tb.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// lockedBuffer is a bytes.Buffer safe to write from one goroutine and read
// from another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startParisAlerts publishes the Paris scenario and one more statement
// (Italy turns skeptical) to a private NATS server, runs the alert service
// on testdata/alerts/paris.yaml with its clock at 2015-11-28, and waits
// until every event is evaluated. It returns the server's URL and a
// client connection.
func startParisAlerts(tb testing.TB) (string, *nats.Conn) {
	tb.Helper()
	_, url := testkit.NATSListening(tb)
	nc, err := nats.Connect(url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{}); err != nil {
		tb.Fatal(err)
	}
	var evs []*schema.Event
	err = schema.ReadNDJSON(bytes.NewReader(scenarios.Paris2015), func(line int, ev schema.Event, err error) error {
		if err != nil {
			tb.Fatalf("scenario line %d: %v", line, err)
		}
		evs = append(evs, &ev)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	ita, err := schema.ParseEvent([]byte(`{"id":"0190f5e8-4c00-7a00-8000-000000260100","kind":"statement","coalition":"paris-2015","actor":"ITA",
		"occurred_at":"2015-11-27T10:00:00Z","reported_at":"2015-11-27T11:00:00Z","source":"https://example.org/ita","statement":{"stance":-1}}`))
	if err != nil {
		tb.Fatal(err)
	}
	evs = append(evs, &ita)
	pub, err := producers.NewPublisher(nc)
	if err != nil {
		tb.Fatal(err)
	}
	for _, res := range pub.PublishBatch(ctx, evs) {
		if res.Err != nil {
			tb.Fatal(res.Err)
		}
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tb.Cleanup(hook.Close)
	svc, err := alerts.Start(ctx, nc, alerts.Config{
		RulesPath: alertRulesFile,
		Lookup: alertEnv(map[string]string{
			"NEWSROOM_URL": hook.URL, "NEWSROOM_SECRET": "n", "ANALYSTS_URL": hook.URL, "ANALYSTS_SECRET": "a",
		}),
		Clock:  func() time.Time { return time.Date(2015, 11, 28, 0, 0, 0, 0, time.UTC) },
		Engine: alerts.EngineConfig{MaxWait: 50 * time.Millisecond},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = svc.Close() })
	if err := natsjs.WaitAcked(ctx, js, natsjs.EventStream, alerts.DefaultEvaluator, 20*time.Second); err != nil {
		tb.Fatal(err)
	}
	return url, nc
}

func TestAlertsTail(t *testing.T) {
	t.Parallel()
	url, nc := startParisAlerts(t)
	env := alertEnv(nil)
	tail := func(t *testing.T, args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := runAlertsEnv(ctx, append(append([]string{"tail"}, args...), "--nats-url", url), &out, &errb, env)
		code := exitCode(err, &errb)
		return out.String(), errb.String(), code
	}

	all, _, code := tail(t, "--once")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	checkAlertGolden(t, "paris.tail.txt", all)
	lines := strings.Split(strings.TrimSuffix(all, "\n"), "\n")
	if len(lines) != 16 {
		t.Fatalf("%d alerts, want 16", len(lines))
	}

	t.Run("Rule", func(t *testing.T) {
		out, _, code := tail(t, "--once", "--rule", "first-pledge", "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		var countries []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var v struct {
				Seq   uint64
				Alert schema.Alert
			}
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if v.Alert.Rule != "first-pledge" || v.Seq == 0 || v.Alert.ID == "" {
				t.Errorf("line %q", l)
			}
			countries = append(countries, v.Alert.Country)
		}
		if got, want := strings.Join(countries, " "), "FRA GBR DEU RUS"; got != want {
			t.Errorf("first pledges by %s, want %s", got, want)
		}
	})

	t.Run("Last", func(t *testing.T) {
		out, _, _ := tail(t, "--once", "--last", "2")
		if want := strings.Join(lines[14:], "\n") + "\n"; out != want {
			t.Errorf("--last 2:\ngot  %q\nwant %q", out, want)
		}
		out, _, _ = tail(t, "--once", "--last", "1", "--rule", "stance-drop")
		if !strings.Contains(out, "ITA (Italy)'s stance toward paris-2015 fell 2 steps") || strings.Count(out, "\n") != 1 {
			t.Errorf("--last 1 --rule stance-drop: %q", out)
		}
	})

	t.Run("Since", func(t *testing.T) {
		out, _, _ := tail(t, "--once", "--since", "13")
		if want := strings.Join(lines[13:], "\n") + "\n"; out != want {
			t.Errorf("--since 13:\ngot  %q\nwant %q", out, want)
		}
	})

	t.Run("Usage", func(t *testing.T) {
		for _, args := range [][]string{{"--rule", "a.b"}, {"--since", "1", "--last", "2"}, {"--format", "xml"}, {"--last", "-1"}} {
			if _, errs, code := tail(t, append(args, "--once")...); code != 2 {
				t.Errorf("%v: exit %d (%s), want 2", args, code, errs)
			}
		}
		var errb bytes.Buffer
		if code := exitCode(runAlertsEnv(context.Background(), nil, &bytes.Buffer{}, &errb, env), &errb); code != 2 {
			t.Errorf("no subcommand: exit %d", code)
		}
		if code := exitCode(runAlertsEnv(context.Background(), []string{"tial"}, &bytes.Buffer{}, &errb, env), &errb); code != 2 {
			t.Errorf("unknown subcommand: exit %d", code)
		}
	})

	t.Run("Follow", func(t *testing.T) {
		// Without --once, tail prints new alerts as they are raised until
		// interrupted (--since 16: after the scenario's alerts, however
		// long subscribing takes).
		var out lockedBuffer
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- runAlertsEnv(ctx, []string{"tail", "--since", "16", "--nats-url", url}, &out, &bytes.Buffer{}, env)
		}()
		ev, err := schema.ParseEvent([]byte(`{"id":"0190f5e8-4c00-7a00-8000-000000260101","kind":"withdrawal","coalition":"paris-2015","actor":"GBR",
			"occurred_at":"2015-11-27T12:00:00Z","reported_at":"2015-11-27T13:00:00Z","source":"https://example.org/gbr",
			"withdrawal":{"commitment_id":"gbr-syria-airstrikes-2015","reason":"no vote in the Commons"}}`))
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := producers.NewPublisher(nc)
		if res := pub.Publish(ctx, &ev); res.Err != nil {
			t.Fatal(res.Err)
		}
		want := "17  2015-11-28T00:00:00Z  pledge-withdrawn   GBR (United Kingdom) withdrew commitment gbr-syria-airstrikes-2015 in paris-2015: no vote in the Commons\n"
		deadline := time.Now().Add(10 * time.Second)
		for out.String() != want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("tail returned %v", err)
		}
		if got := out.String(); got != want {
			t.Errorf("followed:\ngot  %q\nwant %q", got, want)
		}
	})
}

func TestAlertsCheck(t *testing.T) {
	t.Parallel()
	check := func(env alerts.LookupEnv, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		err := runAlertsEnv(context.Background(), append([]string{"check"}, args...), &out, &errb, env)
		code := exitCode(err, &errb)
		return out.String(), errb.String(), code
	}
	secrets := alertEnv(map[string]string{"NEWSROOM_SECRET": "newsroom-secret", "ANALYSTS_SECRET": "analysts-secret"})

	t.Run("Valid", func(t *testing.T) {
		out, errs, code := check(secrets, "--rules", alertRulesFile)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		first, rest, _ := strings.Cut(out, "\n")
		if !strings.HasPrefix(first, alertRulesFile+": 6 rules, 2 subscribers (sha256 ") {
			t.Errorf("first line %q", first)
		}
		checkAlertGolden(t, "paris.check.txt", rest)
		if strings.Contains(out, "newsroom-secret") {
			t.Error("a secret was printed")
		}
		// The environment variable is the flag's default.
		out2, _, _ := check(alertEnv(map[string]string{"NEWSROOM_SECRET": "x", "ANALYSTS_SECRET": "y", "COALITION_ALERT_RULES": alertRulesFile}))
		if !strings.HasPrefix(out2, alertRulesFile+": 6 rules") {
			t.Errorf("with COALITION_ALERT_RULES: %q", out2)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		path := t.TempDir() + "/bad.yaml"
		if err := os.WriteFile(path, []byte("rules:\n  - {name: drop, kind: stance_drop, subscribers: [pager]}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errs, code := check(secrets, "--rules", path)
		if code != 3 {
			t.Errorf("exit %d, want 3", code)
		}
		for _, want := range []string{
			path + `: line 2: rules[0].steps: rule "drop": required for kind stance_drop`,
			path + `: line 2: rules[0].subscribers[0]: rule "drop": unknown subscriber "pager" (the file defines no subscribers)`,
			"coalition: " + path + ": 2 problem(s); the rules were not loaded",
		} {
			if !strings.Contains(errs, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errs)
			}
		}
	})

	t.Run("MissingSecret", func(t *testing.T) {
		_, errs, code := check(alertEnv(nil), "--rules", alertRulesFile)
		if code != 3 || !strings.Contains(errs, `subscribers[0].secret: subscriber "newsroom": environment variable NEWSROOM_SECRET is not set`) {
			t.Errorf("exit %d:\n%s", code, errs)
		}
	})

	t.Run("Usage", func(t *testing.T) {
		if _, _, code := check(alertEnv(nil)); code != 2 {
			t.Errorf("no file: exit %d, want 2", code)
		}
		if _, _, code := check(secrets, "--rules", t.TempDir()+"/missing.yaml"); code != 4 {
			t.Errorf("missing file: exit %d, want 4 (not found)", code)
		}
	})
}
