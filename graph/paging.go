package graph

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/wedagraph/gateway/graph/model"
	"github.com/wedagraph/gateway/workflow"
)

// Lists are Relay connections. Cursors are opaque to clients and stable for a given list: each
// names an item's offset. The domain fetches a window of a list (workflow.Window); the graph
// reads first/after into it and answers nodes, edges and page info.

const cursorPrefix = "o:"

func cursorFor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(offset)))
}

// maxOffset bounds how deep a client may page.
const maxOffset = 100_000

// window reads first/after into a window, with a clear error for bad values.
func window(first *int, after *string, def, max int) (workflow.Window, error) {
	w := workflow.Window{Limit: def}
	if first != nil {
		w.Limit = *first
	}
	if w.Limit < 0 || w.Limit > max {
		return w, userError("first must be between 0 and %d, got %d", max, w.Limit)
	}
	if after != nil && *after != "" {
		raw, decErr := base64.RawURLEncoding.DecodeString(*after)
		n, convErr := strconv.Atoi(strings.TrimPrefix(string(raw), cursorPrefix))
		if decErr != nil || convErr != nil || !strings.HasPrefix(string(raw), cursorPrefix) || n < 0 || n > maxOffset {
			return w, userError("after %q is not a cursor of this list", *after)
		}
		w.Offset = n + 1
	}
	return w, nil
}

// conn is one answer of a connection, in the shape every *Connection model has.
type conn[N, E any] struct {
	Nodes      []N
	Edges      []E
	PageInfo   *model.PageInfo
	TotalCount int
}

// connection answers first/after of a list: fetch gets the window, node converts each item, edge
// pairs a node with its cursor.
func connection[T, N, E any](first *int, after *string, def, max int, fetch func(workflow.Window) (workflow.Page[T], error),
	node func(*T) N, edge func(cursor string, n N) E) (conn[N, E], error) {
	w, err := window(first, after, def, max)
	if err != nil {
		return conn[N, E]{}, err
	}
	page, err := fetch(w)
	if err != nil {
		return conn[N, E]{}, err
	}
	c := conn[N, E]{Nodes: make([]N, len(page.Items)), Edges: make([]E, len(page.Items)), TotalCount: page.Total}
	for i := range page.Items {
		c.Nodes[i] = node(&page.Items[i])
		c.Edges[i] = edge(cursorFor(w.Offset+i), c.Nodes[i])
	}
	pi := &model.PageInfo{HasPreviousPage: w.Offset > 0, HasNextPage: w.Offset+len(c.Nodes) < page.Total}
	if n := len(c.Nodes); n > 0 {
		s, e := cursorFor(w.Offset), cursorFor(w.Offset+n-1)
		pi.StartCursor, pi.EndCursor = &s, &e
	}
	c.PageInfo = pi
	return c, nil
}
