package schema_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
	"github.com/google/uuid"
)

// Builders for hand-made events of the coalition "paris-2015". Times are
// hours after the Paris attacks (2015-11-13 21:16 UTC); ids are small
// numbers, so that their order is easy to see.

const paris = "paris-2015"

var attacks = time.Date(2015, 11, 13, 21, 16, 0, 0, time.UTC)

func hour(h int) time.Time { return attacks.Add(time.Duration(h) * time.Hour) }

func uid(n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-7000-8000-%012d", n))
}

func event(n int, k schema.Kind, actor string, h int) schema.Event {
	return schema.Event{
		ID:         uid(n),
		Kind:       k,
		Coalition:  paris,
		Actor:      actor,
		OccurredAt: hour(h),
		ReportedAt: hour(h + 1),
		Source:     fmt.Sprintf("https://news.example.org/%d", n),
	}
}

func meetingEv(n int, actor, counterpart string, participants []string, h int) schema.Event {
	ev := event(n, schema.KindMeeting, actor, h)
	ev.Counterpart = counterpart
	ev.Meeting = &schema.Meeting{Participants: participants}
	return ev
}

func statementEv(n int, actor string, stance schema.Stance, h int) schema.Event {
	ev := event(n, schema.KindStatement, actor, h)
	ev.Statement = &schema.Statement{Stance: stance}
	return ev
}

func pledgeEv(n int, actor, commitment string, cat schema.Category, qty float64, unit string, h int) schema.Event {
	ev := event(n, schema.KindPledge, actor, h)
	ev.Pledge = &schema.Pledge{CommitmentID: commitment, Category: cat, Asset: "asset"}
	switch {
	case unit == "":
	case len(unit) == 3 && unit[0] >= 'A' && unit[0] <= 'Z':
		ev.Pledge.Amount, ev.Pledge.Currency = &qty, unit
	default:
		ev.Pledge.Quantity, ev.Pledge.Unit = &qty, unit
	}
	return ev
}

func deploymentEv(n int, actor, commitment string, qty *float64, complete bool, h int) schema.Event {
	ev := event(n, schema.KindDeployment, actor, h)
	ev.Deployment = &schema.Deployment{CommitmentID: commitment, Quantity: qty, Complete: complete}
	return ev
}

func withdrawalEv(n int, actor, commitment string, h int) schema.Event {
	ev := event(n, schema.KindWithdrawal, actor, h)
	ev.Withdrawal = &schema.Withdrawal{CommitmentID: commitment}
	return ev
}

func sanctionEv(n int, actor, counterpart string, h int) schema.Event {
	ev := event(n, schema.KindSanction, actor, h)
	ev.Counterpart = counterpart
	ev.Sanction = &schema.Sanction{Measure: "trade restrictions"}
	return ev
}

func incidentEv(n int, actor, counterpart string, h int) schema.Event {
	ev := event(n, schema.KindIncident, actor, h)
	ev.Counterpart = counterpart
	ev.Incident = &schema.Incident{Type: "shootdown", Severity: 4}
	return ev
}

func in(coalition string, ev schema.Event) schema.Event { ev.Coalition = coalition; return ev }

func rev(r uint32, ev schema.Event) schema.Event { ev.Revision = r; return ev }

func qty(v float64) *float64 { return &v }

// checkValid fails the test if a hand-made event breaks the contract: the
// fold is only defined on valid events.
func checkValid(tb testing.TB, events []schema.Event) {
	tb.Helper()
	for _, ev := range events {
		if err := ev.Validate(); err != nil {
			tb.Fatalf("hand-made event %s is invalid: %v", ev.ID, err)
		}
	}
}

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

