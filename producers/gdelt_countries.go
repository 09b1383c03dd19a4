package producers

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/coalitiondev/coalition/schema"
)

// GDELT's Actor1CountryCode and Actor2CountryCode hold CAMEO country codes.
// For states they are ISO 3166-1 alpha-3 codes, with the exceptions below;
// CAMEO also codes regions and groupings, which are not states and which a
// Coalition event cannot name.

// CAMEORegions are the CAMEO country-field codes of regions and groupings
// (from CAMEO's country list, as in GDELT's lookup CAMEO.country.txt), with
// what each stands for. None is an ISO 3166-1 code, a test checks, so a
// plain lookup in the registry would also miss them; the importer names
// them so that its summary says "not a state" rather than "unknown".
//
// WST is the one to watch: it is CAMEO's "the West" (NATO is coded
// IGOWSTNAT), not Samoa, whose ISO code is WSM.
var CAMEORegions = map[string]string{
	"AFR": "Africa",
	"ASA": "Asia",
	"BLK": "the Balkans",
	"CAS": "Central Asia",
	"CAU": "the Caucasus",
	"CEU": "Central Europe",
	"CFR": "Central Africa",
	"CRB": "the Caribbean",
	"EAF": "Eastern Africa",
	"EEU": "Eastern Europe",
	"EIN": "the East Indies",
	"EUR": "Europe (the EU is IGOEUREEC)",
	"LAM": "Latin America",
	"MDT": "the Mediterranean",
	"MEA": "the Middle East",
	"NAF": "North Africa",
	"NMR": "North America",
	"PGS": "the Persian Gulf (the Gulf Cooperation Council is IGOPGSGCC)",
	"SAF": "Southern Africa",
	"SAM": "South America",
	"SAS": "South Asia",
	"SCN": "Scandinavia",
	"SEA": "Southeast Asia",
	"WAF": "West Africa",
	"WST": "the West (NATO is IGOWSTNAT); not Samoa",
}

// CAMEOAliases are CAMEO codes of states that differ from their current ISO
// 3166-1 code: ISO codes that were replaced (ISO 3166-3) and that CAMEO
// still uses, each with one successor.
var CAMEOAliases = map[string]string{
	"ROM": "ROU", // Romania, ISO code until 2002
	"TMP": "TLS", // East Timor, until 2002
	"ZAR": "COD", // Zaire, until 1997
}

// countryResult says what a CAMEO country code resolved to.
type countryResult int

const (
	countryEmpty   countryResult = iota // no code
	countryState                        // an ISO alpha-3 code of a state
	countryRegion                       // a CAMEO region or grouping
	countryUnknown                      // neither
)

// resolveCAMEOCountry maps a CAMEO country code to an ISO 3166-1 alpha-3
// code of the registry in schema.
func resolveCAMEOCountry(code string) (string, countryResult) {
	switch {
	case code == "":
		return "", countryEmpty
	case CAMEORegions[code] != "":
		return "", countryRegion
	}
	if iso, ok := CAMEOAliases[code]; ok {
		code = iso
	}
	if _, ok := schema.LookupCountry(code); ok {
		return code, countryState
	}
	return "", countryUnknown
}

// WriteCAMEOCountries writes the regions and aliases as two Markdown
// tables, as docs/gdelt.md holds them.
func WriteCAMEOCountries(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| CAMEO | region or grouping (not imported: not_a_state) |\n| --- | --- |\n")
	for _, c := range slices.Sorted(maps.Keys(CAMEORegions)) {
		fmt.Fprintf(&b, "| `%s` | %s |\n", c, CAMEORegions[c])
	}
	b.WriteString("\n| CAMEO | ISO 3166-1 | state |\n| --- | --- | --- |\n")
	for _, c := range slices.Sorted(maps.Keys(CAMEOAliases)) {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", c, CAMEOAliases[c], schema.CountryName(CAMEOAliases[c]))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
