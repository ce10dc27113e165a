package delivery

import (
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// omitDeferred returns the first part of a deferred answer without the fields that later parts
// bring: gqlgen writes each as null. It walks the data beside the operation's selections, as
// gqlgen collected them; data it cannot follow is returned as it is.
func omitDeferred(oc *graphql.OperationContext, schema *ast.Schema, data json.RawMessage) json.RawMessage {
	root := schema.Query
	if root == nil || isNull(data) {
		return data
	}
	out, err := omitIn(oc, schema, data, oc.Operation.SelectionSet, root)
	if err != nil {
		return data
	}
	return out
}

// omitIn handles one value of the answer: an object of type def, a list of them, or null.
func omitIn(oc *graphql.OperationContext, schema *ast.Schema, raw json.RawMessage, set ast.SelectionSet, def *ast.Definition) (json.RawMessage, error) {
	switch {
	case isNull(raw):
		return raw, nil
	case isList(raw):
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		for i, item := range items {
			v, err := omitIn(oc, schema, item, set, def)
			if err != nil {
				return nil, err
			}
			items[i] = v
		}
		return json.Marshal(items)
	case !isObject(raw):
		return raw, nil
	}
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	if def.IsAbstractType() {
		var typename string
		if t, ok := obj.vals["__typename"]; !ok || json.Unmarshal(t, &typename) != nil || schema.Types[typename] == nil {
			return raw, nil // the concrete type is not in the answer: leave the object as it is
		}
		def = schema.Types[typename]
	}
	changed := false
	for _, f := range graphql.CollectFields(oc, set, append([]string{def.Name}, def.Interfaces...)) {
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		v, ok := obj.vals[key]
		if !ok {
			continue
		}
		if f.IsDeferred() {
			if isNull(v) {
				obj.remove(key)
				changed = true
			}
			continue
		}
		if len(f.Selections) == 0 || f.Definition == nil {
			continue
		}
		child := schema.Types[f.Definition.Type.Name()]
		if child == nil {
			continue
		}
		nv, err := omitIn(oc, schema, v, f.Selections, child)
		if err != nil {
			return nil, err
		}
		if string(nv) != string(v) {
			obj.vals[key] = nv
			changed = true
		}
	}
	if !changed {
		return raw, nil
	}
	return obj.encode()
}
