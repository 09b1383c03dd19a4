package producers_test

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"path/filepath"
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
