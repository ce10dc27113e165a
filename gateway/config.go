// Package gateway assembles the HTTP server: configuration, the upstream (WeDa or the embedded
// sandbox), the GraphQL handler with its per-request loaders, GraphiQL, health checks, logging
// and graceful shutdown.
package gateway

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/graph/loader"
	"github.com/wedagraph/gateway/live"
	"github.com/wedagraph/gateway/upstream"
)

// Config is everything the operator sets, all from environment variables (README.md lists them).
type Config struct {
	Port            int               // PORT, default 8080; 0 picks a free port
	ListenAddr      string            // LISTEN_ADDR: the host to listen on; "" is 127.0.0.1 with the sandbox, all interfaces otherwise
	MetricsAddr     string            // METRICS_ADDR: host:port serving /metrics; "" serves none (never on the public port)
	Pprof           bool              // PPROF: serve /debug/pprof/ on METRICS_ADDR too
	ShutdownDelay   time.Duration     // SHUTDOWN_DELAY: /readyz answers 503 this long after SIGTERM, default 5s
	Upstream        upstream.Settings // WEDA_*
	AllowDevHeaders bool              // ALLOW_DEV_USER_HEADER: trust X-Weda-User-Id outside the sandbox
	AllowEnvSwitch  bool              // ALLOW_ENV_OVERRIDE: let a request pick pre or prod with X-Weda-Env
	Loader          loader.Config     // MAX_CONCURRENT_UPSTREAM, MAX_UPSTREAM_CALLS
	ShutdownTimeout time.Duration     // SHUTDOWN_TIMEOUT, default 15s
	SandboxSeed     uint64            // SANDBOX_SEED, default 1
	IdempotencyTTL  time.Duration     // IDEMPOTENCY_TTL: how long a keyed write's result is kept, default 24h
	IdempotencyKeys int               // IDEMPOTENCY_MAX_KEYS: how many results are kept, default 100000

	Auth   auth.Config // AUTH_*
	Limits Limits

	GraphiQL      *bool    // GRAPHIQL: serve GraphiQL at /; default on with the sandbox only
	Introspection *bool    // INTROSPECTION: answer schema introspection; default on with the sandbox only
	CORSOrigins   []string // CORS_ORIGINS; with the sandbox, http://localhost:* and http://127.0.0.1:* too
	Metrics       bool     // METRICS: collect Prometheus metrics; default true
	// ReferenceTTL (REFERENCE_CACHE_TTL) keeps deployed flows and user records across requests;
	// default 30s, 0 turns the cache off.
	ReferenceTTL time.Duration

	// Live bounds the subscriptions (LIVE_*); LiveOff (LIVE_MAX_SUBSCRIPTIONS=0) turns them off.
	Live    live.Config
	LiveOff bool

	// Streams bound what is in flight, whatever carries it (MAX_OPERATIONS_*, MAX_CONNECTIONS*,
	// OPERATION_TIMEOUT).
	Streams Streams

	// RedisURL (REDIS_URL) names a Redis shared by the replicas for idempotency keys and rate
	// limits; without it both live in this process's memory.
	RedisURL string

	// OTLPTracing is on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set.
	OTLPTracing bool
	// TracerProvider, when set, receives the spans (tests record them with it).
	TracerProvider trace.TracerProvider

	// UpstreamTransport, when set, carries every upstream request (tests count calls with it).
	UpstreamTransport http.RoundTripper

	// LogLevel (LOG_LEVEL) is the least level logged; the caller's logger applies it (main does).
	LogLevel slog.Level
	// Version and Commit name the build (main's -ldflags), for build_info and the traces' resource.
	Version, Commit string
}

// Streams bound the work in flight: operations (an HTTP request, one message on a WebSocket, an
// SSE stream, the deferred parts of an answer) and long-lived connections (WebSockets and SSE
// streams), so that memory stays inside the container's limit under any flood.
type Streams struct {
	MaxOperations              int           // MAX_OPERATIONS_IN_FLIGHT: in this process, default 128
	MaxOperationsPerViewer     int           // MAX_OPERATIONS_PER_VIEWER: in flight for one viewer, default 16
	MaxOperationsPerConnection int           // MAX_OPERATIONS_PER_CONNECTION: in flight on one WebSocket, default 8
	MaxConnections             int           // MAX_CONNECTIONS: WebSockets and SSE streams in this process, default 2000
	MaxConnectionsPerViewer    int           // MAX_CONNECTIONS_PER_VIEWER: default 16
	OperationTimeout           time.Duration // OPERATION_TIMEOUT: the deadline of a query or mutation and its deferred parts, default 30s
}

