package upstream

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSecretID  = "AKIDsecretid"
	testSecretKey = "very-secret-key"
)

// tokenServer issues numbered tokens for the test credentials and serves GetFlowInstances,
// accepting only the tokens listed in valid.
type tokenServer struct {
	*fakeUpstream
	issued atomic.Int32
	mu     sync.Mutex
	valid  map[string]bool
	ttl    int
	delay  time.Duration
}

// honours reports whether r carries a token the server issued and still takes.
func (ts *tokenServer) honours(r *http.Request) bool {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.valid[tok]
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{fakeUpstream: newFakeUpstream(t), valid: map[string]bool{}, ttl: 7200}
	ts.handle("clientCredential", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(ts.delay)
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testSecretID+":"+testSecretKey))
		if r.Header.Get("Authorization") != want {
			answer(401, `{"code":"INVALID_CREDENTIALS","message":"bad secret"}`)(w, r)
			return
		}
		n := ts.issued.Add(1)
		tok := fmt.Sprintf("tok-%d", n)
		ts.mu.Lock()
		ts.valid[tok] = true
		ts.mu.Unlock()
		answer(200, fmt.Sprintf(`{"token_type":"Bearer","access_token":%q,"expires_in":%d}`, tok, ts.ttl))(w, r)
	})
	ts.handle("GetFlowInstances", func(w http.ResponseWriter, r *http.Request) {
		if !ts.honours(r) {
			answer(401, `{"Response":{"RequestId":"auth","Error":{"Code":"ACCESS_TOKEN_EXPIRED","Message":"expired"}}}`)(w, r)
			return
		}
		answer(200, `{"Response":{"Data":{"Result":[],"TotalCount":0}}}`)(w, r)
	})
	return ts
}

func (ts *tokenServer) revokeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.valid = map[string]bool{}
}

func (ts *tokenServer) client(t *testing.T, id, key string) (*Client, *ClientCredentials) {
	src := NewClientCredentials(ts.URL, id, key, ts.Client())
	c, err := New(Config{BaseURL: ts.URL, Tokens: src, RetryBaseDelay: time.Millisecond})
	require.NoError(t, err)
	return c, src
}

func list(c *Client) error {
	_, err := c.GetFlowInstances(context.Background(), &FlowInstancesRequest{})
	return err
}

func TestTokenFetchedOnceAndCached(t *testing.T) {
	ts := newTokenServer(t)
	c, _ := ts.client(t, testSecretID, testSecretKey)
	for range 5 {
		require.NoError(t, list(c))
	}
	assert.EqualValues(t, 1, ts.issued.Load())
	tokenCall := ts.calls("clientCredential")[0]
	assert.JSONEq(t, `{"grant_type":"client_credentials"}`, tokenCall.Body)
	assert.Equal(t, TokenPath, tokenCall.Path)
	for _, r := range ts.calls("GetFlowInstances") {
		assert.Equal(t, "Bearer tok-1", r.Auth)
	}
}

func TestTokenOneFetchFor50ConcurrentCallers(t *testing.T) {
	ts := newTokenServer(t)
	ts.delay = 50 * time.Millisecond
	c, _ := ts.client(t, testSecretID, testSecretKey)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() { errs <- list(c) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, ts.issued.Load())
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t)
	ts.ttl = 100
	c, src := ts.client(t, testSecretID, testSecretKey)
	now := time.Now()
	src.now = func() time.Time { return now }
	require.NoError(t, list(c))
	now = now.Add(85 * time.Second) // inside the lifetime, before the refresh margin
	require.NoError(t, list(c))
	assert.EqualValues(t, 1, ts.issued.Load())
	now = now.Add(10 * time.Second) // within the last tenth of the lifetime: refresh early
	require.NoError(t, list(c))
	assert.EqualValues(t, 2, ts.issued.Load())
}

func TestTokenRejectedRefreshesAndRetriesOnce(t *testing.T) {
	ts := newTokenServer(t)
	c, _ := ts.client(t, testSecretID, testSecretKey)
	require.NoError(t, list(c))
	ts.revokeAll() // the upstream forgets tok-1, as after an expiry
	require.NoError(t, list(c))
	assert.EqualValues(t, 2, ts.issued.Load())
	calls := ts.calls("GetFlowInstances")
	require.Len(t, calls, 3)
	assert.Equal(t, "Bearer tok-1", calls[1].Auth)
	assert.Equal(t, "Bearer tok-2", calls[2].Auth)
	assert.Equal(t, calls[1].Body, calls[2].Body, "the retry resends the same body")
}

