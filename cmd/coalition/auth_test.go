package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

// authRequest sends method url with an optional bearer token and body, and
// returns the status and the body.
func authRequest(tb testing.TB, method, url, token, body string) (int, string) {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// OpenAppLogged is MustOpenApp with the program's log written to logs at
// debug level.
func OpenAppLogged(tb testing.TB, logs io.Writer, extra ...string) *App {
	tb.Helper()
	addr, db := testkit.ClickHouse(tb)
	var cfg serveConfig
	f := newFlags("serve", "", io.Discard, func(string) string { return "" })
	cfg.register(f)
	if err := f.parse(append([]string{
		"--data-dir", tb.TempDir(), "--http", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0",
		"--clickhouse-addr", addr, "--clickhouse-database", db, "--batch", "100", "--log-level", "debug",
	}, extra...)); err != nil {
		tb.Fatal(err)
	}
	log, err := cfg.logger(logs)
	if err != nil {
		tb.Fatal(err)
	}
	app := &App{Config: cfg, Log: log}
	if err := app.Open(context.Background()); err != nil {
		tb.Fatalf("open app: %v", err)
	}
	tb.Cleanup(func() {
		if err := app.Close(); err != nil {
			tb.Errorf("close app: %v", err)
		}
	})
	return app
}

// TestWriteToken posts events to an app started with --write-token: no
// token and a wrong one are refused, the right one publishes; reads stay
// open; the log records the refusals without the tokens.
func TestWriteToken(t *testing.T) {
	t.Parallel()
	const token, wrong = "s3cret-write-token-0123", "wrong-token-never-logged"
	var logs lockedBuffer
	app := OpenAppLogged(t, &logs, "--write-token", token)
	url := app.HTTP.URL() + "/api/v1/events"
	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"ErrNoToken", "", http.StatusUnauthorized},
		{"ErrWrongToken", wrong, http.StatusUnauthorized},
		{"RightToken", token, http.StatusAccepted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := authRequest(t, "POST", url, tc.token, validPledge)
			if code != tc.status {
				t.Fatalf("got %d %s, want %d", code, body, tc.status)
			}
		})
	}
	if err := app.WaitConsumed(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Run("ReadsOpen", func(t *testing.T) {
		getJSON(t, app.HTTP.URL()+"/api/v1/countries/DEU", http.StatusOK, nil)
		getJSON(t, app.HTTP.URL()+"/metrics", http.StatusOK, nil)
	})
	t.Run("NotLogged", func(t *testing.T) {
		out := logs.String()
		if n := strings.Count(out, "http request refused"); n != 2 {
			t.Errorf("got %d refusals in the log, want 2:\n%s", n, out)
		}
		for _, secret := range []string{token, wrong} {
			if strings.Contains(out, secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
	})
}

// TestReadToken reads from an app started with --read-token: the API, the
// metrics and the dashboard need it (by header, ?token= or the dashboard's
// cookie); the probes do not; the live feed takes ?token= as EventSource
// sends it.
func TestReadToken(t *testing.T) {
	t.Parallel()
	const write, read = "write-token-4f2a9c1e7b", "read-token-8d3b6e0a5c"
	app := MustOpenApp(t, "--write-token", write, "--read-token", read)
	base := app.HTTP.URL()
	if code, body := authRequest(t, "POST", base+"/api/v1/events", write, validPledge); code != http.StatusAccepted {
		t.Fatalf("post: got %d %s", code, body)
	}
	if err := app.WaitConsumed(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		path   string
		token  string
		status int
	}{
		{"ErrNoToken", "/api/v1/countries/DEU", "", http.StatusUnauthorized},
		{"ErrWrongToken", "/api/v1/countries/DEU", "nope", http.StatusUnauthorized},
		{"ReadToken", "/api/v1/countries/DEU", read, http.StatusOK},
		{"WriteTokenReads", "/api/v1/countries/DEU", write, http.StatusOK},
		{"QueryToken", "/api/v1/countries/DEU?token=" + read, "", http.StatusOK},
		{"ErrMetricsNoToken", "/metrics", "", http.StatusUnauthorized},
		{"Metrics", "/metrics", read, http.StatusOK},
		{"ErrDashboardNoToken", "/", "", http.StatusUnauthorized},
		{"DashboardTokenSetsCookie", "/?token=" + read, "", http.StatusSeeOther},
		{"ErrAlertsNoToken", "/api/v1/alerts", "", http.StatusUnauthorized},
		{"LivezOpen", "/livez", "", http.StatusOK},
		{"ReadyzOpen", "/readyz", "", http.StatusOK},
		{"StaticOpen", "/static/app.css", "", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := authRequest(t, "GET", base+tc.path, tc.token, "")
			if code != tc.status {
				t.Fatalf("GET %s: got %d %s, want %d", tc.path, code, body, tc.status)
			}
		})
	}
	t.Run("DashboardCookie", func(t *testing.T) {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{Jar: jar}
		resp, err := client.Get(base + "/?token=" + read)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("Germany")) || resp.Request.URL.RawQuery != "" {
			t.Fatalf("dashboard through the cookie: got %d at %s, want 200 with Germany at /", resp.StatusCode, resp.Request.URL)
		}
		resp, err = client.Get(base + "/api/v1/alerts/feed")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Errorf("alert feed with the cookie: got %d %s, want an event stream", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
	t.Run("FeedQueryToken", func(t *testing.T) {
		if code, _ := authRequest(t, "GET", base+"/api/v1/feed?since=0", "", ""); code != http.StatusUnauthorized {
			t.Errorf("feed without a token: got %d, want 401", code)
		}
		_, br := openFeed(t, base+"/api/v1/feed?since=2000-01-01&token="+read, "")
		frames := readFrames(t, br, 1, 10*time.Second)
		if !strings.Contains(frames[0].data, "DEU") {
			t.Errorf("first frame: got %+v, want the DEU pledge", frames[0])
		}
	})
}

// runCommand runs the program with args until it prints want on stdout,
// and returns its stdout and stderr (so far), and a stop function that
// interrupts it and returns its exit code.
func runCommand(tb testing.TB, want string, args ...string) (stdout, stderr *lockedBuffer, stop func() int) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, args, nil, stdout, stderr) }()
	stop = func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(time.Minute):
			tb.Fatal("the program did not stop within a minute")
			return -1
		}
	}
	for deadline := time.Now().Add(2 * time.Minute); !strings.Contains(stdout.String(), want); time.Sleep(20 * time.Millisecond) {
		select {
		case code := <-done:
			tb.Fatalf("%s exited %d before printing %q\nstdout:\n%s\nstderr:\n%s", args[0], code, want, stdout, stderr)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			tb.Fatalf("%s did not print %q\nstdout:\n%s\nstderr:\n%s", args[0], want, stdout, stderr)
		}
	}
	return stdout, stderr, stop
}

