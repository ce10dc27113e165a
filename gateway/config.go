// Package gateway assembles the HTTP server: configuration, the upstream (WeDa or the embedded
// sandbox), the GraphQL handler with its per-request loaders, GraphiQL, health checks, logging
// and graceful shutdown.
package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wedagraph/gateway/graph/loader"
	"github.com/wedagraph/gateway/upstream"
)

// Config is everything the operator sets, all from environment variables (README.md lists them).
type Config struct {
	Port            int               // PORT, default 8080
	Upstream        upstream.Settings // WEDA_*
	AllowDevHeaders bool              // ALLOW_DEV_USER_HEADER: trust X-Weda-User-Id outside the sandbox
	Loader          loader.Config     // MAX_CONCURRENT_UPSTREAM, MAX_UPSTREAM_CALLS, USER_BATCH_WAIT
	ShutdownTimeout time.Duration     // SHUTDOWN_TIMEOUT, default 15s
	SandboxSeed     uint64            // SANDBOX_SEED, default 1
	IdempotencyTTL  time.Duration     // IDEMPOTENCY_TTL: how long a keyed write's result is kept, default 24h
	IdempotencyKeys int               // IDEMPOTENCY_MAX_KEYS: how many results are kept, default 100000

	// UpstreamTransport, when set, carries every upstream request (tests count calls with it).
	UpstreamTransport http.RoundTripper
}

// ConfigFromEnv reads Config with getenv, reporting every bad value by its variable's name.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	up, err := upstream.SettingsFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Port: 8080, Upstream: up, ShutdownTimeout: 15 * time.Second, SandboxSeed: 1,
		IdempotencyTTL: 24 * time.Hour, IdempotencyKeys: 100_000}
	var errs []string
	intVar := func(name string, dst *int, lo, hi int) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < lo || n > hi {
				errs = append(errs, fmt.Sprintf("%s=%q: want a whole number from %d to %d", name, v, lo, hi))
				return
			}
			*dst = n
		}
	}
	durVar := func(name string, dst *time.Duration) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Sprintf("%s=%q: want a duration such as 5s", name, v))
				return
			}
			*dst = d
		}
	}
	intVar("PORT", &cfg.Port, 1, 65535)
	intVar("MAX_CONCURRENT_UPSTREAM", &cfg.Loader.MaxConcurrent, 1, 1024)
	intVar("MAX_UPSTREAM_CALLS", &cfg.Loader.MaxCalls, 1, 10000)
	durVar("USER_BATCH_WAIT", &cfg.Loader.BatchWait)
	durVar("SHUTDOWN_TIMEOUT", &cfg.ShutdownTimeout)
	durVar("IDEMPOTENCY_TTL", &cfg.IdempotencyTTL)
	intVar("IDEMPOTENCY_MAX_KEYS", &cfg.IdempotencyKeys, 1, 10_000_000)
	if v := strings.TrimSpace(getenv("ALLOW_DEV_USER_HEADER")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("ALLOW_DEV_USER_HEADER=%q: want true or false", v))
		}
		cfg.AllowDevHeaders = b
	}
	if v := strings.TrimSpace(getenv("SANDBOX_SEED")); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			errs = append(errs, fmt.Sprintf("SANDBOX_SEED=%q: want a positive whole number", v))
		}
		cfg.SandboxSeed = n
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return cfg, nil
}