// Limits bound what one request may ask.
type Limits struct {
	MaxBodyBytes  int64 // MAX_BODY_BYTES, default 1 MiB
	MaxDepth      int   // MAX_QUERY_DEPTH, default 12
	MaxComplexity int   // MAX_QUERY_COMPLEXITY, default 30000
	MaxAliases    int   // MAX_QUERY_ALIASES, default 30
	MaxRootFields int   // MAX_ROOT_FIELDS, default 20
	MaxTokens     int   // MAX_QUERY_TOKENS, default 5000
	MaxFields     int   // MAX_QUERY_FIELDS: selections, fragments expanded, default 2000
	MaxRepeats    int   // MAX_FIELD_REPEATS: fields of one name in one selection set, default 20
	MaxDirectives int   // MAX_DIRECTIVES: directives at one place, default 5
	MaxIntroDepth int   // MAX_INTROSPECTION_DEPTH, default 16
	RateRequests  int   // RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW and user, default 300; 0 turns both stages off
	// AddressRate (RATE_LIMIT_ADDRESS_REQUESTS) is per window and client address, before
	// authentication: 0 means twice RateRequests, negative turns this stage off.
	AddressRate    int
	RateWindow     time.Duration  // RATE_LIMIT_WINDOW, default 1m
	TrustedProxies []netip.Prefix // TRUSTED_PROXIES: peers whose X-Forwarded-For / Forwarded is believed
	APQCacheSize   int            // APQ_CACHE_SIZE, default 1000
	PersistedFile  string         // PERSISTED_QUERIES_FILE: a JSON object of sha256 hash → query
	PersistedOnly  bool           // PERSISTED_QUERIES_ONLY: refuse any query not in that file
}