var (
	generatedTokenRe = regexp.MustCompile(`Write token \(generated for this run[^)]*\): ([A-Za-z0-9_-]{43})\n`)
	runningRe        = regexp.MustCompile(`Coalition is running: (http://\S+)\n`)
	curlRe           = regexp.MustCompile(`\n  curl -H 'Authorization: Bearer ([A-Za-z0-9_-]+)' -H 'Content-Type: application/json' -d '(\{[^']*\})' (http://\S+)\n`)
)

// TestServeGeneratesWriteToken runs `coalition serve` without a write
// token: it prints a generated one on stdout, once, and not in its log;
// posts need it.
func TestServeGeneratesWriteToken(t *testing.T) {
	t.Parallel()
	if os.Getenv("COALITION_WRITE_TOKEN") != "" || os.Getenv("COALITION_WRITE_TOKEN_FILE") != "" {
		t.Skip("a write token is set in the environment")
	}
	addr, db := testkit.ClickHouse(t)
	stdout, stderr, stop := runCommand(t, "Write token", "serve", "--data-dir", t.TempDir(), "--http", "127.0.0.1:0", "--nats-listen", "",
		"--clickhouse-addr", addr, "--clickhouse-database", db)
	m := generatedTokenRe.FindStringSubmatch(stdout.String())
	u := runningRe.FindStringSubmatch(stdout.String())
	if m == nil || u == nil {
		stop()
		t.Fatalf("stdout lacks the URL or the generated token:\n%s", stdout)
	}
	token, url := m[1], u[1]+"/api/v1/events"
	if code, body := authRequest(t, "POST", url, "", validPledge); code != http.StatusUnauthorized {
		t.Errorf("post without a token: got %d %s, want 401", code, body)
	}
	if code, body := authRequest(t, "POST", url, token, validPledge); code != http.StatusAccepted {
		t.Errorf("post with the generated token: got %d %s, want 202", code, body)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d\n%s", code, stderr)
	}
	if n := strings.Count(stdout.String(), token); n != 1 {
		t.Errorf("stdout shows the token %d times, want once:\n%s", n, stdout)
	}
	if strings.Contains(stderr.String(), token) {
		t.Errorf("the log holds the token:\n%s", stderr)
	}
	if !strings.Contains(stderr.String(), "http request refused") {
		t.Errorf("the refused post is not logged:\n%s", stderr)
	}
}

