package gateway_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/auth"
	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

const (
	testSecret   = "a-shared-hs256-secret-of-at-least-32-bytes"
	testIssuer   = "https://idp.example.test"
	testAudience = "weda-gateway"
)

func jwtMode(c *gateway.Config) {
	c.AllowDevHeaders = false
	c.Auth = auth.Config{Mode: auth.ModeJWT, HS256Secret: []byte(testSecret), Issuer: testIssuer, Audience: testAudience,
		ActAsScope: "weda:act-as"}
}

func claims(sub string, extra map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{"sub": sub, "iss": testIssuer, "aud": testAudience,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func sign(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(testSecret))
	require.NoError(t, err)
	return tok
}

// raw sends a request with exactly the given headers and body.
func (h *harness) raw(headers map[string]string, body []byte) (int, gqlResponse) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", bytes.NewReader(body))
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	require.NoError(h.t, json.Unmarshal(b, &out), string(b))
	return resp.StatusCode, out
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func gqlBody(q string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return b
}

// deepQuery nests task → instance → tasks until the operation is depth levels deep.
func deepQuery(depth int) string {
	q := "id"
	for d := 3; d < depth; d += 3 {
		q = "instance { tasks { nodes { " + q + " } } }"
	}
	return "{ viewer { workItems(box: TODO) { nodes { instance { tasks { nodes { " + q + " } } } } } } }"
}

func aliasBomb(n int) string {
	var b strings.Builder
	b.WriteString("{ viewer { ")
	for i := range n {
		fmt.Fprintf(&b, "a%d: id ", i)
	}
	b.WriteString("} }")
	return b.String()
}

// TestAttackTable: each row is refused with the right status and code. Rows decidable from the
// request alone make no upstream call at all; rows that need WeDa's knowledge (whose task, whose
// instance) make reads to decide and never a write.
func TestAttackTable(t *testing.T) {
	h := newHarness(t, jwtMode)
	sunli := h.userID("sunli")
	kongtestOnly := h.startLeave("lihua") // kongtest holds a task in it; sunli has no part
	kongtestTask := h.todoTask(kongtestOnly, "kongtest")
	viewerQ := gqlBody(`{ viewer { id workItems(box: TODO) { totalCount } } }`, nil)
	other := func() string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(sunli, nil)).SignedString([]byte("another-secret-of-at-least-32-bytes!!"))
		require.NoError(t, err)
		return tok
	}
	none := func() string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(sunli, nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
		require.NoError(t, err)
		return tok
	}
	rsaSigned := func() string {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(sunli, nil)).SignedString(key)
		require.NoError(t, err)
		return tok
	}

	rows := []struct {
		name    string
		headers map[string]string
		body    []byte
		status  int
		code    string
		reads   bool // deciding needs WeDa's knowledge: reads allowed, writes never
	}{
		{"no token", nil, viewerQ, 401, "UNAUTHENTICATED", false},
		{"not a bearer", map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))}, viewerQ, 401, "UNAUTHENTICATED", false},
		{"expired", bearer(sign(t, claims(sunli, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}))), viewerQ, 401, "UNAUTHENTICATED", false},
		{"not yet valid", bearer(sign(t, claims(sunli, map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}))), viewerQ, 401, "UNAUTHENTICATED", false},
		{"no exp", bearer(sign(t, jwt.MapClaims{"sub": sunli, "iss": testIssuer, "aud": testAudience})), viewerQ, 401, "UNAUTHENTICATED", false},
		{"wrong signature", bearer(other()), viewerQ, 401, "UNAUTHENTICATED", false},
		{"wrong issuer", bearer(sign(t, claims(sunli, map[string]any{"iss": "https://evil.test"}))), viewerQ, 401, "UNAUTHENTICATED", false},
		{"wrong audience", bearer(sign(t, claims(sunli, map[string]any{"aud": "another-api"}))), viewerQ, 401, "UNAUTHENTICATED", false},
		{"alg none", bearer(none()), viewerQ, 401, "UNAUTHENTICATED", false},
		{"RS256 where HS256 is configured", bearer(rsaSigned()), viewerQ, 401, "UNAUTHENTICATED", false},
		{"no user claim", bearer(sign(t, claims("", nil))), viewerQ, 401, "UNAUTHENTICATED", false},
		{"garbage", bearer("not.a.jwt"), viewerQ, 401, "UNAUTHENTICATED", false},
		{"acting for a user without the scope", map[string]string{"Authorization": "Bearer " + sign(t, claims(sunli, nil)),
			auth.ActAsHeader: h.me}, viewerQ, 403, "FORBIDDEN", false},
		{"acting on another user's task", bearer(sign(t, claims(sunli, nil))),
			gqlBody(`mutation($t: ID!) { completeTask(input: { taskId: $t, action: APPROVE }) { task { id } } }`, map[string]any{"t": kongtestTask}),
			200, "NOT_FOUND", true}, // hidden answers as missing: no probing
		{"reading another user's instance", bearer(sign(t, claims(sunli, nil))),
			gqlBody(`query($id: ID!) { instance(id: $id) { id name } }`, map[string]any{"id": kongtestOnly}), 200, "NOT_FOUND", true},
		{"a forged X-Weda-User-Id under jwt", map[string]string{"Authorization": "Bearer " + sign(t, claims(sunli, nil)), auth.UserIDHeader: h.me},
			gqlBody(`query($id: ID!) { instance(id: $id) { id name } }`, map[string]any{"id": kongtestOnly}), 200, "NOT_FOUND", true},
		{"listing users without the admin role", bearer(sign(t, claims(sunli, nil))), gqlBody(`{ users { totalCount } }`, nil), 200, "FORBIDDEN", false},
		{"listing others' instances", bearer(sign(t, claims(sunli, nil))),
			gqlBody(`query($u: ID) { instances(filter: { startUserId: $u }) { totalCount } }`, map[string]any{"u": h.me}), 200, "FORBIDDEN", false},
		{"depth 20", bearer(sign(t, claims(sunli, nil))), gqlBody(deepQuery(20), nil), 200, "QUERY_TOO_DEEP", false},
		{"an alias bomb", bearer(sign(t, claims(sunli, nil))), gqlBody(aliasBomb(1000), nil), 200, "TOO_MANY_ALIASES", false},
		{"too many root fields", bearer(sign(t, claims(sunli, nil))), gqlBody("{ "+strings.Repeat("__typename ", 50)+"}", nil), 200, "TOO_MANY_ROOT_FIELDS", false},
		{"too complex", bearer(sign(t, claims(sunli, nil))), gqlBody(`{ viewer { workItems(box: TODO, first: 100) { nodes { instance {
			tasks(first: 100) { nodes { assignee { name } } } operations(first: 100) { nodes { operator { name } } } } } } } }`, nil),
			200, "COMPLEXITY_LIMIT_EXCEEDED", false},
		{"a 10 MB body", bearer(sign(t, claims(sunli, nil))), gqlBody(`{ viewer { id } } #`+strings.Repeat("x", 10<<20), nil),
			413, "REQUEST_TOO_LARGE", false},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			h.calls.reset()
			status, res := h.raw(row.headers, row.body)
			assert.Equal(t, row.status, status)
			require.NotEmpty(t, res.Errors)
			assert.Equal(t, row.code, res.Errors[0].Extensions["code"], res.Errors[0].Message)
			assert.NotContains(t, string(res.Data), "lihua提交的", "no data of the instance leaks")
			calls := h.calls.calls()
			if !row.reads {
				assert.Empty(t, calls, "refused before any upstream call")
			}
			for _, c := range calls {
				for _, write := range []string{"CompleteTask", "StartFlow", "StopFlow", "Revoke", "RollBack", "PressTask"} {
					assert.False(t, strings.HasPrefix(c, write+" "), "no upstream write: %s", c)
				}
			}
		})
	}

	t.Run("the token's user, not the header's, is the viewer", func(t *testing.T) {
		status, res := h.raw(map[string]string{"Authorization": "Bearer " + sign(t, claims(sunli, nil)), auth.UserIDHeader: h.me},
			gqlBody(`{ viewer { id } }`, nil))
		assert.Equal(t, 200, status)
		assert.Contains(t, string(res.Data), sunli)
	})
	t.Run("an admin sees every instance", func(t *testing.T) {
		status, res := h.raw(bearer(sign(t, claims(h.userID("administrator"), map[string]any{"roles": []string{"admin"}}))),
			gqlBody(`query($id: ID!) { instance(id: $id) { id name } }`, map[string]any{"id": kongtestOnly}))
		assert.Equal(t, 200, status)
		assert.Empty(t, res.Errors)
		assert.Contains(t, string(res.Data), "lihua提交的请假申请")
	})
	t.Run("a participant sees the instance", func(t *testing.T) {
		_, res := h.raw(bearer(sign(t, claims(h.me, nil))), gqlBody(`query($id: ID!) { instance(id: $id) { id } }`, map[string]any{"id": kongtestOnly}))
		assert.Empty(t, res.Errors)
	})
	t.Run("a trusted service acts for a user, and it is logged", func(t *testing.T) {
		service := sign(t, claims("svc-mobile-bff", map[string]any{"scope": "read weda:act-as"}))
		_, res := h.raw(map[string]string{"Authorization": "Bearer " + service, auth.ActAsHeader: h.me}, gqlBody(`{ viewer { id } }`, nil))
		assert.Empty(t, res.Errors)
		assert.Contains(t, string(res.Data), h.me)
		assert.Contains(t, h.logs.String(), `"msg":"service acting for a user","service":"svc-mobile-bff","user":"`+h.me+`"`)
	})
	t.Run("a numeric user claim keeps every digit", func(t *testing.T) {
		var c jwt.MapClaims
		require.NoError(t, json.Unmarshal([]byte(fmt.Sprintf(`{"sub":"x","uid":%s,"iss":%q,"aud":%q,"exp":%d}`, h.me, testIssuer, testAudience,
			time.Now().Add(time.Hour).Unix())), &c))
		c["uid"] = json.Number(h.me)
		h2 := newHarness(t, jwtMode, func(cfg *gateway.Config) { cfg.Auth.UserClaim = "uid" })
		_, res := h2.raw(bearer(sign(t, c)), gqlBody(`{ viewer { id } }`, nil))
		assert.Empty(t, res.Errors)
		assert.Contains(t, string(res.Data), h.me)
	})
}

