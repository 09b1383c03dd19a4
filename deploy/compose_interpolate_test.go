package deploy

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// lookupFunc finds a variable for interpolation, like os.LookupEnv.
type lookupFunc func(name string) (string, bool)

func noVariables(string) (string, bool) { return "", false }

func everyVariable(name string) (string, bool) { return "value-of-" + name, true }

func interpolateNode(n *yaml.Node, lookup lookupFunc) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := interpolateNode(c, lookup); err != nil {
				return err
			}
		}
	case yaml.MappingNode: // values only: compose does not interpolate keys
		for i := 1; i < len(n.Content); i += 2 {
			if err := interpolateNode(n.Content[i], lookup); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		v, err := interpolate(n.Value, lookup)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		n.Value = v
	}
	return nil
}

// interpolate expands $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?error} and ${VAR?error} the way compose does. Nested expressions
// are not supported.
func interpolate(s string, lookup lookupFunc) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i += 2
		case next == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q", s)
			}
			v, err := expand(s[i+2:i+2+end], lookup)
			if err != nil {
				return "", fmt.Errorf("%q: %w", s, err)
			}
			b.WriteString(v)
			i += 2 + end + 1
		case isNameByte(next, true):
			j := i + 1
			for j < len(s) && isNameByte(s[j], false) {
				j++
			}
			v, _ := lookup(s[i+1 : j])
			b.WriteString(v)
			i = j
		default:
			return "", fmt.Errorf("invalid interpolation in %q: write $$ for a literal $", s)
		}
	}
	return b.String(), nil
}

// expand evaluates the inside of one ${...}.
func expand(expr string, lookup lookupFunc) (string, error) {
	if strings.Contains(expr, "${") {
		return "", fmt.Errorf("nested ${...} in ${%s} is not supported here", expr)
	}
	n := 0
	for n < len(expr) && isNameByte(expr[n], n == 0) {
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("invalid variable name in ${%s}", expr)
	}
	name, op := expr[:n], expr[n:]
	value, set := lookup(name)
	switch {
	case op == "":
		return value, nil
	case strings.HasPrefix(op, ":-"):
		if value == "" {
			return op[2:], nil
		}
	case strings.HasPrefix(op, "-"):
		if !set {
			return op[1:], nil
		}
	case strings.HasPrefix(op, ":?"):
		if value == "" {
			return "", fmt.Errorf("%s is unset or empty: %s", name, op[2:])
		}
	case strings.HasPrefix(op, "?"):
		if !set {
			return "", fmt.Errorf("%s is unset: %s", name, op[1:])
		}
	default:
		return "", fmt.Errorf("unsupported operator in ${%s}", expr)
	}
	return value, nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

func TestInterpolate(t *testing.T) {
	vars := map[string]string{"SET": "v", "EMPTY": ""}
	lookup := func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "no variables", in: "nats://nats:4222", want: "nats://nats:4222"},
		{name: "escaped dollar", in: "$$USER", want: "$USER"},
		{name: "braced", in: "${SET}", want: "v"},
		{name: "bare", in: "a/$SET/b", want: "a/v/b"},
		{name: "unset is empty", in: "x${UNSET}y", want: "xy"},
		{name: "colon default when unset", in: "${UNSET:-d}", want: "d"},
		{name: "colon default when empty", in: "${EMPTY:-d}", want: "d"},
		{name: "colon default when set", in: "${SET:-d}", want: "v"},
		{name: "default when unset", in: "${UNSET-d}", want: "d"},
		{name: "no default when empty", in: "${EMPTY-d}", want: ""},
		{name: "required and set", in: "${SET:?need SET}", want: "v"},
		{name: "required and empty", in: "${EMPTY:?need EMPTY}", wantErr: true},
		{name: "required and unset", in: "${UNSET?need UNSET}", wantErr: true},
		{name: "unterminated", in: "${SET", wantErr: true},
		{name: "bad name", in: "${1X}", wantErr: true},
		{name: "lone dollar before digit", in: "$1", wantErr: true},
		{name: "trailing dollar", in: "a$", want: "a$"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := interpolate(tc.in, lookup)
			if tc.wantErr {
				if err == nil {
					t.Errorf("interpolate(%q) = %q, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("interpolate(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
