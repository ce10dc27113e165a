package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/redis/go-redis/v9"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/delivery"
	"github.com/wedagraph/gateway/graph"
	"github.com/wedagraph/gateway/graph/userbatch"
	"github.com/wedagraph/gateway/graphiql"
	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/live"
	"github.com/wedagraph/gateway/metrics"
	"github.com/wedagraph/gateway/session"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// Gateway is the assembled server.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	client  *upstream.Client
	sandbox *sandbox.Running
	auth    *auth.Authenticator
	metrics *metrics.Metrics
	shared  *session.Shared
	tracing *tracing
	redis   *redis.Client // shared state across replicas; nil without REDIS_URL
	closers []func()      // what New started that Close stops, in order: the pollers first, then what they use
	live    *live.Engine  // the subscriptions' pollers; nil when they are off
	handler http.Handler
	users   *limiter // the rate limit by user; nil when off
	// inflight bounds the work running at once; streams are the long-lived connections, told to
	// reconnect when the process stops.
	inflight *inflight
	streams  *delivery.Streams
	// draining is set once shutdown began: /readyz answers 503 while requests are still served.
	draining atomic.Bool
}

// New builds the gateway. With no WeDa environment configured it starts the embedded sandbox on
// a loopback port and talks to it over HTTP through the same client as to WeDa.
func New(cfg Config, log *slog.Logger) (*Gateway, error) {
	g := &Gateway{cfg: cfg, log: log, metrics: metrics.New(), shared: session.NewShared(cfg.ReferenceTTL),
		inflight: newInflight(cfg.Streams), streams: delivery.NewStreams()}
	g.cfg.Session.Log = log
	g.metrics.Register(g.inflight.collectors()...)
	g.observe()
	settings := cfg.Upstream
	if !settings.Configured() {
		if err := g.startSandbox(&settings); err != nil {
			return nil, err
		}
	}
	authCfg, err := g.authMode(cfg)
	if err != nil {
		g.closeSandbox()
		return nil, err
	}
	if g.tracing, err = newTracing(cfg); err != nil {
		g.closeSandbox()
		return nil, err
	}
	if cfg.RedisURL != "" {
		if g.redis, err = connectRedis(cfg.RedisURL); err != nil {
			g.closeSandbox()
			return nil, err
		}
	}
	if g.auth, err = auth.New(authCfg, log); err != nil {
		g.closeSandbox()
		return nil, err
	}
	transport := cfg.UpstreamTransport
	if transport == nil {
		transport = upstream.NewTransport()
	}
	client, err := upstream.NewFromSettings(settings, g.metrics.Transport(g.tracing.transport(transport)))
	if err != nil {
		_ = g.Close(context.Background())
		return nil, err
	}
	g.client = client
	if g.handler, err = g.routes(); err != nil {
		_ = g.Close(context.Background())
		return nil, err
	}
	return g, nil
}

// authMode settles how clients authenticate. In front of a real WeDa, which the gateway can read
// and act on entirely, it refuses to run unless clients authenticate or the operator opted in.
func (g *Gateway) authMode(cfg Config) (auth.Config, error) {
	a := cfg.Auth
	if a.Mode == "" {
		switch {
		case g.sandbox != nil || cfg.AllowDevHeaders:
			a.Mode = auth.ModeHeader
		default:
			return a, errors.New("refusing to start: WeDa is configured and clients would not authenticate. " +
				"Set AUTH_MODE=jwt with AUTH_JWT_HS256_SECRET or AUTH_JWKS_URL, or, for development only, " +
				"AUTH_MODE=header with ALLOW_DEV_USER_HEADER=true")
		}
	}
	if a.Mode == auth.ModeHeader {
		if g.sandbox == nil && !cfg.AllowDevHeaders {
			return a, errors.New("refusing to start: AUTH_MODE=header trusts any caller; in front of a real WeDa it needs ALLOW_DEV_USER_HEADER=true")
		}
		g.log.Warn("the X-Weda-User-Id header names the viewer, unchecked: for development only", "header", auth.UserIDHeader)
	}
	return a, nil
}

// Handler is the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Sandbox is the embedded sandbox, or nil when the gateway fronts a real WeDa.
func (g *Gateway) Sandbox() *sandbox.Server {
	if g.sandbox == nil {
		return nil
	}
	return g.sandbox.Server
}

