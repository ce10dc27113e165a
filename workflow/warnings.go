package workflow

import (
	"context"
	"sync"
)

// Warning is what an answer must tell its client beside its data and errors: the write was done,
// but something about it the client would otherwise not know. The API layer puts each in the
// response's extensions.warnings.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Warning codes.
const (
	// WarnOutcomeNotRecorded: a keyed write was sent, and its outcome could not be recorded under
	// its key (the idempotency store did not answer, or lost the claim to another attempt): a
	// retry with the same key may carry the write out again.
	WarnOutcomeNotRecorded = "IDEMPOTENCY_OUTCOME_NOT_RECORDED"
	// WarnKeysForgotten: a keyed write was sent under a key the store did not know, while the
	// store had lost its records within a record's lifetime: if the request repeats one sent
	// before the loss, the write may have been carried out twice.
	WarnKeysForgotten = "IDEMPOTENCY_KEYS_FORGOTTEN"
)

// Warnings collects the warnings of one operation. Fields resolve concurrently: it is safe for
// concurrent use.
type Warnings struct {
	mu   sync.Mutex
	list []Warning
}

type warningsKey struct{}

// WithWarnings returns ctx carrying a new collector, and the collector.
func WithWarnings(ctx context.Context) (context.Context, *Warnings) {
	w := &Warnings{}
	return context.WithValue(ctx, warningsKey{}, w), w
}

// WarningsFrom returns the collector ctx carries, or nil.
func WarningsFrom(ctx context.Context) *Warnings {
	w, _ := ctx.Value(warningsKey{}).(*Warnings)
	return w
}

// Take returns the warnings collected since the last Take, each once.
func (w *Warnings) Take() []Warning {
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.list
	w.list = nil
	return list
}

// warn adds a warning to the operation's collector; without one (a caller that is not the API)
// it is dropped, as the log has it too. The same warning twice in one answer is said once.
func warn(ctx context.Context, warning Warning) {
	w := WarningsFrom(ctx)
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, have := range w.list {
		if have == warning {
			return
		}
	}
	w.list = append(w.list, warning)
}
