package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
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

// parisByHand is the status of the seven countries worked out by hand from
// scenarios/paris-2015.ndjson (line numbers in the comments), independent
// of the fold and of testdata/scenarios/paris-2015.status.json, which
// checkParis compares every field with.
var parisByHand = []struct {
	country                      string
	label                        schema.Label
	events                       uint64 // lines with the country as actor
	stance                       schema.Stance
	meetings                     uint64
	pledges, deployments, withdr uint64
	imposed, received, incidents uint64
	conflicts                    uint64 // sanctions and incidents with another member, either way
	with                         string // the members they are with
	commitments, open, anomalies uint64
	lines                        string // category unit: pledged → delivered
}{
	// 18 pledges 650 soldiers for Mali, 23 says +2; meetings 7 (Brussels)
	// and 21 (Elysee); nothing delivered yet.
	{"DEU", schema.LabelPledged, 2, 2, 2, 1, 0, 0, 0, 0, 0, 0, "", 1, 1, 0, "military soldiers: 650 → 0"},
	// Lines 1-9, 14, 20-22, 24, 29, 31, 33. Five pledge events (22 restates
	// 5) open four commitments: the carrier (delivered by 8), strikes in
	// Syria and strike coordination with Russia (open), the single
	// coalition (withdrawn by 33). Deployment 2 flies under the 2014
	// campaign, which no event opened: the one anomaly.
	{"FRA", schema.LabelDelivering, 17, 2, 6, 5, 2, 1, 0, 0, 0, 0, "", 4, 2, 1,
		"diplomatic : 0 → 0; military : 0 → 0; military carrier: 1 → 1"},
	// 10 offers the Akrotiri air base, 28 air strikes in Syria; 11 and 27
	// say +2; meetings 7 and 9.
	{"GBR", schema.LabelPledged, 4, 2, 2, 2, 0, 0, 0, 0, 0, 0, "", 2, 2, 0, "basing air_base: 1 → 0; military : 0 → 0"},
	// 25's vague +1, no pledge; meetings 7 and 24.
	{"ITA", schema.LabelSupportive, 1, 1, 2, 0, 0, 0, 0, 0, 0, 0, "", 0, 0, 0, ""},
	// 13 says -1, then 19 and 32 +1 (the latest counts); sanctions 15 and
	// 26 on Turkey; the shoot-down (12) has Russia as counterpart; with
	// Turkey a member, all three are conflicts. 30 shares intelligence.
	{"RUS", schema.LabelAtOdds, 6, 1, 1, 1, 0, 0, 2, 0, 1, 3, "TUR", 1, 1, 0, "intelligence : 0 → 0"},
	// 12 (the shoot-down) and 17 (stance 0); the receiving end of 15 and 26.
	{"TUR", schema.LabelAtOdds, 2, 0, 0, 0, 0, 0, 0, 2, 1, 3, "RUS", 0, 0, 0, ""},
	// 16's +1 and the White House meeting (14).
	{"USA", schema.LabelSupportive, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, "", 0, 0, 0, ""},
}

func checkParisByHand(tb testing.TB, got []schema.CountryStatus) {
	tb.Helper()
	byCountry := map[string]schema.CountryStatus{}
	for _, g := range got {
		byCountry[g.Country] = g
	}
	for _, w := range parisByHand {
		g, ok := byCountry[w.country]
		if !ok {
			tb.Errorf("%s: no status", w.country)
			continue
		}
		var lines []string
		for _, l := range g.Lines {
			lines = append(lines, fmt.Sprintf("%s %s: %g → %g", l.Category, l.Unit, l.Pledged, l.Delivered))
		}
		gotRow := fmt.Sprintln(g.Label, g.Events, g.Stance, g.Meetings, g.Pledges, g.Deployments, g.Withdrawals,
			g.SanctionsImposed, g.SanctionsReceived, g.Incidents, g.MemberConflicts, strings.Join(g.ConflictsWith, ","), g.Commitments, g.Open, g.Anomalies, strings.Join(lines, "; "))
		wantRow := fmt.Sprintln(w.label, w.events, w.stance, w.meetings, w.pledges, w.deployments, w.withdr,
			w.imposed, w.received, w.incidents, w.conflicts, w.with, w.commitments, w.open, w.anomalies, w.lines)
		if gotRow != wantRow {
			tb.Errorf("%s (label events stance meetings pledges deployments withdrawals imposed received incidents conflicts with commitments open anomalies lines):\n got %s want %s", w.country, gotRow, wantRow)
		}
	}
}

