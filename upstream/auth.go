package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// TokenPath is where WeDa issues access tokens for client credentials.
const TokenPath = "/auth/v1/token/clientCredential"

// TokenSource yields the bearer token for upstream calls.
type TokenSource interface {
	// Token returns a valid token, fetching one if needed.
	Token(ctx context.Context) (string, error)
	// Invalidate drops token if it is still the cached one, so the next Token fetches anew.
	Invalidate(token string)
}

// StaticToken is a long-lived server API key, sent as the bearer token as it is.
type StaticToken string

// Token implements TokenSource.
func (s StaticToken) Token(context.Context) (string, error) { return string(s), nil }

// Invalidate implements TokenSource; an API key cannot be refreshed.
func (StaticToken) Invalidate(string) {}

// ClientCredentials exchanges a SecretId/SecretKey pair for access tokens, caches each until
// shortly before it expires, and lets concurrent callers share one fetch.
//
// golang.org/x/oauth2/clientcredentials is not used: it posts a form body, while WeDa documents
// a JSON body with Basic auth.
type ClientCredentials struct {
	tokenURL  string
	secretID  string
	secretKey string
	http      *http.Client
	now       func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
	group   singleflight.Group
}

// NewClientCredentials returns a token source for baseURL's token endpoint.
func NewClientCredentials(baseURL, secretID, secretKey string, hc *http.Client) *ClientCredentials {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &ClientCredentials{
		tokenURL:  strings.TrimRight(baseURL, "/") + TokenPath,
		secretID:  secretID,
		secretKey: secretKey,
		http:      hc,
		now:       time.Now,
	}
}

// Token implements TokenSource.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok, exp := c.token, c.expires
	c.mu.Unlock()
	if tok != "" && c.now().Before(exp) {
		return tok, nil
	}
	// The fetch runs detached from any one caller's cancellation: the callers that share it
	// must not all fail because the first of them gave up.
	ch := c.group.DoChan("token", func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		return c.fetch(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Invalidate implements TokenSource.
func (c *ClientCredentials) Invalidate(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token = ""
	}
}

type tokenAnswer struct {
	TokenType   string `json:"token_type"`
	AccessToken string `json:"access_token"`
	ExpiresIn   Int    `json:"expires_in"`
	Code        string `json:"code"`
	Message     string `json:"message"`
}

func (c *ClientCredentials) fetch(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL,
		strings.NewReader(`{"grant_type":"client_credentials"}`))
	if err != nil {
		return "", &Error{Endpoint: "token", Kind: KindAuth, Message: "building token request", Err: err}
	}
	req.SetBasicAuth(c.secretID, c.secretKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", newRequestID())
	resp, err := c.http.Do(req)
	if err != nil {
		return "", transportError("token", req.Header.Get("X-Request-Id"), err, false)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", &Error{Endpoint: "token", HTTPStatus: resp.StatusCode, Kind: KindUnavailable,
			Message: "reading token answer", Err: err}
	}
	var ans tokenAnswer
	decodeErr := json.Unmarshal(body, &ans)
	if resp.StatusCode != http.StatusOK || decodeErr != nil || ans.AccessToken == "" {
		e := &Error{Endpoint: "token", HTTPStatus: resp.StatusCode, Code: ans.Code, Message: ans.Message,
			RequestID: req.Header.Get("X-Request-Id")}
		if env, ok := decodeEnvelopeError(body); ok { // Tencent-style error envelope
			e.Code, e.Message, e.RequestID = env.Code, env.Message, firstNonEmpty(env.RequestID, e.RequestID)
		}
		e.Kind = kindForCode(e.Code, resp.StatusCode)
		if resp.StatusCode == http.StatusOK {
			e.Kind, e.Message = KindBadResponse, "token answer has no access_token"
		}
		if e.Kind == KindUnknown || e.Kind == KindInvalidInput || e.Kind == KindNotFound {
			e.Kind = KindAuth // whatever the token endpoint refuses, the caller cannot authenticate
		}
		return "", e
	}
	ttl := time.Duration(ans.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	// Refresh early: a tenth of the lifetime, at most a minute, so no call goes out with a token
	// that expires on the way.
	margin := min(ttl/10, time.Minute)
	c.mu.Lock()
	c.token, c.expires = ans.AccessToken, c.now().Add(ttl-margin)
	c.mu.Unlock()
	return ans.AccessToken, nil
}

// bearerTransport adds the bearer token to each request and, when the upstream answers 401,
// fetches a fresh token and sends the request exactly once more.
type bearerTransport struct {
	base   http.RoundTripper
	tokens TokenSource
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.tokens.Token(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(withBearer(req, tok))
	hasBody := req.Body != nil && req.Body != http.NoBody
	if err != nil || resp.StatusCode != http.StatusUnauthorized || (hasBody && req.GetBody == nil) {
		return resp, err
	}
	// Drain so the connection is reused, then retry once with a fresh token.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	t.tokens.Invalidate(tok)
	if tok, err = t.tokens.Token(req.Context()); err != nil {
		return nil, err
	}
	retry := withBearer(req, tok)
	if hasBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("rewinding request body: %w", err)
		}
		retry.Body = body
	}
	return t.base.RoundTrip(retry)
}

func withBearer(req *http.Request, tok string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
