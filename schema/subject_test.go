package schema_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/coalitiondev/coalition/schema"
)

// badTokens are values no subject token may take; each is tried as the
// coalition, the country and the kind.
var badTokens = []struct {
	name  string
	value string
}{
	{"Dot", "paris.2015"},
	{"LeadingDot", ".paris"},
	{"Star", "*"},
	{"StarInside", "paris-*"},
	{"GreaterThan", ">"},
	{"GreaterThanInside", "paris>"},
	{"Space", "paris 2015"},
	{"Tab", "paris\t2015"},
	{"Newline", "paris\n"},
	{"CarriageReturn", "paris\r"},
	{"NoBreakSpace", "paris\u00a02015"},
	{"Empty", ""},
	{"UpperCaseSlug", "Paris-2015"},
	{"LowerCaseCountry", "fra"},
	{"UnknownCountry", "XYZ"},
	{"UnknownKind", "summit"},
	{"UpperCaseKind", "Pledge"},
}

// validFor reports whether value happens to be a good token in position pos
// (0 coalition, 1 country, 2 kind); "fra" is a fine slug, for instance.
func validFor(pos int, value string) bool {
	switch pos {
	case 0:
		_, err := schema.Subject(value, "FRA", schema.KindPledge)
		return err == nil
	case 1:
		_, ok := schema.LookupCountry(value)
		return ok
	}
	return schema.Kind(value).Valid()
}

func TestSubject(t *testing.T) {
	t.Run("Valid", func(t *testing.T) {
		tests := []struct {
			coalition, country string
			kind               schema.Kind
			want               string
		}{
			{"paris-2015", "DEU", schema.KindPledge, "coalition.paris-2015.DEU.pledge"},
			{"paris-2015", "GBR", schema.KindDeployment, "coalition.paris-2015.GBR.deployment"},
			{"0", "XKX", schema.KindMeeting, "coalition.0.XKX.meeting"},
			{"anti-isil", "TUR", schema.KindIncident, "coalition.anti-isil.TUR.incident"},
			{strings.Repeat("a", 63), "RUS", schema.KindSanction, "coalition." + strings.Repeat("a", 63) + ".RUS.sanction"},
		}
		for _, tt := range tests {
			t.Run(tt.want, func(t *testing.T) {
				got, err := schema.Subject(tt.coalition, tt.country, tt.kind)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("Subject = %q, want %q", got, tt.want)
				}
				c, k, kind, err := schema.ParseSubject(got)
				if err != nil {
					t.Fatalf("ParseSubject(%q): %v", got, err)
				}
				if c != tt.coalition || k != tt.country || kind != tt.kind {
					t.Errorf("ParseSubject(%q) = %q, %q, %q; want %q, %q, %q", got, c, k, kind, tt.coalition, tt.country, tt.kind)
				}
			})
		}
	})

	t.Run("EveryKind", func(t *testing.T) {
		for _, k := range schema.Kinds {
			got, err := schema.Subject("paris-2015", "FRA", k)
			if err != nil {
				t.Fatalf("Subject(%s): %v", k, err)
			}
			if want := "coalition.paris-2015.FRA." + string(k); got != want {
				t.Errorf("Subject(%s) = %q, want %q", k, got, want)
			}
		}
	})

	t.Run("CoalitionTooLong", func(t *testing.T) {
		if _, err := schema.Subject(strings.Repeat("a", 64), "FRA", schema.KindPledge); schema.ErrorCode(err) != schema.EINVALID {
			t.Errorf("64-character coalition: err = %v, want code %q", err, schema.EINVALID)
		}
	})

	for pos, name := range []string{"Coalition", "Country", "Kind"} {
		for _, bad := range badTokens {
			if validFor(pos, bad.value) {
				continue
			}
			t.Run(name+"/"+bad.name, func(t *testing.T) {
				args := [3]string{"paris-2015", "FRA", string(schema.KindPledge)}
				args[pos] = bad.value
				got, err := schema.Subject(args[0], args[1], schema.Kind(args[2]))
				if err == nil {
					t.Fatalf("Subject(%q, %q, %q) = %q, want an error", args[0], args[1], args[2], got)
				}
				if got != "" {
					t.Errorf("Subject returned %q along with an error", got)
				}
				if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
					t.Errorf("ErrorCode = %q, want %q", got, want)
				}
			})
		}
	}
}

func TestEventSubject(t *testing.T) {
	for _, g := range validEvents(t) {
		ev := mustParse(t, g.Raw)
		got, err := ev.Subject()
		if err != nil {
			t.Fatalf("%s: %v", g.Name, err)
		}
		if want := "coalition." + ev.Coalition + "." + ev.Actor + "." + string(ev.Kind); got != want {
			t.Errorf("%s: Subject() = %q, want %q", g.Name, got, want)
		}
	}
}

