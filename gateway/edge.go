package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/httprate"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/wedagraph/gateway/auth"
)

// The edge is what a request meets before GraphQL runs, cheapest first: the rate by client
// address (before anything is read or verified, so an anonymous flood costs a counter), the body
// size, authentication, then the rate by user. docs/limits.md says the same.
//
// The address stage exists to make floods of anonymous and failing requests cheap, not to ration
// the users behind one address (an office behind one NAT, every client behind an ingress that
// TRUSTED_PROXIES does not name): it counts only the requests that end without a viewer (no
// credentials, failed authentication, or refused before it), and once an address is over its
// budget refuses everything from it, unread, until the window moves on. An authenticated user is
// limited as a user, by the user stage.

// addressLimit limits unauthenticated requests per client address. It is nil when the operator
// turned rate limits off (RATE_LIMIT_REQUESTS=0) or this stage (a negative AddressRate).
func (g *Gateway) addressLimit() *limiter {
	l := g.cfg.Limits
	n := l.AddressRate
	if n == 0 {
		n = 2 * l.RateRequests
	}
	if n <= 0 || l.RateRequests <= 0 {
		return nil
	}
	lim := g.rateLimit(n, "addr", g.addressKey())
	lim.unauthenticatedOnly = true
	return lim
}

// userLimit limits requests per user, after authentication; a request with no viewer (anonymous
// introspection) is counted by its address. It is nil when rate limits are off. Operations that
// arrive on a long-lived connection draw on the same budget through allow; a WebSocket's upgrade
// is not counted here, since it names its user only in its first message.
func (g *Gateway) userLimit() *limiter {
	l := g.cfg.Limits
	if l.RateRequests <= 0 {
		return nil
	}
	addr := g.addressKey()
	return g.rateLimit(l.RateRequests, "user", func(r *http.Request) string {
		if v, ok := auth.FromContext(r.Context()); ok {
			return v.UserID
		}
		return "addr:" + addr(r)
	})
}

// addressKey names a request's client address for counting: the address itself for IPv4, its
// network of RATE_LIMIT_IPV6_PREFIX bits for IPv6, where one host holds a whole /64 and can
// rotate through it.
func (g *Gateway) addressKey() func(*http.Request) string {
	l := g.cfg.Limits
	addr := clientAddress(l.TrustedProxies, l.ProxyHeader)
	return func(r *http.Request) string { return addressBucket(addr(r), l.IPv6Prefix) }
}

func addressBucket(a netip.Addr, v6bits int) string {
	if a.Is6() && v6bits > 0 && v6bits < 128 {
		if p, err := a.Prefix(v6bits); err == nil {
			return p.String()
		}
	}
	return a.String()
}

// limiter is one stage of the rate limits: a middleware for HTTP requests, and allow for what
// is not an HTTP request of its own (an operation on a WebSocket).
type limiter struct {
	stage   string
	limit   int
	window  time.Duration
	key     func(*http.Request) string
	limiter *httprate.RateLimiter
	// unauthenticatedOnly: count a request after it, and only when it ended without a viewer
	// (the address stage).
	unauthenticatedOnly bool
}

func (g *Gateway) rateLimit(n int, stage string, key func(*http.Request) string) *limiter {
	window := g.cfg.Limits.RateWindow
	lim := &limiter{stage: stage, limit: n, window: window, key: key}
	opts := []httprate.Option{
		httprate.WithLimitHandler(func(w http.ResponseWriter, _ *http.Request) { lim.refuse(w) }),
	}
	if g.redis != nil {
		opts = append(opts, httprate.WithLimitCounter(&redisCounter{client: g.redis, log: g.log}))
	}
	lim.limiter = httprate.NewRateLimiter(n, window, opts...)
	return lim
}

func (l *limiter) refuse(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(l.window.Seconds())))
	auth.WriteError(w, http.StatusTooManyRequests, "RATE_LIMITED", l.message())
}

// message says what the limit is and what to do.
func (l *limiter) message() string {
	what := "requests"
	if l.unauthenticatedOnly {
		what = "unauthenticated requests"
	}
	return fmt.Sprintf("more than %d %s in %s from this %s: slow down, and retry after the Retry-After header's seconds",
		l.limit, what, l.window, map[string]string{"addr": "address", "user": "user"}[l.stage])
}

// middleware refuses a request over the limit with 429 and Retry-After.
func (l *limiter) middleware(next http.Handler) http.Handler {
	if l.unauthenticatedOnly {
		return l.unauthenticated(next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.FromContext(r.Context()); ok {
			markAuthenticated(r.Context())
		} else if isUpgrade(r) {
			next.ServeHTTP(w, r) // counted per user, operation by operation, once it names its user
			return
		}
		if l.limiter.RespondOnLimit(w, r, l.stage+":"+l.key(r)) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// unauthenticated is the address stage: refuse an address over its budget before anything is
// read; otherwise serve, and count the request if it ended without a viewer. Concurrent requests
// of one address may pass together before the first of them is counted: the operations in
// flight are capped (MAX_OPERATIONS_*), so that overshoot is too.
func (l *limiter) unauthenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := l.stage + ":" + l.key(r)
		if _, rate, err := l.limiter.Status(key); err == nil && int(math.Round(rate)) >= l.limit {
			l.refuse(w)
			return
		}
		seen := &authenticated{}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authenticatedKey{}, seen)))
		if !seen.Load() {
			l.limiter.OnLimit(headerSink{}, r, key)
		}
	})
}

// authenticated is set when the request (or the connection it opened) named a viewer.
type authenticated struct{ atomic.Bool }

type authenticatedKey struct{}

// markAuthenticated tells the address stage that the request named a viewer, so it is not
// counted there. The user stage calls it for HTTP requests; a WebSocket's connection_init calls
// it with the upgrade's context once the connection authenticated.
func markAuthenticated(ctx context.Context) {
	if a, ok := ctx.Value(authenticatedKey{}).(*authenticated); ok {
		a.Store(true)
	}
}

func isUpgrade(r *http.Request) bool { return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") }

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
// unless it is one of the trusted proxies; then the one header those proxies set (header,
// TRUSTED_PROXY_HEADER) is read from the right, skipping trusted proxies, and the first other
// address is the client. Every other header is ignored, and so is this one from an untrusted
// peer: anyone can write one, and a proxy that appends to X-Forwarded-For passes a Forwarded
// header the client wrote untouched.
func clientAddress(trusted []netip.Prefix, header string) func(*http.Request) netip.Addr {
	if header == "" {
		header = "X-Forwarded-For"
	}
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
		hops := forwardedChain(r.Header, header)
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

// forwardedChain lists the addresses header names, the client first: Forwarded's for=
// parameters (RFC 7239), or the comma-separated addresses of any other header (X-Forwarded-For,
// X-Real-IP, a CDN's own).
func forwardedChain(h http.Header, header string) []string {
	var hops []string
	forwarded := strings.EqualFold(header, "Forwarded")
	for _, line := range h.Values(header) {
		for _, elem := range strings.Split(line, ",") {
			if !forwarded {
				hops = append(hops, strings.TrimSpace(elem))
				continue
			}
			for _, pair := range strings.Split(elem, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hops = append(hops, strings.Trim(v, `"`))
				}
			}
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
