package alerts_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/schema"
)

// parisNow is the engine's clock in the Paris tests: the day after the
// scenario's last report.
var parisNow = mustTime("2015-11-28T00:00:00Z")

// italyCools is one event added to the scenario: Italy turns skeptical,
// a drop of two steps (+1 to -1) that also leaves five countries
// supportive.
const italyCools = `{"id":"0190f5e8-4c00-7a00-8000-000000260100","kind":"statement","coalition":"paris-2015","actor":"ITA",
"occurred_at":"2015-11-27T10:00:00Z","reported_at":"2015-11-27T11:00:00Z","source":"https://example.org/ita",
"statement":{"stance":-1,"quote":"not our war"}}`

// wantParis lists, in the order they are raised, the alerts of
// testdata/alerts/paris.yaml on the Paris scenario plus italyCools, worked
// out by hand (see docs/alerts.md): rule, country, counterpart, commitment
// and the last six hex digits of the event id.
var wantParis = []string{
	"first-pledge FRA - fra-cdg-carrier-2015 260004",          // France's first pledge: the carrier
	"first-pledge GBR - gbr-akrotiri-basing-2015 26000a",      // Britain: Akrotiri
	"member-conflict TUR RUS - 26000c",                        // the Su-24 shootdown, once Russia is a member (its statement 26000d)
	"member-conflict RUS TUR - 26000f",                        // travel warning
	"first-pledge DEU - deu-mali-troops-2015 260012",          // Germany: 650 soldiers for Mali
	"member-conflict RUS TUR - 26001a",                        // food import controls
	"first-pledge RUS - rus-fra-intel-sharing-2015 26001e",    // Russia: intelligence sharing
	"pledge-withdrawn FRA - fra-single-coalition-2015 260021", // France gives up the single coalition
	"stance-drop ITA - - 260100",                              // Italy +1 -> -1
	"support-low ITA - - 260100",                              // six supportive countries -> five
	"undelivered-1d DEU - deu-mali-troops-2015 260012",        // open commitments pledged before 2015-11-27
	"undelivered-1d FRA - fra-rus-strike-coordination-2015 26001f",
	"undelivered-1d FRA - fra-syria-strikes-2015 260005",
	"undelivered-1d GBR - gbr-akrotiri-basing-2015 26000a",
	"undelivered-1d GBR - gbr-syria-airstrikes-2015 26001c",
	"undelivered-1d RUS - rus-fra-intel-sharing-2015 26001e",
}

func summarize(as []schema.Alert) []string {
	out := make([]string, len(as))
	for i, a := range as {
		dash := func(s string) string {
			if s == "" {
				return "-"
			}
			return s
		}
		ev := a.EventID
		if len(ev) > 6 {
			ev = ev[len(ev)-6:]
		}
		out[i] = strings.Join([]string{a.Rule, dash(a.Country), dash(a.Counterpart), dash(a.CommitmentID), dash(ev)}, " ")
	}
	return out
}

// checkAlerts compares the alert stream with want and checks every alert's
// id, kind, raise time and subscribers against the rules.
func checkAlerts(tb testing.TB, js jetstream.JetStream, rs *alerts.RuleSet, now time.Time, want []string) []schema.Alert {
	tb.Helper()
	got := streamAlerts(tb, js)
	if g := summarize(got); !reflect.DeepEqual(g, want) {
		tb.Fatalf("alerts:\ngot  %s\nwant %s", strings.Join(g, "\n     "), strings.Join(want, "\n     "))
	}
	ids := map[string]bool{}
	for _, a := range got {
		if ids[a.ID] {
			tb.Errorf("alert id %s raised twice", a.ID)
		}
		ids[a.ID] = true
		r, ok := rs.Rule(a.Rule)
		if !ok {
			tb.Errorf("alert %s of unknown rule %q", a.ID, a.Rule)
			continue
		}
		if a.Kind != r.Kind || !reflect.DeepEqual(a.Subscribers, r.Subscribers) || a.Message == "" || a.Coalition != "paris-2015" {
			tb.Errorf("alert %+v does not match rule %+v", a, r)
		}
		if !a.RaisedAt.Equal(now) {
			tb.Errorf("alert %s raised at %v, want %v", a.ID, a.RaisedAt, now)
		}
	}
	return got
}

