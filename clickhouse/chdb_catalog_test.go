//go:build linux && (amd64 || arm64)

package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/reference"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

// TestCurrentClickHouseCatalog runs every query of the analytics catalog,
// and every view of the migrations, on current ClickHouse (chDB) and on
// ClickHouse 18.16 (a private server), over the same stored rows: the
// Paris scenario, the money fixtures with the World Bank fixtures of
// testdata/reference, and a random set. The answers must be the same:
// the same columns, and in every row the same Go values, of the same Go
// types, as the store's reads give them (so that the command line, the
// HTTP API and the docs print the same on both). A function whose output
// changed between the versions (formatDateTime's %M, minutes on 18.16 and
// the month's name since 23.4) shows here.
func TestCurrentClickHouseCatalog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// ClickHouse 18.16: a private server, as the store uses it.
	srv, err := StartLocal(ctx, LocalOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start clickhouse-server: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	old, err := Open(ctx, Config{Addrs: []string{srv.Addr()}, Database: "coalition"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { old.Close() })
	if err := old.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	oldVersion, err := old.ServerVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Current ClickHouse: chDB, every migration statement as Migrate runs it.
	s := openChdb(t)
	version := s.scalar("SELECT version()")
	if !strings.HasPrefix(version, "26.") {
		t.Fatalf("libchdb.so is ClickHouse %s, want 26.x", version)
	}
	t.Logf("ClickHouse %s against %s", version, oldVersion)
	s.exec("CREATE DATABASE IF NOT EXISTS coalition")
	s.exec("USE coalition")
	s.exec("SET output_format_json_quote_64bit_integers = 0")
	s.exec("SET date_time_output_format = 'unix_timestamp'")
	migrations, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		for i, stmt := range m.Statements {
			if _, err := s.run(stmt, "TSV"); err != nil && !strings.Contains(err.Error(), "already exists") {
				t.Fatalf("migration %04d_%s statement %d on ClickHouse %s: %v\n%s", m.Version, m.Name, i+1, version, err, stmt)
			}
		}
	}

	// The same rows in both.
	random := eventgen.Events(rand.New(rand.NewPCG(31, 31)), 1200, eventgen.Options{Coalitions: []string{"random"}, Commitments: 150, Revisions: true})
	for i := range random {
		if p := random[i].Pledge; p != nil && p.Destination != "" && i%3 != 0 {
			p.Destination = eventgen.Countries[i%len(eventgen.Countries)] // pledges to members
		}
	}
	for _, evs := range [][]schema.Event{chdbNDJSON(t, scenarios.Paris2015), chdbNDJSON(t, chdbFixture(t, "money_fixture.ndjson")), random} {
		rows := make([]Row, len(evs))
		for i := range evs {
			data, err := json.Marshal(&evs[i])
			if err != nil {
				t.Fatal(err)
			}
			rows[i] = Row{Event: evs[i], Data: data, StreamSeq: uint64(i + 1)}
		}
		if err := old.InsertEvents(ctx, rows); err != nil {
			t.Fatal(err)
		}
		s.insert(rows)
	}
	gdp, _, err := reference.ReadGDP("gdp", strings.NewReader(string(chdbFixture(t, "API_NY.GDP.MKTP.CD_DS2_en_csv_v2_fixture.csv"))))
	if err != nil {
		t.Fatal(err)
	}
	rates, _, err := reference.ReadFX("fx", strings.NewReader(string(chdbFixture(t, "API_PA.NUS.FCRF_DS2_en_csv_v2_fixture.csv"))))
	if err != nil {
		t.Fatal(err)
	}
	// An older load that the later one replaces, then the fixtures.
	stale := []reference.Rate{{Currency: "EUR", Year: 2015, PerUSD: 0.5}}
	for _, rs := range [][]reference.Rate{stale, rates} {
		if err := old.InsertFX(ctx, rs, "fx"); err != nil {
			t.Fatal(err)
		}
		s.insertReference("reference_fx", len(rs), func(i int) (string, int, float64) { return rs[i].Currency, rs[i].Year, rs[i].PerUSD })
	}
	if err := old.InsertGDP(ctx, gdp, "gdp"); err != nil {
		t.Fatal(err)
	}
	s.insertReference("reference_gdp", len(gdp), func(i int) (string, int, float64) { return gdp[i].Country, gdp[i].Year, gdp[i].USD })

	cat, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	for _, q := range cat {
		t.Run(q.Name, func(t *testing.T) {
			compared := 0
			for _, coalition := range []string{scenarios.Paris2015Coalition, "money-test", "random"} {
				for _, at := range []time.Time{time.Date(2015, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2015, 11, 27, 12, 0, 0, 0, time.UTC), now} {
					params, err := q.BindParams(map[string]string{"coalition": coalition, "as_of": at.Format(time.RFC3339)}, now)
					if err != nil {
						t.Fatal(err)
					}
					want, err := old.RunNamed(ctx, q.Name, params)
					if err != nil {
						t.Fatalf("ClickHouse %s: %v", oldVersion, err)
					}
					text, err := Query(q.Name)
					if err != nil {
						t.Fatal(err)
					}
					if text, err = Bind(text, params); err != nil {
						t.Fatal(err)
					}
					got, err := s.result(text)
					if err != nil {
						t.Fatalf("ClickHouse %s: %v", version, err)
					}
					where := fmt.Sprintf("coalition %s as of %s", coalition, at.Format(time.RFC3339))
					for _, d := range chdbDiffResults(got, want, false) {
						t.Errorf("%s: %s", where, d)
					}
					compared += len(want.Rows)
				}
			}
			if compared == 0 {
				t.Error("no rows on any coalition at any moment: nothing compared")
			}
		})
	}

	// The views read now(): the two servers read it a moment apart, which
	// may change a rounded day count; try again.
	views, err := old.RunSQL(ctx, "SELECT name FROM system.tables WHERE database = 'coalition' AND engine = 'View' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	if len(views.Rows) < len(cat)+2 {
		t.Fatalf("%d views on ClickHouse %s, want one per catalog query and more", len(views.Rows), oldVersion)
	}
	for _, row := range views.Rows {
		view := row[0].(string)
		t.Run("View_"+view, func(t *testing.T) {
			var diffs []string
			for attempt := 0; attempt < 3; attempt++ {
				want, err := old.RunSQL(ctx, "SELECT * FROM "+view)
				if err != nil {
					t.Fatalf("ClickHouse %s: %v", oldVersion, err)
				}
				got, err := s.result("SELECT * FROM " + view)
				if err != nil {
					t.Fatalf("ClickHouse %s: %v", version, err)
				}
				if len(want.Rows) == 0 {
					t.Fatal("no rows: nothing compared")
				}
				if diffs = chdbDiffResults(got, want, true); len(diffs) == 0 {
					break
				}
			}
			for _, d := range diffs {
				t.Error(d)
			}
		})
	}
}

