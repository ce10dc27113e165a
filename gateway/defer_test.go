package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/examples"
)

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