func TestParseSubject(t *testing.T) {
	tests := []struct {
		name    string
		subject string
	}{
		{"Empty", ""},
		{"ThreeTokens", "coalition.paris-2015.FRA"},
		{"FiveTokens", "coalition.paris-2015.FRA.pledge.v1"},
		{"WrongPrefix", "alliance.paris-2015.FRA.pledge"},
		{"UpperCasePrefix", "Coalition.paris-2015.FRA.pledge"},
		{"Wildcard", "coalition.*.FRA.pledge"},
		{"FullWildcard", "coalition.paris-2015.>"},
		{"StreamFilter", schema.StreamSubjects},
		{"DLQ", "coalition.dlq.events"},
		{"EmptyToken", "coalition..FRA.pledge"},
		{"TrailingDot", "coalition.paris-2015.FRA.pledge."},
		{"UnknownCountry", "coalition.paris-2015.XYZ.pledge"},
		{"LowerCaseCountry", "coalition.paris-2015.fra.pledge"},
		{"UnknownKind", "coalition.paris-2015.FRA.summit"},
		{"UpperCaseSlug", "coalition.Paris-2015.FRA.pledge"},
		{"Space", "coalition.paris 2015.FRA.pledge"},
		{"TrailingSpace", "coalition.paris-2015.FRA.pledge "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, k, kind, err := schema.ParseSubject(tt.subject)
			if err == nil {
				t.Fatalf("ParseSubject(%q) = %q, %q, %q; want an error", tt.subject, c, k, kind)
			}
			if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q (err: %v)", got, want, err)
			}
			if c != "" || k != "" || kind != "" {
				t.Errorf("ParseSubject returned %q, %q, %q along with an error", c, k, kind)
			}
			if !strings.Contains(err.Error(), tt.subject) {
				t.Errorf("error %q does not quote the subject %q", err, tt.subject)
			}
		})
	}
}

func TestSubjectFilter(t *testing.T) {
	t.Run("Valid", func(t *testing.T) {
		tests := []struct {
			name               string
			coalition, country string
			kind               schema.Kind
			want               string
		}{
			{"All", "", "", "", schema.StreamSubjects},
			{"Coalition", "paris-2015", "", "", "coalition.paris-2015.*.*"},
			{"Country", "", "DEU", "", "coalition.*.DEU.*"},
			{"Kind", "", "", schema.KindPledge, "coalition.*.*.pledge"},
			{"CountryKind", "", "TUR", schema.KindIncident, "coalition.*.TUR.incident"},
			{"Exact", "paris-2015", "GBR", schema.KindDeployment, "coalition.paris-2015.GBR.deployment"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := schema.SubjectFilter(tt.coalition, tt.country, tt.kind)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("SubjectFilter = %q, want %q", got, tt.want)
				}
			})
		}
	})

	// A filter must select exactly the subjects it describes.
	t.Run("Matches", func(t *testing.T) {
		coalitions := []string{"paris-2015", "anti-isil"}
		countries := []string{"FRA", "DEU", "RUS"}
		for _, fc := range append(coalitions, "") {
			for _, fk := range append(countries, "") {
				for _, fkind := range []schema.Kind{"", schema.KindPledge, schema.KindIncident} {
					filter, err := schema.SubjectFilter(fc, fk, fkind)
					if err != nil {
						t.Fatal(err)
					}
					if !subjectMatches(schema.StreamSubjects, filter) {
						t.Errorf("filter %q is outside the stream's %q", filter, schema.StreamSubjects)
					}
					for _, c := range coalitions {
						for _, k := range countries {
							for _, kind := range schema.Kinds {
								subject, err := schema.Subject(c, k, kind)
								if err != nil {
									t.Fatal(err)
								}
								want := (fc == "" || fc == c) && (fk == "" || fk == k) && (fkind == "" || fkind == kind)
								if got := subjectMatches(filter, subject); got != want {
									t.Errorf("filter %q matches %q = %v, want %v", filter, subject, got, want)
								}
							}
						}
					}
				}
			}
		}
	})

	for pos, name := range []string{"Coalition", "Country", "Kind"} {
		for _, bad := range badTokens {
			if bad.value == "" || validFor(pos, bad.value) {
				continue // empty means "any" in a filter
			}
			t.Run(name+"/"+bad.name, func(t *testing.T) {
				args := [3]string{"paris-2015", "FRA", string(schema.KindPledge)}
				args[pos] = bad.value
				got, err := schema.SubjectFilter(args[0], args[1], schema.Kind(args[2]))
				if err == nil {
					t.Fatalf("SubjectFilter(%q, %q, %q) = %q, want an error", args[0], args[1], args[2], got)
				}
				if got != "" {
					t.Errorf("SubjectFilter returned %q along with an error", got)
				}
				if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
					t.Errorf("ErrorCode = %q, want %q", got, want)
				}
			})
		}
	}
}

