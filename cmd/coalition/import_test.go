package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/clickhouse"
	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

const (
	gdeltSample   = "../../testdata/gdelt/events-2017-07-01-sample.csv"
	gdeltOfficial = "../../testdata/gdelt/20170701234500.export.CSV"
)

// runCmd runs the command line and returns its exit code and output.
func runCmd(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// importSummary runs `coalition import gdelt --format json` and decodes
// the summary.
func importSummary(tb testing.TB, wantCode int, args ...string) producers.GDELTSummary {
	tb.Helper()
	code, out, errOut := runCmd("", append([]string{"import", "gdelt", "--format", "json", "--log-level", "warn"}, args...)...)
	if code != wantCode {
		tb.Fatalf("import exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, out, errOut)
	}
	var sum producers.GDELTSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		tb.Fatalf("summary: %v\n%s", err, out)
	}
	return sum
}

// capture is a BatchPublisher that only keeps the events.
type capture struct{ events []schema.Event }

func (c *capture) PublishBatch(_ context.Context, evs []*schema.Event) []producers.Result {
	out := make([]producers.Result, len(evs))
	for i, ev := range evs {
		c.events = append(c.events, *ev)
		out[i].ID = ev.ID.String()
	}
	return out
}

// mappedEvents returns the events the importer makes of a file.
func mappedEvents(tb testing.TB, coalition, file string) []schema.Event {
	tb.Helper()
	var c capture
	im, err := producers.NewGDELTImporter(producers.GDELTConfig{Coalition: coalition, Publisher: &c})
	if err != nil {
		tb.Fatal(err)
	}
	if err := im.ImportFile(context.Background(), file); err != nil {
		tb.Fatal(err)
	}
	return c.events
}

// storedRows counts the rows of a coalition in the events table: every
// delivery written, before ReplacingMergeTree merges copies away.
func storedRows(tb testing.TB, store *clickhouse.Store, coalition string) uint64 {
	tb.Helper()
	q, err := clickhouse.Bind("SELECT count() FROM events WHERE coalition = @c", map[string]any{"c": coalition})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := store.RunSQL(context.Background(), q)
	if err != nil {
		tb.Fatal(err)
	}
	return res.Rows[0][0].(uint64)
}

// TestImportGDELTTwice imports the 1,000-row sample through the real
// pipeline (in-process NATS JetStream, the consumer, a private ClickHouse)
// and then again: the second import publishes nothing new (JetStream
// reports every event a duplicate), and the stored count and the status
// do not change. Then the same events are published once more under other
// message ids, as if JetStream's de-duplication window had passed: the
// consumer stores a second copy of each, and still the count and the
// status do not change, since storage reads one row per event id.
func TestImportGDELTTwice(t *testing.T) {
	t.Parallel()
	app := MustOpenApp(t)
	ctx := context.Background()
	const coalition = "gdelt-sample"
	args := []string{"--coalition", coalition, "--nats-url", app.NATSURL, gdeltSample}

	first := importSummary(t, 0, args...)
	if first.Mapped != 126 || first.Published != 126 || first.Duplicates != 0 || first.Failed != 0 {
		t.Fatalf("first import: mapped %d, published %d, duplicates %d, failed %d: want 126, 126, 0, 0",
			first.Mapped, first.Published, first.Duplicates, first.Failed)
	}
	if err := app.WaitConsumed(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	count := func() uint64 {
		n, err := app.Store.CountEvents(ctx, coalition)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	status := func() []schema.CountryStatus {
		sts, err := app.Store.CountryStatus(ctx, coalition)
		if err != nil {
			t.Fatal(err)
		}
		return sts
	}
	if n := count(); n != 126 {
		t.Fatalf("stored %d events, want 126", n)
	}
	before := status()
	// ClickHouse's status equals the reference fold of the mapped events.
	evs := mappedEvents(t, coalition, gdeltSample)
	testkit.CompareStatus(t, before, schema.Fold(coalition, evs))

	second := importSummary(t, 0, args...)
	if second.Published != 126 || second.Duplicates != 126 || second.Failed != 0 {
		t.Errorf("second import: published %d, duplicates %d, failed %d: want 126, 126 (all), 0",
			second.Published, second.Duplicates, second.Failed)
	}
	if err := app.WaitConsumed(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 126 {
		t.Errorf("after the second import: stored %d events, want 126", n)
	}
	if rows := storedRows(t, app.Store, coalition); rows != 126 {
		t.Errorf("after the second import: %d rows, want 126 (JetStream dropped the duplicates)", rows)
	}
	testkit.CompareStatus(t, status(), before)

	t.Run("AfterTheWindow", func(t *testing.T) {
		js, err := jetstream.New(app.NC)
		if err != nil {
			t.Fatal(err)
		}
		for i := range evs {
			m, err := schema.Encode(&evs[i], "/producers/gdelt")
			if err != nil {
				t.Fatal(err)
			}
			msg := nats.NewMsg(m.Subject)
			msg.Data = m.Data
			for k, v := range m.Header {
				msg.Header.Set(k, v)
			}
			msg.Header.Set(schema.HeaderMsgID, m.Header[schema.HeaderMsgID]+"/replayed")
			ack, err := js.PublishMsg(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			if ack.Duplicate {
				t.Fatalf("event %s: a duplicate, want a new message", evs[i].ID)
			}
		}
		if err := app.WaitConsumed(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		// The stream took all 252 messages, and the consumer has acked
		// them all: each was written to ClickHouse (whose background merges
		// may already have folded some identical rows together).
		info, err := js.Stream(ctx, natsjs.EventStream)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.CachedInfo().State.Msgs; got != 252 {
			t.Errorf("stream holds %d messages, want 252", got)
		}
		if n := count(); n != 126 {
			t.Errorf("stored %d distinct events, want 126", n)
		}
		testkit.CompareStatus(t, status(), before)
	})
}

// TestImportGDELTCommand checks the command line: exit codes, where
// problems and the summary go, stdin, and flags after the files.
func TestImportGDELTCommand(t *testing.T) {
	t.Parallel()
	official, err := os.ReadFile(gdeltOfficial)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStderr bool
	}{
		{name: "DryRun", args: []string{"--dry-run", gdeltOfficial + ".zip"}, code: 0,
			stdout:   []string{"GDELT import into coalition gdelt: 1 file (dry run: nothing published)", "mapped                14  meeting 2, statement 7, pledge 2, sanction 1, incident 2"},
			noStderr: true},
		{name: "FlagsAfterFiles", args: []string{gdeltOfficial, "--dry-run", "--countries", "afg,chn", "--coalition", "afghanistan"}, code: 0,
			stdout: []string{"coalition afghanistan", "filtered_country    12", "mapped              3   meeting 1, statement 2"}},
		{name: "Stdin", stdin: string(official), args: []string{"--dry-run", "-"}, code: 0,
			stdout: []string{"read                  20  rows"}},
		{name: "Malformed", args: []string{"--dry-run", "../../testdata/gdelt/malformed.export.CSV"}, code: 3,
			stdout: []string{"malformed           11", "invalid             2"},
			stderr: []string{"malformed.export.CSV:6: malformed: EventCode", "coalition: 11 malformed rows, 2 invalid events (reported above)"}},
		{name: "TruncatedZip", args: []string{"--dry-run", "../../testdata/gdelt/truncated.export.CSV.zip", gdeltOfficial}, code: 3,
			stdout: []string{"2 files, 1 not read to the end", "read                  20  rows"},
			stderr: []string{"truncated.export.CSV.zip: not a readable zip archive", "coalition: 1 file not read to the end (reported above)"}},
		{name: "NoNATS", args: []string{"--nats-url=", "--data-dir", t.TempDir(), gdeltOfficial}, code: 1,
			stderr: []string{"no NATS to publish to"}},
		{name: "NoFiles", args: []string{"--dry-run"}, code: 2, stderr: []string{"name the files to import"}},
		{name: "BadCountry", args: []string{"--dry-run", "--countries", "FRA,XXX", gdeltOfficial}, code: 2, stderr: []string{`"XXX" is not an ISO 3166-1 alpha-3 code`}},
		{name: "BadCoalition", args: []string{"--dry-run", "--coalition", "Paris 2015", gdeltOfficial}, code: 2, stderr: []string{`--coalition "Paris 2015"`}},
		{name: "Mapping", args: []string{"--mapping"}, code: 0,
			stdout: []string{"| `0331` | Express intent to provide economic aid | pledge | category financial, asset economic_aid |", "| `WST` | the West"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCmd(tt.stdin, append([]string{"import", "gdelt"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			// Compared with runs of spaces as one: the columns' width
			// depends on the labels shown.
			norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
			for _, want := range tt.stdout {
				if !strings.Contains(norm(out), norm(want)) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if tt.noStderr && errOut != "" {
				t.Errorf("stderr: %q, want nothing", errOut)
			}
		})
	}
	t.Run("UnknownSource", func(t *testing.T) {
		t.Parallel()
		if code, _, errOut := runCmd("", "import", "acled", "x.csv"); code != 2 || !strings.Contains(errOut, `unknown source "acled"`) {
			t.Errorf("exit %d, stderr %q: want 2 and the unknown source named", code, errOut)
		}
	})
}

func TestRenderProgress(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		p    producers.GDELTProgress
		want string
	}{
		{producers.GDELTProgress{File: "/data/20170701234500.export.CSV", Done: 45, Total: 100, Rows: 1234}, "20170701234500.export.CSV [====>     ]  45%  1234 rows"},
		{producers.GDELTProgress{File: "x.csv", Done: 100, Total: 100, Rows: 9}, "x.csv [==========] 100%  9 rows"},
		{producers.GDELTProgress{File: "stdin", Done: 3 << 20, Rows: 9}, "stdin  3.0 MiB read  9 rows"},
	} {
		if got := renderProgress(tt.p, 10); got != tt.want {
			t.Errorf("renderProgress(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
	// Not a terminal: no bar, report lines pass through untouched.
	var b bytes.Buffer
	bar := newProgressBar(&b)
	bar.update(producers.GDELTProgress{File: "x", Done: 1, Total: 2})
	bar.Write([]byte("x.csv:3: malformed\n"))
	bar.done()
	if bar.on || b.String() != "x.csv:3: malformed\n" {
		t.Errorf("off a terminal: on = %v, wrote %q", bar.on, b.String())
	}
}
