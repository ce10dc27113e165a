package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// incrementalTransports are the HTTP transports that deliver @defer, in the order gqlgen must try
// them (it takes the first whose Supports matches, so they go before plain GET and POST):
//
//   - text/event-stream (graphql-sse's protocol): the first answer, then one `next` event per
//     deferred fragment ({data, path, label, hasNext}), then `complete`;
//   - multipart/mixed (the incremental-delivery format Apollo Client, urql, Relay and GraphiQL
//     read): the first answer, then parts of {incremental: [{data, path, label}], hasNext}. Not
//     for subscriptions: Apollo's multipart subscription protocol is another format, which gqlgen
//     does not write, so a subscription asked for that way is refused with a clear error;
//   - GET and POST for every other client: the deferred fragments are waited for and merged into
//     one JSON answer, so a client that cannot read a stream gets all it asked for, never a null
//     standing in for a fragment that was still to come.
func incrementalTransports() []graphql.Transport {
	return []graphql.Transport{
		transport.SSE{KeepAlivePingInterval: 15 * time.Second},
		noSubscriptions{transport.MultipartMixed{Boundary: "-", DeliveryTimeout: 5 * time.Millisecond}},
		wholeAnswer{transport.GET{}},
		wholeAnswer{transport.POST{}},
	}
}

// wholeAnswer is a one-response transport (GET, POST) whose answer includes the deferred
// fragments. gqlgen's own writes only the first response of an operation, with the deferred
// fields null and hasNext true, and drops the rest.
type wholeAnswer struct{ graphql.Transport }

func (t wholeAnswer) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.Transport.Do(w, r, mergingExecutor{exec})
}

// mergingExecutor hands the transport one response holding every response of the operation.
type mergingExecutor struct{ graphql.GraphExecutor }

func (e mergingExecutor) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	next, ctx := e.GraphExecutor.DispatchOperation(ctx, oc)
	return func(ctx context.Context) *graphql.Response { return mergeResponses(ctx, next) }, ctx
}

// noSubscriptions is a transport that refuses subscription operations.
type noSubscriptions struct{ graphql.Transport }

func (t noSubscriptions) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.Transport.Do(w, r, refusingSubscriptions{exec})
}

type refusingSubscriptions struct{ graphql.GraphExecutor }

func (e refusingSubscriptions) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	oc, errs := e.GraphExecutor.CreateOperationContext(ctx, params)
	if errs == nil && oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		errs = gqlerror.List{{Message: "subscriptions are not served as multipart/mixed: subscribe over Server-Sent Events " +
			"(Accept: text/event-stream) or a WebSocket", Extensions: map[string]any{"code": "BAD_REQUEST"}}}
	}
	return oc, errs
}

// mergeResponses reads every response of an operation and folds the deferred ones into the first.
func mergeResponses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	first := next(ctx)
	if first == nil || first.HasNext == nil {
		return first
	}
	out := *first
	out.HasNext = nil
	more := *first.HasNext
	for more {
		part := next(ctx)
		if part == nil {
			break // the request ended (its context was cancelled) before the operation did
		}
		more = part.HasNext != nil && *part.HasNext
		out.Errors = append(out.Errors, part.Errors...)
		if len(part.Extensions) > 0 {
			if out.Extensions == nil {
				out.Extensions = map[string]any{}
			}
			maps.Copy(out.Extensions, part.Extensions)
		}
		if isNull(part.Data) {
			continue // a fragment nulled by an invalid non-null field: its errors say why
		}
		merged, err := mergeAt(out.Data, part.Path, part.Data)
		if err != nil {
			out.Errors = append(out.Errors, &gqlerror.Error{Message: "a deferred fragment could not be merged: " + err.Error(),
				Path: part.Path, Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}})
			continue
		}
		out.Data = merged
	}
	return &out
}

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

func isObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}
