package gateway

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/live"
	"github.com/wedagraph/gateway/upstream"
)

// Setting is one environment variable the gateway reads. Its row in Settings is the one place
// its name, default, meaning and accepted values are written, with the parser that reads it:
// ConfigFromEnv, `weda-gateway --help` and docs/configuration.md all come from it.
type Setting struct {
	Name    string
	Default string // the value when unset, as an operator would write it ("-": none); or how it is chosen
	Meaning string
	Values  string // what is accepted

	read    func(c *Config, v string) error // nil: read by someone else (Go's runtime, OpenTelemetry)
	derived bool                            // Default says how the value is chosen: not a value to read
	secret  bool                            // read as written, never shown in an error
}

// row builds a setting read by p.
func row(name, def, meaning string, p reader) Setting {
	return Setting{Name: name, Default: def, Meaning: meaning, Values: p.values, read: p.read}
}

// chosen marks the default as a description of how the value is chosen.
func (s Setting) chosen() Setting { s.derived = true; return s }

func (s Setting) hidden() Setting { s.secret = true; return s }

// Settings lists every variable, in the order --help and docs/configuration.md show them.
func Settings() []Setting {
	var rows []Setting
	for _, part := range [][]Setting{serverSettings(), wedaSettings(), authSettings(), edgeSettings(), boundSettings(),
		liveSettings(), stateSettings()} {
		rows = append(rows, part...)
	}
	return rows
}

func serverSettings() []Setting {
	return []Setting{
		row("LISTEN_ADDR", "127.0.0.1 with the sandbox, all interfaces otherwise", "the address to listen on",
			reader{"an IP address, or localhost", listenAddr}).chosen(),
		row("PORT", "8080", "the HTTP port (0 picks a free one)", intIn(0, 65535, func(c *Config) *int { return &c.Port })),
		row("METRICS_ADDR", "off", "host:port serving Prometheus metrics at /metrics, never on the public port",
			reader{"host:port", metricsAddr}).chosen(),
		row("METRICS", "true", "collect metrics (false: none, even with METRICS_ADDR)",
			boolean(func(c *Config) *bool { return &c.Metrics })),
		row("GOGC", "150", "Go's GC target: the gateway raises Go's default of 100 unless this is set",
			reader{"off, or a whole number from 1 to 100000 (read by Go's runtime)", gogc}),
		row("PPROF", "false", "serve Go's profiles at /debug/pprof/ on METRICS_ADDR (never on the public port)",
			boolean(func(c *Config) *bool { return &c.Pprof })),
		row("LOG_LEVEL", "info", "the least level logged", reader{"debug, info, warn or error", func(c *Config, v string) error {
			l, err := ParseLogLevel(v)
			if err != nil {
				return errors.New("want debug, info, warn or error")
			}
			c.LogLevel = l
			return nil
		}}),
		row("OTEL_EXPORTER_OTLP_ENDPOINT", "-", "send traces to this OTLP/HTTP collector (the other OTEL_* variables apply)",
			reader{"a URL (read by OpenTelemetry)", func(c *Config, _ string) error { c.OTLPTracing = true; return nil }}),
		row("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "-", "send traces to this OTLP/HTTP endpoint, instead of the one above",
			reader{"a URL (read by OpenTelemetry)", func(c *Config, _ string) error { c.OTLPTracing = true; return nil }}),
		{Name: "OTEL_SERVICE_NAME", Default: "weda-gateway", Meaning: "the traces' service.name", Values: "text (read by OpenTelemetry)"},
		{Name: "OTEL_RESOURCE_ATTRIBUTES", Default: "-", Meaning: "more resource attributes of the traces",
			Values: "key=value,... (read by OpenTelemetry)"},
	}
}

// wedaSettings are upstream's own rows (upstream.EnvSettings), reading into Config.Upstream.
func wedaSettings() []Setting {
	var rows []Setting
	for _, u := range upstream.EnvSettings() {
		rows = append(rows, Setting{Name: u.Name, Default: u.Default, Meaning: u.Meaning, Values: u.Values, derived: u.Derived,
			secret: upstream.IsSecret(u.Name), read: func(c *Config, v string) error { return u.Set(&c.Upstream, v) }})
	}
	return append(rows, row("ALLOW_ENV_OVERRIDE", "false", "let a request pick pre or prod with X-Weda-Env",
		boolean(func(c *Config) *bool { return &c.AllowEnvSwitch })))
}

