package schema_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/internal/eventgen"
	"github.com/coalitiondev/coalition/schema"
)

// Tests of the commitment lifecycle and of the status as of a moment:
// states and their precedence, anomalies, retractions, what is known at a
// moment, previous stances, member conflicts, labels, fulfilment and the
// oldest open commitment. Every expected value is worked out by hand from
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
// the highest stage).
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			asOf := tt.asOf
			if asOf.IsZero() {
				asOf = late
			}
			for order, events := range orders(tt.events) {
				cs, _ := schema.FoldCommitments(schema.Knowledge(paris, events, asOf), asOf)
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

// an is an anomaly on commitment "c"; event 0 means none (over_delivery).
func an(kind schema.AnomalyKind, country string, event int) schema.Anomaly {
	a := schema.Anomaly{Kind: kind, Country: country, CommitmentID: "c"}
	if event > 0 {
		a.EventID = uid(event).String()
	}
	return a
}

// TestAnomalies checks each kind of anomaly, its boundaries, and who it is
// attributed to; and that FoldAsOf counts them for those countries.
func TestAnomalies(t *testing.T) {
	const (
		unknown  = schema.AnomalyUnknownCommitment
		mismatch = schema.AnomalyActorMismatch
		after    = schema.AnomalyDeliveryAfterWithdrawal
		over     = schema.AnomalyOverDelivery
	)
	T := hour(10)
	tests := []struct {
		name   string
		events []schema.Event
		want   []schema.Anomaly // sorted by country, commitment, kind, event
	}{
		{"None", evs(pl(1, 0), dl(2, 40, 10), dl(3, 60, 20), wd(4, 30)), nil},

		{"UnknownCommitmentDeployment", evs(dl(1, 40, 0)), []schema.Anomaly{an(unknown, "DEU", 1)}},
		{"UnknownCommitmentWithdrawal", evs(withdrawalEv(1, "FRA", "c", 0)), []schema.Anomaly{an(unknown, "FRA", 1)}},
		// On an unknown commitment there is no owner and no withdrawal to
		// speak of: each event is unknown_commitment, and nothing else.
		{"UnknownCommitmentOnly", evs(withdrawalEv(1, "FRA", "c", 10), dl(2, 40, 20)),
			[]schema.Anomaly{an(unknown, "DEU", 2), an(unknown, "FRA", 1)}},
		{"UnknownOtherCommitments", evs(pl(1, 0), deploymentEv(2, "GBR", "b", qty(1), false, 10), deploymentEv(3, "FRA", "a", qty(1), false, 10)),
			[]schema.Anomaly{
				{Kind: unknown, Country: "FRA", CommitmentID: "a", EventID: uid(3).String()},
				{Kind: unknown, Country: "GBR", CommitmentID: "b", EventID: uid(2).String()},
			}},

		{"ActorMismatchDeployment", evs(pl(1, 0), deploymentEv(2, "FRA", "c", qty(40), false, 10)), []schema.Anomaly{an(mismatch, "FRA", 2)}},
		{"ActorMismatchWithdrawal", evs(pl(1, 0), withdrawalEv(2, "GBR", "c", 10)), []schema.Anomaly{an(mismatch, "GBR", 2)}},
		// The owner is the actor of the defining (latest) pledge: France's
		// restatement makes it France's, and Germany's delivery a mismatch.
		{"OwnerIsTheDefiningPledgesActor", evs(pl(1, 0), pledgeEv(2, "FRA", "c", schema.CategoryMilitary, 100, "soldiers", 10), dl(3, 40, 20)),
			[]schema.Anomaly{an(mismatch, "DEU", 3)}},

		{"DeliveryAfterWithdrawal", evs(pl(1, 0), wd(2, 10), dl(3, 40, 11)), []schema.Anomaly{an(after, "DEU", 3)}},
		{"DeliveryBeforeWithdrawal", evs(pl(1, 0), dl(2, 40, 10), wd(3, 11)), nil},
		{"DeliveryInTheSameSecondAsTheWithdrawal", evs(pl(1, 0),
			occurred(T.Add(200*time.Millisecond), wd(2, 10)),
			occurred(T.Add(900*time.Millisecond), dl(3, 40, 10))), nil},
		{"DeliveryOneSecondAfterTheWithdrawal", evs(pl(1, 0),
			occurred(T, wd(2, 10)),
			occurred(T.Add(time.Second), dl(3, 40, 10))), []schema.Anomaly{an(after, "DEU", 3)}},
		{"DeliveryInTheNextSecond", evs(pl(1, 0),
			occurred(T.Add(900*time.Millisecond), wd(2, 10)),
			occurred(T.Add(1100*time.Millisecond), dl(3, 40, 10))), []schema.Anomaly{an(after, "DEU", 3)}},
		// After the first withdrawal, although before the second.
		{"AfterTheFirstWithdrawal", evs(pl(1, 0), wd(2, 10), dl(3, 40, 15), wd(4, 20)), []schema.Anomaly{an(after, "DEU", 3)}},
		{"BeforeEveryWithdrawal", evs(pl(1, 0), dl(3, 40, 5), wd(2, 10), wd(4, 20)), nil},
		{"WithdrawalsAreNeverAfterWithdrawal", evs(pl(1, 0), wd(2, 10), wd(3, 20)), nil},
		// Both at once: two anomalies of the same event.
		{"MismatchAndAfterWithdrawal", evs(pl(1, 0), wd(2, 10), deploymentEv(3, "FRA", "c", qty(40), false, 11)),
			[]schema.Anomaly{an(mismatch, "FRA", 3), an(after, "FRA", 3)}},
		{"MismatchedWithdrawalThenDelivery", evs(pl(1, 0), withdrawalEv(2, "FRA", "c", 10), dl(3, 40, 11)),
			[]schema.Anomaly{an(after, "DEU", 3), an(mismatch, "FRA", 2)}},

		{"OverDelivery", evs(pl(1, 0), dl(2, 60, 10), dl(3, 50, 20)), []schema.Anomaly{an(over, "DEU", 0)}},
		{"ExactDeliveryIsNoOverDelivery", evs(pl(1, 0), dl(2, 60, 10), dl(3, 40, 20)), nil},
		{"OverDeliveryIsTheOwners", evs(pl(1, 0), deploymentEv(2, "FRA", "c", qty(150), false, 10)),
			[]schema.Anomaly{an(over, "DEU", 0), an(mismatch, "FRA", 2)}},
		{"CompleteShortIsNoOverDelivery", evs(pl(1, 0), deploymentEv(2, "DEU", "c", qty(30), true, 10)), nil},
		{"CompleteBeyondIsOverDelivery", evs(pl(1, 0), deploymentEv(2, "DEU", "c", qty(130), true, 10)), []schema.Anomaly{an(over, "DEU", 0)}},
		{"ZeroPledgedIsNeverOverDelivered", evs(pledgeEv(1, "DEU", "c", schema.CategoryMilitary, 0, "ships", 0), dl(2, 5, 10)), nil},
		{"UnquantifiedIsNeverOverDelivered", evs(pledgeEv(1, "DEU", "c", schema.CategoryIntelligence, 0, "", 0), dl(2, 5, 10)), nil},
		{"OverDeliveryOnAWithdrawnCommitment", evs(pl(1, 0), dl(2, 150, 5), wd(3, 10)), []schema.Anomaly{an(over, "DEU", 0)}},
		{"OverDeliveryAfterWithdrawal", evs(pl(1, 0), wd(2, 10), dl(3, 150, 11)),
			[]schema.Anomaly{an(after, "DEU", 3), an(over, "DEU", 0)}},

		// Retracted events make no anomaly.
		{"RetractedDeliveryAfterWithdrawal", evs(pl(1, 0), wd(2, 10), dl(3, 40, 11), retracted(1, dl(3, 40, 11))), nil},
		{"RetractedWithdrawal", evs(pl(1, 0), wd(2, 10), dl(3, 40, 11), retracted(1, wd(2, 10))), nil},
		{"RetractedOverDelivery", evs(pl(1, 0), dl(2, 60, 10), dl(3, 50, 20), retracted(1, dl(3, 50, 20))), nil},
		{"RetractedPledgeMakesItUnknown", evs(pl(1, 0), retracted(1, pl(1, 0)), dl(2, 40, 10)), []schema.Anomaly{an(unknown, "DEU", 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			sorted := slices.Clone(tt.want)
			schema.SortAnomalies(sorted)
			if !slices.Equal(sorted, tt.want) {
				t.Fatalf("test setup: want is not sorted: %+v", tt.want)
			}
			for order, events := range orders(tt.events) {
				_, got := schema.FoldCommitments(schema.Knowledge(paris, events, late), late)
				if len(got) != 0 || len(tt.want) != 0 {
					if !reflect.DeepEqual(got, tt.want) {
						t.Errorf("%s: anomalies\n%+v\nwant\n%+v", order, got, tt.want)
					}
				}
			}
			anomalies, unmatched := map[string]uint64{}, map[string]uint64{}
			for _, a := range tt.want {
				anomalies[a.Country]++
				if a.Kind == unknown {
					unmatched[a.Country]++
				}
			}
			got := byCountry(schema.FoldAsOf(paris, tt.events, late))
			for c := range anomalies {
				if _, ok := got[c]; !ok {
					t.Errorf("no status for %s, which has anomalies", c)
				}
			}
			for c, s := range got {
				if s.Anomalies != anomalies[c] || s.Unmatched != unmatched[c] {
					t.Errorf("%s: %d anomalies, %d unmatched; want %d, %d", c, s.Anomalies, s.Unmatched, anomalies[c], unmatched[c])
				}
			}
		})
	}
}

// TestSortAnomalies checks the order: country, commitment, kind, event.
func TestSortAnomalies(t *testing.T) {
	want := []schema.Anomaly{
		{Kind: schema.AnomalyUnknownCommitment, Country: "CAN", CommitmentID: "z", EventID: "9"},
		{Kind: schema.AnomalyActorMismatch, Country: "DEU", CommitmentID: "a", EventID: "5"},
		{Kind: schema.AnomalyDeliveryAfterWithdrawal, Country: "DEU", CommitmentID: "a", EventID: "1"},
		{Kind: schema.AnomalyDeliveryAfterWithdrawal, Country: "DEU", CommitmentID: "a", EventID: "2"},
		{Kind: schema.AnomalyOverDelivery, Country: "DEU", CommitmentID: "a"},
		{Kind: schema.AnomalyActorMismatch, Country: "DEU", CommitmentID: "b", EventID: "0"},
		{Kind: schema.AnomalyActorMismatch, Country: "FRA", CommitmentID: "a", EventID: "0"},
	}
	for seed := range uint64(20) {
		got := slices.Clone(want)
		r := rand.New(rand.NewPCG(seed, 1))
		r.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		schema.SortAnomalies(got)
		if !slices.Equal(got, want) {
			t.Fatalf("SortAnomalies =\n%+v\nwant\n%+v", got, want)
		}
	}
}

// TestRetractions checks that a retracted event counts nowhere: the status
// is the same as without the event (any revision of it), and a few figures
// worked out by hand.
func TestRetractions(t *testing.T) {
	withPayload := func(ev schema.Event) schema.Event { ev.Revision, ev.Retracted = 1, true; return ev }
	tests := []struct {
		name   string
		events []schema.Event
		same   []schema.Event // FoldAsOf(events) must equal FoldAsOf(same)
		check  func(t *testing.T, s map[string]schema.CountryStatus)
	}{
		{
			// It closes nothing (no withdrawal), and there is no commitment
			// left to close.
			"PledgeClosesNothingRemovesTheCommitment",
			evs(statementEv(9, "DEU", 1, 0), pl(1, 0), retracted(1, pl(1, 0))),
			evs(statementEv(9, "DEU", 1, 0)),
			func(t *testing.T, s map[string]schema.CountryStatus) {
				d := s["DEU"]
				if d.Events != 1 || d.Pledges != 0 || d.Commitments != 0 || d.Withdrawn != 0 || d.Withdrawals != 0 || d.Open != 0 || d.Lines != nil {
					t.Errorf("DEU = %+v, want one event and no commitment", d)
				}
				if d.Label != schema.LabelSupportive {
					t.Errorf("DEU label %q, want supportive", d.Label)
				}
			},
		},
		{
			"PledgeLeavesItsDeliveriesUnmatched",
			evs(pl(1, 0), retracted(1, pl(1, 0)), dl(2, 40, 10)),
			evs(dl(2, 40, 10)),
			func(t *testing.T, s map[string]schema.CountryStatus) {
				if d := s["DEU"]; d.Unmatched != 1 || d.Anomalies != 1 || d.Commitments != 0 || d.Deployments != 1 {
					t.Errorf("DEU = %+v, want 1 unmatched deployment and no commitment", d)
				}
			},
		},
		{
			"WithdrawalReopens",
			evs(pl(1, 0), wd(2, 10), retracted(1, wd(2, 10))),
			evs(pl(1, 0)),
			func(t *testing.T, s map[string]schema.CountryStatus) {
				if d := s["DEU"]; d.Open != 1 || d.Withdrawn != 0 || d.Withdrawals != 0 || d.ByState != (schema.StateCounts{Announced: 1}) {
					t.Errorf("DEU = %+v, want the commitment open again", d)
				}
			},
		},
		{
			"KeepingItsPayload",
			evs(pl(1, 0), dl(2, 40, 10), withPayload(dl(2, 40, 10))),
			evs(pl(1, 0)),
			nil,
		},
		{
			"StatementRestoresTheEarlierStance",
			evs(statementEv(1, "DEU", 2, 0), statementEv(2, "DEU", -2, 10), retracted(1, statementEv(2, "DEU", -2, 10))),
			evs(statementEv(1, "DEU", 2, 0)),
			func(t *testing.T, s map[string]schema.CountryStatus) {
				if d := s["DEU"]; !d.HasStance || d.Stance != 2 || d.HasPrevStance || d.Label != schema.LabelSupportive {
					t.Errorf("DEU = %+v, want stance +2, no previous stance, supportive", d)
				}
			},
		},
		{
			"SanctionEndsTheConflict",
			evs(statementEv(1, "TUR", 0, 0), sanctionEv(2, "RUS", "TUR", 10), retracted(1, sanctionEv(2, "RUS", "TUR", 10))),
			evs(statementEv(1, "TUR", 0, 0)),
			func(t *testing.T, s map[string]schema.CountryStatus) {
				if r, ok := s["RUS"]; ok {
					t.Errorf("RUS = %+v, want no status", r)
				}
				if tu := s["TUR"]; tu.MemberConflicts != 0 || tu.SanctionsReceived != 0 || tu.Label != schema.LabelNeutral {
					t.Errorf("TUR = %+v, want no conflict", tu)
				}
			},
		},
		{
			// TUR's only event is retracted: it is no member, and RUS's
			// sanction is no member conflict.
			"EndsMembership",
			evs(statementEv(1, "TUR", 0, 0), retracted(1, statementEv(1, "TUR", 0, 0)), sanctionEv(2, "RUS", "TUR", 10)),
			evs(sanctionEv(2, "RUS", "TUR", 10)),
			func(t *testing.T, s map[string]schema.CountryStatus) {
				if s["RUS"].MemberConflicts != 0 || s["TUR"].MemberConflicts != 0 {
					t.Errorf("member conflicts RUS %d, TUR %d; want 0", s["RUS"].MemberConflicts, s["TUR"].MemberConflicts)
				}
			},
		},
		{
			"MeetingRemovesItsParticipants",
			evs(meetingEv(1, "FRA", "GBR", []string{"DEU"}, 0), retracted(1, meetingEv(1, "FRA", "GBR", []string{"DEU"}, 0))),
			nil,
			nil,
		},
		{
			"Correction",
			evs(pl(1, 0), rev(1, pledgeEv(1, "DEU", "c", schema.CategoryMilitary, 200, "soldiers", 0)), retracted(2, pl(1, 0))),
			nil,
			nil,
		},
		{
			// Retracting, then un-retracting with a higher revision, restores
			// the pledge as the last revision says.
			"UnretractedByAHigherRevision",
			evs(pl(1, 0), retracted(1, pl(1, 0)), rev(2, staged(schema.StageCommitted, pl(1, 0)))),
			evs(rev(2, staged(schema.StageCommitted, pl(1, 0)))),
			func(t *testing.T, s map[string]schema.CountryStatus) {
				if d := s["DEU"]; d.Pledges != 1 || d.Commitments != 1 || d.ByState != (schema.StateCounts{Committed: 1}) || d.Label != schema.LabelPledged {
					t.Errorf("DEU = %+v, want the committed commitment back", d)
				}
			},
		},
		{
			// A retraction with a lower revision than the event loses.
			"LowerRevisionRetractionLoses",
			evs(rev(2, pl(1, 0)), retracted(1, pl(1, 0))),
			evs(rev(2, pl(1, 0))),
			nil,
		},
		{
			// Same revision: the greater canonical JSON wins. The
			// retraction's begins `{"id":…,"revision":1,"retracted":true,`,
			// the correction's `{"id":…,"revision":1,"kind":`; 'r' > 'k', so
			// the retraction wins.
			"SameRevisionRetractionWins",
			evs(pl(1, 0), rev(1, pl(1, 0)), retracted(1, pl(1, 0))),
			nil,
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			want := schema.FoldAsOf(paris, tt.same, late)
			for order, events := range orders(tt.events) {
				if got := schema.FoldAsOf(paris, events, late); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: FoldAsOf =\n%s\nwant, as without the retracted event,\n%s", order, fmtStatus(got), fmtStatus(want))
				}
			}
			if tt.check != nil {
				tt.check(t, byCountry(schema.FoldAsOf(paris, tt.events, late)))
			}
		})
	}
}

