package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/wedagraph/gateway/gateway"
)

// TestTraces: a request's span, its operation's span and one span per upstream call share one
// trace, and no span carries the request's variables.
func TestTraces(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	h := newHarness(t, func(c *gateway.Config) { c.TracerProvider = tp })
	h.ok(h.me, `query Counts($box: WorkBox!) { viewer { workItemCounts { todo } workItems(box: $box, first: 1) { totalCount } } }`,
		map[string]any{"box": "TODO"}, &struct{}{})

	spans := rec.Ended()
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
	}
	for _, want := range []string{"POST /graphql", "Counts", "weda ListProcessInstancesCount", "weda ListProcessInstances"} {
		assert.Contains(t, names, want)
	}
	root := spans[slices.IndexFunc(spans, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "POST /graphql" })]
	for _, s := range spans {
		if s.Name() == "weda ListProcessInstances" {
			assert.Equal(t, root.SpanContext().TraceID(), s.SpanContext().TraceID(), "one trace from request to WeDa")
		}
		for _, a := range s.Attributes() {
			assert.NotContains(t, a.Value.String(), `"box"`, "no variables in spans")
		}
	}
	require.NotEmpty(t, spans)
}

// otlpReceiver is a collector on loopback that accepts OTLP/HTTP protobuf posts of spans and
// keeps each resource's attributes.
type otlpReceiver struct {
	mu        sync.Mutex
	resources []map[string]string
	spans     int
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || err != nil || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.ResourceSpans {
		attrs := map[string]string{}
		for _, kv := range rs.GetResource().GetAttributes() {
			attrs[kv.Key] = kv.GetValue().GetStringValue()
		}
		o.resources = append(o.resources, attrs)
		for _, ss := range rs.ScopeSpans {
			o.spans += len(ss.Spans)
		}
	}
	o.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// TestOTLPResourceFromTheStandardVariables: with OTEL_EXPORTER_OTLP_ENDPOINT set, spans reach
// the collector over OTLP/HTTP, described by OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
// (the service name variable winning over an attribute of that name), with the build's version.
func TestOTLPResourceFromTheStandardVariables(t *testing.T) {
	rcv := &otlpReceiver{}
	collector := httptest.NewServer(rcv)
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_SERVICE_NAME", "approvals-gateway")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging,service.name=overridden,k8s.pod.name=gw-0")

	cfg, err := gateway.ConfigFromEnv(os.Getenv)
	require.NoError(t, err)
	require.True(t, cfg.OTLPTracing)
	cfg.Version = "1.2.3"
	gw, err := gateway.New(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	gw.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.NoError(t, gw.Close(context.Background()), "closing flushes the spans to the collector")

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	require.NotZero(t, rcv.spans, "spans reached the collector")
	for _, attrs := range rcv.resources {
		assert.Equal(t, "approvals-gateway", attrs["service.name"])
		assert.Equal(t, "1.2.3", attrs["service.version"])
		assert.Equal(t, "staging", attrs["deployment.environment.name"])
		assert.Equal(t, "gw-0", attrs["k8s.pod.name"])
		assert.Equal(t, "opentelemetry", attrs["telemetry.sdk.name"])
	}
}
