//go:build linux && (amd64 || arm64)

package clickhouse

// The chDB session of the current-ClickHouse tests (TestCurrentClickHouse,
// TestCurrentClickHouseCatalog).
//
// The library is loaded with purego directly rather than through
// github.com/chdb-io/chdb-go v1.11.0: that module dlopens libchdb.so in a
// package init, before any test runs, and panics when the library is not on
// its search path, so merely importing it would crash every test of this
// package; and on connect libchdb installs its own SIGSEGV, SIGBUS, SIGFPE...
// handlers over the Go runtime's, which turns any nil dereference in any
// test of the binary into a hang or a crash. Here the library is loaded on
// first use, its handlers are disabled and the Go runtime's are checked and
// restored. The C calls are the ones chdb-go v1.11.0 makes.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/google/uuid"
)

// chdbDefaultLib is where scripts/deps.sh --chdb installs libchdb.so,
// relative to this package's directory.
func chdbDefaultLib() string {
	arch := "x64"
	if runtime.GOARCH == "arm64" {
		arch = "arm64"
	}
	return "../.deps/chdb/node_modules/@chdb/lib-linux-" + arch + "-gnu/libchdb.so"
}

// chdbLib holds the functions of libchdb.so, loaded once per process.
var chdbLib struct {
	once sync.Once
	path string
	load time.Duration
	err  error

	connect       func(argc int, argv []*byte) *chdbConnection
	closeConn     func(conn *chdbConnection)
	query         func(conn unsafe.Pointer, query, format string) unsafe.Pointer
	destroyResult func(res unsafe.Pointer)
	resultBuffer  func(res unsafe.Pointer) *byte
	resultLength  func(res unsafe.Pointer) uintptr
	resultError   func(res unsafe.Pointer) string
	setSignals    func(enabled int32)
}

// chdbConnection is chDB's chdb_connection: a pointer to the connection.
type chdbConnection struct{ internal unsafe.Pointer }

// chdbMu serializes sessions: chDB allows one connection per process.
var chdbMu sync.Mutex

// chdbLibPath finds libchdb.so: $CHDB_LIB_PATH, else where deps.sh puts it.
func chdbLibPath() (string, bool) {
	p := os.Getenv("CHDB_LIB_PATH")
	if p == "" {
		p = chdbDefaultLib()
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p, false
	}
	fi, err := os.Stat(abs)
	return abs, err == nil && !fi.IsDir()
}

func chdbLoad(path string) error {
	chdbLib.once.Do(func() {
		chdbLib.path = path
		began := time.Now()
		h, err := purego.Dlopen(chdbLib.path, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err != nil {
			chdbLib.err = fmt.Errorf("dlopen %s: %w", chdbLib.path, err)
			return
		}
		for _, f := range []struct {
			fn   any
			name string
		}{
			{&chdbLib.connect, "chdb_connect"},
			{&chdbLib.closeConn, "chdb_close_conn"},
			{&chdbLib.query, "chdb_query"},
			{&chdbLib.destroyResult, "chdb_destroy_query_result"},
			{&chdbLib.resultBuffer, "chdb_result_buffer"},
			{&chdbLib.resultLength, "chdb_result_length"},
			{&chdbLib.resultError, "chdb_result_error"},
			{&chdbLib.setSignals, "chdb_set_signal_handlers_enabled"},
		} {
			if _, err := purego.Dlsym(h, f.name); err != nil {
				chdbLib.err = fmt.Errorf("%s: %w", chdbLib.path, err)
				return
			}
			purego.RegisterLibFunc(f.fn, h, f.name)
		}
		// Keep the Go runtime's signal handlers: disabling chDB's resets the
		// deadly signals to SIG_DFL, so save and restore around it.
		saved := chdbSignals()
		chdbLib.setSignals(0)
		chdbRestoreSignals(saved)
		chdbLib.load = time.Since(began)
	})
	return chdbLib.err
}

// chdbSigaction is a kernel struct sigaction, kept opaque (it is 32 bytes
// on amd64 and arm64).
type chdbSigaction [64]byte

// chdbSignals returns the current disposition of every signal.
func chdbSignals() map[int]chdbSigaction {
	m := map[int]chdbSigaction{}
	for sig := 1; sig <= 64; sig++ {
		var old chdbSigaction
		if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e == 0 {
			m[sig] = old
		}
	}
	return m
}

// chdbRestoreSignals puts back the handlers of saved that the Go runtime
// installed (any non-default one) and that have changed since, and returns
// the signals it restored.
func chdbRestoreSignals(saved map[int]chdbSigaction) []int {
	var fixed []int
	now := chdbSignals()
	for sig, act := range saved {
		if act == (chdbSigaction{}) || now[sig] == act {
			continue
		}
		a := act
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&a)), 0, 8, 0, 0)
		fixed = append(fixed, sig)
	}
	sort.Ints(fixed)
	return fixed
}