// TestFoldGolden folds the Paris 2015 story of testdata/valid, worked out by
// hand from the files, at three moments.
//
// Since the lifecycle rules, the story has a sixth pledge (Germany's
// cabinet decision on the counter-Daesh mission, stage committed, due
// 2016-12-31) and Putin's statement of 24 November is retracted (revision
// 2, reported on 28 November). So, compared with the old expectations, at
// the end of the story DEU has 7 events, 4 pledges and commitments; RUS has
// 2 events and no stance; and RUS and TUR, both members, are at odds (the
// two sanctions and the incident count for both: 3 each).
func TestFoldGolden(t *testing.T) {
	var events []schema.Event
	for _, g := range validEvents(t) {
		events = append(events, mustParse(t, g.Raw))
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// After the story: every event known (the last was reported on
	// 2016-02-08), the counter-Daesh deadline not yet passed.
	end := map[string]schema.CountryStatus{
		"CAN": {Events: 1, Withdrawals: 1, LastActivityAt: at("2016-02-08T16:00:00Z"), Unmatched: 1, Anomalies: 1,
			Label: schema.LabelNeutral},
		"DEU": {Events: 7, HasStance: true, Stance: 2, StanceAt: at("2015-11-25T13:00:00Z"),
			Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z"),
			Pledges: 4, Deployments: 2, LastActivityAt: at("2016-02-04T12:00:00Z"),
			// Mali and London announced, counter-Daesh committed, Tornados
			// delivered; the oldest open one is Mali.
			Commitments: 4, Open: 3, ByState: schema.StateCounts{Announced: 2, Committed: 1, Delivered: 1},
			OldestOpenAt: at("2015-11-25T11:00:00Z"),
			Lines: []schema.StatusLine{
				{Category: schema.CategoryHumanitarian, Unit: "EUR", Commitments: 1, Open: 1, Pledged: 2.3e9},
				{Category: schema.CategoryIntelligence, Unit: "aircraft", Commitments: 1, Pledged: 6, Delivered: 6, Fulfilment: 1},
				{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 2, Open: 2, Pledged: 650 + 1200},
			},
			Label: schema.LabelDelivering},
		"FRA": {Events: 4, HasStance: true, Stance: 2, StanceAt: at("2015-11-16T15:00:00Z"),
			Meetings: 4, LastMeetingAt: at("2015-11-26T18:00:00Z"), LastActivityAt: at("2015-11-26T18:00:00Z"),
			Label: schema.LabelSupportive},
		"GBR": {Events: 2, Meetings: 2, LastMeetingAt: at("2015-11-23T10:00:00Z"),
			Pledges: 1, Deployments: 1, LastActivityAt: at("2015-12-03T02:00:00Z"),
			Commitments: 1, Open: 0, ByState: schema.StateCounts{Delivered: 1},
			Lines: []schema.StatusLine{{Category: schema.CategoryBasing, Unit: "base", Commitments: 1, Pledged: 1, Delivered: 1, Fulfilment: 1}},
			Label: schema.LabelDelivering},
		"RUS": {Events: 2,
			Meetings: 2, LastMeetingAt: at("2015-11-26T18:00:00Z"),
			SanctionsImposed: 2, Incidents: 1, MemberConflicts: 3, ConflictsWith: []string{"TUR"}, LastActivityAt: at("2015-12-29T10:00:00Z"),
			Label: schema.LabelAtOdds},
		"SAU": {Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z"), Label: schema.LabelNeutral},
		"TUR": {Events: 2, Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z"),
			SanctionsReceived: 2, Incidents: 1, MemberConflicts: 3, ConflictsWith: []string{"RUS"}, LastActivityAt: at("2015-11-24T07:24:00Z"),
			Label: schema.LabelAtOdds},
		"USA": {Events: 1, Meetings: 2, LastMeetingAt: at("2015-11-24T16:00:00Z"),
			Pledges: 1, LastActivityAt: at("2015-11-24T16:30:00Z"),
			Commitments: 1, Open: 1, ByState: schema.StateCounts{Announced: 1}, OldestOpenAt: at("2015-11-24T16:30:00Z"),
			Lines: []schema.StatusLine{{Category: schema.CategoryIntelligence, Unit: "", Commitments: 1, Open: 1}},
			Label: schema.LabelPledged},
	}
	// Now (Fold): the same, except that the counter-Daesh commitment, with
	// nothing delivered, lapsed on 2016-12-31.
	now := maps.Clone(end)
	deu := now["DEU"]
	deu.Open, deu.ByState = 2, schema.StateCounts{Announced: 2, Lapsed: 1, Delivered: 1}
	deu.Lines = slices.Clone(deu.Lines)
	deu.Lines[2].Open = 1
	now["DEU"] = deu
	// At midnight on 26 November 2015: what had been reported by then. The
	// Mali pledge (reported 25 Nov 17:00) is known; the Tornado pledge, the
	// Kremlin meeting, the sanctions and the retraction are not, so Putin's
	// statement (-1) still stands. RUS is a member by it, and the Su-24
	// incident is a member conflict for TUR and RUS: at_odds beats
	// wavering for RUS.
	early := map[string]schema.CountryStatus{
		"DEU": {Events: 2, HasStance: true, Stance: 2, StanceAt: at("2015-11-25T13:00:00Z"),
			Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z"),
			Pledges: 1, LastActivityAt: at("2015-11-25T13:00:00Z"),
			Commitments: 1, Open: 1, ByState: schema.StateCounts{Announced: 1}, OldestOpenAt: at("2015-11-25T11:00:00Z"),
			Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Open: 1, Pledged: 650}},
			Label: schema.LabelPledged},
		"FRA": {Events: 3, HasStance: true, Stance: 2, StanceAt: at("2015-11-16T15:00:00Z"),
			Meetings: 3, LastMeetingAt: at("2015-11-24T16:00:00Z"), LastActivityAt: at("2015-11-24T16:00:00Z"),
			Label: schema.LabelSupportive},
		"GBR": {Events: 1, Meetings: 2, LastMeetingAt: at("2015-11-23T10:00:00Z"),
			Pledges: 1, LastActivityAt: at("2015-11-23T10:30:00Z"),
			Commitments: 1, Open: 1, ByState: schema.StateCounts{Announced: 1}, OldestOpenAt: at("2015-11-23T10:30:00Z"),
			Lines: []schema.StatusLine{{Category: schema.CategoryBasing, Unit: "base", Commitments: 1, Open: 1, Pledged: 1}},
			Label: schema.LabelPledged},
		"RUS": {Events: 1, HasStance: true, Stance: -1, StanceAt: at("2015-11-24T11:30:00Z"),
			Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z"),
			Incidents: 1, MemberConflicts: 1, ConflictsWith: []string{"TUR"}, LastActivityAt: at("2015-11-24T11:30:00Z"),
			Label: schema.LabelAtOdds},
		"SAU": {Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z"), Label: schema.LabelNeutral},
		"TUR": {Events: 2, Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z"),
			Incidents: 1, MemberConflicts: 1, ConflictsWith: []string{"RUS"}, LastActivityAt: at("2015-11-24T07:24:00Z"),
			Label: schema.LabelAtOdds},
		"USA": {Events: 1, Meetings: 2, LastMeetingAt: at("2015-11-24T16:00:00Z"),
			Pledges: 1, LastActivityAt: at("2015-11-24T16:30:00Z"),
			Commitments: 1, Open: 1, ByState: schema.StateCounts{Announced: 1}, OldestOpenAt: at("2015-11-24T16:30:00Z"),
			Lines: []schema.StatusLine{{Category: schema.CategoryIntelligence, Unit: "", Commitments: 1, Open: 1}},
			Label: schema.LabelPledged},
	}
	tests := []struct {
		name string
		fold func() []schema.CountryStatus
		want map[string]schema.CountryStatus
	}{
		{"EndOfStory", func() []schema.CountryStatus { return schema.FoldAsOf(paris, events, at("2016-03-01T00:00:00Z")) }, end},
		{"Now", func() []schema.CountryStatus { return schema.Fold(paris, events) }, now},
		{"BeforeTheRetraction", func() []schema.CountryStatus { return schema.FoldAsOf(paris, events, at("2015-11-26T00:00:00Z")) }, early},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			byCountry := map[string]schema.CountryStatus{}
			for _, s := range tt.fold() {
				byCountry[s.Country] = s
			}
			if got, want := slices.Sorted(mapKeys(byCountry)), slices.Sorted(mapKeys(tt.want)); !slices.Equal(got, want) {
				t.Fatalf("countries = %q, want %q", got, want)
			}
			for code, w := range tt.want {
				w.Coalition, w.Country = paris, code
				if got := byCountry[code]; !reflect.DeepEqual(got, w) {
					t.Errorf("%s:\n got %+v\nwant %+v", code, got, w)
				}
			}
		})
	}
}

