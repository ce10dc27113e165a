package upstream

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorded is one request the fake upstream saw.
type recorded struct {
	Method, Path, RawQuery, Body, Auth, RequestID string
}

// fakeUpstream is an httptest server whose answers each test scripts per path suffix.
type fakeUpstream struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	handlers map[string]http.HandlerFunc // by last path segment ("CompleteTask", "sys_user", ...)
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{handlers: map[string]http.HandlerFunc{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(body),
			r.Header.Get("Authorization"), r.Header.Get("X-Request-Id")})
		h := f.handlers[lastSegment(r.URL.Path)]
		f.mu.Unlock()
		if h == nil {
			http.Error(w, "no handler for "+r.URL.Path, http.StatusNotImplemented)
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func lastSegment(p string) string {
	p = p[strings.LastIndex(p, "/")+1:]
	if i := strings.Index(p, "("); i >= 0 {
		p = p[:i]
	}
	return p
}

func (f *fakeUpstream) handle(name string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[name] = h
}

func (f *fakeUpstream) calls(name string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.requests {
		if lastSegment(r.Path) == name {
			out = append(out, r)
		}
	}
	return out
}

// answer writes a fixed status and body.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func vendorExample(t testing.TB, n string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vendor", n+".json"))
	require.NoError(t, err)
	return string(b)
}

// hang makes endpoint answer nothing until the caller gives up or the test ends.
func (f *fakeUpstream) hang(t *testing.T, endpoint string) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.handle(endpoint, func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
}

// testClient returns a client for f with fast retries and a static token.
func testClient(t *testing.T, f *fakeUpstream, mutate ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: f.URL, Tokens: StaticToken("test-token"), Timeout: 2 * time.Second,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 20 * time.Millisecond}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

func ms(v int64) time.Time { return time.UnixMilli(v) }

func cst(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05.000-0700", s)
	if err != nil {
		panic(err)
	}
	return t
}
