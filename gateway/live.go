package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/wedagraph/gateway/live"
)

// Subscriptions travel over WebSocket (graphql-transport-ws) and over Server-Sent Events
// (streams.go, package delivery). A browser cannot set headers on a WebSocket, so such a
// connection is authenticated by its connection_init payload, by the same rules as a request.

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
				next.ServeHTTP(w, r)
				return
			}
			authed.ServeHTTP(w, r)
		})
	}
}
