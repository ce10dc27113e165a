// Package workflow is the gateway's domain: who may see and do what (policy.go, one table of
// reads and writes, read against the vendor's document), the lookups WeDa lacks (lookups.go), the
// reads a screen needs (reads.go), the writes with their input checks and exactly one effect
// however they are retried (commands*.go, exactly_once.go), and what a write changed, announced
// to the subscriptions that watch it (watch.go). It knows no GraphQL, not even through a
// dependency: its calls to WeDa go through one operation's session (package session), handed to
// it explicitly.
package workflow

import (
	"fmt"
	"log/slog"

	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/live"
	"github.com/wedagraph/gateway/session"
	"github.com/wedagraph/gateway/upstream"
)

// Actor is the user a request acts as, from its authentication: never from a free argument.
type Actor struct {
	UserID   string
	Source   int  // WeDa's user source code (4 internal)
	Operator bool // the operators' role: sees every instance, stops and urges any, lists users
}

func (a Actor) info() upstream.UserInfo {
	return upstream.UserInfo{UserID: upstream.ID(a.UserID), Type: a.Source}
}

// Options are the Service's dependencies, built once at start.
type Options struct {
	// Store remembers keyed writes; nil turns idempotency keys off.
	Store idempotency.Store
	// ChoiceOwners remembers who may choose a completed task's next approvers; shared by the
	// replicas when it is the Redis one. Required.
	ChoiceOwners idempotency.Facts
	// Live runs the subscriptions' pollers; nil turns subscriptions off.
	Live *live.Engine
	Log  *slog.Logger
	// Observe, when set, hears of what the idempotency keys did, per mutation (the gateway counts
	// them as metrics; this package stays free of any metrics library). It is called on the
	// operation's goroutine, concurrently: it must be quick and safe for concurrent use.
	Observe func(mutation string, e Event)
}

// Service carries out the domain's rules. It holds what outlives an operation; an operation's
// own state (its session) comes with each Request.
type Service struct {
	store        idempotency.Store
	choiceOwners idempotency.Facts
	live         *live.Engine
	log          *slog.Logger
	observe      func(mutation string, e Event)
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.ChoiceOwners == nil {
		return nil, fmt.Errorf("workflow: Options.ChoiceOwners is required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Observe == nil {
		o.Observe = func(string, Event) {}
	}
	return &Service{store: o.Store, choiceOwners: o.ChoiceOwners, live: o.Live, log: o.Log, observe: o.Observe}, nil
}

// Request is the domain as one operation of one actor sees it: every rule is applied for the
// actor, every call to WeDa goes through the operation's session.
type Request struct {
	s    *Service
	sess *session.Session
	a    Actor
}

// For returns the domain for one operation of a, whose calls go through sess.
func (s *Service) For(sess *session.Session, a Actor) *Request {
	return &Request{s: s, sess: sess, a: a}
}

// Actor is who the operation acts as.
func (r *Request) Actor() Actor { return r.a }
