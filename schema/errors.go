package schema

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Each maps to one HTTP status and one exit code, in exactly one
// place (ErrorCode's users: the HTTP API and the CLI).
const (
	EINVALID  = "invalid"   // the input is malformed or breaks a rule
	ENOTFOUND = "not_found" // the thing asked for does not exist
	ECONFLICT = "conflict"  // the input contradicts what is stored
	ETOOLARGE = "too_large" // the input is over a size limit
	EUNAVAIL  = "unavailable"
	EINTERNAL = "internal"
)

// Error is Coalition's error type: a code, a human message, and for invalid
// input the list of problems, each tied to a field path.
type Error struct {
	Code     string
	Message  string
	Problems []Problem
}

// Problem is one thing wrong with an input, located by a JSON field path
// (such as "pledge.quantity") and, for NDJSON input, a line number.
type Problem struct {
	Line    int    `json:"line,omitempty"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

// String renders the problem as "line 3: pledge.quantity: must be >= 0".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	if e.Message == "" {
		return strings.Join(parts, "; ")
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorProblems returns the problems of the first *Error in err's chain.
func ErrorProblems(err error) []Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problems
	}
	return nil
}
