package upstream

import (
	"encoding/json"
	"reflect"
	"strconv"
)

// Writing request bodies. Every read a resolver makes sends a request body, and the loaders key
// their memo on the same bytes. encoding/json spends most of that on reflection and on
// growing the small stack of the resolver's goroutine; the reads' request types (beside their
// endpoints, in the area files) and UserInfo (types.go) write their body directly instead, with
// the object writer below, byte for byte what encoding/json writes for the struct's tags
// (encode_test.go compares the two on random values). Writes, rarer, keep encoding/json.

// object writes a JSON object one member at a time.
type object struct{ b []byte }

func newObject(size int) object { return object{b: append(make([]byte, 0, size), '{')} }

func (o *object) key(k string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = append(append(append(o.b, '"'), k...), `":`...)
}

func (o *object) str(k, v string, omitEmpty bool) {
	if omitEmpty && v == "" {
		return
	}
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

func (o *object) int(k string, v int64, omitEmpty bool) {
	if omitEmpty && v == 0 {
		return
	}
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *object) user(k string, u *UserInfo) { // a nil user is left out
	if u == nil {
		return
	}
	o.key(k)
	o.b = u.appendJSON(o.b)
}

func (o *object) boolPtr(k string, v *bool) { // nil is left out
	if v == nil {
		return
	}
	o.key(k)
	o.b = strconv.AppendBool(o.b, *v)
}

func (o *object) end() ([]byte, error) { return append(o.b, '}'), nil }

// strs writes a list of strings, left out when empty (omitempty).
func strs[S ~string](o *object, k string, v []S) {
	if len(v) == 0 {
		return
	}
	o.key(k)
	o.b = append(o.b, '[')
	for i, s := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendJSONString(o.b, string(s))
	}
	o.b = append(o.b, ']')
}

// appendJSONString appends s quoted as encoding/json quotes it (HTML characters escaped).
func appendJSONString(b []byte, s string) []byte {
	if plainJSONString(s) {
		return append(append(append(b, '"'), s...), '"')
	}
	quoted, _ := json.Marshal(s) // a string always encodes
	return append(b, quoted...)
}

// plainJSONString reports whether encoding/json writes s between quotes as it is: printable
// ASCII with nothing it escapes.
func plainJSONString(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// encodeBody encodes a request body: directly when it writes itself, with encoding/json
// otherwise. A hand-written MarshalJSON here is checked against encoding/json by the tests, so
// the validation pass json.Marshal makes over its output is skipped.
func encodeBody(v any) ([]byte, error) {
	if m, ok := v.(json.Marshaler); ok && !nilPointer(v) {
		return m.MarshalJSON()
	}
	return json.Marshal(v)
}

func nilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
