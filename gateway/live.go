package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/live"
)

// Subscriptions travel over WebSocket (graphql-transport-ws, and the older graphql-ws) and over
// Server-Sent Events. A browser cannot set headers on a WebSocket, so such a connection is
// authenticated by its connection_init payload, by the same rules as a request; it closes with
// 4401 when its token expires, 4403 when it is not allowed.

// Close codes of the graphql-transport-ws protocol.
const (
	closeUnauthorized = 4401
	closeForbidden    = 4403
)

// liveEngine runs the subscriptions' pollers, shared through Redis when the replicas have one.
func (g *Gateway) liveEngine() (*live.Engine, error) {
	if g.cfg.LiveOff {
		return nil, nil
	}
	coord := live.Local()
	if g.redis != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := live.NewRedis(ctx, g.redis, 10*g.cfg.Live.Interval+time.Minute, g.log)
		if err != nil {
			return nil, err
		}
		g.closers = append(g.closers, r.Close)
		coord = r
	}
	e := live.New(g.cfg.Live, coord, g.log)
	g.closers = append([]func(){e.Close}, g.closers...) // pollers stop before what they use
	if g.metrics != nil {
		g.metrics.Register(e.Stats().Collectors()...)
	}
	return e, nil
}

// subscriptionTransports serve subscriptions over WebSocket; Server-Sent Events are served by
// the SSE transport of incrementalTransports, which carries @defer parts and subscription events
// alike.
func (g *Gateway) subscriptionTransports() []graphql.Transport {
	var patterns []string
	for _, o := range g.corsOrigins() {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			patterns = append(patterns, u.Host)
		}
	}
	return []graphql.Transport{
		transport.Websocket{
			Implementation:        trackedWebsocket{transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{OriginPatterns: patterns}}},
			InitFunc:              g.websocketInit,
			InitTimeout:           10 * time.Second,
			KeepAlivePingInterval: 15 * time.Second,
			PingPongInterval:      15 * time.Second,
		},
	}
}

// websocketInit authenticates a connection from its connection_init payload (and, for clients
// that can send them, the upgrade request's headers), and closes it when the token expires.
func (g *Gateway) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	h := http.Header{}
	if c := connectionOf(ctx); c != nil {
		h = c.headers.Clone()
	}
	for k, v := range payload {
		if s, ok := v.(string); ok {
			h.Set(k, s)
		}
	}
	v, expires, err := g.auth.Authenticate(h)
	if err != nil {
		code := closeUnauthorized
		if auth.IsForbidden(err) {
			code = closeForbidden
		}
		return transport.WithWebsocketCloseCode(ctx, code), nil, err
	}
	if c := connectionOf(ctx); c != nil && !expires.IsZero() {
		c.closeAt(ctx, expires, closeUnauthorized, "the token expired")
	}
	return auth.WithViewer(ctx, v), nil, nil
}

// streaming lets WebSocket upgrades past HTTP authentication (the connection authenticates in
// connection_init), and lifts the server's write deadline from every long-lived answer.
func (g *Gateway) streaming(authenticate func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		authed := authenticate(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			upgrade := strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
			if upgrade || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
				rc := http.NewResponseController(w)
				_ = rc.SetWriteDeadline(time.Time{})
				_ = rc.SetReadDeadline(time.Time{})
			}
			if upgrade {
				c := &connection{headers: r.Header.Clone()}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), connectionKey{}, c)))
				return
			}
			authed.ServeHTTP(w, r)
		})
	}
}

// connection is what the gateway keeps of one WebSocket: the upgrade's headers, and the socket,
// to close it with a code of its own.
type connection struct {
	headers http.Header

	mu   sync.Mutex
	conn transport.WebsocketConn
}

type connectionKey struct{}

func connectionOf(ctx context.Context) *connection {
	c, _ := ctx.Value(connectionKey{}).(*connection)
	return c
}

// closeAt closes the connection with code at t, unless it ended before.
func (c *connection) closeAt(ctx context.Context, t time.Time, code int, reason string) {
	timer := time.NewTimer(time.Until(t))
	go func() {
		defer timer.Stop()
		select {
		case <-timer.C:
			c.mu.Lock()
			conn := c.conn
			c.mu.Unlock()
			if conn != nil {
				_ = conn.WriteClose(code, reason)
				_ = conn.Close()
			}
		case <-ctx.Done():
		}
	}()
}

// trackedWebsocket hands the accepted socket to the connection it belongs to.
type trackedWebsocket struct {
	transport.CoderWebsocketImplementation
}

func (t trackedWebsocket) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := t.CoderWebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, fmt.Errorf("accepting a websocket: %w", err)
	}
	if c := connectionOf(r.Context()); c != nil {
		c.mu.Lock()
		c.conn = conn
		c.mu.Unlock()
	}
	return conn, nil
}
