package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// CountryStatus returns every country's status in a coalition, sorted by
// country code, computed in ClickHouse by the status_summary and
// status_lines queries. It equals schema.Fold over the stored events.
func (s *Store) CountryStatus(ctx context.Context, coalition string) ([]schema.CountryStatus, error) {
	params := map[string]any{"coalition": coalition}
	summary, err := s.query(ctx, "status_summary", params)
	if err != nil {
		return nil, err
	}
	byCountry := map[string]*schema.CountryStatus{}
	var out []schema.CountryStatus
	for _, r := range summary {
		out = append(out, statusFromSummary(coalition, r))
	}
	for i := range out {
		byCountry[out[i].Country] = &out[i]
	}
	lines, err := s.query(ctx, "status_lines", params)
	if err != nil {
		return nil, err
	}
	if err := applyLines(byCountry, lines); err != nil {
		return nil, err
	}
	for i := range out {
		schema.SortLines(out[i].Lines)
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
		Meetings:          u64(r["meetings"]),
		LastMeetingAt:     tm(r["last_meeting_at"]),
		Pledges:           u64(r["pledges"]),
		Deployments:       u64(r["deployments"]),
		Withdrawals:       u64(r["withdrawals"]),
		SanctionsImposed:  u64(r["sanctions_imposed"]),
		SanctionsReceived: u64(r["sanctions_received"]),
		Incidents:         u64(r["incidents"]),
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
		if n := u64(r["unmatched"]); n > 0 {
			st.Unmatched += n
			continue
		}
		st.Commitments += u64(r["commitments"])
		st.Open += u64(r["open_count"])
		st.Withdrawn += u64(r["withdrawn_count"])
		st.Lines = append(st.Lines, schema.StatusLine{
			Category:    schema.Category(str(r["category"])),
			Unit:        str(r["unit"]),
			Commitments: u64(r["commitments"]),
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
	text, err = Bind(text, params)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	rows, err := s.conn.Query(ctx, text)
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
