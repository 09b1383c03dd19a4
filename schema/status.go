package schema

import (
	"encoding/json"
	"sort"
	"time"
)

// CountryStatus is one country's standing in one coalition, as computed from
// the set of distinct events. It is a pure function of that set: the order of
// arrival, duplicates and redeliveries do not change it. Times are kept to
// the second, as stored.
type CountryStatus struct {
	Coalition string `json:"coalition"`
	Country   string `json:"country"`

	// Events counts the distinct events with this country as the actor.
	Events uint64 `json:"events"`
	// HasStance says whether the country made any statement; Stance is the
	// latest by occurrence time (ties broken by event id), at StanceAt.
	HasStance bool      `json:"has_stance"`
	Stance    Stance    `json:"stance"`
	StanceAt  time.Time `json:"stance_at"`
	// Meetings counts meetings the country took part in (as actor,
	// counterpart or participant); LastMeetingAt is the latest.
	Meetings      uint64    `json:"meetings"`
	LastMeetingAt time.Time `json:"last_meeting_at"`
	// Pledges, Deployments and Withdrawals count the country's events of
	// those kinds.
	Pledges     uint64 `json:"pledges"`
	Deployments uint64 `json:"deployments"`
	Withdrawals uint64 `json:"withdrawals"`
	// SanctionsImposed and SanctionsReceived count sanctions by and on the
	// country; Incidents counts incidents it was party to.
	SanctionsImposed  uint64 `json:"sanctions_imposed"`
	SanctionsReceived uint64 `json:"sanctions_received"`
	Incidents         uint64 `json:"incidents"`
	// LastActivityAt is the occurrence time of the country's latest event as
	// actor.
	LastActivityAt time.Time `json:"last_activity_at"`

	// Commitments counts the commitments the country owns (it made their
	// defining pledge); Open those neither withdrawn nor delivered in full;
	// Withdrawn those withdrawn.
	Commitments uint64 `json:"commitments"`
	Open        uint64 `json:"open"`
	Withdrawn   uint64 `json:"withdrawn"`
	// Unmatched counts the country's deployment and withdrawal events on
	// commitments that no pledge opened (each event once).
	Unmatched uint64 `json:"unmatched"`
	// Lines totals the country's commitments by category and unit.
	Lines []StatusLine `json:"lines"`
}

// StatusLine totals one country's commitments of one category and unit.
// Pledged adds up every commitment's pledged size, withdrawn or not;
// Withdrawn is the part of Pledged on withdrawn commitments; Delivered adds
// up deliveries (a complete delivery counts as at least the pledged size).
type StatusLine struct {
	Category    Category `json:"category"`
	Unit        string   `json:"unit"`
	Commitments uint64   `json:"commitments"`
	Pledged     float64  `json:"pledged"`
	Delivered   float64  `json:"delivered"`
	Withdrawn   float64  `json:"withdrawn"`
}

// Commitment is the state of one commitment folded from its events: the
// defining pledge (the latest pledge by occurrence time, ties broken by event
// id), the deliveries against it, and whether it was withdrawn.
type Commitment struct {
	ID        string
	Known     bool // a pledge opened it
	Owner     string
	Category  Category
	Unit      string
	Pledged   float64
	Delivered float64
	Complete  bool
	Withdrawn bool
	// Actors has the actor of every deployment and withdrawal on the
	// commitment, one entry per event, sorted; it makes Unmatched counts for
	// commitments no pledge opened.
	Actors []string
}

// IsOpen reports whether the commitment is still awaited: opened, not
// withdrawn and not delivered in full.
func (c *Commitment) IsOpen() bool {
	if !c.Known || c.Withdrawn || c.Complete {
		return false
	}
	if c.Unit == "" {
		return true // unquantified: open until a complete delivery
	}
	return c.Delivered < c.Pledged
}

// Dedup returns one event per id: the highest revision, ties broken by the
// greater canonical JSON encoding, which is what storage keeps too. The
// result is sorted by id.
func Dedup(events []Event) []Event {
	best := map[[16]byte]Event{}
	keys := map[[16]byte]string{}
	for _, ev := range events {
		data, _ := json.Marshal(&ev)
		cur, ok := best[ev.ID]
		if !ok || ev.Revision > cur.Revision || (ev.Revision == cur.Revision && string(data) > keys[ev.ID]) {
			best[ev.ID] = ev
			keys[ev.ID] = string(data)
		}
	}
	out := make([]Event, 0, len(best))
	for _, ev := range best {
		out = append(out, ev)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.String() < out[j].ID.String() })
	return out
}

// later reports whether event a comes after b in the order used to pick the
// latest stance or defining pledge: occurrence time to the second, then
// event id as text.
func later(a, b *Event) bool {
	if as, bs := a.OccurredAt.Unix(), b.OccurredAt.Unix(); as != bs {
		return as > bs
	}
	return a.ID.String() > b.ID.String()
}

