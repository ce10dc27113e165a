package sandbox

import (
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// The sandbox over HTTP: the token endpoint, the workflow API and the sys_user OData model, each
// answering in its own envelope and error shape, as WeDa does.

// maxBody bounds a request body.
const maxBody = 1 << 20

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
