package producers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

var update = flag.Bool("update", false, "rewrite golden files (testdata/gdelt/*.golden.ndjson, docs/gdelt.md's tables)")

const gdeltDir = "../testdata/gdelt"

func gdeltFile(name string) string { return filepath.Join(gdeltDir, name) }

// recorder is a BatchPublisher that keeps what it is given, acks each event
// once and reports later copies as duplicates, as JetStream would within
// its window, and fails the ids in fail.
type recorder struct {
	events []schema.Event
	seen   map[string]bool
	fail   map[string]bool
}

var _ producers.BatchPublisher = (*recorder)(nil)

func (r *recorder) PublishBatch(_ context.Context, evs []*schema.Event) []producers.Result {
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	out := make([]producers.Result, len(evs))
	for i, ev := range evs {
		id := ev.ID.String()
		out[i].ID = id
		if r.fail[id] {
			out[i].Err = fmt.Errorf("publish event %s: nats: timeout", id)
			continue
		}
		out[i].Duplicate = r.seen[id]
		r.seen[id] = true
		r.events = append(r.events, *ev)
	}
	return out
}

// importFiles imports files with cfg (Coalition defaults to "gdelt") and
// returns the summary and the problem report.
func importFiles(tb testing.TB, cfg producers.GDELTConfig, files ...string) (producers.GDELTSummary, string) {
	tb.Helper()
	if cfg.Coalition == "" {
		cfg.Coalition = "gdelt"
	}
	var report strings.Builder
	cfg.Report = &report
	im, err := producers.NewGDELTImporter(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range files {
		if err := im.ImportFile(context.Background(), f); err != nil {
			tb.Fatal(err)
		}
	}
	sum := im.Summary()
	if got, want := sum.Mapped+sum.SkippedTotal(), sum.Read; got != want {
		tb.Errorf("mapped %d + skipped %d = %d, want read %d", sum.Mapped, sum.SkippedTotal(), got, want)
	}
	if cfg.Publisher != nil && sum.Published+sum.Failed != sum.Mapped {
		tb.Errorf("published %d + failed %d, want mapped %d", sum.Published, sum.Failed, sum.Mapped)
	}
	return sum, report.String()
}

type counts = map[string]int

// outcomes flattens a summary into "kind" and "reason" counts.
func outcomes(s producers.GDELTSummary) counts {
	out := counts{}
	for k, n := range s.ByKind {
		out[string(k)] = n
	}
	for r, n := range s.Skipped {
		out[string(r)] = n
	}
	return out
}

func checkCounts(tb testing.TB, what string, got, want counts) {
	tb.Helper()
	if !maps.Equal(got, want) {
		tb.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// TestGDELTSampleHandCheck imports the 1,000-row sample (the CSV with a
// header row) without publishing and checks the counts by kind and by
// reason against numbers obtained apart from the Go code:
//
//	python3 testdata/gdelt/handcheck.py testdata/gdelt/events-2017-07-01-sample.csv
//	python3 testdata/gdelt/handcheck.py testdata/gdelt/events-2017-07-01-sample.csv --countries GBR,DEU,FRA,ITA,USA,AFG
//
// handcheck.py applies docs/gdelt.md's table with Python's csv module and
// its own transcription of the rules. The sample has no 033x record whose
// actor is a state, hence no pledge.
func TestGDELTSampleHandCheck(t *testing.T) {
	t.Parallel()
	t.Run("AllCountries", func(t *testing.T) {
		sum, report := importFiles(t, producers.GDELTConfig{}, gdeltFile("events-2017-07-01-sample.csv"))
		checkCounts(t, "outcomes", outcomes(sum), counts{
			"meeting": 48, "statement": 66, "sanction": 5, "incident": 7,
			"unmapped_cameo": 82, "no_actor_country": 466, "not_a_state": 16, "no_counterpart_country": 244, "domestic": 66,
		})
		if sum.Read != 1000 || sum.Mapped != 126 || sum.Bad() != 0 || report != "" {
			t.Errorf("read %d, mapped %d, bad %d, report %q: want 1000, 126, 0, none", sum.Read, sum.Mapped, sum.Bad(), report)
		}
		// The sample's regional actors: NATO is WST ("the West"), never Samoa.
		checkCounts(t, "not_a_state codes", sum.SkippedBy[producers.SkipNotAState], counts{"EUR": 7, "AFR": 5, "WST": 2, "PGS": 1, "SEA": 1})
	})
	t.Run("Countries", func(t *testing.T) {
		sum, _ := importFiles(t, producers.GDELTConfig{Countries: []string{"GBR", "DEU", "FRA", "ITA", "USA", "AFG"}},
			gdeltFile("events-2017-07-01-sample.csv"))
		checkCounts(t, "outcomes", outcomes(sum), counts{
			"meeting": 19, "statement": 19, "incident": 3,
			"unmapped_cameo": 82, "no_actor_country": 466, "not_a_state": 14, "filtered_country": 279,
			"no_counterpart_country": 90, "domestic": 28,
		})
	})
}

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

// TestMapGDELT checks the mapping of single records: ids, times, source,
// provenance, and each kind's payload.
func TestMapGDELT(t *testing.T) {
	t.Parallel()
	base := producers.GDELTRecord{
		GlobalEventID: 669666590, SQLDate: day(2017, 7, 1), DateAdded: day(2017, 7, 1).Add(23*3600e9 + 45*60e9),
		Actor1Name: "AFGHANISTAN", Actor1CountryCode: "AFG", Actor2Name: "CHINA", Actor2CountryCode: "CHN",
		EventCode: "046", EventBaseCode: "046", EventRootCode: "04", Goldstein: 7, NumMentions: 3, NumSources: 1, NumArticles: 3,
		ActionGeoFullName: "Kabul, Kabol, Afghanistan", SourceURL: "https://www.dawn.com/news/1342694/its-chinas-turn",
	}
	with := func(f func(r *producers.GDELTRecord)) *producers.GDELTRecord {
		r := base
		f(&r)
		return &r
	}
	code := func(c string) func(r *producers.GDELTRecord) {
		return func(r *producers.GDELTRecord) { r.EventCode, r.EventBaseCode, r.EventRootCode = c, c[:3], c[:2] }
	}

	t.Run("Meeting", func(t *testing.T) {
		m := producers.MapGDELT(&base, "gdelt", nil)
		// The id: python3 -c 'import uuid; print(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL,
		// "https://coalition.dev/producers/gdelt"), "gdelt:gdelt:669666590"))'
		want := `{"id":"ffe37010-b72e-5b70-8edf-de363b56ab66","kind":"meeting","coalition":"gdelt","actor":"AFG","counterpart":"CHN",` +
			`"occurred_at":"2017-07-01T00:00:00Z","reported_at":"2017-07-01T23:45:00Z","source":"https://www.dawn.com/news/1342694/its-chinas-turn",` +
			`"summary":"AFGHANISTAN (AFG) → CHINA (CHN): Engage in negotiation (CAMEO 046)",` +
			`"meeting":{"location":"Kabul, Kabol, Afghanistan","topic":"Engage in negotiation"},` +
			`"gdelt":{"global_event_id":669666590,"event_code":"046","goldstein":7,"num_mentions":3,"num_sources":1,"num_articles":3,"avg_tone":0}}`
		if m.Skip != "" {
			t.Fatalf("skipped: %s %s", m.Skip, m.Detail)
		}
		got, _ := json.Marshal(&m.Event)
		if string(got) != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		other := producers.MapGDELT(&base, "another", nil)
		if other.Event.ID == m.Event.ID {
			t.Error("the same record imported into two coalitions has one id, want two")
		}
	})

	tests := []struct {
		name      string
		rec       *producers.GDELTRecord
		countries []string
		skip      producers.GDELTSkip
		detail    string
		check     func(t *testing.T, ev schema.Event)
	}{
		{name: "StatementSkeptical", rec: with(code("112")), check: func(t *testing.T, ev schema.Event) {
			if ev.Kind != schema.KindStatement || ev.Statement.Stance != schema.StanceSkeptical {
				t.Errorf("got %s %+v, want a statement, stance -1", ev.Kind, ev.Statement)
			}
		}},
		{name: "StatementLongestPrefix", rec: with(code("1131")), check: func(t *testing.T, ev schema.Event) {
			if ev.Statement == nil || ev.Statement.Stance != schema.StanceOpposed {
				t.Errorf("got %+v, want stance -2 (rule 113 over rule 11)", ev.Statement)
			}
		}},
		{name: "Pledge", rec: with(code("0332")), check: func(t *testing.T, ev schema.Event) {
			want := schema.Pledge{CommitmentID: "gdelt:AFG:CHN:military:2017-07-01", Category: schema.CategoryMilitary, Asset: "military_aid", Destination: "CHN"}
			if ev.Pledge == nil || *ev.Pledge != want {
				t.Errorf("got %+v, want %+v", ev.Pledge, want)
			}
		}},
		{name: "PledgeToRegion", rec: with(func(r *producers.GDELTRecord) { code("0333")(r); r.Actor2CountryCode = "AFR" }), check: func(t *testing.T, ev schema.Event) {
			if ev.Counterpart != "" || ev.Pledge.Destination != "" || ev.Pledge.CommitmentID != "gdelt:AFG:humanitarian:2017-07-01" {
				t.Errorf("got counterpart %q, %+v, want none and a commitment without recipient", ev.Counterpart, ev.Pledge)
			}
		}},
		{name: "Sanction", rec: with(code("1661")), check: func(t *testing.T, ev schema.Event) {
			if ev.Sanction == nil || ev.Sanction.Sector != "economic" || ev.Sanction.Measure != "Impose embargo, boycott, or sanctions" {
				t.Errorf("got %+v, want the 166 measure, sector economic", ev.Sanction)
			}
		}},
		{name: "IncidentWithinCoerce", rec: with(code("1712")), check: func(t *testing.T, ev schema.Event) {
			if ev.Incident == nil || ev.Incident.Type != "property_destruction" || ev.Incident.Severity != 2 {
				t.Errorf("got %s %+v, want an incident property_destruction, severity 2", ev.Kind, ev.Incident)
			}
		}},
		{name: "Incident", rec: with(code("195")), check: func(t *testing.T, ev schema.Event) {
			if ev.Incident == nil || ev.Incident.Type != "air_strike" || ev.Incident.Severity != 5 || ev.Incident.Description != "Employ aerial weapons" {
				t.Errorf("got %+v", ev.Incident)
			}
		}},
		{name: "AliasROM", rec: with(func(r *producers.GDELTRecord) { r.Actor1CountryCode = "ROM" }), check: func(t *testing.T, ev schema.Event) {
			if ev.Actor != "ROU" {
				t.Errorf("actor %q, want ROU", ev.Actor)
			}
		}},
		{name: "NoSourceURL", rec: with(func(r *producers.GDELTRecord) { r.SourceURL = "" }), check: func(t *testing.T, ev schema.Event) {
			if want := "http://data.gdeltproject.org/gdeltv2/20170701234500.export.CSV.zip"; ev.Source != want {
				t.Errorf("source %q, want %q", ev.Source, want)
			}
		}},
		{name: "SourceNotAURL", rec: with(func(r *producers.GDELTRecord) { r.SourceURL = "BBC Monitoring" }), check: func(t *testing.T, ev schema.Event) {
			if !strings.HasPrefix(ev.Source, "http://data.gdeltproject.org/gdeltv2/") {
				t.Errorf("source %q, want the export file's URL", ev.Source)
			}
		}},
		{name: "Unmapped", rec: with(code("0874")), skip: producers.SkipUnmappedCAMEO, detail: "0874"},
		{name: "UnmappedCarvedOut", rec: with(code("075")), skip: producers.SkipUnmappedCAMEO, detail: "075"},
		{name: "NoActor", rec: with(func(r *producers.GDELTRecord) { r.Actor1CountryCode = "" }), skip: producers.SkipNoActorCountry},
		{name: "ActorWest", rec: with(func(r *producers.GDELTRecord) { r.Actor1CountryCode = "WST" }), skip: producers.SkipNotAState, detail: "WST"},
		{name: "ActorUnknown", rec: with(func(r *producers.GDELTRecord) { r.Actor1CountryCode = "YUG" }), skip: producers.SkipUnknownCountry, detail: "YUG"},
		{name: "Filtered", rec: &base, countries: []string{"FRA", "DEU"}, skip: producers.SkipFilteredCountry, detail: "AFG"},
		{name: "FilterKeepsActor", rec: &base, countries: []string{"AFG"}},
		{name: "CounterpartNotInFilter", rec: &base, countries: []string{"CHN"}, skip: producers.SkipFilteredCountry, detail: "AFG"},
		{name: "NoCounterpart", rec: with(func(r *producers.GDELTRecord) { r.Actor2CountryCode = "" }), skip: producers.SkipNoCounterpartCountry},
		{name: "CounterpartRegion", rec: with(func(r *producers.GDELTRecord) { r.Actor2CountryCode = "EUR" }), skip: producers.SkipNotAState, detail: "EUR"},
		{name: "Domestic", rec: with(func(r *producers.GDELTRecord) { r.Actor2CountryCode = "AFG" }), skip: producers.SkipDomestic, detail: "AFG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			countries := map[string]bool{}
			for _, c := range tt.countries {
				countries[c] = true
			}
			m := producers.MapGDELT(tt.rec, "gdelt", countries)
			if m.Skip != tt.skip || m.Detail != tt.detail {
				t.Fatalf("skip %q (%q), want %q (%q)", m.Skip, m.Detail, tt.skip, tt.detail)
			}
			if m.Skip != "" {
				return
			}
			if err := m.Event.Validate(); err != nil {
				t.Errorf("invalid event: %v", err)
			}
			if tt.check != nil {
				tt.check(t, m.Event)
			}
		})
	}
}

// TestGDELTPublishFailures checks that events JetStream does not take are
// counted and reported with their file and line, and the rest published.
func TestGDELTPublishFailures(t *testing.T) {
	t.Parallel()
	fail := producers.GDELTEventID("gdelt", 669666608).String()
	rec := &recorder{fail: map[string]bool{fail: true}}
	path := gdeltFile("20170701234500.export.CSV")
	sum, report := importFiles(t, producers.GDELTConfig{Publisher: rec, BatchSize: 3}, path)
	if sum.Failed != 1 || sum.Published != 13 || sum.Duplicates != 0 {
		t.Errorf("failed %d, published %d, duplicates %d: want 1, 13, 0", sum.Failed, sum.Published, sum.Duplicates)
	}
	if want := path + ":2: event " + fail + " not published: publish event " + fail + ": nats: timeout\n"; report != want {
		t.Errorf("report %q, want %q", report, want)
	}
	// Importing again: every event is a duplicate but the one that failed.
	rec.fail = nil
	again, _ := importFiles(t, producers.GDELTConfig{Publisher: rec}, path)
	if again.Published != 14 || again.Duplicates != 13 {
		t.Errorf("second import: published %d, duplicates %d: want 14, 13", again.Published, again.Duplicates)
	}
}

// TestGDELTSummaryText checks the summary people read.
func TestGDELTSummaryText(t *testing.T) {
	t.Parallel()
	sum, _ := importFiles(t, producers.GDELTConfig{}, gdeltFile("20170701234500.export.CSV"))
	var b strings.Builder
	if err := sum.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `GDELT import into coalition gdelt: 1 file (dry run: nothing published)
read                  20  rows
mapped                14  meeting 2, statement 7, pledge 2, sanction 1, incident 2
skipped               6   
  unmapped_cameo      1   075 Grant asylum (1)
  no_actor_country    1   
  not_a_state         2   SEA (1), WST (1)
  unknown_country     1   XYZ (1)
  domestic            1   KEN (1)
counterpart left out  1   pledges with a region or unknown code as Actor2, kept without destination
mapped by CAMEO code: 051 Praise or endorse (2), 010 Make statement, not specified below (1), 0331 Express intent to provide economic aid (1), 0333 Express intent to provide humanitarian aid (1), 042 Make a visit (1), 046 Engage in negotiation (1), 057 Sign formal agreement (1), 070 Provide aid, not specified below (1), 071 Provide economic aid (1), 112 Accuse, not specified below (1), and 3 more
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestNewGDELTImporter(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  producers.GDELTConfig
		want string
	}{
		{"NoCoalition", producers.GDELTConfig{}, `coalition "": want a slug`},
		{"BadCoalition", producers.GDELTConfig{Coalition: "Paris 2015"}, `coalition "Paris 2015": want a slug`},
		{"BadCountry", producers.GDELTConfig{Coalition: "gdelt", Countries: []string{"FRA", "ROM"}}, `country "ROM": want an ISO 3166-1 alpha-3 code`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := producers.NewGDELTImporter(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || schema.ErrorCode(err) != schema.EINVALID {
				t.Errorf("got %v, want an invalid-input error with %q", err, tt.want)
			}
		})
	}
}

// TestGDELTImportTwiceJetStream imports the sample twice through a real
// (in-process) JetStream: the second import publishes nothing new, every
// event coming back as a duplicate, and the stream holds each event once.
func TestGDELTImportTwiceJetStream(t *testing.T) {
	t.Parallel()
	_, nc := testkit.NATS(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	pub, err := producers.NewPublisher(nc, producers.WithSource("/producers/gdelt"))
	if err != nil {
		t.Fatal(err)
	}
	sample := gdeltFile("events-2017-07-01-sample.csv")
	first, report := importFiles(t, producers.GDELTConfig{Publisher: pub}, sample)
	if first.Published != 126 || first.Duplicates != 0 || first.Failed != 0 || report != "" {
		t.Fatalf("first import: published %d, duplicates %d, failed %d, report %q: want 126, 0, 0, none",
			first.Published, first.Duplicates, first.Failed, report)
	}
	second, _ := importFiles(t, producers.GDELTConfig{Publisher: pub}, sample)
	if second.Published != 126 || second.Duplicates != 126 || second.Failed != 0 {
		t.Errorf("second import: published %d, duplicates %d, failed %d: want 126, all duplicates, 0",
			second.Published, second.Duplicates, second.Failed)
	}
	info, err := js.Stream(ctx, natsjs.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.CachedInfo().State.Msgs; got != 126 {
		t.Errorf("stream holds %d messages, want 126", got)
	}
}
