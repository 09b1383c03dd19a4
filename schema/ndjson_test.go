package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/schema"
)

// ndjsonLine is what ReadNDJSON reported for one line.
type ndjsonLine struct {
	line     int
	ev       schema.Event
	err      error
	problems []string // Problem.String of err's problems
}

// readAll runs ReadNDJSON over data and collects every call of fn.
func readAll(tb testing.TB, data []byte) []ndjsonLine {
	tb.Helper()
	var out []ndjsonLine
	err := schema.ReadNDJSON(bytes.NewReader(data), func(line int, ev schema.Event, err error) error {
		l := ndjsonLine{line: line, ev: ev, err: err}
		l.problems = problemStrings(err)
		out = append(out, l)
		return nil
	})
	if err != nil {
		tb.Fatalf("ReadNDJSON: %v", err)
	}
	return out
}

// problemStrings renders err's problems with Problem.String.
func problemStrings(err error) []string {
	var out []string
	for _, p := range schema.ErrorProblems(err) {
		out = append(out, p.String())
	}
	return out
}

// compact returns a golden event on one line.
func compact(tb testing.TB, raw []byte) string {
	tb.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

func TestReadNDJSON(t *testing.T) {
	meeting := compact(t, validEventsOf(t, schema.KindMeeting)[1].Raw)   // Hollande and Cameron
	pledge := compact(t, validEventsOf(t, schema.KindPledge)[0].Raw)     // Akrotiri
	incident := compact(t, validEventsOf(t, schema.KindIncident)[0].Raw) // the Su-24
	bad := strings.Replace(pledge, `"unit":"base"`, `"unit":"base","colour":"blue"`, 1)
	if bad == pledge {
		t.Fatal("test setup: could not break the pledge")
	}

	type want struct {
		line     int
		kind     schema.Kind // of the event, when valid
		problems []string    // when invalid
	}
	tests := []struct {
		name  string
		input string
		want  []want
	}{
		{"Empty", "", nil},
		{"OnlyBlankLines", "\n\n  \n\t\n", nil},
		{"OneLine", meeting + "\n", []want{{1, schema.KindMeeting, nil}}},
		{"NoTrailingNewline", meeting + "\n" + pledge, []want{{1, schema.KindMeeting, nil}, {2, schema.KindPledge, nil}}},
		{"BlankLines", "\n" + meeting + "\n\n   \n" + pledge + "\n\n", []want{{2, schema.KindMeeting, nil}, {5, schema.KindPledge, nil}}},
		{"CRLF", meeting + "\r\n\r\n" + pledge + "\r\n" + incident, []want{{1, schema.KindMeeting, nil}, {3, schema.KindPledge, nil}, {4, schema.KindIncident, nil}}},
		{"Indented", "  " + meeting + "  \n\t" + pledge + "\t\n", []want{{1, schema.KindMeeting, nil}, {2, schema.KindPledge, nil}}},
		{"InvalidInTheMiddle", meeting + "\n\n" + bad + "\n" + incident + "\n", []want{
			{1, schema.KindMeeting, nil},
			{3, "", []string{"line 3: pledge.colour: unknown field"}},
			{4, schema.KindIncident, nil},
		}},
		{"NotJSON", "hello\n" + pledge + "\n", []want{
			{1, "", []string{"line 1: invalid JSON: invalid character 'h' looking for beginning of value"}},
			{2, schema.KindPledge, nil},
		}},
		{"ArrayIsNotNDJSON", "[" + pledge + "]\n", []want{{1, "", []string{"line 1: an event must be a JSON object"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, []byte(tt.input))
			if len(got) != len(tt.want) {
				t.Fatalf("ReadNDJSON reported %d lines, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.line != w.line {
					t.Errorf("call %d: line %d, want %d", i, g.line, w.line)
				}
				if w.problems == nil {
					if g.err != nil {
						t.Errorf("line %d: %v, want a %s event", g.line, g.err, w.kind)
					} else if g.ev.Kind != w.kind {
						t.Errorf("line %d: kind %q, want %q", g.line, g.ev.Kind, w.kind)
					}
					continue
				}
				if got, want := schema.ErrorCode(g.err), schema.EINVALID; got != want {
					t.Errorf("line %d: ErrorCode = %q, want %q", g.line, got, want)
				}
				if !slices.Equal(g.problems, w.problems) {
					t.Errorf("line %d: problems %q, want %q", g.line, g.problems, w.problems)
				}
			}
		})
	}
}

// TestReadNDJSONLongLines checks MaxLineBytes: a longer line is reported
// with its number and skipped, and the reading goes on after it.
func TestReadNDJSONLongLines(t *testing.T) {
	pledge := compact(t, validEventsOf(t, schema.KindPledge)[1].Raw)
	statement := compact(t, validEventsOf(t, schema.KindStatement)[0].Raw)
	// padTo makes a valid event line of exactly n bytes by adding spaces
	// after the opening brace.
	padTo := func(n int) string {
		return "{" + strings.Repeat(" ", n-len(pledge)) + pledge[1:]
	}
	tooLong := fmt.Sprintf("line longer than %d bytes", schema.MaxLineBytes)

	tests := []struct {
		name  string
		input string
		lines []int    // reported line numbers
		errs  []string // "" for a valid event, else the problems joined
	}{
		{"OverLimit", statement + "\n" + padTo(schema.MaxLineBytes+1) + "\n" + pledge + "\n",
			[]int{1, 2, 3}, []string{"", "line 2: " + tooLong, ""}},
		{"FarOverLimit", strings.Repeat("x", 3*schema.MaxLineBytes+17) + "\n" + pledge + "\n",
			[]int{1, 2}, []string{"line 1: " + tooLong, ""}},
		{"OverLimitAtEOF", pledge + "\n" + padTo(schema.MaxLineBytes+1),
			[]int{1, 2}, []string{"", "line 2: " + tooLong}},
		{"OverLimitThenBlank", padTo(2*schema.MaxLineBytes) + "\n\n" + statement,
			[]int{1, 3}, []string{"line 1: " + tooLong, ""}},
		{"AtLimit", padTo(schema.MaxLineBytes) + "\n" + statement + "\n",
			[]int{1, 2}, []string{"", ""}},
		{"AtLimitCRLF", padTo(schema.MaxLineBytes) + "\r\n" + statement + "\r\n",
			[]int{1, 2}, []string{"", ""}},
		{"AtLimitAtEOF", statement + "\n" + padTo(schema.MaxLineBytes),
			[]int{1, 2}, []string{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, []byte(tt.input))
			var lines []int
			var errs []string
			for _, g := range got {
				lines = append(lines, g.line)
				errs = append(errs, strings.Join(g.problems, "; "))
				if g.err != nil {
					for _, p := range schema.ErrorProblems(g.err) {
						if p.Line != g.line {
							t.Errorf("problem %q has line %d, want %d", p, p.Line, g.line)
						}
					}
				}
			}
			if !slices.Equal(lines, tt.lines) {
				t.Errorf("lines = %v, want %v", lines, tt.lines)
			}
			if !slices.Equal(errs, tt.errs) {
				t.Errorf("problems = %q, want %q", errs, tt.errs)
			}
		})
	}
}

// TestReadNDJSONStop checks that fn's error stops the read and is returned.
func TestReadNDJSONStop(t *testing.T) {
	pledge := compact(t, validEventsOf(t, schema.KindPledge)[0].Raw)
	input := pledge + "\n" + pledge + "\n" + pledge + "\n"
	stop := errors.New("stop")
	var calls int
	err := schema.ReadNDJSON(strings.NewReader(input), func(line int, ev schema.Event, err error) error {
		calls++
		if line == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("ReadNDJSON = %v, want fn's error", err)
	}
	if calls != 2 {
		t.Errorf("fn called %d times, want 2", calls)
	}
}

// TestReadNDJSONReadError checks that an error reading the input is returned
// with the number of the line being read.
func TestReadNDJSONReadError(t *testing.T) {
	pledge := compact(t, validEventsOf(t, schema.KindPledge)[0].Raw)
	broken := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(pledge+"\n"+pledge[:10]), &errReader{broken})
	var lines []int
	err := schema.ReadNDJSON(r, func(line int, ev schema.Event, err error) error {
		lines = append(lines, line)
		return nil
	})
	if !errors.Is(err, broken) {
		t.Fatalf("ReadNDJSON = %v, want the read error", err)
	}
	if got, want := lines, []int{1}; !slices.Equal(got, want) {
		t.Errorf("lines = %v, want %v", got, want)
	}
	if !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error %q does not name line 2", err)
	}
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

// FuzzReadNDJSON checks, for any input, that ReadNDJSON never panics, calls
// fn exactly once for each non-blank line with that line's number, in
// order, and says about the line what ParseEvent says about it.
func FuzzReadNDJSON(f *testing.F) {
	var all []string
	for _, g := range validEvents(f) {
		line := compact(f, g.Raw)
		all = append(all, line)
		f.Add([]byte(line + "\n"))
	}
	f.Add([]byte(strings.Join(all, "\n")))
	f.Add([]byte(strings.Join(all, "\r\n\r\n") + "\r\n"))
	f.Add([]byte("\n\n" + all[0] + "\n{}\n\n"))
	f.Add([]byte("hello\n\n\r\n" + all[1]))
	f.Add([]byte(""))
	f.Add([]byte("\n"))
	f.Add([]byte(" \u00a0\n\u0085\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The lines as ReadNDJSON should see them: split on '\n', without
		// a final empty piece after a trailing newline. A line is reported
		// when it is not blank, or when it is longer than MaxLineBytes
		// without its terminator (then whatever it holds).
		lines := bytes.Split(data, []byte("\n"))
		if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		tooLong := func(i int) bool {
			return len(bytes.TrimRight(lines[i], "\r")) > schema.MaxLineBytes
		}
		var want []int
		for i, l := range lines {
			if tooLong(i) || len(bytes.TrimSpace(l)) > 0 {
				want = append(want, i+1)
			}
		}

		var got []int
		err := schema.ReadNDJSON(bytes.NewReader(data), func(line int, ev schema.Event, err error) error {
			if line < 1 || line > len(lines) {
				t.Fatalf("line %d out of range 1..%d", line, len(lines))
			}
			got = append(got, line)
			if tooLong(line - 1) {
				want := fmt.Sprintf("line %d: line longer than %d bytes", line, schema.MaxLineBytes)
				if got := strings.Join(problemStrings(err), "; "); got != want {
					t.Errorf("line %d: problems %q, want %q", line, got, want)
				}
				return nil
			}
			content := bytes.TrimSpace(lines[line-1])
			wantEv, wantErr := schema.ParseEvent(content)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("line %d: ReadNDJSON says %v, ParseEvent says %v", line, err, wantErr)
			}
			if err == nil {
				if !sameEvent(ev, wantEv) {
					t.Errorf("line %d: event %+v, ParseEvent gives %+v", line, ev, wantEv)
				}
				return nil
			}
			ps, wantPs := schema.ErrorProblems(err), schema.ErrorProblems(wantErr)
			if len(ps) != len(wantPs) {
				t.Fatalf("line %d: problems %v, ParseEvent gives %v", line, ps, wantPs)
			}
			for i, p := range ps {
				if p.Line != line {
					t.Errorf("line %d: problem %q has line %d", line, p, p.Line)
				}
				p.Line = 0
				if p != wantPs[i] {
					t.Errorf("line %d: problem %q, ParseEvent gives %q", line, p, wantPs[i])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("ReadNDJSON: %v", err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("lines reported %v, want the non-blank lines %v", got, want)
		}
	})
}