// TestDemoPrintsWriteToken runs `coalition demo`: it prints a generated
// write token and a curl command that, pasted, posts an event.
func TestDemoPrintsWriteToken(t *testing.T) {
	t.Parallel()
	if os.Getenv("COALITION_WRITE_TOKEN") != "" || os.Getenv("COALITION_WRITE_TOKEN_FILE") != "" {
		t.Skip("a write token is set in the environment")
	}
	addr, db := testkit.ClickHouse(t)
	stdout, stderr, stop := runCommand(t, "Press Ctrl-C", "demo", "--data-dir", t.TempDir(), "--http", "127.0.0.1:0", "--nats-listen", "",
		"--clickhouse-addr", addr, "--clickhouse-database", db)
	defer stop()
	m := curlRe.FindStringSubmatch(stdout.String())
	g := generatedTokenRe.FindStringSubmatch(stdout.String())
	if m == nil || g == nil {
		t.Fatalf("stdout lacks the generated token or the curl example:\n%s", stdout)
	}
	token, event, url := m[1], m[2], m[3]
	if token != g[1] {
		t.Errorf("curl uses token %q, the demo printed %q", token, g[1])
	}
	if code, body := authRequest(t, "POST", url, "", event); code != http.StatusUnauthorized {
		t.Errorf("the curl example without its token: got %d %s, want 401", code, body)
	}
	if code, body := authRequest(t, "POST", url, token, event); code != http.StatusAccepted {
		t.Errorf("the curl example: got %d %s, want 202", code, body)
	}
	if strings.Contains(stderr.String(), token) {
		t.Errorf("the log holds the token")
	}
}

