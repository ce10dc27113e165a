package loader

import (
	"context"
	"sync"
	"time"

	"github.com/wedagraph/gateway/upstream"
)

// userBatcher gathers user lookups into as few OData calls as possible. A fixed time window
// (what dataloadgen offers) splits a screen's lookups when the calls that produce them finish
// spread out: the inbox's 40 list calls gave 2-3 user calls under load. Here a batch is sent
// once the request has no other upstream call in flight and nothing new arrived for a quiet
// period, or when it is full, or when it has waited maxWait.
type userBatcher struct {
	l       *Loaders
	quiet   time.Duration
	maxWait time.Duration

	mu        sync.Mutex
	results   map[string]*userResult
	pending   []string
	lastAdd   time.Time
	scheduled bool
}

type userResult struct {
	done chan struct{}
	user *upstream.User
	err  error
}

func newUserBatcher(l *Loaders, quiet time.Duration) *userBatcher {
	return &userBatcher{l: l, quiet: quiet, maxWait: 20 * quiet, results: map[string]*userResult{}}
}

func (b *userBatcher) load(ctx context.Context, id string) (*upstream.User, error) {
	b.mu.Lock()
	r, found := b.results[id]
	if !found {
		r = &userResult{done: make(chan struct{})}
		b.results[id] = r
		b.pending = append(b.pending, id)
		b.lastAdd = time.Now()
		if !b.scheduled {
			b.scheduled = true
			go b.dispatch(context.WithoutCancel(ctx))
		}
	}
	b.mu.Unlock()
	select {
	case <-r.done:
		return r.user, own(r.err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dispatch sends batches until none is pending. It runs detached from any one caller's
// cancellation, since several callers share each batch; each batch is bounded by maxWait.
func (b *userBatcher) dispatch(ctx context.Context) {
	start := time.Now()
	tick := time.NewTicker(max(b.quiet/5, 50*time.Microsecond)) // a tiny quiet period must not be 0
	defer tick.Stop()
	for range tick.C {
		b.mu.Lock()
		settled := time.Since(b.lastAdd) >= b.quiet && b.l.idleFor(b.quiet)
		if !(settled || len(b.pending) >= upstream.MaxUsersPerBatch || time.Since(start) >= b.maxWait) {
			b.mu.Unlock()
			continue
		}
		keys := b.pending[:min(len(b.pending), upstream.MaxUsersPerBatch)]
		b.pending = b.pending[len(keys):]
		more := len(b.pending) > 0
		b.scheduled = more
		b.mu.Unlock()

		b.fetch(ctx, keys)
		if !more {
			return
		}
		start = time.Now()
	}
}

func (b *userBatcher) fetch(ctx context.Context, ids []string) {
	found, missing := b.l.cachedUsers(ctx, ids)
	var err error
	if len(missing) > 0 {
		fetched := map[string]*upstream.User{}
		err = b.l.Do(ctx, func(ctx context.Context) error {
			uids := make([]upstream.ID, len(missing))
			for i, id := range missing {
				uids[i] = upstream.ID(id)
			}
			users, err := b.l.client.GetUsersByIDs(ctx, uids)
			for i := range users {
				fetched[string(users[i].ID)] = &users[i]
			}
			return err
		})
		b.l.rememberUsers(ctx, fetched)
		for id, u := range fetched {
			found[id] = u
		}
	}
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

func (b *userBatcher) forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, r := range b.results {
		select {
		case <-r.done:
			delete(b.results, id)
		default:
		}
	}
}
