package graph

import "github.com/wedagraph/gateway/idempotency"

// Resolver is the root resolver. Per-request state (loaders, viewer) lives on the context; what
// outlives a request is here.
type Resolver struct {
	// Idempotency remembers keyed writes; nil turns idempotency keys off.
	Idempotency idempotency.Store
}
