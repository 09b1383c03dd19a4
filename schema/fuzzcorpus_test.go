package schema_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/schema"
)

// TestFuzzCorpus checks that every fuzz target of the package has a seed
// corpus in testdata/fuzz/<FuzzName>/ of at least ten files in go test's
// format, and that the event seeds named valid-* still parse: a corpus of
// rejected inputs would fuzz the error paths only.
func TestFuzzCorpus(t *testing.T) {
	for _, target := range []string{"FuzzDecode", "FuzzReadNDJSON", "FuzzSubject", "FuzzParseEvent", "FuzzCheckLimits"} {
		t.Run(target, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(files), 10; got < want {
				t.Errorf("%d seed files, want at least %d", got, want)
			}
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(b, []byte("go test fuzz v1\n")) {
					t.Errorf("%s: not in the go test fuzz v1 format", f)
				}
				if target == "FuzzParseEvent" && strings.HasPrefix(filepath.Base(f), "valid-") {
					if _, err := schema.ParseEvent(seedBytes(t, f, b)); err != nil {
						t.Errorf("%s: a valid-* seed is rejected: %v", f, err)
					}
				}
			}
		})
	}
}

// seedBytes returns the value of a seed file holding one []byte.
func seedBytes(tb testing.TB, name string, file []byte) []byte {
	tb.Helper()
	lines := strings.Split(strings.TrimSpace(string(file)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
		tb.Fatalf("%s: want one []byte value", name)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return []byte(s)
}
