package reference

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/coalitiondev/coalition/schema"
)

// The World Bank indicators the readers accept in a World Development
// Indicators download.
const (
	IndicatorGDP = "NY.GDP.MKTP.CD" // GDP (current US$)
	IndicatorFX  = "PA.NUS.FCRF"    // Official exchange rate (LCU per US$, period average)
)

// GDP is a country's gross domestic product in one year, in current US
// dollars.
type GDP struct {
	Country string // ISO 3166-1 alpha-3, or a World Bank aggregate such as EMU
	Year    int
	USD     float64
}

// Rate is the average exchange rate of a currency in one year: how many
// units of Currency one US dollar bought.
type Rate struct {
	Currency string // ISO 4217
	Year     int
	PerUSD   float64
}

// Layout is the layout a file was read in.
type Layout string

// The layouts the readers accept (see the package documentation).
const (
	LayoutWDI    Layout = "wdi"    // a World Development Indicators download: one column per year
	LayoutLong   Layout = "long"   // Country Name,Country Code,Year,Value
	LayoutSimple Layout = "simple" // country,year,gdp_usd or currency,year,per_usd
)

// Summary says what a read found in a file.
type Summary struct {
	Layout Layout `json:"layout"`
	Rows   int    `json:"rows"`   // data rows read
	Values int    `json:"values"` // figures kept
	Empty  int    `json:"empty"`  // cells without a figure: empty or ".."
	// Skipped counts the rows of an exchange rate file whose country issues
	// no currency of Currencies (the euro area's members, among others).
	Skipped int `json:"skipped"`
}

// maxProblems bounds the problems one read reports.
const maxProblems = 20

var codeRE = regexp.MustCompile(`^[A-Z]{3}$`)

// kind is what a reader reads: GDP or exchange rates.
type kind struct {
	what      string    // "GDP" or "exchange rate", for messages
	indicator string    // the World Bank indicator code
	simple    [3]string // the header of the simple layout
	example   string    // a code of the simple layout's first column
	// code turns the country code of a World Bank row into the key of a
	// figure; ok false skips the row.
	code func(country string) (key string, ok bool)
}

var (
	gdpKind = kind{
		what: "GDP", indicator: IndicatorGDP, simple: [3]string{"country", "year", "gdp_usd"}, example: "DEU",
		code: func(c string) (string, bool) { return c, true },
	}
	fxKind = kind{
		what: "exchange rate", indicator: IndicatorFX, simple: [3]string{"currency", "year", "per_usd"}, example: "EUR",
		code: func(c string) (string, bool) { cur, ok := Currencies[c]; return cur, ok },
	}
)

// figure is one value read, keyed by country or currency and year.
type figure struct {
	key   string
	year  int
	value float64
}

// ReadGDP reads GDP in current US dollars from a World Bank NY.GDP.MKTP.CD
// download (the World Development Indicators layout or the long one) or a
// "country,year,gdp_usd" file. name is the file's name in error messages.
// Empty cells are no figure; every figure must be a positive number.
func ReadGDP(name string, r io.Reader) ([]GDP, Summary, error) {
	fs, sum, err := read(name, r, gdpKind)
	if err != nil {
		return nil, sum, err
	}
	out := make([]GDP, len(fs))
	for i, f := range fs {
		out[i] = GDP{Country: f.key, Year: f.year, USD: f.value}
	}
	return out, sum, nil
}

// ReadFX reads exchange rates (units of a currency per US dollar, the
// year's average) from a World Bank PA.NUS.FCRF download, whose rows are
// countries (see Currencies for how a country's row gives a currency's
// rate), or from a "currency,year,per_usd" file. name is the file's name in
// error messages.
func ReadFX(name string, r io.Reader) ([]Rate, Summary, error) {
	fs, sum, err := read(name, r, fxKind)
	if err != nil {
		return nil, sum, err
	}
	out := make([]Rate, len(fs))
	for i, f := range fs {
		out[i] = Rate{Currency: f.key, Year: f.year, PerUSD: f.value}
	}
	return out, sum, nil
}

// reader holds the state of one read.
type reader struct {
	name     string
	k        kind
	problems []schema.Problem
	seen     map[[2]string]int // key and year: the line first given on
	out      []figure
	sum      Summary
}

func (rd *reader) problem(line int, field, format string, args ...any) {
	p := schema.Problem{Line: line, Message: fmt.Sprintf(format, args...)}
	if field != "" {
		p.Path = fmt.Sprintf("field %q", field)
	}
	rd.problems = append(rd.problems, p)
}

func (rd *reader) err() error {
	if len(rd.problems) == 0 {
		return nil
	}
	ps := rd.problems
	if len(ps) > maxProblems {
		ps = append(ps[:maxProblems:maxProblems], schema.Problem{Message: fmt.Sprintf("and %d more problems", len(rd.problems)-maxProblems)})
	}
	return &schema.Error{Code: schema.EINVALID, Message: fmt.Sprintf("%s file %s", rd.k.what, rd.name), Problems: ps}
}

// add keeps one figure, read from the cell of field on line.
func (rd *reader) add(line int, field, key string, year int, cell string) {
	cell = strings.TrimSpace(cell)
	if cell == "" || cell == ".." {
		rd.sum.Empty++
		return
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		rd.problem(line, field, "%q is not a number", cell)
		return
	}
	if v <= 0 {
		rd.problem(line, field, "%s must be positive, got %s", rd.k.what, cell)
		return
	}
	id := [2]string{key, strconv.Itoa(year)}
	if first, ok := rd.seen[id]; ok {
		rd.problem(line, field, "%s %d is given twice (first on line %d)", key, year, first)
		return
	}
	rd.seen[id] = line
	rd.out = append(rd.out, figure{key: key, year: year, value: v})
	rd.sum.Values++
}

