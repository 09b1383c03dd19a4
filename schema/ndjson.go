package schema

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLineBytes is the longest NDJSON line accepted; longer lines are reported
// and skipped.
const MaxLineBytes = MaxEventBytes

// NDJSONFunc receives each non-blank line of an NDJSON input: its 1-based
// line number, and either the parsed event or the problem with it (an *Error
// whose problems carry the line number). Returning an error stops the read.
type NDJSONFunc func(line int, ev Event, err error) error

// ReadNDJSON reads newline-delimited JSON events from r and calls fn for every
// non-blank line, valid or not, so that one bad line never hides the good
// ones after it. It returns fn's error, or an error reading r.
func ReadNDJSON(r io.Reader, fn NDJSONFunc) error {
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	for {
		b, tooLong, err := readLine(br, MaxLineBytes)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read line %d: %w", line+1, err)
		}
		if len(b) > 0 || tooLong || err == nil {
			line++
		}
		if tooLong {
			perr := &Error{Code: EINVALID, Message: "invalid event", Problems: []Problem{{Line: line, Message: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}}}
			if ferr := fn(line, Event{}, perr); ferr != nil {
				return ferr
			}
		} else if t := bytes.TrimSpace(b); len(t) > 0 {
			ev, perr := ParseEvent(t)
			if perr != nil {
				perr = withLine(perr, line)
			}
			if ferr := fn(line, ev, perr); ferr != nil {
				return ferr
			}
		}
		if err != nil { // io.EOF
			return nil
		}
	}
}

// readLine returns the next line without its newline. Past max bytes it
// discards the rest of the line and reports tooLong.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			buf = append(buf, chunk...)
			// Allow for the terminator ("\r\n") before judging the length.
			if len(bytes.TrimRight(buf, "\r\n")) > max {
				tooLong, buf = true, nil
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(buf, "\r\n"), tooLong, err
	}
}

func withLine(err error, line int) error {
	var e *Error
	if !errors.As(err, &e) {
		return fmt.Errorf("line %d: %w", line, err)
	}
	out := &Error{Code: e.Code, Message: e.Message, Problems: make([]Problem, len(e.Problems))}
	for i, p := range e.Problems {
		p.Line = line
		out.Problems[i] = p
	}
	return out
}
