package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/examples"
	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream"
)

// gatedTransport holds every upstream call to one endpoint until the test opens the gate, so a
// test can read what the gateway sent while that call had not yet ended: ordering, not timing.
type gatedTransport struct {
	base     http.RoundTripper
	endpoint string        // the last path segment to hold, e.g. ListProcessInstancesCount
	arrived  chan struct{} // one value per held call, sent as it reaches the gate
	open     chan struct{} // closed to let the held calls through
	once     sync.Once
	hold     atomic.Bool // whether calls to the endpoint are held; true from newGate

	mu     sync.Mutex
	opened bool
	ended  int // held calls that have come back from the upstream
	left   int // held calls whose context ended at the gate (their operation was stopped)
}

func newGate(endpoint string) *gatedTransport {
	g := &gatedTransport{endpoint: endpoint, arrived: make(chan struct{}, 100), open: make(chan struct{})}
	g.hold.Store(true)
	return g
}

// install wraps the harness's transport; pass it as a config mutation.
func (g *gatedTransport) install(t *testing.T) func(*gateway.Config) {
	t.Cleanup(g.release) // never leave a request hanging past the test
	return func(c *gateway.Config) {
		g.base = c.UpstreamTransport
		if g.base == nil {
			g.base = upstream.NewTransport() // what the gateway uses when the config names none
		}
		c.UpstreamTransport = g
	}
}

func (g *gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !g.hold.Load() || !strings.HasSuffix(r.URL.Path, "/"+g.endpoint) {
		return g.base.RoundTrip(r)
	}
	g.arrived <- struct{}{}
	select {
	case <-g.open:
	case <-r.Context().Done():
		g.mu.Lock()
		g.left++
		g.mu.Unlock()
		return nil, r.Context().Err()
	}
	resp, err := g.base.RoundTrip(r)
	g.mu.Lock()
	g.ended++
	g.mu.Unlock()
	return resp, err
}

// waitArrived waits until a held call has reached the gate. The bound only keeps a broken
// gateway from hanging the test; no result depends on how long this takes.
func (g *gatedTransport) waitArrived(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(2 * time.Minute):
		t.Fatal("the deferred upstream call never reached the gate")
	}
}

func (g *gatedTransport) release() {
	g.once.Do(func() {
		g.mu.Lock()
		g.opened = true
		g.mu.Unlock()
		close(g.open)
	})
}

// stopped reports how many held calls were stopped at the gate.
func (g *gatedTransport) stopped() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.left
}

// state reports whether the gate was opened and how many held calls have ended.
func (g *gatedTransport) state() (opened bool, ended int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.opened, g.ended
}

// deferCounts asks for the viewer's name at once and the box counts (ListProcessInstancesCount)
// in a deferred fragment.
const deferCounts = `query Deferred { viewer { user { name } ... @defer(label: "counts") { workItemCounts { todo done } } } }`