func authSettings() []Setting {
	a := func(values string, f func(*auth.Config) *string) reader {
		return text(values, func(c *Config) *string { return f(&c.Auth) })
	}
	return []Setting{
		row("AUTH_MODE", "header with the sandbox, required otherwise", "how clients authenticate",
			oneOf(func(c *Config) *string { return &c.Auth.Mode }, auth.ModeJWT, auth.ModeHeader)).chosen(),
		row("AUTH_JWT_HS256_SECRET", "-", "jwt: the shared HS256 secret (at least 32 bytes)", reader{"text", func(c *Config, v string) error {
			c.Auth.HS256Secret = []byte(v)
			return nil
		}}).hidden(),
		row("AUTH_JWKS_URL", "-", "jwt: the issuer's JWK Set", reader{"an absolute http(s) URL", func(c *Config, v string) error {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return errors.New("want an absolute http(s) URL")
			}
			c.Auth.JWKSURL = v
			return nil
		}}),
		row("AUTH_ISSUER", "-", "jwt: the required iss", a("text", func(c *auth.Config) *string { return &c.Issuer })),
		row("AUTH_AUDIENCE", "-", "jwt: the required aud", a("text", func(c *auth.Config) *string { return &c.Audience })),
		row("AUTH_USER_CLAIM", "sub", "jwt: the claim holding the WeDa user id", a("a claim name", func(c *auth.Config) *string { return &c.UserClaim })),
		row("AUTH_SOURCE_CLAIM", "-", "jwt: the claim holding the user's source (else 4)", a("a claim name", func(c *auth.Config) *string { return &c.SourceClaim })),
		row("AUTH_ROLES_CLAIM", "roles", "the claim holding roles", a("a claim name", func(c *auth.Config) *string { return &c.RolesClaim })),
		row("AUTH_ADMIN_ROLE", "admin", "the operators' role", a("a role name", func(c *auth.Config) *string { return &c.AdminRole })),
		row("AUTH_SCOPE_CLAIM", "scope", "the claim holding scopes", a("a claim name", func(c *auth.Config) *string { return &c.ScopeClaim })),
		row("AUTH_ACT_AS_SCOPE", "-", "the scope that allows X-Weda-Act-As", a("a scope name", func(c *auth.Config) *string { return &c.ActAsScope })),
		row("ALLOW_DEV_USER_HEADER", "false", "allow header mode in front of a real WeDa", boolean(func(c *Config) *bool { return &c.AllowDevHeaders })),
	}
}

func edgeSettings() []Setting {
	return []Setting{
		row("TRUSTED_PROXIES", "none", "the proxies (ingress, load balancer) whose TRUSTED_PROXY_HEADER names the client; "+
			"0.0.0.0/0 and ::/0 only with TRUSTED_PROXIES_ALLOW_ALL", cidrs(func(c *Config) *[]netip.Prefix { return &c.Limits.TrustedProxies })).chosen(),
		row("TRUSTED_PROXIES_ALLOW_ALL", "false", "let TRUSTED_PROXIES trust every peer: only when nothing but your proxies can reach the gateway",
			boolean(func(c *Config) *bool { return &c.Limits.TrustAnyProxy })),
		row("TRUSTED_PROXY_HEADER", "X-Forwarded-For", "the one header the trusted proxies set to name the client (read from the "+
			"right, its nearest untrusted address); every other header is ignored", headerName(func(c *Config) *string { return &c.Limits.ProxyHeader })),
		row("RATE_LIMIT_ADDRESS_REQUESTS", "twice RATE_LIMIT_REQUESTS", "unauthenticated requests (none, failed, or refused before "+
			"authentication) per window and client address; past it the address is refused before anything is read; 0 off",
			reader{"a whole number from 0 to 1000000", func(c *Config, v string) error {
				if err := intIn(0, 1_000_000, func(c *Config) *int { return &c.Limits.AddressRate }).read(c, v); err != nil {
					return err
				}
				if c.Limits.AddressRate == 0 {
					c.Limits.AddressRate = -1
				}
				return nil
			}}).chosen(),
		row("RATE_LIMIT_REQUESTS", "300", "requests per window and user, after authentication; 0 turns both stages off",
			intIn(0, 1_000_000, func(c *Config) *int { return &c.Limits.RateRequests })),
		row("RATE_LIMIT_WINDOW", "1m", "the rate limits' window", durationIn(time.Second, time.Hour, false, func(c *Config) *time.Duration { return &c.Limits.RateWindow })),
		row("RATE_LIMIT_IPV6_PREFIX", "64", "how many leading bits of an IPv6 address name one client (a host holds a whole /64)",
			intIn(32, 128, func(c *Config) *int { return &c.Limits.IPv6Prefix })),
		row("MAX_BODY_BYTES", "1048576", "the largest request body", reader{"a whole number from 1024 to 67108864", func(c *Config, v string) error {
			var n int
			if err := intIn(1024, 64<<20, func(*Config) *int { return &n }).read(c, v); err != nil {
				return err
			}
			c.Limits.MaxBodyBytes = int64(n)
			return nil
		}}),
	}
}

