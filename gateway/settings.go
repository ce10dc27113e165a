package gateway

import (
	"fmt"
	"slices"
	"strings"
)

// Setting is one environment variable the gateway reads.
type Setting struct{ Name, Default, Meaning string }

// Settings lists every variable, for `weda-gateway --help` and for spotting misspelt ones.
func Settings() []Setting {
	return []Setting{
		{"LISTEN_ADDR", "127.0.0.1 with the sandbox, all interfaces otherwise", "the address to listen on"},
		{"PORT", "8080", "the HTTP port (0 picks a free one)"},
		{"METRICS_ADDR", "off", "host:port serving Prometheus metrics at /metrics, never on the public port"},
		{"METRICS", "true", "collect metrics (false: none, even with METRICS_ADDR)"},
		{"GOGC", "150", "Go's GC target: the gateway raises Go's default of 100 unless this is set"},
		{"PPROF", "false", "serve Go's profiles at /debug/pprof/ on METRICS_ADDR (never on the public port)"},
		{"WEDA_ENV_ID", "none: the embedded sandbox", "the WeDa environment id"},
		{"WEDA_REGION", "ap-shanghai", "the environment's region"},
		{"WEDA_BASE_URL", "-", "the upstream origin, overriding the host built from the two above"},
		{"WEDA_ENV_TYPE", "prod", "prod or pre"},
		{"WEDA_SECRET_ID", "-", "client credentials: the id"},
		{"WEDA_SECRET_KEY", "-", "client credentials: the key"},
		{"WEDA_API_KEY", "-", "a server API key, instead of the pair"},
		{"WEDA_TIMEOUT", "10s", "the limit on each attempt of each upstream call"},
		{"WEDA_TIMEZONE", "Asia/Shanghai", "the zone of WeDa's zone-less times"},
		{"ALLOW_ENV_OVERRIDE", "false", "let a request pick pre or prod with X-Weda-Env"},
		{"AUTH_MODE", "header with the sandbox, required otherwise", "jwt or header"},
		{"AUTH_JWT_HS256_SECRET", "-", "jwt: the shared HS256 secret (at least 32 bytes)"},
		{"AUTH_JWKS_URL", "-", "jwt: the issuer's JWK Set"},
		{"AUTH_ISSUER", "-", "jwt: the required iss"},
		{"AUTH_AUDIENCE", "-", "jwt: the required aud"},
		{"AUTH_USER_CLAIM", "sub", "jwt: the claim holding the WeDa user id"},
		{"AUTH_SOURCE_CLAIM", "-", "jwt: the claim holding the user's source (else 4)"},
		{"AUTH_ROLES_CLAIM", "roles", "the claim holding roles"},
		{"AUTH_ADMIN_ROLE", "admin", "the operators' role"},
		{"AUTH_SCOPE_CLAIM", "scope", "the claim holding scopes"},
		{"AUTH_ACT_AS_SCOPE", "-", "the scope that allows X-Weda-Act-As"},
		{"ALLOW_DEV_USER_HEADER", "false", "allow header mode in front of a real WeDa"},
		{"TRUSTED_PROXIES", "none", "comma-separated CIDRs whose X-Forwarded-For / Forwarded name the client"},
		{"RATE_LIMIT_ADDRESS_REQUESTS", "twice RATE_LIMIT_REQUESTS", "requests per window and client address, before authentication; 0 off"},
		{"RATE_LIMIT_REQUESTS", "300", "requests per window and user, after authentication; 0 turns both stages off"},
		{"RATE_LIMIT_WINDOW", "1m", "the rate limits' window (at least 1s)"},
		{"MAX_BODY_BYTES", "1048576", "the largest request body"},
		{"MAX_QUERY_TOKENS", "5000", "the parser's token limit"},
		{"MAX_QUERY_FIELDS", "2000", "selections in a document, fragments expanded"},
		{"MAX_FIELD_REPEATS", "20", "fields of one name in one selection set"},
		{"MAX_QUERY_DEPTH", "12", "how deep data fields nest"},
		{"MAX_INTROSPECTION_DEPTH", "16", "how deep a __schema / __type selection nests"},
		{"MAX_QUERY_ALIASES", "30", "aliased fields in a document"},
		{"MAX_ROOT_FIELDS", "20", "root fields of an operation"},
		{"MAX_DIRECTIVES", "5", "directives at one place"},
		{"MAX_QUERY_COMPLEXITY", "30000", "the most an operation may cost"},
		{"LIVE_POLL_INTERVAL", "5s", "how often a subscription's topic is polled (at least 1s), once per viewer and topic"},
		{"LIVE_MAX_PER_VIEWER", "50", "subscriptions one viewer may hold on one replica"},
		{"LIVE_MAX_SUBSCRIPTIONS", "10000", "subscriptions on one replica; 0 turns subscriptions off"},
		{"LIVE_VIEWER_POLLS_PER_MINUTE", "120", "each viewer's budget of polls to WeDa for subscriptions"},
		{"MAX_OPERATIONS_IN_FLIGHT", "128", "operations running at once in this process (HTTP, WebSocket, SSE, deferred parts); past it, 503 / RATE_LIMITED at once"},
		{"MAX_OPERATIONS_PER_VIEWER", "16", "operations one viewer may have running at once"},
		{"MAX_OPERATIONS_PER_CONNECTION", "8", "operations one WebSocket may have running at once"},
		{"MAX_CONNECTIONS", "2000", "long-lived connections (WebSockets and SSE streams) in this process"},
		{"MAX_CONNECTIONS_PER_VIEWER", "16", "long-lived connections one viewer may hold"},
		{"OPERATION_TIMEOUT", "30s", "the deadline of a query or mutation, its deferred parts included (at least 1s)"},
		{"UPSTREAM_COALESCE", "true", "share identical reads in flight across requests (one upstream call for all who wait)"},
		{"MAX_CONCURRENT_UPSTREAM", "64", "upstream calls one request may have in flight"},
		{"MAX_UPSTREAM_CALLS", "200", "upstream calls one request may make"},
		{"APQ_CACHE_SIZE", "1000", "automatic persisted queries remembered"},
		{"PERSISTED_QUERIES_FILE", "-", "registered operations (JSON: sha256 -> operation)"},
		{"PERSISTED_QUERIES_ONLY", "false", "run only registered operations"},
		{"INTROSPECTION", "on with the sandbox", "answer schema introspection"},
		{"GRAPHIQL", "on with the sandbox", "serve GraphiQL at /"},
		{"CORS_ORIGINS", "http://localhost:* and http://127.0.0.1:* with the sandbox", "origins allowed to call from a browser"},
		{"REDIS_URL", "-", "a Redis shared by the replicas"},
		{"REFERENCE_CACHE_TTL", "30s", "how long flows and user records are shared across requests (0 off, else at least 1s)"},
		{"IDEMPOTENCY_TTL", "24h", "how long a keyed write's result is kept (at least 1m)"},
		{"IDEMPOTENCY_MAX_KEYS", "100000", "how many such results are kept"},
		{"SHUTDOWN_DELAY", "5s", "after SIGTERM, how long /readyz answers 503 while requests are still served"},
		{"SHUTDOWN_TIMEOUT", "15s", "then, how long in-flight requests may finish (at least 1s)"},
		{"SANDBOX_SEED", "1", "the seed of the embedded sandbox's demo data"},
		{"USER_BATCH_WAIT", "-", "ignored: user lookups are batched without a clock"},
		{"LOG_LEVEL", "info", "debug, info, warn or error"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "-", "send traces to this OTLP/HTTP collector (the other OTEL_* variables apply)"},
		{"OTEL_SERVICE_NAME", "weda-gateway", "the traces' service.name"},
		{"OTEL_RESOURCE_ATTRIBUTES", "-", "more resource attributes of the traces (key=value,...)"},
	}
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
		fmt.Fprintf(&b, "  %-28s %s (default: %s)\n", s.Name, s.Meaning, s.Default)
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
