package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/feed"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// sseFrame is one server-sent event.
type sseFrame struct {
	id, event, data string
}

// sseStream is an SSE response being read: one goroutine parses its
// frames, so that it can be read from again and again.
type sseStream struct {
	frames chan sseFrame
	errc   chan error
}

func newSSEStream(br *bufio.Reader) *sseStream {
	s := &sseStream{frames: make(chan sseFrame, 64), errc: make(chan error, 1)}
	go func() {
		var f sseFrame
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				s.errc <- err
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if f.event != "" || f.data != "" {
					s.frames <- f
				}
				f = sseFrame{}
			case strings.HasPrefix(line, "id: "):
				f.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				f.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				f.data = line[6:]
			}
		}
	}()
	return s
}

// readFrames reads the next n frames of an SSE stream, failing the test if
// they do not arrive within the timeout; comment lines are skipped.
func readFrames(tb testing.TB, s *sseStream, n int, timeout time.Duration) []sseFrame {
	tb.Helper()
	var out []sseFrame
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case f := <-s.frames:
			out = append(out, f)
		case err := <-s.errc:
			tb.Fatalf("stream ended after %d of %d frames: %v", len(out), n, err)
		case <-deadline:
			tb.Fatalf("got %d of %d frames", len(out), n)
		}
	}
	return out
}

func openFeed(tb testing.TB, url, lastID string) (*http.Response, *sseStream) {
	tb.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		tb.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	tb.Cleanup(func() { resp.Body.Close() })
	return resp, newSSEStream(bufio.NewReader(resp.Body))
}

func italyStatement(stance schema.Stance, minute int) *schema.Event {
	return &schema.Event{
		Kind: schema.KindStatement, Coalition: "paris-2015", Actor: "ITA",
		OccurredAt: time.Date(2015, 11, 27, 9, minute, 0, 0, time.UTC), Source: "https://www.ansa.it/english/",
		Summary: "Renzi on the coalition", Statement: &schema.Statement{Stance: stance},
	}
}

// frameSeqs returns the SSE ids of frames, checking that each is the
// stream sequence of its payload.
func frameSeqs(tb testing.TB, frames []sseFrame) []uint64 {
	tb.Helper()
	out := make([]uint64, len(frames))
	for i, f := range frames {
		var p feed.EventPayload
		if err := json.Unmarshal([]byte(f.data), &p); err != nil {
			tb.Fatalf("frame %+v: %v", f, err)
		}
		if f.id != strconv.FormatUint(p.Seq, 10) {
			tb.Fatalf("frame id %s, payload seq %d", f.id, p.Seq)
		}
		out[i] = p.Seq
	}
	return out
}