// TestKnowledge checks what is known of a coalition at a moment: the events
// reported by then, to the second; one revision per id, the highest known
// then; no retracted event.
func TestKnowledge(t *testing.T) {
	type idRev struct {
		n   int
		rev uint32
	}
	type moment struct {
		asOf time.Time
		want []idRev // sorted by id
	}
	T := hour(10)
	sec := time.Second
	tests := []struct {
		name    string
		events  []schema.Event
		moments []moment
	}{
		{
			"ReportedAfterAsOfIsInvisible",
			evs(reported(T, pl(1, 0))),
			[]moment{
				{T.Add(-sec), nil},
				{T.Add(-time.Nanosecond), nil},
				{T, []idRev{{1, 0}}},
				{T.Add(999 * time.Millisecond), []idRev{{1, 0}}},
			},
		},
		{
			// Reported at T+0.7s: known from T on, to the second.
			"ToTheSecond",
			evs(reported(T.Add(700*time.Millisecond), pl(1, 0))),
			[]moment{{T.Add(-sec), nil}, {T, []idRev{{1, 0}}}},
		},
		{
			"CorrectionReportedAfterAsOf",
			evs(reported(hour(1), statementEv(1, "DEU", 1, 0)), reported(hour(10), rev(1, statementEv(1, "DEU", -1, 0)))),
			[]moment{{hour(0), nil}, {hour(5), []idRev{{1, 0}}}, {hour(10), []idRev{{1, 1}}}},
		},
		{
			"CorrectionReportedBeforeTheOriginal",
			evs(reported(hour(10), statementEv(1, "DEU", 1, 0)), reported(hour(1), rev(1, statementEv(1, "DEU", -1, 0)))),
			[]moment{{hour(5), []idRev{{1, 1}}}, {hour(10), []idRev{{1, 1}}}},
		},
		{
			"RetractionReportedAfterAsOf",
			evs(reported(hour(1), pl(1, 0)), reported(hour(10), retracted(1, pl(1, 0)))),
			[]moment{{hour(5), []idRev{{1, 0}}}, {hour(10), nil}},
		},
		{
			"RetractedThenRestored",
			evs(reported(hour(1), pl(1, 0)), reported(hour(5), retracted(1, pl(1, 0))), reported(hour(10), rev(2, pl(1, 0)))),
			[]moment{{hour(3), []idRev{{1, 0}}}, {hour(7), nil}, {hour(12), []idRev{{1, 2}}}},
		},
		{
			// Revision 10 restores what revision 9 retracted: revisions
			// compare as numbers.
			"RevisionTenBeatsNine",
			evs(pl(1, 0), reported(hour(5), retracted(9, pl(1, 0))), reported(hour(10), rev(10, pl(1, 0)))),
			[]moment{{hour(7), nil}, {hour(10), []idRev{{1, 10}}}},
		},
		{
			"SortedByID",
			evs(pl(3, 0), statementEv(1, "FRA", 2, 0), wd(2, 0)),
			[]moment{{late, []idRev{{1, 0}, {2, 0}, {3, 0}}}},
		},
		{
			"OtherCoalitionsIgnored",
			evs(pl(1, 0), in("anti-isil", statementEv(2, "FRA", 2, 0)), in("anti-isil", rev(1, pl(1, 0)))),
			[]moment{{late, []idRev{{1, 0}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			for _, m := range tt.moments {
				for order, events := range orders(tt.events) {
					var got []idRev
					for _, ev := range schema.Knowledge(paris, events, m.asOf) {
						if ev.Retracted {
							t.Errorf("%s: Knowledge at %v holds the retraction %s", order, m.asOf, ev.ID)
						}
						n := -1
						for i := range 10 {
							if ev.ID == uid(i) {
								n = i
							}
						}
						got = append(got, idRev{n, ev.Revision})
					}
					if !slices.Equal(got, m.want) {
						t.Errorf("%s: Knowledge at %v = %v, want %v", order, m.asOf.Format(time.RFC3339Nano), got, m.want)
					}
				}
			}
		})
	}
}

// TestFoldAsOfKnowledge checks that the status at a moment is computed from
// what was known then, and that deadlines are judged at that moment.
func TestFoldAsOfKnowledge(t *testing.T) {
	t.Run("EventReportedAfterAsOfIsInvisible", func(t *testing.T) {
		events := evs(reported(hour(10), pl(1, 0)))
		if got := schema.FoldAsOf(paris, events, hour(10).Add(-time.Second)); len(got) != 0 {
			t.Errorf("a second before the report: %s, want nothing", fmtStatus(got))
		}
		if got := byCountry(schema.FoldAsOf(paris, events, hour(10)))["DEU"]; got.Commitments != 1 || got.Open != 1 {
			t.Errorf("at the report: DEU = %+v, want one open commitment", got)
		}
	})
	t.Run("CorrectionReportedAfterAsOf", func(t *testing.T) {
		// The correction (200 soldiers) is reported at hour 20: at hour 10
		// the original (100) is in force.
		events := evs(reported(hour(1), pl(1, 0)),
			reported(hour(20), rev(1, pledgeEv(1, "DEU", "c", schema.CategoryMilitary, 200, "soldiers", 0))))
		checkValid(t, events)
		for _, tc := range []struct {
			asOf    time.Time
			pledged float64
		}{{hour(10), 100}, {hour(20), 200}} {
			d := byCountry(schema.FoldAsOf(paris, events, tc.asOf))["DEU"]
			if len(d.Lines) != 1 || d.Lines[0].Pledged != tc.pledged {
				t.Errorf("at %v: lines %+v, want %g pledged", tc.asOf, d.Lines, tc.pledged)
			}
		}
	})
	t.Run("LapsedUntilTheDeliveryIsKnown", func(t *testing.T) {
		// Due at hour 100; delivered at hour 50, but reported at hour 150.
		events := evs(due(hour(100), pl(1, 0)), reported(hour(150), dl(2, 40, 50)))
		checkValid(t, events)
		for _, tc := range []struct {
			asOf time.Time
			want schema.StateCounts
		}{
			{hour(100), schema.StateCounts{Announced: 1}},
			{hour(120), schema.StateCounts{Lapsed: 1}},
			{hour(150), schema.StateCounts{PartlyDelivered: 1}},
		} {
			if got := byCountry(schema.FoldAsOf(paris, events, tc.asOf))["DEU"].ByState; got != tc.want {
				t.Errorf("at %v: by state %+v, want %+v", tc.asOf, got, tc.want)
			}
		}
	})
	t.Run("FoldIsAsOfNow", func(t *testing.T) {
		// Due in 2015: lapsed now, as at any moment after the deadline.
		events := evs(due(hour(100), pl(1, 0)))
		if got, want := schema.Fold(paris, events), schema.FoldAsOf(paris, events, time.Now()); !reflect.DeepEqual(got, want) {
			t.Errorf("Fold =\n%s\nwant FoldAsOf(now)\n%s", fmtStatus(got), fmtStatus(want))
		}
		if got := byCountry(schema.Fold(paris, events))["DEU"].ByState; got != (schema.StateCounts{Lapsed: 1}) {
			t.Errorf("Fold: by state %+v, want lapsed", got)
		}
	})
}

// TestPrevStance checks the previous stance: the statement just before the
// latest, in the same order (occurrence to the second, then id).
func TestPrevStance(t *testing.T) {
	type stances struct {
		has     bool
		stance  schema.Stance
		hasPrev bool
		prev    schema.Stance
	}
	tests := []struct {
		name   string
		events []schema.Event
		want   stances
	}{
		{"None", evs(pl(1, 0)), stances{}},
		{"OneStatement", evs(statementEv(1, "DEU", 1, 0)), stances{true, 1, false, 0}},
		{"TwoStatements", evs(statementEv(1, "DEU", 2, 0), statementEv(2, "DEU", -1, 10)), stances{true, -1, true, 2}},
		{"TheOneJustBefore", evs(statementEv(1, "DEU", 2, 0), statementEv(2, "DEU", 0, 5), statementEv(3, "DEU", -1, 10)), stances{true, -1, true, 0}},
		{"ByOccurrenceNotID", evs(statementEv(3, "DEU", 2, 0), statementEv(2, "DEU", 0, 5), statementEv(1, "DEU", -1, 10)), stances{true, -1, true, 0}},
		{"SameStanceTwice", evs(statementEv(1, "DEU", 1, 0), statementEv(2, "DEU", 1, 10)), stances{true, 1, true, 1}},
		// Same second: id 9 is the latest, id 2 the one before.
		{"SameSecondByID", evs(
			occurred(hour(10).Add(900*time.Millisecond), statementEv(2, "DEU", 1, 10)),
			occurred(hour(10).Add(100*time.Millisecond), statementEv(9, "DEU", -1, 10)),
		), stances{true, -1, true, 1}},
		{"OtherCountriesIgnored", evs(statementEv(1, "FRA", -2, 0), statementEv(2, "DEU", 1, 10)), stances{true, 1, false, 0}},
		{"RetractedLatest", evs(statementEv(1, "DEU", 2, 0), statementEv(2, "DEU", -2, 10), retracted(1, statementEv(2, "DEU", -2, 10))), stances{true, 2, false, 0}},
		{"RetractedPrevious", evs(statementEv(1, "DEU", 2, 0), statementEv(2, "DEU", 0, 5), retracted(1, statementEv(2, "DEU", 0, 5)), statementEv(3, "DEU", -1, 10)), stances{true, -1, true, 2}},
		// A correction moves a statement: the one at hour 20 becomes the
		// earliest.
		{"CorrectedTime", evs(statementEv(1, "DEU", 2, 20), rev(1, statementEv(1, "DEU", 2, 0)), statementEv(2, "DEU", 1, 10)), stances{true, 1, true, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			for order, events := range orders(tt.events) {
				d := byCountry(schema.FoldAsOf(paris, events, late))["DEU"]
				if got := (stances{d.HasStance, d.Stance, d.HasPrevStance, d.PrevStance}); got != tt.want {
					t.Errorf("%s: stances %+v, want %+v", order, got, tt.want)
				}
			}
		})
	}
}

// TestMemberConflicts checks that sanctions and incidents between two
// members (actors of some known event) count for both sides, and nothing
// else does.
func TestMemberConflicts(t *testing.T) {
	tests := []struct {
		name   string
		events []schema.Event
		asOf   time.Time         // zero: late
		want   map[string]uint64 // countries not listed: 0
	}{
		{"SanctionOnANonMember", evs(sanctionEv(1, "DEU", "RUS", 0)), time.Time{}, nil},
		{"IncidentWithANonMember", evs(incidentEv(1, "TUR", "RUS", 0)), time.Time{}, nil},
		{"SanctionBetweenMembers", evs(sanctionEv(1, "DEU", "RUS", 0), statementEv(2, "RUS", -1, 5)), time.Time{}, map[string]uint64{"DEU": 1, "RUS": 1}},
		{"IncidentBetweenMembers", evs(incidentEv(1, "TUR", "RUS", 0), statementEv(2, "RUS", -1, 5)), time.Time{}, map[string]uint64{"TUR": 1, "RUS": 1}},
		{"BothWays", evs(sanctionEv(1, "RUS", "TUR", 0), incidentEv(2, "TUR", "RUS", 5)), time.Time{}, map[string]uint64{"TUR": 2, "RUS": 2}},
		{"Many", evs(sanctionEv(1, "DEU", "RUS", 0), sanctionEv(2, "DEU", "RUS", 1), incidentEv(3, "RUS", "DEU", 2)), time.Time{}, map[string]uint64{"DEU": 3, "RUS": 3}},
		{"ThirdCountryUnaffected", evs(sanctionEv(1, "RUS", "TUR", 0), incidentEv(2, "TUR", "GBR", 5)), time.Time{}, map[string]uint64{"RUS": 1, "TUR": 1}},
		// Membership is by the set, not by time: RUS became a member later.
		{"MemberByALaterEvent", evs(sanctionEv(1, "DEU", "RUS", 0), meetingEv(2, "RUS", "", nil, 100)), time.Time{}, map[string]uint64{"DEU": 1, "RUS": 1}},
		{"CounterpartOrParticipantIsNoMember", evs(sanctionEv(1, "DEU", "RUS", 0), meetingEv(2, "FRA", "RUS", []string{"RUS", "GBR"}, 5)), time.Time{}, nil},
		{"MemberOfAnotherCoalitionIsNoMember", evs(sanctionEv(1, "DEU", "RUS", 0), in("anti-isil", statementEv(2, "RUS", 0, 5))), time.Time{}, nil},
		{"MemberOnlyOnceKnown", evs(sanctionEv(1, "DEU", "RUS", 0), reported(hour(200), statementEv(2, "RUS", 0, 5))), hour(100), nil},
		{"MemberOnceKnown", evs(sanctionEv(1, "DEU", "RUS", 0), reported(hour(200), statementEv(2, "RUS", 0, 5))), hour(200), map[string]uint64{"DEU": 1, "RUS": 1}},
		{"StatementsAndMeetingsAreNoConflicts", evs(
			func() schema.Event { ev := statementEv(1, "DEU", -2, 0); ev.Counterpart = "RUS"; return ev }(),
			meetingEv(2, "RUS", "DEU", nil, 5),
		), time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			asOf := tt.asOf
			if asOf.IsZero() {
				asOf = late
			}
			for order, events := range orders(tt.events) {
				got := byCountry(schema.FoldAsOf(paris, events, asOf))
				for c := range tt.want {
					if _, ok := got[c]; !ok {
						t.Errorf("%s: no status for %s", order, c)
					}
				}
				for c, s := range got {
					if s.MemberConflicts != tt.want[c] {
						t.Errorf("%s: %s has %d member conflicts, want %d", order, c, s.MemberConflicts, tt.want[c])
					}
					if tt.want[c] > 0 && s.Label != schema.LabelAtOdds && s.Label != schema.LabelOpposed {
						t.Errorf("%s: %s label %q, want at_odds", order, c, s.Label)
					}
				}
			}
		})
	}
}

// TestLabels checks the labels and the order StatusLabel tries them in.
func TestLabels(t *testing.T) {
	want := []schema.Label{"opposed", "at_odds", "wavering", "delivering", "pledged", "supportive", "neutral"}
	if !slices.Equal(schema.Labels, want) {
		t.Errorf("Labels = %q, want %q", schema.Labels, want)
	}
	got := []schema.Label{schema.LabelOpposed, schema.LabelAtOdds, schema.LabelWavering, schema.LabelDelivering,
		schema.LabelPledged, schema.LabelSupportive, schema.LabelNeutral}
	if !slices.Equal(got, want) {
		t.Errorf("the label constants are %q, want %q", got, want)
	}
}

// TestStatusLabel checks each rule of StatusLabel and that the first that
// holds wins.
func TestStatusLabel(t *testing.T) {
	stance := func(s schema.Stance) schema.CountryStatus {
		return schema.CountryStatus{HasStance: true, Stance: s}
	}
	with := func(s schema.CountryStatus, f func(*schema.CountryStatus)) schema.CountryStatus { f(&s); return s }
	prev := func(p schema.Stance) func(*schema.CountryStatus) {
		return func(s *schema.CountryStatus) { s.HasPrevStance, s.PrevStance = true, p }
	}
	conflict := func(s *schema.CountryStatus) { s.MemberConflicts = 1 }
	partly := func(s *schema.CountryStatus) { s.Commitments, s.Open, s.ByState.PartlyDelivered = 1, 1, 1 }
	delivered := func(s *schema.CountryStatus) { s.Commitments, s.ByState.Delivered = 1, 1 }
	open := func(s *schema.CountryStatus) { s.Commitments, s.Open, s.ByState.Committed = 1, 1, 1 }
	both := func(fs ...func(*schema.CountryStatus)) func(*schema.CountryStatus) {
		return func(s *schema.CountryStatus) {
			for _, f := range fs {
				f(s)
			}
		}
	}
	tests := []struct {
		name   string
		status schema.CountryStatus
		want   schema.Label
	}{
		// 7. neutral
		{"Nothing", schema.CountryStatus{}, schema.LabelNeutral},
		{"Neutral", stance(0), schema.LabelNeutral},
		{"NoStanceMeansNoStance", schema.CountryStatus{Stance: -2, PrevStance: 2}, schema.LabelNeutral},
		{"LapsedOnly", schema.CountryStatus{Commitments: 1, ByState: schema.StateCounts{Lapsed: 1}}, schema.LabelNeutral},
		{"WithdrawnWithoutDeliveries", schema.CountryStatus{Commitments: 1, Withdrawn: 1, ByState: schema.StateCounts{Withdrawn: 1},
			Lines: []schema.StatusLine{{Commitments: 1, Pledged: 5, Withdrawn: 5}}}, schema.LabelNeutral},
		// 1. opposed
		{"Opposed", stance(-2), schema.LabelOpposed},
		{"OpposedBeatsAtOdds", with(stance(-2), conflict), schema.LabelOpposed},
		{"OpposedBeatsWavering", with(stance(-2), prev(2)), schema.LabelOpposed},
		{"OpposedBeatsDelivering", with(stance(-2), delivered), schema.LabelOpposed},
		{"OpposedBeforeIsNotOpposed", with(stance(0), prev(-2)), schema.LabelNeutral},
		// 2. at_odds
		{"AtOdds", with(schema.CountryStatus{}, conflict), schema.LabelAtOdds},
		{"AtOddsBeatsWavering", with(stance(-1), conflict), schema.LabelAtOdds},
		{"AtOddsBeatsWaveringDrop", with(stance(1), both(prev(2), conflict)), schema.LabelAtOdds},
		{"AtOddsBeatsDelivering", with(stance(2), both(conflict, partly)), schema.LabelAtOdds},
		{"AtOddsBeatsPledged", with(stance(2), both(conflict, open)), schema.LabelAtOdds},
		{"AtOddsBeatsSupportive", with(stance(2), conflict), schema.LabelAtOdds},
		// 3. wavering
		{"Skeptical", stance(-1), schema.LabelWavering},
		{"SkepticalAfterOpposed", with(stance(-1), prev(-2)), schema.LabelWavering},
		{"Dropped", with(stance(1), prev(2)), schema.LabelWavering},
		{"DroppedToNeutral", with(stance(0), prev(1)), schema.LabelWavering},
		{"RoseIsNotWavering", with(stance(1), prev(-1)), schema.LabelSupportive},
		{"SameIsNotWavering", with(stance(2), prev(2)), schema.LabelSupportive},
		{"NoPrevIsNotWavering", schema.CountryStatus{HasStance: true, Stance: 1, PrevStance: 2}, schema.LabelSupportive},
		{"WaveringBeatsDelivering", with(stance(-1), delivered), schema.LabelWavering},
		{"WaveringDropBeatsDelivering", with(stance(1), both(prev(2), partly)), schema.LabelWavering},
		{"WaveringBeatsPledged", with(stance(0), both(prev(2), open)), schema.LabelWavering},
		// 4. delivering
		{"PartlyDelivered", with(schema.CountryStatus{}, partly), schema.LabelDelivering},
		{"Delivered", with(schema.CountryStatus{}, delivered), schema.LabelDelivering},
		{"DeliveredOnItsLinesOnly", schema.CountryStatus{Commitments: 1, Withdrawn: 1, ByState: schema.StateCounts{Withdrawn: 1},
			Lines: []schema.StatusLine{{Commitments: 1, Pledged: 5, Delivered: 2, Withdrawn: 5}}}, schema.LabelDelivering},
		{"DeliveringBeatsPledged", with(stance(0), both(open, partly)), schema.LabelDelivering},
		{"DeliveringBeatsSupportive", with(stance(2), delivered), schema.LabelDelivering},
		// 5. pledged
		{"Pledged", with(schema.CountryStatus{}, open), schema.LabelPledged},
		{"PledgedBeatsSupportive", with(stance(2), open), schema.LabelPledged},
		{"PledgedWithNeutralStance", with(stance(0), open), schema.LabelPledged},
		// 6. supportive
		{"Supportive", stance(1), schema.LabelSupportive},
		{"StronglySupportive", stance(2), schema.LabelSupportive},
		{"SupportiveWithClosedCommitments", schema.CountryStatus{HasStance: true, Stance: 2, Commitments: 2,
			ByState: schema.StateCounts{Lapsed: 1, Withdrawn: 1}, Withdrawn: 1}, schema.LabelSupportive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schema.StatusLabel(&tt.status); got != tt.want {
				t.Errorf("StatusLabel(%+v) = %q, want %q", tt.status, got, tt.want)
			}
			s := tt.status
			s.Finish()
			if s.Label != tt.want {
				t.Errorf("Finish: label %q, want %q", s.Label, tt.want)
			}
		})
	}
}

