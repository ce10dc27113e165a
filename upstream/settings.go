package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wedagraph/gateway/internal/duration"
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

// EnvSetting is one environment variable of Settings: its name, default, meaning and accepted
// values, and how it is read. The gateway's settings table takes these rows as they are, so its
// --help, its validation and docs/configuration.md say what this reader does.
type EnvSetting struct {
	Name    string
	Default string // the value when unset, as an operator would write it; "-" for none
	Meaning string
	Values  string // what is accepted
	// Derived: Default says how the value is chosen, and is not a value to read.
	Derived bool
	// Set reads a value (not empty, spaces trimmed unless the setting is a secret) into s.
	Set func(s *Settings, v string) error
}

// MaxTimeout is the longest WEDA_TIMEOUT: a call that has not answered in five minutes will not.
const MaxTimeout = 5 * time.Minute

// EnvSettings lists the WeDa settings.
func EnvSettings() []EnvSetting {
	text := func(field func(*Settings) *string) func(*Settings, string) error {
		return func(s *Settings, v string) error { *field(s) = v; return nil }
	}
	return []EnvSetting{
		{Name: "WEDA_ENV_ID", Default: "none: the embedded sandbox", Derived: true, Meaning: "the WeDa environment id",
			Values: "an environment id", Set: text(func(s *Settings) *string { return &s.EnvID })},
		{Name: "WEDA_REGION", Default: "ap-shanghai", Meaning: "the environment's region", Values: "a region name",
			Set: text(func(s *Settings) *string { return &s.Region })},
		{Name: "WEDA_BASE_URL", Default: "-", Meaning: "the upstream origin, overriding the host built from the two above",
			Values: "an absolute http(s) URL", Set: func(s *Settings, v string) error {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return errors.New("want an absolute http(s) URL")
				}
				s.BaseURL = v
				return nil
			}},
		{Name: "WEDA_ENV_TYPE", Default: EnvProd, Meaning: "published resources (prod) or the preview (pre)",
			Values: EnvProd + " or " + EnvPre, Set: func(s *Settings, v string) error {
				if !ValidEnvType(v) {
					return fmt.Errorf("want %q or %q", EnvProd, EnvPre)
				}
				s.EnvType = v
				return nil
			}},
		{Name: "WEDA_SECRET_ID", Default: "-", Meaning: "client credentials: the id", Values: "text",
			Set: text(func(s *Settings) *string { return &s.SecretID })},
		{Name: "WEDA_SECRET_KEY", Default: "-", Meaning: "client credentials: the key", Values: "text",
			Set: text(func(s *Settings) *string { return &s.SecretKey })},
		{Name: "WEDA_API_KEY", Default: "-", Meaning: "a server API key, instead of the pair", Values: "text",
			Set: text(func(s *Settings) *string { return &s.APIKey })},
		{Name: "WEDA_TIMEOUT", Default: "10s", Meaning: "the limit on each attempt of each upstream call",
			Values: "a duration from 100ms to " + duration.Short(MaxTimeout), Set: func(s *Settings, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < 100*time.Millisecond || d > MaxTimeout {
					return fmt.Errorf("want a duration from 100ms to %s, such as 10s", duration.Short(MaxTimeout))
				}
				s.Timeout = d
				return nil
			}},
		{Name: "WEDA_TIMEZONE", Default: "+08:00", Meaning: "the zone of WeDa's zone-less times (+08:00 is China Standard " +
			"Time, which has no daylight saving: Asia/Shanghai reads the same)",
			Values: "an IANA zone such as Asia/Shanghai, or a UTC offset such as +08:00", Set: func(s *Settings, v string) error {
				loc, err := parseZone(v)
				if err != nil {
					return errors.New("want an IANA zone such as Asia/Shanghai or an offset such as +08:00")
				}
				s.Zone = loc
				return nil
			}},
		{Name: "UPSTREAM_COALESCE", Default: "true", Meaning: "share identical reads in flight across requests (one " +
			"upstream call for all who wait)", Values: "true or false", Set: func(s *Settings, v string) error {
			on, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("want true or false")
			}
			s.Coalesce = on
			return nil
		}},
	}
}

// IsSecret reports whether a setting holds a credential: its value is read as written, and never
// shown in an error.
func IsSecret(name string) bool {
	return name == "WEDA_SECRET_ID" || name == "WEDA_SECRET_KEY" || name == "WEDA_API_KEY"
}

// SettingsFromEnv reads Settings with getenv (os.Getenv in main, a map in tests): each setting's
// default, then its variable, reporting every bad value by its variable's name.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	var s Settings
	var errs []error
	for _, e := range EnvSettings() {
		if !e.Derived && e.Default != "-" {
			if err := e.Set(&s, e.Default); err != nil {
				panic(fmt.Sprintf("upstream: the default of %s does not read: %v", e.Name, err))
			}
		}
		v := getenv(e.Name)
		if !IsSecret(e.Name) {
			v = strings.TrimSpace(v)
		}
		if strings.TrimSpace(v) == "" {
			continue
		}
		if err := e.Set(&s, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", e.Name, v, err))
		}
	}
	return s, errors.Join(errs...)
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
