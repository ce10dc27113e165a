package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/ravilushqa/otelgqlgen"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// tracing holds the gateway's tracer provider. It stays off (a no-op provider) unless the
// operator names an OTLP collector with the standard OTEL_EXPORTER_OTLP_* variables, or a test
// hands in a provider. OpenTelemetry's globals are left alone.
type tracing struct {
	enabled    bool // off: no wrapper is installed at all, so tracing costs nothing
	provider   trace.TracerProvider
	propagator propagation.TextMapPropagator
	shutdown   func(context.Context) error
}

func newTracing(cfg Config) (*tracing, error) {
	t := &tracing{propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		provider: noop.NewTracerProvider(), shutdown: func(context.Context) error { return nil }}
	switch {
	case cfg.TracerProvider != nil:
		t.provider, t.enabled = cfg.TracerProvider, true
	case cfg.OTLPTracing:
		// The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS, _TIMEOUT... itself.
		exp, err := otlptracehttp.New(context.Background())
		if err != nil {
			return nil, err
		}
		res, err := traceResource(cfg)
		if err != nil {
			return nil, err
		}
		sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		t.provider, t.shutdown, t.enabled = sdk, sdk.Shutdown, true
	}
	return t, nil
}

// traceResource describes this process in its spans: service.name weda-gateway and the build's
// version, unless the SDK's standard variables say otherwise (OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES: a chart adds the pod and namespace there), over the SDK's defaults.
func traceResource(cfg Config) (*resource.Resource, error) {
	own := []attribute.KeyValue{attribute.String("service.name", "weda-gateway")}
	if cfg.Version != "" {
		own = append(own, attribute.String("service.version", cfg.Version))
	}
	// Later sources win: ours over the SDK's own attributes, the operator's variables over ours.
	res, err := resource.New(context.Background(), resource.WithTelemetrySDK(), resource.WithAttributes(own...),
		resource.WithFromEnv())
	if err != nil { // a malformed OTEL_RESOURCE_ATTRIBUTES: said at start, not found missing later
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	return res, nil
}

// handler traces inbound requests, continuing a caller's trace.
func (t *tracing) handler(next http.Handler) http.Handler {
	if !t.enabled {
		return next
	}
	return otelhttp.NewHandler(next, "weda-gateway", otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(t.propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
}

// transport traces each call to WeDa as a child of the request's span.
func (t *tracing) transport(base http.RoundTripper) http.RoundTripper {
	if !t.enabled {
		return base
	}
	return otelhttp.NewTransport(base, otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return "weda " + r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		}))
}

// operations traces each GraphQL operation, without its variables (they may hold personal data)
// and without a span per field (the upstream calls have theirs).
func (t *tracing) operations() graphql.HandlerExtension {
	if !t.enabled {
		return nil
	}
	return otelgqlgen.Middleware(otelgqlgen.WithTracerProvider(t.provider), otelgqlgen.WithoutVariables(),
		otelgqlgen.WithCreateSpanFromFields(func(*graphql.FieldContext) bool { return false }))
}