func TestTokenRejectedTwiceIsAnAuthError(t *testing.T) {
	ts := newTokenServer(t)
	ts.handle("StopFlow", answer(401, `{"Response":{"RequestId":"a2","Error":{"Code":"ACCESS_TOKEN_EXPIRED","Message":"expired"}}}`))
	c, _ := ts.client(t, testSecretID, testSecretKey)
	err := c.StopFlow(context.Background(), &StopFlowRequest{InstanceID: "1"})
	var ue *Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, KindAuth, ue.Kind)
	assert.Equal(t, "ACCESS_TOKEN_EXPIRED", ue.Code)
	assert.Len(t, ts.calls("StopFlow"), 2, "one retry after the refresh, even for a write, and no more")
	assert.EqualValues(t, 2, ts.issued.Load())
}

func TestTokenBadCredentials(t *testing.T) {
	ts := newTokenServer(t)
	c, _ := ts.client(t, testSecretID, "wrong-"+testSecretKey)
	err := list(c)
	var ue *Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, KindAuth, ue.Kind)
	assert.Equal(t, "token", ue.Endpoint)
	assert.Equal(t, "INVALID_CREDENTIALS", ue.Code)
	assert.Empty(t, ts.calls("GetFlowInstances"), "no call goes out without a token")
	assert.NotContains(t, err.Error(), testSecretKey)
	assert.NotContains(t, err.Error(), testSecretID)
}

func TestTokenAnswerWithoutToken(t *testing.T) {
	f := newFakeUpstream(t)
	f.handle("clientCredential", answer(200, `{"token_type":"Bearer"}`))
	src := NewClientCredentials(f.URL, testSecretID, testSecretKey, f.Client())
	_, err := src.Token(context.Background())
	require.ErrorIs(t, err, ErrBadResponse)
}

func TestTokenWaitHonoursCallerCancellation(t *testing.T) {
	ts := newTokenServer(t)
	ts.delay = 300 * time.Millisecond
	src := NewClientCredentials(ts.URL, testSecretID, testSecretKey, ts.Client())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := src.Token(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// The shared fetch went on for the others and is cached for the next caller.
	tok, err := src.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok)
}

func TestSettingsFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	s, err := SettingsFromEnv(env(map[string]string{}))
	require.NoError(t, err)
	assert.False(t, s.Configured())
	_, err = s.Origin()
	require.ErrorIs(t, err, ErrNotConfigured)

	s, err = SettingsFromEnv(env(map[string]string{"WEDA_ENV_ID": "lowcode-abc", "WEDA_SECRET_ID": "i", "WEDA_SECRET_KEY": "k"}))
	require.NoError(t, err)
	origin, err := s.Origin()
	require.NoError(t, err)
	assert.Equal(t, "https://lowcode-abc.ap-shanghai.tcb-api.tencentcloudapi.com", origin)
	assert.Equal(t, EnvProd, s.EnvType)
	tokens, err := s.Tokens(origin, nil)
	require.NoError(t, err)
	assert.IsType(t, &ClientCredentials{}, tokens)

	s, err = SettingsFromEnv(env(map[string]string{"WEDA_BASE_URL": "http://127.0.0.1:9/", "WEDA_API_KEY": "key", "WEDA_ENV_TYPE": "pre", "WEDA_TIMEOUT": "3s"}))
	require.NoError(t, err)
	c, err := NewFromSettings(s, nil)
	require.NoError(t, err)
	assert.Equal(t, EnvPre, c.EnvType())
	assert.Equal(t, 3*time.Second, c.timeout)

	for _, bad := range []map[string]string{
		{"WEDA_ENV_TYPE": "staging"},
		{"WEDA_TIMEOUT": "soon"},
	} {
		_, err := SettingsFromEnv(env(bad))
		assert.Error(t, err)
	}
	s, _ = SettingsFromEnv(env(map[string]string{"WEDA_BASE_URL": "ftp://x"}))
	_, err = s.Origin()
	assert.Error(t, err)
	s, _ = SettingsFromEnv(env(map[string]string{"WEDA_ENV_ID": "e"}))
	_, err = NewFromSettings(s, nil)
	assert.ErrorContains(t, err, "WEDA_SECRET_ID")
}

func TestTokenRejectedOnAGetRefreshesToo(t *testing.T) {
	ts := newTokenServer(t)
	ts.handle("sys_user", func(w http.ResponseWriter, r *http.Request) {
		if !ts.honours(r) {
			answer(401, `{"code":"ACCESS_TOKEN_EXPIRED","message":"expired"}`)(w, r)
			return
		}
		answer(200, `{"value":[]}`)(w, r)
	})
	c, _ := ts.client(t, testSecretID, testSecretKey)
	_, err := c.ListUsers(context.Background(), UserQuery{})
	require.NoError(t, err)
	ts.revokeAll()
	_, err = c.ListUsers(context.Background(), UserQuery{})
	require.NoError(t, err, "the OData API is read with GET, which has no body to rewind")
	assert.Len(t, ts.calls("sys_user"), 3)
}
