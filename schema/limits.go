package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The limits on input. Sizes bound the memory one input can take; the JSON
// shape limits are checked by CheckLimits in one streaming pass, before a
// document is parsed into a tree, so that no input can make the parser or
// the JSON Schema validator do much work. A valid event stays well inside
// them: three levels of nesting (event, payload, participants), 13 fields
// in an object, one array of at most MaxParticipants countries, and strings
// of at most MaxTextChars characters (4000 bytes at most in UTF-8) or, for
// the source, MaxSourceChars (an ASCII or percent-encoded URL).
const (
	// MaxBatchBytes is the default of the largest request body the HTTP
	// API reads (httpapi.Config.MaxBodyBytes): an NDJSON batch of a few
	// thousand events. A larger body is answered 413.
	MaxBatchBytes = 16 << 20
	// MaxEventBytes is the largest event document accepted, in bytes.
	MaxEventBytes = 64 << 10
	// MaxDepth is how deeply objects and arrays may nest: the event object
	// is level 1, its payload level 2, the participants array level 3.
	MaxDepth = 8
	// MaxStringBytes is the longest JSON string, value or field name, in
	// bytes after unescaping.
	MaxStringBytes = 4096
	// MaxArrayLen is the most elements a JSON array may hold.
	MaxArrayLen = 256
	// MaxObjectKeys is the most fields a JSON object may hold (duplicates
	// counted).
	MaxObjectKeys = 64
	// MaxNumberLen is the longest number literal, in characters.
	MaxNumberLen = 64

	// MaxTextChars is the longest free text field (summary, quote, topic,
	// location, reason, measure, sector, description), in characters.
	MaxTextChars = 1000
	// MaxSourceChars is the longest source URL, in characters.
	MaxSourceChars = 2048
	// MaxParticipants is the most participants a meeting may list.
	MaxParticipants = 250

	// MaxReportedAhead is how far past the producer's clock reported_at may
	// be (see CheckTimes): a producer cannot report today what it will only
	// learn tomorrow, and a little slack absorbs clock skew and time zones
	// written wrongly.
	MaxReportedAhead = 24 * time.Hour
	// MaxScheduleYears is how far after reported_at occurred_at may be. An
	// event may be reported before it happens (a summit announced for next
	// month, a delivery scheduled for next year), but not decades ahead.
	MaxScheduleYears = 10
)

// CheckLimits scans a JSON document without building it and returns an
// *Error with code EINVALID naming the first place where it goes past
// MaxDepth, MaxStringBytes, MaxArrayLen, MaxObjectKeys or MaxNumberLen, or
// nil. It stops at the end of the first JSON value, and at the first syntax
// error, which it leaves to the parser to report. ParseEvent calls it.
func CheckLimits(data []byte) error {
	if p := limitProblem(data); p != nil {
		return &Error{Code: EINVALID, Message: "input over a limit", Problems: []Problem{*p}}
	}
	return nil
}

// withinLimitsQuick is a cheap sufficient test for CheckLimits passing: it
// reports true only if data certainly stays inside every limit (raw string
// lengths, non-ASCII bytes counted thrice, bound the unescaped ones; commas bound the members of a
// container, counted against the smaller of MaxArrayLen and MaxObjectKeys).
// False means "look closer", not "over a limit". The fast path of
// ParseEvent uses it; FuzzCheckLimits holds it to CheckLimits.
func withinLimitsQuick(data []byte) bool {
	const maxMembers = min(MaxArrayLen, MaxObjectKeys)
	var commas [MaxDepth + 1]int
	depth := 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			// Unescaping never lengthens ASCII, but each byte of invalid
			// UTF-8 becomes U+FFFD, three bytes: count every byte past
			// ASCII as three.
			j, n := i+1, 0
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
					n++
				}
				if j < len(data) && data[j] >= 0x80 {
					n += 3
				} else {
					n++
				}
				j++
			}
			if n > MaxStringBytes {
				return false
			}
			i = j
		case c == '{' || c == '[':
			if depth++; depth > MaxDepth {
				return false
			}
			commas[depth] = 0
		case c == '}' || c == ']':
			if depth--; depth < 0 {
				return false
			}
		case c == ',':
			if depth > 0 {
				if commas[depth]++; commas[depth] >= maxMembers {
					return false
				}
			}
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			for j < len(data) && (data[j] == '-' || data[j] == '+' || data[j] == '.' || data[j] == 'e' || data[j] == 'E' || (data[j] >= '0' && data[j] <= '9')) {
				j++
			}
			if j-i > MaxNumberLen {
				return false
			}
			i = j - 1
		}
	}
	return true
}

