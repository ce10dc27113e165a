package graph

import "context"

// events maps a domain subscription's values to the graph's events. Each event is resolved as an
// operation of its own: the subscription's session starts over before it (its fields read
// afresh, with a ceiling of their own).
func events[T, M any](ctx context.Context, in <-chan T, event func(T) M) <-chan M {
	if in == nil {
		return nil
	}
	sess := sessionOf(ctx)
	out := make(chan M)
	go func() {
		defer close(out)
		for v := range in {
			sess.Reset()
			select {
			case out <- event(v):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
