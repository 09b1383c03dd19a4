package schema

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
)

// TestCommonFieldsMatchSchema holds commonFields (the fields whose false
// "unknown field" reports dropFalseUnknowns removes) to event.json's
// properties, so that a field added to one is added to the other.
func TestCommonFieldsMatchSchema(t *testing.T) {
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(SchemaFiles()["event.json"], &doc); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(commonFields))
	want := slices.Sorted(maps.Keys(doc.Properties))
	if !slices.Equal(got, want) {
		t.Errorf("commonFields = %q, want event.json properties %q", got, want)
	}
}
