package producers

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
)

// GDELTColumns are the 61 columns of a GDELT 2.0 event export, in the order
// of the files GDELT publishes (tab-separated, no header row).
var GDELTColumns = func() []string {
	cols := []string{"GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"}
	for _, a := range []string{"Actor1", "Actor2"} {
		for _, c := range []string{"Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode",
			"Religion1Code", "Religion2Code", "Type1Code", "Type2Code", "Type3Code"} {
			cols = append(cols, a+c)
		}
	}
	cols = append(cols, "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
		"GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone")
	for _, g := range []string{"Actor1Geo_", "Actor2Geo_", "ActionGeo_"} {
		for _, c := range []string{"Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID"} {
			cols = append(cols, g+c)
		}
	}
	return append(cols, "DATEADDED", "SOURCEURL")
}()

// GDELTRecord is what the importer reads of one GDELT event record: the
// columns it maps, parsed and checked.
type GDELTRecord struct {
	GlobalEventID uint64
	SQLDate       time.Time // the day the event took place, UTC midnight
	DateAdded     time.Time // when GDELT added it: the 15-minute update, UTC

	Actor1Name, Actor1CountryCode string
	Actor2Name, Actor2CountryCode string

	EventCode, EventBaseCode, EventRootCode string

	Goldstein                            float64
	NumMentions, NumSources, NumArticles int
	AvgTone                              float64
	ActionGeoFullName                    string
	SourceURL                            string
}

// recordError is one thing wrong with a record: the column and what is
// wrong with its value.
type recordError struct {
	Column  string
	Message string
}

func (e *recordError) Error() string { return e.Column + ": " + e.Message }

var (
	digitsRE      = regexp.MustCompile(`^[0-9]+$`)
	countryCodeRE = regexp.MustCompile(`^[A-Z]{3}$`)
	// The count columns fit a signed 32-bit integer (schema.GDELT).
	maxCount = int64(math.MaxInt32)
)

// parseGDELTRecord reads the columns the importer uses through get (the
// value of a column by name) and checks each: numbers are numbers in range,
// dates are real dates, codes have their form. It returns the first
// problem found.
func parseGDELTRecord(get func(string) string) (GDELTRecord, error) {
	var r GDELTRecord
	bad := func(col, format string, args ...any) (GDELTRecord, error) {
		return r, &recordError{Column: col, Message: fmt.Sprintf(format, args...)}
	}
	id := get("GLOBALEVENTID")
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || !digitsRE.MatchString(id) || n == 0 || n > 1<<53-1 {
		return bad("GLOBALEVENTID", "%q is not an event id (a positive integer below 2^53)", id)
	}
	r.GlobalEventID = n
	if r.SQLDate, err = parseDigitsTime(get("SQLDATE"), "20060102"); err != nil {
		return bad("SQLDATE", "%q is not a date YYYYMMDD", get("SQLDATE"))
	}
	if r.DateAdded, err = parseDigitsTime(get("DATEADDED"), "20060102150405"); err != nil {
		return bad("DATEADDED", "%q is not a time YYYYMMDDHHMMSS", get("DATEADDED"))
	}
	r.Actor1Name, r.Actor2Name = get("Actor1Name"), get("Actor2Name")
	for _, c := range []struct {
		col string
		dst *string
	}{{"Actor1CountryCode", &r.Actor1CountryCode}, {"Actor2CountryCode", &r.Actor2CountryCode}} {
		v := get(c.col)
		if v != "" && !countryCodeRE.MatchString(v) {
			return bad(c.col, "%q is not a CAMEO country code (three capital letters)", v)
		}
		*c.dst = v
	}
	r.EventCode, r.EventBaseCode, r.EventRootCode = get("EventCode"), get("EventBaseCode"), get("EventRootCode")
	if !cameoEventCodeRE.MatchString(r.EventCode) {
		return bad("EventCode", "%q is not a CAMEO event code (2 to 4 digits)", r.EventCode)
	}
	// The base and root codes are the event code's first three and two
	// digits; a record where they disagree is garbled.
	for _, c := range []struct{ col, v string }{{"EventBaseCode", r.EventBaseCode}, {"EventRootCode", r.EventRootCode}} {
		if len(c.v) < 2 || len(c.v) > len(r.EventCode) || r.EventCode[:len(c.v)] != c.v {
			return bad(c.col, "%q does not begin EventCode %q", c.v, r.EventCode)
		}
	}
	if r.Goldstein, err = parseRange(get("GoldsteinScale"), -10, 10); err != nil {
		return bad("GoldsteinScale", "%v", err)
	}
	for _, c := range []struct {
		col string
		dst *int
	}{{"NumMentions", &r.NumMentions}, {"NumSources", &r.NumSources}, {"NumArticles", &r.NumArticles}} {
		v := get(c.col)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > maxCount {
			return bad(c.col, "%q is not a count (an integer from 0 to %d)", v, maxCount)
		}
		*c.dst = int(n)
	}
	if r.AvgTone, err = parseRange(get("AvgTone"), -100, 100); err != nil {
		return bad("AvgTone", "%v", err)
	}
	r.ActionGeoFullName = get("ActionGeo_FullName")
	r.SourceURL = get("SOURCEURL")
	return r, nil
}

var cameoEventCodeRE = regexp.MustCompile(`^[0-9]{2,4}$`)

// parseDigitsTime parses a time written in digits only, in UTC.
func parseDigitsTime(s, layout string) (time.Time, error) {
	if len(s) != len(layout) || !digitsRE.MatchString(s) {
		return time.Time{}, fmt.Errorf("want %d digits", len(layout))
	}
	return time.ParseInLocation(layout, s, time.UTC)
}

// parseRange parses a decimal number between lo and hi.
func parseRange(s string, lo, hi float64) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= lo && f <= hi) {
		return 0, fmt.Errorf("%q is not a number from %g to %g", s, lo, hi)
	}
	return f, nil
}
