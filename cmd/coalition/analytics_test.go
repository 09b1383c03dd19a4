package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
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
	publishEvents(tb, app, loadScenario(tb))
}

// publishEvents publishes events into app and waits until they are stored.
func publishEvents(tb testing.TB, app *App, evs []schema.Event) {
	tb.Helper()
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

// referenceDir holds the reference test fixtures (invented figures).
const referenceDir = "../../testdata/reference/"

// moneyApp starts an app holding the money test fixtures: the events of
// testdata/reference/money_fixture.ndjson, published, and the World Bank
// fixtures loaded with coalition reference load. It returns the app and
// the commands run, with their output, for the docs.
func moneyApp(t *testing.T) (*App, string) {
	t.Helper()
	app := MustOpenApp(t)
	f, err := os.Open(referenceDir + "money_fixture.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []schema.Event
	if err := schema.ReadNDJSON(f, func(line int, ev schema.Event, err error) error {
		if err != nil {
			return fmt.Errorf("money_fixture.ndjson line %d: %w", line, err)
		}
		evs = append(evs, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	publishEvents(t, app, evs)
	var doc strings.Builder
	for _, load := range []struct{ kind, file string }{
		{"gdp", "API_NY.GDP.MKTP.CD_DS2_en_csv_v2_fixture.csv"},
		{"fx", "API_PA.NUS.FCRF_DS2_en_csv_v2_fixture.csv"},
	} {
		var out, errOut bytes.Buffer
		args := append([]string{"reference", "load", load.kind, referenceDir + load.file}, appCHFlags(app)...)
		if code := Run(context.Background(), args, nil, &out, &errOut); code != 0 {
			t.Fatalf("reference load %s: exit %d: %s", load.kind, code, &errOut)
		}
		fmt.Fprintf(&doc, "$ coalition reference load %s testdata/reference/%s\n%s", load.kind, load.file, strings.ReplaceAll(out.String(), referenceDir, "testdata/reference/"))
	}
	return app, doc.String()
}

// appCHFlags are the flags that point a command at app's ClickHouse.
func appCHFlags(app *App) []string {
	return []string{"--clickhouse-addr", strings.Join(app.CHAddrs, ","), "--clickhouse-database", app.Config.CHDatabase, "--log-level", "warn"}
}

// TestAnalytics runs every catalog query on the Paris scenario from the
// command line and over HTTP, checks that both give the same rows, and
// that docs/analytics.md shows exactly these outputs. The Paris scenario
// pledges no money: money_ranking runs on the money test fixtures.
func TestAnalytics(t *testing.T) {
	t.Parallel()
	app := MustOpenApp(t)
	replayParis(t, app)
	cat, err := clickhouse.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	chFlags := appCHFlags(app)

	var doc strings.Builder
	doc.WriteString(docsHeader)
	for _, q := range cat {
		t.Run(q.Name, func(t *testing.T) {
			on, asOf, loads := app, parisAsOf, ""
			if q.Name == "money_ranking" {
				if got := queryRows(t, app, q.Name, parisAsOf); got != 0 {
					t.Errorf("money_ranking: %d rows on the Paris scenario, which pledges no money", got)
				}
				asOf = ""
				on, loads = moneyApp(t)
			}
			table := checkQuery(t, on, q.Name, asOf)
			fmt.Fprintf(&doc, "## %s: %s\n\n%s\n\n", q.Name, q.Title, q.Answers)
			if loads != "" {
				doc.WriteString(moneyDocs)
				fmt.Fprintf(&doc, "```\n%s$ coalition query %s\n%s```\n\n", loads, q.Name, table)
				return
			}
			fmt.Fprintf(&doc, "```\n$ coalition query %s --as-of %s\n%s```\n\n", q.Name, parisAsOf, table)
		})
	}
	doc.WriteString(viewsDocs(cat))
	doc.WriteString(referenceDocs)
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

// checkQuery runs a catalog query on app as of asOf ("" for now) from the
// command line, as JSON, and over HTTP, checks that both give the same
// rows and some, and returns the command line's table.
func checkQuery(t *testing.T, app *App, name, asOf string) string {
	t.Helper()
	chFlags := appCHFlags(app)
	var asOfFlag []string
	query := ""
	if asOf != "" {
		asOfFlag, query = []string{"--as-of", asOf}, "?as_of="+asOf
	}
	var out, errOut bytes.Buffer
	args := append(append([]string{"query", name, "--format", "json"}, asOfFlag...), chFlags...)
	if code := Run(context.Background(), args, nil, &out, &errOut); code != 0 {
		t.Fatalf("query %s: exit %d: %s", name, code, &errOut)
	}
	var cli []map[string]any
	if err := json.Unmarshal(out.Bytes(), &cli); err != nil {
		t.Fatal(err)
	}
	var api struct {
		Columns []string
		Rows    [][]any
	}
	getJSON(t, app.HTTP.URL()+"/api/v1/analytics/"+name+query, http.StatusOK, &api)
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
		t.Errorf("no rows")
	}
	// CSV: the same text from both (NULL an empty field).
	out.Reset()
	args = append(append([]string{"query", name, "--format", "csv"}, asOfFlag...), chFlags...)
	if code := Run(context.Background(), args, nil, &out, &errOut); code != 0 {
		t.Fatalf("query %s (csv): exit %d: %s", name, code, &errOut)
	}
	sep := "?"
	if query != "" {
		sep = "&"
	}
	resp, err := http.Get(app.HTTP.URL() + "/api/v1/analytics/" + name + query + sep + "format=csv")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != out.String() {
		t.Errorf("CSV: HTTP gives\n%s\nthe CLI\n%s", body, &out)
	}
	var table bytes.Buffer
	args = append(append([]string{"query", name}, asOfFlag...), chFlags...)
	if code := Run(context.Background(), args, nil, &table, &errOut); code != 0 {
		t.Fatalf("query %s (table): exit %d: %s", name, code, &errOut)
	}
	return table.String()
}

// queryRows counts the rows of a catalog query on app as of asOf.
func queryRows(t *testing.T, app *App, name, asOf string) int {
	t.Helper()
	var out, errOut bytes.Buffer
	args := append([]string{"query", name, "--format", "json", "--as-of", asOf}, appCHFlags(app)...)
	if code := Run(context.Background(), args, nil, &out, &errOut); code != 0 {
		t.Fatalf("query %s: exit %d: %s", name, code, &errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

var _ = scenarios.Paris2015Coalition

// md turns ‵ into a backquote, which a raw string cannot hold.
func md(s string) string { return strings.ReplaceAll(s, "‵", "`") }

var docsHeader = md(`# Analytics

The named queries of Coalition's analytics catalog, what each answers, and
its real output on the Paris 2015 scenario (‵scenarios/paris-2015.ndjson‵) as
known at ` + parisAsOf + `. This file is generated by the test that checks it:
‵go test ./cmd/coalition -run TestAnalytics -update-docs‵.

Run them from the command line, over HTTP, or read their views from your
own SQL:

‵‵‵
coalition query --list
coalition query leaderboard [--coalition paris-2015] [--as-of 2015-11-27] [--format table|csv|json]
coalition query stance_timeline --param country=FRA
curl 'http://127.0.0.1:8080/api/v1/analytics/leaderboard?as_of=2015-11-27&format=csv'
clickhouse-client --user analyst -d coalition -q "SELECT * FROM leaderboard_latest WHERE coalition = 'paris-2015'"
‵‵‵

Every query takes ‵coalition‵ (default: the only coalition stored) and ‵as_of‵
(default: now): the answer is what was known at that moment, by the
events' reported_at clock. Some take more, with ‵--param name=value‵ (or
‵?name=value‵ over HTTP): ‵coalition query --list‵ shows each query's
parameters. Parameters are bound and quoted, never pasted into SQL. The
queries live in ‵clickhouse/queries/*.sql‵; their rules are the Go reference
fold's (‵schema/status.go‵, ‵schema/commitment.go‵), and the tests hold the
two equal, on ClickHouse 18.16 and on current ClickHouse. Each query has a
view, ‵<name>_latest‵, for the read-only ‵analyst‵ user and Grafana (see
[Views](#views)).

NULL is a value that is not there: a time that has not come (no delivery
yet), a figure without its reference data. Tables print NULL, CSV an empty
field, JSON null.

`)

// moneyDocs introduces money_ranking's example.
var moneyDocs = md(`The Paris scenario pledges no money: the query gives no rows on it. Here
it runs on the test fixtures of ‵testdata/reference/‵ instead, whose figures
are invented round numbers, not data: the events of ‵money_fixture.ndjson‵
(pledges in euros, dollars, pounds and yen, one payment, one withdrawn
pledge, one pledge of soldiers) published, and two files in the layout of
the World Bank's downloads loaded (see [Reference data](#reference-data-gdp-and-exchange-rates)).
Germany pledged less than the United States and more for the size of its
economy; France's yen have no rate and Italy's 2016 pledge no GDP: NULL,
not zero, and not ranked.

`)

// viewsDocs documents the views of migrations 0007 and 0008: one per catalog
// query.
func viewsDocs(cat []clickhouse.NamedQuery) string {
	var b strings.Builder
	b.WriteString(md(`## Views

Each query of the catalog has a view named after it, ‵<name>_latest‵, for
your own SQL (clickhouse-client as the read-only ‵analyst‵ user, Grafana,
notebooks): the query's columns after a ‵coalition‵ column, for every
coalition at once, as known now (every event reported so far; deadlines
and the days a commitment has been open counted to ‵now()‵). The tests hold
each view equal to its query, row for row and type for type, on ClickHouse
18.16, and each view's rows on current ClickHouse equal to 18.16's.

A view takes no parameters (ClickHouse 18.16 has none for views): filter
with ‵WHERE coalition = '...'‵, and ‵WHERE country = '...'‵ where the query
takes a country, yourself; order as you like (a view has no order). For
another moment than now, run the query with ‵as_of‵: what was known at a
past moment needs the parameter.

| view | gives the rows of |
| --- | --- |
`))
	for _, q := range cat {
		fmt.Fprintf(&b, "| `%s_latest` | `coalition query %s`: %s |\n", q.Name, q.Name, strings.ToLower(q.Title[:1])+q.Title[1:])
	}
	b.WriteString(md(`| ‵country_status_latest‵ | ‵coalition status‵ and ‵GET /api/v1/countries‵: each country's activity, latest stance (NULL if none), commitments by state, anomalies and label. Not the lines by category and unit (a list per country): group ‵commitments_latest‵ by owner, category and unit for those |
| ‵events_latest‵, ‵commitments_latest‵ | the de-duplicated events and the commitments, by the rules of ‵schema.Knowledge‵ and ‵schema.FoldCommitments‵ |

‵‵‵
clickhouse-client --user analyst -d coalition -q "
  SELECT country, pledged_usd, rank_usd, pledged_pct_gdp, rank_pct_gdp
  FROM money_ranking_latest WHERE coalition = 'money-test' ORDER BY rank_usd"
‵‵‵

`))
	return b.String()
}

// referenceDocs documents coalition reference load.
var referenceDocs = md(`## Reference data: GDP and exchange rates

money_ranking puts money commitments in proportion, after the Kiel
Institute's Ukraine Support Tracker: in US dollars, and as a share of the
giver's GDP. It reads two tables of reference data, which Coalition does
not ship: load them from the World Bank's own downloads (unzipped), as they
come.

‵‵‵
coalition reference load gdp API_NY.GDP.MKTP.CD_DS2_en_csv_v2_*.csv   # GDP, current US$
coalition reference load fx API_PA.NUS.FCRF_DS2_en_csv_v2_*.csv       # exchange rates, per US$
coalition reference load fx --currencies                              # which row gives which currency
coalition reference load gdp --dry-run FILE                           # check a file, store nothing
‵‵‵

- **Files.** The World Development Indicators download of an indicator
  (‵https://api.worldbank.org/v2/en/indicator/NY.GDP.MKTP.CD?downloadformat=csv‵,
  and PA.NUS.FCRF for exchange rates): a preamble, then
  ‵"Country Name","Country Code","Indicator Name","Indicator Code","1960",...‵,
  a column per year. Also the long layout ‵Country Name,Country Code,Year,Value‵,
  and for figures from elsewhere ‵country,year,gdp_usd‵ or
  ‵currency,year,per_usd‵. Empty cells and ‵..‵ are no figure.
- **Currencies.** The World Bank reports exchange rates (official rate,
  local currency units per US dollar, the year's average) by country, not
  by currency: a currency's rate is read from the row of its issuer, the
  euro from the Euro area aggregate (EMU), the pound from GBR, the yen from
  JPN, and so on (‵--currencies‵ lists the 42). The other rows, such as the
  euro area's members, are skipped and counted. For a currency not in the
  list, load a ‵currency,year,per_usd‵ file. Dollars need no rate.
- **Tables.** ‵reference_gdp (country, year, gdp_usd)‵ and
  ‵reference_fx (currency, year, per_usd)‵, with the source file and the
  load's time (migration 0006). A figure loaded again for the same key
  replaces the earlier one: readers take the latest load.
- **Errors.** Every problem names the file, the line and the field (a
  value that is not a positive number, a column that is not a year, a code
  of the wrong shape, a key given twice, a download of another indicator);
  nothing of a file with problems is loaded, and the exit code is 3.
- **Rules.** Each commitment in money (an ‵amount‵ and ‵currency‵ instead of
  a quantity and unit) that is not withdrawn is converted at the average
  rate of its pledge year, the year of its first pledge; what was
  delivered on it at the same rate. Its share of GDP is its dollars over
  the giver's GDP of that same year; a country's share adds up its
  commitments' shares. A country's dollars are NULL when any of its
  commitments has no rate, its share also when a GDP is missing; they are
  not ranked, and ‵missing_fx‵ and ‵missing_gdp‵ count the commitments
  concerned. Amounts in different currencies are never added unconverted:
  the leaderboard counts commitments, gap_by_category adds up per currency.
`)
