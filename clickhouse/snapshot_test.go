package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/schema"
)

// TestStatusSnapshot checks that the status read from a snapshot is the
// status computed afresh, and that a snapshot stops being used as soon as
// a batch is stored, a deadline passes, or an event reported for later
// becomes known.
func TestStatusSnapshot(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	const coalition = "snap"
	r := rand.New(rand.NewPCG(7, 11))
	evs := eventgen.Events(r, 300, eventgen.Options{Coalitions: []string{coalition}, Commitments: 20, Revisions: true})
	check := func(step string, evs []schema.Event) {
		t.Helper()
		got, err := s.CountryStatus(ctx, coalition)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		testkit.CompareStatus(t, got, schema.FoldAsOf(coalition, evs, time.Now()))
	}

	if err := s.InsertEvents(ctx, rowsOf(t, evs[:200])); err != nil {
		t.Fatal(err)
	}
	check("first read", evs[:200])
	if n := s.StatusComputations(); n != 1 {
		t.Fatalf("after the first read: %d computations, want 1", n)
	}
	check("second read", evs[:200])
	if n := s.StatusComputations(); n != 1 {
		t.Fatalf("the second read computed again: %d computations, want 1", n)
	}

	t.Run("NewBatch", func(t *testing.T) {
		if err := s.InsertEvents(ctx, rowsOf(t, evs[200:])); err != nil {
			t.Fatal(err)
		}
		check("after a new batch", evs)
		sn, _, ok, err := s.LatestSnapshot(ctx, coalition)
		if err != nil || !ok {
			t.Fatalf("no snapshot: %v", err)
		}
		if sn.Marks != 2 {
			t.Errorf("snapshot marks %d, want 2", sn.Marks)
		}
	})

	t.Run("Redelivery", func(t *testing.T) {
		// A batch stored again changes no figure but is a new batch: the
		// snapshot is computed again and stays equal.
		if err := s.InsertEvents(ctx, rowsOf(t, evs[:50])); err != nil {
			t.Fatal(err)
		}
		check("after a redelivered batch", evs)
	})

	t.Run("WriterWithoutMarks", func(t *testing.T) {
		// Rows written by something that does not record ingest marks (an
		// older release, a crash between the INSERT and its mark) still
		// make the snapshot stale: the events table's insert block moved.
		check("before", evs)
		extra := eventgen.Events(r, 40, eventgen.Options{Coalitions: []string{coalition}, Commitments: 20})
		if err := s.InsertRows(ctx, rowsOf(t, extra)); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, extra...)
		check("after rows without a mark", evs)
	})

	t.Run("ConcurrentReaders", func(t *testing.T) {
		// Readers that find the snapshot stale at the same time share one
		// computation: one new snapshot, every reader the same answer.
		extra := eventgen.Events(r, 40, eventgen.Options{Coalitions: []string{coalition}, Commitments: 20})
		if err := s.InsertEvents(ctx, rowsOf(t, extra)); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, extra...)
		before := s.StatusComputations()
		want := schema.FoldAsOf(coalition, evs, time.Now())
		errs := make(chan error, 8)
		results := make(chan []schema.CountryStatus, 8)
		for range 8 {
			go func() {
				got, err := s.CountryStatus(ctx, coalition)
				errs <- err
				results <- got
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			testkit.CompareStatus(t, <-results, want)
		}
		if after := s.StatusComputations(); after != before+1 {
			t.Errorf("8 concurrent readers computed the status %d times, want once", after-before)
		}
	})

	t.Run("Clock", func(t *testing.T) {
		// A pledge whose deadline is two seconds away, and a statement
		// reported three seconds from now: the snapshot taken now must not
		// outlive either.
		now := time.Now().UTC().Truncate(time.Second)
		deadline := now.Add(2 * time.Second)
		qty := 10.0
		pledge := schema.Event{ID: uuid.New(), Kind: schema.KindPledge, Coalition: coalition, Actor: "FRA",
			OccurredAt: now.Add(-time.Hour), ReportedAt: now.Add(-time.Hour), Source: "https://example.org/p",
			Pledge: &schema.Pledge{CommitmentID: "snap-deadline", Category: schema.CategoryMilitary, Asset: "aircraft", Quantity: &qty, Unit: "aircraft", Deadline: &deadline}}
		later := schema.Event{ID: uuid.New(), Kind: schema.KindStatement, Coalition: coalition, Actor: "ZAF",
			OccurredAt: now.Add(-time.Hour), ReportedAt: now.Add(3 * time.Second), Source: "https://example.org/s",
			Statement: &schema.Statement{Stance: schema.Stance(2)}}
		all := append(append([]schema.Event{}, evs...), pledge, later)
		if err := s.InsertEvents(ctx, rowsOf(t, []schema.Event{pledge, later})); err != nil {
			t.Fatal(err)
		}
		check("before the deadline", all)
		sn, _, _, err := s.LatestSnapshot(ctx, coalition)
		if err != nil {
			t.Fatal(err)
		}
		if !sn.ValidUntil.Equal(deadline) {
			t.Errorf("snapshot valid until %v, want the deadline %v", sn.ValidUntil, deadline)
		}
		time.Sleep(time.Until(deadline.Add(1100 * time.Millisecond)))
		check("after the deadline", all)
		time.Sleep(time.Until(now.Add(4100 * time.Millisecond)))
		check("after the later report", all)
		got, err := s.CountryStatus(ctx, coalition)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, st := range got {
			found = found || st.Country == "ZAF"
		}
		if !found {
			t.Error("the statement reported for later is not in the status once its time has come")
		}
	})

	t.Run("AsOfThePast", func(t *testing.T) {
		at := time.Date(2015, 11, 20, 0, 0, 0, 0, time.UTC)
		got, err := s.CountryStatusAsOf(ctx, coalition, at)
		if err != nil {
			t.Fatal(err)
		}
		testkit.CompareStatus(t, got, schema.FoldAsOf(coalition, evs, at))
	})
}

