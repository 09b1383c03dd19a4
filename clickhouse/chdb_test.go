//go:build linux && (amd64 || arm64)

package clickhouse

// TestCurrentClickHouse runs the production SQL (migrations and named
// queries, exactly as the store sends them) on current ClickHouse, embedded
// as chDB's libchdb.so, and holds the answers equal to the Go reference at
// several moments: status (through BuildStatus) to schema.FoldAsOf, the
// anomalies and the commitments fragment to schema.FoldCommitments, the
// dedup_events fragment to schema.Knowledge. The store's own tests run the
// same SQL on Debian's ClickHouse 18.16; together they keep the SQL portable
// across both.
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
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
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

	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/schema"
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

// chdbEdit changes a query text before it runs (nil: none); the mutation
// test breaks queries with it.
type chdbEdit func(string) string

// chdbNamed returns the text the store runs for a named query or fragment
// on a coalition at a moment (bound with StatusParams), edited by edit.
func chdbNamed(name, coalition string, at time.Time, edit chdbEdit) (string, error) {
	text, err := Query(name)
	if err != nil {
		return "", err
	}
	text, err = Bind(text, StatusParams(coalition, at))
	if err != nil {
		return "", fmt.Errorf("query %s: %w", name, err)
	}
	if edit != nil {
		text = edit(text)
	}
	return text, nil
}

// namedRows runs a named query as chdbNamed writes it.
func (s *chdbSession) namedRows(name, coalition string, at time.Time, edit chdbEdit) ([]map[string]any, map[string]string, error) {
	text, err := chdbNamed(name, coalition, at, edit)
	if err != nil {
		return nil, nil, err
	}
	rows, types, err := s.rows(text)
	if err != nil {
		return nil, nil, fmt.Errorf("query %s: %w", name, err)
	}
	return rows, types, nil
}

// chdbSet is one generated event set, stored under its own coalition.
type chdbSet struct {
	seed      uint64
	coalition string
	events    []schema.Event // as generated, before duplication
	// moments to check: now, and three moments during the story
	moments []time.Time
}

// chdbSmallSeeds is the number of seeds whose sets are as small as those of
// TestCountryStatusMatchesFold; later seeds make bigger sets.
const chdbSmallSeeds = 12

// eventSet generates the events of one seed as
// TestCountryStatusMatchesFold does: random events of two coalitions with
// revisions and retractions, plus duplicates and redeliveries, shuffled,
// written in batches, the big sets of even seeds on the hour or the day (so
// that many events share a second); and picks the moments to check as it
// does.
func (s *chdbSession) eventSet(seed uint64) chdbSet {
	s.tb.Helper()
	r := rand.New(rand.NewPCG(seed, 2026))
	set := chdbSet{seed: seed, coalition: fmt.Sprintf("current-%d", seed)}
	pool := []int{4, 12, 40}[seed%3]
	n := 20 + r.IntN(200)
	if seed > chdbSmallSeeds {
		// Big sets, so that some lines total several commitments.
		n = 1000 + r.IntN(1000)
	}
	opts := eventgen.Options{Coalitions: []string{set.coalition, "other"}, Commitments: pool, Revisions: true}
	if seed > chdbSmallSeeds && seed%2 == 0 {
		// Events on the hour or the day: many share a second, so that ties
		// and the boundaries of "after" and "before" are tested too.
		opts.Tick = []time.Duration{time.Hour, 24 * time.Hour}[seed/2%2]
	}
	set.events = eventgen.Events(r, n, opts)
	all := append([]schema.Event{}, set.events...)
	for i := r.IntN(len(set.events)); i > 0; i-- {
		all = append(all, set.events[r.IntN(len(set.events))])
	}
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	rows := make([]Row, len(all))
	for i := range all {
		data, err := json.Marshal(&all[i])
		if err != nil {
			s.tb.Fatal(err)
		}
		rows[i] = Row{Event: all[i], Data: data, StreamSeq: uint64(i + 1)}
	}
	batch := 40
	if seed > chdbSmallSeeds {
		batch = 400 // each INSERT costs some 13ms
	}
	for len(rows) > 0 {
		n := min(len(rows), 1+r.IntN(batch))
		s.insert(rows[:n])
		rows = rows[n:]
	}
	set.moments = []time.Time{time.Now()}
	for i := 0; i < 3; i++ {
		set.moments = append(set.moments, time.Date(2015, 11, 13, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(20*24*3600))*time.Second))
	}
	return set
}

