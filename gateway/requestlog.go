package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/wedagraph/gateway/session"
)

// The request log line: one per request, with what inner layers learn of it.

type statsKey struct{}

// requestStats collects, for the request's log line, what inner layers learn.
type requestStats struct {
	session *session.Session
	viewer  string
	// operations are the operations' names, each once, and codes the GraphQL error codes
	// answered, each once. The parts of a deferred answer and a WebSocket's subscriptions run on
	// goroutines of their own: mu guards both.
	mu         sync.Mutex
	operations []string
	codes      []string
}

// maxLoggedOperations bounds the names one line carries: a WebSocket may run any number.
const maxLoggedOperations = 8

func (st *requestStats) addOperation(name string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !slices.Contains(st.operations, name) && len(st.operations) <= maxLoggedOperations {
		st.operations = append(st.operations, name)
	}
}

// operation is the line's "operation": the name, or the names of a WebSocket's operations in
// the order they started, "…" after the first maxLoggedOperations.
func (st *requestStats) operation() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.operations) > maxLoggedOperations {
		return strings.Join(st.operations[:maxLoggedOperations], ",") + ",…"
	}
	return strings.Join(st.operations, ",")
}

func (st *requestStats) errorCodes() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.codes)
}

// addCodes records the codes of errs (extensions.code; UNKNOWN without one).
func (st *requestStats) addCodes(errs gqlerror.List) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, e := range errs {
		code, _ := e.Extensions["code"].(string)
		if code == "" {
			code = "UNKNOWN"
		}
		if !slices.Contains(st.codes, code) {
			st.codes = append(st.codes, code)
		}
	}
}

func statsOf(ctx context.Context) *requestStats {
	st, _ := ctx.Value(statsKey{}).(*requestStats)
	return st
}

// operationName is a gqlgen extension that hands the operation's name, and the error codes of
// every answer (those of refused documents too), to the log line.
type operationName struct{}

func (operationName) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if st := statsOf(ctx); st != nil && resp != nil && len(resp.Errors) > 0 {
		st.addCodes(resp.Errors)
	}
	return resp
}

func (operationName) ExtensionName() string                   { return "OperationName" }
func (operationName) Validate(graphql.ExecutableSchema) error { return nil }
func (operationName) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if st := statsOf(ctx); st != nil {
		oc := graphql.GetOperationContext(ctx)
		name := oc.OperationName
		if name == "" && oc.Operation != nil {
			name = oc.Operation.Name
		}
		if name == "" && oc.Operation != nil {
			name = "(anonymous " + string(oc.Operation.Operation) + ")"
		}
		st.addOperation(name)
	}
	return next(ctx)
}

// logRequests writes one structured line per request: never headers, bodies or tokens.
func (g *Gateway) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &requestStats{}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		refusal := &errorBody{w: ww}
		ww.Tee(refusal)
		next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), statsKey{}, st)))
		codes := st.errorCodes()
		if len(codes) == 0 { // refused before GraphQL ran: by the edge, authentication, a limit
			st.addCodes(refusal.errors())
			codes = st.errorCodes()
		}
		level := slog.LevelInfo
		if probes[r.URL.Path] { // every few seconds from every load balancer: noise unless debugging
			level = slog.LevelDebug
		}
		if !g.log.Enabled(r.Context(), level) {
			return
		}
		// slog.Attr keeps numbers unboxed: one allocation for the line's attributes, not one each.
		attrs := make([]slog.Attr, 0, 10)
		attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", ww.Status()), slog.Int("bytes", ww.BytesWritten()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("request_id", middleware.GetReqID(r.Context())))
		if st.session != nil {
			attrs = append(attrs, slog.Int64("upstream_calls", st.session.Calls()))
		}
		if st.viewer != "" {
			attrs = append(attrs, slog.String("viewer", st.viewer))
		}
		if operation := st.operation(); operation != "" {
			attrs = append(attrs, slog.String("operation", operation))
		}
		if len(codes) > 0 {
			attrs = append(attrs, slog.Any("error_codes", codes))
		}
		g.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// logOperation writes the line of one operation that a WebSocket carried, as an HTTP request's
// line would be written, and names it on the socket's own line (parent) too.
func (g *Gateway) logOperation(ctx context.Context, st, parent *requestStats, id string, start time.Time) {
	codes := st.errorCodes()
	operation := st.operation()
	if parent != nil {
		if operation != "" {
			parent.addOperation(operation)
		}
		parent.mu.Lock()
		for _, c := range codes {
			if !slices.Contains(parent.codes, c) {
				parent.codes = append(parent.codes, c)
			}
		}
		parent.mu.Unlock()
	}
	if !g.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs, slog.String("transport", "websocket"), slog.String("operation_id", id),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("request_id", middleware.GetReqID(ctx)), slog.Int64("upstream_calls", st.session.Calls()))
	if st.viewer != "" {
		attrs = append(attrs, slog.String("viewer", st.viewer))
	}
	if operation != "" {
		attrs = append(attrs, slog.String("operation", operation))
	}
	if len(codes) > 0 {
		attrs = append(attrs, slog.Any("error_codes", codes))
	}
	g.log.LogAttrs(ctx, slog.LevelInfo, "operation", attrs...)
}
