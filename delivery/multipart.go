package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Multipart delivers a deferred query as multipart/mixed, the incremental-delivery format Apollo
// Client, urql, Relay and GraphiQL read: the first answer, then parts of {incremental: [{data,
// path, label}], hasNext}, each written as soon as it is ready. Not for subscriptions: Apollo's
// multipart subscription protocol is another format, so a subscription asked for this way is
// refused with a clear error.
type Multipart struct {
	WriteTimeout time.Duration // one part's write; DefaultWriteTimeout when zero
}

var _ graphql.Transport = Multipart{}

const boundary = "-"

// Supports implements graphql.Transport.
func (Multipart) Supports(r *http.Request) bool { return postsJSON(r, "multipart/mixed") }

// Do implements graphql.Transport.
func (t Multipart) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	params, ok := readParams(w, r)
	if !ok {
		return
	}
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs == nil && oc.Operation.Operation == ast.Subscription {
		errs = gqlerror.List{{Message: "subscriptions are not served as multipart/mixed: subscribe over Server-Sent Events " +
			"(Accept: text/event-stream) or a WebSocket", Extensions: map[string]any{"code": "BAD_REQUEST"}}}
	}
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
		return
	}
	responses, octx := exec.DispatchOperation(ctx, oc)
	w.Header().Set("Content-Type", `multipart/mixed; boundary="`+boundary+`"; deferSpec=20220824`)
	w.Header().Set("Cache-Control", "no-cache")
	out := newStreamWriter(w, t.WriteTimeout)
	for first := true; ; first = false {
		resp := responses(octx)
		if resp == nil {
			return
		}
		last := resp.HasNext == nil || !*resp.HasNext
		if err := out.write(multipartPart(resp, first, last)); err != nil {
			cancel() // the client is gone or not reading: stop the work, then read it to its end
			Drain(octx, responses)
			return
		}
		if last {
			Drain(octx, responses)
			return
		}
	}
}

// multipartPart is one part, framed: the boundary before it, its headers, its JSON, and after it
// the boundary that tells the reader the part is whole (the closing one after the last).
func multipartPart(resp *graphql.Response, first, last bool) []byte {
	var b bytes.Buffer
	if first {
		b.WriteString("--" + boundary + "\r\n")
	}
	b.WriteString("Content-Type: application/json\r\n\r\n")
	var body any = resp
	if !first {
		body = struct {
			Incremental []incrementalItem `json:"incremental"`
			HasNext     bool              `json:"hasNext"`
		}{[]incrementalItem{{Data: resp.Data, Path: resp.Path, Label: resp.Label, Errors: resp.Errors,
			Extensions: resp.Extensions}}, !last}
	}
	data, err := json.Marshal(body)
	if err != nil {
		data = []byte(`{"errors":[{"message":"the answer could not be written","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
	}
	b.Write(data)
	b.WriteString("\r\n--" + boundary)
	if last {
		b.WriteString("--")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// incrementalItem is one deferred fragment in a part: hasNext belongs to the part, not to it.
type incrementalItem struct {
	Data       json.RawMessage `json:"data"`
	Path       ast.Path        `json:"path,omitempty"`
	Label      string          `json:"label,omitempty"`
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}
