package clickhouse_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

// TestClusterStatements rewrites every migration for cluster mode: each
// table becomes a replicated table and a Distributed table in front, each
// statement runs ON CLUSTER, only views are dropped, and a statement it
// does not know is refused rather than run on one server only.
func TestClusterStatements(t *testing.T) {
	t.Parallel()
	ms, err := clickhouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for _, stmt := range m.Statements {
			out, err := clickhouse.ClusterStatements(stmt, "c1", "db")
			if err != nil {
				t.Errorf("migration %04d: %v", m.Version, err)
				continue
			}
			for _, q := range out {
				if !strings.Contains(q, " ON CLUSTER `c1`") {
					t.Errorf("migration %04d: not ON CLUSTER: %s", m.Version, q)
				}
			}
		}
	}
	got, err := clickhouse.ClusterStatements("CREATE TABLE IF NOT EXISTS t\n(a UInt8)\nENGINE = ReplacingMergeTree(v)\nORDER BY a", "c1", "db")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CREATE TABLE IF NOT EXISTS `db`.`t_local` ON CLUSTER `c1`\n(a UInt8)\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/t_local', '{replica}', v)\nORDER BY a",
		"CREATE TABLE IF NOT EXISTS `db`.`t` ON CLUSTER `c1` AS `db`.`t_local`\nENGINE = Distributed(`c1`, `db`, `t_local`, rand())",
	}
	if strings.Join(got, "\n--\n") != strings.Join(want, "\n--\n") {
		t.Errorf("rewrite:\n%s\nwant\n%s", strings.Join(got, "\n--\n"), strings.Join(want, "\n--\n"))
	}
	// A view's tables are named with the database; a column after ARRAY
	// JOIN is not a table.
	got, err = clickhouse.ClusterStatements("CREATE VIEW IF NOT EXISTS v AS\nSELECT x FROM (SELECT groupArray(a) AS xs FROM t) ARRAY JOIN xs AS x ANY LEFT JOIN (SELECT 1 AS x FROM u) AS j USING x", "c1", "db")
	if err != nil {
		t.Fatal(err)
	}
	if want := "CREATE VIEW IF NOT EXISTS `db`.`v` ON CLUSTER `c1` AS\nSELECT x FROM (SELECT groupArray(a) AS xs FROM `db`.t) ARRAY JOIN xs AS x ANY LEFT JOIN (SELECT 1 AS x FROM `db`.u) AS j USING x"; len(got) != 1 || got[0] != want {
		t.Errorf("view:\n%s\nwant\n%s", strings.Join(got, "\n--\n"), want)
	}
	// A view the migrations create is dropped on every server; a table
	// is not dropped at all.
	got, err = clickhouse.ClusterStatements("DROP TABLE IF EXISTS anomalies_latest", "c1", "db")
	if err != nil {
		t.Fatal(err)
	}
	if want := "DROP TABLE IF EXISTS `db`.`anomalies_latest` ON CLUSTER `c1`"; len(got) != 1 || got[0] != want {
		t.Errorf("drop view:\n%s\nwant\n%s", strings.Join(got, "\n--\n"), want)
	}
	for _, bad := range []string{
		"CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = Memory",
		"CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY a",
		"DROP TABLE events",
		"DROP TABLE IF EXISTS events",
		"DROP TABLE IF EXISTS no_such_view",
		"ALTER TABLE events DROP COLUMN stage",
	} {
		if _, err := clickhouse.ClusterStatements(bad, "c1", "db"); err == nil {
			t.Errorf("%q: rewritten, want an error", bad)
		}
	}
}

