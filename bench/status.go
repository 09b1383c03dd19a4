package bench

import (
	"context"
	"fmt"
	"time"
)

// statusInsertBatch is the INSERT size the status phase loads with.
const statusInsertBatch = 50_000

// status stores StatusEvents events straight into ClickHouse (as the
// consumer would, without going through JetStream: the phase times reads)
// and times the status of the coalition.
func (r *runner) status(ctx context.Context) error {
	n := r.cfg.StatusEvents
	e, err := r.newEnv(ctx, PhaseStatus)
	if err != nil {
		return err
	}
	defer e.close()
	gen := newGenerator(r.cfg.Seed+1, r.cfg.Countries, max(n/20, 10))
	r.progress("status: storing %d events", n)
	start := time.Now()
	for done := 0; done < n; {
		k := min(statusInsertBatch, n-done)
		rows, err := gen.rows(k, uint64(done+1))
		if err != nil {
			return err
		}
		if err := e.store.InsertEvents(ctx, rows); err != nil {
			return err
		}
		done += k
		if done%1_000_000 == 0 {
			r.progress("status: %d events stored", done)
		}
	}
	f := &StatusFigures{Events: n, LoadSeconds: time.Since(start).Seconds()}
	r.progress("status: computing the status of %d events", n)
	t0 := time.Now()
	sts, err := e.store.CountryStatusAsOf(ctx, Coalition, time.Now())
	if err != nil {
		return err
	}
	f.LiveMS = ms(time.Since(t0))
	f.Countries = len(sts)
	var total uint64
	for _, s := range sts {
		total += s.Events
	}
	if total != uint64(n) {
		return fmt.Errorf("%w: the status counts %d events, want %d", errIncomplete, total, n)
	}
	r.rep.Status = f
	r.progress("status: computed in %.0f ms", f.LiveMS)
	return nil
}