// TestTokenFlags checks the token flags, their environment variables and
// files, without starting anything.
func TestTokenFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	writeFile, readFile, empty := file("write", "  file-write-token\n"), file("read", "file-read-token\n"), file("empty", "\n")
	cases := []struct {
		name              string
		env               map[string]string
		args              []string
		generated         bool
		wantWrite, wantRd string
		wantErr           string // in the usage error; "" for none
	}{
		{name: "Default", generated: true},
		{name: "Flag", args: []string{"--write-token", "flag-token"}, wantWrite: "flag-token"},
		{name: "Env", env: map[string]string{"COALITION_WRITE_TOKEN": "env-write", "COALITION_READ_TOKEN": "env-read"}, wantWrite: "env-write", wantRd: "env-read"},
		{name: "FlagOverEnv", env: map[string]string{"COALITION_WRITE_TOKEN": "env-write"}, args: []string{"--write-token", "flag-token"}, wantWrite: "flag-token"},
		{name: "None", args: []string{"--write-token", "none"}},
		{name: "Files", args: []string{"--write-token-file", writeFile, "--read-token-file", readFile}, wantWrite: "file-write-token", wantRd: "file-read-token"},
		{name: "FileFromEnv", env: map[string]string{"COALITION_WRITE_TOKEN_FILE": writeFile}, wantWrite: "file-write-token"},
		{name: "ErrTokenAndFile", args: []string{"--write-token", "x", "--write-token-file", writeFile}, wantErr: "--write-token and --write-token-file"},
		{name: "ErrEmptyFile", args: []string{"--read-token-file", empty}, generated: true, wantErr: "is empty"},
		{name: "ErrMissingFile", args: []string{"--read-token-file", filepath.Join(dir, "missing")}, generated: true, wantErr: "no such file"},
		{name: "ErrSpace", args: []string{"--write-token", "two words"}, wantErr: "spaces"},
		{name: "ConnectionSecretsFromEnv", env: map[string]string{"NATS_PASSWORD": "nats-pw-5e6f", "NATS_TOKEN": "nats-tok-7a8b", "CLICKHOUSE_PASSWORD": "ch-pw-9c0d"}, generated: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var help bytes.Buffer
			var cfg serveConfig
			f := newFlags("serve", "", &help, func(k string) string { return tc.env[k] })
			cfg.register(f)
			if err := f.parse(tc.args); err != nil {
				t.Fatal(err)
			}
			generated, err := cfg.generateWriteToken()
			if err != nil || generated != tc.generated {
				t.Fatalf("generateWriteToken: got %v, %v; want %v", generated, err, tc.generated)
			}
			write, read, err := cfg.httpTokens()
			if tc.wantErr != "" {
				var u usageError
				if !errors.As(err, &u) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want a usage error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.generated {
				tc.wantWrite = cfg.WriteToken
				if len(write) != 43 {
					t.Errorf("generated token %q: want 43 characters", write)
				}
			}
			if write != tc.wantWrite || read != tc.wantRd {
				t.Errorf("tokens: got write %q, read %q; want %q, %q", write, read, tc.wantWrite, tc.wantRd)
			}
			if cfg.NATS.Password != tc.env["NATS_PASSWORD"] || cfg.NATS.Token != tc.env["NATS_TOKEN"] || cfg.CHPassword != tc.env["CLICKHOUSE_PASSWORD"] {
				t.Errorf("connection secrets: got %q, %q, %q from the environment %v", cfg.NATS.Password, cfg.NATS.Token, cfg.CHPassword, tc.env)
			}
			// --help never shows a token or password from the environment.
			f.Usage()
			for _, v := range tc.env {
				if !strings.HasPrefix(v, "/") && strings.Contains(help.String(), v) {
					t.Errorf("--help shows %q", v)
				}
			}
		})
	}
}

// deployPasswords are the passwords given to deploy/nats/nats-server.conf
// through its environment variables.
var deployPasswords = map[string]string{
	"producer": "producer-5e6f7a8b9c0d",
	"consumer": "consumer-1e2f3a4b5c6d",
	"reader":   "reader-7e8f9a0b1c2d",
	"admin":    "admin-3e4f5a6b7c8d",
	"sys":      "sys-9e0f1a2b3c4d",
}

