package session

import "context"

// A query's resolvers run on a context that its client's departure or its deadline does not
// cancel: gqlgen hands each deferred fragment's result to the response only while that context
// lives, and a result it drops leaves the response waiting for it for good. So the operation is
// stopped here instead, below gqlgen: Abort fails the calls in flight and every later one, and the
// fragments then finish at once, with errors, and are read to the end.

// Abort fails every upstream call of the session in flight, and every later one, with cause
// (context.Canceled when the client left, a deadline's cause at the operation's deadline).
func (s *Session) Abort(cause error) {
	s.stop(cause)
}

// Aborted reports the cause Abort was given, or nil.
func (s *Session) Aborted() error {
	if s.stopped.Err() == nil {
		return nil
	}
	return context.Cause(s.stopped)
}

// abortable returns ctx, which the call's work uses, cancelled as well when the session is
// aborted; release frees what that took.
func (s *Session) abortable(ctx context.Context) (context.Context, func()) {
	if ctx.Done() == nil {
		// Nothing else can cancel it (a query's resolvers): the abort is the only end, and the
		// call keeps ctx's values.
		return valuesOf{Context: s.stopped, values: ctx}, func() {}
	}
	c, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(s.stopped, func() { cancel(context.Cause(s.stopped)) })
	return c, func() { stop(); cancel(nil) }
}

// valuesOf is a context whose end is its embedded one's and whose values are another's.
type valuesOf struct {
	context.Context // done, err, deadline
	values          context.Context
}

func (c valuesOf) Value(key any) any { return c.values.Value(key) }
