package delivery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The streaming HTTP transports (multipart/mixed and Server-Sent Events) share how they read the
// request and how they write to a client that may be gone, slow, or never reading.

// DefaultWriteTimeout bounds one write to a streaming client: past it the client is taken for
// gone, the connection is closed and the operation's work stopped.
const DefaultWriteTimeout = 10 * time.Second

// postsJSON reports whether r is a POST of a JSON body that accepts mediaType.
func postsJSON(r *http.Request, mediaType string) bool {
	if r.Method != http.MethodPost || !strings.Contains(r.Header.Get("Accept"), mediaType) {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// readParams reads the operation a POST carries, or answers 400 and reports false. Its body is
// already bounded by the edge.
func readParams(w http.ResponseWriter, r *http.Request) (*graphql.RawParams, bool) {
	params, err := decodeParams(r)
	if err != nil {
		writeRequestError(w, http.StatusBadRequest, gqlerror.List{{Message: err.Error(),
			Extensions: map[string]any{"code": "BAD_REQUEST"}}})
		return nil, false
	}
	return params, true
}

func decodeParams(r *http.Request) (*graphql.RawParams, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("the request body could not be read: %w", err)
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		return nil, fmt.Errorf("the request body is not a JSON GraphQL request: %w", err)
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: graphql.Now(), End: graphql.Now()}
	return params, nil
}

// writeRequestError answers a request that failed before it could run: 400 when it is not a
// GraphQL request at all, 200 with the errors otherwise (the answer's format decides the rest).
func writeRequestError(w http.ResponseWriter, status int, errs gqlerror.List) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": errs})
}

// streamWriter writes the parts of one answer: each flushed at once, each within its own write
// deadline. After a failed write every later one fails too.
type streamWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration

	mu  sync.Mutex
	err error
}

func newStreamWriter(w http.ResponseWriter, timeout time.Duration) *streamWriter {
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	return &streamWriter{w: w, rc: http.NewResponseController(w), timeout: timeout}
}

// errClosed fails writes after the answer has ended.
var errClosed = errors.New("the answer has ended")

// close makes every later write fail without touching the response.
func (s *streamWriter) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = errClosed
	}
}

// write sends p and flushes it, or reports why it could not.
func (s *streamWriter) write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if err := s.rc.SetWriteDeadline(time.Now().Add(s.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
		return err
	}
	if _, err := s.w.Write(p); err != nil {
		s.err = err
		return err
	}
	if err := s.rc.Flush(); err != nil {
		s.err = err
		return err
	}
	return nil
}
