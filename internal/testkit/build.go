package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var built struct {
	once sync.Once
	path string
	err  error
}

// Coalition builds the coalition command once per test binary (into a
// temporary directory) and returns its path, for tests that run it as a
// separate process. dir is the package directory of cmd/coalition relative
// to the test's package (".", "../cmd/coalition").
func Coalition(tb testing.TB, dir string) string {
	tb.Helper()
	built.once.Do(func() {
		tmp, err := os.MkdirTemp("", "coalition-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(tmp, "coalition")
		out, err := exec.Command("go", "build", "-o", built.path, dir).CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build %s: %v\n%s", dir, err, out)
		}
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.path
}
