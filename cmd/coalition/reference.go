package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/coalitiondev/coalition/reference"
)

const referenceUsage = `coalition reference: the reference data that puts money in proportion.

Usage:
  coalition reference load gdp [flags] FILE...   GDP in current US$ (World Bank NY.GDP.MKTP.CD)
  coalition reference load fx [flags] FILE...    exchange rates, units per US$ (World Bank PA.NUS.FCRF)
`

const referenceLoadHelp = `Loads reference data into ClickHouse (reference_gdp, reference_fx), for the money_ranking
query and view: money commitments in US dollars at their pledge year's rate, and as a share
of GDP. A figure replaces any loaded before for the same country (or currency) and year.

FILE is one of the World Bank's CSV downloads, as it comes (unzipped):
  API_NY.GDP.MKTP.CD_DS2_en_csv_v2_*.csv   gdp: the World Development Indicators layout, a
                                           preamble, then a column per year
  API_PA.NUS.FCRF_DS2_en_csv_v2_*.csv      fx: the same layout, exchange rates by country
or the long layout "Country Name,Country Code,Year,Value", or for figures from elsewhere
"country,year,gdp_usd" (gdp) or "currency,year,per_usd" (fx). "-" reads stdin.

The World Bank reports exchange rates by country: a currency's rate is read from the row of
its issuer, EUR from the Euro area aggregate (EMU), GBP from GBR, USD from USA, and so on
(--currencies lists them); other rows, such as the euro area's members, are skipped. US
dollars need no rate. Empty cells and ".." are no figure.

Every problem is reported with the file, the line and the field, and nothing of a file with
problems is loaded. Exit code: 0 when every file was loaded; 3 when a file has problems;
1 when ClickHouse is unavailable.`

func runReference(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stdout, referenceUsage)
			return nil
		}
		return usageError{errors.New("reference: name a subcommand\n\n" + referenceUsage)}
	}
	if args[0] != "load" {
		return usageError{fmt.Errorf("reference: unknown subcommand %q\n\n%s", args[0], referenceUsage)}
	}
	return runReferenceLoad(ctx, args[1:], stdin, stdout, stderr)
}

// referenceLoaded is what one file gave, for the summary.
type referenceLoaded struct {
	File  string `json:"file"`
	Kind  string `json:"kind"`
	Table string `json:"table"`
	reference.Summary
	Keys    int  `json:"keys"` // countries or currencies
	MinYear int  `json:"min_year,omitempty"`
	MaxYear int  `json:"max_year,omitempty"`
	Stored  bool `json:"stored"`
}

