package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/examples"
	"github.com/wedagraph/gateway/gateway"
)

// The stream attacks of issue #19, one test per line of its table: what an intruder or a careless
// client did to the long-lived paths (WebSocket, SSE, @defer), and the bounded outcome now. Each
// checks that the goroutines and file descriptors come back once the clients leave; the floods
// check the heap's peak (runtime/metrics) against a budget.

// noRateLimit lets a flood meet the bounds of the work in flight rather than the rate limit.
func noRateLimit(c *gateway.Config) { c.Limits.RateRequests = 0 }

// floodBudgetMiB is what a flood may add to this process's heap at its peak — the gateway, the
// sandbox answering it and the test's client together. Without the bounds the same floods took
// gigabytes.
const floodBudgetMiB = 160

// Line 1: 3,000 subscribe messages carrying queries on one WebSocket. Each is admitted or refused
// before the next is read: at most MAX_OPERATIONS_PER_CONNECTION run, the rest are refused at once
// with RATE_LIMITED; every one of them gets its answer; the heap stays inside the budget.
func TestStreamFloodOfQueriesOnOneSocketIsBounded(t *testing.T) {
	h := newHarness(t, still, noRateLimit)
	base := measureResources(t)
	probe := newHeapProbe()
	c := dialWS(t, h, map[string]any{"X-Weda-User-Id": h.me})
	c.ack()
	const n = 3000
	inbox := examples.MustOperation("inbox.graphql")
	var mu sync.Mutex
	ended := map[string]string{} // id → complete, or the error's code
	all := make(chan struct{})
	go func() {
		for m := range c.msgs {
			probe.take()
			mu.Lock()
			switch m.Type {
			case "complete":
				ended[m.ID] = "complete"
			case "error":
				var errs []gqlError
				_ = json.Unmarshal(m.Payload, &errs)
				ended[m.ID] = "error"
				if len(errs) > 0 {
					ended[m.ID], _ = errs[0].Extensions["code"].(string)
				}
			}
			if len(ended) == n {
				close(all)
			}
			mu.Unlock()
		}
	}()
	for i := range n {
		c.subscribe(fmt.Sprint(i), inbox, nil)
		probe.take()
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		t.Fatalf("not every operation was answered; heap peak so far +%.1f MiB", probe.grew())
	}
	outcomes := map[string]int{}
	mu.Lock()
	for _, o := range ended {
		outcomes[o]++
	}
	mu.Unlock()
	t.Logf("outcomes %v, heap peak +%.1f MiB", outcomes, probe.grew())
	assert.Equal(t, n, outcomes["complete"]+outcomes["RATE_LIMITED"], "each is served or refused as over its bound: %v", outcomes)
	assert.Positive(t, outcomes["RATE_LIMITED"])
	assert.Positive(t, outcomes["complete"])
	assert.Less(t, probe.grew(), float64(floodBudgetMiB))
	require.NoError(t, c.conn.Close(coderws.StatusNormalClosure, ""))
	base.waitBack(t, h.closeIdle)
}

// Line 1, its second half: a client floods a socket and never reads. Its answers cannot be
// written; the socket is closed (write deadline, or no pong to the pings) and everything it held
// is freed while the client still holds its end open.
func TestStreamClientThatNeverReadsIsDropped(t *testing.T) {
	h := newHarness(t, still, noRateLimit, func(c *gateway.Config) {
		c.Streams.WriteTimeout, c.Streams.KeepAlive = 200*time.Millisecond, 100*time.Millisecond
	})
	base := measureResources(t)
	ctx := context.Background()
	conn, _, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/graphql",
		&coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	defer conn.CloseNow()
	write := func(v any) {
		b, _ := json.Marshal(v)
		_ = conn.Write(ctx, coderws.MessageText, b)
	}
	write(map[string]any{"type": "connection_init", "payload": map[string]any{"X-Weda-User-Id": h.me}})
	_, _, err = conn.Read(ctx) // the ack; nothing is read after it
	require.NoError(t, err)
	inbox := examples.MustOperation("inbox.graphql")
	for i := range 300 {
		write(map[string]any{"id": fmt.Sprint(i), "type": "subscribe", "payload": map[string]any{"query": inbox}})
	}
	_, conns := h.gw.InFlight()
	require.Equal(t, 1, conns, "the socket is open, and what it was sent is under way")
	// The client's socket is still open here (one descriptor, in the slack); the server's side,
	// its goroutines and its operations are gone.
	require.Eventually(t, func() bool { _, conns := h.gw.InFlight(); return conns == 0 }, time.Minute, 10*time.Millisecond,
		"the socket was closed")
	ops, _ := h.gw.InFlight()
	assert.Zero(t, ops)
	base.waitBack(t, h.closeIdle)
}

