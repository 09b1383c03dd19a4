package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/schema"
)

// paramFlags collects repeated --param k=v flags.
type paramFlags map[string]string

func (p paramFlags) String() string { return "" }

func (p paramFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	p[k] = v
	return nil
}

func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg commonConfig
	var list bool
	var format, coalition, asOf string
	params := paramFlags{}
	f := newFlags("query", `Runs a named query of the analytics catalog: coalition query NAME [flags].
"coalition query --list" lists the catalog. Parameters are bound, never pasted into SQL.`, stderr, nil)
	cfg.registerBase(f)
	cfg.registerClickHouse(f)
	f.BoolVar(&list, "list", false, "list the catalog's queries and their parameters")
	f.Var(params, "param", "a query parameter, name=value (repeatable)")
	f.str(&format, "format", "", "table", "output format: table, csv or json")
	f.str(&coalition, "coalition", "COALITION", "", "coalition slug (default: the only one stored); same as --param coalition=...")
	f.str(&asOf, "as-of", "", "", "what was known at this moment: now, 2015-11-27T12:00:00Z, or a date such as 2015-11-27 for the end of that day (UTC), its reports included; same as --param as_of=...")
	// Accept NAME before or after the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := f.parse(args); err != nil {
		return err
	}
	if name == "" && f.NArg() > 0 {
		name = f.Arg(0)
	}
	if format != "table" && format != "json" && format != "csv" {
		return usageError{fmt.Errorf("--format %q: want table, csv or json", format)}
	}
	if list {
		cat, err := clickhouse.Catalog()
		if err != nil {
			return err
		}
		return writeCatalog(stdout, format, cat)
	}
	if name == "" {
		return usageError{fmt.Errorf("name a query, or use --list")}
	}
	q, err := clickhouse.LookupQuery(name)
	if err != nil {
		return err
	}
	if coalition != "" {
		params["coalition"] = coalition
	}
	if asOf != "" {
		params["as_of"] = asOf
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	store, closeFn, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer closeFn()
	if _, ok := params["coalition"]; !ok {
		c, err := onlyCoalition(ctx, store)
		if err != nil {
			return err
		}
		params["coalition"] = c
	}
	bound, err := q.BindParams(params, time.Now())
	if err != nil {
		return err
	}
	res, err := store.RunNamed(ctx, name, bound)
	if err != nil {
		return err
	}
	return writeResult(stdout, format, res)
}

// onlyCoalition returns the only coalition stored, or an error saying to
// choose one.
func onlyCoalition(ctx context.Context, store *clickhouse.Store) (string, error) {
	cs, err := store.Coalitions(ctx)
	if err != nil {
		return "", err
	}
	switch len(cs) {
	case 0:
		return "", schema.Errorf(schema.ENOTFOUND, "no events stored yet")
	case 1:
		return cs[0], nil
	}
	return "", usageError{fmt.Errorf("several coalitions are stored, choose one with --coalition: %s", strings.Join(cs, ", "))}
}

func writeCatalog(w io.Writer, format string, cat []clickhouse.NamedQuery) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cat)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPARAMETERS\tANSWERS")
	for _, q := range cat {
		var ps []string
		for _, p := range q.Params {
			s := p.Name
			if p.HasDefault {
				d := p.Default
				if d == "" {
					d = "''"
				}
				s += "=" + d
			}
			ps = append(ps, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", q.Name, strings.Join(ps, " "), q.Title)
	}
	return tw.Flush()
}

// writeResult renders a query result as a table, CSV or JSON (an array of
// objects, one per row). NULL is NULL in a table, an empty field in CSV
// and null in JSON.
func writeResult(w io.Writer, format string, res *clickhouse.Result) error {
	switch format {
	case "json":
		rows := make([]map[string]any, 0, len(res.Rows))
		for _, r := range res.Rows {
			m := make(map[string]any, len(r))
			for i, c := range res.Columns {
				m[c] = jsonValue(r[i])
			}
			rows = append(rows, m)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(res.Columns)
		for _, r := range res.Rows {
			rec := make([]string, len(r))
			for i, v := range r {
				rec[i] = cell(v)
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(res.Columns, "\t")))
	for _, r := range res.Rows {
		rec := make([]string, len(r))
		for i, v := range r {
			rec[i] = cell(v)
			if v == nil {
				rec[i] = "NULL" // an empty cell would read as an empty string
			}
		}
		fmt.Fprintln(tw, strings.Join(rec, "\t"))
	}
	return tw.Flush()
}

func jsonValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(time.RFC3339)
	}
	return v
}

// cell formats a value for a table or CSV, as the HTTP API's CSV does
// (clickhouse.CellText).
func cell(v any) string { return clickhouse.CellText(v) }
