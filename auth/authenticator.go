package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Modes of client authentication.
const (
	ModeJWT    = "jwt"
	ModeHeader = "header"
)

// Config is how clients authenticate.
type Config struct {
	Mode        string
	HS256Secret []byte // jwt: a shared secret; or
	JWKSURL     string // jwt: where the signing keys are published (refreshed hourly and on unknown kid)
	Issuer      string // jwt: required iss, if set
	Audience    string // jwt: required aud, if set
	UserClaim   string // jwt: the claim holding the WeDa user id; default sub
	SourceClaim string // jwt: the claim holding the user's source code; default none (4)
	RolesClaim  string // jwt: the claim holding roles; default roles
	AdminRole   string // the role of operators who may see every instance and list users; default admin
	ScopeClaim  string // jwt: the claim holding scopes; default scope
	ActAsScope  string // jwt: the scope that lets a service act for a user via X-Weda-Act-As; "" disables it
	Leeway      time.Duration
}

// asymmetric are the algorithms a JWKS key may sign with: never "none", never HMAC, so a public
// key cannot be passed off as a shared secret.
var asymmetric = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Authenticator turns a request's credentials into a Viewer.
type Authenticator struct {
	cfg     Config
	log     *slog.Logger
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc
	cancel  context.CancelFunc
}

// New checks cfg and, for a JWKS, starts its refresh.
func New(cfg Config, log *slog.Logger) (*Authenticator, error) {
	if cfg.UserClaim == "" {
		cfg.UserClaim = "sub"
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = "roles"
	}
	if cfg.AdminRole == "" {
		cfg.AdminRole = "admin"
	}
	if cfg.ScopeClaim == "" {
		cfg.ScopeClaim = "scope"
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	a := &Authenticator{cfg: cfg, log: log, cancel: func() {}}
	switch cfg.Mode {
	case ModeHeader:
		return a, nil
	case ModeJWT:
	default:
		return nil, fmt.Errorf("AUTH_MODE=%q: want %q or %q", cfg.Mode, ModeJWT, ModeHeader)
	}
	// WithJSONNumber: a numeric 19-digit user claim must not pass through float64.
	opts := []jwt.ParserOption{jwt.WithExpirationRequired(), jwt.WithLeeway(cfg.Leeway), jwt.WithJSONNumber()}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	switch {
	case len(cfg.HS256Secret) > 0 && cfg.JWKSURL != "":
		return nil, errors.New("AUTH_JWT_HS256_SECRET and AUTH_JWKS_URL exclude each other: set one")
	case len(cfg.HS256Secret) > 0:
		if len(cfg.HS256Secret) < 32 {
			return nil, errors.New("AUTH_JWT_HS256_SECRET must be at least 32 bytes")
		}
		secret := cfg.HS256Secret
		a.keyfunc = func(*jwt.Token) (any, error) { return secret, nil }
		opts = append(opts, jwt.WithValidMethods([]string{"HS256"}))
	case cfg.JWKSURL != "":
		ctx, cancel := context.WithCancel(context.Background())
		kf, err := keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("AUTH_JWKS_URL: %w", err)
		}
		a.keyfunc, a.cancel = kf.Keyfunc, cancel
		opts = append(opts, jwt.WithValidMethods(asymmetric))
	default:
		return nil, errors.New("AUTH_MODE=jwt needs AUTH_JWT_HS256_SECRET or AUTH_JWKS_URL")
	}
	a.parser = jwt.NewParser(opts...)
	return a, nil
}

// Mode is the authenticator's mode.
func (a *Authenticator) Mode() string { return a.cfg.Mode }

// Close stops the JWKS refresh.
func (a *Authenticator) Close() { a.cancel() }

// Middleware puts the viewer on the request's context, or answers 401 / 403.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return a.MiddlewareAllowing(nil)(next)
}

// MiddlewareAllowing is Middleware that, in header mode, lets a request that names no user
// through without a viewer when anonymous says it may (schema introspection): the development
// header is a convenience, and tools that fetch the schema from a URL do not send it. In jwt
// mode every request needs its token.
func (a *Authenticator) MiddlewareAllowing(anonymous func(*http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if a.cfg.Mode == ModeHeader && anonymous != nil && strings.TrimSpace(r.Header.Get(UserIDHeader)) == "" && anonymous(r) {
				next.ServeHTTP(w, r)
				return
			}
			a.serve(next, w, r)
		})
	}
}

