// Package workflow is the gateway's domain layer, between the GraphQL mapping (package graph) and
// the WeDa client: who may see and do what (policy.go, one table), the lookups WeDa lacks
// (lookup.go), and the writes (commands.go), each with its input checks, its policy, and — under
// an idempotency key — exactly one effect however it is retried (once.go). It knows no GraphQL.
//
// Reads go through the request's loaders (graph/loader), which the caller puts on the context.
package workflow

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/wedagraph/gateway/graph/loader"
	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/upstream"
)

// Actor is the user a request acts as, from its authentication: never from a free argument.
type Actor struct {
	UserID   string
	Source   int  // WeDa's user source code (4 internal)
	Operator bool // the operators' role: sees every instance, stops and urges any
}

func (a Actor) info() upstream.UserInfo {
	return upstream.UserInfo{UserID: upstream.ID(a.UserID), Type: a.Source}
}

// Options configure a Service.
type Options struct {
	// Store remembers keyed writes; nil turns idempotency keys off.
	Store idempotency.Store
	// Notes remembers who may choose a completed task's next approvers; shared by the replicas
	// when it is the Redis one. Required.
	Notes idempotency.Notes
	Log   *slog.Logger
	// Observe, when set, hears of what the idempotency keys did, per mutation (the gateway counts
	// them as metrics; this package stays free of any metrics library). It is called on the
	// request's goroutine, concurrently: it must be quick and safe for concurrent use.
	Observe func(mutation string, e Event)
}

// Service carries out the domain's rules. It holds what outlives a request; per-request state
// (the loaders) comes with each call's context.
type Service struct {
	store   idempotency.Store
	notes   idempotency.Notes
	log     *slog.Logger
	observe func(mutation string, e Event)
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Notes == nil {
		return nil, fmt.Errorf("workflow: Options.Notes is required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Observe == nil {
		o.Observe = func(string, Event) {}
	}
	return &Service{store: o.Store, notes: o.Notes, log: o.Log, observe: o.Observe}, nil
}

func loaders(ctx context.Context) *loader.Loaders { return loader.For(ctx) }

func env(ctx context.Context) string { return loaders(ctx).Client().EnvFor(ctx) }
