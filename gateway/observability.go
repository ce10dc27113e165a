package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-logr/logr"
	"github.com/redis/go-redis/v9"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"go.opentelemetry.io/otel"

	"github.com/wedagraph/gateway/workflow"
)

// probes are the paths load balancers and Prometheus call every few seconds: their request lines
// are logged at debug only.
var probes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// errorBodyLimit bounds what is kept of a refusal's body to find its codes: refusals are short.
const errorBodyLimit = 4 << 10

// errorBody keeps the start of a response body when its status is an error, so the request's log
// line can name the codes of refusals written before GraphQL ran (401, 403, 413, 429...).
type errorBody struct {
	w   middleware.WrapResponseWriter
	buf bytes.Buffer
}

func (e *errorBody) Write(p []byte) (int, error) {
	if e.w.Status() >= 400 && e.buf.Len() < errorBodyLimit {
		e.buf.Write(p[:min(len(p), errorBodyLimit-e.buf.Len())])
	}
	return len(p), nil
}

// errors are the GraphQL errors of the kept body; none when it is not a GraphQL error answer.
func (e *errorBody) errors() gqlerror.List {
	var body struct {
		Errors gqlerror.List `json:"errors"`
	}
	if e.buf.Len() == 0 || json.Unmarshal(e.buf.Bytes(), &body) != nil {
		return nil
	}
	return body.Errors
}

// observe registers the metrics of what outlives a request: the build, the reference cache.
func (g *Gateway) observe() {
	version, commit := g.cfg.Version, g.cfg.Commit
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = "unknown"
	}
	g.metrics.BuildInfo(version, commit)
	if g.shared == nil { // REFERENCE_CACHE_TTL=0: no cache to count
		return
	}
	g.metrics.CacheLookups("flows", func() uint64 { f, _ := g.shared.Stats(); return f.Hits },
		func() uint64 { f, _ := g.shared.Stats(); return f.Misses })
	g.metrics.CacheLookups("users", func() uint64 { _, u := g.shared.Stats(); return u.Hits },
		func() uint64 { _, u := g.shared.Stats(); return u.Misses })
}

// observeIdempotency counts what the domain layer's idempotency keys did.
func (g *Gateway) observeIdempotency(mutation string, e workflow.Event) {
	g.metrics.IdempotencyEvent(mutation, string(e))
}

// operationNames are the names of the registered operations, which always keep their own label
// in the per-operation metrics.
func operationNames(ops map[string]string) []string {
	var names []string
	for _, q := range ops {
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			continue // LoadPersisted keeps what it could read; the document fails when it is used
		}
		for _, op := range doc.Operations {
			names = append(names, op.Name)
		}
	}
	return names
}

// ParseLogLevel reads LOG_LEVEL: debug, info, warn or error.
func ParseLogLevel(v string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", v)
}

// RouteLibraryLogs sends what libraries print on their own into l as JSON records, so stderr
// holds nothing but JSON lines: go-redis's connection pool (plain text on stderr by default),
// the standard library's log package (gqlgen's transports use it) and OpenTelemetry's export
// errors. Each of these is process-wide: call it once, from main.
func RouteLibraryLogs(l *slog.Logger) {
	redis.SetLogger(redisLogger{l.With("component", "redis")})
	std := slog.NewLogLogger(l.With("component", "log").Handler(), slog.LevelWarn)
	log.SetFlags(0) // the record has its time; the writer turns each line into one record
	log.SetPrefix("")
	log.SetOutput(std.Writer())
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { // a collector that does not answer
		l.Warn("opentelemetry", "component", "opentelemetry", "err", err)
	}))
	otel.SetLogger(logr.FromSlogHandler(l.With("component", "opentelemetry").Handler()))
}

// redisLogger is go-redis's Logging interface over slog. go-redis logs only trouble (a dial that
// failed, a pool that could not reconnect), hence warn.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
}