// TestFoldAsOfLabels checks the labels end to end, one country per rule.
func TestFoldAsOfLabels(t *testing.T) {
	events := evs(
		statementEv(1, "FRA", -2, 0),   // opposed
		sanctionEv(2, "RUS", "TUR", 0), // at odds, both
		statementEv(3, "TUR", 2, 5),    // (and a member)
		statementEv(4, "DEU", 2, 0),    // wavering: 2, then 1
		statementEv(5, "DEU", 1, 10),   //
		pledgeEv(6, "DEU", "DEU-1", schema.CategoryMilitary, 10, "soldiers", 0),
		pledgeEv(7, "GBR", "GBR-1", schema.CategoryBasing, 1, "base", 0), // delivering
		deploymentEv(8, "GBR", "GBR-1", nil, true, 10),
		pledgeEv(9, "USA", "USA-1", schema.CategoryIntelligence, 0, "", 0), // pledged
		statementEv(10, "USA", 2, 0),
		statementEv(11, "ITA", 1, 0), // supportive: its only commitment lapsed
		due(hour(100), pledgeEv(12, "ITA", "ITA-1", schema.CategoryMilitary, 10, "soldiers", 0)),
		meetingEv(13, "BEL", "", []string{"NLD"}, 0),                            // neutral
		pledgeEv(14, "CAN", "CAN-1", schema.CategoryMilitary, 6, "aircraft", 0), // delivering: withdrawn, but 2 delivered
		deploymentEv(15, "CAN", "CAN-1", qty(2), false, 5),
		withdrawalEv(16, "CAN", "CAN-1", 10),
	)
	checkValid(t, events)
	want := map[string]schema.Label{
		"FRA": schema.LabelOpposed, "RUS": schema.LabelAtOdds, "TUR": schema.LabelAtOdds,
		"DEU": schema.LabelWavering, "GBR": schema.LabelDelivering, "USA": schema.LabelPledged,
		"ITA": schema.LabelSupportive, "BEL": schema.LabelNeutral, "NLD": schema.LabelNeutral,
		"CAN": schema.LabelDelivering,
	}
	got := map[string]schema.Label{}
	for _, s := range schema.FoldAsOf(paris, events, late) {
		got[s.Country] = s.Label
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("labels = %v,\nwant     %v", got, want)
	}
	// Before ITA's deadline its commitment is open: pledged, not supportive.
	if got := byCountry(schema.FoldAsOf(paris, events, hour(100)))["ITA"].Label; got != schema.LabelPledged {
		t.Errorf("ITA at its deadline: label %q, want pledged", got)
	}
}

