package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// MustOpenApp starts the real program (embedded NATS, the consumer, the
// HTTP API on a free port) against a fresh database of the test ClickHouse.
// Extra flags (such as --alert-rules) are added to the command line.
func MustOpenApp(tb testing.TB, extra ...string) *App {
	tb.Helper()
	addr, db := testkit.ClickHouse(tb)
	var cfg serveConfig
	f := newFlags("serve", "", io.Discard, func(string) string { return "" })
	cfg.register(f)
	if err := f.parse(append([]string{
		"--data-dir", tb.TempDir(), "--http", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0",
		"--clickhouse-addr", addr, "--clickhouse-database", db, "--batch", "100",
	}, extra...)); err != nil {
		tb.Fatal(err)
	}
	log, _ := cfg.logger(io.Discard)
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

// loadScenario returns the Paris 2015 events.
func loadScenario(tb testing.TB) []schema.Event {
	tb.Helper()
	var evs []schema.Event
	err := schema.ReadNDJSON(bytes.NewReader(scenarios.Paris2015), func(line int, ev schema.Event, err error) error {
		if err != nil {
			tb.Fatalf("scenario line %d: %v", line, err)
		}
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// wantParis returns the status of FRA, DEU, GBR, ITA, USA, RUS and TUR
// worked out by hand from the scenario (testdata/scenarios).
func wantParis(tb testing.TB) map[string]schema.CountryStatus {
	tb.Helper()
	b, err := os.ReadFile("../../testdata/scenarios/paris-2015.status.json")
	if err != nil {
		tb.Fatal(err)
	}
	var sts []schema.CountryStatus
	if err := json.Unmarshal(b, &sts); err != nil {
		tb.Fatal(err)
	}
	out := map[string]schema.CountryStatus{}
	for _, s := range sts {
		out[s.Country] = s
	}
	if len(out) != 7 {
		tb.Fatalf("hand-worked status has %d countries, want 7", len(out))
	}
	return out
}

func checkParis(tb testing.TB, got []schema.CountryStatus) {
	tb.Helper()
	want := wantParis(tb)
	seen := 0
	for _, g := range got {
		w, ok := want[g.Country]
		if !ok {
			continue
		}
		seen++
		gl, wl := g.Lines, w.Lines
		g.Lines, w.Lines = nil, nil
		g.StanceAt, w.StanceAt = g.StanceAt.UTC(), w.StanceAt.UTC()
		// JSON says [] where the fold has nil.
		if len(g.ConflictsWith) == 0 {
			g.ConflictsWith = nil
		}
		if len(w.ConflictsWith) == 0 {
			w.ConflictsWith = nil
		}
		if !reflect.DeepEqual(g, w) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			tb.Errorf("%s:\n got %s\nwant %s", g.Country, gj, wj)
		}
		if len(gl) != len(wl) {
			tb.Errorf("%s lines: got %+v, want %+v", g.Country, gl, wl)
			continue
		}
		for i := range wl {
			a, b := gl[i], wl[i]
			if !testkit.SameLine(a, b) {
				tb.Errorf("%s line %d: got %+v, want %+v", g.Country, i, a, b)
			}
		}
	}
	if seen != len(want) {
		tb.Errorf("got %d of the %d expected countries", seen, len(want))
	}
}

// TestParisScenario replays the scenario through the real pipeline three
// times over, shuffled and with duplicates, and checks the status of the
// seven countries against the values worked out by hand, both from the
// store and through the HTTP API.
func TestParisScenario(t *testing.T) {
	t.Parallel()
	app := MustOpenApp(t)
	ctx := context.Background()
	evs := loadScenario(t)
	r := rand.New(rand.NewPCG(2015, 11))
	for round := 0; round < 3; round++ {
		batch := append([]schema.Event{}, evs...)
		r.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		ptrs := make([]*schema.Event, len(batch))
		for i := range batch {
			ptrs[i] = &batch[i]
		}
		for _, res := range app.Publisher.PublishBatch(ctx, ptrs) {
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if round > 0 && !res.Duplicate {
				t.Errorf("round %d: event %s not reported as a duplicate", round, res.ID)
			}
		}
	}
	if err := app.WaitConsumed(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, err := app.Store.CountryStatus(ctx, scenarios.Paris2015Coalition)
	if err != nil {
		t.Fatal(err)
	}
	checkParis(t, got)

	t.Run("HTTP", func(t *testing.T) {
		var body struct {
			Coalition string
			Countries []schema.CountryStatus
		}
		getJSON(t, app.HTTP.URL()+"/api/v1/countries", http.StatusOK, &body)
		if body.Coalition != scenarios.Paris2015Coalition {
			t.Errorf("coalition: got %q", body.Coalition)
		}
		checkParis(t, body.Countries)
		var deu struct {
			Name string
			schema.CountryStatus
		}
		getJSON(t, app.HTTP.URL()+"/api/v1/countries/DEU", http.StatusOK, &deu)
		if deu.Name != "Germany" || len(deu.Lines) != 1 || deu.Lines[0].Pledged != 650 || deu.Lines[0].Unit != "soldiers" {
			t.Errorf("DEU: got %+v, want Germany with 650 soldiers pledged", deu)
		}
	})
}

func getJSON(tb testing.TB, url string, wantStatus int, v any) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		tb.Fatalf("GET %s: got %d %s, want %d", url, resp.StatusCode, b, wantStatus)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			tb.Fatalf("GET %s: %v in %s", url, err, b)
		}
	}
}

// TestDemoOnce runs `coalition demo --once` as a user would, with its own
// private clickhouse-server, then `coalition status --format json` on the
// same data directory.
func TestDemoOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"demo", "--once", "--data-dir", dir, "--http", "127.0.0.1:0", "--nats-listen", ""}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, &out, &errOut)
	}
	for _, want := range []string{"DEU Germany", "650 soldiers → 0", "GBR United Kingdom", "basing 1 air_base → 0", "TUR", "RUS", "Open http://127.0.0.1:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, &out)
		}
	}
	out.Reset()
	errOut.Reset()
	code = Run(context.Background(), []string{"status", "--format", "json", "--data-dir", dir, "--log-level", "warn"}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("status exit %d: %s", code, &errOut)
	}
	var body struct {
		Coalition string
		Countries []schema.CountryStatus
	}
	if err := json.Unmarshal(out.Bytes(), &body); err != nil {
		t.Fatalf("status json: %v\n%s", err, &out)
	}
	checkParis(t, body.Countries)
	if _, err := os.Stat(filepath.Join(dir, "clickhouse")); err != nil {
		t.Errorf("private ClickHouse data dir: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"160MiB", 160 << 20, true}, {"1GiB", 1 << 30, true}, {"500MB", 500_000_000, true}, {"0", 0, true},
		{"2048", 2048, true}, {" 1 KiB ", 1024, true}, {"-1MiB", 0, false}, {"lots", 0, false}, {"1TB", 0, false},
	} {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
