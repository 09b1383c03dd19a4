package schema_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// Tests of the commitment lifecycle and of the status as of a moment,
// with the helpers they share: here states and their precedence (and which
// transitions are illegal); the anomalies those record, their boundaries
// and their documentation in anomalies_test.go; retractions and what is
// known at a moment in knowledge_test.go; previous stances, member
// conflicts, labels, fulfilment and the oldest open commitment in
// status_rules_test.go. Every expected value is worked out by hand from
// the rules in commitment.go, status.go and label.go.

// late is a moment after every hand-made event of these tests was reported.
var late = hour(5000)

// A commitment "c" of Germany's: 100 soldiers pledged at hour h.
func pl(n, h int) schema.Event {
	return pledgeEv(n, "DEU", "c", schema.CategoryMilitary, 100, "soldiers", h)
}

// dl delivers q soldiers on "c" at hour h, by Germany.
func dl(n int, q float64, h int) schema.Event { return deploymentEv(n, "DEU", "c", qty(q), false, h) }

// full says "c" is delivered in full at hour h, without a quantity.
func full(n, h int) schema.Event { return deploymentEv(n, "DEU", "c", nil, true, h) }

// wd withdraws "c" at hour h, by Germany.
func wd(n, h int) schema.Event { return withdrawalEv(n, "DEU", "c", h) }

func staged(s schema.Stage, ev schema.Event) schema.Event {
	p := *ev.Pledge
	p.Stage = s
	ev.Pledge = &p
	return ev
}

func due(t time.Time, ev schema.Event) schema.Event {
	p := *ev.Pledge
	p.Deadline = &t
	ev.Pledge = &p
	return ev
}

func occurred(t time.Time, ev schema.Event) schema.Event { ev.OccurredAt = t; return ev }

func reported(t time.Time, ev schema.Event) schema.Event { ev.ReportedAt = t; return ev }

// retracted returns revision r of ev, retracting it and leaving its payload
// out (the counterpart of a sanction or incident stays: it is required).
func retracted(r uint32, ev schema.Event) schema.Event {
	ev.Revision, ev.Retracted = r, true
	ev.Meeting, ev.Statement, ev.Pledge, ev.Deployment, ev.Withdrawal, ev.Sanction, ev.Incident = nil, nil, nil, nil, nil, nil, nil
	return ev
}

func evs(es ...schema.Event) []schema.Event { return es }

// orders returns the events in their order, reversed, and shuffled (a fixed
// seed): a fold must give the same in every one.
func orders(events []schema.Event) map[string][]schema.Event {
	rev := slices.Clone(events)
	slices.Reverse(rev)
	sh := slices.Clone(events)
	r := rand.New(rand.NewPCG(uint64(len(events)), 7))
	r.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
	return map[string][]schema.Event{"given": events, "reversed": rev, "shuffled": sh}
}

func byCountry(ss []schema.CountryStatus) map[string]schema.CountryStatus {
	out := map[string]schema.CountryStatus{}
	for _, s := range ss {
		out[s.Country] = s
	}
	return out
}

