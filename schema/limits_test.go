package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// nest wraps inner in n arrays.
func nest(n int, inner string) string {
	return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
}

// jsonList returns a JSON array of n copies of elem.
func jsonList(n int, elem string) string {
	return "[" + strings.Join(repeatStrings(n, elem), ",") + "]"
}

// jsonFields returns a JSON object of n fields f0, f1, ... (or n copies of
// the same field when dup is set).
func jsonFields(n int, dup bool) string {
	fields := make([]string, n)
	for i := range fields {
		name := fmt.Sprintf("f%d", i)
		if dup {
			name = "f"
		}
		fields[i] = fmt.Sprintf("%q:%d", name, i)
	}
	return "{" + strings.Join(fields, ",") + "}"
}

func repeatStrings(n int, s string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// quoted returns a JSON string literal of n bytes of x.
func quoted(n int) string { return `"` + strings.Repeat("x", n) + `"` }

// TestCheckLimits checks each limit at its edge, and that the problem names
// the limit and the path where it was passed.
func TestCheckLimits(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // the problem, Problem.String; "" for none
	}{
		{"EmptyObject", `{}`, ""},
		{"Scalar", `1`, ""},
		{"DepthAtLimit", nest(schema.MaxDepth, "1"), ""},
		{"DepthOverLimit", nest(schema.MaxDepth+1, "1"), "[0][0][0][0][0][0][0][0]: nested deeper than 8 levels"},
		{"DepthFarOverLimit", nest(100000, ""), "[0][0][0][0][0][0][0][0]: nested deeper than 8 levels"},
		{"DepthOverLimitInObjects", `{"a":{"b":[{"c":[[{"d":{"e":{"f":1}}}]]}]}}`, "a.b[0].c[0][0].d.e: nested deeper than 8 levels"},
		{"DepthOverLimitInEvent", `{"kind":"meeting","meeting":{"participants":[[[[[[["FRA"]]]]]]]}}`, "meeting.participants[0][0][0][0][0][0]: nested deeper than 8 levels"},
		{"StringAtLimit", `{"summary":` + quoted(schema.MaxStringBytes) + `}`, ""},
		{"StringOverLimit", `{"summary":` + quoted(schema.MaxStringBytes+1) + `}`, "summary: string longer than 4096 bytes"},
		{"StringOverLimitAtTop", quoted(schema.MaxStringBytes + 1), "string longer than 4096 bytes"},
		{"StringInArrayOverLimit", `{"meeting":{"participants":["FRA",` + quoted(5000) + `]}}`, "meeting.participants[1]: string longer than 4096 bytes"},
		// The limit is on the string's bytes after unescaping: 4096 escaped
		// A's take 24576 bytes of input but are 4096 bytes long.
		{"StringEscapedAtLimit", `{"s":"` + strings.Repeat(`\u0041`, schema.MaxStringBytes) + `"}`, ""},
		{"StringTwoByteOverLimit", `{"s":"` + strings.Repeat("é", schema.MaxStringBytes/2) + `x"}`, "s: string longer than 4096 bytes"},
		{"FieldNameAtLimit", `{` + quoted(schema.MaxStringBytes) + `:1}`, ""},
		{"FieldNameOverLimit", `{"pledge":{` + quoted(schema.MaxStringBytes+1) + `:1}}`, "pledge: field name longer than 4096 bytes"},
		{"ArrayAtLimit", `{"meeting":{"participants":` + jsonList(schema.MaxArrayLen, `"FRA"`) + `}}`, ""},
		{"ArrayOverLimit", `{"meeting":{"participants":` + jsonList(schema.MaxArrayLen+1, `"FRA"`) + `}}`, "meeting.participants: array longer than 256 elements"},
		{"ArrayOfEmptyArraysOverLimit", jsonList(schema.MaxArrayLen+1, `[]`), "array longer than 256 elements"},
		{"KeysAtLimit", jsonFields(schema.MaxObjectKeys, false), ""},
		{"KeysOverLimit", `{"pledge":` + jsonFields(schema.MaxObjectKeys+1, false) + `}`, "pledge: more than 64 fields in one object"},
		{"DuplicateKeysOverLimit", jsonFields(schema.MaxObjectKeys+1, true), "more than 64 fields in one object"},
		{"NumberAtLimit", `{"pledge":{"quantity":` + strings.Repeat("9", schema.MaxNumberLen) + `}}`, ""},
		{"NumberOverLimit", `{"pledge":{"quantity":` + strings.Repeat("9", schema.MaxNumberLen+1) + `}}`, "pledge.quantity: number longer than 64 characters"},
		{"NumberFractionOverLimit", `{"confidence":0.` + strings.Repeat("0", schema.MaxNumberLen) + `}`, "confidence: number longer than 64 characters"},
		{"NumberExponentOverLimit", `[1e` + strings.Repeat("0", schema.MaxNumberLen-1) + `]`, "[0]: number longer than 64 characters"},
		// Syntax is the parser's to report; a limit passed before the
		// first syntax error is reported, one after it is not.
		{"SyntaxErrorFirst", `{"a" 1, "b":` + quoted(5000) + `}`, ""},
		{"LimitFirst", `{"b":` + quoted(5000) + `, "a" 1}`, "b: string longer than 4096 bytes"},
		{"Truncated", `{"a":[1,2`, ""},
		{"InvalidUTF8", "{\"a\":\"\xff\xfe\"}", ""},
		// Only the first value is scanned; what follows it is the parser's.
		{"SecondValue", `{} ` + nest(20, ""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := schema.CheckLimits([]byte(tt.doc))
			got := strings.Join(problemStrings(err), "; ")
			if got != tt.want {
				t.Errorf("CheckLimits = %q, want %q", got, tt.want)
			}
			if err != nil {
				if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
					t.Errorf("ErrorCode = %q, want %q", got, want)
				}
			}
		})
	}
}

