package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/wedagraph/gateway/upstream"
)

// ready reports whether a token can be had and WeDa answers. Its callers are anonymous: the
// answer says ready or not and the failure's kind, the detail goes to the log only.
func (g *Gateway) ready(w http.ResponseWriter, r *http.Request) {
	if g.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "kind": "shutting_down"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if _, err := g.client.ListDeployedFlows(ctx, upstream.FlowTypeApproval); err != nil {
		kind := "unknown"
		var ue *upstream.Error
		if errors.As(err, &ue) {
			kind = ue.Kind.String()
		}
		g.log.Warn("not ready", "kind", kind, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "kind": kind})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// MetricsHandler serves the Prometheus metrics; Serve puts it on METRICS_ADDR.
func (g *Gateway) MetricsHandler() http.Handler { return g.metrics.Handler() }

// adminHandler is what METRICS_ADDR serves: the metrics, and with PPROF Go's profiles (what
// `go tool pprof http://host:9090/debug/pprof/profile` and the load harness's -pgo read).
func (g *Gateway) adminHandler() http.Handler {
	if !g.cfg.Pprof {
		return g.MetricsHandler()
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", g.MetricsHandler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Serve answers on ln (and /metrics on METRICS_ADDR) until ctx ends; then it drains: /readyz
// answers 503 for the shutdown delay while requests are still served, so load balancers stop
// sending new ones, and then the listener closes and in-flight requests finish within the
// shutdown timeout.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: g.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(g.log.Handler(), slog.LevelWarn)}
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if g.cfg.MetricsAddr != "" && g.cfg.Metrics {
		mln, err := net.Listen("tcp", g.cfg.MetricsAddr)
		if err != nil {
			_ = srv.Close()
			_ = g.Close(context.Background())
			return fmt.Errorf("METRICS_ADDR: %w", err)
		}
		msrv := &http.Server{Handler: g.adminHandler(), ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, msrv)
		go func() { errc <- msrv.Serve(mln) }()
		g.log.Info("metrics", "addr", mln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	g.draining.Store(true)
	g.log.Info("draining: /readyz answers 503 while requests are still served", "delay", g.cfg.ShutdownDelay.String())
	select {
	case <-time.After(g.cfg.ShutdownDelay):
	case err := <-errc:
		return err
	}
	g.log.Info("shutting down", "grace", g.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout)
	defer cancel()
	// Long-lived connections first: each is told to reconnect (to another replica), and a
	// WebSocket's running queries and mutations answer before it closes.
	err := g.streams.Shutdown(sctx)
	for _, s := range servers {
		err = errors.Join(err, s.Shutdown(sctx))
	}
	if cerr := g.Close(sctx); err == nil {
		err = cerr
	}
	return err
}
