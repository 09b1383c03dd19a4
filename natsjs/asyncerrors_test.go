package natsjs_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// asyncErrors collects what natsjs.Connect logs, such as the server's
// permission violations, unescaped.
type asyncErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (a *asyncErrors) Enabled(context.Context, slog.Level) bool { return true }
func (a *asyncErrors) WithAttrs([]slog.Attr) slog.Handler       { return a }
func (a *asyncErrors) WithGroup(string) slog.Handler            { return a }
func (a *asyncErrors) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(at slog.Attr) bool { line += " " + at.Key + "=" + at.Value.String(); return true })
	a.mu.Lock()
	a.msgs = append(a.msgs, line)
	a.mu.Unlock()
	return nil
}

// waitFor waits up to 3s for a logged line containing s.
func (a *asyncErrors) waitFor(s string) bool {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		a.mu.Lock()
		for _, m := range a.msgs {
			if strings.Contains(m, s) {
				a.mu.Unlock()
				return true
			}
		}
		a.mu.Unlock()
	}
	return false
}

func (a *asyncErrors) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.msgs, "\n")
}