// TestStatusRefresher checks that the background refresher brings a stale
// snapshot up to date by itself, so that reads find it current.
func TestStatusRefresher(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	const coalition = "refresh"
	done := make(chan error, 1)
	go func() { done <- s.RunStatusRefresher(ctx, clickhouse.RefresherConfig{Interval: 20 * time.Millisecond}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("refresher: %v", err)
		}
	}()
	r := rand.New(rand.NewPCG(3, 5))
	var evs []schema.Event
	for batch := 1; batch <= 3; batch++ {
		more := eventgen.Events(r, 100, eventgen.Options{Coalitions: []string{coalition}, Commitments: 10})
		evs = append(evs, more...)
		if err := s.InsertEvents(ctx, rowsOf(t, more)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			sn, _, ok, err := s.LatestSnapshot(ctx, coalition)
			if err != nil {
				t.Fatal(err)
			}
			if ok && sn.Marks == uint64(batch) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("batch %d: the refresher did not refresh the snapshot in 30s", batch)
			}
			time.Sleep(10 * time.Millisecond)
		}
		before := s.StatusComputations()
		got, err := s.CountryStatus(ctx, coalition)
		if err != nil {
			t.Fatal(err)
		}
		testkit.CompareStatus(t, got, schema.FoldAsOf(coalition, evs, time.Now()))
		if after := s.StatusComputations(); after != before {
			t.Errorf("batch %d: the read computed the status again although the refresher had: %d snapshots before, %d after", batch, before, after)
		}
	}
}

// TestSlicedStatusMatchesFold computes the status of random event sets
// (revisions, retractions, duplicates, shuffled, several batches) through
// the work table filled in slices that large coalitions use, and checks it
// against the reference fold and against the status computed in one pass.
func TestSlicedStatusMatchesFold(t *testing.T) {
	t.Parallel()
	sliced := MustOpenStore(t)
	sliced.SetSlicing(0, 150) // every coalition, in slices of about 150 rows
	ctx := context.Background()
	for seed := uint64(1); seed <= 4; seed++ {
		r := rand.New(rand.NewPCG(seed, 1115))
		coalition := "sliced-" + string(rune('a'+seed))
		evs := eventgen.Events(r, 400+r.IntN(800), eventgen.Options{Coalitions: []string{coalition}, Commitments: 30, Revisions: true})
		all := append([]schema.Event{}, evs...)
		for i := r.IntN(len(evs)); i > 0; i-- {
			all = append(all, evs[r.IntN(len(evs))])
		}
		r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		rows := rowsOf(t, all)
		for len(rows) > 0 {
			n := min(len(rows), 1+r.IntN(200))
			if err := sliced.InsertEvents(ctx, rows[:n]); err != nil {
				t.Fatal(err)
			}
			rows = rows[n:]
		}
		for _, at := range []time.Time{time.Now(), time.Date(2015, 11, 13, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(20*24*3600)) * time.Second)} {
			got, err := sliced.CountryStatusLive(ctx, coalition, at)
			if err != nil {
				t.Fatal(err)
			}
			testkit.CompareStatus(t, got, schema.FoldAsOf(coalition, evs, at))
		}
	}
	res, err := sliced.RunSQL(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE 'status_work_%'")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Rows[0][0].(uint64); n != 0 {
		t.Errorf("%d work tables left behind", n)
	}
}

