package workflow

// Window is the part of a list a client asked for: Limit items from Offset.
type Window struct{ Offset, Limit int }

// Page is what a window holds of a list, and how long the list is.
type Page[T any] struct {
	Items []T
	Total int
}

// upstreamPage finds the upstream page (number from 1, size) holding the window and where it
// starts within it, choosing the smallest page size that does: WeDa is never asked for more than
// the window when the window is page-aligned, and for little more otherwise.
func (w Window) upstreamPage() (number, size, skip int) {
	if w.Limit == 0 {
		return w.Offset + 1, 1, 0
	}
	for size = w.Limit; ; size++ {
		if w.Offset/size == (w.Offset+w.Limit-1)/size {
			return w.Offset/size + 1, size, w.Offset % size
		}
	}
}

// pageOf returns the window's items of an upstream page that starts skip items before it.
func pageOf[T any](items []T, skip, limit, total int) Page[T] {
	skip = min(skip, len(items))
	return Page[T]{Items: items[skip:min(skip+limit, len(items))], Total: total}
}
