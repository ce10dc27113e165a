// Package metrics exposes the gateway's Prometheus metrics: its HTTP traffic, its calls to WeDa,
// the GraphQL operations and errors it answers, its build, its reference cache and its
// idempotency keys. Each Metrics has its own registry: no global state.
package metrics

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the gateway's collectors.
type Metrics struct {
	registry         *prometheus.Registry
	requests         *prometheus.CounterVec
	requestDuration  *prometheus.HistogramVec
	upstreamCalls    *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	graphqlErrors    *prometheus.CounterVec
	// operations and operationDuration: per GraphQL operation name (operations.go).
	operations        *prometheus.CounterVec
	operationDuration *prometheus.HistogramVec
	idempotency       *prometheus.CounterVec
}

// New registers the collectors on a registry of their own.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weda_gateway_http_requests_total",
			Help: "HTTP requests, by route and status."}, []string{"route", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "weda_gateway_http_request_duration_seconds",
			Help: "HTTP request durations, by route.", Buckets: prometheus.DefBuckets}, []string{"route"}),
		upstreamCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weda_gateway_upstream_requests_total",
			Help: "Requests to WeDa, by endpoint and HTTP status (0: no answer)."}, []string{"endpoint", "status"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "weda_gateway_upstream_request_duration_seconds",
			Help: "Request durations to WeDa, by endpoint.", Buckets: prometheus.DefBuckets}, []string{"endpoint"}),
		graphqlErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weda_gateway_graphql_errors_total",
			Help: "GraphQL errors answered, by extensions.code."}, []string{"code"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weda_gateway_graphql_operations_total",
			Help: "GraphQL operations answered, by operation name (\"anonymous\", or \"other\" past the first 100 names) " +
				"and outcome (ok, or error when the answer carried an error)."}, []string{"operation", "outcome"}),
		operationDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "weda_gateway_graphql_operation_duration_seconds",
			Help:    "GraphQL operation durations, from the request read to the last part answered, by operation name.",
			Buckets: prometheus.DefBuckets}, []string{"operation"}),
		idempotency: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weda_gateway_idempotency_events_total",
			Help: "What idempotency keys did to keyed writes, by mutation and event: replay, conflict (a key reused with " +
				"another input), outcome_unknown, effect_found, effect_absent, effect_check_failed; and the lost claims: " +
				"claim_lost (a claim vanished from Redis before its outcome, recorded anew), outcome_not_recorded (a " +
				"retry may write again; the answer warned), keys_forgotten (a write sent after Redis lost its records; " +
				"the answer warned)."}, []string{"mutation", "event"}),
	}
	m.registry.MustRegister(m.requests, m.requestDuration, m.upstreamCalls, m.upstreamDuration, m.graphqlErrors,
		m.operations, m.operationDuration, m.idempotency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register adds collectors of other parts of the gateway (the subscriptions' pollers).
func (m *Metrics) Register(cs ...prometheus.Collector) {
	m.registry.MustRegister(cs...)
}

// BuildInfo exports weda_gateway_build_info{version,commit,go} 1: which build each replica runs,
// to join with the other series during a rollout.
func (m *Metrics) BuildInfo(version, commit string) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "weda_gateway_build_info",
		Help:        "The gateway's build: always 1, labelled with its version, commit and Go version.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit, "go": runtime.Version()}},
		func() float64 { return 1 }))
}

// CacheLookups exports a cache's own hit and miss counts as
// weda_gateway_reference_cache_lookups_total{cache,result}; they are read at each scrape.
func (m *Metrics) CacheLookups(cache string, hits, misses func() uint64) {
	for result, count := range map[string]func() uint64{"hit": hits, "miss": misses} {
		m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "weda_gateway_reference_cache_lookups_total",
			Help:        "Lookups in the cross-request cache of reference data (flows, users), by cache and result (hit, miss).",
			ConstLabels: prometheus.Labels{"cache": cache, "result": result}},
			func() float64 { return float64(count()) }))
	}
}

// IdempotencyEvent counts one thing an idempotency key did to a keyed write (workflow.Event).
func (m *Metrics) IdempotencyEvent(mutation, event string) {
	m.idempotency.WithLabelValues(mutation, event).Inc()
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Middleware counts requests by chi route pattern (never by raw path: ids would explode labels).
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		m.requests.WithLabelValues(route, strconv.Itoa(ww.Status())).Inc()
		m.requestDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// Transport instruments the requests to WeDa; the endpoint is the path's last segment.
func (m *Metrics) Transport(base http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		endpoint := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if i := strings.Index(endpoint, "("); i >= 0 {
			endpoint = endpoint[:i] // sys_user('id')
		}
		if endpoint == "clientCredential" {
			endpoint = "token"
		}
		start := time.Now()
		resp, err := base.RoundTrip(r)
		status := "0"
		if err == nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		m.upstreamCalls.WithLabelValues(endpoint, status).Inc()
		m.upstreamDuration.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// GraphQLErrors is a gqlgen extension counting the errors of each response by code.
func (m *Metrics) GraphQLErrors() graphql.HandlerExtension { return graphqlErrors{m} }

type graphqlErrors struct{ m *Metrics }

func (graphqlErrors) ExtensionName() string                   { return "ErrorMetrics" }
func (graphqlErrors) Validate(graphql.ExecutableSchema) error { return nil }

func (g graphqlErrors) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "" {
				code = "UNKNOWN"
			}
			g.m.graphqlErrors.WithLabelValues(code).Inc()
		}
	}
	return resp
}