// chdbSession is a chDB connection on a data directory.
type chdbSession struct {
	tb   testing.TB
	conn *chdbConnection
}

// openChdb loads the library and opens a session on a fresh directory; it
// holds chdbMu until the test ends.
func openChdb(t *testing.T) *chdbSession {
	t.Helper()
	path, ok := chdbLibPath()
	if !ok {
		t.Fatalf("libchdb.so not found: run scripts/deps.sh --chdb or set CHDB_LIB_PATH (looked at %s)", path)
	}
	chdbMu.Lock()
	t.Cleanup(chdbMu.Unlock)
	if err := chdbLoad(path); err != nil {
		t.Fatalf("load libchdb.so: %v", err)
	}
	t.Logf("libchdb.so: %s, loaded in %v", chdbLib.path, chdbLib.load.Round(time.Millisecond))
	var argv []*byte
	for _, a := range []string{"clickhouse", "--path=" + t.TempDir()} {
		b := append([]byte(a), 0)
		argv = append(argv, &b[0])
	}
	saved := chdbSignals()
	began := time.Now()
	conn := chdbLib.connect(len(argv), argv)
	runtime.KeepAlive(argv)
	after := chdbSignals()
	if fixed := chdbRestoreSignals(saved); len(fixed) > 0 {
		t.Errorf("chdb_connect replaced the Go runtime's handlers of signals %v (restored)", fixed)
	}
	for sig := 1; sig <= 64; sig++ {
		if saved[sig] == (chdbSigaction{}) && after[sig] != saved[sig] {
			t.Logf("chdb_connect installed a handler for signal %d, which the Go runtime does not handle", sig)
		}
	}
	if conn == nil {
		t.Fatal("chdb_connect failed")
	}
	t.Logf("chdb_connect: %v", time.Since(began).Round(time.Millisecond))
	s := &chdbSession{tb: t, conn: conn}
	t.Cleanup(func() { chdbLib.closeConn(conn) })
	return s
}

// run executes one statement and returns its output in format.
func (s *chdbSession) run(query, format string) ([]byte, error) {
	res := chdbLib.query(s.conn.internal, query, format)
	if res == nil {
		return nil, nil
	}
	defer chdbLib.destroyResult(res)
	if msg := chdbLib.resultError(res); msg != "" {
		return nil, fmt.Errorf("%s", strings.TrimSpace(msg))
	}
	n := chdbLib.resultLength(res)
	if n == 0 {
		return nil, nil
	}
	return bytes.Clone(unsafe.Slice(chdbLib.resultBuffer(res), n)), nil
}

// exec runs a statement that returns no rows and fails the test on error.
func (s *chdbSession) exec(query string) {
	s.tb.Helper()
	if _, err := s.run(query, "TSV"); err != nil {
		s.tb.Fatalf("%v\nquery: %s", err, query)
	}
}

