package auth

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secret = "a-shared-hs256-secret-of-at-least-32-bytes"

func serveWith(t *testing.T, cfg Config, anonymous func(*http.Request) bool) func(headers map[string]string) (int, string) {
	t.Helper()
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(a.Close)
	h := a.MiddlewareAllowing(anonymous)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := FromContext(r.Context())
		_, _ = io.WriteString(w, "viewer="+v.UserID)
	}))
	return func(headers map[string]string) (int, string) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	do := serveWith(t, Config{Mode: ModeJWT, HS256Secret: []byte(secret)}, nil)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "42", "exp": time.Now().Add(time.Hour).Unix()}).
		SignedString([]byte(secret))
	require.NoError(t, err)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		status, body := do(map[string]string{"Authorization": scheme + " " + tok})
		assert.Equal(t, http.StatusOK, status, scheme)
		assert.Equal(t, "viewer=42", body, scheme)
	}
	for _, h := range []string{"Basic " + tok, "Bearer", "Bearer ", tok} {
		status, _ := do(map[string]string{"Authorization": h})
		assert.Equal(t, http.StatusUnauthorized, status, h)
	}
}

func TestAnonymousOnlyInHeaderModeAndOnlyWhenAllowed(t *testing.T) {
	yes := func(*http.Request) bool { return true }
	no := func(*http.Request) bool { return false }

	status, body := serveWith(t, Config{Mode: ModeHeader}, yes)(nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "viewer=", body, "through, with no viewer")
	status, body = serveWith(t, Config{Mode: ModeHeader}, yes)(map[string]string{UserIDHeader: "7"})
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "viewer=7", body, "a named user is still the viewer")
	status, _ = serveWith(t, Config{Mode: ModeHeader}, no)(nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = serveWith(t, Config{Mode: ModeJWT, HS256Secret: []byte(secret)}, yes)(nil)
	assert.Equal(t, http.StatusUnauthorized, status, "jwt mode always wants its token")
}
