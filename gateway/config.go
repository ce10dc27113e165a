// Package gateway assembles the HTTP server: configuration, the upstream (WeDa or the embedded
// sandbox), the GraphQL handler with its per-operation sessions, GraphiQL, health checks, logging
// and graceful shutdown.
package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"go.opentelemetry.io/otel/trace"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/internal/duration"
	"github.com/wedagraph/gateway/live"
	"github.com/wedagraph/gateway/session"
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
	Session         session.Config    // MAX_CONCURRENT_UPSTREAM, MAX_UPSTREAM_CALLS
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
	MaxOperations              int           // MAX_OPERATIONS_IN_FLIGHT: in this process, default 64
	MaxOperationsPerViewer     int           // MAX_OPERATIONS_PER_VIEWER: in flight for one viewer, default 24
	MaxOperationsPerConnection int           // MAX_OPERATIONS_PER_CONNECTION: in flight on one WebSocket, default 8
	MaxConnections             int           // MAX_CONNECTIONS: WebSockets and SSE streams in this process, default 1000
	MaxConnectionsPerViewer    int           // MAX_CONNECTIONS_PER_VIEWER: default 16
	OperationTimeout           time.Duration // OPERATION_TIMEOUT: the deadline of a query or mutation and its deferred parts, default 30s

	// Not settings: how long a stream's client may take, for tests to shorten. Zero: 10s for a
	// write and for connection_init, a ping every 15s.
	WriteTimeout, InitTimeout, KeepAlive time.Duration
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
	TrustedProxies []netip.Prefix // TRUSTED_PROXIES: peers whose ProxyHeader is believed
	// TrustAnyProxy (TRUSTED_PROXIES_ALLOW_ALL) lets TRUSTED_PROXIES hold 0.0.0.0/0 or ::/0.
	TrustAnyProxy bool
	// ProxyHeader (TRUSTED_PROXY_HEADER) is the one header the trusted proxies set to name the
	// client; default X-Forwarded-For. Every other header is ignored.
	ProxyHeader string
	// IPv6Prefix (RATE_LIMIT_IPV6_PREFIX) is how many leading bits of an IPv6 client address
	// name one client for the rate limits; default 64.
	IPv6Prefix    int
	APQCacheSize  int    // APQ_CACHE_SIZE, default 1000
	PersistedFile string // PERSISTED_QUERIES_FILE: a JSON object of sha256 hash → query
	PersistedOnly bool   // PERSISTED_QUERIES_ONLY: refuse any query not in that file
}

// ConfigError lists every bad setting at once, one line each, each naming its setting: one start
// tells the operator everything that is wrong.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return "configuration: " + e.Problems[0]
	}
	return fmt.Sprintf("configuration: %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// ConfigFromEnv reads Config with getenv through the settings table (settings.go): each setting's
// default, then its variable, read and range-checked by the row's own parser; then the checks
// that involve several settings. Every problem is reported, in a *ConfigError.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	var problems []string
	for _, s := range Settings() {
		if s.read == nil {
			continue // read by someone else: Go's runtime, OpenTelemetry's SDK
		}
		if !s.derived && s.Default != "-" {
			if err := s.read(&cfg, s.Default); err != nil {
				panic(fmt.Sprintf("gateway: the default of %s does not read: %v", s.Name, err))
			}
		}
		v := getenv(s.Name)
		if !s.secret {
			v = strings.TrimSpace(v)
		}
		if strings.TrimSpace(v) == "" {
			continue
		}
		if err := s.read(&cfg, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s=%s: %v", s.Name, shown(s, v), err))
		}
	}
	cfg.LiveOff = cfg.Live.MaxTotal == 0
	problems = append(problems, crossChecks(cfg)...)
	if len(problems) > 0 {
		return Config{}, &ConfigError{Problems: problems}
	}
	return cfg, nil
}

