package schema_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// TestParseEventValid checks every golden event in testdata/valid: it parses,
// validates, and survives the wire (Encode, then Decode) unchanged.
func TestParseEventValid(t *testing.T) {
	for _, g := range validEvents(t) {
		t.Run(g.Name, func(t *testing.T) {
			ev, err := schema.ParseEvent(g.Raw)
			if err != nil {
				t.Fatalf("ParseEvent: %v", err)
			}
			if got, want := ev.Kind, g.Kind; got != want {
				t.Errorf("Kind = %q, want %q (the file's kind)", got, want)
			}
			if err := ev.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}

			msg, err := schema.Encode(&ev, "/producers/test")
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got, err := schema.Decode(msg.Subject, headerOf(msg.Header), msg.Data)
			if err != nil {
				t.Fatalf("Decode(Encode(ev)): %v", err)
			}
			if !reflect.DeepEqual(got, ev) {
				t.Errorf("Decode(Encode(ev)) = %+v, want %+v", got, ev)
			}

			// The wire data says what the golden file says: no field lost,
			// renamed or added on the way.
			if got, want := jsonObject(t, msg.Data), jsonObject(t, g.Raw); !reflect.DeepEqual(got, want) {
				t.Errorf("Encode data = %s, want the golden document %s", msg.Data, g.Raw)
			}

			// Encoding is stable: the decoded event encodes to the same bytes.
			again := mustEncode(t, &got)
			if !bytes.Equal(again.Data, msg.Data) {
				t.Errorf("second Encode = %s, want %s", again.Data, msg.Data)
			}
		})
	}
}

// TestGoldenCoverage makes sure the golden events exercise every field of
// the contract, so that the round trip in TestParseEventValid covers them
// all and a field lost by Encode or Decode cannot go unnoticed.
func TestGoldenCoverage(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range validEvents(t) {
		for k, v := range jsonObject(t, g.Raw) {
			seen[k] = true
			if obj, ok := v.(map[string]any); ok {
				for pk := range obj {
					seen[k+"."+pk] = true
				}
			}
		}
	}
	for _, path := range contractPaths(t) {
		if !seen[path] {
			t.Errorf("no golden event in testdata/valid sets %s", path)
		}
	}
	for _, k := range schema.Kinds {
		t.Run(string(k), func(t *testing.T) {
			validEventsOf(t, k)
		})
	}
}

// contractPaths returns every field of Event and its payloads by JSON path
// ("coalition", "pledge.quantity"), from the Go types.
func contractPaths(tb testing.TB) []string {
	tb.Helper()
	var out []string
	common, payloads := eventFields(tb)
	out = append(out, common...)
	for name, typ := range objectFields(tb) {
		for _, tag := range jsonTags(typ) {
			out = append(out, name+"."+tag)
		}
	}
	for k, typ := range payloads {
		out = append(out, string(k))
		for _, tag := range jsonTags(typ) {
			out = append(out, string(k)+"."+tag)
		}
	}
	slices.Sort(out)
	return out
}