// Close releases what New started.
func (g *Gateway) Close(ctx context.Context) error {
	if g.auth != nil {
		g.auth.Close()
	}
	g.shared.Close()
	for _, c := range g.closers {
		c()
	}
	if g.redis != nil {
		_ = g.redis.Close()
	}
	if g.tracing != nil {
		_ = g.tracing.shutdown(ctx)
	}
	if g.sandbox != nil {
		return g.sandbox.Close(ctx)
	}
	return nil
}

func (g *Gateway) closeSandbox() {
	if g.sandbox != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = g.sandbox.Close(ctx)
	}
}

func (g *Gateway) routes() (http.Handler, error) {
	r := chi.NewRouter()
	r.Use(g.tracing.handler, middleware.RequestID, g.logRequests, g.metrics.Middleware, middleware.Recoverer)
	if origins := g.corsOrigins(); len(origins) > 0 {
		r.Use(cors.New(cors.Options{AllowedOrigins: origins, AllowedMethods: []string{http.MethodGet, http.MethodPost},
			AllowedHeaders: []string{"Content-Type", "Authorization", "Idempotency-Key", auth.ActAsHeader, auth.ActAsSourceHeader,
				auth.UserIDHeader, auth.UserSourceHeader, auth.RolesHeader, EnvHeader}, MaxAge: 600}).Handler)
	}
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", g.ready)
	// /metrics is served on METRICS_ADDR only (see Serve), never to the public port's callers.

	api, err := g.graphQL()
	if err != nil {
		return nil, err
	}
	// The edge, cheapest first: see edge.go.
	gql := r.With()
	if limit := g.addressLimit(); limit != nil {
		gql = gql.With(limit.middleware)
	}
	var anonymous func(*http.Request) bool
	if g.enabled(g.cfg.Introspection) {
		anonymous = introspectionOnly(g.cfg.Limits.MaxTokens)
	}
	gql = gql.With(limitBody(g.cfg.Limits.MaxBodyBytes), g.streaming(g.auth.MiddlewareAllowing(anonymous)))
	if g.users = g.userLimit(); g.users != nil {
		gql = gql.With(g.users.middleware)
	}
	gql = gql.With(g.admit, g.withEnv, g.withSession, withIdempotencyKey)
	gql.Get("/graphql", api.ServeHTTP)
	gql.Post("/graphql", api.ServeHTTP)
	r.Options("/graphql", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

	if g.enabled(g.cfg.GraphiQL) {
		opts := graphiql.Options{Endpoint: "/graphql", DefaultQuery: DefaultQuery}
		if g.sandbox != nil && g.auth.Mode() == auth.ModeHeader {
			opts.Headers = map[string]string{auth.UserIDHeader: g.sandbox.UserID(sandbox.DemoUser)}
		}
		ui := graphiql.Handler("/graphiql", opts)
		r.Get("/", ui.ServeHTTP)
		r.Get("/graphiql/*", ui.ServeHTTP)
	}
	return r, nil
}

// enabled reads an on/off setting whose default is on with the sandbox and off in production.
func (g *Gateway) enabled(setting *bool) bool {
	if setting != nil {
		return *setting
	}
	return g.sandbox != nil
}

// limitBody refuses a request body over max bytes with 413 and a GraphQL error.
func limitBody(max int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tooLarge := func() {
				auth.WriteError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
					fmt.Sprintf("the request body is over %d bytes", max))
			}
			if r.ContentLength > max {
				tooLarge()
				return
			}
			if r.Body != nil {
				body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
				if err != nil {
					auth.WriteError(w, http.StatusBadRequest, "BAD_REQUEST", "the request body could not be read")
					return
				}
				if int64(len(body)) > max {
					tooLarge()
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			next.ServeHTTP(w, r)
		})
	}
}