// shown is a bad value as an error may quote it: never a secret, never a URL's password.
func shown(s Setting, v string) string {
	switch {
	case s.secret:
		return "(hidden)"
	case strings.Contains(v, "://"):
		if u, err := url.Parse(v); err == nil {
			return strconv.Quote(u.Redacted())
		}
		return "(hidden)"
	}
	return strconv.Quote(v)
}

// crossChecks finds the problems that involve several settings, the ones New would otherwise
// report one restart at a time, or never.
func crossChecks(cfg Config) []string {
	errs := authChecks(cfg)
	l, st, live := cfg.Limits, cfg.Streams, cfg.Live
	if cfg.Pprof && cfg.MetricsAddr == "" {
		errs = append(errs, "PPROF=true needs METRICS_ADDR: profiles are served on the admin port only")
	}
	if l.PersistedOnly && l.PersistedFile == "" {
		errs = append(errs, "PERSISTED_QUERIES_ONLY needs PERSISTED_QUERIES_FILE")
	}
	for _, p := range l.TrustedProxies {
		if p.Bits() == 0 && !l.TrustAnyProxy {
			errs = append(errs, fmt.Sprintf("TRUSTED_PROXIES holds %s: every peer could name any client address and pass "+
				"the address limit as anyone; name your proxies' networks, or set TRUSTED_PROXIES_ALLOW_ALL=true if "+
				"nothing but your proxies can reach the gateway", p))
		}
	}
	above := func(name string, n int, other string, m int, why string) {
		if n > m {
			errs = append(errs, fmt.Sprintf("%s=%d is above %s=%d: %s", name, n, other, m, why))
		}
	}
	if !cfg.LiveOff {
		above("LIVE_MAX_PER_VIEWER", live.MaxPerViewer, "LIVE_MAX_SUBSCRIPTIONS", live.MaxTotal, "one viewer could hold every subscription")
	}
	above("MAX_OPERATIONS_PER_VIEWER", st.MaxOperationsPerViewer, "MAX_OPERATIONS_IN_FLIGHT", st.MaxOperations,
		"one viewer could fill the process")
	above("MAX_OPERATIONS_PER_CONNECTION", st.MaxOperationsPerConnection, "MAX_OPERATIONS_PER_VIEWER",
		st.MaxOperationsPerViewer, "a connection's viewer cap would never let it reach its own")
	above("MAX_CONNECTIONS_PER_VIEWER", st.MaxConnectionsPerViewer, "MAX_CONNECTIONS", st.MaxConnections,
		"one viewer could hold every connection")
	if wt := cfg.Upstream.Timeout; st.OperationTimeout < wt {
		errs = append(errs, fmt.Sprintf("OPERATION_TIMEOUT=%s is shorter than WEDA_TIMEOUT=%s: an operation would end "+
			"before one upstream call may", duration.Short(st.OperationTimeout), duration.Short(wt)))
	}
	return errs
}

// authChecks finds the settings of WeDa and of authentication that contradict each other.
func authChecks(cfg Config) []string {
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
			errs = append(errs, "AUTH_MODE: clients would not authenticate: set AUTH_MODE=jwt (with AUTH_JWT_HS256_SECRET or "+
				"AUTH_JWKS_URL), or, for development only, AUTH_MODE=header with ALLOW_DEV_USER_HEADER=true")
		case a.Mode == auth.ModeHeader && !cfg.AllowDevHeaders:
			errs = append(errs, "AUTH_MODE=header trusts any caller; in front of a real WeDa it needs ALLOW_DEV_USER_HEADER=true")
		}
	}
	if a.Mode == auth.ModeJWT {
		switch {
		case len(a.HS256Secret) > 0 && a.JWKSURL != "":
			errs = append(errs, "AUTH_JWT_HS256_SECRET and AUTH_JWKS_URL exclude each other: set one")
		case len(a.HS256Secret) == 0 && a.JWKSURL == "":
			errs = append(errs, "AUTH_MODE=jwt needs AUTH_JWT_HS256_SECRET or AUTH_JWKS_URL")
		case len(a.HS256Secret) > 0 && len(a.HS256Secret) < 32:
			errs = append(errs, "AUTH_JWT_HS256_SECRET must be at least 32 bytes")
		}
	}
	return errs
}

