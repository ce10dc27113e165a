package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/examples"
	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// seededUsers are the ids of the sandbox's demo organisation.
func seededUsers(h *harness) []string {
	var ids []string
	for _, name := range []string{"administrator", "kongtest", "lihua", "wangfang", "zhangwei", "liuyang", "chenjing",
		"yangli", "zhaolei", "huangmin", "zhouqiang", "wuxia", "xuming", "sunli"} {
		ids = append(ids, h.userID(name))
	}
	return ids
}

// More lines of issue #19's table: an operation on a WebSocket meets the edge an HTTP request
// meets (rate, memo, ceiling, idempotency key), credentials end streams, restarts tell clients to
// reconnect.

// run sends a query or mutation on the socket and returns its one answer; it must complete.
func (c *wsClient) run(id, query string, extensions map[string]any) gqlResponse {
	c.t.Helper()
	p, _ := json.Marshal(map[string]any{"query": query, "extensions": extensions})
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: p})
	m := c.next()
	if m.Type == "error" {
		var errs []gqlError
		require.NoError(c.t, json.Unmarshal(m.Payload, &errs))
		return gqlResponse{Errors: errs}
	}
	require.Equal(c.t, "next", m.Type, string(m.Payload))
	var res gqlResponse
	require.NoError(c.t, json.Unmarshal(m.Payload, &res))
	require.Equal(c.t, "complete", c.next().Type)
	return res
}

func codeOf(res gqlResponse) string {
	if len(res.Errors) == 0 {
		return ""
	}
	code, _ := res.Errors[0].Extensions["code"].(string)
	return code
}

// Line 4: operations on a WebSocket draw on the user's rate limit, the one HTTP requests draw on.
func TestStreamSocketOperationsMeetTheUsersRateLimit(t *testing.T) {
	h := newHarness(t, still, func(c *gateway.Config) { c.Limits.RateRequests = 10 })
	c := dialWS(t, h, map[string]any{"X-Weda-User-Id": h.me})
	c.ack()
	served := 0
	for i := range 20 {
		if res := c.run(fmt.Sprint(i), `{ viewer { id } }`, nil); codeOf(res) == "" {
			served++
		} else {
			assert.Equal(t, "RATE_LIMITED", codeOf(res))
		}
	}
	assert.Equal(t, 10, served, "the user's limit, over the socket")
	res := h.query(h.me, `{ viewer { id } }`, nil)
	assert.Equal(t, http.StatusTooManyRequests, res.status, "and over HTTP, the same budget")
}

// Line 5: each operation on a socket reads afresh (its own memo) and has its own ceiling of
// upstream calls: a write made over HTTP shows, and the sixtieth lookup works as the first.
func TestStreamSocketOperationsEachHaveTheirOwnLoaders(t *testing.T) {
	h := newHarness(t, still)
	c := dialWS(t, h, map[string]any{"X-Weda-User-Id": h.me})
	c.ack()
	unread := `{ viewer { messages(status: UNREAD, first: 1) { nodes { id } } } }`
	var before struct {
		Viewer struct {
			Messages struct{ Nodes []struct{ ID string } }
		}
	}
	res := c.run("a", unread, nil)
	require.Empty(t, res.Errors)
	require.NoError(t, json.Unmarshal(res.Data, &before))
	require.NotEmpty(t, before.Viewer.Messages.Nodes)
	id := before.Viewer.Messages.Nodes[0].ID
	h.ok(h.me, `mutation($ids: [ID!]!) { markMessages(input: { messageIds: $ids, status: READ }) { messages { id } } }`,
		map[string]any{"ids": []string{id}}, &struct{}{})
	res = c.run("b", unread, nil)
	require.Empty(t, res.Errors)
	assert.NotContains(t, string(res.Data), id, "read after the write: not the socket's memo")

	h.calls.reset()
	for i := range 60 {
		res := c.run(fmt.Sprint(i), `{ viewer { workItems(box: TODO, first: 2) { nodes { instance { tasks { totalCount } operations { totalCount } } } } } }`, nil)
		require.Empty(t, res.Errors, "lookup %d", i)
	}
	assert.Greater(t, len(h.calls.calls()), 200, "more calls than one operation may make, over one socket")
}

