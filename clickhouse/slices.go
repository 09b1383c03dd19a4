package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/coalitiondev/coalition/schema"
)

// Large coalitions: de-duplicating every event id in one GROUP BY holds
// every id's latest row in memory at once, which for ten million events is
// more than a modest server has (ClickHouse 18.16 went past 19 GB on this
// project's machine), and the status queries de-duplicate five times over.
// From slicedRows stored rows the status is computed in two steps instead:
//
//  1. the de-duplicated events (the dedup_core fragment) are written to a
//     work table one slice of event ids at a time (by
//     cityHash64(toString(event_id)) modulo the number of slices), so only
//     one slice's ids are held at once. Each id falls in
//     exactly one slice and its rows are de-duplicated together, so the
//     work table holds exactly what the fragment would give;
//  2. the status queries run over the work table in place of the fragment,
//     which is then dropped.
//
// Measured (docs/performance.md): 200,000 events 0.65 s instead of 1.4 s,
// one million 3.4 s instead of 9 s, ten million 49 s in under 2 GB. Below
// slicedRows the work table's DDL is not worth it. A user who may not
// create tables (a read-only analyst) gets the one-pass computation.
const (
	slicedRows   = 100_000 // stored rows from which a coalition's status is computed through a work table
	rowsPerSlice = 1_000_000
)

// slicing is when a Store computes status in slices; tests change it.
type slicing struct{ from, perSlice uint64 }

// sliceFilter is where a slice's condition goes in the dedup_core
// fragment: its WHERE on the events table.
const sliceFilter = "WHERE coalition = @coalition AND reported_at <= @as_of"

// storedRows returns the number of rows stored for a coalition
// (duplicates included).
func (s *Store) storedRows(ctx context.Context, coalition string) (uint64, error) {
	q, err := Bind("SELECT count() FROM events WHERE coalition = @coalition", map[string]any{"coalition": coalition})
	if err != nil {
		return 0, err
	}
	var n uint64
	if err := s.c(ctx).QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", coalition, err)
	}
	return n, nil
}

// computeStatus computes the status as of asOf from the stored events, in
// slices when the coalition is large.
func (s *Store) computeStatus(ctx context.Context, coalition string, asOf time.Time) ([]schema.CountryStatus, error) {
	s.computed.Add(1)
	// On a cluster, every statement on one server: the work table is a
	// table of that server.
	ctx, err := s.pinServer(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.storedRows(ctx, coalition)
	if err != nil {
		return nil, err
	}
	if n < s.slicing.from {
		return s.liveStatus(ctx, coalition, asOf)
	}
	return s.slicedStatus(ctx, coalition, asOf, int((n+s.slicing.perSlice-1)/s.slicing.perSlice))
}

// slicedStatus computes the status through a work table filled in slices
// (see slicedRows).
func (s *Store) slicedStatus(ctx context.Context, coalition string, asOf time.Time, slices int) (sts []schema.CountryStatus, err error) {
	frag, err := Query("dedup_core")
	if err != nil {
		return nil, err
	}
	if strings.Count(frag, sliceFilter) != 1 {
		return nil, fmt.Errorf("dedup_core: want one %q to slice on", sliceFilter)
	}
	params := StatusParams(coalition, asOf)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	table := "status_work_" + hex.EncodeToString(b)
	// The work table is dropped whatever happens, even if ctx has ended.
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if derr := s.c(dctx).Exec(dctx, s.dropTable(table)); derr != nil && !isReadonly(derr) {
			s.log.Warn("drop status work table", "table", table, "err", derr)
			if err == nil {
				err = fmt.Errorf("drop status work table %s: %w", table, derr)
			}
		}
	}()
	start := time.Now()
	for k := 0; k < slices; k++ {
		sliced := strings.Replace(frag, sliceFilter, fmt.Sprintf("%s AND cityHash64(toString(event_id)) %% %d = %d", sliceFilter, slices, k), 1)
		q, err := Bind(sliced, params)
		if err != nil {
			return nil, err
		}
		if k == 0 {
			q = "CREATE TABLE " + quoteIdent(table) + " ENGINE = MergeTree ORDER BY event_id AS " + q
		} else {
			q = "INSERT INTO " + quoteIdent(table) + " " + q
		}
		if err := s.c(ctx).Exec(ctx, q); err != nil {
			if k == 0 && isReadonly(err) {
				s.log.Info("may not create the status work table; computing the status in one pass", "coalition", coalition, "err", err)
				return s.liveStatus(ctx, coalition, asOf)
			}
			return nil, fmt.Errorf("status of %s, slice %d of %d: %w", coalition, k+1, slices, err)
		}
	}
	s.log.Debug("status work table filled", "coalition", coalition, "slices", slices, "took", time.Since(start))
	over := map[string]string{"__DEDUP_CORE__": "SELECT * FROM " + quoteIdent(table)}
	summaryQ, err := queryWith("status_summary", over)
	if err != nil {
		return nil, err
	}
	linesQ, err := queryWith("status_lines", over)
	if err != nil {
		return nil, err
	}
	summary, err := s.queryText(ctx, "status_summary", summaryQ, params)
	if err != nil {
		return nil, err
	}
	lines, err := s.queryText(ctx, "status_lines", linesQ, params)
	if err != nil {
		return nil, err
	}
	return BuildStatus(coalition, summary, lines)
}

// isReadonly reports whether ClickHouse refused a statement because the
// user may not write (READONLY, or no grant on current releases).
func isReadonly(err error) bool {
	var ex *ch.Exception
	return errors.As(err, &ex) && (ex.Code == 164 || ex.Code == 497)
}

// workTableMaxAge is the age past which a status work table is taken for
// one left behind (a process killed mid-computation) and dropped by
// SweepWorkTables: computations take minutes at most.
const workTableMaxAge = 6 * time.Hour

// SweepWorkTables drops the status work tables older than olderThan that a
// process killed while computing a status left behind, on the server it
// reaches (each server of a cluster sweeps its own when its refresher
// starts there), and returns how many it dropped.
func (s *Store) SweepWorkTables(ctx context.Context, olderThan time.Duration) (int, error) {
	q, err := Bind("SELECT name FROM system.tables WHERE database = currentDatabase() AND substring(name, 1, 12) = 'status_work_' AND metadata_modification_time <= @before",
		map[string]any{"before": time.Now().Add(-olderThan)})
	if err != nil {
		return 0, err
	}
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("list status work tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, fmt.Errorf("list status work tables: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list status work tables: %w", err)
	}
	for i, n := range names {
		if err := s.conn.Exec(ctx, s.dropTable(n)); err != nil {
			return i, fmt.Errorf("drop status work table %s: %w", n, err)
		}
		s.log.Info("dropped a status work table left behind", "table", n)
	}
	return len(names), nil
}

// dropTable is the statement that drops a work table now.
func (s *Store) dropTable(name string) string {
	drop := "DROP TABLE IF EXISTS " + quoteIdent(name)
	if s.version[0] >= 21 {
		// Current releases keep a dropped table's data for eight
		// minutes in Atomic databases unless told otherwise.
		drop += " SYNC"
	}
	return drop
}
