package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// socket is one graphql-transport-ws connection. Its reader (serve's goroutine) takes every
// message in turn: an operation is admitted or refused before the next message is read, so a
// flood waits on its own socket. Each admitted operation runs on a goroutine of its own.
type socket struct {
	t       WebSocket
	ws      *websocket.Conn
	exec    graphql.GraphExecutor
	base    context.Context // the upgrade request's, then the session's (the viewer's)
	headers http.Header

	mu      sync.Mutex
	inited  bool
	acked   bool
	closing bool // a restart: no new operations
	ops     map[string]*socketOp
	session Session
	expiry  *time.Timer
	pings   *pinger

	heard   atomic.Bool // a message came since the last ping
	pinged  atomic.Bool
	once    sync.Once
	queries sync.WaitGroup // running queries and mutations, which a restart lets finish
	running sync.WaitGroup // every operation's goroutine
}

type socketOp struct {
	cancel context.CancelFunc // nil while it is being admitted
	stream bool
}

// inMessage is a message from the client.
type inMessage struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// outMessage is a message to the client.
type outMessage struct {
	ID      string `json:"id,omitempty"`
	Type    string `json:"type"`
	Payload any    `json:"payload,omitempty"`
}

func (s *socket) serve() {
	defer s.ws.CloseNow()
	if s.ws.Subprotocol() != subprotocol {
		s.close(closeSubprotocol, "Subprotocol not acceptable: use "+subprotocol)
		return
	}
	s.ws.SetReadLimit(s.t.ReadLimit)
	remove, ok := s.t.Streams.add(s.restart)
	if !ok {
		s.close(closeServiceRestart, "service restart")
		return
	}
	defer remove()
	initTimer := time.AfterFunc(s.t.InitTimeout, func() {
		if !s.isAcked() {
			s.close(closeInitTimeout, "Connection initialisation timeout")
		}
	})
	for s.readOne() {
	}
	initTimer.Stop()
	s.end()
}

// end stops what the socket runs and frees what it holds.
func (s *socket) end() {
	s.mu.Lock()
	s.closing = true
	for _, op := range s.ops {
		if op.cancel != nil {
			op.cancel()
		}
	}
	if s.expiry != nil {
		s.expiry.Stop()
	}
	if s.pings != nil {
		s.pings.Stop()
	}
	s.mu.Unlock()
	_ = s.ws.CloseNow() // writes under way fail at once
	s.running.Wait()    // queries stop their work and end quickly
	if s.session.Release != nil {
		s.session.Release()
	}
}

// readOne takes one message; false ends the socket.
func (s *socket) readOne() bool {
	typ, data, err := s.ws.Read(context.Background()) // no deadline: the pings find a client that is gone
	if err != nil {
		return false
	}
	s.heard.Store(true)
	if typ != websocket.MessageText {
		return s.close(closeBadRequest, "Invalid message received: messages are JSON text")
	}
	if !utf8.Valid(data) {
		return s.close(closeInvalidUTF8, "Invalid message received: not UTF-8")
	}
	var m inMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return s.close(closeBadRequest, "Invalid message received: not a JSON message")
	}
	switch m.Type {
	case "connection_init":
		return s.init(m.Payload)
	case "ping":
		return s.send(outMessage{Type: "pong"}) == nil
	case "pong":
		return true
	case "subscribe":
		return s.subscribe(m)
	case "complete":
		// The client has stopped listening: the operation is cancelled and sends nothing more,
		// and its id is free for the client's next subscribe at once.
		s.mu.Lock()
		if op := s.ops[m.ID]; op != nil && op.cancel != nil {
			op.cancel()
			delete(s.ops, m.ID)
		}
		s.mu.Unlock()
		return true
	}
	return s.close(closeBadRequest, "Invalid message received: unknown type")
}

func (s *socket) init(raw json.RawMessage) bool {
	s.mu.Lock()
	again := s.inited
	s.inited = true
	s.mu.Unlock()
	if again {
		return s.close(closeTooManyInits, "Too many initialisation requests")
	}
	payload := map[string]any{}
	if len(raw) > 0 && !isNull(raw) && (!isObject(raw) || json.Unmarshal(raw, &payload) != nil) {
		return s.close(closeBadRequest, "Invalid message received: the connection_init payload must be an object")
	}
	sess, err := s.t.Hooks.Init(s.base, s.headers, payload)
	if err != nil {
		ce := &CloseError{Code: CloseUnauthorized, Reason: "Unauthorized"}
		errors.As(err, &ce)
		return s.close(ce.Code, ce.Reason)
	}
	s.mu.Lock()
	s.session, s.base, s.acked = sess, sess.Context, true
	if !sess.Expires.IsZero() {
		s.expiry = time.AfterFunc(time.Until(sess.Expires), func() { s.close(CloseUnauthorized, "the token expired") })
	}
	if s.t.KeepAlive > 0 {
		s.pings = keepAlive(s.t.KeepAlive, s.keepAlive)
	}
	s.mu.Unlock()
	return s.send(outMessage{Type: "connection_ack"}) == nil
}

// keepAlive pings; a client that said nothing since the last ping (not even its pong) is gone.
func (s *socket) keepAlive() {
	if s.pinged.Swap(true) && !s.heard.Load() {
		_ = s.ws.CloseNow()
		return
	}
	s.heard.Store(false)
	_ = s.send(outMessage{Type: "ping"})
}

