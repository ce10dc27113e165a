package workflow

import (
	"errors"
	"fmt"
)

// Code classifies a domain error; the graph presents it as extensions.code.
type Code string

// The domain's error codes.
const (
	CodeInvalidInput Code = "BAD_USER_INPUT"
	CodeNotFound     Code = "NOT_FOUND"
	CodeForbidden    Code = "FORBIDDEN"
	// CodeUnavailable: a dependency failed in a way a retry may mend (the effect check after an
	// unknown outcome, the shared store).
	CodeUnavailable Code = "UPSTREAM_UNAVAILABLE"
	CodeInternal    Code = "INTERNAL_SERVER_ERROR"
	// CodeRateLimited: the actor asked for more than their share (subscriptions).
	CodeRateLimited Code = "RATE_LIMITED"
)

// Error is a refusal or failure of the domain's own, as opposed to WeDa's (*upstream.Error).
type Error struct {
	Code    Code
	Field   string // the input field at fault, for CodeInvalidInput ("taskId", "userIds[2]")
	Message string
	// OutcomeUnknown: an earlier attempt's write may have happened and could not be checked; a
	// retry with the same key checks again, and never writes twice.
	OutcomeUnknown bool
	Err            error
}

func (e *Error) Error() string {
	if e.Field != "" {
		return "input." + e.Field + ": " + e.Message
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func fieldError(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// notFound is also the answer for what exists but the actor may not see: no probing.
func notFound(what, id string) *Error { return errorf(CodeNotFound, "no %s with id %s", what, id) }

func forbidden(format string, args ...any) *Error { return errorf(CodeForbidden, format, args...) }

// IsCode reports whether err is a domain error with code c.
func IsCode(err error, c Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == c
}
