package delivery

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// The answer's JSON as gqlgen wrote it, edited without losing the members' order or any digit of
// a number: deferred parts merged into one answer, placeholders left out of a first part.

// mergeAt returns doc with patch's members merged into the object that path leads to. Members
// keep their order, and numbers their every digit.
func mergeAt(doc json.RawMessage, path ast.Path, patch json.RawMessage) (json.RawMessage, error) {
	if len(path) == 0 {
		return mergeObjects(doc, patch)
	}
	switch step := path[0].(type) {
	case ast.PathName:
		obj, err := decodeObject(doc)
		if err != nil {
			return nil, err
		}
		child, ok := obj.vals[string(step)]
		if !ok || isNull(child) {
			return doc, nil // the parent was nulled by an error: nothing to merge into
		}
		if obj.vals[string(step)], err = mergeAt(child, path[1:], patch); err != nil {
			return nil, err
		}
		return obj.encode()
	case ast.PathIndex:
		var list []json.RawMessage
		if err := json.Unmarshal(doc, &list); err != nil {
			return nil, fmt.Errorf("at %s: %w", path, err)
		}
		if int(step) < 0 || int(step) >= len(list) {
			return nil, fmt.Errorf("index %d out of a list of %d", int(step), len(list))
		}
		if isNull(list[step]) {
			return doc, nil
		}
		merged, err := mergeAt(list[step], path[1:], patch)
		if err != nil {
			return nil, err
		}
		list[step] = merged
		return json.Marshal(list)
	default:
		return nil, fmt.Errorf("unexpected path element %T", step)
	}
}

// mergeObjects sets patch's members on doc, merging the objects both hold.
func mergeObjects(doc, patch json.RawMessage) (json.RawMessage, error) {
	dst, err := decodeObject(doc)
	if err != nil {
		return nil, err
	}
	src, err := decodeObject(patch)
	if err != nil {
		return nil, err
	}
	for _, k := range src.keys {
		v := src.vals[k]
		old, ok := dst.vals[k]
		switch {
		case !ok:
			dst.keys = append(dst.keys, k)
		case isObject(old) && isObject(v):
			if v, err = mergeObjects(old, v); err != nil {
				return nil, err
			}
		}
		dst.vals[k] = v
	}
	return dst.encode()
}

// object is a JSON object that keeps its members' order.
type object struct {
	keys []string
	vals map[string]json.RawMessage
}

func decodeObject(raw json.RawMessage) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not an object: %.40s", raw)
	}
	o := &object{vals: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := o.vals[k]; !dup {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = v
	}
	return o, nil
}

// remove drops the member k.
func (o *object) remove(k string) {
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			return
		}
	}
}

func (o *object) encode() (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(o.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

func isList(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '['
}

func isObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}
