package clickhouse

import (
	"embed"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql queries/*.sql
var sqlFS embed.FS

// Query returns the text of a named query from queries/<name>.sql, without
// comment lines, with its fragments (__ANOMALIES__, __COMMITMENTS__,
// __DEDUP_EVENTS__ and __DEDUP_CORE__) expanded.
func Query(name string) (string, error) {
	return queryWith(name, nil)
}

// queryWith is Query with some fragments replaced by the given SQL, at
// every level of inclusion.
func queryWith(name string, over map[string]string) (string, error) {
	b, err := sqlFS.ReadFile("queries/" + name + ".sql")
	if err != nil {
		return "", fmt.Errorf("query %q: %w", name, err)
	}
	s := stripComments(string(b))
	for _, f := range []struct{ marker, file string }{
		{"__ANOMALIES__", "anomalies"},
		{"__COMMITMENTS__", "commitments"},
		{"__DEDUP_EVENTS__", "dedup_events"},
		{"__DEDUP_CORE__", "dedup_core"},
	} {
		if !strings.Contains(s, f.marker) {
			continue
		}
		frag, ok := over[f.marker]
		if !ok {
			if frag, err = queryWith(f.file, over); err != nil {
				return "", err
			}
		}
		s = strings.ReplaceAll(s, f.marker, "\n"+frag+"\n")
	}
	return s, nil
}

// Bind replaces each @name in a query with the SQL literal of params[name].
// Binding happens here rather than on the server because ClickHouse 18.16
// has no server-side query parameters; values are quoted, never spliced.
// An @name without a value is an error.
func Bind(query string, params map[string]any) (string, error) {
	var b strings.Builder
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c != '@' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(query) && (query[j] == '_' || isAlnum(query[j])) {
			j++
		}
		name := query[i+1 : j]
		if name == "" {
			b.WriteByte(c)
			continue
		}
		v, ok := params[name]
		if !ok {
			return "", fmt.Errorf("query parameter @%s has no value", name)
		}
		lit, err := literal(v)
		if err != nil {
			return "", fmt.Errorf("query parameter @%s: %w", name, err)
		}
		b.WriteString(lit)
		i = j - 1
	}
	return b.String(), nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// literal renders a Go value as a ClickHouse literal.
func literal(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return quote(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("not a finite number: %v", x)
		}
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case time.Time:
		return fmt.Sprintf("toDateTime(%s, 'UTC')", quote(x.UTC().Format("2006-01-02 15:04:05"))), nil
	}
	return "", fmt.Errorf("unsupported type %T", v)
}

// quote returns s as a single-quoted ClickHouse string literal.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// Migration is one numbered .sql file of DDL statements.
type Migration struct {
	Version    uint32
	Name       string
	Statements []string
}

// Migrations returns the embedded migrations in version order. Files are
// named NNNN_name.sql; statements are separated by semicolons at the end of
// a line. Every statement must be idempotent (IF NOT EXISTS), since two
// processes may start at once.
func Migrations() ([]Migration, error) {
	entries, err := sqlFS.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", e.Name())
		}
		b, err := sqlFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: uint32(v), Name: rest, Statements: SplitStatements(string(b))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// SplitStatements splits SQL text on semicolons that end a line, dropping
// comment lines and empty statements.
func SplitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(stripComments(sql), "\n") {
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func stripComments(sql string) string {
	var lines []string
	for _, line := range strings.Split(sql, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
