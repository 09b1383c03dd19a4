package scenarios_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/scenarios"
	"github.com/coalitiondev/coalition/schema"
)

// trackedCountries are the countries the Paris 2015 scenario must cover and
// whose expected status is kept in testdata.
var trackedCountries = []string{"DEU", "FRA", "GBR", "ITA", "RUS", "TUR", "USA"}

const statusFile = "../testdata/scenarios/paris-2015.status.json"

// window is the week the scenario covers: every occurred_at and reported_at
// must fall inside it.
var (
	windowStart = time.Date(2015, 11, 13, 0, 0, 0, 0, time.UTC)
	windowEnd   = time.Date(2015, 11, 28, 0, 0, 0, 0, time.UTC)
)

// loadEvents parses every non-blank line of the embedded scenario, failing the
// test (with line numbers) on any line that does not parse or validate.
func loadEvents(t *testing.T) []schema.Event {
	t.Helper()
	var events []schema.Event
	for i, line := range bytes.Split(scenarios.Paris2015, []byte("\n")) {
		n := i + 1
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		ev, err := schema.ParseEvent(line)
		if err != nil {
			t.Errorf("line %d: ParseEvent: %v", n, err)
			continue
		}
		if err := ev.Validate(); err != nil {
			t.Errorf("line %d: Validate: %v", n, err)
			continue
		}
		events = append(events, ev)
	}
	if t.Failed() {
		t.FailNow()
	}
	return events
}

func TestParis2015Events(t *testing.T) {
	events := loadEvents(t)
	if len(events) < 30 {
		t.Errorf("got %d events, want at least 30", len(events))
	}

	ids := map[string]int{}
	kinds := map[schema.Kind]int{}
	actors := map[string]int{}
	for i, ev := range events {
		n := i + 1 // events are one a line, no blank lines in between
		id := ev.ID.String()
		if prev, ok := ids[id]; ok {
			t.Errorf("event %d: id %s already used by event %d", n, id, prev)
		}
		ids[id] = n
		kinds[ev.Kind]++
		actors[ev.Actor]++

		if ev.Coalition != scenarios.Paris2015Coalition {
			t.Errorf("event %d (%s): coalition %q, want %q", n, id, ev.Coalition, scenarios.Paris2015Coalition)
		}
		if ev.ReportedAt.Before(ev.OccurredAt) {
			t.Errorf("event %d (%s): reported_at %s is before occurred_at %s", n, id, ev.ReportedAt.Format(time.RFC3339), ev.OccurredAt.Format(time.RFC3339))
		}
		for name, at := range map[string]time.Time{"occurred_at": ev.OccurredAt, "reported_at": ev.ReportedAt} {
			if at.Before(windowStart) || !at.Before(windowEnd) {
				t.Errorf("event %d (%s): %s %s is outside 2015-11-13..2015-11-27", n, id, name, at.Format(time.RFC3339))
			}
			if _, off := at.Zone(); off != 0 {
				t.Errorf("event %d (%s): %s %s is not in UTC", n, id, name, at.Format(time.RFC3339))
			}
		}
		if ev.Confidence == nil {
			t.Errorf("event %d (%s): confidence is missing", n, id)
		}
		if strings.TrimSpace(ev.Summary) == "" {
			t.Errorf("event %d (%s): summary is missing", n, id)
		}
	}
	for _, k := range schema.Kinds {
		if kinds[k] == 0 {
			t.Errorf("no %s event: every kind must be present", k)
		}
	}
	for _, c := range trackedCountries {
		if actors[c] == 0 {
			t.Errorf("no event with actor %s", c)
		}
	}
	t.Logf("%d events by kind: %v", len(events), kinds)
}