// invalidCases lists every testdata/invalid/<name>.json with the field paths
// its problems must carry, in the order ParseEvent returns them. The exact
// messages are in <name>.golden.
var invalidCases = []struct {
	name  string
	paths []string
}{
	{"unknown-field-top", []string{"colour"}},
	{"unknown-field-payload", []string{"pledge.colour"}},
	{"unknown-country-actor", []string{"actor"}},
	{"unknown-country-counterpart", []string{"counterpart"}},
	{"unknown-country-destination", []string{"pledge.destination"}},
	{"unknown-country-participant", []string{"meeting.participants[2]"}},
	{"lower-case-country", []string{"actor"}},
	{"lower-case-participant", []string{"meeting.participants[1]"}},
	{"participant-twice", []string{"meeting.participants"}},
	{"coalition-dot", []string{"coalition"}},
	{"coalition-star", []string{"coalition"}},
	{"coalition-gt", []string{"coalition"}},
	{"coalition-space", []string{"coalition"}},
	{"coalition-upper", []string{"coalition"}},
	{"missing-required", []string{"actor", "coalition", "occurred_at", "pledge.asset", "source"}},
	{"missing-kind", []string{"kind"}},
	{"unknown-kind", []string{"kind"}},
	{"kind-payload-mismatch", []string{"pledge", "statement"}},
	{"two-payloads", []string{"statement"}},
	{"payload-null", []string{"pledge"}},
	{"quantity-and-amount", []string{"pledge"}},
	{"unit-without-quantity", []string{"pledge.quantity"}},
	{"quantity-without-unit", []string{"pledge.unit"}},
	{"negative-quantity", []string{"pledge.quantity"}},
	{"quantity-string", []string{"pledge.quantity"}},
	{"currency-lower-case", []string{"pledge.currency"}},
	{"commitment-id-space", []string{"pledge.commitment_id"}},
	{"stance-3", []string{"statement.stance"}},
	{"incident-severity-0", []string{"incident.severity"}},
	{"incident-fatalities-negative", []string{"incident.fatalities"}},
	{"sanction-without-counterpart", []string{"counterpart"}},
	{"counterpart-equals-actor", []string{"counterpart"}},
	{"deployment-neither", []string{"deployment"}},
	{"deployment-complete-false", []string{"deployment"}},
	{"source-ftp", []string{"source"}},
	{"source-relative", []string{"source"}},
	{"confidence-1.5", []string{"confidence"}},
	{"year-1800", []string{"occurred_at"}},
	{"bad-time", []string{"occurred_at"}},
	{"leap-second", []string{"occurred_at"}},
	{"time-lower-case", []string{"occurred_at"}},
	{"revision-too-big", []string{"revision"}},
	{"bad-id", []string{"id"}},
	{"several-go-rules", []string{"actor", "occurred_at", "pledge.destination"}},
	{"pledge-stage-unknown", []string{"pledge.stage"}},
	{"pledge-deadline-date-only", []string{"pledge.deadline"}},
	{"pledge-deadline-year-1816", []string{"pledge.deadline"}},
	{"retraction-revision-0", []string{"revision"}},
	{"retraction-without-revision", []string{"revision"}},
	{"not-retracted-without-payload", []string{"statement"}},
	{"retraction-wrong-payload", []string{"pledge"}},
	{"not-an-object", []string{""}},
	{"invalid-json", []string{""}},
	{"empty", []string{""}},
	{"occurred-too-far-ahead", []string{"occurred_at"}},
	{"nested-too-deep", []string{"pledge.asset[0][0][0][0][0][0]"}},
	{"string-too-long", []string{"summary"}},
	{"array-too-long", []string{"meeting.participants"}},
	{"too-many-fields", []string{"pledge"}},
	{"number-too-long", []string{"pledge.quantity"}},
	{"gdelt-bad", []string{"gdelt.avg_tone", "gdelt.event_code", "gdelt.global_event_id"}},
}

// TestParseEventInvalid checks each document in testdata/invalid: ParseEvent
// rejects it with code EINVALID, its problems point at the listed fields, and
// their text is the golden file's, line for line.
func TestParseEventInvalid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range invalidCases {
		listed[tc.name] = true
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !listed[name] {
			t.Errorf("%s has no entry in invalidCases", f)
		}
	}

	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join("testdata", "invalid", tc.name)
			data, err := os.ReadFile(base + ".json")
			if err != nil {
				t.Fatal(err)
			}
			_, err = schema.ParseEvent(data)
			if err == nil {
				t.Fatal("ParseEvent accepted the document")
			}
			if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q (err: %v)", got, want, err)
			}
			checkGolden(t, base+".golden", []byte(problemLines(err)))
			if got, want := problemPaths(err), tc.paths; !slices.Equal(got, want) {
				t.Errorf("problem paths = %q, want %q\nproblems:\n%s", got, want, problemLines(err))
			}
			for _, p := range schema.ErrorProblems(err) {
				if p.Message == "" {
					t.Errorf("problem at %q has no message", p.Path)
				}
				if p.Line != 0 {
					t.Errorf("problem %q has line %d, want 0 outside NDJSON", p, p.Line)
				}
			}
		})
	}
}

// TestParseEventSize checks the MaxEventBytes limit at its edge: a valid
// event padded to exactly the limit parses, one byte more does not.
func TestParseEventSize(t *testing.T) {
	raw := validEventsOf(t, schema.KindPledge)[0].Raw
	pad := func(n int) []byte {
		// Whitespace after the opening brace keeps the document valid.
		return slices.Concat([]byte("{"), bytes.Repeat([]byte(" "), n-len(raw)), raw[1:])
	}

	t.Run("AtLimit", func(t *testing.T) {
		data := pad(schema.MaxEventBytes)
		if got, want := len(data), schema.MaxEventBytes; got != want {
			t.Fatalf("len = %d, want %d", got, want)
		}
		if _, err := schema.ParseEvent(data); err != nil {
			t.Errorf("ParseEvent(%d bytes): %v", len(data), err)
		}
	})
	t.Run("OverLimit", func(t *testing.T) {
		data := pad(schema.MaxEventBytes + 1)
		_, err := schema.ParseEvent(data)
		if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
			t.Fatalf("ErrorCode = %q, want %q (err: %v)", got, want, err)
		}
		want := "event is 65537 bytes, more than the limit of 65536\n"
		if got := problemLines(err); got != want {
			t.Errorf("problems = %q, want %q", got, want)
		}
	})
}

