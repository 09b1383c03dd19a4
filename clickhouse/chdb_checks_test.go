//go:build linux && (amd64 || arm64)

package clickhouse

// The comparisons of TestCurrentClickHouse: each runs a named query or
// fragment on chDB and holds its rows equal to the Go reference.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/schema"
)

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
