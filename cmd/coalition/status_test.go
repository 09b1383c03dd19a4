package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/schema"
)

// parisStatus returns the hand-worked status of the Paris scenario as known
// at its end (testdata/scenarios).
func parisStatus(tb testing.TB) []schema.CountryStatus {
	tb.Helper()
	b, err := os.ReadFile("../../testdata/scenarios/paris-2015.status.json")
	if err != nil {
		tb.Fatal(err)
	}
	var sts []schema.CountryStatus
	if err := json.Unmarshal(b, &sts); err != nil {
		tb.Fatal(err)
	}
	for i := range sts {
		sts[i].Finish()
	}
	return sts
}

// TestWriteStatusTable renders the Paris status as a table, as of noon on
// 27 November 2015: each line with its fulfilment, and the oldest open
// commitment's age then (Germany's Mali pledge of 25 November 11:00, two
// days and an hour: 2d; Russia's of 26 November 19:00: 17h).
func TestWriteStatusTable(t *testing.T) {
	var out bytes.Buffer
	asOf := time.Date(2015, 11, 27, 12, 0, 0, 0, time.UTC)
	if err := writeStatus(&out, "table", "paris-2015", asOf, parisStatus(t)); err != nil {
		t.Fatal(err)
	}
	want := `Coalition paris-2015: 7 countries

COUNTRY             LABEL       STANCE                  PLEDGED → DELIVERED (FULFILMENT)                                                       OPEN  OLDEST OPEN  MEETINGS  SANCTIONS BY/ON  INCIDENTS  ANOMALIES  LAST ACTIVITY
DEU Germany         pledged     +2 strongly_supportive  military 650 soldiers → 0 (0%)                                                         1/1   2d           2         0/0              0          0          2015-11-25
FRA France          delivering  +2 strongly_supportive  diplomatic (2 unquantified); military (1 unquantified); military 1 carrier → 1 (100%)  2/4   10d          6         0/0              0          1          2015-11-26
GBR United Kingdom  pledged     +2 strongly_supportive  basing 1 air_base → 0 (0%); military (1 unquantified)                                  2/2   4d           2         0/0              0          0          2015-11-26
ITA Italy           supportive  +1 supportive           -                                                                                      0/0   -            2         0/0              0          0          2015-11-26
RUS Russia          at_odds     +1 supportive           intelligence (1 unquantified)                                                          1/1   17h          1         2/0              1          0          2015-11-26
TUR Türkiye         at_odds     +0 neutral              -                                                                                      0/0   -            0         0/2              1          0          2015-11-25
USA United States   supportive  +1 supportive           -                                                                                      0/0   -            1         0/0              0          0          2015-11-24
`
	if got := out.String(); got != want {
		t.Errorf("table:\n%s\nwant\n%s", got, want)
	}
}

// TestWriteStatusCSVAndJSON checks that CSV and JSON carry the members a
// country is at odds with: codes separated by spaces in CSV, an array
// (empty, not null, for none) in JSON.
func TestWriteStatusCSVAndJSON(t *testing.T) {
	sts := parisStatus(t)
	var out bytes.Buffer
	if err := writeStatus(&out, "csv", "paris-2015", time.Now(), sts); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(records[0], "conflicts_with")
	if col < 0 {
		t.Fatalf("CSV header %v has no conflicts_with", records[0])
	}
	got := map[string]string{}
	for _, r := range records[1:] {
		got[r[1]] = r[col]
	}
	if got["RUS"] != "TUR" || got["TUR"] != "RUS" || got["DEU"] != "" {
		t.Errorf("CSV conflicts_with: %v", got)
	}
	out.Reset()
	if err := writeStatus(&out, "json", "paris-2015", time.Now(), sts); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Countries []map[string]any
	}
	if err := json.Unmarshal(out.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	for _, c := range body.Countries {
		want := map[string]string{"RUS": "[TUR]", "TUR": "[RUS]"}[c["country"].(string)]
		if want == "" {
			want = "[]"
		}
		if got := fmt.Sprint(c["conflicts_with"]); got != want {
			t.Errorf("JSON %s conflicts_with %s, want %s", c["country"], got, want)
		}
	}
}

func TestAge(t *testing.T) {
	const day = 24 * time.Hour
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "0h"}, {0, "0h"}, {59 * time.Minute, "0h"}, {17 * time.Hour, "17h"}, {2*day - time.Second, "47h"},
		{2 * day, "2d"}, {89*day + 23*time.Hour, "89d"}, {90 * day, "3mo"}, {729 * day, "24mo"},
		{730 * day, "2y"}, {3653 * day, "10y"},
	} {
		if got := age(tt.d); got != tt.want {
			t.Errorf("age(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