// TestParseEventLimits checks that ParseEvent applies the limits before
// anything else: a document past one gets that problem alone, not what the
// schema or the Go rules would say about it.
func TestParseEventLimits(t *testing.T) {
	pledge := jsonObject(t, validEventsOf(t, schema.KindPledge)[0].Raw)
	tests := []struct {
		name   string
		mutate func(obj map[string]any)
		want   string
	}{
		{"SummaryOverStringLimit", func(obj map[string]any) { obj["summary"] = strings.Repeat("x", 5000) },
			"summary: string longer than 4096 bytes"},
		{"SummaryUnderStringLimit", func(obj map[string]any) { obj["summary"] = strings.Repeat("x", 1001) },
			"summary: longer than 1000 characters (1001)"},
		{"PayloadTooDeep", func(obj map[string]any) {
			obj["pledge"].(map[string]any)["asset"] = []any{[]any{[]any{[]any{[]any{[]any{[]any{"troops"}}}}}}}
		}, "pledge.asset[0][0][0][0][0][0]: nested deeper than 8 levels"},
		{"UnknownFieldsPastKeyLimit", func(obj map[string]any) {
			for i := range schema.MaxObjectKeys {
				obj[fmt.Sprintf("x%02d", i)] = true
			}
		}, "more than 64 fields in one object"},
		{"LongNumber", func(obj map[string]any) {
			obj["pledge"].(map[string]any)["quantity"] = json.Number("650." + strings.Repeat("0", 70))
		}, "pledge.quantity: number longer than 64 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := jsonObject(t, marshal(t, pledge))
			tt.mutate(obj)
			_, err := schema.ParseEvent(marshal(t, obj))
			if got, want := problemLines(err), tt.want+"\n"; got != want {
				t.Errorf("problems = %q, want %q", got, want)
			}
			if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q", got, want)
			}
		})
	}
}