// chdbCheck compares the answer of some queries on one set at one moment
// with the Go reference, edit applied to every query text, and returns the
// differences. An error is a query that fails.
type chdbCheck func(s *chdbSession, st chdbSet, at time.Time, edit chdbEdit) ([]string, error)

// chdbStatus: status_summary and status_lines through BuildStatus, as
// Store.CountryStatusAsOf computes them, against schema.FoldAsOf.
func chdbStatus(s *chdbSession, st chdbSet, at time.Time, edit chdbEdit) ([]string, error) {
	summary, _, err := s.namedRows("status_summary", st.coalition, at, edit)
	if err != nil {
		return nil, err
	}
	lines, _, err := s.namedRows("status_lines", st.coalition, at, edit)
	if err != nil {
		return nil, err
	}
	got, err := BuildStatus(st.coalition, summary, lines)
	if err != nil {
		return []string{err.Error()}, nil
	}
	return chdbCompareStatus(got, schema.FoldAsOf(st.coalition, st.events, at)), nil
}

// chdbAnomalies: the rows of anomalies, in their order, against the
// anomalies of schema.FoldCommitments over what was known (sorted by
// schema.SortAnomalies).
func chdbAnomalies(s *chdbSession, st chdbSet, at time.Time, edit chdbEdit) ([]string, error) {
	rows, _, err := s.namedRows("anomalies", st.coalition, at, edit)
	if err != nil {
		return nil, err
	}
	got := make([]schema.Anomaly, 0, len(rows))
	for _, r := range rows {
		got = append(got, schema.Anomaly{Country: str(r["country"]), CommitmentID: str(r["commitment_id"]),
			Kind: schema.AnomalyKind(str(r["kind"])), EventID: str(r["event_id"])})
	}
	_, want := schema.FoldCommitments(schema.Knowledge(st.coalition, st.events, at), at)
	if want == nil {
		want = []schema.Anomaly{}
	}
	if reflect.DeepEqual(got, want) {
		return nil, nil
	}
	count := map[schema.Anomaly]int{}
	for _, a := range got {
		count[a]++
	}
	for _, a := range want {
		count[a]--
	}
	var diffs []string
	for _, a := range want {
		if count[a] < 0 {
			diffs = append(diffs, fmt.Sprintf("anomaly missing: %+v", a))
			count[a]++
		}
	}
	for _, a := range got {
		if count[a] > 0 {
			diffs = append(diffs, fmt.Sprintf("anomaly not in the fold: %+v", a))
			count[a]--
		}
	}
	if len(diffs) == 0 {
		diffs = append(diffs, fmt.Sprintf("the %d anomalies are those of the fold, in another order", len(got)))
	}
	return diffs, nil
}

// chdbCommitment is what the commitments fragment and schema.Commitment
// both say of a commitment; times are Unix seconds, 0 for none.
type chdbCommitment struct {
	Known                        bool
	Owner, Category, Asset, Unit string
	Pledged, Delivered           float64
	Deadline, AnnouncedAt        int64
	Complete                     bool
	Deliveries                   uint64
	FirstDeliveryAt              int64
	DeliveredAt                  int64
	Withdrawn                    bool
	WithdrawnAt                  int64
	State                        string
}