// ConfigFromEnv reads Config with getenv, reporting every bad value by its variable's name.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []string
	up, err := upstream.SettingsFromEnv(getenv)
	if err != nil {
		errs = append(errs, err.Error())
	}
	cfg := Config{Port: 8080, Upstream: up, ShutdownTimeout: 15 * time.Second, ShutdownDelay: 5 * time.Second, SandboxSeed: 1,
		IdempotencyTTL: 24 * time.Hour, IdempotencyKeys: 100_000, Metrics: true, ReferenceTTL: 30 * time.Second,
		Live: live.Config{Interval: 5 * time.Second, MaxPerViewer: 50, MaxTotal: 10_000, ViewerPollsPerMinute: 120},
		Streams: Streams{MaxOperations: 128, MaxOperationsPerViewer: 16, MaxOperationsPerConnection: 8,
			MaxConnections: 2000, MaxConnectionsPerViewer: 16, OperationTimeout: 30 * time.Second},
		Limits: Limits{MaxBodyBytes: 1 << 20, MaxDepth: 12, MaxComplexity: 30000, MaxAliases: 30, MaxRootFields: 20,
			MaxTokens: 5000, MaxFields: 2000, MaxRepeats: 20, MaxDirectives: 5, MaxIntroDepth: 16,
			RateRequests: 300, RateWindow: time.Minute, APQCacheSize: 1000},
		Auth: auth.Config{Mode: strings.TrimSpace(getenv("AUTH_MODE")), HS256Secret: []byte(getenv("AUTH_JWT_HS256_SECRET")),
			JWKSURL: strings.TrimSpace(getenv("AUTH_JWKS_URL")), Issuer: getenv("AUTH_ISSUER"), Audience: getenv("AUTH_AUDIENCE"),
			UserClaim: getenv("AUTH_USER_CLAIM"), SourceClaim: getenv("AUTH_SOURCE_CLAIM"), RolesClaim: getenv("AUTH_ROLES_CLAIM"),
			AdminRole: getenv("AUTH_ADMIN_ROLE"), ScopeClaim: getenv("AUTH_SCOPE_CLAIM"), ActAsScope: getenv("AUTH_ACT_AS_SCOPE")},
	}
	intVar := func(name string, dst *int, lo, hi int) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < lo || n > hi {
				errs = append(errs, fmt.Sprintf("%s=%q: want a whole number from %d to %d", name, v, lo, hi))
				return
			}
			*dst = n
		}
	}
	// durVar reads a duration of at least lo; zero too when zeroOK (a setting that 0 turns off).
	durVar := func(name string, dst *time.Duration, lo time.Duration, zeroOK bool) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || (d < lo && !(zeroOK && d == 0)) {
				errs = append(errs, fmt.Sprintf("%s=%q: want a duration of at least %s, such as 5s", name, v, lo))
				return
			}
			*dst = d
		}
	}
	boolVar := func(name string, dst *bool) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: want true or false", name, v))
				return
			}
			*dst = b
		}
	}
	intVar("PORT", &cfg.Port, 0, 65535) // 0: any free port
	intVar("MAX_CONCURRENT_UPSTREAM", &cfg.Loader.MaxConcurrent, 1, 1024)
	intVar("MAX_UPSTREAM_CALLS", &cfg.Loader.MaxCalls, 1, 10000)
	var batchWait time.Duration // USER_BATCH_WAIT: still read, so a bad value is reported, but unused
	durVar("USER_BATCH_WAIT", &batchWait, 0, true)
	durVar("SHUTDOWN_TIMEOUT", &cfg.ShutdownTimeout, time.Second, false)
	durVar("SHUTDOWN_DELAY", &cfg.ShutdownDelay, 0, true)
	durVar("IDEMPOTENCY_TTL", &cfg.IdempotencyTTL, time.Minute, false)
	durVar("REFERENCE_CACHE_TTL", &cfg.ReferenceTTL, time.Second, true)
	durVar("LIVE_POLL_INTERVAL", &cfg.Live.Interval, live.MinInterval, false)
	intVar("LIVE_MAX_PER_VIEWER", &cfg.Live.MaxPerViewer, 1, 10_000)
	intVar("LIVE_MAX_SUBSCRIPTIONS", &cfg.Live.MaxTotal, 0, 1_000_000)
	intVar("LIVE_VIEWER_POLLS_PER_MINUTE", &cfg.Live.ViewerPollsPerMinute, 1, 6000)
	cfg.LiveOff = cfg.Live.MaxTotal == 0
	st := &cfg.Streams
	intVar("MAX_OPERATIONS_IN_FLIGHT", &st.MaxOperations, 1, 100_000)
	intVar("MAX_OPERATIONS_PER_VIEWER", &st.MaxOperationsPerViewer, 1, 100_000)
	intVar("MAX_OPERATIONS_PER_CONNECTION", &st.MaxOperationsPerConnection, 1, 10_000)
	intVar("MAX_CONNECTIONS", &st.MaxConnections, 1, 1_000_000)
	intVar("MAX_CONNECTIONS_PER_VIEWER", &st.MaxConnectionsPerViewer, 1, 100_000)
	durVar("OPERATION_TIMEOUT", &st.OperationTimeout, time.Second, false)
	cfg.ListenAddr = strings.TrimSpace(getenv("LISTEN_ADDR"))
	if a := cfg.ListenAddr; a != "" && net.ParseIP(strings.Trim(a, "[]")) == nil && (strings.ContainsAny(a, ":/ ") || a != "localhost") {
		errs = append(errs, fmt.Sprintf("LISTEN_ADDR=%q: want an IP address such as 0.0.0.0 or 127.0.0.1 (the port is PORT)", a))
	}
	cfg.MetricsAddr = strings.TrimSpace(getenv("METRICS_ADDR"))
	if cfg.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(cfg.MetricsAddr); err != nil || port == "" {
			errs = append(errs, fmt.Sprintf("METRICS_ADDR=%q: want host:port such as 0.0.0.0:9090", cfg.MetricsAddr))
		}
	}
	boolVar("PPROF", &cfg.Pprof)
	if cfg.Pprof && cfg.MetricsAddr == "" {
		errs = append(errs, "PPROF=true needs METRICS_ADDR: profiles are served on the admin port only")
	}
	if cfg.LogLevel, err = ParseLogLevel(getenv("LOG_LEVEL")); err != nil {
		errs = append(errs, err.Error())
	}
	cfg.RedisURL = strings.TrimSpace(getenv("REDIS_URL"))
	cfg.OTLPTracing = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")) != "" ||
		strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) != ""
	l := &cfg.Limits
	var bodyBytes int
	intVar("MAX_BODY_BYTES", &bodyBytes, 1024, 64<<20)
	if bodyBytes > 0 {
		l.MaxBodyBytes = int64(bodyBytes)
	}
	intVar("MAX_QUERY_DEPTH", &l.MaxDepth, 2, 100)
	intVar("MAX_QUERY_COMPLEXITY", &l.MaxComplexity, 10, 10_000_000)
	intVar("MAX_QUERY_ALIASES", &l.MaxAliases, 0, 10_000)
	intVar("MAX_ROOT_FIELDS", &l.MaxRootFields, 1, 1000)
	intVar("MAX_QUERY_TOKENS", &l.MaxTokens, 100, 1_000_000)
	intVar("MAX_QUERY_FIELDS", &l.MaxFields, 10, 1_000_000)
	intVar("MAX_FIELD_REPEATS", &l.MaxRepeats, 1, 10_000)
	intVar("MAX_DIRECTIVES", &l.MaxDirectives, 1, 100)
	intVar("MAX_INTROSPECTION_DEPTH", &l.MaxIntroDepth, 2, 100)
	intVar("RATE_LIMIT_REQUESTS", &l.RateRequests, 0, 1_000_000)
	intVar("RATE_LIMIT_ADDRESS_REQUESTS", &l.AddressRate, 0, 1_000_000)
	if strings.TrimSpace(getenv("RATE_LIMIT_ADDRESS_REQUESTS")) == "0" {
		l.AddressRate = -1
	}
	durVar("RATE_LIMIT_WINDOW", &l.RateWindow, time.Second, false)
	if v := strings.TrimSpace(getenv("TRUSTED_PROXIES")); v != "" {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c == "" {
				continue
			}
			p, err := netip.ParsePrefix(c)
			if err != nil {
				if a, aerr := netip.ParseAddr(c); aerr == nil {
					p, err = a.Prefix(a.BitLen())
				}
			}
			if err != nil {
				errs = append(errs, fmt.Sprintf("TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8", c))
				continue
			}
			l.TrustedProxies = append(l.TrustedProxies, p.Masked())
		}
	}
	intVar("APQ_CACHE_SIZE", &l.APQCacheSize, 1, 1_000_000)
	l.PersistedFile = strings.TrimSpace(getenv("PERSISTED_QUERIES_FILE"))
	boolVar("PERSISTED_QUERIES_ONLY", &l.PersistedOnly)
	if l.PersistedOnly && l.PersistedFile == "" {
		errs = append(errs, "PERSISTED_QUERIES_ONLY needs PERSISTED_QUERIES_FILE")
	}
	for name, dst := range map[string]**bool{"GRAPHIQL": &cfg.GraphiQL, "INTROSPECTION": &cfg.Introspection} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: want true or false", name, v))
			}
			*dst = &b
		}
	}
	if v := strings.TrimSpace(getenv("CORS_ORIGINS")); v != "" {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				cfg.CORSOrigins = append(cfg.CORSOrigins, o)
			}
		}
	}
	intVar("IDEMPOTENCY_MAX_KEYS", &cfg.IdempotencyKeys, 1, 10_000_000)
	boolVar("METRICS", &cfg.Metrics)
	boolVar("ALLOW_DEV_USER_HEADER", &cfg.AllowDevHeaders)
	boolVar("ALLOW_ENV_OVERRIDE", &cfg.AllowEnvSwitch)
	if v := strings.TrimSpace(getenv("SANDBOX_SEED")); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			errs = append(errs, fmt.Sprintf("SANDBOX_SEED=%q: want a positive whole number", v))
		}
		cfg.SandboxSeed = n
	}
	errs = append(errs, crossChecks(cfg)...)
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %d problems:\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
	return cfg, nil
}