// Line 2: nested @defer never answered, on any transport, and each request kept a goroutine and a
// socket for good. It answers now, whole or in parts, and nothing outlives the request — also
// when the client leaves after the first part.
func TestStreamNestedDeferAnswers(t *testing.T) {
	h := newHarness(t)
	base := measureResources(t)
	const nested = `{ viewer { ... @defer { user { name } ... @defer { workItemCounts { todo } } } } }`
	const twins = `{ viewer { ... @defer { workItemCounts { todo } } ... @defer { workItemCounts { todo } } } }`
	for _, q := range []string{nested, twins} {
		for _, accept := range []string{"application/json", "multipart/mixed", "text/event-stream"} {
			for range 10 {
				resp := h.post(accept, q, nil)
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
				assert.Contains(t, string(body), `"todo":24`, "%s: %s", accept, body)
			}
		}
	}
	// A reader that leaves after the first part.
	for range 10 {
		resp := h.post("multipart/mixed", nested, nil)
		_, err := resp.Body.Read(make([]byte, 64))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	base.waitBack(t, h.closeIdle)
}

// Line 2, the client that leaves: it reads the first part of a deferred answer and goes while
// the deferred call is still held. The operation is stopped (the held call's context ends) and
// the answer is read to its end: nothing waits for a part that no one will send. (gqlgen drops
// a deferred result whose context was cancelled, and a transport waiting for it waits for good.)
func TestStreamDeferredAnswerEndsWhenItsClientLeaves(t *testing.T) {
	gate := newGate("ListProcessInstancesCount")
	h := newHarness(t, gate.install(t))
	base := measureResources(t)
	for i := range 10 {
		resp := h.post("multipart/mixed", deferCounts, nil)
		_, err := resp.Body.Read(make([]byte, 64))
		require.NoError(t, err)
		gate.waitArrived(t)
		require.NoError(t, resp.Body.Close())
		require.Eventually(t, func() bool { return gate.stopped() == i+1 }, time.Minute, 5*time.Millisecond,
			"the held call was stopped when its client left")
	}
	base.waitBack(t, h.closeIdle)
}

// Line 2, with the labels a client gave: each deferred part carries its own, and the first part
// leaves the deferred fields out.
func TestStreamDeferLabelsAreTheClients(t *testing.T) {
	h := newHarness(t)
	resp := h.post("text/event-stream", `{ viewer { ... @defer(label: "outer") { user { name } ... @defer(label: "inner") { workItemCounts { todo } } } } }`, nil)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var labels []string
	var first json.RawMessage
	for _, line := range strings.Split(string(body), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		p := decodePart(t, []byte(data))
		if first == nil {
			first = p.Data
			continue
		}
		labels = append(labels, p.Label)
	}
	assert.JSONEq(t, `{"viewer":{}}`, string(first))
	assert.ElementsMatch(t, []string{"outer", "inner"}, labels)
}

// rawSocket is a graphql-transport-ws client that sends whatever it is told, for the protocol's
// errors: messages are written as given, and closeCode reads until the server closes.
type rawSocket struct {
	t    *testing.T
	conn *coderws.Conn
}

func dialRaw(t *testing.T, h *harness) *rawSocket {
	t.Helper()
	conn, _, err := coderws.Dial(context.Background(), "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/graphql",
		&coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &rawSocket{t: t, conn: conn}
}

func (s *rawSocket) send(text string) {
	require.NoError(s.t, s.conn.Write(context.Background(), coderws.MessageText, []byte(text)))
}

func (s *rawSocket) init(user string) {
	s.t.Helper()
	s.send(`{"type":"connection_init","payload":{"X-Weda-User-Id":"` + user + `"}}`)
	_, b, err := s.conn.Read(context.Background())
	require.NoError(s.t, err)
	require.Contains(s.t, string(b), "connection_ack")
}

// closeCode reads until the socket ends and returns the code it was closed with.
func (s *rawSocket) closeCode() coderws.StatusCode {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // ends only a broken test
	defer cancel()
	for {
		if _, _, err := s.conn.Read(ctx); err != nil {
			return coderws.CloseStatus(err)
		}
	}
}

// Line 3 and the protocol line: each violation closes the socket with the code
// graphql-transport-ws names, and the socket's resources are freed.
func TestStreamProtocolErrorsCloseWithTheirCodes(t *testing.T) {
	h := newHarness(t, still, func(c *gateway.Config) { c.Streams.InitTimeout = 100 * time.Millisecond })
	base := measureResources(t)
	sub := `{"id":"1","type":"subscribe","payload":{"query":"{ viewer { workItemCounts { todo } } }"}}`
	for _, tc := range []struct {
		name   string
		init   bool // after a connection_init that was acknowledged
		send   []string
		binary bool
		want   coderws.StatusCode
	}{
		{name: "init payload a string", send: []string{`{"type":"connection_init","payload":"x"}`}, want: 4400},
		{name: "init payload a list", send: []string{`{"type":"connection_init","payload":[1]}`}, want: 4400},
		{name: "init payload a number", send: []string{`{"type":"connection_init","payload":42}`}, want: 4400},
		{name: "invalid JSON", init: true, send: []string{`{"type":`}, want: 4400},
		{name: "unknown type", init: true, send: []string{`{"type":"start","id":"1"}`}, want: 4400},
		{name: "subscribe without id", init: true, send: []string{`{"type":"subscribe","payload":{"query":"{ __typename }"}}`}, want: 4400},
		{name: "subscribe without payload", init: true, send: []string{`{"type":"subscribe","id":"1"}`}, want: 4400},
		{name: "subscribe before init", send: []string{sub}, want: 4401},
		{name: "duplicate id", init: true, send: []string{
			`{"id":"1","type":"subscribe","payload":{"query":"subscription { workItemCounts { todo } }"}}`,
			`{"id":"1","type":"subscribe","payload":{"query":"subscription { workItemCounts { todo } }"}}`}, want: 4409},
		{name: "second init", init: true, send: []string{`{"type":"connection_init"}`}, want: 4429},
		{name: "init timeout", want: 4408},
		{name: "invalid UTF-8", init: true, send: []string{"{\"type\":\"ping\",\"payload\":{\"x\":\"\xff\"}}"}, want: 1007},
		{name: "binary message", init: true, binary: true, want: 4400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := dialRaw(t, h)
			if tc.init {
				s.init(h.me)
			}
			for _, m := range tc.send {
				s.send(m)
			}
			if tc.binary {
				require.NoError(t, s.conn.Write(context.Background(), coderws.MessageBinary, []byte(`{"type":"ping"}`)))
			}
			assert.Equal(t, tc.want, s.closeCode())
		})
	}
	base.waitBack(t, h.closeIdle)
}

// The protocol's ordinary exchange still works: ping is answered with pong, and a client's
// complete stops its subscription without a complete from the server.
func TestStreamPingAndComplete(t *testing.T) {
	h := newHarness(t, still)
	c := dialWS(t, h, map[string]any{"X-Weda-User-Id": h.me})
	c.ack()
	c.send(wsMessage{Type: "ping"})
	assert.Equal(t, "pong", c.next().Type)
	c.subscribe("1", `subscription { workItemCounts { todo } }`, nil)
	c.todo()
	c.send(wsMessage{ID: "1", Type: "complete"})
	c.subscribe("1", `subscription { workItemCounts { todo } }`, nil) // the id is free again once stopped
	assert.Equal(t, 24, c.todo(), "the new subscription's first event; nothing more of the old one")
}
