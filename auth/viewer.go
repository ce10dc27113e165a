// Package auth decides who the caller is. Until client authentication lands, the only source is
// the development header X-Weda-User-Id, which the gateway accepts only with the sandbox or an
// explicit operator opt-in.
package auth

import (
	"context"
	"net/http"
	"strconv"
	"strings"
)

// Header names of the development viewer.
const (
	UserIDHeader     = "X-Weda-User-Id"
	UserSourceHeader = "X-Weda-User-Source"
)

// Viewer is the user a request acts as.
type Viewer struct {
	UserID string
	Source int // the workflow API's UserInfo.Type: 1 tcb, 2 WeCom, 4 internal
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

// DevHeaders takes the viewer from X-Weda-User-Id (and X-Weda-User-Source, default 4). It trusts
// the client entirely: install it only for the sandbox or where the operator opted in.
func DevHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimSpace(r.Header.Get(UserIDHeader))
		if id != "" && len(id) <= 64 {
			source := 4
			if s, err := strconv.Atoi(r.Header.Get(UserSourceHeader)); err == nil && s > 0 {
				source = s
			}
			r = r.WithContext(WithViewer(r.Context(), Viewer{UserID: id, Source: source}))
		}
		next.ServeHTTP(w, r)
	})
}
