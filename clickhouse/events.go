package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// Row is one event to store: the event, its canonical JSON, and the
// JetStream sequence it was delivered at (0 if none).
type Row struct {
	Event     schema.Event
	Data      []byte
	StreamSeq uint64
}

// InsertColumns are the columns InsertEvents writes, in the order of
// RowValues.
const InsertColumns = `event_id, revision, retracted, coalition, kind, actor, counterpart, participants,
 occurred_at, reported_at, source, confidence, summary, commitment_id, category, stage, asset, quantity, quantity_milli, unit,
 deadline, complete, destination, stance, severity, data, stream_seq, ingested_at`

// RowValues returns the values of one row for InsertColumns, as the native
// driver takes them (UUID, DateTime as UTC time.Time, Array as []string).
func RowValues(r *Row, ingestedAt time.Time) []any {
	e := &r.Event
	c := columnsOf(e)
	var retracted uint8
	if e.Retracted {
		retracted = 1
	}
	return []any{e.ID, e.Revision, retracted, e.Coalition, string(e.Kind), e.Actor, e.Counterpart, c.participants,
		e.OccurredAt.UTC(), e.ReportedAt.UTC(), e.Source, e.ConfidenceOr1(), e.Summary, e.CommitmentID(),
		c.category, c.stage, c.asset, c.quantity, schema.Milli(c.quantity), c.unit, c.deadline, c.complete, c.destination, c.stance, c.severity,
		string(r.Data), r.StreamSeq, ingestedAt.UTC()}
}

// InsertEvents writes rows in one batch (one INSERT, atomic on the server).
// It is safe to retry with the same rows: readers take one row per event id.
//
// After the INSERT it records the batch in ingest_marks, which makes the
// status snapshots of the batch's coalitions stale. If that fails the error
// is returned and the caller retries the whole batch.
func (s *Store) InsertEvents(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	if err := s.InsertRows(ctx, rows); err != nil {
		return err
	}
	return s.markIngest(ctx, rows)
}

// InsertRows is the INSERT of InsertEvents alone, without the bookkeeping
// that tells status snapshots the coalition changed. Benchmarks use it to
// measure ClickHouse's own insert speed.
func (s *Store) InsertRows(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO events ("+InsertColumns+")")
	if err != nil {
		return fmt.Errorf("prepare insert of %d events: %w", len(rows), err)
	}
	defer b.Abort()
	now := time.Now()
	for i := range rows {
		if err := b.Append(RowValues(&rows[i], now)...); err != nil {
			return fmt.Errorf("append event %s: %w", rows[i].Event.ID, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d events: %w", len(rows), err)
	}
	return nil
}

type kindColumns struct {
	participants []string
	category     string
	stage        string
	deadline     time.Time
	asset        string
	quantity     float64
	unit         string
	complete     uint8
	destination  string
	stance       int8
	severity     uint8
}

// columnsOf flattens an event's payload into the events table's columns.
func columnsOf(e *schema.Event) kindColumns {
	c := kindColumns{participants: []string{}, deadline: time.Unix(0, 0).UTC()}
	switch {
	case e.Meeting != nil:
		if e.Meeting.Participants != nil {
			c.participants = e.Meeting.Participants
		}
	case e.Statement != nil:
		c.stance = int8(e.Statement.Stance)
	case e.Pledge != nil:
		c.category, c.asset, c.destination = string(e.Pledge.Category), e.Pledge.Asset, e.Pledge.Destination
		c.quantity, c.unit = e.Pledge.Measure()
		c.stage = string(e.Pledge.Stage)
		if d := e.Pledge.Deadline; d != nil {
			c.deadline = d.UTC()
		}
	case e.Deployment != nil:
		if e.Deployment.Quantity != nil {
			c.quantity = *e.Deployment.Quantity
		}
		if e.Deployment.Complete {
			c.complete = 1
		}
	case e.Incident != nil:
		c.severity = uint8(e.Incident.Severity)
	}
	return c
}

// CountEvents returns the number of distinct event ids stored for a
// coalition ("" for all).
func (s *Store) CountEvents(ctx context.Context, coalition string) (uint64, error) {
	q := "SELECT uniqExact(event_id) FROM events"
	if coalition != "" {
		q += " WHERE coalition = @coalition"
	}
	q, err := Bind(q, map[string]any{"coalition": coalition})
	if err != nil {
		return 0, err
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// Coalitions returns the coalitions that have stored events, sorted.
func (s *Store) Coalitions(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT coalition FROM events ORDER BY coalition")
	if err != nil {
		return nil, fmt.Errorf("list coalitions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("list coalitions: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
