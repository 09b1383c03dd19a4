package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

const chromiumPath = "/usr/bin/chromium"

// TestDashboard opens the dashboard of the real program in Debian's
// headless Chromium after the Paris replay, checks that the story's facts
// are on the page (Germany's 650 soldiers, Britain's air base, Russia and
// Turkey at odds), that the alert panel renders a useful mix (the burst of
// undelivered alerts as one item) and scrolls to its last item, saves a
// screenshot to docs/dashboard.png, sorts the status table by clicks, and
// checks that a newly published event shows up in the live feed within
// 2 s and its alert in the alert panel.
func TestDashboard(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s: %v: install Debian's chromium (scripts/deps.sh --browser)", chromiumPath, err)
	}
	start := time.Now()
	// Alerts on, delivered to the demo's own signature-checking receiver.
	recv, rules, err := startDemoAlerts(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	app := MustOpenApp(t, "--alert-rules", rules)
	replayParis(t, app)
	t.Logf("app and replay: %v", time.Since(start).Round(time.Millisecond))

	checkDashboardHTTP(t, app.HTTP.URL())

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 45*time.Second)
	defer cancelTimeout()

	// Uncaught exceptions, errors the browser logs (a failed load, a
	// Content-Security-Policy violation) and requests to any other origin
	// fail the test.
	var mu sync.Mutex
	var problems []string
	problem := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	origin := app.HTTP.URL() + "/"
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			problem("javascript exception at %s:%d: %s", d.URL, d.LineNumber+1, msg)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				problem("browser log: %s %s", e.Entry.Text, e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if u := e.Request.URL; !strings.HasPrefix(u, origin) && !strings.HasPrefix(u, "data:") {
				problem("request to another origin: %s", u)
			}
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}

	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		began := time.Now()
		if err := chromedp.Do(ctx, actions...); err != nil {
			var dump string
			text, derr := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 4000) : ""`))
			if derr == nil {
				dump = text
			}
			t.Fatalf("%s: %v\npage text:\n%s", name, err, dump)
		}
		t.Logf("%s: %v", name, time.Since(began).Round(time.Millisecond))
	}

	step("open the dashboard",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(app.HTTP.URL()+"/"),
	)

	// The story's facts, in the status table (each check as a predicate,
	// so a failure says which one never held).
	row := func(code string) string {
		return fmt.Sprintf(`document.querySelector('#status-table tbody tr[data-country=%q]')`, code)
	}
	waitFor := func(what, predicate string, timeout time.Duration) {
		t.Helper()
		step(what, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	}
	waitFor("status table shows DEU with 650", fmt.Sprintf(`(%s || {textContent: ""}).textContent.includes("650 soldiers")`, row("DEU")), 10*time.Second)
	waitFor("status table shows GBR with an air base", fmt.Sprintf(`/air[_ ]base/.test((%s || {textContent: ""}).textContent)`, row("GBR")), 5*time.Second)
	for _, code := range []string{"RUS", "TUR"} {
		waitFor(code+" is at_odds", fmt.Sprintf(`!!(%s && %s.querySelector('.chip[data-label="at_odds"]'))`, row(code), row(code)), 5*time.Second)
	}
	waitFor("bars show Germany's pledge", `[...document.querySelectorAll('#bars .bar-country[data-country="DEU"] .bar-caption')].some(e => e.textContent.includes("650 soldiers · 0 delivered"))`, 5*time.Second)
	waitFor("timeline drawn", `!!document.querySelector('#timeline svg circle')`, 5*time.Second)
	waitFor("at a glance names the rift", `/RUS.*TUR/.test(document.querySelector('#glance-rifts').textContent)`, 5*time.Second)

	// The alert panel lists the scenario's alerts (first pledges, the
	// Russia-Turkey conflicts, France's withdrawal...). The demo's
	// undelivered rule, judged against today's clock, finds every 2015
	// commitment overdue at once: those alerts are one item, so the
	// conflicts and the withdrawal stay in view, near the top.
	waitFor("alert panel lists the scenario's alerts", `(() => {
		const p = document.querySelector('#alerts-panel');
		return p.dataset.state === "live" && p.querySelectorAll('#alerts-list > li[data-seq]').length >= 5 &&
			p.textContent.includes("RUS") && p.textContent.includes("TUR");
	})()`, 10*time.Second)
	waitFor("undelivered alerts grouped, conflicts and the withdrawal near the top", `(() => {
		const items = [...document.querySelectorAll('#alerts-list > li[data-seq]')];
		const undelivered = items.filter(li => li.dataset.kind === "undelivered");
		const top = items.slice(0, 5).map(li => li.dataset.kind);
		return undelivered.length === 1 && Number(undelivered[0].dataset.count) >= 2 &&
			top.includes("withdrawal") && top.includes("member_conflict");
	})()`, 10*time.Second)
	waitFor("alert times carry the year", `[...document.querySelectorAll('#alerts-list > li[data-seq] time')].every(t => /\b20\d\d · \d\d:\d\d$/.test(t.textContent))`, 2*time.Second)

	// The live feed: wait until its history has been replayed, so the
	// screenshot shows it, then save the page as the story stands.
	waitFor("live feed connected with history", `document.querySelector('#feed-panel').dataset.state === "live" &&
		document.querySelectorAll('#feed-list li[data-seq]').length >= 30`, 10*time.Second)
	waitFor("fonts loaded", `document.fonts.status === "loaded"`, 5*time.Second)
	step("let the replay settle", chromedp.Sleep(900*time.Millisecond))
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join("..", "..", "docs", "dashboard.png")
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s (%d bytes)", out, len(shot))

	// The alert list scrolls, and its last item can be seen whole, clear
	// of the fade at the bottom.
	waitFor("last alert fully visible once scrolled to", `(() => {
		const list = document.querySelector('#alerts-list');
		list.scrollTop = list.scrollHeight;
		const items = list.querySelectorAll(':scope > li[data-seq]');
		const last = items[items.length - 1].getBoundingClientRect(), box = list.getBoundingClientRect();
		const scrolls = list.scrollHeight > list.clientHeight;
		return scrolls && last.top >= box.top && last.bottom <= box.bottom - 24;
	})()`, 2*time.Second)
	step("scroll the alert list back", chromedp.Evaluate[chromedp.Void](`document.querySelector('#alerts-list').scrollTop = 0`))

	// The status table sorts on a click of a column heading, and the
	// other way on a second click.
	firstRow := `document.querySelector('#status-table tbody tr').dataset.country`
	sortedBy := func(key, dir string) string {
		return fmt.Sprintf(`document.querySelector('#status-table th[data-key=%q]').getAttribute('aria-sort') === %q`, key, dir)
	}
	step("sort by meetings", chromedp.Click(chromedp.CSS(`#status-table th[data-key="meetings"] button`)))
	waitFor("France, with six meetings, first", sortedBy("meetings", "descending")+` && `+firstRow+` === "FRA"`, 2*time.Second)
	step("sort by meetings again", chromedp.Click(chromedp.CSS(`#status-table th[data-key="meetings"] button`)))
	waitFor("Türkiye, with none, first", sortedBy("meetings", "ascending")+` && `+firstRow+` === "TUR"`, 2*time.Second)
	step("sort by country", chromedp.Click(chromedp.CSS(`#status-table th[data-key="country"] button`)))
	waitFor("Germany first, the United States last", sortedBy("country", "ascending")+` && `+firstRow+` === "DEU" &&
		document.querySelector('#status-table tbody tr:last-child').dataset.country === "USA"`, 2*time.Second)

	// A new event appears in the live panel within 2 s.
	q := 4.0
	summary := fmt.Sprintf("Italy offers four Tornado jets for reconnaissance over Iraq (dashboard test %d).", time.Now().UnixNano())
	ev := &schema.Event{
		Kind:        schema.KindPledge,
		Coalition:   scenarios.Paris2015Coalition,
		Actor:       "ITA",
		Counterpart: "FRA",
		OccurredAt:  time.Date(2015, 11, 27, 9, 0, 0, 0, time.UTC),
		Source:      "https://www.example.org/ita-tornado",
		Summary:     summary,
		Pledge: &schema.Pledge{
			CommitmentID: "ita-tornado-test",
			Category:     schema.Category("military"),
			Asset:        "aircraft",
			Quantity:     &q,
			Unit:         "jets",
		},
	}
	published := time.Now()
	if res := app.Publisher.Publish(context.Background(), ev); res.Err != nil {
		t.Fatalf("publish: %v", res.Err)
	}
	waitFor("new event in the live feed, highlighted", fmt.Sprintf(`(() => {
		const li = document.querySelector('#feed-list li');
		return !!li && li.dataset.kind === "pledge" && li.classList.contains("fresh") && li.textContent.includes(%q) && li.textContent.includes("ITA");
	})()`, summary), 2*time.Second)
	t.Logf("published to shown: %v", time.Since(published).Round(time.Millisecond))
	// Italy's first pledge raises an alert, which the alert list shows live
	// and the webhook receiver gets, signed.
	waitFor("Italy's first-pledge alert in the alert list", `[...document.querySelectorAll('#alerts-list > li[data-seq]')].some(
		li => li.dataset.kind === "first_pledge" && li.classList.contains("fresh") && li.textContent.includes("ITA"))`, 5*time.Second)
	if recv.received.Load() == 0 {
		t.Error("the webhook receiver got no alert")
	}

	mu.Lock()
	for _, p := range problems {
		t.Error(p)
	}
	mu.Unlock()
	t.Logf("total: %v", time.Since(start).Round(time.Millisecond))
}