// crossChecks finds the problems that involve several settings, the ones New would otherwise
// report one restart at a time.
func crossChecks(cfg Config) []string {
	var errs []string
	up, a := cfg.Upstream, cfg.Auth
	if up.Configured() {
		if _, err := up.Origin(); err != nil {
			errs = append(errs, err.Error())
		}
		if up.APIKey == "" && (up.SecretID == "" || up.SecretKey == "") {
			errs = append(errs, "WeDa is configured but has no credentials: set WEDA_SECRET_ID and WEDA_SECRET_KEY, or WEDA_API_KEY")
		}
		switch {
		case a.Mode == "" && !cfg.AllowDevHeaders:
			errs = append(errs, "clients would not authenticate: set AUTH_MODE=jwt (with AUTH_JWT_HS256_SECRET or AUTH_JWKS_URL), "+
				"or, for development only, AUTH_MODE=header with ALLOW_DEV_USER_HEADER=true")
		case a.Mode == auth.ModeHeader && !cfg.AllowDevHeaders:
			errs = append(errs, "AUTH_MODE=header trusts any caller; in front of a real WeDa it needs ALLOW_DEV_USER_HEADER=true")
		}
	}
	switch a.Mode {
	case "", auth.ModeHeader:
	case auth.ModeJWT:
		switch {
		case len(a.HS256Secret) > 0 && a.JWKSURL != "":
			errs = append(errs, "AUTH_JWT_HS256_SECRET and AUTH_JWKS_URL exclude each other: set one")
		case len(a.HS256Secret) == 0 && a.JWKSURL == "":
			errs = append(errs, "AUTH_MODE=jwt needs AUTH_JWT_HS256_SECRET or AUTH_JWKS_URL")
		case len(a.HS256Secret) > 0 && len(a.HS256Secret) < 32:
			errs = append(errs, "AUTH_JWT_HS256_SECRET must be at least 32 bytes")
		}
	default:
		errs = append(errs, fmt.Sprintf("AUTH_MODE=%q: want %q or %q", a.Mode, auth.ModeJWT, auth.ModeHeader))
	}
	return errs
}