// TestEngineParis runs the scenario through the engine with one rule of
// every kind, then redelivers everything, restarts the engine twice (once
// having lost its progress and its durable consumer) and checks that no
// alert is ever raised twice.
func TestEngineParis(t *testing.T) {
	t.Parallel()
	nc, js := MustNATS(t)
	newsroom := newReceiver(t, "newsroom-secret", 0, always(200, "ok"))
	analysts := newReceiver(t, "analysts-secret", 0, always(200, "ok"))
	lookup := env(map[string]string{
		"NEWSROOM_SECRET": "newsroom-secret", "ANALYSTS_SECRET": "analysts-secret",
		"NEWSROOM_URL": newsroom.URL, "ANALYSTS_URL": analysts.URL,
	})
	rules := copyRules(t, "../testdata/alerts/paris.yaml")
	evs := append(parisEvents(t), event(t, italyCools))
	// Published before the engine starts: the undelivered rule judges the
	// commitments once the engine has caught up with the stream.
	publish(t, nc, evs...)

	svc := MustStart(t, nc, rules, alerts.Config{Lookup: lookup, Clock: newClock(parisNow).Func()})
	waitEvaluated(t, js)
	got := checkAlerts(t, js, svc.Rules(), parisNow, wantParis)
	byRule := map[string]schema.Alert{}
	for _, a := range got {
		byRule[a.Rule] = a
	}
	for rule, want := range map[string]string{
		"pledge-withdrawn": "FRA (France) withdrew commitment fra-single-coalition-2015 in paris-2015: Superseded by France-Russia strike coordination (fra-rus-strike-coordination-2015)",
		"stance-drop":      "ITA (Italy)'s stance toward paris-2015 fell 2 steps, from +1 supportive to -1 skeptical",
		"support-low":      "5 countries support paris-2015 (stance +1 or more), below 6; it was 6 before ITA's statement (-1 skeptical)",
		"undelivered-1d":   "RUS (Russia)'s commitment rus-fra-intel-sharing-2015 (intelligence, intelligence_exchange) is still announced more than 1 day after it was pledged on 2015-11-26",
	} {
		if got := byRule[rule].Message; got != want {
			t.Errorf("%s message:\ngot  %q\nwant %q", rule, got, want)
		}
	}
	if got, want := byRule["undelivered-1d"].OccurredAt, mustTime("2015-11-27T18:30:00Z"); !got.Equal(want) {
		t.Errorf("undelivered occurred_at = %v, want %v (pledged + 1 day)", got, want)
	}
	if got, want := svc.Stats().Raised, uint64(len(wantParis)); got != want {
		t.Errorf("raised %d, want %d", got, want)
	}
	// Each subscriber gets the alerts of the rules that name it.
	delivered := func(rc *receiver) map[string]int {
		n := map[string]int{}
		for _, c := range rc.Calls() {
			if c.sigErr == nil {
				n[c.alert.Rule]++
			}
		}
		return n
	}
	eventually(t, "the deliveries", func() bool {
		ds := svc.Deliveries()
		return len(ds) == 2 && ds[0].Delivered == 12 && ds[1].Delivered == 6
	})
	if got, want := delivered(newsroom), map[string]int{"pledge-withdrawn": 1, "stance-drop": 1, "member-conflict": 3, "support-low": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("newsroom got %v, want %v", got, want)
	}
	if got, want := delivered(analysts), map[string]int{"pledge-withdrawn": 1, "undelivered-1d": 6, "first-pledge": 4, "support-low": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("analysts got %v, want %v", got, want)
	}

	t.Run("Redeliveries", func(t *testing.T) {
		// Every event again, as new messages (no Nats-Msg-Id, so the stream
		// keeps them), and a correction of the withdrawal.
		publishBare(t, js, evs...)
		fix := *evs[32]
		fix.Revision, fix.Summary = 1, "France withdraws its single-coalition plan (corrected summary)"
		publish(t, nc, &fix)
		waitEvaluated(t, js)
		checkAlerts(t, js, svc.Rules(), parisNow, wantParis)
		if got := svc.Stats().Raised; got != uint64(len(wantParis)) {
			t.Errorf("raised %d after redeliveries, want %d", got, len(wantParis))
		}
	})

	t.Run("Restart", func(t *testing.T) {
		_ = svc.Close()
		svc := MustStart(t, nc, rules, alerts.Config{Lookup: lookup, Clock: newClock(parisNow).Func()})
		eventually(t, "the engine to replay", svc.Ready)
		publishBare(t, js, evs...)
		waitEvaluated(t, js)
		checkAlerts(t, js, svc.Rules(), parisNow, wantParis)
		if st := svc.Stats(); st.Raised != 0 || st.Replayed != uint64(2*len(evs)+1) {
			t.Errorf("after restart: %+v, want nothing raised and %d events replayed", st, 2*len(evs)+1)
		}
		_ = svc.Close()
	})

	t.Run("RestartWithoutProgress", func(t *testing.T) {
		// The bucket and the durable consumer are gone: everything is
		// evaluated again, and the alert stream stops every repeat.
		ctx := context.Background()
		if err := js.DeleteKeyValue(ctx, alerts.DefaultBucket); err != nil {
			t.Fatal(err)
		}
		if err := js.DeleteConsumer(ctx, "COALITION_EVENTS", alerts.DefaultEvaluator); err != nil {
			t.Fatal(err)
		}
		svc := MustStart(t, nc, rules, alerts.Config{Lookup: lookup, Clock: newClock(parisNow).Func()})
		waitEvaluated(t, js)
		checkAlerts(t, js, svc.Rules(), parisNow, wantParis)
		if st := svc.Stats(); st.Raised != 0 || st.Replayed != 0 {
			t.Errorf("after losing progress: %+v, want nothing raised or replayed", st)
		}

		// A new event is still evaluated: Britain withdraws its air strikes.
		publish(t, nc, event(t, `{"id":"0190f5e8-4c00-7a00-8000-000000260101","kind":"withdrawal","coalition":"paris-2015","actor":"GBR",
			"occurred_at":"2015-11-27T12:00:00Z","reported_at":"2015-11-27T13:00:00Z","source":"https://example.org/gbr",
			"withdrawal":{"commitment_id":"gbr-syria-airstrikes-2015","reason":"no vote in the Commons"}}`))
		waitEvaluated(t, js)
		checkAlerts(t, js, svc.Rules(), parisNow, append(append([]string(nil), wantParis...),
			"pledge-withdrawn GBR - gbr-syria-airstrikes-2015 260101"))
	})
}

