package schema_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// TestFoldDeterministic folds the same set many times: the result must not
// depend on anything but the set (such as map iteration order).
func TestFoldDeterministic(t *testing.T) {
	events := []schema.Event{
		pledgeEv(1, "DEU", "DEU-a", schema.CategoryFinancial, 0.1, "EUR", 10),
		pledgeEv(2, "DEU", "DEU-b", schema.CategoryFinancial, 0.2, "EUR", 11),
		pledgeEv(3, "DEU", "DEU-c", schema.CategoryFinancial, 0.3, "EUR", 12),
	}
	checkValid(t, events)
	first := schema.Fold(paris, events)
	for i := range 100 {
		if got := schema.Fold(paris, events); !reflect.DeepEqual(got, first) {
			t.Fatalf("fold %d =\n%s\nfirst fold\n%s", i, fmtStatus(got), fmtStatus(first))
		}
	}
}

// randomEvents draws a valid event set from small pools of countries,
// commitment ids and times, so that events collide often: the same
// commitment from several sides, stances in the same second, revisions of
// one id, a second coalition.
func randomEvents(r *rand.Rand, n int) []schema.Event {
	countries := []string{"FRA", "DEU", "GBR", "RUS", "TUR"}
	commitments := []string{"c-1", "c-2", "c-3", "c-4"}
	units := []string{"soldiers", "aircraft", "EUR", ""}
	quantities := []float64{0, 0.5, 1, 2.5, 6, 650}
	country := func() string { return countries[r.IntN(len(countries))] }
	other := func(not string) string {
		for {
			if c := country(); c != not {
				return c
			}
		}
	}
	var out []schema.Event
	for range n {
		id := 1 + r.IntN(2*n) // ids repeat: revisions and same-revision variants
		actor := country()
		h := r.IntN(6)
		var ev schema.Event
		switch k := schema.Kinds[r.IntN(len(schema.Kinds))]; k {
		case schema.KindMeeting:
			var ps []string
			for range r.IntN(3) {
				ps = append(ps, country())
			}
			ps = slices.Compact(slices.Sorted(slices.Values(ps)))
			cp := ""
			if r.IntN(2) == 0 {
				cp = other(actor)
			}
			ev = meetingEv(id, actor, cp, ps, h)
		case schema.KindStatement:
			ev = statementEv(id, actor, schema.Stance(r.IntN(5)-2), h)
		case schema.KindPledge:
			cat := schema.Categories[r.IntN(3)]
			ev = pledgeEv(id, actor, commitments[r.IntN(len(commitments))], cat, quantities[r.IntN(len(quantities))], units[r.IntN(len(units))], h)
		case schema.KindDeployment:
			var q *float64
			complete := r.IntN(3) == 0
			if !complete || r.IntN(2) == 0 {
				q = qty(quantities[r.IntN(len(quantities))])
			}
			ev = deploymentEv(id, actor, commitments[r.IntN(len(commitments))], q, complete, h)
		case schema.KindWithdrawal:
			ev = withdrawalEv(id, actor, commitments[r.IntN(len(commitments))], h)
		case schema.KindSanction:
			ev = sanctionEv(id, actor, other(actor), h)
		case schema.KindIncident:
			ev = incidentEv(id, actor, other(actor), h)
		}
		ev.Revision = uint32(r.IntN(3))
		ev.OccurredAt = ev.OccurredAt.Add(time.Duration(r.IntN(3)) * 400 * time.Millisecond)
		if r.IntN(10) == 0 {
			ev.Coalition = "anti-isil"
		}
		out = append(out, ev)
	}
	return out
}

// TestFoldProperties checks on random sets that Fold depends on the set of
// events only: not on their order, nor on duplicates. It also checks
// invariants that hold for any set.
func TestFoldProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(2015, 1124))
	for i := range 300 {
		events := randomEvents(r, 1+r.IntN(60))
		checkValid(t, events)
		want := schema.Fold(paris, events)

		shuffled := slices.Clone(events)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := schema.Fold(paris, shuffled); !reflect.DeepEqual(got, want) {
			t.Fatalf("set %d: Fold changes with the order of %d events:\n%s\nwant\n%s", i, len(events), fmtStatus(got), fmtStatus(want))
		}

		dup := slices.Clone(shuffled)
		for range 1 + r.IntN(len(events)) {
			dup = append(dup, events[r.IntN(len(events))])
		}
		r.Shuffle(len(dup), func(i, j int) { dup[i], dup[j] = dup[j], dup[i] })
		if got := schema.Fold(paris, dup); !reflect.DeepEqual(got, want) {
			t.Fatalf("set %d: Fold changes with duplicates:\n%s\nwant\n%s", i, fmtStatus(got), fmtStatus(want))
		}

		checkFoldInvariants(t, events, want)
	}
}

func checkFoldInvariants(t *testing.T, events []schema.Event, got []schema.CountryStatus) {
	t.Helper()
	checkFoldInvariantsAsOf(t, events, time.Now(), got)
}

