package clickhouse

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// RefresherConfig configures RunStatusRefresher.
type RefresherConfig struct {
	// Interval is how often snapshots are checked; default 1s.
	Interval time.Duration
	// Duty bounds the share of time spent computing one coalition's
	// status: after a refresh that took d, the next waits at least
	// d*(1/Duty-1). Default 0.25, so a coalition whose status takes 4 s to
	// compute is refreshed at most every 16 s while events keep arriving.
	Duty   float64
	Logger *slog.Logger
}

// RunStatusRefresher keeps every coalition's status snapshot current until
// ctx ends: when a coalition has stored batches its snapshot has not seen,
// or its snapshot's valid_until has passed, the status is computed again
// and stored. Readers then get the status from the snapshot
// (CountryStatusAsOf) instead of computing it. Errors are logged and the
// refresh tried again at the next check; it returns nil when ctx ends.
func (s *Store) RunStatusRefresher(ctx context.Context, cfg RefresherConfig) error {
	if !s.keepsSnapshots() {
		s.log.Info("status refresher off: snapshots are not kept on a cluster of several shards", "cluster", s.cluster, "shards", s.shards)
		<-ctx.Done()
		return nil
	}
	if _, err := s.SweepWorkTables(ctx, workTableMaxAge); err != nil && !isReadonly(err) {
		s.log.Warn("status refresher: cannot sweep old work tables", "err", err)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Duty <= 0 || cfg.Duty > 1 {
		cfg.Duty = 0.25
	}
	log := cfg.Logger
	if log == nil {
		log = s.log
	}
	notBefore := map[string]time.Time{}
	failures := map[string]int{}
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		marks, snaps, err := s.Snapshots(ctx)
		var blocks uint64
		if err == nil {
			blocks, err = s.eventBlocks(ctx)
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("status refresher: cannot read snapshots", "err", err)
			}
			continue
		}
		for _, c := range sortedKeys(marks) {
			now := time.Now()
			cur := ingest{marks[c], blocks}
			sn, ok := snaps[c]
			if ok && !sn.stale(cur, now) {
				failures[c] = 0
				continue
			}
			if now.Before(notBefore[c]) {
				continue
			}
			start := time.Now()
			_, _, err := s.refresh(ctx, c, cur, now)
			if errors.Is(err, errNotStored) {
				// Not a failure: try again once the duty cycle allows.
				notBefore[c] = time.Now().Add(time.Duration(float64(time.Since(start)) * (1/cfg.Duty - 1)))
				log.Debug("status refresher: replica catching up", "coalition", c, "err", err)
				continue
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				// Back off, doubling up to five minutes, so that a
				// coalition whose status cannot be computed (ClickHouse
				// out of memory, say) does not hold up the others.
				failures[c]++
				wait := min(cfg.Interval<<min(failures[c], 10), 5*time.Minute)
				notBefore[c] = time.Now().Add(wait)
				log.Warn("status refresher: refresh failed", "coalition", c, "err", err, "failures", failures[c], "retry_in", wait)
				continue
			}
			failures[c] = 0
			d := time.Since(start)
			notBefore[c] = time.Now().Add(time.Duration(float64(d) * (1/cfg.Duty - 1)))
			log.Debug("status snapshot refreshed", "coalition", c, "batches", marks[c], "took", d)
		}
	}
}
