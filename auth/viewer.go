// Package auth decides who the caller is: from a verified JWT (mode "jwt"), or, for development,
// from the X-Weda-User-Id header (mode "header"). Refusals are answered here, before any upstream
// call, as GraphQL errors with HTTP 401 or 403.
package auth

import (
	"context"
	"time"
)

// Header names.
const (
	UserIDHeader      = "X-Weda-User-Id"     // header mode: the viewer's id
	UserSourceHeader  = "X-Weda-User-Source" // header mode: the viewer's source code, default 4
	RolesHeader       = "X-Weda-Roles"       // header mode: comma-separated roles
	ActAsHeader       = "X-Weda-Act-As"      // jwt mode: the user a trusted service acts for
	ActAsSourceHeader = "X-Weda-Act-As-Source"
)

// Viewer is the user a request acts as.
type Viewer struct {
	UserID string
	Source int  // the workflow API's UserInfo.Type: 1 tcb, 2 WeCom, 4 internal
	Admin  bool // may see every instance and list users
	// Service is the subject of the trusted service acting for UserID, if one is.
	Service string
	// Expires is when the credential that named the viewer expires (a token's exp); zero when it
	// does not. A long-lived stream ends then.
	Expires time.Time
}

type viewerKey struct{}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// FromContext returns the request's viewer, if it has one.
func FromContext(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(viewerKey{}).(Viewer)
	return v, ok && v.UserID != ""
}
