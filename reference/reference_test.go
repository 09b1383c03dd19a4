package reference_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/reference"
	"github.com/coalitiondev/coalition/schema"
)

// fixture opens a file of testdata/reference (test fixtures, invented
// figures: see its README.md).
func fixture(tb testing.TB, name string) *os.File {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "reference", name))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

func TestReadGDP(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		layout     reference.Layout
		want       []string
		sum        reference.Summary
	}{
		{
			name: "WorldBankDownload", file: "API_NY.GDP.MKTP.CD_DS2_en_csv_v2_fixture.csv", layout: reference.LayoutWDI,
			want: []string{"DEU 2014 3.9e+12", "DEU 2015 3.4e+12", "DEU 2016 3.5e+12", "EMU 2015 1.17e+13", "FRA 2015 2.4e+12",
				"FRA 2016 2.5e+12", "GBR 2015 2.9e+12", "ITA 2015 1.8e+12", "USA 2015 1.82e+13"},
			sum: reference.Summary{Layout: reference.LayoutWDI, Rows: 6, Values: 9, Empty: 15},
		},
		{
			name: "LongLayout", file: "gdp_long_fixture.csv", layout: reference.LayoutLong,
			want: []string{"DEU 2015 3.4e+12", "FRA 2015 2.4e+12"},
			sum:  reference.Summary{Layout: reference.LayoutLong, Rows: 3, Values: 2, Empty: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, sum, err := reference.ReadGDP(tc.file, fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, g := range got {
				lines = append(lines, fmt.Sprintf("%s %d %g", g.Country, g.Year, g.USD))
			}
			if strings.Join(lines, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
			}
			if sum != tc.sum {
				t.Errorf("summary: got %+v, want %+v", sum, tc.sum)
			}
		})
	}
}

func TestReadFX(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []string
		sum        reference.Summary
	}{
		{
			// EUR from the euro area's row; Germany's row (a member) is
			// skipped; Japan's row has no figure.
			name: "WorldBankDownload", file: "API_PA.NUS.FCRF_DS2_en_csv_v2_fixture.csv",
			want: []string{"EUR 2015 0.9", "EUR 2016 0.9", "GBP 2015 0.65", "USD 2015 1", "USD 2016 1"},
			sum:  reference.Summary{Layout: reference.LayoutWDI, Rows: 5, Values: 5, Empty: 11, Skipped: 1},
		},
		{
			name: "SimpleLayout", file: "fx_simple_fixture.csv",
			want: []string{"CHF 2015 0.96", "JPY 2016 110"},
			sum:  reference.Summary{Layout: reference.LayoutSimple, Rows: 2, Values: 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, sum, err := reference.ReadFX(tc.file, fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, r := range got {
				lines = append(lines, fmt.Sprintf("%s %d %g", r.Currency, r.Year, r.PerUSD))
			}
			if strings.Join(lines, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
			}
			if sum != tc.sum {
				t.Errorf("summary: got %+v, want %+v", sum, tc.sum)
			}
		})
	}
}

// TestReadErrors checks that every problem names the file, the line and
// the field.
func TestReadErrors(t *testing.T) {
	t.Run("BrokenDownload", func(t *testing.T) {
		_, _, err := reference.ReadGDP("gdp_bad_fixture.csv", fixture(t, "gdp_bad_fixture.csv"))
		if schema.ErrorCode(err) != schema.EINVALID {
			t.Fatalf("got %v, want an invalid-input error", err)
		}
		var got []string
		for _, p := range schema.ErrorProblems(err) {
			got = append(got, p.String())
		}
		want := []string{
			`line 5: field "total": not a year: a World Development Indicators header has a column per year after "Indicator Code"`,
			`line 6: field "2015": "lots" is not a number`,
			`line 7: field "Country Code": want a three-letter World Bank code such as DEU or EMU, got "fra"`,
			`line 8: field "Indicator Code": NY.GDP.PCAP.CD is not the indicator of GDP (want NY.GDP.MKTP.CD)`,
			`line 9: field "2014": GDP must be positive, got -1`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if !strings.HasPrefix(err.Error(), "GDP file gdp_bad_fixture.csv: line 5: ") {
			t.Errorf("the message does not start with the file: %v", err)
		}
	})
	for _, tc := range []struct {
		name, text, want string
		fx               bool
	}{
		{"Empty", "", "GDP file f.csv: no header row: the file is empty", false},
		{"NoHeader", "DEU,2015,1\n", `GDP file f.csv: line 1: want a header row: "Country Name,Country Code,Indicator Name,Indicator Code,1960,..." (a World Bank download), "Country Name,Country Code,Year,Value" or "country,year,gdp_usd"`, false},
		{"BadYear", "country,year,gdp_usd\nDEU,15,1e12\n", `GDP file f.csv: line 2: field "year": want a year such as 2015, got "15"`, false},
		{"Twice", "currency,year,per_usd\nEUR,2015,0.9\nEUR,2015,0.91\n", `exchange rate file f.csv: line 3: field "per_usd": EUR 2015 is given twice (first on line 2)`, true},
		{"BadCurrency", "currency,year,per_usd\neuro,2015,0.9\n", `exchange rate file f.csv: line 2: field "currency": want a three-letter code such as EUR, got "euro"`, true},
		{"ShortRow", "Country Name,Country Code,Year,Value\nGermany,DEU,2015\n", `GDP file f.csv: line 2: 3 fields, the header has 4`, false},
		{"NotCSV", "country,year,gdp_usd\n\"DEU,2015,1\n", `GDP file f.csv: line 2: not CSV: extraneous or missing " in quoted-field`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.fx {
				_, _, err = reference.ReadFX("f.csv", strings.NewReader(tc.text))
			} else {
				_, _, err = reference.ReadGDP("f.csv", strings.NewReader(tc.text))
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
			if schema.ErrorCode(err) != schema.EINVALID {
				t.Errorf("code %q, want %q", schema.ErrorCode(err), schema.EINVALID)
			}
		})
	}
}

func TestCurrencyIssuers(t *testing.T) {
	seen := map[string]string{}
	for issuer, cur := range reference.Currencies {
		if other, ok := seen[cur]; ok {
			t.Errorf("%s has two issuers, %s and %s", cur, other, issuer)
		}
		seen[cur] = issuer
	}
	if got := reference.CurrencyIssuers(); got[0] != "AED ARE" || len(got) != len(reference.Currencies) {
		t.Errorf("CurrencyIssuers: got %v", got)
	}
}
