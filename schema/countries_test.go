package schema

import (
	"slices"
	"testing"
)

// countryCodeIs reports whether s is exactly n bytes, each in [lo, hi].
func countryCodeIs(s string, n int, lo, hi byte) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < lo || s[i] > hi {
			return false
		}
	}
	return true
}

func TestCountriesRegistrySize(t *testing.T) {
	all := Countries()
	if got, want := len(all), 250; got != want {
		t.Fatalf("len(Countries()) = %d, want %d (249 ISO 3166-1 + XKX)", got, want)
	}
	var official, user []string
	for _, c := range all {
		if c.UserAssigned {
			user = append(user, c.Alpha3)
		} else {
			official = append(official, c.Alpha3)
		}
	}
	if got, want := len(official), 249; got != want {
		t.Errorf("officially assigned entries = %d, want %d", got, want)
	}
	if got, want := user, []string{"XKX"}; !slices.Equal(got, want) {
		t.Errorf("user-assigned entries = %v, want %v", got, want)
	}
}

func TestCountriesCodesWellFormedAndUnique(t *testing.T) {
	tests := []struct {
		name         string
		field        func(Country) string
		wellFormed   func(string) bool
		skipUserAsgn bool // user-assigned entries may lack this code
	}{
		{
			name:       "alpha3",
			field:      func(c Country) string { return c.Alpha3 },
			wellFormed: func(s string) bool { return countryCodeIs(s, 3, 'A', 'Z') },
		},
		{
			name:       "alpha2",
			field:      func(c Country) string { return c.Alpha2 },
			wellFormed: func(s string) bool { return countryCodeIs(s, 2, 'A', 'Z') },
		},
		{
			name:         "numeric",
			field:        func(c Country) string { return c.Numeric },
			wellFormed:   func(s string) bool { return countryCodeIs(s, 3, '0', '9') },
			skipUserAsgn: true,
		},
		{
			name:       "name",
			field:      func(c Country) string { return c.Name },
			wellFormed: func(s string) bool { return s != "" },
		},
		{
			name:       "short",
			field:      func(c Country) string { return c.Short },
			wellFormed: func(s string) bool { return s != "" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := make(map[string]string)
			for _, c := range Countries() {
				v := tt.field(c)
				if c.UserAssigned && tt.skipUserAsgn {
					continue
				}
				if !tt.wellFormed(v) {
					t.Errorf("%s: %s = %q is malformed", c.Alpha3, tt.name, v)
				}
				// Display and ISO names may legitimately repeat across
				// entries in principle; codes must not.
				if tt.name == "name" || tt.name == "short" {
					continue
				}
				if prev, dup := seen[v]; dup {
					t.Errorf("%s: %s %q already used by %s", c.Alpha3, tt.name, v, prev)
				}
				seen[v] = c.Alpha3
			}
		})
	}
}

func TestCountriesUserAssignedKosovo(t *testing.T) {
	got, ok := LookupCountry("XKX")
	want := Country{Alpha3: "XKX", Alpha2: "XK", Numeric: "", Name: "Kosovo", Short: "Kosovo", UserAssigned: true}
	if !ok || got != want {
		t.Errorf("LookupCountry(%q) = %+v, %v; want %+v, true", "XKX", got, ok, want)
	}
}

func TestCountriesSortedCopy(t *testing.T) {
	t.Run("sorted", func(t *testing.T) {
		all := Countries()
		for i := 1; i < len(all); i++ {
			if got, prev := all[i].Alpha3, all[i-1].Alpha3; got <= prev {
				t.Errorf("Countries()[%d].Alpha3 = %q after %q, want strictly increasing", i, got, prev)
			}
		}
	})
	t.Run("copy", func(t *testing.T) {
		first := Countries()
		want := slices.Clone(first)
		first[0].Alpha3 = "MUTATED"
		first[0].Short = "mutated"
		first[len(first)-1] = Country{}
		if got := Countries(); !slices.Equal(got, want) {
			t.Errorf("Countries() changed after caller modified its copy: got[0] = %+v, want %+v", got[0], want[0])
		}
		if got, ok := LookupCountry(want[0].Alpha3); !ok || got != want[0] {
			t.Errorf("LookupCountry(%q) = %+v, %v; want %+v, true", want[0].Alpha3, got, ok, want[0])
		}
	})
}