// TestParisScenario replays the scenario through the real pipeline three
// times over, shuffled and with duplicates, and checks the status of the
// seven countries against the values worked out by hand (parisByHand) and
// every field against the golden status, both from the store and through
// the HTTP API.
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
	checkParisByHand(t, got)

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

	t.Run("StatusCSV", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), []string{"status", "--format", "csv", "--data-dir", dir, "--log-level", "warn"}, nil, &out, &errOut); code != 0 {
			t.Fatalf("status --format csv: exit %d: %s", code, &errOut)
		}
		rows, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatalf("status csv: %v", err)
		}
		if len(rows) != 1+len(parisByHand) {
			t.Fatalf("status csv: %d rows, want a header and %d countries", len(rows), len(parisByHand))
		}
		col := map[string]int{}
		for i, name := range rows[0] {
			col[name] = i
		}
		for _, r := range rows[1:] {
			if r[col["country"]] == "DEU" {
				if got := r[col["name"]] + "|" + r[col["label"]] + "|" + r[col["stance"]] + "|" + r[col["open"]] + "|" + r[col["pledged_delivered"]]; got != "Germany|pledged|2|1|military 650 soldiers → 0 (0%)" {
					t.Errorf("DEU row: %s", got)
				}
				return
			}
		}
		t.Errorf("no DEU row in\n%s", &out)
	})

	t.Run("Migrate", func(t *testing.T) {
		// The private server the demo left in the data directory, migrated
		// again: nothing to do, twice over.
		for range 2 {
			var out, errOut bytes.Buffer
			if code := Run(context.Background(), []string{"migrate", "--data-dir", dir, "--log-level", "warn"}, nil, &out, &errOut); code != 0 {
				t.Fatalf("migrate: exit %d: %s", code, &errOut)
			}
			if got, want := out.String(), "ClickHouse database coalition is up to date\n"; got != want {
				t.Errorf("migrate said %q, want %q", got, want)
			}
		}
	})
}

// TestCommandFlags checks that each command's --help lists the connection
// flags it uses and not the others.
func TestCommandFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args             []string
		nats, clickhouse bool
	}{
		{[]string{"serve"}, true, true},
		{[]string{"demo"}, true, true},
		{[]string{"publish"}, true, false},
		{[]string{"watch"}, true, false},
		{[]string{"import", "gdelt"}, true, false},
		{[]string{"status"}, false, true},
		{[]string{"query"}, false, true},
		{[]string{"migrate"}, false, true},
		{[]string{"reference", "load", "gdp"}, false, true},
	} {
		t.Run(strings.Join(tc.args, "_"), func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			Run(context.Background(), append(tc.args, "--help"), nil, &out, &errOut)
			help := out.String() + errOut.String()
			if !strings.Contains(help, "-data-dir") {
				t.Fatalf("--help lacks --data-dir:\n%s", help)
			}
			if got := strings.Contains(help, "-nats-url"); got != tc.nats {
				t.Errorf("--help lists --nats-url: %v, want %v", got, tc.nats)
			}
			if got := strings.Contains(help, "-clickhouse-addr"); got != tc.clickhouse {
				t.Errorf("--help lists --clickhouse-addr: %v, want %v", got, tc.clickhouse)
			}
		})
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
