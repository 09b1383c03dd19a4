package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

const importUsage = `coalition import: import events from an outside source.

Usage:
  coalition import gdelt [flags] FILE...   GDELT 2.0 event exports (docs/gdelt.md)
`

const importGDELTHelp = `Imports GDELT 2.0 event exports: the files GDELT publishes (YYYYMMDDHHMMSS.export.CSV.zip,
or the CSV inside it: tab-separated, no header, 61 columns) or a CSV with a header row naming
the GDELT columns. Each record becomes a Coalition event by the CAMEO table of docs/gdelt.md
(--mapping prints it) or is skipped with a reason. Files are streamed; "-" reads stdin.

Problems are reported on stderr with file and line, and skipped; the summary goes to stdout.
Importing a file again publishes nothing new: each event's id comes from its GLOBALEVENTID.

Exit code: 0 when every row was read and every mapped event published; 3 when rows were
malformed, mapped events broke the event contract, or a file could not be read to its end;
1 when events could not be published (NATS unavailable or refusing) or on interrupt.`

func runImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stdout, importUsage)
			return nil
		}
		return usageError{errors.New("import: name a source\n\n" + importUsage)}
	}
	switch args[0] {
	case "gdelt":
		return runImportGDELT(ctx, args[1:], stdin, stdout, stderr)
	}
	return usageError{fmt.Errorf("import: unknown source %q\n\n%s", args[0], importUsage)}
}

func runImportGDELT(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg commonConfig
	var coalition, countries, format string
	var dryRun, mapping bool
	var batch int
	f := newFlags("import gdelt", importGDELTHelp, stderr, nil)
	f.Usage = func() {
		fmt.Fprintf(stderr, "Usage: coalition import gdelt [flags] FILE...\n\n%s\n\nFlags:\n", importGDELTHelp)
		f.PrintDefaults()
	}
	cfg.registerBase(f)
	cfg.registerNATS(f)
	f.str(&coalition, "coalition", "COALITION", "gdelt", "coalition slug the events are imported into (part of each event's id)")
	f.str(&countries, "countries", "", "", "comma-separated ISO alpha-3 codes: import only events whose actor is one of them (the counterpart may be any state)")
	f.BoolVar(&dryRun, "dry-run", false, "map and count only: publish nothing (no NATS needed)")
	f.int(&batch, "batch", "", 1000, "events per publish batch")
	f.str(&format, "format", "", "text", "summary format: text or json")
	f.BoolVar(&mapping, "mapping", false, "print the CAMEO mapping and the country code tables, and exit")
	files, err := parseInterspersed(f, args)
	if err != nil {
		return err
	}
	if mapping {
		if err := producers.WriteCAMEOMapping(stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		return producers.WriteCAMEOCountries(stdout)
	}
	if format != "text" && format != "json" {
		return usageError{fmt.Errorf("--format %q: want text or json", format)}
	}
	if len(files) == 0 {
		return usageError{errors.New("import gdelt: name the files to import (\"-\" for stdin)")}
	}
	codes := splitList(strings.ToUpper(countries))
	for _, c := range codes {
		if _, ok := schema.LookupCountry(c); !ok {
			return usageError{fmt.Errorf("--countries: %q is not an ISO 3166-1 alpha-3 code", c)}
		}
	}
	if _, err := schema.SubjectFilter(coalition, "", ""); err != nil || coalition == "" {
		return usageError{fmt.Errorf("--coalition %q: want a slug of lower-case letters, digits and hyphens", coalition)}
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}

	bar := newProgressBar(stderr)
	icfg := producers.GDELTConfig{Coalition: coalition, Countries: codes, BatchSize: batch, Report: bar}
	if bar.on {
		icfg.Progress = bar.update
	}
	if !dryRun {
		nc, err := connectForClient(&cfg)
		if err != nil {
			return err
		}
		defer nc.Close()
		pub, err := producers.NewPublisher(nc, producers.WithSource("/producers/gdelt"), producers.WithLogger(log))
		if err != nil {
			return err
		}
		icfg.Publisher = pub
	}
	im, err := producers.NewGDELTImporter(icfg)
	if err != nil {
		return err
	}
	var runErr error
	for _, file := range files {
		if file == "-" {
			runErr = im.ImportReader(ctx, "stdin", stdin, 0)
		} else {
			runErr = im.ImportFile(ctx, file)
		}
		if runErr != nil {
			break
		}
	}
	bar.done()
	sum := im.Summary()
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else if err := sum.WriteText(stdout); err != nil {
		return err
	}
	switch {
	case runErr != nil:
		return fmt.Errorf("import interrupted: %w (the counts above are what was done)", runErr)
	case sum.Failed > 0:
		return fmt.Errorf("%d events could not be published", sum.Failed)
	case sum.Bad() > 0:
		var parts []string
		for _, c := range []struct {
			n          int
			one, other string
		}{
			{sum.Skipped[producers.SkipMalformed], "malformed row", "malformed rows"},
			{sum.Skipped[producers.SkipInvalid], "invalid event", "invalid events"},
			{sum.FileErrors, "file not read to the end", "files not read to the end"},
		} {
			switch {
			case c.n == 1:
				parts = append(parts, "1 "+c.one)
			case c.n > 1:
				parts = append(parts, fmt.Sprintf("%d %s", c.n, c.other))
			}
		}
		return schema.Errorf(schema.EINVALID, "%s (reported above)", strings.Join(parts, ", "))
	}
	return nil
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, and returns the positional ones. "--" ends the
// flags.
func parseInterspersed(f *flags, args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.parse(args); err != nil {
			return nil, err
		}
		rest := f.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && ttyFd(f.Fd())
}
