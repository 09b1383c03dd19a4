package producers

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/coalitiondev/coalition/schema"
)

// GDELTNamespace is the namespace of imported events' ids: an event's id
// is the SHA-1 UUID (version 5) of "gdelt:<coalition>:<GLOBALEVENTID>" in
// it, so the same record imported into the same coalition always gets the
// same id, and publishing it again is a duplicate. It is itself the SHA-1
// UUID of "https://coalition.dev/producers/gdelt" in the URL namespace.
var GDELTNamespace = uuid.MustParse("552d06d6-53c0-50be-abfd-26d29754d4da")

// GDELTEventID returns the id of the event imported from the record with
// GLOBALEVENTID id into coalition.
func GDELTEventID(coalition string, id uint64) uuid.UUID {
	return uuid.NewSHA1(GDELTNamespace, fmt.Appendf(nil, "gdelt:%s:%d", coalition, id))
}

// GDELTSkip says why a record was not imported. A record gets the first
// reason that applies, checked in this order: malformed, unmapped_cameo,
// the actor (no_actor_country, not_a_state, unknown_country),
// filtered_country, the counterpart when the kind needs one
// (no_counterpart_country, not_a_state, unknown_country), domestic,
// invalid.
type GDELTSkip string

// The reasons a record is not imported.
const (
	// The row could not be read: wrong column count, a bad number, date or
	// code. Reported with file and line.
	SkipMalformed GDELTSkip = "malformed"
	// Its CAMEO code is outside the mapping, or deliberately not imported.
	SkipUnmappedCAMEO GDELTSkip = "unmapped_cameo"
	// Actor1CountryCode is empty: GDELT could not tie the actor to a
	// country.
	SkipNoActorCountry GDELTSkip = "no_actor_country"
	// The actor, or a counterpart the kind needs, is a CAMEO region or
	// grouping (EUR, AFR, WST), not a state.
	SkipNotAState GDELTSkip = "not_a_state"
	// The actor's or counterpart's code is neither a state of the registry
	// nor a CAMEO region.
	SkipUnknownCountry GDELTSkip = "unknown_country"
	// The actor is not one of the countries asked for (--countries).
	SkipFilteredCountry GDELTSkip = "filtered_country"
	// Actor2CountryCode is empty, and the kind is about the actor's
	// relation to a counterpart (every kind but the pledge).
	SkipNoCounterpartCountry GDELTSkip = "no_counterpart_country"
	// Actor and counterpart are the same country: domestic politics, not
	// a stance or act toward another state.
	SkipDomestic GDELTSkip = "domestic"
	// The event it maps to breaks a rule of the event contract (such as
	// SQLDATE before 1970, or DATEADDED in the future). Reported with file
	// and line.
	SkipInvalid GDELTSkip = "invalid"
)

// GDELTSkips lists the reasons, in the order summaries show them.
var GDELTSkips = []GDELTSkip{SkipMalformed, SkipUnmappedCAMEO, SkipNoActorCountry, SkipNotAState, SkipUnknownCountry,
	SkipFilteredCountry, SkipNoCounterpartCountry, SkipDomestic, SkipInvalid}

// needsCounterpart says which kinds are about a relation to a counterpart
// state: every kind but the pledge. A statement's stance is read from how
// the actor treats the counterpart, a meeting is between two states, a
// sanction or incident has a target. A pledge of aid is a promise of means
// even when GDELT does not name the recipient: it is imported without a
// counterpart (and destination) when Actor2CountryCode is empty, a region
// or unknown.
func needsCounterpart(k schema.Kind) bool { return k != schema.KindPledge }

// GDELTMapping is the outcome of mapping one record.
type GDELTMapping struct {
	Event schema.Event
	Skip  GDELTSkip // "" when Event is to be imported
	// Detail is the code behind the outcome: the CAMEO code for
	// unmapped_cameo, the country code for not_a_state, unknown_country
	// and filtered_country.
	Detail string
	// CounterpartDropped says Actor2CountryCode named a region or an
	// unknown code, and the event (a pledge) was kept without a
	// counterpart.
	CounterpartDropped bool
}

