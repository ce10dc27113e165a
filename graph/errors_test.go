package graph

import (
	"context"
	"fmt"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"

	"github.com/wedagraph/gateway/idempotency"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/workflow"
)

func TestErrorCodes(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	storeDown := &workflow.Error{Code: workflow.CodeUnavailable, Message: "store", Err: fmt.Errorf("%w: dial", idempotency.ErrUnavailable)}
	cases := map[string]struct {
		err  error
		code string
	}{
		"a cancelled client":             {context.Canceled, CodeCanceled},
		"a cancelled upstream call":      {&upstream.Error{Endpoint: "GetFlowInstances", Kind: upstream.KindUnavailable, Err: context.Canceled}, CodeCanceled},
		"Redis down":                     {storeDown, CodeUpstreamUnavailable},
		"a broken store":                 {&workflow.Error{Code: workflow.CodeInternal, Message: "store"}, CodeInternal},
		"a domain refusal":               {&workflow.Error{Code: workflow.CodeForbidden, Message: "no"}, CodeForbidden},
		"a deadline":                     {context.DeadlineExceeded, CodeUpstreamTimeout},
		"an unknown outcome, unverified": {&workflow.Error{Code: workflow.CodeUnavailable, OutcomeUnknown: true, Message: "x"}, CodeUpstreamUnavailable},
	}
	for name, c := range cases {
		got := PresentError(ctx, c.err)
		assert.Equal(t, c.code, got.Extensions["code"], name)
		assert.NotEqual(t, CodeBadUserInput, got.Extensions["code"], name)
	}
	e := PresentError(ctx, &workflow.Error{Code: workflow.CodeUnavailable, OutcomeUnknown: true, Message: "x"})
	assert.Equal(t, true, e.Extensions["outcomeUnknown"])
	e = PresentError(ctx, &upstream.Error{Endpoint: "StopFlow", Kind: upstream.KindUnavailable, OutcomeUnknown: true,
		Message: "the connection broke after the request was sent"})
	assert.Contains(t, e.Message, "the connection broke after the request was sent")
	assert.NotContains(t, e.Message, "in time", "the message names the real cause")
}
