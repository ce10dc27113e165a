package gateway_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

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
			assert.NotContains(t, a.Value.Emit(), `"box"`, "no variables in spans")
		}
	}
	require.NotEmpty(t, spans)
}
