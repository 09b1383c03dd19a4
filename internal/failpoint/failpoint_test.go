package failpoint

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name        string
		in          string
		wantCounted map[string]int
		wantMatched map[string]map[string]bool
	}{
		{"Empty", "", map[string]int{}, map[string]map[string]bool{}},
		{"Counted", "consumer-before-insert:2, consumer-after-ack:1", map[string]int{"consumer-before-insert": 2, "consumer-after-ack": 1}, map[string]map[string]bool{}},
		{"Matched", "consumer-store-event=0190f5e8-0000-7000-8000-000000000001", map[string]int{},
			map[string]map[string]bool{"consumer-store-event": {"0190f5e8-0000-7000-8000-000000000001": true}}},
		{"MatchedSeveral", "consumer-store-event=a|b", map[string]int{}, map[string]map[string]bool{"consumer-store-event": {"a": true, "b": true}}},
		{"Both", "consumer-after-insert:3,consumer-store-event=abc", map[string]int{"consumer-after-insert": 3}, map[string]map[string]bool{"consumer-store-event": {"abc": true}}},
		{"Ignored", "nothing,bad:x,zero:0,=v,name=", map[string]int{}, map[string]map[string]bool{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counted, matched := parse(tc.in)
			if !reflect.DeepEqual(counted, tc.wantCounted) {
				t.Errorf("counted: got %v, want %v", counted, tc.wantCounted)
			}
			if !reflect.DeepEqual(matched, tc.wantMatched) {
				t.Errorf("matched: got %v, want %v", matched, tc.wantMatched)
			}
		})
	}
}