// post sends a GraphQL request as the sandbox's demo user with the given Accept header.
func (h *harness) post(accept, query string, vars map[string]any) *http.Response {
	h.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(h.t, err)
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", bytes.NewReader(body))
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	req.Header.Set("X-Weda-User-Id", h.me)
	resp, err := h.srv.Client().Do(req)
	require.NoError(h.t, err)
	h.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// part is one response of an incrementally delivered operation, in either format.
type part struct {
	Data        json.RawMessage `json:"data"`
	Path        []any           `json:"path"`
	Label       string          `json:"label"`
	HasNext     *bool           `json:"hasNext"`
	Errors      []gqlError      `json:"errors"`
	Incremental []part          `json:"incremental"`
}

func decodePart(t *testing.T, raw []byte) part {
	t.Helper()
	var p part
	require.NoError(t, json.Unmarshal(raw, &p), string(raw))
	return p
}

// TestDeferMultipartMixed reads a deferred query as Apollo Client and GraphiQL do: the first
// part is complete and readable while the deferred field's upstream call is still held at the
// gate; the deferred data comes after, in the incremental format, and the stream then ends.
func TestDeferMultipartMixed(t *testing.T) {
	gate := newGate("ListProcessInstancesCount")
	h := newHarness(t, gate.install(t))

	resp := h.post("multipart/mixed;deferSpec=20220824, application/json", deferCounts, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	mediaType, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/mixed", mediaType)
	parts := multipart.NewReader(resp.Body, params["boundary"])

	p, err := parts.NextPart()
	require.NoError(t, err)
	assert.Equal(t, "application/json", p.Header.Get("Content-Type"))
	raw, err := io.ReadAll(p)
	require.NoError(t, err)
	first := decodePart(t, raw)
	opened, ended := gate.state()
	require.False(t, opened, "the first part was read before the deferred call was let through")
	require.Zero(t, ended)
	// The deferred field is left out until its part brings it (the incremental-delivery format;
	// Apollo Client takes a null there for the final value).
	assert.JSONEq(t, `{"viewer":{"user":{"name":"kongtest"}}}`, string(first.Data))
	require.NotNil(t, first.HasNext)
	assert.True(t, *first.HasNext)
	assert.Empty(t, first.Errors)

	gate.waitArrived(t) // the deferred call is in flight, held: release it
	gate.release()

	var incremental []part
	for {
		p, err := parts.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		raw, err := io.ReadAll(p)
		require.NoError(t, err)
		next := decodePart(t, raw)
		incremental = append(incremental, next.Incremental...)
		require.NotNil(t, next.HasNext)
		if !*next.HasNext {
			_, err := parts.NextPart()
			require.ErrorIs(t, err, io.EOF, "the last part closes the stream")
			break
		}
	}
	require.Len(t, incremental, 1)
	assert.Equal(t, "counts", incremental[0].Label)
	assert.Equal(t, []any{"viewer"}, incremental[0].Path)
	assert.JSONEq(t, `{"workItemCounts":{"todo":24,"done":8}}`, string(incremental[0].Data), "the sandbox's counts")
	assert.Empty(t, incremental[0].Errors)
	_, ended = gate.state()
	assert.Equal(t, 1, ended)
}

// TestDeferReadmeFirstPaintComesBeforeTheHistory: the README's @defer example. The first part
// (the items) is readable while every item's deferred history call is held at the gate, and
// the histories follow as the "history" parts. A review found the first part waiting for them
// when `instance` was bound to a model method, which gqlgen cannot defer.
func TestDeferReadmeFirstPaintComesBeforeTheHistory(t *testing.T) {
	gate := newGate("GetFlowInstanceOperations")
	h := newHarness(t, gate.install(t))

	resp := h.post("multipart/mixed;deferSpec=20220824, application/json", examples.MustOperation("inbox-deferred.graphql"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	parts := multipart.NewReader(resp.Body, params["boundary"])
	firstRaw := make(chan []byte, 1)
	go func() {
		defer close(firstRaw)
		if p, err := parts.NextPart(); err == nil {
			if raw, err := io.ReadAll(p); err == nil {
				firstRaw <- raw
			}
		}
	}()
	var raw []byte
	select {
	case raw = <-firstRaw:
	case <-time.After(2 * time.Minute): // only keeps a broken gateway from hanging the test
		t.Fatal("the first part waited for the deferred history calls")
	}
	require.NotNil(t, raw, "the first part could not be read")
	opened, ended := gate.state()
	require.False(t, opened, "the first part was read before the deferred calls were let through")
	require.Zero(t, ended)
	var first struct {
		Viewer struct {
			WorkItems struct {
				Nodes []struct {
					TaskID   string
					Instance json.RawMessage
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal(decodePart(t, raw).Data, &first))
	require.NotEmpty(t, first.Viewer.WorkItems.Nodes)
	for _, n := range first.Viewer.WorkItems.Nodes {
		assert.NotEmpty(t, n.TaskID)
		assert.Empty(t, n.Instance, "the instance comes with its history, later, and is not in the first part")
	}

	gate.release()
	histories := 0
	for {
		p, err := parts.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		raw, err := io.ReadAll(p)
		require.NoError(t, err)
		next := decodePart(t, raw)
		for _, inc := range next.Incremental {
			if inc.Label == "history" {
				histories++
			}
		}
		require.NotNil(t, next.HasNext)
		if !*next.HasNext {
			break
		}
	}
	assert.Equal(t, len(first.Viewer.WorkItems.Nodes), histories, "one history part per item")
}

// TestDeferMultipartRefusesSubscriptions: Apollo Client's multipart subscriptions are another
// format than incremental delivery; rather than a stream that client cannot read, a clear error.
func TestDeferMultipartRefusesSubscriptions(t *testing.T) {
	h := newHarness(t)
	resp := h.post(`multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json`,
		`subscription Counts { workItemCounts { todo } }`, nil)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var res gqlResponse
	require.NoError(t, json.Unmarshal(raw, &res), string(raw))
	require.Len(t, res.Errors, 1, string(raw))
	assert.Contains(t, res.Errors[0].Message, "text/event-stream")
	assert.Equal(t, "BAD_REQUEST", res.Errors[0].Extensions["code"])
}

// TestDeferServerSentEvents reads the same query over text/event-stream (graphql-sse's
// protocol): the first `next` event arrives while the deferred call is held, the deferred
// fragment follows as its own event, and `complete` ends the stream.
func TestDeferServerSentEvents(t *testing.T) {
	gate := newGate("ListProcessInstancesCount")
	h := newHarness(t, gate.install(t))

	resp := h.post("text/event-stream", deferCounts, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	events := bufio.NewScanner(resp.Body)
	events.Buffer(make([]byte, 0, 64<<10), 1<<20)
	// next returns the next event's name and data, skipping comments (keep-alives).
	next := func() (string, string) {
		var event, data string
		for events.Scan() {
			line := events.Text()
			switch {
			case line == "":
				if event != "" {
					return event, data
				}
			case strings.HasPrefix(line, ":"):
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data += strings.TrimPrefix(line, "data: ")
			}
		}
		require.NoError(t, events.Err())
		t.Fatal("the stream ended early")
		return "", ""
	}

	event, data := next()
	require.Equal(t, "next", event)
	opened, _ := gate.state()
	require.False(t, opened, "the first event was read before the deferred call was let through")
	first := decodePart(t, []byte(data))
	// The deferred field is left out until its part brings it (the incremental-delivery format;
	// Apollo Client takes a null there for the final value).
	assert.JSONEq(t, `{"viewer":{"user":{"name":"kongtest"}}}`, string(first.Data))
	require.NotNil(t, first.HasNext)
	assert.True(t, *first.HasNext)

	gate.waitArrived(t)
	gate.release()

	event, data = next()
	require.Equal(t, "next", event)
	deferred := decodePart(t, []byte(data))
	assert.Equal(t, "counts", deferred.Label)
	assert.Equal(t, []any{"viewer"}, deferred.Path)
	assert.JSONEq(t, `{"workItemCounts":{"todo":24,"done":8}}`, string(deferred.Data))
	require.NotNil(t, deferred.HasNext)
	assert.False(t, *deferred.HasNext)
	event, _ = next()
	assert.Equal(t, "complete", event)
}

// TestDeferWholeAnswerForJSONClients: a client that accepts no stream (plain JSON, curl's */*,
// a GET) gets every deferred fragment merged into one answer, never a null with hasNext.
func TestDeferWholeAnswerForJSONClients(t *testing.T) {
	h := newHarness(t)
	for _, accept := range []string{"application/json", "application/graphql-response+json", "*/*", ""} {
		t.Run("POST "+accept, func(t *testing.T) {
			resp := h.post(accept, deferCounts, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.NotContains(t, resp.Header.Get("Content-Type"), "multipart")
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.JSONEq(t, `{"data":{"viewer":{"user":{"name":"kongtest"},"workItemCounts":{"todo":24,"done":8}}}}`, string(raw))
		})
	}
	t.Run("GET", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, h.srv.URL+"/graphql?query="+url.QueryEscape(deferCounts), nil)
		require.NoError(t, err)
		req.Header.Set("X-Weda-User-Id", h.me)
		resp, err := h.srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.JSONEq(t, `{"data":{"viewer":{"user":{"name":"kongtest"},"workItemCounts":{"todo":24,"done":8}}}}`, string(raw))
	})

	// Fragments deferred inside list items and nested objects land in their own items, in the
	// order the query asks for the fields; a deferred field that fails keeps its error.
	t.Run("nested", func(t *testing.T) {
		const q = `query Nested($other: ID!) {
  viewer {
    workItems(box: TODO, first: 3) {
      nodes { taskId ... @defer(label: "instance") { instance { status flow { processKey } } } name }
    }
    ... @defer { other: user { name } }
  }
  ... @defer(label: "missing") { instance(id: $other) { name } }
}`
		var plain, whole struct {
			Viewer struct {
				WorkItems struct {
					Nodes []map[string]any `json:"nodes"`
				} `json:"workItems"`
				Other *struct{ Name string } `json:"other"`
			} `json:"viewer"`
		}
		const withoutDefer = `query Plain {
  viewer { workItems(box: TODO, first: 3) { nodes { taskId instance { status flow { processKey } } name } } }
}`
		h.ok(h.me, withoutDefer, nil, &plain)
		resp := h.post("application/json", q, map[string]any{"other": "1590000000000000000"})
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var res gqlResponse
		require.NoError(t, json.Unmarshal(raw, &res), string(raw))
		require.NoError(t, json.Unmarshal(res.Data, &whole), string(res.Data))
		require.Len(t, whole.Viewer.WorkItems.Nodes, 3)
		assert.Equal(t, plain.Viewer.WorkItems.Nodes, whole.Viewer.WorkItems.Nodes, "the same data as without @defer")
		for _, n := range whole.Viewer.WorkItems.Nodes {
			assert.NotNil(t, n["instance"])
		}
		require.NotNil(t, whole.Viewer.Other)
		assert.Equal(t, "kongtest", whole.Viewer.Other.Name)
		assert.Regexp(t, `^\{"viewer":\{"workItems":\{"nodes":\[\{"taskId":"[^"]+","instance":\{"status":"[A-Z_]+","flow":\{"processKey":"[^"]+"\}\},"name":"[^"]+"\}`,
			string(res.Data), "each item keeps its fields in the order the query asks for them")
		require.Len(t, res.Errors, 1, string(raw))
		assert.Equal(t, "NOT_FOUND", res.Errors[0].Extensions["code"])
		assert.NotContains(t, string(raw), "hasNext")
	})
}

// TestDeferMerosReadsFirstPart runs a real client library: node reads the multipart answer with
// meros (what Apollo Client and urql use) and reports the first part while the deferred field's
// upstream call is still held at the gate; only then does the test let that call end and the
// reader go on. scripts/test-clients installs clients/ (npm ci) and requires this test
// (REQUIRE_CLIENTS=1); without node or clients/node_modules it is skipped.
func TestDeferMerosReadsFirstPart(t *testing.T) {
	node := nodeWithClients(t)
	gate := newGate("ListProcessInstancesCount")
	h := newHarness(t, gate.install(t))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound on a hung node, not a measurement
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "defer/read-deferred.mjs", h.srv.URL+"/graphql", h.me)
	cmd.Dir = filepath.Join("..", "clients")
	cmd.Env = append(os.Environ(), "QUERY="+deferCounts)
	cmd.WaitDelay = 5 * time.Second
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 0, 64<<10), 1<<20)
	next := func(prefix string) string {
		require.True(t, lines.Scan(), "node ended early: %s", stderr.String())
		line := lines.Text()
		require.True(t, strings.HasPrefix(line, prefix+" "), "want %q, got %q; stderr: %s", prefix, line, stderr.String())
		return strings.TrimPrefix(line, prefix+" ")
	}

	first := decodePart(t, []byte(next("first")))
	opened, ended := gate.state()
	require.False(t, opened, "meros handed over the first part before the deferred call was let through")
	require.Zero(t, ended)
	assert.Contains(t, string(first.Data), `"name":"kongtest"`)
	require.NotNil(t, first.HasNext)
	assert.True(t, *first.HasNext)

	gate.waitArrived(t)
	gate.release()
	_, err = io.WriteString(stdin, "go\n")
	require.NoError(t, err)

	rest := decodePart(t, []byte(next("part")))
	require.Len(t, rest.Incremental, 1)
	assert.Equal(t, "counts", rest.Incremental[0].Label)
	var result struct {
		Data struct {
			Viewer struct {
				User           struct{ Name string }
				WorkItemCounts *struct{ Todo, Done int }
			}
		}
		Errors []any
	}
	require.NoError(t, json.Unmarshal([]byte(next("result")), &result))
	assert.Equal(t, "kongtest", result.Data.Viewer.User.Name)
	require.NotNil(t, result.Data.Viewer.WorkItemCounts, "merged from the later part")
	assert.Equal(t, 24, result.Data.Viewer.WorkItemCounts.Todo)
	assert.Empty(t, result.Errors)
	require.NoError(t, cmd.Wait(), stderr.String())
}

// nodeWithClients finds node and clients/ installed, or skips (fails with REQUIRE_CLIENTS=1).
func nodeWithClients(t *testing.T) string {
	node, err := exec.LookPath("node")
	if err == nil {
		if _, err = os.Stat(filepath.Join("..", "clients", "node_modules", "meros")); err != nil {
			err = fmt.Errorf("clients/ is not installed (cd clients && npm ci): %w", err)
		}
	}
	if err != nil {
		if os.Getenv("REQUIRE_CLIENTS") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return node
}

// syncBuffer is a bytes.Buffer that a process may write while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