// TestEngineCooldown checks that a cooldown drops a second alert of the
// same rule about the same country within it, lets one through after it,
// and survives a restart.
func TestEngineCooldown(t *testing.T) {
	t.Parallel()
	nc, js := MustNATS(t)
	rules := copyRules(t, "../testdata/alerts/paris.yaml")
	data := strings.Replace(readFile(t, rules), "    kind: member_conflict\n", "    kind: member_conflict\n    cooldown: 1h\n", 1)
	writeFile(t, rules, data)
	hook := newReceiver(t, "s", 0, always(200, "ok"))
	lookup := env(map[string]string{"NEWSROOM_SECRET": "s", "ANALYSTS_SECRET": "s", "NEWSROOM_URL": hook.URL, "ANALYSTS_URL": hook.URL})
	clk := newClock(parisNow)
	publish(t, nc, parisEvents(t)...)
	svc := MustStart(t, nc, rules, alerts.Config{Lookup: lookup, Clock: clk.Func()})
	waitEvaluated(t, js)

	conflicts := func() []string {
		var out []string
		for _, s := range summarize(streamAlerts(t, js)) {
			if strings.HasPrefix(s, "member-conflict") {
				out = append(out, s)
			}
		}
		return out
	}
	// Russia's second sanction (26001a) comes within the hour of its first.
	want := []string{"member-conflict TUR RUS - 26000c", "member-conflict RUS TUR - 26000f"}
	if got := conflicts(); !reflect.DeepEqual(got, want) {
		t.Fatalf("conflicts %q, want %q", got, want)
	}
	if got := svc.Stats().Suppressed; got != 1 {
		t.Errorf("suppressed %d, want 1", got)
	}

	sanction := func(n int) *schema.Event {
		return event(t, fmt.Sprintf(`{"id":"0190f5e8-4c00-7a00-8000-0000002602%02d","kind":"sanction","coalition":"paris-2015","actor":"RUS","counterpart":"TUR",
			"occurred_at":"2015-11-28T0%d:00:00Z","reported_at":"2015-11-28T0%d:00:00Z","source":"https://example.org/rus",
			"sanction":{"measure":"measure %d"}}`, n, n, n, n))
	}
	clk.add(2 * time.Hour) // the cooldown is over
	publish(t, nc, sanction(1))
	waitEvaluated(t, js)
	want = append(want, "member-conflict RUS TUR - 260201")
	clk.add(30 * time.Minute) // within the cooldown of 260201
	publish(t, nc, sanction(2))
	waitEvaluated(t, js)
	if got := conflicts(); !reflect.DeepEqual(got, want) {
		t.Fatalf("conflicts %q, want %q", got, want)
	}

	// The cooldown is rebuilt from the alert stream after a restart.
	_ = svc.Close()
	svc = MustStart(t, nc, rules, alerts.Config{Lookup: lookup, Clock: clk.Func()})
	eventually(t, "the engine to replay", svc.Ready)
	publish(t, nc, sanction(3))
	waitEvaluated(t, js)
	if got := conflicts(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after restart: conflicts %q, want %q", got, want)
	}
	if got := svc.Stats().Suppressed; got != 1 {
		t.Errorf("after restart: suppressed %d, want 1", got)
	}
	clk.add(time.Hour)
	publish(t, nc, sanction(4))
	waitEvaluated(t, js)
	if got, want := conflicts(), append(want, "member-conflict RUS TUR - 260204"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the cooldown: conflicts %q, want %q", got, want)
	}
}

