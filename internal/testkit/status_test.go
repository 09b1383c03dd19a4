package testkit_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/coalitiondev/coalition/internal/testkit"
	"github.com/coalitiondev/coalition/schema"
)

// TestStatusDiffsSeesEveryField changes one field at a time, of the status
// and of its line, and checks that StatusDiffs reports it: the property
// tests compare field by field, including fields added later.
func TestStatusDiffsSeesEveryField(t *testing.T) {
	base := schema.CountryStatus{
		Coalition: "c", Country: "FRA", ConflictsWith: []string{"RUS"},
		Lines: []schema.StatusLine{{Category: schema.CategoryMilitary, Unit: "soldiers", Commitments: 2, Open: 1, Pledged: 10, Delivered: 5, Withdrawn: 1, Fulfilment: 0.5}},
	}
	if d := testkit.StatusDiffs([]schema.CountryStatus{base}, []schema.CountryStatus{base}); len(d) != 0 {
		t.Fatalf("a status differs from itself: %v", d)
	}
	// changed returns v's field changed to another value of its type.
	changed := func(f reflect.Value) bool {
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(f.Uint() + 1)
		case reflect.Float64:
			f.SetFloat(f.Float() + 0.25)
		case reflect.Slice:
			if f.Type().Elem().Kind() != reflect.String {
				return false
			}
			f.Set(reflect.Append(f, reflect.ValueOf("TUR")))
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Date(2015, 11, 24, 7, 24, 0, 0, time.UTC)))
				return true
			}
			return changedAll(f)
		default:
			return false
		}
		return true
	}
	check := func(name string, mutate func(*schema.CountryStatus) bool) {
		s := base
		s.ConflictsWith = append([]string(nil), base.ConflictsWith...)
		s.Lines = append([]schema.StatusLine(nil), base.Lines...)
		if !mutate(&s) {
			t.Errorf("%s: the test cannot change a field of its type: teach it", name)
			return
		}
		if d := testkit.StatusDiffs([]schema.CountryStatus{s}, []schema.CountryStatus{base}); len(d) == 0 {
			t.Errorf("%s changed, but StatusDiffs reports no difference", name)
		}
	}
	st := reflect.TypeOf(base)
	for i := 0; i < st.NumField(); i++ {
		name := st.Field(i).Name
		if name == "Lines" {
			lt := reflect.TypeOf(schema.StatusLine{})
			for j := 0; j < lt.NumField(); j++ {
				check("Lines[0]."+lt.Field(j).Name, func(s *schema.CountryStatus) bool {
					return changed(reflect.ValueOf(&s.Lines[0]).Elem().Field(j))
				})
			}
			continue
		}
		check(name, func(s *schema.CountryStatus) bool { return changed(reflect.ValueOf(s).Elem().Field(i)) })
	}
}

// changedAll changes every field of a struct of counts (schema.StateCounts).
func changedAll(v reflect.Value) bool {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Uint64 {
			return false
		}
		f.SetUint(f.Uint() + 1)
	}
	return v.NumField() > 0
}
