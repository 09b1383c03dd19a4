package clickhouse

import "reflect"

// newScanValue returns a pointer to a new value of the driver's scan type.
func newScanValue(t reflect.Type) any { return reflect.New(t).Interface() }

// derefScan returns the value a scan pointer points to.
func derefScan(p any) any { return reflect.ValueOf(p).Elem().Interface() }
