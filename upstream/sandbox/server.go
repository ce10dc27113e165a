package sandbox

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Default demo credentials.
const (
	DefaultSecretID  = "sandbox"
	DefaultSecretKey = "sandbox"
	// DemoUser is the login name of the user the README and GraphiQL start with.
	DemoUser = "kongtest"
	// Colleague is the login name of the README's second demo user: the finance clerk who handles
	// (approves) DemoUser's expense claims, so acting as them shows a colleague's approval.
	Colleague = "liuyang"
)

// SeedUser is a seeded user as people name them.
type SeedUser struct {
	Name     string // the login name, e.g. kongtest
	NickName string // e.g. 孔测试
	ID       string // what WeDa's APIs and the gateway's X-Weda-User-Id header take
}

// SeedUsers lists the seeded users in seed order. Their ids do not depend on the seed.
func SeedUsers() []SeedUser {
	out := make([]SeedUser, len(seedUsers))
	for i, su := range seedUsers {
		out[i] = SeedUser{Name: su.name, NickName: su.nick, ID: seedUserID(i)}
	}
	return out
}

// unknownUser is what the sandbox adds when a user id names no one: people try the login name
// (kongtest) where WeDa takes the id, and the sandbox can say which ids it has.
var unknownUser = func() string {
	var b strings.Builder
	b.WriteString(": a user is named by id (19 digits), not by login name; this sandbox's users are")
	for i, u := range SeedUsers() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" " + u.Name + " " + u.ID)
	}
	return b.String()
}()

// explain adds to a refusal what a person needs to mend the request.
func explain(e *apiError) *apiError {
	// The engine refuses an unknown user as notFound("user", id): "user <id> does not exist".
	if e.Code == "ResourceNotFound" && strings.HasPrefix(e.Message, "user ") {
		return &apiError{e.Status, e.Code, e.Message + unknownUser}
	}
	return e
}

// maxBody bounds a request body.
const maxBody = 1 << 20

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

