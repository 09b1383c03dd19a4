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
	"github.com/coalitiondev/coalition/schema"
)

func TestCatalog(t *testing.T) {
	cat, err := clickhouse.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"anomalies", "cohesion_matrix", "commitment_list", "gap_by_category", "leaderboard", "stance_timeline", "time_to_delivery", "weekly_activity"}
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
// checks the ones that restate the fold (commitment_list, anomalies,
// leaderboard) against it.
func TestCatalogQueries(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 9))
	evs := eventgen.Events(r, 800, eventgen.Options{Coalitions: []string{"cat", "other"}, Commitments: 30, Revisions: true})
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
		if len(res.Rows) == 0 {
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
			got = append(got, fmt.Sprintf("%s %d %d %d", m["country"], m["commitments"], m["delivered"], m["withdrawn"]))
		}
		for _, st := range schema.FoldAsOf("cat", evs, at) {
			if st.Commitments > 0 {
				want = append(want, fmt.Sprintf("%s %d %d %d", st.Country, st.Commitments, st.ByState.Delivered, st.ByState.Withdrawn))
			}
		}
		compareSorted(t, got, want)
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
