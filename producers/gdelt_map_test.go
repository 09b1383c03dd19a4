package producers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// TestMapGDELT checks the mapping of single records: ids, times, source,
// provenance, and each kind's payload.
func TestMapGDELT(t *testing.T) {
	t.Parallel()
	base := producers.GDELTRecord{
		GlobalEventID: 669666590, SQLDate: day(2017, 7, 1), DateAdded: day(2017, 7, 1).Add(23*3600e9 + 45*60e9),
		Actor1Name: "AFGHANISTAN", Actor1CountryCode: "AFG", Actor2Name: "CHINA", Actor2CountryCode: "CHN",
		EventCode: "046", EventBaseCode: "046", EventRootCode: "04", Goldstein: 7, NumMentions: 3, NumSources: 1, NumArticles: 3,
		ActionGeoFullName: "Kabul, Kabol, Afghanistan", SourceURL: "https://www.dawn.com/news/1342694/its-chinas-turn",
	}
	with := func(f func(r *producers.GDELTRecord)) *producers.GDELTRecord {
		r := base
		f(&r)
		return &r
	}
	code := func(c string) func(r *producers.GDELTRecord) {
		return func(r *producers.GDELTRecord) { r.EventCode, r.EventBaseCode, r.EventRootCode = c, c[:3], c[:2] }
	}

	t.Run("Meeting", func(t *testing.T) {
		m := producers.MapGDELT(&base, "gdelt", nil)
		// The id: python3 -c 'import uuid; print(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL,
		// "https://coalition.dev/producers/gdelt"), "gdelt:gdelt:669666590"))'
		want := `{"id":"ffe37010-b72e-5b70-8edf-de363b56ab66","kind":"meeting","coalition":"gdelt","actor":"AFG","counterpart":"CHN",` +
			`"occurred_at":"2017-07-01T00:00:00Z","reported_at":"2017-07-01T23:45:00Z","source":"https://www.dawn.com/news/1342694/its-chinas-turn",` +
			`"summary":"AFGHANISTAN (AFG) → CHINA (CHN): Engage in negotiation (CAMEO 046)",` +
			`"meeting":{"location":"Kabul, Kabol, Afghanistan","topic":"Engage in negotiation"},` +
			`"gdelt":{"global_event_id":669666590,"event_code":"046","goldstein":7,"num_mentions":3,"num_sources":1,"num_articles":3,"avg_tone":0}}`
		if m.Skip != "" {
			t.Fatalf("skipped: %s %s", m.Skip, m.Detail)
		}
		got, _ := json.Marshal(&m.Event)
		if string(got) != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		other := producers.MapGDELT(&base, "another", nil)
		if other.Event.ID == m.Event.ID {
			t.Error("the same record imported into two coalitions has one id, want two")
		}
	})

	tests := []struct {
		name      string
		rec       *producers.GDELTRecord
		countries []string
		skip      producers.GDELTSkip
		detail    string
		check     func(t *testing.T, ev schema.Event)
	}{
		{name: "StatementSkeptical", rec: with(code("112")), check: func(t *testing.T, ev schema.Event) {
			if ev.Kind != schema.KindStatement || ev.Statement.Stance != schema.StanceSkeptical {
				t.Errorf("got %s %+v, want a statement, stance -1", ev.Kind, ev.Statement)
			}
		}},
		{name: "StatementLongestPrefix", rec: with(code("1131")), check: func(t *testing.T, ev schema.Event) {
			if ev.Statement == nil || ev.Statement.Stance != schema.StanceOpposed {
				t.Errorf("got %+v, want stance -2 (rule 113 over rule 11)", ev.Statement)
			}
		}},
		{name: "Pledge", rec: with(code("0332")), check: func(t *testing.T, ev schema.Event) {
			want := schema.Pledge{CommitmentID: "gdelt:AFG:CHN:military:2017-07-01", Category: schema.CategoryMilitary, Asset: "military_aid", Destination: "CHN"}
			if ev.Pledge == nil || *ev.Pledge != want {
				t.Errorf("got %+v, want %+v", ev.Pledge, want)
			}
		}},
		{name: "PledgeToRegion", rec: with(func(r *producers.GDELTRecord) { code("0333")(r); r.Actor2CountryCode = "AFR" }), check: func(t *testing.T, ev schema.Event) {
			if ev.Counterpart != "" || ev.Pledge.Destination != "" || ev.Pledge.CommitmentID != "gdelt:AFG:humanitarian:2017-07-01" {
				t.Errorf("got counterpart %q, %+v, want none and a commitment without recipient", ev.Counterpart, ev.Pledge)
			}
		}},
		{name: "Sanction", rec: with(code("1661")), check: func(t *testing.T, ev schema.Event) {
			if ev.Sanction == nil || ev.Sanction.Sector != "economic" || ev.Sanction.Measure != "Impose embargo, boycott, or sanctions" {
				t.Errorf("got %+v, want the 166 measure, sector economic", ev.Sanction)
			}
		}},
		{name: "IncidentWithinCoerce", rec: with(code("1712")), check: func(t *testing.T, ev schema.Event) {
			if ev.Incident == nil || ev.Incident.Type != "property_destruction" || ev.Incident.Severity != 2 {
				t.Errorf("got %s %+v, want an incident property_destruction, severity 2", ev.Kind, ev.Incident)
			}
		}},
		{name: "Incident", rec: with(code("195")), check: func(t *testing.T, ev schema.Event) {
			if ev.Incident == nil || ev.Incident.Type != "air_strike" || ev.Incident.Severity != 5 || ev.Incident.Description != "Employ aerial weapons" {
				t.Errorf("got %+v", ev.Incident)
			}
		}},
		{name: "AliasROM", rec: with(func(r *producers.GDELTRecord) { r.Actor1CountryCode = "ROM" }), check: func(t *testing.T, ev schema.Event) {
			if ev.Actor != "ROU" {
				t.Errorf("actor %q, want ROU", ev.Actor)
			}
		}},
		{name: "NoSourceURL", rec: with(func(r *producers.GDELTRecord) { r.SourceURL = "" }), check: func(t *testing.T, ev schema.Event) {
			if want := "http://data.gdeltproject.org/gdeltv2/20170701234500.export.CSV.zip"; ev.Source != want {
				t.Errorf("source %q, want %q", ev.Source, want)
			}
		}},
		{name: "SourceNotAURL", rec: with(func(r *producers.GDELTRecord) { r.SourceURL = "BBC Monitoring" }), check: func(t *testing.T, ev schema.Event) {
			if !strings.HasPrefix(ev.Source, "http://data.gdeltproject.org/gdeltv2/") {
				t.Errorf("source %q, want the export file's URL", ev.Source)
			}
		}},
		{name: "Unmapped", rec: with(code("0874")), skip: producers.SkipUnmappedCAMEO, detail: "0874"},
		{name: "UnmappedCarvedOut", rec: with(code("075")), skip: producers.SkipUnmappedCAMEO, detail: "075"},
		{name: "NoActor", rec: with(func(r *producers.GDELTRecord) { r.Actor1CountryCode = "" }), skip: producers.SkipNoActorCountry},
		{name: "ActorWest", rec: with(func(r *producers.GDELTRecord) { r.Actor1CountryCode = "WST" }), skip: producers.SkipNotAState, detail: "WST"},
		{name: "ActorUnknown", rec: with(func(r *producers.GDELTRecord) { r.Actor1CountryCode = "YUG" }), skip: producers.SkipUnknownCountry, detail: "YUG"},
		{name: "Filtered", rec: &base, countries: []string{"FRA", "DEU"}, skip: producers.SkipFilteredCountry, detail: "AFG"},
		{name: "FilterKeepsActor", rec: &base, countries: []string{"AFG"}},
		{name: "CounterpartNotInFilter", rec: &base, countries: []string{"CHN"}, skip: producers.SkipFilteredCountry, detail: "AFG"},
		{name: "NoCounterpart", rec: with(func(r *producers.GDELTRecord) { r.Actor2CountryCode = "" }), skip: producers.SkipNoCounterpartCountry},
		{name: "CounterpartRegion", rec: with(func(r *producers.GDELTRecord) { r.Actor2CountryCode = "EUR" }), skip: producers.SkipNotAState, detail: "EUR"},
		{name: "Domestic", rec: with(func(r *producers.GDELTRecord) { r.Actor2CountryCode = "AFG" }), skip: producers.SkipDomestic, detail: "AFG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			countries := map[string]bool{}
			for _, c := range tt.countries {
				countries[c] = true
			}
			m := producers.MapGDELT(tt.rec, "gdelt", countries)
			if m.Skip != tt.skip || m.Detail != tt.detail {
				t.Fatalf("skip %q (%q), want %q (%q)", m.Skip, m.Detail, tt.skip, tt.detail)
			}
			if m.Skip != "" {
				return
			}
			if err := m.Event.Validate(); err != nil {
				t.Errorf("invalid event: %v", err)
			}
			if tt.check != nil {
				tt.check(t, m.Event)
			}
		})
	}
}
