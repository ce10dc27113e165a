package upstream

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Coalescing of identical reads in flight (what Tailcall's dedupe and Apollo Router's subgraph
// query deduplication do): while a read is on its way, an identical read — same environment,
// endpoint, query and canonical body (the marshalled JSON bytes), from the same client and so
// with the same upstream credential — waits for that call instead of sending its own.
//
//   - Writes never share.
//   - Nothing is kept: the moment the call returns, the next identical read is a call of its own.
//   - The shared call runs detached from every caller, with its own time budget: a caller that
//     gives up returns at once with its own cancellation, and the others keep waiting. When the
//     last waiter has left, the call is canceled.
//   - The answer is decoded once, into the first caller's type, and each caller gets a deep copy
//     of it (see cloneInto): no two requests share a mutable struct. A caller asking for another
//     type decodes the raw answer itself. A failure reaches each waiter as its own copy of the
//     *Error.
//   - A read never joins a call that started before a write through this client began: what a
//     mutation reads back after its write, and the checks of a write's effect that make retries
//     exactly-once, always see the upstream after the write.
//
// Authorization is not the client's business: per-viewer bodies carry the user, so different
// viewers never share, and the gateway decides per request what a viewer may see.

// flights holds the shared reads in flight, by key.
type flights struct {
	mu     sync.Mutex
	m      map[string]*flight
	writes atomic.Uint64 // writes begun: a flight is joined only while none began since it started
	// joined, when set (tests), is told how many callers wait on a flight after each join.
	joined  func(waiters int)
	decodes atomic.Int64 // shared answers decoded (tests: once per flight)
}

// flight is one shared read.
type flight struct {
	done      chan struct{} // closed once answer and err are set
	ctx       context.Context
	cancel    context.CancelFunc
	requestID string // the X-Request-Id the shared call sends
	writes    uint64 // flights.writes when it started
	waiters   int    // guarded by flights.mu
	finished  bool   // guarded by flights.mu
	answer    sharedAnswer
	err       error
	// into is the first caller's answer type (a pointer type); decoded holds the answer decoded
	// into a value of it, or decodeErr why it could not be.
	into      reflect.Type
	decoded   any
	decodeErr error
}

// sharedAnswer is a read's answer before it is decoded into a caller's types: the Data of a
// workflow answer, or the body of an OData one.
type sharedAnswer struct {
	data      []byte // nil: the answer had nothing to decode
	status    int
	requestID string
}

func (a *sharedAnswer) setRequestID(id string) { a.requestID = id }

func flightKey(env string, cl call, payload []byte) string {
	var b strings.Builder
	b.Grow(len(env) + len(cl.method) + len(cl.path) + len(payload) + 8)
	b.WriteString(env)
	b.WriteByte(0)
	b.WriteString(cl.method)
	b.WriteByte(' ')
	b.WriteString(cl.path)
	if cl.query != nil {
		b.WriteByte('?')
		b.WriteString(cl.query.Encode()) // sorted by key: canonical
	}
	b.WriteByte(0)
	b.Write(payload)
	return b.String()
}

// join adds the caller to the flight for key, starting one (leader true) if there is none.
func (fs *flights) join(key string, start func() *flight) (f *flight, leader bool) {
	writes := fs.writes.Load()
	fs.mu.Lock()
	f = fs.m[key]
	if f == nil || f.writes != writes { // none, or one that may have read before a write
		f, leader = start(), true
		f.writes = writes
		if fs.m == nil {
			fs.m = map[string]*flight{}
		}
		fs.m[key] = f
	}
	f.waiters++
	n, hook := f.waiters, fs.joined
	fs.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return f, leader
}

// leave takes away a caller that stopped waiting; the last one to leave cancels the call.
func (fs *flights) leave(key string, f *flight) {
	fs.mu.Lock()
	f.waiters--
	last := f.waiters == 0 && !f.finished
	if last && fs.m[key] == f {
		delete(fs.m, key)
	}
	fs.mu.Unlock()
	if last {
		f.cancel()
	}
}

// finish forgets the flight, then hands its result to the waiters.
func (fs *flights) finish(key string, f *flight) {
	fs.mu.Lock()
	f.finished = true
	if fs.m[key] == f {
		delete(fs.m, key)
	}
	fs.mu.Unlock()
	close(f.done)
}

// shared sends a read through the flight for its key and decodes the answer into out.
func (c *Client) shared(ctx context.Context, cl call, payload []byte, out any) error {
	if err := ctx.Err(); err != nil { // gone already: start nothing
		return transportError(cl.endpoint, "", err, false)
	}
	key := flightKey(c.EnvFor(ctx), cl, payload)
	f, leader := c.flights.join(key, func() *flight {
		// Detached from the leader's cancellation, keeping its values (the environment, the
		// trace), with a budget of its own: every attempt and the waits between them.
		budget := c.timeout*time.Duration(c.attempts) + c.maxDelay*time.Duration(c.attempts-1)
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
		return &flight{done: make(chan struct{}), ctx: fctx, cancel: cancel, requestID: newRequestID(),
			into: reflect.TypeOf(out)}
	})
	if leader {
		go c.sendShared(key, f, cl, payload)
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		c.flights.leave(key, f)
		return transportError(cl.endpoint, f.requestID, ctx.Err(), false)
	}
	if f.err != nil {
		return copyForWaiter(f.err)
	}
	a := f.answer
	if a.data == nil {
		return nil
	}
	if f.into != nil && reflect.TypeOf(out) == f.into {
		if f.decodeErr != nil {
			return copyForWaiter(f.decodeErr)
		}
		cloneInto(out, f.decoded)
		return nil
	}
	if err := decodeInto(cl.endpoint, a.status, a.requestID, a.data, out); err != nil {
		return err
	}
	rezone(out, c.zone)
	return nil
}

// sendShared makes a shared call for every waiter: detached from any one of them, it runs to its
// end whoever leaves, and its answer is decoded once.
func (c *Client) sendShared(key string, f *flight, cl call, payload []byte) {
	defer c.flights.finish(key, f)
	defer f.cancel()
	defer func() {
		if v := recover(); v != nil {
			f.err = &Error{Endpoint: cl.endpoint, Kind: KindUnknown, RequestID: f.requestID,
				Message: fmt.Sprintf("internal error in a shared call: %v", v)}
		}
	}()
	f.err = c.send(f.ctx, cl, payload, f.requestID, &f.answer)
	if f.err != nil || f.answer.data == nil || f.into == nil || f.into.Kind() != reflect.Pointer {
		return
	}
	decoded := reflect.New(f.into.Elem()).Interface()
	a := f.answer
	if f.decodeErr = decodeInto(cl.endpoint, a.status, a.requestID, a.data, decoded); f.decodeErr == nil {
		if rs, ok := decoded.(interface{ setRequestID(string) }); ok {
			rs.setRequestID(a.requestID)
		}
		rezone(decoded, c.zone)
		f.decoded = decoded
	}
	c.flights.decodes.Add(1)
}

// copyForWaiter gives a waiter its own copy of a shared failure.
func copyForWaiter(err error) error {
	var ue *Error
	if errors.As(err, &ue) {
		own := *ue
		return &own
	}
	return err
}

// keep records a shared answer's raw bytes instead of decoding them; see decodeInto.
func (a *sharedAnswer) keep(data []byte, status int) {
	a.data, a.status = data, status
	if a.data == nil {
		a.data = []byte{}
	}
}