func TestFoldCommitments(t *testing.T) {
	events := schema.Dedup([]schema.Event{
		pledgeEv(1, "DEU", "DEU-tornado", schema.CategoryIntelligence, 6, "aircraft", 300),
		deploymentEv(2, "DEU", "DEU-tornado", qty(2), false, 650),
		deploymentEv(3, "DEU", "DEU-tornado", qty(4), false, 1300),
		pledgeEv(4, "GBR", "GBR-akrotiri", schema.CategoryBasing, 1, "base", 241),
		deploymentEv(5, "GBR", "GBR-akrotiri", nil, true, 484),
		withdrawalEv(6, "CAN", "CAN-cf18", 2100),
		deploymentEv(7, "CAN", "CAN-cf18", qty(6), false, 1000),
		pledgeEv(8, "DEU", "DEU-london", schema.CategoryHumanitarian, 2.3e9, "EUR", 1950),
		withdrawalEv(9, "DEU", "DEU-london", 1960),
		statementEv(10, "FRA", 2, 66),
	})
	checkValid(t, events)
	// The old Actors field is gone: CAN's two events on a commitment no
	// pledge opened are now two unknown_commitment anomalies. An unknown
	// commitment reports the default stage, announced.
	want := map[string]*schema.Commitment{
		"DEU-tornado": {ID: "DEU-tornado", Known: true, Owner: "DEU", Category: schema.CategoryIntelligence, Asset: "asset", Unit: "aircraft", Pledged: 6,
			Stage: schema.StageAnnounced, AnnouncedAt: hour(300),
			// Delivered when the second delivery made 6 of 6.
			Delivered: 6, Deliveries: 2, FirstDeliveryAt: hour(650), DeliveredAt: hour(1300), State: schema.StateDelivered},
		"GBR-akrotiri": {ID: "GBR-akrotiri", Known: true, Owner: "GBR", Category: schema.CategoryBasing, Asset: "asset", Unit: "base", Pledged: 1,
			Stage: schema.StageAnnounced, AnnouncedAt: hour(241),
			Delivered: 1, Complete: true, Deliveries: 1, FirstDeliveryAt: hour(484), DeliveredAt: hour(484), State: schema.StateDelivered},
		"CAN-cf18": {ID: "CAN-cf18", Stage: schema.StageAnnounced,
			Delivered: 6, Deliveries: 1, FirstDeliveryAt: hour(1000), Withdrawn: true, WithdrawnAt: hour(2100), State: schema.StateUnknown},
		"DEU-london": {ID: "DEU-london", Known: true, Owner: "DEU", Category: schema.CategoryHumanitarian, Asset: "asset", Unit: "EUR", Pledged: 2.3e9,
			Stage: schema.StageAnnounced, AnnouncedAt: hour(1950),
			Withdrawn: true, WithdrawnAt: hour(1960), State: schema.StateWithdrawn},
	}
	wantAnomalies := []schema.Anomaly{
		{Kind: schema.AnomalyUnknownCommitment, Country: "CAN", CommitmentID: "CAN-cf18", EventID: uid(6).String()},
		{Kind: schema.AnomalyUnknownCommitment, Country: "CAN", CommitmentID: "CAN-cf18", EventID: uid(7).String()},
	}
	got, anomalies := schema.FoldCommitments(events, hour(3000))
	for id, c := range want {
		// The thousandths behind Pledged and Delivered.
		c.PledgedMilli, c.DeliveredMilli = schema.Milli(c.Pledged), schema.Milli(c.Delivered)
		want[id] = c
	}
	if !reflect.DeepEqual(got, want) {
		for id := range want {
			if !reflect.DeepEqual(got[id], want[id]) {
				t.Errorf("%s:\n got %+v\nwant %+v", id, got[id], want[id])
			}
		}
		t.Errorf("FoldCommitments has %d commitments, want %d", len(got), len(want))
	}
	if !reflect.DeepEqual(anomalies, wantAnomalies) {
		t.Errorf("anomalies = %+v,\nwant %+v", anomalies, wantAnomalies)
	}
	if got, _ := schema.FoldCommitments(nil, hour(3000)); len(got) != 0 {
		t.Errorf("FoldCommitments(nil) = %v, want no commitment", got)
	}
}

