package gateway

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/wedagraph/gateway/workflow"
)

// answerExtensions are gqlgen extensions that add to every operation's answer, whatever
// transport carries it, after the gateway's own (bounds, complexity, batching, metrics, log).
func (g *Gateway) answerExtensions() []graphql.HandlerExtension {
	return []graphql.HandlerExtension{answerWarnings{}}
}

// answerWarnings gives each operation a collector of the domain's warnings (workflow.Warning),
// and puts what it collected in the answer's extensions.warnings: a client that acts on the
// answer must read them there, not in the gateway's log. A streamed answer carries each warning
// once, in the first part after it was raised.
type answerWarnings struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = answerWarnings{}

func (answerWarnings) ExtensionName() string { return "AnswerWarnings" }

func (answerWarnings) Validate(graphql.ExecutableSchema) error { return nil }

func (answerWarnings) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	ctx, _ = workflow.WithWarnings(ctx)
	return next(ctx)
}

func (answerWarnings) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	w := workflow.WarningsFrom(ctx)
	if resp == nil || w == nil {
		return resp
	}
	if list := w.Take(); len(list) > 0 {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["warnings"] = list
	}
	return resp
}
