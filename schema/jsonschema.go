package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// SchemaBaseURL is the base of every schema's $id; a kind's schema is at
// SchemaBaseURL + "<kind>.json", and CloudEvents' dataschema attribute names it.
const SchemaBaseURL = "https://coalition.dev/schemas/v1/"

//go:embed schemas/*.json
var schemaFS embed.FS

// SchemaFiles returns the embedded JSON Schema documents by file name
// ("event.json", "pledge.json", ...).
func SchemaFiles() map[string][]byte {
	out := map[string][]byte{}
	entries, _ := schemaFS.ReadDir("schemas")
	for _, e := range entries {
		b, _ := schemaFS.ReadFile(path.Join("schemas", e.Name()))
		out[e.Name()] = b
	}
	return out
}

// DataSchema returns the URL of the JSON Schema for events of kind k.
func DataSchema(k Kind) string { return SchemaBaseURL + string(k) + ".json" }

var compiled struct {
	once  sync.Once
	kinds map[Kind]*jsonschema.Schema
	err   error
}

func kindSchemas() (map[Kind]*jsonschema.Schema, error) {
	compiled.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		for name, b := range SchemaFiles() {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				compiled.err = fmt.Errorf("schema %s: %w", name, err)
				return
			}
			if err := c.AddResource(SchemaBaseURL+name, doc); err != nil {
				compiled.err = fmt.Errorf("schema %s: %w", name, err)
				return
			}
		}
		compiled.kinds = map[Kind]*jsonschema.Schema{}
		for _, k := range Kinds {
			s, err := c.Compile(DataSchema(k))
			if err != nil {
				compiled.err = fmt.Errorf("compile schema for %s: %w", k, err)
				return
			}
			compiled.kinds[k] = s
		}
	})
	return compiled.kinds, compiled.err
}

// validateSchema checks a decoded JSON document (from jsonschema.UnmarshalJSON)
// against the schema of its kind and returns the problems found, by field path.
func validateSchema(doc any) []Problem {
	obj, ok := doc.(map[string]any)
	if !ok {
		return []Problem{{Path: "", Message: "an event must be a JSON object"}}
	}
	k, _ := obj["kind"].(string)
	if !Kind(k).Valid() {
		msg := "required: one of " + kindList()
		if _, present := obj["kind"]; present {
			msg = fmt.Sprintf("unknown kind %q: want one of %s", obj["kind"], kindList())
		}
		return []Problem{{Path: "kind", Message: msg}}
	}
	schemas, err := kindSchemas()
	if err != nil {
		// The schemas are embedded and tested; failing here is a build defect.
		panic(err)
	}
	err = schemas[Kind(k)].Validate(doc)
	if err == nil {
		return nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []Problem{{Message: err.Error()}}
	}
	var out []Problem
	collectProblems(verr, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return dropFalseUnknowns(dedupProblems(out))
}

var printer = message.NewPrinter(language.English)

func collectProblems(e *jsonschema.ValidationError, out *[]Problem) {
	if len(e.Causes) > 0 {
		switch e.ErrorKind.(type) {
		case *kind.AnyOf, *kind.OneOf:
			// The alternatives failed; report the group, not each branch.
			*out = append(*out, Problem{Path: fieldPath(e.InstanceLocation), Message: groupMessage(e)})
			return
		}
		for _, c := range e.Causes {
			collectProblems(c, out)
		}
		return
	}
	loc := e.InstanceLocation
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, Problem{Path: fieldPath(append(append([]string{}, loc...), m)), Message: "required"})
		}
	case *kind.DependentRequired:
		for _, m := range k.Missing {
			*out = append(*out, Problem{Path: fieldPath(append(append([]string{}, loc...), m)), Message: "required when " + k.Prop + " is given"})
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, Problem{Path: fieldPath(append(append([]string{}, loc...), p)), Message: "unknown field"})
		}
	case *kind.FalseSchema:
		*out = append(*out, Problem{Path: fieldPath(loc), Message: "unknown field"})
	case *kind.Not:
		*out = append(*out, Problem{Path: fieldPath(loc), Message: "give either quantity and unit or amount and currency, not both"})
	default:
		*out = append(*out, Problem{Path: fieldPath(loc), Message: e.ErrorKind.LocalizedString(printer)})
	}
}

func groupMessage(e *jsonschema.ValidationError) string {
	if strings.HasSuffix(fieldPath(e.InstanceLocation), "deployment") {
		return "give a quantity, or complete: true"
	}
	return e.ErrorKind.LocalizedString(printer)
}

// commonFields are the top-level fields event.json declares.
var commonFields = map[string]bool{
	"id": true, "revision": true, "retracted": true, "kind": true, "coalition": true, "actor": true, "counterpart": true,
	"occurred_at": true, "reported_at": true, "source": true, "confidence": true, "summary": true, "gdelt": true,
}

// dropFalseUnknowns removes "unknown field" reports of declared common
// fields. When any common field is invalid, JSON Schema drops the
// annotations of event.json, and unevaluatedProperties then reports every
// common field as unknown; the real problem is reported beside them.
func dropFalseUnknowns(ps []Problem) []Problem {
	out := ps[:0]
	for _, p := range ps {
		if p.Message == "unknown field" && commonFields[p.Path] {
			continue
		}
		out = append(out, p)
	}
	return out
}

func dedupProblems(ps []Problem) []Problem {
	var out []Problem
	seen := map[Problem]bool{}
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// fieldPath turns JSON pointer tokens into a dotted path: pledge.quantity,
// meeting.participants[2].
func fieldPath(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if _, err := strconv.Atoi(t); err == nil && b.Len() > 0 {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// jsonDecodeProblem turns an encoding/json error into a Problem with a
// path. doc is the parsed document, used to find which field held a value
// that a field's own decoder (time.Time) rejected.
func jsonDecodeProblem(err error, doc any) Problem {
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &te):
		return Problem{Path: te.Field, Message: fmt.Sprintf("must be %s, not %s", jsonTypeName(te.Type), te.Value)}
	case errors.As(err, &pe):
		path := ""
		if obj, ok := doc.(map[string]any); ok {
			for _, f := range []string{"occurred_at", "reported_at"} {
				if obj[f] == pe.Value {
					path = f
				}
			}
		}
		return Problem{Path: path, Message: fmt.Sprintf("%q is not a time Coalition reads: want RFC 3339 such as 2015-11-25T14:00:00Z", pe.Value)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return Problem{Message: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return Problem{Path: strings.Trim(f, `"`), Message: "unknown field"}
	}
	return Problem{Message: strings.TrimPrefix(msg, "json: ")}
}

// jsonTypeName names a Go type as JSON would.
func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	}
	return t.String()
}