// TestCommitmentState folds commitment "c" (Germany's, 100 soldiers unless
// said) and checks its state: each transition, and the precedence between
// them (withdrawn, then delivered, then partly_delivered, then lapsed, then
// the highest stage); and which transitions are illegal, by the anomalies
// each case records (TestAnomalies has their boundaries).
func TestCommitmentState(t *testing.T) {
	deadline := hour(1000)
	sec := time.Second
	tests := []struct {
		name   string
		events []schema.Event
		asOf   time.Time              // zero: late
		want   schema.CommitmentState // "": no commitment "c" at all
	}{
		// Stages: the highest any pledge reached, never back.
		{"AnnouncedByDefault", evs(pl(1, 0)), time.Time{}, schema.StateAnnounced},
		{"Announced", evs(staged(schema.StageAnnounced, pl(1, 0))), time.Time{}, schema.StateAnnounced},
		{"Committed", evs(staged(schema.StageCommitted, pl(1, 0))), time.Time{}, schema.StateCommitted},
		{"Allocated", evs(staged(schema.StageAllocated, pl(1, 0))), time.Time{}, schema.StateAllocated},
		{"StageRisesWithALaterPledge", evs(pl(1, 0), staged(schema.StageCommitted, pl(2, 10))), time.Time{}, schema.StateCommitted},
		{"StageRisesWithAnEarlierPledge", evs(staged(schema.StageAllocated, pl(1, 0)), staged(schema.StageCommitted, pl(2, 10))), time.Time{}, schema.StateAllocated},
		{"StageNeverMovesBack", evs(staged(schema.StageCommitted, pl(1, 0)), staged(schema.StageAllocated, pl(2, 10)), staged(schema.StageAnnounced, pl(3, 20))), time.Time{}, schema.StateAllocated},
		{"StageNeverMovesBackToTheDefault", evs(staged(schema.StageCommitted, pl(1, 0)), pl(2, 10)), time.Time{}, schema.StateCommitted},

		// Deliveries.
		{"PartlyDelivered", evs(pl(1, 0), dl(2, 40, 20)), time.Time{}, schema.StatePartlyDelivered},
		{"PartlyDeliveredBeatsTheStage", evs(staged(schema.StageAllocated, pl(1, 0)), dl(2, 40, 20)), time.Time{}, schema.StatePartlyDelivered},
		{"OneShortIsPartlyDelivered", evs(pl(1, 0), dl(2, 60, 20), dl(3, 39.5, 30)), time.Time{}, schema.StatePartlyDelivered},
		{"DeliveredByQuantities", evs(pl(1, 0), dl(2, 60, 20), dl(3, 40, 30)), time.Time{}, schema.StateDelivered},
		{"DeliveredBeyondThePledge", evs(pl(1, 0), dl(2, 150, 20)), time.Time{}, schema.StateDelivered},
		{"DeliveredByComplete", evs(pl(1, 0), deploymentEv(2, "DEU", "c", qty(10), true, 20)), time.Time{}, schema.StateDelivered},
		{"DeliveredByCompleteWithoutQuantity", evs(pl(1, 0), full(2, 20)), time.Time{}, schema.StateDelivered},
		{"DeliveredBeforeThePledge", evs(dl(1, 100, 0), pl(2, 10)), time.Time{}, schema.StateDelivered},
		{"DeliveredByAnotherCountry", evs(pl(1, 0), deploymentEv(2, "FRA", "c", qty(100), false, 20)), time.Time{}, schema.StateDelivered},
		// Quantities reach only a positive pledged size.
		{"ZeroPledgedNeedsComplete", evs(pledgeEv(1, "DEU", "c", schema.CategoryMilitary, 0, "ships", 0), dl(2, 5, 20)), time.Time{}, schema.StatePartlyDelivered},
		{"ZeroPledgedComplete", evs(pledgeEv(1, "DEU", "c", schema.CategoryMilitary, 0, "ships", 0), full(2, 20)), time.Time{}, schema.StateDelivered},
		{"UnquantifiedNeedsComplete", evs(pledgeEv(1, "DEU", "c", schema.CategoryIntelligence, 0, "", 0), dl(2, 5, 20)), time.Time{}, schema.StatePartlyDelivered},
		{"UnquantifiedComplete", evs(pledgeEv(1, "DEU", "c", schema.CategoryIntelligence, 0, "", 0), full(2, 20)), time.Time{}, schema.StateDelivered},
		{"AmountDelivered", evs(pledgeEv(1, "DEU", "c", schema.CategoryFinancial, 2.5e6, "EUR", 0), dl(2, 2.5e6, 20)), time.Time{}, schema.StateDelivered},

		// Withdrawals beat everything.
		{"Withdrawn", evs(pl(1, 0), wd(2, 20)), time.Time{}, schema.StateWithdrawn},
		{"WithdrawnBeatsTheStage", evs(staged(schema.StageAllocated, pl(1, 0)), wd(2, 20)), time.Time{}, schema.StateWithdrawn},
		{"WithdrawnBeatsPartlyDelivered", evs(pl(1, 0), dl(2, 40, 10), wd(3, 20)), time.Time{}, schema.StateWithdrawn},
		{"WithdrawnBeatsDelivered", evs(pl(1, 0), dl(2, 100, 10), wd(3, 20)), time.Time{}, schema.StateWithdrawn},
		{"WithdrawnBeatsComplete", evs(pl(1, 0), full(2, 10), wd(3, 20)), time.Time{}, schema.StateWithdrawn},
		{"WithdrawnBeatsLapsed", evs(due(deadline, pl(1, 0)), wd(2, 2000)), time.Time{}, schema.StateWithdrawn},
		{"WithdrawnBeforeThePledge", evs(wd(1, 0), pl(2, 10)), time.Time{}, schema.StateWithdrawn},
		{"WithdrawnByAnotherCountry", evs(pl(1, 0), withdrawalEv(2, "FRA", "c", 20)), time.Time{}, schema.StateWithdrawn},
		// A withdrawal is final: a later pledge does not reopen it, whatever
		// its stage.
		{"PledgeAfterWithdrawalStaysWithdrawn", evs(pl(1, 0), wd(2, 10), staged(schema.StageAllocated, pl(3, 20))), time.Time{}, schema.StateWithdrawn},
		// Germany restates France's commitment: Germany's now.
		{"RestatedByAnotherCountry", evs(pledgeEv(1, "FRA", "c", schema.CategoryMilitary, 100, "soldiers", 0), pl(2, 10)), time.Time{}, schema.StateAnnounced},

		// Deadlines: lapsed when the defining pledge's deadline is before
		// asOf, to the second, and nothing was delivered.
		{"Lapsed", evs(due(deadline, pl(1, 0))), time.Time{}, schema.StateLapsed},
		{"LapsedFromAllocated", evs(due(deadline, staged(schema.StageAllocated, pl(1, 0)))), time.Time{}, schema.StateLapsed},
		{"DeadlineEqualToAsOfIsNotLapsed", evs(due(deadline, staged(schema.StageCommitted, pl(1, 0)))), deadline, schema.StateCommitted},
		{"DeadlineOneSecondBeforeAsOfIsLapsed", evs(due(deadline, staged(schema.StageCommitted, pl(1, 0)))), deadline.Add(sec), schema.StateLapsed},
		{"DeadlineAfterAsOfIsNotLapsed", evs(due(deadline, pl(1, 0))), deadline.Add(-sec), schema.StateAnnounced},
		{"DeadlineEarlierInTheSameSecondIsNotLapsed", evs(due(deadline.Add(100*time.Millisecond), pl(1, 0))), deadline.Add(900 * time.Millisecond), schema.StateAnnounced},
		{"DeadlineInAnotherZone", evs(due(deadline.In(time.FixedZone("CET", 3600)), pl(1, 0))), deadline.Add(sec), schema.StateLapsed},
		{"PartlyDeliveredBeatsLapsed", evs(due(deadline, pl(1, 0)), dl(2, 10, 2000)), time.Time{}, schema.StatePartlyDelivered},
		{"DeliveredBeatsLapsed", evs(due(deadline, pl(1, 0)), dl(2, 100, 2000)), time.Time{}, schema.StateDelivered},
		// The defining pledge is the latest by occurrence; its deadline
		// (or its lack of one) is the one that counts.
		{"LaterPledgeWithoutDeadline", evs(due(deadline, pl(1, 0)), pl(2, 10)), time.Time{}, schema.StateAnnounced},
		{"LaterPledgeExtendsTheDeadline", evs(due(deadline, pl(1, 0)), due(hour(9000), pl(2, 10))), time.Time{}, schema.StateAnnounced},
		{"LaterPledgeShortensTheDeadline", evs(due(hour(9000), pl(1, 0)), due(deadline, pl(2, 10))), time.Time{}, schema.StateLapsed},
		{"EarlierIDLaterPledge", evs(due(deadline, pl(9, 0)), pl(2, 10)), time.Time{}, schema.StateAnnounced},
		// In the same second, the greater id defines: id 9.
		{"SameSecondGreaterIDDefines", evs(
			occurred(hour(10).Add(900*time.Millisecond), due(deadline, pl(2, 10))),
			occurred(hour(10).Add(100*time.Millisecond), pl(9, 10)),
		), time.Time{}, schema.StateAnnounced},
		{"SameSecondGreaterIDDefinesItsDeadline", evs(
			occurred(hour(10).Add(900*time.Millisecond), pl(2, 10)),
			occurred(hour(10).Add(100*time.Millisecond), due(deadline, pl(9, 10))),
		), time.Time{}, schema.StateLapsed},

		// No pledge: unknown.
		{"UnknownDeliveredOnly", evs(dl(1, 40, 0)), time.Time{}, schema.StateUnknown},
		{"UnknownWithdrawnOnly", evs(wd(1, 0)), time.Time{}, schema.StateUnknown},
		{"UnknownCompleteAndWithdrawn", evs(full(1, 0), wd(2, 10)), time.Time{}, schema.StateUnknown},

		// Retractions: the retracted event counts nowhere.
		{"RetractedPledgeRemovesTheCommitment", evs(pl(1, 0), retracted(1, pl(1, 0))), time.Time{}, ""},
		{"RetractedPledgeLeavesDeliveriesUnknown", evs(pl(1, 0), retracted(1, pl(1, 0)), dl(2, 40, 10)), time.Time{}, schema.StateUnknown},
		{"RetractedPledgeIsNoWithdrawal", evs(pl(1, 0), pl(2, 10), retracted(1, pl(2, 10))), time.Time{}, schema.StateAnnounced},
		{"RetractedWithdrawalReopens", evs(pl(1, 0), wd(2, 10), retracted(1, wd(2, 10))), time.Time{}, schema.StateAnnounced},
		{"RetractedDeliveryUndelivers", evs(pl(1, 0), dl(2, 100, 10), retracted(3, dl(2, 100, 10))), time.Time{}, schema.StateAnnounced},
		{"RetractedCompleteUndelivers", evs(pl(1, 0), dl(2, 40, 10), full(3, 20), retracted(1, full(3, 20))), time.Time{}, schema.StatePartlyDelivered},
		{"RetractedPledgeTakesItsStage", evs(pl(1, 0), staged(schema.StageAllocated, pl(2, 10)), retracted(1, pl(2, 10))), time.Time{}, schema.StateAnnounced},
		{"RetractedDefiningPledgeRestoresTheEarlierDeadline", evs(due(deadline, pl(1, 0)), pl(2, 10), retracted(1, pl(2, 10))), time.Time{}, schema.StateLapsed},
		{"UnretractedWithAHigherRevision", evs(pl(1, 0), retracted(1, pl(1, 0)), rev(2, staged(schema.StageCommitted, pl(1, 0)))), time.Time{}, schema.StateCommitted},
		{"RetractionOfALowerRevisionLoses", evs(rev(2, pl(1, 0)), retracted(1, pl(1, 0))), time.Time{}, schema.StateAnnounced},
	}
	// The anomalies each case records, by kind (sorted). A case not listed
	// records none: every transition in it is legal.
	recorded := map[string][]schema.AnomalyKind{
		"DeliveredBeyondThePledge":               {schema.AnomalyOverDelivery},
		"DeliveredBeforeThePledge":               {schema.AnomalyActivityBeforePledge},
		"DeliveredByAnotherCountry":              {schema.AnomalyActorMismatch},
		"WithdrawnBeatsDelivered":                {schema.AnomalyWithdrawalAfterDelivery},
		"WithdrawnBeatsComplete":                 {schema.AnomalyWithdrawalAfterDelivery},
		"WithdrawnBeforeThePledge":               {schema.AnomalyActivityBeforePledge, schema.AnomalyPledgeAfterWithdrawal},
		"WithdrawnByAnotherCountry":              {schema.AnomalyActorMismatch},
		"PledgeAfterWithdrawalStaysWithdrawn":    {schema.AnomalyPledgeAfterWithdrawal},
		"RestatedByAnotherCountry":               {schema.AnomalyOwnerChanged},
		"UnknownDeliveredOnly":                   {schema.AnomalyUnknownCommitment},
		"UnknownWithdrawnOnly":                   {schema.AnomalyUnknownCommitment},
		"UnknownCompleteAndWithdrawn":            {schema.AnomalyUnknownCommitment, schema.AnomalyUnknownCommitment},
		"RetractedPledgeLeavesDeliveriesUnknown": {schema.AnomalyUnknownCommitment},
	}
	names := map[string]bool{}
	for _, tt := range tests {
		names[tt.name] = true
	}
	for name := range recorded {
		if !names[name] {
			t.Errorf("recorded lists %s, which is no case", name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			asOf := tt.asOf
			if asOf.IsZero() {
				asOf = late
			}
			for order, events := range orders(tt.events) {
				cs, anomalies := schema.FoldCommitments(schema.Knowledge(paris, events, asOf), asOf)
				var kinds []schema.AnomalyKind
				for _, a := range anomalies {
					kinds = append(kinds, a.Kind)
				}
				slices.Sort(kinds)
				if !slices.Equal(kinds, recorded[tt.name]) {
					t.Errorf("%s: anomalies %v, want %v", order, kinds, recorded[tt.name])
				}
				c := cs["c"]
				switch {
				case tt.want == "" && c != nil:
					t.Errorf("%s: commitment c = %+v, want none", order, c)
				case tt.want == "":
				case c == nil:
					t.Errorf("%s: no commitment c, want state %q", order, tt.want)
				case c.State != tt.want:
					t.Errorf("%s: state %q, want %q (%+v)", order, c.State, tt.want, c)
				case c.IsOpen() != tt.want.Open():
					t.Errorf("%s: IsOpen() = %v in state %q", order, c.IsOpen(), c.State)
				}
			}
			// The status counts it in its owner's ByState, and open or not.
			deu := byCountry(schema.FoldAsOf(paris, tt.events, asOf))["DEU"]
			var want schema.StateCounts
			var open uint64
			if tt.want != "" && tt.want != schema.StateUnknown {
				want.Add(tt.want, 1)
				if tt.want.Open() {
					open = 1
				}
			}
			if deu.ByState != want || deu.Open != open {
				t.Errorf("DEU by state %+v, open %d; want %+v, open %d", deu.ByState, deu.Open, want, open)
			}
		})
	}
}

func TestStateCountsAdd(t *testing.T) {
	tests := []struct {
		state schema.CommitmentState
		want  schema.StateCounts
	}{
		{schema.StateAnnounced, schema.StateCounts{Announced: 2}},
		{schema.StateCommitted, schema.StateCounts{Committed: 2}},
		{schema.StateAllocated, schema.StateCounts{Allocated: 2}},
		{schema.StatePartlyDelivered, schema.StateCounts{PartlyDelivered: 2}},
		{schema.StateDelivered, schema.StateCounts{Delivered: 2}},
		{schema.StateWithdrawn, schema.StateCounts{Withdrawn: 2}},
		{schema.StateLapsed, schema.StateCounts{Lapsed: 2}},
		{schema.StateUnknown, schema.StateCounts{}},
		{"", schema.StateCounts{}},
	}
	for _, tt := range tests {
		var got schema.StateCounts
		got.Add(tt.state, 1)
		got.Add(tt.state, 1)
		if got != tt.want {
			t.Errorf("Add(%q) twice = %+v, want %+v", tt.state, got, tt.want)
		}
	}
}
