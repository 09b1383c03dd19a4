//go:build linux && (amd64 || arm64)

package clickhouse

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// TestCurrentClickHouse runs the production SQL (migrations and named
// queries, exactly as the store sends them) on current ClickHouse, embedded
// as chDB's libchdb.so, and holds the answers equal to the Go reference at
// several moments: status (through BuildStatus) to schema.FoldAsOf, the
// anomalies and the commitments fragment to schema.FoldCommitments, the
// dedup_events fragment to schema.Knowledge. The store's own tests run the
// same SQL on Debian's ClickHouse 18.16; together they keep the SQL portable
// across both.
func TestCurrentClickHouse(t *testing.T) {
	t.Parallel()
	began := time.Now()
	s := openChdb(t)
	version := s.scalar("SELECT version()")
	t.Logf("ClickHouse %s", version)
	if !strings.HasPrefix(version, "26.") {
		t.Fatalf("libchdb.so is ClickHouse %s, want 26.x", version)
	}
	// What Open does: create the database and make it the default one.
	s.exec("CREATE DATABASE IF NOT EXISTS coalition")
	s.exec("USE coalition")
	if db := s.scalar("SELECT currentDatabase()"); db != "coalition" {
		t.Fatalf("current database is %q after USE, want coalition", db)
	}
	// Output settings for the JSON the test reads; they change no answer.
	s.exec("SET output_format_json_quote_64bit_integers = 0")
	s.exec("SET date_time_output_format = 'unix_timestamp'")
	// A server may refuse to drop a view that another view reads; the
	// migrations that make views again (0008) drop them in an order this
	// allows.
	s.exec("SET check_referential_table_dependencies = 1")

	migrations, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(migrations) == 0 {
		t.Fatal("no migrations")
	}
	// migrate does what Store.Migrate does on a database where some, none
	// or all migrations are recorded; like it, it takes "already exists"
	// (an ADD COLUMN run before) for done.
	migrate := func(t *testing.T) {
		t.Helper()
		applied := map[uint32]bool{}
		if rows, _, err := s.rows("SELECT version FROM schema_migrations"); err == nil {
			for _, r := range rows {
				v, ok := r["version"].(uint32)
				if !ok {
					t.Fatalf("schema_migrations.version is %T, want uint32", r["version"])
				}
				applied[v] = true
			}
		}
		for _, m := range migrations {
			if applied[m.Version] {
				continue
			}
			for i, stmt := range m.Statements {
				if _, err := s.run(stmt, "TSV"); err != nil && !strings.Contains(err.Error(), "already exists") {
					t.Fatalf("migration %04d_%s statement %d: %v\n%s", m.Version, m.Name, i+1, err, stmt)
				}
			}
			s.exec(fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, %s, %s)",
				m.Version, quote(m.Name), quote(time.Now().UTC().Format(time.DateTime))))
		}
	}

	t.Run("Migrations", func(t *testing.T) {
		// Every statement, twice: they must all be idempotent, or fail with
		// "already exists" the second time.
		for pass := 1; pass <= 2; pass++ {
			for _, m := range migrations {
				for i, stmt := range m.Statements {
					if _, err := s.run(stmt, "TSV"); err != nil && !strings.Contains(err.Error(), "already exists") {
						t.Errorf("pass %d: migration %04d_%s statement %d: %v\n%s", pass, m.Version, m.Name, i+1, err, stmt)
					}
				}
			}
		}
		migrate(t)
		migrate(t)
		if _, err := s.run("DROP TABLE IF EXISTS commitments_latest", "TSV"); err == nil || !strings.Contains(err.Error(), "HAVE_DEPENDENT_OBJECTS") {
			t.Errorf("dropping a view that others read: %v, want HAVE_DEPENDENT_OBJECTS: the order of the drops above is not checked", err)
		}
		rows, types, err := s.rows("SELECT version, name FROM schema_migrations FINAL ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		if types["version"] != "UInt32" {
			t.Errorf("schema_migrations.version is %s, want UInt32 (Store.Migrate scans it into a uint32)", types["version"])
		}
		if len(rows) != len(migrations) {
			t.Errorf("schema_migrations has %d rows, want %d", len(rows), len(migrations))
		}
		for _, tbl := range []string{"events", "schema_migrations"} {
			if n := s.scalar("SELECT count() FROM system.tables WHERE database = 'coalition' AND name = " + quote(tbl)); n != "1" {
				t.Errorf("table coalition.%s: %s tables", tbl, n)
			}
		}
		// Every column RowValues writes exists.
		for _, c := range chdbInsertColumns() {
			if n := s.scalar("SELECT count() FROM system.columns WHERE database = 'coalition' AND table = 'events' AND name = " + quote(c)); n != "1" {
				t.Errorf("events.%s: %s columns", c, n)
			}
		}
	})
	migrate(t)

	var sets []chdbSet
	loaded := time.Now()
	for seed := uint64(1); seed <= chdbSmallSeeds+6; seed++ {
		sets = append(sets, s.eventSet(seed))
	}
	t.Logf("%d event sets written in %v", len(sets), time.Since(loaded).Round(time.Millisecond))

	// Each check, on every set at every moment, must agree with the fold.
	for _, c := range []struct {
		name  string
		check chdbCheck
	}{
		{"StatusMatchesFold", chdbStatus},
		{"AnomaliesMatchFold", chdbAnomalies},
		{"CommitmentsMatchFold", chdbCommitments},
		{"DedupEventsMatchKnowledge", chdbDedupEvents},
	} {
		t.Run(c.name, func(t *testing.T) {
			began := time.Now()
			for _, st := range sets {
				if len(schema.FoldAsOf(st.coalition, st.events, st.moments[0])) == 0 {
					t.Fatalf("seed %d: empty fold", st.seed)
				}
				for _, at := range st.moments {
					diffs, err := c.check(s, st, at, nil)
					if err != nil {
						t.Fatalf("seed %d at %s: %v", st.seed, at.UTC().Format(time.DateTime), err)
					}
					const most = 10
					for i, d := range diffs {
						if i == most {
							t.Errorf("seed %d at %s: and %d more differences", st.seed, at.UTC().Format(time.DateTime), len(diffs)-most)
							break
						}
						t.Errorf("seed %d at %s: %s", st.seed, at.UTC().Format(time.DateTime), d)
					}
				}
			}
			t.Logf("%d sets at %d moments in %v", len(sets), len(sets[0].moments), time.Since(began).Round(time.Millisecond))
		})
	}

	t.Run("ColumnTypes", func(t *testing.T) {
		// Those the native driver maps to the Go types that BuildStatus
		// converts (chdbValue fails on any other).
		for _, name := range []string{"status_summary", "status_lines", "anomalies"} {
			_, types, err := s.namedRows(name, sets[0].coalition, sets[0].moments[0], nil)
			if err != nil {
				t.Fatal(err)
			}
			keys := make([]string, 0, len(types))
			for k := range types {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var b strings.Builder
			for _, k := range keys {
				fmt.Fprintf(&b, " %s:%s", k, types[k])
			}
			t.Logf("%s columns:%s", name, b.String())
		}
	})

	// BreakingAQueryIsCaught makes sure the comparisons above can fail: with
	// one change to a query or fragment (made in every query text that
	// includes it), the named check must disagree with the reference on
	// some set at some moment. from is matched in the bound text.
	t.Run("BreakingAQueryIsCaught", func(t *testing.T) {
		checks := map[string]chdbCheck{}
		for _, c := range chdbChecks {
			checks[c.name] = c.check
		}
		for _, m := range []struct{ query, from, to, check string }{
			{"status_lines", "sum(delivered_milli)", "max(delivered_milli)", "status"},
			{"status_lines", "sum(pledged_milli)", "max(pledged_milli)", "status"},
			{"status_summary", "countIf(e_kind = 'meeting')", "countIf(is_actor AND e_kind = 'meeting')", "status"},
			// The stage is the highest any pledge reached, not the lowest.
			{"commitments", "maxIf(multiIf(e_stage", "minIf(multiIf(e_stage", "commitments"},
			// The defining pledge is the latest, not the earliest.
			{"commitments", "argMaxIf((e_actor, e_category, e_asset, e_unit, e_qm, e_deadline), (e_at, e_id)", "argMinIf((e_actor, e_category, e_asset, e_unit, e_qm, e_deadline), (e_at, e_id)", "commitments"},
			// The first withdrawal closes a commitment, not the last.
			{"commitments", "minIf(e_at, e_kind = 'withdrawal')", "maxIf(e_at, e_kind = 'withdrawal')", "commitments"},
			// Retracted events are not known.
			{"dedup_events", "WHERE tupleElement(latest, 14) = 0", "", "dedup_events"},
			{"dedup_events", "WHERE tupleElement(latest, 14) = 0", "", "status"},
			// What was known is what was reported by then, not what occurred.
			{"dedup_events", "reported_at <= ", "occurred_at <= ", "dedup_events"},
			{"dedup_events", "reported_at <= ", "occurred_at <= ", "status"},
			// Only a known commitment has an owner to mismatch.
			{"anomalies", "known = 1 AND a_actor != owner", "a_actor != owner", "anomalies"},
			// A deployment after the first withdrawal is an anomaly.
			{"anomalies", "a_at > withdrawn_at", "a_at < withdrawn_at", "anomalies"},
			// The transition rules: each illegal transition is recorded,
			// and counted in the status, by its own rule.
			{"anomalies", "a_at > delivered_at", "a_at >= delivered_at", "anomalies"},
			{"anomalies", "delivered_at > toDateTime(0, 'UTC') AND ", "", "anomalies"},
			{"anomalies", "withdrawn_at < a_at", "withdrawn_at > a_at", "anomalies"},
			{"anomalies", "a_at < announced_at", "a_at <= announced_at", "anomalies"},
			{"anomalies", "a_prev != '' AND a_prev != a_actor", "a_actor != owner", "anomalies"},
			{"anomalies", "a_prev != '' AND a_prev != a_actor", "a_prev != a_actor", "anomalies"},
			{"anomalies", "['withdrawal_after_delivery']", "emptyArrayString()", "status"},
			{"anomalies", "['pledge_after_withdrawal']", "emptyArrayString()", "status"},
			{"anomalies", "['activity_before_pledge']", "emptyArrayString()", "status"},
			{"anomalies", "['owner_changed']", "emptyArrayString()", "status"},
			// The story order of pledges is by time, then id, not by id.
			{"commitments", "arraySort(groupArrayIf((e_at, e_id, e_actor), e_kind = 'pledge'))", "arraySort(x -> tupleElement(x, 2), groupArrayIf((e_at, e_id, e_actor), e_kind = 'pledge'))", "anomalies"},
			// Delivered when the running sum reaches the pledge, not when
			// any one delivery does; or by a complete delivery.
			{"commitments", "arrayCumSum(arrayMap(x -> tupleElement(x, 3), deployments_sorted))", "arrayMap(x -> tupleElement(x, 3), deployments_sorted)", "commitments"},
			{"commitments", "completes > 0 OR ", "", "commitments"},
			// Each member in conflict is named, on both sides.
			{"status_summary", "if(country = actor, counterpart, actor) AS e_other", "counterpart AS e_other", "status"},
			{"status_summary", "groupUniqArrayIf(e_other, e_kind IN ('sanction', 'incident') AND counterpart_is_member)", "groupUniqArrayIf(e_other, e_kind = 'sanction' AND counterpart_is_member)", "status"},
		} {
			what := fmt.Sprintf("%s with %q instead of %q", m.query, m.to, m.from)
			if text, err := chdbNamed(m.query, sets[0].coalition, sets[0].moments[0], nil); err != nil {
				t.Fatal(err)
			} else if !strings.Contains(text, m.from) {
				t.Errorf("%s no longer contains %q: update this test's mutation", m.query, m.from)
				continue
			}
			edit := func(q string) string { return strings.ReplaceAll(q, m.from, m.to) }
			caught := ""
		search:
			for i := range sets {
				st := sets[len(sets)-1-i] // the big sets first: they break more
				for _, at := range st.moments {
					diffs, err := checks[m.check](s, st, at, edit)
					if err != nil {
						t.Errorf("%s fails: %v", what, err)
						break search
					}
					if len(diffs) > 0 {
						caught = fmt.Sprintf("on seed %d at %s: %s", st.seed, at.UTC().Format(time.DateTime), strings.SplitN(diffs[0], "\n", 2)[0])
						break search
					}
				}
			}
			if caught == "" {
				t.Errorf("%s: the %s check still matches on every set at every moment", what, m.check)
				continue
			}
			t.Logf("%s: caught by the %s check %s", what, m.check, caught)
		}
	})
	t.Logf("TestCurrentClickHouse took %v", time.Since(began).Round(time.Millisecond))
}