// TestCheckTimes checks the rules against a clock: reported_at at most a
// day after now, and occurred_at at most ten years after reported_at, which
// is now when missing.
func TestCheckTimes(t *testing.T) {
	now := time.Date(2015, 11, 25, 12, 0, 0, 0, time.UTC)
	ev := mustParse(t, validEventsOf(t, schema.KindPledge)[0].Raw) // occurred 2015-11-23T10:30:00Z
	const (
		future    = "an event cannot be reported in the future"
		scheduled = "an event may be reported before it happens, not that long before"
	)
	tests := []struct {
		name     string
		reported time.Time
		occurred time.Time // zero: the golden event's
		want     []string
	}{
		{"Past", now.AddDate(-5, 0, 0), time.Time{}, nil},
		{"Now", now, time.Time{}, nil},
		{"AtLimit", now.Add(schema.MaxReportedAhead), time.Time{}, nil},
		{"AtLimitInParis", now.Add(schema.MaxReportedAhead).In(time.FixedZone("CET", 3600)), time.Time{}, nil},
		{"OverLimit", now.Add(schema.MaxReportedAhead + time.Second), time.Time{},
			[]string{"reported_at: 2015-11-26T12:00:01Z is more than 24 hours after now (2015-11-25T12:00:00Z): " + future}},
		{"NextYear", now.AddDate(1, 0, 0), time.Time{},
			[]string{"reported_at: 2016-11-25T12:00:00Z is more than 24 hours after now (2015-11-25T12:00:00Z): " + future}},
		{"Missing", time.Time{}, time.Time{}, nil},
		{"MissingScheduledAtLimit", time.Time{}, now.AddDate(10, 0, 0), nil},
		{"MissingScheduledTooFar", time.Time{}, now.AddDate(10, 0, 0).Add(time.Second),
			[]string{"occurred_at: 2025-11-25T12:00:01Z is more than 10 years after reported_at (2015-11-25T12:00:00Z): " + scheduled}},
		{"ScheduledTooFar", now.AddDate(-1, 0, 0), now.AddDate(9, 0, 0).Add(time.Second),
			[]string{"occurred_at: 2024-11-25T12:00:01Z is more than 10 years after reported_at (2014-11-25T12:00:00Z): " + scheduled}},
		{"Both", now.AddDate(0, 0, 2), now.AddDate(20, 0, 0), []string{
			"reported_at: 2015-11-27T12:00:00Z is more than 24 hours after now (2015-11-25T12:00:00Z): " + future,
			"occurred_at: 2035-11-25T12:00:00Z is more than 10 years after reported_at (2015-11-27T12:00:00Z): " + scheduled,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := ev
			ev.ReportedAt = tt.reported
			if !tt.occurred.IsZero() {
				ev.OccurredAt = tt.occurred
			}
			err := schema.CheckTimes(&ev, now)
			if got := problemStrings(err); !slices.Equal(got, tt.want) {
				t.Errorf("CheckTimes:\n got %q\nwant %q", got, tt.want)
			}
			if err != nil && schema.ErrorCode(err) != schema.EINVALID {
				t.Errorf("ErrorCode = %q, want %q", schema.ErrorCode(err), schema.EINVALID)
			}
			// What CheckTimes accepts, Normalize at now and Validate accept.
			if err == nil {
				if err := ev.Normalize(now); err != nil {
					t.Fatal(err)
				}
				if err := ev.Validate(); err != nil {
					t.Errorf("CheckTimes accepts, Validate after Normalize(now) does not: %v", err)
				}
			}
		})
	}
}

// overJSONLimits reports whether a parsed JSON value at the given depth
// passes one of the limits: the plain measure FuzzCheckLimits holds the
// scan to.
func overJSONLimits(v any, depth int) bool {
	switch x := v.(type) {
	case map[string]any:
		if depth+1 > schema.MaxDepth || len(x) > schema.MaxObjectKeys {
			return true
		}
		for k, e := range x {
			if len(k) > schema.MaxStringBytes || overJSONLimits(e, depth+1) {
				return true
			}
		}
	case []any:
		if depth+1 > schema.MaxDepth || len(x) > schema.MaxArrayLen {
			return true
		}
		for _, e := range x {
			if overJSONLimits(e, depth+1) {
				return true
			}
		}
	case string:
		return len(x) > schema.MaxStringBytes
	case json.Number:
		return len(x) > schema.MaxNumberLen
	}
	return false
}

