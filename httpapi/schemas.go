package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/coalitiondev/coalition/schema"
)

// schemaPrefix is the path the event contract's JSON Schemas are served
// under, the path of schema.SchemaBaseURL, which every message names in its
// ce-dataschema header.
const schemaPrefix = "/schemas/v1/"

// handleSchema serves one embedded JSON Schema document
// (GET /schemas/v1/pledge.json, ..., event.json), or the list of them at
// /schemas/v1/. They hold no data, so they need no token.
func (s *Server) handleSchema(w http.ResponseWriter, r *http.Request) {
	files := schema.SchemaFiles()
	name := strings.TrimPrefix(r.URL.Path, schemaPrefix)
	if name == "" {
		list := make([]string, 0, len(files))
		for n := range files {
			list = append(list, n)
		}
		slices.Sort(list)
		writeJSON(w, http.StatusOK, map[string]any{"base": schema.SchemaBaseURL, "schemas": list})
		return
	}
	b, ok := files[name]
	if !ok {
		s.writeError(w, r, schema.Errorf(schema.ENOTFOUND, "no schema %q; GET %s lists them", name, schemaPrefix))
		return
	}
	w.Header().Set("Content-Type", "application/schema+json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}
