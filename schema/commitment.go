package schema

import (
	"math"
	"sort"
	"time"
)

// CommitmentState is where a commitment stands in its lifecycle.
//
//	announced ─► committed ─► allocated ─┐    (pledges; the highest stage reached)
//	     │            │           │      ├─► partly_delivered ─► delivered   (deployments)
//	     └────────────┴───────────┴──────┘
//	any state before delivered ─► withdrawn    (a withdrawal)
//	announced/committed/allocated ─► lapsed    (deadline passed with nothing delivered)
//	lapsed ─► partly_delivered or delivered    (a late delivery)
//
// The state is a function of the commitment's events known at a moment:
// withdrawn if any withdrawal; else delivered if a deployment says complete
// or the deliveries reach a positive pledged size; else partly_delivered if
// anything was delivered; else lapsed if the defining pledge's deadline is
// before the moment; else the highest stage of its pledges.
//
// The illegal transitions (see AnomalyKind) still take effect, by the same
// rules, and are recorded as anomalies: delivered ─► withdrawn
// (withdrawal_after_delivery), withdrawn ─► delivering
// (delivery_after_withdrawal), withdrawn ─► pledged again
// (pledge_after_withdrawal, which does not reopen it), deliveries or
// withdrawals before the first pledge (activity_before_pledge), a pledge
// handing the commitment to another country (owner_changed), and acts on a
// commitment no pledge opened (unknown_commitment).
type CommitmentState string

// The commitment states.
const (
	StateAnnounced       CommitmentState = "announced"
	StateCommitted       CommitmentState = "committed"
	StateAllocated       CommitmentState = "allocated"
	StatePartlyDelivered CommitmentState = "partly_delivered"
	StateDelivered       CommitmentState = "delivered"
	StateWithdrawn       CommitmentState = "withdrawn"
	StateLapsed          CommitmentState = "lapsed"
	StateUnknown         CommitmentState = "unknown" // deployments or withdrawals, but no pledge
)

// Open reports whether a commitment in this state is still awaited.
func (s CommitmentState) Open() bool {
	switch s {
	case StateAnnounced, StateCommitted, StateAllocated, StatePartlyDelivered:
		return true
	}
	return false
}

// Commitment is the state of one commitment folded from its events.
type Commitment struct {
	ID    string
	Known bool // a pledge opened it
	// From the defining pledge: the latest by occurrence time, ties broken
	// by event id.
	Owner    string
	Category Category
	Asset    string
	Unit     string
	Pledged  float64 // PledgedMilli / 1000
	Deadline time.Time
	// Stage is the highest stage any pledge reached; AnnouncedAt the
	// occurrence time of the first pledge.
	Stage       Stage
	AnnouncedAt time.Time
	// Delivered adds up deployment quantities; Complete says a deployment
	// declared delivery in full, which counts as at least Pledged.
	Delivered float64 // DeliveredMilli / 1000
	// Quantities are added and compared in thousandths (see Milli), so
	// that sums and comparisons do not depend on the order of addition.
	PledgedMilli    int64
	DeliveredMilli  int64
	Complete        bool
	Deliveries      int
	FirstDeliveryAt time.Time
	// DeliveredAt is when the commitment became delivered: the occurrence
	// time of the first deployment (in time order, to the second) by which
	// a deployment had said complete or the deliveries reached a positive
	// pledged size; zero if it never did.
	DeliveredAt time.Time
	Withdrawn   bool
	WithdrawnAt time.Time // the first withdrawal
	State       CommitmentState
}

// IsOpen reports whether the commitment is still awaited.
func (c *Commitment) IsOpen() bool { return c.State.Open() }

// AnomalyKind names an illegal or suspicious transition. Anomalies are
// recorded and reported; the events behind them still count as described.
type AnomalyKind string