// TestFinish checks the derived fields: lines sorted, each line's
// fulfilment, times in UTC, the label; and that it can run twice.
func TestFinish(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	at := time.Date(2015, 11, 25, 12, 0, 0, 0, cet)
	s := schema.CountryStatus{
		Coalition: paris, Country: "DEU",
		HasStance: true, Stance: 2, StanceAt: at, LastActivityAt: at, LastMeetingAt: at, OldestOpenAt: at,
		Commitments: 4, Open: 1, ByState: schema.StateCounts{PartlyDelivered: 1, Delivered: 2, Withdrawn: 1}, Withdrawn: 1,
		Lines: []schema.StatusLine{
			{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 2, Open: 1, Pledged: 400, Delivered: 350, Fulfilment: 9},
			{Category: schema.CategoryMilitary, Unit: "", Commitments: 1, Pledged: 0, Delivered: 3, Fulfilment: 5},
			{Category: schema.CategoryFinancial, Unit: "EUR", Commitments: 1, Pledged: 200, Delivered: 300, Withdrawn: 200},
			{Category: schema.CategoryBasing, Unit: "base", Pledged: 1, Delivered: 1},
		},
		Label: "stale",
	}
	wantLines := []schema.StatusLine{
		{Category: schema.CategoryBasing, Unit: "base", Pledged: 1, Delivered: 1, Fulfilment: 1},
		{Category: schema.CategoryFinancial, Unit: "EUR", Commitments: 1, Pledged: 200, Delivered: 300, Withdrawn: 200, Fulfilment: 1.5},
		{Category: schema.CategoryMilitary, Unit: "", Commitments: 1, Pledged: 0, Delivered: 3, Fulfilment: 0},
		{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 2, Open: 1, Pledged: 400, Delivered: 350, Fulfilment: 0.875},
	}
	for i := range 2 {
		s.Finish()
		if !reflect.DeepEqual(s.Lines, wantLines) {
			t.Errorf("Finish #%d: lines\n%+v\nwant\n%+v", i+1, s.Lines, wantLines)
		}
		for name, tm := range map[string]time.Time{"StanceAt": s.StanceAt, "LastActivityAt": s.LastActivityAt,
			"LastMeetingAt": s.LastMeetingAt, "OldestOpenAt": s.OldestOpenAt} {
			if !tm.Equal(at) || tm.Location() != time.UTC {
				t.Errorf("Finish #%d: %s = %v, want %v in UTC", i+1, name, tm, at)
			}
		}
		if s.Label != schema.LabelDelivering {
			t.Errorf("Finish #%d: label %q, want delivering", i+1, s.Label)
		}
	}
	var zero schema.CountryStatus
	zero.Finish()
	if !reflect.DeepEqual(zero, schema.CountryStatus{Label: schema.LabelNeutral}) {
		t.Errorf("Finish on the zero status = %+v, want only the neutral label", zero)
	}
}

