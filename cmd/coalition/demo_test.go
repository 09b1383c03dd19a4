package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/internal/testkit"
)

// TestDemoServes runs `coalition demo` as a user does (no --once) and uses
// what it serves: the dashboard, the live feed (the replayed scenario, then
// the event of the printed curl example arriving live), the alerts its
// built-in rules raised, and their deliveries to the demo's own webhook.
func TestDemoServes(t *testing.T) {
	t.Parallel()
	if os.Getenv("COALITION_WRITE_TOKEN") != "" || os.Getenv("COALITION_WRITE_TOKEN_FILE") != "" {
		t.Skip("a write token is set in the environment")
	}
	addr, db := testkit.ClickHouse(t)
	stdout, stderr, stop := runCommand(t, "Press Ctrl-C", "demo", "--data-dir", t.TempDir(), "--http", "127.0.0.1:0", "--nats-listen", "",
		"--clickhouse-addr", addr, "--clickhouse-database", db)
	m := curlRe.FindStringSubmatch(stdout.String())
	if m == nil {
		stop()
		t.Fatalf("stdout lacks the curl example:\n%s", stdout)
	}
	token, event, eventsURL := m[1], m[2], m[3]
	base := strings.TrimSuffix(eventsURL, "/api/v1/events")

	if code, body := authRequest(t, "GET", base+"/", "", ""); code != http.StatusOK || !strings.Contains(body, "Germany") {
		t.Errorf("dashboard: got %d, want 200 with Germany", code)
	}

	// One reader for the whole stream: the scenario replayed, then the
	// event of the curl example, posted meanwhile, live.
	_, br := openFeed(t, base+"/api/v1/feed?since=2000-01-01", "")
	posted := make(chan string, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		code, body := authRequest(t, "POST", eventsURL, token, event)
		posted <- fmt.Sprint(code, " ", body)
	}()
	frames := readFrames(t, br, 34, 15*time.Second)
	if got := <-posted; !strings.HasPrefix(got, "202 ") {
		t.Fatalf("the curl example: got %s", got)
	}
	if !strings.Contains(frames[0].data, `"kind"`) || frames[0].id != "1" || frames[32].id != "33" {
		t.Errorf("replayed frames: first %+v, 33rd %+v", frames[0], frames[32])
	}
	live := frames[33]
	if !strings.Contains(live.data, `"ITA"`) || !strings.Contains(live.data, "2015-11-30T12:00:00Z") || live.id != "34" {
		t.Errorf("live frame after the curl example: %+v", live)
	}

	var recent struct{ Alerts []json.RawMessage }
	getJSON(t, base+"/api/v1/alerts", http.StatusOK, &recent)
	if len(recent.Alerts) == 0 {
		t.Error("the demo raised no alert")
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var d struct{ Deliveries []alerts.DeliveryState }
		getJSON(t, base+"/api/v1/alerts/deliveries", http.StatusOK, &d)
		if len(d.Deliveries) > 0 && d.Deliveries[0].Delivered > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert delivered to the demo's webhook: %+v", d.Deliveries)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("demo exit %d after Ctrl-C\n%s", code, stderr)
	}
}
