package auth

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Authenticate names the viewer of a long-lived connection (a WebSocket) from the headers it
// presents — for a browser, the connection_init payload, which stands in for the headers it
// cannot set on a WebSocket — by the same rules as an HTTP request. It also returns when the
// credential expires (zero when it does not), so the connection can end then.
func (a *Authenticator) Authenticate(headers http.Header) (Viewer, time.Time, error) {
	r := &http.Request{Header: headers}
	if a.cfg.Mode == ModeHeader {
		v, err := a.fromHeaders(r)
		return v, time.Time{}, err
	}
	v, err := a.fromToken(r)
	if err != nil {
		return Viewer{}, time.Time{}, err
	}
	_, raw, _ := strings.Cut(strings.TrimSpace(headers.Get("Authorization")), " ")
	claims := jwt.MapClaims{}
	if _, err := a.parser.ParseWithClaims(strings.TrimSpace(raw), claims, a.keyfunc); err != nil {
		return Viewer{}, time.Time{}, errors.New(tokenProblem(err))
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return v, time.Time{}, nil
	}
	return v, exp.Time, nil
}

// IsForbidden reports whether an authentication error means "not allowed" (403) rather than
// "not authenticated" (401).
func IsForbidden(err error) bool {
	var f *forbidden
	return errors.As(err, &f)
}