func TestLookupCountry(t *testing.T) {
	tests := []Country{
		{Alpha3: "BEL", Alpha2: "BE", Numeric: "056", Name: "Belgium", Short: "Belgium"},
		{Alpha3: "CHN", Alpha2: "CN", Numeric: "156", Name: "China", Short: "China"},
		{Alpha3: "CIV", Alpha2: "CI", Numeric: "384", Name: "Côte d'Ivoire", Short: "Côte d'Ivoire"},
		{Alpha3: "COD", Alpha2: "CD", Numeric: "180", Name: "Congo (Democratic Republic of the)", Short: "DR Congo"},
		{Alpha3: "COG", Alpha2: "CG", Numeric: "178", Name: "Congo", Short: "Republic of the Congo"},
		{Alpha3: "CYP", Alpha2: "CY", Numeric: "196", Name: "Cyprus", Short: "Cyprus"},
		{Alpha3: "CZE", Alpha2: "CZ", Numeric: "203", Name: "Czechia", Short: "Czechia"},
		{Alpha3: "DEU", Alpha2: "DE", Numeric: "276", Name: "Germany", Short: "Germany"},
		{Alpha3: "EGY", Alpha2: "EG", Numeric: "818", Name: "Egypt", Short: "Egypt"},
		{Alpha3: "FRA", Alpha2: "FR", Numeric: "250", Name: "France", Short: "France"},
		{Alpha3: "GBR", Alpha2: "GB", Numeric: "826", Name: "United Kingdom of Great Britain and Northern Ireland", Short: "United Kingdom"},
		{Alpha3: "IRN", Alpha2: "IR", Numeric: "364", Name: "Iran (Islamic Republic of)", Short: "Iran"},
		{Alpha3: "IRQ", Alpha2: "IQ", Numeric: "368", Name: "Iraq", Short: "Iraq"},
		{Alpha3: "ISR", Alpha2: "IL", Numeric: "376", Name: "Israel", Short: "Israel"},
		{Alpha3: "ITA", Alpha2: "IT", Numeric: "380", Name: "Italy", Short: "Italy"},
		{Alpha3: "KOR", Alpha2: "KR", Numeric: "410", Name: "Korea (Republic of)", Short: "South Korea"},
		{Alpha3: "LAO", Alpha2: "LA", Numeric: "418", Name: "Lao People's Democratic Republic", Short: "Laos"},
		{Alpha3: "MKD", Alpha2: "MK", Numeric: "807", Name: "North Macedonia", Short: "North Macedonia"},
		{Alpha3: "MLI", Alpha2: "ML", Numeric: "466", Name: "Mali", Short: "Mali"},
		{Alpha3: "PRK", Alpha2: "KP", Numeric: "408", Name: "Korea (Democratic People's Republic of)", Short: "North Korea"},
		{Alpha3: "PSE", Alpha2: "PS", Numeric: "275", Name: "Palestine, State of", Short: "Palestine"},
		{Alpha3: "RUS", Alpha2: "RU", Numeric: "643", Name: "Russian Federation", Short: "Russia"},
		{Alpha3: "SSD", Alpha2: "SS", Numeric: "728", Name: "South Sudan", Short: "South Sudan"},
		{Alpha3: "SWZ", Alpha2: "SZ", Numeric: "748", Name: "Eswatini", Short: "Eswatini"},
		{Alpha3: "SYR", Alpha2: "SY", Numeric: "760", Name: "Syrian Arab Republic", Short: "Syria"},
		{Alpha3: "TUR", Alpha2: "TR", Numeric: "792", Name: "Türkiye", Short: "Türkiye"},
		{Alpha3: "UKR", Alpha2: "UA", Numeric: "804", Name: "Ukraine", Short: "Ukraine"},
		{Alpha3: "USA", Alpha2: "US", Numeric: "840", Name: "United States of America", Short: "United States"},
		{Alpha3: "VAT", Alpha2: "VA", Numeric: "336", Name: "Holy See", Short: "Vatican City"},
		{Alpha3: "ATA", Alpha2: "AQ", Numeric: "010", Name: "Antarctica", Short: "Antarctica"},
		{Alpha3: "BES", Alpha2: "BQ", Numeric: "535", Name: "Bonaire, Sint Eustatius and Saba", Short: "Caribbean Netherlands"},
		{Alpha3: "SXM", Alpha2: "SX", Numeric: "534", Name: "Sint Maarten (Dutch part)", Short: "Sint Maarten"},
		{Alpha3: "MAF", Alpha2: "MF", Numeric: "663", Name: "Saint Martin (French part)", Short: "Saint Martin"},
		{Alpha3: "ALA", Alpha2: "AX", Numeric: "248", Name: "Åland Islands", Short: "Åland Islands"},
		{Alpha3: "UMI", Alpha2: "UM", Numeric: "581", Name: "United States Minor Outlying Islands", Short: "U.S. Minor Outlying Islands"},
	}
	for _, want := range tests {
		t.Run(want.Alpha3, func(t *testing.T) {
			got, ok := LookupCountry(want.Alpha3)
			if !ok || got != want {
				t.Errorf("LookupCountry(%q) = %+v, %v; want %+v, true", want.Alpha3, got, ok, want)
			}
			got, ok = LookupAlpha2(want.Alpha2)
			if !ok || got != want {
				t.Errorf("LookupAlpha2(%q) = %+v, %v; want %+v, true", want.Alpha2, got, ok, want)
			}
			if got := CountryName(want.Alpha3); got != want.Short {
				t.Errorf("CountryName(%q) = %q, want %q", want.Alpha3, got, want.Short)
			}
		})
	}
}