// subjectMatches reports whether a NATS subject (or a narrower filter)
// matches a filter: '*' matches one token, '>' the rest.
func subjectMatches(filter, subject string) bool {
	ft, st := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, f := range ft {
		if f == ">" {
			return len(st) > i
		}
		if i >= len(st) || (f != "*" && f != st[i]) {
			return false
		}
	}
	return len(ft) == len(st)
}

// checkSubject fails the test if s is not a well-formed, literal event
// subject: four non-empty tokens, no wildcard, no whitespace.
func checkSubject(tb testing.TB, s string) {
	tb.Helper()
	tokens := strings.Split(s, ".")
	if len(tokens) != 4 {
		tb.Errorf("subject %q has %d tokens, want 4", s, len(tokens))
	}
	for _, tok := range tokens {
		if tok == "" {
			tb.Errorf("subject %q has an empty token", s)
		}
	}
	if strings.ContainsAny(s, "*>") {
		tb.Errorf("subject %q contains a wildcard", s)
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		tb.Errorf("subject %q contains whitespace", s)
	}
	if tokens[0] != schema.SubjectPrefix {
		tb.Errorf("subject %q does not start with %q", s, schema.SubjectPrefix)
	}
}

// TestSubjectRandom feeds Subject random strings built from the characters
// that matter (separators, wildcards, whitespace, letters of both cases,
// digits, multi-byte runes), mixed with good tokens so that many calls get
// past the first check. Whatever Subject accepts must be a well-formed
// subject that ParseSubject reads back.
func TestSubjectRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(2015, 1113))
	alphabet := []rune("abcxyzAFRDEUGB0129-_.*> \t\n\r\u00a0\u2003é")
	goodCoalitions := []string{"paris-2015", "a", "0-0"}
	goodCountries := []string{"FRA", "DEU", "XKX"}
	randomString := func() string {
		n := r.IntN(8)
		b := make([]rune, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	pick := func(good []string) string {
		switch r.IntN(4) {
		case 0, 1:
			return good[r.IntN(len(good))]
		case 2:
			// A good token with one random change.
			s := []rune(good[r.IntN(len(good))])
			s[r.IntN(len(s))] = alphabet[r.IntN(len(alphabet))]
			return string(s)
		}
		return randomString()
	}
	kinds := make([]string, len(schema.Kinds))
	for i, k := range schema.Kinds {
		kinds[i] = string(k)
	}

	accepted := 0
	for range 10000 {
		c, k, kind := pick(goodCoalitions), pick(goodCountries), schema.Kind(pick(kinds))
		s, err := schema.Subject(c, k, kind)
		if err != nil {
			if s != "" {
				t.Errorf("Subject(%q, %q, %q) = %q along with error %v", c, k, kind, s, err)
			}
			continue
		}
		accepted++
		checkSubject(t, s)
		gc, gk, gkind, err := schema.ParseSubject(s)
		if err != nil || gc != c || gk != k || gkind != kind {
			t.Errorf("ParseSubject(Subject(%q, %q, %q)) = %q, %q, %q, %v", c, k, kind, gc, gk, gkind, err)
		}
	}
	t.Logf("Subject accepted %d of 10000 random inputs", accepted)
	// The generator must reach the accepting path often enough to mean
	// something, and the rejecting path too.
	if accepted < 100 || accepted > 9000 {
		t.Errorf("Subject accepted %d of 10000 random inputs; the generator is off", accepted)
	}
}

func FuzzSubject(f *testing.F) {
	f.Add("paris-2015", "DEU", "pledge")
	f.Add("paris.2015", "GBR", "deployment")
	f.Add("paris-*", "TUR", "incident")
	f.Add("paris>", "RUS", "sanction")
	f.Add("paris 2015", "FRA", "meeting")
	f.Add("paris-2015", "fra", "statement")
	f.Add("paris-2015", "XYZ", "withdrawal")
	f.Add("paris-2015", "CAN", "summit")
	f.Add("", "", "")
	f.Add("paris-2015\n", "FRA", "pledge")
	f.Fuzz(func(t *testing.T, coalition, country, kind string) {
		s, err := schema.Subject(coalition, country, schema.Kind(kind))
		if err != nil {
			if s != "" {
				t.Errorf("Subject returned %q along with error %v", s, err)
			}
			if got, want := schema.ErrorCode(err), schema.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q", got, want)
			}
			return
		}
		checkSubject(t, s)
		c, k, kd, err := schema.ParseSubject(s)
		if err != nil {
			t.Fatalf("ParseSubject(%q): %v", s, err)
		}
		if c != coalition || k != country || string(kd) != kind {
			t.Errorf("ParseSubject(%q) = %q, %q, %q; want %q, %q, %q", s, c, k, kd, coalition, country, kind)
		}
		filter, err := schema.SubjectFilter(coalition, country, schema.Kind(kind))
		if err != nil {
			t.Fatalf("SubjectFilter accepts less than Subject: %v", err)
		}
		if filter != s {
			t.Errorf("SubjectFilter with every token = %q, want the subject %q", filter, s)
		}
	})
}
