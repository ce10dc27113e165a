package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/delivery"
	"github.com/wedagraph/gateway/graph"
	"github.com/wedagraph/gateway/idempotency"
)

// An operation is an operation, whatever carries it: an HTTP request, one message on a
// WebSocket, an SSE stream, the deferred parts of an answer. Each gets the same edge — its own
// session (memo, call ceiling), the user's rate limit, a place in the work in flight, a
// deadline, its own log line — and a long-lived connection is bounded, ends when its credential
// expires, and is told to reconnect when the process stops.

// transports deliver answers, in the order gqlgen tries them (the first whose Supports matches).
func (g *Gateway) transports() []graphql.Transport {
	st := g.cfg.Streams
	keepAlive := or(st.KeepAlive, 15*time.Second)
	var ts []graphql.Transport
	if g.live != nil {
		ts = append(ts, delivery.WebSocket{Hooks: socketHooks{g}, Streams: g.streams, Origins: g.originHosts(),
			ReadLimit: g.cfg.Limits.MaxBodyBytes, InitTimeout: or(st.InitTimeout, 10*time.Second), KeepAlive: keepAlive,
			WriteTimeout: st.WriteTimeout, Log: g.log})
	}
	return append(ts,
		delivery.SSE{Streams: g.streams, KeepAlive: keepAlive, WriteTimeout: st.WriteTimeout, Expires: credentialExpiry},
		delivery.Multipart{WriteTimeout: st.WriteTimeout},
		delivery.Whole{Transport: transport.GET{}},
		delivery.Whole{Transport: transport.POST{}},
	)
}

// operations bounds every query and mutation (delivery.Operations): its deadline, and the stop
// of a query's upstream work through its session.
func (g *Gateway) operations(schemaOf graphql.ExecutableSchema) delivery.Operations {
	return delivery.Operations{Timeout: g.cfg.Streams.OperationTimeout, Schema: schemaOf.Schema(),
		Stop: func(ctx context.Context, cause error) {
			if st := statsOf(ctx); st != nil && st.session != nil {
				st.session.Abort(cause)
			}
		}}
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func credentialExpiry(ctx context.Context) time.Time {
	v, _ := auth.FromContext(ctx)
	return v.Expires
}

// originHosts are the hosts of CORS_ORIGINS, which may open a WebSocket from a browser.
func (g *Gateway) originHosts() []string {
	var hosts []string
	for _, o := range g.corsOrigins() {
		if _, host, ok := strings.Cut(o, "://"); ok && host != "" {
			hosts = append(hosts, host)
		}
	}
	return hosts
}

// admit gives each HTTP request its place among the operations in flight, or refuses it at
// once. A WebSocket is admitted as a connection instead (socketHooks.Connect), its operations
// one by one.
func (g *Gateway) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		v, _ := auth.FromContext(r.Context())
		t, refusal := g.inflight.admit(v.UserID, false)
		if refusal != nil {
			refusal.Write(w)
			return
		}
		defer t.release()
		next.ServeHTTP(w, r.WithContext(delivery.WithTicket(r.Context(), t)))
	})
}

// InFlight reports the operations running and the long-lived connections open now.
func (g *Gateway) InFlight() (operations, connections int) { return g.inflight.counts() }

// socketHooks are the gateway's decisions for a WebSocket and its operations.
type socketHooks struct{ g *Gateway }

// socketState is what the gateway keeps of one authenticated socket.
type socketState struct {
	viewer  auth.Viewer
	stats   *requestStats // the upgrade request's log line, which names the socket's operations
	mu      sync.Mutex
	running int
}

type socketKey struct{}

func (h socketHooks) Connect(*http.Request) (func(), error) {
	if r := h.g.inflight.takeConn(); r != nil {
		return nil, r
	}
	return h.g.inflight.dropConn, nil
}

// Init authenticates the socket by the rules of a request: the upgrade's headers, and for a
// browser, which cannot set them, connection_init's payload standing in for them.
func (h socketHooks) Init(ctx context.Context, headers http.Header, payload map[string]any) (delivery.Session, error) {
	hs := headers.Clone()
	for k, v := range payload {
		if s, ok := v.(string); ok {
			hs.Set(k, s)
		}
	}
	v, expires, err := h.g.auth.Authenticate(hs)
	if err != nil {
		code := delivery.CloseUnauthorized
		if auth.IsForbidden(err) {
			code = delivery.CloseForbidden
		}
		return delivery.Session{}, &delivery.CloseError{Code: code, Reason: err.Error()}
	}
	if r := h.g.inflight.takeViewerConn(v.UserID); r != nil {
		return delivery.Session{}, &delivery.CloseError{Code: delivery.CloseTryAgainLater, Reason: r.Message}
	}
	markAuthenticated(ctx) // the upgrade is not an unauthenticated request at the address stage
	if st := statsOf(ctx); st != nil {
		st.viewer = v.UserID
	}
	state := &socketState{viewer: v, stats: statsOf(ctx)}
	ctx = context.WithValue(auth.WithViewer(ctx, v), socketKey{}, state)
	return delivery.Session{Context: ctx, Expires: expires, Release: func() { h.g.inflight.dropViewerConn(v.UserID) }}, nil
}

// Begin admits one operation of a socket as the edge admits a request: the user's rate limit,
// the bounds of the work in flight (this socket's, the viewer's, the process's), and then its
// own session, its own idempotency key (from its extensions, never the upgrade's header) and
// its own log line.
func (h socketHooks) Begin(ctx context.Context, op delivery.SocketOperation) (context.Context, func(), error) {
	g := h.g
	state, _ := ctx.Value(socketKey{}).(*socketState)
	viewer := state.viewer.UserID
	if g.users != nil {
		if ok, wait := g.users.allow((&http.Request{}).WithContext(ctx), viewer); !ok {
			return nil, nil, &delivery.Refusal{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED",
				Message: g.users.message(), RetryAfter: wait}
		}
	}
	if !state.take(g.cfg.Streams.MaxOperationsPerConnection) {
		return nil, nil, g.inflight.refuse("MAX_OPERATIONS_PER_CONNECTION", &delivery.Refusal{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED", RetryAfter: retryAfter,
			Message: "more than " + strconv.Itoa(g.cfg.Streams.MaxOperationsPerConnection) + " operations at once on this connection: wait for one to answer"})
	}
	t, refusal := g.inflight.admit(viewer, true)
	if refusal != nil {
		state.drop()
		return nil, nil, refusal
	}
	sess := g.newSession(ctx)
	st := &requestStats{session: sess, viewer: viewer}
	ctx = context.WithValue(graph.WithSession(ctx, sess), statsKey{}, st)
	ctx = idempotency.WithHeaderKey(ctx, idempotencyKeyOf(op.Extensions))
	ctx = delivery.WithTicket(ctx, t)
	start := time.Now()
	return ctx, func() {
		t.release()
		state.drop()
		g.logOperation(ctx, st, state.stats, op.ID, start)
	}, nil
}

// idempotencyKeyOf is an operation's own idempotency key: extensions.idempotencyKey.
func idempotencyKeyOf(ext map[string]any) string {
	k, _ := ext["idempotencyKey"].(string)
	return k
}

func (s *socketState) take(max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running >= max {
		return false
	}
	s.running++
	return true
}

func (s *socketState) drop() {
	s.mu.Lock()
	s.running--
	s.mu.Unlock()
}
