package alerts_test

import (
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// pledgeAndWithdrawal returns a pledge and its withdrawal by a country,
// dated now (webhook timestamps are checked against the real clock).
func pledgeAndWithdrawal(tb testing.TB, coalition, country string) []*schema.Event {
	tb.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	doc := func(kind, payload string, at time.Time) *schema.Event {
		return event(tb, fmt.Sprintf(`{"kind":%q,"coalition":%q,"actor":%q,"occurred_at":%q,"reported_at":%q,"source":"https://example.org/x",%s}`,
			kind, coalition, country, at.Format(time.RFC3339), at.Format(time.RFC3339), payload))
	}
	cid := strings.ToLower(country) + "-troops"
	return []*schema.Event{
		doc("pledge", fmt.Sprintf(`"pledge":{"commitment_id":%q,"category":"military","asset":"troops","quantity":100,"unit":"soldiers"}`, cid), now.Add(-time.Hour)),
		doc("withdrawal", fmt.Sprintf(`"withdrawal":{"commitment_id":%q,"reason":"changed its mind"}`, cid), now),
	}
}

const hookRules = `
subscribers:
  - {name: flaky, url: '${FLAKY_URL}', secret: '${FLAKY_SECRET}'}
  - {name: steady, url: '${STEADY_URL}', secret: '${STEADY_SECRET}'}
rules:
  - {name: withdrawn, kind: withdrawal, subscribers: [flaky]}
  - {name: first, kind: first_pledge, subscribers: [steady]}
`

// TestWebhookFailsThenRecovers delivers through a receiver that answers
// 500 twice, then 200: the alert is delivered once, after two failed
// attempts spaced by the backoff, every attempt signed.
func TestWebhookFailsThenRecovers(t *testing.T) {
	t.Parallel()
	nc, js := MustNATS(t)
	flaky := newReceiver(t, "flaky-secret", 5*time.Minute, func(n int) (int, string) {
		if n <= 2 {
			return 500, "try later"
		}
		return 200, "ok"
	})
	steady := newReceiver(t, "steady-secret", 5*time.Minute, always(204, ""))
	rules := rulesFile(t, hookRules)
	reg := prometheus.NewRegistry()
	svc := MustStart(t, nc, rules, alerts.Config{
		Lookup:   env(map[string]string{"FLAKY_URL": flaky.URL, "FLAKY_SECRET": "flaky-secret", "STEADY_URL": steady.URL, "STEADY_SECRET": "steady-secret"}),
		Webhooks: alerts.WebhookConfig{Backoff: 50 * time.Millisecond, Metrics: alerts.NewMetrics(reg)},
	})
	wantMetric(t, reg, 0, "coalition_alert_deliveries_total", "subscriber", "flaky", "outcome", "delivered")
	publish(t, nc, pledgeAndWithdrawal(t, "hooks", "BEL")...)
	waitEvaluated(t, js)
	raised := streamAlerts(t, js)
	if got, want := summarize(raised), []string{"first BEL - bel-troops " + raised[0].EventID[30:], "withdrawn BEL - bel-troops " + raised[1].EventID[30:]}; !reflect.DeepEqual(got, want) {
		t.Fatalf("alerts %q, want %q", got, want)
	}
	eventually(t, "both deliveries", func() bool {
		ds := svc.Deliveries()
		return len(ds) == 2 && ds[0].Delivered == 1 && ds[1].Delivered == 1
	})
	time.Sleep(300 * time.Millisecond) // room for a repeat that must not come

	calls := flaky.Calls()
	if len(calls) != 3 {
		t.Fatalf("flaky got %d calls, want 3", len(calls))
	}
	for i, c := range calls {
		if c.sigErr != nil {
			t.Errorf("call %d: %v", i+1, c.sigErr)
		}
		if c.alertID != raised[1].ID || c.alert.ID != raised[1].ID || c.alert.Rule != "withdrawn" {
			t.Errorf("call %d: alert %s (header %s), want %s", i+1, c.alert.ID, c.alertID, raised[1].ID)
		}
		if got, want := c.attempt, fmt.Sprint(i+1); got != want {
			t.Errorf("call %d: attempt header %s", i+1, got)
		}
	}
	if gap1, gap2 := calls[1].at.Sub(calls[0].at), calls[2].at.Sub(calls[1].at); gap1 < 50*time.Millisecond || gap2 < 100*time.Millisecond {
		t.Errorf("attempts %v and %v apart, want at least 50ms and 100ms (backoff)", gap1, gap2)
	}
	if sc := steady.Calls(); len(sc) != 1 || sc[0].alert.Rule != "first" || sc[0].sigErr != nil {
		t.Errorf("steady got %+v, want the first-pledge alert only, signed", sc)
	}

	ds := svc.Deliveries()
	f := ds[0]
	if f.Subscriber != "flaky" || f.Delivered != 1 || f.FailedAttempts != 2 || f.DeadLettered != 0 || f.Retrying != 0 ||
		f.LastStatus != 200 || f.LastError != "" || f.LastSuccessAt.IsZero() || !reflect.DeepEqual(f.Rules, []string{"withdrawn"}) {
		t.Errorf("flaky delivery state %+v", f)
	}
	if s := ds[1]; s.Subscriber != "steady" || s.Delivered != 1 || s.FailedAttempts != 0 || s.LastStatus != 204 {
		t.Errorf("steady delivery state %+v", s)
	}
	if msgs := streamMsgs(t, js, natsjs.AlertDeadLetterStream); len(msgs) != 0 {
		t.Errorf("%d dead letters, want none", len(msgs))
	}
	// The same on /metrics.
	for _, m := range []struct {
		subscriber, outcome string
		want                float64
	}{{"flaky", "delivered", 1}, {"flaky", "failed", 2}, {"flaky", "dead_lettered", 0}, {"steady", "delivered", 1}, {"steady", "failed", 0}} {
		wantMetric(t, reg, m.want, "coalition_alert_deliveries_total", "subscriber", m.subscriber, "outcome", m.outcome)
	}
	for _, sub := range []string{"flaky", "steady"} {
		wantMetric(t, reg, 0, "coalition_alert_deliveries_pending", "subscriber", sub)
		wantMetric(t, reg, 0, "coalition_alert_dead_letters", "subscriber", sub)
		if at, ok := metric(t, reg, "coalition_alert_delivery_last_success_timestamp_seconds", "subscriber", sub); !ok || time.Since(time.Unix(int64(at), 0)) > time.Minute {
			t.Errorf("%s: last success at %v (found %v)", sub, at, ok)
		}
	}
}

// TestWebhookDeadLetter gives up after MaxAttempts on a receiver that
// always fails, and on one that never answers, and records each.
func TestWebhookDeadLetter(t *testing.T) {
	t.Parallel()
	nc, js := MustNATS(t)
	down := newReceiver(t, "down-secret", 5*time.Minute, always(503, "down for maintenance"))
	// A listener that accepts connections and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	rules := rulesFile(t, `
subscribers:
  - {name: down, url: '${DOWN_URL}', secret: down-secret}
  - {name: silent, url: '${SILENT_URL}', secret: silent-secret}
rules:
  - {name: withdrawn, kind: withdrawal, subscribers: [down, silent]}
`)
	cfg := alerts.Config{
		Lookup:   env(map[string]string{"DOWN_URL": down.URL + "/hook", "SILENT_URL": "http://" + silent.Addr().String() + "/hook"}),
		Webhooks: alerts.WebhookConfig{MaxAttempts: 3, Backoff: 10 * time.Millisecond, Timeout: 200 * time.Millisecond},
	}
	reg := prometheus.NewRegistry()
	cfg.Webhooks.Metrics = alerts.NewMetrics(reg)
	svc := MustStart(t, nc, rules, cfg)
	publish(t, nc, pledgeAndWithdrawal(t, "hooks", "NLD")...)
	waitEvaluated(t, js)
	raised := streamAlerts(t, js)
	if len(raised) != 1 {
		t.Fatalf("%d alerts, want 1", len(raised))
	}
	eventually(t, "two dead letters", func() bool { return len(streamMsgs(t, js, natsjs.AlertDeadLetterStream)) == 2 })

	got := map[string]alerts.DeadLetter{}
	for _, m := range streamMsgs(t, js, natsjs.AlertDeadLetterStream) {
		var dl alerts.DeadLetter
		if err := json.Unmarshal(m.Data, &dl); err != nil {
			t.Fatal(err)
		}
		if m.Subject != alerts.DeadLetterSubject(dl.Subscriber) || m.Header.Get(alerts.HeaderDeliveryError) != dl.LastError {
			t.Errorf("dead letter on %s with error header %q: %+v", m.Subject, m.Header.Get(alerts.HeaderDeliveryError), dl)
		}
		var a schema.Alert
		if err := json.Unmarshal(dl.Alert, &a); err != nil || a.ID != raised[0].ID {
			t.Errorf("dead letter alert %s (%v), want %s", dl.Alert, err, raised[0].ID)
		}
		got[dl.Subscriber] = dl
	}
	if d := got["down"]; d.AlertID != raised[0].ID || d.Rule != "withdrawn" || d.Attempts != 3 || d.LastStatus != 503 ||
		d.LastError != "HTTP 503: down for maintenance" || d.URL != down.URL+"/hook" || d.AlertSeq != 1 || d.At.IsZero() {
		t.Errorf("down's dead letter %+v", d)
	}
	if d := got["silent"]; d.Attempts != 3 || d.LastStatus != 0 || !strings.Contains(d.LastError, "deadline exceeded") && !strings.Contains(d.LastError, "Timeout") {
		t.Errorf("silent's dead letter %+v", d)
	}
	if n := len(down.Calls()); n != 3 {
		t.Errorf("down got %d calls, want 3", n)
	}
	for _, d := range svc.Deliveries() {
		if d.Delivered != 0 || d.FailedAttempts != 3 || d.DeadLettered != 1 || d.Retrying != 0 || d.LastError == "" || !d.LastSuccessAt.IsZero() {
			t.Errorf("delivery state %+v", d)
		}
	}
	for _, sub := range []string{"down", "silent"} {
		wantMetric(t, reg, 0, "coalition_alert_deliveries_total", "subscriber", sub, "outcome", "delivered")
		wantMetric(t, reg, 3, "coalition_alert_deliveries_total", "subscriber", sub, "outcome", "failed")
		wantMetric(t, reg, 1, "coalition_alert_deliveries_total", "subscriber", sub, "outcome", "dead_lettered")
		wantMetric(t, reg, 0, "coalition_alert_deliveries_pending", "subscriber", sub)
		wantMetric(t, reg, 1, "coalition_alert_dead_letters", "subscriber", sub)
	}

	// After a restart the counters start again, and the dead letters
	// (read from the stream) are still there.
	_ = svc.Close()
	reg = prometheus.NewRegistry()
	cfg.Webhooks.Metrics = alerts.NewMetrics(reg)
	MustStart(t, nc, rules, cfg)
	for _, sub := range []string{"down", "silent"} {
		wantMetric(t, reg, 0, "coalition_alert_deliveries_total", "subscriber", sub, "outcome", "dead_lettered")
		wantMetric(t, reg, 1, "coalition_alert_dead_letters", "subscriber", sub)
	}
}

// TestWebhookPendingMetric checks that an alert waiting for its next
// attempt shows as pending, read from the durable consumer.
func TestWebhookPendingMetric(t *testing.T) {
	t.Parallel()
	nc, _ := MustNATS(t)
	down := newReceiver(t, "s", 5*time.Minute, always(503, "down"))
	rules := rulesFile(t, "subscribers:\n  - {name: down, url: '${DOWN_URL}', secret: s}\nrules:\n  - {name: withdrawn, kind: withdrawal, subscribers: [down]}\n")
	reg := prometheus.NewRegistry()
	MustStart(t, nc, rules, alerts.Config{
		Lookup:   env(map[string]string{"DOWN_URL": down.URL}),
		Webhooks: alerts.WebhookConfig{Backoff: time.Hour, Metrics: alerts.NewMetrics(reg)},
	})
	publish(t, nc, pledgeAndWithdrawal(t, "pending", "IRL")...)
	eventually(t, "a failed attempt", func() bool { return len(down.Calls()) == 1 })
	eventually(t, "the failure to be counted", func() bool {
		n, _ := metric(t, reg, "coalition_alert_deliveries_total", "subscriber", "down", "outcome", "failed")
		return n == 1
	})
	wantMetric(t, reg, 1, "coalition_alert_deliveries_pending", "subscriber", "down")
	wantMetric(t, reg, 0, "coalition_alert_dead_letters", "subscriber", "down")
}

// TestWebhookRulesReload reloads the rules file: a rule added is evaluated
// and delivered from then on (not for what happened before), and a broken
// file keeps the rules in use.
func TestWebhookRulesReload(t *testing.T) {
	t.Parallel()
	nc, js := MustNATS(t)
	hook := newReceiver(t, "hook-secret", 5*time.Minute, always(200, "ok"))
	v1 := "subscribers:\n  - {name: hook, url: '${HOOK_URL}', secret: hook-secret}\nrules:\n  - {name: withdrawn, kind: withdrawal, subscribers: [hook]}\n"
	v2 := v1 + "  - {name: first, kind: first_pledge, subscribers: [hook]}\n"
	rules := rulesFile(t, v1)
	svc := MustStart(t, nc, rules, alerts.Config{Lookup: env(map[string]string{"HOOK_URL": hook.URL})})

	publish(t, nc, pledgeAndWithdrawal(t, "reload", "BEL")...)
	waitEvaluated(t, js)
	writeFile(t, rules, v2)
	eventually(t, "the new rules", func() bool { _, ok := svc.Rules().Rule("first"); return ok })
	publish(t, nc, pledgeAndWithdrawal(t, "reload", "LUX")...)
	waitEvaluated(t, js)

	writeFile(t, rules, v2+"  - {name: broken, kind: nope}\n")
	eventually(t, "the broken file to be reported", func() bool { return svc.RulesError() != nil })
	if _, ok := svc.Rules().Rule("first"); !ok || len(svc.Rules().Rules) != 2 {
		t.Errorf("rules after a broken file: %+v", svc.Rules().Rules)
	}
	publish(t, nc, pledgeAndWithdrawal(t, "reload", "DNK")...)
	waitEvaluated(t, js)

	var got []string
	for _, s := range summarize(streamAlerts(t, js)) {
		got = append(got, strings.Join(strings.Fields(s)[:2], " "))
	}
	want := []string{"withdrawn BEL", "first LUX", "withdrawn LUX", "first DNK", "withdrawn DNK"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("alerts %q, want %q (Belgium's first pledge came before the rule)", got, want)
	}
	eventually(t, "five deliveries", func() bool { return len(svc.Deliveries()) == 1 && svc.Deliveries()[0].Delivered == 5 })
	if d := svc.Deliveries()[0]; !reflect.DeepEqual(d.Rules, []string{"withdrawn", "first"}) {
		t.Errorf("delivery rules %v", d.Rules)
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"a"}`)
	sig := alerts.Sign("k", "1700000000", body)
	// Computed independently: printf '1700000000.{"id":"a"}' | openssl dgst -sha256 -hmac k
	if want := "sha256=59483f04a864c91c84acd1d88af1270fb2fd955c0786a4e3e1a27e0235f00948"; sig != want {
		t.Fatalf("Sign = %q, want %q", sig, want)
	}
	for _, tc := range []struct {
		name                     string
		secret, ts, body, header string
		want                     bool
	}{
		{"Valid", "k", "1700000000", string(body), sig, true},
		{"WrongSecret", "other", "1700000000", string(body), sig, false},
		{"OtherTimestamp", "k", "1700000001", string(body), sig, false},
		{"OtherBody", "k", "1700000000", `{"id":"b"}`, sig, false},
		{"NoPrefix", "k", "1700000000", string(body), strings.TrimPrefix(sig, "sha256="), false},
		{"NotHex", "k", "1700000000", string(body), "sha256=zz", false},
		{"Empty", "k", "1700000000", string(body), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := alerts.VerifySignature(tc.secret, tc.ts, []byte(tc.body), tc.header); got != tc.want {
				t.Errorf("VerifySignature = %v, want %v", got, tc.want)
			}
		})
	}
}

// rulesFile writes a rules document to a temporary file.
func rulesFile(tb testing.TB, doc string) string {
	tb.Helper()
	path := tb.TempDir() + "/rules.yaml"
	writeFile(tb, path, doc)
	return path
}
