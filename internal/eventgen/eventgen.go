// Package eventgen makes random but valid Coalition events for property
// tests and benchmarks: small pools of countries and commitment ids so that
// pledges, deliveries, withdrawals, stances and meetings collide often.
package eventgen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/coalitiondev/coalition/schema"
)

// Countries is the pool events draw their countries from.
var Countries = []string{"FRA", "DEU", "GBR", "ITA", "USA", "RUS", "TUR", "BEL"}

var (
	units      = []string{"soldiers", "aircraft", "ships", ""}
	categories = []schema.Category{schema.CategoryMilitary, schema.CategoryBasing, schema.CategoryHumanitarian, schema.CategoryFinancial}
	start      = time.Date(2015, 11, 13, 0, 0, 0, 0, time.UTC)
)

// Options shape a generated set.
type Options struct {
	Coalitions  []string // default: {"paris-2015"}
	Commitments int      // size of the commitment id pool; default 6
	Countries   []string // the pool of countries; default Countries
	// Revisions makes some events corrections of earlier ones: the same id
	// with the next revision and different content.
	Revisions bool
	// Tick, when set, puts occurrence times on multiples of it after the
	// start (keeping their random milliseconds), so that many events share
	// a second: ties that the rules break by event id, and the boundaries
	// of "after" and "before", come up often. It draws no more random
	// numbers: with Tick 0 a seed makes the same events as ever.
	Tick time.Duration
}

// Events returns n random valid events.
func Events(r *rand.Rand, n int, o Options) []schema.Event {
	if len(o.Coalitions) == 0 {
		o.Coalitions = []string{"paris-2015"}
	}
	if o.Commitments == 0 {
		o.Commitments = 6
	}
	out := make([]schema.Event, 0, n)
	latest := map[uuid.UUID]uint32{}
	for i := 0; i < n; i++ {
		if o.Revisions && len(out) > 0 && r.IntN(8) == 0 {
			prev := out[r.IntN(len(out))]
			ev := One(r, o)
			ev.ID, ev.Coalition = prev.ID, prev.Coalition
			ev.Revision = latest[prev.ID] + 1
			latest[ev.ID] = ev.Revision
			if r.IntN(4) == 0 { // a retraction, sometimes without its payload
				ev.Kind, ev.Actor = prev.Kind, prev.Actor
				ev.Meeting, ev.Statement, ev.Pledge, ev.Deployment = prev.Meeting, prev.Statement, prev.Pledge, prev.Deployment
				ev.Withdrawal, ev.Sanction, ev.Incident, ev.Counterpart = prev.Withdrawal, prev.Sanction, prev.Incident, prev.Counterpart
				ev.Retracted = true
				if r.IntN(2) == 0 && ev.Kind != schema.KindSanction && ev.Kind != schema.KindIncident {
					ev.Meeting, ev.Statement, ev.Pledge, ev.Deployment, ev.Withdrawal = nil, nil, nil, nil, nil
				}
			}
			out = append(out, ev)
			continue
		}
		out = append(out, One(r, o))
	}
	return out
}

// One returns one random valid event with a fresh id.
func One(r *rand.Rand, o Options) schema.Event {
	if len(o.Coalitions) == 0 {
		o.Coalitions = []string{"paris-2015"}
	}
	if o.Commitments == 0 {
		o.Commitments = 6
	}
	var idb [16]byte
	for i := range idb {
		idb[i] = byte(r.UintN(256))
	}
	id, _ := uuid.FromBytes(idb[:])
	id[6] = (id[6] & 0x0f) | 0x40
	id[8] = (id[8] & 0x3f) | 0x80
	countries := o.Countries
	if len(countries) == 0 {
		countries = Countries
	}
	actor := pick(r, countries)
	offset := time.Duration(r.IntN(14*24*3600)) * time.Second
	if o.Tick > 0 {
		offset = offset.Truncate(o.Tick)
	}
	at := start.Add(offset).Add(time.Duration(r.IntN(1000)) * time.Millisecond)
	conf := float64(r.IntN(11)) / 10
	ev := schema.Event{
		ID:         id,
		Kind:       schema.Kinds[r.IntN(len(schema.Kinds))],
		Coalition:  pick(r, o.Coalitions),
		Actor:      actor,
		OccurredAt: at,
		ReportedAt: at.Add(time.Duration(r.IntN(48)) * time.Hour),
		Source:     fmt.Sprintf("https://news.example.org/%d", r.IntN(1_000_000)),
		Confidence: &conf,
		Summary:    "generated",
	}
	other := func() string {
		for {
			if c := pick(r, countries); c != actor {
				return c
			}
		}
	}
	commitment := fmt.Sprintf("c-%d", r.IntN(o.Commitments))
	// Tenths and thirds: sums that floats get wrong in some orders.
	qty := func() *float64 { q := float64(r.IntN(3000)) / float64([]int{4, 10, 3}[r.IntN(3)]); return &q }
	switch ev.Kind {
	case schema.KindMeeting:
		ev.Counterpart = other()
		m := &schema.Meeting{Topic: "coalition"}
		for j := r.IntN(3); j > 0; j-- {
			p := pick(r, countries)
			if !contains(m.Participants, p) {
				m.Participants = append(m.Participants, p)
			}
		}
		ev.Meeting = m
	case schema.KindStatement:
		ev.Statement = &schema.Statement{Stance: schema.Stance(r.IntN(5) - 2)}
	case schema.KindPledge:
		p := &schema.Pledge{CommitmentID: commitment, Category: categories[r.IntN(len(categories))], Asset: "troops"}
		switch u := pick(r, units); {
		case u == "" && r.IntN(2) == 0:
		case u == "":
			p.Amount, p.Currency = qty(), "EUR"
		default:
			p.Quantity, p.Unit = qty(), u
		}
		if r.IntN(2) == 0 {
			p.Destination = "MLI"
		}
		p.Stage = []schema.Stage{"", schema.StageAnnounced, schema.StageCommitted, schema.StageAllocated}[r.IntN(4)]
		if r.IntN(3) == 0 {
			d := start.Add(time.Duration(7*24+r.IntN(21*24)) * time.Hour)
			p.Deadline = &d
		}
		ev.Pledge = p
	case schema.KindDeployment:
		d := &schema.Deployment{CommitmentID: commitment}
		if r.IntN(4) == 0 {
			d.Complete = true
		}
		if !d.Complete || r.IntN(2) == 0 {
			d.Quantity = qty()
		}
		ev.Deployment = d
	case schema.KindWithdrawal:
		ev.Withdrawal = &schema.Withdrawal{CommitmentID: commitment, Reason: "generated"}
	case schema.KindSanction:
		ev.Counterpart = other()
		ev.Sanction = &schema.Sanction{Measure: "import controls"}
	case schema.KindIncident:
		ev.Counterpart = other()
		ev.Incident = &schema.Incident{Type: "shootdown", Severity: 1 + r.IntN(5)}
	}
	return ev
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