// checkFoldInvariantsAsOf checks facts that hold for any event set folded
// as of any moment: counts that must add up, derived fields that must agree
// with the fields they derive from.
func checkFoldInvariantsAsOf(t *testing.T, events []schema.Event, asOf time.Time, got []schema.CountryStatus) {
	t.Helper()
	known := schema.Knowledge(paris, events, asOf)
	pledged := map[string]bool{}
	members := map[string]bool{}
	for _, ev := range known {
		members[ev.Actor] = true
		if ev.Kind == schema.KindPledge {
			pledged[ev.Pledge.CommitmentID] = true
		}
	}
	var conflicts uint64
	for _, ev := range known {
		if (ev.Kind == schema.KindSanction || ev.Kind == schema.KindIncident) && members[ev.Counterpart] {
			conflicts++
		}
	}
	_, anomalies := schema.FoldCommitments(known, asOf)
	var unknown uint64
	for _, a := range anomalies {
		if a.Kind == schema.AnomalyUnknownCommitment {
			unknown++
		}
	}
	var evs, imposed, received, commitments, memberConflicts, anomalyCount, unmatched uint64
	for i, s := range got {
		if i > 0 && got[i-1].Country >= s.Country {
			t.Fatalf("countries out of order: %s after %s", s.Country, got[i-1].Country)
		}
		if s.Coalition != paris {
			t.Errorf("%s: coalition %q", s.Country, s.Coalition)
		}
		if s.Open+s.Withdrawn > s.Commitments {
			t.Errorf("%s: open %d + withdrawn %d > commitments %d", s.Country, s.Open, s.Withdrawn, s.Commitments)
		}
		b := s.ByState
		if sum := b.Announced + b.Committed + b.Allocated + b.PartlyDelivered + b.Delivered + b.Withdrawn + b.Lapsed; sum != s.Commitments {
			t.Errorf("%s: by state %+v adds up to %d, want commitments %d", s.Country, b, sum, s.Commitments)
		}
		if open := b.Announced + b.Committed + b.Allocated + b.PartlyDelivered; open != s.Open {
			t.Errorf("%s: open %d, want announced+committed+allocated+partly_delivered = %d", s.Country, s.Open, open)
		}
		if b.Withdrawn != s.Withdrawn {
			t.Errorf("%s: withdrawn %d, by state %d", s.Country, s.Withdrawn, b.Withdrawn)
		}
		if s.OldestOpenAt.IsZero() != (s.Open == 0) {
			t.Errorf("%s: oldest open at %v with %d open", s.Country, s.OldestOpenAt, s.Open)
		}
		if s.HasPrevStance && !s.HasStance {
			t.Errorf("%s: a previous stance without a stance", s.Country)
		}
		if s.Unmatched > s.Anomalies {
			t.Errorf("%s: unmatched %d > anomalies %d", s.Country, s.Unmatched, s.Anomalies)
		}
		// Each member named once, sorted, never the country itself; one per
		// conflict at most.
		if uint64(len(s.ConflictsWith)) > s.MemberConflicts || (s.MemberConflicts > 0) != (len(s.ConflictsWith) > 0) ||
			!slices.IsSorted(s.ConflictsWith) || len(slices.Compact(slices.Clone(s.ConflictsWith))) != len(s.ConflictsWith) ||
			slices.Contains(s.ConflictsWith, s.Country) {
			t.Errorf("%s: conflicts with %q in %d member conflicts", s.Country, s.ConflictsWith, s.MemberConflicts)
		}
		if !slices.Contains(schema.Labels, s.Label) {
			t.Errorf("%s: label %q is not one of %q", s.Country, s.Label, schema.Labels)
		}
		if want := schema.StatusLabel(&s); s.Label != want {
			t.Errorf("%s: label %q, StatusLabel says %q", s.Country, s.Label, want)
		}
		var lineCommitments, lineOpen uint64
		for _, l := range s.Lines {
			lineCommitments += l.Commitments
			lineOpen += l.Open
			if l.Open > l.Commitments {
				t.Errorf("%s: line %s/%s has %d open of %d", s.Country, l.Category, l.Unit, l.Open, l.Commitments)
			}
			want := 0.0
			if l.Pledged > 0 {
				want = l.Delivered / l.Pledged
			}
			if l.Fulfilment != want {
				t.Errorf("%s: line %s/%s fulfilment %g, want %g / %g", s.Country, l.Category, l.Unit, l.Fulfilment, l.Delivered, l.Pledged)
			}
		}
		if lineCommitments != s.Commitments {
			t.Errorf("%s: lines hold %d commitments, want %d", s.Country, lineCommitments, s.Commitments)
		}
		if lineOpen != s.Open {
			t.Errorf("%s: lines hold %d open commitments, want %d", s.Country, lineOpen, s.Open)
		}
		evs += s.Events
		imposed += s.SanctionsImposed
		received += s.SanctionsReceived
		commitments += s.Commitments
		memberConflicts += s.MemberConflicts
		anomalyCount += s.Anomalies
		unmatched += s.Unmatched
	}
	if evs != uint64(len(known)) {
		t.Errorf("events counted %d, want %d known", evs, len(known))
	}
	if imposed != received {
		t.Errorf("sanctions imposed %d != received %d", imposed, received)
	}
	if commitments != uint64(len(pledged)) {
		t.Errorf("commitments counted %d, want %d pledged ids", commitments, len(pledged))
	}
	if memberConflicts != 2*conflicts {
		t.Errorf("member conflicts counted %d, want twice the %d sanctions and incidents between members", memberConflicts, conflicts)
	}
	if anomalyCount != uint64(len(anomalies)) {
		t.Errorf("anomalies counted %d, want %d", anomalyCount, len(anomalies))
	}
	if unmatched != unknown {
		t.Errorf("unmatched counted %d, want %d unknown_commitment anomalies", unmatched, unknown)
	}
}