// TestFulfilment checks each line's fulfilment in a fold: delivered over
// pledged, withdrawn commitments included, 0 when nothing quantified was
// pledged.
func TestFulfilment(t *testing.T) {
	events := evs(
		// military/soldiers: 100 (50 delivered, by France: a mismatch still
		// counts on the owner's line) and 300 (complete): 350 / 400.
		pledgeEv(1, "DEU", "a", schema.CategoryMilitary, 100, "soldiers", 0),
		deploymentEv(2, "FRA", "a", qty(50), false, 10),
		pledgeEv(3, "DEU", "b", schema.CategoryMilitary, 300, "soldiers", 0),
		deploymentEv(4, "DEU", "b", qty(120), true, 10),
		// financial/EUR: 100 withdrawn after 20 delivered, and 100 with
		// nothing: 20 / 200.
		pledgeEv(5, "DEU", "c", schema.CategoryFinancial, 100, "EUR", 0),
		deploymentEv(6, "DEU", "c", qty(20), false, 5),
		withdrawalEv(7, "DEU", "c", 10),
		pledgeEv(8, "DEU", "d", schema.CategoryFinancial, 100, "EUR", 0),
		// basing/base: over-delivered, 2 / 1.
		pledgeEv(9, "DEU", "e", schema.CategoryBasing, 1, "base", 0),
		deploymentEv(10, "DEU", "e", qty(2), false, 10),
		// intelligence/"": nothing quantified: 0.
		pledgeEv(11, "DEU", "f", schema.CategoryIntelligence, 0, "", 0),
		deploymentEv(12, "DEU", "f", qty(3), false, 10),
		// military/ships: 0 pledged: 0, whatever is delivered.
		pledgeEv(13, "DEU", "g", schema.CategoryMilitary, 0, "ships", 0),
		deploymentEv(14, "DEU", "g", qty(1), false, 10),
		// Nowhere: a delivery on no commitment, a retracted delivery.
		deploymentEv(15, "DEU", "ghost", qty(10), false, 10),
		deploymentEv(16, "DEU", "b", qty(1000), false, 10),
		retracted(1, deploymentEv(16, "DEU", "b", qty(1000), false, 10)),
	)
	checkValid(t, events)
	want := []schema.StatusLine{
		{Category: schema.CategoryBasing, Unit: "base", Commitments: 1, Pledged: 1, Delivered: 2, Fulfilment: 2},
		{Category: schema.CategoryFinancial, Unit: "EUR", Commitments: 2, Open: 1, Pledged: 200, Delivered: 20, Withdrawn: 100, Fulfilment: 0.1},
		{Category: schema.CategoryIntelligence, Unit: "", Commitments: 1, Open: 1, Pledged: 0, Delivered: 3, Fulfilment: 0},
		{Category: schema.CategoryMilitary, Unit: "ships", Commitments: 1, Open: 1, Pledged: 0, Delivered: 1, Fulfilment: 0},
		{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 2, Open: 1, Pledged: 400, Delivered: 350, Fulfilment: 0.875},
	}
	for order, events := range orders(events) {
		got := byCountry(schema.FoldAsOf(paris, events, late))
		if !reflect.DeepEqual(got["DEU"].Lines, want) {
			t.Errorf("%s: DEU lines\n%+v\nwant\n%+v", order, got["DEU"].Lines, want)
		}
		if got["FRA"].Lines != nil {
			t.Errorf("%s: FRA lines %+v, want none: it owns nothing", order, got["FRA"].Lines)
		}
	}
}