// parseYear reads a year of 1900..2105.
func parseYear(s string) (int, bool) {
	s = strings.TrimSpace(s)
	y, err := strconv.Atoi(s)
	if err != nil || len(s) != 4 || y < 1900 || y > 2105 {
		return 0, false
	}
	return y, true
}

func read(name string, r io.Reader, k kind) ([]figure, Summary, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, Summary{}, fmt.Errorf("read %s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // the World Bank's files start with a BOM
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	rd := &reader{name: name, k: k, seen: map[[2]string]int{}}
	var header []string
	var layout Layout
	headerLine := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rd.problem(pe.Line, "", "not CSV: %v", pe.Err)
			break
		}
		if err != nil {
			return nil, rd.sum, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if header == nil {
			layout = headerLayout(rec, k)
			if layout == "" {
				// The preamble of a World Development Indicators download
				// ("Data Source", "Last Updated Date") comes before the
				// header; anything else is not a file this reads.
				if line > 8 || (rec[0] != "Data Source" && rec[0] != "Last Updated Date") {
					rd.problem(line, "", "want a header row: %q (a World Bank download), \"Country Name,Country Code,Year,Value\" or %q",
						"Country Name,Country Code,Indicator Name,Indicator Code,1960,...", strings.Join(k.simple[:], ","))
					break
				}
				continue
			}
			header, headerLine = rec, line
			rd.sum.Layout = layout
			if layout == LayoutWDI {
				rd.checkYearColumns(header, headerLine)
			}
			continue
		}
		rd.sum.Rows++
		rd.row(layout, header, rec, cr)
		if len(rd.problems) > maxProblems {
			break
		}
	}
	if header == nil && len(rd.problems) == 0 {
		rd.problem(0, "", "no header row: the file is empty")
	}
	if err := rd.err(); err != nil {
		return nil, rd.sum, err
	}
	return rd.out, rd.sum, nil
}

// headerLayout recognises a header row, or returns "".
func headerLayout(rec []string, k kind) Layout {
	switch {
	case len(rec) >= 4 && rec[0] == "Country Name" && rec[1] == "Country Code" && rec[2] == "Indicator Name" && rec[3] == "Indicator Code":
		return LayoutWDI
	case len(rec) >= 4 && rec[0] == "Country Name" && rec[1] == "Country Code" && rec[2] == "Year" && rec[3] == "Value":
		return LayoutLong
	case len(rec) >= 3 && strings.EqualFold(rec[0], k.simple[0]) && strings.EqualFold(rec[1], k.simple[1]) && strings.EqualFold(rec[2], k.simple[2]):
		return LayoutSimple
	}
	return ""
}

// checkYearColumns checks that every column of a World Development
// Indicators header after the fourth is a year (or the empty column of the
// trailing comma).
func (rd *reader) checkYearColumns(header []string, line int) {
	for _, h := range header[4:] {
		if _, ok := parseYear(h); !ok && h != "" {
			rd.problem(line, h, "not a year: a World Development Indicators header has a column per year after \"Indicator Code\"")
		}
	}
}

// row reads one data row.
func (rd *reader) row(layout Layout, header, rec []string, cr *csv.Reader) {
	line, _ := cr.FieldPos(0)
	if len(rec) == 1 && rec[0] == "" {
		return
	}
	want := len(header)
	if layout == LayoutWDI && len(rec) < want && header[want-1] == "" {
		want-- // a row without the trailing comma
	}
	if len(rec) < want || (layout != LayoutWDI && len(rec) > len(header)) {
		rd.problem(line, "", "%d fields, the header has %d", len(rec), len(header))
		return
	}
	switch layout {
	case LayoutWDI, LayoutLong:
		code := rec[1]
		if !codeRE.MatchString(code) {
			rd.problem(line, "Country Code", "want a three-letter World Bank code such as DEU or EMU, got %q", code)
			return
		}
		key, ok := rd.k.code(code)
		if !ok {
			rd.sum.Skipped++
			return
		}
		if layout == LayoutLong {
			year, ok := parseYear(rec[2])
			if !ok {
				rd.problem(line, "Year", "want a year such as 2015, got %q", rec[2])
				return
			}
			rd.add(line, "Value", key, year, rec[3])
			return
		}
		if rec[3] != rd.k.indicator {
			rd.problem(line, "Indicator Code", "%s is not the indicator of %s (want %s)", rec[3], rd.k.what, rd.k.indicator)
			return
		}
		for i := 4; i < len(header) && i < len(rec); i++ {
			year, ok := parseYear(header[i])
			if !ok {
				continue // reported with the header
			}
			l, _ := cr.FieldPos(i)
			rd.add(l, header[i], key, year, rec[i])
		}
	case LayoutSimple:
		key := rec[0]
		if !codeRE.MatchString(key) {
			rd.problem(line, header[0], "want a three-letter code such as %s, got %q", rd.k.example, key)
			return
		}
		year, ok := parseYear(rec[1])
		if !ok {
			rd.problem(line, header[1], "want a year such as 2015, got %q", rec[1])
			return
		}
		rd.add(line, header[2], key, year, rec[2])
	}
}
