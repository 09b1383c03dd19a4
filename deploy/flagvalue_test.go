package deploy

import (
	"slices"
	"strings"
	"testing"
)

// flagValue returns the last value given to any of names (without dashes)
// in args, accepting -name value, --name value and -name=value.
func flagValue(args []string, names ...string) (string, bool) {
	var value string
	var found bool
	for i, arg := range args {
		if !strings.HasPrefix(arg, "-") {
			continue
		}
		name, v, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !slices.Contains(names, name) {
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				continue
			}
			v = args[i+1]
		}
		value, found = v, true
	}
	return value, found
}

func TestFlagValue(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		want   string
		wantOK bool
	}{
		{name: "short", args: []string{"-js", "-m", "8222"}, want: "8222", wantOK: true},
		{name: "long", args: []string{"--http_port", "8222"}, want: "8222", wantOK: true},
		{name: "equals", args: []string{"-m=8222"}, want: "8222", wantOK: true},
		{name: "last wins", args: []string{"-m", "1", "-m", "2"}, want: "2", wantOK: true},
		{name: "absent", args: []string{"-js", "-sd", "/data"}},
		{name: "no value", args: []string{"-m"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := flagValue(tc.args, "m", "http_port")
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