func runReferenceLoad(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "gdp" && args[0] != "fx") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintf(stdout, "Usage: coalition reference load gdp|fx [flags] FILE...\n\n%s\n", referenceLoadHelp)
			return nil
		}
		return usageError{errors.New("reference load: say gdp or fx\n\n" + referenceUsage)}
	}
	kind := args[0]
	var cfg commonConfig
	var format string
	var dryRun, currencies bool
	f := newFlags("reference load "+kind, referenceLoadHelp, stderr, nil)
	f.Usage = func() {
		fmt.Fprintf(stderr, "Usage: coalition reference load %s [flags] FILE...\n\n%s\n\nFlags:\n", kind, referenceLoadHelp)
		f.PrintDefaults()
	}
	cfg.registerBase(f)
	cfg.registerClickHouse(f)
	f.str(&format, "format", "", "text", "summary format: text or json")
	f.BoolVar(&dryRun, "dry-run", false, "read and check the files only: store nothing (no ClickHouse needed)")
	f.BoolVar(&currencies, "currencies", false, "list the currencies an fx download gives, with the World Bank row each is read from, and exit")
	files, err := parseInterspersed(f, args[1:])
	if err != nil {
		return err
	}
	if currencies {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CURRENCY\tWORLD BANK ROW")
		for _, line := range reference.CurrencyIssuers() {
			fmt.Fprintln(tw, strings.Replace(line, " ", "\t", 1))
		}
		return tw.Flush()
	}
	if format != "text" && format != "json" {
		return usageError{fmt.Errorf("--format %q: want text or json", format)}
	}
	if len(files) == 0 {
		return usageError{fmt.Errorf("reference load %s: name the files to load (\"-\" for stdin)", kind)}
	}
	// Read and check every file before storing anything.
	type parsed struct {
		loaded referenceLoaded
		gdp    []reference.GDP
		rates  []reference.Rate
	}
	var all []parsed
	for _, file := range files {
		var r io.Reader = stdin
		name := "stdin"
		if file != "-" {
			fh, err := os.Open(file)
			if err != nil {
				return err
			}
			defer fh.Close()
			r, name = fh, file
		}
		p := parsed{loaded: referenceLoaded{File: name, Kind: kind}}
		years := map[int]bool{}
		keys := map[string]bool{}
		if kind == "gdp" {
			p.loaded.Table = "reference_gdp"
			p.gdp, p.loaded.Summary, err = reference.ReadGDP(name, r)
			for _, g := range p.gdp {
				years[g.Year], keys[g.Country] = true, true
			}
		} else {
			p.loaded.Table = "reference_fx"
			p.rates, p.loaded.Summary, err = reference.ReadFX(name, r)
			for _, x := range p.rates {
				years[x.Year], keys[x.Currency] = true, true
			}
		}
		if err != nil {
			return err
		}
		p.loaded.Keys = len(keys)
		for y := range years {
			if p.loaded.MinYear == 0 || y < p.loaded.MinYear {
				p.loaded.MinYear = y
			}
			p.loaded.MaxYear = max(p.loaded.MaxYear, y)
		}
		all = append(all, p)
	}
	if !dryRun {
		log, err := cfg.logger(stderr)
		if err != nil {
			return err
		}
		store, closeFn, err := openStore(ctx, &cfg, log) // openStore migrates
		if err != nil {
			return err
		}
		defer closeFn()
		for i := range all {
			p := &all[i]
			source := filepath.Base(p.loaded.File)
			if kind == "gdp" {
				err = store.InsertGDP(ctx, p.gdp, source)
			} else {
				err = store.InsertFX(ctx, p.rates, source)
			}
			if err != nil {
				return fmt.Errorf("load %s: %w", p.loaded.File, err)
			}
			p.loaded.Stored = true
		}
	}
	var out []referenceLoaded
	for _, p := range all {
		out = append(out, p.loaded)
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, l := range out {
		what := map[string][2]string{"gdp": {"GDP figure", "GDP figures"}, "fx": {"exchange rate", "exchange rates"}}[kind]
		keys := map[string][2]string{"gdp": {"country", "countries"}, "fx": {"currency", "currencies"}}[kind]
		years := fmt.Sprint(l.MinYear)
		if l.MaxYear != l.MinYear {
			years += fmt.Sprintf("-%d", l.MaxYear)
		}
		fmt.Fprintf(stdout, "%s: %s", l.File, plural(l.Values, what[0], what[1]))
		if l.Values > 0 {
			fmt.Fprintf(stdout, " (%s, %s)", plural(l.Keys, keys[0], keys[1]), years)
		}
		fmt.Fprintf(stdout, " from %s (%s layout); %s", plural(l.Rows, "row", "rows"), l.Layout, plural(l.Empty, "empty cell", "empty cells"))
		if l.Skipped > 0 {
			fmt.Fprintf(stdout, "; %s skipped, of countries that issue none of the currencies of --currencies", plural(l.Skipped, "row", "rows"))
		}
		if l.Stored {
			fmt.Fprintf(stdout, "; stored in %s\n", l.Table)
		} else {
			fmt.Fprintln(stdout, "; not stored (--dry-run)")
		}
	}
	return nil
}

// plural says "1 row" or "2 rows".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
