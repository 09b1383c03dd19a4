package schema_test

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
	"github.com/google/uuid"
)

// These tests hold the Go types and the embedded JSON Schema documents to
// each other, by reflection on one side and by reading the schemas on the
// other, so that neither can change alone.

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