// TestEngineRetraction checks that retracted events count nowhere: a
// retracted statement no longer holds the stance, and retracting the
// latest statement can reveal a drop.
func TestEngineRetraction(t *testing.T) {
	t.Parallel()
	nc, js := MustNATS(t)
	rules := copyRules(t, "../testdata/alerts/paris.yaml")
	hook := newReceiver(t, "s", 0, always(200, "ok"))
	lookup := env(map[string]string{"NEWSROOM_SECRET": "s", "ANALYSTS_SECRET": "s", "NEWSROOM_URL": hook.URL, "ANALYSTS_URL": hook.URL})
	svc := MustStart(t, nc, rules, alerts.Config{Lookup: lookup, Clock: newClock(parisNow).Func()})
	stmt := func(id string, rev int, stance int, day int, retracted bool) *schema.Event {
		return event(t, fmt.Sprintf(`{"id":"0190f5e8-4c00-7a00-8000-0000002603%s","revision":%d,"retracted":%t,"kind":"statement","coalition":"c1","actor":"BEL",
			"occurred_at":"2015-11-%02dT10:00:00Z","reported_at":"2015-11-%02dT10:00:00Z","source":"https://example.org/bel","statement":{"stance":%d}}`,
			id, rev, retracted, day, day, stance))
	}
	// +2, then +1 (a drop of one step: below the rule's two), then the +1
	// is retracted (back to +2), then a -1 (three steps down from +2).
	publish(t, nc, stmt("01", 0, 2, 10, false), stmt("02", 0, 1, 11, false))
	publish(t, nc, stmt("02", 1, 1, 11, true))
	publish(t, nc, stmt("03", 0, -1, 12, false))
	waitEvaluated(t, js)
	var drops []string
	for _, a := range streamAlerts(t, js) {
		if a.Rule == "stance-drop" {
			drops = append(drops, a.Message)
		}
	}
	want := []string{"BEL (Belgium)'s stance toward c1 fell 3 steps, from +2 strongly_supportive to -1 skeptical"}
	if !reflect.DeepEqual(drops, want) {
		t.Errorf("stance drops %q, want %q", drops, want)
	}
	_ = svc
}

