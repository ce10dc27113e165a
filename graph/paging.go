package graph

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/wedagraph/gateway/graph/model"
)

// Cursors are opaque to clients and stable for a given list: each names an item's offset.

const cursorPrefix = "o:"

func cursorFor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(offset)))
}

// window reads first/after into an offset and a limit, with a clear error for bad values.
func window(first *int, after *string, def, max int) (offset, limit int, err error) {
	limit = def
	if first != nil {
		limit = *first
	}
	if limit < 0 || limit > max {
		return 0, 0, userError("first must be between 0 and %d, got %d", max, limit)
	}
	if after != nil && *after != "" {
		raw, decErr := base64.RawURLEncoding.DecodeString(*after)
		n, convErr := strconv.Atoi(strings.TrimPrefix(string(raw), cursorPrefix))
		if decErr != nil || convErr != nil || !strings.HasPrefix(string(raw), cursorPrefix) || n < 0 || n > maxOffset {
			return 0, 0, userError("after %q is not a cursor of this list", *after)
		}
		offset = n + 1
	}
	return offset, limit, nil
}

// maxOffset bounds how deep a client may page.
const maxOffset = 100_000

// upstreamPage finds the upstream page (number from 1, size) holding items [offset, offset+limit)
// and where they start within it, choosing the smallest page size that does: the upstream is
// never asked for more than the client's window when the window is page-aligned, and for little
// more otherwise.
func upstreamPage(offset, limit int) (number, size, skip int) {
	if limit == 0 {
		return offset + 1, 1, 0
	}
	for size = limit; ; size++ {
		if offset/size == (offset+limit-1)/size {
			return offset/size + 1, size, offset % size
		}
	}
}

// slice returns items[skip : skip+limit], clamped.
func slice[T any](items []T, skip, limit int) []T {
	skip = min(skip, len(items))
	return items[skip:min(skip+limit, len(items))]
}

func pageInfo(offset, n, total int) *model.PageInfo {
	pi := &model.PageInfo{HasPreviousPage: offset > 0, HasNextPage: offset+n < total}
	if n > 0 {
		s, e := cursorFor(offset), cursorFor(offset+n-1)
		pi.StartCursor, pi.EndCursor = &s, &e
	}
	return pi
}

// edges pairs each node with its cursor.
func edges[N, E any](nodes []N, offset int, edge func(cursor string, node N) E) []E {
	out := make([]E, len(nodes))
	for i, n := range nodes {
		out[i] = edge(cursorFor(offset+i), n)
	}
	return out
}
