package schema_test

import (
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

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
