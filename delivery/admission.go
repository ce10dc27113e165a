package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// A Ticket is an operation's admission: what it counts against the bounds of the work in flight.
// The gateway issues one to every operation before it runs and puts it on its context.
type Ticket interface {
	// Stream turns the operation into a long-lived stream (a subscription): it stops counting as
	// an operation in flight, and counts as a connection if its transport is not one already. A
	// refusal is a *Refusal.
	Stream() error
}

type ticketKey struct{}

// WithTicket returns ctx carrying the operation's ticket.
func WithTicket(ctx context.Context, t Ticket) context.Context {
	return context.WithValue(ctx, ticketKey{}, t)
}

// TicketOf returns the ticket on ctx; without one, every stream is admitted.
func TicketOf(ctx context.Context) Ticket {
	if t, ok := ctx.Value(ticketKey{}).(Ticket); ok {
		return t
	}
	return freeTicket{}
}

type freeTicket struct{}

func (freeTicket) Stream() error { return nil }

// A Refusal is an immediate, clear no: over a bound of the work in flight, or a rate. It is an
// HTTP answer with its status (and Retry-After), or, on a WebSocket, the operation's error.
type Refusal struct {
	Status     int           // 429 for a client's own bound, 503 for the process's
	Code       string        // extensions.code
	Message    string        //
	RetryAfter time.Duration // when trying again makes sense
}

func (r *Refusal) Error() string { return r.Message }

// Write answers the HTTP request with the refusal.
func (r *Refusal) Write(w http.ResponseWriter) {
	if r.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((r.RetryAfter+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.Status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{r.graphQLError()}})
}

func (r *Refusal) graphQLError() map[string]any {
	ext := map[string]any{"code": r.Code}
	if r.RetryAfter > 0 {
		ext["retryAfter"] = r.RetryAfter.Seconds()
	}
	return map[string]any{"message": r.Message, "extensions": ext}
}

// writeRefusal answers with err when it is a Refusal, else with a 500.
func writeRefusal(w http.ResponseWriter, err error) {
	var r *Refusal
	if !errors.As(err, &r) {
		r = &Refusal{Status: http.StatusInternalServerError, Code: "INTERNAL_SERVER_ERROR", Message: "internal server error"}
	}
	r.Write(w)
}

// ErrRestart is why streams end when the process stops: their clients should reconnect (to
// another replica), not take it for the end of their subscription.
var ErrRestart = errors.New("the gateway is restarting")

// Streams are the long-lived connections of a process (WebSockets and SSE streams), so that a
// restart can tell each to reconnect.
type Streams struct {
	mu      sync.Mutex
	closing bool
	open    map[*openStream]struct{}
	gone    chan struct{} // signalled when one ends
}

type openStream struct{ stop func() }

// NewStreams returns an empty registry.
func NewStreams() *Streams {
	return &Streams{open: map[*openStream]struct{}{}, gone: make(chan struct{}, 1)}
}

// add registers a stream that stop ends (telling its client to reconnect); remove unregisters it
// when it has ended. ok is false once the process is stopping.
func (s *Streams) add(stop func()) (remove func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, false
	}
	o := &openStream{stop: stop}
	s.open[o] = struct{}{}
	return func() {
		s.mu.Lock()
		delete(s.open, o)
		s.mu.Unlock()
		select {
		case s.gone <- struct{}{}:
		default:
		}
	}, true
}

// Len is how many streams are open.
func (s *Streams) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// Shutdown tells every stream to end (a WebSocket closes with 1012, service restart, once its
// running queries and mutations have answered; an SSE stream ends without `complete`), refuses
// new ones, and waits until all have ended or ctx ends.
func (s *Streams) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for o := range s.open {
		go o.stop()
	}
	s.mu.Unlock()
	for {
		if n := s.Len(); n == 0 {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("%d streams still open: %w", n, ctx.Err())
		}
		select {
		case <-s.gone:
		case <-ctx.Done():
		}
	}
}
