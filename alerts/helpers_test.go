package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

// MustNATS starts a private in-process NATS server with Coalition's streams.
func MustNATS(tb testing.TB) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	_, nc := testkit.NATS(tb)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{}); err != nil {
		tb.Fatal(err)
	}
	return nc, js
}

// clock is a settable clock for the engine and the deliveries.
type clock struct{ t atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) set(t time.Time)        { c.t.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration)    { c.t.Add(int64(d)) }
func (c *clock) now() time.Time         { return time.Unix(0, c.t.Load()).UTC() }
func (c *clock) Func() func() time.Time { return c.now }
func mustTime(s string) time.Time       { t, _ := time.Parse(time.RFC3339, s); return t }
func copyRules(tb testing.TB, src string) string {
	tb.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "rules.yaml")
	writeFile(tb, path, string(data))
	return path
}

// MustStart starts a Service on a rules file, with short waits for tests,
// and closes it in tb.Cleanup.
func MustStart(tb testing.TB, nc *nats.Conn, rulesPath string, cfg alerts.Config) *alerts.Service {
	tb.Helper()
	cfg.RulesPath = rulesPath
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 10 * time.Millisecond
	}
	if cfg.Engine.MaxWait == 0 {
		cfg.Engine.MaxWait = 50 * time.Millisecond
	}
	if cfg.Webhooks.Backoff == 0 {
		cfg.Webhooks.Backoff = 20 * time.Millisecond
	}
	if testing.Verbose() {
		cfg.Logger = testLogger(tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc, err := alerts.Start(ctx, nc, cfg)
	if err != nil {
		tb.Fatalf("start alerts: %v", err)
	}
	tb.Cleanup(func() { _ = svc.Close() })
	return svc
}

// parisEvents returns the Paris 2015 scenario, in file order.
func parisEvents(tb testing.TB) []*schema.Event {
	tb.Helper()
	var evs []*schema.Event
	err := schema.ReadNDJSON(bytes.NewReader(scenarios.Paris2015), func(line int, ev schema.Event, err error) error {
		if err != nil {
			tb.Fatalf("scenario line %d: %v", line, err)
		}
		evs = append(evs, &ev)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// event parses one event document.
func event(tb testing.TB, doc string) *schema.Event {
	tb.Helper()
	ev, err := schema.ParseEvent([]byte(doc))
	if err != nil {
		tb.Fatalf("event %s: %v", doc, err)
	}
	return &ev
}

// publish publishes events in order and fails the test on any error.
func publish(tb testing.TB, nc *nats.Conn, evs ...*schema.Event) {
	tb.Helper()
	pub, err := producers.NewPublisher(nc, producers.WithSource("/producers/test"))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, res := range pub.PublishBatch(ctx, evs) {
		if res.Err != nil {
			tb.Fatalf("publish %s: %v", res.ID, res.Err)
		}
	}
}

// publishBare publishes events as a plain NATS client would: the bare JSON,
// no CloudEvents headers and no Nats-Msg-Id, so JetStream stores every copy.
func publishBare(tb testing.TB, js jetstream.JetStream, evs ...*schema.Event) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			tb.Fatal(err)
		}
		subject, err := ev.Subject()
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := js.Publish(ctx, subject, data); err != nil {
			tb.Fatalf("publish %s: %v", ev.ID, err)
		}
	}
}

// waitEvaluated waits until the engine has evaluated (and acked) every
// event the stream holds.
func waitEvaluated(tb testing.TB, js jetstream.JetStream) {
	tb.Helper()
	if err := natsjs.WaitAcked(context.Background(), js, natsjs.EventStream, alerts.DefaultEvaluator, 20*time.Second); err != nil {
		tb.Fatal(err)
	}
}

// streamAlerts returns every alert on COALITION_ALERTS, in stream order.
func streamAlerts(tb testing.TB, js jetstream.JetStream) []schema.Alert {
	tb.Helper()
	var out []schema.Alert
	for _, m := range streamMsgs(tb, js, natsjs.AlertStream) {
		var a schema.Alert
		if err := json.Unmarshal(m.Data, &a); err != nil {
			tb.Fatalf("alert %d: %v", m.Sequence, err)
		}
		out = append(out, a)
	}
	return out
}

func streamMsgs(tb testing.TB, js jetstream.JetStream, stream string) []*jetstream.RawStreamMsg {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	str, err := js.Stream(ctx, stream)
	if err != nil {
		tb.Fatal(err)
	}
	st := str.CachedInfo().State
	var out []*jetstream.RawStreamMsg
	for seq := st.FirstSeq; seq <= st.LastSeq && st.Msgs > 0; seq++ {
		m, err := str.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// eventually polls cond every 10ms for up to 10s.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after 10s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// receiver is a real webhook endpoint: it verifies each delivery's
// signature and answers with what respond says for the n-th call (1-based).
type receiver struct {
	*httptest.Server
	secret    string
	tolerance time.Duration // of the timestamp; 0 accepts any (tests on a 2015 clock)
	respond   func(n int) (int, string)

	mu    sync.Mutex
	calls []call
}

type call struct {
	alertID, attempt string
	alert            schema.Alert
	at               time.Time
	status           int
	sigErr           error
}

func newReceiver(tb testing.TB, secret string, tolerance time.Duration, respond func(n int) (int, string)) *receiver {
	tb.Helper()
	rc := &receiver{secret: secret, tolerance: tolerance, respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := alerts.VerifyRequest(r, rc.secret, rc.tolerance)
	c := call{alertID: r.Header.Get(alerts.HeaderAlertID), attempt: r.Header.Get("X-Coalition-Attempt"), at: time.Now(), sigErr: err}
	_ = json.Unmarshal(body, &c.alert)
	rc.mu.Lock()
	n := len(rc.calls) + 1
	status, text := http.StatusUnauthorized, "bad signature"
	if err == nil {
		status, text = rc.respond(n)
	}
	c.status = status
	rc.calls = append(rc.calls, c)
	rc.mu.Unlock()
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

func (rc *receiver) Calls() []call {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]call(nil), rc.calls...)
}

func always(status int, text string) func(int) (int, string) {
	return func(int) (int, string) { return status, text }
}

// testLogger logs to the test's log (with -v).
func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func readFile(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// metric returns the value of the metric name whose labels include the
// given name-value pairs, gathered from reg, and whether there is one.
func metric(tb testing.TB, reg *prometheus.Registry, name string, labels ...string) (float64, bool) {
	tb.Helper()
	families, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// wantMetric fails the test unless the metric has the value want.
func wantMetric(tb testing.TB, reg *prometheus.Registry, want float64, name string, labels ...string) {
	tb.Helper()
	if got, ok := metric(tb, reg, name, labels...); !ok || got != want {
		tb.Errorf("%s%v = %v (found %v), want %v", name, labels, got, ok, want)
	}
}