// TestStatusAsAnalyst reads the status as the read-only analyst user, who
// may neither create the work table of a large coalition nor store a
// snapshot: the status is still computed, and equals the fold.
func TestStatusAsAnalyst(t *testing.T) {
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
	const coalition = "read-only"
	evs := eventgen.Events(rand.New(rand.NewPCG(9, 9)), 300, eventgen.Options{Coalitions: []string{coalition}, Commitments: 12, Revisions: true})
	if err := s.InsertEvents(ctx, rowsOf(t, evs)); err != nil {
		t.Fatal(err)
	}
	an, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, User: clickhouse.AnalystUser, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	defer an.Close()
	an.SetSlicing(0, 100)
	got, err := an.CountryStatus(ctx, coalition)
	if err != nil {
		t.Fatalf("analyst status: %v", err)
	}
	testkit.CompareStatus(t, got, schema.FoldAsOf(coalition, evs, time.Now()))
}

// TestRecentStatus reads the latest snapshot whether current or not, and
// says which, without computing anything once a snapshot exists.
func TestRecentStatus(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	const coalition = "recent"
	r := rand.New(rand.NewPCG(4, 4))
	first := eventgen.Events(r, 100, eventgen.Options{Coalitions: []string{coalition}, Commitments: 10})
	if err := s.InsertEvents(ctx, rowsOf(t, first)); err != nil {
		t.Fatal(err)
	}
	got, _, current, err := s.RecentStatus(ctx, coalition)
	if err != nil || !current {
		t.Fatalf("first read: current %v, err %v; want a current status computed", current, err)
	}
	testkit.CompareStatus(t, got, schema.FoldAsOf(coalition, first, time.Now()))
	more := eventgen.Events(r, 50, eventgen.Options{Coalitions: []string{coalition}, Commitments: 10})
	if err := s.InsertEvents(ctx, rowsOf(t, more)); err != nil {
		t.Fatal(err)
	}
	before := s.StatusComputations()
	got, sn, current, err := s.RecentStatus(ctx, coalition)
	if err != nil {
		t.Fatal(err)
	}
	if current {
		t.Error("the snapshot is said to be current after a new batch")
	}
	if s.StatusComputations() != before {
		t.Error("RecentStatus computed the status although a snapshot existed")
	}
	if sn.AsOf.IsZero() || sn.ComputedAt.IsZero() {
		t.Errorf("snapshot without times: %+v", sn)
	}
	testkit.CompareStatus(t, got, schema.FoldAsOf(coalition, first, time.Now())) // the earlier answer, as labelled
}

// TestSweepWorkTables drops the status work tables a killed process left
// behind, and nothing else.
func TestSweepWorkTables(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE status_work_0123456789abcdef (x UInt8) ENGINE = Memory",
		"CREATE TABLE status_workers (x UInt8) ENGINE = Memory",
	} {
		if err := s.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.SweepWorkTables(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("a new work table: swept %d (%v), want 0", n, err)
	}
	time.Sleep(1100 * time.Millisecond) // metadata_modification_time has seconds
	if n, err := s.SweepWorkTables(ctx, 0); err != nil || n != 1 {
		t.Fatalf("swept %d (%v), want 1", n, err)
	}
	res, err := s.RunSQL(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'status_work%' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != "[[status_workers]]" {
		t.Errorf("left: %v, want only status_workers", res.Rows)
	}
}
