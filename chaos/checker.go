package chaos

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/schema"
)

// Ledger records what producers attempted and what JetStream acknowledged,
// which events a scenario made poison, and which events the consumer
// dead-lettered. It is safe for concurrent use.
type Ledger struct {
	mu           sync.Mutex
	attempted    map[string]schema.Event
	acked        map[string]bool
	poison       map[string]bool
	deadLettered map[string]bool
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{attempted: map[string]schema.Event{}, acked: map[string]bool{}, poison: map[string]bool{}, deadLettered: map[string]bool{}}
}

// Poison records that the scenario makes the event poison: the consumer
// must dead-letter it, not store it.
func (l *Ledger) Poison(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.poison[id] = true
}

// DeadLetter records that the event is in the dead-letter stream.
func (l *Ledger) DeadLetter(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deadLettered[id] = true
}

// Attempt records an event a producer tried to publish.
func (l *Ledger) Attempt(ev schema.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempted[ev.ID.String()] = ev
}

// Ack records that JetStream acknowledged the event.
func (l *Ledger) Ack(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked[id] = true
}

// Report is the checker's verdict on one scenario.
type Report struct {
	Scenario     string
	Runs         int
	Attempted    int
	Acknowledged int
	Stored       int // distinct acknowledged-or-not events found in ClickHouse
	DeadLettered int // poison events dead-lettered, as the scenario wants them
	Lost         int // acknowledged, neither stored nor a dead-lettered poison event
	Duplicated   int // counted more than once in the status
	Mismatch     string
}

// OK reports whether nothing acknowledged was lost and nothing was counted
// twice.
func (r Report) OK() bool { return r.Lost == 0 && r.Duplicated == 0 && r.Mismatch == "" }

// Check compares the ledger with ClickHouse: every acknowledged event must
// be stored, but for the poison events, which must be dead-lettered (a good
// event dead-lettered is lost; a poison event stored is a mismatch); the
// status must equal the reference fold of the events stored, so none
// counts twice. Record the dead letters in the ledger first.
func Check(ctx context.Context, store *clickhouse.Store, coalition string, l *Ledger) (Report, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := Report{Attempted: len(l.attempted), Acknowledged: len(l.acked)}
	res, err := store.RunSQL(ctx, "SELECT DISTINCT toString(event_id) FROM events WHERE coalition = '"+coalition+"'")
	if err != nil {
		return r, err
	}
	stored := map[string]bool{}
	for _, row := range res.Rows {
		stored[row[0].(string)] = true
	}
	var storedEvents []schema.Event
	for id := range stored {
		ev, ok := l.attempted[id]
		if !ok {
			r.Duplicated++ // an event nobody attempted: a copy under a new id
			continue
		}
		storedEvents = append(storedEvents, ev)
	}
	r.Stored = len(storedEvents)
	for id := range l.acked {
		if !stored[id] && !(l.poison[id] && l.deadLettered[id]) {
			r.Lost++
		}
	}
	var poisonStored []string
	for id := range l.poison {
		switch {
		case stored[id]:
			poisonStored = append(poisonStored, id)
		case l.deadLettered[id]:
			r.DeadLettered++
		}
	}
	goodDeadLettered := 0
	for id := range l.deadLettered {
		if !l.poison[id] {
			goodDeadLettered++
		}
	}
	switch {
	case len(poisonStored) > 0:
		sort.Strings(poisonStored)
		r.Mismatch = fmt.Sprintf("poison events stored: %v", poisonStored)
	case goodDeadLettered > 0:
		r.Mismatch = fmt.Sprintf("%d good events dead-lettered", goodDeadLettered)
	}
	now := time.Now()
	got, err := store.CountryStatusAsOf(ctx, coalition, now)
	if err != nil {
		return r, err
	}
	want := schema.FoldAsOf(coalition, storedEvents, now)
	var gotEvents, wantEvents uint64
	for _, s := range got {
		gotEvents += s.Events
	}
	for _, s := range want {
		wantEvents += s.Events
	}
	if gotEvents > wantEvents {
		r.Duplicated += int(gotEvents - wantEvents)
	}
	if d := firstDifference(got, want); d != "" && r.Mismatch == "" {
		r.Mismatch = d
	}
	return r, nil
}

// firstDifference names the first country whose headline figures differ.
func firstDifference(got, want []schema.CountryStatus) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d countries, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Country != w.Country || g.Events != w.Events || g.Pledges != w.Pledges || g.Commitments != w.Commitments ||
			g.Open != w.Open || g.Meetings != w.Meetings || g.Stance != w.Stance || g.Anomalies != w.Anomalies {
			return fmt.Sprintf("%s: got %+v, want %+v", w.Country, g, w)
		}
	}
	return ""
}

// WriteTable prints reports as the table docs/reliability.md shows.
func WriteTable(w io.Writer, reports []Report) {
	sort.SliceStable(reports, func(i, j int) bool { return reports[i].Scenario < reports[j].Scenario })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tRUNS\tATTEMPTED\tACKNOWLEDGED\tSTORED\tLOST\tDUPLICATED\tDEAD-LETTERED\tRESULT")
	for _, r := range reports {
		res := "ok"
		if !r.OK() {
			res = "FAIL " + strings.TrimSpace(r.Mismatch)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Scenario, r.Runs, r.Attempted, r.Acknowledged, r.Stored, r.Lost, r.Duplicated, r.DeadLettered, res)
	}
	tw.Flush()
}