func (a *Authenticator) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	var v Viewer
	var err error
	if a.cfg.Mode == ModeHeader {
		v, err = a.fromHeaders(r)
	} else {
		v, err = a.fromToken(r)
	}
	if err != nil {
		var f *forbidden
		if errors.As(err, &f) {
			WriteError(w, http.StatusForbidden, "FORBIDDEN", f.msg)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		WriteError(w, http.StatusUnauthorized, "UNAUTHENTICATED", err.Error())
		return
	}
	next.ServeHTTP(w, r.WithContext(WithViewer(r.Context(), v)))
}

type forbidden struct{ msg string }

func (f *forbidden) Error() string { return f.msg }

func (a *Authenticator) fromHeaders(r *http.Request) (Viewer, error) {
	id := strings.TrimSpace(r.Header.Get(UserIDHeader))
	if id == "" || len(id) > 64 {
		return Viewer{}, fmt.Errorf("send the %s header (development mode)", UserIDHeader)
	}
	v := Viewer{UserID: id, Source: 4}
	if s, err := strconv.Atoi(r.Header.Get(UserSourceHeader)); err == nil && s > 0 {
		v.Source = s
	}
	v.Admin = slices.Contains(splitList(r.Header.Get(RolesHeader)), a.cfg.AdminRole)
	return v, nil
}

func (a *Authenticator) fromToken(r *http.Request) (Viewer, error) {
	// RFC 7235: the scheme is case-insensitive ("bearer", "BEARER").
	scheme, raw, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return Viewer{}, errors.New("send a bearer token: Authorization: Bearer <JWT>")
	}
	claims := jwt.MapClaims{}
	if _, err := a.parser.ParseWithClaims(strings.TrimSpace(raw), claims, a.keyfunc); err != nil {
		return Viewer{}, errors.New(tokenProblem(err))
	}
	subject := claimString(claims[a.cfg.UserClaim])
	if subject == "" {
		return Viewer{}, fmt.Errorf("the token has no %s claim naming the WeDa user", a.cfg.UserClaim)
	}
	v := Viewer{UserID: subject, Source: 4, Admin: slices.Contains(claimList(claims[a.cfg.RolesClaim]), a.cfg.AdminRole)}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		v.Expires = exp.Time
	}
	if a.cfg.SourceClaim != "" {
		if s, err := strconv.Atoi(claimString(claims[a.cfg.SourceClaim])); err == nil && s > 0 {
			v.Source = s
		}
	}
	if actAs := strings.TrimSpace(r.Header.Get(ActAsHeader)); actAs != "" {
		if a.cfg.ActAsScope == "" || !slices.Contains(claimList(claims[a.cfg.ScopeClaim]), a.cfg.ActAsScope) {
			return Viewer{}, &forbidden{fmt.Sprintf("acting for another user (%s) needs the scope the operator configured", ActAsHeader)}
		}
		source := 4
		if s, err := strconv.Atoi(r.Header.Get(ActAsSourceHeader)); err == nil && s > 0 {
			source = s
		}
		v = Viewer{UserID: actAs, Source: source, Service: subject, Expires: v.Expires}
		a.log.Info("service acting for a user", "service", subject, "user", actAs, "request_id", r.Header.Get("X-Request-Id"))
	}
	return v, nil
}

// tokenProblem says what is wrong with a token without repeating any of it.
func tokenProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "the token's issuer is not accepted"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "the token's audience is not this gateway"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "the token lacks a required claim (exp)"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "the token's signature is not valid"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token's signing algorithm or key is not accepted"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is malformed"
	}
	return "the token is not valid"
}

func claimString(v any) string {
	switch c := v.(type) {
	case string:
		return strings.TrimSpace(c)
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64)
	case json.Number:
		return c.String()
	}
	return ""
}

// claimList reads a claim that is a list, or a space- or comma-separated string.
func claimList(v any) []string {
	switch c := v.(type) {
	case string:
		return splitList(c)
	case []any:
		var out []string
		for _, x := range c {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

// WriteError answers with a GraphQL error document and an HTTP status.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
		"message": message, "extensions": map[string]any{"code": code}}}})
}
