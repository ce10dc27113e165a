package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream"
)

// wsClient speaks graphql-transport-ws, as the graphql-ws package does.
type wsClient struct {
	t    *testing.T
	conn *coderws.Conn
	msgs chan wsMessage
	done chan error
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialWS opens a connection to h and sends connection_init with payload; it does not wait for
// the answer (see ack).
func dialWS(t *testing.T, h *harness, payload map[string]any) *wsClient {
	t.Helper()
	return dialWSURL(t, h.srv.URL, payload)
}

// dialWSURL is dialWS to the gateway at url.
func dialWSURL(t *testing.T, url string, payload map[string]any) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/graphql",
		&coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	c := &wsClient{t: t, conn: conn, msgs: make(chan wsMessage, 64), done: make(chan error, 1)}
	t.Cleanup(func() { _ = conn.CloseNow() })
	go c.read()
	p, _ := json.Marshal(payload)
	c.send(wsMessage{Type: "connection_init", Payload: p})
	return c
}

func (c *wsClient) read() {
	for {
		var m wsMessage
		_, b, err := c.conn.Read(context.Background())
		if err != nil {
			c.done <- err
			close(c.msgs)
			return
		}
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		if m.Type == "ping" {
			c.send(wsMessage{Type: "pong"})
			continue
		}
		c.msgs <- m
	}
}

func (c *wsClient) send(m wsMessage) {
	b, _ := json.Marshal(m)
	_ = c.conn.Write(context.Background(), coderws.MessageText, b)
}

// next is the next message; the bound only ends a broken test.
func (c *wsClient) next() wsMessage {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatalf("the connection closed: %v", <-c.done)
		}
		return m
	case <-time.After(10 * time.Second):
		c.t.Fatal("no message came")
		return wsMessage{}
	}
}

func (c *wsClient) ack() {
	c.t.Helper()
	require.Equal(c.t, "connection_ack", c.next().Type)
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	p, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: p})
}

// closeCode waits for the connection to end and returns its close code.
func (c *wsClient) closeCode() coderws.StatusCode {
	c.t.Helper()
	for {
		select {
		case _, ok := <-c.msgs:
			if !ok {
				return coderws.CloseStatus(<-c.done)
			}
		case <-time.After(10 * time.Second):
			c.t.Fatal("the connection stayed open")
		}
	}
}

type countsEvent struct {
	Data struct{ WorkItemCounts struct{ Todo int } } `json:"data"`
}

func (c *wsClient) todo() int {
	c.t.Helper()
	m := c.next()
	require.Equal(c.t, "next", m.Type, string(m.Payload))
	var ev countsEvent
	require.NoError(c.t, json.Unmarshal(m.Payload, &ev))
	return ev.Data.WorkItemCounts.Todo
}

// still: polls happen only on a subscription's first look and after writes through the gateway.
func still(c *gateway.Config) { c.Live.Interval = time.Hour }

// A colleague's write through the gateway reaches a subscriber at once: the refresh, not the
// (hour-long) interval, brings it.
func TestSubscriptionSeesAColleaguesWrite(t *testing.T) {
	h := newHarness(t, still)
	wangfang := h.userID("wangfang")
	c := dialWS(t, h, map[string]any{"X-Weda-User-Id": wangfang})
	c.ack()
	c.subscribe("1", `subscription { workItemCounts { todo } }`, nil)
	before := c.todo()

	inst := h.start(h.userID("lihua"), "leave_request")
	h.complete(h.me, inst.openTask(t, "kongtest"), "APPROVE", nil) // now it waits for wangfang
	assert.Equal(t, before+1, c.todo())
}

// A change made in WeDa itself (not through the gateway) arrives with the next poll.
func TestSubscriptionSeesAChangeMadeInWeDa(t *testing.T) {
	h := newHarness(t, func(c *gateway.Config) { c.Live.Interval = 50 * time.Millisecond })
	wangfang := h.userID("wangfang")
	c := dialWS(t, h, map[string]any{"X-Weda-User-Id": wangfang})
	c.ack()
	c.subscribe("1", `subscription { workItemCounts { todo } }`, nil)
	before := c.todo()
	inst := h.start(h.userID("lihua"), "leave_request") // arranged straight at the sandbox
	task := inst.openTask(t, "kongtest")
	_, err := h.up.CompleteTask(context.Background(), completeRequest(task, h.user("kongtest")))
	require.NoError(t, err)
	assert.Equal(t, before+1, c.todo())
}

// An instance's subscription: its state now, then each change; a viewer who may not see it
// gets no subscription and no events.
func TestInstanceSubscription(t *testing.T) {
	h := newHarness(t, still)
	lihua := h.userID("lihua")
	inst := h.start(lihua, "leave_request")
	q := `subscription($id: ID!) { instanceChanged(id: $id) { id status currentNode { name } tasks { nodes { status assignee { name } } } } }`

	stranger := dialWS(t, h, map[string]any{"X-Weda-User-Id": h.userID("sunli")})
	stranger.ack()
	stranger.subscribe("s", q, map[string]any{"id": inst.ID})
	m := stranger.next() // the refusal: the resolver gave no stream, so no event can follow
	assert.Contains(t, string(m.Payload), `"code":"NOT_FOUND"`)
	assert.Contains(t, string(m.Payload), `"data":null`)

	c := dialWS(t, h, map[string]any{"X-Weda-User-Id": lihua})
	c.ack()
	c.subscribe("1", q, map[string]any{"id": inst.ID})
	first := c.next()
	require.Equal(t, "next", first.Type, string(first.Payload))
	assert.Contains(t, string(first.Payload), "直属主管审批")
	h.complete(h.me, inst.openTask(t, "kongtest"), "APPROVE", nil)
	second := c.next()
	require.Equal(t, "next", second.Type, string(second.Payload))
	assert.Contains(t, string(second.Payload), "部门经理审批", "the event is the changed instance")
}

