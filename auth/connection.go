package auth

import (
	"errors"
	"net/http"
	"time"
)

// Authenticate names the viewer of a long-lived connection (a WebSocket) from the headers it
// presents — for a browser, the connection_init payload, which stands in for the headers it
// cannot set on a WebSocket — by the same rules as an HTTP request. It also returns when the
// credential expires (zero when it does not), so the connection can end then.
func (a *Authenticator) Authenticate(headers http.Header) (Viewer, time.Time, error) {
	r := &http.Request{Header: headers}
	var v Viewer
	var err error
	if a.cfg.Mode == ModeHeader {
		v, err = a.fromHeaders(r)
	} else {
		v, err = a.fromToken(r)
	}
	if err != nil {
		return Viewer{}, time.Time{}, err
	}
	return v, v.Expires, nil
}

// IsForbidden reports whether an authentication error means "not allowed" (403) rather than
// "not authenticated" (401).
func IsForbidden(err error) bool {
	var f *forbidden
	return errors.As(err, &f)
}
