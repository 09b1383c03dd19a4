package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/coalitiondev/coalition/httpapi"
	"github.com/coalitiondev/coalition/schema"
)

// TestSchemas fetches every kind's ce-dataschema from the server and checks
// it is the embedded document whose $id is that URL.
func TestSchemas(t *testing.T) {
	t.Parallel()
	base := MustServe(t, httpapi.Config{})
	files := schema.SchemaFiles()
	for _, k := range schema.Kinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			url := schema.DataSchema(k)
			path := url[len("https://coalition.dev"):]
			resp, b := do(t, base, request{method: "GET", path: path})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
			}
			if got, want := resp.Header.Get("Content-Type"), "application/schema+json"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			if !bytes.Equal(b, files[string(k)+".json"]) {
				t.Errorf("GET %s is not the embedded %s.json", path, k)
			}
			var doc struct {
				ID string `json:"$id"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.ID != url {
				t.Errorf("$id = %q, want the ce-dataschema %q", doc.ID, url)
			}
		})
	}
	t.Run("List", func(t *testing.T) {
		t.Parallel()
		resp, b := do(t, base, request{method: "GET", path: "/schemas/v1/"})
		var list struct {
			Base    string
			Schemas []string
		}
		if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /schemas/v1/: %d %s (%v)", resp.StatusCode, b, err)
		}
		if list.Base != schema.SchemaBaseURL || !slices.Contains(list.Schemas, "event.json") || len(list.Schemas) != len(files) {
			t.Errorf("list = %+v", list)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		t.Parallel()
		resp, b := do(t, base, request{method: "GET", path: "/schemas/v1/treaty.json"})
		if resp.StatusCode != http.StatusNotFound || !bytes.Contains(b, []byte("treaty.json")) {
			t.Errorf("GET treaty.json: %d %s, want 404 naming it", resp.StatusCode, b)
		}
	})
}
