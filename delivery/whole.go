package delivery

import (
	"context"
	"maps"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Whole is a one-answer transport (gqlgen's GET or POST) whose answer includes the deferred
// fragments: gqlgen's own writes only the first response of an operation, with the deferred
// fields null and hasNext true, and drops the rest. A client that cannot read a stream gets all
// it asked for, never a null standing for a part that will not come.
//
// It also answers a request that failed before it ran as the GraphQL-over-HTTP spec advises:
// 200 under application/json (gqlgen says 422), 400 when there is no query at all (gqlgen says
// 422), and no "data" entry, since nothing ran (gqlgen writes "data": null).
type Whole struct{ graphql.Transport }

// Do implements graphql.Transport.
func (t Whole) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	sw := &specWriter{ResponseWriter: w}
	t.Transport.Do(sw, r.WithContext(withMerged(r.Context())), mergingExecutor{exec, sw})
}

// mergingExecutor hands the transport one response holding every response of the operation,
// and tells the writer when the request failed before it ran.
type mergingExecutor struct {
	graphql.GraphExecutor
	w *specWriter
}

func (e mergingExecutor) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	oc, errs := e.GraphExecutor.CreateOperationContext(ctx, params)
	if errs != nil {
		e.w.requestError, e.w.noQuery = true, params.Query == ""
	}
	return oc, errs
}

func (e mergingExecutor) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	next, ctx := e.GraphExecutor.DispatchOperation(ctx, oc)
	return func(ctx context.Context) *graphql.Response { return mergeResponses(ctx, next) }, ctx
}

// specWriter corrects the status and body gqlgen writes for a request error.
type specWriter struct {
	http.ResponseWriter
	requestError bool // CreateOperationContext failed: nothing ran
	noQuery      bool // there was no query at all: the request is malformed
	failed       bool // the status written is a failure (a body that is no GraphQL request)
}

func (w *specWriter) WriteHeader(status int) {
	switch {
	case w.requestError && w.noQuery:
		status = http.StatusBadRequest
	case w.requestError && status == http.StatusUnprocessableEntity &&
		strings.HasPrefix(w.Header().Get("Content-Type"), "application/json"):
		status = http.StatusOK
	}
	w.failed = status >= http.StatusBadRequest
	w.ResponseWriter.WriteHeader(status)
}

func (w *specWriter) Write(b []byte) (int, error) {
	if !w.requestError && !w.failed {
		return w.ResponseWriter.Write(b)
	}
	if obj, err := decodeObject(b); err == nil && isNull(obj.vals["data"]) {
		if _, ok := obj.vals["data"]; ok {
			obj.remove("data")
			if out, err := obj.encode(); err == nil {
				if _, err := w.ResponseWriter.Write(out); err != nil {
					return 0, err
				}
				return len(b), nil
			}
		}
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *specWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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
