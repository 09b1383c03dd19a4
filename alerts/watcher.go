package alerts

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Watcher keeps a rules file loaded: it polls the file and, when its
// content changes, validates the new version and swaps it in atomically.
// A new version that does not validate is logged and the rules in use are
// kept. Rules and Err are safe to call concurrently with Run.
type Watcher struct {
	path     string
	interval time.Duration
	lookup   LookupEnv
	log      *slog.Logger
	onChange func(*RuleSet)

	cur atomic.Pointer[RuleSet]

	mu         sync.Mutex
	err        error  // why the file's current content is not in use; nil if it is
	failedHash string // content that failed, so it is reported once
	modTime    time.Time
	size       int64
}

// WatcherConfig configures a Watcher.
type WatcherConfig struct {
	// Interval between polls; default 1s. Each poll stats the file and
	// reads it when its modification time or size changed, or every tenth
	// poll (a rewrite within one mtime tick keeps neither apart); a change
	// is a change of its SHA-256.
	Interval time.Duration
	// Lookup expands ${VAR}; default os.LookupEnv.
	Lookup LookupEnv
	Logger *slog.Logger
	// OnChange is called from Run with every new rule set after it was
	// swapped in.
	OnChange func(*RuleSet)
}

// NewWatcher loads the rules file; it fails if the file is not valid.
func NewWatcher(path string, cfg WatcherConfig) (*Watcher, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Lookup == nil {
		cfg.Lookup = os.LookupEnv
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{path: path, interval: cfg.Interval, lookup: cfg.Lookup, log: cfg.Logger, onChange: cfg.OnChange}
	fi, statErr := os.Stat(path)
	rs, err := LoadRulesEnv(path, cfg.Lookup)
	if err != nil {
		return nil, err
	}
	if statErr == nil {
		w.modTime, w.size = fi.ModTime(), fi.Size()
	}
	w.cur.Store(rs)
	return w, nil
}

// Rules returns the rules in use.
func (w *Watcher) Rules() *RuleSet { return w.cur.Load() }

// Err returns why the file's current content is not in use (it failed to
// load or validate), or nil when the rules in use are the file's.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Run polls until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.poll(n%10 == 0)
		}
	}
}

// poll reloads the file if it changed.
func (w *Watcher) poll(force bool) {
	fi, err := os.Stat(w.path)
	if err != nil {
		w.fail("", err)
		return
	}
	w.mu.Lock()
	same := fi.ModTime().Equal(w.modTime) && fi.Size() == w.size
	w.modTime, w.size = fi.ModTime(), fi.Size()
	w.mu.Unlock()
	if same && !force {
		return
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		w.fail("", err)
		return
	}
	hash := hashOf(data)
	if hash == w.cur.Load().Hash {
		w.setErr(nil, "")
		return
	}
	w.mu.Lock()
	failed := hash == w.failedHash
	w.mu.Unlock()
	if failed {
		return
	}
	rs, err := ParseRules(data, w.lookup)
	if err != nil {
		w.fail(hash, err)
		return
	}
	rs.Path = w.path
	w.cur.Store(rs)
	w.setErr(nil, "")
	w.log.Info("alert rules reloaded", "path", w.path, "rules", len(rs.Rules), "subscribers", len(rs.Subscribers), "hash", rs.Hash[:12])
	if w.onChange != nil {
		w.onChange(rs)
	}
}

func (w *Watcher) fail(hash string, err error) {
	w.mu.Lock()
	repeat := w.err != nil && w.err.Error() == err.Error()
	w.mu.Unlock()
	w.setErr(err, hash)
	if !repeat {
		w.log.Error("alert rules not reloaded; the previous rules stay in use", "path", w.path, "err", err)
	}
}

func (w *Watcher) setErr(err error, hash string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err, w.failedHash = err, hash
}
