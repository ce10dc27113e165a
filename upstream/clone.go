package upstream

import (
	"reflect"
	"sync"
)

// A shared read is decoded once and each waiter gets a deep copy: copying the decoded values
// costs a fraction of decoding the JSON again (no scanning, no string allocations), and no two
// requests still share anything they could change.

// cloneInto sets *dst to a deep copy of *src; both are pointers to the same type. Slices, maps,
// pointers and interfaces are copied; strings and other immutable values are shared. Unexported
// fields are copied as they are (time.Time's zone pointer): the answer types keep nothing mutable
// there.
func cloneInto(dst, src any) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	copyValue(d, s)
}

func copyValue(dst, src reflect.Value) {
	t := src.Type()
	if !holdsReferences(t) {
		dst.Set(src)
		return
	}
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.New(t.Elem())
		copyValue(n.Elem(), src.Elem())
		dst.Set(n)
	case reflect.Interface:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		e := src.Elem()
		n := reflect.New(e.Type()).Elem()
		copyValue(n, e)
		dst.Set(n)
	case reflect.Struct:
		dst.Set(src)
		for _, i := range referenceFields(t) {
			copyValue(dst.Field(i), src.Field(i))
		}
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.MakeSlice(t, src.Len(), src.Len())
		if holdsReferences(t.Elem()) {
			for i := range src.Len() {
				copyValue(n.Index(i), src.Index(i))
			}
		} else {
			reflect.Copy(n, src)
		}
		dst.Set(n)
	case reflect.Array:
		for i := range src.Len() {
			copyValue(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.MakeMapWithSize(t, src.Len())
		// One key and one value, reused: SetMapIndex copies them in. Keys are compared by
		// value, so sharing what one holds changes nothing.
		k, v := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		deep := holdsReferences(t.Elem())
		for it := src.MapRange(); it.Next(); {
			k.SetIterKey(it)
			if deep {
				copyValue(v, it.Value())
			} else {
				v.SetIterValue(it)
			}
			n.SetMapIndex(k, v)
		}
		dst.Set(n)
	default:
		dst.Set(src)
	}
}

// referenceKinds caches holdsReferences by type; structFields, referenceFields by struct type.
// A copy visits every element of a list of records: looking a struct's fields up each time
// (reflect builds a StructField per call) cost as much as the copy.
var referenceKinds, structFields sync.Map // reflect.Type → bool; reflect.Type → []int

// referenceFields returns the indices of the exported fields of the struct type t that hold
// references.
func referenceFields(t reflect.Type) []int {
	if v, ok := structFields.Load(t); ok {
		return v.([]int)
	}
	var out []int
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && holdsReferences(f.Type) {
			out = append(out, i)
		}
	}
	structFields.Store(t, out)
	return out
}

// holdsReferences reports whether a value of t can reach memory a copy would share: through a
// pointer, slice, map or interface in it or in an exported field.
func holdsReferences(t reflect.Type) bool {
	if v, ok := referenceKinds.Load(t); ok {
		return v.(bool)
	}
	v := computeReferences(t, map[reflect.Type]bool{})
	referenceKinds.Store(t, v)
	return v
}

func computeReferences(t reflect.Type, visiting map[reflect.Type]bool) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	case reflect.Array:
		return computeReferences(t.Elem(), visiting)
	case reflect.Struct:
		if visiting[t] {
			return false // a cycle through values only cannot exist; through pointers it said true
		}
		visiting[t] = true
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && computeReferences(f.Type, visiting) {
				return true
			}
		}
	}
	return false
}
