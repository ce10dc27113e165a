package sandbox

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The demo credentials and the demo users' login names.
const (
	DefaultSecretID  = "sandbox"
	DefaultSecretKey = "sandbox"
	// DemoUser is the login name of the user the README and GraphiQL start with.
	DemoUser = "kongtest"
	// Colleague is the login name of the README's second demo user: the finance clerk who handles
	// (approves) DemoUser's expense claims, so acting as them shows a colleague's approval.
	Colleague = "liuyang"
)

// Options configure a sandbox. The zero value is a working sandbox with demo credentials.
type Options struct {
	SecretID  string        // default DefaultSecretID
	SecretKey string        // default DefaultSecretKey
	APIKey    string        // if set, also accepted as a bearer token
	TokenTTL  time.Duration // default 2h
	Seed      uint64        // seed data and injected failures derive from it; default 1
	Clock     func() time.Time
}

// Server is the sandbox's HTTP handler. It is safe for concurrent use.
type Server struct {
	opts Options

	engMu sync.RWMutex // guards the engine pointer (Reset swaps it)
	eng   *engine

	mu          sync.Mutex
	tokens      map[string]time.Time
	latency     map[string][2]time.Duration // endpoint ("" for all) → fixed, jitter
	failureRate float64
	rng         *rand.Rand
	calls       map[string]int64

	trace tracer // see introspect.go
}

// New returns a sandbox seeded with the demo organisation.
func New(opts Options) *Server {
	if opts.SecretID == "" && opts.SecretKey == "" {
		opts.SecretID, opts.SecretKey = DefaultSecretID, DefaultSecretKey
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 2 * time.Hour
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	s := &Server{opts: opts}
	s.Reset()
	return s
}

// Reset restores the seed data, forgets tokens, counts and knobs.
func (s *Server) Reset() {
	e := newEngine(s.opts.Clock)
	e.seed(s.opts.Seed)
	s.engMu.Lock()
	s.eng = e
	s.engMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
	s.latency = map[string][2]time.Duration{}
	s.failureRate = 0
	s.rng = rand.New(rand.NewPCG(s.opts.Seed, 0xfa11))
	s.calls = map[string]int64{}
}

func (s *Server) engine() *engine {
	s.engMu.RLock()
	defer s.engMu.RUnlock()
	return s.eng
}

// SetLatency delays answers of endpoint ("" for every endpoint) by fixed plus up to jitter.
// The delay comes after the request has been carried out, as with a slow network: a caller that
// gives up on a write does not undo it.
func (s *Server) SetLatency(endpoint string, fixed, jitter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[endpoint] = [2]time.Duration{fixed, jitter}
}

// SetFailureRate makes that share of calls (0 to 1) fail with HTTP 503 before they are carried out.
func (s *Server) SetFailureRate(rate float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failureRate = rate
}

// Calls reports how many requests reached endpoint ("StartFlow", "sys_user", "token", ...).
func (s *Server) Calls(endpoint string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// CallCounts returns a copy of the per-endpoint request counts.
func (s *Server) CallCounts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// ResetCounts zeroes the request counts.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int64{}
}

// ExpireTokens makes every issued token expired, as after their lifetime.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.tokens {
		s.tokens[t] = time.Time{}
	}
}

// SaveFlow simulates saving a flow in the designer: as in WeDa, its FlowCode changes and its
// version goes up, while running instances keep the code they started with.
func (s *Server) SaveFlow(processKey string) (flowCode string, ok bool) {
	e := s.engine()
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.flowByKey[processKey]
	if f == nil {
		return "", false
	}
	defer e.boxes.invalidate()
	f.FlowCode = e.nextID()
	if v, err := strconv.ParseFloat(f.Version, 64); err == nil {
		f.Version = strconv.FormatFloat(v+1, 'f', 1, 64)
	}
	return f.FlowCode, true
}

// UserID returns the id of the seeded user with that login name, or "".
func (s *Server) UserID(name string) string {
	e := s.engine()
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, u := range e.users {
		if u.Name == name {
			return u.ID
		}
	}
	return ""
}

func (s *Server) count(endpoint string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[endpoint]++
}

func (s *Server) injectFailure() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failureRate > 0 && s.rng.Float64() < s.failureRate
}

func (s *Server) delay(ctx context.Context, endpoint string) {
	s.mu.Lock()
	l, ok := s.latency[endpoint]
	if !ok {
		l = s.latency[""]
	}
	d := l[0]
	if l[1] > 0 {
		d += time.Duration(s.rng.Int64N(int64(l[1])))
	}
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Running is a sandbox listening on a real port.
type Running struct {
	*Server
	URL string
	srv *http.Server
}

// Start serves a new sandbox on addr ("127.0.0.1:0" picks a free loopback port).
func Start(addr string, opts Options, log *slog.Logger) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	sb := New(opts)
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	go func() { _ = srv.Serve(ln) }()
	return &Running{Server: sb, URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// Close stops the sandbox, letting in-flight requests finish until ctx ends.
func (r *Running) Close(ctx context.Context) error {
	if err := r.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// BasicAuth returns the Authorization header value for the demo credentials; for curl users.
func BasicAuth(id, key string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+key))
}
