package schema_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// update rewrites the golden files under testdata/ with what the code
// produces now: go test ./schema/ -run TestParseEventInvalid -update.
// Review the diff before committing it.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenEvent is one event of a testdata/valid/<kind>.json file.
type goldenEvent struct {
	Name string      // "pledge.json[1]", for messages and subtest names
	Kind schema.Kind // the kind named by the file
	Raw  []byte      // the event document as written in the file
}

// validEvents returns every event of testdata/valid, file by file, in file
// order. Each file holds a JSON array of events of the kind it is named after.
func validEvents(tb testing.TB) []goldenEvent {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatal("no golden events in testdata/valid")
	}
	var out []goldenEvent
	for _, f := range files {
		base := filepath.Base(f)
		k := schema.Kind(strings.TrimSuffix(base, ".json"))
		if !k.Valid() {
			tb.Fatalf("%s: file name is not a kind", f)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(b, &raws); err != nil {
			tb.Fatalf("%s: want a JSON array of events: %v", f, err)
		}
		if len(raws) == 0 {
			tb.Fatalf("%s: no events", f)
		}
		for i, r := range raws {
			out = append(out, goldenEvent{Name: base + "[" + strconv.Itoa(i) + "]", Kind: k, Raw: []byte(r)})
		}
	}
	return out
}

// validEventsOf returns the golden events of one kind.
func validEventsOf(tb testing.TB, k schema.Kind) []goldenEvent {
	tb.Helper()
	var out []goldenEvent
	for _, g := range validEvents(tb) {
		if g.Kind == k {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no golden event of kind %s", k)
	}
	return out
}

// mustParse parses a document that must be a valid event.
func mustParse(tb testing.TB, data []byte) schema.Event {
	tb.Helper()
	ev, err := schema.ParseEvent(data)
	if err != nil {
		tb.Fatalf("ParseEvent(%s): %v", abbrev(data), err)
	}
	return ev
}

// mustEncode encodes an event that must be valid.
func mustEncode(tb testing.TB, ev *schema.Event) schema.Message {
	tb.Helper()
	msg, err := schema.Encode(ev, "/producers/test")
	if err != nil {
		tb.Fatalf("Encode(%s): %v", ev.ID, err)
	}
	return msg
}

// headerOf turns a header map into the lookup Decode wants.
func headerOf(h map[string]string) func(string) string {
	return func(name string) string { return h[name] }
}

// problemLines renders the problems of err, one Problem.String per line,
// in the order returned.
func problemLines(err error) string {
	var b strings.Builder
	for _, p := range schema.ErrorProblems(err) {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// problemPaths returns the paths of err's problems, in the order returned.
func problemPaths(err error) []string {
	ps := schema.ErrorProblems(err)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Path
	}
	return out
}

// hasPath reports whether err has a problem at path.
func hasPath(err error, path string) bool {
	return slices.Contains(problemPaths(err), path)
}

// checkGolden compares got with the golden file at path, or rewrites the
// file under -update.
func checkGolden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// sameEvent reports whether two events are equal, comparing times as
// instants (a decoded time and its re-decoded copy may differ in *Location),
// the pledge's deadline included.
func sameEvent(a, b schema.Event) bool {
	if !a.OccurredAt.Equal(b.OccurredAt) || !a.ReportedAt.Equal(b.ReportedAt) {
		return false
	}
	a.OccurredAt, b.OccurredAt = time.Time{}, time.Time{}
	a.ReportedAt, b.ReportedAt = time.Time{}, time.Time{}
	if a.Pledge != nil && b.Pledge != nil {
		pa, pb := *a.Pledge, *b.Pledge
		switch {
		case (pa.Deadline == nil) != (pb.Deadline == nil):
			return false
		case pa.Deadline != nil && !pa.Deadline.Equal(*pb.Deadline):
			return false
		}
		pa.Deadline, pb.Deadline = nil, nil
		a.Pledge, b.Pledge = &pa, &pb
	}
	return reflect.DeepEqual(a, b)
}

// jsonObject decodes a document into a generic object, keeping numbers as
// written.
func jsonObject(tb testing.TB, data []byte) map[string]any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		tb.Fatalf("decode %s: %v", abbrev(data), err)
	}
	return m
}

// marshal encodes v or fails the test.
func marshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// abbrev shortens a document for a failure message.
func abbrev(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
