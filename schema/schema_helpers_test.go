package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

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

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
