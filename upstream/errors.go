package upstream

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an upstream failure so callers can branch on what to do about it, without
// matching upstream code strings themselves.
type Kind int

// The kinds of upstream failure.
const (
	KindUnknown         Kind = iota // an upstream error code with no better class
	KindNotFound                    // ResourceNotFound and friends
	KindInvalidInput                // InvalidParameter, InvalidParameterValue, MissingParameter
	KindAuth                        // 401, bad or expired credentials, PERMISSION_DENIED
	KindRateLimited                 // 429, RequestLimitExceeded
	KindUnavailable                 // transport failure, 5xx, InternalError
	KindTimeout                     // the per-call deadline passed
	KindBadResponse                 // the answer could not be read as the documented shape
	KindFailedOperation             // FailedOperation, LimitExceeded: the upstream refused the move
)

var kindNames = [...]string{"unknown", "not found", "invalid input", "auth", "rate limited",
	"unavailable", "timeout", "bad response", "failed operation"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Sentinels for errors.Is: errors.Is(err, upstream.ErrNotFound) holds for any *Error of that kind.
var (
	ErrNotFound        = errors.New("upstream: not found")
	ErrInvalidInput    = errors.New("upstream: invalid input")
	ErrAuth            = errors.New("upstream: authentication failed")
	ErrRateLimited     = errors.New("upstream: rate limited")
	ErrUnavailable     = errors.New("upstream: unavailable")
	ErrTimeout         = errors.New("upstream: timeout")
	ErrBadResponse     = errors.New("upstream: bad response")
	ErrFailedOperation = errors.New("upstream: operation refused")
)

var kindSentinels = map[Kind]error{
	KindNotFound: ErrNotFound, KindInvalidInput: ErrInvalidInput, KindAuth: ErrAuth,
	KindRateLimited: ErrRateLimited, KindUnavailable: ErrUnavailable, KindTimeout: ErrTimeout,
	KindBadResponse: ErrBadResponse, KindFailedOperation: ErrFailedOperation,
}

// Error is the one error type the client returns for a failed call. It never carries tokens,
// secrets or request bodies.
type Error struct {
	Endpoint   string // e.g. "CompleteTask" or "sys_user"
	HTTPStatus int    // 0 when no HTTP answer arrived
	Code       string // the upstream's Error.Code, e.g. "ResourceNotFound"
	Message    string // the upstream's Error.Message, or what went wrong reading the answer
	RequestID  string // the upstream's RequestId, else the X-Request-Id we sent
	Kind       Kind
	// OutcomeUnknown is set on a write whose request was sent but whose answer never came:
	// the action may have happened.
	OutcomeUnknown bool
	Err            error // the underlying cause (transport, decoding), if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "weda %s: %s", e.Endpoint, e.Kind)
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", e.RequestID)
	}
	if e.OutcomeUnknown {
		b.WriteString(" (the request was sent; its outcome is unknown)")
	}
	return b.String()
}

// Unwrap exposes the cause, so errors.Is(err, context.Canceled) keeps working.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel for e's kind.
func (e *Error) Is(target error) bool {
	s, ok := kindSentinels[e.Kind]
	return ok && s == target
}

// Retryable reports whether the same read may be sent again.
func (e *Error) Retryable() bool {
	return e.Kind == KindUnavailable || e.Kind == KindRateLimited || e.Kind == KindTimeout
}

// kindForCode maps the upstream's code strings (Tencent Cloud style, the auth service's, and the
// OData service's) to a Kind. Prefix matching covers sub-codes like "InvalidParameter.Foo".
func kindForCode(code string, status int) Kind {
	switch {
	case code == "":
	case strings.HasPrefix(code, "ResourceNotFound"), strings.EqualFold(code, "NOT_FOUND"),
		strings.EqualFold(code, "ResourceNotExist"):
		return KindNotFound
	case strings.HasPrefix(code, "InvalidParameter"), strings.HasPrefix(code, "MissingParameter"),
		strings.HasPrefix(code, "UnknownParameter"), strings.EqualFold(code, "INVALID_PARAM"):
		return KindInvalidInput
	case strings.HasPrefix(code, "AuthFailure"), code == "INVALID_ACCESS_TOKEN",
		code == "ACCESS_TOKEN_EXPIRED", code == "PERMISSION_DENIED", code == "INVALID_CREDENTIALS",
		strings.HasPrefix(code, "UnauthorizedOperation"):
		return KindAuth
	case strings.HasPrefix(code, "RequestLimitExceeded"):
		return KindRateLimited
	case strings.HasPrefix(code, "FailedOperation"), strings.HasPrefix(code, "OperationDenied"),
		strings.HasPrefix(code, "LimitExceeded"): // a quota (e.g. presses per day), not a rate
		return KindFailedOperation
	case strings.HasPrefix(code, "InternalError"), strings.HasPrefix(code, "ResourceUnavailable"):
		return KindUnavailable
	}
	switch {
	case status == 401 || status == 403:
		return KindAuth
	case status == 404:
		return KindNotFound
	case status == 429:
		return KindRateLimited
	case status >= 500:
		return KindUnavailable
	case status == 400:
		return KindInvalidInput
	}
	return KindUnknown
}