func chdbUnix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// chdbCommitments: the rows of the commitments fragment against
// schema.FoldCommitments over what was known.
func chdbCommitments(s *chdbSession, st chdbSet, at time.Time, edit chdbEdit) ([]string, error) {
	text, err := chdbNamed("commitments", st.coalition, at, edit)
	if err != nil {
		return nil, err
	}
	// acts, an Array(Tuple), is left out: it only feeds the anomalies.
	rows, _, err := s.rows(`SELECT commitment_id, known, owner, category, asset, unit, pledged, delivered, deadline,
		announced_at, complete, deliveries, first_delivery_at, delivered_at, withdrawn, withdrawn_at, state FROM (` + text + `)`)
	if err != nil {
		return nil, fmt.Errorf("query commitments: %w", err)
	}
	want, _ := schema.FoldCommitments(schema.Knowledge(st.coalition, st.events, at), at)
	var diffs []string
	seen := map[string]bool{}
	for _, r := range rows {
		id := str(r["commitment_id"])
		if seen[id] {
			diffs = append(diffs, fmt.Sprintf("commitment %s: two rows", id))
		}
		seen[id] = true
		got := chdbCommitment{
			Known: u64(r["known"]) != 0, Owner: str(r["owner"]), Category: str(r["category"]), Asset: str(r["asset"]),
			Unit: str(r["unit"]), Pledged: f64(r["pledged"]), Delivered: f64(r["delivered"]),
			Deadline: chdbUnix(tm(r["deadline"])), AnnouncedAt: chdbUnix(tm(r["announced_at"])),
			Complete: u64(r["complete"]) != 0, Deliveries: u64(r["deliveries"]),
			FirstDeliveryAt: chdbUnix(tm(r["first_delivery_at"])), DeliveredAt: chdbUnix(tm(r["delivered_at"])), Withdrawn: u64(r["withdrawn"]) != 0,
			WithdrawnAt: chdbUnix(tm(r["withdrawn_at"])), State: str(r["state"]),
		}
		c := want[id]
		if c == nil {
			diffs = append(diffs, fmt.Sprintf("commitment %s not in the fold: %+v", id, got))
			continue
		}
		w := chdbCommitment{
			Known: c.Known, Owner: c.Owner, Category: string(c.Category), Asset: c.Asset, Unit: c.Unit,
			Pledged: c.Pledged, Delivered: c.Delivered, Deadline: chdbUnix(c.Deadline), AnnouncedAt: chdbUnix(c.AnnouncedAt),
			Complete: c.Complete, Deliveries: uint64(c.Deliveries), FirstDeliveryAt: chdbUnix(c.FirstDeliveryAt), DeliveredAt: chdbUnix(c.DeliveredAt),
			Withdrawn: c.Withdrawn, WithdrawnAt: chdbUnix(c.WithdrawnAt), State: string(c.State),
		}
		if chdbNear(got.Pledged, w.Pledged) && chdbNear(got.Delivered, w.Delivered) {
			got.Pledged, got.Delivered = w.Pledged, w.Delivered
		}
		if got != w {
			diffs = append(diffs, fmt.Sprintf("commitment %s:\n got %+v\nwant %+v", id, got, w))
		}
	}
	for id := range want {
		if !seen[id] {
			diffs = append(diffs, fmt.Sprintf("commitment %s missing: want %+v", id, *want[id]))
		}
	}
	sort.Strings(diffs)
	return diffs, nil
}