// ServeHTTP routes the token endpoint, the OData user model and the workflow API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := r.Header.Get("X-Request-Id")
	if requestID == "" {
		requestID = newRequestID()
	}
	path := r.URL.Path
	if strings.HasPrefix(path, ownPrefix) {
		s.serveOwn(w, r)
		return
	}
	s.trace.record(r)
	switch {
	case path == "/auth/v1/token/clientCredential":
		s.count("token")
		s.issueToken(w, r)
	case strings.HasPrefix(path, "/weda/workflow/v1/"):
		s.workflow(w, r, requestID, strings.TrimPrefix(path, "/weda/workflow/v1/"))
	case strings.HasPrefix(path, "/weda/odata/v1/"):
		s.odata(w, r, requestID, strings.TrimPrefix(path, "/weda/odata/v1/"))
	default:
		writeFlat(w, http.StatusNotFound, "ResourceNotFound", "no such API: "+path, requestID)
	}
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	rid := newRequestID()
	if r.Method != http.MethodPost {
		writeFlat(w, http.StatusMethodNotAllowed, "InvalidParameter", "use POST", rid)
		return
	}
	id, key, ok := r.BasicAuth()
	if !ok || id != s.opts.SecretID || key != s.opts.SecretKey {
		writeFlat(w, http.StatusUnauthorized, "INVALID_CREDENTIALS", "the SecretId or SecretKey is wrong", rid)
		return
	}
	var body struct {
		GrantType string `json:"grant_type"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&body); err != nil || body.GrantType != "client_credentials" {
		writeFlat(w, http.StatusBadRequest, "InvalidParameter", `the body must be {"grant_type":"client_credentials"}`, rid)
		return
	}
	tok := "sbx." + newRequestID() + newRequestID()
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(s.opts.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "access_token": tok,
		"expires_in": int(s.opts.TokenTTL / time.Second)})
}

// authorize checks the bearer token; it returns the code and message of a refusal.
func (s *Server) authorize(r *http.Request) (string, string) {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || tok == "" {
		return "INVALID_ACCESS_TOKEN", "an Authorization: Bearer token is required"
	}
	if s.opts.APIKey != "" && tok == s.opts.APIKey {
		return "", ""
	}
	s.mu.Lock()
	exp, known := s.tokens[tok]
	s.mu.Unlock()
	switch {
	case !known:
		return "INVALID_ACCESS_TOKEN", "the access token is not valid"
	case !time.Now().Before(exp):
		return "ACCESS_TOKEN_EXPIRED", "the access token has expired"
	}
	return "", ""
}

func (s *Server) workflow(w http.ResponseWriter, r *http.Request, requestID, rest string) {
	env, name, _ := strings.Cut(rest, "/")
	ep, known := endpoints[name]
	if !known || (env != "pre" && env != "prod") {
		writeEnvelopeError(w, http.StatusNotFound, &apiError{Code: "ResourceNotFound", Message: "no such API: " + r.URL.Path}, requestID)
		return
	}
	s.count(name)
	if code, msg := s.authorize(r); code != "" {
		writeEnvelopeError(w, http.StatusUnauthorized, &apiError{Code: code, Message: msg}, requestID)
		return
	}
	if r.Method != http.MethodPost {
		writeEnvelopeError(w, http.StatusMethodNotAllowed, &apiError{Code: "InvalidParameter", Message: "use POST"}, requestID)
		return
	}
	if s.injectFailure() {
		writeEnvelopeError(w, http.StatusServiceUnavailable, &apiError{Code: "InternalError", Message: "injected failure"}, requestID)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeEnvelopeError(w, http.StatusOK, &apiError{Code: "InvalidParameter", Message: "the request body is unreadable or over 1 MiB"}, requestID)
		return
	}
	e := s.engine()
	var data any
	var apiErr *apiError
	func() {
		if ep.write {
			e.mu.Lock()
			defer e.mu.Unlock()
			defer e.boxes.invalidate() // before the unlock
		} else {
			e.mu.RLock()
			defer e.mu.RUnlock()
		}
		data, apiErr = ep.fn(e, env, body)
	}()
	s.delay(r.Context(), name)
	if apiErr != nil {
		writeEnvelopeError(w, apiErr.Status, explain(apiErr), requestID)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{"RequestId": requestID, "Data": data}})
}

func (s *Server) odata(w http.ResponseWriter, r *http.Request, requestID, rest string) {
	env, model, _ := strings.Cut(rest, "/")
	one := ""
	if i := strings.Index(model, "("); i >= 0 && strings.HasSuffix(model, ")") {
		one = strings.Trim(model[i+1:len(model)-1], "'")
		model = model[:i]
	}
	if model != "sys_user" || (env != "pre" && env != "prod") {
		writeFlat(w, http.StatusNotFound, "ResourceNotFound", "no such data model: "+model, requestID)
		return
	}
	s.count("sys_user")
	if code, msg := s.authorize(r); code != "" {
		writeFlat(w, http.StatusUnauthorized, code, msg, requestID)
		return
	}
	if r.Header.Get("X-Request-Id") == "" {
		writeFlat(w, http.StatusBadRequest, "MissingParameter", "the X-Request-Id header is required", requestID)
		return
	}
	if r.Method != http.MethodGet {
		writeFlat(w, http.StatusMethodNotAllowed, "InvalidParameter", "use GET", requestID)
		return
	}
	if s.injectFailure() {
		writeFlat(w, http.StatusServiceUnavailable, "InternalError", "injected failure", requestID)
		return
	}
	e := s.engine()
	e.mu.RLock()
	var out map[string]any
	var apiErr *apiError
	if one != "" {
		if u := e.userByID[one]; u != nil {
			out = userRecord(u)
		} else {
			apiErr = &apiError{http.StatusNotFound, "ResourceNotFound", "no sys_user record " + one}
		}
	} else {
		out, apiErr = e.odataList(r.URL.Query())
	}
	e.mu.RUnlock()
	s.delay(r.Context(), "sys_user")
	if apiErr != nil {
		writeFlat(w, apiErr.Status, apiErr.Code, apiErr.Message, requestID)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeEnvelopeError(w http.ResponseWriter, status int, e *apiError, requestID string) {
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"Response": map[string]any{"RequestId": requestID,
		"Error": map[string]any{"Code": e.Code, "Message": e.Message}}})
}

func writeFlat(w http.ResponseWriter, status int, code, msg, requestID string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg, "requestId": requestID})
}

func newRequestID() string {
	var b [7]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])[:13]
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