func TestCountriesRoundTrip(t *testing.T) {
	for _, c := range Countries() {
		if got, ok := LookupCountry(c.Alpha3); !ok || got != c {
			t.Errorf("LookupCountry(%q) = %+v, %v; want %+v, true", c.Alpha3, got, ok, c)
		}
		if got, ok := LookupAlpha2(c.Alpha2); !ok || got != c {
			t.Errorf("LookupAlpha2(%q) = %+v, %v; want %+v, true", c.Alpha2, got, ok, c)
		}
	}
}

func TestLookupCountryMisses(t *testing.T) {
	tests := []struct {
		name   string
		lookup func(string) (Country, bool)
		code   string
	}{
		{"alpha3 lower case", LookupCountry, "fra"},
		{"alpha3 given alpha2", LookupCountry, "FR"},
		{"alpha3 empty", LookupCountry, ""},
		{"alpha3 unknown", LookupCountry, "ZZZ"},
		{"alpha3 padded", LookupCountry, " FRA"},
		{"alpha2 lower case", LookupAlpha2, "fr"},
		{"alpha2 given alpha3", LookupAlpha2, "FRA"},
		{"alpha2 empty", LookupAlpha2, ""},
		{"alpha2 unknown", LookupAlpha2, "ZZ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.lookup(tt.code)
			if want := (Country{}); ok || got != want {
				t.Errorf("lookup(%q) = %+v, %v; want %+v, false", tt.code, got, ok, want)
			}
		})
	}
}

func TestCountryName(t *testing.T) {
	tests := []struct {
		name, code, want string
	}{
		{"known", "GBR", "United Kingdom"},
		{"display differs from ISO", "RUS", "Russia"},
		{"user-assigned", "XKX", "Kosovo"},
		{"unknown falls back to code", "ZZZ", "ZZZ"},
		{"lower case falls back to code", "fra", "fra"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountryName(tt.code); got != tt.want {
				t.Errorf("CountryName(%q) = %q, want %q", tt.code, got, tt.want)
			}
		})
	}
}