func (s *socket) isAcked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

// subscribePayload is what a subscribe message carries.
type subscribePayload struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

func (s *socket) subscribe(m inMessage) bool {
	if !s.isAcked() {
		return s.close(CloseUnauthorized, "Unauthorized")
	}
	if m.ID == "" {
		return s.close(closeBadRequest, "Invalid message received: subscribe needs an id")
	}
	var p subscribePayload
	dec := json.NewDecoder(bytes.NewReader(m.Payload))
	dec.UseNumber()
	if !isObject(m.Payload) || dec.Decode(&p) != nil || p.Query == "" {
		return s.close(closeBadRequest, "Invalid message received: subscribe needs a payload with a query")
	}
	op := &socketOp{}
	s.mu.Lock()
	_, dup := s.ops[m.ID]
	closing := s.closing
	if !dup && !closing {
		s.ops[m.ID] = op
	}
	s.mu.Unlock()
	switch {
	case dup:
		return s.close(closeDuplicateID, "Subscriber for "+truncate(m.ID, 60)+" already exists")
	case closing:
		s.sendError(m.ID, &Refusal{Code: "RATE_LIMITED", Message: ErrRestart.Error() + ": reconnect", RetryAfter: time.Second})
		return true
	}
	ctx, end, err := s.t.Hooks.Begin(s.base, SocketOperation{ID: m.ID, Extensions: p.Extensions})
	if err != nil {
		s.forget(m.ID, op)
		s.sendError(m.ID, err)
		return true
	}
	ctx, cancel := context.WithCancel(ctx)
	params := &graphql.RawParams{Query: p.Query, OperationName: p.OperationName, Variables: p.Variables,
		Extensions: p.Extensions, Headers: s.headers, ReadTime: graphql.TraceTiming{Start: graphql.Now(), End: graphql.Now()}}
	oc, errs := s.exec.CreateOperationContext(ctx, params)
	stream := errs == nil && oc.Operation.Operation == ast.Subscription
	if stream {
		if err := TicketOf(ctx).Stream(); err != nil {
			errs = gqlerror.List{{Message: err.Error(), Extensions: map[string]any{"code": "RATE_LIMITED"}}}
		}
	}
	if errs != nil {
		resp := s.exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		s.forget(m.ID, op)
		cancel()
		end()
		_ = s.send(outMessage{ID: m.ID, Type: "error", Payload: resp.Errors})
		return true
	}
	s.mu.Lock()
	if s.closing { // a restart began while it was admitted
		s.mu.Unlock()
		s.forget(m.ID, op)
		cancel()
		end()
		s.sendError(m.ID, &Refusal{Code: "RATE_LIMITED", Message: ErrRestart.Error() + ": reconnect", RetryAfter: time.Second})
		return true
	}
	op.cancel, op.stream = cancel, stream
	// Counted under the lock that closing is set under, so that no restart or end waits on a
	// count that grows after it began.
	if !stream {
		s.queries.Add(1)
	}
	s.running.Add(1)
	s.mu.Unlock()
	go s.run(m.ID, op, ctx, oc, end)
	return true
}

// run carries one operation's answers to the client, then completes it, unless the client or
// the socket ended it first.
func (s *socket) run(id string, op *socketOp, ctx context.Context, oc *graphql.OperationContext, end func()) {
	defer s.running.Done()
	if !op.stream {
		defer s.queries.Done()
	}
	defer end()
	defer op.cancel()
	responses, octx := s.exec.DispatchOperation(ctx, oc)
	for {
		resp := responses(octx)
		if resp == nil {
			break
		}
		if ctx.Err() != nil {
			continue // completed by the client or the socket: read to the end, send nothing
		}
		if s.send(outMessage{ID: id, Type: "next", Payload: resp}) != nil {
			op.cancel()
		}
	}
	s.forget(id, op)
	if ctx.Err() == nil {
		_ = s.send(outMessage{ID: id, Type: "complete"})
	}
}

// forget frees id, unless the client has reused it for another operation since.
func (s *socket) forget(id string, op *socketOp) {
	s.mu.Lock()
	if s.ops[id] == op {
		delete(s.ops, id)
	}
	s.mu.Unlock()
}

// send writes one message within the write timeout; a client that cannot take it is gone, and
// the socket is closed.
func (s *socket) send(m outMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.t.WriteTimeout)
	defer cancel()
	if err := s.ws.Write(ctx, websocket.MessageText, b); err != nil {
		_ = s.ws.CloseNow()
		return err
	}
	return nil
}

// close closes the socket with code, once; false, for readOne to end the socket.
func (s *socket) close(code websocket.StatusCode, reason string) bool {
	s.once.Do(func() { _ = s.ws.Close(code, truncate(reason, 120)) })
	return false
}

// restart ends the socket for a restart: subscriptions end at once (without complete), running
// queries and mutations answer, then the socket closes with 1012 and its client reconnects.
func (s *socket) restart() {
	s.mu.Lock()
	s.closing = true
	for _, op := range s.ops {
		if op.stream && op.cancel != nil {
			op.cancel()
		}
	}
	s.mu.Unlock()
	s.queries.Wait()
	s.close(closeServiceRestart, "service restart")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
