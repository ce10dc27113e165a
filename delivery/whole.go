package delivery

import (
	"context"
	"maps"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Whole is a one-answer transport (gqlgen's GET or POST) whose answer includes the deferred
// fragments: gqlgen's own writes only the first response of an operation, with the deferred
// fields null and hasNext true, and drops the rest. A client that cannot read a stream gets all
// it asked for, never a null standing for a part that will not come.
type Whole struct{ graphql.Transport }

// Do implements graphql.Transport.
func (t Whole) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.Transport.Do(w, r.WithContext(withMerged(r.Context())), mergingExecutor{exec})
}

// mergingExecutor hands the transport one response holding every response of the operation.
type mergingExecutor struct{ graphql.GraphExecutor }

func (e mergingExecutor) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	next, ctx := e.GraphExecutor.DispatchOperation(ctx, oc)
	return func(ctx context.Context) *graphql.Response { return mergeResponses(ctx, next) }, ctx
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