func TestRateLimitBurst(t *testing.T) {
	h := newHarness(t, jwtMode, func(c *gateway.Config) { c.Limits.RateRequests, c.Limits.RateWindow = 5, time.Minute })
	tok := bearer(sign(t, claims(h.me, nil)))
	body := gqlBody(`{ viewer { id } }`, nil)
	for range 5 {
		status, _ := h.raw(tok, body)
		require.Equal(t, 200, status)
	}
	h.calls.reset()
	status, res := h.raw(tok, body)
	assert.Equal(t, 429, status)
	assert.Equal(t, "RATE_LIMITED", res.Errors[0].Extensions["code"])
	assert.Empty(t, h.calls.calls())
	// Another user has a budget of their own.
	status, _ = h.raw(bearer(sign(t, claims(h.userID("sunli"), nil))), body)
	assert.Equal(t, 200, status)
}

// jwksServer publishes one RSA key as a JWK Set.
func jwksServer(t *testing.T, key *rsa.PublicKey, kid string) string {
	jwk := map[string]any{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwk}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestJWKSAndAlgorithmConfusion(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	url := jwksServer(t, &key.PublicKey, "k1")
	h := newHarness(t, func(c *gateway.Config) {
		c.AllowDevHeaders = false
		c.Auth = auth.Config{Mode: auth.ModeJWT, JWKSURL: url, Audience: testAudience}
	})
	rs := func(kid string, k *rsa.PrivateKey) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(h.me, nil))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(k)
		require.NoError(t, err)
		return s
	}
	status, res := h.raw(bearer(rs("k1", key)), gqlBody(`{ viewer { id } }`, nil))
	assert.Equal(t, 200, status)
	assert.Contains(t, string(res.Data), h.me)

	// The public key passed off as an HS256 secret (algorithm confusion).
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	confused := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(h.me, nil))
	confused.Header["kid"] = "k1"
	forged, err := confused.SignedString(pemKey)
	require.NoError(t, err)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for name, tok := range map[string]string{"RS256 key as an HS256 secret": forged, "unknown kid": rs("k2", key),
		"another key under a known kid": rs("k1", other)} {
		h.calls.reset()
		status, res := h.raw(bearer(tok), gqlBody(`{ viewer { id } }`, nil))
		assert.Equal(t, 401, status, name)
		assert.Equal(t, "UNAUTHENTICATED", res.Errors[0].Extensions["code"], name)
		assert.Empty(t, h.calls.calls(), name)
	}
}

