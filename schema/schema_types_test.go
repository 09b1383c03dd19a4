package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// These tests hold the Go types and the embedded JSON Schema documents to
// each other, by reflection on one side and by reading the schemas on the
// other, so that neither can change alone.

// jsonTags returns the JSON names of a struct type's exported fields.
func jsonTags(typ reflect.Type) []string {
	var out []string
	for f := range typ.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// eventFields splits Event's JSON fields into the common ones and the
// payloads (keyed by kind, with the payload's struct type).
func eventFields(tb testing.TB) (common []string, payloads map[schema.Kind]reflect.Type) {
	tb.Helper()
	payloads = map[schema.Kind]reflect.Type{}
	for f := range reflect.TypeFor[schema.Event]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if k := schema.Kind(name); k.Valid() {
			if f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct {
				tb.Errorf("Event.%s (payload %q) is %v, want a pointer to a struct", f.Name, name, f.Type)
				continue
			}
			payloads[k] = f.Type.Elem()
			continue
		}
		common = append(common, name)
	}
	slices.Sort(common)
	return common, payloads
}

// objectFields returns Event's common fields that are JSON objects (the
// gdelt provenance), by JSON name, with their struct type.
func objectFields(tb testing.TB) map[string]reflect.Type {
	tb.Helper()
	out := map[string]reflect.Type{}
	for f := range reflect.TypeFor[schema.Event]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if schema.Kind(name).Valid() || f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct {
			continue
		}
		out[name] = f.Type.Elem()
	}
	if len(out) == 0 {
		tb.Fatal("Event has no object-valued common field; expected gdelt")
	}
	return out
}

// schemaDoc returns an embedded schema document, decoded.
func schemaDoc(tb testing.TB, file string) map[string]any {
	tb.Helper()
	b, ok := schema.SchemaFiles()[file]
	if !ok {
		tb.Fatalf("SchemaFiles() has no %s", file)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return m
}

// schemaObj walks a decoded schema document along keys and returns the object
// found there.
func schemaObj(tb testing.TB, m map[string]any, keys ...string) map[string]any {
	tb.Helper()
	cur := m
	for i, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			tb.Fatalf("schema has no object at %s", strings.Join(keys[:i+1], "."))
		}
		cur = next
	}
	return cur
}

