package testkit

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/coalitiondev/coalition/schema"
)

// CompareStatus fails the test for every country and field where got and
// want differ. Quantities are compared with a relative tolerance of 1e-9,
// since sums may be added up in another order.
func CompareStatus(tb testing.TB, got, want []schema.CountryStatus) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got countries %v, want %v", countries(got), countries(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		gl, wl := g.Lines, w.Lines
		g.Lines, w.Lines = nil, nil
		if !reflect.DeepEqual(g, w) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			tb.Errorf("%s:\n got %s\nwant %s", w.Country, gj, wj)
		}
		if len(gl) != len(wl) {
			tb.Errorf("%s: got lines %+v, want %+v", w.Country, gl, wl)
			continue
		}
		for j := range wl {
			a, b := gl[j], wl[j]
			if a.Category != b.Category || a.Unit != b.Unit || a.Commitments != b.Commitments ||
				!Near(a.Pledged, b.Pledged) || !Near(a.Delivered, b.Delivered) || !Near(a.Withdrawn, b.Withdrawn) {
				tb.Errorf("%s line %d: got %+v, want %+v", w.Country, j, a, b)
			}
		}
	}
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
