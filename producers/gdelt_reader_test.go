package producers_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// TestGDELTForms checks that the three forms of one export give the same
// events: the official tab-separated file, the same in a .zip, and the
// 1,000-row sample turned into the official form (which must match the
// sample read as a CSV with a header row, event for event).
func TestGDELTForms(t *testing.T) {
	t.Parallel()
	t.Run("OfficialAndZip", func(t *testing.T) {
		var plain, zipped recorder
		sumPlain, report := importFiles(t, producers.GDELTConfig{Publisher: &plain}, gdeltFile("20170701234500.export.CSV"))
		sumZip, _ := importFiles(t, producers.GDELTConfig{Publisher: &zipped}, gdeltFile("20170701234500.export.CSV.zip"))
		// Counted row by row from the comments in make_testdata.py.
		checkCounts(t, "outcomes", outcomes(sumPlain), counts{
			"meeting": 2, "statement": 7, "pledge": 2, "sanction": 1, "incident": 2,
			"unmapped_cameo": 1, "no_actor_country": 1, "not_a_state": 2, "unknown_country": 1, "domestic": 1,
		})
		if sumPlain.Read != 20 || sumPlain.CounterpartDropped != 1 || report != "" {
			t.Errorf("read %d, counterpart dropped %d, report %q: want 20, 1, none", sumPlain.Read, sumPlain.CounterpartDropped, report)
		}
		checkCounts(t, "zip outcomes", outcomes(sumZip), outcomes(sumPlain))
		if !slices.EqualFunc(plain.events, zipped.events, eventsEqual) {
			t.Error("the zip's events differ from the plain file's")
		}
		checkGoldenEvents(t, gdeltFile("20170701234500.golden.ndjson"), plain.events)
	})
	t.Run("SampleAsOfficial", func(t *testing.T) {
		tsv := filepath.Join(t.TempDir(), "20170701234500.export.CSV")
		toOfficialForm(t, gdeltFile("events-2017-07-01-sample.csv"), tsv)
		var fromCSV, fromTSV recorder
		sumCSV, _ := importFiles(t, producers.GDELTConfig{Publisher: &fromCSV}, gdeltFile("events-2017-07-01-sample.csv"))
		sumTSV, _ := importFiles(t, producers.GDELTConfig{Publisher: &fromTSV}, tsv)
		checkCounts(t, "outcomes", outcomes(sumTSV), outcomes(sumCSV))
		if len(fromCSV.events) != 126 || !slices.EqualFunc(fromCSV.events, fromTSV.events, eventsEqual) {
			t.Errorf("%d events from the CSV, %d from the official form: want the same 126", len(fromCSV.events), len(fromTSV.events))
		}
	})
}

func eventsEqual(a, b schema.Event) bool {
	ja, _ := json.Marshal(&a)
	jb, _ := json.Marshal(&b)
	return bytes.Equal(ja, jb)
}

// toOfficialForm rewrites a header-row CSV as GDELT publishes it: the 61
// columns, tab-separated, no header.
func toOfficialForm(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Close()
	r := csv.NewReader(in)
	header, err := r.Read()
	if err != nil {
		tb.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[h] = i
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		fields := make([]string, len(producers.GDELTColumns))
		for i, c := range producers.GDELTColumns {
			fields[i] = rec[idx[c]]
		}
		fmt.Fprintln(out, strings.Join(fields, "\t"))
	}
}

// checkGoldenEvents compares events, one JSON document a line, with a
// golden file (rewritten with -update; review the diff).
func checkGoldenEvents(tb testing.TB, path string, evs []schema.Event) {
	tb.Helper()
	var b bytes.Buffer
	for i := range evs {
		j, err := json.Marshal(&evs[i])
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		tb.Errorf("events differ from %s (-update rewrites it):\n got %s\nwant %s", path, b.Bytes(), want)
	}
	// Every event is valid as a consumer reads it.
	for _, line := range bytes.Split(bytes.TrimSpace(want), []byte("\n")) {
		if _, err := schema.ParseEvent(line); err != nil {
			tb.Errorf("%s: %s: %v", path, line, err)
		}
	}
}

