package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// TestScheduledAhead checks the rule on occurred_at that needs no clock: an
// event may be reported before it happens, up to MaxScheduleYears before.
func TestScheduledAhead(t *testing.T) {
	reported := time.Date(2015, 11, 25, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		occurred string
		want     string // ParseEvent's problems, "" for none
	}{
		{"Before", "2015-11-25T11:00:00Z", ""},
		{"NextMonth", "2015-12-25T11:00:00Z", ""},
		{"AtLimit", "2025-11-25T17:00:00Z", ""},
		{"AtLimitWithOffset", "2025-11-25T18:00:00+01:00", ""},
		{"OverLimit", "2025-11-25T17:00:01Z",
			"occurred_at: 2025-11-25T17:00:01Z is more than 10 years after reported_at (2015-11-25T17:00:00Z): an event may be reported before it happens, not that long before"},
		{"OverLimitWithOffset", "2025-11-25T17:30:00-01:00",
			"occurred_at: 2025-11-25T18:30:00Z is more than 10 years after reported_at (2015-11-25T17:00:00Z): an event may be reported before it happens, not that long before"},
		{"Year2105", "2105-01-01T00:00:00Z",
			"occurred_at: 2105-01-01T00:00:00Z is more than 10 years after reported_at (2015-11-25T17:00:00Z): an event may be reported before it happens, not that long before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := jsonObject(t, validEventsOf(t, schema.KindPledge)[0].Raw)
			obj["occurred_at"] = tt.occurred
			obj["reported_at"] = reported.Format(time.RFC3339)
			data := marshal(t, obj)
			ev, err := schema.ParseEvent(data)
			if got := strings.Join(problemStrings(err), "; "); got != tt.want {
				t.Fatalf("ParseEvent: problems %q, want %q", got, tt.want)
			}
			if err != nil {
				return
			}
			if err := ev.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}

	t.Run("ReportedAtFilledByNormalize", func(t *testing.T) {
		// Without reported_at, ParseEvent cannot apply the rule; Validate
		// does once Normalize has set reported_at to now.
		obj := jsonObject(t, validEventsOf(t, schema.KindPledge)[0].Raw)
		delete(obj, "reported_at")
		obj["occurred_at"] = "2040-01-01T00:00:00Z"
		ev := mustParse(t, marshal(t, obj))
		if err := ev.Normalize(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		want := "occurred_at: 2040-01-01T00:00:00Z is more than 10 years after reported_at (2026-01-01T00:00:00Z): an event may be reported before it happens, not that long before"
		if got := strings.Join(problemStrings(ev.Validate()), "; "); got != want {
			t.Errorf("Validate: problems %q, want %q", got, want)
		}
		if _, err := schema.Encode(&ev, "/producers/test"); schema.ErrorCode(err) != schema.EINVALID {
			t.Errorf("Encode: err = %v, want code %q", err, schema.EINVALID)
		}
	})
}

// FuzzParseEvent checks ParseEvent on any input: it never panics, rejects
// only with code EINVALID and at least one problem, never accepts a
// document past a limit, and what it accepts (completed by Normalize, as a
// producer does) Encode puts on the wire and ParseEvent reads back equal.
func FuzzParseEvent(f *testing.F) {
	for _, g := range validEvents(f) {
		f.Add(g.Raw)
	}
	invalid, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range invalid {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// A source the Go rules once accepted and the schema did not (an IPv6
	// zone id), in canonical form so that it takes the fast path.
	if ev, err := schema.ParseEvent(validEventsOf(f, schema.KindMeeting)[0].Raw); err == nil {
		ev.Source = "http://[fe80::1%25en0]/report"
		if b, err := json.Marshal(&ev); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The fast path for canonical documents may accept only what the
		// schema path accepts, and must read it the same.
		if fast, ok := schema.ParseCanonical(data); ok {
			slow, err := schema.ParseEventSlow(data)
			if err != nil {
				t.Fatalf("the canonical fast path accepts %q, the schema path refuses it: %v", abbrev(data), err)
			}
			if !sameEvent(fast, slow) {
				t.Fatalf("the fast and schema paths read %q differently:\n fast %+v\n slow %+v", abbrev(data), fast, slow)
			}
		}
		ev, err := schema.ParseEvent(data)
		if err != nil {
			if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
				t.Fatalf("ParseEvent(%q) error code = %q, want %q (err: %v)", abbrev(data), got, want, err)
			}
			ps := schema.ErrorProblems(err)
			if len(ps) == 0 {
				t.Fatalf("ParseEvent(%q) rejects without a problem: %v", abbrev(data), err)
			}
			for _, p := range ps {
				if p.Message == "" || p.Line != 0 {
					t.Errorf("ParseEvent(%q): problem %+v, want a message and no line", abbrev(data), p)
				}
			}
			return
		}
		if err := schema.CheckLimits(data); err != nil {
			t.Fatalf("ParseEvent accepts %q, past a limit: %v", abbrev(data), err)
		}
		// A missing reported_at becomes occurred_at, which every rule
		// allows, so that the property does not depend on the clock.
		if err := ev.Normalize(ev.OccurredAt); err != nil {
			t.Fatal(err)
		}
		msg, err := schema.Encode(&ev, "/producers/fuzz")
		if err != nil {
			t.Fatalf("ParseEvent accepts %q but Encode fails: %v", abbrev(data), err)
		}
		got, err := schema.ParseEvent(msg.Data)
		if err != nil {
			t.Fatalf("ParseEvent(Encode(ParseEvent(%q))): %v", abbrev(data), err)
		}
		if !sameEvent(got, ev) {
			t.Errorf("round trip changed the event:\n got %+v\nwant %+v", got, ev)
		}
	})
}

// TestParseCanonical checks that what Encode writes takes the fast path
// and reads back the same as through the schema, for every golden event and
// for generated events of every kind; and that documents which are valid but
// not canonical (spacing, key order) go the schema path.
func TestParseCanonical(t *testing.T) {
	t.Parallel()
	var evs []schema.Event
	for _, k := range schema.Kinds {
		for _, g := range validEventsOf(t, k) {
			ev, err := schema.ParseEvent(g.Raw)
			if err != nil {
				t.Fatalf("%s: %v", g.Name, err)
			}
			if err := ev.Normalize(ev.OccurredAt); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, ev)
		}
	}
	for _, ev := range evs {
		msg, err := schema.Encode(&ev, "/producers/test")
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := schema.ParseCanonical(msg.Data)
		if !ok {
			t.Errorf("Encode's output does not take the fast path: %s", msg.Data)
			continue
		}
		slow, err := schema.ParseEventSlow(msg.Data)
		if err != nil {
			t.Fatalf("schema path refuses %s: %v", msg.Data, err)
		}
		if !sameEvent(fast, slow) {
			t.Errorf("fast %+v\nslow %+v", fast, slow)
		}
		spaced := bytes.Replace(msg.Data, []byte(`","`), []byte(`", "`), 1)
		if _, ok := schema.ParseCanonical(spaced); ok {
			t.Errorf("a document with extra spacing takes the fast path: %s", spaced)
		}
		if _, err := schema.ParseEvent(spaced); err != nil {
			t.Errorf("ParseEvent refuses the spaced document %s: %v", spaced, err)
		}
	}
}

// BenchmarkParseEvent measures ParseEvent on a golden event, to set
// CheckLimits' cost beside it.
func BenchmarkParseEvent(b *testing.B) {
	data := validEventsOf(b, schema.KindMeeting)[0].Raw
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := schema.ParseEvent(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEventCanonical measures ParseEvent on what Encode writes
// (the fast path), next to BenchmarkParseEvent (the schema path).
func BenchmarkParseEventCanonical(b *testing.B) {
	ev, err := schema.ParseEvent(validEventsOf(b, schema.KindMeeting)[0].Raw)
	if err != nil {
		b.Fatal(err)
	}
	msg, err := schema.Encode(&ev, "/producers/bench")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg.Data)))
	for b.Loop() {
		if _, err := schema.ParseEvent(msg.Data); err != nil {
			b.Fatal(err)
		}
	}
}
