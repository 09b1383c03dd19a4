package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/coalitiondev/coalition/schema"
)

// statusRulesVersion changes when BuildStatus or schema.CountryStatus
// changes the meaning of a stored snapshot without a change to the SQL.
const statusRulesVersion = "1"

// StatusRules identifies the rules status snapshots are computed with: a
// hash of the status queries' SQL and statusRulesVersion. A snapshot made
// by other rules (an older release) is never used.
var StatusRules = func() string {
	h := sha256.New()
	for _, name := range []string{"status_summary", "status_lines"} {
		q, err := Query(name)
		if err != nil {
			panic(err)
		}
		h.Write([]byte(q))
	}
	h.Write([]byte(statusRulesVersion))
	return hex.EncodeToString(h.Sum(nil))[:16]
}()

// Snapshot describes a stored status snapshot.
type Snapshot struct {
	Coalition  string    `json:"coalition"`
	Marks      uint64    `json:"marks"`       // ingest batches it was computed after
	Blocks     uint64    `json:"blocks"`      // the events table's highest insert block then
	AsOf       time.Time `json:"as_of"`       // the status is as of this time
	ValidUntil time.Time `json:"valid_until"` // the clock alone may change it from then on
	ComputedAt time.Time `json:"computed_at"`
	ComputeMS  uint32    `json:"compute_ms"`
	Countries  uint32    `json:"countries"`
}

// markIngest records that a batch with events of these coalitions was
// stored. It runs after the events' INSERT, so a snapshot that counts the
// mark also sees the events (see CountryStatusAsOf).
func (s *Store) markIngest(ctx context.Context, rows []Row) error {
	seen := map[string]bool{}
	for i := range rows {
		seen[rows[i].Event.Coalition] = true
	}
	if s.cluster != "" {
		// Replicated tables drop a block identical to a recent one, and
		// every batch of one coalition writes the same mark.
		ctx = ch.Context(ctx, ch.WithSettings(ch.Settings{"insert_deduplicate": 0}))
	}
	b, err := s.c(ctx).PrepareBatch(ctx, "INSERT INTO ingest_marks (coalition, batches)")
	if err != nil {
		return fmt.Errorf("record ingest of stored events: %v", err)
	}
	defer b.Abort()
	for c := range seen {
		if err := b.Append(c, uint64(1)); err != nil {
			return fmt.Errorf("record ingest of stored events: %v", err)
		}
	}
	if err := b.Send(); err != nil {
		// %v, not %w: the events are stored, so this must not read as
		// ClickHouse refusing them (clickhouse.IsRefusal), which would
		// make the consumer split the batch and dead-letter its events.
		// Retried like an outage, the batch is stored again, harmlessly.
		return fmt.Errorf("record ingest of stored events: %v", err)
	}
	return nil
}

// eventBlocks returns the highest insert block number among the events
// table's active parts: it rises with every INSERT and merges keep it.
// In cluster mode it is that of the connected server's replicated table,
// whose block numbers come from ZooKeeper and so agree between the
// replicas of a shard once they have caught up; a replica behind reads a
// different number and computes afresh. Inserts into other shards do not
// move it: the ingest marks, summed over the cluster, do.
func (s *Store) eventBlocks(ctx context.Context) (uint64, error) {
	var n uint64
	q, err := Bind("SELECT toUInt64(max(max_block_number)) FROM system.parts WHERE database = currentDatabase() AND table = @table AND active",
		map[string]any{"table": s.localTable("events")})
	if err != nil {
		return 0, err
	}
	err = s.c(ctx).QueryRow(ctx, q).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read the events table's parts: %w", err)
	}
	return n, nil
}

// ingestMarks returns how many batches of a coalition have been stored.
func (s *Store) ingestMarks(ctx context.Context, coalition string) (uint64, error) {
	q, err := Bind("SELECT sum(batches) FROM ingest_marks WHERE coalition = @coalition", map[string]any{"coalition": coalition})
	if err != nil {
		return 0, err
	}
	var n uint64
	if err := s.c(ctx).QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("read ingest marks of %s: %w", coalition, err)
	}
	return n, nil
}