// chdbDedupEvents: the rows of the dedup_events fragment against
// schema.Knowledge, every column against the value RowValues stores for the
// event.
func chdbDedupEvents(s *chdbSession, st chdbSet, at time.Time, edit chdbEdit) ([]string, error) {
	rows, _, err := s.namedRows("dedup_events", st.coalition, at, edit)
	if err != nil {
		return nil, err
	}
	cols := chdbInsertColumns()
	want := map[uuid.UUID]map[string]any{}
	for _, ev := range schema.Knowledge(st.coalition, st.events, at) {
		vals := RowValues(&Row{Event: ev}, time.Time{})
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = vals[i]
		}
		want[ev.ID] = m
	}
	var diffs []string
	seen := map[uuid.UUID]bool{}
	for _, r := range rows {
		id, _ := r["event_id"].(uuid.UUID)
		if seen[id] {
			diffs = append(diffs, fmt.Sprintf("event %s: two rows", id))
		}
		seen[id] = true
		w := want[id]
		if w == nil {
			diffs = append(diffs, fmt.Sprintf("event %s is not known at that moment (retracted, not yet reported or of another coalition)", id))
			continue
		}
		for col, g := range r {
			wv, ok := w[col]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("column %s is not in InsertColumns", col))
				continue
			}
			if !chdbSameValue(g, wv) {
				diffs = append(diffs, fmt.Sprintf("event %s: %s is %#v, want %#v", id, col, g, wv))
			}
		}
	}
	for id := range want {
		if !seen[id] {
			diffs = append(diffs, fmt.Sprintf("event %s missing", id))
		}
	}
	sort.Strings(diffs)
	return diffs, nil
}

// chdbSameValue compares a value read back with the value RowValues stored:
// times to the second, quantities within tolerance.
func chdbSameValue(got, want any) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Unix() == w.Unix()
	case float64:
		g, ok := got.(float64)
		return ok && chdbNear(g, w)
	}
	return reflect.DeepEqual(got, want)
}

// chdbChecks are the comparisons with the Go reference, by name.
var chdbChecks = []struct {
	name  string
	check chdbCheck
}{
	{"status", chdbStatus},
	{"anomalies", chdbAnomalies},
	{"commitments", chdbCommitments},
	{"dedup_events", chdbDedupEvents},
}