// TestFeed follows /api/v1/feed filtered to Italy, sees a new statement
// arrive with its stream sequence as the SSE id, drops the connection,
// misses two events, and reconnects with Last-Event-ID to get exactly
// those two. Then it replays with ?since= and filters with ?kind=, and
// coalition watch prints the same events. Alerts run in the same process,
// delivered to the demo's receiver, and their delivery state is shown.
func TestFeed(t *testing.T) {
	t.Parallel()
	recv, rules, err := startDemoAlerts(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	app := MustOpenApp(t, "--alert-rules", rules)
	replayParis(t, app) // stream sequences 1..33
	ctx := context.Background()
	base := app.HTTP.URL() + "/api/v1/feed?coalition=paris-2015&country=ITA"
	resp, br := openFeed(t, base, "")
	if r := app.Publisher.Publish(ctx, italyStatement(1, 1)); r.Err != nil {
		t.Fatal(r.Err)
	}
	f := readFrames(t, br, 1, 10*time.Second)[0]
	var p feed.EventPayload
	if err := json.Unmarshal([]byte(f.data), &p); err != nil {
		t.Fatal(err)
	}
	if f.event != "event" || f.id != strconv.FormatUint(p.Seq, 10) || p.Subject != "coalition.paris-2015.ITA.statement" {
		t.Fatalf("frame %+v", f)
	}
	resp.Body.Close()

	for i := 2; i <= 3; i++ {
		if r := app.Publisher.Publish(ctx, italyStatement(schema.Stance(i-3), i)); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	// Events of other countries are filtered out.
	if r := app.Publisher.Publish(ctx, &schema.Event{Kind: schema.KindStatement, Coalition: "paris-2015", Actor: "ESP",
		OccurredAt: time.Date(2015, 11, 27, 9, 0, 0, 0, time.UTC), Source: "https://elpais.com/", Statement: &schema.Statement{Stance: 1}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	_, br = openFeed(t, base, f.id)
	missed := readFrames(t, br, 2, 10*time.Second)
	for i, m := range missed {
		var p feed.EventPayload
		json.Unmarshal([]byte(m.data), &p)
		if !strings.Contains(p.Subject, ".ITA.") {
			t.Errorf("replayed %s", p.Subject)
		}
		if i == 0 && m.id <= f.id && len(m.id) <= len(f.id) {
			t.Errorf("replayed id %s not after %s", m.id, f.id)
		}
	}

	// Sequences 34..36 are Italy's statements, 37 Spain's.
	t.Run("SinceZero", func(t *testing.T) { // 0 is the start of the stream
		_, br := openFeed(t, app.HTTP.URL()+"/api/v1/feed?since=0", "")
		seqs := frameSeqs(t, readFrames(t, br, 37, 10*time.Second))
		for i, seq := range seqs {
			if seq != uint64(i+1) {
				t.Fatalf("frame %d: seq %d, want %d", i, seq, i+1)
			}
		}
	})
	t.Run("SinceSeq", func(t *testing.T) { // what comes after sequence 34
		_, br := openFeed(t, app.HTTP.URL()+"/api/v1/feed?since=34", "")
		if got := frameSeqs(t, readFrames(t, br, 3, 10*time.Second)); got[0] != 35 || got[2] != 37 {
			t.Errorf("?since=34 replayed %v, want [35 36 37]", got)
		}
	})
	t.Run("Kind", func(t *testing.T) {
		_, br := openFeed(t, app.HTTP.URL()+"/api/v1/feed?kind=sanction&since=0", "")
		replayed := readFrames(t, br, 2, 10*time.Second) // the scenario's two sanctions
		// Live: the statement is filtered out, the sanction comes through.
		if r := app.Publisher.Publish(ctx, italyStatement(0, 4)); r.Err != nil {
			t.Fatal(r.Err)
		}
		if r := app.Publisher.Publish(ctx, &schema.Event{Kind: schema.KindSanction, Coalition: "paris-2015", Actor: "RUS", Counterpart: "TUR",
			OccurredAt: time.Date(2015, 11, 28, 9, 0, 0, 0, time.UTC), Source: "https://example.org/rus",
			Sanction: &schema.Sanction{Measure: "charter flights to Turkey suspended"}}); r.Err != nil {
			t.Fatal(r.Err)
		}
		for i, f := range append(replayed, readFrames(t, br, 1, 10*time.Second)...) {
			var p feed.EventPayload
			json.Unmarshal([]byte(f.data), &p)
			if !strings.HasSuffix(p.Subject, ".sanction") {
				t.Errorf("frame %d of ?kind=sanction: %s", i, p.Subject)
			}
		}
	})

	t.Run("Watch", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := Run(ctx, []string{"watch", "--nats-url", app.NATSURL, "--country", "ITA", "--since", "0", "--once"}, nil, &out, &errOut)
		if code != 0 {
			t.Fatalf("watch: exit %d: %s", code, &errOut)
		}
		if n := strings.Count(out.String(), "ITA"); n < 4 { // the scenario's statement and the new ones
			t.Errorf("watch printed %d ITA lines:\n%s", n, &out)
		}
		out.Reset()
		code = Run(ctx, []string{"watch", "--nats-url", app.NATSURL, "--kind", "sanction", "--since", "0", "--once"}, nil, &out, &errOut)
		if code != 0 {
			t.Fatalf("watch --kind: exit %d: %s", code, &errOut)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 3 { // the scenario's two sanctions and the new one
			t.Errorf("watch --kind sanction printed %d lines, want 3:\n%s", len(lines), &out)
		}
		for _, l := range lines {
			if f := strings.Fields(l); len(f) < 8 || f[4] != "RUS" || f[7] != "sanction" {
				t.Errorf("watch --kind sanction printed %q", l)
			}
		}
	})
	t.Run("ErrBadFilter", func(t *testing.T) {
		getJSON(t, app.HTTP.URL()+"/api/v1/feed?country=XX", http.StatusBadRequest, nil)
		getJSON(t, app.HTTP.URL()+"/api/v1/feed?since=yesterday", http.StatusBadRequest, nil)
	})
	t.Run("Alerts", func(t *testing.T) {
		js, err := jetstream.New(app.NC)
		if err != nil {
			t.Fatal(err)
		}
		if err := natsjs.WaitAcked(ctx, js, natsjs.EventStream, alerts.DefaultEvaluator, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		var body struct{ Alerts []feed.AlertPayload }
		getJSON(t, app.HTTP.URL()+"/api/v1/alerts?limit=200", http.StatusOK, &body)
		if len(body.Alerts) == 0 {
			t.Fatal("no alerts raised")
		}
		getJSON(t, app.HTTP.URL()+"/api/v1/alerts?limit=0", http.StatusBadRequest, nil)
		// Every alert names the one subscriber: wait until each is
		// delivered (and raising has stopped: the count stays put).
		var d struct{ Deliveries []alerts.DeliveryState }
		deadline := time.Now().Add(20 * time.Second)
		for {
			getJSON(t, app.HTTP.URL()+"/api/v1/alerts?limit=200", http.StatusOK, &body)
			getJSON(t, app.HTTP.URL()+"/api/v1/alerts/deliveries", http.StatusOK, &d)
			if len(d.Deliveries) == 1 && d.Deliveries[0].Delivered == uint64(len(body.Alerts)) && recv.received.Load() == int64(len(body.Alerts)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("deliveries %+v, %d received, for %d alerts", d.Deliveries, recv.received.Load(), len(body.Alerts))
			}
			time.Sleep(50 * time.Millisecond)
		}
		s := d.Deliveries[0]
		if s.Subscriber != "demo-receiver" || s.URL != recv.url || len(s.Rules) != 6 || s.FailedAttempts != 0 || s.DeadLettered != 0 ||
			s.Retrying != 0 || s.LastStatus != http.StatusNoContent || s.LastError != "" || s.LastSuccessAt.IsZero() {
			t.Errorf("delivery state %+v", s)
		}
		// The same on /metrics.
		resp, err := http.Get(app.HTTP.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			fmt.Sprintf(`coalition_alert_deliveries_total{outcome="delivered",subscriber="demo-receiver"} %d`, s.Delivered),
			`coalition_alert_deliveries_total{outcome="failed",subscriber="demo-receiver"} 0`,
			`coalition_alert_deliveries_pending{subscriber="demo-receiver"} 0`,
			`coalition_alert_dead_letters{subscriber="demo-receiver"} 0`,
		} {
			if !strings.Contains(string(metrics), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}
