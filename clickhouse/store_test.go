package clickhouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/schema"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// MustOpenStore opens a migrated store on a fresh database of the shared
// private ClickHouse server.
func MustOpenStore(tb testing.TB) *clickhouse.Store {
	tb.Helper()
	addr, db := testkit.ClickHouse(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: db})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s
}

// rowsOf encodes events as the consumer does: canonical JSON.
func rowsOf(tb testing.TB, evs []schema.Event) []clickhouse.Row {
	tb.Helper()
	rows := make([]clickhouse.Row, len(evs))
	for i := range evs {
		b, err := json.Marshal(&evs[i])
		if err != nil {
			tb.Fatal(err)
		}
		rows[i] = clickhouse.Row{Event: evs[i], Data: b, StreamSeq: uint64(i + 1)}
	}
	return rows
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	t.Run("Idempotent", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate again (%d): %v", i, err)
			}
		}
	})
	t.Run("EmptyStatus", func(t *testing.T) {
		got, err := s.CountryStatus(ctx, "nobody")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Fatalf("got %d countries, want 0", len(got))
		}
	})
}

// TestMigrateFrom0007 migrates a database as an installed one is: made by
// migrations 0001 to 0007, which the ledger records, with events in it.
// Migrate applies only the later migrations, records each once, and the
// views they make again then match their queries.
// TestMigrateRestoresViews plays a migration that rebuilds views stopped
// between its drops and its creates, after it was recorded as applied: the
// next Migrate makes the missing views again, from their latest
// definitions (anomalies_latest with all eight rules, not 0007's).
func TestMigrateRestoresViews(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	addr, db := testkit.ClickHouse(t)
	s, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: db})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"country_status_latest", "anomalies_latest", "commitments_latest", "leaderboard_latest"} {
		if err := s.Exec(ctx, "DROP TABLE "+v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := s.RunSQL(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN ('country_status_latest', 'anomalies_latest', 'commitments_latest', 'leaderboard_latest') ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Rows); got != "[[anomalies_latest] [commitments_latest] [country_status_latest] [leaderboard_latest]]" {
		t.Fatalf("views after Migrate: %s", got)
	}
	res, err = s.RunSQL(ctx, "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'anomalies_latest'")
	if err != nil {
		t.Fatal(err)
	}
	if q := fmt.Sprint(res.Rows); !strings.Contains(q, "owner_changed") {
		t.Errorf("anomalies_latest was made from an old definition: %.200s", q)
	}
}

func TestMigrateFrom0007(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	addr, db := testkit.ClickHouse(t)
	s, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: db})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	ms, err := clickhouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version > 7 {
			break
		}
		for i, stmt := range m.Statements {
			if err := s.Exec(ctx, stmt); err != nil {
				t.Fatalf("migration %04d statement %d: %v", m.Version, i+1, err)
			}
		}
		if err := s.Exec(ctx, fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) SELECT toUInt32(%d), '%s', now()", m.Version, m.Name)); err != nil {
			t.Fatalf("record migration %04d: %v", m.Version, err)
		}
	}
	viewCoalitions(t, s)
	// 0007's anomalies_latest: four kinds only.
	res, err := s.RunSQL(ctx, "SELECT count() FROM anomalies_latest WHERE kind = 'owner_changed'")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Rows[0][0].(uint64); n != 0 {
		t.Fatalf("before migrating: %d owner_changed anomalies, want 0 (0007's view)", n)
	}

	// Two processes at once, as when several start together: one may
	// drop a view the other has just made again.
	other, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: []string{addr}, Database: db})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { other.Close() })
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, st := range []*clickhouse.Store{s, other} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = st.Migrate(ctx) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrate (process %d): %v", i+1, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	res, err = s.RunSQL(ctx, "SELECT version, count() FROM schema_migrations GROUP BY version ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(ms) {
		t.Errorf("schema_migrations has %d versions, want %d", len(res.Rows), len(ms))
	}
	for _, row := range res.Rows {
		if v := row[0].(uint32); v <= 7 && row[1].(uint64) != 1 {
			t.Errorf("migration %04d recorded %d times, want once: it was applied again", v, row[1])
		}
	}
	cat, err := clickhouse.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range cat {
		var diff string
		for attempt := 0; attempt < 3; attempt++ { // now() a second apart
			if diff, _ = viewDiff(t, s, q, "views"); diff == "" {
				break
			}
		}
		if diff != "" {
			t.Errorf("%s_latest after migrating: %s", q.Name, diff)
		}
	}
	if diff := commitmentsDiff(t, s, "views"); diff != "" {
		t.Errorf("commitments_latest after migrating: %s", diff)
	}
}

