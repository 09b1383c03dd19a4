package bench

import (
	"context"
	"fmt"
	"slices"
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
	// A refresh is what the refresher in serve does: compute the status
	// from the events, then store it as the snapshot.
	r.progress("status: computing the status of %d events and storing the snapshot", n)
	t0 := time.Now()
	sn, err := e.store.RefreshStatus(ctx, Coalition)
	if err != nil {
		return err
	}
	f.RefreshMS = ms(time.Since(t0))
	f.LiveMS = float64(sn.ComputeMS)
	sts, err := e.store.CountryStatus(ctx, Coalition)
	if err != nil {
		return err
	}
	f.Countries = len(sts)
	var total uint64
	for _, s := range sts {
		total += s.Events
	}
	if total != uint64(n) {
		return fmt.Errorf("%w: the status counts %d events, want %d", errIncomplete, total, n)
	}
	r.progress("status: computed in %.0f ms, refreshed in %.0f ms", f.LiveMS, f.RefreshMS)
	// Reads as the API makes them: the status now, from the snapshot.
	computed := e.store.StatusComputations()
	const reads = 50
	lat := make([]time.Duration, 0, reads)
	for range reads {
		t0 := time.Now()
		got, err := e.store.CountryStatus(ctx, Coalition)
		if err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
		if len(got) != len(sts) {
			return fmt.Errorf("the snapshot has %d countries, the computed status %d", len(got), len(sts))
		}
	}
	// Every read must have come from the snapshot: none computed again.
	if n := e.store.StatusComputations() - computed; n != 0 {
		return fmt.Errorf("%d of the reads computed the status again instead of reading the snapshot", n)
	}
	slices.Sort(lat)
	f.Reads, f.SnapshotP50MS, f.SnapshotMaxMS = reads, ms(lat[reads/2]), ms(lat[reads-1])
	r.rep.Status = f
	r.progress("status: snapshot refreshed in %.0f ms, read in %.1f ms (p50)", f.RefreshMS, f.SnapshotP50MS)
	return nil
}
