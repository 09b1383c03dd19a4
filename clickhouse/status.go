package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// CountryStatus returns every country's status in a coalition now. See
// CountryStatusAsOf.
func (s *Store) CountryStatus(ctx context.Context, coalition string) ([]schema.CountryStatus, error) {
	return s.CountryStatusAsOf(ctx, coalition, time.Now())
}

// CountryStatusAsOf returns every country's status in a coalition from what
// was known at asOf (events reported by then), sorted by country code,
// computed in ClickHouse by the status_summary and status_lines queries. It
// equals schema.FoldAsOf over the stored events.
//
// When the coalition's status snapshot is current for asOf (no batch stored
// since it was computed, asOf between its as_of and valid_until, the same
// rules), the snapshot is the answer: it is what computing afresh would
// give, read in milliseconds. Otherwise the status is computed, and stored
// as the new snapshot when asOf is now or later than the current snapshot.
func (s *Store) CountryStatusAsOf(ctx context.Context, coalition string, asOf time.Time) ([]schema.CountryStatus, error) {
	sts, cur, ok, err := s.snapshotStatus(ctx, coalition, asOf)
	if err != nil {
		// The snapshot tables are an optimisation: compute instead, and
		// say why.
		s.log.Warn("status snapshot unavailable, computing the status", "coalition", coalition, "err", err)
		return s.computeStatus(ctx, coalition, asOf)
	}
	if ok {
		return sts, nil
	}
	if now := time.Now(); asOf.Before(now.Add(-time.Second)) || asOf.After(now.Add(time.Second)) {
		return s.computeStatus(ctx, coalition, asOf) // a question about another time
	}
	_, sts, err = s.refresh(ctx, coalition, cur, asOf)
	if errors.Is(err, errNotStored) && sts != nil {
		s.log.Debug("status computed on a replica catching up; not stored", "coalition", coalition, "err", err)
		return sts, nil
	}
	if err != nil && sts != nil {
		// Computed, but not stored (a read-only user, say): still the answer.
		s.log.Warn("status computed but its snapshot not stored", "coalition", coalition, "err", err)
		return sts, nil
	}
	return sts, err
}

// liveStatus computes the status from the stored events.
func (s *Store) liveStatus(ctx context.Context, coalition string, asOf time.Time) ([]schema.CountryStatus, error) {
	params := StatusParams(coalition, asOf)
	summary, err := s.query(ctx, "status_summary", params)
	if err != nil {
		return nil, err
	}
	lines, err := s.query(ctx, "status_lines", params)
	if err != nil {
		return nil, err
	}
	return BuildStatus(coalition, summary, lines)
}

// CountryStatusLive is CountryStatusAsOf without snapshots: always computed
// from the stored events (in slices for a large coalition, see slicedRows).
func (s *Store) CountryStatusLive(ctx context.Context, coalition string, asOf time.Time) ([]schema.CountryStatus, error) {
	return s.computeStatus(ctx, coalition, asOf)
}

// StatusParams returns the parameters of the status queries.
func StatusParams(coalition string, asOf time.Time) map[string]any {
	return map[string]any{"coalition": coalition, "as_of": asOf.UTC().Truncate(time.Second)}
}

// BuildStatus assembles country status from the rows of status_summary and
// status_lines, given as column name to value with the native driver's Go
// types. Every driver's rows go through it.
func BuildStatus(coalition string, summary, lines []map[string]any) ([]schema.CountryStatus, error) {
	out := make([]schema.CountryStatus, 0, len(summary))
	for _, r := range summary {
		out = append(out, statusFromSummary(coalition, r))
	}
	byCountry := map[string]*schema.CountryStatus{}
	for i := range out {
		byCountry[out[i].Country] = &out[i]
	}
	if err := applyLines(byCountry, lines); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Finish()
	}
	return out, nil
}

