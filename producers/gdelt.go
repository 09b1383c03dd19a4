package producers

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// BatchPublisher publishes events and returns one Result per event, in
// order. *Publisher is one; the GDELT importer takes any.
type BatchPublisher interface {
	PublishBatch(ctx context.Context, evs []*schema.Event) []Result
}

var _ BatchPublisher = (*Publisher)(nil)

// GDELTConfig configures a GDELTImporter.
type GDELTConfig struct {
	// Coalition is the slug events are imported into. It is part of each
	// event's id (GDELTEventID).
	Coalition string
	// Countries, when not empty, are the ISO 3166-1 alpha-3 codes of the
	// actors whose events are imported. The counterpart may be any state.
	Countries []string
	// Publisher publishes the events; nil maps and counts only (a dry run).
	Publisher BatchPublisher
	// BatchSize is how many events are published at once (default 1000).
	BatchSize int
	// Report receives one line per problem, each naming the file and line:
	// malformed rows, events the contract rejects, publishes that failed,
	// files that are unreadable or cut short. nil discards them.
	Report io.Writer
	// MaxReported bounds the problem lines written (default 100); the rest
	// are counted in the summary only.
	MaxReported int
	// Progress, when set, is called as input is read: every few hundred
	// rows and at the end of each file.
	Progress func(GDELTProgress)
	// Now is the clock for the rule that nothing is reported in the future
	// (default time.Now).
	Now func() time.Time
}

// GDELTProgress is how far the importer has read.
type GDELTProgress struct {
	File        string // the file, or file.zip:entry
	Done, Total int64  // bytes of the file (uncompressed, for an entry) read, and in all (0 if unknown)
	Rows        int    // rows read so far, all files
}

// GDELTImporter reads GDELT 2.0 event exports, maps each record to a
// Coalition event (MapGDELT), checks it against the contract, and
// publishes the events in batches. Files are streamed: one line is held at
// a time, and one batch of events.
//
// A bad row never stops an import: it is reported with its file and line,
// counted, and skipped; so is a file that cannot be read, and a file cut
// short is read up to where it breaks. Publishing is idempotent: each
// event's id comes from its record (GDELTEventID), so importing a file
// again publishes duplicates that JetStream drops within its
// de-duplication window and that storage counts once regardless.
//
// An importer is not safe for concurrent use.
type GDELTImporter struct {
	cfg       GDELTConfig
	countries map[string]bool
	sum       GDELTSummary
	batch     []*schema.Event
	where     []string // file:line of each batched event
	reported  int
	rows      int
}

// NewGDELTImporter checks the configuration and returns an importer.
func NewGDELTImporter(cfg GDELTConfig) (*GDELTImporter, error) {
	if _, err := schema.SubjectFilter(cfg.Coalition, "", ""); err != nil || cfg.Coalition == "" {
		return nil, schema.Errorf(schema.EINVALID, "coalition %q: want a slug of lower-case letters, digits and hyphens", cfg.Coalition)
	}
	im := &GDELTImporter{cfg: cfg, countries: map[string]bool{}}
	for _, c := range cfg.Countries {
		if _, ok := schema.LookupCountry(c); !ok {
			return nil, schema.Errorf(schema.EINVALID, "country %q: want an ISO 3166-1 alpha-3 code such as FRA", c)
		}
		im.countries[c] = true
	}
	if im.cfg.BatchSize <= 0 {
		im.cfg.BatchSize = 1000
	}
	if im.cfg.MaxReported <= 0 {
		im.cfg.MaxReported = 100
	}
	if im.cfg.Now == nil {
		im.cfg.Now = time.Now
	}
	if im.cfg.Report == nil {
		im.cfg.Report = io.Discard
	}
	im.sum = newGDELTSummary(cfg.Coalition, cfg.Publisher == nil)
	return im, nil
}

// Summary returns the counts so far.
func (im *GDELTImporter) Summary() GDELTSummary { return im.sum.clone() }

// report writes one problem line, up to MaxReported of them.
func (im *GDELTImporter) report(format string, args ...any) {
	im.reported++
	switch {
	case im.reported < im.cfg.MaxReported:
		fmt.Fprintf(im.cfg.Report, format+"\n", args...)
	case im.reported == im.cfg.MaxReported:
		fmt.Fprintf(im.cfg.Report, format+"\n", args...)
		fmt.Fprintf(im.cfg.Report, "(%d problems reported; further ones are counted in the summary only)\n", im.cfg.MaxReported)
	}
}

// fileError counts and reports a file (or part of one) that could not be
// read to its end.
func (im *GDELTImporter) fileError(name string, format string, args ...any) {
	im.sum.FileErrors++
	im.report("%s: %s", name, fmt.Sprintf(format, args...))
}

// ImportFile imports one file: an export as GDELT publishes it (a .zip
// holding one *.export.CSV, or that CSV itself) or a CSV with a header
// row. Zip archives are recognised by their content, whatever the name.
// The events read are published before it returns. It returns an error
// only when ctx ends; problems with the file are reported and counted.
func (im *GDELTImporter) ImportFile(ctx context.Context, path string) error {
	im.sum.Files++
	f, err := os.Open(path)
	if err != nil {
		im.fileError(path, "cannot open: %v", errors.Unwrap(err))
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		im.fileError(path, "cannot stat: %v", err)
		return nil
	}
	if fi.IsDir() {
		im.fileError(path, "is a directory")
		return nil
	}
	magic := make([]byte, 4)
	n, _ := io.ReadFull(f, magic)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		im.fileError(path, "cannot read: %v", err)
		return nil
	}
	if n == 4 && (bytes.Equal(magic, []byte("PK\x03\x04")) || bytes.Equal(magic, []byte("PK\x05\x06"))) {
		return im.importZip(ctx, path, f, fi.Size())
	}
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		im.fileError(path, "named .zip but not a zip archive")
		return nil
	}
	return im.importStream(ctx, path, f, fi.Size())
}

