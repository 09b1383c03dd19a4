package schema_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name   string
		events []schema.Event
		want   []schema.CountryStatus
	}{
		{"Empty", nil, []schema.CountryStatus{}},
		{
			"DedupSameIDTwice",
			[]schema.Event{statementEv(1, "FRA", 2, 66), statementEv(1, "FRA", 2, 66)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "FRA", Events: 1, HasStance: true, Stance: 2, StanceAt: hour(66), LastActivityAt: hour(66),
					Label: schema.LabelSupportive},
			},
		},
		{
			// Revision 1 corrects both the stance and the time; it wins in
			// whatever order the two arrive.
			"DedupHigherRevisionWins",
			[]schema.Event{rev(1, statementEv(1, "RUS", -1, 250)), statementEv(1, "RUS", 1, 260)},
			[]schema.CountryStatus{
				// One event after dedup: no previous stance.
				{Coalition: paris, Country: "RUS", Events: 1, HasStance: true, Stance: -1, StanceAt: hour(250), LastActivityAt: hour(250),
					Label: schema.LabelWavering},
			},
		},
		{
			// Same id and revision, different content: the greater JSON
			// encoding wins. `"stance":1` > `"stance":-1` since '1' > '-'.
			"DedupSameRevisionDeterministic",
			[]schema.Event{statementEv(1, "TUR", -1, 250), statementEv(1, "TUR", 1, 250)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "TUR", Events: 1, HasStance: true, Stance: 1, StanceAt: hour(250), LastActivityAt: hour(250),
					Label: schema.LabelSupportive},
			},
		},
		{
			// The previous stance is the one just before the latest (0 at
			// hour 2), not the first (+1 at hour 1).
			"LatestStance",
			[]schema.Event{statementEv(5, "DEU", 1, 1), statementEv(1, "DEU", -1, 3), statementEv(3, "DEU", 0, 2)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 3, HasStance: true, Stance: -1, StanceAt: hour(3), LastActivityAt: hour(3),
					HasPrevStance: true, PrevStance: 0, Label: schema.LabelWavering},
			},
		},
		{
			// Within the same second the id decides, not the nanoseconds:
			// id 9 > id 2, although id 2 came 0.8 s later; so id 2 is the
			// previous stance.
			"StanceTieBrokenByID",
			func() []schema.Event {
				a, b := statementEv(9, "GBR", -2, 10), statementEv(2, "GBR", 1, 10)
				a.OccurredAt = a.OccurredAt.Add(100 * time.Millisecond)
				b.OccurredAt = b.OccurredAt.Add(900 * time.Millisecond)
				return []schema.Event{a, b}
			}(),
			[]schema.CountryStatus{
				{Coalition: paris, Country: "GBR", Events: 2, HasStance: true, Stance: -2, StanceAt: hour(10), LastActivityAt: hour(10),
					HasPrevStance: true, PrevStance: 1, Label: schema.LabelOpposed},
			},
		},
		{
			"PartialDelivery",
			[]schema.Event{
				pledgeEv(1, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 278),
				deploymentEv(2, "DEU", "DEU-mali", qty(200), false, 1000),
				deploymentEv(3, "DEU", "DEU-mali", qty(250), false, 1500),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 3, Pledges: 1, Deployments: 2, LastActivityAt: hour(1500),
					Commitments: 1, Open: 1, ByState: schema.StateCounts{PartlyDelivered: 1}, OldestOpenAt: hour(278),
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Open: 1,
						Pledged: 650, Delivered: 450, Fulfilment: 450.0 / 650}},
					Label: schema.LabelDelivering},
			},
		},
		{
			"DeliveredInFullByQuantities",
			[]schema.Event{
				pledgeEv(1, "DEU", "DEU-tornado", schema.CategoryIntelligence, 6, "aircraft", 300),
				deploymentEv(2, "DEU", "DEU-tornado", qty(2), false, 650),
				deploymentEv(3, "DEU", "DEU-tornado", qty(4), false, 1300),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 3, Pledges: 1, Deployments: 2, LastActivityAt: hour(1300),
					Commitments: 1, Open: 0, ByState: schema.StateCounts{Delivered: 1},
					Lines: []schema.StatusLine{{Category: schema.CategoryIntelligence, Unit: "aircraft", Commitments: 1, Pledged: 6, Delivered: 6, Fulfilment: 1}},
					Label: schema.LabelDelivering},
			},
		},
		{
			// complete: true closes the commitment and counts as the full
			// pledged size, even though only 300 of 650 were reported.
			"CompleteCountsAsPledged",
			[]schema.Event{
				pledgeEv(1, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 278),
				deploymentEv(2, "DEU", "DEU-mali", qty(300), true, 2000),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 2, Pledges: 1, Deployments: 1, LastActivityAt: hour(2000),
					Commitments: 1, Open: 0, ByState: schema.StateCounts{Delivered: 1},
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Pledged: 650, Delivered: 650, Fulfilment: 1}},
					Label: schema.LabelDelivering},
			},
		},
		{
			"CompleteWithoutQuantity",
			[]schema.Event{
				pledgeEv(1, "GBR", "GBR-akrotiri", schema.CategoryBasing, 1, "base", 241),
				deploymentEv(2, "GBR", "GBR-akrotiri", nil, true, 484),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "GBR", Events: 2, Pledges: 1, Deployments: 1, LastActivityAt: hour(484),
					Commitments: 1, Open: 0, ByState: schema.StateCounts{Delivered: 1},
					Lines: []schema.StatusLine{{Category: schema.CategoryBasing, Unit: "base", Commitments: 1, Pledged: 1, Delivered: 1, Fulfilment: 1}},
					Label: schema.LabelDelivering},
			},
		},
		{
			// New rule: delivering more than a positive pledged size is an
			// over_delivery anomaly of the owner (Anomalies 1, was not
			// counted before); the commitment is still delivered.
			"OverDelivery",
			[]schema.Event{
				pledgeEv(1, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 278),
				deploymentEv(2, "DEU", "DEU-mali", qty(700), false, 2000),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 2, Pledges: 1, Deployments: 1, LastActivityAt: hour(2000),
					Commitments: 1, Open: 0, ByState: schema.StateCounts{Delivered: 1}, Anomalies: 1,
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Pledged: 650, Delivered: 700, Fulfilment: 700.0 / 650}},
					Label: schema.LabelDelivering},
			},
		},
		{
			// The delivery came before the withdrawal: no anomaly. The label
			// is delivering, not neutral: 1e9 were delivered on its lines,
			// although the only commitment is withdrawn (label rule 4).
			"Withdrawal",
			[]schema.Event{
				pledgeEv(1, "DEU", "DEU-london", schema.CategoryHumanitarian, 2.3e9, "EUR", 1950),
				deploymentEv(2, "DEU", "DEU-london", qty(1e9), false, 1955),
				withdrawalEv(3, "DEU", "DEU-london", 1960),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 3, Pledges: 1, Deployments: 1, Withdrawals: 1, LastActivityAt: hour(1960),
					Commitments: 1, Open: 0, Withdrawn: 1, ByState: schema.StateCounts{Withdrawn: 1},
					Lines: []schema.StatusLine{{Category: schema.CategoryHumanitarian, Unit: "EUR", Commitments: 1,
						Pledged: 2.3e9, Delivered: 1e9, Withdrawn: 2.3e9, Fulfilment: 1e9 / 2.3e9}},
					Label: schema.LabelDelivering},
			},
		},
		{
			// An unquantified pledge stays open whatever is delivered, until a
			// delivery says complete: partly_delivered. Fulfilment is 0, as
			// nothing quantified was pledged.
			"UnquantifiedOpenUntilComplete",
			[]schema.Event{
				pledgeEv(1, "USA", "USA-intel", schema.CategoryIntelligence, 0, "", 265),
				deploymentEv(2, "USA", "USA-intel", qty(3), false, 400),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "USA", Events: 2, Pledges: 1, Deployments: 1, LastActivityAt: hour(400),
					Commitments: 1, Open: 1, ByState: schema.StateCounts{PartlyDelivered: 1}, OldestOpenAt: hour(265),
					Lines: []schema.StatusLine{{Category: schema.CategoryIntelligence, Unit: "", Commitments: 1, Open: 1, Pledged: 0, Delivered: 3}},
					Label: schema.LabelDelivering},
			},
		},
		{
			"UnquantifiedComplete",
			[]schema.Event{
				pledgeEv(1, "USA", "USA-intel", schema.CategoryIntelligence, 0, "", 265),
				deploymentEv(2, "USA", "USA-intel", qty(3), false, 400),
				deploymentEv(3, "USA", "USA-intel", nil, true, 500),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "USA", Events: 3, Pledges: 1, Deployments: 2, LastActivityAt: hour(500),
					Commitments: 1, Open: 0, ByState: schema.StateCounts{Delivered: 1},
					Lines: []schema.StatusLine{{Category: schema.CategoryIntelligence, Unit: "", Commitments: 1, Pledged: 0, Delivered: 3}},
					Label: schema.LabelDelivering},
			},
		},
		{
			// The latest pledge defines the commitment; both count as pledges.
			// The commitment was first announced at hour 278, by the earlier
			// pledge.
			"RestatedPledge",
			[]schema.Event{
				pledgeEv(2, "DEU", "DEU-mali", schema.CategoryMilitary, 1000, "soldiers", 300),
				pledgeEv(1, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 278),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 2, Pledges: 2, LastActivityAt: hour(300),
					Commitments: 1, Open: 1, ByState: schema.StateCounts{Announced: 1}, OldestOpenAt: hour(278),
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Open: 1, Pledged: 1000}},
					Label: schema.LabelPledged},
			},
		},
		{
			"LinesByCategoryAndUnit",
			[]schema.Event{
				pledgeEv(1, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 278),
				pledgeEv(2, "DEU", "DEU-syria", schema.CategoryMilitary, 1200, "soldiers", 290),
				pledgeEv(3, "DEU", "DEU-tornado", schema.CategoryIntelligence, 6, "aircraft", 300),
				pledgeEv(4, "DEU", "DEU-frigate", schema.CategoryMilitary, 1, "ships", 301),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 4, Pledges: 4, LastActivityAt: hour(301),
					Commitments: 4, Open: 4, ByState: schema.StateCounts{Announced: 4}, OldestOpenAt: hour(278),
					Lines: []schema.StatusLine{
						{Category: schema.CategoryIntelligence, Unit: "aircraft", Commitments: 1, Open: 1, Pledged: 6},
						{Category: schema.CategoryMilitary, Unit: "ships", Commitments: 1, Open: 1, Pledged: 1},
						{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 2, Open: 2, Pledged: 1850},
					},
					Label: schema.LabelPledged},
			},
		},
		{
			"DeploymentOnUnknownCommitment",
			[]schema.Event{deploymentEv(1, "DEU", "DEU-ghost", qty(3), false, 500)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 1, Deployments: 1, LastActivityAt: hour(500), Unmatched: 1, Anomalies: 1,
					Label: schema.LabelNeutral},
			},
		},
		{
			"WithdrawalOnUnknownCommitment",
			[]schema.Event{withdrawalEv(1, "CAN", "CAN-cf18", 2100)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "CAN", Events: 1, Withdrawals: 1, LastActivityAt: hour(2100), Unmatched: 1, Anomalies: 1,
					Label: schema.LabelNeutral},
			},
		},
		{
			// Unmatched counts each deployment and withdrawal on a commitment
			// no pledge opened, for the event's actor; each is also one of its
			// anomalies (unknown_commitment), and nothing else is.
			"UnmatchedCountsEvents",
			[]schema.Event{
				deploymentEv(1, "FRA", "X-1", qty(1), false, 500),
				deploymentEv(2, "DEU", "X-1", qty(1), false, 600),
				deploymentEv(3, "DEU", "X-2", qty(1), false, 400),
				withdrawalEv(4, "DEU", "X-2", 401),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 3, Deployments: 2, Withdrawals: 1, LastActivityAt: hour(600), Unmatched: 3, Anomalies: 3,
					Label: schema.LabelNeutral},
				{Coalition: paris, Country: "FRA", Events: 1, Deployments: 1, LastActivityAt: hour(500), Unmatched: 1, Anomalies: 1,
					Label: schema.LabelNeutral},
			},
		},
		{
			// A pledge arriving later turns unmatched deliveries into
			// deliveries on the commitment. Delivering before the pledge
			// (by occurrence time) is an anomaly since the transition
			// rules, activity_before_pledge; the delivery still counts.
			"PledgeMatchesEarlierDeployments",
			[]schema.Event{
				deploymentEv(1, "DEU", "DEU-mali", qty(200), false, 1000),
				pledgeEv(2, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 1200),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 2, Pledges: 1, Deployments: 1, LastActivityAt: hour(1200),
					Commitments: 1, Open: 1, ByState: schema.StateCounts{PartlyDelivered: 1}, OldestOpenAt: hour(1200), Anomalies: 1,
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Open: 1,
						Pledged: 650, Delivered: 200, Fulfilment: 200.0 / 650}},
					Label: schema.LabelDelivering},
			},
		},
		{
			// Each country counts a meeting once, as actor, counterpart or
			// participant, even when it is named twice.
			"Meetings",
			[]schema.Event{
				meetingEv(1, "FRA", "GBR", []string{"GBR", "DEU", "FRA"}, 240),
				meetingEv(2, "TUR", "", []string{"FRA", "USA"}, 60),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Meetings: 1, LastMeetingAt: hour(240), Label: schema.LabelNeutral},
				{Coalition: paris, Country: "FRA", Events: 1, Meetings: 2, LastMeetingAt: hour(240), LastActivityAt: hour(240), Label: schema.LabelNeutral},
				{Coalition: paris, Country: "GBR", Meetings: 1, LastMeetingAt: hour(240), Label: schema.LabelNeutral},
				{Coalition: paris, Country: "TUR", Events: 1, Meetings: 1, LastMeetingAt: hour(60), LastActivityAt: hour(60), Label: schema.LabelNeutral},
				{Coalition: paris, Country: "USA", Meetings: 1, LastMeetingAt: hour(60), Label: schema.LabelNeutral},
			},
		},
		{
			// New rule: RUS and TUR are both members (actors of events), so
			// each of the three sanctions is a member conflict for both
			// sides: 3 each, and both are at_odds, each naming the other
			// once.
			"Sanctions",
			[]schema.Event{
				sanctionEv(1, "RUS", "TUR", 350),
				sanctionEv(2, "RUS", "TUR", 1100),
				sanctionEv(3, "TUR", "RUS", 400),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "RUS", Events: 2, SanctionsImposed: 2, SanctionsReceived: 1, MemberConflicts: 3, ConflictsWith: []string{"TUR"},
					LastActivityAt: hour(1100), Label: schema.LabelAtOdds},
				{Coalition: paris, Country: "TUR", Events: 1, SanctionsImposed: 1, SanctionsReceived: 2, MemberConflicts: 3, ConflictsWith: []string{"RUS"},
					LastActivityAt: hour(400), Label: schema.LabelAtOdds},
			},
		},
		{
			// RUS is the actor of no event, so it is no member: the incident
			// is no member conflict, for either side.
			"IncidentCountsForBothSides",
			[]schema.Event{incidentEv(1, "TUR", "RUS", 250)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "RUS", Incidents: 1, Label: schema.LabelNeutral},
				{Coalition: paris, Country: "TUR", Events: 1, Incidents: 1, LastActivityAt: hour(250), Label: schema.LabelNeutral},
			},
		},
		{
			// A statement's counterpart appears, with nothing to its name.
			"CounterpartAppears",
			[]schema.Event{func() schema.Event {
				ev := statementEv(1, "DEU", 2, 276)
				ev.Counterpart = "FRA"
				return ev
			}()},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 1, HasStance: true, Stance: 2, StanceAt: hour(276), LastActivityAt: hour(276),
					Label: schema.LabelSupportive},
				{Coalition: paris, Country: "FRA", Label: schema.LabelNeutral},
			},
		},
		{
			// Events of another coalition change nothing, even on a
			// commitment id that exists in this one.
			"OtherCoalitionIgnored",
			[]schema.Event{
				pledgeEv(1, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 278),
				in("anti-isil", deploymentEv(2, "DEU", "DEU-mali", qty(650), true, 2000)),
				in("anti-isil", statementEv(3, "CAN", -2, 100)),
				in("anti-isil", statementEv(4, "DEU", -2, 100)),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 1, Pledges: 1, LastActivityAt: hour(278),
					Commitments: 1, Open: 1, ByState: schema.StateCounts{Announced: 1}, OldestOpenAt: hour(278),
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Open: 1, Pledged: 650}},
					Label: schema.LabelPledged},
			},
		},
		{
			"TimesTruncatedToTheSecond",
			func() []schema.Event {
				ev := meetingEv(1, "FRA", "USA", nil, 264)
				ev.OccurredAt = ev.OccurredAt.Add(999 * time.Millisecond).In(time.FixedZone("EST", -5*3600))
				return []schema.Event{ev}
			}(),
			[]schema.CountryStatus{
				{Coalition: paris, Country: "FRA", Events: 1, Meetings: 1, LastMeetingAt: hour(264), LastActivityAt: hour(264), Label: schema.LabelNeutral},
				{Coalition: paris, Country: "USA", Meetings: 1, LastMeetingAt: hour(264), Label: schema.LabelNeutral},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			got := schema.Fold(paris, tt.events)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Fold =\n%s\nwant\n%s", fmtStatus(got), fmtStatus(tt.want))
			}
			// The same set in the opposite order folds the same.
			rev := slices.Clone(tt.events)
			slices.Reverse(rev)
			if got := schema.Fold(paris, rev); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Fold(reversed) =\n%s\nwant\n%s", fmtStatus(got), fmtStatus(tt.want))
			}
			// No case has a deadline: Fold (as of now) is FoldAsOf any
			// moment after the last report.
			if got := schema.FoldAsOf(paris, tt.events, hour(10000)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FoldAsOf(after every report) =\n%s\nwant\n%s", fmtStatus(got), fmtStatus(tt.want))
			}
		})
	}
}