// TestGDELTMalformed imports a file with a bad row of every sort between
// two good ones, and a last line cut mid-row: each bad row is reported
// with file and line and skipped, both good rows are imported.
func TestGDELTMalformed(t *testing.T) {
	t.Parallel()
	var rec recorder
	path := gdeltFile("malformed.export.CSV")
	sum, report := importFiles(t, producers.GDELTConfig{Publisher: &rec}, path)
	checkCounts(t, "outcomes", outcomes(sum), counts{"meeting": 2, "malformed": 11, "invalid": 2})
	if sum.Read != 15 || sum.Published != 2 || sum.Bad() != 13 {
		t.Errorf("read %d, published %d, bad %d: want 15 (the blank line is passed over), 2, 13", sum.Read, sum.Published, sum.Bad())
	}
	for _, want := range []string{
		path + ":2: malformed: 60 columns, want 61",
		path + `:3: malformed: GLOBALEVENTID: "66966x593" is not an event id`,
		path + `:4: malformed: SQLDATE: "20170231" is not a date YYYYMMDD`,
		path + `:5: malformed: DATEADDED: "2017070123450" is not a time YYYYMMDDHHMMSS`,
		path + `:6: malformed: EventCode: "4a6" is not a CAMEO event code`,
		path + `:7: malformed: EventRootCode: "05" does not begin EventCode "036"`,
		path + `:8: malformed: Actor1CountryCode: "Afg" is not a CAMEO country code`,
		path + `:9: malformed: GoldsteinScale: "high" is not a number from -10 to 10`,
		path + `:10: malformed: NumMentions: "-3" is not a count`,
		path + `:11: malformed: AvgTone: "NaN" is not a number from -100 to 100`,
		path + ":13: GLOBALEVENTID 669666605: the meeting it maps to is invalid: occurred_at: must be between 1970 and 2105, got 1969-07-20T00:00:00Z",
		path + ":14: GLOBALEVENTID 669666606: the meeting it maps to is invalid: reported_at: 2099-01-01T00:00:00Z is more than 24 hours after now",
		path + ":16: malformed: 45 columns, want 61 (the last line has no line end: the file looks cut short)",
		path + ": warning: the file does not end with a line end, so it may be cut short; its last line (16) was read as it is",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if got := strings.Count(report, "\n"); got != 14 {
		t.Errorf("report has %d lines, want 14:\n%s", got, report)
	}
	var ids []uint64
	for _, ev := range rec.events {
		ids = append(ids, ev.GDELT.GlobalEventID)
	}
	if want := []uint64{669666591, 669666717}; !slices.Equal(ids, want) {
		t.Errorf("published records %v, want %v (the good rows on either side of the bad ones)", ids, want)
	}
}

// TestGDELTBrokenFiles checks the report for files that cannot be read to
// their end; the import goes on with the next file.
func TestGDELTBrokenFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, err := os.ReadFile(gdeltFile("20170701234500.export.CSV.zip"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile(gdeltFile("20170701234500.export.CSV"))
	if err != nil {
		t.Fatal(err)
	}
	// The deflated data starts after the 30-byte local header and the
	// entry's name; garble a stretch in its middle.
	corrupt := bytes.Clone(good)
	for i := 400; i < 600; i++ {
		corrupt[i] ^= 0x5a
	}
	longLine := append(bytes.Repeat([]byte("9"), 70<<10), '\n')
	sample, err := os.ReadFile(gdeltFile("events-2017-07-01-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(sample, []byte("\n"))
	badQuote := slices.Concat(lines[0], lines[1], bytes.Replace(lines[2], []byte("NEIGHBORHOOD"), []byte(`NEIGH"BORHOOD`), 1), lines[3])

	tests := []struct {
		name   string
		path   string
		want   string
		read   int // rows read before it broke
		errors int
		lines  int // report lines
	}{
		{"TruncatedZip", gdeltFile("truncated.export.CSV.zip"), "not a readable zip archive (cut short or corrupted?): zip: not a valid zip file", 0, 1, 1},
		{"CorruptZip", write("corrupt.zip", corrupt), "corrupt.zip:20170701234500.export.CSV: reading stopped after line 2: flate: corrupt input", 2, 1, 1},
		{"Missing", filepath.Join(dir, "nope.export.CSV"), "cannot open: no such file or directory", 0, 1, 1},
		{"NotAZip", write("fake.export.CSV.zip", plain), "named .zip but not a zip archive", 0, 1, 1},
		{"ZipWithoutCSV", write("empty.zip", zipOf(t, "readme.txt", []byte("hello"))), `the archive holds no .CSV file (it holds ["readme.txt"])`, 0, 1, 1},
		{"NotGDELT", write("notes.txt", []byte("dear diary\n")), "neither a GDELT 2.0 event export", 0, 1, 1},
		{"HeaderWithoutColumns", write("h.csv", []byte("GLOBALEVENTID,SQLDATE\n1,20170701\n")), "header row lacks GDELT columns MonthYear, Year, FractionDate, Actor1Code, Actor1Name, and 54 more\n", 0, 1, 1},
		{"LongLine", write("long.export.CSV", append(bytes.Clone(plain), longLine...)), "long.export.CSV:21: malformed: line longer than 65536 bytes", 21, 0, 1},
		{"Empty", write("empty.export.CSV", nil), "", 0, 0, 0},
		{"CSVBadQuote", write("quote.csv", badQuote), `quote.csv:3: malformed: CSV: bare " in non-quoted-field`, 3, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sum, report := importFiles(t, producers.GDELTConfig{}, tt.path, gdeltFile("20170701234500.export.CSV"))
			if !strings.Contains(report, tt.want) {
				t.Errorf("report lacks %q:\n%s", tt.want, report)
			}
			if sum.FileErrors != tt.errors {
				t.Errorf("file errors = %d, want %d", sum.FileErrors, tt.errors)
			}
			// The good file after the broken one is read in full.
			read := sum.Read - 20
			if read != tt.read {
				t.Errorf("rows read from the broken file = %d, want %d", read, tt.read)
			}
			if got := strings.Count(report, "\n"); got != tt.lines {
				t.Errorf("report has %d lines, want %d:\n%s", got, tt.lines, report)
			}
		})
	}
}