// TestClusterMode runs the store in cluster mode on two real replicas of
// one shard (ZooKeeper, 18.16 servers): both migrate at once, events
// written on one replica, with duplicates, are read on the other and give
// the reference fold's status; every batch counts in the ingest marks
// (Replicated tables drop identical blocks); the named queries run.
func TestClusterMode(t *testing.T) {
	t.Parallel()
	reps := testkit.ClickHouseReplicas(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	stores := serverStores(t, ctx, reps.Addrs)
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Migrate(ctx) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrate on replica %d: %v", i+1, err)
		}
	}
	for i, s := range stores {
		res, err := s.RunSQL(ctx, "SELECT name, engine FROM system.tables WHERE database = 'coalition' AND name IN ('events', 'events_local') ORDER BY name")
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Rows; len(got) != 2 || got[0][1] != "Distributed" || got[1][1] != "ReplicatedReplacingMergeTree" {
			t.Fatalf("replica %d tables: %v", i+1, got)
		}
	}

	const coalition = "cluster"
	r := rand.New(rand.NewPCG(8, 8))
	evs := eventgen.Events(r, 600, eventgen.Options{Coalitions: []string{coalition}, Commitments: 25, Revisions: true})
	rows := rowsOf(t, evs)
	batches := 0
	for lo := 0; lo < len(rows); lo += 100 {
		batch := rows[lo:min(lo+100, len(rows))]
		if err := stores[0].InsertEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		batches++
		if lo == 200 { // a batch written twice, as after a lost ack
			if err := stores[0].InsertEvents(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batches++
		}
	}
	if err := stores[1].Exec(ctx, "SYSTEM SYNC REPLICA coalition.events_local"); err != nil {
		t.Fatal(err)
	}
	if err := stores[1].Exec(ctx, "SYSTEM SYNC REPLICA coalition.ingest_marks_local"); err != nil {
		t.Fatal(err)
	}
	got, err := stores[1].CountryStatus(ctx, coalition)
	if err != nil {
		t.Fatal(err)
	}
	testkit.CompareStatus(t, got, schema.FoldAsOf(coalition, evs, time.Now()))
	res, err := stores[1].RunSQL(ctx, "SELECT sum(batches) FROM ingest_marks WHERE coalition = '"+coalition+"'")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Rows[0][0].(uint64); n != uint64(batches) {
		t.Errorf("ingest marks %d, want %d: identical mark blocks were dropped", n, batches)
	}
	// Large coalitions' status goes through a work table on the connected
	// server, filled from the Distributed table.
	stores[1].SetSlicing(0, 150)
	sliced, err := stores[1].CountryStatusLive(ctx, coalition, time.Now())
	stores[1].SetSlicing(1<<62, 1)
	if err != nil {
		t.Fatalf("sliced status in cluster mode: %v", err)
	}
	testkit.CompareStatus(t, sliced, schema.FoldAsOf(coalition, evs, time.Now()))
	// The snapshot the read on replica 2 stored is current on both
	// replicas: their block numbers agree, and so do the marks.
	if err := stores[0].Exec(ctx, "SYSTEM SYNC REPLICA coalition.status_snapshots_local"); err != nil {
		t.Fatal(err)
	}
	for i, s := range stores {
		before := s.StatusComputations()
		if _, err := s.CountryStatus(ctx, coalition); err != nil {
			t.Fatal(err)
		}
		if s.StatusComputations() != before {
			t.Errorf("replica %d computed the status again over an unchanged coalition", i+1)
		}
	}
	// The named queries give on the cluster what they give on one server.
	paris := parisRows(t)
	money := rowsOf(t, moneyEvents(t))
	single := MustOpenStore(t)
	for _, s := range []*clickhouse.Store{single, stores[0], stores[0]} { // twice on the cluster: redelivered
		if err := s.InsertEvents(ctx, paris); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertEvents(ctx, money); err != nil {
			t.Fatal(err)
		}
	}
	// The reference data of money_ranking, through the Distributed
	// tables; loaded twice, the latest load counts once.
	for _, s := range []*clickhouse.Store{single, stores[0], stores[0]} {
		loadReference(t, s)
	}
	for _, table := range []string{"events_local", "reference_gdp_local", "reference_fx_local"} {
		if err := stores[1].Exec(ctx, "SYSTEM SYNC REPLICA coalition."+table); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := clickhouse.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range cat {
		for _, asOf := range []string{"2015-11-20", "now"} {
			coalition := scenarios.Paris2015Coalition
			if q.Name == "money_ranking" {
				coalition = moneyCoalition // Paris pledges no money
			}
			p, err := q.BindParams(map[string]string{"coalition": coalition, "as_of": asOf}, time.Now())
			if err != nil {
				p, err = q.BindParams(map[string]string{"coalition": coalition}, time.Now())
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := single.RunNamed(ctx, q.Name, p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := stores[1].RunNamed(ctx, q.Name, p)
			if err != nil {
				t.Errorf("query %s in cluster mode: %v", q.Name, err)
				continue
			}
			if g, w := sortedRows(got), sortedRows(want); g != w || len(want.Rows) == 0 {
				t.Errorf("query %s as of %s: cluster gives\n%s\none server gives\n%s", q.Name, asOf, g, w)
			}
		}
	}
	for _, view := range []string{"events_latest", "commitments_latest", "leaderboard_latest", "country_status_latest", "money_ranking_latest"} {
		in := coalition
		if view == "money_ranking_latest" {
			in = moneyCoalition
		}
		res, err := stores[1].RunSQL(ctx, "SELECT count() FROM "+view+" WHERE coalition = '"+in+"'")
		if err != nil {
			t.Fatalf("view %s: %v", view, err)
		}
		if n := res.Rows[0][0].(uint64); n == 0 {
			t.Errorf("view %s: no rows", view)
		}
	}
}

// parisRows is the Paris 2015 scenario as rows to insert.
func parisRows(tb testing.TB) []clickhouse.Row {
	tb.Helper()
	var evs []schema.Event
	err := schema.ReadNDJSON(bytes.NewReader(scenarios.Paris2015), func(line int, ev schema.Event, err error) error {
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return rowsOf(tb, evs)
}

// sortedRows is a result's rows as text, sorted: rows that tie in a
// query's ORDER BY may come in either order.
func sortedRows(r *clickhouse.Result) string {
	var lines []string
	for _, row := range r.Rows {
		lines = append(lines, fmt.Sprint(row...))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// BenchmarkInsertEvents measures InsertEvents (the consumer's write: one
// INSERT of 5,000 events and its ingest mark) on one server and in cluster
// mode on two replicas of one shard, where the INSERT goes through the
// Distributed table and the other replica fetches each part. It reports
// events/s and the compressed bytes each stored event takes on one server.
//
//	go test -run '^$' -bench InsertEvents -benchtime 40x ./clickhouse/
func BenchmarkInsertEvents(b *testing.B) {
	const batch = 5000
	r := rand.New(rand.NewPCG(5, 5))
	rows := rowsOf(b, eventgen.Events(r, 20*batch, eventgen.Options{Coalitions: []string{"bench"}, Commitments: 5000, Revisions: true}))
	run := func(b *testing.B, s *clickhouse.Store, local string) {
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			lo := (i % 20) * batch
			if err := s.InsertEvents(ctx, rows[lo:lo+batch]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		res, err := s.RunSQL(ctx, "SELECT sum(bytes_on_disk), sum(rows) FROM system.parts WHERE database = currentDatabase() AND table = '"+local+"' AND active")
		if err != nil {
			b.Fatal(err)
		}
		if rows := res.Rows[0][1].(uint64); rows > 0 {
			b.ReportMetric(float64(res.Rows[0][0].(uint64))/float64(rows), "disk-bytes/event")
		}
	}
	b.Run("one-server", func(b *testing.B) {
		run(b, MustOpenStore(b), "events")
	})
	b.Run("cluster-2-replicas", func(b *testing.B) {
		reps := testkit.ClickHouseReplicas(b, 2)
		ctx := context.Background()
		s := clusterStore(b, ctx, reps.Addrs)
		if err := s.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		run(b, s, "events_local")
	})
}

// TestClusterMigrateWithAReplicaDown migrates a fresh cluster while one
// replica is down: the database is created (the replica creates it from
// the DDL queue when back), the first table statement times out with an
// error that says what to do, and once the replica is back the migration
// runs again on both, and the replica has the rows written on the other.
func TestClusterMigrateWithAReplicaDown(t *testing.T) {
	t.Parallel()
	reps := testkit.ClickHouseReplicas(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := reps.Stop(1); err != nil {
		t.Logf("stop replica r2: %v", err)
	}
	s, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: reps.Addrs, Database: "coalition", Cluster: testkit.ReplicaCluster, DDLTimeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("open with a replica down: %v", err)
	}
	defer s.Close()
	err = s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "DDL queue") || !strings.Contains(err.Error(), "migrate again") {
		t.Fatalf("migrate with a replica down: %v, want the error that says the statement waits for it", err)
	}
	if err := reps.Start(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Again, as a restarted process would, with the default DDL timeout.
	s = clusterStore(t, ctx, reps.Addrs)
	if err := s.Migrate(ctx); err != nil {
		b, _ := os.ReadFile(filepath.Join(reps.Dir(1), "log", "clickhouse-server.err.log"))
		t.Fatalf("migrate with both replicas up: %v\nreplica r2's log:\n%s", err, b)
	}
	evs := eventgen.Events(rand.New(rand.NewPCG(3, 3)), 200, eventgen.Options{Coalitions: []string{"down"}, Commitments: 10})
	if err := s.InsertEvents(ctx, rowsOf(t, evs)); err != nil {
		t.Fatal(err)
	}
	r2 := clusterStore(t, ctx, reps.Addrs[1:])
	if err := r2.Exec(ctx, "SYSTEM SYNC REPLICA coalition.events_local"); err != nil {
		t.Fatal(err)
	}
	got, err := r2.CountryStatus(ctx, "down")
	if err != nil {
		t.Fatal(err)
	}
	testkit.CompareStatus(t, got, schema.FoldAsOf("down", evs, time.Now()))
}

// TestClusterSnapshotOnALaggingReplica: a replica that has a batch's ingest
// mark but not yet its events (fetches stopped, as while it catches up)
// must not store the status it computes as current; once it has caught up,
// both replicas give the status of every event.
func TestClusterSnapshotOnALaggingReplica(t *testing.T) {
	t.Parallel()
	reps := testkit.ClickHouseReplicas(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	stores := serverStores(t, ctx, reps.Addrs)
	if err := stores[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const coalition = "lag"
	r := rand.New(rand.NewPCG(4, 4))
	evs := eventgen.Events(r, 300, eventgen.Options{Coalitions: []string{coalition}, Commitments: 15, Revisions: true})
	insert := func(s *clickhouse.Store, part []schema.Event) {
		t.Helper()
		if err := s.InsertEvents(ctx, rowsOf(t, part)); err != nil {
			t.Fatal(err)
		}
	}
	exec := func(s *clickhouse.Store, q string) {
		t.Helper()
		if err := s.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	insert(stores[0], evs[:100])
	exec(stores[1], "SYSTEM SYNC REPLICA coalition.events_local")
	exec(stores[1], "SYSTEM STOP FETCHES coalition.events_local")
	insert(stores[0], evs[100:200]) // on r1; r2 has its mark, not its events
	insert(stores[1], evs[200:])    // on r2
	exec(stores[1], "SYSTEM SYNC REPLICA coalition.ingest_marks_local")
	if _, err := stores[1].CountryStatus(ctx, coalition); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[1].RefreshStatus(ctx, coalition); err == nil {
		t.Error("RefreshStatus on a replica missing events stored a snapshot")
	}
	exec(stores[1], "SYSTEM START FETCHES coalition.events_local")
	exec(stores[1], "SYSTEM SYNC REPLICA coalition.events_local")
	exec(stores[0], "SYSTEM SYNC REPLICA coalition.events_local")
	want := schema.FoldAsOf(coalition, evs, time.Now())
	for i, s := range stores {
		got, err := s.CountryStatus(ctx, coalition)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("replica r%d", i+1)
		testkit.CompareStatus(t, got, want)
	}
	// Caught up, the replica stores its snapshot, and it is used.
	if _, err := stores[1].RefreshStatus(ctx, coalition); err != nil {
		t.Fatalf("RefreshStatus on a caught-up replica: %v", err)
	}
	before := stores[1].StatusComputations()
	got, err := stores[1].CountryStatus(ctx, coalition)
	if err != nil {
		t.Fatal(err)
	}
	testkit.CompareStatus(t, got, want)
	if stores[1].StatusComputations() != before {
		t.Error("the caught-up replica's snapshot was not used")
	}
}

// TestClusterInsertQuorum: with InsertQuorum 2 an insert returns only once
// both replicas have it; with one replica down it fails with an error the
// consumer retries (not a refusal, which would dead-letter the events),
// and succeeds again once the replica is back.
func TestClusterInsertQuorum(t *testing.T) {
	t.Parallel()
	reps := testkit.ClickHouseReplicas(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: reps.Addrs, Database: "coalition", Cluster: testkit.ReplicaCluster, InsertQuorum: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	evs := eventgen.Events(rand.New(rand.NewPCG(6, 6)), 300, eventgen.Options{Coalitions: []string{"quorum"}, Commitments: 10})
	if err := s.InsertEvents(ctx, rowsOf(t, evs[:100])); err != nil {
		t.Fatal(err)
	}
	// Both have it without waiting for replication.
	res, err := clusterStore(t, ctx, reps.Addrs[1:]).RunSQL(ctx, "SELECT count() FROM coalition.events_local")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Rows[0][0].(uint64); n != 100 {
		t.Errorf("replica r2 has %d rows right after a quorum insert of 100", n)
	}
	if err := reps.Stop(1); err != nil {
		t.Logf("stop replica r2: %v", err)
	}
	err = s.InsertEvents(ctx, rowsOf(t, evs[100:200]))
	if err == nil {
		t.Fatal("an insert with quorum 2 and one replica down succeeded")
	}
	if clickhouse.IsRefusal(err) {
		t.Fatalf("too few replicas for the quorum taken for a refusal of the events: %v", err)
	}
	t.Logf("with r2 down: %v", err)
	if err := reps.Start(ctx, 1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		err := s.InsertEvents(ctx, rowsOf(t, evs[100:]))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("insert with both replicas back: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	got, err := s.CountryStatus(ctx, "quorum")
	if err != nil {
		t.Fatal(err)
	}
	testkit.CompareStatus(t, got, schema.FoldAsOf("quorum", evs, time.Now()))
}

// TestClusterTwoShards runs cluster mode on two shards of one server each:
// events spread over both by event id, and the status read on either
// server is the reference fold's. Its servers cannot tell whether the
// other shard is caught up, so no snapshot is kept: every read computes.
// A cluster the servers do not define is refused when opened (by
// ClickHouse creating the database, or by Open if the database exists).
func TestClusterTwoShards(t *testing.T) {
	t.Parallel()
	cl := testkit.ClickHouseCluster(t, 2, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: cl.Addrs[:1], Database: "coalition", Cluster: "elsewhere"}); err == nil || !strings.Contains(err.Error(), "elsewhere") {
		t.Errorf("open on an unknown cluster: %v, want an error naming it", err)
	}
	stores := serverStores(t, ctx, cl.Addrs)
	if err := stores[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const coalition = "shards"
	evs := eventgen.Events(rand.New(rand.NewPCG(12, 12)), 500, eventgen.Options{Coalitions: []string{coalition}, Commitments: 20, Revisions: true})
	rows := rowsOf(t, evs)
	if err := stores[0].InsertEvents(ctx, rows[:250]); err != nil {
		t.Fatal(err)
	}
	if err := stores[1].InsertEvents(ctx, rows[200:]); err != nil { // 50 written twice
		t.Fatal(err)
	}
	for i, s := range stores {
		res, err := s.RunSQL(ctx, "SELECT count() FROM coalition.events_local")
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Rows[0][0].(uint64); n == 0 || n >= 550 {
			t.Errorf("shard %d holds %d of 550 rows: not spread", i+1, n)
		}
		want := schema.FoldAsOf(coalition, evs, time.Now())
		for range 2 {
			before := s.StatusComputations()
			got, err := s.CountryStatus(ctx, coalition)
			if err != nil {
				t.Fatal(err)
			}
			testkit.CompareStatus(t, got, want)
			if s.StatusComputations() == before {
				t.Errorf("server %d answered from a snapshot on a cluster of two shards", i+1)
			}
		}
	}
}

// clusterStore opens a store in cluster mode on the cluster's servers
// addrs, closed in tb.Cleanup.
func clusterStore(tb testing.TB, ctx context.Context, addrs []string) *clickhouse.Store {
	tb.Helper()
	s, err := clickhouse.Open(ctx, clickhouse.Config{Addrs: addrs, Database: "coalition", Cluster: testkit.ReplicaCluster})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// serverStores opens a cluster-mode store on each server alone.
func serverStores(tb testing.TB, ctx context.Context, addrs []string) []*clickhouse.Store {
	tb.Helper()
	var out []*clickhouse.Store
	for _, addr := range addrs {
		out = append(out, clusterStore(tb, ctx, []string{addr}))
	}
	return out
}
