package schema

import (
	"fmt"
	"regexp"
)

// GDELT is the provenance of an event imported from the GDELT 2.0 Event
// Database (producers.GDELTImporter, docs/gdelt.md): the record it was
// mapped from and GDELT's own measures of that record. It is optional, and
// no status figure depends on it; it is kept so that an analyst can go back
// to the record and weigh the event (a story seen in one article is not one
// seen in forty).
type GDELT struct {
	// GlobalEventID is the record's GLOBALEVENTID.
	GlobalEventID uint64 `json:"global_event_id"`
	// EventCode is the record's CAMEO action code, leading zeros kept
	// ("042", "0331").
	EventCode string `json:"event_code"`
	// Goldstein is the record's GoldsteinScale: the theoretical impact of
	// that kind of event on a country's stability, -10 to +10.
	Goldstein float64 `json:"goldstein"`
	// NumMentions, NumSources and NumArticles are GDELT's counts of the
	// mentions, sources and articles of the event in the 15 minutes in
	// which it was first seen.
	NumMentions int `json:"num_mentions"`
	NumSources  int `json:"num_sources"`
	NumArticles int `json:"num_articles"`
	// AvgTone is the average tone of those articles, -100 (extremely
	// negative) to +100 (extremely positive); most lie between -10 and +10.
	AvgTone float64 `json:"avg_tone"`
}

// Limits of the GDELT provenance fields. The id stays below 2^53 so that
// any JSON reader holds it exactly; the counts fit a signed 32-bit integer.
const (
	maxGDELTEventID = 1<<53 - 1
	maxGDELTCount   = 1<<31 - 1
)

var cameoCodeRE = regexp.MustCompile(`^[0-9]{2,4}$`)

// problems checks the provenance object; paths start with "gdelt.".
func (g *GDELT) problems() []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: "gdelt." + path, Message: fmt.Sprintf(format, args...)})
	}
	if g.GlobalEventID < 1 || g.GlobalEventID > maxGDELTEventID {
		add("global_event_id", "must be between 1 and 2^53-1, got %d", g.GlobalEventID)
	}
	if !cameoCodeRE.MatchString(g.EventCode) {
		add("event_code", "must be a CAMEO code of 2 to 4 digits such as 042, got %q", g.EventCode)
	}
	if !(g.Goldstein >= -10 && g.Goldstein <= 10) {
		add("goldstein", "must be between -10 and 10, got %g", g.Goldstein)
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"num_mentions", g.NumMentions}, {"num_sources", g.NumSources}, {"num_articles", g.NumArticles}} {
		if c.n < 0 || c.n > maxGDELTCount {
			add(c.name, "must be between 0 and 2147483647, got %d", c.n)
		}
	}
	if !(g.AvgTone >= -100 && g.AvgTone <= 100) {
		add("avg_tone", "must be between -100 and 100, got %g", g.AvgTone)
	}
	return ps
}