func boundSettings() []Setting {
	l := func(lo, hi int, f func(*Limits) *int) reader {
		return intIn(lo, hi, func(c *Config) *int { return f(&c.Limits) })
	}
	return []Setting{
		row("MAX_QUERY_TOKENS", "5000", "the parser's token limit", l(100, 1_000_000, func(l *Limits) *int { return &l.MaxTokens })),
		row("MAX_QUERY_FIELDS", "2000", "selections in a document, fragments expanded", l(10, 1_000_000, func(l *Limits) *int { return &l.MaxFields })),
		row("MAX_FIELD_REPEATS", "20", "fields of one name in one selection set", l(1, 10_000, func(l *Limits) *int { return &l.MaxRepeats })),
		row("MAX_QUERY_DEPTH", "12", "how deep data fields nest", l(2, 100, func(l *Limits) *int { return &l.MaxDepth })),
		row("MAX_INTROSPECTION_DEPTH", "16", "how deep a __schema / __type selection nests", l(2, 100, func(l *Limits) *int { return &l.MaxIntroDepth })),
		row("MAX_QUERY_ALIASES", "30", "aliased fields in a document", l(0, 10_000, func(l *Limits) *int { return &l.MaxAliases })),
		row("MAX_ROOT_FIELDS", "20", "root fields of an operation", l(1, 1000, func(l *Limits) *int { return &l.MaxRootFields })),
		row("MAX_DIRECTIVES", "5", "directives at one place", l(1, 100, func(l *Limits) *int { return &l.MaxDirectives })),
		row("MAX_QUERY_COMPLEXITY", "30000", "the most an operation may cost", l(10, 10_000_000, func(l *Limits) *int { return &l.MaxComplexity })),
		row("APQ_CACHE_SIZE", "1000", "automatic persisted queries remembered", l(1, 1_000_000, func(l *Limits) *int { return &l.APQCacheSize })),
		row("PERSISTED_QUERIES_FILE", "-", "registered operations (JSON: sha256 -> operation)",
			text("a file path", func(c *Config) *string { return &c.Limits.PersistedFile })),
		row("PERSISTED_QUERIES_ONLY", "false", "run only registered operations", boolean(func(c *Config) *bool { return &c.Limits.PersistedOnly })),
		row("INTROSPECTION", "on with the sandbox", "answer schema introspection", optional(func(c *Config) **bool { return &c.Introspection })).chosen(),
		row("GRAPHIQL", "on with the sandbox", "serve GraphiQL at /", optional(func(c *Config) **bool { return &c.GraphiQL })).chosen(),
		row("CORS_ORIGINS", "http://localhost:* and http://127.0.0.1:* with the sandbox", "origins allowed to call from a browser",
			reader{"comma-separated origins", func(c *Config, v string) error {
				c.CORSOrigins = nil
				for _, o := range strings.Split(v, ",") {
					if o = strings.TrimSpace(o); o != "" {
						c.CORSOrigins = append(c.CORSOrigins, o)
					}
				}
				return nil
			}}).chosen(),
	}
}

