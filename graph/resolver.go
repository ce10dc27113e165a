package graph

import (
	"context"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/graph/userbatch"
	"github.com/wedagraph/gateway/session"
	"github.com/wedagraph/gateway/workflow"
)

// Resolver is the root resolver. What outlives an operation is here; an operation's own state
// (its session, its user batcher, its viewer) lives on its context, which the gateway fills for
// every operation whatever carries it (WithSession).
type Resolver struct {
	// Workflow is the domain: who may see and do what, the lookups WeDa lacks, the reads, the
	// writes, the subscriptions.
	Workflow *workflow.Service
}

type sessionKey struct{}

// WithSession returns ctx carrying one operation's session, and the user batcher over it.
func WithSession(ctx context.Context, sess *session.Session) context.Context {
	return userbatch.With(context.WithValue(ctx, sessionKey{}, sess), userbatch.New(sess))
}

// sessionOf is the operation's session. Its absence is a wiring bug, which the recover func turns
// into an internal error.
func sessionOf(ctx context.Context) *session.Session {
	s, ok := ctx.Value(sessionKey{}).(*session.Session)
	if !ok {
		panic("graph: no session on the operation's context")
	}
	return s
}

// request is the domain as this operation's viewer sees it, or UNAUTHENTICATED.
func (r *Resolver) request(ctx context.Context) (*workflow.Request, error) {
	v, ok := auth.FromContext(ctx)
	if !ok {
		return nil, codeError(CodeUnauthenticated,
			"this field acts as a user: authenticate the request (in development, send the %s header)", auth.UserIDHeader)
	}
	return r.Workflow.For(sessionOf(ctx), workflow.Actor{UserID: v.UserID, Source: v.Source, Operator: v.Admin}), nil
}

// users is the operation's user batcher: the one loader the graph calls itself, since it counts
// the operation's fields to know when a batch may go.
func users(ctx context.Context) *userbatch.Batcher {
	b, ok := userbatch.From(ctx)
	if !ok {
		panic("graph: no user batcher on the operation's context")
	}
	return b
}
