package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/reference"
	"github.com/coalitiondev/coalition/schema"
)

// moneyCoalition is the coalition of testdata/reference/money_fixture.ndjson.
const moneyCoalition = "money-test"

// moneyEvents reads the money pledges of testdata/reference (test
// fixtures): every line must be a valid event.
func moneyEvents(tb testing.TB) []schema.Event {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "reference", "money_fixture.ndjson"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var evs []schema.Event
	err = schema.ReadNDJSON(f, func(line int, ev schema.Event, err error) error {
		if err != nil {
			return fmt.Errorf("money_fixture.ndjson line %d: %w", line, err)
		}
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// loadReference stores the World Bank downloads of testdata/reference (test
// fixtures, invented figures) as `coalition reference load` does.
func loadReference(tb testing.TB, s *clickhouse.Store) {
	tb.Helper()
	ctx := context.Background()
	dir := filepath.Join("..", "testdata", "reference")
	gf, err := os.Open(filepath.Join(dir, "API_NY.GDP.MKTP.CD_DS2_en_csv_v2_fixture.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer gf.Close()
	gdp, _, err := reference.ReadGDP(gf.Name(), gf)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.InsertGDP(ctx, gdp, filepath.Base(gf.Name())); err != nil {
		tb.Fatal(err)
	}
	ff, err := os.Open(filepath.Join(dir, "API_PA.NUS.FCRF_DS2_en_csv_v2_fixture.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer ff.Close()
	rates, _, err := reference.ReadFX(ff.Name(), ff)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.InsertFX(ctx, rates, filepath.Base(ff.Name())); err != nil {
		tb.Fatal(err)
	}
}

// runMoney runs money_ranking on a coalition, now.
func runMoney(tb testing.TB, s *clickhouse.Store, coalition string) *clickhouse.Result {
	tb.Helper()
	q, err := clickhouse.LookupQuery("money_ranking")
	if err != nil {
		tb.Fatal(err)
	}
	p, err := q.BindParams(map[string]string{"coalition": coalition}, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	res, err := s.RunNamed(context.Background(), "money_ranking", p)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// TestMoneyRanking checks money_ranking on the money fixtures, worked out
// by hand: amounts in euros, pounds and dollars converted at their pledge
// year's rate, never added unconverted; shares of the pledge year's GDP;
// NULL where a rate or a GDP is missing; a later load replaces a rate.
func TestMoneyRanking(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	if err := s.InsertEvents(ctx, rowsOf(t, moneyEvents(t))); err != nil {
		t.Fatal(err)
	}
	keys := []string{"country", "currencies"}
	n := func(v float64) any { return v }
	t.Run("NoReferenceData", func(t *testing.T) {
		// Only dollars convert without a rate; no share without GDP.
		checkRows(t, "money_ranking", runMoney(t, s, moneyCoalition), keys, refRows{
			"USA USD":     {"commitments": n(1), "pledged_usd": n(6e8), "pledged_pct_gdp": nil, "rank_usd": n(1), "rank_pct_gdp": nil, "missing_fx": n(0), "missing_gdp": n(1)},
			"DEU EUR":     {"commitments": n(1), "pledged_usd": nil, "delivered_usd": nil, "rank_usd": nil, "missing_fx": n(1), "missing_gdp": n(1)},
			"GBR GBP":     {"pledged_usd": nil, "missing_fx": n(1)},
			"FRA EUR+JPY": {"commitments": n(2), "pledged_usd": nil, "missing_fx": n(2), "missing_gdp": n(2)},
			"ITA EUR":     {"commitments": n(1), "pledged_usd": nil, "missing_fx": n(1)},
		}, nil)
	})
	loadReference(t, s)
	t.Run("WorldBankFixtures", func(t *testing.T) {
		// DEU: EUR 450m at 0.9 per dollar = USD 500m, 0.0147% of USD 3.4
		// trillion; EUR 180m delivered = USD 200m. GBR: GBP 130m at 0.65 =
		// USD 200m. USA: USD 600m, 0.0033% of USD 18.2 trillion. ITA: its
		// 2015 billion was withdrawn; EUR 45m in 2016 = USD 50m, and no
		// GDP of 2016. FRA: no rate for the yen. Germany gives less than
		// the United States, more for its size.
		res := runMoney(t, s, moneyCoalition)
		checkRows(t, "money_ranking", res, keys, refRows{
			"USA USD": {"commitments": n(1), "pledged_usd": n(6e8), "delivered_usd": n(0), "pledged_pct_gdp": n(0.0033), "delivered_pct_gdp": n(0),
				"rank_usd": n(1), "rank_pct_gdp": n(3), "missing_fx": n(0), "missing_gdp": n(0)},
			"DEU EUR": {"commitments": n(1), "pledged_usd": n(5e8), "delivered_usd": n(2e8), "pledged_pct_gdp": n(0.0147), "delivered_pct_gdp": n(0.0059),
				"rank_usd": n(2), "rank_pct_gdp": n(1), "missing_fx": n(0), "missing_gdp": n(0)},
			"GBR GBP": {"commitments": n(1), "pledged_usd": n(2e8), "delivered_usd": n(0), "pledged_pct_gdp": n(0.0069), "delivered_pct_gdp": n(0),
				"rank_usd": n(3), "rank_pct_gdp": n(2), "missing_fx": n(0), "missing_gdp": n(0)},
			"ITA EUR": {"commitments": n(1), "pledged_usd": n(5e7), "delivered_usd": n(0), "pledged_pct_gdp": nil, "delivered_pct_gdp": nil,
				"rank_usd": n(4), "rank_pct_gdp": nil, "missing_fx": n(0), "missing_gdp": n(1)},
			"FRA EUR+JPY": {"commitments": n(2), "pledged_usd": nil, "delivered_usd": nil, "pledged_pct_gdp": nil, "delivered_pct_gdp": nil,
				"rank_usd": nil, "rank_pct_gdp": nil, "missing_fx": n(1), "missing_gdp": n(0)},
		}, nil)
		// Ranked by dollars, the countries without a figure last.
		var order []string
		for _, row := range res.Rows {
			order = append(order, rowMap(res, row)["country"].(string))
		}
		if got := strings.Join(order, " "); got != "USA DEU GBR ITA FRA" {
			t.Errorf("order: got %s, want USA DEU GBR ITA FRA", got)
		}
	})
	t.Run("ALaterLoadReplaces", func(t *testing.T) {
		rates, _, err := reference.ReadFX("newer.csv", strings.NewReader("currency,year,per_usd\nEUR,2015,0.75\nJPY,2015,120\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.InsertFX(ctx, rates, "newer.csv"); err != nil {
			t.Fatal(err)
		}
		// DEU: EUR 450m at 0.75 = USD 600m, level with the United States:
		// both rank first, Britain (USD 200m) third. FRA: EUR 90m = USD
		// 120m and JPY 9bn at 120 = USD 75m, 0.0081% of its GDP, second
		// for its size after Germany (0.0176%).
		checkRows(t, "money_ranking", runMoney(t, s, moneyCoalition), keys, refRows{
			"USA USD":     {"pledged_usd": n(6e8), "rank_usd": n(1), "rank_pct_gdp": n(4)},
			"DEU EUR":     {"pledged_usd": n(6e8), "delivered_usd": n(2.4e8), "pledged_pct_gdp": n(0.0176), "rank_usd": n(1), "rank_pct_gdp": n(1)},
			"GBR GBP":     {"pledged_usd": n(2e8), "rank_usd": n(3), "rank_pct_gdp": n(3)},
			"FRA EUR+JPY": {"pledged_usd": n(1.95e8), "pledged_pct_gdp": n(0.0081), "rank_usd": n(4), "rank_pct_gdp": n(2), "missing_fx": n(0)},
			"ITA EUR":     {"pledged_usd": n(5e7), "rank_usd": n(5), "rank_pct_gdp": nil},
		}, nil)
	})
}

// TestMoneyRankingMatchesFold checks money_ranking against the reference
// fold on random event sets, whose money pledges are in euros, with rates
// and GDP for some of the years and countries only.
func TestMoneyRankingMatchesFold(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 11))
	evs := eventgen.Events(r, 2000, eventgen.Options{Coalitions: []string{"money"}, Commitments: 700, Revisions: true})
	if err := s.InsertEvents(ctx, rowsOf(t, evs)); err != nil {
		t.Fatal(err)
	}
	rates := map[string]float64{"EUR 2015": 0.9}
	gdp := map[string]float64{}
	var gdps []reference.GDP
	for i, c := range eventgen.Countries {
		if i%4 == 3 {
			continue // no GDP: a NULL share
		}
		g := 1e5 + float64(i)*3e4 // small, so that the shares are percents
		gdp[c+" 2015"] = g
		gdps = append(gdps, reference.GDP{Country: c, Year: 2015, USD: g})
	}
	if err := s.InsertGDP(ctx, gdps, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertFX(ctx, []reference.Rate{{Currency: "EUR", Year: 2015, PerUSD: 0.5}}, "test, replaced below"); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertFX(ctx, []reference.Rate{{Currency: "EUR", Year: 2015, PerUSD: 0.9}}, "test"); err != nil {
		t.Fatal(err)
	}
	commitments, _ := schema.FoldCommitments(schema.Knowledge("money", evs, time.Now()), time.Now())
	want := refMoney(commitments, rates, gdp)
	if len(want) < 3 {
		t.Fatalf("the random set has money commitments of %d countries: too few to rank", len(want))
	}
	res := runMoney(t, s, "money")
	checkRows(t, "money_ranking", res, []string{"country", "currencies"}, want, map[string]float64{"pledged_usd": 0.5, "delivered_usd": 0.5})
	t.Logf("%d countries ranked", len(res.Rows))
}
