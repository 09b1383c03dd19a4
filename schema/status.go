package schema

import (
	"encoding/json"
	"slices"
	"sort"
	"time"
)

// CountryStatus is one country's standing in one coalition at a moment, as
// computed from the set of distinct events known then. It is a pure function
// of that set and the moment: the order of arrival, duplicates and
// redeliveries do not change it. Times are kept to the second, as stored.
type CountryStatus struct {
	Coalition string `json:"coalition"`
	Country   string `json:"country"`

	// Events counts the distinct events with this country as the actor.
	Events uint64 `json:"events"`
	// HasStance says whether the country made any statement; Stance is the
	// latest by occurrence time (ties broken by event id), at StanceAt;
	// PrevStance is the one before it, if any.
	HasStance     bool      `json:"has_stance"`
	Stance        Stance    `json:"stance"`
	StanceAt      time.Time `json:"stance_at"`
	HasPrevStance bool      `json:"has_prev_stance"`
	PrevStance    Stance    `json:"prev_stance"`
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
	// country; Incidents counts incidents it was party to. MemberConflicts
	// counts the sanctions and incidents, either way, between the country
	// and another member (a country that is the actor of some event in the
	// coalition). ConflictsWith names those other members: their country
	// codes, each once, sorted (nil if none).
	SanctionsImposed  uint64   `json:"sanctions_imposed"`
	SanctionsReceived uint64   `json:"sanctions_received"`
	Incidents         uint64   `json:"incidents"`
	MemberConflicts   uint64   `json:"member_conflicts"`
	ConflictsWith     []string `json:"conflicts_with"`
	// LastActivityAt is the occurrence time of the country's latest event as
	// actor.
	LastActivityAt time.Time `json:"last_activity_at"`

	// Commitments counts the commitments the country owns (it made their
	// defining pledge); ByState splits them by state; Open counts those
	// still awaited and Withdrawn those withdrawn. OldestOpenAt is when the
	// oldest open commitment was first pledged (zero if none is open).
	Commitments  uint64      `json:"commitments"`
	Open         uint64      `json:"open"`
	Withdrawn    uint64      `json:"withdrawn"`
	ByState      StateCounts `json:"by_state"`
	OldestOpenAt time.Time   `json:"oldest_open_at"`
	// Unmatched counts the country's deployment and withdrawal events on
	// commitments that no pledge opened (each event once); Anomalies counts
	// every anomaly attributed to the country, unmatched ones included.
	Unmatched uint64 `json:"unmatched"`
	Anomalies uint64 `json:"anomalies"`
	// Lines totals the country's commitments by category and unit.
	Lines []StatusLine `json:"lines"`
	// Label sums the status up, by the rules of StatusLabel.
	Label Label `json:"label"`
}

// StateCounts counts commitments by state.
type StateCounts struct {
	Announced       uint64 `json:"announced"`
	Committed       uint64 `json:"committed"`
	Allocated       uint64 `json:"allocated"`
	PartlyDelivered uint64 `json:"partly_delivered"`
	Delivered       uint64 `json:"delivered"`
	Withdrawn       uint64 `json:"withdrawn"`
	Lapsed          uint64 `json:"lapsed"`
}

// Add counts one commitment in state s.
func (sc *StateCounts) Add(s CommitmentState, n uint64) {
	switch s {
	case StateAnnounced:
		sc.Announced += n
	case StateCommitted:
		sc.Committed += n
	case StateAllocated:
		sc.Allocated += n
	case StatePartlyDelivered:
		sc.PartlyDelivered += n
	case StateDelivered:
		sc.Delivered += n
	case StateWithdrawn:
		sc.Withdrawn += n
	case StateLapsed:
		sc.Lapsed += n
	}
}

// StatusLine totals one country's commitments of one category and unit.
// Quantities are added up in thousandths (see Milli).
// Pledged adds up every commitment's pledged size, withdrawn or not;
// Withdrawn is the part of Pledged on withdrawn commitments; Delivered adds
// up deliveries (a complete delivery counts as at least the pledged size).
// Fulfilment is Delivered / Pledged, 0 when nothing quantified was pledged.
type StatusLine struct {
	Category    Category `json:"category"`
	Unit        string   `json:"unit"`
	Commitments uint64   `json:"commitments"`
	Open        uint64   `json:"open"`
	Pledged     float64  `json:"pledged"`
	Delivered   float64  `json:"delivered"`
	Withdrawn   float64  `json:"withdrawn"`
	Fulfilment  float64  `json:"fulfilment"`
}

// Dedup returns one event per id: the highest revision, ties broken by the
// greater canonical JSON encoding, which is what storage keeps too. The
// result is sorted by id. Retracted events are kept (see Knowledge).
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