// TestGoldenLifecycleFields checks that the golden events hold what the
// lifecycle rules need, so that TestParseEventValid's round trip covers
// them: a pledge with a stage beyond announced and a deadline, and a
// retraction that leaves its payload out. It also checks that they parse to
// the values written, and come back from the wire unchanged.
func TestGoldenLifecycleFields(t *testing.T) {
	var staged, due, retraction bool
	for _, g := range validEvents(t) {
		ev := mustParse(t, g.Raw)
		raw := jsonObject(t, g.Raw)
		msg := mustEncode(t, &ev)
		back, err := schema.Decode(msg.Subject, headerOf(msg.Header), msg.Data)
		if err != nil {
			t.Fatalf("%s: Decode(Encode): %v", g.Name, err)
		}
		if p, ok := raw["pledge"].(map[string]any); ok {
			if st, ok := p["stage"]; ok {
				if got := string(ev.Pledge.Stage); got != st {
					t.Errorf("%s: Stage = %q, want %q", g.Name, got, st)
				}
				if back.Pledge.Stage != ev.Pledge.Stage {
					t.Errorf("%s: Stage after the wire = %q, want %q", g.Name, back.Pledge.Stage, ev.Pledge.Stage)
				}
				staged = staged || ev.Pledge.Stage.Rank() > 1
			}
			if d, ok := p["deadline"].(string); ok {
				want, err := time.Parse(time.RFC3339, d)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Pledge.Deadline == nil || !ev.Pledge.Deadline.Equal(want) {
					t.Errorf("%s: Deadline = %v, want %s", g.Name, ev.Pledge.Deadline, d)
				}
				if back.Pledge.Deadline == nil || !back.Pledge.Deadline.Equal(want) {
					t.Errorf("%s: Deadline after the wire = %v, want %s", g.Name, back.Pledge.Deadline, d)
				}
				due = true
			}
		}
		if raw["retracted"] == true {
			if !ev.Retracted || !back.Retracted {
				t.Errorf("%s: Retracted = %v, after the wire %v; want true", g.Name, ev.Retracted, back.Retracted)
			}
			if ev.Revision < 1 {
				t.Errorf("%s: a retraction with revision %d", g.Name, ev.Revision)
			}
			if _, hasPayload := raw[string(g.Kind)]; !hasPayload {
				retraction = true
				if id := back.CommitmentID(); id != "" {
					t.Errorf("%s: a retraction without payload has commitment id %q", g.Name, id)
				}
			}
		} else if ev.Retracted || back.Retracted {
			t.Errorf("%s: Retracted = %v, after the wire %v; want false", g.Name, ev.Retracted, back.Retracted)
		}
	}
	if !staged {
		t.Error("no golden pledge has a stage beyond announced")
	}
	if !due {
		t.Error("no golden pledge has a deadline")
	}
	if !retraction {
		t.Error("no golden event is a retraction without payload")
	}
}

// TestParseEventRetractedIsCommonField checks that "retracted", a field of
// every event, is never reported as an unknown field. JSON Schema drops
// event.json's annotations when a common field is invalid, and
// dropFalseUnknowns removes the resulting false "unknown field" reports of
// the common fields.
func TestParseEventRetractedIsCommonField(t *testing.T) {
	base := jsonObject(t, validEventsOf(t, schema.KindStatement)[2].Raw) // Putin, revision 1
	tests := []struct {
		name   string
		mutate func(m map[string]any)
		paths  []string
	}{
		{"FalseWithBadCoalition", func(m map[string]any) { m["retracted"], m["coalition"] = false, "Paris" }, []string{"coalition"}},
		{"TrueWithBadCoalition", func(m map[string]any) { m["retracted"], m["coalition"] = true, "Paris" }, []string{"coalition"}},
		// "yes" is no retraction: the payload is required as well.
		{"NotBoolean", func(m map[string]any) { m["retracted"] = "yes"; delete(m, "statement") }, []string{"retracted", "statement"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := maps.Clone(base)
			tt.mutate(m)
			_, err := schema.ParseEvent(marshal(t, m))
			got := problemPaths(err)
			if slices.Equal(got, tt.paths) {
				return
			}
			t.Errorf("problem paths = %q, want %q\n%s", got, tt.paths, problemLines(err))
		})
	}
}

// TestParseEventJSONNumbers checks that a number in exponent form is read
// as the number it is.
func TestParseEventJSONNumbers(t *testing.T) {
	obj := jsonObject(t, validEventsOf(t, schema.KindPledge)[0].Raw)
	obj["pledge"].(map[string]any)["quantity"] = json.Number("1e2")
	ev := mustParse(t, marshal(t, obj))
	if got, want := *ev.Pledge.Quantity, 100.0; got != want {
		t.Errorf("quantity 1e2 = %g, want %g", got, want)
	}
}
