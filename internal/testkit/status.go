package testkit

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/coalitiondev/coalition/schema"
)

// CompareStatus fails the test for every country and field where got and
// want differ. See StatusDiffs.
func CompareStatus(tb testing.TB, got, want []schema.CountryStatus) {
	tb.Helper()
	for _, d := range StatusDiffs(got, want) {
		tb.Error(d)
	}
}

// StatusDiffs returns the differences between got and want, country by
// country and field by field: every field of schema.CountryStatus (times
// to the instant, ConflictsWith element by element) and of each of its
// lines. Quantities (a line's Pledged, Delivered, Withdrawn and
// Fulfilment) are compared with a relative tolerance of 1e-9, since sums
// may be added up in another order; everything else exactly.
func StatusDiffs(got, want []schema.CountryStatus) []string {
	if len(got) != len(want) {
		return []string{fmt.Sprintf("got countries %v, want %v", countries(got), countries(want))}
	}
	var diffs []string
	for i := range want {
		g, w := got[i], want[i]
		gl, wl := g.Lines, w.Lines
		g.Lines, w.Lines = nil, nil
		if !reflect.DeepEqual(g, w) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			diffs = append(diffs, fmt.Sprintf("%s:\n got %s\nwant %s", w.Country, gj, wj))
		}
		if len(gl) != len(wl) {
			diffs = append(diffs, fmt.Sprintf("%s: got lines %+v, want %+v", w.Country, gl, wl))
			continue
		}
		for j := range wl {
			if !SameLine(gl[j], wl[j]) {
				diffs = append(diffs, fmt.Sprintf("%s line %d: got %+v, want %+v", w.Country, j, gl[j], wl[j]))
			}
		}
	}
	return diffs
}

// SameLine reports whether two status lines are equal in every field,
// quantities within the tolerance of Near.
func SameLine(a, b schema.StatusLine) bool {
	return a.Category == b.Category && a.Unit == b.Unit && a.Commitments == b.Commitments && a.Open == b.Open &&
		Near(a.Pledged, b.Pledged) && Near(a.Delivered, b.Delivered) && Near(a.Withdrawn, b.Withdrawn) &&
		Near(a.Fulfilment, b.Fulfilment)
}

// Near reports whether two quantities are equal within a relative
// tolerance of 1e-9.
func Near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func countries(sts []schema.CountryStatus) []string {
	out := make([]string, len(sts))
	for i, s := range sts {
		out[i] = s.Country
	}
	return out
}
