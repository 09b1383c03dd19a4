package schema_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/coalitiondev/coalition/schema"
)

func TestErrorCode(t *testing.T) {
	invalid := &schema.Error{Code: schema.EINVALID, Message: "invalid event"}
	notFound := schema.Errorf(schema.ENOTFOUND, "country %q", "XYZ")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"Nil", nil, ""},
		{"Error", invalid, schema.EINVALID},
		{"Errorf", notFound, schema.ENOTFOUND},
		{"Wrapped", fmt.Errorf("publish: %w", invalid), schema.EINVALID},
		{"WrappedTwice", fmt.Errorf("cli: %w", fmt.Errorf("publish: %w", notFound)), schema.ENOTFOUND},
		{"Joined", errors.Join(io.EOF, notFound), schema.ENOTFOUND},
		{"FirstInChain", fmt.Errorf("%w", &schema.Error{Code: schema.ECONFLICT, Problems: []schema.Problem{{Message: "x"}}}), schema.ECONFLICT},
		{"Other", io.ErrUnexpectedEOF, schema.EINTERNAL},
		{"WrappedOther", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), schema.EINTERNAL},
		{"NotWrapped", fmt.Errorf("publish: %v", invalid), schema.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schema.ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorProblems(t *testing.T) {
	ps := []schema.Problem{{Path: "pledge.quantity", Message: "must be >= 0"}, {Line: 3, Path: "actor", Message: "required"}}
	invalid := &schema.Error{Code: schema.EINVALID, Message: "invalid event", Problems: ps}
	tests := []struct {
		name string
		err  error
		want []schema.Problem
	}{
		{"Nil", nil, nil},
		{"Error", invalid, ps},
		{"Wrapped", fmt.Errorf("line 3: %w", invalid), ps},
		{"NoProblems", schema.Errorf(schema.ENOTFOUND, "no such coalition"), nil},
		{"Other", io.EOF, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schema.ErrorProblems(tt.err); !slices.Equal(got, tt.want) {
				t.Errorf("ErrorProblems = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		p    schema.Problem
		want string
	}{
		{"Full", schema.Problem{Line: 3, Path: "pledge.quantity", Message: "must be >= 0"}, "line 3: pledge.quantity: must be >= 0"},
		{"NoLine", schema.Problem{Path: "pledge.quantity", Message: "must be >= 0"}, "pledge.quantity: must be >= 0"},
		{"NoPath", schema.Problem{Line: 7, Message: "invalid JSON: unexpected EOF"}, "line 7: invalid JSON: unexpected EOF"},
		{"MessageOnly", schema.Problem{Message: "an event must be a JSON object"}, "an event must be a JSON object"},
		{"Index", schema.Problem{Path: "meeting.participants[2]", Message: "unknown country code \"XYZ\""}, "meeting.participants[2]: unknown country code \"XYZ\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorError(t *testing.T) {
	p1 := schema.Problem{Path: "actor", Message: "required"}
	p2 := schema.Problem{Line: 2, Path: "pledge.unit", Message: "required when quantity is given"}
	tests := []struct {
		name string
		err  *schema.Error
		want string
	}{
		{"MessageOnly", &schema.Error{Code: schema.ENOTFOUND, Message: "no such coalition"}, "no such coalition"},
		{"MessageAndProblems", &schema.Error{Code: schema.EINVALID, Message: "invalid event", Problems: []schema.Problem{p1, p2}},
			"invalid event: actor: required; line 2: pledge.unit: required when quantity is given"},
		{"ProblemsOnly", &schema.Error{Code: schema.EINVALID, Problems: []schema.Problem{p1}}, "actor: required"},
		{"Empty", &schema.Error{Code: schema.EINTERNAL}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorf(t *testing.T) {
	err := schema.Errorf(schema.ECONFLICT, "event %s has revision %d", "0151", 2)
	if got, want := err.Code, schema.ECONFLICT; got != want {
		t.Errorf("Code = %q, want %q", got, want)
	}
	if got, want := err.Message, "event 0151 has revision 2"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if err.Problems != nil {
		t.Errorf("Problems = %v, want none", err.Problems)
	}
}

// TestErrorCodes pins the codes' values: they are mapped to HTTP statuses
// and exit codes elsewhere and travel in API responses.
func TestErrorCodes(t *testing.T) {
	got := []string{schema.EINVALID, schema.ENOTFOUND, schema.ECONFLICT, schema.EUNAVAIL, schema.EINTERNAL}
	want := []string{"invalid", "not_found", "conflict", "unavailable", "internal"}
	if !slices.Equal(got, want) {
		t.Errorf("codes = %q, want %q", got, want)
	}
}