// TestParis2015Status checks schema.Fold against the status worked out by hand
// in testdata.
func TestParis2015Status(t *testing.T) {
	data, err := os.ReadFile(filepath.FromSlash(statusFile))
	if err != nil {
		t.Fatal(err)
	}
	checkAllFieldsPresent(t, data)

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var want []schema.CountryStatus
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("%s: %v", statusFile, err)
	}

	var wantCodes []string
	for _, w := range want {
		wantCodes = append(wantCodes, w.Country)
	}
	if !reflect.DeepEqual(wantCodes, trackedCountries) {
		t.Fatalf("%s lists countries %v, want exactly %v in that order", statusFile, wantCodes, trackedCountries)
	}

	got := map[string]schema.CountryStatus{}
	for _, s := range schema.Fold(scenarios.Paris2015Coalition, loadEvents(t)) {
		got[s.Country] = s
	}
	for _, w := range want {
		g, ok := got[w.Country]
		if !ok {
			t.Errorf("%s: missing from schema.Fold's result", w.Country)
			continue
		}
		compareStatus(t, g, w)
	}
}

// checkAllFieldsPresent fails if any object of the status file omits a field
// of schema.CountryStatus or schema.StatusLine.
func checkAllFieldsPresent(t *testing.T, data []byte) {
	t.Helper()
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", statusFile, err)
	}
	statusTags := jsonTags(reflect.TypeFor[schema.CountryStatus]())
	lineTags := jsonTags(reflect.TypeFor[schema.StatusLine]())
	for i, obj := range raw {
		for _, tag := range statusTags {
			if _, ok := obj[tag]; !ok {
				t.Errorf("%s: entry %d omits field %q", statusFile, i, tag)
			}
		}
		var lines []map[string]json.RawMessage
		if err := json.Unmarshal(obj["lines"], &lines); err != nil {
			t.Errorf("%s: entry %d: lines: %v", statusFile, i, err)
			continue
		}
		for j, l := range lines {
			for _, tag := range lineTags {
				if _, ok := l[tag]; !ok {
					t.Errorf("%s: entry %d, line %d omits field %q", statusFile, i, j, tag)
				}
			}
		}
	}
}

func jsonTags(typ reflect.Type) []string {
	var tags []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			tags = append(tags, name)
		}
	}
	return tags
}

const floatTolerance = 1e-9

// compareStatus reports every field of got that differs from want.
func compareStatus(t *testing.T, got, want schema.CountryStatus) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	typ := gv.Type()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "Lines" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if gt, ok := g.(time.Time); ok {
			if wt := w.(time.Time); !gt.Equal(wt) {
				t.Errorf("%s: %s: got %s, want %s", want.Country, name, gt.UTC().Format(time.RFC3339), wt.UTC().Format(time.RFC3339))
			}
			continue
		}
		if gs, ws := gv.Field(i), wv.Field(i); gs.Kind() == reflect.Slice && gs.Len() == 0 && ws.Len() == 0 {
			continue // nil and [] (as JSON gives it) say the same
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %s: got %v, want %v", want.Country, name, g, w)
		}
	}

	if len(got.Lines) != len(want.Lines) {
		t.Errorf("%s: lines: got %d, want %d\n got: %+v\nwant: %+v", want.Country, len(got.Lines), len(want.Lines), got.Lines, want.Lines)
		return
	}
	for i := range want.Lines {
		g, w := got.Lines[i], want.Lines[i]
		at := want.Country + ": lines[" + string(w.Category) + "/" + w.Unit + "]"
		if g.Category != w.Category || g.Unit != w.Unit {
			t.Errorf("%s: lines[%d]: got %s/%q, want %s/%q", want.Country, i, g.Category, g.Unit, w.Category, w.Unit)
			continue
		}
		if g.Commitments != w.Commitments {
			t.Errorf("%s.commitments: got %d, want %d", at, g.Commitments, w.Commitments)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"pledged", g.Pledged, w.Pledged},
			{"delivered", g.Delivered, w.Delivered},
			{"withdrawn", g.Withdrawn, w.Withdrawn},
		} {
			if math.Abs(c.got-c.want) > floatTolerance*math.Max(1, math.Abs(c.want)) {
				t.Errorf("%s.%s: got %g, want %g", at, c.name, c.got, c.want)
			}
		}
	}
}