func liveSettings() []Setting {
	st := func(lo, hi int, f func(*Streams) *int) reader {
		return intIn(lo, hi, func(c *Config) *int { return f(&c.Streams) })
	}
	return []Setting{
		row("LIVE_POLL_INTERVAL", "5s", "how often a subscription's topic is polled, once per viewer and topic",
			durationIn(live.MinInterval, time.Hour, false, func(c *Config) *time.Duration { return &c.Live.Interval })),
		row("LIVE_MAX_PER_VIEWER", "50", "subscriptions one viewer may hold on one replica (at most LIVE_MAX_SUBSCRIPTIONS)",
			intIn(1, 10_000, func(c *Config) *int { return &c.Live.MaxPerViewer })),
		row("LIVE_MAX_SUBSCRIPTIONS", "10000", "subscriptions on one replica; 0 turns subscriptions off",
			intIn(0, 1_000_000, func(c *Config) *int { return &c.Live.MaxTotal })),
		row("LIVE_VIEWER_POLLS_PER_MINUTE", "120", "each viewer's budget of polls to WeDa for subscriptions",
			intIn(1, 6000, func(c *Config) *int { return &c.Live.ViewerPollsPerMinute })),
		row("MAX_OPERATIONS_IN_FLIGHT", "64", "operations running at once in this process (HTTP, WebSocket, SSE, deferred parts); "+
			"past it, 503 / RATE_LIMITED at once. Each costs up to ~2 MiB (the inbox screen): 64 fit a 256 MiB pod", st(1, 100_000, func(s *Streams) *int { return &s.MaxOperations })),
		row("MAX_OPERATIONS_PER_VIEWER", "24", "operations one viewer may have running at once (at most MAX_OPERATIONS_IN_FLIGHT)",
			st(1, 100_000, func(s *Streams) *int { return &s.MaxOperationsPerViewer })),
		row("MAX_OPERATIONS_PER_CONNECTION", "8", "operations one WebSocket may have running at once (at most MAX_OPERATIONS_PER_VIEWER)",
			st(1, 10_000, func(s *Streams) *int { return &s.MaxOperationsPerConnection })),
		row("MAX_CONNECTIONS", "1000", "long-lived connections (WebSockets and SSE streams) in this process; each costs ~40 KiB idle, ~65 KiB with a subscription",
			st(1, 1_000_000, func(s *Streams) *int { return &s.MaxConnections })),
		row("MAX_CONNECTIONS_PER_VIEWER", "16", "long-lived connections one viewer may hold (at most MAX_CONNECTIONS)",
			st(1, 100_000, func(s *Streams) *int { return &s.MaxConnectionsPerViewer })),
		row("OPERATION_TIMEOUT", "30s", "the deadline of a query or mutation, its deferred parts included (at least WEDA_TIMEOUT)",
			durationIn(time.Second, 10*time.Minute, false, func(c *Config) *time.Duration { return &c.Streams.OperationTimeout })),
	}
}

func stateSettings() []Setting {
	return []Setting{
		row("MAX_CONCURRENT_UPSTREAM", "64", "upstream calls one request may have in flight",
			intIn(1, 1024, func(c *Config) *int { return &c.Session.MaxConcurrent })),
		row("MAX_UPSTREAM_CALLS", "200", "upstream calls one request may make", intIn(1, 10_000, func(c *Config) *int { return &c.Session.MaxCalls })),
		row("REFERENCE_CACHE_TTL", "30s", "how long flows and user records are shared across requests",
			durationIn(time.Second, time.Hour, true, func(c *Config) *time.Duration { return &c.ReferenceTTL })),
		row("REDIS_URL", "-", "a Redis shared by the replicas, for idempotency keys and rate limits; give it an append-only "+
			"file on a volume (docs/mutations.md)", reader{"redis://[:password@]host:6379/0, rediss:// for TLS, or unix://", redisURL}),
		row("IDEMPOTENCY_TTL", "24h", "how long a keyed write's result is kept",
			durationIn(time.Minute, 30*24*time.Hour, false, func(c *Config) *time.Duration { return &c.IdempotencyTTL })),
		row("IDEMPOTENCY_MAX_KEYS", "100000", "how many such results are kept in memory (without REDIS_URL)",
			intIn(1, 10_000_000, func(c *Config) *int { return &c.IdempotencyKeys })),
		row("SHUTDOWN_DELAY", "5s", "after SIGTERM, how long /readyz answers 503 while requests are still served",
			durationIn(0, 5*time.Minute, false, func(c *Config) *time.Duration { return &c.ShutdownDelay })),
		row("SHUTDOWN_TIMEOUT", "15s", "then, how long in-flight requests may finish",
			durationIn(time.Second, 10*time.Minute, false, func(c *Config) *time.Duration { return &c.ShutdownTimeout })),
		row("SANDBOX_SEED", "1", "the seed of the embedded sandbox's demo data", reader{"a positive whole number", func(c *Config, v string) error {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n == 0 {
				return errors.New("want a positive whole number")
			}
			c.SandboxSeed = n
			return nil
		}}),
		row("USER_BATCH_WAIT", "-", "ignored: user lookups are batched without a clock (still read, so a bad value is reported)",
			durationIn(0, time.Second, false, func(*Config) *time.Duration { return new(time.Duration) })),
	}
}