// Line 11: an Idempotency-Key header on the upgrade request keys nothing; each operation's own
// key (extensions.idempotencyKey) makes its write happen once.
func TestStreamIdempotencyKeyIsPerOperation(t *testing.T) {
	h := newHarness(t, still)
	conn, _, err := coderws.Dial(context.Background(), "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/graphql",
		&coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{"Idempotency-Key": {"upgrade-key"}}})
	require.NoError(t, err)
	c := &wsClient{t: t, conn: conn, msgs: make(chan wsMessage, 64), done: make(chan error, 1)}
	t.Cleanup(func() { _ = conn.CloseNow() })
	go c.read()
	p, _ := json.Marshal(map[string]any{"X-Weda-User-Id": h.me})
	c.send(wsMessage{Type: "connection_init", Payload: p})
	c.ack()
	start := func(days int) string {
		return fmt.Sprintf(`mutation { startFlow(input: { processKey: "leave_request", startParameters: { leave: { days: %d } } }) { instance { id } } }`, days)
	}
	before := h.sb.Calls("StartFlow")
	assert.Empty(t, c.run("1", start(1), nil).Errors)
	assert.Empty(t, c.run("2", start(2), nil).Errors, "the upgrade's header is no key for the operations")
	first := c.run("3", start(3), map[string]any{"idempotencyKey": "k-3"})
	again := c.run("4", start(3), map[string]any{"idempotencyKey": "k-3"})
	require.Empty(t, first.Errors)
	assert.JSONEq(t, string(first.Data), string(again.Data), "the repeat is answered with the first result")
	assert.Equal(t, before+3, h.sb.Calls("StartFlow"), "three writes: the repeat made none")
}

// sseEvents posts a subscription over Server-Sent Events with headers and returns its events'
// names as they come, until the stream ends (and a last "broken: …" when it did not end cleanly).
func sseEvents(t *testing.T, url string, headers map[string]string, query string) <-chan string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // ends only a broken test
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	events := make(chan string, 16)
	go func() {
		defer close(events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- name
			}
		}
		if sc.Err() != nil {
			events <- "broken: " + sc.Err().Error() // not an end the server chose
		}
	}()
	return events
}

// Line 6: an SSE subscription ends when its token expires, as a WebSocket does — without
// `complete`, so graphql-sse reconnects, and authenticates again.
func TestStreamSSEEndsWhenItsTokenExpires(t *testing.T) {
	h := newHarness(t, still, jwtMode)
	tok := sign(t, claims(h.userID("wangfang"), map[string]any{"exp": time.Now().Add(2 * time.Second).Unix()}))
	events := sseEvents(t, h.srv.URL, bearer(tok), `subscription { workItemCounts { todo } }`)
	var names []string
	for name := range events {
		names = append(names, name)
	}
	assert.Equal(t, []string{"next"}, names, "the first event, then the end at exp: no complete")
}