func TestCurrentClickHouse(t *testing.T) {
	t.Parallel()
	began := time.Now()
	s := openChdb(t)
	version := s.scalar("SELECT version()")
	t.Logf("ClickHouse %s", version)
	if !strings.HasPrefix(version, "26.") {
		t.Fatalf("libchdb.so is ClickHouse %s, want 26.x", version)
	}
	// What Open does: create the database and make it the default one.
	s.exec("CREATE DATABASE IF NOT EXISTS coalition")
	s.exec("USE coalition")
	if db := s.scalar("SELECT currentDatabase()"); db != "coalition" {
		t.Fatalf("current database is %q after USE, want coalition", db)
	}
	// Output settings for the JSON the test reads; they change no answer.
	s.exec("SET output_format_json_quote_64bit_integers = 0")
	s.exec("SET date_time_output_format = 'unix_timestamp'")
	// A server may refuse to drop a view that another view reads; the
	// migrations that make views again (0008) drop them in an order this
	// allows.
	s.exec("SET check_referential_table_dependencies = 1")

	migrations, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(migrations) == 0 {
		t.Fatal("no migrations")
	}
	// migrate does what Store.Migrate does on a database where some, none
	// or all migrations are recorded; like it, it takes "already exists"
	// (an ADD COLUMN run before) for done.
	migrate := func(t *testing.T) {
		t.Helper()
		applied := map[uint32]bool{}
		if rows, _, err := s.rows("SELECT version FROM schema_migrations"); err == nil {
			for _, r := range rows {
				v, ok := r["version"].(uint32)
				if !ok {
					t.Fatalf("schema_migrations.version is %T, want uint32", r["version"])
				}
				applied[v] = true
			}
		}
		for _, m := range migrations {
			if applied[m.Version] {
				continue
			}
			for i, stmt := range m.Statements {
				if _, err := s.run(stmt, "TSV"); err != nil && !strings.Contains(err.Error(), "already exists") {
					t.Fatalf("migration %04d_%s statement %d: %v\n%s", m.Version, m.Name, i+1, err, stmt)
				}
			}
			s.exec(fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, %s, %s)",
				m.Version, quote(m.Name), quote(time.Now().UTC().Format(time.DateTime))))
		}
	}

	t.Run("Migrations", func(t *testing.T) {
		// Every statement, twice: they must all be idempotent, or fail with
		// "already exists" the second time.
		for pass := 1; pass <= 2; pass++ {
			for _, m := range migrations {
				for i, stmt := range m.Statements {
					if _, err := s.run(stmt, "TSV"); err != nil && !strings.Contains(err.Error(), "already exists") {
						t.Errorf("pass %d: migration %04d_%s statement %d: %v\n%s", pass, m.Version, m.Name, i+1, err, stmt)
					}
				}
			}
		}
		migrate(t)
		migrate(t)
		if _, err := s.run("DROP TABLE IF EXISTS commitments_latest", "TSV"); err == nil || !strings.Contains(err.Error(), "HAVE_DEPENDENT_OBJECTS") {
			t.Errorf("dropping a view that others read: %v, want HAVE_DEPENDENT_OBJECTS: the order of the drops above is not checked", err)
		}
		rows, types, err := s.rows("SELECT version, name FROM schema_migrations FINAL ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		if types["version"] != "UInt32" {
			t.Errorf("schema_migrations.version is %s, want UInt32 (Store.Migrate scans it into a uint32)", types["version"])
		}
		if len(rows) != len(migrations) {
			t.Errorf("schema_migrations has %d rows, want %d", len(rows), len(migrations))
		}
		for _, tbl := range []string{"events", "schema_migrations"} {
			if n := s.scalar("SELECT count() FROM system.tables WHERE database = 'coalition' AND name = " + quote(tbl)); n != "1" {
				t.Errorf("table coalition.%s: %s tables", tbl, n)
			}
		}
		// Every column RowValues writes exists.
		for _, c := range chdbInsertColumns() {
			if n := s.scalar("SELECT count() FROM system.columns WHERE database = 'coalition' AND table = 'events' AND name = " + quote(c)); n != "1" {
				t.Errorf("events.%s: %s columns", c, n)
			}
		}
	})
	migrate(t)

	var sets []chdbSet
	loaded := time.Now()
	for seed := uint64(1); seed <= chdbSmallSeeds+6; seed++ {
		sets = append(sets, s.eventSet(seed))
	}
	t.Logf("%d event sets written in %v", len(sets), time.Since(loaded).Round(time.Millisecond))

	// Each check, on every set at every moment, must agree with the fold.
	for _, c := range []struct {
		name  string
		check chdbCheck
	}{
		{"StatusMatchesFold", chdbStatus},
		{"AnomaliesMatchFold", chdbAnomalies},
		{"CommitmentsMatchFold", chdbCommitments},
		{"DedupEventsMatchKnowledge", chdbDedupEvents},
	} {
		t.Run(c.name, func(t *testing.T) {
			began := time.Now()
			for _, st := range sets {
				if len(schema.FoldAsOf(st.coalition, st.events, st.moments[0])) == 0 {
					t.Fatalf("seed %d: empty fold", st.seed)
				}
				for _, at := range st.moments {
					diffs, err := c.check(s, st, at, nil)
					if err != nil {
						t.Fatalf("seed %d at %s: %v", st.seed, at.UTC().Format(time.DateTime), err)
					}
					const most = 10
					for i, d := range diffs {
						if i == most {
							t.Errorf("seed %d at %s: and %d more differences", st.seed, at.UTC().Format(time.DateTime), len(diffs)-most)
							break
						}
						t.Errorf("seed %d at %s: %s", st.seed, at.UTC().Format(time.DateTime), d)
					}
				}
			}
			t.Logf("%d sets at %d moments in %v", len(sets), len(sets[0].moments), time.Since(began).Round(time.Millisecond))
		})
	}

	t.Run("ColumnTypes", func(t *testing.T) {
		// Those the native driver maps to the Go types that BuildStatus
		// converts (chdbValue fails on any other).
		for _, name := range []string{"status_summary", "status_lines", "anomalies"} {
			_, types, err := s.namedRows(name, sets[0].coalition, sets[0].moments[0], nil)
			if err != nil {
				t.Fatal(err)
			}
			keys := make([]string, 0, len(types))
			for k := range types {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var b strings.Builder
			for _, k := range keys {
				fmt.Fprintf(&b, " %s:%s", k, types[k])
			}
			t.Logf("%s columns:%s", name, b.String())
		}
	})

	// BreakingAQueryIsCaught makes sure the comparisons above can fail: with
	// one change to a query or fragment (made in every query text that
	// includes it), the named check must disagree with the reference on
	// some set at some moment. from is matched in the bound text.
	t.Run("BreakingAQueryIsCaught", func(t *testing.T) {
		checks := map[string]chdbCheck{}
		for _, c := range chdbChecks {
			checks[c.name] = c.check
		}
		for _, m := range []struct{ query, from, to, check string }{
			{"status_lines", "sum(delivered_milli)", "max(delivered_milli)", "status"},
			{"status_lines", "sum(pledged_milli)", "max(pledged_milli)", "status"},
			{"status_summary", "countIf(e_kind = 'meeting')", "countIf(is_actor AND e_kind = 'meeting')", "status"},
			// The stage is the highest any pledge reached, not the lowest.
			{"commitments", "maxIf(multiIf(e_stage", "minIf(multiIf(e_stage", "commitments"},
			// The defining pledge is the latest, not the earliest.
			{"commitments", "argMaxIf((e_actor, e_category, e_asset, e_unit, e_qm, e_deadline), (e_at, e_id)", "argMinIf((e_actor, e_category, e_asset, e_unit, e_qm, e_deadline), (e_at, e_id)", "commitments"},
			// The first withdrawal closes a commitment, not the last.
			{"commitments", "minIf(e_at, e_kind = 'withdrawal')", "maxIf(e_at, e_kind = 'withdrawal')", "commitments"},
			// Retracted events are not known.
			{"dedup_events", "WHERE tupleElement(latest, 14) = 0", "", "dedup_events"},
			{"dedup_events", "WHERE tupleElement(latest, 14) = 0", "", "status"},
			// What was known is what was reported by then, not what occurred.
			{"dedup_events", "reported_at <= ", "occurred_at <= ", "dedup_events"},
			{"dedup_events", "reported_at <= ", "occurred_at <= ", "status"},
			// Only a known commitment has an owner to mismatch.
			{"anomalies", "known = 1 AND a_actor != owner", "a_actor != owner", "anomalies"},
			// A deployment after the first withdrawal is an anomaly.
			{"anomalies", "a_at > withdrawn_at", "a_at < withdrawn_at", "anomalies"},
			// The transition rules: each illegal transition is recorded,
			// and counted in the status, by its own rule.
			{"anomalies", "a_at > delivered_at", "a_at >= delivered_at", "anomalies"},
			{"anomalies", "delivered_at > toDateTime(0, 'UTC') AND ", "", "anomalies"},
			{"anomalies", "withdrawn_at < a_at", "withdrawn_at > a_at", "anomalies"},
			{"anomalies", "a_at < announced_at", "a_at <= announced_at", "anomalies"},
			{"anomalies", "a_prev != '' AND a_prev != a_actor", "a_actor != owner", "anomalies"},
			{"anomalies", "a_prev != '' AND a_prev != a_actor", "a_prev != a_actor", "anomalies"},
			{"anomalies", "['withdrawal_after_delivery']", "emptyArrayString()", "status"},
			{"anomalies", "['pledge_after_withdrawal']", "emptyArrayString()", "status"},
			{"anomalies", "['activity_before_pledge']", "emptyArrayString()", "status"},
			{"anomalies", "['owner_changed']", "emptyArrayString()", "status"},
			// The story order of pledges is by time, then id, not by id.
			{"commitments", "arraySort(groupArrayIf((e_at, e_id, e_actor), e_kind = 'pledge'))", "arraySort(x -> tupleElement(x, 2), groupArrayIf((e_at, e_id, e_actor), e_kind = 'pledge'))", "anomalies"},
			// Delivered when the running sum reaches the pledge, not when
			// any one delivery does; or by a complete delivery.
			{"commitments", "arrayCumSum(arrayMap(x -> tupleElement(x, 3), deployments_sorted))", "arrayMap(x -> tupleElement(x, 3), deployments_sorted)", "commitments"},
			{"commitments", "completes > 0 OR ", "", "commitments"},
			// Each member in conflict is named, on both sides.
			{"status_summary", "if(country = actor, counterpart, actor) AS e_other", "counterpart AS e_other", "status"},
			{"status_summary", "groupUniqArrayIf(e_other, e_kind IN ('sanction', 'incident') AND counterpart_is_member)", "groupUniqArrayIf(e_other, e_kind = 'sanction' AND counterpart_is_member)", "status"},
		} {
			what := fmt.Sprintf("%s with %q instead of %q", m.query, m.to, m.from)
			if text, err := chdbNamed(m.query, sets[0].coalition, sets[0].moments[0], nil); err != nil {
				t.Fatal(err)
			} else if !strings.Contains(text, m.from) {
				t.Errorf("%s no longer contains %q: update this test's mutation", m.query, m.from)
				continue
			}
			edit := func(q string) string { return strings.ReplaceAll(q, m.from, m.to) }
			caught := ""
		search:
			for i := range sets {
				st := sets[len(sets)-1-i] // the big sets first: they break more
				for _, at := range st.moments {
					diffs, err := checks[m.check](s, st, at, edit)
					if err != nil {
						t.Errorf("%s fails: %v", what, err)
						break search
					}
					if len(diffs) > 0 {
						caught = fmt.Sprintf("on seed %d at %s: %s", st.seed, at.UTC().Format(time.DateTime), strings.SplitN(diffs[0], "\n", 2)[0])
						break search
					}
				}
			}
			if caught == "" {
				t.Errorf("%s: the %s check still matches on every set at every moment", what, m.check)
				continue
			}
			t.Logf("%s: caught by the %s check %s", what, m.check, caught)
		}
	})
	t.Logf("TestCurrentClickHouse took %v", time.Since(began).Round(time.Millisecond))
}