// The anomaly kinds. Each names an illegal transition of the lifecycle
// (see CommitmentState and docs/status.md); "after" and "before" compare
// occurrence times to the second, strictly.
const (
	// A deployment or withdrawal on a commitment no pledge opened. Its
	// quantities count nowhere. It is the only anomaly such an event makes.
	AnomalyUnknownCommitment AnomalyKind = "unknown_commitment"
	// A deployment that occurred after the commitment was withdrawn (after
	// its first withdrawal). It still adds to Delivered: the means did
	// arrive.
	AnomalyDeliveryAfterWithdrawal AnomalyKind = "delivery_after_withdrawal"
	// A withdrawal that occurred after the commitment was delivered (after
	// DeliveredAt). It still withdraws it: the state is withdrawn.
	AnomalyWithdrawalAfterDelivery AnomalyKind = "withdrawal_after_delivery"
	// A pledge that occurred after the commitment was withdrawn. It does
	// not reopen it (the state stays withdrawn), but its stage and, if it
	// is the defining pledge, its figures count.
	AnomalyPledgeAfterWithdrawal AnomalyKind = "pledge_after_withdrawal"
	// A deployment or withdrawal that occurred before the commitment's
	// first pledge. It still counts on the commitment.
	AnomalyActivityBeforePledge AnomalyKind = "activity_before_pledge"
	// A pledge by another country than the pledge before it (by occurrence
	// time, ties broken by event id): the commitment changed hands. The
	// owner is still the defining pledge's actor.
	AnomalyOwnerChanged AnomalyKind = "owner_changed"
	// A deployment or withdrawal by a country other than the commitment's
	// owner. It still counts, on the owner's commitment.
	AnomalyActorMismatch AnomalyKind = "actor_mismatch"
	// Deliveries adding up to more than a positive pledged size.
	AnomalyOverDelivery AnomalyKind = "over_delivery"
)

// AnomalyKinds lists every anomaly kind, in the order of docs/status.md.
var AnomalyKinds = []AnomalyKind{
	AnomalyUnknownCommitment, AnomalyActorMismatch, AnomalyOwnerChanged, AnomalyActivityBeforePledge,
	AnomalyPledgeAfterWithdrawal, AnomalyDeliveryAfterWithdrawal, AnomalyWithdrawalAfterDelivery, AnomalyOverDelivery,
}

// Anomaly is one recorded anomaly, attributed to a country.
type Anomaly struct {
	Kind         AnomalyKind `json:"kind"`
	Country      string      `json:"country"`
	CommitmentID string      `json:"commitment_id"`
	EventID      string      `json:"event_id,omitempty"` // empty for over_delivery
}

// Milli converts a quantity to whole thousandths, rounding half away from
// zero: quantities are kept to a thousandth (0.001 soldiers is fine; money
// to a tenth of a cent), so that sums are exact whatever the order of
// addition. Storage keeps the same integer.
func Milli(q float64) int64 { return int64(math.Round(q * 1000)) }

// FromMilli converts thousandths back to a quantity.
func FromMilli(m int64) float64 { return float64(m) / 1000 }

// sec is the resolution at which times are compared and stored.
func sec(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Unix(t.Unix(), 0).UTC()
}

