package schema_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/coalitiondev/coalition/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// gdeltGolden returns the golden meeting that carries the gdelt provenance.
func gdeltGolden(tb testing.TB) goldenEvent {
	tb.Helper()
	for _, g := range validEventsOf(tb, schema.KindMeeting) {
		if _, ok := jsonObject(tb, g.Raw)["gdelt"]; ok {
			return g
		}
	}
	tb.Fatal("no golden meeting has a gdelt object")
	return goldenEvent{}
}

// TestGDELTProvenance checks the optional gdelt object the GDELT importer
// adds: the JSON Schema (compiled here, as a consumer in another language
// would) and ParseEvent reach the same verdict on each change of one of its
// fields, and the Go rules alone (Validate) agree wherever Go can tell.
func TestGDELTProvenance(t *testing.T) {
	tests := []struct {
		name  string
		field string // under gdelt; "" replaces the whole object
		value any
		valid bool
		// goCannotTell: Go decodes the value to something valid or fails
		// to decode it, so only the schema (and ParseEvent) can reject it.
		goCannotTell bool
	}{
		{"EventCodeThreeDigits", "event_code", "190", true, false},
		{"EventCodeFourDigits", "event_code", "0331", true, false},
		{"EventCodeRoot", "event_code", "04", true, false},
		{"EventCodeOneDigit", "event_code", "4", false, false},
		{"EventCodeFiveDigits", "event_code", "04211", false, false},
		{"EventCodeLetter", "event_code", "04a", false, false},
		{"EventCodeNumber", "event_code", 42, false, true},
		{"GlobalEventIDZero", "global_event_id", 0, false, false},
		{"GlobalEventIDLargest", "global_event_id", json.Number("9007199254740991"), true, false},
		{"GlobalEventIDTooLarge", "global_event_id", json.Number("9007199254740992"), false, false},
		{"GlobalEventIDNegative", "global_event_id", -1, false, true},
		{"GlobalEventIDFraction", "global_event_id", 1.5, false, true},
		{"GoldsteinLowest", "goldstein", -10, true, false},
		{"GoldsteinTooHigh", "goldstein", 10.5, false, false},
		{"NumMentionsNegative", "num_mentions", -1, false, false},
		{"NumSourcesLargest", "num_sources", 2147483647, true, false},
		{"NumArticlesTooLarge", "num_articles", json.Number("2147483648"), false, false},
		{"AvgToneLowest", "avg_tone", -100, true, false},
		{"AvgToneTooLow", "avg_tone", -100.5, false, false},
		{"UnknownField", "quad_class", 1, false, true},
		{"NotAnObject", "", "669666590", false, true},
		{"Null", "", nil, false, true},
	}
	g := gdeltGolden(t)
	compiled, err := compileSchema(t, "meeting.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.ParseEvent(g.Raw); err != nil {
		t.Fatalf("%s: %v", g.Name, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := jsonObject(t, g.Raw)
			path := "gdelt"
			if tt.field == "" {
				m["gdelt"] = tt.value
			} else {
				m["gdelt"].(map[string]any)[tt.field] = tt.value
				path += "." + tt.field
			}
			data := marshal(t, m)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			schemaErr := compiled.Validate(doc)
			if got := schemaErr == nil; got != tt.valid {
				t.Fatalf("schema says valid = %v, want %v (test setup; err: %v)", got, tt.valid, schemaErr)
			}
			_, parseErr := schema.ParseEvent(data)
			if got := parseErr == nil; got != tt.valid {
				t.Errorf("ParseEvent says valid = %v, the schema %v (ParseEvent err: %v)", got, tt.valid, parseErr)
			}
			if parseErr != nil && !hasPath(parseErr, path) && !hasPath(parseErr, "gdelt") {
				t.Errorf("ParseEvent problems %q, want one at %s", problemPaths(parseErr), path)
			}
			if tt.goCannotTell {
				return
			}
			var ev schema.Event
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatal(err)
			}
			goErr := ev.Validate()
			if got := goErr == nil; got != tt.valid {
				t.Errorf("Validate says valid = %v, the schema %v (Validate err: %v)", got, tt.valid, goErr)
			}
			if goErr != nil && !hasPath(goErr, path) {
				t.Errorf("Validate problems %q, want one at %s", problemPaths(goErr), path)
			}
		})
	}
}