// TestEngineAcksAfterPublish checks that events are acked only once the
// alerts they raise are stored: with the alert stream gone, the batch
// stays unacknowledged, and its alert is published when the stream is
// back.
func TestEngineAcksAfterPublish(t *testing.T) {
	t.Parallel()
	nc, js := MustNATS(t)
	rules := rulesFile(t, "rules:\n  - {name: withdrawn, kind: withdrawal}\n")
	svc := MustStart(t, nc, rules, alerts.Config{})
	eventually(t, "the engine", svc.Ready)
	ctx := context.Background()
	if err := js.DeleteStream(ctx, "COALITION_ALERTS"); err != nil {
		t.Fatal(err)
	}
	publish(t, nc, pledgeAndWithdrawal(t, "acks", "PRT")...)
	eventually(t, "the batch to be fetched", func() bool { return svc.Stats().Events == 2 })
	time.Sleep(300 * time.Millisecond) // publish attempts fail meanwhile
	cons, err := js.Consumer(ctx, "COALITION_EVENTS", alerts.DefaultEvaluator)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.AckFloor.Stream != 0 || info.NumAckPending != 2 {
		t.Fatalf("ack floor %d, %d pending: the events were acked before their alert was stored", info.AckFloor.Stream, info.NumAckPending)
	}
	if err := alerts.EnsureAlertStreams(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	waitEvaluated(t, js)
	if got := summarize(streamAlerts(t, js)); len(got) != 1 || !strings.HasPrefix(got[0], "withdrawn PRT - prt-troops ") {
		t.Errorf("alerts %q, want Portugal's withdrawal", got)
	}
}

// TestEngineStandby runs two services on one NATS, as two serve processes
// with the same rules would: one engine evaluates, the other stands by and
// takes over when the first stops, and no alert is raised twice. An engine
// that died holding the lease is replaced once the lease expires.
func TestEngineStandby(t *testing.T) {
	t.Parallel()
	nc, js := MustNATS(t)
	rules := rulesFile(t, "rules:\n  - {name: withdrawn, kind: withdrawal}\n")
	cfg := alerts.Config{Engine: alerts.EngineConfig{LeaseTTL: time.Second}}
	a := MustStart(t, nc, rules, cfg)
	eventually(t, "the first engine to evaluate", a.Ready)
	b := MustStart(t, nc, rules, cfg)
	eventually(t, "the second engine to stand by", b.Standby)

	publish(t, nc, pledgeAndWithdrawal(t, "pair", "BEL")...)
	waitEvaluated(t, js)
	if got := len(streamAlerts(t, js)); got != 1 || a.Stats().Raised != 1 || b.Stats().Raised != 0 {
		t.Fatalf("%d alerts, raised by a %d, by b %d; want 1 by a", got, a.Stats().Raised, b.Stats().Raised)
	}

	_ = a.Close() // releases the lease
	eventually(t, "the second engine to take over", b.Ready)
	publish(t, nc, pledgeAndWithdrawal(t, "pair", "NLD")...)
	waitEvaluated(t, js)
	if got := summarize(streamAlerts(t, js)); len(got) != 2 || !strings.HasPrefix(got[1], "withdrawn NLD") || b.Stats().Raised != 1 {
		t.Fatalf("alerts %q, raised by b %d; want Belgium's then the Netherlands' (by b)", got, b.Stats().Raised)
	}
	_ = b.Close()

	// A holder that died without releasing: its lease expires after the TTL.
	kv, err := js.KeyValue(context.Background(), alerts.DefaultBucket+"_lease")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(context.Background(), alerts.DefaultEvaluator, []byte("a crashed engine")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c := MustStart(t, nc, rules, cfg)
	eventually(t, "the third engine to stand by", func() bool { return c.Standby() || c.Ready() })
	if c.Ready() {
		t.Fatal("took over a lease held by another engine")
	}
	eventually(t, "the lease to expire", c.Ready)
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Errorf("took over after %v, before the lease could expire", took)
	}
	publish(t, nc, pledgeAndWithdrawal(t, "pair", "LUX")...)
	waitEvaluated(t, js)
	if got := summarize(streamAlerts(t, js)); len(got) != 3 || c.Stats().Raised != 1 {
		t.Fatalf("alerts %q, raised by c %d", got, c.Stats().Raised)
	}
}

// TestEngineLeaseLostWhilePublishing loses the lease while the alert
// stream is down, so the batch in hand cannot be published and is given
// back. When the engine takes the lease back, in the same process, it
// evaluates the batch again and raises its alert: nothing it failed to
// publish counts as raised.
func TestEngineLeaseLostWhilePublishing(t *testing.T) {
	t.Parallel()
	nc, js := MustNATS(t)
	rules := rulesFile(t, "rules:\n  - {name: withdrawn, kind: withdrawal}\n")
	svc := MustStart(t, nc, rules, alerts.Config{Engine: alerts.EngineConfig{LeaseTTL: time.Second, StopGrace: 200 * time.Millisecond}})
	eventually(t, "the engine", svc.Ready)
	ctx := context.Background()
	if err := js.DeleteStream(ctx, "COALITION_ALERTS"); err != nil {
		t.Fatal(err)
	}
	publish(t, nc, pledgeAndWithdrawal(t, "lease", "AUT")...)
	eventually(t, "the batch to be fetched", func() bool { return svc.Stats().Events == 2 })
	kv, err := js.KeyValue(ctx, alerts.DefaultBucket+"_lease")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, alerts.DefaultEvaluator, []byte("another engine")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the engine to step down", func() bool { return !svc.Ready() })
	if got := svc.Stats().Raised; got != 0 {
		t.Fatalf("raised %d with the alert stream gone", got)
	}
	if err := alerts.EnsureAlertStreams(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the engine to take the lease back", svc.Ready)
	waitEvaluated(t, js)
	if got := summarize(streamAlerts(t, js)); len(got) != 1 || !strings.HasPrefix(got[0], "withdrawn AUT - aut-troops ") {
		t.Errorf("alerts %q, want Austria's withdrawal", got)
	}
}