func (g *Gateway) graphQL() (http.Handler, error) {
	var err error
	if g.live, err = g.liveEngine(); err != nil {
		return nil, err
	}
	wf, err := g.workflow()
	if err != nil {
		return nil, err
	}
	resolver := &graph.Resolver{Workflow: wf}
	es := graph.NewExecutableSchema(graph.Config{Resolvers: resolver, Complexity: graph.Complexity()})
	srv := handler.New(es)
	for _, t := range g.transports() {
		srv.AddTransport(t)
	}
	// Each @defer of a cached document gets a label of its own: see delivery.LabelDefers.
	srv.SetQueryCache(delivery.LabelDefers(lru.New[*ast.QueryDocument](1000)))
	srv.Use(g.operations(es)) // first: it bounds the operation and sees every other extension's answer
	l := g.cfg.Limits
	srv.SetParserTokenLimit(l.MaxTokens)
	introspection := g.enabled(g.cfg.Introspection)
	if introspection {
		srv.Use(extension.Introspection{})
	}
	// "Did you mean …" names fields the schema has: with introspection off it would leak them.
	srv.SetDisableSuggestion(!introspection)
	apq := lru.New[string](l.APQCacheSize)
	var registered []string // the persisted operations' names: each keeps its label in the metrics
	if l.PersistedFile != "" {
		ops, err := graph.LoadPersisted(l.PersistedFile)
		if err != nil {
			return nil, err
		}
		for hash, q := range ops {
			apq.Add(context.Background(), hash, q)
		}
		if l.PersistedOnly {
			srv.Use(graph.PersistedOnly{Operations: ops})
		}
		registered = operationNames(ops)
		g.log.Info("persisted operations loaded", "count", len(ops), "only", l.PersistedOnly)
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	// After the persisted-query extensions, which fill in the text it checks.
	srv.Use(graph.NewBounds(graph.BoundLimits{MaxTokens: l.MaxTokens, MaxDepth: l.MaxDepth, MaxIntrospectionDepth: l.MaxIntroDepth,
		MaxFields: l.MaxFields, MaxRepeats: l.MaxRepeats, MaxAliases: l.MaxAliases, MaxRootFields: l.MaxRootFields,
		MaxDirectives: l.MaxDirectives}, 1000))
	costs, err := graph.NewComplexityLimit(l.MaxComplexity, 1000) // as many as the query cache holds
	if err != nil {
		return nil, err
	}
	srv.Use(costs)
	// Tells the user batcher when no resolver can ask for another user: batches without a clock.
	batching, err := userbatch.NewBatching(es.Schema(), "User", 1000)
	if err != nil {
		return nil, err
	}
	srv.Use(batching)
	srv.Use(g.metrics.GraphQLErrors())
	srv.Use(g.metrics.Operations(registered, metrics.MaxOperationNames))
	srv.Use(operationName{})
	for _, ext := range g.answerExtensions() {
		srv.Use(ext)
	}
	if ext := g.tracing.operations(); ext != nil {
		srv.Use(ext)
	}
	srv.SetErrorPresenter(graph.PresentError)
	srv.SetRecoverFunc(graph.Recover(g.log))
	return srv, nil
}

// withSession gives each GraphQL request its own session (its calls to WeDa), and reports their
// count to the log.
func (g *Gateway) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUpgrade(r) { // a WebSocket's operations each get their own (socketHooks.Begin)
			next.ServeHTTP(w, r)
			return
		}
		sess := g.newSession(r.Context())
		if st := statsOf(r.Context()); st != nil {
			st.session = sess
			if v, ok := auth.FromContext(r.Context()); ok {
				st.viewer = v.UserID
			}
		}
		next.ServeHTTP(w, r.WithContext(graph.WithSession(r.Context(), sess)))
	})
}

// newSession is the session of one operation, in the environment its request asked for.
func (g *Gateway) newSession(ctx context.Context) *session.Session {
	return session.New(g.client, g.cfg.Session, g.shared, g.client.EnvFor(ctx))
}

// EnvHeader lets a request ask for the other environment type, when the operator allows it.
const EnvHeader = "X-Weda-Env"

// withEnv routes the request's upstream calls to the environment X-Weda-Env names.
func (g *Gateway) withEnv(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env := r.Header.Get(EnvHeader)
		switch {
		case env == "" || env == g.client.EnvType():
		case !upstream.ValidEnvType(env):
			auth.WriteError(w, http.StatusBadRequest, "BAD_USER_INPUT", fmt.Sprintf("%s must be %q or %q", EnvHeader, upstream.EnvProd, upstream.EnvPre))
			return
		case !g.cfg.AllowEnvSwitch:
			auth.WriteError(w, http.StatusForbidden, "FORBIDDEN",
				fmt.Sprintf("this gateway serves %s only; the operator has not allowed %s", g.client.EnvType(), EnvHeader))
			return
		default:
			r = r.WithContext(upstream.WithEnvType(r.Context(), env))
		}
		next.ServeHTTP(w, r)
	})
}

// withIdempotencyKey hands the Idempotency-Key header to the mutations.
func withIdempotencyKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Never a WebSocket's: its operations carry their own (socketHooks.Begin).
		if key := r.Header.Get("Idempotency-Key"); key != "" && !isUpgrade(r) {
			r = r.WithContext(idempotency.WithHeaderKey(r.Context(), key))
		}
		next.ServeHTTP(w, r)
	})
}
