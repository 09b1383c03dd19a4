package schema_test

import (
	"fmt"
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
				{Coalition: paris, Country: "FRA", Events: 1, HasStance: true, Stance: 2, StanceAt: hour(66), LastActivityAt: hour(66)},
			},
		},
		{
			// Revision 1 corrects both the stance and the time; it wins in
			// whatever order the two arrive.
			"DedupHigherRevisionWins",
			[]schema.Event{rev(1, statementEv(1, "RUS", -1, 250)), statementEv(1, "RUS", 1, 260)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "RUS", Events: 1, HasStance: true, Stance: -1, StanceAt: hour(250), LastActivityAt: hour(250)},
			},
		},
		{
			// Same id and revision, different content: the greater JSON
			// encoding wins. `"stance":1` > `"stance":-1` since '1' > '-'.
			"DedupSameRevisionDeterministic",
			[]schema.Event{statementEv(1, "TUR", -1, 250), statementEv(1, "TUR", 1, 250)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "TUR", Events: 1, HasStance: true, Stance: 1, StanceAt: hour(250), LastActivityAt: hour(250)},
			},
		},
		{
			"LatestStance",
			[]schema.Event{statementEv(5, "DEU", 1, 1), statementEv(1, "DEU", -1, 3), statementEv(3, "DEU", 0, 2)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 3, HasStance: true, Stance: -1, StanceAt: hour(3), LastActivityAt: hour(3)},
			},
		},
		{
			// Within the same second the id decides, not the nanoseconds:
			// id 9 > id 2, although id 2 came 0.8 s later.
			"StanceTieBrokenByID",
			func() []schema.Event {
				a, b := statementEv(9, "GBR", -2, 10), statementEv(2, "GBR", 1, 10)
				a.OccurredAt = a.OccurredAt.Add(100 * time.Millisecond)
				b.OccurredAt = b.OccurredAt.Add(900 * time.Millisecond)
				return []schema.Event{a, b}
			}(),
			[]schema.CountryStatus{
				{Coalition: paris, Country: "GBR", Events: 2, HasStance: true, Stance: -2, StanceAt: hour(10), LastActivityAt: hour(10)},
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
					Commitments: 1, Open: 1,
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Pledged: 650, Delivered: 450}}},
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
					Commitments: 1, Open: 0,
					Lines: []schema.StatusLine{{Category: schema.CategoryIntelligence, Unit: "aircraft", Commitments: 1, Pledged: 6, Delivered: 6}}},
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
					Commitments: 1, Open: 0,
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Pledged: 650, Delivered: 650}}},
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
					Commitments: 1, Open: 0,
					Lines: []schema.StatusLine{{Category: schema.CategoryBasing, Unit: "base", Commitments: 1, Pledged: 1, Delivered: 1}}},
			},
		},
		{
			"OverDelivery",
			[]schema.Event{
				pledgeEv(1, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 278),
				deploymentEv(2, "DEU", "DEU-mali", qty(700), false, 2000),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 2, Pledges: 1, Deployments: 1, LastActivityAt: hour(2000),
					Commitments: 1, Open: 0,
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Pledged: 650, Delivered: 700}}},
			},
		},
		{
			"Withdrawal",
			[]schema.Event{
				pledgeEv(1, "DEU", "DEU-london", schema.CategoryHumanitarian, 2.3e9, "EUR", 1950),
				deploymentEv(2, "DEU", "DEU-london", qty(1e9), false, 1955),
				withdrawalEv(3, "DEU", "DEU-london", 1960),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 3, Pledges: 1, Deployments: 1, Withdrawals: 1, LastActivityAt: hour(1960),
					Commitments: 1, Open: 0, Withdrawn: 1,
					Lines: []schema.StatusLine{{Category: schema.CategoryHumanitarian, Unit: "EUR", Commitments: 1, Pledged: 2.3e9, Delivered: 1e9, Withdrawn: 2.3e9}}},
			},
		},
		{
			// An unquantified pledge stays open whatever is delivered, until a
			// delivery says complete.
			"UnquantifiedOpenUntilComplete",
			[]schema.Event{
				pledgeEv(1, "USA", "USA-intel", schema.CategoryIntelligence, 0, "", 265),
				deploymentEv(2, "USA", "USA-intel", qty(3), false, 400),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "USA", Events: 2, Pledges: 1, Deployments: 1, LastActivityAt: hour(400),
					Commitments: 1, Open: 1,
					Lines: []schema.StatusLine{{Category: schema.CategoryIntelligence, Unit: "", Commitments: 1, Pledged: 0, Delivered: 3}}},
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
					Commitments: 1, Open: 0,
					Lines: []schema.StatusLine{{Category: schema.CategoryIntelligence, Unit: "", Commitments: 1, Pledged: 0, Delivered: 3}}},
			},
		},
		{
			// The latest pledge defines the commitment; both count as pledges.
			"RestatedPledge",
			[]schema.Event{
				pledgeEv(2, "DEU", "DEU-mali", schema.CategoryMilitary, 1000, "soldiers", 300),
				pledgeEv(1, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 278),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 2, Pledges: 2, LastActivityAt: hour(300),
					Commitments: 1, Open: 1,
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Pledged: 1000}}},
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
					Commitments: 4, Open: 4,
					Lines: []schema.StatusLine{
						{Category: schema.CategoryIntelligence, Unit: "aircraft", Commitments: 1, Pledged: 6},
						{Category: schema.CategoryMilitary, Unit: "ships", Commitments: 1, Pledged: 1},
						{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 2, Pledged: 1850},
					}},
			},
		},
		{
			"DeploymentOnUnknownCommitment",
			[]schema.Event{deploymentEv(1, "DEU", "DEU-ghost", qty(3), false, 500)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 1, Deployments: 1, LastActivityAt: hour(500), Unmatched: 1},
			},
		},
		{
			"WithdrawalOnUnknownCommitment",
			[]schema.Event{withdrawalEv(1, "CAN", "CAN-cf18", 2100)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "CAN", Events: 1, Withdrawals: 1, LastActivityAt: hour(2100), Unmatched: 1},
			},
		},
		{
			// Unmatched counts each deployment and withdrawal on a commitment
			// no pledge opened, for the event's actor.
			"UnmatchedCountsEvents",
			[]schema.Event{
				deploymentEv(1, "FRA", "X-1", qty(1), false, 500),
				deploymentEv(2, "DEU", "X-1", qty(1), false, 600),
				deploymentEv(3, "DEU", "X-2", qty(1), false, 400),
				withdrawalEv(4, "DEU", "X-2", 401),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 3, Deployments: 2, Withdrawals: 1, LastActivityAt: hour(600), Unmatched: 3},
				{Coalition: paris, Country: "FRA", Events: 1, Deployments: 1, LastActivityAt: hour(500), Unmatched: 1},
			},
		},
		{
			// A pledge arriving later turns unmatched deliveries into
			// deliveries on the commitment.
			"PledgeMatchesEarlierDeployments",
			[]schema.Event{
				deploymentEv(1, "DEU", "DEU-mali", qty(200), false, 1000),
				pledgeEv(2, "DEU", "DEU-mali", schema.CategoryMilitary, 650, "soldiers", 1200),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "DEU", Events: 2, Pledges: 1, Deployments: 1, LastActivityAt: hour(1200),
					Commitments: 1, Open: 1,
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Pledged: 650, Delivered: 200}}},
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
				{Coalition: paris, Country: "DEU", Meetings: 1, LastMeetingAt: hour(240)},
				{Coalition: paris, Country: "FRA", Events: 1, Meetings: 2, LastMeetingAt: hour(240), LastActivityAt: hour(240)},
				{Coalition: paris, Country: "GBR", Meetings: 1, LastMeetingAt: hour(240)},
				{Coalition: paris, Country: "TUR", Events: 1, Meetings: 1, LastMeetingAt: hour(60), LastActivityAt: hour(60)},
				{Coalition: paris, Country: "USA", Meetings: 1, LastMeetingAt: hour(60)},
			},
		},
		{
			"Sanctions",
			[]schema.Event{
				sanctionEv(1, "RUS", "TUR", 350),
				sanctionEv(2, "RUS", "TUR", 1100),
				sanctionEv(3, "TUR", "RUS", 400),
			},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "RUS", Events: 2, SanctionsImposed: 2, SanctionsReceived: 1, LastActivityAt: hour(1100)},
				{Coalition: paris, Country: "TUR", Events: 1, SanctionsImposed: 1, SanctionsReceived: 2, LastActivityAt: hour(400)},
			},
		},
		{
			"IncidentCountsForBothSides",
			[]schema.Event{incidentEv(1, "TUR", "RUS", 250)},
			[]schema.CountryStatus{
				{Coalition: paris, Country: "RUS", Incidents: 1},
				{Coalition: paris, Country: "TUR", Events: 1, Incidents: 1, LastActivityAt: hour(250)},
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
				{Coalition: paris, Country: "DEU", Events: 1, HasStance: true, Stance: 2, StanceAt: hour(276), LastActivityAt: hour(276)},
				{Coalition: paris, Country: "FRA"},
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
					Commitments: 1, Open: 1,
					Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Pledged: 650}}},
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
				{Coalition: paris, Country: "FRA", Events: 1, Meetings: 1, LastMeetingAt: hour(264), LastActivityAt: hour(264)},
				{Coalition: paris, Country: "USA", Meetings: 1, LastMeetingAt: hour(264)},
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
// hand from the files.
func TestFoldGolden(t *testing.T) {
	var events []schema.Event
	for _, g := range validEvents(t) {
		events = append(events, mustParse(t, g.Raw))
	}
	byCountry := map[string]schema.CountryStatus{}
	for _, s := range schema.Fold(paris, events) {
		byCountry[s.Country] = s
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	want := map[string]schema.CountryStatus{
		"CAN": {Events: 1, Withdrawals: 1, LastActivityAt: at("2016-02-08T16:00:00Z"), Unmatched: 1},
		"DEU": {Events: 6, HasStance: true, Stance: 2, StanceAt: at("2015-11-25T13:00:00Z"),
			Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z"),
			Pledges: 3, Deployments: 2, LastActivityAt: at("2016-02-04T12:00:00Z"),
			Commitments: 3, Open: 2,
			Lines: []schema.StatusLine{
				{Category: schema.CategoryHumanitarian, Unit: "EUR", Commitments: 1, Pledged: 2.3e9},
				{Category: schema.CategoryIntelligence, Unit: "aircraft", Commitments: 1, Pledged: 6, Delivered: 6},
				{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 1, Pledged: 650},
			}},
		"FRA": {Events: 4, HasStance: true, Stance: 2, StanceAt: at("2015-11-16T15:00:00Z"),
			Meetings: 4, LastMeetingAt: at("2015-11-26T18:00:00Z"), LastActivityAt: at("2015-11-26T18:00:00Z")},
		"GBR": {Events: 2, Meetings: 2, LastMeetingAt: at("2015-11-23T10:00:00Z"),
			Pledges: 1, Deployments: 1, LastActivityAt: at("2015-12-03T02:00:00Z"),
			Commitments: 1, Open: 0,
			Lines: []schema.StatusLine{{Category: schema.CategoryBasing, Unit: "base", Commitments: 1, Pledged: 1, Delivered: 1}}},
		"RUS": {Events: 3, HasStance: true, Stance: -1, StanceAt: at("2015-11-24T11:30:00Z"),
			Meetings: 2, LastMeetingAt: at("2015-11-26T18:00:00Z"),
			SanctionsImposed: 2, Incidents: 1, LastActivityAt: at("2015-12-29T10:00:00Z")},
		"SAU": {Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z")},
		"TUR": {Events: 2, Meetings: 1, LastMeetingAt: at("2015-11-16T08:00:00Z"),
			SanctionsReceived: 2, Incidents: 1, LastActivityAt: at("2015-11-24T07:24:00Z")},
		"USA": {Events: 1, Meetings: 2, LastMeetingAt: at("2015-11-24T16:00:00Z"),
			Pledges: 1, LastActivityAt: at("2015-11-24T16:30:00Z"),
			Commitments: 1, Open: 1,
			Lines: []schema.StatusLine{{Category: schema.CategoryIntelligence, Unit: "", Commitments: 1}}},
	}
	if got, want := slices.Sorted(mapKeys(byCountry)), slices.Sorted(mapKeys(want)); !slices.Equal(got, want) {
		t.Fatalf("countries = %q, want %q", got, want)
	}
	for code, w := range want {
		w.Coalition, w.Country = paris, code
		if got := byCountry[code]; !reflect.DeepEqual(got, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", code, got, w)
		}
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
	want := map[string]*schema.Commitment{
		"DEU-tornado":  {ID: "DEU-tornado", Known: true, Owner: "DEU", Category: schema.CategoryIntelligence, Unit: "aircraft", Pledged: 6, Delivered: 6, Actors: []string{"DEU", "DEU"}},
		"GBR-akrotiri": {ID: "GBR-akrotiri", Known: true, Owner: "GBR", Category: schema.CategoryBasing, Unit: "base", Pledged: 1, Delivered: 1, Complete: true, Actors: []string{"GBR"}},
		"CAN-cf18":     {ID: "CAN-cf18", Delivered: 6, Withdrawn: true, Actors: []string{"CAN", "CAN"}},
		"DEU-london":   {ID: "DEU-london", Known: true, Owner: "DEU", Category: schema.CategoryHumanitarian, Unit: "EUR", Pledged: 2.3e9, Withdrawn: true, Actors: []string{"DEU"}},
	}
	got := schema.FoldCommitments(events)
	if !reflect.DeepEqual(got, want) {
		for id := range want {
			if !reflect.DeepEqual(got[id], want[id]) {
				t.Errorf("%s:\n got %+v\nwant %+v", id, got[id], want[id])
			}
		}
		t.Errorf("FoldCommitments has %d commitments, want %d", len(got), len(want))
	}
}

func TestCommitmentIsOpen(t *testing.T) {
	tests := []struct {
		name string
		c    schema.Commitment
		want bool
	}{
		{"Unknown", schema.Commitment{Unit: "soldiers", Pledged: 650}, false},
		{"Pledged", schema.Commitment{Known: true, Unit: "soldiers", Pledged: 650}, true},
		{"Partial", schema.Commitment{Known: true, Unit: "soldiers", Pledged: 650, Delivered: 649}, true},
		{"Delivered", schema.Commitment{Known: true, Unit: "soldiers", Pledged: 650, Delivered: 650}, false},
		{"Complete", schema.Commitment{Known: true, Unit: "soldiers", Pledged: 650, Complete: true}, false},
		{"Withdrawn", schema.Commitment{Known: true, Unit: "soldiers", Pledged: 650, Withdrawn: true}, false},
		{"Unquantified", schema.Commitment{Known: true}, true},
		{"UnquantifiedDelivered", schema.Commitment{Known: true, Delivered: 5}, true},
		{"UnquantifiedComplete", schema.Commitment{Known: true, Complete: true}, false},
		{"ZeroPledged", schema.Commitment{Known: true, Unit: "ships", Pledged: 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.IsOpen(); got != tt.want {
				t.Errorf("IsOpen() = %v, want %v", got, tt.want)
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
	var mine []schema.Event
	for _, ev := range events {
		if ev.Coalition == paris {
			mine = append(mine, ev)
		}
	}
	distinct := schema.Dedup(mine)
	pledged := map[string]bool{}
	for _, ev := range distinct {
		if ev.Kind == schema.KindPledge {
			pledged[ev.Pledge.CommitmentID] = true
		}
	}
	var evs, imposed, received, commitments uint64
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
		var lineCommitments uint64
		for _, l := range s.Lines {
			lineCommitments += l.Commitments
		}
		if lineCommitments != s.Commitments {
			t.Errorf("%s: lines hold %d commitments, want %d", s.Country, lineCommitments, s.Commitments)
		}
		evs += s.Events
		imposed += s.SanctionsImposed
		received += s.SanctionsReceived
		commitments += s.Commitments
	}
	if evs != uint64(len(distinct)) {
		t.Errorf("events counted %d, want %d distinct", evs, len(distinct))
	}
	if imposed != received {
		t.Errorf("sanctions imposed %d != received %d", imposed, received)
	}
	if commitments != uint64(len(pledged)) {
		t.Errorf("commitments counted %d, want %d pledged ids", commitments, len(pledged))
	}
}