// LatestSnapshot returns the coalition's most recent status snapshot made
// by the current rules, with its body (the JSON of []schema.CountryStatus),
// and false if there is none.
func (s *Store) LatestSnapshot(ctx context.Context, coalition string) (Snapshot, []byte, bool, error) {
	q, err := Bind(`SELECT marks, blocks, as_of, valid_until, computed_at, compute_ms, countries, body
FROM status_snapshots
WHERE coalition = @coalition AND rules = @rules
ORDER BY marks DESC, computed_at DESC, as_of DESC
LIMIT 1`, map[string]any{"coalition": coalition, "rules": StatusRules})
	if err != nil {
		return Snapshot{}, nil, false, err
	}
	rows, err := s.c(ctx).Query(ctx, q)
	if err != nil {
		return Snapshot{}, nil, false, fmt.Errorf("read status snapshot of %s: %w", coalition, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return Snapshot{}, nil, false, rows.Err()
	}
	sn := Snapshot{Coalition: coalition}
	var body string
	if err := rows.Scan(&sn.Marks, &sn.Blocks, &sn.AsOf, &sn.ValidUntil, &sn.ComputedAt, &sn.ComputeMS, &sn.Countries, &body); err != nil {
		return Snapshot{}, nil, false, fmt.Errorf("read status snapshot of %s: %w", coalition, err)
	}
	return sn, []byte(body), true, nil
}

// ingest is what a snapshot is current for: the coalition's ingest batches
// and the events table's highest insert block.
type ingest struct{ marks, blocks uint64 }

func (s *Store) currentIngest(ctx context.Context, coalition string) (ingest, error) {
	m, err := s.ingestMarks(ctx, coalition)
	if err != nil {
		return ingest{}, err
	}
	b, err := s.eventBlocks(ctx)
	if err != nil {
		return ingest{}, err
	}
	return ingest{m, b}, nil
}

// errNotStored says a status was computed and not stored as a snapshot: on a
// replica that has not caught up, or on a cluster of several shards
// (cluster.go).
var errNotStored = errors.New("status computed, not stored as a snapshot: this server cannot tell it would stay exact")

// snapshotStatus returns the status as of asOf from the coalition's
// snapshot if the snapshot is current for it: computed after the same
// number of ingest batches and the same last insert block as now, by the
// current rules, as of a time at or before asOf, and valid until after it.
// Otherwise it returns ok false and the current ingest, which a fresh
// snapshot is to record.
func (s *Store) snapshotStatus(ctx context.Context, coalition string, asOf time.Time) (sts []schema.CountryStatus, cur ingest, ok bool, err error) {
	if !s.keepsSnapshots() {
		return nil, cur, false, nil // not even one left from before a shard was added
	}
	if cur, err = s.currentIngest(ctx, coalition); err != nil {
		return nil, cur, false, err
	}
	sn, body, found, err := s.LatestSnapshot(ctx, coalition)
	if err != nil || !found {
		return nil, cur, false, err
	}
	at := asOf.UTC().Truncate(time.Second)
	if sn.Marks != cur.marks || sn.Blocks != cur.blocks || at.Before(sn.AsOf) || !at.Before(sn.ValidUntil) {
		return nil, cur, false, nil
	}
	if sts, err = decodeSnapshot(coalition, body); err != nil {
		return nil, cur, false, err
	}
	return sts, cur, true, nil
}

// RefreshStatus computes the coalition's status now and stores it as its
// snapshot.
func (s *Store) RefreshStatus(ctx context.Context, coalition string) (Snapshot, error) {
	cur, err := s.currentIngest(ctx, coalition)
	if err != nil {
		return Snapshot{}, err
	}
	sn, _, err := s.refresh(ctx, coalition, cur, time.Now())
	return sn, err
}

// refresh computes the status as of asOf and stores it as a snapshot
// recording cur (read before the status was computed, so that a batch
// stored meanwhile makes the snapshot stale rather than wrongly current).
// Concurrent refreshes of one coalition in this process share one
// computation.
func (s *Store) refresh(ctx context.Context, coalition string, cur ingest, asOf time.Time) (Snapshot, []schema.CountryStatus, error) {
	key := fmt.Sprintf("%s\x00%d\x00%d", coalition, cur.marks, cur.blocks)
	for {
		// The shared computation outlives a caller that gives up: its
		// snapshot still serves the others.
		r, led := s.flight.do(ctx, key, func() flightResult {
			sn, sts, err := s.refreshOnce(context.WithoutCancel(ctx), coalition, cur, asOf)
			return flightResult{sn, sts, err}
		})
		// Another caller's computation answers for asOf too if asOf lies
		// within the time it holds for.
		at := asOf.UTC().Truncate(time.Second)
		if led || r.err != nil || (!at.Before(r.sn.AsOf) && at.Before(r.sn.ValidUntil)) {
			return r.sn, r.sts, r.err
		}
		if err := ctx.Err(); err != nil {
			return Snapshot{}, nil, err
		}
	}
}

// flightGroup runs one computation per key at a time; callers that arrive
// while it runs wait for its result.
type flightGroup struct {
	mu sync.Mutex
	m  map[string]*flightCall
}

type flightCall struct {
	done chan struct{}
	res  flightResult
}

type flightResult struct {
	sn  Snapshot
	sts []schema.CountryStatus
	err error
}

// do returns fn's result, or that of the call of fn already running for
// key, and whether it ran fn itself.
func (g *flightGroup) do(ctx context.Context, key string, fn func() flightResult) (flightResult, bool) {
	g.mu.Lock()
	if c, ok := g.m[key]; ok {
		g.mu.Unlock()
		select {
		case <-c.done:
			return c.res, false
		case <-ctx.Done():
			return flightResult{err: ctx.Err()}, false
		}
	}
	if g.m == nil {
		g.m = map[string]*flightCall{}
	}
	c := &flightCall{done: make(chan struct{})}
	g.m[key] = c
	g.mu.Unlock()
	c.res = fn()
	g.mu.Lock()
	delete(g.m, key)
	g.mu.Unlock()
	close(c.done)
	return c.res, true
}

func (s *Store) refreshOnce(ctx context.Context, coalition string, cur ingest, asOf time.Time) (Snapshot, []schema.CountryStatus, error) {
	start := time.Now()
	at := asOf.UTC().Truncate(time.Second)
	behind := ""
	if !s.keepsSnapshots() {
		sts, err := s.computeStatus(ctx, coalition, at)
		if err != nil {
			return Snapshot{}, nil, err
		}
		return Snapshot{}, sts, fmt.Errorf("%w (cluster %s has %d shards)", errNotStored, s.cluster, s.shards)
	}
	if s.cluster != "" {
		// Every statement on one server, which must be caught up for
		// its answer to be stored (cluster.go); cur is read again there.
		var err error
		if ctx, err = s.pinServer(ctx); err != nil {
			return Snapshot{}, nil, err
		}
		if cur, err = s.currentIngest(ctx, coalition); err != nil {
			return Snapshot{}, nil, err
		}
		ok, why, err := s.caughtUp(ctx, cur.marks)
		if err != nil {
			return Snapshot{}, nil, err
		}
		if !ok {
			behind = why
		}
	}
	sts, err := s.computeStatus(ctx, coalition, at)
	if err != nil {
		return Snapshot{}, nil, err
	}
	if behind != "" {
		return Snapshot{}, sts, fmt.Errorf("%w (%s)", errNotStored, behind)
	}
	until, err := s.nextChange(ctx, coalition, at)
	if err != nil {
		return Snapshot{}, sts, err
	}
	body, err := json.Marshal(sts)
	if err != nil {
		return Snapshot{}, sts, fmt.Errorf("encode status snapshot: %w", err)
	}
	sn := Snapshot{Coalition: coalition, Marks: cur.marks, Blocks: cur.blocks, AsOf: at, ValidUntil: until, ComputedAt: time.Now().UTC().Truncate(time.Second),
		ComputeMS: uint32(time.Since(start).Milliseconds()), Countries: uint32(len(sts))}
	b, err := s.c(ctx).PrepareBatch(ctx, "INSERT INTO status_snapshots (coalition, rules, marks, blocks, as_of, valid_until, computed_at, compute_ms, countries, body)")
	if err != nil {
		return sn, sts, fmt.Errorf("store status snapshot: %w", err)
	}
	defer b.Abort()
	if err := b.Append(coalition, StatusRules, cur.marks, cur.blocks, sn.AsOf, sn.ValidUntil, sn.ComputedAt, sn.ComputeMS, sn.Countries, string(body)); err != nil {
		return sn, sts, fmt.Errorf("store status snapshot: %w", err)
	}
	if err := b.Send(); err != nil {
		return sn, sts, fmt.Errorf("store status snapshot: %w", err)
	}
	return sn, sts, nil
}

// maxValidUntil stands for "no change foreseen": the last second a
// DateTime holds that schema's time rules allow.
var maxValidUntil = time.Date(2105, 12, 31, 23, 59, 59, 0, time.UTC)

// nextChange returns the first moment after asOf at which the status could
// change with no new event stored: the earliest pledge deadline at or after
// asOf (a commitment lapses once its deadline has passed) and the earliest
// reported_at after asOf (an event counts once reported). Retracted and
// superseded rows are included, which can only make the answer earlier.
func (s *Store) nextChange(ctx context.Context, coalition string, asOf time.Time) (time.Time, error) {
	q, err := Bind(`SELECT
    minIf(deadline, kind = 'pledge' AND deadline >= @as_of AND deadline > toDateTime(0, 'UTC')) AS next_deadline,
    countIf(kind = 'pledge' AND deadline >= @as_of AND deadline > toDateTime(0, 'UTC')) AS deadlines,
    minIf(reported_at, reported_at > @as_of) AS next_report,
    countIf(reported_at > @as_of) AS reports
FROM events
WHERE coalition = @coalition`, map[string]any{"coalition": coalition, "as_of": asOf})
	if err != nil {
		return time.Time{}, err
	}
	var nd, nr time.Time
	var deadlines, reports uint64
	if err := s.c(ctx).QueryRow(ctx, q).Scan(&nd, &deadlines, &nr, &reports); err != nil {
		return time.Time{}, fmt.Errorf("next status change of %s: %w", coalition, err)
	}
	out := maxValidUntil
	if deadlines > 0 && nd.Before(out) {
		out = nd
	}
	if reports > 0 && nr.Before(out) {
		out = nr
	}
	return out.UTC(), nil
}

// Snapshots returns, per coalition with stored events, the ingest batches
// stored and the latest snapshot by the current rules (zero if none),
// sorted by coalition. The refresher uses it to find stale snapshots.
func (s *Store) Snapshots(ctx context.Context) (map[string]uint64, map[string]Snapshot, error) {
	marks := map[string]uint64{}
	rows, err := s.c(ctx).Query(ctx, "SELECT coalition, sum(batches) FROM ingest_marks GROUP BY coalition")
	if err != nil {
		return nil, nil, fmt.Errorf("read ingest marks: %w", err)
	}
	for rows.Next() {
		var c string
		var n uint64
		if err := rows.Scan(&c, &n); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("read ingest marks: %w", err)
		}
		marks[c] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read ingest marks: %w", err)
	}
	q, err := Bind(`SELECT coalition,
    argMax(marks, (marks, computed_at, as_of)),
    argMax(blocks, (marks, computed_at, as_of)),
    argMax(as_of, (marks, computed_at, as_of)),
    argMax(valid_until, (marks, computed_at, as_of)),
    argMax(computed_at, (marks, computed_at, as_of)),
    argMax(compute_ms, (marks, computed_at, as_of)),
    argMax(countries, (marks, computed_at, as_of))
FROM status_snapshots
WHERE rules = @rules
GROUP BY coalition`, map[string]any{"rules": StatusRules})
	if err != nil {
		return nil, nil, err
	}
	snaps := map[string]Snapshot{}
	rows, err = s.c(ctx).Query(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("read status snapshots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sn Snapshot
		if err := rows.Scan(&sn.Coalition, &sn.Marks, &sn.Blocks, &sn.AsOf, &sn.ValidUntil, &sn.ComputedAt, &sn.ComputeMS, &sn.Countries); err != nil {
			return nil, nil, fmt.Errorf("read status snapshots: %w", err)
		}
		snaps[sn.Coalition] = sn
	}
	return marks, snaps, rows.Err()
}

// stale reports whether sn is not current for cur at time now.
func (sn Snapshot) stale(cur ingest, now time.Time) bool {
	return sn.Marks != cur.marks || sn.Blocks != cur.blocks || !now.UTC().Truncate(time.Second).Before(sn.ValidUntil)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// RecentStatus returns the coalition's latest status snapshot even if it is
// no longer current, with its description and whether it is current: for
// readers who prefer an answer now, with its as-of time, to waiting while
// a large coalition's status is computed. Only a coalition without any
// snapshot has its status computed (and stored) first.
func (s *Store) RecentStatus(ctx context.Context, coalition string) ([]schema.CountryStatus, Snapshot, bool, error) {
	cur, err := s.currentIngest(ctx, coalition)
	if err != nil {
		return nil, Snapshot{}, false, err
	}
	sn, body, found, err := s.LatestSnapshot(ctx, coalition)
	if err != nil {
		return nil, Snapshot{}, false, err
	}
	if !found {
		sn, sts, err := s.refresh(ctx, coalition, cur, time.Now())
		return sts, sn, err == nil, err
	}
	sts, err := decodeSnapshot(coalition, body)
	if err != nil {
		return nil, sn, false, err
	}
	return sts, sn, !sn.stale(cur, time.Now()), nil
}

// decodeSnapshot reads a snapshot's body, with the derived fields (label,
// fulfilment) by this binary's rules.
func decodeSnapshot(coalition string, body []byte) ([]schema.CountryStatus, error) {
	var sts []schema.CountryStatus
	if err := json.Unmarshal(body, &sts); err != nil {
		return nil, fmt.Errorf("decode status snapshot of %s: %w", coalition, err)
	}
	for i := range sts {
		sts[i].Finish()
	}
	return sts, nil
}
