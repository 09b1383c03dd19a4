package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

const validPledge = `{"kind":"pledge","coalition":"paris-2015","actor":"DEU","counterpart":"FRA","occurred_at":"2015-11-25T10:00:00Z","source":"https://www.reuters.com/a","pledge":{"commitment_id":"deu-mali","category":"military","asset":"troops","quantity":650,"unit":"soldiers","destination":"MLI"}}`

func post(tb testing.TB, url, ctype, body string) (int, map[string]any) {
	tb.Helper()
	resp, err := http.Post(url, ctype, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("POST %s: %v in %s", url, err, b)
	}
	return resp.StatusCode, m
}

func TestEventsAPI(t *testing.T) {
	t.Parallel()
	app := MustOpenApp(t)
	url := app.HTTP.URL() + "/api/v1/events"

	t.Run("OneEvent", func(t *testing.T) {
		code, body := post(t, url, "application/json", validPledge)
		if code != http.StatusAccepted || body["accepted"] != 1.0 || len(body["ids"].([]any)) != 1 {
			t.Fatalf("got %d %v, want 202 with one id", code, body)
		}
	})
	t.Run("ErrInvalidBatchPublishesNothing", func(t *testing.T) {
		batch := validPledge + "\n" +
			`{"kind":"pledge","coalition":"paris-2015","actor":"XXX","occurred_at":"2015-11-25T10:00:00Z","source":"https://a.b/c","pledge":{"commitment_id":"x","category":"military","asset":"troops","quantity":-1,"unit":"soldiers"}}` + "\n" +
			`{"kind":"statement","coalition":"paris 2015","actor":"ITA","occurred_at":"2015-11-26T10:00:00Z","source":"https://a.b/c","statement":{"stance":1},"mood":"vague"}` + "\n"
		code, body := post(t, url, "application/x-ndjson", batch)
		if code != http.StatusBadRequest {
			t.Fatalf("got %d %v, want 400", code, body)
		}
		got := problemStrings(body)
		for _, want := range []string{"line 2: pledge.quantity:", "line 3: coalition:", "line 3: mood: unknown field"} {
			if !containsPrefix(got, want) {
				t.Errorf("problems %q lack %q", got, want)
			}
		}
		if containsPrefix(got, "line 1") {
			t.Errorf("valid line 1 reported: %q", got)
		}
	})
	t.Run("Partial", func(t *testing.T) {
		batch := strings.Replace(validPledge, `"deu-mali"`, `"deu-mali-2"`, 1) + "\n" + `{"kind":"nope"}` + "\n"
		code, body := post(t, url+"?partial=true", "application/x-ndjson", batch)
		if code != http.StatusAccepted || body["accepted"] != 1.0 {
			t.Fatalf("got %d %v, want 202 with 1 accepted", code, body)
		}
		if got := problemStrings(body); !containsPrefix(got, "line 2: kind:") {
			t.Errorf("rejected: got %q, want line 2 kind", got)
		}
	})
	t.Run("ErrContentType", func(t *testing.T) {
		code, _ := post(t, url, "text/plain", validPledge)
		if code != http.StatusBadRequest {
			t.Fatalf("got %d, want 400", code)
		}
	})
	t.Run("ErrBodyTooLarge", func(t *testing.T) {
		code, body := post(t, url, "application/x-ndjson", strings.Repeat(validPledge+"\n", 17<<20/len(validPledge)))
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(body["error"].(string), "larger than") {
			t.Fatalf("got %d %v, want 413 body too large", code, body)
		}
	})
	if err := app.WaitConsumed(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Run("Country", func(t *testing.T) {
		var deu struct {
			schema.CountryStatus
			Name string
		}
		getJSON(t, app.HTTP.URL()+"/api/v1/countries/DEU", http.StatusOK, &deu)
		if deu.Commitments != 2 || deu.Lines[0].Pledged != 1300 {
			t.Errorf("DEU: got %+v, want 2 commitments, 1300 soldiers", deu)
		}
		getJSON(t, app.HTTP.URL()+"/api/v1/countries/XXX", http.StatusBadRequest, nil)
		getJSON(t, app.HTTP.URL()+"/api/v1/countries/JPN", http.StatusNotFound, nil)
		getJSON(t, app.HTTP.URL()+"/api/v1/countries?coalition=Bad.Slug", http.StatusBadRequest, nil)
	})
	t.Run("Health", func(t *testing.T) {
		getJSON(t, app.HTTP.URL()+"/livez", http.StatusOK, nil)
		var ready struct {
			Ready  bool
			Checks map[string]string
		}
		getJSON(t, app.HTTP.URL()+"/readyz", http.StatusOK, &ready)
		if !ready.Ready || ready.Checks["nats"] != "ok" || ready.Checks["clickhouse"] != "ok" || ready.Checks["consumer"] != "ok" {
			t.Errorf("readyz: got %+v", ready)
		}
		resp, err := http.Get(app.HTTP.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(b, []byte(`coalition_consumer_events_total{result="stored"} 2`)) {
			t.Errorf("metrics lack the stored count:\n%s", b)
		}
		resp, err = http.Get(app.HTTP.URL() + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte("Germany")) {
			t.Errorf("index page: got %d without Germany", resp.StatusCode)
		}
	})
}

func problemStrings(body map[string]any) []string {
	var out []string
	for _, key := range []string{"problems", "rejected"} {
		ps, _ := body[key].([]any)
		for _, p := range ps {
			m := p.(map[string]any)
			line, _ := m["line"].(float64)
			out = append(out, schema.Problem{Line: int(line), Path: str(m["path"]), Message: str(m["message"])}.String())
		}
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// TestPublishCommand runs `coalition publish` against a running app: an
// NDJSON file with a bad line in the middle publishes the good lines,
// reports the bad one by line and field path, and exits 3; one event from
// flags is published too.
func TestPublishCommand(t *testing.T) {
	t.Parallel()
	app := MustOpenApp(t)
	file := filepath.Join(t.TempDir(), "events.ndjson")
	lines := validPledge + "\n" +
		`{"kind":"statement","coalition":"paris-2015","actor":"ITA","occurred_at":"2015-11-26T10:00:00Z","source":"https://a.b/c","statement":{"stance":7}}` + "\n\n" +
		strings.Replace(validPledge, `"DEU"`, `"BEL"`, 1) + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"publish", "--nats-url", app.NATSURL, "--file", file}, nil, &out, &errOut)
	if code != 3 {
		t.Fatalf("exit: got %d, want 3\n%s%s", code, &out, &errOut)
	}
	if !strings.Contains(errOut.String(), "line 2: statement.stance:") || !strings.Contains(errOut.String(), "published 2 (0 already stored), invalid 1, failed 0") {
		t.Errorf("stderr:\n%s", &errOut)
	}
	if n := strings.Count(out.String(), "coalition.paris-2015."); n != 2 {
		t.Errorf("stdout lists %d events, want 2:\n%s", n, &out)
	}

	out.Reset()
	errOut.Reset()
	code = Run(context.Background(), []string{"publish", "--nats-url", app.NATSURL, "--kind", "statement", "--coalition", "paris-2015",
		"--actor", "ITA", "--stance", "1", "--source", "https://www.dawn.com/news/1222785", "--occurred-at", "2015-11-26T09:00:00Z"}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("publish from flags: exit %d\n%s", code, &errOut)
	}
	if err := app.WaitConsumed(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	sts, err := app.Store.CountryStatus(context.Background(), "paris-2015")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]schema.CountryStatus{}
	for _, s := range sts {
		got[s.Country] = s
	}
	if got["DEU"].Pledges != 1 || got["BEL"].Pledges != 1 || !got["ITA"].HasStance || got["ITA"].Stance != 1 {
		t.Errorf("status after publish: DEU %+v BEL %+v ITA %+v", got["DEU"], got["BEL"], got["ITA"])
	}

	t.Run("Stdin", func(t *testing.T) {
		// One pretty-printed event on stdin (no --file), then NDJSON with
		// --file -, the second line bad: reported by line, the rest published.
		pretty := "{\n  \"kind\": \"statement\",\n  \"coalition\": \"stdin-test\",\n  \"actor\": \"BEL\",\n" +
			"  \"occurred_at\": \"2015-11-27T09:00:00Z\",\n  \"source\": \"https://a.b/c\",\n  \"statement\": {\"stance\": 1}\n}\n"
		var out, errOut bytes.Buffer
		code := Run(context.Background(), []string{"publish", "--nats-url", app.NATSURL}, strings.NewReader(pretty), &out, &errOut)
		if code != 0 || strings.Count(out.String(), "coalition.stdin-test.BEL.statement") != 1 {
			t.Fatalf("pretty event on stdin: exit %d\nstdout:\n%s\nstderr:\n%s", code, &out, &errOut)
		}
		ndjson := strings.Replace(strings.Replace(validPledge, `"paris-2015"`, `"stdin-test"`, 1), `"DEU"`, `"NLD"`, 1) + "\n" +
			`{"kind":"statement","coalition":"stdin-test","actor":"XXX","occurred_at":"2015-11-26T10:00:00Z","source":"https://a.b/c","statement":{"stance":1}}` + "\n"
		out.Reset()
		errOut.Reset()
		code = Run(context.Background(), []string{"publish", "--nats-url", app.NATSURL, "--file", "-"}, strings.NewReader(ndjson), &out, &errOut)
		if code != 3 || !strings.Contains(errOut.String(), "line 2: actor:") || strings.Count(out.String(), "coalition.stdin-test.NLD.pledge") != 1 {
			t.Fatalf("NDJSON on stdin: exit %d\nstdout:\n%s\nstderr:\n%s", code, &out, &errOut)
		}
		if err := app.WaitConsumed(context.Background(), time.Minute); err != nil {
			t.Fatal(err)
		}
		sts, err := app.Store.CountryStatus(context.Background(), "stdin-test")
		if err != nil {
			t.Fatal(err)
		}
		var countries []string
		for _, s := range sts {
			countries = append(countries, s.Country)
		}
		// FRA is the pledge's counterpart; XXX was refused.
		if got, want := strings.Join(countries, ","), "BEL,FRA,NLD"; got != want {
			t.Errorf("countries stored from stdin: %s, want %s", got, want)
		}
	})

	t.Run("ErrBadFlag", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), []string{"publish", "--nats-url", app.NATSURL, "--kind", "pledge", "--coalition", "paris-2015",
			"--actor", "DEU", "--source", "https://a.b/c", "--quantity", "lots"}, nil, &out, &errOut)
		if code != 3 || !strings.Contains(errOut.String(), "--quantity: must be a number") {
			t.Errorf("got exit %d, stderr %s", code, &errOut)
		}
	})
}