// scalar runs a query that returns one value and returns it as text.
func (s *chdbSession) scalar(query string) string {
	s.tb.Helper()
	out, err := s.run(query, "TSVRaw")
	if err != nil {
		s.tb.Fatalf("%v\nquery: %s", err, query)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// rows runs a query and returns its rows as maps from column name to a
// value of the Go type clickhouse-go's native protocol scans the column's
// type into, which is what Store.query hands to BuildStatus. The column
// types are returned too.
func (s *chdbSession) rows(query string) ([]map[string]any, map[string]string, error) {
	out, err := s.run(query, "JSON")
	if err != nil {
		return nil, nil, err
	}
	var res struct {
		Meta []struct{ Name, Type string }
		Data []map[string]json.RawMessage
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, nil, fmt.Errorf("decode JSON output: %w\n%s", err, out)
	}
	types := map[string]string{}
	for _, m := range res.Meta {
		types[m.Name] = m.Type
	}
	var rows []map[string]any
	for _, d := range res.Data {
		r := make(map[string]any, len(d))
		for _, m := range res.Meta {
			v, err := chdbValue(m.Type, d[m.Name])
			if err != nil {
				return nil, nil, fmt.Errorf("column %s: %w", m.Name, err)
			}
			r[m.Name] = v
		}
		rows = append(rows, r)
	}
	return rows, types, nil
}

// chdbValue converts a value of JSON output to the Go type clickhouse-go
// scans the ClickHouse type into. Unexpected types are errors: a type change
// between versions changes what the store's conversions see.
func chdbValue(typ string, raw json.RawMessage) (any, error) {
	// Nullable(T): nil for NULL, else what T gives (clickhouse-go scans
	// into a *T, which Store.RunSQL dereferences).
	if inner, ok := strings.CutPrefix(typ, "Nullable("); ok {
		if string(raw) == "null" {
			return nil, nil
		}
		return chdbValue(strings.TrimSuffix(inner, ")"), raw)
	}
	// 64-bit integers and DateTime come quoted or not depending on settings.
	text := string(raw)
	if unq, err := strconv.Unquote(text); err == nil {
		text = unq
	}
	var (
		v   any
		err error
	)
	switch {
	case typ == "UInt8", typ == "UInt16", typ == "UInt32", typ == "UInt64":
		var n uint64
		n, err = strconv.ParseUint(text, 10, 64)
		v = map[string]any{"UInt8": uint8(n), "UInt16": uint16(n), "UInt32": uint32(n), "UInt64": n}[typ]
	case typ == "Int8", typ == "Int16", typ == "Int32", typ == "Int64":
		var n int64
		n, err = strconv.ParseInt(text, 10, 64)
		v = map[string]any{"Int8": int8(n), "Int16": int16(n), "Int32": int32(n), "Int64": n}[typ]
	case typ == "Float64":
		v, err = strconv.ParseFloat(text, 64)
	case typ == "Float32":
		var f float64
		f, err = strconv.ParseFloat(text, 32)
		v = float32(f)
	case typ == "Bool":
		v, err = strconv.ParseBool(text)
	case typ == "String", strings.HasPrefix(typ, "Enum8("), strings.HasPrefix(typ, "Enum16("):
		var str string
		err = json.Unmarshal(raw, &str)
		v = str
	case typ == "UUID":
		v, err = uuid.Parse(text)
	case typ == "DateTime", strings.HasPrefix(typ, "DateTime('"):
		// date_time_output_format = 'unix_timestamp'
		var sec int64
		sec, err = strconv.ParseInt(text, 10, 64)
		v = time.Unix(sec, 0).UTC()
	case typ == "Date":
		// always YYYY-MM-DD, whatever date_time_output_format says
		var d time.Time
		d, err = time.Parse(time.DateOnly, text)
		v = d
	case typ == "Array(String)":
		var a []string
		err = json.Unmarshal(raw, &a)
		if a == nil {
			a = []string{}
		}
		v = a
	default:
		return nil, fmt.Errorf("unexpected type %s (value %s)", typ, raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%s value %s: %w", typ, raw, err)
	}
	return v, nil
}

// chdbInsertColumns returns the names in InsertColumns, in order.
func chdbInsertColumns() []string {
	var cols []string
	for _, c := range strings.Split(InsertColumns, ",") {
		cols = append(cols, strings.TrimSpace(c))
	}
	return cols
}

// insert writes rows with the production INSERT statement followed by
// FORMAT JSONEachRow and one line per row of RowValues. Values are what the
// native driver sends for them: DateTime to the second in UTC, UUIDs as
// text.
func (s *chdbSession) insert(rows []Row) {
	s.tb.Helper()
	cols := chdbInsertColumns()
	var b strings.Builder
	b.WriteString("INSERT INTO events (" + InsertColumns + ") FORMAT JSONEachRow\n")
	now := time.Now()
	for i := range rows {
		args := RowValues(&rows[i], now)
		if len(args) != len(cols) {
			s.tb.Fatalf("InsertColumns has %d columns, RowValues returns %d values", len(cols), len(args))
		}
		b.WriteByte('{')
		for j, a := range args {
			switch x := a.(type) {
			case time.Time:
				a = x.UTC().Format(time.DateTime)
			case uuid.UUID:
				a = x.String()
			}
			v, err := json.Marshal(a)
			if err != nil {
				s.tb.Fatalf("column %s: %v", cols[j], err)
			}
			if j > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(cols[j])
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteString("}\n")
	}
	s.exec(b.String())
}