// FoldCommitments folds the events of one coalition, already reduced to
// what counts (see Knowledge), into each commitment's state at the moment
// asOf, and lists the anomalies. Commitments are keyed by id.
func FoldCommitments(events []Event, asOf time.Time) (map[string]*Commitment, []Anomaly) {
	out := map[string]*Commitment{}
	defining := map[string]*Event{}
	pledges := map[string][]*Event{}     // by commitment
	deployments := map[string][]*Event{} // by commitment
	var others []*Event                  // deployments and withdrawals
	for i := range events {
		ev := &events[i]
		id := ev.CommitmentID()
		if id == "" {
			continue
		}
		c := out[id]
		if c == nil {
			c = &Commitment{ID: id}
			out[id] = c
		}
		at := sec(ev.OccurredAt)
		switch ev.Kind {
		case KindPledge:
			c.Known = true
			if d := defining[id]; d == nil || later(ev, d) {
				defining[id] = ev
			}
			if ev.Pledge.Stage.Rank() > c.Stage.Rank() || c.Stage == "" {
				c.Stage = ev.Pledge.Stage
			}
			if c.AnnouncedAt.IsZero() || at.Before(c.AnnouncedAt) {
				c.AnnouncedAt = at
			}
			pledges[id] = append(pledges[id], ev)
		case KindDeployment:
			if q := ev.Deployment.Quantity; q != nil {
				c.DeliveredMilli += Milli(*q)
			}
			c.Complete = c.Complete || ev.Deployment.Complete
			c.Deliveries++
			if c.FirstDeliveryAt.IsZero() || at.Before(c.FirstDeliveryAt) {
				c.FirstDeliveryAt = at
			}
			deployments[id] = append(deployments[id], ev)
			others = append(others, ev)
		case KindWithdrawal:
			if !c.Withdrawn || at.Before(c.WithdrawnAt) {
				c.WithdrawnAt = at
			}
			c.Withdrawn = true
			others = append(others, ev)
		}
	}
	var anomalies []Anomaly
	for id, c := range out {
		if d := defining[id]; d != nil {
			c.Owner, c.Category, c.Asset = d.Actor, d.Pledge.Category, d.Pledge.Asset
			var q float64
			q, c.Unit = d.Pledge.Measure()
			c.PledgedMilli = Milli(q)
			if d.Pledge.Deadline != nil {
				c.Deadline = sec(*d.Pledge.Deadline)
			}
		}
		if c.Stage == "" {
			c.Stage = StageAnnounced
		}
		if c.Known && c.PledgedMilli > 0 && c.DeliveredMilli > c.PledgedMilli {
			anomalies = append(anomalies, Anomaly{Kind: AnomalyOverDelivery, Country: c.Owner, CommitmentID: id})
		}
		c.DeliveredAt = deliveredAt(deployments[id], c.PledgedMilli)
		if c.Complete && c.DeliveredMilli < c.PledgedMilli {
			c.DeliveredMilli = c.PledgedMilli
		}
		c.Pledged, c.Delivered = FromMilli(c.PledgedMilli), FromMilli(c.DeliveredMilli)
		c.State = commitmentState(c, asOf)
		// Pledges in story order: each by another country than the one
		// before it changed the owner; each after the withdrawal tried to
		// reopen it.
		ps := pledges[id]
		sort.Slice(ps, func(i, j int) bool { return later(ps[j], ps[i]) })
		for i, p := range ps {
			a := Anomaly{Country: p.Actor, CommitmentID: id, EventID: p.ID.String()}
			if i > 0 && p.Actor != ps[i-1].Actor {
				a.Kind = AnomalyOwnerChanged
				anomalies = append(anomalies, a)
			}
			if c.Withdrawn && sec(p.OccurredAt).After(c.WithdrawnAt) {
				a.Kind = AnomalyPledgeAfterWithdrawal
				anomalies = append(anomalies, a)
			}
		}
	}
	for _, ev := range others {
		c := out[ev.CommitmentID()]
		at := sec(ev.OccurredAt)
		a := Anomaly{Country: ev.Actor, CommitmentID: c.ID, EventID: ev.ID.String()}
		if !c.Known {
			a.Kind = AnomalyUnknownCommitment
			anomalies = append(anomalies, a)
			continue
		}
		for _, k := range []struct {
			kind AnomalyKind
			is   bool
		}{
			{AnomalyActorMismatch, ev.Actor != c.Owner},
			{AnomalyActivityBeforePledge, at.Before(c.AnnouncedAt)},
			{AnomalyDeliveryAfterWithdrawal, ev.Kind == KindDeployment && c.Withdrawn && at.After(c.WithdrawnAt)},
			{AnomalyWithdrawalAfterDelivery, ev.Kind == KindWithdrawal && !c.DeliveredAt.IsZero() && at.After(c.DeliveredAt)},
		} {
			if k.is {
				a.Kind = k.kind
				anomalies = append(anomalies, a)
			}
		}
	}
	SortAnomalies(anomalies)
	return out, anomalies
}

// deliveredAt returns when a commitment's deployments made it delivered:
// going through them in time order (to the second), the time of the first
// by which one of them had said complete or their quantities added up to a
// positive pledged size (in thousandths); zero if they never did.
// Deployments in the same second count together, so the answer does not
// depend on their order.
func deliveredAt(deps []*Event, pledgedMilli int64) time.Time {
	sort.Slice(deps, func(i, j int) bool { return deps[i].OccurredAt.Unix() < deps[j].OccurredAt.Unix() })
	var sum int64
	complete := false
	for i, d := range deps {
		if q := d.Deployment.Quantity; q != nil {
			sum += Milli(*q)
		}
		complete = complete || d.Deployment.Complete
		if i+1 < len(deps) && deps[i+1].OccurredAt.Unix() == d.OccurredAt.Unix() {
			continue // the rest of this second first
		}
		if complete || (pledgedMilli > 0 && sum >= pledgedMilli) {
			return sec(d.OccurredAt)
		}
	}
	return time.Time{}
}

func commitmentState(c *Commitment, asOf time.Time) CommitmentState {
	switch {
	case !c.Known:
		return StateUnknown
	case c.Withdrawn:
		return StateWithdrawn
	case c.Complete || (c.PledgedMilli > 0 && c.DeliveredMilli >= c.PledgedMilli):
		return StateDelivered
	case c.Deliveries > 0:
		return StatePartlyDelivered
	case !c.Deadline.IsZero() && c.Deadline.Before(sec(asOf)):
		return StateLapsed
	}
	return CommitmentState(c.Stage)
}

// SortAnomalies orders anomalies by country, commitment, kind and event.
func SortAnomalies(as []Anomaly) {
	sort.Slice(as, func(i, j int) bool {
		a, b := as[i], as[j]
		if a.Country != b.Country {
			return a.Country < b.Country
		}
		if a.CommitmentID != b.CommitmentID {
			return a.CommitmentID < b.CommitmentID
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.EventID < b.EventID
	})
}