// chdbFixture reads a file of testdata/reference (test fixtures).
func chdbFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "reference", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// chdbNDJSON reads events, every line valid.
func chdbNDJSON(tb testing.TB, b []byte) []schema.Event {
	tb.Helper()
	var evs []schema.Event
	err := schema.ReadNDJSON(strings.NewReader(string(b)), func(line int, ev schema.Event, err error) error {
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// insertReference writes n rows of a reference table as
// Store.insertReference does, one load id for the call.
func (s *chdbSession) insertReference(table string, n int, row func(int) (string, int, float64)) {
	s.tb.Helper()
	key := "country"
	if table == "reference_fx" {
		key = "currency"
	}
	figure := map[string]string{"reference_gdp": "gdp_usd", "reference_fx": "per_usd"}[table]
	now := time.Now().UTC()
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s, year, %s, source, loaded_at, load_id) FORMAT JSONEachRow\n", table, key, figure)
	for i := 0; i < n; i++ {
		k, year, v := row(i)
		line, err := json.Marshal(map[string]any{key: k, "year": year, figure: v, "source": "test", "loaded_at": now.Format(time.DateTime), "load_id": now.UnixNano()})
		if err != nil {
			s.tb.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	s.exec(b.String())
}

// result runs a query and returns its answer as Store.RunSQL does: the
// columns in order, and values of the Go types the native driver scans
// them into.
func (s *chdbSession) result(query string) (*Result, error) {
	out, err := s.run(query, "JSONCompact")
	if err != nil {
		return nil, err
	}
	var res struct {
		Meta []struct{ Name, Type string }
		Data [][]json.RawMessage
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("decode JSON output: %w\n%s", err, out)
	}
	r := &Result{Rows: [][]any{}}
	for _, m := range res.Meta {
		r.Columns = append(r.Columns, m.Name)
		r.Types = append(r.Types, m.Type)
	}
	for _, d := range res.Data {
		row := make([]any, len(d))
		for i, raw := range d {
			v, err := chdbValue(res.Meta[i].Type, raw)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", res.Meta[i].Name, err)
			}
			row[i] = v
		}
		r.Rows = append(r.Rows, row)
	}
	return r, nil
}

// chdbDiffResults compares current ClickHouse's answer with 18.16's:
// columns, then rows in order (sorted first when unordered is set, for a
// view), each value of the same Go type and equal (floats within 1e-9).
func chdbDiffResults(got, want *Result, unordered bool) []string {
	if strings.Join(got.Columns, ",") != strings.Join(want.Columns, ",") {
		return []string{fmt.Sprintf("columns %v, 18.16 gives %v", got.Columns, want.Columns)}
	}
	if len(got.Rows) != len(want.Rows) {
		return []string{fmt.Sprintf("%d rows, 18.16 gives %d", len(got.Rows), len(want.Rows))}
	}
	g, w := got.Rows, want.Rows
	if unordered {
		g, w = chdbSortRows(g), chdbSortRows(w)
	}
	var diffs []string
	for i := range w {
		for j, col := range want.Columns {
			a, b := g[i][j], w[i][j]
			if reflect.TypeOf(a) != reflect.TypeOf(b) {
				diffs = append(diffs, fmt.Sprintf("row %d %s: %T %v (%s), 18.16 gives %T %v (%s)", i, col, a, a, got.Types[j], b, b, want.Types[j]))
				continue
			}
			if !chdbSameValue(a, b) {
				diffs = append(diffs, fmt.Sprintf("row %d %s: %v, 18.16 gives %v", i, col, a, b))
			}
		}
		if len(diffs) > 10 {
			return append(diffs, "and more")
		}
	}
	return diffs
}

// chdbSortRows orders rows by their text.
func chdbSortRows(rows [][]any) [][]any {
	out := append([][]any(nil), rows...)
	text := func(r []any) string { return fmt.Sprint(r...) }
	sort.Slice(out, func(i, j int) bool { return text(out[i]) < text(out[j]) })
	return out
}