// importZip imports every *.csv entry of a zip archive (GDELT's hold one).
func (im *GDELTImporter) importZip(ctx context.Context, path string, f *os.File, size int64) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		im.fileError(path, "not a readable zip archive (cut short or corrupted?): %v", err)
		return nil
	}
	var names []string
	found := false
	for _, e := range zr.File {
		names = append(names, e.Name)
		if !strings.EqualFold(filepath.Ext(e.Name), ".csv") || e.FileInfo().IsDir() {
			continue
		}
		found = true
		name := path + ":" + e.Name
		rc, err := e.Open()
		if err != nil {
			im.fileError(name, "cannot open in the archive: %v", err)
			continue
		}
		err = im.importStream(ctx, name, rc, int64(e.UncompressedSize64))
		rc.Close()
		if err != nil {
			return err
		}
	}
	if !found {
		im.fileError(path, "the archive holds no .CSV file (it holds %q)", names)
	}
	return nil
}

// ImportReader imports one text stream, in either form (see ImportFile),
// that is not compressed. name is used in reports; size, when known, in
// progress. Like ImportFile, it publishes what it read before returning,
// and returns an error only when ctx ends.
func (im *GDELTImporter) ImportReader(ctx context.Context, name string, r io.Reader, size int64) error {
	im.sum.Files++
	return im.importStream(ctx, name, r, size)
}

func (im *GDELTImporter) importStream(ctx context.Context, name string, r io.Reader, size int64) error {
	rows, err := newGDELTRows(name, r)
	if err != nil {
		im.fileError(name, "%v", err)
		return nil
	}
	progress := func() {
		if im.cfg.Progress != nil {
			im.cfg.Progress(GDELTProgress{File: name, Done: rows.src.n, Total: size, Rows: im.rows})
		}
	}
	lastLine, fileRows, stopped := 0, 0, false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := rows.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			im.fileError(name, "reading stopped after line %d: %v (the file is cut short or corrupted; the %d rows before were read)", lastLine, err, fileRows)
			stopped = true
			break
		}
		lastLine = row.line
		fileRows++
		im.rows++
		im.sum.Read++
		where := fmt.Sprintf("%s:%d", name, row.line)
		if err := im.importRow(ctx, where, rows, row); err != nil {
			return err
		}
		if im.rows%500 == 0 {
			progress()
		}
	}
	if !stopped && rows.src.endsWithoutNewline() {
		im.report("%s: warning: the file does not end with a line end, so it may be cut short; its last line (%d) was read as it is", name, lastLine)
	}
	progress()
	return im.flush(ctx)
}

// importRow parses, maps and checks one row, and batches its event.
func (im *GDELTImporter) importRow(ctx context.Context, where string, rows *gdeltRows, row gdeltRow) error {
	if row.err != nil {
		im.sum.skip(SkipMalformed, "")
		im.report("%s: malformed: %v", where, row.err)
		return nil
	}
	rec, err := parseGDELTRecord(rows.get(row.fields))
	if err != nil {
		im.sum.skip(SkipMalformed, "")
		im.report("%s: malformed: %v", where, err)
		return nil
	}
	m := MapGDELT(&rec, im.cfg.Coalition, im.countries)
	if m.Skip != "" {
		im.sum.skip(m.Skip, m.Detail)
		return nil
	}
	ev := m.Event
	err = ev.Validate()
	if err == nil {
		err = schema.CheckTimes(&ev, im.cfg.Now())
	}
	if err != nil {
		im.sum.skip(SkipInvalid, "")
		var ps []string
		for _, p := range schema.ErrorProblems(err) {
			ps = append(ps, p.String())
		}
		if len(ps) == 0 {
			ps = []string{err.Error()}
		}
		im.report("%s: GLOBALEVENTID %d: the %s it maps to is invalid: %s", where, rec.GlobalEventID, ev.Kind, strings.Join(ps, "; "))
		return nil
	}
	im.sum.mapped(&ev, m.CounterpartDropped)
	if im.cfg.Publisher == nil {
		return nil
	}
	im.batch = append(im.batch, &ev)
	im.where = append(im.where, where)
	if len(im.batch) >= im.cfg.BatchSize {
		return im.flush(ctx)
	}
	return nil
}

// flush publishes the batched events and counts the outcomes.
func (im *GDELTImporter) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return ctx.Err()
	}
	results := im.cfg.Publisher.PublishBatch(ctx, im.batch)
	for i, res := range results {
		switch {
		case res.Err != nil:
			im.sum.Failed++
			im.report("%s: event %s not published: %v", im.where[i], res.ID, res.Err)
		case res.Duplicate:
			im.sum.Published++
			im.sum.Duplicates++
		default:
			im.sum.Published++
		}
	}
	im.batch, im.where = im.batch[:0], im.where[:0]
	return ctx.Err()
}
