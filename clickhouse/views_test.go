package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

// viewCoalitions fills a store with the coalitions the view tests read:
// the Paris scenario, the money fixtures with the World Bank fixtures, and
// a random set with revisions, retractions and anomalies, some of its
// pledges to members. It returns the random set's events.
func viewCoalitions(tb testing.TB, s *clickhouse.Store) []schema.Event {
	tb.Helper()
	ctx := context.Background()
	evs := eventgen.Events(rand.New(rand.NewPCG(21, 21)), 1200, eventgen.Options{Coalitions: []string{"views"}, Commitments: 120, Revisions: true})
	for i := range evs {
		if p := evs[i].Pledge; p != nil && p.Destination != "" && i%3 != 0 {
			p.Destination = eventgen.Countries[i%len(eventgen.Countries)]
		}
	}
	for _, rows := range [][]clickhouse.Row{parisRows(tb), rowsOf(tb, moneyEvents(tb)), rowsOf(tb, evs)} {
		if err := s.InsertEvents(ctx, rows); err != nil {
			tb.Fatal(err)
		}
	}
	loadReference(tb, s)
	return evs
}

// TestViewsMatchQueries holds every <query>_latest view (migrations 0007
// and 0008) equal to its catalog query as of now, row for row and type for
// type, on every coalition; commitments_latest equal to the commitments
// fragment; and country_status_latest equal to the status.
func TestViewsMatchQueries(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	evs := viewCoalitions(t, s)
	cat, err := clickhouse.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range cat {
		t.Run(q.Name, func(t *testing.T) {
			compared := 0
			for _, coalition := range []string{scenarios.Paris2015Coalition, moneyCoalition, "views"} {
				// The query's now and the view's now() may fall on two
				// sides of a second that changes a rounded day count: try
				// again.
				var diff string
				var n int
				for attempt := 0; attempt < 3; attempt++ {
					if diff, n = viewDiff(t, s, q, coalition); diff == "" {
						break
					}
				}
				if diff != "" {
					t.Errorf("%s_latest, coalition %s: %s", q.Name, coalition, diff)
				}
				compared += n
			}
			if compared == 0 {
				t.Errorf("%s_latest: no rows in any coalition: nothing compared", q.Name)
			}
		})
	}
	t.Run("commitments", func(t *testing.T) {
		for _, coalition := range []string{scenarios.Paris2015Coalition, moneyCoalition, "views"} {
			var diff string
			for attempt := 0; attempt < 3; attempt++ { // now() a second apart: see above
				if diff = commitmentsDiff(t, s, coalition); diff == "" {
					break
				}
			}
			if diff != "" {
				t.Errorf("commitments_latest, coalition %s: %s", coalition, diff)
			}
		}
	})
	t.Run("country_status", func(t *testing.T) {
		for _, coalition := range []string{scenarios.Paris2015Coalition, moneyCoalition, "views"} {
			sts, err := s.CountryStatusLive(ctx, coalition, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if coalition == "views" {
				testkitCompare(t, sts, schema.FoldAsOf("views", evs, time.Now()))
			}
			var want []string
			for _, st := range sts {
				want = append(want, statusLine(st))
			}
			res, err := s.RunSQL(ctx, "SELECT * FROM country_status_latest WHERE coalition = '"+coalition+"'")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, row := range res.Rows {
				got = append(got, viewStatusLine(rowMap(res, row)))
			}
			compareSorted(t, got, want)
		}
	})
}

// testkitCompare checks that the store's status is the fold's (the view is
// compared with the store's).
func testkitCompare(tb testing.TB, got, want []schema.CountryStatus) {
	tb.Helper()
	var g, w []string
	for _, s := range got {
		g = append(g, statusLine(s))
	}
	for _, s := range want {
		w = append(w, statusLine(s))
	}
	compareSorted(tb, g, w)
}

// statusLine is what country_status_latest says of a country's status.
func statusLine(s schema.CountryStatus) string {
	stance, stanceAt, prev, lastMeeting := "NULL", "NULL", "NULL", "NULL"
	if s.HasStance {
		stance, stanceAt = fmt.Sprint(int(s.Stance)), s.StanceAt.UTC().Format(time.RFC3339)
	}
	if s.HasPrevStance {
		prev = fmt.Sprint(int(s.PrevStance))
	}
	if s.Meetings > 0 {
		lastMeeting = s.LastMeetingAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s %s events=%d stance=%s@%s prev=%s meetings=%d@%s pledges=%d deployments=%d withdrawals=%d sanctions=%d/%d incidents=%d member_conflicts=%d commitments=%d open=%d partly=%d delivered=%d withdrawn=%d lapsed=%d anomalies=%d unmatched=%d last=%s",
		s.Country, s.Label, s.Events, stance, stanceAt, prev, s.Meetings, lastMeeting, s.Pledges, s.Deployments, s.Withdrawals,
		s.SanctionsImposed, s.SanctionsReceived, s.Incidents, s.MemberConflicts, s.Commitments, s.Open, s.ByState.PartlyDelivered,
		s.ByState.Delivered, s.ByState.Withdrawn, s.ByState.Lapsed, s.Anomalies, s.Unmatched, s.LastActivityAt.UTC().Format(time.RFC3339))
}

// viewStatusLine is statusLine of a row of country_status_latest.
func viewStatusLine(m map[string]any) string {
	text := func(v any) string {
		switch x := v.(type) {
		case nil:
			return "NULL"
		case time.Time:
			return x.UTC().Format(time.RFC3339)
		}
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%s %s events=%d stance=%s@%s prev=%s meetings=%d@%s pledges=%d deployments=%d withdrawals=%d sanctions=%d/%d incidents=%d member_conflicts=%d commitments=%d open=%d partly=%d delivered=%d withdrawn=%d lapsed=%d anomalies=%d unmatched=%d last=%s",
		m["country"], m["label"], m["events"], text(m["stance"]), text(m["stance_at"]), text(m["prev_stance"]), m["meetings"], text(m["last_meeting_at"]),
		m["pledges"], m["deployments"], m["withdrawals"], m["sanctions_imposed"], m["sanctions_received"], m["incidents"], m["member_conflicts"],
		m["commitments"], m["open"], m["partly_delivered"], m["delivered"], m["withdrawn"], m["lapsed"], m["anomalies"], m["unmatched"], text(m["last_activity_at"]))
}

// viewDiff runs a catalog query on a coalition now and the same columns of
// its view, and says how they differ ("" if they do not) and how many rows
// the query gave.
func viewDiff(tb testing.TB, s *clickhouse.Store, q clickhouse.NamedQuery, coalition string) (string, int) {
	tb.Helper()
	ctx := context.Background()
	p, err := q.BindParams(map[string]string{"coalition": coalition}, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	want, err := s.RunNamed(ctx, q.Name, p)
	if err != nil {
		tb.Fatal(err)
	}
	got, err := s.RunSQL(ctx, fmt.Sprintf("SELECT %s FROM %s_latest WHERE coalition = '%s'", strings.Join(want.Columns, ", "), q.Name, coalition))
	if err != nil {
		tb.Fatalf("view %s_latest: %v", q.Name, err)
	}
	return resultDiff(got, want), len(want.Rows)
}

// commitmentsDiff runs the commitments fragment on a coalition now and
// says how commitments_latest differs from it ("" if it does not) in the
// columns the view has.
func commitmentsDiff(tb testing.TB, s *clickhouse.Store, coalition string) string {
	tb.Helper()
	ctx := context.Background()
	const columns = "commitment_id, known, owner, category, asset, unit, deadline, announced_at, complete, deliveries, " +
		"first_delivery_at, withdrawn, withdrawn_at, pledged, delivered_sum, delivered, state, delivered_at"
	frag, err := clickhouse.Query("commitments")
	if err != nil {
		tb.Fatal(err)
	}
	q, err := clickhouse.Bind("SELECT "+columns+" FROM ("+frag+")", map[string]any{"coalition": coalition, "as_of": time.Now()})
	if err != nil {
		tb.Fatal(err)
	}
	want, err := s.RunSQL(ctx, q)
	if err != nil {
		tb.Fatal(err)
	}
	got, err := s.RunSQL(ctx, "SELECT "+columns+" FROM commitments_latest WHERE coalition = '"+coalition+"'")
	if err != nil {
		tb.Fatalf("view commitments_latest: %v", err)
	}
	if len(want.Rows) == 0 {
		return "no commitments: nothing compared"
	}
	return resultDiff(got, want)
}

// resultDiff says how a view's rows differ from a query's ("" if they do
// not), in any order.
func resultDiff(got, want *clickhouse.Result) string {
	if g, w := strings.Join(got.Types, ","), strings.Join(want.Types, ","); g != w {
		return fmt.Sprintf("types %s, the query's %s", g, w)
	}
	if g, w := sortedRows(got), sortedRows(want); g != w {
		return fmt.Sprintf("rows\n%s\nthe query's\n%s", g, w)
	}
	return ""
}