// startDeployNATS starts nats-server from deploy/nats/nats-server.conf on a
// free loopback port. It sets the passwords with t.Setenv: its callers
// cannot be parallel.
func startDeployNATS(t *testing.T) string {
	t.Helper()
	for user, pw := range deployPasswords {
		t.Setenv("NATS_"+strings.ToUpper(user)+"_PASSWORD", pw)
	}
	opts, err := server.ProcessConfigFile("../../deploy/nats/nats-server.conf")
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.StoreDir = t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

// TestServeWithDeployNATS runs the whole program against nats-server
// configured by deploy/nats/nats-server.conf: serve logs in as consumer
// (streams, the ClickHouse writer, the alert engine, webhooks, the live
// feeds, POST /api/v1/events), `coalition publish` as producer, `coalition
// watch` and `coalition alerts tail` as reader. Nothing may hit a
// permission violation.
func TestServeWithDeployNATS(t *testing.T) {
	url := startDeployNATS(t)
	var logs lockedBuffer
	recv, rules, err := startDemoAlerts(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	const token = "write-token-9a8b7c6d5e"
	app := OpenAppLogged(t, &logs, "--nats-url", url, "--nats-user", "consumer", "--nats-password", deployPasswords["consumer"],
		"--alert-rules", rules, "--write-token", token)
	ctx := context.Background()
	as := func(user string) []string {
		return []string{"--nats-url", url, "--nats-user", user, "--nats-password", deployPasswords[user]}
	}

	file := filepath.Join(t.TempDir(), "paris.ndjson")
	if err := os.WriteFile(file, scenarios.Paris2015, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Run(ctx, append([]string{"publish", "--file", file}, as("producer")...), nil, &out, &errOut); code != 0 {
		t.Fatalf("publish as producer: exit %d\n%s", code, &errOut)
	}
	other := strings.Replace(validPledge, `"paris-2015"`, `"deploy-test"`, 1)
	if code, body := authRequest(t, "POST", app.HTTP.URL()+"/api/v1/events", token, other); code != http.StatusAccepted {
		t.Fatalf("POST as serve (consumer): got %d %s", code, body)
	}
	if err := app.WaitConsumed(ctx, time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, &logs)
	}
	var body struct{ Countries []schema.CountryStatus }
	getJSON(t, app.HTTP.URL()+"/api/v1/countries?coalition=paris-2015", http.StatusOK, &body)
	checkParis(t, body.Countries)

	for deadline := time.Now().Add(time.Minute); recv.received.Load() == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no alert delivered to the webhook\n%s", &logs)
		}
	}
	t.Run("RecentAlerts", func(t *testing.T) {
		var alerts struct{ Alerts []any }
		getJSON(t, app.HTTP.URL()+"/api/v1/alerts", http.StatusOK, &alerts)
		if len(alerts.Alerts) == 0 {
			t.Error("no recent alerts")
		}
	})
	t.Run("Feed", func(t *testing.T) {
		_, br := openFeed(t, app.HTTP.URL()+"/api/v1/feed?since=2000-01-01", "")
		readFrames(t, br, 3, 10*time.Second)
	})
	t.Run("DeliveryMetrics", func(t *testing.T) {
		// The gauges read the webhook consumer and the dead-letter stream
		// with the consumer user's permissions.
		_, body := authRequest(t, "GET", app.HTTP.URL()+"/metrics", "", "")
		for _, want := range []string{`coalition_alert_deliveries_pending{subscriber="demo-receiver"}`, `coalition_alert_dead_letters{subscriber="demo-receiver"} 0`} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
	t.Run("WatchAsReader", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := Run(ctx, append([]string{"watch", "--country", "DEU", "--since", "0", "--once"}, as("reader")...), nil, &out, &errOut); code != 0 {
			t.Fatalf("watch as reader: exit %d\n%s", code, &errOut)
		}
		if !strings.Contains(out.String(), "DEU") {
			t.Errorf("watch printed no DEU event:\n%s", &out)
		}
	})
	t.Run("AlertsTailAsReader", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := Run(ctx, append([]string{"alerts", "tail", "--since", "0", "--once"}, as("reader")...), nil, &out, &errOut); code != 0 {
			t.Fatalf("alerts tail as reader: exit %d\n%s", code, &errOut)
		}
		if strings.TrimSpace(out.String()) == "" {
			t.Error("alerts tail printed nothing")
		}
	})
	if out := logs.String(); !strings.Contains(out, "consumer bound") || !strings.Contains(out, "alert engine ready") {
		t.Errorf("the log lacks the consumer's and the alert engine's start:\n%s", out)
	} else if strings.Contains(strings.ToLower(out), "permissions violation") || strings.Contains(out, "bucket unavailable") {
		t.Errorf("serve hit a permission violation:\n%s", out)
	}
	for user, pw := range deployPasswords {
		if strings.Contains(logs.String(), pw) {
			t.Errorf("the log shows %s's NATS password", user)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the log shows the write token")
	}
}