// Line 7: on SIGTERM, WebSocket subscribers are closed with 1012 (service restart) and SSE
// streams end without `complete`, so graphql-ws and graphql-sse resubscribe elsewhere; the
// process stops cleanly within SHUTDOWN_TIMEOUT.
func TestStreamRestartTellsClientsToReconnect(t *testing.T) {
	cfg, err := gateway.ConfigFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	cfg.ShutdownDelay, cfg.ShutdownTimeout = 0, 20*time.Second
	gw, err := gateway.New(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()
	me := gw.Sandbox().UserID(sandbox.DemoUser)

	ws := dialWSURL(t, url, map[string]any{"X-Weda-User-Id": me})
	ws.ack()
	ws.subscribe("1", `subscription { workItemCounts { todo } }`, nil)
	ws.todo()
	events := sseEvents(t, url, map[string]string{"X-Weda-User-Id": me}, `subscription { workItemCounts { todo } }`)
	require.Equal(t, "next", <-events)

	stop()
	assert.Equal(t, coderws.StatusCode(1012), ws.closeCode())
	var rest []string
	for name := range events {
		rest = append(rest, name)
	}
	assert.Empty(t, rest, "the SSE stream ends without complete")
	require.NoError(t, <-served, "a clean stop: the process exits 0")
}

// Lines 8 and 1: a flood of HTTP requests — 300 at once from one user, then 1,000 from every
// user — is admitted up to the bounds of the work in flight and refused at once past them (429
// for a user's own bound, 503 for the process's, each with Retry-After); the heap stays inside
// the budget.
func TestStreamHTTPFloodIsBounded(t *testing.T) {
	h := newHarness(t, still, noRateLimit)
	base := measureResources(t)
	probe := newHeapProbe()
	users := seededUsers(h)
	inboxQuery := examples.MustOperation("inbox.graphql")
	flood := func(n int, user func(i int) string) map[int]int {
		statuses := make(chan int, n)
		start := make(chan struct{})
		for i := range n {
			go func() {
				<-start
				req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", strings.NewReader(string(gqlBody(inboxQuery, nil))))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Weda-User-Id", user(i))
				resp, err := h.srv.Client().Do(req)
				if err != nil {
					statuses <- 0
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				probe.take()
				if resp.StatusCode != http.StatusOK && resp.Header.Get("Retry-After") == "" {
					statuses <- -resp.StatusCode // a refusal without Retry-After
					return
				}
				statuses <- resp.StatusCode
			}()
		}
		close(start)
		out := map[int]int{}
		for range n {
			out[<-statuses]++
			probe.take()
		}
		return out
	}
	one := flood(300, func(int) string { return h.me })
	t.Logf("one user: %v", one)
	assert.Equal(t, 300, one[http.StatusOK]+one[http.StatusTooManyRequests], "%v", one)
	assert.Positive(t, one[http.StatusTooManyRequests])
	all := flood(1000, func(i int) string { return users[i%len(users)] })
	t.Logf("every user: %v, heap peak +%.1f MiB", all, probe.grew())
	assert.Equal(t, 1000, all[http.StatusOK]+all[http.StatusTooManyRequests]+all[http.StatusServiceUnavailable], "%v", all)
	assert.Positive(t, all[http.StatusServiceUnavailable], "the process's bound")
	assert.Less(t, probe.grew(), float64(floodBudgetMiB))
	rec := httptest.NewRecorder()
	h.gw.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, series := range []string{`weda_gateway_refusals_total{bound="MAX_OPERATIONS_IN_FLIGHT"} ` + fmt.Sprint(all[http.StatusServiceUnavailable]),
		`weda_gateway_refusals_total{bound="MAX_OPERATIONS_PER_VIEWER"} ` + fmt.Sprint(one[http.StatusTooManyRequests]+all[http.StatusTooManyRequests]),
		"weda_gateway_operations_in_flight 0", "weda_gateway_connections_open 0"} {
		assert.Contains(t, rec.Body.String(), series+"\n", "operators see the refusals by bound")
	}
	base.waitBack(t, h.closeIdle)
}

// Line 9: idle connections are bounded per viewer (past it: close 1013, try again later) and in
// the process (past it: 503 before the upgrade), and each one's resources are freed.
func TestStreamConnectionsAreBounded(t *testing.T) {
	h := newHarness(t, still, func(c *gateway.Config) { c.Streams.MaxConnections, c.Streams.MaxConnectionsPerViewer = 12, 5 })
	base := measureResources(t)
	var open []*wsClient
	for range 5 {
		c := dialWS(t, h, map[string]any{"X-Weda-User-Id": h.me})
		c.ack()
		open = append(open, c)
	}
	sixth := dialWS(t, h, map[string]any{"X-Weda-User-Id": h.me})
	assert.Equal(t, coderws.StatusCode(1013), sixth.closeCode(), "a viewer's sixth")
	for _, u := range seededUsers(h) {
		if u == h.me {
			continue
		}
		c := dialWS(t, h, map[string]any{"X-Weda-User-Id": u})
		c.ack()
		open = append(open, c)
		if len(open) == 12 {
			break
		}
	}
	require.Len(t, open, 12)
	_, resp, err := coderws.Dial(context.Background(), "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/graphql",
		&coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.Error(t, err, "the process's thirteenth")
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	for _, c := range open {
		require.NoError(t, c.conn.Close(coderws.StatusNormalClosure, ""))
	}
	require.Eventually(t, func() bool { _, conns := h.gw.InFlight(); return conns == 0 }, time.Minute, 10*time.Millisecond)
	base.waitBack(t, h.closeIdle)
}