// checkDashboardHTTP checks what the server sends for the page and its
// assets: the page with its first status inlined as JSON and a strict
// Content-Security-Policy, assets with ETags, 404 for what is not there.
func checkDashboardHTTP(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("GET /: Content-Security-Policy %q", csp)
	}
	_, after, ok := strings.Cut(string(page), `<script type="application/json" id="boot">`)
	boot, _, ok2 := strings.Cut(after, "</script>")
	var first struct {
		Coalition string
		Countries []struct {
			Country string
			Name    string
		}
	}
	if !ok || !ok2 {
		t.Fatalf("GET /: no boot JSON in the page")
	}
	if err := json.Unmarshal([]byte(boot), &first); err != nil || first.Coalition != scenarios.Paris2015Coalition || len(first.Countries) != 7 {
		t.Errorf("boot JSON: %v, got %+v", err, first)
	}

	resp, err = http.Get(base + "/static/js/main.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || etag == "" {
		t.Fatalf("GET /static/js/main.js: %d %q etag %q", resp.StatusCode, resp.Header.Get("Content-Type"), etag)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/static/js/main.js", nil)
	req.Header.Set("If-None-Match", etag)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET /static/js/main.js with its ETag: %d, want 304", resp.StatusCode)
	}
	for _, path := range []string{"/static/nope.js", "/static/", "/static/../dashboard.go"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}
