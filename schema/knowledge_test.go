package schema_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

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