// Authentication rides in connection_init; a connection without it is closed with 4401.
func TestSubscriptionNeedsAuthentication(t *testing.T) {
	h := newHarness(t, still)
	c := dialWS(t, h, map[string]any{})
	assert.Equal(t, coderws.StatusCode(4401), c.closeCode())
}

// A token that expires closes its connection with 4401.
func TestSubscriptionClosesWhenItsTokenExpires(t *testing.T) {
	h := newHarness(t, still, jwtMode)
	// exp has a resolution of a second: the token lives one to two seconds.
	tok := sign(t, claims(h.userID("wangfang"), map[string]any{"exp": time.Now().Add(2 * time.Second).Unix()}))
	c := dialWS(t, h, map[string]any{"Authorization": "Bearer " + tok})
	c.ack()
	c.subscribe("1", `subscription { workItemCounts { todo } }`, nil)
	c.todo()
	assert.Equal(t, coderws.StatusCode(4401), c.closeCode())
}

// Fifty subscriptions of one viewer over two replicas sharing Redis: one poll per look. (Fifty
// connections of one viewer are more than a replica allows by default: allowed here.)
func TestSubscriptionsShareOnePollAcrossReplicas(t *testing.T) {
	sb, hs := replicas(t, 2, func(c *gateway.Config) {
		still(c)
		c.Streams.MaxConnectionsPerViewer = 50
	})
	wangfang := sb.UserID("wangfang")
	var clients []*wsClient
	for i := range 50 {
		c := dialWS(t, hs[i%2], map[string]any{"X-Weda-User-Id": wangfang})
		c.ack()
		c.subscribe("1", `subscription { workItemCounts { todo } }`, nil)
		clients = append(clients, c)
	}
	before := 0
	for _, c := range clients {
		before = c.todo()
	}
	assert.LessOrEqual(t, sb.Calls("ListProcessInstancesCount"), int64(2), "one look per replica at most")
	polls := sb.Calls("ListProcessInstancesCount")

	lihua := sb.UserID("lihua")
	hs[0].me = lihua
	inst := hs[0].start(lihua, "leave_request")
	hs[1].complete(sb.UserID("kongtest"), inst.openTask(t, "kongtest"), "APPROVE", nil)
	for _, c := range clients {
		assert.Equal(t, before+1, c.todo())
	}
	assert.Equal(t, polls+1, sb.Calls("ListProcessInstancesCount"), "one poll for fifty subscribers on two replicas")
}

func completeRequest(task string, approver upstream.UserInfo) *upstream.CompleteTaskRequest {
	return &upstream.CompleteTaskRequest{TaskID: upstream.ID(task), ButtonAction: upstream.ActionApprove, Approver: approver}
}

// New messages arrive one by one: the ones already there are not sent again.
func TestMessageReceivedSubscription(t *testing.T) {
	h := newHarness(t, still)
	c := dialWS(t, h, map[string]any{"X-Weda-User-Id": h.me})
	c.ack()
	c.subscribe("1", `subscription { messageReceived { id title task { id } } }`, nil)
	c.subscribe("2", `subscription { messageCounts { type unread } }`, nil)
	counts := c.next()
	require.Equal(t, "2", counts.ID, "the counts come at once; existing messages are no news")

	inst := h.start(h.userID("lihua"), "leave_request") // kongtest is told of his new task
	task := inst.openTask(t, "kongtest")
	var got []wsMessage
	for len(got) < 2 {
		got = append(got, c.next())
	}
	byID := map[string]string{}
	for _, m := range got {
		byID[m.ID] = string(m.Payload)
	}
	assert.Contains(t, byID["1"], task, "the new message, with the task it points at")
	assert.Contains(t, byID["2"], `"unread"`)
}

// A WebSocket's request line names every operation it carried, not only the first.
func TestWebSocketLineNamesEveryOperation(t *testing.T) {
	h := newHarness(t, still)
	c := dialWS(t, h, map[string]any{"X-Weda-User-Id": h.me})
	c.ack()
	c.subscribe("1", `subscription Counts { workItemCounts { todo } }`, nil)
	c.subscribe("2", `subscription Unread { messageCounts { type unread } }`, nil)
	for range 2 { // each has started: its first event came
		require.Equal(t, "next", c.next().Type)
	}
	require.NoError(t, c.conn.Close(coderws.StatusNormalClosure, ""))
	var line map[string]any
	require.Eventually(t, func() bool { // the line is written when the connection's handler ends
		for _, l := range requestLines(t, h.logText()) {
			if l["path"] == "/graphql" {
				line = l
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond)
	names := strings.Split(line["operation"].(string), ",")
	assert.ElementsMatch(t, []string{"Counts", "Unread"}, names)
}