// chdbCompareStatus returns the differences between got and want, field by
// field, as testkit.CompareStatus reports them (this package's own tests
// cannot import testkit, which imports clickhouse), and also each line's
// Open and Fulfilment; quantities are compared with a relative tolerance
// since sums may be added in another order.
func chdbCompareStatus(got, want []schema.CountryStatus) []string {
	if len(got) != len(want) {
		var gc, wc []string
		for _, s := range got {
			gc = append(gc, s.Country)
		}
		for _, s := range want {
			wc = append(wc, s.Country)
		}
		return []string{fmt.Sprintf("got countries %v, want %v", gc, wc)}
	}
	var diffs []string
	for i := range want {
		g, w := got[i], want[i]
		gl, wl := g.Lines, w.Lines
		g.Lines, w.Lines = nil, nil
		if !reflect.DeepEqual(g, w) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			diffs = append(diffs, fmt.Sprintf("%s:\n got %s\nwant %s", w.Country, gj, wj))
		}
		if len(gl) != len(wl) {
			diffs = append(diffs, fmt.Sprintf("%s: got %d lines %+v, want %d %+v", w.Country, len(gl), gl, len(wl), wl))
			continue
		}
		for j := range wl {
			a, b := gl[j], wl[j]
			if a.Category != b.Category || a.Unit != b.Unit || a.Commitments != b.Commitments || a.Open != b.Open ||
				!chdbNear(a.Pledged, b.Pledged) || !chdbNear(a.Delivered, b.Delivered) || !chdbNear(a.Withdrawn, b.Withdrawn) ||
				!chdbNear(a.Fulfilment, b.Fulfilment) {
				diffs = append(diffs, fmt.Sprintf("%s line %d: got %+v, want %+v", w.Country, j, a, b))
			}
		}
	}
	return diffs
}

func chdbNear(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}
