package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/testkit"
)

// TestReferenceLoad runs coalition reference load on the World Bank test
// fixtures of testdata/reference: what it stores, what it says, and how it
// refuses a broken file (file, line and field; nothing stored; exit 3).
func TestReferenceLoad(t *testing.T) {
	t.Parallel()
	addr, db := testkit.ClickHouse(t)
	ctx := context.Background()
	chFlags := []string{"--clickhouse-addr", addr, "--clickhouse-database", db, "--log-level", "warn"}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(ctx, append(append([]string{"reference"}, args...), chFlags...), nil, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	count := func(t *testing.T, query string) uint64 {
		t.Helper()
		store, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: db})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		if err := store.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := store.RunSQL(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(uint64)
	}

	t.Run("BrokenFileLoadsNothing", func(t *testing.T) {
		code, _, errOut := run("load", "gdp", referenceDir+"API_NY.GDP.MKTP.CD_DS2_en_csv_v2_fixture.csv", referenceDir+"gdp_bad_fixture.csv")
		if code != 3 {
			t.Errorf("exit %d, want 3", code)
		}
		for _, want := range []string{"gdp_bad_fixture.csv: line 5: field \"total\": not a year", "line 6: field \"2015\": \"lots\" is not a number"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		// The good file before it is not loaded either: every file is
		// checked before anything is stored.
		if n := count(t, "SELECT count() FROM reference_gdp"); n != 0 {
			t.Errorf("reference_gdp: %d rows after a refused load, want none", n)
		}
		if code, out, _ := run("load", "gdp", "--dry-run", referenceDir+"gdp_long_fixture.csv"); code != 0 || !strings.Contains(out, "not stored (--dry-run)") {
			t.Errorf("dry run: exit %d, %s", code, out)
		}
	})
	t.Run("Load", func(t *testing.T) {
		code, out, errOut := run("load", "gdp", referenceDir+"API_NY.GDP.MKTP.CD_DS2_en_csv_v2_fixture.csv", referenceDir+"gdp_long_fixture.csv")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, "9 GDP figures (6 countries, 2014-2016) from 6 rows (wdi layout)") || !strings.Contains(out, "stored in reference_gdp") {
			t.Errorf("summary:\n%s", out)
		}
		code, out, errOut = run("load", "fx", referenceDir+"API_PA.NUS.FCRF_DS2_en_csv_v2_fixture.csv", "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, `"skipped": 1`) || !strings.Contains(out, `"stored": true`) {
			t.Errorf("summary:\n%s", out)
		}
		// The long file restates DEU and FRA 2015: still one figure per
		// country and year for readers.
		if n := count(t, "SELECT count() FROM (SELECT country, year FROM reference_gdp GROUP BY country, year)"); n != 9 {
			t.Errorf("reference_gdp: %d keys, want 9", n)
		}
		if n := count(t, "SELECT count() FROM reference_fx WHERE currency = 'EUR'"); n != 2 {
			t.Errorf("reference_fx: %d EUR rates, want 2", n)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, args := range [][]string{{}, {"unload"}, {"load"}, {"load", "gdpx", "f.csv"}, {"load", "gdp"}} {
			var out, errOut bytes.Buffer
			if code := Run(ctx, append([]string{"reference"}, args...), nil, &out, &errOut); code != 2 {
				t.Errorf("reference %v: exit %d, want 2 (%s)", args, code, &errOut)
			}
		}
		var out, errOut bytes.Buffer
		if code := Run(ctx, []string{"reference", "load", "fx", "--currencies"}, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "EUR       EMU") {
			t.Errorf("--currencies: exit %d:\n%s", code, &out)
		}
	})
}
