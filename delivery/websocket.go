package delivery

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
)

// WebSocket serves graphql-transport-ws, the protocol of the graphql-ws package (Apollo Client's
// GraphQLWsLink, urql's subscriptionExchange, GraphiQL): one socket, many operations. Each
// operation is admitted, bounded and logged as an HTTP request would be (SocketHooks.Begin); the
// protocol's errors close the socket with the codes it names; and every path out of a socket
// frees what it held.
type WebSocket struct {
	Hooks   SocketHooks
	Streams *Streams
	// Origins are the host patterns a browser may open a socket from (coder/websocket's
	// OriginPatterns); a request from another origin is refused.
	Origins      []string
	ReadLimit    int64         // the largest message; a larger one closes the socket (1009)
	InitTimeout  time.Duration // connection_init must come within it, else 4408
	KeepAlive    time.Duration // a ping this often; a client that says nothing for an interval after one is gone
	WriteTimeout time.Duration // one message's write; DefaultWriteTimeout when zero
	Log          *slog.Logger
}

// SocketHooks are what the gateway decides for a socket and its operations.
type SocketHooks interface {
	// Connect admits a socket before it is accepted; a *Refusal is the HTTP answer.
	Connect(r *http.Request) (release func(), err error)
	// Init authenticates the socket from connection_init's payload and the upgrade request's
	// headers; ctx is the upgrade request's. A *CloseError (or any error: 4401) closes the socket.
	Init(ctx context.Context, headers http.Header, payload map[string]any) (Session, error)
	// Begin admits one operation: its own context (its Ticket, its own loaders, its log line), and
	// end, to call once it has ended. A *Refusal is sent as the operation's error.
	Begin(ctx context.Context, op SocketOperation) (opCtx context.Context, end func(), err error)
}

// Session is an authenticated socket.
type Session struct {
	Context context.Context // the socket's context from now on: the viewer's
	Expires time.Time       // when its credential expires: the socket closes with 4401
	Release func()          // called once the socket has closed
}

// SocketOperation is what Begin learns of an operation before it is parsed.
type SocketOperation struct {
	ID         string
	Extensions map[string]any // the subscribe payload's extensions (an idempotency key, say)
}

// CloseError closes a socket with a code of the protocol's.
type CloseError struct {
	Code   websocket.StatusCode
	Reason string
}

func (e *CloseError) Error() string { return e.Reason }

// Close codes: graphql-transport-ws's, and the standard ones a socket ends with.
const (
	CloseUnauthorized   websocket.StatusCode = 4401
	CloseForbidden      websocket.StatusCode = 4403
	CloseTryAgainLater  websocket.StatusCode = 1013 // a bound is reached: graphql-ws retries later
	closeBadRequest     websocket.StatusCode = 4400
	closeSubprotocol    websocket.StatusCode = 4406
	closeInitTimeout    websocket.StatusCode = 4408
	closeDuplicateID    websocket.StatusCode = 4409
	closeTooManyInits   websocket.StatusCode = 4429
	closeInvalidUTF8    websocket.StatusCode = 1007
	closeServiceRestart websocket.StatusCode = 1012 // clients reconnect, to another replica
)

const subprotocol = "graphql-transport-ws"

var _ graphql.Transport = WebSocket{}

// Supports implements graphql.Transport.
func (WebSocket) Supports(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Do implements graphql.Transport.
func (t WebSocket) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	release, err := t.Hooks.Connect(r)
	if err != nil {
		writeRefusal(w, err)
		return
	}
	defer release()
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{subprotocol}, OriginPatterns: t.Origins})
	if err != nil {
		return // Accept has answered (a bad handshake, a foreign origin)
	}
	if t.WriteTimeout <= 0 {
		t.WriteTimeout = DefaultWriteTimeout
	}
	if t.Log == nil {
		t.Log = slog.New(slog.DiscardHandler)
	}
	s := &socket{t: t, ws: ws, exec: exec, base: r.Context(), headers: r.Header, ops: map[string]*socketOp{}}
	s.serve()
}

// sendError sends an operation's error message: it ends the operation (no complete follows).
func (s *socket) sendError(id string, err error) {
	var r *Refusal
	var payload any
	switch {
	case errors.As(err, &r):
		payload = []any{r.graphQLError()}
	default:
		payload = []any{map[string]any{"message": err.Error(), "extensions": map[string]any{"code": "INTERNAL_SERVER_ERROR"}}}
	}
	_ = s.send(outMessage{ID: id, Type: "error", Payload: payload})
}