// TestOldestOpenAt checks when the oldest open commitment was first pledged.
func TestOldestOpenAt(t *testing.T) {
	p := func(n int, id string, h int) schema.Event {
		return pledgeEv(n, "DEU", id, schema.CategoryMilitary, 10, "soldiers", h)
	}
	tests := []struct {
		name   string
		events []schema.Event
		asOf   time.Time // zero: late
		want   time.Time // zero: none open
	}{
		{"NoneOpen", evs(p(1, "a", 0), deploymentEv(2, "DEU", "a", nil, true, 10)), time.Time{}, time.Time{}},
		{"NoCommitment", evs(statementEv(1, "DEU", 1, 0)), time.Time{}, time.Time{}},
		{"OnlyOpenOnesCount", evs(
			p(1, "delivered", 0), deploymentEv(2, "DEU", "delivered", nil, true, 100),
			p(3, "withdrawn", 5), withdrawalEv(4, "DEU", "withdrawn", 100),
			due(hour(100), p(5, "lapsed", 8)),
			p(6, "announced", 10),
			p(7, "partly", 20), deploymentEv(8, "DEU", "partly", qty(1), false, 100),
		), time.Time{}, hour(10)},
		{"PartlyDeliveredIsOpen", evs(p(1, "a", 0), deploymentEv(2, "DEU", "a", qty(1), false, 100), p(3, "b", 5)), time.Time{}, hour(0)},
		{"TheFirstPledgeNotTheDefining", evs(p(1, "a", 30), p(2, "a", 50)), time.Time{}, hour(30)},
		{"TheFirstPledgeWhateverItsID", evs(p(2, "a", 30), p(1, "a", 50)), time.Time{}, hour(30)},
		// France pledged first, Germany restated it later and owns it: the
		// commitment was first pledged at hour 0.
		{"FirstPledgedByAnotherCountry", evs(pledgeEv(1, "FRA", "a", schema.CategoryMilitary, 10, "soldiers", 0), p(2, "a", 10)), time.Time{}, hour(0)},
		{"RetractedPledgeIsNotTheOldest", evs(p(1, "a", 0), retracted(1, p(1, "a", 0)), p(2, "b", 10)), time.Time{}, hour(10)},
		{"TruncatedToTheSecondInUTC", evs(occurred(hour(0).Add(700*time.Millisecond).In(time.FixedZone("CET", 3600)), p(1, "a", 0))), time.Time{}, hour(0)},
		{"OpenAtTheDeadline", evs(due(hour(100), p(1, "a", 0)), p(2, "b", 10)), hour(100), hour(0)},
		{"LapsedASecondLater", evs(due(hour(100), p(1, "a", 0)), p(2, "b", 10)), hour(100).Add(time.Second), hour(10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			asOf := tt.asOf
			if asOf.IsZero() {
				asOf = late
			}
			for order, events := range orders(tt.events) {
				got := byCountry(schema.FoldAsOf(paris, events, asOf))["DEU"].OldestOpenAt
				if !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC) || (tt.want.IsZero() && got != (time.Time{})) {
					t.Errorf("%s: OldestOpenAt = %v, want %v in UTC", order, got, tt.want)
				}
			}
		})
	}
}

