package producers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxGDELTLine is the longest line read; a longer one is malformed and
// skipped without being kept in memory. GDELT lines are a few hundred
// bytes; the source URL is the long field.
const maxGDELTLine = 64 << 10

// gdeltRow is one line of data: its line number and fields, or what made it
// unreadable (a wrong column count, broken CSV quoting).
type gdeltRow struct {
	line   int
	fields []string
	err    error
}

// gdeltRows reads the rows of one text stream in either form GDELT events
// come in: the official export (tab-separated, no header, 61 columns) or a
// CSV with a header row whose names include the 61 columns (such as the
// gdeltPyR sample, with CAMEOCodeDescription added). It never holds more
// than one line.
type gdeltRows struct {
	name  string
	src   *tailReader
	br    *bufio.Reader
	cr    *csv.Reader    // header form; nil for tab-separated input
	index map[string]int // column name to field index
	ncols int
	line  int
	// Header says which form the stream is in: "" for the official
	// export, else a description of the header found.
	header string
}

// tailReader counts the bytes read and remembers the last one, so that a
// stream that does not end with a line end can be told apart.
type tailReader struct {
	r    io.Reader
	n    int64
	last byte
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.n += int64(n)
		t.last = p[n-1]
	}
	return n, err
}

// endsWithoutNewline reports whether the stream, read to its end, had data
// and did not end with a line end: the mark of a file cut short.
func (t *tailReader) endsWithoutNewline() bool { return t.n > 0 && t.last != '\n' }

var errNotGDELT = errors.New("neither a GDELT 2.0 event export (tab-separated, no header, 61 columns) nor a CSV with a header row naming the GDELT columns (GLOBALEVENTID, SQLDATE, ...)")

// newGDELTRows detects the form of r from its first line.
func newGDELTRows(name string, r io.Reader) (*gdeltRows, error) {
	src := &tailReader{r: r}
	g := &gdeltRows{name: name, src: src, br: bufio.NewReaderSize(src, maxGDELTLine)}
	first, err := g.br.Peek(maxGDELTLine)
	if len(first) == 0 {
		if err != nil && err != io.EOF {
			return nil, err
		}
		return g, nil // empty: no rows
	}
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	first = bytes.TrimPrefix(bytes.TrimRight(first, "\r"), []byte("\xef\xbb\xbf"))
	g.index = map[string]int{}
	switch {
	case bytes.HasPrefix(first, []byte("GLOBALEVENTID")):
		// A header row. Comma-separated (the sample), or tab-separated.
		var names []string
		if bytes.IndexByte(first, '\t') >= 0 {
			line, _, _, err := g.readLine()
			if err != nil {
				return nil, err
			}
			names = strings.Split(line, "\t")
			g.header = "tab-separated, with a header row"
		} else {
			g.cr = csv.NewReader(g.br)
			g.cr.FieldsPerRecord = -1
			g.cr.ReuseRecord = true
			names, err = g.cr.Read()
			if err != nil {
				return nil, fmt.Errorf("header row: %w", err)
			}
			g.line = 1
			g.header = "comma-separated, with a header row"
		}
		names[0] = strings.TrimPrefix(names[0], "\ufeff")
		for i, n := range names {
			if _, dup := g.index[n]; dup {
				return nil, fmt.Errorf("header row: column %s appears twice", n)
			}
			g.index[n] = i
		}
		var missing []string
		for _, c := range GDELTColumns {
			if _, ok := g.index[c]; !ok {
				missing = append(missing, c)
			}
		}
		if n := len(missing); n > 0 {
			if n > 5 {
				missing = append(missing[:5], fmt.Sprintf("and %d more", n-5))
			}
			return nil, fmt.Errorf("header row lacks GDELT columns %s", strings.Join(missing, ", "))
		}
		g.ncols = len(names)
	case bytes.IndexByte(first, '\t') >= 0 && len(first) > 0 && first[0] >= '0' && first[0] <= '9':
		for i, c := range GDELTColumns {
			g.index[c] = i
		}
		g.ncols = len(GDELTColumns)
	default:
		return nil, errNotGDELT
	}
	return g, nil
}

// readLine returns the next line without its line end. A line longer than
// maxGDELTLine is consumed and returned as "" with tooLong set. cut says
// the line ended at the end of the stream without a line end.
func (g *gdeltRows) readLine() (line string, tooLong, cut bool, err error) {
	for {
		b, err := g.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			tooLong = true
			continue // discard the rest of the line
		}
		if err != nil && (err != io.EOF || len(b) == 0) {
			return "", false, false, err
		}
		g.line++
		cut = err == io.EOF
		if tooLong {
			return "", true, cut, nil
		}
		b = bytes.TrimRight(b, "\r\n")
		return string(b), false, cut, nil
	}
}

// next returns the next row, io.EOF after the last, or the error that
// stopped reading (a read error: the stream is cut short or corrupted).
// Blank lines are passed over.
func (g *gdeltRows) next() (gdeltRow, error) {
	if g.index == nil {
		return gdeltRow{}, io.EOF
	}
	if g.cr != nil {
		return g.nextCSV()
	}
	for {
		line, tooLong, cut, err := g.readLine()
		if err != nil {
			return gdeltRow{}, err
		}
		switch {
		case tooLong:
			return gdeltRow{line: g.line, err: fmt.Errorf("line longer than %d bytes", maxGDELTLine)}, nil
		case strings.TrimSpace(line) == "":
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != g.ncols {
			msg := fmt.Sprintf("%d columns, want %d", len(fields), g.ncols)
			if cut {
				msg += " (the last line has no line end: the file looks cut short)"
			}
			return gdeltRow{line: g.line, err: errors.New(msg)}, nil
		}
		return gdeltRow{line: g.line, fields: fields}, nil
	}
}

func (g *gdeltRows) nextCSV() (gdeltRow, error) {
	for {
		rec, err := g.cr.Read()
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			return gdeltRow{line: pe.StartLine, err: fmt.Errorf("CSV: %v", pe.Err)}, nil
		case err != nil:
			return gdeltRow{}, err
		}
		line, _ := g.cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != g.ncols {
			return gdeltRow{line: line, err: fmt.Errorf("%d columns, want %d", len(rec), g.ncols)}, nil
		}
		return gdeltRow{line: line, fields: rec}, nil
	}
}

// get returns the value of a column by name in a row's fields.
func (g *gdeltRows) get(fields []string) func(string) string {
	return func(col string) string { return fields[g.index[col]] }
}
