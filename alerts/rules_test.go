package alerts_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/alerts"
	"github.com/coalitiondev/coalition/schema"
)

// env returns a LookupEnv over a map, so tests never touch the process
// environment (and can run in parallel).
func env(vars map[string]string) alerts.LookupEnv {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

var parisEnv = env(map[string]string{"NEWSROOM_SECRET": "newsroom-secret", "ANALYSTS_SECRET": "analysts-secret"})

func TestRulesParisFile(t *testing.T) {
	t.Parallel()
	rs, err := alerts.LoadRulesEnv("../testdata/alerts/paris.yaml", parisEnv)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]alerts.Rule{}
	for _, r := range rs.Rules {
		got[r.Name] = r
	}
	want := map[string]alerts.Rule{
		"pledge-withdrawn": {Name: "pledge-withdrawn", Kind: schema.AlertWithdrawal, Coalition: "paris-2015", Subscribers: []string{"newsroom", "analysts"}},
		"stance-drop":      {Name: "stance-drop", Kind: schema.AlertStanceDrop, Steps: 2, Subscribers: []string{"newsroom"}},
		"undelivered-1d":   {Name: "undelivered-1d", Kind: schema.AlertUndelivered, Days: 1, Coalition: "paris-2015", Subscribers: []string{"analysts"}},
		"member-conflict":  {Name: "member-conflict", Kind: schema.AlertMemberConflict, Subscribers: []string{"newsroom"}},
		"first-pledge":     {Name: "first-pledge", Kind: schema.AlertFirstPledge, Subscribers: []string{"analysts"}},
		"support-low":      {Name: "support-low", Kind: schema.AlertSupportBelow, Threshold: 6, Subscribers: []string{"newsroom", "analysts"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rules:\ngot  %+v\nwant %+v", got, want)
	}
	wantSubs := []alerts.Subscriber{
		{Name: "newsroom", URL: "http://127.0.0.1:9000/hooks/coalition", Secret: "newsroom-secret"},
		{Name: "analysts", URL: "http://127.0.0.1:9001/hooks/coalition", Secret: "analysts-secret"},
	}
	if !reflect.DeepEqual(rs.Subscribers, wantSubs) {
		t.Errorf("subscribers:\ngot  %+v\nwant %+v", rs.Subscribers, wantSubs)
	}
	if got, want := rs.RulesFor("analysts"), []string{"pledge-withdrawn", "undelivered-1d", "first-pledge", "support-low"}; !reflect.DeepEqual(got, want) {
		t.Errorf("RulesFor(analysts) = %v, want %v", got, want)
	}
	if rs.Path != "../testdata/alerts/paris.yaml" || len(rs.Hash) != 64 {
		t.Errorf("path %q, hash %q", rs.Path, rs.Hash)
	}
}

func TestRulesEnvExpansion(t *testing.T) {
	t.Parallel()
	doc := `
subscribers:
  - name: hook
    url: ${HOOK_URL:-http://127.0.0.1:1/default}/path?x=${HOOK_X}
    secret: ${HOOK_SECRET}-${HOOK_EMPTY:-fallback}
rules:
  - {name: r, kind: withdrawal, subscribers: [hook], cooldown: 90m}
`
	rs, err := alerts.ParseRules([]byte(doc), env(map[string]string{"HOOK_X": "1", "HOOK_SECRET": "s3cret", "HOOK_EMPTY": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rs.Subscribers[0].URL, "http://127.0.0.1:1/default/path?x=1"; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}
	if got, want := rs.Subscribers[0].Secret, "s3cret-fallback"; got != want {
		t.Errorf("secret = %q, want %q", got, want)
	}
	if got, want := rs.Rules[0].Cooldown, 90*time.Minute; got != want {
		t.Errorf("cooldown = %v, want %v", got, want)
	}
	rs, err = alerts.ParseRules([]byte(doc), env(map[string]string{"HOOK_X": "1", "HOOK_SECRET": "s3cret", "HOOK_URL": "https://hooks.example.org"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rs.Subscribers[0].URL, "https://hooks.example.org/path?x=1"; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}
}

func TestRulesValidation(t *testing.T) {
	t.Parallel()
	const subs = "subscribers:\n  - {name: hook, url: 'http://127.0.0.1:9/h', secret: s}\n"
	for _, tc := range []struct {
		name string
		doc  string
		want []string // every problem, as Problem.String() renders it
	}{
		{"Empty", ``, []string{"the file is empty: want subscribers and rules"}},
		{"NoRules", subs, []string{"rules: at least one rule is required"}},
		{"UnknownField", subs + "rules:\n  - {name: r, kind: withdrawal, severity: 3}\n", []string{"line 4: field severity not found in type alerts.ruleYAML"}},
		{"NotYAMLList", "rules: 3\n", []string{"line 1: cannot unmarshal !!int `3` into []alerts.ruleYAML"}},
		{"UnknownKind", subs + "rules:\n  - {name: r, kind: pledge_broken}\n",
			[]string{`line 4: rules[0].kind: rule "r": unknown kind "pledge_broken": want one of withdrawal, stance_drop, undelivered, member_conflict, first_pledge, support_below`}},
		{"MissingKind", subs + "rules:\n  - {name: r}\n",
			[]string{`line 4: rules[0].kind: rule "r": kind is required: one of withdrawal, stance_drop, undelivered, member_conflict, first_pledge, support_below`}},
		{"MissingName", subs + "rules:\n  - {kind: withdrawal}\n", []string{"line 4: rules[0].name: rules[0]: name is required"}},
		{"BadName", subs + "rules:\n  - {name: Pledge.Withdrawn, kind: withdrawal}\n",
			[]string{`line 4: rules[0].name: rule "Pledge.Withdrawn": name must be lower-case letters, digits and hyphens, at most 64 characters`}},
		{"DuplicateRule", subs + "rules:\n  - {name: r, kind: withdrawal}\n  - {name: r, kind: first_pledge}\n",
			[]string{`line 5: rules[1].name: rule "r": duplicate rule name`}},
		{"MissingSteps", subs + "rules:\n  - name: drop\n    kind: stance_drop\n",
			[]string{`line 4: rules[0].steps: rule "drop": required for kind stance_drop: the drop on the stance scale, 1 to 4 steps`}},
		{"StepsOutOfRange", subs + "rules:\n  - {name: drop, kind: stance_drop, steps: 5}\n",
			[]string{`line 4: rules[0].steps: rule "drop": 5 is out of range: the drop on the stance scale, 1 to 4 steps`}},
		{"MissingDays", subs + "rules:\n  - {name: late, kind: undelivered}\n",
			[]string{`line 4: rules[0].days: rule "late": required for kind undelivered: days a commitment may stay undelivered, at least 1`}},
		{"ZeroDays", subs + "rules:\n  - {name: late, kind: undelivered, days: 0}\n",
			[]string{`line 4: rules[0].days: rule "late": 0 is out of range: days a commitment may stay undelivered, at least 1`}},
		{"MissingThreshold", subs + "rules:\n  - {name: low, kind: support_below}\n",
			[]string{`line 4: rules[0].threshold: rule "low": required for kind support_below: the count of supporting countries, at least 1`}},
		{"ParameterOfOtherKind", subs + "rules:\n  - {name: w, kind: withdrawal, days: 3}\n",
			[]string{`line 4: rules[0].days: rule "w": days applies only to kind undelivered, not withdrawal`}},
		{"StepsNotNumber", subs + "rules:\n  - {name: drop, kind: stance_drop, steps: two}\n",
			[]string{"line 4: cannot unmarshal !!str `two` into int"}},
		{"UnknownSubscriber", subs + "rules:\n  - name: w\n    kind: withdrawal\n    subscribers: [hook, pager]\n",
			[]string{`line 6: rules[0].subscribers[1]: rule "w": unknown subscriber "pager" (defined: hook)`}},
		{"SubscriberTwice", subs + "rules:\n  - {name: w, kind: withdrawal, subscribers: [hook, hook]}\n",
			[]string{`line 4: rules[0].subscribers[1]: rule "w": subscriber "hook" is listed twice`}},
		{"BadCoalition", subs + "rules:\n  - {name: w, kind: withdrawal, coalition: Paris 2015}\n",
			[]string{`line 4: rules[0].coalition: rule "w": "Paris 2015" is not a coalition slug (lower-case letters, digits, hyphens)`}},
		{"BadCountry", subs + "rules:\n  - name: w\n    kind: withdrawal\n    countries:\n      - FRA\n      - XXX\n",
			[]string{`line 8: rules[0].countries[1]: rule "w": "XXX" is not an ISO 3166-1 alpha-3 country code`}},
		{"BadCooldown", subs + "rules:\n  - {name: w, kind: withdrawal, cooldown: 1 hour}\n",
			[]string{`line 4: rules[0].cooldown: rule "w": "1 hour" is not a duration such as 30m, 1h or 24h`}},
		{"NegativeCooldown", subs + "rules:\n  - {name: w, kind: withdrawal, cooldown: -1h}\n",
			[]string{`line 4: rules[0].cooldown: rule "w": must not be negative`}},
		{"MissingSecret", "subscribers:\n  - name: hook\n    url: http://127.0.0.1:9/h\nrules:\n  - {name: w, kind: withdrawal, subscribers: [hook]}\n",
			[]string{`line 2: subscribers[0].secret: subscriber "hook": required: the HMAC key deliveries are signed with, such as ${HOOK_SECRET}`}},
		{"SecretVariableUnset", "subscribers:\n  - name: hook\n    url: http://127.0.0.1:9/h\n    secret: ${HOOK_SECRET}\nrules:\n  - {name: w, kind: withdrawal}\n",
			[]string{`line 4: subscribers[0].secret: subscriber "hook": environment variable HOOK_SECRET is not set`}},
		{"SecretVariableEmpty", "subscribers:\n  - name: hook\n    url: http://127.0.0.1:9/h\n    secret: ${EMPTY}\nrules:\n  - {name: w, kind: withdrawal}\n",
			[]string{`line 4: subscribers[0].secret: subscriber "hook": required: the HMAC key deliveries are signed with, such as ${HOOK_SECRET}`}},
		{"BadURL", "subscribers:\n  - {name: hook, url: 'ftp://user:pw@example.org/x', secret: s}\nrules:\n  - {name: w, kind: withdrawal}\n",
			[]string{`line 2: subscribers[0].url: subscriber "hook": "ftp://user:xxxxx@example.org/x" is not an http(s) URL with a host`}},
		{"URLWithoutHost", "subscribers:\n  - {name: hook, url: 'http:///x', secret: s}\nrules:\n  - {name: w, kind: withdrawal}\n",
			[]string{`line 2: subscribers[0].url: subscriber "hook": "http:///x" is not an http(s) URL with a host`}},
		{"MissingURL", "subscribers:\n  - {name: hook, secret: s}\nrules:\n  - {name: w, kind: withdrawal}\n",
			[]string{`line 2: subscribers[0].url: subscriber "hook": required: the webhook's http(s) URL`}},
		{"DuplicateSubscriber", subs + "  - {name: hook, url: 'http://127.0.0.1:9/g', secret: t}\nrules:\n  - {name: w, kind: withdrawal}\n",
			[]string{`line 3: subscribers[1].name: subscriber "hook": duplicate subscriber name`}},
		{"EveryProblemReported", subs + "rules:\n  - {name: a, kind: stance_drop}\n  - {name: a, kind: nope, subscribers: [ghost]}\n", []string{
			`line 4: rules[0].steps: rule "a": required for kind stance_drop: the drop on the stance scale, 1 to 4 steps`,
			`line 5: rules[1].name: rule "a": duplicate rule name`,
			`line 5: rules[1].kind: rule "a": unknown kind "nope": want one of withdrawal, stance_drop, undelivered, member_conflict, first_pledge, support_below`,
			`line 5: rules[1].subscribers[0]: rule "a": unknown subscriber "ghost" (defined: hook)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := alerts.ParseRules([]byte(tc.doc), env(map[string]string{"EMPTY": ""}))
			if err == nil {
				t.Fatal("no error")
			}
			if got := schema.ErrorCode(err); got != schema.EINVALID {
				t.Errorf("code = %q, want %q", got, schema.EINVALID)
			}
			var got []string
			for _, p := range schema.ErrorProblems(err) {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\ngot  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestRulesSecretNeverEncoded(t *testing.T) {
	t.Parallel()
	rs, err := alerts.LoadRulesEnv("../testdata/alerts/paris.yaml", parisEnv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "newsroom-secret") {
		t.Errorf("secret in JSON: %s", b)
	}
}

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	// Write and rename, as editors and config management do, so the
	// watcher never reads half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
}

func TestRulesWatcherReload(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	const v1 = "rules:\n  - {name: withdrawn, kind: withdrawal}\n"
	const v2 = "rules:\n  - {name: withdrawn, kind: withdrawal}\n  - {name: first, kind: first_pledge}\n"
	writeFile(t, path, v1)
	changes := make(chan *alerts.RuleSet, 10)
	w, err := alerts.NewWatcher(path, alerts.WatcherConfig{Interval: 10 * time.Millisecond, OnChange: func(rs *alerts.RuleSet) { changes <- rs }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	if got := ruleNames(w.Rules()); !reflect.DeepEqual(got, []string{"withdrawn"}) {
		t.Fatalf("initial rules %v", got)
	}

	writeFile(t, path, v2)
	select {
	case rs := <-changes:
		if got := ruleNames(rs); !reflect.DeepEqual(got, []string{"withdrawn", "first"}) {
			t.Errorf("reloaded rules %v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reload within 5s")
	}
	if got := ruleNames(w.Rules()); !reflect.DeepEqual(got, []string{"withdrawn", "first"}) {
		t.Errorf("Rules() after reload = %v", got)
	}

	// A broken file keeps the rules in use and reports why.
	writeFile(t, path, "rules:\n  - {name: withdrawn, kind: withdrawl}\n")
	deadline := time.Now().Add(5 * time.Second)
	for w.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := w.Err(); err == nil || !strings.Contains(err.Error(), `unknown kind "withdrawl"`) {
		t.Errorf("Err() = %v, want the unknown kind", err)
	}
	if got := ruleNames(w.Rules()); !reflect.DeepEqual(got, []string{"withdrawn", "first"}) {
		t.Errorf("rules after a broken file = %v, want the previous ones", got)
	}
	select {
	case rs := <-changes:
		t.Errorf("OnChange called for a broken file: %v", ruleNames(rs))
	default:
	}

	// Fixing the file clears the error and applies it.
	writeFile(t, path, v1)
	select {
	case rs := <-changes:
		if got := ruleNames(rs); !reflect.DeepEqual(got, []string{"withdrawn"}) {
			t.Errorf("rules after the fix = %v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reload of the fixed file within 5s")
	}
	if err := w.Err(); err != nil {
		t.Errorf("Err() after the fix = %v", err)
	}
}

func TestRulesWatcherRejectsInvalidStart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, path, "rules: []\n")
	if _, err := alerts.NewWatcher(path, alerts.WatcherConfig{}); err == nil || !strings.Contains(err.Error(), "at least one rule") {
		t.Errorf("NewWatcher on an empty rule list: %v", err)
	}
	if _, err := alerts.NewWatcher(filepath.Join(t.TempDir(), "missing.yaml"), alerts.WatcherConfig{}); err == nil {
		t.Error("NewWatcher on a missing file: no error")
	}
}

func ruleNames(rs *alerts.RuleSet) []string {
	var out []string
	for _, r := range rs.Rules {
		out = append(out, r.Name)
	}
	return out
}
