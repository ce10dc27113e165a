// Package delivery carries GraphQL answers to clients: whole (GET and POST), in parts (@defer as
// multipart/mixed or Server-Sent Events) and over WebSocket (graphql-transport-ws), on gqlgen's
// executor. Whatever carries an operation, it ends: a query or mutation within its deadline, a
// deferred answer with its last part, a stream when its client, its credential or the process
// goes; and nothing it started outlives it. The package knows nothing of WeDa: what the gateway
// decides around an operation (who it is, whether it may run, how its upstream work stops)
// arrives through Ticket, Stopper and the WebSocket's hooks.
package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Stopper ends the upstream work of the operation running on ctx: the calls in flight and every
// later one fail with cause. The gateway's stops its loaders.
type Stopper func(ctx context.Context, cause error)

// ErrOperationTimeout is the cause of an operation stopped at its deadline; it is a
// context.DeadlineExceeded.
var ErrOperationTimeout = fmt.Errorf("the operation ran out of time (OPERATION_TIMEOUT): %w", context.DeadlineExceeded)

// Operations is the gqlgen extension that bounds every query and mutation, whatever transport
// carries it:
//
//   - each ends by its deadline (Timeout);
//   - a query's resolvers run on a context that neither its deadline nor its client's departure
//     cancels, and Stop ends its upstream work instead. gqlgen hands a deferred fragment's
//     result to the answer only while the resolvers' context lives: a result it drops leaves the
//     answer waiting for it for good, with its goroutine and socket. Stopped this way, every
//     fragment still finishes (with errors), and the transport reads the answer to its end;
//   - the first part of a deferred answer leaves out the fields still to come, as the
//     incremental-delivery format says (gqlgen writes them as null, which Apollo Client reads as
//     final), unless the transport merges the parts into one answer;
//   - deferred parts carry the labels the client gave (see LabelDefers).
//
// Use it before every other extension, so that it sees their answers.
type Operations struct {
	Timeout time.Duration
	Stop    Stopper
	Schema  *ast.Schema // the types of the answer's objects, to find its deferred fields
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = Operations{}

// ExtensionName implements graphql.HandlerExtension.
func (Operations) ExtensionName() string { return "Operations" }

// Validate implements graphql.HandlerExtension.
func (o Operations) Validate(graphql.ExecutableSchema) error {
	if o.Timeout <= 0 || o.Stop == nil || o.Schema == nil {
		return fmt.Errorf("delivery.Operations needs a Timeout, a Stop and the Schema")
	}
	return nil
}

// InterceptOperation implements graphql.OperationInterceptor.
func (o Operations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation == ast.Subscription {
		return next(ctx) // a stream: it ends with its client, its credential or the process
	}
	ctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, ErrOperationTimeout)
	done := cancel
	run := ctx
	if oc.Operation.Operation == ast.Query {
		stop := context.AfterFunc(ctx, func() { o.Stop(ctx, context.Cause(ctx)) })
		run = context.WithoutCancel(ctx)
		done = func() { stop(); cancel() }
	}
	whole := merged(ctx)
	query := oc.Operation.Operation == ast.Query
	responses := next(run)
	first := true
	return func(ctx context.Context) *graphql.Response {
		// ctx is the one DispatchOperation returned (it holds every extension's values). For a
		// query it is cut off from cancellation: only Stop ends the work, and the transport reads
		// every part (Drain) whatever became of its client.
		if query {
			ctx = context.WithoutCancel(ctx)
		}
		resp := responses(ctx)
		if resp == nil || resp.HasNext == nil || !*resp.HasNext {
			done()
		}
		if resp == nil {
			return nil
		}
		if first && resp.HasNext != nil && !whole {
			resp.Data = omitDeferred(oc, o.Schema, resp.Data)
		}
		first = false
		resp.Label = clientLabel(resp.Label)
		return resp
	}
}

// Drain reads an operation's responses to the end, discarding them: for a transport whose client
// is gone, so that what the operation started ends (see Operations).
func Drain(ctx context.Context, responses graphql.ResponseHandler) {
	for responses(ctx) != nil {
	}
}

type mergedKey struct{}

// withMerged marks ctx as the context of a transport that merges every part into one answer.
func withMerged(ctx context.Context) context.Context {
	return context.WithValue(ctx, mergedKey{}, true)
}

func merged(ctx context.Context) bool {
	m, _ := ctx.Value(mergedKey{}).(bool)
	return m
}
