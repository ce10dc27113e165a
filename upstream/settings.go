package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Settings are the operator's WeDa settings, read from the environment by SettingsFromEnv.
type Settings struct {
	EnvID     string        // WEDA_ENV_ID
	Region    string        // WEDA_REGION, default ap-shanghai
	BaseURL   string        // WEDA_BASE_URL: overrides the host built from env id and region
	EnvType   string        // WEDA_ENV_TYPE: prod (default) or pre
	SecretID  string        // WEDA_SECRET_ID
	SecretKey string        // WEDA_SECRET_KEY
	APIKey    string        // WEDA_API_KEY: a long-lived key, instead of the secret pair
	Timeout   time.Duration // WEDA_TIMEOUT, default 10s
	// Zone (WEDA_TIMEZONE, an IANA name or a UTC offset such as +08:00) is the zone of WeDa's
	// zoneless times; default WedaZone, UTC+08:00.
	Zone *time.Location
	// Coalesce (UPSTREAM_COALESCE, default true) shares identical reads in flight across
	// requests: see Config.Coalesce.
	Coalesce bool
}

// ErrNotConfigured means no WeDa environment is configured: the gateway then runs its sandbox.
var ErrNotConfigured = errors.New("upstream: no WeDa environment configured (set WEDA_ENV_ID or WEDA_BASE_URL)")

// SettingsFromEnv reads Settings with getenv (os.Getenv in main, a map in tests).
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{
		EnvID:     strings.TrimSpace(getenv("WEDA_ENV_ID")),
		Region:    strings.TrimSpace(getenv("WEDA_REGION")),
		BaseURL:   strings.TrimSpace(getenv("WEDA_BASE_URL")),
		EnvType:   strings.TrimSpace(getenv("WEDA_ENV_TYPE")),
		SecretID:  getenv("WEDA_SECRET_ID"),
		SecretKey: getenv("WEDA_SECRET_KEY"),
		APIKey:    getenv("WEDA_API_KEY"),
		Coalesce:  true,
	}
	if v := strings.TrimSpace(getenv("UPSTREAM_COALESCE")); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return s, fmt.Errorf("UPSTREAM_COALESCE=%q: want true or false", v)
		}
		s.Coalesce = on
	}
	if s.Region == "" {
		s.Region = "ap-shanghai"
	}
	if s.EnvType == "" {
		s.EnvType = EnvProd
	}
	if !ValidEnvType(s.EnvType) {
		return s, fmt.Errorf("WEDA_ENV_TYPE=%q: want %q or %q", s.EnvType, EnvProd, EnvPre)
	}
	if v := strings.TrimSpace(getenv("WEDA_TIMEZONE")); v != "" {
		loc, err := parseZone(v)
		if err != nil {
			return s, fmt.Errorf("WEDA_TIMEZONE=%q: want an IANA zone such as Asia/Shanghai or an offset such as +08:00", v)
		}
		s.Zone = loc
	}
	if v := getenv("WEDA_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return s, fmt.Errorf("WEDA_TIMEOUT=%q: want a positive duration such as 10s", v)
		}
		s.Timeout = d
	}
	return s, nil
}

// Configured reports whether a WeDa environment is named.
func (s Settings) Configured() bool { return s.EnvID != "" || s.BaseURL != "" }

// Origin is the upstream origin: BaseURL, else https://{envId}.{region}.tcb-api.tencentcloudapi.com.
func (s Settings) Origin() (string, error) {
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("WEDA_BASE_URL=%q: want an absolute http(s) URL", s.BaseURL)
		}
		return strings.TrimRight(s.BaseURL, "/"), nil
	}
	if s.EnvID == "" {
		return "", ErrNotConfigured
	}
	return fmt.Sprintf("https://%s.%s.tcb-api.tencentcloudapi.com", s.EnvID, s.Region), nil
}

// Tokens returns the token source the settings describe: the API key, else the secret pair.
func (s Settings) Tokens(origin string, hc *http.Client) (TokenSource, error) {
	switch {
	case s.APIKey != "":
		return StaticToken(s.APIKey), nil
	case s.SecretID != "" && s.SecretKey != "":
		return NewClientCredentials(origin, s.SecretID, s.SecretKey, hc), nil
	}
	return nil, errors.New("upstream: set WEDA_SECRET_ID and WEDA_SECRET_KEY, or WEDA_API_KEY")
}

// NewFromSettings builds a client from Settings, sharing one transport between the token
// source and the calls.
func NewFromSettings(s Settings, transport http.RoundTripper) (*Client, error) {
	origin, err := s.Origin()
	if err != nil {
		return nil, err
	}
	if transport == nil {
		transport = NewTransport()
	}
	tokens, err := s.Tokens(origin, &http.Client{Transport: transport, Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	return New(Config{BaseURL: origin, EnvType: s.EnvType, Tokens: tokens, Timeout: s.Timeout, Transport: transport, Zone: s.Zone,
		Coalesce: s.Coalesce})
}

// parseZone reads an IANA zone name or a fixed offset (+08:00, -0530).
func parseZone(v string) (*time.Location, error) {
	if v[0] == '+' || v[0] == '-' {
		for _, layout := range []string{"-07:00", "-0700", "-07"} {
			if t, err := time.Parse(layout, v); err == nil {
				_, off := t.Zone()
				return time.FixedZone("UTC"+v, off), nil
			}
		}
		return nil, fmt.Errorf("offset %q", v)
	}
	return time.LoadLocation(v)
}
