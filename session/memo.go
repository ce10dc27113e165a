package session

import (
	"context"
	"encoding/json"
)

// memo makes the call named by key at most once per operation; concurrent callers wait for it.
func memo[T any](ctx context.Context, s *Session, key string, fn func(context.Context) (T, error)) (T, error) {
	s.mu.Lock()
	e, found := s.memo[key]
	if !found {
		e = &entry{done: make(chan struct{})}
		s.memo[key] = e
	}
	s.mu.Unlock()
	if !found {
		func() {
			defer close(e.done) // whatever happens, the waiters are released
			e.err = s.Do(ctx, func(ctx context.Context) error {
				v, err := fn(ctx)
				e.val = v
				return err
			})
		}()
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	v, _ := e.val.(T)
	return v, e.err
}

// key names a call: its endpoint and its request's body.
func key(endpoint string, req any) string {
	var b []byte
	if m, ok := req.(json.Marshaler); ok { // the client's request bodies write themselves
		b, _ = m.MarshalJSON()
	} else {
		b, _ = json.Marshal(req)
	}
	return endpoint + ":" + string(b)
}
