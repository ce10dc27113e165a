// Package userbatch gathers the user lookups of one GraphQL operation into as few WeDa calls as
// possible, without a clock: it is the one gqlgen-aware loader, since it counts the operation's
// fields through gqlgen's field contexts (batching.go) to know when no field can still ask.
package userbatch

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"

	"github.com/wedagraph/gateway/session"
	"github.com/wedagraph/gateway/upstream"
)

// Batcher gathers the user lookups of an operation into as few OData calls as possible,
// without a clock. A batch goes when no work of the request can still ask for another user:
// every field resolver that started (or is known to be about to start) has finished or is
// waiting on this batch. Upstream calls happen inside resolvers, so a resolver waiting on WeDa
// still counts as work that may ask for users when its answer comes. The field middleware
// (batching.go) keeps the count; without it (a batcher used outside GraphQL) every lookup sees
// no other work and its batch goes at once.
//
// A time window splits a screen's lookups whenever the calls that produce them finish spread
// out (the inbox's 40 list calls gave 2–3 user calls under CPU load); counting does not.
type Batcher struct {
	sess *session.Session

	// busy is the request's work that may still ask for users: resolvers running or announced,
	// less those waiting on a batch. It may dip below zero when one resolver waits from several
	// goroutines; that only sends a batch early, never holds one back.
	busy atomic.Int64

	mu      sync.Mutex
	base    context.Context // the request's values (its environment), for the batches' calls
	results map[string]*userResult
	pending []string
	pools   map[*graphql.FieldContext]*pool // announced children, by the field that returned them
}

type userResult struct {
	done chan struct{}
	user *upstream.User
	err  error
}

// New returns the batcher of one operation, whose calls go through sess.
func New(sess *session.Session) *Batcher {
	return &Batcher{sess: sess, results: map[string]*userResult{}, pools: map[*graphql.FieldContext]*pool{}}
}

type ctxKey struct{}

// With returns ctx carrying the operation's batcher.
func With(ctx context.Context, b *Batcher) context.Context {
	return context.WithValue(ctx, ctxKey{}, b)
}

// From returns the operation's batcher; ok is false when none was installed.
func From(ctx context.Context) (b *Batcher, ok bool) {
	b, ok = ctx.Value(ctxKey{}).(*Batcher)
	return b, ok
}

// User returns a user by id, batched with every other lookup of the operation; nil when unknown.
func (b *Batcher) User(ctx context.Context, id string) (*upstream.User, error) {
	if id == "" {
		return nil, nil
	}
	users, err := b.load(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return users[0], nil
}

// Users returns the users with the given ids that exist, in order, in one batch.
func (b *Batcher) Users(ctx context.Context, ids []string) ([]*upstream.User, error) {
	users, err := b.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*upstream.User, 0, len(users))
	for _, u := range users {
		if u != nil {
			out = append(out, u)
		}
	}
	return out, nil
}

// register remembers the children fc announced (nil: the operation's root fields).
func (b *Batcher) register(fc *graphql.FieldContext, p *pool) {
	b.mu.Lock()
	b.pools[fc] = p
	b.mu.Unlock()
}

// enter counts n units of work that may ask for users.
func (b *Batcher) enter(n int64) { b.busy.Add(n) }

// leave uncounts one unit; when none is left, whatever is pending goes.
func (b *Batcher) leave() {
	if b.busy.Add(-1) <= 0 {
		b.dispatch()
	}
}

// load returns the users with the given ids (nil for an unknown id), all from batches.
func (b *Batcher) load(ctx context.Context, ids []string) ([]*upstream.User, error) {
	b.mu.Lock()
	if b.base == nil {
		// Detached from any one asker's cancellation: several resolvers share each batch, and
		// the client's timeout bounds its call.
		b.base = context.WithoutCancel(ctx)
	}
	waits := make([]*userResult, len(ids))
	for i, id := range ids {
		r, found := b.results[id]
		if !found {
			r = &userResult{done: make(chan struct{})}
			b.results[id] = r
			b.pending = append(b.pending, id)
		}
		waits[i] = r
	}
	b.mu.Unlock()

	// This resolver now waits on the batch: it asks for nothing more until the batch answers,
	// and neither do the fields that gqlgen starts only after it.
	if n := b.release(ctx); n > 0 {
		b.busy.Add(-n)
	}
	b.leave()
	defer b.enter(1)
	out := make([]*upstream.User, len(ids))
	for i, r := range waits {
		select {
		case <-r.done:
			if r.err != nil {
				return nil, r.err
			}
			out[i] = r.user
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// dispatch sends what is pending, if no work is left that could add to it.
func (b *Batcher) dispatch() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.busy.Load() > 0 {
		return
	}
	for len(b.pending) > 0 {
		keys := b.pending[:min(len(b.pending), upstream.MaxUsersPerBatch)]
		b.pending = b.pending[len(keys):]
		go b.fetch(b.base, keys)
	}
}

func (b *Batcher) fetch(ctx context.Context, ids []string) {
	found, err := b.sess.GetUsersByIDs(ctx, ids)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		r := b.results[id]
		r.user, r.err = found[id], err
		if err != nil {
			delete(b.results, id) // a failed lookup may be asked again
		}
		close(r.done)
	}
}
