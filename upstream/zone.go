package upstream

import (
	"reflect"
	"time"
)

var timeType = reflect.TypeFor[Time]()

// rezone re-reads, in loc, every zoneless Time that out holds. It walks the answer only when the
// operator set a zone other than WeDa's own, so the usual path costs nothing.
func rezone(out any, loc *time.Location) {
	if loc == nil || loc == WedaZone || out == nil {
		return
	}
	walkTimes(reflect.ValueOf(out), loc, 0)
}

func walkTimes(v reflect.Value, loc *time.Location, depth int) {
	if depth > 16 { // answers nest a few levels; a cycle is not possible in decoded JSON
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkTimes(v.Elem(), loc, depth+1)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if v.CanSet() {
				v.Set(reflect.ValueOf(v.Interface().(Time).In(loc)))
			}
			return
		}
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				walkTimes(f, loc, depth+1)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkTimes(v.Index(i), loc, depth+1)
		}
	}
}
