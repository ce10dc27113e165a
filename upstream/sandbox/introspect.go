package sandbox

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The sandbox's own paths, for load harnesses and tests that run it as a separate process:
//
//	GET  /_sandbox/calls   the per-endpoint request counts, as CallCounts ({"token":1,...})
//	POST /_sandbox/trace   start recording the requests served (the last trace is dropped)
//	GET  /_sandbox/trace   the requests recorded since, exactly as sent; recording stops
//
// They are not part of WeDa's API and are never counted.
const ownPrefix = "/_sandbox/"

// maxTraced bounds a trace.
const maxTraced = 1000

// TracedRequest is one request the sandbox served while a trace was on.
type TracedRequest struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	Body   string `json:"body"`
	// AtMicros is when it arrived, in microseconds since the trace began: with every answer
	// delayed (-latency), it tells the requests a read waited for from those sent beside it.
	AtMicros int64 `json:"at_us"`
}

type tracer struct {
	mu    sync.Mutex
	on    bool
	began time.Time
	reqs  []TracedRequest
}

// record keeps r (and restores its body for the handler) when a trace is on.
func (t *tracer) record(r *http.Request) {
	arrived := time.Now()
	t.mu.Lock()
	on := t.on && len(t.reqs) < maxTraced
	t.mu.Unlock()
	if !on {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.on && len(t.reqs) < maxTraced {
		t.reqs = append(t.reqs, TracedRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body),
			AtMicros: arrived.Sub(t.began).Microseconds()})
	}
}

func (t *tracer) start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on, t.began, t.reqs = true, time.Now(), nil
}

func (t *tracer) stop() []TracedRequest {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.reqs
	if out == nil {
		out = []TracedRequest{}
	}
	t.on, t.reqs = false, nil
	return out
}

// serveOwn answers the sandbox's own paths.
func (s *Server) serveOwn(w http.ResponseWriter, r *http.Request) {
	switch path := strings.TrimPrefix(r.URL.Path, ownPrefix); {
	case path == "calls" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.CallCounts())
	case path == "trace" && r.Method == http.MethodPost:
		s.trace.start()
		w.WriteHeader(http.StatusNoContent)
	case path == "trace" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.trace.stop())
	default:
		writeFlat(w, http.StatusNotFound, "ResourceNotFound", "no such sandbox path: "+r.Method+" "+r.URL.Path, newRequestID())
	}
}
