package schema_test

import (
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// Tests of the anomalies: each kind, its boundaries (strictly after or
// before, to the second), whom it is attributed to, their order and their
// documentation. The helpers (pl, dl, wd, ...) are in lifecycle_test.go;
// every expected value is worked out by hand from the rules in
// commitment.go and docs/status.md.

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
		unknown   = schema.AnomalyUnknownCommitment
		mismatch  = schema.AnomalyActorMismatch
		after     = schema.AnomalyDeliveryAfterWithdrawal
		over      = schema.AnomalyOverDelivery
		wdAfter   = schema.AnomalyWithdrawalAfterDelivery
		plAfter   = schema.AnomalyPledgeAfterWithdrawal
		before    = schema.AnomalyActivityBeforePledge
		newOwner  = schema.AnomalyOwnerChanged
		fraPledge = 2 // the event number of France's pledge in the owner cases
	)
	T := hour(10)
	fra := func(n, h int) schema.Event {
		return pledgeEv(n, "FRA", "c", schema.CategoryMilitary, 100, "soldiers", h)
	}
	tests := []struct {
		name   string
		events []schema.Event
		want   []schema.Anomaly // sorted by country, commitment, kind, event
	}{
		// Pledged, partly delivered, withdrawn: every transition legal.
		{"None", evs(pl(1, 0), dl(2, 40, 10), dl(3, 50, 20), wd(4, 30)), nil},

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
		// restatement makes it France's (an owner change), and Germany's
		// delivery a mismatch.
		{"OwnerIsTheDefiningPledgesActor", evs(pl(1, 0), fra(fraPledge, 10), dl(3, 40, 20)),
			[]schema.Anomaly{an(mismatch, "DEU", 3), an(newOwner, "FRA", fraPledge)}},

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
		// Delivered at hour 5, so the withdrawal is one after delivery too.
		{"OverDeliveryOnAWithdrawnCommitment", evs(pl(1, 0), dl(2, 150, 5), wd(3, 10)), []schema.Anomaly{an(over, "DEU", 0), an(wdAfter, "DEU", 3)}},
		{"OverDeliveryAfterWithdrawal", evs(pl(1, 0), wd(2, 10), dl(3, 150, 11)),
			[]schema.Anomaly{an(after, "DEU", 3), an(over, "DEU", 0)}},

		// withdrawal_after_delivery: a withdrawal strictly after the
		// commitment became delivered (DeliveredAt).
		{"WithdrawalAfterDelivery", evs(pl(1, 0), dl(2, 100, 10), wd(3, 20)), []schema.Anomaly{an(wdAfter, "DEU", 3)}},
		{"WithdrawalAfterCompleteDelivery", evs(pl(1, 0), full(2, 10), wd(3, 20)), []schema.Anomaly{an(wdAfter, "DEU", 3)}},
		{"WithdrawalAfterDeliveriesAddUp", evs(pl(1, 0), dl(2, 60, 10), dl(3, 40, 15), wd(4, 20)), []schema.Anomaly{an(wdAfter, "DEU", 4)}},
		{"WithdrawalBetweenDeliveries", evs(pl(1, 0), dl(2, 60, 10), wd(3, 15), dl(4, 40, 20)), []schema.Anomaly{an(after, "DEU", 4)}},
		{"EveryWithdrawalAfterDelivery", evs(pl(1, 0), dl(2, 100, 10), wd(3, 20), wd(4, 30)), []schema.Anomaly{an(wdAfter, "DEU", 3), an(wdAfter, "DEU", 4)}},
		{"WithdrawalInTheSecondOfDelivery", evs(pl(1, 0),
			occurred(T.Add(900*time.Millisecond), dl(2, 100, 10)),
			occurred(T.Add(200*time.Millisecond), wd(3, 10))), nil},
		{"WithdrawalOneSecondAfterDelivery", evs(pl(1, 0),
			occurred(T, dl(2, 100, 10)),
			occurred(T.Add(time.Second), wd(3, 10))), []schema.Anomaly{an(wdAfter, "DEU", 3)}},
		// Two deliveries in one second add up together, whatever their
		// order: delivered at T.
		{"DeliveredByTwoInOneSecond", evs(pl(1, 0),
			occurred(T.Add(900*time.Millisecond), dl(2, 60, 10)),
			occurred(T.Add(100*time.Millisecond), dl(3, 40, 10)),
			occurred(T.Add(time.Second), wd(4, 10))), []schema.Anomaly{an(wdAfter, "DEU", 4)}},
		{"DeliveredByAnotherCountryThenWithdrawn", evs(pl(1, 0), deploymentEv(2, "FRA", "c", qty(100), false, 10), wd(3, 20)),
			[]schema.Anomaly{an(wdAfter, "DEU", 3), an(mismatch, "FRA", 2)}},
		{"ZeroPledgedIsDeliveredOnlyByComplete", evs(pledgeEv(1, "DEU", "c", schema.CategoryMilitary, 0, "ships", 0), dl(2, 5, 10), wd(3, 20)), nil},

		// pledge_after_withdrawal: a pledge strictly after the first
		// withdrawal (it does not reopen the commitment).
		{"PledgeAfterWithdrawal", evs(pl(1, 0), wd(2, 10), pl(3, 20)), []schema.Anomaly{an(plAfter, "DEU", 3)}},
		{"PledgeBetweenWithdrawals", evs(pl(1, 0), wd(2, 10), pl(3, 15), wd(4, 20)), []schema.Anomaly{an(plAfter, "DEU", 3)}},
		{"PledgeInTheSecondOfTheWithdrawal", evs(pl(1, 0),
			occurred(T.Add(200*time.Millisecond), wd(2, 10)),
			occurred(T.Add(900*time.Millisecond), pl(3, 10))), nil},
		// France takes over a withdrawn commitment: an owner change and a
		// pledge after the withdrawal; Germany's withdrawal is now on
		// France's commitment.
		{"PledgeByAnotherCountryAfterWithdrawal", evs(pl(1, 0), wd(3, 10), fra(fraPledge, 20)),
			[]schema.Anomaly{an(mismatch, "DEU", 3), an(newOwner, "FRA", fraPledge), an(plAfter, "FRA", fraPledge)}},

		// activity_before_pledge: a deployment or withdrawal strictly
		// before the first pledge.
		{"DeliveryBeforeThePledge", evs(dl(1, 40, 0), pl(2, 10)), []schema.Anomaly{an(before, "DEU", 1)}},
		{"WithdrawalBeforeThePledge", evs(wd(1, 0), pl(2, 10)), []schema.Anomaly{an(before, "DEU", 1), an(plAfter, "DEU", 2)}},
		{"AfterTheFirstPledgeBeforeTheLatest", evs(pl(1, 0), dl(2, 40, 5), pl(3, 10)), nil},
		{"DeliveryInTheSecondOfThePledge", evs(
			occurred(T.Add(900*time.Millisecond), pl(1, 10)),
			occurred(T.Add(200*time.Millisecond), dl(2, 40, 10))), nil},
		{"DeliveryOneSecondBeforeThePledge", evs(
			occurred(T.Add(time.Second), pl(1, 10)),
			occurred(T, dl(2, 40, 10))), []schema.Anomaly{an(before, "DEU", 2)}},
		{"ForeignDeliveryBeforeThePledge", evs(deploymentEv(1, "FRA", "c", qty(40), false, 0), pl(2, 10)),
			[]schema.Anomaly{an(before, "FRA", 1), an(mismatch, "FRA", 1)}},

		// owner_changed: a pledge by another country than the pledge
		// before it in story order (occurrence, then event id).
		{"OwnerChanged", evs(pl(1, 0), fra(fraPledge, 10)), []schema.Anomaly{an(newOwner, "FRA", fraPledge)}},
		{"OwnerChangedBack", evs(pl(1, 0), fra(fraPledge, 10), pl(3, 20)), []schema.Anomaly{an(newOwner, "DEU", 3), an(newOwner, "FRA", fraPledge)}},
		{"RestatedBySameOwner", evs(pl(1, 0), pl(3, 10), staged(schema.StageAllocated, pl(4, 20))), nil},
		// France pledged first (with the greater id): Germany's later
		// pledge, although with a smaller id, is the change.
		{"EarlierPledgeByAnotherCountry", evs(fra(9, 0), pl(1, 10)), []schema.Anomaly{an(newOwner, "DEU", 1)}},
		// In one second the id orders them: France's id 2, then Germany's
		// id 9.
		{"OwnerChangedInOneSecond", evs(
			occurred(T.Add(100*time.Millisecond), pl(9, 10)),
			occurred(T.Add(900*time.Millisecond), fra(fraPledge, 10))), []schema.Anomaly{an(newOwner, "DEU", 9)}},

		// Retracted events make no anomaly.
		{"RetractedDeliveryAfterWithdrawal", evs(pl(1, 0), wd(2, 10), dl(3, 40, 11), retracted(1, dl(3, 40, 11))), nil},
		{"RetractedWithdrawal", evs(pl(1, 0), wd(2, 10), dl(3, 40, 11), retracted(1, wd(2, 10))), nil},
		{"RetractedOverDelivery", evs(pl(1, 0), dl(2, 60, 10), dl(3, 50, 20), retracted(1, dl(3, 50, 20))), nil},
		{"RetractedPledgeMakesItUnknown", evs(pl(1, 0), retracted(1, pl(1, 0)), dl(2, 40, 10)), []schema.Anomaly{an(unknown, "DEU", 2)}},
		{"RetractedPledgeAfterWithdrawal", evs(pl(1, 0), wd(2, 10), pl(3, 20), retracted(1, pl(3, 20))), nil},
		{"RetractedWithdrawalAfterDelivery", evs(pl(1, 0), dl(2, 100, 10), wd(3, 20), retracted(1, wd(3, 20))), nil},
		{"RetractedOwnerChange", evs(pl(1, 0), fra(fraPledge, 10), retracted(1, fra(fraPledge, 10))), nil},
		// The first pledge retracted, the delivery comes before the one
		// left.
		{"RetractedFirstPledge", evs(pl(1, 0), dl(2, 40, 5), pl(3, 10), retracted(1, pl(1, 0))), []schema.Anomaly{an(before, "DEU", 2)}},
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

// TestAnomalyKindsDocumented checks that docs/status.md writes down the
// rule of every anomaly kind, in the order of AnomalyKinds.
func TestAnomalyKindsDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/status.md")
	if err != nil {
		t.Fatal(err)
	}
	doc, at := string(b), 0
	for _, k := range schema.AnomalyKinds {
		i := strings.Index(doc, "| `"+string(k)+"` |")
		if i < 0 {
			t.Errorf("docs/status.md has no row for %s in its table of anomalies", k)
			continue
		}
		if i < at {
			t.Errorf("docs/status.md lists %s out of the order of schema.AnomalyKinds", k)
		}
		at = i
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