// TestCommitmentIsOpen folds one commitment from its events and checks its
// state and whether it is open. The cases are those of the old IsOpen,
// which now follows the state.
func TestCommitmentIsOpen(t *testing.T) {
	pledge := func(size float64, unit string) schema.Event {
		return pledgeEv(1, "DEU", "c", schema.CategoryMilitary, size, unit, 10)
	}
	deliver := func(n int, q *float64, complete bool) schema.Event {
		return deploymentEv(n, "DEU", "c", q, complete, 20+n)
	}
	tests := []struct {
		name   string
		events []schema.Event
		state  schema.CommitmentState
		open   bool
	}{
		{"Unknown", []schema.Event{deliver(2, qty(650), false)}, schema.StateUnknown, false},
		{"Pledged", []schema.Event{pledge(650, "soldiers")}, schema.StateAnnounced, true},
		{"Partial", []schema.Event{pledge(650, "soldiers"), deliver(2, qty(649), false)}, schema.StatePartlyDelivered, true},
		{"Delivered", []schema.Event{pledge(650, "soldiers"), deliver(2, qty(650), false)}, schema.StateDelivered, false},
		{"Complete", []schema.Event{pledge(650, "soldiers"), deliver(2, nil, true)}, schema.StateDelivered, false},
		{"Withdrawn", []schema.Event{pledge(650, "soldiers"), withdrawalEv(2, "DEU", "c", 30)}, schema.StateWithdrawn, false},
		{"Unquantified", []schema.Event{pledge(0, "")}, schema.StateAnnounced, true},
		{"UnquantifiedDelivered", []schema.Event{pledge(0, ""), deliver(2, qty(5), false)}, schema.StatePartlyDelivered, true},
		{"UnquantifiedComplete", []schema.Event{pledge(0, ""), deliver(2, nil, true)}, schema.StateDelivered, false},
		// Changed by the new rules: a pledge of 0 ships used to count as
		// delivered at once (0 delivered of 0); deliveries now close a
		// commitment only when they reach a positive pledged size, so it is
		// announced, and open.
		{"ZeroPledged", []schema.Event{pledge(0, "ships")}, schema.StateAnnounced, true},
		{"ZeroPledgedDelivered", []schema.Event{pledge(0, "ships"), deliver(2, qty(1), false)}, schema.StatePartlyDelivered, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			cs, _ := schema.FoldCommitments(schema.Dedup(tt.events), hour(100))
			c := cs["c"]
			if c == nil {
				t.Fatalf("no commitment c in %v", cs)
			}
			if c.State != tt.state {
				t.Errorf("State = %q, want %q", c.State, tt.state)
			}
			if got := c.IsOpen(); got != tt.open {
				t.Errorf("IsOpen() = %v, want %v", got, tt.open)
			}
		})
	}
}

// TestCommitmentStateOpen checks which states count as open: those still
// awaited.
func TestCommitmentStateOpen(t *testing.T) {
	tests := []struct {
		state schema.CommitmentState
		open  bool
	}{
		{schema.StateAnnounced, true},
		{schema.StateCommitted, true},
		{schema.StateAllocated, true},
		{schema.StatePartlyDelivered, true},
		{schema.StateDelivered, false},
		{schema.StateWithdrawn, false},
		{schema.StateLapsed, false},
		{schema.StateUnknown, false},
		{"", false},
		{"open", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			if got := tt.state.Open(); got != tt.open {
				t.Errorf("%q.Open() = %v, want %v", tt.state, got, tt.open)
			}
			c := schema.Commitment{Known: true, State: tt.state}
			if got := c.IsOpen(); got != tt.open {
				t.Errorf("Commitment{State: %q}.IsOpen() = %v, want %v", tt.state, got, tt.open)
			}
		})
	}
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
