package clickhouse

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// NamedQuery is a query of the analytics catalog: a queries/<name>.sql file
// whose header says "-- Catalog: <title>", what it answers, and its
// parameters ("-- Param: <name> <String|DateTime> [default]").
type NamedQuery struct {
	Name    string  `json:"name"`
	Title   string  `json:"title"`
	Answers string  `json:"answers"`
	Params  []Param `json:"params"`
}

// Param is a parameter of a named query. Default is used when the caller
// gives none; "now" for a DateTime means the time of the call. A parameter
// without default is required.
type Param struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Default    string `json:"default,omitempty"`
	HasDefault bool   `json:"has_default"`
}

// Catalog returns the named queries, sorted by name.
func Catalog() ([]NamedQuery, error) {
	entries, err := sqlFS.ReadDir("queries")
	if err != nil {
		return nil, err
	}
	var out []NamedQuery
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		q, ok, err := parseHeader(name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, q)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LookupQuery returns the catalog entry of a named query.
func LookupQuery(name string) (NamedQuery, error) {
	cat, err := Catalog()
	if err != nil {
		return NamedQuery{}, err
	}
	for _, q := range cat {
		if q.Name == name {
			return q, nil
		}
	}
	names := make([]string, len(cat))
	for i, q := range cat {
		names[i] = q.Name
	}
	return NamedQuery{}, schema.Errorf(schema.ENOTFOUND, "no query named %q: the catalog has %s", name, strings.Join(names, ", "))
}

func parseHeader(name string) (NamedQuery, bool, error) {
	b, err := sqlFS.ReadFile("queries/" + name + ".sql")
	if err != nil {
		return NamedQuery{}, false, err
	}
	q := NamedQuery{Name: name}
	catalog, inAnswers := false, false
	var answers []string
	for _, line := range strings.Split(string(b), "\n") {
		text, ok := strings.CutPrefix(strings.TrimSpace(line), "--")
		if !ok {
			break
		}
		text = strings.TrimSpace(text)
		switch {
		case strings.HasPrefix(text, "Catalog:"):
			catalog = true
			q.Title = strings.TrimSpace(strings.TrimPrefix(text, "Catalog:"))
		case strings.HasPrefix(text, "Answers:"):
			inAnswers = true
			answers = append(answers, strings.TrimSpace(strings.TrimPrefix(text, "Answers:")))
		case strings.HasPrefix(text, "Param:"):
			inAnswers = false
			f := strings.Fields(strings.TrimPrefix(text, "Param:"))
			if len(f) < 2 || (f[1] != "String" && f[1] != "DateTime") {
				return q, false, fmt.Errorf("queries/%s.sql: bad parameter line %q: want -- Param: name String|DateTime [default]", name, line)
			}
			p := Param{Name: f[0], Type: f[1]}
			if len(f) > 2 {
				p.HasDefault, p.Default = true, strings.Trim(strings.Join(f[2:], " "), "'")
			}
			q.Params = append(q.Params, p)
		case inAnswers && text != "":
			answers = append(answers, text)
		default:
			inAnswers = false
		}
	}
	q.Answers = strings.Join(answers, " ")
	if q.Answers != "" {
		q.Answers = strings.ToUpper(q.Answers[:1]) + q.Answers[1:]
	}
	return q, catalog, nil
}

// BindParams converts the caller's parameter values (text, as from a
// command line or a URL) to typed values, applying defaults, and reports
// every unknown, missing or malformed parameter by name.
func (q NamedQuery) BindParams(given map[string]string, now time.Time) (map[string]any, error) {
	out := map[string]any{}
	var ps []schema.Problem
	known := map[string]bool{}
	for _, p := range q.Params {
		known[p.Name] = true
		v, ok := given[p.Name]
		if !ok {
			if !p.HasDefault {
				ps = append(ps, schema.Problem{Path: p.Name, Message: "required"})
				continue
			}
			v = p.Default
		}
		switch p.Type {
		case "String":
			if len(v) > 256 {
				ps = append(ps, schema.Problem{Path: p.Name, Message: "longer than 256 bytes"})
				continue
			}
			out[p.Name] = v
		case "DateTime":
			t, err := ParseMoment(v, now)
			if err != nil {
				ps = append(ps, schema.Problem{Path: p.Name, Message: err.Error()})
				continue
			}
			out[p.Name] = t
		}
	}
	for name := range given {
		if !known[name] {
			ps = append(ps, schema.Problem{Path: name, Message: fmt.Sprintf("unknown parameter of %s", q.Name)})
		}
	}
	if len(ps) > 0 {
		sort.Slice(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
		return nil, &schema.Error{Code: schema.EINVALID, Message: "invalid parameters", Problems: ps}
	}
	return out, nil
}

// ParseMoment reads a moment at which to ask what was known (--as-of,
// ?as_of=, a catalog query's as_of): "now" (or empty), an RFC 3339 time, a
// time without a zone (UTC), or a date. A date means the end of that day in
// UTC: 2015-11-27 is 2015-11-27T23:59:59Z, so that "what did we know on
// 2015-11-27?" includes everything reported that day (times are kept to
// the second). The result is truncated to the second.
func ParseMoment(s string, now time.Time) (time.Time, error) {
	return parseMoment(s, now, true)
}

// ParseSince reads the moment a feed or a tail starts from (--since,
// ?since=): as ParseMoment, except that a date means the start of that day
// in UTC (2015-11-27 is 2015-11-27T00:00:00Z), so that everything of that
// day is included.
func ParseSince(s string, now time.Time) (time.Time, error) {
	return parseMoment(s, now, false)
}

func parseMoment(s string, now time.Time, endOfDay bool) (time.Time, error) {
	if s == "" || s == "now" {
		return now.UTC().Truncate(time.Second), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if t.Year() < 1970 || t.Year() > 2105 {
			return time.Time{}, fmt.Errorf("%q is outside 1970..2105", s)
		}
		if layout == time.DateOnly && endOfDay {
			t = t.AddDate(0, 0, 1).Add(-time.Second)
			// Today's end is still to come: what is known today is what is
			// known now (deadlines later today have not passed).
			if now := now.UTC().Truncate(time.Second); t.After(now) && !t.AddDate(0, 0, -1).After(now) {
				t = now
			}
		}
		return t.UTC().Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want now, 2015-11-27 or 2015-11-27T12:00:00Z", s)
}

// Result is the answer of a named query. A NULL (in a Nullable column:
// no reference data, no delivery yet) is a nil value, never a zero.
type Result struct {
	Columns []string `json:"columns"`
	Types   []string `json:"types"`
	Rows    [][]any  `json:"rows"`
}

// CellText renders a value of a Result as text, for CSV and tables: times
// in RFC 3339, floats without needless digits and, between 1e-4 and 1e21,
// without an exponent (money reads 600000000, not 6e+08), arrays of
// strings sorted and separated by spaces, NULL as the empty string.
func CellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case float64:
		if a := math.Abs(x); a == 0 || (a >= 1e-4 && a < 1e21) {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []string:
		s := append([]string(nil), x...)
		sort.Strings(s)
		return strings.Join(s, " ")
	}
	return fmt.Sprint(v)
}

// RunNamed runs a catalog query with parameters already bound by
// BindParams. Values are quoted into the SQL by Bind, never pasted.
func (s *Store) RunNamed(ctx context.Context, name string, params map[string]any) (*Result, error) {
	if _, err := LookupQuery(name); err != nil {
		return nil, err
	}
	text, err := Query(name)
	if err != nil {
		return nil, err
	}
	text, err = Bind(text, params)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	res, err := s.RunSQL(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	return res, nil
}

// RunSQL runs SQL text as given and returns its rows. Never build the text
// from user input: bind values with Bind.
func (s *Store) RunSQL(ctx context.Context, text string) (*Result, error) {
	rows, err := s.conn.Query(ctx, text)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &Result{Columns: rows.Columns(), Rows: [][]any{}}
	types := rows.ColumnTypes()
	for _, t := range types {
		res.Types = append(res.Types, t.DatabaseTypeName())
	}
	for rows.Next() {
		dest := make([]any, len(types))
		for i, t := range types {
			dest[i] = newScanValue(t.ScanType())
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		row := make([]any, len(dest))
		for i := range dest {
			row[i] = derefScan(dest[i])
			if t, ok := row[i].(time.Time); ok {
				row[i] = t.UTC()
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

// Exec runs one statement that returns no rows.
func (s *Store) Exec(ctx context.Context, text string) error { return s.conn.Exec(ctx, text) }
