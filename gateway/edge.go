package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/httprate"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/wedagraph/gateway/auth"
)

// The edge is what a request meets before GraphQL runs, cheapest first: the rate by client
// address (before anything is read or verified, so an anonymous flood costs a counter), the body
// size, authentication, then the rate by user. README's "The order of the bounds" says the same.

// addressLimit limits requests per client address, before authentication. It is nil when the
// operator turned rate limits off (RATE_LIMIT_REQUESTS=0) or this stage (a negative AddressRate).
func (g *Gateway) addressLimit() *limiter {
	l := g.cfg.Limits
	n := l.AddressRate
	if n == 0 {
		n = 2 * l.RateRequests
	}
	if n <= 0 || l.RateRequests <= 0 {
		return nil
	}
	addr := clientAddress(l.TrustedProxies)
	return g.rateLimit(n, "addr", func(r *http.Request) string { return addr(r).String() })
}

// userLimit limits requests per user, after authentication; a request with no viewer (anonymous
// introspection) is counted by its address. It is nil when rate limits are off. Operations that
// arrive on a long-lived connection draw on the same budget through allow.
func (g *Gateway) userLimit() *limiter {
	l := g.cfg.Limits
	if l.RateRequests <= 0 {
		return nil
	}
	addr := clientAddress(l.TrustedProxies)
	return g.rateLimit(l.RateRequests, "user", func(r *http.Request) string {
		if v, ok := auth.FromContext(r.Context()); ok {
			return v.UserID
		}
		return "addr:" + addr(r).String()
	})
}

// limiter is one stage of the rate limits: a middleware for HTTP requests, and allow for what
// is not an HTTP request of its own (an operation on a WebSocket).
type limiter struct {
	stage   string
	limit   int
	window  time.Duration
	key     func(*http.Request) string
	limiter *httprate.RateLimiter
}

func (g *Gateway) rateLimit(n int, stage string, key func(*http.Request) string) *limiter {
	window := g.cfg.Limits.RateWindow
	lim := &limiter{stage: stage, limit: n, window: window, key: key}
	opts := []httprate.Option{
		httprate.WithLimitHandler(func(w http.ResponseWriter, _ *http.Request) {
			auth.WriteError(w, http.StatusTooManyRequests, "RATE_LIMITED", lim.message())
		}),
	}
	if g.redis != nil {
		opts = append(opts, httprate.WithLimitCounter(&redisCounter{client: g.redis, log: g.log}))
	}
	lim.limiter = httprate.NewRateLimiter(n, window, opts...)
	return lim
}

func (l *limiter) message() string {
	return fmt.Sprintf("more than %d requests in %s from this %s: slow down, and retry after the Retry-After header's seconds",
		l.limit, l.window, map[string]string{"addr": "address", "user": "user"}[l.stage])
}

// middleware refuses a request over the limit with 429 and Retry-After.
func (l *limiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.limiter.RespondOnLimit(w, r, l.stage+":"+l.key(r)) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allow counts one operation of the user named key (as the middleware's key function names it),
// and reports whether it is within the limit and, if not, when to retry.
func (l *limiter) allow(r *http.Request, key string) (ok bool, retryAfter time.Duration) {
	sink := headerSink{}
	if l.limiter.OnLimit(sink, r, l.stage+":"+key) {
		return false, l.window
	}
	return true, 0
}

// headerSink is the ResponseWriter allow hands httprate, which writes its headers into one even
// when there is no HTTP answer to write.
type headerSink http.Header

func (h headerSink) Header() http.Header       { return http.Header(h) }
func (headerSink) Write(p []byte) (int, error) { return len(p), nil }
func (headerSink) WriteHeader(int)             {}

// clientAddress returns how to find a request's client address. The direct peer is the client
// unless it is one of the trusted proxies; then the Forwarded (RFC 7239) or X-Forwarded-For
// chain is read from the right, skipping trusted proxies, and the first other address is the
// client. A header from an untrusted peer is ignored: anyone can write one.
func clientAddress(trusted []netip.Prefix) func(*http.Request) netip.Addr {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) netip.Addr {
		peer := parseAddr(r.RemoteAddr)
		if !peer.IsValid() || !isTrusted(peer) {
			return peer
		}
		hops := forwardedChain(r.Header)
		for i := len(hops) - 1; i >= 0; i-- {
			a := parseAddr(hops[i])
			if !a.IsValid() {
				break // a garbled hop: trust nothing left of it
			}
			if !isTrusted(a) {
				return a
			}
			peer = a
		}
		return peer
	}
}

// forwardedChain lists the addresses a request passed through, the client first: from
// Forwarded's for= parameters when present, else from X-Forwarded-For.
func forwardedChain(h http.Header) []string {
	var hops []string
	for _, line := range h.Values("Forwarded") {
		for _, elem := range strings.Split(line, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hops = append(hops, strings.Trim(v, `"`))
				}
			}
		}
	}
	if len(hops) > 0 {
		return hops
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for _, a := range strings.Split(line, ",") {
			hops = append(hops, strings.TrimSpace(a))
		}
	}
	return hops
}

// parseAddr reads "1.2.3.4", "1.2.3.4:80", "[::1]:80" or "::1"; unmapped, so an IPv4 client
// has one key whichever socket family it came in on.
func parseAddr(s string) netip.Addr {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// introspectionOnly reports whether the request asks only for __schema, __type or __typename
// at its root: in header mode such a request needs no viewer, so that schema tools (GraphiQL's
// docs, codegen from the URL) work without the development header. The body is already bounded.
func introspectionOnly(maxTokens int) func(*http.Request) bool {
	return func(r *http.Request) bool {
		var p struct {
			Query         string `json:"query"`
			OperationName string `json:"operationName"`
		}
		switch r.Method {
		case http.MethodGet:
			p.Query, p.OperationName = r.URL.Query().Get("query"), r.URL.Query().Get("operationName")
		case http.MethodPost:
			if r.Body == nil {
				return false
			}
			body, err := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if err != nil || json.Unmarshal(body, &p) != nil {
				return false
			}
		}
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, maxTokens)
		if err != nil {
			return false
		}
		op := doc.Operations.ForName(p.OperationName)
		if op == nil || op.Operation != ast.Query {
			return false
		}
		return onlyIntrospection(doc, op.SelectionSet, 0)
	}
}

func onlyIntrospection(doc *ast.QueryDocument, set ast.SelectionSet, depth int) bool {
	if depth > 3 {
		return false // fragments spreading fragments at the root: not what schema tools send
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != "__schema" && s.Name != "__type" && s.Name != "__typename" {
				return false
			}
		case *ast.InlineFragment:
			if !onlyIntrospection(doc, s.SelectionSet, depth+1) {
				return false
			}
		case *ast.FragmentSpread:
			f := doc.Fragments.ForName(s.Name)
			if f == nil || !onlyIntrospection(doc, f.SelectionSet, depth+1) {
				return false
			}
		}
	}
	return len(set) > 0
}

// corsOrigins are the origins allowed to call from a browser: CORS_ORIGINS, and with the sandbox
// any port of localhost and 127.0.0.1, where front-end dev servers (Vite on :5173) run.
func (g *Gateway) corsOrigins() []string {
	origins := g.cfg.CORSOrigins
	if g.sandbox != nil {
		origins = append(origins[:len(origins):len(origins)], "http://localhost:*", "http://127.0.0.1:*")
	}
	return origins
}

// readyTimeout bounds the readiness probe's call to WeDa.
const readyTimeout = 5 * time.Second