// gogc checks GOGC, which Go's runtime reads (and main, to leave it alone): a value the runtime
// would not understand is refused rather than ignored.
func gogc(_ *Config, v string) error {
	if v == "off" {
		return nil
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 100_000 {
		return errors.New("want off, or a whole number from 1 to 100000")
	}
	return nil
}

// Usage is the text of `weda-gateway --help`.
func Usage() string {
	var b strings.Builder
	b.WriteString(`weda-gateway: a GraphQL gateway over the WeDa workflow OpenAPI.

Usage:
  weda-gateway                       serve the gateway (the embedded sandbox when no WeDa is configured)
  weda-gateway sandbox [-addr A] [-seed N]
                                     serve the WeDa sandbox alone
  weda-gateway healthcheck           exit 0 when the gateway on PORT answers /healthz
  weda-gateway version               print the version and commit
  weda-gateway --help                this text

Settings (environment variables):
`)
	for _, s := range Settings() {
		fmt.Fprintf(&b, "  %-34s %s\n  %-34s default: %s; accepts: %s\n", s.Name, s.Meaning, "", s.Default, s.Values)
	}
	return b.String()
}

// ConfigurationMarkdown is docs/configuration.md: the settings table as a page. A test keeps the
// file equal to it (go test ./gateway -run TestConfigurationDoc -update rewrites the file).
func ConfigurationMarkdown() string {
	var b strings.Builder
	b.WriteString(`# Configuration

<!-- Generated from the settings table in gateway/settings.go: edit it there, then run
     go test ./gateway -run TestConfigurationDoc -update -->

Every setting is an environment variable. ` + "`weda-gateway --help`" + ` prints this table; the same
rows read and check the values, so a value outside what a row accepts stops the start with one
line naming the setting (exit 1), every problem at once. Settings that contradict each other are
refused too: LIVE_MAX_PER_VIEWER above LIVE_MAX_SUBSCRIPTIONS, MAX_OPERATIONS_PER_VIEWER above
MAX_OPERATIONS_IN_FLIGHT, MAX_OPERATIONS_PER_CONNECTION above MAX_OPERATIONS_PER_VIEWER,
MAX_CONNECTIONS_PER_VIEWER above MAX_CONNECTIONS, OPERATION_TIMEOUT below WEDA_TIMEOUT, and
0.0.0.0/0 or ::/0 in TRUSTED_PROXIES without TRUSTED_PROXIES_ALLOW_ALL. A name that looks meant
for the gateway but is not one of these (GRAPHIQ, WEDA_SECERT_KEY) is warned about at start.

A default of "-" means unset.

| Setting | Default | Accepts | Meaning |
|---|---|---|---|
`)
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, s := range Settings() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.Name, cell(s.Default), cell(s.Values), cell(s.Meaning))
	}
	return b.String()
}

// UnknownSettings returns a warning for each variable in environ ("NAME=value") that looks meant
// for the gateway but is not one of its settings: a WEDA_, AUTH_ or MAX_ name it does not know,
// or a name one or two letters away from a known one (GRAPHIQ).
func UnknownSettings(environ []string) []string {
	known := map[string]bool{}
	var names []string
	for _, s := range Settings() {
		known[s.Name] = true
		names = append(names, s.Name)
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if known[name] || strings.HasPrefix(name, "OTEL_") {
			continue
		}
		best, dist := "", 3
		for _, k := range names {
			if d := editDistance(name, k); d < dist {
				best, dist = k, d
			}
		}
		prefixed := strings.HasPrefix(name, "WEDA_") || strings.HasPrefix(name, "AUTH_") || strings.HasPrefix(name, "MAX_")
		switch {
		case best != "" && len(name) >= 4:
			out = append(out, fmt.Sprintf("%s is not a setting; did you mean %s?", name, best))
		case prefixed:
			out = append(out, fmt.Sprintf("%s is not a setting (weda-gateway --help lists them)", name))
		}
	}
	slices.Sort(out)
	return out
}

// editDistance is the Levenshtein distance of two short ASCII names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