// TestNoSecretInLogs runs a full request cycle with every kind of secret configured, through
// success and failure, and checks that none of them reaches the log.
func TestNoSecretInLogs(t *testing.T) {
	const secretID, secretKey, apiCredential = "AKIDsandboxLogTest", "wedaSecretKeyThatMustNotLeak", ""
	h := newHarnessWith(t, sandbox.Options{SecretID: secretID, SecretKey: secretKey}, jwtMode)
	tok := sign(t, claims(h.me, nil))
	h.raw(bearer(tok), gqlBody(`{ viewer { workItems(box: TODO, first: 2) { nodes { instance { tasks { nodes { assignee { name } } } } } } } }`, nil))
	h.raw(bearer(tok+"tampered"), gqlBody(`{ viewer { id } }`, nil))
	h.raw(bearer(tok), gqlBody(`mutation { pressInstance(input: { instanceId: "1" }) { instance { id } } }`, nil))
	h.sb.ExpireTokens() // the gateway's upstream token: refreshed with the secret pair
	h.raw(bearer(tok), gqlBody(`{ flows { name } }`, nil))
	h.sb.SetFailureRate(1)
	h.raw(bearer(tok), gqlBody(`{ flows { name } }`, nil))

	logs := h.logs.String()
	require.Contains(t, logs, `"path":"/graphql"`, "the requests were logged")
	for _, secret := range []string{secretKey, testSecret, tok, "Bearer ", "Authorization",
		base64.StdEncoding.EncodeToString([]byte(secretID + ":" + secretKey))} {
		assert.NotContains(t, logs, secret)
	}
	_ = apiCredential
}