// statusFromSummary converts a row of status_summary.
func statusFromSummary(coalition string, r map[string]any) schema.CountryStatus {
	return schema.CountryStatus{
		Coalition:         coalition,
		Country:           str(r["country"]),
		Events:            u64(r["events"]),
		HasStance:         u64(r["has_stance"]) != 0,
		Stance:            schema.Stance(i64(r["stance"])),
		StanceAt:          tm(r["stance_at"]),
		HasPrevStance:     u64(r["has_prev_stance"]) != 0,
		PrevStance:        schema.Stance(i64(r["prev_stance"])),
		Meetings:          u64(r["meetings"]),
		LastMeetingAt:     tm(r["last_meeting_at"]),
		Pledges:           u64(r["pledges"]),
		Deployments:       u64(r["deployments"]),
		Withdrawals:       u64(r["withdrawals"]),
		SanctionsImposed:  u64(r["sanctions_imposed"]),
		SanctionsReceived: u64(r["sanctions_received"]),
		Incidents:         u64(r["incidents"]),
		MemberConflicts:   u64(r["member_conflicts"]),
		ConflictsWith:     strs(r["conflicts_with"]),
		LastActivityAt:    tm(r["last_activity_at"]),
	}
}

// applyLines adds the rows of status_lines to the countries' statuses.
func applyLines(byCountry map[string]*schema.CountryStatus, rows []map[string]any) error {
	for _, r := range rows {
		code := str(r["country"])
		st := byCountry[code]
		if st == nil {
			return fmt.Errorf("status_lines: country %q has commitments but no summary row", code)
		}
		if str(r["category"]) == "" {
			st.Unmatched += u64(r["unmatched"])
			st.Anomalies += u64(r["anomalies"])
			continue
		}
		st.Commitments += u64(r["commitments"])
		st.Open += u64(r["open_count"])
		st.Withdrawn += u64(r["withdrawn_count"])
		for state, col := range map[schema.CommitmentState]string{
			schema.StateAnnounced: "announced_count", schema.StateCommitted: "committed_count",
			schema.StateAllocated: "allocated_count", schema.StatePartlyDelivered: "partly_delivered_count",
			schema.StateDelivered: "delivered_count", schema.StateWithdrawn: "withdrawn_count",
			schema.StateLapsed: "lapsed_count",
		} {
			st.ByState.Add(state, u64(r[col]))
		}
		if t := tm(r["oldest_open_at"]); !t.IsZero() && (st.OldestOpenAt.IsZero() || t.Before(st.OldestOpenAt)) {
			st.OldestOpenAt = t
		}
		st.Lines = append(st.Lines, schema.StatusLine{
			Category:    schema.Category(str(r["category"])),
			Unit:        str(r["unit"]),
			Commitments: u64(r["commitments"]),
			Open:        u64(r["open_count"]),
			Pledged:     f64(r["pledged_total"]),
			Delivered:   f64(r["delivered_total"]),
			Withdrawn:   f64(r["withdrawn_total"]),
		})
	}
	return nil
}

// query runs a named query and returns its rows as maps from column name to
// value, so that the same conversion serves every driver.
func (s *Store) query(ctx context.Context, name string, params map[string]any) ([]map[string]any, error) {
	text, err := Query(name)
	if err != nil {
		return nil, err
	}
	return s.queryText(ctx, name, text, params)
}

// queryText is query with the query's text given.
func (s *Store) queryText(ctx context.Context, name, text string, params map[string]any) ([]map[string]any, error) {
	text, err := Bind(text, params)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	rows, err := s.c(ctx).Query(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	defer rows.Close()
	cols := rows.Columns()
	types := rows.ColumnTypes()
	var out []map[string]any
	for rows.Next() {
		dest := make([]any, len(cols))
		for i, t := range types {
			dest[i] = newScanValue(t.ScanType())
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("query %s: scan: %w", name, err)
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = derefScan(dest[i])
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	return out, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// strs converts an Array(String) value; Finish sorts it and makes an empty
// one nil.
func strs(v any) []string {
	a, _ := v.([]string)
	return append([]string(nil), a...)
}

func u64(v any) uint64 {
	switch x := v.(type) {
	case uint8:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint32:
		return uint64(x)
	case uint64:
		return x
	case int64:
		return uint64(x)
	case float64:
		return uint64(x)
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

func i64(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return int64(u64(v))
}

func f64(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	}
	return float64(u64(v))
}

// tm converts a DateTime value; the epoch (ClickHouse's empty DateTime)
// becomes the zero time.
func tm(v any) time.Time {
	t, _ := v.(time.Time)
	if t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}
