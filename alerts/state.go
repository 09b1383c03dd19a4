package alerts

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/coalitiondev/coalition/schema"
)

// state is what the engine knows: per coalition, the distinct events (one
// per id, the highest revision, as schema.Dedup keeps) and a summary of
// each country derived from them. An event counts from the moment it is
// consumed; retracted events count nowhere. It is not safe for concurrent
// use: the engine's loop owns it.
type state struct {
	coalitions map[string]*coalitionState
}

func newState() *state { return &state{coalitions: map[string]*coalitionState{}} }

type coalitionState struct {
	name   string
	events map[uuid.UUID]*schema.Event
	// byActor indexes the live (not retracted) events by actor;
	// conflictsOn the live sanctions and incidents by counterpart.
	byActor     map[string]map[uuid.UUID]struct{}
	conflictsOn map[string]map[uuid.UUID]struct{}
	countries   map[string]countrySummary
}

// countrySummary is what the rules look at for one country, from its live
// events as actor.
type countrySummary struct {
	Member      bool // the actor of some live event
	HasStance   bool
	Stance      schema.Stance
	StanceEvent *schema.Event // the latest statement (occurrence time, then id)
	Pledges     int
}

func (s countrySummary) supporting() bool { return s.HasStance && s.Stance >= schema.StanceSupportive }

// change is what one applied event changed.
type change struct {
	cs     *coalitionState
	ev     *schema.Event // the version now stored
	before map[string]countrySummary
}

func (s *state) coalition(name string) *coalitionState {
	cs := s.coalitions[name]
	if cs == nil {
		cs = &coalitionState{
			name: name, events: map[uuid.UUID]*schema.Event{},
			byActor: map[string]map[uuid.UUID]struct{}{}, conflictsOn: map[string]map[uuid.UUID]struct{}{},
			countries: map[string]countrySummary{},
		}
		s.coalitions[name] = cs
	}
	return cs
}

// apply adds an event. It returns nil when the event changes nothing: the
// same version, or an older one, is already known.
func (s *state) apply(ev schema.Event) *change {
	cs := s.coalition(ev.Coalition)
	old := cs.events[ev.ID]
	if old != nil && !replaces(&ev, old) {
		return nil
	}
	stored := &ev
	affected := map[string]bool{ev.Actor: true}
	if old != nil {
		affected[old.Actor] = true
		cs.unindex(old)
	}
	ch := &change{cs: cs, ev: stored, before: map[string]countrySummary{}}
	for c := range affected {
		ch.before[c] = cs.countries[c]
	}
	cs.events[ev.ID] = stored
	cs.index(stored)
	for c := range affected {
		cs.countries[c] = cs.summarize(c)
	}
	return ch
}

// replaces reports whether a version of an event replaces the stored one:
// a higher revision, or the same revision with a greater canonical JSON
// (schema.Dedup's rule, so the engine keeps what storage keeps).
func replaces(ev, old *schema.Event) bool {
	if ev.Revision != old.Revision {
		return ev.Revision > old.Revision
	}
	a, _ := json.Marshal(ev)
	b, _ := json.Marshal(old)
	return string(a) > string(b)
}

func live(ev *schema.Event) bool { return ev != nil && !ev.Retracted }

func isConflict(ev *schema.Event) bool {
	return (ev.Kind == schema.KindSanction || ev.Kind == schema.KindIncident) && ev.Counterpart != "" && ev.Counterpart != ev.Actor
}

func addTo(m map[string]map[uuid.UUID]struct{}, key string, id uuid.UUID) {
	if m[key] == nil {
		m[key] = map[uuid.UUID]struct{}{}
	}
	m[key][id] = struct{}{}
}

func (cs *coalitionState) index(ev *schema.Event) {
	if !live(ev) {
		return
	}
	addTo(cs.byActor, ev.Actor, ev.ID)
	if isConflict(ev) {
		addTo(cs.conflictsOn, ev.Counterpart, ev.ID)
	}
}

func (cs *coalitionState) unindex(ev *schema.Event) {
	delete(cs.byActor[ev.Actor], ev.ID)
	delete(cs.conflictsOn[ev.Counterpart], ev.ID)
}

// summarize derives a country's summary from its live events as actor.
func (cs *coalitionState) summarize(country string) countrySummary {
	var s countrySummary
	for id := range cs.byActor[country] {
		ev := cs.events[id]
		s.Member = true
		switch ev.Kind {
		case schema.KindStatement:
			if ev.Statement != nil && (s.StanceEvent == nil || later(ev, s.StanceEvent)) {
				s.StanceEvent = ev
			}
		case schema.KindPledge:
			s.Pledges++
		}
	}
	if s.StanceEvent != nil {
		s.HasStance, s.Stance = true, s.StanceEvent.Statement.Stance
	}
	return s
}

// later orders statements as schema's fold does: occurrence time to the
// second, then event id as text.
func later(a, b *schema.Event) bool {
	if as, bs := a.OccurredAt.Unix(), b.OccurredAt.Unix(); as != bs {
		return as > bs
	}
	return a.ID.String() > b.ID.String()
}

// supporting counts the countries a rule counts whose latest stance is +1
// or more; override replaces some countries' summaries (to count the
// state before a change).
func (cs *coalitionState) supporting(r *Rule, override map[string]countrySummary) int {
	n := 0
	for c, s := range cs.countries {
		if o, ok := override[c]; ok {
			s = o
		}
		if s.supporting() && r.Counts(c) {
			n++
		}
	}
	for c, o := range override {
		if _, ok := cs.countries[c]; !ok && o.supporting() && r.Counts(c) {
			n++
		}
	}
	return n
}

// firstPledge returns a country's earliest live pledge.
func (cs *coalitionState) firstPledge(country string) *schema.Event {
	var first *schema.Event
	for id := range cs.byActor[country] {
		ev := cs.events[id]
		if ev.Kind == schema.KindPledge && (first == nil || later(first, ev)) {
			first = ev
		}
	}
	return first
}

// liveEvents returns the coalition's live events, sorted by id.
func (cs *coalitionState) liveEvents() []schema.Event {
	out := make([]schema.Event, 0, len(cs.events))
	for _, ev := range cs.events {
		if live(ev) {
			out = append(out, *ev)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.String() < out[j].ID.String() })
	return out
}

// overdue returns the commitments that are open (announced, committed,
// allocated or partly delivered) at now and were first pledged more than
// days ago, sorted by id, each with its first pledge.
func (cs *coalitionState) overdue(days int, now time.Time) []overdueCommitment {
	evs := cs.liveEvents()
	commitments, _ := schema.FoldCommitments(evs, now)
	limit := now.Add(-time.Duration(days) * 24 * time.Hour)
	var out []overdueCommitment
	for _, c := range commitments {
		if c.Known && c.IsOpen() && c.AnnouncedAt.Before(limit) {
			out = append(out, overdueCommitment{c: c, pledge: firstPledgeOf(evs, c.ID)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].c.ID < out[j].c.ID })
	return out
}

type overdueCommitment struct {
	c      *schema.Commitment
	pledge *schema.Event
}

func firstPledgeOf(evs []schema.Event, commitment string) *schema.Event {
	var first *schema.Event
	for i := range evs {
		ev := &evs[i]
		if ev.Kind == schema.KindPledge && ev.CommitmentID() == commitment && (first == nil || later(first, ev)) {
			first = ev
		}
	}
	return first
}
