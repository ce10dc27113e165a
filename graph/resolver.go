package graph

// Resolver is the root resolver; the per-request state lives in the loaders on the context.
type Resolver struct{}
