package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

func TestCatalog(t *testing.T) {
	cat, err := clickhouse.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"anomalies", "cohesion_matrix", "commitment_list", "gap_by_category", "leaderboard", "money_ranking", "stance_timeline", "time_to_delivery", "weekly_activity"}
	var got []string
	for _, q := range cat {
		got = append(got, q.Name)
		if q.Title == "" || q.Answers == "" {
			t.Errorf("%s: title %q, answers %q: both required", q.Name, q.Title, q.Answers)
		}
		if len(q.Params) == 0 || q.Params[0].Name != "coalition" || q.Params[0].HasDefault {
			t.Errorf("%s: first parameter must be the required coalition, got %+v", q.Name, q.Params)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("catalog: got %v, want %v", got, want)
	}
	t.Run("BindParams", func(t *testing.T) {
		q, err := clickhouse.LookupQuery("stance_timeline")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
		p, err := q.BindParams(map[string]string{"coalition": "paris-2015", "as_of": "2015-11-27"}, now)
		if err != nil {
			t.Fatal(err)
		}
		// A date is the end of that day: everything reported on it.
		if p["as_of"] != time.Date(2015, 11, 27, 23, 59, 59, 0, time.UTC) || p["country"] != "" {
			t.Errorf("got %v", p)
		}
		p, _ = q.BindParams(map[string]string{"coalition": "c"}, now)
		if p["as_of"] != now.Truncate(time.Second) {
			t.Errorf("as_of default: got %v, want now", p["as_of"])
		}
		_, err = q.BindParams(map[string]string{"as_of": "yesterday", "colour": "red"}, now)
		var paths []string
		for _, pr := range schema.ErrorProblems(err) {
			paths = append(paths, pr.Path)
		}
		if schema.ErrorCode(err) != schema.EINVALID || strings.Join(paths, ",") != "as_of,coalition,colour" {
			t.Errorf("got %v (paths %v), want problems with as_of, coalition, colour", err, paths)
		}
		if _, err := clickhouse.LookupQuery("drop_tables"); schema.ErrorCode(err) != schema.ENOTFOUND {
			t.Errorf("unknown query: got %v, want ENOTFOUND", err)
		}
	})
	t.Run("InjectionIsQuoted", func(t *testing.T) {
		s := MustOpenStore(t)
		q, _ := clickhouse.LookupQuery("stance_timeline")
		p, err := q.BindParams(map[string]string{"coalition": "x' OR 1=1 --", "country": `\' OR '1'='1`}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.RunNamed(context.Background(), "stance_timeline", p)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != 0 {
			t.Fatalf("got %d rows for a coalition that does not exist", len(res.Rows))
		}
	})
}

// TestAnomaliesQueryKnowsEveryKind checks that the anomalies query can
// give every kind of schema.AnomalyKinds (the property tests then hold it
// to the fold's rule for each).
func TestAnomaliesQueryKnowsEveryKind(t *testing.T) {
	q, err := clickhouse.Query("anomalies")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range schema.AnomalyKinds {
		if strings.Count(q, "['"+string(k)+"']") != 1 {
			t.Errorf("the anomalies query does not give %s exactly once", k)
		}
	}
}

// TestParseMoment checks the moments a user may give: a date is the end of
// that day for an as-of moment (what was known that day includes all its
// reports) and its start for a since moment.
func TestParseMoment(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	utc := func(y int, m time.Month, d, h, mi, s int) time.Time { return time.Date(y, m, d, h, mi, s, 0, time.UTC) }
	tests := []struct {
		in           string
		asOf, since  time.Time
		errSubstring string
	}{
		{"", now.Truncate(time.Second), now.Truncate(time.Second), ""},
		{"now", now.Truncate(time.Second), now.Truncate(time.Second), ""},
		{"2015-11-27", utc(2015, 11, 27, 23, 59, 59), utc(2015, 11, 27, 0, 0, 0), ""},
		{"2015-12-31", utc(2015, 12, 31, 23, 59, 59), utc(2015, 12, 31, 0, 0, 0), ""},
		{"2016-02-28", utc(2016, 2, 28, 23, 59, 59), utc(2016, 2, 28, 0, 0, 0), ""},
		{"2015-11-27T00:00:00Z", utc(2015, 11, 27, 0, 0, 0), utc(2015, 11, 27, 0, 0, 0), ""},
		{"2015-11-27T12:00:00Z", utc(2015, 11, 27, 12, 0, 0), utc(2015, 11, 27, 12, 0, 0), ""},
		{"2015-11-27T12:00:00.9Z", utc(2015, 11, 27, 12, 0, 0), utc(2015, 11, 27, 12, 0, 0), ""},
		{"2015-11-27T13:00:00+01:00", utc(2015, 11, 27, 12, 0, 0), utc(2015, 11, 27, 12, 0, 0), ""},
		{"2015-11-27T12:00:00", utc(2015, 11, 27, 12, 0, 0), utc(2015, 11, 27, 12, 0, 0), ""},
		{"2015-11-27 12:00:00", utc(2015, 11, 27, 12, 0, 0), utc(2015, 11, 27, 12, 0, 0), ""},
		{"2105-12-31", utc(2105, 12, 31, 23, 59, 59), utc(2105, 12, 31, 0, 0, 0), ""},
		// Today: as of its end would be as of a moment still to come.
		{"2026-01-02", now.Truncate(time.Second), utc(2026, 1, 2, 0, 0, 0), ""},
		{"2026-01-01", utc(2026, 1, 1, 23, 59, 59), utc(2026, 1, 1, 0, 0, 0), ""},
		{"1969-12-31", time.Time{}, time.Time{}, "outside 1970..2105"},
		{"yesterday", time.Time{}, time.Time{}, "is not a time"},
		{"2015-11-31", time.Time{}, time.Time{}, "is not a time"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			for _, p := range []struct {
				name  string
				parse func(string, time.Time) (time.Time, error)
				want  time.Time
			}{{"ParseMoment", clickhouse.ParseMoment, tt.asOf}, {"ParseSince", clickhouse.ParseSince, tt.since}} {
				got, err := p.parse(tt.in, now)
				switch {
				case tt.errSubstring != "":
					if err == nil || !strings.Contains(err.Error(), tt.errSubstring) {
						t.Errorf("%s(%q) = %v, %v; want an error saying %q", p.name, tt.in, got, err, tt.errSubstring)
					}
				case err != nil || !got.Equal(p.want) || got.Location() != time.UTC:
					t.Errorf("%s(%q) = %v, %v; want %v", p.name, tt.in, got, err, p.want)
				}
			}
		})
	}
}

