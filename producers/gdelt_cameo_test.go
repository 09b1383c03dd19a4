package producers_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func zipOf(tb testing.TB, name string, data []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestCAMEORules checks the mapping table itself: in code order, one rule
// per prefix, each complete for its kind and described by the codebook.
func TestCAMEORules(t *testing.T) {
	t.Parallel()
	token := regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	prefix := regexp.MustCompile(`^(0[1-9]|1[0-9]|20)[0-9]{0,2}$`)
	var prev string
	for _, r := range producers.CAMEORules {
		t.Run(r.Prefix, func(t *testing.T) {
			if !prefix.MatchString(r.Prefix) {
				t.Errorf("prefix %q is not a CAMEO code 01..20 of 2 to 4 digits", r.Prefix)
			}
			if r.Prefix <= prev {
				t.Errorf("prefix %q after %q: want the rules in code order, each once", r.Prefix, prev)
			}
			if d, exact := producers.CAMEODescription(r.Prefix); d == "" || !exact {
				t.Errorf("the codebook does not describe %s", r.Prefix)
			}
			if r.Why == "" {
				t.Error("no Why")
			}
			zero := producers.CAMEORule{Prefix: r.Prefix, Kind: r.Kind, Why: r.Why}
			switch r.Kind {
			case "":
				if r != zero {
					t.Errorf("a not-imported rule with details: %+v", r)
				}
			case schema.KindStatement:
				zero.Stance = r.Stance
				if !r.Stance.Valid() || r != zero {
					t.Errorf("a statement rule wants a stance and nothing else: %+v", r)
				}
			case schema.KindPledge:
				zero.Category, zero.Asset = r.Category, r.Asset
				if !r.Category.Valid() || !token.MatchString(r.Asset) || r != zero {
					t.Errorf("a pledge rule wants a category and an asset: %+v", r)
				}
			case schema.KindMeeting:
				if r != zero {
					t.Errorf("a meeting rule takes no details: %+v", r)
				}
			case schema.KindSanction:
				zero.Sector = r.Sector
				if r != zero {
					t.Errorf("a sanction rule takes a sector at most: %+v", r)
				}
			case schema.KindIncident:
				zero.Type, zero.Severity = r.Type, r.Severity
				if !token.MatchString(r.Type) || r.Severity < 1 || r.Severity > 5 || r != zero {
					t.Errorf("an incident rule wants a type and a severity 1..5: %+v", r)
				}
			default:
				t.Errorf("kind %q: deployments and withdrawals need a commitment GDELT cannot name", r.Kind)
			}
		})
		prev = r.Prefix
	}
	// Every root code 01..20 is decided, one way or the other: a root
	// without a rule of its own must have rules for its codes.
	for root := 1; root <= 20; root++ {
		r := []byte{byte('0' + root/10), byte('0' + root%10)}
		found := slices.ContainsFunc(producers.CAMEORules, func(x producers.CAMEORule) bool { return strings.HasPrefix(x.Prefix, string(r)) })
		if !found {
			t.Errorf("no rule for CAMEO root %s", r)
		}
	}
}

// TestCAMEOCodebook checks the embedded copy of cameo-codes.json against the
// sample's own CAMEOCodeDescription column, where the sample has one.
func TestCAMEOCodebook(t *testing.T) {
	t.Parallel()
	f, err := os.Open(gdeltFile("events-2017-07-01-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	checked := 0
	for _, rec := range recs[1:] {
		code, desc := rec[idx["EventCode"]], strings.Join(strings.Fields(rec[idx["CAMEOCodeDescription"]]), " ")
		got, exact := producers.CAMEODescription(code)
		if strings.HasPrefix(desc, "No Description returned") {
			if exact {
				t.Errorf("%s: the sample has no description, the codebook has %q", code, got)
			}
			continue
		}
		checked++
		if got != desc || !exact {
			t.Errorf("%s: codebook %q, sample %q", code, got, desc)
		}
	}
	if checked < 900 {
		t.Errorf("checked %d descriptions, want most of the 1,000", checked)
	}
	if d, exact := producers.CAMEODescription("0253"); d != "Appeal to yield" || exact {
		t.Errorf("0253: got %q, %v; want its prefix 025's description, inexact", d, exact)
	}
}

// TestCAMEOCountries checks the country tables against the ISO registry.
func TestCAMEOCountries(t *testing.T) {
	t.Parallel()
	for code := range producers.CAMEORegions {
		if c, ok := schema.LookupCountry(code); ok {
			t.Errorf("region %s is also the ISO code of %s: it would shadow a state", code, c.Short)
		}
	}
	if _, ok := schema.LookupCountry("WSM"); !ok {
		t.Error("Samoa is WSM in ISO 3166-1")
	}
	for from, to := range producers.CAMEOAliases {
		if _, ok := schema.LookupCountry(from); ok {
			t.Errorf("alias %s is an ISO code itself", from)
		}
		if _, ok := schema.LookupCountry(to); !ok {
			t.Errorf("alias %s points at %s, not in the registry", from, to)
		}
	}
}

func TestGDELTColumns(t *testing.T) {
	t.Parallel()
	f, err := os.Open(gdeltFile("events-2017-07-01-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header, err := csv.NewReader(f).Read()
	if err != nil {
		t.Fatal(err)
	}
	header = slices.DeleteFunc(header, func(c string) bool { return c == "CAMEOCodeDescription" })
	if len(producers.GDELTColumns) != 61 || !slices.Equal(producers.GDELTColumns, header) {
		t.Errorf("GDELTColumns = %q (%d),\nthe sample's header without CAMEOCodeDescription = %q", producers.GDELTColumns, len(producers.GDELTColumns), header)
	}
}

func TestGDELTNamespace(t *testing.T) {
	t.Parallel()
	if want := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://coalition.dev/producers/gdelt")); producers.GDELTNamespace != want {
		t.Errorf("GDELTNamespace = %s, want %s", producers.GDELTNamespace, want)
	}
}

// TestGDELTDocs keeps docs/gdelt.md's tables equal to the rules: the
// mapping between <!-- cameo-mapping --> markers, the country tables
// between <!-- cameo-countries --> markers. -update rewrites them.
func TestGDELTDocs(t *testing.T) {
	t.Parallel()
	path := "../docs/gdelt.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mapping, countries strings.Builder
	if err := producers.WriteCAMEOMapping(&mapping); err != nil {
		t.Fatal(err)
	}
	if err := producers.WriteCAMEOCountries(&countries); err != nil {
		t.Fatal(err)
	}
	out := string(doc)
	for _, s := range []struct{ marker, want string }{{"cameo-mapping", mapping.String()}, {"cameo-countries", countries.String()}} {
		begin, end := "<!-- "+s.marker+" -->\n", "<!-- end "+s.marker+" -->"
		i, j := strings.Index(out, begin), strings.Index(out, end)
		if i < 0 || j < i {
			t.Fatalf("%s has no %q ... %q section", path, begin, end)
		}
		if got := out[i+len(begin) : j]; got != s.want {
			if !*update {
				t.Errorf("%s: the %s table differs from the code (go test ./producers -run TestGDELTDocs -update):\n got\n%s\nwant\n%s", path, s.marker, got, s.want)
			}
			out = out[:i+len(begin)] + s.want + out[j:]
		}
	}
	if *update && out != string(doc) {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
