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

// TestConflictsWith checks that each side of a sanction or incident between
// two members names the other, once, in code order; and nobody else.
func TestConflictsWith(t *testing.T) {
	tests := []struct {
		name   string
		events []schema.Event
		want   map[string][]string // countries not listed: none
	}{
		{"NonMember", evs(sanctionEv(1, "DEU", "RUS", 0)), nil},
		{"Sanction", evs(sanctionEv(1, "DEU", "RUS", 0), statementEv(2, "RUS", -1, 5)), map[string][]string{"DEU": {"RUS"}, "RUS": {"DEU"}}},
		{"EachOnce", evs(sanctionEv(1, "RUS", "TUR", 0), incidentEv(2, "TUR", "RUS", 5), sanctionEv(3, "RUS", "TUR", 9)),
			map[string][]string{"RUS": {"TUR"}, "TUR": {"RUS"}}},
		{"Sorted", evs(sanctionEv(1, "RUS", "TUR", 0), incidentEv(2, "GBR", "RUS", 5), sanctionEv(3, "RUS", "DEU", 9), statementEv(4, "DEU", 1, 9), statementEv(5, "TUR", 1, 9)),
			map[string][]string{"RUS": {"DEU", "GBR", "TUR"}, "TUR": {"RUS"}, "GBR": {"RUS"}, "DEU": {"RUS"}}},
		{"OnlyMembers", evs(sanctionEv(1, "RUS", "TUR", 0), incidentEv(2, "TUR", "GBR", 5)), map[string][]string{"RUS": {"TUR"}, "TUR": {"RUS"}}},
		{"RetractedIsForgotten", evs(sanctionEv(1, "RUS", "TUR", 0), statementEv(2, "TUR", 0, 1), retracted(1, sanctionEv(1, "RUS", "TUR", 0))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValid(t, tt.events)
			for order, events := range orders(tt.events) {
				for c, s := range byCountry(schema.FoldAsOf(paris, events, late)) {
					if !slices.Equal(s.ConflictsWith, tt.want[c]) || (s.ConflictsWith == nil) != (tt.want[c] == nil) {
						t.Errorf("%s: %s conflicts with %q, want %q", order, c, s.ConflictsWith, tt.want[c])
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
				if len(s.ConflictsWith) > 1 {
					seen["conflicts with several members"]++
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
	for _, k := range schema.AnomalyKinds {
		want = append(want, "anomaly "+string(k))
	}
	for _, l := range schema.Labels {
		want = append(want, "label "+string(l))
	}
	want = append(want, "retraction removed a known event", "previous stance", "member conflict", "conflicts with several members")
	for _, w := range want {
		if seen[w] == 0 {
			t.Errorf("the generated sets never reach %q: the properties do not cover it", w)
		}
	}
	t.Logf("coverage: %v", seen)
}