// TestCatalogQueries runs every catalog query on random event sets and
// checks them against the reference fold: commitment_list, anomalies and
// leaderboard restate it; gap_by_category, time_to_delivery,
// weekly_activity and cohesion_matrix are worked out from it in Go
// (catalog_reference_test.go); money_ranking has its own tests
// (money_test.go), stance_timeline is a plain listing.
func TestCatalogQueries(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 9))
	evs := eventgen.Events(r, 800, eventgen.Options{Coalitions: []string{"cat", "other"}, Commitments: 30, Revisions: true})
	// eventgen's pledges go to Mali, never a member: send some to members,
	// which cohesion_matrix counts as cooperation.
	for i := range evs {
		if p := evs[i].Pledge; p != nil && p.Destination != "" && i%3 != 0 {
			p.Destination = eventgen.Countries[i%len(eventgen.Countries)]
		}
	}
	if err := s.InsertEvents(ctx, rowsOf(t, evs)); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2015, 11, 24, 12, 0, 0, 0, time.UTC)
	cat, _ := clickhouse.Catalog()
	results := map[string]*clickhouse.Result{}
	for _, q := range cat {
		p, err := q.BindParams(map[string]string{"coalition": "cat", "as_of": at.Format(time.RFC3339)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.RunNamed(ctx, q.Name, p)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		// The random sets hold few money commitments, none standing at
		// that moment: TestMoneyRanking checks money_ranking.
		if len(res.Rows) == 0 && q.Name != "money_ranking" {
			t.Errorf("%s: no rows", q.Name)
		}
		results[q.Name] = res
	}
	known := schema.Knowledge("cat", evs, at)
	commitments, anomalies := schema.FoldCommitments(known, at)

	t.Run("commitment_list", func(t *testing.T) {
		var got, want []string
		res := results["commitment_list"]
		for _, row := range res.Rows {
			m := rowMap(res, row)
			got = append(got, fmt.Sprintf("%s %s %s %g/%g", m["country"], m["commitment_id"], m["state"], m["pledged"], m["delivered"]))
		}
		for _, c := range commitments {
			if c.Known {
				want = append(want, fmt.Sprintf("%s %s %s %g/%g", c.Owner, c.ID, c.State, c.Pledged, c.Delivered))
			}
		}
		compareSorted(t, got, want)
	})
	t.Run("anomalies", func(t *testing.T) {
		var got, want []string
		res := results["anomalies"]
		for _, row := range res.Rows {
			m := rowMap(res, row)
			got = append(got, fmt.Sprintf("%s %s %s %s", m["country"], m["commitment_id"], m["kind"], m["event_id"]))
		}
		for _, a := range anomalies {
			want = append(want, fmt.Sprintf("%s %s %s %s", a.Country, a.CommitmentID, a.Kind, a.EventID))
		}
		compareSorted(t, got, want)
	})
	t.Run("leaderboard", func(t *testing.T) {
		var got, want []string
		res := results["leaderboard"]
		for _, row := range res.Rows {
			m := rowMap(res, row)
			got = append(got, fmt.Sprintf("%s %d %d %d %d %d %d", m["country"], m["commitments"], m["open"], m["partly_delivered"], m["delivered"], m["withdrawn"], m["lapsed"]))
		}
		for _, st := range schema.FoldAsOf("cat", evs, at) {
			if st.Commitments > 0 {
				want = append(want, fmt.Sprintf("%s %d %d %d %d %d %d", st.Country, st.Commitments, st.Open, st.ByState.PartlyDelivered, st.ByState.Delivered, st.ByState.Withdrawn, st.ByState.Lapsed))
			}
		}
		compareSorted(t, got, want)
		checkRows(t, "leaderboard", res, []string{"country"}, refLeaderboard(commitments), map[string]float64{"delivered_share": 0.0005})
	})
	// The other queries against the reference fold's figures.
	t.Run("gap_by_category", func(t *testing.T) {
		checkRows(t, "gap_by_category", results["gap_by_category"], []string{"category", "unit"}, refGap(commitments), map[string]float64{"fulfilment": 0.0005})
	})
	t.Run("time_to_delivery", func(t *testing.T) {
		checkRows(t, "time_to_delivery", results["time_to_delivery"], []string{"country", "commitment_id", "state"}, refTimeToDelivery(commitments, at),
			map[string]float64{"days_to_delivery": 0.05, "days_open": 0.05})
	})
	t.Run("weekly_activity", func(t *testing.T) {
		checkRows(t, "weekly_activity", results["weekly_activity"], []string{"week"}, refWeekly(known), nil)
	})
	t.Run("cohesion_matrix", func(t *testing.T) {
		checkRows(t, "cohesion_matrix", results["cohesion_matrix"], []string{"country_a", "country_b"}, refCohesion(known), nil)
	})
	t.Run("ViewsMatchQueries", func(t *testing.T) {
		// commitments_latest (now) against the fold now.
		res, err := s.RunSQL(ctx, "SELECT owner, commitment_id, state, pledged, delivered FROM commitments_latest WHERE coalition = 'cat' AND known = 1")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		nowCommitments, _ := schema.FoldCommitments(schema.Knowledge("cat", evs, now), now)
		var got, want []string
		for _, row := range res.Rows {
			got = append(got, fmt.Sprintf("%s %s %s %g/%g", row[0], row[1], row[2], row[3], row[4]))
		}
		for _, c := range nowCommitments {
			if c.Known {
				want = append(want, fmt.Sprintf("%s %s %s %g/%g", c.Owner, c.ID, c.State, c.Pledged, c.Delivered))
			}
		}
		compareSorted(t, got, want)
		res, err = s.RunSQL(ctx, "SELECT count() FROM events_latest WHERE coalition = 'cat'")
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Rows[0][0].(uint64); n != uint64(len(schema.Knowledge("cat", evs, now))) {
			t.Errorf("events_latest: %d events, want %d", n, len(schema.Knowledge("cat", evs, now)))
		}
	})
}

// TestCatalogParis checks answers worked out by hand on the Paris 2015
// scenario, as known at 2015-11-27T12:00:00Z (docs/analytics.md shows the
// whole answers).
func TestCatalogParis(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	if err := s.InsertEvents(ctx, parisRows(t)); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, name string) *clickhouse.Result {
		t.Helper()
		q, err := clickhouse.LookupQuery(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := q.BindParams(map[string]string{"coalition": scenarios.Paris2015Coalition, "as_of": "2015-11-27T12:00:00Z"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.RunNamed(ctx, name, p)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	n := func(v float64) any { return v }
	t.Run("gap_by_category", func(t *testing.T) {
		// Withdrawn commitments (France's single coalition) count nowhere;
		// the unquantified ones count in commitments only.
		checkRows(t, "gap_by_category", run(t, "gap_by_category"), []string{"category", "unit"}, refRows{
			"military soldiers": {"commitments": n(1), "open": n(1), "pledged": n(650), "delivered": n(0), "gap": n(650), "fulfilment": n(0)},
			"basing air_base":   {"commitments": n(1), "open": n(1), "pledged": n(1), "delivered": n(0), "gap": n(1), "fulfilment": n(0)},
			"diplomatic ":       {"commitments": n(1), "open": n(1), "pledged": n(0), "gap": n(0)},
			"intelligence ":     {"commitments": n(1), "open": n(1), "pledged": n(0), "gap": n(0)},
			"military ":         {"commitments": n(2), "open": n(2), "pledged": n(0), "gap": n(0)},
			"military carrier":  {"commitments": n(1), "open": n(0), "pledged": n(1), "delivered": n(1), "gap": n(0), "fulfilment": n(1)},
		}, nil)
	})
	t.Run("time_to_delivery", func(t *testing.T) {
		// The Charles de Gaulle: pledged 16 Nov 15:10, its jets struck on
		// 23 Nov 08:00, 6 days 16 h 50 min later, when it stopped being
		// open. France's single coalition: pledged 16 Nov 15:20, withdrawn
		// 26 Nov 18:40 (10 days 3 h 20 min). Germany's troops for Mali:
		// pledged 25 Nov 11:00, open until as_of (2 days 1 h).
		checkRows(t, "time_to_delivery", run(t, "time_to_delivery"), []string{"commitment_id"}, refRows{
			"fra-cdg-carrier-2015":             {"days_to_delivery": n(6.7), "days_open": n(6.7)},
			"fra-single-coalition-2015":        {"days_to_delivery": nil, "days_open": n(10.1)},
			"deu-mali-troops-2015":             {"days_to_delivery": nil, "days_open": n(2)},
			"fra-syria-strikes-2015":           {"days_open": n(10.9)},
			"gbr-akrotiri-basing-2015":         {"days_open": n(4)},
			"gbr-syria-airstrikes-2015":        {"days_open": n(1)},
			"fra-rus-strike-coordination-2015": {"days_open": n(0.7)},
			"rus-fra-intel-sharing-2015":       {"days_open": n(0.7)},
		}, nil)
	})
	t.Run("weekly_activity", func(t *testing.T) {
		// The attacks and the morning after; Versailles and the first
		// pledges; the week of the diplomatic round and the Su-24.
		checkRows(t, "weekly_activity", run(t, "weekly_activity"), []string{"week"}, refRows{
			"2015-11-09T00:00:00Z": {"events": n(2), "statements": n(1), "deployments": n(1), "countries": n(1)},
			"2015-11-16T00:00:00Z": {"events": n(5), "meetings": n(1), "statements": n(1), "pledges": n(3), "countries": n(1)},
			"2015-11-23T00:00:00Z": {"events": n(26), "meetings": n(5), "statements": n(10), "pledges": n(6), "deployments": n(1),
				"withdrawals": n(1), "sanctions": n(2), "incidents": n(1), "countries": n(7)},
		}, nil)
	})
	t.Run("leaderboard", func(t *testing.T) {
		// France: four commitments, one delivered (the carrier), one
		// withdrawn: one delivered of three standing.
		checkRows(t, "leaderboard", run(t, "leaderboard"), []string{"country"}, refRows{
			"FRA": {"commitments": n(4), "open": n(2), "delivered": n(1), "withdrawn": n(1), "lapsed": n(0), "delivered_share": n(0.333)},
			"GBR": {"commitments": n(2), "open": n(2), "delivered": n(0), "delivered_share": n(0)},
			"DEU": {"commitments": n(1), "open": n(1), "delivered": n(0)},
			"RUS": {"commitments": n(1), "open": n(1), "delivered": n(0)},
		}, nil)
	})
	t.Run("cohesion_matrix", func(t *testing.T) {
		// Russia's intelligence sharing goes to France: cooperation with
		// France besides their meeting. The air strikes' destination,
		// Syria, and the troops' destination, Mali, are not members.
		res := run(t, "cohesion_matrix")
		checkRows(t, "cohesion_matrix", res, []string{"country_a", "country_b"}, refRows{
			"RUS TUR": {"cooperation": n(0), "conflict": n(3), "net": n(-3)},
			"DEU GBR": {"cooperation": n(1), "conflict": n(0)},
			"DEU ITA": {"cooperation": n(1)},
			"FRA RUS": {"cooperation": n(2), "conflict": n(0), "net": n(2)},
			"FRA USA": {"cooperation": n(1)},
			"GBR ITA": {"cooperation": n(1)},
			"DEU FRA": {"cooperation": n(2)},
			"FRA GBR": {"cooperation": n(2)},
			"FRA ITA": {"cooperation": n(2)},
		}, nil)
	})
	t.Run("money_ranking", func(t *testing.T) {
		// The scenario pledges no money.
		if res := run(t, "money_ranking"); len(res.Rows) != 0 {
			t.Errorf("got %d rows, want none", len(res.Rows))
		}
	})
}

func rowMap(res *clickhouse.Result, row []any) map[string]any {
	m := map[string]any{}
	for i, c := range res.Columns {
		m[c] = row[i]
	}
	return m
}

func compareSorted(tb testing.TB, got, want []string) {
	tb.Helper()
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		tb.Errorf("got %d rows:\n%s\nwant %d:\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
}

// TestAnalystIsReadOnly connects as the private server's read-only user:
// it can read the views and cannot write or drop anything.
func TestAnalystIsReadOnly(t *testing.T) {
	t.Parallel()
	addr, db := testkit.ClickHouse(t)
	ctx := context.Background()
	s, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	an, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, User: clickhouse.AnalystUser, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	defer an.Close()
	if _, err := an.RunSQL(ctx, "SELECT count() FROM events_latest"); err != nil {
		t.Fatalf("analyst cannot read: %v", err)
	}
	evs := eventgen.Events(rand.New(rand.NewPCG(1, 1)), 3, eventgen.Options{})
	if err := an.InsertEvents(ctx, rowsOf(t, evs)); err == nil {
		t.Fatal("analyst could insert")
	}
	if err := an.Exec(ctx, "DROP TABLE events"); err == nil {
		t.Fatal("analyst could drop a table")
	}
	if err := an.Migrate(ctx); err == nil {
		// Migrate only writes when something is missing; force a write.
		if err := an.Exec(ctx, "CREATE TABLE x (a UInt8) ENGINE = Memory"); err == nil {
			t.Fatal("analyst could create a table")
		}
	}
}
