package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// SSE serves graphql-sse's protocol (distinct connections mode): a POST with Accept:
// text/event-stream is answered with an event `next` for each answer — a subscription's events,
// a deferred query's parts — and `complete` when the operation has ended on its own. A
// subscription is a long-lived stream: admitted as one (Ticket.Stream), ended when its client
// goes, when its credential expires, and when the process stops — then without `complete`, so
// that graphql-sse reconnects (and authenticates again) instead of taking it for the end.
type SSE struct {
	Streams      *Streams
	KeepAlive    time.Duration                       // a comment line this often keeps proxies from closing an idle stream
	WriteTimeout time.Duration                       // one event's write; DefaultWriteTimeout when zero
	Expires      func(ctx context.Context) time.Time // when the request's credential expires (zero: never)
}

var _ graphql.Transport = SSE{}

// Supports implements graphql.Transport.
func (SSE) Supports(r *http.Request) bool { return postsJSON(r, "text/event-stream") }

// Do implements graphql.Transport.
func (t SSE) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	params, ok := readParams(w, r)
	if !ok {
		return
	}
	oc, errs := exec.CreateOperationContext(ctx, params)
	stream := errs == nil && oc.Operation.Operation == ast.Subscription
	if stream {
		if err := TicketOf(ctx).Stream(); err != nil {
			writeRefusal(w, err)
			return
		}
		remove, ok := t.Streams.add(cancel)
		if !ok {
			writeRefusal(w, &Refusal{Status: http.StatusServiceUnavailable, Code: "RATE_LIMITED",
				Message: ErrRestart.Error() + ": reconnect", RetryAfter: time.Second})
			return
		}
		defer remove()
		if exp := t.expires(ctx); !exp.IsZero() {
			stop := time.AfterFunc(time.Until(exp), cancel) // the client reconnects with a fresh credential
			defer stop.Stop()
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	out := newStreamWriter(w, t.WriteTimeout)
	defer out.close() // a ping under way must not write once the handler has returned
	if out.write([]byte(":\n\n")) != nil {
		return
	}
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		_ = out.write(sseEvent(resp))
		_ = out.write([]byte("event: complete\ndata:\n\n"))
		return
	}
	if t.KeepAlive > 0 {
		ping := keepAlive(t.KeepAlive, func() { _ = out.write([]byte(": ping\n\n")) })
		defer ping.Stop()
	}
	responses, octx := exec.DispatchOperation(ctx, oc)
	for {
		resp := responses(octx)
		if resp == nil {
			break
		}
		if out.write(sseEvent(resp)) != nil {
			cancel() // gone, or not reading: stop the work, then read it to its end
			if !stream {
				Drain(octx, responses)
			}
			return
		}
	}
	if ctx.Err() != nil {
		return // ended by its client, its credential or a restart: no `complete`, so clients reconnect
	}
	_ = out.write([]byte("event: complete\ndata:\n\n"))
}

func (t SSE) expires(ctx context.Context) time.Time {
	if t.Expires == nil {
		return time.Time{}
	}
	return t.Expires(ctx)
}

func sseEvent(resp *graphql.Response) []byte {
	data, err := json.Marshal(resp)
	if err != nil {
		data = []byte(`{"errors":[{"message":"the answer could not be written","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
	}
	var b bytes.Buffer
	b.Grow(len(data) + 20)
	b.WriteString("event: next\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	return b.Bytes()
}

// pinger calls ping every interval until stopped, with no goroutine of its own in between.
type pinger struct {
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func keepAlive(interval time.Duration, ping func()) *pinger {
	p := &pinger{}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = time.AfterFunc(interval, func() {
		ping()
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.stopped {
			p.timer.Reset(interval)
		}
	})
	return p
}

// Stop ends the pings; one already under way may still finish.
func (p *pinger) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	p.timer.Stop()
}
