package httpapi_test

import (
	"bufio"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/feed"
	"github.com/coalitiondev/coalition/httpapi"
	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// MustFeedServer starts an event hub on a private NATS server and an API
// server over it, with the given heartbeat.
func MustFeedServer(tb testing.TB, heartbeat time.Duration) (*httptest.Server, *nats.Conn, jetstream.JetStream, *feed.Hub) {
	tb.Helper()
	_, nc := testkit.NATS(tb)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{}); err != nil {
		tb.Fatal(err)
	}
	hub, err := feed.EventHub(nc, feed.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	srv := httptest.NewServer(httpapi.New(httpapi.Config{
		Status: &StatusReader{}, Publisher: Publisher{}, EventHub: hub, Heartbeat: heartbeat,
	}).Handler())
	tb.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if s, err := hub.Subscribe(ctx, ">", feed.Since{}); err == nil {
			s.Close()
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("hub not live")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return srv, nc, js, hub
}

// readUntil reads lines of an SSE stream until one starts with prefix, and
// returns it; it fails the test after the timeout or at the stream's end.
func readUntil(tb testing.TB, br *bufio.Reader, prefix string, timeout time.Duration) string {
	tb.Helper()
	found := make(chan string, 1)
	go func() {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				found <- "end: " + err.Error()
				return
			}
			if strings.HasPrefix(line, prefix) {
				found <- strings.TrimRight(line, "\n")
				return
			}
		}
	}()
	select {
	case line := <-found:
		if !strings.HasPrefix(line, prefix) {
			tb.Fatalf("no %q line before the stream's %s", prefix, line)
		}
		return line
	case <-time.After(timeout):
		tb.Fatalf("no %q line within %v", prefix, timeout)
		return ""
	}
}

func getStream(tb testing.TB, url string) *bufio.Reader {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		tb.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return bufio.NewReader(resp.Body)
}

// TestFeedHeartbeat checks that an idle feed gets a ": heartbeat" comment
// every heartbeat interval.
func TestFeedHeartbeat(t *testing.T) {
	t.Parallel()
	srv, _, _, _ := MustFeedServer(t, 50*time.Millisecond)
	br := getStream(t, srv.URL+"/api/v1/feed")
	readUntil(t, br, ": connected", 5*time.Second)
	start := time.Now()
	for i := 0; i < 2; i++ {
		readUntil(t, br, ": heartbeat", 2*time.Second)
	}
	if took := time.Since(start); took < 80*time.Millisecond {
		t.Errorf("two heartbeats in %v, want one every 50ms", took)
	}
}

// TestFeedReplayInterrupted checks that a replay that cannot read the
// stream ends the response with an SSE error event, for the client to
// reconnect with Last-Event-ID, rather than carrying on past what it
// missed.
func TestFeedReplayInterrupted(t *testing.T) {
	t.Parallel()
	srv, nc, js, hub := MustFeedServer(t, time.Hour)
	pub, _ := producers.NewPublisher(nc)
	evs := eventgen.Events(rand.New(rand.NewPCG(1, 1)), 5, eventgen.Options{})
	ptrs := make([]*schema.Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	for _, r := range pub.PublishBatch(context.Background(), ptrs) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	// Once the hub has fanned the five out, a subscriber asking for what
	// came after 2 must be replayed 3..5 from the stream (and not find it).
	for deadline := time.Now().Add(10 * time.Second); hub.Last() < 5; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the hub fanned out up to %d of 5", hub.Last())
		}
	}
	if err := js.DeleteStream(context.Background(), natsjs.EventStream); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + "/api/v1/feed?since=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/feed?since=2: %d, want 200 and then an error event", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	readUntil(t, br, "event: error", 20*time.Second)
	if line := readUntil(t, br, "data: ", time.Second); !strings.Contains(line, "reconnect with Last-Event-ID") {
		t.Errorf("error event %q", line)
	}
}
