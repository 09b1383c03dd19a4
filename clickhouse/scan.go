package clickhouse

import "reflect"

// newScanValue returns a pointer to a new value of the driver's scan type.
func newScanValue(t reflect.Type) any { return reflect.New(t).Interface() }

// derefScan returns the value a scan pointer points to. A Nullable column
// scans into a pointer: NULL becomes nil, anything else the value itself,
// so that results hold values, never pointers.
func derefScan(p any) any {
	v := reflect.ValueOf(p).Elem()
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	return v.Interface()
}
