package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/wedagraph/gateway/session"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/workflow"
)

// Error codes in extensions.code: the domain's own (workflow.Code), and those of the API's.
const (
	CodeBadUserInput        = string(workflow.CodeInvalidInput)
	CodeForbidden           = string(workflow.CodeForbidden)
	CodeNotFound            = string(workflow.CodeNotFound)
	CodeUpstreamUnavailable = string(workflow.CodeUnavailable)
	CodeInternal            = string(workflow.CodeInternal)
	CodeRateLimited         = string(workflow.CodeRateLimited) // more than the client's share
	CodeUnauthenticated     = "UNAUTHENTICATED"
	CodeUpstreamError       = "UPSTREAM_ERROR"
	CodeUpstreamTimeout     = "UPSTREAM_TIMEOUT"
	CodeUpstreamBadResponse = "UPSTREAM_BAD_RESPONSE"
	CodeUpstreamRateLimited = "UPSTREAM_RATE_LIMITED"
	CodeUpstreamCallLimit   = "UPSTREAM_CALL_LIMIT"
	// CodeCanceled: the client went away (or canceled) before the answer was ready.
	CodeCanceled = "REQUEST_CANCELED"
)

func codeError(code, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

func userError(format string, args ...any) *gqlerror.Error {
	return codeError(CodeBadUserInput, format, args...)
}

var upstreamCodes = map[upstream.Kind]string{
	upstream.KindNotFound:        CodeNotFound,
	upstream.KindInvalidInput:    CodeBadUserInput,
	upstream.KindAuth:            CodeUpstreamUnavailable, // our credentials, not the client's
	upstream.KindRateLimited:     CodeUpstreamRateLimited,
	upstream.KindUnavailable:     CodeUpstreamUnavailable,
	upstream.KindTimeout:         CodeUpstreamTimeout,
	upstream.KindBadResponse:     CodeUpstreamBadResponse,
	upstream.KindFailedOperation: CodeUpstreamError,
	upstream.KindUnknown:         CodeUpstreamError,
}

// PresentError gives every error an extensions.code, and upstream errors the upstream's code,
// message and RequestId. Messages never carry tokens: upstream.Error does not hold them.
func PresentError(ctx context.Context, err error) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	if gerr.Extensions == nil {
		gerr.Extensions = map[string]any{}
	}
	var ue *upstream.Error
	var we *workflow.Error
	var limit *session.CallLimitError
	switch {
	case errors.Is(err, session.ErrInternal): // a panic in an upstream call, logged with its stack
		gerr.Message, gerr.Extensions["code"] = "internal server error", CodeInternal
	case errors.Is(err, context.Canceled):
		gerr.Message, gerr.Extensions["code"] = "the request was canceled", CodeCanceled
	case errors.As(err, &we):
		gerr.Message = we.Error()
		gerr.Extensions["code"] = string(we.Code)
		if we.Field != "" {
			gerr.Extensions["field"] = "input." + we.Field
		}
		if we.OutcomeUnknown {
			gerr.Extensions["outcomeUnknown"] = true
		}
		if we.Code == workflow.CodeInternal {
			gerr.Message = "internal server error: " + we.Message // the cause is in the log, not here
		}
	case errors.As(err, &ue):
		gerr.Message = ue.Error()
		gerr.Extensions["code"] = upstreamCodes[ue.Kind]
		gerr.Extensions["upstream"] = map[string]any{"endpoint": ue.Endpoint, "code": ue.Code, "message": ue.Message,
			"requestId": ue.RequestID, "httpStatus": ue.HTTPStatus}
		if ue.Kind == upstream.KindAuth {
			gerr.Message = fmt.Sprintf("the gateway could not authenticate to WeDa (%s) [request %s]", ue.Code, ue.RequestID)
		}
		if ue.OutcomeUnknown {
			gerr.Extensions["outcomeUnknown"] = true
			gerr.Message = fmt.Sprintf("WeDa %s: %s, so the action may have happened [request %s]. Retry with the same "+
				"idempotency key (the Idempotency-Key header or the input's clientMutationId): the gateway then checks "+
				"whether it happened before acting again.", ue.Endpoint, ue.Message, ue.RequestID)
		}
	case errors.As(err, &limit):
		gerr.Extensions["code"] = CodeUpstreamCallLimit
	case errors.Is(err, context.DeadlineExceeded):
		gerr.Message, gerr.Extensions["code"] = "the request ran out of time", CodeUpstreamTimeout
	case gerr.Extensions["code"] == nil:
		// What is left are gqlgen's own input errors (an argument that does not parse).
		gerr.Extensions["code"] = CodeBadUserInput
	}
	return gerr
}

// Recover turns a panic in a resolver into a field error and logs it with its stack.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return codeError(CodeInternal, "internal server error")
	}
}
