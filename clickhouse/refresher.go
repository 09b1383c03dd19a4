package clickhouse

import (
	"context"
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
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		marks, snaps, err := s.Snapshots(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("status refresher: cannot read snapshots", "err", err)
			}
			continue
		}
		for _, c := range sortedKeys(marks) {
			now := time.Now()
			sn, ok := snaps[c]
			if ok && !sn.Stale(marks[c], now) {
				continue
			}
			if now.Before(notBefore[c]) {
				continue
			}
			start := time.Now()
			if _, _, err := s.refresh(ctx, c, marks[c], now); err != nil {
				if ctx.Err() == nil {
					log.Warn("status refresher: refresh failed", "coalition", c, "err", err)
				}
				continue
			}
			d := time.Since(start)
			notBefore[c] = time.Now().Add(time.Duration(float64(d) * (1/cfg.Duty - 1)))
			log.Debug("status snapshot refreshed", "coalition", c, "batches", marks[c], "took", d)
		}
	}
}