// moments are the asOf moments of the property tests, across the span
// eventgen draws from: occurrences over 14 days from 2015-11-13, reports up
// to 48 hours later, deadlines 7 to 28 days after the start.
var moments = []time.Time{
	time.Date(2015, 11, 13, 0, 0, 0, 0, time.UTC),
	time.Date(2015, 11, 16, 12, 0, 0, 0, time.UTC),
	time.Date(2015, 11, 20, 8, 30, 15, 0, time.UTC),
	time.Date(2015, 11, 24, 7, 24, 0, 500_000_000, time.UTC),
	time.Date(2015, 11, 27, 0, 0, 0, 0, time.UTC),
	time.Date(2015, 12, 1, 12, 0, 30, 0, time.UTC),
	time.Date(2015, 12, 5, 0, 0, 0, 0, time.UTC),
}

// TestFoldAsOfProperties checks on random sets with corrections,
// retractions, stages and deadlines (eventgen, fixed seeds) that FoldAsOf
// at each of several moments depends on the set of events known then only:
// not on their order, duplicates, events reported later, events of other
// coalitions or retracted events; and that the invariants of
// checkFoldInvariantsAsOf hold. It also checks that the sets reach every
// state, anomaly kind and label, so that the properties cover them.
func TestFoldAsOfProperties(t *testing.T) {
	opts := eventgen.Options{Revisions: true, Commitments: 12}
	seen := map[string]int{}
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 20151113))
		events := eventgen.Events(r, 20+r.IntN(180), opts)
		checkValid(t, events)
		others := eventgen.Events(r, 40, eventgen.Options{Coalitions: []string{"anti-isil"}, Revisions: true, Commitments: 12})
		for _, asOf := range moments {
			fail := func(format string, args ...any) {
				t.Helper()
				t.Fatalf("seed %d, as of %s, %d events: %s", seed, asOf.Format(time.RFC3339Nano), len(events), fmt.Sprintf(format, args...))
			}
			want := schema.FoldAsOf(paris, events, asOf)

			shuffled := slices.Clone(events)
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if got := schema.FoldAsOf(paris, shuffled, asOf); !reflect.DeepEqual(got, want) {
				fail("FoldAsOf changes with the order:\n%s\nwant\n%s", fmtStatus(got), fmtStatus(want))
			}
			dup := slices.Clone(shuffled)
			for range 1 + r.IntN(len(events)) {
				dup = append(dup, events[r.IntN(len(events))])
			}
			r.Shuffle(len(dup), func(i, j int) { dup[i], dup[j] = dup[j], dup[i] })
			if got := schema.FoldAsOf(paris, dup, asOf); !reflect.DeepEqual(got, want) {
				fail("FoldAsOf changes with duplicates:\n%s\nwant\n%s", fmtStatus(got), fmtStatus(want))
			}
			mixed := append(slices.Clone(shuffled), others...)
			r.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
			if got := schema.FoldAsOf(paris, mixed, asOf); !reflect.DeepEqual(got, want) {
				fail("FoldAsOf changes with events of another coalition:\n%s\nwant\n%s", fmtStatus(got), fmtStatus(want))
			}

			// Events reported after asOf change nothing: the past is the past.
			var reportedBy []schema.Event
			for _, ev := range events {
				if ev.ReportedAt.Unix() <= asOf.Unix() {
					reportedBy = append(reportedBy, ev)
				}
			}
			if got := schema.FoldAsOf(paris, reportedBy, asOf); !reflect.DeepEqual(got, want) {
				fail("FoldAsOf changes without the events reported later:\n%s\nwant\n%s", fmtStatus(got), fmtStatus(want))
			}
			known := schema.Knowledge(paris, events, asOf)
			if got := schema.FoldAsOf(paris, known, asOf); !reflect.DeepEqual(got, want) {
				fail("FoldAsOf of its own Knowledge differs:\n%s\nwant\n%s", fmtStatus(got), fmtStatus(want))
			}

			// A retracted event counts nowhere: the status is the same
			// without any revision of it.
			gone := map[[16]byte]bool{}
			for _, ev := range schema.Dedup(reportedBy) {
				if ev.Retracted {
					gone[ev.ID] = true
				}
			}
			var without []schema.Event
			removed := false
			for _, ev := range events {
				if !gone[ev.ID] {
					without = append(without, ev)
				} else if !ev.Retracted && ev.ReportedAt.Unix() <= asOf.Unix() {
					removed = true
				}
			}
			if removed {
				seen["retraction removed a known event"]++
			}
			if got := schema.FoldAsOf(paris, without, asOf); !reflect.DeepEqual(got, want) {
				fail("FoldAsOf changes without the %d retracted events:\n%s\nwant\n%s", len(gone), fmtStatus(got), fmtStatus(want))
			}

			checkFoldInvariantsAsOf(t, events, asOf, want)
			if t.Failed() {
				fail("invariants do not hold")
			}

			cs, anomalies := schema.FoldCommitments(known, asOf)
			for _, c := range cs {
				seen["state "+string(c.State)]++
			}
			for _, a := range anomalies {
				seen["anomaly "+string(a.Kind)]++
			}
			for _, s := range want {
				seen["label "+string(s.Label)]++
				if s.HasPrevStance {
					seen["previous stance"]++
				}
				if s.MemberConflicts > 0 {
					seen["member conflict"]++
				}
			}
		}

		// With what is known fixed, a later moment can only make a
		// commitment lapse; anomalies do not depend on the moment.
		known := schema.Knowledge(paris, events, moments[len(moments)-1])
		prev, prevAnomalies := schema.FoldCommitments(known, moments[0])
		for _, asOf := range moments[1:] {
			cur, anomalies := schema.FoldCommitments(known, asOf)
			if !reflect.DeepEqual(anomalies, prevAnomalies) {
				t.Fatalf("seed %d: anomalies change with the moment, at %v:\n%+v\nwas\n%+v", seed, asOf, anomalies, prevAnomalies)
			}
			for id, c := range cur {
				was := prev[id].State
				if c.State != was && !(c.State == schema.StateLapsed && slices.Contains([]schema.CommitmentState{schema.StateAnnounced, schema.StateCommitted, schema.StateAllocated}, was)) {
					t.Fatalf("seed %d: commitment %s went from %s to %s at %v", seed, id, was, c.State, asOf)
				}
			}
			prev, prevAnomalies = cur, anomalies
		}

		// Fold is FoldAsOf now: every generated deadline is long past, as
		// it is in 2100.
		if got, want := schema.Fold(paris, events), schema.FoldAsOf(paris, events, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: Fold =\n%s\nwant FoldAsOf(2100)\n%s", seed, fmtStatus(got), fmtStatus(want))
		}
	}
	var want []string
	for _, st := range []schema.CommitmentState{schema.StateAnnounced, schema.StateCommitted, schema.StateAllocated,
		schema.StatePartlyDelivered, schema.StateDelivered, schema.StateWithdrawn, schema.StateLapsed, schema.StateUnknown} {
		want = append(want, "state "+string(st))
	}
	for _, k := range []schema.AnomalyKind{schema.AnomalyUnknownCommitment, schema.AnomalyActorMismatch,
		schema.AnomalyDeliveryAfterWithdrawal, schema.AnomalyOverDelivery} {
		want = append(want, "anomaly "+string(k))
	}
	for _, l := range schema.Labels {
		want = append(want, "label "+string(l))
	}
	want = append(want, "retraction removed a known event", "previous stance", "member conflict")
	for _, w := range want {
		if seen[w] == 0 {
			t.Errorf("the generated sets never reach %q: the properties do not cover it", w)
		}
	}
	t.Logf("coverage: %v", seen)
}
