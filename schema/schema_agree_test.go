package schema_test

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// requiredFields returns the field paths a kind's documents require: the
// top-level names ("coalition", "pledge") from event.json and the kind's
// document, and the payload's ("pledge.asset").
func requiredFields(tb testing.TB, k schema.Kind) map[string]bool {
	tb.Helper()
	out := map[string]bool{}
	doc := schemaDoc(tb, string(k)+".json")
	for _, f := range strList(tb, schemaDoc(tb, "event.json"), "required") {
		out[f] = true
	}
	for _, f := range strList(tb, doc, "required") {
		out[f] = true
	}
	for _, f := range strList(tb, schemaObj(tb, doc, "properties", string(k)), "required") {
		out[string(k)+"."+f] = true
	}
	return out
}

// TestSchemaAndGoAgreeLifecycle is TestSchemaAndGoAgree for the lifecycle
// fields (stage, deadline, retracted), changing one field of a chosen
// golden event at a time.
func TestSchemaAndGoAgreeLifecycle(t *testing.T) {
	const daesh, putin, retraction = 5, 2, 3 // pledge.json[5], statement.json[2] and [3]
	tests := []struct {
		name   string
		kind   schema.Kind
		index  int
		path   string
		value  any
		valid  bool
		goOnly bool
	}{
		{"StageAnnounced", schema.KindPledge, daesh, "pledge.stage", "announced", true, false},
		{"StageAllocated", schema.KindPledge, daesh, "pledge.stage", "allocated", true, false},
		{"StageUnknown", schema.KindPledge, daesh, "pledge.stage", "approved", false, false},
		{"StageEmpty", schema.KindPledge, daesh, "pledge.stage", "", false, false},
		{"StageUpperCase", schema.KindPledge, daesh, "pledge.stage", "Committed", false, false},
		{"StageNumber", schema.KindPledge, daesh, "pledge.stage", 2, false, false},
		{"DeadlineOffset", schema.KindPledge, daesh, "pledge.deadline", "2016-12-31T01:00:00+01:00", true, false},
		{"DeadlineFraction", schema.KindPledge, daesh, "pledge.deadline", "2016-12-31T00:00:00.5Z", true, false},
		{"DeadlineDateOnly", schema.KindPledge, daesh, "pledge.deadline", "2016-12-31", false, false},
		{"DeadlineNull", schema.KindPledge, daesh, "pledge.deadline", nil, false, false},
		{"DeadlineYear1800", schema.KindPledge, daesh, "pledge.deadline", "1800-12-31T00:00:00Z", true, true},
		{"DeadlineYear2200", schema.KindPledge, daesh, "pledge.deadline", "2200-01-01T00:00:00Z", true, true},
		{"RetractRevision1", schema.KindStatement, putin, "retracted", true, true, false},
		{"RetractedFalse", schema.KindStatement, putin, "retracted", false, true, false},
		{"RetractedNotBoolean", schema.KindStatement, putin, "retracted", "true", false, false},
		{"RetractionNotRetracted", schema.KindStatement, retraction, "retracted", false, false, false},
		{"RetractionWithPayload", schema.KindStatement, retraction, "statement", map[string]any{"stance": 0}, true, false},
		{"RetractionOtherPayload", schema.KindStatement, retraction, "meeting", map[string]any{"topic": "x"}, false, false},
		// A retraction must be revision 1 or more: event.json says so with
		// if/then, and the Go rules agree.
		{"RetractionRevision0", schema.KindStatement, retraction, "revision", 0, false, false},
		// The Mali pledge, revision 0, retracted: the same rule.
		{"RetractOriginal", schema.KindPledge, 1, "retracted", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			compiled, err := compileSchema(t, string(tt.kind)+".json")
			if err != nil {
				t.Fatal(err)
			}
			m := jsonObject(t, validEventsOf(t, tt.kind)[tt.index].Raw)
			if parent, name, ok := strings.Cut(tt.path, "."); ok {
				m[parent].(map[string]any)[name] = tt.value
			} else {
				m[tt.path] = tt.value
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
			wantValid := tt.valid && !tt.goOnly
			if got := parseErr == nil; got != wantValid {
				t.Errorf("ParseEvent says valid = %v, want %v (ParseEvent err: %v)", got, wantValid, parseErr)
			}
			if parseErr != nil && !rejectsAt(parseErr, tt.path) && !hasPath(parseErr, "revision") && !hasPath(parseErr, string(tt.kind)) {
				t.Errorf("ParseEvent problems %q, want one at %s (or revision, or the payload)", problemPaths(parseErr), tt.path)
			}
		})
	}
}

