package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/analytics.md from the real outputs")

// parisAsOf is the moment the documented outputs are computed at: the day
// after the seed article.
const parisAsOf = "2015-11-27T12:00:00Z"

// replayParis publishes the Paris scenario into app and waits for it.
func replayParis(tb testing.TB, app *App) {
	tb.Helper()
	evs := loadScenario(tb)
	ptrs := make([]*schema.Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	for _, res := range app.Publisher.PublishBatch(context.Background(), ptrs) {
		if res.Err != nil {
			tb.Fatal(res.Err)
		}
	}
	if err := app.WaitConsumed(context.Background(), time.Minute); err != nil {
		tb.Fatal(err)
	}
}

// TestAnalytics runs every catalog query on the Paris scenario from the
// command line and over HTTP, checks that both give the same rows, and
// that docs/analytics.md shows exactly these outputs.
func TestAnalytics(t *testing.T) {
	t.Parallel()
	app := MustOpenApp(t)
	replayParis(t, app)
	cat, err := clickhouse.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	chFlags := []string{"--clickhouse-addr", strings.Join(app.CHAddrs, ","), "--clickhouse-database", app.Config.CHDatabase, "--log-level", "warn"}

	var doc strings.Builder
	doc.WriteString(docsHeader)
	for _, q := range cat {
		t.Run(q.Name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"query", q.Name, "--format", "json", "--as-of", parisAsOf}, chFlags...)
			if code := Run(context.Background(), args, nil, &out, &errOut); code != 0 {
				t.Fatalf("query %s: exit %d: %s", q.Name, code, &errOut)
			}
			var cli []map[string]any
			if err := json.Unmarshal(out.Bytes(), &cli); err != nil {
				t.Fatal(err)
			}
			var api struct {
				Columns []string
				Rows    [][]any
			}
			getJSON(t, app.HTTP.URL()+"/api/v1/analytics/"+q.Name+"?as_of="+parisAsOf, http.StatusOK, &api)
			if len(api.Rows) != len(cli) {
				t.Fatalf("HTTP gave %d rows, the CLI %d", len(api.Rows), len(cli))
			}
			for i, row := range api.Rows {
				for j, c := range api.Columns {
					if fmt.Sprint(row[j]) != fmt.Sprint(cli[i][c]) {
						t.Errorf("row %d %s: HTTP %v, CLI %v", i, c, row[j], cli[i][c])
					}
				}
			}
			if len(cli) == 0 {
				t.Errorf("no rows on the Paris scenario")
			}
			var table bytes.Buffer
			args = append([]string{"query", q.Name, "--as-of", parisAsOf}, chFlags...)
			if code := Run(context.Background(), args, nil, &table, &errOut); code != 0 {
				t.Fatalf("query %s (table): exit %d: %s", q.Name, code, &errOut)
			}
			fmt.Fprintf(&doc, "## %s: %s\n\n%s\n\n", q.Name, q.Title, q.Answers)
			fmt.Fprintf(&doc, "```\n$ coalition query %s --as-of %s\n%s```\n\n", q.Name, parisAsOf, table.String())
		})
	}
	t.Run("List", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), []string{"query", "--list"}, nil, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, &errOut)
		}
		for _, q := range cat {
			if !strings.Contains(out.String(), q.Name) {
				t.Errorf("--list lacks %s", q.Name)
			}
		}
		var body struct{ Queries []clickhouse.NamedQuery }
		getJSON(t, app.HTTP.URL()+"/api/v1/analytics", http.StatusOK, &body)
		if len(body.Queries) != len(cat) {
			t.Errorf("GET /api/v1/analytics lists %d queries, want %d", len(body.Queries), len(cat))
		}
	})
	t.Run("Errors", func(t *testing.T) {
		getJSON(t, app.HTTP.URL()+"/api/v1/analytics/drop_everything", http.StatusNotFound, nil)
		getJSON(t, app.HTTP.URL()+"/api/v1/analytics/leaderboard?as_of=yesterday", http.StatusBadRequest, nil)
		getJSON(t, app.HTTP.URL()+"/api/v1/analytics/leaderboard?colour=red", http.StatusBadRequest, nil)
		var out, errOut bytes.Buffer
		args := append([]string{"query", "leaderboard", "--param", "colour=red"}, chFlags...)
		if code := Run(context.Background(), args, nil, &out, &errOut); code != 3 || !strings.Contains(errOut.String(), "colour: unknown parameter") {
			t.Errorf("unknown parameter: exit %d, %s", code, &errOut)
		}
	})
	t.Run("StatusAsOf", func(t *testing.T) {
		// On 2015-11-24 Germany had pledged nothing yet and Russia and
		// Turkey were already at odds (the jet was shot down that morning).
		var body struct{ Countries []schema.CountryStatus }
		getJSON(t, app.HTTP.URL()+"/api/v1/countries?as_of=2015-11-24T23:59:59Z", http.StatusOK, &body)
		got := map[string]schema.CountryStatus{}
		for _, s := range body.Countries {
			got[s.Country] = s
		}
		if got["DEU"].Pledges != 0 || got["TUR"].Label != schema.LabelAtOdds {
			t.Errorf("as of 2015-11-24: DEU %+v, TUR label %q", got["DEU"], got["TUR"].Label)
		}
		// A date means the end of that day, over HTTP and from the command
		// line: what was known on 2015-11-24 includes that morning's
		// reports of the shoot-down, which the day's first second does not.
		var day, dawn struct{ Countries []schema.CountryStatus }
		getJSON(t, app.HTTP.URL()+"/api/v1/countries?as_of=2015-11-24", http.StatusOK, &day)
		getJSON(t, app.HTTP.URL()+"/api/v1/countries?as_of=2015-11-24T00:00:00Z", http.StatusOK, &dawn)
		if !reflect.DeepEqual(day.Countries, body.Countries) {
			t.Errorf("as_of=2015-11-24 is not as_of=2015-11-24T23:59:59Z:\n%+v\n%+v", day.Countries, body.Countries)
		}
		for _, s := range dawn.Countries {
			if s.Country == "TUR" && s.Label == schema.LabelAtOdds {
				t.Errorf("as of 2015-11-24T00:00:00Z TUR is already at odds: the test no longer tells the end of the day from its start")
			}
		}
		var out, errOut bytes.Buffer
		args := append([]string{"status", "--as-of", "2015-11-24", "--format", "json"}, chFlags...)
		if code := Run(context.Background(), args, nil, &out, &errOut); code != 0 {
			t.Fatalf("status --as-of 2015-11-24: exit %d: %s", code, &errOut)
		}
		var cli struct{ Countries []schema.CountryStatus }
		if err := json.Unmarshal(out.Bytes(), &cli); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cli.Countries, body.Countries) {
			t.Errorf("status --as-of 2015-11-24 is not as of 2015-11-24T23:59:59Z:\n%+v\n%+v", cli.Countries, body.Countries)
		}
	})
	if t.Failed() {
		return
	}
	const path = "../../docs/analytics.md"
	if *updateDocs {
		if err := os.WriteFile(path, []byte(doc.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != doc.String() {
		t.Errorf("docs/analytics.md is not the real output: run go test ./cmd/coalition -run TestAnalytics -update-docs, and read the diff")
	}
}

var _ = scenarios.Paris2015Coalition

const docsHeader = `# Analytics

The named queries of Coalition's analytics catalog, what each answers, and
its real output on the Paris 2015 scenario (` + "`scenarios/paris-2015.ndjson`" + `) as
known at ` + parisAsOf + `. This file is generated by the test that checks it:
` + "`go test ./cmd/coalition -run TestAnalytics -update-docs`" + `.

Run them from the command line, over HTTP, or read the views from your own
SQL:

` + "```" + `
coalition query --list
coalition query leaderboard [--coalition paris-2015] [--as-of 2015-11-27] [--param country=FRA] [--format table|csv|json]
curl 'http://127.0.0.1:8080/api/v1/analytics/leaderboard?as_of=2015-11-27&format=csv'
clickhouse-client --user analyst -d coalition -q "SELECT owner, state, count() FROM commitments_latest GROUP BY owner, state"
` + "```" + `

Every query takes ` + "`coalition`" + ` (default: the only coalition stored) and ` + "`as_of`" + `
(default: now): the answer is what was known at that moment, by the
events' reported_at clock. Parameters are bound and quoted, never pasted
into SQL. The queries live in ` + "`clickhouse/queries/*.sql`" + `; their rules are the
Go reference fold's (` + "`schema/status.go`" + `, ` + "`schema/commitment.go`" + `), and the tests
hold the two equal. The views ` + "`events_latest`" + ` and ` + "`commitments_latest`" + ` apply the
same rules to current knowledge, for the read-only ` + "`analyst`" + ` user and Grafana.

`