// limitFrame is one open object or array during the scan.
type limitFrame struct {
	object  bool
	wantKey bool   // object: the next token is a field name or '}'
	key     string // object: the field whose value is being read
	n       int    // fields or elements so far
}

func limitProblem(data []byte) *Problem {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []limitFrame
	problem := func(depth int, format string, args ...any) *Problem {
		return &Problem{Path: limitPath(stack[:depth]), Message: fmt.Sprintf(format, args...)}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error the parser will report
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return nil
			}
			continue
		}
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			switch {
			case top.object && top.wantKey:
				key, _ := tok.(string)
				top.n++
				if top.n > MaxObjectKeys {
					return problem(n-1, "more than %d fields in one object", MaxObjectKeys)
				}
				if len(key) > MaxStringBytes {
					return problem(n-1, "field name longer than %d bytes", MaxStringBytes)
				}
				top.key, top.wantKey = key, false
				continue
			case top.object:
				top.wantKey = true
			default:
				top.n++
				if top.n > MaxArrayLen {
					return problem(n-1, "array longer than %d elements", MaxArrayLen)
				}
			}
		}
		switch v := tok.(type) {
		case json.Delim: // '{' or '['
			if len(stack) >= MaxDepth {
				return problem(len(stack), "nested deeper than %d levels", MaxDepth)
			}
			stack = append(stack, limitFrame{object: v == '{', wantKey: v == '{'})
			continue
		case string:
			if len(v) > MaxStringBytes {
				return problem(len(stack), "string longer than %d bytes", MaxStringBytes)
			}
		case json.Number:
			if len(v) > MaxNumberLen {
				return problem(len(stack), "number longer than %d characters", MaxNumberLen)
			}
		}
		if len(stack) == 0 {
			return nil // the document is one string, number, bool or null
		}
	}
}

// limitPath is the path, as Problem.Path writes it (pledge.quantity,
// meeting.participants[2]), of the value being read in the innermost of the
// open containers.
func limitPath(stack []limitFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.object {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		} else {
			b.WriteString("[" + strconv.Itoa(f.n-1) + "]")
		}
	}
	return b.String()
}

// CheckTimes applies the rules about time against the producer's clock,
// now: reported_at may be at most MaxReportedAhead after now, and
// occurred_at at most MaxScheduleYears after reported_at. A missing
// reported_at counts as now, which is what Normalize will set, so that an
// intake can check an event before it is normalized. It returns an *Error
// with code EINVALID listing the problems, or nil.
//
// Producers and the HTTP intake call it; consumers do not, so that
// replaying history never depends on the day it is replayed. The rule that
// needs no clock (occurred_at against a given reported_at) is also part of
// ParseEvent and Validate.
func CheckTimes(e *Event, now time.Time) error {
	var ps []Problem
	reported := e.ReportedAt
	if reported.IsZero() {
		reported = now
	} else if reported.After(now.Add(MaxReportedAhead)) {
		ps = append(ps, Problem{Path: "reported_at", Message: fmt.Sprintf(
			"%s is more than %d hours after now (%s): an event cannot be reported in the future",
			reported.UTC().Format(time.RFC3339), int(MaxReportedAhead.Hours()), now.UTC().Format(time.RFC3339))})
	}
	if p, ok := scheduleProblem(e.OccurredAt, reported); ok {
		ps = append(ps, p)
	}
	if len(ps) > 0 {
		return &Error{Code: EINVALID, Message: "invalid event", Problems: ps}
	}
	return nil
}

// scheduleProblem reports an occurred_at more than MaxScheduleYears after
// reported_at. Zero times pass: their absence is reported elsewhere.
func scheduleProblem(occurred, reported time.Time) (Problem, bool) {
	if occurred.IsZero() || reported.IsZero() || !occurred.After(reported.UTC().AddDate(MaxScheduleYears, 0, 0)) {
		return Problem{}, false
	}
	return Problem{Path: "occurred_at", Message: fmt.Sprintf(
		"%s is more than %d years after reported_at (%s): an event may be reported before it happens, not that long before",
		occurred.UTC().Format(time.RFC3339), MaxScheduleYears, reported.UTC().Format(time.RFC3339))}, true
}