func fmtStatus(ss []schema.CountryStatus) string {
	var out string
	for _, s := range ss {
		out += fmt.Sprintf("  %+v\n", s)
	}
	return out
}

func TestDedup(t *testing.T) {
	a := statementEv(3, "FRA", 2, 66)
	b0, b1, b2 := statementEv(1, "DEU", 0, 10), rev(1, statementEv(1, "DEU", 1, 20)), rev(2, statementEv(1, "DEU", 2, 5))
	c := statementEv(2, "GBR", 1, 30)
	got := schema.Dedup([]schema.Event{a, b1, c, b2, a, b0})
	want := []schema.Event{b2, c, a} // by id: 1, 2, 3
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Dedup = %+v,\nwant %+v", got, want)
	}
	if got := schema.Dedup(nil); len(got) != 0 {
		t.Errorf("Dedup(nil) = %v, want empty", got)
	}
	// Revisions compare as numbers, not as text: 10 beats 9, although
	// "9" > "10" in the canonical JSON.
	r9, r10 := rev(9, statementEv(4, "TUR", 2, 40)), rev(10, statementEv(4, "TUR", -1, 40))
	for _, in := range [][]schema.Event{{r9, r10}, {r10, r9}} {
		if got := schema.Dedup(in); !reflect.DeepEqual(got, []schema.Event{r10}) {
			t.Errorf("Dedup(revisions 9 and 10) = %+v, want revision 10", got)
		}
	}
}