// strList returns the list of strings at key (nil if absent).
func strList(tb testing.TB, m map[string]any, key string) []string {
	tb.Helper()
	raw, ok := m[key]
	if !ok {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		tb.Fatalf("%q is %T, want an array", key, raw)
	}
	out := make([]string, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok {
			tb.Fatalf("%q[%d] is %T, want a string", key, i, v)
		}
		out[i] = s
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sortedCopy[S ~[]E, E ~string](s S) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	slices.Sort(out)
	return out
}

// TestSchemaFiles checks that every kind has a schema document, that there is
// no other document than those and event.json, that each names itself by
// the URL DataSchema gives, and that each compiles on its own.
func TestSchemaFiles(t *testing.T) {
	files := schema.SchemaFiles()
	want := []string{"event.json"}
	for _, k := range schema.Kinds {
		want = append(want, string(k)+".json")
	}
	slices.Sort(want)
	if got := sortedKeys(toAny(files)); !slices.Equal(got, want) {
		t.Errorf("SchemaFiles() = %q, want %q", got, want)
	}

	for _, k := range schema.Kinds {
		t.Run(string(k), func(t *testing.T) {
			doc := schemaDoc(t, string(k)+".json")
			if got, want := doc["$id"], schema.DataSchema(k); got != want {
				t.Errorf("$id = %v, want %v (DataSchema)", got, want)
			}
			if got, want := doc["$ref"], "event.json"; got != want {
				t.Errorf("$ref = %v, want %v", got, want)
			}
			if got, want := doc["unevaluatedProperties"], false; got != want {
				t.Errorf("unevaluatedProperties = %v, want %v", got, want)
			}
		})
	}
	if got, want := schemaDoc(t, "event.json")["$id"], schema.SchemaBaseURL+"event.json"; got != want {
		t.Errorf("event.json $id = %v, want %v", got, want)
	}

	for name := range files {
		t.Run("Compile/"+name, func(t *testing.T) {
			if _, err := compileSchema(t, name); err != nil {
				t.Errorf("compile %s: %v", name, err)
			}
		})
	}
}

func toAny[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// compileSchema compiles one embedded document with all of them available as
// resources, the way a consumer outside Go would.
func compileSchema(tb testing.TB, file string) (*jsonschema.Schema, error) {
	tb.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for name, b := range schema.SchemaFiles() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := c.AddResource(schema.SchemaBaseURL+name, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return c.Compile(schema.SchemaBaseURL + file)
}

// TestSchemaPropertiesMatchTypes checks that the JSON names of Event's common
// fields are exactly event.json's properties, that each kind's document
// adds exactly "kind" and its payload, and that each payload struct's JSON
// names are exactly its schema's properties.
func TestSchemaPropertiesMatchTypes(t *testing.T) {
	common, payloads := eventFields(t)

	t.Run("Payloads", func(t *testing.T) {
		if got, want := sortedCopy(slices.Collect(mapKeys(payloads))), sortedCopy(schema.Kinds); !slices.Equal(got, want) {
			t.Errorf("Event payload fields = %q, want one per kind %q", got, want)
		}
	})
	t.Run("Common", func(t *testing.T) {
		want := sortedKeys(schemaObj(t, schemaDoc(t, "event.json"), "properties"))
		if !slices.Equal(common, want) {
			t.Errorf("Event common fields = %q, want event.json properties %q", common, want)
		}
	})
	// Objects among the common fields (the gdelt provenance): their
	// fields are exactly their schema's properties, and no others are
	// allowed.
	for name, typ := range objectFields(t) {
		t.Run(name, func(t *testing.T) {
			obj := schemaObj(t, schemaDoc(t, "event.json"), "properties", name)
			if got, want := obj["additionalProperties"], false; got != want {
				t.Errorf("event.json %s additionalProperties = %v, want %v", name, got, want)
			}
			if got, want := jsonTags(typ), sortedKeys(schemaObj(t, obj, "properties")); !slices.Equal(got, want) {
				t.Errorf("%v JSON fields = %q, want event.json properties.%s.properties %q", typ, got, name, want)
			}
		})
	}
	for _, k := range schema.Kinds {
		t.Run(string(k), func(t *testing.T) {
			doc := schemaDoc(t, string(k)+".json")
			props := schemaObj(t, doc, "properties")
			if got, want := sortedKeys(props), sortedCopy([]string{"kind", string(k)}); !slices.Equal(got, want) {
				t.Errorf("%s.json properties = %q, want %q", k, got, want)
			}
			if got, want := schemaObj(t, props, "kind")["const"], string(k); got != want {
				t.Errorf("%s.json properties.kind.const = %v, want %q", k, got, want)
			}
			payload := schemaObj(t, props, string(k))
			if got, want := payload["type"], "object"; got != want {
				t.Errorf("%s.json payload type = %v, want %v", k, got, want)
			}
			if got, want := payload["additionalProperties"], false; got != want {
				t.Errorf("%s.json payload additionalProperties = %v, want %v", k, got, want)
			}
			typ, ok := payloads[k]
			if !ok {
				t.Fatalf("Event has no payload field for %s", k)
			}
			if got, want := jsonTags(typ), sortedKeys(schemaObj(t, payload, "properties")); !slices.Equal(got, want) {
				t.Errorf("%v JSON fields = %q, want %s.json properties.%s.properties %q", typ, got, k, k, want)
			}
		})
	}
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestSchemaTypesMatchGo checks that each property's JSON type is the one
// the Go field's type encodes to.
func TestSchemaTypesMatchGo(t *testing.T) {
	event := schemaDoc(t, "event.json")
	// resolve follows a $ref into event.json's $defs.
	resolve := func(t *testing.T, p map[string]any) map[string]any {
		t.Helper()
		ref, ok := p["$ref"].(string)
		if !ok {
			return p
		}
		_, def, ok := strings.Cut(ref, "#/$defs/")
		if !ok {
			t.Fatalf("unexpected $ref %q", ref)
		}
		return schemaObj(t, event, "$defs", def)
	}
	jsonType := func(typ reflect.Type) (string, string) {
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch typ {
		case reflect.TypeFor[time.Time]():
			return "string", "date-time"
		case reflect.TypeFor[uuid.UUID]():
			return "string", "uuid"
		}
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch typ.Kind() {
		case reflect.String:
			return "string", ""
		case reflect.Float64:
			return "number", ""
		case reflect.Int, reflect.Uint32, reflect.Uint64:
			return "integer", ""
		case reflect.Bool:
			return "boolean", ""
		case reflect.Slice:
			return "array", ""
		case reflect.Struct:
			return "object", ""
		}
		return typ.String(), ""
	}
	check := func(t *testing.T, typ reflect.Type, props map[string]any) {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if schema.Kind(name).Valid() {
				continue // payloads: checked per kind
			}
			p, ok := props[name].(map[string]any)
			if !ok {
				continue // TestSchemaPropertiesMatchTypes reports it
			}
			p = resolve(t, p)
			wantType, wantFormat := jsonType(f.Type)
			if got := p["type"]; got != wantType {
				t.Errorf("%s: schema type %v, want %s for Go %v", name, got, wantType, f.Type)
			}
			if wantFormat != "" && p["format"] != wantFormat {
				t.Errorf("%s: schema format %v, want %s for Go %v", name, p["format"], wantFormat, f.Type)
			}
			if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String {
				if items := resolve(t, schemaObj(t, p, "items")); items["type"] != "string" {
					t.Errorf("%s: items type %v, want string", name, items["type"])
				}
			}
		}
	}
	t.Run("Event", func(t *testing.T) {
		check(t, reflect.TypeFor[schema.Event](), schemaObj(t, event, "properties"))
	})
	for name, typ := range objectFields(t) {
		t.Run(name, func(t *testing.T) {
			check(t, typ, schemaObj(t, event, "properties", name, "properties"))
		})
	}
	_, payloads := eventFields(t)
	for _, k := range schema.Kinds {
		t.Run(string(k), func(t *testing.T) {
			check(t, payloads[k], schemaObj(t, schemaDoc(t, string(k)+".json"), "properties", string(k), "properties"))
		})
	}
	t.Run("RevisionRange", func(t *testing.T) {
		rev := schemaObj(t, event, "properties", "revision")
		if got, want := rev["minimum"], 0.0; got != want {
			t.Errorf("revision minimum = %v, want %v", got, want)
		}
		if got, want := rev["maximum"], float64(math.MaxUint32); got != want {
			t.Errorf("revision maximum = %v, want %v (uint32)", got, want)
		}
	})
}

// TestSchemaEnums checks the schema's enumerations against the Go lists and
// the stance range against the Stance scale.
func TestSchemaEnums(t *testing.T) {
	t.Run("Kinds", func(t *testing.T) {
		got := strList(t, schemaObj(t, schemaDoc(t, "event.json"), "properties", "kind"), "enum")
		if want := sortedCopy(schema.Kinds); !slices.Equal(sortedCopy(got), want) || len(got) != len(want) {
			t.Errorf("event.json kind enum = %q, want schema.Kinds %q", got, schema.Kinds)
		}
	})
	t.Run("Categories", func(t *testing.T) {
		got := strList(t, schemaObj(t, schemaDoc(t, "pledge.json"), "properties", "pledge", "properties", "category"), "enum")
		if want := sortedCopy(schema.Categories); !slices.Equal(sortedCopy(got), want) || len(got) != len(want) {
			t.Errorf("pledge.json category enum = %q, want schema.Categories %q", got, schema.Categories)
		}
	})
	t.Run("Stance", func(t *testing.T) {
		st := schemaObj(t, schemaDoc(t, "statement.json"), "properties", "statement", "properties", "stance")
		if got, want := st["minimum"], float64(schema.StanceOpposed); got != want {
			t.Errorf("stance minimum = %v, want %v (StanceOpposed)", got, want)
		}
		if got, want := st["maximum"], float64(schema.StanceStronglySupportive); got != want {
			t.Errorf("stance maximum = %v, want %v (StanceStronglySupportive)", got, want)
		}
		lo, hi := st["minimum"].(float64), st["maximum"].(float64)
		for s := schema.Stance(-5); s <= 5; s++ {
			if got, want := s.Valid(), float64(s) >= lo && float64(s) <= hi; got != want {
				t.Errorf("Stance(%d).Valid() = %v, but the schema range is %g..%g", int(s), got, lo, hi)
			}
		}
	})
	t.Run("Stages", func(t *testing.T) {
		got := strList(t, schemaObj(t, schemaDoc(t, "pledge.json"), "properties", "pledge", "properties", "stage"), "enum")
		if want := sortedCopy(schema.Stages); !slices.Equal(sortedCopy(got), want) || len(got) != len(want) {
			t.Errorf("pledge.json stage enum = %q, want schema.Stages %q", got, schema.Stages)
		}
	})
	t.Run("Severity", func(t *testing.T) {
		sv := schemaObj(t, schemaDoc(t, "incident.json"), "properties", "incident", "properties", "severity")
		if sv["minimum"] != 1.0 || sv["maximum"] != 5.0 {
			t.Errorf("incident severity range = %v..%v, want 1..5 (Incident's doc)", sv["minimum"], sv["maximum"])
		}
	})
}

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
