package upstream

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Environment types: pre is the preview of unpublished resources, prod the published ones.
const (
	EnvPre  = "pre"
	EnvProd = "prod"
)

// Config configures a Client. Only BaseURL is required.
type Config struct {
	// BaseURL is the upstream origin, e.g. https://ENV.ap-shanghai.tcb-api.tencentcloudapi.com.
	BaseURL string
	// EnvType is "prod" (default) or "pre"; a call may override it with WithEnvType.
	EnvType string
	// Tokens supplies the bearer token; nil sends none (the token endpoint itself, tests).
	Tokens TokenSource
	// Timeout bounds each attempt of each call; default 10s.
	Timeout time.Duration
	// MaxReadAttempts bounds attempts of a read (first try included); default 3. Writes get one.
	MaxReadAttempts int
	// RetryBaseDelay and RetryMaxDelay shape the backoff between read attempts; defaults 100ms, 2s.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// MaxResponseBytes caps an answer's size; default 8 MiB.
	MaxResponseBytes int64
	// Transport is the base round tripper; default a tuned *http.Transport.
	Transport http.RoundTripper
	// Zone is where WeDa's zoneless times are read; default WedaZone (UTC+08:00).
	Zone *time.Location
	// Coalesce shares identical reads in flight: one upstream call for every caller waiting on
	// it at that moment (see coalesce.go). Settings turn it on unless UPSTREAM_COALESCE=false.
	Coalesce bool
}

// Client calls WeDa. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	env      string
	http     *http.Client
	timeout  time.Duration
	attempts int
	delay    time.Duration
	maxDelay time.Duration
	maxBody  int64
	zone     *time.Location
	flights  *flights // nil: every read is sent on its own
}

// NewTransport returns an http.Transport tuned for many concurrent calls to one host.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("upstream: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	env := cfg.EnvType
	if env == "" {
		env = EnvProd
	}
	if !ValidEnvType(env) {
		return nil, fmt.Errorf("upstream: env type %q must be %q or %q", env, EnvProd, EnvPre)
	}
	rt := cfg.Transport
	if rt == nil {
		rt = NewTransport()
	}
	if cfg.Tokens != nil {
		rt = &bearerTransport{base: rt, tokens: cfg.Tokens}
	}
	c := &Client{
		base:     u,
		env:      env,
		http:     &http.Client{Transport: rt},
		timeout:  orDefault(cfg.Timeout, 10*time.Second),
		attempts: cfg.MaxReadAttempts,
		delay:    orDefault(cfg.RetryBaseDelay, 100*time.Millisecond),
		maxDelay: orDefault(cfg.RetryMaxDelay, 2*time.Second),
		maxBody:  cfg.MaxResponseBytes,
		zone:     cfg.Zone,
	}
	if c.attempts <= 0 {
		c.attempts = 3
	}
	if c.maxBody <= 0 {
		c.maxBody = 8 << 20
	}
	if cfg.Coalesce {
		c.flights = &flights{}
	}
	return c, nil
}

// Timeout is the limit on each attempt of each call.
func (c *Client) Timeout() time.Duration { return c.timeout }

// EnvType is the client's configured environment type.
func (c *Client) EnvType() string { return c.env }

// ValidEnvType reports whether env is "prod" or "pre".
func ValidEnvType(env string) bool { return env == EnvProd || env == EnvPre }

type envKey struct{}

// WithEnvType makes calls under ctx go to env ("pre" or "prod") instead of the configured one.
func WithEnvType(ctx context.Context, env string) context.Context {
	return context.WithValue(ctx, envKey{}, env)
}

// EnvFor is the environment type calls under ctx go to.
func (c *Client) EnvFor(ctx context.Context) string {
	if env, ok := ctx.Value(envKey{}).(string); ok && ValidEnvType(env) {
		return env
	}
	return c.env
}

// The two ways an endpoint method calls WeDa's workflow API: read or write.

// workflow calls a workflow endpoint and decodes its Data into out.
func (c *Client) workflow(ctx context.Context, endpoint string, write bool, in, out any) error {
	return c.do(ctx, call{
		endpoint: endpoint,
		method:   http.MethodPost,
		path:     "/weda/workflow/v1/" + c.EnvFor(ctx) + "/" + endpoint,
		body:     in,
		write:    write,
	}, out)
}

// read calls a read endpoint and returns its Data as a T.
func read[T any](ctx context.Context, c *Client, endpoint string, in any) (*T, error) {
	var out T
	if err := c.workflow(ctx, endpoint, false, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// resultAnswer is the Data of the write endpoints that answer {"Result": true}.
type resultAnswer struct {
	Result    Bool `json:"Result"`
	requestID string
}

func (r *resultAnswer) setRequestID(id string) { r.requestID = id }

// write calls a write endpoint that answers {"Result": bool}; Result false is a refusal.
func (c *Client) write(ctx context.Context, endpoint string, in any) error {
	var out resultAnswer
	if err := c.workflow(ctx, endpoint, true, in, &out); err != nil {
		return err
	}
	if !out.Result {
		return &Error{Endpoint: endpoint, HTTPStatus: 200, Kind: KindFailedOperation, Code: "FailedOperation",
			Message: "the upstream answered Result=false", RequestID: out.requestID}
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