// MapGDELT maps one record to a Coalition event of coalition by the rules
// of CAMEORules, keeping only actors in countries (ISO alpha-3 codes) when
// countries is not empty. It does not check the event against the contract
// (Validate, CheckTimes): the importer does.
func MapGDELT(rec *GDELTRecord, coalition string, countries map[string]bool) GDELTMapping {
	rule, ok := LookupCAMEO(rec.EventCode)
	if !ok {
		return GDELTMapping{Skip: SkipUnmappedCAMEO, Detail: rec.EventCode}
	}
	actor, res := resolveCAMEOCountry(rec.Actor1CountryCode)
	switch res {
	case countryEmpty:
		return GDELTMapping{Skip: SkipNoActorCountry}
	case countryRegion:
		return GDELTMapping{Skip: SkipNotAState, Detail: rec.Actor1CountryCode}
	case countryUnknown:
		return GDELTMapping{Skip: SkipUnknownCountry, Detail: rec.Actor1CountryCode}
	}
	if len(countries) > 0 && !countries[actor] {
		return GDELTMapping{Skip: SkipFilteredCountry, Detail: actor}
	}
	var m GDELTMapping
	counterpart, res := resolveCAMEOCountry(rec.Actor2CountryCode)
	if needsCounterpart(rule.Kind) {
		switch res {
		case countryEmpty:
			return GDELTMapping{Skip: SkipNoCounterpartCountry}
		case countryRegion:
			return GDELTMapping{Skip: SkipNotAState, Detail: rec.Actor2CountryCode}
		case countryUnknown:
			return GDELTMapping{Skip: SkipUnknownCountry, Detail: rec.Actor2CountryCode}
		}
	} else if res == countryRegion || res == countryUnknown {
		m.CounterpartDropped = true
	}
	if counterpart == actor {
		return GDELTMapping{Skip: SkipDomestic, Detail: actor}
	}

	desc, _ := CAMEODescription(rec.EventCode)
	ev := schema.Event{
		ID:          GDELTEventID(coalition, rec.GlobalEventID),
		Kind:        rule.Kind,
		Coalition:   coalition,
		Actor:       actor,
		Counterpart: counterpart,
		OccurredAt:  rec.SQLDate,
		ReportedAt:  rec.DateAdded,
		Source:      gdeltSource(rec),
		Summary:     gdeltSummaryText(rec, actor, counterpart, desc),
		GDELT: &schema.GDELT{
			GlobalEventID: rec.GlobalEventID, EventCode: rec.EventCode, Goldstein: rec.Goldstein,
			NumMentions: rec.NumMentions, NumSources: rec.NumSources, NumArticles: rec.NumArticles, AvgTone: rec.AvgTone,
		},
	}
	switch rule.Kind {
	case schema.KindMeeting:
		ev.Meeting = &schema.Meeting{Location: clip(rec.ActionGeoFullName), Topic: clip(desc)}
	case schema.KindStatement:
		ev.Statement = &schema.Statement{Stance: rule.Stance}
	case schema.KindPledge:
		ev.Pledge = &schema.Pledge{
			CommitmentID: gdeltCommitmentID(actor, counterpart, rule.Category, rec),
			Category:     rule.Category, Asset: rule.Asset, Destination: counterpart,
		}
	case schema.KindSanction:
		ev.Sanction = &schema.Sanction{Measure: clip(desc), Sector: rule.Sector}
	case schema.KindIncident:
		ev.Incident = &schema.Incident{Type: rule.Type, Severity: rule.Severity, Description: clip(desc)}
	}
	m.Event = ev
	return m
}

// gdeltCommitmentID names the commitment a pledge opens. GDELT does not
// identify promises, and one promise reported by several articles can be
// several records on the same day; so the promises of one actor to one
// counterpart (or to none named) in one category on one day are taken to
// be one commitment: gdelt:GBR:KEN:financial:2017-07-01.
func gdeltCommitmentID(actor, counterpart string, c schema.Category, rec *GDELTRecord) string {
	parts := []string{"gdelt", actor}
	if counterpart != "" {
		parts = append(parts, counterpart)
	}
	parts = append(parts, string(c), rec.SQLDate.Format("2006-01-02"))
	return strings.Join(parts, ":")
}

// gdeltSource returns the record's SOURCEURL when it is a URL the contract
// accepts, else the URL of the GDELT export file the record was published
// in (DATEADDED names the 15-minute file), which source must then be.
func gdeltSource(rec *GDELTRecord) string {
	s := rec.SourceURL
	if u, err := url.Parse(s); err == nil && (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")) &&
		u.Hostname() != "" && len(s) <= schema.MaxSourceChars {
		return s
	}
	return "http://data.gdeltproject.org/gdeltv2/" + rec.DateAdded.Format("20060102150405") + ".export.CSV.zip"
}

// gdeltSummaryText is the event's one-line summary: who, to whom, what,
// with GDELT's actor names and the CAMEO code.
func gdeltSummaryText(rec *GDELTRecord, actor, counterpart, desc string) string {
	name := func(n, code, raw string) string {
		n = strings.TrimSpace(n)
		switch {
		case n == "" && code != "":
			return schema.CountryName(code) + " (" + code + ")"
		case code != "":
			return n + " (" + code + ")"
		case raw != "":
			return n + " (" + raw + ")"
		}
		return n
	}
	s := name(rec.Actor1Name, actor, "")
	if to := name(rec.Actor2Name, counterpart, rec.Actor2CountryCode); to != "" {
		s += " → " + to
	}
	if desc == "" {
		desc = "CAMEO event"
	}
	return clip(fmt.Sprintf("%s: %s (CAMEO %s)", s, desc, rec.EventCode))
}

// clip shortens text to the contract's limit for free text.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= schema.MaxTextChars {
		return s
	}
	r := []rune(s)
	return string(r[:schema.MaxTextChars-1]) + "…"
}
