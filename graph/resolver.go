package graph

import (
	"github.com/wedagraph/gateway/live"
	"github.com/wedagraph/gateway/workflow"
)

// Resolver is the root resolver. Per-request state (loaders, viewer) lives on the context; what
// outlives a request is here.
type Resolver struct {
	// Workflow is the domain layer: who may see and do what, the lookups WeDa lacks, the writes.
	Workflow *workflow.Service
	// Live runs the subscriptions' pollers; nil turns subscriptions off.
	Live *live.Engine
}