// Knowledge returns what was known of a coalition at the moment asOf: the
// events reported by then (to the second), one per id (Dedup), without the
// retracted ones.
func Knowledge(coalition string, events []Event, asOf time.Time) []Event {
	var known []Event
	limit := asOf.Unix()
	for _, ev := range events {
		if ev.Coalition == coalition && ev.ReportedAt.Unix() <= limit {
			known = append(known, ev)
		}
	}
	known = Dedup(known)
	out := known[:0]
	for _, ev := range known {
		if !ev.Retracted {
			out = append(out, ev)
		}
	}
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

// Fold computes every country's status in one coalition as of now. See
// FoldAsOf.
func Fold(coalition string, events []Event) []CountryStatus {
	return FoldAsOf(coalition, events, time.Now())
}

// FoldAsOf computes every country's status in one coalition from what was
// known at the moment asOf (see Knowledge); deadlines are judged at asOf.
// Events of other coalitions are ignored. The result is sorted by country
// code. This is the reference the ClickHouse queries are tested against.
func FoldAsOf(coalition string, events []Event, asOf time.Time) []CountryStatus {
	mine := Knowledge(coalition, events, asOf)
	st := map[string]*CountryStatus{}
	get := func(code string) *CountryStatus {
		s := st[code]
		if s == nil {
			s = &CountryStatus{Coalition: coalition, Country: code}
			st[code] = s
		}
		return s
	}
	members := map[string]bool{}
	for i := range mine {
		members[mine[i].Actor] = true
	}
	statements := map[string][]*Event{}
	for i := range mine {
		ev := &mine[i]
		a := get(ev.Actor)
		a.Events++
		if t := sec(ev.OccurredAt); t.After(a.LastActivityAt) {
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
				if t := sec(ev.OccurredAt); t.After(s.LastMeetingAt) {
					s.LastMeetingAt = t
				}
			}
		case KindStatement:
			statements[ev.Actor] = append(statements[ev.Actor], ev)
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
		if (ev.Kind == KindSanction || ev.Kind == KindIncident) && members[ev.Counterpart] {
			b := get(ev.Counterpart)
			a.MemberConflicts++
			b.MemberConflicts++
			a.ConflictsWith = append(a.ConflictsWith, b.Country)
			b.ConflictsWith = append(b.ConflictsWith, a.Country)
		}
	}
	for code, evs := range statements {
		sort.Slice(evs, func(i, j int) bool { return later(evs[j], evs[i]) })
		s := get(code)
		last := evs[len(evs)-1]
		s.HasStance, s.Stance, s.StanceAt = true, last.Statement.Stance, sec(last.OccurredAt)
		if len(evs) > 1 {
			s.HasPrevStance, s.PrevStance = true, evs[len(evs)-2].Statement.Stance
		}
	}
	type lineKey struct {
		cat  Category
		unit string
	}
	lines := map[string]map[lineKey]*StatusLine{}
	milli := map[string]map[lineKey][3]int64{} // pledged, delivered, withdrawn in thousandths
	commitments, anomalies := FoldCommitments(mine, asOf)
	ids := make([]string, 0, len(commitments))
	for id := range commitments {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a fixed order, so float sums come out the same every time
	for _, id := range ids {
		c := commitments[id]
		if !c.Known {
			continue
		}
		s := get(c.Owner)
		s.Commitments++
		s.ByState.Add(c.State, 1)
		if c.State == StateWithdrawn {
			s.Withdrawn++
		}
		if c.IsOpen() {
			s.Open++
			if s.OldestOpenAt.IsZero() || c.AnnouncedAt.Before(s.OldestOpenAt) {
				s.OldestOpenAt = c.AnnouncedAt
			}
		}
		if lines[c.Owner] == nil {
			lines[c.Owner] = map[lineKey]*StatusLine{}
			milli[c.Owner] = map[lineKey][3]int64{}
		}
		k := lineKey{c.Category, c.Unit}
		l := lines[c.Owner][k]
		if l == nil {
			l = &StatusLine{Category: c.Category, Unit: c.Unit}
			lines[c.Owner][k] = l
		}
		l.Commitments++
		if c.IsOpen() {
			l.Open++
		}
		m := milli[c.Owner][k]
		m[0] += c.PledgedMilli
		m[1] += c.DeliveredMilli
		if c.Withdrawn {
			m[2] += c.PledgedMilli
		}
		milli[c.Owner][k] = m
		l.Pledged, l.Delivered, l.Withdrawn = FromMilli(m[0]), FromMilli(m[1]), FromMilli(m[2])
	}
	for _, a := range anomalies {
		s := get(a.Country)
		s.Anomalies++
		if a.Kind == AnomalyUnknownCommitment {
			s.Unmatched++
		}
	}
	out := make([]CountryStatus, 0, len(st))
	for code, s := range st {
		for _, l := range lines[code] {
			s.Lines = append(s.Lines, *l)
		}
		s.Finish()
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Country < out[j].Country })
	return out
}

// Finish computes the derived fields (each line's Fulfilment, the Label),
// sorts the lines, sorts ConflictsWith and keeps each code once (nil if
// empty), and puts times in UTC. Every path that builds a CountryStatus
// ends with it.
func (s *CountryStatus) Finish() {
	SortLines(s.Lines)
	if len(s.ConflictsWith) == 0 {
		s.ConflictsWith = nil
	} else {
		sort.Strings(s.ConflictsWith)
		s.ConflictsWith = slices.Compact(s.ConflictsWith)
	}
	for i := range s.Lines {
		l := &s.Lines[i]
		l.Fulfilment = 0
		if l.Pledged > 0 {
			l.Fulfilment = l.Delivered / l.Pledged
		}
	}
	s.StanceAt = s.StanceAt.UTC()
	s.LastActivityAt = s.LastActivityAt.UTC()
	s.LastMeetingAt = s.LastMeetingAt.UTC()
	s.OldestOpenAt = s.OldestOpenAt.UTC()
	s.Label = StatusLabel(s)
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