// Where the Go rules and the schema may disagree about a missing field, by
// design. Each entry must be exercised, so a stale one fails the test.
var (
	// goOnlyRequired are required by Validate but not by the schema: a
	// producer may leave them out and Normalize fills them.
	goOnlyRequired = map[string]bool{"id": true, "reported_at": true}
	// schemaOnlyRequired are required by the schema, but Go cannot tell a
	// missing value from its zero value, which is valid.
	schemaOnlyRequired = map[string]bool{"statement.stance": true}
	// goOnlyRequiredOnRetraction are required by the Go rules on a
	// retraction only, in a way the JSON Schemas do not express. None
	// today: event.json requires revision >= 1 on a retraction with
	// if/then, as the Go rules do.
	goOnlyRequiredOnRetraction = map[string]bool{}
)

// TestSchemaRequired deletes each field, one at a time, from every golden
// event and checks that the schema (compiled here, independently of
// ParseEvent), ParseEvent, and the Go rules (Validate on the event decoded
// without the schema) agree on whether the event is still valid, and that
// the ones that reject it name the deleted field. A field in a schema's
// required list must be rejected by all three. Deleting "retracted" from a
// retraction that leaves its payload out makes the payload required again:
// all three must reject, at the payload.
func TestSchemaRequired(t *testing.T) {
	exercised := map[string]bool{}
	for _, k := range schema.Kinds {
		compiled, err := compileSchema(t, string(k)+".json")
		if err != nil {
			t.Fatal(err)
		}
		required := requiredFields(t, k)
		tested := map[string]bool{}
		for _, g := range validEventsOf(t, k) {
			orig := jsonObject(t, g.Raw)
			retraction := orig["retracted"] == true
			// The field whose absence is reported when path is deleted, if
			// not path itself.
			reportedAt := map[string]string{}
			if _, hasPayload := orig[string(k)]; retraction && !hasPayload {
				reportedAt["retracted"] = string(k)
			}
			var paths []string
			for key, v := range orig {
				paths = append(paths, key)
				if sub, ok := v.(map[string]any); ok {
					for pk := range sub {
						paths = append(paths, key+"."+pk)
					}
				}
			}
			sort.Strings(paths)
			for _, path := range paths {
				t.Run(g.Name+"/-"+path, func(t *testing.T) {
					tested[path] = true
					data := marshal(t, withoutField(t, g.Raw, path))

					doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
					if err != nil {
						t.Fatal(err)
					}
					schemaRejects := compiled.Validate(doc) != nil

					_, parseErr := schema.ParseEvent(data)

					var ev schema.Event
					if err := json.Unmarshal(data, &ev); err != nil {
						t.Fatal(err)
					}
					goErr := ev.Validate()

					if required[path] && !schemaRejects {
						t.Errorf("%s is in %s.json's required list but the schema accepts the event without it", path, k)
					}
					at := path
					if dep, ok := reportedAt[path]; ok {
						at = dep
						if !schemaRejects {
							t.Errorf("without %s the event needs %s, but the schema accepts it", path, dep)
						}
					}
					wantParse := schemaRejects
					if retraction && goOnlyRequiredOnRetraction[path] {
						if schemaRejects {
							t.Errorf("the schema now requires %s on a retraction: remove it from goOnlyRequiredOnRetraction", path)
						}
						wantParse = true
					}
					if got := parseErr != nil; got != wantParse {
						t.Errorf("without %s: ParseEvent rejects = %v, want %v (schema rejects = %v; ParseEvent err: %v)", path, got, wantParse, schemaRejects, parseErr)
					}
					if parseErr != nil && !rejectsAt(parseErr, at) {
						t.Errorf("without %s: ParseEvent problems %q, want one at %s or its parent", path, problemPaths(parseErr), at)
					}

					wantGo := schemaRejects
					switch {
					case goOnlyRequired[path]:
						wantGo = true
						exercised[path] = true
					case schemaOnlyRequired[path]:
						wantGo = false
						exercised[path] = true
					case retraction && goOnlyRequiredOnRetraction[path]:
						wantGo = true
						exercised["retraction:"+path] = true
					}
					if got := goErr != nil; got != wantGo {
						t.Errorf("without %s: Validate rejects = %v, want %v (schema rejects = %v; Validate err: %v)", path, got, wantGo, schemaRejects, goErr)
					}
					if goErr != nil && !rejectsAt(goErr, at) {
						t.Errorf("without %s: Validate problems %q, want one at %s or its parent", path, problemPaths(goErr), at)
					}
				})
			}
		}
		for path := range required {
			if !tested[path] {
				t.Errorf("%s: required field %s is in no golden event, so its deletion is not tested", k, path)
			}
		}
	}
	for path := range goOnlyRequired {
		if !exercised[path] {
			t.Errorf("goOnlyRequired %s was never tested", path)
		}
	}
	for path := range schemaOnlyRequired {
		if !exercised[path] {
			t.Errorf("schemaOnlyRequired %s was never tested", path)
		}
	}
	for path := range goOnlyRequiredOnRetraction {
		if !exercised["retraction:"+path] {
			t.Errorf("goOnlyRequiredOnRetraction %s was never tested: no golden retraction sets it", path)
		}
	}
}

