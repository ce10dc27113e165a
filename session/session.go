// Package session is one operation's view of WeDa, below the domain and free of GraphQL: every
// upstream call of the operation goes through its Session, which makes identical reads once
// (memo), runs independent calls under a cap, bounds how many calls the operation may make,
// stops them all when the operation is stopped (Abort), recovers a panic in a call into an
// error, and shares reference data (deployed flows, user records) across operations for a short
// time. One method per WeDa endpoint, named as the client names it.
//
// A Session is never shared across operations: a call made for one operation runs with its
// context, and one user's cancellation or identity must not leak into another's.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wedagraph/gateway/upstream"
)

// Config bounds one operation's upstream work.
type Config struct {
	MaxConcurrent int          // upstream calls in flight at once; default 64
	MaxCalls      int          // upstream calls in all; default 200
	Log           *slog.Logger // where a panic in an upstream call is reported; default discards
}

// ErrInternal is what every caller of a call that panicked gets: a bug of the gateway's, whose
// stack is in the log.
var ErrInternal = errors.New("internal server error")

// CallLimitError is returned once an operation has made its allowed number of upstream calls.
type CallLimitError struct{ Max int }

func (e *CallLimitError) Error() string {
	return fmt.Sprintf("this query needs more than %d upstream calls; ask for fewer items or fewer nested lists", e.Max)
}

// Session is one operation's view of WeDa.
type Session struct {
	client *upstream.Client
	cfg    Config
	env    string // the environment type the operation asked for; "" for the client's
	sem    chan struct{}
	calls  atomic.Int64

	mu   sync.Mutex
	memo map[string]*entry

	shared *Shared // across operations; nil when off

	// stopped ends with Abort: every call's context ends with it (abort.go).
	stopped context.Context
	stop    context.CancelCauseFunc
}

type entry struct {
	done chan struct{}
	val  any
	err  error
}

// New returns the session of one operation in env ("" for the client's own), over client and
// the cross-operation cache shared (nil: none).
func New(client *upstream.Client, cfg Config, shared *Shared, env string) *Session {
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 64
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = 200
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Session{client: client, cfg: cfg, env: env, sem: make(chan struct{}, cfg.MaxConcurrent),
		memo: map[string]*entry{}, shared: shared}
	s.stopped, s.stop = context.WithCancelCause(context.Background())
	return s
}

// Sibling is a new session with the same client, bounds, cache and environment, for work that
// outlives this one (a subscription's polls, each event it resolves): its own memo and ceiling.
func (s *Session) Sibling() *Session { return New(s.client, s.cfg, s.shared, s.env) }

// Env is the environment type the operation's calls go to: prod or pre.
func (s *Session) Env() string {
	if s.env != "" {
		return s.env
	}
	return s.client.EnvType()
}

// Timeout is the limit on one attempt of one upstream call.
func (s *Session) Timeout() time.Duration { return s.client.Timeout() }

// Calls reports how many upstream calls the operation has made.
func (s *Session) Calls() int64 { return s.calls.Load() }

// Forget drops what the session read, so reads after a write see the new state.
func (s *Session) Forget() {
	s.mu.Lock()
	s.memo = map[string]*entry{}
	s.mu.Unlock()
}

// Reset makes the session new again: its memo and its count of calls start over. Each event of
// a subscription is resolved as an operation of its own.
func (s *Session) Reset() {
	s.Forget()
	s.calls.Store(0)
}

// InvalidateFlows drops the deployed flows cached across operations (WeDa refused a flow code as
// stale: the flow was saved again).
func (s *Session) InvalidateFlows() { s.shared.InvalidateFlows() }

// Do runs fn as one upstream call under the operation's cap, ceiling and stop; a panic in fn is
// ErrInternal (logged with its stack). The environment rides on fn's context for the client.
func (s *Session) Do(ctx context.Context, fn func(context.Context) error) error {
	ctx, release := s.abortable(ctx)
	defer release()
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-s.sem }()
	if err := context.Cause(ctx); err != nil {
		return err // stopped while it waited: never sent
	}
	if s.calls.Add(1) > int64(s.cfg.MaxCalls) {
		return &CallLimitError{Max: s.cfg.MaxCalls}
	}
	err := guard(s.cfg.Log, func() error { return fn(s.withEnv(ctx)) })
	if cause := s.Aborted(); err != nil && cause != nil {
		return cause // what the caller is told, rather than how the call broke off
	}
	return err
}

func (s *Session) withEnv(ctx context.Context) context.Context {
	if s.env == "" {
		return ctx
	}
	return upstream.WithEnvType(ctx, s.env)
}

// guard runs fn, turning a panic into ErrInternal (logged with its stack), so that a bug in one
// call fails that call's fields and never leaves waiters hanging or kills the process.
func guard(log *slog.Logger, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic in an upstream call", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = ErrInternal
		}
	}()
	return fn()
}