// limitMessages are the messages CheckLimits may give.
var limitMessages = []string{
	"nested deeper than 8 levels",
	"string longer than 4096 bytes",
	"field name longer than 4096 bytes",
	"array longer than 256 elements",
	"more than 64 fields in one object",
	"number longer than 64 characters",
}

// FuzzCheckLimits holds the streaming scan to a plain measure of the parsed
// tree: it never panics, never accepts a document whose tree passes a
// limit, rejects exactly the trees past a limit once duplicate fields are
// gone (by re-encoding), and ParseEvent reports the same problem.
func FuzzCheckLimits(f *testing.F) {
	for _, g := range validEvents(f) {
		f.Add(g.Raw)
	}
	f.Add([]byte(nest(schema.MaxDepth, "1")))
	f.Add([]byte(nest(schema.MaxDepth+1, "{}")))
	f.Add([]byte(`{"a":{"b":[{"c":[[{"d":{"e":{"f":1}}}]]}]}}`))
	f.Add([]byte(`{"s":` + quoted(schema.MaxStringBytes+1) + `}`))
	f.Add([]byte(`{` + quoted(schema.MaxStringBytes+1) + `:1}`))
	f.Add([]byte(jsonList(schema.MaxArrayLen+1, "0")))
	f.Add([]byte(jsonFields(schema.MaxObjectKeys+1, true)))
	f.Add([]byte(`[` + strings.Repeat("1", schema.MaxNumberLen+1) + `]`))
	f.Add([]byte("{\"a\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := schema.CheckLimits(data)
		ps := schema.ErrorProblems(err)
		if err != nil && schema.WithinLimits(data) {
			t.Fatalf("the quick limit test passes %q, CheckLimits refuses it: %v", abbrev(data), err)
		}
		if err != nil {
			if len(ps) != 1 || !slices.Contains(limitMessages, ps[0].Message) {
				t.Fatalf("CheckLimits(%q) = %v, want one problem with one of the limit messages", abbrev(data), err)
			}
			if len(data) <= schema.MaxEventBytes && len(bytes.TrimSpace(data)) > 0 {
				_, perr := schema.ParseEvent(data)
				if got := schema.ErrorProblems(perr); len(got) != 1 || got[0] != ps[0] {
					t.Errorf("ParseEvent(%q) problems %v, want CheckLimits' %v", abbrev(data), got, ps)
				}
			}
		}
		if !json.Valid(data) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Skipf("json.Valid but Decode fails: %v", err) // deeper than encoding/json's own limit
		}
		over := overJSONLimits(v, 0)
		if err == nil && over {
			t.Fatalf("CheckLimits accepts %q, which passes a limit", abbrev(data))
		}
		again, merr := json.Marshal(v)
		if merr != nil {
			t.Fatalf("re-encode: %v", merr)
		}
		if err := schema.CheckLimits(again); (err != nil) != over {
			t.Fatalf("CheckLimits(%q) = %v, want an error: %v", abbrev(again), err, over)
		}
	})
}

// BenchmarkCheckLimits measures the scan on the largest golden event, and
// on a document at the event size limit.
func BenchmarkCheckLimits(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "valid", "pledge.json"))
	if err != nil {
		b.Fatal(err)
	}
	event := validEventsOf(b, schema.KindMeeting)[0].Raw
	for _, bb := range []struct {
		name string
		data []byte
	}{{"Event", event}, {"PledgeFile", raw}, {"MaxEventBytes", []byte(jsonList(schema.MaxEventBytes/256-1, quoted(250)))}} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.data)))
			for b.Loop() {
				_ = schema.CheckLimits(bb.data)
			}
		})
	}
}