// withoutField returns the golden document with one field deleted; path is
// "name" or "payload.name".
func withoutField(tb testing.TB, raw []byte, path string) map[string]any {
	tb.Helper()
	m := jsonObject(tb, raw)
	if parent, name, ok := strings.Cut(path, "."); ok {
		delete(m[parent].(map[string]any), name)
	} else {
		delete(m, path)
	}
	return m
}

// rejectsAt reports whether err has a problem at path or at its parent (a
// rule on the payload as a whole, such as "give a quantity, or complete").
func rejectsAt(err error, path string) bool {
	if hasPath(err, path) {
		return true
	}
	parent, _, ok := strings.Cut(path, ".")
	return ok && hasPath(err, parent)
}

// TestSchemaAndGoAgree changes one field of a golden event at a time and
// checks that the JSON Schema (compiled here, as a consumer in another
// language would) and ParseEvent reach the same verdict. The Go rules may be
// stricter only where the schema cannot follow: the country registry, rules
// across fields, the year range, and what Go's time cannot represent.
func TestSchemaAndGoAgree(t *testing.T) {
	many := func(n int) []any {
		var out []any
		for _, c := range schema.Countries() {
			if len(out) == n {
				break
			}
			out = append(out, c.Alpha3)
		}
		return out
	}
	tests := []struct {
		name   string
		kind   schema.Kind
		path   string // "name" or "payload.name"
		value  any
		valid  bool // the schema's verdict, which ParseEvent must share
		goOnly bool // the Go rules reject what the schema accepts, by design
	}{
		{"SummaryMultiByteAtLimit", schema.KindPledge, "summary", strings.Repeat("ä", 1000), true, false},
		{"SummaryMultiByteOverLimit", schema.KindPledge, "summary", strings.Repeat("ä", 1001), false, false},
		{"SourceMultiByte", schema.KindPledge, "source", "https://de.wikipedia.org/wiki/" + strings.Repeat("ä", 1500), true, false},
		{"SourceAtLimit", schema.KindPledge, "source", "https://example.org/" + strings.Repeat("a", 2048-20), true, false},
		{"SourceOverLimit", schema.KindPledge, "source", "https://example.org/" + strings.Repeat("a", 2049-20), false, false},
		{"SourceUpperCaseScheme", schema.KindPledge, "source", "HTTPS://www.gov.uk/", false, false},
		{"UnitUpperCase", schema.KindPledge, "pledge.unit", "Soldiers", false, false},
		{"UnitLongest", schema.KindPledge, "pledge.unit", "u" + strings.Repeat("n", 31), true, false},
		{"UnitTooLong", schema.KindPledge, "pledge.unit", "u" + strings.Repeat("n", 32), false, false},
		{"CommitmentIDLongest", schema.KindPledge, "pledge.commitment_id", "C" + strings.Repeat("x", 127), true, false},
		{"CommitmentIDTooLong", schema.KindPledge, "pledge.commitment_id", "C" + strings.Repeat("x", 128), false, false},
		{"QuantityMax", schema.KindPledge, "pledge.quantity", 1e12, true, false},
		{"QuantityOverMax", schema.KindPledge, "pledge.quantity", 1.5e15, false, false},
		{"CoalitionLongest", schema.KindPledge, "coalition", strings.Repeat("p", 63), true, false},
		{"CoalitionTooLong", schema.KindPledge, "coalition", strings.Repeat("p", 64), false, false},
		{"IncidentTypeHyphen", schema.KindIncident, "incident.type", "shoot-down", false, false},
		{"ParticipantsAtLimit", schema.KindMeeting, "meeting.participants", many(250), true, false},
		{"ParticipantsOverLimit", schema.KindMeeting, "meeting.participants", append(many(250), "ZZA"), false, false},
		{"ParticipantTwice", schema.KindMeeting, "meeting.participants", []any{"USA", "USA"}, false, false},
		{"RevisionAsFloat", schema.KindStatement, "revision", json.Number("2.0"), true, false},
		{"StanceAsFloat", schema.KindStatement, "statement.stance", json.Number("-1.0"), true, false},
		{"SeverityAsFloat", schema.KindIncident, "incident.severity", json.Number("4.0"), true, false},
		{"UnknownCountry", schema.KindPledge, "actor", "XYZ", true, true},
		{"CounterpartIsActor", schema.KindPledge, "counterpart", "DEU", true, true},
		{"Year1800", schema.KindPledge, "occurred_at", "1800-11-25T11:00:00Z", true, true},
		{"LeapSecond", schema.KindPledge, "occurred_at", "2016-12-31T23:59:60Z", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			compiled, err := compileSchema(t, string(tt.kind)+".json")
			if err != nil {
				t.Fatal(err)
			}
			// Germany's Mali pledge for pledges, else the kind's first event.
			g := validEventsOf(t, tt.kind)[0]
			if tt.kind == schema.KindPledge {
				g = validEventsOf(t, tt.kind)[1]
			}
			m := jsonObject(t, g.Raw)
			if parent, name, ok := strings.Cut(tt.path, "."); ok {
				m[parent].(map[string]any)[name] = tt.value
			} else {
				m[tt.path] = tt.value
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
			wantValid := tt.valid && !tt.goOnly
			if got := parseErr == nil; got != wantValid {
				t.Errorf("ParseEvent says valid = %v, the schema %v (ParseEvent err: %v)", got, tt.valid, parseErr)
			}
			if parseErr != nil && !rejectsAt(parseErr, tt.path) {
				t.Errorf("ParseEvent problems %q, want one at %s", problemPaths(parseErr), tt.path)
			}
		})
	}
}
