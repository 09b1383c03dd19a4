package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/feed"
	"github.com/coalitiondev/coalition/schema"
)

// sseFrame is one server-sent event.
type sseFrame struct {
	id, event, data string
}

// readFrames reads frames from an SSE response until n arrived or the
// timeout passed; comment lines are counted in comments.
func readFrames(tb testing.TB, br *bufio.Reader, n int, timeout time.Duration) []sseFrame {
	tb.Helper()
	frames := make(chan sseFrame)
	errc := make(chan error, 1)
	go func() {
		var f sseFrame
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				errc <- err
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if f.event != "" || f.data != "" {
					frames <- f
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
	var out []sseFrame
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case f := <-frames:
			out = append(out, f)
		case err := <-errc:
			tb.Fatalf("stream ended after %d of %d frames: %v", len(out), n, err)
		case <-deadline:
			tb.Fatalf("got %d of %d frames", len(out), n)
		}
	}
	return out
}

func openFeed(tb testing.TB, url, lastID string) (*http.Response, *bufio.Reader) {
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
	return resp, bufio.NewReader(resp.Body)
}

func italyStatement(stance schema.Stance, minute int) *schema.Event {
	return &schema.Event{
		Kind: schema.KindStatement, Coalition: "paris-2015", Actor: "ITA",
		OccurredAt: time.Date(2015, 11, 27, 9, minute, 0, 0, time.UTC), Source: "https://www.ansa.it/english/",
		Summary: "Renzi on the coalition", Statement: &schema.Statement{Stance: stance},
	}
}

// TestFeed follows /api/v1/feed filtered to Italy, sees a new statement
// arrive with its stream sequence as the SSE id, drops the connection,
// misses two events, and reconnects with Last-Event-ID to get exactly
// those two. Then coalition watch prints the same events.
func TestFeed(t *testing.T) {
	t.Parallel()
	app := MustOpenApp(t)
	replayParis(t, app)
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

	t.Run("Watch", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := Run(ctx, []string{"watch", "--nats-url", app.NATSURL, "--country", "ITA", "--since", "0", "--once"}, nil, &out, &errOut)
		if code != 0 {
			t.Fatalf("watch: exit %d: %s", code, &errOut)
		}
		if n := strings.Count(out.String(), "ITA"); n < 4 { // the scenario's statement and the three new ones
			t.Errorf("watch printed %d ITA lines:\n%s", n, &out)
		}
	})
	t.Run("ErrBadFilter", func(t *testing.T) {
		getJSON(t, app.HTTP.URL()+"/api/v1/feed?country=XX", http.StatusBadRequest, nil)
		getJSON(t, app.HTTP.URL()+"/api/v1/feed?since=yesterday", http.StatusBadRequest, nil)
	})
	t.Run("Alerts", func(t *testing.T) {
		var body struct{ Alerts []any }
		getJSON(t, app.HTTP.URL()+"/api/v1/alerts", http.StatusOK, &body)
		getJSON(t, app.HTTP.URL()+"/api/v1/alerts/deliveries", http.StatusOK, nil)
		getJSON(t, app.HTTP.URL()+"/api/v1/alerts?limit=0", http.StatusBadRequest, nil)
	})
}