// reader reads one setting's value into a Config, and says what it accepts.
type reader struct {
	values string
	read   func(c *Config, v string) error
}

func intIn(lo, hi int, field func(*Config) *int) reader {
	values := fmt.Sprintf("a whole number from %d to %d", lo, hi)
	return reader{values, func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return errors.New("want " + values)
		}
		*field(c) = n
		return nil
	}}
}

// durationIn reads a duration from lo to hi; 0 too when zeroOff (a setting that 0 turns off).
func durationIn(lo, hi time.Duration, zeroOff bool, field func(*Config) *time.Duration) reader {
	values := fmt.Sprintf("a duration from %s to %s", duration.Short(lo), duration.Short(hi))
	if zeroOff {
		values = fmt.Sprintf("0 (off), or a duration from %s to %s", duration.Short(lo), duration.Short(hi))
	}
	return reader{values, func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || (d < lo && !(zeroOff && d == 0)) || d > hi {
			return fmt.Errorf("want %s, such as %s", values, duration.Short(max(lo, time.Second)))
		}
		*field(c) = d
		return nil
	}}
}

func boolean(field func(*Config) *bool) reader {
	return reader{"true or false", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		*field(c) = b
		return nil
	}}
}

// optional is an on/off setting whose default depends on other settings: nil until set.
func optional(field func(*Config) **bool) reader {
	return reader{"true or false", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		*field(c) = &b
		return nil
	}}
}

func text(values string, field func(*Config) *string) reader {
	return reader{values, func(c *Config, v string) error { *field(c) = v; return nil }}
}

func oneOf(field func(*Config) *string, allowed ...string) reader {
	values := strings.Join(allowed, " or ")
	return reader{values, func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*field(c) = v
				return nil
			}
		}
		return errors.New("want " + values)
	}}
}

// cidrs reads comma-separated networks or addresses. A network with host bits set (10.1.2.3/8) is
// refused with the network it would have widened to: silently widening it trusts more than meant.
func cidrs(field func(*Config) *[]netip.Prefix) reader {
	return reader{"comma-separated CIDRs or addresses, such as 10.0.0.0/8,fd00::/8", func(c *Config, v string) error {
		var out []netip.Prefix
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			p, err := netip.ParsePrefix(part)
			if err != nil {
				a, aerr := netip.ParseAddr(part)
				if aerr != nil {
					return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", part)
				}
				p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
			}
			if p.Masked() != p {
				return fmt.Errorf("%q has host bits set: did you mean %s?", part, p.Masked())
			}
			out = append(out, p)
		}
		*field(c) = out
		return nil
	}}
}

// headerName reads an HTTP header's name, in its canonical form.
func headerName(field func(*Config) *string) reader {
	return reader{"an HTTP header name, such as X-Forwarded-For, Forwarded or X-Real-IP", func(c *Config, v string) error {
		for _, r := range v {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
				return errors.New("want an HTTP header name such as X-Forwarded-For")
			}
		}
		*field(c) = http.CanonicalHeaderKey(v)
		return nil
	}}
}

func listenAddr(c *Config, v string) error {
	if net.ParseIP(strings.Trim(v, "[]")) == nil && v != "localhost" {
		return errors.New("want an IP address such as 0.0.0.0 or 127.0.0.1 (the port is PORT)")
	}
	c.ListenAddr = v
	return nil
}

func metricsAddr(c *Config, v string) error {
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		return errors.New("want host:port such as 0.0.0.0:9090")
	}
	c.MetricsAddr = v
	return nil
}

func redisURL(c *Config, v string) error {
	if _, err := redis.ParseURL(v); err != nil {
		return errors.New("want redis://[:password@]host:6379/0, rediss:// for TLS, or unix://")
	}
	c.RedisURL = v
	return nil
}