// FoldCommitments folds deduplicated events of one coalition into the state
// of each commitment, keyed by commitment id.
func FoldCommitments(events []Event) map[string]*Commitment {
	out := map[string]*Commitment{}
	defining := map[string]*Event{}
	deliveredSum := map[string]float64{}
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
		switch ev.Kind {
		case KindPledge:
			c.Known = true
			if d := defining[id]; d == nil || later(ev, d) {
				defining[id] = ev
			}
		case KindDeployment:
			if ev.Deployment.Quantity != nil {
				deliveredSum[id] += *ev.Deployment.Quantity
			}
			if ev.Deployment.Complete {
				c.Complete = true
			}
		case KindWithdrawal:
			c.Withdrawn = true
		}
		if ev.Kind != KindPledge {
			c.Actors = append(c.Actors, ev.Actor)
		}
	}
	for id, c := range out {
		if d := defining[id]; d != nil {
			c.Owner, c.Category = d.Actor, d.Pledge.Category
			c.Pledged, c.Unit = d.Pledge.Measure()
		}
		sort.Strings(c.Actors)
		c.Delivered = deliveredSum[id]
		if c.Complete && c.Delivered < c.Pledged {
			c.Delivered = c.Pledged
		}
	}
	return out
}

// Fold computes every country's status in one coalition from a set of
// events: duplicates are removed first (see Dedup), events of other
// coalitions are ignored. The result is sorted by country code. This is the
// reference the ClickHouse queries are tested against.
func Fold(coalition string, events []Event) []CountryStatus {
	var mine []Event
	for _, ev := range events {
		if ev.Coalition == coalition {
			mine = append(mine, ev)
		}
	}
	mine = Dedup(mine)
	st := map[string]*CountryStatus{}
	get := func(code string) *CountryStatus {
		s := st[code]
		if s == nil {
			s = &CountryStatus{Coalition: coalition, Country: code}
			st[code] = s
		}
		return s
	}
	stanceEv := map[string]*Event{}
	for i := range mine {
		ev := &mine[i]
		a := get(ev.Actor)
		a.Events++
		if t := ev.OccurredAt.Truncate(time.Second); t.After(a.LastActivityAt) {
			a.LastActivityAt = t
		}
		if ev.Counterpart != "" {
			get(ev.Counterpart)
		}
		switch ev.Kind {
		case KindMeeting:
			for _, c := range meetingCountries(ev) {
				s := get(c)
				s.Meetings++
				if t := ev.OccurredAt.Truncate(time.Second); t.After(s.LastMeetingAt) {
					s.LastMeetingAt = t
				}
			}
		case KindStatement:
			if cur := stanceEv[ev.Actor]; cur == nil || later(ev, cur) {
				stanceEv[ev.Actor] = ev
			}
		case KindPledge:
			a.Pledges++
		case KindDeployment:
			a.Deployments++
		case KindWithdrawal:
			a.Withdrawals++
		case KindSanction:
			a.SanctionsImposed++
			get(ev.Counterpart).SanctionsReceived++
		case KindIncident:
			a.Incidents++
			get(ev.Counterpart).Incidents++
		}
	}
	for code, ev := range stanceEv {
		s := get(code)
		s.HasStance, s.Stance, s.StanceAt = true, ev.Statement.Stance, ev.OccurredAt.Truncate(time.Second).UTC()
	}
	type lineKey struct {
		cat  Category
		unit string
	}
	lines := map[string]map[lineKey]*StatusLine{}
	commitments := FoldCommitments(mine)
	ids := make([]string, 0, len(commitments))
	for id := range commitments {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a fixed order, so float sums come out the same every time
	for _, id := range ids {
		c := commitments[id]
		if !c.Known {
			for _, a := range c.Actors {
				get(a).Unmatched++
			}
			continue
		}
		s := get(c.Owner)
		s.Commitments++
		if c.Withdrawn {
			s.Withdrawn++
		}
		if c.IsOpen() {
			s.Open++
		}
		if lines[c.Owner] == nil {
			lines[c.Owner] = map[lineKey]*StatusLine{}
		}
		k := lineKey{c.Category, c.Unit}
		l := lines[c.Owner][k]
		if l == nil {
			l = &StatusLine{Category: c.Category, Unit: c.Unit}
			lines[c.Owner][k] = l
		}
		l.Commitments++
		l.Pledged += c.Pledged
		l.Delivered += c.Delivered
		if c.Withdrawn {
			l.Withdrawn += c.Pledged
		}
	}
	out := make([]CountryStatus, 0, len(st))
	for code, s := range st {
		for _, l := range lines[code] {
			s.Lines = append(s.Lines, *l)
		}
		SortLines(s.Lines)
		s.LastActivityAt = s.LastActivityAt.UTC()
		s.LastMeetingAt = s.LastMeetingAt.UTC()
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Country < out[j].Country })
	return out
}

// SortLines orders status lines by category, then unit.
func SortLines(ls []StatusLine) {
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Category != ls[j].Category {
			return ls[i].Category < ls[j].Category
		}
		return ls[i].Unit < ls[j].Unit
	})
}

// meetingCountries returns the distinct countries in a meeting: the actor,
// the counterpart and the participants.
func meetingCountries(ev *Event) []string {
	seen := map[string]bool{}
	var out []string
	add := func(c string) {
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	add(ev.Actor)
	add(ev.Counterpart)
	if ev.Meeting != nil {
		for _, p := range ev.Meeting.Participants {
			add(p)
		}
	}
	return out
}