// TestCountryStatusMatchesFold writes random event sets, in shuffled order
// with duplicates, in several batches, and checks that ClickHouse's status
// equals the reference fold, country by country and field by field.
func TestCountryStatusMatchesFold(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	for seed := uint64(1); seed <= 16; seed++ {
		r := rand.New(rand.NewPCG(seed, 2015))
		coalition := "prop-" + string(rune('a'+seed))
		pool := []int{4, 12, 40}[seed%3]
		n := 20 + r.IntN(200)
		if seed > 12 { // large sets: several commitments per status line
			n = 1000 + r.IntN(1000)
		}
		opts := eventgen.Options{Coalitions: []string{coalition, "other"}, Commitments: pool, Revisions: true}
		if seed > 12 && seed%2 == 0 {
			// Events on the hour or the day: many share a second, so that
			// ties and the boundaries of "after" and "before" come up.
			opts.Tick = []time.Duration{time.Hour, 24 * time.Hour}[seed/2%2]
		}
		evs := eventgen.Events(r, n, opts)
		// Duplicates and redeliveries, then shuffle.
		all := append([]schema.Event{}, evs...)
		for i := r.IntN(len(evs)); i > 0; i-- {
			all = append(all, evs[r.IntN(len(evs))])
		}
		r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		rows := rowsOf(t, all)
		for len(rows) > 0 {
			n := min(len(rows), 1+r.IntN(40)+len(rows)/8)
			if err := s.InsertEvents(ctx, rows[:n]); err != nil {
				t.Fatal(err)
			}
			rows = rows[n:]
		}
		// Now, and what was known at moments during the story.
		moments := []time.Time{time.Now()}
		for i := 0; i < 3; i++ {
			moments = append(moments, time.Date(2015, 11, 13, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(20*24*3600))*time.Second))
		}
		for _, at := range moments {
			got, err := s.CountryStatusAsOf(ctx, coalition, at)
			if err != nil {
				t.Fatal(err)
			}
			want := schema.FoldAsOf(coalition, evs, at)
			if len(want) == 0 && at.Year() > 2015 {
				t.Fatalf("seed %d: empty fold", seed)
			}
			testkit.CompareStatus(t, got, want)
		}
	}
}

// TestIsRefusal tells a statement ClickHouse refuses for its content (a
// value it cannot store) from one it cannot run for now (a table missing,
// as while a migration makes it again), which the consumer must retry
// rather than dead-letter.
func TestIsRefusal(t *testing.T) {
	t.Parallel()
	s := MustOpenStore(t)
	ctx := context.Background()
	err := s.Exec(ctx, "INSERT INTO events (event_id, kind) SELECT generateUUIDv4(), 'no_such_kind'")
	if err == nil || !clickhouse.IsRefusal(err) {
		t.Errorf("an unknown enum value: IsRefusal(%v) = false, want true", err)
	}
	err = s.Exec(ctx, "INSERT INTO no_such_table (x) SELECT 1")
	if err == nil || clickhouse.IsRefusal(err) {
		t.Errorf("a missing table: IsRefusal(%v) = true, want false", err)
	}
}

// TestDDLHostsActive reads the servers an ON CLUSTER statement timed out on
// from ClickHouse's message (18.16's wording): all of them up means slow,
// and the statement is waited for again; one down stops the migration.
func TestDDLHostsActive(t *testing.T) {
	t.Parallel()
	msg := func(unfinished, active int) error {
		return fmt.Errorf("exec: %w", &ch.Exception{Code: 159, Message: fmt.Sprintf("Watching task /clickhouse/task_queue/ddl/query-0000000050 is executing longer than distributed_ddl_task_timeout (=30) seconds. There are %d unfinished hosts (%d of them are currently active), they are going to execute the query in background", unfinished, active)})
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{msg(1, 1), true},
		{msg(2, 2), true},
		{msg(1, 0), false},
		{msg(2, 1), false},
		{&ch.Exception{Code: 159, Message: "Timeout"}, false},
		{errors.New("There are 1 unfinished hosts (1 of them are currently active)"), false},
	} {
		if got := clickhouse.DDLHostsActive(tc.err); got != tc.want {
			t.Errorf("DDLHostsActive(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
